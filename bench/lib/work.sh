# Sourced by benches: WORK, a private directory, and bench_work_cleanup, which stops every process whose pid a
# bench wrote to $WORK/<name>.bg and removes WORK. A bench's own exit trap ends with it.
# shellcheck shell=bash
WORK=$(mktemp -d /tmp/bench.XXXXXX); chmod 0711 "$WORK"
bench_work_cleanup() {
  local f
  for f in "$WORK"/*.bg; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$WORK"
}
