/*
 * fuzz_alembic.c: libFuzzer harness for the Alembic offline-output reader.
 *
 * The input is split at the first NUL byte: before it, upgrade output;
 * after it, downgrade output.  The Python revision-file reader gets the
 * whole input too.
 */
#include "alembic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
has_commit(const char *s, size_t n)
{
	size_t		i,
				k;

	for (i = 0; i + 6 <= n; i++)
	{
		for (k = 0; k < 6; k++)
			if ((s[i + k] | 0x20) != "commit"[k])
				break;
		if (k == 6)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	const char *nul = memchr(buf, '\0', size);
	size_t		uplen = nul ? (size_t) (nul - buf) : size;
	pm_alembic	a;
	pm_error	err;
	pm_alembic_py py;
	int			k;

	pm_alembic_init(&a);
	if (pm_alembic_parse_upgrade(&a, buf, uplen, NULL, &err))
	{
		/* accepted output with blocks is whole: it has a COMMIT (item 7) */
		if (a.n > 0 && !has_commit(buf, uplen))
			abort();
		if (nul)
			(void) pm_alembic_parse_downgrade(&a, nul + 1, size - uplen - 1, NULL, &err);
	}
	for (k = 0; k < a.n; k++)
	{
		/* every revision has an id, an upgrade, a message */
		if (!a.revs[k].id || !a.revs[k].upgrade || !a.revs[k].message)
			abort();
		if (pm_alembic_find(&a, a.revs[k].id) != k)
			abort();
	}
	pm_alembic_free(&a);

	if (pm_alembic_pyfile(buf, size, &py))
		pm_alembic_py_free(&py);
	return 0;
}
