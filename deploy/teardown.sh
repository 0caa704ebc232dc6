#!/bin/bash
# Stop everything setup.sh and test.sh started: the dev stack, PostgreSQL (if it runs) and Slurm.
# Keeps packages, accounts, configuration and data. As root.
set -uo pipefail
D=$(cd "$(dirname "$0")" && pwd)
bash "$D/dev-stack.sh" stop
for c in $(pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1 "/" $2}'); do pg_ctlcluster "${c%/*}" "${c#*/}" stop; done
bash "$D/cluster/slurm-down.sh"
