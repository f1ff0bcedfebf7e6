/*-------------------------------------------------------------------------
 *
 * target.c
 *	  Parse and resolve Alembic-style target expressions and ranges.
 *
 * Parsing knows nothing about the graph; resolution turns a parsed target
 * into a set of revision indices (empty = base) against a built graph.
 * Resolution is linear in the graph size: the only scans are the prefix
 * search and the branch closure, each one pass.
 *
 * Errors name what was asked for and what was found, and suggest the
 * expression that would have worked.
 *
 *-------------------------------------------------------------------------
 */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REL 1000000000

static bool
is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '_';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse "+N" / "-N" at *p; advances *p. */
static bool
parse_rel(const char **p, int *rel, const char *whole, pm_error *err)
{
	const char *s = *p;
	int			sign = (*s == '-') ? -1 : 1;
	long long	v = 0;
	int			digits = 0;

	s++;
	while (*s >= '0' && *s <= '9')
	{
		v = v * 10 + (*s - '0');
		if (v > MAX_REL)
		{
			pm_error_set(err, PM_ERR_SYNTAX,
						 "relative step in target \"%.100s\" is too large", whole);
			return false;
		}
		digits++;
		s++;
	}
	if (digits == 0 || v == 0)
	{
		pm_error_set(err, PM_ERR_SYNTAX,
					 "invalid relative step in target \"%.100s\"", whole);
		pm_error_hint(err, "A relative step is + or - followed by a positive number, as in +2 or head-1.");
		return false;
	}
	*rel = sign * (int) v;
	*p = s;
	return true;
}

bool
pm_target_parse(const char *str, pm_target *t, pm_error *err)
{
	const char *p;
	const char *end;
	const char *nstart;
	size_t		nlen;
	char		whole[128];

	pm_error_clear(err);
	memset(t, 0, sizeof(*t));
	if (str == NULL)
		str = "";
	while (is_space(*str))
		str++;
	end = str + strlen(str);
	while (end > str && is_space(end[-1]))
		end--;
	snprintf(whole, sizeof(whole), "%.*s", (int) (end - str > 100 ? 100 : end - str), str);

	if (end == str)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "empty target expression");
		pm_error_hint(err, "Use head, heads, base, a revision id, a branch label, or a relative step such as -1.");
		return false;
	}
	/* the parser works on a bounded copy so it never reads past "end" */
	{
		char		buf[256];
		size_t		len = end - str;

		if (len >= sizeof(buf))
		{
			pm_error_set(err, PM_ERR_SYNTAX, "target expression \"%s...\" is too long", whole);
			return false;
		}
		memcpy(buf, str, len);
		buf[len] = '\0';
		p = buf;

		if (*p == '+' || *p == '-')
		{
			t->kind = PM_T_REL;
			if (!parse_rel(&p, &t->rel, whole, err))
				return false;
			goto done;
		}
		nstart = p;
		while (is_name_char(*p))
			p++;
		nlen = p - nstart;
		if (nlen == 0)
		{
			pm_error_set(err, PM_ERR_SYNTAX, "invalid target expression \"%s\"", whole);
			pm_error_hint(err, "Use head, heads, base, a revision id, a branch label, LABEL@head, or a relative step such as -1.");
			return false;
		}
		if (nlen > PM_MAX_ID_LEN)
		{
			pm_error_set(err, PM_ERR_INVALID_NAME,
						 "name in target \"%s\" is longer than %d characters", whole, PM_MAX_ID_LEN);
			return false;
		}
		memcpy(t->name, nstart, nlen);
		t->name[nlen] = '\0';

		if (*p == '@')
		{
			p++;
			if (strncmp(p, "head", 4) == 0 && !is_name_char(p[4]))
			{
				t->kind = PM_T_NAME_HEAD;
				p += 4;
			}
			else if (strncmp(p, "base", 4) == 0 && !is_name_char(p[4]))
			{
				t->kind = PM_T_NAME_BASE;
				p += 4;
			}
			else if (*p == '+' || *p == '-')
			{
				t->kind = PM_T_NAME_REL;
				if (!parse_rel(&p, &t->rel, whole, err))
					return false;
			}
			else
			{
				pm_error_set(err, PM_ERR_SYNTAX, "invalid branch target \"%s\"", whole);
				pm_error_hint(err, "After \"@\" write head, base, or a relative step such as +1.");
				return false;
			}
			if (t->kind != PM_T_NAME_REL && pm_reserved_name(t->name))
			{
				pm_error_set(err, PM_ERR_SYNTAX, "invalid branch target \"%s\"", whole);
				pm_error_hint(err, "\"%s\" is a reserved word, not a branch label or revision.", t->name);
				return false;
			}
			if (t->kind == PM_T_NAME_REL && pm_reserved_name(t->name))
			{
				pm_error_set(err, PM_ERR_SYNTAX, "invalid branch target \"%s\"", whole);
				pm_error_hint(err, "Write %s%+d without \"@\".", t->name, t->rel);
				return false;
			}
		}
		else
		{
			if (strcmp(t->name, "heads") == 0)
				t->kind = PM_T_HEADS;
			else if (strcmp(t->name, "head") == 0)
				t->kind = PM_T_HEAD;
			else if (strcmp(t->name, "base") == 0)
				t->kind = PM_T_BASE;
			else if (strcmp(t->name, "current") == 0)
				t->kind = PM_T_CURRENT;
			else
				t->kind = PM_T_NAME;
			if (*p == '+' || *p == '-')
			{
				if (t->kind == PM_T_HEADS)
				{
					pm_error_set(err, PM_ERR_SYNTAX,
								 "relative step from \"heads\" is not allowed in \"%s\"", whole);
					pm_error_hint(err, "Use head%s (one head) or LABEL@head with a step.", p);
					return false;
				}
				if (!parse_rel(&p, &t->rel, whole, err))
					return false;
			}
		}
done:
		if (*p != '\0')
		{
			pm_error_set(err, PM_ERR_SYNTAX,
						 "unexpected \"%.20s\" in target expression \"%s\"", p, whole);
			pm_error_hint(err, "Use head, heads, base, a revision id, a branch label, LABEL@head, or a relative step such as -1.");
			return false;
		}
	}
	if (t->kind == PM_T_NAME)
		t->name[PM_MAX_ID_LEN] = '\0';
	return true;
}

