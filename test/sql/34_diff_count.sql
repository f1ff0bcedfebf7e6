--
-- 34_diff_count: pgmig.diff(source, target, renames, count_lost) counts,
-- in this database, what a DROP TABLE / DROP COLUMN deletes.
--
CREATE EXTENSION pgmig;
SET pgmig.guard = off;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS dc CASCADE;
DROP ROLE IF EXISTS regress_dc_reader;
CREATE ROLE regress_dc_reader;
CREATE SCHEMA dc;
CREATE TABLE dc.t (id integer PRIMARY KEY, gone text);
INSERT INTO dc.t SELECT g, CASE WHEN g <= 1234 THEN 'x' END FROM generate_series(1, 2000) g;
CREATE TABLE dc.old (id integer);
INSERT INTO dc.old VALUES (1), (2), (3);
CREATE TABLE dc.empty (id integer);
-- the target: the column and two tables gone (built and rolled back)
BEGIN;
ALTER TABLE dc.t DROP COLUMN gone;
DROP TABLE dc.old, dc.empty;
SELECT pgmig.snapshot(ARRAY['dc'])::text AS tgt \gset
ROLLBACK;
-- without the option: the hazards as the engine states them
SELECT step, statement, hazard
  FROM pgmig.diff(pgmig.snapshot(ARRAY['dc']), :'tgt'::jsonb) ORDER BY step;
-- counted in this database
SELECT step, statement, hazard
  FROM pgmig.diff(pgmig.snapshot(ARRAY['dc']), :'tgt'::jsonb, NULL, true) ORDER BY step;
-- false: not counted
SELECT count(*) FILTER (WHERE hazard LIKE '%lost%') AS counted
  FROM pgmig.diff(pgmig.snapshot(ARRAY['dc']), :'tgt'::jsonb, NULL, false);
-- a role that may not read the table: the hazard says why it was not
-- counted, and the diff still succeeds
GRANT USAGE ON SCHEMA pgmig, dc TO regress_dc_reader;
GRANT EXECUTE ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb, boolean), pgmig.snapshot(text[]) TO regress_dc_reader;
GRANT SELECT ON dc.old TO regress_dc_reader;
SET ROLE regress_dc_reader;
SELECT statement, hazard
  FROM pgmig.diff(pgmig.snapshot(ARRAY['dc']), :'tgt'::jsonb, NULL, true)
 WHERE kind <> 'acl' ORDER BY step;
RESET ROLE;
-- a source that is not this database: its table is not here
BEGIN;
ALTER TABLE dc.old RENAME TO elsewhere;
SELECT pgmig.snapshot(ARRAY['dc'])::text AS src2 \gset
ROLLBACK;
SELECT statement, hazard
  FROM pgmig.diff(:'src2'::jsonb, :'tgt'::jsonb, NULL, true)
 WHERE kind <> 'acl' ORDER BY step;
-- nothing was changed by the counting
SELECT count(*), count(gone) FROM dc.t;
DROP SCHEMA dc CASCADE;
REVOKE ALL ON SCHEMA pgmig FROM regress_dc_reader;
REVOKE ALL ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb, boolean), pgmig.snapshot(text[]) FROM regress_dc_reader;
DROP ROLE regress_dc_reader;
DROP EXTENSION pgmig CASCADE;
