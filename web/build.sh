#!/usr/bin/env bash
# Builds the classroom page into web/dist/index.html: one self-contained
# file (page, worker and WebAssembly engine inline) that works from any
# static host and from file://. Needs cargo and Node.js (20 or later).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "web/build.sh: Node.js is needed to assemble the page (apt-get install nodejs)" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
fi
cargo build -p trialsim-web --release --locked --quiet --target wasm32-unknown-unknown
node web/inline.mjs target/wasm32-unknown-unknown/release/trialsim_web.wasm web/dist
