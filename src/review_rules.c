/*-------------------------------------------------------------------------
 *
 * review_rules.c
 *	  The statement rules of pgmig.review(): for one raw parse tree, the
 *	  locks it takes, whether it rewrites or scans a table, and the safe
 *	  pattern when it does.
 *
 * Where the facts come from:
 *	- lock levels: AlterTableGetLockLevel() for ALTER TABLE (the server's
 *	  own table, so a new PostgreSQL version brings its own answers); for
 *	  the other statements the levels documented in "Explicit Locking";
 *	- rewrites: a column type change rewrites unless the old type is
 *	  binary-coercible to the new one with no new length limit, or the same
 *	  type only widens its typmod (varchar, varbit, numeric precision at the
 *	  same scale, timestamp precision), which is what the server's length
 *	  coercion support functions let ALTER TABLE skip; ADD COLUMN rewrites
 *	  for a volatile default, serial, identity or a stored generated column;
 *	  SET LOGGED/UNLOGGED, SET ACCESS METHOD, CLUSTER, VACUUM FULL always;
 *	- scans: validated CHECK and FOREIGN KEY, UNIQUE/PRIMARY KEY builds,
 *	  SET NOT NULL unless a validated CHECK (col IS NOT NULL) proves it.
 *
 * Locking: relation names are resolved with RangeVarGetRelidExtended(...,
 * NoLock, ...), types and functions through the syscache; nothing here
 * opens a user relation.  Sizes and data checks are review_data.c's.
 *
 * No false alarms: a relation created earlier in the run (or absent now)
 * has no rows; a relation below the size thresholds only gets its "lock"
 * info row; NOT VALID constraints, constant defaults, widening type
 * changes and enum ADD VALUE produce nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "review.h"

#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

static const char *const lock_names[] = {
	"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
	"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"
};

const char *
review_lock_name(LOCKMODE mode)
{
	if (mode < 1 || mode > AccessExclusiveLock)
		return "";
	return lock_names[mode];
}

#define HINT_CONCURRENTLY \
	"Create the index with CREATE INDEX CONCURRENTLY in a revision of its own marked \"-- transactional: false\" (run by the pgmig client or CALL pgmig.migrate())."
#define HINT_NOT_VALID \
	"Add the constraint NOT VALID (no scan, brief lock), then VALIDATE CONSTRAINT in a later revision: validation takes only SHARE UPDATE EXCLUSIVE, so reads and writes go on."
#define HINT_NOT_NULL \
	"Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later revision, then SET NOT NULL: PostgreSQL uses the validated CHECK and skips the scan; drop the CHECK afterwards."
#define HINT_UNIQUE \
	"Build the index first with CREATE UNIQUE INDEX CONCURRENTLY in a \"-- transactional: false\" revision, then ADD CONSTRAINT ... UNIQUE/PRIMARY KEY USING INDEX (a brief lock)."
#define HINT_EXPAND \
	"Expand/contract: add a new column (or table), backfill it in batches in a revision of its own, switch the application to it, and drop the old one in a later revision."
#define HINT_REWRITE \
	"Run it in a maintenance window, or use a tool that copies the table online (pg_repack) and takes the exclusive lock only at the end."
#define HINT_BACKFILL \
	"Backfill in a revision of its own marked \"-- transactional: false\", in batches of a few thousand rows, each committed on its own."

/* ---- small helpers ---- */

/*
 * The run takes mode on rel: an info row, the run's lock list for the
 * blocker check, and the ACCESS EXCLUSIVE locks held until commit.
 */
static void
take_lock(ReviewState *st, ReviewRel *rel, LOCKMODE mode)
{
	MemoryContext old;
	ListCell   *lc;
	ReviewLock *lk = NULL;

	if (rel->created || mode == NoLock)
		return;
	review_emit(st, "info", "lock", rel, mode,
				psprintf("takes %s lock on %s", review_lock_name(mode),
						 review_size_text(rel)),
				NULL);
	old = MemoryContextSwitchTo(st->cxt);
	foreach(lc, st->locks)
	{
		ReviewLock *l = lfirst(lc);

		if (l->relid == rel->relid)
			lk = l;
	}
	if (lk == NULL)
	{
		lk = palloc0(sizeof(ReviewLock));
		lk->relid = rel->relid;
		lk->name = rel->name;
		lk->revision = pstrdup(st->revision);
		st->locks = lappend(st->locks, lk);
	}
	if (mode > lk->mode)
		lk->mode = mode;
	if (mode == AccessExclusiveLock && st->transactional &&
		!list_member_ptr(st->held_ae, rel))
		st->held_ae = lappend(st->held_ae, rel);
	MemoryContextSwitchTo(old);
}

