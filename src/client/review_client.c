/*-------------------------------------------------------------------------
 *
 * review_client.c
 *	  pgmig review [TARGET], the review that pgmig upgrade runs first, and the
 *	  review of a revision that revision --autogenerate wrote.
 *
 * The findings come from the server (pgmig.review(target)); this file only
 * loads the folder so that the review sees the files as they are, and
 * prints each finding like a compiler diagnostic:
 *
 *	  migrations/3f2a_add_index.sql:7: warning: create-index: CREATE INDEX ...
 *	      hint: Create the index with CREATE INDEX CONCURRENTLY ...
 *
 * FILE:LINE is the revision's file and the line of the statement in it
 * (the server counts lines from the start of the upgrade section).
 *
 * Transactions: "pgmig review" loads the folder inside a transaction it
 * rolls back, so reviewing changes nothing in the database.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

/* Line of the file on which the upgrade section's body starts. */
static int
upgrade_first_line(const char *path)
{
	size_t		len;
	char	   *buf = read_file(path, &len);
	const char *p;
	int			line = 1;
	bool		after_marker = false;
	int			result = 1;

	if (buf == NULL)
		return 1;
	for (p = buf; *p; line++)
	{
		const char *eol = strchr(p, '\n');
		const char *q = p;
		size_t		n = eol ? (size_t) (eol - p) : strlen(p);

		while (q < p + n && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (!after_marker && q + 2 <= p + n && q[0] == '-' && q[1] == '-')
		{
			q += 2;
			while (q < p + n && (*q == ' ' || *q == '\t'))
				q++;
			if (strncmp(q, "migrate:up", 10) == 0)
				after_marker = true;
		}
		else if (after_marker && q < p + n)
		{
			result = line;
			break;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	pm_free(buf);
	return result;
}

/* The file of revision id in --dir, or NULL. */
static const char *
file_of(const revdir *d, const char *id)
{
	int			i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->files[i].rf.id, id) == 0)
			return d->files[i].path;
	return NULL;
}

/*
 * Run pgmig.review(target) in the current transaction and print the
 * findings; info rows only when verbose.  Sets *errors and *warnings;
 * false if the review itself failed (error printed).
 */
static bool
print_review(PGconn *conn, const char *target, bool verbose, FILE *out,
			 int *errors, int *warnings)
{
	PGresult   *res;
	revdir		d;
	bool		have_dir;
	int			i;

	*errors = *warnings = 0;
	res = run_sql(conn,
				  "SELECT revision, line, severity, rule, message, hint"
				  "  FROM pgmig.review($1)", 1, &target);
	if (res == NULL)
		return false;
	/* the files only to name findings: a clean review reads none */
	have_dir = PQntuples(res) > 0 && read_revdir(opts.dir, &d);
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *rev = PQgetisnull(res, i, 0) ? NULL : PQgetvalue(res, i, 0);
		const char *sev = PQgetvalue(res, i, 2);
		const char *file = (have_dir && rev) ? file_of(&d, rev) : NULL;
		int			line = PQgetisnull(res, i, 1) ? 0 : atoi(PQgetvalue(res, i, 1));

		if (strcmp(sev, "error") == 0)
			(*errors)++;
		else if (strcmp(sev, "warning") == 0)
			(*warnings)++;
		else if (!verbose)
			continue;
		if (file && line > 0)
			fprintf(out, "%s:%d: ", file, upgrade_first_line(file) + line - 1);
		else if (file)
			fprintf(out, "%s: ", file);
		else if (rev)
			fprintf(out, "revision %s: ", rev);
		fprintf(out, "%s: %s: %s\n", strcmp(sev, "info") == 0 ? "note" : sev,
				PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
		if (!PQgetisnull(res, i, 5))
			fprintf(out, "    hint: %s\n", PQgetvalue(res, i, 5));
	}
	if (have_dir)
		free_revdir(&d);
	PQclear(res);
	fflush(out);
	return true;
}

int
cmd_review(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0}
	};
	const char *target;
	PGconn	   *conn;
	bool		verbose = false;
	bool		ok;
	int			c,
				errors,
				warnings;

	while ((c = command_getopt(argc, argv, "v", long_options)) != -1)
	{
		if (c != 'v')
			return EXIT_USAGE;
		verbose = true;
	}
	if (argc - optind > 1)
		return usage_error("review takes one target");
	target = argc > optind ? argv[optind] : "heads";

	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	/* review the folder as it is, then forget the load */
	ok = exec_sql(conn, "BEGIN", 0, NULL) && load_dir(conn, false) &&
		print_review(conn, target, verbose, stdout, &errors, &warnings);
	PQclear(PQexec(conn, "ROLLBACK"));
	disconnect_db(conn);
	if (!ok)
		return EXIT_FAIL;
	progress("review of %s: %d error%s, %d warning%s", target,
			 errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	return errors > 0 ? EXIT_FAIL : EXIT_OK;
}

/*
 * Before an upgrade (the folder is loaded): print the review on stderr,
 * with the other diagnostics of the run; false when
 * it found errors and force is not set, or when it failed.
 */
bool
review_before_upgrade(PGconn *conn, const char *target, bool force)
{
	int			errors,
				warnings;

	if (!print_review(conn, target, false, stderr, &errors, &warnings))
		return false;
	if (errors > 0 && !force)
	{
		pg_log_error("review found %d error%s: nothing was run",
					 errors, errors == 1 ? "" : "s");
		pg_log_error_hint("Fix the revisions (see the hints above), or run \"pgmig upgrade --force\" to run them anyway.");
		return false;
	}
	return true;
}

/*
 * After `revision --autogenerate`: review the new revision against the
 * database pgmig connects to (the folder and the new file loaded in a
 * transaction that is rolled back), so a generated migration says at once
 * what it would lock, rewrite and scan there.  Silent when that database
 * has no pgmig.review(); never fails the command.
 */
void
review_new_revision(const char *id)
{
	PGconn	   *conn = connect_db();
	PGresult   *res;
	int			errors,
				warnings;
	bool		has;

	if (conn == NULL)
		return;
	res = run_sql(conn, "SELECT pg_catalog.to_regprocedure('pgmig.review(text)') IS NOT NULL", 0, NULL);
	has = res && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	/* (a database without pgmig 0.4 is not reviewed: nothing to roll back) */
	if (has && exec_sql(conn, "BEGIN", 0, NULL))
	{
		if (load_dir(conn, false) &&
			print_review(conn, id, false, stderr, &errors, &warnings))
			progress("review of the new revision against this database: %d error%s, %d warning%s",
					 errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
		PQclear(PQexec(conn, "ROLLBACK"));
	}
	disconnect_db(conn);
}
