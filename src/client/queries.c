/*-------------------------------------------------------------------------
 *
 * queries.c
 *	  pgmig client: the read-only commands (current, heads, branches,
 *	  history, show, check, status), driven by one table of queries.
 *
 * Each command is one row: the columns it selects, the set-returning
 * function of the extension it reads, how many arguments it takes, and
 * whether the result is one record shown expanded.  One function runs
 * them all, with psql's printer (conn.c's print_result), so the commands
 * differ only in data.
 *
 * The folder is the truth for reading too (as Alembic reads its versions
 * folder): each command first loads --dir inside a transaction that is
 * rolled back after the query, so files not loaded yet show up and check
 * sees edited or deleted applied files, and nothing changes.  When that
 * cannot be done (the role may not write pgmig.revision, another run holds
 * the migration lock, the folder is missing or broken) the command shows
 * the database's view with a warning.  The lock is never waited for.
 * A folder whose fingerprint a load recorded (pgmig.folder_unchanged) is
 * not read at all: loading it would change nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include <sys/stat.h>

typedef struct readonly_query
{
	const char *name;			/* command, or command-variant */
	const char *columns;		/* the SELECT list */
	const char *source;			/* FROM: a pgmig function, $1 its argument */
	int			nargs;			/* positionals (0 or 1); more is a usage error */
	bool		need_arg;		/* the positional is required */
	bool		expanded;		/* one record: shown as psql's \x */
} readonly_query;

/* Alembic's flags, as one column people can read at a glance */
#define HISTORY_COLUMNS \
	"revision, pg_catalog.array_to_string(down_revision, ', ') AS down_revision, message, " \
	"pg_catalog.concat_ws(', ', CASE WHEN applied THEN 'applied' END, " \
	"CASE WHEN is_head THEN 'head' END, CASE WHEN is_branch_point THEN 'branchpoint' END, " \
	"CASE WHEN is_merge THEN 'mergepoint' END) AS flags"

static const readonly_query readonly_queries[] = {
	{"current", "revision, message, applied_at", "pgmig.current()", 0, false, false},
	{"current -v", "revision, pg_catalog.array_to_string(h.down_revision, ', ') AS down_revision, "
		"pg_catalog.array_to_string(h.branch_labels, ', ') AS branch_labels, "
		"pg_catalog.array_to_string(h.depends_on, ', ') AS depends_on, c.message, c.applied_at",
	"pgmig.current() c JOIN pgmig.history(NULL::text) h USING (revision)", 0, false, false},
	{"heads", "revision, message, branch_labels, applied", "pgmig.heads()", 0, false, false},
	{"heads -v", "revision, pg_catalog.array_to_string(down_revision, ', ') AS down_revision, "
		"pg_catalog.array_to_string(branch_labels, ', ') AS branch_labels, "
		"pg_catalog.array_to_string(depends_on, ', ') AS depends_on, message, applied",
	"pgmig.history(NULL::text) WHERE is_head", 0, false, false},
	{"branches", "revision, message, children", "pgmig.branches()", 0, false, false},
	{"history", HISTORY_COLUMNS, "pgmig.history($1)", 0, false, false},
	{"history -v", "revision, down_revision, depends_on, branch_labels, message, "
	"applied, is_head, is_branch_point, is_merge", "pgmig.history($1)", 0, false, false},
	/* --indicate-current: Alembic's "(current)" mark */
	{"history -i", "revision, pg_catalog.array_to_string(down_revision, ', ') AS down_revision, message, "
		"pg_catalog.concat_ws(', ', CASE WHEN revision IN (SELECT c.revision FROM pgmig.current() c) "
		"THEN 'current' END, CASE WHEN applied THEN 'applied' END, "
		"CASE WHEN is_head THEN 'head' END, CASE WHEN is_branch_point THEN 'branchpoint' END, "
		"CASE WHEN is_merge THEN 'mergepoint' END) AS flags", "pgmig.history($1)", 0, false, false},
	{"history -v -i", "revision, down_revision, depends_on, branch_labels, message, "
		"applied, revision IN (SELECT c.revision FROM pgmig.current() c) AS current, "
		"is_head, is_branch_point, is_merge", "pgmig.history($1)", 0, false, false},
	{"show", "*", "pgmig.show($1)", 1, true, true},
	{"check", "severity, revision, problem", "pgmig.check()", 0, false, false},
	/* the lock holder as it was before this command's own load took the lock */
	{"status", "current, heads, pending, problems, drift, $1::integer AS lock_pid, "
		"$2::name AS lock_role, $3::timestamptz AS lock_since", "pgmig.status()", 0, false, true},
	{NULL}
};

