--
-- 30_snapshot: pgmig.snapshot(), the schema as data (doc/snapshot-format.md).
--
CREATE EXTENSION pgmig;
SET pgmig.guard = off;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_snapshot_reader;
RESET client_min_messages;
CREATE ROLE regress_snapshot_reader;

-- an empty database: the public schema, its ACL and comment, plpgsql
SELECT jsonb_pretty(pgmig.snapshot());

-- one object of every kind (test/fixtures/snapshot_broad.sql), one line each
\i test/fixtures/snapshot_broad.sql
SELECT o FROM jsonb_array_elements(pgmig.snapshot()->'objects') o;

-- every kind of the format appears
SELECT o->>'kind' AS kind, count(*)
  FROM jsonb_array_elements(pgmig.snapshot()->'objects') o GROUP BY 1 ORDER BY 1;

-- deterministic: two calls are equal, ids are unique and sorted byte-wise,
-- deps are sorted and name objects of the snapshot
SELECT pgmig.snapshot() = pgmig.snapshot() AS same;
WITH o AS (SELECT e->>'id' AS id, e->'deps' AS deps, n
			 FROM jsonb_array_elements(pgmig.snapshot()->'objects') WITH ORDINALITY x(e, n))
SELECT (SELECT bool_and(id < lead COLLATE "C") FROM
		  (SELECT id, lead(id) OVER (ORDER BY n) FROM o) l WHERE lead IS NOT NULL) AS sorted_unique,
	   (SELECT bool_and(d IN (SELECT id FROM o)) FROM o, jsonb_array_elements_text(deps) d) AS deps_known,
	   (SELECT bool_and(deps = (SELECT coalesce(jsonb_agg(d ORDER BY d COLLATE "C"), '[]')
								  FROM jsonb_array_elements_text(deps) d)) FROM o) AS deps_sorted;

-- the caller's search_path changes nothing (the function runs with '')
CREATE TEMP TABLE snap AS SELECT pgmig.snapshot() AS s;
SET search_path = app, public;
SELECT pgmig.snapshot() = (SELECT s FROM pg_temp.snap) AS same_under_other_search_path;
RESET search_path;

-- a temporary table named like a catalog cannot stand in for it (the
-- temporary schema is searched first unless search_path names it)
CREATE TEMP TABLE pg_extension (oid oid, extname name, extnamespace oid, extversion text);
INSERT INTO pg_temp.pg_extension VALUES (1, 'fake', 2200, '6.6');
SELECT pgmig.snapshot() = (SELECT s FROM pg_temp.snap) AS temp_catalog_ignored;
DROP TABLE pg_temp.pg_extension;

-- reads catalogs only: a role with EXECUTE and no right on any table or
-- schema of the application gets the same snapshot
CREATE ROLE regress_snapshot_nobody;
GRANT USAGE ON SCHEMA pgmig TO regress_snapshot_nobody;
GRANT EXECUTE ON FUNCTION pgmig.snapshot(text[]) TO regress_snapshot_nobody;
GRANT SELECT ON pg_temp.snap TO regress_snapshot_nobody;
SET ROLE regress_snapshot_nobody;
SELECT has_schema_privilege('app', 'USAGE') AS app_usage,
	   pgmig.snapshot() = (SELECT s FROM pg_temp.snap) AS same_for_nobody;
RESET ROLE;
REVOKE ALL ON pg_temp.snap FROM regress_snapshot_nobody;
DROP OWNED BY regress_snapshot_nobody;
DROP ROLE regress_snapshot_nobody;

-- the schema filter
SELECT o->>'id' FROM jsonb_array_elements(pgmig.snapshot('{Odd.Schema}')->'objects') o;
SELECT jsonb_array_length(pgmig.snapshot('{}')->'objects') AS none;
-- a schema that does not exist is an error, not an empty snapshot
SELECT pgmig.snapshot('{app,nope}');
-- pgmig and the system schemas are never read
SELECT jsonb_array_length(pgmig.snapshot('{pgmig,pg_catalog}')->'objects') AS none;

