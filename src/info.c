/*-------------------------------------------------------------------------
 *
 * info.c
 *	  Read-only SQL functions: resolve, current, heads, branches, history,
 *	  plan, script, check, graph, status.
 *
 * Each reads the graph once (graphload.c) inside a per-call memory
 * context and answers from it; none reads script bodies.  None takes the migration lock: they read a consistent
 * snapshot and never block a run.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"
#include "graphstore.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "core/revfile.h"
#include "core/target.h"

#include "spi_util.h"

/* Connect SPI and load the graph in a fresh per-call context. */
typedef struct InfoCall
{
	MemoryContext oldcxt;
	MemoryContext callcxt;
	PgmigGraph *pg;
	int64		drift_objects;	/* set by collect_problems: drift.c's count */
	/* check() and status() only (info_begin_verdict): */
	bool		verdict;
	PgmigVerified verified;		/* the record of the last verification */
	/* the verified image in place (pg NULL), with its checksums */
	PgmigImageView *iv;
	char	   *image_problem;	/* the image does not match the tables */
} InfoCall;

static void
info_begin(InfoCall *ic, bool strict)
{
	ic->callcxt = pgmig_call_begin("pgmig info", &ic->oldcxt);
	ic->pg = pgmig_graph_for_reading(strict);
	ic->drift_objects = -1;
	ic->verdict = false;
}

/*
 * check() and status() give a health verdict: never from a cache another
 * call filled (a change made with pgmig's triggers bypassed does not
 * invalidate a cache), and never from the stored image unless nothing
 * changed since a check() verified it (graphverify.c): every revision row
 * and the image row are then exactly the versions that check() hashed and
 * compared, so the image and its checksums column describe the tables.
 * Otherwise the graph comes from the tables, and only the scripts of row
 * versions not verified before are hashed again (collect_problems).  The
 * whole verdict reads one snapshot, pushed here and popped by info_end.
 */
static void
info_begin_verdict(InfoCall *ic)
{
	ic->callcxt = pgmig_call_begin("pgmig info", &ic->oldcxt);
	ic->verdict = true;
	ic->drift_objects = -1;
	ic->image_problem = NULL;
	ic->pg = NULL;
	ic->iv = NULL;
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	pgmig_verified_read(&ic->verified);
	if (pgmig_verified_unchanged(&ic->verified))
	{
		ic->iv = palloc(sizeof(PgmigImageView));
		if (!pgmig_image_view_verified(&ic->verified, ic->iv))
			ic->iv = NULL;
	}
	if (ic->iv == NULL)
		ic->pg = pgmig_load_graph_in_snapshot(false);
}

/*
 * The verdict's graph, built (ic->pg) or the verified image in place
 * (ic->iv): the facts check() and status() read, the same either way.
 */
static int
verdict_n(InfoCall *ic)
{
	return ic->pg ? ic->pg->n : ic->iv->v.n;
}

static const char *
verdict_id(InfoCall *ic, int i)
{
	pm_image_rec r;

	if (ic->pg)
		return pm_graph_rev(ic->pg->g, i)->id;
	pm_image_view_rec(&ic->iv->v, i, &r);
	return r.id;
}

static bool
verdict_applied(InfoCall *ic, int i)
{
	return ic->pg ? pm_graph_rev(ic->pg->g, i)->applied : ic->iv->applied[i] != 0;
}

static bool
verdict_irreversible(InfoCall *ic, int i)
{
	pm_image_rec r;

	if (ic->pg)
		return ic->pg->irreversible[i];
	pm_image_view_rec(&ic->iv->v, i, &r);
	return (r.flags & PM_IMAGE_IRREVERSIBLE) != 0;
}

/*
 * Revision i's prerequisites as the built graph has them: each parent once
 * (a parent named twice counts once), then every dependency, into out
 * (room for all of its edges); returns their number, *nparents the
 * parents'.
 */
static int
verdict_prereqs(InfoCall *ic, int i, int *out, int *nparents)
{
	pm_image_rec r;
	int			n = 0;
	int			k;

	if (ic->pg)
	{
		const pm_rev *rv = pm_graph_rev(ic->pg->g, i);

		for (k = 0; k < rv->nparents_ok; k++)
			out[n++] = rv->parents[k];
		*nparents = n;
		for (k = 0; k < rv->ndeps_ok; k++)
			out[n++] = rv->deps[k];
		return n;
	}
	pm_image_view_rec(&ic->iv->v, i, &r);
	n = *nparents = pm_image_rec_unique_parents(&r, out);
	for (k = 0; k < r.ndeps; k++)
		out[n++] = pm_image_rec_edge(&r, r.nparents + k);
	return n;
}

static int
verdict_max_edges(InfoCall *ic, int i)
{
	pm_image_rec r;

	if (ic->pg)
		return pm_graph_rev(ic->pg->g, i)->nparents_ok + pm_graph_rev(ic->pg->g, i)->ndeps_ok;
	pm_image_view_rec(&ic->iv->v, i, &r);
	return r.nparents + r.ndeps;
}

static void
verdict_heads(InfoCall *ic, pm_set *out)
{
	if (ic->pg)
		pm_graph_heads(ic->pg->g, out);
	else
		pm_image_view_heads(&ic->iv->v, out);
}

static void
verdict_current(InfoCall *ic, pm_set *out)
{
	if (ic->pg)
		pm_graph_current(ic->pg->g, out);
	else
		pm_image_view_current(&ic->iv->v, ic->iv->applied, out);
}

/* The ids of items (borrowed), for a text[] or a list. */
static char **
verdict_ids(InfoCall *ic, const int *items, int n)
{
	char	  **names = palloc(sizeof(char *) * (n + 1));
	int			k;

	for (k = 0; k < n; k++)
		names[k] = (char *) verdict_id(ic, items[k]);
	return names;
}

/*
 * Like info_begin, but a backend's first call answers from the stored
 * image in place (graphstore.c) when it can: building the graph costs a
 * new backend most of a heads() or current() at 100,000 revisions.
 * Returns true with iv filled (ic->pg NULL), else false with ic->pg the
 * graph info_begin gives.
 */
