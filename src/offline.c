/*-------------------------------------------------------------------------
 *
 * offline.c
 *	  pgmig.script(command, target): the whole SQL a command would run, for
 *	  review and for running later with psql (offline mode).
 *
 * The script checks at its top that the database is still in the state
 * it was generated for, so a stale script fails before changing anything,
 * and takes the migration lock while it runs.  Nothing a revision holds is
 * copied into it as live text (see pgmig_script).
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
#include "core/revfile.h"

static void
append_literal(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, quote_literal_cstr(s));
}

/*
 * Text for a "-- " comment line: every control character (a newline, a lone
 * CR, ...) becomes a space, so a message can never end the comment and
 * start a line of SQL or a psql meta-command.
 */
static void
append_comment_text(StringInfo buf, const char *s)
{
	for (; *s; s++)
		appendStringInfoChar(buf, ((unsigned char) *s < 0x20 || *s == 0x7f) ? ' ' : *s);
}

/*
 * A script as a dollar-quoted literal, with a tag that does not occur in
 * it: psql copies the literal to the server untouched (no meta-command,
 * no variable interpolation can happen inside it).
 */
static void
append_dollar_quoted(StringInfo buf, const char *s)
{
	char		tag[32];
	int			n = 0;

	snprintf(tag, sizeof(tag), "$pgmig$");
	while (strstr(s, tag) != NULL)
		snprintf(tag, sizeof(tag), "$pgmig%d$", ++n);
	appendStringInfo(buf, "%s%s%s", tag, s, tag);
}

static void
append_id_array(StringInfo buf, PgmigGraph *pg, const int *items, int n)
{
	int			k;

	appendStringInfoString(buf, "ARRAY[");
	for (k = 0; k < n; k++)
	{
		if (k)
			appendStringInfoString(buf, ", ");
		append_literal(buf, pm_graph_rev(pg->g, items[k])->id);
	}
	appendStringInfoString(buf, "]::text[]");
}

