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

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/hsearch.h"
#include "funcapi.h"
#include "core/revfile.h"
#include "core/target.h"

#include "graphstore.h"
#include "spi_util.h"

/*
 * One revision row to upsert.  The name lists are array literals (text[]
 * input syntax): from a file they are written here, from SQL callers they
 * are the arrays' own output, so either way the cast in upsert_sql reads
 * exactly what was given.
 */
typedef struct RevValues
{
	const char *id;
	const char *down_revision;
	const char *depends_on;
	const char *branch_labels;
	const char *message;
	const char *upgrade;
	const char *downgrade;
	bool		transactional;
	int			upgrade_line;	/* file line of each section; 0: unknown */
	int			downgrade_line;
} RevValues;

#define UPSERT_NARGS 10

/*
 * The one statement that writes revisions into pgmig.revision: any number
 * of rows, inserted in the order given (the load order, which plans
 * follow), each replacing the row of its id only when something differs,
 * so the triggers on pgmig.revision validate the graph once per call.
 * 0.4 also stores where each section starts in the revision file, so that
 * errors can name the file line; a moved section is a change worth
 * recording even when the scripts are the same.  %s: the line columns.
 */
static const char *upsert_sql =
"INSERT INTO pgmig.revision AS r"
" (id, down_revision, depends_on, branch_labels, message, upgrade, downgrade, transactional%s)"
" SELECT u.id, u.dr::pg_catalog.text[], u.dep::pg_catalog.text[], u.bl::pg_catalog.text[],"
"        u.msg, u.up, u.down, u.tx%s"
"   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
"                   pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
"                   pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9),"
"                   pg_catalog.unnest($10))"
"        WITH ORDINALITY AS u(id, dr, dep, bl, msg, up, down, tx, ul, dl, ord)"
"  ORDER BY u.ord"
" ON CONFLICT (id) DO UPDATE SET"
"  down_revision = EXCLUDED.down_revision, depends_on = EXCLUDED.depends_on,"
"  branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message,"
"  upgrade = EXCLUDED.upgrade, downgrade = EXCLUDED.downgrade,"
"  transactional = EXCLUDED.transactional,%s"
"  loaded_at = pg_catalog.now(), loaded_by = CURRENT_USER"
" WHERE r.checksum OPERATOR(pg_catalog.<>) EXCLUDED.checksum"
"    OR r.down_revision OPERATOR(pg_catalog.<>) EXCLUDED.down_revision"
"    OR r.depends_on OPERATOR(pg_catalog.<>) EXCLUDED.depends_on"
"    OR r.branch_labels OPERATOR(pg_catalog.<>) EXCLUDED.branch_labels"
"    OR r.message OPERATOR(pg_catalog.<>) EXCLUDED.message%s";

/* a one-dimensional array of n datums of type typid (nulls may be NULL) */
static Datum
datum_array(Datum *elems, bool *nulls, int n, Oid typid)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(typid, &typlen, &typbyval, &typalign);
	if (n == 0)
		return PointerGetDatum(construct_empty_array(typid));
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, typid,
											  typlen, typbyval, typalign));
}

