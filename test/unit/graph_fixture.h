/*
 * graph_fixture.h: building small revision graphs from comma-separated
 * name lists, shared by the graph and target unit tests.
 */
#ifndef PGMIG_GRAPH_FIXTURE_H
#define PGMIG_GRAPH_FIXTURE_H

#include "graph.h"

#include <string.h>

#define MAXN 16

/* split "a,b,c" into at most MAXN names; "" gives none */
static int
split(const char *csv, char names[MAXN][80], const char *ptrs[MAXN])
{
	int			n = 0;

	if (csv == NULL || *csv == '\0')
		return 0;
	while (n < MAXN)
	{
		const char *c = strchr(csv, ',');
		size_t		len = c ? (size_t) (c - csv) : strlen(csv);

		memcpy(names[n], csv, len);
		names[n][len] = '\0';
		ptrs[n] = names[n];
		n++;
		if (!c)
			break;
		csv = c + 1;
	}
	return n;
}

/* add a revision; parents, deps and labels are comma separated */
static int
add(pm_graph *g, const char *id, const char *parents, const char *deps,
	const char *labels, bool applied)
{
	char		pn[MAXN][80],
				dn[MAXN][80],
				ln[MAXN][80];
	const char *pp[MAXN],
			   *dp[MAXN],
			   *lp[MAXN];
	int			np = split(parents, pn, pp);
	int			nd = split(deps, dn, dp);
	int			nl = split(labels, ln, lp);

	return pm_graph_add(g, id, pp, np, dp, nd, lp, nl, applied);
}

#endif
