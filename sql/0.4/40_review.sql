
-- ---- review (issue 11) ----------------------------------------------------
/*
 * pgmig.review(target): what upgrade(target) would lock, rewrite and scan,
 * and what would fail on this data, without running anything.  Not
 * SECURITY DEFINER: its data checks run as the caller, and
 * pg_stat_activity shows the caller only what it may see.
 */
CREATE FUNCTION pgmig.review(target text DEFAULT 'head')
	RETURNS TABLE (revision text, statement integer, line integer,
				   severity text, rule text, relation text, lock text,
				   rows bigint, bytes bigint, message text, hint text)
	LANGUAGE c STRICT
	AS 'MODULE_PATHNAME', 'pgmig_review';
COMMENT ON FUNCTION pgmig.review(text) IS 'pgmig: locks, rewrites, scans, data checks and live blockers of upgrade(target), without running it';
REVOKE ALL ON FUNCTION pgmig.review(text) FROM PUBLIC;

/*
 * pgmig.max_rewrite_size (off by default): during a pgmig run, refuse to
 * rewrite a relation larger than that unless the revision's upgrade
 * section says "-- pgmig:allow rewrite".
 */
CREATE FUNCTION pgmig._review_rewrite() RETURNS event_trigger
	LANGUAGE c AS 'MODULE_PATHNAME', 'pgmig_review_rewrite';
REVOKE ALL ON FUNCTION pgmig._review_rewrite() FROM PUBLIC;
CREATE EVENT TRIGGER pgmig_review_rewrite ON table_rewrite
	EXECUTE FUNCTION pgmig._review_rewrite();
