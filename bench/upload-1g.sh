#!/bin/bash
# A 1 GiB file uploaded through the gateway (WEBSOCKET_V2 from the sandbox's client, written by alice's
# user instance) beside `cp` of the same file on the same disk, in the same run; and the instance's RSS
# growth while it receives, and the CPU seconds the gateway and the instance spent on each upload.
# Three paths, each with its own rows (the dev stack is restarted between them):
#   plain   the gateway's plain HTTP/1.1 listener on loopback: the path with the least work, no TLS
#   https   the gateway's HTTPS, the WebSockets over HTTP/2 as Chrome and Firefox open them in direct mode
#           (the sandbox's client does the same): the path browsers take, so the one users get
#   https1  the gateway's HTTPS, the WebSockets over HTTP/1.1 as Safari and scripts open them (--http1)
# Targets (issue 3): >= 0.6x cp, RSS growth <= 64 MiB.
#   bash bench/upload-1g.sh     (as root; RUNS=5 per path and the median ratio; PATHS="plain https https1")
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
apt_install procps   # pgrep
RUNS=${RUNS:-5}
PATHS=${PATHS:-plain https https1}
CONFIG=${IM_CONFIG_DIR:-/etc/ucloud-im}
TLS=${TLS_PORT:-8443}
. "$ROOT/bench/lib/stack.sh"
DIR=/home/alice/bench-up
SRC=/home/alice/bench-up-src.bin
install -d -o alice -g alice -m 0770 "$DIR"
if [ "$(stat -c %s "$SRC" 2>/dev/null)" != 1073741824 ]; then
  runuser -u alice -- dd if=/dev/urandom of="$SRC" bs=1M count=1024 status=none
fi
cat "$SRC" > /dev/null   # page cache warm for both
settle() { sync; echo 1 > /proc/sys/vm/drop_caches; cat "$SRC" > /dev/null; }
# Seconds until the command returned, and until its data was on the disk (sync included).
secs() { local t0 t1 t2; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); sync; t2=$(date +%s%N)
  awk -v a=$((t1 - t0)) -v b=$((t2 - t0)) 'BEGIN {printf "%.3f %.3f", a/1e9, b/1e9}'; }
mibs() { awk -v s="$1" 'BEGIN {printf "%.0f", 1024/s}'; }
upload() {
  local out
  out=$(bench_upload "$SRC" /home-alice/bench-up/up.bin ${CA:+--provider-ca "$CA"} ${HTTP1:+--http1})
  over=$(grep -o 'over HTTP/[0-9.]*' <<<"$out" || echo "over ?")
}
# The instance's RSS (VmRSS, VmHWM) in MiB, and one upload timed with the CPU seconds (user + system) the gateway
# and the instance spent on it: where the time goes.
rss() { awk -v k="$1:" '$1 == k {print int($2/1024)}' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)
timed_upload() {
  local g0 i0
  g0=$(cpu_ticks "$gw"); i0=$(cpu_ticks "$pid")
  read -r u ud <<<"$(secs upload)"
  cpu_gw=$(awk -v a="$g0" -v b="$(cpu_ticks "$gw")" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')
  cpu_inst=$(awk -v a="$i0" -v b="$(cpu_ticks "$pid")" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')
}
stack_for() {
  CA=$CONFIG/tls/fullchain.pem HTTP1=
  case $1 in
    plain) CA=; bench_stack direct ;;
    https) bench_stack direct "https://127.0.0.1:$TLS" ;;
    https1) HTTP1=1; bench_stack direct "https://127.0.0.1:$TLS" ;;
    *) die "PATHS names plain, https and https1, not '$1'" ;;
  esac
}
bench_path() {
  stack_for "$1"
  rm -f "$DIR/up.bin"   # a copy left by an interrupted run would be skipped (same size and mtime), not sent
  upload   # the instance is up
  pid=$(pgrep -u alice -f '^/opt/ucloud-im/bin/ucloud-im-user' | head -1)
  gw=$(pgrep -u ucloud-gw -f '^/opt/ucloud-im/gateway/ucloud-im-gateway' | head -1)
  base=$(rss VmRSS)
  # Two figures per run: in the page cache (timed until the writer returns, where cp is a memory copy) and
  # on the disk (timed until sync returns, which is when either file is safe).
  printf '%-5s %13s %9s %7s   %13s %9s %7s   %-12s %s\n' run "upload MiB/s" "cp MiB/s" ratio "upload disk" "cp disk" ratio "CPU s gw/inst" "instance peak RSS MiB"
  cache=(); disk=()
  for r in $(seq "$RUNS"); do
    rm -f "$DIR/cp.bin" "$DIR/up.bin"
    # Each timed write starts from the same state: nothing dirty, the page cache emptied and the source read
    # back into it. Without that, whichever went second met the first one's gigabyte being written back and
    # reclaimed, and ran at a fifth of its speed (cp from 330 to 2626 MiB/s). The order alternates too.
    if [ $((r % 2)) = 1 ]; then settle; timed_upload; settle; read -r c cd <<<"$(secs runuser -u alice -- cp "$SRC" "$DIR/cp.bin")"
    else settle; read -r c cd <<<"$(secs runuser -u alice -- cp "$SRC" "$DIR/cp.bin")"; settle; timed_upload; fi
    cmp -s "$SRC" "$DIR/up.bin" || die "the uploaded file differs from its source"
    rc=$(awk -v a="$c" -v b="$u" 'BEGIN {printf "%.2f", a/b}'); rd=$(awk -v a="$cd" -v b="$ud" 'BEGIN {printf "%.2f", a/b}')
    cache+=("$rc"); disk+=("$rd")
    printf '%-5s %13s %9s %6sx   %13s %9s %6sx   %-12s %s\n' "$r" "$(mibs "$u")" "$(mibs "$c")" "$rc" "$(mibs "$ud")" "$(mibs "$cd")" "$rd" "$cpu_gw/$cpu_inst" \
      "$(rss VmHWM) (at rest $base, growth $(( $(rss VmHWM) - base )))"
  done
  printf '%s, %s: median ratio over %s runs (target >= 0.6x): page cache %sx, on disk %sx\n\n' "$1" "$over" "$RUNS" \
    "$(printf '%s\n' "${cache[@]}" | median)" "$(printf '%s\n' "${disk[@]}" | median)"
}
for p in $PATHS; do echo "== $p"; bench_path "$p"; done
rm -f "$DIR/cp.bin" "$DIR/up.bin"
stack_for plain   # left as a plain start finds it
