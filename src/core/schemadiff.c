/*-------------------------------------------------------------------------
 *
 * schemadiff.c
 *	  The schema diff engine (see schemadiff.h for the contract).
 *
 * How a diff is made, in one direction:
 *
 * 1. Both snapshots are parsed and every object is indexed by id.  A kind
 *    the engine does not model ("unsupported", or a kind it does not know)
 *    fails the whole diff.
 * 2. Renames from the map are applied to the source first: its ids, names,
 *    references and definitions are rewritten to the new names, and an
 *    ALTER ... RENAME step is recorded.  Renames are never guessed; a table
 *    that loses one column and gains one of the same type only gets a
 *    commented suggestion on the DROP.
 * 3. Each id gets a state: same, added, dropped, altered (the kinds
 *    PostgreSQL can ALTER in place) or replaced (drop and create).  A
 *    replaced or dropped object forces the replacement of every kept
 *    object that depends on it (PostgreSQL would refuse the DROP), and a
 *    column whose type changes forces the replacement of the views,
 *    triggers, policies and generated columns that use it (ALTER COLUMN
 *    TYPE refuses them).
 * 4. Some objects are made or removed by another statement: the columns of
 *    a new table (in its CREATE TABLE), everything on a dropped table, the
 *    index of a PK/UNIQUE/EXCLUDE constraint, partitions' inherited
 *    columns, constraints, indexes and triggers, identity sequences,
 *    sequences owned by a dropped column.  They get no statement of their
 *    own but take part in the ordering through the statement that does it.
 * 5. Statements are nodes of a graph: a create or alter comes after the
 *    creates and alters of what the object depends on in the target; a
 *    drop comes before the drops and alters of what it depends on in the
 *    source.  A topological sort with a fixed tie-break (renames, drops,
 *    alters, creates; then a kind rank; then the id) gives a deterministic
 *    order.
 *
 * The downgrade is the same computation from target to source with the
 * renames inverted.  Column order is not compared: PostgreSQL cannot
 * reorder columns, so a difference in "ordinal" alone cannot be acted on;
 * new columns are appended as ADD COLUMN does, in the order they have in
 * the snapshot they come from (the model's order), not by name.
 *
 *-------------------------------------------------------------------------
 */
#include "schemadiff.h"

#include "json.h"
#include "sqlquote.h"

#include <stdlib.h>
#include <string.h>

typedef enum okind
{
	K_SCHEMA, K_EXTENSION, K_ENUM, K_DOMAIN, K_COMPOSITE, K_SEQUENCE,
	K_FUNCTION, K_TABLE, K_COLUMN, K_CONSTRAINT, K_INDEX, K_OWNED,
	K_VIEW, K_MATVIEW, K_TRIGGER, K_POLICY, K_COMMENT, K_ACL, K_UNKNOWN
} okind;

/* create rank = position above; drops use the reverse */
static const char *const kind_names[] = {
	"schema", "extension", "enum", "domain", "composite", "sequence",
	"function", "table", "column", "constraint", "index", "sequence",
	"view", "matview", "trigger", "policy", "comment", "acl", NULL
};

typedef enum ostate
{
	ST_SAME, ST_ADD, ST_DROP, ST_ALTER, ST_REPLACE
} ostate;

typedef struct obj
{
	const char *id;
	okind		kind;
	const pm_json *j;
	const char *schema;
	const char *name;
	const char *table;			/* qualified quoted table, or NULL */
	int			ndeps;
	const char **deps;
	int		   *depi;			/* deps resolved to indexes (-1: not here) */
	int			rel;			/* index of the relation it is on, or -1 */
	int			other;			/* index in the other snapshot, or -1 */
	ostate		st;
	bool		typechg;		/* column whose type changes */
	bool		implicit;		/* made/removed by another statement */
	int			owner;			/* object (same snapshot) whose node does it */
	int			ndrop,
				ncreate,
				nalter,
				nalter2;		/* node indexes, -1 when none */
	int			idseq;			/* column: its identity sequence, or -1 */
	char	   *suggest;		/* column drop: rename suggestion */
} obj;

typedef struct snap
{
	pm_json    *root;
	int			n;
	obj		   *o;
	int		   *hash;			/* open addressing: index into o, or -1 */
	unsigned	hmask;			/* slots - 1 (a power of two) */
} snap;

typedef struct stmt
{
	char	   *sql;
	char	   *rev;
	char	   *hazard;
	char	   *count_sql;
} stmt;

typedef struct node
{
	int			phase;			/* 0 rename, 1 drop, 2 alter, 3 create */
	int			rank;
	const char *id;
	const char *kind;
	int			nst;
	stmt	   *st;
	int			nout;
	int			capout;
	int		   *out;
	int			indeg;
	bool		done;

	/*
	 * New columns of one table (grp, its qualified name) come in the
	 * column order of the snapshot they are created from (ord), not in the
	 * order of their ids: ADD COLUMN appends, so this keeps the model's
	 * order.
	 */
	const char *grp;
	long		ord;
} node;

typedef struct rename
{
	bool		is_table;
	char	   *src_id;
	char	   *tgt_id;
} rename;

typedef struct engine
{
	snap		S;
	snap		T;
	int			nn;
	int			capn;
	node	   *nodes;
	pm_error   *err;
	bool		failed;
	const char *swap_types;		/* enums whose new values a script uses:
								 * swapped, not ADD VALUE ("\nqn\n..."; see
								 * used_new_enum_types) */
} engine;

/* ---------------------------------------------------------------- utils */

static char *
buf_take(pm_buf *b)
{
	return b->data;
}

static bool
efail(engine *e, pm_errcode code, const char *msg, const char *what)
{
	if (!e->failed)
		pm_error_set(e->err, code, "%s%.400s", msg, what ? what : "");
	e->failed = true;
	return false;
}

static okind
kind_of(const char *k)
{
	int			i;

	for (i = 0; kind_names[i]; i++)
		if (i != K_OWNED && strcmp(kind_names[i], k) == 0)
			return (okind) i;
	return K_UNKNOWN;
}

static int
obj_cmp(const void *a, const void *b)
{
	return strcmp(((const obj *) a)->id, ((const obj *) b)->id);
}

static unsigned
id_hash(const char *id)
{
	unsigned	h = 2166136261u;	/* FNV-1a */

	for (; *id; id++)
		h = (h ^ (unsigned char) *id) * 16777619u;
	return h;
}

/*
 * The index of the object with this id, or -1.  Lookups by id are the
 * engine's most frequent operation (every reference checked, every
 * dependency resolved): a hash table, built once the ids are final, answers
 * them without the ~15 string comparisons of a binary search over ids that
 * share long prefixes.
 */
static int
find(const snap *s, const char *id)
{
	int			lo = 0,
				hi = s->n - 1;

	if (id == NULL)
		return -1;
	if (s->hash)
	{
		unsigned	h = id_hash(id) & s->hmask;

		for (; s->hash[h] >= 0; h = (h + 1) & s->hmask)
			if (strcmp(s->o[s->hash[h]].id, id) == 0)
				return s->hash[h];
		return -1;
	}
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(s->o[mid].id, id);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * The objects whose id starts with prefix: ids are sorted, so they are one
 * run [*lo, *hi).  The columns of table T are the ids "column T." + name.
 */
static void
prefix_range(const snap *s, const char *prefix, int *lo, int *hi)
{
	size_t		pl = strlen(prefix);
	int			a = 0,
				b = s->n;

	while (a < b)
	{
		int			mid = (a + b) / 2;

		if (strcmp(s->o[mid].id, prefix) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (a < s->n && strncmp(s->o[a].id, prefix, pl) == 0)
		a++;
	*hi = a;
}

/* the column ids of table t (an object of kind table) */
static void
columns_of(const snap *s, const obj *t, int *lo, int *hi)
{
	pm_buf		p;

	pm_buf_init(&p);
	pm_buf_printf(&p, "column %s.", t->id + 6);
	prefix_range(s, p.data, lo, hi);
	pm_buf_free(&p);
}

static const char *
jstr(const obj *o, const char *key)
{
	return pm_json_str(o->j, key);
}

static bool
jbool(const obj *o, const char *key)
{
	return pm_json_bool(o->j, key);
}

/* A missing key is its default: "", null, false, [] are all "empty". */
/* a value that stands for "nothing": absent, null, false, "" or [] */
static bool
empty_value(const pm_json *x)
{
	return x == NULL || x->type == PM_JSON_NULL || x->type == PM_JSON_FALSE ||
		(x->type == PM_JSON_STRING && x->len == 0) ||
		(x->type == PM_JSON_ARRAY && x->n == 0);
}

static bool
same_value(const pm_json *x, const pm_json *y)
{
	bool		xe = empty_value(x);
	bool		ye = empty_value(y);

	if (xe || ye)
		return xe && ye;
	return pm_json_equal(x, y);
}

static bool
same_key(const obj *a, const obj *b, const char *key)
{
	return same_value(pm_json_get(a->j, key), pm_json_get(b->j, key));
}

static bool
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Every key but deps (and a column's ordinal) equal.  The keys of a
 * parsed object are sorted, so both are walked in step (one comparison per
 * key; this runs for every object of both snapshots).
 */
static bool
obj_equal(const obj *a, const obj *b)
{
	const pm_json *x = a->j,
			   *y = b->j;
	int			i = 0,
				k = 0;

	while (i < x->n || k < y->n)
	{
		int			c = i >= x->n ? 1 : k >= y->n ? -1 : pm_json_key_cmp(x->keys[i], y->keys[k]);
		const char *key = c <= 0 ? x->keys[i] : y->keys[k];
		const pm_json *xv = c <= 0 ? &x->items[i] : NULL;
		const pm_json *yv = c >= 0 ? &y->items[k] : NULL;

		if (c <= 0)
			i++;
		if (c >= 0)
			k++;
		if (strcmp(key, "deps") == 0 || strcmp(key, "ordinal") == 0)
			continue;
		if (!same_value(xv, yv))
			return false;
	}
	return true;
}

static void
put_qn(pm_buf *b, const obj *o)
{
	pm_quote_ident(b, o->schema);
	pm_buf_puts(b, ".");
	pm_quote_ident(b, o->name);
}

/* the relation an object lives on (table, view or matview) */
static const obj *
rel_of(const snap *s, const char *qual)
{
	static const char *const kinds[] = {"table ", "view ", "matview "};
	char		small[256];
	size_t		ql;
	int			k,
				i;

	if (qual == NULL)
		return NULL;
	ql = strlen(qual);
	for (k = 0; k < 3; k++)
	{
		size_t		kl = strlen(kinds[k]);
		char	   *id = kl + ql < sizeof(small) ? small : pm_malloc(kl + ql + 1);

		memcpy(id, kinds[k], kl);
		memcpy(id + kl, qual, ql + 1);
		i = find(s, id);
		if (id != small)
			pm_free(id);
		if (i >= 0)
			return &s->o[i];
	}
	return NULL;
}

static void
put_tbl(pm_buf *b, const snap *s, const obj *o)
{
	const obj  *t = (o->rel >= 0 && o->rel < s->n && &s->o[o->rel] != o) ? &s->o[o->rel] : rel_of(s, o->table);

	put_qn(b, t);				/* validated to exist in load_snap */
}

/* a SQL definition without leading blanks and trailing blanks/semicolon */
static void
put_def(pm_buf *b, const char *def)
{
	size_t		n;

	while (*def == ' ' || *def == '\n' || *def == '\t')
		def++;
	n = strlen(def);
	while (n > 0 && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n' ||
					 def[n - 1] == '\t'))
		n--;
	pm_buf_append(b, def, n);
}

/* a number kept as text by the producer: digits with an optional sign */
static bool
numeric_text(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ----------------------------------------------------------- statements */

typedef struct stlist
{
	int			n;
	int			cap;
	stmt	   *st;
} stlist;

static void
push(stlist *l, char *sql, char *rev, const char *hazard)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 4;
		l->st = pm_realloc(l->st, l->cap * sizeof(stmt));
	}
	l->st[l->n].sql = sql;
	l->st[l->n].rev = rev;
	l->st[l->n].hazard = hazard ? pm_strdup(hazard) : NULL;
	l->st[l->n].count_sql = NULL;
	l->n++;
}

/* "ALTER TABLE <tbl> " prefix into b */
static void
alter_table(pm_buf *b, const snap *s, const obj *o)
{
	pm_buf_init(b);
	pm_buf_puts(b, "ALTER TABLE ");
	if (o->kind == K_TABLE)
		put_qn(b, o);
	else
		put_tbl(b, s, o);
	pm_buf_puts(b, " ");
}

static const obj *
identity_seq(const snap *s, const obj *col)
{
	return col->idseq >= 0 ? &s->o[col->idseq] : NULL;
}

static void
put_seq_options(pm_buf *b, const obj *q, bool with_type)
{
	if (with_type && jstr(q, "type"))
		pm_buf_printf(b, " AS %s", jstr(q, "type"));
	if (numeric_text(jstr(q, "increment")))
		pm_buf_printf(b, " INCREMENT BY %s", jstr(q, "increment"));
	if (numeric_text(jstr(q, "min")))
		pm_buf_printf(b, " MINVALUE %s", jstr(q, "min"));
	if (numeric_text(jstr(q, "max")))
		pm_buf_printf(b, " MAXVALUE %s", jstr(q, "max"));
	if (numeric_text(jstr(q, "start")))
		pm_buf_printf(b, " START WITH %s", jstr(q, "start"));
	if (numeric_text(jstr(q, "cache")))
		pm_buf_printf(b, " CACHE %s", jstr(q, "cache"));
	pm_buf_puts(b, jbool(q, "cycle") ? " CYCLE" : " NO CYCLE");
}

static void
put_identity(pm_buf *b, const snap *s, const obj *c)
{
	const obj  *q = identity_seq(s, c);

	pm_buf_printf(b, " GENERATED %s AS IDENTITY",
				  streq(jstr(c, "identity"), "a") ? "ALWAYS" : "BY DEFAULT");
	if (q)
	{
		pm_buf_puts(b, " (SEQUENCE NAME ");
		put_qn(b, q);
		put_seq_options(b, q, false);
		pm_buf_puts(b, ")");
	}
}

/* column definition as in CREATE TABLE / ADD COLUMN */
static void
put_coldef(pm_buf *b, const snap *s, const obj *c)
{
	const char *dflt = jstr(c, "default");
	const char *ident = jstr(c, "identity");

	pm_quote_ident(b, c->name);
	pm_buf_printf(b, " %s", jstr(c, "type"));
	if (jstr(c, "collation"))
		pm_buf_printf(b, " COLLATE %s", jstr(c, "collation"));
	if (streq(jstr(c, "generated"), "s") && dflt)
		pm_buf_printf(b, " GENERATED ALWAYS AS (%s) STORED", dflt);
	else if (dflt)
		pm_buf_printf(b, " DEFAULT %s", dflt);
	if (ident && *ident)
		put_identity(b, s, c);
	if (jbool(c, "not_null"))
		pm_buf_puts(b, " NOT NULL");
}

/* the reference used by COMMENT ON / GRANT ... ON for an object */
static bool
put_ref(pm_buf *b, const snap *s, const obj *o, bool for_grant)
{
	switch (o->kind)
	{
		case K_SCHEMA:
			pm_buf_puts(b, "SCHEMA ");
			pm_quote_ident(b, o->name);
			return true;
		case K_EXTENSION:
			pm_buf_puts(b, "EXTENSION ");
			pm_quote_ident(b, o->name);
			return true;
		case K_TABLE:
		case K_VIEW:
		case K_MATVIEW:
		case K_SEQUENCE:
		case K_INDEX:
		case K_ENUM:
		case K_COMPOSITE:
		case K_DOMAIN:
			if (for_grant)
				pm_buf_puts(b, o->kind == K_SEQUENCE ? "SEQUENCE " :
							o->kind == K_DOMAIN ? "DOMAIN " :
							(o->kind == K_ENUM || o->kind == K_COMPOSITE) ? "TYPE " : "TABLE ");
			else
				pm_buf_puts(b, o->kind == K_TABLE ? "TABLE " : o->kind == K_VIEW ? "VIEW " :
							o->kind == K_MATVIEW ? "MATERIALIZED VIEW " :
							o->kind == K_SEQUENCE ? "SEQUENCE " : o->kind == K_INDEX ? "INDEX " :
							o->kind == K_DOMAIN ? "DOMAIN " : "TYPE ");
			put_qn(b, o);
			return true;
		case K_FUNCTION:
			pm_buf_puts(b, streq(jstr(o, "prokind"), "p") ? "PROCEDURE " : "FUNCTION ");
			put_qn(b, o);
			pm_buf_printf(b, "(%s)", jstr(o, "args") ? jstr(o, "args") : "");
			return true;
		case K_COLUMN:
			if (!for_grant)
			{
				pm_buf_puts(b, "COLUMN ");
				put_tbl(b, s, o);
				pm_buf_puts(b, ".");
				pm_quote_ident(b, o->name);
			}
			return true;
		case K_CONSTRAINT:
		case K_TRIGGER:
		case K_POLICY:
			pm_buf_puts(b, o->kind == K_CONSTRAINT ? "CONSTRAINT " :
						o->kind == K_TRIGGER ? "TRIGGER " : "POLICY ");
			pm_quote_ident(b, o->name);
			pm_buf_puts(b, " ON ");
			put_tbl(b, s, o);
			return true;
		default:
			return false;
	}
}

/* --- ACLs: privileges are {grantee, privilege, grantable} entries --- */

typedef struct priv
{
	const char *grantee;
	const char *privilege;
	bool		grantable;
} priv;

static int
privs_of(const snap *s, const obj *acl, const obj *target, priv *out, int max)
{
	const pm_json *a = acl ? pm_json_get(acl->j, "privileges") : NULL;
	int			n = 0,
				i;

	if (acl == NULL)
	{
		/* the default ACL, less the owner's entry (as the producer does) */
		if (target && target->kind == K_FUNCTION && max > 0)
		{
			out[0].grantee = "PUBLIC";
			out[0].privilege = "EXECUTE";
			out[0].grantable = false;
			return 1;
		}
		if (target && (target->kind == K_ENUM || target->kind == K_DOMAIN ||
					   target->kind == K_COMPOSITE) && max > 0)
		{
			out[0].grantee = "PUBLIC";
			out[0].privilege = "USAGE";
			out[0].grantable = false;
			return 1;
		}
		return 0;
	}
	for (i = 0; a && a->type == PM_JSON_ARRAY && i < a->n && n < max; i++)
	{
		const char *g = pm_json_str(&a->items[i], "grantee");
		const char *p = pm_json_str(&a->items[i], "privilege");

		if (g == NULL || p == NULL)
			continue;
		out[n].grantee = g;
		out[n].privilege = p;
		out[n].grantable = pm_json_bool(&a->items[i], "grantable");
		n++;
	}
	return n;
}

static bool
privilege_word(const char *p)
{
	static const char *const words[] = {
		"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
		"TRIGGER", "EXECUTE", "USAGE", "CREATE", "TEMPORARY", "CONNECT",
		"MAINTAIN", NULL
	};
	int			i;

	for (i = 0; words[i]; i++)
		if (strcmp(words[i], p) == 0)
			return true;
	return false;
}

static void
put_grantee(pm_buf *b, const char *g)
{
	if (strcmp(g, "PUBLIC") == 0)
		pm_buf_puts(b, "PUBLIC");
	else
		pm_quote_ident(b, g);
}

/* GRANT or REVOKE one privilege on target (a column: privilege (col)) */
static char *
grant_sql(const snap *s, const obj *target, const priv *p, bool grant, bool option_only)
{
	pm_buf		b;

	pm_buf_init(&b);
	pm_buf_puts(&b, grant ? "GRANT " : "REVOKE ");
	if (!grant && option_only)
		pm_buf_puts(&b, "GRANT OPTION FOR ");
	pm_buf_puts(&b, p->privilege);
	if (target->kind == K_COLUMN)
	{
		pm_buf_puts(&b, " (");
		pm_quote_ident(&b, target->name);
		pm_buf_puts(&b, ") ON TABLE ");
		put_tbl(&b, s, target);
	}
	else
	{
		pm_buf_puts(&b, " ON ");
		put_ref(&b, s, target, true);
	}
	pm_buf_puts(&b, grant ? " TO " : " FROM ");
	put_grantee(&b, p->grantee);
	if (grant && p->grantable)
		pm_buf_puts(&b, " WITH GRANT OPTION");
	return buf_take(&b);
}

static const priv *
find_priv(const priv *set, int n, const priv *p)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i].grantee, p->grantee) == 0 &&
			strcmp(set[i].privilege, p->privilege) == 0)
			return &set[i];
	return NULL;
}

