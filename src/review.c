/*-------------------------------------------------------------------------
 *
 * review.c
 *	  pgmig.review(target): what an upgrade to target would do to this
 *	  database, found without running any of it.
 *
 * How one call goes: plan the upgrade exactly as upgrade() would
 * (pgmig_plan_command); fetch each pending revision's upgrade script, one
 * at a time (pgmig_fetch_revision_scripts), and split it with the
 * server's own parser (pg_parse_query: the raw parser, no catalog access, no locks); hand each
 * statement to review_rules.c, which predicts locks, rewrites and scans
 * and runs the data checks of review_data.c; then apply the per-revision
 * rules of the seed (DDL and DML together, no downgrade) and finally look
 * for live sessions the run would queue behind.
 *
 * Rules kept:
 *	- Nothing is executed and nothing is written.  The only queries on user
 *	  tables are the data checks and row counts of review_data.c, each run
 *	  read-only in a subtransaction that is rolled back, so that even their
 *	  ACCESS SHARE locks are gone when review() returns.
 *	- It runs with the caller's privileges (the function is not SECURITY
 *	  DEFINER): a data check the caller may not run fails the review, and
 *	  pg_stat_activity shows only what the caller may see.
 *	- It takes no migration lock: it never blocks a run.
 *	- A finding is silenced by "-- pgmig:ignore RULE" in the statement's
 *	  text or on the comment lines just before it.
 *
 * Memory: the call's context holds the findings' state (created relations,
 * locks of the run); each revision's script lives in a step context reset
 * after the revision.
 *
 *-------------------------------------------------------------------------
 */
#include "review.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "spi_util.h"

int			pgmig_review_warn_rows = 10000;
int			pgmig_review_error_rows = 1000000;
int			pgmig_review_warn_mb = 100;
int			pgmig_review_error_mb = 10240;
int			pgmig_max_rewrite_size = -1;

/* Called from _PG_init before the pgmig prefix is reserved. */
void
review_init_gucs(void)
{
	DefineCustomIntVariable("pgmig.review_warn_rows",
							"Rows from which review() reports a blocking rewrite or scan as a warning.",
							"Smaller tables only get an info row.",
							&pgmig_review_warn_rows,
							10000, 0, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.review_error_rows",
							"Rows from which review() reports a blocking rewrite or scan as an error.",
							NULL,
							&pgmig_review_error_rows,
							1000000, 0, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.review_warn_size",
							"Size (table, indexes and TOAST) from which review() reports a blocking rewrite or scan as a warning.",
							NULL,
							&pgmig_review_warn_mb,
							100, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.review_error_size",
							"Size (table, indexes and TOAST) from which review() reports a blocking rewrite or scan as an error.",
							NULL,
							&pgmig_review_error_mb,
							10240, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.max_rewrite_size",
							"Largest relation a pgmig run may rewrite (ALTER TABLE ... TYPE, SET LOGGED, ...), unless its revision says \"-- pgmig:allow rewrite\".",
							"-1 (the default) allows any size.",
							&pgmig_max_rewrite_size,
							-1, -1, INT_MAX, PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
}

/* "warning", "error", or NULL when the relation is too small to matter. */
const char *
review_size_severity(ReviewRel *rel)
{
	int64		mb = INT64CONST(1024) * 1024;

	if (rel == NULL || rel->created)
		return NULL;
	if (rel->rows >= pgmig_review_error_rows ||
		rel->bytes >= pgmig_review_error_mb * mb)
		return "error";
	if (rel->rows >= pgmig_review_warn_rows ||
		rel->bytes >= pgmig_review_warn_mb * mb)
		return "warning";
	return NULL;
}

/* "public.t (100000 rows, 5 MB)" */
char *
review_size_text(ReviewRel *rel)
{
	char	   *size;

	if (rel->created)
		return psprintf("%s (created earlier in this run)", rel->name);
	size = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(rel->bytes))));
	return psprintf("%s (" INT64_FORMAT " rows, %s)", rel->name, rel->rows, size);
}

/*
 * Is rule acknowledged in the statement's text?  "-- pgmig:ignore a, b"
 * anywhere from the end of the previous statement to the end of this one.
 */
static bool
ignored(ReviewState *st, const char *rule)
{
	const char *p = st->stmt_text;
	size_t		rl = strlen(rule);

	while (p && (p = strstr(p, "pgmig:ignore")) != NULL)
	{
		p += strlen("pgmig:ignore");
		while (*p && *p != '\n')
		{
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (strncmp(p, rule, rl) == 0 &&
				(p[rl] == '\0' || p[rl] == ' ' || p[rl] == ',' ||
				 p[rl] == '\t' || p[rl] == '\n' || p[rl] == '\r'))
				return true;
			while (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != '\n')
				p++;
		}
	}
	return false;
}

