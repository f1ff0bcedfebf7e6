/*-------------------------------------------------------------------------
 *
 * pgmig.h
 *	  Declarations shared by the server-side files of pgmig.
 *
 * File map (server side):
 *	pgmig.c		module init, GUCs, the migration lock, error mapping, SRF helper
 *	graphload.c	reads the revision graph from pgmig.revision/applied (no scripts)
 *	runner.c	runs revisions: subtransactions, statement splitting, retries,
 *				bookkeeping; upgrade/downgrade/stamp/step/record_step
 *	info.c		read-only functions: resolve, current, heads, history, plan,
 *				script, check, status, graph
 *	load.c		triggers on pgmig.revision and the loading functions
 *	migrate.c	CALL pgmig.migrate(): one revision per transaction (0.2)
 *	guard.c		the pgmig_guard event triggers and pgmig.drift (0.2)
 *	roundtrip.c	pgmig.test_roundtrip(): catalog fingerprints (0.2)
 *
 * Everything graph-shaped is done by the server-free core in src/core.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_H
#define PGMIG_H

#include "compat.h"

#include "core/graph.h"
#include "core/pm_common.h"
#include "fmgr.h"
#include "utils/timestamp.h"

/* Private advisory lock "class" (locktag field4) so no user lock collides. */
#define PGMIG_LOCK_KEY1		0x70676D69	/* "pgmi" */
#define PGMIG_LOCK_KEY2		0x00000067	/* "g" */
#define PGMIG_LOCK_CLASS	0x504D		/* field4; core uses 1 and 2 */

/* SQLSTATEs of pgmig's own errors (documented in README). */
#define ERRCODE_PGMIG_UNDEFINED_REVISION	MAKE_SQLSTATE('P','M','0','0','1')
#define ERRCODE_PGMIG_AMBIGUOUS_TARGET		MAKE_SQLSTATE('P','M','0','0','2')
#define ERRCODE_PGMIG_GRAPH_CYCLE			MAKE_SQLSTATE('P','M','0','0','3')
#define ERRCODE_PGMIG_OUT_OF_RANGE			MAKE_SQLSTATE('P','M','0','0','4')
#define ERRCODE_PGMIG_IRREVERSIBLE			MAKE_SQLSTATE('P','M','0','0','5')
#define ERRCODE_PGMIG_APPLIED_CHANGED		MAKE_SQLSTATE('P','M','0','0','6')
#define ERRCODE_PGMIG_NON_TRANSACTIONAL		MAKE_SQLSTATE('P','M','0','0','7')
#define ERRCODE_PGMIG_INVALID_FILE			MAKE_SQLSTATE('P','M','0','0','8')
#define ERRCODE_PGMIG_STATE					MAKE_SQLSTATE('P','M','0','0','9')
#define ERRCODE_PGMIG_GUARD					MAKE_SQLSTATE('P','M','0','1','0')

/* GUCs */
extern int	pgmig_lock_timeout;
extern int	pgmig_lock_retries;
extern int	pgmig_guard_mode;

/* Values of pgmig.guard */
typedef enum PgmigGuardMode
{
	PGMIG_GUARD_OFF,
	PGMIG_GUARD_WARN,
	PGMIG_GUARD_ERROR
} PgmigGuardMode;

/* Set while pgmig itself runs revision scripts (read by the DDL guard). */
extern bool pgmig_in_run;

/* A loaded graph plus the per-revision facts the server needs. */
typedef struct PgmigGraph
{
	pm_graph   *g;
	int			n;
	char	  **message;
	bool	   *transactional;
	TimestampTz *applied_at;	/* 0 when not applied */
	bool	   *irreversible;	/* no downgrade script */
	char	  **changed_from;	/* applied checksum, when the script changed since */
	char	  **changed_to;		/* the revision's checksum now, likewise */
	int			napplied;		/* applied revisions found in pgmig.revision */
} PgmigGraph;

/*
 * Prepared bookkeeping statements of one run (runner.c).  The plans live in
 * SPI's procedure context; they are not saved, so a caller that commits
 * (migrate) prepares them afresh in each transaction.
 */
typedef struct PgmigBookkeeping
{
	struct _SPI_plan *get_script;	/* SPIPlanPtr, without including spi.h */
	struct _SPI_plan *ins_applied;
	struct _SPI_plan *del_applied;
	struct _SPI_plan *ins_journal;
	struct PgmigBatch *batch;	/* when set, steps are recorded at the end */
} PgmigBookkeeping;

/* pgmig.c */
extern void pgmig_report(pm_error *err) pg_attribute_noreturn();
extern void pgmig_lock_xact(void);
extern bool pgmig_lock_session(bool wait);
extern bool pgmig_unlock_session(void);
extern bool pgmig_lock_held(void);
extern void pgmig_srf_init(FunctionCallInfo fcinfo);
extern bool pgmig_restoring(void);
extern MemoryContext pgmig_call_begin(const char *name, MemoryContext *oldcxt);
extern void pgmig_call_end(MemoryContext callcxt, MemoryContext oldcxt);
extern char *pgmig_join_ids(PgmigGraph *pg, const int *items, int n,
							const char *sep);
extern Datum pgmig_ids_array(PgmigGraph *pg, const int *items, int n);
extern Datum pgmig_cstring_array(char **items, int n);

/* graphload.c */
extern PgmigGraph *pgmig_load_graph(bool strict);
extern PgmigGraph *pgmig_graph_for_reading(bool strict);
extern void pgmig_graph_bump(void);
extern bool pgmig_bookkeeping;
extern void pgmig_resolve_target(PgmigGraph *pg, const char *expr,
								 pm_set *out, int *branch_root);

/* runner.c */
extern void pgmig_prepare_bookkeeping(PgmigBookkeeping *bk);
extern void pgmig_free_bookkeeping(PgmigBookkeeping *bk);
extern void pgmig_run_one(PgmigGraph *pg, PgmigBookkeeping *bk, int v,
						  bool down, const char *target);
extern void pgmig_journal(PgmigBookkeeping *bk, const char *action,
						  const char *rev, const char *target,
						  const char *old_ck, const char *new_ck,
						  int64 usecs, const char *detail);

/* review.c: the pgmig.review_* and pgmig.max_rewrite_size GUCs */
extern void review_init_gucs(void);

/* load.c */
extern bool pgmig_repair_in_progress;

#endif							/* PGMIG_H */
