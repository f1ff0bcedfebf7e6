/*-------------------------------------------------------------------------
 *
 * graphverify.c
 *	  check()'s record of what it verified: pgmig.graph_verified names every
 *	  row version of pgmig.revision whose scripts check() hashed and found
 *	  equal to its checksum column, by (ctid, raw xmin), and the version of
 *	  the pgmig.graph_image row that it found equal to those rows.  A later
 *	  check() recomputes checksums only for row versions not named there,
 *	  and trusts the image only when every row version and the image row
 *	  are exactly the recorded ones.  With those, the record can also name
 *	  every row version of pgmig.applied, when each applied checksum was
 *	  the stored checksum of the revision it names, with that revision's
 *	  number in the image: a check() or status() then reads only the
 *	  headers of the row versions it names (their checksums are still
 *	  right, their revisions the recorded ones) and compares the others
 *	  (at 100,000 applied revisions the checksums' fetch, copy and
 *	  comparison and the ids' lookup were a third of the call).
 *
 * Why a row version is known by (ctid, raw xmin) -- the soundness argument:
 *	- A heap tuple's content never changes in place.  Every UPDATE, DELETE
 *	  plus INSERT, or INSERT -- with or without triggers (session_replication_
 *	  role = replica or DISABLE TRIGGER only skip triggers) -- makes a new
 *	  tuple, stamped with the xid of the (sub)transaction that made it.
 *	  Hint bits, xmax and freezing change the header only: since 9.4
 *	  freezing sets infomask bits and keeps the raw xmin, which is what is
 *	  read here (HeapTupleHeaderGetRawXmin; the xmin system column is the
 *	  same).  In-place updates exist for system catalogs only, and the
 *	  TOAST table of pgmig.revision refuses DML (a script can only change by
 *	  a new heap tuple pointing at new TOAST chunks).
 *	- So a new version can look like a recorded one only if it sits at the
 *	  same ctid with the same 32-bit xmin.  The slot must have been freed:
 *	  the recorded tuple was visible to the verifying check(), so its
 *	  inserter had committed, or was the verifying transaction itself; a
 *	  slot is reused only after its tuple is dead to every transaction
 *	  (its deleter committed and is older than every snapshot), so a tuple
 *	  stamped with the same xid can be written into it only by a
 *	  transaction that is still running then -- not a committed one, and
 *	  not the verifying transaction either, whose own deletions stay
 *	  unremovable until it ends.  What remains is a new transaction given
 *	  the same 32-bit xid: xids wrap around after 2^32.  The record keeps
 *	  the 64-bit next xid at verification, V, and expires before any xid
 *	  assigned since V can equal a recorded xmin: a recorded xmin X can
 *	  recur only as V + ((X - V) mod 2^32), so the record is used only
 *	  while the next xid is at most V + min over X of ((X - V) mod 2^32),
 *	  and never beyond V + 2^31.  (Frozen tuples keep an old raw xmin whose
 *	  residue can be anything: this is what the minimum is for.)  The
 *	  transactions already running at verification (xids from the
 *	  snapshot's xmin up to V) can write later too: an unfrozen recorded
 *	  xmin in that range is a committed or the verifying transaction's own
 *	  xid, never a running one's, but a frozen tuple's old raw xmin might
 *	  equal a running xid in its low 32 bits, so such a tuple is not
 *	  recorded (it is hashed again next time; the chance is tiny).
 *	- Rewrites keep xmins but move tuples: VACUUM FULL, CLUSTER, and
 *	  ALTER TABLE rewrites (which can run inside the verifying transaction)
 *	  all give the table a new relfilenode; the record names the
 *	  relfilenodes of pgmig.revision and pgmig.graph_image and is void for
 *	  any other.  TRUNCATE likewise.
 *	- pgmig.applied's part is the same kind of fact about the same kind of
 *	  tuples (ctid, raw xmin, relfilenode, the same xid bound and frozen
 *	  rule), and it is used only together with the revision part and the
 *	  image row: "this applied row names revision R and carries checksum
 *	  C, the stored checksum of R, the N-th revision of the image" stays
 *	  true while neither tuple nor the image row changes.
 *	  It is recorded only when the verifier read every row of pgmig.applied
 *	  (no row level security hid one from it) and found no checksum that
 *	  differs, and then names every row it read.  A row version it does
 *	  not name (changed, moved, new) is compared; one it names that is gone
 *	  only makes the part rewritten.
 *	- Subtransactions: a row version made in a subtransaction carries the
 *	  subtransaction's xid, a new one.  A record written in a
 *	  subtransaction that rolls back is rolled back with it; the record is
 *	  written inside check()'s own transaction, so a check() in a
 *	  transaction that later aborts leaves nothing.  Tampering in the same
 *	  transaction after a check() makes new tuples (new ctid and the
 *	  transaction's or subtransaction's xid), which the record does not
 *	  name: the next check() recomputes them.
 *	- Concurrency: each recorded pair is a fact about one tuple version,
 *	  true whatever the order in which records are written; two check()s
 *	  writing at once simply leave the later one's record.  A record that
 *	  cannot be written without waiting or failing (read-only or
 *	  serializable transaction, hot standby, serialization failure, lock
 *	  not available) is not written: the next check() does the work again.
 *	- Who can write the record: pgmig itself (the extension owner), and
 *	  superusers.  PUBLIC has no privilege on pgmig.graph_verified; a role
 *	  that can write it can also write pgmig's tables with triggers on, so
 *	  forging the record gives nothing the role did not have.  What check()
 *	  promises is that a change made with pgmig's triggers bypassed is
 *	  found, not that a superuser who also forges pgmig's internal record
 *	  is.
 *
 * Rules:
 *	- The caller is connected to SPI and has pushed the snapshot that the
 *	  whole check reads with: the record is compared with the row versions
 *	  that snapshot shows.  Scans here read tuple headers, and of
 *	  pgmig.applied's rows the record does not name, the revision and the
 *	  checksum (the caller made sure it may read every row directly).
 *	- The record is read and written as pgmig (pgmig_become_owner); nobody
 *	  needs a privilege on it.  Writing happens in an internal
 *	  subtransaction; only the failures listed above are swallowed.
 *	- Memory: the caller's context.
 *
 * Record format (bytea, little-endian): "PMV2", u32 relfilenode of
 * pgmig.revision, u32 relfilenode of pgmig.graph_image, u64 the next xid
 * may not pass this, u8 1 when the image matched the rows (then u48 ctid
 * and u32 xmin of the image row follow, else nothing), then pgmig.revision's
 * row versions: u32 their number, u32 the number of runs, and the runs in
 * ctid order, each u48 first ctid, u32 xmin, u16 count (count consecutive
 * offsets in one block, all with that xmin); then, when there is a
 * pgmig.applied part, u8 'A', u32 relfilenode of pgmig.applied, and its
 * row versions the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "graphstore.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/revfile.h"
#include "spi_util.h"
#include "subxact.h"

static const char verified_magic[4] = {'P', 'M', 'V', '2'};

uint64
pgmig_tid_key(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

static Oid
verify_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

int
pgmig_row_key_cmp(const void *a, const void *b)
{
	const PgmigRowKey *x = a;
	const PgmigRowKey *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->xmin != y->xmin)
		return x->xmin < y->xmin ? -1 : 1;
	return 0;
}

/* ---- encoding ---- */

