/*-------------------------------------------------------------------------
 *
 * run.c
 *	  The entry points that run revisions in the caller's transaction:
 *	  upgrade(), downgrade(), stamp(), step(), record_step().
 *
 * How one call goes:
 *	1. take the migration lock (transaction-scoped; see pgmig.c);
 *	2. read the graph once, without script bodies (graphload.c);
 *	3. resolve the target and plan the revisions to run (src/core);
 *	4. refuse the whole call before running anything if one of them is
 *	   non-transactional or irreversible;
 *	5. for each: run it (exec.c: fetch that one script, run it statement
 *	   by statement; in a subtransaction when lock retries are on), note it for
 *	   pgmig.applied and pgmig.journal, then reset the per-revision memory
 *	   context;
 *	6. write the noted rows in one statement per table (bookkeeping.c) and
 *	   bump pgmig.graph_version once.
 *
 * Transactions: these are plain functions, so the caller's transaction
 * makes the whole call atomic; the per-revision subtransaction is what
 * lets a lock timeout be retried without losing the revisions already
 * run, and what keeps the original error intact.
 *
 * Memory: a work context per call (graph, plan) and a per-revision
 * context that is reset after every revision, so a 100,000-revision run
 * holds one script at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"
#include "graphstore.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "core/target.h"

#include "exec.h"
#include "spi_util.h"

typedef enum RunCommand
{
	RUN_UPGRADE,
	RUN_DOWNGRADE,
	RUN_STAMP
} RunCommand;

/* Refuse the whole run before touching anything. */
static void
precheck_steps(PgmigGraph *pg, pm_set *steps, bool down, const char *fname)
{
	int			k;

	for (k = 0; k < steps->n; k++)
	{
		int			v = steps->items[k];

		if (!pg->transactional[v])
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_NON_TRANSACTIONAL),
					 errmsg("revision \"%s\" (%s) is non-transactional and cannot run inside %s()",
							pm_graph_rev(pg->g, v)->id, pg->message[v], fname),
					 errdetail("Its scripts must run as top-level statements (for example CREATE INDEX CONCURRENTLY), which no function can do."),
					 errhint("Run it with the pgmig client (pgmig %s), or with CALL pgmig.migrate().",
							 down ? "downgrade" : "upgrade")));
	}
	(void) down;
}

/* The planned revisions of one run, each in a memory context reset afterwards. */
static void
run_planned_revisions(RunCommand cmd, PgmigGraph *pg, PgmigBookkeeping *bk, pm_set *steps,
		  const char *target, MemoryContext callcxt)
{
	MemoryContext stepcxt;
	int			k;

	stepcxt = AllocSetContextCreate(callcxt, "pgmig step", ALLOCSET_DEFAULT_SIZES);
	for (k = 0; k < steps->n; k++)
	{
		int			v = steps->items[k];
		const pm_rev *r = pm_graph_rev(pg->g, v);

		MemoryContextSwitchTo(stepcxt);
		CHECK_FOR_INTERRUPTS();
		if (cmd == RUN_STAMP)
		{
			PgmigScripts s;

			if (r->applied)
				pgmig_record_unapplied(bk, r->id);
			else
			{
				pgmig_fetch_revision_scripts(r->id, &s);
				pgmig_record_applied(bk, r->id, s.checksum, -1);
			}
			pgmig_write_journal(bk, "stamp", r->id, target, NULL, NULL, -1,
						  r->applied ? "unapplied" : "applied");
		}
		else
			pgmig_run_revision(pg, bk, v, cmd == RUN_DOWNGRADE, target);
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(stepcxt);
	}
	MemoryContextDelete(stepcxt);
}

/*
 * Is an upgrade to "head" or "heads" a no-op?  Answered from the stored
 * image in place and the applied set read from pgmig.applied
 * (graphstore.c), without building the graph: what every deploy runs, in
 * a new backend.  1: nothing is pending; 0: something is; -1: the image
 * cannot say (another target, no usable image, several heads for "head":
 * that error comes from the tables).
 */
