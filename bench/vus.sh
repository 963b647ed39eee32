#!/usr/bin/env bash
# Memory per VU and start-up time: hello with SLEEP=1 (each VU holds its own
# connection), PSS at 1, 1k and 10k VUs; per VU = (PSS(N) - PSS(1)) / (N - 1).
#
#   bench/vus.sh [COUNTS...]    (default: 1000 10000)
source "$(dirname "$0")/common.sh"
COUNTS=("${@:-1000 10000}")
build
start_nginx
ulimit -n 20000

measure() {
    local vus=$1
    RUST_LOG=barrage=debug "$BARRAGE" run "$HELLO" -q -e "TARGET=$TARGET" -e SLEEP=1 \
        --vus "$vus" --duration 20s > "$OUT/vus-$vus.txt" 2> "$OUT/vus-$vus.err" &
    local pid=$!
    sleep 12
    local pss maps
    pss=$(pss_kib "$pid")
    maps=$(wc -l < "/proc/$pid/maps")
    wait "$pid" || true
    local started
    started=$(grep -o 'took=[^ ]*' "$OUT/vus-$vus.err" | head -1 | cut -d= -f2)
    echo "$vus $pss $maps $started"
}

read -r _ base_pss base_maps _ < <(measure 1)
echo "1 VU: PSS ${base_pss} KiB, ${base_maps} mappings"
for n in ${COUNTS[*]}; do
    read -r _ pss maps started < <(measure "$n")
    per=$(( (pss - base_pss) / (n - 1) ))
    echo "$n VUs: PSS ${pss} KiB, ${per} KiB per VU, ${maps} mappings, VUs started in ${started}"
done