#define MAX_PRIVS 512

/* statements turning ACL "from" into "to" on target (either may be NULL) */
static bool
acl_stmts(engine *e, const snap *fs, const obj *from, const snap *ts, const obj *to,
		  const obj *target, const snap *tsnap, stlist *l)
{
	priv	   *a = pm_malloc(sizeof(priv) * MAX_PRIVS);
	priv	   *b = pm_malloc(sizeof(priv) * MAX_PRIVS);
	int			na = privs_of(fs, from, target, a, MAX_PRIVS);
	int			nb = privs_of(ts, to, target, b, MAX_PRIVS);
	int			i;

	for (i = 0; i < na + nb; i++)
	{
		const priv *p = i < na ? &a[i] : &b[i - na];

		if (!privilege_word(p->privilege))
		{
			pm_free(a);
			pm_free(b);
			return efail(e, PM_ERR_SYNTAX, "unknown privilege in the ACL of ", target->id);
		}
	}
	/* revoke what goes away (or loses its grant option) */
	for (i = 0; i < na; i++)
	{
		const priv *q = find_priv(b, nb, &a[i]);

		if (q == NULL)
			push(l, grant_sql(tsnap, target, &a[i], false, false),
				 grant_sql(tsnap, target, &a[i], true, false), NULL);
		else if (a[i].grantable && !q->grantable)
			push(l, grant_sql(tsnap, target, &a[i], false, true),
				 grant_sql(tsnap, target, &a[i], true, false), NULL);
	}
	for (i = 0; i < nb; i++)
	{
		const priv *q = find_priv(a, na, &b[i]);

		if (q == NULL || (b[i].grantable && !q->grantable))
		{
			priv		r = b[i];

			r.grantable = q ? q->grantable : false;
			push(l, grant_sql(tsnap, target, &b[i], true, false),
				 q ? grant_sql(tsnap, target, &b[i], false, true)
				 : grant_sql(tsnap, target, &r, false, false), NULL);
		}
	}
	pm_free(a);
	pm_free(b);
	return true;
}

/* ------------------------------------------------------ create and drop */

static bool table_is_new(const engine *e, const snap *s, const obj *o);
static bool has_drop_st(const obj *o);
static char *owned_sql(const snap *s, const obj *q);

static char *
drop_sql(const snap *s, const obj *o)
{
	pm_buf		b;

	switch (o->kind)
	{
		case K_COLUMN:
			alter_table(&b, s, o);
			pm_buf_puts(&b, "DROP COLUMN ");
			pm_quote_ident(&b, o->name);
			return buf_take(&b);
		case K_CONSTRAINT:
			alter_table(&b, s, o);
			pm_buf_puts(&b, "DROP CONSTRAINT ");
			pm_quote_ident(&b, o->name);
			return buf_take(&b);
		case K_TRIGGER:
		case K_POLICY:
			pm_buf_init(&b);
			pm_buf_puts(&b, o->kind == K_TRIGGER ? "DROP TRIGGER " : "DROP POLICY ");
			pm_quote_ident(&b, o->name);
			pm_buf_puts(&b, " ON ");
			put_tbl(&b, s, o);
			return buf_take(&b);
		case K_SCHEMA:
		case K_EXTENSION:
		case K_FUNCTION:
			pm_buf_init(&b);
			pm_buf_puts(&b, "DROP ");
			put_ref(&b, s, o, false);
			return buf_take(&b);
		default:
			pm_buf_init(&b);
			pm_buf_puts(&b, "DROP ");
			put_ref(&b, s, o, false);
			return buf_take(&b);
	}
}

/* a column's position in its table (0 when the snapshot lacks it) */
static long
col_ordinal(const obj *c)
{
	const pm_json *o = pm_json_get(c->j, "ordinal");

	return o && o->type == PM_JSON_NUMBER ? atol(o->str) : 0;
}

static int
col_cmp_ordinal(const void *a, const void *b)
{
	const obj  *x = *(const obj *const *) a;
	const obj  *y = *(const obj *const *) b;
	long		nx = col_ordinal(x);
	long		ny = col_ordinal(y);

	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
put_options(pm_buf *b, const pm_json *opts)
{
	int			i;

	pm_buf_puts(b, "(");
	for (i = 0; i < opts->n; i++)
	{
		const char *kv = opts->items[i].type == PM_JSON_STRING ? opts->items[i].str : "";
		const char *eq = strchr(kv, '=');
		const char *p;
		bool		simple = eq != NULL;

		if (i > 0)
			pm_buf_puts(b, ", ");
		/* key: [a-z_.]; value: a bare word or number, else a literal */
		for (p = kv; simple && p < eq; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '.'))
				simple = false;
		if (!simple || eq == kv)
		{
			pm_quote_ident(b, kv);	/* cannot happen from the server */
			continue;
		}
		pm_buf_append(b, kv, eq - kv);
		pm_buf_puts(b, "=");
		pm_quote_literal(b, eq + 1);
	}
	pm_buf_puts(b, ")");
}

static char *
create_table_sql(const engine *e, const snap *s, const obj *t)
{
	pm_buf		b;
	const obj **cols = pm_malloc(sizeof(obj *) * (s->n + 1));
	int			nc = 0,
				i;
	const char *part_of = jstr(t, "partition_of");
	const pm_json *inh = pm_json_get(t->j, "inherits");
	const pm_json *opts = pm_json_get(t->j, "options");

	int			lo,
				hi;

	columns_of(s, t, &lo, &hi);
	for (i = lo; i < hi; i++)
		if (s->o[i].kind == K_COLUMN && streq(s->o[i].table, t->id + 6) &&
			!jbool(&s->o[i], "inherited"))
			cols[nc++] = &s->o[i];
	qsort(cols, nc, sizeof(obj *), col_cmp_ordinal);
	pm_buf_init(&b);
	pm_buf_puts(&b, streq(jstr(t, "persistence"), "u") ? "CREATE UNLOGGED TABLE " : "CREATE TABLE ");
	put_qn(&b, t);
	if (part_of)
	{
		const obj  *p = rel_of(s, part_of);

		pm_buf_puts(&b, " PARTITION OF ");
		put_qn(&b, p);
		pm_buf_printf(&b, " %s", jstr(t, "partition_bound") ? jstr(t, "partition_bound") : "DEFAULT");
	}
	else
	{
		pm_buf_puts(&b, " (");
		for (i = 0; i < nc; i++)
		{
			pm_buf_puts(&b, i ? ",\n\t" : "\n\t");
			put_coldef(&b, s, cols[i]);
		}
		pm_buf_puts(&b, nc ? "\n)" : ")");
		if (inh && inh->type == PM_JSON_ARRAY && inh->n > 0)
		{
			pm_buf_puts(&b, " INHERITS (");
			for (i = 0; i < inh->n; i++)
			{
				if (i)
					pm_buf_puts(&b, ", ");
				put_qn(&b, rel_of(s, inh->items[i].str));
			}
			pm_buf_puts(&b, ")");
		}
	}
	if (jstr(t, "partition_key"))
		pm_buf_printf(&b, " PARTITION BY %s", jstr(t, "partition_key"));
	if (opts && opts->type == PM_JSON_ARRAY && opts->n > 0)
	{
		pm_buf_puts(&b, " WITH ");
		put_options(&b, opts);
	}
	pm_free(cols);
	return buf_take(&b);
}

static char *
simple_sql(const char *prefix, const snap *s, const obj *o, const char *suffix)
{
	pm_buf		b;

	if (o->kind == K_TABLE || o->kind == K_COLUMN || o->kind == K_CONSTRAINT ||
		o->kind == K_TRIGGER)
		alter_table(&b, s, o);
	else
		pm_buf_init(&b);
	pm_buf_puts(&b, prefix);
	if (o->kind == K_TRIGGER)
		pm_quote_ident(&b, o->name);
	pm_buf_puts(&b, suffix);
	return buf_take(&b);
}

static const char *
trigger_enable(const char *en)
{
	if (streq(en, "D"))
		return "DISABLE TRIGGER ";
	if (streq(en, "R"))
		return "ENABLE REPLICA TRIGGER ";
	if (streq(en, "A"))
		return "ENABLE ALWAYS TRIGGER ";
	return "ENABLE TRIGGER ";
}

static void
put_roles(pm_buf *b, const pm_json *roles)
{
	int			i;

	if (roles == NULL || roles->type != PM_JSON_ARRAY || roles->n == 0)
	{
		pm_buf_puts(b, "PUBLIC");
		return;
	}
	for (i = 0; i < roles->n; i++)
	{
		if (i)
			pm_buf_puts(b, ", ");
		put_grantee(b, roles->items[i].type == PM_JSON_STRING ? roles->items[i].str : "PUBLIC");
	}
}

static const char *
policy_cmd(const obj *o)
{
	static const char *const cmds[] = {"ALL", "SELECT", "INSERT", "UPDATE", "DELETE", NULL};
	const char *c = jstr(o, "cmd");
	int			i;

	for (i = 0; c && cmds[i]; i++)
		if (strcmp(c, cmds[i]) == 0)
			return cmds[i];
	return "ALL";
}

static void
put_domain_constraint(pm_buf *b, const pm_json *c)
{
	pm_buf_puts(b, "CONSTRAINT ");
	pm_quote_ident(b, pm_json_str(c, "name") ? pm_json_str(c, "name") : "");
	pm_buf_printf(b, " %s", pm_json_str(c, "def") ? pm_json_str(c, "def") : "");
}

static void
put_attr(pm_buf *b, const pm_json *a)
{
	pm_quote_ident(b, pm_json_str(a, "name") ? pm_json_str(a, "name") : "");
	pm_buf_printf(b, " %s", pm_json_str(a, "type") ? pm_json_str(a, "type") : "");
	if (pm_json_str(a, "collation"))
		pm_buf_printf(b, " COLLATE %s", pm_json_str(a, "collation"));
}

/*
 * The statements that create o (which exists in s), each with its inverse.
 * existing: o's table existed before (hazards of scans and locks apply).
 */
