/*-------------------------------------------------------------------------
 *
 * bookkeeping.c
 *	  Recording what a run did: rows in pgmig.applied and pgmig.journal.
 *
 * Two ways to record:
 *	- one row at a time through prepared statements (PgmigBookkeeping),
 *	  for callers that commit or roll back per revision (migrate(),
 *	  test_roundtrip(), step(), record_step(), stamp());
 *	- a batch (PgmigBatch) that upgrade()/downgrade() fill while they run
 *	  and write at the end in one statement per table.
 *
 * Rules: the caller is connected to SPI.  The prepared plans live in SPI's
 * procedure context and are not saved, so a caller that commits prepares
 * them again in each transaction.  Every function returns with the
 * caller's memory context current (spi_util.c).
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "bookkeeping.h"
#include "spi_util.h"

/*
 * Prepare the bookkeeping statements in SPI's procedure context.  migrate()
 * calls this once per transaction and frees the plans with
 * pgmig_free_bookkeeping(), since unsaved plans are not revalidated across
 * commits.
 */
void
pgmig_prepare_bookkeeping(PgmigBookkeeping *bk)
{
	Oid			t1[1] = {TEXTOID};
	Oid			t3[3] = {TEXTOID, TEXTOID, INTERVALOID};
	Oid			t7[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID, TEXTOID};

	bk->batch = NULL;
	bk->ins_applied = pgmig_spi_prepare(
							  "INSERT INTO pgmig.applied (revision, checksum, duration)"
							  " VALUES ($1, $2, $3)", 3, t3);
	bk->del_applied = pgmig_spi_prepare(
							  "DELETE FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) $1",
							  1, t1);
	bk->ins_journal = pgmig_spi_prepare(
							  "INSERT INTO pgmig.journal"
							  " (action, revision, target, old_checksum, new_checksum, duration, detail)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, t7);
}

void
pgmig_free_bookkeeping(PgmigBookkeeping *bk)
{
	SPI_freeplan(bk->ins_applied);
	SPI_freeplan(bk->del_applied);
	SPI_freeplan(bk->ins_journal);
}

Datum
pgmig_interval_from_usecs(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = usecs;
	return IntervalPGetDatum(iv);
}

/* Bookkeeping is written by pgmig itself, as the schema owner (pgmig.c). */
static void
exec_plan(SPIPlanPtr plan, Datum *values, const char *nulls, int expect)
{
	PgmigOwnerSwitch sw;

	pgmig_become_owner(&sw);
	(void) pgmig_spi_exec_plan(plan, values, nulls, false, 0, expect);
	pgmig_restore_user(&sw);
}

static Datum
text_or_null(const char *s, char *nullflag)
{
	*nullflag = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

void
pgmig_write_journal(PgmigBookkeeping *bk, const char *action, const char *rev,
			  const char *target, const char *old_ck, const char *new_ck,
			  int64 usecs, const char *detail)
{
	Datum		v[7];
	char		n[8] = "       ";

	v[0] = CStringGetTextDatum(action);
	v[1] = text_or_null(rev, &n[1]);
	v[2] = text_or_null(target, &n[2]);
	v[3] = text_or_null(old_ck, &n[3]);
	v[4] = text_or_null(new_ck, &n[4]);
	v[5] = usecs >= 0 ? pgmig_interval_from_usecs(usecs) : (Datum) 0;
	n[5] = usecs >= 0 ? ' ' : 'n';
	v[6] = text_or_null(detail, &n[6]);
	exec_plan(bk->ins_journal, v, n, SPI_OK_INSERT);
}

void
pgmig_record_applied(PgmigBookkeeping *bk, const char *id, const char *checksum, int64 usecs)
{
	Datum		v[3];
	char		n[4] = "   ";

	v[0] = CStringGetTextDatum(id);
	v[1] = CStringGetTextDatum(checksum);
	v[2] = usecs >= 0 ? pgmig_interval_from_usecs(usecs) : (Datum) 0;
	n[2] = usecs >= 0 ? ' ' : 'n';
	exec_plan(bk->ins_applied, v, n, SPI_OK_INSERT);
}

void
pgmig_record_unapplied(PgmigBookkeeping *bk, const char *id)
{
	Datum		v[1];

	v[0] = CStringGetTextDatum(id);
	exec_plan(bk->del_applied, v, NULL, SPI_OK_DELETE);
}

/*
 * upgrade()/downgrade() record their steps at the end of the run, in one
 * statement for pgmig.applied and one for pgmig.journal, instead of two
 * statements per revision: the rows are the same (each keeps its own
 * time and duration) and they commit or roll back with the run anyway.
 */
struct PgmigBatch
{
	MemoryContext cxt;
	bool		down;
	const char *target;
	int			n;
	int			cap;
	Datum	   *ids;
	Datum	   *checksums;
	Datum	   *durations;
	Datum	   *at;
};

PgmigBatch *
pgmig_batch_create(MemoryContext cxt, bool down, const char *target)
{
	PgmigBatch *b = MemoryContextAllocZero(cxt, sizeof(PgmigBatch));

	b->cxt = cxt;
	b->down = down;
	b->target = MemoryContextStrdup(cxt, target);
	b->cap = 64;
	b->ids = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->checksums = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->durations = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	b->at = MemoryContextAlloc(cxt, sizeof(Datum) * b->cap);
	return b;
}

void
pgmig_batch_add(PgmigBatch *b, const char *id, const char *checksum, int64 usecs)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->ids = repalloc(b->ids, sizeof(Datum) * b->cap);
		b->checksums = repalloc(b->checksums, sizeof(Datum) * b->cap);
		b->durations = repalloc(b->durations, sizeof(Datum) * b->cap);
		b->at = repalloc(b->at, sizeof(Datum) * b->cap);
	}
	b->ids[b->n] = CStringGetTextDatum(id);
	b->checksums[b->n] = CStringGetTextDatum(checksum);
	b->durations[b->n] = pgmig_interval_from_usecs(usecs);
	b->at[b->n] = TimestampTzGetDatum(GetCurrentTimestamp());
	b->n++;
	MemoryContextSwitchTo(old);
}

