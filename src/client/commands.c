/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  pgmig client: the commands (init, load, revision, upgrade, downgrade,
 *	  stamp, merge, repair, and the read-only ones).
 *
 * Each command maps onto the extension's SQL API; the client adds what
 * only a client can do: read and write the revision folder, and run a
 * non-transactional revision's statements at top level, one by one.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"
#include "fe_utils/cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- init / load ---- */

int
cmd_init(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;
	bool		had;

	if (!parse_no_options(argc, argv, 0))
		return EXIT_USAGE;
	conn = connect_db();
	if (conn == NULL)
		return EXIT_FAIL;
	res = run_sql(conn, "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pgmig'", 0, NULL);
	if (res == NULL)
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	had = PQntuples(res) > 0;
	PQclear(res);
	if (!had && !exec_sql(conn, "CREATE EXTENSION IF NOT EXISTS pgmig", 0, NULL))
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	progress(had ? "Extension pgmig is already installed in database \"%s\"" :
			 "Created extension pgmig in database \"%s\"", PQdb(conn));
	disconnect_db(conn);

	switch (make_revision_folder())
	{
		case 1:
			progress("Created revision folder %s", opts.dir);
			break;
		case -1:
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
cmd_load(int argc, char **argv)
{
	PGconn	   *conn;
	bool		ok;

	if (!parse_no_options(argc, argv, 0))
		return EXIT_USAGE;
	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	ok = load_dir(conn, true);
	disconnect_db(conn);
	return ok ? EXIT_OK : EXIT_FAIL;
}

/* ---- revision ---- */

static bool
random_id(char out[13])
{
	unsigned char raw[6];
	int			fd = open("/dev/urandom", O_RDONLY);
	int			k;

	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t) sizeof(raw))
	{
		struct timeval tv;

		/* no urandom (odd chroot): time and pid are unique enough here */
		gettimeofday(&tv, NULL);
		srand((unsigned) (tv.tv_usec ^ tv.tv_sec ^ getpid()));
		for (k = 0; k < 6; k++)
			raw[k] = (unsigned char) (rand() >> 3);
	}
	if (fd >= 0)
		close(fd);
	for (k = 0; k < 6; k++)
		sprintf(out + 2 * k, "%02x", raw[k]);
	return true;
}

static void
list_push(pm_strlist *l, const char *s)
{
	l->items = pm_realloc(l->items, sizeof(char *) * (l->n + 1));
	l->items[l->n++] = pm_strdup(s);
}

/*
 * The parent of a new revision comes from the folder, not the database:
 * the files are the source of truth, and a file not loaded yet must not
 * be skipped over (which would create an accidental branch).
 */
