/*
 * test_common.c: pm_common.c — script normalisation (the checksum's
 * input), name validation and the string buffer.
 */
#include "pm_common.h"
#include "unit.h"

#include <stdlib.h>

/* Normalise a C string through an exact-size heap copy (ASan-visible). */
static char *
norm(const char *s, size_t len, size_t *outlen)
{
	char	   *copy = malloc(len ? len : 1);
	char	   *r;

	memcpy(copy, s, len);
	r = pm_normalize_script(copy, len, outlen);
	free(copy);
	return r;
}

static void
check_norm(const char *in, const char *want, const char *what)
{
	size_t		outlen = 12345;
	char	   *got = norm(in, strlen(in), &outlen);

	CHECK_STR(got, want, what);
	CHECK(outlen == strlen(want), "%s: length", what);
	pm_free(got);
}

static void
test_normalize(void)
{
	size_t		outlen;
	char	   *r;

	check_norm("", "", "empty script");
	check_norm("SELECT 1;", "SELECT 1;", "single line unchanged");
	check_norm("SELECT 1;\n", "SELECT 1;", "final newline dropped");
	check_norm("a\nb\n", "a\nb", "inner newline kept");
	check_norm("a\r\nb\r\n", "a\nb", "CRLF becomes LF");
	check_norm("a  \nb\t\n", "a\nb", "trailing blanks dropped");
	check_norm("a \t \r\nb", "a\nb", "trailing blanks before CRLF dropped");
	check_norm("a\n\n\n", "a", "trailing blank lines dropped");
	check_norm("a\n  \n\t\n \r\n", "a", "trailing whitespace-only lines dropped");
	check_norm("a\n\nb", "a\n\nb", "inner blank line kept");
	check_norm("a\n   \nb", "a\n\nb", "inner blank line emptied but kept");
	check_norm("\n\na", "\n\na", "leading blank lines kept");
	check_norm("  a", "  a", "leading blanks kept");
	check_norm("a\rb", "a\rb", "lone CR kept");
	check_norm("a\r", "a\r", "lone CR at end kept");
	check_norm("a\r\r\n", "a\r", "CR before CRLF kept");
	check_norm("\n\n  \n", "", "blank-only script is empty");
	check_norm("'x  \n'", "'x\n'", "blanks dropped even inside a literal (documented)");

	/* the same text with every ending style normalises identically */
	{
		const char *lf = "CREATE TABLE t (\n  id int\n);\n";
		const char *crlf = "CREATE TABLE t (  \r\n  id int\t\r\n);\r\n\r\n  \r\n";
		char	   *a = norm(lf, strlen(lf), NULL);
		char	   *b = norm(crlf, strlen(crlf), NULL);

		CHECK_STR(b, a, "LF and CRLF-with-trailing-junk versions agree");
		pm_free(a);
		pm_free(b);
	}

	/* the length argument is honoured; NUL bytes are data */
	r = norm("ab\0cd  \n", 8, &outlen);
	CHECK(outlen == 5 && memcmp(r, "ab\0cd", 6) == 0, "embedded NUL kept, length-bounded");
	pm_free(r);
	r = norm("abc\n\nIGNORED", 5, &outlen);
	CHECK(outlen == 3 && strcmp(r, "abc") == 0, "input read only up to len");
	pm_free(r);
	r = pm_normalize_script("x", 0, &outlen);
	CHECK(outlen == 0 && r[0] == '\0', "zero length gives empty string");
	pm_free(r);
	r = pm_normalize_script("x  ", 3, NULL);
	CHECK_STR(r, "x", "outlen may be NULL");
	pm_free(r);
}

