/*-------------------------------------------------------------------------
 *
 * pgmig.c
 *	  Module initialisation, GUCs, the migration lock, and small helpers
 *	  shared by the SQL-callable functions.
 *
 * The migration lock is a heavyweight advisory lock with a private locktag
 * class (field4 = PGMIG_LOCK_CLASS), so no pg_advisory_lock() call by a
 * user can ever collide with it, yet it still shows in pg_locks (locktype
 * 'advisory', objsubid = PGMIG_LOCK_CLASS) where status() finds the holder.
 * upgrade() and friends take it transaction-scoped; the client and
 * migrate() take it session-scoped so it survives their commits.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"
#include "spi_util.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

int			pgmig_lock_timeout = 0;
int			pgmig_lock_retries = 3;
int			pgmig_guard_mode = PGMIG_GUARD_WARN;
int			pgmig_record_mode = PGMIG_RECORD_DEFERRED;
bool		pgmig_in_run = false;
const char *pgmig_run_id = NULL;
const char *pgmig_run_script = NULL;

static const struct config_enum_entry guard_options[] = {
	{"off", PGMIG_GUARD_OFF, false},
	{"warn", PGMIG_GUARD_WARN, false},
	{"error", PGMIG_GUARD_ERROR, false},
	{NULL, 0, false}
};

static const struct config_enum_entry record_options[] = {
	{"immediate", PGMIG_RECORD_IMMEDIATE, false},
	{"deferred", PGMIG_RECORD_DEFERRED, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/*
 * The lock GUCs are declared with the whole int range and checked here, so
 * a bad value is refused with a hint (guc.c's own range error has none).
 */
static bool
check_lock_timeout(int *newval, void **extra, GucSource source)
{
	if (*newval >= 0)
		return true;
	GUC_check_errdetail("pgmig.lock_timeout is a duration, %d ms is negative.", *newval);
	GUC_check_errhint("Use a duration such as '5s' or 5000 (milliseconds); 0 keeps the session's lock_timeout.");
	return false;
}

static bool
check_lock_retries(int *newval, void **extra, GucSource source)
{
	if (*newval >= 0 && *newval <= PGMIG_MAX_LOCK_RETRIES)
		return true;
	GUC_check_errdetail("pgmig.lock_retries must be between 0 and %d, not %d.",
						PGMIG_MAX_LOCK_RETRIES, *newval);
	GUC_check_errhint("Use 0 for no retry; each retry waits twice as long as the one before.");
	return false;
}

/* Is s one of the guard's values, compared as guc.c compares enum labels? */
static bool
guard_value_valid(const char *s)
{
	const struct config_enum_entry *e;

	for (e = guard_options; e->name; e++)
		if (pg_strcasecmp(e->name, s) == 0)
			return true;
	return false;
}

