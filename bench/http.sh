#!/usr/bin/env bash
# Requests per second and CPU per request: Barrage (hello, SLEEP=0) against
# wrk, 50 VUs / 50 connections, 10 s each, alternating, on one nginx.
#
#   bench/http.sh [ROUNDS]     (default 3)
source "$(dirname "$0")/common.sh"
ROUNDS="${1:-3}"
need wrk wrk
build
start_nginx

for round in $(seq "$ROUNDS"); do
    /usr/bin/time -v -o "$OUT/wrk.time" wrk -t2 -c50 -d10s "$TARGET" > "$OUT/wrk.txt" 2>&1
    wrk_reqs=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
    wrk_cpu=$(cpu_seconds "$OUT/wrk.time")

    /usr/bin/time -v -o "$OUT/barrage.time" "$BARRAGE" run "$HELLO" -q \
        -e "TARGET=$TARGET" -e SLEEP=0 --vus 50 --duration 10s \
        --summary-export "$OUT/barrage.json" > "$OUT/barrage.txt" 2>&1
    b_reqs=$(python3 -c "import json;print(int(json.load(open('$OUT/barrage.json'))['metrics']['http_reqs']['count']))")
    b_cpu=$(cpu_seconds "$OUT/barrage.time")

    python3 - "$round" "$wrk_reqs" "$wrk_cpu" "$b_reqs" "$b_cpu" <<'PY'
import sys
r, wr, wc, br, bc = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
w_rps, b_rps = wr / 10, br / 10
w_cpk, b_cpk = wc / wr * 1000, bc / br * 1000
print(f"round {r}: wrk {w_rps:,.0f} req/s {w_cpk:.4f} CPU-s/1k | "
      f"barrage {b_rps:,.0f} req/s {b_cpk:.4f} CPU-s/1k | "
      f"throughput {b_rps / w_rps:.2f}x, CPU per request {b_cpk / w_cpk:.2f}x wrk")
PY
done
