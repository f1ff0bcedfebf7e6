/*
 * test_revfile.c: the revision file parser and formatter (revfile.c) and
 * comma separated name lists.  Every rule of revfile.h and every error
 * path, with the line it reports.
 *
 * Inputs are parsed from exact-size heap copies, so AddressSanitizer
 * catches any read past the end (the parser never sees a terminating
 * NUL it could rely on).
 */
#include "revfile.h"
#include "unit.h"

#include <stdlib.h>

/*
 * unit.h's CHECK() evaluates its condition twice (once to count, once to
 * print), so a condition with side effects (a parse that allocates) must
 * go through this.
 */
#define CHECK_ONCE(cond, ...) do { \
	bool		once_ = (cond); \
	CHECK(once_, __VA_ARGS__); \
} while (0)

static pm_revfile rf;
static pm_error err;

static bool
parse_n(const char *text, size_t n)
{
	char	   *copy = malloc(n ? n : 1);
	bool		ok;

	memcpy(copy, text, n);
	pm_revfile_free(&rf);
	ok = pm_revfile_parse(copy, n, &rf, &err);
	free(copy);
	return ok;
}

static bool
parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static bool
is_zeroed(const pm_revfile *r)
{
	return r->id == NULL && r->message == NULL && r->upgrade == NULL &&
		r->downgrade == NULL && r->down_revision.n == 0 &&
		r->down_revision.items == NULL && r->depends_on.n == 0 &&
		r->branch_labels.n == 0;
}

/* list equals the given names, joined with "," (or "" for empty) */
static bool
list_is(const pm_strlist *l, const char *joined)
{
	char		buf[1024] = "";
	int			i;

	for (i = 0; i < l->n; i++)
	{
		if (i)
			strcat(buf, ",");
		strcat(buf, l->items[i]);
	}
	return strcmp(buf, joined) == 0 && (l->n > 0) == (l->items != NULL);
}

static void
expect_fail_n(const char *text, size_t n, pm_errcode code, int line,
			  const char *msg, const char *what)
{
	bool		ok = parse_n(text, n);

	CHECK_ONCE(!ok, "%s: refused", what);
	CHECK_ONCE(err.code == code, "%s: error code %d (got %d)", what, (int) code, (int) err.code);
	CHECK_ONCE(err.line == line, "%s: line %d (got %d)", what, line, err.line);
	CHECK_STR(err.msg, msg, what);
	CHECK_ONCE(is_zeroed(&rf), "%s: output left zeroed", what);
}

static void
expect_fail(const char *text, pm_errcode code, int line, const char *msg,
			const char *what)
{
	expect_fail_n(text, strlen(text), code, line, msg, what);
}

/* ---------------------------------------------------------------- */

static const char *example =
"-- revision: 3f2a9c1b7d40\n"
"-- down_revision: 1a2b3c4d5e6f\n"
"-- message: Add audio timestamps to Segment\n"
"-- branch_labels: audio\n"
"-- depends_on: 9c8b7a6d5e4f\n"
"-- transactional: false\n"
"\n"
"-- migrate:up\n"
"ALTER TABLE segment ADD COLUMN audio_start_ms integer;\n"
"\n"
"-- migrate:down\n"
"ALTER TABLE segment DROP COLUMN audio_start_ms;\n";

