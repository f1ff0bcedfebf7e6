/*-------------------------------------------------------------------------
 *
 * catversion.c
 *	  pgmig._catalog_version(): which row versions of the catalogs a schema
 *	  snapshot is made of are there now.
 *
 * The digest covers (catalog, ctid, xmin) of every row that can describe a
 * user's object, and the oid and name of every role (grants and policies
 * print role names).  Any DDL, GRANT, COMMENT, ... leaves a row version
 * that was not there before (an update writes a new version at a new
 * ctid, stamped with its transaction; a change in the same transaction as
 * the record still moves the row), so while the digest is the one kept
 * with the recorded schema (schema_state.catalog_version), the schema is
 * the recorded one and check(), status() and drift() need not take a new
 * snapshot.  A digest can change without the schema changing (a temporary
 * object's dependencies, VACUUM FULL of a catalog, a dump and restore):
 * then the snapshots are compared as before.  The only catalog writes that
 * keep the ctid and xmin, in-place updates, touch statistics and xid
 * horizons (relpages, relhasindex, relfrozenxid, ...), never a definition.
 * Rows with an OID below FirstNormalObjectId are the system's own, which
 * DDL cannot change, except the schemas (public is one) and their comments.
 * Temporary objects are never in a snapshot and come and go with sessions
 * (the client stages a folder in a temporary table in the run's own
 * transaction): they are left out, with their attributes, dependencies
 * and comments.
 *
 * Why C and not the SQL query it replaces: a new connection's first
 * check() spent two thirds of its time planning a union of 41 catalog
 * scans.  Here each catalog whose system rows can be skipped is read
 * through its OID index from FirstNormalObjectId up, the others from
 * their heap, under the caller's active snapshot (one statement, one
 * snapshot, as with the query), and every row is folded into two sums of
 * 64-bit hashes: the result does not depend on the order rows come in.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/indexing.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_default_acl.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_description.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_transform.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_ts_parser.h"
#include "catalog/pg_ts_template.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/snapmgr.h"

/* How a catalog's rows are chosen. */
typedef enum CvRows
{
	CV_ALL,						/* every row */
	CV_USER,					/* rows keyed FirstNormalObjectId and up, by
								 * the index */
} CvRows;

typedef struct CvCatalog
{
	Oid			relid;
	Oid			indexid;		/* CV_USER: the index whose first column is
								 * the key */
	AttrNumber	keyatt;			/* CV_USER: the key's heap attribute */
	CvRows		rows;
} CvCatalog;

/*
 * The catalogs, in the order they are read: temporary schemas first, then
 * what holds temporary objects (pg_class, pg_type, pg_constraint,
 * pg_attrdef, pg_trigger, pg_rewrite), so that pg_depend and
 * pg_description, read last, can leave those objects out.
 */
enum
{
	CAT_NAMESPACE, CAT_CLASS, CAT_TYPE, CAT_CONSTRAINT, CAT_ATTRDEF,
	CAT_TRIGGER, CAT_REWRITE, CAT_ATTRIBUTE, CAT_INDEX, CAT_PROC,
	CAT_POLICY, CAT_ENUM, CAT_SEQUENCE, CAT_INHERITS, CAT_EXTENSION,
	CAT_COLLATION, CAT_DEFAULT_ACL, CAT_EVENT_TRIGGER, CAT_PUBLICATION,
	CAT_FDW, CAT_FOREIGN_SERVER, CAT_FOREIGN_TABLE, CAT_LANGUAGE, CAT_CAST,
	CAT_OPERATOR, CAT_OPCLASS, CAT_OPFAMILY, CAT_CONVERSION,
	CAT_STATISTIC_EXT, CAT_TS_CONFIG, CAT_TS_DICT, CAT_TS_PARSER,
	CAT_TS_TEMPLATE, CAT_AM, CAT_PARTITIONED_TABLE, CAT_RANGE,
	CAT_AGGREGATE, CAT_TRANSFORM, CAT_AUTHID, CAT_DEPEND, CAT_DESCRIPTION,
	CAT_COUNT
};

