/*-------------------------------------------------------------------------
 *
 * citest.c
 *	  pgmig test [TARGET] [--junit FILE]: the CI job in one command.
 *
 * Checks, in order: the folder has a single head; every pending revision
 * survives upgrade, downgrade, comparison and upgrade again
 * (pgmig.test_roundtrip); and, when the database has it, pgmig.review()
 * finds no error.  Everything runs in ONE transaction that is rolled back
 * at the end, the folder's load included: the command changes nothing.
 * Each check runs under a savepoint so that one failing check does not
 * hide the next.  Exit 1 on any failure.  --junit writes a JUnit XML
 * report (one testcase per check and per revision) for CI systems.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

typedef struct testcase
{
	char	   *classname;
	char	   *name;
	char	   *failure;		/* message, or NULL when it passed */
	char	   *skipped;		/* reason, or NULL */
} testcase;

typedef struct testrun
{
	int			n;
	testcase   *cases;
} testrun;

static void
add_case(testrun *t, const char *classname, const char *name,
		 const char *failure, const char *skipped)
{
	testcase   *c;

	t->cases = pm_realloc(t->cases, sizeof(testcase) * (t->n + 1));
	c = &t->cases[t->n++];
	c->classname = pm_strdup(classname);
	c->name = pm_strdup(name);
	c->failure = failure ? pm_strdup(failure) : NULL;
	c->skipped = skipped ? pm_strdup(skipped) : NULL;
	if (skipped)
		progress("skipped: %s %s: %s", classname, name, skipped);
	else if (failure)
		fprintf(stderr, "FAIL: %s %s: %s\n", classname, name, failure);
	else
		progress("ok: %s %s", classname, name);
}

/*
 * Run one query under a savepoint; on error, return NULL with the
 * server's message in *err (the transaction stays usable).
 */
static PGresult *
try_sql(PGconn *conn, const char *sql, int nparams, const char *const *params,
		char **err)
{
	PGresult   *res;

	*err = NULL;
	if (!exec_sql(conn, "SAVEPOINT pgmig_test", 0, NULL))
	{
		*err = pm_strdup("could not set a savepoint");
		return NULL;
	}
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		PQclear(PQexec(conn, "RELEASE SAVEPOINT pgmig_test"));
		return res;
	}
	{
		const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		const char *d = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

		*err = psprintf("%s%s%s", m ? m : PQerrorMessage(conn),
						d ? ": " : "", d ? d : "");
	}
	PQclear(res);
	PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT pgmig_test"));
	return NULL;
}

/* XML text: markup characters escaped, control characters XML forbids dropped */
static void
xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++)
	{
		unsigned char ch = (unsigned char) *s;

		if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
			continue;
		else
			fputc(ch, f);
	}
}

static bool
write_junit(const char *file, const testrun *t, const char *target)
{
	FILE	   *f = fopen(file, "w");
	int			k,
				nfail = 0,
				nskip = 0;

	if (f == NULL)
	{
		pg_log_error("could not write \"%s\": %m", file);
		return false;
	}
	for (k = 0; k < t->n; k++)
	{
		nfail += t->cases[k].failure != NULL;
		nskip += t->cases[k].skipped != NULL;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"pgmig\" tests=\"%d\" failures=\"%d\" skipped=\"%d\">\n",
			t->n, nfail, nskip);
	fprintf(f, "  <testsuite name=\"pgmig test ");
	xml_escaped(f, target);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\">\n",
			t->n, nfail, nskip);
	for (k = 0; k < t->n; k++)
	{
		const testcase *c = &t->cases[k];

		fprintf(f, "    <testcase classname=\"");
		xml_escaped(f, c->classname);
		fprintf(f, "\" name=\"");
		xml_escaped(f, c->name);
		if (c->failure == NULL && c->skipped == NULL)
		{
			fprintf(f, "\"/>\n");
			continue;
		}
		fprintf(f, "\">\n");
		if (c->failure)
		{
			fprintf(f, "      <failure message=\"");
			xml_escaped(f, c->failure);
			fprintf(f, "\">");
			xml_escaped(f, c->failure);
			fprintf(f, "</failure>\n");
		}
		else
		{
			fprintf(f, "      <skipped message=\"");
			xml_escaped(f, c->skipped);
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0)
	{
		pg_log_error("could not write \"%s\": %m", file);
		return false;
	}
	progress("Wrote %s", file);
	return true;
}

