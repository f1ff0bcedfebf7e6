/*-------------------------------------------------------------------------
 *
 * sqlsplit.c
 *	  Split a SQL script into top-level statements (server-free).
 *
 * Owns the lexical scan described in sqlsplit.h.  It is a hand-written
 * single pass, not a full lexer: it only has to know where a statement
 * ends, so it recognises just the constructs inside which a semicolon is
 * not a terminator (quotes, dollar quotes, comments, parentheses, and the
 * BEGIN ... END body of a SQL-standard routine).
 *
 *-------------------------------------------------------------------------
 */
#include "sqlsplit.h"

#include <string.h>

/* Keywords the routine-body heuristic looks at (first words of a statement). */
typedef enum kw
{
	KW_OTHER = 0,
	KW_CREATE,
	KW_OR,
	KW_REPLACE,
	KW_FUNCTION,
	KW_PROCEDURE
} kw;

typedef struct scan_state
{
	const char *buf;
	size_t		len;
	size_t		i;
	int			line;
	pm_error   *err;
} scan_state;

static bool
ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static bool
ident_cont(unsigned char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}


static kw
classify(const char *s, size_t n)
{
	if (pm_word_ieq(s, n, "create"))
		return KW_CREATE;
	if (pm_word_ieq(s, n, "or"))
		return KW_OR;
	if (pm_word_ieq(s, n, "replace"))
		return KW_REPLACE;
	if (pm_word_ieq(s, n, "function"))
		return KW_FUNCTION;
	if (pm_word_ieq(s, n, "procedure"))
		return KW_PROCEDURE;
	return KW_OTHER;
}

static void
unterminated(scan_state *st, const char *what, int line)
{
	pm_error_set(st->err, PM_ERR_SYNTAX, "unterminated %s", what);
	st->err->line = line;
}

/*
 * Skip a quoted string or identifier whose opening quote is at st->i.
 * backslash: E'' semantics (a backslash escapes the next byte).
 */
static bool
skip_quoted(scan_state *st, char q, bool backslash, const char *what)
{
	int			start_line = st->line;

	st->i++;
	while (st->i < st->len)
	{
		char		c = st->buf[st->i];

		if (c == '\n')
			st->line++;
		if (backslash && c == '\\')
		{
			st->i++;
			if (st->i < st->len && st->buf[st->i] == '\n')
				st->line++;
			if (st->i < st->len)
				st->i++;
			continue;
		}
		st->i++;
		if (c == q)
		{
			/* a doubled quote is an escaped quote, not the end */
			if (st->i < st->len && st->buf[st->i] == q)
			{
				st->i++;
				continue;
			}
			return true;
		}
	}
	unterminated(st, what, start_line);
	return false;
}

/*
 * At a '$': if a dollar-quote opener ($$ or $tag$) starts here, skip the
 * whole quoted body and return 1; return 0 if it is not an opener (the
 * caller just steps over the '$'); -1 on an unterminated quote.
 */
static int
skip_dollar(scan_state *st)
{
	size_t		j = st->i + 1;
	size_t		taglen;
	int			start_line = st->line;

	if (j < st->len && ident_start((unsigned char) st->buf[j]))
	{
		j++;
		while (j < st->len && ident_cont((unsigned char) st->buf[j]) &&
			   st->buf[j] != '$')
			j++;
	}
	if (j >= st->len || st->buf[j] != '$')
		return 0;
	taglen = j + 1 - st->i;		/* "$tag$" including both dollars */
	j++;
	while (j < st->len)
	{
		if (st->buf[j] == '\n')
			st->line++;
		if (st->buf[j] == '$' && st->len - j >= taglen &&
			memcmp(st->buf + j, st->buf + st->i, taglen) == 0)
		{
			st->i = j + taglen;
			return 1;
		}
		j++;
	}
	unterminated(st, "dollar-quoted string", start_line);
	return -1;
}

