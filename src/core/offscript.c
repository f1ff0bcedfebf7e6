/*-------------------------------------------------------------------------
 *
 * offscript.c
 *	  The writer of pgmig's offline scripts (server-free): see offscript.h
 *	  for what the script does and who calls it.
 *
 * The text written here is what pgmig.script() has always returned, so
 * its regression output is the test of this file as well; the client's
 * offline test compares the client's output with the server's.
 *
 *-------------------------------------------------------------------------
 */
#include "offscript.h"

#include <stdio.h>
#include <string.h>

#include "revfile.h"
#include "sqlquote.h"

/* Text for a "-- " comment line (pm_comment_text, fuzzed). */
static void
put_comment_text(pm_buf *b, const char *s)
{
	char	   *c = pm_comment_text(s);

	pm_buf_puts(b, c);
	pm_free(c);
}

/*
 * A script as a dollar-quoted literal, with a tag that does not occur in
 * it: psql copies the literal to the server untouched (no meta-command,
 * no variable interpolation can happen inside it).
 */
static void
put_dollar_quoted(pm_buf *b, const char *s)
{
	char		tag[32];
	int			n = 0;

	snprintf(tag, sizeof(tag), "$pgmig$");
	while (strstr(s, tag) != NULL)
		snprintf(tag, sizeof(tag), "$pgmig%d$", ++n);
	pm_buf_printf(b, "%s%s%s", tag, s, tag);
}

/* ARRAY['a', 'b']::text[] of revision ids given by index */
static void
put_id_array(pm_buf *b, const pm_graph *g, const int *items, int n)
{
	int			k;

	pm_buf_puts(b, "ARRAY[");
	for (k = 0; k < n; k++)
	{
		if (k)
			pm_buf_puts(b, ", ");
		pm_quote_literal(b, pm_graph_rev(g, items[k])->id);
	}
	pm_buf_puts(b, "]::text[]");
}

static void
put_name_array(pm_buf *b, char *const *names, int n)
{
	int			k;

	pm_buf_puts(b, "ARRAY[");
	for (k = 0; k < n; k++)
	{
		if (k)
			pm_buf_puts(b, ", ");
		pm_quote_literal(b, names[k]);
	}
	pm_buf_puts(b, "]::text[]");
}

static void
put_id_list(pm_buf *b, const pm_graph *g, const int *items, int n)
{
	int			k;

	for (k = 0; k < n; k++)
		pm_buf_printf(b, "%s%s", k ? ", " : "", pm_graph_rev(g, items[k])->id);
}

void
pm_script_begin(pm_buf *b, const pm_graph *g, const char *command,
				const char *target, pm_command_kind kind,
				const pm_set *steps, const bool *transactional)
{
	bool		nontx = false;
	int			k;

	for (k = 0; k < steps->n; k++)
		if (kind != PM_CMD_STAMP && !transactional[steps->items[k]])
			nontx = true;

	pm_buf_printf(b, "-- pgmig offline script: %s to ", command);
	{
		pm_buf		q;

		pm_buf_init(&q);
		pm_quote_literal(&q, target);
		put_comment_text(b, q.data);
		pm_buf_free(&q);
	}
	pm_buf_printf(b, " (%d revision%s)\n", steps->n, steps->n == 1 ? "" : "s");
	if (nontx)
		pm_buf_puts(b, "-- Contains non-transactional revisions: run with psql -v ON_ERROR_STOP=1 -f FILE (not -1), or use the pgmig client.\n");
	else
		pm_buf_puts(b, "-- Review it, then run it with: psql -v ON_ERROR_STOP=1 -1 -f FILE\n");
	pm_buf_puts(b, "\\set ON_ERROR_STOP on\n");
	pm_buf_puts(b, "SELECT pgmig.lock();\n");

	/* state check: every step must still be in the state it was planned from */
	if (steps->n > 0)
	{
		int			expect = 0;

		for (k = 0; k < steps->n; k++)
			if (pm_graph_rev(g, steps->items[k])->applied)
				expect++;
		pm_buf_puts(b, "DO $pgmig_check$\nBEGIN\n  IF (SELECT pg_catalog.count(*) FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) ANY (");
		put_id_array(b, g, steps->items, steps->n);
		pm_buf_printf(b, ")) OPERATOR(pg_catalog.<>) %d THEN\n", expect);
		pm_buf_puts(b,
					"    RAISE EXCEPTION 'pgmig: the database is no longer in the state this script was generated for'\n"
					"      USING HINT = 'Generate the script again (pgmig upgrade --sql, or pgmig.script()).';\n"
					"  END IF;\nEND\n$pgmig_check$;\n");
	}
}