/*
 * The relation a statement cannot run without (no IF EXISTS).  When it is
 * not in this database and no earlier statement of the run creates it, the
 * run would fail there with "relation does not exist": say so now.  Not
 * after a statement that may create relations or change where names
 * resolve out of review's sight (st->opaque): no false alarms.
 */
static ReviewRel *
needed(ReviewState *st, RangeVar *rv, bool missing_ok)
{
	ReviewRel  *rel = review_relation(st, rv);

	if (rel->absent && !missing_ok && !st->opaque)
		review_emit(st, "error", "missing-relation", rel, NoLock,
					psprintf("%s does not exist in this database, and no earlier statement of the run creates it: the run would fail here",
							 rel->name),
					"Check the name, its schema and the search_path, and that the revision creating it comes first (down_revision).");
	return rel;
}

/* the relations a query names (see query_needs) */
typedef struct RelRefs
{
	List	   *ctes;			/* names of its WITH queries */
	List	   *rels;			/* of RangeVar */
} RelRefs;

static bool
relref_walker(Node *node, void *context)
{
	RelRefs    *rr = (RelRefs *) context;

	if (node == NULL)
		return false;
	if (IsA(node, CommonTableExpr))
		rr->ctes = lappend(rr->ctes, ((CommonTableExpr *) node)->ctename);
	else if (IsA(node, RangeVar))
		rr->rels = lappend(rr->rels, node);
	return raw_expression_tree_walker(node, relref_walker, context);
}

/*
 * The relations a view's or CREATE TABLE AS's query reads must be there
 * (needed()): the statement fails at parse analysis otherwise, before it
 * runs anything.  An unqualified name of one of its WITH queries is not a
 * relation.
 */
static void
query_needs(ReviewState *st, Node *query)
{
	RelRefs		rr = {NIL, NIL};
	ListCell   *lc;

	if (query == NULL || !IsA(query, SelectStmt))
		return;					/* CREATE TABLE AS EXECUTE: a prepared plan */
	(void) relref_walker(query, &rr);
	foreach(lc, rr.rels)
	{
		RangeVar   *rv = lfirst(lc);
		bool		cte = false;
		ListCell   *c;

		if (rv->schemaname == NULL)
			foreach(c, rr.ctes)
				if (strcmp(lfirst(c), rv->relname) == 0)
					cte = true;
		if (!cte)
			(void) needed(st, rv, false);
	}
}

/*
 * A long operation (scan, rewrite, index build) on rel under mode: a
 * finding when the table is big enough, and lock accumulation when other
 * tables are already held ACCESS EXCLUSIVE by the run meanwhile.
 */
static void
long_operation(ReviewState *st, ReviewRel *rel, LOCKMODE mode,
			   const char *rule, const char *what, const char *consequence,
			   const char *hint)
{
	const char *sev = review_size_severity(rel);
	StringInfoData others;
	ListCell   *lc;

	if (sev == NULL)
		return;
	review_emit(st, sev, rule, rel, mode,
				psprintf("%s %s under %s lock: %s", what, review_size_text(rel),
						 review_lock_name(mode), consequence),
				hint);

	initStringInfo(&others);
	foreach(lc, st->held_ae)
	{
		ReviewRel  *h = lfirst(lc);

		if (h->relid != rel->relid)
			appendStringInfo(&others, "%s%s", others.len ? ", " : "", h->name);
	}
	if (others.len > 0)
		review_emit(st, "warning", "lock-accumulation", rel, mode,
					psprintf("while this statement works through %s, the run already holds ACCESS EXCLUSIVE locks on %s: every query on them waits until the run commits",
							 review_size_text(rel), others.data),
					"Move the long statement to a revision of its own (or before the statements that take exclusive locks), or use the NOT VALID / CONCURRENTLY patterns so nothing long runs while exclusive locks are held.");
}

/* Does any function of that name exist that is volatile (or none at all)? */
static bool
function_is_volatile(List *funcname)
{
	const char *name = strVal(llast(funcname));
	CatCList   *cl;
	bool		volatile_found = false;
	int			i;

	cl = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
	for (i = 0; i < cl->n_members; i++)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(&cl->members[i]->tuple);

		if (p->provolatile == PROVOLATILE_VOLATILE)
			volatile_found = true;
	}
	if (cl->n_members == 0)
		volatile_found = true;	/* unknown yet: assume the worst */
	ReleaseSysCacheList(cl);
	return volatile_found;
}

