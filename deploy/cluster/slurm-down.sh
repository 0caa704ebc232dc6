#!/bin/bash
# Stop what slurm-up.sh started, by pid file. Cancels jobs first: with proctrack/linuxproc a job's
# processes outlive slurmd. Keeps packages, configuration and state.
set -uo pipefail
LOG_TAG=slurm-down
. "$(dirname "$0")/../lib/common.sh"
need_root
if alive /run/slurm/slurmctld.pid; then
  jobs=$(squeue -h -o %i 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 100); do [ -z "$(squeue -h -t R,CG,PD -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi
stop_pidfile slurmd    /run/slurm/slurmd.pid
stop_pidfile slurmctld /run/slurm/slurmctld.pid
stop_pidfile slurmdbd  /run/slurm/slurmdbd.pid
stop_pidfile mariadbd  /run/mysqld/mysqld.pid
stop_pidfile munged    /run/munge/munged.pid
