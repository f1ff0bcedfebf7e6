/*
 * test_graphimg.c: the graph image (graphimg.c): round trips, the graph it
 * gives back, and rejection of every damaged image.
 */
#include "graphimg.h"
#include "unit.h"
#include "graph_fixture.h"

#include <stdlib.h>

/*
 *	a -- b [lbl] -- c --+-- m (merge; depends_on x)
 *	  \---- d ---------/
 *	x (a second root)
 */
static pm_graph *
fixture(void)
{
	pm_graph   *g = pm_graph_new(8);
	pm_error	err;

	add(g, "a", "", "", "", true);
	add(g, "b", "a", "", "lbl", true);
	add(g, "c", "b", "", "", false);
	add(g, "d", "a", "", "", false);
	add(g, "x", "", "", "", false);
	add(g, "m", "c,d", "x", "", false);
	pm_graph_build(g, true, &err);
	return g;
}

static const char *const messages[] = {"root", "with label", "", "side", "other root", "merge: é \"q\"\n2"};
static const unsigned char flags[] = {1, 1, 3, 0, 1, 2};

static unsigned char *
image_of(pm_graph *g, size_t *len)
{
	pm_error	err;

	return pm_image_write(g, messages, flags, len, &err);
}

static void
test_round_trip(void)
{
	pm_graph   *g = fixture();
	size_t		len;
	unsigned char *buf = image_of(g, &len);
	pm_image	img;
	pm_error	err;
	pm_graph   *g2;
	pm_set		heads;
	int			i;

	CHECK(buf != NULL && len > 4 && memcmp(buf, "PMG2", 4) == 0, "an image starts with its magic");
	CHECK(pm_image_read(buf, len, &img, &err), "a written image reads back");
	CHECK(img.n == 6, "six revisions");
	g2 = img.g;
	CHECK_STR(pm_graph_rev(g2, 1)->id, "b", "ids in load order");
	CHECK(pm_graph_rev(g2, 5)->nparents == 2 && strcmp(pm_graph_rev(g2, 5)->parent_names[1], "d") == 0,
		  "a merge keeps both parents in declared order");
	CHECK(pm_graph_rev(g2, 5)->nparents_ok == 2 && pm_graph_rev(g2, 5)->parents[0] == 2 &&
		  pm_graph_rev(g2, 5)->parents[1] == 3, "resolved parents");
	CHECK(pm_graph_rev(g2, 5)->ndeps == 1 && strcmp(pm_graph_rev(g2, 5)->dep_names[0], "x") == 0 &&
		  pm_graph_rev(g2, 5)->deps[0] == 4, "dependencies kept");
	CHECK(pm_graph_rev(g2, 1)->nlabels == 1 && strcmp(pm_graph_rev(g2, 1)->labels[0], "lbl") == 0, "labels kept");
	CHECK_STR(img.messages[5], messages[5], "a message with quotes, UTF-8 and a newline is kept");
	CHECK_STR(img.messages[2], "", "an empty message is kept");
	CHECK(img.flags[2] == 3 && img.flags[3] == 0, "flags kept");
	CHECK(memcmp(pm_graph_topo(g2), pm_graph_topo(g), sizeof(int) * 6) == 0,
		  "the topological order is the built graph's");
	CHECK(pm_graph_rev(g2, 0)->nchildren == 2 && pm_graph_rev(g2, 4)->ndependents == 1,
		  "children and dependents are rebuilt");
	CHECK(pm_graph_find_hint(g2, "m", 5) == 5 && pm_graph_find_hint(g2, "m", 2) == 5 &&
		  pm_graph_find_hint(g2, "m", 99) == 5, "a hint is used when right, else the lookup");
	CHECK(pm_graph_find(g2, "m") == 5 && pm_graph_find(g2, "nope") == -1, "ids resolve");

	CHECK(pm_graph_size(g2) == 6 && pm_graph_nproblems(g2) == 0, "the image's graph has no problems");
	pm_graph_heads(g2, &heads);
	/* depends_on does not count for heads (as in Alembic): x is one too */
	CHECK(heads.n == 2 && strcmp(pm_graph_rev(g2, heads.items[0])->id, "x") == 0 &&
		  strcmp(pm_graph_rev(g2, heads.items[1])->id, "m") == 0, "its heads are x and the merge");
	pm_set_free(&heads);
	CHECK(pm_graph_find_label(g2, "lbl") == 1, "its labels resolve");
	for (i = 0; i < 6; i++)
		CHECK(!pm_graph_rev(g2, i)->applied, "revision %d: an image says nothing about the applied set", i);
	pm_graph_set_applied(g2, 1, true);
	CHECK(pm_graph_rev(g2, 1)->applied, "pm_graph_set_applied marks a revision");

	{
		size_t		len2;
		unsigned char *buf2 = image_of(g2, &len2);

		CHECK(buf2 != NULL && len2 == len && memcmp(buf, buf2, len) == 0,
			  "the image of the image's graph is the same bytes (canonical)");
		free(buf2);
	}
	pm_image_free(&img);
	free(buf);
	pm_graph_free(g);
}

