/*-------------------------------------------------------------------------
 *
 * loading.c
 *	  Getting revisions into pgmig.revision: pgmig.load(), repair(), add(),
 *	  new_revision() and merge().
 *
 * load and add insert-or-replace through one upsert statement; the
 * triggers on pgmig.revision (revision_triggers.c) validate what arrives,
 * compute its checksum and journal it.  repair() is the one deliberate way
 * to replace an applied revision's scripts.
 *
 * Memory: a per-call context (pgmig_call_begin); results are copied to the
 * caller's context before it is deleted.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "core/revfile.h"
#include "core/target.h"

#include "spi_util.h"

typedef struct RevValues
{
	const char *id;
	Datum		down_revision;
	Datum		depends_on;
	Datum		branch_labels;
	const char *message;
	const char *upgrade;
	const char *downgrade;
	bool		transactional;
	int			upgrade_line;	/* file line of each section; 0: unknown */
	int			downgrade_line;
} RevValues;

static const char *upsert_sql =
"INSERT INTO pgmig.revision AS r"
" (id, down_revision, depends_on, branch_labels, message, upgrade, downgrade, transactional)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
" ON CONFLICT (id) DO UPDATE SET"
"  down_revision = EXCLUDED.down_revision, depends_on = EXCLUDED.depends_on,"
"  branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message,"
"  upgrade = EXCLUDED.upgrade, downgrade = EXCLUDED.downgrade,"
"  transactional = EXCLUDED.transactional,"
"  loaded_at = pg_catalog.now(), loaded_by = CURRENT_USER"
" WHERE r.checksum OPERATOR(pg_catalog.<>) EXCLUDED.checksum"
"    OR r.down_revision OPERATOR(pg_catalog.<>) EXCLUDED.down_revision"
"    OR r.depends_on OPERATOR(pg_catalog.<>) EXCLUDED.depends_on"
"    OR r.branch_labels OPERATOR(pg_catalog.<>) EXCLUDED.branch_labels"
"    OR r.message OPERATOR(pg_catalog.<>) EXCLUDED.message";

/*
 * 0.4 also stores where each section starts in the revision file, so that
 * errors can name the file line; a moved section is a change worth
 * recording even when the scripts are the same.
 */
static const char *upsert_sql_04 =
"INSERT INTO pgmig.revision AS r"
" (id, down_revision, depends_on, branch_labels, message, upgrade, downgrade, transactional,"
"  upgrade_line, downgrade_line)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
" ON CONFLICT (id) DO UPDATE SET"
"  down_revision = EXCLUDED.down_revision, depends_on = EXCLUDED.depends_on,"
"  branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message,"
"  upgrade = EXCLUDED.upgrade, downgrade = EXCLUDED.downgrade,"
"  transactional = EXCLUDED.transactional,"
"  upgrade_line = EXCLUDED.upgrade_line, downgrade_line = EXCLUDED.downgrade_line,"
"  loaded_at = pg_catalog.now(), loaded_by = CURRENT_USER"
" WHERE r.checksum OPERATOR(pg_catalog.<>) EXCLUDED.checksum"
"    OR r.down_revision OPERATOR(pg_catalog.<>) EXCLUDED.down_revision"
"    OR r.depends_on OPERATOR(pg_catalog.<>) EXCLUDED.depends_on"
"    OR r.branch_labels OPERATOR(pg_catalog.<>) EXCLUDED.branch_labels"
"    OR r.message OPERATOR(pg_catalog.<>) EXCLUDED.message"
"    OR r.upgrade_line IS DISTINCT FROM EXCLUDED.upgrade_line"
"    OR r.downgrade_line IS DISTINCT FROM EXCLUDED.downgrade_line";

