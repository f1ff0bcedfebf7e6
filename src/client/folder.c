/*-------------------------------------------------------------------------
 *
 * load.c
 *	  pgmig client: reading the revision folder and loading it into the
 *	  database, so that the files are the source of truth.
 *
 * A load is all or nothing: every file is parsed before the database is
 * touched (a broken file is reported as FILE:LINE and nothing is loaded),
 * then one transaction takes the migration lock, COPYs every revision
 * into a temporary stage table, refuses to go on if an applied revision's
 * file is missing or was edited, and merges the stage into
 * pgmig.revision with one INSERT ... ON CONFLICT (the server validates
 * the graph once per statement).  Unapplied revisions whose file is gone
 * are deleted, so a folder edited before deploying is mirrored exactly.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	pm_buf		b;
	char		chunk[65536];
	size_t		n;

	if (f == NULL)
		return NULL;
	pm_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pm_buf_append(&b, chunk, n);
	if (ferror(f))
	{
		if (f != stdin)
			fclose(f);
		pm_buf_free(&b);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	if (len)
		*len = b.len;
	return b.data;
}

/* Path of the file for revision id with message msg (pm_malloc'd). */
char *
revision_path(const char *id, const char *msg)
{
	char	   *slug = slugify(msg);
	char	   *path;
	const char *t = opts.file_template;
	pm_buf		b;

	if (t == NULL)
	{
		path = pm_malloc(strlen(opts.dir) + strlen(id) + strlen(slug) + 8);
		sprintf(path, "%s/%s%s%s.sql", opts.dir, id, slug[0] ? "_" : "", slug);
		pm_free(slug);
		return path;
	}
	/* pgmig.conf's file_template, Alembic's tokens (checked when read) */
	pm_buf_init(&b);
	pm_buf_printf(&b, "%s/", opts.dir);
	while (*t)
	{
		if (strncmp(t, "%(rev)s", 7) == 0)
			pm_buf_puts(&b, id), t += 7;
		else if (strncmp(t, "%(slug)s", 8) == 0)
			pm_buf_puts(&b, slug), t += 8;
		else if (strncmp(t, "%%", 2) == 0)
			pm_buf_puts(&b, "%"), t += 2;
		else
		{
			pm_buf_printf(&b, "%c", *t);
			t++;
		}
	}
	pm_buf_puts(&b, ".sql");
	pm_free(slug);
	path = pm_strdup(b.data);
	pm_buf_free(&b);
	return path;
}

void
report_file_error(const char *path, const pm_error *err)
{
	pg_log_error("%s:%d: %s", path, err->line, err->msg);
	if (err->detail[0])
		pg_log_error_detail("%s", err->detail);
	if (err->hint[0])
		pg_log_error_hint("%s", err->hint);
}

