#!/bin/bash
# test/package/run.sh: the release files and the Debian package.
#
#   - META.json is valid JSON with PGXN's required keys, and its version is
#     the extension's (pgmig.control's default_version);
#   - debian/changelog carries the same upstream version;
#   - the Debian package builds (dpkg-buildpackage -us -uc -b, pg_buildext)
#     from a copy of the checkout, so the checkout itself is never touched;
#   - the .deb's files are where Debian puts an extension's (dpkg -x into a
#     private root, nothing installed into the system), its maintainer
#     scripts link /usr/bin/pgmig and pgmig(1) through update-alternatives;
#   - smoke: a throwaway copy of PostgreSQL (test/dev/pgcopy.sh) gets the
#     .deb's files and nothing else, then a fresh cluster runs CREATE
#     EXTENSION, the update path from 0.1, and the packaged client.
#
# Prints TAP-style "ok N - ..." lines, then "N passed, N failed".
# Needs debhelper and postgresql-server-dev-all (pg_buildext).

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGV=${PGV:-15}
TMP=$(mktemp -d /tmp/pgmig_package_test.XXXXXX)
chmod 755 "$TMP"
passed=0
failed=0
trap 'rm -rf "$TMP"' EXIT

pass() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
fail() {
	failed=$((failed + 1)); echo "not ok $((passed + failed)) - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -25 "$2" | sed 's/^/#   /'
}
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi; }

version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/pgmig.control")
echo "# extension version $version"

# ---- META.json (PGXN)
check "META.json is valid JSON (python3 -m json.tool)" python3 -m json.tool "$ROOT/META.json"
meta() { python3 -c "import json,sys; m=json.load(open('$ROOT/META.json')); print(eval(sys.argv[1]))" "$1" 2>/dev/null; }
missing=$(meta "[k for k in ('name','abstract','version','maintainer','license','provides','meta-spec') if k not in m]")
[ "$missing" = "[]" ] && pass "META.json has PGXN's required keys" || fail "META.json has PGXN's required keys (missing: $missing)"
[ "$(meta "m['meta-spec']['version']")" = "1.0.0" ] && pass "META.json meta-spec 1.0.0" || fail "META.json meta-spec 1.0.0"
# PGXN versions are semantic versions: 0.4 is released as 0.4.0
[ "$(meta "m['version']")" = "$version.0" ] && pass "META.json version is the extension's ($version.0)" || fail "META.json version is the extension's ($version.0)"
[ "$(meta "m['provides']['pgmig']['version']")" = "$version.0" ] && pass "META.json provides pgmig $version.0" || fail "META.json provides pgmig $version.0"
f=$(meta "m['provides']['pgmig']['file']")
[ -n "$f" ] && [ -f "$ROOT/$f" ] && pass "META.json's provided file exists ($f)" || fail "META.json's provided file exists ($f)"

# ---- debian/
deb_version=$(sed -n '1s/^pgmig (\([^)]*\)).*/\1/p' "$ROOT/debian/changelog")
[ "${deb_version%-*}" = "$version" ] && pass "debian/changelog's upstream version is the extension's ($deb_version)" || fail "debian/changelog's upstream version is the extension's ($deb_version)"

# build from a copy of the checkout's files (tracked and new, not ignored)
src=$TMP/pgmig-$version
mkdir -p "$src"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src" 2>/dev/null) \
	|| (cd "$ROOT" && tar --exclude=.git --exclude='*.o' -cf - . | tar -xf - -C "$src")
log=$TMP/build.log
if (cd "$src" && pg_buildext updatecontrol && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b"
else
	fail "dpkg-buildpackage -us -uc -b" "$log"
fi
debs=("$TMP"/postgresql-*-pgmig_"$deb_version"_*.deb)
deb=""
for d in "${debs[@]}"; do case "$d" in *"postgresql-$PGV-pgmig_"*) deb=$d ;; esac; done
[ -n "$deb" ] && [ -f "$deb" ] && pass "postgresql-$PGV-pgmig_${deb_version} built" || fail "postgresql-$PGV-pgmig_${deb_version} built (have: ${debs[*]})"

