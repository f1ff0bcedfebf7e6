/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  The schema pgmig expects, and what differs from it (0.4).
 *
 * pgmig.schema_state (sql/0.4/31_drift.sql) holds one row: the snapshot
 * (pgmig.snapshot(), doc/snapshot-format.md) of the schema the last run
 * that changed something left behind, when, by which action and role, and
 * the transaction id (pgmig.journal.txid of the same run).
 *
 *	pgmig_record_schema_state()	 C, called at the end of a run that changed
 *								 the applied set (upgrade, downgrade, stamp,
 *								 migrate, step); when the catalogs are still
 *								 at the digest recorded with the snapshot (a
 *								 data migration), only who and when change;
 *								 under pgmig.record_schema =
 *								 deferred it notes only the catalogs' digest
 *								 (pending_version), and the snapshot is taken
 *								 by the next comparison that finds the
 *								 catalogs at that digest
 *	pgmig._record_pending()		 event trigger (ddl_command_start): takes a
 *								 pending snapshot before DDL outside pgmig
 *	pgmig.record_schema()		 SQL: accept the schema as it is now (always
 *								 at once)
 *	pgmig.drift()				 SQL: one row per object added, changed or
 *								 removed since the record (no new snapshot
 *								 while pgmig._catalog_version() is the one
 *								 recorded with it: the catalogs hold the
 *								 very row versions they held then)
 *	pgmig_drift_count()			 C, for check() and status()
 *	pgmig._recorded_snapshot()	 SQL: the recorded snapshot when it is the
 *								 schema now (for the client's diff)
 *	pgmig_snapshot_now(),		 C, for test_roundtrip(): a snapshot, and
 *	pgmig_snapshot_changes()	 how the schema now differs from it
 *
 * Rules:
 *	- Everything here runs in an internal subtransaction (subxact.c) as
 *	  the owner of pgmig.schema_state (the extension's owner), under
 *	  SECURITY_RESTRICTED_OPERATION and with search_path = pg_catalog,
 *	  pg_temp, through the SPI layer (spi_util.c): a deploy or monitoring
 *	  role needs
 *	  EXECUTE only, never a privilege on the table, and no user code runs
 *	  with the owner's rights (the queries call only pgmig's own SQL
 *	  functions, which read catalogs and print with pg_get_*; nothing they
 *	  call executes user functions).
 *	- Recording is part of the run's transaction (a rolled-back run keeps
 *	  the previous record).  A failure is a WARNING (but a cancel, shutdown
 *	  or out-of-memory is not swallowed): a migration never fails because
 *	  its schema could not be recorded.
 *	- Before pgmig.schema_state exists (extension older than 0.4, or DROP
 *	  EXTENSION under way) recording does nothing and the count says
 *	  "unknown" (-1).
 *	- Memory: results are copied into the caller's context before the
 *	  subtransaction ends.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "graphstore.h"
#include "spi_util.h"
#include "subxact.h"

/* the hint of a WARNING when a record could not be taken */
#define HINT_RECORD_FAILED \
	"pgmig.drift() compares with the schema recorded before; SELECT pgmig.record_schema() records it once the cause is fixed."

/* the longest check() and status() wait for a lock a comparison needs */
#define PGMIG_DRIFT_LOCK_WAIT_MS 2000

#define DRIFT_NCOLS 6

/* pgmig.schema_state, or InvalidOid when it does not exist (yet) */
static Oid
state_relid(void)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) ? get_relname_relid("schema_state", nsp) : InvalidOid;
}

/* Whether this database's pgmig records schemas (extension 0.4 or later). */
bool
pgmig_schema_state_exists(void)
{
	return OidIsValid(state_relid());
}

typedef void (*OwnerWork) (void *arg);

typedef struct OwnerCall
{
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	OwnerWork	work;
	void	   *arg;
	int			lock_wait_ms;	/* > 0: wait at most this long for a lock */
} OwnerCall;

