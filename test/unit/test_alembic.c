/*
 * test_alembic.c: unit tests of the Alembic offline-output reader
 * (alembic.c).  The fixtures are real "alembic upgrade --sql base:heads"
 * and "alembic downgrade --sql heads:base" output (Alembic 1.8) for a
 * history with a branch, a merge and an autocommit block.
 */
#include "alembic.h"
#include "unit.h"

#include <stdbool.h>

static const char *UP =
	"BEGIN;\n"
	"\n"
	"CREATE TABLE alembic_version (\n"
	"    version_num VARCHAR(32) NOT NULL, \n"
	"    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
	");\n"
	"\n"
	"-- Running upgrade  -> a1b2c3d4e5f6\n"
	"\n"
	"CREATE TABLE segment (\n"
	"    id SERIAL NOT NULL, \n"
	"    timestamp VARCHAR, \n"
	"    text TEXT, \n"
	"    PRIMARY KEY (id)\n"
	");\n"
	"\n"
	"INSERT INTO segment (timestamp, text) VALUES ('2020-01-01 00:00:01', 'it''s; a test');\n"
	"\n"
	"INSERT INTO alembic_version (version_num) VALUES ('a1b2c3d4e5f6') RETURNING alembic_version.version_num;\n"
	"\n"
	"-- Running upgrade a1b2c3d4e5f6 -> c3d4e5f6a7b8\n"
	"\n"
	"CREATE FUNCTION seg_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n"
	"\n"
	"CREATE INDEX ix_segment_ts ON segment (timestamp);\n"
	"\n"
	"UPDATE alembic_version SET version_num='c3d4e5f6a7b8' WHERE alembic_version.version_num = 'a1b2c3d4e5f6';\n"
	"\n"
	"-- Running upgrade a1b2c3d4e5f6 -> b2c3d4e5f6a7\n"
	"\n"
	"ALTER TABLE segment ADD COLUMN audio_start_ms INTEGER;\n"
	"\n"
	"ALTER TABLE segment ADD COLUMN word_timestamps JSON;\n"
	"\n"
	"INSERT INTO alembic_version (version_num) VALUES ('b2c3d4e5f6a7') RETURNING alembic_version.version_num;\n"
	"\n"
	"-- Running upgrade b2c3d4e5f6a7, c3d4e5f6a7b8 -> d4e5f6a7b8c9\n"
	"\n"
	"DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2c3d4e5f6a7';\n"
	"\n"
	"UPDATE alembic_version SET version_num='d4e5f6a7b8c9' WHERE alembic_version.version_num = 'c3d4e5f6a7b8';\n"
	"\n"
	"-- Running upgrade d4e5f6a7b8c9 -> e5f6a7b8c9d0\n"
	"\n"
	"COMMIT;\n"
	"\n"
	"CREATE INDEX CONCURRENTLY ix_seg_audio ON segment (audio_start_ms);\n"
	"\n"
	"BEGIN;\n"
	"\n"
	"UPDATE alembic_version SET version_num='e5f6a7b8c9d0' WHERE alembic_version.version_num = 'd4e5f6a7b8c9';\n"
	"\n"
	"COMMIT;\n"
	"\n"
	"\n";

static const char *DOWN =
	"BEGIN;\n"
	"\n"
	"-- Running downgrade e5f6a7b8c9d0 -> d4e5f6a7b8c9\n"
	"\n"
	"COMMIT;\n"
	"\n"
	"DROP INDEX CONCURRENTLY ix_seg_audio;\n"
	"\n"
	"BEGIN;\n"
	"\n"
	"UPDATE alembic_version SET version_num='d4e5f6a7b8c9' WHERE alembic_version.version_num = 'e5f6a7b8c9d0';\n"
	"\n"
	"-- Running downgrade d4e5f6a7b8c9 -> b2c3d4e5f6a7, c3d4e5f6a7b8\n"
	"\n"
	"INSERT INTO alembic_version (version_num) VALUES ('b2c3d4e5f6a7') RETURNING alembic_version.version_num;\n"
	"\n"
	"UPDATE alembic_version SET version_num='c3d4e5f6a7b8' WHERE alembic_version.version_num = 'd4e5f6a7b8c9';\n"
	"\n"
	"-- Running downgrade b2c3d4e5f6a7 -> a1b2c3d4e5f6\n"
	"\n"
	"ALTER TABLE segment DROP COLUMN word_timestamps;\n"
	"\n"
	"ALTER TABLE segment DROP COLUMN audio_start_ms;\n"
	"\n"
	"DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2c3d4e5f6a7';\n"
	"\n"
	"-- Running downgrade c3d4e5f6a7b8 -> a1b2c3d4e5f6\n"
	"\n"
	"DROP INDEX ix_segment_ts;\n"
	"\n"
	"DROP FUNCTION seg_f();\n"
	"\n"
	"UPDATE alembic_version SET version_num='a1b2c3d4e5f6' WHERE alembic_version.version_num = 'c3d4e5f6a7b8';\n"
	"\n"
	"-- Running downgrade a1b2c3d4e5f6 -> \n"
	"\n"
	"DROP TABLE segment;\n"
	"\n"
	"DELETE FROM alembic_version WHERE alembic_version.version_num = 'a1b2c3d4e5f6';\n"
	"\n"
	"DROP TABLE alembic_version;\n"
	"\n"
	"COMMIT;\n"
	"\n"
	"\n";