static bool
volatile_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall) && function_is_volatile(((FuncCall *) node)->funcname))
		return true;
	if (IsA(node, SubLink))
		return true;
	return raw_expression_tree_walker(node, volatile_walker, context);
}

static bool
is_serial(TypeName *tn)
{
	const char *t;

	if (tn == NULL || list_length(tn->names) != 1)
		return false;
	t = strVal(linitial(tn->names));
	return strcmp(t, "serial") == 0 || strcmp(t, "bigserial") == 0 ||
		strcmp(t, "smallserial") == 0 || strcmp(t, "serial2") == 0 ||
		strcmp(t, "serial4") == 0 || strcmp(t, "serial8") == 0;
}

/* Same type, new typmod: does the server's length coercion skip the rewrite? */
static bool
typmod_widens(Oid type, int32 oldmod, int32 newmod)
{
	if (newmod == oldmod)
		return true;
	switch (type)
	{
		case VARCHAROID:
		case VARBITOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return newmod == -1 || (oldmod != -1 && newmod >= oldmod);
		case NUMERICOID:
			if (newmod == -1)
				return true;
			if (oldmod == -1)
				return false;
			/* typmod is ((precision << 16) | scale) + VARHDRSZ */
			return ((oldmod - VARHDRSZ) & 0xffff) == ((newmod - VARHDRSZ) & 0xffff) &&
				((newmod - VARHDRSZ) >> 16) >= ((oldmod - VARHDRSZ) >> 16);
		default:
			return false;
	}
}

/* Would ALTER COLUMN col TYPE tn [USING expr] rewrite rel? */
static bool
type_change_rewrites(ReviewRel *rel, const char *col, TypeName *tn, Node *using)
{
	AttrNumber	attnum;
	Oid			oldtype;
	int32		oldmod;
	Oid			oldcoll;
	Oid			newtype;
	int32		newmod;
	Type		typ;

	if (using != NULL)
		return true;
	attnum = get_attnum(rel->relid, col);
	if (attnum == InvalidAttrNumber)
		return true;
	get_atttypetypmodcoll(rel->relid, attnum, &oldtype, &oldmod, &oldcoll);
	typ = LookupTypeName(NULL, tn, &newmod, true);
	if (typ == NULL)
		return true;
	newtype = typeTypeId(typ);
	ReleaseSysCache(typ);
	if (newtype == oldtype)
		return !typmod_widens(oldtype, oldmod, newmod);
	return !(IsBinaryCoercible(oldtype, newtype) && newmod == -1);
}

/* "col IS NOT NULL" with a plain column reference: the column, else NULL */
static const char *
not_null_check_column(Node *expr)
{
	NullTest   *nt;
	ColumnRef  *cr;

	if (expr == NULL || !IsA(expr, NullTest))
		return NULL;
	nt = (NullTest *) expr;
	if (nt->nulltesttype != IS_NOT_NULL || !IsA(nt->arg, ColumnRef))
		return NULL;
	cr = (ColumnRef *) nt->arg;
	if (list_length(cr->fields) != 1 || !IsA(linitial(cr->fields), String))
		return NULL;
	return strVal(linitial(cr->fields));
}

/* Columns named by a list of String nodes, or by IndexElems, "a, b" */
static List *
name_list(List *l)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, l)
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, String))
			out = lappend(out, strVal(n));
		else if (IsA(n, IndexElem) && ((IndexElem *) n)->name != NULL)
			out = lappend(out, ((IndexElem *) n)->name);
		else
			return NIL;			/* an expression: no data check */
	}
	return out;
}

/* ---- data checks (counts come from review_data.c) ---- */

/* "p.a, p.b" (sep ", ", suffix "") or "p.a IS NOT NULL AND ..." */
static char *
cols_join(List *cols, const char *prefix, const char *suffix, const char *sep)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, cols)
		appendStringInfo(&b, "%s%s%s%s", b.len ? sep : "", prefix,
						 quote_identifier((char *) lfirst(lc)), suffix);
	return b.data;
}

#define cols_sql(cols, prefix) cols_join((cols), (prefix), "", ", ")
#define cols_not_null_sql(cols, prefix) cols_join((cols), (prefix), " IS NOT NULL", " AND ")

