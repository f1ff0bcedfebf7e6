/*-------------------------------------------------------------------------
 *
 * graphverify.c
 *	  check()'s record of what it verified: pgmig.graph_verified names every
 *	  row version of pgmig.revision whose scripts check() hashed and found
 *	  equal to its checksum column, by (ctid, raw xmin), and the version of
 *	  the pgmig.graph_image row that it found equal to those rows.  A later
 *	  check() recomputes checksums only for row versions not named there,
 *	  and trusts the image only when every row version and the image row
 *	  are exactly the recorded ones.
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
 *	  that snapshot shows.  Scans here read only tuple headers.
 *	- The record is read and written as pgmig (pgmig_become_owner); nobody
 *	  needs a privilege on it.  Writing happens in an internal
 *	  subtransaction; only the failures listed above are swallowed.
 *	- Memory: the caller's context.
 *
 * Record format (bytea, little-endian): "PMV1", u32 relfilenode of
 * pgmig.revision, u32 relfilenode of pgmig.graph_image, u64 the next xid
 * may not pass this, u8 1 when the image matched the rows (then u48 ctid
 * and u32 xmin of the image row follow, else nothing), u32 n, n times
 * (u48 ctid, u32 xmin) in ctid order.
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

static const char verified_magic[4] = {'P', 'M', 'V', '1'};

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

/* The record's k-th key. */
static inline void
verified_key(const PgmigVerified *v, int k, PgmigRowKey *key)
{
	const unsigned char *p = v->keys + (Size) 10 * k;

	key->tid = (uint64) p[0] | (uint64) p[1] << 8 | (uint64) p[2] << 16 |
		(uint64) p[3] << 24 | (uint64) p[4] << 32 | (uint64) p[5] << 40;
	key->xmin = (uint32) p[6] | (uint32) p[7] << 8 | (uint32) p[8] << 16 |
		(uint32) p[9] << 24;
	key->frozen = false;
}

/*
 * Parse a record (its keys stay in place: v points into p); false for
 * anything malformed (then it is not used).
 */
static bool
decode(const unsigned char *p, size_t len, PgmigVerified *v)
{
	const unsigned char *end = p + len;
	uint64		x;
	uint64		n;
	uint64		k;

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
	if (!get_le(&p, end, 4, &n) || n > (uint64) (end - p) / 10 ||
		(uint64) (end - p) != n * 10)
		return false;
	v->n = (int) n;
	v->keys = p;
	for (k = 1; k < n; k++)
	{
		PgmigRowKey a;
		PgmigRowKey b;

		verified_key(v, k - 1, &a);
		verified_key(v, k, &b);
		if (pgmig_row_key_cmp(&a, &b) >= 0)
			return false;		/* not in order: not written by pgmig */
	}
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
}

bool
pgmig_verified_has(const PgmigVerified *v, uint64 tid, uint32 xmin)
{
	PgmigRowKey key = {tid, xmin};
	int			lo = 0;
	int			hi;

	if (!v->valid)
		return false;
	hi = v->n;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		PgmigRowKey at;
		int			c;

		verified_key(v, mid, &at);
		c = pgmig_row_key_cmp(&key, &at);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * Visit every visible tuple of a pgmig table in the active snapshot, in
 * ctid order (no synchronized scan), reading its header only.  Returns
 * false when the table is not a heap (then nothing is compared).
 */
typedef bool (*KeyVisitor) (PgmigRowKey key, void *arg);

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
		ok = visit(key, arg);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return ok;
}

typedef struct SameState
{
	const PgmigVerified *v;
	int			next;
	int			count;
} SameState;

static bool
visit_same(PgmigRowKey key, void *arg)
{
	SameState  *st = arg;

	PgmigRowKey at;

	if (st->next >= st->v->n)
		return false;
	verified_key(st->v, st->next, &at);
	if (pgmig_row_key_cmp(&key, &at) != 0)
		return false;
	st->next++;
	return true;
}

static bool
visit_image(PgmigRowKey key, void *arg)
{
	SameState  *st = arg;

	st->count++;
	return st->count == 1 && pgmig_row_key_cmp(&key, &st->v->image) == 0;
}

bool
pgmig_verified_unchanged(const PgmigVerified *v)
{
	SameState	st = {v, 0, 0};

	if (!v->valid || !v->image_ok)
		return false;
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
visit_collect(PgmigRowKey key, void *arg)
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

void
pgmig_verified_write(PgmigRowKey *rows, int n, const PgmigRowKey *image)
{
	Oid			relid = verify_relid("graph_verified");
	StringInfoData buf;
	uint64		next;
	int			k;
	WriteArgs	wa;
	PgmigOwnerSwitch sw;
	ErrorData  *edata;
	MemoryContext cxt = CurrentMemoryContext;

	/*
	 * Not on a standby or in a read-only transaction (it cannot write), nor
	 * in a serializable one: its read of pgmig.revision and write of the
	 * record could make the caller's own transaction fail at commit.
	 */
	if (!OidIsValid(relid) || RecoveryInProgress() || XactReadOnly ||
		IsolationIsSerializable())
		return;
	qsort(rows, n, sizeof(PgmigRowKey), pgmig_row_key_cmp);

	/* the xid this transaction writes with is below next: take it first */
	(void) GetCurrentTransactionId();
	next = U64FromFullTransactionId(ReadNextFullTransactionId());

	/* frozen tuples whose raw xmin could be a running transaction's: left out */
	{
		TransactionId from = GetActiveSnapshot()->xmin;
		uint32		span = (uint32) next - (uint32) from;
		int			kept = 0;

		for (k = 0; k < n; k++)
			if (!rows[k].frozen || (uint32) (rows[k].xmin - from) >= span)
				rows[kept++] = rows[k];
		n = kept;
		if (image && image->frozen && (uint32) (image->xmin - from) < span)
			image = NULL;
	}

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, verified_magic, 4);
	put_le(&buf, rel_node(verify_relid("revision")), 4);
	put_le(&buf, rel_node(verify_relid("graph_image")), 4);
	put_le(&buf, valid_below(rows, n, image, next), 8);
	put_le(&buf, image ? 1 : 0, 1);
	if (image)
	{
		put_le(&buf, image->tid, 6);
		put_le(&buf, image->xmin, 4);
	}
	put_le(&buf, (uint64) n, 4);
	for (k = 0; k < n; k++)
	{
		put_le(&buf, rows[k].tid, 6);
		put_le(&buf, rows[k].xmin, 4);
	}
	wa.state = palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(wa.state, VARHDRSZ + buf.len);
	memcpy(VARDATA(wa.state), buf.data, buf.len);

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
