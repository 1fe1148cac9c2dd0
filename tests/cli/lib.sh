# tests/cli/lib.sh: the small harness every end-to-end test sources.
#
#   . "$(dirname "$0")/lib.sh"
#   run ps-cron '0 1 * * *'          # runs build/bin/ps-cron; sets $rc, files $out/$err
#   expect_status 0 "valid cron exits 0"
#   expect_out_has 'at 01:00' "explains the schedule"
#   finish                            # prints "# NAME: N passed, N failed, N skipped"
#
# Each expect_* counts one test and prints "ok - NAME" or "not ok - NAME"
# with what was seen. A script exits 1 when any test failed.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN="$BUILD/bin" ;; *) BIN="$ROOT/$BUILD/bin" ;; esac
FIX="$ROOT/tests/fixtures"
SHARED="$ROOT/../shared"
T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0
T_SKIP=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ps-test.XXXXXX")
out="$TMP/stdout"
err="$TMP/stderr"
rc=0
export NO_COLOR=1
trap 't_cleanup' EXIT

# Functions registered with on_exit run when the script ends (stop servers).
T_EXIT_HOOKS=()
on_exit() { T_EXIT_HOOKS+=("$*"); }
t_cleanup() {
	local h
	for h in "${T_EXIT_HOOKS[@]+"${T_EXIT_HOOKS[@]}"}"; do eval "$h" || true; done
	rm -rf "$TMP"
}

# run TOOL ARGS...: a ps-* tool from the build, or any command.
run() {
	local cmd=$1
	shift
	if [ -x "$BIN/$cmd" ]; then cmd="$BIN/$cmd"; fi
	"$cmd" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}
# run_in FILE TOOL ARGS...: the same with FILE on stdin.
run_in() {
	local input=$1 cmd=$2
	shift 2
	if [ -x "$BIN/$cmd" ]; then cmd="$BIN/$cmd"; fi
	"$cmd" "$@" >"$out" 2>"$err" <"$input"
	rc=$?
}

pass() { T_PASS=$((T_PASS + 1)); echo "ok - $1"; }
fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
skip() { T_SKIP=$((T_SKIP + 1)); echo "ok - $1 # SKIP ${2:-}"; }

show() {
	printf '#   exit status: %s\n' "$rc"
	printf '#   stdout: %s\n' "$(head -c 600 "$out" | tr '\n' '|')"
	printf '#   stderr: %s\n' "$(head -c 600 "$err" | tr '\n' '|')"
}

expect_status() {
	if [ "$rc" -eq "$1" ]; then pass "$2"; else fail "$2 (expected status $1)"; show; fi
}
expect_out_has() {
	if grep -qF -- "$1" "$out"; then pass "$2"; else fail "$2 (stdout lacks '$1')"; show; fi
}
expect_out_lacks() {
	if grep -qF -- "$1" "$out"; then fail "$2 (stdout has '$1')"; show; else pass "$2"; fi
}
expect_err_has() {
	if grep -qF -- "$1" "$err"; then pass "$2"; else fail "$2 (stderr lacks '$1')"; show; fi
}
expect_err_lacks() {
	if grep -qF -- "$1" "$err"; then fail "$2 (stderr has '$1')"; show; else pass "$2"; fi
}
expect_out_match() {
	if grep -qE -- "$1" "$out"; then pass "$2"; else fail "$2 (stdout does not match /$1/)"; show; fi
}
expect_out_empty() {
	if [ ! -s "$out" ]; then pass "$1"; else fail "$1 (stdout not empty)"; show; fi
}
# expect_eq EXPECTED ACTUAL NAME
expect_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "expected: $1" "actual:   $2"; fi
}
# expect_out_file GOLDEN NAME: stdout equals a golden file.
expect_out_file() {
	if cmp -s "$1" "$out"; then pass "$2"; else
		fail "$2 (stdout differs from $1)"
		diff -u "$1" "$out" | head -30 | sed 's/^/#   /'
	fi
}
# expect_json_lines NAME: every stdout line is a JSON object with type and tool.
expect_json_lines() {
	if python3 - "$out" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)
    assert isinstance(r, dict) and "type" in r and "tool" in r, f"line {n}: {line!r}"
PY
	then pass "$1"; else fail "$1 (stdout is not JSON lines with type and tool)"; show; fi
}
# jq-free field check: json_field EXPR evaluates a Python expression over
# the list `recs` of stdout's JSON lines and prints the result.
json_eval() {
	python3 - "$out" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))
PY
}

# needs_shared: skip the rest of the script when ../shared is absent.
needs_shared() {
	if [ ! -d "$SHARED/corpus" ]; then
		skip "$1" "../shared is not beside the project"
		finish
	fi
}

finish() {
	echo "# $T_NAME: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" -eq 0 ] && exit 0
	exit 1
}
