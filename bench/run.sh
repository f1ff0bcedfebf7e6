#!/usr/bin/env bash
# pgmig benchmarks (issue #5).
#
#   make install && bash bench/run.sh          # full run (~5-10 min on 2 cores)
#   QUICK=1 bash bench/run.sh                  # smoke run (~2 min, smaller sizes)
#
# Creates a throwaway cluster with `pg_virtualenv -t` (default settings, as
# pg_virtualenv makes them), runs every benchmark against the installed pgmig,
# prints a table and writes bench/results/results.csv.
#
# Knobs (environment): QUICK=1, REPS (default 3), APPLY_REPS (5), N_APPLY (1000),
# SCALES ("10000 100000"), LOCK_MAX (upper bound of the lock search, 20000),
# CLIENT_SCALES ("10000 100000": sizes for `pgmig load`; before commit 211731d
# its ordering was quadratic on long chains and 100k did not finish),
# SKIP="apply scale client guard locks" (sections to leave out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${PGMIG_BENCH_INSIDE:-}" ]; then
  export PGMIG_BENCH_INSIDE=1
  # with PGMIG_PG_ROOT (a private PostgreSQL copy, test/dev/pgcopy.sh) the
  # cluster runs that copy's binaries, where `make install` put this build
  if [ -n "${PGMIG_PG_ROOT:-}" ]; then
    exec bash "$here/../test/with_cluster.sh" bash "$here/run.sh" "$@"
  fi
  exec pg_virtualenv -t bash "$here/run.sh" "$@"
fi

# Measure this tree's build, not a stale install: the server's pgmig.so must
# be the one built here (a bench of another build once went unnoticed).
installed_so=$(pg_config --pkglibdir)/pgmig.so
if [ -f "$here/../pgmig.so" ] && ! cmp -s "$here/../pgmig.so" "$installed_so"; then
  echo "bench/run.sh: $installed_so is not this tree's pgmig.so; run make install PG_CONFIG=$(command -v pg_config) first" >&2
  exit 1
fi

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  REPS=${REPS:-1}; APPLY_REPS=${APPLY_REPS:-3}; N_APPLY=${N_APPLY:-300}; SCALES=${SCALES:-"1000 10000"}
  LOCK_MAX=${LOCK_MAX:-6000}; LOCK_RES=${LOCK_RES:-100}; CLIENT_SCALES=${CLIENT_SCALES:-"1000"}
else
  REPS=${REPS:-3}; APPLY_REPS=${APPLY_REPS:-5}; N_APPLY=${N_APPLY:-1000}; SCALES=${SCALES:-"10000 100000"}
  LOCK_MAX=${LOCK_MAX:-20000}; LOCK_RES=${LOCK_RES:-1}; CLIENT_SCALES=${CLIENT_SCALES:-"10000 100000"}
