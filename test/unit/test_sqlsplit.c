/*
 * test_sqlsplit.c: unit tests of the SQL statement splitter (sqlsplit.c).
 */
#include "sqlsplit.h"
#include "unit.h"

#include <stdbool.h>
#include <stdlib.h>

/* Split s and return the statements joined by " | " (static buffer). */
static const char *
split(const char *s)
{
	static char out[4096];
	pm_stmtlist l;
	pm_error	err;
	int			k;

	out[0] = '\0';
	if (!pm_sql_split(s, strlen(s), &l, &err))
	{
		snprintf(out, sizeof(out), "ERROR line %d: %s", err.line, err.msg);
		return out;
	}
	for (k = 0; k < l.n; k++)
	{
		if (k > 0)
			strcat(out, " | ");
		strncat(out, l.items[k].sql, sizeof(out) - strlen(out) - 1);
	}
	pm_stmtlist_free(&l);
	return out;
}

static int
line_of(const char *s, int idx)
{
	pm_stmtlist l;
	pm_error	err;
	int			line = -1;

	if (pm_sql_split(s, strlen(s), &l, &err) && idx < l.n)
		line = l.items[idx].line;
	pm_stmtlist_free(&l);
	return line;
}

int
main(void)
{
	CHECK_STR(split(""), "", "empty input");
	CHECK_STR(split("  \n-- only a comment\n/* and another */\n"), "", "comments only");
	CHECK_STR(split("SELECT 1; SELECT 2;"), "SELECT 1; | SELECT 2;", "two statements");
	CHECK_STR(split("SELECT 1;\nSELECT 2"), "SELECT 1; | SELECT 2", "last without semicolon");
	CHECK_STR(split("SELECT 1 -- trailing\n"), "SELECT 1", "trailing comment not part of the last statement");
	CHECK_STR(split(";;SELECT 1;;"), "SELECT 1;", "empty statements skipped");
	CHECK_STR(split("SELECT 'a;b'; SELECT 2;"), "SELECT 'a;b'; | SELECT 2;", "semicolon in string");
	CHECK_STR(split("SELECT 'it''s;'; SELECT 2;"), "SELECT 'it''s;'; | SELECT 2;", "doubled quote");
	CHECK_STR(split("SELECT 'a\\'; SELECT 2;"), "SELECT 'a\\'; | SELECT 2;",
			  "backslash is not an escape in a standard string");
	CHECK_STR(split("SELECT E'a\\';b'; SELECT 2;"), "SELECT E'a\\';b'; | SELECT 2;", "E'' backslash escape");
	CHECK_STR(split("SELECT e'\\\\'; SELECT 2;"), "SELECT e'\\\\'; | SELECT 2;", "e'' escaped backslash");
	CHECK_STR(split("SELECT some'x;'; SELECT 2;"), "SELECT some'x;'; | SELECT 2;", "identifier ending in e is no E string");
	CHECK_STR(split("SELECT U&'d\\0061t;a'; SELECT 2;"), "SELECT U&'d\\0061t;a'; | SELECT 2;", "U& string");
	CHECK_STR(split("SELECT \"a;\"\"b\" FROM t; SELECT 2;"), "SELECT \"a;\"\"b\" FROM t; | SELECT 2;", "quoted identifier");
	CHECK_STR(split("SELECT $$a;b$$; SELECT 2;"), "SELECT $$a;b$$; | SELECT 2;", "dollar quote");
	CHECK_STR(split("SELECT $fn$ $$;$$ $x$ ; $fn$; SELECT 2;"),
			  "SELECT $fn$ $$;$$ $x$ ; $fn$; | SELECT 2;", "tagged dollar quote containing others");
	CHECK_STR(split("PREPARE p AS SELECT $1; SELECT 2;"), "PREPARE p AS SELECT $1; | SELECT 2;", "$1 is a parameter");
	CHECK_STR(split("SELECT a$b$c; SELECT 2;"), "SELECT a$b$c; | SELECT 2;", "dollar inside identifier");
	CHECK_STR(split("SELECT 1 -- x; y\n; SELECT 2;"), "SELECT 1 -- x; y\n; | SELECT 2;", "semicolon in line comment");
	CHECK_STR(split("SELECT /* a /* nested; */ b; */ 1; SELECT 2;"),
			  "SELECT /* a /* nested; */ b; */ 1; | SELECT 2;", "nested block comment");
	CHECK_STR(split("CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2;"),
			  "CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); | SELECT 2;",
			  "semicolon inside parentheses");
	CHECK_STR(split("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT 2;"),
			  "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; | SELECT 2;",
			  "SQL-standard function body");
	CHECK_STR(split("create or replace procedure p() begin atomic insert into t values (1); end; select 2;"),
			  "create or replace procedure p() begin atomic insert into t values (1); end; | select 2;",
			  "CREATE OR REPLACE PROCEDURE body, lower case");
	CHECK_STR(split("BEGIN; SELECT 1; END;"), "BEGIN; | SELECT 1; | END;", "BEGIN outside a routine is a statement");
	CHECK_STR(split("CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT 2;"),
			  "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; | SELECT 2;",
			  "plpgsql body in dollar quotes");
	CHECK_STR(split("CREATE INDEX CONCURRENTLY i ON t (a);\r\nDROP INDEX CONCURRENTLY j;\r\n"),
			  "CREATE INDEX CONCURRENTLY i ON t (a); | DROP INDEX CONCURRENTLY j;", "CRLF input");
	CHECK_STR(split("SELECT 1e5; SELECT 0x1F;"), "SELECT 1e5; | SELECT 0x1F;", "numbers");

	CHECK_STR(split("SELECT 1;\nSELECT 'abc"), "ERROR line 2: unterminated quoted string", "unterminated string");
	CHECK_STR(split("\n\nSELECT \"abc"), "ERROR line 3: unterminated quoted identifier", "unterminated identifier");
	CHECK_STR(split("SELECT $q$ abc $Q$"), "ERROR line 1: unterminated dollar-quoted string", "unterminated dollar quote (tags are case-sensitive)");
	CHECK_STR(split("SELECT 1; /* /* */"), "ERROR line 1: unterminated /* comment", "unterminated nested comment");
	CHECK_STR(split("SELECT E'\\"), "ERROR line 1: unterminated quoted string", "backslash at end of input");

	CHECK(line_of("-- c\n\nSELECT 1;\n\n  SELECT\n2;", 0) == 3, "line of first statement");
	CHECK(line_of("-- c\n\nSELECT 1;\n\n  SELECT\n2;", 1) == 5, "line of second statement");
	CHECK(line_of("SELECT 'a\nb\nc'; /* x\ny */ SELECT $$\n$$; SELECT 3;", 2) == 5, "lines counted inside quotes and comments");

	{
		pm_stmtlist l;
		const char *s = "  SELECT 1 ;  -- x\nSELECT 2";

		bool		ok = pm_sql_split(s, strlen(s), &l, NULL) && l.n == 2;

		/* (CHECK evaluates its condition twice: no side effects in it) */
		CHECK(ok, "offsets: two statements");
		CHECK(l.items[0].start == 2 && l.items[0].end == 12 && l.items[0].terminated, "offsets of the first");
		CHECK(l.items[1].start == 19 && l.items[1].end == 27 && !l.items[1].terminated, "offsets of the last");
		pm_stmtlist_free(&l);
	}
	{
		/* NUL bytes in the input are just bytes */
		const char	s[] = "SELECT '\0;'; SELECT 2;";
		pm_stmtlist l;
		bool		ok = pm_sql_split(s, sizeof(s) - 1, &l, NULL) && l.n == 2;

		CHECK(ok, "NUL byte inside a string");
		pm_stmtlist_free(&l);
	}
	CHECK(pm_sql_is_empty("  -- nothing\n ; /* x */"), "pm_sql_is_empty on comments");
	CHECK(!pm_sql_is_empty("SELECT 1"), "pm_sql_is_empty on a statement");

	UNIT_DONE();
}