static bool
info_begin_view(InfoCall *ic, PgmigImageView *iv, PgmigViewApplied what,
				bool strict)
{
	bool		use_cache;
	bool		first;

	ic->callcxt = pgmig_call_begin("pgmig info", &ic->oldcxt);
	ic->drift_objects = -1;
	ic->verdict = false;
	ic->pg = pgmig_graph_cached(&use_cache, &first);
	if (ic->pg == NULL && use_cache && first && pgmig_image_view_read(iv, what))
		return true;
	if (ic->pg == NULL)
		ic->pg = pgmig_graph_for_reading(strict);
	return false;
}

static void
info_end(InfoCall *ic)
{
	if (ic->verdict)
		PopActiveSnapshot();
	pgmig_call_end(ic->callcxt, ic->oldcxt);
}

static void
put_row(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * The view answers a target that names the heads ("head", "heads"; "base"
 * is the empty set); the built graph answers every other.
 */
static bool
view_target(const char *expr, pm_target *t)
{
	pm_error	err;

	return pm_target_parse(expr, t, &err) && t->rel == 0 &&
		(t->kind == PM_T_HEAD || t->kind == PM_T_HEADS || t->kind == PM_T_BASE);
}

/*
 * Resolve such a target in the view.  False for "head" when there is not
 * exactly one: the graph's error names them (the caller builds it).
 */
static bool
view_resolve(PgmigImageView *iv, const pm_target *t, pm_set *out)
{
	out->n = 0;
	out->items = NULL;
	if (t->kind == PM_T_BASE)
		return true;
	pm_image_view_heads(&iv->v, out);
	return t->kind == PM_T_HEADS || out->n == 1;
}

/*
 * A backend's first resolve() or plan() of such a target reads the view
 * (what, strict: as info_begin_view) and resolves it there: true with
 * *set filled, else false with ic->pg the graph to answer from.
 */
static bool
info_begin_target(InfoCall *ic, PgmigImageView *iv, PgmigViewApplied what,
				  const char *expr, pm_set *set)
{
	pm_target	t;

	if (!view_target(expr, &t))
	{
		info_begin(ic, true);
		return false;
	}
	if (!info_begin_view(ic, iv, what, true))
		return false;
	if (view_resolve(iv, &t, set))
		return true;
	ic->pg = pgmig_graph_for_reading(true);
	return false;
}

PG_FUNCTION_INFO_V1(pgmig_resolve);
Datum
pgmig_resolve(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InfoCall	ic;
	PgmigImageView iv;
	pm_set		set;
	int			br;
	int			k;

	pgmig_srf_init(fcinfo);
	if (info_begin_target(&ic, &iv, PGMIG_VIEW_APPLIED_NONE, expr, &set))
	{
		for (k = 0; k < set.n; k++)
		{
			pm_image_rec r;
			Datum		v[1];
			bool		n[1] = {false};

			pm_image_view_rec(&iv.v, set.items[k], &r);
			v[0] = CStringGetTextDatum(r.id);
			put_row(fcinfo, v, n);
		}
		info_end(&ic);
		return (Datum) 0;
	}
	pgmig_resolve_target(ic.pg, expr, &set, &br);
	for (k = 0; k < set.n; k++)
	{
		Datum		v[1];
		bool		n[1] = {false};

		v[0] = CStringGetTextDatum(pm_graph_rev(ic.pg->g, set.items[k])->id);
		put_row(fcinfo, v, n);
	}
	info_end(&ic);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_current);
Datum
pgmig_current(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	PgmigImageView iv;
	pm_set		cur;
	int			k;

	pgmig_srf_init(fcinfo);
	if (info_begin_view(&ic, &iv, PGMIG_VIEW_APPLIED_CURRENT, false))
	{
		pm_image_view_current(&iv.v, iv.applied, &cur);
		for (k = 0; k < cur.n; k++)
		{
			pm_image_rec r;
			Datum		v[3];
			bool		n[3] = {false, false, false};

			pm_image_view_rec(&iv.v, cur.items[k], &r);
			v[0] = CStringGetTextDatum(r.id);
			v[1] = CStringGetTextDatum(r.message);
			v[2] = TimestampTzGetDatum(iv.applied_at[cur.items[k]]);
			put_row(fcinfo, v, n);
		}
		info_end(&ic);
		return (Datum) 0;
	}
	pm_graph_current(ic.pg->g, &cur);
	for (k = 0; k < cur.n; k++)
	{
		int			i = cur.items[k];
		Datum		v[3];
		bool		n[3] = {false, false, false};

		v[0] = CStringGetTextDatum(pm_graph_rev(ic.pg->g, i)->id);
		v[1] = CStringGetTextDatum(ic.pg->message[i]);
		v[2] = TimestampTzGetDatum(ic.pg->applied_at[i]);
		put_row(fcinfo, v, n);
	}
	info_end(&ic);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_heads);
Datum
pgmig_heads(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	PgmigImageView iv;
	pm_set		heads;
	int			k;

	pgmig_srf_init(fcinfo);
	if (info_begin_view(&ic, &iv, PGMIG_VIEW_APPLIED_HEADS, false))
	{
		pm_image_view_heads(&iv.v, &heads);
		for (k = 0; k < heads.n; k++)
		{
			pm_image_rec r;
			const char **labels;
			Datum		v[4];
			bool		n[4] = {false, false, false, false};

			pm_image_view_rec(&iv.v, heads.items[k], &r);
			labels = palloc(sizeof(char *) * (r.nlabels + 1));
			pm_image_rec_labels(&r, labels);
			v[0] = CStringGetTextDatum(r.id);
			v[1] = CStringGetTextDatum(r.message);
			v[2] = pgmig_cstring_array((char **) labels, r.nlabels);
			v[3] = BoolGetDatum(iv.applied[heads.items[k]] != 0);
			put_row(fcinfo, v, n);
		}
		info_end(&ic);
		return (Datum) 0;
	}
	pm_graph_heads(ic.pg->g, &heads);
	for (k = 0; k < heads.n; k++)
	{
		int			i = heads.items[k];
		const pm_rev *r = pm_graph_rev(ic.pg->g, i);
		Datum		v[4];
		bool		n[4] = {false, false, false, false};

		v[0] = CStringGetTextDatum(r->id);
		v[1] = CStringGetTextDatum(ic.pg->message[i]);
		v[2] = pgmig_cstring_array(r->labels, r->nlabels);
		v[3] = BoolGetDatum(r->applied);
		put_row(fcinfo, v, n);
	}
	info_end(&ic);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_branches);
Datum
pgmig_branches(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	PgmigImageView iv;
	pm_set		bp;
	int			k;

	pgmig_srf_init(fcinfo);
	if (info_begin_view(&ic, &iv, PGMIG_VIEW_APPLIED_NONE, false))
	{
		pm_set	   *children;

		pm_image_view_branchpoints(&iv.v, &bp);
		children = palloc(sizeof(pm_set) * (bp.n + 1));
		pm_image_view_children(&iv.v, &bp, children);
		for (k = 0; k < bp.n; k++)
		{
			pm_image_rec r;
			Datum		v[3];
			bool		n[3] = {false, false, false};
			char	  **ids = palloc(sizeof(char *) * (children[k].n + 1));
			int			c;

			pm_image_view_rec(&iv.v, bp.items[k], &r);
			for (c = 0; c < children[k].n; c++)
			{
				pm_image_rec cr;

				pm_image_view_rec(&iv.v, children[k].items[c], &cr);
				ids[c] = (char *) cr.id;
			}
			v[0] = CStringGetTextDatum(r.id);
			v[1] = CStringGetTextDatum(r.message);
			v[2] = pgmig_cstring_array(ids, children[k].n);
			put_row(fcinfo, v, n);
		}
		info_end(&ic);
		return (Datum) 0;
	}
	pm_graph_branchpoints(ic.pg->g, &bp);
	for (k = 0; k < bp.n; k++)
	{
		int			i = bp.items[k];
		const pm_rev *r = pm_graph_rev(ic.pg->g, i);
		Datum		v[3];
		bool		n[3] = {false, false, false};

		v[0] = CStringGetTextDatum(r->id);
		v[1] = CStringGetTextDatum(ic.pg->message[i]);
		v[2] = pgmig_ids_array(ic.pg, r->children, r->nchildren);
		put_row(fcinfo, v, n);
	}
	info_end(&ic);
	return (Datum) 0;
}

/*
 * history()'s columns of one revision, made in CurrentMemoryContext; empty
 * is the shared empty text[] (most revisions have no dependencies or
 * labels).
 */
static void
history_values(Datum *v, Datum empty,
			   const char *id, char **parents, int nparents,
			   char **deps, int ndeps, char **labels, int nlabels,
			   const char *message, bool applied, int nchildren,
			   int nparents_unique)
{
	v[0] = CStringGetTextDatum(id);
	v[1] = nparents ? pgmig_cstring_array(parents, nparents) : empty;
	v[2] = ndeps ? pgmig_cstring_array(deps, ndeps) : empty;
	v[3] = nlabels ? pgmig_cstring_array(labels, nlabels) : empty;
	v[4] = CStringGetTextDatum(message);
	v[5] = BoolGetDatum(applied);
	v[6] = BoolGetDatum(nchildren == 0);
	v[7] = BoolGetDatum(nchildren >= 2);
	v[8] = BoolGetDatum(nparents_unique >= 2);
}

#define HISTORY_COLUMNS 9

/*
 * A backend's first history() of every revision reads the stored image in
 * place (the graph built from it would give the same rows: its parents'
 * and dependencies' names are the ids the image resolves them to).  The
 * rows, newest first, are made one at a time from a HistoryView, so that
 * pgmig._history_rows() can hand them over one per call.
 */
typedef struct HistoryView
{
	PgmigImageView *iv;
	MemoryContext cxt;			/* where names and parents grow */
	Datum		empty;
	char	  **names;			/* a row's parents, dependencies, labels */
	int		   *parents;
	int			room;
	int			k;				/* the next row's position, counting down */
} HistoryView;

static void
history_view_begin(HistoryView *hv, PgmigImageView *iv, Datum empty)
{
	hv->iv = iv;
	hv->cxt = CurrentMemoryContext;
	hv->empty = empty;
	hv->names = NULL;
	hv->parents = NULL;
	hv->room = 0;
	hv->k = iv->v.n - 1;
}

/* The next row into v (false: none left); made in CurrentMemoryContext. */
static bool
history_view_next(HistoryView *hv, Datum *v)
{
	pm_image_view *view = &hv->iv->v;
	pm_image_rec r;
	int			i;
	int			ne;
	int			e;

	if (hv->k < 0)
		return false;
	i = pm_image_view_order(view, hv->k--);
	pm_image_view_rec(view, i, &r);
	ne = r.nparents + r.ndeps;
	if (ne + r.nlabels > hv->room)
	{
		hv->room = Max(ne + r.nlabels, 2 * hv->room);
		hv->names = hv->names ? repalloc(hv->names, sizeof(char *) * hv->room) :
			MemoryContextAlloc(hv->cxt, sizeof(char *) * hv->room);
		hv->parents = hv->parents ? repalloc(hv->parents, sizeof(int) * hv->room) :
			MemoryContextAlloc(hv->cxt, sizeof(int) * hv->room);
	}
	/* the names as given: the ids the image resolved them to */
	for (e = 0; e < ne; e++)
		hv->names[e] = (char *) pm_image_view_id(view, pm_image_rec_edge(&r, e));
	pm_image_rec_labels(&r, (const char **) hv->names + ne);
	history_values(v, hv->empty, r.id, hv->names, r.nparents,
				   hv->names + r.nparents, r.ndeps, hv->names + ne, r.nlabels,
				   r.message, hv->iv->applied[i] != 0, view->nchildren[i],
				   pm_image_rec_unique_parents(&r, hv->parents));
	return true;
}

/*
 * Every row of history(range) into the tuplestore pgmig_srf_init made,
 * each made in a row context and freed once stored, then the call ends
 * (info_end).  From the stored image when iv is given (no range), else
 * from the built graph ic->pg.
 */
static void
history_store(FunctionCallInfo fcinfo, InfoCall *ic, PgmigImageView *iv,
			  const char *range)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext,
												 "pgmig history row",
												 ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt;
	/* most revisions have no dependencies or labels: share one empty array */
	Datum		empty = PointerGetDatum(construct_empty_array(TEXTOID));
	Datum		v[HISTORY_COLUMNS];
	bool		n[HISTORY_COLUMNS] = {0};
	unsigned char *inrange = NULL;
	const int  *topo;
	int			k;

	if (iv)
	{
		HistoryView hv;

		history_view_begin(&hv, iv, empty);
		for (;;)
		{
			oldcxt = MemoryContextSwitchTo(rowcxt);
			if (!history_view_next(&hv, v))
				break;
			put_row(fcinfo, v, n);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(rowcxt);
		}
		MemoryContextSwitchTo(oldcxt);
		info_end(ic);
		return;
	}
	if (range)
	{
		pm_error	err;

		inrange = palloc0(ic->pg->n + 1);
		if (!pm_range_resolve(ic->pg->g, range, inrange, &err))
			pgmig_report(&err);
	}
	topo = pm_graph_topo(ic->pg->g);
	for (k = ic->pg->n - 1; k >= 0; k--)
	{
		int			i = topo[k];
		const pm_rev *r = pm_graph_rev(ic->pg->g, i);

		if (inrange && !inrange[i])
			continue;
		oldcxt = MemoryContextSwitchTo(rowcxt);
		history_values(v, empty, r->id, r->parent_names, r->nparents,
					   r->dep_names, r->ndeps, r->labels, r->nlabels,
					   ic->pg->message[i], r->applied, r->nchildren,
					   r->nparents_ok);
		put_row(fcinfo, v, n);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
	}	info_end(ic);
}

