/*-------------------------------------------------------------------------
 *
 * client.h
 *	  Declarations shared by the pgmig client's modules.
 *
 *	  main.c		command table, option parsing (getopt_long), --help texts
 *	  conn.c		connection (-h -p -U -w -W -d), ^C cancel, queries,
 *					NOTICE and error reporting, result printing (print.h)
 *	  folder.c		reading the revision folder and loading it (COPY)
 *	  commands.c	init, load, revision, upgrade/downgrade, stamp, merge,
 *					repair, graph
 *	  queries.c		the read-only commands, one table of queries
 *	  importer.c	import-alembic and stamp --from-alembic
 *	  offline_folder.c	upgrade/downgrade --sql from the folder alone
 *	  review_client.c	review, the review upgrade runs first, and the review of a generated revision
 *
 * The client is a PostgreSQL client program: it is built with PGXS and
 * uses libpgfeutils and libpgcommon as vacuumdb and pg_amcheck do
 * (common/logging.h for messages, fe_utils/print.h for results,
 * fe_utils/cancel.h for ^C).  Messages go to stderr, results to stdout.
 *
 * Statement splitting: the client runs a non-transactional revision one
 * statement at a time as the server cuts it (pgmig.begin_statement), so
 * it has no splitter of its own for running scripts.  The Alembic importer
 * must split offline SQL with no server; it uses the core's splitter
 * (src/core/sqlsplit.c, through
 * src/core/alembic.c), not psql's lexer (fe_utils/psqlscan.h), because the
 * Alembic reader lives in the server-free core, which is also linked into
 * the unit tests and the libFuzzer harnesses, where libpgfeutils is not.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_CLIENT_H
#define PGMIG_CLIENT_H

#include "postgres_fe.h"

#include "getopt_long.h"

#include "common/logging.h"
#include "fe_utils/print.h"
#include "libpq-fe.h"
#include <sys/stat.h>
#include <time.h>
#include "core/pm_common.h"
#include "core/graph.h"
#include "core/revfile.h"

/*
 * PostgreSQL 14's logging has no detail/hint variants (added in 15); the
 * client is not built on 13 (no fe_utils/option_utils.h).
 */
#if PG_VERSION_NUM < 150000
#define pg_log_error_detail(...) pg_log_info(__VA_ARGS__)
#define pg_log_error_hint(...) pg_log_info(__VA_ARGS__)
#define pg_log_warning_hint(...) pg_log_info(__VA_ARGS__)
#endif

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_DIFFERENT	3		/* pgmig diff --exit-code: the schemas differ */

/* Global options: accepted before and after the command name */
typedef struct options
{
	/* connection, as in PostgreSQL's client programs */
	const char *dbname;			/* -d: a database name, conninfo or URI */
	const char *host;			/* -h */
	const char *port;			/* -p */
	const char *username;		/* -U */
	bool		no_password;	/* -w: never prompt */
	bool		force_password; /* -W: prompt before connecting */

	const char *dir;			/* --dir, else $PGMIG_DIR, else pgmig.conf's
								 * dir, else ./migrations */
	const char *conf_dbname;	/* pgmig.conf's database_url (after -d and
								 * $DATABASE_URL) */
	const char *file_template;	/* pgmig.conf's file_template, or NULL */
	bool		quiet;			/* -q: no progress lines */
	enum printFormat format;	/* aligned (default), -A unaligned, --csv */
	bool		expanded;		/* -x: one record per block */
	const char *command;
} options;

extern options opts;

/*
 * getopt_long over a command's arguments (argv[0] is "pgmig COMMAND"),
 * with the global options added to the command's own and handled here.
 * Returns the command's option characters, -1 at the end (positionals
 * from optind on), or '?' after a usage error has been printed.
 */
extern int	command_getopt(int argc, char **argv, const char *shortopts,
						   const struct option *longopts);
/* Make the next command_getopt() scan its arguments from the start. */
extern void restart_getopt(void);
/* Commands without options: false after a usage error */
extern bool parse_no_options(int argc, char **argv, int max_positionals);
/* false (after a usage error) if positionals are left after the options */
extern bool no_positionals(int argc, char **argv);
/* Print "pgmig: error: MESSAGE" and the --help hint; returns EXIT_USAGE. */
extern int	usage_error(const char *fmt,...) pg_attribute_printf(1, 2);

/* progress line on stderr, suppressed by --quiet */
extern void progress(const char *fmt,...) pg_attribute_printf(1, 2);

/* ---- conn.c ---- */
/* ^C: cancel the running server call (fe_utils/cancel.h) */
extern void setup_cancel(void);
extern PGconn *connect_db(void);
/* set around connect_db(): a failed connection is a warning, not an error */
extern bool connect_quietly;
/* a database named for another purpose (diff sides, --from-db, --dev-url) */
extern PGconn *connect_conninfo(const char *spec);
extern void disconnect_db(PGconn *conn);
/* Connect and make sure the extension is there; NULL on failure. */
extern PGconn *connect_pgmig(void);
/*
 * Run a command; on failure print the server's error and return NULL.
 * After ^C (CancelRequested) no further command is sent.
 */