static int
upgrade_noop_in_place(const char *target)
{
	PgmigImageView iv;
	pm_set		heads;
	bool		one = strcmp(target, "head") == 0;
	MemoryContext viewcxt;
	MemoryContext oldcxt;
	int			noop = -1;

	if (!one && strcmp(target, "heads") != 0)
		return -1;
	/* the view goes before the run starts (at 100,000 revisions, 5 MB) */
	viewcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig no-op test",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(viewcxt);
	if (pgmig_image_view_read(&iv, PGMIG_VIEW_APPLIED_ALL) && iv.v.n > 0)
	{
		pm_image_view_heads(&iv.v, &heads);
		if (one && heads.n != 1)
			noop = -1;
		/* every revision applied: what a deploy with nothing new finds */
		else if (iv.napplied == iv.v.n)
			noop = 1;
		else
			noop = pm_image_view_all_applied(&iv.v, &heads, iv.applied) ? 1 : 0;
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(viewcxt);
	return noop;
}

static int
run_command(RunCommand cmd, const char *target)
{
	MemoryContext callcxt;
	MemoryContext oldcxt;
	PgmigGraph *pg;
	pm_set		targets;
	pm_set		steps;
	int			branch_root;
	PgmigBookkeeping bk;
	int			k;
	int			count;
	int			noop;
	bool		save_bookkeeping;
	const char *fname = cmd == RUN_UPGRADE ? "upgrade" :
	cmd == RUN_DOWNGRADE ? "downgrade" : "stamp";

	callcxt = pgmig_call_begin("pgmig run", &oldcxt);

	pgmig_lock_xact();

	/*
	 * An upgrade first asks the stored graph image and the applied set
	 * (graphstore.c): in place for "head" and "heads", else from the graph
	 * the image gives.  When nothing is pending, that is the answer and no
	 * revision row is read.  Otherwise, and for every other command, the
	 * plan comes from the tables.
	 */
	noop = cmd == RUN_UPGRADE ? upgrade_noop_in_place(target) : -1;
	if (noop == 1)
	{
		ereport(NOTICE,
				(errmsg("nothing to upgrade: target \"%s\" is already applied",
						target)));
		pgmig_call_end(callcxt, oldcxt);
		return 0;
	}
	pg = cmd == RUN_UPGRADE && noop < 0 ? pgmig_graph_from_image() : NULL;
	if (pg != NULL)
	{
		pm_error	err;

		/* any error (unknown target, several heads) comes from the tables */
		if (!pm_resolve(pg->g, target, &targets, &branch_root, &err))
			pg = NULL;
		else
		{
			pm_plan_upgrade(pg->g, &targets, &steps);
			if (steps.n > 0)
				pg = NULL;
		}
	}
	if (pg == NULL)
	{
		pg = pgmig_load_graph(true);
		pgmig_resolve_target(pg, target, &targets, &branch_root);
	}

	if (cmd == RUN_UPGRADE)
		pm_plan_upgrade(pg->g, &targets, &steps);
	else if (cmd == RUN_DOWNGRADE)
		pm_plan_downgrade(pg->g, &targets, branch_root, &steps);
	else
		pm_plan_stamp(pg->g, &targets, branch_root, &steps);

	pgmig_prepare_bookkeeping(&bk);
	if (cmd != RUN_STAMP)
		precheck_steps(pg, &steps, cmd == RUN_DOWNGRADE, fname);
	if (cmd == RUN_DOWNGRADE)
	{
		/* refuse irreversible revisions before running any downgrade */
		for (k = 0; k < steps.n; k++)
		{
			int			v = steps.items[k];
			PgmigScripts s;

			pgmig_fetch_revision_scripts(pm_graph_rev(pg->g, v)->id, &s);
			if (s.downgrade == NULL)
				pgmig_refuse_irreversible(pm_graph_rev(pg->g, v)->id,
										  pg->message[v], true);
		}
	}

	/*
	 * Bookkeeping rows change pgmig.applied once per step; the graph
	 * version is bumped once for the whole run instead (graphload.c).
	 */
	if (cmd != RUN_STAMP)
		bk.batch = pgmig_batch_create(callcxt, cmd == RUN_DOWNGRADE, target);
	save_bookkeeping = pgmig_bookkeeping;
	pgmig_bookkeeping = true;
	PG_TRY();
	{
		run_planned_revisions(cmd, pg, &bk, &steps, target, callcxt);
		if (bk.batch != NULL)
			pgmig_batch_flush(bk.batch);
	}
	PG_FINALLY();
	{
		pgmig_bookkeeping = save_bookkeeping;
	}
	PG_END_TRY();
	if (steps.n > 0)
	{
		pgmig_graph_bump();
		/* the schema this run leaves is the expected one (drift.c) */
		(void) pgmig_record_schema_state(fname, target);
	}

	count = steps.n;
	if (count == 0)
		ereport(NOTICE,
				(errmsg(cmd == RUN_UPGRADE ? "nothing to upgrade: target \"%s\" is already applied" :
						cmd == RUN_DOWNGRADE ? "nothing to downgrade: no applied revision lies above target \"%s\"" :
						"nothing to stamp: the applied set already matches target \"%s\"",
						target)));

	pgmig_call_end(callcxt, oldcxt);
	return count;
}

PG_FUNCTION_INFO_V1(pgmig_upgrade);
Datum
pgmig_upgrade(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(run_command(RUN_UPGRADE, text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

PG_FUNCTION_INFO_V1(pgmig_downgrade);
Datum
pgmig_downgrade(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(run_command(RUN_DOWNGRADE, text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

PG_FUNCTION_INFO_V1(pgmig_stamp);
Datum
pgmig_stamp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(run_command(RUN_STAMP, text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/*
 * step() and record_step(): one named revision, for the client and for
 * migrate().  The revision's parents (or, going down, its children) must
 * already be in the right state.
 */
static int
run_or_record_one(const char *target, bool down, bool run, bool has_duration,
			int64 usecs)
{
	MemoryContext callcxt;
	MemoryContext oldcxt;
	PgmigGraph *pg;
	pm_set		set;
	int			branch_root;
	PgmigBookkeeping bk;
	int			v;
	const pm_rev *r;
	int			k;

	callcxt = pgmig_call_begin("pgmig step", &oldcxt);

	pgmig_lock_xact();
	pg = pgmig_load_graph(true);
	pgmig_resolve_target(pg, target, &set, &branch_root);
	if (set.n != 1 || branch_root >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_AMBIGUOUS_TARGET),
				 errmsg("target \"%s\" does not name exactly one revision", target),
				 errhint("pgmig.step() runs one revision: give its id; pgmig.plan() lists what a target would run.")));
	v = set.items[0];
	r = pm_graph_rev(pg->g, v);

	if (!down)
	{
		if (r->applied)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_STATE),
					 errmsg("revision \"%s\" is already applied", r->id),
					 errhint("pgmig.current() lists what is applied; step a pending revision instead.")));
		for (k = 0; k < r->nparents_ok + r->ndeps_ok; k++)
		{
			int			p = k < r->nparents_ok ? r->parents[k] : r->deps[k - r->nparents_ok];

			if (!pm_graph_rev(pg->g, p)->applied)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_STATE),
						 errmsg("revision \"%s\" cannot be applied before \"%s\"",
								r->id, pm_graph_rev(pg->g, p)->id),
						 errhint("Apply it first, or use pgmig.upgrade('%s').", r->id)));
		}
	}
	else
	{
		if (!r->applied)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_STATE),
					 errmsg("revision \"%s\" is not applied", r->id),
					 errhint("pgmig.current() lists what is applied; only an applied revision can be stepped down.")));
		for (k = 0; k < r->nchildren + r->ndependents; k++)
		{
			int			c = k < r->nchildren ? r->children[k] : r->dependents[k - r->nchildren];

			if (pm_graph_rev(pg->g, c)->applied)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_STATE),
						 errmsg("revision \"%s\" cannot be unapplied while \"%s\" is applied",
								r->id, pm_graph_rev(pg->g, c)->id),
						 errhint("Downgrade \"%s\" first.", pm_graph_rev(pg->g, c)->id)));
		}
	}

	pgmig_prepare_bookkeeping(&bk);
	if (run)
	{
		pm_set		one;

		one.n = 1;
		one.items = &v;
		precheck_steps(pg, &one, down, "step");
		pgmig_run_revision(pg, &bk, v, down, target);
	}
	else
	{
		PgmigScripts s;

		pgmig_fetch_revision_scripts(r->id, &s);
		if (down)
			pgmig_record_unapplied(&bk, r->id);
		else
			pgmig_record_applied(&bk, r->id, s.checksum,
								 has_duration ? usecs : -1);
		pgmig_write_journal(&bk, down ? "downgrade" : "upgrade", r->id,
							target, NULL, s.checksum,
							has_duration ? usecs : -1,
							"run by the client as top-level statements");
		pgmig_clear_statement_progress(r->id);
	}
	/* the schema this step leaves is the expected one (drift.c) */
	(void) pgmig_record_schema_state(run ? "step" : "record_step", target);
	pgmig_call_end(callcxt, oldcxt);
	return 1;
}

PG_FUNCTION_INFO_V1(pgmig_step);
Datum
pgmig_step(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(run_or_record_one(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								PG_GETARG_BOOL(1), true, false, 0));
}

PG_FUNCTION_INFO_V1(pgmig_record_step);
Datum
pgmig_record_step(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		has = false;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("revision must not be null"),
				 errhint("Give the id of the revision to step, e.g. pgmig.step('a1b2c3').")));
	if (!PG_ARGISNULL(2))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);

		/* a month counts as DAYS_PER_MONTH days, as interval comparison does */
		usecs = iv->time + ((int64) iv->month * DAYS_PER_MONTH + iv->day) * USECS_PER_DAY;
		has = true;
	}
	PG_RETURN_INT32(run_or_record_one(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1),
								false, has, usecs));
}