/* Inside the subtransaction: become the owner, connect SPI, work, undo. */
static void
owner_call(void *arg)
{
	OwnerCall  *oc = (OwnerCall *) arg;
	int			nestlevel;

	SetUserIdAndSecContext(oc->owner, oc->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (oc->lock_wait_ms > 0 && (LockTimeout == 0 || LockTimeout > oc->lock_wait_ms))
	{
		char		ms[32];

		snprintf(ms, sizeof(ms), "%dms", oc->lock_wait_ms);
		(void) set_config_option("lock_timeout", ms, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	oc->work(oc->arg);
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec);
}

/*
 * Run work(arg) with SPI connected, in an internal subtransaction
 * (subxact.c), as the owner of pgmig.schema_state with a safe search_path;
 * lock_wait_ms > 0 bounds each lock wait (the session's lock_timeout when
 * shorter).  On error: with a soft_hint, a WARNING naming what failed, with
 * that hint, and false (but a cancel, shutdown or out-of-memory goes on);
 * without, the error goes on.
 */
static bool
as_state_owner_wait(Oid relid, const char *what, OwnerWork work, void *arg,
					const char *soft_hint, int lock_wait_ms)
{
	OwnerCall	oc;
	ErrorData  *edata;

	oc.owner = pgmig_rel_owner(relid);
	if (!OidIsValid(oc.owner))
		return false;
	GetUserIdAndSecContext(&oc.save_userid, &oc.save_sec);
	oc.work = work;
	oc.arg = arg;
	oc.lock_wait_ms = lock_wait_ms;
	edata = pgmig_subxact_run(owner_call, &oc, CurrentMemoryContext, true);
	if (edata == NULL)
		return true;
	/* the abort restored the user id; say so for the reader */
	SetUserIdAndSecContext(oc.save_userid, oc.save_sec);
	if (soft_hint == NULL || pgmig_error_must_propagate(edata))
		ReThrowError(edata);
	if (lock_wait_ms > 0 && edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		ereport(WARNING,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("pgmig could not %s: another session holds a lock on a table it reads", what),
				 errdetail("Reading a CHECK constraint or a view's definition opens its table, which waits behind an ACCESS EXCLUSIVE lock; check() and status() wait at most %d ms (or the session's lock_timeout), then leave drift uncounted.",
						   lock_wait_ms),
				 errhint("Retry once that session is done, or call pgmig.drift(), which waits.")));
	else
		ereport(WARNING,
				(errmsg("pgmig could not %s: %s", what, edata->message),
				 errhint("%s", soft_hint)));
	return false;
}

/* as_state_owner_wait() without a bound on lock waits */
static bool
as_state_owner(Oid relid, const char *what, OwnerWork work, void *arg,
			   const char *soft_hint)
{
	return as_state_owner_wait(relid, what, work, arg, soft_hint, 0);
}

/* ---- recording ---- */

typedef struct RecordArgs
{
	const char *action;
	const char *target;
	const char *role;
	const char *session_role;
	bool		deferred;		/* a run under pgmig.record_schema = deferred */
	bool		keep_same;		/* a run: keep the snapshot of an unchanged
								 * schema (record_schema() always retakes) */
	int			nobjects;
} RecordArgs;

static void
record_work(void *arg)
{
	RecordArgs *ra = (RecordArgs *) arg;
	Oid			types[5] = {TEXTOID, TEXTOID, NAMEOID, NAMEOID, TEXTOID};
	Datum		v[5];
	char		n[6] = "     ";
	bool		isnull;

	v[0] = CStringGetTextDatum(ra->action);
	v[1] = ra->target ? CStringGetTextDatum(ra->target) : (Datum) 0;
	n[1] = ra->target ? ' ' : 'n';
	v[2] = DirectFunctionCall1(namein, CStringGetDatum(ra->role));
	v[3] = DirectFunctionCall1(namein, CStringGetDatum(ra->session_role));
	/*
	 * The digest of the schema the run leaves, taken once: through SPI, for
	 * a statement snapshot that sees the run's own changes (the active one
	 * is the calling statement's, older than the run's DDL).
	 */
	(void) pgmig_spi_exec("SELECT pgmig._catalog_version()", 0, NULL, NULL, NULL,
						  false, 1, SPI_OK_SELECT);
	v[4] = pgmig_spi_datum(0, 1, &isnull);

	/*
	 * A run whose scripts changed no catalog row (a data migration, a
	 * stamp) leaves the catalogs at the digest recorded with the complete
	 * snapshot: that snapshot is the schema now (the digest changes with
	 * every row version of every catalog the snapshot reads, test
	 * 31_drift), so only who and when change.  Taking it again would cost
	 * time proportional to the whole schema with the run's locks held (6.5 s
	 * at 10,000 tables, bench/record_cost.sh).
	 */
	if (ra->keep_same &&
		pgmig_spi_exec("UPDATE pgmig.schema_state SET recorded_at = pg_catalog.clock_timestamp(),"
					   "  action = $1, target = $2, role_name = $3, session_role = $4,"
					   "  txid = pg_catalog.txid_current()"
					   " WHERE catalog_version = $5 AND pending_version IS NULL",
					   5, types, v, n, false, 0, SPI_OK_UPDATE) == 1)
	{
		pgmig_spi_done();
		ra->nobjects = 0;		/* not counted: that would read it all */
		return;
	}

	/*
	 * Deferred: keep the snapshot recorded before (the fallback if the
	 * schema changes before the next comparison), and note the digest of
	 * the schema this run leaves; the next comparison that finds the
	 * catalogs at that digest takes the snapshot (drift_work()).  The very
	 * first record is always taken at once.
	 */
	if (ra->deferred &&
		pgmig_spi_exec("UPDATE pgmig.schema_state SET pending_version = $5,"
					   "  recorded_at = pg_catalog.clock_timestamp(), action = $1, target = $2,"
					   "  role_name = $3, session_role = $4, txid = pg_catalog.txid_current()",
					   5, types, v, n, false, 0, SPI_OK_UPDATE) == 1)
	{
		pgmig_spi_done();
		ra->nobjects = 0;
		return;
	}
	(void) pgmig_spi_exec("INSERT INTO pgmig.schema_state AS s"
						  " (id, snapshot_text, recorded_at, action, target, role_name, session_role, txid,"
						  "  catalog_version)"
						  " VALUES (true, pgmig._snapshot_text(), pg_catalog.clock_timestamp(), $1, $2, $3, $4,"
						  "         pg_catalog.txid_current(), $5)"
						  " ON CONFLICT (id) DO UPDATE SET snapshot_text = EXCLUDED.snapshot_text,"
						  "  recorded_at = EXCLUDED.recorded_at, action = EXCLUDED.action,"
						  "  target = EXCLUDED.target, role_name = EXCLUDED.role_name,"
						  "  session_role = EXCLUDED.session_role, txid = EXCLUDED.txid,"
						  "  catalog_version = EXCLUDED.catalog_version, pending_version = NULL"
						  " RETURNING pg_catalog.jsonb_array_length(snapshot OPERATOR(pg_catalog.->) 'objects')",
						  5, types, v, n, false, 1, SPI_OK_INSERT_RETURNING);
	ra->nobjects = DatumGetInt32(pgmig_spi_datum(0, 1, &isnull));
	pgmig_spi_done();
}

/*
 * Record the schema as the expected one.  action: "upgrade", "downgrade",
 * "stamp", "migrate", "step", "record_schema"; target may be NULL.
 * Returns the number of objects recorded (0 when the snapshot was kept or
 * left pending), or -1 when nothing was recorded (no pgmig.schema_state, or
 * a failure, reported as a WARNING).
 */
int
pgmig_record_schema_state(const char *action, const char *target)
{
	Oid			relid = state_relid();
	RecordArgs	ra;

	if (!OidIsValid(relid))
		return -1;
	ra.action = action;
	ra.target = target;
	ra.role = GetUserNameFromId(GetUserId(), false);
	ra.session_role = GetUserNameFromId(GetSessionUserId(), false);
	ra.deferred = pgmig_record_mode == PGMIG_RECORD_DEFERRED;
	ra.keep_same = true;
	ra.nobjects = -1;
	if (!as_state_owner(relid, "record the schema", record_work, &ra,
						HINT_RECORD_FAILED))
		return -1;
	return ra.nobjects;
}

PG_FUNCTION_INFO_V1(pgmig_record_schema);
Datum
pgmig_record_schema(PG_FUNCTION_ARGS)
{
	Oid			relid = state_relid();
	RecordArgs	ra;

	/* a run in progress must not have its record overwritten halfway */
	pgmig_lock_xact();
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("pgmig.schema_state does not exist"),
				 errhint("Update the extension: ALTER EXTENSION pgmig UPDATE.")));
	ra.action = "record_schema";
	ra.target = NULL;
	ra.role = GetUserNameFromId(GetUserId(), false);
	ra.session_role = GetUserNameFromId(GetSessionUserId(), false);
	ra.deferred = false;		/* accepting the schema is always at once, */
	ra.keep_same = false;		/* and takes the snapshot again */
	ra.nobjects = -1;
	(void) as_state_owner(relid, "record the schema", record_work, &ra, NULL);
	PG_RETURN_INT32(ra.nobjects);
}