static void
test_valid(void)
{
	CHECK_ONCE(parse(example), "SPEC example parses");
	CHECK_STR(rf.id, "3f2a9c1b7d40", "example: id");
	CHECK_ONCE(list_is(&rf.down_revision, "1a2b3c4d5e6f"), "example: down_revision");
	CHECK_STR(rf.message, "Add audio timestamps to Segment", "example: message");
	CHECK_ONCE(list_is(&rf.branch_labels, "audio"), "example: branch_labels");
	CHECK_ONCE(list_is(&rf.depends_on, "9c8b7a6d5e4f"), "example: depends_on");
	CHECK_ONCE(!rf.transactional, "example: transactional false");
	CHECK_STR(rf.upgrade, "ALTER TABLE segment ADD COLUMN audio_start_ms integer;",
			  "example: upgrade, trailing blank line and newline trimmed");
	CHECK_STR(rf.downgrade, "ALTER TABLE segment DROP COLUMN audio_start_ms;",
			  "example: downgrade");
	CHECK_ONCE(err.code == PM_OK && err.line == 0 && err.msg[0] == '\0',
		  "success clears the error");
	CHECK_ONCE(rf.upgrade_line == 9 && rf.downgrade_line == 12,
		  "example: file lines where the section bodies start");
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n\n\n  SELECT 1;\n-- migrate:down\n\nSELECT 2;\n"),
		  "leading blank lines parse");
	CHECK_ONCE(rf.upgrade_line == 5 && rf.downgrade_line == 8,
		  "section lines skip leading blank lines (the body starts there)");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n"), "minimal file parses");
	CHECK_STR(rf.id, "a", "minimal: id");
	CHECK_ONCE(list_is(&rf.down_revision, "") && list_is(&rf.depends_on, "") &&
		  list_is(&rf.branch_labels, ""), "minimal: absent lists are empty");
	CHECK_STR(rf.message, "", "minimal: absent message is \"\"");
	CHECK_ONCE(rf.transactional, "minimal: transactional defaults to true");
	CHECK_STR(rf.upgrade, "", "minimal: empty upgrade is \"\", not NULL");
	CHECK_ONCE(rf.downgrade == NULL, "minimal: no down section -> downgrade NULL (irreversible)");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nSELECT 1;\n-- migrate:down\n"),
		  "empty down section parses");
	CHECK_STR(rf.downgrade, "", "empty down section: reversible, empty script");
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nSELECT 1;\n-- migrate:down\n\n  \n\t\n"),
		  "blank down section parses");
	CHECK_STR(rf.downgrade, "", "blank down section: empty script");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up"), "marker as last line without newline");
	CHECK_STR(rf.upgrade, "", "... gives empty upgrade");
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nSELECT 1;"), "no final newline");
	CHECK_STR(rf.upgrade, "SELECT 1;", "... body taken to EOF");

	/* header keys in any order, with comments and blank lines around */
	CHECK_ONCE(parse("-- A comment first\n"
				"--\n"
				"\n"
				"-- transactional: YES\n"
				"   \t\n"
				"-- see https://example.com/x: not a key\n"
				"-- Revision ID: alembic style, word then blank\n"
				"-- message of the day\n"
				"-- 1: numbered note\n"
				"-- message:   spaced: with colons  \t\n"
				"-- (note: parenthesised)\n"
				"-- revision: zz9\n"
				"-- depends_on:\n"
				"-- migrate:up\n"
				"x\n"),
		  "comments, blank lines, any key order");
	CHECK_STR(rf.id, "zz9", "comments: id");
	CHECK_STR(rf.message, "spaced: with colons", "message trimmed, inner colons kept");
	CHECK_ONCE(rf.transactional, "transactional YES is true");
	CHECK_ONCE(list_is(&rf.depends_on, ""), "empty depends_on is the empty list");

	/* layout leniency */
	CHECK_ONCE(parse("--revision:r1\n  -- message :  m \n\t--   down_revision\t:a,b\n"
				"  --migrate:up  \t\nbody\n   -- migrate:down\t\nundo\n"),
		  "no blank after --, blanks before colon, indented lines and markers");
	CHECK_STR(rf.id, "r1", "leniency: id");
	CHECK_STR(rf.message, "m", "leniency: message");
	CHECK_ONCE(list_is(&rf.down_revision, "a,b"), "leniency: merge parents");
	CHECK_STR(rf.upgrade, "body", "leniency: upgrade");
	CHECK_STR(rf.downgrade, "undo", "leniency: downgrade");

	CHECK_ONCE(parse("-- revision: m\n-- down_revision:  a ,\tb,c  \n-- migrate:up\n"),
		  "merge with three parents");
	CHECK_ONCE(list_is(&rf.down_revision, "a,b,c"), "merge: parents in order, blanks ignored");

	CHECK_ONCE(parse("-- revision: m\n-- branch_labels: audio, video\n-- migrate:up\n"),
		  "two branch labels");
	CHECK_ONCE(list_is(&rf.branch_labels, "audio,video"), "labels in order");

	/* header-looking lines inside a body are SQL comments */
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n-- revision: b\n-- foo: bar\nSELECT 1;\n"),
		  "header lines in a body");
	CHECK_STR(rf.id, "a", "body header lines do not override the id");
	CHECK_STR(rf.upgrade, "-- revision: b\n-- foo: bar\nSELECT 1;", "body keeps them");

	/* names at the length limit */
	{
		char		text[256];

		snprintf(text, sizeof(text), "-- revision: %064d\n-- migrate:up\n", 7);
		CHECK_ONCE(parse(text), "64-character id accepted");
		CHECK_ONCE(rf.id && strlen(rf.id) == 64, "64-character id kept");
	}

	/* all boolean spellings */
	{
		static const char *yes[] = {"true", "TRUE", "yes", "Yes", "on", "ON"};
		static const char *no[] = {"false", "False", "no", "NO", "off", "oFf"};
		char		text[128];
		int			i;
		bool		good = true;

		for (i = 0; i < 6; i++)
		{
			snprintf(text, sizeof(text), "-- revision: a\n-- transactional: %s\n-- migrate:up\n", yes[i]);
			good = good && parse(text) && rf.transactional;
			snprintf(text, sizeof(text), "-- revision: a\n-- transactional: %s\n-- migrate:up\n", no[i]);
			good = good && parse(text) && !rf.transactional;
		}
		CHECK_ONCE(good, "transactional: true/false/yes/no/on/off in any case");
	}
}

