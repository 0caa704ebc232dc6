#!/bin/bash
# First request for a user whose instance is not running, through the gateway with the spawn included,
# for the Native AOT user instance and for the framework-dependent (JIT) build, each beside
# `sudo -n -u alice /bin/true` measured in the same run; and the idle RSS of one user instance.
# Targets (issue 2): p95 <= 150 ms, idle RSS <= 25 MiB.
#   N=30 bash bench/instance-startup.sh      (as root; starts the dev stack if needed)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
apt_install procps   # pgrep
N=${N:-30}
PREFIX=/opt/ucloud-im
EXE=$PREFIX/bin/ucloud-im-user
GW=http://127.0.0.1:${GATEWAY_PORT:-8889}
bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
TOKEN=$(ucloud-sandbox --state-dir /var/lib/ucloud-sandbox token)
B64=$(printf alice | base64)
BODY='{"resolvedCollection":{"id":"home-alice","providerGeneratedId":"dev-alice\n/home/alice"},"browse":{"flags":{"path":"/home-alice"}}}'

ms_now() { date +%s%N; }
pct() { # pct <p> < numbers: nearest-rank percentile
  sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((p/100)*NR+0.999999); if(i<1)i=1; printf "%.1f", a[i]}'
}
browse() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST -H "Authorization: Bearer $TOKEN" \
  -H "UCloud-Username: $B64" -H 'content-type: application/json' --data-binary "$BODY" "$GW/ucloud/dev/files/browse"; }
instance_pid() { pgrep -u alice -f "$1" | head -1; }

cold() { # cold <label> <process pattern>: N first requests, each after stopping the instance
  local f; f=$(mktemp)
  for _ in $(seq "$N"); do
    ucloud-im instances stop --ucloud-name alice >/dev/null 2>&1 || true
    read -r code t < <(browse)
    [ "$code" = 200 ] || die "first request answered $code"
    awk -v t="$t" 'BEGIN {printf "%.3f\n", t*1000}' >> "$f"
  done
  local warm; warm=$(for _ in $(seq "$N"); do browse; done | awk '{printf "%.3f\n", $2*1000}' | pct 50)
  sleep 3
  local pid rss; pid=$(instance_pid "$2"); rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  local p50 p95; p50=$(pct 50 <"$f"); p95=$(pct 95 <"$f")
  printf '%-28s p50 %7s ms   p95 %7s ms   (p95 = %s x sudo p95)   warm p50 %6s ms   idle RSS %6s MiB\n' \
    "$1" "$p50" "$p95" "$(awk -v a="$p95" -v b="$BASE_P95" 'BEGIN {printf "%.1f", a/b}')" "$warm" "$rss"
  rm -f "$f"
}
sudo_baseline() {
  local f; f=$(mktemp)
  for _ in $(seq "$N"); do s=$(ms_now); sudo -n -u alice /bin/true; e=$(ms_now); awk -v d=$((e - s)) 'BEGIN {printf "%.3f\n", d/1e6}' >> "$f"; done
  BASE_P95=$(pct 95 <"$f")
  printf '%-28s p50 %7s ms   p95 %7s ms\n' "baseline: sudo -u alice true" "$(pct 50 <"$f")" "$BASE_P95"
  rm -f "$f"
}

echo "first request through the gateway for a user with no running instance (spawn via sudo included), N=$N"
sudo_baseline
cold "native AOT user instance" ucloud-im-user

# The same with the framework-dependent build: published beside, swapped in for the run, always restored.
JIT=$PREFIX/bench-user-jit
dotnet publish "$ROOT/src/UserInstance/UserInstance.csproj" -c Release -p:UserInstanceAot=false --self-contained false \
  -o "$JIT" --nologo -v q -clp:ErrorsOnly >/dev/null
chown -R root:root "$JIT"; chmod -R go-w "$JIT"
mv "$EXE" "$EXE.aot"
restore() { rm -f "$EXE"; mv "$EXE.aot" "$EXE"; ucloud-im instances stop --ucloud-name alice >/dev/null 2>&1 || true; rm -rf "$JIT"; }
trap restore EXIT
ln -s "$JIT/ucloud-im-user" "$EXE"
sudo_baseline
cold "JIT (framework-dependent)" ucloud-im-user
