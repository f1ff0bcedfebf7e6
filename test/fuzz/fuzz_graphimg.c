/*
 * fuzz_graphimg.c: libFuzzer harness for the graph image (graphimg.c).
 *
 * The input is taken as an image:
 *	- reading it must either fail with a "damaged" message, or succeed;
 *	- on success the image's graph is built (the reader refuses edges out
 *	  of range and cycles), its heads are computed, a lookup checks its
 *	  names, and when they are unique the graph is written again: the
 *	  bytes must equal the input (the format is canonical).
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
	pm_error	err;

	memcpy(buf, data, size);
	if (!pm_image_read(buf, size, &img, &err))
	{
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

		pm_graph_heads(g, &heads);
		pm_set_free(&heads);
		(void) pm_graph_find(g, "a");
		if (pm_graph_nproblems(g) != 0)
		{
			/* duplicate names: what pgmig never writes, found by the lookup */
			pm_image_free(&img);
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
	}
	free(buf);
	return 0;
}
