/*
 * test_graph.c: the revision graph (graph.c).  Validation in strict and
 * lenient mode with the exact error each problem gives, topological
 * order (determinism, depth, width), heads / bases / branch points /
 * current, the ancestor and descendant closures, and the upgrade,
 * downgrade and stamp plans.
 *
 * Results are compared as id lists ("R,X1,X2") so every check pins the
 * exact set and order.
 */
#include "graph.h"
#include "unit.h"

#include <stdlib.h>
#include <time.h>

static pm_error err;

/* ---------------------------------------------------------------- */
/* helpers */

/* split() and add() */
#include "graph_fixture.h"

/* ids of a list of indices, comma separated, in a rotating buffer */
static const char *
ids(const pm_graph *g, const int *items, int n)
{
	static char bufs[8][2048];
	static int	which = 0;
	char	   *b = bufs[which++ % 8];
	size_t		o = 0;
	int			k;

	b[0] = '\0';
	for (k = 0; k < n && o < 2000; k++)
		o += snprintf(b + o, 2048 - o, "%s%s", k ? "," : "",
					  pm_graph_rev(g, items[k])->id);
	return b;
}

static const char *
set_ids(const pm_graph *g, const pm_set *s)
{
	return ids(g, s->items, s->n);
}

/* marked vertices, in index order */
static const char *
mark_ids(const pm_graph *g, const unsigned char *mark)
{
	int			items[64];
	int			n = 0;
	int			i;

	for (i = 0; i < pm_graph_size(g) && n < 64; i++)
		if (mark[i])
			items[n++] = i;
	return ids(g, items, n);
}

static const char *
topo_ids(const pm_graph *g)
{
	return ids(g, pm_graph_topo(g), pm_graph_size(g));
}

/* set of revisions by ids ("a,b"), for plan targets */
static void
target_set(const pm_graph *g, const char *csv, pm_set *s)
{
	char		names[MAXN][80];
	const char *ptrs[MAXN];
	int			n = split(csv, names, ptrs);
	int			k;

	s->items = malloc(sizeof(int) * (n + 1));
	s->n = 0;
	for (k = 0; k < n; k++)
		s->items[s->n++] = pm_graph_find(g, ptrs[k]);
}

