#!/usr/bin/env bash
# bench/snapshot.sh: how long pgmig.snapshot() (and drift(), which takes one
# snapshot and compares it with the recorded one) takes on big schemas.
#
#   make install && bash bench/snapshot.sh        # SIZES="1000 10000", REPS=3
#
# Each size N gets its own database: schema bench with N tables of 10
# columns (id primary key, parent_id referencing the previous table, 8 more
# of mixed types), 2 indexes each (the primary key's and one on c3), 1 FK
# each, and a view per 10 tables: the schema issue 10 names for the
# snapshot+diff target (1,000 tables < 1 s), built by make_schema in
# bench/schema_lib.sh (shared with bench/diff.sh).
#
# Runs in a throwaway cluster (test/with_cluster.sh: the PostgreSQL copy in
# PGMIG_PG_ROOT, or pg_virtualenv).  Two times, each the median of REPS
# runs: wall clock around psql (connection and the transfer of the jsonb
# text to psql, written to /dev/null, included) and the CPU time of the
# backend (from /proc/self/stat; needs a superuser for pg_read_file).
# Prints a table and writes bench/results/snapshot.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/schema_lib.sh"
bench_in_cluster "$here/snapshot.sh" "$@"
SIZES=${SIZES:-"1000 10000"}
REPS=${REPS:-3}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
mkdir -p "$here/results"
out=$here/results/snapshot.tsv
printf 'tables\tobjects\tbytes\tcall\twall_ms\tcpu_ms\tcpu_ms_per_1000_tables\n' >"$out"

printf '%8s %9s %11s  %-34s %8s %8s %14s\n' tables objects bytes call wall_ms cpu_ms cpu/1000tables
for n in $SIZES; do
  db=snap_$n
  createdb "$db"
  "${PSQL[@]}" -d "$db" -c 'CREATE EXTENSION pgmig'
  make_schema "$db" "$n"
  "${PSQL[@]}" -d "$db" -c 'VACUUM ANALYZE'
  objects=$("${PSQL[@]}" -At -d "$db" -c "SELECT jsonb_array_length(pgmig.snapshot()->'objects')")
  bytes=$("${PSQL[@]}" -At -d "$db" -c "SELECT length(pgmig.snapshot()::text)")
  "${PSQL[@]}" -d "$db" -c 'SELECT pgmig.record_schema()' >/dev/null
  for call in "SELECT pgmig.snapshot()" "SELECT count(*) FROM pgmig.drift()" "SELECT 1"; do
    read -r wall cpu < <(time_call "$db" "$call")
    per=$(awk -v m="$cpu" -v n="$n" 'BEGIN {printf "%.0f", m * 1000 / n}')
    printf '%8s %9s %11s  %-34s %8s %8s %14s\n' "$n" "$objects" "$bytes" "${call#SELECT }" "$wall" "$cpu" "$per"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$objects" "$bytes" "$call" "$wall" "$cpu" "$per" >>"$out"
  done
  dropdb "$db"
done