void
pgmig_batch_flush(PgmigBatch *b)
{
	Oid			types[6] = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTOID, TEXTOID};
	Datum		v[6];
	uint64		rows;

	if (b->n == 0)
		return;
	v[0] = PointerGetDatum(construct_array(b->ids, b->n, TEXTOID, -1, false, TYPALIGN_INT));
	v[1] = PointerGetDatum(construct_array(b->checksums, b->n, TEXTOID, -1, false, TYPALIGN_INT));
	v[2] = PointerGetDatum(construct_array(b->at, b->n, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[3] = PointerGetDatum(construct_array(b->durations, b->n, INTERVALOID, sizeof(Interval),
										   false, TYPALIGN_DOUBLE));
	v[4] = CStringGetTextDatum(b->down ? "downgrade" : "upgrade");
	v[5] = CStringGetTextDatum(b->target);

	if (b->down)
		rows = pgmig_exec_as_owner("DELETE FROM pgmig.applied"
								   " WHERE revision OPERATOR(pg_catalog.=) ANY ($1)",
								   1, types, v, NULL, SPI_OK_DELETE);
	else
		rows = pgmig_exec_as_owner("INSERT INTO pgmig.applied (revision, checksum, applied_at, duration)"
								   " SELECT u.r, u.c, u.a, u.d"
								   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS u(r, c, a, d, o)"
								   "  ORDER BY u.o",
								   4, types, v, NULL, SPI_OK_INSERT);
	if (rows != (uint64) b->n)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("pgmig.applied changed under the run"),
				 errdetail_plural("Recording the run should have changed %d row of pgmig.applied, but changed %llu: a revision script wrote to pgmig.applied itself.",
								  "Recording the run should have changed %d rows of pgmig.applied, but changed %llu: a revision script wrote to pgmig.applied itself.",
								  b->n, b->n, (unsigned long long) rows),
				 errhint("Revision scripts must not write to pgmig's own tables.")));
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (at, action, revision, target, new_checksum, duration)"
							   " SELECT u.a, $5, u.r, $6, u.c, u.d"
							   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS u(r, c, a, d, o)"
							   "  ORDER BY u.o",
							   6, types, v, NULL, SPI_OK_INSERT);
	b->n = 0;
}
