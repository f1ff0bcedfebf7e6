/*
 * test_target.c: target expressions and history ranges (target.c).
 * Every form of target.h's grammar and every parse error; resolution
 * against small graphs (linear, branched with labels and a merge,
 * several bases, depends_on) with the exact set, branch root and error
 * each expression gives; ranges.
 *
 * Resolutions are compared as text: "{a,b}" for the set (in load
 * order), " root=X" when a branch root is set, or "error N" with the
 * error code.
 */
#include "target.h"
#include "unit.h"

#include <stdlib.h>
#include <time.h>

static pm_error err;

/* ---------------------------------------------------------------- */
/* helpers */

/* split() and add() */
#include "graph_fixture.h"

static bool
in_list(const char *csv, const char *id)
{
	char		names[MAXN][80];
	const char *ptrs[MAXN];
	int			n = split(csv, names, ptrs);
	int			k;

	for (k = 0; k < n; k++)
		if (strcmp(ptrs[k], id) == 0)
			return true;
	return false;
}

/*
 * A graph from a compact description: "id:parents:deps:labels" entries
 * separated by blanks, parents etc. comma separated; ids listed in
 * "applied" are applied.
 */
static pm_graph *
graph(const char *desc, const char *applied)
{
	pm_graph   *g = pm_graph_new(0);
	char	   *copy = strdup(desc);
	char	   *save = NULL;
	char	   *tok;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
	{
		char	   *f[4] = {tok, "", "", ""};
		int			k;

		for (k = 1; k < 4; k++)
		{
			char	   *c = strchr(f[k - 1], ':');

			if (!c)
				break;
			*c = '\0';
			f[k] = c + 1;
		}
		add(g, f[0], f[1], f[2], f[3], in_list(applied, f[0]));
	}
	free(copy);
	if (!pm_graph_build(g, true, &err))
		printf("# graph does not build: %s\n", err.msg);
	return g;
}

/* resolve expr; "{a,b}" [" root=X"] or "error N" */
static const char *
res(const pm_graph *g, const char *expr)
{
	static char bufs[8][1024];
	static int	which = 0;
	char	   *b = bufs[which++ % 8];
	pm_set		s;
	int			br = -7;
	size_t		o;
	int			k;

	s.n = -1;
	s.items = (int *) &which;	/* must be overwritten */
	if (!pm_resolve(g, expr, &s, &br, &err))
	{
		snprintf(b, 1024, "error %d", (int) err.code);
		if (s.n != 0 || s.items != NULL)
			snprintf(b, 1024, "error %d, output not cleared", (int) err.code);
		if (err.msg[0] == '\0')
			snprintf(b, 1024, "error %d, no message", (int) err.code);
		return b;
	}
	o = snprintf(b, 1024, "{");
	for (k = 0; k < s.n; k++)
		o += snprintf(b + o, 1024 - o, "%s%s", k ? "," : "",
					  pm_graph_rev(g, s.items[k])->id);
	o += snprintf(b + o, 1024 - o, "}");
	if (br >= 0)
		snprintf(b + o, 1024 - o, " root=%s", pm_graph_rev(g, br)->id);
	else if (br != -1)
		snprintf(b + o, 1024 - o, " root not set");
	if (err.code != PM_OK)
		snprintf(b, 1024, "success with error code %d", (int) err.code);
	pm_set_free(&s);
	return b;
}

/* resolve, expect one set/root result */
#define RES(g, expr, want) CHECK_STR(res(g, expr), want, expr)

/* resolve, expect an error with code; message and detail must contain parts */
static void
res_fail(const pm_graph *g, const char *expr, pm_errcode code,
		 const char *msg_part, const char *detail_part)
{
	char		want[32];

	snprintf(want, sizeof(want), "error %d", (int) code);
	CHECK_STR(res(g, expr), want, expr);
	if (msg_part)
		CHECK(strstr(err.msg, msg_part) != NULL,
			  "%s: message has \"%s\" (got \"%s\")", expr, msg_part, err.msg);
	if (detail_part)
		CHECK(strstr(err.detail, detail_part) != NULL,
			  "%s: detail has \"%s\" (got \"%s\")", expr, detail_part, err.detail);
}

/* ---------------------------------------------------------------- */
/* parsing */

/* s with blanks other than space escaped, for one-line test names */
static const char *
vis(const char *s)
{
	static char bufs[4][512];
	static int	which = 0;
	char	   *b = bufs[which++ % 4];
	size_t		o = 0;

	if (s == NULL)
		return "(null)";
	for (; *s && o < 500; s++)
	{
		if (*s == '\n' || *s == '\t' || *s == '\r')
		{
			b[o++] = '\\';
			b[o++] = *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r';
		}
		else
			b[o++] = *s;
	}
	b[o] = '\0';
	return b;
}

