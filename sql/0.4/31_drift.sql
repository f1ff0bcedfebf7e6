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
	snapshot		jsonb NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action			text NOT NULL,
	target			text,
	role_name		name NOT NULL DEFAULT CURRENT_USER,
	session_role	name NOT NULL DEFAULT SESSION_USER,
	txid			bigint DEFAULT pg_catalog.txid_current(),
	catalog_version	text		/* pgmig._catalog_version() kept by a comparison without drift */
);
COMMENT ON TABLE pgmig.schema_state IS 'pgmig: the schema (pgmig.snapshot()) the last schema-changing run left; pgmig.drift() compares with it';
SELECT pg_catalog.pg_extension_config_dump('pgmig.schema_state', '');

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
 * Which row versions of the catalogs a snapshot is made of are there now:
 * a digest of (catalog, ctid, xmin) of every row that can describe a user's
 * object (and of every role's name, which grants and policies print).  Any
 * DDL, GRANT, COMMENT, ... leaves a row version that was not there (an
 * update writes a new version at a new ctid, stamped with its transaction),
 * so while this digest is the one a comparison without drift kept with the
 * record (schema_state.catalog_version), the schema is the recorded one and
 * check(), status() and drift() need not take a new snapshot (a catalog read without a single pg_get_* call: a few ms instead
 * of hundreds at 1,000 tables).  A digest can change without the schema
 * changing (a temporary table, VACUUM FULL of a catalog, a dump and
 * restore): then the snapshots are compared as before.  The only catalog
 * writes that keep the ctid and xmin, in-place updates, touch statistics
 * and xid horizons (relpages, relfrozenxid, ...), never a definition.
 * Rows with an OID below 16384 are the system's own, which DDL cannot
 * change, except the schemas (public is one) and their comments.
 */
CREATE FUNCTION pgmig._catalog_version()
	RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	SET max_parallel_workers_per_gather = 0
	SET enable_indexscan = off
	SET enable_indexonlyscan = off
	SET enable_bitmapscan = off
	SET synchronize_seqscans = off
AS $cv$
	WITH
	-- temporary objects are never in a snapshot, and come and go with
	-- sessions (the client stages a folder in a temporary table in the
	-- run's own transaction): left out, by (catalog, oid)
	tns AS (SELECT oid FROM pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_'),
	trel AS (SELECT oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM tns)),
	tobj (classid, objid) AS (
		SELECT 'pg_class'::regclass::oid, oid FROM trel
		UNION ALL SELECT 'pg_type'::regclass::oid, oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM tns)
		UNION ALL SELECT 'pg_constraint'::regclass::oid, oid FROM pg_constraint WHERE conrelid IN (SELECT oid FROM trel)
		UNION ALL SELECT 'pg_attrdef'::regclass::oid, oid FROM pg_attrdef WHERE adrelid IN (SELECT oid FROM trel)
		UNION ALL SELECT 'pg_trigger'::regclass::oid, oid FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM trel)
		UNION ALL SELECT 'pg_rewrite'::regclass::oid, oid FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM trel)
		UNION ALL SELECT 'pg_namespace'::regclass::oid, oid FROM tns
	)
	-- in the order of the rows in the catalogs' files, not sorted (a sort
	-- costs more than the scans): only sequential scans, no parallel
	-- workers, no synchronized scans, so an unchanged catalog gives the same
	-- order whatever its statistics (an order that did change would only
	-- mean "changed", never the reverse)
	SELECT encode(sha256(convert_to(string_agg(c || ' ' || t::text || ' ' || r, ','), 'UTF8')), 'hex')
	  FROM (
		SELECT 1 AS c, ctid AS t, xmin::text AS r FROM pg_namespace WHERE oid NOT IN (SELECT oid FROM tns)
		UNION ALL SELECT 2, ctid, xmin::text FROM pg_class
				   WHERE oid >= 16384 AND relnamespace NOT IN (SELECT oid FROM tns)
		UNION ALL SELECT 3, ctid, xmin::text FROM pg_attribute
				   WHERE attrelid >= 16384 AND attrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 4, ctid, xmin::text FROM pg_attrdef WHERE adrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 5, ctid, xmin::text FROM pg_constraint
				   WHERE oid >= 16384 AND conrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 6, ctid, xmin::text FROM pg_index
				   WHERE indexrelid >= 16384 AND indrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 7, ctid, xmin::text FROM pg_type
				   WHERE oid >= 16384 AND typnamespace NOT IN (SELECT oid FROM tns)
		UNION ALL SELECT 8, ctid, xmin::text FROM pg_proc
				   WHERE oid >= 16384 AND pronamespace NOT IN (SELECT oid FROM tns)
		UNION ALL SELECT 9, ctid, xmin::text FROM pg_trigger
				   WHERE oid >= 16384 AND tgrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 10, ctid, xmin::text FROM pg_policy WHERE polrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 11, ctid, xmin::text FROM pg_rewrite
				   WHERE oid >= 16384 AND ev_class NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 12, ctid, xmin::text FROM pg_depend
				   WHERE (objid >= 16384 OR refobjid >= 16384)
					 AND (classid, objid) NOT IN (SELECT classid, objid FROM tobj)
		UNION ALL SELECT 13, ctid, xmin::text FROM pg_description
				   WHERE (objoid >= 16384 OR classoid = 'pg_namespace'::regclass)
					 AND (classoid, objoid) NOT IN (SELECT classid, objid FROM tobj)
		UNION ALL SELECT 14, ctid, xmin::text FROM pg_enum
		UNION ALL SELECT 15, ctid, xmin::text FROM pg_sequence
				   WHERE seqrelid >= 16384 AND seqrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 16, ctid, xmin::text FROM pg_inherits WHERE inhrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 17, ctid, xmin::text FROM pg_extension
		UNION ALL SELECT 18, ctid, xmin::text FROM pg_collation WHERE oid >= 16384
		UNION ALL SELECT 19, ctid, xmin::text FROM pg_default_acl
		UNION ALL SELECT 20, ctid, xmin::text FROM pg_event_trigger
		UNION ALL SELECT 21, ctid, xmin::text FROM pg_publication
		UNION ALL SELECT 22, ctid, xmin::text FROM pg_foreign_data_wrapper
		UNION ALL SELECT 23, ctid, xmin::text FROM pg_foreign_server
		UNION ALL SELECT 24, ctid, xmin::text FROM pg_foreign_table
		UNION ALL SELECT 25, ctid, xmin::text FROM pg_language WHERE oid >= 16384
		UNION ALL SELECT 26, ctid, xmin::text FROM pg_cast WHERE oid >= 16384
		UNION ALL SELECT 27, ctid, xmin::text FROM pg_operator WHERE oid >= 16384
		UNION ALL SELECT 28, ctid, xmin::text FROM pg_opclass WHERE oid >= 16384
		UNION ALL SELECT 29, ctid, xmin::text FROM pg_opfamily WHERE oid >= 16384
		UNION ALL SELECT 30, ctid, xmin::text FROM pg_conversion WHERE oid >= 16384
		UNION ALL SELECT 31, ctid, xmin::text FROM pg_statistic_ext WHERE stxrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 32, ctid, xmin::text FROM pg_ts_config WHERE oid >= 16384
		UNION ALL SELECT 33, ctid, xmin::text FROM pg_ts_dict WHERE oid >= 16384
		UNION ALL SELECT 34, ctid, xmin::text FROM pg_ts_parser WHERE oid >= 16384
		UNION ALL SELECT 35, ctid, xmin::text FROM pg_ts_template WHERE oid >= 16384
		UNION ALL SELECT 36, ctid, xmin::text FROM pg_am WHERE oid >= 16384
		UNION ALL SELECT 37, ctid, xmin::text FROM pg_partitioned_table WHERE partrelid NOT IN (SELECT oid FROM trel)
		UNION ALL SELECT 38, ctid, xmin::text FROM pg_range WHERE rngtypid >= 16384
		UNION ALL SELECT 39, ctid, xmin::text FROM pg_aggregate WHERE aggfnoid >= 16384
		UNION ALL SELECT 40, ctid, xmin::text FROM pg_transform
		UNION ALL SELECT 41, '(0,0)', oid::text || ' ' || rolname FROM pg_roles
	  ) v
$cv$;

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
