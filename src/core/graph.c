/*-------------------------------------------------------------------------
 *
 * graph.c
 *	  The revision graph: name lookup, validation, ordering and plans.
 *
 * Rules this file keeps:
 *	- linear time and memory in revisions + edges (hash lookup, iterative
 *	  traversals, no per-pair work);
 *	- determinism: every order is derived from load order (the index) and
 *	  the declared order of parents, never from hash order;
 *	- no recursion (histories can be 100,000 revisions deep).
 *
 *-------------------------------------------------------------------------
 */
#include "graph.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct pm_hslot
{
	const char *key;
	int			val;
	uint32_t	code;
} pm_hslot;

struct pm_graph
{
	int			n;
	int			cap;
	pm_rev	   *revs;

	/*
	 * open addressing: ids and labels, value = index (labels: -2 - index).
	 * A slot holds its key, value and the key's hash together, so a probe
	 * is one cache line and compares strings only when the hashes are
	 * equal (at 100,000 ids each array or string touched is a cache miss).
	 */
	int			hcap;			/* power of two */
	pm_hslot   *hslots;			/* key NULL: empty */
	bool		names_pending;	/* built on the first lookup (image reader) */
	void	   *alloc_cxt;		/* where the graph was made (pm_alloc_context) */

	int		   *topo;			/* topological order */
	bool		built;
	bool		borrow;			/* names are the caller's: not copied, not freed */

	/* all edge lists live in two arrays, one slice per revision */
	int		   *edge_arena;		/* parents and deps */
	int		   *rev_arena;		/* children and dependents */

	pm_problem *problems;
	int			nproblems;
	int			capproblems;
};

static uint32_t
hash_str(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s)
	{
		h ^= (unsigned char) *s++;
		h *= 16777619u;
	}
	/* finalise (MurmurHash3's fmix32): sequential ids spread over all bits */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static void
add_problem(pm_graph *g, const char *severity, int rev, const char *text)
{
	if (g->nproblems == g->capproblems)
	{
		g->capproblems = g->capproblems ? g->capproblems * 2 : 16;
		g->problems = pm_realloc(g->problems,
								 sizeof(pm_problem) * g->capproblems);
	}
	g->problems[g->nproblems].severity = severity;
	g->problems[g->nproblems].rev = rev;
	g->problems[g->nproblems].text = pm_strdup(text);
	g->nproblems++;
}

pm_graph *
pm_graph_new(int size_hint)
{
	pm_graph   *g = pm_malloc(sizeof(pm_graph));

	memset(g, 0, sizeof(pm_graph));
	g->alloc_cxt = pm_alloc_context();
	g->cap = size_hint > 16 ? size_hint : 16;
	g->revs = pm_malloc(sizeof(pm_rev) * g->cap);
	return g;
}

pm_graph *
pm_graph_new_borrowed(int size_hint)
{
	pm_graph   *g = pm_graph_new(size_hint);

	g->borrow = true;
	return g;
}

static char **
copy_names(const char *const *names, int n)
{
	char	  **r;
	int			i;

	if (n <= 0)
		return NULL;
	r = pm_malloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
		r[i] = pm_strdup(names[i] ? names[i] : "");
	return r;
}

int
pm_graph_add(pm_graph *g, const char *id,
			 const char *const *parents, int nparents,
			 const char *const *deps, int ndeps,
			 const char *const *labels, int nlabels,
			 bool applied)
{
	pm_rev	   *r;

	if (g->n == g->cap)
	{
		g->cap *= 2;
		g->revs = pm_realloc(g->revs, sizeof(pm_rev) * g->cap);
	}
	r = &g->revs[g->n];
	memset(r, 0, sizeof(pm_rev));
	if (g->borrow)
	{
		r->id = (char *) id;
		r->parent_names = (char **) parents;
		r->dep_names = (char **) deps;
		r->labels = (char **) labels;
	}
	else
	{
		r->id = pm_strdup(id);
		r->parent_names = copy_names(parents, nparents);
		r->dep_names = copy_names(deps, ndeps);
		r->labels = copy_names(labels, nlabels);
	}
	r->nparents = nparents > 0 ? nparents : 0;
	r->ndeps = ndeps > 0 ? ndeps : 0;
	r->nlabels = nlabels > 0 ? nlabels : 0;
	r->applied = applied;
	r->topo = -1;
	g->built = false;
	return g->n++;
}

