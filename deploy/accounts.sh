#!/bin/bash
# Service accounts, the allowed group, and (with DEMO_USERS=1, the default here) demo users.
#   ucloud          the server's service account (runs sudo, owns the database)
#   ucloud-gw       the gateway's account (no sudo, no database, no Core credentials)
#   ucloud-sandbox  the sandbox Core (development and tests only)
#   ucloud-users    group of users who may get a user instance (sudoers names it)
#   alice, bob      demo users in ucloud-users; carol is a demo user who is NOT in it
#   demo-lab        the demo project's group (alice is in it, bob is not); dev-stack.sh maps it to a project
set -euo pipefail
LOG_TAG=accounts
. "$(dirname "$0")/lib/common.sh"
need_root
apt_install sudo
sysuser() { id -u "$1" >/dev/null 2>&1 || useradd --system --home-dir "$2" --no-create-home --shell /usr/sbin/nologin --user-group "$1"; }
sysuser ucloud /var/lib/ucloud-im
sysuser ucloud-gw /nonexistent
sysuser ucloud-sandbox /var/lib/ucloud-sandbox
getent group ucloud-users >/dev/null || groupadd ucloud-users
if [ "${DEMO_USERS:-1}" = 1 ]; then
  demo() { id -u "$1" >/dev/null 2>&1 || useradd --create-home --uid "$2" --shell /bin/bash "$1"; }
  demo alice 41231; demo bob 41232; demo carol 41233
  usermod -aG ucloud-users alice; usermod -aG ucloud-users bob
  getent group demo-lab >/dev/null || groupadd demo-lab
  usermod -aG demo-lab alice
fi
# The server's job monitor must see every user's jobs, which PrivateData hides: Slurm operator rights
# (read and manage jobs; no say over accounts or limits). Needs slurmdbd; on a real cluster run it once.
if command -v sacctmgr >/dev/null 2>&1 && sacctmgr -n -P list cluster >/dev/null 2>&1; then
  sacctmgr -n -P list user ucloud format=adminlevel 2>/dev/null | grep -qi operator \
    || sacctmgr -i add user ucloud account=root adminlevel=operator >/dev/null
fi
log "accounts: ucloud=$(id -u ucloud) ucloud-gw=$(id -u ucloud-gw) ucloud-users=$(getent group ucloud-users | cut -d: -f3)"
