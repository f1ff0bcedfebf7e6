/*
 * test_sha256.c: SHA-256 against the FIPS 180-4 example vectors, the
 * padding boundaries, incremental updates, and the revision checksum
 * (its byte layout is pinned: stored checksums depend on it).
 */
#include "revfile.h"
#include "unit.h"

#include <stdlib.h>

static void
to_hex(const unsigned char *d, char *out)
{
	static const char hx[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++)
	{
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

/* Digest of data in one update. */
static void
sha_hex(const void *data, size_t len, char *out)
{
	pm_sha256_ctx c;
	unsigned char d[32];

	pm_sha256_init(&c);
	pm_sha256_update(&c, data, len);
	pm_sha256_final(&c, d);
	to_hex(d, out);
}

/* Digest of data fed in pieces of `step` bytes. */
static void
sha_hex_steps(const char *data, size_t len, size_t step, char *out)
{
	pm_sha256_ctx c;
	unsigned char d[32];
	size_t		i;

	pm_sha256_init(&c);
	for (i = 0; i < len; i += step)
		pm_sha256_update(&c, data + i, len - i < step ? len - i : step);
	pm_sha256_final(&c, d);
	to_hex(d, out);
}

static void
test_fips_vectors(void)
{
	char		hex[65];
	char	   *million;
	pm_sha256_ctx c;
	unsigned char d[32];
	int			i;

	sha_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			  "sha256 of the empty message");

	sha_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			  "sha256 of \"abc\" (one block)");

	sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
			  "sha256 of the 448-bit message (two blocks)");

	sha_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, hex);
	CHECK_STR(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
			  "sha256 of the 896-bit message");

	million = malloc(1000000);
	memset(million, 'a', 1000000);
	sha_hex(million, 1000000, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			  "sha256 of one million 'a' in one update");
	sha_hex_steps(million, 1000000, 1000, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			  "sha256 of one million 'a' in 1000-byte updates");
	free(million);

	/* the same, one byte at a time, as FIPS describes the message */
	pm_sha256_init(&c);
	for (i = 0; i < 1000000; i++)
		pm_sha256_update(&c, "a", 1);
	pm_sha256_final(&c, d);
	to_hex(d, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			  "sha256 of one million 'a' byte by byte");
}

/*
 * Lengths around the padding boundaries: 55 bytes is the longest message
 * whose length fits in its last block, 56..63 need an extra block, 64 is
 * exactly one block.  Expected values from an independent implementation
 * (Python's hashlib).
 */
