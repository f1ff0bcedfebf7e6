/*-------------------------------------------------------------------------
 *
 * runner.c
 *	  Runs revisions: upgrade(), downgrade(), stamp(), step(), record_step().
 *
 * How one call goes:
 *	1. take the migration lock (transaction-scoped; see pgmig.c);
 *	2. read the graph once, without script bodies (graphload.c);
 *	3. resolve the target and plan the steps (src/core);
 *	4. refuse the whole call before running anything if a step is
 *	   non-transactional or irreversible;
 *	5. for each step: fetch that one script, run it statement by statement
 *	   inside its own subtransaction, note it for pgmig.applied and
 *	   pgmig.journal, then reset the per-step memory context;
 *	6. write the noted rows in one statement per table (PgmigBatch) and
 *	   bump pgmig.graph_version once.
 *
 * Exported for migrate.c and roundtrip.c: pgmig_run_one (one revision with
 * immediate bookkeeping, since those callers commit or roll back per
 * revision), pgmig_prepare_bookkeeping / pgmig_free_bookkeeping (plans are
 * not saved, so a caller that commits prepares them again), pgmig_journal.
 *
 * Transactions: upgrade()/downgrade() are plain functions, so the caller's
 * transaction makes the whole call atomic; the per-revision subtransaction
 * is what lets a lock timeout be retried without losing the revisions
 * already run, and what keeps the original error intact.
 *
 * Memory: a work context per call (graph, plan) and a step context that is
 * reset after every revision, so a 100,000-step run holds one script at a
 * time.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "core/target.h"

typedef enum RunCommand
{
	RUN_UPGRADE,
	RUN_DOWNGRADE,
	RUN_STAMP
} RunCommand;

/* What the error context callback reports. */
typedef struct StepErrorContext
{
	const char *direction;
	const char *id;
	const char *message;
	const char *script;
	int			stmtno;			/* 0 while parsing */
	int			line;
} StepErrorContext;

/* Prepared bookkeeping statements for one call (see pgmig.h). */
typedef PgmigBookkeeping Bookkeeping;

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

	if (p == NULL)
		elog(ERROR, "pgmig: could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return p;
}

/*
 * Prepare the bookkeeping statements in SPI's procedure context.  migrate()
 * calls this once per transaction and frees the plans with
 * pgmig_free_bookkeeping(), since unsaved plans are not revalidated across
 * commits.
 */
