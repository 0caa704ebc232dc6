# Sourced by the benches that measure a path at a time (each a fresh dev stack) with the end-user's upload:
#   bench_stack direct [PUBLIC_URL [more gateway.tls keys]]   the dev stack restarted in direct mode, Core and
#                                                             browsers reaching it at PUBLIC_URL (default: plain HTTP)
#   bench_stack proxy RELAY_URL [more gateway.proxy keys]     ... in proxy mode, its tunnel dialled to RELAY_URL
#   bench_upload SRC TARGET [upload options]                  alice uploads SRC to the UCloud path TARGET with the
#                                                             sandbox's WEBSOCKET_V2 client (REPLACE); prints its report
#                                                             line, and stops the bench unless the file was sent; with
#                                                             BENCH_CPU_FILE set, the client's CPU seconds go there
#   cpu_timed FILE CMD...                                     runs CMD; time(1) writes its CPU seconds (user, system) to FILE
#   cpu_of FILE                                               those seconds, summed
# Needs ROOT and common.sh.
# shellcheck shell=bash
bench_stack() {
  bash "$ROOT/deploy/dev-stack.sh" stop >/dev/null 2>&1 || true
  case $1 in
    direct) PUBLIC_URL=${2:-} TLS_SETTINGS=${3:-} bash "$ROOT/deploy/dev-stack.sh" start >/dev/null ;;
    proxy) NETWORK_MODE=proxy RELAY_URL=$2 PROXY_SETTINGS=${3:-} bash "$ROOT/deploy/dev-stack.sh" start >/dev/null ;;
    *) die "bench_stack: direct or proxy, not '$1'" ;;
  esac
}

cpu_timed() { local file=$1; shift; /usr/bin/time -f '%U %S' -o "$file" "$@"; }
cpu_of() { awk '{printf "%.2f", $1 + $2}' "$1"; }

bench_upload() {
  local src=$1 target=$2 out; shift 2
  out=$(${BENCH_CPU_FILE:+cpu_timed "$BENCH_CPU_FILE"} /opt/ucloud-im/sandbox/ucloud-sandbox upload alice "$src" "$target" --conflict REPLACE "$@") || die "upload failed: $out"
  grep -q '1 sent' <<<"$out" || die "the upload sent nothing: $out"
  echo "$out"
}
