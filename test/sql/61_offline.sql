--
-- 61_offline: pgmig.script() pieces written by the core's writer
-- (src/core/offscript.c), which the client's "upgrade --sql" without a
-- database shares: non-transactional revisions, the refusal of a
-- backslash in them, dollar-quote tags that do not occur in a script.
-- (The client test group "offline" compares the two writers' output.)
--
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default
SET client_min_messages = warning;
SELECT pgmig.add('f1', '{}', $s$CREATE TABLE off_t (a text DEFAULT '$pgmig$');$s$, 'DROP TABLE off_t;', 'Table with a tag in it');
SELECT pgmig.add('f2', '{f1}', 'CREATE INDEX CONCURRENTLY off_i ON off_t (a);',
                 'DROP INDEX CONCURRENTLY off_i;', 'Index', transactional => false);
RESET client_min_messages;

-- A non-transactional revision: its statements at top level, the header
-- says not to use -1; the script holding "$pgmig$" gets another tag.
SELECT pgmig.script('upgrade', 'head');

-- Its statements are written as they are, so a backslash (a psql
-- meta-command) in them is refused with PM007.
SET client_min_messages = warning;
SELECT pgmig.add('f3', '{f2}', E'SELECT 1;\n\\! echo owned', 'SELECT 2;', 'Backslash', transactional => false);
RESET client_min_messages;
SELECT pgmig.script('upgrade', 'head');
\echo :SQLSTATE
-- A transactional revision may hold one: it is a dollar-quoted literal.
SET client_min_messages = warning;
SELECT pgmig.repair(E'-- revision: f3\n-- down_revision: f2\n-- message: Backslash\n-- migrate:up\nSELECT E''\\\\x'';\n-- migrate:down\nSELECT 2;\n');
RESET client_min_messages;
SELECT pgmig.script('upgrade', 'f3') LIKE '%SELECT pgmig.step(''f3'', false);%' AS runs_by_step;

DROP EXTENSION pgmig CASCADE;
