
/*
 * 72_load_folder: the one upsert of a revision folder (issues 9 and 13).
 *
 * pgmig.load_folder() owns what a folder load decides: which revisions are
 * new, which changed, which are unchanged, which applied ones were edited
 * or lost their file (refused: nothing changes), and which unapplied ones
 * lost their file (removed).  The client sends every file's load digest
 * (src/core/revfile.h) first and a file's text only when its digest
 * differs from the row's, so a folder that matches the database costs one
 * call and no script travels.  Only rows that are not unchanged are
 * returned; outcome 'needed' asks for the file's text.
 *
 * pgmig.folder_seen: the fingerprint (names, sizes, times, inodes) of the
 * last folder a load found equal to pgmig.revision; any statement that
 * changes pgmig.revision forgets it.  The client's read-only commands skip
 * loading a folder whose fingerprint is recorded (README: "The folder is
 * the truth"), and so do runs, under the migration lock.  Not dumped: a restored database loads its folder once.
 */
CREATE TABLE pgmig.folder_seen (
	fingerprint		text NOT NULL,
	-- pgmig.revision's row versions when recorded (a digest), and the next
	-- xid below which that digest is sound: a change made with the
	-- triggers bypassed voids the record too (src/graphverify.c)
	revision_rows	text NOT NULL,
	valid_below		bigint NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgmig.folder_seen IS 'pgmig: fingerprint of the revision folder last found equal to pgmig.revision (cleared by any change of pgmig.revision)';
REVOKE ALL ON TABLE pgmig.folder_seen FROM PUBLIC;

CREATE FUNCTION pgmig._folder_seen_clear() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_folder_seen_clear';
-- named to fire last (AFTER triggers fire in name order): its DELETE
-- advances the command id, and revision_validate must see the statement's
-- own command id to know that the statement changed rows
CREATE TRIGGER revision_zz_folder_seen AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON pgmig.revision FOR EACH STATEMENT EXECUTE FUNCTION pgmig._folder_seen_clear();
REVOKE ALL ON FUNCTION pgmig._folder_seen_clear() FROM PUBLIC;

CREATE FUNCTION pgmig.load_folder(ids text[], files text[], digests text[],
								  contents text[] DEFAULT NULL,
								  apply boolean DEFAULT true,
								  fingerprint text DEFAULT NULL,
								  OUT id text, OUT file text, OUT outcome text,
								  OUT applied_checksum text, OUT file_checksum text)
	RETURNS SETOF record
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_load_folder';
COMMENT ON FUNCTION pgmig.load_folder(text[], text[], text[], text[], boolean, text) IS 'pgmig: load a revision folder (digests first, texts of changed files on request); returns what is not unchanged';
REVOKE ALL ON FUNCTION pgmig.load_folder(text[], text[], text[], text[], boolean, text) FROM PUBLIC;

CREATE FUNCTION pgmig.folder_unchanged(fingerprint text) RETURNS boolean
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'pgmig_folder_unchanged';
COMMENT ON FUNCTION pgmig.folder_unchanged(text) IS 'pgmig: true when a load recorded this folder fingerprint and pgmig.revision has not changed since';
REVOKE ALL ON FUNCTION pgmig.folder_unchanged(text) FROM PUBLIC;