/*
 * Begin a history() call: true with *iv the stored image's view (a
 * backend's first call without a range), else false with ic->pg the graph.
 */
static bool
history_begin(FunctionCallInfo fcinfo, InfoCall *ic, PgmigImageView *iv)
{
	if (PG_ARGISNULL(0))
		return info_begin_view(ic, iv, PGMIG_VIEW_APPLIED_ALL, false);
	info_begin(ic, false);
	return false;
}

/*
 * pgmig.history() as it was declared up to 0.3 (the C function itself);
 * kept for the install scripts that still name it.  Every row goes into a
 * tuplestore.
 */
PG_FUNCTION_INFO_V1(pgmig_history);
Datum
pgmig_history(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	PgmigImageView iv;
	bool		view;

	pgmig_srf_init(fcinfo);
	view = history_begin(fcinfo, &ic, &iv);
	history_store(fcinfo, &ic, view ? &iv : NULL,
				  PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	return (Datum) 0;
}

/*
 * pgmig._history_rows() is executable by PUBLIC, so that EXECUTE on
 * pgmig.history(text), the SQL function that calls it, stays all a role
 * needs (README, Privileges): it answers only a role that may call that.
 */
static void
history_rows_allowed(void)
{
	Oid			argtypes[1] = {TEXTOID};
	Oid			history = LookupFuncName(list_make2(makeString("pgmig"),
													makeString("history")),
										 1, argtypes, false);

	if (PGMIG_PROC_ACLCHECK(history, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, "history");
}

/*
 * pgmig._history_rows(range): the rows of pgmig.history(), which is a SQL
 * function calling this in its select list so that the planner inlines it
 * (sql/0.4/50_graph_store.sql).  A backend's first call without a
 * range hands the stored image's rows over one per call (ValuePerCall):
 * nothing is materialised, where a tuplestore of 100,000 rows was half the
 * call.  Every other call answers from the built graph through a
 * tuplestore, as history() always did.
 */
PG_FUNCTION_INFO_V1(pgmig_history_rows);
Datum
pgmig_history_rows(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	HistoryView *hv;
	Datum		v[HISTORY_COLUMNS];
	bool		n[HISTORY_COLUMNS] = {0};

	if (SRF_IS_FIRSTCALL())
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
		MemoryContext cxt;
		MemoryContext oldcxt;
		InfoCall	ic;
		PgmigImageView *iv;
		TupleDesc	tupdesc;

		history_rows_allowed();
		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
			!(rsinfo->allowedModes & SFRM_ValuePerCall) || !PG_ARGISNULL(0))
			return pgmig_history(fcinfo);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		/* the view outlives the call: it is the rows still to come */
		cxt = AllocSetContextCreate(rsinfo->econtext->ecxt_per_query_memory,
									"pgmig history", ALLOCSET_DEFAULT_SIZES);
		oldcxt = MemoryContextSwitchTo(cxt);
		iv = palloc(sizeof(PgmigImageView));
		if (!info_begin_view(&ic, iv, PGMIG_VIEW_APPLIED_ALL, false))
		{
			/* no view: the built graph's rows, stored */
			pgmig_srf_init(fcinfo);
			history_store(fcinfo, &ic, NULL, NULL);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextDelete(cxt);
			return (Datum) 0;
		}
		/* SPI's part ends here; the call's memory stays, with the view */
		pgmig_call_keep(ic.oldcxt);
		funcctx = SRF_FIRSTCALL_INIT();
		MemoryContextSetParent(cxt, funcctx->multi_call_memory_ctx);
		hv = palloc(sizeof(HistoryView));
		history_view_begin(hv, iv, PointerGetDatum(construct_empty_array(TEXTOID)));
		funcctx->tuple_desc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		funcctx->user_fctx = hv;
		MemoryContextSwitchTo(oldcxt);
	}
	funcctx = SRF_PERCALL_SETUP();
	hv = funcctx->user_fctx;
	if (!history_view_next(hv, v))
		SRF_RETURN_DONE(funcctx);
	SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, v, n)));
}

