/*-------------------------------------------------------------------------
 *
 * graphload.c
 *	  Read the revision graph from pgmig.revision and pgmig.applied.
 *
 * Rules:
 *	- The caller is connected to SPI; the graph is built in the memory
 *	  context that is current at the call, so it lives exactly as long as
 *	  the caller's work context.
 *	- Script bodies are never read here: the runner fetches them one at a
 *	  time.  Rows come through a cursor in batches, so the transient memory
 *	  is one batch, not the whole table.
 *	- Queries are schema-qualified and use OPERATOR(pg_catalog.=), so a
 *	  hostile search_path cannot redirect them.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"
#include "utils/array.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/memutils.h"
#include "core/target.h"

#include "graphstore.h"
#include "spi_util.h"

#define GRAPH_BATCH 5000

/*
 * No ORDER BY: at 100,000 rows the sort spills to disk at the default
 * work_mem and costs more than the rest of the read.  Rows are put in
 * load order (seq) in memory instead.
 */
static const char *graph_query =
"SELECT r.id, r.down_revision, r.depends_on, r.branch_labels, r.message,"
"       r.transactional, a.applied_at, r.seq, r.downgrade IS NULL,"
"       CASE WHEN a.checksum OPERATOR(pg_catalog.<>) r.checksum THEN a.checksum END,"
"       CASE WHEN a.checksum OPERATOR(pg_catalog.<>) r.checksum THEN r.checksum END,"
"       r.checksum, r.ctid, r.xmin"
"  FROM pgmig.revision r"
"  LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id";

/* One revision as read, before it goes into the graph in load order. */
typedef struct GraphRow
{
	char	   *id;
	char	  **parents;
	char	  **deps;
	char	  **labels;
	int			np;
	int			nd;
	int			nl;
	char	   *message;
	bool		transactional;
	TimestampTz applied_at;		/* 0 when not applied */
	int64		seq;
	bool		irreversible;
	char	   *changed_from;	/* checksum when applied, if it differs */
	char	   *changed_to;
	char	   *checksum;
	uint64		tid;
	uint32		xmin;
} GraphRow;

/*
 * The strings of the graph read from the tables (ids, parents, messages,
 * checksums: five to ten a revision), carved from 256 kB blocks of the
 * current context instead of a palloc each: at 100,000 revisions a
 * 64-character checksum took a 128-byte chunk plus its header, and the
 * first check() after a bulk load went past 100 MB.
 */
typedef struct StrArena
{
	char	   *cur;
	Size		left;
} StrArena;

static void *
arena_alloc(StrArena *a, Size len)
{
	void	   *p;

	len = MAXALIGN(len);
	if (len > a->left)
	{
		Size		size = Max(len, 256 * 1024);

		a->cur = palloc(size);
		a->left = size;
	}
	p = a->cur;
	a->cur += len;
	a->left -= len;
	return p;
}

static char *
arena_text(StrArena *a, Datum d)
{
	text	   *t = DatumGetTextPP(d);
	Size		len = VARSIZE_ANY_EXHDR(t);
	char	   *s = arena_alloc(a, len + 1);

	memcpy(s, VARDATA_ANY(t), len);
	s[len] = '\0';
	return s;
}

/* Split a text[] into C strings allocated in the arena. */
static int
text_array(StrArena *a, Datum d, bool isnull, char ***out)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k;

	*out = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(d);
	if (ARR_NDIM(arr) == 0)
		return 0;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	*out = arena_alloc(a, sizeof(char *) * (n + 1));
	for (k = 0; k < n; k++)
		(*out)[k] = nulls[k] ? "" : arena_text(a, elems[k]);
	pfree(elems);
	pfree(nulls);
	return n;
}

static PgmigGraph *load_graph(bool strict, bool fresh);

static int
cmp_rows(const void *a, const void *b)
{
	const GraphRow *ra = (const GraphRow *) a;
	const GraphRow *rb = (const GraphRow *) b;

	if (ra->seq != rb->seq)
		return ra->seq < rb->seq ? -1 : 1;
	return strcmp(ra->id, rb->id);
}

