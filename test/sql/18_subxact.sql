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
DROP EXTENSION pgmig CASCADE;