/* Skip a possibly nested block comment starting at st->i ("slash-star"). */
static bool
skip_block_comment(scan_state *st)
{
	int			depth = 0;
	int			start_line = st->line;

	while (st->i < st->len)
	{
		char		c = st->buf[st->i];

		if (c == '/' && st->i + 1 < st->len && st->buf[st->i + 1] == '*')
		{
			depth++;
			st->i += 2;
			continue;
		}
		if (c == '*' && st->i + 1 < st->len && st->buf[st->i + 1] == '/')
		{
			st->i += 2;
			if (--depth == 0)
				return true;
			continue;
		}
		if (c == '\n')
			st->line++;
		st->i++;
	}
	unterminated(st, "/* comment", start_line);
	return false;
}

static void
emit(pm_stmtlist *out, int *cap, const char *buf, size_t start, size_t end,
	 int line, bool terminated)
{
	pm_stmt    *s;

	if (out->n == *cap)
	{
		*cap = *cap ? *cap * 2 : 16;
		out->items = pm_realloc(out->items, sizeof(pm_stmt) * *cap);
	}
	s = &out->items[out->n++];
	s->sql = pm_strndup(buf + start, end - start);
	s->start = start;
	s->end = end;
	s->line = line;
	s->terminated = terminated;
}

bool
pm_sql_split(const char *buf, size_t len, pm_stmtlist *out, pm_error *err)
{
	scan_state	st;
	int			cap = 0;
	bool		in_stmt = false;
	size_t		stmt_start = 0;
	int			stmt_line = 0;
	int			paren = 0;
	int			begin_depth = 0;
	int			nwords = 0;
	kw			words[4];
	bool		in_gap = false;	/* last thing seen was blank or comment */
	size_t		last_end = 0;	/* where the last token ended, if in_gap */
	pm_error	dummy;

	st.buf = buf;
	st.len = len;
	st.i = 0;
	st.line = 1;
	st.err = err ? err : &dummy;
	out->n = 0;
	out->items = NULL;
	pm_error_clear(err);

	while (st.i < len)
	{
		unsigned char c = (unsigned char) buf[st.i];
		bool		gap = (c == '\n' || c == ' ' || c == '\t' || c == '\r' ||
						   c == '\f' || c == '\v' ||
						   (c == '-' && st.i + 1 < len && buf[st.i + 1] == '-') ||
						   (c == '/' && st.i + 1 < len && buf[st.i + 1] == '*'));

		if (gap && !in_gap)
		{
			last_end = st.i;
			in_gap = true;
		}
		else if (!gap)
			in_gap = false;

		if (c == '\n')
		{
			st.line++;
			st.i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
		{
			st.i++;
			continue;
		}
		if (c == '-' && st.i + 1 < len && buf[st.i + 1] == '-')
		{
			while (st.i < len && buf[st.i] != '\n')
				st.i++;
			continue;
		}
		if (c == '/' && st.i + 1 < len && buf[st.i + 1] == '*')
		{
			if (!skip_block_comment(&st))
				goto fail;
			continue;
		}

		/* a token: it starts a statement if none is open */
		if (!in_stmt)
		{
			if (c == ';')
			{
				/* an empty statement never reaches the server: skip it */
				st.i++;
				continue;
			}
			in_stmt = true;
			stmt_start = st.i;
			stmt_line = st.line;
			paren = begin_depth = nwords = 0;
		}

		if (c == ';')
		{
			st.i++;
			if (paren == 0 && begin_depth == 0)
			{
				emit(out, &cap, buf, stmt_start, st.i, stmt_line, true);
				in_stmt = false;
			}
			continue;
		}
		if (c == '(')
		{
			paren++;
			st.i++;
			continue;
		}
		if (c == ')')
		{
			if (paren > 0)
				paren--;
			st.i++;
			continue;
		}
		if (c == '\'')
		{
			if (!skip_quoted(&st, '\'', false, "quoted string"))
				goto fail;
			continue;
		}
		if (c == '"')
		{
			if (!skip_quoted(&st, '"', false, "quoted identifier"))
				goto fail;
			continue;
		}
		if (c == '$')
		{
			int			r = skip_dollar(&st);

			if (r < 0)
				goto fail;
			if (r == 0)
			{
				/* $1 parameter or stray dollar */
				st.i++;
				while (st.i < len && buf[st.i] >= '0' && buf[st.i] <= '9')
					st.i++;
			}
			continue;
		}
		if (ident_start(c))
		{
			size_t		ws = st.i;
			size_t		wl;

			while (st.i < len && ident_cont((unsigned char) buf[st.i]))
				st.i++;
			wl = st.i - ws;

			/* E'...' has backslash escapes; U&'...' / U&"..." do not */
			if (wl == 1 && (c == 'e' || c == 'E') && st.i < len && buf[st.i] == '\'')
			{
				if (!skip_quoted(&st, '\'', true, "quoted string"))
					goto fail;
				continue;
			}
			if (wl == 1 && (c == 'u' || c == 'U') && st.i + 1 < len &&
				buf[st.i] == '&' && (buf[st.i + 1] == '\'' || buf[st.i + 1] == '"'))
			{
				char		q = buf[st.i + 1];

				st.i++;
				if (!skip_quoted(&st, q, false,
								 q == '"' ? "quoted identifier" : "quoted string"))
					goto fail;
				continue;
			}

			/*
			 * psql's heuristic for SQL-standard routine bodies: in a
			 * statement that starts CREATE [OR REPLACE] FUNCTION|PROCEDURE,
			 * BEGIN opens a block that END closes, and CASE inside such a
			 * block also ends with END; semicolons inside do not end the
			 * statement.
			 */
			if (nwords < 4)
				words[nwords] = classify(buf + ws, wl);
			nwords++;
			if (nwords >= 2 && words[0] == KW_CREATE &&
				(words[1] == KW_FUNCTION || words[1] == KW_PROCEDURE ||
				 (nwords >= 4 && words[1] == KW_OR && words[2] == KW_REPLACE &&
				  (words[3] == KW_FUNCTION || words[3] == KW_PROCEDURE))) &&
				paren == 0)
			{
				if (pm_word_ieq(buf + ws, wl, "begin"))
					begin_depth++;
				else if (pm_word_ieq(buf + ws, wl, "case") && begin_depth > 0)
					begin_depth++;
				else if (pm_word_ieq(buf + ws, wl, "end") && begin_depth > 0)
					begin_depth--;
			}
			continue;
		}
		if (c >= '0' && c <= '9')
		{
			/* numbers (1e5, 0x1F, 1_000): never start a quote */
			while (st.i < len && (ident_cont((unsigned char) buf[st.i]) ||
								  buf[st.i] == '.') && buf[st.i] != '$')
				st.i++;
			continue;
		}
		st.i++;
	}

	if (in_stmt)
	{
		/*
		 * The last statement lacks its semicolon; blanks and comments
		 * after its last token belong to no statement.
		 */
		emit(out, &cap, buf, stmt_start, in_gap ? last_end : len,
			 stmt_line, false);
	}
	return true;

fail:
	pm_stmtlist_free(out);
	return false;
}

void
pm_stmtlist_free(pm_stmtlist *l)
{
	int			k;

	for (k = 0; k < l->n; k++)
		pm_free(l->items[k].sql);
	if (l->items)
		pm_free(l->items);
	l->n = 0;
	l->items = NULL;
}

bool
pm_sql_is_empty(const char *sql)
{
	pm_stmtlist l;
	bool		empty;

	if (!pm_sql_split(sql, strlen(sql), &l, NULL))
		return false;
	empty = (l.n == 0);
	pm_stmtlist_free(&l);
	return empty;
}