static void
parse_ok(const char *s, pm_target_kind kind, const char *name, int rel,
		 const char *canon)
{
	pm_target	t,
				t2;
	char		out[128];
	bool		ok = pm_target_parse(s, &t, &err);

	CHECK(ok, "parse \"%s\"", vis(s));
	if (!ok)
	{
		printf("#   error: %s\n", err.msg);
		return;
	}
	CHECK(t.kind == kind && strcmp(t.name, name) == 0 && t.rel == rel &&
		  err.code == PM_OK,
		  "\"%s\": kind %d name \"%s\" rel %d (got %d \"%s\" %d)",
		  vis(s), (int) kind, name, rel, (int) t.kind, t.name, t.rel);
	pm_target_format(&t, out, sizeof(out));
	CHECK_STR(out, canon, "format");
	CHECK(pm_target_parse(out, &t2, &err) && t2.kind == t.kind &&
		  strcmp(t2.name, t.name) == 0 && t2.rel == t.rel,
		  "\"%s\" round-trips through \"%s\"", vis(s), out);
}

static void
parse_fail(const char *s, pm_errcode code, const char *msg, const char *hint_part)
{
	pm_target	t;
	bool		ok = pm_target_parse(s, &t, &err);

	CHECK(!ok && err.code == code, "\"%s\" refused with code %d (got %d, %d)",
		  vis(s), (int) code, (int) ok, (int) err.code);
	if (msg)
		CHECK_STR(err.msg, msg, "error message");
	if (hint_part)
		CHECK(strstr(err.hint, hint_part) != NULL, "hint has \"%s\" (got \"%s\")",
			  hint_part, err.hint);
}