static void
free_target(pm_set *s)
{
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

/*
 * topo is a permutation of 0..n-1, every parent and dependency comes
 * before its revision, and pm_rev.topo agrees with the array.
 */
static bool
topo_valid(const pm_graph *g)
{
	int			n = pm_graph_size(g);
	const int  *t = pm_graph_topo(g);
	int		   *pos;
	int			i,
				k;
	bool		ok = t != NULL;

	if (!ok)
		return false;
	pos = malloc(sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
		pos[i] = -1;
	for (i = 0; i < n && ok; i++)
	{
		if (t[i] < 0 || t[i] >= n || pos[t[i]] != -1)
			ok = false;
		else
			pos[t[i]] = i;
	}
	for (i = 0; i < n && ok; i++)
	{
		const pm_rev *r = pm_graph_rev(g, i);

		if (r->topo != pos[i])
			ok = false;
		for (k = 0; k < r->nparents_ok && ok; k++)
			if (pos[r->parents[k]] >= pos[i])
				ok = false;
		for (k = 0; k < r->ndeps_ok && ok; k++)
			if (pos[r->deps[k]] >= pos[i])
				ok = false;
	}
	free(pos);
	return ok;
}

/* topo covers every vertex exactly once (for graphs with a cycle) */
static bool
topo_is_permutation(const pm_graph *g)
{
	int			n = pm_graph_size(g);
	const int  *t = pm_graph_topo(g);
	unsigned char *seen;
	int			i;
	bool		ok = t != NULL;

	if (!ok)
		return false;
	seen = calloc(n + 1, 1);
	for (i = 0; i < n && ok; i++)
	{
		if (t[i] < 0 || t[i] >= n || seen[t[i]])
			ok = false;
		else
			seen[t[i]] = 1;
		if (ok && pm_graph_rev(g, t[i])->topo != i)
			ok = false;
	}
	free(seen);
	return ok;
}

/* ---------------------------------------------------------------- */
/* strict validation */

/* build strictly; expect failure with code, exact message, hint fragment */
static void
expect_strict_fail(pm_graph *g, pm_errcode code, const char *msg,
				   const char *hint_part, const char *what)
{
	bool		ok = pm_graph_build(g, true, &err);

	CHECK(!ok, "%s: strict build fails", what);
	CHECK(err.code == code, "%s: code %d (got %d)", what, (int) code, (int) err.code);
	CHECK_STR(err.msg, msg, what);
	if (hint_part)
		CHECK(strstr(err.hint, hint_part) != NULL,
			  "%s: hint mentions \"%s\" (got \"%s\")", what, hint_part, err.hint);
	pm_graph_free(g);
}

static void
test_strict(void)
{
	pm_graph   *g;
	char		id64[65],
				id65[66];

	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'b', 65);
	id65[65] = '\0';

	/* a healthy graph */
	g = pm_graph_new(0);
	add(g, "R", "", "", "", true);
	add(g, "X1", "R", "", "xb", false);
	add(g, "Y1", "R", "X1", "yb", false);
	add(g, "M", "X1,Y1", "", "", false);
	err.code = PM_ERR_CYCLE;
	CHECK(pm_graph_build(g, true, &err), "healthy graph builds strictly");
	CHECK(err.code == PM_OK && err.msg[0] == '\0', "success clears the error");
	CHECK(pm_graph_nproblems(g) == 0, "no problems recorded");
	CHECK(pm_graph_size(g) == 4, "size 4");
	CHECK(pm_graph_find(g, "Y1") == 2 && pm_graph_find(g, "M") == 3 &&
		  pm_graph_find(g, "R") == 0, "find by id");
	CHECK(pm_graph_find(g, "xb") == -1 && pm_graph_find(g, "nope") == -1 &&
		  pm_graph_find(g, "X") == -1, "find: labels, unknown names and prefixes are not ids");
	CHECK(pm_graph_find_label(g, "xb") == 1 && pm_graph_find_label(g, "yb") == 2,
		  "find_label");
	CHECK(pm_graph_find_label(g, "X1") == -1 && pm_graph_find_label(g, "zz") == -1,
		  "find_label: ids and unknown names are not labels");
	{
		const pm_rev *m = pm_graph_rev(g, 3);
		const pm_rev *y = pm_graph_rev(g, 2);
		const pm_rev *r = pm_graph_rev(g, 0);

		CHECK(m->nparents_ok == 2 && m->parents[0] == 1 && m->parents[1] == 2,
			  "merge parents resolved in declared order");
		CHECK(y->ndeps_ok == 1 && y->deps[0] == 1, "dependency resolved");
		CHECK(pm_graph_rev(g, 1)->ndependents == 1 &&
			  pm_graph_rev(g, 1)->dependents[0] == 2, "reverse dependency edge");
		CHECK(r->nchildren == 2 && r->children[0] == 1 && r->children[1] == 2,
			  "children in load order");
		CHECK(pm_graph_rev(g, 1)->nchildren == 1, "depends_on is not a child edge");
	}
	pm_graph_free(g);

	/* names at the limit are fine */
	g = pm_graph_new(0);
	add(g, id64, "", "", "", false);
	add(g, "Z_9", id64, "", "L_abc", false);
	CHECK(pm_graph_build(g, true, &err), "64-character id, underscores and digits accepted");
	pm_graph_free(g);

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "A", "", "", "", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE, "duplicate revision id \"A\"", NULL,
					   "duplicate id");

	g = pm_graph_new(0);
	add(g, "A", "", "", "L", false);
	add(g, "B", "A", "", "L", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE,
					   "branch label \"L\" is used by revisions \"A\" and \"B\"",
					   "must be unique", "duplicate label");

	g = pm_graph_new(0);
	add(g, "A", "", "", "L,L", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE,
					   "branch label \"L\" is used by revisions \"A\" and \"A\"",
					   NULL, "label twice on one revision");

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "A", "", "A", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE,
					   "branch label \"A\" of revision \"B\" is also a revision id",
					   "must not equal a revision id", "label equal to an earlier id");

	g = pm_graph_new(0);
	add(g, "A", "", "", "B", false);
	add(g, "B", "A", "", "", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE,
					   "branch label \"B\" of revision \"A\" is also a revision id",
					   NULL, "label equal to a later id");

	g = pm_graph_new(0);
	add(g, "A", "", "", "A", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE,
					   "branch label \"A\" of revision \"A\" is also a revision id",
					   NULL, "label equal to its own id");

	g = pm_graph_new(0);
	add(g, "a-b", "", "", "", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME, "invalid revision id \"a-b\"",
					   "1 to 64 letters", "id with a dash");

	g = pm_graph_new(0);
	add(g, "ok", "", "", "", false);
	add(g, "", "", "", "", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME, "invalid revision id \"\"", NULL,
					   "empty id");

	g = pm_graph_new(0);
	add(g, id65, "", "", "", false);
	{
		char		want[128];

		snprintf(want, sizeof(want), "invalid revision id \"%s\"", id65);
		expect_strict_fail(g, PM_ERR_INVALID_NAME, want, NULL, "65-character id");
	}

	g = pm_graph_new(0);
	add(g, "head", "", "", "", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME,
					   "revision id \"head\" is a reserved word",
					   "not head, heads, base or current", "reserved id head");

	g = pm_graph_new(0);
	add(g, "current", "", "", "", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME,
					   "revision id \"current\" is a reserved word", NULL,
					   "reserved id current");

	g = pm_graph_new(0);
	add(g, "A", "", "", "x y", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME,
					   "revision \"A\" has invalid branch label \"x y\"",
					   "rules of revision ids", "label with a blank");

	g = pm_graph_new(0);
	add(g, "A", "", "", "heads", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME,
					   "revision \"A\" has invalid branch label \"heads\"", NULL,
					   "reserved label heads");

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "A", "", "base", false);
	expect_strict_fail(g, PM_ERR_INVALID_NAME,
					   "revision \"B\" has invalid branch label \"base\"", NULL,
					   "reserved label base");

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "A,Z", "", "", false);
	expect_strict_fail(g, PM_ERR_UNDEFINED, "revision \"B\" has unknown parent \"Z\"",
					   "Load the missing revision", "unknown parent");

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "A", "Q", "", false);
	expect_strict_fail(g, PM_ERR_UNDEFINED,
					   "revision \"B\" has unknown dependency \"Q\"",
					   "depends_on", "unknown dependency");

	g = pm_graph_new(0);
	add(g, "A", "", "", "L", false);
	add(g, "B", "L", "", "", false);
	expect_strict_fail(g, PM_ERR_UNDEFINED, "revision \"B\" has unknown parent \"L\"",
					   "branch label cannot be used as a parent", "label as parent");

	g = pm_graph_new(0);
	add(g, "A", "", "", "L", false);
	add(g, "B", "A", "L", "", false);
	expect_strict_fail(g, PM_ERR_UNDEFINED,
					   "revision \"B\" has unknown dependency \"L\"",
					   "cannot be used as a dependency", "label as dependency");

	g = pm_graph_new(0);
	add(g, "A", "A", "", "", false);
	expect_strict_fail(g, PM_ERR_CYCLE, "revision \"A\" lists itself as a parent",
					   NULL, "self-parent");

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "A", "B", "", false);
	expect_strict_fail(g, PM_ERR_CYCLE, "revision \"B\" lists itself as a dependency",
					   NULL, "self-dependency");

	g = pm_graph_new(0);
	add(g, "A", "B", "", "", false);
	add(g, "B", "A", "", "", false);
	expect_strict_fail(g, PM_ERR_CYCLE,
					   "revision graph has a cycle through revision \"A\"",
					   "must name older revisions", "2-cycle");

	g = pm_graph_new(0);
	add(g, "R", "", "", "", false);
	add(g, "P", "R,Q", "", "", false);
	add(g, "S", "P", "", "", false);
	add(g, "Q", "S", "", "", false);
	expect_strict_fail(g, PM_ERR_CYCLE,
					   "revision graph has a cycle through revision \"P\"",
					   NULL, "3-cycle below a root");

	g = pm_graph_new(0);
	add(g, "A", "", "C", "", false);
	add(g, "B", "A", "", "", false);
	add(g, "C", "B", "", "", false);
	expect_strict_fail(g, PM_ERR_CYCLE,
					   "revision graph has a cycle through revision \"A\"",
					   NULL, "3-cycle closed by depends_on");

	/* the first problem wins: ids before labels before edges */
	g = pm_graph_new(0);
	add(g, "A", "Z", "", "", false);
	add(g, "B", "", "", "A", false);
	add(g, "B", "", "", "", false);
	expect_strict_fail(g, PM_ERR_DUPLICATE, "duplicate revision id \"B\"", NULL,
					   "duplicate id reported before label and parent problems");
}

