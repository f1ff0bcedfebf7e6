/*-------------------------------------------------------------------------
 *
 * conn.c
 *	  pgmig client: the database connection, ^C, running queries, turning
 *	  the server's NOTICEs and errors into the client's output, and
 *	  printing results.
 *
 * Connection settings, as PostgreSQL's client programs take them: -h,
 * -p, -U, and -d (a database name, a conninfo string or a URI), else
 * $DATABASE_URL (what Flask apps already have; a SQLAlchemy
 * "postgresql+psycopg2://" scheme is accepted), else libpq's own
 * defaults (PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE, ...), which
 * also fill in whatever is left out.  A server that asks for a password
 * gets one prompted for (simple_prompt), unless -w; -W prompts first.
 *
 * ^C: fe_utils/cancel.h's handler sends a cancel request for the
 * connection, so a running upgrade() is rolled back by the server
 * instead of running on to commit behind the user's back; after it, no
 * further command is sent (run_sql checks CancelRequested), so the rest
 * of a plan is not started.  With no connection open, ^C ends the
 * program as usual.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include <signal.h>

#include "common/string.h"
#include "mb/pg_wchar.h"
#include "fe_utils/cancel.h"

/* set while a connection is open: ^C then cancels instead of exiting */
static volatile sig_atomic_t connection_open = false;
/* client encoding of the last connection, for print.h's widths */
static int	result_encoding = PG_SQL_ASCII;
bool		connect_quietly = false;

/* Called by cancel.c's SIGINT handler, before it sends the cancel. */
static void
on_cancel(void)
{
	if (!connection_open)
	{
		/* nothing to cancel: die of SIGINT as without a handler */
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
}

void
setup_cancel(void)
{
	setup_cancel_handler(on_cancel);
}

/*
 * Server messages below ERROR: NOTICE and INFO are progress (pgmig says
 * "Running upgrade A -> B, message" per revision) and go to stderr as
 * plain lines, so stdout stays clean for results; WARNINGs keep their
 * label and are shown even with --quiet.
 */
static const char *client_command_for(const char *hint);

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

	if (msg == NULL)
		return;
	if (sev && strcmp(sev, "WARNING") == 0)
	{
		fprintf(stderr, "WARNING:  %s\n", msg);
		if (detail)
			fprintf(stderr, "DETAIL:  %s\n", detail);
		if (hint)
			fprintf(stderr, "HINT:  %s\n", hint);
		if (client_command_for(hint))
			fprintf(stderr, "HINT:  From the client: %s.\n", client_command_for(hint));
		return;
	}
	if (opts.quiet)
		return;
	fprintf(stderr, "%s\n", msg);
	if (detail)
		fprintf(stderr, "  %s\n", detail);
}

/*
 * Flask-SQLAlchemy URLs name the driver in the scheme
 * ("postgresql+psycopg2://"); libpq only knows postgresql:// and
 * postgres://, so drop the "+driver" part.
 */
static char *
libpq_url(const char *url)
{
	const char *plus = strchr(url, '+');
	const char *colon = strstr(url, "://");
	char	   *r;

	if (plus && colon && plus < colon)
	{
		r = malloc(strlen(url) + 1);
		memcpy(r, url, plus - url);
		strcpy(r + (plus - url), colon);
		return r;
	}
	return strdup(url);
}

/*
 * Connect to `spec` (a database name, conninfo or URI; NULL for libpq's
 * defaults).  The main connection also takes -h -p -U; a database named on
 * the command line for another purpose (diff FROM TO, --from-db, --dev-url)
 * is exactly what it says.
 */
