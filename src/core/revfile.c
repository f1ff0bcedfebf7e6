/*-------------------------------------------------------------------------
 *
 * revfile.c
 *	  Parser and formatter for pgmig's revision file format.
 *
 * This file owns the text form of a revision ("-- key: value" header,
 * then "-- migrate:up" / "-- migrate:down" sections, see revfile.h and
 * SPEC.md) and the comma separated name lists used in it.  It is used by
 * pgmig.load()/pgmig.repair() in the server, by the client's load,
 * revision and import-alembic commands, and it is fuzzed, so:
 *
 *	- every access is bounded by the (buf, len) pair; the input is not
 *	  assumed to be NUL-terminated and may contain any byte;
 *	- a NUL byte anywhere is an error: revision scripts end up in text
 *	  columns and C strings, where a NUL would silently cut them short;
 *	- on failure everything allocated is freed and *out is zeroed, with
 *	  err->line naming the 1-based line that is at fault.
 *
 * Decisions on points revfile.h leaves open (also in the report/README):
 *
 *	- "Blank" means spaces, tabs and carriage returns, so a CRLF file
 *	  behaves exactly like an LF file wherever blankness matters.
 *	- Comment and marker lines may be indented, and blanks between "--"
 *	  and the key or "migrate:" are optional ("--migrate:up" as dbmate).
 *	- "-- word: ..." is a header entry when word is a known key (blanks
 *	  before the colon are tolerated for known keys); for an unknown word
 *	  it is an error only when the colon is followed by a blank or the end
 *	  of the line, so a comment such as "-- see https://..." stays a
 *	  comment.  A word starts with a letter or underscore and may contain
 *	  letters, digits, '_' and '-' (so "down-revision:" is reported).
 *	- "-- migrate:up" and "-- migrate:down" allow only blanks after them;
 *	  dbmate's inline options ("transaction:false") and unknown markers
 *	  ("-- migrate:dwon") are errors in any part of the file, since they
 *	  are almost certainly mistakes and would otherwise be swallowed.
 *	- Section bodies: leading blank lines are dropped; at the end, blank
 *	  lines and the last line's terminator are dropped, as are carriage
 *	  returns ending the last line (so "x\r" and "x\r\n" both give "x").
 *	  Everything in between, including CRLFs, is kept byte for byte;
 *	  pm_normalize_script() handles line endings for the checksum.
 *	- Header values are trimmed of blanks.  Lists reject empty items
 *	  ("a,,b", "a,") and duplicates; reserved words are refused in every
 *	  list, since no revision can be called "head".
 *
 *-------------------------------------------------------------------------
 */
#include "revfile.h"

#include <stdlib.h>
#include <string.h>

/* Longest piece of user input quoted in an error message. */
#define SHOW_MAX 80

#define NAME_HINT \
	"Names may contain only ASCII letters, digits and underscores, 1 to 64 characters."

typedef enum name_kind
{
	NAME_REVISION,				/* ids, down_revision, depends_on */
	NAME_LABEL					/* branch_labels */
} name_kind;

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
is_word_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Does s[0..len) equal the NUL-terminated word w exactly? */
static bool
span_eq(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

/* The same, ignoring ASCII case (locale-independent on purpose). */
static bool
span_eq_ci(const char *s, size_t len, const char *w)
{
	size_t		i;

	if (strlen(w) != len)
		return false;
	for (i = 0; i < len; i++)
	{
		char		a = s[i];
		char		b = w[i];

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return false;
	}
	return true;
}

/* Trim blanks on both sides of s[*start..*end). */
static void
trim_span(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && is_blank(s[*start]))
		(*start)++;
	while (*end > *start && is_blank(s[*end - 1]))
		(*end)--;
}

/*
 * Length to show of a piece of user input in a message, and the suffix
 * that says it was cut.  Used as "%.*s%s", show_len(n), show_more(n).
 */
static int
show_len(size_t n)
{
	return (int) (n > SHOW_MAX ? SHOW_MAX : n);
}

