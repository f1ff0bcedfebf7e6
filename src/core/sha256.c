/*-------------------------------------------------------------------------
 *
 * sha256.c
 *	  SHA-256 (FIPS 180-4, section 6.2) and the revision checksum.
 *
 * pgmig needs a digest in three places that must agree bit for bit: the
 * server (checksum column, drift detection), the client (which shows and
 * compares checksums without a round trip) and the tests.  Linking
 * OpenSSL or PostgreSQL's cryptohash into the server-free core would tie
 * it to one of those programs, so the core carries its own small
 * implementation.  Speed is irrelevant here (scripts are small), so the
 * code favours being an obvious transcription of the standard.
 *
 * pm_checksum() defines what a revision's checksum covers; its exact byte
 * layout is documented in revfile.h and is part of the on-disk contract
 * (pgmig.revision.checksum, pgmig.applied.checksum): changing it would
 * make every applied revision look edited.
 *
 *-------------------------------------------------------------------------
 */
#include "revfile.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * K: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2).
 */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

/*
 * H(0): the first 32 bits of the fractional parts of the square roots of
 * the first 8 primes (FIPS 180-4, 5.3.3).
 */
static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* The functions of FIPS 180-4, 4.1.2 (all arithmetic is mod 2^32). */
#define ROTR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)	(ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x)	(ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x)	(ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x)	(ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

/*
 * Process one 512-bit block (FIPS 180-4, 6.2.2).  The block is read as
 * big-endian words byte by byte, so the code does not depend on the
 * host's byte order or on the alignment of the input.
 */
static void
sha256_block(pm_sha256_ctx *c, const unsigned char *block)
{
	uint32_t	w[64];
	uint32_t	a,
				b,
				d,
				e,
				f,
				g,
				h,
				cc;
	int			t;

	for (t = 0; t < 16; t++)
		w[t] = ((uint32_t) block[4 * t] << 24) |
			((uint32_t) block[4 * t + 1] << 16) |
			((uint32_t) block[4 * t + 2] << 8) |
			(uint32_t) block[4 * t + 3];
	for (t = 16; t < 64; t++)
		w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];

	a = c->state[0];
	b = c->state[1];
	cc = c->state[2];
	d = c->state[3];
	e = c->state[4];
	f = c->state[5];
	g = c->state[6];
	h = c->state[7];

	for (t = 0; t < 64; t++)
	{
		uint32_t	t1 = h + BSIG1(e) + CH(e, f, g) + sha256_k[t] + w[t];
		uint32_t	t2 = BSIG0(a) + MAJ(a, b, cc);

		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = cc;
		cc = b;
		b = a;
		a = t1 + t2;
	}

	/*
	 * state[] is declared unsigned int in the public header; on every
	 * platform PostgreSQL supports that is 32 bits, and the explicit mask
	 * keeps the value right even if it were wider.
	 */
	c->state[0] = (uint32_t) (c->state[0] + a);
	c->state[1] = (uint32_t) (c->state[1] + b);
	c->state[2] = (uint32_t) (c->state[2] + cc);
	c->state[3] = (uint32_t) (c->state[3] + d);
	c->state[4] = (uint32_t) (c->state[4] + e);
	c->state[5] = (uint32_t) (c->state[5] + f);
	c->state[6] = (uint32_t) (c->state[6] + g);
	c->state[7] = (uint32_t) (c->state[7] + h);
}

void
pm_sha256_init(pm_sha256_ctx *c)
{
	int			i;

	for (i = 0; i < 8; i++)
		c->state[i] = sha256_h0[i];
	c->bitlen = 0;
	c->buflen = 0;
	memset(c->buf, 0, sizeof(c->buf));
}

void
pm_sha256_update(pm_sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len == 0)
		return;

	/* The message length is kept modulo 2^64 bits, as the standard says. */
	c->bitlen += (unsigned long long) len * 8;

	/* Top up a partly filled block first. */
	if (c->buflen > 0)
	{
		size_t		take = 64 - c->buflen;

		if (take > len)
			take = len;
		memcpy(c->buf + c->buflen, p, take);
		c->buflen += take;
		p += take;
		len -= take;
		if (c->buflen < 64)
			return;
		sha256_block(c, c->buf);
		c->buflen = 0;
	}

	/* Whole blocks straight from the input. */
	while (len >= 64)
	{
		sha256_block(c, p);
		p += 64;
		len -= 64;
	}

	/* Keep the tail for the next call or for final. */
	if (len > 0)
	{
		memcpy(c->buf, p, len);
		c->buflen = len;
	}
}

