/*
 * test_schemadiff.c: unit tests of the schema diff engine (schemadiff.c).
 *
 * Fixture pairs per object kind (test/unit/fixtures/schemadiff/NAME.
 * {source,target}.json, real snapshots made by generate.sh there) are
 * diffed both ways: the statements must match NAME.up.sql and NAME.down.sql
 * (the same cases are applied end to end on a server by
 * test/sql/35_diff.sql), diff(target, source) must be the downgrade of
 * diff(source, target), and diff(x, x) must be empty.  Then ordering,
 * renames, hostile names, and refusals.  PGMIG_REGEN=1 writes the
 * expected files instead of comparing.
 */
#include "schemadiff.h"
#include "unit.h"

#include <stdlib.h>

#define FIX "test/unit/fixtures/schemadiff/"

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	*len = fread(buf, 1, n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* the steps as a script: "statement;" lines, hazards as comments */
static char *
script(const pm_diff_step *s, int n)
{
	pm_buf		b;
	int			i;

	pm_buf_init(&b);
	for (i = 0; i < n; i++)
	{
		if (s[i].hazard)
			pm_buf_printf(&b, "-- WARNING: %s\n", s[i].hazard);
		pm_buf_printf(&b, "%s;\n", s[i].sql);
	}
	return b.data;
}

static int
index_of(const pm_diff *d, const char *needle)
{
	int			i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->steps[i].sql, needle))
			return i;
	return -1;
}

static bool
diff(const char *s, const char *t, const char *ren, pm_diff *d, pm_error *err)
{
	return pm_schema_diff(s, strlen(s), t, strlen(t), ren, ren ? strlen(ren) : 0, d, err);
}

static void
check_file(const char *got, const char *path, const char *what)
{
	size_t		n;
	char	   *want;

	if (getenv("PGMIG_REGEN"))
	{
		FILE	   *f = fopen(path, "wb");

		fputs(got, f);
		fclose(f);
	}
	want = slurp(path, &n);
	CHECK_STR(got, want ? want : "(missing file)", what);
	free(want);
}

static void
fixture_pair(const char *name, const char *renames, const char *inverse)
{
	char		p[256];
	size_t		ns,
				nt;
	char	   *s,
			   *t,
			   *up,
			   *down,
			   *back;
	pm_diff		d,
				r,
				same;
	pm_error	err;
	char		what[300];

	snprintf(p, sizeof(p), FIX "%s.source.json", name);
	s = slurp(p, &ns);
	snprintf(p, sizeof(p), FIX "%s.target.json", name);
	t = slurp(p, &nt);
	if (s == NULL || t == NULL)
	{
		CHECK(false, "%s: fixture files present", name);
		return;
	}
	snprintf(what, sizeof(what), "%s: diff(source, target) succeeds", name);
	CHECK(diff(s, t, renames, &d, &err), "%s", what);
	if (err.code != PM_OK)
		printf("#   %s\n", err.msg);
	up = script(d.steps, d.n);
	down = script(d.rev, d.nrev);
	snprintf(p, sizeof(p), FIX "%s.up.sql", name);
	snprintf(what, sizeof(what), "%s: upgrade statements", name);
	check_file(up, p, what);
	snprintf(p, sizeof(p), FIX "%s.down.sql", name);
	snprintf(what, sizeof(what), "%s: downgrade statements", name);
	check_file(down, p, what);
	CHECK(d.n > 0 && d.nrev > 0, "%s: both directions have steps", name);

	/* the other way round gives the same downgrade */
	CHECK(diff(t, s, inverse, &r, &err), "%s: diff(target, source) succeeds", name);
	back = script(r.steps, r.n);
	snprintf(what, sizeof(what), "%s: diff(target, source) is the downgrade", name);
	CHECK_STR(back, down, what);
	pm_diff_free(&r);

	/* nothing to do between equal snapshots */
	CHECK(diff(s, s, NULL, &same, &err) && same.n == 0 && same.nrev == 0, "%s: diff(source, source) is empty", name);
	pm_diff_free(&same);
	CHECK(diff(t, t, NULL, &same, &err) && same.n == 0 && same.nrev == 0, "%s: diff(target, target) is empty", name);
	pm_diff_free(&same);
	free(up);
	free(down);
	free(back);
	pm_diff_free(&d);
	free(s);
	free(t);
}

