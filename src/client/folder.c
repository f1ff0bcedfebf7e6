/*-------------------------------------------------------------------------
 *
 * folder.c
 *	  pgmig client: reading the revision folder and loading it into the
 *	  database, so that the files are the source of truth.
 *
 * A load is all or nothing: every file is parsed before the database is
 * touched (a broken file is reported as FILE:LINE and nothing is loaded),
 * then one transaction takes the migration lock, COPYs the folder into a
 * temporary table (COPY ... FROM STDIN, as SPEC says) and hands it to
 * pgmig.load_folder(), the one place that decides what is new, changed,
 * unchanged, edited after it was applied or gone (sql/0.4/72_load_folder.sql):
 * first each file's load digest only, then the texts of the files it asks
 * for, so a folder equal to the database costs one call and no script is
 * sent.  Unapplied revisions whose file is gone are deleted, so a folder
 * edited before deploying is mirrored exactly.
 *
 * The folder's fingerprint (names, sizes, inodes, times) goes with the
 * load; the server records it when the load leaves pgmig.revision equal
 * to the folder, and read-only commands that find the same fingerprint
 * skip reading the files (queries.c).
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

static char *read_stat_file(const char *path, size_t *len, file_stamp *st);
static void stamp_of(const struct stat *st, file_stamp *out);

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
/*
 * files[k] = old files[perm[k]] for every k, in place (cycle by cycle, one
 * entry of scratch): no second array of entries at 100,000 files.
 */
static void
permute_entries(revfile_entry *files, int n, const int *perm)
{
	bool	   *placed = pm_malloc(n ? n : 1);
	int			i;

	memset(placed, 0, n ? n : 1);
	for (i = 0; i < n; i++)
	{
		revfile_entry tmp;
		int			j = i;

		if (placed[i])
			continue;
		tmp = files[i];
		for (;;)
		{
			int			src = perm[j];

			placed[j] = true;
			if (src == i)
			{
				files[j] = tmp;
				break;
			}
			files[j] = files[src];
			j = src;
		}
	}
	pm_free(placed);
}

static bool
order_revdir(revdir *d, const char *dir)
{
	int			n = d->n;
	id_index   *ids = pm_malloc(sizeof(id_index) * (n ? n : 1));
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
		if (ok)
			permute_entries(d->files, n, topo);
		pm_graph_free(g);
	}
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

/*
 * Create the revision folder (--dir) with any missing parents, as mkdir -p
 * (a pgmig.conf may name db/revisions): 1 created, 0 it was there, -1
 * after an error was reported.
 */
int
make_revision_folder(void)
{
	struct stat st;
	char	   *path;
	int			rc;

	if (stat(opts.dir, &st) == 0)
	{
		if (S_ISDIR(st.st_mode))
			return 0;
		pg_log_error("could not create folder \"%s\": a file of that name exists", opts.dir);
		return -1;
	}
	path = pg_strdup(opts.dir);
	rc = pg_mkdir_p(path, 0777);
	pg_free(path);
	if (rc != 0)
	{
		pg_log_error("could not create folder \"%s\": %s", opts.dir, strerror(errno));
		return -1;
	}
	return 1;
}

/*
 * Bytes of file text read_revdir keeps for the load (8 MB): a folder of
 * usual size is read once; a bigger one is read again for the files the
 * database asks for, which a no-op run never does.
 */
#define TEXT_BUDGET ((size_t) 8 * 1024 * 1024)

/* TEXT_BUDGET, or PGMIG_TEXT_BUDGET bytes (the tests use 0: read again) */
static size_t
text_budget(void)
{
	const char *v = getenv("PGMIG_TEXT_BUDGET");

	return v && *v ? (size_t) strtoull(v, NULL, 10) : TEXT_BUDGET;
}

