#!/usr/bin/env bash
# Install what building and testing pgmig needs, from Debian's packages only.
# Safe to run again: it installs only what is missing.
set -euo pipefail
PGV=${PGV:-15}
pkgs=(build-essential clang libclang-rt-dev postgresql-$PGV postgresql-server-dev-$PGV
      postgresql-client-$PGV postgresql-common libpq-dev libipc-run-perl
      python3-alembic python3-psycopg2 graphviz fonts-liberation2
      python3-sqlalchemy python3-flask-sqlalchemy python3-flask-migrate
      debhelper dpkg-dev fakeroot postgresql-server-dev-all)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
