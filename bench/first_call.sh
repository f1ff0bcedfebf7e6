#!/usr/bin/env bash
# pgmig benchmark: the first call in a new connection (issue #13).
#
#   make install PG_CONFIG=...            # measures the installed pgmig
#   bash test/with_cluster.sh bash bench/first_call.sh
#
# Runs against the cluster in PGHOST/PGPORT/PGUSER (test/with_cluster.sh makes a
# throwaway one).  For each size in SIZES ("5000 100000") it loads a linear
# history (bench/gen.awk, trivial scripts), stamps the middle revision and, for
# every read-only call, opens a NEW connection and runs the call twice with
# psql's \timing: the first number is the first call in a fresh backend, the
# second the same call again in that backend.  Then it stamps the head and does
# the same with a no-op upgrade('head') and upgrade('heads').  Client: `pgmig
# current`, `heads`, `status` timed from process start to exit, and a no-op
# `pgmig upgrade` from a folder of CLIENT_FILES (10000) revision files whose
# revisions are all applied.  REPS (3) repetitions; medians are reported.
# Output: a table on stdout and bench/results/first_call.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SIZES:-"5000 100000"}
REPS=${REPS:-3}
CLIENT_FILES=${CLIENT_FILES:-10000}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
CLIENT=${CLIENT:-$(command -v pgmig || true)}
resdir=$here/results
mkdir -p "$resdir"
tsv=$resdir/first_call.tsv
work=$(mktemp -d /tmp/pgmig-first.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf 'size\tmeasure\tfirst call (new connection) ms\tsecond call ms\n' >"$tsv"

now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gen() { awk -v n="$1" -v shape=linear -v script=trivial -v out="${2:-csv}" -v dir="${3:-}" -f "$here/gen.awk"; }
newdb() {
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
  "${PSQL[@]}" -d "$1" -c "CREATE EXTENSION pgmig"
}
# two_calls DB SQL: one new connection, the statement twice; prints "first second"
two_calls() {
  { echo '\timing on'; echo "$2;"; echo "$2;"; } |
    PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -d "$1" -o /dev/null 2>/dev/null |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd' '
}
measure() {  # measure SIZE DB LABEL SQL
  local f=() s=() a b r
  for r in $(seq "$REPS"); do
    read -r a b <<<"$(two_calls "$2" "$4")"
    f+=("$a"); s+=("$b")
  done
  printf '%s\t%s\t%s\t%s\n' "$1" "$3" "$(median "${f[@]}")" "$(median "${s[@]}")" | tee -a "$tsv"
}
client() {  # client SIZE DB LABEL ARGS...: process start to exit
  local size=$1 db=$2 label=$3 t ts=() r; shift 3
  for r in $(seq "$REPS"); do
    t=$(now); "$CLIENT" -q -d "dbname=$db" "$@" >/dev/null 2>>"$work/client.err"; ts+=("$(ms_since "$t")")
  done
  printf '%s\t%s\t%s\t-\n' "$size" "$label" "$(median "${ts[@]}")" | tee -a "$tsv"
}

echo "# $(psql -X -Atc 'SELECT version()' -d postgres)" >&2
. "$here/machine.sh"
machine_line >&2
for n in $SIZES; do
  db=fc_$n
  newdb "$db"
  gen "$n" >"$work/s.csv"
  "${PSQL[@]}" -d "$db" -c "COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv)" <"$work/s.csv"
  "${PSQL[@]}" -d "$db" -o /dev/null -c "SELECT pgmig.stamp('$(printf 'r%06d' $((n / 2)))')" -c "VACUUM ANALYZE"
  # the floor: what any first statement on a pgmig table costs a new backend
  measure "$n" "$db" "floor: SELECT 1 FROM pgmig.applied LIMIT 1" "SELECT 1 FROM pgmig.applied LIMIT 1"
  for call in "heads()" "current()" "branches()" "check()" "status()" "plan('upgrade','head')" "history()" "resolve('head')"; do
    measure "$n" "$db" "$call" "SELECT count(*) FROM pgmig.$call"
  done
  [ -n "$CLIENT" ] && for c in current heads status; do client "$n" "$db" "pgmig $c" "$c"; done
  "${PSQL[@]}" -d "$db" -o /dev/null -c "SET client_min_messages = warning" -c "SELECT pgmig.stamp('heads')" -c "VACUUM ANALYZE"
  measure "$n" "$db" "upgrade('head'), nothing pending" "SELECT pgmig.upgrade('head')"
  measure "$n" "$db" "upgrade('heads'), nothing pending" "SELECT pgmig.upgrade('heads')"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE $db"
done

if [ -n "$CLIENT" ]; then
  db=fc_files
  newdb "$db"
  mkdir -p "$work/files"
  gen "$CLIENT_FILES" files "$work/files"
  "$CLIENT" -q -d "dbname=$db" --dir "$work/files" upgrade >/dev/null 2>>"$work/client.err"
  client "$CLIENT_FILES files" "$db" "pgmig upgrade, nothing pending" --dir "$work/files" upgrade
  "${PSQL[@]}" -d postgres -c "DROP DATABASE $db"
fi
[ -s "$work/client.err" ] && { echo "client errors:" >&2; sort -u "$work/client.err" | head -5 >&2; }
echo
column -s $'\t' -t <"$tsv"
