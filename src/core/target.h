/*-------------------------------------------------------------------------
 *
 * target.h
 *	  Alembic-style target expressions and history ranges (server-free).
 *
 * Grammar (whitespace around the expression is ignored):
 *
 *	target	:= base [rel] | rel
 *	base	:= "heads" | "head" | "base" | "current"
 *			 | NAME					id, unique id prefix, or branch label
 *			 | NAME "@head" | NAME "@base"
 *			 | NAME "@"				only with rel: relative to the branch's
 *									current revision (label@+2)
 *	rel		:= ("+" | "-") DIGITS	1 .. 1,000,000,000
 *	range	:= [target] ":" [target]	(history -r)
 *
 * Parsing is separate from resolution so the parser can be unit-tested
 * and fuzzed without a graph.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_TARGET_H
#define PM_TARGET_H

#include "graph.h"

typedef enum pm_target_kind
{
	PM_T_HEADS,
	PM_T_HEAD,
	PM_T_BASE,
	PM_T_CURRENT,
	PM_T_NAME,					/* id, prefix or label */
	PM_T_NAME_HEAD,				/* NAME@head */
	PM_T_NAME_BASE,				/* NAME@base */
	PM_T_NAME_REL,				/* NAME@+N / NAME@-N */
	PM_T_REL					/* +N / -N from current */
} pm_target_kind;

typedef struct pm_target
{
	pm_target_kind kind;
	char		name[PM_MAX_ID_LEN + 1];
	int			rel;			/* signed step count, 0 = none */
} pm_target;

extern bool pm_target_parse(const char *s, pm_target *t, pm_error *err);

/* Render a parsed target back to canonical text (for messages). */
extern void pm_target_format(const pm_target *t, char *out, size_t outlen);

/*
 * Resolve against a built graph.  out receives the target set (empty
 * means base).  *branch_root is set >= 0 when the target is "before the
 * first revision of a branch" (LABEL@base, or a branch-relative step
 * below it); it is -1 otherwise.
 */
extern bool pm_target_resolve(const pm_graph *g, const pm_target *t,
							  pm_set *out, int *branch_root, pm_error *err);

/* Parse and resolve in one go. */
extern bool pm_resolve(const pm_graph *g, const char *expr, pm_set *out,
					   int *branch_root, pm_error *err);

/*
 * History range: *lo / *hi receive marks (size n, 1 = inside) for the
 * lower bound (descendants-or-self of the start; all when empty) and the
 * upper bound (ancestors-or-self of the end; all when empty).  The range
 * is the intersection.
 */
extern bool pm_range_resolve(const pm_graph *g, const char *range,
							 unsigned char *inrange, pm_error *err);

/* What a command does with its steps (pm_plan_command's result). */
typedef enum pm_command_kind
{
	PM_CMD_UPGRADE = 0,
	PM_CMD_DOWNGRADE = 1,
	PM_CMD_STAMP = 2
} pm_command_kind;

/*
 * The steps "upgrade", "downgrade" or "stamp" to target would take, in
 * the order they run (pm_plan_upgrade and friends).  Returns the kind, or
 * -1 with err set (unknown command, target that does not resolve).
 */
extern int	pm_plan_command(const pm_graph *g, const char *command,
							const char *target, pm_set *steps, pm_error *err);

#endif							/* PM_TARGET_H */
