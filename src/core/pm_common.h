/*-------------------------------------------------------------------------
 *
 * pm_common.h
 *	  Shared definitions of pgmig's server-free core.
 *
 * Everything under src/core is plain C99: no PostgreSQL backend header is
 * included, so the same objects link into the extension, the pgmig client,
 * the unit tests and the fuzz harnesses.
 *
 * Memory: the core never calls malloc directly.  It calls pm_malloc(),
 * pm_realloc() and pm_free(), which each program provides: the extension
 * maps them onto palloc in the current memory context (so a context reset
 * frees everything, and out-of-memory raises a normal ERROR), the client
 * and the tests map them onto malloc and abort on exhaustion
 * (alloc_std.c).
 *
 * Errors: a core function that can fail fills a pm_error and returns false
 * (or -1).  The caller turns it into an ereport() or a message on stderr;
 * pm_error.code says which SQLSTATE the server should use.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_COMMON_H
#define PM_COMMON_H

#include <stdbool.h>
#include <stddef.h>

/* Longest revision id or branch label (SPEC: [A-Za-z0-9_]{1,64}). */
#define PM_MAX_ID_LEN 64

/* Error classes; the server maps each to one SQLSTATE (see README). */
typedef enum pm_errcode
{
	PM_OK = 0,
	PM_ERR_SYNTAX,				/* malformed input: 42601 / 22P02 */
	PM_ERR_INVALID_NAME,		/* bad or reserved id / label: 42602 */
	PM_ERR_UNDEFINED,			/* unknown revision or label: PM001 */
	PM_ERR_AMBIGUOUS,			/* ambiguous prefix, several heads: PM002 */
	PM_ERR_DUPLICATE,			/* duplicate id or label: 42710 */
	PM_ERR_CYCLE,				/* cycle in the graph: PM003 */
	PM_ERR_RANGE,				/* step past base or head: PM004 */
	PM_ERR_STATE,				/* needs a single current head etc.: 55000 */
	PM_ERR_UNSUPPORTED,			/* object kind the diff does not model: PM011 */
	PM_ERR_IRREVERSIBLE,		/* no downgrade script: PM005 */
	PM_ERR_NON_TRANSACTIONAL	/* cannot run in a transaction / a script: PM007 */
} pm_errcode;

typedef struct pm_error
{
	pm_errcode	code;
	char		msg[512];
	char		detail[1024];
	char		hint[512];
	int			line;			/* 1-based input line, 0 if not applicable */
} pm_error;

extern void pm_error_clear(pm_error *err);
extern void pm_error_set(pm_error *err, pm_errcode code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern void pm_error_detail(pm_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void pm_error_hint(pm_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Provided by the program that links the core. */
extern void *pm_malloc(size_t size);
extern void *pm_realloc(void *ptr, size_t size);
extern void pm_free(void *ptr);

/*
 * Big blocks for bulk structures (the JSON reader's arena): where the
 * program can, memory advised for transparent huge pages, which a new
 * process faults in 2 MB at a time instead of 4 kB (on a virtual machine a
 * fault costs microseconds: parsing a 4.6 MB snapshot spent four fifths
 * of its time in them).  Freed only with pm_free_large.
 */
extern void *pm_malloc_large(size_t size);
extern void pm_free_large(void *ptr);

/*
 * A block goes to huge pages when it fills one with the most either
 * program adds in front of it; smaller ones are plain pm_malloc memory.
 */
#define PM_HUGE_PAGE_SIZE	((size_t) 2 * 1024 * 1024)
#define PM_LARGE_OVERHEAD	((size_t) 64)
#define PM_LARGE_MIN		(PM_HUGE_PAGE_SIZE - PM_LARGE_OVERHEAD)

/*
 * Where pm_malloc allocates now, and making such an answer current again
 * (returning the one it replaces): a structure that allocates after it
 * was made (the graph's lookup table, built on first use) allocates where
 * it was made, not in a shorter-lived place current at the time.  The
 * extension answers with its memory contexts; programs that only malloc
 * answer NULL and ignore it.
 */
extern void *pm_alloc_context(void);
extern void *pm_alloc_use(void *cxt);
extern char *pm_strndup(const char *s, size_t n);
extern char *pm_strdup(const char *s);

/* true if s (length len) matches [A-Za-z0-9_]{1,64} */
extern bool pm_valid_name(const char *s, size_t len);
/* s[0..n) equals the lower-case ASCII word, ignoring ASCII case */
extern bool pm_word_ieq(const char *s, size_t n, const char *word);

/* true for head, heads, base, current */
extern bool pm_reserved_name(const char *s);

/*
 * Growable string buffer (like StringInfo) for messages and generated text.
 */
typedef struct pm_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		large;			/* pm_malloc_large blocks (pm_buf_init_large):
								 * data is freed with pm_free_large */
} pm_buf;

extern void pm_buf_init(pm_buf *b);
/* For text of megabytes (a snapshot): grown in huge-page blocks. */
extern void pm_buf_init_large(pm_buf *b);
extern void pm_buf_append(pm_buf *b, const char *s, size_t n);
extern void pm_buf_puts(pm_buf *b, const char *s);
extern void pm_buf_printf(pm_buf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void pm_buf_free(pm_buf *b);

/*
 * Script normalisation used for checksums (SPEC): CRLF becomes LF, blanks
 * (spaces and tabs) at the end of every line are dropped, blank lines at
 * the end of the script are dropped.  Returns a new string.
 */
extern char *pm_normalize_script(const char *s, size_t len, size_t *outlen);

/*
 * Text made safe to write after "-- " in generated SQL: every C0 control
 * character (LF and CR end a psql line), DEL and backslash are written as
 * visible escapes (\n, \r, \t, \xNN, \\), so nothing can end the comment
 * or start a psql meta-command.  Returns a pm_malloc'd string.
 */
extern char *pm_comment_text(const char *s);

#endif							/* PM_COMMON_H */
