/*
 * 35_diff: pgmig.diff(source, target, renames), the schema diff engine
 * (src/core/schemadiff.c) over two snapshots from pgmig.snapshot().
 *
 * Compares two values and reads nothing else: IMMUTABLE, no privileges
 * beyond EXECUTE.  Like every pgmig function, EXECUTE is not granted to
 * PUBLIC (README, "Privileges").
 */
CREATE FUNCTION pgmig.diff(source jsonb, target jsonb, renames jsonb DEFAULT NULL)
	RETURNS TABLE (step integer, statement text, hazard text, kind text, object text, reverse text)
	LANGUAGE C IMMUTABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'pgmig_diff';
COMMENT ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb) IS 'pgmig: the ordered statements that turn schema snapshot source into target, with hazards and reverse statements';
REVOKE ALL ON FUNCTION pgmig.diff(jsonb, jsonb, jsonb) FROM PUBLIC;
