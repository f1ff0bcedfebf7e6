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
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "core/target.h"

#define GRAPH_BATCH 5000

static const char *graph_query =
"SELECT r.id, r.down_revision, r.depends_on, r.branch_labels, r.message,"
"       r.transactional, a.applied_at"
"  FROM pgmig.revision r"
"  LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id"
" ORDER BY r.seq, r.id";

/* Split a text[] into C strings allocated in the current context. */
static int
text_array(Datum d, bool isnull, char ***out)
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
	*out = palloc(sizeof(char *) * (n + 1));
	for (k = 0; k < n; k++)
		(*out)[k] = nulls[k] ? pstrdup("") : TextDatumGetCString(elems[k]);
	return n;
}

PgmigGraph *
pgmig_load_graph(bool strict)
{
	MemoryContext dest = CurrentMemoryContext;
	MemoryContext batchcxt;
	PgmigGraph *pg;
	SPIPlanPtr	plan;
	Portal		portal;
	int			cap = 1024;
	pm_error	err;

	pg = palloc0(sizeof(PgmigGraph));
	pg->g = pm_graph_new(cap);
	pg->message = palloc(sizeof(char *) * cap);
	pg->transactional = palloc(sizeof(bool) * cap);
	pg->applied_at = palloc(sizeof(TimestampTz) * cap);

	batchcxt = AllocSetContextCreate(dest, "pgmig graph batch",
									 ALLOCSET_DEFAULT_SIZES);

	/*
	 * Read with a snapshot taken now, not the calling statement's: a run
	 * that waited for the migration lock must see what the other run
	 * committed (READ COMMITTED), and the statement trigger must see the
	 * rows of the statement it validates.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();

	plan = SPI_prepare(graph_query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "pgmig: could not prepare graph query: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);

	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, GRAPH_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			char	   *id;
			char	  **parents;
			char	  **deps;
			char	  **labels;
			int			np,
						nd,
						nl;
			Datum		d;
			int			idx;

			MemoryContextSwitchTo(batchcxt);
			id = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
			d = SPI_getbinval(tup, desc, 2, &isnull);
			np = text_array(d, isnull, &parents);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			nd = text_array(d, isnull, &deps);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			nl = text_array(d, isnull, &labels);

			MemoryContextSwitchTo(dest);
			idx = pm_graph_add(pg->g, id,
							   (const char *const *) parents, np,
							   (const char *const *) deps, nd,
							   (const char *const *) labels, nl,
							   false);
			if (idx >= cap)
			{
				cap *= 2;
				pg->message = repalloc(pg->message, sizeof(char *) * cap);
				pg->transactional = repalloc(pg->transactional, sizeof(bool) * cap);
				pg->applied_at = repalloc(pg->applied_at, sizeof(TimestampTz) * cap);
			}
			d = SPI_getbinval(tup, desc, 5, &isnull);
			pg->message[idx] = isnull ? pstrdup("") : TextDatumGetCString(d);
			d = SPI_getbinval(tup, desc, 6, &isnull);
			pg->transactional[idx] = isnull ? true : DatumGetBool(d);
			d = SPI_getbinval(tup, desc, 7, &isnull);
			pg->applied_at[idx] = isnull ? 0 : DatumGetTimestampTz(d);
			((pm_rev *) pm_graph_rev(pg->g, idx))->applied = !isnull;
			pg->n = idx + 1;
		}
		SPI_freetuptable(SPI_tuptable);
		MemoryContextReset(batchcxt);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	PopActiveSnapshot();
	MemoryContextSwitchTo(dest);
	MemoryContextDelete(batchcxt);

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