static void
upsert_revisions(RevValues *rv, int n)
{
	Oid			types[UPSERT_NARGS] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID,
	INT4ARRAYOID, INT4ARRAYOID};
	Datum		v[UPSERT_NARGS];
	Datum	   *e[UPSERT_NARGS];
	bool	   *isnull[UPSERT_NARGS];
	Oid			elemtype[UPSERT_NARGS] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, BOOLOID, INT4OID, INT4OID};
	bool		lines = pgmig_revision_has_lines();
	int			c,
				k;

	if (n == 0)
		return;
	for (c = 0; c < UPSERT_NARGS; c++)
	{
		e[c] = palloc(sizeof(Datum) * n);
		isnull[c] = palloc0(sizeof(bool) * n);
	}
	for (k = 0; k < n; k++)
	{
		e[0][k] = CStringGetTextDatum(rv[k].id);
		e[1][k] = CStringGetTextDatum(rv[k].down_revision);
		e[2][k] = CStringGetTextDatum(rv[k].depends_on);
		e[3][k] = CStringGetTextDatum(rv[k].branch_labels);
		e[4][k] = CStringGetTextDatum(rv[k].message ? rv[k].message : "");
		e[5][k] = CStringGetTextDatum(rv[k].upgrade ? rv[k].upgrade : "");
		if (rv[k].downgrade)
			e[6][k] = CStringGetTextDatum(rv[k].downgrade);
		else
			isnull[6][k] = true;
		e[7][k] = BoolGetDatum(rv[k].transactional);
		e[8][k] = Int32GetDatum(rv[k].upgrade_line);
		isnull[8][k] = rv[k].upgrade_line <= 0;
		e[9][k] = Int32GetDatum(rv[k].downgrade_line);
		isnull[9][k] = rv[k].downgrade_line <= 0;
	}
	for (c = 0; c < UPSERT_NARGS; c++)
		v[c] = datum_array(e[c], isnull[c], n, elemtype[c]);
	(void) pgmig_spi_exec(psprintf(upsert_sql,
								   lines ? ", upgrade_line, downgrade_line" : "",
								   lines ? ", u.ul, u.dl" : "",
								   lines ? " upgrade_line = EXCLUDED.upgrade_line,"
								   " downgrade_line = EXCLUDED.downgrade_line," : "",
								   lines ? " OR r.upgrade_line IS DISTINCT FROM EXCLUDED.upgrade_line"
								   " OR r.downgrade_line IS DISTINCT FROM EXCLUDED.downgrade_line" : ""),
						  UPSERT_NARGS, types, v, NULL, false, 0, SPI_OK_INSERT);
}

static void
upsert_revision(RevValues *rv)
{
	upsert_revisions(rv, 1);
}

/* a parsed name list as a text[] literal; names are [A-Za-z0-9_] */
static char *
strlist_literal(pm_strlist *l)
{
	StringInfoData b;
	int			k;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (k = 0; k < l->n; k++)
		appendStringInfo(&b, "%s\"%s\"", k ? "," : "", l->items[k]);
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* an array argument's text form; NULL: the empty array */
static char *
array_literal(Datum arr)
{
	return OidOutputFunctionCall(F_ARRAY_OUT, arr);
}

static void
rev_values_from_file(RevValues *rv, pm_revfile *rf)
{
	rv->id = rf->id;
	rv->down_revision = strlist_literal(&rf->down_revision);
	rv->depends_on = strlist_literal(&rf->depends_on);
	rv->branch_labels = strlist_literal(&rf->branch_labels);
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

static char *
array_arg_or_empty(FunctionCallInfo fcinfo, int arg)
{
	if (PG_ARGISNULL(arg))
		return "{}";
	return array_literal(PG_GETARG_DATUM(arg));
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
		rv.down_revision = array_literal(pgmig_ids_array(pg, heads.items, heads.n));
	}
	else
		rv.down_revision = array_literal(PG_GETARG_DATUM(3));
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
	rv.down_revision = array_literal(pgmig_ids_array(pg, items, n));
	rv.depends_on = "{}";
	rv.branch_labels = "{}";
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

/* ---- pgmig.load_folder(): the one upsert of a revision folder ---- */

/* What pgmig.revision holds for one id, for the folder comparison. */
typedef struct DbRevision
{
	char		id[PM_MAX_ID_LEN + 1];	/* hash key */
	int			order;			/* position in applied_at order */
	char		digest[65];		/* load digest of the row (revfile.h) */
	bool		applied;
	bool		applied_same;	/* applied checksum = the row's checksum */
	char	   *applied_checksum;
	bool		in_folder;
	bool		in_db;			/* false: a new id of the folder */
} DbRevision;

/* One result row of load_folder; outcome NULL: unchanged, not returned. */
typedef struct FolderOutcome
{
	const char *id;
	const char *file;
	const char *outcome;
	const char *applied_checksum;
	const char *file_checksum;
} FolderOutcome;

#define LOAD_FOLDER_NCOLS 5

/* text[] argument as C strings; NULL elements refused (what names them) */
static char **
text_array_arg(FunctionCallInfo fcinfo, int arg, const char *what, int *n,
			   bool nulls_ok)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;
	int			k;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what),
				 errhint("Pass one element per revision file, in load order.")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(arg), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * (*n + 1));
	for (k = 0; k < *n; k++)
	{
		if (nulls[k] && !nulls_ok)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what),
					 errhint("Pass one element per revision file, in load order.")));
		out[k] = nulls[k] ? NULL : TextDatumGetCString(elems[k]);
	}
	return out;
}

