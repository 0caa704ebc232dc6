#!/bin/bash
# Requests per second and p99 latency with wrk, each beside a baseline from the same run (issue 5):
#   1. a small upstream (nginx answering "hello") alone, through nginx as a TLS reverse proxy, and through
#      the gateway's interactive-application route (TLS, session cookie, a real Slurm job's endpoint).
#      Target: gateway >= 1.0x nginx.
#      Beside them, the gateway answering by itself with nothing forwarded (its 404): the most this
#      listener, TLS and pipeline can do on the machine, the ceiling any forwarding stays under.
#   2. a small download from alice's user instance through the gateway's HTTPS (direct) and through the
#      relay and the proxy-mode tunnel. Target: tunnel >= 0.5x direct.
#   Beside each: the CPU time per request of the process that does that row's work (the upstream's and the
#   proxy's nginx workers are separate instances for that), so a ratio can be read as cost, not only speed.
#   bash bench/gateway-wrk.sh      (as root; restarts the dev stack; DURATION=10s WARMUP=30s CONNECTIONS=32)
# Each path gets the same warm-up before it is measured: 30 s, because .NET's tiered JIT (with PGO) takes
# about that long to settle under load on 2 busy cores. With 3 s the freshly started gateway measured
# 0.24-0.34x nginx. On one day, runs taken in turns: 15 s gave 0.33-0.36x (236-249 us/req), 30 s 0.44-0.52x
# (159-166 us/req). After 10 s of load perf still found the JIT's background thread in a quarter of the
# gateway's samples; the number of compiled methods stops growing at about 30 s. nginx needs none, but gets
# the same. The figures are the long-running service's.
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
apt_install nginx-light wrk curl python3 procps
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
UP=${UPSTREAM_PORT:-8892}; NGP=${NGINX_PROXY_PORT:-8893}; TUNNEL_GW_PORT=${TUNNEL_GATEWAY_PORT:-8894}
. "$ROOT/bench/lib/app-route.sh"
bench_app_start
# The upstream and the proxying nginx are separate nginx instances, so that each one's CPU time is its own.
bench_nginx upstream "server { listen 127.0.0.1:$UP; location / { return 200 \"hello\\n\"; } }"
bench_nginx proxy "upstream small { server 127.0.0.1:$UP; keepalive 64; }
  server {
    listen 127.0.0.1:$NGP ssl http2;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    location / { proxy_pass http://small; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
wait_for 10 nginx curl -sf "http://127.0.0.1:$UP/"

# A real job of alice's whose "web interface" is the small upstream.
bench_app_open
curl -sf --cacert "$CONFIG/tls/fullchain.pem" --resolve "$APP_HOST:$TLS:127.0.0.1" -H "Cookie: $COOKIE" "https://$APP_HOST:$TLS/" | grep -qx hello \
  || die "the app route does not reach the upstream"

# A tiny file of alice's and its download link; and a second gateway, in proxy mode, dialling the sandbox's relay.
install -o alice -g alice -m 0644 /dev/null /home/alice/hello.txt; echo hello > /home/alice/hello.txt
DL=$(curl -sf -X POST -H 'content-type: application/json' -d '{"path":"/home-alice/hello.txt"}' "$SANDBOX/sandbox/users/alice/files/download" \
  | json 'd["body"]["responses"][0]["endpoint"]' | sed -E 's#^https?://[^/]+##')
GWC="$WORK/gw-config"; install -d -m 0755 "$GWC"
cp "$CONFIG/ucloud_key.pub" "$GWC/"
install -o ucloud-gw -g ucloud-gw -m 0600 /var/lib/ucloud-sandbox/relay-token "$GWC/relay-token"
python3 - "$CONFIG/config.yml" "$GWC/config.yml" "$TUNNEL_GW_PORT" "${SANDBOX_PORT:-8800}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"\n  tls: .*", "", text)
text = re.sub(r"\n  apps: .*", "", text)
text = re.sub(r"  listen: \{[^}]*\}", "  listen: { address: 127.0.0.1, port: %s }\n  mode: proxy\n  proxy: { relay: \"ws://127.0.0.1:%s/relay/tunnel\" }" % (sys.argv[3], sys.argv[4]), text)
open(sys.argv[2], "w").write(text)
PY
chmod 0644 "$GWC/config.yml"
setsid setpriv --reuid=ucloud-gw --regid=ucloud-gw --init-groups -- /opt/ucloud-im/gateway/ucloud-im-gateway --config-dir "$GWC" >"$WORK/gw.log" 2>&1 </dev/null &
echo $! > "$WORK/gw.bg"
wait_for 30 "the tunnel" curl -sf "$SANDBOX$DL" || { cat "$WORK/gw.log" >&2; die "no answer through the tunnel"; }
curl -sf --cacert "$CONFIG/tls/fullchain.pem" "https://127.0.0.1:$TLS$DL" >/dev/null || die "no answer from the gateway's HTTPS"

# wrk's summary: requests/s, the 99th percentile in ms, non-2xx answers, and the CPU time (user + system) the
# processes given in $1 spent per request while it ran, in microseconds; after a warm-up run (the .NET
# processes JIT and tier up in their first seconds; nginx needs none, but gets the same).
HZ=$(getconf CLK_TCK)
measure() {
  local pids=$1 t0; shift
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-30s}" "$@" >/dev/null 2>&1 || true
  # shellcheck disable=SC2086
  t0=$(cpu_ticks $pids)
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$WORK/wrk.out" 2>&1 || true
  # shellcheck disable=SC2086
  awk -v ticks=$(( $(cpu_ticks $pids) - t0 )) -v hz="$HZ" '
    /requests in/ {n=$1}
    /Requests\/sec/ {rps=$2}
    $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    /Non-2xx/ {bad=$NF}
    END {printf "%.0f %.2f %d %.0f\n", rps, p99, bad, n ? ticks / hz * 1e6 / n : 0}' "$WORK/wrk.out"
}
row() { printf '%-44s %10s %10s %8s %12s\n' "$1" "$2" "$3" "$4" "$5"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}'; }
UPSTREAM_PIDS=$(bench_nginx_workers upstream)
PROXY_PIDS=$(bench_nginx_workers proxy)
GATEWAY_PID=$(pgrep -u ucloud-gw -f "ucloud-im-gateway --config-dir $CONFIG\$" | head -1)
[ -n "$UPSTREAM_PIDS" ] && [ -n "$PROXY_PIDS" ] && [ -n "$GATEWAY_PID" ] || die "cannot find the nginx workers or the gateway"
echo "CPU us/req: the CPU time per request of the process doing the work of that row (nginx's workers, the"
echo "gateway), user + system; it is where the machine's two cores go, next to wrk's own share."
row "path" "req/s" "p99 ms" "ratio" "CPU us/req"
read -r up_rps up_p99 up_bad up_cpu < <(measure "$UPSTREAM_PIDS" "http://127.0.0.1:$UP/")
row "upstream alone (http)" "$up_rps" "$up_p99" "1.00x" "$up_cpu"
read -r ng_rps ng_p99 ng_bad ng_cpu < <(measure "$PROXY_PIDS" "https://127.0.0.1:$NGP/")
row "nginx -> upstream (https)" "$ng_rps" "$ng_p99" "$(ratio "$ng_rps" "$up_rps")" "$ng_cpu"
read -r gw_rps gw_p99 gw_bad gw_cpu < <(measure "$GATEWAY_PID" -H "Host: $APP_HOST" -H "Cookie: $COOKIE" "https://127.0.0.1:$TLS/")
row "gateway app route -> upstream (https)" "$gw_rps" "$gw_p99" "$(ratio "$gw_rps" "$up_rps")" "$gw_cpu"
row "  gateway / nginx (target >= 1.0x)" "" "" "$(ratio "$gw_rps" "$ng_rps")" "$(ratio "$gw_cpu" "$ng_cpu")"
# The gateway's ceiling here: the same listener, TLS and request pipeline answering by itself (its 404 for a path
# no route takes), with nothing forwarded. Kestrel and TLS alone cost this much; forwarding can only add to it.
read -r own_rps own_p99 _ own_cpu < <(measure "$GATEWAY_PID" "https://127.0.0.1:$TLS/no-route-takes-this")
row "gateway answering itself, 404 (https)" "$own_rps" "$own_p99" "$(ratio "$own_rps" "$up_rps")" "$own_cpu"
row "  its ceiling / nginx" "" "" "$(ratio "$own_rps" "$ng_rps")" "$(ratio "$own_cpu" "$ng_cpu")"
read -r d_rps d_p99 d_bad d_cpu < <(measure "$GATEWAY_PID" "https://127.0.0.1:$TLS$DL")
row "download via gateway https (direct)" "$d_rps" "$d_p99" "1.00x" "$d_cpu"
read -r t_rps t_p99 t_bad t_cpu < <(measure "$(cat "$WORK/gw.bg")" "$SANDBOX$DL")
row "download via relay + tunnel (proxy)" "$t_rps" "$t_p99" "$(ratio "$t_rps" "$d_rps")" "$t_cpu"
row "  tunnel / direct (target >= 0.5x)" "" "" "$(ratio "$t_rps" "$d_rps")" ""
bad=$(( ${up_bad:-0} + ${ng_bad:-0} + ${gw_bad:-0} + ${d_bad:-0} + ${t_bad:-0} ))
[ "$bad" -eq 0 ] || echo "warning: $bad responses were not 2xx; the figures above count them" >&2
