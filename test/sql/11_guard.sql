-- The guard: DDL outside a pgmig run is drift.
CREATE EXTENSION pgmig;
SHOW pgmig.guard;

-- warn (the default): the change goes through, is recorded and warned about
CREATE TABLE guard_t (id int PRIMARY KEY);
ALTER TABLE guard_t ADD COLUMN v text;
CREATE INDEX guard_t_v ON guard_t (v);
COMMENT ON TABLE guard_t IS 'hello';
DROP INDEX guard_t_v;
CREATE INDEX CONCURRENTLY guard_t_c ON guard_t (v);
DROP INDEX CONCURRENTLY guard_t_c;
SELECT role_name = current_user AS by_me, command_tag, object_type, object_identity,
       schema_name, statement, backend_pid = pg_backend_pid() AS my_pid, action
  FROM pgmig.drift ORDER BY id;
SELECT drift FROM pgmig.status();

-- not drift: temporary objects
CREATE TEMP TABLE guard_tmp (a int);
DROP TABLE guard_tmp;
-- not drift: pgmig's own runs
SELECT pgmig.add('g1', '{}', 'CREATE TABLE guard_rev (a int)', 'DROP TABLE guard_rev', 'guarded');
SELECT pgmig.upgrade();
SELECT pgmig.downgrade('base');
-- not drift: CREATE/ALTER EXTENSION of any extension
CREATE EXTENSION pg_stat_statements;
DROP EXTENSION pg_stat_statements;
-- not drift: pg_restore
SET application_name = 'pg_restore';
CREATE TABLE guard_restored (a int);
RESET application_name;
-- not drift: a pg_dump script restored with psql (it empties search_path)
SET search_path = '';
CREATE TABLE public.guard_restored_plain (a int);
RESET search_path;
SELECT count(*) AS drift_rows FROM pgmig.drift;
SELECT command_tag, object_identity FROM pgmig.drift WHERE id > 5 ORDER BY id;

-- a role without any privilege on pgmig still gets its DDL recorded
CREATE ROLE pgmig_guard_user;
CREATE SCHEMA guard_s AUTHORIZATION pgmig_guard_user;
SET ROLE pgmig_guard_user;
CREATE TABLE guard_s.mine (a int);
SELECT count(*) FROM pgmig.drift;   -- cannot read it
SET pgmig.guard = off;              -- nor switch the guard off
RESET ROLE;
SELECT role_name, session_role, command_tag, object_identity
  FROM pgmig.drift WHERE object_identity = 'guard_s.mine';

-- error: refused, nothing recorded, named in the message
SET pgmig.guard = error;
CREATE TABLE guard_refused (a int);
ALTER TABLE guard_t ADD COLUMN w int;
DROP TABLE guard_t;
SELECT to_regclass('guard_refused') IS NULL AS not_created,
       to_regclass('guard_t') IS NOT NULL AS not_dropped;
-- still fine inside pgmig runs and for temporary objects
SELECT pgmig.upgrade();
CREATE TEMP TABLE guard_tmp2 (a int);
SELECT pgmig.downgrade('base');
CALL pgmig.migrate();
CALL pgmig.migrate('base', true);
SELECT * FROM pgmig.test_roundtrip();

-- Holding the migration lock exempts nothing: hand-made DDL in a session
-- that took the lock is refused like any other.
SELECT pgmig.lock();
CREATE TABLE guard_locked (id int);
\echo :SQLSTATE
CREATE INDEX CONCURRENTLY guard_t_cic ON guard_t (id);
\echo :SQLSTATE
-- The pgmig client runs a non-transactional revision statement by
-- statement: begin_statement() hands out the server's cut of statement N
-- and lets exactly that text through, once.
SELECT pgmig.add('g_nt', '{}',
       E'CREATE INDEX CONCURRENTLY guard_t_cic ON guard_t (id);\nDROP INDEX CONCURRENTLY guard_t_cic;',
       'SELECT 1;', 'non-transactional', transactional => false);
SELECT pgmig.begin_statement('g_nt', 'upgrade', 1) \gexec
SELECT pgmig.end_statement('g_nt', 'upgrade', 1);
SELECT revision, direction, done FROM pgmig.statement_progress;
-- used up: the same text again is refused
DROP INDEX guard_t_cic;
CREATE INDEX CONCURRENTLY guard_t_cic ON guard_t (id);
\echo :SQLSTATE
SELECT pgmig.begin_statement('g_nt', 'upgrade', 2) \gexec
SELECT count(*) AS index_left FROM pg_class WHERE relname = 'guard_t_cic';
SELECT pgmig.begin_statement('g_nt', 'upgrade', 3) IS NULL AS past_the_end;
-- recording the whole revision clears its progress
SELECT pgmig.record_step('g_nt');
SELECT count(*) AS progress_rows FROM pgmig.statement_progress;
SELECT pgmig.unlock();
-- begin_statement() needs the lock, and a non-transactional revision
SELECT pgmig.begin_statement('g_nt', 'upgrade', 1);
SELECT pgmig.stamp('base');
SELECT pgmig.lock();
SELECT pgmig.begin_statement('g_nt', 'sideways', 1);
SELECT pgmig.unlock();
DELETE FROM pgmig.revision WHERE id = 'g_nt';
-- CREATE INDEX CONCURRENTLY commits as it goes: it is refused before it
-- starts, so no invalid index is left behind
CREATE INDEX CONCURRENTLY guard_t_cic2 ON guard_t (id);
SELECT count(*) AS leftover FROM pg_class WHERE relname = 'guard_t_cic2';
CREATE TEMP TABLE guard_tmp3 (a int);
CREATE INDEX CONCURRENTLY guard_tmp3_a ON guard_tmp3 (a);

-- off: nothing at all
SET pgmig.guard = off;
CREATE TABLE guard_silent (a int);
SELECT count(*) FROM pgmig.drift WHERE object_identity = 'public.guard_silent';
RESET pgmig.guard;

-- other event triggers keep working alongside the guard
CREATE FUNCTION guard_other() RETURNS event_trigger LANGUAGE plpgsql AS
$$BEGIN RAISE NOTICE 'other trigger saw %', tg_tag; END$$;
CREATE EVENT TRIGGER guard_other ON ddl_command_end EXECUTE FUNCTION guard_other();
CREATE TABLE guard_both (a int);
DROP EVENT TRIGGER guard_other;
DROP FUNCTION guard_other();

-- DROP EXTENSION with the guard in place
DROP EXTENSION pgmig CASCADE;
DROP TABLE guard_t, guard_restored, guard_restored_plain, guard_silent, guard_both;
DROP SCHEMA guard_s CASCADE;
DROP ROLE pgmig_guard_user;
-- DROP EXTENSION leaves the schema named in the control file behind
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
