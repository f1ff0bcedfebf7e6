/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The one place where pgmig deals with differences between PostgreSQL
 *	  13, 14, 15, 16 and 17.  Code elsewhere uses these names only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_COMPAT_H
#define PGMIG_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(x) EmitWarningsOnPlaceholders(x)
#endif

/* hash_create(): string keys are the default before 14, a flag since */
#if PG_VERSION_NUM < 140000
#define HASH_STRINGS 0
#endif

/* the stored size of an out-of-line value (graphstore.c): va_extinfo since 14 */
#if PG_VERSION_NUM < 140000
#define VARATT_EXTERNAL_GET_EXTSIZE(toast_pointer) ((toast_pointer).va_extsize)
#endif

/* ALTER TABLE ... SET ACCESS METHOD (review_rules.c) */
#if PG_VERSION_NUM >= 150000
#define PGMIG_HAS_SET_ACCESS_METHOD
#endif

#if PG_VERSION_NUM >= 170000
#define PGMIG_MY_LXID (MyProc->vxid.lxid)
#else
#define PGMIG_MY_LXID (MyProc->lxid)
#endif

/* the relfilenode of an open relation (graphverify.c) */
#if PG_VERSION_NUM >= 160000
#define PGMIG_REL_FILENODE(rel) ((Oid) (rel)->rd_locator.relNumber)
#else
#define PGMIG_REL_FILENODE(rel) ((rel)->rd_node.relNode)
#endif

/* PG17 added "orstronger" to LockHeldByMe() */
#if PG_VERSION_NUM >= 170000
#define PGMIG_LOCK_HELD_BY_ME(tag, mode) LockHeldByMe((tag), (mode), false)
#else
#define PGMIG_LOCK_HELD_BY_ME(tag, mode) LockHeldByMe((tag), (mode))
#endif

/* EXECUTE on a function (info.c): object_aclcheck() replaced pg_proc_aclcheck() in 16 */
#if PG_VERSION_NUM >= 160000
#define PGMIG_PROC_ACLCHECK(fn, role, mode) \
	object_aclcheck(ProcedureRelationId, (fn), (role), (mode))
#else
#define PGMIG_PROC_ACLCHECK(fn, role, mode) pg_proc_aclcheck((fn), (role), (mode))
#endif

/*
 * migrate.c creates the portal snapshot after each commit with
 * EnsurePortalSnapshotExists(), which appeared in 14.0 and was back-patched
 * to 13.3.
 */
#if PG_VERSION_NUM >= 130000 && PG_VERSION_NUM < 130003
#error "pgmig needs PostgreSQL 13.3 or later"
#endif

#endif							/* PGMIG_COMPAT_H */
