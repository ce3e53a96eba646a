#!/bin/sh
# Remakes the MMRM reference data sets from mar.toml (issue #27's plain MAR
# scenario) with `trialsim dataset`, then their reference fits with R.
# From the repository root:  sh tests/reference/mmrm/make.sh
# (Each set is chosen so that the unstructured REML optimum is interior:
# b's 20 per arm at replicate 1 still has 11 patients at month 24.)
set -eu
here=tests/reference/mmrm
tmp=$(mktemp)
for spec in "a 40 0" "b 20 1" "c 30 2"; do
  set -- $spec
  sed "s/n_per_arm = 40/n_per_arm = $2/" $here/mar.toml > "$tmp"
  cargo run --release --quiet -- dataset "$tmp" --replicate "$3" --out "$here/$1.csv" > /dev/null
done
rm -f "$tmp"
Rscript $here/mmrm_reml.R