static const readonly_query *
find_query(const char *name)
{
	const readonly_query *q;

	for (q = readonly_queries; q->name; q++)
		if (strcmp(q->name, name) == 0)
			return q;
	pg_log_error("no query for \"%s\"", name);	/* a bug, not a user error */
	exit(EXIT_FAIL);
}

/* set by see_folder(): it loaded the folder (the database's view changed) */
static bool folder_loaded = false;
static bool folder_load_tried = false;	/* a load may have taken the lock */

/*
 * Open a transaction and load the folder into it (see the header).  A load
 * refused because an applied file was edited or deleted has printed the
 * files; that counts as an error for check (*errors).  false only when
 * the connection is unusable.
 */
static bool
see_folder(PGconn *conn, int *errors)
{
	PGresult   *res;
	bool		may_write,
				quiet = opts.quiet,
				loaded;
	struct stat st;

	if (!exec_sql(conn, "BEGIN", 0, NULL))
		return false;
	if (stat(opts.dir, &st) != 0)
	{
		pg_log_warning("folder \"%s\" not found: showing the database's view", opts.dir);
		return true;
	}
	res = run_sql(conn, "SELECT pg_catalog.has_table_privilege('pgmig.revision', 'INSERT, UPDATE, DELETE')",
				  0, NULL);
	if (res == NULL)
		return false;
	may_write = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!may_write)
	{
		pg_log_warning("showing the database's view: this role may not write pgmig.revision, so files of %s not loaded yet are not shown",
					   opts.dir);
		return true;
	}
	/*
	 * The folder a load last found equal to pgmig.revision, unchanged
	 * since (its fingerprint: names, sizes, inodes, times; README "The
	 * folder is the truth"): loading it would change nothing, so the files
	 * are not read.  check always reads them: it is the integrity command.
	 * A role granted functions one by one, or an extension not yet updated
	 * to 0.4, reads the folder instead of failing (folder_recorded).
	 */
	if (errors == NULL)
	{
		int			recorded = folder_recorded(conn);

		if (recorded < 0)
			return false;
		if (recorded)
			return true;
	}
	exec_sql(conn, "SAVEPOINT pgmig_see_folder", 0, NULL);
	/* nothing is loaded for real: no "Loaded ..." line */
	folder_load_tried = true;
	opts.quiet = true;
	load_lock_nowait = true;
	loaded = load_dir(conn, false);
	load_lock_nowait = false;
	opts.quiet = quiet;
	if (loaded)
	{
		folder_loaded = true;
		return true;
	}
	PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT pgmig_see_folder"));
	if (errors)
		(*errors)++;
	pg_log_warning("showing the database's view: the folder %s could not be loaded (see above, or another pgmig run holds the lock)",
				   opts.dir);
	return true;
}

/*
 * Run the query of one read-only command with its argument (NULL for
 * SQL NULL) and print it.  Returns the exit status; *errors counts rows
 * whose first column is "error" (check's severity), if errors is given.
 */