void
pgmig_prepare_bookkeeping(Bookkeeping *bk)
{
	Oid			t1[1] = {TEXTOID};
	Oid			t3[3] = {TEXTOID, TEXTOID, INTERVALOID};
	Oid			t7[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID, TEXTOID};

	bk->batch = NULL;
	bk->get_script = prepare(
							 "SELECT upgrade, downgrade, checksum FROM pgmig.revision"
							 " WHERE id OPERATOR(pg_catalog.=) $1", 1, t1);
	bk->ins_applied = prepare(
							  "INSERT INTO pgmig.applied (revision, checksum, duration)"
							  " VALUES ($1, $2, $3)", 3, t3);
	bk->del_applied = prepare(
							  "DELETE FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) $1",
							  1, t1);
	bk->ins_journal = prepare(
							  "INSERT INTO pgmig.journal"
							  " (action, revision, target, old_checksum, new_checksum, duration, detail)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, t7);
}

void
pgmig_free_bookkeeping(Bookkeeping *bk)
{
	SPI_freeplan(bk->get_script);
	SPI_freeplan(bk->ins_applied);
	SPI_freeplan(bk->del_applied);
	SPI_freeplan(bk->ins_journal);
}

static Datum
interval_from_usecs(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = usecs;
	return IntervalPGetDatum(iv);
}

static void
exec_plan(SPIPlanPtr plan, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_plan(plan, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "pgmig: bookkeeping statement failed: %s",
			 SPI_result_code_string(rc));
}

static Datum
text_or_null(const char *s, char *nullflag)
{
	*nullflag = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

void
pgmig_journal(Bookkeeping *bk, const char *action, const char *rev,
			  const char *target, const char *old_ck, const char *new_ck,
			  int64 usecs, const char *detail)
{
	Datum		v[7];
	char		n[8] = "       ";

	v[0] = CStringGetTextDatum(action);
	v[1] = text_or_null(rev, &n[1]);
	v[2] = text_or_null(target, &n[2]);
	v[3] = text_or_null(old_ck, &n[3]);
	v[4] = text_or_null(new_ck, &n[4]);
	v[5] = usecs >= 0 ? interval_from_usecs(usecs) : (Datum) 0;
	n[5] = usecs >= 0 ? ' ' : 'n';
	v[6] = text_or_null(detail, &n[6]);
	exec_plan(bk->ins_journal, v, n, SPI_OK_INSERT);
}

static void
record_applied(Bookkeeping *bk, const char *id, const char *checksum, int64 usecs)
{
	Datum		v[3];
	char		n[4] = "   ";

	v[0] = CStringGetTextDatum(id);
	v[1] = CStringGetTextDatum(checksum);
	v[2] = usecs >= 0 ? interval_from_usecs(usecs) : (Datum) 0;
	n[2] = usecs >= 0 ? ' ' : 'n';
	exec_plan(bk->ins_applied, v, n, SPI_OK_INSERT);
}

static void
record_unapplied(Bookkeeping *bk, const char *id)
{
	Datum		v[1];

	v[0] = CStringGetTextDatum(id);
	exec_plan(bk->del_applied, v, NULL, SPI_OK_DELETE);
}

/*
 * upgrade()/downgrade() record their steps at the end of the run, in one
 * statement for pgmig.applied and one for pgmig.journal, instead of two
 * statements per revision: the rows are the same (each keeps its own
 * time and duration) and they commit or roll back with the run anyway.
 */
typedef struct PgmigBatch
{
	MemoryContext cxt;
	bool		down;
	const char *target;
	int			n;
	int			cap;
	Datum	   *ids;
	Datum	   *checksums;
	Datum	   *durations;
	Datum	   *at;
} PgmigBatch;

static PgmigBatch *
batch_create(MemoryContext cxt, bool down, const char *target)
{
	PgmigBatch *b = MemoryContextAllocZero(cxt, sizeof(PgmigBatch));

	b->cxt = cxt;
	b->down = down;
	b->target = MemoryContextStrdup(cxt, target);
	b->cap = 64;
	b->ids = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->checksums = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->durations = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->at = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	return b;
}

static void
batch_add(PgmigBatch *b, const char *id, const char *checksum, int64 usecs)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->ids = repalloc(b->ids, sizeof(Datum) * b->cap);
		b->checksums = repalloc(b->checksums, sizeof(Datum) * b->cap);
		b->durations = repalloc(b->durations, sizeof(Datum) * b->cap);
		b->at = repalloc(b->at, sizeof(Datum) * b->cap);
	}
	b->ids[b->n] = CStringGetTextDatum(id);
	b->checksums[b->n] = CStringGetTextDatum(checksum);
	b->durations[b->n] = interval_from_usecs(usecs);
	b->at[b->n] = TimestampTzGetDatum(GetCurrentTimestamp());
	b->n++;
	MemoryContextSwitchTo(old);
}

