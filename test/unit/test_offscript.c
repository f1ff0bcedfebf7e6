/*
 * test_offscript.c: the offline script writer (offscript.c), which
 * pgmig.script() and the client's "--sql" without a database share.
 * The exact text of whole scripts is pinned by pg_regress (05_info,
 * 61_offline) and compared with the client's in the client test group
 * "offline"; here: the pieces a reviewer relies on, and the refusals.
 */
#include "offscript.h"
#include "unit.h"

#include <stdlib.h>

#include "graph_fixture.h"

static pm_error err;

/* the script of command/target on graph g, or "error N: message" */
static char *
script(pm_graph *g, const char *command, const char *target,
	   const char *const *ups, const char *const *downs, const bool *tx,
	   const char *const *msgs)
{
	pm_set		steps;
	pm_buf		b;
	int			kind = pm_plan_command(g, command, target, &steps, &err);
	int			k;

	pm_buf_init(&b);
	if (kind < 0)
	{
		pm_buf_printf(&b, "error %d: %s", (int) err.code, err.msg);
		return b.data;
	}
	pm_script_begin(&b, g, command, target, kind, &steps, tx);
	for (k = 0; k < steps.n; k++)
	{
		int			i = steps.items[k];

		if (!pm_script_step(&b, g, kind, i, msgs[i], tx[i], ups[i], downs[i], &err))
		{
			b.len = 0;
			b.data[0] = '\0';
			pm_buf_printf(&b, "error %d: %s", (int) err.code, err.msg);
			pm_set_free(&steps);
			return b.data;
		}
	}
	pm_script_end(&b, steps.n, true);
	pm_set_free(&steps);
	return b.data;
}

static bool
has(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

int
main(void)
{
	pm_graph   *g = pm_graph_new(0);
	const char *ups[] = {"CREATE TABLE a (x text DEFAULT '$pgmig$');", "CREATE INDEX CONCURRENTLY i ON a (x);", "SELECT 1;"};
	const char *downs[] = {"DROP TABLE a;", "DROP INDEX CONCURRENTLY i;", NULL};
	const char *msgs[] = {"first\nline 2 \\i /etc/passwd", "index", ""};
	bool		tx[] = {true, false, true};
	char	   *s;

	add(g, "a1", "", "", "lab", false);
	add(g, "b2", "a1", "", "", false);
	add(g, "c3", "b2", "a1", "", false);
	pm_graph_build(g, true, &err);

	s = script(g, "upgrade", "c3", ups, downs, tx, msgs);
	CHECK(has(s, "-- pgmig offline script: upgrade to 'c3' (3 revisions)\n"), "header names command, target and count");
	CHECK(has(s, "run with psql -v ON_ERROR_STOP=1 -f FILE (not -1)"), "a non-transactional step: not -1");
	CHECK(has(s, "SELECT pgmig.lock();\n"), "takes the lock");
	CHECK(has(s, "ANY (ARRAY['a1', 'b2', 'c3']::text[])) OPERATOR(pg_catalog.<>) 0 THEN"), "state check: none of them applied");
	CHECK(has(s, "$pgmig1$CREATE TABLE a (x text DEFAULT '$pgmig$');$pgmig1$"), "a script holding $pgmig$ gets another tag");
	CHECK(has(s, "-- Running upgrade  -> a1, first\\nline 2 \\\\i /etc/passwd\n"), "message: control characters and backslash escaped in the comment");
	CHECK(has(s, "branch_labels => ARRAY['lab']::text[]"), "labels loaded");
	CHECK(has(s, "depends_on => ARRAY['a1']::text[], transactional => true)"), "dependencies loaded");
	CHECK(has(s, "SELECT pgmig.step('a1', false);"), "transactional: run by step()");
	CHECK(has(s, "-- (non-transactional: these statements must run outside a transaction block)\nCREATE INDEX CONCURRENTLY i ON a (x);\n;\nSELECT pgmig.record_step('b2', false);"),
		  "non-transactional: statements at top level, then recorded");
	CHECK(has(s, "-- Running upgrade b2 -> c3\n"), "no trailing comma without a message");
	CHECK(has(s, "\nSELECT pgmig.record_schema();\nSELECT pgmig.unlock();\n"), "records the schema, unlocks");
	free(s);

	/* from a1 applied: the check expects one of the steps applied */
	pm_graph_set_applied(g, 0, true);
	s = script(g, "stamp", "base", ups, downs, tx, msgs);
	CHECK(has(s, "ANY (ARRAY['a1']::text[])) OPERATOR(pg_catalog.<>) 1 THEN"), "stamp base from a1: expects a1 applied");
	CHECK(has(s, "-- Stamping a1 unapplied") && has(s, "SELECT pgmig.record_step('a1', true);"), "stamp: record_step, never step");
	CHECK(has(s, "psql -v ON_ERROR_STOP=1 -1 -f FILE"), "stamp of nothing non-transactional: -1");
	free(s);

	/* refusals */
	pm_graph_set_applied(g, 1, true);
	pm_graph_set_applied(g, 2, true);
	s = script(g, "downgrade", "base", ups, downs, tx, msgs);
	CHECK_STR(s, "error 10: revision \"c3\" () cannot be downgraded", "irreversible downgrade refused");
	CHECK(has(err.hint, "migrate:down"), "its hint");
	free(s);
	downs[2] = "SELECT 2;";
	downs[1] = "DROP INDEX CONCURRENTLY i; \\! rm -rf /";
	s = script(g, "downgrade", "base", ups, downs, tx, msgs);
	CHECK_STR(s, "error 11: revision \"b2\" cannot be written into an offline script", "a backslash in a non-transactional script refused");
	CHECK(has(err.detail, "meta-command"), "the detail says why");
	free(s);
	s = script(g, "migrate", "base", ups, downs, tx, msgs);
	CHECK_STR(s, "error 1: unknown command \"migrate\"", "unknown command");
	free(s);

	pm_graph_free(g);
	UNIT_DONE();
}
