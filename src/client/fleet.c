/*-------------------------------------------------------------------------
 *
 * fleet.c
 *	  pgmig client: one command over many databases ("a fleet": a database
 *	  per tenant or per shard), in parallel, with one report.
 *
 * Targets come from --fleet FILE (one conninfo string or URI per line,
 * "#" comments and blank lines allowed) or --fleet-query SQL (its first
 * column, run on the -d database: a tenant registry).
 *
 * Parallelism.  Each target is worked on by a forked worker process that
 * runs the single-database code of the command unchanged (the same load,
 * drift report, non-transactional path and errors as "pgmig -d TARGET
 * COMMAND"), with its stdout and stderr captured into a per-target log
 * from which the report takes the error's first line.  The coordinator
 * keeps at most -j workers alive, and a worker holds at most one
 * connection at a time, so never more than -j connections are open.
 *
 * fe_utils/parallel_slot (vacuumdb -j, pg_amcheck -j) was weighed for the
 * read-only commands and does not fit them either (README, "Fleet"): its
 * slots connect with connectDatabase(fail_ok = false), so one unreachable
 * target would end the program instead of being one failed row; all slots
 * share one ConnParams whose override_dbname replaces only the database
 * name (not host, port, user), and reuse goes by PQdb(), ambiguous across
 * servers; connections are opened one after another, blocking, inside
 * ParallelSlotsGetIdle, which serializes what costs most in a read; and
 * a slot runs one query, while review (BEGIN, COPY of the folder, review,
 * ROLLBACK) and diff's snapshot (a transaction with SET LOCAL) are
 * conversations like the migrations.
 *
 * review and diff: review loads the folder in a transaction rolled back
 * and counts pgmig.review()'s findings; diff takes the reference's
 * snapshot once, in the coordinator, before any worker forks (a scratch
 * database for a FILE.sql or "migrations" is dropped by then), and each
 * worker compares its database's snapshot with it (autogen.c's engine).
 *
 * Modes.  Independent (default): every target migrates on its own; the
 * failures are listed, the others complete.  --atomic: all or none, with
 * two-phase commit:
 *   0. preflight, changing nothing: max_prepared_transactions > 0, no
 *	  pgmig transaction of an earlier run still prepared, the folder loads
 *	  (in a transaction rolled back afterwards), and no pending revision is
 *	  non-transactional (those cannot run inside a prepared transaction);
 *	  any refusal stops the run before a database is touched;
 *   1. each target: load the folder (committed; the session-level
 *	  migration lock is kept), BEGIN, pgmig.upgrade() (which also takes the
 *	  lock transaction-level), pgmig.unlock() (drops the session-level
 *	  hold: PostgreSQL refuses to PREPARE while a session-level and a
 *	  transaction-level lock are held on the same object), PREPARE
 *	  TRANSACTION 'pgmig_<runid>_<n>'.  The prepared transaction keeps the
 *	  transaction-level lock, so no other run migrates that database until
 *	  the decision is carried out;
 *   2. only when every target prepared: the decision "commit" and the list
 *	  of gids is written to DECISIONS/<runid> and fsynced (file and
 *	  folder) before the first COMMIT PREPARED; then COMMIT PREPARED
 *	  everywhere.  Any failure before that: ROLLBACK PREPARED everywhere a
 *	  transaction was prepared, and the decision "rollback" is recorded.
 * "recover" resolves pgmig transactions left prepared by a crashed run:
 * commit if a commit decision was recorded for its runid, else roll back.
 * A running coordinator holds an exclusive flock on DECISIONS/<runid>.lock;
 * recover leaves the transactions of such a live run alone.
 *
 * Memory: pg_malloc & co. (fe_memutils: out of memory exits); strings of
 * the report live until the process ends (a run is one process).  Workers
 * are forked and inherit the coordinator's memory; no connection is ever
 * shared, since the coordinator holds none while workers run (the
 * --fleet-query connection is closed before the first fork).
 *
 * Privileges: those of the single-database commands; COMMIT/ROLLBACK
 * PREPARED (and so recover) need the role that prepared or a superuser.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"
#include "fleet.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

fleet_options fleet_opts = {NULL, NULL, 1, false, 0, false, NULL, NULL};

/* what a worker reports about one target */
typedef enum tstate
{
	T_PENDING,					/* not run */
	T_OK,
	T_FAILED,
	T_SKIPPED,					/* not run: the canary failed */
	T_PREPARED,					/* atomic: prepared, decision pending */
	T_INDOUBT,					/* status: a pgmig transaction is prepared */
	T_ROLLEDBACK,				/* atomic: prepared, then rolled back */
	T_DIFFERS					/* diff: the schema differs from the reference */
} tstate;

static const char *const state_names[] = {
	"not run", "ok", "failed", "skipped", "prepared", "in doubt", "rolled back",
	"differs"
};

/*
 * What review and diff count per database, for --json: review's findings
 * by severity (error, warning, note); diff's differences in [0].
 */
#define NEXTRA 3

typedef struct target
{
	int			n;				/* 1-based position in the fleet */
	char	   *conninfo;
	char	   *display;		/* conninfo without the password */
	tstate		state;
	char	   *before;
	char	   *after;
	int			nrun;			/* revisions run (or that changed state) */
	double		seconds;
	char	   *detail;			/* error's first line, or what was found */
	int			extra[NEXTRA];	/* review, diff: see NEXTRA */
	char		gid[200];		/* atomic */
} target;

typedef enum phase
{
	PH_RUN,						/* independent run or a read command */
	PH_PREFLIGHT,
	PH_PREPARE,
	PH_COMMIT,
	PH_ROLLBACK,
	PH_RECOVER
} phase;

static target *targets;
static int	ntargets;
static char *workdir;			/* per-target logs and results */
static bool keep_workdir;
static const char *command;
static char run_id[64];
static char *decision_dir;

/* diff: the reference's snapshot (taken once, before the workers fork) */
static char *reference_snapshot;
static const char *diff_output_dir; /* --output-dir DIR, or NULL */
static const char *diff_dev_url;	/* --dev-url: where scratch databases go */

/* ---------------------------------------------------------------- */
/* options */

bool
fleet_requested(void)
{
	return fleet_opts.file != NULL || fleet_opts.query != NULL;
}

static int
positive_int(const char *opt, const char *s, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 1 || v > 10000)
	{
		usage_error("option %s needs a number from 1 to 10000, not \"%s\"", opt, s);
		return -1;
	}
	*out = (int) v;
	return 1;
}

int
fleet_global_option(int c, const char *arg)
{
	/* the options that record their argument or set a flag, by code */
	static const struct
	{
		int			code;
		const char **value;		/* gets the argument, or */
		bool	   *flag;			/* is set */
	}			simple[] = {
		{FLEET_OPT_FILE, &fleet_opts.file, NULL},
		{FLEET_OPT_QUERY, &fleet_opts.query, NULL},
		{FLEET_OPT_DECISION_DIR, &fleet_opts.decision_dir, NULL},
		{FLEET_OPT_LOG, &fleet_opts.log_dir, NULL},
		{FLEET_OPT_ATOMIC, NULL, &fleet_opts.atomic},
		{FLEET_OPT_JSON, NULL, &fleet_opts.json},
	};
	int			k;

	if (c == 'j')
		return positive_int("-j", arg, &fleet_opts.jobs);
	if (c == FLEET_OPT_CANARY)
		return positive_int("--canary", arg, &fleet_opts.canary);
	for (k = 0; k < lengthof(simple); k++)
		if (simple[k].code == c)
		{
			if (simple[k].value)
				*simple[k].value = arg;
			else
				*simple[k].flag = true;
			return 1;
		}
	return 0;
}

