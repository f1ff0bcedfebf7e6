/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  pgmig's SPI layer: execute, prepare and read results so that the
 *	  caller never has to know which memory context SPI left current.
 *
 * Rules:
 *	- Every function returns with the CALLER's memory context current
 *	  (SPI_execute* leave SPI's procedure context current; that is why
 *	  the rest of pgmig never switches contexts after an SPI call).
 *	- What a function returns (strings, arrays, rows) is copied into the
 *	  caller's context, so it outlives SPI_freetuptable and SPI_finish.
 *	- An unexpected SPI result is a can't-happen error for pgmig's own
 *	  queries: it is reported with ERRCODE_INTERNAL_ERROR and the query.
 *	- The caller is connected to SPI.
 *
 * Also here: the one query that reads a revision's scripts, and the one
 * refusal of a downgrade that has no script (PM005).
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "spi_util.h"

static void
check_rc(int rc, int expect, const char *sql)
{
	if (rc != expect)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("pgmig internal query failed: %s",
						SPI_result_code_string(rc)),
				 errdetail("Query: %s", sql)));
}

SPIPlanPtr
pgmig_spi_prepare(const char *sql, int nargs, Oid *types)
{
	MemoryContext cxt = CurrentMemoryContext;
	SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

	MemoryContextSwitchTo(cxt);
	if (p == NULL)
		check_rc(SPI_result, SPI_OK_SELECT, sql);
	return p;
}

/* Run sql with arguments; the rc must be expect.  Returns SPI_processed. */
uint64
pgmig_spi_exec(const char *sql, int nargs, Oid *types, Datum *values,
			   const char *nulls, bool read_only, long count, int expect)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	if (nargs > 0)
		rc = SPI_execute_with_args(sql, nargs, types, values, nulls,
								   read_only, count);
	else
		rc = SPI_execute(sql, read_only, count);
	MemoryContextSwitchTo(cxt);
	check_rc(rc, expect, sql);
	return SPI_processed;
}

uint64
pgmig_spi_exec_plan(SPIPlanPtr plan, Datum *values, const char *nulls,
					bool read_only, long count, int expect)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc = SPI_execute_plan(plan, values, nulls, read_only, count);

	MemoryContextSwitchTo(cxt);
	if (rc != expect)
	{
		List	   *srcs = SPI_plan_get_plan_sources(plan);

		check_rc(rc, expect, srcs != NIL ?
				 ((CachedPlanSource *) linitial(srcs))->query_string :
				 "(prepared statement)");
	}
	return SPI_processed;
}

/* Open a read-only cursor on a prepared plan without parameters. */
Portal
pgmig_spi_cursor_open(SPIPlanPtr plan)
{
	MemoryContext cxt = CurrentMemoryContext;
	Portal		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);

	MemoryContextSwitchTo(cxt);
	return portal;
}

/* Fetch the next count rows of a cursor; returns SPI_processed. */
uint64
pgmig_spi_cursor_fetch(Portal portal, long count)
{
	MemoryContext cxt = CurrentMemoryContext;

	SPI_cursor_fetch(portal, true, count);
	MemoryContextSwitchTo(cxt);
	return SPI_processed;
}

/* Column col (1-based) of row as text in the current context, or NULL. */
char *
pgmig_spi_text(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, &isnull);
	Oid			typ = SPI_gettypeid(SPI_tuptable->tupdesc, col);

	if (isnull)
		return NULL;
	if (typ == TEXTOID || typ == VARCHAROID)
		return TextDatumGetCString(d);
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* A by-value or detoasted-copy datum of row/col, in the current context. */
Datum
pgmig_spi_datum(uint64 row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, isnull);
	Form_pg_attribute att = TupleDescAttr(SPI_tuptable->tupdesc, col - 1);

	if (*isnull)
		return (Datum) 0;
	return datumCopy(d, att->attbyval, att->attlen);
}

bool
pgmig_spi_bool(uint64 row, int col, bool if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? if_null : DatumGetBool(d);
}

void
pgmig_spi_done(void)
{
	SPI_freetuptable(SPI_tuptable);
}

/*
 * The first column of every row as text (NULL stays NULL).  Not read-only,
 * so the query sees what the current transaction did so far (a fresh
 * command id), as SPI_execute(..., false, ...) does.
 */
