/*-------------------------------------------------------------------------
 *
 * driftack.c
 *	  pgmig.clear_drift(): acknowledge the drift the guard recorded, for
 *	  "pgmig drift --clear".
 *
 * The rows of pgmig.drift are removed as the CALLER (so the caller needs
 * DELETE on pgmig.drift, which nobody has by default: acknowledging drift
 * is an administrator's decision), and one journal row says how many rows
 * were acknowledged, which ids, by whom; the journal row is written as the
 * extension owner, like every journal row.  "through" bounds the ids so a
 * row recorded after the user looked at the list is not acknowledged
 * unseen.  Runs in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "spi_util.h"

PG_FUNCTION_INFO_V1(pgmig_clear_drift);
Datum
pgmig_clear_drift(PG_FUNCTION_ARGS)
{
	MemoryContext oldcxt;
	MemoryContext cxt = pgmig_call_begin("pgmig clear_drift", &oldcxt);
	Oid			types[1] = {INT8OID};
	Datum		v[1];
	char		nulls[1];
	char	   *n,
			   *lo,
			   *hi;
	int64		count;
	Oid			t3[1] = {TEXTOID};
	Datum		v3[1];

	v[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	nulls[0] = PG_ARGISNULL(0) ? 'n' : ' ';
	(void) pgmig_spi_exec("WITH d AS (DELETE FROM pgmig.drift"
						  "            WHERE $1 IS NULL OR id OPERATOR(pg_catalog.<=) $1"
						  "        RETURNING id)"
						  "SELECT pg_catalog.count(*)::text, min(id)::text, max(id)::text FROM d",
						  1, types, v, nulls, false, 0, SPI_OK_SELECT);
	n = pgmig_spi_text(0, 1);
	lo = pgmig_spi_text(0, 2);
	hi = pgmig_spi_text(0, 3);
	pgmig_spi_done();
	count = pg_strtoint64(n);
	if (count > 0)
	{
		v3[0] = CStringGetTextDatum(psprintf("%s drift row%s acknowledged (ids %s to %s)",
											 n, count == 1 ? "" : "s", lo, hi));
		(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, detail)"
								   " VALUES ('clear_drift', $1)",
								   1, t3, v3, NULL, SPI_OK_INSERT);
	}
	pgmig_call_end(cxt, oldcxt);
	PG_RETURN_INT64(count);
}