/* The steps a command would take (also used by offline.c): see pm_plan_command. */
int
pgmig_plan_command(PgmigGraph *pg, const char *command, const char *target,
				   pm_set *steps)
{
	pm_error	err;
	int			kind = pm_plan_command(pg->g, command, target, steps, &err);

	if (kind < 0)
		pgmig_report(&err);
	return kind;
}

/*
 * One row of plan(), its texts made in rowcxt and freed once stored: at
 * 50,000 steps they were most of a new backend's page faults.
 */
static void
put_plan_row(FunctionCallInfo fcinfo, MemoryContext rowcxt, int step,
			 const char *action, const char *id, const char *message,
			 bool transactional)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(rowcxt);
	Datum		v[5];
	bool		n[5] = {0};

	v[0] = Int32GetDatum(step);
	v[1] = CStringGetTextDatum(action);
	v[2] = CStringGetTextDatum(id);
	v[3] = CStringGetTextDatum(message);
	v[4] = BoolGetDatum(transactional);
	put_row(fcinfo, v, n);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(rowcxt);
}

PG_FUNCTION_INFO_V1(pgmig_plan);
Datum
pgmig_plan(PG_FUNCTION_ARGS)
{
	char	   *command = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	InfoCall	ic;
	PgmigImageView iv;
	pm_set		targets;
	pm_set		steps;
	int			kind;
	int			k;
	MemoryContext rowcxt;

	pgmig_srf_init(fcinfo);
	if (strcmp(command, "upgrade") == 0 &&
		info_begin_target(&ic, &iv, PGMIG_VIEW_APPLIED_ALL, target, &targets))
	{
		/* the upgrade plan a new backend's first call reads in the view */
		bool		arena = pgmig_big_arena_begin((Size) 9 * iv.v.n);

		pm_image_view_plan_upgrade(&iv.v, &targets, iv.applied, &steps);
		if (arena)
			pgmig_core_arena_end();
		rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig plan row",
									   ALLOCSET_SMALL_SIZES);
		for (k = 0; k < steps.n; k++)
		{
			pm_image_rec r;

			pm_image_view_rec(&iv.v, steps.items[k], &r);
			put_plan_row(fcinfo, rowcxt, k + 1, "upgrade", r.id, r.message,
						 (r.flags & PM_IMAGE_TRANSACTIONAL) != 0);
		}
		info_end(&ic);
		return (Datum) 0;
	}
	if (strcmp(command, "upgrade") != 0)
		info_begin(&ic, true);
	kind = pgmig_plan_command(ic.pg, command, target, &steps);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig plan row",
								   ALLOCSET_SMALL_SIZES);
	for (k = 0; k < steps.n; k++)
	{
		int			i = steps.items[k];
		const pm_rev *r = pm_graph_rev(ic.pg->g, i);
		const char *action;

		if (kind == 0)
			action = "upgrade";
		else if (kind == 1)
			action = "downgrade";
		else
			action = r->applied ? "unstamp" : "stamp";
		put_plan_row(fcinfo, rowcxt, k + 1, action, r->id, ic.pg->message[i],
					 ic.pg->transactional[i]);
	}
	info_end(&ic);
	return (Datum) 0;
}