/* ---- the recorded snapshot, when it is the schema now ---- */

typedef struct RecordedArgs
{
	MemoryContext cxt;			/* where the text is copied */
	text	   *snapshot;		/* out: NULL when not current */
} RecordedArgs;

static char *state_text(const char *column, bool *recorded);

static void
recorded_work(void *arg)
{
	RecordedArgs *ra = (RecordedArgs *) arg;
	bool		recorded;
	bool		isnull;
	char	   *version;
	char	   *suffix;
	Datum		d;
	text	   *t;
	size_t		len;
	size_t		slen;

	/*
	 * Current: nothing pending, the catalogs at the digest recorded with it
	 * (the rule drift() keeps), and the same server version (a minor
	 * release may print a definition anew).  The digest is computed only
	 * when there is a complete record to compare it with (a database whose
	 * schema no run has recorded answers at once).  Every column is read
	 * straight from the table in the active snapshot: no query to plan in
	 * a new backend, and the text is handed out as stored.
	 */
	if (state_text("pending_version", &recorded) != NULL || !recorded)
		return;
	version = state_text("catalog_version", &recorded);
	if (version == NULL || strcmp(version, pgmig_catalog_version()) != 0)
		return;
	{
		/* into the caller's context: the function returns it */
		MemoryContext old = MemoryContextSwitchTo(ra->cxt);
		int			rows = pgmig_read_rows_direct(state_relid(), "snapshot_text", TEXTOID,
												  pgmig_value_copy, &d, &isnull, NULL);

		MemoryContextSwitchTo(old);
		if (rows != 1 || isnull)
			return;
	}
	t = (text *) DatumGetPointer(d);

	/*
	 * The server that printed it: its number is the snapshot's last key
	 * (jsonb's order puts the longest last; _snapshot_text() writes it so).
	 * A text that does not end so is not taken (the catalogs are read).
	 */
	suffix = psprintf("\"server_version_num\": %s}",
					  GetConfigOption("server_version_num", false, false));
	slen = strlen(suffix);
	len = VARSIZE_ANY_EXHDR(t);
	if (len >= slen && memcmp(VARDATA_ANY(t) + len - slen, suffix, slen) == 0)
		ra->snapshot = t;
}

