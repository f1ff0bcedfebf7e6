#!/usr/bin/env bash
# test/dev/pgcopy.sh DIR: a private, relocated copy of the installed
# PostgreSQL (binaries, share, headers) in DIR, so several checkouts can
# `make install` and test different builds of pgmig at the same time without
# touching the system's extension directory.  PostgreSQL finds its share and
# lib directories relative to its binaries, so a plain copy works.
#
#   bash test/dev/pgcopy.sh /opt/pg-mine
#   export PGMIG_PG_ROOT=/opt/pg-mine   # run_all.sh and with_cluster.sh use it
set -euo pipefail
dest=${1:?usage: pgcopy.sh DIR}
PGV=${PGV:-15}
if [ ! -x "$dest/usr/lib/postgresql/$PGV/bin/pg_config" ]; then
  mkdir -p "$dest/usr/lib/postgresql" "$dest/usr/share/postgresql" "$dest/usr/include"
  cp -a "/usr/lib/postgresql/$PGV" "$dest/usr/lib/postgresql/"
  cp -a "/usr/share/postgresql/$PGV" "$dest/usr/share/postgresql/"
  cp -a /usr/include/postgresql "$dest/usr/include/"
fi
echo "$dest/usr/lib/postgresql/$PGV/bin/pg_config"