static const char *
show_more(size_t n)
{
	return n > SHOW_MAX ? "..." : "";
}

/* ----------------------------------------------------------------
 * Name lists
 * ----------------------------------------------------------------
 */

void
pm_revfile_digest(const pm_revfile *rf, char out[65])
{
	char		ck[65];
	char	   *down = pm_strlist_join(&rf->down_revision);
	char	   *deps = pm_strlist_join(&rf->depends_on);
	char	   *labels = pm_strlist_join(&rf->branch_labels);

	pm_checksum(rf->upgrade, rf->downgrade, rf->transactional, ck);
	pm_revision_digest(rf->id, down, deps, labels, rf->message, ck,
					   rf->upgrade_line, rf->downgrade_line, out);
	pm_free(down);
	pm_free(deps);
	pm_free(labels);
}

char *
pm_strlist_join(const pm_strlist *l)
{
	pm_buf		b;
	int			i;

	pm_buf_init(&b);
	for (i = 0; i < l->n; i++)
	{
		if (i > 0)
			pm_buf_puts(&b, ",");
		pm_buf_puts(&b, l->items[i]);
	}
	return b.data;
}

void
pm_strlist_free(pm_strlist *l)
{
	int			i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		pm_free(l->items[i]);
	if (l->items)
		pm_free(l->items);
	l->n = 0;
	l->items = NULL;
}

static bool
check_name(const char *s, size_t len, name_kind kind, pm_error *err)
{
	const char *what = kind == NAME_LABEL ? "branch label" : "revision name";
	char		tmp[PM_MAX_ID_LEN + 1];

	if (!pm_valid_name(s, len))
	{
		pm_error_set(err, PM_ERR_INVALID_NAME, "invalid %s \"%.*s%s\"",
					 what, show_len(len), s, show_more(len));
		pm_error_hint(err, NAME_HINT);
		return false;
	}
	/* valid, so len <= PM_MAX_ID_LEN and no NUL inside */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (pm_reserved_name(tmp))
	{
		pm_error_set(err, PM_ERR_INVALID_NAME,
					 "reserved name \"%s\" cannot be used as a %s",
					 tmp, kind == NAME_LABEL ? "branch label" : "revision id");
		pm_error_hint(err, "head, heads, base and current are target keywords.");
		return false;
	}
	return true;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Is any name listed twice?  Sorting a copy keeps this O(n log n) even for
 * absurdly long (fuzzed or hostile) lists.  Returns the duplicate or NULL.
 */
static const char *
find_duplicate(const pm_strlist *l)
{
	char	  **sorted;
	const char *dup = NULL;
	int			i;

	if (l->n < 2)
		return NULL;
	sorted = pm_malloc(sizeof(char *) * l->n);
	memcpy(sorted, l->items, sizeof(char *) * l->n);
	qsort(sorted, l->n, sizeof(char *), cmp_strp);
	for (i = 1; i < l->n; i++)
	{
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
		{
			dup = sorted[i];
			break;
		}
	}
	pm_free(sorted);
	return dup;
}

static bool
parse_list(const char *s, size_t len, name_kind kind, pm_strlist *out,
		   pm_error *err)
{
	size_t		pos = 0;
	int			cap = 0;
	const char *dup;

	out->n = 0;
	out->items = NULL;

	/* An empty or all-blank value is the empty list. */
	{
		size_t		a = 0,
					b = len;

		trim_span(s, &a, &b);
		if (a == b)
			return true;
	}

	for (;;)
	{
		const char *comma = memchr(s + pos, ',', len - pos);
		size_t		end = comma ? (size_t) (comma - s) : len;
		size_t		a = pos,
					b = end;

		trim_span(s, &a, &b);
		if (a == b)
		{
			pm_error_set(err, PM_ERR_SYNTAX, "empty name in list");
			pm_error_hint(err, "Separate names with single commas, without a trailing comma.");
			goto fail;
		}
		if (!check_name(s + a, b - a, kind, err))
			goto fail;
		if (out->n == cap)
		{
			cap = cap ? cap * 2 : 4;
			out->items = pm_realloc(out->items, sizeof(char *) * cap);
		}
		out->items[out->n++] = pm_strndup(s + a, b - a);
		if (comma == NULL)
			break;
		pos = end + 1;
	}

	dup = find_duplicate(out);
	if (dup)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "duplicate name \"%s\" in list", dup);
		pm_error_hint(err, "Name each revision or label once.");
		goto fail;
	}
	return true;

