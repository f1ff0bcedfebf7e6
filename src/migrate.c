/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  CALL pgmig.migrate(target, downgrade): upgrade or downgrade with a
 *	  COMMIT after every revision, so a long run keeps its progress.
 *
 * How one call goes:
 *	1. refuse unless called by a non-atomic CALL outside a transaction
 *	   block (only then can a C procedure commit);
 *	2. take the SESSION-level migration lock (a transaction-scoped one would
 *	   be released by the first commit, letting a second run in); it is
 *	   released on every way out, errors included, by PG_FINALLY;
 *	3. resolve the target once, to revision ids, so that relative targets
 *	   such as "+2" keep meaning what they meant when the call started;
 *	4. loop: re-read the graph, plan, take the first step, run it inside an
 *	   internal subtransaction (subxact.c, exec.c), commit.  When a
 *	   step fails, roll back its subtransaction, write a journal row with
 *	   action 'failed', commit that, and re-raise the original error: the
 *	   database stays at the last good revision and the journal says so.
 *	   Calling migrate() again continues from there.
 *
 * Non-transactional revisions are refused (PM007) when the loop reaches
 * them, after the revisions before them have been committed.  Running
 * them here would need a background worker executing one statement at
 * top level while this backend waits holding no snapshot; that can hang
 * for good if anything in this backend still holds a snapshot or a lock
 * the worker's CREATE INDEX CONCURRENTLY waits for (the deadlock detector
 * cannot see a wait on a message queue).  The pgmig client runs them as
 * real top-level statements instead.
 *
 * Memory: everything that must survive a commit (the target ids, the
 * error being re-raised) lives in a context under TopMemoryContext that
 * PG_FINALLY deletes; per-revision work uses a child context reset at each
 * iteration.  Nothing is kept from SPI results across a commit.
 *
 * Snapshots: after each commit the next SPI query runs on a new portal
 * snapshot; we create it explicitly (EnsurePortalSnapshotExists) because
 * the graph is read through a read-only cursor, which uses the active
 * snapshot as is.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "core/target.h"

#include "exec.h"
#include "spi_util.h"
#include "subxact.h"

typedef struct MigrateRun
{
	MemoryContext runcxt;		/* survives commits; deleted at the end */
	MemoryContext itercxt;		/* child of runcxt, reset per revision */
	const char *target;
	bool		down;
	char	  **target_ids;		/* the target, resolved at the start */
	int			ntargets;
	char	   *branch_root_id; /* for LABEL@base, or NULL */
	int			done;			/* revisions committed by this call */
} MigrateRun;

static const char *invalid_index_query =
"SELECT pg_catalog.quote_ident(n.nspname::text) OPERATOR(pg_catalog.||) '.'"
"       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname::text)"
"  FROM pg_catalog.pg_index i"
"  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid"
"  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
" WHERE NOT i.indisvalid"
"   AND n.nspname OPERATOR(pg_catalog.!~)"
"       '^(pg_catalog|information_schema|pg_toast|pg_temp_[0-9]+|pg_toast_temp_[0-9]+)$'"
" ORDER BY 1";

/*
 * Invalid indexes outside the system schemas, as qualified names in the
 * current memory context.  An index with indisvalid = false is what a
 * failed CREATE INDEX CONCURRENTLY leaves behind (or one still being
 * built, which cannot be pgmig's own while we hold the migration lock).
 */
static int
invalid_indexes(char ***names)
{
	int			n;

	*names = pgmig_spi_column(invalid_index_query, 0, NULL, NULL, NULL, &n);
	return n;
}

/* " Drop ... first: DROP INDEX CONCURRENTLY a; DROP ..." or "" */
static char *
invalid_index_hint(void)
{
	char	  **names;
	int			n = invalid_indexes(&names);
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	if (n == 0)
		return buf.data;
	appendStringInfoString(&buf, n == 1 ?
						   " An invalid index left by a failed CREATE INDEX CONCURRENTLY must be dropped first:" :
						   " Invalid indexes left by a failed CREATE INDEX CONCURRENTLY must be dropped first:");
	for (k = 0; k < n; k++)
		appendStringInfo(&buf, " DROP INDEX CONCURRENTLY %s;", names[k]);
	return buf.data;
}

static void
warn_invalid_indexes(void)
{
	char	  **names;
	int			n = invalid_indexes(&names);
	int			k;

	for (k = 0; k < n; k++)
		ereport(WARNING,
				(errmsg("index %s is invalid", names[k]),
				 errdetail("A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind; it slows down writes and is never used by queries."),
				 errhint("Drop it with: DROP INDEX CONCURRENTLY %s;", names[k])));
}