int
cmd_test(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"junit", required_argument, NULL, 1},
		{NULL, 0, NULL, 0}
	};
	const char *junit = NULL;
	const char *target;
	PGconn	   *conn;
	PGresult   *res;
	testrun		t = {0, NULL};
	char	   *err;
	int			c,
				k,
				nfail = 0;
	bool		ok = true;

	while ((c = command_getopt(argc, argv, "", long_options)) != -1)
	{
		if (c != 1)
			return EXIT_USAGE;
		junit = optarg;
	}
	if (argc - optind > 1)
		return usage_error("test takes one target");
	target = argc - optind == 1 ? argv[optind] : "head";

	conn = connect_pgmig();
	if (conn == NULL)
		return EXIT_FAIL;
	/* the folder as it is now, loaded in a transaction never committed */
	if (!exec_sql(conn, "BEGIN", 0, NULL) || !load_dir(conn, false))
	{
		PQclear(PQexec(conn, "ROLLBACK"));
		disconnect_db(conn);
		return EXIT_FAIL;
	}

	/* 1. a single head, as "flask db upgrade" needs */
	res = try_sql(conn, "SELECT pg_catalog.string_agg(revision, ', ' ORDER BY revision),"
				  "       pg_catalog.count(*) FROM pgmig.heads()", 0, NULL, &err);
	if (res == NULL)
		add_case(&t, "pgmig.check", "single head", err, NULL);
	else
	{
		if (strcmp(PQgetvalue(res, 0, 1), "1") == 0)
			add_case(&t, "pgmig.check", "single head", NULL, NULL);
		else
		{
			char	   *m = psprintf("%s heads: %s; merge them with \"pgmig merge\"",
									 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));

			add_case(&t, "pgmig.check", "single head", m, NULL);
			pg_free(m);
		}
		PQclear(res);
	}

	/* 2. every pending revision: up, down, compare, up again */
	res = try_sql(conn, "SELECT revision, ok, difference FROM pgmig.test_roundtrip($1)",
				  1, &target, &err);
	if (res == NULL)
		add_case(&t, "pgmig.roundtrip", target, err, NULL);
	else
	{
		if (PQntuples(res) == 0)
			add_case(&t, "pgmig.roundtrip", "(no pending revision)", NULL, NULL);
		for (k = 0; k < PQntuples(res); k++)
			add_case(&t, "pgmig.roundtrip", PQgetvalue(res, k, 0),
					 strcmp(PQgetvalue(res, k, 1), "t") == 0 ? NULL :
					 (PQgetisnull(res, k, 2) ? "round trip failed" : PQgetvalue(res, k, 2)),
					 NULL);
		PQclear(res);
	}

	/* 3. the review, when this database has it */
	res = try_sql(conn, "SELECT pg_catalog.to_regprocedure('pgmig.review(text)') IS NOT NULL",
				  0, NULL, &err);
	if (res && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		PGresult   *r;

		PQclear(res);
		r = try_sql(conn, "SELECT revision, severity, rule, message FROM pgmig.review($1)"
					" ORDER BY revision, statement", 1, &target, &err);
		if (r == NULL)
			add_case(&t, "pgmig.review", target, err, NULL);
		else
		{
			pm_buf		errors;

			pm_buf_init(&errors);
			for (k = 0; k < PQntuples(r); k++)
				if (strcmp(PQgetvalue(r, k, 1), "error") == 0)
					pm_buf_printf(&errors, "%s%s: %s: %s", errors.len ? "; " : "",
								  PQgetvalue(r, k, 0), PQgetvalue(r, k, 2), PQgetvalue(r, k, 3));
			add_case(&t, "pgmig.review", target, errors.len ? errors.data : NULL, NULL);
			pm_buf_free(&errors);
			PQclear(r);
		}
	}
	else
	{
		PQclear(res);
		if (err)
			pg_free(err);
		add_case(&t, "pgmig.review", target, NULL,
				 "pgmig.review() is not in this database (pgmig too old): review skipped");
	}

	PQclear(PQexec(conn, "ROLLBACK"));
	disconnect_db(conn);

	for (k = 0; k < t.n; k++)
		nfail += t.cases[k].failure != NULL;
	if (junit && !write_junit(junit, &t, target))
		ok = false;
	if (nfail > 0)
		pg_log_error("%d of %d checks failed", nfail, t.n);
	else
		progress("All %d checks passed", t.n);
	return nfail == 0 && ok ? EXIT_OK : EXIT_FAIL;
}