static void
free_names(char **names, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		pm_free(names[i]);
	if (names)
		pm_free(names);
}

static void
free_built(pm_graph *g)
{
	int			i;

	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		r->parents = r->deps = r->children = r->dependents = NULL;
		r->nparents_ok = r->ndeps_ok = r->nchildren = r->ndependents = 0;
	}
	if (g->edge_arena)
		pm_free(g->edge_arena);
	if (g->rev_arena)
		pm_free(g->rev_arena);
	g->edge_arena = g->rev_arena = NULL;
	if (g->hslots)
		pm_free(g->hslots);
	g->hslots = NULL;
	g->hcap = 0;
	g->names_pending = false;
	if (g->topo)
		pm_free(g->topo);
	g->topo = NULL;
	for (i = 0; i < g->nproblems; i++)
		pm_free(g->problems[i].text);
	g->nproblems = 0;
}

void
pm_graph_free(pm_graph *g)
{
	int			i;

	if (g == NULL)
		return;
	free_built(g);
	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		if (g->borrow)
			continue;
		pm_free(r->id);
		free_names(r->parent_names, r->nparents);
		free_names(r->dep_names, r->ndeps);
		free_names(r->labels, r->nlabels);
	}
	pm_free(g->revs);
	if (g->problems)
		pm_free(g->problems);
	pm_free(g);
}

static bool build_names(pm_graph *g, bool strict, pm_error *err);

/* Look a key up; returns its value or INT32_MIN when absent. */
static int
hash_get(const pm_graph *g, const char *key)
{
	uint32_t	mask;
	uint32_t	code;
	uint32_t	h;

	if (g->names_pending)
	{
		/*
		 * The lookup table is a cache: building it is not a change.  It is
		 * allocated where the graph was, since the graph may outlive what
		 * is current now (the server caches graphs across calls).
		 */
		pm_graph   *mg = (pm_graph *) g;
		pm_error	err;
		void	   *old = pm_alloc_use(mg->alloc_cxt);

		mg->names_pending = false;
		(void) build_names(mg, false, &err);
		(void) pm_alloc_use(old);
	}
	if (g->hcap == 0)
		return INT32_MIN;
	mask = (uint32_t) g->hcap - 1;
	code = hash_str(key);
	h = code & mask;
	while (g->hslots[h].key != NULL)
	{
		if (g->hslots[h].code == code && strcmp(g->hslots[h].key, key) == 0)
			return g->hslots[h].val;
		h = (h + 1) & mask;
	}
	return INT32_MIN;
}

/* Insert; returns the existing value if the key is present. */
static int
hash_put(pm_graph *g, char *key, int val)
{
	uint32_t	mask = (uint32_t) g->hcap - 1;
	uint32_t	code = hash_str(key);
	uint32_t	h = code & mask;

	while (g->hslots[h].key != NULL)
	{
		if (g->hslots[h].code == code && strcmp(g->hslots[h].key, key) == 0)
			return g->hslots[h].val;
		h = (h + 1) & mask;
	}
	g->hslots[h].key = key;
	g->hslots[h].val = val;
	g->hslots[h].code = code;
	return INT32_MIN;
}

/*
 * Fail (strict) or record (lenient) a problem.  Returns true when the
 * caller must stop.
 */
static bool
problem(pm_graph *g, bool strict, pm_error *err, pm_errcode code, int rev,
		const char *text, const char *hint)
{
	if (strict)
	{
		pm_error_set(err, code, "%s", text);
		if (hint)
			pm_error_hint(err, "%s", hint);
		return true;
	}
	add_problem(g, "error", rev, text);
	return false;
}