void
pm_target_format(const pm_target *t, char *out, size_t outlen)
{
	char		rel[16] = "";

	if (t->rel != 0)
		snprintf(rel, sizeof(rel), "%+d", t->rel);
	switch (t->kind)
	{
		case PM_T_HEADS:
			snprintf(out, outlen, "heads");
			break;
		case PM_T_HEAD:
			snprintf(out, outlen, "head%s", rel);
			break;
		case PM_T_BASE:
			snprintf(out, outlen, "base%s", rel);
			break;
		case PM_T_CURRENT:
			snprintf(out, outlen, "current%s", rel);
			break;
		case PM_T_NAME:
			snprintf(out, outlen, "%s%s", t->name, rel);
			break;
		case PM_T_NAME_HEAD:
			snprintf(out, outlen, "%s@head", t->name);
			break;
		case PM_T_NAME_BASE:
			snprintf(out, outlen, "%s@base", t->name);
			break;
		case PM_T_NAME_REL:
			snprintf(out, outlen, "%s@%s", t->name, rel);
			break;
		case PM_T_REL:
			snprintf(out, outlen, "%s", rel);
			break;
	}
}

/* ---------------------------------------------------------------------- */

/* "a, b, c" (at most 10, then "and N more") into buf. */
static void
list_names(const pm_graph *g, const int *items, int n, char *buf, size_t len)
{
	int			k;
	size_t		o = 0;

	buf[0] = '\0';
	for (k = 0; k < n && k < 10 && o < len; k++)
		o += snprintf(buf + o, len - o, "%s%s", k ? ", " : "",
					  pm_graph_rev(g, items[k])->id);
	if (n > 10 && o < len)
		snprintf(buf + o, len - o, " and %d more", n - 10);
}

static void
set_one(pm_set *s, int v)
{
	s->items = pm_malloc(sizeof(int));
	s->items[0] = v;
	s->n = 1;
}

static void
set_empty(pm_set *s)
{
	s->items = pm_malloc(sizeof(int));
	s->n = 0;
}

