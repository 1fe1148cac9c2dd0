#!/usr/bin/env python3
"""Agreement of ps-lint-workflow with actionlint's own expected outputs.

For every testdata/{err,examples}/NAME.out of actionlint in the corpus, the
expected lines whose check ps-lint-workflow also implements (the MAP below)
are compared with what ps-lint-workflow reports for NAME.yaml, by line and
check. A case counts when it has such a line on either side; it passes when
both sides list the same checks on the same lines.

usage: actionlint.py CORPUS_WORKFLOW_DIR PS_LINT_WORKFLOW [-v]
prints "PASSED TOTAL" on stdout, mismatches on stderr with -v.
"""
import json
import os
import re
import subprocess
import sys
from collections import Counter

# actionlint (kind, message pattern) -> ps-lint-workflow rule
MAP = [
    ("job-needs", r"cyclic dependencies", "PSW002"),
    ("job-needs", r"needs job .* which does not exist|does not exist in", "PSW001"),
    ("expression", r"potentially untrusted", "PSW006"),
    ("expression", r"undefined variable|undefined function", "PSW005"),
    ("expression", r"while lexing expression|while parsing|unexpected end of input|unexpected token", "PSW004"),
    ("action", r"is too old to run", "PSW008"),
    ("events", r"invalid CRON format|scheduled job runs too frequently", "PSW014"),
    ("deprecated-commands", r"workflow command", "PSW015"),
    ("permissions", r"permission", "PSW016"),
    ("credentials", r"password|credential", "PSW017"),
    ("id", r"invalid (job|step) ID", "PSW018"),
    ("id", r"step ID .* duplicate|duplicate", "PSW019"),
    ("runner-label", r"is unknown", "PSW020"),
    ("syntax-check", r"unexpected key|expected \"[a-z_-]+\" key for", "PSW021"),
    ("events", r"filter is not available for", "PSW021"),
    ("syntax-check", r"step must run script with|\"runs-on\" section is missing in job", "PSW024"),
]
OURS = {rule for _, _, rule in MAP}
LINE = re.compile(r"test\\?\.yaml:(\d+):(\d+): (.*)")


def expected(path):
    out = Counter()
    for raw in open(path, encoding="utf-8"):
        raw = raw.rstrip("\n")
        if not raw:
            continue
        m = LINE.search(raw)
        if not m:
            continue
        line, msg = int(m.group(1)), m.group(3)
        km = re.search(r"\\?\[([a-z-]+)\\?\]/?$", raw)
        kind = km.group(1) if km else None  # some regex lines omit it
        for k, pat, rule in MAP:
            if kind in (k, None) and re.search(pat, msg.replace("\\", "")):
                out[(line, rule)] += 1
                break
    return out


def main():
    corpus, tool = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv
    exp_dir = os.path.join(corpus, "expected")
    passed = total = 0
    for name in sorted(os.listdir(exp_dir)):
        if not (name.startswith("rhysd__actionlint__testdata__") and name.endswith(".out")):
            continue
        yaml = os.path.join(corpus, name[:-4] + ".yaml")
        if not os.path.exists(yaml):
            continue
        want = expected(os.path.join(exp_dir, name))
        p = subprocess.run([tool, "-f", "json", "--fail-on", "never", yaml],
                           capture_output=True, text=True)
        got = Counter()
        for l in p.stdout.splitlines():
            r = json.loads(l)
            if r.get("rule") in OURS:
                got[(r["line"], r["rule"])] += 1
        if not want and not got:
            continue
        total += 1
        # Each expected line is matched once; we may report a check once
        # where actionlint reports it several times on the same line.
        if set(want) == set(got):
            passed += 1
        elif verbose:
            print(f"# {name}: want {sorted(want)} got {sorted(got)}", file=sys.stderr)
    print(passed, total)


main()
