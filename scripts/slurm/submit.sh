#!/usr/bin/env bash
# submit.sh SCENARIO.toml N OUT_DIR [extra `trialsim run` flags...]
#
# Submits a Slurm job array of N shards (trialsim-array.sbatch, --array=1-N) and
# a merge job (trialsim-merge.sbatch) that starts only if every shard succeeded
# (--dependency=afterok, and is cancelled if one fails). Prints the job ids:
#   ARRAY_JOB_ID=<id>
#   MERGE_JOB_ID=<id>
# The merged results land in OUT_DIR, exactly as `trialsim run SCENARIO.toml
# --out OUT_DIR [extra flags]` would write them.
#
# Environment (all optional):
#   TRIALSIM_BIN            trialsim binary; must be at the same path on the
#                           compute nodes (default: this repo's
#                           target/release/trialsim if built, else `trialsim` on PATH)
#   TRIALSIM_SHARD_DIR      shard folder (default: OUT_DIR-shards)
#   TRIALSIM_LOG_DIR        job logs (default: TRIALSIM_SHARD_DIR/logs)
#   TRIALSIM_CPUS_PER_TASK  CPUs per shard task (default 1); trialsim uses that
#                           many threads unless TRIALSIM_THREADS says otherwise
#   TRIALSIM_THREADS        worker threads per shard
#   TRIALSIM_MAX_PARALLEL   run at most this many shards at once (--array=1-N%K)
#   TRIALSIM_MERGE_FLAGS    extra `trialsim merge` flags (e.g. --force)
#   TRIALSIM_SBATCH_FLAGS   extra sbatch options for both jobs, split on
#                           whitespace (e.g. "--partition=short --time=01:00:00")
# sbatch's own SBATCH_* variables (SBATCH_PARTITION, SBATCH_ACCOUNT, ...) work too.
#
# Example:
#   scripts/slurm/submit.sh configs/msc_knee_oa.toml 16 outputs/knee --replicates 200000
set -euo pipefail

die() { echo "submit: error: $*" >&2; exit 1; }
usage() { echo "usage: $0 SCENARIO.toml N OUT_DIR [extra trialsim run flags...]" >&2; exit 2; }

(($# >= 3)) || usage
scenario=$1 n=$2 out=$3
shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

command -v sbatch >/dev/null 2>&1 || die "sbatch not found: is Slurm installed here (scripts/slurm-local.sh start for a local one)?"
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer (got '$n')"
[[ -f $scenario ]] || die "scenario '$scenario' not found"
for a in "$@"; do
    case $a in
        --shard | --shard=* | --out | --out=*) die "'$a' is set by the job scripts; do not pass it" ;;
    esac
done

abspath() {  # absolute path without requiring it to exist
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

scenario=$(abspath "$scenario")
out=$(abspath "${out%/}")
shard_dir=$(abspath "${TRIALSIM_SHARD_DIR:-$out-shards}")
log_dir=$(abspath "${TRIALSIM_LOG_DIR:-$shard_dir/logs}")

if [[ -n ${TRIALSIM_BIN:-} ]]; then
    bin=$TRIALSIM_BIN
elif [[ -x $repo/target/release/trialsim ]]; then
    bin=$repo/target/release/trialsim
else
    bin=trialsim
fi
if [[ $bin == */* ]]; then
    bin=$(abspath "$bin")
    [[ -x $bin ]] || die "trialsim binary '$bin' is not executable (set TRIALSIM_BIN)"
else
    resolved=$(command -v "$bin" 2>/dev/null) || die "'$bin' not on PATH; build it (cargo build --release) or set TRIALSIM_BIN"
    bin=$resolved
fi

# Catch a bad scenario now rather than in N jobs.
"$bin" validate "$scenario" >/dev/null || die "'$bin validate $scenario' failed"

# Shard files of another shard count would make the merge fail; ours get overwritten.
mkdir -p "$shard_dir" "$log_dir"
shopt -s nullglob
for f in "$shard_dir"/shard-*.json; do
    [[ $f == *-of-"$n".json ]] || die "$f is from a run with another shard count; remove it or choose another TRIALSIM_SHARD_DIR"
done
shopt -u nullglob

sbatch_flags=()
if [[ -n ${TRIALSIM_SBATCH_FLAGS:-} ]]; then
    read -r -a sbatch_flags <<< "$TRIALSIM_SBATCH_FLAGS"
fi

array=1-$n
[[ -z ${TRIALSIM_MAX_PARALLEL:-} ]] || array+="%$TRIALSIM_MAX_PARALLEL"

export TRIALSIM_BIN=$bin TRIALSIM_SCENARIO=$scenario TRIALSIM_SHARD_DIR=$shard_dir TRIALSIM_OUT_DIR=$out

array_id=$(sbatch --parsable --export=ALL ${sbatch_flags[@]+"${sbatch_flags[@]}"} \
    --array="$array" \
    --cpus-per-task="${TRIALSIM_CPUS_PER_TASK:-1}" \
    --job-name="trialsim-run" \
    --output="$log_dir/run-%A_%a.out" \
    "$here/trialsim-array.sbatch" "$@") || die "sbatch of the array job failed"
array_id=${array_id%%;*}  # --parsable prints id[;cluster]

merge_id=$(sbatch --parsable --export=ALL ${sbatch_flags[@]+"${sbatch_flags[@]}"} \
    --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    --job-name="trialsim-merge" \
    --output="$log_dir/merge-%j.out" \
    "$here/trialsim-merge.sbatch") || die "sbatch of the merge job failed (array job $array_id is queued; scancel $array_id to drop it)"
merge_id=${merge_id%%;*}

echo "ARRAY_JOB_ID=$array_id"
echo "MERGE_JOB_ID=$merge_id"
{
    echo "submit: $n shards of $scenario -> $shard_dir, merged into $out"
    echo "submit: logs in $log_dir; watch with: squeue -j $array_id,$merge_id"
} >&2
