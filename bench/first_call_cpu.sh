#!/usr/bin/env bash
# bench/first_call_cpu.sh: backend CPU time of the first call in a NEW
# connection (issue #13), read from /proc/PID/schedstat by
# bench/first_call_cpu.c, and the backend's peak memory.
#
#   make install PG_CONFIG=...            # measures the installed pgmig
#   bash test/with_cluster.sh bash bench/first_call_cpu.sh
#   SIZES="5000 100000" REPS=7 bash test/with_cluster.sh bash bench/first_call_cpu.sh
#
# Runs against the cluster in PGHOST/PGPORT/PGUSER, on this machine (the
# backend's /proc entry must be readable: root or the server's user).  For
# each size: a database fc_N with a linear history (bench/gen.awk, trivial
# scripts), the middle revision applied (again on every run); SELECT 1 and
# generate_series(1, N) as floors (a new backend's least, and PostgreSQL's
# own set-returning function giving history()'s number of rows); every
# read-only call REPS times, each in a new connection; then a check() that verifies, and check() and
# status() again (the short way); then everything stamped, the calls that
# read every applied row again, and a no-op upgrade('head') and
# upgrade('heads').  KEEP=1 keeps the databases (and
# SETUP=0 reuses them).  Output: "min median max" CPU ms, the backend's
# private peak memory in MB (VmHWM less RssShmem), the median count of
# minor page faults (first_call_cpu.c says why they matter), the statement.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SIZES:-"5000 100000"}
REPS=${REPS:-5}
SETUP=${SETUP:-1}
KEEP=${KEEP:-0}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
mkdir -p "$here/bin"
cc -O2 -I"$(pg_config --includedir)" -o "$here/bin/first_call_cpu" "$here/first_call_cpu.c" \
  -L"$(pg_config --libdir)" -lpq
work=$(mktemp -d /tmp/pgmig-cpu.XXXXXX)
trap 'rm -rf "$work"' EXIT
run() {  # run DB SQL...
  local db=$1; shift
  "$here/bin/first_call_cpu" "dbname=$db options='-c client_min_messages=warning'" "$REPS" "$@"
}

echo "# $(psql -X -Atc 'SELECT version()' -d postgres)"
. "$here/machine.sh"
machine_line
echo "#  min ms  median   max ms  peak MB  faults  statement"
for n in $SIZES; do
  db=fc_$n
  if [ "$SETUP" = 1 ]; then
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    "${PSQL[@]}" -d "$db" -c "CREATE EXTENSION pgmig"
    awk -v n="$n" -v shape=linear -v script=trivial -f "$here/gen.awk" >"$work/s.csv"
    "${PSQL[@]}" -d "$db" -c "COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv)" <"$work/s.csv"
  fi
  # the middle revision applied (also when SETUP=0 reuses a database a
  # previous run left stamped at its heads)
  "${PSQL[@]}" -d "$db" -o /dev/null -c "SET client_min_messages = warning" \
    -c "SELECT pgmig.stamp('$(printf 'r%06d' $((n / 2)))')" -c "VACUUM ANALYZE"
  echo "## $n revisions, $((n / 2)) applied"
  # floors: an empty statement, and PostgreSQL's own set-returning function
  # giving as many rows as history() does (one integer each)
  run "$db" "SELECT 1" "SELECT count(*) FROM generate_series(1, $n)" \
    "SELECT count(*) FROM pgmig.heads()" "SELECT count(*) FROM pgmig.current()" \
    "SELECT count(*) FROM pgmig.branches()" "SELECT count(*) FROM pgmig.plan('upgrade','head')" \
    "SELECT count(*) FROM pgmig.history()" "SELECT count(*) FROM pgmig.resolve('head')"
  # the first check() after a change hashes what changed and records it
  REPS=1 run "$db" "SELECT count(*) FROM pgmig.check()"
  run "$db" "SELECT count(*) FROM pgmig.check()" "SELECT count(*) FROM pgmig.status()" \
    "SELECT count(*) FROM pgmig.drift()"
  "${PSQL[@]}" -d "$db" -o /dev/null -c "SET client_min_messages = warning" -c "SELECT pgmig.stamp('heads')" \
    -c "VACUUM ANALYZE"
  # every revision applied, as in a database in production: the read
  # calls that read every applied row again, and the no-op upgrades
  echo "## $n revisions, all applied"
  REPS=1 run "$db" "SELECT count(*) FROM pgmig.check()"
  run "$db" "SELECT count(*) FROM pgmig.current()" "SELECT count(*) FROM pgmig.history()" \
    "SELECT count(*) FROM pgmig.check()" "SELECT count(*) FROM pgmig.status()" \
    "SELECT pgmig.upgrade('head')" "SELECT pgmig.upgrade('heads')"
  [ "$KEEP" = 1 ] || "${PSQL[@]}" -d postgres -c "DROP DATABASE $db"
done
