#!/usr/bin/env bash
# ps-health end to end: a real HTTP server (status codes, delays, hangs,
# flips), a real HTTPS server with a self-signed certificate, refused
# connections and a real PostgreSQL cluster, all on 127.0.0.1 and all
# stopped when the script ends.
. "$(dirname "$0")/lib.sh"

# start_http NAME [server args...]: start scripts/http-test-server.py,
# set NAME_PORT and stop it on exit.
start_http() {
	local name=$1 pf="$TMP/$1.port" i
	shift
	python3 "$ROOT/scripts/http-test-server.py" --port-file "$pf" "$@" >/dev/null 2>"$TMP/$name.log" &
	local pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	printf -v "${name}_PORT" '%s' "$(cat "$pf")"
}
closed_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$1" "$(now)"; }

# ---- the command line ----
run ps-health --help
expect_status 0 "--help exits 0"
expect_out_has "Usage" "--help prints the usage"
run ps-health --version
expect_status 0 "--version exits 0"
run ps-health --no-such-option
expect_status 2 "an unknown option exits 2"
run ps-health -c "$ROOT/examples/monitoring.yml"
expect_status 2 "relative URLs without a base URL exit 2"
expect_err_has 'monitoring.yml:5:' "the error names the url's line"
expect_err_has "needs --base-url or PS_BASE_URL" "and says what is missing"
run ps-health ftp://example.org/
expect_status 2 "an unknown URL scheme exits 2"

start_http web
B="http://127.0.0.1:$web_PORT"

# ---- the standards' monitoring.yml against the test server ----
run ps-health -c "$ROOT/examples/monitoring.yml" --base-url "$B"
expect_status 0 "examples/monitoring.yml: every check healthy exits 0"
expect_json_lines "probe records are JSON lines"
expect_eq "['application', 'database']" "$(json_eval 'sorted(r["check"] for r in recs)')" "one record per check"
expect_eq "True" "$(json_eval 'all(r["type"] == "probe" and r["ok"] and r["status"] == 200 and r["kind"] == "http" for r in recs)')" "both probes ok with status 200"
expect_eq "True" "$(json_eval 'all(set(r["phases"]) >= {"dns","connect","tls","first_byte","total"} for r in recs)')" "records carry the timing phases"
expect_eq "True" "$(json_eval 'all(r["target"].startswith("'"$B"'/health") and r["at"].endswith("Z") and r["attempts"] == 1 for r in recs)')" "target resolved against the base URL, at in UTC"
PS_BASE_URL="$B" run ps-health -c "$ROOT/examples/monitoring.yml"
expect_status 0 "PS_BASE_URL works like --base-url"

# ---- status codes, expectations, latency ----
cat >"$TMP/expect.yml" <<EOF
monitoring:
  health_checks:
    - name: "not-found-expected"
      url: "/status/404"
      expect_status: "404"
    - name: "json-ok"
      url: "/json"
      json_field: "db.up"
      json_equals: "true"
    - name: "body-ok"
      url: "/text"
      body_contains: "hello"
    - name: "head"
      url: "/health"
      method: "head"
      headers:
        X-Probe: "ps-health"
EOF
run ps-health -c "$TMP/expect.yml" --base-url "$B"
expect_status 0 "expected status, JSON field, body and HEAD all healthy"
cat >"$TMP/bad.yml" <<EOF
monitoring:
  health_checks:
    - name: "server-error"
      url: "/status/500"
    - name: "json-wrong"
      url: "/json"
      json_field: "status"
      json_equals: "degraded"
    - name: "body-wrong"
      url: "/text"
      body_contains: "goodbye"
    - name: "slow"
      url: "/delay/0.3"
      max_latency: 100ms