static void
put_le(StringInfo buf, uint64 v, int bytes)
{
	int			k;

	for (k = 0; k < bytes; k++)
		appendStringInfoChar(buf, (char) ((v >> (8 * k)) & 0xff));
}

static bool
get_le(const unsigned char **p, const unsigned char *end, int bytes, uint64 *out)
{
	int			k;

	if (end - *p < bytes)
		return false;
	*out = 0;
	for (k = bytes - 1; k >= 0; k--)
		*out = (*out << 8) | (*p)[k];
	*p += bytes;
	return true;
}

/*
 * A run of recorded row versions: one block, one xmin, count consecutive
 * offsets from first's.  Rows loaded or applied together are runs of a
 * page each: at 100,000 applied revisions 2,223 runs, 27 kB, where a key
 * each took 1 MB, and its write (after every upgrade) and read cost more
 * than the comparisons they save.
 */
typedef struct KeyRun
{
	uint64		first;
	uint32		xmin;
	uint32		count;
	int32		rev;			/* pgmig.applied's part: the first row's revision */
} KeyRun;

/*
 * A run's bytes: u48 first ctid, u32 xmin, u16 count; pgmig.applied's runs
 * add u32 the number (in the image) of the revision the first row names,
 * the next rows naming the next ones (0xffffffff: none), so that a row the
 * record names is marked applied without reading its id.
 */