bool
read_revdir(const char *dir, revdir *out)
{
	size_t		kept = 0,
				budget = text_budget();
	time_t		start;
	DIR		   *dh;
	struct dirent *de;
	int			cap = 0;
	int			k;
	bool		ok = true;

	out->n = 0;
	out->files = NULL;
	out->missing = NULL;
	out->fingerprint = NULL;
	start = time(NULL);
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
	{
		/* no doubling slack kept for the rest of the command */
		out->files = pm_realloc(out->files, sizeof(revfile_entry) * out->n);
		qsort(out->files, out->n, sizeof(revfile_entry), cmp_names);
	}

	/* parse them all and report every broken file, not just the first */
	for (k = 0; k < out->n; k++)
	{
		revfile_entry *e = &out->files[k];
		size_t		len;
		char	   *buf = read_stat_file(e->path, &len, &e->st);
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
		else
		{
			if (strncmp(e->name, e->rf.id, strlen(e->rf.id)) != 0)
				pg_log_warning("%s: file name does not start with its revision id %s",
							   e->path, e->rf.id);
			pm_revfile_digest(&e->rf, e->digest);
		}
		/*
		 * Kept, to be sent as it was read if the database asks for it,
		 * while the texts kept stay under TEXT_BUDGET; past it a file is
		 * read again when asked for (file_text), so the client's memory
		 * does not grow with the size of a big folder's scripts.
		 */
		if (kept + len <= budget)
		{
			e->text = buf;
			kept += len;
		}
		else
			pm_free(buf);
	}
	out->fingerprint = folder_fingerprint(out->files, out->n, start);
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
		if (d->files[k].text)
			pm_free(d->files[k].text);
		if (d->files[k].rf.id)
			pm_revfile_free(&d->files[k].rf);
	}
	if (d->files)
		pm_free(d->files);
	if (d->missing)
		pm_free(d->missing);
	if (d->fingerprint)
		pm_free(d->fingerprint);
	d->missing = NULL;
	d->fingerprint = NULL;
	d->n = 0;
	d->files = NULL;
}

/* ---- fingerprint and digests ---- */

/*
 * A whole file read with the stat of the open file (the fingerprint's
 * stat is the one of the bytes read, not of a later path lookup).
 */
static char *
read_stat_file(const char *path, size_t *len, file_stamp *stamp)
{
	int			fd = open(path, O_RDONLY);
	struct stat sb;
	struct stat *st = &sb;
	char	   *buf;
	size_t		done = 0,
				cap;

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) != 0)
	{
		close(fd);
		return NULL;
	}
	stamp_of(st, stamp);
	/* room for one byte more than fstat said, so growth is noticed */
	cap = (size_t) st->st_size + 1;
	buf = pm_malloc(cap + 1);
	for (;;)
	{
		ssize_t		r = read(fd, buf + done, cap - done);

		if (r < 0)
		{
			int			save = errno;

			close(fd);
			pm_free(buf);
			errno = save;
			return NULL;
		}
		if (r == 0)
			break;
		done += (size_t) r;
		/*
		 * A regular file that gave exactly its fstat size is whole: no
		 * extra read() to see EOF (one syscall less per file, 10,000 in a
		 * 10,000-file folder).  A file that changed meanwhile has a new
		 * ctime, so its fingerprint is never recorded (racy rule).
		 */
		if (S_ISREG(st->st_mode) && done == (size_t) st->st_size)
			break;
		if (done == cap)
		{
			/* the file grew since fstat: read the rest (st keeps the fstat) */
			cap *= 2;
			buf = pm_realloc(buf, cap + 1);
		}
	}
	close(fd);
	buf[done] = '\0';
	*len = done;
	return buf;
}

static void
stamp_of(const struct stat *st, file_stamp *out)
{
	out->size = (long long) st->st_size;
	out->ino = (unsigned long long) st->st_ino;
	out->mtim = st->st_mtim;
	out->ctim = st->st_ctim;
}

static void
hash_time(pm_sha256_ctx *c, const struct timespec *t)
{
	char		b[48];

	snprintf(b, sizeof(b), "%lld.%09ld,", (long long) t->tv_sec, (long) t->tv_nsec);
	pm_sha256_update(c, b, strlen(b));
}

/*
 * The folder's fingerprint (pm_malloc'd hex), from files sorted by name:
 * each file's name, size, inode, mtime and ctime, and the client's
 * version (a new parser may read the same bytes differently).  NULL when
 * a file changed within two seconds of start: a change made later in the
 * same clock tick would keep its times, so such a folder is never
 * recorded (Git's "racy" rule).  README "The folder is the truth" says why
 * this is sound: ctime cannot be set back by a user.
 */