fi
SKIP=${SKIP:-}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}  # seconds; the client's load is slow on long chains
resdir=$here/results
mkdir -p "$resdir"
csv=$resdir/results.csv
tsv=$resdir/results.tsv
printf 'section\tcase\tmetric\tvalue\tunit\ttarget\tstatus\n' >"$tsv"
work=$(mktemp -d /tmp/pgmig-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$resdir/run.log
: >"$log"

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
CLIENT=""
if [ -x "$here/../src/client/pgmig" ]; then CLIENT=$here/../src/client/pgmig
elif command -v pgmig >/dev/null 2>&1; then CLIENT=$(command -v pgmig); fi

echo "section,case,metric,value,unit,target,status" >"$csv"
say() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$log" >&2; }
# record SECTION CASE METRIC VALUE UNIT [TARGET] [STATUS]
record() {
  local f out=""
  for f in "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-}"; do
    case $f in *[,\"]*) f="\"${f//\"/\"\"}\"";; esac
    out="$out${out:+,}$f"
  done
  echo "$out" >>"$csv"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:--}" "${7:--}" >>"$tsv"
  printf '  %-8s %-22s %-34s %12s %-4s %-10s %s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-}" | tee -a "$log" >&2
}
skip() { case " $SKIP " in *" $1 "*) return 0;; esac; return 1; }
now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if le "$1" "$2"; then echo met; else echo MISSED; fi; }
rid() { printf 'r%06d' "$1"; }
gen() {  # gen N SHAPE SCRIPT [OUT [DIR]] > file
  awk -v n="$1" -v shape="$2" -v script="$3" -v out="${4:-csv}" -v dir="${5:-}" -f "$here/gen.awk"
}
newdb() {
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>>"$log"
  "${PSQL[@]}" -d "$1" -c "CREATE EXTENSION pgmig"
}
copy_in() {  # copy_in DB CSVFILE
  "${PSQL[@]}" -d "$1" -c "COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv)" <"$2"
}
# timed_sql DB SQL...: run statements in one session with \timing; prints
# the milliseconds of each statement, one per line.
timed_sql() {
  local db=$1; shift
  { echo '\timing on'; printf '%s\n' "$@"; } |
    "${PSQL[@]}" -d "$db" -o /dev/null 2>>"$log" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

say "pgmig bench: QUICK=$QUICK REPS=$REPS N_APPLY=$N_APPLY SCALES=$SCALES"
"${PSQL[@]}" -d postgres -Atc "SELECT version()" | tee -a "$log" >&2
"${PSQL[@]}" -d postgres -Atc "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('max_connections','max_locks_per_transaction','max_prepared_transactions','shared_buffers','work_mem','fsync','synchronous_commit')" | tee -a "$log" >&2
echo "cores: $(nproc); pgmig default_version: $("${PSQL[@]}" -d postgres -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'pgmig'")" | tee -a "$log" >&2

