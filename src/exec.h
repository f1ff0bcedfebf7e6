/*-------------------------------------------------------------------------
 *
 * exec.h
 *	  Running one revision's script (exec.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_EXEC_H
#define PGMIG_EXEC_H

#include "bookkeeping.h"

extern void pgmig_run_revision(PgmigGraph *pg, PgmigBookkeeping *bk, int v,
							   bool down, const char *target);

/* pgmig_run_revision's arguments, for pgmig_subxact_run(pgmig_run_revision_cb) */
typedef struct PgmigRevisionRun
{
	PgmigGraph *pg;
	PgmigBookkeeping *bk;
	int			v;
	bool		down;
	const char *target;
} PgmigRevisionRun;

extern void pgmig_run_revision_cb(void *arg);

#endif							/* PGMIG_EXEC_H */
