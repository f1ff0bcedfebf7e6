--
-- 72_load_folder: pgmig.load_folder(), the one place a folder load is
-- decided (sql/0.4/72_load_folder.sql).  The client's behaviour is tested
-- in test/client/run.sh (groups load, readfolder, run); this file covers
-- the function's own outcomes, errors and privilege.
--
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE FUNCTION lf_file(id text, parent text, up text) RETURNS text
LANGUAGE sql AS $$
  SELECT '-- revision: ' || id || E'\n-- down_revision: ' || parent ||
         E'\n-- message: m ' || id || E'\n\n-- migrate:up\n' || up ||
         E'\n\n-- migrate:down\nSELECT 1;\n'
$$;

-- A first load: no row yet, so every file's text is asked for
-- ('needed') and nothing is written.
SELECT id, file, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', '{x,y}');
SELECT count(*) FROM pgmig.revision;

-- With the texts: both are new and written.
SELECT id, file, outcome, length(file_checksum) AS ck
  FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', '{x,y}',
                         ARRAY[lf_file('a', '', 'SELECT 1;'), lf_file('b', 'a', 'SELECT 2;')]);
SELECT id, down_revision, message FROM pgmig.revision ORDER BY id;

-- The load digest of a row (src/core/revfile.h), computed here in SQL
-- the way the client computes it from a file.
CREATE FUNCTION lf_field(t text) RETURNS bytea LANGUAGE sql AS $$
  SELECT convert_to(octet_length(coalesce(t, ''))::text || ':' || coalesce(t, ''), 'UTF8')
$$;
CREATE FUNCTION lf_digest(r pgmig.revision) RETURNS text LANGUAGE sql AS $$
  SELECT encode(sha256(lf_field(r.id) || lf_field(array_to_string(r.down_revision, ',')) ||
                       lf_field(array_to_string(r.depends_on, ',')) ||
                       lf_field(array_to_string(r.branch_labels, ',')) ||
                       lf_field(r.message) || lf_field(r.checksum) ||
                       lf_field(coalesce(r.upgrade_line, 0) || ',' || coalesce(r.downgrade_line, 0))), 'hex')
$$;
CREATE FUNCTION lf_digests() RETURNS text[] LANGUAGE sql AS $$
  SELECT array_agg(lf_digest(r) ORDER BY r.id) FROM pgmig.revision r
$$;

-- Equal digests: unchanged, so no row comes back and no text is needed.
SELECT * FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests());

-- b's file changed: its text is asked for, then it is 'changed'.
SELECT id, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', ARRAY[(lf_digests())[1], 'other']);
SELECT id, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', ARRAY[(lf_digests())[1], 'other'],
                                          ARRAY[NULL, lf_file('b', 'a', 'SELECT 22;')]);
SELECT upgrade FROM pgmig.revision WHERE id = 'b';

-- b's file is gone and b was never applied: 'removed', and deleted.
SELECT id, file, outcome FROM pgmig.load_folder('{a}', '{a.sql}', ARRAY[(lf_digests())[1]]);
SELECT id FROM pgmig.revision ORDER BY id;

-- An applied revision whose scripts were edited is refused ('edited'),
-- and one whose file is gone is refused ('missing'): nothing changes.
SELECT id, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', '{x,y}',
                                          ARRAY[lf_file('a', '', 'SELECT 1;'), lf_file('b', 'a', 'SELECT 2;')]);
SELECT pgmig.upgrade('head');
SELECT id, outcome, applied_checksum IS NOT NULL AS has_applied, file_checksum IS NOT NULL AS has_file
  FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', '{x,y}',
                         ARRAY[lf_file('a', '', 'SELECT 1;'), lf_file('b', 'a', 'SELECT 3;')]);
SELECT id, outcome FROM pgmig.load_folder('{b}', '{b.sql}', '{y}',
                                          ARRAY[lf_file('b', 'a', 'SELECT 2;')]);
SELECT id, upgrade FROM pgmig.revision ORDER BY id;

-- apply => false compares only: a new file is reported, not written.
SELECT id, outcome FROM pgmig.load_folder('{a,b,c}', '{a.sql,b.sql,c.sql}', lf_digests() || '{z}'::text[],
                                          ARRAY[NULL, NULL, lf_file('c', 'b', 'SELECT 4;')], false);
SELECT count(*) FROM pgmig.revision WHERE id = 'c';