/* Find a revision by id, label, or unique id prefix. */
static int
lookup_name(const pm_graph *g, const char *name, pm_error *err)
{
	int			v = pm_graph_find(g, name);
	int			n = pm_graph_size(g);
	int			i;
	int			nmatch = 0;
	int			matches[11];
	size_t		plen = strlen(name);

	if (v >= 0)
		return v;
	v = pm_graph_find_label(g, name);
	if (v >= 0)
		return v;
	for (i = 0; i < n; i++)
	{
		if (strncmp(pm_graph_rev(g, i)->id, name, plen) == 0)
		{
			if (nmatch < 11)
				matches[nmatch] = i;
			nmatch++;
		}
	}
	if (nmatch == 1)
		return matches[0];
	if (nmatch == 0)
	{
		pm_error_set(err, PM_ERR_UNDEFINED,
					 "no revision or branch label matches \"%s\"", name);
		pm_error_hint(err, "List revisions with pgmig.history() or load the missing revision first.");
		return -1;
	}
	{
		char		buf[800];

		list_names(g, matches, nmatch > 10 ? 10 : nmatch, buf, sizeof(buf));
		pm_error_set(err, PM_ERR_AMBIGUOUS,
					 "revision prefix \"%s\" is ambiguous", name);
		pm_error_detail(err, "It matches %d revisions: %s%s.", nmatch, buf,
						nmatch > 10 ? ", ..." : "");
		pm_error_hint(err, "Type more characters of the revision id.");
	}
	return -1;
}

/* Mark v and everything below it through children (its branch). */
static unsigned char *
branch_members(const pm_graph *g, int root)
{
	int			n = pm_graph_size(g);
	unsigned char *mark = pm_malloc(n + 1);
	int		   *queue = pm_malloc(sizeof(int) * (n + 1));
	int			qh = 0,
				qt = 0;

	memset(mark, 0, n + 1);
	mark[root] = 1;
	queue[qt++] = root;
	while (qh < qt)
	{
		const pm_rev *r = pm_graph_rev(g, queue[qh++]);
		int			k;

		for (k = 0; k < r->nchildren; k++)
			if (!mark[r->children[k]])
			{
				mark[r->children[k]] = 1;
				queue[qt++] = r->children[k];
			}
	}
	pm_free(queue);
	return mark;
}

/* The heads (no children) within the branch starting at root. */
static bool
branch_head(const pm_graph *g, int root, const char *expr, int *out,
			pm_error *err)
{
	int			n = pm_graph_size(g);
	unsigned char *mark = branch_members(g, root);
	int		   *heads = pm_malloc(sizeof(int) * (n + 1));
	int			nh = 0;
	int			i;
	bool		ok = true;

	for (i = 0; i < n; i++)
		if (mark[i] && pm_graph_rev(g, i)->nchildren == 0)
			heads[nh++] = i;
	if (nh == 1)
		*out = heads[0];
	else
	{
		char		buf[800];

		list_names(g, heads, nh, buf, sizeof(buf));
		pm_error_set(err, PM_ERR_AMBIGUOUS,
					 "target \"%s\" has %d heads", expr, nh);
		pm_error_detail(err, "The branch from revision \"%s\" ends in: %s.",
						pm_graph_rev(g, root)->id, buf);
		pm_error_hint(err, "Name one of these heads, or merge them with pgmig.merge().");
		ok = false;
	}
	pm_free(heads);
	pm_free(mark);
	return ok;
}

/*
 * Step "steps" times.  The position is either a set (pos) or, when
 * *at_branch_base, the point before revision branch (branch base).  With
 * members != NULL, moves (up and down) are restricted to that branch.
 *
 * Linear: the work buffers are allocated once, not per step, and "seen"
 * is cleared entry by entry, so N steps cost O(n + N * width), not O(n * N).
 */
