/*-------------------------------------------------------------------------
 *
 * importer.c
 *	  pgmig client: moving a project from Alembic / Flask-Migrate.
 *
 * import-alembic turns Alembic's offline SQL (what "flask db upgrade
 * --sql" prints) into pgmig revision files with the same ids, parents and
 * scripts, so the revision a database's alembic_version table names is
 * the same revision in pgmig; "stamp --from-alembic" then adopts such a
 * database without running anything.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"
#include "core/alembic.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fill messages, labels and dependencies from Alembic's *.py files. */
static bool
read_versions(const char *dir, pm_alembic *al, pm_alembic_py **pys, int *npys)
{
	DIR		   *dh = opendir(dir);
	struct dirent *de;

	*pys = NULL;
	*npys = 0;
	if (dh == NULL)
	{
		pg_log_error("could not open Alembic versions folder \"%s\": %s", dir, strerror(errno));
		return false;
	}
	while ((de = readdir(dh)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char	   *path;
		char	   *buf;
		size_t		len;
		pm_alembic_py py;

		if (n < 4 || strcmp(de->d_name + n - 3, ".py") != 0 || de->d_name[0] == '.')
			continue;
		path = pm_malloc(strlen(dir) + n + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		buf = read_file(path, &len);
		pm_free(path);
		if (buf == NULL)
			continue;
		if (pm_alembic_pyfile(buf, len, &py))
		{
			if (pm_alembic_find(al, py.id) >= 0)
			{
				*pys = pm_realloc(*pys, sizeof(pm_alembic_py) * (*npys + 1));
				(*pys)[(*npys)++] = py;
			}
			else
			{
				pg_log_warning("%s/%s: revision %s is not in the upgrade output; skipped",
							   dir, de->d_name, py.id);
				pm_alembic_py_free(&py);
			}
		}
		pm_free(buf);
	}
	closedir(dh);
	return true;
}

int
cmd_import_alembic(int argc, char **argv)
{
	enum
	{
		OPT_VERSIONS = 1,
		OPT_VERSION_TABLE
	};
	static const struct option long_options[] = {
		{"upgrade-sql", required_argument, NULL, 'u'},
		{"downgrade-sql", required_argument, NULL, 'D'},
		{"versions", required_argument, NULL, OPT_VERSIONS},
		{"version-table", required_argument, NULL, OPT_VERSION_TABLE},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}
	};
	const char *upf = NULL,
			   *downf = NULL,
			   *vt = NULL,
			   *versions = NULL;
	bool		force = false;
	int			c;
	char	   *up = NULL,
			   *down = NULL;
	size_t		uplen = 0,
				downlen = 0;
	pm_alembic	al;
	pm_error	err;
	pm_alembic_py *pys = NULL;
	int			npys = 0;
	char	  **paths = NULL;
	char	  **texts = NULL;
	int			k,
				j,
				noreverse = 0;
	int			rc = EXIT_FAIL;

	while ((c = command_getopt(argc, argv, "u:D:f", long_options)) != -1)
	{
		switch (c)
		{
			case 'u':
				upf = optarg;
				break;
			case 'D':
				downf = optarg;
				break;
			case OPT_VERSIONS:
				versions = optarg;
				break;
			case OPT_VERSION_TABLE:
				vt = optarg;
				break;
			case 'f':
				force = true;
				break;
			default:
				return EXIT_USAGE;
		}
	}
	if (!no_positionals(argc, argv))
		return EXIT_USAGE;
	if (upf == NULL)
		return usage_error("import-alembic needs --upgrade-sql FILE (alembic upgrade --sql base:heads)");

	pm_alembic_init(&al);
	up = read_file(upf, &uplen);
	if (up == NULL)
	{
		pg_log_error("could not read \"%s\": %s", upf, strerror(errno));
		goto out;
	}
	if (!pm_alembic_parse_upgrade(&al, up, uplen, vt, &err))
	{
		report_file_error(upf, &err);
		goto out;
	}
	if (al.n == 0)
	{
		pg_log_error("%s: no \"-- Running upgrade\" block found: is it the output of alembic upgrade --sql?",
					 upf);
		goto out;
	}
	if (al.nignored > 0)
		pg_log_warning("%s:%d: %d statement%s before the first migration %s not part of any revision and %s ignored",
					   upf, al.ignored_line, al.nignored, al.nignored == 1 ? "" : "s",
					   al.nignored == 1 ? "is" : "are", al.nignored == 1 ? "is" : "are");
	if (downf)
	{
		down = read_file(downf, &downlen);
		if (down == NULL)
		{
			pg_log_error("could not read \"%s\": %s", downf, strerror(errno));
			goto out;
		}
		if (!pm_alembic_parse_downgrade(&al, down, downlen, vt, &err))
		{
			report_file_error(downf, &err);
			goto out;
		}
	}
	if (versions && !read_versions(versions, &al, &pys, &npys))
		goto out;

	if (mkdir(opts.dir, 0777) != 0 && errno != EEXIST)
	{
		pg_log_error("could not create folder \"%s\": %s", opts.dir, strerror(errno));
		goto out;
	}

	/* render everything first, so a name clash writes nothing */
	paths = pm_malloc(sizeof(char *) * al.n);
	texts = pm_malloc(sizeof(char *) * al.n);
	for (k = 0; k < al.n; k++)
	{
		pm_alembic_rev *r = &al.revs[k];
		pm_revfile	rf;
		pm_alembic_py *py = NULL;

		for (j = 0; j < npys; j++)
			if (strcmp(pys[j].id, r->id) == 0)
				py = &pys[j];
		memset(&rf, 0, sizeof(rf));
		rf.id = r->id;
		rf.down_revision = r->down_revision;
		rf.message = (r->message[0] || py == NULL) ? r->message : py->message;
		if (py)
		{
			rf.branch_labels = py->branch_labels;
			rf.depends_on = py->depends_on;
		}
		rf.transactional = r->transactional;
		/* Alembic's order, so the folder loads and runs in it (folder.c) */
		rf.order = k + 1;
		rf.upgrade = r->upgrade;
		rf.downgrade = r->downgrade;
		if (r->downgrade == NULL)
			noreverse++;
		texts[k] = pm_revfile_format(&rf);
		paths[k] = revision_path(r->id, rf.message);
		if (!force && access(paths[k], F_OK) == 0)
		{
			pg_log_error("%s already exists", paths[k]);
			pg_log_error_hint("Use --force to overwrite.");
			for (j = 0; j <= k; j++)
			{
				pm_free(paths[j]);
				pm_free(texts[j]);
			}
			goto out;
		}
	}
	for (k = 0; k < al.n; k++)
	{
		if (force)
			unlink(paths[k]);
		if (!write_file_new(paths[k], texts[k]))
		{
			for (j = k; j < al.n; j++)
			{
				pm_free(paths[j]);
				pm_free(texts[j]);
			}
			goto out;
		}
		progress("Wrote %s%s", paths[k], al.revs[k].transactional ? "" : " (non-transactional)");
		pm_free(paths[k]);
		pm_free(texts[k]);
	}
	if (downf == NULL)
		pg_log_warning("no --downgrade-sql given: the %d imported revision%s cannot be downgraded",
					   al.n, al.n == 1 ? "" : "s");
	else if (noreverse > 0)
		pg_log_warning("%d revision%s had no downgrade block in %s and %s irreversible",
					   noreverse, noreverse == 1 ? "" : "s", downf, noreverse == 1 ? "is" : "are");
	progress("Imported %d Alembic revision%s into %s", al.n, al.n == 1 ? "" : "s", opts.dir);
	rc = EXIT_OK;

out:
	if (paths)
		pm_free(paths);
	if (texts)
		pm_free(texts);
	for (k = 0; k < npys; k++)
		pm_alembic_py_free(&pys[k]);
	if (pys)
		pm_free(pys);
	pm_alembic_free(&al);
	if (up)
		pm_free(up);
	if (down)
		pm_free(down);
	return rc;
}

/*
 * Adopt a database that Alembic managed: its version table lists the
 * applied heads.  pgmig.stamp() takes one target and makes the applied
 * set exactly that target's ancestry, so the first head is stamped and
 * the others' missing ancestors are recorded one by one with
 * pgmig.record_step() (which records without running), in plan order.
 */
int
stamp_from_alembic(PGconn *conn, const char *version_table)
{
	PGresult   *res;
	PGresult   *plan;
	const char *params[2];
	int			k,
				j,
				n,
				changed = 0;
	pm_buf		sql;

	pm_buf_init(&sql);
	params[0] = version_table ? version_table : "alembic_version";
	/* to_regclass: the name may be schema-qualified; no SQL built from it */
	res = run_sql(conn, "SELECT pg_catalog.to_regclass($1)::text", 1, params);
	if (res == NULL)
		return EXIT_FAIL;
	if (PQgetisnull(res, 0, 0))
	{
		pg_log_error("table %s not found: is this database managed by Alembic?", params[0]);
		PQclear(res);
		return EXIT_FAIL;
	}
	pm_buf_printf(&sql, "SELECT version_num::text FROM %s ORDER BY 1", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = run_sql(conn, sql.data, 0, NULL);
	pm_buf_free(&sql);
	if (res == NULL)
		return EXIT_FAIL;
	n = PQntuples(res);
	if (n == 0)
	{
		progress("%s is empty: the database is at base; nothing to stamp", params[0]);
		PQclear(res);
		return EXIT_OK;
	}

	if (!exec_sql(conn, "BEGIN", 0, NULL))
	{
		PQclear(res);
		return EXIT_FAIL;
	}
	for (k = 0; k < n; k++)
	{
		const char *rev = PQgetvalue(res, k, 0);
		PGresult   *r;

		if (k == 0)
		{
			r = run_sql(conn, "SELECT pgmig.stamp($1)", 1, &rev);
			if (r == NULL)
				goto fail;
			changed += atoi(PQgetvalue(r, 0, 0));
			PQclear(r);
			continue;
		}
		params[0] = "upgrade";
		params[1] = rev;
		plan = run_sql(conn, "SELECT revision FROM pgmig.plan($1, $2) ORDER BY step", 2, params);
		if (plan == NULL)
			goto fail;
		for (j = 0; j < PQntuples(plan); j++)
		{
			const char *p = PQgetvalue(plan, j, 0);

			if (!exec_sql(conn, "SELECT pgmig.record_step($1, false)", 1, &p))
			{
				PQclear(plan);
				goto fail;
			}
			changed++;
		}
		PQclear(plan);
	}
	if (!exec_sql(conn, "COMMIT", 0, NULL))
	{
		PQclear(res);
		return EXIT_FAIL;
	}
	{
		pm_buf		heads;

		pm_buf_init(&heads);
		for (k = 0; k < n; k++)
			pm_buf_printf(&heads, "%s%s", k ? ", " : "", PQgetvalue(res, k, 0));
		progress("Stamped from Alembic (%s): %d revision%s marked applied", heads.data,
				 changed, changed == 1 ? "" : "s");
		pm_buf_free(&heads);
	}
	PQclear(res);
	return EXIT_OK;

fail:
	PQclear(PQexec(conn, "ROLLBACK"));
	PQclear(res);
	return EXIT_FAIL;
}
