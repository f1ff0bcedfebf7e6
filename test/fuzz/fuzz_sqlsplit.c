/*
 * fuzz_sqlsplit.c: libFuzzer harness for the SQL statement splitter.
 *
 * Besides memory safety it checks the splitter's invariants: statements
 * are in order, do not overlap, lie inside the input, and are byte-exact
 * copies of it; splitting a statement again yields that one statement.
 */
#include "sqlsplit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pm_stmtlist l;
	pm_error	err;
	size_t		prev = 0;
	int			k;

	if (!pm_sql_split((const char *) data, size, &l, &err))
	{
		if (err.line < 1)
			abort();
		return 0;
	}
	for (k = 0; k < l.n; k++)
	{
		pm_stmt    *s = &l.items[k];

		if (s->start < prev || s->end <= s->start || s->end > size || s->line < 1)
			abort();
		if (memcmp(s->sql, data + s->start, s->end - s->start) != 0)
			abort();
		prev = s->end;
		if (s->terminated && memchr(s->sql, '\0', s->end - s->start) == NULL)
		{
			pm_stmtlist again;

			if (!pm_sql_split(s->sql, s->end - s->start, &again, NULL) ||
				again.n != 1 || strcmp(again.items[0].sql, s->sql) != 0)
				abort();
			pm_stmtlist_free(&again);
		}
	}
	pm_stmtlist_free(&l);
	return 0;
}
