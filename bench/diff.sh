#!/usr/bin/env bash
# bench/diff.sh: the schema diff engine on big schemas, side by side with
# migra (the npm package @pgkit/migra) in the same run.
#
#   make install && bash bench/diff.sh         # SIZES="1000 10000", REPS=3
#
# For each size N: database src_N gets schema bench with N tables (10
# columns, a primary key and one more index, an FK to the previous table)
# and a view per 10 tables (issue 10's bench schema; the same shape as
# bench/snapshot.sh builds for the snapshot alone); tgt_N is a copy
# (CREATE DATABASE ... TEMPLATE) changed in 3% of its tables: a new column
# on every 100th table, a new index on every 50th, a wider varchar on
# every 200th.  Then, each the median of REPS runs:
#   - snapshot: SELECT pgmig.snapshot(ARRAY['bench']) in a new psql (a
#     fresh backend, as the client gets): wall clock (connection and the
#     transfer of the text included) and the backend's CPU time;
#   - engine: bench/bin/diffjson, the core linked into a small program
#     (-O2), diffing the two files (the upgrade only, as pgmig.diff() and
#     pgmig diff; revision --autogenerate computes the downgrade too);
#   - pgmig diff: the client end to end, `pgmig diff dbname=src_N
#     dbname=tgt_N` (all user schemas): two connections, the two snapshots
#     read at the same time, the engine, the SQL printed; wall clock and the
#     client's CPU time (/usr/bin/time; the servers' CPU is the snapshot's);
#   - pg_dump floor: PostgreSQL's own dump of both schemas, at the same time
#     (pg_dump -s -n bench, one for each database, in parallel), then diff(1)
#     of the two outputs: wall clock.  It reads the same catalogs with the
#     same pg_get_* deparsers and compares nothing, so it is what any tool
#     that reads the catalogs as pg_dump does could hope for (the physical
#     limit column, as psql -1 -f is for applying scripts);
#   - diff(): SELECT count(*) FROM pgmig.diff(a, b) on the two snapshots
#     stored in a table (psql \timing: server time);
#   - migra: migra run --unsafe --schema bench on the two databases (one
#     run; wall clock; its own inspection of both databases included;
#     skipped when npm or the package is missing), and migra's wall clock
#     over pgmig diff's and over the pg_dump floor's;
#   - pgmig diff again once both databases have their schema recorded
#     (SELECT pgmig.record_schema()): each side's record is read instead of
#     its catalogs (pgmig._recorded_snapshot()); its output must be the
#     same (else the column says "differs").
# KEEP=DIR keeps the snapshot files there (src_N.json, tgt_N.json).
# Runs in a throwaway cluster (test/with_cluster.sh).  Prints a table and
# writes bench/results/diff.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/schema_lib.sh"
bench_in_cluster "$here/diff.sh" "$@"
SIZES=${SIZES:-"1000 10000"}
REPS=${REPS:-3}
MIGRA_TIMEOUT=${MIGRA_TIMEOUT:-900}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/results" "$here/bin"
out=$here/results/diff.tsv
printf 'tables\tobjects\tsnapshot_bytes\tsteps\tsnapshot_ms\tsnapshot_cpu_ms\tengine_ms\tengine_cpu_ms\tpgmig_diff_ms\tpgmig_diff_client_cpu_ms\tdiff_sql_ms\tpg_dump_floor_ms\tmigra_ms\tmigra_statements\tmigra_over_pgmig_diff\tmigra_over_pg_dump_floor\tpgmig_diff_recorded_ms\n' >"$out"

