/*
 * unit.h: a minimal TAP-style harness for pgmig's core unit tests.
 *
 * CHECK(cond, "what") prints "ok N - what" or "not ok N - what"; main()
 * ends with UNIT_DONE(), which prints "N passed, N failed" and returns
 * non-zero when anything failed.
 */
#ifndef PGMIG_UNIT_H
#define PGMIG_UNIT_H

#include <stdio.h>
#include <string.h>

static int	unit_passed = 0;
static int	unit_failed = 0;

#define CHECK(cond, ...) do { \
	int unit_n_ = unit_passed + unit_failed + 1; \
	int unit_ok_ = (cond) ? 1 : 0;	/* evaluate once */ \
	if (unit_ok_) { unit_passed++; printf("ok %d - ", unit_n_); } \
	else { unit_failed++; printf("not ok %d - ", unit_n_); } \
	printf(__VA_ARGS__); \
	printf("%s\n", unit_ok_ ? "" : "   <-- FAILED at " __FILE__); \
} while (0)

#define CHECK_STR(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	int eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	CHECK(eq_, "%s", what); \
	if (!eq_) printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define UNIT_DONE() do { \
	printf("%d passed, %d failed\n", unit_passed, unit_failed); \
	return unit_failed ? 1 : 0; \
} while (0)

#endif