void
_PG_init(void)
{
	const char *placeholder;
	char	   *bad_guard = NULL;

	DefineCustomIntVariable("pgmig.lock_timeout",
							"Longest time a revision waits for a lock before it is retried.",
							"0 leaves the session's lock_timeout in force.",
							&pgmig_lock_timeout,
							0, INT_MIN, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							check_lock_timeout, NULL, NULL);
	DefineCustomIntVariable("pgmig.lock_retries",
							"How many times a revision that timed out on a lock is retried.",
							"Each retry waits twice as long as the one before, starting at 100 ms.",
							&pgmig_lock_retries,
							3, INT_MIN, INT_MAX,
							PGC_USERSET, 0,
							check_lock_retries, NULL, NULL);
	/*
	 * A value set before this library was loaded (ALTER DATABASE/ROLE ...
	 * SET, postgresql.conf, PGOPTIONS) is a placeholder nobody validated.
	 * guc.c replaces an invalid one by the default with a WARNING; for the
	 * guard that would quietly weaken what an administrator asked for (a
	 * typo in "error"), so read it first and fail closed below.
	 */
	placeholder = GetConfigOption("pgmig.guard", true, false);
	if (placeholder != NULL && !guard_value_valid(placeholder))
		bad_guard = MemoryContextStrdup(TopMemoryContext, placeholder);

	/*
	 * Superuser-only, so a role the guard is meant to stop cannot simply
	 * SET it off; a superuser can grant SET on it (PG15+) to a deploy role.
	 */
	DefineCustomEnumVariable("pgmig.guard",
							 "What the pgmig_guard event trigger does with DDL run outside a pgmig run.",
							 "off ignores it, warn records it in pgmig.drift and warns, error refuses it.",
							 &pgmig_guard_mode,
							 PGMIG_GUARD_WARN, guard_options,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("pgmig.record_schema",
							 "When a run records the schema it leaves (pgmig.drift() compares with it).",
							 "immediate: before the run commits (its locks are held meanwhile); deferred: the run keeps only the catalogs' digest, and the next comparison that finds it unchanged takes the snapshot.",
							 &pgmig_record_mode,
							 PGMIG_RECORD_DEFERRED, record_options,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	review_init_gucs();
	MarkGUCPrefixReserved("pgmig");

	if (bad_guard != NULL)
	{
		/*
		 * Set the variable, not the GUC: a SET made here would belong to
		 * the transaction that happened to load the library and vanish if
		 * it rolled back.  A later valid SET or RESET takes over as usual.
		 */
		pgmig_guard_mode = PGMIG_GUARD_ERROR;
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for pgmig.guard, set before pgmig was loaded", bad_guard),
				 errdetail("The guard refuses DDL outside migrations (as with \"error\") in this session until the setting is corrected."),
				 errhint("Correct it where it was set, e.g. ALTER DATABASE ... SET pgmig.guard = 'warn'; the values are off, warn and error.")));
	}
}

/*
 * Turn a core error into an ereport with the documented SQLSTATE.
 */
void
pgmig_report(pm_error *err)
{
	int			code;

	switch (err->code)
	{
		case PM_ERR_SYNTAX:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case PM_ERR_INVALID_NAME:
			code = ERRCODE_INVALID_NAME;
			break;
		case PM_ERR_UNDEFINED:
			code = ERRCODE_PGMIG_UNDEFINED_REVISION;
			break;
		case PM_ERR_AMBIGUOUS:
			code = ERRCODE_PGMIG_AMBIGUOUS_TARGET;
			break;
		case PM_ERR_DUPLICATE:
			code = ERRCODE_DUPLICATE_OBJECT;
			break;
		case PM_ERR_CYCLE:
			code = ERRCODE_PGMIG_GRAPH_CYCLE;
			break;
		case PM_ERR_RANGE:
			code = ERRCODE_PGMIG_OUT_OF_RANGE;
			break;
		case PM_ERR_STATE:
			code = ERRCODE_PGMIG_STATE;
			break;
		case PM_ERR_UNSUPPORTED:
			code = ERRCODE_PGMIG_NOT_COMPARED;
			break;
		case PM_ERR_IRREVERSIBLE:
			code = ERRCODE_PGMIG_IRREVERSIBLE;
			break;
		case PM_ERR_NON_TRANSACTIONAL:
			code = ERRCODE_PGMIG_NON_TRANSACTIONAL;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", err->msg),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

static void
set_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2,
						 PGMIG_LOCK_CLASS);
}

/*
 * Take the migration lock for this transaction, waiting if another run
 * holds it.  A run that had to wait must see what the other one committed:
 * under READ COMMITTED our later SPI queries take fresh snapshots, but a
 * transaction-snapshot isolation level cannot, so it fails rather than
 * redo work the other run already did.
 */
void
pgmig_lock_xact(void)
{
	LOCKTAG		tag;

	set_lock_tag(&tag);
	if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return;
	ereport(NOTICE,
			(errmsg("waiting for another pgmig run to finish")));
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize with a concurrent pgmig run"),
				 errdetail("Another run held the migration lock, and this transaction's snapshot cannot see what it committed."),
				 errhint("Retry the transaction, or run pgmig at READ COMMITTED.")));
}