static const pm_alembic_rev *
rev(const pm_alembic *a, const char *id)
{
	int			k = pm_alembic_find(a, id);

	return k >= 0 ? &a->revs[k] : NULL;
}

static const char *
err_of(const char *up, const char *down)
{
	static char out[700];
	pm_alembic	a;
	pm_error	err;
	bool		ok;

	pm_alembic_init(&a);
	ok = pm_alembic_parse_upgrade(&a, up, strlen(up), NULL, &err);
	if (ok && down)
		ok = pm_alembic_parse_downgrade(&a, down, strlen(down), NULL, &err);
	if (ok)
		snprintf(out, sizeof(out), "ok");
	else
		snprintf(out, sizeof(out), "line %d: %s", err.line, err.msg);
	pm_alembic_free(&a);
	return out;
}

int
main(void)
{
	pm_alembic	a;
	pm_error	err;
	const pm_alembic_rev *r;
	bool		ok;

	pm_alembic_init(&a);
	ok = pm_alembic_parse_upgrade(&a, UP, strlen(UP), NULL, &err);
	CHECK(ok, "real upgrade output parses");
	ok = pm_alembic_parse_downgrade(&a, DOWN, strlen(DOWN), NULL, &err);
	CHECK(ok, "real downgrade output parses");
	CHECK(a.n == 5, "five revisions (got %d)", a.n);
	CHECK(a.nignored == 0, "nothing outside the blocks but bookkeeping");
	CHECK_STR(a.n > 0 ? a.revs[0].id : NULL, "a1b2c3d4e5f6", "Alembic's order kept");

	r = rev(&a, "a1b2c3d4e5f6");
	CHECK(r && r->down_revision.n == 0, "root has no parent");
	CHECK_STR(r ? r->upgrade : NULL,
			  "CREATE TABLE segment (\n    id SERIAL NOT NULL, \n    timestamp VARCHAR, \n    text TEXT, \n    PRIMARY KEY (id)\n);\n\n"
			  "INSERT INTO segment (timestamp, text) VALUES ('2020-01-01 00:00:01', 'it''s; a test');",
			  "root upgrade: CREATE TABLE alembic_version, INSERT INTO alembic_version, BEGIN stripped");
	CHECK_STR(r ? r->downgrade : NULL, "DROP TABLE segment;", "root downgrade: DROP TABLE alembic_version stripped");
	CHECK(r && r->transactional, "root is transactional");
	CHECK_STR(r ? r->message : NULL, "", "no message in Alembic's output");

	r = rev(&a, "c3d4e5f6a7b8");
	CHECK(r && r->down_revision.n == 1 && strcmp(r->down_revision.items[0], "a1b2c3d4e5f6") == 0,
		  "branch revision's parent");
	CHECK_STR(r ? r->upgrade : NULL,
			  "CREATE FUNCTION seg_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n\n"
			  "CREATE INDEX ix_segment_ts ON segment (timestamp);",
			  "dollar-quoted function kept whole; UPDATE alembic_version stripped");

	r = rev(&a, "d4e5f6a7b8c9");
	CHECK(r && r->down_revision.n == 2 &&
		  strcmp(r->down_revision.items[0], "b2c3d4e5f6a7") == 0 &&
		  strcmp(r->down_revision.items[1], "c3d4e5f6a7b8") == 0, "merge has both parents");
	CHECK_STR(r ? r->upgrade : NULL, "", "merge upgrade is empty");
	CHECK_STR(r ? r->downgrade : NULL, "", "merge downgrade is empty but present");

	r = rev(&a, "e5f6a7b8c9d0");
	CHECK(r && !r->transactional, "autocommit block makes the revision non-transactional");
	CHECK_STR(r ? r->upgrade : NULL, "CREATE INDEX CONCURRENTLY ix_seg_audio ON segment (audio_start_ms);",
			  "autocommit block: COMMIT/BEGIN stripped");
	CHECK_STR(r ? r->downgrade : NULL, "DROP INDEX CONCURRENTLY ix_seg_audio;", "its downgrade");
	r = rev(&a, "b2c3d4e5f6a7");
	CHECK(r && r->transactional, "transaction boundaries do not leak into other revisions");
	pm_alembic_free(&a);

	/* header variants */
	pm_alembic_init(&a);
	{
		const char *s =
			"BEGIN;\n-- Running upgrade  -> r1, Create segment table\n"
			"CREATE TABLE t (a int);\nINSERT INTO public.alembic_version (version_num) VALUES ('r1');\n"
			"-- Running upgrade r1 -> r2\n"
			"UPDATE \"alembic_version\" SET version_num='r2' WHERE version_num = 'r1';\n"
			"-- Running upgrade r1,r2 -> r3, Merge, with commas -> and arrows\n"
			"SELECT '-- Running upgrade x -> y';\n"
			"UPDATE alembic_version SET version_num='r3' WHERE version_num = 'r2';\nCOMMIT;\n";

		ok = pm_alembic_parse_upgrade(&a, s, strlen(s), NULL, &err);
		CHECK(ok && a.n == 3, "synthetic upgrade parses");
		r = rev(&a, "r1");
		CHECK_STR(r ? r->message : NULL, "Create segment table", "message after the id");
		CHECK_STR(r ? r->upgrade : NULL, "CREATE TABLE t (a int);", "schema-qualified version table stripped");
		r = rev(&a, "r2");
		CHECK_STR(r ? r->upgrade : NULL, "", "quoted version table stripped; empty block");
		CHECK(r && r->line == 5, "header line recorded (got %d)", r ? r->line : -1);
		r = rev(&a, "r3");
		CHECK_STR(r ? r->message : NULL, "Merge, with commas -> and arrows", "message with commas and arrows");
		CHECK_STR(r ? r->upgrade : NULL, "SELECT '-- Running upgrade x -> y';", "header text inside a string is no header");
		CHECK(r && r->downgrade == NULL, "no downgrade output: downgrade NULL");
	}
	pm_alembic_free(&a);

	pm_alembic_init(&a);
	{
		const char *s = "CREATE TABLE myver (v text);\n-- Running upgrade  -> r1\nSELECT 1;\nINSERT INTO myver VALUES ('r1');\nCOMMIT;\n";

		ok = pm_alembic_parse_upgrade(&a, s, strlen(s), "myver", &err);
		CHECK(ok && a.n == 1 && strcmp(a.revs[0].upgrade, "SELECT 1;") == 0, "custom version table name");
	}
	pm_alembic_free(&a);

	pm_alembic_init(&a);
	{
		const char *s = "SET search_path = app;\n-- Running upgrade  -> r1\nSELECT 1;\nINSERT INTO alembic_version VALUES ('r1');\nCOMMIT;\n";

		ok = pm_alembic_parse_upgrade(&a, s, strlen(s), NULL, &err);
		CHECK(ok && a.nignored == 1 && a.ignored_line == 1, "statements before the first block are counted, not kept");
	}
	pm_alembic_free(&a);

	CHECK_STR(err_of("-- Running upgrade  -> r1\nSELECT 1;\n-- Running upgrade r1 -> r1\n", NULL),
			  "line 3: revision r1 appears twice in the upgrade output", "duplicate revision");
	CHECK_STR(err_of("-- Running downgrade r1 -> \nSELECT 1;\n", NULL),
			  "line 1: downgrade header in upgrade output", "downgrade output given as upgrade");
	CHECK_STR(err_of("-- Running upgrade  -> r1\nINSERT INTO alembic_version VALUES ('r1');\nCOMMIT;\n", "-- Running downgrade r9 -> r1\n"),
			  "line 1: downgrade of revision r9, which is not in the upgrade output", "unknown revision in downgrade");
	CHECK_STR(err_of("\n-- Running upgrade  -> bad-id\n", NULL),
			  "line 2: invalid revision id \"bad-id\" in Alembic header", "invalid id");
	CHECK_STR(err_of("-- Running upgrade a, -> r1\n", NULL),
			  "line 1: invalid revision id \"\" in Alembic header", "trailing comma");
	CHECK_STR(err_of("-- Running upgrade  -> r1\nSELECT 'x;\n", NULL),
			  "line 2: unterminated quoted string", "unterminated string");
	CHECK_STR(err_of("-- Running upgrade is great\nSELECT 1;\n", NULL), "ok", "a lookalike comment without an arrow is ignored");

	/* issue 12 item 8: the downgrade order is the reverse of the upgrade's */
	{
		const char *up3 = "BEGIN;\n-- Running upgrade  -> r1\n-- Running upgrade r1 -> r2\n-- Running upgrade r1 -> r3\n"
			"UPDATE alembic_version SET version_num='r3';\nCOMMIT;\n";
		const char *rev3 = "BEGIN;\n-- Running downgrade r3 -> r1\n-- Running downgrade r2 -> r1\n-- Running downgrade r1 -> \n"
			"DELETE FROM alembic_version;\nCOMMIT;\n";
		const char *mis3 = "BEGIN;\n-- Running downgrade r2 -> r1\n-- Running downgrade r3 -> r1\n-- Running downgrade r1 -> \n"
			"DELETE FROM alembic_version;\nCOMMIT;\n";
		const char *part = "BEGIN;\n-- Running downgrade r3 -> r1\nDELETE FROM alembic_version;\nCOMMIT;\n";
		pm_alembic	t;

		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, up3, strlen(up3), NULL, &err) &&
			pm_alembic_parse_downgrade(&t, rev3, strlen(rev3), NULL, &err);
		CHECK(ok && pm_alembic_downgrade_misordered(&t) == -1, "downgrade in reverse upgrade order: in order");
		CHECK(ok && t.revs[2].down_pos == 1 && t.revs[0].down_pos == 3, "downgrade positions recorded");
		pm_alembic_free(&t);
		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, up3, strlen(up3), NULL, &err) &&
			pm_alembic_parse_downgrade(&t, mis3, strlen(mis3), NULL, &err);
		CHECK(ok && pm_alembic_downgrade_misordered(&t) == 1, "r2 downgraded before r3: found (index %d)",
			  ok ? pm_alembic_downgrade_misordered(&t) : -9);
		pm_alembic_free(&t);
		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, up3, strlen(up3), NULL, &err) &&
			pm_alembic_parse_downgrade(&t, part, strlen(part), NULL, &err);
		CHECK(ok && pm_alembic_downgrade_misordered(&t) == -1, "a partial downgrade output: in order");
		pm_alembic_free(&t);
	}

	/* issue 12 item 7: truncated output is refused, never imported */
	{
		const char *whole = "BEGIN;\n-- Running upgrade  -> r1\nCREATE TABLE t (a int);\n"
			"INSERT INTO alembic_version (version_num) VALUES ('r1');\nCOMMIT;\n";
		const char *nocommit = "BEGIN;\n-- Running upgrade  -> r1\nCREATE TABLE t (a int);\n"
			"INSERT INTO alembic_version (version_num) VALUES ('r1');\n";
		const char *midscript = "BEGIN;\n-- Running upgrade  -> r1\nCREATE TABLE t (a int);\n"
			"INSERT INTO alembic_version (version_num) VALUES ('r1');\n-- Running upgrade r1 -> r2\nALTER TABLE t ADD b int;\n";
		const char *headeronly = "BEGIN;\n-- Running upgrade  -> r1\nCREATE TABLE t (a int);\n"
			"INSERT INTO alembic_version (version_num) VALUES ('r1');\nCOMMIT;\n-- Running upgrade r1 -> r2\n";
		const char *otherver = "BEGIN;\n-- Running upgrade  -> r1\nCREATE TABLE t (a int);\n"
			"INSERT INTO my_versions (version_num) VALUES ('r1');\nCOMMIT;\n";
		const char *down_whole = "BEGIN;\n-- Running downgrade r1 -> \nDROP TABLE t;\n"
			"DELETE FROM alembic_version WHERE version_num = 'r1';\nDROP TABLE alembic_version;\nCOMMIT;\n";
		const char *down_cut = "BEGIN;\n-- Running downgrade r1 -> \n";
		pm_alembic	t;

		CHECK_STR(err_of(whole, NULL), "ok", "whole output: accepted");
		CHECK_STR(err_of(nocommit, NULL), "line 5: Alembic upgrade output ends without COMMIT: it looks truncated",
				  "no final COMMIT: refused");
		CHECK_STR(err_of(midscript, NULL), "line 7: Alembic upgrade output ends without COMMIT: it looks truncated",
				  "cut in the middle of a block: refused");
		CHECK_STR(err_of(headeronly, NULL),
				  "line 6: the last block of the Alembic upgrade output (revision r2) has no statement on the version table \"alembic_version\"",
				  "cut after a header: refused (the COMMIT before it belongs to the block before)");
		CHECK_STR(err_of(otherver, NULL),
				  "line 2: the last block of the Alembic upgrade output (revision r1) has no statement on the version table \"alembic_version\"",
				  "another version table: refused");
		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, otherver, strlen(otherver), NULL, &err);
		CHECK(!ok && strstr(err.hint, "--version-table") != NULL, "the hint names --version-table");
		pm_alembic_free(&t);
		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, otherver, strlen(otherver), "my_versions", &err);
		CHECK(ok, "accepted with its version table named");
		pm_alembic_free(&t);
		CHECK_STR(err_of(whole, down_whole), "ok", "whole downgrade output: accepted");
		CHECK_STR(err_of(whole, down_cut),
				  "line 3: Alembic downgrade output ends without COMMIT: it looks truncated",
				  "truncated downgrade: refused, not an empty downgrade");
		pm_alembic_init(&t);
		ok = pm_alembic_parse_upgrade(&t, nocommit, strlen(nocommit), NULL, &err);
		CHECK(!ok && strstr(err.detail, "revision r1 (line 2)") != NULL && strstr(err.hint, "alembic upgrade --sql base:heads") != NULL,
			  "the detail names the last block, the hint how to get the whole output");
		pm_alembic_free(&t);
	}

	/* Python revision files */
	{
		pm_alembic_py p;
		const char *py =
			"\"\"\"Add audio timestamps to Segment\n\nRevision ID: b2c3d4e5f6a7\nRevises: a1b2c3d4e5f6\n\"\"\"\n"
			"from alembic import op\n\n"
			"# revision identifiers, used by Alembic.\n"
			"revision: str = 'b2c3d4e5f6a7'\n"
			"down_revision = 'a1b2c3d4e5f6'\n"
			"branch_labels = ('audio',)\n"
			"depends_on = [\n    'c3d4e5f6a7b8',\n    \"d4e5f6a7b8c9\",\n]\n";
		const char *py2 = "# -*- coding: utf-8 -*-\n'''One-liner'''\nrevision = \"r1\"\nbranch_labels = None\n";

		ok = pm_alembic_pyfile(py, strlen(py), &p);
		CHECK(ok, "Python revision file parses");
		CHECK_STR(p.id, "b2c3d4e5f6a7", "revision id (annotated assignment)");
		CHECK_STR(p.message, "Add audio timestamps to Segment", "message from the docstring");
		CHECK(p.branch_labels.n == 1 && strcmp(p.branch_labels.items[0], "audio") == 0, "branch_labels tuple");
		CHECK(p.depends_on.n == 2 && strcmp(p.depends_on.items[1], "d4e5f6a7b8c9") == 0, "multi-line depends_on list");
		pm_alembic_py_free(&p);
		ok = pm_alembic_pyfile(py2, strlen(py2), &p);
		CHECK(ok && strcmp(p.message, "One-liner") == 0 && p.branch_labels.n == 0, "one-line docstring, None labels");
		pm_alembic_py_free(&p);
		ok = pm_alembic_pyfile("x = 1\n", 6, &p);
		CHECK(!ok, "a file without revision = is refused");
		/* issue 12 item 7: the text starts on the line after the quotes */
		{
			const char *py3 = "\"\"\"\n\n  Add users table\n\nRevision ID: r9\n\"\"\"\nrevision = 'r9'\n";
			const char *py4 = "'''\n'''\nrevision = 'r8'\n";

			ok = pm_alembic_pyfile(py3, strlen(py3), &p);
			CHECK(ok && strcmp(p.message, "Add users table") == 0, "docstring text on the line after the quotes");
			pm_alembic_py_free(&p);
			ok = pm_alembic_pyfile(py4, strlen(py4), &p);
			CHECK(ok && strcmp(p.message, "") == 0, "an empty docstring gives an empty message");
			pm_alembic_py_free(&p);
		}
	}

	UNIT_DONE();
}
