/*-------------------------------------------------------------------------
 *
 * alembic.c
 *	  Read Alembic's offline SQL output and Alembic revision files
 *	  (server-free); see alembic.h for the formats.
 *
 * The SQL is split with pm_sql_split, so a "-- Running upgrade" line
 * inside a string or a function body is never mistaken for a header:
 * headers are looked for only in the comments between statements.
 *
 *-------------------------------------------------------------------------
 */
#include "alembic.h"
#include "sqlsplit.h"

#include <string.h>

void
pm_alembic_init(pm_alembic *a)
{
	memset(a, 0, sizeof(*a));
}

static void
list_free(pm_strlist *l)
{
	int			k;

	for (k = 0; k < l->n; k++)
		pm_free(l->items[k]);
	if (l->items)
		pm_free(l->items);
	l->n = 0;
	l->items = NULL;
}

static void
list_add(pm_strlist *l, const char *s, size_t n)
{
	l->items = pm_realloc(l->items, sizeof(char *) * (l->n + 1));
	l->items[l->n++] = pm_strndup(s, n);
}

void
pm_alembic_free(pm_alembic *a)
{
	int			k;

	for (k = 0; k < a->n; k++)
	{
		pm_alembic_rev *r = &a->revs[k];

		pm_free(r->id);
		list_free(&r->down_revision);
		pm_free(r->message);
		pm_free(r->upgrade);
		if (r->downgrade)
			pm_free(r->downgrade);
	}
	if (a->revs)
		pm_free(a->revs);
	pm_alembic_init(a);
}

int
pm_alembic_downgrade_misordered(const pm_alembic *a)
{
	int			k,
				last = 0;

	/* walking the upgrade order backwards, downgrade positions must rise */
	for (k = a->n - 1; k >= 0; k--)
	{
		if (a->revs[k].down_pos == 0)
			continue;
		if (a->revs[k].down_pos < last)
			return k;
		last = a->revs[k].down_pos;
	}
	return -1;
}

int
pm_alembic_find(const pm_alembic *a, const char *id)
{
	int			k;

	for (k = 0; k < a->n; k++)
		if (strcmp(a->revs[k].id, id) == 0)
			return k;
	return -1;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank(**s))
		(*s)++, (*n)--;
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

/*
 * Parse a comma separated list of revision ids into l.  An empty list
 * is allowed (a root's "from" side).
 */
static bool
parse_ids(const char *s, size_t n, pm_strlist *l, int line, pm_error *err)
{
	const char *end = s + n;

	trim(&s, &n);
	if (n == 0)
		return true;
	end = s + n;
	for (;;)
	{
		const char *comma = memchr(s, ',', end - s);
		const char *item = s;
		size_t		itemlen = (comma ? comma : end) - s;

		trim(&item, &itemlen);
		if (!pm_valid_name(item, itemlen))
		{
			pm_error_set(err, PM_ERR_SYNTAX,
						 "invalid revision id \"%.*s\" in Alembic header",
						 (int) (itemlen > 80 ? 80 : itemlen), item);
			err->line = line;
			return false;
		}
		list_add(l, item, itemlen);
		if (!comma)
			return true;
		s = comma + 1;
	}
}

/* ---- statement classification ---- */

typedef enum stmt_kind
{
	ST_REAL,					/* part of a migration */
	ST_BEGIN,
	ST_COMMIT,
	ST_BOOKKEEPING				/* on the version table */
} stmt_kind;

/* Read one word (identifier or "quoted identifier", dots included). */
static size_t
next_word(const char *s, size_t pos, size_t len, size_t *ws, size_t *wl)
{
	while (pos < len && (is_blank(s[pos]) || s[pos] == '\n'))
		pos++;
	*ws = pos;
	while (pos < len)
	{
		char		c = s[pos];

		if (c == '"')
		{
			pos++;
			while (pos < len && s[pos] != '"')
				pos++;
			if (pos < len)
				pos++;
			continue;
		}
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$' ||
			(unsigned char) c >= 0x80)
		{
			pos++;
			continue;
		}
		break;
	}
	*wl = pos - *ws;
	return pos;
}


/* Does the (possibly qualified, possibly quoted) name end in table? */
static bool
names_table(const char *s, size_t n, const char *table)
{
	const char *last = s;
	size_t		i;
	bool		inq = false;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '"')
			inq = !inq;
		else if (s[i] == '.' && !inq)
			last = s + i + 1;
	}
	n -= last - s;
	if (n >= 2 && last[0] == '"' && last[n - 1] == '"')
		return n - 2 == strlen(table) && memcmp(last + 1, table, n - 2) == 0;
	return pm_word_ieq(last, n, table);
}