/* Create path with content; refuses to overwrite an existing file. */
bool
write_file_new(const char *path, const char *content)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	size_t		len = strlen(content);
	size_t		done = 0;

	if (fd < 0)
	{
		pg_log_error("could not create file \"%s\": %s", path, strerror(errno));
		return false;
	}
	while (done < len)
	{
		ssize_t		w = write(fd, content + done, len - done);

		if (w < 0)
		{
			pg_log_error("could not write file \"%s\": %s", path, strerror(errno));
			close(fd);
			return false;
		}
		done += (size_t) w;
	}
	if (close(fd) != 0)
	{
		pg_log_error("could not write file \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* "Add audio timestamps to Segment" -> "add_audio_timestamps_to_segment" */
char *
slugify(const char *msg)
{
	char	   *s = pm_malloc(strlen(msg) + 1);
	size_t		o = 0;
	bool		sep = false;

	for (; *msg && o < 40; msg++)
	{
		char		c = *msg;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		{
			if (sep && o > 0)
				s[o++] = '_';
			sep = false;
			s[o++] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
		}
		else
			sep = true;
	}
	s[o] = '\0';
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(((const revfile_entry *) a)->name, ((const revfile_entry *) b)->name);
}

/* "-- order: N" first, by N; files without it after them, by name */
static int
cmp_order_then_names(const void *a, const void *b)
{
	const pm_revfile *ra = &((const revfile_entry *) a)->rf;
	const pm_revfile *rb = &((const revfile_entry *) b)->rf;
	unsigned	oa = ra->order > 0 ? (unsigned) ra->order : ~0u;
	unsigned	ob = rb->order > 0 ? (unsigned) rb->order : ~0u;

	if (oa != ob)
		return oa < ob ? -1 : 1;
	return cmp_names(a, b);
}

typedef struct id_index
{
	const char *id;
	int			idx;
} id_index;

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(((const id_index *) a)->id, ((const id_index *) b)->id);
}

static int
find_id(const id_index *ids, int n, const char *id)
{
	id_index	key = {id, -1};
	const id_index *hit = bsearch(&key, ids, n, sizeof(id_index), cmp_ids);

	return hit ? hit->idx : -1;
}

/*
 * Put parents (and dependencies) before their children, ties by the
 * "-- order:" header and then in file name order, so the database's load
 * order -- which is the order of every plan (graph.h) -- is the same
 * wherever the folder is loaded, and an imported Alembic history loads
 * (and runs) in Alembic's order.  Also reports
 * duplicate ids, parents with no file, and cycles.
 */
static bool
order_revdir(revdir *d, const char *dir)
{
	int			n = d->n;
	id_index   *ids = pm_malloc(sizeof(id_index) * (n ? n : 1));
	revfile_entry *sorted = pm_malloc(sizeof(revfile_entry) * (n ? n : 1));
	int			nsorted = 0;
	int			k,
				j;
	bool		ok = true;

	for (k = 0; k < n; k++)
	{
		ids[k].id = d->files[k].rf.id;
		ids[k].idx = k;
	}
	qsort(ids, n, sizeof(id_index), cmp_ids);
	for (k = 1; k < n; k++)
		if (strcmp(ids[k].id, ids[k - 1].id) == 0)
		{
			pg_log_error("revision %s is defined twice: in \"%s\" and in \"%s\"",
						 ids[k].id, d->files[ids[k - 1].idx].path, d->files[ids[k].idx].path);
			ok = false;
		}
	for (k = 0; k < n && ok; k++)
	{
		pm_revfile *rf = &d->files[k].rf;

		for (j = 0; j < rf->down_revision.n + rf->depends_on.n; j++)
		{
			bool		isdep = j >= rf->down_revision.n;
			const char *p = isdep ? rf->depends_on.items[j - rf->down_revision.n]
				: rf->down_revision.items[j];

			/*
			 * Reported by load_revisions after its drift check, which names
			 * the real problem when the missing file was an applied one.
			 */
			if (find_id(ids, n, p) < 0)
			{
				pm_buf		m;

				pm_buf_init(&m);
				if (d->missing)
				{
					pm_buf_puts(&m, d->missing);
					pm_free(d->missing);
				}
				pm_buf_printf(&m, "%s: %s %s has no revision file in \"%s\"\n",
							  d->files[k].path, isdep ? "depends_on" : "down_revision", p, dir);
				d->missing = m.data;
			}
		}
	}

	/*
	 * Topological order from the core's graph (linear: one depth-first
	 * pass, ties in file-name order); unknown parents were reported above
	 * and are simply left out of the graph here.
	 */
	if (ok)
	{
		pm_graph   *g = pm_graph_new(n);
		pm_error	err;
		const int  *topo;

		for (k = 0; k < n; k++)
		{
			pm_revfile *rf = &d->files[k].rf;

			pm_graph_add(g, rf->id,
						 (const char *const *) rf->down_revision.items, rf->down_revision.n,
						 (const char *const *) rf->depends_on.items, rf->depends_on.n,
						 NULL, 0, false);
		}
		(void) pm_graph_build(g, false, &err);
		for (k = 0; k < pm_graph_nproblems(g); k++)
		{
			const pm_problem *p = pm_graph_problem(g, k);

			if (strstr(p->text, "cycle") != NULL || strstr(p->text, "itself") != NULL)
			{
				pg_log_error("the revisions form a cycle: %s (in \"%s\")", p->text,
							 p->rev >= 0 ? d->files[p->rev].path : dir);
				ok = false;
			}
		}
		topo = pm_graph_topo(g);
		for (k = 0; ok && k < n; k++)
			sorted[nsorted++] = d->files[topo[k]];
		pm_graph_free(g);
	}
	if (ok)
		memcpy(d->files, sorted, sizeof(revfile_entry) * n);
	pm_free(sorted);
	pm_free(ids);
	return ok;
}

bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s),
				m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool
