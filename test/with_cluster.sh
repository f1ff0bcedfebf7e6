#!/usr/bin/env bash
# test/with_cluster.sh CMD [ARG...]: run CMD against a throwaway cluster, with
# PGHOST/PGPORT/PGUSER/PGDATABASE set, and remove the cluster afterwards.
#
# By default the cluster comes from Debian's pg_virtualenv (the system's
# PostgreSQL and the pgmig installed into it).  With PGMIG_PG_ROOT set to a
# private copy made by test/dev/pgcopy.sh, the cluster runs that copy's
# binaries instead (initdb/pg_ctl as the postgres user when run as root).
# Exit status: CMD's.
set -uo pipefail
if [ -z "${PGMIG_PG_ROOT:-}" ]; then
  exec pg_virtualenv -t "$@"
fi
PGV=${PGV:-15}
bindir=$PGMIG_PG_ROOT/usr/lib/postgresql/$PGV/bin
data=$(mktemp -d /tmp/pgmig_cluster.XXXXXX)
chmod 755 "$data"
port=${PGMIG_PORT:-$((20000 + RANDOM % 20000))}
as_pg=(); [ "$(id -u)" -eq 0 ] && { chown postgres "$data"; as_pg=(runuser -u postgres --); }
"${as_pg[@]}" "$bindir/initdb" -D "$data/db" -U postgres -A trust >"$data/initdb.log" 2>&1 \
  || { cat "$data/initdb.log"; exit 1; }
"${as_pg[@]}" "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w \
  -o "-p $port -k $data -c listen_addresses='' -c max_prepared_transactions=20" start >/dev/null \
  || { cat "$data/server.log"; exit 1; }
PGHOST=$data PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
  PATH="$bindir:$PATH" PG_CONFIG="$bindir/pg_config" "$@"
rc=$?
"${as_pg[@]}" "$bindir/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1
rm -rf "$data"
exit $rc
