#!/usr/bin/env bash
# Agreement with hadolint: the 1,104 rule cases extracted from hadolint's own
# test suite (../shared/corpus/dockerfile/expected/, format in SOURCES.md) run
# through ps-lint-dockerfile; a case passes when the DL/SC codes in the
# findings' refs satisfy its expect / not_expect / expect_count /
# expect_no_findings. SC* cases count only when shellcheck is installed.
# Goal: at least 95% of the cases whose rules are implemented.
. "$(dirname "$0")/lib.sh"

needs_shared "hadolint rule cases"
CASES="$SHARED/corpus/dockerfile/expected/hadolint__hadolint__rule-cases.jsonl"
[ -f "$CASES" ] || { skip "hadolint rule cases" "no $CASES"; finish; }

python3 - "$BIN/ps-lint-dockerfile" "$CASES" "$TMP" >"$TMP/report" <<'PY'
import json, os, shutil, subprocess, sys

tool, cases_path, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
have_sc = shutil.which("shellcheck") is not None
# The extraction kept hadolint's label schemas as {} (they are built in
# Haskell); these are the schemas the DL3049-DL3058 specs use.
schemas = {
    "DL3049": {"foo": "text"}, "DL3050": {"required": "text"},
    "DL3051": {"emptylabel": "text"}, "DL3052": {"urllabel": "url"},
    "DL3053": {"datelabel": "rfc3339"}, "DL3054": {"spdxlabel": "spdx"},
    "DL3055": {"githash": "hash"}, "DL3056": {"semver": "semver"},
    "DL3058": {"maintainer": "email"},
}
passed = failed = skipped = 0
fails = []
cases = []
for n, line in enumerate(open(cases_path), 1):
    c = json.loads(line)
    rule = c["rule"].split("\n")[-1]
    if rule.startswith("SC") and not have_sc:
        skipped += 1
        continue
    # one directory per case, with its own .hadolint.yaml (found upward)
    # SC* cases in their own tree: ShellCheck runs only there (one
    # shellcheck process per RUN is too slow for all 1,104 cases)
    d = os.path.join(tmp, "sc" if rule.startswith("SC") else "dl", "%04d" % n)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write(c["dockerfile"])
    cfg = c.get("config") or {}
    lines = []
    if "allowedRegistries" in cfg:
        lines.append("trustedRegistries: " + json.dumps(cfg["allowedRegistries"]))
    if "labelSchema" in cfg:
        ls = cfg["labelSchema"] or schemas.get(rule, {})
        lines.append("label-schema: " + json.dumps(ls))
    if cfg.get("strictLabels"):
        lines.append("strict-labels: true")
    if cfg.get("ignoreRules"):
        lines.append("ignored: " + json.dumps(cfg["ignoreRules"]))
    # hadolint's tests run its "ignore"-severity rules too (DL1001, DL3057)
    extra = [r for r in ("DL1001", "DL3057") if r not in (cfg.get("ignoreRules") or [])]
    lines.append("override: {info: %s}" % json.dumps(extra))
    with open(os.path.join(d, ".hadolint.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n" if lines else "{}\n")
    cases.append((c, rule, os.path.join(d, "Dockerfile")))
# all cases of a tree in one invocation
found = {}
status = 0
for tree, sc in (("dl", "never"), ("sc", "auto")):
    if not os.path.isdir(os.path.join(tmp, tree)):
        continue
    p = subprocess.run([tool, "-f", "json", "--fail-on", "never",
                        "--shellcheck", sc,
                        os.path.join(tmp, tree)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        status = p.returncode
        print("# the run failed with status %d: %s" % (p.returncode, p.stderr[:500]))
    for l in p.stdout.splitlines():
        r = json.loads(l)
        if r.get("type") != "finding":
            continue
        for ref in r.get("refs") or []:
            if ref.startswith("DL") or ref.startswith("SC"):
                found.setdefault(r["file"], []).append(ref)
for c, rule, path in cases:
    codes = found.get(path, [])
    have = set(codes)
    def present(code):
        if code == "SC*":
            return any(x.startswith("SC") for x in have)
        if code == "*":
            return bool(have)
        return code in have
    ok = status == 0
    ok = ok and all(present(x) for x in c.get("expect", []))
    ok = ok and not any(present(x) for x in c.get("not_expect", []))
    for code, cnt in (c.get("expect_count") or {}).items():
        ok = ok and codes.count(code) == cnt
    if c.get("expect_no_findings"):
        ok = ok and not have
    if ok:
        passed += 1
    else:
        failed += 1
        fails.append("%s [%s] %s: got %s" % (c["id"], rule, c["it"], sorted(have)))
total = passed + failed
share = 100.0 * passed / total if total else 0.0
for f in fails:
    print("# FAIL " + f)
print("agreement %d/%d = %.1f%% (skipped %d SC cases without shellcheck)" %
      (passed, total, share, skipped))
PY
grep '^# FAIL' "$TMP/report" | head -60
summary=$(grep '^agreement' "$TMP/report")
echo "# $summary"
share=$(echo "$summary" | sed -E 's/.*= ([0-9.]+)%.*/\1/')
if python3 -c "import sys; sys.exit(0 if float('$share') >= 95.0 else 1)"; then
	pass "hadolint agreement $share% >= 95%"
else
	fail "hadolint agreement $share% < 95%"
fi
finish