static void
check_duplicates(ReviewState *st, ReviewRel *rel, List *cols, bool primary)
{
	int64		dups;
	int64		nulls = 0;
	char	   *cs = cols_sql(cols, "");

	if (rel->created || cols == NIL)
		return;
	dups = review_count(st, rel, NULL, psprintf("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM %s WHERE %s GROUP BY %s HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d",
								 review_qualified(rel), cols_not_null_sql(cols, ""), cs));
	if (primary)
		nulls = review_count(st, rel, NULL, psprintf("SELECT pg_catalog.count(*) FROM %s WHERE NOT (%s)",
									  review_qualified(rel), cols_not_null_sql(cols, "")));
	if (dups > 0)
		review_emit(st, "error", "data-unique", rel, NoLock,
					psprintf(INT64_FORMAT " value%s of (%s) occur more than once in %s: the unique index cannot be built",
							 dups, dups == 1 ? "" : "s", cs, rel->name),
					"Remove or merge the duplicate rows first, in a revision of their own.");
	if (nulls > 0)
		review_emit(st, "error", "data-not-null", rel, NoLock,
					psprintf(INT64_FORMAT " row%s of %s have NULL in (%s): the primary key cannot be added",
							 nulls, nulls == 1 ? "" : "s", rel->name, cs),
					"Fill the NULLs first, in a revision of their own.");
}

static void
check_nulls(ReviewState *st, ReviewRel *rel, const char *col)
{
	int64		n;

	if (rel->created)
		return;
	n = review_count(st, rel, NULL, psprintf("SELECT pg_catalog.count(*) FROM %s WHERE %s IS NULL",
							  review_qualified(rel), quote_identifier(col)));
	if (n > 0)
		review_emit(st, "error", "data-not-null", rel, NoLock,
					psprintf(INT64_FORMAT " row%s of %s have NULL in column %s: SET NOT NULL will fail",
							 n, n == 1 ? "" : "s", rel->name, col),
					"Backfill the NULLs first, in a revision of its own and in batches.");
}

static void
check_foreign_key(ReviewState *st, ReviewRel *rel, Constraint *c, List *fkcols)
{
	ReviewRel  *ref = review_relation(st, c->pktable);
	List	   *pkcols = name_list(c->pk_attrs);
	StringInfoData join;
	ListCell   *a;
	ListCell   *b;
	int64		n;

	if (rel->created || ref->created || fkcols == NIL)
		return;
	if (pkcols == NIL)
		pkcols = review_primary_key(ref);
	if (list_length(pkcols) != list_length(fkcols))
		return;
	initStringInfo(&join);
	forboth(a, fkcols, b, pkcols)
		appendStringInfo(&join, "%sr.%s OPERATOR(pg_catalog.=) t.%s",
						 join.len ? " AND " : "",
						 quote_identifier((char *) lfirst(b)),
						 quote_identifier((char *) lfirst(a)));
	n = review_count(st, rel, ref, psprintf("SELECT pg_catalog.count(*) FROM %s t WHERE %s AND NOT EXISTS (SELECT 1 FROM %s r WHERE %s)",
							  review_qualified(rel), cols_not_null_sql(fkcols, "t."),
							  review_qualified(ref), join.data));
	if (n > 0)
		review_emit(st, "error", "data-foreign-key", rel, NoLock,
					psprintf(INT64_FORMAT " row%s of %s reference no row of %s: the foreign key cannot be validated",
							 n, n == 1 ? "" : "s", rel->name, ref->name),
					"Fix or delete the orphan rows first, in a revision of their own.");
}

static void
check_check(ReviewState *st, ReviewRel *rel, Constraint *c, const char *script)
{
	char	   *expr;
	int64		n;

	if (rel->created)
		return;
	expr = review_check_text(script, c);
	if (expr == NULL)
		return;
	n = review_count_check(st, rel, expr);
	if (n > 0)
		review_emit(st, "error", "data-check", rel, NoLock,
					psprintf(INT64_FORMAT " row%s of %s violate CHECK (%s)",
							 n, n == 1 ? "" : "s", rel->name, expr),
					"Fix the violating rows first, in a revision of their own, or add the constraint NOT VALID so that only new rows are checked.");
}

/* ---- statement kinds ---- */

