#!/bin/bash
# Uploads and downloads over a wide-area link, in both networking modes: a file sent and fetched as an end-user
# when RTT_MS of round trip lies between the browser and the gateway (direct mode: HTTPS, where the sandbox's
# client, like Chrome and Firefox, opens its upload sockets as HTTP/2 streams) or between the gateway and the
# relay (proxy mode: the tunnel), beside the same on loopback, in the same run. The link is a delaying forwarder
# (bench/lib/delay-proxy.py; this kernel has no netem) that limits no bandwidth and buffers without bound, so TCP's
# own windows never bind: what is lost is the HTTP/2 flow-control windows' doing.
# Rows per mode: on loopback (the baseline), over the link with HTTP/2's usual windows (Kestrel's 768 KiB per
# stream and 1 MiB per connection, the gateway's before gateway.tls/proxy.streamWindow), and over the link with
# the gateway's defaults. Target (issue 5's "tunnel >= 0.5x direct", here over distance): the link costs a file
# no more than half its speed.
#   bash bench/wan-link.sh    (as root; RTT_MS=20 SIZE_MIB=512 RUNS=2; leaves the dev stack in direct mode)
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
TLS_PORT=${TLS_PORT:-8443}
RELAY_LINK=${RELAY_LINK_PORT:-8801}    # the link in front of the relay's tunnel endpoint (proxy mode)
HTTPS_LINK=${HTTPS_LINK_PORT:-8802}    # the link in front of the gateway's HTTPS (direct mode)
CA=${IM_CONFIG_DIR:-/etc/ucloud-im}/tls/fullchain.pem
SRC=/home/alice/bench-wan-src.bin
DIR=/home/alice/bench-wan
. "$ROOT/bench/lib/work.sh"
. "$ROOT/bench/lib/stack.sh"
cleanup() {
  bench_work_cleanup
  rm -rf "$DIR"
  bench_stack direct 2>/dev/null || echo "could not start the dev stack again in direct mode" >&2
}
trap cleanup EXIT

half=$(awk -v r="$RTT_MS" 'BEGIN {print r / 2}')
/usr/bin/python3 "$ROOT/bench/lib/delay-proxy.py" --listen "127.0.0.1:$RELAY_LINK" --to "127.0.0.1:$SANDBOX_PORT" --delay-ms "$half" 2>"$WORK/relay-link.log" &
echo $! > "$WORK/relay-link.bg"
/usr/bin/python3 "$ROOT/bench/lib/delay-proxy.py" --listen "127.0.0.1:$HTTPS_LINK" --to "127.0.0.1:$TLS_PORT" --delay-ms "$half" 2>"$WORK/https-link.log" &
echo $! > "$WORK/https-link.bg"
install -d -o alice -g alice -m 0770 "$DIR"
if [ "$(stat -c %s "$SRC" 2>/dev/null)" != $((SIZE_MIB << 20)) ]; then
  runuser -u alice -- dd if=/dev/urandom of="$SRC" bs=1M count="$SIZE_MIB" status=none
fi

# MiB/s of an upload, as the sandbox's WEBSOCKET_V2 client reports it (its own start-up left out), and of the
# download of the uploaded file with curl, both by the provider's public URL (so through the link, if any).
up() {
  local out
  rm -f "$DIR/up.bin"
  out=$(bench_upload "$SRC" /home-alice/bench-wan/up.bin --provider-ca "$CA")
  sed -nE 's/.*\(([0-9.]+) MiB\/s\).*/\1/p' <<<"$out"
}
down() {
  local link
  link=$(curl -sf -X POST -H 'content-type: application/json' -d '{"path":"/home-alice/bench-wan/up.bin"}' \
    "http://127.0.0.1:$SANDBOX_PORT/sandbox/users/alice/files/download" | json 'd["body"]["responses"][0]["endpoint"]')
  curl -sf --cacert "$CA" -o /dev/null -w '%{speed_download}' "$link" | awk '{printf "%.1f", $1 / 1048576}'
}
row() {
  local name=$1 u=() d=()
  for _ in $(seq "$RUNS"); do
    u+=("$(up)")
    cmp -s "$SRC" "$DIR/up.bin" || die "the uploaded file differs from its source"
    d+=("$(down)")
  done
  upload=$(printf '%s\n' "${u[@]}" | median | xargs printf '%.0f'); download=$(printf '%s\n' "${d[@]}" | median | xargs printf '%.0f')
  printf '%-52s %10s %12s' "$name" "$upload" "$download"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
compared() { printf ' %10s %10s\n' "$(ratio "$upload" "$base_up")" "$(ratio "$download" "$base_down")"; }
USUAL="streamWindow: 768KiB, connectionWindow: 1MiB"

printf 'a %s MiB file, median of %s runs; the link: %s ms round trip, no bandwidth limit\n' "$SIZE_MIB" "$RUNS" "$RTT_MS"
printf '%-52s %10s %12s %10s %10s\n' "" "up MiB/s" "down MiB/s" "up ratio" "down ratio"
bench_stack direct "https://127.0.0.1:$TLS_PORT"
row "direct, HTTPS on loopback (baseline)"; echo; base_up=$upload; base_down=$download
bench_stack direct "https://127.0.0.1:$HTTPS_LINK" "$USUAL"
row "direct over the link, HTTP/2's usual 768KiB/1MiB"; compared
bench_stack direct "https://127.0.0.1:$HTTPS_LINK"
row "direct over the link, the gateway's defaults"; compared
bench_stack proxy "ws://127.0.0.1:$SANDBOX_PORT/relay/tunnel"
row "proxy, tunnel on loopback (baseline)"; echo; base_up=$upload; base_down=$download
bench_stack proxy "ws://127.0.0.1:$RELAY_LINK/relay/tunnel" "$USUAL"
row "proxy, tunnel over the link, HTTP/2's usual windows"; compared
bench_stack proxy "ws://127.0.0.1:$RELAY_LINK/relay/tunnel"
row "proxy, tunnel over the link, the gateway's defaults"; compared
