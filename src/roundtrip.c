/*-------------------------------------------------------------------------
 *
 * roundtrip.c
 *	  pgmig.test_roundtrip(target): prove that every pending revision's
 *	  downgrade undoes its upgrade.
 *
 * For each pending revision, in upgrade order: fingerprint the user
 * schemas, upgrade, downgrade, fingerprint again, compare, upgrade again
 * (so the next revision starts from the right state).  One result row per
 * revision.
 *
 * The fingerprint is a sorted set of text lines, one per schema fact:
 * schemas, relations (owner, ACL, options), columns (type, position),
 * NOT NULL, defaults, constraints, indexes, sequences, view definitions,
 * functions, triggers, policies, types, comments.  It is built without
 * OIDs, so an object dropped and re-created identically compares equal.
 * Comparing two sorted sets gives the difference in words: "missing after
 * downgrade: <line>" / "extra after downgrade: <line>".
 *
 * Transactions: the migration lock is taken for the caller's transaction;
 * all the work runs inside one internal subtransaction that is always
 * rolled back, so nothing of it survives the call (applied set and journal
 * included).  Each script runs in its own nested subtransaction so that a
 * failing downgrade is reported as a row instead of ending the call.
 *
 * Memory: result rows are kept in the call's context and handed to the
 * tuplestore only after the rollback, because a tuplestore that spilled to
 * disk inside the subtransaction would lose its file with it.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"
#include "core/target.h"

#include "exec.h"
#include "spi_util.h"
#include "subxact.h"

/*
 * Runs with search_path = pg_catalog, pg_temp (set around the query), so
 * names in it are core's and every object outside pg_catalog comes out
 * schema-qualified.
 */
