/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  Running one revision: fetch its script, cut it into statements with
 *	  PostgreSQL's raw parser, run them through SPI (inside a subtransaction,
 *	  subxact.c, when a lock timeout may be retried), retry on lock timeout,
 *	  record the run (bookkeeping.c).
 *
 * Policy kept here:
 *	- lock timeouts: pgmig.lock_timeout is set for the attempt only (a GUC
 *	  nest level undone after it); on "lock not available" the attempt's
 *	  subtransaction is rolled back and tried again after 100 ms, 200 ms,
 *	  ... (capped), up to pgmig.lock_retries times;
 *	- statements that cannot run inside a transaction, and transaction
 *	  control, are refused with pgmig's own message before they run;
 *	- errors carry a context line naming the revision, the statement
 *	  number and its line.
 *
 * Memory: statements are copied into a context reset after each one; the
 * caller owns the context the scripts are fetched into.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "mb/pg_wchar.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "exec.h"
#include "spi_util.h"
#include "subxact.h"

/* What the error context callback reports. */
typedef struct StepErrorContext
{
	const char *direction;
	const char *id;
	const char *message;
	const char *script;
	int			first_line;		/* file line of the script's first line */
	int			stmtno;			/* 0 while parsing */
	int			line;			/* file line of statement stmtno */
	Oid			run_as;			/* the role the script runs as (deputy.c) */
} StepErrorContext;

/* The context line of an error in a script (palloc'd). */
static char *
step_context(StepErrorContext *c)
{
	if (c->direction == NULL)
		return psprintf("pgmig.statements(), statement %d at line %d",
						c->stmtno, c->line);
	if (c->stmtno == 0)
		return psprintf("pgmig %s of revision \"%s\" (%s)",
						c->direction, c->id, c->message);
	return psprintf("pgmig %s of revision \"%s\" (%s), statement %d at line %d",
					c->direction, c->id, c->message, c->stmtno, c->line);
}

static void
step_error_callback(void *arg)
{
	errcontext("%s", step_context((StepErrorContext *) arg));
}

/*
 * Offset of the first token at or after loc: statements cut by the raw
 * parser start right after the previous semicolon, blanks and comments
 * included.
 */
static int
first_token(const char *script, int loc)
{
	int			i = loc;

	for (;;)
	{
		if (script[i] == ' ' || script[i] == '\t' || script[i] == '\n' ||
			script[i] == '\r' || script[i] == '\f' || script[i] == '\v')
			i++;
		else if (script[i] == '-' && script[i + 1] == '-')
		{
			while (script[i] && script[i] != '\n')
				i++;
		}
		else if (script[i] == '/' && script[i + 1] == '*')
		{
			int			depth = 0;

			/* block comments nest in PostgreSQL */
			do
			{
				if (script[i] == '/' && script[i + 1] == '*')
					depth++, i += 2;
				else if (script[i] == '*' && script[i + 1] == '/')
					depth--, i += 2;
				else
					i++;
			} while (script[i] && depth > 0);
		}
		else
			return i;
	}
}

/*
 * The text of one raw statement: [start, *end) from its first token to its
 * end, without the semicolon.  The last statement of a script has no
 * length (it runs to the end): its trailing blanks are dropped too.
 */
static int
statement_span(const char *script, RawStmt *rs, int *end)
{
	int			loc = rs->stmt_location < 0 ? 0 : rs->stmt_location;

	if (rs->stmt_len > 0)
		*end = loc + rs->stmt_len;
	else
	{
		*end = (int) strlen(script);
		while (*end > loc && (script[*end - 1] == ' ' || script[*end - 1] == '\t' ||
							  script[*end - 1] == '\n' || script[*end - 1] == '\r'))
			(*end)--;
	}
	return first_token(script, loc);
}

/* 1-based line of offset pos within script. */
static int
line_at(const char *script, int pos)
{
	int			line = 1;
	int			i;

	for (i = 0; i < pos && script[i]; i++)
		if (script[i] == '\n')
			line++;
	return line;
}

