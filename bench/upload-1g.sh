#!/bin/bash
# A 1 GiB file uploaded through the gateway (WEBSOCKET_V2 from the sandbox's client, written by alice's
# user instance) beside `cp` of the same file on the same disk, in the same run; and the instance's RSS
# growth while it receives, the CPU seconds the client, the gateway and the instance spent on each upload,
# and how busy the whole machine was meanwhile (all its cores, the kernel's writeback included). The client
# stands in for the end-user's browser, which in real use runs on another machine: here it shares the cores.
# Five paths, each with its own rows (the dev stack is restarted for each of the first three):
#   plain   the gateway's plain HTTP/1.1 listener on loopback: the path with the least work, no TLS
#   https   the gateway's HTTPS, the WebSockets over HTTP/2 as Chrome and Firefox open them in direct mode
#           (the sandbox's client does the same): the path browsers take, so the one users get
#   https1  the gateway's HTTPS, the WebSockets over HTTP/1.1 as Safari and scripts open them (--http1)
#   socat64k, socat1m   no UCloud at all: three socat processes (sender, forwarder, writer as alice) move the same
#           bytes over the same kinds of socket as client, gateway and instance do (loopback TCP, then a unix
#           socket, then the file), 64 KiB or 1 MiB at a time: what three plain processes can do on this
#           machine, and what the size of each piece costs. The gateway forwards an upgraded connection 64 KiB
#           at a time (YARP's copier has a fixed buffer), and so does the socat64k forwarder.
# Targets (issue 3): >= 0.6x cp, RSS growth <= 64 MiB.
#   bash bench/upload-1g.sh     (as root; RUNS=5 per path and the median ratio; PATHS="plain https https1 socat64k socat1m")
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
apt_install procps socat time   # pgrep; socat for its reference rows; /usr/bin/time for CPU seconds
RUNS=${RUNS:-5}
PATHS=${PATHS:-plain https https1 socat64k socat1m}
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
# The machine's busy and total ticks over all its cores (/proc/stat: busy is all but idle and iowait).
machine() { awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6}' /proc/stat; }
# Seconds until the command returned, and until its data was on the disk (sync included); and how busy the
# machine's cores were until it returned.
secs() { local t0 t1 t2 b0 n0 b1 n1; read -r b0 n0 <<<"$(machine)"; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
  read -r b1 n1 <<<"$(machine)"; sync; t2=$(date +%s%N)
  awk -v a=$((t1 - t0)) -v b=$((t2 - t0)) -v busy=$((b1 - b0)) -v all=$((n1 - n0)) 'BEGIN {printf "%.3f %.3f %.0f%%", a/1e9, b/1e9, 100*busy/all}'; }
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
peak() { [ "$timed" = timed_upload ] && echo "$(rss VmHWM) (at rest $base, growth $(( $(rss VmHWM) - base )))" || echo -; }
CLIENT_CPU=$DIR/.client.time
timed_upload() {
  local g0 i0
  g0=$(cpu_ticks "$gw"); i0=$(cpu_ticks "$pid")
  read -r u ud busy <<<"$(BENCH_CPU_FILE=$CLIENT_CPU secs upload)"
  cpu_client=$(cpu_of "$CLIENT_CPU")
  cpu_gw=$(awk -v a="$g0" -v b="$(cpu_ticks "$gw")" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')
  cpu_inst=$(awk -v a="$i0" -v b="$(cpu_ticks "$pid")" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')
}
# The socat rows: the writer and the forwarder listen before the clock starts; timed, the sender's run and the
# writer's end. Their CPU seconds are the sender's (in the client's column), the forwarder's (the gateway's) and
# the writer's (the instance's).
FLOOR_SOCK=$DIR/.floor.sock FLOOR_PORT=${FLOOR_PORT:-8897}
floor_listen() {
  rm -f "$FLOOR_SOCK" "$DIR/up.bin"
  cpu_timed "$DIR/.floor-writer.time" \
    runuser -u alice -- socat -b "$FLOOR_PIECE" -u UNIX-LISTEN:"$FLOOR_SOCK",mode=0600 OPEN:"$DIR/up.bin",creat,trunc &
  cpu_timed "$DIR/.floor-forwarder.time" \
    socat -b "$FLOOR_PIECE" -u TCP-LISTEN:"$FLOOR_PORT",bind=127.0.0.1,reuseaddr UNIX-CONNECT:"$FLOOR_SOCK" &
  local hexport; hexport=$(printf '%04X' "$FLOOR_PORT")
  wait_for 10 "the socat writer" test -S "$FLOOR_SOCK" || die "socat did not listen on $FLOOR_SOCK"
  wait_for 10 "the socat forwarder" grep -q ":$hexport 00000000:0000 0A" /proc/net/tcp || die "socat did not listen on $FLOOR_PORT"
}
floor_send() {
  cpu_timed "$DIR/.floor-sender.time" \
    runuser -u alice -- socat -b "$FLOOR_PIECE" -u OPEN:"$SRC" TCP:127.0.0.1:"$FLOOR_PORT"
  # time(1) writes its file once the writer has closed the file and exited (secs runs this in a subshell,
  # which cannot wait for its parent's children).
  until [ -s "$DIR/.floor-writer.time" ]; do sleep 0.01; done
}
timed_floor() {
  floor_listen
  read -r u ud busy <<<"$(secs floor_send)"
  wait   # the forwarder, and the time files written
  cpu_client=$(cpu_of "$DIR/.floor-sender.time")
  cpu_gw=$(cpu_of "$DIR/.floor-forwarder.time"); cpu_inst=$(cpu_of "$DIR/.floor-writer.time")
  rm -f "$FLOOR_SOCK" "$DIR"/.floor-*.time
}
stack_for() {
  CA=$CONFIG/tls/fullchain.pem HTTP1= timed=timed_upload
  case $1 in
    socat64k) timed=timed_floor FLOOR_PIECE=65536 over="socat, 64 KiB pieces" ;;
    socat1m) timed=timed_floor FLOOR_PIECE=1048576 over="socat, 1 MiB pieces" ;;
    plain) CA=; bench_stack direct ;;
    https) bench_stack direct "https://127.0.0.1:$TLS" ;;
    https1) HTTP1=1; bench_stack direct "https://127.0.0.1:$TLS" ;;
    *) die "PATHS names plain, https, https1, socat64k and socat1m, not '$1'" ;;
  esac
}
bench_path() {
  stack_for "$1"
  if [ "$timed" = timed_upload ]; then
    rm -f "$DIR/up.bin"   # a copy left by an interrupted run would be skipped (same size and mtime), not sent
    upload   # the instance is up
    pid=$(pgrep -u alice -f '^/opt/ucloud-im/bin/ucloud-im-user' | head -1)
    gw=$(pgrep -u ucloud-gw -f '^/opt/ucloud-im/gateway/ucloud-im-gateway' | head -1)
    base=$(rss VmRSS)
  fi
  # Two figures per run: in the page cache (timed until the writer returns, where cp is a memory copy) and
  # on the disk (timed until sync returns, which is when either file is safe).
  printf '%-5s %13s %9s %7s   %13s %9s %7s   %-19s %-5s %s\n' run "upload MiB/s" "cp MiB/s" ratio "upload disk" "cp disk" ratio "CPU s client/gw/inst" "busy" "instance peak RSS MiB"
  cache=(); disk=()
  for r in $(seq "$RUNS"); do
    rm -f "$DIR/cp.bin" "$DIR/up.bin"
    # Each timed write starts from the same state: nothing dirty, the page cache emptied and the source read
    # back into it. Without that, whichever went second met the first one's gigabyte being written back and
    # reclaimed, and ran at a fifth of its speed (cp from 330 to 2626 MiB/s). The order alternates too.
    if [ $((r % 2)) = 1 ]; then settle; $timed; settle; read -r c cd _ <<<"$(secs runuser -u alice -- cp "$SRC" "$DIR/cp.bin")"
    else settle; read -r c cd _ <<<"$(secs runuser -u alice -- cp "$SRC" "$DIR/cp.bin")"; settle; $timed; fi
    cmp -s "$SRC" "$DIR/up.bin" || die "the uploaded file differs from its source"
    rc=$(awk -v a="$c" -v b="$u" 'BEGIN {printf "%.2f", a/b}'); rd=$(awk -v a="$cd" -v b="$ud" 'BEGIN {printf "%.2f", a/b}')
    cache+=("$rc"); disk+=("$rd")
    printf '%-5s %13s %9s %6sx   %13s %9s %6sx   %-19s %-5s %s\n' "$r" "$(mibs "$u")" "$(mibs "$c")" "$rc" "$(mibs "$ud")" "$(mibs "$cd")" "$rd" "$cpu_client/$cpu_gw/$cpu_inst" "$busy" "$(peak)"
  done
  printf '%s, %s: median ratio over %s runs (%s): page cache %sx, on disk %sx\n\n' "$1" "$over" "$RUNS" \
    "$([ "$timed" = timed_upload ] && echo "target >= 0.6x" || echo "a reference: no UCloud in it")" \
    "$(printf '%s\n' "${cache[@]}" | median)" "$(printf '%s\n' "${disk[@]}" | median)"
}
for p in $PATHS; do echo "== $p"; bench_path "$p"; done
rm -f "$DIR/cp.bin" "$DIR/up.bin" "$CLIENT_CPU"
stack_for plain   # left as a plain start finds it