char *
folder_fingerprint(const revfile_entry *files, int n, time_t start)
{
	pm_sha256_ctx c;
	char	   *out;
	int			k;

	pm_sha256_init(&c);
	pm_sha256_update(&c, "pgmig folder 1 " PGMIG_VERSION "\n",
					 strlen("pgmig folder 1 " PGMIG_VERSION "\n"));
	for (k = 0; k < n; k++)
	{
		const file_stamp *st = &files[k].st;
		char		b[64];

		if (st->mtim.tv_sec >= start - 2 || st->ctim.tv_sec >= start - 2)
			return NULL;
		pm_sha256_update(&c, files[k].name, strlen(files[k].name) + 1);
		snprintf(b, sizeof(b), "%lld,%llu,", st->size, st->ino);
		pm_sha256_update(&c, b, strlen(b));
		hash_time(&c, &st->mtim);
		hash_time(&c, &st->ctim);
	}
	out = pm_malloc(65);
	pm_sha256_final_hex(&c, out);
	return out;
}

/*
 * The fingerprint of dir as it is now, from its directory entries and a
 * stat of each *.sql file (no file is opened): what the read-only
 * commands compare with the recorded one.  NULL when it cannot be made.
 */
static char *
current_fingerprint(const char *dir)
{
	DIR		   *dh = opendir(dir);
	struct dirent *de;
	revfile_entry *files = NULL;
	int			n = 0,
				cap = 0,
				k;
	time_t		start = time(NULL);
	char	   *fp = NULL;
	bool		ok = true;

	if (dh == NULL)
		return NULL;
	while ((de = readdir(dh)) != NULL)
	{
		struct stat sb;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql"))
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 256;
			files = pm_realloc(files, sizeof(revfile_entry) * cap);
		}
		memset(&files[n], 0, sizeof(revfile_entry));
		if (fstatat(dirfd(dh), de->d_name, &sb, 0) != 0)
		{
			ok = false;
			break;
		}
		stamp_of(&sb, &files[n].st);
		files[n].name = pm_strdup(de->d_name);
		n++;
	}
	closedir(dh);
	if (ok)
	{
		if (n > 1)
			qsort(files, n, sizeof(revfile_entry), cmp_names);
		fp = folder_fingerprint(files, n, start);
	}
	for (k = 0; k < n; k++)
		pm_free(files[k].name);
	if (files)
		pm_free(files);
	return fp;
}

/* ---- the load: one server function decides (pgmig.load_folder) ---- */

/* one CSV field: quoted, quotes doubled ("" is the empty string) */
static void
csv_value(pm_buf *b, const char *s)
{
	const char *p;

	pm_buf_puts(b, "\"");
	for (p = s; *p; p++)
	{
		const char *run = p;

		while (*p && *p != '"')
			p++;
		pm_buf_append(b, run, p - run);
		if (*p == '\0')
			break;
		pm_buf_puts(b, "\"\"");
	}
	pm_buf_puts(b, "\"");
}

/*
 * COPY ... FROM STDIN, streamed: rows (CSV) are collected in b and sent
 * every 64 kB, so neither this buffer nor libpq's holds a whole folder.
 */
typedef struct copy_stream
{
	PGconn	   *conn;
	pm_buf		b;
	bool		ok;
} copy_stream;

#define COPY_CHUNK 65536

/* Start the COPY; false after an error was reported */
static bool
copy_start(copy_stream *cs, PGconn *conn, const char *copy_sql)
{
	PGresult   *res = PQexec(conn, copy_sql);

	cs->conn = conn;
	cs->ok = true;
	pm_buf_init(&cs->b);
	if (PQresultStatus(res) != PGRES_COPY_IN)
	{
		report_result_error(res);
		PQclear(res);
		pm_buf_free(&cs->b);
		return false;
	}
	PQclear(res);
	return true;
}

