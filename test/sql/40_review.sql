--
-- 40_review: pgmig.review(target) predicts what upgrade(target) would lock,
-- rewrite and scan on this database's real tables, and what would fail on
-- this data, without running anything.
--
SET pgmig.guard = off;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
DROP TABLE IF EXISTS big, tiny, empty, parent, fresh, other, "we""ird; drop" CASCADE;
DROP TYPE IF EXISTS mood;
RESET client_min_messages;

-- The fixture: a populated table (100,000 rows), a tiny and an empty one.
--   big.note is NULL in 100 rows; big.amount has 100 values, each 1,000
--   times; big.ref is 0..49 but parent only has 0..39 (20,000 orphans).
CREATE TABLE big (id int PRIMARY KEY, name varchar(20) NOT NULL, amount int,
				  note text, ref int);
INSERT INTO big SELECT g, 'n' || g, g % 100,
	   CASE WHEN g % 1000 = 0 THEN NULL ELSE 'x' END, g % 50
  FROM generate_series(1, 100000) g;
CREATE TABLE tiny (id int PRIMARY KEY, v text);
INSERT INTO tiny VALUES (1, 'a'), (2, 'b'), (3, NULL);
CREATE TABLE empty (id int PRIMARY KEY, v text);
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent SELECT generate_series(0, 39);
CREATE TYPE mood AS ENUM ('sad', 'happy');
ANALYZE big, tiny, parent;

