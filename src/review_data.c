/*-------------------------------------------------------------------------
 *
 * review_data.c
 *	  What pgmig.review() learns from the database itself: relation facts
 *	  (rows, bytes), the data checks (NULLs, duplicates, orphans, CHECK
 *	  violations) and the live sessions a run would queue behind.
 *
 * Rules kept:
 *	- Names come from the catalog and are quoted (quote_identifier), never
 *	  pasted from the script; a CHECK expression is the one piece of script
 *	  text that is run, and only after the parser has confirmed that the
 *	  query built around it is a single plain SELECT count(*) ... WHERE
 *	  (expr) IS FALSE.
 *	- Every query on a user table runs read-only (XactReadOnly) inside a
 *	  subtransaction that is always rolled back: the ACCESS SHARE lock it
 *	  took is released when it ends, so review() holds no lock on a user
 *	  table when it returns.  Before that, the lock is tried with
 *	  ConditionalLockRelationOid: a table that another session holds
 *	  exclusively is reported as a blocker instead of hanging the review.
 *	- Queries run as the caller, bounded by the caller's statement_timeout.
 *	- Catalog lookups (pg_class through the syscache, pg_constraint,
 *	  pg_locks, pg_stat_activity) take no lock on user tables.
 *
 *-------------------------------------------------------------------------
 */
#include "review.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "spi_util.h"
#include "subxact.h"

/* ---- relations ---- */

static bool
created_match(ReviewState *st, RangeVar *rv)
{
	ListCell   *lc;

	foreach(lc, st->created)
	{
		RangeVar   *c = lfirst(lc);

		if (strcmp(c->relname, rv->relname) == 0 &&
			(c->schemaname == NULL || rv->schemaname == NULL ||
			 strcmp(c->schemaname, rv->schemaname) == 0))
			return true;
	}
	return false;
}

static char *
rv_name(RangeVar *rv)
{
	return rv->schemaname ? psprintf("%s.%s", rv->schemaname, rv->relname)
		: pstrdup(rv->relname);
}

void
review_note_created(ReviewState *st, RangeVar *rv)
{
	review_note_name(st, rv);
	st->created_here = lappend(st->created_here, rv_name(rv));
}

/*
 * A relation name that exists from this statement on (an index, a
 * sequence, a new name after RENAME or SET SCHEMA), without counting as a
 * table this revision creates (created_here, for index-beside-create).
 */
void
review_note_name(ReviewState *st, RangeVar *rv)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	st->created = lappend(st->created, copyObject(rv));
	MemoryContextSwitchTo(old);
}

/* Exact count of a small, never analyzed table, or the catalog's estimate. */
static void
relation_facts(ReviewState *st, ReviewRel *rel)
{
	HeapTuple	tup;
	Form_pg_class c;
	float4		reltuples;
	int32		relpages;
	bool		locked;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel->relid));
	if (!HeapTupleIsValid(tup))
		return;
	c = (Form_pg_class) GETSTRUCT(tup);
	reltuples = c->reltuples;
	relpages = c->relpages;
	rel->name = psprintf("%s.%s", get_namespace_name(c->relnamespace),
						 NameStr(c->relname));
	ReleaseSysCache(tup);

	rel->rows = reltuples > 0 ? (int64) reltuples : 0;
	rel->bytes = (int64) relpages * BLCKSZ;
	/* never wait: a table held exclusively elsewhere is a blocker finding */
	locked = ConditionalLockRelationOid(rel->relid, AccessShareLock);
	if (!locked)
		return;
	rel->bytes = DatumGetInt64(DirectFunctionCall1(pg_total_relation_size,
												   ObjectIdGetDatum(rel->relid)));
	UnlockRelationOid(rel->relid, AccessShareLock);
	/* never analyzed (-1 since PostgreSQL 14, 0 pages before): count */
	if (reltuples < 0 || relpages == 0)
	{
		int64		n = review_count(st, rel, NULL,
									 psprintf("SELECT pg_catalog.count(*) FROM %s",
											  review_qualified(rel)));

		if (n >= 0)
			rel->rows = n;
	}
	(void) st;
}

