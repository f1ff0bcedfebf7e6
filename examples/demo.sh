#!/bin/sh
# demo.sh: the Flask-Migrate workflow of the seed, with pgmig.
#
# Needs a running server reachable through the usual libpq variables
# (PGHOST, PGPORT, PGDATABASE, PGUSER...) or DATABASE_URL, and pgmig on
# PATH (or PGMIG=/path/to/pgmig).  Runs against examples/migrations.
set -e
cd "$(dirname "$0")"
PGMIG=${PGMIG:-pgmig}
command -v "$PGMIG" >/dev/null 2>&1 || PGMIG="$(pg_config --bindir)/pgmig"

run() {
	echo
	echo "\$ pgmig $*"
	"$PGMIG" --dir migrations "$@"
}

run init
run load
run upgrade
run history
run current
run downgrade -1
run upgrade
run check
run status