/* Commit the current transaction and start the next with a fresh snapshot. */
static void
commit_and_continue(MigrateRun *run)
{
	MemoryContextSwitchTo(run->runcxt);
	SPI_commit();
	SPI_start_transaction();
	MemoryContextSwitchTo(run->runcxt);
}

/* Resolve the target once, to ids that survive commits. */
static void
resolve_target_once(MigrateRun *run, PgmigGraph *pg)
{
	pm_set		set;
	int			branch_root;
	int			k;
	MemoryContext oldcxt;

	pgmig_resolve_target(pg, run->target, &set, &branch_root);
	oldcxt = MemoryContextSwitchTo(run->runcxt);
	run->ntargets = set.n;
	run->target_ids = palloc(sizeof(char *) * (set.n + 1));
	for (k = 0; k < set.n; k++)
		run->target_ids[k] = pstrdup(pm_graph_rev(pg->g, set.items[k])->id);
	run->branch_root_id = branch_root >= 0 ?
		pstrdup(pm_graph_rev(pg->g, branch_root)->id) : NULL;
	MemoryContextSwitchTo(oldcxt);
}

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return x < y ? -1 : x > y;
}

/* Map the saved target ids onto a freshly read graph. */
static void
targets_in_graph(MigrateRun *run, PgmigGraph *pg, pm_set *set, int *branch_root)
{
	int			k;

	set->n = 0;
	set->items = palloc(sizeof(int) * (run->ntargets + 1));
	for (k = 0; k < run->ntargets; k++)
	{
		int			v = pm_graph_find(pg->g, run->target_ids[k]);

		if (v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
					 errmsg("revision \"%s\" disappeared during the run", run->target_ids[k]),
					 errdetail("Another session deleted it between two of this run's transactions; what was committed stays committed."),
					 errhint("Check pgmig.status() and run CALL pgmig.migrate() again with a target that exists.")));
		set->items[set->n++] = v;
	}
	qsort(set->items, set->n, sizeof(int), cmp_int);
	*branch_root = -1;
	if (run->branch_root_id)
	{
		*branch_root = pm_graph_find(pg->g, run->branch_root_id);
		if (*branch_root < 0)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
					 errmsg("revision \"%s\" disappeared during the run", run->branch_root_id),
					 errdetail("Another session deleted it between two of this run's transactions; what was committed stays committed."),
					 errhint("Check pgmig.status() and run CALL pgmig.migrate() again with a target that exists.")));
	}
}

static void
refuse_non_transactional(MigrateRun *run, PgmigGraph *pg, int v)
{
	const char *id = pm_graph_rev(pg->g, v)->id;

	/* query the catalog before ereport(), not inside its arguments */
	char	   *hint = invalid_index_hint();

	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_NON_TRANSACTIONAL),
			 errmsg("revision \"%s\" (%s) is non-transactional and cannot run inside pgmig.migrate()",
					id, pg->message[v]),
			 errdetail("Its statements must run as top-level statements (for example CREATE INDEX CONCURRENTLY). Revisions committed by this call before it: %d.",
					   run->done),
			 errhint("Run it with the pgmig client (pgmig %s %s), then CALL pgmig.migrate() again for the rest.%s",
					 run->down ? "downgrade" : "upgrade", run->target,
					 hint)));
}

/*
 * Run revision v in an internal subtransaction and commit.  On failure,
 * record it in the journal, commit that, and re-raise the original error.
 */
static void
migrate_one_and_commit(MigrateRun *run, PgmigGraph *pg, int v)
{
	MemoryContext stepcxt = CurrentMemoryContext;
	ErrorData  *edata;
	PgmigBookkeeping bk;
	PgmigRevisionRun rr;
	TimestampTz start;
	const char *id = pm_graph_rev(pg->g, v)->id;
	char	   *detail;
	char	   *hint;

	pgmig_prepare_bookkeeping(&bk);
	rr.pg = pg;
	rr.bk = &bk;
	rr.v = v;
	rr.down = run->down;
	rr.target = run->target;

	start = GetCurrentTimestamp();
	/* keep the error where the commit below cannot free it */
	edata = pgmig_subxact_run(pgmig_run_revision_cb, &rr, run->runcxt, true);
	if (edata == NULL)
	{
		pgmig_free_bookkeeping(&bk);
		commit_and_continue(run);
		run->done++;
		return;
	}

	/* the revision is rolled back; the journal must still say it failed */
	detail = psprintf("%s: %s (SQLSTATE %s)",
					  run->down ? "downgrade" : "upgrade", edata->message,
					  unpack_sql_state(edata->sqlerrcode));
	pgmig_write_journal(&bk, "failed", id, run->target, NULL, NULL,
						GetCurrentTimestamp() - start, detail);
	/* the schema the committed revisions left is the expected one */
	if (run->done > 0)
		(void) pgmig_record_schema_state("migrate", run->target);
	hint = invalid_index_hint();
	if (hint[0] != '\0')
	{
		MemoryContextSwitchTo(run->runcxt);
		edata->hint = edata->hint ? psprintf("%s%s", edata->hint, hint) :
			pstrdup(hint + 1);
		MemoryContextSwitchTo(stepcxt);
	}
	pgmig_free_bookkeeping(&bk);
	commit_and_continue(run);

	ereport(NOTICE,
			(errmsg("pgmig.migrate() stopped at revision \"%s\" after committing %d revision(s); the failure is recorded in pgmig.journal",
					id, run->done)));
	ReThrowError(edata);
}

