/*-------------------------------------------------------------------------
 *
 * fleet.h
 *	  pgmig client: running a command over a fleet of databases
 *	  (--fleet FILE / --fleet-query SQL), in parallel, independently or
 *	  all-or-nothing with two-phase commit.  See fleet.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_FLEET_H
#define PGMIG_FLEET_H

#include <stdbool.h>

typedef struct fleet_options
{
	const char *file;			/* --fleet FILE */
	const char *query;			/* --fleet-query SQL (run on -d) */
	int			jobs;			/* -j N: connections open at once */
	bool		atomic;			/* --atomic: two-phase commit */
	int			canary;			/* --canary N */
	bool		json;			/* --json */
	const char *decision_dir;	/* --decision-dir DIR */
	const char *log_dir;		/* --fleet-log DIR: keep per-target logs */
} fleet_options;

extern fleet_options fleet_opts;

/*
 * Called by main() for every global argument: if argv[*i] is a fleet
 * option, consume it (and its value, advancing *i) and return 1; return 0
 * if it is not one; return -1 after a usage error.
 */
extern int	fleet_take_option(int argc, char **argv, int *i);

/* true when --fleet or --fleet-query was given */
extern bool fleet_requested(void);

/* Run opts.command with its arguments over the fleet; exit status. */
extern int	fleet_run(int argc, char **argv);

#endif							/* PGMIG_FLEET_H */