fail:
	pm_strlist_free(out);
	return false;
}

bool
pm_parse_name_list(const char *s, size_t len, pm_strlist *out, pm_error *err)
{
	return parse_list(s, len, NAME_REVISION, out, err);
}

/* ----------------------------------------------------------------
 * Revision files
 * ----------------------------------------------------------------
 */

/* What a line that looks like a section marker turned out to be. */
typedef enum marker_kind
{
	MARK_NONE,					/* not "-- migrate:..." at all */
	MARK_UP,
	MARK_DOWN,
	MARK_TRAILING,				/* up/down followed by more text */
	MARK_UNKNOWN				/* "-- migrate:<something else>" */
} marker_kind;

/*
 * If line s[start..end) is a comment (optional blanks, "--"), return the
 * offset just past "--" and the blanks after it; otherwise return
 * (size_t) -1.
 */
static size_t
comment_body(const char *s, size_t start, size_t end)
{
	size_t		p = start;

	while (p < end && is_blank(s[p]))
		p++;
	if (end - p < 2 || s[p] != '-' || s[p + 1] != '-')
		return (size_t) -1;
	p += 2;
	while (p < end && is_blank(s[p]))
		p++;
	return p;
}

static marker_kind
classify_marker(const char *s, size_t start, size_t end, bool *is_up)
{
	size_t		p = comment_body(s, start, end);
	size_t		w;
	size_t		q;

	if (p == (size_t) -1 || end - p < 8 || memcmp(s + p, "migrate:", 8) != 0)
		return MARK_NONE;
	p += 8;
	for (w = p; w < end && is_word_char(s[w]) && s[w] != '-'; w++)
		;
	if (span_eq(s + p, w - p, "up"))
		*is_up = true;
	else if (span_eq(s + p, w - p, "down"))
		*is_up = false;
	else
		return MARK_UNKNOWN;
	for (q = w; q < end && is_blank(s[q]); q++)
		;
	return q == end ? (*is_up ? MARK_UP : MARK_DOWN) : MARK_TRAILING;
}

/* Report a bad "-- migrate:..." line (MARK_TRAILING or MARK_UNKNOWN). */
static void
bad_marker(const char *s, size_t start, size_t end, marker_kind mk,
		   bool is_up, pm_error *err)
{
	if (mk == MARK_TRAILING)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "unexpected text after \"-- migrate:%s\"",
					 is_up ? "up" : "down");
		pm_error_hint(err, "Section options are not supported; for a revision that must run outside a transaction, use the header line \"-- transactional: false\".");
	}
	else
	{
		trim_span(s, &start, &end);
		pm_error_set(err, PM_ERR_SYNTAX, "invalid section marker \"%.*s%s\"",
					 show_len(end - start), s + start, show_more(end - start));
		pm_error_hint(err, "The only sections are \"-- migrate:up\" and \"-- migrate:down\".");
	}
}

/*
 * Copy a section body s[start..end) (the text between its marker line and
 * the next marker line or EOF) with the trimming described at the top.
 */
