-- CALL pgmig.migrate(): one transaction per revision.
CREATE EXTENSION pgmig;
SET pgmig.guard = off;

SELECT pgmig.add('m1', '{}', 'CREATE TABLE mig_t (id int)', 'DROP TABLE mig_t', 'one');
SELECT pgmig.add('m2', '{m1}', 'ALTER TABLE mig_t ADD COLUMN a int', 'ALTER TABLE mig_t DROP COLUMN a', 'two');
SELECT pgmig.add('m3', '{m2}', 'ALTER TABLE mig_t ADD COLUMN b int; INSERT INTO mig_nonexistent VALUES (1)',
                 'ALTER TABLE mig_t DROP COLUMN b', 'three fails');
SELECT pgmig.add('m4', '{m3}', 'ALTER TABLE mig_t ADD COLUMN c int', 'ALTER TABLE mig_t DROP COLUMN c', 'four');

-- not inside a transaction block, not from a function
BEGIN;
CALL pgmig.migrate();
ROLLBACK;
CREATE FUNCTION mig_f() RETURNS void LANGUAGE plpgsql AS $$BEGIN CALL pgmig.migrate(); END$$;
SELECT mig_f();
DROP FUNCTION mig_f();
-- a DO block's CALL is non-atomic, so it can commit (m3 fails: see below)
DO $$BEGIN CALL pgmig.migrate(); END$$;
SELECT revision FROM pgmig.current();
SELECT pgmig.stamp('base');
DROP TABLE mig_t;

-- a failure keeps the revisions before it, rolls back the failing one,
-- and says so in the journal
CALL pgmig.migrate();
SELECT revision FROM pgmig.applied ORDER BY revision;
SELECT action, revision, detail FROM pgmig.journal WHERE action <> 'load' ORDER BY id;
SELECT attname FROM pg_attribute WHERE attrelid = 'mig_t'::regclass AND attnum > 0 ORDER BY attnum;
-- the migration lock was released despite the error
SELECT lock_pid FROM pgmig.status();
SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 20557;

-- fix the revision and run again: it continues where it stopped
SELECT pgmig.repair(E'-- revision: m3\n-- down_revision: m2\n-- message: three fixed\n\n-- migrate:up\nALTER TABLE mig_t ADD COLUMN b int;\n\n-- migrate:down\nALTER TABLE mig_t DROP COLUMN b;\n');
CALL pgmig.migrate();
SELECT revision FROM pgmig.current();
CALL pgmig.migrate();     -- nothing left

-- targets, relative ones included, and downgrades
CALL pgmig.migrate('m2', downgrade => true);
SELECT revision FROM pgmig.current();
CALL pgmig.migrate('+1');
SELECT revision FROM pgmig.current();
CALL pgmig.migrate('base', true);
SELECT count(*) AS applied FROM pgmig.applied;
SELECT to_regclass('mig_t') IS NULL AS dropped;

-- non-transactional revisions stop the run after the ones before it are
-- committed, pointing at the client; an invalid index left by a failed
-- CREATE INDEX CONCURRENTLY is reported with the statement that drops it
CREATE TABLE mig_dup (a int);
INSERT INTO mig_dup VALUES (1), (1);
CREATE UNIQUE INDEX CONCURRENTLY mig_dup_a ON mig_dup (a);
SELECT pgmig.add('m5', '{m4}', 'CREATE INDEX CONCURRENTLY mig_c ON mig_t (c)',
                 'DROP INDEX CONCURRENTLY mig_c', 'five cic', transactional => false);
CALL pgmig.migrate();
SELECT revision FROM pgmig.current();
SELECT lock_pid FROM pgmig.status();
DROP INDEX CONCURRENTLY mig_dup_a;
CALL pgmig.migrate();
-- the client runs m5, then records it
SELECT pgmig.record_step('m5');
CALL pgmig.migrate('m5');
CALL pgmig.migrate('base', true);

DROP EXTENSION pgmig CASCADE;
DROP TABLE mig_dup, mig_t;
-- DROP EXTENSION leaves the schema named in the control file behind
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
