--
-- 17_update_chain: every shipped version updates to the newest, one step
-- at a time, with its data; and an updated install has exactly the
-- catalog objects of a fresh one.
--
-- For each of 0.1, 0.2 and 0.3: install it, load and apply a revision,
-- then ALTER EXTENSION ... UPDATE TO each next version in turn, using the
-- engine at every step.  At the end, the extension's catalog (its member
-- objects, function signatures and attributes, table columns, constraints,
-- triggers, privileges and comments) must equal a fresh install's.
SET client_min_messages = warning;
SET pgmig.guard = off;
DROP EXTENSION IF EXISTS pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig;
DROP TABLE IF EXISTS uc_t;
RESET client_min_messages;

-- One line per catalog fact of extension pgmig, without OIDs.  (The
-- bodies name objects that exist only later.)
SET check_function_bodies = off;
CREATE FUNCTION pg_temp.pgmig_catalog() RETURNS SETOF text
LANGUAGE sql AS $$
  WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'pgmig')
  SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
    FROM pg_depend d, ext
   WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
     AND d.deptype = 'e'
  UNION ALL
  SELECT 'function ' || p.oid::regprocedure::text
         || ' returns ' || pg_get_function_result(p.oid)
         || ' args ' || pg_get_function_arguments(p.oid)
         || ' kind ' || p.prokind::text || ' volatility ' || p.provolatile::text
         || ' strict ' || p.proisstrict || ' secdef ' || p.prosecdef
         || ' parallel ' || p.proparallel::text
         || ' config ' || coalesce(p.proconfig::text, '-')
         || ' acl ' || coalesce(p.proacl::text, '-')
         || ' src ' || CASE WHEN l.lanname = 'c' THEN p.prosrc
                            ELSE md5(p.prosrc) END
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
   WHERE p.pronamespace = 'pgmig'::regnamespace
  UNION ALL
  SELECT 'column ' || c.relname || '.' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
    FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
   WHERE c.relnamespace = 'pgmig'::regnamespace
  UNION ALL
  SELECT 'relation ' || c.relname || ' kind ' || c.relkind::text
         || ' acl ' || coalesce(c.relacl::text, '-')
         || ' rls ' || c.relrowsecurity
    FROM pg_class c WHERE c.relnamespace = 'pgmig'::regnamespace
  UNION ALL
  SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '
         || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'pgmig'::regnamespace
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
   WHERE c.relnamespace = 'pgmig'::regnamespace
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'pgmig'::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'event trigger ' || evtname || ' ' || evtevent || ' '
         || coalesce(evttags::text, '-') || ' ' || evtenabled::text
    FROM pg_event_trigger WHERE evtname LIKE 'pgmig%'
  UNION ALL
  SELECT 'comment ' || pg_describe_object(classoid, objoid, objsubid) || ': ' || description
    FROM pg_description
   WHERE (classoid = 'pg_proc'::regclass
          AND objoid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'pgmig'::regnamespace))
      OR (classoid = 'pg_class'::regclass
          AND objoid IN (SELECT oid FROM pg_class WHERE relnamespace = 'pgmig'::regnamespace))
  UNION ALL
  SELECT 'schema acl ' || coalesce(nspacl::text, '-') FROM pg_namespace WHERE nspname = 'pgmig'
  UNION ALL
  SELECT 'config table ' || c::regclass::text
    FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'pgmig'
$$;

-- The reference: a fresh install of the newest version.
SELECT default_version FROM pg_available_extensions WHERE name = 'pgmig';
CREATE EXTENSION pgmig;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.pgmig_catalog() AS f(line);
SELECT count(*) > 50 AS fresh_has_facts FROM fresh;
DROP EXTENSION pgmig;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;

-- Install one version, use it, update one step at a time to the newest,
-- using the engine after every step; then compare with the fresh catalog.
CREATE FUNCTION pg_temp.update_chain(start text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v text;
BEGIN
  EXECUTE format('CREATE EXTENSION pgmig VERSION %L', start);
  PERFORM pgmig.add('uc1', '{}', 'CREATE TABLE uc_t (id int)', 'DROP TABLE uc_t', 'first');
  PERFORM pgmig.add('uc2', '{uc1}', 'ALTER TABLE uc_t ADD COLUMN v text', 'ALTER TABLE uc_t DROP COLUMN v', 'second');
  PERFORM pgmig.upgrade('uc1');
  RETURN NEXT format('%s: installed, applied %s', start,
                     (SELECT string_agg(revision, ',') FROM pgmig.current()));
  -- walk the chain: each step is the next version after the current one
  LOOP
    SELECT u.target INTO v FROM pg_extension_update_paths('pgmig') u
     WHERE u.source = (SELECT extversion FROM pg_extension WHERE extname = 'pgmig')
       AND u.path = u.source || '--' || u.target
     ORDER BY u.target LIMIT 1;
    EXIT WHEN v IS NULL;
    EXECUTE format('ALTER EXTENSION pgmig UPDATE TO %L', v);
    -- the engine works at every step: read, downgrade and upgrade again
    PERFORM pgmig.downgrade('base');
    PERFORM pgmig.upgrade('uc1');
    RETURN NEXT format('%s: updated to %s, applied %s, heads %s, %s revisions, %s journal rows', start, v,
                       (SELECT string_agg(revision, ',') FROM pgmig.current()),
                       (SELECT string_agg(revision, ',') FROM pgmig.heads()),
                       (SELECT count(*) FROM pgmig.revision),
                       (SELECT count(*) FROM pgmig.journal));
  END LOOP;
  PERFORM pgmig.upgrade();
  RETURN NEXT format('%s: at %s, applied %s, uc_t columns %s', start,
                     (SELECT extversion FROM pg_extension WHERE extname = 'pgmig'),
                     (SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.current()),
                     (SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                       WHERE attrelid = 'uc_t'::regclass AND attnum > 0));
END
$$;

-- Each updated install equals the fresh one: no line missing, none extra.
CREATE FUNCTION pg_temp.diff_from_fresh() RETURNS SETOF text
LANGUAGE sql AS $$
  (SELECT 'missing after update: ' || line FROM fresh
   EXCEPT SELECT 'missing after update: ' || f FROM pg_temp.pgmig_catalog() f)
  UNION ALL
  (SELECT 'extra after update: ' || f FROM pg_temp.pgmig_catalog() f
   EXCEPT SELECT 'extra after update: ' || line FROM fresh)
  ORDER BY 1
$$;
RESET check_function_bodies;

SELECT * FROM pg_temp.update_chain('0.1');
SELECT * FROM pg_temp.diff_from_fresh();
DROP EXTENSION pgmig CASCADE;
DROP TABLE uc_t;

SELECT * FROM pg_temp.update_chain('0.2');
SELECT * FROM pg_temp.diff_from_fresh();
DROP EXTENSION pgmig CASCADE;
DROP TABLE uc_t;

SELECT * FROM pg_temp.update_chain('0.3');
SELECT * FROM pg_temp.diff_from_fresh();
DROP EXTENSION pgmig CASCADE;
DROP TABLE uc_t;

-- The comparison can fail: an object that a fresh install lacks shows up.
CREATE EXTENSION pgmig;
CREATE FUNCTION pgmig.uc_stray() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER EXTENSION pgmig ADD FUNCTION pgmig.uc_stray();
SELECT * FROM pg_temp.diff_from_fresh();
DROP EXTENSION pgmig CASCADE;

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
