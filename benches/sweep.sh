#!/usr/bin/env bash
# Sweeps at scale (issue #25): peak memory of a sweep of 1 000 design points
# of 1 000–1 999 patients per arm at R = 200 beside one design point at the
# largest n, and whether a sweep of 250 points at R = 200 (each point one
# block) keeps every core busy (wall time against CPU time).
#
#   cargo build --release && bash benches/sweep.sh [POINTS]
#
# POINTS (default 1000) sizes the large sweep. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/trialsim
points=${1:-1000}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sweep() { # name, python-style list of n
  sed 's/^replicates = .*/replicates = 200/; s/^name = .*/name = "'"$1"'"/' configs/bench.toml >"$dir/$1.toml"
  printf '\n[sweep]\n"design.n_per_arm" = [%s]\n' "$2" >>"$dir/$1.toml"
}
sweep one 1999
sweep large "$(seq -s, 1000 $((999 + points)))"
sweep quarter "$(seq -s, 1000 1249)"
measure() { # name → "peak_kB wall_s cpu_s"
  /usr/bin/time -f '%M %e %U %S' -o "$dir/$1.time" "$bin" run "$dir/$1.toml" --quiet --out "$dir/$1.out" >/dev/null
  awk '{printf "%d %.2f %.2f\n", $1, $2, $3 + $4}' "$dir/$1.time"
}
read -r one_kb _ _ < <(measure one)
read -r large_kb large_wall large_cpu < <(measure large)
read -r _ q_wall q_cpu < <(measure quarter)
awk -v a="$one_kb" -v b="$large_kb" -v p="$points" -v lw="$large_wall" -v lc="$large_cpu" \
    -v qw="$q_wall" -v qc="$q_cpu" 'BEGIN {
  printf "peak memory: 1 point (n = 1999) %.1f MB; %d points %.1f MB: %.2fx (bound 2x)\n", a/1024, p, b/1024, b/a
  printf "%d points: wall %.2f s, CPU %.2f s\n", p, lw, lc
  printf "250 points at R = 200: wall %.2f s, CPU %.2f s: wall/CPU %.2f (bound 0.6 on 2 cores)\n", qw, qc, qw/qc
}'
