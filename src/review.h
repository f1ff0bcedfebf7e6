/*-------------------------------------------------------------------------
 *
 * review.h
 *	  Shared state of pgmig.review() (review.c, review_rules.c,
 *	  review_data.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_REVIEW_H
#define PGMIG_REVIEW_H

#include "pgmig.h"

#include "nodes/parsenodes.h"
#include "storage/lockdefs.h"

/* GUCs (review.c) */
extern int	pgmig_review_warn_rows;
extern int	pgmig_review_error_rows;
extern int	pgmig_review_warn_mb;
extern int	pgmig_review_error_mb;
extern int	pgmig_max_rewrite_size;

/* What review knows about one relation a statement touches. */
typedef struct ReviewRel
{
	Oid			relid;			/* InvalidOid: does not exist yet */
	char	   *name;			/* schema.name, or the name as written */
	bool		created;		/* created earlier in this run, or absent */
	bool		absent;			/* not in this database, and no earlier
								 * statement of the run creates it */
	int64		rows;
	int64		bytes;
} ReviewRel;

/* A relation the run locks, for the live-blocker check. */
typedef struct ReviewLock
{
	Oid			relid;
	LOCKMODE	mode;			/* strongest mode the run takes */
	char	   *name;
	char	   *revision;		/* first revision that takes it */
} ReviewLock;

typedef struct ReviewState
{
	FunctionCallInfo fcinfo;
	MemoryContext cxt;			/* the call's context: outlives each step */

	/* where we are */
	const char *revision;
	int			stmtno;
	int			line;
	const char *stmt_text;		/* this statement's source, with comments */
	bool		transactional;

	/* relations created so far in the run ("schema.name" or "name") */
	List	   *created;
	/* relations created by the current revision */
	List	   *created_here;

	/*
	 * An earlier statement of the run may have created relations, or
	 * changed where names resolve, out of review's sight (DO, CALL, SELECT,
	 * SET, CREATE EXTENSION, ...): absent relations are not reported.
	 */
	bool		opaque;
	/* facts already looked up (ReviewRel *), by relid */
	List	   *relcache;
	/* ReviewLock * over the whole run */
	List	   *locks;
	/* ACCESS EXCLUSIVE locks held so far in this transaction (ReviewRel *) */
	List	   *held_ae;
	/* "relid:column" proven NOT NULL by a validated CHECK in this run */
	List	   *proven;
	/* NOT VALID CHECK (col IS NOT NULL) added in this run: "relid:conname:col" */
	List	   *pending;
	/* data checks already run in this call: "sql" then its count, in pairs */
	List	   *counted;

	/* per revision, for the seed's rules */
	bool		concurrently;	/* the plan builds an index CONCURRENTLY */
	bool		rev_ddl;
	bool		rev_dml;
	int			rev_dml_line;
	int			nfindings;
} ReviewState;

/* review.c */
extern void review_emit(ReviewState *st, const char *severity,
						const char *rule, ReviewRel *rel, LOCKMODE mode,
						const char *message, const char *hint);
extern const char *review_size_severity(ReviewRel *rel);
extern char *review_size_text(ReviewRel *rel);
extern void review_init_gucs(void);

/* review_rules.c */
extern void review_statement(ReviewState *st, RawStmt *rs, const char *script);
extern const char *review_lock_name(LOCKMODE mode);

/* review_data.c */

/*
 * A count query run read-only as a pgmig_subxact_run() function (SPI must
 * be connected): review's data checks, and pgmig.diff()'s count of what a
 * drop deletes.
 */
typedef struct CountCall
{
	const char *sql;
	int64		result;
} CountCall;
extern void review_count_in_subxact(void *arg);
extern ReviewRel *review_relation(ReviewState *st, RangeVar *rv);
extern ReviewRel *review_relation_oid(ReviewState *st, Oid relid);
extern void review_note_created(ReviewState *st, RangeVar *rv);
extern void review_note_name(ReviewState *st, RangeVar *rv);
extern char *review_qualified(ReviewRel *rel);
extern int64 review_count(ReviewState *st, ReviewRel *rel, ReviewRel *rel2,
						  const char *sql);
extern int64 review_count_check(ReviewState *st, ReviewRel *rel, const char *expr);
extern char *review_check_text(const char *script, Constraint *c);
extern List *review_primary_key(ReviewRel *rel);
extern void review_note_pending_check(ReviewState *st, ReviewRel *rel,
									  const char *conname, const char *col);
extern void review_note_proven(ReviewState *st, ReviewRel *rel, const char *col);
extern void review_note_validated(ReviewState *st, ReviewRel *rel,
								  const char *conname);
extern bool review_is_proven(ReviewState *st, ReviewRel *rel, const char *col);
extern void review_blockers(ReviewState *st);

#endif							/* PGMIG_REVIEW_H */
