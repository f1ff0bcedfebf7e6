/* pgmig--0.2--0.3.sql: a graph version, so read-only calls can reuse the graph */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.3'" to load this file. \quit

/*
 * One row whose version changes (from a sequence, so a number is never
 * reused, not even after a rollback) with every statement that changes
 * pgmig.revision or pgmig.applied.  A backend keeps the last graph it
 * built with the version it saw; a read-only call reuses it while the
 * version it sees now is the same.  Not dumped: a restored database gets
 * a fresh row from CREATE EXTENSION.
 */
CREATE SEQUENCE pgmig.graph_version_seq;
CREATE TABLE pgmig.graph_version (
	version			bigint NOT NULL
);
INSERT INTO pgmig.graph_version VALUES (pg_catalog.nextval('pgmig.graph_version_seq'));
COMMENT ON TABLE pgmig.graph_version IS 'pgmig: changes whenever the revision graph or the applied set changes';

CREATE FUNCTION pgmig._graph_changed() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_graph_changed';
-- named to fire after revision_validate (AFTER triggers fire in name order):
-- validation counts this statement's rows by command id, and the bump's
-- UPDATE advances it
CREATE TRIGGER revision_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON pgmig.revision FOR EACH STATEMENT EXECUTE FUNCTION pgmig._graph_changed();
CREATE TRIGGER applied_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON pgmig.applied FOR EACH STATEMENT EXECUTE FUNCTION pgmig._graph_changed();

/* readers of the graph read the version; writers of the graph change it */
REVOKE ALL ON TABLE pgmig.graph_version FROM PUBLIC;
REVOKE ALL ON SEQUENCE pgmig.graph_version_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._graph_changed() FROM PUBLIC;