static void
test_empty(void)
{
	pm_graph   *g = pm_graph_new(1);
	pm_error	err;
	size_t		len;
	unsigned char *buf;
	pm_image	img;

	pm_graph_build(g, true, &err);
	buf = pm_image_write(g, messages, flags, &len, &err);
	CHECK(buf != NULL && len == 16, "an empty graph is 16 bytes");
	CHECK(pm_image_read(buf, len, &img, &err) && img.n == 0, "and reads back empty");
	pm_image_free(&img);
	free(buf);
	pm_graph_free(g);
}

/*
 * Read an image both ways: the view must accept exactly the images the
 * reader accepts, and refuse the others as damaged too.
 */
static int	view_disagreements = 0;

static bool
read_both(const unsigned char *buf, size_t len, pm_image *img, pm_error *err)
{
	pm_image_view v;
	pm_error	verr;
	bool		ok = pm_image_read(buf, len, img, err);
	bool		vok = pm_image_view_open(buf, len, &v, &verr);

	if (ok != vok ||
		(!vok && strstr(verr.msg, "graph image is damaged") == NULL))
	{
		fprintf(stderr, "# view %s, reader %s: %s / %s\n", vok ? "accepts" : "refuses",
				ok ? "accepts" : "refuses", verr.msg, err->msg);
		view_disagreements++;
	}
	if (vok)
		pm_image_view_free(&v);
	return ok;
}

