/*
 * fuzz_schemadiff.c: libFuzzer harness for the schema diff engine.
 *
 * The input holds two snapshots separated by a NUL byte (source, then
 * target; without a NUL both sides are the input), and optionally a third
 * part, the rename map.  The engine must never crash, and either fail with
 * a message or return steps that each have a statement, a kind and an
 * object; diff(x, x) must be empty whenever x is accepted.
 */
#include "schemadiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(const pm_diff *d)
{
	int			i;

	for (i = 0; i < d->n; i++)
		if (d->steps[i].sql == NULL || d->steps[i].kind == NULL || d->steps[i].object == NULL)
			abort();
	for (i = 0; i < d->nrev; i++)
		if (d->rev[i].sql == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	const char *nul = memchr(s, '\0', size);
	size_t		slen = nul ? (size_t) (nul - s) : size;
	const char *t = nul ? nul + 1 : s;
	size_t		rest = nul ? size - slen - 1 : size;
	const char *nul2 = nul ? memchr(t, '\0', rest) : NULL;
	size_t		tlen = nul2 ? (size_t) (nul2 - t) : rest;
	const char *r = nul2 ? nul2 + 1 : NULL;
	size_t		rlen = nul2 ? rest - tlen - 1 : 0;
	pm_diff		d;
	pm_error	err;

	if (pm_schema_diff(s, slen, t, tlen, r, rlen, &d, &err))
	{
		check(&d);
		pm_diff_free(&d);
		if (pm_schema_diff(s, slen, s, slen, NULL, 0, &d, &err))
		{
			if (d.n != 0 || d.nrev != 0)
				abort();
			pm_diff_free(&d);
		}
	}
	else if (err.msg[0] == '\0')
		abort();
	return 0;
}