ReviewRel *
review_relation_oid(ReviewState *st, Oid relid)
{
	ListCell   *lc;
	ReviewRel  *rel;
	MemoryContext old;

	foreach(lc, st->relcache)
	{
		rel = lfirst(lc);
		if (rel->relid == relid)
			return rel;
	}
	old = MemoryContextSwitchTo(st->cxt);
	rel = palloc0(sizeof(ReviewRel));
	rel->relid = relid;
	rel->name = "";
	relation_facts(st, rel);
	st->relcache = lappend(st->relcache, rel);
	MemoryContextSwitchTo(old);
	return rel;
}

/*
 * The relation a statement names, resolved without a lock.  Absent, or
 * created earlier in the run: "created", no rows.
 */
ReviewRel *
review_relation(ReviewState *st, RangeVar *rv)
{
	Oid			relid = InvalidOid;
	ReviewRel  *rel;

	if (!created_match(st, rv))
		relid = RangeVarGetRelidExtended(rv, NoLock, RVR_MISSING_OK, NULL, NULL);
	if (OidIsValid(relid))
		return review_relation_oid(st, relid);
	rel = palloc0(sizeof(ReviewRel));
	rel->name = rv_name(rv);
	rel->created = true;
	rel->absent = !created_match(st, rv);
	return rel;
}

char *
review_qualified(ReviewRel *rel)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(rel->relid)),
									  get_rel_name(rel->relid));
}

/* ---- read-only queries in a rolled-back subtransaction ---- */

static void
data_check_context(void *arg)
{
	errcontext("pgmig review data check: %s", (const char *) arg);
}

/*
 * Run sql (a SELECT returning one bigint) read-only in a subtransaction
 * that is rolled back.  -1 when rel or rel2 is locked by another session
 * in a way that would make the query wait, or when the query names
 * something an earlier statement of the run has yet to create.
 */
void
review_count_in_subxact(void *arg)
{
	CountCall  *cc = (CountCall *) arg;
	bool		isnull;
	Datum		d;

	XactReadOnly = true;
	if (pgmig_spi_exec(cc->sql, 0, NULL, NULL, NULL, true, 1, SPI_OK_SELECT) != 1)
		elog(ERROR, "data check returned no row");
	d = pgmig_spi_datum(0, 1, &isnull);
	cc->result = isnull ? 0 : DatumGetInt64(d);
	pgmig_spi_done();
}

int64
review_count(ReviewState *st, ReviewRel *rel, ReviewRel *rel2, const char *sql)
{
	bool		save_ro = XactReadOnly;
	ErrorContextCallback ecb;
	CountCall	cc;
	ErrorData  *edata;
	ListCell   *lc;
	MemoryContext old;

	/* nothing runs between two checks of one review: the same query, the same count */
	for (lc = list_head(st->counted); lc != NULL; lc = lnext(st->counted, lnext(st->counted, lc)))
		if (strcmp((char *) lfirst(lc), sql) == 0)
			return *(int64 *) lfirst(lnext(st->counted, lc));

	if (!ConditionalLockRelationOid(rel->relid, AccessShareLock))
		return -1;
	if (rel2 && !ConditionalLockRelationOid(rel2->relid, AccessShareLock))
	{
		UnlockRelationOid(rel->relid, AccessShareLock);
		return -1;
	}

	ecb.callback = data_check_context;
	ecb.arg = (void *) sql;
	ecb.previous = error_context_stack;
	error_context_stack = &ecb;
	cc.sql = sql;
	cc.result = 0;
	/* keep = false: always rolled back, which releases its locks */
	edata = pgmig_subxact_run(review_count_in_subxact, &cc, CurrentMemoryContext, false);
	XactReadOnly = save_ro;
	error_context_stack = ecb.previous;
	if (edata != NULL)
	{
		/*
		 * A column, table or function that an earlier statement of the run
		 * creates does not exist yet: that check can only run then.
		 */
		if (edata->sqlerrcode != ERRCODE_UNDEFINED_COLUMN &&
			edata->sqlerrcode != ERRCODE_UNDEFINED_TABLE &&
			edata->sqlerrcode != ERRCODE_UNDEFINED_FUNCTION &&
			edata->sqlerrcode != ERRCODE_UNDEFINED_OBJECT)
			ReThrowError(edata);
		FreeErrorData(edata);
		if (rel2)
			UnlockRelationOid(rel2->relid, AccessShareLock);
		UnlockRelationOid(rel->relid, AccessShareLock);
		return -1;
	}

	if (rel2)
		UnlockRelationOid(rel2->relid, AccessShareLock);
	UnlockRelationOid(rel->relid, AccessShareLock);

	old = MemoryContextSwitchTo(st->cxt);
	st->counted = lappend(st->counted, pstrdup(sql));
	st->counted = lappend(st->counted, palloc(sizeof(int64)));
	*(int64 *) llast(st->counted) = cc.result;
	MemoryContextSwitchTo(old);
	return cc.result;
}

