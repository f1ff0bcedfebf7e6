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
 * Rules of the import (README, "Coming from Alembic / Flask-Migrate"):
 *	- the input is read by the core (core/alembic.c), which refuses
 *	  truncated output; a parent that is not in the output must be named
 *	  with --placeholder, which writes a root that is stamped, never run;
 *	- each file records its revision's position in Alembic's script
 *	  ("-- order: N"), so the folder loads and runs in Alembic's order;
 *	- every file is rendered in memory and checked before the first is
 *	  written: one file per revision id (existing files are found by their
 *	  revision header), replaced only with --force.
 * No database is used.  Memory: the core's allocator; freed before return.
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

/*
 * The Alembic revision files (*.py) under dir and its subfolders, as
 * Alembic's version_locations read them (hidden folders and __pycache__
 * skipped), added to *pys when their revision is in the upgrade output.
 */
static bool
read_versions(const char *dir, pm_alembic *al, pm_alembic_py **pys, int *npys)
{
	DIR		   *dh = opendir(dir);
	struct dirent *de;
	bool		ok = true;

	if (dh == NULL)
	{
		pg_log_error("could not open Alembic versions folder \"%s\": %s", dir, strerror(errno));
		return false;
	}
	while (ok && (de = readdir(dh)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char	   *path;
		char	   *buf;
		size_t		len;
		struct stat st;
		pm_alembic_py py;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "__pycache__") == 0)
			continue;
		path = pm_malloc(strlen(dir) + n + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		{
			ok = read_versions(path, al, pys, npys);
			pm_free(path);
			continue;
		}
		if (n < 4 || strcmp(de->d_name + n - 3, ".py") != 0)
		{
			pm_free(path);
			continue;
		}
		buf = read_file(path, &len);
		if (buf != NULL && pm_alembic_pyfile(buf, len, &py))
		{
			if (pm_alembic_find(al, py.id) >= 0)
			{
				*pys = pm_realloc(*pys, sizeof(pm_alembic_py) * (*npys + 1));
				(*pys)[(*npys)++] = py;
			}
			else
			{
				pg_log_warning("%s: revision %s is not in the upgrade output; skipped",
							   path, py.id);
				pm_alembic_py_free(&py);
			}
		}
		if (buf)
			pm_free(buf);
		pm_free(path);
	}
	closedir(dh);
	return ok;
}

/* A revision file already in the folder: its id and path. */
typedef struct existing_file
{
	char	   *id;
	char	   *path;
} existing_file;

/*
 * The revision files already in dir, by the id their header names (not
 * their file name, which a file_template may shape freely), so a second
 * import never writes a second file for one id.  Files that do not parse
 * are left to the load to report.
 */
static existing_file *
read_existing(const char *dir, int *n)
{
	DIR		   *dh = opendir(dir);
	struct dirent *de;
	existing_file *out = NULL;

	*n = 0;
	if (dh == NULL)
		return NULL;
	while ((de = readdir(dh)) != NULL)
	{
		char	   *path;
		char	   *buf;
		size_t		len;
		pm_revfile	rf;
		pm_error	err;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql"))
			continue;
		path = pm_malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		buf = read_file(path, &len);
		if (buf && pm_revfile_parse(buf, len, &rf, &err))
		{
			out = pm_realloc(out, sizeof(existing_file) * (*n + 1));
			out[*n].id = pm_strdup(rf.id);
			out[(*n)++].path = path;
			path = NULL;
			pm_revfile_free(&rf);
		}
		if (buf)
			pm_free(buf);
		if (path)
			pm_free(path);
	}
	closedir(dh);
	return out;
}

static const char *
existing_path(const existing_file *ex, int n, const char *id)
{
	int			k;

	for (k = 0; k < n; k++)
		if (strcmp(ex[k].id, id) == 0)
			return ex[k].path;
	return NULL;
}

/*
 * Parents that are not in the upgrade output: Alembic rendered the
 * history from a later revision (alembic upgrade --sql REV:heads, because
 * the early migrations cannot be rendered offline or were deleted).
 * Each must be named with --placeholder, which writes a root that stands
 * for the history up to it; returns false (error printed) otherwise.
 */
