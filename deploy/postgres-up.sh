#!/bin/bash
# Debian's PostgreSQL for the repository tests (the module itself uses SQLite unless server.yml has a
# database section). Prints the connection string on stdout. Idempotent.
set -euo pipefail
LOG_TAG=postgres-up
. "$(dirname "$0")/lib/common.sh"
need_root

# Only the connection string may reach stdout: whatever the tools print (pg_ctlcluster says
# "removed stale pid file." after an unclean stop) goes to stderr. No extra descriptor is opened,
# so the postgres daemon cannot inherit (and hold open) the caller's $(...) pipe.
up() {
apt_install postgresql
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
[ -d "/etc/postgresql/$ver/main" ] || pg_createcluster "$ver" main >/dev/null
pg_ctlcluster "$ver" main status >/dev/null 2>&1 || pg_ctlcluster "$ver" main start
wait_for 30 postgres runuser -u postgres -- psql -qAtc 'select 1'
PASS_FILE=/var/lib/postgresql/.ucim-test-pass
[ -s $PASS_FILE ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' > $PASS_FILE; chown postgres $PASS_FILE; chmod 600 $PASS_FILE; }
PASS=$(cat $PASS_FILE)
runuser -u postgres -- psql -qAt -c "do \$\$ begin if not exists (select from pg_roles where rolname='ucim_test') then create role ucim_test login; end if; end \$\$;" >/dev/null
runuser -u postgres -- psql -qAt -c "alter role ucim_test password '$PASS'" >/dev/null
runuser -u postgres -- psql -qAtc "select 1 from pg_database where datname='ucim_test'" | grep -q 1 \
  || runuser -u postgres -- psql -qAt -c "create database ucim_test owner ucim_test" >/dev/null
log "postgres $ver up"
}
up >&2
echo "Host=127.0.0.1;Port=5432;Username=ucim_test;Password=$PASS;Database=ucim_test"
