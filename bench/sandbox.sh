#!/usr/bin/env bash
# The cost of the sandbox: CPU per request of Barrage (hello, SLEEP=0,
# 50 VUs, 10 s) with the host allowlist and the per-call CPU limit on,
# against the same with both off (`--max-iteration-cpu 0`, no
# `--allow-host`), alternating, on one nginx.
#
#   bench/sandbox.sh [ROUNDS]     (default 3)
source "$(dirname "$0")/common.sh"
ROUNDS="${1:-3}"
build
start_nginx


for round in $(seq "$ROUNDS"); do
    off=$(run_hello off --max-iteration-cpu 0)
    on=$(run_hello on --max-iteration-cpu 60s --allow-host "127.0.0.1:$PORT" --allow-host "*.example.test")
    python3 - "$round" "$off" "$on" <<'PY'
import sys
r = sys.argv[1]
def per_k(pair):
    reqs, cpu = pair.split()
    return int(reqs) / 10, float(cpu) / int(reqs) * 1000
off_rps, off = per_k(sys.argv[2])
on_rps, on = per_k(sys.argv[3])
print(f"round {r}: off {off_rps:,.0f} req/s {off:.4f} CPU-s/1k | "
      f"on {on_rps:,.0f} req/s {on:.4f} CPU-s/1k | sandbox {100 * (on / off - 1):+.1f}%")
PY
done