static stmt_kind
classify_stmt(const char *sql, const char *table)
{
	size_t		len = strlen(sql);
	size_t		pos = 0;
	size_t		ws,
				wl,
				ws2,
				wl2,
				ws3,
				wl3;

	pos = next_word(sql, pos, len, &ws, &wl);
	if (wl == 0)
		return ST_REAL;
	pos = next_word(sql, pos, len, &ws2, &wl2);
	if (pm_word_ieq(sql + ws, wl, "begin") || (pm_word_ieq(sql + ws, wl, "start") &&
									   pm_word_ieq(sql + ws2, wl2, "transaction")))
		return ST_BEGIN;
	if (pm_word_ieq(sql + ws, wl, "commit"))
		return ST_COMMIT;
	if (pm_word_ieq(sql + ws, wl, "update") && names_table(sql + ws2, wl2, table))
		return ST_BOOKKEEPING;
	next_word(sql, pos, len, &ws3, &wl3);
	if (((pm_word_ieq(sql + ws, wl, "insert") && pm_word_ieq(sql + ws2, wl2, "into")) ||
		 (pm_word_ieq(sql + ws, wl, "delete") && pm_word_ieq(sql + ws2, wl2, "from")) ||
		 (pm_word_ieq(sql + ws, wl, "create") && pm_word_ieq(sql + ws2, wl2, "table")) ||
		 (pm_word_ieq(sql + ws, wl, "drop") && pm_word_ieq(sql + ws2, wl2, "table"))) &&
		names_table(sql + ws3, wl3, table))
		return ST_BOOKKEEPING;
	return ST_REAL;
}

/* ---- headers ---- */

typedef struct header
{
	bool		found;
	bool		upgrade;
	int			line;
	pm_strlist	from;
	pm_strlist	to;
	const char *msg;			/* into the input; NULL if none */
	size_t		msglen;
} header;

static void
header_free(header *h)
{
	list_free(&h->from);
	list_free(&h->to);
	memset(h, 0, sizeof(*h));
}

/*
 * Parse the text of a "--" comment line (after the dashes).  Returns 1
 * for a header, 0 for an ordinary comment, -1 for a malformed header.
 */
static int
parse_header(const char *s, size_t n, int line, bool upgrade_side,
			 header *h, pm_error *err)
{
	const char *arrow;
	size_t		i;
	bool		up;
	size_t		kwlen;
	const char *rhs;
	size_t		rhslen;

	trim(&s, &n);
	if (n >= 16 && memcmp(s, "Running upgrade ", 16) == 0)
		up = true, kwlen = 16;
	else if (n >= 18 && memcmp(s, "Running downgrade ", 18) == 0)
		up = false, kwlen = 18;
	else
		return 0;
	s += kwlen;
	n -= kwlen;
	arrow = NULL;
	for (i = 0; i + 1 < n; i++)
		if (s[i] == '-' && s[i + 1] == '>')
		{
			arrow = s + i;
			break;
		}
	if (arrow == NULL)
		return 0;				/* some other comment that starts the same */

	memset(h, 0, sizeof(*h));
	h->found = true;
	h->upgrade = up;
	h->line = line;
	if (up != upgrade_side)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "%s header in %s output",
					 up ? "upgrade" : "downgrade",
					 upgrade_side ? "upgrade" : "downgrade");
		pm_error_hint(err, "Give \"alembic upgrade --sql base:heads\" output for upgrades and \"alembic downgrade --sql heads:base\" output for downgrades.");
		err->line = line;
		return -1;
	}
	if (!parse_ids(s, arrow - s, &h->from, line, err))
		return -1;
	rhs = arrow + 2;
	rhslen = n - (rhs - s);
	if (up)
	{
		/* "B" or "B, message": the id is the first item */
		const char *comma = memchr(rhs, ',', rhslen);

		if (comma)
		{
			h->msg = comma + 1;
			h->msglen = rhslen - (comma + 1 - rhs);
			trim(&h->msg, &h->msglen);
			rhslen = comma - rhs;
		}
	}
	if (!parse_ids(rhs, rhslen, &h->to, line, err))
		return -1;
	if (up ? h->to.n != 1 : h->from.n != 1)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "malformed Alembic header: expected one revision %s \"->\"",
					 up ? "after" : "before");
		err->line = line;
		return -1;
	}
	return 1;
}

/*
 * Look for a header in the gap buf[from..to) (blanks and comments between
 * two statements).  line is the line number at offset from; the last
 * header of the gap wins (an empty block has no statements of its own).
 * Calls back for each header found.
 */
