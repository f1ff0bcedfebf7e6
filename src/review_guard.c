/*-------------------------------------------------------------------------
 *
 * review_guard.c
 *	  pgmig.max_rewrite_size at run time: the table_rewrite event trigger
 *	  pgmig_review_rewrite refuses, during a pgmig run, to rewrite a
 *	  relation larger than the limit unless the revision says it expects
 *	  it ("-- pgmig:allow rewrite" in its upgrade section).
 *
 * Rules kept:
 *	- Off by default (-1), and silent outside pgmig runs (pgmig_in_run):
 *	  a DBA's own ALTER TABLE is none of its business.
 *	- The size is measured when the rewrite is about to start: the
 *	  statement already holds its ACCESS EXCLUSIVE lock, so measuring
 *	  (pg_total_relation_size) waits for nothing.
 *	- Refusing is an ERROR inside the revision's subtransaction: the run
 *	  stops as for any failing statement, nothing of it is kept.
 *
 *-------------------------------------------------------------------------
 */
#include "review.h"

#include "commands/event_trigger.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

/* Does the running script acknowledge rewrites? */
static bool
rewrite_allowed(const char *script)
{
	const char *p = script;

	while (p && (p = strstr(p, "pgmig:allow")) != NULL)
	{
		p += strlen("pgmig:allow");
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "rewrite", 7) == 0)
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(pgmig_review_rewrite);
Datum
pgmig_review_rewrite(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int64		size;
	int64		limit;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgmig._review_rewrite() must be called as an event trigger")));
	if (pgmig_max_rewrite_size < 0 || !pgmig_in_run)
		PG_RETURN_VOID();
	if (rewrite_allowed(pgmig_run_script))
		PG_RETURN_VOID();

	relid = DatumGetObjectId(DirectFunctionCall1(pg_event_trigger_table_rewrite_oid,
												 (Datum) 0));
	size = DatumGetInt64(DirectFunctionCall1(pg_total_relation_size,
											 ObjectIdGetDatum(relid)));
	limit = (int64) pgmig_max_rewrite_size * 1024 * 1024;
	if (size <= limit)
		PG_RETURN_VOID();
	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_GUARD),
			 errmsg("revision \"%s\" would rewrite %s.%s (%s), more than pgmig.max_rewrite_size (%d MB)",
					pgmig_run_id ? pgmig_run_id : "?",
					get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid),
					text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																	   Int64GetDatum(size)))),
					pgmig_max_rewrite_size),
			 errdetail("A rewrite copies the table and its indexes under an ACCESS EXCLUSIVE lock: every query on it waits until the copy ends."),
			 errhint("Change the revision to an expand/contract pattern (see pgmig.review()), or, if the rewrite is intended, add the line \"-- pgmig:allow rewrite\" to its upgrade section.")));
	PG_RETURN_VOID();
}