static void
test_damage(void)
{
	pm_graph   *g = fixture();
	size_t		len;
	unsigned char *buf = image_of(g, &len);
	unsigned char *copy = malloc(len + 1);
	pm_image	img;
	pm_error	err;
	size_t		cut;
	int			truncated_ok = 0;
	size_t		off;

	/* every strict prefix is refused, with a message */
	for (cut = 0; cut < len; cut++)
	{
		memcpy(copy, buf, cut);
		if (!read_both(copy, cut, &img, &err) && err.code == PM_ERR_SYNTAX &&
			strstr(err.msg, "graph image is damaged") != NULL)
			truncated_ok++;
	}
	CHECK(truncated_ok == (int) len, "all %zu truncations are refused as damaged", len);

	memcpy(copy, buf, len);
	copy[len] = 0;
	CHECK(!read_both(copy, len + 1, &img, &err) && strstr(err.msg, "trailing") != NULL,
		  "a trailing byte is refused");

	memcpy(copy, buf, len);
	copy[3] = '1';
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "magic") != NULL,
		  "another format version is refused");

	memcpy(copy, buf, len);
	copy[4] = 0xff;
	copy[5] = 0xff;
	copy[6] = 0xff;
	copy[7] = 0x7f;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "revision count") != NULL,
		  "a huge revision count is refused before allocating");

	memcpy(copy, buf, len);
	copy[8] = 0xff;
	copy[9] = 0xff;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "edge count") != NULL,
		  "a huge edge count is refused before allocating");
	memcpy(copy, buf, len);
	copy[8]++;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "header says") != NULL,
		  "an edge count the revisions do not fill is refused");

	/* byte 16 is the first id's length, byte 17 its first character */
	memcpy(copy, buf, len);
	copy[17] = '-';
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "revision id") != NULL,
		  "an invalid id is refused");
	memcpy(copy, buf, len);
	copy[18] = 'z';
	CHECK(!read_both(copy, len, &img, &err), "an id without its NUL is refused");
	memcpy(copy, buf, len);
	copy[16] = 0;
	CHECK(!read_both(copy, len, &img, &err), "an empty id is refused");
	/* byte 19 is the first revision's flags */
	memcpy(copy, buf, len);
	copy[19] = 0x80;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "flags") != NULL,
		  "unknown flags are refused");
	memcpy(copy, buf, len);
	copy[20] = 0xff;
	CHECK(!read_both(copy, len, &img, &err), "a parent count past the end is refused");

	/*
	 * the second revision "b" starts at 35 (after "a": id 16-18, flags 19,
	 * counts 20-25, message length 26-29, "root" and its NUL 30-34): id
	 * 35-37, flags 38, one parent (39), its edge at 45
	 */
	memcpy(copy, buf, len);
	CHECK(copy[35] == 1 && copy[36] == 'b' && copy[39] == 1 && copy[45] == 0,
		  "the fixture's layout is as the test expects");
	copy[45] = 1;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "itself") == NULL &&
		  strstr(err.msg, "damaged") != NULL, "an edge to itself is refused");
	memcpy(copy, buf, len);
	copy[45] = 9;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "out of range") != NULL,
		  "an edge out of range is refused");
	memcpy(copy, buf, len);
	copy[45] = 2;				/* b's parent is c, c's parent is b: a cycle */
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "order") != NULL,
		  "a cycle is refused (the stored order cannot list it)");
	memcpy(copy, buf, len);
	copy[36] = 'a';
	CHECK(read_both(copy, len, &img, &err) && pm_graph_nproblems(img.g) == 0,
		  "a duplicate id is not looked for while reading");
	CHECK(pm_graph_find(img.g, "a") == 0 && pm_graph_nproblems(img.g) == 1 &&
		  strstr(pm_graph_problem(img.g, 0)->text, "duplicate revision id \"a\"") != NULL,
		  "the first lookup finds it, as a problem of the graph");
	pm_image_free(&img);

	/* the order: the last 24 bytes; swap its first two entries (a before b) */
	memcpy(copy, buf, len);
	{
		unsigned char t[4];

		memcpy(t, copy + len - 24, 4);
		memcpy(copy + len - 24, copy + len - 20, 4);
		memcpy(copy + len - 20, t, 4);
	}
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "order") != NULL,
		  "an order with a revision before its parent is refused");
	memcpy(copy, buf, len);
	memcpy(copy + len - 24, copy + len - 20, 4);
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "permutation") != NULL,
		  "an order that lists a revision twice is refused");

	/* a NUL inside the last message (before the 24 bytes of order) */
	memcpy(copy, buf, len);
	off = len - 24 - 3;
	copy[off] = 0;
	CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "message") != NULL,
		  "a message with a NUL inside is refused");

	CHECK(view_disagreements == 0,
		  "the view refuses every damaged image the reader refuses, and accepts the rest");
	free(copy);
	free(buf);
	pm_graph_free(g);
}

static bool
same_set(const pm_set *a, const pm_set *b)
{
	return a->n == b->n && memcmp(a->items, b->items, sizeof(int) * a->n) == 0;
}

/*
 * The view answers as the built graph: heads, current and "nothing to
 * upgrade" for every applied subset of the fixture and every target.
 */
