#!/usr/bin/env bash
# CPU per request with outputs on: Barrage (hello, SLEEP=0, 50 VUs, 10 s)
# with no output, with `--out json`, and with `--out prometheus-rw` into a
# local Prometheus, against wrk in the same round, all on one nginx.
#
#   bench/outputs.sh [ROUNDS]     (default 3)
source "$(dirname "$0")/common.sh"
ROUNDS="${1:-3}"
need wrk wrk
need prometheus prometheus
build
start_nginx

PROM_PORT=19090
rm -rf "$OUT/prometheus"
mkdir -p "$OUT/prometheus"
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$OUT/prometheus/prometheus.yml"
prometheus --config.file="$OUT/prometheus/prometheus.yml" \
    --storage.tsdb.path="$OUT/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" \
    --web.enable-remote-write-receiver > "$OUT/prometheus/log" 2>&1 &
PROM_PID=$!
trap 'kill $PROM_PID 2>/dev/null; stop_nginx' EXIT
until curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null; do sleep 0.1; done


for round in $(seq "$ROUNDS"); do
    /usr/bin/time -v -o "$OUT/wrk.time" wrk -t2 -c50 -d10s "$TARGET" > "$OUT/wrk.txt" 2>&1
    wrk="$(awk '/requests in/ {print $1}' "$OUT/wrk.txt") $(cpu_seconds "$OUT/wrk.time")"
    none=$(run_hello none)
    json=$(run_hello json --out "json=$OUT/samples.json")
    json_size=$(du -m "$OUT/samples.json" | cut -f1)
    rm -f "$OUT/samples.json"
    prw=$(run_hello prw --out "prometheus-rw=http://127.0.0.1:$PROM_PORT/api/v1/write")
    python3 - "$round" "$wrk" "$none" "$json" "$prw" "$json_size" <<'PY'
import sys
r = sys.argv[1]
def per_k(pair):
    reqs, cpu = pair.split()
    return int(reqs) / 10, float(cpu) / int(reqs) * 1000
w_rps, w = per_k(sys.argv[2])
print(f"round {r}: wrk {w_rps:,.0f} req/s {w:.4f} CPU-s/1k")
base = None
for name, pair in zip(["none", "json", "prometheus-rw"], sys.argv[3:6]):
    rps, cpk = per_k(pair)
    base = base or cpk
    print(f"  barrage {name:14} {rps:>9,.0f} req/s {cpk:.4f} CPU-s/1k "
          f"= {cpk / w:.2f}x wrk, {cpk / base:.2f}x no output")
print(f"  (the JSON file was {sys.argv[6]} MB)")
PY
done
