#!/usr/bin/env bash
# bench/health.sh: ps-health against `xargs -P 100 curl` on the same 1,000
# HTTP targets on loopback (concurrency 100), then a --watch soak that prints
# the resident memory at its start and end, then a short valgrind run.
#
#   N=1000 J=100 SOAK=600 RATE=20 bench/health.sh
#
# Targets: 1,000 probes in <= 1 s wall, peak RSS < 64 MB; flat RSS over the
# soak (SOAK seconds at RATE probes/s; SOAK=0 skips it, VALGRIND=0 skips
# valgrind). The server is bench/http-server.c (one epoll loop: 200 "ok",
# then close), built here with cc; SERVER=python uses
# scripts/http-test-server.py --fast instead (asyncio, one process per core),
# whose per-connection cost bounds both tools at about 1 s. The server is the
# same for both tools, so the ratio is fair.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN="$BUILD/bin" ;; *) BIN="$ROOT/$BUILD/bin" ;; esac
N=${N:-1000}
J=${J:-100}
SOAK=${SOAK:-600}
RATE=${RATE:-20}
VALGRIND=${VALGRIND:-1}
TMP=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

SERVER=${SERVER:-c}
if [ "$SERVER" = python ]; then
	python3 "$ROOT/scripts/http-test-server.py" --fast --workers "$(nproc)" --port-file "$TMP/port" >/dev/null 2>&1 &
else
	${CC:-cc} -O2 -o "$TMP/http-server" "$ROOT/bench/http-server.c"
	"$TMP/http-server" "$TMP/port" >/dev/null 2>&1 &
fi
pids+=($!)
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMP/port")
seq "$N" | sed "s|^|http://127.0.0.1:$PORT/target/|" >"$TMP/urls"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); server: $SERVER"

# best of 3 for each
best() { sort -n | head -1; }
for i in 1 2 3; do
	/usr/bin/time -o "$TMP/t" -f "%e %M %U %S" "$BIN/ps-health" -j "$J" -t 10s $(cat "$TMP/urls") >"$TMP/out"
	ok=$(grep -c '"ok":true' "$TMP/out" || true)
	[ "$ok" -eq "$N" ] || { echo "ps-health: only $ok of $N probes ok" >&2; exit 1; }
	cat "$TMP/t" >>"$TMP/ps"
done
for i in 1; do
	/usr/bin/time -o "$TMP/t" -f "%e %M %U %S" sh -c \
		"xargs -P $J -n 1 curl -s -o /dev/null -m 10 -w '%{http_code}\n' <'$TMP/urls' >'$TMP/codes'"
	ok=$(grep -c '^200$' "$TMP/codes" || true)
	[ "$ok" -eq "$N" ] || { echo "curl: only $ok of $N probes ok" >&2; exit 1; }
	cat "$TMP/t" >>"$TMP/curl"
done
ps_wall=$(cut -d' ' -f1 "$TMP/ps" | best)
ps_rss=$(cut -d' ' -f2 "$TMP/ps" | sort -n | tail -1)
ps_cpu=$(awk '{print $3 + $4}' "$TMP/ps" | best)
cu_wall=$(cut -d' ' -f1 "$TMP/curl" | best)
cu_cpu=$(awk '{print $3 + $4}' "$TMP/curl" | best)
echo "probe $N targets once, concurrency $J (ps-health: best of 3; curl: one run):"
printf '  %-28s %7.2f s wall %7.2f s CPU  peak RSS %6.1f MB\n' ps-health "$ps_wall" "$ps_cpu" "$(echo "$ps_rss / 1024" | bc -l)"
printf '  %-28s %7.2f s wall %7.2f s CPU\n' "xargs -P $J curl" "$cu_wall" "$cu_cpu"
printf '  ratio (curl / ps-health): %.1fx wall, %.1fx CPU\n' \
	"$(echo "$cu_wall / $ps_wall" | bc -l)" "$(echo "$cu_cpu / ($ps_cpu + 0.001)" | bc -l)"
printf '  target <= 1 s wall: %s; peak RSS < 64 MB: %s\n' \
	"$(echo "$ps_wall <= 1" | bc -l | sed 's/1/met/;s/0/MISSED/')" \
	"$(echo "$ps_rss < 65536" | bc -l | sed 's/1/met/;s/0/MISSED/')"

if [ "$SOAK" -gt 0 ]; then
	# RATE probes/s: RATE checks probed once a second
	{
		echo "monitoring:"
		echo "  health_checks:"
		for i in $(seq "$RATE"); do
			printf '    - name: "t%s"\n      url: "/soak/%s"\n      interval: 1s\n      timeout: 2s\n' "$i" "$i"
		done
	} >"$TMP/soak.yml"
	"$BIN/ps-health" --watch --for "${SOAK}s" -c "$TMP/soak.yml" --base-url "http://127.0.0.1:$PORT" \
		--prom-file "$TMP/soak.prom" >"$TMP/soak.out" &
	hp=$!
	pids+=($hp)
	sleep 5
	start=$(awk '/VmRSS/ {print $2}' /proc/$hp/status)
	sleep $((SOAK - 10))
	end=$(awk '/VmRSS/ {print $2}' /proc/$hp/status)
	wait $hp
	n=$(wc -l <"$TMP/soak.out")
	echo "--watch soak: ${SOAK}s at $RATE probes/s: $n probes, RSS at 5s $start kB, at $((SOAK - 5))s $end kB"
fi

if [ "$VALGRIND" = 1 ] && command -v valgrind >/dev/null; then
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		-q "$BIN/ps-health" --watch --for 4s --interval 0.5s -c "$ROOT/examples/monitoring.yml" \
		--base-url "http://127.0.0.1:$PORT" "tcp://127.0.0.1:$PORT" "http://127.0.0.1:1/" \
		>/dev/null 2>"$TMP/vg" && echo "valgrind (4 s --watch, http + tcp + refused): clean" ||
		{ echo "valgrind: errors"; cat "$TMP/vg"; }
fi