static const char *
errmsg_of(const char *s, const char *t, const char *ren, pm_errcode *code)
{
	static char out[600];
	pm_diff		d;
	pm_error	err;

	if (diff(s, t, ren, &d, &err))
	{
		pm_diff_free(&d);
		*code = PM_OK;
		return "ok";
	}
	*code = err.code;
	snprintf(out, sizeof(out), "%s", err.msg);
	return out;
}

#define EMPTY "{\"format\": 1, \"objects\": []}"

int
main(void)
{
	static const char *const kinds[] = {
		"table", "constraint", "index", "sequence", "enum", "type", "view",
		"function", "partition", "security", "hostile", "drops", "extension", NULL
	};
	int			i;
	size_t		n1,
				n2;
	char	   *s,
			   *t;
	pm_diff		d;
	pm_error	err;
	pm_errcode	code;

	for (i = 0; kinds[i]; i++)
		fixture_pair(kinds[i], NULL, NULL);
	fixture_pair("rename", "{\"column d.t.old_name\": \"new_name\", \"table d.oldtab\": \"newtab\"}",
				 "{\"column d.t.new_name\": \"old_name\", \"table d.newtab\": \"oldtab\"}");

	/* ordering: FK after both tables; drops in reverse */
	s = slurp(FIX "constraint.source.json", &n1);
	t = slurp(FIX "constraint.target.json", &n2);
	if (diff(s, t, NULL, &d, &err))
	{
		int			fk = index_of(&d, "c_b_id_fkey FOREIGN KEY");

		CHECK(fk > index_of(&d, "CREATE TABLE d.c") && fk > index_of(&d, "b_id_key UNIQUE"),
			  "FK after its table and the referenced unique constraint");
		CHECK(index_of(&d, "DROP CONSTRAINT b_a_id_fkey") < index_of(&d, "ADD CONSTRAINT b_a_id_fkey"),
			  "a changed FK is dropped before it is added");
		pm_diff_free(&d);
	}
	free(s);
	free(t);

	/* a view over a retyped column: dropped before, created after */
	s = slurp(FIX "view.source.json", &n1);
	t = slurp(FIX "view.target.json", &n2);
	if (diff(s, t, NULL, &d, &err))
	{
		int			alter = index_of(&d, "ALTER COLUMN v TYPE bigint");

		CHECK(index_of(&d, "DROP VIEW d.v1") < alter && index_of(&d, "DROP VIEW d.v2") < index_of(&d, "DROP VIEW d.v1"),
			  "dependent views dropped, outermost first, before the ALTER TYPE");
		CHECK(index_of(&d, "CREATE VIEW d.v1") > alter && index_of(&d, "CREATE VIEW d.v2") > index_of(&d, "CREATE VIEW d.v1"),
			  "views recreated after it, innermost first");
		pm_diff_free(&d);
	}
	free(s);
	free(t);

	/* drops: view, then the referencing table, then the referenced one */
	s = slurp(FIX "drops.source.json", &n1);
	t = slurp(FIX "drops.target.json", &n2);
	if (diff(s, t, NULL, &d, &err))
	{
		CHECK(d.n == 3 && index_of(&d, "DROP VIEW d.v") == 0 && index_of(&d, "DROP TABLE d.b") == 1 &&
			  index_of(&d, "DROP TABLE d.a") == 2, "drops in reverse dependency order, the table's own objects go with it");
		CHECK(d.steps[1].count_sql && strcmp(d.steps[1].count_sql, "SELECT count(*) FROM d.b") == 0,
			  "a table drop carries the query that counts what it deletes");
		pm_diff_step_counted(&d.steps[1], 1, NULL);
		CHECK_STR(d.steps[1].hazard, "deletes data: the table and all its rows are dropped: 1 row is lost",
				  "a counted table drop says how many rows it loses");
		pm_diff_step_counted(&d.steps[2], -1, "permission denied for table a");
		CHECK_STR(d.steps[2].hazard, "deletes data: the table and all its rows are dropped (not counted: permission denied for table a)",
				  "a count that failed says why");
		pm_diff_step_counted(&d.steps[0], 5, NULL);
		CHECK(d.steps[0].hazard == NULL, "a step without a count query is left alone");
		CHECK(d.steps[1].reverse && strstr(d.steps[1].reverse, "CREATE TABLE d.b") &&
			  strstr(d.steps[1].reverse, "CREATE INDEX b_a") && strstr(d.steps[1].reverse, "FOREIGN KEY"),
			  "a table drop's reverse brings back its indexes and constraints");
		pm_diff_free(&d);
	}
	free(s);
	free(t);

	/* renames never guessed; suggestion and hazard on the drop */
	s = slurp(FIX "rename.source.json", &n1);
	t = slurp(FIX "rename.target.json", &n2);
	if (diff(s, t, NULL, &d, &err))
	{
		int			k = index_of(&d, "DROP COLUMN old_name");

		CHECK(k >= 0 && strstr(d.steps[k].sql, "-- suggestion: ALTER TABLE d.t RENAME COLUMN old_name TO new_name\n") == d.steps[k].sql,
			  "without a map: DROP COLUMN with a commented RENAME suggestion");
		CHECK(k >= 0 && d.steps[k].hazard && strncmp(d.steps[k].hazard, "deletes data", 12) == 0,
			  "and a data-loss hazard");
		CHECK(k >= 0 && d.steps[k].count_sql && strcmp(d.steps[k].count_sql, "SELECT count(old_name) FROM d.t") == 0,
			  "and the hook that counts the values lost");
		if (k >= 0)
		{
			pm_diff_step_counted(&d.steps[k], 1234567, NULL);
			CHECK_STR(d.steps[k].hazard,
					  "deletes data: the column and its values are dropped (if it was renamed, pass the rename map to keep them): 1,234,567 non-NULL values are lost",
					  "a counted column drop says how many non-NULL values it loses");
		}
		CHECK(index_of(&d, "RENAME COLUMN old_name TO new_name;") < 0 && index_of(&d, "DROP TABLE d.oldtab") >= 0,
			  "no RENAME is run without the map");
		pm_diff_free(&d);
	}
	CHECK_STR(errmsg_of(s, t, "{\"index d.t_old_name\": \"x\"}", &code),
			  "rename map: cannot rename \"index d.t_old_name\"", "only tables and columns are renamed");
	CHECK_STR(errmsg_of(s, t, "{\"column d.t.old_name\": \"nope\"}", &code),
			  "rename map: \"column d.t.old_name\" is renamed to \"nope\", but the target snapshot has no such object",
			  "a rename to a name the target lacks is refused");
	CHECK_STR(errmsg_of(s, t, "[1]", &code), "rename map must be a JSON object", "rename map type");
	CHECK_STR(errmsg_of(s, t, "{\"column d.t.old_name\": 3}", &code),
			  "rename map: the new name of \"column d.t.old_name\" must be a non-empty string", "rename value type");
	free(s);
	free(t);

	/* hostile names: every identifier and literal quoted */
	s = slurp(FIX "hostile.source.json", &n1);
	t = slurp(FIX "hostile.target.json", &n2);
	if (diff(s, t, NULL, &d, &err))
	{
		CHECK(index_of(&d, "CREATE TABLE d.\"x\"\"; DROP TABLE d.t; --\" (\n\t\"col'; --\" integer DEFAULT 1\n)") >= 0,
			  "a table and column name with quotes and semicolons stay one identifier");
		CHECK(index_of(&d, "CREATE TYPE d.\"E\" AS ENUM ('it''s', E'back\\\\slash', '\"; DROP SCHEMA d; --')") >= 0,
			  "enum labels are literals (quote doubled, backslash escaped)");
		CHECK(index_of(&d, "COMMENT ON TABLE d.t IS E'it''s a \\\\ test''; DROP TABLE d.t; --'") >= 0,
			  "a comment is one literal");
		CHECK(index_of(&d, "ADD COLUMN \"select\" d.\"E\"") >= 0, "a reserved word is quoted");
		pm_diff_free(&d);
	}
	free(s);
	free(t);

	/*
	 * new columns are added in the target's column order (ordinal), not in
	 * the order of their names; the downgrade re-adds dropped ones likewise
	 */
#define COL(c, ord) "{\"id\": \"column d.t." c "\", \"deps\": [\"schema d\", \"table d.t\"], \"kind\": \"column\", \"name\": \"" c "\", \"type\": \"integer\", \"table\": \"d.t\", \"schema\": \"d\", \"default\": null, \"ordinal\": " #ord ", \"identity\": \"\", \"not_null\": false, \"collation\": null, \"generated\": \"\", \"inherited\": false}"
#define TBL "{\"id\": \"schema d\", \"deps\": [], \"kind\": \"schema\", \"name\": \"d\", \"schema\": \"d\"}, {\"id\": \"table d.t\", \"deps\": [\"schema d\"], \"kind\": \"table\", \"name\": \"t\", \"schema\": \"d\", \"rls\": false, \"options\": null, \"inherits\": [], \"rls_force\": false, \"persistence\": \"p\", \"partition_of\": null, \"partition_key\": null, \"partition_bound\": null}"
	s = "{\"format\": 1, \"objects\": [" COL("id", 1) ", " TBL "]}";
	t = "{\"format\": 1, \"objects\": [" COL("id", 1) ", " COL("mid", 3) ", " COL("yy", 4) ", " COL("zz", 2) ", " TBL "]}";
	if (diff(s, t, NULL, &d, &err))
	{
		int			zz = index_of(&d, "ADD COLUMN zz"),
					mid = index_of(&d, "ADD COLUMN mid"),
					yy = index_of(&d, "ADD COLUMN yy");

		CHECK(d.n == 3 && zz == 0 && mid == 1 && yy == 2,
			  "ADD COLUMNs follow the target's column order (zz, mid, yy), not the names' order");
		CHECK(d.nrev == 3, "the downgrade drops the three");
		pm_diff_free(&d);
	}
	else
		CHECK(false, "column order diff: %s", err.msg);
	if (diff(t, s, NULL, &d, &err))
	{
		CHECK(d.nrev == 3 && strstr(d.rev[0].sql, "ADD COLUMN zz") && strstr(d.rev[1].sql, "ADD COLUMN mid") &&
			  strstr(d.rev[2].sql, "ADD COLUMN yy"), "the downgrade of a drop re-adds the columns in their old order");
		pm_diff_free(&d);
	}
	else
		CHECK(false, "column order diff back: %s", err.msg);
#undef COL
#undef TBL

	/* refusals */
	CHECK_STR(errmsg_of(EMPTY, "{\"format\": 1, \"objects\": [{\"id\": \"unsupported rule d.t.r\", \"kind\": \"unsupported\", \"what\": \"rule d.t.r\", \"schema\": \"d\", \"name\": \"r\"}]}", NULL, &code),
			  "not compared: rule d.t.r (target)", "an unsupported object fails the diff");
	CHECK(code == PM_ERR_UNSUPPORTED, "with PM_ERR_UNSUPPORTED");
	CHECK_STR(errmsg_of("{\"format\": 1, \"objects\": [{\"id\": \"gadget d.g\", \"kind\": \"gadget\", \"schema\": \"d\", \"name\": \"g\"}]}", EMPTY, NULL, &code),
			  "not compared: gadget gadget d.g (source)", "an unknown kind fails the diff, never equal");
	CHECK_STR(errmsg_of("{\"format\": 1, \"objects\": [{\"id\": \"function d.agg(integer)\", \"kind\": \"function\", \"prokind\": \"a\", \"schema\": \"d\", \"name\": \"agg\"}]}",
						"{\"format\": 1, \"objects\": [{\"id\": \"function d.agg(integer)\", \"kind\": \"function\", \"prokind\": \"a\", \"schema\": \"d\", \"name\": \"agg\"}]}", NULL, &code),
			  "not compared: function function d.agg(integer) (source); not compared: function function d.agg(integer) (target)",
			  "an aggregate is not compared even when equal on both sides");
	CHECK_STR(errmsg_of("{\"objects\": []}", EMPTY, NULL, &code), "source is not a schema snapshot of format 1", "format required");
	CHECK_STR(errmsg_of(EMPTY, "[", NULL, &code), "target snapshot: invalid JSON at offset 1: unexpected end of input, expected a value",
			  "malformed JSON names the side and the offset");
	CHECK_STR(errmsg_of("{\"format\": 1, \"objects\": [{\"id\": \"schema d\", \"kind\": \"schema\", \"name\": \"d\"}, {\"id\": \"schema d\", \"kind\": \"schema\", \"name\": \"d\"}]}", EMPTY, NULL, &code),
			  "source snapshot: duplicate object id schema d", "duplicate ids refused");
	CHECK_STR(errmsg_of(EMPTY, "{\"format\": 1, \"objects\": [{\"id\": \"column d.t.c\", \"kind\": \"column\", \"schema\": \"d\", \"name\": \"c\", \"table\": \"d.t\", \"type\": \"integer\"}]}", NULL, &code),
			  "target snapshot: column d.t.c refers to the relation it is on, which is not in the snapshot",
			  "a dangling reference is refused");
	UNIT_DONE();
}