static const CvCatalog catalogs[CAT_COUNT] = {
	[CAT_NAMESPACE] = {NamespaceRelationId, InvalidOid, 0, CV_ALL},
	[CAT_CLASS] = {RelationRelationId, ClassOidIndexId, Anum_pg_class_oid, CV_USER},
	[CAT_TYPE] = {TypeRelationId, TypeOidIndexId, Anum_pg_type_oid, CV_USER},
	[CAT_CONSTRAINT] = {ConstraintRelationId, ConstraintOidIndexId, Anum_pg_constraint_oid, CV_USER},
	[CAT_ATTRDEF] = {AttrDefaultRelationId, InvalidOid, 0, CV_ALL},
	[CAT_TRIGGER] = {TriggerRelationId, TriggerOidIndexId, Anum_pg_trigger_oid, CV_USER},
	[CAT_REWRITE] = {RewriteRelationId, RewriteOidIndexId, Anum_pg_rewrite_oid, CV_USER},
	[CAT_ATTRIBUTE] = {AttributeRelationId, AttributeRelidNumIndexId, Anum_pg_attribute_attrelid, CV_USER},
	[CAT_INDEX] = {IndexRelationId, IndexRelidIndexId, Anum_pg_index_indexrelid, CV_USER},
	[CAT_PROC] = {ProcedureRelationId, ProcedureOidIndexId, Anum_pg_proc_oid, CV_USER},
	[CAT_POLICY] = {PolicyRelationId, InvalidOid, 0, CV_ALL},
	[CAT_ENUM] = {EnumRelationId, InvalidOid, 0, CV_ALL},
	[CAT_SEQUENCE] = {SequenceRelationId, SequenceRelidIndexId, Anum_pg_sequence_seqrelid, CV_USER},
	[CAT_INHERITS] = {InheritsRelationId, InvalidOid, 0, CV_ALL},
	[CAT_EXTENSION] = {ExtensionRelationId, InvalidOid, 0, CV_ALL},
	[CAT_COLLATION] = {CollationRelationId, CollationOidIndexId, Anum_pg_collation_oid, CV_USER},
	[CAT_DEFAULT_ACL] = {DefaultAclRelationId, InvalidOid, 0, CV_ALL},
	[CAT_EVENT_TRIGGER] = {EventTriggerRelationId, InvalidOid, 0, CV_ALL},
	[CAT_PUBLICATION] = {PublicationRelationId, InvalidOid, 0, CV_ALL},
	[CAT_FDW] = {ForeignDataWrapperRelationId, InvalidOid, 0, CV_ALL},
	[CAT_FOREIGN_SERVER] = {ForeignServerRelationId, InvalidOid, 0, CV_ALL},
	[CAT_FOREIGN_TABLE] = {ForeignTableRelationId, InvalidOid, 0, CV_ALL},
	[CAT_LANGUAGE] = {LanguageRelationId, LanguageOidIndexId, Anum_pg_language_oid, CV_USER},
	[CAT_CAST] = {CastRelationId, CastOidIndexId, Anum_pg_cast_oid, CV_USER},
	[CAT_OPERATOR] = {OperatorRelationId, OperatorOidIndexId, Anum_pg_operator_oid, CV_USER},
	[CAT_OPCLASS] = {OperatorClassRelationId, OpclassOidIndexId, Anum_pg_opclass_oid, CV_USER},
	[CAT_OPFAMILY] = {OperatorFamilyRelationId, OpfamilyOidIndexId, Anum_pg_opfamily_oid, CV_USER},
	[CAT_CONVERSION] = {ConversionRelationId, ConversionOidIndexId, Anum_pg_conversion_oid, CV_USER},
	[CAT_STATISTIC_EXT] = {StatisticExtRelationId, InvalidOid, 0, CV_ALL},
	[CAT_TS_CONFIG] = {TSConfigRelationId, TSConfigOidIndexId, Anum_pg_ts_config_oid, CV_USER},
	[CAT_TS_DICT] = {TSDictionaryRelationId, TSDictionaryOidIndexId, Anum_pg_ts_dict_oid, CV_USER},
	[CAT_TS_PARSER] = {TSParserRelationId, TSParserOidIndexId, Anum_pg_ts_parser_oid, CV_USER},
	[CAT_TS_TEMPLATE] = {TSTemplateRelationId, TSTemplateOidIndexId, Anum_pg_ts_template_oid, CV_USER},
	[CAT_AM] = {AccessMethodRelationId, AmOidIndexId, Anum_pg_am_oid, CV_USER},
	[CAT_PARTITIONED_TABLE] = {PartitionedRelationId, InvalidOid, 0, CV_ALL},
	[CAT_RANGE] = {RangeRelationId, RangeTypidIndexId, Anum_pg_range_rngtypid, CV_USER},
	[CAT_AGGREGATE] = {AggregateRelationId, AggregateFnoidIndexId, Anum_pg_aggregate_aggfnoid, CV_USER},
	[CAT_TRANSFORM] = {TransformRelationId, InvalidOid, 0, CV_ALL},
	[CAT_AUTHID] = {AuthIdRelationId, InvalidOid, 0, CV_ALL},
	[CAT_DEPEND] = {DependRelationId, InvalidOid, 0, CV_ALL},
	[CAT_DESCRIPTION] = {DescriptionRelationId, DescriptionObjIndexId, Anum_pg_description_objoid, CV_USER},
};