EOF
run ps-health -c "$TMP/bad.yml" --base-url "$B"
expect_status 1 "unhealthy checks exit 1"
expect_eq "status 500, expected 2xx" "$(json_eval '[r["error"] for r in recs if r["check"] == "server-error"][0]')" "a 500 is unhealthy and says why"
expect_out_has 'JSON field status is ok, expected degraded' "a JSON field mismatch says what it got"
expect_out_has 'body does not contain' "a body mismatch is reported"
expect_out_has 'latency 0.3' "a slow answer fails max_latency"
printf 'monitoring:\n  health_checks:\n    - name: x\n      url: /x\n      expect_status: "2xy"\n      intervall: 3s\n' >"$TMP/typo.yml"
run ps-health -c "$TMP/typo.yml" --base-url "$B"
expect_status 2 "an invalid status expectation exits 2"
expect_err_has 'typo.yml:5:' "with the position of the value"
expect_err_has 'did you mean "interval"' "unknown keys get a did-you-mean"

# ---- retries with backoff inside the timeout ----
run ps-health -r 3 -t 5s "$B/flaky/2/a"
expect_status 0 "a target failing twice is healthy with 3 retries"
expect_eq "3" "$(json_eval 'recs[0]["attempts"]')" "it took three attempts"
run ps-health -r 1 -t 5s "$B/flaky/2/b"
expect_status 1 "and unhealthy with 1 retry"
expect_eq "2" "$(json_eval 'recs[0]["attempts"]')" "after two attempts"
CLOSED=$(closed_port)
run ps-health -r 2 -t 5s "http://127.0.0.1:$CLOSED/health"
expect_status 1 "connection refused is unhealthy"
expect_eq "3" "$(json_eval 'recs[0]["attempts"]')" "refused connections are retried"
expect_out_has "onnect" "the error says the connection failed"

# ---- a hung target costs only its own timeout ----
# (times measured by the probes themselves, so a busy machine or a
# sanitizer build does not decide the result)
# ("at" has milliseconds only when they are not zero: fromisoformat takes both)
spread() {
	json_eval '(lambda ts: round(max(ts) - min(ts), 2))([__import__("datetime").datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in recs])'
}
t0=$(now)
run ps-health -t 1s -r 3 -f json "$B/hang" "$B/health" "$B/delay/0.2"
secs=$(elapsed "$t0")
expect_status 1 "a hung target is unhealthy"
expect_eq "True" "$(json_eval '0.9 <= [r for r in recs if r["target"].endswith("/hang")][0]["latency_s"] < 1.5')" "the hung target ends at its 1s timeout, retries included"
expect_eq "True" "$(json_eval 'all(r["latency_s"] < 0.9 for r in recs if not r["target"].endswith("/hang"))')" "the other probes were not held up"
expect_eq "True" "$(python3 -c "print($secs < 5)")" "the whole run stays near the timeout (${secs}s)"
expect_eq "False True True" "$(json_eval '" ".join(str(r["ok"]) for r in sorted(recs, key=lambda r: ("hang" not in r["target"], r["target"])))')" "the other targets are healthy"
expect_out_has "timed out" "the hung target timed out"

# ---- concurrency ----
urls=()
for i in 1 2 3 4 5 6 7 8 9 10; do urls+=("$B/delay/0.5?i=$i"); done
run ps-health -j 10 "${urls[@]}"
expect_status 0 "ten slow targets are healthy"
sp=$(spread)
expect_eq "True" "$(python3 -c "print($sp < 0.45)")" "ten 0.5s probes finish together at -j 10 (spread ${sp}s)"
run ps-health -j 2 "${urls[@]:0:4}"
sp=$(spread)
expect_eq "True" "$(python3 -c "print($sp >= 0.45)")" "-j 2 runs four 0.5s probes in two rounds (spread ${sp}s)"