/*
 * The graph as the active snapshot shows it (the caller pushed one and
 * reads everything else in it too: check()).
 */
PgmigGraph *
pgmig_load_graph_in_snapshot(bool strict)
{
	return load_graph(strict, false);
}

PgmigGraph *
pgmig_load_graph(bool strict)
{
	return load_graph(strict, true);
}

static PgmigGraph *
load_graph(bool strict, bool fresh)
{
	PgmigGraph *pg;
	SPIPlanPtr	plan;
	Portal		portal;
	GraphRow   *rows;
	int			nrows = 0;
	int			cap = 1024;
	int			i;
	pm_error	err;

	StrArena	arena = {NULL, 0};

	rows = palloc(sizeof(GraphRow) * cap);

	/*
	 * Read with a snapshot taken now, not the calling statement's: a run
	 * that waited for the migration lock must see what the other run
	 * committed (READ COMMITTED), and the statement trigger must see the
	 * rows of the statement it validates.
	 */
	if (fresh)
	{
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
	}

	plan = pgmig_spi_prepare(graph_query, 0, NULL);
	portal = pgmig_spi_cursor_open(plan);

	for (;;)
	{
		uint64		t;

		if (pgmig_spi_cursor_fetch(portal, GRAPH_BATCH) == 0)
			break;
		for (t = 0; t < SPI_processed; t++)
		{
			HeapTuple	tup = SPI_tuptable->vals[t];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			GraphRow   *row;
			bool		isnull;
			Datum		d;

			if (nrows == cap)
			{
				cap *= 2;
				rows = repalloc_huge(rows, sizeof(GraphRow) * cap);
			}
			row = &rows[nrows++];
			row->id = arena_text(&arena, SPI_getbinval(tup, desc, 1, &isnull));
			d = SPI_getbinval(tup, desc, 2, &isnull);
			row->np = text_array(&arena, d, isnull, &row->parents);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			row->nd = text_array(&arena, d, isnull, &row->deps);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			row->nl = text_array(&arena, d, isnull, &row->labels);
			d = SPI_getbinval(tup, desc, 5, &isnull);
			row->message = isnull ? "" : arena_text(&arena, d);
			d = SPI_getbinval(tup, desc, 6, &isnull);
			row->transactional = isnull ? true : DatumGetBool(d);
			d = SPI_getbinval(tup, desc, 7, &isnull);
			row->applied_at = isnull ? 0 : DatumGetTimestampTz(d);
			d = SPI_getbinval(tup, desc, 8, &isnull);
			row->seq = isnull ? 0 : DatumGetInt64(d);
			d = SPI_getbinval(tup, desc, 9, &isnull);
			row->irreversible = !isnull && DatumGetBool(d);
			d = SPI_getbinval(tup, desc, 10, &isnull);
			row->changed_from = isnull ? NULL : TextDatumGetCString(d);
			d = SPI_getbinval(tup, desc, 11, &isnull);
			row->changed_to = isnull ? NULL : TextDatumGetCString(d);
			d = SPI_getbinval(tup, desc, 12, &isnull);
			row->checksum = isnull ? NULL : arena_text(&arena, d);
			d = SPI_getbinval(tup, desc, 13, &isnull);
			row->tid = pgmig_tid_key((ItemPointer) DatumGetPointer(d));
			d = SPI_getbinval(tup, desc, 14, &isnull);
			row->xmin = DatumGetTransactionId(d);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	if (fresh)
		PopActiveSnapshot();

	qsort(rows, nrows, sizeof(GraphRow), cmp_rows);

	/* the graph borrows the strings: they live in this context already */
	pg = palloc0(sizeof(PgmigGraph));
	pg->g = pm_graph_new_borrowed(nrows);
	pg->n = nrows;
	pg->message = palloc(sizeof(char *) * (nrows + 1));
	pg->transactional = palloc(sizeof(bool) * (nrows + 1));
	pg->applied_at = palloc(sizeof(TimestampTz) * (nrows + 1));
	pg->irreversible = palloc(sizeof(bool) * (nrows + 1));
	pg->changed_from = palloc(sizeof(char *) * (nrows + 1));
	pg->changed_to = palloc(sizeof(char *) * (nrows + 1));
	pg->checksum = palloc(sizeof(char *) * (nrows + 1));
	pg->row_tid = palloc(sizeof(uint64) * (nrows + 1));
	pg->row_xmin = palloc(sizeof(uint32) * (nrows + 1));
	for (i = 0; i < nrows; i++)
	{
		GraphRow   *row = &rows[i];

		(void) pm_graph_add(pg->g, row->id,
							(const char *const *) row->parents, row->np,
							(const char *const *) row->deps, row->nd,
							(const char *const *) row->labels, row->nl,
							row->applied_at != 0);
		pg->message[i] = row->message;
		pg->transactional[i] = row->transactional;
		pg->applied_at[i] = row->applied_at;
		pg->irreversible[i] = row->irreversible;
		pg->changed_from[i] = row->changed_from;
		pg->changed_to[i] = row->changed_to;
		pg->checksum[i] = row->checksum;
		pg->row_tid[i] = row->tid;
		pg->row_xmin[i] = row->xmin;
		if (row->applied_at != 0)
			pg->napplied++;
	}
	pfree(rows);

	if (!pm_graph_build(pg->g, strict, &err))
		pgmig_report(&err);
	return pg;
}

void
pgmig_resolve_target(PgmigGraph *pg, const char *expr, pm_set *out,
					 int *branch_root)
{
	pm_error	err;

	if (!pm_resolve(pg->g, expr, out, branch_root, &err))
		pgmig_report(&err);
}

/* ---- the per-backend graph cache --------------------------------------
 *
 * Read-only calls (heads, history, status, ...) would otherwise read and
 * build the whole graph every time: about 0.3 s at 100,000 revisions.
 * pgmig.graph_version (0.3+) changes with every statement that changes
 * pgmig.revision or pgmig.applied, to a number never used before, so a
 * backend can keep the graph it built last and reuse it for as long as
 * the version visible to it is the same.  Visibility is the point: the
 * version is read with the same fresh snapshot rules as the graph, so a
 * transaction sees its own changes and a rollback brings the old number
 * back (and a rebuild).  The relation's OID is part of the key, so a
 * dropped and re-created extension never matches an old cache.
 *
 * The runner does not bump the version row once per step: it sets
 * pgmig_bookkeeping for the run and bumps once at the end.
 */
bool		pgmig_bookkeeping = false;

static MemoryContext cache_cxt = NULL;
static PgmigGraph *cache_graph = NULL;
static int64 cache_version = 0;
static int64 asked_version = -1;	/* the version the last probe saw */
static Oid	cache_relid = InvalidOid;

static Oid
graph_version_relid(void)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) ? get_relname_relid("graph_version", nsp) : InvalidOid;
}