static PGconn *
connect_spec(const char *spec, bool main_options)
{
	const char *keywords[7];
	const char *values[7];
	char	   *dbname = spec ? libpq_url(spec) : NULL;
	char	   *password = NULL;
	PGconn	   *conn;
	bool		again;
	int			n = 0;

	if (opts.force_password)
		password = simple_prompt("Password: ", false);

	/* as vacuumdb: -h -p -U first; the expanded dbname may add more */
	keywords[n] = "host";
	values[n++] = main_options ? opts.host : NULL;
	keywords[n] = "port";
	values[n++] = main_options ? opts.port : NULL;
	keywords[n] = "user";
	values[n++] = main_options ? opts.username : NULL;
	keywords[n] = "password";
	values[n++] = NULL;			/* set below */
	keywords[n] = "dbname";
	values[n++] = dbname;
	keywords[n] = "fallback_application_name";
	values[n++] = "pgmig";
	keywords[n] = NULL;
	values[n] = NULL;

	do
	{
		again = false;
		values[3] = password;
		conn = PQconnectdbParams(keywords, values, true);
		if (conn == NULL)
		{
			pg_log_error("could not connect to the database: out of memory");
			break;
		}
		if (PQstatus(conn) == CONNECTION_BAD && PQconnectionNeedsPassword(conn) &&
			password == NULL && !opts.no_password)
		{
			PQfinish(conn);
			password = simple_prompt("Password: ", false);
			again = true;
		}
	} while (again);
	free(dbname);
	free(password);
	if (conn == NULL)
		return NULL;
	if (PQstatus(conn) != CONNECTION_OK)
	{
		if (connect_quietly)
			pg_log_warning("%s", PQerrorMessage(conn));
		else
			pg_log_error("%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	result_encoding = PQclientEncoding(conn);
	SetCancelConn(conn);
	connection_open = true;
	return conn;
}

PGconn *
connect_db(void)
{
	if (opts.dbname)
		return connect_spec(opts.dbname, true);
	if (getenv("DATABASE_URL") && getenv("DATABASE_URL")[0])
		return connect_spec(getenv("DATABASE_URL"), true);
	if (opts.conf_dbname)
		return connect_spec(opts.conf_dbname, true);
	return connect_spec(NULL, true);
}

PGconn *
connect_conninfo(const char *spec)
{
	return connect_spec(spec, false);
}

void
disconnect_db(PGconn *conn)
{
	if (conn)
	{
		ResetCancelConn();
		connection_open = false;
		PQfinish(conn);
	}
}

PGconn *
connect_pgmig(void)
{
	PGconn	   *conn = connect_db();

	if (conn && !require_extension(conn))
	{
		disconnect_db(conn);
		return NULL;
	}
	return conn;
}

/*
 * Print an error result the way psql does at its default verbosity
 * (ERROR, DETAIL, HINT, CONTEXT), prefixed by the program name.
 */
/*
 * The server's hints speak SQL (pgmig.repair(), pgmig.merge()...), which
 * is right for psql users; a client user gets the matching client command
 * after them.  Only the first SQL function named gets a line.
 */
static const char *
client_command_for(const char *hint)
{
	static const struct
	{
		const char *sql;
		const char *client;
	}			map[] = {
		{"pgmig.repair(", "pgmig repair FILE (the revision file as it should be)"},
		{"pgmig.merge(", "pgmig merge -m MESSAGE"},
		{"pgmig.stamp(", "pgmig stamp TARGET"},
		{"pgmig.load(", "pgmig load"},
		{"pgmig.upgrade(", "pgmig upgrade TARGET (pgmig upgrade --commit-each for one transaction per revision)"},
		{"pgmig.downgrade(", "pgmig downgrade TARGET"},
		{"pgmig.history(", "pgmig history"},
		{"pgmig.record_schema(", "pgmig drift --accept"},
		{"pgmig.drift(", "pgmig drift"},
	};
	int			k;

	if (hint == NULL)
		return NULL;
	for (k = 0; k < lengthof(map); k++)
		if (strstr(hint, map[k].sql))
			return map[k].client;
	return NULL;
}

static void
client_hint(const PGresult *res)
{
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *cmd;

	/* the lock table filled up: the whole run was one transaction */
	if (sqlstate && strcmp(sqlstate, "53200") == 0 &&
		opts.command && (strcmp(opts.command, "upgrade") == 0 ||
						 strcmp(opts.command, "downgrade") == 0))
	{
		pg_log_error_detail("Everything this run did was rolled back: no revision changed state.");
		pg_log_error_hint("Run \"pgmig %s --commit-each\": one transaction per revision.", opts.command);
		return;
	}
	if ((cmd = client_command_for(hint)) != NULL)
		pg_log_error_hint("From the client: %s.", cmd);
}

void
report_result_error(const PGresult *res)
{
	char	   *msg;

	if (res == NULL)
	{
		/* nothing was sent: ^C came first (or libpq ran out of memory) */
		pg_log_error(CancelRequested ? "canceled: the statement was not sent" :
					 "out of memory");
		return;
	}
	msg = PQresultVerboseErrorMessage(res, PQERRORS_DEFAULT, PQSHOW_CONTEXT_ERRORS);

	/* as psql: the server's message is complete, so "pgmig: " and it */
	if (msg && msg[0])
		pg_log_info("%s", msg);
	else
		pg_log_error("%s", PQresStatus(PQresultStatus(res)));
	PQfreemem(msg);
	client_hint(res);
}

PGresult *
run_sql(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;
	ExecStatusType st;

	if (CancelRequested)
	{
		pg_log_error("canceled: no further command was sent");
		return NULL;
	}
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	if (res)
	{
		report_result_error(res);
		PQclear(res);
	}
	else
		pg_log_error("%s", PQerrorMessage(conn));
	return NULL;
}

bool
exec_sql(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = run_sql(conn, sql, nparams, params);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

bool
require_extension(PGconn *conn)
{
	PGresult   *res = run_sql(conn,
							  "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pgmig'",
							  0, NULL);
	bool		ok;

	if (res == NULL)
		return false;
	ok = PQntuples(res) == 1;
	PQclear(res);
	if (!ok)
	{
		pg_log_error("the pgmig extension is not installed in database \"%s\"",
					 PQdb(conn));
		pg_log_error_hint("Run \"pgmig init\" first.");
	}
	return ok;
}

/*
 * Print a result with psql's own printer: aligned with a header and a
 * "(N rows)" footer by default, -A unaligned, --csv, and expanded for
 * one-record views (show, status) or with -x.  CSV stays one header line
 * and one line per row, so scripts read it the same for every command.
 */
void
print_result(const PGresult *res, bool expanded)
{
	print_titled(res, NULL, expanded);
}

/* A result with a title above it, as psql titles its \\d output (none in CSV). */
void
print_titled(const PGresult *res, const char *title, bool expanded)
{
	printQueryOpt popt;

	memset(&popt, 0, sizeof(popt));
	popt.topt.format = opts.format;
	popt.topt.expanded = (expanded || opts.expanded) && opts.format != PRINT_CSV;
	popt.topt.border = 1;
	popt.topt.start_table = true;
	popt.topt.stop_table = true;
	popt.topt.default_footer = true;
	popt.topt.fieldSep.separator = "|";
	popt.topt.recordSep.separator = "\n";
	popt.topt.csvFieldSep[0] = ',';
	popt.topt.encoding = result_encoding;
	popt.nullPrint = "";
	popt.title = (char *) title;
	printQuery(res, &popt, stdout, false, NULL);
}