static bool
create_stmts(engine *e, const snap *s, const obj *o, stlist *l)
{
	pm_buf		b;
	char	   *drop = NULL;
	const char *hz = NULL;
	bool		existing = o->table && !table_is_new(e, s, o);
	int			i;

	switch (o->kind)
	{
		case K_SCHEMA:
			pm_buf_init(&b);
			pm_buf_puts(&b, "CREATE SCHEMA ");
			pm_quote_ident(&b, o->name);
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			return true;
		case K_EXTENSION:
			pm_buf_init(&b);
			pm_buf_puts(&b, "CREATE EXTENSION IF NOT EXISTS ");
			pm_quote_ident(&b, o->name);
			if (jstr(o, "extschema"))
			{
				pm_buf_puts(&b, " SCHEMA ");
				pm_quote_ident(&b, jstr(o, "extschema"));
			}
			if (jstr(o, "version"))
			{
				pm_buf_puts(&b, " VERSION ");
				pm_quote_literal(&b, jstr(o, "version"));
			}
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			return true;
		case K_TABLE:
			push(l, create_table_sql(e, s, o), drop_sql(s, o), NULL);
			if (jbool(o, "rls"))
				push(l, simple_sql("ENABLE ROW LEVEL SECURITY", s, o, ""),
					 simple_sql("DISABLE ROW LEVEL SECURITY", s, o, ""), NULL);
			if (jbool(o, "rls_force"))
				push(l, simple_sql("FORCE ROW LEVEL SECURITY", s, o, ""),
					 simple_sql("NO FORCE ROW LEVEL SECURITY", s, o, ""), NULL);
			return true;
		case K_COLUMN:
			alter_table(&b, s, o);
			pm_buf_puts(&b, "ADD COLUMN ");
			put_coldef(&b, s, o);
			if (existing)
			{
				const char *d = jstr(o, "default");
				const char *id = jstr(o, "identity");

				if (streq(jstr(o, "generated"), "s") || (id && *id) ||
					(d && strstr(d, "nextval(")))
					hz = "rewrites table: the new column's values are computed for every row under an ACCESS EXCLUSIVE lock";
				else if (jbool(o, "not_null") && d == NULL)
					hz = "fails if the table has rows: NOT NULL without a default";
			}
			push(l, buf_take(&b), drop_sql(s, o), hz);
			return true;
		case K_CONSTRAINT:
			{
				const char *ct = jstr(o, "contype");
				const char *def = jstr(o, "def");

				alter_table(&b, s, o);
				pm_buf_puts(&b, "ADD CONSTRAINT ");
				pm_quote_ident(&b, o->name);
				pm_buf_printf(&b, " %s", def ? def : "");
				if (existing && jbool(o, "validated"))
				{
					if (streq(ct, "f"))
						hz = "scans the table (and checks every row against the referenced table) under SHARE ROW EXCLUSIVE locks on both; on a big table add it NOT VALID, then VALIDATE CONSTRAINT in a later step";
					else if (streq(ct, "c"))
						hz = "ACCESS EXCLUSIVE on the table while every row is checked; on a big table add it NOT VALID, then VALIDATE CONSTRAINT in a later step";
					else
						hz = "ACCESS EXCLUSIVE on the table while the constraint's index is built (fails on duplicates)";
				}
				push(l, buf_take(&b), drop_sql(s, o), hz);
				return true;
			}
		case K_INDEX:
			{
				const char *def = jstr(o, "def");
				const char *only = def ? strstr(def, " ON ONLY ") : NULL;

				pm_buf_init(&b);
				/* a partitioned table's index: create it on the partitions too */
				if (only)
				{
					pm_buf_append(&b, def, only - def);
					pm_buf_puts(&b, " ON ");
					pm_buf_puts(&b, only + 9);
				}
				else
					pm_buf_puts(&b, def ? def : "");
				if (existing)
					hz = "blocks writes to the table (SHARE lock) while the index is built; on a big table use CREATE INDEX CONCURRENTLY in a non-transactional revision";
				push(l, buf_take(&b), drop_sql(s, o), hz);
				return true;
			}
		case K_SEQUENCE:
			pm_buf_init(&b);
			pm_buf_puts(&b, "CREATE SEQUENCE ");
			put_qn(&b, o);
			put_seq_options(&b, o, true);
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			return true;
		case K_OWNED:
			{
				pm_buf		r;

				pm_buf_init(&r);
				pm_buf_puts(&r, "ALTER SEQUENCE ");
				put_qn(&r, o);
				pm_buf_puts(&r, " OWNED BY NONE");
				push(l, owned_sql(s, o), buf_take(&r), NULL);
				return true;
			}
		case K_ENUM:
			{
				const pm_json *v = pm_json_get(o->j, "values");

				pm_buf_init(&b);
				pm_buf_puts(&b, "CREATE TYPE ");
				put_qn(&b, o);
				pm_buf_puts(&b, " AS ENUM (");
				for (i = 0; v && v->type == PM_JSON_ARRAY && i < v->n; i++)
				{
					if (i)
						pm_buf_puts(&b, ", ");
					pm_quote_literal(&b, v->items[i].type == PM_JSON_STRING ? v->items[i].str : "");
				}
				pm_buf_puts(&b, ")");
				push(l, buf_take(&b), drop_sql(s, o), NULL);
				return true;
			}
		case K_DOMAIN:
			{
				const pm_json *cs = pm_json_get(o->j, "constraints");

				pm_buf_init(&b);
				pm_buf_puts(&b, "CREATE DOMAIN ");
				put_qn(&b, o);
				pm_buf_printf(&b, " AS %s", jstr(o, "type"));
				if (jstr(o, "collation"))
					pm_buf_printf(&b, " COLLATE %s", jstr(o, "collation"));
				if (jstr(o, "default"))
					pm_buf_printf(&b, " DEFAULT %s", jstr(o, "default"));
				if (jbool(o, "not_null"))
					pm_buf_puts(&b, " NOT NULL");
				for (i = 0; cs && cs->type == PM_JSON_ARRAY && i < cs->n; i++)
				{
					pm_buf_puts(&b, " ");
					put_domain_constraint(&b, &cs->items[i]);
				}
				push(l, buf_take(&b), drop_sql(s, o), NULL);
				return true;
			}
		case K_COMPOSITE:
			{
				const pm_json *at = pm_json_get(o->j, "attributes");

				pm_buf_init(&b);
				pm_buf_puts(&b, "CREATE TYPE ");
				put_qn(&b, o);
				pm_buf_puts(&b, " AS (");
				for (i = 0; at && at->type == PM_JSON_ARRAY && i < at->n; i++)
				{
					if (i)
						pm_buf_puts(&b, ", ");
					put_attr(&b, &at->items[i]);
				}
				pm_buf_puts(&b, ")");
				push(l, buf_take(&b), drop_sql(s, o), NULL);
				return true;
			}
		case K_VIEW:
		case K_MATVIEW:
			{
				const pm_json *opts = pm_json_get(o->j, "options");

				pm_buf_init(&b);
				pm_buf_puts(&b, o->kind == K_VIEW ? "CREATE VIEW " : "CREATE MATERIALIZED VIEW ");
				put_qn(&b, o);
				if (opts && opts->type == PM_JSON_ARRAY && opts->n > 0)
				{
					pm_buf_puts(&b, " WITH ");
					put_options(&b, opts);
				}
				pm_buf_puts(&b, " AS\n");
				put_def(&b, jstr(o, "def") ? jstr(o, "def") : "");
				if (o->kind == K_MATVIEW)
				{
					pm_buf_puts(&b, "\n  WITH DATA");
					hz = "runs the view's query to populate it, under an ACCESS EXCLUSIVE lock on the new view";
				}
				push(l, buf_take(&b), drop_sql(s, o), hz);
				return true;
			}
		case K_FUNCTION:
			pm_buf_init(&b);
			put_def(&b, jstr(o, "def") ? jstr(o, "def") : "");
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			return true;
		case K_TRIGGER:
			pm_buf_init(&b);
			put_def(&b, jstr(o, "def") ? jstr(o, "def") : "");
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			if (jstr(o, "enabled") && !streq(jstr(o, "enabled"), "O"))
				push(l, simple_sql(trigger_enable(jstr(o, "enabled")), s, o, ""),
					 simple_sql("ENABLE TRIGGER ", s, o, ""), NULL);
			return true;
		case K_POLICY:
			pm_buf_init(&b);
			pm_buf_puts(&b, "CREATE POLICY ");
			pm_quote_ident(&b, o->name);
			pm_buf_puts(&b, " ON ");
			put_tbl(&b, s, o);
			pm_buf_printf(&b, " AS %s FOR %s TO ",
						  jbool(o, "permissive") ? "PERMISSIVE" : "RESTRICTIVE", policy_cmd(o));
			put_roles(&b, pm_json_get(o->j, "roles"));
			if (jstr(o, "using"))
				pm_buf_printf(&b, " USING (%s)", jstr(o, "using"));
			if (jstr(o, "check"))
				pm_buf_printf(&b, " WITH CHECK (%s)", jstr(o, "check"));
			push(l, buf_take(&b), drop_sql(s, o), NULL);
			return true;
		case K_COMMENT:
			{
				int			t = find(s, jstr(o, "target"));

				pm_buf_init(&b);
				pm_buf_puts(&b, "COMMENT ON ");
				put_ref(&b, s, &s->o[t], false);
				drop = pm_strndup(b.data, b.len);
				pm_buf_puts(&b, " IS ");
				pm_quote_literal(&b, jstr(o, "text") ? jstr(o, "text") : "");
				{
					pm_buf		r;

					pm_buf_init(&r);
					pm_buf_puts(&r, drop);
					pm_buf_puts(&r, " IS NULL");
					pm_free(drop);
					push(l, buf_take(&b), buf_take(&r), NULL);
				}
				return true;
			}
		case K_ACL:
			{
				int			t = find(s, jstr(o, "target"));

				return acl_stmts(e, s, NULL, s, o, &s->o[t], s, l);
			}
		default:
			return efail(e, PM_ERR_UNSUPPORTED, "not compared: ", o->id);
	}
}

/* ---------------------------------------------------------------- alter */

static bool
is_widening(const char *a, const char *b)
{
	const char *pa = strchr(a, '(');
	const char *pb = strchr(b, '(');
	size_t		la = pa ? (size_t) (pa - a) : strlen(a);
	size_t		lb = pb ? (size_t) (pb - b) : strlen(b);

	/* the same array-ness only */
	if ((strstr(a, "[]") != NULL) != (strstr(b, "[]") != NULL))
		return false;
	if (la == lb && strncmp(a, b, la) == 0 &&
		(strncmp(a, "character varying", la) == 0 || strncmp(a, "bit varying", la) == 0))
	{
		if (pb == NULL)
			return true;
		return pa != NULL && atol(pb + 1) >= atol(pa + 1);
	}
	if (strncmp(a, "character varying", 17) == 0 && strcmp(b, "text") == 0)
		return true;
	if (strcmp(a, "text") == 0 && strcmp(b, "character varying") == 0)
		return true;
	if (la == 7 && lb == 7 && strncmp(a, "numeric", 7) == 0 && strncmp(b, "numeric", 7) == 0)
	{
		const char *ca,
				   *cb;

		if (pb == NULL)
			return true;
		if (pa == NULL)
			return false;
		ca = strchr(pa, ',');
		cb = strchr(pb, ',');
		/* same scale, precision not smaller */
		return atol(pb + 1) >= atol(pa + 1) &&
			(ca ? atol(ca + 1) : 0) == (cb ? atol(cb + 1) : 0);
	}
	return false;
}

static char *
col_sql(const snap *s, const obj *c, const char *fmt, const char *arg)
{
	pm_buf		b;

	alter_table(&b, s, c);
	pm_buf_puts(&b, "ALTER COLUMN ");
	pm_quote_ident(&b, c->name);
	pm_buf_puts(&b, " ");
	pm_buf_printf(&b, fmt, arg ? arg : "");
	return buf_take(&b);
}

static char *
col_type_sql(const snap *s, const obj *c, const obj *from)
{
	pm_buf		b;
	const char *ty = jstr(c, "type");

	alter_table(&b, s, c);
	pm_buf_puts(&b, "ALTER COLUMN ");
	pm_quote_ident(&b, c->name);
	pm_buf_printf(&b, " TYPE %s", ty);
	if (jstr(c, "collation"))
		pm_buf_printf(&b, " COLLATE %s", jstr(c, "collation"));
	if (!streq(jstr(from, "type"), ty) && !is_widening(jstr(from, "type"), ty))
	{
		pm_buf_puts(&b, " USING ");
		pm_quote_ident(&b, c->name);
		pm_buf_printf(&b, "::%s", ty);
	}
	return buf_take(&b);
}

static char *
identity_add_sql(const snap *s, const obj *c)
{
	pm_buf		b;

	alter_table(&b, s, c);
	pm_buf_puts(&b, "ALTER COLUMN ");
	pm_quote_ident(&b, c->name);
	pm_buf_puts(&b, " ADD");
	put_identity(&b, s, c);
	return buf_take(&b);
}

/* the sequence of a column's serial default: owned by it, not an identity */
static const obj *
serial_seq(const snap *s, const obj *col)
{
	int			i;

	for (i = 0; i < s->n; i++)
		if (s->o[i].kind == K_SEQUENCE && !jbool(&s->o[i], "identity") &&
			streq(jstr(&s->o[i], "owned_by"), col->id))
			return &s->o[i];
	return NULL;
}

/*
 * The sequence q continues after the values column col holds: a serial
 * turned identity (or back) gets a new sequence that would start at 1.
 */
static void
push_continue(stlist *l, const snap *s, const obj *q, const obj *col)
{
	pm_buf		b,
				n;

	pm_buf_init(&n);
	put_qn(&n, q);
	pm_buf_init(&b);
	pm_buf_puts(&b, "SELECT pg_catalog.setval(");
	pm_quote_literal(&b, n.data);
	pm_buf_puts(&b, ", coalesce(max(");
	pm_quote_ident(&b, col->name);
	pm_buf_puts(&b, "), 0) + 1, false) FROM ");
	put_tbl(&b, s, col);
	pm_buf_free(&n);
	push(l, buf_take(&b), NULL,
		 "reads the whole table (max of the column) so that the new sequence continues after the values it holds");
}

static bool
alter_column(engine *e, const obj *a, const obj *b, stlist *l)
{
	const snap *S = &e->S,
			   *T = &e->T;
	const char *ia = jstr(a, "identity") ? jstr(a, "identity") : "";
	const char *ib = jstr(b, "identity") ? jstr(b, "identity") : "";
	const char *da = streq(jstr(a, "generated"), "s") ? NULL : jstr(a, "default");
	const char *db = streq(jstr(b, "generated"), "s") ? NULL : jstr(b, "default");
	bool		typechg = !same_key(a, b, "type") || !same_key(a, b, "collation");
	bool		dflt_chg = !streq(da, db) || (typechg && da);

	if (streq(jstr(a, "generated"), "s") && !streq(jstr(b, "generated"), "s"))
		push(l, col_sql(T, b, "DROP EXPRESSION", NULL), NULL,
			 "cannot be undone by one statement: the downgrade drops and re-adds the column");
	if (dflt_chg && da)
		push(l, col_sql(T, b, "DROP DEFAULT", NULL), col_sql(S, a, "SET DEFAULT %s", da), NULL);
	if (*ia && !*ib)
	{
		const obj  *iq = identity_seq(S, a);
		const obj  *sq = serial_seq(T, b);

		push(l, col_sql(T, b, "DROP IDENTITY", NULL), identity_add_sql(S, a), NULL);

		/*
		 * An identity turned serial: DROP IDENTITY took its sequence, and
		 * the serial's comes back under that name, owned by the column
		 * (the sequence object is kept: it has the same id on both sides).
		 */
		if (iq && sq && strcmp(iq->id, sq->id) == 0)
		{
			pm_buf		c,
						d;

			pm_buf_init(&c);
			pm_buf_puts(&c, "CREATE SEQUENCE ");
			put_qn(&c, sq);
			put_seq_options(&c, sq, true);
			pm_buf_init(&d);
			pm_buf_puts(&d, "DROP SEQUENCE ");
			put_qn(&d, sq);
			push(l, buf_take(&c), buf_take(&d), NULL);
			push(l, owned_sql(T, sq), NULL, NULL);
			push_continue(l, T, sq, b);
		}
	}
	if (typechg)
	{
		const char *hz = NULL;

		if (!same_key(a, b, "type") && !is_widening(jstr(a, "type"), jstr(b, "type")))
			hz = "rewrites table: ALTER COLUMN TYPE rewrites every row and rebuilds the table's indexes under an ACCESS EXCLUSIVE lock";
		else if (!same_key(a, b, "collation"))
			hz = "ACCESS EXCLUSIVE on the table while the indexes on the column are rebuilt";
		push(l, col_type_sql(T, b, a), col_type_sql(S, a, b), hz);
	}
	if (dflt_chg && db)
		push(l, col_sql(T, b, "SET DEFAULT %s", db), col_sql(S, a, "DROP DEFAULT", NULL), NULL);
	if (jbool(a, "not_null") != jbool(b, "not_null"))
	{
		if (jbool(b, "not_null"))
			push(l, col_sql(T, b, "SET NOT NULL", NULL), col_sql(S, a, "DROP NOT NULL", NULL),
				 "ACCESS EXCLUSIVE on the table while every row is checked (fails on a NULL); on a big table add CHECK (col IS NOT NULL) NOT VALID and VALIDATE it first");
		else
			push(l, col_sql(T, b, "DROP NOT NULL", NULL), col_sql(S, a, "SET NOT NULL", NULL), NULL);
	}
	if (!*ia && *ib)
	{
		const obj  *sq = serial_seq(S, a);
		const obj  *iq = identity_seq(T, b);
		bool		same_name = sq && iq && strcmp(sq->id, iq->id) == 0;

		/*
		 * A serial turned identity: its sequence (the default was dropped
		 * above) goes first, or the identity's of the same name cannot be
		 * made.
		 */
		if (same_name)
		{
			pm_buf		d;

			pm_buf_init(&d);
			pm_buf_puts(&d, "DROP SEQUENCE ");
			put_qn(&d, sq);
			push(l, buf_take(&d), NULL, NULL);
		}
		push(l, identity_add_sql(T, b), col_sql(S, a, "DROP IDENTITY", NULL), NULL);
		if (sq && iq)
			push_continue(l, T, iq, b);
	}
	else if (*ia && *ib && strcmp(ia, ib) != 0)
		push(l, col_sql(T, b, "SET GENERATED %s", streq(ib, "a") ? "ALWAYS" : "BY DEFAULT"),
			 col_sql(S, a, "SET GENERATED %s", streq(ia, "a") ? "ALWAYS" : "BY DEFAULT"), NULL);
	return true;
}

static char *
seq_alter_sql(const snap *s, const obj *q, const obj *from)
{
	pm_buf		b;
	static const char *const keys[] = {"type", "increment", "min", "max", "start", "cache", "cycle"};
	static const char *const words[] = {" AS ", " INCREMENT BY ", " MINVALUE ", " MAXVALUE ",
	" START WITH ", " CACHE ", ""};
	int			i;

	pm_buf_init(&b);
	pm_buf_puts(&b, "ALTER SEQUENCE ");
	put_qn(&b, q);
	for (i = 0; i < 7; i++)
	{
		if (same_key(q, from, keys[i]))
			continue;
		if (i == 0 && jbool(q, "identity"))
			continue;			/* follows the column's type */
		if (i == 6)
			pm_buf_puts(&b, jbool(q, "cycle") ? " CYCLE" : " NO CYCLE");
		else if (i == 0 || numeric_text(jstr(q, keys[i])))
			pm_buf_printf(&b, "%s%s", words[i], jstr(q, keys[i]) ? jstr(q, keys[i]) : "bigint");
	}
	return buf_take(&b);
}

