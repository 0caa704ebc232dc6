#!/bin/bash
# Run the whole system on this machine: sandbox Core, server and gateway, each as its own account, with
# a development configuration, demo users mapped and their home drives known to the sandbox, and the demo
# project "demo-lab" mapped to the group demo-lab (from accounts.sh) with its drive in /srv/ucloud-projects.
#   dev-stack.sh start | stop | status
#   IM_CONFIG_DIR (default /etc/ucloud-im), PROVIDER_ID (default dev),
#   GATEWAY_PORT (8889), SANDBOX_PORT (8800), TLS_PORT (8443), REDIRECT_PORT (8880), IDLE_TIMEOUT (30m),
#   NETWORK_MODE (direct), RELAY_URL (ws://127.0.0.1:$SANDBOX_PORT/relay/tunnel), PROXY_SETTINGS (more
#   gateway.proxy keys, e.g. 'streamWindow: 16MiB'), TLS_SETTINGS (more gateway.tls keys), PUBLIC_URL (where Core
#   and browsers reach the provider: http://127.0.0.1:$GATEWAY_PORT, or the relay's in proxy mode; a bench may
#   put a forwarder in front, e.g. https://127.0.0.1:9000 to the HTTPS port)
# Direct mode: a self-signed certificate (tls/ in the config dir; apps on *.apps.localhost), and the sandbox is
# also the relay (a gateway with gateway.mode: proxy can dial it). NETWORK_MODE=proxy: the gateway dials the
# sandbox's relay at RELAY_URL and listens on loopback only; Core's calls and end-users' traffic go through it.
set -euo pipefail
LOG_TAG=dev-stack
. "$(dirname "$0")/lib/common.sh"
need_root
PREFIX=${PREFIX:-/opt/ucloud-im}
CONFIG=${IM_CONFIG_DIR:-/etc/ucloud-im}
PROVIDER=${PROVIDER_ID:-dev}
GATEWAY_PORT=${GATEWAY_PORT:-8889}
SANDBOX_PORT=${SANDBOX_PORT:-8800}
TLS_PORT=${TLS_PORT:-8443}
REDIRECT_PORT=${REDIRECT_PORT:-8880}
NETWORK_MODE=${NETWORK_MODE:-direct}
RELAY_URL=${RELAY_URL:-ws://127.0.0.1:$SANDBOX_PORT/relay/tunnel}
case "$NETWORK_MODE" in direct|proxy) ;; *) die "NETWORK_MODE is direct or proxy, not '$NETWORK_MODE'" ;; esac
DEMO_USERS_WITH_JOBS="alice bob"
STATE=/var/lib/ucloud-sandbox
RUN=/run/ucloud-im-dev
LOGS=/var/log/ucloud-im
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }
# start_daemon <name> <user> <cmd...>: detached, output to $LOGS/<name>.log, pid in $RUN/<name>.pid
start_daemon() {
  local name=$1 user=$2; shift 2
  alive "$RUN/$name.pid" && { log "$name already running"; return 0; }
  setsid setpriv --reuid="$user" --regid="$user" --init-groups -- "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! > "$RUN/$name.pid"
}

# A self-signed certificate for localhost, 127.0.0.1 and *.apps.localhost, kept once made; the key is the gateway's alone.
dev_certificate() {
  install -d -m 0755 "$CONFIG/tls"
  [ -s "$CONFIG/tls/fullchain.pem" ] && [ -s "$CONFIG/tls/privkey.pem" ] && return 0
  apt_install openssl
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=ucloud-im development" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:*.apps.localhost" \
    -keyout "$CONFIG/tls/privkey.pem" -out "$CONFIG/tls/fullchain.pem" 2>/dev/null
  chown ucloud-gw:ucloud-gw "$CONFIG/tls/privkey.pem" "$CONFIG/tls/fullchain.pem"
  chmod 0600 "$CONFIG/tls/privkey.pem"; chmod 0644 "$CONFIG/tls/fullchain.pem"
}

