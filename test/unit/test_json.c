/*
 * test_json.c: unit tests of the strict JSON reader (json.c).
 */
#include "json.h"
#include "unit.h"

#include <stdlib.h>

/* parse, and return "ok" or the error message (static buffer) */
static const char *
parse(const char *s)
{
	static char out[600];
	pm_error	err;
	pm_json    *v = pm_json_parse(s, strlen(s), &err);

	if (v == NULL)
	{
		snprintf(out, sizeof(out), "%s", err.msg);
		return out;
	}
	pm_json_free(v);
	return "ok";
}

/* parse and write back compactly */
static const char *
roundtrip(const char *s)
{
	static char out[600];
	pm_error	err;
	pm_json    *v = pm_json_parse(s, strlen(s), &err);
	pm_buf		b;

	if (v == NULL)
	{
		snprintf(out, sizeof(out), "%s", err.msg);
		return out;
	}
	pm_buf_init(&b);
	pm_json_write(&b, v);
	snprintf(out, sizeof(out), "%s", b.data);
	pm_buf_free(&b);
	pm_json_free(v);
	return out;
}

int
main(void)
{
	pm_error	err;
	pm_json    *v,
			   *w;

	/* values of every type */
	CHECK_STR(roundtrip(" {\"b\": [1, -2.5e3, true, false, null], \"a\": \"x\"} "),
			  "{\"a\":\"x\",\"b\":[1,-2.5e3,true,false,null]}", "object keys sorted, values kept");
	/* jsonb's key order: shorter first, then bytes (as PostgreSQL prints) */
	CHECK_STR(roundtrip("{\"bb\": 1, \"a\": 2, \"ab\": 3, \"b\": 4, \"aaa\": 5}"),
			  "{\"a\":2,\"b\":4,\"ab\":3,\"bb\":1,\"aaa\":5}", "object keys in jsonb's order");
	CHECK(pm_json_key_cmp("b", "aa") < 0 && pm_json_key_cmp("aa", "ab") < 0 &&
		  pm_json_key_cmp("ab", "ab") == 0 && pm_json_key_cmp("abc", "b") > 0, "pm_json_key_cmp");
	CHECK_STR(parse("{\"kind\":1,\"a\":0,\"kind\":2}"),
			  "invalid JSON: duplicate key \"kind\" in the object ending at offset 25",
			  "duplicate key apart from its twin");
	CHECK_STR(roundtrip("[]"), "[]", "empty array");
	CHECK_STR(roundtrip("{}"), "{}", "empty object");
	CHECK_STR(roundtrip("{\"a\": {}, \"b\": [], \"c\": [{}, [], {\"d\": []}]}"),
			  "{\"a\":{},\"b\":[],\"c\":[{},[],{\"d\":[]}]}", "empty members nested in objects and arrays");

	/*
	 * the parser's item stack grows past its first size (256) while outer
	 * arrays and objects are still open, and their items stay right
	 */
	{
		pm_buf		big;
		int			i;

		pm_buf_init(&big);
		pm_buf_puts(&big, "{\"z\": [");
		for (i = 0; i < 1000; i++)
			pm_buf_printf(&big, "%s{\"k%d\": [%d, \"s%d\"]}", i ? ", " : "", i, i, i);
		pm_buf_puts(&big, "], \"a\": 1}");
		v = pm_json_parse(big.data, big.len, &err);
		CHECK(v != NULL && pm_json_get(v, "z")->n == 1000, "1,000 items in an array inside an object");
		CHECK_STR(pm_json_get(v, "z")->items[999].keys[0], "k999", "the last item's key");
		CHECK_STR(pm_json_get(v, "z")->items[999].items[0].items[1].str, "s999", "the last item's string");
		CHECK_STR(pm_json_get(v, "a")->str, "1", "a member after the big array");

		/* a string put into the tree later is the tree's to free */
		pm_json_set_str(v, (pm_json *) pm_json_get(v, "a"), pm_strdup("renamed"));
		CHECK_STR(pm_json_get(v, "a")->str, "renamed", "pm_json_set_str replaces a value");
		CHECK(pm_json_get(v, "a")->len == 7, "and its length");
		pm_json_free(v);
		pm_buf_free(&big);
	}
	/*
	 * A tree far bigger than the first chunk (256 kB): the arena grows into
	 * chunks of one huge page and more (pm_malloc_large), an array's items
	 * bigger than a quarter chunk get a block of their own, and every value
	 * stays where it was put; written back, the text is the input.
	 */
	{
		pm_buf		big;
		pm_buf		out;
		int			i;

		pm_buf_init(&big);
		pm_buf_puts(&big, "{\"z\":\"end\",\"objects\":[");
		for (i = 0; i < 200000; i++)
			pm_buf_printf(&big, "%s{\"id\":\"o%d\",\"ok\":true,\"deps\":[\"d%d\",%d]}",
						  i ? "," : "", i, i, i);
		pm_buf_puts(&big, "]}");
		v = pm_json_parse(big.data, big.len, &err);
		CHECK(v != NULL && pm_json_get(v, "objects")->n == 200000, "200,000 objects (a tree of 40 MB)");
		CHECK_STR(pm_json_str(&pm_json_get(v, "objects")->items[0], "id"), "o0", "the first object");
		CHECK_STR(pm_json_str(&pm_json_get(v, "objects")->items[123456], "id"), "o123456", "one in the middle");
		CHECK_STR(pm_json_get(&pm_json_get(v, "objects")->items[199999], "deps")->items[1].str, "199999",
				  "the last object's number");
		CHECK_STR(pm_json_str(v, "z"), "end", "a member before the big array");
		pm_buf_init(&out);
		pm_json_write(&out, v);
		CHECK(out.len == big.len && memcmp(out.data, big.data, big.len) == 0, "written back byte for byte");
		pm_buf_free(&out);
		pm_json_free(v);
		pm_buf_free(&big);
	}

	/* pm_malloc_large: any size, all of it writable, freed by pm_free_large */
	{
		size_t		sizes[] = {1, 4096, 2 * 1024 * 1024 - 64, 2 * 1024 * 1024, 5 * 1024 * 1024 + 3};
		int			i;
		bool		ok = true;

		for (i = 0; i < 5; i++)
		{
			unsigned char *p = pm_malloc_large(sizes[i]);

			memset(p, 0xa5, sizes[i]);
			ok = ok && p[0] == 0xa5 && p[sizes[i] - 1] == 0xa5;
			pm_free_large(p);
		}
		pm_free_large(NULL);
		CHECK(ok, "pm_malloc_large blocks of 1 byte to 5 MB are writable and freed");
	}
	CHECK_STR(roundtrip("0"), "0", "scalar zero");
	CHECK_STR(roundtrip("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), "\"\\\"\\\\/\\u0008\\u000c\\n\\u000d\\t\"",
			  "every short escape");
	CHECK_STR(roundtrip("\"\\u00e9\\u20ac\""), "\"\xc3\xa9\xe2\x82\xac\"", "\\u escapes become UTF-8");
	CHECK_STR(roundtrip("\"\\ud83d\\ude00\""), "\"\xf0\x9f\x98\x80\"", "surrogate pair becomes one code point");
	CHECK_STR(roundtrip("\"caf\xc3\xa9\""), "\"caf\xc3\xa9\"", "raw UTF-8 passes through");

	/* errors name the offset and what was expected */
	CHECK_STR(parse(""), "invalid JSON at offset 0: unexpected end of input, expected a value", "empty input");
	CHECK_STR(parse("[1,]"), "invalid JSON at offset 3: expected a value", "trailing comma in array");
	CHECK_STR(parse("{\"a\":1,}"), "invalid JSON at offset 7: expected a string key", "trailing comma in object");
	CHECK_STR(parse("{\"a\" 1}"), "invalid JSON at offset 5: expected ':' after an object key", "missing colon");
	CHECK_STR(parse("01"), "invalid JSON at offset 1: leading zero in a number", "leading zero");
	CHECK_STR(parse("1."), "invalid JSON at offset 2: expected a digit after the decimal point", "bare decimal point");
	CHECK_STR(parse("1e"), "invalid JSON at offset 2: expected a digit in the exponent", "bare exponent");
	CHECK_STR(parse("-"), "invalid JSON at offset 1: expected a digit", "bare minus");
	CHECK_STR(parse("tru"), "invalid JSON at offset 0: expected a value", "truncated literal");
	CHECK_STR(parse("\"abc"), "invalid JSON at offset 4: unterminated string", "unterminated string");
	CHECK_STR(parse("\"a\nb\""), "invalid JSON at offset 2: control character in a string (must be escaped)",
			  "raw newline in a string");
	CHECK_STR(parse("\"\\x\""), "invalid JSON at offset 2: invalid escape", "unknown escape");
	CHECK_STR(parse("\"\\u12\""), "invalid JSON at offset 3: expected four hex digits after \\u", "short \\u");
	CHECK_STR(parse("\"\\u0000\""), "invalid JSON at offset 7: \\u0000 cannot be stored in text", "\\u0000 refused");
	CHECK_STR(parse("\"\\ud800\""), "invalid JSON at offset 7: high surrogate not followed by \\u low surrogate",
			  "lone high surrogate");
	CHECK_STR(parse("\"\\ud800\\u0041\""), "invalid JSON at offset 9: high surrogate not followed by a low surrogate",
			  "high surrogate then a non-surrogate");
	CHECK_STR(parse("\"\\udc00\""), "invalid JSON at offset 7: lone low surrogate", "lone low surrogate");
	CHECK_STR(parse("{} x"), "invalid JSON at offset 3: text after the JSON value", "text after the value");
	CHECK_STR(parse("{\"a\":1,\"a\":2}"), "invalid JSON: duplicate key \"a\" in the object ending at offset 13",
			  "duplicate key");
	CHECK_STR(parse("// c\n1"), "invalid JSON at offset 0: expected a value", "no comments");
	{
		char		deep[1000];
		int			i;

		for (i = 0; i < 300; i++)
			deep[i] = '[';
		deep[300] = '\0';
		CHECK_STR(parse(deep), "invalid JSON at offset 201: nested too deeply", "nesting limit");
	}
	{
		/* a NUL byte inside the input is not the end of it */
		pm_json    *n = pm_json_parse("[1]\0", 4, &err);

		CHECK(n == NULL && strstr(err.msg, "offset 3") != NULL, "NUL after the value is text after it");
		pm_json_free(n);
	}

	/* lookup and equality */
	v = pm_json_parse("{\"k\": \"v\", \"t\": true, \"n\": null, \"o\": {\"x\": [1, 2]}}", strlen("{\"k\": \"v\", \"t\": true, \"n\": null, \"o\": {\"x\": [1, 2]}}"), &err);
	CHECK(v != NULL, "document parses");
	CHECK_STR(pm_json_str(v, "k"), "v", "string member");
	CHECK(pm_json_str(v, "n") == NULL, "null member is no string");
	CHECK(pm_json_str(v, "missing") == NULL, "absent member");
	CHECK(pm_json_bool(v, "t") && !pm_json_bool(v, "k"), "bool member");
	w = pm_json_parse("{\"o\": {\"x\": [1, 2]}, \"n\": null, \"t\": true, \"k\": \"v\"}", strlen("{\"o\": {\"x\": [1, 2]}, \"n\": null, \"t\": true, \"k\": \"v\"}"), &err);
	CHECK(w != NULL && pm_json_equal(v, w), "equal whatever the key order");
	pm_json_free(w);
	w = pm_json_parse("{\"o\": {\"x\": [2, 1]}, \"n\": null, \"t\": true, \"k\": \"v\"}", strlen("{\"o\": {\"x\": [2, 1]}, \"n\": null, \"t\": true, \"k\": \"v\"}"), &err);
	CHECK(w != NULL && !pm_json_equal(v, w), "array order matters");
	pm_json_free(w);
	pm_json_free(v);
	UNIT_DONE();
}
