
-- ---- 20: trust (issue 8) ----
-- pgmig writes its own bookkeeping, as the owner of schema pgmig: a deploy
-- role needs no write privilege on pgmig.applied and pgmig.journal, and
-- nobody can add, change or remove a row of them by hand.  The role
-- columns take the role pgmig acts for, not the owner it writes as.
CREATE FUNCTION pgmig._acting_role() RETURNS name
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_acting_role';
ALTER TABLE pgmig.journal ALTER COLUMN role_name SET DEFAULT pgmig._acting_role();
ALTER TABLE pgmig.applied ALTER COLUMN applied_by SET DEFAULT pgmig._acting_role();

CREATE FUNCTION pgmig._bookkeeping_guard() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_bookkeeping_guard';
CREATE TRIGGER applied_written_by_pgmig BEFORE INSERT OR UPDATE OR DELETE ON pgmig.applied
	FOR EACH ROW EXECUTE FUNCTION pgmig._bookkeeping_guard();
CREATE TRIGGER applied_no_truncate BEFORE TRUNCATE ON pgmig.applied
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._bookkeeping_guard();
CREATE TRIGGER journal_written_by_pgmig BEFORE INSERT ON pgmig.journal
	FOR EACH ROW EXECUTE FUNCTION pgmig._bookkeeping_guard();

-- every change of the graph waits for the migration lock first
CREATE FUNCTION pgmig._revision_lock() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_revision_lock';
CREATE TRIGGER revision_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgmig.revision
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._revision_lock();

REVOKE ALL ON FUNCTION pgmig._acting_role() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._bookkeeping_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._revision_lock() FROM PUBLIC;

-- Non-transactional revisions, statement by statement (nontx.c): the
-- client asks for each statement, the guard lets exactly that text through
-- once, and the progress survives a crash so a rerun resumes.
CREATE TABLE pgmig.statement_progress (
	revision		text NOT NULL,
	direction		text NOT NULL CHECK (direction IN ('upgrade', 'downgrade')),
	done			integer NOT NULL,
	at				timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (revision, direction)
);
COMMENT ON TABLE pgmig.statement_progress IS 'pgmig: statements of a non-transactional revision already run';
SELECT pg_catalog.pg_extension_config_dump('pgmig.statement_progress', '');
REVOKE ALL ON TABLE pgmig.statement_progress FROM PUBLIC;

CREATE FUNCTION pgmig.begin_statement(revision text, direction text, n integer) RETURNS text
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_begin_statement';
CREATE FUNCTION pgmig.end_statement(revision text, direction text, n integer) RETURNS void
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_end_statement';
REVOKE ALL ON FUNCTION pgmig.begin_statement(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig.end_statement(text, text, integer) FROM PUBLIC;

-- Confused deputy (deputy.c): a script runs with no more rights than its
-- author's unless a role with the rights approved it.  loaded_by is set by
-- the server (the row trigger), never taken from the caller.
CREATE TABLE pgmig.approval (
	revision		text NOT NULL,
	checksum		text NOT NULL,
	approved_by		name NOT NULL DEFAULT pgmig._acting_role(),
	approved_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (revision, checksum, approved_by)
);
COMMENT ON TABLE pgmig.approval IS 'pgmig: revisions approved to run with the rights of whoever runs them';
SELECT pg_catalog.pg_extension_config_dump('pgmig.approval', '');
REVOKE ALL ON TABLE pgmig.approval FROM PUBLIC;
CREATE FUNCTION pgmig.approve(revision text) RETURNS void
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_approve';
REVOKE ALL ON FUNCTION pgmig.approve(text) FROM PUBLIC;
