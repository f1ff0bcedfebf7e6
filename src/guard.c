/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The pgmig_guard event triggers: DDL run outside a pgmig run is drift.
 *
 * One C function serves three event triggers: pgmig_guard (ddl_command_end,
 * which sees created and altered objects), pgmig_guard_drop (sql_drop,
 * which sees dropped ones; ddl_command_end reports nothing for a DROP) and
 * pgmig_guard_start (ddl_command_start, CREATE INDEX only): in error mode
 * it refuses CREATE INDEX CONCURRENTLY before it starts, because refusing
 * it at ddl_command_end comes after its internal commits and would leave
 * an invalid index behind.
 * What it does depends on pgmig.guard:
 *	off		nothing;
 *	warn	records each object in pgmig.drift and raises one WARNING;
 *	error	refuses the command (the whole statement is rolled back).
 *
 * Not drift: pgmig's own runs (pgmig_in_run, a backend-local flag users
 * cannot SET; or the one statement of a non-transactional revision that
 * pgmig.begin_statement() armed for the pgmig client, nontx.c), CREATE/ALTER
 * EXTENSION of any extension (creating_extension covers the script; the
 * command's own ddl_command_end comes after it, so the tags are let
 * through too), binary upgrade, restores (pgmig_restoring(): pg_restore,
 * or a pg_dump script with its empty search_path, by a superuser session),
 * temporary objects, and
 * objects in schema pgmig.
 *
 * Rules:
 *	- The guard is a safety net against mistakes, not a security boundary:
 *	  a superuser can disable event triggers.
 *	- In warn mode it must never make a user's DDL fail: the rows are
 *	  inserted as the owner of pgmig.drift (the DDL's role usually has no
 *	  privilege on it), inside an internal subtransaction, and a failure to
 *	  record becomes a WARNING.
 *	- When pgmig.drift does not exist (DROP EXTENSION pgmig is running) the
 *	  guard does nothing.
 *	- Memory: a per-call context; nothing outlives the call.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "spi_util.h"
#include "subxact.h"

typedef struct DriftObject
{
	char	   *object_type;
	char	   *object_identity;
	char	   *schema_name;
} DriftObject;

static const char *ddl_query =
"SELECT object_type, object_identity, schema_name, false"
"  FROM pg_catalog.pg_event_trigger_ddl_commands()";

/*
 * original: named by the command; normal: dropped with it by CASCADE.
 * An extension's members (and the rules of its views) are not listed:
 * "DROP EXTENSION x" is one change.
 */
static const char *drop_query =
"SELECT object_type, object_identity, schema_name, is_temporary"
"  FROM pg_catalog.pg_event_trigger_dropped_objects()"
" WHERE original OR (normal AND $1)";

static const char *insert_query =
"INSERT INTO pgmig.drift (role_name, session_role, command_tag, object_type,"
"                         object_identity, schema_name, statement, backend_pid,"
"                         application_name, action)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

static bool
is_temp_schema(const char *schema)
{
	return schema != NULL &&
		(strcmp(schema, "pg_temp") == 0 ||
		 strncmp(schema, "pg_temp_", 8) == 0 ||
		 strncmp(schema, "pg_toast_temp_", 14) == 0);
}

/* Objects that are pgmig's own or temporary are never drift. */
static bool
ignorable(const char *type, const char *identity, const char *schema,
		  bool is_temp)
{
	if (is_temp || is_temp_schema(schema))
		return true;
	if (identity != NULL && strncmp(identity, "pg_temp.", 8) == 0)
		return true;
	if (schema != NULL && strcmp(schema, "pgmig") == 0)
		return true;
	if (type != NULL && identity != NULL &&
		(strcmp(type, "schema") == 0 || strcmp(type, "extension") == 0) &&
		strcmp(identity, "pgmig") == 0)
		return true;
	return false;
}

typedef struct DriftInsert
{
	Oid			owner;
	const char *tag;
	const char *role;
	const char *session_role;
	const char *appname;
	List	   *objects;
} DriftInsert;