typedef bool (*header_cb) (void *arg, header *h, pm_error *err);

static bool
scan_gap(const char *buf, size_t from, size_t to, int *line, bool upgrade_side,
		 header_cb cb, void *arg, pm_error *err)
{
	size_t		i = from;

	while (i < to)
	{
		char		c = buf[i];

		if (c == '\n')
		{
			(*line)++;
			i++;
			continue;
		}
		if (c == '-' && i + 1 < to && buf[i + 1] == '-')
		{
			size_t		e = i + 2;
			header		h;
			int			r;

			while (e < to && buf[e] != '\n')
				e++;
			memset(&h, 0, sizeof(h));
			r = parse_header(buf + i + 2, e - i - 2, *line, upgrade_side, &h, err);
			if (r < 0)
			{
				header_free(&h);
				return false;
			}
			if (r > 0)
			{
				bool		ok = cb(arg, &h, err);

				header_free(&h);
				if (!ok)
					return false;
			}
			i = e;
			continue;
		}
		i++;
	}
	return true;
}

/* ---- the two passes ---- */

typedef struct pass
{
	pm_alembic *a;
	int			cur;			/* revision index of the open block, -1 */
	pm_buf		script;			/* statements of the open block */
	bool		outside_tx;		/* after COMMIT, before BEGIN */
	bool		nontx;
	bool		upgrade;
	bool		bookkept;		/* the open block wrote the version table */
	int			header_line;	/* line of the open block's header */
	int			ndown;			/* downgrade blocks seen */
	stmt_kind	last;			/* kind of the last statement read */
	const char *table;
} pass;

static void
close_block(pass *p)
{
	pm_alembic_rev *r;

	if (p->cur < 0)
		return;
	r = &p->a->revs[p->cur];
	if (p->upgrade)
	{
		pm_free(r->upgrade);
		r->upgrade = pm_strdup(p->script.data);
		r->transactional = !p->nontx;
	}
	else
	{
		if (r->downgrade)
			pm_free(r->downgrade);
		r->downgrade = pm_strdup(p->script.data);
		/* an autocommit block in the downgrade also needs the client */
		if (p->nontx)
			r->transactional = false;
	}
	p->cur = -1;
}

static bool
open_block(void *arg, header *h, pm_error *err)
{
	pass	   *p = arg;
	pm_alembic *a = p->a;
	int			k;

	close_block(p);
	p->script.len = 0;
	p->script.data[0] = '\0';
	p->nontx = false;
	p->bookkept = false;
	p->header_line = h->line;

	if (h->upgrade)
	{
		pm_alembic_rev *r;

		if (pm_alembic_find(a, h->to.items[0]) >= 0)
		{
			pm_error_set(err, PM_ERR_DUPLICATE, "revision %s appears twice in the upgrade output",
						 h->to.items[0]);
			err->line = h->line;
			return false;
		}
		if (a->n == a->cap)
		{
			a->cap = a->cap ? a->cap * 2 : 16;
			a->revs = pm_realloc(a->revs, sizeof(pm_alembic_rev) * a->cap);
		}
		r = &a->revs[a->n];
		memset(r, 0, sizeof(*r));
		r->id = pm_strdup(h->to.items[0]);
		for (k = 0; k < h->from.n; k++)
			list_add(&r->down_revision, h->from.items[k], strlen(h->from.items[k]));
		r->message = h->msg ? pm_strndup(h->msg, h->msglen) : pm_strdup("");
		r->upgrade = pm_strdup("");
		r->downgrade = NULL;
		r->transactional = true;
		r->line = h->line;
		p->cur = a->n++;
	}
	else
	{
		k = pm_alembic_find(a, h->from.items[0]);
		if (k < 0)
		{
			pm_error_set(err, PM_ERR_UNDEFINED,
						 "downgrade of revision %s, which is not in the upgrade output",
						 h->from.items[0]);
			err->line = h->line;
			return false;
		}
		if (a->revs[k].downgrade != NULL)
		{
			pm_error_set(err, PM_ERR_DUPLICATE, "revision %s appears twice in the downgrade output",
						 h->from.items[0]);
			err->line = h->line;
			return false;
		}
		p->cur = k;
		a->revs[k].down_pos = ++p->ndown;
	}
	return true;
}

/*
 * Is the output whole?  Alembic ends every block with its bookkeeping on
 * the version table and the output with COMMIT; output cut short (a full
 * disk, a killed "alembic upgrade --sql", a copy and paste that missed
 * the end) lacks one or both, and its last block would otherwise be
 * imported with part of its script, or as an empty downgrade.
 */