/* Resolve one name list into indices. */
static bool
resolve_edges(pm_graph *g, int i, bool deps, bool strict, pm_error *err)
{
	pm_rev	   *r = &g->revs[i];
	char	  **names = deps ? r->dep_names : r->parent_names;
	int			n = deps ? r->ndeps : r->nparents;
	int			k;
	char		text[512];

	for (k = 0; k < n; k++)
	{
		int			v = hash_get(g, names[k]);

		if (v == INT32_MIN || v < 0)
		{
			snprintf(text, sizeof(text),
					 "revision \"%s\" has unknown %s \"%s\"", r->id,
					 deps ? "dependency" : "parent", names[k]);
			if (problem(g, strict, err, PM_ERR_UNDEFINED, i, text,
						v != INT32_MIN ? (deps ?
										  "A branch label cannot be used as a dependency; name the revision id." :
										  "A branch label cannot be used as a parent; name the revision id.") :
						"Load the missing revision first, or correct the revision's down_revision/depends_on."))
				return false;
			continue;
		}
		if (v == i)
		{
			snprintf(text, sizeof(text), "revision \"%s\" lists itself as a %s",
					 r->id, deps ? "dependency" : "parent");
			if (problem(g, strict, err, PM_ERR_CYCLE, i, text, NULL))
				return false;
			continue;
		}
		if (deps)
			r->deps[r->ndeps_ok++] = v;
		else
		{
			int			j;
			bool		dup = false;

			for (j = 0; j < r->nparents_ok; j++)
				if (r->parents[j] == v)
					dup = true;
			if (dup)
				continue;
			r->parents[r->nparents_ok++] = v;
		}
	}
	return true;
}

/*
 * Depth-first post-order over parents then dependencies, starting at the
 * given roots in order; emits each vertex after everything it needs.
 * Gray vertices met again are cycles: strict build reports them.
 *
 * color: 0 white, 1 gray (on stack), 2 black.  stack holds (vertex, next
 * edge) pairs; edges 0..nparents_ok-1 are parents, then dependencies.
 */
static bool
dfs_postorder(const pm_graph *g, const int *roots, int nroots,
			  unsigned char *color, int *out, int *nout,
			  int *cycle_at)
{
	int		   *stack = pm_malloc(sizeof(int) * 2 * (g->n + 1));
	int			k;

	*cycle_at = -1;
	for (k = 0; k < nroots; k++)
	{
		int			sp = 0;

		if (color[roots[k]] != 0)
			continue;
		stack[0] = roots[k];
		stack[1] = 0;
		sp = 1;
		color[roots[k]] = 1;
		while (sp > 0)
		{
			int			v = stack[2 * (sp - 1)];
			int			e = stack[2 * (sp - 1) + 1];
			const pm_rev *r = &g->revs[v];
			int			ne = r->nparents_ok + r->ndeps_ok;

			if (e < ne)
			{
				int			w = e < r->nparents_ok ? r->parents[e] :
				r->deps[e - r->nparents_ok];

				stack[2 * (sp - 1) + 1] = e + 1;
				if (color[w] == 0)
				{
					color[w] = 1;
					stack[2 * sp] = w;
					stack[2 * sp + 1] = 0;
					sp++;
				}
				else if (color[w] == 1 && *cycle_at < 0)
					*cycle_at = w;
				continue;
			}
			color[v] = 2;
			if (out)
				out[(*nout)++] = v;
			sp--;
		}
	}
	pm_free(stack);
	return *cycle_at < 0;
}

/*
 * Reverse edges from the resolved forward edges: count, slice rev_arena,
 * fill in index order (so children are listed in load order).
 */
static void
build_reverse_edges(pm_graph *g)
{
	int			i;
	int			k;
	size_t		total = 0;
	size_t		off = 0;

	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		for (k = 0; k < r->nparents_ok; k++)
			g->revs[r->parents[k]].nchildren++;
		for (k = 0; k < r->ndeps_ok; k++)
			g->revs[r->deps[k]].ndependents++;
		total += r->nparents_ok + r->ndeps_ok;
	}
	g->rev_arena = pm_malloc(sizeof(int) * (total + 1));
	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		r->children = g->rev_arena + off;
		off += r->nchildren;
		r->dependents = g->rev_arena + off;
		off += r->ndependents;
		r->nchildren = r->ndependents = 0;
	}
	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		for (k = 0; k < r->nparents_ok; k++)
		{
			pm_rev	   *p = &g->revs[r->parents[k]];

			p->children[p->nchildren++] = i;
		}
		for (k = 0; k < r->ndeps_ok; k++)
		{
			pm_rev	   *p = &g->revs[r->deps[k]];

			p->dependents[p->ndependents++] = i;
		}
	}
}

