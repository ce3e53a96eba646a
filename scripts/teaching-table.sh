#!/usr/bin/env bash
# Reruns every teaching preset (configs/pitfalls/) as shipped and rewrites
# the README's "Teaching" table between its markers with their headline
# numbers. A test (tests/it/presets.rs) fails when the table and a fresh
# run disagree beyond Monte Carlo error.
#
#   bash scripts/teaching-table.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
table=$(mktemp)
trap 'rm -f "$table" README.md.new' EXIT
target/release/trialsim presets --table >"$table"
start=$(head -n 1 "$table")
end=$(tail -n 1 "$table")
grep -qxF "$start" README.md || { echo "README.md has no line $start" >&2; exit 1; }
grep -qxF "$end" README.md || { echo "README.md has no line $end" >&2; exit 1; }
awk -v start="$start" -v end="$end" -v file="$table" '
  $0 == start { while ((getline line < file) > 0) print line; skip = 1; next }
  $0 == end { skip = 0; next }
  !skip { print }
' README.md >README.md.new
mv README.md.new README.md
echo "README.md: teaching table rewritten"