/*
 * pgmig._recorded_snapshot(): the recorded snapshot as text (jsonb's
 * canonical output, the very text the snapshot query prints) when it is the
 * schema now, NULL otherwise.  The pgmig client's `diff` reads it instead of
 * reading every object again (7.6 s at 10,000 tables).  Read as the owner of
 * pgmig.schema_state, like drift(); it tells the caller nothing the catalogs
 * would not (pgmig.snapshot() reads them with any role's rights).
 */
PG_FUNCTION_INFO_V1(pgmig_recorded_snapshot);
Datum
pgmig_recorded_snapshot(PG_FUNCTION_ARGS)
{
	Oid			relid = state_relid();
	RecordedArgs ra = {CurrentMemoryContext, NULL};

	if (!OidIsValid(relid))
		PG_RETURN_NULL();
	(void) as_state_owner(relid, "read the recorded schema", recorded_work, &ra, NULL);
	if (ra.snapshot == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(ra.snapshot);
}

/* ---- comparing ---- */

typedef struct DriftArgs
{
	MemoryContext cxt;			/* where rows are copied */
	bool		recorded;		/* a schema was recorded */
	int			max;			/* rows wanted (-1: all) */
	int64		count;			/* rows in all */
	List	   *rows;			/* of Datum[DRIFT_NCOLS * 2]: values, then
								 * isnull flags as Datums */
} DriftArgs;

/*
 * A deferred record whose digest is the catalogs' digest now: the schema
 * now is the one the run left; take its snapshot (when this transaction
 * may write; a run recording meanwhile holds the row, is skipped, and
 * replaces the record anyway).  SPI is connected, as the state's owner.
 */
static void
take_pending(const char *pending)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1];

	if (RecoveryInProgress() || XactReadOnly || IsolationUsesXactSnapshot())
		return;
	v[0] = CStringGetTextDatum(pending);
	(void) pgmig_spi_exec("UPDATE pgmig.schema_state SET snapshot_text = pgmig._snapshot_text(),"
						  "  catalog_version = pending_version, pending_version = NULL"
						  " WHERE id IN (SELECT id FROM pgmig.schema_state"
						  "               WHERE pending_version OPERATOR(pg_catalog.=) $1"
						  "               FOR UPDATE SKIP LOCKED)",
						  1, types, v, NULL, false, 0, SPI_OK_UPDATE);
	pgmig_spi_done();
}