/* 1-based line of the first token at or after offset loc (review.c) */
int
pgmig_line_of(const char *script, int loc)
{
	return line_at(script, first_token(script, loc));
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

/*
 * Where a syntax error at pos lies: the number of the statement (1-based)
 * and the offsets [start, end) of its text.  Uses PostgreSQL's own
 * scanner, counting semicolons outside parentheses, as the grammar does;
 * a scanner error past the last good token ends the scan.
 */
static int
locate_syntax_error(const char *script, int pos, int *start, int *end)
{
	core_yy_extra_type yyextra;
	core_yyscan_t yyscanner;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc = 0;
	MemoryContext cxt = CurrentMemoryContext;
	volatile int stmtno = 1;
	volatile int depth = 0;
	volatile int s = 0;
	volatile int e = -1;

	yyscanner = scanner_init(script, &yyextra, &ScanKeywords, ScanKeywordTokens);
	PG_TRY();
	{
		for (;;)
		{
			int			tok = core_yylex(&yylval, &yylloc, yyscanner);

			if (tok == 0)
				break;
			if (tok == '(')
				depth++;
			else if (tok == ')' && depth > 0)
				depth--;
			else if (tok == ';' && depth == 0)
			{
				if (yylloc >= pos)
				{
					e = yylloc + 1;
					break;
				}
				stmtno++;
				s = yylloc + 1;
			}
		}
	}
	PG_CATCH();
	{
		/* the error being reported is enough; this one only ends the scan */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
	scanner_finish(yyscanner);
	*start = first_token(script, s);
	*end = e >= 0 ? e : (int) strlen(script);
	if (*start > pos)
		*start = pos;
	return stmtno;
}

/*
 * The raw parser's syntax errors carry a position in the whole script,
 * which the client would draw under the caller's query.  Re-throw them
 * with the position inside the failing statement (internalerrposition /
 * internalerrquery, as SPI does for the statements it parses) and with
 * the statement number and file line in the context.
 */
static List *
parse_script(StepErrorContext *ec, const char *script)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *volatile raw = NIL;

	PG_TRY();
	{
		raw = pg_parse_query(script);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			pos;
		int			start;
		int			end;
		const char *outer;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->cursorpos <= 0)
			PG_RE_THROW();
		FlushErrorState();

		/* cursorpos counts characters from 1; we need a byte offset */
		pos = 0;
		for (int k = 1; k < edata->cursorpos && script[pos]; k++)
			pos += pg_mblen(script + pos);
		ec->stmtno = locate_syntax_error(script, pos, &start, &end);
		ec->line = ec->first_line - 1 + line_at(script, start);
		edata->internalquery = pnstrdup(script + start, end - start);
		edata->internalpos = pg_mbstrlen_with_len(script + start, pos - start) + 1;
		edata->cursorpos = 0;

		/*
		 * Our context callback ran while the statement number was unknown:
		 * its line comes first; replace it, keep the callers' lines.
		 */
		outer = edata->context ? strchr(edata->context, '\n') : NULL;
		edata->context = psprintf("%s%s", step_context(ec), outer ? outer : "");
		ReThrowError(edata);
	}
	PG_END_TRY();
	return raw;
}

/* Run a script statement by statement through SPI. */
static void
run_statements(StepErrorContext *ec, const char *script)
{
	List	   *raw;
	ListCell   *lc;
	MemoryContext stmtcxt;
	MemoryContext oldcxt;

	raw = parse_script(ec, script);
	stmtcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig statement",
									ALLOCSET_SMALL_SIZES);
	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		int			end;
		int			loc = statement_span(script, rs, &end);
		const char *what;
		char	   *sql;
		int			rc;

		ec->stmtno++;
		ec->line = ec->first_line - 1 + line_at(script, loc);
		if (IsA(rs->stmt, TransactionStmt))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("transaction control statements are not allowed in revision scripts"),
					 errdetail("pgmig runs every revision inside the transaction of the call that runs it."),
					 errhint("Remove BEGIN/COMMIT/SAVEPOINT from the script.")));
		what = non_transactional_statement(rs->stmt);
		if (what != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_NON_TRANSACTIONAL),
					 errmsg("%s cannot run inside a transaction", what),
					 errdetail("Revision \"%s\" is marked transactional, but this statement must run at top level.", ec->id),
					 errhint("Mark the revision with \"-- transactional: false\" and run it with the pgmig client or CALL pgmig.migrate().")));

		oldcxt = MemoryContextSwitchTo(stmtcxt);
		sql = pnstrdup(script + loc, end - loc);
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

