#!/bin/bash
# Submits a sweep as a Slurm job array plus a dependent job that writes the summary:
#   scripts/slurm/submit.sh EXPERIMENT PROFILE SEEDS TASKS RUNS_DIR [CPUS_PER_TASK] [--set key=value ...]
# Every argument is checked before anything is submitted (one line says what is wrong). Prints the two job ids.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
project="$(cd "$here/../.." && pwd)"
usage="usage: scripts/slurm/submit.sh EXPERIMENT PROFILE SEEDS TASKS RUNS_DIR [CPUS_PER_TASK] [--set key=value ...]"
fail() { echo "submit.sh: $1 ($usage)" >&2; exit 2; }
[ $# -ge 5 ] || fail "expected at least 5 arguments, got $#"
experiment=$1 profile=$2 seeds=$3 tasks=$4 runs=$5
shift 5
cpus=1
if [ $# -gt 0 ] && [[ $1 != --* ]]; then cpus=$1; shift; fi
sets=""
while [ $# -gt 0 ]; do
  [ "$1" = --set ] && [ $# -ge 2 ] || fail "unexpected argument '$1' (only --set key=value may follow)"
  sets+="$2"$'\n'; shift 2
done
[[ $seeds =~ ^[1-9][0-9]*$ ]] || fail "SEEDS must be a positive integer, got '$seeds'"
[[ $tasks =~ ^[1-9][0-9]*$ ]] || fail "TASKS must be a positive integer, got '$tasks'"
[ "$tasks" -le "$seeds" ] || fail "TASKS ($tasks) cannot exceed SEEDS ($seeds): a task would have no seed"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || fail "CPUS_PER_TASK must be a positive integer, got '$cpus'"
mkdir -p "$runs/logs" 2> /dev/null && [ -w "$runs" ] || fail "RUNS_DIR '$runs' cannot be created or written"
runs="$(cd "$runs" && pwd)"
command -v sbatch > /dev/null || fail "sbatch not found: is this a Slurm login node?"
# The experiment, profile and --set values are validated by the CLI itself, without computing anything.
set_args=()
while IFS= read -r s; do [ -n "$s" ] && set_args+=(--set "$s"); done <<< "$sets"
if ! err=$(cd "$project" && node --import tsx scripts/exp.ts "$experiment" --profile "$profile" --seeds "$seeds" \
  --runs-dir "$runs" --check "${set_args[@]}" 2>&1 > /dev/null); then
  fail "$(echo "$err" | grep -m1 '^error:' || echo "$err" | tail -1)"
fi
export IMRM_PROJECT="$project" IMRM_EXPERIMENT="$experiment" IMRM_PROFILE="$profile" IMRM_SEEDS="$seeds" IMRM_RUNS="$runs" IMRM_SETS="$sets"
array=$(sbatch --parsable --array="0-$((tasks - 1))" --cpus-per-task="$cpus" --export=ALL \
  --output="$runs/logs/%x-%A_%a.log" "$here/sweep.sbatch")
summary=$(sbatch --parsable --dependency="afterok:$array" --job-name=imrm-summary --export=ALL \
  --output="$runs/logs/%x-%j.log" --wrap "cd '$project' && node --import tsx scripts/exp.ts '$experiment' --profile '$profile' --seeds '$seeds' --runs-dir '$runs' --summarise ${set_args[*]:+$(printf "%q " "${set_args[@]}")}")
echo "array $array summary $summary"