static char *
owned_sql(const snap *s, const obj *q)
{
	pm_buf		b;
	int			c = find(s, jstr(q, "owned_by"));

	pm_buf_init(&b);
	pm_buf_puts(&b, "ALTER SEQUENCE ");
	put_qn(&b, q);
	pm_buf_puts(&b, " OWNED BY ");
	if (c < 0)
		pm_buf_puts(&b, "NONE");
	else
	{
		put_tbl(&b, s, &s->o[c]);
		pm_buf_puts(&b, ".");
		pm_quote_ident(&b, s->o[c].name);
	}
	return buf_take(&b);
}

static char *
table_sql(const snap *s, const obj *t, const char *what)
{
	pm_buf		b;

	alter_table(&b, s, t);
	pm_buf_puts(&b, what);
	return buf_take(&b);
}

static char *
partition_sql(const snap *s, const obj *t, bool attach)
{
	pm_buf		b;

	pm_buf_init(&b);
	pm_buf_puts(&b, "ALTER TABLE ");
	put_qn(&b, rel_of(s, jstr(t, "partition_of")));
	pm_buf_puts(&b, attach ? " ATTACH PARTITION " : " DETACH PARTITION ");
	put_qn(&b, t);
	if (attach)
		pm_buf_printf(&b, " %s", jstr(t, "partition_bound") ? jstr(t, "partition_bound") : "DEFAULT");
	return buf_take(&b);
}

static char *
options_sql(const snap *s, const obj *t, const pm_json *from, const pm_json *to, bool *any)
{
	pm_buf		b;
	int			i,
				k;
	bool		first = true;

	*any = false;
	alter_table(&b, s, t);
	/* RESET the keys that go away, SET the rest */
	for (i = 0; from && from->type == PM_JSON_ARRAY && i < from->n; i++)
	{
		const char *kv = from->items[i].str ? from->items[i].str : "";
		const char *eq = strchr(kv, '=');
		size_t		kl = eq ? (size_t) (eq - kv) : strlen(kv);
		bool		kept = false;

		for (k = 0; to && to->type == PM_JSON_ARRAY && k < to->n; k++)
			if (to->items[k].str && strncmp(to->items[k].str, kv, kl) == 0 && to->items[k].str[kl] == '=')
				kept = true;
		if (!kept)
		{
			pm_buf_puts(&b, first ? "RESET (" : ", ");
			pm_buf_append(&b, kv, kl);
			first = false;
		}
	}
	if (!first)
	{
		pm_buf_puts(&b, ")");
		*any = true;
	}
	if (to && to->type == PM_JSON_ARRAY && to->n > 0 && !(from && pm_json_equal(from, to)))
	{
		pm_buf_puts(&b, first ? "SET " : ", SET ");
		put_options(&b, to);
		*any = true;
	}
	return buf_take(&b);
}

/* is item an element of the array arr (NULL: no array)? */
static bool
json_in(const pm_json *item, const pm_json *arr)
{
	int			k;

	for (k = 0; arr && arr->type == PM_JSON_ARRAY && k < arr->n; k++)
		if (pm_json_equal(item, &arr->items[k]))
			return true;
	return false;
}

/* ALTER TABLE t [NO] INHERIT parent (parent looked up in ps) */
static char *
inherit_sql(const snap *s, const obj *t, const snap *ps, const char *parent, bool add)
{
	pm_buf		x;

	alter_table(&x, s, t);
	pm_buf_puts(&x, add ? "INHERIT " : "NO INHERIT ");
	put_qn(&x, rel_of(ps, parent));
	return buf_take(&x);
}

static bool
alter_table_stmts(engine *e, const obj *a, const obj *b, stlist *l)
{
	const snap *S = &e->S,
			   *T = &e->T;
	bool		any;
	char	   *f,
			   *r;
	int			i;
	const pm_json *ia = pm_json_get(a->j, "inherits");
	const pm_json *ib = pm_json_get(b->j, "inherits");

	if (!same_key(a, b, "partition_of") || !same_key(a, b, "partition_bound"))
	{
		if (jstr(a, "partition_of"))
			push(l, partition_sql(S, a, false), partition_sql(S, a, true), NULL);
	}
	if (!same_key(a, b, "persistence"))
	{
		bool		unl = streq(jstr(b, "persistence"), "u");

		push(l, table_sql(T, b, unl ? "SET UNLOGGED" : "SET LOGGED"),
			 table_sql(S, a, unl ? "SET LOGGED" : "SET UNLOGGED"),
			 "rewrites table: SET LOGGED/UNLOGGED copies every row under an ACCESS EXCLUSIVE lock");
	}
	if (!same_key(a, b, "rls"))
		push(l, table_sql(T, b, jbool(b, "rls") ? "ENABLE ROW LEVEL SECURITY" : "DISABLE ROW LEVEL SECURITY"),
			 table_sql(S, a, jbool(a, "rls") ? "ENABLE ROW LEVEL SECURITY" : "DISABLE ROW LEVEL SECURITY"), NULL);
	if (!same_key(a, b, "rls_force"))
		push(l, table_sql(T, b, jbool(b, "rls_force") ? "FORCE ROW LEVEL SECURITY" : "NO FORCE ROW LEVEL SECURITY"),
			 table_sql(S, a, jbool(a, "rls_force") ? "FORCE ROW LEVEL SECURITY" : "NO FORCE ROW LEVEL SECURITY"), NULL);
	if (!same_key(a, b, "options"))
	{
		f = options_sql(T, b, pm_json_get(a->j, "options"), pm_json_get(b->j, "options"), &any);
		r = options_sql(S, a, pm_json_get(b->j, "options"), pm_json_get(a->j, "options"), &any);
		push(l, f, r, NULL);
	}
	if (!same_key(a, b, "inherits"))
	{
		/* parents a has and b lacks go, then b's new ones come */
		for (i = 0; ia && ia->type == PM_JSON_ARRAY && i < ia->n; i++)
			if (!json_in(&ia->items[i], ib))
				push(l, inherit_sql(T, b, S, ia->items[i].str, false),
					 inherit_sql(S, a, S, ia->items[i].str, true), NULL);
		for (i = 0; ib && ib->type == PM_JSON_ARRAY && i < ib->n; i++)
			if (!json_in(&ib->items[i], ia))
				push(l, inherit_sql(T, b, T, ib->items[i].str, true),
					 inherit_sql(S, a, T, ib->items[i].str, false), NULL);
	}
	if (!same_key(a, b, "partition_of") || !same_key(a, b, "partition_bound"))
	{
		if (jstr(b, "partition_of"))
			push(l, partition_sql(T, b, true), partition_sql(T, b, false),
				 "ACCESS EXCLUSIVE on the partition while every row is checked against the bound");
	}
	return true;
}

/*
 * The enum type swap (PostgreSQL cannot remove or reorder enum values):
 * rename the old type away, create the new one under the real name, recast
 * every column of the old type through text (defaults are dropped around
 * it: they cannot be cast automatically), drop the old type.  One step.
 */
static void
put_col_prefix(pm_buf *x, const snap *s, const obj *c)
{
	pm_buf_puts(x, "ALTER TABLE ");
	put_qn(x, rel_of(s, c->table));
	pm_buf_puts(x, " ALTER COLUMN ");
	pm_quote_ident(x, c->name);
}

static void
enum_swap(engine *e, const snap *s, const obj *b, stlist *l, const char *hazard)
{
	pm_buf		x,
				oldname;
	stlist		sub = {0};
	int			i,
				ti;
	const char *eid = b->id + strlen("enum ");
	size_t		qlen = strlen(eid);

	pm_buf_init(&oldname);
	pm_buf_printf(&oldname, "%s__pgmig_old", b->name);
	pm_buf_init(&x);
	pm_buf_puts(&x, "ALTER TYPE ");
	put_qn(&x, b);
	pm_buf_puts(&x, " RENAME TO ");
	pm_quote_ident(&x, oldname.data);
	pm_buf_puts(&x, ";\n");
	create_stmts(e, &e->T, b, &sub);
	pm_buf_puts(&x, sub.st[0].sql);
	pm_buf_puts(&x, ";\n");
	for (i = 0; i < s->n; i++)
	{
		const obj  *c = &s->o[i];
		const char *ty = jstr(c, "type");
		const char *d = jstr(c, "default");

		if (c->kind != K_COLUMN || has_drop_st(c) || jbool(c, "inherited") ||
			ty == NULL || strncmp(ty, eid, qlen) != 0 ||
			(ty[qlen] != '\0' && strcmp(ty + qlen, "[]") != 0))
			continue;
		if (d)
		{
			put_col_prefix(&x, s, c);
			pm_buf_puts(&x, " DROP DEFAULT;\n");
		}
		put_col_prefix(&x, s, c);
		pm_buf_printf(&x, " TYPE %s USING ", ty);
		pm_quote_ident(&x, c->name);
		pm_buf_printf(&x, "::text%s::%s;\n", ty[qlen] ? "[]" : "", ty);
		/*
		 * The default comes back only when the other side has the same:
		 * otherwise it may name a value the new type lacks, and the
		 * column's own step sets the default it should have.
		 */
		if (d && (ti = find(&e->T, c->id)) >= 0 && streq(jstr(&e->T.o[ti], "default"), d))
		{
			put_col_prefix(&x, s, c);
			pm_buf_printf(&x, " SET DEFAULT %s;\n", d);
		}
	}
	pm_buf_puts(&x, "DROP TYPE ");
	pm_quote_ident(&x, b->schema);
	pm_buf_puts(&x, ".");
	pm_quote_ident(&x, oldname.data);
	pm_buf_free(&oldname);
	for (i = 0; i < sub.n; i++)
	{
		pm_free(sub.st[i].sql);
		pm_free(sub.st[i].rev);
		pm_free(sub.st[i].hazard);
	}
	pm_free(sub.st);
	push(l, buf_take(&x), NULL, hazard);
}

/* true when the labels of a are b's labels with some left out, in order */
static bool
enum_is_subsequence(const pm_json *a, const pm_json *b)
{
	int			i,
				k = 0;

	for (i = 0; i < a->n; i++)
	{
		while (k < b->n && !pm_json_equal(&a->items[i], &b->items[k]))
			k++;
		if (k == b->n)
			return false;
		k++;
	}
	return true;
}

static bool
alter_enum(engine *e, const obj *a, const obj *b, stlist *l)
{
	const pm_json *va = pm_json_get(a->j, "values");
	const pm_json *vb = pm_json_get(b->j, "values");
	int			i;

	if (!va || !vb || va->type != PM_JSON_ARRAY || vb->type != PM_JSON_ARRAY)
		return efail(e, PM_ERR_SYNTAX, "enum without a values array: ", b->id);
	if (!enum_is_subsequence(va, vb))
	{
		/* the reverse of a swap is a swap back: see the downgrade */
		enum_swap(e, &e->S, b, l,
				  "rewrites table: every table with a column of this enum is rewritten under an ACCESS EXCLUSIVE lock (the type is swapped because PostgreSQL cannot remove or reorder enum values); fails if a row holds a removed value");
		return true;
	}
	if (e->swap_types)
	{
		pm_buf		qn;
		bool		swap;

		pm_buf_init(&qn);
		pm_buf_puts(&qn, "\n");
		put_qn(&qn, b);
		pm_buf_puts(&qn, "\n");
		swap = strstr(e->swap_types, qn.data) != NULL;
		pm_buf_free(&qn);
		if (!swap)
			goto add_values;
		enum_swap(e, &e->S, b, l,
				  "rewrites table: every table with a column of this enum is rewritten under an ACCESS EXCLUSIVE lock (the type is swapped because the script uses a new value, which PostgreSQL refuses in the transaction that ADD VALUE ran in); to avoid the rewrite, add the values in a revision of their own, marked -- transactional: false (pgmig revision --autogenerate does)");
		return true;
	}
add_values:
	for (i = 0; i < vb->n; i++)
	{
		pm_buf		x;

		if (json_in(&vb->items[i], va))
			continue;
		pm_buf_init(&x);
		pm_buf_puts(&x, "ALTER TYPE ");
		put_qn(&x, b);
		pm_buf_puts(&x, " ADD VALUE ");
		pm_quote_literal(&x, vb->items[i].str ? vb->items[i].str : "");
		if (i > 0)
		{
			pm_buf_puts(&x, " AFTER ");
			pm_quote_literal(&x, vb->items[i - 1].str ? vb->items[i - 1].str : "");
		}
		else if (vb->n > 1)
		{
			pm_buf_puts(&x, " BEFORE ");
			pm_quote_literal(&x, vb->items[1].str ? vb->items[1].str : "");
		}
		push(l, buf_take(&x), NULL,
			 "the new value cannot be used until the transaction commits (PostgreSQL 12 and later run ADD VALUE inside a transaction block; 11 and older cannot): use it in a later revision; an enum value cannot be removed, so the downgrade swaps the type");
	}
	return true;
}

static bool
alter_domain(engine *e, const obj *a, const obj *b, stlist *l)
{
	const pm_json *ca = pm_json_get(a->j, "constraints");
	const pm_json *cb = pm_json_get(b->j, "constraints");
	int			i,
				k;
	pm_buf		x,
				y;

#define DOM(buf, o) do { pm_buf_init(&buf); pm_buf_puts(&buf, "ALTER DOMAIN "); put_qn(&buf, o); } while (0)
	if (!same_key(a, b, "default"))
	{
		DOM(x, b);
		if (jstr(b, "default"))
			pm_buf_printf(&x, " SET DEFAULT %s", jstr(b, "default"));
		else
			pm_buf_puts(&x, " DROP DEFAULT");
		DOM(y, a);
		if (jstr(a, "default"))
			pm_buf_printf(&y, " SET DEFAULT %s", jstr(a, "default"));
		else
			pm_buf_puts(&y, " DROP DEFAULT");
		push(l, buf_take(&x), buf_take(&y), NULL);
	}
	if (!same_key(a, b, "not_null"))
	{
		DOM(x, b);
		pm_buf_puts(&x, jbool(b, "not_null") ? " SET NOT NULL" : " DROP NOT NULL");
		DOM(y, a);
		pm_buf_puts(&y, jbool(a, "not_null") ? " SET NOT NULL" : " DROP NOT NULL");
		push(l, buf_take(&x), buf_take(&y),
			 jbool(b, "not_null") ? "checks every column of the domain (scans their tables)" : NULL);
	}
	/* constraints by name: drop the ones that go or change, add the new */
	for (i = 0; ca && ca->type == PM_JSON_ARRAY && i < ca->n; i++)
	{
		if (json_in(&ca->items[i], cb))
			continue;
		DOM(x, b);
		pm_buf_puts(&x, " DROP CONSTRAINT ");
		pm_quote_ident(&x, pm_json_str(&ca->items[i], "name") ? pm_json_str(&ca->items[i], "name") : "");
		DOM(y, a);
		pm_buf_puts(&y, " ADD ");
		put_domain_constraint(&y, &ca->items[i]);
		push(l, buf_take(&x), buf_take(&y), NULL);
	}
	for (k = 0; cb && cb->type == PM_JSON_ARRAY && k < cb->n; k++)
	{
		if (json_in(&cb->items[k], ca))
			continue;
		DOM(x, b);
		pm_buf_puts(&x, " ADD ");
		put_domain_constraint(&x, &cb->items[k]);
		DOM(y, a);
		pm_buf_puts(&y, " DROP CONSTRAINT ");
		pm_quote_ident(&y, pm_json_str(&cb->items[k], "name") ? pm_json_str(&cb->items[k], "name") : "");
		push(l, buf_take(&x), buf_take(&y), "checks every column of the domain (scans their tables)");
	}
#undef DOM
	return true;
}

static const pm_json *
attr_named(const pm_json *attrs, const char *name)
{
	int			i;

	for (i = 0; attrs && attrs->type == PM_JSON_ARRAY && i < attrs->n; i++)
		if (streq(pm_json_str(&attrs->items[i], "name"), name))
			return &attrs->items[i];
	return NULL;
}

