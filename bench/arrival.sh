#!/usr/bin/env bash
# The open model's ceiling: the highest constant arrival rate Barrage keeps
# with `schedule_lag` p(99) under 1 ms and nothing dropped. hello with
# SLEEP=0 against nginx, 10 s per rate, rates rising until a rate fails.
#
#   bench/arrival.sh [RATES...]   (default: 2000 5000 10000 15000 20000 25000 30000)
source "$(dirname "$0")/common.sh"
RATES=("${@:-2000 5000 10000 15000 20000 25000 30000}")
build
start_nginx

for rate in ${RATES[*]}; do
    /usr/bin/time -v -o "$OUT/arrival.time" "$BARRAGE" run "$HELLO" -q \
        -e "TARGET=$TARGET" -e SLEEP=0 --rate "$rate" --duration 10s \
        --pre-allocated-vus 100 --max-vus 1000 \
        --summary-trend-stats 'med,p(99),p(99.9),max' \
        --summary-export "$OUT/arrival.json" > "$OUT/arrival.txt" 2>&1
    cpu=$(cpu_seconds "$OUT/arrival.time")
    python3 - "$rate" "$cpu" "$OUT/arrival.json" <<'PY'
import json, sys
rate, cpu, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
m = json.load(open(path))["metrics"]
lag = m["schedule_lag"]
its = m["iterations"]["count"]
dropped = m.get("dropped_iterations", {}).get("count", 0)
ok = lag["p(99)"] < 1.0 and dropped == 0
print(f"rate {rate}/s: {its:,.0f} iterations, {dropped:,.0f} dropped, "
      f"schedule_lag med {lag['med']:.3f} p(99) {lag['p(99)']:.3f} "
      f"p(99.9) {lag['p(99.9)']:.3f} max {lag['max']:.1f} ms, "
      f"VUs {m['vus_max']['value']:.0f}, CPU {cpu:.1f} s: {'kept' if ok else 'NOT kept'}")
PY
done
