#!/usr/bin/env bash
# The contact centre under load (BENCHMARKS.md section 16): SIPp callers at RATE new calls
# per second, each held HOLD_MS in the queue with RTP both ways (SIPp plays its PCMA capture,
# voltdesk its greeting and hold music), until TOTAL calls were made.
#
#   scripts/bench-sip.sh                 # 50 calls/s, held 10 s (500 at once), 2,500 calls
#   RATE=50 HOLD_MS=12000 TOTAL=3000 scripts/bench-sip.sh
#
# Needs sipp (Debian sip-tester) and a release build (`cargo build --release -p voltdesk`).
# Prints: calls made, answered and failed (SIPp), INVITE → 200 (SIPp's response time 1,
# p50/p99), the server's paced-RTP jitter (its `media` log lines while the most calls were
# up) and its resident memory at that time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATE=${RATE:-50}
HOLD_MS=${HOLD_MS:-10000}
TOTAL=${TOTAL:-2500}
SIP_PORT=${SIP_PORT:-5090}
HTTP_PORT=${HTTP_PORT:-8095}
V=target/release/voltdesk
[ -x "$V" ] || { echo "build first: cargo build --release -p voltdesk" >&2; exit 1; }
command -v sipp >/dev/null || { echo "sipp is missing (apt-get install sip-tester)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n 20000 2>/dev/null || true

"$V" --database "sqlite://$work/bench.db" demo --customers 2000 \
    --listen "127.0.0.1:$HTTP_PORT" --sip "127.0.0.1:$SIP_PORT" --rtp-ports 30000-33999 \
    --ivr-flow bench/sip/hold.toml >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    grep -q "answers SIP" "$work/server.log" 2>/dev/null && break
    kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 1
done

(
    cd "$work"
    sipp "127.0.0.1:$SIP_PORT" -sf "$OLDPWD/bench/sip/caller_hold.xml" -r "$RATE" -l 5000 \
        -m "$TOTAL" -d "$HOLD_MS" -mp 40000 -p 5095 -trace_stat -stf stat.csv -fd 5 \
        -trace_rtt -rtt_freq 1 -nostdin -bg >sipp.out 2>&1 || true  # -bg exits 99
)
peak_rss=0
while pgrep -x sipp >/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
    sleep 2
done
sleep 11   # one more media report

python3 - "$work" "$peak_rss" <<'EOF'
import csv, glob, re, sys
work, peak = sys.argv[1], int(sys.argv[2])
rows = list(csv.reader(open(f"{work}/stat.csv"), delimiter=";"))
d = dict(zip(rows[0], rows[-1]))
print(f"calls made {d['TotalCallCreated']}, answered and ended {d['SuccessfulCall(C)']}, "
      f"failed {d['FailedCall(C)']}, retransmissions {d['Retransmissions(C)']}")
rtt = []
for f in glob.glob(f"{work}/*_rtt.csv"):
    for r in csv.reader(open(f), delimiter=";"):
        if len(r) >= 2 and r[0][:1].isdigit():
            rtt.append(float(r[1]))
rtt.sort()
q = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]
print(f"INVITE -> 200: p50 {q(rtt, .5):.0f} ms, p99 {q(rtt, .99):.0f} ms, max {rtt[-1]:.0f} ms "
      f"({len(rtt)} calls; SIPp counts in whole ms)")
media = []
for line in open(f"{work}/server.log", errors="replace"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    m = re.search(r"media live_calls=(\d+).*frames=(\d+) jitter_p50_us=(\d+) jitter_p99_us=(\d+) jitter_max_us=(\d+)", line)
    if m:
        media.append(tuple(map(int, m.groups())))
top = max(c for c, *_ in media)
plateau = [m for m in media if m[0] >= top * 0.95]
print(f"most calls up at once (server): {top}")
for live, frames, p50, p99, mx in plateau:
    print(f"  10 s at {live} calls: {frames} frames paced, jitter p50 {p50} us, p99 {p99} us, max {mx} us")
p99s = sorted(m[3] for m in plateau)
print(f"jitter p99 over the plateau's 10 s windows: median {p99s[len(p99s)//2]} us, worst {p99s[-1]} us")
print(f"server resident memory, peak: {peak/1024:.0f} MiB")
EOF
