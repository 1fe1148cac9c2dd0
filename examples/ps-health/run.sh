#!/usr/bin/env bash
# examples/ps-health/run.sh: the standards' monitoring.yml against a local
# test server. One pass first; then ps-health --watch | ps-alert while the
# server fails for a few seconds and recovers: high_error_rate goes pending,
# fires and resolves. The rules' durations are scaled by 0.01 (5m -> 3s) so
# the demo takes seconds, not minutes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PATH="$root/build/bin:$PATH"
config="$root/examples/monitoring.yml"
tmp=$(mktemp -d)
python3 "$root/scripts/http-test-server.py" --port-file "$tmp/port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
base="http://127.0.0.1:$(cat "$tmp/port")"
# the test server switches state on a GET; ps-health is a fine HTTP client
get() { ps-health -f json "$1" >/dev/null; }

echo "== ps-health -c monitoring.yml --base-url $base"
ps-health -f text -c "$config" --base-url "$base"

echo "== ps-health --watch | ps-alert (the server fails from 1s to 5s)"
ps-health --watch --for 12s --interval 0.1s -c "$config" --base-url "$base" |
	ps-alert -f text -c "$config" --time-scale 0.01 &
pipeline=$!
sleep 1
get "$base/flip/fail"
sleep 4
get "$base/flip/ok"
wait $pipeline || true
