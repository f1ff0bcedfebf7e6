#!/usr/bin/env bash
# Build pgmig with warnings as errors, install it, and run every suite:
# core unit tests, fuzz smoke runs, pg_regress, isolation, TAP, client
# end-to-end tests, on a throwaway cluster.  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
log=$top/test/logs
rm -rf "$log"; mkdir -p "$log"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

bash test/install_deps.sh || { echo "dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
# The suites run on a private copy of the installed PostgreSQL
# (test/dev/pgcopy.sh): pgmig is installed into the copy, not the system, and
# its throwaway clusters use local trust authentication, so the tests can
# connect as the other roles they create (deploy, reader, a role without
# CREATEDB).  Parallel checkouts each set PGMIG_PG_ROOT to their own copy.
if [ -z "${PGMIG_PG_ROOT:-}" ]; then
  export PGMIG_PG_ROOT=/tmp/pgmig_pg_root.$(id -u)
  rm -rf "$PGMIG_PG_ROOT"
  bash test/dev/pgcopy.sh "$PGMIG_PG_ROOT" >/dev/null || { echo "private PostgreSQL copy failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ -n "${PGMIG_PG_ROOT:-}" ]; then
  export PG_CONFIG=$PGMIG_PG_ROOT/usr/lib/postgresql/${PGV:-15}/bin/pg_config
  export PATH=$(dirname "$PG_CONFIG"):$PATH
fi
export PG_CONFIG=${PG_CONFIG:-pg_config}

passed=0; failed=0
count() {  # count TAP-style ok / not ok lines of a log
  local p f
  p=$(grep -cE '^\s*ok [0-9]+' "$1" || true)
  f=$(grep -cE '^\s*not ok [0-9]+' "$1" || true)
  passed=$((passed + p)); failed=$((failed + f))
  echo "   $2: $p passed, $f failed"
}

echo "== build (-Werror)"
make clean >/dev/null 2>&1
if ! make PG_CONFIG="$PG_CONFIG" PGMIG_CFLAGS=-Werror >"$log/build.log" 2>&1; then
  tail -40 "$log/build.log"; echo "0 passed, 1 failed"; exit 1
fi
if ! $SUDO make PG_CONFIG="$PG_CONFIG" install >"$log/install.log" 2>&1; then
  tail -40 "$log/install.log"; echo "0 passed, 1 failed"; exit 1
fi

echo "== unit tests"
make unitcheck >"$log/unit.log" 2>&1 || true
count "$log/unit.log" unit

echo "== fuzz smoke (${FUZZ_SECONDS}s each)"
if command -v clang >/dev/null && make fuzz >"$log/fuzz-build.log" 2>&1; then
  for f in test/fuzz/bin/fuzz_*; do
    name=$(basename "$f"); corpus=test/fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d); cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    if "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$work" >"$log/$name.log" 2>&1; then
      execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log/$name.log" | grep -oE '[0-9]+$')
      echo "ok 1 - $name: ${execs:-?} executions, no crash" >>"$log/fuzz.log"
    else
      echo "not ok 1 - $name crashed (see $log/$name.log)" >>"$log/fuzz.log"
    fi
    rm -rf "$work"
  done
  count "$log/fuzz.log" fuzz
else
  echo "not ok 1 - fuzz harnesses did not build" >"$log/fuzz.log"; count "$log/fuzz.log" fuzz
fi

echo "== server suites on a throwaway cluster"
cat >"$log/server.sh" <<'INNER'
set -u
cd "$1"
make installcheck PG_CONFIG="$PG_CONFIG" TAP_TESTS= PG_REGRESS_DIFF_OPTS=-U3 > test/logs/installcheck.log 2>&1
echo "installcheck exit $?" >> test/logs/installcheck.log
if [ -f test/client/run.sh ]; then
  bash test/client/run.sh > test/logs/client.log 2>&1
  echo "client exit $?" >> test/logs/client.log
fi
python3 test/readme/readme_test.py README.md > test/logs/readme.log 2>&1
INNER
bash test/with_cluster.sh bash "$log/server.sh" "$top" >"$log/virtualenv.log" 2>&1
cluster_rc=$?

# pg_regress / isolation lines: "test NAME ... ok" or "... FAILED"
p=$(grep -cE '^(test )?\s*[a-z0-9_]+\s+\.\.\. ok' "$log/installcheck.log" || true)
f=$(grep -cE '\.\.\. FAILED' "$log/installcheck.log" || true)
passed=$((passed + p)); failed=$((failed + f))
echo "   pg_regress+isolation: $p passed, $f failed"
# pg_regress that aborts (server not up, extension not installable) prints no
# test lines: its exit status and the cluster's must count too.
ic_rc=$(sed -n 's/^installcheck exit //p' "$log/installcheck.log" | tail -1)
if [ "$cluster_rc" -ne 0 ] || [ "${ic_rc:-1}" -ne 0 ] && [ "$f" -eq 0 ]; then
  failed=$((failed + 1)); echo "   pg_regress: installcheck exit ${ic_rc:-none}, cluster exit $cluster_rc"
  tail -20 "$log/installcheck.log"; tail -20 "$log/virtualenv.log"
fi
for d in regression.diffs output_iso/regression.diffs; do
  [ -s "$d" ] && { echo "---- $d"; head -150 "$d"; }
done
# TAP tests make their own clusters (as the postgres user when run by root)
echo "== TAP (dump/restore, crash)"
bash test/t/run_tap.sh >"$log/tap-run.log" 2>&1
tap_rc=$?
grep -E '^\s*(not )?ok [0-9]+' "$log/tap-run.log" >"$log/tap.log" || true
count "$log/tap.log" TAP
if [ "$tap_rc" -ne 0 ] || grep -qE 'Result: FAIL|Dubious|No subtests run' "$log/tap-run.log"; then
  failed=$((failed + 1)); echo "   TAP: a test script failed (exit $tap_rc)"
  grep -E 'Failed|Dubious|Parse errors|not ok' "$log/tap-run.log" | head -20
fi

# fleet: its own clusters (two with max_prepared_transactions > 0, one with 0)
if [ -f test/fleet/run.sh ]; then
  echo "== fleet (--fleet, --atomic, recover)"
  bash test/fleet/run.sh >"$log/fleet.log" 2>&1
  fleet_rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/fleet.log" | tail -1)
  if [ -n "$line" ]; then
    fp=$(echo "$line" | awk '{print $1}'); ff=$(echo "$line" | awk '{print $3}')
    passed=$((passed + fp)); failed=$((failed + ff))
    echo "   fleet: $fp passed, $ff failed"
    [ "$ff" -gt 0 ] && grep -E '^not ok' "$log/fleet.log" | head -20
  else
    failed=$((failed + 1)); echo "   fleet: no result line (exit $fleet_rc)"; tail -30 "$log/fleet.log"
  fi
fi

if [ -f "$log/client.log" ]; then
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/client.log" | tail -1)
  if [ -n "$line" ]; then
    cp=$(echo "$line" | awk '{print $1}'); cf=$(echo "$line" | awk '{print $3}')
    passed=$((passed + cp)); failed=$((failed + cf))
    echo "   client: $cp passed, $cf failed"
  else
    failed=$((failed + 1)); echo "   client: no result line"; tail -30 "$log/client.log"
  fi
  [ "${cf:-0}" -gt 0 ] && grep -E 'FAIL|not ok' "$log/client.log" | head -20
fi

# META.json, and the Debian package built and installed into its own cluster
echo "== release files and Debian package"
bash test/package/run.sh >"$log/package.log" 2>&1
pkg_rc=$?
count "$log/package.log" package
if [ "$pkg_rc" -ne 0 ] && ! grep -qE '^not ok' "$log/package.log"; then
  failed=$((failed + 1)); echo "   package: exit $pkg_rc"; tail -20 "$log/package.log"
fi
grep -E '^not ok' -A3 "$log/package.log" | head -20

# every README example, in order (test/readme/readme_test.py)
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/readme.log" 2>/dev/null | tail -1)
if [ -n "$line" ]; then
  rp=$(echo "$line" | awk '{print $1}'); rf=$(echo "$line" | awk '{print $3}')
  passed=$((passed + rp)); failed=$((failed + rf))
  echo "   README examples: $rp passed, $rf failed"
  [ "$rf" -gt 0 ] && grep -A6 '^not ok' "$log/readme.log" | head -40
else
  failed=$((failed + 1)); echo "   README examples: no result line"; tail -20 "$log/readme.log" 2>/dev/null
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