static const char *fingerprint_query =
"WITH ns AS ("
"  SELECT oid, nspname, quote_ident(nspname) AS q FROM pg_namespace"
"   WHERE nspname !~ '^(pg_catalog|information_schema|pg_toast|pgmig|pg_temp_[0-9]+|pg_toast_temp_[0-9]+)$'"
"), rel AS ("
"  SELECT c.oid, c.relkind, c.relowner, c.relacl, c.reloptions, c.relrowsecurity,"
"         c.relpersistence, ns.q || '.' || quote_ident(c.relname) AS q"
"    FROM pg_class c JOIN ns ON c.relnamespace = ns.oid"
") "
"SELECT line FROM ("
"  SELECT 'schema ' || ns.q || ': owner ' || pg_get_userbyid(n.nspowner)"
"         || ' acl ' || coalesce(n.nspacl::text, '-')"
"    FROM ns JOIN pg_namespace n ON n.oid = ns.oid"
" UNION ALL"
"  SELECT CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'"
"         WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'"
"         WHEN 'f' THEN 'foreign table' ELSE 'type' END"
"         || ' ' || q || ': owner ' || pg_get_userbyid(relowner)"
"         || ' acl ' || coalesce(relacl::text, '-')"
"         || CASE WHEN relpersistence = 'u' THEN ' unlogged' ELSE '' END"
"         || CASE WHEN relrowsecurity THEN ' row level security' ELSE '' END"
"         || coalesce(' options ' || reloptions::text, '')"
"    FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')"
" UNION ALL"
"  SELECT 'column ' || rel.q || '.' || quote_ident(a.attname) || ': '"
"         || format_type(a.atttypid, a.atttypmod)"
"         || ' position ' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)"
"         || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
"         || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END"
"         || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation"
"                 THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END"
"         || coalesce(' acl ' || a.attacl::text, '')"
"    FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid"
"    JOIN pg_type t ON t.oid = a.atttypid"
"   WHERE rel.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND a.attnum > 0 AND NOT a.attisdropped"
" UNION ALL"
"  SELECT 'not null ' || rel.q || '.' || quote_ident(a.attname)"
"    FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid"
"   WHERE rel.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull"
" UNION ALL"
"  SELECT 'default ' || rel.q || '.' || quote_ident(a.attname) || ': '"
"         || pg_get_expr(d.adbin, d.adrelid)"
"    FROM rel JOIN pg_attrdef d ON d.adrelid = rel.oid"
"    JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
" UNION ALL"
"  SELECT 'constraint ' || quote_ident(c.conname) || ' on ' || rel.q || ': '"
"         || pg_get_constraintdef(c.oid)"
"    FROM rel JOIN pg_constraint c ON c.conrelid = rel.oid"
" UNION ALL"
"  SELECT 'constraint ' || quote_ident(c.conname) || ' on domain '"
"         || c.contypid::regtype::text || ': ' || pg_get_constraintdef(c.oid)"
"    FROM pg_constraint c JOIN ns ON c.connamespace = ns.oid WHERE c.contypid <> 0"
" UNION ALL"
"  SELECT 'index ' || rel.q || ': ' || pg_get_indexdef(rel.oid)"
"    FROM rel WHERE relkind IN ('i', 'I')"
" UNION ALL"
"  SELECT 'sequence parameters ' || rel.q || ': ' || format_type(s.seqtypid, NULL)"
"         || ' start ' || s.seqstart || ' increment ' || s.seqincrement"
"         || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache"
"         || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END"
"    FROM rel JOIN pg_sequence s ON s.seqrelid = rel.oid"
" UNION ALL"
"  SELECT 'view definition ' || rel.q || ': '"
"         || regexp_replace(pg_get_viewdef(rel.oid), '\\s+', ' ', 'g')"
"    FROM rel WHERE relkind IN ('v', 'm')"
" UNION ALL"
"  SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate '"
"         ELSE 'function ' END || p.oid::regprocedure::text"
"         || ': owner ' || pg_get_userbyid(p.proowner)"
"         || ' acl ' || coalesce(p.proacl::text, '-')"
"         || CASE WHEN p.prokind = 'a' THEN ''"
"            ELSE ' ' || regexp_replace(pg_get_functiondef(p.oid), '\\s+', ' ', 'g') END"
"    FROM pg_proc p JOIN ns ON p.pronamespace = ns.oid"
" UNION ALL"
"  SELECT 'trigger ' || quote_ident(t.tgname) || ' on ' || rel.q || ': '"
"         || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text"
"    FROM rel JOIN pg_trigger t ON t.tgrelid = rel.oid WHERE NOT t.tgisinternal"
" UNION ALL"
"  SELECT 'policy ' || quote_ident(p.polname) || ' on ' || rel.q || ': ' || p.polcmd::text"
"         || CASE WHEN p.polpermissive THEN ' permissive' ELSE ' restrictive' END"
"         || ' to ' || (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END,"
"                                         ',' ORDER BY 1) FROM unnest(p.polroles) r)"
"         || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')"
"         || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')"
"    FROM rel JOIN pg_policy p ON p.polrelid = rel.oid"
" UNION ALL"
"  SELECT CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' ELSE 'range ' END"
"         || t.oid::regtype::text || ': owner ' || pg_get_userbyid(t.typowner)"
"         || ' acl ' || coalesce(t.typacl::text, '-')"
"         || CASE t.typtype"
"            WHEN 'e' THEN ' labels ' || (SELECT string_agg(quote_literal(e.enumlabel), ','"
"                                         ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)"
"            WHEN 'd' THEN ' over ' || format_type(t.typbasetype, t.typtypmod)"
"                 || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END"
"                 || coalesce(' default ' || t.typdefault, '')"
"            ELSE '' END"
"    FROM pg_type t JOIN ns ON t.typnamespace = ns.oid WHERE t.typtype IN ('e', 'd', 'r')"
" UNION ALL"
"  SELECT 'comment on ' || o.type || ' ' || o.identity || ': ' || d.description"
"    FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o"
"   WHERE d.objoid >= 16384"
"     AND (o.schema IN (SELECT nspname FROM ns)"
"          OR (d.classoid = 'pg_namespace'::regclass AND d.objoid IN (SELECT oid FROM ns)))"
") f(line) "
"ORDER BY line COLLATE \"C\"";

