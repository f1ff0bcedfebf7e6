#!/usr/bin/env bash
# Run pgmig's TAP tests (test/t/*.pl) against the installed pgmig.
#
#   bash test/t/run_tap.sh [test/t/001_dump_restore.pl ...]
#
# The tests create their own clusters with PostgreSQL::Test::Cluster, whose
# initdb refuses to run as root.  As a normal user this is just
# `make installcheck REGRESS= ISOLATION=`; as root it runs prove as the
# postgres user, with TESTDIR (where tmp_check/ and the logs go) in a
# directory postgres can write, because `make installcheck` would recreate
# tmp_check/ inside the (root-owned) source tree.
#
# Output: prove -v (one "ok N - ..." line per check), then prove's summary;
# exit status is prove's.  Logs: $TESTDIR/tmp_check/log/ (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_CONFIG=${PG_CONFIG:-pg_config}
pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/..      # .../lib/pgxs/src
bindir=$("$PG_CONFIG" --bindir)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(test/t/*.pl)

if [ "$(id -u)" -ne 0 ]; then
  testdir=${TESTDIR:-$(pwd)}
  rm -rf "$testdir/tmp_check"; mkdir -p "$testdir/tmp_check"
  set +e
  TESTDIR=$testdir PATH="$bindir:$PATH" PGPORT=${PGPORT:-65432} \
    PG_REGRESS="$pgxs/test/regress/pg_regress" \
    prove -v -I "$pgxs/test/perl/" -I . "${tests[@]}"
  rc=$?
  set -e
else
  testdir=${TESTDIR:-$(mktemp -d /tmp/pgmig_tap.XXXXXX)}
  mkdir -p "$testdir/t"; rm -rf "$testdir/tmp_check"
  # the checkout may sit where postgres cannot read it (say under /root):
  # run copies of the test scripts from the postgres-owned directory
  cp "${tests[@]}" "$testdir/t/"
  cp -r test/fixtures "$testdir/"     # data files the tests read
  chown -R postgres "$testdir"
  copies=()
  for t in "${tests[@]}"; do copies+=("t/$(basename "$t")"); done
  set +e
  (cd "$testdir" && runuser -u postgres -- env TESTDIR="$testdir" PATH="$bindir:$PATH" PGPORT="${PGPORT:-65432}" \
    PG_REGRESS="$pgxs/test/regress/pg_regress" \
    prove -v -I "$pgxs/test/perl/" "${copies[@]}")
  rc=$?
  set -e
fi
echo "TAP logs: $testdir/tmp_check/log/"
exit $rc
