#!/usr/bin/env bash
# bench/dockerfile.sh: ps-lint-dockerfile against dockerfilelint (the fastest
# Dockerfile peer of ../shared/peers/) on the Dockerfile corpus:
#   1. the whole corpus in one invocation, spawned without a shell
#      (bench/spawn-time.c: fastest and median of 10 runs, 5 of the peer,
#      interleaved), and through bash's time as well (best of 3),
#   2. one process per file with xargs -n1 (a sample of 25 files for the
#      slow peer), beside /bin/true through the same xargs as the floor,
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
# (bash's time has millisecond resolution: half a unit keeps 0.000 apart)
ratio() { echo "scale=1; $1 / ($2 + 0.0005)" | bc -l; }
xratio() { echo "scale=1; $1 / $2" | bc -l; }

# Through bash's time, the shell's expansion of the 415 operands (about
# 2 ms here) is charged to each run; spawn-time expands them once and
# times fork, exec and wait only, for both tools.
read -r ours ours_cpu < <(best "$TOOL" -f json --fail-on never --shellcheck never "${FILES[@]}")
read -r peer peer_cpu < <(best "$PEER" -j "${FILES[@]}")
# fastest and median of the samples given (seconds), and the least of the
# cpu figures after them: "MIN MEDIAN CPU" (the median as spawn-time's)
summary() {
	local n=$1
	shift
	printf '%s\n' "${@:1:n}" | sort -g | awk -v n="$n" '{ v[NR - 1] = $1 } END { printf "%s %s", v[0], v[int(n / 2)] }'
	printf ' %s\n' "$(printf '%s\n' "${@:n+1}" | sort -g | head -1)"
}
if cc -O2 -o "$TMP/spawn-time" "$ROOT/bench/spawn-time.c" 2>/dev/null; then
	# Interleaved, five rounds of two runs of ours and one of the peer:
	# a virtual machine's speed can drift by half from one minute to the
	# next, and so both tools are timed in the same stretches of it.
	ow=() oc=() pw=() pc=()
	for _ in 1 2 3 4 5; do
		for _ in 1 2; do
			read -r w _ c < <("$TMP/spawn-time" 1 "$TOOL" -f json --fail-on never --shellcheck never "${FILES[@]}")
			ow+=("$w") oc+=("$c")
		done
		read -r w _ c < <("$TMP/spawn-time" 1 "$PEER" -j "${FILES[@]}")
		pw+=("$w") pc+=("$c")
	done
	read -r s_ours s_ours_med s_ours_cpu < <(summary 10 "${ow[@]}" "${oc[@]}")
	read -r s_peer s_peer_med s_peer_cpu < <(summary 5 "${pw[@]}" "${pc[@]}")
	printf 'whole corpus (%d files), one invocation, no shell: ps-lint-dockerfile %.4f s (median of 10 %.4f, cpu %.4f), dockerfilelint %.3f s (median of 5 %.3f, cpu %.3f), runs interleaved: %sx wall (%sx at the medians), %sx cpu\n' \
		"$N" "$s_ours" "$s_ours_med" "$s_ours_cpu" "$s_peer" "$s_peer_med" "$s_peer_cpu" \
		"$(xratio "$s_peer" "$s_ours")" "$(xratio "$s_peer_med" "$s_ours_med")" "$(xratio "$s_peer_cpu" "$s_ours_cpu")"
	# the floor: fork, exec and exit of a static program given the operands
	if printf 'int main(void) { return 0; }\n' | cc -O2 -static -x c - -o "$TMP/noop" 2>/dev/null; then
		read -r s_noop _ _ < <("$TMP/spawn-time" 10 "$TMP/noop" "${FILES[@]}")
		printf '  floor: a static no-op given the same operands %.4f s\n' "$s_noop"
	fi
fi
printf 'whole corpus (%d files), one invocation, through bash time: ps-lint-dockerfile %.3f s (cpu %.3f s), dockerfilelint %.3f s (cpu %.3f s): %sx wall, %sx cpu\n' \
	"$N" "$ours" "$ours_cpu" "$peer" "$peer_cpu" "$(ratio "$peer" "$ours")" "$(ratio "$peer_cpu" "$ours_cpu")"

# One process per file, spawned by xargs -n1 (what an editor, a hook or
# find -exec does) for both tools; the same harness around /bin/true is the
# floor: process creation alone costs milliseconds on this VM.
SAMPLE=("${FILES[@]:0:25}")
printf '%s\n' "${FILES[@]}" >"$TMP/all"
printf '%s\n' "${SAMPLE[@]}" >"$TMP/sample"
# per_file LIST CMD...: "WALL CPU" seconds per file, xargs -n1 over LIST
per_file() {
	local list=$1 n
	shift
	n=$(wc -l <"$list")
	{ TIMEFORMAT='%R %U %S'; time xargs -d '\n' -n1 "$@" <"$list" >/dev/null 2>&1; } 2>"$TMP/t"
	read -r w u s <"$TMP/t"
	echo "$(echo "$w / $n" | bc -l) $(echo "($u + $s) / $n" | bc -l)"
}
read -r ours_pf ours_pfc < <(per_file "$TMP/all" "$TOOL" -f json --fail-on never --shellcheck never)
read -r floor_pf floor_pfc < <(per_file "$TMP/all" /bin/true)
# /bin/true is linked dynamically, ps-lint-dockerfile statically: a static
# do-nothing program is the floor of the latter
noop_pf=""
if [ -x "$TMP/noop" ] || printf 'int main(void) { return 0; }\n' | cc -O2 -static -x c - -o "$TMP/noop" 2>/dev/null; then
	read -r noop_pf noop_pfc < <(per_file "$TMP/all" "$TMP/noop")
fi
read -r peer_pf peer_pfc < <(per_file "$TMP/sample" "$PEER" -j)
printf 'one process per file (xargs -n1): ps-lint-dockerfile %.4f s/file (cpu %.4f; all %d), dockerfilelint %.4f s/file (cpu %.4f; %d sampled): %sx wall, %sx cpu\n' \
	"$ours_pf" "$ours_pfc" "$N" "$peer_pf" "$peer_pfc" "${#SAMPLE[@]}" "$(ratio "$peer_pf" "$ours_pf")" "$(ratio "$peer_pfc" "$ours_pfc")"
printf '  floor: /bin/true (dynamic) through the same xargs %.4f s/file (cpu %.4f); above it: ps-lint-dockerfile %.4f s/file, dockerfilelint %.4f s/file\n' \
	"$floor_pf" "$floor_pfc" "$(echo "$ours_pf - $floor_pf" | bc -l)" "$(echo "$peer_pf - $floor_pf" | bc -l)"
if [ -n "$noop_pf" ]; then
	printf '  floor: a static no-op through the same xargs %.4f s/file (cpu %.4f); above it: ps-lint-dockerfile %.4f s/file\n' \
		"$noop_pf" "$noop_pfc" "$(echo "$ours_pf - $noop_pf" | bc -l)"
fi
# the same with a bash loop (a fork of bash per file on top of the exec)
each_ours() { for f in "${FILES[@]}"; do "$TOOL" -f json --fail-on never --shellcheck never "$f"; done; }
{ TIMEFORMAT='%R %U %S'; time each_ours >/dev/null 2>&1; } 2>"$TMP/t"; read -r w u s <"$TMP/t"
printf '  bash loop instead of xargs: ps-lint-dockerfile %.4f s/file (cpu %.4f)\n' \
	"$(echo "$w / $N" | bc -l)" "$(echo "($u + $s) / $N" | bc -l)"

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