static void
batch_flush(PgmigBatch *b)
{
	Oid			types[6] = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTOID, TEXTOID};
	Datum		v[6];
	int			rc;

	if (b->n == 0)
		return;
	v[0] = PointerGetDatum(construct_array(b->ids, b->n, TEXTOID, -1, false, TYPALIGN_INT));
	v[1] = PointerGetDatum(construct_array(b->checksums, b->n, TEXTOID, -1, false, TYPALIGN_INT));
	v[2] = PointerGetDatum(construct_array(b->at, b->n, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[3] = PointerGetDatum(construct_array(b->durations, b->n, INTERVALOID, sizeof(Interval),
										   false, TYPALIGN_DOUBLE));
	v[4] = CStringGetTextDatum(b->down ? "downgrade" : "upgrade");
	v[5] = CStringGetTextDatum(b->target);

	if (b->down)
		rc = SPI_execute_with_args("DELETE FROM pgmig.applied"
								   " WHERE revision OPERATOR(pg_catalog.=) ANY ($1)",
								   1, types, v, NULL, false, 0);
	else
		rc = SPI_execute_with_args("INSERT INTO pgmig.applied (revision, checksum, applied_at, duration)"
								   " SELECT u.r, u.c, u.a, u.d"
								   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS u(r, c, a, d, o)"
								   "  ORDER BY u.o",
								   4, types, v, NULL, false, 0);
	if (rc != (b->down ? SPI_OK_DELETE : SPI_OK_INSERT) || SPI_processed != (uint64) b->n)
		elog(ERROR, "pgmig: recording %d steps in pgmig.applied failed", b->n);
	rc = SPI_execute_with_args("INSERT INTO pgmig.journal (at, action, revision, target, new_checksum, duration)"
							   " SELECT u.a, $5, u.r, $6, u.c, u.d"
							   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS u(r, c, a, d, o)"
							   "  ORDER BY u.o",
							   6, types, v, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pgmig: recording %d steps in pgmig.journal failed", b->n);
	b->n = 0;
}

/* Fetch one revision's scripts into the current memory context. */
static void
fetch_script(Bookkeeping *bk, const char *id, char **up, char **down,
			 char **checksum)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		v[1];
	bool		isnull;
	Datum		d;
	int			rc;

	v[0] = CStringGetTextDatum(id);
	rc = SPI_execute_plan(bk->get_script, v, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" disappeared during the run", id)));
	MemoryContextSwitchTo(cxt);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*up = isnull ? pstrdup("") : TextDatumGetCString(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	*down = isnull ? NULL : TextDatumGetCString(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	*checksum = isnull ? pstrdup("") : TextDatumGetCString(d);
	SPI_freetuptable(SPI_tuptable);
}

static void
step_error_callback(void *arg)
{
	StepErrorContext *c = (StepErrorContext *) arg;

	if (c->stmtno == 0)
		errcontext("pgmig %s of revision \"%s\" (%s)",
				   c->direction, c->id, c->message);
	else
		errcontext("pgmig %s of revision \"%s\" (%s), statement %d at line %d",
				   c->direction, c->id, c->message, c->stmtno, c->line);
}

/* 1-based line of the first token at or after offset loc. */
static int
line_of(const char *script, int loc)
{
	int			line = 1;
	int			i;
	bool		skipping = true;

	for (i = 0; script[i] && (i < loc || skipping); i++)
	{
		if (i >= loc)
		{
			/* skip blanks and -- comments that precede the statement */
			if (script[i] == '-' && script[i + 1] == '-')
			{
				while (script[i] && script[i] != '\n')
					i++;
				if (!script[i])
					break;
			}
			else if (!(script[i] == ' ' || script[i] == '\t' ||
					   script[i] == '\n' || script[i] == '\r'))
				break;
		}
		if (script[i] == '\n')
			line++;
	}
	return line;
}

/*
 * Statements that can never run inside a transaction: say so up front,
 * with the way out, instead of PostgreSQL's "cannot be executed from a
 * function".
 */
static const char *
non_transactional_statement(Node *stmt)
{
	if (IsA(stmt, IndexStmt) && ((IndexStmt *) stmt)->concurrent)
		return "CREATE INDEX CONCURRENTLY";
	if (IsA(stmt, VacuumStmt))
		return ((VacuumStmt *) stmt)->is_vacuumcmd ? "VACUUM" : NULL;
	if (IsA(stmt, DropStmt) && ((DropStmt *) stmt)->concurrent)
		return "DROP INDEX CONCURRENTLY";
	if (IsA(stmt, CreatedbStmt) || IsA(stmt, DropdbStmt))
		return "CREATE/DROP DATABASE";
	if (IsA(stmt, AlterSystemStmt))
		return "ALTER SYSTEM";
	return NULL;
}

/* Run a script statement by statement through SPI. */
static void
run_statements(StepErrorContext *ec, const char *script)
{
	List	   *raw;
	ListCell   *lc;
	MemoryContext stmtcxt;
	MemoryContext oldcxt;

	raw = pg_parse_query(script);
	stmtcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig statement",
									ALLOCSET_SMALL_SIZES);
	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		int			loc = rs->stmt_location < 0 ? 0 : rs->stmt_location;
		int			len = rs->stmt_len;
		const char *what;
		char	   *sql;
		int			rc;

		ec->stmtno++;
		ec->line = line_of(script, loc);
		if (IsA(rs->stmt, TransactionStmt))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("transaction control statements are not allowed in revision scripts"),
					 errdetail("pgmig runs every revision inside its own subtransaction."),
					 errhint("Remove BEGIN/COMMIT/SAVEPOINT from the script.")));
		what = non_transactional_statement(rs->stmt);
		if (what != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_NON_TRANSACTIONAL),
					 errmsg("%s cannot run inside a transaction", what),
					 errdetail("Revision \"%s\" is marked transactional, but this statement must run at top level.", ec->id),
					 errhint("Mark the revision with \"-- transactional: false\" and run it with the pgmig client or CALL pgmig.migrate().")));

		oldcxt = MemoryContextSwitchTo(stmtcxt);
		sql = len > 0 ? pnstrdup(script + loc, len) : pstrdup(script + loc);
		rc = SPI_execute(sql, false, 0);
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("statement not allowed in a revision script: %s",
							SPI_result_code_string(rc)),
					 errhint("COPY FROM STDIN and transaction control cannot run inside the server; use INSERT, or COPY from a server file.")));
		SPI_freetuptable(SPI_tuptable);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(stmtcxt);
	}
	MemoryContextDelete(stmtcxt);
}