static char *
section_body(const char *s, size_t start, size_t end, int *first_line)
{
	size_t		i;
	size_t		last;
	size_t		k;

	/* Drop leading blank lines, terminators included. */
	for (i = start; i < end; i++)
	{
		if (s[i] == '\n')
			start = i + 1;
		else if (!is_blank(s[i]))
			break;
	}
	/* the 1-based file line where the body starts (for error messages) */
	*first_line = 1;
	for (k = 0; k < start; k++)
		if (s[k] == '\n')
			(*first_line)++;
	if (i == end)
		return pm_strdup("");	/* nothing but blank lines */

	/*
	 * The last non-blank byte is at last - 1; the body ends at the end of
	 * its line, before the terminator.  No '\n' can lie between it and
	 * that end, and CRs ending the line go too.
	 */
	for (last = end; is_blank(s[last - 1]) || s[last - 1] == '\n'; last--)
		;
	while (last < end && s[last] != '\n')
		last++;
	while (s[last - 1] == '\r')
		last--;
	return pm_strndup(s + start, last - start);
}

/* Header keys, in the order pm_revfile_format() writes them. */
typedef enum header_key
{
	KEY_REVISION,
	KEY_DOWN_REVISION,
	KEY_MESSAGE,
	KEY_BRANCH_LABELS,
	KEY_DEPENDS_ON,
	KEY_TRANSACTIONAL,
	KEY_ORDER,
	NUM_KEYS
} header_key;

static const char *const key_names[NUM_KEYS] = {
	"revision", "down_revision", "message", "branch_labels", "depends_on",
	"transactional", "order"
};

/*
 * A hint for an unknown key that is close to a known one: another case,
 * or '-' where '_' belongs.
 */
static void
hint_unknown_key(const char *w, size_t wlen, pm_error *err)
{
	int			k;

	for (k = 0; k < NUM_KEYS; k++)
	{
		const char *name = key_names[k];
		size_t		i;
		bool		close = strlen(name) == wlen;

		for (i = 0; close && i < wlen; i++)
		{
			char		a = w[i];

			if (a >= 'A' && a <= 'Z')
				a += 'a' - 'A';
			if (a == '-')
				a = '_';
			close = a == name[i];
		}
		if (close)
		{
			pm_error_hint(err, "Did you mean \"%s\"?  Header keys are lower case, with underscores.", name);
			return;
		}
	}
	pm_error_hint(err, "Known header keys: revision, down_revision, message, branch_labels, depends_on, transactional.  Write other comments without a colon after the first word.");
}

static bool
parse_bool(const char *s, size_t len, bool *val)
{
	if (span_eq_ci(s, len, "true") || span_eq_ci(s, len, "yes") ||
		span_eq_ci(s, len, "on"))
		*val = true;
	else if (span_eq_ci(s, len, "false") || span_eq_ci(s, len, "no") ||
			 span_eq_ci(s, len, "off"))
		*val = false;
	else
		return false;
	return true;
}

/*
 * Store the value s[vs..ve) (already trimmed) of header key k into rf.
 * Returns false with err filled (err->line is set by the caller).
 */
