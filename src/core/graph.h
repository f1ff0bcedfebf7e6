/*-------------------------------------------------------------------------
 *
 * graph.h
 *	  The revision graph and the algorithms over it (server-free).
 *
 * Vertices are revisions, numbered 0..n-1 in load order.  Two kinds of
 * edge point from a revision to an earlier one: down_revision (its
 * parents; several for a merge) and depends_on (cross-branch
 * dependencies).  Both must be applied before the revision, and both
 * count for ancestry; only down_revision counts for heads and branch
 * points, as in Alembic.
 *
 * Every algorithm here is linear in vertices + edges: names are looked
 * up through one open-addressing hash table, traversals are iterative
 * (no recursion, so a 100,000-deep chain cannot overflow the stack), and
 * ties are broken by load order so that every result is deterministic.
 *
 * The graph never holds script bodies.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_GRAPH_H
#define PM_GRAPH_H

#include "pm_common.h"

typedef struct pm_rev
{
	/* pointers first, then the counts: 104 bytes a revision instead of 120 */
	char	   *id;
	char	  **parent_names;	/* down_revision as given */
	char	  **dep_names;		/* depends_on as given */
	char	  **labels;

	/* filled by pm_graph_build; unresolved names are left out */
	int		   *parents;
	int		   *deps;
	int		   *children;		/* via down_revision */
	int		   *dependents;		/* via depends_on */

	int			nparents;
	int			ndeps;
	int			nlabels;
	int			nparents_ok;
	int			ndeps_ok;
	int			nchildren;
	int			ndependents;
	int			topo;			/* position in pm_graph_topo() */
	bool		applied;
} pm_rev;

typedef struct pm_problem
{
	const char *severity;		/* "error" or "warning" */
	int			rev;			/* index or -1 */
	char	   *text;
} pm_problem;

typedef struct pm_graph pm_graph;

extern pm_graph *pm_graph_new(int size_hint);

/*
 * Like pm_graph_new, but pm_graph_add keeps the caller's strings and name
 * arrays instead of copying them; they must outlive the graph.  The
 * server uses it: its strings already live in the call's memory context.
 */
extern pm_graph *pm_graph_new_borrowed(int size_hint);
extern void pm_graph_free(pm_graph *g);

/* Add one revision (strings are copied).  Returns its index. */
extern int	pm_graph_add(pm_graph *g, const char *id,
						 const char *const *parents, int nparents,
						 const char *const *deps, int ndeps,
						 const char *const *labels, int nlabels,
						 bool applied);

/*
 * Resolve names, build the reverse edges and the topological order.
 *
 * strict: the first structural problem (duplicate id or label, malformed
 * or reserved name, label equal to an id, unknown parent or dependency,
 * cycle) is returned as an error and false.
 * !strict: never fails; problems are collected for pm_graph_problems()
 * and the graph is usable (unknown names dropped, a cycle's back edges
 * ignored for ordering).  This is what check() uses.
 */
extern bool pm_graph_build(pm_graph *g, bool strict, pm_error *err);

/*
 * Build from edges already resolved, as the graph image stores them:
 * edges holds, revision after revision, the index of each declared parent
 * then of each dependency (nparents + ndeps of each, in declared order);
 * topo is a topological order (parents and dependencies first).  The
 * revisions' parent_names/dep_names must name those indices' ids.  Strict:
 * an edge out of range or to itself, or an order that is not a permutation
 * with every edge pointing backwards, is an error and false.  Linear, and
 * no string is hashed: the id and label lookup table is built on the first
 * lookup, and only then are ids and labels checked for form and
 * uniqueness (problems found then are listed by pm_graph_problems).  The
 * image reader checks every name's form itself.
 */
extern bool pm_graph_build_resolved(pm_graph *g, const int *edges,
									const int *topo, pm_error *err);

/*
 * Set a revision's applied flag after the build (the server reads the
 * applied set separately from the graph's shape).
 */
extern void pm_graph_set_applied(pm_graph *g, int i, bool applied);

extern int	pm_graph_size(const pm_graph *g);
extern const pm_rev *pm_graph_rev(const pm_graph *g, int i);
extern int	pm_graph_nproblems(const pm_graph *g);
extern const pm_problem *pm_graph_problem(const pm_graph *g, int i);

/* Exact id lookup: index or -1. */
extern int	pm_graph_find(const pm_graph *g, const char *id);
/*
 * The same, trying index hint first: no hashing when it is right (a
 * caller reading ids in load order passes the last index found plus one).
 */
extern int	pm_graph_find_hint(const pm_graph *g, const char *id, int hint);
/* Label lookup: index of the revision carrying it, or -1. */
extern int	pm_graph_find_label(const pm_graph *g, const char *label);

/*
 * An index set, used for targets and results.  Members are kept in
 * ascending index (load) order, without duplicates.
 */
typedef struct pm_set
{
	int			n;
	int		   *items;
} pm_set;

extern void pm_set_free(pm_set *s);

/* Topological order (parents and dependencies first), length size. */
extern const int *pm_graph_topo(const pm_graph *g);

extern void pm_graph_heads(const pm_graph *g, pm_set *out);
extern void pm_graph_bases(const pm_graph *g, pm_set *out);
/* Revisions with two or more children. */
extern void pm_graph_branchpoints(const pm_graph *g, pm_set *out);
/* Applied revisions none of whose children is applied. */
extern void pm_graph_current(const pm_graph *g, pm_set *out);

/*
 * Plans.  Each returns revision indices in execution order.
 *
 * upgrade: every unapplied ancestor-or-self of the targets, in the
 * graph's topological order (pm_graph_topo: a depth-first post-order
 * started from every revision in load order, parents visited in declared
 * order; when revisions are loaded parents first, as the client loads a
 * folder, it is the load order itself).  The order of independent
 * revisions is therefore the load order whatever the target, and an
 * upgrade runs in exactly the reverse order of the downgrade that
 * undoes it.
 *
 * downgrade: when branch_root < 0, every applied revision that descends
 * (strictly) from a target and is not itself an ancestor-or-self of a
 * target; with no targets, every applied revision.  When branch_root >=
 * 0, every applied revision that is branch_root or descends from it.
 * Descendants come first.
 *
 * stamp: the revisions whose state changes when the applied set becomes
 * the targets' ancestry (with branch_root >= 0: the applied set minus
 * that branch); removals first (descendants first), then additions.
 */
extern void pm_plan_upgrade(const pm_graph *g, const pm_set *targets,
							pm_set *out);
extern void pm_plan_downgrade(const pm_graph *g, const pm_set *targets,
							  int branch_root, pm_set *out);
extern void pm_plan_stamp(const pm_graph *g, const pm_set *targets,
						  int branch_root, pm_set *out);

/* Closures over parents+deps (ancestors) or children+dependents. */
extern void pm_graph_ancestors(const pm_graph *g, const pm_set *from,
							   bool include_self, unsigned char *mark);
extern void pm_graph_descendants(const pm_graph *g, const pm_set *from,
								 bool include_self, unsigned char *mark);

#endif							/* PM_GRAPH_H */