int
cmd_revision(int argc, char **argv)
{
	enum
	{
		OPT_HEAD = 1,
		OPT_BRANCH_LABEL,
		OPT_DEPENDS_ON,
		OPT_NONTX,
		OPT_REV_ID,
		OPT_SPLICE,
		OPT_AUTOGENERATE,
		OPT_SCHEMA,
		OPT_FROM_DB,
		OPT_DEV_URL,
		OPT_RENAME
	};
	static const struct option long_options[] = {
		{"message", required_argument, NULL, 'm'},
		{"autogenerate", no_argument, NULL, OPT_AUTOGENERATE},
		{"schema", required_argument, NULL, OPT_SCHEMA},
		{"from-db", required_argument, NULL, OPT_FROM_DB},
		{"dev-url", required_argument, NULL, OPT_DEV_URL},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"head", required_argument, NULL, OPT_HEAD},
		{"branch-label", required_argument, NULL, OPT_BRANCH_LABEL},
		{"depends-on", required_argument, NULL, OPT_DEPENDS_ON},
		{"non-transactional", no_argument, NULL, OPT_NONTX},
		{"rev-id", required_argument, NULL, OPT_REV_ID},
		{"splice", no_argument, NULL, OPT_SPLICE},
		{NULL, 0, NULL, 0}
	};
	const char *msg = NULL,
			   *head = NULL,
			   *rev_id = NULL;
	bool		splice = false,
				nontx = false,
				autogenerate = false;
	const char *schema_file = NULL,
			   *from_db = NULL,
			   *dev_url = NULL;
	char	   *rename_map = NULL;
	revdir		d;
	pm_revfile	rf,
				pre;			/* new enum values first (autogenerate) */
	char		id[PM_MAX_ID_LEN + 1];
	char	   *path,
			   *text;
	int			c,
				k,
				j;
	bool		ok;

	/* labels and dependencies are checked before anything is read */
	memset(&rf, 0, sizeof(rf));
	memset(&pre, 0, sizeof(pre));
	while ((c = command_getopt(argc, argv, "m:", long_options)) != -1)
	{
		switch (c)
		{
			case 'm':
				msg = optarg;
				break;
			case OPT_HEAD:
				head = optarg;
				break;
			case OPT_BRANCH_LABEL:
			case OPT_DEPENDS_ON:
				if (!pm_valid_name(optarg, strlen(optarg)) || pm_reserved_name(optarg))
				{
					pm_revfile_free(&rf);
					return usage_error("invalid name \"%s\"", optarg);
				}
				list_push(c == OPT_BRANCH_LABEL ? &rf.branch_labels : &rf.depends_on, optarg);
				break;
			case OPT_NONTX:
				nontx = true;
				break;
			case OPT_REV_ID:
				rev_id = optarg;
				break;
			case OPT_SPLICE:
				splice = true;
				break;
			case OPT_AUTOGENERATE:
				autogenerate = true;
				break;
			case OPT_SCHEMA:
				schema_file = optarg;
				break;
			case OPT_FROM_DB:
				from_db = optarg;
				break;
			case OPT_DEV_URL:
				dev_url = optarg;
				break;
			case OPT_RENAME:
				if (!autogen_rename(&rename_map, optarg))
					return EXIT_USAGE;
				break;
			default:
				pm_revfile_free(&rf);
				return EXIT_USAGE;
		}
	}
	if (!no_positionals(argc, argv))
	{
		pm_revfile_free(&rf);
		return EXIT_USAGE;
	}
	if (msg == NULL)
		return usage_error("revision needs a message: -m MESSAGE");
	if (!autogenerate && (schema_file || from_db || dev_url || rename_map))
		return usage_error("--schema, --from-db, --dev-url and --rename go with --autogenerate");
	if (autogenerate && (schema_file == NULL) == (from_db == NULL))
		return usage_error("--autogenerate needs the desired schema: --schema FILE or --from-db CONNINFO");
	if (rev_id && (!pm_valid_name(rev_id, strlen(rev_id)) || pm_reserved_name(rev_id)))
		return usage_error("invalid revision id \"%s\": use [A-Za-z0-9_]{1,64}, not a reserved word", rev_id);

	if (!read_revdir(opts.dir, &d))
	{
		pm_revfile_free(&rf);
		return EXIT_FAIL;
	}

	if (rev_id)
		snprintf(id, sizeof(id), "%s", rev_id);
	else
		random_id(id);
	for (k = 0; k < d.n; k++)
		if (strcmp(d.files[k].rf.id, id) == 0)
		{
			pg_log_error("revision %s already exists: %s", id, d.files[k].path);
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_FAIL;
		}

	if (head && strcmp(head, "base") == 0)
		;						/* a new root */
	else if (head)
	{
		/* an id or unique prefix of one in the folder */
		int			hit = -1,
					nhit = 0;
		const char *h = strcmp(head, "head") == 0 ? NULL : head;

		for (k = 0; h && k < d.n; k++)
			if (strncmp(d.files[k].rf.id, h, strlen(h)) == 0)
			{
				if (strcmp(d.files[k].rf.id, h) == 0)
				{
					hit = k;
					nhit = 1;
					break;
				}
				hit = k;
				nhit++;
			}
		if (h == NULL)
			nhit = -1;
		if (nhit == 1)
		{
			/* as Alembic: branching off a non-head takes --splice */
			for (k = 0; k < d.n && !splice; k++)
				for (j = 0; j < d.files[k].rf.down_revision.n; j++)
					if (strcmp(d.files[k].rf.down_revision.items[j], d.files[hit].rf.id) == 0)
					{
						pg_log_error("revision %s is not a head (%s descends from it)",
									 d.files[hit].rf.id, d.files[k].rf.id);
						pg_log_error_hint("Use --splice to start a new branch from it.");
						pm_revfile_free(&rf);
						free_revdir(&d);
						return EXIT_FAIL;
					}
			list_push(&rf.down_revision, d.files[hit].rf.id);
		}
		else if (nhit != -1)
		{
			pg_log_error(nhit == 0 ? "no revision file matches --head %s" :
						 "--head %s is ambiguous", head);
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_FAIL;
		}
		else
			head = NULL;
	}
	if (head == NULL)
	{
		/* heads of the folder: revisions nobody names as a parent */
		pm_buf		names;
		int			nheads = 0;

		pm_buf_init(&names);
		for (k = 0; k < d.n; k++)
		{
			bool		parent = false;

			for (j = 0; j < d.n && !parent; j++)
			{
				int			p;

				for (p = 0; p < d.files[j].rf.down_revision.n; p++)
					if (strcmp(d.files[j].rf.down_revision.items[p], d.files[k].rf.id) == 0)
						parent = true;
			}
			if (!parent)
			{
				nheads++;
				pm_buf_printf(&names, "%s%s", names.len ? ", " : "", d.files[k].rf.id);
				if (nheads == 1)
					list_push(&rf.down_revision, d.files[k].rf.id);
			}
		}
		if (nheads > 1)
		{
			pg_log_error("the revisions in %s have several heads: %s", opts.dir, names.data);
			pg_log_error_hint("Give the parent with --head REV, or merge the heads first (pgmig merge).");
			pm_buf_free(&names);
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_FAIL;
		}
		pm_buf_free(&names);
	}
	rf.id = pm_strdup(id);
	rf.message = pm_strdup(msg);
	rf.transactional = !nontx;
	if (autogenerate)
	{
		bool		nochange;

		/* the folder's head, built in a scratch database, is the current state */
		if (!autogen_scripts(&d, schema_file, from_db, dev_url, rename_map,
							 &rf.upgrade, &rf.downgrade, &pre.upgrade, &pre.downgrade,
							 &nochange))
		{
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_FAIL;
		}
		if (nochange)
		{
			progress("No changes in schema detected.");
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_OK;
		}
	}
	else
	{
		rf.upgrade = pm_strdup(rf.transactional ?
							   "-- SQL that applies this revision" :
							   "-- SQL that applies this revision, one statement at a time, outside a\n"
							   "-- transaction (e.g. CREATE INDEX CONCURRENTLY ...)");
		rf.downgrade = pm_strdup("-- SQL that reverts it (delete this section if it cannot be reverted)");
	}

	if (pre.upgrade)
	{
		char		pre_id[13];

		/*
		 * New enum values that the revision uses: they come first, in a
		 * revision of their own run outside a transaction (committed before
		 * the main one runs: PostgreSQL refuses a new value in the
		 * transaction that added it).  It takes the parents, dependencies
		 * and labels; the main revision follows it.
		 */
		do
			random_id(pre_id);
		while (strcmp(pre_id, id) == 0);
		pre.id = pm_strdup(pre_id);
		pre.message = pm_malloc(strlen(msg) + sizeof(" (new enum values)"));
		sprintf(pre.message, "%s (new enum values)", msg);
		pre.transactional = false;
		pre.down_revision = rf.down_revision;
		pre.depends_on = rf.depends_on;
		pre.branch_labels = rf.branch_labels;
		memset(&rf.down_revision, 0, sizeof(rf.down_revision));
		memset(&rf.depends_on, 0, sizeof(rf.depends_on));
		memset(&rf.branch_labels, 0, sizeof(rf.branch_labels));
		list_push(&rf.down_revision, pre.id);
		text = pm_revfile_format(&pre);
		path = revision_path(pre.id, pre.message);
		ok = write_file_new(path, text);
		if (ok)
		{
			progress("Generated %s: the new enum values, outside a transaction (a value cannot be used in the transaction that adds it)",
					 path);
			printf("%s\n", pre.id);
		}
		pm_free(text);
		pm_free(path);
		if (!ok)
		{
			pm_revfile_free(&pre);
			pm_revfile_free(&rf);
			free_revdir(&d);
			return EXIT_FAIL;
		}
	}
	text = pm_revfile_format(&rf);
	path = revision_path(id, msg);
	ok = write_file_new(path, text);
	if (ok)
	{
		progress("Generated %s", path);
		printf("%s\n", id);
		if (autogenerate)
			review_new_revision(id);
	}
	pm_free(text);
	pm_free(path);
	pm_revfile_free(&pre);
	pm_revfile_free(&rf);
	free_revdir(&d);
	return ok ? EXIT_OK : EXIT_FAIL;
}

