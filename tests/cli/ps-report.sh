#!/usr/bin/env bash
# End-to-end tests of ps-report: every format from a fixture stream of
# records, exit statuses, baseline, pass-through, bad input, the example.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

FIXR="$FIX/ps-report"
MIXED="$FIXR/mixed.jsonl"

# ---- the conventions ----
run ps-report --help
expect_status 0 "--help exits 0"
expect_out_has "Usage: ps-report" "--help prints the usage"
run ps-report --version
expect_status 0 "--version exits 0"
expect_out_has "ps-report (ps-toolkit)" "--version names the tool"
run ps-report --no-such-option
expect_status 2 "an unknown option exits 2"
run ps-report -f yaml "$MIXED"
expect_status 2 "an unknown format exits 2"
run ps-report --min-severity fatal "$MIXED"
expect_status 2 "an unknown --min-severity exits 2"
expect_err_has "--min-severity takes" "the message names the option"

# every long option of --help is documented in the man page
run ps-report --help
missing=""
for o in $(grep -oE -- '--[a-z][a-z-]+' "$out" | sort -u); do
	grep -qF -- "Fl -${o#--}" "$ROOT/man/man1/ps-report.1" ||
		grep -qF -- "Fl \\-${o#--}" "$ROOT/man/man1/ps-report.1" || missing="$missing $o"
done
expect_eq "" "$missing" "every long option is in ps-report(1)"

# the committed completions are what the option table generates
for sh in bash zsh fish; do
	case $sh in
	bash) f="$ROOT/completions/bash/ps-report" ;;
	zsh) f="$ROOT/completions/zsh/_ps-report" ;;
	fish) f="$ROOT/completions/fish/ps-report.fish" ;;
	esac
	run ps-report --completion=$sh
	expect_out_file "$f" "the $sh completion is up to date"
done

# ---- formats ----
for fmt in text github gnu markdown checkstyle codeclimate; do
	run ps-report -f $fmt -s "$MIXED"
	expect_status 1 "-f $fmt: errors fail under the default --fail-on error"
	expect_out_file "$FIXR/mixed.$fmt" "-f $fmt: output is the golden file"
done

run ps-report -f text -s "$MIXED"
expect_out_has "3 errors, 1 warning, 1 info, 1 style in 4 files" "text: the summary ends stdout"
expect_out_has "ps-health: probe: check=api" "text: other records show as one line"

printf '%s\n' '{"type":"probe","tool":"x","check":"db","db_password":"hunter2","api_token":"t0k3n"}' >"$TMP/secret.jsonl"
run ps-report -f text "$TMP/secret.jsonl"
expect_out_lacks "hunter2" "text: a value of a secret-looking key is masked"
expect_out_has "db_password=*** api_token=***" "text: masked as ***"

run ps-report -f text --color=always "$MIXED"
expect_out_has "$(printf '\033[1mDockerfile:20:1:\033[0m \033[1;31merror:\033[0m')" "text: --color=always colours position and severity"
run ps-report -f text "$MIXED"
expect_out_lacks "$(printf '\033[')" "text: no colour off a terminal (and with NO_COLOR)"

run ps-report -f json "$MIXED"
expect_status 1 "json: exit 1 on errors"
expect_json_lines "json: every line is a record with type and tool"
expect_eq "6 1 1" "$(json_eval "' '.join(str(sum(r['type'] == t for r in recs)) for t in ('finding', 'probe', 'alert'))")" \
	"json: findings rendered, probe and alert passed through"
expect_eq "True" "$(json_eval "all(len(r['fingerprint']) == 16 for r in recs if r['type'] == 'finding')")" \
	"json: every finding carries a fingerprint"
expect_eq "True" "$(json_eval "[r for r in recs if r['type'] == 'probe'][0] == {'type':'probe','tool':'ps-health','check':'api','target':'https://api.example.com/health','kind':'http','ok':True,'status':200,'latency_s':0.123,'attempts':1,'at':'2026-11-26T10:00:00Z'}")" \
	"json: a passed-through record is unchanged"