/*
 * The whole SQL a command would run, for review and `psql -1 -f`.
 *
 * Nothing a revision holds is copied into the script as live text: each
 * revision the script runs is (re)loaded with pgmig.add(), its scripts as
 * dollar-quoted literals the reviewer can read, and then run by the server
 * with pgmig.step() (or recorded by pgmig.record_step() for stamp), so the
 * bookkeeping is pgmig's own and the run keeps every server-side check.
 * Messages appear only in comments, with control characters blanked.  The
 * script checks at its top that the database is still in the state it was
 * generated for, so a stale script fails before changing anything.
 *
 * Non-transactional revisions cannot run inside step(); their statements
 * are written as they are, which is only safe when they contain no
 * backslash (psql's meta-command character): otherwise the script is
 * refused and the client must run them.
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
		if (kind != 2 && !pg->transactional[steps.items[k]])
			nontx = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "-- pgmig offline script: %s to ", command);
	append_comment_text(&buf, quote_literal_cstr(target));
	appendStringInfo(&buf, " (%d revision%s)\n", steps.n, steps.n == 1 ? "" : "s");
	if (nontx)
		appendStringInfoString(&buf,
							   "-- Contains non-transactional revisions: run with psql -v ON_ERROR_STOP=1 -f FILE (not -1), or use the pgmig client.\n");
	else
		appendStringInfoString(&buf, "-- Review it, then run it with: psql -v ON_ERROR_STOP=1 -1 -f FILE\n");
	appendStringInfoString(&buf, "\\set ON_ERROR_STOP on\n");
	appendStringInfoString(&buf, "SELECT pgmig.lock();\n");

	/* state check: every step must still be in the state it was planned from */
	if (steps.n > 0)
	{
		int			expect = 0;

		for (k = 0; k < steps.n; k++)
			if (pm_graph_rev(pg->g, steps.items[k])->applied)
				expect++;
		appendStringInfoString(&buf,
							   "DO $pgmig_check$\nBEGIN\n  IF (SELECT pg_catalog.count(*) FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) ANY (");
		append_id_array(&buf, pg, steps.items, steps.n);
		appendStringInfo(&buf, ")) OPERATOR(pg_catalog.<>) %d THEN\n", expect);
		appendStringInfoString(&buf,
							   "    RAISE EXCEPTION 'pgmig: the database is no longer in the state this script was generated for'\n"
							   "      USING HINT = 'Generate the script again (pgmig upgrade --sql, or pgmig.script()).';\n"
							   "  END IF;\nEND\n$pgmig_check$;\n");
	}

	for (k = 0; k < steps.n; k++)
	{
		int			i = steps.items[k];
		const pm_rev *r = pm_graph_rev(pg->g, i);
		char	   *par = pgmig_join_ids(pg, r->parents, r->nparents_ok, ", ");
		PgmigScripts sc;
		char	   *up,
				   *downscript;
		bool		down = (kind == 1) || (kind == 2 && r->applied);

		pgmig_fetch_revision_scripts(r->id, &sc);
		up = sc.upgrade;
		downscript = sc.downgrade;
		if (kind == 1 && downscript == NULL)
			pgmig_refuse_irreversible(r->id, pg->message[i], true);

		appendStringInfoChar(&buf, '\n');
		if (kind == 2)
			appendStringInfo(&buf, "-- Stamping %s %s", r->id, down ? "unapplied" : "applied");
		else if (down)
			appendStringInfo(&buf, "-- Running downgrade %s -> %s", r->id, par);
		else
			appendStringInfo(&buf, "-- Running upgrade %s -> %s", par, r->id);
		if (pg->message[i][0])
		{
			appendStringInfoString(&buf, ", ");
			append_comment_text(&buf, pg->message[i]);
		}
		appendStringInfoChar(&buf, '\n');

		/* the revision as this script knows it, loaded unless identical */
		appendStringInfoString(&buf, "SELECT pgmig.add(");
		append_literal(&buf, r->id);
		appendStringInfoString(&buf, ", ");
		append_id_array(&buf, pg, r->parents, r->nparents_ok);
		appendStringInfoString(&buf, ",\n  ");
		append_dollar_quoted(&buf, up);
		appendStringInfoString(&buf, ",\n  ");
		if (downscript)
			append_dollar_quoted(&buf, downscript);
		else
			appendStringInfoString(&buf, "NULL");
		appendStringInfoString(&buf, ",\n  ");
		append_literal(&buf, pg->message[i]);
		appendStringInfoString(&buf, ", branch_labels => ");
		{
			StringInfoData lab;
			int			j;

			initStringInfo(&lab);
			appendStringInfoString(&lab, "ARRAY[");
			for (j = 0; j < r->nlabels; j++)
				appendStringInfo(&lab, "%s%s", j ? ", " : "", quote_literal_cstr(r->labels[j]));
			appendStringInfoString(&lab, "]::text[]");
			appendStringInfoString(&buf, lab.data);
		}
		appendStringInfoString(&buf, ", depends_on => ");
		append_id_array(&buf, pg, r->deps, r->ndeps_ok);
		appendStringInfo(&buf, ", transactional => %s)\n WHERE NOT EXISTS (SELECT FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) ",
						 pg->transactional[i] ? "true" : "false");
		append_literal(&buf, r->id);
		{
			char		ck[65];

			pm_checksum(up, downscript, pg->transactional[i], ck);
			appendStringInfo(&buf, " AND checksum OPERATOR(pg_catalog.=) '%s');\n", ck);
		}

		if (kind == 2 || pg->transactional[i])
		{
			appendStringInfoString(&buf, kind == 2 ? "SELECT pgmig.record_step(" : "SELECT pgmig.step(");
			append_literal(&buf, r->id);
			appendStringInfo(&buf, ", %s);\n", down ? "true" : "false");
			continue;
		}

		/* non-transactional: its statements at top level, then recorded */
		{
			const char *body = down ? downscript : up;

			if (strchr(body, '\\') != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_PGMIG_NON_TRANSACTIONAL),
						 errmsg("revision \"%s\" cannot be written into an offline script", r->id),
						 errdetail("It is non-transactional, so its statements must be written as they are, and they contain a backslash, which psql would read as a meta-command."),
						 errhint("Run it with the pgmig client (pgmig upgrade) instead.")));
			appendStringInfoString(&buf, "-- (non-transactional: these statements must run outside a transaction block)\n");
			appendStringInfoString(&buf, body);
			appendStringInfoString(&buf, "\n;\nSELECT pgmig.record_step(");
			append_literal(&buf, r->id);
			appendStringInfo(&buf, ", %s);\n", down ? "true" : "false");
		}
	}
	appendStringInfoString(&buf, "\nSELECT pgmig.unlock();\n");

	MemoryContextSwitchTo(oldcxt);
	result = cstring_to_text_with_len(buf.data, buf.len);
	MemoryContextSwitchTo(callcxt);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(result);
}