static bool
check_parents(const pm_alembic *al, char **placeholders, int nph, const char *upf)
{
	int			k,
				j,
				i;
	const char **missing = pm_malloc(sizeof(char *) * (al->n + 1) * 4);
	int			nmissing = 0;
	pm_buf		ids;

	for (k = 0; k < nph; k++)
		if (pm_alembic_find(al, placeholders[k]) >= 0)
		{
			pg_log_error("--placeholder %s: revision %s is in the upgrade output", placeholders[k], placeholders[k]);
			pg_log_error_hint("A placeholder stands only for a parent that the output does not contain.");
			pm_free(missing);
			return false;
		}
	for (k = 0; k < al->n; k++)
		for (j = 0; j < al->revs[k].down_revision.n; j++)
		{
			const char *p = al->revs[k].down_revision.items[j];
			bool		known = pm_alembic_find(al, p) >= 0;

			for (i = 0; !known && i < nph; i++)
				known = strcmp(placeholders[i], p) == 0;
			for (i = 0; !known && i < nmissing; i++)
				known = strcmp(missing[i], p) == 0;
			if (known)
				continue;
			pg_log_error("%s:%d: revision %s has parent %s, which is not in the upgrade output",
						 upf, al->revs[k].line, al->revs[k].id, p);
			if (nmissing < (al->n + 1) * 4)
				missing[nmissing++] = p;
		}
	if (nmissing > 0)
	{
		pm_buf_init(&ids);
		for (i = 0; i < nmissing; i++)
			pm_buf_printf(&ids, "%s--placeholder %s", i ? " " : "", missing[i]);
		pg_log_error_detail("The output starts after the beginning of the history (as \"alembic upgrade --sql REV:heads\" writes it), so pgmig does not know what %s did.",
							nmissing == 1 ? "that revision" : "those revisions");
		pg_log_error_hint("If the history before it cannot be rendered offline, import again with %s: a root revision with no schema change that stands for Alembic's history up to there; existing databases get it by stamping (pgmig stamp --from-alembic), and running it is refused.",
						  ids.data);
		pm_buf_free(&ids);
	}
	pm_free(missing);
	return nmissing == 0;
}

/* The file text of a placeholder root (see check_parents). */
static char *
placeholder_text(const char *id)
{
	pm_revfile	rf;
	pm_buf		up;
	char	   *text;

	pm_buf_init(&up);
	pm_buf_printf(&up,
				  "-- Placeholder for the Alembic history up to %s, which import-alembic did\n"
				  "-- not see.  Databases that have it get it by stamping (pgmig stamp\n"
				  "-- --from-alembic, or pgmig stamp %s); running it is refused, because\n"
				  "-- it cannot build that schema.\n"
				  "DO $pgmig_placeholder$\n"
				  "BEGIN\n"
				  "  RAISE EXCEPTION 'revision %s is a placeholder for Alembic history pgmig does not have'\n"
				  "    USING HINT = 'Stamp it on a database that Alembic brought to %s or later (pgmig stamp --from-alembic); build a new database with Alembic up to %s first.';\n"
				  "END\n"
				  "$pgmig_placeholder$;",
				  id, id, id, id, id);
	memset(&rf, 0, sizeof(rf));
	rf.id = (char *) id;
	rf.message = "Placeholder for Alembic history up to here";
	rf.transactional = true;
	rf.upgrade = up.data;
	rf.downgrade = NULL;
	text = pm_revfile_format(&rf);
	pm_buf_free(&up);
	return text;
}

/*
 * The files one import writes: placeholders first, then Alembic's
 * revisions in the order its offline script ran them.
 */
typedef struct import_files
{
	int			n;
	const char **ids;
	char	  **paths;
	char	  **texts;
	const char **notes;			/* said after "Wrote PATH" */
} import_files;

static const pm_alembic_py *
find_py(const pm_alembic_py *pys, int npys, const char *id)
{
	int			k;

	for (k = 0; k < npys; k++)
		if (strcmp(pys[k].id, id) == 0)
			return &pys[k];
	return NULL;
}

/* Render every file in memory first, so a refusal writes nothing. */
static void
render_files(const pm_alembic *al, const pm_alembic_py *pys, int npys,
			 char **placeholders, int nph, import_files *f)
{
	int			k;

	f->n = al->n + nph;
	f->ids = pm_malloc(sizeof(char *) * (f->n + 1));
	f->paths = pm_malloc(sizeof(char *) * (f->n + 1));
	f->texts = pm_malloc(sizeof(char *) * (f->n + 1));
	f->notes = pm_malloc(sizeof(char *) * (f->n + 1));
	for (k = 0; k < nph; k++)
	{
		f->ids[k] = placeholders[k];
		f->texts[k] = placeholder_text(placeholders[k]);
		f->paths[k] = revision_path(placeholders[k], "placeholder");
		f->notes[k] = " (placeholder: stamp it, never run it)";
	}
	for (k = 0; k < al->n; k++)
	{
		const pm_alembic_rev *r = &al->revs[k];
		const pm_alembic_py *py = find_py(pys, npys, r->id);
		pm_revfile	rf;

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
		f->ids[nph + k] = r->id;
		f->texts[nph + k] = pm_revfile_format(&rf);
		f->paths[nph + k] = revision_path(r->id, rf.message);
		f->notes[nph + k] = r->transactional ? "" : " (non-transactional)";
	}
}

/*
 * One file per revision id: an id that has a file in the folder already
 * (found by its revision header, whatever its name) is refused, or with
 * --force that file is replaced.  Nothing is written unless every file
 * can be.
 */
