/*-------------------------------------------------------------------------
 *
 * graphimg.h
 *	  The graph image: a compact serialised form of the revision graph
 *	  (server-free).
 *
 * The image holds what pgmig.revision says about the graph's shape, and
 * nothing about its state: for each revision in load order its id,
 * parents, dependencies, branch labels, message and two flags
 * (transactional, irreversible).  It never
 * holds the applied set, checksums or scripts: those are always read from
 * the tables.
 *
 * The server writes one image after every statement that changes
 * pgmig.revision (graphstore.c), so a new backend reads one row instead
 * of every revision.
 *
 * Format (all integers little-endian, unsigned):
 *	"PMG2"  u32 n  u32 nedges  u32 nlabels
 *	n times: name id, u8 flags, u16 np, u16 nd, u16 nl,
 *	         np + nd u32 revision indices (parents, then dependencies, in
 *	         declared order), nl names (branch labels),
 *	         u32 message length, message bytes, 0
 *	n times: u32 revision index (the topological order)
 *	name = u8 length, then a valid name ([A-Za-z0-9_]{1,64}), then 0
 * nedges and nlabels are the totals of np + nd and of nl.  Edges are stored
 * resolved and the order is stored, so a reader builds the graph in one
 * pass without looking up a name (pm_graph_build_resolved); only the ids
 * and labels are hashed, for later lookups.  Every string is followed by
 * a NUL, so a reader borrows it in place.  The format is canonical:
 * reading then writing gives the same bytes, and the reader rejects
 * anything else (trailing bytes, an edge out of range, a cycle included;
 * duplicate names show as problems of the graph at its first lookup).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_GRAPHIMG_H
#define PM_GRAPHIMG_H

#include "graph.h"

#include <stdint.h>

#define PM_IMAGE_TRANSACTIONAL	0x01
#define PM_IMAGE_IRREVERSIBLE	0x02

/* An image as read: a built graph that borrows the buffer's strings. */
typedef struct pm_image
{
	int			n;
	pm_graph   *g;				/* built: see pm_graph_build_resolved */
	const char **messages;		/* indexed like the graph */
	unsigned char *flags;		/* PM_IMAGE_*, likewise */
	const char **names;			/* storage for every name list */
	int		   *edges;
	int		   *topo;
} pm_image;

/*
 * Serialise a built graph that has no problems.  messages and flags are
 * indexed like the graph (flags: PM_IMAGE_*).  Returns a pm_malloc'd
 * buffer and its length, or NULL with err set when a name or list does not
 * fit the format or a name does not resolve (cannot happen for a graph a
 * strict build accepted).
 */
extern unsigned char *pm_image_write(const pm_graph *g,
									 const char *const *messages,
									 const unsigned char *flags,
									 size_t *len, pm_error *err);

/*
 * Parse an image and build its graph (every revision unapplied).  The
 * result borrows buf (which must stay alive and unchanged as long as the
 * image and its graph); free both with pm_image_free.  Returns false with
 * err set (PM_ERR_SYNTAX, "graph image is damaged: ..." naming the fault
 * and its offset) for anything that is not exactly a well-formed image of
 * a graph without problems.
 */
extern bool pm_image_read(const unsigned char *buf, size_t len,
						  pm_image *out, pm_error *err);
extern void pm_image_free(pm_image *img);

/*
 * An image used in place, without building its graph.  A new backend's
 * heads(), current() and no-op upgrade() need a few facts per revision
 * (where its record is, how many children it has, whether it is applied);
 * building the whole pm_graph for them was most of their cost at 100,000
 * revisions.  The view accepts exactly the images pm_image_read accepts
 * (the same record reader, edges in range, the stored order checked), so
 * an answer from it is the answer the built graph would give; names are
 * checked for uniqueness only when the id lookup table is built (as the
 * graph does), and a duplicate sets dup.
 */
typedef struct pm_image_view
{
	const unsigned char *buf;	/* borrowed */
	size_t		len;
	int			n;
	uint32_t   *offsets;		/* revision i's record starts at buf + offsets[i] */
	unsigned char *nchildren;	/* children through down_revision, at most 255 */
	uint32_t   *slots;			/* id lookup: 0 empty, else index + 1 */
	uint32_t	nslots;			/* 0 until the first lookup that needs it */
	bool		dup;			/* the lookup table found a duplicate id */
	bool		load_order;		/* the stored order is the load order */
} pm_image_view;

/* One revision's record, borrowed from the image. */
typedef struct pm_image_rec
{
	const char *id;
	unsigned	flags;			/* PM_IMAGE_* */
	int			nparents;
	int			ndeps;
	int			nlabels;
	const unsigned char *edges; /* nparents + ndeps indices, u32 each */
	const unsigned char *labels;	/* nlabels names as stored */
	const char *message;
} pm_image_rec;

extern bool pm_image_view_open(const unsigned char *buf, size_t len,
							   pm_image_view *v, pm_error *err);
extern void pm_image_view_free(pm_image_view *v);
extern void pm_image_view_rec(const pm_image_view *v, int i, pm_image_rec *r);
/* The k-th edge (parents first, then dependencies) of a record. */
extern int	pm_image_rec_edge(const pm_image_rec *r, int k);
/*
 * Its parents as the built graph has them (a parent named twice counts
 * once), into out (room for r->nparents); returns how many.
 */
extern int	pm_image_rec_unique_parents(const pm_image_rec *r, int *out);
/* Its labels, into out (room for r->nlabels). */
extern void pm_image_rec_labels(const pm_image_rec *r, const char **out);

/*
 * Index of the revision with this id (len bytes, not NUL-terminated), or
 * -1.  The record at hint is compared first, so ids read in load order
 * hash nothing; the lookup table is built on the first miss.
 */
extern int	pm_image_view_find(pm_image_view *v, const char *id, size_t len,
							   int hint);

/* Revision i's id (NUL-terminated), without reading the rest of its record. */
extern const char *pm_image_view_id(const pm_image_view *v, int i);

/* Is revision i's id these len bytes? */
extern bool pm_image_view_id_is(const pm_image_view *v, int i, const char *id,
								size_t len);

/* The algorithms the view serves, each as its pm_graph_* counterpart. */
extern void pm_image_view_heads(const pm_image_view *v, pm_set *out);
/* Revisions with two or more children (through down_revision). */
extern void pm_image_view_branchpoints(const pm_image_view *v, pm_set *out);
/*
 * The children of each revision of "of" (lists: of->n sets, filled), in
 * load order as the built graph lists them.
 */
extern void pm_image_view_children(const pm_image_view *v, const pm_set *of,
								   pm_set *lists);
/* Applied revisions none of whose children is applied (applied: n flags). */
extern void pm_image_view_current(const pm_image_view *v,
								  const unsigned char *applied, pm_set *out);
/* Is every ancestor-or-self of targets applied (nothing to upgrade)? */
extern bool pm_image_view_all_applied(const pm_image_view *v,
									  const pm_set *targets,
									  const unsigned char *applied);

/* The revision at place k of the stored (topological) order. */
extern int	pm_image_view_order(const pm_image_view *v, int k);

/*
 * The revisions an upgrade to targets runs, in the order it runs them:
 * pm_plan_upgrade's answer (the stored order restricted to the unapplied
 * ancestors-or-self of targets).
 */
extern void pm_image_view_plan_upgrade(const pm_image_view *v,
									   const pm_set *targets,
									   const unsigned char *applied,
									   pm_set *out);

#endif							/* PM_GRAPHIMG_H */