/* ---------------------------------------------------------------- */
/* lenient validation */

static void
test_lenient(void)
{
	pm_graph   *g;
	pm_set		s;

	/* every kind of problem at once; the graph stays usable */
	g = pm_graph_new(0);
	add(g, "A", "", "", "", true);			/* 0 */
	add(g, "A", "", "", "", false);			/* 1 duplicate id */
	add(g, "B", "A,Z", "", "L", true);		/* 2 unknown parent Z */
	add(g, "C", "B", "Q", "L", false);		/* 3 dup label, unknown dep */
	add(g, "D", "C,D", "", "A", false);		/* 4 self-parent, label = id */
	add(g, "bad-id", "D", "", "", false);	/* 5 invalid id */
	err.code = PM_ERR_SYNTAX;
	CHECK(pm_graph_build(g, false, &err), "lenient build never fails");
	CHECK(err.code == PM_OK, "lenient build leaves no error");
	CHECK(pm_graph_nproblems(g) == 7, "7 problems recorded (got %d)", pm_graph_nproblems(g));
	if (pm_graph_nproblems(g) == 7)
	{
		static const char *const want[7] = {
			"duplicate revision id \"A\"",
			"invalid revision id \"bad-id\"",
			"branch label \"L\" is used by revisions \"B\" and \"C\"",
			"branch label \"A\" of revision \"D\" is also a revision id",
			"revision \"B\" has unknown parent \"Z\"",
			"revision \"C\" has unknown dependency \"Q\"",
			"revision \"D\" lists itself as a parent",
		};
		static const int wrev[7] = {1, 5, 3, 4, 2, 3, 4};
		int			k;

		for (k = 0; k < 7; k++)
		{
			const pm_problem *p = pm_graph_problem(g, k);

			CHECK_STR(p->text, want[k], want[k]);
			CHECK(p->rev == wrev[k] && strcmp(p->severity, "error") == 0,
				  "problem %d: revision %d, severity error (got %d, %s)",
				  k, wrev[k], p->rev, p->severity);
		}
	}
	CHECK(pm_graph_find(g, "A") == 0, "duplicate id: the first one is found");
	CHECK(pm_graph_find_label(g, "L") == 2, "duplicate label: the first one is found");
	CHECK(pm_graph_rev(g, 2)->nparents == 2 && pm_graph_rev(g, 2)->nparents_ok == 1 &&
		  pm_graph_rev(g, 2)->parents[0] == 0, "unknown parent dropped, known kept");
	CHECK(pm_graph_rev(g, 3)->ndeps_ok == 0, "unknown dependency dropped");
	CHECK(pm_graph_rev(g, 4)->nparents_ok == 1 && pm_graph_rev(g, 4)->parents[0] == 3,
		  "self-parent dropped");
	CHECK(topo_valid(g), "topological order valid despite problems");
	CHECK_STR(topo_ids(g), "A,A,B,C,D,bad-id", "topological order");
	pm_graph_heads(g, &s);
	CHECK_STR(set_ids(g, &s), "A,bad-id", "heads");
	CHECK(s.n == 2 && s.items[0] == 1 && s.items[1] == 5, "heads: the duplicate A (index 1), bad-id");
	pm_set_free(&s);

	/* rebuilding after the problems are gone clears them */
	pm_graph_free(g);
	g = pm_graph_new(0);
	add(g, "B", "Z", "", "", false);
	CHECK(pm_graph_build(g, false, &err) && pm_graph_nproblems(g) == 1,
		  "missing parent: one problem");
	pm_graph_bases(g, &s);
	CHECK_STR(set_ids(g, &s), "B", "revision with a dropped parent is a base");
	pm_set_free(&s);
	add(g, "Z", "", "", "", false);
	CHECK(pm_graph_build(g, false, &err) && pm_graph_nproblems(g) == 0,
		  "rebuild after loading the parent: no problems");
	CHECK(pm_graph_build(g, true, &err), "... and strict build now succeeds");
	CHECK_STR(topo_ids(g), "Z,B", "parent loaded after child comes first");
	pm_graph_bases(g, &s);
	CHECK_STR(set_ids(g, &s), "Z", "rebuild: bases");
	pm_set_free(&s);
	pm_graph_free(g);

	/* 2-cycle with a tail */
	g = pm_graph_new(0);
	add(g, "A", "B", "", "", true);
	add(g, "B", "A", "", "", true);
	add(g, "C", "B", "", "", false);
	CHECK(pm_graph_build(g, false, &err), "2-cycle: lenient build succeeds");
	CHECK(pm_graph_nproblems(g) == 1, "2-cycle: one problem");
	CHECK(pm_graph_nproblems(g) >= 1 &&
		  strcmp(pm_graph_problem(g, 0)->text,
				 "revision graph has a cycle through revision \"A\"") == 0 &&
		  pm_graph_problem(g, 0)->rev == 0, "2-cycle: problem names revision A");
	CHECK(topo_is_permutation(g), "2-cycle: topo covers every vertex once");
	CHECK_STR(topo_ids(g), "B,A,C", "2-cycle: back edge ignored for ordering");
	pm_graph_heads(g, &s);
	CHECK_STR(set_ids(g, &s), "C", "2-cycle: heads");
	pm_set_free(&s);
	{
		pm_set		t;

		target_set(g, "C", &t);
		pm_plan_upgrade(g, &t, &s);
		CHECK_STR(set_ids(g, &s), "C", "2-cycle: upgrade plan terminates");
		pm_set_free(&s);
		free_target(&t);
		target_set(g, "", &t);
		pm_plan_downgrade(g, &t, -1, &s);
		CHECK_STR(set_ids(g, &s), "A,B", "2-cycle: downgrade to base terminates");
		pm_set_free(&s);
		free_target(&t);
	}
	pm_graph_free(g);

	/* 3-cycle */
	g = pm_graph_new(0);
	add(g, "R", "", "", "", false);
	add(g, "P", "R,Q", "", "", false);
	add(g, "S", "P", "", "", false);
	add(g, "Q", "S", "", "", false);
	add(g, "T", "Q", "", "", false);
	CHECK(pm_graph_build(g, false, &err) && pm_graph_nproblems(g) == 1,
		  "3-cycle: lenient build, one problem");
	CHECK(pm_graph_nproblems(g) == 1 &&
		  strstr(pm_graph_problem(g, 0)->text, "\"P\"") != NULL,
		  "3-cycle: problem names P");
	CHECK(topo_is_permutation(g), "3-cycle: topo covers every vertex once");
	CHECK_STR(topo_ids(g), "R,S,Q,P,T", "3-cycle: deterministic order");
	{
		unsigned char mark[8] = {0};
		pm_set		t;

		target_set(g, "S", &t);
		pm_graph_descendants(g, &t, false, mark);
		CHECK_STR(mark_ids(g, mark), "P,S,Q,T", "3-cycle: descendants closure terminates, includes the seed via the cycle");
		free_target(&t);
	}
	pm_graph_free(g);
}

