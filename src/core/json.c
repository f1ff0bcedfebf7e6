/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small, strict JSON reader for schema snapshots (see json.h for the
 *	  accepted language and the memory rules).
 *
 * Recursive descent with an explicit depth limit.  Object members are
 * sorted by key once parsed, which makes duplicate detection, lookup
 * (binary search) and equality (one pass) cheap on snapshots of any size.
 *
 *-------------------------------------------------------------------------
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct jparser
{
	const char *s;
	size_t		len;
	size_t		pos;
	pm_error   *err;
} jparser;

static bool parse_value(jparser *p, pm_json *out, int depth);
static void free_inner(pm_json *v);

static bool
jfail(jparser *p, const char *what)
{
	pm_error_set(p->err, PM_ERR_SYNTAX, "invalid JSON at offset %zu: %s",
				 p->pos, what);
	return false;
}

static void
skip_ws(jparser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool
literal(jparser *p, const char *word, pm_json_type t, pm_json *out)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return jfail(p, "expected a value");
	p->pos += n;
	out->type = t;
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
parse_number(jparser *p, pm_json *out)
{
	size_t		start = p->pos;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !is_digit(p->s[p->pos]))
		return jfail(p, "expected a digit");
	if (p->s[p->pos] == '0')
	{
		p->pos++;
		if (p->pos < p->len && is_digit(p->s[p->pos]))
			return jfail(p, "leading zero in a number");
	}
	else
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (p->pos >= p->len || !is_digit(p->s[p->pos]))
			return jfail(p, "expected a digit after the decimal point");
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !is_digit(p->s[p->pos]))
			return jfail(p, "expected a digit in the exponent");
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	}
	out->type = PM_JSON_NUMBER;
	out->str = pm_strndup(p->s + start, p->pos - start);
	out->len = p->pos - start;
	return true;
}

