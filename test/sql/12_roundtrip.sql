-- test_roundtrip(): upgrade, downgrade, compare catalog fingerprints.
CREATE EXTENSION pgmig;
SET pgmig.guard = off;
SET client_min_messages = warning;   -- the Running upgrade/downgrade notices

CREATE TABLE rt_t (id int PRIMARY KEY, b int DEFAULT 0, c text);

-- a correct revision
SELECT pgmig.add('r1', '{}',
  $$CREATE TABLE rt_new (a int NOT NULL, s serial);
    CREATE VIEW rt_v AS SELECT a FROM rt_new;
    COMMENT ON TABLE rt_new IS 'new';
    GRANT SELECT ON rt_new TO PUBLIC;$$,
  $$DROP VIEW rt_v; DROP TABLE rt_new;$$, 'correct');
-- a downgrade that forgets to drop an index (IF NOT EXISTS lets the
-- upgrade run again, so the test goes on to the next revisions)
SELECT pgmig.add('r2', '{r1}', 'CREATE INDEX IF NOT EXISTS rt_t_c ON rt_t (c)', 'SELECT 1', 'forgets the index');
-- a downgrade that forgets to restore a default
SELECT pgmig.add('r3', '{r2}', 'ALTER TABLE rt_t ALTER COLUMN b SET DEFAULT 5',
                 'ALTER TABLE rt_t ALTER COLUMN b DROP DEFAULT', 'forgets the default');
-- a downgrade that forgets to undo a NOT NULL and a grant
SELECT pgmig.add('r4', '{r3}',
  $$ALTER TABLE rt_t ALTER COLUMN c SET NOT NULL;
    CREATE FUNCTION rt_f(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1';
    GRANT SELECT ON rt_t TO PUBLIC;$$,
  $$DROP FUNCTION rt_f(int);$$, 'half a downgrade');
-- an irreversible revision
SELECT pgmig.add('r5', '{r4}', 'CREATE TABLE rt_irr (a int)', NULL, 'irreversible');
-- a downgrade that fails
SELECT pgmig.add('r6', '{r5}', 'CREATE TABLE rt_bad (a int)', 'DROP TABLE rt_nonexistent', 'bad downgrade');

SELECT * FROM pgmig.test_roundtrip();

-- everything was rolled back
SELECT count(*) AS applied FROM pgmig.applied;
SELECT count(*) AS journal_rows FROM pgmig.journal WHERE action <> 'load';
SELECT to_regclass('rt_new') IS NULL AS no_rt_new, to_regclass('rt_t_c') IS NULL AS no_index;
SELECT pg_get_expr(adbin, adrelid) AS b_default FROM pg_attrdef WHERE adrelid = 'rt_t'::regclass;

-- a target limits the test; applied revisions are not tested again
SELECT * FROM pgmig.test_roundtrip('r1');
SELECT pgmig.upgrade('r3');
SELECT * FROM pgmig.test_roundtrip('r4');
SELECT * FROM pgmig.test_roundtrip('r3');

SELECT pgmig.downgrade('base');

-- a forgotten index that makes the upgrade fail the second time stops the
-- test there, as does an upgrade that fails at once
SELECT pgmig.add('r7', '{r6}', 'CREATE INDEX rt_t_b ON rt_t (b)', 'SELECT 1', 'forgets again');
SELECT pgmig.add('r8', '{r7}', 'ALTER TABLE rt_missing ADD COLUMN x int', 'SELECT 1', 'broken upgrade');
SELECT revision, ok, difference FROM pgmig.test_roundtrip() WHERE revision >= 'r6';
-- an upgrade that fails is reported, and the test stops there
SELECT pgmig.upgrade('r7');
SELECT * FROM pgmig.test_roundtrip('r8');
SELECT pgmig.repair(E'-- revision: r8\n-- down_revision: r7\n-- message: fixed\n\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n');
SELECT pgmig.upgrade('r8');

-- non-transactional revisions cannot be tested in a transaction
SELECT pgmig.add('r9', '{r8}', 'CREATE INDEX CONCURRENTLY rt_cic ON rt_t (b)',
                 'DROP INDEX CONCURRENTLY rt_cic', 'cic', transactional => false);
SELECT * FROM pgmig.test_roundtrip();
SELECT count(*) AS applied FROM pgmig.applied;

DROP EXTENSION pgmig CASCADE;
DROP VIEW rt_v;
DROP TABLE rt_t, rt_new, rt_irr, rt_bad;
DROP FUNCTION rt_f(int);
-- DROP EXTENSION leaves the schema named in the control file behind
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
