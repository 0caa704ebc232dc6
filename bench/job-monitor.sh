#!/bin/bash
# The job monitor under load: JOBS short jobs from USERS users, submitted through the dev stack (gateway,
# user instances, sbatch as each user). Prints, from the same run:
#   - slurmctld RPCs the monitor caused per interval (sdiag, by user ucloud), beside what a per-job poller
#     would have caused (active jobs at each interval × the RPCs one `squeue -j` costs, measured here);
#   - the time from a job's end in Slurm to the sandbox (Core) recording its final state. Each job's last command
#     prints the clock with nanoseconds to its stdout.txt; Slurm sees the job end just after that, so the figure
#     is an upper bound. sacct's End (whole seconds, truncated: up to 1 s too early) is printed beside it.
# Targets (issue 4): <= 2 RPCs per interval, flat in users and jobs; p95 <= interval + 1 s.
#   bash bench/job-monitor.sh      (as root; USERS=50 JOBS=1000; starts the dev stack, adds users bj01..)
set -euo pipefail
LOG_TAG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/lib/common.sh"
need_root
USERS=${USERS:-50}
JOBS=${JOBS:-1000}
INTERVAL=2   # services.slurm.monitorInterval in deploy/dev-stack.sh
DB=/var/lib/ucloud-im/ucloud-im.sqlite3
apt_install sqlite3 curl jq
bash "$ROOT/deploy/dev-stack.sh" start >/dev/null
sacctmgr -n -P list account research | grep -q . || sacctmgr -i add account research >/dev/null
users=()
for i in $(seq -w 1 "$USERS"); do
  u=bj$i; users+=("$u")
  id "$u" >/dev/null 2>&1 || { useradd --create-home --shell /bin/bash "$u"; usermod -aG ucloud-users "$u"; }
  sacctmgr -n -P list assoc user="$u" account=research | grep -q . || sacctmgr -i add user "$u" account=research >/dev/null
  /opt/ucloud-im/cli/ucloud-im users ls 2>/dev/null | grep -q " $u " || /opt/ucloud-im/cli/ucloud-im users add --ucloud-name "$u" --local-name "$u" >/dev/null
done
log "$USERS users ready; submitting $JOBS jobs"
sdiag -r >/dev/null
t0=$(date +%s)
submit() {
  curl -sf -X POST -H 'content-type: application/json' -d '{"application":"shell","product":"standard-1","minutes":5,"parameters":{"script":"date +%s.%N"}}' \
    "http://127.0.0.1:8800/sandbox/users/$1/jobs" >/dev/null || echo "submit failed for $1" >&2
}
export -f submit
per=$((JOBS / USERS))
for u in "${users[@]}"; do for _ in $(seq "$per"); do echo "$u"; done; done | xargs -P 8 -I{} bash -c 'submit {}'
log "submitted in $(( $(date +%s) - t0 )) s; waiting for every job to end"
# Sample the number of followed, unfinished jobs at each interval: what a per-job poller would poll.
samples=()
while :; do
  active=$(sqlite3 "$DB" "select count(*) from jobs where state not in ('SUCCESS','FAILURE','EXPIRED')")
  samples+=("$active")
  [ "$active" = 0 ] && break
  sleep "$INTERVAL"
done
t1=$(date +%s)
monitor_rpcs=$(sdiag | sed -n '/by user/,/^$/p' | awk '$1 == "ucloud" {for (i=1;i<=NF;i++) if ($i ~ /^count:/) {sub("count:","",$i); print $i}}')
intervals=$(( (t1 - t0) / INTERVAL ))
# What one per-job query costs slurmctld, measured now (root's RPCs over 20 calls).
sdiag -r >/dev/null
any=$(sqlite3 "$DB" "select slurm_id from jobs limit 1")
for _ in $(seq 20); do squeue -h -j "$any" -o %T >/dev/null 2>&1 || true; done
per_call=$(sdiag | sed -n '/by user/,/^$/p' | awk '$1 == "root" {for (i=1;i<=NF;i++) if ($i ~ /^count:/) {sub("count:","",$i); print ($i - 1) / 20}}')
perjob_total=$(printf '%s\n' "${samples[@]}" | awk -v c="$per_call" '{s += $1 * c} END {printf "%.0f", s}')
printf '\n%-44s %10s\n' "jobs / users / interval" "$JOBS / $USERS / ${INTERVAL}s"
printf '%-44s %10s\n' "intervals while jobs ran" "$intervals"
printf '%-44s %10.2f\n' "monitor: slurmctld RPCs per interval" "$(awk -v a="$monitor_rpcs" -v b="$intervals" 'BEGIN {print a/b}')"
printf '%-44s %10.2f\n' "per-job poller (baseline): RPCs per interval" "$(awk -v a="$perjob_total" -v b="${#samples[@]}" 'BEGIN {print a/b}')"
printf '%-44s %10s\n' "  (one squeue -j costs RPCs)" "$per_call"
# Latency: the job's last instant (its stdout) and sacct End (whole seconds) → the sandbox's receivedAt of the final update.
for u in "${users[@]}"; do curl -sf "http://127.0.0.1:8800/sandbox/users/$u/jobs"; done \
  | jq -r '.[] | select(.providerGeneratedId != null) | [.providerGeneratedId, .owner.createdBy, .id, ([.updates[] | select(.state == "SUCCESS" or .state == "FAILURE" or .state == "EXPIRED")][0].receivedAt // empty)] | @tsv' \
  | awk -F'\t' 'NF == 4' | sort > /tmp/bench-received.tsv
while IFS=$'\t' read -r sid owner core received; do
  stamp=$(head -c 40 "$(getent passwd "$owner" | cut -d: -f6)/ucloud-jobs/$core/stdout.txt" 2>/dev/null || true)
  [ -n "$stamp" ] && printf '%s\t%s\n' "$sid" "$(awk -v r="$received" -v s="$stamp" 'BEGIN {print r / 1000 - s}')"
done < /tmp/bench-received.tsv | cut -f2 | sort -n > /tmp/bench-latency.txt
ids=$(cut -f1 /tmp/bench-received.tsv | paste -sd,)
sacct -a -n -X -P -o JobIDRaw,End -j "$ids" | awk -F'|' '{ cmd = "date -d \"" $2 "\" +%s"; cmd | getline t; close(cmd); print $1 "\t" t }' | sort > /tmp/bench-end.tsv
join -t $'\t' <(cut -f1,4 /tmp/bench-received.tsv) /tmp/bench-end.tsv | awk -F'\t' '{ print ($2 / 1000) - $3 }' | sort -n > /tmp/bench-latency-sacct.txt
p() { awk -v q="$1" '{ v[NR] = $1 } END { i = int(NR * q); if (i < NR * q) i++; printf "%.2f", v[i] }' "$2"; }
printf '%-44s %10s\n' "jobs measured for latency" "$(wc -l < /tmp/bench-latency.txt)"
printf '%-44s %9ss\n' "job's last instant → Core: p50" "$(p 0.5 /tmp/bench-latency.txt)"
printf '%-44s %9ss   (target <= %ss)\n' "job's last instant → Core: p95" "$(p 0.95 /tmp/bench-latency.txt)" "$((INTERVAL + 1))"
printf '%-44s %9ss   (End has whole seconds)\n' "sacct End → Core: p50 / p95" "$(p 0.5 /tmp/bench-latency-sacct.txt) / $(p 0.95 /tmp/bench-latency-sacct.txt)"