-- Each scenario is its own root revision, so review('name') sees only it.
CREATE FUNCTION scenario(id text, up text, down text DEFAULT 'SELECT 1;',
						 transactional boolean DEFAULT true, parent text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
	SELECT pgmig.add(id, CASE WHEN parent IS NULL THEN '{}'::text[] ELSE ARRAY[parent] END,
					 up, down, id, '{}', '{}', transactional);
$$;
-- The findings that matter (info rows are the lock table, shown separately).
CREATE FUNCTION findings(target text)
RETURNS TABLE (stmt int, line int, severity text, rule text, relation text,
			   lock text, rows bigint)
LANGUAGE sql AS $$
	SELECT statement, line, severity, rule, relation, lock, rows
	  FROM pgmig.review(target) WHERE severity <> 'info'
	 ORDER BY revision, statement, rule, relation;
$$;

-- CREATE INDEX on a populated table blocks writes while it builds; on a
-- tiny table it does not matter.  The lock table shows both.
SELECT scenario('s_index', $$CREATE INDEX big_amount ON big (amount);
CREATE INDEX tiny_v ON tiny (v);$$);
SELECT statement, severity, rule, relation, lock, rows, message
  FROM pgmig.review('s_index') ORDER BY statement, severity;
SELECT hint FROM pgmig.review('s_index') WHERE rule = 'create-index';

-- Severity grows with size: the thresholds are GUCs.
SET pgmig.review_error_rows = 50000;
SELECT * FROM findings('s_index');
SET pgmig.review_warn_rows = 1000000;
SET pgmig.review_error_rows = 2000000;
SELECT * FROM findings('s_index');
RESET pgmig.review_warn_rows;
RESET pgmig.review_error_rows;

-- CONCURRENTLY, in a non-transactional revision: nothing to warn about.
SELECT scenario('s_concurrently', 'CREATE INDEX CONCURRENTLY big_name ON big (name);',
				'DROP INDEX CONCURRENTLY big_name;', false);
SELECT severity, rule, relation, lock FROM pgmig.review('s_concurrently');

-- Type changes: bigint rewrites; varchar widening and varchar -> text do not.
SELECT scenario('s_type', 'ALTER TABLE big ALTER COLUMN amount TYPE bigint;');
SELECT * FROM findings('s_type');
SELECT scenario('s_widen', $$ALTER TABLE big ALTER COLUMN name TYPE varchar(40);
ALTER TABLE big ALTER COLUMN name TYPE text;
ALTER TABLE big ALTER COLUMN note TYPE text;$$);
SELECT * FROM findings('s_widen');

-- ADD COLUMN: a constant (or stable) default is free; a volatile one rewrites.
SELECT scenario('s_add_default', $$ALTER TABLE big ADD COLUMN flag boolean DEFAULT false;
ALTER TABLE big ADD COLUMN seen timestamptz DEFAULT now();
ALTER TABLE big ADD COLUMN made timestamptz DEFAULT clock_timestamp();
ALTER TABLE big ADD COLUMN n bigserial;$$);
SELECT * FROM findings('s_add_default');

-- SET NOT NULL scans under ACCESS EXCLUSIVE, and here it would fail:
-- 100 rows are NULL.
SELECT scenario('s_not_null', 'ALTER TABLE big ALTER COLUMN note SET NOT NULL;');
SELECT * FROM findings('s_not_null');
SELECT message, hint FROM pgmig.review('s_not_null') WHERE rule LIKE '%not-null';
-- (the README's example)
SELECT severity, rule, relation, lock, rows FROM pgmig.review('s_not_null')
 WHERE severity <> 'info' ORDER BY severity;

-- The safe pattern: CHECK (col IS NOT NULL) NOT VALID, VALIDATE later, then
-- SET NOT NULL, which uses the validated CHECK and does not scan.
SELECT scenario('s_nn_1', 'ALTER TABLE big ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;');
SELECT scenario('s_nn_2', 'ALTER TABLE big VALIDATE CONSTRAINT name_nn;', parent => 's_nn_1');
SELECT scenario('s_nn_3', 'ALTER TABLE big ALTER COLUMN name SET NOT NULL;', parent => 's_nn_2');
SELECT * FROM findings('s_nn_3');

-- CHECK: validated -> scan, and 10,000 rows violate it; NOT VALID -> silent.
SELECT scenario('s_check', 'ALTER TABLE big ADD CONSTRAINT amount_small CHECK (amount < 90);');
SELECT * FROM findings('s_check');
SELECT message FROM pgmig.review('s_check') WHERE rule = 'data-check';
SELECT scenario('s_check_nv', 'ALTER TABLE big ADD CONSTRAINT amount_small CHECK (amount < 90) NOT VALID;');
SELECT * FROM findings('s_check_nv');

-- FOREIGN KEY: both tables locked SHARE ROW EXCLUSIVE; 20,000 orphans.
SELECT scenario('s_fk', 'ALTER TABLE big ADD CONSTRAINT big_ref_fk FOREIGN KEY (ref) REFERENCES parent;');
SELECT severity, rule, relation, lock, rows FROM pgmig.review('s_fk') ORDER BY severity, rule, relation;
SELECT message FROM pgmig.review('s_fk') WHERE rule = 'data-foreign-key';
SELECT scenario('s_fk_nv', 'ALTER TABLE big ADD CONSTRAINT big_ref_fk FOREIGN KEY (ref) REFERENCES parent (id) NOT VALID;');
SELECT * FROM findings('s_fk_nv');

-- UNIQUE: builds an index under ACCESS EXCLUSIVE; 100 values repeat.
SELECT scenario('s_unique', $$ALTER TABLE big ADD CONSTRAINT big_amount_key UNIQUE (amount);
CREATE UNIQUE INDEX tiny_v_key ON tiny (v);$$);
SELECT * FROM findings('s_unique');

-- ADD COLUMN ... NOT NULL without a default fails on any non-empty table.
SELECT scenario('s_add_nn', $$ALTER TABLE tiny ADD COLUMN must int NOT NULL;
ALTER TABLE empty ADD COLUMN must int NOT NULL;$$);
SELECT * FROM findings('s_add_nn');

-- Nothing to say about a table created earlier in the same run, nor about
-- an enum's new value.
SELECT scenario('s_created', $$CREATE TABLE fresh (id int, v text);
INSERT INTO fresh SELECT g, 'v' FROM generate_series(1, 10) g;
CREATE INDEX fresh_v ON fresh (v);
ALTER TABLE fresh ALTER COLUMN id TYPE bigint;
ALTER TABLE fresh ALTER COLUMN v SET NOT NULL;
ALTER TYPE mood ADD VALUE 'meh';$$);
SELECT scenario('s_created_2', 'ALTER TABLE fresh ADD CONSTRAINT fresh_v_key UNIQUE (v);',
				parent => 's_created');
SELECT * FROM findings('s_created_2');

-- A data check on a column that an earlier statement of the run adds
-- cannot run yet: it is skipped, the review goes on.
SELECT scenario('s_new_col', $$ALTER TABLE big ADD COLUMN fresh_col int REFERENCES parent;
ALTER TABLE big ADD CONSTRAINT fresh_pos CHECK (fresh_col > 0);
ALTER TABLE big ALTER COLUMN fresh_col SET NOT NULL;$$);
SELECT * FROM findings('s_new_col');

-- Renames and drops break the running application: expand/contract.
SELECT scenario('s_rename', $$ALTER TABLE big RENAME COLUMN note TO remark;
ALTER TABLE tiny DROP COLUMN v;
DROP TABLE empty;$$);
SELECT * FROM findings('s_rename');

-- The seed's rules: schema change and data migration in one revision;
-- a big UPDATE in one transaction; an index beside a new table; a
-- revision without a downgrade.
SELECT scenario('s_mixed', $$ALTER TABLE tiny ADD COLUMN w int;
UPDATE tiny SET w = 1;$$);
SELECT * FROM findings('s_mixed');
SELECT scenario('s_backfill', 'UPDATE big SET amount = amount + 1;');
SELECT * FROM findings('s_backfill');
SELECT scenario('s_beside', $$CREATE TABLE other (id int);
CREATE INDEX big_ref ON big (ref);$$);
SELECT * FROM findings('s_beside');
SELECT scenario('s_no_down', 'ALTER TABLE tiny ADD COLUMN z int;', NULL);
SELECT * FROM findings('s_no_down');

-- Lock accumulation: two exclusive locks held while a later statement
-- scans the big table.
SELECT scenario('s_accum', $$ALTER TABLE tiny ADD COLUMN x int;
ALTER TABLE empty ADD COLUMN y int;
ALTER TABLE big ADD CONSTRAINT amount_pos CHECK (amount >= 0);$$);
SELECT * FROM findings('s_accum');
SELECT message FROM pgmig.review('s_accum') WHERE rule = 'lock-accumulation';

-- Rewrites by maintenance commands.
SELECT scenario('s_vacuum', $$VACUUM FULL big;$$, 'SELECT 1;', false);
SELECT scenario('s_logged', 'ALTER TABLE big SET UNLOGGED;');
SELECT * FROM findings('s_vacuum');
SELECT * FROM findings('s_logged');

-- "-- pgmig:ignore RULE" acknowledges a finding on the next statement.
SELECT scenario('s_ignore', $$-- the table is quiet at night: pgmig:ignore create-index
CREATE INDEX big_ref ON big (ref);
CREATE INDEX big_note ON big (note);$$);
SELECT * FROM findings('s_ignore');

-- Names from the scripts are quoted: no injection through identifiers.
CREATE TABLE "we""ird; drop" (id int, "co;l" int);
INSERT INTO "we""ird; drop" VALUES (1, NULL), (2, 2);
SELECT scenario('s_quote', 'ALTER TABLE "we""ird; drop" ALTER COLUMN "co;l" SET NOT NULL;');
SELECT severity, rule, message FROM pgmig.review('s_quote') WHERE rule = 'data-not-null';

-- A CHECK expression is the only script text a data check runs; it cannot
-- break out of the query it is put in.
SELECT scenario('s_check_text', $$ALTER TABLE tiny ADD CONSTRAINT odd CHECK (v <> ')' AND v <> 'a' /* ) OR true */);$$);
SELECT severity, rule, message FROM pgmig.review('s_check_text') WHERE rule = 'data-check';

-- review() changes nothing and holds no lock on a user table afterwards.
SELECT count(*) AS applied_before FROM pgmig.applied;
BEGIN;
SELECT count(*) > 0 AS found FROM pgmig.review('s_fk');
SELECT count(*) > 0 AS found FROM pgmig.review('s_check');
SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
   AND c.relnamespace = 'public'::regnamespace;
COMMIT;
SELECT count(*) AS applied_after FROM pgmig.applied;
SELECT count(*) AS big_rows, count(note) AS notes FROM big;
SELECT conname FROM pg_constraint WHERE conrelid = 'big'::regclass ORDER BY 1;

-- A relation that is not in this database, and that no earlier statement
-- of the run creates: the run would fail there (missing-relation, an
-- error).  Created, renamed or indexed earlier in the run, named with IF
-- EXISTS, or after a statement review cannot see into (a DO block, a
-- SELECT, SET search_path): nothing.
SELECT scenario('s_missing', $$ALTER TABLE no_such ADD COLUMN x int;
INSERT INTO public.no_such_either VALUES (1);
CREATE INDEX no_such_idx ON no_such_third (id);
CREATE TABLE child (id int REFERENCES no_such_parent, self_ref int REFERENCES child);
DROP TABLE no_such_fourth;
ALTER TABLE IF EXISTS no_such ADD COLUMN y int;
DROP TABLE IF EXISTS no_such;$$, 'DROP TABLE child;');
SELECT * FROM findings('s_missing');
SELECT message, hint FROM pgmig.review('s_missing') WHERE rule = 'missing-relation' AND statement = 1;
SELECT scenario('s_missing_ok', $$CREATE TABLE made (id int PRIMARY KEY);
ALTER TABLE made ADD COLUMN v text;
CREATE INDEX made_v ON made (v);
ALTER INDEX made_v RENAME TO made_v2;
ALTER INDEX made_v2 SET (fillfactor = 90);
ALTER TABLE made RENAME TO made2;
INSERT INTO made2 (id) VALUES (1);
CREATE SEQUENCE made_seq;
ALTER TABLE made2 ALTER COLUMN id SET DEFAULT nextval('made_seq');$$,
				'DROP TABLE made2; DROP SEQUENCE made_seq;');
SELECT scenario('s_missing_later', $$ALTER TABLE made2 ADD COLUMN w text;$$, 'SELECT 1;',
				true, 's_missing_ok');
SELECT * FROM findings('s_missing_later');
SELECT scenario('s_missing_do', $$DO $do$ BEGIN EXECUTE 'CREATE TABLE made_by_do (a int)'; END $do$;
ALTER TABLE made_by_do ADD COLUMN b int;$$, 'DROP TABLE made_by_do;');
SELECT * FROM findings('s_missing_do');
SELECT scenario('s_missing_path', $$SET search_path = elsewhere, public;
ALTER TABLE in_elsewhere ADD COLUMN b int;$$);
SELECT * FROM findings('s_missing_path');
-- a view's or CREATE TABLE AS's query, COMMENT ON and GRANT name
-- relations too (a WITH query's name is not one; the view's own
-- relations, created earlier in the run, are there)
SELECT scenario('s_missing_names', $$CREATE VIEW v_missing AS SELECT * FROM no_view_src JOIN big USING (id);
CREATE VIEW v_cte AS WITH w AS (SELECT 1 AS id) SELECT * FROM w, (SELECT * FROM public.no_sub_src) s;
CREATE TABLE t_ctas AS SELECT * FROM no_ctas_src;
CREATE TABLE t_made (id int);
CREATE VIEW v_made AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM t_made, r;
COMMENT ON TABLE no_comment_target IS 'x';
COMMENT ON COLUMN no_comment_col_table.c IS 'x';
COMMENT ON TABLE t_made IS 'x';
COMMENT ON COLUMN t_made.id IS 'x';
GRANT SELECT ON no_grant_target, t_made TO PUBLIC;
GRANT USAGE ON SEQUENCE no_grant_seq TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;$$,
				'DROP VIEW v_made; DROP TABLE t_made;');
SELECT * FROM findings('s_missing_names');
-- and it is silenced like any rule
SELECT scenario('s_missing_ignored', $$-- made by the application at start-up: pgmig:ignore missing-relation
ALTER TABLE no_such ADD COLUMN x int;$$);
SELECT * FROM findings('s_missing_ignored');

-- Bad input: an unknown target is an error naming it.
SELECT * FROM pgmig.review('nope');

DROP FUNCTION scenario, findings;