read_revdir(const char *dir, revdir *out)
{
	DIR		   *dh;
	struct dirent *de;
	int			cap = 0;
	int			k;
	bool		ok = true;

	out->n = 0;
	out->files = NULL;
	out->missing = NULL;
	dh = opendir(dir);
	if (dh == NULL)
	{
		pg_log_error("could not open revision folder \"%s\": %s", dir, strerror(errno));
		pg_log_error_hint("Give the folder with --dir, or create it with \"pgmig init\".");
		return false;
	}
	while ((de = readdir(dh)) != NULL)
	{
		revfile_entry *e;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql"))
			continue;
		if (out->n == cap)
		{
			cap = cap ? cap * 2 : 32;
			out->files = pm_realloc(out->files, sizeof(revfile_entry) * cap);
		}
		e = &out->files[out->n++];
		memset(e, 0, sizeof(*e));
		e->name = pm_strdup(de->d_name);
		e->path = pm_malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(e->path, "%s/%s", dir, de->d_name);
	}
	closedir(dh);
	if (out->n > 0)
		qsort(out->files, out->n, sizeof(revfile_entry), cmp_names);

	/* parse them all and report every broken file, not just the first */
	for (k = 0; k < out->n; k++)
	{
		revfile_entry *e = &out->files[k];
		size_t		len;
		char	   *buf = read_file(e->path, &len);
		pm_error	err;

		if (buf == NULL)
		{
			pg_log_error("could not read file \"%s\": %s", e->path, strerror(errno));
			ok = false;
			continue;
		}
		if (!pm_revfile_parse(buf, len, &e->rf, &err))
		{
			report_file_error(e->path, &err);
			memset(&e->rf, 0, sizeof(e->rf));
			ok = false;
		}
		else if (strncmp(e->name, e->rf.id, strlen(e->rf.id)) != 0)
			pg_log_warning("%s: file name does not start with its revision id %s",
						   e->path, e->rf.id);
		pm_free(buf);
	}
	if (!ok)
	{
		pg_log_error("nothing loaded: fix the file%s above",
				"(s)");
		free_revdir(out);
		return false;
	}
	if (out->n > 1)
		qsort(out->files, out->n, sizeof(revfile_entry), cmp_order_then_names);
	if (!order_revdir(out, dir))
	{
		free_revdir(out);
		return false;
	}
	return true;
}

void
free_revdir(revdir *d)
{
	int			k;

	for (k = 0; k < d->n; k++)
	{
		pm_free(d->files[k].path);
		pm_free(d->files[k].name);
		if (d->files[k].rf.id)
			pm_revfile_free(&d->files[k].rf);
	}
	if (d->files)
		pm_free(d->files);
	if (d->missing)
		pm_free(d->missing);
	d->missing = NULL;
	d->n = 0;
	d->files = NULL;
}

/* ---- COPY ---- */

static void
csv_value(pm_buf *b, const char *s)
{
	const char *p;

	if (s == NULL)
		return;					/* unquoted empty field: NULL */
	pm_buf_puts(b, "\"");
	for (p = s; *p; p++)
	{
		if (*p == '"')
			pm_buf_puts(b, "\"");
		pm_buf_append(b, p, 1);
	}
	pm_buf_puts(b, "\"");
}

static void
csv_array(pm_buf *b, const pm_strlist *l)
{
	pm_buf		a;
	int			k;

	/* names are [A-Za-z0-9_]; quote them anyway so NULL-like words are safe */
	pm_buf_init(&a);
	pm_buf_puts(&a, "{");
	for (k = 0; k < l->n; k++)
		pm_buf_printf(&a, "%s\"%s\"", k ? "," : "", l->items[k]);
	pm_buf_puts(&a, "}");
	csv_value(b, a.data);
	pm_buf_free(&a);
}

