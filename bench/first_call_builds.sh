#!/usr/bin/env bash
# bench/first_call_builds.sh: the first call in a new backend with two builds
# of pgmig.so, installed in turn into the server's library directory (same
# extension SQL, same databases), ROUNDS times each, so that the machine's
# drift over minutes hits both alike.  Backend CPU ms (min, median, max of REPS
# new connections, bench/bin/first_call_cpu) and private peak memory.
#
#   OLD_SO=/path/old/pgmig.so NEW_SO=./pgmig.so DBS="fc_5000 fc_100000" \
#     bash bench/first_call_builds.sh
#
# The databases are those bench/first_call_cpu.sh leaves with KEEP=1 (every
# revision stamped applied, so the upgrades are no-ops).  Needs
# write access to `pg_config --pkglibdir` (the last build installed is NEW_SO)
# and the backend's /proc entry (root or the server's user).  Only builds of
# the same extension version can be swapped so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${OLD_SO:?OLD_SO=path of the build to compare against}"
NEW_SO=${NEW_SO:-$here/../pgmig.so}
DBS=${DBS:-"fc_5000 fc_100000"}
REPS=${REPS:-7}
ROUNDS=${ROUNDS:-2}
lib=$(pg_config --pkglibdir)
mkdir -p "$here/bin"
cc -O2 -I"$(pg_config --includedir)" -o "$here/bin/first_call_cpu" "$here/first_call_cpu.c" \
  -L"$(pg_config --libdir)" -lpq
# swap SO: install a build under a new name, then rename it over the old
# one: a backend still exiting has the old file mapped, and a cp over it in
# place crashes that backend and with it the whole cluster
swap() { cp "$1" "$lib/pgmig.so.new" && mv -f "$lib/pgmig.so.new" "$lib/pgmig.so"; }
echo "# $(psql -X -Atc 'SELECT version()' -d postgres)"
. "$here/machine.sh"
machine_line
echo "# round build db  min median max  MB  faults  statement"
for round in $(seq "$ROUNDS"); do
  for build in old new; do
    if [ "$build" = old ]; then swap "$OLD_SO"; else swap "$NEW_SO"; fi
    for db in $DBS; do
      "$here/bin/first_call_cpu" "dbname=$db options='-c client_min_messages=warning'" "$REPS" \
        "SELECT count(*) FROM pgmig.heads()" "SELECT count(*) FROM pgmig.current()" \
        "SELECT count(*) FROM pgmig.branches()" "SELECT pgmig.upgrade('head')" \
        "SELECT pgmig.upgrade('heads')" "SELECT count(*) FROM pgmig.history()" \
        "SELECT count(*) FROM pgmig.status()" "SELECT count(*) FROM pgmig.check()" \
        "SELECT count(*) FROM pgmig.resolve('head')" \
        "SELECT count(*) FROM pgmig.plan('upgrade','head')" | sed "s/^/$round $build $db /"
    done
  done
done
swap "$NEW_SO"