static bool
store_header(pm_revfile *rf, header_key k, const char *s, size_t vs,
			 size_t ve, pm_error *err)
{
	size_t		vlen = ve - vs;

	switch (k)
	{
		case KEY_REVISION:
			if (vlen == 0)
			{
				pm_error_set(err, PM_ERR_SYNTAX, "empty \"-- revision:\" header");
				pm_error_hint(err, "The revision header names this revision's id.");
				return false;
			}
			if (!check_name(s + vs, vlen, NAME_REVISION, err))
				return false;
			rf->id = pm_strndup(s + vs, vlen);
			return true;
		case KEY_DOWN_REVISION:
			return parse_list(s + vs, vlen, NAME_REVISION, &rf->down_revision, err);
		case KEY_DEPENDS_ON:
			return parse_list(s + vs, vlen, NAME_REVISION, &rf->depends_on, err);
		case KEY_BRANCH_LABELS:
			return parse_list(s + vs, vlen, NAME_LABEL, &rf->branch_labels, err);
		case KEY_MESSAGE:
			pm_free(rf->message);	/* the "" set up front */
			rf->message = pm_strndup(s + vs, vlen);
			return true;
		case KEY_TRANSACTIONAL:
			if (!parse_bool(s + vs, vlen, &rf->transactional))
			{
				pm_error_set(err, PM_ERR_SYNTAX,
							 "invalid value \"%.*s%s\" for \"transactional\"",
							 show_len(vlen), s + vs, show_more(vlen));
				pm_error_hint(err, "Use true or false (yes/no and on/off are accepted too).");
				return false;
			}
			return true;
		case KEY_ORDER:
			{
				size_t		i;
				long		v = 0;

				for (i = 0; i < vlen && v <= PM_MAX_ORDER; i++)
				{
					if (s[vs + i] < '0' || s[vs + i] > '9')
						break;
					v = v * 10 + (s[vs + i] - '0');
				}
				if (vlen == 0 || i < vlen || v < 1 || v > PM_MAX_ORDER)
				{
					pm_error_set(err, PM_ERR_SYNTAX,
								 "invalid value \"%.*s%s\" for \"order\"",
								 show_len(vlen), s + vs, show_more(vlen));
					pm_error_hint(err, "Use a whole number from 1 to 1000000000 (lower loads, and so runs, first among revisions that do not depend on each other).");
					return false;
				}
				rf->order = (int) v;
				return true;
			}
		case NUM_KEYS:
			break;
	}
	return false;					/* not reached */
}

/*
 * One header-area line that is a comment (p is just past "--" and its
 * blanks).  Either an entry "key: value", which is stored, or a plain
 * comment, which is ignored.
 */
static bool
header_comment(pm_revfile *rf, bool *seen, const char *s, size_t p,
			   size_t end, pm_error *err)
{
	size_t		w = p;
	size_t		q;
	int			k;

	if (p == end || !is_word_start(s[p]))
		return true;			/* "--", "-- 1. step", "-- (x)" ... */
	while (w < end && is_word_char(s[w]))
		w++;

	for (k = 0; k < NUM_KEYS; k++)
		if (span_eq(s + p, w - p, key_names[k]))
			break;

	if (k == NUM_KEYS)
	{
		/* "-- word: ..." with an unknown word is a mistyped key. */
		if (w < end && s[w] == ':' && (w + 1 == end || is_blank(s[w + 1])))
		{
			pm_error_set(err, PM_ERR_SYNTAX, "unknown header key \"%.*s%s\"",
						 show_len(w - p), s + p, show_more(w - p));
			hint_unknown_key(s + p, w - p, err);
			return false;
		}
		return true;
	}

	for (q = w; q < end && is_blank(s[q]); q++)
		;
	if (q == end || s[q] != ':')
		return true;			/* "-- message of the day" is a comment */

	if (seen[k])
	{
		pm_error_set(err, PM_ERR_SYNTAX, "duplicate header key \"%s\"",
					 key_names[k]);
		pm_error_hint(err, "Each header key may appear only once.");
		return false;
	}
	seen[k] = true;

	q++;
	trim_span(s, &q, &end);
	return store_header(rf, (header_key) k, s, q, end, err);
}

void
pm_revfile_free(pm_revfile *rf)
{
	if (rf == NULL)
		return;
	pm_free(rf->id);
	pm_strlist_free(&rf->down_revision);
	pm_strlist_free(&rf->depends_on);
	pm_strlist_free(&rf->branch_labels);
	pm_free(rf->message);
	pm_free(rf->upgrade);
	pm_free(rf->downgrade);
	memset(rf, 0, sizeof(*rf));
}

