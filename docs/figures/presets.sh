#!/bin/sh
# Remakes the educator guide's figures: each teaching preset that has a
# figure, run as shipped, its figure copied to docs/figures/pitfalls/.
# From the repository root:
#   sh docs/figures/presets.sh
set -eu
cargo build --release --quiet
out=$(mktemp -d)
mkdir -p docs/figures/pitfalls
for pair in winners_curse:estimates heterogeneity:forest effect_decay:visits \
  publication_bias:funnel msc_literature:forest forking_paths:forking_paths \
  dichotomania:responder_power; do
  name=${pair%%:*}
  figure=${pair#*:}
  target/release/trialsim run --preset "$name" --quiet --out "$out/$name"
  cp "$out/$name/plots/$figure.png" "docs/figures/pitfalls/$name.png"
done
# The MSC literature's second figure: its subgroup claims.
cp "$out/msc_literature/plots/subgroups.png" docs/figures/pitfalls/msc_literature_subgroups.png
rm -rf "$out"
ls docs/figures/pitfalls/*.png
