/*-------------------------------------------------------------------------
 *
 * schemadiff.h
 *	  The schema diff engine: two snapshots in, ordered DDL out
 *	  (server-free).
 *
 * Input: two schema snapshots (doc/snapshot-format.md) as JSON text and an
 * optional rename map, a JSON object such as
 *	{"table public.old": "new", "column public.t.old": "new"}
 * (keys are source ids, values the new raw names).
 *
 * Output: the steps that turn the source schema into the target, in an
 * order that respects every dependency; each with the statement, the
 * statement that undoes it, and a hazard (NULL, or what the statement
 * risks).  The downgrade script is computed the same way in the other
 * direction (target to source, renames inverted), so it is ordered for the
 * way back rather than being the steps reversed.
 *
 * Every name written into SQL is quoted by sqlquote.c from the snapshot's
 * raw names; every literal (comments, enum labels, versions) likewise.
 * Definitions (types, defaults, CHECK bodies, CREATE INDEX/TRIGGER/
 * FUNCTION text, view queries) are SQL printed by the server and are used
 * as they are: a snapshot is the schema as SQL, so it must come from a
 * source the caller trusts.
 *
 * Errors: a snapshot with an object of a kind the engine does not model
 * fails with PM_ERR_UNSUPPORTED, "not compared: KIND NAME" (never treated
 * as equal); malformed input fails with PM_ERR_SYNTAX naming the object.
 *
 * Memory: everything is allocated with pm_malloc; pm_diff_free releases a
 * result (in the server a memory-context reset does it too).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_SCHEMADIFF_H
#define PM_SCHEMADIFF_H

#include "pm_common.h"

typedef struct pm_diff_step
{
	char	   *sql;			/* the statement (may start with a
								 * "-- suggestion:" comment line) */
	char	   *reverse;		/* undoes sql; NULL when one statement cannot
								 * (see the downgrade script) */
	char	   *hazard;			/* NULL or what the statement risks */
	const char *kind;			/* kind of the object (static string) */
	char	   *object;			/* the object's id */

	/*
	 * Hook for a caller that can read the data (the server, the client on a
	 * live database): for a step that deletes values, a query returning how
	 * many it deletes (SELECT count(col) FROM tab), else NULL.
	 */
	char	   *count_sql;
} pm_diff_step;

/*
 * Whether steps add an enum value (ALTER TYPE ... ADD VALUE) that another of
 * the steps names the type of: PostgreSQL refuses to use a new value in the
 * transaction that added it, so such a script cannot run as one
 * transaction.  pm_schema_diff's scripts never have one: they swap the type
 * instead (a rewrite of its tables).  pm_schema_diff_keep_add_value keeps
 * ADD VALUE in the upgrade, for a caller that runs those steps
 * (pm_diff_is_add_value) first, committed on their own (revision
 * --autogenerate writes them as a revision of their own).
 */
struct pm_diff_step;
extern bool pm_diff_uses_new_enum_value(const struct pm_diff_step *steps, int n);
extern bool pm_diff_is_add_value(const struct pm_diff_step *step);

typedef struct pm_diff
{
	int			n;
	pm_diff_step *steps;		/* source -> target, in order */
	int			nrev;
	pm_diff_step *rev;			/* target -> source (the downgrade), in order */
} pm_diff;

/* Both directions: out->steps and out->rev (the downgrade). */
extern bool pm_schema_diff(const char *source, size_t source_len,
						   const char *target, size_t target_len,
						   const char *renames, size_t renames_len,
						   pm_diff *out, pm_error *err);

/* The upgrade only (out->rev stays empty): half the work, for pgmig.diff(). */
extern bool pm_schema_diff_keep_add_value(const char *source, size_t source_len,
										  const char *target, size_t target_len,
										  const char *renames, size_t renames_len,
										  pm_diff *out, pm_error *err);
extern bool pm_schema_diff_upgrade(const char *source, size_t source_len,
								   const char *target, size_t target_len,
								   const char *renames, size_t renames_len,
								   pm_diff *out, pm_error *err);
extern void pm_diff_free(pm_diff *d);

/*
 * Put the result of running s->count_sql into s->hazard: n >= 0 the count
 * ("...: 1,234 non-NULL values are lost"), n < 0 not counted, `why` says
 * why.  A step without count_sql is left alone.
 */
extern void pm_diff_step_counted(pm_diff_step *s, long long n, const char *why);

#endif							/* PM_SCHEMADIFF_H */