/* ---- upgrade / downgrade ---- */

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* After a failed non-transactional statement: INVALID indexes to clean. */
static void
advise_invalid_indexes(PGconn *conn)
{
	PGresult   *res = run_sql(conn,
							  "SELECT pg_catalog.format('DROP INDEX CONCURRENTLY IF EXISTS %s;',"
							  "                         c.oid::pg_catalog.regclass)"
							  "  FROM pg_catalog.pg_index i"
							  "  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid"
							  " WHERE NOT i.indisvalid ORDER BY 1", 0, NULL);
	int			k;

	if (res == NULL)
		return;
	if (PQntuples(res) > 0)
	{
		pm_buf		list;

		pm_buf_init(&list);
		for (k = 0; k < PQntuples(res); k++)
			pm_buf_printf(&list, "\n    %s", PQgetvalue(res, k, 0));
		pg_log_error_hint("INVALID index%s left behind; drop %s before running the revision again:%s",
						  PQntuples(res) > 1 ? "es were" : " was",
						  PQntuples(res) > 1 ? "them" : "it", list.data);
		pm_buf_free(&list);
	}
	PQclear(res);
}

/*
 * ", at line N" for statement n of a revision's script: the line of the
 * revision file as pgmig.statements() and the section's first line give
 * it (the line the server's own errors name), or "" if unknown.
 */