static bool
write_files(const import_files *f, bool force)
{
	int			nexisting;
	existing_file *existing = read_existing(opts.dir, &nexisting);
	bool		ok = true;
	int			k;

	for (k = 0; ok && k < f->n; k++)
	{
		const char *old = existing_path(existing, nexisting, f->ids[k]);

		if (old == NULL && access(f->paths[k], F_OK) == 0)
			old = f->paths[k];
		if (old && !force)
		{
			pg_log_error("revision %s already has a file: %s", f->ids[k], old);
			pg_log_error_hint("Use --force to replace the files of the revisions imported again (with --versions or not, each id keeps one file).");
			ok = false;
		}
	}
	for (k = 0; ok && k < f->n; k++)
	{
		const char *old = existing_path(existing, nexisting, f->ids[k]);

		if (force)
		{
			if (old)
				unlink(old);
			unlink(f->paths[k]);
		}
		ok = write_file_new(f->paths[k], f->texts[k]);
		if (ok)
			progress("Wrote %s%s", f->paths[k], f->notes[k]);
	}
	for (k = 0; k < nexisting; k++)
	{
		pm_free(existing[k].id);
		pm_free(existing[k].path);
	}
	if (existing)
		pm_free(existing);
	return ok;
}

static void
free_files(import_files *f)
{
	int			k;

	for (k = 0; k < f->n; k++)
	{
		pm_free(f->paths[k]);
		pm_free(f->texts[k]);
	}
	if (f->n > 0 || f->ids)
	{
		pm_free(f->ids);
		pm_free(f->paths);
		pm_free(f->texts);
		pm_free(f->notes);
	}
	memset(f, 0, sizeof(*f));
}

int
cmd_import_alembic(int argc, char **argv)
{
	enum
	{
		OPT_VERSIONS = 1,
		OPT_VERSION_TABLE,
		OPT_PLACEHOLDER
	};
	static const struct option long_options[] = {
		{"upgrade-sql", required_argument, NULL, 'u'},
		{"downgrade-sql", required_argument, NULL, 'D'},
		{"versions", required_argument, NULL, OPT_VERSIONS},
		{"version-table", required_argument, NULL, OPT_VERSION_TABLE},
		{"placeholder", required_argument, NULL, OPT_PLACEHOLDER},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}
	};
	const char *upf = NULL,
			   *downf = NULL,
			   *vt = NULL;
	char	  **versions = pm_malloc(sizeof(char *) * (argc + 1));
	int			nversions = 0;
	char	  **placeholders = pm_malloc(sizeof(char *) * (argc + 1));
	int			nph = 0;
	import_files files;
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
	int			k,
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
				/* repeatable, as Alembic's version_locations */
				versions[nversions++] = optarg;
				break;
			case OPT_PLACEHOLDER:
				if (!pm_valid_name(optarg, strlen(optarg)) || pm_reserved_name(optarg))
				{
					pm_free(versions);
					pm_free(placeholders);
					return usage_error("--placeholder needs a revision id, not \"%s\"", optarg);
				}
				placeholders[nph++] = optarg;
				break;
			case OPT_VERSION_TABLE:
				vt = optarg;
				break;
			case 'f':
				force = true;
				break;
			default:
				pm_free(versions);
				pm_free(placeholders);
				return EXIT_USAGE;
		}
	}
	if (!no_positionals(argc, argv) || upf == NULL)
	{
		pm_free(versions);
		pm_free(placeholders);
		return upf ? EXIT_USAGE :
			usage_error("import-alembic needs --upgrade-sql FILE (alembic upgrade --sql base:heads)");
	}

	pm_alembic_init(&al);
	memset(&files, 0, sizeof(files));
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
	if (downf && (k = pm_alembic_downgrade_misordered(&al)) >= 0)
		pg_log_warning("%s: Alembic downgrades revision %s in another order than the reverse of its upgrade; pgmig will downgrade in the reverse of the upgrade order",
					   downf, al.revs[k].id);
	if (!check_parents(&al, placeholders, nph, upf))
		goto out;
	for (k = 0; k < nversions; k++)
		if (!read_versions(versions[k], &al, &pys, &npys))
			goto out;

	if (make_revision_folder() < 0)
		goto out;

	render_files(&al, pys, npys, placeholders, nph, &files);
	if (!write_files(&files, force))
		goto out;
	for (k = 0; k < al.n; k++)
		if (al.revs[k].downgrade == NULL)
			noreverse++;
	if (downf == NULL)
		pg_log_warning("no --downgrade-sql given: the %d imported revision%s cannot be downgraded",
					   al.n, al.n == 1 ? "" : "s");
	else if (noreverse > 0)
		pg_log_warning("%d revision%s had no downgrade block in %s and %s irreversible",
					   noreverse, noreverse == 1 ? "" : "s", downf, noreverse == 1 ? "is" : "are");
	progress("Imported %d Alembic revision%s into %s", al.n, al.n == 1 ? "" : "s", opts.dir);
	rc = EXIT_OK;

out:
	free_files(&files);
	pm_free(versions);
	pm_free(placeholders);
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
