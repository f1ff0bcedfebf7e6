/*-------------------------------------------------------------------------
 *
 * roundtrip.c
 *	  pgmig.test_roundtrip(target): prove that every pending revision's
 *	  downgrade undoes its upgrade.
 *
 * For each pending revision, in upgrade order: take a schema snapshot
 * (pgmig.snapshot(), drift.c), upgrade, downgrade, compare the schema with
 * the snapshot object by object (pgmig._snapshot_diff(): the same
 * comparison as pgmig.drift()), upgrade again (so the next revision starts
 * from the right state).  One result row per revision; the difference
 * names the objects: "missing after downgrade: ID, ...; extra after
 * downgrade: ID, ...; changed after downgrade: ID (keys), ...", ids as in
 * doc/snapshot-format.md.  What a snapshot leaves out (owners, column
 * order beyond position, ...) is not compared.
 *
 * Transactions: the migration lock is taken for the caller's transaction;
 * all the work runs inside one internal subtransaction that is always
 * rolled back, so nothing of it survives the call (applied set and journal
 * included).  Each script runs in its own nested subtransaction so that a
 * failing downgrade is reported as a row instead of ending the call.
 *
 * Memory: result rows are kept in the call's context and handed to the
 * tuplestore only after the rollback, because a tuplestore that spilled to
 * disk inside the subtransaction would lose its file with it.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"
#include "core/target.h"

#include "exec.h"
#include "spi_util.h"
#include "subxact.h"

typedef struct RoundtripRow
{
	char	   *revision;
	int			ok;				/* 1, 0, or -1 for NULL */
	char	   *difference;
} RoundtripRow;

/*
 * The snapshot comparison in words, or NULL when equal: "missing after
 * downgrade: ID, ...; extra after downgrade: ID, ...; changed after
 * downgrade: ID (keys), ...".
 */
static char *
describe(List *changes)
{
	StringInfoData missing;
	StringInfoData extra;
	StringInfoData changed;
	StringInfoData all;
	ListCell   *lc;

	if (changes == NIL)
		return NULL;
	initStringInfo(&missing);
	initStringInfo(&extra);
	initStringInfo(&changed);
	foreach(lc, changes)
	{
		PgmigChange *c = lfirst(lc);

		if (strcmp(c->change, "removed") == 0)
			appendStringInfo(&missing, "%s%s", missing.len ? ", " : "", c->object);
		else if (strcmp(c->change, "added") == 0)
			appendStringInfo(&extra, "%s%s", extra.len ? ", " : "", c->object);
		else
			appendStringInfo(&changed, "%s%s (%s)", changed.len ? ", " : "", c->object, c->keys);
	}
	initStringInfo(&all);
	if (missing.len)
		appendStringInfo(&all, "missing after downgrade: %s", missing.data);
	if (extra.len)
		appendStringInfo(&all, "%sextra after downgrade: %s", all.len ? "; " : "", extra.data);
	if (changed.len)
		appendStringInfo(&all, "%schanged after downgrade: %s", all.len ? "; " : "", changed.data);
	return all.data;
}

/*
 * Run one revision with bookkeeping in a nested subtransaction; NULL on
 * success, else the error message (in cxt).  pgmig_run_revision changes
 * its in-memory applied flag only on success.
 */
static char *
try_revision(PgmigGraph *pg, PgmigBookkeeping *bk, int v, bool down,
			 const char *target, MemoryContext cxt)
{
	PgmigRevisionRun rr;
	ErrorData  *edata;

	rr.pg = pg;
	rr.bk = bk;
	rr.v = v;
	rr.down = down;
	rr.target = target;
	edata = pgmig_subxact_run(pgmig_run_revision_cb, &rr, cxt, true);
	return edata ? edata->message : NULL;
}

static List *
add_row(List *rows, MemoryContext cxt, const char *id, int ok, const char *diff)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	RoundtripRow *r = palloc(sizeof(RoundtripRow));

	r->revision = pstrdup(id);
	r->ok = ok;
	r->difference = diff ? pstrdup(diff) : NULL;
	rows = lappend(rows, r);
	MemoryContextSwitchTo(oldcxt);
	return rows;
}

