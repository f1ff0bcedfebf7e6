-- The 0.1 -> 0.2 update path: data written under 0.1 survives the update,
-- and the new objects exist afterwards.
SET client_min_messages = notice;
CREATE EXTENSION pgmig VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';

SELECT pgmig.add('a1', '{}', 'CREATE TABLE upd_t (id int)', 'DROP TABLE upd_t', 'first');
SELECT pgmig.add('b2', '{a1}', 'ALTER TABLE upd_t ADD COLUMN v text', 'ALTER TABLE upd_t DROP COLUMN v', 'second');
SELECT pgmig.upgrade('a1');
SELECT to_regclass('pgmig.drift') IS NULL AS no_drift_in_01;

ALTER EXTENSION pgmig UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';

-- data survived
SELECT id, down_revision, message FROM pgmig.revision ORDER BY id;
SELECT revision FROM pgmig.applied ORDER BY revision;
SELECT action, revision FROM pgmig.journal ORDER BY id;

-- new objects exist
SELECT to_regclass('pgmig.drift') IS NOT NULL AS has_drift;
SELECT p.proname, p.prokind FROM pg_proc p
 WHERE p.pronamespace = 'pgmig'::regnamespace
   AND p.proname IN ('migrate', 'test_roundtrip', '_guard') ORDER BY 1;
SELECT evtname, evtevent, evtenabled FROM pg_event_trigger
 WHERE evtname LIKE 'pgmig%' ORDER BY 1;
SELECT count(*) AS config_tables FROM pg_extension e, unnest(e.extconfig) c
 WHERE e.extname = 'pgmig';

-- and the engine still works across the update
SELECT pgmig.upgrade();
SELECT revision FROM pgmig.current();
SELECT drift FROM pgmig.status();

DROP EXTENSION pgmig CASCADE;
DROP TABLE upd_t;

-- a plain CREATE EXTENSION installs 0.1 and applies the update script
SELECT default_version FROM pg_available_extensions WHERE name = 'pgmig';
CREATE EXTENSION pgmig;
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';
SELECT to_regclass('pgmig.drift') IS NOT NULL AS has_drift;
DROP EXTENSION pgmig;
-- DROP EXTENSION leaves the schema named in the control file behind
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