/* Collect check() rows: graph problems plus applied-set problems. */
typedef struct CheckRow
{
	const char *severity;
	char	   *revision;
	char	   *problem;
} CheckRow;

/* Order "c<id>" / "m<id>" strings by id. */
static int
cmp_tagged_ids(const ListCell *a, const ListCell *b)
{
	return strcmp((char *) lfirst(a) + 1, (char *) lfirst(b) + 1);
}

/* The rows whose scripts check() hashes: given by ctid, or all of them. */
#define RECHECK_COLUMNS \
"SELECT r.id, a.checksum, r.checksum, r.upgrade, r.downgrade," \
"       r.transactional, r.ctid, r.xmin" \
"  FROM pgmig.revision r" \
"  LEFT JOIN pgmig.applied a ON a.revision OPERATOR(pg_catalog.=) r.id"
static const char *recheck_query_by_tid = RECHECK_COLUMNS
" WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($1)";
static const char *recheck_query_all = RECHECK_COLUMNS;

/* "c<id> <applied> <now>": an applied revision whose scripts changed since */
static char *
changed_since_applied(const char *id, const char *applied, const char *now)
{
	return psprintf("c%s %.12s %.12s", id, applied, now);
}

/*
 * For the record (pgmig_verified_write): the number of the revision an
 * applied row names in the graph, which is the image's when the image
 * matched the graph (every revision in the same place).
 */
static int
applied_rev_number(void *arg, bool known, int rev, text *id, text *ck)
{
	PgmigGraph *pg = (PgmigGraph *) arg;
	char		buf[PM_MAX_ID_LEN + 1];
	int			len;

	if (id == NULL || (len = VARSIZE_ANY_EXHDR(id)) > PM_MAX_ID_LEN)
		return -1;
	memcpy(buf, VARDATA_ANY(id), len);
	buf[len] = '\0';
	return pm_graph_find(pg->g, buf);
}

/*
 * Checksum problems, as "c..." (changed since applied) and "s<id> <stored>
 * <now>" (the stored checksum is not the scripts' hash) strings, and the
 * number of rows in pgmig.applied.
 *
 * Checksums are recomputed from the scripts, never taken from the stored
 * column, for every row version that no check() verified before (a
 * script changed with pgmig's triggers bypassed, session_replication_role
 * = replica or DISABLE TRIGGER, is a new row version, so it is hashed).
 * For verified versions the stored column is the scripts' hash.  The
 * versions found right are recorded for the next check().
 */