bool
pm_script_step(pm_buf *b, const pm_graph *g, pm_command_kind kind, int i,
			   const char *message, bool transactional,
			   const char *upgrade, const char *downgrade, pm_error *err)
{
	const pm_rev *r = pm_graph_rev(g, i);
	bool		down = (kind == PM_CMD_DOWNGRADE) ||
		(kind == PM_CMD_STAMP && r->applied);
	bool		run_here = kind != PM_CMD_STAMP && !transactional;
	const char *body = down ? downgrade : upgrade;
	char		ck[65];

	pm_error_clear(err);
	if (kind == PM_CMD_DOWNGRADE && downgrade == NULL)
	{
		pm_error_set(err, PM_ERR_IRREVERSIBLE,
					 "revision \"%s\" (%s) cannot be downgraded", r->id, message);
		pm_error_detail(err, "It has no \"-- migrate:down\" section; nothing was run.");
		pm_error_hint(err, "Add a \"-- migrate:down\" section to its file (pgmig repair FILE once it is applied), or record the state without running scripts with stamp.");
		return false;
	}
	if (run_here && strchr(body, '\\') != NULL)
	{
		pm_error_set(err, PM_ERR_NON_TRANSACTIONAL,
					 "revision \"%s\" cannot be written into an offline script", r->id);
		pm_error_detail(err, "It is non-transactional, so its statements must be written as they are, and they contain a backslash, which psql would read as a meta-command.");
		pm_error_hint(err, "Run it with the pgmig client (pgmig upgrade) instead.");
		return false;
	}

	pm_buf_puts(b, "\n");
	if (kind == PM_CMD_STAMP)
		pm_buf_printf(b, "-- Stamping %s %s", r->id, down ? "unapplied" : "applied");
	else if (down)
	{
		pm_buf_printf(b, "-- Running downgrade %s -> ", r->id);
		put_id_list(b, g, r->parents, r->nparents_ok);
	}
	else
	{
		pm_buf_puts(b, "-- Running upgrade ");
		put_id_list(b, g, r->parents, r->nparents_ok);
		pm_buf_printf(b, " -> %s", r->id);
	}
	if (message[0])
	{
		pm_buf_puts(b, ", ");
		put_comment_text(b, message);
	}
	pm_buf_puts(b, "\n");

	/* the revision as this script knows it, loaded unless identical */
	pm_buf_puts(b, "SELECT pgmig.add(");
	pm_quote_literal(b, r->id);
	pm_buf_puts(b, ", ");
	put_id_array(b, g, r->parents, r->nparents_ok);
	pm_buf_puts(b, ",\n  ");
	put_dollar_quoted(b, upgrade);
	pm_buf_puts(b, ",\n  ");
	if (downgrade)
		put_dollar_quoted(b, downgrade);
	else
		pm_buf_puts(b, "NULL");
	pm_buf_puts(b, ",\n  ");
	pm_quote_literal(b, message);
	pm_buf_puts(b, ", branch_labels => ");
	put_name_array(b, r->labels, r->nlabels);
	pm_buf_puts(b, ", depends_on => ");
	put_id_array(b, g, r->deps, r->ndeps_ok);
	pm_buf_printf(b, ", transactional => %s)\n WHERE NOT EXISTS (SELECT FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) ",
				  transactional ? "true" : "false");
	pm_quote_literal(b, r->id);
	pm_checksum(upgrade, downgrade, transactional, ck);
	pm_buf_printf(b, " AND checksum OPERATOR(pg_catalog.=) '%s');\n", ck);

	if (!run_here)
	{
		pm_buf_puts(b, kind == PM_CMD_STAMP ? "SELECT pgmig.record_step(" : "SELECT pgmig.step(");
		pm_quote_literal(b, r->id);
		pm_buf_printf(b, ", %s);\n", down ? "true" : "false");
		return true;
	}

	/* non-transactional: its statements at top level, then recorded */
	pm_buf_puts(b, "-- (non-transactional: these statements must run outside a transaction block)\n");
	pm_buf_puts(b, body);
	pm_buf_puts(b, "\n;\nSELECT pgmig.record_step(");
	pm_quote_literal(b, r->id);
	pm_buf_printf(b, ", %s);\n", down ? "true" : "false");
	return true;
}

void
pm_script_end(pm_buf *b, int nsteps, bool record_schema)
{
	/* the schema the script leaves is the expected one (drift.c, 0.4) */
	if (nsteps > 0 && record_schema)
		pm_buf_puts(b, "\nSELECT pgmig.record_schema();");
	pm_buf_puts(b, "\nSELECT pgmig.unlock();\n");
}
