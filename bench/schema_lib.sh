# bench/schema_lib.sh: what bench/snapshot.sh and bench/diff.sh share
# (sourced, not run): the re-execution inside a throwaway cluster, issue 10's
# bench schema, and the timing helpers.

# bench_in_cluster SCRIPT ARGS...: unless already inside, run SCRIPT again
# in a throwaway cluster (test/with_cluster.sh: the PostgreSQL copy in
# PGMIG_PG_ROOT, or pg_virtualenv) and exit with its status
bench_in_cluster() {
  if [ -z "${PGMIG_BENCH_INSIDE:-}" ]; then
    export PGMIG_BENCH_INSIDE=1
    exec bash "$(dirname "${BASH_SOURCE[0]}")/../test/with_cluster.sh" bash "$@"
  fi
}

# make_schema DB N: schema bench with N tables of 10 columns (id primary
# key, parent_id referencing the previous table, 8 more of mixed types),
# 2 indexes each (the primary key's and one on c3), 1 FK each, and a view
# per 10 tables: the schema issue 10 names for the snapshot+diff target.
# Committed every 200 tables (one transaction for 10,000 tables would
# overflow the lock table).
make_schema() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<SQL
SET client_min_messages = warning;
SET pgmig.guard = off;
CREATE SCHEMA bench;
CREATE PROCEDURE pg_temp.make(n integer) LANGUAGE plpgsql AS \$\$
BEGIN
  FOR i IN 1..n LOOP
    EXECUTE format('CREATE TABLE bench.t_%s (id integer PRIMARY KEY, parent_id integer %s,'
                   ' c3 text NOT NULL DEFAULT %L, c4 integer, c5 bigint, c6 numeric(12,2),'
                   ' c7 timestamptz DEFAULT now(), c8 boolean, c9 jsonb, c10 varchar(40))',
                   i, CASE WHEN i > 1 THEN format('REFERENCES bench.t_%s (id)', i - 1) ELSE '' END, 'x');
    EXECUTE format('CREATE INDEX t_%s_c3 ON bench.t_%s (c3)', i, i);
    IF i % 10 = 0 THEN
      EXECUTE format('CREATE VIEW bench.v_%s AS SELECT a.id, a.c3, b.c4 FROM bench.t_%s a'
                     ' JOIN bench.t_%s b ON b.id = a.parent_id', i, i, i - 1);
    END IF;
    IF i % 200 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$;
CALL pg_temp.make($2);
SQL
}

ms_now() { date +%s%N | cut -c1-13; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_call DB SQL: "WALL CPU", the median (of REPS) wall-clock ms around a
# new psql (connection, a fresh backend, and the transfer of the result to
# psql, written to /dev/null, included) and the median CPU ms of that
# backend (utime+stime from its /proc/self/stat, 10 ms ticks; much less
# disturbed by other load on shared cores; needs a superuser for
# pg_read_file)
CPU_NOW="SELECT s[12]::bigint + s[13]::bigint AS t FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS s) x"
time_call() {
  local i t0 t1 walls=() cpus=() cpu
  for ((i = 0; i < REPS; i++)); do
    t0=$(ms_now)
    cpu=$(psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" <<SQL
$CPU_NOW \gset c0_
$2 \g /dev/null
SELECT (($CPU_NOW) - :c0_t) * 10;
SQL
)
    t1=$(ms_now)
    walls+=($((t1 - t0)))
    cpus+=("$cpu")
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median)"
}