# ---------------------------------------------------------------------------
# 1. Apply overhead: N_APPLY CREATE TABLE revisions via upgrade() vs psql -1 -f
# ---------------------------------------------------------------------------
if ! skip apply; then
  say "1. apply overhead, $N_APPLY revisions, $APPLY_REPS reps"
  gen "$N_APPLY" linear table >"$work/apply.csv"
  gen "$N_APPLY" linear table up >"$work/up.sql"
  gen "$N_APPLY" linear table down >"$work/down.sql"
  newdb b_apply
  copy_in b_apply "$work/apply.csv"
  # the baseline runs in a database without pgmig (no guard event trigger)
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS b_plain" -c "CREATE DATABASE b_plain" 2>>"$log"
  guard_db=$("${PSQL[@]}" -d b_apply -Atc "SELECT to_regclass('pgmig.drift') IS NOT NULL")
  # One timed run: prints "WALL_MS CPU_MS": wall clock around psql
  # (connection included) and the CPU time (utime+stime) the backend spent
  # between two reads of its /proc/self/stat, which shared cores disturb less.
  cpu_sql="SELECT 'CPU ' || ((regexp_split_to_array(pg_read_file('/proc/self/stat'), ' '))[14]::bigint + (regexp_split_to_array(pg_read_file('/proc/self/stat'), ' '))[15]::bigint) * 10;"
  timed_run() {  # timed_run DB PGOPTIONS SQLFILE-OR-STATEMENT
    local t out c0 c1
    # both databases churn through the same catalogs (1,000 tables created
    # and dropped per run): vacuum first, so no run pays for another's bloat
    "${PSQL[@]}" -d "$1" -c "VACUUM" 2>>"$log"
    t=$(now)
    out=$( { echo "$cpu_sql"; echo "BEGIN;"
             if [ -f "$3" ]; then echo "\\i $3"; else echo "$3"; fi
             echo "COMMIT;"; echo "$cpu_sql"; } |
           PGOPTIONS="$2" "${PSQL[@]}" -At -d "$1" 2>>"$work/notices" )
    c0=$(echo "$out" | sed -n 's/^CPU //p' | head -1); c1=$(echo "$out" | sed -n 's/^CPU //p' | tail -1)
    echo "$(ms_since "$t") $((c1 - c0))"
  }
  keys=(p_up p_dn s_up s_dn g_up g_dn d_up d_dn)
  declare -A wall cpu
  for k in "${keys[@]}"; do wall[$k]=""; cpu[$k]=""; done
  add() { local w c; read -r w c <<<"$2"; wall[$1]="${wall[$1]} $w"; cpu[$1]="${cpu[$1]} $c"; }
  for r in $(seq "$APPLY_REPS"); do
    add p_up "$(timed_run b_apply "" "SELECT pgmig.upgrade('head');")"
    add p_dn "$(timed_run b_apply "" "SELECT pgmig.downgrade('base');")"
    # the same runs under pgmig.record_schema = deferred (the run keeps the
    # catalogs' digest; the snapshot is taken after it, outside its locks)
    add d_up "$(timed_run b_apply "-c pgmig.record_schema=deferred" "SELECT pgmig.upgrade('head');")"
    add d_dn "$(timed_run b_apply "-c pgmig.record_schema=deferred" "SELECT pgmig.downgrade('base');")"
    add s_up "$(timed_run b_plain "" "$work/up.sql")"
    add s_dn "$(timed_run b_plain "" "$work/down.sql")"
    if [ "$guard_db" = t ]; then
      # the same SQL by psql in the pgmig database: pays for the guard's
      # event triggers (which fire, and return at once, with guard=off)
      add g_up "$(timed_run b_apply "-c pgmig.guard=off" "$work/up.sql")"
      add g_dn "$(timed_run b_apply "-c pgmig.guard=off" "$work/down.sql")"
    fi
    say "   rep $r wall/cpu ms: pgmig up ${wall[p_up]##* }/${cpu[p_up]##* }, down ${wall[p_dn]##* }/${cpu[p_dn]##* }; deferred up ${wall[d_up]##* }/${cpu[d_up]##* }, down ${wall[d_dn]##* }/${cpu[d_dn]##* }; psql up ${wall[s_up]##* }/${cpu[s_up]##* }, down ${wall[s_dn]##* }/${cpu[s_dn]##* }${wall[g_up]:+; psql in pgmig db up ${wall[g_up]##* }/${cpu[g_up]##* }, down ${wall[g_dn]##* }/${cpu[g_dn]##* }}"
  done
  minof() { printf '%s\n' "$@" | sort -n | head -1; }
  for dir in up dn; do
    if [ $dir = up ]; then what="pgmig.upgrade('head')"; sql="CREATE TABLEs"; d=up
    else what="pgmig.downgrade('base')"; sql="DROP TABLEs"; d=down; fi
    for m in wall cpu; do
      declare -n arr=$m
      p=(${arr[p_$dir]}); s=(${arr[s_$dir]}); g=(${arr[g_$dir]})
      a=$(median "${p[@]}"); b=$(median "${s[@]}"); r=$(ratio "$a" "$b")
      record apply "n=$N_APPLY $m" "$what (median)" "$a" ms
      record apply "n=$N_APPLY $m" "psql -1 -f $sql (median)" "$b" ms
      if [ ${#g[@]} -gt 0 ]; then
        record apply "n=$N_APPLY $m" "psql -1 -f in pgmig db (median)" "$(median "${g[@]}")" ms "" "guard off; event triggers installed"
      fi
      record apply "n=$N_APPLY $m" "$d ratio (medians)" "$r" x "<=1.05" "$(verdict "$r" 1.05)"
      r=$(ratio "$(minof "${p[@]}")" "$(minof "${s[@]}")")
      record apply "n=$N_APPLY $m" "$d ratio (best of $APPLY_REPS)" "$r" x "<=1.05" "$(verdict "$r" 1.05)"
      q=(${arr[d_$dir]})
      a=$(median "${q[@]}"); r=$(ratio "$a" "$b")
      record apply "n=$N_APPLY $m" "$what, record_schema=deferred (median)" "$a" ms
      record apply "n=$N_APPLY $m" "$d ratio, deferred (medians)" "$r" x "<=1.05" "$(verdict "$r" 1.05)"
      unset -n arr
    done
  done
fi

# ---------------------------------------------------------------------------
# 2. Scale: 10k / 100k revisions, linear and branchy (branch+merge every 50)
# ---------------------------------------------------------------------------
declare -A upg_ms upg_cpu
cpu_sql="SELECT 'CPU ' || ((regexp_split_to_array(pg_read_file('/proc/self/stat'), ' '))[14]::bigint + (regexp_split_to_array(pg_read_file('/proc/self/stat'), ' '))[15]::bigint) * 10;"
if ! skip scale; then
  for n in $SCALES; do
    for shape in linear branchy; do
      case=$shape-$n; db=b_${shape}_$n
      say "2. scale $case"
      gen "$n" "$shape" trivial >"$work/s.csv"
      newdb "$db"
      t=$(now); copy_in "$db" "$work/s.csv"; ms=$(ms_since "$t")
      if [ "$n" -ge 100000 ]; then record scale "$case" "COPY into pgmig.revision" "$ms" ms "<5000" "$(verdict "$ms" 5000)"
      else record scale "$case" "COPY into pgmig.revision" "$ms" ms; fi
      mid=$(rid $((n / 2)))
      ms=$(timed_sql "$db" "SELECT pgmig.stamp('$mid');")
      record scale "$case" "stamp(middle)" "$ms" ms
      for call in "heads()" "current()" "plan('upgrade','head')" "check()" "history()" "status()"; do
        stmt="SELECT count(*) FROM pgmig.$call;"
        stmts=(); for r in $(seq "$REPS"); do stmts+=("$stmt"); done
        mapfile -t ts < <(timed_sql "$db" "${stmts[@]}")
        ms=$(median "${ts[@]}")
        if [ "$n" -ge 100000 ]; then record scale "$case" "$call" "$ms" ms "<100" "$(verdict "$ms" 100)"
        else record scale "$case" "$call" "$ms" ms; fi
      done
      # full upgrade from base, with the backend's memory watched
      timed_sql "$db" "SELECT pgmig.stamp('base');" >/dev/null
      rm -f "$work/pid" "$work/peak"
      {
        echo "\\o $work/pid"; echo "SELECT pg_backend_pid();"; echo "\\o"
        echo "SELECT pg_sleep(0.5);"
        echo "$cpu_sql"
        echo "\\timing on"
        echo "SET client_min_messages = warning;"
        echo "SELECT pgmig.upgrade('head');"
        echo "\\timing off"
        echo "$cpu_sql"
        echo "SELECT 'HWM ' || substring(pg_read_file('/proc/self/status') from 'VmHWM:\\s*([0-9]+)');"
        echo "SELECT 'SHM ' || substring(pg_read_file('/proc/self/status') from 'RssShmem:\\s*([0-9]+)');"
      } | "${PSQL[@]}" -d "$db" -At >"$work/upg.out" 2>>"$log" &
      ppid=$!
      while [ ! -s "$work/pid" ] && kill -0 $ppid 2>/dev/null; do sleep 0.05; done
      bpid=$(tr -dc 0-9 <"$work/pid")
      peak=0
      while kill -0 $ppid 2>/dev/null; do
        v=$(awk '/^RssAnon:/ {print $2}' /proc/"$bpid"/status 2>/dev/null || true)
        [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
        sleep 0.05
      done
      wait $ppid
      ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$work/upg.out" | sed -n 2p)
      hwm=$(sed -n 's/^HWM //p' "$work/upg.out")
      shm=$(sed -n 's/^SHM //p' "$work/upg.out")
      c0=$(sed -n 's/^CPU //p' "$work/upg.out" | head -1); c1=$(sed -n 's/^CPU //p' "$work/upg.out" | tail -1)
      upg_ms[$case]=$ms; upg_cpu[$case]=$((c1 - c0))
      record scale "$case" "upgrade('head') from base" "$ms" ms
      record scale "$case" "upgrade('head') backend CPU" "${upg_cpu[$case]}" ms
      if [ "$n" -ge 100000 ]; then
        record scale "$case" "backend VmHWM after upgrade" "$((hwm / 1024))" MB "<100" "$(verdict $((hwm / 1024)) 100)"
      else
        record scale "$case" "backend VmHWM after upgrade" "$((hwm / 1024))" MB
      fi
      record scale "$case" "  of which RssShmem (shared bufs)" "$((shm / 1024))" MB
      record scale "$case" "  VmHWM - RssShmem (private peak)" "$(((hwm - shm) / 1024))" MB
      record scale "$case" "backend peak RssAnon (sampled)" "$((peak / 1024))" MB
      "${PSQL[@]}" -d postgres -c "DROP DATABASE $db"
    done
  done
  set -- $SCALES
  if [ $# -ge 2 ]; then
    for shape in linear branchy; do
      r=$(ratio "${upg_ms[$shape-$2]}" "${upg_ms[$shape-$1]}")
      f=$(( $2 / $1 )); lim=$(awk -v f="$f" 'BEGIN{print f * 1.1}')
      record scale "$shape" "upgrade $2/$1 time ratio" "$r" x "<=$lim" "$(verdict "$r" "$lim")"
      r=$(ratio "${upg_cpu[$shape-$2]}" "${upg_cpu[$shape-$1]}")
      record scale "$shape" "upgrade $2/$1 backend CPU ratio" "$r" x "<=$lim" "$(verdict "$r" "$lim")"
    done
  fi
fi

# ---------------------------------------------------------------------------
# 2b. Client load (pgmig load), when the client exists and works
# ---------------------------------------------------------------------------
if ! skip client; then
  if [ -z "$CLIENT" ]; then
    record client - "pgmig load" skipped - "" "no client binary"
  else
    for n in $CLIENT_SCALES; do
      say "2b. client load, $n revision files"
      dir=$work/files; rm -rf "$dir"; mkdir -p "$dir"
      gen "$n" linear trivial files "$dir"
      newdb b_client
      t=$(now)
      if out=$(timeout "$CLIENT_TIMEOUT" "$CLIENT" -q -d "dbname=b_client" --dir "$dir" load 2>&1); then
        ms=$(ms_since "$t")
        cnt=$("${PSQL[@]}" -d b_client -Atc "SELECT count(*) FROM pgmig.revision")
        if [ "$cnt" = "$n" ]; then record client "linear-$n" "pgmig load (files)" "$ms" ms
        else record client "linear-$n" "pgmig load (files)" "$ms" ms "" "loaded $cnt rows"; fi
      else
        rc=$?; echo "$out" | tail -5 >>"$log"
        if [ $rc = 124 ]; then
          record client "linear-$n" "pgmig load (files)" ">$((CLIENT_TIMEOUT * 1000))" ms "" "timed out (killed)"
        else
          record client "linear-$n" "pgmig load (files)" skipped - "" "client load failed (see run.log)"
        fi
      fi
      "${PSQL[@]}" -d postgres -c "DROP DATABASE b_client"
      rm -rf "$dir"
    done
  fi
fi

# ---------------------------------------------------------------------------
# 3. Guard overhead: 1,000 DDL statements with pgmig.guard off vs warn
# ---------------------------------------------------------------------------
if ! skip guard; then
  newdb b_guard
  if [ "$("${PSQL[@]}" -d b_guard -Atc "SELECT to_regclass('pgmig.drift') IS NOT NULL")" != t ]; then
    ver=$("${PSQL[@]}" -d b_guard -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pgmig'")
    record guard - "guard overhead" skipped - "" "no pgmig.drift in extension version $ver"
  else
    say "3. guard overhead"
    for i in $(seq 500); do echo "CREATE TABLE g_$i (id int primary key, note text);"; echo "DROP TABLE g_$i;"; done >"$work/ddl.sql"
    off=(); warn=()
    for r in $(seq "$REPS"); do
      t=$(now); PGOPTIONS="-c pgmig.guard=off" "${PSQL[@]}" -d b_guard -f "$work/ddl.sql" >/dev/null 2>&1; off+=("$(ms_since "$t")")
      t=$(now); PGOPTIONS="-c pgmig.guard=warn" "${PSQL[@]}" -d b_guard -f "$work/ddl.sql" >/dev/null 2>&1; warn+=("$(ms_since "$t")")
    done
    a=$(median "${off[@]}"); b=$(median "${warn[@]}")
    record guard "1000 DDL" "pgmig.guard=off" "$a" ms
    record guard "1000 DDL" "pgmig.guard=warn" "$b" ms
    record guard "1000 DDL" "warn/off ratio" "$(ratio "$b" "$a")" x
    record guard "1000 DDL" "drift rows recorded" "$("${PSQL[@]}" -d b_guard -Atc "SELECT count(*) FROM pgmig.drift")" rows
  fi
  "${PSQL[@]}" -d postgres -c "DROP DATABASE b_guard"
fi

# ---------------------------------------------------------------------------
# 4. Big atomic runs: smallest N of CREATE TABLE revisions for which one
#    upgrade() fails with "out of shared memory" (default lock table)
# ---------------------------------------------------------------------------
if ! skip locks; then
  say "4. lock table: searching N in (0, $LOCK_MAX]"
  newdb b_locks
  gen "$LOCK_MAX" linear table >"$work/locks.csv"
  copy_in b_locks "$work/locks.csv"
  gen "$LOCK_MAX" linear table up >"$work/locks_up.sql"
  try_pgmig() {  # exit 0 when upgrade to r$1 succeeds (always rolled back)
    printf "BEGIN;\nSELECT pgmig.upgrade('%s');\nROLLBACK;\n" "$(rid "$1")" |
      PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -d b_locks >/dev/null 2>"$work/err"
  }
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS b_plain" -c "CREATE DATABASE b_plain" 2>>"$log"
  try_psql() {  # plain SQL in a database without pgmig
    { echo "BEGIN;"; head -n "$1" "$work/locks_up.sql"; echo "ROLLBACK;"; } |
      "${PSQL[@]}" -d b_plain >/dev/null 2>"$work/err"
  }
  search() {  # search FN -> prints first failing N (or "none")
    local fn=$1 lo=0 hi=$LOCK_MAX mid
    if $fn "$hi"; then echo none; return; fi
    cp "$work/err" "$work/err.$fn"
    while [ $((hi - lo)) -gt "$LOCK_RES" ]; do
      mid=$(( (lo + hi) / 2 ))
      if $fn "$mid"; then lo=$mid; else hi=$mid; cp "$work/err" "$work/err.$fn"; fi
      say "   $fn: ok up to $lo, fails at $hi"
    done
    echo "$hi"
  }
  t=$(now)
  nfail=$(search try_pgmig)
  record locks "upgrade()" "first failing N (CREATE TABLE revs)" "$nfail" revs "" "$( [ "$LOCK_RES" -gt 1 ] && echo "+-$LOCK_RES")"
  if [ -f "$work/err.try_pgmig" ]; then
    { echo "pgmig.upgrade() at N=$nfail:"; cat "$work/err.try_pgmig"; } | tee "$resdir/locks_error.txt" | sed 's/^/    /' | tee -a "$log" >&2
  fi
  if [ "$QUICK" != 1 ]; then
    nfail2=$(search try_psql)
    record locks "psql -1 -f" "first failing N (CREATE TABLEs)" "$nfail2" stmts
    [ -f "$work/err.try_psql" ] && { echo "psql -1 -f at N=$nfail2:"; cat "$work/err.try_psql"; } | tee -a "$resdir/locks_error.txt" | sed 's/^/    /' | tee -a "$log" >&2
  fi
  say "   lock search took $(ms_since "$t") ms"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE b_locks"
fi

echo
echo "== results ($csv)"
column -s $'\t' -t <"$tsv"
