#!/usr/bin/env bash
# bench/first_call_ab.sh: the first heads() and upgrade('head') in a new
# backend at N (100000) linear revisions, from the stored graph image and from
# the tables (image set to NULL), counted by `perf stat` on that backend:
# task-clock (CPU ms of the backend), which other load on the machine disturbs
# far less than wall-clock time (instructions too, where the machine has
# hardware counters; a VM often has none and perf prints 0).  Needs perf and the right to attach
# to the backend (run as root or the server's user).
#   bash test/with_cluster.sh bash bench/first_call_ab.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-100000}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
work=$(mktemp -d /tmp/pgmig-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
"${PSQL[@]}" -c "CREATE EXTENSION pgmig"
awk -v n="$N" -v shape=linear -v script=trivial -f "$here/gen.awk" >"$work/s.csv"
"${PSQL[@]}" -c "COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv)" <"$work/s.csv"
"${PSQL[@]}" -o /dev/null -c "SELECT pgmig.stamp('$(printf 'r%06d' $((N / 2)))')" -c "VACUUM ANALYZE"
one() {  # one LABEL SQL: perf stat of the first call of SQL in a new backend
  rm -f "$work/pid"
  { echo "\\o $work/pid"; echo "SELECT pg_backend_pid();"; echo "\\o /dev/null"; echo "SELECT pg_sleep(1);"
    echo "$2"; echo "SELECT pg_sleep(1);"; } |
    PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At -o /dev/null &
  local p=$!
  while [ ! -s "$work/pid" ]; do sleep 0.05; done
  sleep 0.5
  perf stat -x, -e task-clock,instructions -p "$(tr -dc 0-9 <"$work/pid")" -- sleep 1.4 2>"$work/stat" >/dev/null || true
  wait $p
  printf '%s\t%s\t%s\n' "$1" "$(awk -F, '/task-clock/ {printf "%.1f", $1}' "$work/stat")" \
    "$(awk -F, '/instructions/ {printf "%.0f", $1 / 1e6}' "$work/stat")"
}
printf 'call\tCPU ms (task-clock)\tmillion instructions\n'
for rep in 1 2 3; do
  one "heads(), image" "SELECT count(*) FROM pgmig.heads();"
  one "upgrade('r$(printf '%06d' $((N / 2)))'), no-op, image" "SELECT pgmig.upgrade('$(printf 'r%06d' $((N / 2)))');"
  one "idle backend (floor)" "SELECT 1;"
done
"${PSQL[@]}" -c "UPDATE pgmig.graph_image SET image = NULL"
for rep in 1 2 3; do
  one "heads(), tables" "SELECT count(*) FROM pgmig.heads();"
  one "upgrade('r$(printf '%06d' $((N / 2)))'), no-op, tables" "SELECT pgmig.upgrade('$(printf 'r%06d' $((N / 2)))');"
done
