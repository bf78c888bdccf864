#!/usr/bin/env bash
# Intake and the customer timeline, measured side by side for two builds of voltdesk.
#
#   scripts/bench-compare.sh OLD_BIN_DIR NEW_BIN_DIR [RUNS]
#
# Each BIN_DIR holds a release `voltdesk` and `voltdesk-load` (e.g. target/release of two
# checkouts). For each build: a 100,000-customer database made by that build (gen org, gen
# customers, import, 200,000 orders of history), then RUNS rounds (default 3), alternating
# the builds within a round: intake for 15 s from 32 clients at an unlimited rate (each on a
# fresh copy of the database), then lookups with the latest 50 trace events for 15 s from
# 16 clients. Prints one line per run; BENCHMARKS.md quotes the medians. ONLY=intake or
# ONLY=timeline runs one of the two.
set -euo pipefail

old="${1:?old bin dir}"
new="${2:?new bin dir}"
runs="${3:-3}"
work="$(mktemp -d /tmp/vd-bench.XXXXXX)"
port=18190
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

setup() { # name bin_dir
    local name=$1 bin=$2 db="$work/$1/base.db"
    mkdir -p "$work/$name"
    local V="$bin/voltdesk"
    export VOLTDESK_DATABASE="sqlite://$db"
    (
        cd "$work/$name"
        $V gen org --out org.csv >/dev/null
        $V gen customers --count 100000 --out cust.csv >/dev/null
        $V migrate >/dev/null
        $V import org org.csv >/dev/null 2>&1
        $V import customers cust.csv >/dev/null 2>&1
        $V bench seed-history --orders 200000 --traces-per-order 2 >/dev/null 2>&1
        VOLTDESK_PASSWORD=benchpass123 $V user add bench --role supervisor >/dev/null 2>&1
        $V token create --user bench --name load >token 2>/dev/null
    )
    unset VOLTDESK_DATABASE
}

serve() { # name bin_dir copy -> pid on stdout
    local name=$1 bin=$2 copy=$3
    # The database and its write-ahead log: the last writes of the set-up are in the log.
    for ext in "" -wal -shm; do
        [ -e "$work/$name/base.db$ext" ] && cp "$work/$name/base.db$ext" "$work/$name/$copy.db$ext"
    done
    "$bin/voltdesk" serve --database "sqlite://$work/$name/$copy.db" --listen "127.0.0.1:$port" \
        >"$work/$name/$copy.log" 2>&1 &
    local pid=$!
    sleep 0.2
    kill -0 "$pid" 2>/dev/null || { echo "the server did not start: $(tail -n 3 "$work/$name/$copy.log")" >&2; exit 1; }
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "$pid"
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

field() { grep -E "^$1 " | awk '{print $2}'; }

intake() { # name bin_dir round
    local name=$1 bin=$2 round=$3 pid out
    pid=$(serve "$name" "$bin" "intake$round")
    out=$("$bin/voltdesk-load" intake --url "http://127.0.0.1:$port" --token "$(cat "$work/$name/token")" \
        --clients 32 --duration 15s --accounts 3300000000-3300099999)
    stop "$pid"
    printf 'intake   %-4s round %s  %s orders/s  p99 %s us  errors %s\n' "$name" "$round" \
        "$(field throughput <<<"$out")" "$(field latency_p99 <<<"$out")" "$(field errors <<<"$out")"
}

timeline() { # name bin_dir round
    local name=$1 bin=$2 round=$3 pid out
    pid=$(serve "$name" "$bin" "lookup$round")
    out=$("$bin/voltdesk-load" lookup --url "http://127.0.0.1:$port" --token "$(cat "$work/$name/token")" \
        --by alternate --phones 13800000000-13800099999 --accounts 3300000000-3300099999 \
        --trace-limit 50 --clients 16 --duration 15s)
    stop "$pid"
    printf 'timeline %-4s round %s  %s req/s  %s\n' "$name" "$round" "$(field throughput <<<"$out")" \
        "$(grep -E '^op ' <<<"$out" | sed -E 's/^op ([^:]+):.* p99 ([0-9]+) us.*/\1 p99 \2 us/' | paste -sd ';')"
}

setup old "$old"
setup new "$new"
for round in $(seq 1 "$runs"); do
    if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
    if [ "${ONLY:-intake}" = intake ] || [ -z "${ONLY:-}" ]; then
        for b in $order; do
            if [ "$b" = old ]; then intake old "$old" "$round"; else intake new "$new" "$round"; fi
        done
    fi
    if [ "${ONLY:-timeline}" = timeline ] || [ -z "${ONLY:-}" ]; then
        for b in $order; do
            if [ "$b" = old ]; then timeline old "$old" "$round"; else timeline new "$new" "$round"; fi
        done
    fi
done
rm -rf "$work"