/* One attempt (in a subtransaction when it may be retried). */
static void
run_attempt(void *arg)
{
	StepErrorContext *ec = (StepErrorContext *) arg;
	ErrorContextCallback cb;

	cb.callback = step_error_callback;
	cb.arg = ec;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	ec->stmtno = 0;
	ec->line = 0;

	/*
	 * A script that runs as its author (deputy.c) runs with the user id
	 * switched; on error the subtransaction's abort, or without one
	 * run_without_subxact(), restores it.
	 */
	if (OidIsValid(ec->run_as) && ec->run_as != GetUserId())
	{
		Oid			save_userid;
		int			save_sec;

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(ec->run_as, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		run_statements(ec, ec->script);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	else
		run_statements(ec, ec->script);
	error_context_stack = cb.previous;
}

/* Add pgmig's advice to errors whose way out is pgmig-specific. */
static void
add_advice(ErrorData *edata)
{
	if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
		pgmig_lock_timeout > 0 && edata->hint == NULL)
		edata->hint = pstrdup("Another session holds a conflicting lock; find it in pg_locks, or raise pgmig.lock_timeout / pgmig.lock_retries.");

	/*
	 * One transaction that creates thousands of tables keeps a lock on each
	 * until it ends, and can fill the shared lock table.  Say what to do
	 * about it in pgmig's terms.
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
}

/*
 * Run one script without a subtransaction of its own: used when no lock
 * retry can happen, so an error always ends the whole call (or the
 * caller's own subtransaction: migrate(), test_roundtrip()) and nothing
 * would ever be rolled back to a savepoint here.  Skipping it matters: a
 * run of N revisions otherwise ends N subtransactions, each of which walks
 * every file and relcache entry the transaction created so far (quadratic
 * in what the run creates), and past 64 subtransactions the backend's
 * subtransaction cache overflows, which makes every other session's
 * snapshots consult pg_subtrans until the run ends.
 *
 * The error still gets pgmig's advice; what the subtransaction abort would
 * have restored (the user id a script ran as, the run flags) is put back
 * before the error goes on, and the GUC nest level is undone by whoever
 * aborts.
 */
static void
run_without_subxact(StepErrorContext *ec)
{
	MemoryContext errcxt = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	PG_TRY();
	{
		run_attempt(ec);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		SetUserIdAndSecContext(save_userid, save_sec);
		MemoryContextSwitchTo(errcxt);
		edata = CopyErrorData();
		FlushErrorState();
		add_advice(edata);
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/* What one attempt changes, and puts back after it. */
typedef struct AttemptState
{
	int			nestlevel;
	bool		in_run;
	const char *id;
	const char *script;
} AttemptState;

/*
 * Before an attempt: pgmig.lock_timeout set for the attempt only (a GUC
 * nest level), and the session marked as inside a run of this revision.
 */
static void
attempt_begin(StepErrorContext *ec, AttemptState *as)
{
	as->in_run = pgmig_in_run;
	as->id = pgmig_run_id;
	as->script = pgmig_run_script;
	as->nestlevel = NewGUCNestLevel();
	if (pgmig_lock_timeout > 0)
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%d", pgmig_lock_timeout);
		(void) set_config_option("lock_timeout", buf, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
								 false);
	}
	pgmig_in_run = true;
	pgmig_run_id = ec->id;
	pgmig_run_script = ec->script;
}

static void
attempt_end_run(const AttemptState *as)
{
	pgmig_in_run = as->in_run;
	pgmig_run_id = as->id;
	pgmig_run_script = as->script;
}

/*
 * Run one script; with pgmig.lock_timeout set, in a subtransaction that a
 * lock timeout rolls back before the script is tried again with backoff
 * (the retry policy lives here, the subtransaction protocol in
 * subxact.c).
 */
static void
run_with_lock_retries(StepErrorContext *ec)
{
	MemoryContext errcxt = CurrentMemoryContext;
	AttemptState as;
	int			attempt;

	if (pgmig_lock_timeout <= 0 || pgmig_lock_retries <= 0)
	{
		attempt_begin(ec, &as);
		PG_TRY();
		{
			run_without_subxact(ec);
		}
		PG_FINALLY();
		{
			attempt_end_run(&as);
		}
		PG_END_TRY();
		AtEOXact_GUC(true, as.nestlevel);
		return;
	}

	for (attempt = 0;; attempt++)
	{
		ErrorData  *edata;

		attempt_begin(ec, &as);
		edata = pgmig_subxact_run(run_attempt, ec, errcxt, true);
		attempt_end_run(&as);
		AtEOXact_GUC(edata == NULL, as.nestlevel);
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
		add_advice(edata);
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
 * belongs to the caller's step context.  Used by run.c, migrate() and
 * test_roundtrip().
 */
void
pgmig_run_revision(PgmigGraph *pg, PgmigBookkeeping *bk, int v, bool down, const char *target)
{
	const pm_rev *r = pm_graph_rev(pg->g, v);
	PgmigScripts s;
	StepErrorContext ec;
	TimestampTz start;
	int64		usecs;
	char	   *par = parents_text(pg, v);

	pgmig_fetch_revision_scripts(r->id, &s);
	if (down && s.downgrade == NULL)
		pgmig_refuse_irreversible(r->id, pg->message[v], false);

	ec.run_as = pgmig_script_role(r->id, s.checksum, s.loaded_by);

	/* Alembic's words; no trailing comma when there is no message */
	if (down && pg->message[v][0])
		ereport(NOTICE,
				(errmsg("Running downgrade %s -> %s, %s", r->id, par, pg->message[v])));
	else if (down)
		ereport(NOTICE,
				(errmsg("Running downgrade %s -> %s", r->id, par)));
	else if (pg->message[v][0])
		ereport(NOTICE,
				(errmsg("Running upgrade %s -> %s, %s", par, r->id, pg->message[v])));
	else
		ereport(NOTICE,
				(errmsg("Running upgrade %s -> %s", par, r->id)));

	ec.direction = down ? "downgrade" : "upgrade";
	ec.id = r->id;
	ec.message = pg->message[v];
	ec.script = down ? s.downgrade : s.upgrade;
	/* lines in the revision file when known, else in the section */
	ec.first_line = (down ? s.downgrade_line : s.upgrade_line);
	if (ec.first_line <= 0)
		ec.first_line = 1;

	start = GetCurrentTimestamp();
	run_with_lock_retries(&ec);
	usecs = GetCurrentTimestamp() - start;

	if (bk->batch != NULL)
		pgmig_batch_add(bk->batch, r->id, s.checksum, usecs);
	else
	{
		if (down)
			pgmig_record_unapplied(bk, r->id);
		else
			pgmig_record_applied(bk, r->id, s.checksum, usecs);
		pgmig_write_journal(bk, down ? "downgrade" : "upgrade", r->id, target,
							NULL, s.checksum, usecs, NULL);
	}
	((pm_rev *) r)->applied = !down;
}

void
pgmig_run_revision_cb(void *arg)
{
	PgmigRevisionRun *rr = (PgmigRevisionRun *) arg;

	pgmig_run_revision(rr->pg, rr->bk, rr->v, rr->down, rr->target);
}

/*
 * pgmig.statements(script): the statements of a script as pgmig runs
 * them: cut by PostgreSQL's raw parser, numbered from 1, each with the
 * line (in the script) of its first token and its text from that token
 * to its end (without the semicolon).  The pgmig client runs
 * non-transactional revisions statement by statement from this list, so
 * client and server number statements alike.
 */
PG_FUNCTION_INFO_V1(pgmig_statements);
Datum
pgmig_statements(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *script = text_to_cstring(PG_GETARG_TEXT_PP(0));
	StepErrorContext ec;
	ErrorContextCallback cb;
	List	   *raw;
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	memset(&ec, 0, sizeof(ec));
	ec.script = script;
	ec.first_line = 1;
	raw = parse_script(&ec, script);

	cb.callback = step_error_callback;
	cb.arg = &ec;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		int			end;
		int			loc = statement_span(script, rs, &end);
		Datum		v[3];
		bool		n[3] = {false, false, false};

		ec.stmtno++;
		ec.line = line_at(script, loc);
		v[0] = Int32GetDatum(ec.stmtno);
		v[1] = Int32GetDatum(ec.line);
		v[2] = PointerGetDatum(cstring_to_text_with_len(script + loc, end - loc));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	error_context_stack = cb.previous;
	return (Datum) 0;
}