static void
upsert_revision(RevValues *rv)
{
	Oid			types[10] = {TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTOID, TEXTOID, TEXTOID, BOOLOID, INT4OID, INT4OID};
	Datum		v[10];
	char		n[11] = "          ";
	bool		lines = pgmig_revision_has_lines();

	v[0] = CStringGetTextDatum(rv->id);
	v[1] = rv->down_revision;
	v[2] = rv->depends_on;
	v[3] = rv->branch_labels;
	v[4] = CStringGetTextDatum(rv->message ? rv->message : "");
	v[5] = CStringGetTextDatum(rv->upgrade ? rv->upgrade : "");
	if (rv->downgrade)
		v[6] = CStringGetTextDatum(rv->downgrade);
	else
		n[6] = 'n';
	v[7] = BoolGetDatum(rv->transactional);
	v[8] = Int32GetDatum(rv->upgrade_line);
	n[8] = rv->upgrade_line > 0 ? ' ' : 'n';
	v[9] = Int32GetDatum(rv->downgrade_line);
	n[9] = rv->downgrade_line > 0 ? ' ' : 'n';
	(void) pgmig_spi_exec(lines ? upsert_sql_04 : upsert_sql, lines ? 10 : 8,
						  types, v, n, false, 0, SPI_OK_INSERT);
}

static Datum
strlist_array(pm_strlist *l)
{
	return pgmig_cstring_array(l->items, l->n);
}

static void
rev_values_from_file(RevValues *rv, pm_revfile *rf)
{
	rv->id = rf->id;
	rv->down_revision = strlist_array(&rf->down_revision);
	rv->depends_on = strlist_array(&rf->depends_on);
	rv->branch_labels = strlist_array(&rf->branch_labels);
	rv->message = rf->message;
	rv->upgrade = rf->upgrade;
	rv->downgrade = rf->downgrade;
	rv->transactional = rf->transactional;
	rv->upgrade_line = rf->upgrade_line;
	rv->downgrade_line = rf->downgrade_line;
}

static void
parse_file(const char *file, pm_revfile *rf)
{
	pm_error	err;

	if (!pm_revfile_parse(file, strlen(file), rf, &err))
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_INVALID_FILE),
				 errmsg("invalid revision file: %s", err.msg),
				 err.line > 0 ? errdetail("The problem is at line %d.", err.line) : 0,
				 err.hint[0] ? errhint("%s", err.hint) : 0));
}

PG_FUNCTION_INFO_V1(pgmig_load);
Datum
pgmig_load(PG_FUNCTION_ARGS)
{
	char	   *file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *id_out;
	MemoryContext callcxt,
				oldcxt;
	pm_revfile	rf;
	RevValues	rv;

	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	parse_file(file, &rf);
	rev_values_from_file(&rv, &rf);
	upsert_revision(&rv);
	id_out = MemoryContextStrdup(oldcxt, rf.id);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id_out));
}