static bool
copy_stage(PGconn *conn, const revdir *d)
{
	PGresult   *res;
	pm_buf		b;
	int			k;
	bool		ok = true;

	pm_buf_init(&b);
	for (k = 0; k < d->n; k++)
	{
		const revfile_entry *e = &d->files[k];
		char		ord[16];

		snprintf(ord, sizeof(ord), "%d", k);
		pm_buf_puts(&b, ord);
		pm_buf_puts(&b, ",");
		csv_value(&b, e->path);
		pm_buf_puts(&b, ",");
		csv_value(&b, e->rf.id);
		pm_buf_puts(&b, ",");
		csv_array(&b, &e->rf.down_revision);
		pm_buf_puts(&b, ",");
		csv_array(&b, &e->rf.depends_on);
		pm_buf_puts(&b, ",");
		csv_array(&b, &e->rf.branch_labels);
		pm_buf_puts(&b, ",");
		csv_value(&b, e->rf.message);
		pm_buf_puts(&b, ",");
		csv_value(&b, e->rf.upgrade);
		pm_buf_puts(&b, ",");
		csv_value(&b, e->rf.downgrade);
		pm_buf_puts(&b, e->rf.transactional ? ",t," : ",f,");
		/* where each section starts in the file: errors name file lines */
		if (e->rf.upgrade_line > 0)
			pm_buf_printf(&b, "%d", e->rf.upgrade_line);
		pm_buf_puts(&b, ",");
		if (e->rf.downgrade_line > 0)
			pm_buf_printf(&b, "%d", e->rf.downgrade_line);
		pm_buf_puts(&b, "\n");
	}

	res = PQexec(conn, "COPY pg_temp.pgmig_stage (ord, file, id, down_revision, depends_on, "
				 "branch_labels, message, upgrade, downgrade, transactional, "
				 "upgrade_line, downgrade_line) FROM STDIN (FORMAT csv)");
	if (PQresultStatus(res) != PGRES_COPY_IN)
	{
		report_result_error(res);
		PQclear(res);
		pm_buf_free(&b);
		return false;
	}
	PQclear(res);
	if (PQputCopyData(conn, b.data, (int) b.len) != 1 ||
		PQputCopyEnd(conn, NULL) != 1)
	{
		pg_log_error("COPY failed: %s", PQerrorMessage(conn));
		ok = false;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			report_result_error(res);
			ok = false;
		}
		PQclear(res);
	}
	pm_buf_free(&b);
	return ok;
}

/*
 * Files and database must agree about every applied revision: a missing
 * file or an edited script means the folder no longer describes the
 * schema, and going on would run the wrong downgrade or hide drift.
 */
static bool
check_applied(PGconn *conn)
{
	PGresult   *res;
	int			k;
	int			n;

	res = run_sql(conn,
				  "SELECT a.revision, s.file, s.id IS NULL AS missing, a.checksum,"
				  "       pgmig.checksum(s.upgrade, s.downgrade, s.transactional)"
				  "  FROM pgmig.applied a"
				  "  LEFT JOIN pg_temp.pgmig_stage s ON s.id OPERATOR(pg_catalog.=) a.revision"
				  " WHERE s.id IS NULL"
				  "    OR pgmig.checksum(s.upgrade, s.downgrade, s.transactional)"
				  "       OPERATOR(pg_catalog.<>) a.checksum"
				  " ORDER BY a.applied_at, a.revision",
				  0, NULL);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	for (k = 0; k < n; k++)
	{
		const char *rev = PQgetvalue(res, k, 0);

		if (strcmp(PQgetvalue(res, k, 2), "t") == 0)
			pg_log_error("revision %s is applied, but its file is missing from \"%s\"",
						 rev, opts.dir);
		else
			pg_log_error("%s: revision %s was changed after it was applied (checksum %.12s when applied, %.12s now)",
						 PQgetvalue(res, k, 1), rev, PQgetvalue(res, k, 3),
						 PQgetvalue(res, k, 4));
	}
	if (n > 0)
	{
		pg_log_error_hint("Never edit or delete applied migrations: restore the file%s from version control "
					"and create a new revision instead.  To record a deliberate change, use "
					"\"pgmig repair FILE\" (pgmig.repair).", n > 1 ? "s" : "");
		pg_log_error("nothing loaded, nothing run");
	}
	PQclear(res);
	return n == 0;
}

/*
 * Take the migration lock; when another run holds it, say so at once
 * (who, from pgmig.status()) instead of hanging silently, then wait.
 */
bool		load_lock_nowait = false;