static void
test_view(void)
{
	pm_graph   *g = fixture();
	size_t		len;
	unsigned char *buf = image_of(g, &len);
	pm_image	img;
	pm_image_view v;
	pm_error	err;
	pm_set		a,
				b;
	pm_image_rec r;
	const char *labels[1];
	int			mask;
	int			bad = 0;
	int			i;

	CHECK(pm_image_read(buf, len, &img, &err) && pm_image_view_open(buf, len, &v, &err),
		  "the image opens in place");
	CHECK(v.n == 6, "six revisions in the view");
	pm_graph_heads(img.g, &a);
	pm_image_view_heads(&v, &b);
	CHECK(same_set(&a, &b), "the view's heads are the graph's (%d)", b.n);
	pm_set_free(&a);
	pm_set_free(&b);

	pm_graph_branchpoints(img.g, &a);
	pm_image_view_branchpoints(&v, &b);
	CHECK(same_set(&a, &b) && b.n == 1 && b.items[0] == 0, "the view's branch points are the graph's");
	{
		pm_set		lists[1];
		const pm_rev *a0 = pm_graph_rev(img.g, 0);

		pm_image_view_children(&v, &b, lists);
		CHECK(lists[0].n == a0->nchildren &&
			  memcmp(lists[0].items, a0->children, sizeof(int) * a0->nchildren) == 0,
			  "a branch point's children, in the graph's order (%d)", lists[0].n);
		pm_set_free(&lists[0]);
	}
	pm_set_free(&a);
	pm_set_free(&b);

	pm_image_view_rec(&v, 5, &r);
	CHECK(strcmp(r.id, "m") == 0 && r.nparents == 2 && r.ndeps == 1 &&
		  pm_image_rec_edge(&r, 0) == 2 && pm_image_rec_edge(&r, 1) == 3 &&
		  pm_image_rec_edge(&r, 2) == 4 && strcmp(r.message, messages[5]) == 0 &&
		  r.flags == flags[5], "a record reads in place: id, edges, message, flags");
	{
		int			ps[2];

		CHECK(pm_image_rec_unique_parents(&r, ps) == 2 && ps[0] == 2 && ps[1] == 3 &&
			  pm_graph_rev(img.g, 5)->nparents_ok == 2,
			  "its parents as the built graph has them");
	}
	for (i = 0; i < 6; i++)
	{
		pm_image_view_rec(&v, i, &r);
		bad += pm_image_view_id(&v, i) != r.id;
	}
	CHECK(bad == 0, "an id alone is the record's id");
	bad = 0;
	pm_image_view_rec(&v, 1, &r);
	pm_image_rec_labels(&r, labels);
	CHECK(r.nlabels == 1 && strcmp(labels[0], "lbl") == 0, "labels read in place");

	CHECK(pm_image_view_find(&v, "d", 1, 3) == 3 && v.nslots == 0,
		  "a right hint needs no lookup table");
	CHECK(pm_image_view_find(&v, "d", 1, 0) == 3 && v.nslots > 0,
		  "a wrong hint builds the table and finds the id");
	CHECK(pm_image_view_find(&v, "dx", 1, -1) == 3, "the length given is what counts");
	CHECK(pm_image_view_find(&v, "nope", 4, 2) == -1 && pm_image_view_find(&v, "", 0, 0) == -1,
		  "an unknown id is -1");
	CHECK(!v.dup, "no duplicate in the fixture");

	for (mask = 0; mask < 64; mask++)
	{
		unsigned char applied[6];
		pm_set		t;
		int			target;

		for (i = 0; i < 6; i++)
		{
			applied[i] = (mask >> i) & 1;
			pm_graph_set_applied(img.g, i, applied[i]);
		}
		pm_graph_current(img.g, &a);
		pm_image_view_current(&v, applied, &b);
		if (!same_set(&a, &b))
			bad++;
		pm_set_free(&a);
		pm_set_free(&b);
		for (target = -1; target < 6; target++)
		{
			pm_set		steps;

			if (target < 0)
				pm_graph_heads(img.g, &t);
			else
			{
				t.n = 1;
				t.items = pm_malloc(sizeof(int));
				t.items[0] = target;
			}
			pm_plan_upgrade(img.g, &t, &steps);
			if ((steps.n == 0) != pm_image_view_all_applied(&v, &t, applied))
				bad++;
			pm_image_view_plan_upgrade(&v, &t, applied, &b);
			if (b.n != steps.n ||
				memcmp(b.items, steps.items, sizeof(int) * steps.n) != 0)
				bad++;			/* the same steps in the same order */
			pm_set_free(&b);
			pm_set_free(&steps);
			pm_set_free(&t);
		}
	}
	CHECK(bad == 0, "current, nothing-to-upgrade and the upgrade plan agree with the graph for all 64 applied sets and 7 targets (%d differ)", bad);
	pm_image_view_free(&v);
	pm_image_free(&img);

	/* a duplicate id: found when the table is built */
	buf[36] = 'a';
	CHECK(pm_image_view_open(buf, len, &v, &err) && pm_image_view_find(&v, "x", 1, -1) == 4 && v.dup,
		  "a duplicate id is found by the lookup table");
	pm_image_view_free(&v);
	free(buf);
	pm_graph_free(g);
}

