/*-------------------------------------------------------------------------
 *
 * schemadiff_sql.c
 *	  pgmig.diff(source jsonb, target jsonb, renames jsonb): the SQL entry
 *	  point of the schema diff engine (src/core/schemadiff.c).
 *
 * A thin wrapper: the snapshots are printed as JSON text and handed to the
 * server-free engine, whose steps become the rows of a materialized set.
 * It reads no catalog and takes no lock: it compares two values, so it is
 * IMMUTABLE and any role with EXECUTE may call it.  Everything the engine
 * allocates lives in a memory context deleted before return; the rows are
 * copied into the tuplestore first.  Engine errors become ereport(ERROR):
 * an object of a kind the engine does not model is PM011, malformed input
 * 22023, both naming the object.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmig.h"
#include "core/schemadiff.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(pgmig_diff);

static char *
jsonb_text(FunctionCallInfo fcinfo, int arg, size_t *len)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(arg);
	char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

	*len = strlen(s);
	return s;
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

Datum
pgmig_diff(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt,
				oldcxt;
	char	   *src,
			   *tgt,
			   *ren = NULL;
	size_t		slen,
				tlen,
				rlen = 0;
	pm_diff		d;
	pm_error	err;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pgmig.diff needs two snapshots"),
				 errhint("Pass the results of pgmig.snapshot() for the source and the target schema.")));
	pgmig_srf_init(fcinfo);
	callcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig diff",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(callcxt);
	src = jsonb_text(fcinfo, 0, &slen);
	tgt = jsonb_text(fcinfo, 1, &tlen);
	if (!PG_ARGISNULL(2))
		ren = jsonb_text(fcinfo, 2, &rlen);
	if (!pm_schema_diff(src, slen, tgt, tlen, ren, rlen, &d, &err))
		pgmig_report(&err);
	MemoryContextSwitchTo(oldcxt);
	for (i = 0; i < d.n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(d.steps[i].sql);
		values[2] = text_or_null(d.steps[i].hazard, &nulls[2]);
		values[3] = CStringGetTextDatum(d.steps[i].kind);
		values[4] = CStringGetTextDatum(d.steps[i].object);
		values[5] = text_or_null(d.steps[i].reverse, &nulls[5]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}
