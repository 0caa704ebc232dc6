#!/bin/bash
# A 1 GiB file uploaded through the gateway (WEBSOCKET_V2 from the sandbox's client, written by alice's
# user instance) beside `cp` of the same file on the same disk, in the same run; and the instance's RSS
# growth while it receives. Targets (issue 3): >= 0.6x cp, RSS growth <= 64 MiB.
#   bash bench/upload-1g.sh     (as root; starts the dev stack if needed; RUNS=3)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
RUNS=${RUNS:-3}
SANDBOX=/opt/ucloud-im/sandbox/ucloud-sandbox
bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
DIR=/home/alice/bench-up
SRC=/home/alice/bench-up-src.bin
install -d -o alice -g alice -m 0770 "$DIR"
if [ "$(stat -c %s "$SRC" 2>/dev/null)" != 1073741824 ]; then
  runuser -u alice -- dd if=/dev/urandom of="$SRC" bs=1M count=1024 status=none
fi
cat "$SRC" > /dev/null   # page cache warm for both
secs() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN {printf "%.3f", d/1e9}'; }
upload() { "$SANDBOX" upload alice "$SRC" /home-alice/bench-up/up.bin --conflict REPLACE | grep -q '1 sent'; }
upload   # the instance is up
pid=$(pgrep -u alice -f '^/opt/ucloud-im/bin/ucloud-im-user' | head -1)
rss() { awk -v k="$1:" '$1 == k {print int($2/1024)}' "/proc/$pid/status"; }
base=$(rss VmRSS)
printf '%-5s %12s %12s %8s %22s\n' run "upload MiB/s" "cp MiB/s" ratio "instance peak RSS MiB"
for r in $(seq "$RUNS"); do
  rm -f "$DIR/cp.bin" "$DIR/up.bin"; sync
  u=$(secs upload)
  c=$(secs runuser -u alice -- cp "$SRC" "$DIR/cp.bin")
  sync
  cmp -s "$SRC" "$DIR/up.bin" || die "the uploaded file differs from its source"
  printf '%-5s %12.0f %12.0f %8s %22s\n' "$r" "$(awk -v s="$u" 'BEGIN {print 1024/s}')" "$(awk -v s="$c" 'BEGIN {print 1024/s}')" \
    "$(awk -v a="$c" -v b="$u" 'BEGIN {printf "%.2fx", a/b}')" "$(rss VmHWM) (at rest $base, growth $(( $(rss VmHWM) - base )))"
done
rm -f "$DIR/cp.bin" "$DIR/up.bin"
