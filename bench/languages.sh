#!/usr/bin/env bash
# Per language: component size, build time, and memory per VU (PSS) of
# the `hello` example with SLEEP=1 against nginx, at 1 and N VUs;
# per VU = (PSS(N) - PSS(1)) / (N - 1). The first run of each component
# compiles it into the cache, so memory is read from a second run.
#
#   bench/languages.sh [N]    (default: 1000)
source "$(dirname "$0")/common.sh"
N=${1:-1000}
build
start_nginx
ulimit -n 20000
"$ROOT/tests/toolchains.sh"

pss_at() {
    local wasm=$1 vus=$2
    "$BARRAGE" run "$wasm" -q -e "TARGET=$TARGET" -e SLEEP=1 --vus "$vus" --duration 14s \
        > "$OUT/lang-run.txt" 2>&1 &
    local pid=$!
    sleep 11
    pss_kib "$pid"
    wait "$pid" || true
}

for lang in rust js python go; do
    project="$ROOT/examples/$lang/hello"
    wasm="$OUT/hello-$lang.wasm"
    start=$(date +%s.%N)
    "$BARRAGE" build "$project" -o "$wasm" 2> "$OUT/lang-build.txt"
    took=$(echo "$(date +%s.%N) - $start" | bc)
    size=$(stat -c %s "$wasm")
    "$BARRAGE" run "$wasm" -q -e "TARGET=$TARGET" -e SLEEP=0 -i 1 > /dev/null 2>&1 # compile
    one=$(pss_at "$wasm" 1)
    many=$(pss_at "$wasm" "$N")
    per=$(( (many - one) / (N - 1) ))
    echo "$lang: component $size bytes, built in ${took}s, PSS ${one} KiB at 1 VU, ${many} KiB at $N VUs: ${per} KiB per VU"
done