/*
 * Run one statement on pgmig.graph_version as the table's owner: readers
 * and writers of the graph need no privilege on it.  (A transaction or
 * subtransaction abort restores the user id by itself.)
 */
static void
require_select(const char *table)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("pgmig", false));
	AclResult	r = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

	if (r != ACLCHECK_OK)
		aclcheck_error(r, OBJECT_TABLE, get_rel_name(relid));
}

static void graph_version_error(void) pg_attribute_noreturn();

static void
graph_version_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_STATE),
			 errmsg("table pgmig.graph_version must hold exactly one row"),
			 errdetail("Without it no backend can tell that its cached graph is stale."),
			 errhint("Restore it as the extension owner: INSERT INTO pgmig.graph_version SELECT pg_catalog.nextval('pgmig.graph_version_seq');")));
}

static int64
graph_version_exec(Oid relid, const char *sql, int expect)
{
	PgmigOwnerSwitch sw;
	int64		version;
	char	   *text;

	pgmig_become_owner(&sw);
	if (pgmig_spi_exec(sql, 0, NULL, NULL, NULL, false, 1, expect) != 1)
		graph_version_error();
	text = pgmig_spi_text(0, 1);
	version = pg_strtoint64(text);
	pgmig_spi_done();
	pgmig_restore_user(&sw);
	return version;
}