typedef struct Fingerprint
{
	int			n;
	char	  **lines;
} Fingerprint;

typedef struct RoundtripRow
{
	char	   *revision;
	int			ok;				/* 1, 0, or -1 for NULL */
	char	   *difference;
} RoundtripRow;

/* Fingerprint the user schemas into the current memory context. */
static void
fingerprint(Fingerprint *fp)
{
	int			nestlevel = NewGUCNestLevel();
	int			i;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	fp->lines = pgmig_spi_column(fingerprint_query, 0, NULL, NULL, NULL, &fp->n);
	AtEOXact_GUC(true, nestlevel);
	for (i = 0; i < fp->n; i++)
		if (fp->lines[i] == NULL)
			fp->lines[i] = pstrdup("");
}

/* "missing after downgrade: ...; extra after downgrade: ..." or NULL */
static char *
compare(Fingerprint *before, Fingerprint *after)
{
	StringInfoData missing;
	StringInfoData extra;
	int			i = 0;
	int			j = 0;

	initStringInfo(&missing);
	initStringInfo(&extra);
	while (i < before->n || j < after->n)
	{
		int			c;

		if (i >= before->n)
			c = 1;
		else if (j >= after->n)
			c = -1;
		else
			c = strcmp(before->lines[i], after->lines[j]);
		if (c == 0)
		{
			i++;
			j++;
		}
		else if (c < 0)
			appendStringInfo(&missing, "%s%s", missing.len ? "; " : "",
							 before->lines[i++]);
		else
			appendStringInfo(&extra, "%s%s", extra.len ? "; " : "",
							 after->lines[j++]);
	}
	if (missing.len == 0 && extra.len == 0)
		return NULL;
	if (missing.len && extra.len)
		return psprintf("missing after downgrade: %s; extra after downgrade: %s",
						missing.data, extra.data);
	if (missing.len)
		return psprintf("missing after downgrade: %s", missing.data);
	return psprintf("extra after downgrade: %s", extra.data);
}

/*
 * Run one revision with bookkeeping in a nested subtransaction; NULL on
 * success, else the error message (in cxt).  pgmig_run_revision changes
 * its in-memory applied flag only on success.
 */
static char *
try_revision(PgmigGraph *pg, PgmigBookkeeping *bk, int v, bool down,
			 const char *target, MemoryContext cxt)
{
	PgmigRevisionRun rr;
	ErrorData  *edata;

	rr.pg = pg;
	rr.bk = bk;
	rr.v = v;
	rr.down = down;
	rr.target = target;
	edata = pgmig_subxact_run(pgmig_run_revision_cb, &rr, cxt, true);
	return edata ? edata->message : NULL;
}

static List *
add_row(List *rows, MemoryContext cxt, const char *id, int ok, const char *diff)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	RoundtripRow *r = palloc(sizeof(RoundtripRow));

	r->revision = pstrdup(id);
	r->ok = ok;
	r->difference = diff ? pstrdup(diff) : NULL;
	rows = lappend(rows, r);
	MemoryContextSwitchTo(oldcxt);
	return rows;
}

