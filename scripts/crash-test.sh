#!/usr/bin/env bash
# Crash test: "every write the API acknowledged is durable".
#
# Starts the voltdesk server, drives intake load at it with voltdesk-load (every acknowledged
# order appended to an ack log), SIGKILLs the server mid-run, restarts it on the same
# database, and checks that every acknowledged order is there with its clocks and trace,
# and that no idempotency key produced two orders.
#
#   VOLTDESK_SERVER_CMD='target/release/voltdesk serve --database sqlite:///tmp/crash.db --listen 127.0.0.1:18080' \
#   VOLTDESK_TOKEN=... scripts/crash-test.sh
#
# Environment:
#   VOLTDESK_SERVER_CMD  required: runs the server in the foreground, listening on VOLTDESK_URL
#                        (run through `bash -c "exec ..."`; started twice, same database)
#   VOLTDESK_TOKEN       required: bearer token accepted by that server
#   VOLTDESK_URL         default http://127.0.0.1:18080 (loopback only)
#   LOAD                 voltdesk-load binary, default target/release/voltdesk-load
#   KILL_AFTER           seconds of load before the SIGKILL, default 5
#   CLIENTS              default 16;  RATE  requests/s, default unlimited
#   OUT                  directory for logs and the ack log, default a fresh temp dir
set -euo pipefail

: "${VOLTDESK_SERVER_CMD:?set VOLTDESK_SERVER_CMD to the command that runs the server}"
: "${VOLTDESK_TOKEN:?set VOLTDESK_TOKEN}"
export VOLTDESK_TOKEN
VOLTDESK_URL="${VOLTDESK_URL:-http://127.0.0.1:18080}"
export VOLTDESK_URL
LOAD="${LOAD:-target/release/voltdesk-load}"
KILL_AFTER="${KILL_AFTER:-5}"
CLIENTS="${CLIENTS:-16}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/voltdesk-crash.XXXXXX")}"
mkdir -p "$OUT"

log() { printf 'crash-test: %s\n' "$*" >&2; }

hostport="${VOLTDESK_URL#http://}"
hostport="${hostport%%/*}"
host="${hostport%:*}"
port="${hostport##*:}"
case "$host" in
127.0.0.1 | localhost) ;;
*)
    log "VOLTDESK_URL must be http://127.0.0.1:PORT or http://localhost:PORT"
    exit 2
    ;;
esac
[ -x "$LOAD" ] || {
    log "$LOAD not found: cargo build --release -p voltdesk-loadgen"
    exit 2
}

server_pid=""
load_pid=""
cleanup() {
    [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

start_server() {
    bash -c "exec $VOLTDESK_SERVER_CMD" >>"$OUT/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            log "server $server_pid up on port $port"
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            log "server exited; see $OUT/server.log"
            tail -n 20 "$OUT/server.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    log "server did not open port $port within 30 s"
    exit 1
}

log "output in $OUT"
start_server

rate_args=()
[ -n "${RATE:-}" ] && rate_args=(--rate "$RATE")
"$LOAD" intake --clients "$CLIENTS" --duration 120s "${rate_args[@]}" \
    --ack-log "$OUT/acks.log" --json >"$OUT/load.json" 2>"$OUT/load.err" &
load_pid=$!

sleep "$KILL_AFTER"
log "SIGKILL server $server_pid after ${KILL_AFTER}s of load ($(wc -l <"$OUT/acks.log") acks so far)"
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

# voltdesk-load stops by itself once the server has refused connections for 3 s.
wait "$load_pid"
load_pid=""
grep -E '"(stop_reason|count|ok|acked)"' "$OUT/load.json" >&2
grep -q '"stop_reason": "server_unreachable"' "$OUT/load.json" || {
    log "the load run did not notice the server going away"
    exit 1
}

log "restarting the server on the same database"
start_server
log "verifying $(wc -l <"$OUT/acks.log") acknowledged orders"
status=0
"$LOAD" verify --ack-log "$OUT/acks.log" || status=$?
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
if [ $status -eq 0 ]; then
    log "PASS: every acknowledged order survived the crash"
else
    log "FAIL: see above and $OUT"
fi
exit $status
