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
 *	"PMG1"  u32 n
 *	n times: name id, u8 flags, u16 np, u16 nd, u16 nl, np+nd+nl names,
 *	         u32 message length, message bytes, 0
 *	name = u8 length, then a valid name ([A-Za-z0-9_]{1,64}), then 0
 * Every string is followed by a NUL, so a reader borrows it in place.
 * The format is canonical: reading then writing gives the same bytes, and
 * the reader rejects anything else (trailing bytes included).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_GRAPHIMG_H
#define PM_GRAPHIMG_H

#include "graph.h"

#define PM_IMAGE_TRANSACTIONAL	0x01
#define PM_IMAGE_IRREVERSIBLE	0x02

/* One revision of an image, as read (strings point into the buffer). */
typedef struct pm_image_rev
{
	const char *id;
	const char *const *parents;
	int			nparents;
	const char *const *deps;
	int			ndeps;
	const char *const *labels;
	int			nlabels;
	const char *message;
	unsigned char flags;
} pm_image_rev;

typedef struct pm_image
{
	int			n;
	pm_image_rev *revs;
	const char **names;			/* storage for every name list */
} pm_image;

/*
 * Serialise a built graph.  messages and flags are indexed like the graph
 * (flags: PM_IMAGE_*).  Returns a pm_malloc'd buffer and its length, or
 * NULL with err set when a name or list does not fit the format (cannot
 * happen for a graph a strict build accepted).
 */
extern unsigned char *pm_image_write(const pm_graph *g,
									 const char *const *messages,
									 const unsigned char *flags,
									 size_t *len, pm_error *err);

/*
 * Parse an image.  The result borrows buf (which must stay alive and
 * unchanged); free it with pm_image_free.  Returns false with err set
 * (PM_ERR_SYNTAX, message naming the fault and its offset) for anything
 * that is not exactly a well-formed image.
 */
extern bool pm_image_read(const unsigned char *buf, size_t len,
						  pm_image *out, pm_error *err);
extern void pm_image_free(pm_image *img);

/*
 * The graph an image describes, every revision unapplied, built leniently
 * (problems are collected, never fatal).  The graph borrows the image's
 * strings: keep the image's buffer alive as long as the graph.
 */
extern pm_graph *pm_image_graph(const pm_image *img);

#endif							/* PM_GRAPHIMG_H */
