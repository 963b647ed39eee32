#!/usr/bin/env bash
# Per language, the `hello` example (examples/<lang>/hello) against nginx:
#   - component size, and `barrage build` time from a clean project (cold)
#     and again with nothing changed (warm);
#   - compile time of the component, without the cache and from it;
#   - instantiation time per VU, from `barrage inspect`;
#   - memory per VU as PSS (not RSS, which counts a shared copy-on-write
#     image once per VU) with SLEEP=1 at 1, N1 and N2 VUs:
#     per VU = (PSS(N) - PSS(1)) / (N - 1), read late in the run;
#   - CPU per request with SLEEP=0 and 50 VUs for 10 s, beside wrk's with
#     50 connections in the same run.
#
#   bench/languages.sh [N1 [N2 [LANG...]]]    (defaults: 1000 10000 rust js python go)
source "$(dirname "$0")/common.sh"
N1=${1:-1000}
N2=${2:-10000}
shift $(( $# < 2 ? $# : 2 ))
LANGS=${*:-rust js python go}
need wrk wrk
need bc bc
build
start_nginx
ulimit -n "$(ulimit -Hn)"
"$ROOT/tests/toolchains.sh"

# pss_at WASM VUS: PSS in KiB three seconds before the end of a run that
# leaves time to instantiate every VU first.
pss_at() {
    local wasm=$1 vus=$2
    local settle=$(( 8 + vus / 500 ))
    "$BARRAGE" run "$wasm" -q -e "TARGET=$TARGET" -e SLEEP=1 --vus "$vus" \
        --duration "$(( settle + 3 ))s" > "$OUT/lang-run.txt" 2>&1 &
    local pid=$!
    sleep "$settle"
    pss_kib "$pid"
    wait "$pid" || true
}

seconds_since() { echo "$(date +%s.%N) - $1" | bc; }

# CPU seconds per 1,000 requests of a run described by a time report and
# a summary export.
cpu_per_k() {
    python3 - "$1" "$2" <<'PY'
import json, sys
reqs = json.load(open(sys.argv[2]))["metrics"]["http_reqs"]["count"]
print(f"{float(sys.argv[1]) / reqs * 1000:.4f} {int(reqs)}")
PY
}

/usr/bin/time -v -o "$OUT/wrk.time" wrk -t2 -c50 -d10s "$TARGET" > "$OUT/wrk.txt" 2>&1
wrk_reqs=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
wrk_cpk=$(echo "scale=4; $(cpu_seconds "$OUT/wrk.time") * 1000 / $wrk_reqs" | bc)
echo "wrk: $wrk_reqs requests, $wrk_cpk CPU-s per 1k requests"

for lang in $LANGS; do
    project="$OUT/hello-$lang"
    wasm="$OUT/hello-$lang.wasm"
    if [ "$lang" = rust ]; then
        # A workspace member: built in place, its dependencies already
        # compiled by `build` above; "cold" recompiles the crate itself.
        project="$ROOT/examples/rust/hello"
        touch "$project/src/lib.rs"
    else
        rm -rf "$project" && cp -r "$ROOT/examples/$lang/hello" "$project"
        rm -rf "$project/.barrage"
    fi
    start=$(date +%s.%N)
    "$BARRAGE" build "$project" -o "$wasm" 2> "$OUT/lang-build.txt"
    cold=$(seconds_since "$start")
    start=$(date +%s.%N)
    "$BARRAGE" build "$project" -o "$wasm" 2> "$OUT/lang-build.txt"
    warm=$(seconds_since "$start")
    size=$(stat -c %s "$wasm")
    cache=$(mktemp -d)
    compiled=$(BARRAGE_CACHE_DIR="$cache" "$BARRAGE" inspect "$wasm" | awk '/compiled in/ {print $3}')
    inspect=$(BARRAGE_CACHE_DIR="$cache" "$BARRAGE" inspect "$wasm")
    cached=$(echo "$inspect" | awk '/loaded from the cache in/ {print $6}')
    instantiate=$(echo "$inspect" | awk '/a VU instantiates in/ {print $5}')
    rm -rf "$cache"
    "$BARRAGE" run "$wasm" -q -e "TARGET=$TARGET" -e SLEEP=0 -i 1 > /dev/null 2>&1 # into the cache
    one=$(pss_at "$wasm" 1)
    at_n1=$(pss_at "$wasm" "$N1")
    at_n2=$(pss_at "$wasm" "$N2")
    /usr/bin/time -v -o "$OUT/lang-cpu.time" "$BARRAGE" run "$wasm" -q -e "TARGET=$TARGET" \
        -e SLEEP=0 --vus 50 --duration 10s --summary-export "$OUT/lang-cpu.json" \
        > "$OUT/lang-cpu.txt" 2>&1
    read -r cpk reqs < <(cpu_per_k "$(cpu_seconds "$OUT/lang-cpu.time")" "$OUT/lang-cpu.json")
    echo "$lang: component $size bytes; build ${cold}s cold, ${warm}s warm;" \
        "compile $compiled, cached $cached; instantiate $instantiate per VU;" \
        "PSS per VU $(( (at_n1 - one) / (N1 - 1) )) KiB at $N1 VUs," \
        "$(( (at_n2 - one) / (N2 - 1) )) KiB at $N2 VUs (1 VU: $one KiB);" \
        "$cpk CPU-s per 1k requests ($reqs requests), $(echo "scale=2; $cpk / $wrk_cpk" | bc)x wrk"
done
