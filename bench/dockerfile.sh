#!/usr/bin/env bash
# bench/dockerfile.sh: ps-lint-dockerfile against dockerfilelint (the fastest
# Dockerfile peer of ../shared/peers/) on the Dockerfile corpus:
#   1. the whole corpus in one invocation (best of 3 runs each),
#   2. one process per file (a sample of 25 files for the slow peer),
#   3. 10,000 Dockerfiles (the corpus repeated) in one invocation.
# ShellCheck is off (--shellcheck=never): dockerfilelint has no such pass.
# Goal: >= 50x the peer; 10,000 files in under 1 s on 2 cores.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
TOOL="$BUILD/bin/ps-lint-dockerfile"
SHARED="$ROOT/../shared"
CORPUS="$SHARED/corpus/dockerfile"
PEERS="$BUILD/peers"

[ -d "$CORPUS" ] || { echo "bench/dockerfile: ../shared is absent, skipped"; exit 0; }
[ -x "$TOOL" ] || { echo "bench/dockerfile: build $TOOL first (make)"; exit 1; }
if [ ! -x "$PEERS/node_modules/.bin/dockerfilelint" ]; then
	"$SHARED/peers/install" "$PEERS" >/dev/null || { echo "cannot install the peers"; exit 1; }
fi
PEER="$PEERS/node_modules/.bin/dockerfilelint"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mapfile -t FILES < <(find "$CORPUS" -maxdepth 1 -type f | sort)
N=${#FILES[@]}

now() { date +%s.%N; }
# best TIME of 3 runs of "$@" (output discarded)
best() {
	local b="" t0 t1 d
	for _ in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		d=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then b=$d; fi
	done
	echo "$b"
}
ratio() { echo "scale=1; $1 / $2" | bc -l; }

ours=$(best "$TOOL" -f json --fail-on never --shellcheck never "${FILES[@]}")
peer=$(best "$PEER" -j "${FILES[@]}")
printf 'whole corpus (%d files), one invocation: ps-lint-dockerfile %.3f s, dockerfilelint %.3f s: %sx\n' \
	"$N" "$ours" "$peer" "$(ratio "$peer" "$ours")"

SAMPLE=("${FILES[@]:0:25}")
t0=$(now); for f in "${FILES[@]}"; do "$TOOL" -f json --fail-on never --shellcheck never "$f" >/dev/null 2>&1; done; t1=$(now)
ours_pf=$(echo "($t1 - $t0) / $N" | bc -l)
t0=$(now); for f in "${SAMPLE[@]}"; do "$PEER" -j "$f" >/dev/null 2>&1; done; t1=$(now)
peer_pf=$(echo "($t1 - $t0) / ${#SAMPLE[@]}" | bc -l)
printf 'one process per file: ps-lint-dockerfile %.4f s/file (all %d), dockerfilelint %.4f s/file (%d sampled): %sx\n' \
	"$ours_pf" "$N" "$peer_pf" "${#SAMPLE[@]}" "$(ratio "$peer_pf" "$ours_pf")"

mkdir -p "$TMP/many"
i=0
while [ "$i" -lt 10000 ]; do
	for f in "${FILES[@]}"; do
		[ "$i" -ge 10000 ] && break
		d="$TMP/many/$((i / 100))"
		[ -d "$d" ] || mkdir -p "$d"
		ln -s "$f" "$d/$i.Dockerfile"
		i=$((i + 1))
	done
done
many=$(best "$TOOL" -j 2 -f json --fail-on never --shellcheck never "$TMP/many")
findings=$("$TOOL" -j 2 -f json --fail-on never --shellcheck never "$TMP/many" | wc -l)
printf '10,000 Dockerfiles in one invocation (2 threads): %.3f s, %d findings (goal < 1 s)\n' \
	"$many" "$findings"
peer_rate=$(echo "$N / $peer" | bc -l)
printf 'dockerfilelint on 10,000 at its corpus rate: ~%.1f s: %sx\n' \
	"$(echo "10000 / $peer_rate" | bc -l)" "$(ratio "$(echo "10000 / $peer_rate" | bc -l)" "$many")"