static bool
alter_composite(engine *e, const obj *a, const obj *b, stlist *l)
{
	const pm_json *xa = pm_json_get(a->j, "attributes");
	const pm_json *xb = pm_json_get(b->j, "attributes");
	int			i;
	pm_buf		x,
				y;

	for (i = 0; xa && xa->type == PM_JSON_ARRAY && i < xa->n; i++)
	{
		const char *nm = pm_json_str(&xa->items[i], "name");
		const pm_json *m = attr_named(xb, nm);

		if (nm == NULL)
			continue;
		if (m && pm_json_equal(m, &xa->items[i]))
			continue;
		pm_buf_init(&x);
		pm_buf_puts(&x, "ALTER TYPE ");
		put_qn(&x, b);
		pm_buf_init(&y);
		pm_buf_puts(&y, "ALTER TYPE ");
		put_qn(&y, a);
		if (m == NULL)
		{
			pm_buf_puts(&x, " DROP ATTRIBUTE ");
			pm_quote_ident(&x, nm);
			pm_buf_puts(&y, " ADD ATTRIBUTE ");
			put_attr(&y, &xa->items[i]);
		}
		else
		{
			pm_buf_puts(&x, " ALTER ATTRIBUTE ");
			pm_quote_ident(&x, nm);
			pm_buf_printf(&x, " TYPE %s", pm_json_str(m, "type") ? pm_json_str(m, "type") : "");
			if (pm_json_str(m, "collation"))
				pm_buf_printf(&x, " COLLATE %s", pm_json_str(m, "collation"));
			pm_buf_puts(&y, " ALTER ATTRIBUTE ");
			pm_quote_ident(&y, nm);
			pm_buf_printf(&y, " TYPE %s", pm_json_str(&xa->items[i], "type") ? pm_json_str(&xa->items[i], "type") : "");
			if (pm_json_str(&xa->items[i], "collation"))
				pm_buf_printf(&y, " COLLATE %s", pm_json_str(&xa->items[i], "collation"));
		}
		push(l, buf_take(&x), buf_take(&y), NULL);
	}
	for (i = 0; xb && xb->type == PM_JSON_ARRAY && i < xb->n; i++)
	{
		const char *nm = pm_json_str(&xb->items[i], "name");

		if (nm == NULL || attr_named(xa, nm))
			continue;
		pm_buf_init(&x);
		pm_buf_puts(&x, "ALTER TYPE ");
		put_qn(&x, b);
		pm_buf_puts(&x, " ADD ATTRIBUTE ");
		put_attr(&x, &xb->items[i]);
		pm_buf_init(&y);
		pm_buf_puts(&y, "ALTER TYPE ");
		put_qn(&y, a);
		pm_buf_puts(&y, " DROP ATTRIBUTE ");
		pm_quote_ident(&y, nm);
		push(l, buf_take(&x), buf_take(&y), NULL);
	}
	return true;
}

static char *
policy_alter_sql(const snap *s, const obj *p)
{
	pm_buf		b;

	pm_buf_init(&b);
	pm_buf_puts(&b, "ALTER POLICY ");
	pm_quote_ident(&b, p->name);
	pm_buf_puts(&b, " ON ");
	put_tbl(&b, s, p);
	pm_buf_puts(&b, " TO ");
	put_roles(&b, pm_json_get(p->j, "roles"));
	if (jstr(p, "using"))
		pm_buf_printf(&b, " USING (%s)", jstr(p, "using"));
	if (jstr(p, "check"))
		pm_buf_printf(&b, " WITH CHECK (%s)", jstr(p, "check"));
	return buf_take(&b);
}

/* the statements of an in-place change of a (source) into b (target) */
static bool
alter_stmts(engine *e, const obj *a, const obj *b, stlist *l)
{
	const snap *S = &e->S,
			   *T = &e->T;
	pm_buf		x,
				y;

	switch (b->kind)
	{
		case K_TABLE:
			return alter_table_stmts(e, a, b, l);
		case K_COLUMN:
			return alter_column(e, a, b, l);
		case K_CONSTRAINT:
			alter_table(&x, T, b);
			pm_buf_puts(&x, "VALIDATE CONSTRAINT ");
			pm_quote_ident(&x, b->name);
			push(l, buf_take(&x), NULL,
				 "scans the table to check every row (SHARE UPDATE EXCLUSIVE: reads and writes go on); cannot be undone by one statement");
			return true;
		case K_SEQUENCE:
			{
				static const char *const keys[] = {"type", "increment", "min", "max", "start", "cache", "cycle"};
				int			i;
				bool		opt = false;

				for (i = 0; i < 7; i++)
					if (!same_key(a, b, keys[i]) && !(i == 0 && jbool(b, "identity")))
						opt = true;
				if (opt)
					push(l, seq_alter_sql(T, b, a), seq_alter_sql(S, a, b), NULL);
				if (!same_key(a, b, "owned_by") && !jbool(b, "identity"))
					push(l, owned_sql(T, b), owned_sql(S, a), NULL);
				return true;
			}
		case K_ENUM:
			return alter_enum(e, a, b, l);
		case K_DOMAIN:
			return alter_domain(e, a, b, l);
		case K_COMPOSITE:
			return alter_composite(e, a, b, l);
		case K_FUNCTION:
			pm_buf_init(&x);
			put_def(&x, jstr(b, "def") ? jstr(b, "def") : "");
			pm_buf_init(&y);
			put_def(&y, jstr(a, "def") ? jstr(a, "def") : "");
			push(l, buf_take(&x), buf_take(&y), NULL);
			return true;
		case K_TRIGGER:
			push(l, simple_sql(trigger_enable(jstr(b, "enabled")), T, b, ""),
				 simple_sql(trigger_enable(jstr(a, "enabled")), S, a, ""), NULL);
			return true;
		case K_POLICY:
			push(l, policy_alter_sql(T, b), policy_alter_sql(S, a), NULL);
			return true;
		case K_EXTENSION:
			if (!same_key(a, b, "extschema"))
			{
				pm_buf_init(&x);
				pm_buf_puts(&x, "ALTER EXTENSION ");
				pm_quote_ident(&x, b->name);
				pm_buf_puts(&x, " SET SCHEMA ");
				pm_quote_ident(&x, jstr(b, "extschema") ? jstr(b, "extschema") : "public");
				pm_buf_init(&y);
				pm_buf_puts(&y, "ALTER EXTENSION ");
				pm_quote_ident(&y, a->name);
				pm_buf_puts(&y, " SET SCHEMA ");
				pm_quote_ident(&y, jstr(a, "extschema") ? jstr(a, "extschema") : "public");
				push(l, buf_take(&x), buf_take(&y), NULL);
			}
			if (!same_key(a, b, "version") && jstr(b, "version"))
			{
				pm_buf_init(&x);
				pm_buf_puts(&x, "ALTER EXTENSION ");
				pm_quote_ident(&x, b->name);
				pm_buf_puts(&x, " UPDATE TO ");
				pm_quote_literal(&x, jstr(b, "version"));
				pm_buf_init(&y);
				pm_buf_puts(&y, "ALTER EXTENSION ");
				pm_quote_ident(&y, a->name);
				pm_buf_puts(&y, " UPDATE TO ");
				pm_quote_literal(&y, jstr(a, "version") ? jstr(a, "version") : "");
				push(l, buf_take(&x), buf_take(&y),
					 "runs the extension's update script (it may rewrite its objects); a downgrade path exists only if the extension ships one");
			}
			return true;
		case K_COMMENT:
			{
				stlist		ca = {0},
							cb = {0};

				create_stmts(e, T, b, &cb);
				create_stmts(e, S, a, &ca);
				push(l, cb.st[0].sql, ca.st[0].sql, NULL);
				pm_free(ca.st[0].rev);
				pm_free(cb.st[0].rev);
				pm_free(ca.st);
				pm_free(cb.st);
				return true;
			}
		case K_ACL:
			{
				int			t = find(T, jstr(b, "target"));

				return acl_stmts(e, S, a, T, b, &T->o[t], T, l);
			}
		default:
			return efail(e, PM_ERR_UNSUPPORTED, "not compared: ", b->id);
	}
}

/* Can b replace a in place?  Otherwise it is dropped and created. */
static ostate
change_state(const obj *a, const obj *b)
{
	switch (b->kind)
	{
		case K_TABLE:
			return same_key(a, b, "partition_key") ? ST_ALTER : ST_REPLACE;
		case K_COLUMN:
			if (!same_key(a, b, "generated") && !streq(jstr(b, "generated"), ""))
				return jstr(b, "generated") ? ST_REPLACE : ST_ALTER;
			if (streq(jstr(a, "generated"), "s") && streq(jstr(b, "generated"), "s") &&
				!same_key(a, b, "default"))
				return ST_REPLACE;
			return ST_ALTER;
		case K_CONSTRAINT:
			{
				/* only NOT VALID -> valid is done in place */
				const char *da = jstr(a, "def");
				const char *db = jstr(b, "def");
				size_t		la = da ? strlen(da) : 0;

				if (!jbool(a, "validated") && jbool(b, "validated") && da && db &&
					la > 10 && strcmp(da + la - 10, " NOT VALID") == 0 &&
					strlen(db) == la - 10 && strncmp(da, db, la - 10) == 0 &&
					same_key(a, b, "contype"))
					return ST_ALTER;
				return ST_REPLACE;
			}
		case K_SEQUENCE:
		case K_ENUM:
		case K_COMPOSITE:
		case K_EXTENSION:
		case K_COMMENT:
		case K_ACL:
			return ST_ALTER;
		case K_DOMAIN:
			return same_key(a, b, "type") && same_key(a, b, "collation") ? ST_ALTER : ST_REPLACE;
		case K_FUNCTION:
			return same_key(a, b, "returns") && same_key(a, b, "prokind") ? ST_ALTER : ST_REPLACE;
		case K_TRIGGER:
			return same_key(a, b, "def") && same_key(a, b, "inherited") ? ST_ALTER : ST_REPLACE;
		case K_POLICY:
			if (same_key(a, b, "cmd") && same_key(a, b, "permissive") &&
				(jstr(b, "using") || !jstr(a, "using")) &&
				(jstr(b, "check") || !jstr(a, "check")))
				return ST_ALTER;
			return ST_REPLACE;
		default:
			return ST_REPLACE;
	}
}

/* composite attributes compare by name, not by position */
static bool
composite_equal(const obj *a, const obj *b)
{
	const pm_json *xa = pm_json_get(a->j, "attributes");
	const pm_json *xb = pm_json_get(b->j, "attributes");
	int			i;

	if ((xa ? xa->n : 0) != (xb ? xb->n : 0))
		return false;
	for (i = 0; xa && i < xa->n; i++)
	{
		const pm_json *m = attr_named(xb, pm_json_str(&xa->items[i], "name"));

		if (m == NULL || !pm_json_equal(m, &xa->items[i]))
			return false;
	}
	return true;
}

/* ---------------------------------------------------- loading snapshots */

static const char *
unsupported_what(const obj *o)
{
	const char *w = jstr(o, "what");

	return w ? w : o->id;
}

static bool
load_snap(engine *e, const char *text, size_t len, snap *s, const char *side,
		  pm_buf *unsupported, int *nunsupported)
{
	const pm_json *objs;
	const pm_json *fmt;
	int			i,
				k;

	memset(s, 0, sizeof(*s));
	s->root = pm_json_parse(text, len, e->err);
	if (s->root == NULL)
	{
		char		msg[sizeof(e->err->msg)];

		memcpy(msg, e->err->msg, sizeof(msg));
		pm_error_set(e->err, PM_ERR_SYNTAX, "%s snapshot: %s", side, msg);
		e->failed = true;
		return false;
	}
	fmt = pm_json_get(s->root, "format");
	objs = pm_json_get(s->root, "objects");
	if (fmt == NULL || fmt->type != PM_JSON_NUMBER || strcmp(fmt->str, "1") != 0 ||
		objs == NULL || objs->type != PM_JSON_ARRAY)
	{
		pm_error_set(e->err, PM_ERR_SYNTAX, "%s is not a schema snapshot of format 1", side);
		pm_error_detail(e->err, "A snapshot is an object with \"format\": 1 and an \"objects\" array.");
		pm_error_hint(e->err, "Pass the result of pgmig.snapshot().");
		e->failed = true;
		return false;
	}
	s->n = objs->n;
	/* a block of its own (huge pages where possible: 1.8 MB at 1,000 tables) */
	s->o = pm_malloc_large(sizeof(obj) * (s->n ? s->n : 1));
	/* zeroed first: a failure part way leaves nothing to free by mistake */
	memset(s->o, 0, sizeof(obj) * (s->n ? s->n : 1));
	for (i = 0; i < s->n; i++)
	{
		obj		   *o = &s->o[i];
		const pm_json *j = &objs->items[i];
		const pm_json *deps = pm_json_get(j, "deps");
		const char *kind = pm_json_str(j, "kind");

		memset(o, 0, sizeof(*o));
		o->j = j;
		o->id = pm_json_str(j, "id");
		o->schema = pm_json_str(j, "schema");
		o->name = pm_json_str(j, "name");
		o->table = pm_json_str(j, "table");
		o->other = o->owner = o->idseq = -1;
		o->ndrop = o->ncreate = o->nalter = o->nalter2 = -1;
		if (j->type != PM_JSON_OBJECT || o->id == NULL || kind == NULL)
		{
			pm_error_set(e->err, PM_ERR_SYNTAX, "%s snapshot: object %d has no id or kind", side, i + 1);
			e->failed = true;
			return false;
		}
		o->kind = kind_of(kind);
		if (o->kind == K_FUNCTION && streq(jstr(o, "prokind"), "a"))
			o->kind = K_UNKNOWN;
		if (o->kind == K_UNKNOWN)
		{
			if (*nunsupported < 20)
				pm_buf_printf(unsupported, "%snot compared: %s%s%s (%s)",
							  *nunsupported ? "; " : "",
							  strcmp(kind, "unsupported") == 0 ? "" : kind,
							  strcmp(kind, "unsupported") == 0 ? "" : " ",
							  unsupported_what(o), side);
			(*nunsupported)++;
			continue;
		}
		if (o->name == NULL || (o->schema == NULL && o->kind != K_EXTENSION && o->kind != K_SCHEMA))
		{
			pm_error_set(e->err, PM_ERR_SYNTAX, "%s snapshot: object %.200s has no schema or name", side, o->id);
			e->failed = true;
			return false;
		}
		if (o->schema == NULL)
			o->schema = o->name;
		if (deps && deps->type == PM_JSON_ARRAY)
		{
			o->deps = pm_malloc(sizeof(char *) * (deps->n + 3));
			for (k = 0; k < deps->n; k++)
				if (deps->items[k].type == PM_JSON_STRING)
					o->deps[o->ndeps++] = deps->items[k].str;
		}
		else
			o->deps = pm_malloc(sizeof(char *) * 3);
	}
	/* a snapshot's objects come sorted by id: sort only when they are not */
	for (i = 1; i < s->n; i++)
		if (strcmp(s->o[i - 1].id, s->o[i].id) >= 0)
			break;
	if (i < s->n)
	{
		qsort(s->o, s->n, sizeof(obj), obj_cmp);
		for (i = 1; i < s->n; i++)
			if (strcmp(s->o[i - 1].id, s->o[i].id) == 0)
			{
				pm_error_set(e->err, PM_ERR_SYNTAX, "%s snapshot: duplicate object id %.300s", side, s->o[i].id);
				e->failed = true;
				return false;
			}
	}
	/* the id index (see find) */
	s->hmask = 15;
	while (s->hmask < (unsigned) s->n * 2)
		s->hmask = s->hmask * 2 + 1;
	s->hash = pm_malloc(sizeof(int) * (s->hmask + 1));
	memset(s->hash, 0xff, sizeof(int) * (s->hmask + 1));
	for (i = 0; i < s->n; i++)
	{
		unsigned	h = id_hash(s->o[i].id) & s->hmask;

		while (s->hash[h] >= 0)
			h = (h + 1) & s->hmask;
		s->hash[h] = i;
	}
	return true;
}

/* references every later step relies on must resolve */
static bool
check_refs(engine *e, snap *s, const char *side)
{
	int			i;

	for (i = 0; i < s->n; i++)
	{
		obj		   *o = &s->o[i];
		const char *bad = NULL;

		if (o->kind == K_UNKNOWN)
			continue;
		if (o->table && rel_of(s, o->table) == NULL)
			bad = "the relation it is on";
		else if (o->kind == K_COLUMN && jstr(o, "type") == NULL)
			bad = "its type";
		else if (o->kind == K_DOMAIN && jstr(o, "type") == NULL)
			bad = "its base type";
		else if ((o->kind == K_COMMENT || o->kind == K_ACL) &&
				 (find(s, jstr(o, "target")) < 0 || s->o[find(s, jstr(o, "target"))].kind == K_UNKNOWN))
			bad = "its target";
		else if (o->kind == K_SEQUENCE && jstr(o, "owned_by") &&
				 (find(s, jstr(o, "owned_by")) < 0 || s->o[find(s, jstr(o, "owned_by"))].kind != K_COLUMN ||
				  s->o[find(s, jstr(o, "owned_by"))].table == NULL))
			bad = "the column that owns it";
		else if (o->kind == K_TABLE && jstr(o, "partition_of") && rel_of(s, jstr(o, "partition_of")) == NULL)
			bad = "its parent table";
		else if ((o->kind == K_COLUMN || o->kind == K_CONSTRAINT || o->kind == K_INDEX ||
				  o->kind == K_TRIGGER || o->kind == K_POLICY) && o->table == NULL)
			bad = "the relation it is on";
		else if (o->kind == K_TABLE)
		{
			const pm_json *inh = pm_json_get(o->j, "inherits");
			int			k;

			for (k = 0; inh && inh->type == PM_JSON_ARRAY && k < inh->n; k++)
				if (inh->items[k].type != PM_JSON_STRING || rel_of(s, inh->items[k].str) == NULL)
					bad = "a table it inherits from";
		}
		if (bad)
		{
			pm_error_set(e->err, PM_ERR_SYNTAX, "%s snapshot: %.300s refers to %s, which is not in the snapshot",
						 side, o->id, bad);
			pm_error_hint(e->err, "Take both snapshots with pgmig.snapshot() over the same schemas.");
			e->failed = true;
			return false;
		}
		/* structural dependencies the engine relies on */
		if (o->table)
		{
			const obj  *t = rel_of(s, o->table);

			o->deps[o->ndeps++] = t->id;
		}
		if (o->kind == K_COMMENT || o->kind == K_ACL)
			o->deps[o->ndeps++] = jstr(o, "target");
		if (o->kind == K_SEQUENCE && jstr(o, "owned_by"))
		{
			int			c = find(s, jstr(o, "owned_by"));
			int			k,
						w = 0;

			/* owned: not a creation dependency (OWNED BY is its own step) */
			for (k = 0; k < o->ndeps; k++)
				if (strcmp(o->deps[k], s->o[c].id) != 0)
					o->deps[w++] = o->deps[k];
			o->ndeps = w;
			if (jbool(o, "identity"))
				s->o[c].idseq = i;
		}
	}
	/* resolve every dependency once: the passes below only use indexes */
	for (i = 0; i < s->n; i++)
	{
		obj		   *o = &s->o[i];
		int			k;

		o->depi = pm_malloc(sizeof(int) * (o->ndeps + 1));
		for (k = 0; k < o->ndeps; k++)
			o->depi[k] = find(s, o->deps[k]);
		o->rel = -1;
		if (o->table && o->kind != K_UNKNOWN)
			o->rel = (int) (rel_of(s, o->table) - s->o);
	}
	return true;
}