bool
pgmig_lock_session(bool wait)
{
	LOCKTAG		tag;

	set_lock_tag(&tag);
	return LockAcquire(&tag, ExclusiveLock, true, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

bool
pgmig_unlock_session(void)
{
	LOCKTAG		tag;

	set_lock_tag(&tag);
	return LockRelease(&tag, ExclusiveLock, true);
}

/*
 * The pid of a backend that holds the migration lock, or 0: read from the
 * lock manager's own table (what pg_locks shows), so that status() plans
 * no query over the pg_locks and pg_stat_activity views when, as nearly
 * always, nobody holds it.
 */
int
pgmig_lock_holder(void)
{
	LOCKTAG		tag;
	LockData   *ld;
	int			i;

	set_lock_tag(&tag);
	ld = GetLockStatusData();
	for (i = 0; i < ld->nelements; i++)
	{
		LockInstanceData *li = &ld->locks[i];

		if (li->holdMask != 0 &&
			li->locktag.locktag_type == tag.locktag_type &&
			li->locktag.locktag_lockmethodid == tag.locktag_lockmethodid &&
			li->locktag.locktag_field1 == tag.locktag_field1 &&
			li->locktag.locktag_field2 == tag.locktag_field2 &&
			li->locktag.locktag_field3 == tag.locktag_field3 &&
			li->locktag.locktag_field4 == tag.locktag_field4)
			return li->pid;
	}
	return 0;
}

/*
 * Does this backend hold the migration lock (session or transaction)?  The
 * guard treats that as "inside a pgmig run": the pgmig client runs
 * non-transactional revisions as plain top-level statements while holding
 * the session lock, where pgmig_in_run cannot be set.
 */
bool
pgmig_lock_held(void)
{
	LOCKTAG		tag;

	set_lock_tag(&tag);
	return PGMIG_LOCK_HELD_BY_ME(&tag, ExclusiveLock);
}

PG_FUNCTION_INFO_V1(pgmig_lock);
Datum
pgmig_lock(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(pgmig_lock_session(PG_GETARG_BOOL(0)));
}

PG_FUNCTION_INFO_V1(pgmig_unlock);
Datum
pgmig_unlock(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	set_lock_tag(&tag);
	/* LockRelease warns when the lock is not held; say it our way instead */
	if (!PGMIG_LOCK_HELD_BY_ME(&tag, ExclusiveLock))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(pgmig_unlock_session());
}

/*
 * Set up a materialised set-returning function (like InitMaterializedSRF,
 * which only exists from PG15).
 *
 * Its rows stay in memory up to 256 kB, then go to a temporary file, even
 * where work_mem would allow more: a big answer (history() of 100,000
 * revisions, a plan of 50,000 steps) is written once and read once, and
 * in a new backend the memory for it costs more than the file cache (new
 * pages fault one by one: 1,000 faults for 4 MB).  A first history() at
 * 100,000 revisions went from 54 to 41 ms, a plan() of 50,000 steps from
 * 35 to 22 ms (bench/README.md, "Eighth pass" of the first calls); small
 * answers never leave memory.
 */
#define PGMIG_SRF_MEMORY_KB 256

void
pgmig_srf_init(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	MemoryContext oldcxt;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	/* RETURNS TABLE with one column is a scalar set: use the expected desc */
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
	{
		if (rsinfo->expectedDesc == NULL)
			elog(ERROR, "return type must be a row type");
		tupdesc = rsinfo->expectedDesc;
	}

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	rsinfo->setResult = tuplestore_begin_heap(true, false, Min(work_mem, PGMIG_SRF_MEMORY_KB));
	rsinfo->returnMode = SFRM_Materialize;
	MemoryContextSwitchTo(oldcxt);
}

char *
pgmig_join_names(char **names, int n, const char *sep)
{
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	for (k = 0; k < n; k++)
		appendStringInfo(&buf, "%s%s", k ? sep : "", names[k]);
	return buf.data;
}

/* The ids of some revisions of a graph (borrowed). */
static char **
ids_of(PgmigGraph *pg, const int *items, int n)
{
	char	  **names = palloc(sizeof(char *) * (n + 1));
	int			k;

	for (k = 0; k < n; k++)
		names[k] = pm_graph_rev(pg->g, items[k])->id;
	return names;
}

char *
pgmig_join_ids(PgmigGraph *pg, const int *items, int n, const char *sep)
{
	return pgmig_join_names(ids_of(pg, items, n), n, sep);
}

/*
 * A text[] of the n strings, laid out as construct_array() lays it out but
 * made in one palloc and one pass: history() makes one per row (a parent's
 * id), and at 100,000 rows construct_array()'s general path (a text datum
 * per element first, then their sizes, then a copy of each) was a fifth of
 * a new backend's call.
 */
Datum
pgmig_cstring_array(char **items, int n)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *a;
	char	   *p;
	int			k;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	for (k = 0; k < n; k++)
		nbytes += INTALIGN(VARHDRSZ + strlen(items[k]));
	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array size exceeds the maximum allowed (%d)",
						(int) MaxAllocSize)));
	/* zeroed: the padding after each element is part of the datum */
	a = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;			/* no nulls */
	a->elemtype = TEXTOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	p = ARR_DATA_PTR(a);
	for (k = 0; k < n; k++)
	{
		size_t		len = strlen(items[k]);

		SET_VARSIZE(p, VARHDRSZ + len);
		memcpy(VARDATA(p), items[k], len);
		p += INTALIGN(VARHDRSZ + len);
	}
	return PointerGetDatum(a);
}