bool
pm_revfile_parse(const char *buf, size_t len, pm_revfile *out, pm_error *err)
{
	bool		seen[NUM_KEYS] = {false};
	bool		in_header = true;
	int			lineno = 0;
	int			up_line = 0;
	size_t		pos = 0;
	const char *nul;

	/* section bodies: [*_start, *_end) of buf, found while scanning */
	bool		has_up = false,
				has_down = false;
	size_t		up_start = 0,
				up_end = 0,
				down_start = 0,
				down_end = 0;

	memset(out, 0, sizeof(*out));
	out->transactional = true;

	/* revision files are UTF-8: say so at the first byte that is not */
	{
		size_t		i = 0;
		int			line = 1;

		while (i < len)
		{
			unsigned char c = (unsigned char) buf[i];
			int			n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 :
				(c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4 : 0;
			int			k;

			for (k = 1; n > 0 && k < n; k++)
				if (i + k >= len || ((unsigned char) buf[i + k] & 0xC0) != 0x80)
					n = 0;
			if (n == 0)
			{
				pm_error_set(err, PM_ERR_SYNTAX, "invalid UTF-8 byte 0x%02X", c);
				err->line = line;
				pm_error_hint(err, "Revision files must be UTF-8; convert the file, e.g. iconv -f LATIN1 -t UTF-8.");
				return false;
			}
			if (c == '\n')
				line++;
			i += n;
		}
	}

	/* a UTF-8 byte order mark some editors write is not part of the file */
	if (len >= 3 && (unsigned char) buf[0] == 0xEF &&
		(unsigned char) buf[1] == 0xBB && (unsigned char) buf[2] == 0xBF)
	{
		buf += 3;
		len -= 3;
	}
	out->message = pm_strdup("");
	pm_error_clear(err);

	if (buf == NULL)
		len = 0;

	/* A NUL byte is refused up front, wherever it is (see top). */
	nul = len ? memchr(buf, '\0', len) : NULL;
	if (nul)
	{
		const char *p;

		lineno = 1;
		for (p = buf; p < nul; p++)
			if (*p == '\n')
				lineno++;
		pm_error_set(err, PM_ERR_SYNTAX, "revision file contains a NUL byte");
		pm_error_hint(err, "Revision files must be text.");
		goto fail;
	}

	while (pos < len)
	{
		size_t		start = pos;
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t		end = nl ? (size_t) (nl - buf) : len;
		marker_kind mk;
		bool		is_up = false;

		lineno++;
		pos = nl ? end + 1 : len;

		mk = classify_marker(buf, start, end, &is_up);
		if (mk == MARK_TRAILING || mk == MARK_UNKNOWN)
		{
			bad_marker(buf, start, end, mk, is_up, err);
			goto fail;
		}
		if (mk == MARK_UP)
		{
			if (has_up)
			{
				pm_error_set(err, PM_ERR_SYNTAX, "duplicate \"-- migrate:up\" section");
				pm_error_hint(err, "A revision file has one upgrade section.");
				goto fail;
			}
			has_up = true;
			in_header = false;
			up_line = lineno;
			up_start = up_end = pos;
			continue;
		}
		if (mk == MARK_DOWN)
		{
			if (!has_up)
			{
				pm_error_set(err, PM_ERR_SYNTAX, "\"-- migrate:down\" before \"-- migrate:up\"");
				pm_error_hint(err, "The upgrade section comes first, then the optional downgrade section.");
				goto fail;
			}
			if (has_down)
			{
				pm_error_set(err, PM_ERR_SYNTAX, "duplicate \"-- migrate:down\" section");
				pm_error_hint(err, "A revision file has at most one downgrade section.");
				goto fail;
			}
			has_down = true;
			up_end = start;
			down_start = down_end = pos;
			continue;
		}

		if (in_header)
		{
			size_t		p = comment_body(buf, start, end);

			if (p != (size_t) -1)
			{
				if (!header_comment(out, seen, buf, p, end, err))
					goto fail;
			}
			else
			{
				size_t		a = start,
							b = end;

				trim_span(buf, &a, &b);
				if (a != b)
				{
					pm_error_set(err, PM_ERR_SYNTAX, "text before \"-- migrate:up\" section");
					pm_error_hint(err, "Only \"--\" comment lines may precede \"-- migrate:up\"; the upgrade script follows it.");
					goto fail;
				}
			}
		}
		/* else: a line of a section body, taken by offsets below */
	}

	if (!has_up)
	{
		/* point at the last line; an empty file has line 1 */
		lineno = lineno > 0 ? lineno : 1;
		pm_error_set(err, PM_ERR_SYNTAX, "missing \"-- migrate:up\" section");
		pm_error_hint(err, "Put the upgrade script after a line \"-- migrate:up\".");
		goto fail;
	}
	if (!seen[KEY_REVISION])
	{
		lineno = up_line;
		pm_error_set(err, PM_ERR_SYNTAX, "missing \"-- revision:\" header");
		pm_error_hint(err, "Add a line \"-- revision: <id>\" before \"-- migrate:up\".");
		goto fail;
	}

	/* A section runs to the next marker, or to the end of the file. */
	if (has_down)
		down_end = len;
	else
		up_end = len;
	out->upgrade = section_body(buf, up_start, up_end, &out->upgrade_line);
	if (has_down)
		out->downgrade = section_body(buf, down_start, down_end,
									  &out->downgrade_line);
	return true;

fail:
	if (err)
		err->line = lineno;
	pm_revfile_free(out);
	return false;
}

/*
 * Append a name list as "a, b".
 */
static void
format_list(pm_buf *b, const char *key, const pm_strlist *l, bool always)
{
	int			i;

	if (l->n == 0 && !always)
		return;
	pm_buf_printf(b, "-- %s:", key);
	for (i = 0; i < l->n; i++)
		pm_buf_printf(b, "%s%s", i ? ", " : " ", l->items[i]);
	pm_buf_puts(b, "\n");
}

/*
 * Append a section.  The body is followed by a newline unless empty; a
 * parsed body never starts or ends with blank lines, so parsing it back
 * yields the same text.
 */
static void
format_section(pm_buf *b, const char *marker, const char *body)
{
	pm_buf_printf(b, "-- migrate:%s\n", marker);
	if (body && body[0])
	{
		pm_buf_puts(b, body);
		pm_buf_puts(b, "\n");
	}
}

/*
 * The text form of a revision.  Keys are written in a fixed order;
 * down_revision and message always (an empty down_revision says "root"
 * explicitly), the others only when they differ from the default.
 *
 * The result parses back to rf when rf is representable, which every
 * parser result is.  What is not: a message with line breaks (each LF or
 * CRLF is written as a space so the file stays valid) or surrounding
 * blanks, and
 * scripts that contain "-- migrate:" lines or leading/trailing blank
 * lines; callers building a pm_revfile by hand (client "revision",
 * import-alembic) should keep to that.
 */
char *
pm_revfile_format(const pm_revfile *rf)
{
	pm_buf		b;
	const char *m;

	pm_buf_init(&b);
	pm_buf_printf(&b, "-- revision: %s\n", rf->id ? rf->id : "");
	format_list(&b, "down_revision", &rf->down_revision, true);

	pm_buf_puts(&b, "-- message:");
	m = rf->message ? rf->message : "";
	if (m[0])
	{
		pm_buf_puts(&b, " ");
		for (; *m; m++)
		{
			/* a line break (LF or CRLF) becomes one space; a lone CR is data */
			if (m[0] == '\r' && m[1] == '\n')
				continue;
			pm_buf_append(&b, *m == '\n' ? " " : m, 1);
		}
	}
	pm_buf_puts(&b, "\n");

	format_list(&b, "branch_labels", &rf->branch_labels, false);
	format_list(&b, "depends_on", &rf->depends_on, false);
	if (!rf->transactional)
		pm_buf_puts(&b, "-- transactional: false\n");
	if (rf->order > 0)
		pm_buf_printf(&b, "-- order: %d\n", rf->order);

	pm_buf_puts(&b, "\n");
	format_section(&b, "up", rf->upgrade);
	if (rf->downgrade)
	{
		pm_buf_puts(&b, "\n");
		format_section(&b, "down", rf->downgrade);
	}
	return b.data;
}