# ---- HTTPS with a self-signed certificate ----
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" \
		-out "$TMP/cert.pem" 2>/dev/null
	start_http tls --tls "$TMP/cert.pem" "$TMP/key.pem"
	run ps-health "https://127.0.0.1:$tls_PORT/health"
	expect_status 1 "a self-signed certificate fails verification"
	expect_out_has "certificate" "and the error says so"
	run ps-health --cacert "$TMP/cert.pem" "https://127.0.0.1:$tls_PORT/health"
	expect_status 0 "--cacert trusts it, verification still on"
	printf 'monitoring:\n  health_checks:\n    - name: tls\n      url: "https://127.0.0.1:%s/json"\n      ca_file: "%s"\n' "$tls_PORT" "$TMP/cert.pem" >"$TMP/ca.yml"
	run ps-health -c "$TMP/ca.yml"
	expect_status 0 "so does ca_file in the config"
	run ps-health --insecure "https://127.0.0.1:$tls_PORT/health"
	expect_status 0 "--insecure accepts it"
	want=$(python3 - "$(openssl x509 -enddate -noout -in "$TMP/cert.pem" | cut -d= -f2)" <<'PY'
import sys, datetime
t = datetime.datetime.strptime(sys.argv[1].replace("  ", " "), "%b %d %H:%M:%S %Y %Z")
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
)
	expect_eq "$want" "$(json_eval 'recs[0]["tls_expires_at"]')" "the certificate's expiry is reported (openssl agrees)"
	expect_eq "True" "$(json_eval '9 < recs[0]["tls_days_left"] <= 10 and recs[0]["phases"]["tls"] > 0')" "days left and the TLS phase"
	run ps-health -k -f prom "https://127.0.0.1:$tls_PORT/health"
	expect_out_match '^probe_ssl_earliest_cert_expiry\{check="https://127.0.0.1:[0-9]+/health",kind="http"\} [0-9]+$' "the TLS expiry gauge"
else
	skip "HTTPS tests" "openssl is not installed"
fi

# ---- TCP ----
cat >"$TMP/tcp.yml" <<EOF
monitoring:
  health_checks:
    - name: "web-port"
      url: "tcp://127.0.0.1:$web_PORT"
    - name: "web-talks"
      url: "tcp://127.0.0.1:$web_PORT"
      send: "GET /text HTTP/1.0\r\n\r\n"
      expect: "hello world"
EOF
run ps-health -c "$TMP/tcp.yml"
expect_status 0 "tcp connect and send/expect are healthy"
expect_eq "['tcp', 'tcp']" "$(json_eval '[r["kind"] for r in recs]')" "kind tcp"
run ps-health -r 0 "tcp://127.0.0.1:$CLOSED"
expect_status 1 "a closed TCP port is unhealthy"

# ---- PostgreSQL ----
if PG_URL=$("$ROOT/scripts/pg-server.sh" start "$TMP/pg" 2>"$TMP/pg.err"); then
	on_exit "'$ROOT/scripts/pg-server.sh' stop '$TMP/pg'"
	PG_SECRET_URL=${PG_URL/postgres@/postgres:Sup3rS3cret@}
	run ps-health "$PG_SECRET_URL"
	expect_status 0 "a running PostgreSQL is healthy"
	expect_eq "True" "$(json_eval 'recs[0]["kind"] == "postgres" and recs[0]["server_version_num"] >= 150000 and recs[0]["in_recovery"] is False')" "server version and recovery state reported"
	expect_out_lacks "Sup3rS3cret" "the password never appears on stdout"
	expect_err_lacks "Sup3rS3cret" "nor on stderr"
	run ps-health -r 1 -t 2s "postgresql://postgres:Sup3rS3cret@127.0.0.1:$CLOSED/postgres"
	expect_status 1 "an unreachable PostgreSQL is unhealthy"
	expect_out_lacks "Sup3rS3cret" "its failure record hides the password"
else
	skip "PostgreSQL tests" "cannot start PostgreSQL: $(head -c 200 "$TMP/pg.err")"
fi

# ---- local resources ----
run ps-health "disk:/?max_used=100%" "memory:" "load:"
expect_status 0 "disk, memory and load within generous thresholds"
expect_eq "True" "$(json_eval '[r for r in recs if r["kind"] == "disk"][0]["used_pct"] >= 0')" "disk usage reported"
run ps-health "disk:/?min_free=1000000TB"
expect_status 1 "a disk threshold that cannot hold fails"