static void
test_bad_graph(void)
{
	pm_graph   *g = pm_graph_new(2);
	pm_error	err;
	size_t		len;
	unsigned char *buf;
	static const char *const m[] = {"", ""};
	static const unsigned char f[] = {1, 1};

	add(g, "ok", "", "", "", false);
	add(g, "bad", "no such-name", "", "", false);
	pm_graph_build(g, false, &err);
	buf = pm_image_write(g, m, f, &len, &err);
	CHECK(buf == NULL && err.code == PM_ERR_UNDEFINED && strstr(err.msg, "no such-name") != NULL,
		  "a parent that does not resolve is an error naming it");
	pm_graph_free(g);
}

static void
test_reserved(void)
{
	pm_graph   *g = pm_graph_new(1);
	pm_error	err;
	size_t		len;
	unsigned char *buf;
	pm_image	img;
	static const char *const m[] = {""};
	static const unsigned char f[] = {1};

	add(g, "head", "", "", "", false);
	pm_graph_build(g, false, &err);
	buf = pm_image_write(g, m, f, &len, &err);
	CHECK(buf != NULL, "the writer does not look at reserved words");
	CHECK(!pm_image_read(buf, len, &img, &err) && strstr(err.msg, "revision id") != NULL,
		  "the reader refuses a reserved word as id");
	free(buf);
	pm_graph_free(g);
}

static void
test_large(void)
{
	int			n = 100000;
	pm_graph   *g = pm_graph_new(n);
	pm_error	err;
	char		id[16],
				par[16];
	const char *pp[1] = {par};
	const char **msgs = malloc(sizeof(char *) * n);
	unsigned char *fl = malloc(n);
	size_t		len;
	unsigned char *buf;
	pm_image	img;
	pm_graph   *g2;
	pm_set		heads;
	int			i;

	for (i = 0; i < n; i++)
	{
		snprintf(id, sizeof(id), "r%06d", i + 1);
		snprintf(par, sizeof(par), "r%06d", i);
		pm_graph_add(g, id, pp, i > 0 ? 1 : 0, NULL, 0, NULL, 0, false);
		msgs[i] = "rev";
		fl[i] = 1;
	}
	pm_graph_build(g, true, &err);
	buf = pm_image_write(g, msgs, fl, &len, &err);
	CHECK(buf != NULL && len < 40 * (size_t) n, "100,000 linear revisions: an image of %zu bytes", len);
	CHECK(pm_image_read(buf, len, &img, &err) && img.n == n, "reads back");
	g2 = img.g;
	pm_graph_heads(g2, &heads);
	CHECK(heads.n == 1 && strcmp(pm_graph_rev(g2, heads.items[0])->id, "r100000") == 0,
		  "its graph has the one head");
	pm_set_free(&heads);
	CHECK(pm_graph_find(g2, "r054321") == 54320, "ids resolve");
	{
		pm_image_view v;
		unsigned char *applied = calloc(n, 1);
		pm_set		t;

		CHECK(pm_image_view_open(buf, len, &v, &err), "the view opens");
		for (i = 0; i < n; i++)
			applied[i] = pm_image_view_find(&v, pm_graph_rev(g2, i)->id, 7, i > 0 ? i - 1 : 0) == i;
		CHECK(v.nslots > 0, "ids found with the wrong hint build the lookup table");
		pm_image_view_current(&v, applied, &t);
		CHECK(t.n == 1 && t.items[0] == n - 1, "every id found; the view's current is the head");
		CHECK(pm_image_view_all_applied(&v, &t, applied), "nothing to upgrade when all are applied");
		applied[77] = 0;
		CHECK(!pm_image_view_all_applied(&v, &t, applied), "one unapplied ancestor is seen 99,922 steps down");
		pm_set_free(&t);
		pm_image_view_free(&v);
		free(applied);
	}
	pm_image_free(&img);
	free(buf);
	free(msgs);
	free(fl);
	pm_graph_free(g);
}

/*
 * The view reads the stored order two ways: when it is the load order
 * (parents loaded first, the usual case) a revision's place is its index;
 * otherwise it keeps every place.  Both give the graph's answers, and a
 * child loaded before its parent is accepted either way.
 */