/*
 * The text inside the parentheses of CHECK (...) of constraint c, found
 * from its parse location; NULL when it cannot be found.
 */
char *
review_check_text(const char *script, Constraint *c)
{
	const char *p;
	const char *start = NULL;
	int			depth = 0;

	if (c->location < 0)
		return NULL;
	for (p = script + c->location; *p; p++)
	{
		if (*p == '\'' || *p == '"')
		{
			char		q = *p;

			for (p++; *p && !(*p == q && p[1] != q); p++)
				if (*p == q)
					p++;		/* doubled quote */
			if (!*p)
				return NULL;
			continue;
		}
		if (*p == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
			if (!*p)
				return NULL;
			continue;
		}
		if (*p == '/' && p[1] == '*')
		{
			const char *e = strstr(p + 2, "*/");

			if (e == NULL)
				return NULL;
			p = e + 1;
			continue;
		}
		if (*p == '(')
		{
			if (depth++ == 0)
				start = p + 1;
		}
		else if (*p == ')')
		{
			if (--depth == 0)
				return pnstrdup(start, p - start);
			if (depth < 0)
				return NULL;
		}
	}
	return NULL;
}

/* Rows for which the CHECK expression is false; -1 when it cannot be run. */
int64
review_count_check(ReviewState *st, ReviewRel *rel, const char *expr)
{
	char	   *sql = psprintf("SELECT pg_catalog.count(*) FROM %s WHERE (%s) IS FALSE",
							   review_qualified(rel), expr);
	List	   *raw;
	SelectStmt *sel;
	volatile bool ok = false;
	MemoryContext cxt = CurrentMemoryContext;

	/* the text must make exactly the query we meant: one plain SELECT */
	PG_TRY();
	{
		raw = pg_parse_query(sql);
		if (list_length(raw) == 1 &&
			IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		{
			sel = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
			ok = sel->op == SETOP_NONE && sel->withClause == NULL &&
				list_length(sel->fromClause) == 1 &&
				list_length(sel->targetList) == 1 &&
				sel->groupClause == NIL && sel->havingClause == NULL &&
				sel->limitCount == NULL && sel->limitOffset == NULL &&
				sel->lockingClause == NIL && sel->sortClause == NIL &&
				sel->intoClause == NULL && sel->windowClause == NIL &&
				sel->whereClause != NULL && IsA(sel->whereClause, BooleanTest);
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
		return -1;
	return review_count(st, rel, NULL, sql);
}

/* ---- catalog queries ---- */

/* Run a catalog query with (oid, text) arguments; first column of each row. */
static List *
catalog_column(const char *sql, Oid relid, const char *arg)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		v[2];
	List	   *out = NIL;
	char	  **col;
	int			n;
	int			i;

	v[0] = ObjectIdGetDatum(relid);
	v[1] = CStringGetTextDatum(arg ? arg : "");
	col = pgmig_spi_column(sql, 2, types, v, NULL, &n);
	for (i = 0; i < n; i++)
		out = lappend(out, col[i]);
	return out;
}

List *
review_primary_key(ReviewRel *rel)
{
	return catalog_column("SELECT a.attname::text FROM pg_catalog.pg_index i"
						  " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid"
						  " AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[])"
						  " WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary AND $2 IS NOT NULL"
						  " ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)",
						  rel->relid, NULL);
}

static char *
proven_key(ReviewRel *rel, const char *col)
{
	return psprintf("%u:%s", rel->relid, col);
}

void
review_note_proven(ReviewState *st, ReviewRel *rel, const char *col)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	st->proven = lappend(st->proven, proven_key(rel, col));
	MemoryContextSwitchTo(old);
}

void
review_note_pending_check(ReviewState *st, ReviewRel *rel,
						  const char *conname, const char *col)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	st->pending = lappend(st->pending, psprintf("%u:%s", rel->relid, conname));
	st->pending = lappend(st->pending, pstrdup(col));
	MemoryContextSwitchTo(old);
}

