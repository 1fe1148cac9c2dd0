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
# the machine is shared: say how busy it was (timings mean little above ~1)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"

now() { date +%s.%N; }
# best of 3 runs of "$@" (output discarded): "WALL CPU" in seconds, CPU =
# user + system of the command and its children (the machine may be busy)
best() {
	local bw="" bc="" w c
	for _ in 1 2 3; do
		{ TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>"$TMP/t"
		read -r w u s <"$TMP/t"
		c=$(echo "$u + $s" | bc -l)
		if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc -l)" = 1 ]; then bw=$w; fi
		if [ -z "$bc" ] || [ "$(echo "$c < $bc" | bc -l)" = 1 ]; then bc=$c; fi
	done
	echo "$bw $bc"
}
ratio() { echo "scale=1; $1 / ($2 + 0.0005)" | bc -l; }

read -r ours ours_cpu < <(best "$TOOL" -f json --fail-on never --shellcheck never "${FILES[@]}")
read -r peer peer_cpu < <(best "$PEER" -j "${FILES[@]}")
printf 'whole corpus (%d files), one invocation: ps-lint-dockerfile %.3f s (cpu %.3f s), dockerfilelint %.3f s (cpu %.3f s): %sx wall, %sx cpu\n' \
	"$N" "$ours" "$ours_cpu" "$peer" "$peer_cpu" "$(ratio "$peer" "$ours")" "$(ratio "$peer_cpu" "$ours_cpu")"

SAMPLE=("${FILES[@]:0:25}")
each_ours() { for f in "${FILES[@]}"; do "$TOOL" -f json --fail-on never --shellcheck never "$f"; done; }
each_peer() { for f in "${SAMPLE[@]}"; do "$PEER" -j "$f"; done; }
{ TIMEFORMAT='%R %U %S'; time each_ours >/dev/null 2>&1; } 2>"$TMP/t"; read -r w u s <"$TMP/t"
ours_pf=$(echo "$w / $N" | bc -l); ours_pfc=$(echo "($u + $s) / $N" | bc -l)
{ TIMEFORMAT='%R %U %S'; time each_peer >/dev/null 2>&1; } 2>"$TMP/t"; read -r w u s <"$TMP/t"
peer_pf=$(echo "$w / ${#SAMPLE[@]}" | bc -l); peer_pfc=$(echo "($u + $s) / ${#SAMPLE[@]}" | bc -l)
printf 'one process per file: ps-lint-dockerfile %.4f s/file (cpu %.4f; all %d), dockerfilelint %.4f s/file (cpu %.4f; %d sampled): %sx wall, %sx cpu\n' \
	"$ours_pf" "$ours_pfc" "$N" "$peer_pf" "$peer_pfc" "${#SAMPLE[@]}" "$(ratio "$peer_pf" "$ours_pf")" "$(ratio "$peer_pfc" "$ours_pfc")"

python3 - "$TMP/many" "${FILES[@]}" <<'PY'
import os, sys
out, files = sys.argv[1], sys.argv[2:]
texts = [open(f, "rb").read() for f in files]
for i in range(10000):
    d = os.path.join(out, str(i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%d.Dockerfile" % i), "wb") as f:
        f.write(texts[i % len(texts)])
PY
read -r many many_cpu < <(best "$TOOL" -j 2 -f json --fail-on never --shellcheck never "$TMP/many")
findings=$("$TOOL" -j 2 -f json --fail-on never --shellcheck never "$TMP/many" | wc -l)
printf '10,000 Dockerfiles in one invocation (2 threads): %.3f s wall, %.3f s cpu, %d findings (goal < 1 s)\n' \
	"$many" "$many_cpu" "$findings"
peer10=$(echo "10000 * $peer / $N" | bc -l)
printf 'dockerfilelint on 10,000 at its corpus rate: ~%.1f s: %sx\n' "$peer10" "$(ratio "$peer10" "$many")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
