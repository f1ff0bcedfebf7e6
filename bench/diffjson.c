/*
 * bench/diffjson.c: time the diff engine on two snapshot files.
 * Prints "WALL_MS STEPS CPU_MS" for one direction (DOWNGRADE=1: both);
 * the CPU time is the one to read on a shared machine.
 */
#include "schemadiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *b;
	long		n;

	if (f == NULL)
		exit(2);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc(n + 1);
	*len = fread(b, 1, n, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

int
main(int argc, char **argv)
{
	size_t		na,
				nb;
	char	   *a,
			   *b;
	pm_diff		d;
	pm_error	err;
	struct timespec t0,
				t1,
				c0,
				c1;

	if (argc != 3)
		return 2;
	a = slurp(argv[1], &na);
	b = slurp(argv[2], &nb);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if (!(getenv("DOWNGRADE") ? pm_schema_diff : pm_schema_diff_upgrade) (a, na, b, nb, NULL, 0, &d, &err))
	{
		fprintf(stderr, "diff failed: %s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("%ld %d %ld\n", (long) ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000), d.n,
		   (long) ((c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000));
	pm_diff_free(&d);
	return 0;
}