static void
test_view_orders(void)
{
	int			pass;

	for (pass = 0; pass < 2; pass++)
	{
		pm_graph   *g = pm_graph_new(4);
		const char *const msgs[] = {"", "", "", ""};
		const unsigned char fl[] = {0, 0, 0, 0};
		size_t		len;
		unsigned char *buf;
		const int  *topo;
		pm_image	img;
		pm_image_view v;
		pm_error	err;
		pm_set		a,
					b;
		bool		identity = true;
		int			i;

		if (pass == 0)
		{
			add(g, "p1", "", "", "", true);
			add(g, "p2", "p1", "", "", true);
			add(g, "p3", "p2", "", "", true);
			add(g, "p4", "p2", "", "", true);
		}
		else
		{
			/* the children first: the order cannot be the load order */
			add(g, "p4", "p2", "", "", true);
			add(g, "p3", "p2", "", "", true);
			add(g, "p2", "p1", "", "", true);
			add(g, "p1", "", "", "", true);
		}
		CHECK(pm_graph_build(g, true, &err), "pass %d: the graph builds", pass);
		topo = pm_graph_topo(g);
		for (i = 0; i < 4; i++)
			identity = identity && topo[i] == i;
		CHECK(identity == (pass == 0), "pass %d: the stored order %s the load order", pass,
			  pass == 0 ? "is" : "is not");
		buf = pm_image_write(g, msgs, fl, &len, &err);
		CHECK(buf != NULL && pm_image_read(buf, len, &img, &err) &&
			  pm_image_view_open(buf, len, &v, &err), "pass %d: read and opened in place", pass);
		pm_graph_heads(img.g, &a);
		pm_image_view_heads(&v, &b);
		CHECK(same_set(&a, &b) && b.n == 2, "pass %d: the view's heads are the graph's", pass);
		pm_set_free(&a);
		pm_set_free(&b);
		pm_graph_branchpoints(img.g, &a);
		pm_image_view_branchpoints(&v, &b);
		CHECK(same_set(&a, &b) && b.n == 1, "pass %d: and its branch point", pass);
		pm_set_free(&a);
		pm_set_free(&b);
		CHECK(v.load_order == (pass == 0), "pass %d: the view knows whether the order is the load order", pass);
		{
			int			mask;
			int			differ = 0;

			/* every applied set: the plan to the heads in the graph's order */
			for (mask = 0; mask < 16; mask++)
			{
				unsigned char applied[4];
				pm_set		steps;

				for (i = 0; i < 4; i++)
				{
					applied[i] = (mask >> i) & 1;
					pm_graph_set_applied(img.g, i, applied[i]);
				}
				pm_graph_heads(img.g, &a);
				pm_plan_upgrade(img.g, &a, &steps);
				pm_image_view_plan_upgrade(&v, &a, applied, &b);
				if (b.n != steps.n ||
					memcmp(b.items, steps.items, sizeof(int) * steps.n) != 0)
					differ++;
				if (mask == 0 && pass == 1 && !(b.n == 4 && b.items[0] == 3 && b.items[1] == 2))
					differ++;	/* p1 (index 3), then p2 (index 2) first */
				pm_set_free(&a);
				pm_set_free(&b);
				pm_set_free(&steps);
			}
			CHECK(differ == 0, "pass %d: the view's upgrade plan is the graph's for all 16 applied sets (%d differ)", pass, differ);
		}
		pm_image_view_free(&v);
		pm_image_free(&img);

		/* an edge that points forward in the order is refused in both ways */
		if (pass == 1)
		{
			/* the order is the last 16 bytes: put p4 (index 0) first */
			unsigned char *copy = malloc(len);
			uint32_t	first;

			memcpy(copy, buf, len);
			memcpy(&first, copy + len - 16, 4);
			for (i = 0; i < 4; i++)
				if (copy[len - 16 + 4 * i] == 0)
				{
					memcpy(copy + len - 16 + 4 * i, &first, 4);
					memset(copy + len - 16, 0, 4);
					break;
				}
			CHECK(!read_both(copy, len, &img, &err) && strstr(err.msg, "order") != NULL,
				  "a child placed before its parent in a stored order that is not the load order is refused");
			free(copy);
		}
		free(buf);
		pm_graph_free(g);
	}
}

int
main(void)
{
	test_round_trip();
	test_empty();
	test_damage();
	test_view();
	test_view_orders();
	test_bad_graph();
	test_reserved();
	test_large();
	UNIT_DONE();
}
