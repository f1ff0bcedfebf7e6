#!/bin/bash
# test/fleet/run.sh: end-to-end tests of "pgmig --fleet" (issue 14).
#
# Starts its own throwaway clusters with the PostgreSQL of PGMIG_PG_ROOT
# (a private copy made by test/dev/pgcopy.sh) or of `pg_config`: A and B
# with max_prepared_transactions = 64 and 12 tenant databases each, and C
# with max_prepared_transactions = 0 (the --atomic refusal).  The client is
# $PGMIG, else `pg_config --bindir`/pgmig, else src/client/pgmig.
#
# Prints "ok"/"not ok" lines and "N passed, N failed" last; exits non-zero
# on any failure.  The README's "Fleet" examples are run here (marked
# "README").

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh" test
passed=0
failed=0
CLUSTERS=()

cleanup() {
	local c
	for c in "${CLUSTERS[@]}"; do
		"${as_pg[@]}" "$BIN/pg_ctl" -D "$c/db" -m immediate stop >/dev/null 2>&1
	done
	[ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
fail() {
	failed=$((failed + 1))
	echo "not ok $((passed + failed)) - $1"
	echo "#   last command: ${LAST:-}"
	echo "#   exit status: ${RC:-}"
	sed 's/^/#   stdout: /' "$TMP/out" 2>/dev/null | head -40
	sed 's/^/#   stderr: /' "$TMP/err" 2>/dev/null | head -20
}
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# run pgmig ARGS: stdout in $TMP/out, stderr in $TMP/err, status in $RC
run() {
	LAST="pgmig $*"
	(cd "$TMP/w" && "$PGMIG" "$@") >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

# cluster NAME MAX_PREPARED: start a cluster, socket dir $TMP/NAME
cluster() {
	local d=$TMP/$1 port=$((20000 + RANDOM % 20000))
	mkdir -p "$d" && chmod 755 "$d"
	[ "$(id -u)" -eq 0 ] && chown postgres "$d"
	"${as_pg[@]}" "$BIN/initdb" -D "$d/db" -U postgres -A trust >"$d/initdb.log" 2>&1 ||
		{ cat "$d/initdb.log"; exit 1; }
	"${as_pg[@]}" "$BIN/pg_ctl" -D "$d/db" -l "$d/server.log" -w \
		-o "-p $port -k $d -c listen_addresses='' -c max_prepared_transactions=$2 -c max_connections=120" \
		start >/dev/null || { cat "$d/server.log"; exit 1; }
	CLUSTERS+=("$d")
	eval "PORT_$1=$port"
}
conn() { echo "host=$TMP/$1 port=$(eval echo \$PORT_$1) user=postgres dbname=$2"; }
sqlc() { psql -XAtq -d "$(conn "$1" "$2")" -c "$3"; }

cluster A 64
cluster B 64
cluster C 0

# 24 tenants: t01..t12 on A, t13..t24 on B
mkdir -p "$TMP/w/migrations"
{
	echo "# tenants of the test fleet (comments and blank lines are allowed)"
	echo
	for i in $(seq -w 1 24); do
		s=A; [ "$i" -gt 12 ] && s=B
		sqlc $s postgres "CREATE DATABASE t$i" && sqlc $s "t$i" "CREATE EXTENSION pgmig" >/dev/null
		conn $s "t$i"
	done
} >"$TMP/w/tenants.txt"
sqlc C postgres "CREATE DATABASE c1" && sqlc C c1 "CREATE EXTENSION pgmig" >/dev/null
grep -v '^#' "$TMP/w/tenants.txt" | grep -v '^$' | head -12 >"$TMP/w/tenants_a.txt"
{ cat "$TMP/w/tenants.txt"; conn C c1; } >"$TMP/w/with_c.txt"

# revision FILE-ID PARENT BODY [DOWN] [transactional]
rev() {
	{
		echo "-- revision: $1"
		[ -n "$2" ] && echo "-- down_revision: $2"
		echo "-- message: $1"
		[ -n "${5:-}" ] && echo "-- transactional: $5"
		echo
		echo "-- migrate:up"
		echo "$3"
		if [ -n "${4:-}" ]; then
			echo
			echo "-- migrate:down"
			echo "$4"
		fi
	} >"$TMP/w/migrations/$1_x.sql"
}
# on every tenant: its applied heads, one line per tenant
heads_all() {
	local i s
	for i in $(seq -w 1 24); do
		s=A; [ "$i" -gt 12 ] && s=B
		sqlc $s "t$i" "SELECT coalesce(string_agg(revision, ','), '') FROM pgmig.current()"
	done
}
all_at() { [ "$(heads_all | sort -u)" = "$1" ]; }
prepared_count() {
	echo $(($(sqlc A postgres "SELECT count(*) FROM pg_prepared_xacts") +
		$(sqlc B postgres "SELECT count(*) FROM pg_prepared_xacts")))
}

# ---- a parallel run ----
rev r1 "" "CREATE TABLE widget (id int);" "DROP TABLE widget;"
rev r2 r1 "ALTER TABLE widget ADD COLUMN name text;" "ALTER TABLE widget DROP COLUMN name;"
run --fleet tenants.txt -j 8 upgrade # README
check "parallel upgrade of 24 databases on 2 servers exits 0" '[ $RC -eq 0 ]'
check "every database is at r2" 'all_at r2'
check "one row per database, each ok with 2 revisions" \
	'[ $(grep -c " | r2 *| *2 | .* s | ok " "$TMP/out") -eq 24 ]'
check "the total line counts them" 'grep -q "^(24 databases: 24 ok, 0 failed; 48 revisions; .*; independent)$" "$TMP/out"'
check "the password is not shown" '! grep -q password "$TMP/out"'
check "progress on stderr: done/total and failures" 'grep -q "pgmig: fleet upgrade: 24/24 done, 0 failed" "$TMP/err"'

run --fleet tenants.txt -j 4 current --json
check "--json report parses and has 24 targets" \
	'python3 -c "import json,sys; d=json.load(open(\"$TMP/out\")); assert len(d[\"targets\"])==24 and d[\"total\"][\"ok\"]==24 and d[\"targets\"][0][\"after\"]==\"r2\""'
run --fleet tenants.txt -j 4 --csv status
check "--csv report: a header and 24 rows" \
	'[ $RC -eq 0 ] && head -1 "$TMP/out" | grep -q "^target,before,after,revisions,duration,result,detail$" && [ $(grep -c ",ok,\"pending 0, problems 0, drift 0\"$" "$TMP/out") -eq 24 ]'
run --fleet tenants.txt -j 4 check
check "check over the fleet" '[ $RC -eq 0 ] && [ $(grep -c "no problems" "$TMP/out") -eq 24 ]'

# ---- independent mode: one database fails, the others complete ----
sqlc A t07 "CREATE TABLE audit (x int)"
rev r3 r2 "CREATE TABLE audit (id int);" "DROP TABLE audit;"
run --fleet tenants.txt -j 6 upgrade
check "independent: a failure makes the exit status 1" '[ $RC -eq 1 ]'
check "independent: the 23 others are at r3, t07 stays at r2" \
	'[ "$(heads_all | sort | uniq -c | tr -s " ")" = "$(printf " 1 r2\n 23 r3")" ]'
check "independent: the failure is reported with the error's first line" \
	'grep "dbname=t07 " "$TMP/out" | grep -Eq "\| failed +\| relation \"audit\" already exists" && grep -q "dbname=t07 user=postgres: relation \"audit\" already exists" "$TMP/err" && grep -q "1 of 24 databases failed" "$TMP/err"'
sqlc A t07 "DROP TABLE audit"
run --fleet tenants.txt -j 6 upgrade
check "after the fix, the rerun brings t07 along (others: 0 revisions)" \
	'[ $RC -eq 0 ] && all_at r3 && grep "dbname=t07 " "$TMP/out" | grep -q "| r3 *| *1 |"'

# ---- drift between the folder and one database is reported for it ----
sqlc B t20 "SELECT pgmig.add('stray', '{r3}', 'SELECT 1;', 'SELECT 1;', 'stray'); SELECT pgmig.upgrade('stray')" >/dev/null 2>&1
run --fleet tenants.txt -j 6 upgrade
check "drift: the database with a revision the folder lacks fails, by name" \
	'[ $RC -eq 1 ] && grep "dbname=t20 " "$TMP/out" | grep -Eq "failed +\| revision stray is applied, but its file is missing" && [ $(grep -c "| ok " "$TMP/out") -eq 23 ]'
sqlc B t20 "SELECT pgmig.downgrade('r3'); DELETE FROM pgmig.revision WHERE id = 'stray'" >/dev/null 2>&1

# ---- atomic: one database fails, none changes, nothing stays prepared ----
sqlc A t11 "CREATE TABLE gadget (x int)"
rev r4 r3 "CREATE TABLE gadget (id int);" "DROP TABLE gadget;"
run --fleet tenants.txt -j 6 --atomic upgrade
check "atomic: a failure makes the exit status 1" '[ $RC -eq 1 ]'
check "atomic: no database changed (all still at r3)" 'all_at r3'
check "atomic: no prepared transaction is left on either server" '[ "$(prepared_count)" = 0 ]'
check "atomic: the report names the failure and says everything was rolled back" \
	'grep "dbname=t11 " "$TMP/out" | grep -Eq "\| failed +\| relation \"gadget\" already exists" && [ $(grep -Ec "\| rolled back +\| rolled back pgmig_" "$TMP/out") -eq 23 ] && grep -q "every prepared transaction was rolled back" "$TMP/err" && grep -q "atomic, rolled back" "$TMP/out"'
check "atomic: the others had prepared and were rolled back (rollback phase ran everywhere)" \
	'grep -q "pgmig: fleet rollback: 24/24 done, 0 failed" "$TMP/err"'
check "atomic: the rollback decision is recorded" \
	'f=$(ls -t "$TMP/w/tenants.txt.pgmig-decisions/" | grep -v lock | head -1); [ "$(head -1 "$TMP/w/tenants.txt.pgmig-decisions/$f")" = rollback ]'

# the last-moment failure: the upgrade ran everywhere, one does not prepare
sqlc A t11 "DROP TABLE gadget"
PGMIG_FLEET_TEST_FAIL_PREPARE_N=17 run --fleet tenants.txt -j 6 --atomic upgrade
check "atomic: a failure at PREPARE time (test hook) rolls back the 23 prepared" \
	'[ $RC -eq 1 ] && all_at r3 && [ "$(prepared_count)" = 0 ]'

# a worker killed right after its PREPARE: failed for the report, yet prepared
PGMIG_FLEET_TEST_KILL_WORKER_AFTER_PREPARE_N=5 run --fleet tenants.txt -j 6 --atomic upgrade
check "atomic: a worker killed after its PREPARE is rolled back too (nothing left prepared)" \
	'[ $RC -eq 1 ] && all_at r3 && [ "$(prepared_count)" = 0 ] && grep "dbname=t05 " "$TMP/out" | grep -q "worker killed by signal 9"'

run --fleet tenants.txt -j 6 --atomic upgrade # README
check "atomic: all prepared, then all committed" '[ $RC -eq 0 ] && all_at r4 && [ "$(prepared_count)" = 0 ]'
check "atomic: the commit decision lists the 24 gids" \
	'f=$(ls -t "$TMP/w/tenants.txt.pgmig-decisions/" | grep -v lock | head -1); d="$TMP/w/tenants.txt.pgmig-decisions/$f"; [ "$(head -1 "$d")" = commit ] && [ $(grep -c "^pgmig_${f}_[0-9]*	host=" "$d") -eq 24 ]'

# ---- atomic refusals, up front, changing nothing ----
rev r5 r4 "CREATE TABLE r5t (id int);" "DROP TABLE r5t;"
run --fleet with_c.txt -j 6 --atomic upgrade
check "atomic is refused where max_prepared_transactions = 0, naming the database" \
	'[ $RC -eq 1 ] && grep "dbname=c1" "$TMP/out" | grep -Eq "\| failed +\| --atomic needs max_prepared_transactions > 0" && [ $(grep -Ec "\| r4 +\| r4 +\| +0 \|.*\| not run +\| not run: another database was refused" "$TMP/out") -eq 24 ] && grep -q "nothing was changed" "$TMP/err"'
check "refused: nothing changed, not even on the other servers" \
	'all_at r4 && [ "$(sqlc C c1 "SELECT count(*) FROM pgmig.applied")" = 0 ]'
rev r6 r5 "CREATE INDEX CONCURRENTLY r5t_id ON r5t (id);" "DROP INDEX CONCURRENTLY r5t_id;" false
run --fleet tenants.txt -j 6 --atomic upgrade
check "atomic is refused when a pending revision is non-transactional, naming it" \
	'[ $RC -eq 1 ] && grep -q "non-transactional revision r6 cannot run inside a prepared transaction" "$TMP/out" && all_at r4 && [ "$(prepared_count)" = 0 ]'
run --fleet tenants.txt -j 6 upgrade
check "independent mode runs the non-transactional revision on every database" '[ $RC -eq 0 ] && all_at r6'

# ---- the coordinator killed after the commit decision: recover commits ----
rev r7 r6 "CREATE TABLE r7t (id int);" "DROP TABLE r7t;"
PGMIG_FLEET_TEST_DIE_AFTER_PREPARE=1 run --fleet tenants.txt -j 6 --atomic upgrade
check "killed after writing the decision (SIGKILL)" '[ $RC -eq 137 ]'
check "24 transactions are left prepared, nothing committed" '[ "$(prepared_count)" = 24 ] && all_at r6'
run --fleet tenants.txt -j 6 status # README
check "status over the fleet shows them in doubt (exit 1)" \
	'[ $RC -eq 1 ] && [ $(grep -c "| in doubt | .*prepared: pgmig_" "$TMP/out") -eq 24 ] && grep -q "run \"pgmig --fleet ... recover\"" "$TMP/err"'
run --fleet tenants.txt -j 6 recover # README
check "recover commits them all (the decision was commit)" \
	'[ $RC -eq 0 ] && all_at r7 && [ "$(prepared_count)" = 0 ] && [ $(grep -c "| ok *| committed pgmig_" "$TMP/out") -eq 24 ]'

# ---- the coordinator killed before the decision: recover rolls back ----
rev r8 r7 "CREATE TABLE r8t (id int);" "DROP TABLE r8t;"
PGMIG_FLEET_TEST_DIE_BEFORE_DECISION=1 run --fleet tenants.txt -j 6 --atomic upgrade
check "killed before writing the decision: 24 prepared" '[ $RC -eq 137 ] && [ "$(prepared_count)" = 24 ]'
run --fleet tenants.txt -j 6 --atomic upgrade
check "a new atomic run is refused while they are pending" \
	'[ $RC -eq 1 ] && grep -q "still prepared here" "$TMP/out" && [ "$(prepared_count)" = 24 ]'
run --fleet tenants.txt -j 6 recover
check "recover rolls them all back (no decision recorded)" \
	'[ $RC -eq 0 ] && all_at r7 && [ "$(prepared_count)" = 0 ] && [ $(grep -c "rolled back pgmig_" "$TMP/out") -eq 24 ]'
run --fleet tenants.txt -j 6 recover
check "recover again: nothing prepared" '[ $RC -eq 0 ] && [ $(grep -c "nothing prepared" "$TMP/out") -eq 24 ]'

# ---- canary ----
sqlc A t02 "CREATE TABLE r8t (x int)"
run --fleet tenants.txt -j 4 --canary 3 upgrade # README
check "canary: a failing canary stops the run (exit 1)" \
	'[ $RC -eq 1 ] && grep -q "1 of the 3 canary databases failed; the other 21 were not touched" "$TMP/err"'
check "canary: the other canaries ran, the 21 others were skipped and untouched" \
	'[ $(grep -c "| skipped | skipped: the canary failed" "$TMP/out") -eq 21 ] && [ "$(heads_all | sort | uniq -c | tr -s " ")" = "$(printf " 22 r7\n 2 r8")" ]'
sqlc A t02 "DROP TABLE r8t"
run --fleet tenants.txt -j 4 --canary 3 upgrade
check "canary: when the canaries pass, the rest follows" '[ $RC -eq 0 ] && all_at r8'

# ---- a fleet query (a tenant registry) ----
sqlc A postgres "CREATE TABLE tenant (name text, conninfo text, active boolean)"
for i in 03 05 14 22; do
	s=A; [ "$i" -gt 12 ] && s=B
	sqlc A postgres "INSERT INTO tenant VALUES ('t$i', '$(conn $s "t$i")', true)"
done
sqlc A postgres "INSERT INTO tenant VALUES ('gone', 'dbname=nosuch', false)"
run -d "$(conn A postgres)" --fleet-query "SELECT conninfo FROM tenant WHERE active ORDER BY name" -j 2 current # README
check "fleet query: the 4 active tenants, from 2 servers" \
	'[ $RC -eq 0 ] && [ $(grep -c "| r8 *| r8 " "$TMP/out") -eq 4 ] && grep -q "dbname=t22" "$TMP/out" && ! grep -q nosuch "$TMP/out"'
run -d "$(conn A postgres)" --fleet-query "SELECT conninfo FROM tenant WHERE false" current
check "fleet query returning nothing is an error" '[ $RC -eq 1 ] && grep -q "returned no database" "$TMP/err"'

# ---- usage errors ----
run --fleet tenants.txt --atomic current
check "--atomic with a read command is a usage error" '[ $RC -eq 2 ] && grep -q "atomic applies to upgrade" "$TMP/err"'
run --fleet tenants.txt -j 0 upgrade
check "-j 0 is a usage error" '[ $RC -eq 2 ]'
run --fleet tenants.txt history
check "a command that does not run over a fleet is a usage error naming the ones that do" \
	'[ $RC -eq 2 ] && grep -q "fleet commands: upgrade, downgrade" "$TMP/err"'
printf 'host=/tmp dbname=x\nnot a conninfo line\n' >"$TMP/w/bad.txt"
run --fleet bad.txt current
check "a bad fleet file line is reported as FILE:LINE" '[ $RC -eq 1 ] && grep -q "bad.txt:2: not a connection string" "$TMP/err"'

# ---- downgrade and stamp over the fleet ----
run --fleet tenants.txt -j 8 downgrade r7
check "downgrade over the fleet" '[ $RC -eq 0 ] && all_at r7 && [ $(grep -c "| r8 *| r7 *| *1 |" "$TMP/out") -eq 24 ]'
run --fleet tenants.txt -j 8 --atomic stamp r8
check "atomic stamp over the fleet" '[ $RC -eq 0 ] && all_at r8 && [ "$(prepared_count)" = 0 ]'

# ---- -j bounds the connections (counted in pg_stat_activity) ----
# sample_start / sample_stop: the most pgmig connections seen at once on A
sample_start() {
	: >"$TMP/samples"
	(
		while :; do
			sqlc A postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgmig'" >>"$TMP/samples" 2>/dev/null
			sleep 0.05
		done
	) &
	SAMPLER=$!
}
sample_stop() {
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	max=$(sort -n "$TMP/samples" | tail -1)
}
rev r9 r8 "SELECT pg_sleep(0.4);" "SELECT 1;"
sample_start
run --fleet tenants_a.txt -j 3 upgrade
sample_stop
check "-j 3: never more than 3 pgmig connections (max seen: $max in $(wc -l <"$TMP/samples") samples)" \
	'[ $RC -eq 0 ] && [ "$max" -le 3 ]'
check "-j 3: the run was parallel (more than one connection seen at once)" '[ "$max" -ge 2 ]'

# ---- review over the fleet: each database against its own tables ----
# t09's widget has a row whose name is NULL; everywhere else widget is
# empty, so only t09 has an error finding for SET NOT NULL.
sqlc A t09 "INSERT INTO widget VALUES (1, NULL)"
rev r10 r9 "ALTER TABLE widget ALTER COLUMN name SET NOT NULL;" "ALTER TABLE widget ALTER COLUMN name DROP NOT NULL;"
run --fleet tenants.txt -j 4 review # README
check "review: exit 1 when a database has an error finding" '[ $RC -eq 1 ]'
check "review: t09 fails with its count and first error (data-not-null), on its own data" \
	'grep "dbname=t09 " "$TMP/out" | grep -Eq "\| failed +\| 1 error, [0-9]+ warnings?, [0-9]+ notes?; first error: r10: data-not-null: "'
check "review: the 23 others are ok with 0 errors" \
	'[ $(grep -Ec "\| ok +\| 0 errors, " "$TMP/out") -eq 23 ] && grep -q "^(24 databases: 23 ok, 1 failed; " "$TMP/out"'
r10_loaded=$(sqlc A t09 "SELECT count(*) FROM pgmig.revision WHERE id = 'r10'")
check "review: changes nothing (no revision applied, the folder load rolled back)" \
	'[ "$(heads_all | sort | uniq -c | tr -s " ")" = "$(printf " 12 r8\n 12 r9")" ] && [ "$r10_loaded" = 0 ]'
run --fleet tenants.txt -j 4 --json review r10
check "review --json: per-database findings by severity" \
	'python3 -c "
import json; d=json.load(open(\"$TMP/out\"))
t=[x for x in d[\"targets\"] if \"dbname=t09 \" in x[\"target\"]][0]
assert t[\"findings\"][\"error\"]==1 and t[\"result\"]==\"failed\", t
assert sum(x[\"findings\"][\"error\"] for x in d[\"targets\"])==1 and d[\"total\"][\"failed\"]==1"'
sqlc A t09 "DELETE FROM widget"
run --fleet tenants.txt -j 4 --csv review
check "review --csv: after the fix, no database has an error (exit 0)" \
	'[ $RC -eq 0 ] && [ $(grep -c ",ok,\"0 errors, " "$TMP/out") -eq 24 ]'
rm "$TMP/w/migrations/r10_x.sql"

# ---- diff over the fleet: each database's schema against a reference ----
# t05 and t18 drift from the others (a table, an index); t01 is the reference.
sqlc A t05 "CREATE TABLE extra (id int)"
sqlc B t18 "CREATE INDEX widget_name ON widget (name)"
sample_start
run --fleet tenants.txt -j 2 diff "$(conn A t01)" --output-dir diffs # README
sample_stop
check "diff: exit 3 (as diff --exit-code) when databases differ" '[ $RC -eq 3 ]'
check "diff: t05 and t18 differ, with the count and their first statement" \
	'grep "dbname=t05 " "$TMP/out" | grep -Eq "\| differs +\| 1 difference; first: DROP TABLE public\.extra;" && grep "dbname=t18 " "$TMP/out" | grep -Eq "\| differs +\| 1 difference; first: DROP INDEX public\.widget_name;"'
check "diff: the 22 others are the same; the total counts 2 differ" \
	'[ $(grep -Ec "\| ok +\| same" "$TMP/out") -eq 22 ] && grep -q "^(24 databases: 22 ok, 0 failed, 2 differ; " "$TMP/out"'
check "diff --output-dir: one file per database, the SQL that makes it the reference" \
	'[ $(ls "$TMP/w/diffs" | wc -l) -eq 24 ] && grep -q "DROP TABLE public.extra;" "$TMP/w/diffs/05_t05.sql" && [ ! -s "$TMP/w/diffs/01_t01.sql" ]'
check "diff -j 2: never more than 2 pgmig connections (max seen: $max)" '[ "$max" -le 2 ]'
sqlc A t01 "CREATE TABLE extra (id int)"
run --fleet tenants_a.txt -j 4 --json diff "$(conn A t01)"
check "diff --json: differences per database (reference changed: now t05 is the same)" \
	'[ $RC -eq 3 ] && python3 -c "
import json; d=json.load(open(\"$TMP/out\"))
n={x[\"target\"].split(\"dbname=\")[1].split()[0]: x[\"differences\"] for x in d[\"targets\"]}
assert n[\"t05\"]==0 and n[\"t01\"]==0 and n[\"t02\"]==1 and d[\"total\"][\"differs\"]==10, n"'
sqlc A t01 "DROP TABLE extra"
sqlc A t05 "DROP TABLE extra"
sqlc B t18 "DROP INDEX widget_name"
run --fleet tenants.txt -j 4 --csv diff "$(conn A t01)"
check "diff --csv: all the same again: exit 0" \
	'[ $RC -eq 0 ] && [ $(grep -c ",ok,same$" "$TMP/out") -eq 24 ]'
# the folder's schema, written by hand
cat >"$TMP/w/ref.sql" <<'SQL'
CREATE TABLE widget (id int, name text);
CREATE TABLE audit (id int);
CREATE TABLE gadget (id int);
CREATE TABLE r5t (id int);
CREATE INDEX r5t_id ON r5t (id);
CREATE TABLE r7t (id int);
SQL
run --fleet tenants_a.txt -j 4 diff ref.sql --dev-url "$(conn A postgres)"
scratch_left=$(sqlc A postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmig_scratch%'")
check "diff against a FILE.sql (built once in a scratch database, dropped)" \
	'[ $RC -eq 0 ] && [ $(grep -Ec "\| ok +\| same" "$TMP/out") -eq 12 ] && [ "$scratch_left" = 0 ]'
{ cat "$TMP/w/tenants_a.txt"; echo "host=$TMP/A port=1 dbname=gone"; } >"$TMP/w/with_gone.txt"
run --fleet with_gone.txt -j 4 diff "$(conn A t01)"
check "diff: an unreachable database is one failed row (exit 1), the others are compared" \
	'[ $RC -eq 1 ] && grep "dbname=gone" "$TMP/out" | grep -Eq "\| failed +\| connection to server" && [ $(grep -Ec "\| ok +\| same" "$TMP/out") -eq 12 ]'
run --fleet tenants.txt diff
check "diff without a reference is a usage error" '[ $RC -eq 2 ] && grep -q "needs one reference" "$TMP/err"'
run --fleet tenants.txt --output-dir x review
check "a diff option with another command is a usage error" '[ $RC -eq 2 ]'
run --fleet tenants_a.txt diff "host=$TMP/A port=1 dbname=nosuch password=s3cret"
check "diff: an unreachable reference stops the run, comparing nothing, its password not shown" \
	'[ $RC -eq 1 ] && grep -q "reference \"host=.* port=1 dbname=nosuch\"; no database was compared" "$TMP/err" && ! grep -q s3cret "$TMP/err" && [ ! -s "$TMP/out" ]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