if [ -n "$deb" ] && [ -f "$deb" ]; then
	root=$TMP/root
	dpkg -x "$deb" "$root"
	for p in usr/lib/postgresql/$PGV/lib/pgmig.so \
		usr/share/postgresql/$PGV/extension/pgmig.control \
		usr/share/postgresql/$PGV/extension/pgmig--0.1.sql \
		usr/share/postgresql/$PGV/extension/pgmig--0.3--0.4.sql \
		usr/lib/postgresql/$PGV/bin/pgmig \
		usr/share/postgresql/$PGV/man/man1/pgmig.1.gz; do
		[ -e "$root/$p" ] && pass ".deb has /$p" || fail ".deb has /$p"
	done
	if find "$root" -path '*/usr/local*' | grep -q .; then fail ".deb has nothing in /usr/local"; else pass ".deb has nothing in /usr/local"; fi
	[ -e "$root/usr/bin/pgmig" ] && fail "/usr/bin/pgmig is an alternative, not a file" || pass "/usr/bin/pgmig is an alternative, not a file"
	n_upd=$(ls "$ROOT"/sql/pgmig--*--*.sql 2>/dev/null | wc -l)
	n_deb=$(ls "$root/usr/share/postgresql/$PGV/extension/"pgmig--*--*.sql 2>/dev/null | wc -l)
	[ "$n_deb" -ge "$n_upd" ] && [ "$n_deb" -gt 0 ] && pass "every update script is packaged ($n_deb)" || fail "every update script is packaged ($n_deb of $n_upd)"
	ctl=$TMP/control
	dpkg-deb -e "$deb" "$ctl"
	grep -q "update-alternatives --install /usr/bin/pgmig pgmig" "$ctl/postinst" 2>/dev/null \
		&& grep -q "/usr/lib/postgresql/$PGV/bin/pgmig $PGV" "$ctl/postinst" \
		&& pass "postinst links /usr/bin/pgmig to the $PGV client" || fail "postinst links /usr/bin/pgmig to the $PGV client"
	grep -q "slave /usr/share/man/man1/pgmig.1.gz" "$ctl/postinst" 2>/dev/null && pass "postinst links pgmig(1)" || fail "postinst links pgmig(1)"
	grep -q "update-alternatives --remove pgmig" "$ctl/prerm" 2>/dev/null && pass "prerm removes the alternative" || fail "prerm removes the alternative"
	grep -q "^Depends:.*postgresql-$PGV" "$ctl/control" && pass "depends on postgresql-$PGV" || fail "depends on postgresql-$PGV"
	zcat "$root/usr/share/postgresql/$PGV/man/man1/pgmig.1.gz" >"$TMP/pgmig.1" 2>/dev/null
	grep -q '^\.TH PGMIG 1 .*pgmig '"$version" "$TMP/pgmig.1" && pass "packaged man page is pgmig(1) $version" || fail "packaged man page is pgmig(1) $version"

	# ---- smoke: a clean PostgreSQL copy with the .deb's files only
	pg=$TMP/pg
	bash "$ROOT/test/dev/pgcopy.sh" "$pg" >/dev/null 2>&1
	rm -f "$pg/usr/lib/postgresql/$PGV/lib/pgmig.so" "$pg/usr/lib/postgresql/$PGV/bin/pgmig" \
		"$pg/usr/share/postgresql/$PGV/extension/"pgmig*
	cp -a "$root/usr/lib/postgresql/$PGV/." "$pg/usr/lib/postgresql/$PGV/"
	cp -a "$root/usr/share/postgresql/$PGV/." "$pg/usr/share/postgresql/$PGV/"
	client=$pg/usr/lib/postgresql/$PGV/bin/pgmig
	[ "$("$client" -V 2>&1)" = "pgmig $version" ] && pass "packaged client: pgmig -V says $version" || fail "packaged client: pgmig -V says $version"
	cat >"$TMP/smoke.sh" <<'SMOKE'
set -u
psql -XAtq -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pgmig" -c "SELECT 'created ' || extversion FROM pg_extension WHERE extname = 'pgmig'" \
	-c "DROP EXTENSION pgmig" -c "CREATE EXTENSION pgmig VERSION '0.1'" -c "ALTER EXTENSION pgmig UPDATE" \
	-c "SELECT 'updated ' || extversion FROM pg_extension WHERE extname = 'pgmig'" -c "DROP EXTENSION pgmig"
w=$(mktemp -d); cd "$w"
"$CLIENT" -q init && mkdir -p migrations
printf -- '-- revision: r1\n-- down_revision:\n-- message: Create t\n\n-- migrate:up\nCREATE TABLE t (a int);\n\n-- migrate:down\nDROP TABLE t;\n' >migrations/r1_create_t.sql
"$CLIENT" -q upgrade && "$CLIENT" --csv current
SMOKE
	out=$TMP/smoke.out
	chmod -R a+rX "$TMP"
	PGMIG_PG_ROOT=$pg CLIENT=$client bash "$ROOT/test/with_cluster.sh" bash "$TMP/smoke.sh" >"$out" 2>&1
	grep -qx "created $version" "$out" && pass "CREATE EXTENSION pgmig in a clean cluster ($version)" || fail "CREATE EXTENSION pgmig in a clean cluster ($version)" "$out"
	grep -qx "updated $version" "$out" && pass "CREATE EXTENSION VERSION '0.1' + ALTER EXTENSION UPDATE reach $version" || fail "CREATE EXTENSION VERSION '0.1' + ALTER EXTENSION UPDATE reach $version" "$out"
	grep -q "^r1,Create t," "$out" && pass "packaged client: init, upgrade, current" || fail "packaged client: init, upgrade, current" "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