static List *
checksum_problems(InfoCall *ic, int64 *napplied)
{
	PgmigGraph *pg = ic->pg;
	List	   *found = NIL;
	int			i;

	if (ic->iv != NULL)
	{
		PgmigImageView *iv = ic->iv;

		/* nothing changed since verified: the stored checksums are right */
		for (i = 0; i < iv->v.n; i++)
			if (iv->changed[i] != NULL)
			{
				char		now[65];
				int			k;

				for (k = 0; k < 32; k++)
					snprintf(now + 2 * k, 3, "%02x", iv->sums[32 * i + k]);
				found = lappend(found, changed_since_applied(verdict_id(ic, i),
															 iv->changed[i], now));
			}
		*napplied = iv->applied_rows;
		return found;
	}

	{
		PgmigRowKey *keys;
		int			nkeys;
		PgmigRowKey *verified;
		int			nverified = 0;
		bool		all_right = true;
		PgmigRowKey image_key;
		char	   *image_problem;
		/* the row versions to hash, 6 bytes each (100,000 after a bulk load) */
		ItemPointerData *recheck = palloc(sizeof(ItemPointerData) * (pg->n + 1));
		int			nrecheck = 0;

		keys = pgmig_row_keys("revision", &nkeys);
		verified = palloc(sizeof(PgmigRowKey) * (nkeys + 1));
		for (i = 0; i < pg->n; i++)
		{
			PgmigRowKey key = {pg->row_tid[i], pg->row_xmin[i], false};

			if (!pgmig_verified_has(&ic->verified, key.tid, key.xmin))
			{
				/* ItemPointerSet is a macro: its pointer is evaluated more than once */
				ItemPointerSet(&recheck[nrecheck], (BlockNumber) (key.tid >> 16),
							   (OffsetNumber) (key.tid & 0xffff));
				nrecheck++;
				continue;
			}
			/* verified before: the stored checksum is the scripts' hash */
			if (pg->changed_from[i] != NULL)
				found = lappend(found, changed_since_applied(pm_graph_rev(pg->g, i)->id,
															 pg->changed_from[i],
															 pg->changed_to[i]));
		}

		if (nrecheck > 0)
		{
			/*
			 * Hash the scripts of the rows not verified before, a batch at a
			 * time (memory: one batch of scripts).  When most rows need it
			 * (the first check()), one sequential scan beats fetching each
			 * by ctid.
			 */
			bool		by_tid = nrecheck <= pg->n / 4;
			Oid			types[1] = {TIDARRAYOID};
			Datum		values[1] = {(Datum) 0};
			SPIPlanPtr	plan;
			Portal		portal;
			MemoryContext callcxt = CurrentMemoryContext;
			MemoryContext batchcxt = AllocSetContextCreate(callcxt, "pgmig check batch",
														   ALLOCSET_DEFAULT_SIZES);

			if (by_tid)
			{
				Datum	   *tids = palloc(sizeof(Datum) * nrecheck);
				int			k;

				for (k = 0; k < nrecheck; k++)
					tids[k] = PointerGetDatum(&recheck[k]);
				values[0] = PointerGetDatum(construct_array(tids, nrecheck, TIDOID,
															sizeof(ItemPointerData),
															false, TYPALIGN_SHORT));
			}
			plan = SPI_prepare(by_tid ? recheck_query_by_tid : recheck_query_all,
							   by_tid ? 1 : 0, types);
			if (plan == NULL)
				elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
			portal = SPI_cursor_open(NULL, plan, by_tid ? values : NULL, NULL, true);
			MemoryContextSwitchTo(callcxt);
			while (pgmig_spi_cursor_fetch(portal, 5000) > 0)
			{
				uint64		row;
				uint64		nrows = SPI_processed;

				for (row = 0; row < nrows; row++)
				{
					char	   *id;
					char	   *applied_ck;
					char	   *stored;
					char	   *up;
					char	   *down;
					bool		tx;
					bool		isnull;
					uint64		tid;
					uint32		xmin;
					char		now[65];

					MemoryContextSwitchTo(batchcxt);
					tid = pgmig_tid_key((ItemPointer) DatumGetPointer(pgmig_spi_datum(row, 7, &isnull)));
					xmin = DatumGetTransactionId(pgmig_spi_datum(row, 8, &isnull));
					if (!by_tid && pgmig_verified_has(&ic->verified, tid, xmin))
					{
						MemoryContextSwitchTo(callcxt);
						continue;	/* verified before: counted above */
					}
					id = pgmig_spi_text(row, 1);
					applied_ck = pgmig_spi_text(row, 2);
					stored = pgmig_spi_text(row, 3);
					up = pgmig_spi_text(row, 4);
					down = pgmig_spi_text(row, 5);
					tx = pgmig_spi_bool(row, 6, true);
					pm_checksum(up ? up : "", down, tx, now);
					MemoryContextSwitchTo(callcxt);
					if (applied_ck != NULL && strcmp(applied_ck, now) != 0)
						found = lappend(found, changed_since_applied(id, applied_ck, now));
					if (stored == NULL || strcmp(stored, now) != 0)
					{
						found = lappend(found, psprintf("s%s %.12s %.12s", id, stored ? stored : "", now));
						all_right = false;
					}
					else
					{
						verified[nverified].tid = tid;
						verified[nverified].xmin = xmin;
						nverified++;
					}
				}
				SPI_freetuptable(SPI_tuptable);
				MemoryContextReset(batchcxt);
			}
			SPI_cursor_close(portal);
			SPI_freeplan(plan);
			MemoryContextDelete(batchcxt);
		}

		/*
		 * Record every row version now known right (the ones verified
		 * before, and the ones just hashed), with the frozen flags the
		 * header scan saw; and the image row's version when the image and
		 * its checksums match the rows and every row is right.
		 */
		{
			PgmigRowKey *record = palloc(sizeof(PgmigRowKey) * (nkeys + 1));
			int			nrecord = 0;
			int			k;

			qsort(verified, nverified, sizeof(PgmigRowKey), pgmig_row_key_cmp);
			for (k = 0; k < nkeys; k++)
			{
				if (pgmig_verified_has(&ic->verified, keys[k].tid, keys[k].xmin) ||
					bsearch(&keys[k], verified, nverified, sizeof(PgmigRowKey),
							pgmig_row_key_cmp) != NULL)
					record[nrecord++] = keys[k];
				else
					all_right = false;
			}
			verified = record;
			nverified = nrecord;
		}
		image_problem = pgmig_graph_image_problem(pg, &image_key);
		if (image_problem != NULL)
			ic->image_problem = image_problem;
		if (all_right && image_problem == NULL && image_key.tid != 0 &&
			nverified == nkeys && nkeys == pg->n)
		{
			/*
			 * pgmig.applied's rows too, when this read all of them (no row
			 * level security for the caller) and none carries a checksum
			 * other than its revision's stored one.
			 */
			PgmigRowKey *applied = NULL;
			int			m = 0;
			AttrNumber	att_rev;
			AttrNumber	att_ck;
			bool		applied_right = pgmig_applied_readable(&att_rev, &att_ck);

			for (i = 0; applied_right && i < pg->n; i++)
				if (pg->changed_from[i] != NULL)
					applied_right = false;
			if (applied_right)
			{
				PgmigVerified none;

				memset(&none, 0, sizeof(none));
				if (!pgmig_verified_applied_scan(&none, pg->n, att_rev, att_ck,
												 applied_rev_number, pg,
												 &applied, &m))
					applied = NULL;
			}
			pgmig_verified_write(verified, nverified, &image_key, applied, m);
		}
		else
			pgmig_verified_write(verified, nverified, NULL, NULL, 0);
	}
	*napplied = pg_strtoint64(pgmig_spi_scalar("SELECT pg_catalog.count(*) FROM pgmig.applied",
											  0, NULL, NULL, NULL));
	return found;
}

