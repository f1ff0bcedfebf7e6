/*-------------------------------------------------------------------------
 *
 * autogen.c
 *	  `pgmig diff FROM TO` and `pgmig revision --autogenerate`.
 *
 * Both compare two schema snapshots (doc/snapshot-format.md) with the diff
 * engine of the server-free core (core/schemadiff.h).  A snapshot is taken
 * by sending the snapshot query itself (snapshot_sql.h, generated from
 * src/snapshot.sql, the very text pgmig.snapshot() runs), so neither side
 * needs pgmig installed: a scratch database an ORM built, or a server the
 * user may only read.
 *
 * A side of a diff is one of:
 *	- a connection string or URI: that database as it is;
 *	- a FILE.sql: the file run in a scratch database;
 *	- the word "migrations": the folder's revisions run, parents first, in
 *	  a scratch database (the folder built at its heads).
 *
 * Scratch databases: CREATE DATABASE ... TEMPLATE template0 on the server
 * of --dev-url, else of the main connection; dropped on every exit path
 * (an atexit hook: ^C cancels the running query through the cancel
 * handler, the command then fails and exits through the hook).  Creating
 * one needs CREATEDB; without it the error says so and names --dev-url.
 *
 * revision --autogenerate: the current state is the folder's head built in
 * a scratch database, never the live database (which may have drifted).
 * The generated scripts are verified in that scratch database before any
 * file is written: the upgrade must reach the desired snapshot, and the
 * downgrade must come back to the head's; otherwise nothing is written and
 * what still differs is shown.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <unistd.h>

#include "client.h"
#include "fe_utils/cancel.h"
#include "core/schemadiff.h"
#include "core/sqlquote.h"
#include "snapshot_sql.h"

/* ---- scratch databases ---- */

#define MAX_SCRATCH 4

/* Where a scratch database lives: enough to reconnect and drop it. */
typedef struct scratch_db
{
	char	   *host;
	char	   *port;
	char	   *user;
	char	   *password;
	char	   *admin_db;		/* a database of that server to drop from */
	char		name[64];
} scratch_db;

static scratch_db scratch[MAX_SCRATCH];
static int	nscratch;
static bool scratch_hook;