bool
fleet_wanted(int argc, char **argv)
{
	int			k;

	if (fleet_requested())
		return true;
	for (k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (strncmp(argv[k], "--fleet", 7) == 0 &&
			(argv[k][7] == '\0' || argv[k][7] == '=' || strncmp(argv[k] + 7, "-query", 6) == 0))
			return true;
	return false;
}

int
cmd_recover(int argc, char **argv)
{
	return usage_error("recover runs over a fleet: pgmig --fleet FILE recover");
}

/* ---------------------------------------------------------------- */
/* small helpers */

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* pg_strdup, NULL as "" */
static char *
xstrdup(const char *s)
{
	return pg_strdup(s ? s : "");
}

/* Tabs and newlines would break the worker's one-line report. */
static void
flatten(char *s)
{
	for (; s && *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

/*
 * The conninfo as shown in reports and decision files: every option the
 * user set except the password, so a report can be pasted in a ticket.
 */
static char *
display_target(const char *conninfo)
{
	static const char *const first[] = {"host", "hostaddr", "port", "dbname", "user", NULL};
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL);
	PQconninfoOption *p;
	pm_buf		b;
	int			pass,
				k;

	if (o == NULL)
		return xstrdup("(unparsable conninfo)");
	pm_buf_init(&b);
	/* the usual keywords first, in the order people write them */
	for (pass = 0; pass < 2; pass++)
		for (k = 0; pass == 0 ? first[k] != NULL : k < 1; k++)
			for (p = o; p->keyword; p++)
			{
				bool		is_first = false;
				int			m;

				if (p->val == NULL || p->val[0] == '\0' || strcmp(p->keyword, "password") == 0)
					continue;
				for (m = 0; first[m]; m++)
					is_first |= strcmp(p->keyword, first[m]) == 0;
				if (pass == 0 ? strcmp(p->keyword, first[k]) != 0 : is_first)
					continue;
				pm_buf_printf(&b, "%s%s=%s", b.len ? " " : "", p->keyword, p->val);
			}
	PQconninfoFree(o);
	return b.len ? b.data : xstrdup("");
}

static void
add_target(const char *conninfo)
{
	static int	cap = 0;
	target	   *t;

	if (ntargets == cap)
	{
		cap = cap ? cap * 2 : 64;
		targets = pg_realloc(targets, cap * sizeof(target));
	}
	t = &targets[ntargets];
	memset(t, 0, sizeof(*t));
	t->n = ++ntargets;
	t->conninfo = xstrdup(conninfo);
	t->display = display_target(conninfo);
	t->before = xstrdup("");
	t->after = xstrdup("");
	t->detail = xstrdup("");
}

static bool
read_fleet_file(const char *path)
{
	size_t		len;
	char	   *text = read_file(path, &len);
	char	   *line;
	char	   *save = NULL;
	int			lineno = 0;
	char	   *p;

	if (text == NULL)
	{
		pg_log_error("could not read fleet file \"%s\": %s", path, strerror(errno));
		return false;
	}
	/* strtok_r would merge empty lines: walk by hand to keep line numbers */
	(void) save;
	line = text;
	while (line && *line)
	{
		char	   *nl = strchr(line, '\n');
		char	   *e;

		lineno++;
		if (nl)
			*nl = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		e = line + strlen(line);
		while (e > line && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*line != '\0' && *line != '#')
		{
			char	   *err = NULL;
			PQconninfoOption *o = PQconninfoParse(line, &err);

			if (o == NULL)
			{
				pg_log_error("%s:%d: not a connection string or URI: %s", path, lineno,
							 err ? err : "out of memory");
				pg_log_error_hint("Write one conninfo (\"host=... dbname=...\") or URI (postgresql://...) per line.");
				return false;
			}
			PQconninfoFree(o);
			add_target(line);
		}
		line = nl ? nl + 1 : NULL;
	}
	p = text;
	free(p);
	if (ntargets == 0)
	{
		pg_log_error("fleet file \"%s\" lists no database", path);
		pg_log_error_hint("Write one connection string or URI per line.");
		return false;
	}
	return true;
}

static bool
read_fleet_query(const char *sql)
{
	PGconn	   *conn = connect_db();
	PGresult   *res;
	int			k;

	if (conn == NULL)
		return false;
	res = run_sql(conn, sql, 0, NULL);
	if (res == NULL)
	{
		pg_log_error("the --fleet-query failed on the -d database");
		disconnect_db(conn);
		return false;
	}
	for (k = 0; k < PQntuples(res); k++)
	{
		if (PQgetisnull(res, k, 0) || PQgetvalue(res, k, 0)[0] == '\0')
		{
			pg_log_error("--fleet-query row %d has no connection string", k + 1);
			PQclear(res);
			disconnect_db(conn);
			return false;
		}
		add_target(PQgetvalue(res, k, 0));
	}
	PQclear(res);
	disconnect_db(conn);
	if (ntargets == 0)
	{
		pg_log_error("--fleet-query returned no database");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* inside a worker: one target, one connection at a time */

typedef struct wresult
{
	tstate		state;
	char	   *before;
	char	   *after;
	int			nrun;
	char	   *detail;
	int			extra[NEXTRA];
} wresult;

/* The one text value a query returns; NULL (error printed) on failure. */
static char *
query_value(PGconn *conn, const char *sql)
{
	PGresult   *res = run_sql(conn, sql, 0, NULL);
	char	   *r;

	if (res == NULL)
		return NULL;
	r = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

/* the applied heads, "a,b" */
#define query_heads(conn) query_value(conn, \
	"SELECT COALESCE(pg_catalog.string_agg(revision, ',' ORDER BY revision), '')" \
	"  FROM pgmig.current()")
/* the applied set, sorted and comma separated, for counting changes */
#define query_applied(conn) query_value(conn, \
	"SELECT COALESCE(pg_catalog.string_agg(revision, ',' ORDER BY revision), '')" \
	"  FROM pgmig.applied")
/* the pgmig transactions prepared in this database, "gid,gid" */
#define query_prepared(conn) query_value(conn, \
	"SELECT COALESCE(pg_catalog.string_agg(gid, ',' ORDER BY gid), '')" \
	"  FROM pg_catalog.pg_prepared_xacts" \
	" WHERE gid LIKE 'pgmig\\_%'" \
	"   AND database OPERATOR(pg_catalog.=) pg_catalog.current_database()")

/*
 * How many revisions changed state since the applied set was "before"
 * (comma separated): the symmetric difference, counted by the server.
 */
static int
count_changed(PGconn *conn, const char *before)
{
	PGresult   *res = run_sql(conn,
							  "SELECT pg_catalog.count(*) FROM ("
							  " (SELECT revision FROM pgmig.applied"
							  "  EXCEPT SELECT pg_catalog.unnest(pg_catalog.string_to_array($1, ',')))"
							  " UNION ALL"
							  " (SELECT pg_catalog.unnest(pg_catalog.string_to_array($1, ','))"
							  "  EXCEPT SELECT revision FROM pgmig.applied)) d",
							  1, &before);
	int			n;

	if (res == NULL)
		return 0;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static const char *
migration_call(void)
{
	if (strcmp(command, "downgrade") == 0)
		return "SELECT pgmig.downgrade($1)";
	if (strcmp(command, "stamp") == 0)
		return "SELECT pgmig.stamp($1)";
	return "SELECT pgmig.upgrade($1)";
}

static int	command_is(const char *name);

/* Independent run of upgrade / downgrade / stamp: the single-database code. */
static void
work_migrate(int argc, char **argv, wresult *w)
{
	PGconn	   *conn = connect_pgmig();
	char	   *applied_before;
	int			rc;

	if (conn == NULL || (w->before = query_heads(conn)) == NULL ||
		(applied_before = query_applied(conn)) == NULL)
		return;
	disconnect_db(conn);
	/* getopt_long afresh: fleet_run has parsed these arguments once */
	restart_getopt();
	if (strcmp(command, "upgrade") == 0)
		rc = cmd_upgrade(argc, argv);
	else if (strcmp(command, "downgrade") == 0)
		rc = cmd_downgrade(argc, argv);
	else
		rc = cmd_stamp(argc, argv);
	conn = connect_pgmig();
	if (conn == NULL || (w->after = query_heads(conn)) == NULL)
		return;
	w->nrun = count_changed(conn, applied_before);
	disconnect_db(conn);
	w->state = rc == EXIT_OK ? T_OK : T_FAILED;
}

/*
 * Count the rows of a check or review result (columns: severity, revision,
 * text) by severity into counts (error, warning, anything else a note);
 * *first gets the first error as "REVISION: TEXT".  Returns the errors.
 */
static int
tally_findings(const PGresult *res, int counts[NEXTRA], char **first)
{
	int			k;

	memset(counts, 0, NEXTRA * sizeof(int));
	for (k = 0; k < PQntuples(res); k++)
	{
		const char *sev = PQgetvalue(res, k, 0);
		int			i = strcmp(sev, "error") == 0 ? 0 : strcmp(sev, "warning") == 0 ? 1 : 2;

		if (i == 0 && counts[0] == 0)
			*first = psprintf("%s: %s", PQgetisnull(res, k, 1) ? "(folder)" : PQgetvalue(res, k, 1),
							  PQgetvalue(res, k, 2));
		counts[i]++;
	}
	return counts[0];
}

static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

/*
 * review: the folder loaded in a transaction that is rolled back, then
 * pgmig.review(target) against this database's own tables, as "pgmig
 * review" does; the findings counted, the first error kept.
 */
static void
work_review(const char *target_rev, wresult *w)
{
	PGconn	   *conn = connect_pgmig();
	PGresult   *res;
	char	   *first = NULL;
	int		   *c = w->extra;

	if (conn == NULL || (w->before = query_heads(conn)) == NULL)
		return;
	w->after = xstrdup(w->before);
	if (!exec_sql(conn, "BEGIN", 0, NULL) || !load_dir(conn, false))
		return;
	res = run_sql(conn, "SELECT severity, revision, rule OPERATOR(pg_catalog.||) ': '"
				  " OPERATOR(pg_catalog.||) message FROM pgmig.review($1)", 1, &target_rev);
	PQclear(PQexec(conn, "ROLLBACK"));
	disconnect_db(conn);
	if (res == NULL)
		return;
	tally_findings(res, c, &first);
	PQclear(res);
	w->detail = psprintf("%d error%s, %d warning%s, %d note%s%s%s",
						 c[0], plural(c[0]), c[1], plural(c[1]), c[2], plural(c[2]),
						 first ? "; first error: " : "", first ? first : "");
	w->state = c[0] ? T_FAILED : T_OK;
}

/* "db" of a conninfo, safe in a file name */
static char *
file_safe_dbname(const char *conninfo)
{
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL);
	PQconninfoOption *p;
	char	   *name = NULL;
	char	   *q;

	for (p = o; p && p->keyword; p++)
		if (strcmp(p->keyword, "dbname") == 0 && p->val && p->val[0])
			name = xstrdup(p->val);
	PQconninfoFree(o);
	if (name == NULL)
		name = xstrdup("db");
	for (q = name; *q; q++)
		if (!(isalnum((unsigned char) *q) || *q == '_' || *q == '-' || *q == '.'))
			*q = '_';
	return name;
}

/*
 * diff: this database's snapshot compared with the reference's.  The
 * script is what turns this database into the reference; with
 * --output-dir it is written to DIR/<n>_<db>.sql (for every database
 * compared, so that no file of an earlier run is taken for this one's).
 */
static void
work_diff(const target *t, wresult *w)
{
	PGconn	   *conn = connect_db();
	char	   *mine = conn ? autogen_conn_snapshot(conn) : NULL;
	char	   *has_pgmig = mine ? query_value(conn,
											"SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension"
											" WHERE extname OPERATOR(pg_catalog.=) 'pgmig'") : NULL;
	char	   *script;
	char	   *path = NULL;
	const char *p;
	pm_buf		first;
	int			n;

	if (diff_output_dir)
	{
		char	   *db = file_safe_dbname(t->conninfo);
		int			width = 1;
		int			k;

		/* zero-padded, so that the files list in fleet order */
		for (k = ntargets; k >= 10; k /= 10)
			width++;
		path = psprintf("%s/%0*d_%s.sql", diff_output_dir, width, t->n, db);
		unlink(path);
	}
	/* the heads too, where pgmig is installed: which history drifted */
	if (has_pgmig && strcmp(has_pgmig, "1") == 0 && (w->before = query_heads(conn)) != NULL)
		w->after = xstrdup(w->before);
	disconnect_db(conn);
	if (mine == NULL || !autogen_compare(mine, reference_snapshot, NULL, &script, &n))
		return;
	if (path && !write_file_new(path, script))
		return;
	w->extra[0] = n;
	w->state = n ? T_DIFFERS : T_OK;
	if (n == 0)
	{
		w->detail = xstrdup("same");
		return;
	}
	/*
	 * The first statement on one line (runs of white space as one blank),
	 * without the hazard comments above it.
	 */
	for (p = script; strncmp(p, "-- ", 3) == 0 && strchr(p, '\n'); p = strchr(p, '\n') + 1)
		;
	pm_buf_init(&first);
	pm_buf_printf(&first, "%d difference%s; first: ", n, plural(n));
	for (; *p && !(p[0] == ';' && (p[1] == '\n' || p[1] == '\0')); p++)
		if (!isspace((unsigned char) *p))
			pm_buf_printf(&first, "%c", *p);
		else if (!isspace((unsigned char) p[1]))
			pm_buf_puts(&first, " ");
	pm_buf_puts(&first, ";");
	w->detail = first.data;
}

/* Read commands: one row of facts per database. */
static void
work_read(wresult *w)
{
	PGconn	   *conn = connect_pgmig();
	PGresult   *res;

	if (conn == NULL || (w->before = query_heads(conn)) == NULL)
		return;
	w->after = xstrdup(w->before);
	if (command_is("current"))
		w->state = T_OK;
	else if (command_is("heads"))
	{
		res = run_sql(conn, "SELECT COALESCE(pg_catalog.string_agg(revision, ','"
					  " ORDER BY revision), '') FROM pgmig.heads()", 0, NULL);
		if (res == NULL)
			return;
		w->detail = psprintf("heads: %s", PQgetvalue(res, 0, 0));
		PQclear(res);
		w->state = T_OK;
	}
	else if (command_is("check"))
	{
		int			errors;

		res = run_sql(conn, "SELECT severity, revision, problem FROM pgmig.check()", 0, NULL);
		if (res == NULL)
			return;
		errors = tally_findings(res, w->extra, &w->detail);
		if (errors == 0)
			w->detail = PQntuples(res) ? psprintf("%d warning%s", PQntuples(res),
												 PQntuples(res) == 1 ? "" : "s")
				: xstrdup("no problems");
		w->state = errors ? T_FAILED : T_OK;
		PQclear(res);
	}
	else if (command_is("status"))
	{
		char	   *prepared;

		res = run_sql(conn, "SELECT pending, problems, drift, lock_pid FROM pgmig.status()", 0, NULL);
		if (res == NULL || (prepared = query_prepared(conn)) == NULL)
			return;
		w->detail = psprintf("pending %s, problems %s, drift %s%s%s%s%s",
							PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
							PQgetisnull(res, 0, 3) ? "" : ", lock held by pid ",
							PQgetvalue(res, 0, 3),
							prepared[0] ? ", prepared: " : "", prepared);
		w->state = prepared[0] ? T_INDOUBT : T_OK;
		PQclear(res);
	}
	disconnect_db(conn);
}

/*
 * Atomic preflight: change nothing, refuse what cannot be prepared.  The
 * folder is loaded in a transaction that is rolled back, so the plan is
 * the one the run will take.
 */
static void
work_preflight(const char *target_rev, wresult *w)
{
	PGconn	   *conn = connect_pgmig();
	PGresult   *res;
	char	   *prepared;
	const char *params[2];
	int			k;
	pm_buf		nontx;

	if (conn == NULL)
		return;
	res = run_sql(conn, "SELECT pg_catalog.current_setting('max_prepared_transactions')::integer", 0, NULL);
	if (res == NULL)
		return;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
	{
		pg_log_error("--atomic needs max_prepared_transactions > 0 on this server (it is 0)");
		pg_log_error_hint("Set max_prepared_transactions (at least the number of fleet databases on the server) and restart it, or run without --atomic.");
		return;
	}
	PQclear(res);
	if ((prepared = query_prepared(conn)) == NULL)
		return;
	if (prepared[0])
	{
		pg_log_error("a pgmig transaction of an earlier run is still prepared here: %s", prepared);
		pg_log_error_hint("Run \"pgmig --fleet FILE recover\" first.");
		return;
	}
	if ((w->before = query_heads(conn)) == NULL)
		return;
	w->after = xstrdup(w->before);
	if (!exec_sql(conn, "BEGIN", 0, NULL) || !load_dir(conn, false))
		return;
	params[0] = command;
	params[1] = target_rev;
	res = run_sql(conn, "SELECT revision, transactional FROM pgmig.plan($1, $2) ORDER BY step",
				  2, params);
	if (res == NULL)
		return;
	PQclear(PQexec(conn, "ROLLBACK"));
	PQclear(PQexec(conn, "SELECT pgmig.unlock()"));
	pm_buf_init(&nontx);
	for (k = 0; k < PQntuples(res); k++)
		if (strcmp(PQgetvalue(res, k, 1), "f") == 0 && strcmp(command, "stamp") != 0)
		{
			if (nontx.len)
				pm_buf_puts(&nontx, ", ");
			pm_buf_puts(&nontx, PQgetvalue(res, k, 0));
		}
	w->nrun = PQntuples(res);
	PQclear(res);
	disconnect_db(conn);
	if (nontx.len)
	{
		pg_log_error("pending non-transactional revision%s %s cannot run inside a prepared transaction",
					 strchr(nontx.data, ',') ? "s" : "", nontx.data);
		pg_log_error_hint("Run them without --atomic first (pgmig --fleet FILE upgrade REV), then the rest with --atomic.");
		return;
	}
	w->state = T_OK;
}

/* Atomic phase 1: run the migration in a transaction and PREPARE it. */
static void
work_prepare(const char *target_rev, const char *gid, wresult *w)
{
	PGconn	   *conn = connect_pgmig();
	PGresult   *res;
	char	   *sql;

	if (conn == NULL || (w->before = query_heads(conn)) == NULL)
		return;
	/* the load commits and keeps the session-level lock until the unlock */
	if (!load_dir_for_run(conn))
		return;
	if (!exec_sql(conn, "BEGIN", 0, NULL))
		return;
	res = run_sql(conn, migration_call(), 1, &target_rev);
	if (res == NULL)
	{
		PQclear(PQexec(conn, "ROLLBACK"));
		PQclear(PQexec(conn, "SELECT pgmig.unlock()"));
		return;
	}
	w->nrun = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if ((w->after = query_heads(conn)) == NULL)
		return;
	/* keep only the transaction-level hold, which PREPARE hands over */
	if (!exec_sql(conn, "SELECT pgmig.unlock()", 0, NULL))
		return;
	if (getenv("PGMIG_FLEET_TEST_FAIL_PREPARE_N") &&
		atoi(getenv("PGMIG_FLEET_TEST_FAIL_PREPARE_N")) == (int) strtol(strrchr(gid, '_') + 1, NULL, 10))
	{
		/* test hook: a failure at the last moment, after the upgrade ran */
		pg_log_error("test hook PGMIG_FLEET_TEST_FAIL_PREPARE_N: not preparing %s", gid);
		return;
	}
	sql = psprintf("PREPARE TRANSACTION '%s'", gid);
	if (!exec_sql(conn, sql, 0, NULL))
		return;
	if (getenv("PGMIG_FLEET_TEST_KILL_WORKER_AFTER_PREPARE_N") &&
		atoi(getenv("PGMIG_FLEET_TEST_KILL_WORKER_AFTER_PREPARE_N")) == (int) strtol(strrchr(gid, '_') + 1, NULL, 10))
		raise(SIGKILL);			/* test hook: prepared, but no report */
	disconnect_db(conn);
	w->state = T_PREPARED;
}

/* COMMIT PREPARED or ROLLBACK PREPARED one gid, if it is still prepared. */
static void
work_finish(const char *gid, bool commit, wresult *w)
{
	PGconn	   *conn = connect_db();
	char	   *prepared;
	char	   *sql;

	if (conn == NULL || (prepared = query_prepared(conn)) == NULL)
		return;
	if (strstr(prepared, gid) == NULL)
	{
		/* nothing prepared (failed before PREPARE) or already resolved */
		w->detail = xstrdup(commit ? "not prepared" : "nothing to roll back");
		w->state = commit ? T_FAILED : T_OK;
		if (commit)
			pg_log_error("transaction %s is not prepared in this database", gid);
	}
	else
	{
		sql = psprintf("%s PREPARED '%s'", commit ? "COMMIT" : "ROLLBACK", gid);
		if (!exec_sql(conn, sql, 0, NULL))
			return;
		w->state = T_OK;
		w->detail = psprintf("%s %s", commit ? "committed" : "rolled back", gid);
	}
	if (commit && (w->after = query_heads(conn)) == NULL)
		w->state = T_FAILED;
	disconnect_db(conn);
}

/* the decision recorded for a run: 'c' commit, 'r' rollback, 0 none */
static char
read_decision(const char *runid)
{
	char	   *path = psprintf("%s/%s", decision_dir, runid);
	size_t		len;
	char	   *text = read_file(path, &len);
	char		d = 0;

	if (text && strncmp(text, "commit\n", 7) == 0)
		d = 'c';
	else if (text && strncmp(text, "rollback\n", 9) == 0)
		d = 'r';
	free(text);
	free(path);
	return d;
}

/* Is the coordinator of this run still alive (holding its lock file)? */
static bool
run_alive(const char *runid)
{
	char	   *path = psprintf("%s/%s.lock", decision_dir, runid);
	int			fd = open(path, O_RDONLY);
	bool		alive = false;

	free(path);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		alive = true;
	close(fd);
	return alive;
}

/* recover: resolve every pgmig transaction prepared in this database */
static void
work_recover(wresult *w)
{
	PGconn	   *conn = connect_db();
	char	   *prepared;
	char	   *g;
	char	   *save = NULL;
	int			ngids = 0;
	pm_buf		done;

	if (conn == NULL || (prepared = query_prepared(conn)) == NULL ||
		(w->before = query_heads(conn)) == NULL)
		return;
	pm_buf_init(&done);
	for (g = strtok_r(prepared, ",", &save); g; g = strtok_r(NULL, ",", &save))
	{
		/* pgmig_<runid>_<n>: the runid is what lies between */
		const char *last = strrchr(g, '_');
		char	   *runid;
		char		d;
		char	   *sql;

		ngids++;
		if (last == NULL || last <= g + 6)
			continue;
		runid = strndup(g + 6, last - (g + 6));
		if (run_alive(runid))
		{
			pg_log_error("transaction %s belongs to run %s, whose coordinator is still running", g, runid);
			pg_log_error_hint("Wait for it to finish; recover only resolves runs that crashed.");
			w->nrun = -1;
			continue;
		}
		d = read_decision(runid);
		sql = psprintf("%s PREPARED '%s'", d == 'c' ? "COMMIT" : "ROLLBACK", g);
		if (!exec_sql(conn, sql, 0, NULL))
		{
			w->nrun = -1;
			continue;
		}
		if (done.len)
			pm_buf_puts(&done, ", ");
		pm_buf_puts(&done, d == 'c' ? "committed " : "rolled back ");
		pm_buf_puts(&done, g);
		free(sql);
		free(runid);
	}
	if ((w->after = query_heads(conn)) == NULL)
		return;
	w->detail = done.len ? xstrdup(done.data) : xstrdup("nothing prepared");
	disconnect_db(conn);
	w->state = w->nrun < 0 ? T_FAILED : T_OK;
	w->nrun = ngids;
}

/* ---------------------------------------------------------------- */
/* the coordinator */

static int
command_is(const char *name)
{
	return strcmp(command, name) == 0;
}

static char *
result_path(const target *t, const char *what)
{
	return psprintf("%s/%d.%s", workdir, t->n, what);
}

/* The worker's whole life: run, write its one-line result, exit. */
static void
worker_main(target *t, phase ph, int argc, char **argv, const char *target_rev)
{
	char	   *log = result_path(t, "log");
	char	   *resf = result_path(t, "res");
	int			fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	wresult		w = {T_FAILED, NULL, NULL, 0, NULL, {0}};
	FILE	   *f;

	if (fd >= 0)
	{
		fflush(stdout);
		fflush(stderr);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	opts.dbname = t->conninfo;
	/* no password prompt from N workers at once: use ~/.pgpass */
	opts.force_password = false;
	opts.no_password = true;
	switch (ph)
	{
		case PH_RUN:
			if (command_is("upgrade") || command_is("downgrade") || command_is("stamp"))
				work_migrate(argc, argv, &w);
			else if (command_is("review"))
				work_review(target_rev, &w);
			else if (command_is("diff"))
				work_diff(t, &w);
			else
				work_read(&w);
			break;
		case PH_PREFLIGHT:
			work_preflight(target_rev, &w);
			break;
		case PH_PREPARE:
			work_prepare(target_rev, t->gid, &w);
			break;
		case PH_COMMIT:
		case PH_ROLLBACK:
			work_finish(t->gid, ph == PH_COMMIT, &w);
			break;
		case PH_RECOVER:
			work_recover(&w);
			break;
	}
	fflush(stdout);
	fflush(stderr);
	f = fopen(resf, "w");
	if (f)
	{
		flatten(w.before);
		flatten(w.after);
		flatten(w.detail);
		fprintf(f, "%d\t%d\t%d,%d,%d\t%s\t%s\t%s\n", (int) w.state, w.nrun,
				w.extra[0], w.extra[1], w.extra[2],
				w.before ? w.before : "", w.after ? w.after : "",
				w.detail ? w.detail : "");
		fclose(f);
	}
	_exit(0);
}

/* The first error line a worker printed, without the program's prefix. */
static char *
first_error(const target *t)
{
	char	   *log = result_path(t, "log");
	size_t		len;
	char	   *text = read_file(log, &len);
	char	   *line;
	char	   *r = NULL;

	free(log);
	if (text == NULL)
		return NULL;
	for (line = text; line && *line;)
	{
		char	   *nl = strchr(line, '\n');
		char	   *p;

		if (nl)
			*nl = '\0';
		if ((p = strstr(line, "ERROR:")) != NULL)
		{
			p += 6;
			while (*p == ' ')
				p++;
			r = xstrdup(p);
			break;
		}
		if ((p = strstr(line, "error: ")) != NULL)
		{
			r = xstrdup(p + 7);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return r;
}

static void
collect(target *t, int status)
{
	char	   *resf = result_path(t, "res");
	size_t		len;
	char	   *text = read_file(resf, &len);
	char	   *f[6] = {NULL};
	char	   *p;
	int			k;
	char	   *err;

	free(resf);
	if (text == NULL || !WIFEXITED(status))
	{
		t->state = T_FAILED;
		free(t->detail);
		t->detail = WIFSIGNALED(status) ? psprintf("worker killed by signal %d", WTERMSIG(status))
			: xstrdup("worker wrote no result");
		free(text);
		return;
	}
	p = text;
	/* state, revisions, extra counts, before, after, detail */
	for (k = 0; k < 6 && p; k++)
	{
		f[k] = p;
		p = strchr(p, k < 5 ? '\t' : '\n');
		if (p)
			*p++ = '\0';
	}
	t->state = (tstate) atoi(f[0]);
	t->nrun = f[1] ? atoi(f[1]) : 0;
	if (f[2])
		sscanf(f[2], "%d,%d,%d", &t->extra[0], &t->extra[1], &t->extra[2]);
	if (f[3] && (f[3][0] || t->before[0] == '\0'))
	{
		free(t->before);
		t->before = xstrdup(f[3]);
	}
	if (f[4] && f[4][0])
	{
		free(t->after);
		t->after = xstrdup(f[4]);
	}
	free(t->detail);
	t->detail = xstrdup(f[5] ? f[5] : "");
	if (t->state == T_FAILED && (err = first_error(t)) != NULL)
	{
		free(t->detail);
		t->detail = err;
	}
	free(text);
}

static void
show_progress(int done, int total, int failed, const char *what)
{
	if (opts.quiet)
		return;
	fprintf(stderr, "pgmig: fleet %s: %d/%d done, %d failed\n", what, done, total, failed);
}

/*
 * Run phase ph on the targets whose index is in [from, to) and whose
 * state is "want" (T_PENDING for a first pass), at most -j at once.
 * Returns the number that failed.
 */
static int
run_phase(phase ph, int from, int to, tstate want, int argc, char **argv,
		  const char *target_rev, const char *what)
{
	pid_t	   *pids = pg_malloc0(fleet_opts.jobs * sizeof(pid_t));
	int		   *who = pg_malloc0(fleet_opts.jobs * sizeof(int));
	double	   *started = pg_malloc0(fleet_opts.jobs * sizeof(double));
	int			running = 0,
				next = from,
				done = 0,
				total = 0,
				failed = 0,
				k;

	for (k = from; k < to; k++)
		total += targets[k].state == want;
	for (;;)
	{
		while (running < fleet_opts.jobs && next < to)
		{
			target	   *t = &targets[next++];
			pid_t		pid;
			int			slot;

			if (t->state != want)
				continue;
			for (slot = 0; pids[slot] != 0; slot++)
				;
			fflush(stdout);
			fflush(stderr);
			pid = fork();
			if (pid < 0)
			{
				pg_log_error("could not fork a worker: %s", strerror(errno));
				exit(EXIT_FAIL);
			}
			if (pid == 0)
				worker_main(t, ph, argc, argv, target_rev);
			pids[slot] = pid;
			who[slot] = t->n - 1;
			started[slot] = now_s();
			running++;
		}
		if (running == 0)
			break;
		{
			int			status;
			pid_t		pid = waitpid(-1, &status, 0);
			int			slot;

			if (pid < 0)
			{
				if (errno == EINTR)
					continue;
				break;
			}
			for (slot = 0; slot < fleet_opts.jobs && pids[slot] != pid; slot++)
				;
			if (slot == fleet_opts.jobs)
				continue;
			pids[slot] = 0;
			running--;
			collect(&targets[who[slot]], status);
			targets[who[slot]].seconds += now_s() - started[slot];
			done++;
			if (targets[who[slot]].state == T_FAILED)
				failed++;
			show_progress(done, total, failed, what);
		}
	}
	free(pids);
	free(who);
	free(started);
	return failed;
}

/* ---------------------------------------------------------------- */
/* the decision file */

static bool
fsync_path(const char *path, bool dir)
{
	int			fd = open(path, dir ? O_RDONLY : O_WRONLY);
	bool		ok;

	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/*
 * Write DECISIONS/<runid> durably: to a temporary name, fsync, rename,
 * fsync the folder, so a crash leaves either no decision or the whole one.
 */
static bool
write_decision(const char *decision)
{
	char	   *path = psprintf("%s/%s", decision_dir, run_id);
	char	   *tmp = psprintf("%s.tmp", path);
	FILE	   *f = fopen(tmp, "w");
	int			k;
	bool		ok;

	if (f == NULL)
	{
		pg_log_error("could not write decision file \"%s\": %s", tmp, strerror(errno));
		return false;
	}
	fprintf(f, "%s\n", decision);
	for (k = 0; k < ntargets; k++)
		if (targets[k].gid[0])
			fprintf(f, "%s\t%s\n", targets[k].gid, targets[k].display);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	ok = ok && rename(tmp, path) == 0 && fsync_path(decision_dir, true);
	if (!ok)
		pg_log_error("could not write decision file \"%s\": %s", path, strerror(errno));
	free(tmp);
	free(path);
	return ok;
}

static bool
setup_decision_dir(void)
{
	if (fleet_opts.decision_dir)
		decision_dir = xstrdup(fleet_opts.decision_dir);
	else if (fleet_opts.file)
		decision_dir = psprintf("%s.pgmig-decisions", fleet_opts.file);
	else
		decision_dir = xstrdup("pgmig-decisions");
	if (mkdir(decision_dir, 0700) != 0 && errno != EEXIST)
	{
		pg_log_error("could not create decision folder \"%s\": %s", decision_dir, strerror(errno));
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* the report */

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char) *s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

#define NCOLS 7

static void
print_report(double seconds, const char *mode)
{
	static const char *const head[NCOLS] = {
		"target", "before", "after", "revisions", "duration", "result", "detail"
	};
	char	  **cells = pg_malloc0((size_t) ntargets * NCOLS * sizeof(char *));
	int			counts[lengthof(state_names)] = {0};
	int			revs = 0,
				k,
				c;

	for (k = 0; k < ntargets; k++)
	{
		target	   *t = &targets[k];

		cells[k * NCOLS + 0] = t->display;
		cells[k * NCOLS + 1] = t->before;
		cells[k * NCOLS + 2] = t->after;
		cells[k * NCOLS + 3] = psprintf("%d", t->nrun);
		cells[k * NCOLS + 4] = psprintf("%.3f s", t->seconds);
		cells[k * NCOLS + 5] = (char *) state_names[t->state];
		cells[k * NCOLS + 6] = t->detail;
		counts[t->state]++;
		revs += t->nrun > 0 ? t->nrun : 0;
	}

	if (fleet_opts.json)
	{
		printf("{\"run_id\": ");
		json_string(run_id);
		printf(", \"command\": ");
		json_string(command);
		printf(", \"mode\": ");
		json_string(mode);
		printf(", \"targets\": [");
		for (k = 0; k < ntargets; k++)
		{
			printf("%s\n  {\"target\": ", k ? "," : "");
			json_string(targets[k].display);
			printf(", \"before\": ");
			json_string(targets[k].before);
			printf(", \"after\": ");
			json_string(targets[k].after);
			printf(", \"revisions\": %d, \"seconds\": %.3f, \"result\": ",
				   targets[k].nrun, targets[k].seconds);
			json_string(state_names[targets[k].state]);
			printf(", \"detail\": ");
			json_string(targets[k].detail);
			if (command_is("review"))
				printf(", \"findings\": {\"error\": %d, \"warning\": %d, \"note\": %d}",
					   targets[k].extra[0], targets[k].extra[1], targets[k].extra[2]);
			else if (command_is("diff"))
				printf(", \"differences\": %d", targets[k].extra[0]);
			printf("}");
		}
		printf("\n], \"total\": {\"databases\": %d, \"ok\": %d, \"failed\": %d, "
			   "\"skipped\": %d, \"not_run\": %d, \"in_doubt\": %d, \"rolled_back\": %d, "
			   "\"differs\": %d, \"revisions\": %d, \"seconds\": %.3f}}\n",
			   ntargets, counts[T_OK], counts[T_FAILED], counts[T_SKIPPED],
			   counts[T_PENDING], counts[T_INDOUBT], counts[T_ROLLEDBACK],
			   counts[T_DIFFERS], revs, seconds);
		return;
	}
	/* psql's printer, in the -A / --csv / -x format asked for */
	{
		printTableOpt topt;
		printTableContent cont;
		char	   *footer;

		memset(&topt, 0, sizeof(topt));
		topt.format = opts.format;
		topt.expanded = opts.expanded && opts.format != PRINT_CSV;
		topt.border = 1;
		topt.start_table = true;
		topt.stop_table = true;
		topt.fieldSep.separator = "|";
		topt.recordSep.separator = "\n";
		topt.csvFieldSep[0] = ',';
		topt.encoding = PQenv2encoding();
		printTableInit(&cont, &topt, NULL, NCOLS, ntargets);
		for (c = 0; c < NCOLS; c++)
			printTableAddHeader(&cont, (char *) head[c], false, c == 3 || c == 4 ? 'r' : 'l');
		for (k = 0; k < ntargets * NCOLS; k++)
			printTableAddCell(&cont, cells[k], false, false);
		footer = psprintf("%d database%s: %d ok, %d failed%s%s%s%s%s%s%s%s%s%s; %d revision%s; %.3f s; %s",
						  ntargets, ntargets == 1 ? "" : "s", counts[T_OK], counts[T_FAILED],
						  counts[T_SKIPPED] ? ", " : "",
						  counts[T_SKIPPED] ? psprintf("%d skipped", counts[T_SKIPPED]) : "",
						  counts[T_PENDING] ? ", " : "",
						  counts[T_PENDING] ? psprintf("%d not run", counts[T_PENDING]) : "",
						  counts[T_INDOUBT] ? ", " : "",
						  counts[T_INDOUBT] ? psprintf("%d in doubt", counts[T_INDOUBT]) : "",
						  counts[T_ROLLEDBACK] ? ", " : "",
						  counts[T_ROLLEDBACK] ? psprintf("%d rolled back", counts[T_ROLLEDBACK]) : "",
						  counts[T_DIFFERS] ? ", " : "",
						  counts[T_DIFFERS] ? psprintf("%d differ%s", counts[T_DIFFERS],
													   counts[T_DIFFERS] == 1 ? "s" : "") : "",
						  revs, revs == 1 ? "" : "s", seconds, mode);
		printTableAddFooter(&cont, psprintf("(%s)", footer));
		printTable(&cont, stdout, false, NULL);
		printTableCleanup(&cont);
	}
}

/* failures listed at the end, on stderr, where a deploy log shows them */
static void
list_failures(void)
{
	int			k;

	for (k = 0; k < ntargets; k++)
		if (targets[k].state == T_FAILED)
			fprintf(stderr, "pgmig: error: %s: %s\n", targets[k].display,
					targets[k].detail[0] ? targets[k].detail : "failed");
}

/* ---------------------------------------------------------------- */

static int
run_atomic(int argc, char **argv, const char *target_rev, double t0)
{
	char	   *lockpath;
	int			lockfd;
	int			failed,
				k;
	bool		die_before = getenv("PGMIG_FLEET_TEST_DIE_BEFORE_DECISION") != NULL;
	bool		die_after = getenv("PGMIG_FLEET_TEST_DIE_AFTER_PREPARE") != NULL;

	if (!setup_decision_dir())
		return EXIT_FAIL;
	lockpath = psprintf("%s/%s.lock", decision_dir, run_id);
	lockfd = open(lockpath, O_RDWR | O_CREAT, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0)
	{
		pg_log_error("could not lock \"%s\": %s", lockpath, strerror(errno));
		return EXIT_FAIL;
	}

	/* 0: refuse up front, changing nothing */
	failed = run_phase(PH_PREFLIGHT, 0, ntargets, T_PENDING, argc, argv, target_rev, "preflight");
	if (failed)
	{
		for (k = 0; k < ntargets; k++)
			if (targets[k].state == T_OK)
			{
				targets[k].state = T_PENDING;
				targets[k].nrun = 0;
				free(targets[k].detail);
				targets[k].detail = xstrdup("not run: another database was refused");
			}
			else
			{
				targets[k].state = T_FAILED;
				targets[k].nrun = 0;
			}
		print_report(now_s() - t0, "atomic, refused");
		list_failures();
		pg_log_error("--atomic refused on %d database%s; nothing was changed", failed,
					 failed == 1 ? "" : "s");
		unlink(lockpath);
		return EXIT_FAIL;
	}

	/* 1: prepare everywhere */
	for (k = 0; k < ntargets; k++)
	{
		targets[k].state = T_PENDING;
		snprintf(targets[k].gid, sizeof(targets[k].gid), "pgmig_%s_%d", run_id, targets[k].n);
	}
	failed = run_phase(PH_PREPARE, 0, ntargets, T_PENDING, argc, argv, target_rev, "prepare");

	if (failed == 0)
	{
		if (die_before)
			raise(SIGKILL);
		/* 2: the decision is durable before the first COMMIT PREPARED */
		if (!write_decision("commit"))
			failed = 1;
		else if (die_after)
			raise(SIGKILL);
	}
	if (failed == 0)
	{
		failed = run_phase(PH_COMMIT, 0, ntargets, T_PREPARED, argc, argv, target_rev, "commit");
		print_report(now_s() - t0, "atomic, committed");
		list_failures();
		if (failed)
			pg_log_error("the decision was commit, but COMMIT PREPARED failed on %d database%s; run \"pgmig --fleet ... recover\" when they are reachable",
						 failed, failed == 1 ? "" : "s");
		unlink(lockpath);
		return failed ? EXIT_FAIL : EXIT_OK;
	}

	/*
	 * A failure before the decision: ROLLBACK PREPARED everywhere, the
	 * failed databases included (a worker that died after its PREPARE
	 * reached the server is "failed" and yet prepared).  The failures keep
	 * their own error in the report.
	 */
	{
		int			nfailed = failed;
		int			stuck = 0;
		char	  **saved = pg_malloc0(ntargets * sizeof(char *));

		for (k = 0; k < ntargets; k++)
		{
			target	   *t = &targets[k];

			if (t->state == T_FAILED)
				saved[k] = t->detail[0] ? pg_strdup(t->detail) : pg_strdup("failed");
			t->state = T_PENDING;
		}
		write_decision("rollback");
		run_phase(PH_ROLLBACK, 0, ntargets, T_PENDING, argc, argv, target_rev, "rollback");
		for (k = 0; k < ntargets; k++)
		{
			target	   *t = &targets[k];
			bool		rolled = t->state == T_OK && strncmp(t->detail, "rolled back", 11) == 0;

			if (t->state == T_FAILED)
			{
				/* ROLLBACK PREPARED itself failed: say so, recover will do it */
				stuck++;
				t->detail = psprintf("%s%s%s; ROLLBACK PREPARED failed: run recover",
									 saved[k] ? saved[k] : "", saved[k] ? "; " : "",
									 t->detail);
			}
			else if (saved[k])
			{
				t->state = T_FAILED;
				t->detail = saved[k];
			}
			else
				t->state = rolled ? T_ROLLEDBACK : T_PENDING;
			free(t->after);
			t->after = xstrdup(t->before);
			t->nrun = 0;
		}
		print_report(now_s() - t0, "atomic, rolled back");
		list_failures();
		if (stuck == 0)
			pg_log_error("%d database%s failed; every prepared transaction was rolled back, nothing changed",
						 nfailed, nfailed == 1 ? "" : "s");
		else
			pg_log_error("%d database%s failed; ROLLBACK PREPARED failed on %d: run \"pgmig --fleet ... recover\" when they are reachable (the decision recorded is rollback)",
						 nfailed, nfailed == 1 ? "" : "s", stuck);
	}
	unlink(lockpath);
	return EXIT_FAIL;
}

int
fleet_run(int argc, char **argv)
{
	static const char *const supported[] = {
		"upgrade", "downgrade", "stamp", "current", "heads", "check", "status",
		"review", "diff", "recover", NULL
	};
	const char *target_rev = NULL;
	double		t0 = now_s();
	int			k,
				failed = 0;
	int			rc;
	char		tmpl[] = "/tmp/pgmig_fleet.XXXXXX";

	command = opts.command;
	for (k = 0; supported[k] && strcmp(supported[k], command) != 0; k++)
		;
	if (supported[k] == NULL)
		return usage_error("\"%s\" does not run over a fleet; fleet commands: upgrade, downgrade, stamp, current, heads, check, status, review, diff, recover",
						   command);
	/*
	 * The commands' own arguments: validate once, up front (this also
	 * applies fleet and global options given after the command).  A
	 * migration's worker parses them again, as the single-database command
	 * does; diff's options are kept here for its workers.
	 */
	{
		enum
		{
			OPT_SINGLE = 1, OPT_DEV_URL, OPT_OUTPUT_DIR, OPT_EXIT_CODE
		};
		static const struct option long_options[] = {
			{"sql", no_argument, NULL, OPT_SINGLE},
			{"from-alembic", no_argument, NULL, OPT_SINGLE},
			{"version-table", required_argument, NULL, OPT_SINGLE},
			{"dev-url", required_argument, NULL, OPT_DEV_URL},
			{"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
			{"exit-code", no_argument, NULL, OPT_EXIT_CODE},
			{NULL, 0, NULL, 0}
		};
		int			c;
		bool		migration = command_is("upgrade") || command_is("downgrade") ||
			command_is("stamp");

		while ((c = command_getopt(argc, argv, "", long_options)) != -1)
		{
			if (c == '?')
				return EXIT_USAGE;
			if (c == OPT_SINGLE)
				return usage_error("--sql, --from-alembic and --version-table do not run over a fleet");
			if (!command_is("diff"))
				return usage_error("--dev-url, --output-dir and --exit-code go with diff");
			if (c == OPT_DEV_URL)
				diff_dev_url = optarg;
			else if (c == OPT_OUTPUT_DIR)
				diff_output_dir = optarg;
			/* --exit-code: a fleet diff always exits as with it */
		}
		if (command_is("diff") && argc - optind != 1)
			return usage_error("diff over a fleet needs one reference: a connection string, a FILE.sql or \"migrations\"");
		if (command_is("diff") || command_is("review"))
		{
			if (argc - optind > 1)
				return usage_error("unexpected argument \"%s\"", argv[optind + 1]);
			target_rev = argc - optind == 1 ? argv[optind] : "heads";
		}
		else if (!migration && optind < argc)
			return usage_error("unexpected argument \"%s\"", argv[optind]);
		if (migration && argc - optind > 1)
			return usage_error("%s takes one target", command);
		if (migration && argc - optind == 0 && !command_is("upgrade"))
			return usage_error("%s needs a target", command);
		if (migration)
			target_rev = argc - optind == 1 ? argv[optind] : "heads";
	}
	if (fleet_opts.file && fleet_opts.query)
		return usage_error("give --fleet FILE or --fleet-query SQL, not both");
	if (fleet_opts.atomic && !(command_is("upgrade") || command_is("downgrade") || command_is("stamp")))
		return usage_error("--atomic applies to upgrade, downgrade and stamp");
	if (fleet_opts.atomic && fleet_opts.canary)
		return usage_error("--canary and --atomic do not combine: an atomic run is already all or none");

	if (fleet_opts.file ? !read_fleet_file(fleet_opts.file) : !read_fleet_query(fleet_opts.query))
		return EXIT_FAIL;

	/*
	 * diff: the reference's snapshot once, in the coordinator, its scratch
	 * database (for a FILE.sql or "migrations") dropped before the workers
	 * start, so that -j still bounds the connections.
	 */
	if (command_is("diff"))
	{
		if (diff_output_dir && mkdir(diff_output_dir, 0700) != 0 && errno != EEXIST)
		{
			pg_log_error("could not create \"%s\": %s", diff_output_dir, strerror(errno));
			return EXIT_FAIL;
		}
		if ((reference_snapshot = autogen_snapshot(target_rev, diff_dev_url)) == NULL)
		{
			/* a conninfo as the reports show it: without its password */
			pg_log_error("could not take the snapshot of the reference \"%s\"; no database was compared",
						 strcmp(target_rev, "migrations") == 0 || ends_with(target_rev, ".sql")
						 ? target_rev : display_target(target_rev));
			return EXIT_FAIL;
		}
	}

	{
		time_t		now = time(NULL);
		struct tm	tm;

		gmtime_r(&now, &tm);
		snprintf(run_id, sizeof(run_id), "%04d%02d%02dT%02d%02d%02d%05d",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec, (int) (getpid() % 100000));
	}
	if (fleet_opts.log_dir)
	{
		if (mkdir(fleet_opts.log_dir, 0700) != 0 && errno != EEXIST)
		{
			pg_log_error("could not create \"%s\": %s", fleet_opts.log_dir, strerror(errno));
			return EXIT_FAIL;
		}
		workdir = xstrdup(fleet_opts.log_dir);
		keep_workdir = true;
	}
	else if ((workdir = mkdtemp(tmpl)) == NULL)
	{
		pg_log_error("could not create a work folder: %s", strerror(errno));
		return EXIT_FAIL;
	}
	else
		workdir = xstrdup(workdir);

	if (fleet_opts.atomic)
		rc = run_atomic(argc, argv, target_rev, t0);
	else
	{
		phase		ph = PH_RUN;
		int			from = 0;
		bool		any_doubt = false;

		if (command_is("recover"))
		{
			if (!setup_decision_dir())
				return EXIT_FAIL;
			ph = PH_RECOVER;
		}
		if (fleet_opts.canary && fleet_opts.canary < ntargets)
		{
			failed = run_phase(ph, 0, fleet_opts.canary, T_PENDING, argc, argv, target_rev, "canary");
			from = fleet_opts.canary;
			if (failed)
			{
				for (k = from; k < ntargets; k++)
				{
					targets[k].state = T_SKIPPED;
					free(targets[k].detail);
					targets[k].detail = xstrdup("skipped: the canary failed");
				}
				print_report(now_s() - t0, "canary failed");
				list_failures();
				pg_log_error("%d of the %d canary database%s failed; the other %d were not touched",
							 failed, fleet_opts.canary, fleet_opts.canary == 1 ? "" : "s",
							 ntargets - fleet_opts.canary);
				rc = EXIT_FAIL;
				goto done;
			}
		}
		failed += run_phase(ph, from, ntargets, T_PENDING, argc, argv, target_rev,
							command);
		print_report(now_s() - t0, fleet_opts.canary ? "independent, canary first" : "independent");
		list_failures();
		for (k = 0; k < ntargets; k++)
			any_doubt |= targets[k].state == T_INDOUBT;
		if (any_doubt)
			pg_log_warning("pgmig transactions are prepared and waiting for a decision; run \"pgmig --fleet ... recover\"");
		if (failed)
			pg_log_error("%d of %d database%s failed", failed, ntargets, ntargets == 1 ? "" : "s");
		rc = failed || any_doubt ? EXIT_FAIL : EXIT_OK;
		/* diff: as "pgmig diff --exit-code" for each, aggregated */
		for (k = 0; k < ntargets && rc == EXIT_OK; k++)
			if (targets[k].state == T_DIFFERS)
				rc = EXIT_DIFFERENT;
	}
done:
	if (!keep_workdir)
	{
		for (k = 0; k < ntargets; k++)
		{
			char	   *p = result_path(&targets[k], "log");

			unlink(p);
			free(p);
			p = result_path(&targets[k], "res");
			unlink(p);
			free(p);
		}
		rmdir(workdir);
	}
	return rc;
}