static void
test_names(void)
{
	char		long64[65],
				long65[66];

	memset(long64, 'a', 64);
	long64[64] = '\0';
	memset(long65, 'a', 65);
	long65[65] = '\0';

	CHECK(pm_valid_name("ab_12_Z", 7), "letters, digits, underscore are valid");
	CHECK(pm_valid_name(long64, 64), "64 characters valid");
	CHECK(!pm_valid_name(long65, 65), "65 characters invalid");
	CHECK(!pm_valid_name("", 0), "empty name invalid");
	CHECK(!pm_valid_name("a-b", 3), "hyphen invalid");
	CHECK(!pm_valid_name("a b", 3), "space invalid");
	CHECK(!pm_valid_name("a\0b", 3), "NUL invalid");
	CHECK(!pm_valid_name("\xc3\xa9", 2), "non-ASCII invalid");
	CHECK(pm_valid_name("ab-", 2), "length-bounded");
	{
		int			c,
					wrong = 0;

		for (c = 1; c < 256; c++)
		{
			char		one[2] = {(char) c, '\0'};
			bool		want = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				(c >= '0' && c <= '9') || c == '_';

			if (pm_valid_name(one, 1) != want)
				wrong++;
		}
		CHECK(wrong == 0, "every byte: valid exactly when an ASCII letter, a digit or an underscore");
	}

	CHECK(pm_reserved_name("head") && pm_reserved_name("heads") &&
		  pm_reserved_name("base") && pm_reserved_name("current"),
		  "head, heads, base, current reserved");
	CHECK(!pm_reserved_name("Head") && !pm_reserved_name("header") &&
		  !pm_reserved_name("bases"), "reserved words are exact and case-sensitive");
	CHECK(!pm_reserved_name("h") && !pm_reserved_name("hea") && !pm_reserved_name("b") &&
		  !pm_reserved_name("curren") && !pm_reserved_name("c") && !pm_reserved_name(""),
		  "prefixes of reserved words are not reserved");
}

static void
test_buf(void)
{
	pm_buf		b;
	int			i;

	pm_buf_init(&b);
	CHECK(b.len == 0 && b.data[0] == '\0', "new buffer is empty");
	pm_buf_puts(&b, "abc");
	pm_buf_append(&b, "defXX", 3);
	pm_buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, "abcdef42-x", "puts, append, printf");
	for (i = 0; i < 1000; i++)
		pm_buf_printf(&b, "%0300d", i);
	CHECK(b.len == 10 + 1000 * 300 && strlen(b.data) == b.len,
		  "grows past the printf scratch size");
	pm_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0, "freed buffer is reset");

	/* a large buffer grows from huge-page block to block, keeping its text */
	pm_buf_init_large(&b);
	CHECK(b.len == 0 && b.data[0] == '\0', "new large buffer is empty");
	for (i = 0; i < 20000; i++)
		pm_buf_printf(&b, "%0300d", i);
	CHECK(b.len == 20000 * 300 && strlen(b.data) == b.len && b.cap >= b.len + 1,
		  "a large buffer grows past several blocks (6 MB)");
	CHECK(strncmp(b.data + 19999 * 300 + 295, "19999", 5) == 0 &&
		  strncmp(b.data + 295, "00000", 5) == 0, "and keeps its first and last pieces");
	pm_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0, "freed large buffer is reset");
}

static void
test_errors(void)
{
	pm_error	err;

	pm_error_set(&err, PM_ERR_SYNTAX, "bad %s", "thing");
	pm_error_detail(&err, "detail %d", 1);
	pm_error_hint(&err, "hint");
	err.line = 7;
	CHECK(err.code == PM_ERR_SYNTAX && strcmp(err.msg, "bad thing") == 0 &&
		  strcmp(err.detail, "detail 1") == 0 && strcmp(err.hint, "hint") == 0,
		  "error fields set");
	pm_error_set(&err, PM_ERR_RANGE, "other");
	CHECK(err.detail[0] == '\0' && err.hint[0] == '\0' && err.line == 0,
		  "pm_error_set clears detail, hint and line");
	pm_error_set(NULL, PM_ERR_SYNTAX, "ignored");
	pm_error_hint(NULL, "ignored");
	CHECK(1, "NULL error pointer is tolerated");
}

/* issue 8 item 1: text written after "-- " in generated SQL */
static void
test_comment_text(void)
{
	char	   *c;
	int			b;

	c = pm_comment_text("a\nb\rc\\d\te\x01" "f\x7f" "g");
	CHECK_STR(c, "a\\nb\\rc\\\\d\\te\\x01f\\x7Fg", "controls and backslash escaped");
	pm_free(c);
	c = pm_comment_text("caf\xc3\xa9 ok");
	CHECK_STR(c, "caf\xc3\xa9 ok", "UTF-8 kept");
	pm_free(c);
	{
		int			bad = 0;

		for (b = 1; b < 256; b++)
		{
			char		in[2] = {(char) b, 0};
			const unsigned char *p;

			c = pm_comment_text(in);
			for (p = (const unsigned char *) c; *p; p++)
				if (*p < 0x20 || *p == 0x7f)
					bad++;
			pm_free(c);
		}
		CHECK(bad == 0, "no byte leaves a control character (%d did)", bad);
	}
}

int
main(void)
{
	test_comment_text();
	test_normalize();
	test_names();
	test_buf();
	test_errors();
	UNIT_DONE();
}
