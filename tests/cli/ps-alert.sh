#!/usr/bin/env bash
# ps-alert end to end: recorded probe streams with answers worked out by
# hand (tests/fixtures/ps-alert/README), condition errors with columns, and
# deliveries to a real local HTTP receiver (scripts/http-test-server.py).
. "$(dirname "$0")/lib.sh"

F="$FIX/ps-alert"
CFG="$ROOT/examples/monitoring.yml"

start_http() {
	local name=$1 pf="$TMP/$1.port" i
	shift
	python3 "$ROOT/scripts/http-test-server.py" --port-file "$pf" "$@" >/dev/null 2>"$TMP/$name.log" &
	local pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	printf -v "${name}_PORT" '%s' "$(cat "$pf")"
}
# states: the alerts of stdout as "rule check state at [reminder]" lines
states() {
	python3 - "$out" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("type") == "alert":
        print(r["rule"], r["check"], r["state"], r["at"], *(["reminder"] if r.get("reminder") else []))
PY
}

# ---- the command line ----
run ps-alert --help
expect_status 0 "--help exits 0"
expect_out_has "Usage" "--help prints the usage"
run ps-alert --version
expect_status 0 "--version exits 0"
run ps-alert --no-such-option
expect_status 2 "an unknown option exits 2"
run ps-alert -c "$CFG" --check-config
expect_status 0 "the standards' monitoring.yml loads"
expect_out_has "2 alert rules" "with its two rules"
run ps-alert -c "$TMP/missing.yml" --check-config
expect_status 2 "a missing config exits 2"

# ---- condition errors name the column ----
cat >"$TMP/bad.yml" <<'EOF'
monitoring:
  alerts:
    - name: "typo"
      condition: "eror_rate > 0.05"
    - name: "units"
      condition: "response_time_p95 > 5%"
    - name: "paren"
      condition: "(up == 0 or error_rate > 0.1"
EOF
run ps-alert -c "$TMP/bad.yml" --check-config
expect_status 2 "invalid conditions exit 2"
expect_err_has 'bad.yml:4:19: error: condition: unknown variable "eror_rate" (did you mean "error_rate"?) (column 1' "an unknown variable: file, line, column and a suggestion"
expect_err_has 'bad.yml:6:39:' "the column of the offending number"
expect_err_has 'cannot compare a time with a ratio' "units are checked"
expect_err_has "expected \")\" to close" "an unclosed parenthesis"

# ---- replays with known answers ----
for s in error-rate latency; do
	run ps-alert -c "$CFG" "$F/$s.jsonl"
	expect_eq "$(cat "$F/$s.expected")" "$(states)" "replay $s: the alerts worked out by hand"
	expect_json_lines "replay $s: alert records are JSON lines"
	cp "$out" "$TMP/$s.first"
	run ps-alert -c "$CFG" "$F/$s.jsonl"
	expect_eq "" "$(cmp "$TMP/$s.first" "$out")" "replay $s twice: the same bytes"
done
expect_status 0 "a resolved alert leaves exit status 0"
for s in thresholds keep-firing repeat filters; do
	run ps-alert -c "$F/$s.yml" "$F/$s.jsonl"
	expect_eq "$(cat "$F/$s.expected")" "$(states)" "replay $s: the alerts worked out by hand"
done
expect_status 1 "an alert still firing at the end exits 1"
expect_eq "True" "$(json_eval '8.49 < [r for r in recs if r["rule"] == "cert_expiring"][0]["value"] < 8.5')" "tls_days_left is the alert's value"
run_in "$F/error-rate.jsonl" ps-alert -c "$CFG"
expect_eq "$(cat "$F/error-rate.expected")" "$(states)" "the same from stdin"
run ps-alert -c "$CFG" "$F/error-rate.jsonl"
expect_eq "True" "$(json_eval 'all(r["severity"] == "critical" and r["condition"] == "error_rate > 0.05" and r["since"] == "2026-11-26T12:05:00Z" for r in recs)')" "records carry severity, condition and since"
expect_eq "1.0" "$(json_eval '[r["value"] for r in recs if r["state"] == "firing"][0]')" "and the value that fired"

# ---- --pass ----
run ps-alert -c "$F/filters.yml" "$F/filters.jsonl"
expect_out_lacks '"type":"finding"' "other records are dropped by default"
run ps-alert --pass -c "$F/filters.yml" "$F/filters.jsonl"
expect_out_has '"type":"finding","tool":"ps-lint-compose"' "--pass copies them through untouched"
expect_out_lacks '"type":"probe"' "probe records are consumed"
printf '{"type":"probe"\nnot json\n' >"$TMP/junk.jsonl"
cat "$F/thresholds.jsonl" >>"$TMP/junk.jsonl"
run ps-alert -c "$F/thresholds.yml" "$TMP/junk.jsonl"
expect_err_has "junk.jsonl:1" "a broken line is reported with its position"
expect_eq "$(cat "$F/thresholds.expected")" "$(states)" "and skipped"