/*
 * Ids and labels into the hash table, each checked for form and
 * uniqueness (ids first, so a label clashing with an id is found either
 * way).  Returns false when strict and a problem was found.
 */
static bool
build_names(pm_graph *g, bool strict, pm_error *err)
{
	int			i;
	int			k;
	int			nkeys = 0;
	char		text[512];

	for (i = 0; i < g->n; i++)
		nkeys += 1 + g->revs[i].nlabels;
	g->hcap = 16;
	while (g->hcap < nkeys * 2)
		g->hcap *= 2;
	g->hslots = pm_malloc(sizeof(pm_hslot) * g->hcap);
	memset(g->hslots, 0, sizeof(pm_hslot) * g->hcap);

	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		if (!pm_valid_name(r->id, strlen(r->id)) || pm_reserved_name(r->id))
		{
			snprintf(text, sizeof(text), pm_reserved_name(r->id) ?
					 "revision id \"%s\" is a reserved word" :
					 "invalid revision id \"%.80s\"", r->id);
			if (problem(g, strict, err, PM_ERR_INVALID_NAME, i, text,
						"Revision ids are 1 to 64 letters, digits or underscores, and not head, heads, base or current."))
				return false;
		}
		if (hash_put(g, r->id, i) != INT32_MIN)
		{
			snprintf(text, sizeof(text), "duplicate revision id \"%s\"", r->id);
			if (problem(g, strict, err, PM_ERR_DUPLICATE, i, text, NULL))
				return false;
		}
	}
	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];

		for (k = 0; k < r->nlabels; k++)
		{
			int			prev;

			if (!pm_valid_name(r->labels[k], strlen(r->labels[k])) ||
				pm_reserved_name(r->labels[k]))
			{
				snprintf(text, sizeof(text),
						 "revision \"%s\" has invalid branch label \"%.80s\"",
						 r->id, r->labels[k]);
				if (problem(g, strict, err, PM_ERR_INVALID_NAME, i, text,
							"Branch labels follow the rules of revision ids."))
					return false;
			}
			prev = hash_put(g, r->labels[k], -2 - i);
			if (prev != INT32_MIN)
			{
				if (prev >= 0)
					snprintf(text, sizeof(text),
							 "branch label \"%s\" of revision \"%s\" is also a revision id",
							 r->labels[k], r->id);
				else
					snprintf(text, sizeof(text),
							 "branch label \"%s\" is used by revisions \"%s\" and \"%s\"",
							 r->labels[k], g->revs[-2 - prev].id, r->id);
				if (problem(g, strict, err, PM_ERR_DUPLICATE, i, text,
							"A branch label must be unique and must not equal a revision id."))
					return false;
			}
		}
	}
	return true;
}

