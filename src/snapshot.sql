-- src/snapshot.sql: the schema snapshot query (format: doc/snapshot-format.md).
--
-- ONE statement returning one row (id, object) per object, in no particular
-- order: the snapshot in jsonb's canonical text form is
-- '{"format": 1, "objects": [' then the objects in id order (COLLATE "C",
-- byte order) joined by ', ' then '], "server_version_num": ' N '}'
-- (pgmig.snapshot() joins them so, its string_agg sorting them, and casts
-- to jsonb; the client's copy of this text, src/client/snapshot_sql.h, is
-- wrapped by the Makefile in SELECT id, object FROM (...) s ORDER BY id
-- COLLATE "C", and joins the rows as they arrive).  No ORDER BY here: the
-- function's aggregate sorts on its own (PostgreSQL 15 does not use a
-- sorted input for it), and a second sort of 5 MB of rows cost a new
-- backend 1,580 of its 25,500 page faults at 1,000 tables (bench/README.md
-- "Tenth pass").  $1 (text[]) lists the schemas to read; NULL reads every
-- user schema.  The Makefile copies this text, unchanged,
-- into the extension's pgmig.snapshot() (sql/0.4/30_snapshot.sql) and into
-- a C string for the client (src/client/snapshot_sql.h, wrapped as said
-- above), so both run the very same query.
--
-- Rules for editing:
--  * run it with search_path = pg_catalog, pg_temp (the SQL function has that
--    SET clause; the client runs SET LOCAL search_path = pg_catalog, pg_temp
--    in its transaction first), so every name printed by format_type/pg_get_*
--    outside pg_catalog comes out schema-qualified, and pg_temp, searched
--    last, cannot hide a catalog behind a temporary table of the same name
--    (with search_path = '' it would be searched first); also jit = off:
--    compiling the query costs more than running it; work_mem = 64MB:
--    the sorts of every object and dependency spill to disk at 1,000 tables
--    with the default 4 MB; and enable_nestloop, enable_mergejoin,
--    enable_hashagg = off (src/snapshot_fn.sql.in says why);
--  * reads catalogs only: no table of the user is read.  pg_get_viewdef takes
--    ACCESS SHARE on the relations a view reads, as pg_dump does;
--  * no OID, attnum, timestamp or owner name in the output;
--  * every array is sorted, objects by id COLLATE "C";
--  * psql-free: no backslash commands, no semicolon inside (the Makefile
--    appends the one that ends the function body);
--  * comments start with two dashes at the beginning of a line only (the
--    Makefile drops them from the C string).
WITH
ext AS (
	SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
),
sch AS (
	SELECT n.oid, n.nspname, quote_ident(n.nspname) AS q, n.nspacl, n.nspowner
	  FROM pg_namespace n
	 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgmig')
	   AND n.nspname !~ '^pg_(toast|temp_)'
	   AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
	   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid)
),
xt AS (
	SELECT x.oid, x.extname, x.extversion, n.nspname, 'extension ' || quote_ident(x.extname) AS id,
		   CASE WHEN x.extnamespace IN (SELECT oid FROM sch) THEN ARRAY['schema ' || quote_ident(n.nspname)] END AS xdeps
	  FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
	 WHERE x.extname <> 'pgmig' AND ($1::text[] IS NULL OR x.extnamespace IN (SELECT oid FROM sch))
),
-- a collation by its qualified name (null for "no collation", oid 0)
coll AS (
	SELECT co.oid, quote_ident(cn.nspname) || '.' || quote_ident(co.collname) AS qn
	  FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
),
rel AS (
	SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity,
		   c.relforcerowsecurity, c.relispartition, c.relpartbound, c.relacl, c.relowner,
		   c.reltype, s.nspname, s.q || '.' || quote_ident(c.relname) AS qn,
		   -- the id of the relation itself, for the objects that live on it
		   CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'matview ' WHEN 'S' THEN 'sequence '
				WHEN 'f' THEN 'unsupported foreign table ' ELSE 'table ' END
		   || s.q || '.' || quote_ident(c.relname) AS rid
	  FROM pg_class c JOIN sch s ON s.oid = c.relnamespace
	 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
	   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
),
typ AS (
	SELECT t.oid, t.typname, t.typtype, t.typrelid, t.typbasetype, t.typtypmod, t.typnotnull,
		   t.typdefaultbin, t.typcollation, t.typacl, t.typowner, s.nspname,
		   s.q || '.' || quote_ident(t.typname) AS qn
	  FROM pg_type t JOIN sch s ON s.oid = t.typnamespace
	 WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'p')
	   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
	   -- array types come with their element type, row types with their table
	   AND NOT EXISTS (SELECT FROM pg_type a WHERE a.typarray = t.oid)
	   AND (t.typtype <> 'c' OR EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
),
fn AS (
	SELECT p.oid, p.proname, p.prokind, p.proacl, p.proowner, s.nspname,
		   s.q || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS qn
	  FROM pg_proc p JOIN sch s ON s.oid = p.pronamespace
	 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
	   -- a range type's constructors come with the type
	   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
						  AND d.deptype = 'i')
),
-- A column's object is written as text at the end (the most numerous kind:
-- jsonb_build_object and to_json cost more than the rest of it): head and
-- tail are its text before and after the list of dependencies, keys in
-- jsonb's order, strings escaped as jsonb's output escapes them.  A name
-- that quote_ident leaves as it is, and a text of such names without a
-- double quote (a qualified name, an id), has nothing to escape; any other
-- string goes through to_json.  con, idx and reltxt do the same for their
-- kinds.
col AS (
	SELECT x.relid, x.tqn, x.rid, x.nspname, x.attname, x.attnum, x.attacl, x.relowner, x.id,
		   '{"id": ' || CASE WHEN strpos(x.tqn, '"') = 0 AND quote_ident(x.attname) = x.attname
							 THEN '"' || x.id || '"' ELSE to_json(x.id)::text END
		   || ', "deps": ' AS head,
		   format(', "kind": "column", "name": %s, "type": %s, "table": %s, "schema": %s, "default": %s, "ordinal": %s, "identity": "%s", "not_null": %s, "collation": %s, "generated": "%s", "inherited": %s}',
				  CASE WHEN quote_ident(x.attname) = x.attname THEN '"' || x.attname || '"' ELSE to_json(x.attname)::text END,
				  -- (a type's typmod is printed by its own typmodout function,
				  -- which may print anything)
				  CASE WHEN x.ft !~ '["\\\x01-\x1f]' THEN '"' || x.ft || '"' ELSE to_json(x.ft)::text END,
				  CASE WHEN strpos(x.tqn, '"') = 0 THEN '"' || x.tqn || '"' ELSE to_json(x.tqn)::text END,
				  CASE WHEN quote_ident(x.nspname) = x.nspname THEN '"' || x.nspname || '"' ELSE to_json(x.nspname)::text END,
				  coalesce(to_json(x.dflt)::text, 'null'), x.ordinal, x.attidentity, x.attnotnull::text,
				  coalesce(to_json(x.collation)::text, 'null'), x.attgenerated, x.inherited::text) AS tail
	  FROM (SELECT r.oid AS relid, r.qn AS tqn, r.rid, r.nspname::text, a.attname::text, a.attnum, a.attacl,
				   r.relowner, 'column ' || r.qn || '.' || quote_ident(a.attname) AS id,
				   format_type(a.atttypid, a.atttypmod) AS ft,
				   -- a default that reads no column (no Var node: nodeToString
				   -- writes one as "{VAR ", and escapes a brace in any string
				   -- it prints) is deparsed without its table: with the
				   -- table, pg_get_expr opens it, which builds a relcache
				   -- entry per table in a new backend (3% of this query).
				   -- Same text either way: only Vars read the table's names.
				   CASE WHEN strpos(d.adbin::text, '{VAR ') = 0 THEN pg_get_expr(d.adbin, 0)
						ELSE pg_get_expr(d.adbin, d.adrelid) END AS dflt,
				   row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS ordinal,
				   a.attidentity::text, a.attnotnull,
				   CASE WHEN a.attcollation <> t.typcollation THEN cl.qn END AS collation,
				   a.attgenerated::text, a.attinhcount > 0 AS inherited
			  FROM rel r
			  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
			  JOIN pg_type t ON t.oid = a.atttypid
			  LEFT JOIN coll cl ON cl.oid = a.attcollation
			  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			 WHERE r.relkind IN ('r', 'p')) x
),
con AS (
	SELECT x.*,
		   '{"id": ' || CASE WHEN strpos(x.id, '"') = 0 THEN '"' || x.id || '"' ELSE to_json(x.id)::text END
		   || ', "def": ' || coalesce(to_json(pg_get_constraintdef(x.oid, true))::text, 'null') || ', "deps": ' AS head,
		   ', "kind": "constraint", "name": '
		   || CASE WHEN quote_ident(x.conname) = x.conname THEN '"' || x.conname || '"' ELSE to_json(x.conname)::text END
		   || ', "table": ' || CASE WHEN strpos(x.tqn, '"') = 0 THEN '"' || x.tqn || '"' ELSE to_json(x.tqn)::text END
		   || ', "schema": ' || CASE WHEN quote_ident(x.nspname) = x.nspname THEN '"' || x.nspname || '"' ELSE to_json(x.nspname)::text END
		   || ', "contype": "' || x.contype::text || '", "inherited": ' || (x.coninhcount > 0)::text
		   || ', "validated": ' || x.convalidated::text || '}' AS tail
	  FROM (SELECT c.oid, c.conname::text, c.contype, c.conindid, r.qn AS tqn, r.rid, r.nspname::text,
				   'constraint ' || r.qn || '.' || quote_ident(c.conname) AS id,
				   c.confrelid, c.coninhcount, c.convalidated
			  FROM pg_constraint c JOIN rel r ON r.oid = c.conrelid
			 WHERE c.contype IN ('p', 'u', 'c', 'f', 'x')) x
),
idx AS (
	SELECT x.*,
		   '{"id": ' || CASE WHEN strpos(x.id, '"') = 0 THEN '"' || x.id || '"' ELSE to_json(x.id)::text END
		   || ', "def": ' || coalesce(to_json(pg_get_indexdef(x.oid))::text, 'null') || ', "deps": ' AS head,
		   ', "kind": "index", "name": '
		   || CASE WHEN quote_ident(x.relname) = x.relname THEN '"' || x.relname || '"' ELSE to_json(x.relname)::text END
		   || ', "table": ' || CASE WHEN strpos(x.tqn, '"') = 0 THEN '"' || x.tqn || '"' ELSE to_json(x.tqn)::text END
		   || ', "schema": ' || CASE WHEN quote_ident(x.nspname) = x.nspname THEN '"' || x.nspname || '"' ELSE to_json(x.nspname)::text END
		   || ', "inherited": ' || x.relispartition::text
		   || ', "constraint": ' || coalesce(CASE WHEN strpos(x.conid, '"') = 0 THEN '"' || x.conid || '"' ELSE to_json(x.conid)::text END, 'null')
		   || '}' AS tail
	  FROM (SELECT i.indexrelid AS oid, ic.relname::text, r.nspname::text, r.qn AS tqn, r.rid, ic.relispartition,
				   quote_ident(r.nspname) || '.' || quote_ident(ic.relname) AS qn,
				   'index ' || quote_ident(r.nspname) || '.' || quote_ident(ic.relname) AS id,
				   'constraint ' || r.qn || '.' || quote_ident(k.conname) AS conid
			  FROM pg_index i
			  JOIN pg_class ic ON ic.oid = i.indexrelid
			  JOIN rel r ON r.oid = i.indrelid
			  LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
									   AND k.contype IN ('p', 'u', 'x')) x
),
-- what reltxt's tables and views share: the id, the escaped name and
-- schema, the options
relj AS (
	SELECT r.*, k.kind, k.kind || ' ' || r.qn AS id,
		   CASE WHEN quote_ident(r.relname) = r.relname THEN '"' || r.relname || '"' ELSE to_json(r.relname::text)::text END AS name_j,
		   CASE WHEN quote_ident(r.nspname) = r.nspname THEN '"' || r.nspname || '"' ELSE to_json(r.nspname::text)::text END AS schema_j,
		   CASE WHEN r.reloptions IS NULL THEN 'null'
				ELSE (SELECT jsonb_agg(o ORDER BY o COLLATE "C") FROM unnest(r.reloptions) o)::text END AS options_j
	  FROM rel r, LATERAL (SELECT CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview' ELSE 'table' END AS kind) k
	 WHERE r.relkind IN ('r', 'p', 'v', 'm')
),
-- tables, views and materialized views as text (see col)
reltxt AS (
	SELECT r.id,
		   '{"id": ' || CASE WHEN strpos(r.id, '"') = 0 THEN '"' || r.id || '"' ELSE to_json(r.id)::text END
		   || ', "rls": ' || r.relrowsecurity::text || ', "deps": ' AS head,
		   ', "kind": "table", "name": ' || r.name_j || ', "schema": ' || r.schema_j
		   || ', "options": ' || r.options_j
		   || ', "inherits": '
		   -- (an aggregate with ORDER BY starts a sort each time it runs:
		   -- only where there is something to sort)
		   || CASE WHEN r.relispartition OR NOT EXISTS (SELECT FROM pg_inherits h WHERE h.inhrelid = r.oid) THEN '[]'
				   ELSE (SELECT jsonb_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) ORDER BY h.inhseqno)
						   FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent
						   JOIN pg_namespace pn ON pn.oid = pc.relnamespace
						  WHERE h.inhrelid = r.oid)::text END
		   || ', "rls_force": ' || r.relforcerowsecurity::text || ', "persistence": "' || r.relpersistence::text
		   || '", "partition_of": '
		   || coalesce(to_json((SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
								  FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent
								  JOIN pg_namespace pn ON pn.oid = pc.relnamespace
								 WHERE h.inhrelid = r.oid AND r.relispartition))::text, 'null')
		   || ', "partition_key": ' || coalesce(to_json(CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END)::text, 'null')
		   || ', "partition_bound": ' || coalesce(to_json(pg_get_expr(r.relpartbound, r.oid))::text, 'null') || '}' AS tail
	  FROM relj r WHERE r.relkind IN ('r', 'p')
	UNION ALL
	SELECT r.id,
		   '{"id": ' || CASE WHEN strpos(r.id, '"') = 0 THEN '"' || r.id || '"' ELSE to_json(r.id)::text END
		   || ', "def": ' || coalesce(to_json(pg_get_viewdef(r.oid, true))::text, 'null') || ', "deps": ',
		   ', "kind": "' || r.kind || '", "name": ' || r.name_j || ', "schema": ' || r.schema_j
		   || ', "options": ' || r.options_j || '}'
	  FROM relj r WHERE r.relkind IN ('v', 'm')
),
-- the non-owner entries of an ACL, and of the default ACL it replaced
acl_src AS (
	SELECT 'schema ' || s.q AS target, s.nspname AS schema, s.nspname AS name, s.nspacl AS acl, s.nspowner AS owner, 'n'::text AS k
	  FROM sch s
	UNION ALL
	SELECT CASE r.relkind WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'matview '
		   WHEN 'f' THEN 'unsupported foreign table ' ELSE 'table ' END || r.qn,
		   r.nspname, r.relname, r.relacl, r.relowner, CASE r.relkind WHEN 'S' THEN 's' ELSE 'r' END
	  FROM rel r
	UNION ALL
	SELECT CASE WHEN f.prokind = 'a' THEN 'unsupported aggregate ' ELSE 'function ' END || f.qn,
		   f.nspname, f.proname, f.proacl, f.proowner, 'f'
	  FROM fn f
	UNION ALL
	SELECT CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' WHEN 'c' THEN 'composite '
		   WHEN 'r' THEN 'unsupported range type ' ELSE 'unsupported type ' END || t.qn,
		   t.nspname, t.typname, t.typacl, t.typowner, 'T'
	  FROM typ t
	UNION ALL
	SELECT c.id, c.nspname, c.attname, c.attacl, c.relowner, 'c'
	  FROM col c WHERE c.attacl IS NOT NULL
),
acl_item AS (
	SELECT a.target, a.schema, a.name, x.dflt, x.grantee, x.privilege_type, x.is_grantable
	  FROM acl_src a,
	  LATERAL (SELECT false AS dflt, e.* FROM aclexplode(coalesce(a.acl, acldefault(a.k::"char", a.owner))) e
			   UNION ALL
			   SELECT true, e.* FROM aclexplode(acldefault(a.k::"char", a.owner)) e) x
	 WHERE a.acl IS NOT NULL AND x.grantee <> a.owner
),
acl AS (
	SELECT a.target, a.schema, a.name,
		   coalesce(jsonb_agg(jsonb_build_object(
				'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END,
				'privilege', a.privilege_type, 'grantable', a.is_grantable)
			  ORDER BY CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END COLLATE "C",
					   a.privilege_type COLLATE "C", a.is_grantable) FILTER (WHERE NOT a.dflt), '[]') AS privileges,
		   coalesce(jsonb_agg(jsonb_build_object(
				'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END,
				'privilege', a.privilege_type, 'grantable', a.is_grantable)
			  ORDER BY CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END COLLATE "C",
					   a.privilege_type COLLATE "C", a.is_grantable) FILTER (WHERE a.dflt), '[]') AS defaults
	  FROM acl_item a
	 GROUP BY a.target, a.schema, a.name
),
items (kind, qid, schema, name, tbl, classid, objid, objsubid, ref_id, body, xdeps) AS (
	SELECT 'schema', s.q, s.nspname, s.nspname, NULL::text, 'pg_namespace'::regclass, s.oid, 0, NULL::text,
		   '{}'::jsonb, NULL::text[]
	  FROM sch s
	UNION ALL
	SELECT 'extension', quote_ident(x.extname), x.nspname, x.extname, NULL, 'pg_extension'::regclass, x.oid, 0, NULL,
		   jsonb_build_object('extschema', x.nspname, 'version', x.extversion),
		   x.xdeps
	  FROM xt x
	UNION ALL
	SELECT 'table', r.qn, r.nspname, r.relname, NULL, 'pg_class'::regclass, r.oid, 0, NULL,
		   NULL, NULL
	  FROM rel r WHERE r.relkind IN ('r', 'p')
	UNION ALL
	SELECT 'column', substr(c.id, 8), c.nspname, c.attname, c.tqn, 'pg_class'::regclass, c.relid, c.attnum, NULL,
		   NULL, ARRAY[c.rid]
	  FROM col c
	UNION ALL
	SELECT 'constraint', substr(k.id, 12), k.nspname, k.conname, k.tqn, 'pg_constraint'::regclass, k.oid, 0, NULL,
		   NULL, ARRAY[k.rid]
	  FROM con k
	UNION ALL
	SELECT 'index', i.qn, i.nspname, i.relname, i.tqn, 'pg_class'::regclass, i.oid, 0, i.conid,
		   NULL, ARRAY[i.rid]
	  FROM idx i
	UNION ALL
	SELECT 'sequence', r.qn, r.nspname, r.relname, NULL, 'pg_class'::regclass, r.oid, 0, NULL,
		   jsonb_build_object('type', format_type(q.seqtypid, NULL), 'start', q.seqstart::text,
			'increment', q.seqincrement::text, 'min', q.seqmin::text, 'max', q.seqmax::text,
			'cache', q.seqcache::text, 'cycle', q.seqcycle,
			'owned_by', o.owner, 'identity', coalesce(o.deptype = 'i', false)),
		   NULL
	  FROM rel r JOIN pg_sequence q ON q.seqrelid = r.oid
	  LEFT JOIN LATERAL (
		SELECT 'column ' || quote_ident(on_.nspname) || '.' || quote_ident(oc.relname) || '.' || quote_ident(oa.attname) AS owner,
			   d.deptype
		  FROM pg_depend d
		  JOIN pg_class oc ON oc.oid = d.refobjid
		  JOIN pg_namespace on_ ON on_.oid = oc.relnamespace
		  JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
		 WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
		   AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
		   AND d.deptype IN ('a', 'i')
		 LIMIT 1) o ON true
	 WHERE r.relkind = 'S'
	UNION ALL
	SELECT 'enum', t.qn, t.nspname, t.typname, NULL, 'pg_type'::regclass, t.oid, 0, NULL,
		   jsonb_build_object('values', coalesce((SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder)
													FROM pg_enum e WHERE e.enumtypid = t.oid), '[]')),
		   NULL
	  FROM typ t WHERE t.typtype = 'e'
	UNION ALL
	SELECT 'domain', t.qn, t.nspname, t.typname, NULL, 'pg_type'::regclass, t.oid, 0, NULL,
		   jsonb_build_object(
			'type', format_type(t.typbasetype, t.typtypmod),
			'collation', CASE WHEN t.typcollation <> b.typcollation THEN cl.qn END,
			'not_null', t.typnotnull,
			'default', pg_get_expr(t.typdefaultbin, 0),
			'constraints', coalesce((SELECT jsonb_agg(jsonb_build_object('name', dc.conname,
																		  'def', pg_get_constraintdef(dc.oid, true))
											   ORDER BY dc.conname COLLATE "C")
									   FROM pg_constraint dc WHERE dc.contypid = t.oid), '[]')),
		   NULL
	  FROM typ t JOIN pg_type b ON b.oid = t.typbasetype
	  LEFT JOIN coll cl ON cl.oid = t.typcollation
	 WHERE t.typtype = 'd'
	UNION ALL
	SELECT 'composite', t.qn, t.nspname, t.typname, NULL, 'pg_type'::regclass, t.oid, 0, NULL,
		   jsonb_build_object('attributes', coalesce((
			SELECT jsonb_agg(jsonb_build_object(
					'name', a.attname,
					'type', format_type(a.atttypid, a.atttypmod),
					'collation', CASE WHEN a.attcollation <> at.typcollation THEN cl.qn END)
					ORDER BY a.attnum)
			  FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
			  LEFT JOIN coll cl ON cl.oid = a.attcollation
			 WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '[]')),
		   NULL
	  FROM typ t WHERE t.typtype = 'c'
	UNION ALL
	SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'matview' END, r.qn, r.nspname, r.relname, NULL,
		   'pg_class'::regclass, r.oid, 0, NULL,
		   NULL, NULL
	  FROM rel r WHERE r.relkind IN ('v', 'm')
	UNION ALL
	SELECT 'function', f.qn, f.nspname, f.proname, NULL, 'pg_proc'::regclass, f.oid, 0, NULL,
		   jsonb_build_object('def', pg_get_functiondef(f.oid), 'prokind', f.prokind::text,
							  'returns', pg_get_function_result(f.oid),
							  'args', pg_get_function_identity_arguments(f.oid)),
		   NULL
	  FROM fn f WHERE f.prokind IN ('f', 'p', 'w')
	UNION ALL
	SELECT 'trigger', r.qn || '.' || quote_ident(g.tgname), r.nspname, g.tgname, r.qn,
		   'pg_trigger'::regclass, g.oid, 0, NULL,
		   jsonb_build_object('def', pg_get_triggerdef(g.oid, true), 'enabled', g.tgenabled::text,
							  'inherited', g.tgparentid <> 0),
		   ARRAY[r.rid]
	  FROM pg_trigger g JOIN rel r ON r.oid = g.tgrelid
	 WHERE NOT g.tgisinternal
	UNION ALL
	SELECT 'policy', r.qn || '.' || quote_ident(p.polname), r.nspname, p.polname, r.qn,
		   'pg_policy'::regclass, p.oid, 0, NULL,
		   jsonb_build_object(
			'cmd', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
					WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
			'permissive', p.polpermissive,
			'roles', (SELECT jsonb_agg(rn ORDER BY rn COLLATE "C")
						FROM (SELECT CASE WHEN ro = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(ro)::text END AS rn
								FROM unnest(p.polroles) ro) x),
			'using', pg_get_expr(p.polqual, p.polrelid),
			'check', pg_get_expr(p.polwithcheck, p.polrelid)),
		   ARRAY[r.rid]
	  FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
	UNION ALL
	SELECT 'acl', a.target, a.schema, a.name, NULL, NULL, NULL, NULL, NULL,
		   jsonb_build_object('target', a.target,
			'acl', (SELECT coalesce(jsonb_agg(g ORDER BY g COLLATE "C"), '[]')
					  FROM (SELECT CASE WHEN l.grantee = 'PUBLIC' THEN '' ELSE quote_ident(l.grantee) END || '='
								   || string_agg(l.letter || CASE WHEN l.grantable THEN '*' ELSE '' END, ''
												 ORDER BY strpos('arwdDxtXUCTc', l.letter)) AS g
							  FROM (SELECT p->>'grantee' AS grantee, (p->>'grantable')::boolean AS grantable,
										   CASE p->>'privilege'
											WHEN 'INSERT' THEN 'a' WHEN 'SELECT' THEN 'r' WHEN 'UPDATE' THEN 'w'
											WHEN 'DELETE' THEN 'd' WHEN 'TRUNCATE' THEN 'D' WHEN 'REFERENCES' THEN 'x'
											WHEN 'TRIGGER' THEN 't' WHEN 'EXECUTE' THEN 'X' WHEN 'USAGE' THEN 'U'
											WHEN 'CREATE' THEN 'C' WHEN 'TEMPORARY' THEN 'T' WHEN 'CONNECT' THEN 'c'
											ELSE '?' END AS letter
									  FROM jsonb_array_elements(a.privileges) p) l
							 GROUP BY l.grantee) gs),
			'privileges', a.privileges),
		   ARRAY[a.target]
	  FROM acl a
	 WHERE a.privileges <> a.defaults
	UNION ALL
	-- objects of kinds the diff engine does not model: listed, never silent
	SELECT 'unsupported', 'aggregate ' || f.qn, f.nspname, f.proname, NULL, 'pg_proc'::regclass, f.oid, 0, NULL,
		   jsonb_build_object('what', 'aggregate ' || f.qn), NULL
	  FROM fn f WHERE f.prokind = 'a'
	UNION ALL
	SELECT 'unsupported', 'foreign table ' || r.qn, r.nspname, r.relname, NULL, 'pg_class'::regclass, r.oid, 0, NULL,
		   jsonb_build_object('what', 'foreign table ' || r.qn), NULL
	  FROM rel r WHERE r.relkind = 'f'
	UNION ALL
	SELECT 'unsupported', CASE t.typtype WHEN 'r' THEN 'range type ' ELSE 'type ' END || t.qn, t.nspname, t.typname,
		   NULL, 'pg_type'::regclass, t.oid, 0, NULL,
		   jsonb_build_object('what', CASE t.typtype WHEN 'r' THEN 'range type ' ELSE 'type ' END || t.qn), NULL
	  FROM typ t WHERE t.typtype IN ('b', 'r', 'p')
	UNION ALL
	-- column grants on a view, a materialized view or a foreign table (no
	-- column entries there); no catalog address: the relation has its own
	SELECT 'unsupported', 'column privileges ' || r.qn || '.' || quote_ident(a.attname), r.nspname, a.attname,
		   NULL, NULL, NULL, NULL, NULL,
		   jsonb_build_object('what', 'column privileges ' || r.qn || '.' || quote_ident(a.attname)), NULL
	  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE r.relkind IN ('v', 'm', 'f') AND a.attacl IS NOT NULL
	UNION ALL
	SELECT 'unsupported', u.what, u.nspname, u.name, NULL, u.classid, u.objid, 0, NULL,
		   jsonb_build_object('what', u.what), NULL
	  FROM (
		SELECT 'rule ' || r.qn || '.' || quote_ident(w.rulename) AS what, r.nspname, w.rulename::text AS name,
			   'pg_rewrite'::regclass AS classid, w.oid AS objid
		  FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class WHERE w.rulename <> '_RETURN'
		UNION ALL
		SELECT 'operator ' || s.q || '.' || o.oprname || '(' || coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE')
			   || ', ' || coalesce(format_type(nullif(o.oprright, 0), NULL), 'NONE') || ')', s.nspname, o.oprname,
			   'pg_operator'::regclass, o.oid
		  FROM pg_operator o JOIN sch s ON s.oid = o.oprnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_operator'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'operator class ' || s.q || '.' || quote_ident(o.opcname) || ' USING ' || quote_ident(am.amname),
			   s.nspname, o.opcname, 'pg_opclass'::regclass, o.oid
		  FROM pg_opclass o JOIN sch s ON s.oid = o.opcnamespace JOIN pg_am am ON am.oid = o.opcmethod
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_opclass'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'operator family ' || s.q || '.' || quote_ident(o.opfname) || ' USING ' || quote_ident(am.amname),
			   s.nspname, o.opfname, 'pg_opfamily'::regclass, o.oid
		  FROM pg_opfamily o JOIN sch s ON s.oid = o.opfnamespace JOIN pg_am am ON am.oid = o.opfmethod
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_opfamily'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'collation ' || s.q || '.' || quote_ident(o.collname), s.nspname, o.collname, 'pg_collation'::regclass, o.oid
		  FROM pg_collation o JOIN sch s ON s.oid = o.collnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_collation'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'conversion ' || s.q || '.' || quote_ident(o.conname), s.nspname, o.conname, 'pg_conversion'::regclass, o.oid
		  FROM pg_conversion o JOIN sch s ON s.oid = o.connamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_conversion'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'statistics ' || s.q || '.' || quote_ident(o.stxname), s.nspname, o.stxname, 'pg_statistic_ext'::regclass, o.oid
		  FROM pg_statistic_ext o JOIN sch s ON s.oid = o.stxnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_statistic_ext'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'text search configuration ' || s.q || '.' || quote_ident(o.cfgname), s.nspname, o.cfgname, 'pg_ts_config'::regclass, o.oid
		  FROM pg_ts_config o JOIN sch s ON s.oid = o.cfgnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_ts_config'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'text search dictionary ' || s.q || '.' || quote_ident(o.dictname), s.nspname, o.dictname, 'pg_ts_dict'::regclass, o.oid
		  FROM pg_ts_dict o JOIN sch s ON s.oid = o.dictnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_ts_dict'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'text search parser ' || s.q || '.' || quote_ident(o.prsname), s.nspname, o.prsname, 'pg_ts_parser'::regclass, o.oid
		  FROM pg_ts_parser o JOIN sch s ON s.oid = o.prsnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_ts_parser'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'text search template ' || s.q || '.' || quote_ident(o.tmplname), s.nspname, o.tmplname, 'pg_ts_template'::regclass, o.oid
		  FROM pg_ts_template o JOIN sch s ON s.oid = o.tmplnamespace
		 WHERE NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_ts_template'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'default privileges ' || coalesce(s.q, '(all schemas)') || ' FOR ' || quote_ident(pg_get_userbyid(o.defaclrole))
			   || ' ON ' || CASE o.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
							 WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
			   s.nspname, NULL, 'pg_default_acl'::regclass, o.oid
		  FROM pg_default_acl o LEFT JOIN sch s ON s.oid = o.defaclnamespace
		 WHERE (o.defaclnamespace = 0 AND $1::text[] IS NULL) OR s.oid IS NOT NULL
		-- database-wide objects: only in a snapshot of all schemas
		UNION ALL
		SELECT 'event trigger ' || quote_ident(o.evtname), NULL, o.evtname, 'pg_event_trigger'::regclass, o.oid
		  FROM pg_event_trigger o
		 WHERE $1::text[] IS NULL
		   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_event_trigger'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'publication ' || quote_ident(o.pubname), NULL, o.pubname, 'pg_publication'::regclass, o.oid
		  FROM pg_publication o WHERE $1::text[] IS NULL
		UNION ALL
		SELECT 'foreign data wrapper ' || quote_ident(o.fdwname), NULL, o.fdwname, 'pg_foreign_data_wrapper'::regclass, o.oid
		  FROM pg_foreign_data_wrapper o
		 WHERE $1::text[] IS NULL
		   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_foreign_data_wrapper'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'server ' || quote_ident(o.srvname), NULL, o.srvname, 'pg_foreign_server'::regclass, o.oid
		  FROM pg_foreign_server o
		 WHERE $1::text[] IS NULL
		   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_foreign_server'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'language ' || quote_ident(o.lanname), NULL, o.lanname, 'pg_language'::regclass, o.oid
		  FROM pg_language o
		 WHERE $1::text[] IS NULL AND o.oid >= 16384
		   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_language'::regclass AND e.objid = o.oid)
		UNION ALL
		SELECT 'cast (' || format_type(o.castsource, NULL) || ' AS ' || format_type(o.casttarget, NULL) || ')',
			   NULL, NULL, 'pg_cast'::regclass, o.oid
		  FROM pg_cast o
		 WHERE $1::text[] IS NULL AND o.oid >= 16384
		   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = 'pg_cast'::regclass AND e.objid = o.oid)
		   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass AND d.objid = o.oid
							  AND d.deptype = 'i')
	  ) u
),
-- n numbers the objects (in no particular order) for the dependency lists
ids AS (
	SELECT row_number() OVER ()::integer AS n, kind || ' ' || qid AS id, * FROM items
),
-- where each catalog address points: an object's own address, plus the
-- addresses that stand for it (a view's rule, a column's default, a table's
-- row type, a composite type's relation, a domain's constraints)
addr AS (
	SELECT classid, objid, objsubid, n, id, coalesce(ref_id, id) AS ref_id, kind FROM ids WHERE classid IS NOT NULL
	UNION ALL
	SELECT 'pg_rewrite'::regclass, w.oid, 0, i.n, i.id, i.id, i.kind
	  FROM ids i JOIN pg_rewrite w ON w.ev_class = i.objid AND w.rulename = '_RETURN'
	 WHERE i.kind IN ('view', 'matview')
	UNION ALL
	SELECT 'pg_attrdef'::regclass, d.oid, 0, i.n, i.id, i.id, 'column'
	  FROM ids i JOIN pg_attrdef d ON d.adrelid = i.objid AND d.adnum = i.objsubid
	 WHERE i.kind = 'column'
	UNION ALL
	SELECT 'pg_type'::regclass, r.reltype, 0, i.n, i.id, i.id, i.kind
	  FROM ids i JOIN rel r ON r.oid = i.objid
	 WHERE i.kind IN ('table', 'view', 'matview') AND i.classid = 'pg_class'::regclass AND r.reltype <> 0
	UNION ALL
	SELECT 'pg_class'::regclass, t.typrelid, a.attnum, i.n, i.id, i.id, i.kind
	  FROM ids i JOIN pg_type t ON t.oid = i.objid
	  JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum >= 0
	 WHERE i.kind = 'composite'
	UNION ALL
	SELECT 'pg_constraint'::regclass, dc.oid, 0, i.n, i.id, i.id, i.kind
	  FROM ids i JOIN pg_constraint dc ON dc.contypid = i.objid
	 WHERE i.kind = 'domain'
	UNION ALL
	-- what an extension brings stands for the extension
	SELECT d.classid, d.objid, d.objsubid, i.n, i.id, i.id, 'extension'
	  FROM pg_depend d JOIN xt x ON x.oid = d.refobjid JOIN ids i ON i.id = x.id
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
),
dep_pair AS (
	SELECT a.n, a.id, r.ref_id AS dep
	  FROM pg_depend d
	  JOIN addr a ON a.classid = d.classid AND a.objid = d.objid AND a.objsubid = d.objsubid
	  JOIN addr r ON r.classid = d.refclassid AND r.objid = d.refobjid AND r.objsubid = d.refobjsubid
	 WHERE d.deptype IN ('n', 'a', 'i', 'P', 'S')
	   -- a sequence's owning column is owned_by, not a prerequisite (the
	   -- column's DEFAULT nextval() needs the sequence first)
	   AND NOT (a.kind = 'sequence' AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0)
	UNION ALL
	-- a reference to a column also names its table (or view)
	SELECT a.n, a.id, r.ref_id
	  FROM pg_depend d
	  JOIN addr a ON a.classid = d.classid AND a.objid = d.objid AND a.objsubid = d.objsubid
	  JOIN addr r ON r.classid = d.refclassid AND r.objid = d.refobjid AND r.objsubid = 0
	 WHERE d.deptype IN ('n', 'a', 'i', 'P', 'S') AND d.refobjsubid > 0
	   AND NOT (a.kind = 'sequence' AND d.refclassid = 'pg_class'::regclass)
	UNION ALL
	-- the relation an object lives on, the schema of a schema object: all
	-- of them in the snapshot by construction
	SELECT i.n, i.id, i.xdeps[1]
	  FROM ids i WHERE i.xdeps IS NOT NULL
	UNION ALL
	SELECT i.n, i.id, 'schema ' || quote_ident(i.schema)
	  FROM ids i WHERE i.kind NOT IN ('schema', 'extension', 'acl', 'comment') AND i.schema IS NOT NULL
),
-- each list as text, in one sort of all pairs (an ORDER BY inside the
-- aggregate would start a sort per object); an id has nothing to escape
-- unless it has a double quote (it is made of names quote_ident
-- leaves alone, or quoted ones)
deps AS (
	SELECT n, '[' || string_agg(CASE WHEN strpos(dep, '"') = 0 AND strpos(dep, '\') = 0 THEN '"' || dep || '"'
								 ELSE to_json(dep)::text END, ', ') || ']' AS deps
	  FROM (SELECT DISTINCT n, dep COLLATE "C" AS dep FROM dep_pair WHERE id <> dep ORDER BY 1, 2) p
	 GROUP BY n
),
comments AS (
	SELECT 'comment ' || i.id AS id, 'comment' AS kind, i.schema, i.name, i.tbl,
		   jsonb_build_object('target', i.id, 'text', d.description) AS body,
		   jsonb_build_array(i.id)::text AS deps
	  FROM ids i JOIN pg_description d
		ON d.classoid = i.classid AND d.objoid = i.objid AND d.objsubid = i.objsubid
	 WHERE i.kind NOT IN ('acl', 'comment')
),
-- a comment on something the snapshot has no entry for (a view's column,
-- a domain's constraint, ...) is listed, not dropped
orphan_comments AS (
	SELECT 'unsupported comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) AS id,
		   'unsupported' AS kind, io.schema, NULL::text AS name, NULL::text AS tbl,
		   jsonb_build_object('what', 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid)) AS body,
		   '[]'::text AS deps
	  FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) io
	 WHERE d.objoid >= 16384
	   AND io.schema IN (SELECT nspname FROM sch)
	   AND NOT EXISTS (SELECT FROM ext e WHERE e.classid = d.classoid AND e.objid = d.objoid)
	   AND NOT EXISTS (SELECT FROM ids i WHERE i.classid = d.classoid AND i.objid = d.objoid
											AND i.objsubid = d.objsubid)
),
objects AS (
	SELECT i.id, i.kind, i.schema, i.name, i.tbl, i.body, coalesce(d.deps, '[]') AS deps
	  FROM ids i LEFT JOIN deps d ON d.n = i.n
	UNION ALL
	SELECT id, kind, schema, name, tbl, body, deps FROM comments
	UNION ALL
	SELECT id, kind, schema, name, tbl, body, deps FROM orphan_comments
)
-- Each object as text: jsonb_agg of 15,000 objects costs more than the
-- whole rest of the query, and a client that reads the result as text is
-- spared jsonb's parse and output.  The text is exactly jsonb's output of
-- the same value (keys in jsonb's order: by length, then bytes; ", " and
-- ": " as separators), so the whole is the canonical form.  One row per
-- object, not one text: the 5 MB text, and its copies by string_agg, by
-- each ||, by the output function and into the message buffer, were a
-- quarter of the memory a new backend touched for this query (7,000 of
-- 29,700 page faults at 1,000 tables; bench/README.md "Seventh pass").
SELECT o.id,
	   CASE WHEN t.id IS NOT NULL
			THEN t.head || o.deps || t.tail
			ELSE (jsonb_build_object('id', o.id, 'kind', o.kind, 'schema', o.schema, 'name', o.name, 'deps', o.deps::jsonb)
				  || CASE WHEN o.tbl IS NOT NULL THEN jsonb_build_object('table', o.tbl) ELSE '{}' END
				  || o.body)::text END AS object
  FROM objects o
	   LEFT JOIN (SELECT id, head, tail FROM col
				  UNION ALL
				  SELECT id, head, tail FROM con
				  UNION ALL
				  SELECT id, head, tail FROM idx
				  UNION ALL
				  SELECT id, head, tail FROM reltxt) t ON t.id = o.id,
	   -- a schema named in $1 that does not exist is an error (3F000), not an
	   -- empty snapshot that a diff would read as "drop everything"
	   (SELECT count(quote_ident(x)::regnamespace) AS n FROM unnest($1::text[]) x) AS named
 WHERE named.n >= 0
