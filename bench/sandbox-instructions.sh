#!/usr/bin/env bash
# The sandbox's cost in instructions, which unlike CPU time does not move
# with the machine's load: callgrind counts Barrage's instructions for
# 1,000 and 3,000 requests (hello, one VU) with the host allowlist and the
# call-time limit off and on; the difference between the two runs of each
# is the cost of 2,000 requests, start-up excluded.
#
#   bench/sandbox-instructions.sh
source "$(dirname "$0")/common.sh"
need valgrind valgrind
build
start_nginx

instructions() { # MODE N
    local extra=(--max-iteration-cpu 0)
    [ "$1" = on ] && extra=(--max-iteration-cpu 60s --allow-host "127.0.0.1:$PORT")
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$1.$2" \
        "$BARRAGE" run "$HELLO" -q -e "TARGET=$TARGET" -e SLEEP=0 --vus 1 \
        --iterations "$2" "${extra[@]}" > /dev/null 2> "$OUT/callgrind.$1.$2.log"
    awk '/Collected/ {print $4}' "$OUT/callgrind.$1.$2.log"
}

# The first run compiles the component into the cache; not counted.
instructions off 10 > /dev/null
off=$(( $(instructions off 3000) - $(instructions off 1000) ))
on=$(( $(instructions on 3000) - $(instructions on 1000) ))
python3 -c "
off, on = $off / 2000, $on / 2000
print(f'per request: off {off:,.0f} instructions, on {on:,.0f}: sandbox {100 * (on / off - 1):+.2f}%')"
