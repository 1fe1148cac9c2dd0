#!/usr/bin/env bash
# bench/alert.sh: ps-alert's evaluation rate over a recorded stream of
# N probe records (default 1,000,000: 10 checks, one probe every 100 ms,
# 3% failures, log-normal latencies), with the standards' two rules
# (error_rate over 5m, response_time_p95 over 5m). Target: >= 500,000
# records per second. Also prints the rate per CPU-second, which depends
# less on how busy the machine is, the same stream through a pipe, and for
# comparison jansson alone parsing the lines into trees on one thread
# (bench/jansson-parse.c, built here with cc): ps-alert read its input
# that way before, which held it under about N times that rate on N cores;
# it now reads the lines with yajl's events (no tree).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN="$BUILD/bin" ;; *) BIN="$ROOT/$BUILD/bin" ;; esac
N=${N:-1000000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$N" "$TMP/probes.jsonl" <<'PY'
import datetime, json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(1)
t0 = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)
checks = ["application", "database", "api", "web", "worker", "cache", "search", "auth", "billing", "queue"]
with open(path, "w") as f:
    for i in range(n):
        c = checks[i % 10]
        t = t0 + datetime.timedelta(milliseconds=100 * i)
        ok = random.random() > 0.03
        lat = round(random.lognormvariate(-3, 0.8), 6)
        f.write(json.dumps({"type": "probe", "tool": "ps-health", "check": c,
            "target": "http://127.0.0.1:8000/health/" + c, "kind": "http", "ok": ok,
            "status": 200 if ok else 503, "latency_s": lat,
            "phases": {"dns": 1.2e-5, "connect": 0.000185, "tls": 0.0, "first_byte": round(lat * 0.9, 6),
                       "transfer": 3.9e-5, "total": lat},
            "attempts": 1, "at": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)},
            separators=(",", ":")) + "\n")
PY
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "stream: $N probe records, $(du -m "$TMP/probes.jsonl" | cut -f1) MB"
rate() { echo "$N / $1" | bc -l | xargs printf '%.0f'; }
${CC:-cc} -O2 -o "$TMP/jansson-parse" "$ROOT/bench/jansson-parse.c" -ljansson
/usr/bin/time -o "$TMP/t" -f "%e %U %S %M" "$BIN/ps-alert" -c "$ROOT/examples/monitoring.yml" \
	"$TMP/probes.jsonl" >"$TMP/alerts" || true
read -r wall user sys rss <"$TMP/t"
cpu=$(echo "$user + $sys" | bc -l)
echo "ps-alert FILE: $wall s wall, $cpu s CPU, peak RSS $((rss / 1024)) MB, $(wc -l <"$TMP/alerts") alert records"
echo "  $(rate "$wall") records/s wall, $(rate "$cpu") records per CPU-second"
/usr/bin/time -o "$TMP/t" -f "%e %U %S %M" sh -c "cat '$TMP/probes.jsonl' | '$BIN/ps-alert' -c '$ROOT/examples/monitoring.yml' >'$TMP/alerts2'" || true
read -r wall2 user2 sys2 rss2 <"$TMP/t"
cmp -s "$TMP/alerts" "$TMP/alerts2" && same="the same alerts" || same="DIFFERENT alerts"
echo "cat FILE | ps-alert: $wall2 s wall: $(rate "$wall2") records/s ($same)"
jp=$("$TMP/jansson-parse" "$TMP/probes.jsonl")
jrate=$(echo "$jp" | sed -n 's/.*CPU: \([0-9]*\) records.*/\1/p')
echo "jansson alone (trees), one thread: $jp"
printf '  ps-alert per CPU-second: %.0f%% of jansson alone\n' "$(echo "100 * $N / $cpu / $jrate" | bc -l)"
printf 'target >= 500,000 records/s: %s\n' "$(echo "$N / $wall >= 500000" | bc -l | sed 's/1/met/;s/0/MISSED/')"