static bool
take_lock(PGconn *conn)
{
	PGresult   *res = run_sql(conn, "SELECT pgmig.lock(false)", 0, NULL);
	bool		got;

	if (res == NULL)
		return false;
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return true;
	if (load_lock_nowait)
		return false;			/* a reader does not wait for a run */
	res = run_sql(conn, "SELECT lock_pid, lock_role FROM pgmig.status()", 0, NULL);
	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		fprintf(stderr, "waiting for another pgmig run (pid %s, role %s) to finish\n",
				PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	else
		fprintf(stderr, "waiting for another pgmig run to finish\n");
	fflush(stderr);
	PQclear(res);
	return exec_sql(conn, "SELECT pgmig.lock()", 0, NULL);
}

bool
load_revisions(PGconn *conn, const revdir *d, bool own_tx)
{
	PGresult   *res;
	int			k,
				added = 0,
				updated = 0,
				removed = 0;

	if (own_tx && !exec_sql(conn, "BEGIN", 0, NULL))
		return false;
	if (!take_lock(conn))
		goto fail;
	if (!exec_sql(conn,
				  "CREATE TEMP TABLE pgmig_stage ("
				  " ord integer, file text, id text, down_revision text[],"
				  " depends_on text[], branch_labels text[], message text,"
				  " upgrade text, downgrade text, transactional boolean,"
				  " upgrade_line integer, downgrade_line integer)"
				  " ON COMMIT DROP", 0, NULL))
		goto fail;
	if (!copy_stage(conn, d))
		goto fail;
	if (!check_applied(conn))
		goto fail;
	if (d->missing)
	{
		const char *line = d->missing;

		/* one error per line collected by order_revdir() */
		while (*line)
		{
			int			len = strcspn(line, "\n");

			pg_log_error("%.*s", len, line);
			line += len + (line[len] == '\n');
		}
		pg_log_error_hint("Never delete migration files; restore the missing ones from version control.");
		pg_log_error("nothing loaded");
		goto fail;
	}

	res = run_sql(conn,
				  "INSERT INTO pgmig.revision AS r (id, down_revision, depends_on, branch_labels,"
				  "                                 message, upgrade, downgrade, transactional,"
				  "                                 upgrade_line, downgrade_line)"
				  " SELECT id, down_revision, depends_on, branch_labels, message, upgrade,"
				  "        downgrade, transactional, upgrade_line, downgrade_line"
				  "   FROM pg_temp.pgmig_stage ORDER BY ord"
				  " ON CONFLICT (id) DO UPDATE SET"
				  "   down_revision = EXCLUDED.down_revision, depends_on = EXCLUDED.depends_on,"
				  "   branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message,"
				  "   upgrade = EXCLUDED.upgrade, downgrade = EXCLUDED.downgrade,"
				  "   transactional = EXCLUDED.transactional,"
				  "   upgrade_line = EXCLUDED.upgrade_line, downgrade_line = EXCLUDED.downgrade_line,"
				  "   loaded_at = pg_catalog.now(), loaded_by = CURRENT_USER"
				  " WHERE r.checksum OPERATOR(pg_catalog.<>)"
				  "         pgmig.checksum(EXCLUDED.upgrade, EXCLUDED.downgrade, EXCLUDED.transactional)"
				  "    OR r.down_revision OPERATOR(pg_catalog.<>) EXCLUDED.down_revision"
				  "    OR r.depends_on OPERATOR(pg_catalog.<>) EXCLUDED.depends_on"
				  "    OR r.branch_labels OPERATOR(pg_catalog.<>) EXCLUDED.branch_labels"
				  "    OR r.message OPERATOR(pg_catalog.<>) EXCLUDED.message"
				  "    OR r.upgrade_line IS DISTINCT FROM EXCLUDED.upgrade_line"
				  "    OR r.downgrade_line IS DISTINCT FROM EXCLUDED.downgrade_line"
				  " RETURNING r.id, (r.xmax OPERATOR(pg_catalog.=) '0'::xid) AS inserted",
				  0, NULL);
	if (res == NULL)
		goto fail;
	for (k = 0; k < PQntuples(res); k++)
	{
		if (strcmp(PQgetvalue(res, k, 1), "t") == 0)
			added++;
		else
			updated++;
	}
	PQclear(res);

	res = run_sql(conn,
				  "DELETE FROM pgmig.revision r"
				  " WHERE NOT EXISTS (SELECT 1 FROM pg_temp.pgmig_stage s"
				  "                    WHERE s.id OPERATOR(pg_catalog.=) r.id)"
				  "   AND NOT EXISTS (SELECT 1 FROM pgmig.applied a"
				  "                    WHERE a.revision OPERATOR(pg_catalog.=) r.id)"
				  " RETURNING r.id",
				  0, NULL);
	if (res == NULL)
		goto fail;
	removed = PQntuples(res);
	for (k = 0; k < removed; k++)
		progress("Removed revision %s: its file is gone and it was never applied",
				 PQgetvalue(res, k, 0));
	PQclear(res);

	if (own_tx && !exec_sql(conn, "COMMIT", 0, NULL))
		return false;
	progress("Loaded %d revision file%s from %s: %d new, %d changed, %d removed",
			 d->n, d->n == 1 ? "" : "s", opts.dir, added, updated, removed);
	return true;

fail:
	if (own_tx)
		PQclear(PQexec(conn, "ROLLBACK"));
	return false;
}

bool
load_dir(PGconn *conn, bool own_tx)
{
	revdir		d;
	bool		ok;

	if (!read_revdir(opts.dir, &d))
		return false;
	ok = load_revisions(conn, &d, own_tx);
	free_revdir(&d);
	return ok;
}
