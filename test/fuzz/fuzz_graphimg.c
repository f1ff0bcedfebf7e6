/*
 * fuzz_graphimg.c: libFuzzer harness for the graph image (graphimg.c).
 *
 * The input is taken as an image:
 *	- reading it must either fail with a "damaged" message, or succeed;
 *	- on success the image's graph is built (the reader refuses edges out
 *	  of range and cycles), its heads are computed, a lookup checks its
 *	  names, and when they are unique the graph is written again: the
 *	  bytes must equal the input (the format is canonical).
 *	- the image opened in place (pm_image_view_open) must be accepted
 *	  exactly when the reader accepts it, and give the same heads, the
 *	  same current revisions and the same "nothing to upgrade" for an
 *	  applied set taken from the input's bytes.
 * Any violation aborts, which libFuzzer reports as a crash; the sanitizers
 * watch every read (the reader must never look past the input).
 */
#include "graphimg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy, exactly as long as the input, so ASan sees overreads */
	unsigned char *buf = malloc(size ? size : 1);
	pm_image	img;
	pm_image_view view;
	pm_error	err;
	pm_error	verr;
	bool		vok;

	memcpy(buf, data, size);
	vok = pm_image_view_open(buf, size, &view, &verr);
	if (!vok && strstr(verr.msg, "graph image is damaged") == NULL)
	{
		fprintf(stderr, "fuzz_graphimg: view error without the expected message: %s\n", verr.msg);
		abort();
	}
	if (!pm_image_read(buf, size, &img, &err))
	{
		if (vok)
		{
			fprintf(stderr, "fuzz_graphimg: the view accepts what the reader refuses: %s\n", err.msg);
			abort();
		}
		if (err.msg[0] == '\0' || strstr(err.msg, "graph image is damaged") == NULL)
		{
			fprintf(stderr, "fuzz_graphimg: error without the expected message: %s\n", err.msg);
			abort();
		}
	}
	else
	{
		pm_graph   *g = img.g;
		pm_set		heads;
		size_t		len2;
		unsigned char *again;

		pm_set		vheads;
		unsigned char *applied;
		int			i;

		if (!vok)
		{
			fprintf(stderr, "fuzz_graphimg: the view refuses what the reader accepts: %s\n", verr.msg);
			abort();
		}
		pm_graph_heads(g, &heads);
		pm_image_view_heads(&view, &vheads);
		if (heads.n != vheads.n ||
			memcmp(heads.items, vheads.items, sizeof(int) * heads.n) != 0)
		{
			fprintf(stderr, "fuzz_graphimg: the view's heads differ\n");
			abort();
		}
		{
			pm_set		b1,
						b2;
			pm_set	   *lists;
			int			k;

			pm_graph_branchpoints(g, &b1);
			pm_image_view_branchpoints(&view, &b2);
			if (b1.n != b2.n || memcmp(b1.items, b2.items, sizeof(int) * b1.n) != 0)
			{
				fprintf(stderr, "fuzz_graphimg: the view's branch points differ\n");
				abort();
			}
			lists = malloc(sizeof(pm_set) * (b2.n + 1));
			pm_image_view_children(&view, &b2, lists);
			for (k = 0; k < b2.n; k++)
			{
				const pm_rev *r = pm_graph_rev(g, b2.items[k]);

				if (lists[k].n != r->nchildren ||
					memcmp(lists[k].items, r->children, sizeof(int) * r->nchildren) != 0)
				{
					fprintf(stderr, "fuzz_graphimg: the view's children differ\n");
					abort();
				}
				pm_set_free(&lists[k]);
			}
			free(lists);
			pm_set_free(&b1);
			pm_set_free(&b2);
		}
		/* an applied set from the input's bytes, the same in both */
		applied = malloc(img.n + 1);
		for (i = 0; i < img.n; i++)
		{
			applied[i] = (buf[i % size] >> (i % 8)) & 1;
			pm_graph_set_applied(g, i, applied[i]);
		}
		{
			pm_set		c1,
						c2,
						steps,
						vsteps;

			pm_graph_current(g, &c1);
			pm_image_view_current(&view, applied, &c2);
			pm_plan_upgrade(g, &heads, &steps);
			pm_image_view_plan_upgrade(&view, &vheads, applied, &vsteps);
			if (c1.n != c2.n || memcmp(c1.items, c2.items, sizeof(int) * c1.n) != 0 ||
				(steps.n == 0) != pm_image_view_all_applied(&view, &heads, applied) ||
				steps.n != vsteps.n ||
				memcmp(steps.items, vsteps.items, sizeof(int) * steps.n) != 0)
			{
				fprintf(stderr, "fuzz_graphimg: the view's current or plan differs\n");
				abort();
			}
			pm_set_free(&c1);
			pm_set_free(&c2);
			pm_set_free(&steps);
			pm_set_free(&vsteps);
		}
		free(applied);
		pm_set_free(&vheads);
		pm_set_free(&heads);
		(void) pm_graph_find(g, "a");
		if (pm_graph_nproblems(g) != 0)
		{
			/* duplicate names: what pgmig never writes, found by the lookup */
			pm_image_free(&img);
			pm_image_view_free(&view);
			free(buf);
			return 0;
		}
		again = pm_image_write(g, img.messages, img.flags, &len2, &err);
		if (again == NULL || len2 != size || memcmp(again, buf, size) != 0)
		{
			fprintf(stderr, "fuzz_graphimg: image does not round-trip (%zu -> %zu bytes)\n",
					size, again ? len2 : 0);
			abort();
		}
		free(again);
		pm_image_free(&img);
		pm_image_view_free(&view);
	}
	free(buf);
	return 0;
}