/* Send what is collected once it reaches COPY_CHUNK (any amount if all) */
static void
copy_flush(copy_stream *cs, bool all)
{
	if (cs->b.len == 0 || (!all && cs->b.len < COPY_CHUNK))
		return;
	if (cs->ok && PQputCopyData(cs->conn, cs->b.data, (int) cs->b.len) != 1)
	{
		pg_log_error("COPY failed: %s", PQerrorMessage(cs->conn));
		cs->ok = false;
	}
	cs->b.len = 0;
	cs->b.data[0] = '\0';
}

/*
 * End the COPY: sends the rest, or abandons it with abandon_reason (an
 * error already reported) so nothing is staged.  False after any error.
 */
static bool
copy_finish(copy_stream *cs, const char *abandon_reason)
{
	PGresult   *res;
	bool		ok;

	if (abandon_reason == NULL)
		copy_flush(cs, true);
	pm_buf_free(&cs->b);
	ok = cs->ok && abandon_reason == NULL;
	if (PQputCopyEnd(cs->conn, abandon_reason) != 1)
	{
		pg_log_error("COPY failed: %s", PQerrorMessage(cs->conn));
		ok = false;
	}
	while ((res = PQgetResult(cs->conn)) != NULL)
	{
		/* an abandoned COPY fails as asked: its error was reported */
		if (PQresultStatus(res) != PGRES_COMMAND_OK && abandon_reason == NULL)
		{
			report_result_error(res);
			ok = false;
		}
		PQclear(res);
	}
	return ok;
}

/*
 * Stage the folder: every file's order, id, path and load digest, with
 * COPY ... FROM STDIN (SPEC: the client loads with COPY); no script yet.
 */
static bool
stage_folder(PGconn *conn, const revdir *d)
{
	copy_stream cs;
	int			k;

	if (!exec_sql(conn,
				  "CREATE TEMP TABLE pgmig_stage (ord integer, id text, file text, digest text)"
				  " ON COMMIT DROP", 0, NULL) ||
		!copy_start(&cs, conn, "COPY pg_temp.pgmig_stage (ord, id, file, digest) FROM STDIN (FORMAT csv)"))
		return false;
	for (k = 0; k < d->n; k++)
	{
		pm_buf_printf(&cs.b, "%d,", k);
		csv_value(&cs.b, d->files[k].rf.id);
		pm_buf_puts(&cs.b, ",");
		csv_value(&cs.b, d->files[k].path);
		pm_buf_printf(&cs.b, ",%s\n", d->files[k].digest);
		copy_flush(&cs, false);
	}
	return copy_finish(&cs, NULL);
}

/*
 * The text of a file read_revdir did not keep, read again: only if it
 * still gives the load digest computed the first time (the database
 * decided on that digest), else an error.  pm_malloc'd, or NULL after an
 * error was reported.
 */
static char *
file_text(const revfile_entry *e)
{
	size_t		len;
	file_stamp	st;
	char	   *buf = read_stat_file(e->path, &len, &st);
	pm_revfile	rf;
	pm_error	err;
	char		digest[65];
	bool		same = false;

	if (buf == NULL)
	{
		pg_log_error("could not read file \"%s\": %s", e->path, strerror(errno));
		return NULL;
	}
	if (pm_revfile_parse(buf, len, &rf, &err))
	{
		pm_revfile_digest(&rf, digest);
		same = strcmp(digest, e->digest) == 0;
		pm_revfile_free(&rf);
	}
	if (!same)
	{
		pg_log_error("file \"%s\" changed while pgmig was loading it", e->path);
		pg_log_error_hint("Nothing was loaded. Run the command again.");
		pm_free(buf);
		return NULL;
	}
	return buf;
}

