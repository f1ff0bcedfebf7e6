--
-- 15_statements: one statement splitter and one error story.
--
-- pgmig cuts a revision script into statements with PostgreSQL's own raw
-- parser; pgmig.statements() shows the cut, numbered as errors number it.
-- An error in a script names the revision, the statement number and the
-- line in the revision FILE (pgmig.load() records where each section
-- starts; pgmig.add() cannot, so its lines count from the section's
-- start), and a syntax error's caret points into the script, not under
-- the caller's SELECT.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP TABLE IF EXISTS st_t CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default

-- Comments and blank lines belong to no statement; semicolons inside
-- quotes, dollar quotes and comments do not end one; the last statement
-- needs no semicolon.
SELECT * FROM pgmig.statements($s$-- leading comment

CREATE TABLE st_t (a int, b text DEFAULT 'x;y');   SELECT 1;
/* a block /* nested */ comment; */
CREATE FUNCTION st_f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1;
END $$;
;
INSERT INTO st_t VALUES (1)$s$);

-- The last statement's trailing blank lines are not part of it.
SELECT n, line, statement FROM pgmig.statements(E'SELECT 1;\n  SELECT 2  \n\n');

-- An empty script, or one of comments only, has no statements.
SELECT count(*) FROM pgmig.statements('');
SELECT count(*) FROM pgmig.statements(E'-- nothing\n/* here */');

-- A syntax error: the caret is under the bad token of statement 2, and the
-- context names the statement and its line.
SELECT * FROM pgmig.statements(E'SELECT 1;\n\nCREATE TABLEX oops (a int);\nSELECT 3;');
\echo :SQLSTATE

-- A revision loaded from its file: the upgrade section starts at line 4 of
-- the file, the downgrade section at line 9.
SELECT pgmig.load($f$-- revision: st1
-- message: Unknown column in statement 2
-- migrate:up
CREATE TABLE st_t (a int);

INSERT INTO st_t
  VALUES (1) RETURNING nothing_here;
-- migrate:down
DROP TABLE st_t;
$f$);
SELECT id, upgrade_line, downgrade_line FROM pgmig.revision;

-- Statement 2 starts at file line 6; the caret is inside it (SPI reports
-- positions in the statement it parses).
SELECT pgmig.upgrade();
\echo :SQLSTATE

-- A syntax error in a loaded file: statement 2, file line 6, caret under
-- "TABLEX" inside that statement (before, it stood under the SELECT).
SELECT pgmig.repair($f$-- revision: st1
-- message: Syntax error in statement 2
-- migrate:up
CREATE TABLE st_t (a int);

CREATE TABLEX st_u (a int);
-- migrate:down
DROP TABLE st_t;
$f$);
SELECT id, upgrade_line, downgrade_line FROM pgmig.revision;
SELECT pgmig.upgrade();
\echo :SQLSTATE

-- A run-time error: statement 3 at file line 7.
SELECT pgmig.repair($f$-- revision: st1
-- message: Divides by zero in statement 3
-- migrate:up
CREATE TABLE st_t (a int);
INSERT INTO st_t VALUES (1);

INSERT INTO st_t VALUES (1/0);
-- migrate:down
DROP TABLE st_t;
SELECT 1/0;
$f$);
SELECT pgmig.upgrade();
\echo :SQLSTATE

-- The downgrade section counts from its own start in the file: line 9 of
-- the file is its statement 2.
SELECT pgmig.repair($f$-- revision: st1
-- message: Fails going down
-- migrate:up
CREATE TABLE st_t (a int);
-- migrate:down

DROP TABLE st_t;

SELECT 1/0;
$f$);
SELECT pgmig.upgrade();
SELECT pgmig.downgrade('base');
\echo :SQLSTATE
SELECT pgmig.stamp('base');
DROP TABLE st_t;

-- Unterminated quotes and multibyte text: the caret still lands in the
-- right place (positions are counted in characters).
SELECT pgmig.add('st2', ARRAY['st1'], E'SELECT ''héllo wörld'';\nSELECT ''ünterminated;', NULL, 'Unterminated');
SELECT pgmig.upgrade('st2');
\echo :SQLSTATE
SELECT pgmig.add('st2', ARRAY['st1'], E'SELECT ''héllo'' AS ü;\nSELECT ü FROM nowhere WHERE;', NULL, 'Multibyte');
SELECT pgmig.upgrade('st2');
\echo :SQLSTATE

-- Revisions written with pgmig.add() have no file: lines count from the
-- start of the section (the columns are NULL).
SELECT id, upgrade_line, downgrade_line FROM pgmig.revision ORDER BY id;

DROP EXTENSION pgmig CASCADE;