static void
test_bodies(void)
{
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n\n  \n\t\n  CREATE TABLE t (\n\n    id int\n  );  \n\n \n"
				"-- migrate:down\n\n\nDROP TABLE t;\n\n\n"),
		  "bodies with blank lines around");
	CHECK_STR(rf.upgrade, "  CREATE TABLE t (\n\n    id int\n  );  ",
			  "leading/trailing blank lines trimmed; indentation, inner blank line, trailing blanks kept");
	CHECK_STR(rf.downgrade, "DROP TABLE t;", "down body trimmed");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nSELECT '-- migrate:up';\n  SELECT 1; -- migrate:down\n"),
		  "marker text not alone on its line is SQL");
	CHECK_STR(rf.upgrade, "SELECT '-- migrate:up';\n  SELECT 1; -- migrate:down", "... kept in body");
	CHECK_ONCE(rf.downgrade == NULL, "... and opens no section");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n-- migrate:upgrade is a word? no: see below\nx\n") == false,
		  "-- migrate:<other word> is refused even in a body");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nSELECT 1; -- trailing comment\n-- comment line\n"),
		  "comment lines at the end of a body are content");
	CHECK_STR(rf.upgrade, "SELECT 1; -- trailing comment\n-- comment line", "... kept");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\na\r\nb\rc\r\n\r\n-- migrate:down\r\nd\r"),
		  "lone CRs");
	CHECK_STR(rf.upgrade, "a\r\nb\rc", "inner CRLF and lone CR kept byte for byte");
	CHECK_STR(rf.downgrade, "d", "CR ending the last line dropped");

	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\nx \r \r\n"), "blank-CR mix at the end");
	CHECK_STR(rf.upgrade, "x \r ", "only the CRs ending the last line go");

	/* issue 8 item 11: a Latin-1 byte is refused with its line; a BOM is skipped */
	{
		const char *latin1 = "-- revision: a\n-- message: caf\xe9\n-- migrate:up\nSELECT 1;\n";

		expect_fail_n(latin1, strlen(latin1), PM_ERR_SYNTAX, 2, "invalid UTF-8 byte 0xE9",
					  "a Latin-1 byte");
		CHECK_ONCE(err.hint[0] != '\0', "... with a hint");
	}
	CHECK_ONCE(parse("\xef\xbb\xbf-- revision: a\n-- message: caf\xc3\xa9\n-- migrate:up\nSELECT 1;\n"),
			   "a UTF-8 byte order mark at the start is accepted");
	CHECK_STR(rf.id, "a", "... and is not part of the first line");
}

static void
test_crlf(void)
{
	const char *lf =
		"-- revision: c1\n-- down_revision: p1, p2\n-- message: Hello\n"
		"-- transactional: off\n\n-- migrate:up\nCREATE TABLE t (\n  id int\n);\n\n"
		"-- migrate:down\nDROP TABLE t;\n";
	const char *crlf =
		"-- revision: c1\r\n-- down_revision: p1, p2\r\n-- message: Hello\r\n"
		"-- transactional: off\r\n\r\n-- migrate:up\r\nCREATE TABLE t (\r\n  id int\r\n);\r\n\r\n"
		"-- migrate:down\r\nDROP TABLE t;\r\n";
	char		sum_lf[65],
				sum_crlf[65];
	pm_revfile	a;
	pm_error	e;

	CHECK_ONCE(pm_revfile_parse(lf, strlen(lf), &a, &e), "LF file parses");
	CHECK_ONCE(parse(crlf), "CRLF file parses");
	CHECK_STR(rf.id, a.id, "CRLF: same id");
	CHECK_ONCE(list_is(&rf.down_revision, "p1,p2"), "CRLF: no CR in list items");
	CHECK_STR(rf.message, "Hello", "CRLF: no CR in message");
	CHECK_ONCE(!rf.transactional, "CRLF: transactional off");
	CHECK_STR(rf.upgrade, "CREATE TABLE t (\r\n  id int\r\n);", "CRLF: body keeps inner CRLF");
	CHECK_STR(rf.downgrade, "DROP TABLE t;", "CRLF: last CRLF dropped");
	pm_checksum(a.upgrade, a.downgrade, a.transactional, sum_lf);
	pm_checksum(rf.upgrade, rf.downgrade, rf.transactional, sum_crlf);
	CHECK_STR(sum_crlf, sum_lf, "CRLF and LF files have the same checksum");
	pm_revfile_free(&a);
}

