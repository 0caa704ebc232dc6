#!/bin/bash
# Many WebSockets held open through the gateway's interactive-application route (TLS, a job's session cookie,
# a real Slurm job's endpoint), each echoing a small message every second, beside the same through nginx
# (Debian's package) as a TLS WebSocket proxy to the same upstream, in the same run. Prints, for each proxy:
# sockets opened, failures, messages echoed, p99, the memory each open WebSocket costs (RSS growth / sockets),
# the RSS growth over the hold (flat memory is near zero), CPU time per message, and the RSS, threads and
# descriptors before, while open and after the close (all must come back).
# No target in the issues; peers-lessons.md suggests "1000 concurrent WebSockets through the gateway for 24 h
# with flat memory" (JupyterHub's proxy grew to 1.5 GB and stopped answering). A run is minutes, not a day.
#   bash bench/websockets-soak.sh     (as root; restarts the dev stack; COUNT=1000 HOLD=300 INTERVAL=1)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
# /usr/bin/python3: the websockets module is Debian's package, not in another python3 on the PATH.
apt_install nginx-light curl python3 python3-websockets procps
COUNT=${COUNT:-1000}; HOLD=${HOLD:-300}; INTERVAL=${INTERVAL:-1}
UP=${UPSTREAM_PORT:-8892}; NGP=${NGINX_PROXY_PORT:-8893}
# Each proxied WebSocket is two connections; a worker must be allowed both for every socket.
NGINX_CONNECTIONS=$(( COUNT * 2 + 64 ))
. "$ROOT/bench/lib/app-route.sh"
bench_app_start
/usr/bin/python3 "$ROOT/bench/lib/ws-soak.py" echo "$UP" >"$WORK/echo.log" 2>&1 &
echo $! > "$WORK/echo.bg"
wait_for 10 "the echo upstream" bash -c "exec 3<>/dev/tcp/127.0.0.1/$UP"
bench_nginx proxy "server {
    listen 127.0.0.1:$NGP ssl;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    location / {
      proxy_pass http://127.0.0.1:$UP; proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection upgrade;
      proxy_read_timeout 1h;
    }
  }"
bench_app_open
GATEWAY_PID=$(pgrep -u ucloud-gw -f "ucloud-im-gateway --config-dir $CONFIG\$" | head -1)
[ -n "$GATEWAY_PID" ] || die "cannot find the gateway"
echo "$COUNT WebSockets per path, held ${HOLD}s, one echoed message per socket every ${INTERVAL}s:"
/usr/bin/python3 "$ROOT/bench/lib/ws-soak.py" soak --count "$COUNT" --hold "$HOLD" --interval "$INTERVAL" --cafile "$WORK/cert.pem" \
  "nginx -> echo (wss)" "wss://127.0.0.1:$NGP/" "127.0.0.1:$NGP" "$(bench_nginx_workers proxy)" - \
  "gateway app route -> echo (wss)" "wss://$APP_HOST:$TLS/" "127.0.0.1:$TLS" "$GATEWAY_PID" "Cookie: $COOKIE"
