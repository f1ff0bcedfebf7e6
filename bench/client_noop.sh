#!/usr/bin/env bash
# bench/client_noop.sh: the client end to end (issue 13 items 1 and 2).
#
#   PGMIG_PG_ROOT=/opt/pg-X bash test/with_cluster.sh bash bench/client_noop.sh
#
# For each size in SIZES ("10000 100000"): writes a folder of linear
# revision files (bench/gen.awk), loads and applies it, waits 3 s (files
# changed within 2 s are never fingerprinted), then times REPS runs of a
# no-op `pgmig upgrade` and of `pgmig current`, `heads`, `status`, with the
# folder and with no folder, and psql -c 'SELECT 1' (the floor of any
# libpq client); prints wall time and client CPU (user+sys) per run, and the
# peak RSS of the client.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
P=${PGMIG:-$here/../src/client/pgmig}
SIZES=${SIZES:-"10000 100000"}
REPS=${REPS:-5}
work=$(mktemp -d /tmp/pgmig-noop.XXXXXX)
trap 'rm -rf "$work"' EXIT
t() {  # t LABEL CMD...: REPS runs, one line each, then the medians
  local i
  : >"$work/runs"
  for i in $(seq 1 "$REPS"); do
    /usr/bin/time -f "$1 %e s wall %U+%S s cpu %M KB" "${@:2}" >/dev/null 2>"$work/err" || { cat "$work/err"; return 1; }
    tail -1 "$work/err" | tee -a "$work/runs"
  done
  # median wall and median client CPU (user+sys) of the REPS runs
  local w c
  w=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "wall") print $(i - 2) }' "$work/runs" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  c=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "cpu") { split($(i - 2), p, "+"); print p[1] + p[2] } }' "$work/runs" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo "$1 MEDIAN $w s wall, $c s client cpu (user+sys), $REPS runs"
}
for n in $SIZES; do
  d=$work/f$n; mkdir -p "$d"
  awk -v n="$n" -v shape=linear -v script=trivial -v out=files -v dir="$d" -f "$here/gen.awk"
  db=noop_$n
  dropdb --if-exists "$db"; createdb "$db"; psql -qXc "CREATE EXTENSION pgmig" "$db"
  "$P" -q -d "$db" --dir "$d" upgrade
  sleep 3
  "$P" -q -d "$db" --dir "$d" upgrade   # records the fingerprint
  echo "== $n revisions"
  t "upgrade(no-op) n=$n" "$P" -q -d "$db" --dir "$d" upgrade
  # the floor of any libpq client: start, connect, one statement, exit
  t "psql SELECT 1 (floor) n=$n" psql -X -q -d "$db" -c "SELECT 1"
  for c in current heads status; do
    t "$c folder n=$n" "$P" -q -d "$db" --dir "$d" "$c"
    t "$c nofolder n=$n" "$P" -q -d "$db" --dir "$work/none" "$c"
  done
  dropdb "$db"; rm -rf "$d"
done