static int
hex4(const char *s)
{
	int			v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		char		c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
put_utf8(pm_buf *b, unsigned int cp)
{
	char		u[4];
	size_t		n;

	if (cp < 0x80)
	{
		u[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		u[0] = (char) (0xC0 | (cp >> 6));
		u[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		u[0] = (char) (0xE0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		u[0] = (char) (0xF0 | (cp >> 18));
		u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	pm_buf_append(b, u, n);
}

/* \uXXXX at p->pos (just after the backslash-u); surrogates paired. */
static bool
parse_uescape(jparser *p, pm_buf *b)
{
	int			hi,
				lo;

	if (p->len - p->pos < 4 || (hi = hex4(p->s + p->pos)) < 0)
		return jfail(p, "expected four hex digits after \\u");
	p->pos += 4;
	if (hi == 0)
		return jfail(p, "\\u0000 cannot be stored in text");
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return jfail(p, "lone low surrogate");
	if (hi >= 0xD800 && hi <= 0xDBFF)
	{
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return jfail(p, "high surrogate not followed by \\u low surrogate");
		p->pos += 2;
		if ((lo = hex4(p->s + p->pos)) < 0)
			return jfail(p, "expected four hex digits after \\u");
		if (lo < 0xDC00 || lo > 0xDFFF)
			return jfail(p, "high surrogate not followed by a low surrogate");
		p->pos += 4;
		put_utf8(b, 0x10000 + (((unsigned) hi - 0xD800) << 10) + ((unsigned) lo - 0xDC00));
		return true;
	}
	put_utf8(b, (unsigned) hi);
	return true;
}

/* A string at p->pos (on the opening quote); result in *str / *len. */
static bool
parse_string(jparser *p, char **str, size_t *len)
{
	pm_buf		b;

	p->pos++;					/* opening quote */

	/*
	 * Most strings have no escape: copy them with one exact allocation
	 * (a big snapshot has hundreds of thousands of short strings, and a
	 * growable buffer per string cost more than the rest of the parse).
	 */
	{
		size_t		end = p->pos;

		while (end < p->len && p->s[end] != '"' && p->s[end] != '\\' &&
			   (unsigned char) p->s[end] >= 0x20)
			end++;
		if (end < p->len && p->s[end] == '"')
		{
			*len = end - p->pos;
			*str = pm_malloc(*len + 1);
			memcpy(*str, p->s + p->pos, *len);
			(*str)[*len] = '\0';
			p->pos = end + 1;
			return true;
		}
	}
	pm_buf_init(&b);
	for (;;)
	{
		size_t		run = p->pos;
		unsigned char c;

		/* copy a run of plain bytes at once */
		while (p->pos < p->len)
		{
			c = (unsigned char) p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			p->pos++;
		}
		pm_buf_append(&b, p->s + run, p->pos - run);
		if (p->pos >= p->len)
		{
			pm_buf_free(&b);
			return jfail(p, "unterminated string");
		}
		c = (unsigned char) p->s[p->pos];
		if (c == '"')
		{
			p->pos++;
			break;
		}
		if (c < 0x20)
		{
			pm_buf_free(&b);
			return jfail(p, "control character in a string (must be escaped)");
		}
		/* backslash */
		p->pos++;
		if (p->pos >= p->len)
		{
			pm_buf_free(&b);
			return jfail(p, "unterminated escape");
		}
		c = (unsigned char) p->s[p->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				pm_buf_append(&b, (const char *) &c, 1);
				break;
			case 'b':
				pm_buf_puts(&b, "\b");
				break;
			case 'f':
				pm_buf_puts(&b, "\f");
				break;
			case 'n':
				pm_buf_puts(&b, "\n");
				break;
			case 'r':
				pm_buf_puts(&b, "\r");
				break;
			case 't':
				pm_buf_puts(&b, "\t");
				break;
			case 'u':
				if (!parse_uescape(p, &b))
				{
					pm_buf_free(&b);
					return false;
				}
				break;
			default:
				p->pos--;
				pm_buf_free(&b);
				return jfail(p, "invalid escape");
		}
	}
	*str = b.data;
	*len = b.len;
	return true;
}

typedef struct member
{
	char	   *key;
	pm_json		val;
} member;

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const member *) a)->key, ((const member *) b)->key);
}

static bool
parse_object(jparser *p, pm_json *out, int depth)
{
	member	   *m = NULL;
	int			n = 0,
				cap = 0,
				i;

	p->pos++;					/* { */
	out->type = PM_JSON_OBJECT;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}')
		p->pos++;
	else
		for (;;)
		{
			size_t		klen;

			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"')
			{
				jfail(p, "expected a string key");
				goto fail;
			}
			if (n == cap)
			{
				cap = cap ? cap * 2 : 8;
				m = pm_realloc(m, cap * sizeof(member));
			}
			memset(&m[n].val, 0, sizeof(pm_json));
			if (!parse_string(p, &m[n].key, &klen))
				goto fail;
			n++;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
			{
				jfail(p, "expected ':' after an object key");
				goto fail;
			}
			p->pos++;
			skip_ws(p);
			if (!parse_value(p, &m[n - 1].val, depth + 1))
				goto fail;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',')
			{
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == '}')
			{
				p->pos++;
				break;
			}
			jfail(p, "expected ',' or '}' in an object");
			goto fail;
		}
	if (n > 1)
		qsort(m, n, sizeof(member), member_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(m[i - 1].key, m[i].key) == 0)
		{
			pm_error_set(p->err, PM_ERR_SYNTAX,
						 "invalid JSON: duplicate key \"%.100s\" in the object ending at offset %zu",
						 m[i].key, p->pos);
			goto fail;
		}
	out->n = n;
	out->keys = pm_malloc((n ? n : 1) * sizeof(char *));
	out->items = pm_malloc((n ? n : 1) * sizeof(pm_json));
	for (i = 0; i < n; i++)
	{
		out->keys[i] = m[i].key;
		out->items[i] = m[i].val;
	}
	pm_free(m);
	return true;
fail:
	for (i = 0; i < n; i++)
	{
		pm_free(m[i].key);
		free_inner(&m[i].val);
	}
	pm_free(m);
	return false;
}

static bool
parse_array(jparser *p, pm_json *out, int depth)
{
	int			cap = 0;

	p->pos++;					/* [ */
	out->type = PM_JSON_ARRAY;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']')
	{
		p->pos++;
		return true;
	}
	for (;;)
	{
		if (out->n == cap)
		{
			cap = cap ? cap * 2 : 8;
			out->items = pm_realloc(out->items, cap * sizeof(pm_json));
		}
		memset(&out->items[out->n], 0, sizeof(pm_json));
		out->n++;
		skip_ws(p);
		if (!parse_value(p, &out->items[out->n - 1], depth + 1))
			return false;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']')
		{
			p->pos++;
			return true;
		}
		return jfail(p, "expected ',' or ']' in an array");
	}
}