bool
pm_graph_build(pm_graph *g, bool strict, pm_error *err)
{
	int			i;
	char		text[512];
	unsigned char *color;
	int		   *all;
	int			nout = 0;
	int			cycle_at;

	pm_error_clear(err);
	free_built(g);

	if (!build_names(g, strict, err))
		return false;

	/* forward edges: one slice of edge_arena per revision */
	{
		size_t		total = 0;
		size_t		off = 0;

		for (i = 0; i < g->n; i++)
			total += g->revs[i].nparents + g->revs[i].ndeps;
		g->edge_arena = pm_malloc(sizeof(int) * (total + 1));
		for (i = 0; i < g->n; i++)
		{
			pm_rev	   *r = &g->revs[i];

			r->parents = g->edge_arena + off;
			off += r->nparents;
			r->deps = g->edge_arena + off;
			off += r->ndeps;
			if (!resolve_edges(g, i, false, strict, err))
				return false;
			if (!resolve_edges(g, i, true, strict, err))
				return false;
		}
	}

	build_reverse_edges(g);

	/* topological order: DFS from every vertex in load order */
	color = pm_malloc(g->n + 1);
	memset(color, 0, g->n + 1);
	all = pm_malloc(sizeof(int) * (g->n + 1));
	for (i = 0; i < g->n; i++)
		all[i] = i;
	g->topo = pm_malloc(sizeof(int) * (g->n + 1));
	if (!dfs_postorder(g, all, g->n, color, g->topo, &nout, &cycle_at))
	{
		snprintf(text, sizeof(text),
				 "revision graph has a cycle through revision \"%s\"",
				 g->revs[cycle_at].id);
		if (strict)
		{
			pm_error_set(err, PM_ERR_CYCLE, "%s", text);
			pm_error_hint(err, "Each revision's down_revision and depends_on must name older revisions.");
			pm_free(color);
			pm_free(all);
			return false;
		}
		add_problem(g, "error", cycle_at, text);
	}
	for (i = 0; i < nout; i++)
		g->revs[g->topo[i]].topo = i;
	pm_free(color);
	pm_free(all);
	g->built = true;
	return true;
}

/*
 * Build from edges already resolved (the graph image's reader): no name
 * is looked up and nothing is sorted, but nothing is trusted either.
 */
bool
pm_graph_build_resolved(pm_graph *g, const int *edges, const int *topo,
						pm_error *err)
{
	int			i;
	int			k;
	size_t		total = 0;
	size_t		off = 0;
	int		   *pos;

	pm_error_clear(err);
	free_built(g);

	for (i = 0; i < g->n; i++)
		total += g->revs[i].nparents + g->revs[i].ndeps;
	g->edge_arena = pm_malloc(sizeof(int) * (total + 1));
	for (i = 0; i < g->n; i++)
	{
		pm_rev	   *r = &g->revs[i];
		int			ne = r->nparents + r->ndeps;

		r->parents = g->edge_arena + off;
		r->deps = g->edge_arena + off + r->nparents;
		for (k = 0; k < ne; k++)
		{
			int			v = edges[off + k];
			int			j;
			bool		dup = false;

			if (v < 0 || v >= g->n || v == i)
			{
				pm_error_set(err, PM_ERR_UNDEFINED,
							 "revision \"%s\" has an edge to index %d of %d",
							 r->id, v, g->n);
				return false;
			}
			if (k >= r->nparents)
			{
				r->deps[r->ndeps_ok++] = v;
				continue;
			}
			/* a parent named twice counts once, as in resolve_edges */
			for (j = 0; j < r->nparents_ok; j++)
				if (r->parents[j] == v)
					dup = true;
			if (!dup)
				r->parents[r->nparents_ok++] = v;
		}
		off += ne;
	}
	build_reverse_edges(g);

	/* the order must be a permutation with every edge pointing backwards */
	pos = pm_malloc(sizeof(int) * (g->n + 1));
	memset(pos, 0xff, sizeof(int) * (g->n + 1));
	for (k = 0; k < g->n; k++)
	{
		if (topo[k] < 0 || topo[k] >= g->n || pos[topo[k]] >= 0)
		{
			pm_error_set(err, PM_ERR_CYCLE, "the order is not a permutation at position %d", k);
			pm_free(pos);
			return false;
		}
		pos[topo[k]] = k;
	}
	for (i = 0; i < g->n; i++)
	{
		const pm_rev *r = &g->revs[i];

		for (k = 0; k < r->nparents_ok + r->ndeps_ok; k++)
		{
			int			p = k < r->nparents_ok ? r->parents[k] : r->deps[k - r->nparents_ok];

			if (pos[p] >= pos[i])
			{
				pm_error_set(err, PM_ERR_CYCLE,
							 "revision \"%s\" comes before its parent or dependency \"%s\" in the order",
							 r->id, g->revs[p].id);
				pm_free(pos);
				return false;
			}
		}
	}
	g->topo = pm_malloc(sizeof(int) * (g->n + 1));
	memcpy(g->topo, topo, sizeof(int) * g->n);
	for (i = 0; i < g->n; i++)
		g->revs[i].topo = pos[i];
	pm_free(pos);
	g->names_pending = true;
	g->built = true;
	return true;
}