static void
review_constraint(ReviewState *st, ReviewRel *rel, Constraint *c,
				  LOCKMODE mode, List *cols, const char *script)
{
	const char *col;

	switch (c->contype)
	{
		case CONSTR_CHECK:
			col = not_null_check_column(c->raw_expr);
			if (c->skip_validation)
			{
				if (col && c->conname)
					review_note_pending_check(st, rel, c->conname, col);
				break;
			}
			if (col)
				review_note_proven(st, rel, col);
			long_operation(st, rel, mode, "check-scan",
						   psprintf("ADD CONSTRAINT %s CHECK scans", c->conname ? c->conname : ""),
						   "every query on it waits until every row is checked", HINT_NOT_VALID);
			check_check(st, rel, c, script);
			break;
		case CONSTR_FOREIGN:
			{
				ReviewRel  *ref = needed(st, c->pktable, false);
				List	   *fk = cols ? cols : name_list(c->fk_attrs);

				take_lock(st, ref, ShareRowExclusiveLock);
				if (c->skip_validation)
					break;
				long_operation(st, rel, mode, "foreign-key-scan",
							   psprintf("ADD FOREIGN KEY to %s scans", ref->name),
							   "writes to both tables wait until every row is checked",
							   HINT_NOT_VALID);
				check_foreign_key(st, rel, c, fk);
			}
			break;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
			if (c->indexname != NULL)
				break;			/* USING INDEX: the index is already built */
			long_operation(st, rel, mode, "unique-build",
						   psprintf("ADD %s builds an index on",
									c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE"),
						   "every query on it waits until the index is built", HINT_UNIQUE);
			check_duplicates(st, rel, cols ? cols : name_list(c->keys),
							 c->contype == CONSTR_PRIMARY);
			break;
		case CONSTR_EXCLUSION:
			long_operation(st, rel, mode, "unique-build",
						   "ADD EXCLUDE builds an index on",
						   "every query on it waits until the index is built", HINT_UNIQUE);
			break;
		default:
			break;
	}
}

static void
review_add_column(ReviewState *st, ReviewRel *rel, LOCKMODE mode,
				  ColumnDef *cd, const char *script)
{
	ListCell   *lc;
	bool		has_default = false;
	bool		not_null = cd->is_not_null;
	const char *rewrite = NULL;

	if (is_serial(cd->typeName))
		rewrite = "a serial column (its default calls nextval())";
	foreach(lc, cd->constraints)
	{
		Constraint *c = lfirst(lc);

		if (c->contype == CONSTR_DEFAULT)
		{
			has_default = true;
			if (volatile_walker(c->raw_expr, NULL))
				rewrite = "a volatile default";
		}
		else if (c->contype == CONSTR_NOTNULL)
			not_null = true;
		else if (c->contype == CONSTR_IDENTITY)
			rewrite = "an identity column";
		else if (c->contype == CONSTR_GENERATED)
			rewrite = "a stored generated column";
		else if (c->contype == CONSTR_FOREIGN)
			review_constraint(st, rel, c, mode, list_make1(cd->colname), script);
	}
	if (rewrite)
		long_operation(st, rel, mode, "rewrite",
					   psprintf("ADD COLUMN %s with %s rewrites", cd->colname, rewrite),
					   "every query on it waits until the copy is done",
					   "Add the column without a default (or with a constant one), then backfill it in batches in a revision of its own.");
	else if (not_null && !has_default && !rel->created)
	{
		int64		n = review_count(st, rel, NULL, psprintf("SELECT pg_catalog.count(*) FROM %s",
											  review_qualified(rel)));

		if (n > 0)
			review_emit(st, "error", "data-add-column-not-null", rel, NoLock,
						psprintf("%s has " INT64_FORMAT " row%s: ADD COLUMN %s NOT NULL without a default will fail",
								 rel->name, n, n == 1 ? "" : "s", cd->colname),
						"Give the column a constant DEFAULT, or add it nullable, backfill it, and SET NOT NULL in a later revision.");
	}
}

static void
review_alter_table(ReviewState *st, AlterTableStmt *stmt, const char *script)
{
	ReviewRel  *rel = needed(st, stmt->relation, stmt->missing_ok);
	LOCKMODE	mode = AlterTableGetLockLevel(stmt->cmds);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				review_add_column(st, rel, mode, (ColumnDef *) cmd->def, script);
				break;
			case AT_AlterColumnType:
				{
					ColumnDef  *cd = (ColumnDef *) cmd->def;

					if (rel->created ||
						!type_change_rewrites(rel, cmd->name, cd->typeName, cd->raw_default))
						break;
					long_operation(st, rel, mode, "rewrite",
								   psprintf("ALTER COLUMN %s TYPE %s rewrites", cmd->name,
											TypeNameToString(cd->typeName)),
								   "the table and its indexes are copied while every query on it waits",
								   HINT_EXPAND);
				}
				break;
			case AT_SetNotNull:
				if (rel->created || review_is_proven(st, rel, cmd->name))
					break;
				long_operation(st, rel, mode, "set-not-null",
							   psprintf("SET NOT NULL on column %s scans", cmd->name),
							   "every query on it waits until every row is checked",
							   HINT_NOT_NULL);
				check_nulls(st, rel, cmd->name);
				break;
			case AT_AddConstraint:
				review_constraint(st, rel, (Constraint *) cmd->def, mode, NIL, script);
				break;
			case AT_ValidateConstraint:
				review_note_validated(st, rel, cmd->name);
				break;
			case AT_DropColumn:
				if (!rel->created)
					review_emit(st, "warning", "drop-column", rel, mode,
								psprintf("DROP COLUMN %s of %s: application code still using it fails as soon as this commits, and its data is gone",
										 cmd->name, rel->name),
								"Expand/contract: stop using the column in the application and deploy that first, then drop it in a later revision.");
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
#ifdef PGMIG_HAS_SET_ACCESS_METHOD
			case AT_SetAccessMethod:
#endif
				long_operation(st, rel, mode, "rewrite",
							   cmd->subtype == AT_SetLogged ? "SET LOGGED rewrites" :
							   cmd->subtype == AT_SetUnLogged ? "SET UNLOGGED rewrites" :
							   "SET ACCESS METHOD rewrites",
							   "every query on it waits until the copy is done", HINT_REWRITE);
				break;
			default:
				break;
		}
	}
	take_lock(st, rel, mode);
}