Datum
pgmig_ids_array(PgmigGraph *pg, const int *items, int n)
{
	return pgmig_cstring_array(ids_of(pg, items, n), n);
}

/*
 * Every SQL-callable function works in a context of its own, created
 * before SPI_connect so that what it builds outlives SPI's procedure
 * context, and deleted at the end: pgmig_call_begin returns that context
 * (current on return) and the caller's context in *oldcxt.
 */
MemoryContext
pgmig_call_begin(const char *name, MemoryContext *oldcxt)
{
	MemoryContext callcxt;

	/* name must be a string literal: the context keeps the pointer */
	callcxt = AllocSetContextCreateInternal(CurrentMemoryContext, name,
											ALLOCSET_DEFAULT_SIZES);
	*oldcxt = MemoryContextSwitchTo(callcxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(callcxt);
	return callcxt;
}

void
pgmig_call_end(MemoryContext callcxt, MemoryContext oldcxt)
{
	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(callcxt);
}

/*
 * End SPI's part of a call begun with pgmig_call_begin but keep its memory
 * (a set-returning function's rows still to come read it; it goes with
 * the context it was made in, whose deletion is the caller's business).
 */
void
pgmig_call_keep(MemoryContext oldcxt)
{
	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Is this session restoring a dump?  pg_restore names itself in
 * application_name; a plain pg_dump script run by psql empties
 * search_path before anything else.  A restore brings the journal and
 * the revisions back as they were, so it must not add journal rows of
 * its own (nor count as drift).
 *
 * Both markers are settings any role can SET, so they count only for a
 * session whose session user and current user are superusers (SET ROLE to
 * an ordinary role drops the exemption): restoring pgmig's tables
 * needs one anyway (the extension is superuser-only), and a hardened
 * session of an ordinary role with search_path = '' stays guarded and
 * journaled like any other.
 */
bool
pgmig_restoring(void)
{
	const char *appname;
	const char *path;

	if (!superuser_arg(GetSessionUserId()) || !superuser_arg(GetUserId()))
		return false;
	appname = GetConfigOption("application_name", true, false);
	path = GetConfigOption("search_path", true, false);
	if (appname != NULL && strcmp(appname, "pg_restore") == 0)
		return true;
	return path != NULL && (path[0] == '\0' || strcmp(path, "\"\"") == 0);
}

/*
 * pgmig's bookkeeping (pgmig.applied, pgmig.journal, pgmig.graph_version,
 * pgmig.drift) is written by pgmig itself as the owner of schema pgmig, so
 * a deploy role needs no write privilege on those tables and cannot forge
 * a row.  The user id is switched around pgmig's own statements only (as
 * pg_cron does around SPI), never around a revision script; the role on
 * whose behalf the row is written is kept in acting_userid, which the
 * tables' role columns take by default (pgmig._acting_role()).  A
 * transaction or subtransaction abort restores the user id by itself;
 * acting_userid is only read while the switch is in force.
 */
static Oid	acting_userid = InvalidOid;
static int	owner_depth = 0;

Oid
pgmig_owner(void)
{
	Oid			nsp = get_namespace_oid("pgmig", false);
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

void
pgmig_become_owner(PgmigOwnerSwitch *sw)
{
	GetUserIdAndSecContext(&sw->save_userid, &sw->save_sec);
	sw->save_acting = acting_userid;
	sw->save_depth = owner_depth;
	if (owner_depth == 0)
		acting_userid = sw->save_userid;
	owner_depth++;
	SetUserIdAndSecContext(pgmig_owner(),
						   sw->save_sec | SECURITY_LOCAL_USERID_CHANGE);
}

void
pgmig_restore_user(PgmigOwnerSwitch *sw)
{
	SetUserIdAndSecContext(sw->save_userid, sw->save_sec);
	acting_userid = sw->save_acting;
	owner_depth = sw->save_depth;
}

/* One bookkeeping statement through the SPI layer, as pgmig itself. */
uint64
pgmig_exec_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
					const char *nulls, int expect)
{
	PgmigOwnerSwitch sw;
	uint64		n;

	pgmig_become_owner(&sw);
	n = pgmig_spi_exec(sql, nargs, types, values, nulls, false, 0, expect);
	pgmig_restore_user(&sw);
	return n;
}

/* Is pgmig writing its own bookkeeping right now (see above)? */
bool
pgmig_writing_bookkeeping(void)
{
	Oid			userid;
	int			sec;

	if (owner_depth == 0)
		return false;
	GetUserIdAndSecContext(&userid, &sec);
	return (sec & SECURITY_LOCAL_USERID_CHANGE) != 0 && userid == pgmig_owner();
}

/*
 * pgmig._acting_role(): the default of the role columns of pgmig.applied
 * and pgmig.journal: the role pgmig writes the row for, not the owner it
 * writes it as.
 */
PG_FUNCTION_INFO_V1(pgmig_acting_role);
Datum
pgmig_acting_role(PG_FUNCTION_ARGS)
{
	Oid			role = pgmig_writing_bookkeeping() ? acting_userid : GetUserId();

	PG_RETURN_DATUM(DirectFunctionCall1(namein,
										CStringGetDatum(GetUserNameFromId(role, false))));
}

/*
 * pgmig._bookkeeping_guard(): BEFORE row/TRUNCATE trigger on pgmig.applied
 * and (INSERT) on pgmig.journal.  Only pgmig writes them; a restore brings
 * them back as they were.  Everyone else, superusers included, is refused:
 * the applied set changes through upgrade/downgrade/stamp, and the journal
 * records what pgmig did, not what a caller says it did.
 */
PG_FUNCTION_INFO_V1(pgmig_bookkeeping_guard);
Datum
pgmig_bookkeeping_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *table;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_bookkeeping_guard: not called as a trigger");
	if (pgmig_writing_bookkeeping() || pgmig_restoring())
		return TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ||
			TRIGGER_FIRED_BY_DELETE(td->tg_event) ?
			PointerGetDatum(td->tg_trigtuple) :
			PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ?
							td->tg_newtuple : td->tg_trigtuple);
	table = RelationGetRelationName(td->tg_relation);
	if (strcmp(table, "journal") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("pgmig.journal is written by pgmig only"),
				 errdetail("The journal records what pgmig did; rows cannot be added, changed or removed by hand."),
				 errhint("Run the action through pgmig (upgrade, downgrade, stamp, repair) and it is journaled.")));
	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_STATE),
			 errmsg("pgmig.applied is written by pgmig only"),
			 errdetail("The applied set changes only through pgmig's own runs, so it always matches the journal."),
			 errhint("Use pgmig.stamp(TARGET) (client: pgmig stamp TARGET) to mark revisions applied or not without running them.")));
	return PointerGetDatum(NULL);
}

/*
 * The owner of a relation, or InvalidOid if it is gone.  pgmig writes its
 * private tables (graph_version, drift) as their owner.
 */
Oid
pgmig_rel_owner(Oid relid)
{
	HeapTuple	ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(ctup))
		return InvalidOid;
	owner = ((Form_pg_class) GETSTRUCT(ctup))->relowner;
	ReleaseSysCache(ctup);
	return owner;
}