# stdin is the default input; not a terminal, so auto means json
run_in "$MIXED" ps-report
expect_json_lines "auto on a pipe renders json lines"

run ps-report -f sarif -s "$MIXED"
expect_status 1 "sarif: exit 1 on errors"
expect_err_has "3 errors, 1 warning, 1 info, 1 style in 4 files" "sarif: the summary goes to stderr"
if python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == "2.1.0", doc["version"]
assert "sarif-schema-2.1.0" in doc["$schema"]
assert len(doc["runs"]) == 1
run = doc["runs"][0]
driver = run["tool"]["driver"]
assert driver["name"] == "ps-toolkit" and driver["version"]
rules = driver["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)) == 6, ids
for r in rules:
    for k in ("shortDescription", "fullDescription", "help"):
        assert r[k]["text"], (r["id"], k)
    assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
results = run["results"]
assert len(results) == 6
for res in results:
    assert res["ruleId"] in ids
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert res["level"] in ("error", "warning", "note")
    assert res["message"]["text"]
    assert len(res["partialFingerprints"]["psFingerprint/v2"]) == 16
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and not loc["artifactLocation"]["uri"].startswith("/")
    assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    if "region" in loc:
        assert loc["region"]["startLine"] >= 1
        assert loc["region"].get("startColumn", 1) >= 1
# the compose finding is about the whole file: no region
assert "region" not in results[5]["locations"][0]["physicalLocation"]
assert results[1]["locations"][0]["physicalLocation"]["region"] == \
    {"startLine": 20, "startColumn": 1, "endLine": 20, "endColumn": 58}
PY
then pass "sarif: structure as GitHub code scanning reads it"; else fail "sarif: structure"; fi

run ps-report -f junit "$MIXED"
expect_status 1 "junit: exit 1 on errors"
if python3 - "$out" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
assert root.get("tests") == "6" and root.get("failures") == "6"
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["Dockerfile", "env/.env.production", "env/.env.staging", "compose/docker-compose.yml"]
assert sum(int(s.get("tests")) for s in suites) == 6
for s in suites:
    cases = s.findall("testcase")
    assert len(cases) == int(s.get("tests")) == int(s.get("failures"))
    for c in cases:
        f = c.find("failure")
        assert f is not None and f.get("message") and f.get("type")
assert "python:3.11-slim" in suites[0].findall("testcase")[1].find("failure").get("message")
PY
then pass "junit: parses with xml.etree, counts agree"; else fail "junit: structure"; fi

run_in /dev/null ps-report -f junit
expect_status 0 "junit: an empty report exits 0"
if python3 - "$out" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall("testsuite/testcase")
assert len(cases) == 1 and cases[0].find("failure") is None
PY
then pass "junit: an empty report is a document with one passing testcase"; else fail "junit: empty report"; fi

run ps-report -f checkstyle "$MIXED"
if python3 -c "import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); assert r.tag == 'checkstyle' and len(r.findall('file/error')) == 6" "$out"; then
	pass "checkstyle: parses, six errors"; else fail "checkstyle: parse"; fi
run ps-report -f codeclimate "$MIXED"
if python3 -c "
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 6
for i in a:
    assert i['description'] and i['check_name'] and i['fingerprint']
    assert i['severity'] in ('info', 'minor', 'major', 'critical', 'blocker')
    assert i['location']['path'] and i['location']['lines']['begin'] >= 1
" "$out"; then pass "codeclimate: a GitLab code quality array"; else fail "codeclimate: structure"; fi

run ps-report -f prom "$FIXR/ops.jsonl"
expect_status 0 "prom: no findings, exit 0"
expect_out_file "$FIXR/ops.prom" "prom: output is the golden file"
if python3 - "$out" <<'PY'
import re, sys
series = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$')
seen_type = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        name = line.split()[2]
        assert name not in seen_type, "family twice: " + name
        seen_type.add(name)
    elif not line.startswith("# HELP "):
        assert series.match(line), line
        assert line.split("{")[0].split(" ")[0] in seen_type, line
PY
then pass "prom: every line is exposition format, one TYPE per family"; else fail "prom: exposition format"; fi
expect_out_has 'probe_success{check="api",kind="http",target="https://api.example.com/health"} 0' "prom: the last probe of a check wins"
expect_out_lacks 'alertname="db-slow"' "prom: a resolved alert drops out of ALERTS"
expect_out_has 'ps_backup_last_success_timestamp_seconds{set="files"} 1795654804' "prom: the time of the last good backup"
run ps-report -f prom --fail-on warning "$MIXED"
expect_status 1 "prom: --fail-on applies to findings"
expect_out_has 'ps_findings{severity="error"} 3' "prom: findings counted by severity"

# ---- fail-on and min-severity ----
grep -v '"severity":"error"' "$MIXED" >"$TMP/noerr.jsonl"
run ps-report -f gnu "$TMP/noerr.jsonl"
expect_status 0 "no errors: exit 0 under --fail-on error"
run ps-report -f gnu --fail-on warning "$TMP/noerr.jsonl"
expect_status 1 "--fail-on warning: a warning fails"
run ps-report -f gnu --fail-on never "$MIXED"
expect_status 0 "--fail-on never: exit 0 with errors"
run ps-report -f gnu --fail-on style --min-severity warning "$TMP/noerr.jsonl"
expect_status 1 "--min-severity warning keeps the warning"
expect_out_lacks "PSE012" "--min-severity warning hides info"
expect_out_lacks "PSC003" "--min-severity warning hides style"
run ps-report -f gnu --fail-on info --min-severity error "$TMP/noerr.jsonl"
expect_status 0 "hidden findings do not fail"
expect_out_empty "--min-severity error: nothing left to show"

# ---- baseline ----
run ps-report -f json --fail-on never "$MIXED"
cp "$out" "$TMP/baseline.jsonl"
# the same findings, moved down by 5 lines, plus a new error
python3 - "$MIXED" >"$TMP/later.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    r = json.loads(line)
    if r["type"] == "finding" and r.get("line"):
        r["line"] += 5
    print(json.dumps(r))
print(json.dumps({"type": "finding", "tool": "ps-envcheck", "rule": "PSE001",
                  "name": "duplicated-key", "severity": "error",
                  "file": "env/.env.production", "line": 30, "column": 1,
                  "message": "duplicated key 'REDIS_URL' (first on line 4)",
                  "snippet": "REDIS_URL=${PROD_REDIS_URL}"}))
PY
run ps-report -f text --baseline "$TMP/baseline.jsonl" -s "$TMP/later.jsonl"
expect_status 1 "--baseline: the new error fails"
expect_out_has "env/.env.production:30:1: error: duplicated key 'REDIS_URL'" "--baseline: the new finding is shown"
expect_out_lacks "PSD015" "--baseline: a known finding that moved is hidden"
expect_out_has "1 error in 1 file (6 hidden by the baseline)" "--baseline: the summary counts hidden findings"
run ps-report -f text --baseline "$TMP/baseline.jsonl" "$MIXED"
expect_status 0 "--baseline: nothing new, exit 0"
expect_out_lacks "error:" "--baseline: every known finding hidden"
# a SARIF report works as a baseline too
run ps-report -f sarif --fail-on never "$MIXED"
cp "$out" "$TMP/baseline.sarif"
run ps-report -f gnu --baseline "$TMP/baseline.sarif" "$TMP/later.jsonl"
expect_status 1 "--baseline FILE.sarif: the new error fails"
expect_eq "1" "$(grep -c . "$out")" "--baseline FILE.sarif: only the new finding is shown"
run ps-report --baseline "$TMP/absent.jsonl" "$MIXED"
expect_status 2 "a missing baseline exits 2"
expect_err_has "absent.jsonl" "the message names the baseline"

# ---- bad input ----
printf '%s\n' '{"type":"finding","tool":"t","rule":"R1","severity":"warning","file":"f","line":1,"message":"first"}' \
	'' '{"type": "finding", oops' '{"type":"finding","tool":"t","rule":"R2","severity":"error","file":"f","line":4,"message":"after"}' \
	>"$TMP/bad.jsonl"
run_in "$TMP/bad.jsonl" ps-report -f gnu
expect_status 2 "a bad line exits 2"
expect_err_has "ps-report: error: stdin:3: invalid JSON" "the message names stdin and the line"
expect_out_has "f:1: warning: first [R1]" "findings before the bad line are rendered"
expect_out_lacks "after" "reading stops at the bad line"
run_in "$TMP/bad.jsonl" ps-report -f gnu --keep-going
expect_status 1 "--keep-going: the status comes from the findings"
expect_err_has "stdin:3: invalid JSON" "--keep-going: the bad line is reported"
expect_err_has "1 bad input line skipped" "--keep-going: the count of skipped lines"
expect_out_has "f:4: error: after [R2]" "--keep-going: findings after the bad line are rendered"
run_in "$TMP/bad.jsonl" ps-report -f sarif
expect_status 2 "a bad line exits 2 with sarif too"
if python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$out"; then
	pass "sarif stays a complete document after a bad line"; else fail "sarif after a bad line"; fi
printf '%s\n' '{"type":"finding","tool":"t","severity":"error","message":"no rule"}' >"$TMP/norule.jsonl"
run ps-report -f json "$TMP/norule.jsonl"
expect_status 2 "a finding without rule exits 2"
expect_err_has "norule.jsonl:1: finding: \"rule\" missing" "the message names file, line and field"
printf '[1,2]\n' >"$TMP/array.jsonl"
run ps-report "$TMP/array.jsonl"
expect_status 2 "a line that is not an object exits 2"
expect_err_has "array.jsonl:1: not a JSON object" "the message says so"
run ps-report "$TMP"
expect_status 2 "a directory as input exits 2"
expect_err_has "is a directory" "the message says so"
run ps-report "$TMP/absent.jsonl"
expect_status 2 "a missing input file exits 2"
expect_err_has "cannot open '$TMP/absent.jsonl'" "the message names the file"
# a last line without a newline and CRLF line ends still read
printf '{"type":"finding","tool":"t","rule":"R","severity":"error","file":"f","line":2,"message":"crlf"}\r\n{"type":"finding","tool":"t","rule":"R","severity":"warning","file":"f","line":3,"message":"last"}' >"$TMP/crlf.jsonl"
run ps-report -f gnu "$TMP/crlf.jsonl"
expect_eq "f:2: error: crlf [R]|f:3: warning: last [R]|" "$(tr '\n' '|' <"$out")" "CRLF and a missing last newline are read"

# ---- several inputs, stdin as "-" ----
head -2 "$MIXED" >"$TMP/a.jsonl"
run_in "$TMP/noerr.jsonl" ps-report -f gnu --fail-on never "$TMP/a.jsonl" -
expect_eq "PSD015 PSD030 PSD015 PSE012 PSC003" "$(grep -oE 'PS[A-Z][0-9]+' "$out" | tr '\n' ' ' | sed 's/ $//')" \
	"FILE and - are read in order"

# ---- output errors ----
if [ -w /dev/full ]; then
	"$BIN/ps-report" -f json "$MIXED" >/dev/full 2>"$err"
	rc=$?
	expect_status 3 "a write error exits 3"
else
	skip "a write error exits 3" "/dev/full is absent"
fi

# ---- the examples of ps-report(1) and examples/ps-report/run.sh ----
run ps-report -f markdown --fail-on never "$ROOT/examples/ps-report/findings.jsonl"
expect_status 0 "the example renders"
expect_out_has "| error | PSD030 | Dockerfile | 20 |" "the example's markdown table"
PATH="$BIN:$PATH" run "$ROOT/examples/ps-report/run.sh" "$TMP"
expect_status 0 "examples/ps-report/run.sh runs"
expect_out_has "3 errors, 1 warning, 1 info, 1 style in 4 files" "the example's text summary"
expect_out_has "::error file=Dockerfile,line=20" "the example's annotations"
if python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$TMP/findings.sarif" &&
	python3 -c "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])" "$TMP/findings.junit.xml"; then
	pass "the example writes SARIF and JUnit files that parse"; else fail "the example's files"; fi

finish