/* ------------------------------------------------------------- renames */

static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '$' || c == '"' || (unsigned char) c >= 0x80;
}

/*
 * Replace whole-token occurrences of from by to in str[start..end), where
 * a token is not preceded by an identifier character (nor a dot when
 * unqualified) nor followed by one.  Returns a new string or NULL when
 * nothing changed.
 */
static char *
replace_tokens(const char *str, size_t start, size_t end, const char *from, const char *to,
			   bool skip_qualified)
{
	size_t		fl = strlen(from);
	size_t		i = start;
	pm_buf		b;
	bool		changed = false;
	size_t		last = 0;

	pm_buf_init(&b);
	while (i + fl <= end)
	{
		if (memcmp(str + i, from, fl) == 0 &&
			(i == 0 || (!is_ident_char(str[i - 1]) && !(skip_qualified && str[i - 1] == '.'))) &&
			(str[i + fl] == '\0' || !is_ident_char(str[i + fl])))
		{
			pm_buf_append(&b, str + last, i - last);
			pm_buf_puts(&b, to);
			i += fl;
			last = i;
			changed = true;
			continue;
		}
		i++;
	}
	if (!changed)
	{
		pm_buf_free(&b);
		return NULL;
	}
	pm_buf_puts(&b, str + last);
	return b.data;
}

static void
set_str(pm_json *root, pm_json *v, char *s)
{
	if (s == NULL)
		return;
	pm_json_set_str(root, v, s);
}

/* rewrite an id, a qualified table name or a reference to renamed names */
static char *
rw_id(const char *s, const char *oldq, const char *newq, bool table_mode)
{
	const char *sp = strchr(s, ' ');
	size_t		ol = strlen(oldq);
	pm_buf		b;

	if (sp == NULL)
	{
		/* a plain qualified name (table, partition_of, inherits) */
		if (table_mode && strcmp(s, oldq) == 0)
			return pm_strdup(newq);
		return NULL;
	}
	if (!table_mode)
		return NULL;
	if (strncmp(s, "comment ", 8) == 0 || strncmp(s, "acl ", 4) == 0)
	{
		char	   *in = rw_id(sp + 1, oldq, newq, true);

		if (in == NULL)
			return NULL;
		pm_buf_init(&b);
		pm_buf_append(&b, s, sp + 1 - s);
		pm_buf_puts(&b, in);
		pm_free(in);
		return b.data;
	}
	if (!(strncmp(s, "table ", 6) == 0 || strncmp(s, "column ", 7) == 0 ||
		  strncmp(s, "constraint ", 11) == 0 || strncmp(s, "trigger ", 8) == 0 ||
		  strncmp(s, "policy ", 7) == 0))
		return NULL;
	if (strncmp(sp + 1, oldq, ol) != 0 || (sp[1 + ol] != '\0' && sp[1 + ol] != '.'))
		return NULL;
	pm_buf_init(&b);
	pm_buf_append(&b, s, sp + 1 - s);
	pm_buf_puts(&b, newq);
	pm_buf_puts(&b, sp + 1 + ol);
	return b.data;
}

static void
rw_json_ids(pm_json *root, pm_json *o, const char *oldq, const char *newq, const char *oldid, const char *newid)
{
	static const char *const idkeys[] = {"id", "target", "owned_by", "constraint", "table",
	"partition_of", NULL};
	int			i,
				k;

	for (i = 0; idkeys[i]; i++)
	{
		pm_json    *v = (pm_json *) pm_json_get(o, idkeys[i]);

		if (v && v->type == PM_JSON_STRING)
		{
			if (oldid)
			{
				if (strcmp(v->str, oldid) == 0)
					set_str(root, v, pm_strdup(newid));
				else if ((strncmp(v->str, "comment ", 8) == 0 || strncmp(v->str, "acl ", 4) == 0) &&
						 strcmp(strchr(v->str, ' ') + 1, oldid) == 0)
				{
					pm_buf		b;

					pm_buf_init(&b);
					pm_buf_append(&b, v->str, strchr(v->str, ' ') + 1 - v->str);
					pm_buf_puts(&b, newid);
					set_str(root, v, b.data);
				}
			}
			else
				set_str(root, v, rw_id(v->str, oldq, newq, true));
		}
	}
	for (i = 0; i < 2; i++)
	{
		pm_json    *arr = (pm_json *) pm_json_get(o, i ? "inherits" : "deps");

		for (k = 0; arr && arr->type == PM_JSON_ARRAY && k < arr->n; k++)
			if (arr->items[k].type == PM_JSON_STRING)
			{
				if (oldid)
				{
					if (strcmp(arr->items[k].str, oldid) == 0)
						set_str(root, &arr->items[k], pm_strdup(newid));
				}
				else
					set_str(root, &arr->items[k], rw_id(arr->items[k].str, oldq, newq, true));
			}
	}
}

/* the raw "name" key */
static void
rw_name(pm_json *root, pm_json *o, const char *name)
{
	pm_json    *v = (pm_json *) pm_json_get(o, "name");

	if (v && v->type == PM_JSON_STRING)
		set_str(root, v, pm_strdup(name));
}

/*
 * Apply one rename to the source tree: afterwards the renamed object and
 * everything that names it look as they will after the RENAME statement.
 */
static void
apply_rename(pm_json *root, const rename *r, const char *newname, const char *tblq_old,
			 const char *tblq_new, const char *colq_old, const char *colq_new)
{
	pm_json    *objs = (pm_json *) pm_json_get(root, "objects");
	int			i;

	for (i = 0; i < objs->n; i++)
	{
		pm_json    *o = &objs->items[i];
		const char *id = pm_json_str(o, "id");
		static const char *const defkeys[] = {"def", "using", "check", "default", NULL};
		int			k;

		if (id == NULL)
			continue;
		if (strcmp(id, r->src_id) == 0)
			rw_name(root, o, newname);
		if (r->is_table)
		{
			rw_json_ids(root, o, tblq_old, tblq_new, NULL, NULL);
			for (k = 0; defkeys[k]; k++)
			{
				pm_json    *v = (pm_json *) pm_json_get(o, defkeys[k]);

				if (v && v->type == PM_JSON_STRING)
					set_str(root, v, replace_tokens(v->str, 0, v->len, tblq_old, tblq_new, false));
			}
		}
		else
		{
			const char *tbl = pm_json_str(o, "table");
			pm_json    *def = (pm_json *) pm_json_get(o, "def");

			rw_json_ids(root, o, NULL, NULL, r->src_id, r->tgt_id);
			/* expressions of the table itself name the column bare */
			if (tbl && strcmp(tbl, tblq_old) == 0)
				for (k = 0; defkeys[k]; k++)
				{
					pm_json    *v = (pm_json *) pm_json_get(o, defkeys[k]);
					const char *refs;
					size_t		end;

					if (!(v && v->type == PM_JSON_STRING))
						continue;
					refs = strstr(v->str, " REFERENCES ");
					end = (k == 0 && refs && streq(pm_json_str(o, "kind"), "constraint")) ?
						(size_t) (refs - v->str) : v->len;
					set_str(root, v, replace_tokens(v->str, 0, end, colq_old, colq_new, true));
				}
			/* foreign keys that reference the column */
			if (def && def->type == PM_JSON_STRING && streq(pm_json_str(o, "kind"), "constraint"))
			{
				pm_buf		pat;
				const char *p;

				pm_buf_init(&pat);
				pm_buf_printf(&pat, " REFERENCES %s(", tblq_old);
				p = strstr(def->str, pat.data);
				if (p)
				{
					size_t		st = p - def->str + pat.len;
					const char *close = strchr(def->str + st, ')');

					if (close)
						set_str(root, def, replace_tokens(def->str, st, close - def->str, colq_old, colq_new, true));
				}
				pm_buf_free(&pat);
			}
		}
	}
}

/* -------------------------------------------------------- graph of nodes */

static int
new_node(engine *e, int phase, okind kind, const char *id)
{
	node	   *n;

	if (e->nn == e->capn)
	{
		e->capn = e->capn ? e->capn * 2 : 64;
		e->nodes = pm_realloc(e->nodes, e->capn * sizeof(node));
	}
	n = &e->nodes[e->nn];
	memset(n, 0, sizeof(*n));
	n->phase = phase;
	n->rank = phase == 1 ? 20 - (int) kind : (int) kind;
	n->id = id;
	n->kind = kind_names[kind];
	return e->nn++;
}

static void
node_add(engine *e, int ni, stlist *l)
{
	node	   *n = &e->nodes[ni];
	int			i;

	n->st = pm_realloc(n->st, (n->nst + l->n) * sizeof(stmt));
	for (i = 0; i < l->n; i++)
		n->st[n->nst++] = l->st[i];
	pm_free(l->st);
	l->st = NULL;
	l->n = l->cap = 0;
}

static void
edge(engine *e, int from, int to)
{
	node	   *n;

	if (from < 0 || to < 0 || from == to)
		return;
	n = &e->nodes[from];
	if (n->nout == n->capout)
	{
		n->capout = n->capout ? n->capout * 2 : 4;
		n->out = pm_realloc(n->out, n->capout * sizeof(int));
	}
	n->out[n->nout++] = to;
	e->nodes[to].indeg++;
}

static bool
has_drop(const obj *o)
{
	return o->st == ST_DROP || o->st == ST_REPLACE;
}

static bool
has_drop_st(const obj *o)
{
	return has_drop(o);
}

static bool
has_create(const obj *o)
{
	return o->st == ST_ADD || o->st == ST_REPLACE;
}

/* is o's table (or o, a table) created in this diff? */
static bool
table_is_new(const engine *e, const snap *s, const obj *o)
{
	const obj  *t = o->kind == K_TABLE ? o : rel_of(s, o->table);

	if (t == NULL)
		return false;
	if (s == &e->T)
		return has_create(t);
	return has_drop(t);
}

/* resolve an implicit object's node through its owner */
static int
drop_node(snap *s, int i, int depth)
{
	obj		   *o = &s->o[i];

	if (o->implicit && o->owner >= 0 && depth < 8)
		return drop_node(s, o->owner, depth + 1);
	return o->implicit ? -1 : o->ndrop;
}

static int
create_node(snap *s, int i, int depth)
{
	obj		   *o = &s->o[i];

	if (o->implicit && o->owner >= 0 && depth < 8)
	{
		obj		   *w = &s->o[o->owner];

		if (!has_create(w) && w->nalter >= 0)
			return w->nalter;
		return create_node(s, o->owner, depth + 1);
	}
	return o->implicit ? -1 : o->ncreate;
}

/* ----------------------------------------------------------- one pass */

typedef struct heapent
{
	int			node;
} heapent;

static int
node_before(const engine *e, int a, int b)
{
	const node *x = &e->nodes[a],
			   *y = &e->nodes[b];
	int			c;

	if (x->phase != y->phase)
		return x->phase < y->phase;
	if (x->rank != y->rank)
		return x->rank < y->rank;

	/*
	 * Columns of one table have ids with the same prefix, so they are
	 * contiguous in id order, and ordering them among themselves by
	 * ordinal keeps the order total.
	 */
	if (x->grp && y->grp && x->ord != y->ord && strcmp(x->grp, y->grp) == 0)
		return x->ord < y->ord;
	c = strcmp(x->id, y->id);
	if (c != 0)
		return c < 0;
	return a < b;
}

static void
heap_push(const engine *e, int *h, int *n, int v)
{
	int			i = (*n)++;

	h[i] = v;
	while (i > 0 && node_before(e, h[i], h[(i - 1) / 2]))
	{
		int			t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static int
heap_pop(const engine *e, int *h, int *n)
{
	int			top = h[0];
	int			i = 0;

	h[0] = h[--(*n)];
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < *n && node_before(e, h[l], h[m]))
			m = l;
		if (r < *n && node_before(e, h[r], h[m]))
			m = r;
		if (m == i)
			break;
		{
			int			t = h[i];

			h[i] = h[m];
			h[m] = t;
		}
		i = m;
	}
	return top;
}

static void
free_snap(snap *s)
{
	int			i;

	for (i = 0; i < s->n; i++)
	{
		pm_free(s->o[i].deps);
		pm_free(s->o[i].depi);
		pm_free(s->o[i].suggest);
	}
	pm_free_large(s->o);
	if (s->hash)
		pm_free(s->hash);
	pm_json_free(s->root);
	memset(s, 0, sizeof(*s));
}

static void
free_nodes(engine *e)
{
	int			i,
				k;

	for (i = 0; i < e->nn; i++)
	{
		for (k = 0; k < e->nodes[i].nst; k++)
		{
			pm_free(e->nodes[i].st[k].sql);
			pm_free(e->nodes[i].st[k].rev);
			pm_free(e->nodes[i].st[k].hazard);
			pm_free(e->nodes[i].st[k].count_sql);
		}
		pm_free(e->nodes[i].st);
		pm_free(e->nodes[i].out);
	}
	pm_free(e->nodes);
	e->nodes = NULL;
	e->nn = e->capn = 0;
}

/* after the rename, the quoted last part of an id (column/table name) */
static const char *
id_tail(const char *id, const char *prefix_qual)
{
	size_t		l = strlen(prefix_qual);
	const char *sp = strchr(id, ' ');

	if (sp && strncmp(sp + 1, prefix_qual, l) == 0 && sp[1 + l] == '.')
		return sp + 2 + l;
	return NULL;
}