static int
run_readonly(const readonly_query *q, const char *arg, int *errors)
{
	PGconn	   *conn;
	PGresult   *res;
	PGresult   *before = NULL;
	char	   *sql;
	char	   *lock[3] = {NULL, NULL, NULL};
	int			k;

	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	/*
	 * status: the whole row before the folder is loaded, since loading takes
	 * the migration lock and the lock columns must name the holder before
	 * us; asked again after a load (which changes the rest), not otherwise.
	 */
	if (strcmp(q->name, "status") == 0)
	{
		before = run_sql(conn, "SELECT current, heads, pending, problems, drift, lock_pid, lock_role, lock_since"
						 " FROM pgmig.status()", 0, NULL);
		if (before == NULL)
		{
			disconnect_db(conn);
			return EXIT_FAIL;
		}
		for (k = 0; k < 3; k++)
			lock[k] = PQgetisnull(before, 0, 5 + k) ? NULL : pg_strdup(PQgetvalue(before, 0, 5 + k));
	}
	folder_loaded = false;
	folder_load_tried = false;
	if (!see_folder(conn, errors))
	{
		if (before)
			PQclear(before);
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	sql = psprintf("SELECT %s FROM %s", q->columns, q->source);
	if (before != NULL && !folder_loaded)
		res = before;
	else if (before != NULL)
	{
		PQclear(before);
		res = run_sql(conn, sql, 3, (const char *const *) lock);
	}
	else
		res = run_sql(conn, sql, strstr(q->source, "$1") ? 1 : 0, &arg);
	pg_free(sql);
	/*
	 * the folder's load, if any, is undone; a lock taken by it is released
	 * (no load, no lock: a round trip less for a command without a folder)
	 */
	PQclear(PQexec(conn, "ROLLBACK"));
	if (folder_load_tried)
		PQclear(PQexec(conn, "SELECT pgmig.unlock() FROM pg_catalog.pg_locks"
					   " WHERE locktype OPERATOR(pg_catalog.=) 'advisory'"
					   "   AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid() LIMIT 1"));
	if (res == NULL)
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	if (errors)
		for (k = 0; k < PQntuples(res); k++)
			if (strcmp(PQgetvalue(res, k, 0), "error") == 0)
				(*errors)++;
	/* (*errors already counts a folder that could not be loaded) */
	if (errors && PQntuples(res) == 0 && opts.format == PRINT_ALIGNED)
		printf(*errors ? "No problems in the database's view; the folder's error is above.\n" :
			   "No problems found.\n");
	else
		print_result(res, q->expanded);

	/*
	 * check()'s drift rows point to pgmig.drift(), the SQL function: a
	 * client user has pgmig drift for it.
	 */
	if (errors)
		for (k = 0; k < PQntuples(res); k++)
			if (strstr(PQgetvalue(res, k, PQnfields(res) - 1), "pgmig.drift()"))
			{
				pg_log_warning_hint("\"pgmig drift\" lists what changed outside a migration; \"pgmig drift --accept\" accepts the schema as it is now.");
				break;
			}
	PQclear(res);
	disconnect_db(conn);
	return EXIT_OK;
}

/*
 * current, heads, branches, show, status: the commands whose only
 * arguments are their table row's positionals (the row is the command's
 * name).
 */
int
cmd_readonly(int argc, char **argv)
{
	const readonly_query *q = find_query(opts.command);

	if (!parse_no_options(argc, argv, q->nargs))
		return EXIT_USAGE;
	if (q->need_arg && argc - optind < 1)
		return usage_error("%s takes one argument", q->name);
	return run_readonly(q, q->nargs ? argv[optind] : NULL, NULL);
}

/* current and heads: -v, --verbose as Alembic's */
static int
verbose_readonly(const char *name, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0}
	};
	bool		verbose = false;
	int			c;
	char	   *variant;

	while ((c = command_getopt(argc, argv, "v", long_options)) != -1)
	{
		if (c != 'v')
			return EXIT_USAGE;
		verbose = true;
	}
	if (!no_positionals(argc, argv))
		return EXIT_USAGE;
	variant = psprintf("%s%s", name, verbose ? " -v" : "");
	return run_readonly(find_query(variant), NULL, NULL);
}

int
cmd_current(int argc, char **argv)
{
	return verbose_readonly("current", argc, argv);
}

int
cmd_heads(int argc, char **argv)
{
	return verbose_readonly("heads", argc, argv);
}

/* Exit status 1 when a problem has severity "error". */
int
cmd_check(int argc, char **argv)
{
	int			errors = 0;
	int			rc;

	if (!parse_no_options(argc, argv, 0))
		return EXIT_USAGE;
	rc = run_readonly(find_query("check"), NULL, &errors);
	return rc != EXIT_OK ? rc : errors ? EXIT_FAIL : EXIT_OK;
}

int
cmd_history(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"rev-range", required_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"indicate-current", no_argument, NULL, 'i'},
		{NULL, 0, NULL, 0}
	};
	const char *range = NULL;
	bool		verbose = false,
				current = false;
	int			c;

	while ((c = command_getopt(argc, argv, "r:vi", long_options)) != -1)
	{
		if (c == 'r')
			range = optarg;
		else if (c == 'v')
			verbose = true;
		else if (c == 'i')
			current = true;
		else
			return EXIT_USAGE;
	}
	if (!no_positionals(argc, argv))
		return EXIT_USAGE;
	return run_readonly(find_query(verbose ? (current ? "history -v -i" : "history -v") :
								   (current ? "history -i" : "history")), range, NULL);
}
