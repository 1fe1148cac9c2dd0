#!/usr/bin/env bash
# bench/report.sh: ps-report rendering 1,000,000 finding records to SARIF
# (and, for comparison, to JSON lines and text), with wall time and peak
# resident memory. The renderer streams: peak RSS must stay small and flat
# whatever the number of findings (here: 100k vs 1M records).
#   N=1000000 bench/report.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN="$BUILD/bin/ps-report"
N=${N:-1000000}
[ -x "$BIN" ] || { echo "bench/report.sh: build $BIN first (make)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ps-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# N findings over 2,000 files and 40 rules, with snippets, end positions,
# refs and a fix on some: about what a linter run over a big monorepo says.
gen() {
	awk -v n="$1" 'BEGIN {
		split("error warning info style", sev, " ")
		for (i = 0; i < n; i++) {
			r = i % 40; f = i % 2000
			printf "{\"type\":\"finding\",\"tool\":\"ps-lint-dockerfile\",\"rule\":\"PSD%03d\",\"name\":\"rule-number-%d\",\"severity\":\"%s\",\"file\":\"services/svc%d/Dockerfile\",\"line\":%d,\"column\":%d,\"end_line\":%d,\"end_column\":%d,\"message\":\"finding %d: apt-get install without --no-install-recommends\",", r, r, sev[(i % 4) + 1], f, (i % 500) + 1, (i % 7) + 1, (i % 500) + 1, 40, i
			if (i % 3 == 0) printf "\"fix\":\"add --no-install-recommends\",\"refs\":[\"DL3015\"],"
			printf "\"snippet\":\"RUN apt-get install -y pkg%d\"}\n", i
			if (i % 1000 == 0) printf "{\"type\":\"probe\",\"tool\":\"ps-health\",\"check\":\"api\",\"ok\":true,\"latency_s\":0.12}\n"
		}
	}'
}

# measure LABEL FORMAT INPUT: wall seconds and peak RSS of one run
measure() {
	local label=$1 fmt=$2 input=$3 out rss wall usr sys cpu
	/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$BIN" -f "$fmt" --fail-on never \
		<"$input" >"$TMP/out.$fmt" 2>"$TMP/err" || {
		echo "ps-report failed:" >&2; cat "$TMP/err" >&2; exit 1; }
	read -r wall usr sys rss <"$TMP/time"
	cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	out=$(du -m "$TMP/out.$fmt" | cut -f1)
	# records/s from CPU time: wall time says more about the machine's load
	printf '%-16s %7s s wall %7s s CPU  %7s KiB peak RSS  %5s MiB out  %7s records/CPU-s\n' \
		"$label" "$wall" "$cpu" "$rss" "$out" \
		"$(awk -v n="$4" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? n / c : 0) }')"
	echo "$rss" >"$TMP/rss.$label"
}

small=$((N / 10))
gen "$small" >"$TMP/small.jsonl"
gen "$N" >"$TMP/big.jsonl"
echo "ps-report: $N finding records ($(du -m "$TMP/big.jsonl" | cut -f1) MiB of JSON lines), $(nproc) CPUs, load $(cut -d" " -f1 /proc/loadavg)"
measure "sarif $small" sarif "$TMP/small.jsonl" "$small"
measure "sarif $N" sarif "$TMP/big.jsonl" "$N"
measure "json $N" json "$TMP/big.jsonl" "$N"
measure "text $N" text "$TMP/big.jsonl" "$N"
python3 - "$TMP/out.sarif" "$N" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
run = doc["runs"][0]
assert len(run["results"]) == int(sys.argv[2]), len(run["results"])
assert len(run["tool"]["driver"]["rules"]) == 40
print(f"sarif output checked: {len(run['results'])} results, "
      f"{len(run['tool']['driver']['rules'])} rules")
PY
a=$(cat "$TMP/rss.sarif $small")
b=$(cat "$TMP/rss.sarif $N")
echo "peak RSS for 10x the records: $a KiB -> $b KiB (ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }'); streaming means about 1)"