-- ---------------------------------------------------------------------
-- The folder's fingerprint: recorded by a load that leaves pgmig.revision
-- equal to the folder, and forgotten by any change of pgmig.revision --
-- also one made with its triggers bypassed, which the statement trigger
-- that clears the record never sees (the record holds the table's row
-- versions).  The client skips reading a folder whose record holds.
-- ---------------------------------------------------------------------
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp1');
SELECT pgmig.folder_unchanged('fp1') AS fp1, pgmig.folder_unchanged('fp2') AS fp2;
-- a change through the triggers clears it
UPDATE pgmig.revision SET message = message WHERE id = 'b';
SELECT pgmig.folder_unchanged('fp1') AS after_update;
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp1');
SELECT pgmig.folder_unchanged('fp1') AS recorded_again;
-- the same load again writes nothing and keeps the record
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp1');
SELECT pgmig.folder_unchanged('fp1') AS kept;
-- an edit with the triggers bypassed: the record no longer holds
SET session_replication_role = replica;
UPDATE pgmig.revision SET downgrade = 'DROP TABLE precious;' WHERE id = 'b';
RESET session_replication_role;
SELECT count(*) AS records_left FROM pgmig.folder_seen;
SELECT pgmig.folder_unchanged('fp1') AS after_bypassed_update;
-- and a load reads the folder again: the file's text is asked for
SELECT id, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', '{x,y}', NULL, true, 'fp1');
SET session_replication_role = replica;
UPDATE pgmig.revision SET downgrade = E'SELECT 1;\n' WHERE id = 'b';
RESET session_replication_role;
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp1');
SELECT pgmig.folder_unchanged('fp1') AS recorded;
-- a row inserted or deleted with the triggers bypassed, likewise
SET session_replication_role = replica;
INSERT INTO pgmig.revision (id, down_revision, message, upgrade, downgrade)
  VALUES ('zz', '{b}', 'sneaked in', 'SELECT 1;', 'SELECT 1;');
RESET session_replication_role;
SELECT pgmig.folder_unchanged('fp1') AS after_bypassed_insert;
SET session_replication_role = replica;
DELETE FROM pgmig.revision WHERE id = 'zz';
RESET session_replication_role;
-- the very row versions recorded, again: nothing to read
SELECT pgmig.folder_unchanged('fp1') AS same_rows_again;
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM pgmig.revision WHERE id = 'b';
SELECT pgmig.folder_unchanged('fp1') AS after_bypassed_delete;
ROLLBACK;
-- a rewrite of the table moves the rows: read again, never trusted
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp1');
VACUUM FULL pgmig.revision;
SELECT pgmig.folder_unchanged('fp1') AS after_vacuum_full;
-- a record that was rolled back is gone with its transaction
BEGIN;
SELECT count(*) FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, true, 'fp3');
SELECT pgmig.folder_unchanged('fp3') AS in_transaction;
ROLLBACK;
SELECT pgmig.folder_unchanged('fp3') AS after_rollback;

-- ---------------------------------------------------------------------
-- Bad input: an error naming the problem, with a hint; nothing changes.
-- ---------------------------------------------------------------------
SELECT * FROM pgmig.load_folder('{a,b}', '{a.sql}', '{x,y}');
SELECT * FROM pgmig.load_folder('{a,NULL}', '{a.sql,b.sql}', '{x,y}');
SELECT * FROM pgmig.load_folder('{c}', '{c.sql}', '{z}', ARRAY['not a revision file']);
SELECT * FROM pgmig.load_folder('{c}', '{c.sql}', '{z}', ARRAY[lf_file('d', 'b', 'SELECT 4;')]);
SELECT * FROM pgmig.load_folder('{c,c}', '{c.sql,c2.sql}', '{z,z}');
SELECT id FROM pgmig.revision ORDER BY id;

-- ---------------------------------------------------------------------
-- Privilege: a role that may run the function but not write
-- pgmig.revision is refused, even when the folder would change nothing.
-- ---------------------------------------------------------------------
CREATE ROLE lf_reader;
GRANT USAGE ON SCHEMA pgmig TO lf_reader;
GRANT SELECT ON pgmig.revision, pgmig.applied TO lf_reader;
GRANT EXECUTE ON FUNCTION pgmig.load_folder(text[], text[], text[], text[], boolean, text) TO lf_reader;
GRANT EXECUTE ON FUNCTION lf_digests(), lf_digest(pgmig.revision), lf_field(text) TO lf_reader;
SET ROLE lf_reader;
SELECT * FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests());
SELECT * FROM pgmig.load_folder('{a,b,c}', '{a.sql,b.sql,c.sql}', lf_digests() || '{z}'::text[],
                                ARRAY[NULL, NULL, lf_file('c', 'b', 'SELECT 4;')]);
-- comparing only needs no write privilege
SELECT id, outcome FROM pgmig.load_folder('{a,b}', '{a.sql,b.sql}', lf_digests(), NULL, false);
-- and a role that may not even run it
RESET ROLE;
CREATE ROLE lf_nobody;
GRANT USAGE ON SCHEMA pgmig TO lf_nobody;
SET ROLE lf_nobody;
SELECT * FROM pgmig.load_folder('{a}', '{a.sql}', '{x}');
RESET ROLE;
SELECT id FROM pgmig.revision ORDER BY id;

DROP OWNED BY lf_reader, lf_nobody;
DROP ROLE lf_reader, lf_nobody;
DROP EXTENSION pgmig CASCADE;