PG_FUNCTION_INFO_V1(pgmig_repair);
Datum
pgmig_repair(PG_FUNCTION_ARGS)
{
	char	   *file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *id_out;
	MemoryContext callcxt,
				oldcxt;
	pm_revfile	rf;
	RevValues	rv;
	Oid			t1[1] = {TEXTOID};
	Datum		v[1];
	char	   *old_ck;
	char	   *new_ck;
	bool		applied;
	bool		save_repair;

	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	parse_file(file, &rf);
	pgmig_lock_xact();
	v[0] = CStringGetTextDatum(rf.id);
	if (pgmig_spi_exec("SELECT r.checksum, a.revision IS NOT NULL FROM pgmig.revision r"
					   " LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id"
					   " WHERE r.id OPERATOR(pg_catalog.=) $1",
					   1, t1, v, NULL, true, 1, SPI_OK_SELECT) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" does not exist", rf.id),
				 errhint("pgmig.repair() replaces a loaded revision; load a new one with pgmig.load().")));
	old_ck = pgmig_spi_text(0, 1);
	applied = pgmig_spi_bool(0, 2, false);
	pgmig_spi_done();

	rev_values_from_file(&rv, &rf);

	/* saved and restored, not reset: repair() may run inside another call */
	save_repair = pgmig_repair_in_progress;
	pgmig_repair_in_progress = true;
	PG_TRY();
	{
		upsert_revision(&rv);
	}
	PG_FINALLY();
	{
		pgmig_repair_in_progress = save_repair;
	}
	PG_END_TRY();

	{
		char		ck[65];

		pm_checksum(rf.upgrade, rf.downgrade, rf.transactional, ck);
		new_ck = pstrdup(ck);
	}
	if (applied)
	{
		Oid			t2[2] = {TEXTOID, TEXTOID};
		Datum		v2[2];

		v2[0] = CStringGetTextDatum(new_ck);
		v2[1] = CStringGetTextDatum(rf.id);
		(void) pgmig_exec_as_owner("UPDATE pgmig.applied SET checksum = $1 WHERE revision OPERATOR(pg_catalog.=) $2",
								   2, t2, v2, NULL, SPI_OK_UPDATE);
	}
	{
		Oid			t4[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		Datum		v4[4];

		v4[0] = CStringGetTextDatum(rf.id);
		v4[1] = CStringGetTextDatum(old_ck);
		v4[2] = CStringGetTextDatum(new_ck);
		v4[3] = CStringGetTextDatum(applied ? "scripts of an applied revision replaced deliberately" :
									"scripts of an unapplied revision replaced");
		(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, revision, old_checksum, new_checksum, detail)"
								   " VALUES ('repair', $1, $2, $3, $4)",
								   4, t4, v4, NULL, SPI_OK_INSERT);
	}
	if (strcmp(old_ck, new_ck) == 0)
		ereport(NOTICE,
				(errmsg("revision \"%s\" is unchanged", rf.id)));
	id_out = MemoryContextStrdup(oldcxt, rf.id);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id_out));
}

static Datum
array_arg_or_empty(FunctionCallInfo fcinfo, int arg)
{
	if (PG_ARGISNULL(arg))
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return PG_GETARG_DATUM(arg);
}

PG_FUNCTION_INFO_V1(pgmig_add);
Datum
pgmig_add(PG_FUNCTION_ARGS)
{
	MemoryContext callcxt,
				oldcxt;
	RevValues	rv;
	char	   *id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("revision id must not be null"),
				 errhint("Pass the id of the revision, e.g. pgmig.add('a1b2c3', ...), or use pgmig.new_revision() to have one generated.")));
	id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	rv.id = id;
	rv.down_revision = array_arg_or_empty(fcinfo, 1);
	rv.upgrade = PG_ARGISNULL(2) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	rv.downgrade = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	rv.message = PG_ARGISNULL(4) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(4));
	rv.branch_labels = array_arg_or_empty(fcinfo, 5);
	rv.depends_on = array_arg_or_empty(fcinfo, 6);
	rv.transactional = PG_ARGISNULL(7) ? true : PG_GETARG_BOOL(7);
	rv.upgrade_line = rv.downgrade_line = 0;
	upsert_revision(&rv);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/* A fresh 12-hex-digit id not used yet. */
