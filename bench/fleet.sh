#!/usr/bin/env bash
# bench/fleet.sh: a fleet of N_DB databases x N_REV revisions (default
# 100 x 50), migrated four ways, one run side by side:
#   loop     a shell loop of single "pgmig -d CONNINFO upgrade" runs
#   -j 1     pgmig --fleet FILE -j 1 upgrade
#   -j 8     pgmig --fleet FILE -j 8 upgrade
#   atomic   pgmig --fleet FILE -j 8 --atomic upgrade (two-phase commit)
# Each way starts from the same fresh databases (CREATE DATABASE ... TEMPLATE
# of a database with the extension).  The cluster is a throwaway one of the
# PostgreSQL of PGMIG_PG_ROOT (or pg_config), fsync=off as in bench/run.sh,
# max_prepared_transactions = N_DB + 10, max_locks_per_transaction = MAX_LOCKS.  Prints a table; results in
# bench/README.md ("Fleet").
#
# Revisions: CREATE TABLE t_i (id int primary key, note text), downgrade DROP.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N_DB=${N_DB:-100}
N_REV=${N_REV:-50}
# Prepared transactions keep their locks in the shared lock table, which has
# max_locks_per_transaction x (max_connections + max_prepared_transactions)
# slots: 100 prepared transactions of 50 CREATE TABLEs with a primary key
# (6 entries per table, bench/README.md "Big atomic runs": about 300 each)
# need more than the default 64.
MAX_LOCKS=${MAX_LOCKS:-256}
. "$here/../test/fleet/env.sh" bench
port=$((20000 + RANDOM % 20000))
trap '"${as_pg[@]}" "$BIN/pg_ctl" -D "$TMP/db" -m immediate stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
"${as_pg[@]}" "$BIN/initdb" -D "$TMP/db" -U postgres -A trust >/dev/null
"${as_pg[@]}" "$BIN/pg_ctl" -D "$TMP/db" -l "$TMP/server.log" -w -o "-p $port -k $TMP \
	-c listen_addresses='' -c fsync=off -c max_connections=$((N_DB + 30)) \
	-c max_prepared_transactions=$((N_DB + 10)) -c max_locks_per_transaction=$MAX_LOCKS" start >/dev/null
export PGHOST=$TMP PGPORT=$port PGUSER=postgres
psql -XAtq -d postgres -c "CREATE DATABASE tpl" >/dev/null
psql -XAtq -d tpl -c "CREATE EXTENSION pgmig" >/dev/null

W=$TMP/w
mkdir -p "$W/migrations"
cd "$W"
prev=
for i in $(seq -f %03g 1 "$N_REV"); do
	{
		echo "-- revision: r$i"
		[ -n "$prev" ] && echo "-- down_revision: $prev"
		echo "-- message: table $i"
		echo
		echo "-- migrate:up"
		echo "CREATE TABLE t_$i (id int PRIMARY KEY, note text);"
		echo
		echo "-- migrate:down"
		echo "DROP TABLE t_$i;"
	} >"migrations/r${i}_table.sql"
	prev=r$i
done
for i in $(seq -f %03g 1 "$N_DB"); do
	echo "host=$TMP port=$port user=postgres dbname=f$i"
done >fleet.txt

# FILE_COPY (PostgreSQL 15+; the only strategy before): copying the small
# template's files is much faster than WAL-logging every block
strategy=
[ "$(psql -XAtq -d postgres -c "SHOW server_version_num")" -ge 150000 ] && strategy="STRATEGY FILE_COPY"
fresh() {
	local i
	for i in $(seq -f %03g 1 "$N_DB"); do
		echo "DROP DATABASE IF EXISTS f$i; CREATE DATABASE f$i TEMPLATE tpl $strategy;"
	done | psql -XAtq -d postgres -v client_min_messages=warning >/dev/null 2>&1
}
verify() {
	local i bad=0
	for i in $(seq -f %03g 1 "$N_DB"); do
		[ "$(psql -XAtq -d "f$i" -c "SELECT count(*) FROM pgmig.applied")" = "$N_REV" ] || bad=$((bad + 1))
	done
	echo "$bad"
}
declare -A secs
declare -A notes
measure() {
	local name=$1
	shift
	fresh
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	t1=$(date +%s.%N)
	secs[$name]=$(echo "$t1 - $t0" | bc)
	notes[$name]="exit $rc, $(verify) of $N_DB databases not at head"
	if [ "$rc" -ne 0 ]; then
		notes[$name]+="; first error: $(grep -m1 "error:" "$TMP/$name.err")"
	fi
}
loop() {
	local c
	while read -r c; do
		"$PGMIG" -q -d "$c" upgrade || return 1
	done <fleet.txt
}
measure loop loop
measure j1 "$PGMIG" -q --fleet fleet.txt -j 1 upgrade
measure j8 "$PGMIG" -q --fleet fleet.txt -j 8 upgrade
measure atomic "$PGMIG" -q --fleet fleet.txt -j 8 --atomic upgrade

echo "fleet of $N_DB databases x $N_REV revisions ($(nproc) cores, fsync=off, max_locks_per_transaction=$MAX_LOCKS)"
printf "%-34s %10s %10s  %s\n" way seconds "vs loop" check
for k in loop j1 j8 atomic; do
	case $k in
	loop) label="shell loop of pgmig upgrade" ;;
	j1) label="pgmig --fleet -j 1 upgrade" ;;
	j8) label="pgmig --fleet -j 8 upgrade" ;;
	atomic) label="pgmig --fleet -j 8 --atomic upgrade" ;;
	esac
	printf "%-34s %10.2f %9.2fx  %s\n" "$label" "${secs[$k]}" \
		"$(echo "${secs[loop]} / ${secs[$k]}" | bc -l)" "${notes[$k]}"
done
