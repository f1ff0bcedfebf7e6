/*-------------------------------------------------------------------------
 *
 * pgmig.h
 *	  Declarations shared by the server-side files of pgmig.
 *
 * File map (server side):
 *	pgmig.c		module init, GUCs, the migration lock, error mapping, SRF helper
 *	subxact.c	the one internal-subtransaction protocol (subxact.h)
 *	spi_util.c	the SPI layer: results in the caller's context; reading a
 *				revision's scripts; the irreversible refusal (spi_util.h)
 *	graphload.c	reads the revision graph from pgmig.revision/applied (no scripts)
 *	graphstore.c	the stored graph image pgmig.graph_image (graphstore.h)
 *	graphverify.c	check()'s record of the verified revision rows
 *				(pgmig.graph_verified; graphstore.h)
 *	exec.c		runs ONE revision: statements, lock retries, error context (exec.h)
 *	bookkeeping.c	pgmig.applied / pgmig.journal rows, batched or one by one
 *				(bookkeeping.h)
 *	run.c		upgrade/downgrade/stamp/step/record_step entry points
 *	migrate.c	CALL pgmig.migrate(): one revision per transaction (0.2)
 *	info.c		read-only functions: resolve, current, heads, history, plan,
 *				check, status, graph
 *	offline.c	pgmig.script(): writes the SQL a command would run
 *	revision_triggers.c	integrity triggers on pgmig.revision, journal guard,
 *				checksum()
 *	loading.c	load, repair, add, new_revision, merge
 *	guard.c		the pgmig_guard event triggers and pgmig.drift (0.2)
 *	roundtrip.c	pgmig.test_roundtrip(): schema snapshots before and after (0.2;
 *				snapshots since 0.4)
 *	drift.c		pgmig.schema_state, record_schema(), drift(): the schema
 *				recorded after each run, compared with now (0.4; the query is
 *				src/snapshot.sql)
 *	schemadiff_sql.c	pgmig.diff(): the SQL face of core/schemadiff.c (0.4)
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
#include "nodes/pg_list.h"
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
#define ERRCODE_PGMIG_NOT_COMPARED			MAKE_SQLSTATE('P','M','0','1','1')

/*
 * alloc_pg.c: memory mapped with huge pages, released with the current
 * memory context; the allocations of one context share its mapping while
 * it has room.  pgmig_huge_alloc: size bytes of it, or NULL where it
 * cannot be had.  pgmig_core_arena_begin: until pgmig_core_arena_end, the
 * core's pm_malloc in the current context carves from it, at least
 * reserve bytes (then pallocs); false, and nothing changed, where it
 * cannot be had.
 */
extern void *pgmig_huge_alloc(Size size);
extern bool pgmig_core_arena_begin(Size reserve);
extern void pgmig_core_arena_end(void);

/* GUCs */
extern int	pgmig_lock_timeout;
extern int	pgmig_lock_retries;
#define PGMIG_MAX_LOCK_RETRIES 100	/* each retry doubles the wait */
extern int	pgmig_guard_mode;

/* Values of pgmig.guard */
typedef enum PgmigGuardMode
{
	PGMIG_GUARD_OFF,
	PGMIG_GUARD_WARN,
	PGMIG_GUARD_ERROR
} PgmigGuardMode;

/* Values of pgmig.record_schema (drift.c) */
typedef enum PgmigRecordMode
{
	PGMIG_RECORD_IMMEDIATE,
	PGMIG_RECORD_DEFERRED
} PgmigRecordMode;
extern int	pgmig_record_mode;

/* Set while pgmig itself runs revision scripts (read by the DDL guard). */
extern bool pgmig_in_run;
/* The revision and script being run while pgmig_in_run (review_guard.c) */
extern const char *pgmig_run_id;
extern const char *pgmig_run_script;

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
	/* read from the tables only (NULL from the stored image): */
	char	  **checksum;		/* the stored checksum column */
	uint64	   *row_tid;		/* each row's ctid, (block << 16) | offset */
	uint32	   *row_xmin;		/* each row's raw xmin (graphverify.c) */
} PgmigGraph;

