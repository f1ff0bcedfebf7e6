--
-- 03_targets: Alembic's target expressions, resolved with pgmig.resolve().
--
-- pgmig.resolve(target) returns the revisions a target names, one row
-- each; no rows means "base" (nothing applied).
-- The DDL guard (tested in 11_guard) would warn about this file's own
-- set-up tables; these tests are about the engine, so it is off here.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- The graph used below (scripts do nothing):
--
--   ab01 -> ab02 -> cd03 -+-> xa1 (label xlabel) -> xa2
--                         +-> yb1 (label ylabel) -> yb2
--
COPY pgmig.revision (id, down_revision, branch_labels, message, upgrade, downgrade) FROM STDIN (FORMAT csv);
ab01,{},{},First,SELECT 1;,
ab02,{ab01},{},Second,SELECT 1;,
cd03,{ab02},{},Branch point,SELECT 1;,
xa1,{cd03},{xlabel},X one,SELECT 1;,
xa2,{xa1},{},X two,SELECT 1;,
yb1,{cd03},{ylabel},Y one,SELECT 1;,
yb2,{yb1},{},Y two,SELECT 1;,
\.
RESET client_min_messages;

-- "heads": every head of the graph.
SELECT * FROM pgmig.resolve('heads');
-- "head": the single head; with two heads it is an error (PM002) that
-- names them and suggests "heads" or LABEL@head.
SELECT * FROM pgmig.resolve('head');
\echo :SQLSTATE
-- "base": nothing applied, so no rows.
SELECT count(*) AS base_rows FROM pgmig.resolve('base');
-- "current": the applied heads; nothing is applied yet.
SELECT count(*) AS current_rows FROM pgmig.resolve('current');

-- A full revision id.
SELECT * FROM pgmig.resolve('ab02');
-- A unique prefix of an id.
SELECT * FROM pgmig.resolve('cd');
-- Blanks around an expression are ignored.
SELECT * FROM pgmig.resolve('  cd03  ');
-- An ambiguous prefix is an error (PM002) listing the candidates.
SELECT * FROM pgmig.resolve('ab');
\echo :SQLSTATE
-- An unknown name (PM001).
SELECT * FROM pgmig.resolve('nosuch');
\echo :SQLSTATE

-- A branch label names the revision that carries it.
SELECT * FROM pgmig.resolve('xlabel');
-- LABEL@head: the head of that branch.
SELECT * FROM pgmig.resolve('xlabel@head');
SELECT * FROM pgmig.resolve('ylabel@head');
-- LABEL@base: the point before the branch's first revision (its parent).
SELECT * FROM pgmig.resolve('xlabel@base');
-- ID@head: the head of the branch that contains the revision.
SELECT * FROM pgmig.resolve('xa1@head');
SELECT * FROM pgmig.resolve('yb1@head');
-- ... which is ambiguous from below the branch point (PM002).
SELECT * FROM pgmig.resolve('ab01@head');
\echo :SQLSTATE
-- ID@base of a root is base.
SELECT count(*) AS rows FROM pgmig.resolve('ab01@base');

-- Relative to a revision: REV+N and REV-N.
SELECT * FROM pgmig.resolve('ab01+2');
SELECT * FROM pgmig.resolve('xa2-2');
SELECT * FROM pgmig.resolve('xa1+1');
-- Stepping down to base gives no rows.
SELECT count(*) AS rows FROM pgmig.resolve('ab01-1');
-- Past the base or past the head is an error (PM004).
SELECT * FROM pgmig.resolve('ab01-2');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('xa2+1');
\echo :SQLSTATE
-- Stepping up from a branch point is ambiguous (PM002).
SELECT * FROM pgmig.resolve('cd03+1');
\echo :SQLSTATE
-- base+N: up from nothing applied (one root here).
SELECT * FROM pgmig.resolve('base+1');
SELECT * FROM pgmig.resolve('base+3');
-- head-N needs a single head (PM002 here).
SELECT * FROM pgmig.resolve('head-1');
\echo :SQLSTATE

-- +N / -N are relative to the current revision.  With nothing applied,
-- +1 is the root and -1 is past the base.
SELECT * FROM pgmig.resolve('+1');
SELECT * FROM pgmig.resolve('-1');
\echo :SQLSTATE

-- Apply up to xa1: now current is xa1.
SET client_min_messages = warning;
SELECT pgmig.upgrade('xa1');
RESET client_min_messages;
SELECT * FROM pgmig.resolve('current');
SELECT * FROM pgmig.resolve('+1');
SELECT * FROM pgmig.resolve('-1');
SELECT * FROM pgmig.resolve('-3');
SELECT count(*) AS rows FROM pgmig.resolve('-4');
SELECT * FROM pgmig.resolve('-5');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('current-1');
-- LABEL@+N / LABEL@-N: relative to the branch's current revision.
SELECT * FROM pgmig.resolve('xlabel@+1');
SELECT * FROM pgmig.resolve('xlabel@-1');
-- Nothing of branch ylabel is applied: ylabel@+1 is its first revision,
-- ylabel@-1 is past its base (PM004).
SELECT * FROM pgmig.resolve('ylabel@+1');
SELECT * FROM pgmig.resolve('ylabel@+2');
SELECT * FROM pgmig.resolve('ylabel@-1');
\echo :SQLSTATE

-- With two applied heads, -1 is ambiguous (PM009): step from a named
-- revision or a branch instead.
SET client_min_messages = warning;
SELECT pgmig.upgrade('yb1');
RESET client_min_messages;
SELECT * FROM pgmig.resolve('current');
SELECT * FROM pgmig.resolve('-1');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('+1');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('ylabel@-1');

-- After a merge there is one head again: head, head-N, and LABEL@head
-- (the merged head that descends from the branch).
SELECT pgmig.add('m01', ARRAY['xa2', 'yb2'], '', '', 'Merge x and y');
SELECT * FROM pgmig.resolve('head');
SELECT * FROM pgmig.resolve('head-1');
SELECT * FROM pgmig.resolve('head-2');
SELECT * FROM pgmig.resolve('xlabel@head');
SELECT * FROM pgmig.resolve('ab01@head');
SELECT * FROM pgmig.resolve('heads');

-- Malformed expressions are 22023 errors.
SELECT * FROM pgmig.resolve('');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('   ');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('a b');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('@head');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('xlabel@');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('xlabel@top');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('head@head');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('current@+1');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('heads-1');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('+');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('-0');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('+x');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('xa1+1+1');
\echo :SQLSTATE
SELECT * FROM pgmig.resolve('+1000000001');
\echo :SQLSTATE
-- Too-long names (42602) and too-long expressions (22023).
SELECT * FROM pgmig.resolve(repeat('a', 65));
\echo :SQLSTATE
SELECT * FROM pgmig.resolve(repeat('a', 300));
\echo :SQLSTATE
-- A 64-character name is fine (and here unknown: PM001).
SELECT * FROM pgmig.resolve(repeat('a', 64));
\echo :SQLSTATE
-- resolve(NULL) returns nothing (STRICT).
SELECT count(*) AS rows FROM pgmig.resolve(NULL);

-- Clean up (these revisions are irreversible: stamp, do not downgrade).
SET client_min_messages = warning;
SELECT pgmig.stamp('base');
RESET client_min_messages;
DROP EXTENSION pgmig CASCADE;
