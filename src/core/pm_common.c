/*-------------------------------------------------------------------------
 *
 * pm_common.c
 *	  Errors, string buffers, name validation and script normalisation
 *	  for pgmig's server-free core.
 *
 *-------------------------------------------------------------------------
 */
#include "pm_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
pm_error_clear(pm_error *err)
{
	if (err == NULL)
		return;
	err->code = PM_OK;
	err->msg[0] = err->detail[0] = err->hint[0] = '\0';
	err->line = 0;
}

void
pm_error_set(pm_error *err, pm_errcode code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	pm_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
pm_error_detail(pm_error *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
pm_error_hint(pm_error *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

char *
pm_strndup(const char *s, size_t n)
{
	char	   *r = pm_malloc(n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

char *
pm_strdup(const char *s)
{
	return pm_strndup(s, strlen(s));
}

bool
pm_valid_name(const char *s, size_t len)
{
	size_t		i;

	if (len < 1 || len > PM_MAX_ID_LEN)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		/* c | 0x20 folds A-Z onto a-z and moves no other byte into a-z */
		if (!((unsigned char) ((c | 0x20) - 'a') < 26 ||
			  (unsigned char) (c - '0') < 10 || c == '_'))
			return false;
	}
	return true;
}

bool
pm_word_ieq(const char *s, size_t n, const char *word)
{
	size_t		i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != word[i])
			return false;
	}
	return true;
}

bool
pm_reserved_name(const char *s)
{
	/*
	 * The first letter rules out almost every id without a strcmp (reading
	 * the graph image checks 100,000 of them).
	 */
	switch (s[0])
	{
		case 'h':
			return strcmp(s, "head") == 0 || strcmp(s, "heads") == 0;
		case 'b':
			return strcmp(s, "base") == 0;
		case 'c':
			return strcmp(s, "current") == 0;
		default:
			return false;
	}
}

void
pm_buf_init(pm_buf *b)
{
	b->cap = 256;
	b->len = 0;
	b->large = false;
	b->data = pm_malloc(b->cap);
	b->data[0] = '\0';
}

void
pm_buf_init_large(pm_buf *b)
{
	b->cap = PM_LARGE_MIN;
	b->len = 0;
	b->large = true;
	b->data = pm_malloc_large(b->cap);
	b->data[0] = '\0';
}

void
pm_buf_append(pm_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap * 2;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if (b->large)
		{
			char	   *data = pm_malloc_large(ncap);

			memcpy(data, b->data, b->len + 1);
			pm_free_large(b->data);
			b->data = data;
		}
		else
			b->data = pm_realloc(b->data, ncap);
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
pm_buf_puts(pm_buf *b, const char *s)
{
	pm_buf_append(b, s, strlen(s));
}

void
pm_buf_printf(pm_buf *b, const char *fmt,...)
{
	va_list		ap;
	char		small[256];
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small))
	{
		pm_buf_append(b, small, n);
		return;
	}
	{
		char	   *big = pm_malloc(n + 1);

		va_start(ap, fmt);
		vsnprintf(big, n + 1, fmt, ap);
		va_end(ap);
		pm_buf_append(b, big, n);
		pm_free(big);
	}
}

void
pm_buf_free(pm_buf *b)
{
	if (b->data && b->large)
		pm_free_large(b->data);
	else if (b->data)
		pm_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/*
 * CRLF -> LF, strip spaces/tabs at each line end, drop trailing blank
 * lines.  A lone CR (old Mac) is kept as is: it is not a line ending that
 * PostgreSQL's lexer treats specially, and rewriting it could change the
 * meaning of a string literal.
 */
char *
pm_normalize_script(const char *s, size_t len, size_t *outlen)
{
	char	   *out = pm_malloc(len + 1);
	size_t		o = 0;
	size_t		line_start = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;			/* the LF that follows ends the line */
		if (c == '\n')
		{
			while (o > line_start && (out[o - 1] == ' ' || out[o - 1] == '\t'))
				o--;
			out[o++] = '\n';
			line_start = o;
			continue;
		}
		out[o++] = c;
	}
	/* last line without newline */
	while (o > line_start && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	/* drop trailing blank lines (and the final newline) */
	while (o > 0 && out[o - 1] == '\n')
		o--;
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

char *
pm_comment_text(const char *s)
{
	pm_buf		b;
	const unsigned char *p;

	pm_buf_init(&b);
	for (p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '\n')
			pm_buf_puts(&b, "\\n");
		else if (*p == '\r')
			pm_buf_puts(&b, "\\r");
		else if (*p == '\t')
			pm_buf_puts(&b, "\\t");
		else if (*p == '\\')
			pm_buf_puts(&b, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			pm_buf_printf(&b, "\\x%02X", *p);
		else
			pm_buf_append(&b, (const char *) p, 1);
	}
	pm_buf_append(&b, "", 0);
	return b.data ? b.data : pm_strdup("");
}
