--
-- 07_cache: read-only calls reuse the graph a backend built last, for as
-- long as pgmig.graph_version is unchanged.  These cases show that every
-- kind of change is seen at once, in this transaction and after a
-- rollback, so the cache can never answer from a stale graph.
--
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
CREATE EXTENSION pgmig;

-- Two revisions; heads() builds and caches the graph.
SELECT pgmig.add('c1', '{}', 'CREATE TABLE cache_t (a int);', 'DROP TABLE cache_t;', 'one');
SELECT revision FROM pgmig.heads();
SELECT pgmig.add('c2', '{c1}', 'ALTER TABLE cache_t ADD COLUMN b int;', 'ALTER TABLE cache_t DROP COLUMN b;', 'two');
-- The load changed the version: heads() sees c2 at once.
SELECT revision FROM pgmig.heads();

-- Every statement that changes the graph gets a new, never reused version.
SELECT version AS v1 FROM pgmig.graph_version \gset
SELECT pgmig.add('c3', '{c2}', 'SELECT 1;', 'SELECT 1;', 'three');
SELECT version > :v1 AS version_advanced FROM pgmig.graph_version;

-- Inside a transaction the cache follows this transaction's changes, and a
-- rollback brings the old graph back.
BEGIN;
SELECT pgmig.add('c4', '{c3}', 'SELECT 1;', 'SELECT 1;', 'four');
SELECT revision FROM pgmig.heads();
ROLLBACK;
SELECT revision FROM pgmig.heads();

-- upgrade() bumps the version once for the run: current() is right after it.
SELECT pgmig.upgrade('c2');
SELECT revision FROM pgmig.current();
SELECT count(*) AS journal_rows_for_run FROM pgmig.journal WHERE action = 'upgrade';

-- A change of the applied set through pgmig (stamp) is seen too.
SELECT pgmig.stamp('c1');
SELECT revision FROM pgmig.current();
SELECT pgmig.stamp('c2');
SELECT revision FROM pgmig.current();
-- A change with pgmig's triggers bypassed (superuser only) does not bump
-- the version, but the verdicts read the tables: check() and status() see
-- it at once, even in a backend whose cached graph is older.
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'c1';
RESET session_replication_role;
SELECT * FROM pgmig.check();
SELECT problems FROM pgmig.status();
SET session_replication_role = replica;
INSERT INTO pgmig.applied (revision, checksum)
  SELECT id, checksum FROM pgmig.revision WHERE id = 'c1';
RESET session_replication_role;
SELECT pgmig.stamp('c1');
SELECT pgmig.stamp('c2');

-- A failing run changes nothing, the cached graph included.
SELECT pgmig.add('c5', '{c3}', 'SELECT no_such_column FROM cache_t;', 'SELECT 1;', 'broken');
\set VERBOSITY terse
SELECT pgmig.upgrade('c5');
\set VERBOSITY default
SELECT revision FROM pgmig.current();
SELECT pending FROM pgmig.status();

-- A dropped and re-created extension starts from an empty graph, whatever
-- this backend had cached.
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
DROP TABLE cache_t;
CREATE EXTENSION pgmig;
SELECT count(*) AS heads_after_recreate FROM pgmig.heads();

DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
