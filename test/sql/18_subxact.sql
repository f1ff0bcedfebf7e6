--
-- 18_subxact: the one subtransaction protocol and its callers' policies.
--
-- The DDL guard records drift inside a subtransaction and must never make
-- the user's DDL fail because recording failed: such a failure becomes a
-- WARNING that keeps the original message.  But a query cancel, a shutdown
-- or running out of memory is not "recording failed": those are re-thrown,
-- as PL/pgSQL's OTHERS does not catch a cancel.  A trigger on pgmig.drift
-- stands in for the failures here, raising the SQLSTATE under test.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pgmig CASCADE;
DROP TABLE IF EXISTS sx_a, sx_b, sx_c;
RESET client_min_messages;
CREATE EXTENSION pgmig;
\set VERBOSITY default
-- the set-up is not under test: the guard watches only the DDL below
SET pgmig.guard = off;

CREATE FUNCTION pgmig.sx_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'drift insert failed on purpose'
    USING ERRCODE = TG_ARGV[0], HINT = 'This hint is kept.';
END $$;

-- An ordinary failure: the DDL goes through, with the reason as a WARNING.
CREATE TRIGGER sx_fail BEFORE INSERT ON pgmig.drift
  FOR EACH ROW EXECUTE FUNCTION pgmig.sx_fail('P0001');
SET pgmig.guard = warn;
CREATE TABLE sx_a (id int);
SELECT to_regclass('sx_a') IS NOT NULL AS sx_a_exists;
SELECT count(*) AS drift_rows FROM pgmig.drift;

-- A query cancel while recording: the DDL is cancelled, not let through.
SET pgmig.guard = off;
DROP TRIGGER sx_fail ON pgmig.drift;
CREATE TRIGGER sx_fail BEFORE INSERT ON pgmig.drift
  FOR EACH ROW EXECUTE FUNCTION pgmig.sx_fail('57014');
SET pgmig.guard = warn;
CREATE TABLE sx_b (id int);
\echo :SQLSTATE
SELECT to_regclass('sx_b') IS NULL AS sx_b_absent;

-- Out of memory likewise.
SET pgmig.guard = off;
DROP TRIGGER sx_fail ON pgmig.drift;
CREATE TRIGGER sx_fail BEFORE INSERT ON pgmig.drift
  FOR EACH ROW EXECUTE FUNCTION pgmig.sx_fail('53200');
SET pgmig.guard = warn;
CREATE TABLE sx_c (id int);
\echo :SQLSTATE
SELECT to_regclass('sx_c') IS NULL AS sx_c_absent;

-- With recording working again, drift is recorded as before.
SET pgmig.guard = off;
DROP TRIGGER sx_fail ON pgmig.drift;
SET pgmig.guard = warn;
CREATE TABLE sx_c (id int);
SELECT object_identity FROM pgmig.drift;
SET pgmig.guard = off;

DROP TABLE sx_a, sx_c;

-- A revision runs in a subtransaction of its own only when a lock timeout
-- can be retried (pgmig.lock_timeout and pgmig.lock_retries both above 0):
-- otherwise an error ends the whole call anyway, and a run of hundreds of
-- revisions must not open hundreds of subtransactions (past 64 the
-- backend's subtransaction cache overflows and every other session's
-- snapshots consult pg_subtrans).  The catalog rows a revision writes carry
-- the id of the (sub)transaction that ran it.
SET client_min_messages = warning;
SELECT pgmig.load($f$-- revision: sx1
-- migrate:up
CREATE TABLE sx_r1 (id int);
-- migrate:down
DROP TABLE sx_r1;
$f$);
SELECT pgmig.load($f$-- revision: sx2
-- down_revision: sx1
-- migrate:up
CREATE TABLE sx_r2 (id int);
-- migrate:down
DROP TABLE sx_r2;
$f$);
BEGIN;
SELECT pgmig.upgrade('head');
SELECT count(DISTINCT xmin::text) AS xids,
       bool_and(xmin = xid(pg_current_xact_id())) AS all_top_level
  FROM pg_class WHERE relname IN ('sx_r1', 'sx_r2');
ROLLBACK;
BEGIN;
SET LOCAL pgmig.lock_timeout = '1s';
SELECT pgmig.upgrade('head');
SELECT count(DISTINCT xmin::text) AS xids,
       bool_or(xmin = xid(pg_current_xact_id())) AS any_top_level
  FROM pg_class WHERE relname IN ('sx_r1', 'sx_r2');
ROLLBACK;

-- Without the subtransaction, a failing revision still leaves pgmig as it
-- found it when the caller catches the error: the error names the
-- revision, nothing of the call stays, and the session is no longer "in
-- a run" (the guard sees the DDL that follows).
SELECT pgmig.load($f$-- revision: sx3
-- down_revision: sx2
-- migrate:up
CREATE TABLE sx_r3 (id int);
SELECT 1 / 0;
-- migrate:down
DROP TABLE sx_r3;
$f$);
RESET client_min_messages;
DO $$
DECLARE
  ctx text;
BEGIN
  PERFORM pgmig.upgrade('head');
EXCEPTION WHEN division_by_zero THEN
  GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
  RAISE NOTICE 'caught: % (%)', SQLERRM,
    substring(ctx FROM 'pgmig upgrade of revision [^\n]*');
END $$;
SELECT to_regclass('sx_r1') IS NULL AS sx_r1_absent, count(*) AS applied FROM pgmig.applied;
SET pgmig.guard = warn;
CREATE TABLE sx_after (id int);
SET pgmig.guard = off;
SELECT object_identity FROM pgmig.drift WHERE object_identity = 'public.sx_after';
DROP TABLE sx_after;
DROP EXTENSION pgmig CASCADE;
