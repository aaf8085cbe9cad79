#!/usr/bin/env bash
# Makes sure the machine has what the test suite talks to, beyond npm packages:
#  - Debian's python3-socketio (+ python3-websocket) for the seed-compatibility test, run
#    with /usr/bin/python3;
#  - a PostgreSQL server on 127.0.0.1:5432 (trust auth, database `test`) for the storage suite;
#  - Debian's chromium for the browser tests (driven by playwright-core; never a downloaded
#    browser).
# Idempotent and quiet when everything is already there.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2
    return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! /usr/bin/python3 -c 'import socketio, websocket' 2>/dev/null; then
  echo "installing Debian python3-socketio and python3-websocket"
  apt_install python3 python3-socketio python3-websocket
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian chromium"
  apt_install chromium
fi
# The Chinese pages need a CJK font, or screenshots show empty boxes.
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  echo "installing Debian fonts-noto-cjk"
  apt_install fonts-noto-cjk
fi

if [ "${WSSPACES_TEST_DIALECTS:-sqlite,postgres}" != sqlite ]; then
  if ! command -v pg_isready >/dev/null || ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "installing PostgreSQL"
      apt_install postgresql
    fi
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -h 127.0.0.1 -p 5432
  fi
  # The suite connects as `postgres` to database `test` (trust auth on this kind of machine).
  if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -Atc 'create database test'" >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null || {
      echo "cannot reach PostgreSQL as postgres@127.0.0.1/test; set WSSPACES_TEST_POSTGRES_URL or WSSPACES_TEST_DIALECTS=sqlite" >&2
      exit 1
    }
  fi
fi
