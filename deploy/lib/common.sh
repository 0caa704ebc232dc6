# Shared helpers for the deploy scripts. Sourced, never run.
# shellcheck shell=bash
export DEBIAN_FRONTEND=noninteractive
_t0=$(date +%s%N)
log() { printf '[%s +%sms] %s\n' "${LOG_TAG:-deploy}" $(( ($(date +%s%N) - _t0) / 1000000 )) "$*"; }
die() { printf '[%s] error: %s\n' "${LOG_TAG:-deploy}" "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run this as root"; }

# wait_for <seconds> <description> <command...>: poll until the command succeeds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for $what" >&2; return 1; }
    sleep 0.1
  done
}
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile <name> <pidfile>: TERM, wait up to 10 s, then KILL. Never pkill.
stop_pidfile() {
  local f=$2 p
  [ -s "$f" ] || return 0
  p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { log "$1 ($p) did not stop, sending KILL"; kill -KILL "$p" 2>/dev/null || true; }
    log "stopped $1 (pid $p)"
  fi
  rm -f "$f"
}

# apt_install <pkg...>: install only what is missing; keep maintainer scripts from starting daemons.
apt_install() {
  local missing="" p own_policy=0
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  [ -n "$missing" ] || return 0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  log "apt-get install:$missing"
  # Lists go stale on a reused machine: refresh them whenever something must be installed.
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# cpu_ticks <pid...>: user + system CPU time the processes have used, in clock ticks (getconf CLK_TCK per
# second). Fields are counted after the ")" that ends the command name, which may itself hold spaces.
cpu_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo "$t"
}

# json <expression>: a value of the JSON document on stdin, as the Python expression over d that picks it (benchmarks).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The median of the numbers on stdin, one per line (benchmarks).
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
