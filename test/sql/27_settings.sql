-- Issue 8 item 11: settings are refused with a hint, an invalid pgmig.guard
-- set before the library was loaded fails closed, and a duplicate id within
-- one load names the revision.
--
-- First statement of a new session: pgmig's library is not loaded yet, so
-- this is an unchecked placeholder (as ALTER DATABASE ... SET would leave).
SET pgmig.guard = 'eror';
-- loading the library: a WARNING, and the guard fails closed
LOAD 'pgmig';
SHOW pgmig.guard;
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
-- in a new session the guard's own event trigger loads the library, and
-- refuses the DDL as "error" would
\c
SET pgmig.guard = 'eror';
CREATE TABLE settings_t (a int);
SELECT count(*) AS settings_t_exists FROM pg_class WHERE relname = 'settings_t';
-- a valid value takes over again
SET pgmig.guard = warn;
SHOW pgmig.guard;
SET pgmig.guard = off;

-- the lock settings: out-of-range values are refused with a hint
SET pgmig.lock_timeout = -5;
SET pgmig.lock_retries = 101;
SET pgmig.lock_retries = -1;
SET pgmig.lock_timeout = '5s';
SHOW pgmig.lock_timeout;
SET pgmig.lock_retries = 100;
SHOW pgmig.lock_retries;
RESET pgmig.lock_timeout;
RESET pgmig.lock_retries;

-- a duplicate id inside one COPY, and inside one INSERT
COPY pgmig.revision (id, down_revision, upgrade) FROM stdin;
st_dup	{}	SELECT 1;
st_dup	{}	SELECT 2;
\.
INSERT INTO pgmig.revision (id, down_revision, upgrade)
VALUES ('st_dup', '{}', 'SELECT 1;'), ('st_dup', '{}', 'SELECT 2;');
SELECT count(*) AS st_dup_rows FROM pgmig.revision WHERE id = 'st_dup';
-- the same id in two statements of one transaction is the key's business
BEGIN;
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('st_one', '{}', 'SELECT 1;');
SAVEPOINT s;
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('st_one', '{}', 'SELECT 1;');
ROLLBACK TO s;
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('st_two', '{st_one}', 'SELECT 2;');
SELECT id FROM pgmig.revision WHERE id LIKE 'st\_%' ORDER BY id;
ROLLBACK;
-- leave the database as the next file expects it
SET pgmig.guard = off;
DROP EXTENSION IF EXISTS pgmig CASCADE;