/* The event trigger's part: take a deferred record if it still can be. */
static void
pending_work(void *arg)
{
	char	   *pending;

	if (pgmig_spi_exec("SELECT pending_version FROM pgmig.schema_state",
					   0, NULL, NULL, NULL, true, 1, SPI_OK_SELECT) != 1)
	{
		pgmig_spi_done();
		return;
	}
	pending = pgmig_spi_text(0, 1);
	pgmig_spi_done();
	if (pending != NULL && strcmp(pending, pgmig_catalog_version()) == 0)
		take_pending(pending);
}

/*
 * pgmig._record_pending(), the pgmig_record_pending event trigger
 * (ddl_command_start): under pgmig.record_schema = deferred, DDL run
 * outside pgmig first takes the snapshot a run left pending, while the
 * catalogs still hold what the run left, so the comparison names exactly
 * what that DDL changed.  Statements on shared objects (roles, databases)
 * fire no event trigger; event triggers can be disabled (a superuser's
 * session_replication_role): then the next comparison warns instead.
 */
PG_FUNCTION_INFO_V1(pgmig_record_pending);
Datum
pgmig_record_pending(PG_FUNCTION_ARGS)
{
	Oid			relid;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgmig._record_pending() must be called as an event trigger")));
	if (pgmig_record_mode != PGMIG_RECORD_DEFERRED || pgmig_in_run || pgmig_lock_held())
		PG_RETURN_VOID();
	relid = state_relid();
	if (OidIsValid(relid))
		(void) as_state_owner(relid, "take the schema snapshot a run left pending",
							  pending_work, NULL, HINT_RECORD_FAILED);
	PG_RETURN_VOID();
}

/*
 * A text column of pgmig.schema_state's one row (NULL if null), read
 * straight from the table (no query to parse and plan in a new backend:
 * every check() and status() asks); *recorded false when there is no row.
 */
static char *
state_text(const char *column, bool *recorded)
{
	Datum		d;
	bool		isnull;
	int			rows = pgmig_read_rows_direct(state_relid(), column, TEXTOID,
											  pgmig_value_copy, &d, &isnull, NULL);

	*recorded = rows > 0;
	return rows > 0 && !isnull ? TextDatumGetCString(d) : NULL;
}