/* Stage the texts load_folder asked for (outcome 'needed'), by order. */
static bool
stage_texts(PGconn *conn, const revdir *d, const PGresult *res)
{
	copy_stream cs;
	int			k,
				j = 0;

	if (!exec_sql(conn,
				  "CREATE TEMP TABLE pgmig_stage_text (ord integer, content text)"
				  " ON COMMIT DROP", 0, NULL) ||
		!copy_start(&cs, conn, "COPY pg_temp.pgmig_stage_text (ord, content) FROM STDIN (FORMAT csv)"))
		return false;
	/* 'needed' rows come back in the order sent (refusals come first) */
	for (k = 0; k < PQntuples(res); k++)
	{
		if (strcmp(PQgetvalue(res, k, 2), "needed") != 0)
			continue;
		while (j < d->n && strcmp(d->files[j].rf.id, PQgetvalue(res, k, 0)) != 0)
			j++;
		if (j == d->n)
			break;
		pm_buf_printf(&cs.b, "%d,", j);
		if (d->files[j].text)
			csv_value(&cs.b, d->files[j].text);
		else
		{
			char	   *text = file_text(&d->files[j]);

			if (text == NULL)
			{
				(void) copy_finish(&cs, "a revision file changed while it was loaded");
				return false;
			}
			csv_value(&cs.b, text);
			pm_free(text);
		}
		pm_buf_puts(&cs.b, "\n");
		copy_flush(&cs, false);
	}
	return copy_finish(&cs, NULL);
}

/*
 * One call of pgmig.load_folder over the staged folder: digests only, or
 * with the staged texts.  Returns its rows, or NULL after an error was
 * reported.
 */
static PGresult *
call_load_folder(PGconn *conn, const revdir *d, bool with_texts)
{
	const char *params[2];
	char	   *sql;
	PGresult   *res;

#define STAGED(col) "(SELECT COALESCE(pg_catalog.array_agg(" col " ORDER BY ord USING OPERATOR(pg_catalog.<)), '{}')" \
	" FROM pg_temp.pgmig_stage)"
	params[0] = d->missing ? "f" : "t";
	params[1] = d->fingerprint;
	sql = psprintf("SELECT id, file, outcome, applied_checksum, file_checksum"
				   "  FROM pgmig.load_folder(" STAGED("id") ", " STAGED("file") ", "
				   STAGED("digest") ", %s, $1, $2)",
				   with_texts ?
				   "(SELECT COALESCE(pg_catalog.array_agg(t.content ORDER BY s.ord USING OPERATOR(pg_catalog.<)), '{}')"
				   "   FROM pg_temp.pgmig_stage s LEFT JOIN pg_temp.pgmig_stage_text t"
				   "     ON t.ord OPERATOR(pg_catalog.=) s.ord)" : "NULL");
#undef STAGED
	res = run_sql(conn, sql, 2, params);
	pg_free(sql);
	return res;
}

/* set by load_dir_as_run: a refusal stops a run */
static bool load_for_run = false;

/*
 * Files and database must agree about every applied revision: a missing
 * file or an edited script means the folder no longer describes the
 * schema, and going on would run the wrong downgrade or hide drift.
 * Prints the refusals load_folder returned; true when there were none.
 */
static bool
report_refusals(const PGresult *res)
{
	int			k,
				n = 0;

	for (k = 0; k < PQntuples(res); k++)
	{
		const char *rev = PQgetvalue(res, k, 0);
		const char *outcome = PQgetvalue(res, k, 2);

		if (strcmp(outcome, "missing") == 0)
			pg_log_error("revision %s is applied, but its file is missing from \"%s\"",
						 rev, opts.dir);
		else if (strcmp(outcome, "edited") == 0)
			pg_log_error("%s: revision %s was changed after it was applied (checksum %.12s when applied, %.12s now)",
						 PQgetvalue(res, k, 1), rev, PQgetvalue(res, k, 3),
						 PQgetvalue(res, k, 4));
		else
			continue;
		n++;
	}
	if (n > 0)
	{
		pg_log_error_hint("Never edit or delete applied migrations: restore the file%s from version control "
						  "and create a new revision instead.  To record a deliberate change, use "
						  "\"pgmig repair FILE\" (pgmig.repair).", n > 1 ? "s" : "");
		/* a read command (check, heads...) runs nothing anyway */
		pg_log_error(load_for_run ? "nothing loaded, nothing run" : "nothing loaded");
	}
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
				removed = 0,
				needed = 0;
	bool		ok = false;

	if (own_tx && !exec_sql(conn, "BEGIN", 0, NULL))
		return false;
	if (!take_lock(conn))
		goto fail;
	if (!stage_folder(conn, d))
		goto fail;
	res = call_load_folder(conn, d, false);
	if (res == NULL)
		goto fail;

	/* the texts of the files whose digest differs, and only those */
	for (k = 0; k < PQntuples(res); k++)
		if (strcmp(PQgetvalue(res, k, 2), "needed") == 0)
			needed++;
	if (needed > 0)
	{
		bool		staged = stage_texts(conn, d, res);

		PQclear(res);
		if (!staged)
			goto fail;
		res = call_load_folder(conn, d, true);
		if (res == NULL)
			goto fail;
	}
	if (!report_refusals(res))
	{
		PQclear(res);
		goto fail;
	}
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
		PQclear(res);
		goto fail;
	}
	for (k = 0; k < PQntuples(res); k++)
	{
		const char *outcome = PQgetvalue(res, k, 2);

		if (strcmp(outcome, "new") == 0)
			added++;
		else if (strcmp(outcome, "changed") == 0)
			updated++;
		else if (strcmp(outcome, "removed") == 0)
		{
			removed++;
			progress("Removed revision %s: its file is gone and it was never applied",
					 PQgetvalue(res, k, 0));
		}
	}
	PQclear(res);

	if (own_tx && !exec_sql(conn, "COMMIT", 0, NULL))
		goto done;
	progress("Loaded %d revision file%s from %s: %d new, %d changed, %d removed",
			 d->n, d->n == 1 ? "" : "s", opts.dir, added, updated, removed);
	ok = true;
	goto done;