/*
 * Run one script in a subtransaction; retry on lock timeout.
 */
static void
run_in_subxact(StepErrorContext *ec, const char *script)
{
	volatile int attempt;
	MemoryContext errcxt = CurrentMemoryContext;

	for (attempt = 0;; attempt++)
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		ResourceOwner oldowner = CurrentResourceOwner;
		ErrorData  *volatile edata = NULL;
		ErrorContextCallback cb;
		int			nestlevel = NewGUCNestLevel();

		if (pgmig_lock_timeout > 0)
		{
			char		buf[32];

			snprintf(buf, sizeof(buf), "%d", pgmig_lock_timeout);
			(void) set_config_option("lock_timeout", buf, PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
									 false);
		}

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcxt);

		cb.callback = step_error_callback;
		cb.arg = ec;
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		ec->stmtno = 0;
		ec->line = 0;
		pgmig_in_run = true;
		PG_TRY();
		{
			run_statements(ec, script);
			pgmig_in_run = false;
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		PG_CATCH();
		{
			pgmig_in_run = false;
			MemoryContextSwitchTo(errcxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		PG_END_TRY();
		/* PG_END_TRY restores the stack as it was at PG_TRY: pop ours now */
		error_context_stack = cb.previous;

		AtEOXact_GUC(edata == NULL, nestlevel);
		if (edata == NULL)
			return;

		if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
			pgmig_lock_timeout > 0 && attempt < pgmig_lock_retries)
		{
			long		delay_ms = 100L << (attempt < 10 ? attempt : 10);

			ereport(NOTICE,
					(errmsg("revision \"%s\" could not get a lock within %d ms; retrying in %ld ms (retry %d of %d)",
							ec->id, pgmig_lock_timeout, delay_ms, attempt + 1,
							pgmig_lock_retries)));
			FreeErrorData(edata);
			while (delay_ms > 0)
			{
				CHECK_FOR_INTERRUPTS();
				pg_usleep(Min(delay_ms, 100) * 1000L);
				delay_ms -= 100;
			}
			continue;
		}
		if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
			pgmig_lock_timeout > 0 && edata->hint == NULL)
			edata->hint = pstrdup("Another session holds a conflicting lock; find it in pg_locks, or raise pgmig.lock_timeout / pgmig.lock_retries.");
		/*
		 * One transaction that creates thousands of tables keeps a lock on
		 * each until it ends, and can fill the shared lock table.  Say what
		 * to do about it in pgmig's terms.
		 */
		if (edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY &&
			edata->message && strstr(edata->message, "shared memory") != NULL)
		{
			edata->detail = psprintf("A single upgrade() holds every lock its revisions take until it commits; the lock table holds about max_locks_per_transaction (%d) x (max_connections + max_prepared_transactions) locks.",
									 max_locks_per_xact);
			edata->hint = pstrdup("Run the migration with CALL pgmig.migrate(), which commits after every revision, or upgrade in smaller steps (upgrade('REV')), or raise max_locks_per_transaction (needs a restart).");
		}
		if (edata->sqlerrcode == ERRCODE_ACTIVE_SQL_TRANSACTION &&
			edata->hint == NULL)
			edata->hint = pstrdup("Mark the revision with \"-- transactional: false\" and run it with the pgmig client or CALL pgmig.migrate().");
		ReThrowError(edata);
	}
}