static void
test_padding_boundaries(void)
{
	static const struct
	{
		size_t		n;
		const char *hex;
	}			cases[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
		{120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
		{128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
		{1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
	};
	char		buf[1000];
	char		hex[65];
	size_t		i;
	size_t		steps[] = {1, 3, 7, 63, 64, 65};
	size_t		s;

	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		bool		all_steps_ok = true;

		sha_hex(buf, cases[i].n, hex);
		CHECK(strcmp(hex, cases[i].hex) == 0, "sha256 of %zu 'a'", cases[i].n);
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
		{
			sha_hex_steps(buf, cases[i].n, steps[s], hex);
			if (strcmp(hex, cases[i].hex) != 0)
				all_steps_ok = false;
		}
		CHECK(all_steps_ok, "sha256 of %zu 'a' fed in pieces of 1,3,7,63,64,65", cases[i].n);
	}

	/* an empty update in the middle changes nothing */
	{
		pm_sha256_ctx c;
		unsigned char d[32];

		pm_sha256_init(&c);
		pm_sha256_update(&c, "ab", 2);
		pm_sha256_update(&c, "", 0);
		pm_sha256_update(&c, "c", 1);
		pm_sha256_final(&c, d);
		to_hex(d, hex);
		CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
				  "zero-length update is a no-op");
	}
}

static void
test_checksum(void)
{
	char		a[65],
				b[65];

	/* Layout pinned against hashlib over the documented byte string. */
	pm_checksum("", NULL, true, a);
	CHECK_STR(a, "b139577e2dea9458c764ed147ee5569c13a73c43f3a70416db23355839e12cc5",
			  "checksum layout: empty up, no down, transactional");
	pm_checksum("CREATE TABLE t ();", "DROP TABLE t;", false, a);
	CHECK_STR(a, "8ed66c13c2977c1835eebfcff0e6abbed30367f7c5461493456239735e75c095",
			  "checksum layout: up, down, not transactional");
	pm_checksum("SELECT 1;", "", true, a);
	CHECK_STR(a, "2c9abff6b985f9155eb83a1f2c236b39f171e127c65438a381b8bc0c6649c681",
			  "checksum layout: empty down script");
	CHECK(strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64,
		  "checksum is 64 lower-case hex digits");

	/* normalisation invariance */
	pm_checksum("CREATE TABLE t (\n  id int\n);\n", "DROP TABLE t;", true, a);
	pm_checksum("CREATE TABLE t (\r\n  id int\r\n);\r\n", "DROP TABLE t;\r\n", true, b);
	CHECK_STR(b, a, "CRLF and LF give the same checksum");
	pm_checksum("CREATE TABLE t (  \n  id int\t\n); \t\n", "DROP TABLE t;   ", true, b);
	CHECK_STR(b, a, "trailing blanks on lines do not change the checksum");
	pm_checksum("CREATE TABLE t (\n  id int\n);\n\n\n   \n\t\n", "DROP TABLE t;\n\n", true, b);
	CHECK_STR(b, a, "trailing blank lines do not change the checksum");
	pm_checksum("CREATE TABLE t (\n  id int\n);", "DROP TABLE t;", true, b);
	CHECK_STR(b, a, "missing final newline does not change the checksum");

	/* what must change it */
	pm_checksum("CREATE TABLE t (\n  id int\n);\n", "DROP TABLE t;", false, b);
	CHECK(strcmp(a, b) != 0, "transactional flag changes the checksum");
	pm_checksum("SELECT 1;", NULL, true, a);
	pm_checksum("SELECT 1;", "", true, b);
	CHECK(strcmp(a, b) != 0, "NULL downgrade differs from empty downgrade");
	pm_checksum("SELECT 1;", "  \n\n", true, a);
	CHECK_STR(a, b, "all-blank downgrade equals empty downgrade");
	pm_checksum("CREATE TABLE t (\n  id int\n);", "DROP TABLE t;", true, a);
	pm_checksum("CREATE TABLE t (\n id int\n);", "DROP TABLE t;", true, b);
	CHECK(strcmp(a, b) != 0, "leading blanks are significant");
	pm_checksum("\nSELECT 1;", NULL, true, a);
	pm_checksum("SELECT 1;", NULL, true, b);
	CHECK(strcmp(a, b) != 0, "leading blank lines are significant");
	pm_checksum("a", "b", true, a);
	pm_checksum("b", "a", true, b);
	CHECK(strcmp(a, b) != 0, "swapping up and down changes the checksum");
	pm_checksum("SELECT 1;\nSELECT 2;", NULL, true, a);
	pm_checksum("SELECT 1;", "SELECT 2;", true, b);
	CHECK(strcmp(a, b) != 0, "moving text between scripts changes the checksum");
	pm_checksum("x\ry", NULL, true, a);
	pm_checksum("x\ny", NULL, true, b);
	CHECK(strcmp(a, b) != 0, "a lone CR is not a line ending");
	pm_checksum(NULL, NULL, true, a);
	pm_checksum("", NULL, true, b);
	CHECK_STR(a, b, "NULL upgrade is hashed as empty");
}

/* pm_hex_encode() of every byte value, and pm_sha256_final_hex() */
static void
test_hex(void)
{
	unsigned char all[256];
	char		out[513];
	char		want[3];
	int			i;
	int			bad = 0;
	pm_sha256_ctx c;
	char		hex[65];

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char) i;
	memset(out, '#', sizeof(out));
	pm_hex_encode(all, 256, out);
	for (i = 0; i < 256; i++)
	{
		snprintf(want, sizeof(want), "%02x", i);
		if (memcmp(out + 2 * i, want, 2) != 0)
			bad++;
	}
	CHECK(bad == 0, "every byte is written as its two lower-case hex digits");
	CHECK(out[512] == '#', "pm_hex_encode writes 2n bytes and no NUL");
	pm_hex_encode(all, 0, out);
	CHECK(out[0] == '0', "zero bytes write nothing");

	pm_sha256_init(&c);
	pm_sha256_update(&c, "abc", 3);
	memset(hex, '#', sizeof(hex));
	pm_sha256_final_hex(&c, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			  "pm_sha256_final_hex of \"abc\" (NUL-terminated)");
}

int
main(void)
{
	test_fips_vectors();
	test_hex();
	test_padding_boundaries();
	test_checksum();
	UNIT_DONE();
}
