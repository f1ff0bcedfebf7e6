/*-------------------------------------------------------------------------
 *
 * graphstore.c
 *	  The stored graph image: pgmig.graph_image holds the image (format in
 *	  core/graphimg.h) of the graph pgmig.revision describes, so a new
 *	  backend reads one row instead of every revision.
 *
 * Rules:
 *	- Writing: every statement that changes pgmig.revision writes the
 *	  image from the graph its statement trigger validated
 *	  (revision_triggers.c).  The trigger first locks the image row, then
 *	  reads the graph with a fresh snapshot: two loaders queue on the row,
 *	  and the second reads the graph after the first committed, so the
 *	  committed image always describes the committed rows (REPEATABLE READ
 *	  gets a serialization error instead).  TRUNCATE clears the image.  The
 *	  row is written as pgmig itself (the extension owner): nobody needs,
 *	  or gets, a privilege on it.
 *	- Reading: the image is used only when the caller may SELECT from
 *	  pgmig.revision and that table has no row level security, so it never
 *	  answers a role the table itself would not answer; otherwise the
 *	  caller reads the tables (and gets their error).
 *	- The image holds no state: the applied set is read from pgmig.applied
 *	  at every use, as the caller, in the same fresh snapshot as the image.
 *	- Changes that bypass the triggers (session_replication_role =
 *	  replica, superuser only) are not noticed by readers, exactly as the
 *	  0.3 cache does not notice them: nothing cheap tells such a change
 *	  apart from the ordinary statements readers must not pay for (an
 *	  INSERT ... ON CONFLICT DO NOTHING advances pgmig.revision_seq as a
 *	  bypassed INSERT does, and every no-op client load is one).  check()
 *	  reads the tables and reports any difference between them and the
 *	  image; pgmig.refresh_graph() rewrites it.
 *	- Memory: everything is allocated in the caller's context.
 *
 *-------------------------------------------------------------------------
 */
#include "graphstore.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "core/graphimg.h"

#include "spi_util.h"

static const char *image_read_query = "SELECT image FROM pgmig.graph_image";

static const char *image_write_query = "UPDATE pgmig.graph_image SET image = $1";

static Oid
pgmig_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/* Run one statement on pgmig.graph_image as pgmig itself; returns rows. */
static uint64
image_exec(const char *sql, int nargs, Oid *types, Datum *values,
		   const char *nulls, bool read_only, int expect)
{
	PgmigOwnerSwitch sw;
	uint64		rows;

	pgmig_become_owner(&sw);
	rows = pgmig_spi_exec(sql, nargs, types, values, nulls, read_only, 0, expect);
	pgmig_restore_user(&sw);
	return rows;
}

void
pgmig_graph_image_lock(void)
{
	Oid			relid = pgmig_relid("graph_image");

	if (!OidIsValid(relid))
		return;					/* extension version 0.3 or older */
	(void) image_exec("SELECT 1 FROM pgmig.graph_image FOR UPDATE",
					  0, NULL, NULL, NULL, false, SPI_OK_SELECT);
	pgmig_spi_done();
}

/* The image of a graph as a bytea, or NULL when it has problems. */
static bytea *
image_of(PgmigGraph *pg)
{
	unsigned char *flags;
	unsigned char *buf;
	size_t		len;
	bytea	   *result;
	pm_error	err;
	int			i;

	if (pm_graph_nproblems(pg->g) > 0)
		return NULL;
	flags = palloc(pg->n + 1);
	for (i = 0; i < pg->n; i++)
		flags[i] = (pg->transactional[i] ? PM_IMAGE_TRANSACTIONAL : 0) |
			(pg->irreversible[i] ? PM_IMAGE_IRREVERSIBLE : 0);
	buf = pm_image_write(pg->g, (const char *const *) pg->message, flags,
						 &len, &err);
	if (buf == NULL)
		return NULL;
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), buf, len);
	pfree(buf);
	pfree(flags);
	return result;
}

void
pgmig_graph_image_write(PgmigGraph *pg)
{
	Oid			relid = pgmig_relid("graph_image");
	Oid			types[1] = {BYTEAOID};
	Datum		v[1];
	bytea	   *image;

	if (!OidIsValid(relid))
		return;
	image = image_of(pg);
	v[0] = PointerGetDatum(image);
	(void) image_exec(image_write_query, 1, types, v,
					  image ? " " : "n", false, SPI_OK_UPDATE);
}

PG_FUNCTION_INFO_V1(pgmig_graph_image_clear);
Datum
pgmig_graph_image_clear(PG_FUNCTION_ARGS)
{
	Oid			relid = pgmig_relid("graph_image");
	MemoryContext cxt;
	MemoryContext oldcxt;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_graph_image_clear: not called as a trigger");
	cxt = pgmig_call_begin("pgmig graph image", &oldcxt);
	if (OidIsValid(relid))
		(void) image_exec("UPDATE pgmig.graph_image SET image = NULL",
						  0, NULL, NULL, NULL, false, SPI_OK_UPDATE);
	pgmig_call_end(cxt, oldcxt);
	return PointerGetDatum(NULL);
}

/*
 * pgmig.refresh_graph(): rewrite the image from the tables (after a
 * restore, or a change made with the triggers disabled).  Returns the
 * number of revisions in it, or NULL when the graph has problems (then
 * there is no image and readers read the tables; check() lists them).
 */
PG_FUNCTION_INFO_V1(pgmig_refresh_graph);
Datum
pgmig_refresh_graph(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	PgmigGraph *pg;
	bool		ok;
	int			n;

	cxt = pgmig_call_begin("pgmig refresh graph", &oldcxt);
	pgmig_graph_image_lock();
	pg = pgmig_load_graph(false);
	ok = pm_graph_nproblems(pg->g) == 0;
	n = pg->n;
	pgmig_graph_image_write(pg);
	pgmig_call_end(cxt, oldcxt);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_INT32(n);
}

