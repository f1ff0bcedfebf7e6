/*-------------------------------------------------------------------------
 *
 * spi_util.h
 *	  pgmig's SPI layer (spi_util.c): every query the extension runs on
 *	  its own tables goes through these calls.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_SPI_UTIL_H
#define PGMIG_SPI_UTIL_H

#include "executor/spi.h"

extern SPIPlanPtr pgmig_spi_prepare(const char *sql, int nargs, Oid *types);
extern uint64 pgmig_spi_exec(const char *sql, int nargs, Oid *types,
							 Datum *values, const char *nulls,
							 bool read_only, long count, int expect);
extern uint64 pgmig_spi_exec_plan(SPIPlanPtr plan, Datum *values,
								  const char *nulls, bool read_only,
								  long count, int expect);

extern Portal pgmig_spi_cursor_open(SPIPlanPtr plan);
extern uint64 pgmig_spi_cursor_fetch(Portal portal, long count);

/* Reading the result of the last pgmig_spi_exec*, copied into the current context */
extern char *pgmig_spi_text(uint64 row, int col);
extern Datum pgmig_spi_datum(uint64 row, int col, bool *isnull);
extern bool pgmig_spi_bool(uint64 row, int col, bool if_null);
extern void pgmig_spi_done(void);

/* One-call forms: run, copy the result, free SPI's copy */
extern char **pgmig_spi_column(const char *sql, int nargs, Oid *types,
							   Datum *values, const char *nulls, int *n);
extern char *pgmig_spi_scalar(const char *sql, int nargs, Oid *types,
							  Datum *values, const char *nulls);

/* The scripts of one revision */
typedef struct PgmigScripts
{
	char	   *upgrade;		/* "" when NULL */
	char	   *downgrade;		/* NULL when irreversible */
	char	   *checksum;		/* "" when NULL */
	int			upgrade_line;	/* file line where each script starts; */
	int			downgrade_line; /* 0 when unknown (see pgmig.revision) */
	char	   *loaded_by;		/* the author (deputy.c) */
} PgmigScripts;

extern bool pgmig_revision_has_lines(void);
extern void pgmig_fetch_revision_scripts(const char *id, PgmigScripts *s);
extern void pgmig_refuse_irreversible(const char *id, const char *message,
									  bool before_run) pg_attribute_noreturn();

#endif							/* PGMIG_SPI_UTIL_H */
