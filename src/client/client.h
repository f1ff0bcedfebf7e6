/*-------------------------------------------------------------------------
 *
 * client.h
 *	  Declarations shared by the pgmig client's modules.
 *
 *	  main.c		option parsing, command dispatch, --help texts
 *	  conn.c		connection, queries, NOTICE and error reporting
 *	  output.c		psql-like aligned / expanded / CSV output
 *	  load.c		reading the revision folder and loading it (COPY)
 *	  commands.c	init, load, revision, upgrade/downgrade, stamp, and the
 *					read-only commands
 *	  importer.c	import-alembic and stamp --from-alembic
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_CLIENT_H
#define PGMIG_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include "libpq-fe.h"
#include "core/pm_common.h"
#include "core/graph.h"
#include "core/revfile.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

typedef enum out_format
{
	FMT_ALIGNED,
	FMT_CSV
} out_format;

/* Global options */
typedef struct options
{
	const char *conninfo;		/* -d, or NULL */
	const char *dir;			/* --dir, default ./migrations */
	bool		quiet;
	out_format	format;
	const char *command;
} options;

extern options opts;

/* ---- command-line parsing of a command's own arguments ---- */
typedef struct optdef
{
	const char *longname;		/* without "--" */
	char		shortname;		/* 0 if none */
	bool		has_arg;
} optdef;

typedef struct parsed_opt
{
	const char *name;			/* longname of the matched optdef */
	const char *value;			/* NULL for a flag */
} parsed_opt;

typedef struct cmd_args
{
	int			nopts;
	parsed_opt	opts[64];
	int			npos;
	const char *pos[256];
} cmd_args;

/* Returns false (after printing a usage error) on an unknown option. */
extern bool parse_cmd_args(int argc, char **argv, const optdef *defs,
						   cmd_args *out);
extern const char *arg_value(const cmd_args *a, const char *name);
extern bool arg_flag(const cmd_args *a, const char *name);
extern int	usage_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* ---- messages ---- */
extern void pg_log_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void pg_log_warning(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void pg_log_hint(const char *fmt,...) __attribute__((format(printf, 1, 2)));
/* progress line on stderr, suppressed by --quiet */
extern void progress(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* ---- conn.c ---- */
extern PGconn *connect_db(void);
extern void disconnect_db(PGconn *conn);
/* Run a command; on failure print the server's error and return NULL. */
extern PGresult *run_sql(PGconn *conn, const char *sql, int nparams,
						 const char *const *params);
/* Same, but true/false, result discarded. */
extern bool exec_sql(PGconn *conn, const char *sql, int nparams,
					 const char *const *params);
extern void report_result_error(const PGresult *res);
/* true if the pgmig extension is installed (prints a hint if not). */
extern bool require_extension(PGconn *conn);

/* ---- output.c ---- */
extern void print_table(const PGresult *res, const char *title);
extern void print_expanded(const PGresult *res);

/* ---- load.c ---- */
typedef struct revfile_entry
{
	char	   *path;			/* as found under --dir */
	char	   *name;			/* file name only */
	pm_revfile	rf;
} revfile_entry;

typedef struct revdir
{
	int			n;
	revfile_entry *files;		/* parents before children, then by name */
	char	   *missing;		/* "parent has no file" errors, or NULL */
} revdir;

/* Read and parse every *.sql in dir; false (error printed) on any problem. */
extern bool read_revdir(const char *dir, revdir *out);
extern void free_revdir(revdir *d);
/*
 * Load the folder into the database in the current transaction state:
 * if in_tx is false, in a transaction of its own.  Reports drift (an
 * applied revision whose file is missing or edited) and returns false.
 */
extern bool load_revisions(PGconn *conn, const revdir *d, bool own_tx);
extern bool load_dir(PGconn *conn, bool own_tx);
extern char *read_file(const char *path, size_t *len);
extern bool write_file_new(const char *path, const char *content);
extern char *slugify(const char *msg);

/* ---- commands ---- */
extern int	cmd_init(int argc, char **argv);
extern int	cmd_load(int argc, char **argv);
extern int	cmd_revision(int argc, char **argv);
extern int	cmd_upgrade(int argc, char **argv);
extern int	cmd_downgrade(int argc, char **argv);
extern int	cmd_stamp(int argc, char **argv);
extern int	cmd_current(int argc, char **argv);
extern int	cmd_heads(int argc, char **argv);
extern int	cmd_branches(int argc, char **argv);
extern int	cmd_history(int argc, char **argv);
extern int	cmd_show(int argc, char **argv);
extern int	cmd_merge(int argc, char **argv);
extern int	cmd_check(int argc, char **argv);
extern int	cmd_status(int argc, char **argv);
extern int	cmd_graph(int argc, char **argv);
extern int	cmd_repair(int argc, char **argv);
extern int	cmd_import_alembic(int argc, char **argv);
extern int	stamp_from_alembic(PGconn *conn, const char *version_table);

/* Print the --help text of a command (main.c). */
extern bool print_command_help(const char *command);

#endif							/* PGMIG_CLIENT_H */