static void
test_errors(void)
{
	char		big[300];

	/* header keys */
	expect_fail("-- revision: a\n-- foo: bar\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "unknown header key \"foo\"", "unknown key");
	CHECK_ONCE(strstr(err.hint, "Known header keys") != NULL, "unknown key: hint lists keys");
	expect_fail("-- revision: a\n\n-- Revision: a\n-- migrate:up\n",
				PM_ERR_SYNTAX, 3, "unknown header key \"Revision\"", "keys are case-sensitive");
	CHECK_ONCE(strstr(err.hint, "\"revision\"") != NULL, "case: hint names the right key");
	expect_fail("-- revision: a\n-- down-revision: b\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "unknown header key \"down-revision\"", "hyphenated key");
	CHECK_ONCE(strstr(err.hint, "\"down_revision\"") != NULL, "hyphen: hint names down_revision");
	expect_fail("-- revision: a\n-- note:\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "unknown header key \"note\"", "unknown key with colon at end of line");
	expect_fail("-- revision: a\n-- message: x\n-- message: y\n-- migrate:up\n",
				PM_ERR_SYNTAX, 3, "duplicate header key \"message\"", "duplicate message");
	expect_fail("-- revision: a\n-- revision: a\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "duplicate header key \"revision\"", "duplicate revision");
	expect_fail("-- down_revision:\n-- revision: a\n-- down_revision : b\n-- migrate:up\n",
				PM_ERR_SYNTAX, 3, "duplicate header key \"down_revision\"", "duplicate empty down_revision");
	expect_fail("-- message: x\n\n-- migrate:up\nSELECT 1;\n",
				PM_ERR_SYNTAX, 3, "missing \"-- revision:\" header", "missing revision (line of migrate:up)");
	CHECK_ONCE(err.hint[0] != '\0', "missing revision: hint");
	expect_fail("-- revision:\n-- migrate:up\n",
				PM_ERR_SYNTAX, 1, "empty \"-- revision:\" header", "empty revision");
	expect_fail("-- revision: \t \r\n-- migrate:up\n",
				PM_ERR_SYNTAX, 1, "empty \"-- revision:\" header", "blank revision");

	/* names */
	expect_fail("-- revision: a-b\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 1, "invalid revision name \"a-b\"", "bad id");
	CHECK_ONCE(strstr(err.hint, "letters, digits and underscores") != NULL, "bad id: hint");
	expect_fail("\n-- revision: a, b\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 2, "invalid revision name \"a, b\"", "two ids");
	expect_fail("-- revision: head\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 1, "reserved name \"head\" cannot be used as a revision id", "reserved id");
	expect_fail("-- revision: current\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 1, "reserved name \"current\" cannot be used as a revision id", "reserved id current");
	expect_fail("-- revision: a\n-- down_revision: b, heads\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 2, "reserved name \"heads\" cannot be used as a revision id", "reserved parent");
	expect_fail("-- revision: a\n-- depends_on: x.y\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 2, "invalid revision name \"x.y\"", "bad depends_on");
	expect_fail("-- revision: a\n-- branch_labels: base\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 2, "reserved name \"base\" cannot be used as a branch label", "reserved label");
	expect_fail("-- revision: a\n-- branch_labels: ok, not ok\n-- migrate:up\n",
				PM_ERR_INVALID_NAME, 2, "invalid branch label \"not ok\"", "bad label");
	expect_fail("-- revision: a\n-- down_revision: b,,c\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "empty name in list", "empty list item");
	expect_fail("-- revision: a\n-- down_revision: b,\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "empty name in list", "trailing comma");
	expect_fail("-- revision: a\n-- down_revision: ,b\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "empty name in list", "leading comma");
	expect_fail("-- revision: a\n-- down_revision: b, c, b\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "duplicate name \"b\" in list", "duplicate parent");
	{
		char		text[200],
					want[200],
					id[66];

		memset(id, 'x', 65);
		id[65] = '\0';
		snprintf(text, sizeof(text), "-- revision: %s\n-- migrate:up\n", id);
		snprintf(want, sizeof(want), "invalid revision name \"%s\"", id);
		expect_fail(text, PM_ERR_INVALID_NAME, 1, want, "65-character id");
	}
	{
		char		text[400];

		memset(big, 'y', 200);
		big[200] = '\0';
		snprintf(text, sizeof(text), "-- revision: a\n-- down_revision: %s\n-- migrate:up\n", big);
		CHECK_ONCE(!parse(text) && strlen(err.msg) < 120 && strstr(err.msg, "...\"") != NULL,
			  "long bad name is shortened in the message");
	}

	/* transactional */
	expect_fail("-- revision: a\n-- transactional: maybe\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "invalid value \"maybe\" for \"transactional\"", "bad boolean");
	expect_fail("-- revision: a\n-- transactional:\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "invalid value \"\" for \"transactional\"", "empty boolean");
	expect_fail("-- revision: a\n-- transactional: 1\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "invalid value \"1\" for \"transactional\"", "numeric boolean");

	/* structure */
	expect_fail("-- revision: a\n\nCREATE TABLE t ();\n-- migrate:up\n",
				PM_ERR_SYNTAX, 3, "text before \"-- migrate:up\" section", "SQL before up");
	expect_fail("-- revision: a\n/* block */\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "text before \"-- migrate:up\" section", "block comment before up");
	expect_fail("- revision: a\n-- migrate:up\n",
				PM_ERR_SYNTAX, 1, "text before \"-- migrate:up\" section", "single dash");
	expect_fail("-- revision: a\nSELECT 1;\n",
				PM_ERR_SYNTAX, 2, "text before \"-- migrate:up\" section", "no markers at all, SQL");
	expect_fail("-- revision: a\n-- message: m\n",
				PM_ERR_SYNTAX, 2, "missing \"-- migrate:up\" section", "no up section");
	expect_fail("-- revision: a\n-- message: m",
				PM_ERR_SYNTAX, 2, "missing \"-- migrate:up\" section", "no up section, no final newline");
	expect_fail("", PM_ERR_SYNTAX, 1, "missing \"-- migrate:up\" section", "empty file");
	expect_fail("\n\n\n", PM_ERR_SYNTAX, 3, "missing \"-- migrate:up\" section", "blank file");
	expect_fail("-- revision: a\n-- migrate:down\nx\n-- migrate:up\n",
				PM_ERR_SYNTAX, 2, "\"-- migrate:down\" before \"-- migrate:up\"", "down before up");
	expect_fail("-- revision: a\n-- migrate:up\nx\n-- migrate:up\ny\n",
				PM_ERR_SYNTAX, 4, "duplicate \"-- migrate:up\" section", "two up sections");
	expect_fail("-- revision: a\n-- migrate:up\nx\n-- migrate:down\ny\n-- migrate:up\n",
				PM_ERR_SYNTAX, 6, "duplicate \"-- migrate:up\" section", "up after down");
	expect_fail("-- revision: a\n-- migrate:up\n-- migrate:down\n\n-- migrate:down\n",
				PM_ERR_SYNTAX, 5, "duplicate \"-- migrate:down\" section", "two down sections");
	expect_fail("-- revision: a\n-- migrate:up transaction:false\n",
				PM_ERR_SYNTAX, 2, "unexpected text after \"-- migrate:up\"", "dbmate option on up");
	CHECK_ONCE(strstr(err.hint, "transactional: false") != NULL, "dbmate option: hint");
	expect_fail("-- revision: a\n-- migrate:up\nx\n-- migrate:down;\n",
				PM_ERR_SYNTAX, 4, "unexpected text after \"-- migrate:down\"", "text after down marker");
	expect_fail("-- revision: a\n-- migrate:up\nx\n-- migrate:dwon\ny\n",
				PM_ERR_SYNTAX, 4, "invalid section marker \"-- migrate:dwon\"", "misspelt marker in body");
	expect_fail("-- revision: a\n  -- migrate: up  \n",
				PM_ERR_SYNTAX, 2, "invalid section marker \"-- migrate: up\"", "blank after migrate:");
	expect_fail("-- revision: a\n-- migrate:\n",
				PM_ERR_SYNTAX, 2, "invalid section marker \"-- migrate:\"", "bare migrate:");

	/* errors carry line numbers counted over CRLF files too */
	expect_fail("-- revision: a\r\n\r\n-- bogus: 1\r\n-- migrate:up\r\n",
				PM_ERR_SYNTAX, 3, "unknown header key \"bogus\"", "CRLF line counting");

	/* NUL bytes */
	expect_fail_n("-- revision: a\n-- migrate:up\nSELECT\0 1;\n", 39,
				  PM_ERR_SYNTAX, 3, "revision file contains a NUL byte", "NUL in body");
	expect_fail_n("\0", 1, PM_ERR_SYNTAX, 1, "revision file contains a NUL byte", "lone NUL");
	expect_fail_n("-- revision: a\0b\n-- migrate:up\n", 31,
				  PM_ERR_SYNTAX, 1, "revision file contains a NUL byte", "NUL in header");

	/* the first error wins */
	expect_fail("-- foo: 1\n-- revision: head\n",
				PM_ERR_SYNTAX, 1, "unknown header key \"foo\"", "first error reported");

	/* a failed parse after a good one leaves nothing behind (LSan) */
	CHECK_ONCE(parse(example), "good parse");
	expect_fail("-- revision: a\n-- branch_labels: a, b\n-- depends_on: c\n-- migrate:up\nx\n-- migrate:down\n-- migrate:down\n",
				PM_ERR_SYNTAX, 7, "duplicate \"-- migrate:down\" section",
				"failure after lists and bodies allocated");

	/* a NULL error pointer is allowed */
	{
		pm_revfile	r;

		CHECK_ONCE(!pm_revfile_parse("x", 1, &r, NULL) && is_zeroed(&r), "NULL err tolerated");
		CHECK_ONCE(pm_revfile_parse("-- revision: a\n-- migrate:up\n", 29, &r, NULL), "NULL err, success");
		pm_revfile_free(&r);
		CHECK_ONCE(is_zeroed(&r), "pm_revfile_free zeroes");
		pm_revfile_free(&r);
		pm_revfile_free(NULL);
		CHECK_ONCE(1, "pm_revfile_free is idempotent and takes NULL");
	}
}

static void
test_name_list(void)
{
	pm_strlist	l;
	pm_error	e;
	char	   *copy;

	CHECK_ONCE(pm_parse_name_list("a, b,c", 6, &l, &e) && list_is(&l, "a,b,c"), "list a, b,c");
	pm_strlist_free(&l);
	CHECK_ONCE(l.n == 0 && l.items == NULL, "pm_strlist_free resets");
	pm_strlist_free(&l);
	CHECK_ONCE(pm_parse_name_list("", 0, &l, &e) && l.n == 0 && l.items == NULL, "empty list");
	CHECK_ONCE(pm_parse_name_list(" \t ", 3, &l, &e) && l.n == 0, "blank list");
	CHECK_ONCE(pm_parse_name_list("  solo  ", 8, &l, &e) && list_is(&l, "solo"), "one item, blanks");
	pm_strlist_free(&l);

	/* not NUL-terminated: exact-size copy */
	copy = malloc(5);
	memcpy(copy, "ab,cd", 5);
	CHECK_ONCE(pm_parse_name_list(copy, 5, &l, &e) && list_is(&l, "ab,cd"), "list read only within len");
	pm_strlist_free(&l);
	CHECK_ONCE(pm_parse_name_list(copy, 3, &l, &e) == false && e.code == PM_ERR_SYNTAX,
		  "len cuts after the comma: empty item");
	free(copy);

	CHECK_ONCE(!pm_parse_name_list("a b", 3, &l, &e) && e.code == PM_ERR_INVALID_NAME &&
		  strcmp(e.msg, "invalid revision name \"a b\"") == 0 && l.n == 0 && l.items == NULL,
		  "inner blank refused, list left empty");
	CHECK_ONCE(!pm_parse_name_list("a,base", 6, &l, &e) && e.code == PM_ERR_INVALID_NAME &&
		  strcmp(e.msg, "reserved name \"base\" cannot be used as a revision id") == 0,
		  "reserved name refused");
	CHECK_ONCE(!pm_parse_name_list("a,\0b", 4, &l, &e) && e.code == PM_ERR_INVALID_NAME,
		  "NUL inside an item refused");
	CHECK_ONCE(!pm_parse_name_list("x,y,x", 5, &l, &e) &&
		  strcmp(e.msg, "duplicate name \"x\" in list") == 0, "duplicate refused");

	/* a long list (duplicate check is sorted, not quadratic) */
	{
		pm_buf		b;
		int			i;

		pm_buf_init(&b);
		for (i = 0; i < 5000; i++)
			pm_buf_printf(&b, "%sn%d", i ? "," : "", i);
		CHECK_ONCE(pm_parse_name_list(b.data, b.len, &l, &e) && l.n == 5000 &&
			  strcmp(l.items[4999], "n4999") == 0, "5000-item list");
		pm_strlist_free(&l);
		pm_buf_puts(&b, ",n2500");
		CHECK_ONCE(!pm_parse_name_list(b.data, b.len, &l, &e) &&
			  strcmp(e.msg, "duplicate name \"n2500\" in list") == 0, "duplicate in a long list");
		pm_buf_free(&b);
	}
}

/* parse(format(r)) == r, field by field */
static bool
same_revfile(const pm_revfile *a, const pm_revfile *b)
{
	int			i;

#define SAME_LIST(f) \
	if (a->f.n != b->f.n) return false; \
	for (i = 0; i < a->f.n; i++) if (strcmp(a->f.items[i], b->f.items[i]) != 0) return false

	if (strcmp(a->id, b->id) != 0 || strcmp(a->message, b->message) != 0 ||
		a->transactional != b->transactional || a->order != b->order ||
		strcmp(a->upgrade, b->upgrade) != 0 ||
		(a->downgrade == NULL) != (b->downgrade == NULL) ||
		(a->downgrade && strcmp(a->downgrade, b->downgrade) != 0))
		return false;
	SAME_LIST(down_revision);
	SAME_LIST(depends_on);
	SAME_LIST(branch_labels);
	return true;
#undef SAME_LIST
}

static void
roundtrip(const char *text, const char *what)
{
	pm_revfile	again;
	pm_error	e;
	char	   *out;

	if (!parse(text))
	{
		CHECK_ONCE(0, "%s: parses (%s at line %d)", what, err.msg, err.line);
		return;
	}
	out = pm_revfile_format(&rf);
	CHECK_ONCE(pm_revfile_parse(out, strlen(out), &again, &e) && same_revfile(&rf, &again),
		  "%s: round-trips through format", what);
	pm_revfile_free(&again);
	pm_free(out);
}

/* "-- order: N" (issue 12 item 8): the load position import-alembic writes */
static void
test_order_key(void)
{
	char	   *out;

	CHECK_ONCE(parse("-- revision: a\n-- order: 7\n-- migrate:up\n"), "order: parses");
	CHECK_ONCE(rf.order == 7, "order: 7 (got %d)", rf.order);
	out = pm_revfile_format(&rf);
	CHECK_STR(out, "-- revision: a\n-- down_revision:\n-- message:\n-- order: 7\n\n-- migrate:up\n",
			  "order: written after the other keys");
	pm_free(out);
	CHECK_ONCE(parse("-- revision: a\n-- migrate:up\n") && rf.order == 0, "order: absent is 0");
	CHECK_ONCE(parse("-- revision: a\n-- order:  1000000000 \n-- migrate:up\n") && rf.order == 1000000000,
			   "order: the largest, blanks trimmed");
	expect_fail("-- revision: a\n-- order: 0\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"0\" for \"order\"", "order: 0 refused");
	expect_fail("-- revision: a\n-- order: 1000000001\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"1000000001\" for \"order\"", "order: too large refused");
	expect_fail("-- revision: a\n-- order: 99999999999999999999\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"99999999999999999999\" for \"order\"", "order: no overflow");
	expect_fail("-- revision: a\n-- order: -3\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"-3\" for \"order\"", "order: negative refused");
	expect_fail("-- revision: a\n-- order: 3x\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"3x\" for \"order\"", "order: trailing junk refused");
	expect_fail("-- revision: a\n-- order:\n-- migrate:up\n", PM_ERR_SYNTAX, 2,
				"invalid value \"\" for \"order\"", "order: empty refused");
	expect_fail("-- revision: a\n-- order: 1\n-- order: 2\n-- migrate:up\n", PM_ERR_SYNTAX, 3,
				"duplicate header key \"order\"", "order: once");
	CHECK(strstr(err.hint, "once") != NULL, "order: duplicate hint");
	roundtrip("-- revision: a\n-- order: 42\n-- migrate:up\nx\n", "order");
}

static void
test_format(void)
{
	char	   *out;

	CHECK_ONCE(parse(example), "example parses");
	out = pm_revfile_format(&rf);
	CHECK_STR(out,
			  "-- revision: 3f2a9c1b7d40\n"
			  "-- down_revision: 1a2b3c4d5e6f\n"
			  "-- message: Add audio timestamps to Segment\n"
			  "-- branch_labels: audio\n"
			  "-- depends_on: 9c8b7a6d5e4f\n"
			  "-- transactional: false\n"
			  "\n"
			  "-- migrate:up\n"
			  "ALTER TABLE segment ADD COLUMN audio_start_ms integer;\n"
			  "\n"
			  "-- migrate:down\n"
			  "ALTER TABLE segment DROP COLUMN audio_start_ms;\n",
			  "format reproduces the SPEC example");
	pm_free(out);

	CHECK_ONCE(parse("-- revision: r\n-- migrate:up\n"), "minimal parses");
	out = pm_revfile_format(&rf);
	CHECK_STR(out, "-- revision: r\n-- down_revision:\n-- message:\n\n-- migrate:up\n",
			  "format of a root with defaults, irreversible, empty script");
	pm_free(out);

	CHECK_ONCE(parse("-- revision: m\n-- down_revision: a,b\n-- migrate:up\n-- migrate:down\n"), "merge parses");
	out = pm_revfile_format(&rf);
	CHECK_STR(out, "-- revision: m\n-- down_revision: a, b\n-- message:\n\n-- migrate:up\n\n-- migrate:down\n",
			  "format of a merge with empty scripts, reversible");
	pm_free(out);

	roundtrip(example, "example");
	roundtrip("-- revision: a\n-- migrate:up\n", "minimal");
	roundtrip("-- revision: a\n-- migrate:up\n-- migrate:down\n", "empty down");
	roundtrip("-- revision: a\n-- migrate:up\n  x  \n\n\n  y\t\n-- migrate:down\n\t z \r\n", "blanks");
	roundtrip("-- revision: a\r\n-- message: m\r\n-- migrate:up\r\na\r\nb\r\r\n", "CRLF");
	roundtrip("-- revision: a\n-- migrate:up\nx\r", "CR at EOF");
	roundtrip("-- revision: a\n-- message: x\r\ry \r\t\r\n-- migrate:up\n", "lone CRs in message (fuzz find)");
	CHECK_STR(rf.message, "x\r\ry", "message keeps inner CRs, trims trailing ones");
	roundtrip("-- revision: a\n-- migrate:up\nx \r \r\n", "CR and blanks at end");
	roundtrip("-- revision: a\n-- message: a: b -- c\n-- depends_on: p,q\n-- branch_labels: l1,l2\n"
			  "-- transactional: no\n-- migrate:up\n-- comment\nSELECT 1;\n", "all keys");

	/* a hand-built revision whose message has a line break */
	{
		pm_revfile	h;
		pm_revfile	back;
		pm_error	e;

		memset(&h, 0, sizeof(h));
		h.id = "hand";
		h.message = "two\nlines\r\nhere";
		h.transactional = true;
		h.upgrade = "SELECT 1;";
		h.downgrade = NULL;
		out = pm_revfile_format(&h);
		CHECK_ONCE(pm_revfile_parse(out, strlen(out), &back, &e), "line breaks in message: output parses");
		CHECK_STR(back.message, "two lines here", "LF and CRLF in message written as one space");
		CHECK_STR(back.upgrade, "SELECT 1;", "hand-built: upgrade");
		CHECK_ONCE(back.downgrade == NULL, "hand-built: irreversible");
		pm_revfile_free(&back);
		pm_free(out);
	}
}

/*
 * Every prefix of a file, each from an exact-size allocation: the parser
 * must stay in bounds, and whatever parses must round-trip.
 */
static void
test_prefixes(void)
{
	const char *texts[] = {
		example,
		"-- revision: a\r\n-- down_revision: b, c\r\n-- migrate:up\r\nx\r\n\r\n-- migrate:down\r\ny\r\n",
	};
	size_t		t,
				n;
	int			bad = 0,
				parsed = 0;

	for (t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
	{
		for (n = 0; n <= strlen(texts[t]); n++)
		{
			if (parse_n(texts[t], n))
			{
				char	   *out = pm_revfile_format(&rf);
				pm_revfile	again;
				pm_error	e;

				parsed++;
				if (!pm_revfile_parse(out, strlen(out), &again, &e) || !same_revfile(&rf, &again))
					bad++;
				pm_revfile_free(&again);
				pm_free(out);
			}
			else if (err.line < 1 || err.msg[0] == '\0')
				bad++;
		}
	}
	CHECK_ONCE(bad == 0 && parsed > 0, "every prefix: in bounds, error with line or round-trip (%d parsed)", parsed);
}

/*
 * The load digest (revfile.h): equal for the same row, different when any
 * field differs, and fields never run into each other.
 */
static void
test_load_digest(void)
{
	char		a[65],
				b[65];
	pm_revfile	f;
	pm_error	err;
	const char *file = "-- revision: r2\n-- down_revision: r1\n-- message: two\n\n-- migrate:up\nSELECT 2;\n";

	pm_revision_digest("r2", "r1", "", "", "two", "ck", 5, 0, a);
	pm_revision_digest("r2", "r1", "", "", "two", "ck", 5, 0, b);
	CHECK(strcmp(a, b) == 0 && strlen(a) == 64, "same row, same digest");
	pm_revision_digest("r2", "r1", "", "", "two", "ck", 6, 0, b);
	CHECK(strcmp(a, b) != 0, "a moved section changes the digest");
	pm_revision_digest("r2", "r1", "", "", "twO", "ck", 5, 0, b);
	CHECK(strcmp(a, b) != 0, "a changed message changes the digest");
	pm_revision_digest("r2", "r1", "x", "", "", "ck", 5, 0, a);
	pm_revision_digest("r2", "r1", "", "x", "", "ck", 5, 0, b);
	CHECK(strcmp(a, b) != 0, "a dependency is not a label (fields do not run together)");
	pm_revision_digest("r2", "r1,r0", "", "", "", "ck", 0, 0, a);
	pm_revision_digest("r2", "r1", "r0", "", "", "ck", 0, 0, b);
	CHECK(strcmp(a, b) != 0, "a parent is not a dependency");

	CHECK(pm_revfile_parse(file, strlen(file), &f, &err), "digest fixture parses");
	pm_revfile_digest(&f, a);
	{
		char		ck[65];

		pm_checksum(f.upgrade, f.downgrade, f.transactional, ck);
		pm_revision_digest("r2", "r1", "", "", "two", ck, f.upgrade_line, 0, b);
	}
	CHECK(strcmp(a, b) == 0, "a parsed file's digest is its row's digest");
	pm_revfile_free(&f);
}

int
main(void)
{
	test_load_digest();
	test_valid();
	test_bodies();
	test_crlf();
	test_errors();
	test_name_list();
	test_format();
	test_order_key();
	test_prefixes();
	pm_revfile_free(&rf);
	UNIT_DONE();
}