/* ---------------------------------------------------------------- */
/* order */

static void
test_topo(void)
{
	pm_graph   *g;

	g = pm_graph_new(0);
	add(g, "R", "", "", "", false);
	add(g, "X1", "R", "", "", false);
	add(g, "Y1", "R", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(topo_ids(g), "R,X1,Y1", "siblings in load order");
	pm_graph_free(g);

	g = pm_graph_new(0);
	add(g, "R", "", "", "", false);
	add(g, "Y1", "R", "", "", false);
	add(g, "X1", "R", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(topo_ids(g), "R,Y1,X1", "load order, not name order, breaks ties");
	pm_graph_free(g);

	g = pm_graph_new(0);
	add(g, "C", "B", "", "", false);
	add(g, "B", "A", "", "", false);
	add(g, "A", "", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(topo_ids(g), "A,B,C", "children loaded before parents");
	CHECK(topo_valid(g), "reverse load: valid");
	pm_graph_free(g);

	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "B", "", "C", "", false);
	add(g, "C", "", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(topo_ids(g), "A,C,B", "depends_on before the dependent");
	CHECK(topo_valid(g), "depends_on: valid");
	pm_graph_free(g);

	/* merge: parents in declared order */
	g = pm_graph_new(0);
	add(g, "M", "Y,X", "", "", false);
	add(g, "X", "", "", "", false);
	add(g, "Y", "", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(topo_ids(g), "Y,X,M", "merge parents in declared order");
	pm_graph_free(g);

	/* building twice gives the same result */
	g = pm_graph_new(0);
	add(g, "A", "", "", "", false);
	add(g, "D", "B,C", "", "", false);
	add(g, "C", "A", "B", "", false);
	add(g, "B", "A", "", "", false);
	pm_graph_build(g, true, &err);
	{
		char		first[256];

		snprintf(first, sizeof(first), "%s", topo_ids(g));
		CHECK_STR(first, "A,B,C,D", "diamond with a dependency");
		pm_graph_build(g, true, &err);
		CHECK_STR(topo_ids(g), first, "rebuild gives the same order");
		CHECK(topo_valid(g), "diamond: valid");
	}
	pm_graph_free(g);
}

static void
test_deep_and_wide(void)
{
	enum
	{
		DEEP = 100000, WIDE = 10000
	};
	pm_graph   *g;
	char		id[32],
				parent[32];
	const char *pp[1];
	pm_set		s,
				t;
	clock_t		c0;
	double		secs;
	int			i;
	bool		ok;

	/* chain loaded child first: the DFS must go 100,000 deep */
	c0 = clock();
	g = pm_graph_new(DEEP);
	for (i = DEEP - 1; i >= 0; i--)
	{
		snprintf(id, sizeof(id), "r%d", i);
		snprintf(parent, sizeof(parent), "r%d", i - 1);
		pp[0] = parent;
		pm_graph_add(g, id, pp, i > 0 ? 1 : 0, NULL, 0, NULL, 0, i < DEEP / 2);
	}
	CHECK(pm_graph_build(g, true, &err), "100,000-deep chain (reverse load) builds");
	CHECK(topo_valid(g), "deep chain: topological order valid");
	ok = true;
	for (i = 0; i < DEEP; i++)
		if (pm_graph_topo(g)[i] != DEEP - 1 - i)
			ok = false;
	CHECK(ok, "deep chain: topo is r0..r99999");
	pm_graph_heads(g, &s);
	CHECK(s.n == 1 && strcmp(pm_graph_rev(g, s.items[0])->id, "r99999") == 0,
		  "deep chain: one head r99999");
	pm_set_free(&s);
	pm_graph_bases(g, &s);
	CHECK(s.n == 1 && strcmp(pm_graph_rev(g, s.items[0])->id, "r0") == 0,
		  "deep chain: one base r0");
	pm_set_free(&s);
	pm_graph_current(g, &s);
	CHECK(s.n == 1 && strcmp(pm_graph_rev(g, s.items[0])->id, "r49999") == 0,
		  "deep chain: current r49999");
	pm_set_free(&s);

	pm_graph_heads(g, &t);
	pm_plan_upgrade(g, &t, &s);
	ok = s.n == DEEP / 2;
	for (i = 0; ok && i < s.n; i++)
		if (s.items[i] != DEEP / 2 - 1 - i)		/* r50000 is index 49999 */
			ok = false;
	CHECK(ok, "deep chain: upgrade plan r50000..r99999 in order (%d steps)", s.n);
	pm_set_free(&s);
	pm_set_free(&t);

	t.n = 0;
	t.items = NULL;
	pm_plan_downgrade(g, &t, -1, &s);
	ok = s.n == DEEP / 2;
	for (i = 0; ok && i < s.n; i++)
		if (s.items[i] != DEEP / 2 + i)		/* r49999 first */
			ok = false;
	CHECK(ok, "deep chain: downgrade to base r49999..r0");
	pm_set_free(&s);

	{
		unsigned char *mark = calloc(DEEP, 1);
		int			one = pm_graph_find(g, "r10");
		int			cnt = 0;

		t.n = 1;
		t.items = &one;
		pm_graph_ancestors(g, &t, false, mark);
		for (i = 0; i < DEEP; i++)
			cnt += mark[i];
		CHECK(cnt == 10 && !mark[one], "deep chain: r10 has 10 strict ancestors");
		memset(mark, 0, DEEP);
		pm_graph_descendants(g, &t, true, mark);
		cnt = 0;
		for (i = 0; i < DEEP; i++)
			cnt += mark[i];
		CHECK(cnt == DEEP - 10 && mark[one], "deep chain: r10 and its descendants");
		free(mark);
	}
	pm_graph_free(g);
	secs = (double) (clock() - c0) / CLOCKS_PER_SEC;
	CHECK(secs < 10.0, "deep chain: build, plans and closures fast (%.2f s)", secs);

	/* wide: one root, WIDE children, merged into one */
	g = pm_graph_new(0);
	add(g, "root", "", "", "", true);
	{
		char	  **names = malloc(sizeof(char *) * WIDE);

		for (i = 0; i < WIDE; i++)
		{
			snprintf(id, sizeof(id), "w%05d", i);
			names[i] = strdup(id);
			add(g, id, "root", "", "", i % 2 == 0);
		}
		pm_graph_add(g, "merge", (const char *const *) names, WIDE, NULL, 0,
					 NULL, 0, false);
		for (i = 0; i < WIDE; i++)
			free(names[i]);
		free(names);
	}
	CHECK(pm_graph_build(g, true, &err), "wide graph builds");
	CHECK(topo_valid(g), "wide graph: valid order");
	CHECK(pm_graph_topo(g)[0] == 0 && pm_graph_topo(g)[WIDE + 1] == WIDE + 1 &&
		  pm_graph_topo(g)[1] == 1 && pm_graph_topo(g)[WIDE] == WIDE,
		  "wide graph: root, w00000 .. w09999, merge");
	pm_graph_branchpoints(g, &s);
	CHECK_STR(set_ids(g, &s), "root", "wide graph: one branch point");
	pm_set_free(&s);
	pm_graph_heads(g, &s);
	CHECK_STR(set_ids(g, &s), "merge", "wide graph: one head");
	pm_set_free(&s);
	pm_graph_current(g, &s);
	CHECK(s.n == WIDE / 2 && s.items[0] == 1 && s.items[1] == 3,
		  "wide graph: current = the applied even children");
	pm_set_free(&s);
	target_set(g, "merge", &t);
	pm_plan_upgrade(g, &t, &s);
	CHECK(s.n == WIDE / 2 + 1 && s.items[0] == 2 && s.items[1] == 4 &&
		  s.items[s.n - 1] == WIDE + 1, "wide graph: upgrade runs the odd children, then merge");
	pm_set_free(&s);
	free_target(&t);
	target_set(g, "root", &t);
	pm_plan_downgrade(g, &t, -1, &s);
	CHECK(s.n == WIDE / 2 && s.items[0] == WIDE - 1 && s.items[s.n - 1] == 1,
		  "wide graph: downgrade to root, descendants in reverse order");
	pm_set_free(&s);
	free_target(&t);
	pm_graph_free(g);
}

/* ---------------------------------------------------------------- */
/* heads, bases, branch points, current */

/*
 *	R - X1 - X2 -\
 *	 \            M
 *	  - Y1 - Y2 -/
 */
static pm_graph *
branchy(const char *applied)
{
	pm_graph   *g = pm_graph_new(0);
	char		names[MAXN][80];
	const char *ptrs[MAXN];
	int			n = split(applied, names, ptrs);
	static const char *const rid[6] = {"R", "X1", "X2", "Y1", "Y2", "M"};
	static const char *const rpar[6] = {"", "R", "X1", "R", "Y1", "X2,Y2"};
	static const char *const rlab[6] = {"", "xb", "", "yb", "", ""};
	int			i,
				k;

	for (i = 0; i < 6; i++)
	{
		bool		ap = false;

		for (k = 0; k < n; k++)
			if (strcmp(ptrs[k], rid[i]) == 0)
				ap = true;
		add(g, rid[i], rpar[i], "", rlab[i], ap);
	}
	pm_graph_build(g, true, &err);
	return g;
}

static void
test_sets(void)
{
	pm_graph   *g;
	pm_set		s;

	g = branchy("");
	pm_graph_heads(g, &s);
	CHECK_STR(set_ids(g, &s), "M", "merged graph: heads");
	pm_set_free(&s);
	pm_graph_bases(g, &s);
	CHECK_STR(set_ids(g, &s), "R", "merged graph: bases");
	pm_set_free(&s);
	pm_graph_branchpoints(g, &s);
	CHECK_STR(set_ids(g, &s), "R", "merged graph: branch points");
	pm_set_free(&s);
	pm_graph_current(g, &s);
	CHECK(s.n == 0 && s.items != NULL, "nothing applied: current is empty");
	pm_set_free(&s);
	CHECK_STR(topo_ids(g), "R,X1,X2,Y1,Y2,M", "merged graph: topo");
	pm_graph_free(g);

	g = branchy("R,X1");
	pm_graph_current(g, &s);
	CHECK_STR(set_ids(g, &s), "X1", "current: X1");
	pm_set_free(&s);
	pm_graph_free(g);

	g = branchy("R,X1,Y1,Y2");
	pm_graph_current(g, &s);
	CHECK_STR(set_ids(g, &s), "X1,Y2", "current: two applied heads");
	pm_set_free(&s);
	pm_graph_free(g);

	g = branchy("R,X1,X2,Y1,Y2,M");
	pm_graph_current(g, &s);
	CHECK_STR(set_ids(g, &s), "M", "current: after the merge");
	pm_set_free(&s);
	pm_graph_free(g);

	/* unmerged branches, several bases; depends_on is no child edge */
	g = pm_graph_new(0);
	add(g, "A1", "", "", "", true);
	add(g, "A2", "A1", "", "", true);
	add(g, "A3", "A1", "", "", false);
	add(g, "B1", "", "A2", "", true);
	add(g, "B2", "B1", "A3", "", false);
	pm_graph_build(g, true, &err);
	pm_graph_heads(g, &s);
	CHECK_STR(set_ids(g, &s), "A2,A3,B2", "heads ignore depends_on");
	pm_set_free(&s);
	pm_graph_bases(g, &s);
	CHECK_STR(set_ids(g, &s), "A1,B1", "bases ignore depends_on");
	pm_set_free(&s);
	pm_graph_branchpoints(g, &s);
	CHECK_STR(set_ids(g, &s), "A1", "branch points ignore depends_on");
	pm_set_free(&s);
	pm_graph_current(g, &s);
	CHECK_STR(set_ids(g, &s), "A2,B1", "current ignores depends_on");
	pm_set_free(&s);
	CHECK_STR(topo_ids(g), "A1,A2,A3,B1,B2", "topo with dependencies");
	pm_graph_free(g);

	/* empty graph */
	g = pm_graph_new(0);
	CHECK(pm_graph_build(g, true, &err), "empty graph builds");
	pm_graph_heads(g, &s);
	CHECK(s.n == 0, "empty graph: no heads");
	pm_set_free(&s);
	pm_graph_free(g);
}

static void
test_closures(void)
{
	pm_graph   *g = branchy("");
	unsigned char mark[8];
	pm_set		t;

	target_set(g, "X2", &t);
	memset(mark, 0, sizeof(mark));
	pm_graph_ancestors(g, &t, true, mark);
	CHECK_STR(mark_ids(g, mark), "R,X1,X2", "ancestors-or-self of X2");
	memset(mark, 0, sizeof(mark));
	pm_graph_ancestors(g, &t, false, mark);
	CHECK_STR(mark_ids(g, mark), "R,X1", "strict ancestors of X2");
	memset(mark, 0, sizeof(mark));
	pm_graph_descendants(g, &t, false, mark);
	CHECK_STR(mark_ids(g, mark), "M", "strict descendants of X2");
	free_target(&t);

	target_set(g, "R,X1", &t);
	memset(mark, 0, sizeof(mark));
	pm_graph_descendants(g, &t, false, mark);
	CHECK_STR(mark_ids(g, mark), "X1,X2,Y1,Y2,M",
			  "strict descendants of {R,X1}: a seed below another seed is included");
	free_target(&t);

	target_set(g, "M,Y1", &t);
	memset(mark, 0, sizeof(mark));
	pm_graph_ancestors(g, &t, false, mark);
	CHECK_STR(mark_ids(g, mark), "R,X1,X2,Y1,Y2", "strict ancestors of {M,Y1}");
	free_target(&t);
	pm_graph_free(g);
}

/* ---------------------------------------------------------------- */
/* plans */

static const char *
plan(pm_graph *g, const char *kind, const char *targets, const char *root)
{
	pm_set		t,
				out;
	int			br = root ? pm_graph_find(g, root) : -1;
	const char *r;

	target_set(g, targets, &t);
	if (strcmp(kind, "upgrade") == 0)
		pm_plan_upgrade(g, &t, &out);
	else if (strcmp(kind, "downgrade") == 0)
		pm_plan_downgrade(g, &t, br, &out);
	else
		pm_plan_stamp(g, &t, br, &out);
	r = set_ids(g, &out);
	pm_set_free(&out);
	free_target(&t);
	return r;
}

static void
test_plans(void)
{
	pm_graph   *g;

	g = branchy("");
	CHECK_STR(plan(g, "upgrade", "M", NULL), "R,X1,X2,Y1,Y2,M", "upgrade M from nothing");
	CHECK_STR(plan(g, "upgrade", "Y2", NULL), "R,Y1,Y2", "upgrade one branch only");
	CHECK_STR(plan(g, "upgrade", "Y1,X2", NULL), "R,X1,X2,Y1", "upgrade several targets: the graph's order (load order), not the targets'");
	CHECK_STR(plan(g, "upgrade", "", NULL), "", "upgrade to base: nothing");
	CHECK_STR(plan(g, "downgrade", "", NULL), "", "downgrade with nothing applied: nothing");
	CHECK_STR(plan(g, "stamp", "X2", NULL), "R,X1,X2", "stamp from nothing: additions in order");
	pm_graph_free(g);

	g = branchy("R,X1");
	CHECK_STR(plan(g, "upgrade", "M", NULL), "X2,Y1,Y2,M", "upgrade skips applied revisions");
	CHECK_STR(plan(g, "upgrade", "X1", NULL), "", "upgrade to an applied target: nothing");
	CHECK_STR(plan(g, "downgrade", "R", NULL), "X1", "downgrade to R");
	CHECK_STR(plan(g, "stamp", "Y2", NULL), "X1,Y1,Y2", "stamp Y2: remove X1, add Y1, Y2");
	pm_graph_free(g);

	g = branchy("R,X1,X2,Y1,Y2,M");
	CHECK_STR(plan(g, "downgrade", "", NULL), "M,Y2,Y1,X2,X1,R", "downgrade to base: all, descendants first");
	CHECK_STR(plan(g, "downgrade", "X1", NULL), "M,X2", "downgrade to X1 leaves the other branch");
	CHECK_STR(plan(g, "downgrade", "X2,Y2", NULL), "M", "downgrade to the merge's parents (-1 from M)");
	CHECK_STR(plan(g, "downgrade", "X1,Y1", NULL), "M,Y2,X2", "downgrade to {X1,Y1}");
	CHECK_STR(plan(g, "downgrade", "M", NULL), "", "downgrade to the current head: nothing");
	CHECK_STR(plan(g, "downgrade", "", "X1"), "M,X2,X1", "downgrade xb@base: the branch and the merge");
	CHECK_STR(plan(g, "downgrade", "", "Y2"), "M,Y2", "downgrade branch from Y2");
	CHECK_STR(plan(g, "downgrade", "R", "Y1"), "M,Y2,Y1", "branch_root ignores targets");
	CHECK_STR(plan(g, "stamp", "", NULL), "M,Y2,Y1,X2,X1,R", "stamp base: removals only");
	CHECK_STR(plan(g, "stamp", "M", NULL), "", "stamp the current state: nothing");
	CHECK_STR(plan(g, "stamp", "", "X1"), "M,X2,X1", "stamp xb@base");
	CHECK_STR(plan(g, "stamp", "Y1", NULL), "M,Y2,X2,X1", "stamp Y1: removals descendants first");
	CHECK_STR(plan(g, "upgrade", "M", NULL), "", "upgrade when all applied: nothing");
	pm_graph_free(g);

	g = branchy("R,X1,Y1");
	CHECK_STR(plan(g, "downgrade", "R", NULL), "Y1,X1", "downgrade skips unapplied descendants");
	CHECK_STR(plan(g, "downgrade", "", "X1"), "X1", "branch downgrade: only applied members");
	CHECK_STR(plan(g, "stamp", "X2", NULL), "Y1,X2", "stamp X2: remove Y1, then add X2");
	CHECK_STR(plan(g, "stamp", "", "Y1"), "Y1", "stamp yb@base from a partial state");
	pm_graph_free(g);

	/* parents visited in declared order; depends_on across branches */
	g = pm_graph_new(0);
	add(g, "R", "", "", "", false);
	add(g, "X1", "R", "", "", false);
	add(g, "Y1", "R", "", "", false);
	add(g, "M", "Y1,X1", "", "", false);
	add(g, "B1", "R", "A2", "", false);
	add(g, "A1", "R", "", "", false);
	add(g, "A2", "A1", "", "", false);
	add(g, "C1", "B1", "", "", false);
	pm_graph_build(g, true, &err);
	CHECK_STR(plan(g, "upgrade", "M", NULL), "R,X1,Y1,M", "upgrade: a merge's parents in load order, not declared order");
	CHECK_STR(plan(g, "upgrade", "C1", NULL), "R,A1,A2,B1,C1", "upgrade pulls in depends_on from another branch");
	CHECK_STR(topo_ids(g), "R,X1,Y1,M,A1,A2,B1,C1", "topo with a forward dependency");
	pm_graph_free(g);

	g = pm_graph_new(0);
	add(g, "R", "", "", "", true);
	add(g, "A1", "R", "", "", true);
	add(g, "B1", "R", "A1", "", true);
	add(g, "B2", "B1", "", "", true);
	pm_graph_build(g, true, &err);
	CHECK_STR(plan(g, "downgrade", "A1", NULL), "B2,B1", "downgrade: dependents of the target go too");
	CHECK_STR(plan(g, "downgrade", "", "A1"), "B2,B1,A1", "branch downgrade follows dependents");
	CHECK_STR(plan(g, "downgrade", "B1", NULL), "B2", "downgrade to B1 keeps its dependency");
	CHECK_STR(plan(g, "stamp", "B1", NULL), "B2", "stamp B1 keeps A1 (its dependency)");
	CHECK_STR(plan(g, "stamp", "A1", NULL), "B2,B1", "stamp A1");
	pm_graph_free(g);
}

int
main(void)
{
	test_strict();
	test_lenient();
	test_topo();
	test_deep_and_wide();
	test_sets();
	test_closures();
	test_plans();
	UNIT_DONE();
}