#define RUN_BYTES 12
#define APPLIED_RUN_BYTES 16
#define NO_REV UINT64CONST(0xffffffff)

static inline void
run_at(const unsigned char *runs, int width, int r, KeyRun *run)
{
	const unsigned char *p = runs + (Size) width * r;

	run->first = (uint64) p[0] | (uint64) p[1] << 8 | (uint64) p[2] << 16 |
		(uint64) p[3] << 24 | (uint64) p[4] << 32 | (uint64) p[5] << 40;
	run->xmin = (uint32) p[6] | (uint32) p[7] << 8 | (uint32) p[8] << 16 |
		(uint32) p[9] << 24;
	run->count = (uint32) p[10] | (uint32) p[11] << 8;
	run->rev = -1;
	if (width == APPLIED_RUN_BYTES)
	{
		uint32		x = (uint32) p[12] | (uint32) p[13] << 8 |
			(uint32) p[14] << 16 | (uint32) p[15] << 24;

		run->rev = x == (uint32) NO_REV || x > (uint32) PG_INT32_MAX ? -1 : (int32) x;
	}
}

/* The recorded keys of one part, one after the other, in ctid order. */
typedef struct RunCursor
{
	const unsigned char *runs;
	int			width;
	int			nruns;
	int			r;
	uint32		k;
	KeyRun		cur;
} RunCursor;

static void
cursor_init(RunCursor *c, const unsigned char *runs, int width, int nruns)
{
	c->runs = runs;
	c->width = width;
	c->nruns = nruns;
	c->r = 0;
	c->k = 0;
	memset(&c->cur, 0, sizeof(KeyRun));
	if (nruns > 0)
		run_at(runs, width, 0, &c->cur);
}

/* The next recorded key; false after the last. */
static inline bool
cursor_next(RunCursor *c, PgmigRowKey *key)
{
	if (c->r >= c->nruns)
		return false;
	key->tid = c->cur.first + c->k;
	key->xmin = c->cur.xmin;
	key->frozen = false;
	key->rev = c->cur.rev < 0 ? -1 : c->cur.rev + (int) c->k;
	if (++c->k == c->cur.count)
	{
		c->r++;
		c->k = 0;
		if (c->r < c->nruns)
			run_at(c->runs, c->width, c->r, &c->cur);
	}
	return true;
}

/*
 * One part's runs: u32 keys, u32 runs, the runs.  False unless every run
 * is non-empty, stays in its block and starts after the previous one ends,
 * and the counts add up (anything else was not written by pgmig).
 */
static bool
get_runs(const unsigned char **p, const unsigned char *end, int width,
		 int *nkeys, int *nruns, const unsigned char **runs)
{
	uint64		n;
	uint64		nr;
	uint64		sum = 0;
	uint64		last_end = 0;
	int			r;

	if (!get_le(p, end, 4, &n) || !get_le(p, end, 4, &nr) ||
		nr > (uint64) (end - *p) / width)
		return false;
	for (r = 0; r < (int) nr; r++)
	{
		KeyRun		run;

		run_at(*p, width, r, &run);
		if (run.count == 0 || (run.first & 0xffff) + run.count - 1 > 0xffff ||
			(r > 0 && run.first < last_end) ||
			(run.rev >= 0 && (uint64) run.rev + run.count - 1 > PG_INT32_MAX))
			return false;
		last_end = run.first + run.count;
		sum += run.count;
	}
	if (sum != n)
		return false;
	*nkeys = (int) n;
	*nruns = (int) nr;
	*runs = *p;
	*p += nr * width;
	return true;
}

/*
 * Parse a record (its runs stay in place: v points into p); false for
 * anything malformed (then it is not used).
 */