static const char *
statement_line(PGconn *conn, const char *rev, bool down, int n)
{
	static char buf[32];
	const char *params[3];
	char		nbuf[16];
	PGresult   *res;

	snprintf(nbuf, sizeof(nbuf), "%d", n);
	params[0] = rev;
	params[1] = down ? "true" : "false";
	params[2] = nbuf;
	buf[0] = '\0';
	res = PQexecParams(conn,
					   "SELECT s.line OPERATOR(pg_catalog.+)"
					   "       COALESCE(CASE WHEN $2::boolean THEN r.downgrade_line"
					   "                     ELSE r.upgrade_line END, 1) OPERATOR(pg_catalog.-) 1"
					   "  FROM pgmig.revision r,"
					   "       pgmig.statements(CASE WHEN $2::boolean THEN r.downgrade"
					   "                             ELSE r.upgrade END) s"
					   " WHERE r.id OPERATOR(pg_catalog.=) $1 AND s.n OPERATOR(pg_catalog.=) $3::integer",
					   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(buf, sizeof(buf), ", at line %s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

/*
 * Run one non-transactional revision: each statement as its own top-level
 * command (autocommit), then record it as applied.  The server cuts the
 * script (pgmig.begin_statement: its own parser, so server and client
 * number statements alike), lets exactly that statement past the guard,
 * and records each statement done (pgmig.end_statement), so a run that
 * died in statement N resumes at N.  Nothing is recorded as applied
 * unless every statement succeeded.
 */
static bool
run_nontransactional(PGconn *conn, const char *rev, const char *msg, bool down)
{
	const char *direction = down ? "downgrade" : "upgrade";
	const char *params[3];
	PGresult   *res;
	char	   *parents;
	int			done;
	double		t0 = now_seconds();
	char		dur[64];
	char		nbuf[16];
	int			k;

	params[0] = rev;
	params[1] = direction;
	res = run_sql(conn,
				  "SELECT pg_catalog.array_to_string(r.down_revision, ', '),"
				  "       COALESCE((SELECT p.done FROM pgmig.statement_progress p"
				  "                  WHERE p.revision OPERATOR(pg_catalog.=) r.id"
				  "                    AND p.direction OPERATOR(pg_catalog.=) $2), 0)"
				  "  FROM pgmig.revision r WHERE r.id OPERATOR(pg_catalog.=) $1", 2, params);
	if (res == NULL)
		return false;
	if (PQntuples(res) != 1)
	{
		pg_log_error("revision %s not found", rev);
		PQclear(res);
		return false;
	}
	parents = pm_strdup(PQgetvalue(res, 0, 0));
	done = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);

	if (down)
		progress("Running downgrade %s -> %s%s%s (non-transactional)",
				 rev, parents, msg[0] ? ", " : "", msg);
	else
		progress("Running upgrade %s -> %s%s%s (non-transactional)",
				 parents, rev, msg[0] ? ", " : "", msg);
	if (done > 0)
		progress("Resuming at statement %d: statements 1 to %d ran in an earlier run", done + 1, done);

	for (k = done + 1;; k++)
	{
		char	   *stmt;

		snprintf(nbuf, sizeof(nbuf), "%d", k);
		params[0] = rev;
		params[1] = direction;
		params[2] = nbuf;
		res = run_sql(conn, "SELECT pgmig.begin_statement($1, $2, $3::integer)", 3, params);
		if (res == NULL)
		{
			pm_free(parents);
			return false;
		}
		if (PQgetisnull(res, 0, 0))
		{
			PQclear(res);
			break;
		}
		stmt = pm_strdup(PQgetvalue(res, 0, 0));
		PQclear(res);

		/* ^C between statements: stop before the next one */
		res = CancelRequested ? NULL : PQexec(conn, stmt);
		pm_free(stmt);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
			PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			if (res)
				report_result_error(res);
			PQclear(res);
			pg_log_error("non-transactional revision %s (%s) failed at statement %d of its %s script%s",
						 rev, msg, k, direction, statement_line(conn, rev, down, k));
			if (k > 1)
				pg_log_error_detail("Statements 1 to %d ran and stay committed (recorded in pgmig.statement_progress); "
									"statement %d did not complete; the revision is not recorded as %s.",
									k - 1, k, down ? "unapplied" : "applied");
			else
				pg_log_error_detail("Statement 1 did not complete; the revision is not recorded as %s.",
									down ? "unapplied" : "applied");
			advise_invalid_indexes(conn);
			pg_log_error_hint("Clean up, fix the cause, then run the command again; it resumes at statement %d of this revision.", k);
			pm_free(parents);
			return false;
		}
		PQclear(res);
		if (!exec_sql(conn, "SELECT pgmig.end_statement($1, $2, $3::integer)", 3, params))
		{
			pm_free(parents);
			return false;
		}
	}
	pm_free(parents);

	snprintf(dur, sizeof(dur), "%.6f seconds", now_seconds() - t0);
	params[0] = rev;
	params[1] = down ? "true" : "false";
	params[2] = dur;
	return exec_sql(conn, "SELECT pgmig.record_step($1, $2::boolean, $3::interval)", 3, params);
}

/* comma-separated revision ids of plan rows [from, to) */
static char *
plan_ids(const PGresult *plan, int from, int to)
{
	pm_buf		b;
	int			k;

	pm_buf_init(&b);
	for (k = from; k < to; k++)
		pm_buf_printf(&b, "%s%s", k > from ? ", " : "", PQgetvalue(plan, k, 2));
	return b.data;
}

/*
 * A run that committed as it went stopped at step "failed": say, in the
 * client's words, what stays committed, what was rolled back and what did
 * not run, and how to go on.
 */
static void
report_partial_run(const PGresult *plan, int done, int failed_from, int failed,
				   int n, bool down)
{
	const char *state = down ? "reverted" : "applied";
	pm_buf		d;
	char	   *ids;

	pm_buf_init(&d);
	if (done > 0)
	{
		ids = plan_ids(plan, 0, done);
		pm_buf_printf(&d, "Committed, and stay %s: %s.", state, ids);
		pm_free(ids);
	}
	else
		pm_buf_printf(&d, "Nothing was committed.");
	if (failed_from >= 0)
	{
		ids = plan_ids(plan, failed_from, failed + 1 <= n ? failed + 1 : n);
		pm_buf_printf(&d, "  Rolled back, not %s: %s.", state, ids);
		pm_free(ids);
	}
	else
		pm_buf_printf(&d, "  Revision %s did not complete and is not %s.",
					  PQgetvalue(plan, failed, 2), state);
	if (failed + 1 < n)
	{
		ids = plan_ids(plan, failed + 1, n);
		pm_buf_printf(&d, "  Not run: %s.", ids);
		pm_free(ids);
	}
	pg_log_error_detail("%s", d.data);
	pg_log_error_hint("See the state with \"pgmig history\"; fix revision %s, then run the same \"pgmig %s\" again to continue from there.",
					  PQgetvalue(plan, failed, 2), down ? "downgrade" : "upgrade");
	pm_buf_free(&d);
}

/*
 * --sql: the script a command would run, printed, changing nothing.
 *
 * Alembic's START:END range and --offline never connect: the script is
 * written from the folder alone (client offline_folder.c), starting from START
 * (base without a range).  Otherwise the script starts from the
 * database's state (its pgmig.script(), the folder loaded first in a
 * transaction that is rolled back); only when no connection can be made
 * does it fall back to the folder alone, from base, saying so.
 */
static int
offline_migration(const char *command, const char *target, bool folder_only)
{
	const char *colon = strchr(target, ':');
	const char *params[2];
	PGconn	   *conn;
	PGresult   *res;
	bool		ok;

	if (colon)
	{
		char	   *from = pm_strndup(target, colon - target);
		int			rc;

		if (from[0] == '\0' || colon[1] == '\0')
		{
			pm_free(from);
			return usage_error("an offline range needs both ends: START:END (e.g. base:head)");
		}
		rc = offline_script(command, from, colon + 1);
		pm_free(from);
		return rc;
	}
	if (folder_only)
		return offline_script(command, NULL, target);

	connect_quietly = true;
	conn = connect_db();
	connect_quietly = false;
	if (conn == NULL)
	{
		pg_log_warning("no database: the script is written from the folder alone and starts from base");
		pg_log_warning_hint("If the database it is for is not at base, give the revision it is at: pgmig %s --sql START:%s.  --offline skips the connection attempt.",
							command, target);
		return offline_script(command, NULL, target);
	}
	if (!require_extension(conn))
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	params[0] = command;
	params[1] = target;
	ok = exec_sql(conn, "BEGIN", 0, NULL) && load_dir(conn, false);
	res = ok ? run_sql(conn, "SELECT pgmig.script($1, $2)", 2, params) : NULL;
	if (res)
	{
		fputs(PQgetvalue(res, 0, 0), stdout);
		if (PQgetlength(res, 0, 0) > 0 &&
			PQgetvalue(res, 0, 0)[PQgetlength(res, 0, 0) - 1] != '\n')
			putchar('\n');
		PQclear(res);
	}
	PQclear(PQexec(conn, "ROLLBACK"));
	disconnect_db(conn);
	return res ? EXIT_OK : EXIT_FAIL;
}

static int
run_migration(bool down, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"sql", no_argument, NULL, 1},
		{"force", no_argument, NULL, 2},
		{"commit-each", no_argument, NULL, 3},
		{"offline", no_argument, NULL, 4},
		{NULL, 0, NULL, 0}
	};
	const char *command = down ? "downgrade" : "upgrade";
	bool		force = false;
	bool		commit_each = false;
	int			failed_from = -1;	/* first step of the rolled-back group */
	const char *target;
	const char *params[2];
	PGconn	   *conn;
	PGresult   *plan;
	PGresult   *res;
	bool		offline = false;
	bool		folder_only = false;
	int			c,
				npos,
				n,
				k,
				nontx = 0,
				done = 0;

	while ((c = command_getopt(argc, argv, "", long_options)) != -1)
	{
		if (c == 1)
			offline = true;
		else if (c == 2 && !down)
			force = true;
		else if (c == 3)
			commit_each = true;
		else if (c == 4)
			folder_only = true;
		else
			return EXIT_USAGE;
	}
	if (folder_only && !offline)
		return usage_error("--offline goes with --sql: it writes the script from the folder alone");
	if (offline && commit_each)
		return usage_error("--commit-each runs the migration; --sql only prints it");
	npos = argc - optind;
	if (npos > 1)
		return usage_error("%s takes one target", command);
	/* Alembic's defaults: "flask db upgrade" means head, "downgrade" -1 */
	target = npos ? argv[optind] : (down ? "-1" : "head");

	if (offline)
		return offline_migration(command, target, folder_only);

	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	params[0] = command;
	params[1] = target;

	/* the lock taken by the load is session-level: kept for the whole run */
	if (!load_dir_for_run(conn) ||
		(!down && !review_before_upgrade(conn, target, force)))
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	plan = run_sql(conn,
				   "SELECT step, action, revision, message, transactional"
				   "  FROM pgmig.plan($1, $2) ORDER BY step", 2, params);
	if (plan == NULL)
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	n = PQntuples(plan);
	for (k = 0; k < n; k++)
		if (strcmp(PQgetvalue(plan, k, 4), "f") == 0)
			nontx++;

	if (nontx == 0 && !commit_each)
	{
		/* the simple case: one call, one transaction, all or nothing */
		res = run_sql(conn, down ? "SELECT pgmig.downgrade($1)" : "SELECT pgmig.upgrade($1)",
					  1, &target);
		if (res == NULL)
		{
			if (n > 0 && PQstatus(conn) == CONNECTION_OK)
				pg_log_error_detail("The run was one transaction: all of it was rolled back, no revision changed state.");
			PQclear(plan);
			disconnect_db(conn);
			return EXIT_FAIL;
		}
		done = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	else
	{
		/*
		 * Consecutive transactional steps share a transaction; each
		 * non-transactional one runs at top level in between.  The
		 * session-level lock keeps other runs out meanwhile.
		 */
		k = 0;
		while (k < n)
		{
			if (strcmp(PQgetvalue(plan, k, 4), "t") == 0)
			{
				int			start = k;
				bool		failed = false;

				if (!exec_sql(conn, "BEGIN", 0, NULL))
					break;
				/* --commit-each: a group of one (CALL pgmig.migrate()'s unit) */
				for (; k < n && strcmp(PQgetvalue(plan, k, 4), "t") == 0; k++)
				{
					const char *sp[2];

					sp[0] = PQgetvalue(plan, k, 2);
					sp[1] = down ? "true" : "false";
					if (!exec_sql(conn, "SELECT pgmig.step($1, $2::boolean)", 2, sp))
					{
						failed = true;
						break;
					}
					if (commit_each)
					{
						k++;
						break;
					}
				}
				if (failed)
				{
					PQclear(PQexec(conn, "ROLLBACK"));
					failed_from = start;
					break;		/* failed inside the group */
				}
				if (!exec_sql(conn, "COMMIT", 0, NULL))
				{
					failed_from = start;
					k = start;
					break;
				}
				done += k - start;
			}
			else
			{
				if (!run_nontransactional(conn, PQgetvalue(plan, k, 2),
										  PQgetvalue(plan, k, 3), down))
					break;
				done++;
				k++;
			}
		}
		if (k < n)
		{
			report_partial_run(plan, done, failed_from, k, n, down);
			PQclear(plan);
			disconnect_db(conn);
			return EXIT_FAIL;
		}
	}
	PQclear(plan);
	if (done > 0)
		progress("%s: %d revision%s %s", down ? "Downgraded" : "Upgraded", done,
				 done == 1 ? "" : "s", down ? "reverted" : "applied");

	/*
	 * Under pgmig.record_schema = deferred the runs above kept only the
	 * digest of the schema they left: a comparison takes the snapshot now,
	 * outside their locks, while this session still holds the migration
	 * lock (no other run can change the schema meanwhile).  A role without
	 * EXECUTE on pgmig.drift() leaves it to the next pgmig check.
	 */
	if (done > 0)
	{
		PGresult   *mode = PQexec(conn, "SELECT pg_catalog.current_setting('pgmig.record_schema', true)");

		if (PQresultStatus(mode) == PGRES_TUPLES_OK && PQntuples(mode) == 1 &&
			strcmp(PQgetvalue(mode, 0, 0), "deferred") == 0)
			PQclear(PQexec(conn, "SELECT pg_catalog.count(*) FROM pgmig.drift()"));
		PQclear(mode);
	}
	PQclear(PQexec(conn, "SELECT pgmig.unlock()"));
	disconnect_db(conn);
	return EXIT_OK;
}

