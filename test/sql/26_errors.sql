-- Issue 8 item 11: refusals say what to do next (a HINT), and file input
-- problems name the file.
CREATE EXTENSION IF NOT EXISTS pgmig;
SET pgmig.guard = off;
SELECT pgmig.add('er1', '{}', 'SELECT 1;', 'SELECT 1;', 'base');
SELECT pgmig.add('er2', '{er1}', 'SELECT 2;', 'SELECT 2;', 'two');

-- NULL elements in arrays
SELECT pgmig.add('er3', ARRAY[NULL]::text[], 'SELECT 3;');
SELECT pgmig.add('er3', '{er2}', 'SELECT 3;', NULL, '', ARRAY[NULL]::text[]);
SELECT pgmig.add('er3', '{er2}', 'SELECT 3;', NULL, '', '{}', ARRAY[NULL]::text[]);
SELECT pgmig.merge(ARRAY['er2', NULL]);
-- a duplicate parent
SELECT pgmig.add('er6', '{er2,er2}', 'SELECT 6;');
SELECT pgmig.load(E'-- revision: er6\n-- down_revision: er2, er2\n\n-- migrate:up\nSELECT 6;\n');
-- a target past head
SELECT pgmig.upgrade('+5');
SELECT pgmig.upgrade('er2+1');
-- migrate() inside a transaction
BEGIN;
CALL pgmig.migrate();
ROLLBACK;
-- the journal's own protections
UPDATE pgmig.journal SET detail = 'x';
DELETE FROM pgmig.journal;
TRUNCATE pgmig.journal;
-- GUC values
SET pgmig.guard = 'nope';

-- a UTF-8 byte order mark at the start of a file is accepted
SELECT pgmig.load(E'\uFEFF-- revision: er8\n-- down_revision: er2\n-- message: with BOM\n\n-- migrate:up\nSELECT 8;\n');
SELECT id, message FROM pgmig.revision WHERE id = 'er8';

DELETE FROM pgmig.revision WHERE id LIKE 'er%';
RESET pgmig.guard;

-- an invalid pgmig.guard set before the library is loaded is reported
\c
SET pgmig.guard = 'nope';
LOAD 'pgmig';
SHOW pgmig.guard;
DROP EXTENSION IF EXISTS pgmig CASCADE;
