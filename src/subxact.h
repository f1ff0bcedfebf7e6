/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Run a function inside an internal subtransaction (subxact.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_SUBXACT_H
#define PGMIG_SUBXACT_H

#include "utils/elog.h"
#include "utils/palloc.h"

typedef void (*PgmigSubxactFn) (void *arg);

extern ErrorData *pgmig_subxact_run(PgmigSubxactFn fn, void *arg,
									MemoryContext errcxt, bool keep);
extern bool pgmig_error_must_propagate(const ErrorData *edata);

#endif							/* PGMIG_SUBXACT_H */
