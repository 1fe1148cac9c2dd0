#!/usr/bin/env bash
# Agreement of ps-envcheck with dotenv-linter on dotenv-linter's own test
# cases (../shared/corpus/env/expected/, 114 cases):
#   single-check: only that check (--only NAME) on the case's lines;
#   all-checks:   dotenv-linter's default checks on the whole content, the
#                 full list of findings compared by line and check.
# Prints the share that pass and fails below 95%.
. "$(dirname "$0")/lib.sh"

CASES="$SHARED/corpus/env/expected/dotenv-linter__dotenv-linter__check-cases.jsonl"
needs_shared "dotenv-linter agreement"
[ -f "$CASES" ] || { skip "dotenv-linter agreement" "no cases file"; finish; }

report="$TMP/agreement.txt"
if python3 - "$BIN/ps-envcheck" "$CASES" "$TMP" >"$report" <<'PY'; then rc=0; else rc=$?; fi
import json, subprocess, sys, os
binary, cases, tmp = sys.argv[1:4]
# dotenv-linter's default checks (all but SchemaViolation, which needs a schema)
defaults = ("DuplicatedKey,EndingBlankLine,ExtraBlankLine,IncorrectDelimiter,"
            "KeyWithoutValue,LeadingCharacter,LowercaseKey,QuoteCharacter,"
            "SpaceCharacter,SubstitutionKey,TrailingWhitespace,UnorderedKey,"
            "ValueWithoutQuotes")
total = passed = 0
by_check = {}
failures = []
for n, line in enumerate(open(cases)):
    case = json.loads(line)
    total += 1
    if case["mode"] == "single-check":
        content = "\n".join(case["lines"])
        only = case["check"]
    else:
        content = case["content"]
        only = defaults
    path = os.path.join(tmp, "case%d.env" % n)
    with open(path, "w", newline="") as f:
        f.write(content)
    p = subprocess.run([binary, "-f", "json", "--fail-on", "never",
                        "--only", only, path], capture_output=True, text=True)
    got = set()
    for l in p.stdout.splitlines():
        r = json.loads(l)
        if r.get("type") != "finding":
            continue
        refs = r.get("refs") or []
        got.add((r["line"], refs[0] if refs else r["rule"]))
    want = set((e["line"], e["check"]) for e in case["expect"])
    key = case["check"] if case["mode"] == "single-check" else "all-checks"
    ok = p.returncode == 0 and got == want
    b = by_check.setdefault(key, [0, 0])
    b[1] += 1
    if ok:
        passed += 1
        b[0] += 1
    else:
        failures.append("%s: want %s got %s (exit %d)" % (
            case["id"], sorted(want), sorted(got), p.returncode))
for k in sorted(by_check):
    print("%-20s %d/%d" % (k, by_check[k][0], by_check[k][1]))
for f in failures:
    print("FAIL " + f)
share = 100.0 * passed / total
print("agreement: %d/%d cases (%.1f%%)" % (passed, total, share))
sys.exit(0 if share >= 95.0 else 1)
PY
sed 's/^/# /' "$report"
share=$(sed -n 's/^agreement: .*(\(.*\)%)$/\1/p' "$report")
if [ "$rc" -eq 0 ]; then
	pass "dotenv-linter agreement ${share}% >= 95%"
else
	fail "dotenv-linter agreement ${share:-?}% < 95%"
fi
finish
