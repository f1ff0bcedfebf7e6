/*-------------------------------------------------------------------------
 *
 * load.c
 *	  Getting revisions into pgmig.revision, and keeping them honest.
 *
 * Triggers on pgmig.revision:
 *	- BEFORE ROW: validates names, computes the checksum (the value a user
 *	  supplies is ignored: the server is the authority), refuses changing,
 *	  renaming or deleting an applied revision ("never edit applied
 *	  migrations"; pgmig.repair() is the deliberate way).
 *	- BEFORE TRUNCATE: refused while anything is applied.
 *	- AFTER STATEMENT: validates the whole graph once per statement (so a
 *	  COPY of 100,000 rows is validated once, and rows may arrive in any
 *	  order within it) and writes one journal row.
 *
 * Functions: checksum, load, repair, add, new_revision, merge.  load and
 * add insert-or-replace through one upsert statement.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "core/revfile.h"
#include "core/target.h"

bool		pgmig_repair_in_progress = false;

/* Per-statement tallies kept by the row trigger for the statement trigger. */
static struct
{
	LocalTransactionId lxid;
	CommandId	cid;
	int			rows;
	int			inserted;
	int			replaced;
	int			deleted;
	char		last_id[PM_MAX_ID_LEN + 1];
	char		last_old[65];
	char		last_new[65];
} tally;

static void
tally_row(const char *id, const char *old_ck, const char *new_ck, char op)
{
	LocalTransactionId lxid = PGMIG_MY_LXID;
	CommandId	cid = GetCurrentCommandId(false);

	if (tally.lxid != lxid || tally.cid != cid)
	{
		tally.lxid = lxid;
		tally.cid = cid;
		tally.rows = tally.inserted = tally.replaced = tally.deleted = 0;
	}
	tally.rows++;
	if (op == 'i')
		tally.inserted++;
	else if (op == 'u')
		tally.replaced++;
	else
		tally.deleted++;
	strlcpy(tally.last_id, id, sizeof(tally.last_id));
	strlcpy(tally.last_old, old_ck ? old_ck : "", sizeof(tally.last_old));
	strlcpy(tally.last_new, new_ck ? new_ck : "", sizeof(tally.last_new));
}

static bool
revision_is_applied(const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	bool		applied;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgmig: SPI_connect failed");
	v[0] = CStringGetTextDatum(id);
	/*
	 * Not read-only: a fresh snapshot, so a run that committed while this
	 * statement waited for the migration lock (revision_lock) is seen.
	 */
	if (SPI_execute_with_args("SELECT 1 FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) $1",
							  1, types, v, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgmig: applied lookup failed");
	applied = SPI_processed > 0;
	SPI_finish();
	return applied;
}

static char *
get_text(HeapTuple tup, TupleDesc desc, const char *col, bool *isnull)
{
	int			att = SPI_fnumber(desc, col);
	Datum		d;

	if (att <= 0)
		elog(ERROR, "pgmig: column \"%s\" missing from pgmig.revision", col);
	d = SPI_getbinval(tup, desc, att, isnull);
	return *isnull ? NULL : TextDatumGetCString(d);
}

/* Validate a text[] column of names; returns the canonical text form. */
static void
check_names(HeapTuple tup, TupleDesc desc, const char *col, const char *id,
			bool is_label)
{
	int			att = SPI_fnumber(desc, col);
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, att, &isnull);
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k;

	if (isnull)
		return;
	arr = DatumGetArrayTypeP(d);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of revision \"%s\" must be a one-dimensional array", col, id)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (k = 0; k < n; k++)
	{
		char	   *s;

		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of revision \"%s\" contains a null", col, id)));
		s = TextDatumGetCString(elems[k]);
		if (!pm_valid_name(s, strlen(s)) || (is_label && pm_reserved_name(s)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid name \"%s\" in %s of revision \"%s\"", s, col, id),
					 errhint("Names are 1 to 64 letters, digits or underscores%s.",
							 is_label ? ", and not head, heads, base or current" : "")));
	}
}

static bool
arrays_equal(HeapTuple a, HeapTuple b, TupleDesc desc, const char *col)
{
	int			att = SPI_fnumber(desc, col);
	bool		n1,
				n2;
	Datum		d1 = SPI_getbinval(a, desc, att, &n1);
	Datum		d2 = SPI_getbinval(b, desc, att, &n2);

	if (n1 || n2)
		return n1 == n2;
	/* array_eq needs fn_extra for its type cache: call it through fmgr */
	return DatumGetBool(OidFunctionCall2Coll(F_ARRAY_EQ, DEFAULT_COLLATION_OID, d1, d2));
}