char **
pgmig_spi_column(const char *sql, int nargs, Oid *types, Datum *values,
				 const char *nulls, int *n)
{
	uint64		rows = pgmig_spi_exec(sql, nargs, types, values, nulls,
									  false, 0, SPI_OK_SELECT);
	char	  **out = palloc(sizeof(char *) * (rows + 1));
	uint64		i;

	for (i = 0; i < rows; i++)
		out[i] = pgmig_spi_text(i, 1);
	out[rows] = NULL;
	pgmig_spi_done();
	*n = (int) rows;
	return out;
}

/* The first column of the first row as text; NULL if no row or NULL. */
char *
pgmig_spi_scalar(const char *sql, int nargs, Oid *types, Datum *values,
				 const char *nulls)
{
	uint64		rows = pgmig_spi_exec(sql, nargs, types, values, nulls,
									  false, 1, SPI_OK_SELECT);
	char	   *out = rows > 0 ? pgmig_spi_text(0, 1) : NULL;

	pgmig_spi_done();
	return out;
}

/*
 * Does pgmig.revision have the upgrade_line/downgrade_line columns (0.4)?
 * The library serves every extension version, so it asks.
 */
bool
pgmig_revision_has_lines(void)
{
	Oid			nsp = get_namespace_oid("pgmig", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("revision", nsp) : InvalidOid;

	return OidIsValid(rel) &&
		get_attnum(rel, "upgrade_line") != InvalidAttrNumber;
}

/* The scripts of revision id, copied into the current context (PM001 if gone). */
void
pgmig_fetch_revision_scripts(const char *id, PgmigScripts *s)
{
	static const char *sql =
	"SELECT upgrade, downgrade, checksum, upgrade_line, downgrade_line, loaded_by"
	"  FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) $1";
	static const char *sql_03 =
	"SELECT upgrade, downgrade, checksum, NULL::int, NULL::int, loaded_by"
	"  FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) $1";
	/*
	 * Saved for the backend's life (SPI_keepplan): a run reads one
	 * revision at a time, and parsing and planning this query for each of
	 * 1,000 revisions cost more than reading their rows.  The names are
	 * qualified, so the plan does not depend on search_path; the plan cache
	 * plans it again when pgmig.revision changes.
	 */
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr plan_03 = NULL;
	bool		lines = pgmig_revision_has_lines();
	SPIPlanPtr *pp = lines ? &plan : &plan_03;
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	bool		isnull;

	if (*pp == NULL)
	{
		SPIPlanPtr	p = pgmig_spi_prepare(lines ? sql : sql_03, 1, types);

		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*pp = p;
	}
	v[0] = CStringGetTextDatum(id);
	if (pgmig_spi_exec_plan(*pp, v, NULL, false, 1, SPI_OK_SELECT) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" disappeared during the run", id),
				 errdetail("It was deleted by another session, or by the run itself."),
				 errhint("Load it again with pgmig.load(), then retry.")));
	s->upgrade = pgmig_spi_text(0, 1);
	s->downgrade = pgmig_spi_text(0, 2);
	s->checksum = pgmig_spi_text(0, 3);
	s->upgrade_line = DatumGetInt32(pgmig_spi_datum(0, 4, &isnull));
	if (isnull)
		s->upgrade_line = 0;
	s->downgrade_line = DatumGetInt32(pgmig_spi_datum(0, 5, &isnull));
	if (isnull)
		s->downgrade_line = 0;
	s->loaded_by = pgmig_spi_text(0, 6);
	if (s->upgrade == NULL)
		s->upgrade = pstrdup("");
	if (s->checksum == NULL)
		s->checksum = pstrdup("");
	pgmig_spi_done();
}

/*
 * PM005 for a revision with no downgrade script.  before_run: the whole
 * call is refused before anything ran.
 */
void
pgmig_refuse_irreversible(const char *id, const char *message,
						  bool before_run)
{
	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_IRREVERSIBLE),
			 errmsg("revision \"%s\" (%s) cannot be downgraded", id, message),
			 before_run ?
			 errdetail("It has no \"-- migrate:down\" section; nothing was run.") :
			 errdetail("It has no \"-- migrate:down\" section."),
			 errhint("Add a downgrade with pgmig.repair(), or record the state without running scripts using pgmig.stamp().")));
}
