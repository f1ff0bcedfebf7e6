/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small, strict JSON reader for schema snapshots (see json.h for the
 *	  accepted language and the memory rules).
 *
 * Recursive descent with an explicit depth limit.  Object members are
 * sorted by key once parsed, which makes duplicate detection, lookup
 * (binary search) and equality (one pass) cheap on snapshots of any size.
 * The order is jsonb's (shorter keys first, then bytes): PostgreSQL prints
 * every jsonb object in it, so a snapshot's objects arrive sorted and the
 * sort only checks them.
 *
 *-------------------------------------------------------------------------
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

/*
 * A parsed tree lives in one arena: its strings, keys and member arrays are
 * carved from big chunks that pm_json_free releases at once.  A snapshot of
 * 1,000 tables is some 900,000 small values; one allocation (and one free)
 * each cost more than the parse itself.  Strings put into a tree later
 * (pm_json_set_str) are kept on a list and freed with it.
 */
typedef struct jchunk
{
	struct jchunk *next;
	size_t		used;
	size_t		cap;
	/* data follows, aligned */
} jchunk;

#define JCHUNK_HDR (((sizeof(jchunk) + 15) / 16) * 16)
#define JCHUNK_SIZE ((size_t) 256 * 1024)
#define JCHUNK_MAX ((size_t) 32 * 1024 * 1024)
/* a chunk of one huge page, its headers included (pm_malloc_large's too) */
#define JCHUNK_BIG (PM_LARGE_MIN - JCHUNK_HDR)

typedef struct jroot
{
	pm_json		v;				/* first: a root's pm_json * is its jroot * */
	jchunk	   *chunks;
	size_t		total;			/* bytes in chunks so far */
	char	  **owned;			/* strings adopted by pm_json_set_str */
	int			nowned;
	int			capowned;
} jroot;

/* an object member or an array element waiting on the parser's stack */
typedef struct member
{
	char	   *key;			/* NULL in an array */
	size_t		klen;			/* strlen(key) */
	pm_json		val;
} member;

typedef struct jparser
{
	const char *s;
	size_t		len;
	size_t		pos;
	pm_error   *err;
	jroot	   *root;
	member	   *stk;			/* the items of every open array/object */
	size_t		nstk;
	size_t		capstk;
} jparser;

static bool parse_value(jparser *p, pm_json *out, int depth);

static void *
jalloc(jparser *p, size_t n)
{
	jchunk	   *c = p->root->chunks;
	char	   *r;

	n = (n + 7) & ~(size_t) 7;
	if (c == NULL || c->cap - c->used < n)
	{
		/*
		 * Chunks double with the tree (up to 32 MB): a small document costs
		 * one 256 kB chunk, a snapshot of 1,000 tables (some 18 MB of tree)
		 * a few big ones, which pm_malloc_large backs with huge pages.
		 */
		size_t		grow = p->root->total < JCHUNK_SIZE ? JCHUNK_SIZE :
			p->root->total < JCHUNK_BIG ? JCHUNK_BIG :
			p->root->total < JCHUNK_MAX ? p->root->total : JCHUNK_MAX;
		size_t		cap = n > grow / 4 ? n : grow;

		c = pm_malloc_large(JCHUNK_HDR + cap);
		p->root->total += cap;
		c->cap = cap;
		c->used = 0;
		/* a big block goes behind the current chunk, whose rest stays usable */
		if (cap == n && p->root->chunks != NULL)
		{
			c->next = p->root->chunks->next;
			p->root->chunks->next = c;
		}
		else
		{
			c->next = p->root->chunks;
			p->root->chunks = c;
		}
	}
	r = (char *) c + JCHUNK_HDR + c->used;
	c->used += n;
	return r;
}