static void
review_index(ReviewState *st, IndexStmt *stmt)
{
	ReviewRel  *rel = needed(st, stmt->relation, false);
	LOCKMODE	mode = stmt->concurrent ? ShareUpdateExclusiveLock : ShareLock;

	if (stmt->concurrent)
		st->concurrently = true;

	if (!rel->created && st->created_here != NIL)
		review_emit(st, "warning", "index-beside-create", rel, mode,
					psprintf("this revision creates %s and also indexes %s, a table it did not create",
							 (char *) linitial(st->created_here), review_size_text(rel)),
					"Add indexes on existing tables in a separate revision (with CREATE INDEX CONCURRENTLY), so the new table's revision stays short and can be rolled back alone.");
	if (!stmt->concurrent)
		long_operation(st, rel, mode, "create-index",
					   psprintf("CREATE %sINDEX %s builds on", stmt->unique ? "UNIQUE " : "",
								stmt->idxname ? stmt->idxname : ""),
					   "inserts, updates and deletes wait until the index is built",
					   HINT_CONCURRENTLY);
	if (stmt->unique)
		check_duplicates(st, rel, stmt->whereClause ? NIL : name_list(stmt->indexParams), false);
	take_lock(st, rel, mode);
	/* the index, in its table's schema, exists from here on */
	if (stmt->idxname)
		review_note_name(st, makeRangeVar(stmt->relation->schemaname, stmt->idxname, -1));
}

static void
review_drop(ReviewState *st, DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_TABLE && stmt->removeType != OBJECT_INDEX &&
		stmt->removeType != OBJECT_MATVIEW && stmt->removeType != OBJECT_VIEW)
		return;
	foreach(lc, stmt->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
		ReviewRel  *rel = needed(st, rv, stmt->missing_ok);

		if (rel->created)
			continue;
		if (stmt->removeType == OBJECT_TABLE)
			review_emit(st, "warning", "drop-table", rel, AccessExclusiveLock,
						psprintf("DROP TABLE %s: application code still using it fails as soon as this commits, and its data is gone",
								 review_size_text(rel)),
						"Expand/contract: stop using the table in the application and deploy that first, then drop it in a later revision.");
		if (stmt->removeType == OBJECT_INDEX)
		{
			Oid			tab = IndexGetRelation(rel->relid, true);

			if (OidIsValid(tab))
				take_lock(st, review_relation_oid(st, tab),
						  stmt->concurrent ? ShareUpdateExclusiveLock : AccessExclusiveLock);
		}
		take_lock(st, rel, stmt->concurrent ? ShareUpdateExclusiveLock : AccessExclusiveLock);
	}
}

static void
review_rename(ReviewState *st, RenameStmt *stmt)
{
	ReviewRel  *rel;

	if (stmt->relation == NULL)
		return;
	rel = needed(st, stmt->relation, stmt->missing_ok);
	/* the new name exists from here on */
	if (stmt->renameType != OBJECT_COLUMN && stmt->renameType != OBJECT_TABCONSTRAINT &&
		stmt->renameType != OBJECT_TRIGGER && stmt->renameType != OBJECT_POLICY &&
		stmt->renameType != OBJECT_RULE)
		review_note_name(st, makeRangeVar(stmt->relation->schemaname, stmt->newname, -1));
	if (rel->created)
		return;
	if (stmt->renameType == OBJECT_COLUMN || stmt->renameType == OBJECT_TABLE)
		review_emit(st, "warning", "rename", rel, AccessExclusiveLock,
					stmt->renameType == OBJECT_COLUMN ?
					psprintf("RENAME COLUMN %s of %s to %s: application code using the old name fails as soon as this commits",
							 stmt->subname, rel->name, stmt->newname) :
					psprintf("RENAME %s to %s: application code using the old name fails as soon as this commits",
							 rel->name, stmt->newname),
					HINT_EXPAND);
	take_lock(st, rel, stmt->renameType == OBJECT_INDEX ?
			  ShareUpdateExclusiveLock : AccessExclusiveLock);
}