PG_FUNCTION_INFO_V1(pgmig_revision_row);
Datum
pgmig_revision_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		isnull;
	char	   *id;
	char	   *up;
	char	   *down;
	bool		transactional;
	char		checksum[65];
	char	   *old_ck = NULL;
	int			att;
	Datum		repl[2];
	bool		replnull[2] = {false, false};
	int			replcol[2];
	int			nrepl = 1;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_revision_row: not called as a trigger");
	desc = td->tg_relation->rd_att;

	/*
	 * AFTER ROW: count what really happened.  Counting in BEFORE ROW would
	 * count an INSERT ... ON CONFLICT DO UPDATE twice, and count a row the
	 * conflict then left alone.
	 */
	if (TRIGGER_FIRED_AFTER(td->tg_event))
	{
		if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
			tally_row(get_text(td->tg_trigtuple, desc, "id", &isnull), NULL, NULL, 'd');
		else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
			tally_row(get_text(td->tg_newtuple, desc, "id", &isnull),
					  get_text(td->tg_trigtuple, desc, "checksum", &isnull),
					  get_text(td->tg_newtuple, desc, "checksum", &isnull), 'u');
		else
			tally_row(get_text(td->tg_trigtuple, desc, "id", &isnull), NULL,
					  get_text(td->tg_trigtuple, desc, "checksum", &isnull), 'i');
		return PointerGetDatum(NULL);
	}

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		bool		any;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pgmig: SPI_connect failed");
		if (SPI_execute("SELECT 1 FROM pgmig.applied LIMIT 1", false, 1) != SPI_OK_SELECT)
			elog(ERROR, "pgmig: applied lookup failed");
		any = SPI_processed > 0;
		SPI_finish();
		if (any)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_APPLIED_CHANGED),
					 errmsg("cannot truncate pgmig.revision while revisions are applied"),
					 errhint("Downgrade to base, or stamp base, first.")));
		return PointerGetDatum(NULL);
	}

	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		id = get_text(td->tg_trigtuple, desc, "id", &isnull);
		if (revision_is_applied(id))
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_APPLIED_CHANGED),
					 errmsg("cannot delete applied revision \"%s\"", id),
					 errdetail("Its changes are in the database; without it they could never be downgraded."),
					 errhint("Downgrade it first, or mark it unapplied with pgmig.stamp().")));
		return PointerGetDatum(td->tg_trigtuple);
	}

	newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	id = get_text(newtup, desc, "id", &isnull);
	if (id == NULL || !pm_valid_name(id, strlen(id)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid revision id \"%s\"", id ? id : "(null)"),
				 errhint("Revision ids are 1 to 64 letters, digits or underscores.")));
	if (pm_reserved_name(id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("revision id \"%s\" is a reserved word", id),
				 errhint("head, heads, base and current cannot be used as revision ids.")));
	check_names(newtup, desc, "down_revision", id, false);
	check_names(newtup, desc, "depends_on", id, false);
	check_names(newtup, desc, "branch_labels", id, true);

	up = get_text(newtup, desc, "upgrade", &isnull);
	down = get_text(newtup, desc, "downgrade", &isnull);
	att = SPI_fnumber(desc, "transactional");
	{
		Datum		d = SPI_getbinval(newtup, desc, att, &isnull);

		transactional = isnull ? true : DatumGetBool(d);
	}
	pm_checksum(up ? up : "", down, transactional, checksum);

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		HeapTuple	oldtup = td->tg_trigtuple;
		char	   *old_id = get_text(oldtup, desc, "id", &isnull);

		old_ck = get_text(oldtup, desc, "checksum", &isnull);
		if (revision_is_applied(old_id))
		{
			if (strcmp(old_id, id) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_APPLIED_CHANGED),
						 errmsg("cannot rename applied revision \"%s\"", old_id)));
			if (!arrays_equal(oldtup, newtup, desc, "down_revision") ||
				!arrays_equal(oldtup, newtup, desc, "depends_on"))
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_APPLIED_CHANGED),
						 errmsg("cannot change the parents of applied revision \"%s\"", id),
						 errhint("Never edit applied migrations: create a new revision instead.")));
			if (old_ck && strcmp(old_ck, checksum) != 0 && !pgmig_repair_in_progress)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_APPLIED_CHANGED),
						 errmsg("revision \"%s\" is applied and its scripts cannot be changed", id),
						 errdetail("The checksum would change from %s to %s.", old_ck, checksum),
						 errhint("Never edit applied migrations: create a new revision, or record a deliberate change with pgmig.repair().")));
		}
	}

	replcol[0] = SPI_fnumber(desc, "checksum");
	repl[0] = CStringGetTextDatum(checksum);

	/*
	 * The author is whoever writes the row, whatever the row says: scripts
	 * run with no more rights than their author's (deputy.c).  A restore
	 * brings the authors back as they were.
	 */
	if (!pgmig_restoring())
	{
		replcol[1] = SPI_fnumber(desc, "loaded_by");
		repl[1] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		nrepl = 2;
	}
	newtup = heap_modify_tuple_by_cols(newtup, desc, nrepl, replcol, repl, replnull);
	return PointerGetDatum(newtup);
}

/*
 * BEFORE STATEMENT on pgmig.revision: every change of the graph takes the
 * migration lock first (transaction-scoped, re-entrant within a run), so
 * two loads never validate against snapshots that miss each other (each
 * validates after the other committed, with a fresh snapshot), and a load
 * never changes a revision while a run applies it.
 */
