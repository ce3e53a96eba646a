#!/bin/sh
# Remakes the README's figure gallery from the default scenario (and one
# `size` run for its curve). From the repository root:
#   sh docs/figures/make.sh
set -eu
out=$(mktemp -d)
cargo run --release --quiet -- run --replicates 2000 --quiet --out "$out/run"
cargo run --release --quiet -- size configs/msc_knee_oa.toml --target-power 0.8 \
  --max-type-m 1.5 --max 1000 --replicates 1000 --quiet --out "$out/size"
cp "$out"/run/plots/*.png docs/figures/
cp "$out"/size/plots/size_curve.png docs/figures/
rm -rf "$out"
ls docs/figures/*.png
