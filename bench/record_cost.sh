#!/usr/bin/env bash
# bench/record_cost.sh: what recording the schema costs one small run on a
# large schema, with pgmig.record_schema = immediate (the default: the
# snapshot is taken before the run commits, its locks held meanwhile) and
# deferred (the run keeps the catalogs' digest; the snapshot is taken
# afterwards).
#
#   make install && bash bench/record_cost.sh      # SIZES="1000 10000", REPS=3
#
# Each size N gets a database with the schema of bench/schema_lib.sh (N
# tables of 10 columns, 2 indexes, 1 FK, a view per 10 tables) and one
# revision, CREATE TABLE bench_probe.  Wall and backend CPU ms, medians of
# REPS: upgrade('head') and downgrade('base') in each mode, the same
# statement in psql, and, deferred, the comparison that takes the snapshot
# after the run.  Then a data revision (an UPDATE, no catalog row changed),
# whose run keeps the recorded snapshot.  Runs in a throwaway cluster (test/with_cluster.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/schema_lib.sh"
bench_in_cluster "$here/record_cost.sh" "$@"
SIZES=${SIZES:-"1000 10000"}
REPS=${REPS:-3}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
quiet="SET client_min_messages = warning;"

# once REPS times, each in a new session: "WALL CPU" medians
series() {  # series DB SQL-BEFORE SQL-TIMED
  local i w c ws=() cs=()
  for ((i = 0; i < REPS; i++)); do
    [ -n "$2" ] && "${PSQL[@]}" -d "$1" -c "$quiet $2" >/dev/null
    read -r w c < <(REPS=1 time_call "$1" "$quiet $3")
    ws+=("$w"); cs+=("$c")
  done
  echo "$(printf '%s\n' "${ws[@]}" | median) $(printf '%s\n' "${cs[@]}" | median)"
}

printf '%8s  %-58s %8s %8s\n' tables call wall_ms cpu_ms
for n in $SIZES; do
  db=rec_$n
  createdb "$db"
  "${PSQL[@]}" -d "$db" -c 'CREATE EXTENSION pgmig'
  make_schema "$db" "$n"
  "${PSQL[@]}" -d "$db" -c 'VACUUM ANALYZE'
  "${PSQL[@]}" -d "$db" -c "SELECT pgmig.add('probe', '{}', 'CREATE TABLE bench_probe (a integer)', 'DROP TABLE bench_probe', 'probe')" >/dev/null
  "${PSQL[@]}" -d "$db" -c 'SELECT pgmig.record_schema()' >/dev/null
  line() { read -r w c <<<"$2"; printf '%8s  %-58s %8s %8s\n' "$n" "$1" "$w" "$c"; }
  line "psql: CREATE TABLE; DROP TABLE" \
    "$(series "$db" "" "SET pgmig.guard = off; CREATE TABLE bench_probe2 (a integer); DROP TABLE bench_probe2")"
  for mode in immediate deferred; do
    set_mode="SET pgmig.record_schema = $mode;"
    line "upgrade('head'), record_schema = $mode" \
      "$(series "$db" "$set_mode SELECT pgmig.downgrade('base')" "$set_mode SELECT pgmig.upgrade('head')")"
    line "downgrade('base'), record_schema = $mode" \
      "$(series "$db" "$set_mode SELECT pgmig.upgrade('head')" "$set_mode SELECT pgmig.downgrade('base')")"
  done
  line "deferred: the comparison that takes the snapshot after" \
    "$(series "$db" "SET pgmig.record_schema = deferred; SELECT pgmig.downgrade('base'); SELECT pgmig.upgrade('head')" "SELECT count(*) FROM pgmig.drift()")"
  # a data migration changes no catalog row: the record keeps its snapshot
  "${PSQL[@]}" -d "$db" -c "SELECT pgmig.add('backfill', '{probe}', 'UPDATE bench.t_1 SET c4 = 1', 'UPDATE bench.t_1 SET c4 = NULL', 'backfill')" >/dev/null
  "${PSQL[@]}" -d "$db" -c 'SELECT pgmig.record_schema()' >/dev/null
  line "data revision: upgrade('head'), immediate" \
    "$(series "$db" "SELECT pgmig.downgrade('probe')" "SELECT pgmig.upgrade('head')")"
  line "data revision: downgrade('probe'), immediate" \
    "$(series "$db" "SELECT pgmig.upgrade('head')" "SELECT pgmig.downgrade('probe')")"
  line "psql: the UPDATE" \
    "$(series "$db" "" "UPDATE bench.t_1 SET c4 = 1")"
  dropdb "$db"
done
