/*
 * bench/first_call_cpu.c: CPU time a backend spends on the first call in a
 * NEW connection (issue #13), read from /proc/PID/schedstat (nanoseconds the
 * backend ran on a CPU: other load on the machine barely disturbs it, unlike
 * wall-clock time).  Built and run by bench/first_call_cpu.sh.
 *
 *	first_call_cpu CONNINFO REPS SQL [SQL ...]
 *
 * For every statement, REPS times: open a new connection (the backend's pid
 * comes from libpq, no query is sent), read the backend's CPU time, run the
 * statement (autocommit) and read its whole result, read the CPU time
 * again.  Prints "min median max" in ms, the backend's largest private
 * peak memory (VmHWM less the shared memory it touched, RssShmem, in MB:
 * what the memory target is about), the median number of minor
 * page faults the statement cost the backend (/proc/PID/stat: every page of
 * new private memory and every shared buffer a new process touches for the
 * first time is one; on a VM where a fault costs 10-15 us they are most of
 * a first call, and unlike time they do not vary from run to run), and the
 * statement.  The backend must run on this machine and its /proc entry be
 * readable (root or the server's user).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

static double
cpu_ms(int pid)
{
	char		path[64];
	FILE	   *f;
	unsigned long long ns = 0;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%llu", &ns) != 1)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return ns / 1e6;
}

/* minor page faults of the process so far: field 10 of /proc/PID/stat */
static long
minflt(int pid)
{
	char		path[64];
	char		buf[1024];
	FILE	   *f;
	size_t		len;
	char	   *p;
	long		v = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* after the command name, which may hold spaces: state is field 3 */
	p = strrchr(buf, ')');
	if (p != NULL)
		(void) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %ld", &v);
	return v;
}

static int
cmp_long(const void *a, const void *b)
{
	long		x = *(const long *) a;
	long		y = *(const long *) b;

	return x < y ? -1 : x > y;
}

static long
peak_mb(int pid)
{
	char		path[64];
	char		line[256];
	FILE	   *f;
	long		hwm = 0;
	long		shmem = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
	{
		(void) sscanf(line, "VmHWM: %ld kB", &hwm);
		(void) sscanf(line, "RssShmem: %ld kB", &shmem);
	}
	fclose(f);
	return (hwm - shmem) / 1024;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int			reps;
	int			s;

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s CONNINFO REPS SQL...\n", argv[0]);
		return 2;
	}
	reps = atoi(argv[2]);
	for (s = 3; s < argc; s++)
	{
		double	   *ms = calloc(reps, sizeof(double));
		long	   *flt = calloc(reps, sizeof(long));
		long		peak = 0;
		int			r;

		for (r = 0; r < reps; r++)
		{
			PGconn	   *conn = PQconnectdb(argv[1]);
			PGresult   *res;
			double		t0;
			long		f0;
			int			pid;

			if (PQstatus(conn) != CONNECTION_OK)
			{
				fprintf(stderr, "%s", PQerrorMessage(conn));
				return 1;
			}
			pid = PQbackendPID(conn);
			f0 = minflt(pid);
			t0 = cpu_ms(pid);
			res = PQexec(conn, argv[s]);
			ms[r] = cpu_ms(pid) - t0;
			flt[r] = minflt(pid) - f0;
			if (peak_mb(pid) > peak)
				peak = peak_mb(pid);
			if (PQresultStatus(res) != PGRES_TUPLES_OK &&
				PQresultStatus(res) != PGRES_COMMAND_OK)
			{
				fprintf(stderr, "%s: %s", argv[s], PQresultErrorMessage(res));
				return 1;
			}
			PQclear(res);
			PQfinish(conn);
		}
		qsort(ms, reps, sizeof(double), cmp_double);
		qsort(flt, reps, sizeof(long), cmp_long);
		printf("%8.1f %8.1f %8.1f %6ld %7ld  %s\n", ms[0], ms[reps / 2], ms[reps - 1], peak,
			   flt[reps / 2], argv[s]);
		fflush(stdout);
		free(ms);
		free(flt);
	}
	return 0;
}
