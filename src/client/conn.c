/*-------------------------------------------------------------------------
 *
 * conn.c
 *	  pgmig client: the database connection, running queries, and turning
 *	  the server's NOTICEs and errors into the client's output.
 *
 * Connection settings, in order: -d CONNINFO (a conninfo string or a
 * URI), else $DATABASE_URL (what Flask apps already have; a SQLAlchemy
 * "postgresql+psycopg2://" scheme is accepted), else libpq's own
 * defaults (PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE, ...), which
 * also fill in whatever a conninfo leaves out.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

/*
 * Server messages below ERROR: NOTICE and INFO are progress (pgmig says
 * "Running upgrade A -> B, message" per revision) and go to stderr as
 * plain lines, so stdout stays clean for results; WARNINGs keep their
 * label and are shown even with --quiet.
 */
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

PGconn *
connect_db(void)
{
	const char *keywords[4];
	const char *values[4];
	char	   *dbname = NULL;
	PGconn	   *conn;
	int			n = 0;

	if (opts.conninfo)
		dbname = libpq_url(opts.conninfo);
	else if (getenv("DATABASE_URL") && getenv("DATABASE_URL")[0])
		dbname = libpq_url(getenv("DATABASE_URL"));

	if (dbname)
	{
		keywords[n] = "dbname";
		values[n++] = dbname;
	}
	keywords[n] = "fallback_application_name";
	values[n++] = "pgmig";
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, 1);
	free(dbname);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "pgmig: error: %s", conn ? PQerrorMessage(conn) : "out of memory\n");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	return conn;
}

void
disconnect_db(PGconn *conn)
{
	if (conn)
		PQfinish(conn);
}

/*
 * Print an error result the way psql does at its default verbosity
 * (ERROR, DETAIL, HINT, CONTEXT), prefixed by the program name.
 */
void
report_result_error(const PGresult *res)
{
	char	   *msg = PQresultVerboseErrorMessage(res, PQERRORS_DEFAULT,
												  PQSHOW_CONTEXT_ERRORS);

	if (msg && msg[0])
		fprintf(stderr, "pgmig: %s", msg);
	else
		fprintf(stderr, "pgmig: error: %s\n", PQresStatus(PQresultStatus(res)));
	PQfreemem(msg);
}

PGresult *
run_sql(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;
	ExecStatusType st;

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
		fprintf(stderr, "pgmig: error: %s", PQerrorMessage(conn));
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
		pg_log_hint("Run \"pgmig init\" first.");
	}
	return ok;
}