cc -O2 -std=gnu99 -I"$top/src/core" -o "$here/bin/diffjson" "$here/diffjson.c" \
  $(ls "$top"/src/core/*.c)

# migra from the npm registry, installed once into bench/node (not committed)
migra=""
if command -v npm >/dev/null; then
  if [ ! -x "$here/node/node_modules/.bin/migra" ]; then
    (mkdir -p "$here/node" && cd "$here/node" && npm install --silent --no-audit --no-fund @pgkit/migra >/dev/null 2>&1) || true
  fi
  [ -x "$here/node/node_modules/.bin/migra" ] && migra=$here/node/node_modules/.bin/migra
fi

change_schema() {   # DB N
  "${PSQL[@]}" -d "$1" <<SQL
SET client_min_messages = warning;
SET pgmig.guard = off;
CREATE PROCEDURE pg_temp.change(n integer) LANGUAGE plpgsql AS \$\$
BEGIN
  FOR i IN 1..n LOOP
    IF i % 100 = 0 THEN EXECUTE format('ALTER TABLE bench.t_%s ADD COLUMN extra integer', i); END IF;
    IF i % 50 = 0 THEN EXECUTE format('CREATE INDEX t_%s_c4 ON bench.t_%s (c4)', i, i); END IF;
    IF i % 200 = 0 THEN EXECUTE format('ALTER TABLE bench.t_%s ALTER COLUMN c10 TYPE varchar(80)', i); END IF;
    IF i % 200 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$;
CALL pg_temp.change($2);
SQL
}

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" >/dev/null
for n in $SIZES; do
  echo "== $n tables: building"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE src_$n" -c "CREATE DATABASE tgt_$n" 2>/dev/null || true
  for db in src_$n; do
    "${PSQL[@]}" -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pgmig"
    make_schema "$db" "$n"
  done
  "${PSQL[@]}" -d postgres -c "DROP DATABASE tgt_$n" -c "CREATE DATABASE tgt_$n TEMPLATE src_$n"
  change_schema "tgt_$n" "$n"
  # settle both databases first: timed right after the build, the snapshot
  # competed with autovacuum on the fresh catalogs (9.0 s at 10,000 tables
  # where bench/snapshot.sh read 5.1 s); every tool then meets the same state
  for db in "src_$n" "tgt_$n"; do
    "${PSQL[@]}" -d "$db" -c "VACUUM ANALYZE"
  done

  read -r snap_ms snap_cpu < <(time_call "src_$n" "SELECT pgmig.snapshot(ARRAY['bench'])")
  psql -X -At -d "src_$n" -c "SELECT pgmig.snapshot(ARRAY['bench'])" >"$work/a.json"
  psql -X -At -d "tgt_$n" -c "SELECT pgmig.snapshot(ARRAY['bench'])" >"$work/b.json"
  bytes=$(stat -c %s "$work/a.json")
  if [ -n "${KEEP:-}" ]; then cp "$work/a.json" "$KEEP/src_$n.json"; cp "$work/b.json" "$KEEP/tgt_$n.json"; fi
  objects=$(grep -o '"id": ' "$work/a.json" | wc -l)

  engs=(); ecpus=()
  for ((r = 0; r < REPS; r++)); do
    line=$("$here/bin/diffjson" "$work/a.json" "$work/b.json")
    engs+=("$(echo "$line" | awk '{print $1}')")
    ecpus+=("$(echo "$line" | awk '{print $3}')")
    steps=$(echo "$line" | awk '{print $2}')
  done
  eng_ms=$(printf '%s\n' "${engs[@]}" | median)
  eng_cpu=$(printf '%s\n' "${ecpus[@]}" | median)

  # the client end to end (before the table of snapshots below exists)
  cws=(); ccpus=()
  for ((r = 0; r < REPS; r++)); do
    t0=$(ms_now)
    /usr/bin/time -o "$work/time" -f '%U %S' pgmig diff "dbname=src_$n" "dbname=tgt_$n" >"$work/pgmig.sql"
    cws+=($(( $(ms_now) - t0 )))
    ccpus+=("$(awk '{printf "%.0f", ($1 + $2) * 1000}' "$work/time")")
  done
  cli_ms=$(printf '%s\n' "${cws[@]}" | median)
  cli_cpu=$(printf '%s\n' "${ccpus[@]}" | median)

  # the floor: two pg_dump -s at the same time, then diff(1) of their output
  fws=()
  for ((r = 0; r < REPS; r++)); do
    t0=$(ms_now)
    pg_dump -s -n bench -d "src_$n" -f "$work/src.dump" & p1=$!
    pg_dump -s -n bench -d "tgt_$n" -f "$work/tgt.dump" & p2=$!
    wait "$p1"; wait "$p2"
    diff "$work/src.dump" "$work/tgt.dump" >/dev/null || true
    fws+=($(( $(ms_now) - t0 )))
  done
  floor_ms=$(printf '%s\n' "${fws[@]}" | median)

  # the snapshots as values in one database, then pgmig.diff() over them
  "${PSQL[@]}" -d "src_$n" -c "SET pgmig.guard = off" -c "DROP TABLE IF EXISTS snaps" -c "CREATE TABLE snaps (name text, s jsonb)"
  for side in a b; do
    "${PSQL[@]}" -d "src_$n" -c "\\copy snaps (s) FROM '$work/$side.json' (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
    "${PSQL[@]}" -d "src_$n" -c "UPDATE snaps SET name = '$side' WHERE name IS NULL"
  done
  sqls=()
  for ((r = 0; r < REPS; r++)); do
    ms=$(psql -X -d "src_$n" <<'SQL' | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
\timing on
SELECT count(*) FROM snaps a, snaps b, pgmig.diff(a.s, b.s) WHERE a.name = 'a' AND b.name = 'b';
SQL
)
    sqls+=("${ms%.*}")
  done
  sql_ms=$(printf '%s\n' "${sqls[@]}" | median)

  migra_ms=NA; migra_n=NA
  if [ -n "$migra" ]; then
    url() { echo "postgresql://${PGUSER}@localhost/$1?host=${PGHOST}&port=${PGPORT}"; }
    t0=$(ms_now)
    if timeout "$MIGRA_TIMEOUT" "$migra" run --unsafe --schema bench "$(url "src_$n")" "$(url "tgt_$n")" >"$work/migra.sql" 2>"$work/migra.err" || [ -s "$work/migra.sql" ]; then
      migra_ms=$(( $(ms_now) - t0 ))
      migra_n=$(grep -c ';' "$work/migra.sql" || true)
    else
      migra_ms="failed($(head -c 200 "$work/migra.err" | tr '\n\t' '  '))"
    fi
  fi
  ratio=NA; floor_ratio=NA
  case "$migra_ms" in [0-9]*)
    ratio=$(awk -v m="$migra_ms" -v p="$cli_ms" 'BEGIN {printf "%.1f", m / p}')
    floor_ratio=$(awk -v m="$migra_ms" -v p="$floor_ms" 'BEGIN {printf "%.1f", m / p}') ;;
  esac

  # both databases kept by pgmig, their schema recorded (record_schema()):
  # pgmig diff reads each record instead of the catalogs; same output
  "${PSQL[@]}" -d "src_$n" -c "SET pgmig.guard = off" -c "DROP TABLE snaps"
  for db in "src_$n" "tgt_$n"; do "${PSQL[@]}" -d "$db" -c "SELECT pgmig.record_schema()" >/dev/null; done
  rws=()
  for ((r = 0; r < REPS; r++)); do
    t0=$(ms_now)
    pgmig diff "dbname=src_$n" "dbname=tgt_$n" >"$work/recorded.sql"
    rws+=($(( $(ms_now) - t0 )))
  done
  rec_ms=$(printf '%s\n' "${rws[@]}" | median)
  cmp -s "$work/pgmig.sql" "$work/recorded.sql" || rec_ms="differs($rec_ms)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$objects" "$bytes" "$steps" "$snap_ms" "$snap_cpu" \
    "$eng_ms" "$eng_cpu" "$cli_ms" "$cli_cpu" "$sql_ms" "$floor_ms" "$migra_ms" "$migra_n" "$ratio" "$floor_ratio" "$rec_ms" >>"$out"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE src_$n" -c "DROP DATABASE tgt_$n"
done
column -t -s $'\t' "$out"