/* resolve the rename map against the pristine snapshots */
static bool
resolve_renames(engine *e, const char *text, size_t len, rename **out, int *nout)
{
	pm_json    *m;
	int			i,
				k;
	rename	   *r;

	*out = NULL;
	*nout = 0;
	if (text == NULL || len == 0)
		return true;
	m = pm_json_parse(text, len, e->err);
	if (m == NULL)
	{
		char		msg[sizeof(e->err->msg)];

		memcpy(msg, e->err->msg, sizeof(msg));
		pm_error_set(e->err, PM_ERR_SYNTAX, "rename map: %s", msg);
		e->failed = true;
		return false;
	}
	if (m->type == PM_JSON_NULL)
	{
		pm_json_free(m);
		return true;
	}
	if (m->type != PM_JSON_OBJECT)
	{
		pm_json_free(m);
		pm_error_set(e->err, PM_ERR_SYNTAX, "rename map must be a JSON object");
		pm_error_hint(e->err, "Write it as {\"table public.old\": \"new\", \"column public.t.old\": \"new\"}.");
		e->failed = true;
		return false;
	}
	r = pm_malloc(sizeof(rename) * (m->n ? m->n : 1));
	/* columns first: their keys use the source's table names */
	for (k = 0; k < 2; k++)
		for (i = 0; i < m->n; i++)
		{
			const char *key = m->keys[i];
			const pm_json *v = &m->items[i];
			bool		is_table = strncmp(key, "table ", 6) == 0;
			int			si,
						ti;
			const obj  *so;

			if ((k == 0) == is_table)
				continue;
			if (!is_table && strncmp(key, "column ", 7) != 0)
			{
				pm_error_set(e->err, PM_ERR_SYNTAX, "rename map: cannot rename \"%.200s\"", key);
				pm_error_detail(e->err, "Only tables and columns can be renamed by the map.");
				pm_error_hint(e->err, "Use a key such as \"table public.old\" or \"column public.t.old\".");
				goto fail;
			}
			if (v->type != PM_JSON_STRING || v->len == 0)
			{
				pm_error_set(e->err, PM_ERR_SYNTAX, "rename map: the new name of \"%.200s\" must be a non-empty string", key);
				goto fail;
			}
			si = find(&e->S, key);
			if (si < 0)
			{
				pm_error_set(e->err, PM_ERR_SYNTAX, "rename map: \"%.200s\" is not in the source snapshot", key);
				pm_error_hint(e->err, "Keys are ids of the source snapshot, such as \"column public.t.old\".");
				goto fail;
			}
			so = &e->S.o[si];
			ti = -1;
			{
				/* the target object of the same kind with the new name */
				const char *tq = so->table;
				int			j;

				if (!is_table && so->table != NULL)
				{
					/* its table may be renamed too */
					int			q;

					for (q = 0; q < m->n; q++)
						if (strncmp(m->keys[q], "table ", 6) == 0 && strcmp(m->keys[q] + 6, so->table) == 0 &&
							m->items[q].type == PM_JSON_STRING)
						{
							for (j = 0; j < e->T.n; j++)
								if (e->T.o[j].kind == K_TABLE && streq(e->T.o[j].schema, so->schema) &&
									streq(e->T.o[j].name, m->items[q].str))
									tq = e->T.o[j].id + 6;
						}
				}
				for (j = 0; j < e->T.n; j++)
				{
					const obj  *t = &e->T.o[j];

					if (t->kind == so->kind && streq(t->schema, so->schema) && streq(t->name, v->str) &&
						(is_table || streq(t->table, tq)))
						ti = j;
				}
			}
			if (ti < 0 || find(&e->S, e->T.o[ti].id) >= 0)
			{
				pm_error_set(e->err, PM_ERR_SYNTAX,
							 "rename map: \"%.200s\" is renamed to \"%.100s\", but the target snapshot %s",
							 key, v->str, ti < 0 ? "has no such object" : "has it in the source too");
				goto fail;
			}
			r[*nout].is_table = is_table;
			r[*nout].src_id = pm_strdup(so->id);
			r[*nout].tgt_id = pm_strdup(e->T.o[ti].id);
			(*nout)++;
		}
	pm_json_free(m);
	*out = r;
	return true;
fail:
	for (i = 0; i < *nout; i++)
	{
		pm_free(r[i].src_id);
		pm_free(r[i].tgt_id);
	}
	pm_free(r);
	*nout = 0;
	pm_json_free(m);
	e->failed = true;
	return false;
}

static void
prepare(engine *e)
{
	snap	   *S = &e->S,
			   *T = &e->T;
	int			i,
				k;
	bool		changed;

	/* states */
	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];
		int			t = find(T, a->id);

		a->other = t;
		if (t < 0)
			a->st = ST_DROP;
		else
		{
			obj		   *b = &T->o[t];

			b->other = i;
			if (a->kind != b->kind)
				a->st = ST_REPLACE;
			else if (b->kind == K_COMPOSITE ? composite_equal(a, b) : obj_equal(a, b))
				a->st = ST_SAME;
			else
				a->st = change_state(a, b);
			if (a->kind == K_COLUMN && a->st == ST_ALTER &&
				(!same_key(a, b, "type") || !same_key(a, b, "collation")))
				a->typechg = true;
			b->st = a->st;
		}
	}
	for (i = 0; i < T->n; i++)
		if (T->o[i].other < 0)
			T->o[i].st = ST_ADD;

	/*
	 * ALTER TYPE refuses a composite type that a column uses: such a type is
	 * replaced, and its columns with it (a hazard says what is lost).
	 */
	for (i = 0; i < S->n; i++)
		if (S->o[i].kind == K_COLUMN)
			for (k = 0; k < S->o[i].ndeps; k++)
			{
				int			d = S->o[i].depi[k];

				if (d >= 0 && S->o[d].kind == K_COMPOSITE && S->o[d].st == ST_ALTER)
				{
					S->o[d].st = ST_REPLACE;
					T->o[S->o[d].other].st = ST_REPLACE;
				}
			}

	/* an enum swap changes the type of its columns */
	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];

		if (a->kind == K_ENUM && a->st == ST_ALTER)
		{
			const pm_json *va = pm_json_get(a->j, "values");
			const pm_json *vb = pm_json_get(T->o[a->other].j, "values");

			if (va && vb && va->type == PM_JSON_ARRAY && vb->type == PM_JSON_ARRAY &&
				!enum_is_subsequence(va, vb))
				for (k = 0; k < S->n; k++)
				{
					int			d;

					if (S->o[k].kind != K_COLUMN)
						continue;
					for (d = 0; d < S->o[k].ndeps; d++)
						if (S->o[k].depi[d] == i)
							S->o[k].typechg = true;
				}
		}
	}

	/* dependents of what is dropped, or of a column whose type changes */
	do
	{
		changed = false;
		for (i = 0; i < S->n; i++)
		{
			obj		   *a = &S->o[i];
			bool		force = false;

			if (a->kind == K_UNKNOWN || !(a->st == ST_SAME || a->st == ST_ALTER))
				continue;
			for (k = 0; k < a->ndeps && !force; k++)
			{
				if (a->depi[k] >= 0 && has_drop(&S->o[a->depi[k]]))
					force = true;
				else if ((a->kind == K_VIEW || a->kind == K_MATVIEW || a->kind == K_TRIGGER ||
						  a->kind == K_POLICY ||
						  (a->kind == K_COLUMN && streq(jstr(a, "generated"), "s"))) &&
						 a->depi[k] >= 0 && S->o[a->depi[k]].typechg)
					force = true;
			}
			if (force)
			{
				a->st = ST_REPLACE;
				T->o[a->other].st = ST_REPLACE;
				if (a->kind == K_COLUMN)
					a->typechg = false;
				changed = true;
			}
		}
	} while (changed);

	/* implicit drops (source side) */
	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];

		if (!has_drop(a) || a->kind == K_UNKNOWN)
			continue;
		if (a->table)
		{
			const obj  *t = rel_of(S, a->table);
			int			ti = (int) (t - S->o);

			if (has_drop(t))
			{
				a->implicit = true;
				a->owner = ti;
				continue;
			}
		}
		if (a->kind == K_COMMENT || a->kind == K_ACL)
		{
			int			t = find(S, jstr(a, "target"));

			if (has_drop(&S->o[t]))
			{
				a->implicit = true;
				a->owner = t;
			}
		}
		else if (a->kind == K_SEQUENCE && jstr(a, "owned_by"))
		{
			int			c = find(S, jstr(a, "owned_by"));
			const obj  *ct = rel_of(S, S->o[c].table);

			if (jbool(a, "identity") || has_drop(&S->o[c]) || has_drop(ct))
			{
				a->implicit = true;
				a->owner = c;
			}
		}
		else if (a->kind == K_INDEX && jstr(a, "constraint"))
		{
			int			c = find(S, jstr(a, "constraint"));

			a->implicit = true;
			a->owner = c;
		}
		if ((a->kind == K_COLUMN || a->kind == K_CONSTRAINT || a->kind == K_INDEX ||
			 a->kind == K_TRIGGER) && jbool(a, "inherited"))
		{
			a->implicit = true;
			if (a->owner < 0)
				a->owner = -1;
		}
	}
	/* implicit creates (target side) */
	for (i = 0; i < T->n; i++)
	{
		obj		   *b = &T->o[i];

		if (!has_create(b) || b->kind == K_UNKNOWN)
			continue;
		if ((b->kind == K_COLUMN || b->kind == K_CONSTRAINT || b->kind == K_INDEX ||
			 b->kind == K_TRIGGER) && jbool(b, "inherited"))
		{
			const obj  *t = rel_of(T, b->table);

			b->implicit = true;
			b->owner = has_create(t) ? (int) (t - T->o) : -1;
		}
		else if (b->kind == K_COLUMN)
		{
			const obj  *t = rel_of(T, b->table);

			if (has_create(t))
			{
				b->implicit = true;
				b->owner = (int) (t - T->o);
			}
		}
		else if (b->kind == K_INDEX && jstr(b, "constraint"))
		{
			b->implicit = true;
			b->owner = find(T, jstr(b, "constraint"));
		}
		else if (b->kind == K_SEQUENCE && jbool(b, "identity"))
		{
			b->implicit = true;
			b->owner = find(T, jstr(b, "owned_by"));
		}
	}
	/* identity sequences are never dropped on their own either */
	for (i = 0; i < S->n; i++)
		if (S->o[i].kind == K_SEQUENCE && jbool(&S->o[i], "identity") && has_drop(&S->o[i]))
		{
			S->o[i].implicit = true;
			S->o[i].owner = find(S, jstr(&S->o[i], "owned_by"));
		}

	/* rename suggestions: one column lost and one of the same type gained */
	for (i = 0; i < S->n; i++)
	{
		obj		   *t = &S->o[i];
		const obj  *gone = NULL,
				   *came = NULL;
		int			ngone = 0,
					ncame = 0;
		int			lo,
					hi;

		if (t->kind != K_TABLE || t->st == ST_DROP || t->st == ST_REPLACE)
			continue;
		columns_of(S, t, &lo, &hi);
		for (k = lo; k < hi; k++)
			if (S->o[k].kind == K_COLUMN && streq(S->o[k].table, t->id + 6) && S->o[k].st == ST_DROP)
			{
				gone = &S->o[k];
				ngone++;
			}
		columns_of(T, t, &lo, &hi);
		for (k = lo; k < hi; k++)
			if (T->o[k].kind == K_COLUMN && streq(T->o[k].table, t->id + 6) && T->o[k].st == ST_ADD)
			{
				came = &T->o[k];
				ncame++;
			}
		if (ngone == 1 && ncame == 1 && same_key(gone, came, "type") && same_key(gone, came, "collation"))
		{
			pm_buf		b;

			alter_table(&b, S, gone);
			pm_buf_puts(&b, "RENAME COLUMN ");
			pm_quote_ident(&b, gone->name);
			pm_buf_puts(&b, " TO ");
			pm_quote_ident(&b, came->name);
			((obj *) gone)->suggest = b.data;
		}
	}
}

static int
rank_cmp(const void *x, const void *y)
{
	const obj  *a = *(const obj *const *) x;
	const obj  *b = *(const obj *const *) y;

	if (a->kind != b->kind)
		return (int) a->kind - (int) b->kind;
	return strcmp(a->id, b->id);
}

/*
 * What goes away with a dropped table and must come back with it when the
 * DROP TABLE step is undone: its constraints, indexes, triggers, policies,
 * comments, grants and owned sequences (which must exist before it).
 */
static void
table_children(engine *e, const obj *t, stlist *l)
{
	snap	   *S = &e->S;
	const obj **kids = pm_malloc(sizeof(obj *) * (S->n + 1));
	int			n = 0,
				i;
	stlist		pre = {0};

	for (i = 0; i < S->n; i++)
	{
		const obj  *o = &S->o[i];

		if (o == t || !o->implicit || o->kind == K_COLUMN || jbool(o, "inherited") ||
			(o->kind == K_INDEX && jstr(o, "constraint")) ||
			(o->kind == K_SEQUENCE && jbool(o, "identity")))
			continue;
		if (drop_node(S, i, 0) != t->ndrop)
			continue;
		kids[n++] = o;
	}
	qsort(kids, n, sizeof(obj *), rank_cmp);
	for (i = 0; i < n; i++)
	{
		if (kids[i]->kind == K_SEQUENCE)
		{
			obj			tmp = *kids[i];

			create_stmts(e, S, kids[i], &pre);
			tmp.kind = K_OWNED;
			create_stmts(e, S, &tmp, l);
		}
		else
			create_stmts(e, S, kids[i], l);
	}
	/* sequences first */
	if (pre.n > 0)
	{
		pre.st = pm_realloc(pre.st, (pre.n + l->n) * sizeof(stmt));
		memcpy(pre.st + pre.n, l->st, l->n * sizeof(stmt));
		pre.n += l->n;
		pm_free(l->st);
		*l = pre;
		l->cap = l->n;
	}
	pm_free(kids);
}

static bool
build_nodes(engine *e)
{
	snap	   *S = &e->S,
			   *T = &e->T;
	int			i,
				k;
	stlist		l = {0};

	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];

		if (a->kind == K_UNKNOWN || !has_drop(a) || a->implicit)
			continue;
		a->ndrop = new_node(e, 1, a->kind, a->id);
		if (a->kind == K_COMMENT || a->kind == K_ACL)
		{
			/* dropping a comment or an ACL = setting it back to none */
			stlist		c = {0};

			if (a->kind == K_COMMENT)
			{
				create_stmts(e, S, a, &c);
				push(&l, c.st[0].rev, c.st[0].sql, NULL);
				pm_free(c.st);
			}
			else
			{
				int			t = find(S, jstr(a, "target"));

				acl_stmts(e, S, a, S, NULL, &S->o[t], S, &l);
			}
		}
		else
		{
			stlist		c = {0};
			pm_buf		rev;
			const char *hz = NULL;
			char	   *count = NULL;

			create_stmts(e, S, a, &c);
			if (a->kind == K_TABLE)
				table_children(e, a, &c);
			pm_buf_init(&rev);
			for (k = 0; k < c.n; k++)
			{
				if (k)
					pm_buf_puts(&rev, ";\n");
				pm_buf_puts(&rev, c.st[k].sql);
				pm_free(c.st[k].sql);
				pm_free(c.st[k].rev);
				pm_free(c.st[k].hazard);
			}
			pm_free(c.st);
			if (a->kind == K_TABLE)
			{
				pm_buf		q;

				hz = "deletes data: the table and all its rows are dropped";
				pm_buf_init(&q);
				pm_buf_puts(&q, "SELECT count(*) FROM ");
				put_qn(&q, a);
				count = q.data;
			}
			else if (a->kind == K_COLUMN && streq(jstr(a, "generated"), "s") &&
					 a->st == ST_REPLACE)
			{
				/* computed again from the other columns when it comes back */
				hz = NULL;
			}
			else if (a->kind == K_COLUMN)
			{
				pm_buf		q;

				hz = a->suggest ? "deletes data: the column and its values are dropped (if it was renamed, pass the rename map to keep them)"
					: "deletes data: the column and its values are dropped";
				pm_buf_init(&q);
				pm_buf_puts(&q, "SELECT count(");
				pm_quote_ident(&q, a->name);
				pm_buf_puts(&q, ") FROM ");
				put_tbl(&q, S, a);
				count = q.data;
			}
			else if (a->kind == K_SEQUENCE)
				hz = "deletes data: the sequence's current value is lost";
			else if (a->kind == K_EXTENSION)
				hz = "deletes data: drops every object of the extension";
			if (a->suggest)
			{
				pm_buf		s;
				char	   *d = drop_sql(S, a);

				pm_buf_init(&s);
				pm_buf_printf(&s, "-- suggestion: %s\n%s", a->suggest, d);
				pm_free(d);
				push(&l, s.data, rev.data, hz);
			}
			else
				push(&l, drop_sql(S, a), rev.data, hz);
			l.st[l.n - 1].count_sql = count;
		}
		node_add(e, a->ndrop, &l);
	}
	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];

		if (a->kind == K_UNKNOWN || a->st != ST_ALTER)
			continue;
		if (!alter_stmts(e, a, &T->o[a->other], &l))
			return false;
		if (l.n == 0)
			continue;
		a->nalter = new_node(e, 2, a->kind, T->o[a->other].id);
		T->o[a->other].nalter = a->nalter;
		node_add(e, a->nalter, &l);
	}
	for (i = 0; i < T->n; i++)
	{
		obj		   *b = &T->o[i];

		if (b->kind == K_UNKNOWN || !has_create(b) || b->implicit)
			continue;
		if (!create_stmts(e, T, b, &l))
			return false;
		b->ncreate = new_node(e, 3, b->kind, b->id);
		if (b->kind == K_COLUMN)
		{
			e->nodes[b->ncreate].grp = b->table;
			e->nodes[b->ncreate].ord = col_ordinal(b);
		}
		node_add(e, b->ncreate, &l);
	}
	if (e->failed)
		return false;
	/* OWNED BY once both the sequence and the column exist */
	for (i = 0; i < T->n; i++)
	{
		obj		   *b = &T->o[i];
		int			c,
					on;
		obj			tmp;

		if (b->kind != K_SEQUENCE || !has_create(b) || b->implicit || !jstr(b, "owned_by"))
			continue;
		c = find(T, jstr(b, "owned_by"));
		tmp = *b;
		tmp.kind = K_OWNED;
		create_stmts(e, T, &tmp, &l);
		on = new_node(e, 3, K_OWNED, b->id);
		node_add(e, on, &l);
		edge(e, b->ncreate, on);
		edge(e, create_node(T, c, 0), on);
		if (T->o[c].nalter >= 0)
			edge(e, T->o[c].nalter, on);
	}
	/* the enum swap must wait for the drops of what uses its columns */
	for (i = 0; i < S->n; i++)
		if (S->o[i].kind == K_COLUMN && S->o[i].typechg)
			for (k = 0; k < S->o[i].ndeps; k++)
			{
				int			d = S->o[i].depi[k];

				if (d >= 0 && S->o[d].kind == K_ENUM && S->o[d].nalter >= 0)
					S->o[i].nalter2 = S->o[d].nalter;
			}
	return true;
}

