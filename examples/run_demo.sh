#!/usr/bin/env bash
# The README's demo command: install what is needed, build and install pgmig,
# then run examples/demo.sh on a throwaway cluster (removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install_deps.sh
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
make -s PGMIG_CFLAGS=-Werror
$SUDO make -s install
exec pg_virtualenv -t bash examples/demo.sh