int
cmd_upgrade(int argc, char **argv)
{
	return run_migration(false, argc, argv);
}

int
cmd_downgrade(int argc, char **argv)
{
	return run_migration(true, argc, argv);
}

/* ---- stamp ---- */

int
cmd_stamp(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"from-alembic", no_argument, NULL, 1},
		{"version-table", required_argument, NULL, 2},
		{NULL, 0, NULL, 0}
	};
	PGconn	   *conn;
	PGresult   *res;
	bool		from_alembic = false;
	const char *version_table = NULL;
	const char *target;
	int			c,
				rc = EXIT_OK;

	while ((c = command_getopt(argc, argv, "", long_options)) != -1)
	{
		if (c == 1)
			from_alembic = true;
		else if (c == 2)
			version_table = optarg;
		else
			return EXIT_USAGE;
	}
	if (from_alembic ? argc - optind != 0 : argc - optind != 1)
		return usage_error("stamp takes one target, or --from-alembic");
	target = from_alembic ? NULL : argv[optind];
	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	if (!load_dir_for_run(conn))
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	if (from_alembic)
		rc = stamp_from_alembic(conn, version_table);
	else
	{
		res = run_sql(conn, "SELECT pgmig.stamp($1)", 1, &target);
		if (res)
		{
			progress("Stamped %s: %s revision%s changed state", target,
					 PQgetvalue(res, 0, 0), strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "" : "s");
			PQclear(res);
		}
		else
			rc = EXIT_FAIL;
	}
	disconnect_db(conn);
	return rc;
}