static List *
collect_problems(InfoCall *ic)
{
	PgmigGraph *pg = ic->pg;
	List	   *rows = NIL;
	int			k;
	int			i;
	int			n = verdict_n(ic);
	pm_set		heads;
	uint64		r;
	int		   *prereqs = NULL;
	int			room = 0;

#define ADD(sev, rev, ...) do { \
		CheckRow *cr = palloc(sizeof(CheckRow)); \
		cr->severity = (sev); cr->revision = (rev) ? pstrdup(rev) : NULL; \
		cr->problem = psprintf(__VA_ARGS__); \
		rows = lappend(rows, cr); \
	} while (0)

	/* (a verified image is of a graph without problems) */
	for (k = 0; pg != NULL && k < pm_graph_nproblems(pg->g); k++)
	{
		const pm_problem *p = pm_graph_problem(pg->g, k);

		ADD(p->severity, p->rev >= 0 ? pm_graph_rev(pg->g, p->rev)->id : NULL,
			"%s", p->text);
	}

	/* applied set closed under ancestry */
	for (i = 0; i < n; i++)
	{
		int			np;
		int			ne;

		if (!verdict_applied(ic, i))
			continue;
		if (verdict_max_edges(ic, i) > room)
		{
			room = Max(verdict_max_edges(ic, i), 2 * room);
			prereqs = prereqs ? repalloc(prereqs, sizeof(int) * room) :
				palloc(sizeof(int) * room);
		}
		ne = verdict_prereqs(ic, i, prereqs, &np);
		for (k = 0; k < ne; k++)
			if (!verdict_applied(ic, prereqs[k]))
				ADD("error", verdict_id(ic, i),
					"revision \"%s\" is applied but its %s \"%s\" is not",
					verdict_id(ic, i), k < np ? "parent" : "dependency",
					verdict_id(ic, prereqs[k]));
	}

	/*
	 * Changed since applied (from the graph read), and applied rows with no
	 * revision (queried only when the counts say there are some); both
	 * reported in revision id order.
	 */
	{
		List	   *found = NIL;
		ListCell   *lc;
		int64		napplied = 0;

		if (ic->verdict)
			found = checksum_problems(ic, &napplied);
		else
			napplied = pg_strtoint64(pgmig_spi_scalar("SELECT pg_catalog.count(*) FROM pgmig.applied",
													 0, NULL, NULL, NULL));
		if (napplied > (pg ? pg->napplied : ic->iv->napplied))
		{
			int			nmissing;
			char	  **missing;

			missing = pgmig_spi_column("SELECT a.revision FROM pgmig.applied a"
									   " WHERE NOT EXISTS (SELECT 1 FROM pgmig.revision r"
									   "                    WHERE r.id OPERATOR(pg_catalog.=) a.revision)",
									   0, NULL, NULL, NULL, &nmissing);
			for (r = 0; r < nmissing; r++)
				found = lappend(found, psprintf("m%s", missing[r]));
		}
		list_sort(found, cmp_tagged_ids);
		foreach(lc, found)
		{
			char	   *tagged = lfirst(lc);
			char	   *rev = tagged + 1;

			if (tagged[0] == 'm')
				ADD("error", rev, "applied revision \"%s\" is not in pgmig.revision", rev);
			else
			{
				char	   *sp1 = strchr(rev, ' ');
				char	   *sp2 = strchr(sp1 + 1, ' ');

				*sp1 = *sp2 = '\0';
				if (tagged[0] == 'c')
					ADD("error", rev,
						"applied revision \"%s\" was changed after it was applied (checksum %s... is now %s...)",
						rev, sp1 + 1, sp2 + 1);
				else
					ADD("error", rev,
						"revision \"%s\" does not match its stored checksum (%s... but its scripts hash to %s...): it was changed with pgmig's triggers bypassed",
						rev, sp1 + 1, sp2 + 1);
			}
		}
	}

	verdict_heads(ic, &heads);
	if (heads.n > 1)
		ADD("warning", NULL, "the graph has %d heads: %s; merge them with pgmig.merge()",
			heads.n, pgmig_join_names(verdict_ids(ic, heads.items, heads.n), heads.n, ", "));

	/* irreversible revisions, in load order */
	for (i = 0; i < n; i++)
		if (verdict_irreversible(ic, i))
			ADD("warning", verdict_id(ic, i),
				"revision \"%s\" is irreversible (no downgrade script)",
				verdict_id(ic, i));

	/* schema objects changed outside a migration since the last run (0.4) */
	{
		List	   *changes;
		ListCell   *lc;

		ic->drift_objects = pgmig_drift_count(&changes);
		foreach(lc, changes)
		{
			PgmigChange *c = lfirst(lc);

			ADD("warning", NULL, "%s %s outside a migration%s%s%s; see pgmig.drift()",
				c->object, c->change, c->keys[0] ? " (" : "", c->keys, c->keys[0] ? ")" : "");
		}
		if (ic->drift_objects == -2)
			ADD("warning", NULL, "drift not counted: the schema could not be compared with the recorded one (the WARNING says why); retry, or see pgmig.drift()");
	}