static bool
decode(const unsigned char *p, size_t len, PgmigVerified *v)
{
	const unsigned char *end = p + len;
	uint64		x;

	if (len < 4 || memcmp(p, verified_magic, 4) != 0)
		return false;
	p += 4;
	if (!get_le(&p, end, 4, &x))
		return false;
	v->rev_node = (Oid) x;
	if (!get_le(&p, end, 4, &x))
		return false;
	v->img_node = (Oid) x;
	if (!get_le(&p, end, 8, &v->valid_below) || !get_le(&p, end, 1, &x) || x > 1)
		return false;
	v->image_ok = x == 1;
	if (v->image_ok)
	{
		if (!get_le(&p, end, 6, &v->image.tid) || !get_le(&p, end, 4, &x))
			return false;
		v->image.xmin = (uint32) x;
	}
	if (!get_runs(&p, end, RUN_BYTES, &v->n, &v->nruns, &v->runs))
		return false;
	if (p == end)
		return true;			/* no pgmig.applied part */
	if (!get_le(&p, end, 1, &x) || x != 'A' || !get_le(&p, end, 4, &x))
		return false;
	v->app_node = (Oid) x;
	if (!get_runs(&p, end, APPLIED_RUN_BYTES, &v->m, &v->mruns, &v->app_runs) ||
		p != end)
		return false;
	v->applied_ok = true;
	return true;
}

/* The relfilenode of a pgmig table, or InvalidOid. */
static Oid
rel_node(Oid relid)
{
	Relation	rel;
	Oid			node;

	if (!OidIsValid(relid))
		return InvalidOid;
	rel = table_open(relid, AccessShareLock);
	node = PGMIG_REL_FILENODE(rel);
	table_close(rel, AccessShareLock);
	return node;
}

void
pgmig_verified_read(PgmigVerified *v)
{
	Oid			relid = verify_relid("graph_verified");
	bytea	   *state;
	bool		isnull;
	FullTransactionId next;
	Datum		d;

	memset(v, 0, sizeof(PgmigVerified));
	if (!OidIsValid(relid))
		return;					/* extension older than this record */
	/* read directly (no query to plan in a new backend), as pgmig would */
	if (pgmig_read_rows_direct(relid, "state", BYTEAOID, pgmig_value_copy,
							   &d, &isnull, NULL) != 1 || isnull)
		return;
	state = pg_detoast_datum_packed((bytea *) DatumGetPointer(d));
	if (!decode((unsigned char *) VARDATA_ANY(state), VARSIZE_ANY_EXHDR(state), v))
	{
		memset(v, 0, sizeof(PgmigVerified));
		return;
	}
	next = ReadNextFullTransactionId();
	v->valid = U64FromFullTransactionId(next) <= v->valid_below &&
		v->rev_node == rel_node(verify_relid("revision")) &&
		v->img_node == rel_node(verify_relid("graph_image"));
	v->applied_ok = v->valid && v->applied_ok &&
		v->app_node == rel_node(verify_relid("applied"));
}

bool
pgmig_verified_has(const PgmigVerified *v, uint64 tid, uint32 xmin)
{
	int			lo = 0;
	int			hi;
	KeyRun		run;

	if (!v->valid || v->nruns == 0)
		return false;
	/* the last run starting at or before tid */
	hi = v->nruns;
	while (hi - lo > 1)
	{
		int			mid = lo + (hi - lo) / 2;

		run_at(v->runs, RUN_BYTES, mid, &run);
		if (run.first <= tid)
			lo = mid;
		else
			hi = mid;
	}
	run_at(v->runs, RUN_BYTES, lo, &run);
	return tid >= run.first && tid - run.first < run.count && xmin == run.xmin;
}

/*
 * Visit every visible tuple of a pgmig table in the active snapshot, in
 * ctid order (no synchronized scan), reading its header (and what the
 * visitor reads of the tuple, in the table's descriptor).  Returns false
 * when the table is not a heap (then nothing is compared) or a visitor
 * stopped the scan.
 */
typedef bool (*KeyVisitor) (PgmigRowKey key, HeapTuple tup, TupleDesc desc,
							void *arg);

static bool
scan_keys(Oid relid, KeyVisitor visit, void *arg)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableScanDesc scan;
	HeapTuple	tup;
	bool		ok = true;

	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	scan = table_beginscan_strat(rel, GetActiveSnapshot(), 0, NULL, true, false);
	while (ok && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		PgmigRowKey key;

		key.tid = pgmig_tid_key(&tup->t_self);
		key.xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
		key.frozen = HeapTupleHeaderXminFrozen(tup->t_data);
		key.rev = -1;
		ok = visit(key, tup, RelationGetDescr(rel), arg);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return ok;
}

typedef struct SameState
{
	const PgmigVerified *v;
	RunCursor	c;
	int			next;
	int			count;
} SameState;

