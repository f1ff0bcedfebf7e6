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
 *	- Memory: everything is allocated in the caller's context (a big image
 *	  and its checksums in a mapping of their own, released with it:
 *	  fetch_mapped()).
 *
 *-------------------------------------------------------------------------
 */
#include "graphstore.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "core/graphimg.h"
#include "core/revfile.h"

#include "spi_util.h"

/*
 * Big values a new backend reads once (the graph image, its checksums: 3.8
 * and 3.2 MB at 100,000 revisions) fetched into memory mapped with huge
 * pages (pgmig_huge_alloc, alloc_pg.c says why): in 4 kB pages the image
 * alone is 930 page faults, 13 ms on a virtual machine where a fault costs
 * 14 us; in 2 MB pages it is two (bench/README.md, "Fifth pass").  Only an
 * uncompressed value stored out of line, of 64 kB or more (about 1,700
 * revisions: 16 faults or more against one), is fetched so
 * (table_relation_fetch_toast_slice, as detoasting does); NULL for anything
 * else, which the caller detoasts the usual way.  A graph is built from an
 * image of that size in huge pages too (graph_from_image).
 */
#define PGMIG_MAPPED_MIN	(64 * 1024)

static struct varlena *
fetch_mapped(Datum d)
{
	struct varlena *attr = (struct varlena *) DatumGetPointer(d);
	struct varatt_external toast_pointer;
	Size		size;
	Relation	toastrel;
	struct varlena *result;

	if (!VARATT_IS_EXTERNAL_ONDISK(attr))
		return NULL;
	VARATT_EXTERNAL_GET_POINTER(toast_pointer, attr);
	if (VARATT_EXTERNAL_IS_COMPRESSED(toast_pointer))
		return NULL;
	size = VARATT_EXTERNAL_GET_EXTSIZE(toast_pointer);
	if (size < PGMIG_MAPPED_MIN || size > MaxAllocSize)
		return NULL;
	if ((result = pgmig_huge_alloc(size + VARHDRSZ)) == NULL)
		return NULL;
	SET_VARSIZE(result, size + VARHDRSZ);
	toastrel = table_open(toast_pointer.va_toastrelid, AccessShareLock);
	table_relation_fetch_toast_slice(toastrel, toast_pointer.va_valueid, size, 0, size, result);
	table_close(toastrel, AccessShareLock);
	return result;
}

/*
 * size zeroed bytes in the current context: in its huge-page mapping when
 * big (memory a mapping gives out is fresh, so zero, and its pages are
 * faulted 2 MB at a time), else palloc0.
 */
void *
pgmig_big_alloc0(Size size)
{
	void	   *p = size >= PGMIG_MAPPED_MIN ? pgmig_huge_alloc(size) : NULL;

	return p ? p : palloc0(size);
}

/*
 * Begin the core's arena for a structure of about reserve bytes when it
 * is big enough to be worth a huge page (pgmig_core_arena_end ends it).
 */
bool
pgmig_big_arena_begin(Size reserve)
{
	return reserve >= PGMIG_MAPPED_MIN && pgmig_core_arena_begin(reserve);
}

static const char *image_write_query = "UPDATE pgmig.graph_image SET image = $1, checksums = $2";

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

/*
 * Each lower-case hex digit's value plus one, 0 for every other byte (so
 * only the digits need an initializer): one lookup per digit, when the
 * stored checksums are written into the graph's image.
 */
static const unsigned char hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
	['d'] = 14, ['e'] = 15, ['f'] = 16
};

/* The 32 bytes of a checksum of 64 lower-case hex digits; false for anything else. */
static bool
checksum_bytes(const char *hex, unsigned char *out)
{
	int			k;

	if (hex == NULL || strlen(hex) != 64)
		return false;
	for (k = 0; k < 32; k++)
	{
		int			hi = hex_value[(unsigned char) hex[2 * k]];
		int			lo = hex_value[(unsigned char) hex[2 * k + 1]];

		if (hi == 0 || lo == 0)
			return false;		/* pgmig writes lower case only */
		out[k] = (unsigned char) (((hi - 1) << 4) | (lo - 1));
	}
	return true;
}

/*
 * The stored checksum of every revision, 32 bytes each in load order, or
 * NULL when one is not a checksum pgmig wrote (check() then reads the
 * tables).
 */
static bytea *
checksums_of(PgmigGraph *pg)
{
	bytea	   *result;
	int			i;

	if (pg->checksum == NULL)
		return NULL;
	result = palloc(VARHDRSZ + (Size) 32 * pg->n);
	SET_VARSIZE(result, VARHDRSZ + (Size) 32 * pg->n);
	for (i = 0; i < pg->n; i++)
		if (!checksum_bytes(pg->checksum[i],
							(unsigned char *) VARDATA(result) + (Size) 32 * i))
			return NULL;
	return result;
}