static bool
check_complete(pass *p, int line, pm_error *err)
{
	const pm_alembic_rev *r;
	const char *side = p->upgrade ? "upgrade" : "downgrade";

	if (p->cur < 0)
		return true;
	r = &p->a->revs[p->cur];
	if (p->last != ST_COMMIT)
	{
		pm_error_set(err, PM_ERR_SYNTAX,
					 "Alembic %s output ends without COMMIT: it looks truncated", side);
		pm_error_detail(err, "Its last block, revision %s (line %d), may be incomplete; nothing was imported.",
						r->id, p->upgrade ? r->line : p->header_line);
		pm_error_hint(err, "Generate the whole output again (alembic %s --sql %s) and import that.",
					  side, p->upgrade ? "base:heads" : "heads:base");
		err->line = line;
		return false;
	}
	if (!p->bookkept)
	{
		pm_error_set(err, PM_ERR_SYNTAX,
					 "the last block of the Alembic %s output (revision %s) has no statement on the version table \"%s\"",
					 side, r->id, p->table);
		pm_error_detail(err, "Alembic ends every block by recording the revision in its version table; without it the output looks truncated, and nothing was imported.");
		pm_error_hint(err, "If the project's env.py names another version table, give it with --version-table NAME; otherwise generate the whole output again (alembic %s --sql %s).",
					  side, p->upgrade ? "base:heads" : "heads:base");
		err->line = p->upgrade ? r->line : p->header_line;
		return false;
	}
	return true;
}

static bool
parse_output(pm_alembic *a, const char *buf, size_t len, const char *table,
			 bool upgrade, pm_error *err)
{
	pm_stmtlist stmts;
	pass		p;
	size_t		prev_end = 0;
	int			line = 1;
	int			k;
	bool		ok = true;
	pm_error	dummy;

	if (err == NULL)
		err = &dummy;
	pm_error_clear(err);
	if (table == NULL)
		table = "alembic_version";
	if (!pm_sql_split(buf, len, &stmts, err))
		return false;

	p.a = a;
	p.cur = -1;
	p.outside_tx = false;
	p.nontx = false;
	p.upgrade = upgrade;
	p.bookkept = false;
	p.last = ST_REAL;
	p.table = table;
	p.header_line = 0;
	p.ndown = 0;
	pm_buf_init(&p.script);

	for (k = 0; k <= stmts.n && ok; k++)
	{
		size_t		gap_end = k < stmts.n ? stmts.items[k].start : len;
		pm_stmt    *s;
		stmt_kind	kind;
		size_t		i;

		ok = scan_gap(buf, prev_end, gap_end, &line, upgrade, open_block, &p, err);
		if (!ok || k == stmts.n)
			break;
		s = &stmts.items[k];
		/* count the statement's own lines */
		for (i = s->start; i < s->end; i++)
			if (buf[i] == '\n')
				line++;
		prev_end = s->end;

		kind = classify_stmt(s->sql, table);
		p.last = kind;
		if (kind == ST_BOOKKEEPING && p.cur >= 0)
			p.bookkept = true;
		if (kind == ST_BEGIN)
			p.outside_tx = false;
		else if (kind == ST_COMMIT)
			p.outside_tx = true;
		else if (kind == ST_REAL)
		{
			if (p.cur < 0)
			{
				if (a->nignored++ == 0)
					a->ignored_line = s->line;
				continue;
			}
			if (p.outside_tx)
				p.nontx = true;
			if (p.script.len > 0)
				pm_buf_puts(&p.script, "\n\n");
			pm_buf_puts(&p.script, s->sql);
		}
	}
	if (ok)
		ok = check_complete(&p, line, err);
	if (ok)
		close_block(&p);
	pm_buf_free(&p.script);
	pm_stmtlist_free(&stmts);
	return ok;
}

bool
pm_alembic_parse_upgrade(pm_alembic *a, const char *buf, size_t len,
						 const char *version_table, pm_error *err)
{
	return parse_output(a, buf, len, version_table, true, err);
}

bool
pm_alembic_parse_downgrade(pm_alembic *a, const char *buf, size_t len,
						   const char *version_table, pm_error *err)
{
	return parse_output(a, buf, len, version_table, false, err);
}

/* ---- Python revision files ---- */

/*
 * Collect the quoted strings of a Python value starting at pos: up to
 * the end of the line, or to the closing bracket if one is open.
 */
