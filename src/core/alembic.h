/*-------------------------------------------------------------------------
 *
 * alembic.h
 *	  Read Alembic's offline SQL output (server-free).
 *
 * "alembic upgrade --sql base:heads" (which is what "flask db upgrade
 * --sql" runs) prints every migration as a block:
 *
 *	-- Running upgrade  -> a1b2c3d4e5f6			(a root)
 *	-- Running upgrade a1b2c3d4e5f6 -> b2c3d4e5f6a7
 *	-- Running upgrade b2c3..., c3d4... -> d4e5...	(a merge)
 *
 * followed by the migration's statements and Alembic's own bookkeeping
 * on its version table.  "alembic downgrade --sql heads:base" prints
 * "-- Running downgrade B -> A" blocks the same way.  From both we
 * recover, per revision: id, parents, the upgrade and downgrade scripts
 * (bookkeeping, BEGIN and COMMIT stripped), and whether the migration
 * ran outside a transaction (an autocommit_block prints "COMMIT;" before
 * its statements and "BEGIN;" after them).
 *
 * Alembic's offline output does not carry the revision message; when a
 * header has the form "-- Running upgrade A -> B, message" (what
 * Alembic's log line looks like, and what a customised env.py may
 * print), the message is taken from it; otherwise it is "".  The Python
 * revision files themselves can fill in message, branch_labels and
 * depends_on (pm_alembic_pyfile).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_ALEMBIC_H
#define PM_ALEMBIC_H

#include "revfile.h"

typedef struct pm_alembic_rev
{
	char	   *id;
	pm_strlist	down_revision;
	char	   *message;		/* "" when unknown */
	char	   *upgrade;		/* never NULL */
	char	   *downgrade;		/* NULL until its downgrade block is seen */
	bool		transactional;	/* false: ran in an autocommit block */
	int			line;			/* line of its upgrade header */
	int			down_pos;		/* 1-based position of its downgrade block; 0 */
} pm_alembic_rev;

typedef struct pm_alembic
{
	int			n;
	pm_alembic_rev *revs;		/* in the order Alembic ran them */
	int			cap;
	int			nignored;		/* non-bookkeeping statements outside any block */
	int			ignored_line;	/* line of the first of them */
} pm_alembic;

extern void pm_alembic_init(pm_alembic *a);
extern void pm_alembic_free(pm_alembic *a);

/*
 * version_table: Alembic's version table name (NULL: "alembic_version");
 * a statement on it, schema-qualified or not, is bookkeeping.
 *
 * parse_upgrade adds one revision per upgrade block; a duplicate id,
 * a malformed header, or a downgrade header is an error (err->line set).
 * parse_downgrade attaches each downgrade block's script to a revision
 * already read; an unknown revision is an error.
 *
 * Both refuse output that is not whole (issue 12 item 7): the output must
 * end with COMMIT, and its last block must contain a statement on the
 * version table (Alembic's bookkeeping, which ends every block), so a
 * truncated file is never imported with a partial last script or as an
 * empty downgrade.  The error names the last block and hints at
 * --version-table when only the bookkeeping is missing.
 */
extern bool pm_alembic_parse_upgrade(pm_alembic *a, const char *buf, size_t len,
									 const char *version_table, pm_error *err);
extern bool pm_alembic_parse_downgrade(pm_alembic *a, const char *buf, size_t len,
									   const char *version_table, pm_error *err);

extern int	pm_alembic_find(const pm_alembic *a, const char *id);

/*
 * pgmig downgrades in the exact reverse of the upgrade order (graph.h);
 * Alembic does the same for a whole history.  Returns the index of the
 * first revision whose downgrade block breaks that (another revision
 * downgraded after it ran after it in the upgrade output), or -1.
 */
extern int	pm_alembic_downgrade_misordered(const pm_alembic *a);

/*
 * Read the metadata of one Alembic revision file (Python): the
 * "revision = '...'" assignment (required: returns false without it),
 * the first line of the module docstring (message), branch_labels and
 * depends_on (None, 'x', ('x', 'y') or ['x']).  Only these simple forms
 * are understood; anything else leaves the field empty.
 */
typedef struct pm_alembic_py
{
	char	   *id;
	char	   *message;
	pm_strlist	branch_labels;
	pm_strlist	depends_on;
} pm_alembic_py;

extern bool pm_alembic_pyfile(const char *buf, size_t len, pm_alembic_py *out);
extern void pm_alembic_py_free(pm_alembic_py *p);

#endif							/* PM_ALEMBIC_H */
