
-- ---- 10_statements: one statement splitter, errors that point into the file
--
-- Where each section of a revision starts in its file (1-based line of the
-- section's first line), so that an error in a script names the FILE line.
-- pgmig.load() and pgmig.repair() fill them; the client's COPY may; NULL
-- (pgmig.add(), new_revision(), merge(), or an older client) means lines
-- are counted from the start of the section instead.
ALTER TABLE pgmig.revision
	ADD COLUMN upgrade_line integer CHECK (upgrade_line > 0),
	ADD COLUMN downgrade_line integer CHECK (downgrade_line > 0);
COMMENT ON COLUMN pgmig.revision.upgrade_line IS
	'pgmig: line of the revision file where the upgrade script starts (NULL: unknown)';
COMMENT ON COLUMN pgmig.revision.downgrade_line IS
	'pgmig: line of the revision file where the downgrade script starts (NULL: unknown)';

-- The statements of a script as pgmig runs them: cut by PostgreSQL's raw
-- parser, numbered from 1, with the line of each statement's first token.
CREATE FUNCTION pgmig.statements(script text)
	RETURNS TABLE (n integer, line integer, statement text)
	LANGUAGE C STRICT STABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'pgmig_statements';
COMMENT ON FUNCTION pgmig.statements(text) IS
	'pgmig: the statements of a script, numbered as pgmig numbers them in errors';

-- The read functions take a fresh snapshot of pgmig.revision/applied at
-- each call (a run that waited for the lock must see what the other run
-- committed), so within one statement two calls may see different graphs:
-- that is VOLATILE, and they now say so.
ALTER FUNCTION pgmig.resolve(text) VOLATILE;
ALTER FUNCTION pgmig.current() VOLATILE;
ALTER FUNCTION pgmig.heads() VOLATILE;
ALTER FUNCTION pgmig.branches() VOLATILE;
ALTER FUNCTION pgmig.history(text) VOLATILE;
ALTER FUNCTION pgmig.plan(text, text) VOLATILE;
ALTER FUNCTION pgmig.script(text, text) VOLATILE;
ALTER FUNCTION pgmig.check() VOLATILE;
ALTER FUNCTION pgmig.graph() VOLATILE;
ALTER FUNCTION pgmig.status() VOLATILE;
REVOKE ALL ON FUNCTION pgmig.statements(text) FROM PUBLIC;