static bool
visit_same(PgmigRowKey key, HeapTuple tup, TupleDesc desc, void *arg)
{
	SameState  *st = arg;
	PgmigRowKey at;

	if (!cursor_next(&st->c, &at) || pgmig_row_key_cmp(&key, &at) != 0)
		return false;
	st->next++;
	return true;
}

static bool
visit_image(PgmigRowKey key, HeapTuple tup, TupleDesc desc, void *arg)
{
	SameState  *st = arg;

	st->count++;
	return st->count == 1 && pgmig_row_key_cmp(&key, &st->v->image) == 0;
}

bool
pgmig_verified_unchanged(const PgmigVerified *v)
{
	SameState	st = {v};

	if (!v->valid || !v->image_ok)
		return false;
	cursor_init(&st.c, v->runs, RUN_BYTES, v->nruns);
	if (!scan_keys(verify_relid("revision"), visit_same, &st) || st.next != v->n)
		return false;
	st.count = 0;
	return scan_keys(verify_relid("graph_image"), visit_image, &st) && st.count == 1;
}

typedef struct CollectState
{
	PgmigRowKey *keys;
	int			n;
	int			cap;
} CollectState;

static bool
visit_collect(PgmigRowKey key, HeapTuple tup, TupleDesc desc, void *arg)
{
	CollectState *st = arg;

	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->keys = repalloc_huge(st->keys, sizeof(PgmigRowKey) * st->cap);
	}
	st->keys[st->n++] = key;
	return true;
}

PgmigRowKey *
pgmig_row_keys(const char *table, int *n)
{
	Oid			relid = verify_relid(table);
	CollectState st = {palloc(sizeof(PgmigRowKey) * 1024), 0, 1024};

	*n = 0;
	if (!OidIsValid(relid) || !scan_keys(relid, visit_collect, &st))
		return NULL;
	*n = st.n;
	return st.keys;
}

/*
 * pgmig.applied's rows against the record's part for them, in one pass in
 * ctid order (a merge: both are in ctid order).  Rows the record names are
 * "known"; a row it does not name, or a recorded one gone, makes the pass
 * collect every row's key from then on (and the known ones before it, from
 * the record), for a new record.
 */
typedef struct AppliedScanState
{
	RunCursor	c;
	PgmigRowKey rec;			/* the record's next key, when has_rec */
	bool		has_rec;
	int			nsync;			/* rows read before the first difference */
	bool		collecting;
	CollectState keys;
	const PgmigVerified *v;
	AttrNumber	att_rev;
	AttrNumber	att_ck;
	PgmigAppliedRowFn row;
	void	   *arg;
} AppliedScanState;

/* The first difference: the rows read so far were the record's first keys. */
static void
applied_diverge(AppliedScanState *st)
{
	RunCursor	c;
	int			k;

	if (st->collecting)
		return;
	st->collecting = true;
	st->keys.cap = Max(1024, st->nsync + 1024);
	st->keys.keys = palloc_extended(sizeof(PgmigRowKey) * st->keys.cap,
									MCXT_ALLOC_HUGE);
	st->keys.n = 0;
	cursor_init(&c, st->v->app_runs, APPLIED_RUN_BYTES, st->v->mruns);
	for (k = 0; k < st->nsync; k++)
		(void) cursor_next(&c, &st->keys.keys[st->keys.n++]);
}

static bool
visit_applied(PgmigRowKey key, HeapTuple tup, TupleDesc desc, void *arg)
{
	AppliedScanState *st = arg;

	/* recorded rows before this one are gone */
	while (st->has_rec && pgmig_row_key_cmp(&st->rec, &key) < 0)
	{
		applied_diverge(st);
		st->has_rec = cursor_next(&st->c, &st->rec);
	}
	if (st->has_rec && pgmig_row_key_cmp(&st->rec, &key) == 0)
	{
		/* known: its revision is the recorded one, nothing is read */
		key.rev = st->rec.rev;
		st->row(st->arg, true, key.rev, NULL, NULL);
		st->has_rec = cursor_next(&st->c, &st->rec);
	}
	else
	{
		bool		isnull;
		bool		ck_null;
		Datum		rev = heap_getattr(tup, st->att_rev, desc, &isnull);
		Datum		ck = heap_getattr(tup, st->att_ck, desc, &ck_null);

		applied_diverge(st);
		key.rev = st->row(st->arg, false, -1, isnull ? NULL : DatumGetTextPP(rev),
						  ck_null ? NULL : DatumGetTextPP(ck));
	}
	if (st->collecting)
		(void) visit_collect(key, tup, desc, &st->keys);
	else
		st->nsync++;
	return true;
}

