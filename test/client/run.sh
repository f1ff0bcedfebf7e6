#!/bin/bash
# test/client/run.sh: end-to-end tests of the pgmig client.
#
# Runs against the server given by the libpq environment (PGHOST, PGPORT,
# PGUSER, ...), e.g.
#     pg_virtualenv -t bash -c 'bash test/client/run.sh'
# Each group gets a fresh database (createdb/dropdb).  The client is
# $PGMIG, else `pg_config --bindir`/pgmig (make install), else the build
# tree's src/client/pgmig.  The Alembic group needs Debian's
# python3-alembic and python3-psycopg2 (skipped, and said so, without).
#
# Prints "N passed, N failed" last; exits non-zero on any failure.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGMIG=${PGMIG:-$(pg_config --bindir)/pgmig}
[ -x "$PGMIG" ] || PGMIG=$ROOT/src/client/pgmig
PY=${PYTHON3:-/usr/bin/python3}
TMP=$(mktemp -d /tmp/pgmig_client_test.XXXXXX)
DBS=()
passed=0
failed=0

cleanup() {
	cd /
	for d in "${DBS[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- helpers ----
pass() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $GROUP: $1"; }
fail() {
	failed=$((failed + 1))
	echo "not ok $((passed + failed)) - $GROUP: $1"
	echo "#   last command: ${LAST:-}"
	echo "#   exit status: ${RC:-}"
	sed 's/^/#   stdout: /' "$TMP/out" 2>/dev/null | head -20
	sed 's/^/#   stderr: /' "$TMP/err" 2>/dev/null | head -20
}

# group NAME: a fresh database and working folder
group() {
	GROUP=$1
	DB=pgmig_t_$1
	dropdb --if-exists "$DB" >/dev/null 2>&1
	# (retries: a server restarting after a crash takes a moment)
	local i
	for i in $(seq 1 30); do
		createdb "$DB" 2>/dev/null && break
		sleep 1
	done
	psql -XAtq -d "$DB" -c "SELECT 1" >/dev/null 2>&1 || { echo "createdb $DB failed"; exit 1; }
	DBS+=("$DB")
	export PGDATABASE=$DB
	unset DATABASE_URL
	W=$TMP/$1
	mkdir -p "$W"
	cd "$W" || exit 1
	echo "# group $1"
}

# run CMD...: stdout, stderr and status kept for the expectations
run() {
	LAST="$*"
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}
pgmig() { run "$PGMIG" "$@"; }

expect_rc() { if [ "$RC" = "$1" ]; then pass "$2"; else fail "$2 (want exit $1)"; fi; }
expect_out() { if grep -Eq -- "$1" "$TMP/out"; then pass "$2"; else fail "$2 (stdout lacks /$1/)"; fi; }
expect_err() { if grep -Eq -- "$1" "$TMP/err"; then pass "$2"; else fail "$2 (stderr lacks /$1/)"; fi; }
expect_no_err() { if grep -Eq -- "$1" "$TMP/err"; then fail "$2 (stderr has /$1/)"; else pass "$2"; fi; }
sql() { psql -XAtq -v ON_ERROR_STOP=1 -d "${2:-$DB}" -c "$1" 2>&1; }
expect_sql() {
	local got
	got=$(sql "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else LAST="$1"; fail "$3 (got '$got', want '$2')"; fi
}
# write a revision file: revfile DIR ID PARENTS MSG UP [DOWN] [EXTRA HEADER]
revfile() {
	local dir=$1 id=$2 parents=$3 msg=$4 up=$5 down=${6-__none__} extra=${7:-}
	{
		echo "-- revision: $id"
		echo "-- down_revision: $parents"
		echo "-- message: $msg"
		[ -n "$extra" ] && echo "$extra"
		echo
		echo "-- migrate:up"
		echo "$up"
		if [ "$down" != "__none__" ]; then
			echo
			echo "-- migrate:down"
			echo "$down"
		fi
	} >"$dir/${id}_$(echo "$msg" | tr 'A-Z ' 'a-z_').sql"
}

echo "# client: $PGMIG"

# ======================================================================
group usage
for c in init load revision upgrade downgrade stamp drift test current heads branches history show merge check status graph repair import-alembic review diff; do
	pgmig "$c" --help
	if [ "$RC" = 0 ] && grep -q "Usage:" "$TMP/out" && grep -q "pgmig .*$c" "$TMP/out"; then
		pass "$c --help"
	else
		fail "$c --help"
	fi
done
pgmig --help; expect_rc 0 "--help"; expect_out "import-alembic" "--help lists the commands"
pgmig help upgrade; expect_rc 0 "help COMMAND"
pgmig; expect_rc 2 "no command is a usage error"
pgmig frobnicate; expect_rc 2 "unknown command"; expect_err 'unknown command "frobnicate"' "unknown command named"
pgmig upgrade --bogus; expect_rc 2 "unknown option"; expect_err "upgrade --help" "usage error points at the command's help"
pgmig revision; expect_rc 2 "revision without -m"
pgmig upgrade a b; expect_rc 2 "upgrade with two targets"
pgmig show; expect_rc 2 "show without a revision"
pgmig stamp; expect_rc 2 "stamp without a target"
pgmig merge -m x onlyone; expect_rc 2 "merge of one revision"
pgmig --dir; expect_rc 2 "--dir without a value"
pgmig --version; expect_rc 0 "--version"; expect_out "^pgmig " "--version prints the name"

# ======================================================================
group init
pgmig current; expect_rc 1 "command before init fails"; expect_err "pgmig init" "and says to run init"
pgmig init; expect_rc 0 "init"; expect_err "Created extension pgmig" "init creates the extension"
[ -d migrations ] && pass "init creates ./migrations" || fail "init creates ./migrations"
expect_sql "SELECT count(*) FROM pg_extension WHERE extname = 'pgmig'" 1 "extension installed"
pgmig init; expect_rc 0 "init again"; expect_err "already installed" "init is idempotent"
pgmig -q init; expect_rc 0 "init -q"
if [ -s "$TMP/err" ]; then fail "--quiet suppresses progress"; else pass "--quiet suppresses progress"; fi
pgmig -d "dbname=$DB" current; expect_rc 0 "-d conninfo"
pgmig -d "postgresql:///$DB" current; expect_rc 0 "-d URI"
pgmig -d "dbname=pgmig_no_such_db" current; expect_rc 1 "bad database: exit 1"; expect_err "pgmig_no_such_db" "connection error names the database"
run env -u PGDATABASE DATABASE_URL="postgresql:///$DB" "$PGMIG" current; expect_rc 0 "DATABASE_URL"
run env -u PGDATABASE DATABASE_URL="postgresql+psycopg2:///$DB" "$PGMIG" current; expect_rc 0 "DATABASE_URL with a SQLAlchemy driver"
run env DATABASE_URL="postgresql:///pgmig_no_such_db" "$PGMIG" current; expect_rc 1 "DATABASE_URL wins over PGDATABASE"
run env DATABASE_URL="postgresql:///pgmig_no_such_db" "$PGMIG" -d "dbname=$DB" current; expect_rc 0 "-d wins over DATABASE_URL"

# ======================================================================
group revision
mkdir migrations
pgmig revision -m "Create segment table"; expect_rc 0 "revision in an empty folder"
f1=$(ls migrations/*_create_segment_table.sql 2>/dev/null)
id1=$(cat "$TMP/out")
[[ "$(basename "$f1")" =~ ^[0-9a-f]{12}_create_segment_table\.sql$ ]] && pass "file is <12 hex>_<slug>.sql" || fail "file is <12 hex>_<slug>.sql"
[ "$(basename "$f1")" = "${id1}_create_segment_table.sql" ] && pass "prints the new id" || fail "prints the new id"
grep -q "^-- down_revision:$" "$f1" && pass "first revision is a root" || fail "first revision is a root"
pgmig revision -m "Add audio timestamps"; expect_rc 0 "second revision"
id2=$(cat "$TMP/out"); f2=$(ls migrations/${id2}_*.sql)
grep -q "^-- down_revision: $id1$" "$f2" && pass "parent is the current head" || fail "parent is the current head"
pgmig revision -m "Index audio" --non-transactional --branch-label audio --depends-on "$id1"
expect_rc 0 "revision with options"
f3=$(ls migrations/*_index_audio.sql)
grep -q "^-- transactional: false$" "$f3" && pass "--non-transactional" || fail "--non-transactional"
grep -q "^-- branch_labels: audio$" "$f3" && pass "--branch-label" || fail "--branch-label"
grep -q "^-- depends_on: $id1$" "$f3" && pass "--depends-on" || fail "--depends-on"
pgmig revision -m "Other root" --head base; expect_rc 0 "--head base starts a new root"
pgmig revision -m "Ambiguous"; expect_rc 1 "several heads: exit 1"; expect_err "several heads" "several heads named"
expect_err "\-\-head" "hint mentions --head"
pgmig revision -m "On audio" --head "${id1:0:6}"; expect_rc 1 "--head of a non-head needs --splice"; expect_err "splice" "says so"
pgmig revision -m "On audio" --head "${id1:0:6}" --splice; expect_rc 0 "--head prefix with --splice"
rm -f migrations/*_on_audio.sql
pgmig revision -m "Fixed id" --head "$(basename "$f3" | cut -c1-12)" --rev-id abc123def456; expect_rc 0 "--head and --rev-id"
[ -f migrations/abc123def456_fixed_id.sql ] && pass "--rev-id names the file" || fail "--rev-id names the file"
pgmig revision -m "dup" --rev-id abc123def456 --head base; expect_rc 1 "duplicate --rev-id refused"
pgmig revision -m "x" --rev-id head; expect_rc 2 "reserved --rev-id refused"
pgmig init; pgmig load; expect_rc 0 "generated files load"
pgmig --dir nowhere revision -m x; expect_rc 1 "missing folder: exit 1"; expect_err "nowhere" "missing folder named"

# ======================================================================
group load
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
pgmig load; expect_rc 0 "load"; expect_err "2 new" "load reports what it loaded"
expect_sql "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.revision" "r1,r2" "revisions in the database"
expect_sql "SELECT count(*) FROM pgmig.applied" 0 "load applies nothing"
pgmig load; expect_rc 0 "load again"; expect_err "0 new, 0 changed, 0 removed" "reload changes nothing"
sed -i 's/Add b/Add column b/' $M/r2_add_b.sql
pgmig load; expect_err "1 changed" "edited unapplied revision is updated"
expect_sql "SELECT message FROM pgmig.revision WHERE id = 'r2'" "Add column b" "new message loaded"
printf -- '-- revision: r3\n-- down_revision: r2\n-- message: Broken\n-- colour: blue\n\n-- migrate:up\nSELECT 1;\n' >$M/r3_broken.sql
revfile $M r4 "r2" "Fine" "SELECT 1;" ""
pgmig load; expect_rc 1 "broken file: exit 1"; expect_err "r3_broken.sql:4:" "names file and line"
expect_err "nothing loaded" "says nothing was loaded"
expect_sql "SELECT count(*) FROM pgmig.revision" 2 "nothing loaded (not even the good file)"
rm $M/r3_broken.sql
revfile $M r5 "nope" "Orphan" "SELECT 1;" ""
pgmig load; expect_rc 1 "unknown parent: exit 1"; expect_err "r5_orphan.sql: down_revision nope" "unknown parent named with its file"
rm $M/r5_orphan.sql
revfile $M r6 "r2" "Dup" "SELECT 1;" ""
mv $M/r6_dup.sql $M/zz_dup.sql; sed -i 's/revision: r6/revision: r4/' $M/zz_dup.sql
pgmig load; expect_rc 1 "duplicate id: exit 1"; expect_err "r4 is defined twice" "duplicate id reported"
rm $M/zz_dup.sql
revfile $M c1 "c2" "Cycle one" "SELECT 1;" ""
revfile $M c2 "c1" "Cycle two" "SELECT 1;" ""
pgmig load; expect_rc 1 "cycle: exit 1"; expect_err "the revisions form a cycle" "cycle reported"
expect_sql "SELECT count(*) FROM pgmig.revision WHERE id IN ('c1', 'c2')" 0 "nothing of the cycle loaded"
rm $M/c1_cycle_one.sql $M/c2_cycle_two.sql
cp $M/r4_fine.sql $M/misnamed.sql; rm $M/r4_fine.sql
pgmig load; expect_rc 0 "misnamed file loads"; expect_err "misnamed.sql: file name does not start with its revision id r4" "misnamed file warned"
rm $M/misnamed.sql
pgmig load; expect_rc 0 "load after deleting an unapplied file"; expect_err "Removed revision r4" "unapplied revision without file removed"
expect_sql "SELECT count(*) FROM pgmig.revision WHERE id = 'r4'" 0 "r4 gone from the database"
printf -- "-- revision: r7\n-- down_revision: r2\n-- message: Quotes, \"commas\" and a backslash \\\\\n\n-- migrate:up\nSELECT 'it''s', E'a\\\\b', \$\$x,y\$\$;\n" >$M/r7_quotes.sql
pgmig load; expect_rc 0 "CSV-hostile content loads"
expect_sql "SELECT upgrade FROM pgmig.revision WHERE id = 'r7'" "SELECT 'it''s', E'a\\b', \$\$x,y\$\$;" "script loaded byte for byte"
# over the text budget (0: no text kept), the texts asked for are read again
revfile $M r8 "r7" "Re-read" "SELECT 'reread';" ""
sed -i 's/Add column b/Add column b again/' $M/r2_add_b.sql
PGMIG_TEXT_BUDGET=0 pgmig load; expect_rc 0 "load with no text kept"; expect_err "1 new, 1 changed" "new and edited file loaded from a second read"
expect_sql "SELECT upgrade FROM pgmig.revision WHERE id = 'r8'" "SELECT 'reread';" "re-read script loaded"
expect_sql "SELECT message FROM pgmig.revision WHERE id = 'r2'" "Add column b again" "re-read edit loaded"
rm $M/r7_quotes.sql $M/r8_re-read.sql; pgmig load

# ======================================================================
group run
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
revfile $M r3 "r2" "Add c" "ALTER TABLE t ADD COLUMN c int;" "ALTER TABLE t DROP COLUMN c;"
pgmig upgrade --sql; expect_rc 0 "upgrade --sql"; expect_out "ALTER TABLE t ADD COLUMN c int" "--sql prints the scripts"
expect_sql "SELECT count(*) FROM pgmig.applied" 0 "--sql applies nothing"
expect_sql "SELECT to_regclass('t') IS NULL" t "--sql runs nothing"
pgmig upgrade r2; expect_rc 0 "upgrade to a revision"; expect_err "Running upgrade r1 -> r2, Add b" "NOTICEs shown as progress"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "r1,r2" "applied up to r2"
pgmig current; expect_rc 0 "current"; expect_out "^ r2 +\| Add b" "current shows r2 in a table"
expect_out "^\(1 row\)$" "psql-like footer"
pgmig upgrade; expect_rc 0 "upgrade to heads"; expect_sql "SELECT count(*) FROM pgmig.applied" 3 "all applied"
pgmig upgrade; expect_rc 0 "upgrade when up to date"
pgmig heads; expect_rc 0 "heads"; expect_out "^ r3 " "heads lists r3"
pgmig branches; expect_rc 0 "branches"; expect_out "\(0 rows\)" "no branch points"
pgmig history; expect_rc 0 "history"; expect_out "r3 .*applied, head" "history flags"
pgmig history -r r2:; expect_rc 0 "history -r"; expect_out " r3 " "range includes r3"
if grep -q "^ r1 " "$TMP/out"; then fail "range excludes r1"; else pass "range excludes r1"; fi
pgmig history -v; expect_rc 0 "history -v"; expect_out "is_branch_point" "verbose columns"
pgmig --csv history; expect_rc 0 "history --csv"; expect_out "^revision,down_revision,message,flags$" "CSV header"
expect_out '^r3,r2,Add c,"applied, head"$' "CSV row quoting"
pgmig show r2; expect_rc 0 "show"; expect_out "ALTER TABLE t ADD COLUMN b int" "show includes scripts"
pgmig show nosuch; expect_rc 1 "show of an unknown revision: exit 1"
pgmig downgrade -1; expect_rc 0 "downgrade -1"; expect_err "Running downgrade r3 -> r2" "downgrade progress"
expect_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'" 0 "column c dropped"
pgmig downgrade base --sql; expect_rc 0 "downgrade --sql"; expect_out "DROP TABLE t" "downgrade --sql prints scripts"
expect_sql "SELECT count(*) FROM pgmig.applied" 2 "downgrade --sql changes nothing"
pgmig downgrade base; expect_rc 0 "downgrade base"; expect_sql "SELECT to_regclass('t') IS NULL" t "everything reverted"
revfile $M r4 "r3" "Broken" "ALTER TABLE t ADD COLUMN d int;
SELECT 1/0;" "ALTER TABLE t DROP COLUMN d;"
pgmig upgrade; expect_rc 1 "failing revision: exit 1"; expect_err "r4" "error names the revision"
expect_err "division by zero" "original error shown"
expect_err "statement 2 at line 7" "the error names the statement and its line in the revision file"
expect_sql "SELECT count(*) FROM pgmig.applied" 0 "all-or-nothing: nothing applied"
pgmig upgrade nosuch; expect_rc 1 "unknown target: exit 1"
rm $M/r4_broken.sql
pgmig upgrade; expect_rc 0 "upgrade after removing the broken file"
revfile $M r5 "r3" "Irreversible" "SELECT 1;"
pgmig upgrade; pgmig downgrade r3; expect_rc 1 "irreversible revision refuses downgrade"
pgmig check; expect_rc 0 "check: warnings only"; expect_out "irreversible|r5" "check lists the irreversible revision"

# ======================================================================
group drift
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
pgmig upgrade; expect_rc 0 "upgrade"
cp $M/r2_add_b.sql $TMP/r2.orig
sed -i 's/ADD COLUMN b int/ADD COLUMN b bigint/' $M/r2_add_b.sql
revfile $M r3 "r2" "Add c" "ALTER TABLE t ADD COLUMN c int;" "ALTER TABLE t DROP COLUMN c;"
pgmig upgrade; expect_rc 1 "edited applied revision stops the run"
expect_err "r2_add_b.sql: revision r2 was changed after it was applied" "names the file"
expect_err "[Nn]ever edit" "says never edit applied migrations"
expect_sql "SELECT count(*) FROM pgmig.revision WHERE id = 'r3'" 0 "nothing loaded"
expect_sql "SELECT count(*) FROM pgmig.applied" 2 "nothing run"
printf '  \r\n' >>$M/r1_create_t.sql
sed -i 's/$/   /' $M/r1_create_t.sql
cp $TMP/r2.orig $M/r2_add_b.sql
pgmig upgrade; expect_rc 0 "trailing blanks and CRLF are not an edit"
mv $M/r2_add_b.sql $TMP/
pgmig upgrade; expect_rc 1 "deleted applied file stops the run"
expect_err "revision r2 is applied, but its file is missing" "missing file reported"
pgmig load; expect_rc 1 "load also refuses"
mv $TMP/r2_add_b.sql $M/
pgmig load; expect_rc 0 "restored file loads"
sed -i 's/ADD COLUMN b int/ADD COLUMN b bigint/' $M/r2_add_b.sql
pgmig repair $M/r2_add_b.sql; expect_rc 0 "repair records a deliberate change"
pgmig load; expect_rc 0 "load after repair"
pgmig repair $M/nonexistent.sql; expect_rc 1 "repair of a missing file"
# pgmig.record_schema = deferred (set by a superuser for the database): the
# run keeps only the digest; the client takes the snapshot right after it
sql "ALTER DATABASE $DB SET pgmig.record_schema = deferred" >/dev/null
revfile $M r4 "r3" "Add d" "ALTER TABLE t ADD COLUMN d int;" "ALTER TABLE t DROP COLUMN d;"
pgmig upgrade; expect_rc 0 "upgrade with a deferred record"
expect_sql "SELECT pending_version IS NULL AND snapshot->'objects' @> '[{\"id\": \"column public.t.d\"}]' FROM pgmig.schema_state" t "the client took the deferred snapshot after the run"
expect_sql "SELECT count(*) FROM pgmig.drift()" 0 "no drift after it"
sql "ALTER DATABASE $DB RESET pgmig.record_schema" >/dev/null

# ======================================================================
group nontx
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int, b int);
INSERT INTO t VALUES (1, 1), (1, 2);" "DROP TABLE t;"
revfile $M r2 "r1" "Index a" "CREATE INDEX CONCURRENTLY t_a ON t (a);
-- a comment; with a semicolon
CREATE INDEX CONCURRENTLY t_b ON t (b);" "DROP INDEX CONCURRENTLY t_b;
DROP INDEX CONCURRENTLY t_a;" "-- transactional: false"
revfile $M r3 "r2" "Add c" "ALTER TABLE t ADD COLUMN c int;" "ALTER TABLE t DROP COLUMN c;"
pgmig upgrade; expect_rc 0 "upgrade through a non-transactional revision"
expect_err "Index a \(non-transactional\)" "non-transactional step announced"
expect_err "Running upgrade r2 -> r3" "transactional steps after it run"
expect_sql "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_a','t_b') AND i.indisvalid" 2 "both indexes built and valid"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "r1,r2,r3" "recorded as applied"
expect_sql "SELECT count(*) FROM pgmig.journal WHERE revision = 'r2'" 1 "journaled once"
pgmig downgrade r1; expect_rc 0 "downgrade through it"
expect_sql "SELECT count(*) FROM pg_class WHERE relname IN ('t_a','t_b')" 0 "indexes dropped concurrently"
expect_sql "SELECT string_agg(revision, ',') FROM pgmig.applied" "r1" "unrecorded"
revfile $M r4 "r3" "Unique a" "CREATE UNIQUE INDEX CONCURRENTLY t_a_uniq ON t (a);" "DROP INDEX CONCURRENTLY t_a_uniq;" "-- transactional: false"
# (--force: the review would stop it first, see group review; this is about the failing run)
pgmig upgrade --force; expect_rc 1 "failing CREATE INDEX CONCURRENTLY: exit 1"
expect_err "could not create unique index" "server error shown"
expect_err "r4 .*failed at statement 1 of its upgrade script" "failed revision and statement named"
expect_err "DROP INDEX CONCURRENTLY IF EXISTS t_a_uniq;" "cleanup advice for the INVALID index"
expect_err "Committed, and stay applied: r2, r3\\." "says what was committed"
expect_sql "SELECT count(*) FROM pgmig.applied WHERE revision = 'r4'" 0 "failed revision not recorded"
expect_sql "SELECT count(*) FROM pgmig.applied" 3 "earlier revisions stay applied"
sql "DROP INDEX CONCURRENTLY t_a_uniq" >/dev/null; sql "DELETE FROM t WHERE b = 2" >/dev/null
pgmig upgrade; expect_rc 0 "rerun after cleanup resumes"
expect_sql "SELECT count(*) FROM pgmig.applied WHERE revision = 'r4'" 1 "now recorded"
revfile $M r5 "r4" "Bad split" "SELECT 'unterminated;" "" "-- transactional: false"
pgmig upgrade; expect_rc 1 "unterminated string in a non-transactional script"; expect_err "unterminated quoted string" "splitter error shown"
rm $M/r5_bad_split.sql
pgmig upgrade --sql r3 ; expect_rc 0 "upgrade --sql with nothing to do"

# With the guard at error, the client's statements of a non-transactional
# revision still run (the server arms exactly each one), while the same
# DDL typed by hand in a session holding the migration lock is refused.
sql "ALTER DATABASE $DB SET pgmig.guard = error" >/dev/null
revfile $M r6 "r4" "Index c" "CREATE INDEX CONCURRENTLY t_c ON t (c);
CREATE INDEX CONCURRENTLY t_c2 ON t (c, a);" "DROP INDEX CONCURRENTLY t_c2;
DROP INDEX CONCURRENTLY t_c;" "-- transactional: false"
pgmig upgrade; expect_rc 0 "non-transactional revision under guard = error"
expect_sql "SELECT count(*) FROM pgmig.drift WHERE object_identity LIKE '%t_c%'" 0 "no drift recorded for pgmig's own statements"
run psql -XAtq -d "$DB" -c "SELECT pgmig.lock()" -c "CREATE INDEX CONCURRENTLY t_hand ON t (b)"
expect_rc 1 "hand-made DDL under the migration lock is refused"; expect_err "not allowed outside a pgmig run" "the guard says why"
sql "ALTER DATABASE $DB RESET pgmig.guard" >/dev/null

# A revision killed or failing in statement 2 resumes at statement 2:
# statement 1 is not run again (it would fail: "already exists").
revfile $M r7 "r6" "Two indexes" "CREATE INDEX CONCURRENTLY t_d1 ON t (a, b);
CREATE INDEX CONCURRENTLY t_d2 ON later (x);" "DROP INDEX CONCURRENTLY t_d2;
DROP INDEX CONCURRENTLY t_d1;" "-- transactional: false"
# (--force: review would stop it first, "later" does not exist; this is about the failing run)
pgmig upgrade --force; expect_rc 1 "statement 2 fails"
expect_err "failed at statement 2 of its upgrade script" "the failing statement is named"
expect_err "failed at statement 2 of its upgrade script, at line 8$" "and its line in the revision file"
expect_err "Statements 1 to 1 ran and stay committed" "says truthfully what ran"
expect_sql "SELECT done FROM pgmig.statement_progress WHERE revision = 'r7'" 1 "progress recorded"
sql "CREATE TABLE later (x int)" >/dev/null
pgmig upgrade; expect_rc 0 "rerun succeeds"
expect_err "Resuming at statement 2" "resumes at statement 2"
expect_sql "SELECT count(*) FROM pg_class WHERE relname IN ('t_d1','t_d2')" 2 "both indexes exist once"
expect_sql "SELECT count(*) FROM pgmig.statement_progress" 0 "progress cleared once recorded"

# ======================================================================
group stamp
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
pgmig stamp head; expect_rc 0 "stamp head"; expect_err "Stamped head: 2 revisions" "stamp reports the change"
expect_sql "SELECT count(*) FROM pgmig.applied" 2 "stamped as applied"
expect_sql "SELECT to_regclass('t') IS NULL" t "nothing run"
pgmig stamp base; expect_rc 0 "stamp base"; expect_sql "SELECT count(*) FROM pgmig.applied" 0 "unstamped"
pgmig stamp nosuch; expect_rc 1 "stamp unknown target"
pgmig stamp --from-alembic; expect_rc 1 "--from-alembic without alembic_version"; expect_err "alembic_version not found" "says so"
sql "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('r1')" >/dev/null
pgmig stamp --from-alembic; expect_rc 0 "stamp --from-alembic"
expect_sql "SELECT string_agg(revision, ',') FROM pgmig.applied" "r1" "adopted Alembic's revision"

# ======================================================================
group merge
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
revfile $M r3 "r1" "Add c" "ALTER TABLE t ADD COLUMN c int;" "ALTER TABLE t DROP COLUMN c;"
pgmig load
pgmig upgrade head; expect_rc 1 "upgrade head with two heads fails"; expect_err "r2|r3" "names the heads"
pgmig heads; expect_out " r2 " "heads lists r2"; expect_out " r3 " "heads lists r3"
pgmig branches; expect_out "^ r1 " "r1 is a branch point"
pgmig check; expect_out "head" "check reports multiple heads"
pgmig graph; expect_rc 0 "graph"; expect_out "digraph" "DOT output"
pgmig graph -o g.dot; expect_rc 0 "graph -o FILE.dot"; grep -q digraph g.dot && pass "DOT written" || fail "DOT written"
if command -v dot >/dev/null; then
	pgmig graph -o g.png; expect_rc 0 "graph -o FILE.png"
	[ "$(head -c 4 g.png | tail -c 3)" = "PNG" ] && pass "PNG rendered" || fail "PNG rendered"
	pgmig graph -o g.svg; expect_rc 0 "graph -o FILE.svg"; grep -q "<svg" g.svg && pass "SVG rendered" || fail "SVG rendered"
fi
run env PATH=/nonexistent "$PGMIG" graph -o g2.png; expect_rc 1 "PNG without dot: exit 1"; expect_err "dot" "says dot is needed"
pgmig merge -m "Merge b and c" r2 r3; expect_rc 0 "merge"
mid=$(cat "$TMP/out")
mf=$(ls $M/${mid}_merge_b_and_c.sql 2>/dev/null)
[ -n "$mf" ] && pass "merge file written" || fail "merge file written"
grep -q "^-- down_revision: r2, r3$" "$mf" && pass "merge file has both parents" || fail "merge file has both parents"
pgmig heads; expect_out " $mid " "single head after merge"
pgmig upgrade; expect_rc 0 "upgrade through the merge"
expect_sql "SELECT count(*) FROM pgmig.applied" 4 "all four applied"
pgmig load; expect_rc 0 "merge file reloads unchanged"; expect_err "0 new, 0 changed" "file matches the database"
pgmig merge -m "nothing to merge"; expect_rc 1 "merge with one head fails"

# ======================================================================
group status
pgmig init
M=migrations
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Add b" "ALTER TABLE t ADD COLUMN b int;" "ALTER TABLE t DROP COLUMN b;"
pgmig load
pgmig status; expect_rc 0 "status"; expect_out "pending +\| 2" "two pending"
pgmig --csv status; expect_rc 0 "status --csv"; expect_out "^current,heads,pending" "status CSV header"
pgmig check; expect_rc 0 "check healthy"; expect_out "No problems" "check says so"
# tampering needs pgmig's triggers bypassed (superuser): check() still sees it
sql "SET session_replication_role = replica; INSERT INTO pgmig.applied (revision, checksum) VALUES ('r2', (SELECT checksum FROM pgmig.revision WHERE id = 'r2'))" >/dev/null
pgmig check; expect_rc 1 "check with an error: exit 1"; expect_out "error" "error row shown"

# ======================================================================
group alembic
if ! "$PY" -c 'import alembic, psycopg2' 2>/dev/null; then
	echo "# skipped: python3-alembic / python3-psycopg2 not installed"
else
	A="$PY -m alembic"
	mkdir -p proj && cd proj
	$A init -t generic mig >/dev/null 2>&1
	V=mig/versions
	# a history with a branch, a merge and an autocommit (CONCURRENTLY) block
	cat >$V/a1_create.py <<'PY'
"""Create segment table

Revision ID: a1b2c3d4e5f6
"""
from alembic import op
import sqlalchemy as sa

revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('segment',
                    sa.Column('id', sa.Integer(), primary_key=True),
                    sa.Column('timestamp', sa.String(), nullable=True),
                    sa.Column('text', sa.Text()))
    op.execute("INSERT INTO segment (timestamp, text) VALUES ('00:00:01.5', 'it''s; a test')")


def downgrade():
    op.drop_table('segment')
PY
	cat >$V/b2_audio.py <<'PY'
"""Add audio timestamps to Segment

Revision ID: b2c3d4e5f6a7
"""
from alembic import op
import sqlalchemy as sa

revision = 'b2c3d4e5f6a7'
down_revision = 'a1b2c3d4e5f6'
branch_labels = ('audio',)
depends_on = None


def upgrade():
    op.add_column('segment', sa.Column('audio_start_ms', sa.Integer(), nullable=True))
    op.add_column('segment', sa.Column('word_timestamps', sa.JSON(), nullable=True))
    op.execute("UPDATE segment SET audio_start_ms = (EXTRACT(EPOCH FROM timestamp::interval) * 1000)::integer")


def downgrade():
    op.drop_column('segment', 'word_timestamps')
    op.drop_column('segment', 'audio_start_ms')
PY
	cat >$V/c3_func.py <<'PY'
"""Legacy helpers

Revision ID: c3d4e5f6a7b8
"""
from alembic import op
import sqlalchemy as sa

revision = 'c3d4e5f6a7b8'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE FUNCTION seg_len(t text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN length(t); END; $$")
    op.create_index('ix_segment_ts', 'segment', ['timestamp'])


def downgrade():
    op.drop_index('ix_segment_ts')
    op.execute("DROP FUNCTION seg_len(text)")
PY
	cat >$V/d4_merge.py <<'PY'
"""Merge audio and helpers

Revision ID: d4e5f6a7b8c9
"""
revision = 'd4e5f6a7b8c9'
down_revision = ('b2c3d4e5f6a7', 'c3d4e5f6a7b8')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
PY
	cat >$V/e5_index.py <<'PY'
"""Index audio start concurrently

Revision ID: e5f6a7b8c9d0
"""
from alembic import op

revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY ix_seg_audio ON segment (audio_start_ms)")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY ix_seg_audio")
PY
	seturl() { sed -i "s|^sqlalchemy.url = .*|sqlalchemy.url = postgresql:///$1|" alembic.ini; }
	seturl "$DB"
	$A upgrade --sql base:heads >"$TMP/up.sql" 2>"$TMP/alembic.err" && pass "alembic upgrade --sql" || fail "alembic upgrade --sql"
	$A downgrade --sql heads:base >"$TMP/down.sql" 2>>"$TMP/alembic.err" && pass "alembic downgrade --sql" || fail "alembic downgrade --sql"

	pgmig --dir imported import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down.sql"
	expect_rc 0 "import-alembic"
	[ "$(ls imported | wc -l)" = 5 ] && pass "five revision files" || fail "five revision files"
	grep -q "^-- down_revision: b2c3d4e5f6a7, c3d4e5f6a7b8$" imported/d4e5f6a7b8c9*.sql && pass "merge parents kept" || fail "merge parents kept"
	grep -q "^-- transactional: false$" imported/e5f6a7b8c9d0*.sql && pass "autocommit block imported as non-transactional" || fail "autocommit block imported as non-transactional"
	if grep -qi "alembic_version\|^BEGIN;\|^COMMIT;" imported/*.sql; then fail "bookkeeping stripped"; else pass "bookkeeping stripped"; fi
	pgmig --dir imported import-alembic --upgrade-sql "$TMP/up.sql"; expect_rc 1 "existing files are not overwritten"
	pgmig --dir imported2 import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down.sql" --versions $V
	expect_rc 0 "import-alembic --versions"
	grep -q "^-- message: Add audio timestamps to Segment$" imported2/b2c3d4e5f6a7_*.sql && pass "message from the docstring" || fail "message from the docstring"
	grep -q "^-- branch_labels: audio$" imported2/b2c3d4e5f6a7_*.sql && pass "branch label from the .py file" || fail "branch label from the .py file"
	pgmig --dir bad import-alembic --upgrade-sql "$TMP/down.sql"; expect_rc 1 "downgrade output as upgrade: exit 1"; expect_err "down.sql:[0-9]+: downgrade header" "names file and line"
	pgmig import-alembic; expect_rc 2 "import-alembic without --upgrade-sql"

	# the schema Alembic builds ...
	ADB=${DB}_alembic
	dropdb --if-exists "$ADB" >/dev/null 2>&1; createdb "$ADB"; DBS+=("$ADB")
	seturl "$ADB"
	$A upgrade heads >"$TMP/out" 2>"$TMP/err" && pass "alembic upgrade heads (online)" || fail "alembic upgrade heads (online)"
	# ... and the one pgmig builds from the imported folder
	pgmig --dir imported2 init; pgmig --dir imported2 upgrade; expect_rc 0 "pgmig upgrade of the imported folder"
	expect_err "non-transactional" "imported CONCURRENTLY revision run by the client"
	# (\restrict lines carry a random key in newer pg_dump releases)
	norm() { grep -v -e '^--' -e '^SET ' -e 'set_config' -e '^$' -e 'pgmig' -e '^\\restrict' -e '^\\unrestrict'; }
	pg_dump --schema-only -T alembic_version "$ADB" | norm >"$TMP/alembic.schema"
	pg_dump --schema-only -N pgmig "$DB" | norm >"$TMP/pgmig.schema"
	if diff -u "$TMP/alembic.schema" "$TMP/pgmig.schema" >"$TMP/schema.diff"; then pass "same schema as Alembic (pg_dump --schema-only)"; else
		cp "$TMP/schema.diff" "$TMP/out"; fail "same schema as Alembic (pg_dump --schema-only)"; fi
	[ "$(wc -l <"$TMP/pgmig.schema")" -gt 10 ] && pass "schema dump is not empty" || fail "schema dump is not empty"
	expect_sql "SELECT text || ' ' || audio_start_ms FROM segment" "it's; a test 1500" "data migrated the same way"
	# and both take it all down again
	pgmig --dir imported2 downgrade base; expect_rc 0 "pgmig downgrade base of the imported folder"
	$A downgrade base >/dev/null 2>&1
	pg_dump --schema-only -T alembic_version "$ADB" | norm >"$TMP/alembic.schema"
	pg_dump --schema-only -N pgmig "$DB" | norm >"$TMP/pgmig.schema"
	diff -q "$TMP/alembic.schema" "$TMP/pgmig.schema" >/dev/null && pass "same schema after downgrade base" || fail "same schema after downgrade base"

	# adopt a database Alembic left on two branch heads
	$A upgrade b2c3d4e5f6a7 >/dev/null 2>&1 && $A upgrade c3d4e5f6a7b8 >/dev/null 2>&1
	[ "$(sql 'SELECT count(*) FROM alembic_version' "$ADB")" = 2 ] && pass "Alembic left two heads" || fail "Alembic left two heads"
	pgmig -d "dbname=$ADB" --dir imported2 init
	pgmig -d "dbname=$ADB" --dir imported2 stamp --from-alembic; expect_rc 0 "stamp --from-alembic with two heads"
	[ "$(sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "$ADB")" = "a1b2c3d4e5f6,b2c3d4e5f6a7,c3d4e5f6a7b8" ] \
		&& pass "applied set matches alembic_version" || fail "applied set matches alembic_version"
	pgmig -d "dbname=$ADB" --dir imported2 upgrade; expect_rc 0 "pgmig takes over from there"
	expect_err "Running upgrade b2c3d4e5f6a7, c3d4e5f6a7b8 -> d4e5f6a7b8c9" "continues with the merge"
	if grep -q "Running upgrade  -> a1b2c3d4e5f6" "$TMP/err"; then fail "stamped revisions not re-run"; else pass "stamped revisions not re-run"; fi

	# issue 12 item 8: Alembic's order.  Two branches add a column each to
	# one table, then a merge; every script also writes its name to a
	# trail table, so the order is visible for downgrades too.  Alembic
	# runs zzzz before 1111 here (file name order would say 1111 first).
	cd "$W" && mkdir -p ordproj && cd ordproj
	$A init -t generic mig >/dev/null 2>&1
	ordrev() { # FILE ID DOWN UP-SQL DOWN-SQL
		cat >mig/versions/$1.py <<PY
"""Revision $2"""
from alembic import op

revision = '$2'
down_revision = $3
branch_labels = None
depends_on = None


def upgrade():
    op.execute("$4")
    op.execute("INSERT INTO trail (what) VALUES ('up $2')")


def downgrade():
    op.execute("$5")
    op.execute("INSERT INTO trail (what) VALUES ('down $2')")
PY
	}
	ordrev 001_root aaaa None "CREATE TABLE t (id int)" "DROP TABLE t"
	ordrev 002_z zzzz "'aaaa'" "ALTER TABLE t ADD COLUMN z int" "ALTER TABLE t DROP COLUMN z"
	ordrev 003_one 1111 "'aaaa'" "ALTER TABLE t ADD COLUMN one int" "ALTER TABLE t DROP COLUMN one"
	ordrev 004_merge cccc "('1111', 'zzzz')" "ALTER TABLE t ADD COLUMN m int" "ALTER TABLE t DROP COLUMN m"
	OA=${DB}_oa; OP=${DB}_op; ON=${DB}_on
	for d in "$OA" "$OP" "$ON"; do
		dropdb --if-exists "$d" >/dev/null 2>&1; createdb "$d"; DBS+=("$d")
		sql "CREATE TABLE trail (n serial, what text)" "$d" >/dev/null
	done
	seturl "$OA"
	$A upgrade --sql base:heads >"$TMP/oup.sql" 2>/dev/null && $A downgrade --sql heads:base >"$TMP/odown.sql" 2>/dev/null \
		&& pass "order: alembic --sql" || fail "order: alembic --sql"
	pgmig --dir ordimp import-alembic --upgrade-sql "$TMP/oup.sql" --downgrade-sql "$TMP/odown.sql"; expect_rc 0 "order: import-alembic"
	expect_no_err "another order" "order: Alembic downgrades in the reverse of its upgrade"
	grep -q "^-- order: 2$" ordimp/zzzz*.sql && grep -q "^-- order: 3$" ordimp/1111*.sql \
		&& pass "order: each file records its position in Alembic's script" || fail "order: each file records its position in Alembic's script"
	$A upgrade heads >/dev/null 2>&1 && pass "order: alembic upgrade heads" || fail "order: alembic upgrade heads"
	pgmig -d "dbname=$OP" --dir ordimp init; pgmig -d "dbname=$OP" --dir ordimp upgrade; expect_rc 0 "order: pgmig upgrade"
	cols="SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't' AND table_schema = 'public'"
	trail="SELECT string_agg(what, ',' ORDER BY n) FROM trail"
	[ "$(sql "$cols" "$OA")" = "id,z,one,m" ] && pass "order: Alembic's column order is id,z,one,m" || fail "order: Alembic's column order is id,z,one,m (got $(sql "$cols" "$OA"))"
	[ "$(sql "$cols" "$OP")" = "$(sql "$cols" "$OA")" ] && pass "order: same column order as Alembic" || fail "order: same column order as Alembic (pgmig $(sql "$cols" "$OP"))"
	[ "$(sql "$trail" "$OP")" = "$(sql "$trail" "$OA")" ] && pass "order: upgrades in Alembic's order" || fail "order: upgrades in Alembic's order (pgmig $(sql "$trail" "$OP"))"
	$A downgrade base >/dev/null 2>&1
	pgmig -d "dbname=$OP" --dir ordimp downgrade base; expect_rc 0 "order: pgmig downgrade base"
	[ "$(sql "$trail" "$OP")" = "$(sql "$trail" "$OA")" ] && pass "order: downgrades in Alembic's order" || fail "order: downgrades in Alembic's order (pgmig $(sql "$trail" "$OP"), alembic $(sql "$trail" "$OA"))"
	# without the recorded positions the files load by name: 1111 first
	mkdir -p noorder && for f in ordimp/*.sql; do grep -v "^-- order:" "$f" >noorder/"$(basename "$f")"; done
	pgmig -d "dbname=$ON" --dir noorder init; pgmig -d "dbname=$ON" --dir noorder upgrade; expect_rc 0 "order: the same files without order:"
	[ "$(sql "$cols" "$ON")" = "id,one,z,m" ] && pass "order: without it, file name order (the test can fail)" || fail "order: without it, file name order (got $(sql "$cols" "$ON"))"

	# issue 12 item 7: the rough edges of import-alembic
	cd "$W/proj"
	# --versions reads subfolders and may be repeated (version_locations)
	mkdir -p loc1/sub loc2
	cp $V/a1_create.py $V/b2_audio.py loc1/sub/; cp $V/c3_func.py loc1/; cp $V/d4_merge.py $V/e5_index.py loc2/
	mkdir -p loc1/__pycache__ && echo "revision = 'zz'" >loc1/__pycache__/junk.py
	pgmig --dir locs import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down.sql" --versions loc1 --versions loc2
	expect_rc 0 "--versions twice, with a subfolder"
	grep -q "^-- message: Add audio timestamps to Segment$" locs/b2c3d4e5f6a7_*.sql && pass "message from a subfolder's file" || fail "message from a subfolder's file"
	grep -q "^-- message: Index audio start concurrently$" locs/e5f6a7b8c9d0_*.sql && pass "message from the second --versions" || fail "message from the second --versions"
	expect_no_err "zz" "__pycache__ skipped"
	# truncated output is refused and writes nothing
	head -n -2 "$TMP/up.sql" >"$TMP/up_cut.sql"
	pgmig --dir cut import-alembic --upgrade-sql "$TMP/up_cut.sql"; expect_rc 1 "truncated upgrade output refused"
	expect_err "up_cut.sql:[0-9]+: Alembic upgrade output ends without COMMIT: it looks truncated" "says it looks truncated"
	expect_err "Generate the whole output again" "hint: generate it again"
	[ ! -d cut ] || [ -z "$(ls cut)" ] && pass "truncated: nothing written" || fail "truncated: nothing written"
	sed '/^-- Running downgrade a1b2c3d4e5f6/,$d' "$TMP/down.sql" >"$TMP/down_cut.sql"
	pgmig --dir cut import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down_cut.sql"; expect_rc 1 "truncated downgrade output refused"
	expect_err "Alembic downgrade output ends without COMMIT" "not imported as an empty downgrade"
	[ ! -d cut ] || [ -z "$(ls cut)" ] && pass "truncated downgrade: nothing written" || fail "truncated downgrade: nothing written"
	# importing again never writes a second file for an id
	n_before=$(ls imported2 | wc -l)
	pgmig --dir imported2 import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down.sql"; expect_rc 1 "again without --versions: refused"
	expect_err "revision a1b2c3d4e5f6 already has a file: imported2/a1b2c3d4e5f6_create_segment_table.sql" "names the existing file"
	pgmig --dir imported2 import-alembic --upgrade-sql "$TMP/up.sql" --downgrade-sql "$TMP/down.sql" --force; expect_rc 0 "again with --force"
	[ "$(ls imported2 | wc -l)" = "$n_before" ] && pass "--force replaces: one file per id" || fail "--force replaces: one file per id ($(ls imported2 | tr '\n' ' '))"
	# a history rendered from a later revision: its first parent is missing
	$A upgrade --sql a1b2c3d4e5f6:heads >"$TMP/up_late.sql" 2>/dev/null
	$A downgrade --sql heads:a1b2c3d4e5f6 >"$TMP/down_late.sql" 2>/dev/null
	pgmig --dir late import-alembic --upgrade-sql "$TMP/up_late.sql" --downgrade-sql "$TMP/down_late.sql"; expect_rc 1 "a parent not in the output: refused"
	expect_err "up_late.sql:[0-9]+: revision (b2c3d4e5f6a7|c3d4e5f6a7b8) has parent a1b2c3d4e5f6, which is not in the upgrade output" "names file, revision and parent"
	expect_err "--placeholder a1b2c3d4e5f6" "the hint gives the way forward"
	pgmig --dir late import-alembic --upgrade-sql "$TMP/up_late.sql" --downgrade-sql "$TMP/down_late.sql" --placeholder a1b2c3d4e5f6
	expect_rc 0 "--placeholder"
	expect_err "placeholder: stamp it, never run it" "says how it is used"
	grep -q "^-- down_revision:$" late/a1b2c3d4e5f6_*.sql && pass "the placeholder is a root" || fail "the placeholder is a root"
	pgmig --dir late import-alembic --upgrade-sql "$TMP/up.sql" --placeholder a1b2c3d4e5f6 --force; expect_rc 1 "a placeholder for a revision in the output: refused"
	PH=${DB}_ph; PF=${DB}_pf
	for d in "$PH" "$PF"; do dropdb --if-exists "$d" >/dev/null 2>&1; createdb "$d"; DBS+=("$d"); done
	seturl "$PH"
	$A upgrade b2c3d4e5f6a7 >/dev/null 2>&1
	pgmig -d "dbname=$PH" --dir late init
	pgmig -d "dbname=$PH" --dir late stamp --from-alembic; expect_rc 0 "stamp --from-alembic stamps the placeholder"
	[ "$(sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "$PH")" = "a1b2c3d4e5f6,b2c3d4e5f6a7" ] \
		&& pass "placeholder and b2 applied" || fail "placeholder and b2 applied"
	pgmig -d "dbname=$PH" --dir late upgrade; expect_rc 0 "pgmig goes on from there"
	[ "$(sql "SELECT count(*) FROM pgmig.applied" "$PH")" = 5 ] && pass "all five applied" || fail "all five applied"
	pgmig -d "dbname=$PF" --dir late init
	pgmig -d "dbname=$PF" --dir late upgrade; expect_rc 1 "a new database: the placeholder refuses to run"
	expect_err "revision a1b2c3d4e5f6 is a placeholder for Alembic history pgmig does not have" "says why"
	[ "$(sql "SELECT count(*) FROM pgmig.applied" "$PF")" = 0 ] && pass "nothing applied" || fail "nothing applied"
	cd "$W"
fi

# ======================================================================
# the client as a PostgreSQL client program: getopt_long, connection
# options, one version number, psql's printer (output equal to psql's)
group kit
M=migrations
want_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/pgmig.control")
pgmig -V; expect_rc 0 "-V"
[ "$(cat "$TMP/out")" = "pgmig $want_version" ] && pass "-V prints the extension's version ($want_version)" || fail "-V prints the extension's version ($want_version)"
pgmig --bogus; expect_rc 2 "unknown global option"; expect_err 'Try "pgmig --help"' "hint names pgmig --help"
pgmig history --rev-range; expect_rc 2 "option without its value"; expect_err "requires an argument" "getopt_long says what is missing"
expect_err 'Try "pgmig history --help"' "hint names the command's --help"
pgmig current extra; expect_rc 2 "unexpected argument"; expect_err 'unexpected argument "extra"' "names it"
pgmig -? ; expect_rc 0 "-? is help"; expect_out "Connection options:" "help lists the connection options"
pgmig upgrade -?; expect_rc 0 "COMMAND -?"; expect_out "pgmig .*upgrade" "command help"
pgmig init; expect_rc 0 "init"
# connection options: -h -p -U, each overriding the environment
run env -u PGHOST -u PGPORT -u PGUSER "$PGMIG" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" current; expect_rc 0 "-h -p -U"
pgmig -h /nonexistent current; expect_rc 1 "-h is used"; expect_err "/nonexistent" "error names the host"
pgmig -U pgmig_no_such_role current; expect_rc 1 "-U is used"; expect_err 'role "pgmig_no_such_role"' "error names the role"
pgmig -p 1 current; expect_rc 1 "-p is used"; expect_err "PGSQL\.1\b" "error names the port"
pgmig --dbname="$DB" current; expect_rc 0 "--dbname=NAME"
pgmig current -d "dbname=pgmig_no_such_db"; expect_rc 1 "global option after the command"; expect_err "pgmig_no_such_db" "is applied"
# -W prompts (with no terminal, simple_prompt reads stdin); -w never does
echo secret >"$TMP/pw"
run setsid "$PGMIG" -W current <"$TMP/pw"; expect_rc 0 "-W"; expect_err "^Password: " "-W prompts for a password"
run setsid "$PGMIG" -w current <"$TMP/pw"; expect_rc 0 "-w"; expect_no_err "Password" "-w does not prompt"
# a server that asks for a password: pgmig prompts and retries with it
# (PQconnectionNeedsPassword); -w gives up instead (test/client/fake_auth_server.py)
fake_login() { # fake_login PGMIG-OPTION...: run pgmig against the fake server
	local sock=$TMP/fake_auth i
	rm -rf "$sock"; mkdir -p "$sock"
	"$PY" "$HERE/fake_auth_server.py" "$sock" 5499 "$sock/log" &
	local spid=$!
	for i in $(seq 1 100); do grep -q listening "$sock/log" 2>/dev/null && break; sleep 0.1; done
	run env -u PGPASSWORD PGPASSFILE="$sock/none" setsid "$PGMIG" -h "$sock" -p 5499 -U someone "$@" current <"$TMP/pw"
	kill $spid 2>/dev/null; wait $spid 2>/dev/null
	cp "$sock/log" "$TMP/fake.log"
}
fake_login
expect_rc 1 "password prompt: login refused by the fake server"
expect_err "^Password: " "prompts when the server asks for a password"
grep -qx "no password" "$TMP/fake.log" && grep -qx "password secret" "$TMP/fake.log" \
	&& pass "first attempt without, retry with the typed password" || fail "first attempt without, retry with the typed password"
expect_err "fake server got password secret" "the server's answer is shown"
fake_login -w
expect_rc 1 "-w: no prompt, exit 1"; expect_no_err "Password" "-w never prompts"
expect_err "no password supplied" "-w: libpq says no password was supplied"
grep -q "password secret" "$TMP/fake.log" && fail "-w: no retry" || pass "-w: no retry"
# psql's printer: pgmig prints what psql prints for the same query
revfile $M r1 "" "日本語のテーブル" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Two, \"quoted\"" "SELECT 1;
SELECT 2;" ""
pgmig -q upgrade; expect_rc 0 "upgrade"
same_as_psql() { # same_as_psql "PGMIG ARGS" "PSQL ARGS" QUERY NAME
	local a b
	a=$("$PGMIG" $1 2>&1)
	b=$(psql -X $2 -c "$3" 2>&1)
	if [ "$a" = "$b" ]; then pass "$4"; else
		LAST="pgmig $1"; printf '%s\n' "$a" >"$TMP/out"; printf '%s\n' "$b" >"$TMP/err"; fail "$4 (stdout: pgmig, stderr: psql)"; fi
}
Q_CUR="SELECT revision, message, applied_at FROM pgmig.current()"
Q_HEADS="SELECT revision, message, branch_labels, applied FROM pgmig.heads()"
if [ "$(sql "SHOW server_encoding")" = UTF8 ]; then
	same_as_psql "history -r r1:r1" "" "SELECT revision, pg_catalog.array_to_string(down_revision, ', ') AS down_revision, message, pg_catalog.concat_ws(', ', CASE WHEN applied THEN 'applied' END, CASE WHEN is_head THEN 'head' END, CASE WHEN is_branch_point THEN 'branchpoint' END, CASE WHEN is_merge THEN 'mergepoint' END) AS flags FROM pgmig.history('r1:r1')" "aligned, CJK widths as psql's"
else
	echo "# skipped: CJK widths need a UTF8 database (server_encoding $(sql "SHOW server_encoding"))"
fi
same_as_psql "current" "" "$Q_CUR" "aligned"
same_as_psql "-x current" "-x" "$Q_CUR" "-x expanded"
same_as_psql "-A current" "-A" "$Q_CUR" "-A unaligned"
same_as_psql "--csv current" "--csv" "$Q_CUR" "--csv"
same_as_psql "heads" "" "$Q_HEADS" "aligned, booleans and arrays"
same_as_psql "show r2" "-x" "SELECT * FROM pgmig.show('r2')" "show is expanded, as psql -x"
same_as_psql "--csv show r2" "--csv" "SELECT * FROM pgmig.show('r2')" "show --csv is one header line and one row"
# one version: no second copy of the number in the client's sources
if grep -rn "\"0\.[0-9]\"" "$ROOT/src/client" >/dev/null; then fail "no version literal in src/client"; else pass "no version literal in src/client"; fi

# ======================================================================
# ^C cancels the running server call (fe_utils/cancel.h), nothing commits
group cancel
pgmig init
M=migrations
# wait_backend STATE: poll pg_stat_activity until pgmig's backend is in
# STATE ("sleeping" or "gone"); no assertion depends on how long it takes
wait_backend() {
	local i q
	if [ "$1" = sleeping ]; then
		q="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgmig' AND wait_event = 'PgSleep'"
	else
		q="SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgmig' AND datname = current_database()"
	fi
	for i in $(seq 1 600); do
		case "$(sql "$q")" in 1|t) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
revfile $M r1 "" "Create t" "CREATE TABLE t (a int);" "DROP TABLE t;"
revfile $M r2 "r1" "Slow" "CREATE TABLE slow (a int);
SELECT pg_sleep(5);" "DROP TABLE slow;"
# interrupted_upgrade WHAT: run "pgmig upgrade", ^C it while the server sleeps
interrupted_upgrade() {
	LAST="pgmig upgrade, then SIGINT while the server sleeps"
	"$PGMIG" upgrade >"$TMP/out" 2>"$TMP/err" &
	local pid=$!
	wait_backend sleeping && pass "$1: the server sleeps" || fail "$1: the server sleeps"
	kill -INT $pid; wait $pid; RC=$?
}
interrupted_upgrade transactional
expect_rc 1 "^C: exit 1"
expect_err "Cancel request sent" "the cancel request is sent"
expect_err "canceling statement due to user request" "the server call is canceled"
wait_backend gone && pass "the backend is gone" || fail "the backend is gone"
expect_sql "SELECT count(*) FROM pgmig.applied" 0 "nothing applied (r1 ran in the same transaction)"
expect_sql "SELECT to_regclass('t') IS NULL AND to_regclass('slow') IS NULL" t "no table created"
pgmig status; expect_out "lock_pid +\| *$" "the migration lock is free"
# the lock held by another session: status names it (one status() call
# when the folder needs no load; the load, refused, does not hide it)
psql -XAtq -d "$DB" -c "SELECT pgmig.lock()" -c "SELECT pg_sleep(4)" >/dev/null 2>&1 &
holder=$!
for i in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
	sleep 0.05
done
holder_pid=$(sql "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted")
pgmig status; expect_out "lock_pid +\| *$holder_pid$" "status names the session that holds the lock"
expect_out "lock_role +\| *[a-z]" "and its role"
(cd "$TMP" && PGMIG_DIR= "$PGMIG" --dir "$TMP/no_such_folder" status >"$TMP/out" 2>"$TMP/err")
expect_out "lock_pid +\| *$holder_pid$" "also without a folder (one status() call)"
wait $holder
pgmig status; expect_out "lock_pid +\| *$" "the lock is free again"
# a non-transactional revision: the statement after the canceled one never runs
rm $M/r2_slow.sql
revfile $M r2 "r1" "Slow concurrently" "SELECT pg_sleep(5);
CREATE TABLE after_sleep (a int);" "" "-- transactional: false"
interrupted_upgrade non-transactional
expect_rc 1 "non-transactional ^C: exit 1"
expect_err "failed at statement 1 of its upgrade script" "stops at the canceled statement"
expect_sql "SELECT to_regclass('after_sleep') IS NULL" t "the next statement never ran"
expect_sql "SELECT string_agg(revision, ',') FROM pgmig.applied" "r1" "r2 not recorded; r1 (committed before it) stays"
# with no connection open, ^C ends the program as usual
mkfifo "$TMP/fifo"
"$PGMIG" import-alembic --upgrade-sql "$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
pid=$!
# signal only once pgmig catches SIGINT (a background job starts with it
# ignored), so the test does not depend on how fast pgmig starts
for i in $(seq 1 100); do
	mask=$(awk '/^SigCgt/ {print $2}' /proc/$pid/status 2>/dev/null)
	[ -n "$mask" ] && (( 0x$mask & 2 )) && break
	sleep 0.1
done
kill -INT $pid
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid; RC=$?
expect_rc 130 "^C while reading a file: killed by SIGINT"
exec 3<>"$TMP/fifo"; exec 3>&-

# ======================================================================
# make install: pgmig where PATH finds it, and pgmig(1) from the README
group install
bindir=$(pg_config --bindir)
case "$bindir" in
*/lib/postgresql/*/bin)
	linkdir=${bindir%%/lib/postgresql/*}/local/bin
	mandir=${bindir%%/lib/postgresql/*}/local/share/man
	[ "$(readlink -f "$linkdir/pgmig")" = "$(readlink -f "$bindir/pgmig")" ] \
		&& pass "make install links $linkdir/pgmig to $bindir/pgmig" || fail "make install links $linkdir/pgmig to $bindir/pgmig"
	run env PATH="$linkdir:/usr/bin:/bin" pgmig -V; expect_rc 0 "pgmig found on PATH through the link"
	man1=$mandir/man1/pgmig.1
	[ -f "$man1" ] && pass "pgmig(1) installed in $mandir" || fail "pgmig(1) installed in $mandir"
	run env MANWIDTH=80 man -l "$man1"; expect_rc 0 "man renders pgmig(1)"
	expect_out "^SYNOPSIS" "man page has the README's Synopsis"
	run groff -man -ww -z "$man1"
	[ ! -s "$TMP/err" ] && pass "groff: no warnings" || fail "groff: no warnings"
	# one source: every subsection of the README's client section is a section of the page
	missing=""
	while read -r h; do
		H=$(echo "$h" | tr -d '`' | tr 'a-z' 'A-Z')
		sed 's/\\-/-/g' "$man1" | grep -qxF ".SH $H" || missing="$missing [$h]"
	done < <(awk '/^## The `pgmig` client/{f=1;next} /^## /{f=0} f && /^### /{sub(/^### /,""); print}' "$ROOT/README.md")
	[ -z "$missing" ] && pass "every README client subsection is in pgmig(1)" || fail "every README client subsection is in pgmig(1) (missing:$missing)"
	if git -C "$ROOT" ls-files | grep -qE '\.1$|pgmig\.1'; then fail "no hand-kept man page in the tree"; else pass "no hand-kept man page in the tree"; fi
	;;
*)
	echo "# skipped: bindir $bindir is not Debian's /usr/lib/postgresql/N/bin (no link made)"
	;;
esac

# ======================================================================
group autogen
# The seed's workflow: change the model, let the ORM build it in a scratch
# database, and let pgmig write the revision (flask db migrate).
PYSYS=/usr/bin/python3
if $PYSYS -c "import flask_sqlalchemy" 2>/dev/null; then
	cp -r "$ROOT/examples/flask" .
	cd flask
	SCR=${DB}_orm
	dropdb --if-exists "$SCR" >/dev/null 2>&1; createdb "$SCR"; DBS+=("$SCR")
	run $PYSYS create_all.py "postgresql:///$SCR?host=${PGHOST:-}&port=${PGPORT:-5432}&user=${PGUSER:-postgres}"
	expect_rc 0 "the ORM builds the models in a scratch database"
	pgmig revision --autogenerate -m "Add audio timestamps to Segment" --from-db "dbname=$SCR"
	expect_rc 0 "revision --autogenerate --from-db"
	expect_out "^[0-9a-f]{12}$" "prints the new id"
	expect_no_err "WARNING" "no warning where the live database has no pgmig yet"
	F=$(ls migrations/*_add_audio_timestamps_to_segment.sql 2>/dev/null)
	[ -n "$F" ] && pass "writes <id>_<slug>.sql" || fail "writes <id>_<slug>.sql"
	grep -q "^-- down_revision: 1a2b3c4d5e6f" "$F" && pass "parent is the folder's head" || fail "parent is the folder's head"
	grep -q "ADD COLUMN audio_start_ms integer;" "$F" && grep -q "ADD COLUMN word_timestamps json;" "$F" \
		&& pass "upgrade adds the columns" || fail "upgrade adds the columns"
	sed -n '/^-- migrate:down/,$p' "$F" | grep -q "DROP COLUMN audio_start_ms;" && pass "downgrade drops them" || fail "downgrade drops them"
	# the model's column order (audio_start_ms, audio_end_ms, word_timestamps),
	# not the names' order (audio_end_ms sorts first)
	[ "$(sed -n '/^-- migrate:up/,/^-- migrate:down/s/.*ADD COLUMN \([a-z_]*\) .*/\1/p' "$F" | tr '\n' ' ')" = "audio_start_ms audio_end_ms word_timestamps " ] \
		&& pass "new columns in the model's order" || { cp "$F" "$TMP/out"; fail "new columns in the model's order"; }
	grep -q "^-- WARNING: deletes data" "$F" && pass "hazards as WARNING comments" || fail "hazards as WARNING comments"
	pgmig revision --autogenerate -m "Nothing" --from-db "dbname=$SCR"
	expect_rc 0 "nothing to do"; expect_err "No changes in schema detected." "Alembic's words"
	[ "$(ls migrations | wc -l)" = 2 ] && pass "and writes nothing" || fail "and writes nothing"
	pgmig init >/dev/null 2>&1
	pgmig upgrade; expect_rc 0 "the generated revision applies"
	pgmig downgrade -1; expect_rc 0 "and its downgrade runs"
	pgmig upgrade >/dev/null 2>&1
	pgmig diff migrations "dbname=$SCR" --exit-code; expect_rc 0 "diff migrations vs the ORM database: equal (exit 0)"
	pgmig diff "dbname=$DB" "dbname=$SCR"; expect_rc 0 "diff of two databases, one without pgmig"
	sql "ALTER TABLE segment ALTER COLUMN text DROP NOT NULL" >/dev/null
	pgmig diff "dbname=$DB" "dbname=$SCR" --exit-code
	expect_rc 3 "--exit-code: 3 when they differ"; expect_out "SET NOT NULL" "shows what differs"
	# several --rename options make one map; a malformed one is a usage error
	echo "CREATE TABLE t1 (a int, b int);" >ren_a.sql; echo "CREATE TABLE t2 (a int, c int);" >ren_b.sql
	pgmig diff ren_a.sql ren_b.sql --rename table.public.t1=t2 --rename column.public.t1.b=c
	expect_rc 0 "diff --rename twice"
	[ "$(cat "$TMP/out")" = "$(printf 'ALTER TABLE public.t1 RENAME COLUMN b TO c;\nALTER TABLE public.t1 RENAME TO t2;')" ] \
		&& pass "both renames, nothing dropped" || fail "both renames, nothing dropped"
	pgmig diff ren_a.sql ren_b.sql --rename table.public.t1=t2 --rename column.public.t1.b
	expect_rc 2 "a malformed --rename: exit 2"; expect_err 'invalid --rename "column.public.t1.b"' "names it"
	pgmig revision --autogenerate -m "Ren" --schema ren_b.sql --rename column.x
	expect_rc 2 "revision --autogenerate checks --rename the same way"; expect_err 'invalid --rename "column.x"' "and names it"
	# the desired state from a schema file (SQL-first teams)
	cat >schema.sql <<'SQL'
CREATE TABLE segment (id serial PRIMARY KEY, text text NOT NULL, "timestamp" varchar,
                      audio_start_ms integer, audio_end_ms integer, word_timestamps json,
                      speaker text);
SQL
	pgmig revision --autogenerate -m "Add speaker" --schema schema.sql
	expect_rc 0 "revision --autogenerate --schema FILE"
	expect_err "review of the new revision against this database: 0 errors" "the generated revision is reviewed against the database"
	grep -q "ADD COLUMN speaker text;" migrations/*_add_speaker.sql && pass "adds speaker" || fail "adds speaker"
	# verification: a wrong script is caught and nothing is written
	rm migrations/*_add_speaker.sql
	run env PGMIG_TEST_AUTOGEN_DROP_LAST=1 "$PGMIG" revision --autogenerate -m "Broken" --schema schema.sql
	expect_rc 1 "a script that does not reach the target fails verification"
	expect_err "verification failed" "says so"; expect_err "ADD COLUMN speaker" "and shows what is missing"
	ls migrations/*_broken.sql >/dev/null 2>&1 && fail "writes nothing" || pass "writes nothing"
	# an object of a kind the engine does not model: refused, never "equal"
	cat >agg.sql <<'SQL'
CREATE TABLE segment (id serial PRIMARY KEY, text text NOT NULL, "timestamp" varchar,
                      audio_start_ms integer, audio_end_ms integer, word_timestamps json);
CREATE AGGREGATE my_sum (int) (sfunc = int4pl, stype = int);
SQL
	pgmig revision --autogenerate -m "Agg" --schema agg.sql
	expect_rc 1 "an unmodelled kind fails"; expect_err "not compared" "and names it"
	# ^C while a scratch database is being built: it is dropped all the same
	printf 'SELECT pg_sleep(60);\n' >slow.sql
	"$PGMIG" revision --autogenerate -m "Slow" --schema slow.sql >"$TMP/out" 2>"$TMP/err" &
	P=$!
	for i in $(seq 1 50); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")" -ge 1 ] && break
		sleep 0.2
	done
	kill -INT $P; wait $P; RC=$?
	[ "$RC" != 0 ] && pass "^C stops autogenerate" || fail "^C stops autogenerate"
	expect_sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmig_scratch%'" 0 "no scratch database left behind"
	# a role that may not create databases gets told what to do
	sql "DROP ROLE IF EXISTS pgmig_nocreate" >/dev/null; sql "CREATE ROLE pgmig_nocreate LOGIN" >/dev/null
	run "$PGMIG" -d "dbname=$DB user=pgmig_nocreate" revision --autogenerate -m "No" --schema schema.sql
	expect_rc 1 "no CREATEDB: exit 1"; expect_err "CREATEDB" "the hint names CREATEDB"; expect_err "dev-url" "and --dev-url"
	sql "DROP ROLE pgmig_nocreate" >/dev/null
	# a drop's hazard says how many non-NULL values it loses, counted in
	# the live database (-d); when that cannot be reached the file says so
	sql "DELETE FROM segment; INSERT INTO segment (text, \"timestamp\") SELECT 's', CASE WHEN g <= 1234 THEN '00:01' END FROM generate_series(1, 1500) g" >/dev/null
	cat >drop.sql <<'SQL'
CREATE TABLE segment (id serial PRIMARY KEY, text text NOT NULL,
                      audio_start_ms integer, audio_end_ms integer, word_timestamps json);
SQL
	pgmig revision --autogenerate -m "Drop timestamp" --schema drop.sql
	expect_rc 0 "autogenerate a column drop"
	grep -q '^-- WARNING: deletes data: the column and its values are dropped: 1,234 non-NULL values are lost$' migrations/*_drop_timestamp.sql \
		&& pass "its hazard counts the values lost in the live database" || { cp migrations/*_drop_timestamp.sql "$TMP/out"; fail "its hazard counts the values lost in the live database"; }
	rm -f migrations/*_drop_timestamp.sql
	run "$PGMIG" -d "dbname=pgmig_no_such_db" revision --autogenerate -m "Drop timestamp" --schema drop.sql --dev-url "dbname=$DB"
	grep -q '^-- WARNING: deletes data: the column and its values are dropped (not counted: the database could not be reached)$' migrations/*_drop_timestamp.sql \
		&& pass "an unreachable live database: the file says it was not counted" || { cp migrations/*_drop_timestamp.sql "$TMP/out"; fail "an unreachable live database: the file says it was not counted"; }
	rm -f migrations/*_drop_timestamp.sql
	pgmig diff "dbname=$DB" drop.sql
	expect_out '^-- WARNING: deletes data: the column and its values are dropped: 1,234 non-NULL values are lost$' "diff FROM a database counts there"
	pgmig diff migrations drop.sql
	expect_out '^-- WARNING: deletes data: the column and its values are dropped$' "diff FROM a scratch build: nothing to count"
	cd "$W"
else
	echo "# python3-flask-sqlalchemy missing: autogenerate group skipped"
fi
group autogen_enum
# New enum values that the change uses go first, in a non-transactional
# revision of their own (a value cannot be used in the transaction that
# added it); values nothing uses stay in the one revision.
mkdir -p migrations
printf -- "-- revision: e1\n-- message: enum\n\n-- migrate:up\nCREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE feel (m mood DEFAULT 'ok');\n\n-- migrate:down\nDROP TABLE feel; DROP TYPE mood;\n" >migrations/e1_enum.sql
pgmig init >/dev/null 2>&1; pgmig upgrade >/dev/null 2>&1
printf "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE feel (m mood DEFAULT 'happy');\n" >happy.sql
pgmig revision --autogenerate -m "Happy" --schema happy.sql
expect_rc 0 "a new enum value used as a default"
[ "$(grep -cE '^[0-9a-f]{12}$' "$TMP/out")" = 2 ] && pass "two ids printed" || fail "two ids printed"
PRE=$(ls migrations/*_happy_new_enum_values.sql 2>/dev/null); MAIN=$(ls migrations/*_happy.sql 2>/dev/null)
[ -n "$PRE" ] && [ -n "$MAIN" ] && pass "two files: the enum values, then the change" || fail "two files: the enum values, then the change"
grep -q "^-- transactional: false$" "$PRE" && grep -q "^ALTER TYPE public.mood ADD VALUE 'happy' AFTER 'ok';$" "$PRE" \
	&& pass "the values' revision is non-transactional and adds the value" || fail "the values' revision is non-transactional and adds the value"
grep -q "^-- down_revision: e1$" "$PRE" && grep -q "^-- down_revision: $(basename "$PRE" | cut -d_ -f1)$" "$MAIN" \
	&& pass "parents: head -> values -> change" || fail "parents: head -> values -> change"
grep -q "SET DEFAULT 'happy'::public.mood;" "$MAIN" && ! grep -q "ADD VALUE" "$MAIN" \
	&& pass "the change uses the value, and does not add it" || fail "the change uses the value, and does not add it"
pgmig upgrade; expect_rc 0 "both apply (the value committed before it is used)"
expect_sql "SELECT enum_range(NULL::mood)::text || ' ' || pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = 'feel'::regclass" "{sad,ok,happy} 'happy'::mood" "the value and the default are there"
pgmig downgrade -2; expect_rc 0 "both downgrade"
expect_sql "SELECT enum_range(NULL::mood)::text" "{sad,ok}" "the value is gone again"
pgmig upgrade >/dev/null 2>&1
printf "CREATE TYPE mood AS ENUM ('sad', 'meh', 'ok', 'happy');\nCREATE TABLE feel (m mood DEFAULT 'happy', n int);\n" >meh.sql
pgmig revision --autogenerate -m "Meh" --schema meh.sql
expect_rc 0 "a value nothing uses"
[ "$(grep -cE '^[0-9a-f]{12}$' "$TMP/out")" = 1 ] && pass "one revision" || fail "one revision"
grep -q "ADD VALUE 'meh' AFTER 'sad'" migrations/*_meh.sql && grep -q "ADD COLUMN n integer" migrations/*_meh.sql \
	&& pass "the value and the column in it" || fail "the value and the column in it"
pgmig upgrade; expect_rc 0 "it applies"

group snapshot_text
# The client reads the snapshot query's text as it is (no jsonb parse), so
# that text must be exactly jsonb's canonical output of the same value,
# also for columns, whose objects the query writes as text itself.
pgmig init >/dev/null 2>&1
sql "SET pgmig.guard = off; CREATE SCHEMA \"we\"\"ird\"; CREATE TABLE \"we\"\"ird\".\"t\\ab\" (
	\"col\"\"q\" text COLLATE \"C\" DEFAULT E'it''s a \\\\ \"x\"\\n\\t\u00e9' NOT NULL,
	\"line
break\" integer GENERATED ALWAYS AS IDENTITY, g integer GENERATED ALWAYS AS (1) STORED,
	n numeric(12,2)[], \"Ünï\" varchar(3) DEFAULT 'é');
	CREATE TABLE \"we\"\"ird\".child (extra int) INHERITS (\"we\"\"ird\".\"t\\ab\")" >/dev/null
# The query gives a row (id, object) per object, in no particular order;
# sorted by id (bytes) and joined as doc/snapshot-format.md says (and as the
# client and pgmig.snapshot() join them), the rows are the snapshot's text.
# NUL-separated: an id may hold a newline.
{ echo "SET search_path = pg_catalog, pg_temp; SET jit = off; PREPARE q(text[]) AS"; grep -v '^--' "$ROOT/src/snapshot.sql"; echo ";"; echo "EXECUTE q(NULL);"; } >snap.sql
psql -XAtq -z -0 -d "$DB" -f snap.sql >rows.bin 2>&1
python3 -c 'import sys; f = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
rows = sorted(zip(f[0::2], f[1::2]))
sys.stdout.buffer.write(b"{\"format\": 1, \"objects\": [" + b", ".join(o for i, o in rows) + b"], \"server_version_num\": " + sys.argv[2].encode() + b"}\n")' \
	rows.bin "$(sql "SHOW server_version_num")" >raw.txt 2>&1
sql "SELECT pgmig.snapshot()::text" >jsonb.txt
if [ -s raw.txt ] && cmp -s raw.txt jsonb.txt; then pass "the query's text is jsonb's canonical output (hostile column names and defaults)"; else
	diff raw.txt jsonb.txt | head -c 2000 >"$TMP/out"; fail "the query's text is jsonb's canonical output (hostile column names and defaults)"; fi
grep -q 'line\\nbreak' raw.txt && grep -q '"ordinal": 5' raw.txt && grep -q '"inherited": true' raw.txt \
	&& pass "and the fixture has what it should test" || fail "and the fixture has what it should test"

group diff_record
# A database pgmig keeps gives `pgmig diff` its recorded snapshot while that
# is the schema now (pgmig._recorded_snapshot()); in every other case the
# catalogs are read.  A record altered by hand shows which one diff used.
R2=${DB}_plain
dropdb --if-exists "$R2" >/dev/null 2>&1; createdb "$R2"; DBS+=("$R2")
sql "CREATE TABLE rec_a (id integer PRIMARY KEY)" "$R2" >/dev/null
sql "CREATE EXTENSION pgmig" >/dev/null
sql "SET pgmig.guard = off; CREATE TABLE rec_a (id integer PRIMARY KEY)" >/dev/null
pgmig diff "dbname=$DB" "dbname=$R2" --exit-code; expect_rc 0 "no record yet: the catalogs are read (equal)"
sql "SELECT pgmig.record_schema()" >/dev/null
sql "UPDATE pgmig.schema_state SET snapshot_text = replace(snapshot_text, '\"name\": \"id\", \"type\": \"integer\"', '\"name\": \"id\", \"type\": \"bigint\"')" >/dev/null
pgmig diff "dbname=$DB" "dbname=$R2" --exit-code
expect_rc 3 "a current record is read instead of the catalogs"; expect_out "ALTER COLUMN id TYPE integer" "(the altered record shows it)"
pgmig diff "dbname=$R2" "dbname=$DB" --exit-code
expect_rc 3 "on either side"; expect_out "ALTER COLUMN id TYPE bigint" "(TO side too)"
# a role that may not execute it reads the catalogs
sql "DROP ROLE IF EXISTS pgmig_rec_reader" >/dev/null; sql "CREATE ROLE pgmig_rec_reader LOGIN" >/dev/null
pgmig diff "dbname=$DB user=pgmig_rec_reader" "dbname=$R2" --exit-code; expect_rc 0 "no EXECUTE: the catalogs are read"
sql "GRANT USAGE ON SCHEMA pgmig TO pgmig_rec_reader; GRANT EXECUTE ON FUNCTION pgmig._recorded_snapshot() TO pgmig_rec_reader; SELECT pgmig.record_schema()" >/dev/null
sql "UPDATE pgmig.schema_state SET snapshot_text = replace(snapshot_text, '\"name\": \"id\", \"type\": \"integer\"', '\"name\": \"id\", \"type\": \"bigint\"')" >/dev/null
pgmig diff "dbname=$DB user=pgmig_rec_reader" "dbname=$R2" --exit-code; expect_rc 3 "granted: the record is read"
# any change of the catalogs since the record: read them again
sql "SET pgmig.guard = off; ALTER TABLE rec_a ADD COLUMN b integer; ALTER TABLE rec_a DROP COLUMN b" >/dev/null
pgmig diff "dbname=$DB" "dbname=$R2" --exit-code; expect_rc 0 "the catalogs changed since: read again (equal)"
sql "REVOKE ALL ON SCHEMA pgmig FROM pgmig_rec_reader; REVOKE ALL ON FUNCTION pgmig._recorded_snapshot() FROM pgmig_rec_reader; DROP ROLE pgmig_rec_reader" >/dev/null
# --lock-timeout: a snapshot behind another session's ACCESS EXCLUSIVE lock
# on a table a view reads gives up after that time, and says why
sql "CREATE VIEW rec_v AS SELECT id FROM rec_a" "$R2" >/dev/null
PGAPPNAME=pgmig_t_locker psql -XAtq -d "$R2" -c "BEGIN" -c "LOCK TABLE rec_a IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
for i in $(seq 1 50); do
	[ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pgmig_t_locker' AND l.mode = 'AccessExclusiveLock' AND l.granted")" -ge 1 ] && break
	sleep 0.2
done
pgmig diff "dbname=$DB" "dbname=$R2" --lock-timeout 300ms; expect_rc 1 "--lock-timeout: the locked side fails"
expect_err "canceling statement due to lock timeout" "says it was the lock timeout"
expect_err "hint: Another session holds a lock on a table the snapshot reads.*--lock-timeout" "the hint says what to do"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgmig_t_locker'" >/dev/null
wait
pgmig diff "dbname=$DB" "dbname=$R2" --lock-timeout 5s; expect_rc 0 "--lock-timeout once the lock is gone"
pgmig diff "dbname=$DB" "dbname=$R2" --lock-timeout soon; expect_rc 2 "a --lock-timeout that is not a time: usage error"
expect_err 'invalid --lock-timeout "soon"' "names it"

group review
pgmig init
M=migrations
sql "CREATE TABLE big (id int, note text); INSERT INTO big SELECT g, CASE WHEN g % 1000 = 0 THEN NULL ELSE 'x' END FROM generate_series(1, 100000) g; ANALYZE big" >/dev/null
revfile $M rv1 "" "Index big" "CREATE INDEX big_note ON big (note);" "DROP INDEX big_note;"
pgmig review; expect_rc 0 "warnings only: exit 0"
expect_out "^$M/rv1_index_big.sql:6: warning: create-index: CREATE INDEX big_note builds on public.big \(100000 rows" "FILE:LINE: warning: RULE: message"
expect_out "^    hint: Create the index with CREATE INDEX CONCURRENTLY" "hint printed"
expect_err "review of heads: 0 errors, 1 warning" "summary on stderr"
expect_sql "SELECT count(*) FROM pgmig.revision" 0 "review loads nothing for good"
pgmig review -v; expect_out "note: lock: takes SHARE lock on public.big" "-v shows the lock of every statement"
revfile $M rv2 "rv1" "Note not null" "ALTER TABLE big ADD COLUMN x int;

ALTER TABLE big ALTER COLUMN note SET NOT NULL;" "ALTER TABLE big DROP COLUMN x;"
pgmig review; expect_rc 1 "an error: exit 1"
expect_out "^$M/rv2_note_not_null.sql:8: error: data-not-null: 100 rows of public.big have NULL in column note" "the data check's count, at the statement's line"
pgmig review rv1; expect_rc 0 "review TARGET stops at the target"
pgmig upgrade; expect_rc 1 "upgrade stops on the review's error"
expect_err "error: data-not-null" "upgrade prints the review"
expect_err "review found 1 error: nothing was run" "upgrade says nothing was run"
expect_sql "SELECT count(*) FROM pgmig.applied" 0 "nothing applied"
sql "UPDATE big SET note = 'y' WHERE note IS NULL" >/dev/null
pgmig upgrade; expect_rc 0 "upgrade runs once the data is fixed"
expect_err "warning: create-index" "upgrade still prints the warnings"
expect_sql "SELECT count(*) FROM pgmig.applied" 2 "both applied"
revfile $M rv3 "rv2" "Back to nullable" "ALTER TABLE big ADD COLUMN y int NOT NULL;" "ALTER TABLE big DROP COLUMN y;"
pgmig upgrade --force; expect_rc 1 "--force runs it anyway (and the server refuses)"
expect_err "contains null values" "the server's own error"
pgmig downgrade --force base; expect_rc 2 "downgrade has no --force"
# issue 12 item 1: Alembic's defaults (upgrade = head, downgrade = -1)
group defaults
pgmig init; expect_rc 0 "init"
revfile migrations d1 "" "one" "CREATE TABLE d1 (a int);" "DROP TABLE d1;"
revfile migrations d2 d1 "two" "CREATE TABLE d2 (a int);" "DROP TABLE d2;"
revfile migrations d3 d1 "three" "CREATE TABLE d3 (a int);" "DROP TABLE d3;"
pgmig upgrade; expect_rc 1 "two heads stop a bare upgrade"
expect_err "multiple head revisions are present" "Alembic's words"
expect_err "pgmig merge" "the hint names the client's merge"
expect_sql "SELECT count(*) FROM pgmig.applied" "0" "nothing applied with two heads"
pgmig upgrade heads; expect_rc 0 "upgrade heads applies both"
expect_sql "SELECT count(*) FROM pgmig.applied" "3" "three applied"
pgmig downgrade; expect_rc 1 "bare downgrade with two applied heads stops"
expect_err "needs a single current revision" "and says why"
expect_sql "SELECT count(*) FROM pgmig.applied" "3" "nothing reverted"
pgmig downgrade d1; expect_rc 0 "down to the branch point"
pgmig downgrade; expect_rc 0 "bare downgrade means -1"
expect_sql "SELECT count(*) FROM pgmig.applied" "0" "-1 reverted the last one"
pgmig downgrade --help; expect_out "downgrade \\[TARGET\\]" "downgrade --help: target optional"
expect_out "default" "downgrade --help names the default"
pgmig upgrade --help; expect_out "head, as" "upgrade --help: default head"
rm migrations/d3_*.sql
pgmig upgrade; expect_rc 0 "one head: bare upgrade applies all"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "d1,d2" "upgraded to head"
pgmig downgrade; expect_rc 0 "bare downgrade"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "d1" "downgrade -1 reverted one"
revfile migrations d4 d2 "four" "CREATE TABLE d4 (a int);"
pgmig upgrade; expect_rc 0 "up to an irreversible revision"
pgmig downgrade; expect_rc 1 "irreversible: downgrade refused"
expect_err "pgmig.repair\\(" "server hint (SQL) kept"
expect_err "hint: From the client: pgmig repair FILE" "client hint names pgmig repair FILE"

# ======================================================================
# issue 12 item 3: an Alembic folder is not taken over; PGMIG_DIR, pgmig.conf
group settings
pgmig init; expect_rc 0 "init"
mkdir -p flask/migrations/versions
touch flask/migrations/env.py flask/migrations/alembic.ini
for c in "load" "upgrade" "heads" "revision -m x" "import-alembic --upgrade-sql /dev/null" "status"; do
	pgmig --dir flask/migrations $c; expect_rc 1 "$c refuses Alembic's folder"
done
expect_err 'folder "flask/migrations" belongs to Alembic \(it has env.py\)' "says why"
expect_err "pgmig import-alembic" "and names import-alembic"
expect_err "Use another folder" "and another folder"
if [ -z "$(ls flask/migrations/versions)" ]; then pass "nothing written there"; else fail "nothing written there"; fi
rm flask/migrations/env.py flask/migrations/alembic.ini
pgmig --dir flask/migrations revision -m x; expect_rc 1 "versions/ alone is enough"
expect_err "it has versions" "names versions/"
run env PGMIG_DIR=flask/migrations "$PGMIG" revision -m x; expect_rc 1 "PGMIG_DIR is checked too"
# precedence: --dir over PGMIG_DIR over pgmig.conf
mkdir -p conf env flag
printf '# pgmig settings\n[pgmig]\ndir = conf\ndatabase_url = dbname=pgmig_no_such_db\nfile_template = %%(rev)s-%%(slug)s\n' > pgmig.conf
pgmig revision -m "from conf" --rev-id c1; expect_rc 0 "revision with pgmig.conf"
if [ -f conf/c1-from_conf.sql ]; then pass "pgmig.conf's dir and file_template used"; else fail "pgmig.conf's dir and file_template used"; fi
run env PGMIG_DIR=env "$PGMIG" revision -m "from env" --rev-id e1; expect_rc 0 "revision with PGMIG_DIR"
if [ -f env/e1-from_env.sql ]; then pass "PGMIG_DIR wins over pgmig.conf"; else fail "PGMIG_DIR wins over pgmig.conf"; fi
run env PGMIG_DIR=env "$PGMIG" --dir flag revision -m "from flag" --rev-id f1; expect_rc 0 "revision with --dir"
if [ -f flag/f1-from_flag.sql ] && [ ! -f env/f1-from_flag.sql ]; then pass "--dir wins over PGMIG_DIR"; else fail "--dir wins over PGMIG_DIR"; fi
pgmig -q current; expect_rc 1 "pgmig.conf's database_url used"
expect_err "pgmig_no_such_db" "the conf's database named"
run env DATABASE_URL="postgresql:///$DB" "$PGMIG" -q current; expect_rc 0 "DATABASE_URL wins over pgmig.conf"
run env DATABASE_URL="postgresql:///pgmig_no_such_db2" "$PGMIG" -d "$DB" -q current; expect_rc 0 "-d wins over DATABASE_URL"
printf 'dir = conf\ncolour = blue\n' > pgmig.conf
pgmig heads; expect_rc 1 "unknown key refused"; expect_err "pgmig.conf:2: unknown key \"colour\"" "names file, line and key"
printf 'file_template = %%(slug)s\n' > pgmig.conf
pgmig heads; expect_rc 1 "template without rev refused"; expect_err "pgmig.conf:1: file_template" "names the template"
rm pgmig.conf

# ======================================================================
# issue 12 item 4: --commit-each, pgmig drift [--clear], lock waits said at once
group production
pgmig init; expect_rc 0 "init"
pgmig drift; expect_rc 0 "drift before any schema is recorded"
expect_err "No schema recorded yet" "says objects are compared once a schema is recorded"
expect_err "No DDL outside pgmig in the guard's log" "and shows the (empty) log"
revfile migrations p1 "" "one" "CREATE TABLE p1 (a int);" "DROP TABLE p1;"
revfile migrations p2 p1 "two" "CREATE TABLE p2 (a int);" "DROP TABLE p2;"
revfile migrations p3 p2 "three" "INSERT INTO nope VALUES (1);" "SELECT 1;"
revfile migrations p4 p3 "four" "CREATE TABLE p4 (a int);" "DROP TABLE p4;"
pgmig upgrade; expect_rc 1 "review stops a run that would fail on a missing table"
expect_err "error: missing-relation: nope does not exist in this database" "and names it"
expect_sql "SELECT count(*) FROM pgmig.applied" "0" "nothing was run"
# (--force from here on: this is about the failing runs)
pgmig upgrade --force; expect_rc 1 "one-transaction run fails"
expect_err "all of it was rolled back, no revision changed state" "says everything was rolled back"
expect_sql "SELECT count(*) FROM pgmig.applied" "0" "nothing applied"
pgmig upgrade --commit-each --force; expect_rc 1 "--commit-each run fails at p3"
expect_err "Committed, and stay applied: p1, p2\\." "says what stays committed"
expect_err "Rolled back, not applied: p3\\." "says what was rolled back"
expect_err "Not run: p4\\." "says what did not run"
expect_err "pgmig history" "hint names a client command"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "p1,p2" "p1 and p2 committed"
revfile migrations p3 p2 "three" "CREATE TABLE p3 (a int);" "DROP TABLE p3;"
psql -XAtq -c "UPDATE pgmig.revision SET upgrade = 'CREATE TABLE p3 (a int);' WHERE id = 'p3'" >/dev/null 2>&1
pgmig upgrade --commit-each; expect_rc 0 "--commit-each continues"
expect_sql "SELECT count(*) FROM pgmig.applied" "4" "all applied"
pgmig downgrade --commit-each base; expect_rc 0 "downgrade --commit-each base"
expect_sql "SELECT count(*) FROM pgmig.applied" "0" "all reverted"
pgmig upgrade --sql --commit-each; expect_rc 2 "--sql with --commit-each is a usage error"
# drift
pgmig upgrade; expect_rc 0 "upgrade"
psql -XAtq -c "CREATE TABLE outside_pgmig (a int)" >/dev/null 2>&1
pgmig drift; expect_rc 0 "drift lists"
expect_out "outside_pgmig" "the DDL run outside pgmig is listed"
expect_out "CREATE TABLE" "with its command tag"
expect_out "Objects changed since the schema pgmig recorded" "objects compared with the recorded schema come first"
expect_out "table public.outside_pgmig +\\| table +\\| added" "the table is an added object (pgmig.drift())"
expect_out "DDL run outside pgmig \\(the guard's log\\)" "then the guard's log"
pgmig check; expect_rc 0 "check with drift (warnings)"
expect_out "table public.outside_pgmig added outside a migration" "check names the drifted object"
expect_err "hint: \"pgmig drift\" lists what changed outside a migration; \"pgmig drift --accept\" accepts" "and points to the client commands"
psql -XAtq -c "CREATE ROLE pgmig_t_nodel LOGIN" >/dev/null 2>&1
psql -XAtq -c "GRANT USAGE ON SCHEMA pgmig TO pgmig_t_nodel; GRANT SELECT ON ALL TABLES IN SCHEMA pgmig TO pgmig_t_nodel; GRANT EXECUTE ON FUNCTION pgmig.clear_drift(bigint), pgmig.status() TO pgmig_t_nodel" >/dev/null
pgmig -U pgmig_t_nodel drift; expect_rc 0 "drift without EXECUTE on pgmig.drift()"
expect_err "may not execute pgmig.drift\\(\\)" "says the objects are not compared"
expect_out "outside_pgmig" "still lists the guard's log"
pgmig -U pgmig_t_nodel drift --clear; expect_rc 1 "--clear without DELETE on pgmig.drift refused"
expect_err "permission denied" "says permission denied"
expect_sql "SELECT count(*) > 0 FROM pgmig.drift" "t" "drift kept"
pgmig drift --clear; expect_rc 0 "drift --clear"
expect_err "Acknowledged [0-9]+ drift rows? \\(recorded in the journal\\)" "says how many were acknowledged"
expect_sql "SELECT count(*) FROM pgmig.drift" "0" "drift cleared"
expect_sql "SELECT count(*) FROM pgmig.journal WHERE action = 'clear_drift' AND detail LIKE '% acknowledged (ids %'" "1" "journaled"
pgmig drift --clear; expect_rc 0 "nothing to clear"; expect_err "No drift to clear" "says so"
pgmig drift --clear --accept; expect_rc 2 "--clear with --accept is a usage error"
expect_sql "SELECT count(*) FROM pgmig.drift()" "2" "the table (and its column) still drift"
# a damaged record: status warns, with the client command that records again
psql -XAtq -c "UPDATE pgmig.schema_state SET snapshot_text = '{\"format\": 2}', catalog_version = NULL" >/dev/null 2>&1
pgmig status; expect_rc 0 "status on a damaged record"
expect_err "could not compare the schema with the recorded one: the recorded schema in pgmig.schema_state is damaged" "status warns that the record is damaged"
expect_err "HINT:  From the client: pgmig drift --accept\\." "the warning's hint names the client command"
pgmig drift; expect_rc 1 "drift refuses a damaged record"
expect_err "recorded schema in pgmig.schema_state is damaged" "and says why"
expect_err "From the client: pgmig drift --accept\\." "the error's hint names the client command"
pgmig drift --accept; expect_rc 0 "drift --accept"
expect_err "Recorded the schema as it is now \\([0-9]+ objects\\)" "says it recorded the schema"
expect_sql "SELECT count(*) FROM pgmig.drift()" "0" "nothing drifts after --accept"
expect_sql "SELECT action FROM pgmig.schema_state" "record_schema" "recorded as record_schema"
pgmig drift; expect_rc 0 "drift after --accept"
expect_err "No object differs from the schema pgmig recorded" "says no object differs"
psql -XAtq -c "DROP OWNED BY pgmig_t_nodel; DROP ROLE pgmig_t_nodel" >/dev/null 2>&1
# a second run waiting for the lock says so at once
revfile migrations p5 p4 "five" "CREATE TABLE p5 (a int);" "DROP TABLE p5;"
PGAPPNAME=pgmig_t_holder psql -XAtq -c "SELECT pgmig.lock()" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
HOLDER=$!
for i in $(seq 1 300); do [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgmig_t_holder' AND wait_event = 'PgSleep'")" = 1 ] && break; sleep 0.1; done
"$PGMIG" upgrade >"$TMP/lockout" 2>"$TMP/lockerr" &
WAITER=$!
for i in $(seq 1 300); do grep -q "waiting for" "$TMP/lockerr" && break; sleep 0.1; done
LAST="pgmig upgrade while another session holds the lock"
cp "$TMP/lockerr" "$TMP/err"
expect_err "waiting for another pgmig run \\(pid [0-9]+, role [a-z_0-9]+\\) to finish" "the waiting run says who it waits for"
expect_sql "SELECT count(*) FROM pgmig.applied WHERE revision = 'p5'" "0" "and waits"
sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgmig_t_holder'" >/dev/null
wait $HOLDER
wait $WAITER; RC=$?
cp "$TMP/lockerr" "$TMP/err"
expect_rc 0 "it runs once the lock is free"
expect_sql "SELECT count(*) FROM pgmig.applied WHERE revision = 'p5'" "1" "p5 applied"

# ======================================================================
# issue 12 item 4: pgmig test [TARGET] [--junit FILE], the CI job
group citest
pgmig init; expect_rc 0 "init"
revfile migrations t1 "" "one" "CREATE TABLE t1 (a int);" "DROP TABLE t1;"
revfile migrations t2 t1 "two" "ALTER TABLE t1 ADD COLUMN b int;" "ALTER TABLE t1 DROP COLUMN b;"
junit_check() { # junit_check FILE TESTS FAILURES SKIPPED NAME: parse with xml.etree
	run "$PY" - "$1" "$2" "$3" "$4" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
fails = [c for c in cases if c.find("failure") is not None]
skips = [c for c in cases if c.find("skipped") is not None]
for c in cases:
    f = c.find("failure")
    print(c.get("classname"), c.get("name"), "FAIL " + f.get("message") if f is not None else ("SKIP" if c.find("skipped") is not None else "ok"))
assert (len(cases), len(fails), len(skips)) == tuple(map(int, sys.argv[2:5])), (len(cases), len(fails), len(skips))
assert int(root.find("testsuite").get("failures")) == len(fails)
PYEOF
	expect_rc 0 "$5"
}
pgmig test --junit "$TMP/ok.xml"; expect_rc 0 "pgmig test passes"
expect_err "ok: pgmig.roundtrip t2" "each revision reported"
expect_err "ok: pgmig.review" "the review runs (pgmig.review exists since 0.4)"
junit_check "$TMP/ok.xml" 4 0 0 "JUnit XML parses: 4 testcases, 0 failures"
expect_out "pgmig.roundtrip t1 ok" "one testcase per revision"
expect_sql "SELECT count(*) FROM pgmig.revision" "0" "nothing loaded (all rolled back)"
expect_sql "SELECT count(*) FROM pg_class WHERE relname = 't1'" "0" "nothing applied"
# a downgrade that does not undo its upgrade
revfile migrations t3 t2 "three" "ALTER TABLE t1 ADD COLUMN c int;" "SELECT 1;"
pgmig test --junit "$TMP/bad.xml"; expect_rc 1 "a broken downgrade fails pgmig test"
expect_err "FAIL: pgmig.roundtrip t3" "the revision is named"
junit_check "$TMP/bad.xml" 5 1 0 "JUnit XML: the failure is a failure"
expect_out "pgmig.roundtrip t3 FAIL .+" "with a message"
# two heads
revfile migrations t3 t2 "three" "ALTER TABLE t1 ADD COLUMN c int;" "ALTER TABLE t1 DROP COLUMN c;"
revfile migrations t4 t2 "four" "CREATE TABLE t4 (a int);" "DROP TABLE t4;"
pgmig test heads --junit "$TMP/heads.xml"; expect_rc 1 "two heads fail pgmig test"
expect_err "FAIL: pgmig.check single head: 2 heads: t3, t4" "the heads are named"
junit_check "$TMP/heads.xml" 6 1 0 "JUnit XML: single head failure"
rm migrations/t4_*.sql
# the review, when the database has it (a stand-in with one error finding)
psql -XAtq -c "CREATE OR REPLACE FUNCTION pgmig.review(target text DEFAULT 'head') RETURNS TABLE (revision text, statement integer, line integer, severity text, rule text, relation text, lock text, rows bigint, bytes bigint, message text, hint text) LANGUAGE sql AS \$\$ SELECT 't2', 1, 1, 'error', 'table-rewrite', 't1', NULL, NULL::bigint, NULL::bigint, 'rewrites <t1> & locks it', NULL \$\$" >/dev/null 2>&1
pgmig test --junit "$TMP/review.xml"; expect_rc 1 "a review error fails pgmig test"
expect_err "FAIL: pgmig.review head: t2: table-rewrite" "the finding is shown"
junit_check "$TMP/review.xml" 5 1 0 "JUnit XML: review failure, markup escaped"
expect_out "rewrites <t1> & locks it" "message kept through the escaping"
pgmig test a b; expect_rc 2 "two targets: usage error"

# ======================================================================
# issue 12 item 2: the read commands see the folder (loaded, rolled back)
group readfolder
pgmig init; expect_rc 0 "init"
revfile migrations f1 "" "one" "CREATE TABLE f1 (a int);" "DROP TABLE f1;"
pgmig upgrade; expect_rc 0 "upgrade"
pgmig revision -m "two" --rev-id f2; expect_rc 0 "a new revision file"
pgmig -A heads; expect_rc 0 "heads"; expect_out "^f2\\|" "heads shows the new file at once"
pgmig -A history; expect_out "^f2\\|f1\\|" "history shows it"
pgmig -A show f2; expect_rc 0 "show finds it"
pgmig -A -x status; expect_out "pending\\|1" "status counts it pending"
expect_sql "SELECT count(*) FROM pgmig.revision WHERE id = 'f2'" "0" "nothing loaded for real"
pgmig -A history --indicate-current; expect_rc 0 "history --indicate-current"
expect_out "^f1\\|.*current" "the current revision is marked"
pgmig -A history -i -v; expect_rc 0 "history -i -v"; expect_out "current" "verbose has a current column"
pgmig -A current -v; expect_rc 0 "current -v"; expect_out "^f1\\|" "current -v"
expect_out "down_revision" "current -v shows parents"
pgmig -A heads -v; expect_rc 0 "heads -v"; expect_out "^f2\\|f1\\|" "heads -v shows the parent"
pgmig check; expect_rc 0 "check on a healthy folder"
sed -i 's/a int/a bigint/' migrations/f1_one.sql
pgmig check; expect_rc 1 "check reports an edited applied file"
expect_err "f1_one.sql: revision f1 was changed after it was applied" "names the file"
mv migrations/f1_one.sql "$TMP/"
pgmig check; expect_rc 1 "check reports a deleted applied file"
expect_err "revision f1 is applied, but its file is missing" "names the revision"
expect_out "No problems in the database's view; the folder's error is above" "does not say \"No problems found\" then"
mv "$TMP/f1_one.sql" migrations/; sed -i 's/a bigint/a int/' migrations/f1_one.sql
pgmig check; expect_rc 0 "restored: healthy again"
# a role that may read but not write pgmig.revision gets the database's view
psql -XAtq -c "CREATE ROLE pgmig_t_reader LOGIN; GRANT USAGE ON SCHEMA pgmig TO pgmig_t_reader; GRANT SELECT ON ALL TABLES IN SCHEMA pgmig TO pgmig_t_reader; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgmig TO pgmig_t_reader" >/dev/null 2>&1
pgmig -U pgmig_t_reader -A heads; expect_rc 0 "reader: heads"
expect_err "warning: showing the database's view: this role may not write pgmig.revision" "reader warned"
expect_out "^f1\\|" "reader sees the database's head"
psql -XAtq -c "DROP OWNED BY pgmig_t_reader; DROP ROLE pgmig_t_reader" >/dev/null 2>&1

# ======================================================================
# issue 12 item 5: offline mode -- A:B ranges, and no database at all
group offline
pgmig init; expect_rc 0 "init"
revfile migrations o1 "" "one" "CREATE TABLE o1 (a int);" "DROP TABLE o1;"
revfile migrations o2 o1 "two" "CREATE TABLE o2 (a int);" "DROP TABLE o2;"
revfile migrations o3 o2 "three" "CREATE TABLE o3 (a int);" "DROP TABLE o3;"
pgmig upgrade o1; expect_rc 0 "upgrade o1"
pgmig upgrade --sql o2:o3; expect_rc 0 "upgrade --sql o2:o3"
expect_out "CREATE TABLE o3" "the range's revision is in it"
if grep -q "CREATE TABLE o2" "$TMP/out"; then fail "the start of the range is not"; else pass "the start of the range is not"; fi
pgmig upgrade --sql base:o2; expect_rc 0 "upgrade --sql base:o2 from an applied state"
expect_out "CREATE TABLE o1" "starts from base, whatever is applied"
expect_out "CREATE TABLE o2" "up to o2"
if grep -q "CREATE TABLE o3" "$TMP/out"; then fail "not beyond o2"; else pass "not beyond o2"; fi
pgmig downgrade --sql o3:o1; expect_rc 0 "downgrade --sql o3:o1"
expect_out "DROP TABLE o3" "downgrade range: o3 reverted"
expect_out "DROP TABLE o2" "downgrade range: o2 reverted"
if grep -q "DROP TABLE o1" "$TMP/out"; then fail "o1 stays"; else pass "o1 stays"; fi
expect_sql "SELECT string_agg(revision, ',') FROM pgmig.applied" "o1" "ranges change nothing"
expect_sql "SELECT count(*) FROM pgmig.journal WHERE action LIKE 'stamp%'" "0" "the stamp was rolled back"
pgmig upgrade --sql :o2; expect_rc 2 "a range needs both ends"
pgmig upgrade --offline o2; expect_rc 2 "--offline only with --sql"
# --offline: the folder alone, from base, even with a database at o1
pgmig upgrade --sql --offline o2; expect_rc 0 "--sql --offline"
expect_out "CREATE TABLE o1" "--offline starts from base"

# a branch label, a dependency, a message with quotes and a backslash
revfile migrations o4 o3 "four's \\ label" "CREATE TABLE o4 (a text DEFAULT 'x\\y');" "DROP TABLE o4;" "-- branch_labels: lab4
-- depends_on: o1"
# no server reachable: nothing but the folder
NOSRV="env PGHOST=$TMP/no-such-socket-dir PGPORT=1"
run $NOSRV "$PGMIG" upgrade --sql base:head; expect_rc 0 "no server: upgrade --sql base:head"
cp "$TMP/out" "$TMP/offline_up.sql"
expect_out "SELECT pgmig.add\('o4'" "the script loads the revisions it runs"
expect_out "SELECT pgmig.step\('o4', false\);" "and runs them with step()"
expect_no_err "could not connect|error" "a range never tries the database"
run $NOSRV "$PGMIG" upgrade --sql; expect_rc 0 "no server, no range: from base"
expect_err "warning: no database: the script is written from the folder alone and starts from base" "says it starts from base"
expect_err "pgmig upgrade --sql START:head" "the hint names START:END"
if cmp -s "$TMP/out" "$TMP/offline_up.sql"; then pass "same script as base:head"; else fail "same script as base:head"; fi
run $NOSRV "$PGMIG" upgrade --sql --offline o4; expect_rc 0 "no server, --offline"
expect_no_err "could not connect" "--offline does not try to connect"
run $NOSRV "$PGMIG" downgrade --sql o4:o1; expect_rc 0 "no server: downgrade --sql o4:o1"
cp "$TMP/out" "$TMP/offline_down.sql"
run $NOSRV "$PGMIG" downgrade --sql base:o1; expect_rc 0 "no server: downgrade from base"
expect_out "\(0 revisions\)" "from base there is nothing to downgrade"

# byte for byte what pgmig.script() writes for the same folder and range
OFF2=${DB}_2
createdb "$OFF2"; DBS+=("$OFF2")
psql -XAtq -d "$OFF2" -c "CREATE EXTENSION pgmig" >/dev/null
pgmig -d "$OFF2" load; expect_rc 0 "load the folder into a second database"
sql "SELECT pgmig.script('upgrade', 'head')" "$OFF2" >"$TMP/server_up.sql"
if [ "$(cat "$TMP/server_up.sql")" = "$(cat "$TMP/offline_up.sql")" ]; then pass "client offline script = pgmig.script() (upgrade base:head)"; else diff "$TMP/server_up.sql" "$TMP/offline_up.sql" | head; fail "client offline script = pgmig.script() (upgrade base:head)"; fi
psql -XAtq -d "$OFF2" -c "BEGIN" -c "DO \$\$BEGIN PERFORM pgmig.stamp('o4'); END\$\$" -c "SELECT pgmig.script('downgrade', 'o1')" -c "ROLLBACK" >"$TMP/server_down.sql"
if [ "$(cat "$TMP/server_down.sql")" = "$(cat "$TMP/offline_down.sql")" ]; then pass "client offline script = pgmig.script() (downgrade o4:o1)"; else diff "$TMP/server_down.sql" "$TMP/offline_down.sql" | head; fail "client offline script = pgmig.script() (downgrade o4:o1)"; fi

# the script runs with psql -1 -f on a database that never saw the folder
OFF3=${DB}_3
createdb "$OFF3"; DBS+=("$OFF3")
psql -XAtq -d "$OFF3" -c "CREATE EXTENSION pgmig" >/dev/null
run psql -X -v ON_ERROR_STOP=1 -1 -d "$OFF3" -f "$TMP/offline_up.sql"; expect_rc 0 "psql -1 -f the offline script"
OFF1=$DB; DB=$OFF3
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "o1,o2,o3,o4" "applied rows"
expect_sql "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.revision" "o1,o2,o3,o4" "every applied revision is loaded"
expect_sql "SELECT count(*) FROM pgmig.check()" "0" "check() finds nothing wrong"
expect_sql "SELECT branch_labels[1] || ' ' || depends_on[1] FROM pgmig.revision WHERE id = 'o4'" "lab4 o1" "labels and dependencies kept"
expect_sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('o1', 'o2', 'o3', 'o4')" "4" "tables created"
run psql -X -v ON_ERROR_STOP=1 -1 -d "$OFF3" -f "$TMP/offline_up.sql"; expect_rc 3 "run twice: refused by the state check"
expect_err "no longer in the state this script was generated for" "the state check says why"
run psql -X -v ON_ERROR_STOP=1 -1 -d "$OFF3" -f "$TMP/offline_down.sql"; expect_rc 0 "psql -1 -f the offline downgrade"
expect_sql "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied" "o1" "downgraded to o1"
expect_sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('o2', 'o3', 'o4')" "0" "tables dropped"
DB=$OFF1

# ======================================================================
# issue 13: read commands skip a folder a load recorded unchanged; any
# change to a file or to pgmig.revision is still seen (issue 9: one upsert)
group fastread
pgmig init
revfile migrations q1 "" "one" "CREATE TABLE q1 (a int);" "DROP TABLE q1;"
revfile migrations q2 q1 "two" "SELECT 1;" "SELECT 2;"
# files changed within two seconds are never recorded (same clock tick)
pgmig upgrade; expect_rc 0 "upgrade"
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "0" "fresh files: no fingerprint recorded"
sleep 3
pgmig upgrade; expect_rc 0 "no-op upgrade"; expect_err "0 new, 0 changed, 0 removed" "nothing changed"
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "1" "settled folder: fingerprint recorded"
pgmig -A heads; expect_rc 0 "heads from the recorded folder"; expect_out "^q2\\|two\\|" "head shown"
# same size, mtime put back: ctime still differs, so the edit is seen
cp -p migrations/q2_two.sql "$TMP/q2.keep"
sed -i 's/message: two/message: TWO/' migrations/q2_two.sql
touch -r "$TMP/q2.keep" migrations/q2_two.sql
pgmig -A heads; expect_rc 0 "heads after an in-place edit"; expect_out "^q2\\|TWO\\|" "the edited message is shown"
expect_sql "SELECT message FROM pgmig.revision WHERE id = 'q2'" "two" "read command loaded nothing for real"
pgmig load; expect_rc 0 "load the edit"; expect_err "1 changed" "the edit is one change"
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "0" "fresh edit: no fingerprint"
sleep 3
pgmig load; expect_rc 0 "load again"
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "1" "recorded again"
# runs skip a recorded folder too (asked under the migration lock)
pgmig upgrade; expect_rc 0 "no-op upgrade from a recorded folder"
expect_err "unchanged since it was last loaded: not read again" "the run does not read the folder"
pgmig stamp heads; expect_rc 0 "stamp from a recorded folder"
expect_err "not read again" "stamp does not read it either"
# a change of pgmig.revision with its triggers bypassed voids the record
# (it holds the table's row versions): the next run reads the folder and
# puts the file's text back
sql "SET session_replication_role = replica; UPDATE pgmig.revision SET message = 'tampered' WHERE id = 'q2'" >/dev/null
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "1" "the trigger did not see the bypassed change"
pgmig upgrade; expect_rc 0 "run after a bypassed change"
expect_no_err "not read again" "the run reads the folder"; expect_err "1 changed" "and loads the file back"
expect_sql "SELECT message FROM pgmig.revision WHERE id = 'q2'" "TWO" "the file is the truth again"
pgmig upgrade; expect_rc 0 "and the next run"; expect_err "not read again" "skips the folder again"
# a role that may write pgmig.revision but not run folder_unchanged():
# the read command reads the folder instead of failing
psql -XAtq -c "DROP ROLE IF EXISTS pgmig_t_nofast" >/dev/null 2>&1
psql -XAtq -c "CREATE ROLE pgmig_t_nofast LOGIN; GRANT USAGE ON SCHEMA pgmig TO pgmig_t_nofast; GRANT SELECT ON ALL TABLES IN SCHEMA pgmig TO pgmig_t_nofast; GRANT INSERT, UPDATE, DELETE ON pgmig.revision TO pgmig_t_nofast; GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgmig TO pgmig_t_nofast; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgmig TO pgmig_t_nofast; REVOKE EXECUTE ON FUNCTION pgmig.folder_unchanged(text) FROM pgmig_t_nofast" >/dev/null 2>&1
pgmig -U pgmig_t_nofast -A heads; expect_rc 0 "no EXECUTE on folder_unchanged: heads still works"; expect_out "^q2\\|TWO\\|" "and shows the folder"
pgmig -U pgmig_t_nofast upgrade; expect_rc 0 "no EXECUTE on folder_unchanged: a run still works"
expect_no_err "not read again" "and reads the folder"
psql -XAtq -c "DROP OWNED BY pgmig_t_nofast; DROP ROLE pgmig_t_nofast" >/dev/null 2>&1
sql "SELECT pgmig.add('q9', '{q2}', 'SELECT 1', 'SELECT 1', 'added in SQL')" >/dev/null
expect_sql "SELECT count(*) FROM pgmig.folder_seen" "0" "a change of pgmig.revision forgets the fingerprint"
pgmig -A heads; expect_out "^q2\\|" "the folder is the truth again: q9 has no file"
pgmig check; expect_rc 0 "check reads the folder"
sed -i 's/CREATE TABLE q1 (a int);/CREATE TABLE q1 (b int);/' migrations/q1_one.sql
pgmig upgrade; expect_rc 1 "edited applied file refused"
expect_err "q1_one.sql: revision q1 was changed after it was applied" "names the file"
expect_err "nothing loaded, nothing run" "and refuses"
pgmig check; expect_rc 1 "check: edited applied file"
expect_err "q1_one.sql: revision q1 was changed after it was applied" "check names the file"
expect_err "nothing loaded" "check loads nothing"; expect_no_err "nothing run" "and does not speak of a run"
expect_sql "SELECT count(*) FROM pgmig.revision WHERE id = 'q9'" "1" "nothing removed by a refused load"

# ======================================================================
group demo
PGMIG_DIR=$(dirname "$PGMIG")
run env PATH="$PGMIG_DIR:$PATH" sh "$ROOT/examples/demo.sh"
expect_rc 0 "examples/demo.sh"
expect_out '^\$ pgmig downgrade -1' "demo echoes its commands"
expect_err "Index segment audio start \(non-transactional" "demo runs CREATE INDEX CONCURRENTLY through the client"
expect_sql "SELECT count(*) FROM pgmig.applied" 6 "demo ends fully upgraded"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