# ---- output formats ----
run ps-health -f text -c "$ROOT/examples/monitoring.yml" --base-url "$B"
expect_out_has "CHECK" "-f text prints a table"
expect_out_has "2 of 2 checks healthy" "with a summary"
run ps-health -f prom -c "$ROOT/examples/monitoring.yml" --base-url "$B"
expect_out_has '# TYPE response_time histogram' "response_time is a histogram"
expect_out_has 'response_time_bucket{method="GET",endpoint="/health",status_code="200",le="+Inf"} 1' "labelled method, endpoint, status_code"
expect_out_has '# TYPE request_count counter' "request_count is a counter"
expect_out_has 'request_count{method="GET",endpoint="/health/database",status_code="200"} 1' "counted per endpoint"
expect_out_has 'probe_success{check="database",kind="http"} 1' "the success gauge"
run ps-health -c "$ROOT/examples/monitoring.yml" --base-url "$B" --prom-file "$TMP/health.prom"
expect_eq "1" "$(grep -c '^request_count{method="GET",endpoint="/health",status_code="200"} 1$' "$TMP/health.prom")" "--prom-file writes the metrics"
expect_eq "" "$(ls "$TMP" | grep 'health.prom.tmp' || true)" "and leaves no temporary file"

# ---- watch mode ----
t0=$(now)
run ps-health --watch --for 2s --interval 0.2s "$B/health"
secs=$(elapsed "$t0")
expect_status 0 "--watch --for stops cleanly"
expect_eq "True" "$(json_eval '3 <= len(recs) <= 12')" "about one probe every 0.2s"
"$BIN/ps-health" --watch --interval 0.2s -t 30s "$B/hang" "$B/health" >"$TMP/w.out" 2>"$TMP/w.err" &
wpid=$!
sleep 1
t0=$(now)
kill -TERM $wpid
wait $wpid
rc=$?
secs=$(elapsed "$t0")
expect_status 0 "SIGTERM ends --watch with status 0"
expect_eq "True" "$(python3 -c "print($secs < 3.0)")" "at once, even with a 30s hung probe in flight (${secs}s)"
expect_eq "True" "$(python3 -c "import json; r=[json.loads(l) for l in open('$TMP/w.out')]; print(len(r) >= 1 and all(x['ok'] for x in r))")" "healthy records were streamed line by line"

# ---- ps-health --watch | ps-alert: high_error_rate fires and resolves ----
# wait_for FILE TEXT SECS: until FILE contains TEXT.
wait_for() {
	local i
	for i in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
mkfifo "$TMP/probes"
"$BIN/ps-health" --watch --interval 0.1s -c "$ROOT/examples/monitoring.yml" --base-url "$B" \
	>"$TMP/probes" 2>"$TMP/p.err" &
hpid=$!
on_exit "kill $hpid 2>/dev/null"
"$BIN/ps-alert" -c "$ROOT/examples/monitoring.yml" --time-scale 0.01 <"$TMP/probes" \
	>"$TMP/alerts.out" 2>"$TMP/a.err" &
apid=$!
sleep 1
curl -s "$B/flip/fail" >/dev/null
wait_for "$TMP/alerts.out" '"state":"firing"' 30 || true
sleep 1
curl -s "$B/flip/ok" >/dev/null
wait_for "$TMP/alerts.out" '"state":"resolved","severity":"critical","check":"database"' 30 || true
wait_for "$TMP/alerts.out" '"state":"resolved","severity":"critical","check":"application"' 10 || true
kill -TERM $hpid
wait $hpid
expect_status 0 "ps-health --watch ends with status 0 on SIGTERM"
wait $apid
out="$TMP/alerts.out"
expect_eq "['pending', 'firing', 'resolved']" "$(json_eval '[r["state"] for r in recs if r["rule"] == "high_error_rate" and r["check"] == "application"]')" "high_error_rate: pending, firing when the server fails, resolved when it recovers"
expect_eq "['pending', 'firing', 'resolved']" "$(json_eval '[r["state"] for r in recs if r["rule"] == "high_error_rate" and r["check"] == "database"]')" "the same for the database check"
expect_eq "True" "$(json_eval 'all(r["severity"] == "critical" for r in recs if r["rule"] == "high_error_rate")')" "with the rule's severity"

# ---- the example ----
run bash "$ROOT/examples/ps-health/run.sh"
expect_status 0 "examples/ps-health/run.sh runs"
expect_out_has "high_error_rate" "and shows the alert"

finish