bool
pgmig_verified_applied_scan(const PgmigVerified *v, int nrevs,
							AttrNumber att_rev, AttrNumber att_ck,
							PgmigAppliedRowFn row, void *arg,
							PgmigRowKey **keys, int *nkeys)
{
	AppliedScanState st;
	bool		use = v->applied_ok;
	int			r;

	memset(&st, 0, sizeof(st));
	st.v = v;
	st.att_rev = att_rev;
	st.att_ck = att_ck;
	st.row = row;
	st.arg = arg;
	/* revision numbers past the image's: not a record pgmig wrote for it */
	for (r = 0; use && r < v->mruns; r++)
	{
		KeyRun		run;

		run_at(v->app_runs, APPLIED_RUN_BYTES, r, &run);
		if (run.rev >= 0 && (int64) run.rev + run.count > nrevs)
			use = false;
	}
	if (use)
	{
		cursor_init(&st.c, v->app_runs, APPLIED_RUN_BYTES, v->mruns);
		st.has_rec = cursor_next(&st.c, &st.rec);
	}
	*keys = NULL;
	*nkeys = 0;
	if (!scan_keys(verify_relid("applied"), visit_applied, &st))
		return false;
	/* recorded rows after the last one read are gone; no part: all new */
	if (st.has_rec || !use)
		applied_diverge(&st);
	if (st.collecting)
	{
		*keys = st.keys.keys;
		*nkeys = st.keys.n;
	}
	return true;
}

/* ---- writing ---- */

typedef struct WriteArgs
{
	bytea	   *state;
} WriteArgs;

static void
write_record(void *arg)
{
	WriteArgs  *wa = arg;
	Oid			types[1] = {BYTEAOID};
	Datum		values[1] = {PointerGetDatum(wa->state)};

	/* never wait for another check()'s transaction: its record will do */
	(void) pgmig_spi_exec("SELECT 1 FROM pgmig.graph_verified FOR UPDATE NOWAIT",
						  0, NULL, NULL, NULL, false, 0, SPI_OK_SELECT);
	(void) pgmig_spi_exec("UPDATE pgmig.graph_verified SET state = $1",
						  1, types, values, NULL, false, 0, SPI_OK_UPDATE);
}

/* The xid past which a recorded xmin could recur (see the header). */
static uint64
valid_below(const PgmigRowKey *rows, int n, const PgmigRowKey *image,
			uint64 next)
{
	uint64		window = UINT64CONST(1) << 31;
	int			k;

	for (k = 0; k <= n; k++)
	{
		const PgmigRowKey *key = k < n ? &rows[k] : image;
		uint64		residue;

		if (key == NULL)
			continue;
		residue = (uint32) (key->xmin - (uint32) next);
		window = Min(window, residue);
	}
	return next + window;
}

/*
 * A digest of pgmig.revision's row versions in the active snapshot: its
 * relfilenode, then every (ctid, raw xmin) in ctid order.  Any change made
 * since -- with triggers or without -- makes a new row version, a new
 * relfilenode or one row fewer, so an equal digest means the same rows, by
 * the argument at the top of this file, as long as the next xid stays
 * below the bound.  For a record (for_record): the bound is computed (the
 * caller writes, so an xid is taken) and false is returned when a frozen
 * row's raw xmin could be a running transaction's (no record then).  For a
 * comparison nothing is taken: *valid_below is left alone.  False too when
 * pgmig.revision is missing or not a heap table.  hex: 65 bytes.
 */
