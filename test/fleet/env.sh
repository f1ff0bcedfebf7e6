# test/fleet/env.sh: sourced by test/fleet/run.sh and bench/fleet.sh, which
# run their own throwaway clusters.  Sets BIN (the PostgreSQL of
# PGMIG_PG_ROOT, a private copy made by test/dev/pgcopy.sh, else of
# `pg_config`) first on PATH; PGMIG (the client: $PGMIG, else BIN/pgmig,
# else the one built in src/client); TMP, a fresh folder
# /tmp/pgmig_fleet_$1.XXXXXX that the server's user can read; and as_pg, the
# command prefix that runs a server program as postgres when we are root.
if [ -n "${PGMIG_PG_ROOT:-}" ]; then
	BIN=$PGMIG_PG_ROOT/usr/lib/postgresql/${PGV:-15}/bin
else
	BIN=$(pg_config --bindir)
fi
export PATH=$BIN:$PATH
PGMIG=${PGMIG:-$BIN/pgmig}
[ -x "$PGMIG" ] || PGMIG=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/src/client/pgmig
TMP=$(mktemp -d "/tmp/pgmig_fleet_$1.XXXXXX")
chmod 755 "$TMP"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$TMP"
	as_pg=(runuser -u postgres --)
fi