static void
drift_work(void *arg)
{
	DriftArgs  *da = (DriftArgs *) arg;
	uint64		n;
	uint64		i;

	char	   *version;
	char	   *pending;
	char	   *now;
	char	   *recorded_at;
	uint64		first;

	/*
	 * The catalogs' row versions as stored by an earlier comparison that
	 * found no drift: the schema is still the recorded one, no snapshot
	 * needed (pgmig._catalog_version(), 31_drift.sql).
	 */
	version = state_text("catalog_version", &da->recorded);
	pending = state_text("pending_version", &da->recorded);
	if (!da->recorded)
		return;
	now = pgmig_catalog_version();
	if (pending != NULL)
	{
		/*
		 * A deferred record: while the catalogs hold what the run left, the
		 * schema now is that schema; take its snapshot (when this
		 * transaction may write; a run recording meanwhile holds the row and
		 * replaces the record anyway).
		 */
		if (strcmp(pending, now) == 0)
		{
			take_pending(pending);
			return;
		}
		ereport(WARNING,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("the schema the last pgmig run left was not recorded"),
				 errdetail("pgmig.record_schema is deferred, and the catalogs changed after the run before a comparison could take its snapshot; objects are compared with the schema recorded before that run, so what the run changed is listed too."),
				 errhint("Review the changes, then accept the schema with SELECT pgmig.record_schema().")));
	}
	else if (version != NULL && strcmp(version, now) == 0)
		return;

	/*
	 * The record must be a snapshot of the format compared here.  One edited
	 * by hand (its owner or a superuser can) would otherwise fail inside the
	 * comparison with a bare jsonb error, and one of another format would be
	 * compared as if it were this one.
	 */
	if (pgmig_spi_exec("SELECT 1 FROM pgmig.schema_state s"
					   " WHERE NOT coalesce(pg_catalog.jsonb_typeof(s.snapshot) OPERATOR(pg_catalog.=) 'object'"
					   "   AND s.snapshot OPERATOR(pg_catalog.->) 'format' OPERATOR(pg_catalog.=) '1'::pg_catalog.jsonb"
					   "   AND pg_catalog.jsonb_typeof(s.snapshot OPERATOR(pg_catalog.->) 'objects') OPERATOR(pg_catalog.=) 'array'"
					   "   AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(s.snapshot OPERATOR(pg_catalog.->) 'objects') o"
					   "                    WHERE pg_catalog.jsonb_typeof(o) OPERATOR(pg_catalog.<>) 'object'"
					   "                       OR pg_catalog.jsonb_typeof(o OPERATOR(pg_catalog.->) 'id')"
					   "                          IS DISTINCT FROM 'string'), false)",
					   0, NULL, NULL, NULL, true, 1, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("the recorded schema in pgmig.schema_state is damaged"),
				 errdetail("Its snapshot is not a schema snapshot of format 1 (an object with \"format\": 1 and an \"objects\" array of objects with an \"id\"); it was changed outside pgmig."),
				 errhint("Review the schema (pgmig.snapshot()), then record it again with SELECT pgmig.record_schema().")));
	pgmig_spi_done();

	/*
	 * The full comparison, with the catalogs' version read again in the same
	 * statement (one MVCC snapshot, so the version kept below is the one of
	 * the schema compared): the first row carries it, and no object when
	 * nothing differs.
	 */
	n = pgmig_spi_exec("SELECT v.v, s.recorded_at::text, d.object, d.kind, d.change, d.keys, d.recorded, d.current"
					   "  FROM (SELECT pgmig._catalog_version() AS v) v"
					   "  CROSS JOIN pgmig.schema_state s"
					   "  LEFT JOIN pgmig._snapshot_diff(s.snapshot, pgmig.snapshot()) d ON true",
					   0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT);
	first = (n == 1 && pgmig_spi_text(0, 3) == NULL) ? 1 : 0;
	version = n > 0 ? pgmig_spi_text(0, 1) : NULL;
	recorded_at = n > 0 ? pgmig_spi_text(0, 2) : NULL;
	da->count = (int64) (n - first);
	for (i = first; i < n && (da->max < 0 || i - first < (uint64) da->max); i++)
	{
		MemoryContext old = MemoryContextSwitchTo(da->cxt);
		Datum	   *row = palloc(sizeof(Datum) * DRIFT_NCOLS * 2);
		int			c;

		for (c = 0; c < DRIFT_NCOLS; c++)
		{
			bool		isnull;

			row[c] = pgmig_spi_datum(i, c + 3, &isnull);
			row[DRIFT_NCOLS + c] = BoolGetDatum(isnull);
		}
		da->rows = lappend(da->rows, row);
		MemoryContextSwitchTo(old);
	}
	pgmig_spi_done();

	/*
	 * No drift: keep the catalogs' version with the record, so that the
	 * next comparison is a catalog scan while nothing changes.  Only for the
	 * record compared (a run may have recorded another since), and not on a
	 * standby, in a read-only transaction, or in a repeatable read or
	 * serializable one (a record written since its snapshot would make the
	 * write fail).
	 */
	if (first == 1 && version != NULL && pending == NULL && !RecoveryInProgress() &&
		!XactReadOnly && !IsolationUsesXactSnapshot())
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		v[2];

		v[0] = CStringGetTextDatum(version);
		v[1] = CStringGetTextDatum(recorded_at);
		/*
		 * SKIP LOCKED: a run that is recording holds the row until it
		 * commits; a check() must not wait for it (its record replaces
		 * this one anyway).
		 */
		(void) pgmig_spi_exec("UPDATE pgmig.schema_state SET catalog_version = $1"
							  " WHERE id IN (SELECT id FROM pgmig.schema_state"
							  "               WHERE recorded_at::text OPERATOR(pg_catalog.=) $2"
							  "                 AND catalog_version IS DISTINCT FROM $1"
							  "               FOR UPDATE SKIP LOCKED)",
							  2, types, v, NULL, false, 0, SPI_OK_UPDATE);
		pgmig_spi_done();
	}
}