/* VALIDATE CONSTRAINT conname: does it prove a column NOT NULL? */
void
review_note_validated(ReviewState *st, ReviewRel *rel, const char *conname)
{
	char	   *key = psprintf("%u:%s", rel->relid, conname);
	ListCell   *lc;
	List	   *cols;

	if (rel->created)
		return;
	for (lc = list_head(st->pending); lc != NULL; lc = lnext(st->pending, lnext(st->pending, lc)))
	{
		if (strcmp((char *) lfirst(lc), key) == 0)
		{
			review_note_proven(st, rel, (char *) lfirst(lnext(st->pending, lc)));
			return;
		}
	}
	cols = catalog_column("SELECT a.attname::text FROM pg_catalog.pg_constraint c"
						  " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.conrelid"
						  " AND a.attnum OPERATOR(pg_catalog.=) ANY (c.conkey)"
						  " WHERE c.conrelid OPERATOR(pg_catalog.=) $1 AND c.conname OPERATOR(pg_catalog.=) $2"
						  " AND c.contype OPERATOR(pg_catalog.=) 'c'"
						  " AND pg_catalog.pg_get_constraintdef(c.oid) OPERATOR(pg_catalog.=)"
						  " pg_catalog.format('CHECK ((%s IS NOT NULL))', pg_catalog.quote_ident(a.attname))",
						  rel->relid, conname);
	if (cols != NIL)
		review_note_proven(st, rel, linitial(cols));
}

/* Is col proven NOT NULL by a validated CHECK (col IS NOT NULL)? */
bool
review_is_proven(ReviewState *st, ReviewRel *rel, const char *col)
{
	char	   *key = proven_key(rel, col);
	ListCell   *lc;

	foreach(lc, st->proven)
		if (strcmp((char *) lfirst(lc), key) == 0)
			return true;
	return catalog_column("SELECT 'proven' FROM pg_catalog.pg_constraint c"
						  " WHERE c.conrelid OPERATOR(pg_catalog.=) $1 AND c.contype OPERATOR(pg_catalog.=) 'c'"
						  " AND c.convalidated"
						  " AND pg_catalog.pg_get_constraintdef(c.oid) OPERATOR(pg_catalog.=)"
						  " pg_catalog.format('CHECK ((%s IS NOT NULL))', pg_catalog.quote_ident($2))",
						  rel->relid, col) != NIL;
}

/* ---- live blockers ---- */

static LOCKMODE
mode_from_name(const char *name)
{
	LOCKMODE	m;

	for (m = 1; m <= AccessExclusiveLock; m++)
		if (strcmp(GetLockmodeName(DEFAULT_LOCKMETHOD, m), name) == 0)
			return m;
	return NoLock;
}

/*
 * Sessions of this database with a transaction left open (idle in
 * transaction, or running for more than five minutes) that hold no
 * conflicting lock (those are blockers): they keep old row versions alive,
 * and CREATE INDEX CONCURRENTLY waits until every one of them ends.
 */
static void
review_open_transactions(ReviewState *st, List *reported)
{
	uint64		nrows;
	uint64		i;

	nrows = pgmig_spi_exec("SELECT a.pid, a.usename::text, a.state,"
						   " pg_catalog.date_trunc('second', pg_catalog.now() OPERATOR(pg_catalog.-) a.xact_start)::text,"
						   " pg_catalog.left(pg_catalog.regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), 80)"
						   " FROM pg_catalog.pg_stat_activity a"
						   " WHERE a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
						   " AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()"
						   " AND a.backend_type OPERATOR(pg_catalog.=) 'client backend'"
						   " AND a.xact_start IS NOT NULL"
						   " AND (a.state OPERATOR(pg_catalog.~~) 'idle in transaction%'"
						   "      OR a.xact_start OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '5 minutes'))"
						   " ORDER BY a.xact_start, a.pid",
						   0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT);
	for (i = 0; i < nrows; i++)
	{
		char	   *pid = pgmig_spi_text(i, 1);
		char	   *role = pgmig_spi_text(i, 2);
		char	   *state = pgmig_spi_text(i, 3);
		char	   *age = pgmig_spi_text(i, 4);
		char	   *query = pgmig_spi_text(i, 5);

		if (list_member_int(reported, atoi(pid)))
			continue;
		review_emit(st, st->concurrently ? "warning" : "info", "open-transaction", NULL, NoLock,
					psprintf("pid %s (role %s, %s, transaction open for %s; query: %s) keeps a transaction open%s",
							 pid, role ? role : "?", state ? state : "unknown state",
							 age ? age : "?", query ? query : "",
							 st->concurrently ? ": CREATE INDEX CONCURRENTLY waits until it ends" : ""),
					"Find out why the transaction stays open; end it (pg_terminate_backend()) if it is stuck, and consider idle_in_transaction_session_timeout.");
	}
	pgmig_spi_done();
}

