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
 * upgrade()/downgrade() record their steps at the end of the run, a
 * statement for pgmig.applied and one for pgmig.journal per chunk of
 * BATCH_CHUNK steps, instead of two statements per revision: the rows are
 * the same (each keeps its own time and duration) and they commit or roll
 * back with the run anyway.  While the run goes, a step costs its id and
 * checksum packed in one buffer and 16 bytes: at 100,000 revisions a text
 * datum each (a 64-character checksum takes a 128-byte chunk) and arrays
 * of every row built at once were a third of the backend's memory.
 */
#define BATCH_CHUNK 8192

typedef struct BatchStep
{
	int64		usecs;
	TimestampTz at;
} BatchStep;

struct PgmigBatch
{
	MemoryContext cxt;
	bool		down;
	const char *target;
	int			n;
	int			cap;
	BatchStep  *steps;
	StringInfoData names;		/* each step's id and checksum, NUL-ended */
};

PgmigBatch *
pgmig_batch_create(MemoryContext cxt, bool down, const char *target)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	PgmigBatch *b = palloc0(sizeof(PgmigBatch));

	b->cxt = cxt;
	b->down = down;
	b->target = pstrdup(target);
	b->cap = 64;
	b->steps = palloc(sizeof(BatchStep) * b->cap);
	initStringInfo(&b->names);
	MemoryContextSwitchTo(old);
	return b;
}

void
pgmig_batch_add(PgmigBatch *b, const char *id, const char *checksum, int64 usecs)
{
	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->steps = repalloc(b->steps, sizeof(BatchStep) * b->cap);
	}
	b->steps[b->n].usecs = usecs;
	b->steps[b->n].at = GetCurrentTimestamp();
	/* the buffer grows in its own context (b->cxt), whatever is current */
	appendBinaryStringInfo(&b->names, id, strlen(id) + 1);
	appendBinaryStringInfo(&b->names, checksum, strlen(checksum) + 1);
	b->n++;
}

/* Record steps [first, first + m) whose names begin at *p; advances *p. */
static void
batch_flush_chunk(PgmigBatch *b, int first, int m, const char **p)
{
	Oid			types[6] = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTOID, TEXTOID};
	Datum	   *ids = palloc(sizeof(Datum) * m);
	Datum	   *checksums = palloc(sizeof(Datum) * m);
	Datum	   *at = palloc(sizeof(Datum) * m);
	Datum	   *durations = palloc(sizeof(Datum) * m);
	Datum		v[6];
	uint64		rows;
	int			k;

	for (k = 0; k < m; k++)
	{
		const BatchStep *st = &b->steps[first + k];

		ids[k] = CStringGetTextDatum(*p);
		*p += strlen(*p) + 1;
		checksums[k] = CStringGetTextDatum(*p);
		*p += strlen(*p) + 1;
		at[k] = TimestampTzGetDatum(st->at);
		durations[k] = pgmig_interval_from_usecs(st->usecs);
	}
	v[0] = PointerGetDatum(construct_array(ids, m, TEXTOID, -1, false, TYPALIGN_INT));
	v[1] = PointerGetDatum(construct_array(checksums, m, TEXTOID, -1, false, TYPALIGN_INT));
	v[2] = PointerGetDatum(construct_array(at, m, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[3] = PointerGetDatum(construct_array(durations, m, INTERVALOID, sizeof(Interval),
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
	if (rows != (uint64) m)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("pgmig.applied changed under the run"),
				 errdetail_plural("Recording the run should have changed %d row of pgmig.applied, but changed %llu: a revision script wrote to pgmig.applied itself.",
								  "Recording the run should have changed %d rows of pgmig.applied, but changed %llu: a revision script wrote to pgmig.applied itself.",
								  m, m, (unsigned long long) rows),
				 errhint("Revision scripts must not write to pgmig's own tables.")));
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (at, action, revision, target, new_checksum, duration)"
							   " SELECT u.a, $5, u.r, $6, u.c, u.d"
							   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS u(r, c, a, d, o)"
							   "  ORDER BY u.o",
							   6, types, v, NULL, SPI_OK_INSERT);
}

void
pgmig_batch_flush(PgmigBatch *b)
{
	MemoryContext chunkcxt;
	MemoryContext old;
	const char *p = b->names.data;
	int			first;

	if (b->n == 0)
		return;
	/* each chunk's arrays and datums are freed before the next is built */
	chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig batch chunk",
									 ALLOCSET_DEFAULT_SIZES);
	for (first = 0; first < b->n; first += BATCH_CHUNK)
	{
		old = MemoryContextSwitchTo(chunkcxt);
		batch_flush_chunk(b, first, Min(BATCH_CHUNK, b->n - first), &p);
		MemoryContextSwitchTo(old);
		MemoryContextReset(chunkcxt);
	}
	MemoryContextDelete(chunkcxt);
	b->n = 0;
	resetStringInfo(&b->names);
}
