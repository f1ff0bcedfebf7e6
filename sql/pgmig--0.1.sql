/* pgmig--0.1.sql: the engine (revisions, applied set, journal, runner) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgmig" to load this file. \quit

/*
 * The script creates its schema (the control file names pg_catalog, as
 * pg_cron does), so the schema is a member of the extension and DROP
 * EXTENSION removes it with everything else.
 */
CREATE SCHEMA pgmig;
REVOKE ALL ON SCHEMA pgmig FROM PUBLIC;

/*
 * Tables.  No foreign keys between them: pg_dump restores extension
 * configuration tables in an order it chooses, and the applied set must be
 * restorable whatever that order is.
 */
CREATE SEQUENCE pgmig.revision_seq;

CREATE TABLE pgmig.revision (
	id				text PRIMARY KEY
		CONSTRAINT revision_id_format CHECK (id OPERATOR(pg_catalog.~) '^[A-Za-z0-9_]{1,64}$'),
	down_revision	text[] NOT NULL DEFAULT '{}',
	depends_on		text[] NOT NULL DEFAULT '{}',
	branch_labels	text[] NOT NULL DEFAULT '{}',
	message			text NOT NULL DEFAULT '',
	upgrade			text NOT NULL DEFAULT '',
	downgrade		text,
	transactional	boolean NOT NULL DEFAULT true,
	checksum		text NOT NULL DEFAULT '',
	seq				bigint NOT NULL DEFAULT pg_catalog.nextval('pgmig.revision_seq'),
	loaded_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	loaded_by		name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE pgmig.revision IS 'pgmig: one row per known revision (scripts, parents, checksum)';

CREATE TABLE pgmig.applied (
	revision		text PRIMARY KEY,
	checksum		text NOT NULL,
	applied_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	applied_by		name NOT NULL DEFAULT CURRENT_USER,
	duration		interval
);
COMMENT ON TABLE pgmig.applied IS 'pgmig: one row per applied revision';

CREATE TABLE pgmig.journal (
	id				bigserial PRIMARY KEY,
	at				timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action			text NOT NULL,
	revision		text,
	target			text,
	old_checksum	text,
	new_checksum	text,
	txid			bigint DEFAULT pg_catalog.txid_current(),
	role_name		name NOT NULL DEFAULT CURRENT_USER,
	session_role	name NOT NULL DEFAULT SESSION_USER,
	application_name text DEFAULT pg_catalog.current_setting('application_name'),
	client_addr		inet DEFAULT pg_catalog.inet_client_addr(),
	duration		interval,
	detail			text
);
COMMENT ON TABLE pgmig.journal IS 'pgmig: append-only record of every committed action';

SELECT pg_catalog.pg_extension_config_dump('pgmig.revision', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.revision_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.applied', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.journal', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.journal_id_seq', '');

/*
 * Row and statement triggers on pgmig.revision: the server computes the
 * checksum, refuses changes to applied revisions, and validates the whole
 * graph once per statement.
 */
CREATE FUNCTION pgmig._revision_row() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_revision_row';
CREATE FUNCTION pgmig._revision_stmt() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_revision_stmt';
CREATE FUNCTION pgmig._journal_guard() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'pgmig_journal_guard';

CREATE TRIGGER revision_row BEFORE INSERT OR UPDATE OR DELETE ON pgmig.revision
	FOR EACH ROW EXECUTE FUNCTION pgmig._revision_row();
CREATE TRIGGER revision_count AFTER INSERT OR UPDATE OR DELETE ON pgmig.revision
	FOR EACH ROW EXECUTE FUNCTION pgmig._revision_row();
CREATE TRIGGER revision_truncate BEFORE TRUNCATE ON pgmig.revision
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._revision_row();
CREATE TRIGGER revision_validate AFTER INSERT OR UPDATE OR DELETE ON pgmig.revision
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._revision_stmt();
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON pgmig.journal
	FOR EACH ROW EXECUTE FUNCTION pgmig._journal_guard();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON pgmig.journal
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig._journal_guard();

/* Running migrations */
CREATE FUNCTION pgmig.upgrade(target text DEFAULT 'heads') RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_upgrade';
CREATE FUNCTION pgmig.downgrade(target text) RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_downgrade';
CREATE FUNCTION pgmig.stamp(target text) RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_stamp';
CREATE FUNCTION pgmig.step(revision text, downgrade boolean DEFAULT false) RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_step';
CREATE FUNCTION pgmig.record_step(revision text, downgrade boolean DEFAULT false,
								  duration interval DEFAULT NULL) RETURNS integer
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_record_step';
CREATE FUNCTION pgmig.lock(wait boolean DEFAULT true) RETURNS boolean
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_lock';
CREATE FUNCTION pgmig.unlock() RETURNS boolean
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_unlock';

/* Reading the graph */
CREATE FUNCTION pgmig.resolve(target text)
	RETURNS TABLE (revision text)
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'pgmig_resolve';
CREATE FUNCTION pgmig.current()
	RETURNS TABLE (revision text, message text, applied_at timestamptz)
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_current';
CREATE FUNCTION pgmig.heads()
	RETURNS TABLE (revision text, message text, branch_labels text[], applied boolean)
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_heads';
CREATE FUNCTION pgmig.branches()
	RETURNS TABLE (revision text, message text, children text[])
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_branches';
CREATE FUNCTION pgmig.history(range text DEFAULT NULL)
	RETURNS TABLE (revision text, down_revision text[], depends_on text[],
				   branch_labels text[], message text, applied boolean,
				   is_head boolean, is_branch_point boolean, is_merge boolean)
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_history';
CREATE FUNCTION pgmig.plan(command text, target text)
	RETURNS TABLE (step integer, action text, revision text, message text,
				   transactional boolean)
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'pgmig_plan';
CREATE FUNCTION pgmig.script(command text, target text) RETURNS text
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'pgmig_script';
CREATE FUNCTION pgmig.check()
	RETURNS TABLE (severity text, revision text, problem text)
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_check';
CREATE FUNCTION pgmig.graph() RETURNS text
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_graph';
CREATE FUNCTION pgmig.status()
	RETURNS TABLE (current text[], heads text[], pending integer, problems integer,
				   drift bigint, lock_pid integer, lock_role name, lock_since timestamptz)
	LANGUAGE C STABLE AS 'MODULE_PATHNAME', 'pgmig_status';

CREATE FUNCTION pgmig.show(rev text)
	RETURNS TABLE (revision text, down_revision text[], depends_on text[],
				   branch_labels text[], message text, transactional boolean,
				   upgrade text, downgrade text, checksum text, applied boolean,
				   applied_at timestamptz, loaded_at timestamptz, loaded_by name)
	LANGUAGE sql STRICT STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT r.id, r.down_revision, r.depends_on, r.branch_labels, r.message,
		   r.transactional, r.upgrade, r.downgrade, r.checksum,
		   a.revision IS NOT NULL, a.applied_at, r.loaded_at, r.loaded_by
	  FROM pgmig.resolve(rev) t
	  JOIN pgmig.revision r ON r.id OPERATOR(pg_catalog.=) t.revision
	  LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id
	$$;

/* Loading revisions */
CREATE FUNCTION pgmig.checksum(upgrade text, downgrade text, transactional boolean DEFAULT true)
	RETURNS text
	LANGUAGE C IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgmig_checksum';
CREATE FUNCTION pgmig.load(file text) RETURNS text
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_load';
CREATE FUNCTION pgmig.repair(file text) RETURNS text
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_repair';
CREATE FUNCTION pgmig.add(id text, down_revision text[], upgrade text,
						  downgrade text DEFAULT NULL, message text DEFAULT '',
						  branch_labels text[] DEFAULT '{}', depends_on text[] DEFAULT '{}',
						  transactional boolean DEFAULT true) RETURNS text
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_add';
CREATE FUNCTION pgmig.new_revision(message text, upgrade text, downgrade text DEFAULT NULL,
								   down_revision text[] DEFAULT NULL,
								   branch_labels text[] DEFAULT '{}',
								   depends_on text[] DEFAULT '{}',
								   transactional boolean DEFAULT true) RETURNS text
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_new_revision';
CREATE FUNCTION pgmig.merge(revisions text[] DEFAULT NULL, message text DEFAULT NULL)
	RETURNS text
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_merge';

/* Nothing is granted to PUBLIC; see the README for a deploy role's grants. */
REVOKE ALL ON ALL TABLES IN SCHEMA pgmig FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA pgmig FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgmig FROM PUBLIC;