/* The body of record_drift's subtransaction. */
static void
insert_drift_rows(void *arg)
{
	DriftInsert *di = (DriftInsert *) arg;
	Oid			types[10] = {NAMEOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
	Oid			save_userid;
	int			save_sec;
	ListCell   *lc;

	/* the subtransaction's abort restores the user id on error */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(di->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	foreach(lc, di->objects)
	{
		DriftObject *o = (DriftObject *) lfirst(lc);
		Datum		v[10];
		char		n[11] = "          ";

		v[0] = DirectFunctionCall1(namein, CStringGetDatum(di->role));
		v[1] = DirectFunctionCall1(namein, CStringGetDatum(di->session_role));
		v[2] = CStringGetTextDatum(di->tag);
		v[3] = o->object_type ? CStringGetTextDatum(o->object_type) : (Datum) 0;
		n[3] = o->object_type ? ' ' : 'n';
		v[4] = o->object_identity ? CStringGetTextDatum(o->object_identity) : (Datum) 0;
		n[4] = o->object_identity ? ' ' : 'n';
		v[5] = o->schema_name ? CStringGetTextDatum(o->schema_name) : (Datum) 0;
		n[5] = o->schema_name ? ' ' : 'n';
		v[6] = debug_query_string ? CStringGetTextDatum(debug_query_string) : (Datum) 0;
		n[6] = debug_query_string ? ' ' : 'n';
		v[7] = Int32GetDatum(MyProcPid);
		v[8] = di->appname ? CStringGetTextDatum(di->appname) : (Datum) 0;
		n[8] = di->appname ? ' ' : 'n';
		v[9] = CStringGetTextDatum("warned");
		(void) pgmig_spi_exec(insert_query, 10, types, v, n, false, 0,
							  SPI_OK_INSERT);
	}
	SetUserIdAndSecContext(save_userid, save_sec);
}

/*
 * Insert the rows as the owner of pgmig.drift; false if they could not
 * be.  A failure to record
 * becomes a WARNING (the user's DDL must not fail because of the guard),
 * except a cancel, a shutdown or running out of memory, which are
 * re-thrown.
 */
static bool
record_drift(Oid drift, const char *tag, List *objects)
{
	DriftInsert di;
	ErrorData  *edata;

	di.owner = pgmig_rel_owner(drift);
	if (!OidIsValid(di.owner))
		return false;
	di.tag = tag;
	di.role = GetUserNameFromId(GetUserId(), false);
	di.session_role = GetUserNameFromId(GetSessionUserId(), false);
	di.appname = GetConfigOption("application_name", true, false);
	di.objects = objects;

	edata = pgmig_subxact_run(insert_drift_rows, &di, CurrentMemoryContext,
							  true);
	if (edata == NULL)
		return true;
	if (pgmig_error_must_propagate(edata))
		ReThrowError(edata);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pgmig guard could not record drift: %s", edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 edata->hint ? errhint("%s", edata->hint) : 0));
	return false;
}

/*
 * Is this a GRANT/REVOKE on pgmig's own objects only?  Granting a deploy or
 * monitoring role access to pgmig is setting pgmig up, not a change of the
 * application's schema.  (For a GRANT the event trigger functions give no
 * object identity, so the statement itself is read.)
 */
static bool
grant_on_pgmig_only(Node *parsetree)
{
	GrantStmt  *g;
	ListCell   *lc;
	Oid			pgmig_nsp = get_namespace_oid("pgmig", true);

	if (parsetree == NULL || !IsA(parsetree, GrantStmt) || !OidIsValid(pgmig_nsp))
		return false;
	g = (GrantStmt *) parsetree;
	if (g->objects == NIL)
		return false;
	foreach(lc, g->objects)
	{
		Node	   *o = lfirst(lc);
		Oid			nsp = InvalidOid;

		if (g->targtype == ACL_TARGET_ALL_IN_SCHEMA || g->objtype == OBJECT_SCHEMA)
			nsp = get_namespace_oid(strVal(o), true);
		else if (IsA(o, RangeVar))
		{
			Oid			relid = RangeVarGetRelid((RangeVar *) o, NoLock, true);

			nsp = OidIsValid(relid) ? get_rel_namespace(relid) : InvalidOid;
		}
		else if (IsA(o, ObjectWithArgs))
		{
			List	   *name = ((ObjectWithArgs *) o)->objname;

			if (list_length(name) == 2)
				nsp = get_namespace_oid(strVal(linitial(name)), true);
		}
		if (nsp != pgmig_nsp)
			return false;
	}
	return true;
}

/*
 * ddl_command_start, error mode: CREATE INDEX CONCURRENTLY on anything but
 * a temporary table or one of pgmig's own is refused before it begins.
 */
static void
refuse_concurrent_index(EventTriggerData *trig)
{
	IndexStmt  *stmt;
	Oid			relid;

	if (pgmig_guard_mode != PGMIG_GUARD_ERROR ||
		trig->parsetree == NULL || !IsA(trig->parsetree, IndexStmt))
		return;
	stmt = (IndexStmt *) trig->parsetree;
	if (!stmt->concurrent || stmt->relation == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;					/* core reports the missing table */
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP ||
		get_rel_namespace(relid) == get_namespace_oid("pgmig", true))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PGMIG_GUARD),
			 errmsg("CREATE INDEX CONCURRENTLY on table %s is not allowed outside a pgmig run",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid))),
			 errdetail("pgmig.guard is set to \"error\"."),
			 errhint("Put the change in a non-transactional revision and apply it with the pgmig client, or SET pgmig.guard = 'warn' to allow it and record it in pgmig.drift.")));
}

