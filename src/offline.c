/*-------------------------------------------------------------------------
 *
 * offline.c
 *	  pgmig.script(command, target): the whole SQL a command would run, for
 *	  review and for running later with psql (offline mode).
 *
 * The script checks at its top that the database is still in the state
 * it was generated for, so a stale script fails before changing anything,
 * and takes the migration lock while it runs.
 *
 * Reads the graph like the read-only functions (no migration lock) and
 * reads script bodies one at a time (spi_util.c).  Memory: a per-call
 * context; the result is copied to the caller's context.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "utils/builtins.h"

#include "spi_util.h"

static void
append_literal(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, quote_literal_cstr(s));
}

/*
 * The whole SQL a command would run, for review and `psql -1 -f`.  The
 * script checks at its top that the database is still in the state it was
 * generated for, so a stale script fails before changing anything.
 */
PG_FUNCTION_INFO_V1(pgmig_script);
Datum
pgmig_script(PG_FUNCTION_ARGS)
{
	char	   *command = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	MemoryContext callcxt;
	MemoryContext oldcxt;
	PgmigGraph *pg;
	pm_set		steps;
	int			kind;
	int			k;
	StringInfoData buf;
	bool		nontx = false;
	text	   *result;

	callcxt = pgmig_call_begin("pgmig script", &oldcxt);
	pg = pgmig_graph_for_reading(true);
	kind = pgmig_plan_command(pg, command, target, &steps);
	for (k = 0; k < steps.n; k++)
		if (!pg->transactional[steps.items[k]])
			nontx = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "-- pgmig offline script: %s to %s (%d revision%s)\n",
					 command, quote_literal_cstr(target), steps.n,
					 steps.n == 1 ? "" : "s");
	if (nontx)
		appendStringInfoString(&buf,
							   "-- Contains non-transactional revisions: run with psql -f (not -1), or use the pgmig client.\n");
	else
		appendStringInfoString(&buf, "-- Review it, then run it with: psql -v ON_ERROR_STOP=1 -1 -f FILE\n");
	appendStringInfoString(&buf, "\\set ON_ERROR_STOP on\n");
	appendStringInfoString(&buf, "SELECT pgmig.lock();\n");

	/* state check: every step must still be in the state it was planned from */
	if (steps.n > 0)
	{
		appendStringInfoString(&buf,
							   "DO $pgmig_check$\nBEGIN\n  IF (SELECT pg_catalog.count(*) FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) ANY (ARRAY[");
		for (k = 0; k < steps.n; k++)
		{
			if (k)
				appendStringInfoString(&buf, ", ");
			append_literal(&buf, pm_graph_rev(pg->g, steps.items[k])->id);
		}
		appendStringInfoString(&buf, "]::text[])) OPERATOR(pg_catalog.<>) ");
		{
			int			expect = 0;

			for (k = 0; k < steps.n; k++)
				if (pm_graph_rev(pg->g, steps.items[k])->applied)
					expect++;
			appendStringInfo(&buf, "%d THEN\n", expect);
		}
		appendStringInfoString(&buf,
							   "    RAISE EXCEPTION 'pgmig: the database is no longer in the state this script was generated for'\n"
							   "      USING HINT = 'Generate the script again with pgmig.script().';\n"
							   "  END IF;\nEND\n$pgmig_check$;\n");
	}

	for (k = 0; k < steps.n; k++)
	{
		int			i = steps.items[k];
		const pm_rev *r = pm_graph_rev(pg->g, i);
		char	   *par = pgmig_join_ids(pg, r->parents, r->nparents_ok, ", ");
		PgmigScripts s;
		char	   *body;
		char	   *checksum;
		bool		down = (kind == 1) || (kind == 2 && r->applied);

		pgmig_fetch_revision_scripts(r->id, &s);
		body = down ? s.downgrade : s.upgrade;
		checksum = s.checksum;
		if (kind == 1 && body == NULL)
			pgmig_refuse_irreversible(r->id, pg->message[i], false);

		if (kind == 2)
		{
			appendStringInfo(&buf, "\n-- Stamping %s %s, %s\n", r->id,
							 down ? "unapplied" : "applied", pg->message[i]);
		}
		else if (down)
			appendStringInfo(&buf, "\n-- Running downgrade %s -> %s, %s\n",
							 r->id, par, pg->message[i]);
		else
			appendStringInfo(&buf, "\n-- Running upgrade %s -> %s, %s\n",
							 par, r->id, pg->message[i]);
		if (kind != 2 && !pg->transactional[i])
			appendStringInfoString(&buf, "-- (non-transactional: these statements must run outside a transaction block)\n");
		if (kind != 2 && body != NULL && body[0] != '\0')
		{
			appendStringInfoString(&buf, body);
			appendStringInfoString(&buf, "\n;\n");
		}
		if (down)
		{
			appendStringInfoString(&buf, "DELETE FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) ");
			append_literal(&buf, r->id);
			appendStringInfoString(&buf, ";\n");
		}
		else
		{
			appendStringInfoString(&buf, "INSERT INTO pgmig.applied (revision, checksum) VALUES (");
			append_literal(&buf, r->id);
			appendStringInfoString(&buf, ", ");
			append_literal(&buf, checksum);
			appendStringInfoString(&buf, ");\n");
		}
		appendStringInfoString(&buf, "INSERT INTO pgmig.journal (action, revision, target, new_checksum, detail) VALUES (");
		append_literal(&buf, kind == 2 ? "stamp" : (down ? "downgrade" : "upgrade"));
		appendStringInfoString(&buf, ", ");
		append_literal(&buf, r->id);
		appendStringInfoString(&buf, ", ");
		append_literal(&buf, target);
		appendStringInfoString(&buf, ", ");
		append_literal(&buf, checksum);
		appendStringInfoString(&buf, ", 'offline script');\n");
	}
	appendStringInfoString(&buf, "\nSELECT pgmig.unlock();\n");

	MemoryContextSwitchTo(oldcxt);
	result = cstring_to_text_with_len(buf.data, buf.len);
	MemoryContextSwitchTo(callcxt);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(result);
}