static bool
walk(const pm_graph *g, pm_set *pos, int steps, const unsigned char *members,
	 int branch, bool *at_branch_base, const char *expr, pm_error *err)
{
	int			n = pm_graph_size(g);
	int		   *cand = pm_malloc(sizeof(int) * (n + 1));
	unsigned char *seen = NULL;
	int		   *next = NULL;
	bool		ok = true;

	while (steps > 0)
	{
		int			nc = 0;
		int			i;
		int			k;

		if (*at_branch_base)
			cand[nc++] = branch;
		else if (pos->n == 0)
		{
			for (i = 0; i < n; i++)
				if (pm_graph_rev(g, i)->nparents_ok == 0 &&
					(members == NULL || members[i]))
					cand[nc++] = i;
		}
		else if (pos->n > 1)
		{
			char		buf[800];

			list_names(g, pos->items, pos->n, buf, sizeof(buf));
			pm_error_set(err, PM_ERR_AMBIGUOUS,
						 "cannot step up from several revisions in \"%s\"", expr);
			pm_error_detail(err, "The starting point is %s.", buf);
			pm_error_hint(err, "Start from one revision, as in REV+1.");
			ok = false;
			goto out;
		}
		else
		{
			const pm_rev *r = pm_graph_rev(g, pos->items[0]);

			for (k = 0; k < r->nchildren; k++)
				if (members == NULL || members[r->children[k]])
					cand[nc++] = r->children[k];
		}
		if (nc == 0)
		{
			pm_error_set(err, PM_ERR_RANGE,
						 "target \"%s\" steps past the head", expr);
			if (pos->n == 1)
				pm_error_detail(err, "Revision \"%s\" is a head.",
								pm_graph_rev(g, pos->items[0])->id);
			else
				pm_error_detail(err, "There is no revision to step to.");
			pm_error_hint(err, "Use a smaller step, or \"heads\" to go to the newest revision.");
			ok = false;
			goto out;
		}
		if (nc > 1)
		{
			char		buf[800];

			list_names(g, cand, nc, buf, sizeof(buf));
			pm_error_set(err, PM_ERR_AMBIGUOUS,
						 "target \"%s\" is ambiguous: the next step could be any of %d revisions",
						 expr, nc);
			pm_error_detail(err, "Candidates: %s.", buf);
			pm_error_hint(err, "Name the revision, or use a branch label, as in LABEL@+1.");
			ok = false;
			goto out;
		}
		if (pos->items == NULL || pos->n == 0)
			pos->items = pm_realloc(pos->items, sizeof(int) * 2);
		pos->n = 1;
		pos->items[0] = cand[0];
		*at_branch_base = false;
		steps--;
	}
	if (steps < 0)
	{
		seen = pm_malloc(n + 1);
		memset(seen, 0, n + 1);
		next = pm_malloc(sizeof(int) * (n + 1));
		/* pos and next are swapped each step: give both room for n */
		pos->items = pm_realloc(pos->items, sizeof(int) * (n + 1));
	}
	while (steps < 0)
	{
		int			nn = 0;
		int			k;
		int			j;
		int		   *tmp;

		if (pos->n == 0 || *at_branch_base)
		{
			pm_error_set(err, PM_ERR_RANGE,
						 "target \"%s\" steps past the base", expr);
			pm_error_detail(err, "There are fewer revisions below the starting point than the step asks for.");
			ok = false;
			goto out;
		}
		if (members != NULL && pos->n == 1 && pos->items[0] == branch)
		{
			/* stepping below the branch's first revision */
			*at_branch_base = true;
			pos->n = 0;
			steps++;
			continue;
		}
		for (k = 0; k < pos->n; k++)
		{
			const pm_rev *r = pm_graph_rev(g, pos->items[k]);

			for (j = 0; j < r->nparents_ok; j++)
				if (!seen[r->parents[j]] &&
					(members == NULL || members[r->parents[j]]))
				{
					seen[r->parents[j]] = 1;
					next[nn++] = r->parents[j];
				}
		}
		for (k = 0; k < nn; k++)
			seen[next[k]] = 0;
		tmp = pos->items;
		pos->items = next;
		next = tmp;
		pos->n = nn;
		steps++;
	}
out:
	pm_free(cand);
	if (seen)
		pm_free(seen);
	if (next)
		pm_free(next);
	return ok;
}

static void
sort_set(pm_set *s)
{
	/* small sets; insertion sort keeps load order */
	int			i,
				j;

	for (i = 1; i < s->n; i++)
	{
		int			v = s->items[i];

		for (j = i - 1; j >= 0 && s->items[j] > v; j--)
			s->items[j + 1] = s->items[j];
		s->items[j + 1] = v;
	}
}