/* ---- graph ---- */

/* Is "dot" an executable on PATH? */
static bool
dot_on_path(void)
{
	const char *path = getenv("PATH");
	char		buf[4096];

	while (path && *path)
	{
		const char *colon = strchr(path, ':');
		size_t		n = colon ? (size_t) (colon - path) : strlen(path);

		if (n > 0 && n < sizeof(buf) - 5)
		{
			memcpy(buf, path, n);
			strcpy(buf + n, "/dot");
			if (access(buf, X_OK) == 0)
				return true;
		}
		path = colon ? colon + 1 : NULL;
	}
	return false;
}

int
cmd_graph(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}
	};
	PGconn	   *conn;
	PGresult   *res;
	const char *out = NULL;
	const char *dot;
	int			c,
				rc = EXIT_OK;

	while ((c = command_getopt(argc, argv, "o:", long_options)) != -1)
	{
		if (c != 'o')
			return EXIT_USAGE;
		out = optarg;
	}
	if (!no_positionals(argc, argv))
		return EXIT_USAGE;
	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	res = run_sql(conn, "SELECT pgmig.graph()", 0, NULL);
	disconnect_db(conn);
	if (res == NULL)
		return EXIT_FAIL;
	dot = PQgetvalue(res, 0, 0);

	if (out == NULL || strcmp(out, "-") == 0)
		fputs(dot, stdout);
	else if (ends_with(out, ".png") || ends_with(out, ".svg") || ends_with(out, ".pdf"))
	{
		char	   *cmd;
		FILE	   *p;
		const char *q;

		if (!dot_on_path())
		{
			pg_log_error("rendering %s needs Graphviz \"dot\" on PATH", out);
			pg_log_error_hint("Install Graphviz, or write DOT text with -o FILE.dot.");
			PQclear(res);
			return EXIT_FAIL;
		}
		/* single-quote the file name for the shell */
		cmd = malloc(strlen(out) * 4 + 32);
		sprintf(cmd, "dot -T%s -o '", out + strlen(out) - 3);
		for (q = out; *q; q++)
		{
			if (*q == '\'')
				strcat(cmd, "'\\''");
			else
				strncat(cmd, q, 1);
		}
		strcat(cmd, "'");
		p = popen(cmd, "w");
		if (p == NULL || fputs(dot, p) < 0 || pclose(p) != 0)
		{
			pg_log_error("dot failed to write \"%s\"", out);
			rc = EXIT_FAIL;
		}
		else
			progress("Wrote %s", out);
		free(cmd);
	}
	else
	{
		FILE	   *f = fopen(out, "w");

		if (f == NULL || fputs(dot, f) < 0 || fclose(f) != 0)
		{
			pg_log_error("could not write \"%s\": %s", out, strerror(errno));
			rc = EXIT_FAIL;
		}
		else
			progress("Wrote %s", out);
	}
	PQclear(res);
	return rc;
}

