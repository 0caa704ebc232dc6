#!/bin/bash
# Proxy mode over a wide-area link: a file uploaded and downloaded through the relay and the tunnel when the
# tunnel's round trip is RTT_MS (a delaying forwarder between the gateway and the relay, bench/lib/delay-proxy.py,
# since this machine's kernel has no netem), beside the same through a tunnel on loopback, in the same run.
# Rows: the tunnel on loopback (the baseline), the tunnel over the link with HTTP/2's usual windows (Kestrel's
# 768 KiB per stream and 1 MiB in all, what the gateway had before gateway.proxy.streamWindow), and the tunnel
# over the link with the gateway's defaults. Target (issue 5's "tunnel >= 0.5x direct", here over distance):
# the link costs a file no more than half its speed.
#   bash bench/tunnel-wan.sh    (as root; RTT_MS=20 SIZE_MIB=512 RUNS=2; leaves the dev stack in direct mode)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
apt_install curl python3 procps
RTT_MS=${RTT_MS:-20}
SIZE_MIB=${SIZE_MIB:-512}
RUNS=${RUNS:-2}
SANDBOX_PORT=${SANDBOX_PORT:-8800}
LINK_PORT=${LINK_PORT:-8801}
SANDBOX=/opt/ucloud-im/sandbox/ucloud-sandbox
SRC=/home/alice/bench-wan-src.bin
DIR=/home/alice/bench-wan
WORK=$(mktemp -d /tmp/bench-wan.XXXXXX)
LINK_PID=
cleanup() {
  [ -n "$LINK_PID" ] && kill "$LINK_PID" 2>/dev/null
  rm -rf "$WORK" "$DIR"
  bash "$ROOT/deploy/dev-stack.sh" stop >/dev/null 2>&1 || true
  bash "$ROOT/deploy/dev-stack.sh" start >/dev/null 2>&1 || echo "could not start the dev stack again in direct mode" >&2
}
trap cleanup EXIT

/usr/bin/python3 "$ROOT/bench/lib/delay-proxy.py" --listen "127.0.0.1:$LINK_PORT" --to "127.0.0.1:$SANDBOX_PORT" \
  --delay-ms "$(awk -v r="$RTT_MS" 'BEGIN {print r / 2}')" 2>"$WORK/link.log" &
LINK_PID=$!
install -d -o alice -g alice -m 0770 "$DIR"
if [ "$(stat -c %s "$SRC" 2>/dev/null)" != $((SIZE_MIB << 20)) ]; then
  runuser -u alice -- dd if=/dev/urandom of="$SRC" bs=1M count="$SIZE_MIB" status=none
fi

# stack <relay URL> [more gateway.proxy keys]: the dev stack in proxy mode, its gateway dialling that relay.
stack() {
  bash "$ROOT/deploy/dev-stack.sh" stop >/dev/null
  NETWORK_MODE=proxy RELAY_URL=$1 PROXY_SETTINGS=${2:-} bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
}
# MiB/s of an upload, as the sandbox's WEBSOCKET_V2 client reports it (its own start-up left out), and of the
# download of the uploaded file with curl; both through the relay, so through the tunnel.
up() {
  local out
  rm -f "$DIR/up.bin"
  out=$("$SANDBOX" upload alice "$SRC" /home-alice/bench-wan/up.bin --conflict REPLACE) || die "upload failed: $out"
  grep -q '1 sent' <<<"$out" || die "the upload sent nothing: $out"
  sed -nE 's/.*\(([0-9.]+) MiB\/s\).*/\1/p' <<<"$out"
}
down() {
  local link
  link=$(curl -sf -X POST -H 'content-type: application/json' -d '{"path":"/home-alice/bench-wan/up.bin"}' \
    "http://127.0.0.1:$SANDBOX_PORT/sandbox/users/alice/files/download" | json 'd["body"]["responses"][0]["endpoint"]')
  curl -sf -o /dev/null -w '%{speed_download}' "$link" | awk '{printf "%.1f", $1 / 1048576}'
}
row() {
  local name=$1 u=() d=()
  for _ in $(seq "$RUNS"); do
    u+=("$(up)")
    cmp -s "$SRC" "$DIR/up.bin" || die "the uploaded file differs from its source"
    d+=("$(down)")
  done
  upload=$(printf '%s\n' "${u[@]}" | median | xargs printf '%.0f'); download=$(printf '%s\n' "${d[@]}" | median | xargs printf '%.0f')
  printf '%-44s %10s %12s' "$name" "$upload" "$download"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }

printf 'a %s MiB file, median of %s runs; the link: %s ms round trip, no bandwidth limit\n' "$SIZE_MIB" "$RUNS" "$RTT_MS"
printf '%-44s %10s %12s %10s %10s\n' "tunnel" "up MiB/s" "down MiB/s" "up ratio" "down ratio"
stack "ws://127.0.0.1:$SANDBOX_PORT/relay/tunnel"
row "on loopback (baseline)"; echo; base_up=$upload; base_down=$download
stack "ws://127.0.0.1:$LINK_PORT/relay/tunnel" "streamWindow: 768KiB, connectionWindow: 1MiB"
row "over the link, HTTP/2's usual 768KiB/1MiB"
printf ' %10s %10s\n' "$(ratio "$upload" "$base_up")" "$(ratio "$download" "$base_down")"
stack "ws://127.0.0.1:$LINK_PORT/relay/tunnel"
row "over the link, the gateway's defaults"
printf ' %10s %10s\n' "$(ratio "$upload" "$base_up")" "$(ratio "$download" "$base_down")"