/* Add one row to the result. */
void
review_emit(ReviewState *st, const char *severity, const char *rule,
			ReviewRel *rel, LOCKMODE mode, const char *message,
			const char *hint)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) st->fcinfo->resultinfo;
	Datum		v[11];
	bool		n[11] = {0};

	if (st->stmt_text != NULL && ignored(st, rule))
		return;
	v[0] = st->revision ? CStringGetTextDatum(st->revision) : (Datum) 0;
	n[0] = st->revision == NULL;
	v[1] = Int32GetDatum(st->stmtno);
	n[1] = st->stmtno == 0;
	v[2] = Int32GetDatum(st->line);
	n[2] = st->line == 0;
	v[3] = CStringGetTextDatum(severity);
	v[4] = CStringGetTextDatum(rule);
	if (rel != NULL)
	{
		v[5] = CStringGetTextDatum(rel->name);
		v[7] = Int64GetDatum(rel->rows);
		v[8] = Int64GetDatum(rel->bytes);
		n[7] = n[8] = rel->created;
	}
	else
		n[5] = n[7] = n[8] = true;
	if (mode != NoLock)
		v[6] = CStringGetTextDatum(review_lock_name(mode));
	else
		n[6] = true;
	v[9] = CStringGetTextDatum(message);
	v[10] = hint ? CStringGetTextDatum(hint) : (Datum) 0;
	n[10] = hint == NULL;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	st->nfindings++;
}

/* The seed's per-revision rules, once all its statements are seen. */
static void
review_revision_end(ReviewState *st, bool has_downgrade)
{
	st->stmtno = 0;
	st->stmt_text = NULL;
	if (st->rev_ddl && st->rev_dml)
	{
		st->line = st->rev_dml_line;
		review_emit(st, "warning", "ddl-with-dml", NULL, NoLock,
					"this revision changes the schema and migrates data in the same transaction",
					"Keep the schema change in its own revision and backfill in a later revision of its own, in batches (expand, migrate, contract), so a long data migration never holds the schema change's locks.");
	}
	st->line = 0;
	if (!has_downgrade)
		review_emit(st, "warning", "no-downgrade", NULL, NoLock,
					"this revision has no \"-- migrate:down\" section: it cannot be rolled back with pgmig downgrade",
					"Add a \"-- migrate:down\" section that undoes the upgrade, or document why the change cannot be undone.");
}

static void
review_one_revision(ReviewState *st, const char *id, bool transactional)
{
	PgmigScripts s;
	char	   *up;
	bool		has_down;
	List	   *raw;
	ListCell   *lc;

	pgmig_fetch_revision_scripts(id, &s);
	up = s.upgrade;
	has_down = s.downgrade != NULL;

	st->revision = id;
	st->transactional = transactional;
	st->rev_ddl = st->rev_dml = false;
	st->created_here = NIL;
	/* a non-transactional revision commits: the locks before it are gone */
	if (!transactional)
		st->held_ae = NIL;
	st->stmtno = 0;

	raw = pg_parse_query(up);
	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		int			loc = rs->stmt_location < 0 ? 0 : rs->stmt_location;

		CHECK_FOR_INTERRUPTS();
		st->stmtno++;
		st->line = pgmig_line_of(up, loc);
		st->stmt_text = rs->stmt_len > 0 ? pnstrdup(up + loc, rs->stmt_len) : up + loc;
		review_statement(st, rs, up);
	}
	review_revision_end(st, has_down);
	if (!transactional)
		st->held_ae = NIL;
}

PG_FUNCTION_INFO_V1(pgmig_review);
Datum
pgmig_review(PG_FUNCTION_ARGS)
{
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext callcxt;
	MemoryContext oldcxt;
	MemoryContext stepcxt;
	PgmigGraph *pg;
	pm_set		steps;
	ReviewState st;
	int			k;

	pgmig_srf_init(fcinfo);
	callcxt = pgmig_call_begin("pgmig review", &oldcxt);
	pg = pgmig_graph_for_reading(true);
	(void) pgmig_plan_command(pg, "upgrade", target, &steps);

	memset(&st, 0, sizeof(st));
	st.fcinfo = fcinfo;
	st.cxt = callcxt;

	stepcxt = AllocSetContextCreate(callcxt, "pgmig review step",
									ALLOCSET_DEFAULT_SIZES);
	for (k = 0; k < steps.n; k++)
	{
		int			v = steps.items[k];

		MemoryContextSwitchTo(stepcxt);
		review_one_revision(&st, pm_graph_rev(pg->g, v)->id,
							pg->transactional[v]);
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(stepcxt);
	}
	st.revision = NULL;
	st.stmtno = 0;
	st.line = 0;
	st.stmt_text = NULL;
	review_blockers(&st);

	pgmig_call_end(callcxt, oldcxt);
	return (Datum) 0;
}
