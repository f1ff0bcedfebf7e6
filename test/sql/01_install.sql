--
-- 01_install: installing pgmig, what it creates, and who may use it.
--
-- Every test file starts from a clean database and leaves none of its
-- state behind.
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_pgmig_nobody;
RESET client_min_messages;

-- CREATE EXTENSION installs everything in the schema "pgmig", which the
-- script creates (the extension itself is registered in pg_catalog, as
-- pg_cron is), so DROP EXTENSION removes the schema too.
CREATE EXTENSION pgmig;
SELECT extname, extversion, extrelocatable, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'pgmig';

-- The objects that belong to the extension: three tables, two sequences,
-- the SQL API and the trigger functions behind the tables.
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgmig')
   AND deptype = 'e'
 ORDER BY 1;

-- The columns of pgmig.revision, the table revisions are loaded into.
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
  FROM pg_attribute
 WHERE attrelid = 'pgmig.revision'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;

-- pgmig.applied: one row per applied revision.
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
  FROM pg_attribute
 WHERE attrelid = 'pgmig.applied'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;

-- pgmig.journal: the append-only record of every action.
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
  FROM pg_attribute
 WHERE attrelid = 'pgmig.journal'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;

-- The triggers that keep pgmig.revision and pgmig.journal honest.
SELECT tgrelid::regclass AS tbl, tgname, tgfoid::regproc AS function
  FROM pg_trigger
 WHERE tgrelid IN ('pgmig.revision'::regclass, 'pgmig.journal'::regclass)
   AND NOT tgisinternal
 ORDER BY 1, 2;

-- The SQL API: every function in the schema with its signature.
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmig'::regnamespace
 ORDER BY 1, 2;

-- The extension's tables and sequences are registered with
-- pg_extension_config_dump, so pg_dump saves their rows (revisions and the
-- applied set survive a dump and restore).
SELECT unnest(extconfig)::regclass AS config_table
  FROM pg_extension WHERE extname = 'pgmig'
;
SELECT array_length(extconfig, 1) AS n_config,
       array_length(extcondition, 1) AS n_conditions
  FROM pg_extension WHERE extname = 'pgmig';

-- Nothing is granted to PUBLIC: a fresh role can use no pgmig object.
CREATE ROLE regress_pgmig_nobody;
SELECT has_schema_privilege('regress_pgmig_nobody', 'pgmig', 'USAGE') AS schema_usage;
SELECT c.relname,
       has_table_privilege('regress_pgmig_nobody', c.oid, 'SELECT') AS can_select,
       has_table_privilege('regress_pgmig_nobody', c.oid, 'INSERT') AS can_insert,
       has_table_privilege('regress_pgmig_nobody', c.oid, 'UPDATE') AS can_update,
       has_table_privilege('regress_pgmig_nobody', c.oid, 'DELETE') AS can_delete
  FROM pg_class c
 WHERE c.relnamespace = 'pgmig'::regnamespace AND c.relkind IN ('r', 'S')
 ORDER BY 1;
-- Not one function is executable by the fresh role (the query lists
-- those that would be: none).
SELECT p.oid::regprocedure AS executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmig'::regnamespace
   AND has_function_privilege('regress_pgmig_nobody', p.oid, 'EXECUTE');
SELECT count(*) AS functions_checked
  FROM pg_proc p WHERE p.pronamespace = 'pgmig'::regnamespace;
-- Spot checks on the most important functions.
SELECT has_function_privilege('regress_pgmig_nobody', 'pgmig.upgrade(text)', 'EXECUTE') AS upgrade,
       has_function_privilege('regress_pgmig_nobody', 'pgmig.downgrade(text)', 'EXECUTE') AS downgrade,
       has_function_privilege('regress_pgmig_nobody', 'pgmig.load(text)', 'EXECUTE') AS load,
       has_function_privilege('regress_pgmig_nobody', 'pgmig.repair(text)', 'EXECUTE') AS repair;

-- The fresh role really is refused.
SET ROLE regress_pgmig_nobody;
SELECT * FROM pgmig.revision;
SELECT pgmig.upgrade('head');
RESET ROLE;

-- The tables start empty.
SELECT (SELECT count(*) FROM pgmig.revision) AS revisions,
       (SELECT count(*) FROM pgmig.applied) AS applied,
       (SELECT count(*) FROM pgmig.journal) AS journal;

-- The schema is fixed: pgmig is not relocatable.
ALTER EXTENSION pgmig SET SCHEMA public;

-- The GUCs of the lock-safety rules, with their defaults.
SELECT name, setting, unit FROM pg_settings WHERE name LIKE 'pgmig.lock%' ORDER BY 1;

-- Clean up.
DROP ROLE regress_pgmig_nobody;
DROP EXTENSION pgmig CASCADE;
