-- 60_defaults: Alembic's defaults.  `flask db upgrade` means head and
-- `flask db downgrade` means -1; pgmig.upgrade() and pgmig.downgrade() with no
-- argument do the same.
DROP EXTENSION IF EXISTS pgmig CASCADE;
CREATE EXTENSION pgmig;
SELECT pgmig.add('d1', '{}', 'CREATE TABLE d1 (id int);', 'DROP TABLE d1;', 'first');
SELECT pgmig.add('d2', '{d1}', 'CREATE TABLE d2 (id int);', 'DROP TABLE d2;', 'second');
SELECT pgmig.add('d3', '{d2}', 'CREATE TABLE d3 (id int);', 'DROP TABLE d3;', '');

-- no argument: the single head; an empty message leaves no trailing comma
SELECT pgmig.upgrade();
SELECT revision FROM pgmig.current();

-- no argument: one step down
SELECT pgmig.downgrade();
SELECT revision FROM pgmig.current();
SELECT pgmig.downgrade();
SELECT revision FROM pgmig.current();

-- a second head: upgrade() stops with Alembic's advice and runs nothing
SELECT pgmig.add('e1', '{d1}', 'CREATE TABLE e1 (id int);', 'DROP TABLE e1;', 'branch');
SELECT pgmig.upgrade();
\echo :SQLSTATE
SELECT revision FROM pgmig.current();
SELECT pgmig.upgrade('heads');
SELECT revision FROM pgmig.current() ORDER BY 1;

DROP EXTENSION pgmig;
DROP TABLE d1, d2, d3, e1;