/* One iteration: returns false when there is nothing left to do. */
static bool
migrate_next(MigrateRun *run, bool first)
{
	PgmigGraph *pg;
	pm_set		targets;
	pm_set		steps;
	int			branch_root;
	int			v;

	MemoryContextSwitchTo(run->itercxt);
	MemoryContextReset(run->itercxt);
	CHECK_FOR_INTERRUPTS();
	EnsurePortalSnapshotExists();

	pg = pgmig_load_graph(true);
	if (first)
		resolve_target_once(run, pg);
	targets_in_graph(run, pg, &targets, &branch_root);
	if (run->down)
		pm_plan_downgrade(pg->g, &targets, branch_root, &steps);
	else
		pm_plan_upgrade(pg->g, &targets, &steps);
	if (steps.n == 0)
		return false;

	v = steps.items[0];
	if (!pg->transactional[v])
		refuse_non_transactional(run, pg, v);
	migrate_one_and_commit(run, pg, v);
	return true;
}

PG_FUNCTION_INFO_V1(pgmig_migrate);
Datum
pgmig_migrate(PG_FUNCTION_ARGS)
{
	MigrateRun	run;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool locked = false;
	bool		nonatomic;

	nonatomic = fcinfo->context &&
		IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;

	/* fail at once on BEGIN; CALL ..., not at the first commit */
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("CALL pgmig.migrate() cannot run inside a transaction block"),
				 errdetail("It commits after every revision."),
				 errhint("Run CALL pgmig.migrate() on its own, outside BEGIN ... COMMIT, or use SELECT pgmig.upgrade() inside the transaction.")));
	PreventInTransactionBlock(true, "CALL pgmig.migrate()");
	if (!nonatomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("pgmig.migrate() must be invoked with CALL outside a transaction block"),
				 errdetail("It commits after every revision, which is impossible inside a function or a transaction block."),
				 errhint("Use CALL pgmig.migrate() at top level, or pgmig.upgrade() to run everything in one transaction.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be null"),
				 errhint("Omit the argument for 'head', or name a target such as 'head', 'base' or a revision id.")));

	memset(&run, 0, sizeof(run));
	run.runcxt = AllocSetContextCreate(TopMemoryContext, "pgmig migrate",
									   ALLOCSET_DEFAULT_SIZES);
	run.itercxt = AllocSetContextCreate(run.runcxt, "pgmig migrate step",
										ALLOCSET_DEFAULT_SIZES);
	run.target = MemoryContextStrdup(run.runcxt,
									 text_to_cstring(PG_GETARG_TEXT_PP(0)));
	run.down = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	PG_TRY();
	{
		MemoryContextSwitchTo(run.runcxt);
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect_ext failed");

		if (!pgmig_lock_session(false))
		{
			/*
			 * Wait without a snapshot: the run we wait for may be building
			 * an index concurrently, which waits for our snapshot to go.
			 */
			commit_and_continue(&run);
			ereport(NOTICE,
					(errmsg("waiting for another pgmig run to finish")));
			(void) pgmig_lock_session(true);
		}
		locked = true;
		/* see everything committed before we got the lock */
		commit_and_continue(&run);

		EnsurePortalSnapshotExists();
		MemoryContextSwitchTo(run.itercxt);
		warn_invalid_indexes();

		if (migrate_next(&run, true))
			while (migrate_next(&run, false))
				;
		/* the schema this run leaves is the expected one (drift.c) */
		if (run.done > 0)
		{
			(void) pgmig_record_schema_state("migrate", run.target);
			commit_and_continue(&run);
		}
		MemoryContextSwitchTo(run.runcxt);
		if (run.done == 0)
			ereport(NOTICE,
					(errmsg(run.down ?
							"nothing to downgrade: no applied revision lies above target \"%s\"" :
							"nothing to upgrade: target \"%s\" is already applied",
							run.target)));
		SPI_finish();
	}
	PG_FINALLY();
	{
		/* a session lock outlives errors unless released here */
		if (locked)
			(void) pgmig_unlock_session();
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(run.runcxt);
	}
	PG_END_TRY();

	PG_RETURN_VOID();
}
