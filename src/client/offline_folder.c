/*-------------------------------------------------------------------------
 *
 * offline_folder.c
 *	  pgmig client: "upgrade --sql" / "downgrade --sql" from the folder
 *	  alone, with no database (as "alembic upgrade --sql" needs none).
 *
 * When it is used (commands.c decides; README, "Offline mode"):
 *	- a range START:END: always (the range says where the script starts,
 *	  so the database has nothing to add);
 *	- --offline: always, starting from base;
 *	- otherwise the database's state is used, and only when no connection
 *	  can be made does the script start from base, with a warning.
 *
 * The folder is read and ordered as a load would order it (folder.c), the
 * graph is built by the core, the start state is set the way
 * pgmig.stamp(START) would set it (the stamp plan, applied to the graph),
 * the command is planned by pm_plan_command and the script written by the
 * core's writer (core/offscript.c): the text is byte for byte what
 * pgmig.script() returns for the same folder loaded into a database in
 * the same state.  The script checks at run time that the database is in
 * the state it was written for, so a wrong start fails before changing
 * anything.
 *
 * Memory: plain malloc through the core's allocator, freed before return.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include "core/offscript.h"

static void
report_core_error(const pm_error *err)
{
	pg_log_error("%s", err->msg);
	if (err->detail[0])
		pg_log_error_detail("%s", err->detail);
	if (err->hint[0])
		pg_log_error_hint("%s", err->hint);
}

/* The folder's graph, in load order (index k is d->files[k]). */
static pm_graph *
folder_graph(const revdir *d)
{
	pm_graph   *g = pm_graph_new(d->n);
	pm_error	err;
	int			k;

	for (k = 0; k < d->n; k++)
	{
		const pm_revfile *rf = &d->files[k].rf;

		pm_graph_add(g, rf->id,
					 (const char *const *) rf->down_revision.items, rf->down_revision.n,
					 (const char *const *) rf->depends_on.items, rf->depends_on.n,
					 (const char *const *) rf->branch_labels.items, rf->branch_labels.n,
					 false);
	}
	if (!pm_graph_build(g, true, &err))
	{
		report_core_error(&err);
		pm_graph_free(g);
		return NULL;
	}
	return g;
}

/* Mark the graph applied as pgmig.stamp(start) would leave it. */
static bool
set_start(pm_graph *g, const char *start)
{
	pm_set		flip;
	pm_error	err;
	int			k;

	if (pm_plan_command(g, "stamp", start, &flip, &err) < 0)
	{
		report_core_error(&err);
		return false;
	}
	for (k = 0; k < flip.n; k++)
		pm_graph_set_applied(g, flip.items[k], !pm_graph_rev(g, flip.items[k])->applied);
	pm_set_free(&flip);
	return true;
}

int
offline_script(const char *command, const char *start, const char *target)
{
	revdir		d;
	pm_graph   *g;
	pm_set		steps;
	pm_buf		out;
	pm_error	err;
	bool	   *transactional;
	int			kind;
	int			k;
	int			rc = EXIT_FAIL;

	if (!read_revdir(opts.dir, &d))
		return EXIT_FAIL;
	if (d.missing)
	{
		pg_log_error("%s", d.missing);
		pg_log_error_hint("Never delete migration files; restore the missing ones from version control.");
		free_revdir(&d);
		return EXIT_FAIL;
	}
	g = folder_graph(&d);
	if (g == NULL)
	{
		free_revdir(&d);
		return EXIT_FAIL;
	}
	steps.n = 0;
	steps.items = NULL;
	pm_buf_init(&out);
	transactional = pm_malloc(sizeof(bool) * (d.n + 1));
	for (k = 0; k < d.n; k++)
		transactional[k] = d.files[k].rf.transactional;

	if (start && !set_start(g, start))
		goto done;
	kind = pm_plan_command(g, command, target, &steps, &err);
	if (kind < 0)
	{
		report_core_error(&err);
		goto done;
	}
	pm_script_begin(&out, g, command, target, kind, &steps, transactional);
	for (k = 0; k < steps.n; k++)
	{
		const pm_revfile *rf = &d.files[steps.items[k]].rf;

		if (!pm_script_step(&out, g, kind, steps.items[k], rf->message,
							rf->transactional, rf->upgrade, rf->downgrade, &err))
		{
			pg_log_error("%s: %s", d.files[steps.items[k]].path, err.msg);
			if (err.detail[0])
				pg_log_error_detail("%s", err.detail);
			if (err.hint[0])
				pg_log_error_hint("%s", err.hint);
			goto done;
		}
	}
	pm_script_end(&out, steps.n, true);
	fputs(out.data, stdout);
	rc = EXIT_OK;

done:
	pm_set_free(&steps);
	pm_free(transactional);
	pm_buf_free(&out);
	pm_graph_free(g);
	free_revdir(&d);
	return rc;
}