#undef ADD
	return rows;
}

PG_FUNCTION_INFO_V1(pgmig_check);
Datum
pgmig_check(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	List	   *rows;
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	info_begin_verdict(&ic);
	rows = collect_problems(&ic);

	/* the tables were read: say when the stored image no longer describes them */
	if (ic.image_problem != NULL)
	{
		CheckRow   *cr = palloc(sizeof(CheckRow));

		cr->severity = "error";
		cr->revision = NULL;
		cr->problem = ic.image_problem;
		rows = lappend(rows, cr);
	}
	foreach(lc, rows)
	{
		CheckRow   *cr = lfirst(lc);
		Datum		v[3];
		bool		n[3] = {false, cr->revision == NULL, false};

		v[0] = CStringGetTextDatum(cr->severity);
		v[1] = cr->revision ? CStringGetTextDatum(cr->revision) : (Datum) 0;
		v[2] = CStringGetTextDatum(cr->problem);
		put_row(fcinfo, v, n);
	}
	info_end(&ic);
	return (Datum) 0;
}

static void
dot_escape(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		if (*s == '\n')
		{
			appendStringInfoString(buf, "\\n");
			continue;
		}
		appendStringInfoChar(buf, *s);
	}
}

PG_FUNCTION_INFO_V1(pgmig_graph);
Datum
pgmig_graph(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	StringInfoData buf;
	int			i;
	int			k;
	text	   *result;

	info_begin(&ic, false);
	initStringInfo(&buf);
	appendStringInfoString(&buf,
						   "digraph pgmig {\n"
						   "  rankdir=BT;\n"
						   "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
	for (i = 0; i < ic.pg->n; i++)
	{
		const pm_rev *r = pm_graph_rev(ic.pg->g, i);

		appendStringInfo(&buf, "  \"%s\" [label=\"%s\\n", r->id, r->id);
		dot_escape(&buf, ic.pg->message[i]);
		if (r->nlabels > 0)
		{
			appendStringInfoString(&buf, "\\n(");
			for (k = 0; k < r->nlabels; k++)
				appendStringInfo(&buf, "%s%s", k ? ", " : "", r->labels[k]);
			appendStringInfoChar(&buf, ')');
		}
		appendStringInfo(&buf, "\", fillcolor=\"%s\"%s];\n",
						 r->applied ? "palegreen" : "white",
						 r->applied ? "" : ", style=\"rounded,dashed\"");
	}
	for (i = 0; i < ic.pg->n; i++)
	{
		const pm_rev *r = pm_graph_rev(ic.pg->g, i);

		for (k = 0; k < r->nparents_ok; k++)
			appendStringInfo(&buf, "  \"%s\" -> \"%s\";\n", r->id,
							 pm_graph_rev(ic.pg->g, r->parents[k])->id);
		for (k = 0; k < r->ndeps_ok; k++)
			appendStringInfo(&buf, "  \"%s\" -> \"%s\" [style=dashed, label=\"depends_on\"];\n",
							 r->id, pm_graph_rev(ic.pg->g, r->deps[k])->id);
	}
	appendStringInfoString(&buf, "}\n");
	MemoryContextSwitchTo(ic.oldcxt);
	result = cstring_to_text_with_len(buf.data, buf.len);
	MemoryContextSwitchTo(ic.callcxt);
	info_end(&ic);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(pgmig_status);
Datum
pgmig_status(PG_FUNCTION_ARGS)
{
	InfoCall	ic;
	pm_set		cur;
	pm_set		heads;
	int			pending = 0;
	int			i;
	List	   *problems;
	Datum		v[8];
	bool		n[8] = {0};
	int64		drift;
	int			holder;

	pgmig_srf_init(fcinfo);
	info_begin_verdict(&ic);
	verdict_current(&ic, &cur);
	verdict_heads(&ic, &heads);
	for (i = 0; i < verdict_n(&ic); i++)
		if (!verdict_applied(&ic, i))
			pending++;
	problems = collect_problems(&ic);

	/*
	 * drift: the objects that differ from the schema recorded after the last
	 * run (0.4); before anything was recorded, the DDL statements the guard
	 * logged in pgmig.drift (0.2; absent in 0.1)
	 */
	drift = ic.drift_objects;
	if (drift == -2)
		n[4] = true;			/* not counted: the WARNING says why */
	else if (drift < 0)
		drift = pgmig_spi_scalar("SELECT pg_catalog.to_regclass('pgmig.drift')",
								 0, NULL, NULL, NULL) == NULL ? 0 :
			pg_strtoint64(pgmig_spi_scalar("SELECT pg_catalog.count(*) FROM pgmig.drift",
										   0, NULL, NULL, NULL));

	v[0] = pgmig_cstring_array(verdict_ids(&ic, cur.items, cur.n), cur.n);
	v[1] = pgmig_cstring_array(verdict_ids(&ic, heads.items, heads.n), heads.n);
	v[2] = Int32GetDatum(pending);
	v[3] = Int32GetDatum(list_length(problems));
	v[4] = Int64GetDatum(drift);

	n[5] = n[6] = n[7] = true;
	holder = pgmig_lock_holder();
	if (holder != 0)
	{
		Oid			types[1] = {INT4OID};
		Datum		args[1];

		v[5] = Int32GetDatum(holder);
		n[5] = false;
		args[0] = Int32GetDatum(holder);
		if (pgmig_spi_exec("SELECT a.usename, COALESCE(a.xact_start, a.backend_start)"
						   "  FROM pg_catalog.pg_stat_activity a"
						   " WHERE a.pid OPERATOR(pg_catalog.=) $1",
						   1, types, args, NULL, false, 1, SPI_OK_SELECT) == 1)
		{
			v[6] = pgmig_spi_datum(0, 1, &n[6]);
			v[7] = pgmig_spi_datum(0, 2, &n[7]);
		}
		pgmig_spi_done();
	}
	put_row(fcinfo, v, n);
	info_end(&ic);
	return (Datum) 0;
}