/* May the image answer this caller?  Only if the table itself would. */
static bool
caller_may_use_image(void)
{
	Oid			revid = pgmig_relid("revision");

	if (!OidIsValid(revid))
		return false;
	if (pg_class_aclcheck(revid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return false;
	if (check_enable_rls(revid, InvalidOid, true) == RLS_ENABLED)
		return false;
	return true;
}

/* Mark the applied revisions, read from pgmig.applied as the caller. */
static void
read_applied(PgmigGraph *pg)
{
	uint64		rows;
	uint64		t;

	pg->applied_at = palloc0(sizeof(TimestampTz) * (pg->n + 1));
	rows = pgmig_spi_exec("SELECT revision, applied_at FROM pgmig.applied",
						  0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT);
	for (t = 0; t < rows; t++)
	{
		HeapTuple	tup = SPI_tuptable->vals[t];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d = SPI_getbinval(tup, desc, 1, &isnull);
		text	   *txt;
		char		id[PM_MAX_ID_LEN + 1];
		int			len;
		int			v;

		if (isnull)
			continue;
		txt = DatumGetTextPP(d);
		len = VARSIZE_ANY_EXHDR(txt);
		if (len > PM_MAX_ID_LEN)
			continue;			/* no revision has such an id */
		memcpy(id, VARDATA_ANY(txt), len);
		id[len] = '\0';
		v = pm_graph_find(pg->g, id);
		if (v < 0)
			continue;			/* an applied row without revision: check() */
		pm_graph_set_applied(pg->g, v, true);
		d = SPI_getbinval(tup, desc, 2, &isnull);
		pg->applied_at[v] = isnull ? 0 : DatumGetTimestampTz(d);
		pg->napplied++;
	}
	pgmig_spi_done();
}

PgmigGraph *
pgmig_graph_from_image(void)
{
	Oid			relid = pgmig_relid("graph_image");
	MemoryContext cxt = CurrentMemoryContext;
	PgmigGraph *pg = NULL;
	bytea	   *image;
	bool		isnull;
	pm_image	img;
	pm_error	err;
	int			i;

	if (!OidIsValid(relid) || !caller_may_use_image())
		return NULL;

	/* a fresh snapshot, as pgmig_load_graph: see what a lock waited for */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	PG_TRY();
	{
		if (image_exec(image_read_query, 0, NULL, NULL, NULL, true,
					   SPI_OK_SELECT) == 1)
		{
			image = (bytea *) DatumGetPointer(pgmig_spi_datum(0, 1, &isnull));
			pgmig_spi_done();
			if (!isnull)
			{
				image = pg_detoast_datum_packed(image);
				if (pm_image_read((unsigned char *) VARDATA_ANY(image),
								  VARSIZE_ANY_EXHDR(image), &img, &err))
				{
					pg = palloc0(sizeof(PgmigGraph));
					pg->g = pm_image_graph(&img);
					pg->n = img.n;
					pg->message = palloc(sizeof(char *) * (img.n + 1));
					pg->transactional = palloc(sizeof(bool) * (img.n + 1));
					pg->irreversible = palloc(sizeof(bool) * (img.n + 1));
					pg->changed_from = palloc0(sizeof(char *) * (img.n + 1));
					pg->changed_to = palloc0(sizeof(char *) * (img.n + 1));
					for (i = 0; i < img.n; i++)
					{
						pg->message[i] = (char *) img.revs[i].message;
						pg->transactional[i] = (img.revs[i].flags & PM_IMAGE_TRANSACTIONAL) != 0;
						pg->irreversible[i] = (img.revs[i].flags & PM_IMAGE_IRREVERSIBLE) != 0;
					}
					/* img and the buffer stay allocated: the graph borrows them */
					if (pm_graph_nproblems(pg->g) > 0)
						pg = NULL;	/* never written so; read the tables */
					else
						read_applied(pg);
				}
				else
					ereport(WARNING,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("%s", err.msg),
							 errdetail("pgmig reads the revision graph from pgmig.revision instead."),
							 errhint("Rewrite the image with SELECT pgmig.refresh_graph().")));
			}
		}
		else
			pgmig_spi_done();
	}
	PG_FINALLY();
	{
		PopActiveSnapshot();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return pg;
}

char *
pgmig_graph_image_problem(PgmigGraph *from_tables)
{
	Oid			relid = pgmig_relid("graph_image");
	bytea	   *stored;
	bytea	   *now;
	bool		isnull;
	MemoryContext cxt = CurrentMemoryContext;

	if (!OidIsValid(relid))
		return NULL;
	if (image_exec(image_read_query, 0, NULL, NULL, NULL, false,
				   SPI_OK_SELECT) != 1)
	{
		pgmig_spi_done();
		MemoryContextSwitchTo(cxt);
		return pstrdup("table pgmig.graph_image does not hold exactly one row");
	}
	stored = (bytea *) DatumGetPointer(pgmig_spi_datum(0, 1, &isnull));
	pgmig_spi_done();
	MemoryContextSwitchTo(cxt);
	if (isnull)
		return NULL;			/* no image: every reader reads the tables */
	stored = pg_detoast_datum_packed(stored);
	now = image_of(from_tables);
	if (now != NULL && VARSIZE_ANY_EXHDR(stored) == VARSIZE_ANY_EXHDR(now) &&
		memcmp(VARDATA_ANY(stored), VARDATA_ANY(now), VARSIZE_ANY_EXHDR(now)) == 0)
		return NULL;
	return pstrdup("the stored graph image does not match pgmig.revision: it was changed with its triggers disabled (session_replication_role = replica)");
}