static void
review_dml(ReviewState *st, RangeVar *rv, bool update_or_delete)
{
	ReviewRel  *rel = needed(st, rv, false);

	if (rel->created)
		return;
	if (!st->rev_dml)
		st->rev_dml_line = st->line;
	st->rev_dml = true;
	if (update_or_delete)
		long_operation(st, rel, RowExclusiveLock, "backfill",
					   "UPDATE/DELETE in one transaction on",
					   "every changed row stays locked, and the table bloats, until the run commits",
					   HINT_BACKFILL);
	take_lock(st, rel, RowExclusiveLock);
}

static bool
vacuum_full(VacuumStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (strcmp(d->defname, "full") == 0)
			return d->arg == NULL || defGetBoolean(d);
	}
	return false;
}

void
review_statement(ReviewState *st, RawStmt *rs, const char *script)
{
	Node	   *s = rs->stmt;
	ListCell   *lc;

	switch (nodeTag(s))
	{
		case T_AlterTableStmt:
			st->rev_ddl = true;
			review_alter_table(st, (AlterTableStmt *) s, script);
			break;
		case T_IndexStmt:
			st->rev_ddl = true;
			review_index(st, (IndexStmt *) s);
			break;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) s;

				st->rev_ddl = true;
				/* first: a foreign key may reference the table itself */
				review_note_created(st, cs->relation);
				foreach(lc, cs->tableElts)
				{
					Node	   *e = lfirst(lc);

					if (IsA(e, Constraint) && ((Constraint *) e)->contype == CONSTR_FOREIGN)
						take_lock(st, needed(st, ((Constraint *) e)->pktable, false),
								  ShareRowExclusiveLock);
					else if (IsA(e, ColumnDef))
					{
						ListCell   *c;

						foreach(c, ((ColumnDef *) e)->constraints)
							if (((Constraint *) lfirst(c))->contype == CONSTR_FOREIGN)
								take_lock(st, needed(st, ((Constraint *) lfirst(c))->pktable, false),
										  ShareRowExclusiveLock);
					}
				}
				foreach(lc, cs->inhRelations)
					take_lock(st, needed(st, lfirst(lc), false),
							  cs->partbound ? AccessExclusiveLock : ShareUpdateExclusiveLock);
			}
			break;
		case T_CreateTableAsStmt:
			st->rev_ddl = true;
			query_needs(st, ((CreateTableAsStmt *) s)->query);
			review_note_created(st, ((CreateTableAsStmt *) s)->into->rel);
			break;
		case T_ViewStmt:
			st->rev_ddl = true;
			query_needs(st, ((ViewStmt *) s)->query);
			review_note_created(st, ((ViewStmt *) s)->view);
			break;
		case T_CommentStmt:
			{
				CommentStmt *cs = (CommentStmt *) s;
				List	   *names = NIL;

				switch (cs->objtype)
				{
					case OBJECT_TABLE:
					case OBJECT_VIEW:
					case OBJECT_MATVIEW:
					case OBJECT_INDEX:
					case OBJECT_SEQUENCE:
					case OBJECT_FOREIGN_TABLE:
						names = castNode(List, cs->object);
						break;
					case OBJECT_COLUMN:
						names = list_truncate(list_copy(castNode(List, cs->object)),
											  list_length(castNode(List, cs->object)) - 1);
						break;
					default:
						break;
				}
				/* COMMENT ON locks its relation SHARE UPDATE EXCLUSIVE */
				if (names != NIL)
					take_lock(st, needed(st, makeRangeVarFromNameList(names), false),
							  ShareUpdateExclusiveLock);
			}
			break;
		case T_GrantStmt:
			{
				GrantStmt  *gs = (GrantStmt *) s;

				/* ON TABLE also names views and sequences; no lock taken */
				if (gs->targtype == ACL_TARGET_OBJECT &&
					(gs->objtype == OBJECT_TABLE || gs->objtype == OBJECT_SEQUENCE))
					foreach(lc, gs->objects)
						(void) needed(st, lfirst_node(RangeVar, lc), false);
			}
			break;
		case T_DropStmt:
			st->rev_ddl = true;
			review_drop(st, (DropStmt *) s);
			break;
		case T_RenameStmt:
			st->rev_ddl = true;
			review_rename(st, (RenameStmt *) s);
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) s)->relations)
				take_lock(st, needed(st, lfirst(lc), false), AccessExclusiveLock);
			break;
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) s;
				bool		full = vs->is_vacuumcmd && vacuum_full(vs);

				foreach(lc, vs->rels)
				{
					VacuumRelation *vr = lfirst_node(VacuumRelation, lc);
					ReviewRel  *rel;

					if (vr->relation == NULL)
						continue;
					rel = needed(st, vr->relation, false);
					if (full)
						long_operation(st, rel, AccessExclusiveLock, "rewrite",
									   "VACUUM FULL rewrites",
									   "every query on it waits until the copy is done", HINT_REWRITE);
					take_lock(st, rel, full ? AccessExclusiveLock : ShareUpdateExclusiveLock);
				}
			}
			break;
		case T_ClusterStmt:
			if (((ClusterStmt *) s)->relation)
			{
				ReviewRel  *rel = needed(st, ((ClusterStmt *) s)->relation, false);

				long_operation(st, rel, AccessExclusiveLock, "rewrite", "CLUSTER rewrites",
							   "every query on it waits until the copy is done", HINT_REWRITE);
				take_lock(st, rel, AccessExclusiveLock);
			}
			break;
		case T_RefreshMatViewStmt:
			take_lock(st, needed(st, ((RefreshMatViewStmt *) s)->relation, false),
					  ((RefreshMatViewStmt *) s)->concurrent ? ExclusiveLock : AccessExclusiveLock);
			break;
		case T_CreateTrigStmt:
			st->rev_ddl = true;
			take_lock(st, needed(st, ((CreateTrigStmt *) s)->relation, false),
					  ShareRowExclusiveLock);
			break;
		case T_RuleStmt:
			st->rev_ddl = true;
			take_lock(st, needed(st, ((RuleStmt *) s)->relation, false), AccessExclusiveLock);
			break;
		case T_LockStmt:
			foreach(lc, ((LockStmt *) s)->relations)
				take_lock(st, needed(st, lfirst(lc), false), ((LockStmt *) s)->mode);
			break;
		case T_InsertStmt:
			review_dml(st, ((InsertStmt *) s)->relation, false);
			break;
		case T_UpdateStmt:
			review_dml(st, ((UpdateStmt *) s)->relation, true);
			break;
		case T_DeleteStmt:
			review_dml(st, ((DeleteStmt *) s)->relation, true);
			break;
		case T_DoStmt:
		case T_CallStmt:
			st->opaque = true;
			review_emit(st, "info", "opaque", NULL, NoLock,
						"review cannot see inside DO blocks and procedure calls: what they lock and change is not predicted",
						"Prefer plain SQL statements in revisions, so review can check them.");
			break;
		case T_SelectStmt:		/* may call a function that creates tables */
		case T_ExecuteStmt:
		case T_ExplainStmt:
			st->opaque = true;
			break;
		case T_VariableSetStmt:
			{
				VariableSetStmt *vs = (VariableSetStmt *) s;

				if (vs->kind == VAR_RESET_ALL ||
					(vs->name && strcmp(vs->name, "search_path") == 0))
					st->opaque = true;
			}
			break;
		case T_CreateExtensionStmt:
		case T_AlterExtensionStmt:
		case T_ImportForeignSchemaStmt:
		case T_CreateSchemaStmt:	/* its CREATE TABLE elements */
			st->opaque = true;
			st->rev_ddl = true;
			break;
		case T_CreateSeqStmt:
			st->rev_ddl = true;
			review_note_name(st, ((CreateSeqStmt *) s)->sequence);
			break;
		case T_CreateForeignTableStmt:
			st->rev_ddl = true;
			review_note_name(st, ((CreateForeignTableStmt *) s)->base.relation);
			break;
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *as = (AlterObjectSchemaStmt *) s;

				st->rev_ddl = true;
				if (as->relation)
					review_note_name(st, makeRangeVar(as->newschema,
													  as->relation->relname, -1));
			}
			break;
		case T_AlterEnumStmt:
		case T_GrantRoleStmt:
			break;
		default:
			st->rev_ddl = true;
			break;
	}
}