fail:
	if (own_tx)
		PQclear(PQexec(conn, "ROLLBACK"));
done:
	return ok;
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

/* load_dir, its refusals saying that nothing runs either */
static bool
load_dir_as_run(PGconn *conn)
{
	bool		ok;

	load_for_run = true;
	ok = load_dir(conn, true);
	load_for_run = false;
	return ok;
}

/*
 * load_dir for a run (upgrade, downgrade, stamp, a fleet's databases): a
 * folder whose fingerprint the database recorded, with pgmig.revision
 * unchanged since, would load nothing, so it is not read.  The record holds
 * pgmig.revision's row versions too, so a change made there with its
 * triggers bypassed voids it (README "The folder is the source of truth").
 * Asked under the migration lock, which stays for the run as a load leaves
 * it, so no other load comes between the answer and the run.  Anything
 * else reads and loads the folder.
 */
bool
load_dir_for_run(PGconn *conn)
{
	int			recorded;

	if (!exec_sql(conn, "BEGIN", 0, NULL))
		return false;
	if (!take_lock(conn) || (recorded = folder_recorded(conn)) < 0)
	{
		PQclear(PQexec(conn, "ROLLBACK"));
		return false;
	}
	if (!exec_sql(conn, "COMMIT", 0, NULL))
		return false;
	if (recorded)
	{
		progress("Folder %s unchanged since it was last loaded: not read again", opts.dir);
		return true;
	}
	/* the load takes the lock itself */
	if (!exec_sql(conn, "SELECT pgmig.unlock()", 0, NULL))
		return false;
	return load_dir_as_run(conn);
}

/*
 * Has the database recorded the folder as it is now: its fingerprint, with
 * pgmig.revision unchanged since (pgmig.folder_unchanged)?  1 yes; 0 no,
 * or cannot tell (a file changed too recently, a role without EXECUTE on
 * folder_unchanged, a pgmig older than 0.4: the folder is then read); -1
 * when the query failed.
 */
int
folder_recorded(PGconn *conn)
{
	char	   *fp;
	const char *params[1];
	PGresult   *res;
	int			recorded;

	/*
	 * Asked first, in a query of its own: a call the role may not make
	 * fails when the query starts, whatever CASE would have chosen.
	 */
	res = run_sql(conn, "SELECT COALESCE(pg_catalog.has_function_privilege("
				  "    pg_catalog.to_regprocedure('pgmig.folder_unchanged(text)'), 'EXECUTE'), false)",
				  0, NULL);
	if (res == NULL)
		return -1;
	recorded = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!recorded || (fp = current_fingerprint(opts.dir)) == NULL)
		return 0;
	params[0] = fp;
	res = run_sql(conn, "SELECT pgmig.folder_unchanged($1)", 1, params);
	pm_free(fp);
	if (res == NULL)
		return -1;
	recorded = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return recorded;
}