bool
pgmig_revision_rows_digest(bool for_record, char *hex, uint64 *valid_below_out)
{
	Oid			relid = verify_relid("revision");
	PgmigRowKey *rows;
	int			n,
				k;
	uint32		node;
	pm_sha256_ctx c;

	if (!OidIsValid(relid) || (rows = pgmig_row_keys("revision", &n)) == NULL)
		return false;
	/* a heap scan without synchronised start returns ctid order already */
	for (k = 1; k < n; k++)
		if (pgmig_row_key_cmp(&rows[k - 1], &rows[k]) > 0)
		{
			qsort(rows, n, sizeof(PgmigRowKey), pgmig_row_key_cmp);
			break;
		}
	if (for_record)
	{
		uint64		next;
		TransactionId from;
		uint32		span;

		(void) GetCurrentTransactionId();
		next = U64FromFullTransactionId(ReadNextFullTransactionId());
		from = GetActiveSnapshot()->xmin;
		span = (uint32) next - (uint32) from;
		for (k = 0; k < n; k++)
			if (rows[k].frozen && (uint32) (rows[k].xmin - from) < span)
				return false;
		*valid_below_out = valid_below(rows, n, NULL, next);
	}
	pm_sha256_init(&c);
	pm_sha256_update(&c, "pgmig revision rows 1", 21);
	node = rel_node(relid);
	pm_sha256_update(&c, &node, sizeof(node));
	for (k = 0; k < n; k++)
	{
		unsigned char b[12];

		memcpy(b, &rows[k].tid, 8);
		memcpy(b + 8, &rows[k].xmin, 4);
		pm_sha256_update(&c, b, sizeof(b));
	}
	pm_sha256_final_hex(&c, hex);
	pfree(rows);
	return true;
}

/*
 * Whether a record may be written now: not on a standby or in a read-only
 * transaction (it cannot write), nor in a serializable one (its read of
 * pgmig's tables and write of the record could make the caller's own
 * transaction fail at commit).
 */
static bool
may_record(void)
{
	return OidIsValid(verify_relid("graph_verified")) && !RecoveryInProgress() &&
		!XactReadOnly && !IsolationIsSerializable();
}

/*
 * The xid this transaction writes with is below the next xid: take it, then
 * read the next xid (the base of the record's bound).
 */
static uint64
record_next_xid(void)
{
	(void) GetCurrentTransactionId();
	return U64FromFullTransactionId(ReadNextFullTransactionId());
}

/* A frozen key whose raw xmin could be a running transaction's (header)? */
static bool
doubtful_frozen(const PgmigRowKey *key, uint64 next)
{
	TransactionId from = GetActiveSnapshot()->xmin;
	uint32		span = (uint32) next - (uint32) from;

	return key->frozen && (uint32) (key->xmin - from) < span;
}

static inline void
le_store(unsigned char *p, uint64 v, int bytes)
{
	int			k;

	for (k = 0; k < bytes; k++)
		p[k] = (unsigned char) ((v >> (8 * k)) & 0xff);
}

/* One part: its n keys (sorted, distinct ctids) as runs (get_runs). */
static void
put_keys(StringInfo buf, const PgmigRowKey *rows, int n, int width)
{
	int			at;
	int			nruns = 0;
	int			k = 0;

	put_le(buf, (uint64) n, 4);
	at = buf->len;
	put_le(buf, 0, 4);			/* the number of runs, below */
	enlargeStringInfo(buf, (Size) width * n);
	while (k < n)
	{
		unsigned char *p = (unsigned char *) buf->data + buf->len;
		int			count = 1;

		while (k + count < n && count < 0xffff &&
			   rows[k + count].xmin == rows[k].xmin &&
			   rows[k + count].tid == rows[k].tid + count &&
			   (rows[k + count].tid >> 16) == (rows[k].tid >> 16) &&
			   (width == RUN_BYTES ||
				(rows[k].rev >= 0 && rows[k + count].rev == rows[k].rev + count)))
			count++;
		le_store(p, rows[k].tid, 6);
		le_store(p + 6, rows[k].xmin, 4);
		le_store(p + 10, (uint64) count, 2);
		if (width == APPLIED_RUN_BYTES)
			le_store(p + 12, rows[k].rev >= 0 ? (uint64) rows[k].rev : NO_REV, 4);
		buf->len += width;
		nruns++;
		k += count;
	}
	buf->data[buf->len] = '\0';
	le_store((unsigned char *) buf->data + at, (uint64) nruns, 4);
}

/* pgmig.applied's part: m keys, sorted here. */
static void
put_applied(StringInfo buf, PgmigRowKey *applied, int m)
{
	put_le(buf, 'A', 1);
	put_le(buf, rel_node(verify_relid("applied")), 4);
	put_keys(buf, applied, m, APPLIED_RUN_BYTES);
}