static PGconn *
connect_params(const scratch_db *s, const char *dbname)
{
	const char *keywords[] = {"host", "port", "user", "password", "dbname",
	"fallback_application_name", NULL};
	const char *values[] = {s->host, s->port, s->user, s->password, dbname,
	"pgmig", NULL};
	PGconn	   *c = PQconnectdbParams(keywords, values, false);

	if (c == NULL || PQstatus(c) != CONNECTION_OK)
	{
		pg_log_error("could not connect to database \"%s\": %s", dbname,
					 c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Drop every scratch database this process created (atexit, and after use). */
static void
drop_scratch(void)
{
	int			k;

	for (k = 0; k < nscratch; k++)
	{
		PGconn	   *c = connect_params(&scratch[k], scratch[k].admin_db);
		char		sql[160];

		if (c == NULL)
			continue;
		/* FORCE: a connection of ours may still be open after a cancel */
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
				 scratch[k].name);
		PQclear(PQexec(c, sql));
		PQfinish(c);
	}
	nscratch = 0;
}

static char *
dup_or_null(const char *s)
{
	return s && s[0] ? pm_strdup(s) : NULL;
}

/*
 * Create a scratch database on the server of `dev_url` (or of the main
 * connection) and connect to it.
 */
static PGconn *
create_scratch(const char *dev_url)
{
	PGconn	   *admin = dev_url ? connect_conninfo(dev_url) : connect_db();
	scratch_db *s = &scratch[nscratch];
	PGresult   *res;
	char		sql[160];

	if (admin == NULL)
		return NULL;
	if (nscratch == MAX_SCRATCH)
	{
		PQfinish(admin);
		pg_log_error("too many scratch databases");
		return NULL;
	}
	if (!scratch_hook)
	{
		atexit(drop_scratch);
		scratch_hook = true;
	}
	snprintf(s->name, sizeof(s->name), "pgmig_scratch_%d_%d", (int) getpid(), nscratch);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", s->name);
	res = PQexec(admin, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		pg_log_error("could not create a scratch database: %s",
					 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		if (state && strcmp(state, "42501") == 0)
			pg_log_error_hint("pgmig builds schemas in a throwaway database: grant this role CREATEDB, or name a server where it may create databases with --dev-url CONNINFO.");
		PQclear(res);
		PQfinish(admin);
		return NULL;
	}
	PQclear(res);
	s->host = dup_or_null(PQhost(admin));
	s->port = dup_or_null(PQport(admin));
	s->user = dup_or_null(PQuser(admin));
	s->password = dup_or_null(PQpass(admin));
	s->admin_db = pm_strdup(PQdb(admin));
	nscratch++;
	PQfinish(admin);
	return connect_params(s, s->name);
}

/* ---- snapshots ---- */

/*
 * pgmig diff --lock-timeout: how long a snapshot may wait for a lock (NULL:
 * the server's lock_timeout).  The snapshot takes ACCESS SHARE on the
 * tables a view, a CHECK constraint or a default reads (as pg_dump does);
 * behind another session's ACCESS EXCLUSIVE it would wait, and while it
 * waits every session queued behind that lock waits too.
 */
static const char *snapshot_lock_timeout = NULL;

/*
 * Start the snapshot of the database `conn` is connected to; the result is
 * collected by snapshot_recv().  Split in two so that the two sides of a
 * diff are read at the same time, each by its own server process.
 */
static bool
snapshot_send(PGconn *conn)
{
	/*
	 * the query's own rules (doc/snapshot-format.md): search_path =
	 * pg_catalog, pg_temp; no JIT (compiling it costs more than running it);
	 * work_mem for its sorts of every object and dependency to stay in
	 * memory (the default 4 MB spills them to disk at 1,000 tables); the
	 * plan shape pgmig.snapshot() sets too (no nested loop, merge join or
	 * hash aggregate: src/snapshot_fn.sql.in says why).  All local to the
	 * transaction, set in one round trip.
	 */
	const char *lock_timeout = snapshot_lock_timeout;

	if (!exec_sql(conn, "BEGIN", 0, NULL) ||
		!exec_sql(conn, "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true), "
				  "pg_catalog.set_config('jit', 'off', true), "
				  "pg_catalog.set_config('work_mem', '64MB', true), "
				  "pg_catalog.set_config('enable_nestloop', 'off', true), "
				  "pg_catalog.set_config('enable_mergejoin', 'off', true), "
				  "pg_catalog.set_config('enable_hashagg', 'off', true), "
				  "pg_catalog.set_config('lock_timeout', COALESCE($1, pg_catalog.current_setting('lock_timeout')), true)",
				  1, &lock_timeout))
		return false;
	if (!PQsendQueryParams(conn, pgmig_snapshot_sql, 1, NULL, (const char *const[]) {NULL},
						   NULL, NULL, 0))
	{
		pg_log_error("%s", PQerrorMessage(conn));
		return false;
	}
	/* a row at a time: the 15,000 objects of 1,000 tables never sit in one PGresult */
	(void) PQsetSingleRowMode(conn);
	return true;
}

/*
 * A snapshot's text is joined in blocks of huge pages (pm_buf_init_large):
 * 4.6 MB at 1,000 tables, 47 MB at 10,000, which malloc'd memory grown by
 * realloc would fault in one 4 kB page at a time (11,500 pages a side at
 * 10,000 tables).  Every text take_snapshot(s) gives is freed with
 * snapshot_free().
 */

/* A copy of a snapshot's text, freed like the others by snapshot_free(). */
static char *
snapshot_dup(const char *json)
{
	pm_buf		b;

	pm_buf_init_large(&b);
	pm_buf_puts(&b, json);
	return b.data;
}

/*
 * The snapshot started by snapshot_send(), as JSON text; NULL on error.  The
 * query gives one row (id, object) per object in id order (src/snapshot.sql
 * says why); joined here exactly as pgmig.snapshot() joins them, the text is
 * that function's output, byte for byte.
 */
static char *
snapshot_recv(PGconn *conn)
{
	PGresult   *res;
	pm_buf		b;
	int			nobjects = 0;
	bool		complete = false;
	bool		failed = false;

	pm_buf_init_large(&b);
	pm_buf_puts(&b, "{\"format\": 1, \"objects\": [");
	while ((res = PQgetResult(conn)) != NULL)
	{
		ExecStatusType st = PQresultStatus(res);

		if (failed)
			;
		else if ((st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) && PQnfields(res) == 2)
		{
			int			r;

			/* every row of the result: all of them if single-row mode was refused */
			for (r = 0; r < PQntuples(res) && !failed; r++)
			{
				if (PQgetisnull(res, r, 1))
				{
					pg_log_error("the snapshot query returned an object without text: %s",
								 PQgetvalue(res, r, 0));
					failed = true;
					break;
				}
				if (nobjects++ > 0)
					pm_buf_append(&b, ", ", 2);
				pm_buf_append(&b, PQgetvalue(res, r, 1), PQgetlength(res, r, 1));
			}
			/* the zero-row result that ends the rows */
			complete = complete || st == PGRES_TUPLES_OK;
		}
		else
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			report_result_error(res);
			if (state && strcmp(state, "55P03") == 0)
				pg_log_error_hint("Another session holds a lock on a table the snapshot reads (a view's, a CHECK constraint's or a default's): retry when it is done%s.",
								  snapshot_lock_timeout ? ", or give --lock-timeout more time" : "");
			failed = true;
		}
		PQclear(res);
	}
	if (complete && !failed)
	{
		res = PQexec(conn, "SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4");
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		{
			pm_buf_puts(&b, "], \"server_version_num\": ");
			pm_buf_puts(&b, PQgetvalue(res, 0, 0));
			pm_buf_puts(&b, "}");
		}
		else
		{
			report_result_error(res);
			failed = true;
		}
		PQclear(res);
	}
	failed = failed || !complete;
	(void) exec_sql(conn, failed ? "ROLLBACK" : "COMMIT", 0, NULL);
	if (failed)
	{
		pm_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* The snapshot of the database `conn` is connected to, as JSON text. */
static char *
take_snapshot(PGconn *conn)
{
	return snapshot_send(conn) ? snapshot_recv(conn) : NULL;
}

/*
 * The snapshot a database pgmig keeps has recorded, when it is the schema
 * now (pgmig._recorded_snapshot(), src/drift.c: nothing pending, the
 * catalogs at the digest recorded with it): the very text the query would
 * print, without reading every object again.  Only the installed
 * extension's own function is called, and only when the role may execute
 * it; in every other case (no pgmig, an older one, no grant, not current,
 * an error) the caller takes the snapshot.  Split like snapshot_send() and
 * snapshot_recv(), so both sides are asked at the same time.
 */
static bool
recorded_send(PGconn *conn)
{
	PGresult   *res;
	bool		callable;

	res = PQexec(conn,
				 "SELECT pg_catalog.has_function_privilege(p.oid, 'EXECUTE')"
				 "  FROM pg_catalog.pg_extension x"
				 "  JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass"
				 "   AND d.refobjid = x.oid AND d.deptype = 'e'"
				 "   AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
				 "  JOIN pg_catalog.pg_proc p ON p.oid = d.objid"
				 " WHERE x.extname = 'pgmig' AND p.proname = '_recorded_snapshot'"
				 "   AND p.pronamespace = pg_catalog.to_regnamespace('pgmig')");
	callable = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return callable && PQsendQuery(conn, "SELECT pgmig._recorded_snapshot()");
}

/*
 * A recorded snapshot is read where libpq put it, in its result, which is
 * kept until snapshot_free(): a copy of the 4.6 MB text of 1,000 tables
 * cost the client 1,150 page faults of new memory (15 ms on a virtual
 * machine).  One result per side of a diff.
 */
static PGresult *held_results[2];

/* Free a snapshot's text from take_snapshot(s), a held result's or not. */
static void
snapshot_free(char *json)
{
	int			i;

	for (i = 0; i < lengthof(held_results); i++)
		if (held_results[i] != NULL && PQgetvalue(held_results[i], 0, 0) == json)
		{
			PQclear(held_results[i]);
			held_results[i] = NULL;
			return;
		}
	pm_free_large(json);
}

/* The answer to recorded_send(): the snapshot's text, or NULL. */
static char *
recorded_recv(PGconn *conn)
{
	PGresult   *res;
	char	   *json = NULL;
	int			i;

	while ((res = PQgetResult(conn)) != NULL)
	{
		if (json == NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
			PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		{
			for (i = 0; i < lengthof(held_results) && held_results[i] != NULL; i++)
				;
			if (i < lengthof(held_results))
			{
				held_results[i] = res;
				json = PQgetvalue(res, 0, 0);
				continue;
			}
			json = snapshot_dup(PQgetvalue(res, 0, 0));
		}
		PQclear(res);
	}
	return json;
}

/*
 * The snapshots of two databases, read at the same time; false (both
 * NULL) on an error.  record_a/record_b: a side that is a live database
 * may give its recorded snapshot (recorded_send()); a scratch database the
 * client built never does.  Free the texts with snapshot_free().
 */
static bool
take_snapshots(PGconn *a, PGconn *b, bool record_a, bool record_b,
			   char **ja, char **jb)
{
	bool		ask_a = record_a && recorded_send(a);
	bool		ask_b = record_b && recorded_send(b);
	char	   *ra = ask_a ? recorded_recv(a) : NULL;
	bool		sent_a = ra != NULL || snapshot_send(a);
	char	   *rb = ask_b ? recorded_recv(b) : NULL;
	bool		sent_b = sent_a && (rb != NULL || snapshot_send(b));

	if (!sent_a)
	{
		snapshot_free(rb);
		rb = NULL;
	}
	*ja = ra != NULL ? ra : sent_a ? snapshot_recv(a) : NULL;
	*jb = rb != NULL ? rb : sent_b ? snapshot_recv(b) : NULL;
	if (*ja && *jb)
		return true;
	snapshot_free(*ja);
	snapshot_free(*jb);
	*ja = *jb = NULL;
	return false;
}

/* Run a script as one simple-query batch (one implicit transaction). */
static bool
run_script(PGconn *conn, const char *what, const char *sql)
{
	PGresult   *res = CancelRequested ? NULL : PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		PQresultStatus(res) == PGRES_TUPLES_OK ||
		PQresultStatus(res) == PGRES_EMPTY_QUERY;

	if (!ok)
	{
		if (res)
			report_result_error(res);
		pg_log_error("%s failed", what);
	}
	PQclear(res);
	return ok;
}

/* Build the folder at its heads: every upgrade, parents first. */
static bool
build_folder(PGconn *conn, const revdir *d)
{
	int			k;

	for (k = 0; k < d->n; k++)
	{
		char		what[PM_MAX_ID_LEN + 1024];

		snprintf(what, sizeof(what), "building the folder: revision %s (%s)",
				 d->files[k].rf.id, d->files[k].path);
		if (!run_script(conn, what, d->files[k].rf.upgrade))
			return false;
	}
	return true;
}

/*
 * A connection to one side of a diff (see the file header), built first
 * when it is a folder or a file; NULL on an error.
 */
static PGconn *
side_connect(const char *side, const char *dev_url)
{
	PGconn	   *conn;
	bool		ok = true;

	if (strcmp(side, "migrations") == 0)
	{
		revdir		d;

		if (!read_revdir(opts.dir, &d))
			return NULL;
		conn = create_scratch(dev_url);
		ok = conn != NULL && build_folder(conn, &d);
		free_revdir(&d);
	}
	else if (ends_with(side, ".sql"))
	{
		size_t		len;
		char	   *text = read_file(side, &len);

		if (text == NULL)
			return NULL;
		conn = create_scratch(dev_url);
		ok = conn != NULL && run_script(conn, side, text);
		pm_free(text);
	}
	else
		conn = connect_conninfo(side);
	if (conn && !ok)
	{
		PQfinish(conn);
		conn = NULL;
	}
	return conn;
}

/* ---- the engine ---- */

/* both directions, or (upgrade_only) the upgrade alone: half the work */
static bool
run_engine(const char *a, const char *b, const char *renames, bool upgrade_only,
		   pm_diff *df)
{
	pm_error	err;

	/*
	 * Both directions are a new revision's: its upgrade keeps enum ADD
	 * VALUE steps, which autogen_scripts() commits in a revision of their
	 * own when the change uses the values.
	 */
	memset(&err, 0, sizeof(err));
	if ((upgrade_only ? pm_schema_diff_upgrade : pm_schema_diff_keep_add_value)
		(a, strlen(a), b, strlen(b), renames, renames ? strlen(renames) : 0, df, &err))
		return true;
	pg_log_error("%s", err.msg);
	if (err.detail[0])
		pg_log_error_detail("%s", err.detail);
	if (err.hint[0])
		pg_log_error_hint("%s", err.hint);
	return false;
}

/*
 * Count, in the database `conn` holds the data of, what each data-deleting
 * step of the upgrade deletes, so its hazard says "...: 1,234 non-NULL
 * values are lost".  Read-only transaction, always rolled back; each count
 * under a savepoint, so one that fails (the table is not in that database,
 * no SELECT privilege, a lock held too long) says why in its hazard and
 * the rest go on.  conn == NULL: every such hazard says `why_not`.
 */
static void
count_lost(PGconn *conn, pm_diff *df, const char *why_not)
{
	int			k;
	bool		tx;

	tx = conn != NULL &&
		exec_sql(conn, "BEGIN READ ONLY", 0, NULL) &&
		exec_sql(conn, "SET LOCAL lock_timeout = '5s'", 0, NULL);
	for (k = 0; k < df->n; k++)
	{
		PGresult   *res;

		if (df->steps[k].count_sql == NULL)
			continue;
		if (!tx || CancelRequested)
		{
			pm_diff_step_counted(&df->steps[k], -1, why_not);
			continue;
		}
		PQclear(PQexec(conn, "SAVEPOINT pgmig_count"));
		res = PQexec(conn, df->steps[k].count_sql);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			pm_diff_step_counted(&df->steps[k], atoll(PQgetvalue(res, 0, 0)), NULL);
		else
		{
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			pm_diff_step_counted(&df->steps[k], -1, msg ? msg : PQerrorMessage(conn));
			PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT pgmig_count"));
		}
		PQclear(res);
	}
	if (tx)
		PQclear(PQexec(conn, "ROLLBACK"));
}

/* does any upgrade step delete data that can be counted? */
static bool
needs_count(const pm_diff *df)
{
	int			k;

	for (k = 0; k < df->n; k++)
		if (df->steps[k].count_sql)
			return true;
	return false;
}

/* Steps as a script: each hazard as a -- WARNING: line above its statement. */
static void
format_steps(const pm_diff_step *steps, int n, pm_buf *out)
{
	int			k;

	for (k = 0; k < n; k++)
	{
		size_t		len = strlen(steps[k].sql);

		if (steps[k].hazard)
			pm_buf_printf(out, "-- WARNING: %s\n", steps[k].hazard);
		/* the engine's statements carry no terminator */
		pm_buf_printf(out, "%s%s\n", steps[k].sql,
					  len > 0 && steps[k].sql[len - 1] == ';' ? "" : ";");
	}
}

/*
 * --rename KIND.NAME=NEW (table.[schema.]old=new, column.[schema.]table.old=new)
 * as the engine's map {"table public.old": "new"}; NULL (after an error)
 * on a malformed one.
 */
static bool
add_rename(pm_buf *map, const char *spec)
{
	const char *eq = strchr(spec, '=');
	const char *dot = strchr(spec, '.');
	char	   *path;
	char	   *parts[3];
	int			nparts = 0;
	bool		column;
	char	   *p;
	int			want;
	int			k;
	pm_buf		id;

	if (eq == NULL || dot == NULL || dot > eq || eq[1] == '\0')
		return false;
	column = strncmp(spec, "column.", 7) == 0;
	if (!column && strncmp(spec, "table.", 6) != 0)
		return false;
	path = pm_strndup(dot + 1, eq - dot - 1);
	for (p = path; nparts < 3;)
	{
		parts[nparts++] = p;
		p = strchr(p, '.');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	want = column ? 3 : 2;
	if (p != NULL || nparts < want - 1)
	{
		pm_free(path);
		return false;
	}
	pm_buf_init(&id);
	pm_buf_puts(&id, column ? "column " : "table ");
	if (nparts == want - 1)
		pm_buf_puts(&id, "public.");
	for (k = 0; k < nparts; k++)
	{
		if (k)
			pm_buf_puts(&id, ".");
		pm_quote_ident(&id, parts[k]);
	}
	pm_buf_printf(map, "%s", map->len > 1 ? "," : "");
	/* JSON strings: ids and names are plain text without quotes here */
	pm_buf_puts(map, "\"");
	for (p = id.data; *p; p++)
		pm_buf_printf(map, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
	pm_buf_puts(map, "\": \"");
	for (p = (char *) eq + 1; *p; p++)
		pm_buf_printf(map, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
	pm_buf_puts(map, "\"");
	pm_buf_free(&id);
	pm_free(path);
	return true;
}

/*
 * One --rename SPEC of pgmig diff or revision --autogenerate, added to the
 * rename map *map (NULL until the first; the caller frees it).  False,
 * after a usage error, on a malformed SPEC.
 */
bool
autogen_rename(char **map, const char *spec)
{
	pm_buf		m;

	pm_buf_init(&m);
	if (*map)
	{
		/* reopen "{...}" to append one more entry */
		pm_buf_printf(&m, "%.*s", (int) strlen(*map) - 1, *map);
	}
	else
		pm_buf_puts(&m, "{");
	if (!add_rename(&m, spec))
	{
		usage_error("invalid --rename \"%s\": use table.[SCHEMA.]OLD=NEW or column.[SCHEMA.]TABLE.OLD=NEW", spec);
		pm_buf_free(&m);
		return false;
	}
	pm_buf_puts(&m, "}");
	pm_free(*map);
	*map = m.data;
	return true;
}

/* ---- pgmig diff ---- */

/*
 * The snapshot of one side of a diff, its scratch database (if any)
 * already dropped; NULL after an error.  pgmig --fleet ... diff takes the
 * reference's once with it, then each database's (each in a process of
 * its own that keeps it until it exits: the text is in huge-page blocks,
 * pm_buf_init_large's, not pm_free's to free).
 */
char *
autogen_snapshot(const char *side, const char *dev_url)
{
	PGconn	   *conn = side_connect(side, dev_url);
	char	   *json = conn ? take_snapshot(conn) : NULL;

	if (conn)
		PQfinish(conn);
	drop_scratch();
	return json;
}

/* The snapshot of the database conn is connected to; NULL after an error. */
char *
autogen_conn_snapshot(PGconn *conn)
{
	return take_snapshot(conn);
}

/*
 * The script that turns snapshot a into snapshot b (hazards as "--
 * WARNING:" lines) and its number of statements; false after an error.
 */
bool
autogen_compare(const char *a, const char *b, const char *renames,
				char **script, int *nsteps)
{
	pm_diff		df;
	pm_buf		out;

	if (!run_engine(a, b, renames, true, &df))
		return false;
	pm_buf_init(&out);
	format_steps(df.steps, df.n, &out);
	*script = out.data;
	*nsteps = df.n;
	pm_diff_free(&df);
	return true;
}

int
autogen_diff(const char *from, const char *to, const char *dev_url,
			 const char *renames, bool exit_code)
{
	bool		live = strcmp(from, "migrations") != 0 && !ends_with(from, ".sql");
	bool		live_to = strcmp(to, "migrations") != 0 && !ends_with(to, ".sql");
	PGconn	   *from_conn = side_connect(from, dev_url);
	PGconn	   *to_conn = from_conn ? side_connect(to, dev_url) : NULL;
	char	   *a = NULL,
			   *b = NULL;
	pm_diff		df;
	pm_buf		script;
	int			rc;

	if (to_conn == NULL || !take_snapshots(from_conn, to_conn, live, live_to, &a, &b) ||
		!run_engine(a, b, renames, true, &df))
	{
		if (from_conn)
			PQfinish(from_conn);
		if (to_conn)
			PQfinish(to_conn);
		drop_scratch();
		snapshot_free(a);
		snapshot_free(b);
		return EXIT_FAIL;
	}
	PQfinish(to_conn);

	/*
	 * FROM a database: its data is what the drops delete, so count it
	 * there.  A FROM built in a scratch database holds no data to count.
	 */
	if (live)
		count_lost(from_conn, &df, NULL);
	PQfinish(from_conn);
	drop_scratch();
	pm_buf_init(&script);
	format_steps(df.steps, df.n, &script);
	if (script.data)
		fputs(script.data, stdout);
	if (df.n == 0)
		progress("No differences.");
	rc = (exit_code && df.n > 0) ? EXIT_DIFFERENT : EXIT_OK;
	pm_buf_free(&script);
	pm_diff_free(&df);
	snapshot_free(a);
	snapshot_free(b);
	return rc;
}

/* ---- revision --autogenerate ---- */

/*
 * Apply `script` in `conn`; the snapshot must then equal `want`.  On a
 * difference, show the statements that would still be needed.
 */
static bool
verify_step(PGconn *conn, const char *what, const char *script, const char *want)
{
	char	   *got;
	pm_diff		df;
	pm_buf		rest;
	bool		ok;

	if (!run_script(conn, what, script) || (got = take_snapshot(conn)) == NULL)
		return false;
	if (strcmp(got, want) == 0)
	{
		snapshot_free(got);
		return true;
	}
	ok = run_engine(got, want, NULL, true, &df);
	snapshot_free(got);
	if (!ok)
		return false;
	if (df.n == 0)
	{
		pm_diff_free(&df);
		return true;			/* equal up to what the engine compares */
	}
	pm_buf_init(&rest);
	format_steps(df.steps, df.n, &rest);
	pg_log_error("verification failed: after the %s the schema still differs from the one wanted", what);
	pg_log_error_detail("Still needed:\n%s", rest.data);
	pg_log_error_hint("Nothing was written.  Write this revision by hand (pgmig revision -m MSG) and report the difference as a pgmig bug.");
	pm_buf_free(&rest);
	pm_diff_free(&df);
	return false;
}

/*
 * The upgrade and downgrade scripts of a new revision: from the folder's
 * head (built in a scratch database) to the desired schema (`schema_file`
 * or `from_db`), verified both ways.  *nochange when there is nothing to do.
 *
 * When the upgrade adds enum values that another of its statements uses
 * (pm_diff_uses_new_enum_value), the values go first, in a revision of their own that
 * runs outside a transaction: *pre_upgrade and *pre_downgrade are its
 * scripts (else NULL), and the other scripts start from the schema it
 * leaves.  Each is verified in the scratch database as the rest is.
 */
bool
autogen_scripts(const revdir *d, const char *schema_file, const char *from_db,
				const char *dev_url, const char *renames,
				char **upgrade, char **downgrade,
				char **pre_upgrade, char **pre_downgrade, bool *nochange)
{
	PGconn	   *work,
			   *wconn = NULL;
	char	   *head = NULL;
	char	   *want = NULL;
	char	   *from = NULL;	/* where the scripts start: head, or after
								 * the enum values */
	pm_diff		df;
	pm_buf		up,
				down,
				pre_up,
				pre_down;
	bool		ok = false,
				split = false;

	*nochange = false;
	*upgrade = *downgrade = *pre_upgrade = *pre_downgrade = NULL;

	work = create_scratch(dev_url);
	if (work == NULL || !build_folder(work, d) ||
		(wconn = side_connect(schema_file ? schema_file : from_db, dev_url)) == NULL ||
		!take_snapshots(work, wconn, false, false, &head, &want) ||
		!run_engine(head, want, renames, false, &df))
		goto done;
	PQfinish(wconn);
	wconn = NULL;
	if (df.n == 0)
	{
		*nochange = true;
		ok = true;
		pm_diff_free(&df);
		goto done;
	}
	pm_buf_init(&pre_up);
	pm_buf_init(&pre_down);
	if (pm_diff_uses_new_enum_value(df.steps, df.n))
	{
		pm_diff		back;
		int			k;

		/*
		 * The values alone, committed in the scratch database: the schema
		 * they leave is where the main revision starts, and what their
		 * downgrade (the engine's, from there back to the head) returns
		 * from.
		 */
		for (k = 0; k < df.n; k++)
			if (pm_diff_is_add_value(&df.steps[k]))
				format_steps(&df.steps[k], 1, &pre_up);
		pm_diff_free(&df);
		if (!run_script(work, "the enum values", pre_up.data) ||
			(from = take_snapshot(work)) == NULL ||
			!run_engine(from, head, NULL, true, &back))
		{
			pm_buf_free(&pre_up);
			pm_buf_free(&pre_down);
			goto done;
		}
		format_steps(back.steps, back.n, &pre_down);
		pm_diff_free(&back);
		if (!run_engine(from, want, renames, false, &df))
		{
			pm_buf_free(&pre_up);
			pm_buf_free(&pre_down);
			goto done;
		}
		split = true;
	}
	else
		from = snapshot_dup(head);
	pm_buf_init(&up);
	pm_buf_init(&down);

	/*
	 * Test hook: pretend the engine forgot the last step, so the tests can
	 * show that verification catches a wrong script and writes nothing.
	 */
	if (getenv("PGMIG_TEST_AUTOGEN_DROP_LAST") && df.n > 0)
		df.n--;

	/*
	 * What the upgrade's drops delete is counted in the live database (-d),
	 * where the revision will run, if it can be reached; the file says so
	 * when it could not.
	 */
	if (needs_count(&df))
	{
		PGconn	   *live = connect_db();

		count_lost(live, &df, "the database could not be reached");
		if (live)
			disconnect_db(live);
		SetCancelConn(work);	/* ^C cancels the verification again */
	}
	format_steps(df.steps, df.n, &up);
	format_steps(df.rev, df.nrev, &down);
	pm_diff_free(&df);

	/*
	 * Verified before it is written: up reaches want, down comes back (to
	 * the schema after the enum values, whose own downgrade then returns
	 * to the head).
	 */
	ok = verify_step(work, "generated upgrade", up.data, want) &&
		verify_step(work, "generated downgrade", down.data, from) &&
		(!split || verify_step(work, "generated downgrade of the enum values", pre_down.data, head));
	if (ok)
	{
		*upgrade = up.data;
		*downgrade = down.data;
		if (split)
		{
			*pre_upgrade = pre_up.data;
			*pre_downgrade = pre_down.data;
		}
		else
		{
			pm_buf_free(&pre_up);
			pm_buf_free(&pre_down);
		}
	}
	else
	{
		pm_buf_free(&up);
		pm_buf_free(&down);
		pm_buf_free(&pre_up);
		pm_buf_free(&pre_down);
	}

done:
	if (work)
		PQfinish(work);
	if (wconn)
		PQfinish(wconn);
	snapshot_free(head);
	snapshot_free(want);
	snapshot_free(from);
	drop_scratch();
	return ok;
}

/*
 * A duration the server's lock_timeout takes: a number, optionally with a
 * unit of time (us, ms, s, min, h, d); no unit means milliseconds.
 */
static bool
valid_duration(const char *s)
{
	static const char *const units[] = {"", "us", "ms", "s", "min", "h", "d"};
	const char *p = s;
	int			k;

	if (!isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p))
		p++;
	if (*p == '.' && isdigit((unsigned char) p[1]))
		for (p++; isdigit((unsigned char) *p); p++)
			;
	while (*p == ' ')
		p++;
	for (k = 0; k < lengthof(units); k++)
		if (strcmp(p, units[k]) == 0)
			return true;
	return false;
}

int
cmd_diff(int argc, char **argv)
{
	enum
	{
		OPT_EXIT_CODE = 1,
		OPT_DEV_URL,
		OPT_RENAME,
		OPT_LOCK_TIMEOUT
	};
	static const struct option long_options[] = {
		{"exit-code", no_argument, NULL, OPT_EXIT_CODE},
		{"dev-url", required_argument, NULL, OPT_DEV_URL},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
		{NULL, 0, NULL, 0}
	};
	bool		exit_code = false;
	const char *dev_url = NULL;
	char	   *map = NULL;
	int			c;

	while ((c = command_getopt(argc, argv, "", long_options)) != -1)
	{
		switch (c)
		{
			case OPT_EXIT_CODE:
				exit_code = true;
				break;
			case OPT_DEV_URL:
				dev_url = optarg;
				break;
			case OPT_RENAME:
				if (!autogen_rename(&map, optarg))
					return EXIT_USAGE;
				break;
			case OPT_LOCK_TIMEOUT:
				if (!valid_duration(optarg))
					return usage_error("invalid --lock-timeout \"%s\": give a time such as 500ms, 5s or 1min (0: wait as long as it takes)",
									   optarg);
				snapshot_lock_timeout = optarg;
				break;
			default:
				return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage_error("diff needs two sides: FROM TO (each a connection string, a FILE.sql, or \"migrations\")");
	return autogen_diff(argv[optind], argv[optind + 1], dev_url, map, exit_code);
}
