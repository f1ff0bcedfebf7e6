/*
 * 31_drift: the schema pgmig expects, and what differs from it.
 *
 * pgmig.schema_state holds one row: the snapshot (pgmig.snapshot()) of the
 * schema the last run that changed something left behind (upgrade,
 * downgrade, stamp, migrate, step) or that pgmig.record_schema() accepted.
 * pgmig.drift() compares it with the schema now, object by object: what
 * was added, changed or removed outside a migration, whether the guard saw
 * it or not (guard off, event triggers disabled, a superuser's session).
 *
 * Dumped with the extension's data, so a restored database has the same
 * record (and, its snapshot being identical, no drift).  Written by the
 * C code as the table's owner: a deploy role needs no privilege on it.
 */
CREATE TABLE pgmig.schema_state (
	id				boolean PRIMARY KEY DEFAULT true CHECK (id),
	/*
	 * The snapshot as its text (pgmig._snapshot_text()), and as jsonb made
	 * from that text by the server itself, so the two can never disagree:
	 * drift() compares the jsonb, pgmig._recorded_snapshot() hands the text
	 * out as it is (printing the jsonb again cost 75 ms a read at 1,000
	 * tables; storing the text costs the run only its compression).
	 */
	snapshot_text	text NOT NULL,
	snapshot		jsonb NOT NULL GENERATED ALWAYS AS (snapshot_text::jsonb) STORED,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action			text NOT NULL,
	target			text,
	role_name		name NOT NULL DEFAULT CURRENT_USER,
	session_role	name NOT NULL DEFAULT SESSION_USER,
	txid			bigint DEFAULT pg_catalog.txid_current(),
	catalog_version	text,		/* pgmig._catalog_version() of the schema recorded */
	pending_version	text		/* pgmig.record_schema = deferred: the digest of the
								 * schema the last run left, not snapshotted yet */
);
COMMENT ON TABLE pgmig.schema_state IS 'pgmig: the schema (pgmig.snapshot()) the last schema-changing run left; pgmig.drift() compares with it';
SELECT pg_catalog.pg_extension_config_dump('pgmig.schema_state', '');
/*
 * The snapshot is megabytes at 1,000 tables and rewritten by every run that
 * records it: lz4 compresses it several times faster than the default pglz
 * (pglz was 9% of the record at 1,000 tables, bench/README.md).  Per-column
 * compression came with PostgreSQL 14; a server built without lz4 keeps
 * pglz.
 */
DO $lz4$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::integer >= 140000 THEN
		EXECUTE 'ALTER TABLE pgmig.schema_state ALTER COLUMN snapshot SET COMPRESSION lz4,'
			'  ALTER COLUMN snapshot_text SET COMPRESSION lz4';
	END IF;
EXCEPTION WHEN feature_not_supported THEN
	NULL;
END
$lz4$;

/*
 * Two snapshots compared object by object (equality as
 * doc/snapshot-format.md says: every key but deps): what "after" added,
 * changed (and which keys) or removed.  Used by pgmig.drift() (recorded vs
 * now, run as the owner of pgmig.schema_state) and test_roundtrip()
 * (before the upgrade vs after the downgrade).
 */
CREATE FUNCTION pgmig._snapshot_diff(before jsonb, after jsonb)
	RETURNS TABLE (object text, kind text, change text, keys text[], recorded jsonb, current jsonb)
	LANGUAGE sql STRICT IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $diff$
	WITH r AS (
		SELECT o->>'id' AS id, o FROM jsonb_array_elements($1->'objects') o
	), c AS (
		SELECT o->>'id' AS id, o FROM jsonb_array_elements($2->'objects') o
	)
	SELECT coalesce(c.id, r.id),
		   coalesce(c.o, r.o)->>'kind',
		   CASE WHEN r.id IS NULL THEN 'added' WHEN c.id IS NULL THEN 'removed' ELSE 'changed' END,
		   CASE WHEN r.id IS NOT NULL AND c.id IS NOT NULL THEN
			 ARRAY(SELECT k FROM (SELECT jsonb_object_keys(r.o) UNION SELECT jsonb_object_keys(c.o)) ks(k)
					WHERE k <> 'deps' AND (r.o->k) IS DISTINCT FROM (c.o->k)
					ORDER BY k COLLATE "C") END,
		   r.o, c.o
	  FROM r FULL JOIN c ON r.id = c.id
	 WHERE r.id IS NULL OR c.id IS NULL OR (r.o - 'deps') <> (c.o - 'deps')
	 ORDER BY coalesce(c.id, r.id) COLLATE "C"
$diff$;

/*
 * Which row versions of the catalogs a snapshot is made of are there now: a
 * digest of (catalog, ctid, xmin) of every row that can describe a user's
 * object, and of every role's name (src/catversion.c says which rows and
 * why).  While it is the one a comparison without drift kept with the
 * record (schema_state.catalog_version), the schema is the recorded one and
 * check(), status() and drift() need not take a new snapshot.
 */
CREATE FUNCTION pgmig._catalog_version()
	RETURNS text
	LANGUAGE C STRICT STABLE
	AS 'MODULE_PATHNAME', 'pgmig_catalog_version_sql';

CREATE FUNCTION pgmig.drift()
	RETURNS TABLE (object text, kind text, change text, keys text[], recorded jsonb, current jsonb)
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'pgmig_drift';
COMMENT ON FUNCTION pgmig.drift() IS 'pgmig: objects added, changed or removed since the schema pgmig recorded after its last run';

CREATE FUNCTION pgmig.record_schema()
	RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_record_schema';
COMMENT ON FUNCTION pgmig.record_schema() IS 'pgmig: accept the schema as it is now as the expected one (clears pgmig.drift())';

REVOKE ALL ON TABLE pgmig.schema_state FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._snapshot_diff(jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig._catalog_version() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig.drift() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgmig.record_schema() FROM PUBLIC;

/*
 * Under pgmig.record_schema = deferred, DDL run outside pgmig first takes
 * the snapshot a run left pending (src/drift.c, pgmig_record_pending).
 */
CREATE FUNCTION pgmig._record_pending() RETURNS event_trigger
	LANGUAGE c AS 'MODULE_PATHNAME', 'pgmig_record_pending';
REVOKE ALL ON FUNCTION pgmig._record_pending() FROM PUBLIC;
CREATE EVENT TRIGGER pgmig_record_pending ON ddl_command_start
	EXECUTE FUNCTION pgmig._record_pending();

/*
 * pgmig._recorded_snapshot(): the recorded snapshot, as the text
 * pgmig.snapshot()::text prints, when it is the schema now (nothing
 * pending, the catalogs at the digest recorded with it, the same server
 * version); NULL otherwise.  The pgmig client's `diff` reads it instead of
 * every object of a database pgmig keeps.  C, reading schema_state as its
 * owner; what it returns, the catalogs tell any role.  Granted like
 * snapshot().
 */
CREATE FUNCTION pgmig._recorded_snapshot()
	RETURNS text
	LANGUAGE C STABLE
	AS 'MODULE_PATHNAME', 'pgmig_recorded_snapshot';
REVOKE ALL ON FUNCTION pgmig._recorded_snapshot() FROM PUBLIC;
