#!/usr/bin/env python3
"""Agreement of ps-lint-workflow with zizmor's own snapshot tests.

zizmor's integration snapshots (expected output of a zizmor run over one
test workflow) are read for the audits ps-lint-workflow also implements
(MAP below). For every snapshot of a single input file run with the default
persona and configuration, a case passes when, for each of those audits, zizmor reporting it
(at warning level or above) and ps-lint-workflow reporting the matching
rule go together: both or neither. zizmor places some findings on the step
or job rather than on the expression, so lines are not compared.

usage: zizmor.py CORPUS_WORKFLOW_DIR PS_LINT_WORKFLOW [-v]
prints "PASSED TOTAL".
"""
import json
import os
import re
import subprocess
import sys

MAP = {
    "template-injection": {"PSW006"},
    # zizmor's default policy lets actions/* and github/* be pinned to a
    # ref, like ps-lint-workflow's PSW022 (info); others need a SHA.
    "unpinned-uses": {"PSW007"},
    "hardcoded-container-credentials": {"PSW017"},
    "secrets-inherit": {"PSW023"},
}
PREFIX = "woodruffw__zizmor__crates__zizmor__tests__integration__test-data__"


def main():
    corpus, tool = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv
    exp = os.path.join(corpus, "expected")
    passed = total = 0
    for name in sorted(os.listdir(exp)):
        if "zizmor" not in name or not name.endswith(".snap"):
            continue
        text = open(os.path.join(exp, name), encoding="utf-8").read()
        m = re.search(r'^expression: "(.*)"$', text, re.M)
        if not m:
            continue
        expr = m.group(1)
        inputs = re.findall(r'input_under_test\(\\"([^"\\]+)\\"\)', expr)
        if (len(inputs) != 1 or ".args(" in expr or ".config(" in expr
                or not inputs[0].endswith((".yml", ".yaml"))):
            continue
        path = os.path.join(corpus, PREFIX + inputs[0].replace("/", "__"))
        if not os.path.exists(path):
            continue
        want = set()
        for level, audit in re.findall(r"^(error|warning)\[([a-z-]+)\]", text, re.M):
            if audit in MAP:
                want.add(audit)
        p = subprocess.run([tool, "-f", "json", "--fail-on", "never", path],
                           capture_output=True, text=True)
        rules = {json.loads(l).get("rule") for l in p.stdout.splitlines() if l.strip()}
        got = {a for a, ours in MAP.items() if rules & ours}
        total += 1
        if want == got:
            passed += 1
        elif verbose:
            print(f"# {inputs[0]}: zizmor {sorted(want)} ps-lint-workflow {sorted(got)}", file=sys.stderr)
    print(passed, total)


main()