/* ---- merge / repair ---- */

/* Parse a text[] output value like {a,b} (names need no quoting). */
static void
parse_array(const char *s, pm_strlist *l)
{
	const char *p = s;

	memset(l, 0, sizeof(*l));
	if (*p == '{')
		p++;
	while (*p && *p != '}')
	{
		const char *e = p;

		while (*e && *e != ',' && *e != '}')
			e++;
		if (e > p)
		{
			char	   *item = pm_strndup(p, e - p);

			list_push(l, item);
			pm_free(item);
		}
		p = *e == ',' ? e + 1 : e;
	}
}

int
cmd_merge(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"message", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0}
	};
	const char *msg = NULL;
	int			c,
				npos;
	PGconn	   *conn;
	PGresult   *res;
	const char *params[2];
	pm_buf		arr;
	pm_revfile	rf;
	char	   *text = NULL,
			   *path = NULL;
	int			k;
	bool		ok = false;

	while ((c = command_getopt(argc, argv, "m:", long_options)) != -1)
	{
		if (c != 'm')
			return EXIT_USAGE;
		msg = optarg;
	}
	npos = argc - optind;
	argv += optind;
	if (msg == NULL)
		return usage_error("merge needs a message: -m MESSAGE");
	for (k = 0; k < npos; k++)
		if (!pm_valid_name(argv[k], strlen(argv[k])))
			return usage_error("invalid revision \"%s\"", argv[k]);
	if (npos == 1)
		return usage_error("merge needs two or more revisions (or none for all heads)");

	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	pm_buf_init(&arr);
	pm_buf_puts(&arr, "{");
	for (k = 0; k < npos; k++)
		pm_buf_printf(&arr, "%s%s", k ? "," : "", argv[k]);
	pm_buf_puts(&arr, "}");
	params[0] = npos ? arr.data : NULL;
	params[1] = msg;
	memset(&rf, 0, sizeof(rf));

	/* database and file together: the file is written before COMMIT */
	if (!exec_sql(conn, "BEGIN", 0, NULL) || !load_dir(conn, false))
		goto done;
	res = run_sql(conn, "SELECT pgmig.merge($1::text[], $2)", 2, params);
	if (res == NULL)
		goto done;
	params[0] = pm_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* a statement of its own: the new row is not visible to merge()'s statement */
	res = run_sql(conn, "SELECT id, down_revision, depends_on, branch_labels, message,"
				  "       transactional, upgrade, downgrade"
				  "  FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) $1", 1, params);
	pm_free((char *) params[0]);
	if (res == NULL || PQntuples(res) != 1)
	{
		PQclear(res);
		goto done;
	}
	rf.id = pm_strdup(PQgetvalue(res, 0, 0));
	parse_array(PQgetvalue(res, 0, 1), &rf.down_revision);
	parse_array(PQgetvalue(res, 0, 2), &rf.depends_on);
	parse_array(PQgetvalue(res, 0, 3), &rf.branch_labels);
	rf.message = pm_strdup(PQgetvalue(res, 0, 4));
	rf.transactional = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	rf.upgrade = pm_strdup(PQgetvalue(res, 0, 6));
	rf.downgrade = PQgetisnull(res, 0, 7) ? NULL : pm_strdup(PQgetvalue(res, 0, 7));
	PQclear(res);

	text = pm_revfile_format(&rf);
	path = revision_path(rf.id, rf.message);
	if (!write_file_new(path, text))
		goto done;
	if (!exec_sql(conn, "COMMIT", 0, NULL))
	{
		unlink(path);
		goto done;
	}
	progress("Generated %s", path);
	ok = true;

done:
	if (!ok)
		PQclear(PQexec(conn, "ROLLBACK"));
	else
		printf("%s\n", rf.id);
	pm_buf_free(&arr);
	if (rf.id)
		pm_revfile_free(&rf);
	if (text)
		pm_free(text);
	if (path)
		pm_free(path);
	disconnect_db(conn);
	return ok ? EXIT_OK : EXIT_FAIL;
}

