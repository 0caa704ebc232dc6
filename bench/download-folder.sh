#!/bin/bash
# A folder (one 1 GiB file and 5 000 files of 2 KB) downloaded through the gateway as one tar archive (signed
# link; alice's instance writes the archive as alice while it is sent), beside GNU tar writing the same
# folder to a pipe as alice, in the same run. No target in the issues: the figure shows what a folder
# download costs against making the archive locally.
#   bash bench/download-folder.sh     (as root; starts the dev stack if needed; RUNS=5, and the median ratio)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
RUNS=${RUNS:-5}
apt_install curl tar python3
bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
DIR=/home/alice/bench-folder
if [ "$(stat -c %s "$DIR/1g.bin" 2>/dev/null)" != 1073741824 ] || [ "$(find "$DIR/small" -type f 2>/dev/null | wc -l)" != 5000 ]; then
  rm -rf "$DIR"; runuser -u alice -- mkdir -p "$DIR/small"
  runuser -u alice -- dd if=/dev/urandom of="$DIR/1g.bin" bs=1M count=1024 status=none
  (cd "$DIR/small" && seq -f 'f%05g' 1 5000 | runuser -u alice -- xargs sh -c 'for f; do head -c 2000 /dev/urandom > "$f"; done' sh)
fi
link=$(curl -s -X POST -H 'content-type: application/json' -d '{"path":"/home-alice/bench-folder"}' \
  http://127.0.0.1:8800/sandbox/users/alice/files/download | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["responses"][0]["endpoint"])')
# Seconds for the whole archive through the gateway; fails unless it is at least the folder's size.
gateway() { curl -s -o /dev/null -w '%{time_total} %{size_download}' "$link" | awk '{ if ($2 < 1073741824 + 5000 * 2000) exit 1; print $1 }'; }
local_tar() { local t0 t1; t0=$(date +%s%N); runuser -u alice -- tar -cf - -C /home/alice bench-folder | cat > /dev/null; t1=$(date +%s%N)
  awk -v a=$((t1 - t0)) 'BEGIN {printf "%.3f", a/1e9}'; }
gateway >/dev/null   # instance up, page cache warm for both
printf '%-5s %14s %14s %8s\n' run "gateway MiB/s" "tar MiB/s" ratio
size=$(du -sb "$DIR" | cut -f1)
ratios=()
for r in $(seq "$RUNS"); do
  if [ $((r % 2)) = 1 ]; then g=$(gateway); t=$(local_tar); else t=$(local_tar); g=$(gateway); fi
  ratio=$(awk -v a="$t" -v b="$g" 'BEGIN {printf "%.2f", a/b}')
  ratios+=("$ratio")
  printf '%-5s %14s %14s %7sx\n' "$r" "$(awk -v s="$size" -v t="$g" 'BEGIN {printf "%.0f", s/t/1048576}')" \
    "$(awk -v s="$size" -v t="$t" 'BEGIN {printf "%.0f", s/t/1048576}')" "$ratio"
done
printf 'median ratio %sx over %s runs\n' "$(printf '%s\n' "${ratios[@]}" | median)" "$RUNS"
