# Sourced by the benches that measure the gateway's interactive-application route against nginx:
#   bench_app_start          an application whose web interface is a small upstream on 127.0.0.1:$UP (a fixed
#                            web.port, as a provider would add one), then the dev stack restarted so the
#                            server reads it and the gateway starts fresh
#   bench_app_open           a real Slurm job of alice's running it; sets JOB, APP_HOST and COOKIE (the job's
#                            session, as the authorize link sets it in a browser)
#   bench_nginx NAME BODY    an nginx of its own (config, pid and log in $WORK), so its CPU time is its own
# Sourcing it makes WORK (a private directory, removed at exit) and cleans up at exit: stops the nginx instances
# and every process whose pid a bench wrote to $WORK/<name>.bg, cancels the job, removes the application.
# Needs ROOT, UP and common.sh; sets CONFIG, SANDBOX and TLS if unset.
CONFIG=${IM_CONFIG_DIR:-/etc/ucloud-im}
SANDBOX=http://127.0.0.1:${SANDBOX_PORT:-8800}
TLS=${TLS_PORT:-8443}
NGINX_CONNECTIONS=${NGINX_CONNECTIONS:-1024}

bench_app_start() {
  cat > "$CONFIG/applications/bench-upstream.yml" <<APP
name: bench-upstream
version: "1"
title: The benchmark's upstream
web: { port: $UP }
invocation: |
  sleep 1800
APP
  bash "$ROOT/deploy/dev-stack.sh" stop >/dev/null 2>&1 || true
  bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
  cp "$CONFIG/tls/fullchain.pem" "$WORK/cert.pem"; install -m 0600 "$CONFIG/tls/privkey.pem" "$WORK/key.pem"
}

bench_app_open() {
  JOB=$(curl -sf -X POST -H 'content-type: application/json' "$SANDBOX/sandbox/users/alice/jobs" \
    -d '{"application":"bench-upstream","version":"1","product":"standard-1","minutes":30,"parameters":{}}' \
    | json 'd["jobId"]')
  bench_app_running() { curl -sf "$SANDBOX/sandbox/users/alice/jobs" | json "[j['state'] for j in d if j['id']=='$JOB'][0]" | grep -qx RUNNING; }
  wait_for 60 "job $JOB to run" bench_app_running || die "alice's job $JOB did not start"
  local link
  link=$(curl -sf -X POST "$SANDBOX/sandbox/users/alice/jobs/$JOB/open" | json 'd["body"]["responses"][0]["session"]["redirectClientTo"]')
  APP_HOST=$(echo "$link" | sed -E 's#https://([^:/]+).*#\1#')
  COOKIE=$(curl -s --cacert "$CONFIG/tls/fullchain.pem" --resolve "$APP_HOST:$TLS:127.0.0.1" -D - -o /dev/null "$link" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
  [ -n "$COOKIE" ] || die "the authorize link gave no session cookie"
}

bench_nginx() {
  cat > "$WORK/$1.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile $((NGINX_CONNECTIONS * 2));
pid $WORK/$1.pid;
error_log $WORK/$1-error.log;
events { worker_connections $NGINX_CONNECTIONS; }
http {
  access_log off;
  $2
}
CONF
  nginx -c "$WORK/$1.conf"
}

# The pids of an nginx's workers (they do the work; the master only watches them).
bench_nginx_workers() { pgrep -P "$(cat "$WORK/$1.pid")" | xargs; }

bench_app_cleanup() {
  local n
  for n in "$WORK"/*.conf; do
    [ -e "$n" ] || continue
    n=$(basename "$n" .conf)
    [ -s "$WORK/$n.pid" ] && nginx -c "$WORK/$n.conf" -s stop 2>/dev/null || true
  done
  [ -n "${JOB:-}" ] && curl -s -X POST "$SANDBOX/sandbox/users/alice/jobs/$JOB/cancel" >/dev/null || true
  rm -f "$CONFIG/applications/bench-upstream.yml"
  bench_work_cleanup
}
. "$(dirname "${BASH_SOURCE[0]}")/work.sh"
trap bench_app_cleanup EXIT