/* out = the (known) parents of revision v, sorted: a branch's base. */
static void
set_parents(const pm_graph *g, int v, pm_set *out)
{
	const pm_rev *r = pm_graph_rev(g, v);
	int			k;

	out->items = pm_malloc(sizeof(int) * (r->nparents_ok + 1));
	for (k = 0; k < r->nparents_ok; k++)
		out->items[k] = r->parents[k];
	out->n = r->nparents_ok;
	sort_set(out);
}

static bool
need_single(const pm_graph *g, pm_set *s, const char *what, const char *expr,
			pm_error *err)
{
	char		buf[800];

	if (s->n <= 1)
		return true;
	list_names(g, s->items, s->n, buf, sizeof(buf));
	if (strcmp(what, "head") == 0)
	{
		pm_error_set(err, PM_ERR_AMBIGUOUS,
					 "multiple head revisions are present for given argument \"%s\"", expr);
		pm_error_detail(err, "The graph has %d heads: %s.", s->n, buf);
		pm_error_hint(err, "Specify a target revision, LABEL@head or REV@head to narrow to one branch, or \"heads\" for all heads; or merge them first (pgmig merge, or SQL pgmig.merge()).");
	}
	else
	{
		pm_error_set(err, PM_ERR_STATE,
					 "target \"%s\" needs a single current revision, but %d are applied heads",
					 expr, s->n);
		pm_error_detail(err, "The current heads are %s.", buf);
		pm_error_hint(err, "Step from a named revision or branch instead, as in REV-1 or LABEL@-1.");
	}
	return false;
}

bool
pm_target_resolve(const pm_graph *g, const pm_target *t, pm_set *out,
				  int *branch_root, pm_error *err)
{
	char		expr[128];
	int			v;
	bool		at_branch_base = false;
	unsigned char *members = NULL;
	int			branch = -1;
	bool		ok = true;

	pm_error_clear(err);
	pm_target_format(t, expr, sizeof(expr));
	*branch_root = -1;
	out->n = 0;
	out->items = NULL;

	switch (t->kind)
	{
		case PM_T_HEADS:
			pm_graph_heads(g, out);
			return true;
		case PM_T_HEAD:
			pm_graph_heads(g, out);
			if (!need_single(g, out, "head", expr, err))
			{
				pm_set_free(out);
				return false;
			}
			break;
		case PM_T_BASE:
			set_empty(out);
			break;
		case PM_T_CURRENT:
		case PM_T_REL:
			pm_graph_current(g, out);
			if (t->rel != 0 && !need_single(g, out, "current", expr, err))
			{
				pm_set_free(out);
				return false;
			}
			break;
		case PM_T_NAME:
			v = lookup_name(g, t->name, err);
			if (v < 0)
				return false;
			set_one(out, v);
			break;
		case PM_T_NAME_HEAD:
			v = lookup_name(g, t->name, err);
			if (v < 0 || !branch_head(g, v, expr, &v, err))
				return false;
			set_one(out, v);
			return true;
		case PM_T_NAME_BASE:
			v = lookup_name(g, t->name, err);
			if (v < 0)
				return false;
			set_parents(g, v, out);
			*branch_root = v;
			return true;
		case PM_T_NAME_REL:
			{
				int			n = pm_graph_size(g);
				int		   *cur;
				int			nc = 0;
				int			i;
				int			k;

				v = lookup_name(g, t->name, err);
				if (v < 0)
					return false;
				branch = v;
				members = branch_members(g, v);
				/* the branch's current revision: applied, no applied child in it */
				cur = pm_malloc(sizeof(int) * (n + 1));
				for (i = 0; i < n; i++)
				{
					const pm_rev *r = pm_graph_rev(g, i);
					bool		child = false;

					if (!members[i] || !r->applied)
						continue;
					for (k = 0; k < r->nchildren; k++)
						if (members[r->children[k]] &&
							pm_graph_rev(g, r->children[k])->applied)
							child = true;
					if (!child)
						cur[nc++] = i;
				}
				out->items = cur;
				out->n = nc;
				if (nc == 0)
					at_branch_base = true;
				else if (!need_single(g, out, "current", expr, err))
				{
					pm_free(members);
					pm_set_free(out);
					return false;
				}
			}
			break;
	}

	if (t->rel != 0)
		ok = walk(g, out, t->rel, members, branch, &at_branch_base, expr, err);
	if (members)
		pm_free(members);
	if (!ok)
	{
		pm_set_free(out);
		return false;
	}
	if (at_branch_base)
	{
		pm_set_free(out);
		set_parents(g, branch, out);
		*branch_root = branch;
	}
	else
		sort_set(out);
	return true;
}

