/*-------------------------------------------------------------------------
 *
 * revision_triggers.c
 *	  Keeping pgmig.revision honest: its integrity triggers, the journal's
 *	  append-only trigger, and pgmig.checksum().
 *
 * Triggers on pgmig.revision:
 *	- BEFORE ROW: validates names, refuses an id inserted twice by one
 *	  statement with a message naming it, computes the checksum (the value a user
 *	  supplies is ignored: the server is the authority), refuses changing,
 *	  renaming or deleting an applied revision ("never edit applied
 *	  migrations"; pgmig.repair() is the deliberate way).
 *	- BEFORE TRUNCATE: refused while anything is applied.
 *	- AFTER STATEMENT: validates the whole graph once per statement (so a
 *	  COPY of 100,000 rows is validated once, and rows may arrive in any
 *	  order within it) and writes one journal row.
 *
 * The SQL loaders (load, repair, add, new_revision, merge) are in
 * loading.c; they go through these triggers like any other INSERT.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"
#include "graphstore.h"

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
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "core/revfile.h"
#include "core/target.h"

#include "spi_util.h"

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

/*
 * Ids inserted by the current statement.  Two rows with one id in one
 * statement (a COPY of a file that repeats a line, two files with one id
 * in one load) would otherwise end in the primary key's bare "duplicate
 * key" error, which names neither the revision nor what to do.  The set
 * lives in the transaction's context and is replaced when the statement
 * (command id) changes; it only ever turns a certain failure into a
 * clearer one, never refuses a statement the key would accept.
 */
static struct
{
	LocalTransactionId lxid;
	CommandId	cid;
	HTAB	   *ids;
} seen;

static void
note_inserted_id(const char *id)
{
	LocalTransactionId lxid = PGMIG_MY_LXID;
	CommandId	cid = GetCurrentCommandId(false);
	char		key[PM_MAX_ID_LEN + 1];
	bool		found;

	if (seen.ids == NULL || seen.lxid != lxid || seen.cid != cid)
	{
		HASHCTL		ctl;

		/* same transaction, new statement: the old set is still allocated */
		if (seen.ids != NULL && seen.lxid == lxid)
			hash_destroy(seen.ids);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = PM_MAX_ID_LEN + 1;
		ctl.entrysize = PM_MAX_ID_LEN + 1;
		ctl.hcxt = TopTransactionContext;
		seen.ids = hash_create("pgmig ids of one statement", 256, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		seen.lxid = lxid;
		seen.cid = cid;
	}
	memset(key, 0, sizeof(key));
	strlcpy(key, id, sizeof(key));
	hash_search(seen.ids, key, HASH_ENTER, &found);
	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("revision \"%s\" appears twice in one load", id),
				 errdetail("One statement (a COPY, an INSERT, or one pgmig load) inserts two rows with this id."),
				 errhint("Give every revision its own id: remove or rename one of the two (two lines of one COPY file, or two revision files with this id).")));
}

static bool
revision_is_applied(const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	bool		applied;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	v[0] = CStringGetTextDatum(id);
	/*
	 * Not read-only: a fresh snapshot, so a run that committed while this
	 * statement waited for the migration lock (revision_lock) is seen.
	 */
	applied = pgmig_spi_exec("SELECT 1 FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) $1",
							 1, types, v, NULL, false, 1, SPI_OK_SELECT) > 0;
	SPI_finish();
	return applied;
}

static char *
get_text(HeapTuple tup, TupleDesc desc, const char *col, bool *isnull)
{
	int			att = SPI_fnumber(desc, col);
	Datum		d;

	if (att <= 0)
		elog(ERROR, "column \"%s\" missing from pgmig.revision", col);
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
	int			j;

	if (isnull)
		return;
	arr = DatumGetArrayTypeP(d);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of revision \"%s\" must be a one-dimensional array", col, id),
				 errhint("Write a flat list such as '{r1,r2}'.")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (k = 0; k < n; k++)
	{
		char	   *s;

		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of revision \"%s\" contains a null", col, id),
					 errhint("Remove the NULL element; use an empty array for none.")));
		s = TextDatumGetCString(elems[k]);
		for (j = 0; j < k; j++)
			if (!nulls[j] && strcmp(TextDatumGetCString(elems[j]), s) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("%s of revision \"%s\" names \"%s\" twice", col, id, s),
						 errhint("Name each %s once.", is_label ? "label" : "revision")));
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
			elog(ERROR, "SPI_connect failed");
		any = pgmig_spi_exec("SELECT 1 FROM pgmig.applied LIMIT 1", 0, NULL,
							 NULL, NULL, false, 1, SPI_OK_SELECT) > 0;
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
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		note_inserted_id(id);
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
						 errmsg("cannot rename applied revision \"%s\"", old_id),
						 errhint("Never edit applied migrations: downgrade it first, or keep its id.")));
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
	/* lock the image row first: the graph is then read after any other writer committed */
	pgmig_graph_image_lock();
	pgmig_graph_image_write(pgmig_load_graph(true));

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
		(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, revision, old_checksum, new_checksum, detail)"
								   " VALUES ($1, $2, $3, $4, $5)",
								   5, types, v, n, SPI_OK_INSERT);
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
			 errdetail("The journal is the record of every change pgmig made; rows can be added, never changed or removed."),
			 errhint("To correct a record, add a row that says so; old rows stay.")));
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