static void
test_parse(void)
{
	char		name64[80],
				name65[80],
				buf[400];

	parse_ok("heads", PM_T_HEADS, "heads", 0, "heads");
	parse_ok("head", PM_T_HEAD, "head", 0, "head");
	parse_ok("base", PM_T_BASE, "base", 0, "base");
	parse_ok("current", PM_T_CURRENT, "current", 0, "current");
	parse_ok("ae10", PM_T_NAME, "ae10", 0, "ae10");
	parse_ok("my_branch", PM_T_NAME, "my_branch", 0, "my_branch");
	parse_ok("Heads", PM_T_NAME, "Heads", 0, "Heads");
	parse_ok("headx", PM_T_NAME, "headx", 0, "headx");
	parse_ok("ae10@head", PM_T_NAME_HEAD, "ae10", 0, "ae10@head");
	parse_ok("xb@base", PM_T_NAME_BASE, "xb", 0, "xb@base");
	parse_ok("xb@+2", PM_T_NAME_REL, "xb", 2, "xb@+2");
	parse_ok("xb@-3", PM_T_NAME_REL, "xb", -3, "xb@-3");
	parse_ok("+1", PM_T_REL, "", 1, "+1");
	parse_ok("-2", PM_T_REL, "", -2, "-2");
	parse_ok("head-1", PM_T_HEAD, "head", -1, "head-1");
	parse_ok("head+1", PM_T_HEAD, "head", 1, "head+1");
	parse_ok("base+2", PM_T_BASE, "base", 2, "base+2");
	parse_ok("base-1", PM_T_BASE, "base", -1, "base-1");
	parse_ok("current-1", PM_T_CURRENT, "current", -1, "current-1");
	parse_ok("current+4", PM_T_CURRENT, "current", 4, "current+4");
	parse_ok("ae10+3", PM_T_NAME, "ae10", 3, "ae10+3");
	parse_ok("ae10-12", PM_T_NAME, "ae10", -12, "ae10-12");
	parse_ok("  \t ae10@head \r\n", PM_T_NAME_HEAD, "ae10", 0, "ae10@head");
	parse_ok("\n-1\t", PM_T_REL, "", -1, "-1");
	parse_ok("+1000000000", PM_T_REL, "", 1000000000, "+1000000000");
	parse_ok("-1000000000", PM_T_REL, "", -1000000000, "-1000000000");
	parse_ok("-0001", PM_T_REL, "", -1, "-1");
	parse_ok("xb@+007", PM_T_NAME_REL, "xb", 7, "xb@+7");

	memset(name64, 'z', 64);
	name64[64] = '\0';
	memset(name65, 'z', 65);
	name65[65] = '\0';
	parse_ok(name64, PM_T_NAME, name64, 0, name64);
	snprintf(buf, sizeof(buf), "%s@head", name64);
	parse_ok(buf, PM_T_NAME_HEAD, name64, 0, buf);

	parse_fail("", PM_ERR_SYNTAX, "empty target expression", "Use head");
	parse_fail(" \t\n ", PM_ERR_SYNTAX, "empty target expression", NULL);
	parse_fail(NULL, PM_ERR_SYNTAX, "empty target expression", NULL);
	parse_fail("$x", PM_ERR_SYNTAX, "invalid target expression \"$x\"", "LABEL@head");
	parse_fail("@head", PM_ERR_SYNTAX, "invalid target expression \"@head\"", NULL);
	parse_fail("a.b", PM_ERR_SYNTAX, "unexpected \".b\" in target expression \"a.b\"", NULL);
	parse_fail("a b", PM_ERR_SYNTAX, "unexpected \" b\" in target expression \"a b\"", NULL);
	parse_fail("head -1", PM_ERR_SYNTAX, "unexpected \" -1\" in target expression \"head -1\"", NULL);
	parse_fail("ae10:", PM_ERR_SYNTAX, "unexpected \":\" in target expression \"ae10:\"", NULL);
	parse_fail("+1x", PM_ERR_SYNTAX, "unexpected \"x\" in target expression \"+1x\"", NULL);
	parse_fail("x@head+1", PM_ERR_SYNTAX, "unexpected \"+1\" in target expression \"x@head+1\"", NULL);
	parse_fail("x@+1@head", PM_ERR_SYNTAX, "unexpected \"@head\" in target expression \"x@+1@head\"", NULL);
	parse_fail("a+1-1", PM_ERR_SYNTAX, "unexpected \"-1\" in target expression \"a+1-1\"", NULL);
	parse_fail("heads+1", PM_ERR_SYNTAX,
			   "relative step from \"heads\" is not allowed in \"heads+1\"", "head+1");
	parse_fail("heads-2", PM_ERR_SYNTAX,
			   "relative step from \"heads\" is not allowed in \"heads-2\"", "head-2");
	parse_fail("xb@garbage", PM_ERR_SYNTAX, "invalid branch target \"xb@garbage\"",
			   "After \"@\"");
	parse_fail("xb@", PM_ERR_SYNTAX, "invalid branch target \"xb@\"", NULL);
	parse_fail("xb@heads", PM_ERR_SYNTAX, "invalid branch target \"xb@heads\"", NULL);
	parse_fail("xb@head1", PM_ERR_SYNTAX, "invalid branch target \"xb@head1\"", NULL);
	parse_fail("xb@current", PM_ERR_SYNTAX, "invalid branch target \"xb@current\"", NULL);
	parse_fail("xb@@head", PM_ERR_SYNTAX, "invalid branch target \"xb@@head\"", NULL);
	parse_fail("head@head", PM_ERR_SYNTAX, "invalid branch target \"head@head\"",
			   "\"head\" is a reserved word");
	parse_fail("base@base", PM_ERR_SYNTAX, "invalid branch target \"base@base\"",
			   "reserved word");
	parse_fail("heads@head", PM_ERR_SYNTAX, "invalid branch target \"heads@head\"", NULL);
	parse_fail("current@+1", PM_ERR_SYNTAX, "invalid branch target \"current@+1\"",
			   "Write current+1 without \"@\"");
	parse_fail("head@-2", PM_ERR_SYNTAX, NULL, "Write head-2 without");
	parse_fail("+0", PM_ERR_SYNTAX, "invalid relative step in target \"+0\"", "positive number");
	parse_fail("-000", PM_ERR_SYNTAX, "invalid relative step in target \"-000\"", NULL);
	parse_fail("+", PM_ERR_SYNTAX, "invalid relative step in target \"+\"", NULL);
	parse_fail("-", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("--1", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("+-1", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("ae10+0", PM_ERR_SYNTAX, "invalid relative step in target \"ae10+0\"", NULL);
	parse_fail("ae10-", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("xb@+0", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("xb@-", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail("+1000000001", PM_ERR_SYNTAX,
			   "relative step in target \"+1000000001\" is too large", NULL);
	parse_fail("head-99999999999999999999", PM_ERR_SYNTAX, NULL, NULL);
	parse_fail(name65, PM_ERR_INVALID_NAME, NULL, NULL);
	CHECK(strstr(err.msg, "is longer than 64 characters") != NULL,
		  "65-character name: message says so (got \"%s\")", err.msg);
	snprintf(buf, sizeof(buf), "%s@head", name65);
	parse_fail(buf, PM_ERR_INVALID_NAME, NULL, NULL);
	memset(buf, 'a', 300);
	buf[300] = '\0';
	parse_fail(buf, PM_ERR_SYNTAX, NULL, NULL);
	CHECK(strstr(err.msg, "is too long") != NULL && strlen(err.msg) < 200,
		  "300-character expression: too long, message bounded");

	/* a refused parse leaves the target zeroed and the error set */
	{
		pm_target	t;

		memset(&t, 0x5a, sizeof(t));
		CHECK(!pm_target_parse("xb@nope", &t, &err) && err.msg[0] != '\0',
			  "refused parse fills the error");
		CHECK(pm_target_parse("xb", &t, &err) && err.code == PM_OK &&
			  err.msg[0] == '\0' && err.hint[0] == '\0',
			  "a good parse after a bad one clears the error");
	}
}

/* ---------------------------------------------------------------- */
/* resolution */

/* linear aa01 - aa02 - bb03 - cc04 */
static const char *LINEAR = "aa01 aa02:aa01 bb03:aa02 cc04:bb03";

static void
test_linear(void)
{
	pm_graph   *g = graph(LINEAR, "aa01,aa02");

	RES(g, "head", "{cc04}");
	RES(g, "heads", "{cc04}");
	RES(g, "base", "{}");
	RES(g, "current", "{aa02}");
	RES(g, "cc04", "{cc04}");
	RES(g, "  bb03\t", "{bb03}");
	RES(g, "b", "{bb03}");
	RES(g, "aa01", "{aa01}");
	RES(g, "aa0", "error 4");
	res_fail(g, "aa", PM_ERR_AMBIGUOUS, "revision prefix \"aa\" is ambiguous",
			 "It matches 2 revisions: aa01, aa02.");
	CHECK(strstr(err.hint, "more characters") != NULL, "ambiguous prefix: hint");
	res_fail(g, "dd", PM_ERR_UNDEFINED, "no revision or branch label matches \"dd\"", NULL);
	res_fail(g, "cc04x", PM_ERR_UNDEFINED, NULL, NULL);
	res_fail(g, "AA01", PM_ERR_UNDEFINED, NULL, NULL);	/* case matters */
	res_fail(g, "head@head", PM_ERR_SYNTAX, NULL, NULL);

	RES(g, "+1", "{bb03}");
	RES(g, "+2", "{cc04}");
	res_fail(g, "+3", PM_ERR_RANGE, "target \"+3\" steps past the head",
			 "Revision \"cc04\" is a head.");
	RES(g, "-1", "{aa01}");
	RES(g, "-2", "{}");
	res_fail(g, "-3", PM_ERR_RANGE, "target \"-3\" steps past the base", NULL);
	RES(g, "current+1", "{bb03}");
	RES(g, "current-1", "{aa01}");
	RES(g, "head-1", "{bb03}");
	RES(g, "head-3", "{aa01}");
	RES(g, "head-4", "{}");
	res_fail(g, "head-5", PM_ERR_RANGE, "steps past the base", NULL);
	res_fail(g, "head+1", PM_ERR_RANGE, "target \"head+1\" steps past the head",
			 "Revision \"cc04\" is a head.");
	RES(g, "base+1", "{aa01}");
	RES(g, "base+4", "{cc04}");
	res_fail(g, "base+5", PM_ERR_RANGE, "steps past the head", NULL);
	res_fail(g, "base-1", PM_ERR_RANGE, "target \"base-1\" steps past the base", NULL);
	RES(g, "aa01+2", "{bb03}");
	RES(g, "b+1", "{cc04}");
	RES(g, "cc04-2", "{aa02}");
	res_fail(g, "aa01-2", PM_ERR_RANGE, NULL, NULL);
	res_fail(g, "cc04+1000000000", PM_ERR_RANGE, NULL, NULL);
	RES(g, "aa01@head", "{cc04}");
	RES(g, "cc04@head", "{cc04}");
	RES(g, "bb03@base", "{aa02} root=bb03");
	RES(g, "aa01@base", "{} root=aa01");
	RES(g, "aa01@+1", "{bb03}");	/* branch current is aa02 */
	RES(g, "aa01@+2", "{cc04}");
	RES(g, "aa01@-1", "{aa01}");
	RES(g, "aa01@-2", "{} root=aa01");
	res_fail(g, "aa01@-3", PM_ERR_RANGE, NULL, NULL);
	RES(g, "bb03@+1", "{bb03}");	/* nothing applied in that branch */
	RES(g, "bb03@+2", "{cc04}");
	res_fail(g, "bb03@+3", PM_ERR_RANGE, NULL, NULL);
	res_fail(g, "bb03@-1", PM_ERR_RANGE, "steps past the base", NULL);
	pm_graph_free(g);

	/* nothing applied */
	g = graph(LINEAR, "");
	RES(g, "current", "{}");
	RES(g, "+1", "{aa01}");
	RES(g, "+4", "{cc04}");
	res_fail(g, "-1", PM_ERR_RANGE, "steps past the base", NULL);
	res_fail(g, "current-1", PM_ERR_RANGE, NULL, NULL);
	pm_graph_free(g);

	/* everything applied */
	g = graph(LINEAR, "aa01,aa02,bb03,cc04");
	RES(g, "current", "{cc04}");
	res_fail(g, "+1", PM_ERR_RANGE, NULL, "Revision \"cc04\" is a head.");
	RES(g, "-4", "{}");
	pm_graph_free(g);

	/* an exact id wins over a longer id it is a prefix of */
	g = graph("abc abcd:abc abd:abc", "");
	RES(g, "abc", "{abc}");
	RES(g, "abcd", "{abcd}");
	RES(g, "abd", "{abd}");
	res_fail(g, "ab", PM_ERR_AMBIGUOUS, NULL, "It matches 3 revisions: abc, abcd, abd.");
	res_fail(g, "abc+1", PM_ERR_AMBIGUOUS, NULL, "Candidates: abcd, abd.");
	pm_graph_free(g);

	/* many matches are listed up to 10 */
	{
		pm_graph   *w = pm_graph_new(0);
		char		id[16];
		int			i;

		for (i = 0; i < 12; i++)
		{
			snprintf(id, sizeof(id), "f%02d", i);
			add(w, id, "", "", "", false);
		}
		pm_graph_build(w, true, &err);
		res_fail(w, "f", PM_ERR_AMBIGUOUS, NULL,
				 "It matches 12 revisions: f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, ...");
		res_fail(w, "head", PM_ERR_AMBIGUOUS, "multiple head revisions are present",
				 "The graph has 12 heads: f00, f01, f02, f03, f04, f05, f06, f07, f08, f09 and 2 more.");
		res_fail(w, "base+1", PM_ERR_AMBIGUOUS, "any of 12 revisions", NULL);
		pm_graph_free(w);
	}
}

/*
 *	r0 - x1 - x2 -\        x1 carries label xb, y1 carries yb
 *	 \             m9
 *	  - y1 - y2 --/
 */
static const char *BRANCHES = "r0 x1:r0::xb x2:x1 y1:r0::yb y2:y1";
static const char *MERGED = "r0 x1:r0::xb x2:x1 y1:r0::yb y2:y1 m9:x2,y2";

static void
test_branches(void)
{
	pm_graph   *g;

	/* unmerged, nothing applied */
	g = graph(BRANCHES, "");
	res_fail(g, "head", PM_ERR_AMBIGUOUS,
			 "multiple head revisions are present for given argument \"head\"",
			 "The graph has 2 heads: x2, y2.");
	CHECK(strstr(err.hint, "heads") && strstr(err.hint, "LABEL@head"),
		  "several heads: hint suggests heads and LABEL@head");
	res_fail(g, "head-1", PM_ERR_AMBIGUOUS, "multiple head revisions are present for given argument \"head-1\"", NULL);
	RES(g, "heads", "{x2,y2}");
	RES(g, "xb", "{x1}");
	RES(g, "yb", "{y1}");
	RES(g, "xb@head", "{x2}");
	RES(g, "yb@head", "{y2}");
	RES(g, "x1@head", "{x2}");
	RES(g, "y2@head", "{y2}");
	res_fail(g, "r0@head", PM_ERR_AMBIGUOUS, "target \"r0@head\" has 2 heads",
			 "The branch from revision \"r0\" ends in: x2, y2.");
	RES(g, "xb@base", "{r0} root=x1");
	RES(g, "yb@base", "{r0} root=y1");
	RES(g, "x2@base", "{x1} root=x2");
	RES(g, "r0@base", "{} root=r0");
	res_fail(g, "x", PM_ERR_AMBIGUOUS, "revision prefix \"x\" is ambiguous",
			 "It matches 2 revisions: x1, x2.");
	RES(g, "y2", "{y2}");
	res_fail(g, "xc@head", PM_ERR_UNDEFINED, "no revision or branch label matches \"xc\"", NULL);
	res_fail(g, "r0+1", PM_ERR_AMBIGUOUS,
			 "target \"r0+1\" is ambiguous: the next step could be any of 2 revisions",
			 "Candidates: x1, y1.");

	/* with nothing applied, +1 steps to the single base r0 */
	RES(g, "+1", "{r0}");
	res_fail(g, "+2", PM_ERR_AMBIGUOUS, NULL, "Candidates: x1, y1.");
	RES(g, "xb@+1", "{x1}");
	RES(g, "xb@+2", "{x2}");
	res_fail(g, "xb@+3", PM_ERR_RANGE, "steps past the head", NULL);
	res_fail(g, "xb@-1", PM_ERR_RANGE, "steps past the base", NULL);
	RES(g, "base+1", "{r0}");
	res_fail(g, "base+2", PM_ERR_AMBIGUOUS, NULL, NULL);
	pm_graph_free(g);

	/* two current heads */
	g = graph(BRANCHES, "r0,x1,x2,y1");
	RES(g, "current", "{x2,y1}");
	res_fail(g, "+1", PM_ERR_STATE,
			 "target \"+1\" needs a single current revision, but 2 are applied heads",
			 "The current heads are x2, y1.");
	res_fail(g, "-1", PM_ERR_STATE, NULL, "x2, y1");
	res_fail(g, "current-1", PM_ERR_STATE, NULL, NULL);
	RES(g, "xb@-1", "{x1}");
	RES(g, "xb@-2", "{r0} root=x1");
	res_fail(g, "xb@-3", PM_ERR_RANGE, NULL, NULL);
	res_fail(g, "xb@+1", PM_ERR_RANGE, NULL, "Revision \"x2\" is a head.");
	RES(g, "yb@+1", "{y2}");
	res_fail(g, "yb@+2", PM_ERR_RANGE, NULL, NULL);
	RES(g, "yb@-1", "{r0} root=y1");
	res_fail(g, "r0@-1", PM_ERR_STATE, "needs a single current revision", NULL);
	res_fail(g, "r0@+1", PM_ERR_STATE, NULL, NULL);
	pm_graph_free(g);

	/* merged */
	g = graph(MERGED, "");
	RES(g, "head", "{m9}");
	RES(g, "heads", "{m9}");
	RES(g, "xb@head", "{m9}");
	RES(g, "yb@head", "{m9}");
	RES(g, "r0@head", "{m9}");
	RES(g, "m9-1", "{x2,y2}");
	RES(g, "head-1", "{x2,y2}");
	RES(g, "m9-2", "{x1,y1}");
	RES(g, "m9-3", "{r0}");
	RES(g, "m9-4", "{}");
	res_fail(g, "m9-5", PM_ERR_RANGE, "steps past the base", NULL);
	RES(g, "m9@base", "{x2,y2} root=m9");
	RES(g, "xb@+3", "{m9}");
	res_fail(g, "xb@+4", PM_ERR_RANGE, NULL, NULL);
	RES(g, "yb@+3", "{m9}");
	RES(g, "x2+1", "{m9}");
	res_fail(g, "m9+1", PM_ERR_RANGE, NULL, NULL);
	pm_graph_free(g);

	g = graph(MERGED, "r0,x1,x2,y1,y2,m9");
	RES(g, "current", "{m9}");
	RES(g, "-1", "{x2,y2}");
	RES(g, "-2", "{x1,y1}");
	RES(g, "current-3", "{r0}");
	/* a branch-relative step stays on the branch, through the merge */
	RES(g, "xb@-1", "{x2}");
	RES(g, "xb@-2", "{x1}");
	RES(g, "xb@-3", "{r0} root=x1");
	RES(g, "yb@-2", "{y1}");
	RES(g, "yb@-3", "{r0} root=y1");
	res_fail(g, "yb@-4", PM_ERR_RANGE, NULL, NULL);
	pm_graph_free(g);

	/* several bases */
	g = graph("a1 a2:a1 b1 b2:b1", "a1");
	RES(g, "heads", "{a2,b2}");
	res_fail(g, "head", PM_ERR_AMBIGUOUS, NULL, "The graph has 2 heads: a2, b2.");
	res_fail(g, "base+1", PM_ERR_AMBIGUOUS, NULL, "Candidates: a1, b1.");
	RES(g, "a1@head", "{a2}");
	RES(g, "b1@head", "{b2}");
	RES(g, "a1@base", "{} root=a1");
	RES(g, "+1", "{a2}");
	RES(g, "-1", "{}");
	RES(g, "b1@+1", "{b1}");
	RES(g, "a1@+1", "{a2}");
	pm_graph_free(g);
	g = graph("a1 a2:a1 b1 b2:b1", "");
	res_fail(g, "+1", PM_ERR_AMBIGUOUS, NULL, "Candidates: a1, b1.");
	pm_graph_free(g);

	/* depends_on does not count for steps, heads or branches */
	g = graph("r0 a1:r0 b1:r0:a1 b2:b1", "r0,a1,b1");
	RES(g, "heads", "{a1,b2}");
	RES(g, "b1-1", "{r0}");
	RES(g, "a1@head", "{a1}");
	res_fail(g, "r0+1", PM_ERR_AMBIGUOUS, NULL, "Candidates: a1, b1.");
	RES(g, "current", "{a1,b1}");
	RES(g, "b1@+1", "{b2}");
	pm_graph_free(g);

	/* a label deeper in a branch */
	g = graph("r0 x1:r0 x2:x1::late x3:x2", "r0,x1,x2");
	RES(g, "late", "{x2}");
	RES(g, "late@-1", "{x1} root=x2");
	RES(g, "late@+1", "{x3}");
	RES(g, "late@head", "{x3}");
	RES(g, "late@base", "{x1} root=x2");
	pm_graph_free(g);

	/* empty graph */
	g = graph("", "");
	RES(g, "heads", "{}");
	RES(g, "head", "{}");
	RES(g, "base", "{}");
	RES(g, "current", "{}");
	res_fail(g, "+1", PM_ERR_RANGE, NULL, NULL);
	res_fail(g, "a", PM_ERR_UNDEFINED, NULL, NULL);
	pm_graph_free(g);
}

/* resolve then plan: the commands' end-to-end behaviour */
static const char *
plan_for(const pm_graph *g, const char *kind, const char *expr)
{
	static char bufs[4][512];
	static int	which = 0;
	char	   *b = bufs[which++ % 4];
	pm_set		t,
				out;
	int			br;
	size_t		o = 0;
	int			k;

	if (!pm_resolve(g, expr, &t, &br, &err))
	{
		snprintf(b, 512, "error %d", (int) err.code);
		return b;
	}
	if (strcmp(kind, "upgrade") == 0)
		pm_plan_upgrade(g, &t, &out);
	else if (strcmp(kind, "downgrade") == 0)
		pm_plan_downgrade(g, &t, br, &out);
	else
		pm_plan_stamp(g, &t, br, &out);
	b[0] = '\0';
	for (k = 0; k < out.n; k++)
		o += snprintf(b + o, 512 - o, "%s%s", k ? "," : "",
					  pm_graph_rev(g, out.items[k])->id);
	pm_set_free(&out);
	pm_set_free(&t);
	return b;
}

static void
test_commands(void)
{
	pm_graph   *g = graph(MERGED, "r0,x1,x2,y1,y2,m9");

	CHECK_STR(plan_for(g, "downgrade", "-1"), "m9", "downgrade -1 from the merge");
	CHECK_STR(plan_for(g, "downgrade", "xb@base"), "m9,x2,x1", "downgrade xb@base");
	CHECK_STR(plan_for(g, "downgrade", "xb@-3"), "m9,x2,x1",
			  "downgrade xb@-3: the branch only, y1 and y2 stay");
	CHECK_STR(plan_for(g, "downgrade", "xb@-2"), "m9,x2", "downgrade xb@-2");
	CHECK_STR(plan_for(g, "downgrade", "base"), "m9,y2,y1,x2,x1,r0", "downgrade base");
	CHECK_STR(plan_for(g, "stamp", "yb@base"), "m9,y2,y1", "stamp yb@base");
	CHECK_STR(plan_for(g, "downgrade", "head"), "", "downgrade head: nothing");
	pm_graph_free(g);

	g = graph(MERGED, "r0");
	CHECK_STR(plan_for(g, "upgrade", "heads"), "x1,x2,y1,y2,m9", "upgrade heads");
	CHECK_STR(plan_for(g, "upgrade", "xb@head"), "x1,x2,y1,y2,m9", "upgrade xb@head (the merge)");
	CHECK_STR(plan_for(g, "upgrade", "yb@+2"), "y1,y2", "upgrade yb@+2");
	CHECK_STR(plan_for(g, "upgrade", "head-1"), "x1,x2,y1,y2", "upgrade head-1 (both parents)");
	CHECK_STR(plan_for(g, "upgrade", "+1"), "error 4", "upgrade +1 at a branch point");
	CHECK_STR(plan_for(g, "stamp", "x2"), "x1,x2", "stamp x2");
	pm_graph_free(g);
}

/* pm_plan_command: its steps as "a,b" or "error N" */
static const char *
command_for(const pm_graph *g, const char *command, const char *target)
{
	static char bufs[4][512];
	static int	which = 0;
	char	   *b = bufs[which++ % 4];
	pm_set		out;
	size_t		o = 0;
	int			k;
	int			kind = pm_plan_command(g, command, target, &out, &err);

	if (kind < 0)
	{
		snprintf(b, 512, "error %d", (int) err.code);
		return b;
	}
	b[0] = '\0';
	for (k = 0; k < out.n; k++)
		o += snprintf(b + o, 512 - o, "%s%s", k ? "," : "",
					  pm_graph_rev(g, out.items[k])->id);
	pm_set_free(&out);
	return b;
}

/*
 * The order of independent revisions (issue 12 item 8): plans follow the
 * graph's topological order, which is the load order when parents load
 * first.  The client loads a folder by "-- order:" then by file name;
 * import-alembic writes Alembic's positions there, so a history loaded
 * in Alembic's order runs in it, and a downgrade is its exact reverse.
 */
static void
test_order(void)
{
	/* Alembic ran zzzz before 1111 (merge declared as 1111, zzzz) */
	pm_graph   *g = graph("aaaa zzzz:aaaa 1111:aaaa cccc:1111,zzzz", "");

	CHECK_STR(command_for(g, "upgrade", "heads"), "aaaa,zzzz,1111,cccc",
			  "order: upgrade in load order, not the merge's declared order");
	CHECK_STR(command_for(g, "upgrade", "cccc"), "aaaa,zzzz,1111,cccc",
			  "order: the same whatever the target names");
	CHECK_STR(command_for(g, "stamp", "heads"), "aaaa,zzzz,1111,cccc", "order: stamp adds in it too");
	pm_graph_free(g);

	g = graph("aaaa zzzz:aaaa 1111:aaaa cccc:1111,zzzz", "aaaa,zzzz,1111,cccc");
	CHECK_STR(command_for(g, "downgrade", "base"), "cccc,1111,zzzz,aaaa",
			  "order: downgrade base is the exact reverse of the upgrade");
	CHECK_STR(command_for(g, "downgrade", "aaaa"), "cccc,1111,zzzz",
			  "order: downgrade to the root: reverse too");
	pm_graph_free(g);

	/* the other load order gives the other run order */
	g = graph("aaaa 1111:aaaa zzzz:aaaa cccc:1111,zzzz", "");
	CHECK_STR(command_for(g, "upgrade", "heads"), "aaaa,1111,zzzz,cccc",
			  "order: loaded 1111 first, runs 1111 first");
	pm_graph_free(g);

	/* two unmerged branches interleave as loaded, whatever the targets */
	g = graph("r x1:r y1:r x2:x1 y2:y1", "");
	CHECK_STR(command_for(g, "upgrade", "heads"), "r,x1,y1,x2,y2", "order: interleaved as loaded");
	CHECK_STR(command_for(g, "upgrade", "y2"), "r,y1,y2", "order: one branch: only its revisions");
	pm_graph_free(g);

	/* children loaded before parents: still parents first */
	g = graph("m:b,a b:r a:r r", "");
	CHECK_STR(command_for(g, "upgrade", "m"), "r,b,a,m",
			  "order: a load that is not parents-first runs parents first (declared order)");
	pm_graph_free(g);

	g = graph("r", "");
	CHECK_STR(command_for(g, "migrate", "head"), "error 1", "unknown command: syntax error");
	CHECK(strstr(err.hint, "upgrade, downgrade or stamp") != NULL, "unknown command: the hint lists them");
	CHECK_STR(command_for(g, "upgrade", "nope"), "error 3", "unknown target: undefined");
	pm_graph_free(g);
}

/* ---------------------------------------------------------------- */
/* ranges */

static const char *
range(const pm_graph *g, const char *r)
{
	static char bufs[4][512];
	static int	which = 0;
	char	   *b = bufs[which++ % 4];
	int			n = pm_graph_size(g);
	unsigned char *m = malloc(n + 1);
	size_t		o = 0;
	int			i;

	memset(m, 0x77, n + 1);
	if (!pm_range_resolve(g, r, m, &err))
		snprintf(b, 512, "error %d", (int) err.code);
	else
	{
		b[0] = '\0';
		for (i = 0; i < n; i++)
		{
			if (m[i] > 1)
			{
				snprintf(b, 512, "mark %d not 0/1", m[i]);
				break;
			}
			if (m[i])
				o += snprintf(b + o, 512 - o, "%s%s", o ? "," : "",
							  pm_graph_rev(g, i)->id);
		}
	}
	free(m);
	return b;
}

static void
test_ranges(void)
{
	pm_graph   *g = graph(LINEAR, "aa01,aa02");
	char		longr[600];

	CHECK_STR(range(g, "aa02:bb03"), "aa02,bb03", "A:B");
	CHECK_STR(range(g, ":aa02"), "aa01,aa02", ":B");
	CHECK_STR(range(g, "bb03:"), "bb03,cc04", "A:");
	CHECK_STR(range(g, "current:"), "aa02,bb03,cc04", "current:");
	CHECK_STR(range(g, ":current"), "aa01,aa02", ":current");
	CHECK_STR(range(g, "base:head"), "aa01,aa02,bb03,cc04", "base:head");
	CHECK_STR(range(g, ":"), "aa01,aa02,bb03,cc04", ":");
	CHECK_STR(range(g, " aa02 : bb03 "), "aa02,bb03", "blanks around both ends");
	CHECK_STR(range(g, "bb03:aa02"), "", "reversed range is empty");
	CHECK_STR(range(g, ":base"), "", ":base is empty");
	CHECK_STR(range(g, "head-2:head-1"), "aa02,bb03", "relative ends");
	CHECK_STR(range(g, "bb03@base:"), "bb03,cc04", "LABEL@base: starts at the branch");
	CHECK_STR(range(g, "aa02"), "error 1", "no colon");
	CHECK(strstr(err.msg, "invalid history range \"aa02\"") != NULL &&
		  strstr(err.hint, "START:END") != NULL, "no colon: message and hint");
	CHECK_STR(range(g, ""), "error 1", "empty range");
	CHECK_STR(range(g, "zz:"), "error 3", "unknown start");
	CHECK_STR(range(g, ":aa"), "error 4", "ambiguous end");
	CHECK_STR(range(g, "aa01:bb03:cc04"), "error 1", "two colons");
	memset(longr, 'a', 599);
	longr[300] = ':';
	longr[599] = '\0';
	CHECK_STR(range(g, longr), "error 1", "overlong range");
	pm_graph_free(g);

	g = graph(MERGED, "r0,x1");
	CHECK_STR(range(g, "xb@base:"), "x1,x2,m9", "xb@base:");
	CHECK_STR(range(g, "yb:xb@head"), "y1,y2,m9", "yb:xb@head");
	CHECK_STR(range(g, "x1:y2"), "", "across branches: empty");
	CHECK_STR(range(g, "current:"), "x1,x2,m9", "current: on a branch");
	CHECK_STR(range(g, "r0:m9-1"), "r0,x1,x2,y1,y2", "r0:m9-1");
	CHECK_STR(range(g, ":heads"), "r0,x1,x2,y1,y2,m9", ":heads");
	pm_graph_free(g);
}

/* ---------------------------------------------------------------- */
/* size: resolution stays linear */

static void
test_deep(void)
{
	enum
	{
		DEEP = 100000
	};
	pm_graph   *g = pm_graph_new(DEEP);
	char		id[32],
				parent[32];
	const char *pp[1];
	clock_t		c0;
	double		secs;
	int			i;

	for (i = 0; i < DEEP; i++)
	{
		snprintf(id, sizeof(id), "r%d", i);
		snprintf(parent, sizeof(parent), "r%d", i - 1);
		pp[0] = parent;
		pm_graph_add(g, id, pp, i > 0 ? 1 : 0, NULL, 0,
					 NULL, 0, i < 10);
	}
	pm_graph_build(g, true, &err);
	c0 = clock();
	RES(g, "head-99999", "{r0}");
	RES(g, "base+100000", "{r99999}");
	RES(g, "r0+99999", "{r99999}");
	RES(g, "current+99990", "{r99999}");
	RES(g, "r0@+99990", "{r99999}");	/* branch current is r9 */
	RES(g, "r99999-99998", "{r1}");
	secs = (double) (clock() - c0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0, "100,000 steps up and down are fast (%.2f s)", secs);
	pm_graph_free(g);
}

int
main(void)
{
	test_parse();
	test_linear();
	test_branches();
	test_commands();
	test_order();
	test_ranges();
	test_deep();
	UNIT_DONE();
}