# ---- the reader: chunks, long lines, CRLF, pipes, live input ----
# The error-rate stream hidden among 3,200 other records (more than four
# of the reader's 256 KiB chunks), with blank and CRLF lines, one record
# longer than a chunk, a broken line and a bad probe at known lines, and no
# newline after the last line. Read from the file, from a pipe, and from a
# pipe that trickles in pieces that cut lines anywhere, it must give the
# replay's known alerts, every other record passed through in order, and
# the warnings at the right line numbers.
python3 - "$F/error-rate.jsonl" "$TMP/big.jsonl" "$TMP/big.others" "$TMP/big.lines" <<'PY'
import sys
probes = open(sys.argv[1]).read().splitlines()
out, others, n = [], [], 0
def add(line, end="\n", other=False):
    out.append(line + end)
    if other:
        others.append(line)
def other(i, pad=300):
    return '{"type":"finding","tool":"t","n":%d,"pad":"%s"}' % (i, "x" * pad)
bad_line = probe_line = None
for k, p in enumerate(probes):
    for j in range(40):
        i = k * 40 + j
        if i == 1500:
            add(other(i, 700 * 1024), other=True)
        elif i % 13 == 0:
            add("" if i % 2 else "  \t")
        elif i % 7 == 0:
            add(other(i), "\r\n", other=True)
        else:
            add(other(i), other=True)
        if i == 2222:
            add("not json")
            bad_line = len(out)
        if i == 2500:
            add('{"type":"probe","tool":"t"}')
            probe_line = len(out)
    add(p)
add(other(99999), "", other=True)
open(sys.argv[2], "w", newline="").write("".join(out))
open(sys.argv[3], "w").write("\n".join(others) + "\n")
open(sys.argv[4], "w").write("%d %d\n" % (bad_line, probe_line))
PY
read -r bad_line probe_line <"$TMP/big.lines"
# check_big WHAT: stdout and stderr of a run over big.jsonl
check_big() {
	expect_eq "$(cat "$F/error-rate.expected")" "$(states)" "$1: the replay's known alerts"
	python3 - "$out" "$TMP/big.others" >"$TMP/big.cmp" <<'PY'
import sys
got = [l.rstrip("\n") for l in open(sys.argv[1]) if '"type":"alert"' not in l]
want = open(sys.argv[2]).read().splitlines()
print("same" if got == want else "got %d lines, want %d; first difference at %s" % (
    len(got), len(want), next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), "end")))
PY
	expect_eq "same" "$(cat "$TMP/big.cmp")" "$1: every other record passed through, in order, CR dropped"
	expect_err_has "big.jsonl:$bad_line: invalid JSON" "$1: the broken line at its line number"
	expect_err_has "at big.jsonl:$probe_line; skipped" "$1: the bad probe at its line number"
}
cd "$TMP"
run ps-alert --pass -c "$CFG" big.jsonl
check_big "a file"
run_in big.jsonl ps-alert --pass -c "$CFG" -
sed -i "s|stdin:|big.jsonl:|" "$err"
check_big "stdin redirected from the file"
python3 -c 'import sys; sys.stdout.buffer.write(open("big.jsonl", "rb").read())' |
	"$BIN/ps-alert" --pass -c "$CFG" >"$out" 2>"$err"
sed -i "s|stdin:|big.jsonl:|" "$err"
check_big "a pipe"
python3 - big.jsonl <<'PY' | "$BIN/ps-alert" --pass -c "$CFG" >"$out" 2>"$err"
import random, sys, time
data = open(sys.argv[1], "rb").read()
random.seed(7)
i = k = 0
while i < len(data):
    n = random.choice((1, 2, 17, 300, 5000, 70000))
    sys.stdout.buffer.write(data[i:i + n])
    sys.stdout.buffer.flush()
    i += n
    k += 1
    if k % 40 == 0:
        time.sleep(0.002)
PY
sed -i "s|stdin:|big.jsonl:|" "$err"
check_big "a pipe that trickles in pieces"
cd "$ROOT"

# tiny lines: batches are cut at a number of lines, and what is left when
# the input ends still goes out in order
python3 - "$F/error-rate.jsonl" "$TMP/tiny.jsonl" <<'PY'
import sys
probes = open(sys.argv[1]).read().splitlines()
lines = ['{"type":"x"}'] * 30000
lines[24999] = "not json"
lines[5] = probes[0]
open(sys.argv[2], "w").write("\n".join(lines + probes[1:]) + "\n")
PY
run ps-alert -c "$CFG" "$TMP/tiny.jsonl"
expect_eq "$(cat "$F/error-rate.expected")" "$(states)" "30,000 tiny lines, then the probes: the known alerts"
expect_err_has "tiny.jsonl:25000: invalid JSON" "and the broken line at its line number"
run_in "$TMP/tiny.jsonl" ps-alert --pass -c "$CFG"
expect_eq "29998" "$(grep -c '^{"type":"x"}$' "$out")" "every tiny record passed through from stdin"