static HTAB *
read_db_revisions(int *ndb, DbRevision ***byorder)
{
	HASHCTL		ctl;
	HTAB	   *h;
	uint64		n,
				k;
	bool		lines = pgmig_revision_has_lines();

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PM_MAX_ID_LEN + 1;
	ctl.entrysize = sizeof(DbRevision);
	ctl.hcxt = CurrentMemoryContext;
	n = pgmig_spi_exec(psprintf("SELECT r.id, pg_catalog.array_to_string(r.down_revision, ','),"
								"       pg_catalog.array_to_string(r.depends_on, ','),"
								"       pg_catalog.array_to_string(r.branch_labels, ','),"
								"       r.message, r.checksum, %s,"
								"       a.revision IS NOT NULL, a.checksum"
								"  FROM pgmig.revision r"
								"  LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id"
								" ORDER BY a.applied_at, r.id",
								lines ? "r.upgrade_line, r.downgrade_line" : "NULL::int, NULL::int"),
					   0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT);
	h = hash_create("pgmig load_folder", Max(n, 16), &ctl,
					HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	*byorder = palloc(sizeof(DbRevision *) * (n + 1));
	for (k = 0; k < n; k++)
	{
		char	   *id = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1);
		DbRevision *r;
		bool		found;
		char	   *ul = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 7);
		char	   *dl = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 8);
		char	   *checksum = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 6);
		char	   *applied = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 9);

		if (strlen(id) > PM_MAX_ID_LEN)
			continue;			/* the triggers refuse such ids */
		r = hash_search(h, id, HASH_ENTER, &found);
		r->order = (int) k;
		pm_revision_digest(id,
						   SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2),
						   SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 3),
						   SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 4),
						   SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 5),
						   checksum, ul ? atoi(ul) : 0, dl ? atoi(dl) : 0, r->digest);
		r->applied = applied && strcmp(applied, "t") == 0;
		r->applied_checksum = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 10);
		r->applied_same = r->applied && r->applied_checksum && checksum &&
			strcmp(r->applied_checksum, checksum) == 0;
		r->in_folder = false;
		r->in_db = true;
		(*byorder)[k] = r;
	}
	*ndb = (int) n;
	return h;
}

/*
 * Is fp the recorded fingerprint, recorded when pgmig.revision had exactly
 * the row versions it has now?  The statement trigger clears the record on
 * every change made with triggers on; the row versions catch a change made
 * with them bypassed (superuser, session_replication_role = replica), which
 * the trigger never sees (graphverify.c: pgmig_revision_rows_digest).  Read
 * as pgmig: no privilege on pgmig.folder_seen or pgmig.revision is needed,
 * and only the yes or no leaves.
 */
static bool
folder_seen(Datum fp)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1] = {fp};
	PgmigOwnerSwitch sw;
	char	   *rows = NULL;
	int64		below = 0;
	char		now[65];

	pgmig_become_owner(&sw);
	if (pgmig_spi_exec("SELECT revision_rows, valid_below FROM pgmig.folder_seen"
					   " WHERE fingerprint OPERATOR(pg_catalog.=) $1",
					   1, types, v, NULL, true, 1, SPI_OK_SELECT) == 1)
	{
		bool		isnull;

		rows = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		below = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 2, &isnull));
		if (isnull)
			rows = NULL;
	}
	pgmig_restore_user(&sw);
	if (rows == NULL ||
		U64FromFullTransactionId(ReadNextFullTransactionId()) >= (uint64) below)
		return false;
	return pgmig_revision_rows_digest(false, now, NULL) && strcmp(now, rows) == 0;
}

