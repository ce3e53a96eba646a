#!/usr/bin/env bash
# test-slurm.sh: end-to-end check of the Slurm scripts on a local single-node
# Slurm. Must run as root (it installs and starts slurmctld, slurmd, munged).
#
#  1. starts a local Slurm with scripts/slurm-local.sh (unless one is running)
#  2. writes a small scenario and submits it with scripts/slurm/submit.sh:
#     3 shards of 3000 replicates plus the dependent merge job
#  3. waits (at most TRIALSIM_TEST_TIMEOUT seconds, default 120) for the merge
#  4. runs the same scenario unsharded with the same replicates
#  5. compares the two summary.json files byte for byte (cmp): PASS or FAIL
#  6. stops Slurm again if this script started it (trap)
#
# The binary (TRIALSIM_BIN, default target/release/trialsim; build it with
# `cargo build --release`) is copied into the work folder first so that a
# rebuild during the test cannot mix versions. The work folder is removed on
# PASS and kept on FAIL. Exit status: 0 on PASS, 1 on FAIL.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
timeout=${TRIALSIM_TEST_TIMEOUT:-120}
shards=3
replicates=3000

t0=$SECONDS
fail() {
    echo "test-slurm: $*" >&2
    echo "FAIL ($((SECONDS - t0)) s)"
    exit 1
}
step() { echo "test-slurm: [$((SECONDS - t0)) s] $*"; }

[[ ${EUID} -eq 0 ]] || fail "must run as root (it installs packages and starts slurmctld, slurmd and munged); try: sudo $0"

bin=${TRIALSIM_BIN:-$repo/target/release/trialsim}
[[ -x $bin ]] || fail "trialsim binary '$bin' not found; build it with 'cargo build --release' or set TRIALSIM_BIN"
"$bin" merge --help >/dev/null 2>&1 || fail "'$bin merge --help' fails: this binary has no merge command yet; rebuild it"

work=$(mktemp -d /tmp/trialsim-slurm-test.XXXXXX)
started_slurm=0
array_id="" merge_id=""
cleanup() {
    local rc=$?
    if [[ -n $array_id$merge_id ]] && command -v scancel >/dev/null 2>&1; then
        scancel ${array_id:+"$array_id"} ${merge_id:+"$merge_id"} 2>/dev/null || true
    fi
    if ((started_slurm)); then
        "$here/slurm-local.sh" stop >/dev/null 2>&1 || echo "test-slurm: warning: 'slurm-local.sh stop' failed" >&2
    fi
    if ((rc == 0)); then
        rm -rf "$work"
    else
        echo "test-slurm: work folder kept for inspection: $work" >&2
    fi
}
trap cleanup EXIT

cp "$bin" "$work/trialsim"
bin=$work/trialsim

cat > "$work/slurm_check.toml" <<'TOML'
name = "slurm_check"
seed = 7
replicates = 3000
[outcome]
mu0 = 55.0
subject_sd = 10.0
residual_sd = 12.0
rho = 0.8
[visits]
months = [3, 6, 12]
primary = 12
[effect]
peak = -6.0
onset_months = 2.0
[design]
n_per_arm = 20
[analysis]
method = "ancova"
TOML

# 1. Slurm
if "$here/slurm-local.sh" status >/dev/null 2>&1; then
    step "local Slurm already running; using it (it will be left running)"
else
    step "starting local Slurm"
    started_slurm=1
    "$here/slurm-local.sh" start || fail "could not start local Slurm (see messages above)"
fi

# 2. submit
step "submitting $shards shards x $replicates replicates + merge"
submitted=$(TRIALSIM_BIN=$bin "$here/slurm/submit.sh" "$work/slurm_check.toml" "$shards" "$work/merged" \
    --replicates "$replicates") || fail "submit.sh failed"
echo "$submitted"
array_id=$(sed -n 's/^ARRAY_JOB_ID=//p' <<< "$submitted")
merge_id=$(sed -n 's/^MERGE_JOB_ID=//p' <<< "$submitted")
[[ -n $array_id && -n $merge_id ]] || fail "could not read job ids from submit.sh output"

# 3. wait for the merge job to leave the queue
logs=$work/merged-shards/logs
show_logs() {
    local f
    for f in "$logs"/*; do
        [[ -f $f ]] || continue
        echo "----- $f" >&2
        cat "$f" >&2
    done
}
deadline=$((SECONDS + timeout))
while :; do
    state=$(squeue -h -j "$merge_id" -o %T 2>/dev/null || true)
    [[ -z $state ]] && break
    if ((SECONDS >= deadline)); then
        squeue >&2 || true
        show_logs
        fail "merge job $merge_id still '$state' after ${timeout}s"
    fi
    sleep 1
done
merge_state=$(scontrol show job "$merge_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n1 || true)
step "merge job $merge_id left the queue (${merge_state:-JobState unknown})"
if [[ ! -s $work/merged/summary.json ]]; then
    scontrol show job "$array_id" 2>/dev/null | grep -E 'JobId=|JobState=|ExitCode=' >&2 || true
    show_logs
    fail "no merged summary.json (merge job ${merge_state:-state unknown})"
fi
for ((i = 1; i <= shards; i++)); do
    [[ -s $work/merged-shards/shard-$i-of-$shards.json ]] || fail "shard file shard-$i-of-$shards.json missing"
done

# 4. unsharded reference
step "running the same scenario unsharded"
"$bin" run "$work/slurm_check.toml" --out "$work/unsharded" --replicates "$replicates" --quiet \
    || fail "unsharded run failed"

# 5. compare
for f in "$work/unsharded"/*; do
    name=$(basename "$f")
    [[ $name == summary.json ]] && continue
    if [[ ! -e $work/merged/$name ]]; then
        step "  $name: missing from the merged output (informational; summary.json decides)"
    elif diff -rq "$f" "$work/merged/$name" >/dev/null 2>&1; then
        step "  $name: identical"
    else
        step "  $name: differs (informational; summary.json decides)"
    fi
done
if cmp "$work/unsharded/summary.json" "$work/merged/summary.json"; then
    step "summary.json identical ($(wc -c < "$work/merged/summary.json") bytes)"
    echo "PASS ($((SECONDS - t0)) s)"
else
    diff <(tr ',' '\n' < "$work/unsharded/summary.json") <(tr ',' '\n' < "$work/merged/summary.json") | head -n 20 >&2 || true
    fail "merged summary.json differs from the unsharded one"
fi
