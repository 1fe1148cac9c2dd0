#!/usr/bin/env bash
# tests/run.sh: run every test of ps-toolkit and end with "N passed, N failed".
#   - Check unit suites   build/tests/test_*     (one per lib module)
#   - end-to-end tests    tests/cli/*.sh         (real binaries, real servers)
#   - fuzz smoke runs     build/fuzz/fuzz_*      (libFuzzer, fixed seed, brief)
# Output of each part goes to build/test-logs/; failures are shown in full.
# TESTS="cli/ps-cron unit/test_time" runs a subset.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
logs="$BUILD/test-logs"
# Each part rewrites its own log only, so that runs of different parts at
# the same time do not take each other's logs away.
mkdir -p "$logs"
passed=0
failed=0
skipped=0
failures=()

want() {
	[ -z "${TESTS:-}" ] && return 0
	local t
	for t in $TESTS; do [ "$t" = "$1" ] && return 0; done
	return 1
}

# account LOG NAME STATUS: add a part's counts from its log; the part
# started at $part_start (seconds).
part_start=$SECONDS
account() {
	local log=$1 name=$2 status=$3 p=0 f=0 s=0 line took=$((SECONDS - part_start))
	line=$(grep -E '^(# .*: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/.*\b([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.*\b([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.*\b([0-9]+) skipped.*/\1/p')
	else
		line=$(grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1)
		if [ -n "$line" ]; then
			local c fl er
			c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
			fl=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
			er=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
			f=$((fl + er))
			p=$((c - f))
		fi
	fi
	# A part that crashed or exited non-zero without a failing count
	# is one failure of its own.
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "FAIL $name ($p passed, $f failed, ${took}s) - log: $log"
		grep -E '^not ok|^#  |: (Failure|Error)|ERROR|runtime error|Sanitizer' "$log" | head -40 | sed 's/^/    /'
	else
		printf 'ok   %-40s %4d passed%s (%ds)\n' "$name" "$p" "$( [ "${s:-0}" -gt 0 ] && echo ", $s skipped")" "$took"
	fi
	part_start=$SECONDS
}

export CK_FORK=${CK_FORK:-yes}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n="unit/$(basename "$t")"
	want "$n" || continue
	log="$logs/$(basename "$t").log"
	timeout 600 "$t" >"$log" 2>&1
	account "$log" "$n" $?
done

for t in tests/cli/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	n="cli/$(basename "$t" .sh)"
	want "$n" || continue
	log="$logs/$(basename "$t" .sh).log"
	timeout 1200 bash "$t" >"$log" 2>&1
	account "$log" "$n" $?
done

# Fuzz smoke runs: each target briefly, fixed seed, from its seed corpus.
if [ "${SANITIZE:-}" != 1 ] && [ -z "${TESTS:-}" ] || want fuzz; then
	if make -s fuzz >"$logs/fuzz-build.log" 2>&1; then
		for f in build/fuzz/fuzz_*; do
			[ -x "$f" ] || continue
			name=$(basename "$f")
			corpus="fuzz/corpus/${name#fuzz_}"
			log="$logs/$name.log"
			args=(-seed=1 -runs=${FUZZ_RUNS:-20000} -max_total_time=${FUZZ_SECONDS:-20} -max_len=4096)
			# New inputs go to a scratch folder (libFuzzer writes into
			# the first folder it is given), the seeds are read only.
			scratch=$(mktemp -d)
			if [ -d "$corpus" ]; then
				"$f" "${args[@]}" "$scratch" "$corpus" >"$log" 2>&1
			else
				"$f" "${args[@]}" "$scratch" >"$log" 2>&1
			fi
			st=$?
			rm -rf "$scratch"
			if [ $st -eq 0 ]; then echo "1 passed, 0 failed" >>"$log"; fi
			account "$log" "fuzz/$name" $st
		done
	else
		echo "0 passed, 1 failed" >>"$logs/fuzz-build.log"
		account "$logs/fuzz-build.log" "fuzz/build" 1
	fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