PG_FUNCTION_INFO_V1(pgmig_guard);
Datum
pgmig_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trig;
	const char *tag;
	bool		drop;
	Oid			nsp;
	Oid			drift;
	MemoryContext cxt;
	MemoryContext oldcxt;
	List	   *objects = NIL;
	uint64		i;
	uint64		nrows;
	bool		recorded;
	DriftObject *first;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_guard: not fired by event trigger manager");
	trig = (EventTriggerData *) fcinfo->context;

	if (pgmig_guard_mode == PGMIG_GUARD_OFF || pgmig_in_run ||
		creating_extension || IsBinaryUpgrade)
		PG_RETURN_VOID();
	if (pgmig_restoring())
		PG_RETURN_VOID();
	/*
	 * The one statement pgmig.begin_statement() armed (a client running a
	 * non-transactional revision) is pgmig's own; its ddl_command_end uses
	 * the arming up.  Holding the migration lock exempts nothing.
	 */
	if (pgmig_statement_armed())
	{
		if (strcmp(trig->event, "ddl_command_end") == 0)
			pgmig_disarm_statement();
		PG_RETURN_VOID();
	}

	if (strcmp(trig->event, "ddl_command_start") == 0)
	{
		refuse_concurrent_index(trig);
		PG_RETURN_VOID();
	}

	tag = GetCommandTagName(trig->tag);
	if (strcmp(tag, "CREATE EXTENSION") == 0 || strcmp(tag, "ALTER EXTENSION") == 0)
		PG_RETURN_VOID();
	if (grant_on_pgmig_only(trig->parsetree))
		PG_RETURN_VOID();
	drop = strcmp(trig->event, "sql_drop") == 0;

	/* DROP EXTENSION pgmig removes the table we would write to */
	nsp = get_namespace_oid("pgmig", true);
	drift = OidIsValid(nsp) ? get_relname_relid("drift", nsp) : InvalidOid;
	if (!OidIsValid(drift))
		PG_RETURN_VOID();

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig guard",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	if (drop)
	{
		Oid			argtypes[1] = {BOOLOID};
		Datum		args[1];

		args[0] = BoolGetDatum(strcmp(tag, "DROP EXTENSION") != 0);
		nrows = pgmig_spi_exec(drop_query, 1, argtypes, args, NULL, false, 0,
							   SPI_OK_SELECT);
	}
	else
		nrows = pgmig_spi_exec(ddl_query, 0, NULL, NULL, NULL, false, 0,
							   SPI_OK_SELECT);
	for (i = 0; i < nrows; i++)
	{
		DriftObject *o = palloc0(sizeof(DriftObject));
		bool		is_temp = pgmig_spi_bool(i, 4, false);

		o->object_type = pgmig_spi_text(i, 1);
		o->object_identity = pgmig_spi_text(i, 2);
		o->schema_name = pgmig_spi_text(i, 3);
		if (ignorable(o->object_type, o->object_identity, o->schema_name,
					  is_temp))
			continue;
		objects = lappend(objects, o);
	}
	pgmig_spi_done();

	if (objects != NIL)
	{
		first = (DriftObject *) linitial(objects);
		if (pgmig_guard_mode == PGMIG_GUARD_ERROR)
			ereport(ERROR,
					(errcode(ERRCODE_PGMIG_GUARD),
					 errmsg("%s on %s %s is not allowed outside a pgmig run",
							tag, first->object_type ? first->object_type : "object",
							first->object_identity ? first->object_identity : "(unnamed)"),
					 errdetail("pgmig.guard is set to \"error\"."),
					 errhint("Put the change in a revision and apply it with pgmig, or SET pgmig.guard = 'warn' to allow it and record it in pgmig.drift.")));

		recorded = record_drift(drift, tag, objects);
		ereport(WARNING,
				(errmsg("%s on %s %s ran outside a pgmig run",
						tag, first->object_type ? first->object_type : "object",
						first->object_identity ? first->object_identity : "(unnamed)"),
				 recorded ?
				 errdetail("Recorded in pgmig.drift (%d object(s)).", list_length(objects)) :
				 errdetail("It could not be recorded in pgmig.drift (see the warning before this one)."),
				 errhint("Put schema changes in a revision, or SET pgmig.guard = 'off' to allow them silently.")));
	}

	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}
