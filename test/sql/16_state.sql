--
-- 16_state: state that a run keeps, and state it reads.
--
-- The backend-wide flags of a run (running a script, recording a run,
-- repairing) are saved and restored, not set and reset, so a revision
-- script that itself calls pgmig does not end the outer run's state; a
-- missing pgmig.graph_version row is an error, not a cache that silently
-- never refreshes; the read functions say they are VOLATILE (each call
-- reads afresh); record_step() keeps every part of its duration.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default

-- A revision whose script stamps another (independent) revision: the
-- nested stamp() records its own change and bumps the graph version once;
-- the outer upgrade() is still recording its run afterwards, so it bumps
-- once more, at its end: two bumps in all (three when the nested call
-- reset the outer run's flag and the outer bookkeeping bumped again).
SELECT pgmig.add('nb', ARRAY[]::text[], 'SELECT 1;', 'SELECT 1;', 'Independent base');
SELECT pgmig.add('nest', ARRAY[]::text[], $$SELECT pgmig.stamp('nb');$$, 'SELECT 1;', 'Stamps nb from inside');
SELECT version AS v0 FROM pgmig.graph_version \gset
SELECT pgmig.upgrade('nest');
SELECT version - :v0 AS bumps FROM pgmig.graph_version;
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT pgmig.stamp('base');

-- A revision script that writes pgmig.applied itself makes the run's own
-- record inconsistent: that is refused with PM009, not an internal error.
SELECT pgmig.add('wr', ARRAY[]::text[], 'SELECT 1;',
                 $$DELETE FROM pgmig.applied WHERE revision = 'wr';$$, 'Deletes its own row');
SELECT pgmig.upgrade('wr');
SELECT pgmig.downgrade('base');
\echo :SQLSTATE
SELECT revision FROM pgmig.current();
SELECT pgmig.stamp('base');

-- record_step() keeps the months and days of its duration (a month is 30
-- days, as interval comparison counts it).
SELECT pgmig.record_step('nb', false, interval '1 month 2 days 03:00');
SELECT revision, duration FROM pgmig.applied;
SELECT duration FROM pgmig.journal WHERE action = 'upgrade' AND revision = 'nb';
SELECT pgmig.stamp('base');

-- The read functions read the graph afresh at every call, so they are
-- declared VOLATILE (a STABLE function may not see different data in one
-- statement).  history() itself is a STABLE SQL function, so that the
-- planner inlines it: its rows come from _history_rows(), VOLATILE, which
-- the inlined query calls.
SELECT p.proname, p.provolatile
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmig'::regnamespace
   AND p.proname IN ('resolve', 'current', 'heads', 'branches', 'history', '_history_rows',
                     'plan', 'script', 'check', 'graph', 'status')
 ORDER BY 1;

-- Without its one row, pgmig.graph_version cannot tell a backend that its
-- cached graph is stale: reading or changing the graph says so.
DELETE FROM pgmig.graph_version;
SELECT * FROM pgmig.heads();
\echo :SQLSTATE
\set VERBOSITY terse
SELECT pgmig.add('after', ARRAY[]::text[], 'SELECT 1;', NULL, 'Cannot bump');
\set VERBOSITY default
\echo :SQLSTATE
INSERT INTO pgmig.graph_version SELECT pg_catalog.nextval('pgmig.graph_version_seq');
SELECT revision FROM pgmig.heads() ORDER BY 1;

DROP EXTENSION pgmig CASCADE;