/* The whole test; runs inside the subtransaction that is rolled back. */
static List *
roundtrip_all(const char *target, MemoryContext callcxt)
{
	MemoryContext stepcxt;
	PgmigGraph *pg;
	pm_set		targets;
	pm_set		steps;
	int			branch_root;
	PgmigBookkeeping bk;
	List	   *rows = NIL;
	int			k;

	pg = pgmig_load_graph(true);
	pgmig_resolve_target(pg, target, &targets, &branch_root);
	pm_plan_upgrade(pg->g, &targets, &steps);
	pgmig_prepare_bookkeeping(&bk);

	stepcxt = AllocSetContextCreate(callcxt, "pgmig roundtrip step",
									ALLOCSET_DEFAULT_SIZES);
	for (k = 0; k < steps.n; k++)
	{
		int			v = steps.items[k];
		const char *id = pm_graph_rev(pg->g, v)->id;
		Datum		before;
		char	   *err;
		char	   *diff;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(stepcxt);
		if (!pg->transactional[v])
		{
			rows = add_row(rows, callcxt, id, -1,
						   "not tested: non-transactional revisions cannot run inside a transaction, so neither it nor the revisions after it were tested");
			break;
		}

		before = pgmig_snapshot_now("test_roundtrip()");
		err = try_revision(pg, &bk, v, false, target, stepcxt);
		if (err)
		{
			rows = add_row(rows, callcxt, id, 0,
						   psprintf("upgrade failed: %s", err));
			break;
		}
		if (pg->irreversible[v])
		{
			rows = add_row(rows, callcxt, id, -1,
						   "not tested: irreversible (it has no downgrade script)");
			MemoryContextSwitchTo(callcxt);
			MemoryContextReset(stepcxt);
			continue;
		}
		err = try_revision(pg, &bk, v, true, target, stepcxt);
		if (err)
		{
			/* its subtransaction was rolled back: still upgraded */
			rows = add_row(rows, callcxt, id, 0,
						   psprintf("downgrade failed: %s", err));
			MemoryContextSwitchTo(callcxt);
			MemoryContextReset(stepcxt);
			continue;
		}
		diff = describe(pgmig_snapshot_changes(before, "test_roundtrip()"));
		err = try_revision(pg, &bk, v, false, target, stepcxt);
		if (err)
		{
			rows = add_row(rows, callcxt, id, 0,
						   diff ? psprintf("%s; upgrade after downgrade failed: %s", diff, err) :
						   psprintf("upgrade after downgrade failed: %s", err));
			break;
		}
		rows = add_row(rows, callcxt, id, diff == NULL, diff);
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(stepcxt);
	}
	MemoryContextSwitchTo(callcxt);
	if (steps.n == 0)
		ereport(NOTICE,
				(errmsg("nothing to test: target \"%s\" is already applied", target)));
	return rows;
}

typedef struct RoundtripArgs
{
	const char *target;
	MemoryContext callcxt;
	List	   *rows;
} RoundtripArgs;

static void
roundtrip_all_cb(void *arg)
{
	RoundtripArgs *ra = (RoundtripArgs *) arg;

	ra->rows = roundtrip_all(ra->target, ra->callcxt);
}

PG_FUNCTION_INFO_V1(pgmig_test_roundtrip);
Datum
pgmig_test_roundtrip(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext callcxt;
	MemoryContext oldcxt;
	RoundtripArgs ra;
	ErrorData  *edata;
	List	   *rows;
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	callcxt = pgmig_call_begin("pgmig roundtrip", &oldcxt);

	/* held by the caller's transaction, not by the subtransaction below */
	pgmig_lock_xact();

	/*
	 * Everything below is undone by rolling this subtransaction back, on
	 * success and on error alike (keep = false).
	 */
	ra.target = target;
	ra.callcxt = callcxt;
	ra.rows = NIL;
	edata = pgmig_subxact_run(roundtrip_all_cb, &ra, callcxt, false);
	if (edata != NULL)
		ReThrowError(edata);
	rows = ra.rows;

	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	foreach(lc, rows)
	{
		RoundtripRow *r = (RoundtripRow *) lfirst(lc);
		Datum		v[3];
		bool		n[3] = {false, false, false};

		v[0] = CStringGetTextDatum(r->revision);
		v[1] = BoolGetDatum(r->ok == 1);
		n[1] = r->ok < 0;
		v[2] = r->difference ? CStringGetTextDatum(r->difference) : (Datum) 0;
		n[2] = r->difference == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}