/* The whole test; runs inside the subtransaction that is rolled back. */
static List *
roundtrip_all(const char *target, MemoryContext callcxt)
{
	MemoryContext stepcxt;
	PgmigGraph *pg;
	pm_set		targets;
	pm_set		steps;
	int			branch_root;
	PgmigBookkeeping bk;
	List	   *rows = NIL;
	int			k;

	pg = pgmig_load_graph(true);
	pgmig_resolve_target(pg, target, &targets, &branch_root);
	pm_plan_upgrade(pg->g, &targets, &steps);
	pgmig_prepare_bookkeeping(&bk);

	stepcxt = AllocSetContextCreate(callcxt, "pgmig roundtrip step",
									ALLOCSET_DEFAULT_SIZES);
	for (k = 0; k < steps.n; k++)
	{
		int			v = steps.items[k];
		const char *id = pm_graph_rev(pg->g, v)->id;
		Fingerprint before;
		Fingerprint after;
		char	   *err;
		char	   *diff;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(stepcxt);
		if (!pg->transactional[v])
		{
			rows = add_row(rows, callcxt, id, -1,
						   "not tested: non-transactional revisions cannot run inside a transaction, so neither it nor the revisions after it were tested");
			break;
		}

		fingerprint(&before);
		err = try_revision(pg, &bk, v, false, target, stepcxt);
		if (err)
		{
			rows = add_row(rows, callcxt, id, 0,
						   psprintf("upgrade failed: %s", err));
			break;
		}
		if (pg->irreversible[v])
		{
			rows = add_row(rows, callcxt, id, -1,
						   "not tested: irreversible (it has no downgrade script)");
			MemoryContextSwitchTo(callcxt);
			MemoryContextReset(stepcxt);
			continue;
		}
		err = try_revision(pg, &bk, v, true, target, stepcxt);
		if (err)
		{
			/* its subtransaction was rolled back: still upgraded */
			rows = add_row(rows, callcxt, id, 0,
						   psprintf("downgrade failed: %s", err));
			MemoryContextSwitchTo(callcxt);
			MemoryContextReset(stepcxt);
			continue;
		}
		fingerprint(&after);
		diff = compare(&before, &after);
		err = try_revision(pg, &bk, v, false, target, stepcxt);
		if (err)
		{
			rows = add_row(rows, callcxt, id, 0,
						   diff ? psprintf("%s; upgrade after downgrade failed: %s", diff, err) :
						   psprintf("upgrade after downgrade failed: %s", err));
			break;
		}
		rows = add_row(rows, callcxt, id, diff == NULL, diff);
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(stepcxt);
	}
	MemoryContextSwitchTo(callcxt);
	if (steps.n == 0)
		ereport(NOTICE,
				(errmsg("nothing to test: target \"%s\" is already applied", target)));
	return rows;
}

typedef struct RoundtripArgs
{
	const char *target;
	MemoryContext callcxt;
	List	   *rows;
} RoundtripArgs;

static void
roundtrip_all_cb(void *arg)
{
	RoundtripArgs *ra = (RoundtripArgs *) arg;

	ra->rows = roundtrip_all(ra->target, ra->callcxt);
}

PG_FUNCTION_INFO_V1(pgmig_test_roundtrip);
Datum
pgmig_test_roundtrip(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext callcxt;
	MemoryContext oldcxt;
	RoundtripArgs ra;
	ErrorData  *edata;
	List	   *rows;
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	callcxt = pgmig_call_begin("pgmig roundtrip", &oldcxt);

	/* held by the caller's transaction, not by the subtransaction below */
	pgmig_lock_xact();

	/*
	 * Everything below is undone by rolling this subtransaction back, on
	 * success and on error alike (keep = false).
	 */
	ra.target = target;
	ra.callcxt = callcxt;
	ra.rows = NIL;
	edata = pgmig_subxact_run(roundtrip_all_cb, &ra, callcxt, false);
	if (edata != NULL)
		ReThrowError(edata);
	rows = ra.rows;

	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	foreach(lc, rows)
	{
		RoundtripRow *r = (RoundtripRow *) lfirst(lc);
		Datum		v[3];
		bool		n[3] = {false, false, false};

		v[0] = CStringGetTextDatum(r->revision);
		v[1] = BoolGetDatum(r->ok == 1);
		n[1] = r->ok < 0;
		v[2] = r->difference ? CStringGetTextDatum(r->difference) : (Datum) 0;
		n[2] = r->difference == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}
