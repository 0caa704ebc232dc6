#!/bin/bash
# The one command: on a fresh Debian 12 machine, as root, install what is needed, build, start a real
# single-node Slurm, the sandbox Core, the server and the gateway, map the demo users, and show a browse
# as alice working through the whole chain.
set -euo pipefail
LOG_TAG=setup
. "$(dirname "$0")/lib/common.sh"
need_root
D=$(cd "$(dirname "$0")" && pwd)
bash "$D/cluster/slurm-up.sh"
bash "$D/accounts.sh"
bash "$D/install.sh"
bash "$D/dev-stack.sh" start
# Something only alice can read, to see that the listing runs as her.
install -d -o alice -g alice -m 0700 /home/alice/private
[ -e /home/alice/private/notes.txt ] || { echo "alice's notes" > /home/alice/private/notes.txt; chown alice:alice /home/alice/private/notes.txt; chmod 600 /home/alice/private/notes.txt; }
log "browse as alice (first request starts her user instance through sudo):"
ucloud-sandbox browse alice /home-alice/private
log "the same folder as bob (his instance runs as bob, so the kernel says no):"
ucloud-sandbox browse bob /home-alice/private || true
log "a job as alice (sbatch as her; the server's monitor reports its states to the sandbox Core):"
ucloud-sandbox run alice shell --product standard-1 --param 'script=echo hello from $(id -un) on $(hostname)'
sleep 8
ucloud-sandbox jobs alice
ucloud-im doctor || true
log "done. Try: ucloud-sandbox browse alice /home-alice ; ucloud-sandbox jobs alice ; ucloud-im users ls ; ucloud-im status"