int
cmd_repair(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;
	char	   *content;
	const char *param;
	const char *file;

	if (!parse_no_options(argc, argv, 1))
		return EXIT_USAGE;
	if (argc - optind != 1)
		return usage_error("repair takes one revision file");
	file = argv[optind];
	content = read_file(file, NULL);
	if (content == NULL)
	{
		pg_log_error("could not read file \"%s\": %m", file);
		return EXIT_FAIL;
	}
	conn = connect_pgmig();
	if (conn == NULL)
	{
		pm_free(content);
		return EXIT_FAIL;
	}
	param = content;
	res = run_sql(conn, "SELECT pgmig.repair($1)", 1, &param);
	pm_free(content);
	if (res)
	{
		progress("Repaired revision %s from %s", PQgetvalue(res, 0, 0), file);
		PQclear(res);
	}
	disconnect_db(conn);
	return res ? EXIT_OK : EXIT_FAIL;
}

/* ---- drift ---- */

/*
 * List what the guard recorded; --clear acknowledges exactly the rows
 * listed (pgmig.clear_drift(through the last id shown), journaled), so a
 * row recorded meanwhile is never cleared unseen.
 */
/*
 * pgmig drift: what changed behind the migrations' back, from both sources.
 * First the objects that differ from the schema pgmig recorded after its
 * last run (pgmig.drift(): it sees every change, also one made with the
 * guard off or bypassed), then the DDL the guard logged (the table
 * pgmig.drift: who ran what, when).  --accept records the schema as it is
 * now as the expected one (pgmig.record_schema()); --clear acknowledges the
 * log rows listed (pgmig.clear_drift()).
 */
int
cmd_drift(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"clear", no_argument, NULL, 1},
		{"accept", no_argument, NULL, 2},
		{NULL, 0, NULL, 0}
	};
	PGconn	   *conn;
	PGresult   *res;
	bool		clear = false,
				accept = false;
	int			c,
				rc = EXIT_OK;

	while ((c = command_getopt(argc, argv, "", long_options)) != -1)
	{
		if (c == 1)
			clear = true;
		else if (c == 2)
			accept = true;
		else
			return EXIT_USAGE;
	}
	if (!no_positionals(argc, argv))
		return EXIT_USAGE;
	if (clear && accept)
	{
		pg_log_error("--clear and --accept cannot be used together");
		pg_log_error_hint("Run \"pgmig drift --accept\" to accept the schema, \"pgmig drift --clear\" to acknowledge the guard's log.");
		return EXIT_USAGE;
	}
	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	if (accept)
	{
		res = run_sql(conn, "SELECT pgmig.record_schema()", 0, NULL);
		if (res == NULL)
			rc = EXIT_FAIL;
		else
			progress("Recorded the schema as it is now (%s objects) as the expected one: no object drifts.",
					 PQgetvalue(res, 0, 0));
		PQclear(res);
		disconnect_db(conn);
		return rc;
	}
	if (!clear)
	{
		/*
		 * The comparison, when this role may run it (the monitor grant set
		 * of the README has it; a role without it still sees the log).
		 */
		res = run_sql(conn,
					  "SELECT COALESCE(pg_catalog.has_function_privilege("
					  "  pg_catalog.to_regprocedure('pgmig.drift()'), 'EXECUTE'), false)",
					  0, NULL);
		if (res == NULL)
		{
			disconnect_db(conn);
			return EXIT_FAIL;
		}
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			pg_log_warning("objects are not compared with the recorded schema: this role may not execute pgmig.drift()");
		else
		{
			const char *state;
			const char *msg;

			PQclear(res);
			res = PQexec(conn,
						 "SELECT object, kind, change, pg_catalog.array_to_string(keys, ', ') AS keys"
						 "  FROM pgmig.drift()");
			state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0)
				progress("No object differs from the schema pgmig recorded.");
			else if (PQresultStatus(res) == PGRES_TUPLES_OK)
				print_titled(res, "Objects changed since the schema pgmig recorded", opts.expanded);
			else if (state && strcmp(state, "PM009") == 0 && msg &&
					 strcmp(msg, "no schema has been recorded yet") == 0)
			{
				/* a database no run has recorded: the log is all there is */
				progress("No schema recorded yet: objects are compared once a run, or \"pgmig drift --accept\", records one.");
			}
			else
			{
				report_result_error(res);
				PQclear(res);
				disconnect_db(conn);
				return EXIT_FAIL;
			}
		}
		PQclear(res);
	}
	res = run_sql(conn,
				  "SELECT id, at, role_name, command_tag, object_type, object_identity,"
				  "       action, statement"
				  "  FROM pgmig.drift ORDER BY id", 0, NULL);
	if (res == NULL)
	{
		disconnect_db(conn);
		return EXIT_FAIL;
	}
	if (!clear)
	{
		if (PQntuples(res) == 0)
			progress("No DDL outside pgmig in the guard's log.");
		else
			print_titled(res, "DDL run outside pgmig (the guard's log)", opts.expanded);
	}
	else if (PQntuples(res) == 0)
		progress("No drift to clear.");
	else
	{
		const char *last = PQgetvalue(res, PQntuples(res) - 1, 0);
		PGresult   *r2 = run_sql(conn, "SELECT pgmig.clear_drift($1::bigint)", 1, &last);

		if (r2)
		{
			progress("Acknowledged %s drift row%s (recorded in the journal)",
					 PQgetvalue(r2, 0, 0), strcmp(PQgetvalue(r2, 0, 0), "1") == 0 ? "" : "s");
			PQclear(r2);
		}
		else
			rc = EXIT_FAIL;
	}
	PQclear(res);
	disconnect_db(conn);
	return rc;
}