extern PGresult *run_sql(PGconn *conn, const char *sql, int nparams,
						 const char *const *params);
/* Same, but true/false, result discarded. */
extern bool exec_sql(PGconn *conn, const char *sql, int nparams,
					 const char *const *params);
extern void report_result_error(const PGresult *res);
/* true if the pgmig extension is installed (prints a hint if not). */
extern bool require_extension(PGconn *conn);
/* Print a result with psql's printer, in the --csv/-A/-x format. */
extern void print_result(const PGresult *res, bool expanded);
extern void print_titled(const PGresult *res, const char *title, bool expanded);

/* ---- folder.c ---- */
/* What the folder's fingerprint takes from a file's stat (48 bytes, not 144). */
typedef struct file_stamp
{
	long long	size;
	unsigned long long ino;
	struct timespec mtim;
	struct timespec ctim;
} file_stamp;

typedef struct revfile_entry
{
	char	   *path;			/* as found under --dir */
	char	   *name;			/* file name only */
	pm_revfile	rf;
	char	   *text;			/* the file as read, or NULL: read again when
								 * asked for (see TEXT_BUDGET in folder.c) */
	file_stamp	st;				/* of the open file: the fingerprint */
	char		digest[65];		/* load digest (core/revfile.h) */
} revfile_entry;

typedef struct revdir
{
	int			n;
	revfile_entry *files;		/* parents before children, then by name */
	char	   *missing;		/* "parent has no file" errors, or NULL */
	char	   *fingerprint;	/* folder_fingerprint(), NULL if racy */
} revdir;

/* Create --dir as mkdir -p: 1 created, 0 existed, -1 error reported. */
extern int	make_revision_folder(void);
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
extern bool load_dir_for_run(PGconn *conn);
extern char *folder_fingerprint(const revfile_entry *files, int n, time_t start);
extern int	folder_recorded(PGconn *conn);
/* the load gives up (false) instead of waiting for another run's lock */
extern bool load_lock_nowait;
extern char *read_file(const char *path, size_t *len);
extern bool write_file_new(const char *path, const char *content);
extern char *slugify(const char *msg);
extern bool ends_with(const char *s, const char *suffix);
/* "FILE:LINE: message" of a parse error in a file, with its detail and hint */
extern void report_file_error(const char *path, const pm_error *err);
/* --dir/<id>_<slug of message>.sql (pm_malloc'd) */
extern char *revision_path(const char *id, const char *msg);

/* ---- commands ---- */
extern int	cmd_init(int argc, char **argv);
extern int	cmd_load(int argc, char **argv);
extern int	cmd_revision(int argc, char **argv);
extern int	cmd_upgrade(int argc, char **argv);
extern int	cmd_downgrade(int argc, char **argv);
extern int	cmd_stamp(int argc, char **argv);
/* current, heads, branches, show, status (queries.c: by command name) */
extern int	cmd_readonly(int argc, char **argv);
extern int	cmd_current(int argc, char **argv);
extern int	cmd_heads(int argc, char **argv);
extern int	cmd_history(int argc, char **argv);
extern int	cmd_merge(int argc, char **argv);
extern int	cmd_check(int argc, char **argv);
extern int	cmd_graph(int argc, char **argv);
extern int	cmd_repair(int argc, char **argv);
extern int	cmd_import_alembic(int argc, char **argv);
extern int	cmd_diff(int argc, char **argv);
extern int	cmd_drift(int argc, char **argv);
extern int	cmd_test(int argc, char **argv);

/* ---- offline_folder.c: --sql from the folder alone ---- */
/* the script of "command target" from state start (NULL: base), printed */
extern int	offline_script(const char *command, const char *start,
						   const char *target);

/* ---- autogen.c: snapshots, diffs, scratch databases ---- */
extern bool autogen_rename(char **map, const char *spec);
extern int	autogen_diff(const char *from, const char *to, const char *dev_url,
						 const char *renames, bool exit_code);
/* one side's snapshot (scratch dropped); a's script towards b (fleet diff) */
extern char *autogen_snapshot(const char *side, const char *dev_url);
extern char *autogen_conn_snapshot(PGconn *conn);
extern bool autogen_compare(const char *a, const char *b, const char *renames,
							char **script, int *nsteps);
extern bool autogen_scripts(const revdir *d, const char *schema_file,
							const char *from_db, const char *dev_url,
							const char *renames, char **upgrade,
							char **downgrade, char **pre_upgrade,
							char **pre_downgrade, bool *nochange);

/* ---- review_client.c ---- */
extern int	cmd_review(int argc, char **argv);
/* Print the review of an upgrade to target; false: stop (errors, no --force) */
extern bool review_before_upgrade(PGconn *conn, const char *target, bool force);
/* after revision --autogenerate: the new revision reviewed, printed only */
extern void review_new_revision(const char *id);
extern int	stamp_from_alembic(PGconn *conn, const char *version_table);

/* Print the --help text of a command (main.c). */
extern bool print_command_help(const char *command);

#endif							/* PGMIG_CLIENT_H */