/*
 * Sessions holding or waiting for a lock that conflicts with one the run
 * will take.  pg_stat_activity shows other roles' queries only to those
 * allowed to see them; review shows what the view shows.
 */
void
review_blockers(ReviewState *st)
{
	Datum	   *oids;
	Oid			types[1] = {OIDARRAYOID};
	Datum		v[1];
	ListCell   *lc;
	int			n = 0;
	uint64		i;
	uint64		nrows;
	List	   *reported = NIL;

	if (st->locks == NIL)
	{
		review_open_transactions(st, NIL);
		return;
	}
	oids = palloc(sizeof(Datum) * list_length(st->locks));
	foreach(lc, st->locks)
		oids[n++] = ObjectIdGetDatum(((ReviewLock *) lfirst(lc))->relid);
	v[0] = PointerGetDatum(construct_array(oids, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	nrows = pgmig_spi_exec(
							  "SELECT l.pid, a.usename::text, l.relation, l.mode, l.granted, a.state,"
							  " pg_catalog.date_trunc('second', pg_catalog.now() OPERATOR(pg_catalog.-)"
							  "   COALESCE(CASE WHEN a.state OPERATOR(pg_catalog.=) 'active' THEN a.query_start END,"
							  "            a.state_change, a.xact_start))::text,"
							  " pg_catalog.left(pg_catalog.regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), 80)"
							  " FROM pg_catalog.pg_locks l"
							  " JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid"
							  " WHERE l.locktype OPERATOR(pg_catalog.=) 'relation'"
							  " AND l.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database"
							  "   WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
							  " AND l.relation OPERATOR(pg_catalog.=) ANY ($1)"
							  " AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()"
							  " ORDER BY l.granted DESC, l.pid, l.relation",
							  1, types, v, NULL, true, 0, SPI_OK_SELECT);
	for (i = 0; i < nrows; i++)
	{
		bool		isnull;
		char	   *pid = pgmig_spi_text(i, 1);
		char	   *role = pgmig_spi_text(i, 2);
		Oid			relid = DatumGetObjectId(pgmig_spi_datum(i, 3, &isnull));
		char	   *mode = pgmig_spi_text(i, 4);
		bool		granted = pgmig_spi_bool(i, 5, false);
		char	   *state = pgmig_spi_text(i, 6);
		char	   *age = pgmig_spi_text(i, 7);
		char	   *query = pgmig_spi_text(i, 8);
		ReviewLock *ours = NULL;
		ReviewRel  *rel;

		foreach(lc, st->locks)
			if (((ReviewLock *) lfirst(lc))->relid == relid)
				ours = lfirst(lc);
		if (ours == NULL || !DoLockModesConflict(ours->mode, mode_from_name(mode)))
			continue;
		rel = review_relation_oid(st, relid);
		reported = lappend_int(reported, atoi(pid));
		st->revision = ours->revision;
		review_emit(st, "warning", "blocker", rel, ours->mode,
					psprintf("this upgrade would queue behind pid %s (role %s, %s for %s, %s %s; query: %s) and block every query on %s meanwhile",
							 pid, role ? role : "?", state ? state : "unknown state",
							 age ? age : "?", granted ? "holding" : "waiting for",
							 mode, query ? query : "", rel->name),
					"Wait for that session to finish, or end it with pg_terminate_backend() if it is stuck; set pgmig.lock_timeout so the run gives up instead of blocking everyone.");
	}
	pgmig_spi_done();
	st->revision = NULL;
	review_open_transactions(st, reported);
}
