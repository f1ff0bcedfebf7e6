/*-------------------------------------------------------------------------
 *
 * bookkeeping.h
 *	  Recording runs in pgmig.applied and pgmig.journal (bookkeeping.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_BOOKKEEPING_H
#define PGMIG_BOOKKEEPING_H

#include "executor/spi.h"

typedef struct PgmigBatch PgmigBatch;

/*
 * Prepared bookkeeping statements of one run.  The plans live in SPI's
 * procedure context; they are not saved, so a caller that commits
 * (migrate) prepares them afresh in each transaction.
 */
typedef struct PgmigBookkeeping
{
	SPIPlanPtr	ins_applied;
	SPIPlanPtr	del_applied;
	SPIPlanPtr	ins_journal;
	PgmigBatch *batch;			/* when set, runs are recorded at the end */
} PgmigBookkeeping;

extern void pgmig_prepare_bookkeeping(PgmigBookkeeping *bk);
extern void pgmig_free_bookkeeping(PgmigBookkeeping *bk);
extern Datum pgmig_interval_from_usecs(int64 usecs);
extern void pgmig_write_journal(PgmigBookkeeping *bk, const char *action,
								const char *rev, const char *target,
								const char *old_ck, const char *new_ck,
								int64 usecs, const char *detail);
extern void pgmig_record_applied(PgmigBookkeeping *bk, const char *id,
								 const char *checksum, int64 usecs);
extern void pgmig_record_unapplied(PgmigBookkeeping *bk, const char *id);
extern PgmigBatch *pgmig_batch_create(MemoryContext cxt, bool down,
									  const char *target);
extern void pgmig_batch_add(PgmigBatch *b, const char *id,
							const char *checksum, int64 usecs);
extern void pgmig_batch_flush(PgmigBatch *b);

#endif							/* PGMIG_BOOKKEEPING_H */