bool
pm_resolve(const pm_graph *g, const char *expr, pm_set *out,
		   int *branch_root, pm_error *err)
{
	pm_target	t;

	out->n = 0;
	out->items = NULL;
	if (!pm_target_parse(expr, &t, err))
		return false;
	return pm_target_resolve(g, &t, out, branch_root, err);
}

bool
pm_range_resolve(const pm_graph *g, const char *range, unsigned char *inrange,
				 pm_error *err)
{
	int			n = pm_graph_size(g);
	const char *colon = strchr(range, ':');
	char		lo[256];
	char		hi[256];
	unsigned char *mlo;
	unsigned char *mhi;
	int			i;

	pm_error_clear(err);
	if (colon == NULL)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "invalid history range \"%.100s\"", range);
		pm_error_hint(err, "Write START:END, :END or START:, as in base:head or current:.");
		return false;
	}
	if ((size_t) (colon - range) >= sizeof(lo) || strlen(colon + 1) >= sizeof(hi))
	{
		pm_error_set(err, PM_ERR_SYNTAX, "history range is too long");
		return false;
	}
	memcpy(lo, range, colon - range);
	lo[colon - range] = '\0';
	strcpy(hi, colon + 1);

	mlo = pm_malloc(n + 1);
	mhi = pm_malloc(n + 1);
	memset(mlo, 0, n + 1);
	memset(mhi, 0, n + 1);

	{
		const char *sides[2] = {lo, hi};
		int			s;

		for (s = 0; s < 2; s++)
		{
			const char *p = sides[s];
			unsigned char *m = s == 0 ? mlo : mhi;
			pm_set		set;
			int			br;

			while (is_space(*p))
				p++;
			if (*p == '\0')
			{
				memset(m, 1, n);
				continue;
			}
			if (!pm_resolve(g, p, &set, &br, err))
			{
				pm_free(mlo);
				pm_free(mhi);
				return false;
			}
			if (s == 0)
			{
				if (set.n == 0 && br < 0)
					memset(m, 1, n);	/* from base: everything */
				else if (br >= 0)
				{
					pm_set		one;

					one.n = 1;
					one.items = &br;
					pm_graph_descendants(g, &one, true, m);
				}
				else
					pm_graph_descendants(g, &set, true, m);
			}
			else
				pm_graph_ancestors(g, &set, true, m);
			pm_set_free(&set);
		}
	}
	for (i = 0; i < n; i++)
		inrange[i] = mlo[i] && mhi[i];
	pm_free(mlo);
	pm_free(mhi);
	return true;
}

int
pm_plan_command(const pm_graph *g, const char *command, const char *target,
				pm_set *steps, pm_error *err)
{
	pm_set		targets;
	int			br;
	int			kind;

	steps->n = 0;
	steps->items = NULL;
	if (strcmp(command, "upgrade") == 0)
		kind = PM_CMD_UPGRADE;
	else if (strcmp(command, "downgrade") == 0)
		kind = PM_CMD_DOWNGRADE;
	else if (strcmp(command, "stamp") == 0)
		kind = PM_CMD_STAMP;
	else
	{
		pm_error_set(err, PM_ERR_SYNTAX, "unknown command \"%s\"", command);
		pm_error_hint(err, "Use upgrade, downgrade or stamp.");
		return -1;
	}
	if (!pm_resolve(g, target, &targets, &br, err))
		return -1;
	if (kind == PM_CMD_UPGRADE)
		pm_plan_upgrade(g, &targets, steps);
	else if (kind == PM_CMD_DOWNGRADE)
		pm_plan_downgrade(g, &targets, br, steps);
	else
		pm_plan_stamp(g, &targets, br, steps);
	pm_set_free(&targets);
	return kind;
}
