/*-------------------------------------------------------------------------
 *
 * revfile.h
 *	  Parser for pgmig's revision file format (server-free).
 *
 * A revision file is a block of "-- key: value" header lines followed by
 * dbmate-style sections:
 *
 *	-- revision: 3f2a9c1b7d40
 *	-- down_revision: 1a2b3c4d5e6f          (empty/absent: a root; a,b: merge)
 *	-- message: Add audio timestamps
 *	-- branch_labels: audio                  (optional, comma separated)
 *	-- depends_on: 9c8b7a6d5e4f              (optional, comma separated)
 *	-- transactional: false                  (optional, default true)
 *	-- order: 3                              (optional: load position)
 *
 *	-- migrate:up
 *	ALTER TABLE segment ADD COLUMN audio_start_ms integer;
 *
 *	-- migrate:down
 *	ALTER TABLE segment DROP COLUMN audio_start_ms;
 *
 * Rules:
 *	- Header lines are the "-- key: value" lines before "-- migrate:up".
 *	  Blank lines and other plain "--" comment lines (no recognised
 *	  "key:" form) between them are allowed and ignored; a line of the
 *	  form "-- word: ..." with an unknown key is an error naming the key.
 *	  Keys are case-sensitive; each may appear once.
 *	- Any non-comment, non-blank line before "-- migrate:up" is an error.
 *	- "-- migrate:up" is required, once.  "-- migrate:down" is optional,
 *	  once, after up.  No section: irreversible (has_down = false).  An
 *	  empty down section is reversible with an empty script.
 *	- The section body is the text between the marker line and the next
 *	  marker (or EOF), byte for byte except that the marker lines
 *	  themselves are removed.  Leading and trailing blank lines of a body
 *	  are trimmed.
 *	- ids, parents, depends_on and labels must match [A-Za-z0-9_]{1,64};
 *	  reserved words (head, heads, base, current) are refused as ids and
 *	  labels.  Items are comma separated, surrounding blanks ignored,
 *	  empty list allowed for down_revision/depends_on/branch_labels.
 *	- transactional accepts true/false/yes/no/on/off (case-insensitive).
 *	- order is a whole number 1..PM_MAX_ORDER: where the revision loads
 *	  among revisions that do not depend on each other (lower first;
 *	  revisions without it after those with it, by file name), and so
 *	  where it runs (plans follow the load order, graph.h).
 *	  import-alembic writes the position of each revision in Alembic's
 *	  offline script, so an imported history runs in Alembic's order.
 *	- CRLF line endings are accepted anywhere.
 *	- The input may contain NUL bytes or invalid text; the parser must
 *	  never read out of bounds (it is fuzzed).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_REVFILE_H
#define PM_REVFILE_H

#include "pm_common.h"

#define PM_MAX_ORDER 1000000000

typedef struct pm_strlist
{
	int			n;
	char	  **items;			/* each NUL-terminated, pm_malloc'd */
} pm_strlist;

typedef struct pm_revfile
{
	char	   *id;				/* required */
	pm_strlist	down_revision;
	pm_strlist	depends_on;
	pm_strlist	branch_labels;
	char	   *message;		/* "" when absent */
	bool		transactional;	/* default true */
	int			order;			/* 0: none (see "order" above) */
	char	   *upgrade;		/* never NULL */
	char	   *downgrade;		/* NULL when there is no migrate:down */
	int			upgrade_line;	/* file line of the upgrade body's first line */
	int			downgrade_line; /* likewise; 0 when there is no downgrade */
} pm_revfile;

/*
 * Parse buf[0..len).  On success fills *out and returns true.  On failure
 * returns false with err->line set to the offending line (1-based) and
 * err->msg describing it; *out is left freed/zeroed.
 */
extern bool pm_revfile_parse(const char *buf, size_t len, pm_revfile *out,
							 pm_error *err);
extern void pm_revfile_free(pm_revfile *rf);

/*
 * Render a revision back into the file format (used by the client's
 * "revision" command and by import-alembic).  Returns a pm_malloc'd string.
 * pm_revfile_parse(pm_revfile_format(rf)) yields rf again.
 */
extern char *pm_revfile_format(const pm_revfile *rf);

/*
 * Parse a comma separated name list ("a, b,c").  Validates each item as a
 * revision name.  Returns false on a malformed item.
 */
extern bool pm_parse_name_list(const char *s, size_t len, pm_strlist *out,
							   pm_error *err);
extern void pm_strlist_free(pm_strlist *l);

/*
 * SHA-256 of a revision's scripts as hex (64 chars + NUL written to out).
 * The digest covers, in this order:
 *	"up\n" normalised(upgrade) "\0"
 *	"down\n" normalised(downgrade) "\0"   or "nodown\0" when downgrade NULL
 *	"transactional\n" ("true"|"false")
 * where normalised() is pm_normalize_script().
 */
extern void pm_checksum(const char *upgrade, const char *downgrade,
						bool transactional, char out[65]);

/*
 * The load digest of a revision (hex, 64 chars + NUL): SHA-256 over every
 * column a folder load compares -- id, down_revision, depends_on,
 * branch_labels (each list joined with ",", names cannot contain one),
 * message, the scripts' checksum (pm_checksum) and the file lines of the
 * two sections (0: unknown).  Each field is hashed as its length in
 * decimal, ":" and its bytes, so no two different rows share an encoding.
 * The client computes it from a parsed file, pgmig.load_folder() from the
 * row in pgmig.revision: equal digests mean loading the file would change
 * nothing, so only files whose digest differs are sent whole.
 */
extern void pm_revision_digest(const char *id, const char *down_revision,
							   const char *depends_on, const char *branch_labels,
							   const char *message, const char *checksum,
							   int upgrade_line, int downgrade_line,
							   char out[65]);

/* The load digest of a parsed revision file. */
extern void pm_revfile_digest(const pm_revfile *rf, char out[65]);

/* l's items joined with "," (pm_malloc'd; "" for an empty list) */
extern char *pm_strlist_join(const pm_strlist *l);

/* Plain SHA-256 (sha256.c). */
typedef struct pm_sha256_ctx
{
	unsigned int state[8];
	unsigned long long bitlen;
	unsigned char buf[64];
	size_t		buflen;
} pm_sha256_ctx;

extern void pm_sha256_init(pm_sha256_ctx *c);
extern void pm_sha256_update(pm_sha256_ctx *c, const void *data, size_t len);
extern void pm_sha256_final(pm_sha256_ctx *c, unsigned char out[32]);
/* pm_sha256_final() written as 64 lower-case hex digits and a NUL */
extern void pm_sha256_final_hex(pm_sha256_ctx *c, char out[65]);

/*
 * n bytes as 2n lower-case hex digits (no NUL): how pgmig spells every
 * checksum and digest.
 */
extern void pm_hex_encode(const unsigned char *in, size_t n, char *out);

#endif							/* PM_REVFILE_H */
