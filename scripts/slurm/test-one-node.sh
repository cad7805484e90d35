#!/bin/bash
# A one-node Slurm cluster on this machine (as root): munge, slurmctld and slurmd on localhost, then the sweep script
# end to end. toy-copy's smoke profile with 6 seeds as an array of 3 tasks plus the summarise job must give the
# summary of a single-process run; then one task is stopped mid-seed and requeued, and the result must stay equal
# with no lock left behind. Bounded in time; the daemons are stopped at the end. Run by .ci/run.
#   scripts/slurm/test-one-node.sh            (needs root; installs slurm-wlm and munge from Debian if missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
project="$(cd "$here/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "test-one-node.sh: needs root (it configures and starts munge and Slurm)" >&2; exit 2; }
started=$(date +%s)
deadline=$((started + 600))
log() { echo "[slurm-test $(($(date +%s) - started))s] $*"; }

if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  log "apt-get install slurm-wlm munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge > /dev/null
fi

work="$(mktemp -d /tmp/imrm-slurm-XXXXXX)"
host="$(hostname -s)"
cpus="$(nproc)"
mem="$(awk '/MemTotal/ { print int($2 / 1024) - 1024 }' /proc/meminfo)"
stop() {
  scancel --quiet --user root 2> /dev/null || true
  pkill -x slurmd 2> /dev/null || true
  pkill -x slurmctld 2> /dev/null || true
  pkill -x munged 2> /dev/null || true
}
trap stop EXIT

# munge: a fresh key, the daemon in the foreground-less default mode.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2> /dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged > /dev/null || runuser -u munge -- /usr/sbin/munged
munge -n | unmunge > /dev/null

# Slurm: one node, one partition, processes tracked without cgroups (containers often lack them).
mkdir -p "$work/spool/ctld" "$work/spool/d" /etc/slurm
cat > /etc/slurm/slurm.conf << CONF
ClusterName=imrm-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 1 60); do sinfo -h -o %t 2> /dev/null | grep -qE '^(idle|mix|alloc)' && break; sleep 1; done
sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' || { cat "$work/slurmctld.log" "$work/slurmd.log" >&2; echo "slurm did not come up" >&2; exit 1; }
log "slurm up on $host ($cpus CPUs)"

wait_for() { # job id: waits until no task of it is pending or running
  while squeue -h -j "$1" 2> /dev/null | grep -q .; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for job $1" >&2; squeue >&2; exit 1; }
    sleep 1
  done
}
results() { node -e "console.log(JSON.stringify(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).results))" "$1"; }

cd "$project"
# Seeds long enough (more epochs) that a task can be cancelled while it computes one.
sets=(--set train.epochs=30)
reference="$work/reference"
node --import tsx scripts/exp.ts toy-copy --profile smoke --seeds 6 --runs-dir "$reference" "${sets[@]}" 2> /dev/null > "$work/reference.path"
log "single-process reference: $(cat "$work/reference.path")"

# Bad arguments: one line, nothing submitted.
if out=$("$here/submit.sh" toy-copy smoke 6 7 "$work/bad" 2>&1); then echo "submit.sh accepted TASKS > SEEDS" >&2; exit 1; fi
[ "$(echo "$out" | wc -l)" = 1 ] || { echo "submit.sh printed more than one line: $out" >&2; exit 1; }
[ -z "$(squeue -h)" ] || { echo "a bad submission queued a job" >&2; exit 1; }
log "bad argument refused: $out"

# 1. The sweep: 3 array tasks over one store, then the summarise job.
store="$work/store"
read -r _ array _ summary < <("$here/submit.sh" toy-copy smoke 6 3 "$store" 1 "${sets[@]}")
wait_for "$array"
wait_for "$summary"
run_dir="$(dirname "$(cat "$work/reference.path")")"
sweep_summary="$store/toy-copy/$(basename "$run_dir")/summary.json"
[ -f "$sweep_summary" ] || { echo "no summary at $sweep_summary"; tail -n 20 "$store"/logs/*.log; exit 1; } >&2
[ "$(results "$sweep_summary")" = "$(results "$(cat "$work/reference.path")")" ] || { echo "the sweep's summary differs from the single-process run's" >&2; exit 1; }
log "sweep of 3 tasks: summary equal to the single-process run"

# 2. Stop one task while it computes a seed, requeue it, and check the result again.
store2="$work/store2"
read -r _ array2 _ summary2 < <("$here/submit.sh" toy-copy smoke 6 3 "$store2" 1 "${sets[@]}")
task="${array2}_1"
locked=""
while [ -z "$locked" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "task $task never started a seed" >&2; exit 1; }
  locked=$(find "$store2" -name 'result.json.lock' 2> /dev/null | head -n 1)
  sleep 0.2
done
# requeue stops the running task (as a pre-emption does) and queues it again. A plain scancel would leave it
# CANCELLED, which fails the summary job's afterok dependency for good (docs/cluster.md).
scontrol requeue "$task"
# A requeued job waits about 2 minutes before it may start again; once it is pending, let it start now.
until squeue -h -t PD -j "$task" 2> /dev/null | grep -q .; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "task $task was not requeued" >&2; exit 1; }
  sleep 0.2
done
scontrol update JobId="$task" StartTime=now
log "stopped and requeued $task while $(dirname "$locked" | xargs basename) was locked"
wait_for "$array2"
wait_for "$summary2"
sweep2="$store2/toy-copy/$(basename "$run_dir")/summary.json"
[ -f "$sweep2" ] || { echo "no summary after the requeue"; tail -n 20 "$store2"/logs/*.log; exit 1; } >&2
[ "$(results "$sweep2")" = "$(results "$(cat "$work/reference.path")")" ] || { echo "the requeued sweep's summary differs" >&2; exit 1; }
left=$(find "$store2" -name '*.lock' -o -name '*.claim' -o -name '*.tmp' | wc -l)
[ "$left" = 0 ] || { echo "locks or temporaries left behind: $(find "$store2" -name '*.lock' -o -name '*.claim' -o -name '*.tmp')" >&2; exit 1; }
restarts=$(grep -h 'restart [1-9]' "$store2"/logs/*.log | wc -l)
log "requeue: summary equal, no lock left, $restarts restarted task log line(s)"
log "passed in $(($(date +%s) - started)) s"
rm -rf "$work"
