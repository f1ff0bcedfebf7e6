
/*
 * 50_graph_store: the stored graph image (issue 13).  One row holding the
 * compact image of the graph pgmig.revision describes (src/core/graphimg.h),
 * rewritten by every statement that changes pgmig.revision, so a new
 * backend reads one row instead of every revision.  It never holds the
 * applied set.  Not dumped: after a restore the image is rewritten by the
 * restored rows' statement trigger, or by pgmig.refresh_graph().  Stored
 * uncompressed: reading it is a copy.
 */
CREATE TABLE pgmig.graph_image (
	image			bytea
);
ALTER TABLE pgmig.graph_image ALTER COLUMN image SET STORAGE EXTERNAL;
INSERT INTO pgmig.graph_image (image) VALUES (NULL);
COMMENT ON TABLE pgmig.graph_image IS 'pgmig: compact image of the revision graph (no applied state), rewritten with every change of pgmig.revision';

CREATE FUNCTION pgmig._graph_image_clear() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_graph_image_clear';
CREATE TRIGGER revision_image_truncate AFTER TRUNCATE ON pgmig.revision
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._graph_image_clear();

CREATE FUNCTION pgmig.refresh_graph() RETURNS integer
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_refresh_graph';
COMMENT ON FUNCTION pgmig.refresh_graph() IS 'pgmig: rewrite the stored graph image from pgmig.revision';

-- an updated database gets the image of its current graph
SELECT pgmig.refresh_graph();

REVOKE ALL ON TABLE pgmig.graph_image FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._graph_image_clear() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig.refresh_graph() FROM PUBLIC;

-- history() is a SQL function the planner inlines, calling
-- pgmig._history_rows() in its select list: a backend's first call hands
-- the stored image's rows over one at a time instead of materialising
-- every revision in a tuplestore (src/info.c).  STABLE only so that it can
-- be inlined: it reads nothing itself, and the function it calls is
-- VOLATILE (a fresh snapshot at each call), which the inlined query keeps.
-- _history_rows() is executable by PUBLIC (USAGE on schema pgmig is still
-- needed to reach it) and answers only a role with EXECUTE on
-- history(text): granting history(text) stays all a role needs.
CREATE FUNCTION pgmig._history_rows(range text,
		OUT revision text, OUT down_revision text[], OUT depends_on text[],
		OUT branch_labels text[], OUT message text, OUT applied boolean,
		OUT is_head boolean, OUT is_branch_point boolean, OUT is_merge boolean)
	RETURNS SETOF record
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_history_rows';
COMMENT ON FUNCTION pgmig._history_rows(text) IS 'pgmig: the rows of pgmig.history(), for a role with EXECUTE on it';
GRANT EXECUTE ON FUNCTION pgmig._history_rows(text) TO PUBLIC;
CREATE OR REPLACE FUNCTION pgmig.history(range text DEFAULT NULL)
	RETURNS TABLE (revision text, down_revision text[], depends_on text[],
				   branch_labels text[], message text, applied boolean,
				   is_head boolean, is_branch_point boolean, is_merge boolean)
	LANGUAGE sql STABLE
	AS $$ SELECT (h).* FROM (SELECT pgmig._history_rows(range) AS h) s $$;
