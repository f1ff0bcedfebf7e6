
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