/*
 * How many objects differ from the recorded schema; -1 when no schema is
 * recorded, -2 when the comparison failed (a WARNING says why).  When changes is
 * not NULL, it gets every one of them as a PgmigChange (keys: the changed
 * keys, comma separated, "" for added and removed objects).
 */
int64
pgmig_drift_count(List **changes)
{
	Oid			relid = state_relid();
	DriftArgs	da = {CurrentMemoryContext, false, changes ? -1 : 0, 0, NIL};
	ListCell   *lc;

	if (changes != NULL)
		*changes = NIL;
	/*
	 * check() and status() answer at a glance: a comparison that takes a
	 * snapshot opens the tables of CHECK constraints and views
	 * (pg_get_constraintdef, pg_get_viewdef), which would wait behind another
	 * session's ACCESS EXCLUSIVE lock for as long as it is held.
	 */
	if (!OidIsValid(relid))
		return -1;
	if (!as_state_owner_wait(relid, "compare the schema with the recorded one", drift_work, &da,
							 "SELECT * FROM pgmig.drift() shows the error; when the recorded schema is damaged, SELECT pgmig.record_schema() records the schema as it is now.",
							 PGMIG_DRIFT_LOCK_WAIT_MS))
		return -2;
	if (!da.recorded)
		return -1;
	if (changes != NULL)
		foreach(lc, da.rows)
		{
			Datum	   *row = lfirst(lc);
			PgmigChange *c = palloc(sizeof(PgmigChange));
			char	   *keys = "";

			if (!DatumGetBool(row[DRIFT_NCOLS + 3]))
			{
				/* "{default,not_null}" -> "default, not_null" */
				char	   *k = OidOutputFunctionCall(F_ARRAY_OUT, row[3]);
				StringInfoData buf;

				initStringInfo(&buf);
				for (k++; *k && *k != '}'; k++)
				{
					if (*k == ',')
						appendStringInfoString(&buf, ", ");
					else if (*k != '"')
						appendStringInfoChar(&buf, *k);
				}
				keys = buf.data;
			}
			c->object = TextDatumGetCString(row[0]);
			c->change = TextDatumGetCString(row[2]);
			c->keys = keys;
			*changes = lappend(*changes, c);
		}
	return da.count;
}