void
pgmig_graph_image_write(PgmigGraph *pg)
{
	Oid			relid = pgmig_relid("graph_image");
	Oid			types[2] = {BYTEAOID, BYTEAOID};
	Datum		v[2];
	char		nulls[2];
	bytea	   *image;
	bytea	   *sums;

	if (!OidIsValid(relid))
		return;
	image = image_of(pg);
	sums = image ? checksums_of(pg) : NULL;
	v[0] = PointerGetDatum(image);
	v[1] = PointerGetDatum(sums);
	nulls[0] = image ? ' ' : 'n';
	nulls[1] = sums ? ' ' : 'n';
	if (get_attnum(relid, "checksums") == InvalidAttrNumber)
		(void) image_exec("UPDATE pgmig.graph_image SET image = $1", 1, types, v,
						  nulls, false, SPI_OK_UPDATE);	/* before fragment 51 */
	else
		(void) image_exec(image_write_query, 2, types, v, nulls, false,
						  SPI_OK_UPDATE);
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
		(void) image_exec(get_attnum(relid, "checksums") == InvalidAttrNumber ?
						  "UPDATE pgmig.graph_image SET image = NULL" :
						  "UPDATE pgmig.graph_image SET image = NULL, checksums = NULL",
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

/*
 * What reading pgmig.applied collects besides the applied flags: for
 * check(), each applied checksum that differs from the stored checksum
 * (sums: 32 bytes a revision), and the number of rows.
 */
typedef struct AppliedCheck
{
	const unsigned char *sums;	/* NULL: flags and times only */
	char	  **changed;		/* by revision: the applied checksum */
	int64		rows;
	int			hint;			/* where the next row's revision probably is */
} AppliedCheck;

/* One row of pgmig.applied: its revision (NULL if null), applied_at and checksum. */
typedef void (*AppliedRowFn) (void *arg, text *rev, bool ts_null, Datum ts,
							  text *ck);

/*
 * An applied row's checksum against revision v's stored one (sums: 32
 * bytes a revision): NULL when the same, else the applied one as text.
 * Read in place: 50,000 rows are copied only when they differ.
 */
static char *
applied_checksum_changed(text *ck, const unsigned char *sums, int v)
{
	if (ck != NULL && VARSIZE_ANY_EXHDR(ck) == 64)
	{
		/*
		 * The stored bytes printed as pgmig writes a checksum, compared with
		 * the row's text: the same answer as decoding the text (equal exactly
		 * when the text is that spelling) without a lookup and a test per
		 * digit, which were a quarter of a first check() at 100,000
		 * revisions.
		 */
		char		hex[64];

		pm_hex_encode(sums + (Size) 32 * v, 32, hex);
		if (memcmp(hex, VARDATA_ANY(ck), 64) == 0)
			return NULL;
	}
	return ck ? text_to_cstring(ck) : pstrdup("");
}

/* Mark one applied revision of a built graph; its id as stored. */
static void
mark_applied(PgmigGraph *pg, AppliedCheck *ac, text *txt, bool ts_null,
			 Datum ts, text *ck)
{
	char		id[PM_MAX_ID_LEN + 1];
	int			len = VARSIZE_ANY_EXHDR(txt);
	int			v;

	if (len > PM_MAX_ID_LEN)
		return;					/* no revision has such an id */
	memcpy(id, VARDATA_ANY(txt), len);
	id[len] = '\0';
	v = pm_graph_find_hint(pg->g, id, ac->hint);
	if (v < 0)
		return;					/* an applied row without revision: check() */
	ac->hint = v + 1;			/* rows usually come in load order */
	pm_graph_set_applied(pg->g, v, true);
	pg->applied_at[v] = ts_null ? 0 : DatumGetTimestampTz(ts);
	pg->napplied++;
	if (ac->sums != NULL)
		ac->changed[v] = applied_checksum_changed(ck, ac->sums, v);
}

typedef struct GraphApplied
{
	PgmigGraph *pg;
	AppliedCheck *ac;
} GraphApplied;

static void
graph_applied_row(void *arg, text *rev, bool ts_null, Datum ts, text *ck)
{
	GraphApplied *ga = (GraphApplied *) arg;

	ga->ac->rows++;
	if (rev != NULL)
		mark_applied(ga->pg, ga->ac, rev, ts_null, ts, ck);
}

/*
 * May pgmig.applied be read directly, as the caller would read it by
 * query?  Only with SELECT on it, without row level security, and with the
 * columns of the expected types; fills their numbers.
 */
static bool
applied_direct_ok(Oid relid, AttrNumber *att_rev, AttrNumber *att_at,
				  AttrNumber *att_ck)
{
	if (!OidIsValid(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;
	*att_rev = get_attnum(relid, "revision");
	*att_at = get_attnum(relid, "applied_at");
	*att_ck = get_attnum(relid, "checksum");
	return *att_rev != InvalidAttrNumber && *att_at != InvalidAttrNumber &&
		*att_ck != InvalidAttrNumber &&
		get_atttype(relid, *att_rev) == TEXTOID &&
		get_atttype(relid, *att_at) == TIMESTAMPTZOID &&
		get_atttype(relid, *att_ck) == TEXTOID;
}

bool
pgmig_applied_readable(AttrNumber *att_rev, AttrNumber *att_ck)
{
	AttrNumber	att_at;

	return applied_direct_ok(pgmig_relid("applied"), att_rev, &att_at, att_ck);
}

/*
 * pgmig.applied's primary key, opened, when it is what pgmig made: a
 * unique valid btree on the text column revision alone; else NULL.
 */
static Relation
applied_pkey_open(Oid relid, AttrNumber att_rev)
{
	Oid			idxid = pgmig_relid("applied_pkey");
	Relation	idx;

	if (!OidIsValid(idxid))
		return NULL;
	idx = index_open(idxid, AccessShareLock);
	if (idx->rd_index->indrelid != relid || !idx->rd_index->indisunique ||
		!idx->rd_index->indisvalid || idx->rd_index->indnatts != 1 ||
		idx->rd_index->indkey.values[0] != att_rev ||
		idx->rd_rel->relam != BTREE_AM_OID ||
		idx->rd_opcintype[0] != TEXTOID)
	{
		index_close(idx, AccessShareLock);
		return NULL;
	}
	return idx;
}

/*
 * Are nine pages in ten of rel all visible (the visibility map, one page of
 * it per 32,672 heap pages, read now)?  Only then is its primary key
 * cheaper to read than its heap: every id on a page not all visible costs
 * a heap fetch, in the index's order (after an upgrade of 100,000 rows,
 * until a VACUUM, that is every id).
 */
static bool
mostly_all_visible(Relation rel)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber visible = 0;

	if (nblocks == 0)
		return false;
	visibilitymap_count(rel, &visible, NULL);
	return visible >= nblocks - nblocks / 10;
}

/*
 * Every applied revision id, read from the primary key as an index-only
 * scan reads it: the index tuple's id when the visibility map says the
 * heap page is all visible, else the heap tuple's (skipped when it is not
 * visible to the snapshot).  The index is a fifth of the heap (412 pages
 * against 2,223 at 100,000 applied).
 */
static void
scan_applied_ids(Relation rel, Relation idx, AttrNumber att_rev,
				 AppliedRowFn fn, void *arg)
{
	Snapshot	snapshot = GetActiveSnapshot();
	IndexScanDesc scan = index_beginscan(rel, idx, snapshot, 0, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	Buffer		vmbuffer = InvalidBuffer;
	ItemPointer tid;

	scan->xs_want_itup = true;
	index_rescan(scan, NULL, 0, NULL, 0);
	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;

		if (!VM_ALL_VISIBLE(rel, ItemPointerGetBlockNumber(tid), &vmbuffer))
		{
			if (!index_fetch_heap(scan, slot))
				continue;
			d = slot_getattr(slot, att_rev, &isnull);
		}
		else
		{
			/* as if the heap had been read (nodeIndexonlyscan.c) */
			PredicateLockPage(rel, ItemPointerGetBlockNumber(tid), snapshot);
			d = index_getattr(scan->xs_itup, 1, scan->xs_itupdesc, &isnull);
		}
		fn(arg, isnull ? NULL : DatumGetTextPP(d), true, (Datum) 0, NULL);
	}
	if (BufferIsValid(vmbuffer))
		ReleaseBuffer(vmbuffer);
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
}

/*
 * Every row of pgmig.applied straight from its heap, in the active
 * snapshot: no executor, no tuple copies (at 50,000 applied rows SPI's
 * materialised result cost more than the rest of the call).  Only when
 * reading the table with SELECT would give the same rows: the caller holds
 * SELECT on the whole table and it has no row level security; the columns
 * are found by name and type.  A NULL revision is passed as NULL; so is
 * applied_at (or the checksum) when not wanted: the row is then deformed
 * only as far as the columns asked for; when neither is and the table is
 * mostly all visible, the ids come from the primary key
 * (scan_applied_ids).  Returns false when it cannot (the
 * caller then runs the query).
 */
static bool
scan_applied_direct(AppliedRowFn fn, void *arg, bool want_at, bool want_checksum)
{
	Oid			relid = pgmig_relid("applied");
	AttrNumber	att_rev;
	AttrNumber	att_at;
	AttrNumber	att_ck;
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;

	if (!applied_direct_ok(relid, &att_rev, &att_at, &att_ck))
		return false;
	rel = table_open(relid, AccessShareLock);
	if (!want_at && !want_checksum && mostly_all_visible(rel))
	{
		Relation	idx = applied_pkey_open(relid, att_rev);

		if (idx != NULL)
		{
			scan_applied_ids(rel, idx, att_rev, fn, arg);
			index_close(idx, AccessShareLock);
			table_close(rel, AccessShareLock);
			return true;
		}
	}
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bool		ts_null = true;
		bool		ck_null = true;
		Datum		d = slot_getattr(slot, att_rev, &isnull);
		Datum		ts = want_at ? slot_getattr(slot, att_at, &ts_null) : (Datum) 0;
		Datum		ck = want_checksum ? slot_getattr(slot, att_ck, &ck_null) : (Datum) 0;

		fn(arg, isnull ? NULL : DatumGetTextPP(d), ts_null, ts,
		   ck_null ? NULL : DatumGetTextPP(ck));
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return true;
}

/* Every row of pgmig.applied, read as the caller: directly or by query. */
static void
scan_applied(AppliedRowFn fn, void *arg, bool want_at, bool want_checksum)
{
	uint64		rows;
	uint64		t;

	if (scan_applied_direct(fn, arg, want_at, want_checksum))
		return;
	rows = pgmig_spi_exec("SELECT revision, applied_at, checksum FROM pgmig.applied",
						  0, NULL, NULL, NULL, true, 0, SPI_OK_SELECT);
	for (t = 0; t < rows; t++)
	{
		HeapTuple	tup = SPI_tuptable->vals[t];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		ts_null;
		bool		ck_null;
		Datum		d = SPI_getbinval(tup, desc, 1, &isnull);
		Datum		ts = SPI_getbinval(tup, desc, 2, &ts_null);
		Datum		ck = SPI_getbinval(tup, desc, 3, &ck_null);

		fn(arg, isnull ? NULL : DatumGetTextPP(d), ts_null, ts,
		   ck_null ? NULL : DatumGetTextPP(ck));
	}
	pgmig_spi_done();
}

/* Mark the applied revisions, read from pgmig.applied as the caller. */
static void
read_applied(PgmigGraph *pg, AppliedCheck *ac)
{
	GraphApplied ga = {pg, ac};

	pg->applied_at = pgmig_big_alloc0(sizeof(TimestampTz) * (pg->n + 1));
	if (ac->sums != NULL)
		ac->changed = pgmig_big_alloc0(sizeof(char *) * (pg->n + 1));
	ac->rows = 0;
	scan_applied(graph_applied_row, &ga, true, ac->sums != NULL);
}

/* An image of another format (an older build): the tables answer. */
static bool
image_of_other_format(bytea *image)
{
	return VARSIZE_ANY_EXHDR(image) >= 4 &&
		memcmp(VARDATA_ANY(image), "PMG", 3) == 0 &&
		((char *) VARDATA_ANY(image))[3] != '2';
}

/*
 * check()'s read of one column of the image row (image or checksums): only
 * when the row is exactly the version check() verified (expect), else
 * NULL.  Read straight from the table, as pgmig (pgmig_read_rows_direct):
 * the table has one row, and every read sees it in the same snapshot.
 */
static bytea *
verified_image_column(const PgmigRowKey *expect, const char *column)
{
	Datum		d;
	bool		isnull;
	PgmigRowKey key;

	if (pgmig_read_rows_direct(pgmig_relid("graph_image"), column, BYTEAOID,
							   pgmig_value_copy, &d, &isnull, &key) != 1 ||
		isnull || key.tid != expect->tid || key.xmin != expect->xmin)
		return NULL;
	return (bytea *) DatumGetPointer(d);
}

static bytea *image_row(void);

static PgmigGraph *
graph_from_image(AppliedCheck *ac)
{
	Oid			relid = pgmig_relid("graph_image");
	MemoryContext cxt = CurrentMemoryContext;
	PgmigGraph *pg = NULL;
	bytea	   *image;
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
		image = image_row();
		if (image != NULL)
		{
			bytea	   *mapped = (bytea *) fetch_mapped(PointerGetDatum(image));
			bool		read_ok = false;
			bool		arena;

			image = mapped ? mapped : pg_detoast_datum_packed(image);

			/*
			 * The graph's arrays (about 150 bytes a revision, an image
			 * has 20 or more) in huge pages, as the image: the build
			 * touches all of them at once (at 5,000 revisions 170 faults
			 * in 4 kB pages).  Past the reserve, and for a small image,
			 * palloc.  After an error the arena is simply never used
			 * again: it goes with the context.
			 */
			arena = VARSIZE_ANY_EXHDR(image) >= PGMIG_MAPPED_MIN &&
				!image_of_other_format(image) &&
				pgmig_core_arena_begin((Size) 8 * VARSIZE_ANY_EXHDR(image));
			if (!image_of_other_format(image))
				read_ok = pm_image_read((unsigned char *) VARDATA_ANY(image),
										VARSIZE_ANY_EXHDR(image), &img, &err);
			if (arena)
				pgmig_core_arena_end();
			if (image_of_other_format(image))
				pg = NULL;
			else if (read_ok)
			{
				/* img and the buffer stay allocated: the graph borrows them */
				pg = palloc0(sizeof(PgmigGraph));
				pg->g = img.g;
				pg->n = img.n;
				pg->message = (char **) img.messages;
				pg->transactional = pgmig_big_alloc0(sizeof(bool) * (img.n + 1));
				pg->irreversible = pgmig_big_alloc0(sizeof(bool) * (img.n + 1));
				/* changed_from/changed_to stay NULL: nothing reads them here */
				for (i = 0; i < img.n; i++)
				{
					pg->transactional[i] = (img.flags[i] & PM_IMAGE_TRANSACTIONAL) != 0;
					pg->irreversible[i] = (img.flags[i] & PM_IMAGE_IRREVERSIBLE) != 0;
				}
				read_applied(pg, ac);
			}
			else
				ereport(WARNING,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("%s", err.msg),
						 errdetail("pgmig reads the revision graph from pgmig.revision instead."),
						 errhint("Rewrite the image with SELECT pgmig.refresh_graph().")));
		}
	}
	PG_FINALLY();
	{
		PopActiveSnapshot();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return pg;
}

PgmigGraph *
pgmig_graph_from_image(void)
{
	AppliedCheck ac = {0};

	return graph_from_image(&ac);
}



char *
pgmig_graph_image_problem(PgmigGraph *from_tables, PgmigRowKey *image_key)
{
	Oid			relid = pgmig_relid("graph_image");
	bytea	   *stored;
	bytea	   *stored_sums;
	bytea	   *now;
	bytea	   *now_sums;
	bool		isnull;
	bool		sums_null;
	bool		n3;
	Datum		tid;
	MemoryContext cxt = CurrentMemoryContext;

	memset(image_key, 0, sizeof(PgmigRowKey));
	if (!OidIsValid(relid))
		return NULL;
	if (image_exec("SELECT image, checksums, ctid, xmin FROM pgmig.graph_image",
				   0, NULL, NULL, NULL, true, SPI_OK_SELECT) != 1)
	{
		pgmig_spi_done();
		MemoryContextSwitchTo(cxt);
		return pstrdup("table pgmig.graph_image does not hold exactly one row");
	}
	stored = (bytea *) DatumGetPointer(pgmig_spi_datum(0, 1, &isnull));
	stored_sums = (bytea *) DatumGetPointer(pgmig_spi_datum(0, 2, &sums_null));
	tid = pgmig_spi_datum(0, 3, &n3);
	image_key->tid = pgmig_tid_key((ItemPointer) DatumGetPointer(tid));
	image_key->xmin = DatumGetTransactionId(pgmig_spi_datum(0, 4, &n3));
	pgmig_spi_done();
	MemoryContextSwitchTo(cxt);
	if (isnull)
	{
		memset(image_key, 0, sizeof(PgmigRowKey));
		return NULL;			/* no image: every reader reads the tables */
	}
	stored = pg_detoast_datum_packed(stored);
	now = image_of(from_tables);
	if (now != NULL && VARSIZE_ANY_EXHDR(stored) == VARSIZE_ANY_EXHDR(now) &&
		memcmp(VARDATA_ANY(stored), VARDATA_ANY(now), VARSIZE_ANY_EXHDR(now)) == 0)
	{
		/*
		 * The checksums column must match too.  A stored checksum pgmig did
		 * not write (check() reports that row) leaves no column to compare:
		 * the image is then not trusted, nor reported.
		 */
		now_sums = checksums_of(from_tables);
		if (now_sums == NULL)
		{
			memset(image_key, 0, sizeof(PgmigRowKey));
			return NULL;
		}
		if (!sums_null)
		{
			stored_sums = pg_detoast_datum_packed(stored_sums);
			if (VARSIZE_ANY_EXHDR(stored_sums) == VARSIZE_ANY_EXHDR(now_sums) &&
				memcmp(VARDATA_ANY(stored_sums), VARDATA_ANY(now_sums),
					   VARSIZE_ANY_EXHDR(now_sums)) == 0)
				return NULL;
		}
	}
	memset(image_key, 0, sizeof(PgmigRowKey));
	return pstrdup("the stored graph image does not match pgmig.revision: it was changed with its triggers disabled (session_replication_role = replica)");
}

/* ---- the image in place (pm_image_view) ---- */

typedef struct ViewApplied
{
	PgmigImageView *iv;
	int			hint;
	int			changed;		/* applied checksums found different */
} ViewApplied;

/* Count an applied row; mark revision v (-1: none) applied. */
static void
view_applied_set(ViewApplied *va, int v, bool ts_null, Datum ts)
{
	PgmigImageView *iv = va->iv;

	iv->applied_rows++;
	if (v < 0)
		return;					/* an applied row without revision: check() */
	va->hint = v + 1;			/* rows usually come in load order */
	if (!iv->applied[v])
		iv->napplied++;
	iv->applied[v] = 1;
	if (!ts_null && iv->applied_at != NULL)
		iv->applied_at[v] = DatumGetTimestampTz(ts);
}

/* Mark an applied row's revision; its number, or -1 (no such revision). */
static int
view_applied_mark(ViewApplied *va, text *rev, bool ts_null, Datum ts)
{
	int			v = rev == NULL ? -1 :
		pm_image_view_find(&va->iv->v, VARDATA_ANY(rev), VARSIZE_ANY_EXHDR(rev),
						   va->hint);

	view_applied_set(va, v, ts_null, ts);
	return v;
}

/* Its checksum against the stored one (iv->sums). */
static void
view_applied_compare(ViewApplied *va, int v, text *ck)
{
	PgmigImageView *iv = va->iv;

	if ((iv->changed[v] = applied_checksum_changed(ck, iv->sums, v)) != NULL)
		va->changed++;
}

static void
view_applied_row(void *arg, text *rev, bool ts_null, Datum ts, text *ck)
{
	ViewApplied *va = (ViewApplied *) arg;
	int			v = view_applied_mark(va, rev, ts_null, ts);

	if (v >= 0 && va->iv->sums != NULL)
		view_applied_compare(va, v, ck);
}

/*
 * check()'s read of pgmig.applied against the record: the stored checksums
 * are fetched when the first row the record does not name needs them.
 */
typedef struct VerifiedApplied
{
	ViewApplied va;
	const PgmigRowKey *expect;	/* the image row's verified version */
	MemoryContext cxt;
	bool		no_sums;		/* the checksums column could not be read */
} VerifiedApplied;

static bool
verified_sums(VerifiedApplied *vr)
{
	PgmigImageView *iv = vr->va.iv;
	bytea	   *sums;

	if (iv->sums != NULL || vr->no_sums)
		return !vr->no_sums;
	sums = verified_image_column(vr->expect, "checksums");
	MemoryContextSwitchTo(vr->cxt);
	if (sums == NULL || VARSIZE_ANY_EXHDR(sums) != (Size) 32 * iv->v.n)
		vr->no_sums = true;		/* never written so: read the tables */
	else
		iv->sums = (const unsigned char *) VARDATA_ANY(sums);
	return !vr->no_sums;
}

static int
view_verified_row(void *arg, bool known, int rev, text *id, text *ck)
{
	VerifiedApplied *vr = (VerifiedApplied *) arg;
	int			v;

	if (known)
	{
		/* the record's row version: its revision and checksum are right */
		view_applied_set(&vr->va, rev, true, (Datum) 0);
		return rev;
	}
	v = view_applied_mark(&vr->va, id, true, (Datum) 0);
	if (v >= 0 && verified_sums(vr))
		view_applied_compare(&vr->va, v, ck);
	return v;
}

/*
 * The applied flags and times of some revisions straight from the primary
 * key of pgmig.applied (one probe each), in the active snapshot, when
 * applied_direct_ok says the caller would read the same by query: in a new
 * backend the query's parse and plan were a third of a heads() at 5,000
 * revisions.  False when it cannot (no such index): the caller queries.
 */
static bool
view_applied_of_direct(PgmigImageView *iv, const pm_set *which)
{
	Oid			relid = pgmig_relid("applied");
	AttrNumber	att_rev;
	AttrNumber	att_at;
	AttrNumber	att_ck;
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	ViewApplied va = {iv, 0};
	int			k;

	if (!applied_direct_ok(relid, &att_rev, &att_at, &att_ck))
		return false;
	rel = table_open(relid, AccessShareLock);
	if ((idx = applied_pkey_open(relid, att_rev)) == NULL)
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	slot = table_slot_create(rel, NULL);
	for (k = 0; k < which->n; k++)
	{
		pm_image_rec r;
		ScanKeyData key;
		IndexScanDesc scan;

		pm_image_view_rec(&iv->v, which->items[k], &r);
		if (iv->applied_at != NULL)
			iv->applied_at[which->items[k]] = 0;
		ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, TEXTOID,
							   idx->rd_indcollation[0], F_TEXTEQ,
							   CStringGetTextDatum(r.id));
		scan = index_beginscan(rel, idx, GetActiveSnapshot(), 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
		if (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			bool		ts_null;
			Datum		d = slot_getattr(slot, att_rev, &isnull);
			Datum		ts = slot_getattr(slot, att_at, &ts_null);

			va.hint = which->items[k];
			if (!isnull)
				view_applied_row(&va, DatumGetTextPP(d), ts_null, ts, NULL);
		}
		index_endscan(scan);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return true;
}

/*
 * The applied flags and times of some revisions only, as the caller, in
 * the active snapshot: directly, or by one indexed query.
 */
static void
view_applied_of(PgmigImageView *iv, const pm_set *which)
{
	Datum	   *ids;
	ArrayType  *arr;
	Oid			types[1] = {TEXTARRAYOID};
	Datum		values[1];
	uint64		rows;
	uint64		t;
	int			k;
	ViewApplied va = {iv, 0};

	if (which->n == 0 || view_applied_of_direct(iv, which))
		return;
	ids = palloc(sizeof(Datum) * which->n);
	for (k = 0; k < which->n; k++)
	{
		pm_image_rec r;

		if (iv->applied_at != NULL)
			iv->applied_at[which->items[k]] = 0;
		pm_image_view_rec(&iv->v, which->items[k], &r);
		ids[k] = CStringGetTextDatum(r.id);
	}
	arr = construct_array(ids, which->n, TEXTOID, -1, false, TYPALIGN_INT);
	values[0] = PointerGetDatum(arr);
	rows = pgmig_spi_exec("SELECT revision, applied_at FROM pgmig.applied WHERE revision OPERATOR(pg_catalog.=) ANY ($1)",
						  1, types, values, NULL, true, 0, SPI_OK_SELECT);
	for (t = 0; t < rows; t++)
	{
		bool		isnull;
		bool		ts_null;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[t], SPI_tuptable->tupdesc, 1, &isnull);
		Datum		ts = SPI_getbinval(SPI_tuptable->vals[t], SPI_tuptable->tupdesc, 2, &ts_null);

		/* the revision it was asked for: compared, not looked up (no table to build) */
		va.hint = -1;
		for (k = 0; k < which->n && !isnull; k++)
			if (pm_image_view_id_is(&iv->v, which->items[k],
									VARDATA_ANY(DatumGetTextPP(d)),
									VARSIZE_ANY_EXHDR(DatumGetTextPP(d))))
				va.hint = which->items[k];
		if (va.hint >= 0)
			view_applied_row(&va, DatumGetTextPP(d), ts_null, ts, NULL);
	}
	pgmig_spi_done();
}

/*
 * A small pgmig table read straight from its heap in the active snapshot,
 * without parsing and planning a query (in a new backend its catalog
 * lookups cost more than the read): the column's value in the first row
 * (copied by copy while the row is held, or as it is for a type passed by
 * value) and the number of rows.  -1 when the column is missing or not of
 * that type (never so in any version that has the table): the caller
 * treats it as no usable row.  Read as pgmig would read it: only for
 * pgmig's own bookkeeping tables, never a caller's view of data.
 */
int
pgmig_read_rows_direct(Oid relid, const char *column, Oid type,
					   Datum (*copy) (Datum), Datum *value, bool *isnull,
					   PgmigRowKey *key)
{
	AttrNumber	att = get_attnum(relid, column);
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	int			rows = 0;

	*value = (Datum) 0;
	*isnull = true;
	if (att == InvalidAttrNumber || get_atttype(relid, att) != type)
		return -1;
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		if (rows++ == 0)
		{
			Datum		d = slot_getattr(slot, att, isnull);

			*value = *isnull || copy == NULL ? d : copy(d);
			if (key != NULL)
			{
				bool		should_free;
				HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &should_free);

				/* the row's version, as its ctid and xmin columns read */
				key->tid = pgmig_tid_key(&tup->t_self);
				key->xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
				key->frozen = false;
				if (should_free)
					heap_freetuple(tup);
			}
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return rows;
}

/*
 * A varlena value out of its row, for pgmig_read_rows_direct: into a
 * huge-page mapping when big (fetch_mapped), else detoasted into the
 * current context.
 */
Datum
pgmig_value_copy(Datum d)
{
	struct varlena *v = fetch_mapped(d);

	return PointerGetDatum(v ? v : PG_DETOAST_DATUM_COPY(d));
}

/*
 * The image column of pgmig.graph_image's one row, in the active snapshot
 * (as graph_from_image reads it, as pgmig: nobody needs a privilege on the
 * table), copied into the caller's context; NULL when there is none.
 * Read straight from the table (pgmig_read_rows_direct).
 */
static bytea *
image_row(void)
{
	Oid			relid = pgmig_relid("graph_image");
	Datum		d;
	bool		isnull;
	int			rows;

	if (!OidIsValid(relid))
		return NULL;
	rows = pgmig_read_rows_direct(relid, "image", BYTEAOID, pgmig_value_copy, &d, &isnull,
								  NULL);
	return rows == 1 && !isnull ? (bytea *) DatumGetPointer(d) : NULL;
}

/*
 * The stored image opened in place, and the applied flags it is asked for
 * read from pgmig.applied as the caller, both in one fresh snapshot (as
 * graph_from_image).  Returns false when the image cannot answer: the
 * caller may not read pgmig.revision, there is no image or one of another
 * format, or it is damaged or has a duplicate id (then building the graph
 * gives the warning or the problem).  Everything is allocated in the
 * caller's context.
 */
bool
pgmig_image_view_read(PgmigImageView *iv, PgmigViewApplied what)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = false;

	memset(iv, 0, sizeof(PgmigImageView));
	if (!OidIsValid(pgmig_relid("graph_image")) || !caller_may_use_image())
		return false;
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	PG_TRY();
	{
		bytea	   *image = image_row();
		bool		isnull = image == NULL;
		pm_error	err;
		bool		opened = false;
		bool		arena = false;

		if (!isnull && !image_of_other_format(image))
		{
			/* the view's arrays (5 bytes a revision) with the image */
			arena = pgmig_big_arena_begin(VARSIZE_ANY_EXHDR(image));
			opened = pm_image_view_open((unsigned char *) VARDATA_ANY(image),
										VARSIZE_ANY_EXHDR(image), &iv->v, &err);
		}
		if (opened)
		{
			iv->applied = pgmig_big_alloc0(iv->v.n + 1);
			if (what == PGMIG_VIEW_APPLIED_CURRENT)
				iv->applied_at = palloc(sizeof(TimestampTz) * (iv->v.n + 1));
			if (what == PGMIG_VIEW_APPLIED_ALL || what == PGMIG_VIEW_APPLIED_CURRENT)
			{
				ViewApplied va = {iv, 0};

				/*
				 * applied_at only for the rows shown: deforming it in every
				 * row was a third of the scan.  The arena is still active,
				 * for the id lookup the scan builds when the rows do not
				 * come in load order (pm_image_view_find; 1 MB at 100,000
				 * revisions: 256 page faults and a fifth of a first
				 * history() in ordinary pages).
				 */
				scan_applied(view_applied_row, &va, false, false);
			}
			if (what == PGMIG_VIEW_APPLIED_CURRENT)
			{
				pm_set		cur;

				pm_image_view_current(&iv->v, iv->applied, &cur);
				view_applied_of(iv, &cur);
			}
			else if (what == PGMIG_VIEW_APPLIED_HEADS)
			{
				pm_set		heads;

				pm_image_view_heads(&iv->v, &heads);
				view_applied_of(iv, &heads);
			}
			MemoryContextSwitchTo(cxt);
			ok = !iv->v.dup;
		}
		if (arena)
			pgmig_core_arena_end();
	}
	PG_FINALLY();
	{
		PopActiveSnapshot();
	}
	PG_END_TRY();
	return ok;
}

/*
 * check()'s view: the stored image in place, only when its row is exactly
 * the version a check() verified (expect; then the image and its checksums
 * column describe pgmig.revision's rows, graphverify.c), with every
 * applied flag and, for each revision, the applied checksum when it is not
 * the stored one; in the snapshot the caller pushed.  False when it cannot
 * (the caller then reads the tables).  A check() at 100,000 revisions
 * spent a third of its time building the graph it needs none of.
 */
bool
pgmig_image_view_verified(const PgmigVerified *verified, PgmigImageView *iv)
{
	MemoryContext cxt = CurrentMemoryContext;
	const PgmigRowKey *expect = &verified->image;
	bytea	   *image;
	bytea	   *mapped;
	pm_error	err;
	bool		arena;
	bool		opened;
	VerifiedApplied vr;
	AttrNumber	att_rev;
	AttrNumber	att_ck;
	PgmigRowKey *keys = NULL;
	int			nkeys = 0;
	bool		scanned = false;

	memset(iv, 0, sizeof(PgmigImageView));
	if (!OidIsValid(pgmig_relid("graph_image")) || !caller_may_use_image())
		return false;
	image = verified_image_column(expect, "image");
	MemoryContextSwitchTo(cxt);
	if (image == NULL)
		return false;
	mapped = (bytea *) fetch_mapped(PointerGetDatum(image));
	image = mapped ? mapped : pg_detoast_datum_packed(image);
	if (image_of_other_format(image))
		return false;
	/* the view's arrays (5 bytes a revision) with the image */
	arena = pgmig_big_arena_begin(VARSIZE_ANY_EXHDR(image));
	opened = pm_image_view_open((unsigned char *) VARDATA_ANY(image),
								VARSIZE_ANY_EXHDR(image), &iv->v, &err);
	if (!opened)
	{
		if (arena)
			pgmig_core_arena_end();
		return false;			/* never written so: read the tables */
	}
	iv->changed = pgmig_big_alloc0(sizeof(char *) * (iv->v.n + 1));
	iv->applied = pgmig_big_alloc0(iv->v.n + 1);
	memset(&vr, 0, sizeof(vr));
	vr.va.iv = iv;
	vr.expect = expect;
	vr.cxt = cxt;

	/*
	 * pgmig.applied against the record: a row version it names still
	 * carries its revision's checksum and names the recorded revision
	 * (graphverify.c), only its header is read; the others are compared.  Only for a caller who reads every row as
	 * pgmig does; else by query, every checksum compared.  With the arena,
	 * as pgmig_image_view_read() says.
	 */
	if (pgmig_applied_readable(&att_rev, &att_ck))
		scanned = pgmig_verified_applied_scan(verified, iv->v.n, att_rev, att_ck,
											  view_verified_row, &vr,
											  &keys, &nkeys);
	if (!scanned && verified_sums(&vr))
		scan_applied(view_applied_row, &vr.va, false, true);
	if (arena)
		pgmig_core_arena_end();
	MemoryContextSwitchTo(cxt);
	/* pgmig.revision's primary key: a duplicate id means another writer */
	if (vr.no_sums || iv->v.dup)
		return false;

	/*
	 * Rows the record does not name, and every applied checksum right: the
	 * next check() or status() need not compare them again while these row
	 * versions stay.  The first call after an upgrade or a downgrade
	 * compares the rows it wrote and records them (one small update).
	 */
	if (scanned && keys != NULL && vr.va.changed == 0)
		pgmig_verified_write_applied(verified, keys, nkeys);
	return true;
}
