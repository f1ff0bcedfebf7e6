--
-- 50_graph_store: the stored graph image (pgmig.graph_image).  Every
-- statement that changes pgmig.revision rewrites it, and a new backend
-- reads it instead of every revision.  These cases show that whatever the
-- graph comes from, the answers are those of the tables: across load,
-- replace, delete, repair, truncate, rollback and restore; that the
-- applied set always comes from pgmig.applied; that a role that may not
-- read pgmig.revision gets nothing; and what a change made with the
-- triggers disabled does.  Each "\c -" starts a new backend, which has no
-- graph cached, so its first call uses the image.
--
SET pgmig.guard = off;
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
RESET client_min_messages;
CREATE EXTENSION pgmig;

-- A new extension has one image row: the image of the empty graph.
SELECT count(*) AS rows, bool_and(image IS NOT NULL) AS has_image FROM pgmig.graph_image;

-- Loading writes the image.
SELECT pgmig.add('g1', '{}', 'SELECT 1;', 'SELECT 1;', 'one');
SELECT pgmig.add('g2', '{g1}', 'SELECT 1;', 'SELECT 1;', 'two', '{lbl}');
SELECT pgmig.add('g3', '{g2}', 'SELECT 1;', NULL, 'three');
SELECT image IS NOT NULL AS has_image FROM pgmig.graph_image;

-- A new backend answers from the image and the applied set.
SELECT pgmig.upgrade('g2');
\c -
SET pgmig.guard = off;
SELECT revision, message, branch_labels, applied FROM pgmig.heads();
SELECT revision, message FROM pgmig.current();
SELECT revision, applied, is_head FROM pgmig.history();
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT * FROM pgmig.plan('upgrade', 'lbl@head');

-- A new backend's first resolve() of head, heads or base and its first
-- upgrade plan to them read the image in place (no graph is built); the
-- same calls again in that backend answer from the built graph: the two
-- answers are the same, and the applied set is pgmig.applied's.
\c -
SELECT revision FROM pgmig.resolve('head');
SELECT revision FROM pgmig.resolve('head');
\c -
SELECT revision FROM pgmig.resolve('heads');
\c -
SELECT count(*) AS base FROM pgmig.resolve('base');
\c -
SELECT * FROM pgmig.plan('upgrade', 'head');
SELECT * FROM pgmig.plan('upgrade', 'head');
\c -
SELECT * FROM pgmig.plan('upgrade', 'heads');
\c -
SELECT count(*) AS steps FROM pgmig.plan('upgrade', 'base');
-- a target the image does not answer is the graph's, in a first call too
\c -
SELECT revision FROM pgmig.resolve('head-1');
\c -
SELECT * FROM pgmig.plan('upgrade', 'g2+1');