/* "a, b" of a revision's parents, for Alembic-style messages. */
static char *
parents_text(PgmigGraph *pg, int v)
{
	const pm_rev *r = pm_graph_rev(pg->g, v);

	return pgmig_join_ids(pg, r->parents, r->nparents_ok, ", ");
}

/*
 * Run one revision up or down, with bookkeeping.  Memory allocated here
 * belongs to the caller's step context.  Also used by migrate() and
 * test_roundtrip().
 */
void
pgmig_run_one(PgmigGraph *pg, Bookkeeping *bk, int v, bool down, const char *target)
{
	const pm_rev *r = pm_graph_rev(pg->g, v);
	char	   *up;
	char	   *dn;
	char	   *checksum;
	StepErrorContext ec;
	TimestampTz start;
	int64		usecs;
	char	   *par = parents_text(pg, v);

	fetch_script(bk, r->id, &up, &dn, &checksum);
	if (down && dn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_IRREVERSIBLE),
				 errmsg("revision \"%s\" (%s) cannot be downgraded", r->id, pg->message[v]),
				 errdetail("It has no \"-- migrate:down\" section."),
				 errhint("Add a downgrade with pgmig.repair(), or record the state without running scripts using pgmig.stamp().")));

	if (down)
		ereport(NOTICE,
				(errmsg("Running downgrade %s -> %s, %s", r->id, par, pg->message[v])));
	else
		ereport(NOTICE,
				(errmsg("Running upgrade %s -> %s, %s", par, r->id, pg->message[v])));

	ec.direction = down ? "downgrade" : "upgrade";
	ec.id = r->id;
	ec.message = pg->message[v];
	ec.script = down ? dn : up;

	start = GetCurrentTimestamp();
	run_in_subxact(&ec, ec.script);
	usecs = GetCurrentTimestamp() - start;

	if (bk->batch != NULL)
		batch_add(bk->batch, r->id, checksum, usecs);
	else
	{
		if (down)
			record_unapplied(bk, r->id);
		else
			record_applied(bk, r->id, checksum, usecs);
		pgmig_journal(bk, down ? "downgrade" : "upgrade", r->id, target, NULL,
					  checksum, usecs, NULL);
	}
	((pm_rev *) r)->applied = !down;
}

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

