#!/bin/bash
# Bring up a real single-node Slurm (Debian 12's 22.05) with accounting (slurmdbd + MariaDB),
# as root, without systemd: the daemons are started directly and write pid files.
# Idempotent: with everything up it only re-checks.
#   SLURM_CPUS=N      CPUs to advertise (default 8, more than the cores, so that many 1-CPU jobs run)
#   SLURM_CLUSTER=x   cluster name (default imtest)
set -euo pipefail
LOG_TAG=slurm-up
. "$(dirname "$0")/../lib/common.sh"
need_root
CLUSTER=${SLURM_CLUSTER:-imtest}
apt_install munge slurmctld slurmd slurm-client slurmdbd mariadb-server
# What the example applications run on the compute node (files-web serves a folder with Python).
apt_install python3

HOST=$(hostname -s)
HW=$(slurmd -C | head -1)
REAL_MEM=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$HW")
MEM=$(( REAL_MEM * 90 / 100 ))
CPUS=${SLURM_CPUS:-8}
if [ "$CPUS" -gt "$(nproc)" ]; then NODE_HW="CPUs=$CPUS"; OVERRIDES="SlurmdParameters=config_overrides"
else NODE_HW=$(sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//' <<<"$HW"); OVERRIDES=""; fi

install -d -m 0755 /etc/slurm
# Memory limits as on a real cluster: with the cgroup v1 memory controller, task/cgroup confines each job to
# its --mem and Slurm reports OUT_OF_MEMORY when the kernel kills it. Without it, jobs are not confined.
if [ -w /sys/fs/cgroup/memory ] && [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  # A job that asks for no memory gets 1 GiB per CPU (without a default it would take the whole node's).
  TASK=task/cgroup; SELECT=CR_Core_Memory; MEMDEFAULT="DefMemPerCPU=1024"
  SWAP=no; [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && SWAP=yes
  printf 'CgroupPlugin=cgroup/v1\nConstrainRAMSpace=yes\nConstrainSwapSpace=%s\n' "$SWAP" > /etc/slurm/cgroup.conf
else
  TASK=task/none; SELECT=CR_Core; MEMDEFAULT=""; rm -f /etc/slurm/cgroup.conf
fi
cat > /etc/slurm/slurm.conf.new <<CONF
# Single-node cluster for development and CI, written by deploy/cluster/slurm-up.sh.
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=$TASK
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=15
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageEnforce=associations,limits,qos
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=$SELECT
$MEMDEFAULT
EnforcePartLimits=ALL
PrivateData=jobs,usage,users,accounts
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
MinJobAge=300
$OVERRIDES
NodeName=$HOST NodeAddr=127.0.0.1 $NODE_HW RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mv /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf; chmod 644 /etc/slurm/slurm.conf
install -d -o slurm -g slurm -m 0755 /run/slurm /var/log/slurm /var/lib/slurm /var/lib/slurm/slurmctld
install -d -o root -g root -m 0755 /var/lib/slurm/slurmd

# munge: the key is made by the package; make one if it is missing.
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge
alive /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
wait_for 10 munged bash -c 'munge -n | unmunge'
log "munged up"

cat > /etc/mysql/mariadb.conf.d/99-slurm.cnf <<'CONF'
[mysqld]
bind-address=127.0.0.1
innodb_buffer_pool_size=1024M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
max_allowed_packet=16M
CONF
install -d -o mysql -g mysql -m 0755 /run/mysqld
alive /run/mysqld/mysqld.pid || { setsid /usr/sbin/mariadbd --user=mysql >>/var/log/mariadbd.log 2>&1 </dev/null & }
wait_for 60 mariadb mariadb-admin ping
log "mariadbd up"
DBPASS_FILE=/etc/slurm/.dbpass
[ -s $DBPASS_FILE ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' > $DBPASS_FILE; chmod 600 $DBPASS_FILE; }
DBPASS=$(cat $DBPASS_FILE)
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
            CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
            ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
umask 077
cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=slurm
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StoragePort=3306
StorageUser=slurm
StoragePass=$DBPASS
StorageLoc=slurm_acct_db
PrivateData=jobs,usage,users,accounts
CONF
umask 022
chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf
alive /run/slurm/slurmdbd.pid || /usr/sbin/slurmdbd
wait_for 60 slurmdbd sacctmgr -n list cluster
log "slurmdbd up"

alive /run/slurm/slurmctld.pid || /usr/sbin/slurmctld
alive /run/slurm/slurmd.pid || /usr/sbin/slurmd
wait_for 60 "node idle" bash -c "sinfo -h -n $HOST -o %T | grep -Eq '^(idle|mixed|allocated)'"
wait_for 30 "cluster registration" bash -c "sacctmgr -n -P list cluster format=cluster | grep -qx $CLUSTER"
log "slurm up: $(sinfo -h -o '%P %a %D %T'), $TASK"
