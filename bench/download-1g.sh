#!/bin/bash
# A 1 GiB file downloaded through the gateway (signed link, user instance streaming as alice) beside nginx
# (Debian's package) serving the same file from the same disk, in the same run. Target (issue 3): >= 0.8x nginx.
#   bash bench/download-1g.sh     (as root; starts the dev stack if needed; RUNS=7, and the median ratio)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
RUNS=${RUNS:-7}
PORT=${NGINX_PORT:-8891}
apt_install nginx-light curl python3
bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
DIR=/home/alice/bench-dl
FILE=$DIR/1g.bin
if [ "$(stat -c %s "$FILE" 2>/dev/null)" != 1073741824 ]; then
  install -d -o alice -g alice -m 0755 "$DIR"
  runuser -u alice -- dd if=/dev/urandom of="$FILE" bs=1M count=1024 status=none
  chmod 0644 "$FILE"
fi
chmod o+x /home/alice
# nginx as a plain process on loopback, with its own config and pid file.
NG=$(mktemp -d)
cat > "$NG/nginx.conf" <<CONF
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$PORT; root $DIR; }
}
CONF
nginx -c "$NG/nginx.conf"
trap 'nginx -c "$NG/nginx.conf" -s stop; rm -rf "$NG"' EXIT
wait_for 10 nginx curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$PORT/1g.bin"
link=$(curl -s -X POST -H 'content-type: application/json' -d '{"path":"/home-alice/bench-dl/1g.bin"}' \
  http://127.0.0.1:8800/sandbox/users/alice/files/download | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["responses"][0]["endpoint"])')
speed() { curl -s -o /dev/null -w '%{speed_download} %{size_download}' "$1" | awk '{ if ($2 != 1073741824) exit 1; printf "%.0f", $1/1048576 }'; }
speed "$link" >/dev/null   # instance up, page cache warm for both
printf '%-5s %16s %14s %8s\n' run "gateway MiB/s" "nginx MiB/s" ratio
ratios=()
for r in $(seq "$RUNS"); do
  # Alternating which goes first, so that neither always meets a page cache or CPU the other just left.
  if [ $((r % 2)) = 1 ]; then g=$(speed "$link"); n=$(speed "http://127.0.0.1:$PORT/1g.bin")
  else n=$(speed "http://127.0.0.1:$PORT/1g.bin"); g=$(speed "$link"); fi
  ratio=$(awk -v a="$g" -v b="$n" 'BEGIN {printf "%.2f", a/b}')
  ratios+=("$ratio")
  printf '%-5s %16s %14s %7sx\n' "$r" "$g" "$n" "$ratio"
done
printf 'median ratio %sx over %s runs (target >= 0.8x)\n' "$(printf '%s\n' "${ratios[@]}" | median)" "$RUNS"