/*
 * The version row, read straight from the table in a fresh snapshot that
 * sees this transaction's own changes (as a non-read-only SPI query would):
 * a new backend's first call would otherwise parse and plan the query,
 * catalog lookups and all.  As the table's owner would read it.
 */
static int64
graph_version_read(Oid relid)
{
	Datum		d;
	bool		isnull;
	int			rows;

	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	rows = pgmig_read_rows_direct(relid, "version", INT8OID, NULL, &d, &isnull, NULL);
	PopActiveSnapshot();
	if (rows != 1 || isnull)
		graph_version_error();
	return DatumGetInt64(d);
}

void
pgmig_graph_bump(void)
{
	Oid			relid = graph_version_relid();
	MemoryContext cxt;
	MemoryContext oldcxt;

	if (!OidIsValid(relid))
		return;					/* extension version 0.2 or older */
	cxt = pgmig_call_begin("pgmig graph version", &oldcxt);
	(void) graph_version_exec(relid,
							  "UPDATE pgmig.graph_version SET version = pg_catalog.nextval('pgmig.graph_version_seq') RETURNING version",
							  SPI_OK_UPDATE_RETURNING);
	pgmig_call_end(cxt, oldcxt);
}

PG_FUNCTION_INFO_V1(pgmig_graph_changed);
Datum
pgmig_graph_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_graph_changed: not called as a trigger");
	if (!pgmig_bookkeeping)
		pgmig_graph_bump();
	return PointerGetDatum(NULL);
}

/*
 * The cached graph when it is current, for a read-only call; the caller
 * is connected to SPI.  NULL when the cache is empty or stale: the caller
 * then fills it (pgmig_graph_for_reading) or answers from the stored image
 * in place (a new backend's heads() and current(), info.c).  *use_cache is
 * false inside a run, during bookkeeping or without the version row: the
 * caller must then read the tables.  *first is true when no call asked for
 * this version of the graph before: a backend that asks once answers from
 * the image in place, one that asks again fills the cache.
 */
PgmigGraph *
pgmig_graph_cached(bool *use_cache, bool *first)
{
	Oid			relid = graph_version_relid();
	int64		version;

	*use_cache = false;
	*first = false;
	if (!OidIsValid(relid) || pgmig_in_run || pgmig_bookkeeping)
		return NULL;

	/*
	 * The cache was filled by whichever role asked first in this backend:
	 * answer from it only a caller who may read what it was built from, with
	 * the error reading the table itself would give (a pooled connection or
	 * SET ROLE must not leak the graph to a role without SELECT).
	 */
	require_select("revision");
	require_select("applied");

	version = graph_version_read(relid);
	*use_cache = true;
	if (cache_graph == NULL || version != cache_version || relid != cache_relid)
	{
		*first = version != asked_version || relid != cache_relid;
		asked_version = version;
		if (cache_cxt != NULL)
			MemoryContextDelete(cache_cxt);
		cache_cxt = NULL;
		cache_graph = NULL;
		cache_version = version;
		cache_relid = relid;
		return NULL;
	}
	return cache_graph;
}

/*
 * The graph for a read-only call; the caller is connected to SPI.  The
 * result may be shared with later calls: treat it as read-only.
 */
PgmigGraph *
pgmig_graph_for_reading(bool strict)
{
	bool		use_cache;
	bool		first;
	MemoryContext oldcxt;

	(void) pgmig_graph_cached(&use_cache, &first);
	if (!use_cache)
		return pgmig_load_graph(strict);
	if (cache_graph == NULL)
	{
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "pgmig graph cache",
										  ALLOCSET_DEFAULT_SIZES);
		oldcxt = MemoryContextSwitchTo(cache_cxt);
		/* the stored image when it can answer, else the tables */
		cache_graph = pgmig_graph_from_image();
		if (cache_graph == NULL)
			cache_graph = pgmig_load_graph(false);
		MemoryContextSwitchTo(oldcxt);
	}
	/* a strict caller gets the error a strict build would give */
	if (strict && pm_graph_nproblems(cache_graph->g) > 0)
		return pgmig_load_graph(true);
	return cache_graph;
}
