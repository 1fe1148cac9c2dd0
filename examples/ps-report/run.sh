#!/bin/sh
# examples/ps-report/run.sh: the stream of findings.jsonl (three linters'
# findings mixed with a probe and an alert record) rendered by ps-report
# the ways a terminal, a pull request and a CI system want it.
#   examples/ps-report/run.sh [OUTDIR]      (PATH must hold ps-report)
set -eu
here=$(dirname "$0")
out=${1:-.}
in="$here/findings.jsonl"

echo "== ps-report -f text --summary (the errors make it exit 1)"
ps-report -f text --summary "$in" || [ $? -eq 1 ]
echo
echo "== ps-report -f markdown --fail-on never (a job summary)"
ps-report -f markdown --fail-on never "$in"
echo
echo "== ps-report -f github --min-severity warning (pull-request annotations)"
ps-report -f github --min-severity warning --fail-on never "$in"
ps-report -f sarif --fail-on never "$in" >"$out/findings.sarif"
ps-report -f junit --fail-on never "$in" >"$out/findings.junit.xml"
echo
echo "wrote $out/findings.sarif (GitHub code scanning) and $out/findings.junit.xml"
