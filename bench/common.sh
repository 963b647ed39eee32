# Shared by the benchmarks: build what is measured, start nginx on
# loopback, measure a process's CPU time and memory.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
BARRAGE="$ROOT/target/release/barrage"
HELLO="$ROOT/target/wasm32-wasip2/release/hello.wasm"
PORT="${PORT:-18080}"
TARGET="http://127.0.0.1:$PORT/"

need() {
    command -v "$1" >/dev/null || {
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    }
}

build() {
    (cd "$ROOT" && cargo build --release --quiet -p barrage \
        && cargo build --release --quiet --target wasm32-wasip2 -p hello)
}

# nginx answering every request with a short body, on 127.0.0.1:$PORT.
start_nginx() {
    need nginx nginx-light
    local conf="$OUT/nginx.conf"
    cat > "$conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT reuseport backlog=16384;
        location / { return 200 "hello from nginx\n"; }
    }
}
CONF
    nginx -c "$conf"
    trap stop_nginx EXIT
    sleep 0.5
}

stop_nginx() {
    [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
}

# CPU seconds (user + system) from a `/usr/bin/time -v` report.
cpu_seconds() {
    awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.3f", u + s}' "$1"
}

# Proportional set size of a process in KiB.
pss_kib() {
    awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"
}

# run_hello NAME [ARGS...]: Barrage's `hello` (SLEEP=0, 50 VUs, 10 s)
# against nginx under `/usr/bin/time`; prints "requests cpu-seconds".
run_hello() {
    local name=$1; shift
    /usr/bin/time -v -o "$OUT/$name.time" "$BARRAGE" run "$HELLO" -q \
        -e "TARGET=$TARGET" -e SLEEP=0 --vus 50 --duration 10s \
        --summary-export "$OUT/$name.json" "$@" > "$OUT/$name.txt" 2>&1
    local reqs
    reqs=$(python3 -c "import json;print(int(json.load(open('$OUT/$name.json'))['metrics']['http_reqs']['count']))")
    echo "$reqs $(cpu_seconds "$OUT/$name.time")"
}
