/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small, strict JSON reader for schema snapshots (server-free).
 *
 * The diff engine reads snapshots (doc/snapshot-format.md) in the server,
 * in the client and in the tests, so it cannot use the backend's jsonb.
 * This reader accepts exactly RFC 8259 JSON: objects, arrays, strings
 * with every escape (\uXXXX surrogate pairs become UTF-8), numbers (kept
 * as their text), true, false, null; nothing else (no comments, no
 * trailing commas, no leading zeros, no control characters in strings,
 * no text after the value).  It also refuses what a snapshot never holds:
 * \u0000 (PostgreSQL's text cannot hold NUL), duplicate keys, and nesting
 * deeper than PM_JSON_MAX_DEPTH (so hostile input cannot exhaust the
 * stack).  Bytes >= 0x80 pass through unchecked: the server has already
 * validated them against its encoding.
 *
 * Errors: pm_json_parse returns NULL and fills err with the byte offset
 * and what was expected there (PM_ERR_SYNTAX).
 *
 * Memory: a parsed tree lives in an arena of a few big pm_malloc'd chunks;
 * pm_json_free, on the root that pm_json_parse returned (never on a value
 * inside it), frees it all at once (in the server a context reset frees it
 * too).  Its strings must not be freed or reallocated one by one; to put a
 * new string into a tree, use pm_json_set_str.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_JSON_H
#define PM_JSON_H

#include "pm_common.h"

#define PM_JSON_MAX_DEPTH 200

typedef enum pm_json_type
{
	PM_JSON_NULL,
	PM_JSON_FALSE,
	PM_JSON_TRUE,
	PM_JSON_NUMBER,
	PM_JSON_STRING,
	PM_JSON_ARRAY,
	PM_JSON_OBJECT
} pm_json_type;

typedef struct pm_json
{
	pm_json_type type;
	char	   *str;			/* STRING: value (NUL-terminated, no NUL
								 * inside); NUMBER: its text */
	size_t		len;			/* length of str */
	int			n;				/* ARRAY/OBJECT: number of items */
	struct pm_json *items;		/* ARRAY: elements; OBJECT: values */
	char	  **keys;			/* OBJECT: keys, sorted in jsonb's order
								 * (pm_json_key_cmp) */
} pm_json;

extern pm_json *pm_json_parse(const char *s, size_t len, pm_error *err);
extern void pm_json_free(pm_json *root);

/*
 * Make v (a value inside the tree of root) the string s, a pm_malloc'd
 * string the tree now owns (freed by pm_json_free(root)).
 */
extern void pm_json_set_str(pm_json *root, pm_json *v, char *s);

/*
 * The order of an object's keys: jsonb's (shorter first, then by bytes), the
 * order PostgreSQL prints a jsonb object in and pm_json_write writes.
 */
extern int	pm_json_key_cmp(const char *a, const char *b);

/* Member of an object by key (NULL when absent or v is not an object). */
extern const pm_json *pm_json_get(const pm_json *v, const char *key);

/* Member as a string: NULL when absent, JSON null, or not a string. */
extern const char *pm_json_str(const pm_json *v, const char *key);

/* Member as a bool: false when absent or not true. */
extern bool pm_json_bool(const pm_json *v, const char *key);

/* Deep equality; numbers compare by their text. */
extern bool pm_json_equal(const pm_json *a, const pm_json *b);

/* Append v as compact JSON text. */
extern void pm_json_write(pm_buf *b, const pm_json *v);

#endif							/* PM_JSON_H */
