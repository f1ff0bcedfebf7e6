/*-------------------------------------------------------------------------
 *
 * graphstore.h
 *	  The stored graph image, pgmig.graph_image (graphstore.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_GRAPHSTORE_H
#define PGMIG_GRAPHSTORE_H

#include "pgmig.h"

#include "access/attnum.h"
#include "storage/itemptr.h"
#include "core/graphimg.h"

/* A row version: its ctid as (block << 16) | offset, and its raw xmin. */
typedef struct PgmigRowKey
{
	uint64		tid;
	uint32		xmin;
	bool		frozen;			/* as scanned; not recorded */
	int			rev;			/* pgmig.applied's: its revision's number, or -1 */
} PgmigRowKey;

/* Writers of pgmig.revision: lock the image row before reading the graph. */
extern void pgmig_graph_image_lock(void);

/* Store the image of a graph that a strict build accepted. */
extern void pgmig_graph_image_write(PgmigGraph *pg);

/*
 * The graph from the stored image plus the applied set read from
 * pgmig.applied, with a fresh snapshot; NULL when the image cannot be
 * used (absent, damaged, the caller may not read pgmig.revision, row level
 * security on it, a graph with problems): the caller then reads the
 * tables.  changed_from/changed_to are never filled (check() reads the
 * tables).
 */
extern PgmigGraph *pgmig_graph_from_image(void);

/*
 * For check(), given a graph read from the tables: NULL when the stored
 * image describes it exactly, else a sentence saying what is wrong.
 */
extern char *pgmig_graph_image_problem(PgmigGraph *from_tables,
									   PgmigRowKey *image_key);


/*
 * The stored image used in place, without building the graph: what a new
 * backend's heads(), current() and no-op upgrade() read (graphstore.c).
 */
typedef struct PgmigImageView
{
	pm_image_view v;
	unsigned char *applied;		/* n flags */
	/*
	 * n, for PGMIG_VIEW_APPLIED_CURRENT only (NULL otherwise): applied_at of
	 * the current revisions, 0 when not applied; other entries are never
	 * written (not zeroed either: in a new backend every page of it would be
	 * a page fault)
	 */
	TimestampTz *applied_at;
	int			napplied;		/* distinct revisions found applied */
	int64		applied_rows;	/* rows of pgmig.applied read */
	/* pgmig_image_view_verified only (NULL otherwise): */
	const unsigned char *sums;	/* stored checksums, 32 bytes a revision */
	char	  **changed;		/* applied checksums that differ */
} PgmigImageView;

typedef enum PgmigViewApplied
{
	PGMIG_VIEW_APPLIED_NONE,
	PGMIG_VIEW_APPLIED_HEADS,	/* the heads' flags only */
	PGMIG_VIEW_APPLIED_ALL,		/* every flag, no time */
	PGMIG_VIEW_APPLIED_CURRENT	/* every flag, the current revisions' times */
} PgmigViewApplied;

extern bool pgmig_image_view_read(PgmigImageView *iv, PgmigViewApplied what);
struct PgmigVerified;
extern bool pgmig_image_view_verified(const struct PgmigVerified *verified,
									  PgmigImageView *iv);

/*
 * Whether the caller reads every row of pgmig.applied when it reads it
 * directly (SELECT on it, no row level security for it), and its revision
 * and checksum columns: only then may what it compared be recorded
 * (graphverify.c).
 */
extern bool pgmig_applied_readable(AttrNumber *att_rev, AttrNumber *att_ck);

/* Big zeroed memory, and the core's arena for big structures (graphstore.c). */
extern void *pgmig_big_alloc0(Size size);
extern bool pgmig_big_arena_begin(Size reserve);

/* A small pgmig table's first row read directly (graphstore.c). */
extern int	pgmig_read_rows_direct(Oid relid, const char *column, Oid type,
								   Datum (*copy) (Datum), Datum *value,
								   bool *isnull, PgmigRowKey *key);
extern Datum pgmig_value_copy(Datum d);

/* ---- graphverify.c: check()'s record of verified row versions ---- */

typedef struct PgmigVerified
{
	bool		valid;			/* a record usable now */
	Oid			rev_node;
	Oid			img_node;
	uint64		valid_below;
	bool		image_ok;		/* the image matched the recorded rows */
	PgmigRowKey image;
	int			n;				/* row versions of pgmig.revision */
	/*
	 * the runs they make, as the record stores them (graphverify.c): read
	 * in place, not decoded into an array
	 */
	int			nruns;
	const unsigned char *runs;

	/*
	 * The record's pgmig.applied part, when it has one and it names the
	 * relfilenode pgmig.applied has now: the m row versions (as runs too)
	 * of pgmig.applied whose checksum check() or status() found equal to
	 * the stored checksum of the revision they name, every row the
	 * verification read being one of them.
	 */
	bool		applied_ok;
	Oid			app_node;
	int			m;
	int			mruns;
	const unsigned char *app_runs;
} PgmigVerified;

extern uint64 pgmig_tid_key(ItemPointer tid);
extern int	pgmig_row_key_cmp(const void *a, const void *b);	/* tid, xmin */
extern void pgmig_verified_read(PgmigVerified *v);
extern bool pgmig_verified_has(const PgmigVerified *v, uint64 tid, uint32 xmin);

/* Every row of pgmig.revision and the image row exactly as recorded? */
extern bool pgmig_verified_unchanged(const PgmigVerified *v);

/* The row versions of pgmig.<table> in the active snapshot, ctid order. */
extern PgmigRowKey *pgmig_row_keys(const char *table, int *n);

/* pgmig.revision's row versions as a digest (graphverify.c says when). */
extern bool pgmig_revision_rows_digest(bool for_record, char *hex,
									   uint64 *valid_below);

/*
 * Record rows (and the image row, when it matched them) as verified, and
 * the rows of pgmig.applied (applied, m of them; NULL: no such part) when
 * every applied checksum was the stored one.
 */
extern void pgmig_verified_write(PgmigRowKey *rows, int n,
								 const PgmigRowKey *image,
								 PgmigRowKey *applied, int m);

/* The same record, now with pgmig.applied's part (the short way's). */
extern void pgmig_verified_write_applied(const PgmigVerified *v,
										 PgmigRowKey *applied, int m);

/*
 * A row of pgmig.applied as pgmig_verified_applied_scan() reads it: known
 * (the record names this row version: its checksum was found right, and
 * rev is the number in the image of the revision it names, -1 none;
 * nothing else is read), or else its revision id and checksum.  Returns
 * the number of the revision the row names (-1: none), for a new record.
 */
typedef int (*PgmigAppliedRowFn) (void *arg, bool known, int rev, text *id,
								  text *ck);

/*
 * Read every visible row of pgmig.applied directly (the caller checked it
 * may: pgmig_applied_readable), in ctid order, against the record's
 * pgmig.applied part (for an image of nrevs revisions), giving each to
 * row().  *keys: NULL when the rows are exactly the recorded ones, else
 * every row's key (n of them) for a new record.  False when pgmig.applied
 * is not a heap table (nothing read).
 */
extern bool pgmig_verified_applied_scan(const PgmigVerified *v, int nrevs,
										AttrNumber att_rev, AttrNumber att_ck,
										PgmigAppliedRowFn row, void *arg,
										PgmigRowKey **keys, int *n);

#endif							/* PGMIG_GRAPHSTORE_H */
