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

	CHECK(buf != NULL && len > 4 && memcmp(buf, "PMG1", 4) == 0, "an image starts with its magic");
	CHECK(pm_image_read(buf, len, &img, &err), "a written image reads back");
	CHECK(img.n == 6, "six revisions");
	CHECK_STR(img.revs[1].id, "b", "ids in load order");
	CHECK(img.revs[5].nparents == 2 && strcmp(img.revs[5].parents[1], "d") == 0,
		  "a merge keeps both parents in declared order");
	CHECK(img.revs[5].ndeps == 1 && strcmp(img.revs[5].deps[0], "x") == 0, "dependencies kept");
	CHECK(img.revs[1].nlabels == 1 && strcmp(img.revs[1].labels[0], "lbl") == 0, "labels kept");
	CHECK_STR(img.revs[5].message, messages[5], "a message with quotes, UTF-8 and a newline is kept");
	CHECK_STR(img.revs[2].message, "", "an empty message is kept");
	CHECK(img.revs[2].flags == 3 && img.revs[3].flags == 0, "flags kept");

	g2 = pm_image_graph(&img);
	CHECK(pm_graph_size(g2) == 6 && pm_graph_nproblems(g2) == 0, "the image's graph builds without problems");
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
	pm_graph_free(g2);
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
	CHECK(buf != NULL && len == 8, "an empty graph is 8 bytes");
	CHECK(pm_image_read(buf, len, &img, &err) && img.n == 0, "and reads back empty");
	pm_image_free(&img);
	free(buf);
	pm_graph_free(g);
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
		if (!pm_image_read(copy, cut, &img, &err) && err.code == PM_ERR_SYNTAX &&
			strstr(err.msg, "graph image is damaged") != NULL)
			truncated_ok++;
	}
	CHECK(truncated_ok == (int) len, "all %zu truncations are refused as damaged", len);

	memcpy(copy, buf, len);
	copy[len] = 0;
	CHECK(!pm_image_read(copy, len + 1, &img, &err) && strstr(err.msg, "trailing") != NULL,
		  "a trailing byte is refused");

	memcpy(copy, buf, len);
	copy[3] = '2';
	CHECK(!pm_image_read(copy, len, &img, &err) && strstr(err.msg, "magic") != NULL,
		  "another format version is refused");

	memcpy(copy, buf, len);
	copy[4] = 0xff;
	copy[5] = 0xff;
	copy[6] = 0xff;
	copy[7] = 0x7f;
	CHECK(!pm_image_read(copy, len, &img, &err) && strstr(err.msg, "revision count") != NULL,
		  "a huge revision count is refused before allocating");

	/* byte 8 is the first id's length, byte 9 its first character */
	memcpy(copy, buf, len);
	copy[9] = '-';
	CHECK(!pm_image_read(copy, len, &img, &err) && strstr(err.msg, "revision id") != NULL,
		  "an invalid id is refused");
	memcpy(copy, buf, len);
	copy[10] = 'z';
	CHECK(!pm_image_read(copy, len, &img, &err), "an id without its NUL is refused");
	memcpy(copy, buf, len);
	copy[8] = 0;
	CHECK(!pm_image_read(copy, len, &img, &err), "an empty id is refused");
	/* byte 11 is the first revision's flags */
	memcpy(copy, buf, len);
	copy[11] = 0x80;
	CHECK(!pm_image_read(copy, len, &img, &err) && strstr(err.msg, "flags") != NULL,
		  "unknown flags are refused");
	memcpy(copy, buf, len);
	copy[12] = 0xff;
	CHECK(!pm_image_read(copy, len, &img, &err), "a parent count past the end is refused");

	/* a NUL inside the last message */
	memcpy(copy, buf, len);
	off = len - 3;
	copy[off] = 0;
	CHECK(!pm_image_read(copy, len, &img, &err) && strstr(err.msg, "message") != NULL,
		  "a message with a NUL inside is refused");

	free(copy);
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
	CHECK(buf == NULL && err.code == PM_ERR_INVALID_NAME && strstr(err.msg, "no such-name") != NULL,
		  "a name the format cannot hold is an error naming it");
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
	g2 = pm_image_graph(&img);
	pm_graph_heads(g2, &heads);
	CHECK(heads.n == 1 && strcmp(pm_graph_rev(g2, heads.items[0])->id, "r100000") == 0,
		  "its graph has the one head");
	pm_set_free(&heads);
	pm_graph_free(g2);
	pm_image_free(&img);
	free(buf);
	free(msgs);
	free(fl);
	pm_graph_free(g);
}

int
main(void)
{
	test_round_trip();
	test_empty();
	test_damage();
	test_bad_graph();
	test_large();
	UNIT_DONE();
}