static void
py_strings(const char *buf, size_t len, size_t pos, pm_strlist *out)
{
	int			depth = 0;

	while (pos < len)
	{
		char		c = buf[pos];

		if (c == '\n' && depth == 0)
			break;
		if (c == '#')
		{
			while (pos < len && buf[pos] != '\n')
				pos++;
			continue;
		}
		if (c == '(' || c == '[')
			depth++;
		else if ((c == ')' || c == ']') && depth > 0)
		{
			if (--depth == 0)
				break;
		}
		else if (c == '\'' || c == '"')
		{
			size_t		s = ++pos;

			while (pos < len && buf[pos] != c && buf[pos] != '\n')
				pos++;
			if (pos < len && buf[pos] == c)
				list_add(out, buf + s, pos - s);
		}
		pos++;
	}
}

/* If the line at pos assigns name (optionally annotated), the value's offset. */
static bool
py_assign(const char *buf, size_t len, size_t pos, const char *name, size_t *val)
{
	size_t		n = strlen(name);

	if (len - pos < n || memcmp(buf + pos, name, n) != 0)
		return false;
	pos += n;
	while (pos < len && is_blank(buf[pos]))
		pos++;
	if (pos < len && buf[pos] == ':')
	{
		/* annotation: "revision: str = ..." */
		while (pos < len && buf[pos] != '=' && buf[pos] != '\n')
			pos++;
	}
	if (pos >= len || buf[pos] != '=' || (pos + 1 < len && buf[pos + 1] == '='))
		return false;
	*val = pos + 1;
	return true;
}

/* Cut *len at the first quote triple q in m; true if there was one. */
static bool
cut_at_quotes(const char *m, size_t *len, const char *q)
{
	size_t		k;

	for (k = 0; k + 3 <= *len; k++)
		if (memcmp(m + k, q, 3) == 0)
		{
			*len = k;
			return true;
		}
	return false;
}

bool
pm_alembic_pyfile(const char *buf, size_t len, pm_alembic_py *out)
{
	size_t		pos = 0;
	bool		seen_code = false;

	memset(out, 0, sizeof(*out));
	while (pos < len)
	{
		size_t		eol = pos;
		size_t		val;

		while (eol < len && buf[eol] != '\n')
			eol++;

		/* the module docstring: first statement of the file */
		if (!seen_code && out->message == NULL)
		{
			size_t		p = pos;

			while (p < eol && is_blank(buf[p]))
				p++;
			if (p < eol && buf[p] != '#')
			{
				seen_code = true;
				if (p < eol && (buf[p] == 'r' || buf[p] == 'R'))
					p++;
				if (eol - p >= 3 && (memcmp(buf + p, "\"\"\"", 3) == 0 ||
									 memcmp(buf + p, "'''", 3) == 0))
				{
					const char *q = buf + p;
					const char *m = q + 3;
					size_t		ml = eol - (p + 3);
					bool		closed;

					/* stop at the closing quotes if on the same line */
					closed = cut_at_quotes(m, &ml, q);
					trim(&m, &ml);

					/*
					 * '"""' alone on its line: the message is the first
					 * non-blank line after it (black/ruff style docstrings)
					 */
					if (ml == 0 && !closed)
					{
						size_t		lp = eol + 1;

						while (lp < len)
						{
							size_t		le = lp;

							while (le < len && buf[le] != '\n')
								le++;
							m = buf + lp;
							ml = le - lp;
							closed = cut_at_quotes(m, &ml, q);
							trim(&m, &ml);
							if (ml > 0 || closed)
								break;
							lp = le + 1;
						}
					}
					out->message = pm_strndup(m, ml);
				}
			}
		}

		if (out->id == NULL && py_assign(buf, len, pos, "revision", &val))
		{
			pm_strlist	l = {0, NULL};

			py_strings(buf, len, val, &l);
			if (l.n == 1 && pm_valid_name(l.items[0], strlen(l.items[0])))
				out->id = pm_strdup(l.items[0]);
			list_free(&l);
		}
		else if (out->branch_labels.n == 0 &&
				 py_assign(buf, len, pos, "branch_labels", &val))
			py_strings(buf, len, val, &out->branch_labels);
		else if (out->depends_on.n == 0 &&
				 py_assign(buf, len, pos, "depends_on", &val))
			py_strings(buf, len, val, &out->depends_on);
		pos = eol + 1;
	}
	if (out->message == NULL)
		out->message = pm_strdup("");
	if (out->id == NULL)
	{
		pm_alembic_py_free(out);
		return false;
	}
	return true;
}

void
pm_alembic_py_free(pm_alembic_py *p)
{
	if (p->id)
		pm_free(p->id);
	if (p->message)
		pm_free(p->message);
	list_free(&p->branch_labels);
	list_free(&p->depends_on);
	memset(p, 0, sizeof(*p));
}