/*
 * Record fp as the folder last found equal to pgmig.revision (as pgmig),
 * with pgmig.revision's row versions as this transaction now has them
 * (after its own upsert).  Nothing is recorded when they cannot be
 * digested soundly; the folder is then simply read next time.
 */
static void
record_fingerprint(const char *fp)
{
	Oid			types[3] = {TEXTOID, TEXTOID, INT8OID};
	Datum		v[3];
	char		rows[65];
	uint64		below = 0;
	bool		ok;

	v[0] = CStringGetTextDatum(fp);
	/* a snapshot that sees this transaction's own upsert */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	ok = !folder_seen(v[0]) && pgmig_revision_rows_digest(true, rows, &below);
	PopActiveSnapshot();
	if (!ok)
		return;
	v[1] = CStringGetTextDatum(rows);
	v[2] = Int64GetDatum((int64) Min(below, (uint64) PG_INT64_MAX));
	(void) pgmig_exec_as_owner("DELETE FROM pgmig.folder_seen", 0, NULL, NULL, NULL,
							   SPI_OK_DELETE);
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.folder_seen (fingerprint, revision_rows, valid_below)"
							   " VALUES ($1, $2, $3)",
							   3, types, v, NULL, SPI_OK_INSERT);
}

/*
 * pgmig.load_folder(ids, files, digests, contents, apply, fingerprint):
 * see sql/0.4/72_load_folder.sql.  Under the migration lock, compares each
 * file's load digest with its row: equal (and, if applied, the applied
 * checksum still the row's) is unchanged; otherwise the file's text is
 * needed, and when given it decides: an applied revision whose scripts
 * differ from what was applied is 'edited', otherwise 'new' or 'changed'.
 * Applied revisions with no file are 'missing', unapplied ones 'removed'.
 * Nothing is written unless apply is true, no text was needed and nothing
 * was refused; then one upsert, one delete and the fingerprint.
 */
/* result rows: refusals in applied order, then the others in input order */
static int
cmp_outcome_rows(const ListCell *a, const ListCell *b)
{
	Datum	   *ra = lfirst(a);
	Datum	   *rb = lfirst(b);
	int			oa = DatumGetInt32(ra[5]),
				ob = DatumGetInt32(rb[5]);

	if (oa != ob)
		return oa < ob ? -1 : 1;
	return DatumGetInt32(ra[6]) < DatumGetInt32(rb[6]) ? -1 :
		DatumGetInt32(ra[6]) > DatumGetInt32(rb[6]);
}

