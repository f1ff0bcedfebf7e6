--
-- 31_drift: the schema recorded after every run, and pgmig.drift().
--
CREATE EXTENSION pgmig;
SET client_min_messages = warning;   -- the Running upgrade/downgrade notices
DROP ROLE IF EXISTS regress_drift_monitor;
CREATE ROLE regress_drift_monitor;

-- nothing recorded yet: drift() says so; status() counts the guard's log
SELECT * FROM pgmig.drift();
SELECT drift FROM pgmig.status();
SELECT count(*) AS recorded FROM pgmig.schema_state;

-- a run records the schema it leaves
SELECT pgmig.add('d1', '{}', 'CREATE TABLE drift_t (id integer PRIMARY KEY, v text)',
				 'DROP TABLE drift_t', 'create drift_t');
SELECT pgmig.upgrade();
SELECT action, target, role_name = current_user AS by_me,
	   txid = (SELECT txid FROM pgmig.journal ORDER BY id DESC LIMIT 1) AS same_xact_as_journal,
	   snapshot = pgmig.snapshot() AS is_now
  FROM pgmig.schema_state;
-- the snapshot column is compressed with lz4 from PostgreSQL 14 on (to_jsonb:
-- pg_attribute has no attcompression on 13)
SELECT bool_and(CASE WHEN current_setting('server_version_num')::integer < 140000 THEN true
			ELSE to_jsonb(a)->>'attcompression' = 'l' END) AS lz4_where_available, count(*)
  FROM pg_attribute a
 WHERE a.attrelid = 'pgmig.schema_state'::regclass AND a.attname IN ('snapshot', 'snapshot_text');