/* pgmig.c */
extern void pgmig_report(pm_error *err) pg_attribute_noreturn();
extern void pgmig_lock_xact(void);
extern bool pgmig_lock_session(bool wait);
extern bool pgmig_unlock_session(void);
extern bool pgmig_lock_held(void);
extern int	pgmig_lock_holder(void);
extern void pgmig_srf_init(FunctionCallInfo fcinfo);
extern bool pgmig_restoring(void);

/* Writing pgmig's own bookkeeping as the owner of schema pgmig (pgmig.c). */
typedef struct PgmigOwnerSwitch
{
	Oid			save_userid;
	int			save_sec;
	Oid			save_acting;
	int			save_depth;
} PgmigOwnerSwitch;
extern Oid	pgmig_owner(void);
extern void pgmig_become_owner(PgmigOwnerSwitch *sw);
extern void pgmig_restore_user(PgmigOwnerSwitch *sw);
extern bool pgmig_writing_bookkeeping(void);

/* deputy.c: whose rights a revision script runs with */
extern Oid	pgmig_script_role(const char *id, const char *checksum,
							  const char *author);

/* nontx.c: a client running a non-transactional revision statement by statement */
extern bool pgmig_statement_armed(void);
extern void pgmig_disarm_statement(void);
extern void pgmig_clear_statement_progress(const char *id);
extern uint64 pgmig_exec_as_owner(const char *sql, int nargs, Oid *types,
								  Datum *values, const char *nulls, int expect);
extern MemoryContext pgmig_call_begin(const char *name, MemoryContext *oldcxt);
extern void pgmig_call_end(MemoryContext callcxt, MemoryContext oldcxt);
extern void pgmig_call_keep(MemoryContext oldcxt);
extern char *pgmig_join_names(char **names, int n, const char *sep);
extern char *pgmig_join_ids(PgmigGraph *pg, const int *items, int n,
							const char *sep);
extern Datum pgmig_ids_array(PgmigGraph *pg, const int *items, int n);
extern Datum pgmig_cstring_array(char **items, int n);
extern Oid	pgmig_rel_owner(Oid relid);

/* graphload.c */
extern PgmigGraph *pgmig_load_graph(bool strict);
extern PgmigGraph *pgmig_load_graph_in_snapshot(bool strict);
extern PgmigGraph *pgmig_graph_for_reading(bool strict);
extern PgmigGraph *pgmig_graph_cached(bool *use_cache, bool *first);
extern void pgmig_graph_bump(void);
extern bool pgmig_bookkeeping;
extern void pgmig_resolve_target(PgmigGraph *pg, const char *expr,
								 pm_set *out, int *branch_root);

/* info.c: what upgrade/downgrade/stamp(target) would run; 0, 1 or 2 */
extern int	pgmig_plan_command(PgmigGraph *pg, const char *command,
							   const char *target, pm_set *steps);

/* drift.c */
extern bool pgmig_schema_state_exists(void);
extern char *pgmig_catalog_version(void);
extern int	pgmig_record_schema_state(const char *action, const char *target);
typedef struct PgmigChange
{
	char	   *object;			/* snapshot id, e.g. "column public.t.c" */
	char	   *change;			/* "added", "changed" or "removed" */
	char	   *keys;			/* changed keys, comma separated ("" if none) */
} PgmigChange;
extern int64 pgmig_drift_count(List **changes);
extern Datum pgmig_snapshot_now(const char *caller);
extern List *pgmig_snapshot_changes(Datum before, const char *caller);
/* exec.c: 1-based line of the statement that starts at offset loc */
extern int	pgmig_line_of(const char *script, int loc);

/* review.c: the pgmig.review_* and pgmig.max_rewrite_size GUCs */
extern void review_init_gucs(void);

/* revision_triggers.c */
extern bool pgmig_repair_in_progress;

#endif							/* PGMIG_H */