PG_FUNCTION_INFO_V1(pgmig_load_folder);
Datum
pgmig_load_folder(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt,
				oldcxt;
	char	  **ids,
			  **files,
			  **digests,
			  **contents = NULL;
	int			n,
				nf,
				nd,
				nc,
				ndb,
				k;
	bool		apply = PG_ARGISNULL(4) ? true : PG_GETARG_BOOL(4);
	char	   *fingerprint = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	HTAB	   *db;
	DbRevision **byorder;
	FolderOutcome *out;
	RevValues  *batch;
	int			nbatch = 0,
				needed = 0,
				refused = 0,
				removed = 0;
	char	  **gone;
	int			nout = 0;
	List	   *rows = NIL;
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	ids = text_array_arg(fcinfo, 0, "ids", &n, false);
	files = text_array_arg(fcinfo, 1, "files", &nf, false);
	digests = text_array_arg(fcinfo, 2, "digests", &nd, false);
	if (!PG_ARGISNULL(3))
		contents = text_array_arg(fcinfo, 3, "contents", &nc, true);
	else
		nc = n;
	if (nf != n || nd != n || nc != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids, files, digests and contents must have the same length"),
				 errdetail("Got %d ids, %d files, %d digests and %d contents.", n, nf, nd, nc),
				 errhint("Pass one element per revision file, in load order; contents may be NULL.")));

	/*
	 * Checked up front, not left to the INSERT: a folder equal to the
	 * database writes nothing, and a role that may not write must not
	 * learn that its load "succeeded".
	 */
	if (apply)
	{
		Oid			relid = get_relname_relid("revision", get_namespace_oid("pgmig", false));

		if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT | ACL_UPDATE | ACL_DELETE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to load revisions into pgmig.revision"),
					 errdetail("Loading a folder inserts, updates and deletes rows of pgmig.revision."),
					 errhint("Ask for INSERT, UPDATE and DELETE on pgmig.revision, or call pgmig.load_folder() with apply => false to only compare.")));
	}

	pgmig_lock_xact();
	db = read_db_revisions(&ndb, &byorder);
	out = palloc0(sizeof(FolderOutcome) * (n + ndb + 1));
	batch = palloc(sizeof(RevValues) * (n + 1));
	for (k = 0; k < n; k++)
	{
		DbRevision *r = NULL;
		FolderOutcome *o = &out[k];
		pm_revfile	rf;
		pm_error	err;
		char		ck[65];
		bool		found;

		o->id = ids[k];
		o->file = files[k];
		if (strlen(ids[k]) <= PM_MAX_ID_LEN)
		{
			r = hash_search(db, ids[k], HASH_ENTER, &found);
			if (found && r->in_folder)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_INVALID_FILE),
						 errmsg("revision %s is defined twice: in \"%s\" and in another file", ids[k], files[k]),
						 errhint("Give each revision file its own id.")));
			if (!found)
			{
				memset(r->digest, 0, sizeof(r->digest));
				r->applied = r->applied_same = false;
				r->applied_checksum = NULL;
				r->in_db = false;
			}
			r->in_folder = true;
			if (!r->in_db)
				r = NULL;
		}
		if (r && strcmp(r->digest, digests[k]) == 0 && (!r->applied || r->applied_same))
			continue;			/* unchanged */
		if (contents == NULL || contents[k] == NULL)
		{
			o->outcome = "needed";
			needed++;
			continue;
		}
		if (!pm_revfile_parse(contents[k], strlen(contents[k]), &rf, &err))
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_INVALID_FILE),
					 errmsg("invalid revision file \"%s\": %s", files[k], err.msg),
					 err.line > 0 ? errdetail("The problem is at line %d.", err.line) : 0,
					 err.hint[0] ? errhint("%s", err.hint) : 0));
		if (strcmp(rf.id, ids[k]) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_INVALID_FILE),
					 errmsg("revision file \"%s\" defines revision %s, not %s", files[k], rf.id, ids[k]),
					 errhint("Pass each file's own revision id.")));
		pm_checksum(rf.upgrade, rf.downgrade, rf.transactional, ck);
		if (r && r->applied && (r->applied_checksum == NULL ||
								strcmp(r->applied_checksum, ck) != 0))
		{
			o->outcome = "edited";
			o->applied_checksum = r->applied_checksum;
			o->file_checksum = pstrdup(ck);
			refused++;
			continue;
		}
		if (r && (!r->applied || r->applied_same))
		{
			char		dg[65];

			/* the text decides, not the digest the caller sent */
			pm_revfile_digest(&rf, dg);
			if (strcmp(dg, r->digest) == 0)
				continue;		/* unchanged */
		}
		o->outcome = r ? "changed" : "new";
		o->file_checksum = pstrdup(ck);
		rev_values_from_file(&batch[nbatch++], &rf);
	}

	/* revisions with no file: applied ones refuse the load */
	gone = palloc(sizeof(char *) * (ndb + 1));
	for (k = 0; k < ndb; k++)
	{
		DbRevision *r = byorder[k];

		if (r == NULL || r->in_folder)
			continue;
		out[n + nout].id = r->id;
		out[n + nout].outcome = r->applied ? "missing" : "removed";
		out[n + nout].applied_checksum = r->applied ? r->applied_checksum : NULL;
		if (r->applied)
			refused++;
		else
			gone[removed++] = r->id;
		nout++;
	}

	if (apply && needed == 0 && refused == 0)
	{
		upsert_revisions(batch, nbatch);
		if (removed > 0)
		{
			Oid			types[1] = {TEXTARRAYOID};
			Datum		v[1];

			v[0] = pgmig_cstring_array(gone, removed);
			(void) pgmig_spi_exec("DELETE FROM pgmig.revision r"
								  " WHERE r.id OPERATOR(pg_catalog.=) ANY ($1)"
								  "   AND NOT EXISTS (SELECT 1 FROM pgmig.applied a"
								  "                    WHERE a.revision OPERATOR(pg_catalog.=) r.id)",
								  1, types, v, NULL, false, 0, SPI_OK_DELETE);
		}
		if (fingerprint)
			record_fingerprint(fingerprint);
	}

	/* refusals first, in applied order (as they were applied), then the rest */
	MemoryContextSwitchTo(oldcxt);
	for (k = 0; k < n + nout; k++)
	{
		FolderOutcome *o = &out[k];
		bool		refusal;
		DbRevision *r;
		Datum	   *row;

		if (o->outcome == NULL)
			continue;
		refusal = strcmp(o->outcome, "edited") == 0 || strcmp(o->outcome, "missing") == 0;
		r = refusal ? hash_search(db, o->id, HASH_FIND, NULL) : NULL;
		row = palloc0(sizeof(Datum) * (LOAD_FOLDER_NCOLS + 2));
		row[0] = CStringGetTextDatum(o->id);
		row[1] = o->file ? CStringGetTextDatum(o->file) : (Datum) 0;
		row[2] = CStringGetTextDatum(o->outcome);
		row[3] = o->applied_checksum ? CStringGetTextDatum(o->applied_checksum) : (Datum) 0;
		row[4] = o->file_checksum ? CStringGetTextDatum(o->file_checksum) : (Datum) 0;
		row[5] = Int32GetDatum(refusal ? r->order : INT_MAX);
		row[6] = Int32GetDatum(k);
		rows = lappend(rows, row);
	}
	list_sort(rows, cmp_outcome_rows);
	foreach(lc, rows)
	{
		Datum	   *row = lfirst(lc);
		bool		nulls[LOAD_FOLDER_NCOLS];
		int			c;

		for (c = 0; c < LOAD_FOLDER_NCOLS; c++)
			nulls[c] = row[c] == (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, nulls);
	}
	MemoryContextSwitchTo(callcxt);
	pgmig_call_end(callcxt, oldcxt);
	return (Datum) 0;
}