static void
build_edges(engine *e)
{
	snap	   *S = &e->S,
			   *T = &e->T;
	int			i,
				k;

	/* creates and alters after what they depend on in the target */
	for (i = 0; i < T->n; i++)
	{
		obj		   *b = &T->o[i];
		int			n1 = create_node(T, i, 0);
		int			n2 = b->nalter;

		if (b->kind == K_UNKNOWN)
			continue;
		for (k = 0; k < b->ndeps; k++)
		{
			int			d = b->depi[k];
			int			dc,
						da;

			if (d < 0)
				continue;
			dc = create_node(T, d, 0);
			da = T->o[d].nalter;
			edge(e, dc, n1);
			edge(e, da, n1);
			edge(e, dc, n2);
			edge(e, da, n2);
		}
		/* a replaced object: its drop first */
		if (b->other >= 0)
			edge(e, drop_node(S, b->other, 0), n1);
	}
	/* drops before the drops and alters of what they depend on */
	for (i = 0; i < S->n; i++)
	{
		obj		   *a = &S->o[i];
		int			m = drop_node(S, i, 0);
		int			al = a->nalter;

		if (a->kind == K_UNKNOWN)
			continue;
		for (k = 0; k < a->ndeps; k++)
		{
			int			d = a->depi[k];

			if (d < 0)
				continue;
			edge(e, m, drop_node(S, d, 0));
			edge(e, m, S->o[d].nalter);
			edge(e, m, S->o[d].nalter2);
			/* an alter that lets go of something dropped */
			edge(e, al, drop_node(S, d, 0));
		}
	}
}

/* run one direction; steps appended to out */
static bool
run(engine *e, const char *src, size_t slen, const char *tgt, size_t tlen,
	rename **ren, int *nren, const char *rentext, size_t renlen, bool backward,
	pm_diff_step **out, int *nout)
{
	pm_buf		uns;
	int			nuns = 0;
	int		   *heap = NULL;
	int			nh = 0,
				i,
				k,
				emitted = 0;
	int			rn;
	rename	   *rl;

	pm_buf_init(&uns);
	if (!load_snap(e, src, slen, &e->S, backward ? "target" : "source", &uns, &nuns) ||
		!load_snap(e, tgt, tlen, &e->T, backward ? "source" : "target", &uns, &nuns))
	{
		pm_buf_free(&uns);
		return false;
	}
	if (nuns > 0)
	{
		pm_error_set(e->err, PM_ERR_UNSUPPORTED, "%.400s%s", uns.data,
					 nuns > 20 ? " ..." : "");
		pm_error_detail(e->err, "%d object(s) are of kinds the diff does not model; comparing without them could report a difference as equal.", nuns);
		pm_error_hint(e->err, "Leave their schemas out of the snapshot (pgmig.snapshot(schemas)), or manage those objects by hand-written revisions.");
		e->failed = true;
		pm_buf_free(&uns);
		return false;
	}
	pm_buf_free(&uns);
	if (!check_refs(e, &e->S, backward ? "target" : "source") ||
		!check_refs(e, &e->T, backward ? "source" : "target"))
		return false;
	if (!backward && !resolve_renames(e, rentext, renlen, ren, nren))
		return false;

	/* renames: rewrite the source, record the statements */
	rl = *ren;
	rn = *nren;
	if (rn > 0)
	{
		int			node_ren = -1;
		stlist		l = {0};

		for (i = 0; i < rn; i++)
		{
			const char *sid = backward ? rl[i].tgt_id : rl[i].src_id;
			const char *tid = backward ? rl[i].src_id : rl[i].tgt_id;
			int			si = find(&e->S, sid);
			int			ti = find(&e->T, tid);
			obj		   *so,
					   *to;
			pm_buf		x,
						y;

			if (si < 0 || ti < 0)
				continue;
			so = &e->S.o[si];
			to = &e->T.o[ti];
			if (rl[i].is_table)
			{
				pm_buf_init(&x);
				pm_buf_puts(&x, "ALTER TABLE ");
				put_qn(&x, so);
				pm_buf_puts(&x, " RENAME TO ");
				pm_quote_ident(&x, to->name);
				pm_buf_init(&y);
				pm_buf_puts(&y, "ALTER TABLE ");
				pm_quote_ident(&y, to->schema);
				pm_buf_puts(&y, ".");
				pm_quote_ident(&y, to->name);
				pm_buf_puts(&y, " RENAME TO ");
				pm_quote_ident(&y, so->name);
				push(&l, x.data, y.data, NULL);
			}
			else
			{
				const obj  *st = rel_of(&e->S, so->table);

				pm_buf_init(&x);
				pm_buf_puts(&x, "ALTER TABLE ");
				put_qn(&x, st);
				pm_buf_puts(&x, " RENAME COLUMN ");
				pm_quote_ident(&x, so->name);
				pm_buf_puts(&x, " TO ");
				pm_quote_ident(&x, to->name);
				pm_buf_init(&y);
				pm_buf_puts(&y, "ALTER TABLE ");
				put_qn(&y, st);
				pm_buf_puts(&y, " RENAME COLUMN ");
				pm_quote_ident(&y, to->name);
				pm_buf_puts(&y, " TO ");
				pm_quote_ident(&y, so->name);
				push(&l, x.data, y.data, NULL);
			}
		}
		/* rewrite the source tree, then index it again */
		for (i = 0; i < rn; i++)
		{
			rename		r;
			int			si,
						ti;
			char	   *oq,
					   *nq,
					   *newname,
					   *co = NULL,
					   *cn = NULL,
					   *tq;

			r.is_table = rl[i].is_table;
			r.src_id = backward ? rl[i].tgt_id : rl[i].src_id;
			r.tgt_id = backward ? rl[i].src_id : rl[i].tgt_id;
			si = find(&e->S, r.src_id);
			ti = find(&e->T, r.tgt_id);
			if (si < 0 || ti < 0)
				continue;
			newname = pm_strdup(e->T.o[ti].name);
			if (r.is_table)
			{
				oq = pm_strdup(r.src_id + 6);
				nq = pm_strdup(r.tgt_id + 6);
				apply_rename(e->S.root, &r, newname, oq, nq, NULL, NULL);
				pm_free(oq);
				pm_free(nq);
			}
			else
			{
				const char *ot;
				const char *nt;
				pm_buf		mid;

				tq = pm_strdup(e->S.o[si].table);
				ot = id_tail(r.src_id, tq);
				nt = id_tail(r.tgt_id, e->T.o[ti].table);
				if (ot && nt)
				{
					co = pm_strdup(ot);
					cn = pm_strdup(nt);
					/* the id the column has before any table rename */
					pm_buf_init(&mid);
					pm_buf_printf(&mid, "column %s.%s", tq, cn);
					r.tgt_id = mid.data;
					apply_rename(e->S.root, &r, newname, tq, tq, co, cn);
					pm_buf_free(&mid);
				}
				pm_free(tq);
				pm_free(co);
				pm_free(cn);
			}
			pm_free(newname);
			/* re-index after each rename: ids moved */
			{
				pm_json    *root = e->S.root;
				pm_buf		txt;

				pm_buf_init(&txt);
				pm_buf_init(&uns);
				pm_json_write(&txt, root);
				free_snap(&e->S);
				load_snap(e, txt.data, txt.len, &e->S, backward ? "target" : "source", &uns, &nuns);
				pm_buf_free(&txt);
				pm_buf_free(&uns);
				if (e->failed || !check_refs(e, &e->S, backward ? "target" : "source"))
					return false;
			}
		}
		node_ren = new_node(e, 0, K_TABLE, "");
		node_add(e, node_ren, &l);
	}

	prepare(e);
	if (!build_nodes(e))
		return false;
	build_edges(e);

	/* topological order, ties broken by phase, kind rank, id */
	heap = pm_malloc(sizeof(int) * (e->nn + 1));
	for (i = 0; i < e->nn; i++)
		if (e->nodes[i].indeg == 0)
			heap_push(e, heap, &nh, i);
	while (emitted < e->nn)
	{
		int			v;
		node	   *n;

		if (nh == 0)
		{
			/* a cycle: take the first remaining node in tie-break order */
			int			best = -1;

			for (i = 0; i < e->nn; i++)
				if (!e->nodes[i].done && (best < 0 || node_before(e, i, best)))
					best = i;
			e->nodes[best].indeg = 0;
			heap_push(e, heap, &nh, best);
		}
		v = heap_pop(e, heap, &nh);
		n = &e->nodes[v];
		if (n->done)
			continue;
		n->done = true;
		emitted++;
		for (k = 0; k < n->nout; k++)
		{
			node	   *m = &e->nodes[n->out[k]];

			if (!m->done && --m->indeg == 0)
				heap_push(e, heap, &nh, n->out[k]);
		}
		for (k = 0; k < n->nst; k++)
		{
			pm_diff_step *st;

			*out = pm_realloc(*out, (*nout + 1) * sizeof(pm_diff_step));
			st = &(*out)[(*nout)++];
			st->sql = n->st[k].sql;
			st->reverse = n->st[k].rev;
			st->hazard = n->st[k].hazard;
			st->count_sql = n->st[k].count_sql;
			st->kind = n->kind;
			st->object = pm_strdup(n->id);
			n->st[k].sql = n->st[k].rev = n->st[k].hazard = n->st[k].count_sql = NULL;
		}
	}
	pm_free(heap);
	return true;
}

static void
engine_reset(engine *e)
{
	free_nodes(e);
	free_snap(&e->S);
	free_snap(&e->T);
}

static bool
is_add_value(const pm_diff_step *st)
{
	return st->kind && strcmp(st->kind, "enum") == 0 &&
		strncmp(st->sql, "ALTER TYPE ", 11) == 0 && strstr(st->sql, " ADD VALUE ") != NULL;
}

/*
 * The enum types that steps add values to (ADD VALUE) and another step
 * names, appended to *types as "\nqn\n" each (qn as the ADD VALUE prints it).
 */
static void
used_new_enum_types(const pm_diff_step *steps, int n, pm_buf *types)
{
	int			i,
				k;

	for (i = 0; i < n; i++)
	{
		const char *name;
		const char *end;
		char	   *type;
		bool		used = false;

		if (!is_add_value(&steps[i]))
			continue;
		name = steps[i].sql + 11;
		end = strstr(name, " ADD VALUE ");
		type = pm_strndup(name, end - name);
		for (k = 0; k < n && !used; k++)
			used = !is_add_value(&steps[k]) && strstr(steps[k].sql, type) != NULL;
		if (used)
			pm_buf_printf(types, "\n%s\n", type);
		pm_free(type);
	}
}

bool
pm_diff_uses_new_enum_value(const pm_diff_step *steps, int n)
{
	pm_buf		types;
	bool		used;

	pm_buf_init(&types);
	used_new_enum_types(steps, n, &types);
	used = types.len > 0;
	pm_buf_free(&types);
	return used;
}

bool
pm_diff_is_add_value(const pm_diff_step *step)
{
	return is_add_value(step);
}

static void free_steps(pm_diff_step *s, int n);

static void
free_renames(rename **ren, int *nren)
{
	int			i;

	for (i = 0; i < *nren; i++)
	{
		pm_free((*ren)[i].src_id);
		pm_free((*ren)[i].tgt_id);
	}
	pm_free(*ren);
	*ren = NULL;
	*nren = 0;
}

/*
 * One direction of a diff.  Statements that add enum values and use them
 * fail in one transaction ("unsafe use of new value"): unless the caller
 * runs the ADD VALUE steps first, committed on their own (keep_add_value),
 * the script is made again with those types swapped (a type made in the
 * transaction may be used in it).  The upgrade (not backward) makes the
 * rename list; the downgrade reads it.
 */
static bool
run_direction(engine *e, const char *from, size_t from_len, const char *to, size_t to_len,
			  rename **ren, int *nren, const char *renames, size_t renames_len,
			  bool backward, bool keep_add_value, pm_diff_step **steps, int *n)
{
	pm_buf		types;
	bool		ok;

	ok = run(e, from, from_len, to, to_len, ren, nren, renames, renames_len, backward, steps, n);
	engine_reset(e);
	if (!ok || keep_add_value)
		return ok;
	pm_buf_init(&types);
	used_new_enum_types(*steps, *n, &types);
	if (types.len > 0)
	{
		if (!backward)
			free_renames(ren, nren);
		free_steps(*steps, *n);
		*steps = NULL;
		*n = 0;
		e->swap_types = types.data;
		ok = run(e, from, from_len, to, to_len, ren, nren, renames, renames_len, backward, steps, n);
		engine_reset(e);
		e->swap_types = NULL;
	}
	pm_buf_free(&types);
	return ok;
}

static bool
schema_diff(const char *source, size_t source_len,
			const char *target, size_t target_len,
			const char *renames, size_t renames_len,
			bool with_downgrade, bool keep_add_value, pm_diff *out, pm_error *err)
{
	engine		e;
	rename	   *ren = NULL;
	int			nren = 0;
	bool		ok;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	pm_error_clear(err);
	e.err = err;
	ok = run_direction(&e, source, source_len, target, target_len, &ren, &nren,
					   renames, renames_len, false, keep_add_value, &out->steps, &out->n);
	/* a downgrade is one section, never split: it always swaps */
	if (ok && with_downgrade)
		ok = run_direction(&e, target, target_len, source, source_len, &ren, &nren,
						   NULL, 0, true, false, &out->rev, &out->nrev);
	free_renames(&ren, &nren);
	if (!ok)
	{
		if (err && err->code == PM_OK)
			pm_error_set(err, PM_ERR_SYNTAX, "invalid snapshot");
		pm_diff_free(out);
	}
	return ok;
}

bool
pm_schema_diff(const char *source, size_t source_len,
			   const char *target, size_t target_len,
			   const char *renames, size_t renames_len,
			   pm_diff *out, pm_error *err)
{
	return schema_diff(source, source_len, target, target_len, renames, renames_len,
					   true, false, out, err);
}

bool
pm_schema_diff_keep_add_value(const char *source, size_t source_len,
							  const char *target, size_t target_len,
							  const char *renames, size_t renames_len,
							  pm_diff *out, pm_error *err)
{
	return schema_diff(source, source_len, target, target_len, renames, renames_len,
					   true, true, out, err);
}

bool
pm_schema_diff_upgrade(const char *source, size_t source_len,
					   const char *target, size_t target_len,
					   const char *renames, size_t renames_len,
					   pm_diff *out, pm_error *err)
{
	return schema_diff(source, source_len, target, target_len, renames, renames_len,
					   false, false, out, err);
}

static void
free_steps(pm_diff_step *s, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		pm_free(s[i].sql);
		pm_free(s[i].reverse);
		pm_free(s[i].hazard);
		pm_free(s[i].object);
		pm_free(s[i].count_sql);
	}
	pm_free(s);
}

void
pm_diff_free(pm_diff *d)
{
	free_steps(d->steps, d->n);
	free_steps(d->rev, d->nrev);
	memset(d, 0, sizeof(*d));
}

/*
 * The count of a step's count_sql, run by a caller that can read the data,
 * put into its hazard: "...: 1,234 non-NULL values are lost" (a column),
 * "...: 1,234 rows are lost" (a table), or, when n < 0, "... (not counted:
 * WHY)".  Digits are grouped by commas so that big numbers read at a
 * glance; the wording does not depend on the locale.
 */
void
pm_diff_step_counted(pm_diff_step *s, long long n, const char *why)
{
	pm_buf		b,
				digits;
	int			len,
				k;

	if (s->hazard == NULL || s->count_sql == NULL)
		return;
	pm_buf_init(&b);
	pm_buf_puts(&b, s->hazard);
	if (n < 0)
		pm_buf_printf(&b, " (not counted: %s)", why ? why : "unknown reason");
	else
	{
		pm_buf_puts(&b, ": ");
		pm_buf_init(&digits);
		pm_buf_printf(&digits, "%lld", n);
		len = (int) strlen(digits.data);
		for (k = 0; k < len; k++)
		{
			if (k > 0 && (len - k) % 3 == 0)
				pm_buf_puts(&b, ",");
			pm_buf_printf(&b, "%c", digits.data[k]);
		}
		pm_buf_free(&digits);
		if (strcmp(s->kind, "column") == 0)
			pm_buf_printf(&b, " non-NULL value%s %s lost", n == 1 ? "" : "s", n == 1 ? "is" : "are");
		else
			pm_buf_printf(&b, " row%s %s lost", n == 1 ? "" : "s", n == 1 ? "is" : "are");
	}
	pm_free(s->hazard);
	s->hazard = b.data;
}