static char *
new_id(PgmigGraph *pg)
{
	for (;;)
	{
		unsigned char b[6];
		char	   *id = palloc(13);
		int			k;

		if (!pg_strong_random(b, sizeof(b)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random revision id")));
		for (k = 0; k < 6; k++)
			snprintf(id + 2 * k, 3, "%02x", b[k]);
		if (pm_graph_find(pg->g, id) < 0 && pm_graph_find_label(pg->g, id) < 0)
			return id;
	}
}

PG_FUNCTION_INFO_V1(pgmig_new_revision);
Datum
pgmig_new_revision(PG_FUNCTION_ARGS)
{
	MemoryContext callcxt,
				oldcxt;
	PgmigGraph *pg;
	RevValues	rv;
	char	   *id;
	char	   *id_out;

	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	pg = pgmig_load_graph(true);
	id = new_id(pg);
	rv.id = id;
	if (PG_ARGISNULL(3))
	{
		pm_set		heads;

		pm_graph_heads(pg->g, &heads);
		if (heads.n > 1)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_AMBIGUOUS_TARGET),
					 errmsg("the graph has %d heads, so the new revision's parent is ambiguous", heads.n),
					 errdetail("The heads are %s.", pgmig_join_ids(pg, heads.items, heads.n, ", ")),
					 errhint("Pass down_revision => ARRAY['...'], or merge the heads first with pgmig.merge().")));
		rv.down_revision = pgmig_ids_array(pg, heads.items, heads.n);
	}
	else
		rv.down_revision = PG_GETARG_DATUM(3);
	rv.message = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	rv.upgrade = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	rv.downgrade = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	rv.branch_labels = array_arg_or_empty(fcinfo, 4);
	rv.depends_on = array_arg_or_empty(fcinfo, 5);
	rv.transactional = PG_ARGISNULL(6) ? true : PG_GETARG_BOOL(6);
	rv.upgrade_line = rv.downgrade_line = 0;
	upsert_revision(&rv);
	id_out = MemoryContextStrdup(oldcxt, id);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id_out));
}

PG_FUNCTION_INFO_V1(pgmig_merge);
Datum
pgmig_merge(PG_FUNCTION_ARGS)
{
	MemoryContext callcxt,
				oldcxt;
	PgmigGraph *pg;
	RevValues	rv;
	char	   *id;
	char	   *id_out;
	int		   *items;
	int			n = 0;
	int			k;

	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	pg = pgmig_load_graph(true);
	items = palloc(sizeof(int) * (pg->n + 1));
	if (PG_ARGISNULL(0))
	{
		pm_set		heads;

		pm_graph_heads(pg->g, &heads);
		for (k = 0; k < heads.n; k++)
			items[n++] = heads.items[k];
		if (n < 2)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_STATE),
					 errmsg("nothing to merge: the graph has %d head%s", n, n == 1 ? "" : "s"),
					 errhint("pgmig.merge() joins two or more heads into one.")));
	}
	else
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
		Datum	   *elems;
		bool	   *nulls;
		int			ne;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &ne);
		if (ne < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a merge needs at least two revisions, got %d", ne),
					 errhint("Name the heads to merge, e.g. pgmig.merge(ARRAY['r1', 'r2']); pgmig.heads() lists them.")));
		for (k = 0; k < ne; k++)
		{
			pm_set		s;
			int			br;
			int			j;

			if (nulls[k])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("revisions to merge must not contain nulls"),
						 errhint("Remove the NULL element, or pass NULL instead of the array to merge all heads.")));
			pgmig_resolve_target(pg, TextDatumGetCString(elems[k]), &s, &br);
			for (j = 0; j < s.n; j++)
			{
				int			i;
				bool		dup = false;

				for (i = 0; i < n; i++)
					if (items[i] == s.items[j])
						dup = true;
				if (!dup)
					items[n++] = s.items[j];
			}
		}
		if (n < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a merge needs at least two distinct revisions"),
					 errhint("Name each head once; pgmig.heads() lists them.")));
	}
	id = new_id(pg);
	rv.id = id;
	rv.down_revision = pgmig_ids_array(pg, items, n);
	rv.depends_on = PointerGetDatum(construct_empty_array(TEXTOID));
	rv.branch_labels = PointerGetDatum(construct_empty_array(TEXTOID));
	rv.message = PG_ARGISNULL(1) ?
		psprintf("merge %s", pgmig_join_ids(pg, items, n, ", ")) :
		text_to_cstring(PG_GETARG_TEXT_PP(1));
	rv.upgrade = "";
	rv.downgrade = "";
	rv.transactional = true;
	rv.upgrade_line = rv.downgrade_line = 0;
	upsert_revision(&rv);
	id_out = MemoryContextStrdup(oldcxt, id);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id_out));
}