SELECT * FROM pgmig.drift();
SELECT * FROM pgmig.check();
SELECT drift FROM pgmig.status();
-- what was recorded (the README's example)
SELECT o->>'id' AS id FROM jsonb_array_elements(pgmig.snapshot()->'objects') o;
SELECT jsonb_pretty(o) FROM jsonb_array_elements(pgmig.snapshot()->'objects') o
 WHERE o->>'id' = 'column public.drift_t.v';
-- while the record is the schema now, pgmig._recorded_snapshot() gives it
-- (the client's diff reads it), exactly pgmig.snapshot()'s text
SELECT pgmig._recorded_snapshot() = pgmig.snapshot()::text AS recorded_is_now;
-- the record is kept as text, its jsonb generated from that text by the
-- server: the two cannot disagree (the jsonb cannot be written on its own)
SELECT snapshot_text = snapshot::text AS text_is_the_jsonb,
	   snapshot_text = pgmig._snapshot_text() AS text_is_now
  FROM pgmig.schema_state;
\set VERBOSITY terse
UPDATE pgmig.schema_state SET snapshot = '{}';
\set VERBOSITY default
-- a record printed by another server version is not handed out (a minor
-- release may print a definition anew): the catalogs are read instead
BEGIN;
UPDATE pgmig.schema_state
   SET snapshot_text = replace(snapshot_text, '"server_version_num": ' || current_setting('server_version_num'),
							   '"server_version_num": 1' || current_setting('server_version_num'));
SELECT catalog_version = pgmig._catalog_version() AS digest_still_current,
	   pgmig._recorded_snapshot() IS NULL AS other_version_not_taken
  FROM pgmig.schema_state;
ROLLBACK;

-- changes outside a migration with the guard off: the guard logs nothing,
-- drift() names every object added, changed or removed
SET pgmig.guard = off;
CREATE TABLE drift_new (a integer);
ALTER TABLE drift_t ALTER COLUMN v SET DEFAULT 'x';
ALTER TABLE drift_t DROP COLUMN v;
ALTER TABLE drift_t ALTER COLUMN id SET DEFAULT 0;
CREATE INDEX drift_t_id ON drift_t (id DESC);
COMMENT ON TABLE drift_t IS 'changed by hand';
SELECT pgmig._recorded_snapshot() IS NULL AS not_the_schema_now;
SELECT count(*) AS guard_rows FROM pgmig.drift;
SELECT object, kind, change, keys FROM pgmig.drift();
SELECT object, recorded->>'def' AS recorded, current->>'def' AS current
  FROM pgmig.drift() WHERE change <> 'removed' AND kind = 'index';
-- check() warns, status() counts
SELECT * FROM pgmig.check();
SELECT drift FROM pgmig.status();

-- with the guard on (warn) the change is logged and also named by drift()
SET pgmig.guard = warn;
ALTER TABLE drift_new ADD COLUMN b text;
SELECT count(*) AS guard_rows FROM pgmig.drift;
SELECT object, change FROM pgmig.drift() WHERE object LIKE '%drift_new%';
SET pgmig.guard = off;

-- a run that changes nothing does not bless the drift
SELECT pgmig.upgrade();
SELECT count(*) AS still_drifted FROM pgmig.drift();

-- a run rolled back keeps the previous record
SELECT pgmig.add('d2', '{d1}', 'CREATE TABLE drift_d2 (a integer)', 'DROP TABLE drift_d2', 'd2');
BEGIN;
SELECT pgmig.upgrade();
SELECT action, target FROM pgmig.schema_state;
ROLLBACK;
SELECT action, target, count(*) OVER () FROM pgmig.schema_state;
SELECT count(*) AS still_drifted FROM pgmig.drift();

-- a run clears it: the schema it leaves is the expected one
SELECT pgmig.upgrade();
SELECT action, target FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
-- downgrade and stamp record too
SELECT pgmig.downgrade('d1');
SELECT action, target FROM pgmig.schema_state;
DROP TABLE drift_new;
SELECT object, change FROM pgmig.drift();
CREATE TABLE drift_d2 (a integer);
SELECT pgmig.stamp('d2');
SELECT action, target FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();

-- migrate() records after the revisions it committed, also when a later
-- one fails; like every run it accepts the schema it leaves, changes made
-- by hand before it included (drift_before_migrate is no longer drift)
SELECT pgmig.add('d3', '{d2}', 'CREATE TABLE drift_d3 (a integer)', 'DROP TABLE drift_d3', 'd3');
SELECT pgmig.add('d4', '{d3}', 'ALTER TABLE drift_missing ADD COLUMN b integer', 'SELECT 1', 'd4 fails');
CREATE TABLE drift_before_migrate (a integer);
CALL pgmig.migrate();
SELECT action, target FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
SELECT pgmig.repair(E'-- revision: d4\n-- down_revision: d3\n-- message: d4 fixed\n\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n');
DROP TABLE drift_before_migrate;
CALL pgmig.migrate();
SELECT action, target FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();

-- record_schema(): accept the schema as it is now
CREATE TABLE drift_accepted (a integer);
SELECT object, change FROM pgmig.drift();
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT action, target FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();

-- a monitoring role needs EXECUTE only (the comparison runs as the table's
-- owner); a hostile search_path does not reach into it
CREATE SCHEMA drift_evil;
CREATE FUNCTION drift_evil.jsonb_array_elements(jsonb) RETURNS SETOF jsonb
	LANGUAGE sql AS $$SELECT '{"id": "table public.fake", "kind": "table"}'::jsonb$$;
GRANT USAGE ON SCHEMA pgmig, drift_evil TO regress_drift_monitor;
GRANT EXECUTE ON FUNCTION pgmig.drift() TO regress_drift_monitor;
CREATE TABLE drift_seen (a integer);
SET ROLE regress_drift_monitor;
SET search_path = drift_evil, pg_catalog, public;
SELECT object, change FROM pgmig.drift();
SELECT count(*) FROM pgmig.schema_state;
SELECT pgmig.record_schema();
SELECT pgmig._recorded_snapshot() IS NULL;
RESET search_path;
RESET ROLE;
-- (granting changes a catalog row: record after it)
GRANT EXECUTE ON FUNCTION pgmig._recorded_snapshot() TO regress_drift_monitor;
SELECT pgmig.record_schema() > 0 AS recorded;
SET ROLE regress_drift_monitor;
SET search_path = drift_evil, pg_catalog, public;
SELECT pgmig._recorded_snapshot()::jsonb->'objects' @> '[{"id": "table public.drift_seen"}]' AS granted_reads_it;
RESET search_path;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pgmig._recorded_snapshot() FROM regress_drift_monitor;

DROP TABLE drift_seen, drift_accepted;

-- the shortcut: the catalogs' row versions (pgmig._catalog_version()) are
-- kept with the record, by the run or record_schema() that records it and
-- by a comparison that finds no drift; while they are the same, check(),
-- status() and drift() take no new snapshot.  Every change below must
-- still be named.
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT catalog_version = pgmig._catalog_version() AS recorded_with_version FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
-- a comparison without drift keeps it too (here after it was cleared)
UPDATE pgmig.schema_state SET catalog_version = NULL;
SELECT * FROM pgmig.drift();
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
-- a temporary table is not part of the schema, and not a change: nor are
-- its columns, index, constraints, default, trigger, type, dependencies
-- and comments
CREATE TEMP TABLE drift_tmp (a serial PRIMARY KEY, b text CHECK (b <> ''));
COMMENT ON TABLE drift_tmp IS 'temporary';
COMMENT ON COLUMN drift_tmp.b IS 'temporary too';
CREATE FUNCTION pg_temp.drift_tmp_trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER drift_tmp_t BEFORE INSERT ON drift_tmp FOR EACH ROW EXECUTE FUNCTION pg_temp.drift_tmp_trg();
CREATE TEMP VIEW drift_tmp_v AS SELECT a FROM drift_tmp;
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
DROP TABLE drift_tmp CASCADE;
DROP FUNCTION pg_temp.drift_tmp_trg();
-- a table created and dropped again leaves the catalogs' visible rows as
-- they were
CREATE TABLE drift_gone (a integer);
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
DROP TABLE drift_gone;
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
-- a comment on a column is a change
COMMENT ON COLUMN drift_t.id IS 'drift by comment';
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
SELECT object, change, keys FROM pgmig.drift();
COMMENT ON COLUMN drift_t.id IS NULL;
SELECT * FROM pgmig.drift();
-- a change in the same transaction as the comparison that stored the
-- version: same transaction id, but a new row version at a new place
BEGIN;
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT count(*) AS drifted FROM pgmig.drift();
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
ALTER TABLE drift_t ALTER COLUMN id TYPE bigint;
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
SELECT object, change, keys FROM pgmig.drift();
ROLLBACK;
-- a comparison that finds drift stores nothing
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT count(*) AS drifted FROM pgmig.drift();
CREATE TABLE drift_extra (a integer);
SELECT object, change FROM pgmig.drift();
SELECT catalog_version = pgmig._catalog_version() AS same_version FROM pgmig.schema_state;
DROP TABLE drift_extra;
-- a comment on the public schema (a system row: OID below 16384)
SELECT count(*) AS drifted FROM pgmig.drift();
COMMENT ON SCHEMA public IS 'drift by comment';
SELECT object, change FROM pgmig.drift();
COMMENT ON SCHEMA public IS 'standard public schema';
SELECT * FROM pgmig.drift();
-- a grant, and then the grantee renamed (grants print role names)
GRANT SELECT ON drift_t TO regress_drift_monitor;
SELECT object, change FROM pgmig.drift();
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT count(*) AS drifted FROM pgmig.drift();
ALTER ROLE regress_drift_monitor RENAME TO regress_drift_watcher;
SELECT object, change FROM pgmig.drift();
ALTER ROLE regress_drift_watcher RENAME TO regress_drift_monitor;
SELECT * FROM pgmig.drift();
REVOKE SELECT ON drift_t FROM regress_drift_monitor;
-- a change with event triggers off and the guard off (session_replication_role)
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT count(*) AS drifted FROM pgmig.drift();
SET session_replication_role = replica;
SET pgmig.guard = off;
ALTER TABLE drift_t ADD COLUMN hidden integer;
RESET session_replication_role;
SELECT object, change FROM pgmig.drift();
SELECT severity, problem FROM pgmig.check();
ALTER TABLE drift_t DROP COLUMN hidden;
SELECT * FROM pgmig.drift();
-- the digest never hides a change: for each kind of change below, whenever
-- the snapshot differs after it, the digest differs too (both read in the
-- same function, statement by statement)
SET pgmig.guard = off;
CREATE TEMP TABLE drift_steps (n serial, stmt text, schema_changed boolean, version_changed boolean);
CREATE FUNCTION pg_temp.drift_step(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  s0 jsonb := pgmig.snapshot();
  v0 text := pgmig._catalog_version();
BEGIN
  EXECUTE stmt;
  INSERT INTO drift_steps (stmt, schema_changed, version_changed)
  VALUES (stmt, s0 IS DISTINCT FROM pgmig.snapshot(), v0 IS DISTINCT FROM pgmig._catalog_version());
END $$;
SELECT count(pg_temp.drift_step(x)) AS steps FROM unnest(ARRAY[
  'CREATE TABLE drift_k (a integer, b text)',
  'ALTER TABLE drift_k ADD COLUMN c integer',
  'ALTER TABLE drift_k ALTER COLUMN c TYPE bigint',
  'ALTER TABLE drift_k ALTER COLUMN c SET DEFAULT 1',
  'ALTER TABLE drift_k ALTER COLUMN c SET NOT NULL',
  'ALTER TABLE drift_k RENAME COLUMN c TO d',
  'CREATE INDEX drift_k_i ON drift_k (a)',
  'ALTER INDEX drift_k_i RENAME TO drift_k_j',
  'ALTER TABLE drift_k ADD CONSTRAINT drift_k_ck CHECK (a > 0)',
  'CREATE VIEW drift_kv AS SELECT a, b FROM drift_k',
  'ALTER TABLE drift_k RENAME TO drift_k2',
  'CREATE SEQUENCE drift_kseq',
  'ALTER SEQUENCE drift_kseq INCREMENT BY 2',
  'CREATE TYPE drift_ke AS ENUM (''a'')',
  'ALTER TYPE drift_ke ADD VALUE ''b''',
  'CREATE DOMAIN drift_kd AS integer CHECK (VALUE > 0)',
  'ALTER DOMAIN drift_kd ADD CONSTRAINT drift_kd_max CHECK (VALUE < 100)',
  'CREATE FUNCTION drift_kf() RETURNS integer LANGUAGE sql AS ''SELECT 1''',
  'CREATE OR REPLACE FUNCTION drift_kf() RETURNS integer LANGUAGE sql AS ''SELECT 2''',
  'ALTER FUNCTION drift_kf() RENAME TO drift_kg',
  'CREATE FUNCTION drift_kt() RETURNS trigger LANGUAGE plpgsql AS ''BEGIN RETURN NEW; END''',
  'CREATE TRIGGER drift_ktr BEFORE INSERT ON drift_k2 FOR EACH ROW EXECUTE FUNCTION drift_kt()',
  'ALTER TABLE drift_k2 DISABLE TRIGGER drift_ktr',
  'COMMENT ON TABLE drift_k2 IS ''commented''',
  'ALTER TABLE drift_k2 ENABLE ROW LEVEL SECURITY',
  'CREATE POLICY drift_kp ON drift_k2 USING (a > 0)',
  'GRANT SELECT ON drift_k2 TO regress_drift_monitor',
  'ALTER ROLE regress_drift_monitor RENAME TO regress_drift_renamed',
  'ALTER ROLE regress_drift_renamed RENAME TO regress_drift_monitor',
  'REVOKE SELECT ON drift_k2 FROM regress_drift_monitor',
  'CREATE SCHEMA drift_ks',
  'ALTER TABLE drift_k2 SET SCHEMA drift_ks',
  'ALTER TABLE drift_ks.drift_k2 SET UNLOGGED',
  'DROP VIEW drift_kv',
  'DROP SCHEMA drift_ks CASCADE',
  'DROP FUNCTION drift_kg(), drift_kt()',
  'DROP DOMAIN drift_kd',
  'DROP TYPE drift_ke',
  'DROP SEQUENCE drift_kseq'
]) AS x;
SELECT n, schema_changed, version_changed, stmt FROM drift_steps ORDER BY n;
SELECT count(*) FILTER (WHERE schema_changed AND NOT version_changed) AS hidden FROM drift_steps;
DROP TABLE drift_steps;
DROP FUNCTION pg_temp.drift_step(text);
-- pgmig.record_schema = deferred: a run keeps only the digest of the schema
-- it leaves (its locks are not held while a snapshot is taken); the next
-- comparison that finds the catalogs at that digest takes the snapshot
SELECT pgmig.record_schema() > 0 AS recorded;
SET pgmig.record_schema = deferred;
SELECT pgmig.add('d5', '{d4}', 'CREATE TABLE drift_d5 (a integer)', 'DROP TABLE drift_d5', 'd5');
SET client_min_messages = warning;
SELECT pgmig.upgrade();
RESET client_min_messages;
SELECT action, target, pending_version = pgmig._catalog_version() AS pending,
       snapshot->'objects' @> '[{"id": "table public.drift_d5"}]' AS has_d5
  FROM pgmig.schema_state;
SELECT * FROM pgmig.drift();
SELECT pending_version IS NULL AS taken, catalog_version = pgmig._catalog_version() AS same_version,
       snapshot->'objects' @> '[{"id": "table public.drift_d5"}]' AS has_d5
  FROM pgmig.schema_state;
SELECT snapshot = pgmig.snapshot() AS equals_a_snapshot_now FROM pgmig.schema_state;
-- DDL run outside pgmig first takes the snapshot a run left pending (the
-- event trigger pgmig_record_pending), so the comparison names that DDL only
SET client_min_messages = warning;
SELECT pgmig.downgrade('d4');
RESET client_min_messages;
SELECT pending_version IS NOT NULL AS pending FROM pgmig.schema_state;
CREATE TABLE drift_outside (a integer);
SELECT pending_version IS NULL AS taken,
       snapshot->'objects' @> '[{"id": "table public.drift_d5"}]' AS has_d5
  FROM pgmig.schema_state;
SELECT object, change FROM pgmig.drift();
DROP TABLE drift_outside;
SELECT * FROM pgmig.drift();
-- with event triggers disabled (a superuser's session_replication_role), a
-- change before the snapshot was taken: a warning, and the comparison with
-- the schema recorded before the run (which lists the run's change too)
SET client_min_messages = warning;
SELECT pgmig.upgrade();
RESET client_min_messages;
SET session_replication_role = replica;
CREATE TABLE drift_sneaky (a integer);
RESET session_replication_role;
SELECT object, change FROM pgmig.drift();
SELECT pending_version IS NOT NULL AS still_pending FROM pgmig.schema_state;
SELECT pgmig._recorded_snapshot() IS NULL AS not_while_pending;
-- accepting the schema records it at once, whatever the setting
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT pending_version IS NULL AS taken, snapshot = pgmig.snapshot() AS equals_a_snapshot_now
  FROM pgmig.schema_state;
DROP TABLE drift_sneaky;
-- only a superuser chooses it: a deploy role cannot weaken the record
SET ROLE regress_drift_monitor;
SET pgmig.record_schema = immediate;
RESET ROLE;
RESET pgmig.record_schema;
SELECT pgmig.record_schema() > 0 AS recorded;
-- a read-only transaction compares, and stores nothing
SELECT pgmig.record_schema() > 0 AS recorded;
UPDATE pgmig.schema_state SET catalog_version = NULL;
BEGIN READ ONLY;
SELECT count(*) AS drifted FROM pgmig.drift();
SELECT catalog_version IS NULL AS not_stored FROM pgmig.schema_state;
COMMIT;
-- a damaged record: check() and status() warn, say drift is not counted
-- (status().drift NULL), and tell how to record the schema again
SELECT pgmig.record_schema() > 0 AS recorded;
UPDATE pgmig.schema_state SET snapshot_text = '{"format": 1, "objects": 5}', catalog_version = NULL;
SELECT drift, problems FROM pgmig.status();
SELECT severity, problem FROM pgmig.check() WHERE problem LIKE 'drift not counted%';
-- drift() refuses it with its own error (not the bare jsonb one), also a
-- record of another format and one whose objects have no id
SELECT count(*) FROM pgmig.drift();
UPDATE pgmig.schema_state SET snapshot_text = jsonb_set(pgmig.snapshot(), '{format}', '2')::text;
SELECT count(*) FROM pgmig.drift();
UPDATE pgmig.schema_state SET snapshot_text = '{"format": 1, "objects": [{"kind": "schema"}]}';
SELECT count(*) FROM pgmig.drift();
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT drift FROM pgmig.status();
-- a run that changes no catalog row (a data migration) keeps the snapshot
-- recorded with the catalogs' digest, and records who and when: the marker
-- no snapshot has (schema_state is data, outside the digest) stays
SELECT pgmig.record_schema() > 0 AS recorded;
UPDATE pgmig.schema_state SET snapshot_text = (snapshot || '{"marker": true}')::text;
SELECT pgmig.add('d6', (SELECT array_agg(revision) FROM pgmig.heads()),
				 'INSERT INTO drift_t (id) VALUES (6)', 'DELETE FROM drift_t WHERE id = 6', 'd6 data');
SELECT pgmig.upgrade();
SELECT action, target, snapshot ? 'marker' AS kept,
	   txid = (SELECT txid FROM pgmig.journal ORDER BY id DESC LIMIT 1) AS same_xact_as_journal
  FROM pgmig.schema_state;
SELECT pgmig.downgrade('-1');
SELECT action, target, snapshot ? 'marker' AS kept FROM pgmig.schema_state;
-- the same under pgmig.record_schema = deferred: nothing left pending
SET pgmig.record_schema = deferred;
SELECT pgmig.upgrade();
SELECT action, snapshot ? 'marker' AS kept, pending_version IS NULL AS nothing_pending
  FROM pgmig.schema_state;
SELECT pgmig.downgrade('-1');
-- not when the catalogs changed since: a schema change takes it again
-- (immediate: the run itself; deferred, the default, waits for the next comparison)
SET pgmig.record_schema = immediate;
SELECT pgmig.upgrade();
COMMENT ON TABLE drift_t IS 'changed outside';
SELECT pgmig.downgrade('-1');
SELECT action, snapshot ? 'marker' AS kept, snapshot = pgmig.snapshot() AS is_now FROM pgmig.schema_state;
RESET pgmig.record_schema;
COMMENT ON TABLE drift_t IS NULL;
-- nor under record_schema(), which always takes it again
SELECT pgmig.record_schema() > 0 AS recorded;
UPDATE pgmig.schema_state SET snapshot_text = (snapshot || '{"marker": true}')::text;
SELECT pgmig.record_schema() > 0 AS recorded;
SELECT snapshot ? 'marker' AS kept FROM pgmig.schema_state;
SELECT pgmig.downgrade('base');
SELECT to_regclass('drift_t') IS NULL AS gone, action, target FROM pgmig.schema_state;
DROP SCHEMA drift_evil CASCADE;
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig;
DROP OWNED BY regress_drift_monitor;
DROP ROLE regress_drift_monitor;
