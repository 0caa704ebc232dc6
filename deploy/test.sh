#!/bin/bash
# The one test command: on a fresh Debian 12 machine, as root, install and start what the tests need
# (a real Slurm with slurmdbd, sudo, the service accounts, PostgreSQL, sshd), install the module, and run every
# test tier (unit, integration against real processes, sudo and users), the integration flows once per
# networking mode (direct, then proxy). Ends with the failed tests, if any, and "N passed, N failed".
set -euo pipefail
LOG_TAG=test
. "$(dirname "$0")/lib/common.sh"
need_root
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$D/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bash "$D/cluster/slurm-up.sh"
bash "$D/accounts.sh"
bash "$D/install.sh"
# The SSH key tests log in through a real sshd, which each test starts on a loopback port of its own; the
# crash tests kill an instance with kill(1), which Debian ships in procps.
apt_install openssh-server procps
UCIM_TEST_POSTGRES=$(bash "$D/postgres-up.sh")
export UCIM_TEST_POSTGRES
out=$(mktemp)
set +e
# Every tier, the end-to-end flows reaching the provider in direct mode (HTTPS)...
dotnet test --solution "$ROOT/ucloud-im.slnx" -c Release 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# ...and the same flows again in proxy mode (through the sandbox's relay and the gateway's tunnel).
UCIM_NETWORK_MODE=proxy dotnet test --project "$ROOT/tests/Integration/Integration.csproj" -c Release --no-build -- \
  --filter-namespace UcloudIm.Tests.Integration.Flows --filter-namespace UcloudIm.Tests.Integration.Security 2>&1 | tee -a "$out"
rc2=${PIPESTATUS[0]}
[ "$rc" -ne 0 ] || rc=$rc2
set -e
# The failures again at the very end, where a reader of the log's tail finds them (name, message, first
# frames), however much a failing run printed before.
awk '/^failed / {if (!shown++) print "=== failed tests ==="; n=14} n > 0 {print; n--}' "$out"
# One closing line for any reader: the totals of every test assembly.
awk '/^[[:space:]]*succeeded:/ {p+=$2} /^[[:space:]]*failed:/ {f+=$2} /^[[:space:]]*skipped:/ {s+=$2}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$out"
rm -f "$out"
exit "$rc"
