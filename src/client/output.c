/*-------------------------------------------------------------------------
 *
 * output.c
 *	  pgmig client: query results as psql prints them (aligned tables and
 *	  expanded records), or as CSV for scripts (--csv).
 *
 * Keeping psql's look means a DBA reads pgmig's output like any other
 * query result; CSV is the stable format for scripts.
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

/* Display width of UTF-8 text: code points, not bytes. */
static int
text_width(const char *s, size_t n)
{
	int			w = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* Numbers are right-aligned, as psql does (by type OID). */
static bool
numeric_type(Oid t)
{
	return t == 20 || t == 21 || t == 23 || t == 26 || t == 700 ||
		t == 701 || t == 1700;
}

/* i-th line of s (lines split at \n); returns its length, or -1 if none */
static int
nth_line(const char *s, int i, const char **start)
{
	const char *p = s;

	while (i > 0)
	{
		p = strchr(p, '\n');
		if (p == NULL)
			return -1;
		p++;
		i--;
	}
	*start = p;
	{
		const char *e = strchr(p, '\n');

		return e ? (int) (e - p) : (int) strlen(p);
	}
}

static int
count_lines(const char *s)
{
	int			n = 1;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
pad(int n)
{
	while (n-- > 0)
		putchar(' ');
}

static void
csv_field(const char *s, bool isnull)
{
	if (isnull)
		return;
	if (strpbrk(s, ",\"\n\r") == NULL && s[0] != '\0')
	{
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++)
	{
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void
print_csv(const PGresult *res)
{
	int			nf = PQnfields(res);
	int			nr = PQntuples(res);
	int			r,
				c;

	for (c = 0; c < nf; c++)
	{
		if (c)
			putchar(',');
		csv_field(PQfname(res, c), false);
	}
	putchar('\n');
	for (r = 0; r < nr; r++)
	{
		for (c = 0; c < nf; c++)
		{
			if (c)
				putchar(',');
			csv_field(PQgetvalue(res, r, c), PQgetisnull(res, r, c));
		}
		putchar('\n');
	}
}

void
print_table(const PGresult *res, const char *title)
{
	int			nf = PQnfields(res);
	int			nr = PQntuples(res);
	int		   *width;
	int			r,
				c;

	if (opts.format == FMT_CSV)
	{
		print_csv(res);
		return;
	}
	width = calloc(nf ? nf : 1, sizeof(int));
	for (c = 0; c < nf; c++)
	{
		width[c] = text_width(PQfname(res, c), strlen(PQfname(res, c)));
		for (r = 0; r < nr; r++)
		{
			const char *v = PQgetvalue(res, r, c);
			int			nl = count_lines(v);
			int			i;

			for (i = 0; i < nl; i++)
			{
				const char *ls;
				int			ll = nth_line(v, i, &ls);
				int			w = text_width(ls, ll);

				if (w > width[c])
					width[c] = w;
			}
		}
	}

	if (title)
		printf("%s\n", title);

	/* header, centered like psql's */
	for (c = 0; c < nf; c++)
	{
		const char *h = PQfname(res, c);
		int			w = text_width(h, strlen(h));
		int			left = (width[c] - w) / 2;

		if (c)
			putchar('|');
		putchar(' ');
		pad(left);
		fputs(h, stdout);
		if (c < nf - 1)
			pad(width[c] - w - left + 1);
	}
	putchar('\n');
	for (c = 0; c < nf; c++)
	{
		int			i;

		if (c)
			putchar('+');
		for (i = 0; i < width[c] + 2; i++)
			putchar('-');
	}
	putchar('\n');

	for (r = 0; r < nr; r++)
	{
		int			height = 1;
		int			line;

		for (c = 0; c < nf; c++)
		{
			int			nl = count_lines(PQgetvalue(res, r, c));

			if (nl > height)
				height = nl;
		}
		for (line = 0; line < height; line++)
		{
			for (c = 0; c < nf; c++)
			{
				const char *v = PQgetvalue(res, r, c);
				const char *ls = "";
				int			ll = nth_line(v, line, &ls);
				bool		more = ll >= 0 && line + 1 < count_lines(v);
				int			w;

				if (ll < 0)
				{
					ls = "";
					ll = 0;
				}
				w = text_width(ls, ll);
				if (c)
					putchar('|');
				putchar(' ');
				if (numeric_type(PQftype(res, c)))
				{
					pad(width[c] - w);
					fwrite(ls, 1, ll, stdout);
				}
				else
				{
					fwrite(ls, 1, ll, stdout);
					if (c < nf - 1 || more)
						pad(width[c] - w);
				}
				/* psql's wrap marker: '+' when the value goes on */
				if (more)
					putchar('+');
				else if (c < nf - 1)
					putchar(' ');
			}
			putchar('\n');
		}
	}
	printf("(%d %s)\n", nr, nr == 1 ? "row" : "rows");
	free(width);
}

void
print_expanded(const PGresult *res)
{
	int			nf = PQnfields(res);
	int			nr = PQntuples(res);
	int			namew = 0;
	int			valw = 0;
	int			r,
				c;

	if (opts.format == FMT_CSV)
	{
		print_csv(res);
		return;
	}
	for (c = 0; c < nf; c++)
	{
		int			w = text_width(PQfname(res, c), strlen(PQfname(res, c)));

		if (w > namew)
			namew = w;
		for (r = 0; r < nr; r++)
		{
			const char *v = PQgetvalue(res, r, c);
			int			nl = count_lines(v);
			int			i;

			for (i = 0; i < nl; i++)
			{
				const char *ls;
				int			ll = nth_line(v, i, &ls);

				if (text_width(ls, ll) > valw)
					valw = text_width(ls, ll);
			}
		}
	}
	for (r = 0; r < nr; r++)
	{
		char		hdr[64];
		int			hl,
					i;

		hl = snprintf(hdr, sizeof(hdr), "-[ RECORD %d ]", r + 1);
		fputs(hdr, stdout);
		for (i = hl; i < namew + 1; i++)
			putchar('-');
		putchar('+');
		for (i = 0; i < valw + 1; i++)
			putchar('-');
		putchar('\n');
		for (c = 0; c < nf; c++)
		{
			const char *name = PQfname(res, c);
			const char *v = PQgetvalue(res, r, c);
			int			nl = count_lines(v);

			for (i = 0; i < nl; i++)
			{
				const char *ls;
				int			ll = nth_line(v, i, &ls);

				if (i == 0)
				{
					fputs(name, stdout);
					pad(namew - text_width(name, strlen(name)));
				}
				else
					pad(namew);
				fputs(" | ", stdout);
				fwrite(ls, 1, ll, stdout);
				if (i + 1 < nl)
				{
					pad(valw - text_width(ls, ll));
					putchar('+');
				}
				putchar('\n');
			}
		}
	}
	if (nr == 0)
		printf("(0 rows)\n");
}