/* The steps of one run, each in a memory context reset afterwards. */
static void
run_steps(RunCommand cmd, PgmigGraph *pg, Bookkeeping *bk, pm_set *steps,
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
			char	   *up,
					   *dn,
					   *ck;

			if (r->applied)
				record_unapplied(bk, r->id);
			else
			{
				MemoryContextSwitchTo(stepcxt);
				fetch_script(bk, r->id, &up, &dn, &ck);
				record_applied(bk, r->id, ck, -1);
			}
			pgmig_journal(bk, "stamp", r->id, target, NULL, NULL, -1,
						  r->applied ? "unapplied" : "applied");
		}
		else
			pgmig_run_one(pg, bk, v, cmd == RUN_DOWNGRADE, target);
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(stepcxt);
	}
	MemoryContextDelete(stepcxt);
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
	Bookkeeping bk;
	int			k;
	int			count;
	const char *fname = cmd == RUN_UPGRADE ? "upgrade" :
	cmd == RUN_DOWNGRADE ? "downgrade" : "stamp";

	callcxt = pgmig_call_begin("pgmig run", &oldcxt);

	pgmig_lock_xact();
	pg = pgmig_load_graph(true);
	pgmig_resolve_target(pg, target, &targets, &branch_root);

	if (cmd == RUN_UPGRADE)
		pm_plan_upgrade(pg->g, &targets, &steps);
	else if (cmd == RUN_DOWNGRADE)
		pm_plan_downgrade(pg->g, &targets, branch_root, &steps);
	else
		pm_plan_stamp(pg->g, &targets, branch_root, &steps);

	pgmig_prepare_bookkeeping(&bk);
	MemoryContextSwitchTo(callcxt);
	if (cmd != RUN_STAMP)
		precheck_steps(pg, &steps, cmd == RUN_DOWNGRADE, fname);
	if (cmd == RUN_DOWNGRADE)
	{
		for (k = 0; k < steps.n; k++)
		{
			Datum		v[1];
			bool		isnull;

			/* refuse irreversible revisions before running any downgrade */
			v[0] = CStringGetTextDatum(pm_graph_rev(pg->g, steps.items[k])->id);
			if (SPI_execute_plan(bk.get_script, v, NULL, true, 1) == SPI_OK_SELECT &&
				SPI_processed == 1)
			{
				(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
				if (isnull)
					ereport(ERROR,
							(errcode(ERRCODE_PGMIG_IRREVERSIBLE),
							 errmsg("revision \"%s\" (%s) cannot be downgraded",
									pm_graph_rev(pg->g, steps.items[k])->id,
									pg->message[steps.items[k]]),
							 errdetail("It has no \"-- migrate:down\" section; nothing was run."),
							 errhint("Add a downgrade with pgmig.repair(), or record the state without running scripts using pgmig.stamp().")));
			}
			SPI_freetuptable(SPI_tuptable);
			MemoryContextSwitchTo(callcxt);
		}
	}

	/*
	 * Bookkeeping rows change pgmig.applied once per step; the graph
	 * version is bumped once for the whole run instead (graphload.c).
	 */
	if (cmd != RUN_STAMP)
		bk.batch = batch_create(callcxt, cmd == RUN_DOWNGRADE, target);
	pgmig_bookkeeping = true;
	PG_TRY();
	{
		run_steps(cmd, pg, &bk, &steps, target, callcxt);
		if (bk.batch != NULL)
			batch_flush(bk.batch);
	}
	PG_FINALLY();
	{
		pgmig_bookkeeping = false;
	}
	PG_END_TRY();
	if (steps.n > 0)
	{
		pgmig_graph_bump();
		/* the schema this run leaves is the expected one (drift.c) */
		(void) pgmig_record_schema_state(cmd == RUN_UPGRADE ? "upgrade" :
										 cmd == RUN_DOWNGRADE ? "downgrade" : "stamp",
										 target);
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
single_step(const char *target, bool down, bool run, bool has_duration,
			int64 usecs)
{
	MemoryContext callcxt;
	MemoryContext oldcxt;
	PgmigGraph *pg;
	pm_set		set;
	int			branch_root;
	Bookkeeping bk;
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
				 errmsg("target \"%s\" does not name exactly one revision", target)));
	v = set.items[0];
	r = pm_graph_rev(pg->g, v);

	if (!down)
	{
		if (r->applied)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_STATE),
					 errmsg("revision \"%s\" is already applied", r->id)));
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
					 errmsg("revision \"%s\" is not applied", r->id)));
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
	MemoryContextSwitchTo(callcxt);
	if (run)
	{
		pm_set		one;

		one.n = 1;
		one.items = &v;
		precheck_steps(pg, &one, down, "step");
		pgmig_run_one(pg, &bk, v, down, target);
	}
	else
	{
		char	   *up,
				   *dn,
				   *ck;

		fetch_script(&bk, r->id, &up, &dn, &ck);
		if (down)
			record_unapplied(&bk, r->id);
		else
			record_applied(&bk, r->id, ck, has_duration ? usecs : -1);
		pgmig_journal(&bk, down ? "downgrade" : "upgrade", r->id, target, NULL,
					  ck, has_duration ? usecs : -1,
					  "run by the client as top-level statements");
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
	PG_RETURN_INT32(single_step(text_to_cstring(PG_GETARG_TEXT_PP(0)),
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
				 errmsg("revision must not be null")));
	if (!PG_ARGISNULL(2))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);

		usecs = iv->time + (int64) iv->day * USECS_PER_DAY;
		has = true;
	}
	PG_RETURN_INT32(single_step(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1),
								false, has, usecs));
}