-- The image's lookup table of ids and labels is built by the first call
-- that looks a name up, and kept with the cached graph for the calls after
-- it (it once went with the first such call's memory).
\c -
SET pgmig.guard = off;
SELECT count(*) AS heads FROM pgmig.heads();
SELECT revision FROM pgmig.resolve('g1');
SELECT revision FROM pgmig.resolve('lbl');
SELECT step, action, revision FROM pgmig.plan('stamp', 'g1');

-- Two heads: "head" is ambiguous to a first call as to the graph (the
-- graph's error, naming both), "heads" plans both branches.
SELECT pgmig.add('g3b', '{g2}', 'SELECT 1;', 'SELECT 1;', 'side');
\c -
SELECT revision FROM pgmig.resolve('head');
\c -
SELECT * FROM pgmig.plan('upgrade', 'head');
\c -
SELECT step, revision FROM pgmig.plan('upgrade', 'heads');
SELECT step, revision FROM pgmig.plan('upgrade', 'heads');
\c -
SELECT revision FROM pgmig.resolve('heads');
-- a merge of both heads that also depends on g1, with a label: a new
-- backend's first history() reads the image in place, the second the
-- built graph; every column is the same
SELECT pgmig.add('gm', '{g3,g3b}', 'SELECT 1;', 'SELECT 1;', 'merge', '{mlbl}', '{g1}');
\c -
SELECT * FROM pgmig.history();
SELECT * FROM pgmig.history();
-- history() is a SQL function the planner inlines: its rows come from
-- pgmig._history_rows() in a select list, a new backend's first call one
-- row at a time from the image.  A first call stopped after two rows
-- leaves nothing behind (the next call gives every row); a nested call
-- started again for every outer row, a call the planner cannot inline
-- (WITH ORDINALITY), a range and two calls in one statement all give the
-- same rows as the tables.
EXPLAIN (COSTS OFF) SELECT * FROM pgmig.history();
\c -
SELECT revision FROM pgmig.history() LIMIT 2;
SELECT count(*) AS rows FROM pgmig.history();
\c -
SELECT a.revision,
       (SELECT count(*) FROM pgmig.history() b WHERE b.revision <= a.revision) AS up_to
  FROM pgmig.history() a;
\c -
SELECT n, revision, is_merge FROM pgmig.history() WITH ORDINALITY AS h(revision, d, e, f, g, h, i, j, is_merge, n);
SELECT revision FROM pgmig.history('g2:');
\c -
SELECT (SELECT array_agg(revision) FROM pgmig.history()) AS first,
       (SELECT array_agg(revision) FROM pgmig.history()) AS second;
-- _history_rows() called in FROM by a new backend: one row per call into
-- the scan's own tuplestore, the same rows
\c -
SELECT revision, down_revision, depends_on, branch_labels, is_head, is_merge
  FROM pgmig._history_rows(NULL);
-- history()'s text[] columns are made in one piece each: parents, labels
-- and dependencies of every length modulo 4 (the elements' padding) read
-- back element by element, stored in a table, and equal to the arrays
-- SQL makes, from the image (a new backend) and from the built graph
SELECT pgmig.add(id, '{gm}', 'SELECT 1;', 'SELECT 1;', 'len ' || length(id))
  FROM unnest('{x,yy,zzz,wwww,vvvvv}'::text[]) AS id;
SELECT pgmig.add('m5', '{x,yy,zzz,wwww,vvvvv}', 'SELECT 1;', 'SELECT 1;', 'five',
                 '{l,ll,lll,llll}', '{g1,g2,gm}');
\c -
CREATE TEMP TABLE h5 AS
  SELECT 1 AS call, '{x,yy,zzz,wwww,vvvvv}'::text[] AS want, *
    FROM pgmig.history() WHERE revision = 'm5';
INSERT INTO h5 SELECT 2, '{x,yy,zzz,wwww,vvvvv}', * FROM pgmig.history() WHERE revision = 'm5';
SELECT call, down_revision, branch_labels, depends_on,
       down_revision = '{x,yy,zzz,wwww,vvvvv}'::text[] AS parents_equal,
       branch_labels = '{l,ll,lll,llll}'::text[] AS labels_equal,
       depends_on = '{g1,g2,gm}'::text[] AS deps_equal,
       pg_column_size(down_revision) = pg_column_size(want) AS same_size,
       (SELECT string_agg(e || '=' || length(e), ' ' ORDER BY n)
          FROM unnest(down_revision || branch_labels) WITH ORDINALITY AS u(e, n)) AS elements,
       array_upper(down_revision, 1) AS upper, array_lower(down_revision, 1) AS lower
  FROM h5 ORDER BY call;
DELETE FROM pgmig.revision WHERE id IN ('m5', 'x', 'yy', 'zzz', 'wwww', 'vvvvv');
DELETE FROM pgmig.revision WHERE id IN ('gm', 'g3b');

-- Replace an unapplied revision: the image follows.
SELECT pgmig.add('g3', '{g2}', 'SELECT 1;', 'SELECT 1;', 'three, replaced');
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();
-- the irreversible flag went with the old script
SELECT count(*) AS irreversible_warnings FROM pgmig.check() WHERE problem LIKE '%irreversible%';

-- Delete an unapplied revision: the image follows.
DELETE FROM pgmig.revision WHERE id = 'g3';
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();

-- Repair an applied revision: the new message is in the image.
SELECT pgmig.repair(E'-- revision: g2\n-- down_revision: g1\n-- message: two, repaired\n-- branch_labels: lbl\n\n-- migrate:up\nSELECT 2;\n\n-- migrate:down\nSELECT 2;\n');
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();
SELECT * FROM pgmig.check();

-- A statement that changes no row (the client's load of an unchanged
-- folder is an INSERT ... ON CONFLICT that updates nothing) writes nothing.
SELECT image AS image_before FROM pgmig.graph_image \gset
INSERT INTO pgmig.revision (id, down_revision, message) VALUES ('g1', '{}', 'one')
  ON CONFLICT (id) DO NOTHING;
SELECT image = :'image_before'::bytea AS image_unchanged FROM pgmig.graph_image;

-- A rolled-back load leaves the committed image (and its answers) alone.
BEGIN;
SELECT pgmig.add('g4', '{g2}', 'SELECT 1;', 'SELECT 1;', 'four');
SELECT revision FROM pgmig.heads();
ROLLBACK;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.heads();

-- The applied set is always read from pgmig.applied, even when a change
-- to it bypassed the triggers (so pgmig.graph_version did not move).
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'g2';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.current();
\c -
SELECT step, revision FROM pgmig.plan('upgrade', 'head');
\c -
SET pgmig.guard = off;
-- a no-op check from the image does not hide the pending revision
SELECT pgmig.upgrade('head');
\c -
SET pgmig.guard = off;
-- now nothing is pending: the answer comes from the image and pgmig.applied
SELECT pgmig.upgrade('head');
SELECT pgmig.upgrade('heads');

-- A role that may not read pgmig.revision gets nothing from the image:
-- it gets the table's own error, in a new backend too.
CREATE ROLE pgmig_store_nobody;
GRANT USAGE ON SCHEMA pgmig TO pgmig_store_nobody;
GRANT EXECUTE ON FUNCTION pgmig.heads(), pgmig.current(), pgmig.status(),
      pgmig.upgrade(text), pgmig.resolve(text), pgmig.plan(text, text),
      pgmig.history(text) TO pgmig_store_nobody;
GRANT SELECT ON pgmig.applied TO pgmig_store_nobody;
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
\set VERBOSITY terse
SELECT revision FROM pgmig.heads();
SELECT revision FROM pgmig.current();
SELECT pending FROM pgmig.status();
SELECT pgmig.upgrade('head');
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
SELECT revision FROM pgmig.resolve('head');
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
SELECT revision FROM pgmig.plan('upgrade', 'heads');
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
SELECT revision FROM pgmig.history();
SELECT revision FROM pgmig._history_rows(NULL);
\set VERBOSITY default
RESET ROLE;
-- nor with row level security on pgmig.revision, which the image cannot apply
GRANT SELECT ON pgmig.revision TO pgmig_store_nobody;
ALTER TABLE pgmig.revision ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_g1 ON pgmig.revision TO pgmig_store_nobody USING (id = 'g1');
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
SELECT revision FROM pgmig.heads();
\c -
SET pgmig.guard = off;
SET ROLE pgmig_store_nobody;
SELECT revision FROM pgmig.history();
RESET ROLE;
DROP POLICY only_g1 ON pgmig.revision;
ALTER TABLE pgmig.revision DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON pgmig.revision, pgmig.applied FROM pgmig_store_nobody;
REVOKE ALL ON SCHEMA pgmig FROM pgmig_store_nobody;
REVOKE ALL ON FUNCTION pgmig.heads(), pgmig.current(), pgmig.status(),
       pgmig.upgrade(text), pgmig.resolve(text), pgmig.plan(text, text),
       pgmig.history(text) FROM pgmig_store_nobody;
DROP ROLE pgmig_store_nobody;

-- Changes made with the triggers disabled (a superuser's
-- session_replication_role = replica) are not seen by readers in a new
-- backend (the image still answers, as the 0.3 cache would), but check()
-- reads the tables and says the image no longer matches them, and
-- refresh_graph() repairs it.  An INSERT:
SET session_replication_role = replica;
INSERT INTO pgmig.revision (id, down_revision, message, upgrade, downgrade, checksum)
  VALUES ('g5', '{g2}', 'five, behind the triggers', 'SELECT 1;', 'SELECT 1;', 'x');
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();
SELECT severity, revision, problem FROM pgmig.check() WHERE problem LIKE '%graph image%';
SELECT pgmig.refresh_graph();
SELECT count(*) AS image_problems FROM pgmig.check() WHERE problem LIKE '%graph image%';
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();
DELETE FROM pgmig.revision WHERE id = 'g5';

-- An UPDATE:
SET session_replication_role = replica;
UPDATE pgmig.revision SET message = 'two, forged' WHERE id = 'g2';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();
SELECT severity, revision, problem FROM pgmig.check() WHERE problem LIKE '%graph image%';
SELECT pgmig.refresh_graph();
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();

-- TRUNCATE (nothing applied) clears the image; the next load writes it.
SELECT pgmig.stamp('base');
TRUNCATE pgmig.revision;
SELECT image IS NULL AS no_image FROM pgmig.graph_image;
\c -
SET pgmig.guard = off;
SELECT count(*) AS heads FROM pgmig.heads();

-- A restore: pg_restore COPYs the rows; the statement trigger writes the
-- image (and setting the sequence afterwards changes nothing).
SET application_name = 'pg_restore';
COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv);
h1,{},restored one,SELECT 1;,SELECT 1;
h2,{h1},restored two,SELECT 1;,SELECT 1;
\.
SELECT pg_catalog.setval('pgmig.revision_seq', 100, true);
RESET application_name;
SELECT image IS NOT NULL AS has_image FROM pgmig.graph_image;
\c -
SET pgmig.guard = off;
SELECT revision, message FROM pgmig.heads();

-- A damaged image is never used: a warning, and the tables answer.
UPDATE pgmig.graph_image SET image = '\x504d4732ffffff7f0000000000000000'::bytea;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.heads();
SELECT pgmig.refresh_graph();

-- The image used in place: a backend's first heads(), current() and no-op
-- upgrade('head' / 'heads') read it without building the graph.  Two
-- branches, both applied: both are current, each with its time.
SELECT pgmig.add('h3', '{h2}', 'SELECT 1;', 'SELECT 1;', 'three a');
SELECT pgmig.add('h4', '{h2}', 'SELECT 1;', 'SELECT 1;', 'three b', '{side}');
SELECT pgmig.upgrade('heads');
\c -
SET pgmig.guard = off;
SELECT revision, message, applied_at IS NOT DISTINCT FROM (SELECT a.applied_at FROM pgmig.applied a WHERE a.revision = c.revision) AS its_time
  FROM pgmig.current() c ORDER BY 1;
\c -
SET pgmig.guard = off;
SELECT revision, message, branch_labels, applied FROM pgmig.heads() ORDER BY 1;
\c -
SET pgmig.guard = off;
SELECT revision, message, children FROM pgmig.branches();
-- "head" with two heads: the error the tables give
\c -
SET pgmig.guard = off;
\set VERBOSITY terse
SELECT pgmig.upgrade('head');
\set VERBOSITY default
\c -
SET pgmig.guard = off;
SELECT pgmig.upgrade('heads');
-- A hole in the applied set (a row removed behind the triggers): every
-- row is looked at, so the hole is pending, never "nothing to upgrade".
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'h2';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.current() ORDER BY 1;
\c -
SET pgmig.guard = off;
SELECT revision, applied FROM pgmig.heads() ORDER BY 1;
\c -
SET pgmig.guard = off;
SELECT pgmig.upgrade('heads');
SELECT revision FROM pgmig.current() ORDER BY 1;
-- An applied row naming no revision changes nothing (check() reports it).
SET session_replication_role = replica;
INSERT INTO pgmig.applied (revision, checksum) VALUES ('ghost', 'x');
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.current() ORDER BY 1;
\c -
SET pgmig.guard = off;
SELECT pgmig.upgrade('heads');
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'ghost';
RESET session_replication_role;
-- A role that may read pgmig.revision but not pgmig.applied gets the
-- table's error from its first current() and heads(), as from the tables.
CREATE ROLE pgmig_store_half;
GRANT USAGE ON SCHEMA pgmig TO pgmig_store_half;
GRANT EXECUTE ON FUNCTION pgmig.heads(), pgmig.current(), pgmig.history(text) TO pgmig_store_half;
GRANT SELECT ON pgmig.revision TO pgmig_store_half;
\c -
SET ROLE pgmig_store_half;
\set VERBOSITY terse
SELECT revision FROM pgmig.current();
SELECT revision FROM pgmig.heads();
\c -
SET ROLE pgmig_store_half;
SELECT revision FROM pgmig.history();
\set VERBOSITY default
RESET ROLE;
REVOKE ALL ON pgmig.revision FROM pgmig_store_half;
REVOKE ALL ON SCHEMA pgmig FROM pgmig_store_half;
REVOKE ALL ON FUNCTION pgmig.heads(), pgmig.current(), pgmig.history(text) FROM pgmig_store_half;
DROP ROLE pgmig_store_half;

SET client_min_messages = warning;
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
RESET client_min_messages;
-- the suites after this one expect the extension installed
CREATE EXTENSION pgmig;

-- A big image (17,000 revisions: the image and its checksums both 64 kB or
-- more) is fetched into memory of its own, mapped with transparent huge
-- pages where the system offers them, the graph is built from it in such
-- memory, and both are released with the call's memory: a new backend's
-- answers are the tables' answers.
SET pgmig.guard = off;
SET client_min_messages = warning;
INSERT INTO pgmig.revision (id, down_revision, message, upgrade, downgrade)
SELECT 'big' || i, CASE WHEN i = 1 THEN '{}'::text[] ELSE ARRAY['big' || (i - 1)] END,
	   'big ' || i, 'SELECT 1;', 'SELECT 1;'
  FROM generate_series(1, 17000) i;
SELECT octet_length(image) >= 524288 AS image_mapped, octet_length(checksums) >= 524288 AS sums_mapped
  FROM pgmig.graph_image;
SELECT pgmig.stamp('big8500');
\c -
SET pgmig.guard = off;
SELECT revision, message, applied FROM pgmig.heads();
\c -
SET pgmig.guard = off;
SELECT revision, message, applied_at IS NOT DISTINCT FROM (SELECT a.applied_at FROM pgmig.applied a WHERE a.revision = c.revision) AS its_time
  FROM pgmig.current() c;
\c -
SET pgmig.guard = off;
SET client_min_messages = warning;
SELECT count(*) AS problems FROM pgmig.check();
\c -
SET pgmig.guard = off;
SET client_min_messages = warning;
SELECT count(*) AS problems FROM pgmig.check();
-- check()'s record names these 17,000 row versions of pgmig.revision and
-- 8,500 of pgmig.applied as runs (one block, one xmin, consecutive
-- offsets): under a byte a row version, where a key each took ten
SELECT octet_length(state) < 17000 + 8500 AS record_in_runs FROM pgmig.graph_verified;
SELECT count(*) AS revisions, count(*) FILTER (WHERE applied) AS applied FROM pgmig.history();
-- answers this big leave memory for a temporary file after 256 kB
-- (pgmig_srf_init): read back in any direction, they are the same rows
BEGIN;
DECLARE h SCROLL CURSOR FOR SELECT revision, applied FROM pgmig.history();
FETCH LAST FROM h;
FETCH ABSOLUTE 8500 FROM h;
FETCH PRIOR FROM h;
FETCH FIRST FROM h;
DECLARE p SCROLL CURSOR FOR SELECT step, revision FROM pgmig.plan('upgrade', 'head');
FETCH LAST FROM p;
FETCH ABSOLUTE 1 FROM p;
COMMIT;
SELECT count(*) AS steps, count(DISTINCT revision) AS revisions, min(step), max(step)
  FROM pgmig.plan('upgrade', 'head');
SELECT pgmig.upgrade('head');
\c -
SET pgmig.guard = off;
SELECT pgmig.upgrade('head');
SELECT revision FROM pgmig.current();
-- pgmig.applied's rows in another order than the revisions were loaded
-- (here sorted by id, big1, big10, big100...; in life, the space a
-- downgrade freed filled again by an upgrade): a new backend looks each
-- row's id up in a table it builds with the image's memory, and answers
-- as the tables do
-- (autovacuum off for pgmig.applied: its visibility map below is the test's)
ALTER TABLE pgmig.applied SET (autovacuum_enabled = false);
SELECT pgmig.stamp('big9000');
CLUSTER pgmig.applied USING applied_pkey;
SELECT array_agg(revision) AS first_rows FROM (SELECT revision FROM pgmig.applied LIMIT 3) s;
-- (one query, asked below in several states)
\set applied_vs_9000 'SELECT count(*) AS revisions, count(*) FILTER (WHERE applied) AS applied, count(*) FILTER (WHERE applied <> (substr(revision, 4)::int <= 9000)) AS wrong FROM pgmig.history()'
\c -
SET pgmig.guard = off;
BEGIN;
:applied_vs_9000;
-- not vacuumed since: no page all visible, the heap is read
SELECT pg_stat_get_xact_numscans('pgmig.applied_pkey'::regclass) AS index_scans,
       pg_stat_get_xact_numscans('pgmig.applied'::regclass) AS table_scans;
ROLLBACK;
-- The calls that need only the applied ids (history(), current(), the
-- no-op upgrade) read them from pgmig.applied's primary key as an
-- index-only scan does when nine pages in ten are all visible: the
-- index's id where the visibility map says the heap page is all visible
-- (after VACUUM), else the heap tuple, as the snapshot sees it.  In one
-- transaction: rows deleted and inserted by it (their pages no longer all
-- visible) count as it sees them; the table's own statistics show the
-- index read, no sequential scan, and ids taken from the index without a
-- heap fetch.  check() reads the heap (it needs the checksums).
VACUUM pgmig.applied;
\c -
SET pgmig.guard = off;
BEGIN;
:applied_vs_9000;
SELECT pg_stat_get_xact_numscans('pgmig.applied_pkey'::regclass) AS index_scans,
       pg_stat_get_xact_numscans('pgmig.applied'::regclass) AS table_scans,
       pg_stat_get_xact_tuples_fetched('pgmig.applied'::regclass) < 9000 AS from_the_index_alone;
ROLLBACK;
\c -
SET pgmig.guard = off;
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision IN ('big5', 'big8999');
INSERT INTO pgmig.applied (revision, checksum)
SELECT id, checksum FROM pgmig.revision WHERE id = 'big12000';
SELECT count(*) FILTER (WHERE applied) AS applied,
       string_agg(revision, ',' ORDER BY substr(revision, 4)::int)
         FILTER (WHERE applied <> (substr(revision, 4)::int <= 9000)) AS changed
  FROM pgmig.history();
ROLLBACK;
\c -
SET pgmig.guard = off;
BEGIN;
SELECT count(*) AS problems FROM pgmig.check();
SELECT pg_stat_get_xact_numscans('pgmig.applied'::regclass) > 0 AS table_scanned;
ROLLBACK;
\c -
SET pgmig.guard = off;
SELECT revision FROM pgmig.current();
\c -
SET pgmig.guard = off;
SET client_min_messages = warning;
SELECT count(*) AS problems FROM pgmig.check();
\c -
SET pgmig.guard = off;
SELECT count(*) AS problems FROM pgmig.check();
SELECT pending, problems FROM pgmig.status();

SET client_min_messages = warning;
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
RESET client_min_messages;
CREATE EXTENSION pgmig;
