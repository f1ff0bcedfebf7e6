/*
 * 34_diff_count: pgmig.diff(source, target, renames, count_lost), the diff
 * of 35_diff whose data-deleting drops are counted in this database when
 * count_lost is true ("...: 1,234 non-NULL values are lost"), for a source
 * that is this database (pgmig.diff(pgmig.snapshot(), target, NULL, true)).
 *
 * No default for renames: with one, a call with two arguments would match
 * both functions.  VOLATILE: it reads the tables it counts, as the caller
 * (who needs SELECT on them; a count that fails says why in the hazard).
 * EXECUTE is not granted to PUBLIC, like every pgmig function.
 */
CREATE FUNCTION pgmig.diff(source jsonb, target jsonb, renames jsonb, count_lost boolean)
	RETURNS TABLE (step integer, statement text, hazard text, kind text, object text, reverse text)
	LANGUAGE C VOLATILE
	AS 'MODULE_PATHNAME', 'pgmig_diff_counted';
COMMENT ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb, boolean) IS 'pgmig: pgmig.diff() whose DROP TABLE/COLUMN hazards count, in this database, the rows or values they delete';
REVOKE ALL ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb, boolean) FROM PUBLIC;