static char *
jstrndup(jparser *p, const char *s, size_t n)
{
	char	   *r = jalloc(p, n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static void
push(jparser *p, char *key, size_t klen, const pm_json *val)
{
	if (p->nstk == p->capstk)
	{
		p->capstk = p->capstk ? p->capstk * 2 : 256;
		p->stk = pm_realloc(p->stk, p->capstk * sizeof(member));
	}
	p->stk[p->nstk].key = key;
	p->stk[p->nstk].klen = klen;
	p->stk[p->nstk].val = *val;
	p->nstk++;
}

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
	out->str = jstrndup(p, p->s + start, p->pos - start);
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
			*str = jstrndup(p, p->s + p->pos, *len);
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
	*str = jstrndup(p, b.data, b.len);
	*len = b.len;
	pm_buf_free(&b);
	return true;
}

/* objects with at most this many keys are sorted by insertion */
#define MEMBER_INSERTION_SORT 24

/* jsonb's order of keys: by length, then bytes */
static inline int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

int
pm_json_key_cmp(const char *a, const char *b)
{
	return key_cmp(a, strlen(a), b, strlen(b));
}

static int
member_cmp(const void *a, const void *b)
{
	const member *x = a,
			   *y = b;

	return key_cmp(x->key, x->klen, y->key, y->klen);
}

static bool
parse_object(jparser *p, pm_json *out, int depth)
{
	size_t		base = p->nstk;
	member	   *m;
	int			n,
				i;

	p->pos++;					/* { */
	out->type = PM_JSON_OBJECT;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}')
		p->pos++;
	else
		for (;;)
		{
			char	   *key;
			size_t		klen;
			pm_json		val;

			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jfail(p, "expected a string key");
			if (!parse_string(p, &key, &klen))
				return false;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return jfail(p, "expected ':' after an object key");
			p->pos++;
			skip_ws(p);
			memset(&val, 0, sizeof(val));
			if (!parse_value(p, &val, depth + 1))
				return false;
			push(p, key, klen, &val);
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
			return jfail(p, "expected ',' or '}' in an object");
		}
	n = (int) (p->nstk - base);
	m = n > 0 ? p->stk + base : NULL;	/* the stack is NULL until a push */
	if (n > MEMBER_INSERTION_SORT)
		qsort(m, n, sizeof(member), member_cmp);
	else
	{
		/*
		 * A snapshot's objects have a dozen keys each, tens of thousands of
		 * them, already in this order (jsonb's output): the insertion sort
		 * only compares neighbours, mostly by length.
		 */
		for (i = 1; i < n; i++)
		{
			member		cur = m[i];
			int			j = i;

			while (j > 0 && member_cmp(&m[j - 1], &cur) > 0)
			{
				m[j] = m[j - 1];
				j--;
			}
			m[j] = cur;
		}
	}
	for (i = 1; i < n; i++)
		if (m[i - 1].klen == m[i].klen && memcmp(m[i - 1].key, m[i].key, m[i].klen) == 0)
		{
			pm_error_set(p->err, PM_ERR_SYNTAX,
						 "invalid JSON: duplicate key \"%.100s\" in the object ending at offset %zu",
						 m[i].key, p->pos);
			return false;
		}
	out->n = n;
	out->keys = jalloc(p, (n ? n : 1) * sizeof(char *));
	out->items = jalloc(p, (n ? n : 1) * sizeof(pm_json));
	for (i = 0; i < n; i++)
	{
		out->keys[i] = m[i].key;
		out->items[i] = m[i].val;
	}
	p->nstk = base;
	return true;
}

static bool
parse_array(jparser *p, pm_json *out, int depth)
{
	size_t		base = p->nstk;
	int			i;

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
		pm_json		val;

		skip_ws(p);
		memset(&val, 0, sizeof(val));
		if (!parse_value(p, &val, depth + 1))
			return false;
		push(p, NULL, 0, &val);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']')
		{
			p->pos++;
			break;
		}
		return jfail(p, "expected ',' or ']' in an array");
	}
	out->n = (int) (p->nstk - base);
	out->items = jalloc(p, out->n * sizeof(pm_json));
	for (i = 0; i < out->n; i++)
		out->items[i] = p->stk[base + i].val;
	p->nstk = base;
	return true;
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
	jroot	   *r = pm_malloc(sizeof(jroot));
	bool		ok;

	memset(r, 0, sizeof(jroot));
	pm_error_clear(err);
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	p.err = err;
	p.root = r;
	skip_ws(&p);
	ok = parse_value(&p, &r->v, 0);
	if (ok)
	{
		skip_ws(&p);
		if (p.pos != p.len)
			ok = jfail(&p, "text after the JSON value");
	}
	if (p.stk)
		pm_free(p.stk);
	if (!ok)
	{
		pm_json_free(&r->v);
		return NULL;
	}
	return &r->v;
}

void
pm_json_free(pm_json *v)
{
	jroot	   *r = (jroot *) v;
	int			i;

	if (v == NULL)
		return;
	while (r->chunks)
	{
		jchunk	   *next = r->chunks->next;

		pm_free_large(r->chunks);
		r->chunks = next;
	}
	for (i = 0; i < r->nowned; i++)
		pm_free(r->owned[i]);
	if (r->owned)
		pm_free(r->owned);
	pm_free(r);
}

void
pm_json_set_str(pm_json *root, pm_json *v, char *s)
{
	jroot	   *r = (jroot *) root;

	if (r->nowned == r->capowned)
	{
		r->capowned = r->capowned ? r->capowned * 2 : 16;
		r->owned = pm_realloc(r->owned, r->capowned * sizeof(char *));
	}
	r->owned[r->nowned++] = s;
	v->str = s;
	v->len = strlen(s);
}

const pm_json *
pm_json_get(const pm_json *v, const char *key)
{
	int			lo = 0,
				hi;
	size_t		klen;

	if (v == NULL || v->type != PM_JSON_OBJECT)
		return NULL;
	klen = strlen(key);
	hi = v->n - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = key_cmp(v->keys[mid], strlen(v->keys[mid]), key, klen);

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