static bool
parse_value(jparser *p, pm_json *out, int depth)
{
	if (depth > PM_JSON_MAX_DEPTH)
		return jfail(p, "nested too deeply");
	if (p->pos >= p->len)
		return jfail(p, "unexpected end of input, expected a value");
	switch (p->s[p->pos])
	{
		case '{':
			return parse_object(p, out, depth);
		case '[':
			return parse_array(p, out, depth);
		case '"':
			out->type = PM_JSON_STRING;
			return parse_string(p, &out->str, &out->len);
		case 't':
			return literal(p, "true", PM_JSON_TRUE, out);
		case 'f':
			return literal(p, "false", PM_JSON_FALSE, out);
		case 'n':
			return literal(p, "null", PM_JSON_NULL, out);
		default:
			if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
				return parse_number(p, out);
			return jfail(p, "expected a value");
	}
}

pm_json *
pm_json_parse(const char *s, size_t len, pm_error *err)
{
	jparser		p;
	pm_json    *v = pm_malloc(sizeof(pm_json));

	memset(v, 0, sizeof(pm_json));
	pm_error_clear(err);
	p.s = s;
	p.len = len;
	p.pos = 0;
	p.err = err;
	skip_ws(&p);
	if (!parse_value(&p, v, 0))
	{
		pm_json_free(v);
		return NULL;
	}
	skip_ws(&p);
	if (p.pos != p.len)
	{
		jfail(&p, "text after the JSON value");
		pm_json_free(v);
		return NULL;
	}
	return v;
}

static void
free_inner(pm_json *v)
{
	int			i;

	if (v->str)
		pm_free(v->str);
	for (i = 0; i < v->n; i++)
	{
		free_inner(&v->items[i]);
		if (v->keys)
			pm_free(v->keys[i]);
	}
	if (v->items)
		pm_free(v->items);
	if (v->keys)
		pm_free(v->keys);
}

void
pm_json_free(pm_json *v)
{
	if (v == NULL)
		return;
	free_inner(v);
	pm_free(v);
}

const pm_json *
pm_json_get(const pm_json *v, const char *key)
{
	int			lo = 0,
				hi;

	if (v == NULL || v->type != PM_JSON_OBJECT)
		return NULL;
	hi = v->n - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(v->keys[mid], key);

		if (c == 0)
			return &v->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

const char *
pm_json_str(const pm_json *v, const char *key)
{
	const pm_json *m = pm_json_get(v, key);

	return (m && m->type == PM_JSON_STRING) ? m->str : NULL;
}

bool
pm_json_bool(const pm_json *v, const char *key)
{
	const pm_json *m = pm_json_get(v, key);

	return m && m->type == PM_JSON_TRUE;
}

bool
pm_json_equal(const pm_json *a, const pm_json *b)
{
	int			i;

	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case PM_JSON_STRING:
		case PM_JSON_NUMBER:
			return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
		case PM_JSON_ARRAY:
		case PM_JSON_OBJECT:
			if (a->n != b->n)
				return false;
			for (i = 0; i < a->n; i++)
			{
				if (a->type == PM_JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
					return false;
				if (!pm_json_equal(&a->items[i], &b->items[i]))
					return false;
			}
			return true;
		default:
			return true;
	}
}

static void
write_string(pm_buf *b, const char *s, size_t len)
{
	size_t		i;

	pm_buf_puts(b, "\"");
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			pm_buf_append(b, "\\", 1);
			pm_buf_append(b, (const char *) &c, 1);
		}
		else if (c == '\n')
			pm_buf_puts(b, "\\n");
		else if (c == '\t')
			pm_buf_puts(b, "\\t");
		else if (c < 0x20)
			pm_buf_printf(b, "\\u%04x", c);
		else
			pm_buf_append(b, (const char *) &c, 1);
	}
	pm_buf_puts(b, "\"");
}

void
pm_json_write(pm_buf *b, const pm_json *v)
{
	int			i;

	switch (v->type)
	{
		case PM_JSON_NULL:
			pm_buf_puts(b, "null");
			break;
		case PM_JSON_TRUE:
			pm_buf_puts(b, "true");
			break;
		case PM_JSON_FALSE:
			pm_buf_puts(b, "false");
			break;
		case PM_JSON_NUMBER:
			pm_buf_append(b, v->str, v->len);
			break;
		case PM_JSON_STRING:
			write_string(b, v->str, v->len);
			break;
		case PM_JSON_ARRAY:
		case PM_JSON_OBJECT:
			pm_buf_puts(b, v->type == PM_JSON_ARRAY ? "[" : "{");
			for (i = 0; i < v->n; i++)
			{
				if (i > 0)
					pm_buf_puts(b, ",");
				if (v->type == PM_JSON_OBJECT)
				{
					write_string(b, v->keys[i], strlen(v->keys[i]));
					pm_buf_puts(b, ":");
				}
				pm_json_write(b, &v->items[i]);
			}
			pm_buf_puts(b, v->type == PM_JSON_ARRAY ? "]" : "}");
			break;
	}
}