/*
 * The statement trigger on pgmig.revision: any change forgets the recorded
 * folder fingerprint, so a read-only command never trusts a record older
 * than the rows it would show.  Written as pgmig: nobody needs a privilege
 * on pgmig.folder_seen.
 */
PG_FUNCTION_INFO_V1(pgmig_folder_seen_clear);
Datum
pgmig_folder_seen_clear(PG_FUNCTION_ARGS)
{
	MemoryContext callcxt,
				oldcxt;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_folder_seen_clear: not called as a trigger");
	callcxt = pgmig_call_begin("pgmig folder seen", &oldcxt);
	(void) pgmig_exec_as_owner("DELETE FROM pgmig.folder_seen", 0, NULL, NULL, NULL,
							   SPI_OK_DELETE);
	pgmig_call_end(callcxt, oldcxt);
	return PointerGetDatum(NULL);
}

/* pgmig.folder_unchanged(fingerprint): is it the recorded one? */
PG_FUNCTION_INFO_V1(pgmig_folder_unchanged);
Datum
pgmig_folder_unchanged(PG_FUNCTION_ARGS)
{
	MemoryContext callcxt,
				oldcxt;
	Datum		v[1];
	bool		same;

	v[0] = PG_GETARG_DATUM(0);
	callcxt = pgmig_call_begin("pgmig folder seen", &oldcxt);
	same = folder_seen(v[0]);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_BOOL(same);
}
