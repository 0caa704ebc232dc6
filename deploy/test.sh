#!/bin/bash
# The one test command: on a fresh Debian 12 machine, as root, install and start what the tests need
# (a real Slurm with slurmdbd, sudo, the service accounts, PostgreSQL), install the module, and run every
# test tier (unit, integration against real processes, sudo and users). Ends with "N passed, N failed".
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
UCIM_TEST_POSTGRES=$(bash "$D/postgres-up.sh")
export UCIM_TEST_POSTGRES
out=$(mktemp)
set +e
dotnet test --solution "$ROOT/ucloud-im.slnx" -c Release 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# One closing line for any reader: the totals of every test assembly.
awk '/^[[:space:]]*succeeded:/ {p+=$2} /^[[:space:]]*failed:/ {f+=$2} /^[[:space:]]*skipped:/ {s+=$2}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$out"
rm -f "$out"
exit "$rc"
