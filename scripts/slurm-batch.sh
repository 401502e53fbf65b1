#!/usr/bin/env bash
# emoscope batch on Slurm as a job array (Debian 12 has no dask-jobqueue):
# each array task analyses its share of the inputs with `emoscope batch`
# into the one shared output folder; a last step, run once the array is
# over, writes the complete batch.csv (every input is then skipped: its
# folder holds its key) and names what failed.
#
#   ls /shared/videos/*.mp4 > inputs.txt
#   sbatch --array=0-15 scripts/slurm-batch.sh inputs.txt /shared/out
#   sbatch --dependency=afterany:JOBID scripts/slurm-batch.sh --index inputs.txt /shared/out
#
# Inputs and the output folder must be on storage every node sees. A task
# that dies (node failure, time limit) leaves no half folder (items are
# renamed into place): resubmit the array and it finishes what is missing.
# Settings: EMOSCOPE_ARGS (e.g. "--config lab.ini --face.max_faces=2");
# the CLI: EMOSCOPE (default: emoscope on PATH).
#SBATCH --job-name=emoscope-batch
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
set -euo pipefail
emoscope=${EMOSCOPE:-emoscope}
index=0
if [ "${1:-}" = "--index" ]; then index=1; shift; fi
list=${1:?usage: slurm-batch.sh [--index] LIST OUT}
out=${2:?usage: slurm-batch.sh [--index] LIST OUT}
# shellcheck disable=SC2086  # EMOSCOPE_ARGS is a list of options
if [ $index -eq 1 ]; then
  exec "$emoscope" ${EMOSCOPE_ARGS:-} batch "$list" --out "$out" --jobs 1
fi
task=${SLURM_ARRAY_TASK_ID:?not in a job array (sbatch --array=0-N)}
tasks=${SLURM_ARRAY_TASK_COUNT:?not in a job array}
first=${SLURM_ARRAY_TASK_MIN:-0}
share=$(mktemp "${TMPDIR:-/tmp}/emoscope-share-XXXXXX.txt")
trap 'rm -f "$share"' EXIT
# Every tasks-th line from this task's own offset; relative paths stay relative to the list's folder.
dir=$(cd "$(dirname "$list")" && pwd)
grep -v '^[[:space:]]*\(#\|$\)' "$list" | awk -v n="$tasks" -v i="$((task - first))" -v d="$dir" \
  'NR % n == i { print (substr($0, 1, 1) == "/" ? $0 : d "/" $0) }' >"$share"
[ -s "$share" ] || { echo "task $task: no inputs"; exit 0; }
# Each task writes its own index beside the shared one; the --index step writes batch.csv.
mkdir -p "$out/.slurm"
"$emoscope" ${EMOSCOPE_ARGS:-} batch "$share" --out "$out" --jobs 1 --quiet || status=$?
cp "$out/batch.csv" "$out/.slurm/batch-$task.csv" 2>/dev/null || true
exit "${status:-0}"
