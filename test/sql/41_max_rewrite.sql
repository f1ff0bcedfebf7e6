--
-- 41_max_rewrite: pgmig.max_rewrite_size refuses, during a pgmig run, a
-- table rewrite larger than the limit, unless the revision says
-- "-- pgmig:allow rewrite".  Off by default; silent outside pgmig runs.
--
SET pgmig.guard = off;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
DROP TABLE IF EXISTS rw_big, rw_small;
RESET client_min_messages;

CREATE TABLE rw_big (id int, v int);
INSERT INTO rw_big SELECT g, g FROM generate_series(1, 100000) g;
CREATE TABLE rw_small (id int, v int);
INSERT INTO rw_small VALUES (1, 1);

SHOW pgmig.max_rewrite_size;

SELECT pgmig.add('rw1', '{}', 'ALTER TABLE rw_small ALTER COLUMN v TYPE bigint;',
				 'ALTER TABLE rw_small ALTER COLUMN v TYPE int;', 'small rewrite');
SELECT pgmig.add('rw2', '{rw1}', 'ALTER TABLE rw_big ALTER COLUMN v TYPE bigint;',
				 'ALTER TABLE rw_big ALTER COLUMN v TYPE int;', 'big rewrite');
SELECT pgmig.add('rw3', '{rw2}', $$-- the table is ours tonight: pgmig:allow rewrite
ALTER TABLE rw_big ALTER COLUMN id TYPE bigint;$$,
				 'ALTER TABLE rw_big ALTER COLUMN id TYPE int;', 'acknowledged rewrite');

-- With a 1 MB limit: the small table may be rewritten, the big one not.
SET pgmig.max_rewrite_size = '1MB';
\set VERBOSITY default
SELECT pgmig.upgrade('rw2');
\set VERBOSITY terse
-- nothing was applied, the column is unchanged
SELECT revision FROM pgmig.current();
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'rw_small'::regclass AND attname = 'v';
SELECT pgmig.upgrade('rw1');

-- Outside a pgmig run the limit does not apply.
BEGIN;
ALTER TABLE rw_big ALTER COLUMN v TYPE bigint;
ROLLBACK;

-- The acknowledged revision passes; so does everything with the limit off.
SELECT pgmig.add('rw4', '{rw1}', $$-- pgmig:allow rewrite
ALTER TABLE rw_big ALTER COLUMN v TYPE bigint;$$, 'SELECT 1;', 'acknowledged');
SELECT pgmig.upgrade('rw4');
RESET pgmig.max_rewrite_size;
SELECT pgmig.upgrade('rw3');
SELECT revision FROM pgmig.heads() ORDER BY 1;
