#!/usr/bin/env bash
# Rebuilds Barrage's JavaScript runtime into host/assets/js-runtime.wasm,
# the copy `barrage build` embeds, and lists the sources it was built from
# in host/assets/js-runtime.sources: a test fails when they change without
# a rebuild. Needs tests/toolchains.sh's clang for WebAssembly.
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release --locked --target wasm32-wasip2 -p barrage-js
cp target/wasm32-wasip2/release/barrage_js.wasm host/assets/js-runtime.wasm
find guest-sdk/js/runtime -type f \( -name '*.rs' -o -name '*.js' -o -name Cargo.toml \) \
    | LC_ALL=C sort | xargs sha256sum > host/assets/js-runtime.sources
echo "host/assets/js-runtime.wasm: $(stat -c %s host/assets/js-runtime.wasm) bytes"
