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
#include "core/offscript.h"

/*
 * The whole SQL a command would run, for review and `psql -1 -f`: written
 * by the core's writer (core/offscript.h says what the script does), the
 * same one the client uses without a database, so both give the same text.
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
	pm_command_kind kind;
	int			k;
	pm_buf		buf;
	text	   *result;

	callcxt = pgmig_call_begin("pgmig script", &oldcxt);
	pg = pgmig_graph_for_reading(true);
	kind = (pm_command_kind) pgmig_plan_command(pg, command, target, &steps);

	pm_buf_init(&buf);
	pm_script_begin(&buf, pg->g, command, target, kind, &steps, pg->transactional);
	for (k = 0; k < steps.n; k++)
	{
		int			i = steps.items[k];
		const pm_rev *r = pm_graph_rev(pg->g, i);
		PgmigScripts sc;
		pm_error	err;

		pgmig_fetch_revision_scripts(r->id, &sc);
		if (!pm_script_step(&buf, pg->g, kind, i, pg->message[i],
							pg->transactional[i], sc.upgrade, sc.downgrade, &err))
		{
			if (err.code == PM_ERR_IRREVERSIBLE)
				pgmig_refuse_irreversible(r->id, pg->message[i], true);
			pgmig_report(&err);
		}
	}
	pm_script_end(&buf, steps.n, pgmig_schema_state_exists());

	MemoryContextSwitchTo(oldcxt);
	result = cstring_to_text_with_len(buf.data, buf.len);
	MemoryContextSwitchTo(callcxt);
	pgmig_call_end(callcxt, oldcxt);
	PG_RETURN_TEXT_P(result);
}