typedef struct CvObject
{
	Oid			classid;
	Oid			objid;
} CvObject;

typedef struct CvState
{
	Snapshot	snap;
	uint64		rows;
	uint64		sum1;
	uint64		sum2;
	List	   *sysnsp;			/* schemas below FirstNormalObjectId */
	HTAB	   *tnsp;			/* temporary schemas (Oid) */
	HTAB	   *trel;			/* temporary relations (Oid) */
	HTAB	   *tobj;			/* temporary objects (CvObject) */
} CvState;

static HTAB *
oid_set(const char *name, Size keysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = keysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static bool
in_set(HTAB *set, const void *key)
{
	return hash_search(set, key, HASH_FIND, NULL) != NULL;
}

static void
add_temp(CvState *st, Oid classid, Oid objid)
{
	CvObject	o;

	o.classid = classid;
	o.objid = objid;
	(void) hash_search(st->tobj, &o, HASH_ENTER, NULL);
}

/*
 * Keep an object unless its owner (a relation in trel, a schema in tnsp) is
 * temporary; a temporary one is noted for pg_depend and pg_description.
 */
static bool
keep_unless_temp(CvState *st, HTAB *owners, Oid owner, Oid classid, Oid objid)
{
	if (!in_set(owners, &owner))
		return true;
	add_temp(st, classid, objid);
	return false;
}

/* Whether a row goes into the digest (and note what is temporary). */
static bool
keep_row(CvState *st, int cat, HeapTuple tup)
{
	void	   *row = GETSTRUCT(tup);

	switch (cat)
	{
		case CAT_NAMESPACE:
			{
				Form_pg_namespace f = (Form_pg_namespace) row;
				const char *name = NameStr(f->nspname);

				if (strncmp(name, "pg_temp_", 8) == 0 ||
					strncmp(name, "pg_toast_temp_", 14) == 0)
				{
					(void) hash_search(st->tnsp, &f->oid, HASH_ENTER, NULL);
					add_temp(st, NamespaceRelationId, f->oid);
					return false;
				}
				if (f->oid < FirstNormalObjectId)
					st->sysnsp = lappend_oid(st->sysnsp, f->oid);
				return true;
			}
		case CAT_CLASS:
			{
				Form_pg_class f = (Form_pg_class) row;

				if (keep_unless_temp(st, st->tnsp, f->relnamespace, RelationRelationId, f->oid))
					return true;
				(void) hash_search(st->trel, &f->oid, HASH_ENTER, NULL);
				return false;
			}
		case CAT_TYPE:
			return keep_unless_temp(st, st->tnsp, ((Form_pg_type) row)->typnamespace,
									TypeRelationId, ((Form_pg_type) row)->oid);
		case CAT_PROC:
			return keep_unless_temp(st, st->tnsp, ((Form_pg_proc) row)->pronamespace,
									ProcedureRelationId, ((Form_pg_proc) row)->oid);
		case CAT_CONSTRAINT:
			{
				/* a temporary table's, or a temporary domain's */
				Form_pg_constraint f = (Form_pg_constraint) row;

				return keep_unless_temp(st, st->tnsp, f->connamespace, ConstraintRelationId, f->oid) &&
					keep_unless_temp(st, st->trel, f->conrelid, ConstraintRelationId, f->oid);
			}
		case CAT_ATTRDEF:
			return keep_unless_temp(st, st->trel, ((Form_pg_attrdef) row)->adrelid,
									AttrDefaultRelationId, ((Form_pg_attrdef) row)->oid);
		case CAT_TRIGGER:
			return keep_unless_temp(st, st->trel, ((Form_pg_trigger) row)->tgrelid,
									TriggerRelationId, ((Form_pg_trigger) row)->oid);
		case CAT_REWRITE:
			return keep_unless_temp(st, st->trel, ((Form_pg_rewrite) row)->ev_class,
									RewriteRelationId, ((Form_pg_rewrite) row)->oid);
		case CAT_ATTRIBUTE:
			return !in_set(st->trel, &((Form_pg_attribute) row)->attrelid);
		case CAT_INDEX:
			return !in_set(st->trel, &((Form_pg_index) row)->indrelid);
		case CAT_POLICY:
			return !in_set(st->trel, &((Form_pg_policy) row)->polrelid);
		case CAT_SEQUENCE:
			return !in_set(st->trel, &((Form_pg_sequence) row)->seqrelid);
		case CAT_INHERITS:
			return !in_set(st->trel, &((Form_pg_inherits) row)->inhrelid);
		case CAT_STATISTIC_EXT:
			return !in_set(st->trel, &((Form_pg_statistic_ext) row)->stxrelid);
		case CAT_PARTITIONED_TABLE:
			return !in_set(st->trel, &((Form_pg_partitioned_table) row)->partrelid);
		case CAT_DEPEND:
			{
				Form_pg_depend f = (Form_pg_depend) row;
				CvObject	o;

				if (f->objid < FirstNormalObjectId && f->refobjid < FirstNormalObjectId)
					return false;
				o.classid = f->classid;
				o.objid = f->objid;
				return !in_set(st->tobj, &o);
			}
		case CAT_DESCRIPTION:
			{
				Form_pg_description f = (Form_pg_description) row;
				CvObject	o;

				o.classid = f->classoid;
				o.objid = f->objoid;
				return !in_set(st->tobj, &o);
			}
		default:
			return true;
	}
}

/* Fold one row into the digest. */
static void
add_row(CvState *st, int cat, HeapTuple tup)
{
	uint32		key[4];

	key[0] = (uint32) cat;
	if (cat == CAT_AUTHID)
	{
		/* a role: its oid and name; its other columns print nowhere */
		Form_pg_authid f = (Form_pg_authid) GETSTRUCT(tup);
		const char *name = NameStr(f->rolname);

		key[1] = f->oid;
		key[2] = (uint32) hash_bytes((const unsigned char *) name, strlen(name));
		key[3] = (uint32) strlen(name);
	}
	else
	{
		key[1] = ItemPointerGetBlockNumberNoCheck(&tup->t_self);
		key[2] = ItemPointerGetOffsetNumberNoCheck(&tup->t_self);
		key[3] = HeapTupleHeaderGetRawXmin(tup->t_data);
	}
	st->rows++;
	st->sum1 += hash_bytes_extended((const unsigned char *) key, sizeof(key),
									UINT64CONST(0x5bd1e9955bd1e995));
	st->sum2 += hash_bytes_extended((const unsigned char *) key, sizeof(key),
									UINT64CONST(0x27d4eb2f165667c5));
}

/* Read one catalog: nkeys scan keys on its index, or its whole heap. */
static void
scan_rows(CvState *st, int cat, int nkeys, ScanKey keys)
{
	const CvCatalog *c = &catalogs[cat];
	Relation	rel = table_open(c->relid, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;

	scan = systable_beginscan(rel, nkeys > 0 ? c->indexid : InvalidOid,
							  nkeys > 0, st->snap, nkeys, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		if (keep_row(st, cat, tup))
			add_row(st, cat, tup);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
scan_catalog(CvState *st, int cat)
{
	const CvCatalog *c = &catalogs[cat];
	ScanKeyData key;

	if (c->rows == CV_ALL)
	{
		scan_rows(st, cat, 0, NULL);
		return;
	}
	ScanKeyInit(&key, c->keyatt, BTGreaterEqualStrategyNumber, F_OIDGE,
				ObjectIdGetDatum(FirstNormalObjectId));
	scan_rows(st, cat, 1, &key);
}

/*
 * The digest, as text: "cv1 ROWS SUM1 SUM2".  Reads the catalogs under the
 * active snapshot (the statement's).
 */
char *
pgmig_catalog_version(void)
{
	CvState		st;
	int			cat;
	ListCell   *lc;

	memset(&st, 0, sizeof(st));
	st.snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	st.tnsp = oid_set("pgmig temporary schemas", sizeof(Oid));
	st.trel = oid_set("pgmig temporary relations", sizeof(Oid));
	st.tobj = oid_set("pgmig temporary objects", sizeof(CvObject));

	for (cat = 0; cat < CAT_COUNT; cat++)
		scan_catalog(&st, cat);

	/* comments on the system's schemas (public's included) */
	foreach(lc, st.sysnsp)
	{
		ScanKeyData keys[2];

		ScanKeyInit(&keys[0], Anum_pg_description_objoid,
					BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(lfirst_oid(lc)));
		ScanKeyInit(&keys[1], Anum_pg_description_classoid,
					BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(NamespaceRelationId));
		scan_rows(&st, CAT_DESCRIPTION, 2, keys);
	}

	hash_destroy(st.tnsp);
	hash_destroy(st.trel);
	hash_destroy(st.tobj);
	return psprintf("cv1 " UINT64_FORMAT " %016" INT64_MODIFIER "x %016" INT64_MODIFIER "x",
					st.rows, st.sum1, st.sum2);
}

PG_FUNCTION_INFO_V1(pgmig_catalog_version_sql);
Datum
pgmig_catalog_version_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(pgmig_catalog_version()));
}