void
pm_graph_set_applied(pm_graph *g, int i, bool applied)
{
	g->revs[i].applied = applied;
}

int
pm_graph_size(const pm_graph *g)
{
	return g->n;
}

const pm_rev *
pm_graph_rev(const pm_graph *g, int i)
{
	return &g->revs[i];
}

int
pm_graph_nproblems(const pm_graph *g)
{
	return g->nproblems;
}

const pm_problem *
pm_graph_problem(const pm_graph *g, int i)
{
	return &g->problems[i];
}

int
pm_graph_find_hint(const pm_graph *g, const char *id, int hint)
{
	if (hint >= 0 && hint < g->n && strcmp(g->revs[hint].id, id) == 0)
		return hint;
	return pm_graph_find(g, id);
}

int
pm_graph_find(const pm_graph *g, const char *id)
{
	int			v = hash_get(g, id);

	return v >= 0 ? v : -1;
}

int
pm_graph_find_label(const pm_graph *g, const char *label)
{
	int			v = hash_get(g, label);

	return (v != INT32_MIN && v < 0) ? -2 - v : -1;
}

const int *
pm_graph_topo(const pm_graph *g)
{
	return g->topo;
}

void
pm_set_free(pm_set *s)
{
	if (s->items)
		pm_free(s->items);
	s->items = NULL;
	s->n = 0;
}

static void
set_init(pm_set *s, int cap)
{
	s->n = 0;
	s->items = pm_malloc(sizeof(int) * (cap > 0 ? cap : 1));
}

void
pm_graph_heads(const pm_graph *g, pm_set *out)
{
	int			i;

	set_init(out, g->n);
	for (i = 0; i < g->n; i++)
		if (g->revs[i].nchildren == 0)
			out->items[out->n++] = i;
}

void
pm_graph_bases(const pm_graph *g, pm_set *out)
{
	int			i;

	set_init(out, g->n);
	for (i = 0; i < g->n; i++)
		if (g->revs[i].nparents_ok == 0)
			out->items[out->n++] = i;
}

void
pm_graph_branchpoints(const pm_graph *g, pm_set *out)
{
	int			i;

	set_init(out, g->n);
	for (i = 0; i < g->n; i++)
		if (g->revs[i].nchildren >= 2)
			out->items[out->n++] = i;
}

void
pm_graph_current(const pm_graph *g, pm_set *out)
{
	int			i;
	int			k;

	set_init(out, g->n);
	for (i = 0; i < g->n; i++)
	{
		const pm_rev *r = &g->revs[i];
		bool		child_applied = false;

		if (!r->applied)
			continue;
		for (k = 0; k < r->nchildren; k++)
			if (g->revs[r->children[k]].applied)
				child_applied = true;
		if (!child_applied)
			out->items[out->n++] = i;
	}
}

/* Breadth-first closure; mark[] must be zeroed by the caller (size n). */
static void
closure(const pm_graph *g, const pm_set *from, bool include_self,
		unsigned char *mark, bool up)
{
	int		   *queue = pm_malloc(sizeof(int) * (g->n + 1));
	int			qh = 0,
				qt = 0;
	int			k;

	for (k = 0; k < from->n; k++)
	{
		int			v = from->items[k];

		if (!mark[v])
		{
			mark[v] = 2;		/* seed: visited, maybe not included */
			queue[qt++] = v;
		}
	}
	while (qh < qt)
	{
		int			v = queue[qh++];
		const pm_rev *r = &g->revs[v];
		int			n1 = up ? r->nparents_ok : r->nchildren;
		int			n2 = up ? r->ndeps_ok : r->ndependents;
		const int  *e1 = up ? r->parents : r->children;
		const int  *e2 = up ? r->deps : r->dependents;

		for (k = 0; k < n1 + n2; k++)
		{
			int			w = k < n1 ? e1[k] : e2[k - n1];

			if (mark[w] != 1)
			{
				if (mark[w] == 0)
					queue[qt++] = w;
				mark[w] = 1;
			}
		}
	}
	for (k = 0; k < from->n; k++)
		if (mark[from->items[k]] == 2)
			mark[from->items[k]] = include_self ? 1 : 0;
	pm_free(queue);
}