PG_FUNCTION_INFO_V1(pgmig_revision_lock);
Datum
pgmig_revision_lock(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_revision_lock: not called as a trigger");
	pgmig_lock_xact();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(pgmig_revision_stmt);
Datum
pgmig_revision_stmt(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	MemoryContext old;
	int			rows;
	const char *op;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_revision_stmt: not called as a trigger");

	if (tally.lxid != PGMIG_MY_LXID || tally.cid != GetCurrentCommandId(false) ||
		tally.rows == 0)
		return PointerGetDatum(NULL);	/* statement changed no row */
	rows = tally.rows;
	tally.rows = 0;
	op = tally.deleted == rows ? "delete" : "load";

	cxt = pgmig_call_begin("pgmig validate", &old);
	(void) pgmig_load_graph(true);

	if (!pgmig_repair_in_progress && !pgmig_restoring())
	{
		Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		Datum		v[5];
		char		n[6] = "     ";

		v[0] = CStringGetTextDatum(strcmp(op, "delete") == 0 ? "delete" : "load");
		if (rows == 1)
			v[1] = CStringGetTextDatum(tally.last_id);
		else
			n[1] = 'n';
		if (rows == 1 && tally.last_old[0])
			v[2] = CStringGetTextDatum(tally.last_old);
		else
			n[2] = 'n';
		if (rows == 1 && tally.last_new[0])
			v[3] = CStringGetTextDatum(tally.last_new);
		else
			n[3] = 'n';
		v[4] = CStringGetTextDatum(psprintf("%d inserted, %d replaced, %d deleted",
											tally.inserted, tally.replaced,
											tally.deleted));
		if (pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, revision, old_checksum, new_checksum, detail)"
								" VALUES ($1, $2, $3, $4, $5)",
								5, types, v, n, 0) != SPI_OK_INSERT)
			elog(ERROR, "pgmig: journal insert failed");
	}
	pgmig_call_end(cxt, old);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(pgmig_journal_guard);
Datum
pgmig_journal_guard(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("pgmig.journal is append-only"),
			 errdetail("The journal is the record of every change pgmig made; rows can be added, never changed or removed.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(pgmig_checksum);
Datum
pgmig_checksum(PG_FUNCTION_ARGS)
{
	char	   *up = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *down = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		tx = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	char		out[65];

	pm_checksum(up, down, tx, out);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---- loading ---------------------------------------------------------- */

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

static void
upsert_revision(RevValues *rv)
{
	Oid			types[8] = {TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTOID, TEXTOID, TEXTOID, BOOLOID};
	Datum		v[8];
	char		n[9] = "        ";
	int			rc;

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
	rc = SPI_execute_with_args(upsert_sql, 8, types, v, n, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pgmig: revision upsert failed: %s", SPI_result_code_string(rc));
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

	callcxt = pgmig_call_begin("pgmig load", &oldcxt);
	parse_file(file, &rf);
	pgmig_lock_xact();
	v[0] = CStringGetTextDatum(rf.id);
	if (SPI_execute_with_args("SELECT r.checksum, a.revision IS NOT NULL FROM pgmig.revision r"
							  " LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id"
							  " WHERE r.id OPERATOR(pg_catalog.=) $1",
							  1, t1, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgmig: repair lookup failed");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" does not exist", rf.id),
				 errhint("pgmig.repair() replaces a loaded revision; load a new one with pgmig.load().")));
	{
		bool		isnull;

		MemoryContextSwitchTo(callcxt);
		old_ck = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		applied = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}

	rev_values_from_file(&rv, &rf);

	pgmig_repair_in_progress = true;
	PG_TRY();
	{
		upsert_revision(&rv);
	}
	PG_FINALLY();
	{
		pgmig_repair_in_progress = false;
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
		if (pgmig_exec_as_owner("UPDATE pgmig.applied SET checksum = $1 WHERE revision OPERATOR(pg_catalog.=) $2",
								2, t2, v2, NULL, 0) != SPI_OK_UPDATE)
			elog(ERROR, "pgmig: applied update failed");
	}
	{
		Oid			t4[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		Datum		v4[4];

		v4[0] = CStringGetTextDatum(rf.id);
		v4[1] = CStringGetTextDatum(old_ck);
		v4[2] = CStringGetTextDatum(new_ck);
		v4[3] = CStringGetTextDatum(applied ? "scripts of an applied revision replaced deliberately" :
									"scripts of an unapplied revision replaced");
		if (pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, revision, old_checksum, new_checksum, detail)"
								" VALUES ('repair', $1, $2, $3, $4)",
								4, t4, v4, NULL, 0) != SPI_OK_INSERT)
			elog(ERROR, "pgmig: journal insert failed");
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
				 errmsg("revision id must not be null")));
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
					 errmsg("a merge needs at least two revisions, got %d", ne)));
		for (k = 0; k < ne; k++)
		{
			pm_set		s;
			int			br;
			int			j;

			if (nulls[k])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("revisions to merge must not contain nulls")));
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
					 errmsg("a merge needs at least two distinct revisions")));
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
	upsert_revision(&rv);
	id_out = MemoryContextStrdup(oldcxt, id);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(cstring_to_text(id_out));
}
