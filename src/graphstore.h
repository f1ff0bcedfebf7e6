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
extern char *pgmig_graph_image_problem(PgmigGraph *from_tables);

#endif							/* PGMIG_GRAPHSTORE_H */