PG_FUNCTION_INFO_V1(pgmig_drift);
Datum
pgmig_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = state_relid();
	DriftArgs	da = {CurrentMemoryContext, false, -1, 0, NIL};
	ListCell   *lc;

	pgmig_srf_init(fcinfo);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("pgmig.schema_state does not exist"),
				 errhint("Update the extension: ALTER EXTENSION pgmig UPDATE.")));
	(void) as_state_owner(relid, "compare the schema with the recorded one", drift_work, &da, NULL);
	if (!da.recorded)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("no schema has been recorded yet"),
				 errdetail("pgmig records the schema at the end of every run that changes the applied set."),
				 errhint("Run a migration, or accept the schema as it is now with SELECT pgmig.record_schema().")));
	foreach(lc, da.rows)
	{
		Datum	   *row = lfirst(lc);
		bool		nulls[DRIFT_NCOLS];
		int			c;

		for (c = 0; c < DRIFT_NCOLS; c++)
			nulls[c] = DatumGetBool(row[DRIFT_NCOLS + c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, nulls);
	}
	return (Datum) 0;
}

/* ---- two snapshots, for test_roundtrip() ---- */

typedef struct SnapArgs
{
	MemoryContext cxt;
	Datum		before;			/* in: for changes_work */
	Datum		snapshot;		/* out: snapshot_work */
	List	   *changes;		/* out: changes_work, of PgmigChange */
} SnapArgs;

static void
snapshot_work(void *arg)
{
	SnapArgs   *sa = (SnapArgs *) arg;
	MemoryContext old;
	bool		isnull;

	/* not read-only: see what this transaction's earlier commands did */
	(void) pgmig_spi_exec("SELECT pgmig.snapshot()", 0, NULL, NULL, NULL,
						  false, 1, SPI_OK_SELECT);
	old = MemoryContextSwitchTo(sa->cxt);
	sa->snapshot = pgmig_spi_datum(0, 1, &isnull);
	MemoryContextSwitchTo(old);
	pgmig_spi_done();
}

static void
changes_work(void *arg)
{
	SnapArgs   *sa = (SnapArgs *) arg;
	Oid			types[1] = {JSONBOID};
	Datum		v[1];
	uint64		n;
	uint64		i;

	v[0] = sa->before;
	n = pgmig_spi_exec("SELECT object, change, pg_catalog.array_to_string(keys, ', ')"
					   "  FROM pgmig._snapshot_diff($1, pgmig.snapshot())",
					   1, types, v, NULL, false, 0, SPI_OK_SELECT);
	for (i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(sa->cxt);
		PgmigChange *c = palloc(sizeof(PgmigChange));

		c->object = pgmig_spi_text(i, 1);
		c->change = pgmig_spi_text(i, 2);
		c->keys = pgmig_spi_text(i, 3);
		sa->changes = lappend(sa->changes, c);
		MemoryContextSwitchTo(old);
	}
	pgmig_spi_done();
}

static Oid
state_relid_or_error(const char *caller)
{
	Oid			relid = state_relid();

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("%s needs pgmig 0.4 (schema snapshots)", caller),
				 errhint("Update the extension: ALTER EXTENSION pgmig UPDATE.")));
	return relid;
}

/* The schema now (pgmig.snapshot()), a jsonb Datum in the current context. */
Datum
pgmig_snapshot_now(const char *caller)
{
	SnapArgs	sa = {CurrentMemoryContext, (Datum) 0, (Datum) 0, NIL};

	(void) as_state_owner(state_relid_or_error(caller), "take a snapshot",
						  snapshot_work, &sa, NULL);
	return sa.snapshot;
}

/*
 * How the schema now differs from the snapshot "before": a list of
 * PgmigChange (object id, "added"/"changed"/"removed", changed keys), in
 * the current context; NIL when equal.
 */
List *
pgmig_snapshot_changes(Datum before, const char *caller)
{
	SnapArgs	sa = {CurrentMemoryContext, before, (Datum) 0, NIL};

	(void) as_state_owner(state_relid_or_error(caller), "compare snapshots",
						  changes_work, &sa, NULL);
	return sa.changes;
}
