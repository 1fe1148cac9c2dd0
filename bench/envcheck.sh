#!/usr/bin/env bash
# bench/envcheck.sh: ps-envcheck over the env corpus (../shared/corpus/env,
# 84 files) against the npm dotenv-linter of ../shared/peers (a 4-rule
# JavaScript linter, run one file at a time as its README says: it compares
# keys across all the files it is given). Prints both rates and the ratio.
#   PEERS=build/peers ROUNDS=3 bench/envcheck.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN="$BUILD/bin/ps-envcheck"
SHARED=../shared
PEERS=${PEERS:-build/peers}
ROUNDS=${ROUNDS:-3}
[ -x "$BIN" ] || { echo "bench/envcheck.sh: build $BIN first (make)" >&2; exit 2; }
[ -d "$SHARED/corpus/env" ] || { echo "bench/envcheck.sh: ../shared is not beside the project; nothing to measure" >&2; exit 0; }
if [ ! -x "$PEERS/node_modules/.bin/dotenv-linter" ]; then
	echo "installing the peers into $PEERS ..." >&2
	"$SHARED/peers/install" "$PEERS" >/dev/null
fi
PEER="$PEERS/node_modules/.bin/dotenv-linter"

files=()
for f in "$SHARED"/corpus/env/*; do [ -f "$f" ] && files+=("$f"); done
n=${#files[@]}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

# ps-envcheck, one process per file (as the peer runs)
t0=$(now)
for r in $(seq "$ROUNDS"); do
	for f in "${files[@]}"; do "$BIN" -f json --fail-on never "$f" >/dev/null 2>&1 || true; done
done
t1=$(now)
ours=$(rate $((n * ROUNDS)) "$t0" "$t1")

# ps-envcheck, all files in one run
t0=$(now)
for r in $(seq "$ROUNDS"); do
	"$BIN" -f json --fail-on never "${files[@]}" >/dev/null 2>&1 || true
done
t1=$(now)
batch=$(rate $((n * ROUNDS)) "$t0" "$t1")

# the peer, one file per run
t0=$(now)
for f in "${files[@]}"; do "$PEER" "$f" >/dev/null 2>&1 || true; done
t1=$(now)
peer=$(rate "$n" "$t0" "$t1")

# the peer, all files in one run (timing only: it then compares the files'
# keys with each other, so its findings differ)
t0=$(now)
"$PEER" "${files[@]}" >/dev/null 2>&1 || true
t1=$(now)
peer_batch=$(rate "$n" "$t0" "$t1")

echo "env corpus: $n files, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-44s %8s files/s\n' "ps-envcheck (one process per file)" "$ours"
printf '%-44s %8s files/s\n' "ps-envcheck (all files in one run)" "$batch"
printf '%-44s %8s files/s\n' "dotenv-linter npm 0.2.0 (one file per run)" "$peer"
printf '%-44s %8s files/s\n' "dotenv-linter npm 0.2.0 (all files, one run)" "$peer_batch"
awk -v a="$ours" -v b="$peer" -v c="$batch" -v d="$peer_batch" 'BEGIN {
	printf "ratio ps-envcheck/dotenv-linter: %.1fx one file per run, %.1fx all files in one run\n", a / b, c / d }'