-- objects that belong to an extension are left out (only the extension
-- itself is listed); nothing of pgmig appears
SELECT o->>'id' FROM jsonb_array_elements(pgmig.snapshot()->'objects') o
 WHERE o::text ~ 'citext|pgmig';
SELECT count(*) AS citext_functions_in_public FROM pg_proc
 WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'citext%';

-- kinds the diff engine does not model are listed, never left out
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
CREATE EVENT TRIGGER regress_snapshot_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();
CREATE FOREIGN DATA WRAPPER regress_snapshot_fdw;
CREATE SERVER regress_snapshot_srv FOREIGN DATA WRAPPER regress_snapshot_fdw;
CREATE FOREIGN TABLE app.remote (a integer) SERVER regress_snapshot_srv;
GRANT SELECT (id) ON app.account_names TO regress_snapshot_reader;
COMMENT ON COLUMN app.account_names.name IS 'a view''s column';
SELECT o->>'what' FROM jsonb_array_elements(pgmig.snapshot()->'objects') o
 WHERE o->>'kind' = 'unsupported';

-- a change shows: one column's default
ALTER TABLE app.item ALTER COLUMN qty SET DEFAULT 1;
SELECT o->>'default' FROM jsonb_array_elements(pgmig.snapshot()->'objects') o
 WHERE o->>'id' = 'column app.item.qty';
SELECT pgmig.snapshot() = (SELECT s FROM pg_temp.snap) AS same_after_change;
SELECT pgmig.snapshot('{app}') = pgmig.snapshot('{app}') AS app_same;

-- names that JSON must escape (a backslash, a double quote, a newline, a
-- tab) and names quote_ident quotes (upper case, a keyword) on every kind
-- the snapshot writes as text: each comes back exactly as the catalogs
-- hold it (the snapshot escapes only what needs it, and is valid JSON)
CREATE SCHEMA "esc\ape";
CREATE TABLE "esc\ape"."T""ab\le" (
	"c\1" integer PRIMARY KEY,
	"Line
Feed" text CONSTRAINT "chk\""" CHECK ("Line
Feed" <> E'\\'),
	"order" integer DEFAULT 0,
	"tab	bed" character varying(5));
CREATE INDEX "ix\""" ON "esc\ape"."T""ab\le" ("tab	bed");
CREATE VIEW "esc\ape"."V\iew" AS SELECT "c\1", "Line
Feed" FROM "esc\ape"."T""ab\le";
SELECT o->>'id' AS id, o->>'name' = n.name AS name_exact, o->>'schema' = 'esc\ape' AS schema_exact,
	   coalesce(o->>'table' = '"esc\ape"."T""ab\le"', true) AS table_exact
  FROM jsonb_array_elements(pgmig.snapshot('{esc\\ape}')->'objects') o
  LEFT JOIN (SELECT attname::text AS name FROM pg_attribute
			  WHERE attrelid = '"esc\ape"."T""ab\le"'::regclass AND attnum > 0
			 UNION SELECT conname::text FROM pg_constraint
			  WHERE conrelid = '"esc\ape"."T""ab\le"'::regclass
			 UNION SELECT relname::text FROM pg_class
			  WHERE relnamespace = '"esc\ape"'::regnamespace) n ON n.name = o->>'name'
 WHERE o->>'kind' IN ('table', 'column', 'constraint', 'index', 'view')
 ORDER BY o->>'id' COLLATE "C";
SELECT o->>'id' AS id, o->'deps' AS deps
  FROM jsonb_array_elements(pgmig.snapshot('{esc\\ape}')->'objects') o
 WHERE o->>'kind' IN ('column', 'view') AND o->>'name' ~ '^(Line|V)'
 ORDER BY o->>'id' COLLATE "C";
DROP SCHEMA "esc\ape" CASCADE;

DROP TABLE pg_temp.snap;
DROP EVENT TRIGGER regress_snapshot_ddl;
DROP FOREIGN DATA WRAPPER regress_snapshot_fdw CASCADE;
DROP SCHEMA app, "Odd.Schema" CASCADE;
DROP EXTENSION citext;
DROP EXTENSION pgmig CASCADE;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
DROP OWNED BY regress_snapshot_reader;
DROP ROLE regress_snapshot_reader;
