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
 * The fleet options are global options (accepted before and after the
 * command): main.c adds these entries to its getopt_long tables and hands
 * their codes to fleet_global_option().
 */
enum
{
	FLEET_OPT_FILE = 2000,
	FLEET_OPT_QUERY,
	FLEET_OPT_ATOMIC,
	FLEET_OPT_CANARY,
	FLEET_OPT_JSON,
	FLEET_OPT_DECISION_DIR,
	FLEET_OPT_LOG
};

#define FLEET_SHORTOPTS "j:"
#define FLEET_LONG_OPTIONS \
	{"fleet", required_argument, NULL, FLEET_OPT_FILE}, \
	{"fleet-query", required_argument, NULL, FLEET_OPT_QUERY}, \
	{"jobs", required_argument, NULL, 'j'}, \
	{"atomic", no_argument, NULL, FLEET_OPT_ATOMIC}, \
	{"canary", required_argument, NULL, FLEET_OPT_CANARY}, \
	{"json", no_argument, NULL, FLEET_OPT_JSON}, \
	{"decision-dir", required_argument, NULL, FLEET_OPT_DECISION_DIR}, \
	{"fleet-log", required_argument, NULL, FLEET_OPT_LOG}

/*
 * Apply a fleet option: 1 if c is one, 0 if not, -1 after a usage error
 * (a bad number).
 */
extern int	fleet_global_option(int c, const char *arg);

/*
 * Should this run go over a fleet?  True when --fleet or --fleet-query was
 * given before the command, or appears among the command's arguments.
 */
extern bool fleet_wanted(int argc, char **argv);

/* true when --fleet or --fleet-query was given */
extern bool fleet_requested(void);

/*
 * Run opts.command over the fleet; argv as a command gets it (argv[0] is
 * "pgmig COMMAND").  Exit status.
 */
extern int	fleet_run(int argc, char **argv);

/* "pgmig recover" without a fleet: a usage error that says how */
extern int	cmd_recover(int argc, char **argv);

#endif							/* PGMIG_FLEET_H */