/* Write the record, as pgmig, in a subtransaction (header: what it swallows). */
static void
store_record(StringInfo buf)
{
	WriteArgs	wa;
	PgmigOwnerSwitch sw;
	ErrorData  *edata;
	MemoryContext cxt = CurrentMemoryContext;

	wa.state = palloc(VARHDRSZ + buf->len);
	SET_VARSIZE(wa.state, VARHDRSZ + buf->len);
	memcpy(VARDATA(wa.state), buf->data, buf->len);

	pgmig_become_owner(&sw);
	edata = pgmig_subxact_run(write_record, &wa, cxt, true);
	pgmig_restore_user(&sw);
	MemoryContextSwitchTo(cxt);
	if (edata != NULL)
	{
		/* a record not written costs the next check() time, nothing else */
		if (edata->sqlerrcode != ERRCODE_T_R_SERIALIZATION_FAILURE &&
			edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE &&
			edata->sqlerrcode != ERRCODE_READ_ONLY_SQL_TRANSACTION &&
			edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
}

/*
 * pgmig.applied's keys sorted, or false when one of them is a frozen tuple
 * whose raw xmin could be a running transaction's (then the part is left
 * out: it is all or nothing).
 */
static bool
applied_recordable(PgmigRowKey *applied, int m, uint64 next)
{
	int			k;

	qsort(applied, m, sizeof(PgmigRowKey), pgmig_row_key_cmp);
	for (k = 0; k < m; k++)
		if (doubtful_frozen(&applied[k], next))
			return false;
	return true;
}

void
pgmig_verified_write(PgmigRowKey *rows, int n, const PgmigRowKey *image,
					 PgmigRowKey *applied, int m)
{
	StringInfoData buf;
	uint64		next;
	uint64		bound;
	int			k;
	int			kept = 0;

	if (!may_record())
		return;
	qsort(rows, n, sizeof(PgmigRowKey), pgmig_row_key_cmp);
	next = record_next_xid();

	/* frozen tuples whose raw xmin could be a running transaction's: left out */
	for (k = 0; k < n; k++)
		if (!doubtful_frozen(&rows[k], next))
			rows[kept++] = rows[k];
	n = kept;
	if (image && doubtful_frozen(image, next))
		image = NULL;
	/* the applied part only with the image row (the short way needs both) */
	if (applied && (image == NULL || !applied_recordable(applied, m, next)))
		applied = NULL;

	bound = valid_below(rows, n, image, next);
	if (applied)
		bound = Min(bound, valid_below(applied, m, NULL, next));

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, verified_magic, 4);
	put_le(&buf, rel_node(verify_relid("revision")), 4);
	put_le(&buf, rel_node(verify_relid("graph_image")), 4);
	put_le(&buf, bound, 8);
	put_le(&buf, image ? 1 : 0, 1);
	if (image)
	{
		put_le(&buf, image->tid, 6);
		put_le(&buf, image->xmin, 4);
	}
	put_keys(&buf, rows, n, RUN_BYTES);
	if (applied)
		put_applied(&buf, applied, m);
	store_record(&buf);
}

/*
 * The record v (valid, its image row matched: the short way read it) with
 * pgmig.applied's part added: its revision keys are what the record says,
 * verified again in this snapshot, and keep their bound; the applied keys
 * bring theirs.
 */
void
pgmig_verified_write_applied(const PgmigVerified *v, PgmigRowKey *applied, int m)
{
	StringInfoData buf;
	uint64		next;

	if (!v->valid || !v->image_ok || !may_record())
		return;
	next = record_next_xid();
	if (!applied_recordable(applied, m, next))
		return;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, verified_magic, 4);
	put_le(&buf, v->rev_node, 4);
	put_le(&buf, v->img_node, 4);
	put_le(&buf, Min(v->valid_below, valid_below(applied, m, NULL, next)), 8);
	put_le(&buf, 1, 1);
	put_le(&buf, v->image.tid, 6);
	put_le(&buf, v->image.xmin, 4);
	put_le(&buf, (uint64) v->n, 4);
	put_le(&buf, (uint64) v->nruns, 4);
	appendBinaryStringInfo(&buf, (const char *) v->runs, RUN_BYTES * v->nruns);
	put_applied(&buf, applied, m);
	store_record(&buf);
}