void
pm_sha256_final(pm_sha256_ctx *c, unsigned char out[32])
{
	unsigned long long bitlen = c->bitlen;
	int			i;

	/*
	 * Padding (FIPS 180-4, 5.1.1): a 1 bit, zeros up to 448 bits mod 512,
	 * then the message length in bits as a 64-bit big-endian number.  When
	 * fewer than 8 bytes remain after the 1 bit, the length goes into an
	 * extra block.
	 */
	c->buf[c->buflen++] = 0x80;
	if (c->buflen > 56)
	{
		memset(c->buf + c->buflen, 0, 64 - c->buflen);
		sha256_block(c, c->buf);
		c->buflen = 0;
	}
	memset(c->buf + c->buflen, 0, 56 - c->buflen);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (unsigned char) (bitlen >> (56 - 8 * i));
	sha256_block(c, c->buf);

	for (i = 0; i < 8; i++)
	{
		out[4 * i] = (unsigned char) (c->state[i] >> 24);
		out[4 * i + 1] = (unsigned char) (c->state[i] >> 16);
		out[4 * i + 2] = (unsigned char) (c->state[i] >> 8);
		out[4 * i + 3] = (unsigned char) c->state[i];
	}

	/* Don't leave message material lying around in the context. */
	memset(c, 0, sizeof(*c));
}

/* "H0" "H1" .. "Hf" for one first digit H */
#define HEX_PAIRS(h) h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" \
	h "8" h "9" h "a" h "b" h "c" h "d" h "e" h "f"

/*
 * One copy of two digits a byte, no shift or mask per digit: check()
 * prints the stored checksum of every applied revision this way to compare
 * it with the row's text (50,000 of them at 100,000 revisions).
 */
void
pm_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char pairs[] = HEX_PAIRS("0") HEX_PAIRS("1") HEX_PAIRS("2")
		HEX_PAIRS("3") HEX_PAIRS("4") HEX_PAIRS("5") HEX_PAIRS("6")
		HEX_PAIRS("7") HEX_PAIRS("8") HEX_PAIRS("9") HEX_PAIRS("a")
		HEX_PAIRS("b") HEX_PAIRS("c") HEX_PAIRS("d") HEX_PAIRS("e")
		HEX_PAIRS("f");
	size_t		i;

	for (i = 0; i < n; i++)
		memcpy(out + 2 * i, pairs + 2 * in[i], 2);
}

void
pm_sha256_final_hex(pm_sha256_ctx *c, char out[65])
{
	unsigned char digest[32];

	pm_sha256_final(c, digest);
	pm_hex_encode(digest, 32, out);
	out[64] = '\0';
}

/*
 * Feed one normalised script into the digest.  A NULL script is hashed as
 * empty: the header promises upgrade is never NULL, but a checksum must
 * not crash on a malformed row.
 */
static void
checksum_script(pm_sha256_ctx *c, const char *s)
{
	size_t		nlen;
	char	   *norm;

	if (s == NULL)
		s = "";
	norm = pm_normalize_script(s, strlen(s), &nlen);
	pm_sha256_update(c, norm, nlen);
	pm_free(norm);
}

/*
 * The revision checksum, as documented in revfile.h.  The NUL bytes after
 * each script make the encoding unambiguous: a normalised script never
 * contains NUL (it comes from a C string), so no choice of scripts can
 * make "up" text run into the "down" part and collide with another pair.
 * "nodown" is distinct from "down\n" followed by anything, so an
 * irreversible revision never has the checksum of one with an empty down
 * script.
 */
void
pm_checksum(const char *upgrade, const char *downgrade, bool transactional,
			char out[65])
{
	pm_sha256_ctx c;

	pm_sha256_init(&c);

	pm_sha256_update(&c, "up\n", 3);
	checksum_script(&c, upgrade);
	pm_sha256_update(&c, "", 1);	/* the terminating NUL byte */

	if (downgrade != NULL)
	{
		pm_sha256_update(&c, "down\n", 5);
		checksum_script(&c, downgrade);
		pm_sha256_update(&c, "", 1);
	}
	else
		pm_sha256_update(&c, "nodown", 7);	/* 6 letters and the NUL */

	pm_sha256_update(&c, "transactional\n", 14);
	if (transactional)
		pm_sha256_update(&c, "true", 4);
	else
		pm_sha256_update(&c, "false", 5);

	pm_sha256_final_hex(&c, out);
}

/* one field of the load digest: "LEN:" and the bytes */
static void
digest_field(pm_sha256_ctx *c, const char *s)
{
	char		len[24];

	if (s == NULL)
		s = "";
	snprintf(len, sizeof(len), "%zu:", strlen(s));
	pm_sha256_update(c, len, strlen(len));
	pm_sha256_update(c, s, strlen(s));
}

/* The load digest, as documented in revfile.h. */
void
pm_revision_digest(const char *id, const char *down_revision,
				   const char *depends_on, const char *branch_labels,
				   const char *message, const char *checksum,
				   int upgrade_line, int downgrade_line, char out[65])
{
	pm_sha256_ctx c;
	char		lines[32];

	pm_sha256_init(&c);
	digest_field(&c, id);
	digest_field(&c, down_revision);
	digest_field(&c, depends_on);
	digest_field(&c, branch_labels);
	digest_field(&c, message);
	digest_field(&c, checksum);
	snprintf(lines, sizeof(lines), "%d,%d", upgrade_line > 0 ? upgrade_line : 0,
			 downgrade_line > 0 ? downgrade_line : 0);
	digest_field(&c, lines);
	pm_sha256_final_hex(&c, out);
}
