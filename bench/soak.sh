#!/usr/bin/env bash
# Memory over a long run: Barrage's resident set while it sends millions
# of requests (hello, SLEEP=0, 50 VUs) to nginx, with every sample
# aggregated by tag set, then the aggregation alone over 10 million
# samples. Flat lines are the point: trends are HdrHistograms, not lists.
#
#   bench/soak.sh [SECONDS]     (default 150)
source "$(dirname "$0")/common.sh"
SECONDS_TO_RUN="${1:-150}"
build
start_nginx

"$BARRAGE" run "$HELLO" -q -e "TARGET=$TARGET" -e SLEEP=0 --vus 50 \
    --duration "${SECONDS_TO_RUN}s" --summary-export "$OUT/soak.json" \
    > "$OUT/soak.txt" 2>&1 &
PID=$!
echo "seconds  RSS (MiB)"
for t in $(seq 10 10 "$SECONDS_TO_RUN"); do
    sleep 10
    [ -d "/proc/$PID" ] || break
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
    printf "%7d  %9.1f\n" "$t" "$(echo "$rss / 1024" | bc -l)"
done
wait $PID || true
python3 -c "import json;m=json.load(open('$OUT/soak.json'))['metrics'];print(f\"requests: {int(m['http_reqs']['count']):,}\")"

echo
(cd "$ROOT" && cargo test --release --quiet -p barrage --lib aggregation_memory \
    -- --ignored --nocapture 2>&1 | grep "after")
