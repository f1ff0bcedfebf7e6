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

#endif							/* PM_GRAPHIMG_H */