start() {
  install -d -m 0755 "$RUN"; install -d -o ucloud -g ucloud -m 0750 "$LOGS"; install -d -o ucloud -g ucloud -m 0755 /run/ucloud-im
  install -d -m 0755 "$CONFIG"
  # This machine is the SSH login that jobs started with SSH name, when an sshd answers here (doctor checks it).
  local ssh="installKeys: true"
  if (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null; then ssh="$ssh, host: localhost"; fi
  # Where Core and browsers reach the provider: the gateway, or (proxy mode) the relay, which sends it down the tunnel.
  local public=http://127.0.0.1:$GATEWAY_PORT edge="  tls: { address: 127.0.0.1, port: $TLS_PORT, redirectAddress: 127.0.0.1, redirectPort: $REDIRECT_PORT${TLS_SETTINGS:+, $TLS_SETTINGS} }
  apps: { domain: apps.localhost }"
  if [ "$NETWORK_MODE" = proxy ]; then
    public=http://127.0.0.1:$SANDBOX_PORT
    edge="  mode: proxy
  proxy: { relay: \"$RELAY_URL\"${PROXY_SETTINGS:+, $PROXY_SETTINGS} }"
  fi
  public=${PUBLIC_URL:-$public}
  [[ $public =~ ^(https?)://([0-9.]+|[A-Za-z0-9.-]+):([0-9]+)$ ]] || die "PUBLIC_URL is scheme://host:port, not '$public'"
  local public_scheme=${BASH_REMATCH[1]} public_host=${BASH_REMATCH[2]} public_port=${BASH_REMATCH[3]} public_ca=
  # Core trusts the gateway's self-signed certificate when it calls the provider over HTTPS.
  [ "$public_scheme" = https ] && public_ca=$CONFIG/tls/fullchain.pem
  cat > "$CONFIG/config.yml" <<CONF
# Development configuration written by deploy/dev-stack.sh; docs/configuration.md explains every key.
provider:
  id: $PROVIDER
  hosts:
    ucloud: { address: 127.0.0.1, port: $SANDBOX_PORT, scheme: http }
    self: { address: $public_host, port: $public_port, scheme: $public_scheme }
  ipc:
    directory: /run/ucloud-im
  logs:
    directory: $LOGS
gateway:
  listen: { address: 127.0.0.1, port: $GATEWAY_PORT }
  user: ucloud-gw
$edge
userInstances:
  executable: $PREFIX/bin/ucloud-im-user
  allowedGroup: ucloud-users
  idleTimeout: ${IDLE_TIMEOUT:-30m}
services:
  type: Slurm
  ssh: { $ssh }
  slurm:
    monitorInterval: 2s
    machines:
      standard:
        partition: debug
        description: The development node
        products:
          standard-1: { cpu: 1, memoryInGigs: 1 }
          standard-2: { cpu: 2, memoryInGigs: 2 }
  fileSystems:
    home:
      driveLocators:
        home: { entity: User, pattern: "/home/#{localUsername}", title: Home, freeQuota: 100 }
        project: { entity: Project, pattern: "/srv/ucloud-projects/#{localGroupName}", title: Project files }
CONF
  chmod 0644 "$CONFIG/config.yml"
  dev_certificate
  install -d -m 0755 "$CONFIG/applications"
  # The example applications (the same files a real installation starts from).
  install -m 0644 "$(dirname "$0")"/config-example/applications/*.yml "$CONFIG/applications/"
  # The demo users need a Slurm association to submit (AccountingStorageEnforce=associations).
  if command -v sacctmgr >/dev/null && sacctmgr -n -P list cluster >/dev/null 2>&1; then
    sacctmgr -n -P list account research | grep -q . || sacctmgr -i add account research description=demo organization=demo >/dev/null
    for u in $DEMO_USERS_WITH_JOBS; do
      id "$u" >/dev/null 2>&1 && { sacctmgr -n -P list assoc user="$u" account=research | grep -q . || sacctmgr -i add user "$u" account=research >/dev/null; }
    done
  fi
  install -d -o ucloud-sandbox -g ucloud-sandbox -m 0700 "$STATE"
  "$PREFIX/sandbox/ucloud-sandbox" --state-dir "$STATE" init --provider-id "$PROVIDER" --im-config-dir "$CONFIG" >/dev/null
  chown -R ucloud-sandbox:ucloud-sandbox "$STATE"
  umask 077
  printf 'refreshToken: %s\n' "$(cat "$STATE/refresh-token")" > "$CONFIG/server.yml.new"
  umask 022
  chown ucloud:ucloud "$CONFIG/server.yml.new"; chmod 0600 "$CONFIG/server.yml.new"; mv "$CONFIG/server.yml.new" "$CONFIG/server.yml"
  # The gateway's proof to the relay that it is this provider (gateway.proxy.tokenFile), readable by it alone.
  install -o ucloud-gw -g ucloud-gw -m 0600 "$STATE/relay-token" "$CONFIG/relay-token"

  start_daemon sandbox ucloud-sandbox "$PREFIX/sandbox/ucloud-sandbox" --state-dir "$STATE" serve \
    --listen "127.0.0.1:$SANDBOX_PORT" --provider-url "$public" --relay \
    ${public_ca:+--provider-ca "$public_ca"}
  start_daemon server ucloud "$PREFIX/server/ucloud-im-server" --config-dir "$CONFIG"
  wait_for 60 "server socket" curl -sf --unix-socket /run/ucloud-im/server.sock http://server/health \
    || { tail -20 "$LOGS/server.log" >&2; die "the server did not start (log: $LOGS/server.log)"; }
  start_daemon gateway ucloud-gw "$PREFIX/gateway/ucloud-im-gateway" --config-dir "$CONFIG"
  wait_for 60 gateway curl -s -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/" \
    || { tail -20 "$LOGS/gateway.log" >&2; die "the gateway did not start (log: $LOGS/gateway.log)"; }
  wait_for 60 sandbox curl -s -o /dev/null "http://127.0.0.1:$SANDBOX_PORT/sandbox/calls" \
    || { tail -20 "$LOGS/sandbox.log" >&2; die "the sandbox did not start (log: $LOGS/sandbox.log)"; }
  for u in ${DEMO_MAP:-alice bob}; do
    if ! "$PREFIX/cli/ucloud-im" --config-dir "$CONFIG" users ls | grep -q " $u "; then
      "$PREFIX/cli/ucloud-im" --config-dir "$CONFIG" users add --ucloud-name "$u" --local-name "$u" >/dev/null
    fi
    as ucloud-sandbox "$PREFIX/sandbox/ucloud-sandbox" --state-dir "$STATE" drive add "home-$u" "/home/$u" --owner "$u"
  done
  demo_project
  if [ "$NETWORK_MODE" = proxy ]; then
    wait_for 60 "the tunnel" sh -c "curl -sf http://127.0.0.1:$SANDBOX_PORT/sandbox/relay | grep -q '\"live\":[1-9]'" \
      || { tail -20 "$LOGS/gateway.log" >&2; die "the gateway did not reach the relay at $RELAY_URL (log: $LOGS/gateway.log)"; }
    log "up (proxy mode): sandbox and relay http://127.0.0.1:$SANDBOX_PORT, the gateway's tunnel from $RELAY_URL, its loopback listener http://127.0.0.1:$GATEWAY_PORT, logs in $LOGS"
  else
    log "up: sandbox http://127.0.0.1:$SANDBOX_PORT (also the relay), gateway http://127.0.0.1:$GATEWAY_PORT and https://127.0.0.1:$TLS_PORT (certificate $CONFIG/tls/fullchain.pem), logs in $LOGS"
  fi
}

# The demo project: UCloud project demo-lab is the Unix group demo-lab. Its drive is a folder of that group
# (setgid, closed to others), its jobs are charged to the Slurm account demo-lab; docs/operations.md, "Projects".
demo_project() {
  getent group demo-lab >/dev/null || return 0
  install -d -m 0755 /srv/ucloud-projects
  install -d -g demo-lab -m 2770 /srv/ucloud-projects/demo-lab
  if command -v sacctmgr >/dev/null && sacctmgr -n -P list cluster >/dev/null 2>&1; then
    sacctmgr -n -P list account demo-lab | grep -q . || sacctmgr -i add account demo-lab description="demo project" organization=demo >/dev/null
    for u in $(getent group demo-lab | cut -d: -f4 | tr ',' ' '); do
      sacctmgr -n -P list assoc user="$u" account=demo-lab | grep -q . || sacctmgr -i add user "$u" account=demo-lab >/dev/null
    done
  fi
  "$PREFIX/cli/ucloud-im" --config-dir "$CONFIG" projects ls | grep -q " demo-lab " \
    || "$PREFIX/cli/ucloud-im" --config-dir "$CONFIG" projects add --ucloud-id demo-lab --local-group demo-lab --title "Demo lab" >/dev/null
}

stop() {
  stop_pidfile gateway "$RUN/gateway.pid"
  stop_pidfile server "$RUN/server.pid"
  stop_pidfile sandbox "$RUN/sandbox.pid"
}

status() {
  for n in sandbox server gateway; do
    if alive "$RUN/$n.pid"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: dev-stack.sh start|stop|status" ;;
esac
