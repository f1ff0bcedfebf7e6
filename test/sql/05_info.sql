--
-- 05_info: check(), status(), graph(), script() and the journal.
--
-- The DDL guard (tested in 11_guard) would warn about this file's own
-- set-up tables; these tests are about the engine, so it is off here.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP TABLE IF EXISTS info_t CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default
SET client_min_messages = warning;
SELECT pgmig.add('i1', '{}', 'CREATE TABLE info_t (a int);', 'DROP TABLE info_t;', 'Create info_t');
SELECT pgmig.add('i2', '{i1}', 'ALTER TABLE info_t ADD b int;', 'ALTER TABLE info_t DROP b;', 'Add "b"');
SELECT pgmig.upgrade('i1');
RESET client_min_messages;

-- A healthy graph: check() returns no rows.
SELECT * FROM pgmig.check();
-- status(): one row at a glance (no one holds the lock now).
SELECT current, heads, pending, problems, drift, lock_pid, lock_role, lock_since FROM pgmig.status();

-- graph(): Graphviz DOT, applied revisions filled, pending ones dashed.
SELECT pgmig.graph();

-- script(): the SQL an upgrade would run, for review and psql -1 -f.
SELECT pgmig.script('upgrade', 'head');
-- ... and a downgrade, and a stamp.
SELECT pgmig.script('downgrade', 'base');
SELECT pgmig.script('stamp', 'head');
-- Nothing to do: only the lock and unlock.
SELECT pgmig.script('upgrade', 'i1');
-- An unknown command, an irreversible step.
SELECT pgmig.script('sideways', 'head');
\echo :SQLSTATE
SELECT pgmig.add('i3', '{i2}', 'SELECT 1;', NULL, 'No way back');
SELECT pgmig.upgrade('head');
SELECT pgmig.script('downgrade', 'i1');
\echo :SQLSTATE

-- check() with problems.  An irreversible revision is a warning.
SELECT * FROM pgmig.check();
-- Several heads: a warning naming them.
SELECT pgmig.add('i4', '{i1}', 'SELECT 1;', 'SELECT 1;', 'Side');
SELECT * FROM pgmig.check() ORDER BY severity, revision;
DELETE FROM pgmig.revision WHERE id = 'i4';
-- Only pgmig writes pgmig.applied, superusers included: the applied set
-- changes through upgrade/downgrade/stamp.
UPDATE pgmig.applied SET checksum = repeat('0', 64) WHERE revision = 'i2';
\echo :SQLSTATE
-- Tampering needs the triggers bypassed (superuser only), and check() still
-- sees it: it reads the tables and recomputes checksums from the scripts.
SET session_replication_role = replica;
UPDATE pgmig.applied SET checksum = repeat('0', 64) WHERE revision = 'i2';
RESET session_replication_role;
SELECT * FROM pgmig.check() ORDER BY severity, revision;
SELECT problems FROM pgmig.status();
-- An applied set not closed under ancestry.
SELECT pgmig.stamp('head');
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'i1';
RESET session_replication_role;
SELECT * FROM pgmig.check() ORDER BY severity, revision;
-- An applied revision that is not in pgmig.revision.
SET session_replication_role = replica;
INSERT INTO pgmig.applied (revision, checksum) VALUES ('ghost', repeat('f', 64));
RESET session_replication_role;
SELECT * FROM pgmig.check() ORDER BY severity, revision;
SELECT current, heads, pending, problems FROM pgmig.status();
-- A script changed with the triggers bypassed: its stored checksum no longer
-- matches, and the applied checksum neither.
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 666;' WHERE id = 'i3';
RESET session_replication_role;
SELECT * FROM pgmig.check() ORDER BY severity, revision;
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'ghost';
RESET session_replication_role;

-- The journal: who, when, which transaction, how long.  Volatile values
-- are masked.
SELECT action, revision, target, role_name = current_user AS who_ok,
       session_role = session_user AS session_ok, at IS NOT NULL AS has_at,
       txid IS NOT NULL AS has_txid, duration IS NOT NULL AS has_duration, detail
  FROM pgmig.journal ORDER BY id;
-- Every upgrade row has a duration; rows of one call share a transaction.
SELECT count(*) FILTER (WHERE duration IS NULL) AS upgrade_rows_without_duration
  FROM pgmig.journal WHERE action = 'upgrade';
SELECT count(DISTINCT txid) AS txids FROM pgmig.journal
 WHERE action = 'upgrade' AND target = 'head';

-- Clean up.
SET client_min_messages = warning;
SET session_replication_role = replica;
DELETE FROM pgmig.applied;
RESET session_replication_role;
DROP TABLE info_t;
DROP EXTENSION pgmig CASCADE;
