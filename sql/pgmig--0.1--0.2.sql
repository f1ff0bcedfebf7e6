/* pgmig--0.1--0.2.sql: migrate(), the DDL guard, test_roundtrip() */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.2'" to load this file. \quit

/*
 * DDL run outside a pgmig run, as recorded by the pgmig_guard event
 * triggers.  Rows are written as the table's owner (the DDL's role needs no
 * privilege here); readers need SELECT, granted explicitly.
 */
CREATE TABLE pgmig.drift (
	id				bigserial PRIMARY KEY,
	at				timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	role_name		name NOT NULL,
	session_role	name,
	command_tag		text NOT NULL,
	object_type		text,
	object_identity	text,
	schema_name		text,
	statement		text,
	backend_pid		integer,
	application_name text,
	action			text NOT NULL DEFAULT 'warned'
);
COMMENT ON TABLE pgmig.drift IS 'pgmig: DDL run outside a pgmig run (recorded by the pgmig_guard event triggers)';

SELECT pg_catalog.pg_extension_config_dump('pgmig.drift', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.drift_id_seq', '');

/*
 * CALL pgmig.migrate(): commits after every revision.  No SET clause and
 * no SECURITY DEFINER here: either would make the CALL atomic and forbid
 * the commits.
 */
CREATE PROCEDURE pgmig.migrate(target text DEFAULT 'heads', downgrade boolean DEFAULT false)
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_migrate';

CREATE FUNCTION pgmig.test_roundtrip(target text DEFAULT 'heads')
	RETURNS TABLE (revision text, ok boolean, difference text)
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_test_roundtrip';

/*
 * The guard: one function, three events.  A DROP is only seen by sql_drop;
 * CREATE INDEX CONCURRENTLY must be refused before it starts (it commits
 * as it goes), hence the ddl_command_start trigger limited to that tag.
 */
CREATE FUNCTION pgmig._guard() RETURNS event_trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_guard';
CREATE EVENT TRIGGER pgmig_guard ON ddl_command_end
	EXECUTE FUNCTION pgmig._guard();
CREATE EVENT TRIGGER pgmig_guard_drop ON sql_drop
	EXECUTE FUNCTION pgmig._guard();
CREATE EVENT TRIGGER pgmig_guard_start ON ddl_command_start
	WHEN TAG IN ('CREATE INDEX')
	EXECUTE FUNCTION pgmig._guard();

/* Nothing is granted to PUBLIC; see the README (Privileges) for the grants to give. */
REVOKE ALL ON TABLE pgmig.drift FROM PUBLIC;
REVOKE ALL ON SEQUENCE pgmig.drift_id_seq FROM PUBLIC;
REVOKE ALL ON PROCEDURE pgmig.migrate(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig.test_roundtrip(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._guard() FROM PUBLIC;
