/*-------------------------------------------------------------------------
 *
 * offscript.h
 *	  The writer of pgmig's offline scripts (server-free).
 *
 * pgmig.script() (src/offline.c) and the client's "upgrade --sql" without
 * a database (src/client/commands.c) write the same script with these
 * functions, so a folder and a range give byte for byte the same text
 * whichever side wrote it.  The caller plans (pm_plan_command) and hands
 * over, step by step, what the script needs: the graph gives ids,
 * parents, labels, dependencies and the applied state the script starts
 * from; the caller gives messages, the transactional flags and the
 * scripts (the server reads them one at a time, so only one revision's
 * text is in memory at once).
 *
 * What the script does, in order: takes the migration lock; checks that
 * the database is still in the state the script was written for (a
 * stale script fails before changing anything); for each step, loads the
 * revision as the script knows it with pgmig.add() (scripts as
 * dollar-quoted literals, skipped when the database has it with the same
 * checksum) and runs it with pgmig.step() (pgmig.record_step() for
 * stamp); then records the schema and unlocks.  Nothing a revision holds
 * is written as live text, except the statements of a non-transactional
 * revision, which must run at top level: those are refused when they
 * contain a backslash (psql's meta-command character).  Messages appear
 * only in comments, through pm_comment_text().
 *
 * Memory: everything is appended to the caller's pm_buf.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_OFFSCRIPT_H
#define PM_OFFSCRIPT_H

#include "target.h"

/*
 * The header, the lock and the state check.  transactional[i] is the flag
 * of revision i (graph index).
 */
extern void pm_script_begin(pm_buf *b, const pm_graph *g, const char *command,
							const char *target, pm_command_kind kind,
							const pm_set *steps, const bool *transactional);

/*
 * One step: revision i of the graph.  downgrade is NULL for an
 * irreversible revision.  Returns false, writing nothing, when the step
 * cannot be written: a downgrade of an irreversible revision
 * (PM_ERR_IRREVERSIBLE) or a non-transactional script with a backslash
 * (PM_ERR_NON_TRANSACTIONAL).
 */
extern bool pm_script_step(pm_buf *b, const pm_graph *g, pm_command_kind kind,
						   int i, const char *message, bool transactional,
						   const char *upgrade, const char *downgrade,
						   pm_error *err);

/* The end: record_schema when the server has pgmig.schema_state (0.4). */
extern void pm_script_end(pm_buf *b, int nsteps, bool record_schema);

#endif							/* PM_OFFSCRIPT_H */