void
pm_graph_ancestors(const pm_graph *g, const pm_set *from, bool include_self,
				   unsigned char *mark)
{
	closure(g, from, include_self, mark, true);
}

void
pm_graph_descendants(const pm_graph *g, const pm_set *from, bool include_self,
					 unsigned char *mark)
{
	closure(g, from, include_self, mark, false);
}

void
pm_plan_upgrade(const pm_graph *g, const pm_set *targets, pm_set *out)
{
	unsigned char *mark = pm_malloc(g->n + 1);
	int			k;

	/*
	 * The graph's one topological order restricted to what runs, so an
	 * upgrade runs in exactly the reverse order of the downgrade that
	 * undoes it, and independent branches interleave the same way whatever
	 * the target (see graph.h).
	 */
	memset(mark, 0, g->n + 1);
	pm_graph_ancestors(g, targets, true, mark);
	set_init(out, g->n);
	for (k = 0; k < g->n; k++)
	{
		int			v = g->topo[k];

		if (mark[v] && !g->revs[v].applied)
			out->items[out->n++] = v;
	}
	pm_free(mark);
}

/* Emit marked vertices in reverse topological order (descendants first). */
static void
emit_reverse_topo(const pm_graph *g, const unsigned char *mark, pm_set *out)
{
	int			k;

	for (k = g->n - 1; k >= 0; k--)
	{
		int			v = g->topo[k];

		if (mark[v])
			out->items[out->n++] = v;
	}
}

static unsigned char *
downgrade_marks(const pm_graph *g, const pm_set *targets, int branch_root)
{
	unsigned char *rm = pm_malloc(g->n + 1);
	int			i;

	memset(rm, 0, g->n + 1);
	if (branch_root >= 0)
	{
		pm_set		s;
		int			one = branch_root;

		s.n = 1;
		s.items = &one;
		pm_graph_descendants(g, &s, true, rm);
	}
	else if (targets->n == 0)
		memset(rm, 1, g->n);
	else
	{
		unsigned char *keep = pm_malloc(g->n + 1);

		memset(keep, 0, g->n + 1);
		pm_graph_descendants(g, targets, false, rm);
		pm_graph_ancestors(g, targets, true, keep);
		for (i = 0; i < g->n; i++)
			if (keep[i])
				rm[i] = 0;
		pm_free(keep);
	}
	for (i = 0; i < g->n; i++)
		if (!g->revs[i].applied)
			rm[i] = 0;
	return rm;
}

void
pm_plan_downgrade(const pm_graph *g, const pm_set *targets, int branch_root,
				  pm_set *out)
{
	unsigned char *rm = downgrade_marks(g, targets, branch_root);

	set_init(out, g->n);
	emit_reverse_topo(g, rm, out);
	pm_free(rm);
}

void
pm_plan_stamp(const pm_graph *g, const pm_set *targets, int branch_root,
			  pm_set *out)
{
	unsigned char *want = pm_malloc(g->n + 1);
	int			k;

	memset(want, 0, g->n + 1);
	if (branch_root >= 0)
	{
		unsigned char *rm = downgrade_marks(g, targets, branch_root);

		for (k = 0; k < g->n; k++)
			want[k] = g->revs[k].applied && !rm[k];
		pm_free(rm);
	}
	else
		pm_graph_ancestors(g, targets, true, want);

	set_init(out, g->n);
	/* removals, descendants first */
	for (k = g->n - 1; k >= 0; k--)
	{
		int			v = g->topo[k];

		if (g->revs[v].applied && !want[v])
			out->items[out->n++] = v;
	}
	/* additions, ancestors first */
	for (k = 0; k < g->n; k++)
	{
		int			v = g->topo[k];

		if (!g->revs[v].applied && want[v])
			out->items[out->n++] = v;
	}
	pm_free(want);
}