# live input: alerts leave while the writer still holds the pipe open
mkfifo "$TMP/live"
"$BIN/ps-alert" -c "$CFG" <"$TMP/live" >"$TMP/live.out" 2>"$TMP/live.err" &
lpid=$!
on_exit "kill $lpid 2>/dev/null"
exec 3>"$TMP/live"
cat "$F/error-rate.jsonl" >&3
for i in $(seq 100); do grep -q '"state":"resolved"' "$TMP/live.out" 2>/dev/null && break; sleep 0.1; done
out="$TMP/live.out"
expect_eq "$(cat "$F/error-rate.expected")" "$(states)" "live input: every alert is out before the input ends"
exec 3>&-
wait $lpid
expect_status 0 "and ps-alert ends with the input"

# a reader that stops early stops an endless producer
t0=$(date +%s)
timeout 30 bash -c "yes '{\"type\":\"x\",\"tool\":\"y\"}' | '$BIN/ps-alert' --pass -c '$CFG' | head -n 3" >"$TMP/head.out"
rc=$?
expect_eq "0 3" "$rc $(wc -l <"$TMP/head.out")" "ps-alert --pass | head -n 3 on endless input ends (in $(( $(date +%s) - t0 ))s)"

# ---- text output ----
run ps-alert -f text -c "$CFG" "$F/error-rate.jsonl"
expect_out_has "[FIRING] high_error_rate (critical) on application: error_rate = 1" "-f text reads like a notification"

# ---- delivery: webhook and Alertmanager to a real receiver ----
start_http hook
H="http://127.0.0.1:$hook_PORT"
run ps-alert -c "$CFG" --webhook "$H/hook" --alertmanager "$H" "$F/error-rate.jsonl"
expect_status 0 "delivery does not change the outcome"
curl -s "$H/recorded" >"$TMP/recorded"
out="$TMP/recorded"
expect_eq "2" "$(json_eval 'len([r for r in recs if r["path"] == "/hook"])')" "the webhook got firing and resolved (not pending)"
expect_eq "True" "$(json_eval 'all(r["content_type"] == "application/json" for r in recs)')" "as JSON"
expect_eq "[FIRING] high_error_rate (critical) on application: error_rate = 1 (condition: error_rate > 0.05) since 2026-11-26T12:05:00Z" \
	"$(json_eval '[json.loads(r["body"])["text"] for r in recs if r["path"] == "/hook"][0]')" "with a Slack-compatible text"
expect_eq "firing resolved" "$(json_eval '" ".join(json.loads(r["body"])["alert"]["state"] for r in recs if r["path"] == "/hook")')" "and the alert record"
expect_eq "2" "$(json_eval 'len([r for r in recs if r["path"] == "/api/v2/alerts"])')" "Alertmanager got POST /api/v2/alerts twice"
expect_eq "high_error_rate critical application" "$(json_eval '" ".join(json.loads([r for r in recs if r["path"] == "/api/v2/alerts"][0]["body"])[0]["labels"][k] for k in ("alertname", "severity", "check"))')" "with alertname, severity and check labels"
expect_eq "2026-11-26T12:10:00Z 2026-11-26T12:17:00Z" "$(json_eval '" ".join([json.loads(r["body"])[0]["startsAt"] for r in recs if r["path"] == "/api/v2/alerts"][:1] + [json.loads(r["body"])[0].get("endsAt", "") for r in recs if r["path"] == "/api/v2/alerts"][1:])')" "startsAt when it fired, endsAt when it resolved"

curl -s "$H/hookfail/2" >/dev/null
run ps-alert -c "$F/keep-firing.yml" --webhook "$H/hook/retry" "$F/keep-firing.jsonl"
expect_err_lacks "cannot deliver" "two failed POSTs are retried until one succeeds"
curl -s "$H/recorded" >"$TMP/recorded2"
expect_eq "2" "$(grep -c '"path": "/hook/retry"' "$TMP/recorded2")" "and both alerts arrive"

curl -s "$H/hookfail/100" >/dev/null
run ps-alert -c "$F/keep-firing.yml" --webhook "$H/hook/down" --delivery-retries 1 "$F/keep-firing.jsonl"
expect_status 0 "a receiver that keeps failing is not fatal"
expect_err_has "cannot deliver the alert to webhook" "but it is reported"
expect_err_has "status 500" "with the receiver's answer"
expect_eq "$(cat "$F/keep-firing.expected")" "$(states)" "and the alerts are still written"
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run ps-alert -c "$F/keep-firing.yml" --webhook "http://user:hunter2@127.0.0.1:$CLOSED/x" --delivery-timeout 1s "$F/keep-firing.jsonl"
expect_status 0 "an unreachable receiver is not fatal"
expect_err_has "2 alert deliveries failed" "the failures are counted"
expect_err_lacks "hunter2" "the receiver's password is not printed"

finish
