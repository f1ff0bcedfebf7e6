/*
 * fuzz_json.c: libFuzzer harness for the strict JSON reader.
 *
 * Besides memory safety: an error always has a message; a value that
 * parses, written back compactly, parses again to an equal value and
 * writes the same text (the writer and the reader agree).
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pm_error	err;
	pm_json    *v = pm_json_parse((const char *) data, size, &err);
	pm_json    *w;
	pm_buf		a,
				b;

	if (v == NULL)
	{
		if (err.code != PM_ERR_SYNTAX || err.msg[0] == '\0')
			abort();
		return 0;
	}
	pm_buf_init(&a);
	pm_json_write(&a, v);
	w = pm_json_parse(a.data, a.len, &err);
	if (w == NULL || !pm_json_equal(v, w))
		abort();
	pm_buf_init(&b);
	pm_json_write(&b, w);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	pm_buf_free(&a);
	pm_buf_free(&b);
	pm_json_free(v);
	pm_json_free(w);
	return 0;
}
