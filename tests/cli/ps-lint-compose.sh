#!/usr/bin/env bash
# ps-lint-compose end to end: the standards' compose file gets the findings
# it deserves, the corrected one none; pragmas, .ps-lint.yml, YAML errors,
# directory discovery, formats, the corpus and agreement with dclint.
. "$(dirname "$0")/lib.sh"
EX="$ROOT/examples"
F="$FIX/ps-lint-compose"
unset DATABASE_URL API_KEY DB_NAME DB_USER DB_PASSWORD

# The standards' own file: each finding named, nothing else.
run ps-lint-compose -f json "$EX/compose/docker-compose.yml"
expect_status 0 "warnings alone exit 0 under --fail-on error"
expect_json_lines "findings are JSON records"
got=$(json_eval "' '.join(sorted('%s:%d' % (r['rule'], r['line']) for r in recs))")
want="PSC001:1 PSC004:23 PSC004:33 PSC009:10 PSC009:26 PSC009:27 PSC009:28 PSC009:9 PSC013:23 PSC013:33 PSC013:4"
expect_eq "$want" "$got" "standards' compose file: obsolete version, no healthchecks on database and redis, unset variables, no memory limits"
expect_eq "dclint:no-version-field" "$(json_eval "[r for r in recs if r['rule']=='PSC001'][0]['refs'][0]")" "findings carry the peer's rule in refs"
run ps-lint-compose --fail-on warning "$EX/compose/docker-compose.yml"
expect_status 1 "--fail-on warning fails on the standards' file"
DATABASE_URL=x API_KEY=y DB_NAME=a DB_USER=b DB_PASSWORD=c run ps-lint-compose -f json "$EX/compose/docker-compose.yml"
expect_eq 0 "$(json_eval "sum(r['rule']=='PSC009' for r in recs)")" "variables set in the environment are defined"

# The corrected file: nothing to say.
run ps-lint-compose -f text --fail-on style "$EX/compose-fixed"
expect_status 0 "the corrected compose file passes"
expect_out_has "no findings" "the corrected compose file has no findings"

# Pragmas and configuration.
run ps-lint-compose -f json "$F/pragma.yml"
expect_eq "PSC008 PSC010" "$(json_eval "' '.join(sorted(set(r['rule'] for r in recs)))")" "a pragma hides the rules it names on the service below it"
expect_out_lacks "hunter2" "a literal secret's value is never printed"
expect_status 1 "a literal secret is an error"
mkdir -p "$TMP/conf"
cp "$F/pragma.yml" "$TMP/conf/compose.yaml"
printf 'ignored: [PSC010]\noverride:\n  warning: [literal-secret]\n' >"$TMP/conf/.ps-lint.yml"
run ps-lint-compose -f json "$TMP/conf"
expect_status 0 ".ps-lint.yml overrides the severity of literal-secret"
expect_eq "PSC008:warning" "$(json_eval "' '.join(sorted('%s:%s' % (r['rule'], r['severity']) for r in recs))")" ".ps-lint.yml ignores and overrides rules"
run ps-lint-compose -f json --ignore PSC008,data-port-public "$F/pragma.yml"
expect_out_empty "--ignore takes codes and names"
run ps-lint-compose -f json --enable PSC011 "$F/pragma.yml"
expect_out_has '"PSC011"' "--enable switches on a rule that is off by default"

# Bad input.
run ps-lint-compose -f text "$F/bad-yaml.yml"
expect_status 2 "a YAML syntax error exits 2"
expect_out_match "bad-yaml.yml:4:[0-9]+: error: " "the syntax error names file:line:column"
run ps-lint-compose -f text "$F/dup-key.yml"
expect_status 1 "a duplicate key is an error finding"
expect_out_match 'dup-key.yml:5:5: error: .*duplicate key "restart"' "the duplicate key is named at its position"
run ps-lint-compose "$TMP/no-such-file.yml"
expect_status 2 "a missing file exits 2"
expect_err_has "no-such-file.yml" "the missing file is named"

# Discovery: compose*.y*ml and docker-compose*.y*ml in a tree.
mkdir -p "$TMP/tree/a" "$TMP/tree/b"
cp "$EX/compose-fixed/docker-compose.yml" "$TMP/tree/a/compose.yaml"
cp "$EX/compose-fixed/docker-compose.yml" "$TMP/tree/b/docker-compose.prod.yml"
printf 'services: {x: {image: "a:1"}}\n' >"$TMP/tree/b/other.yml"
run ps-lint-compose -f json --fail-on never --enable PSC026 "$TMP/tree"
expect_eq "a/compose.yaml b/docker-compose.prod.yml" "$(json_eval "' '.join(sorted(set(r['file'].split('/tree/')[1] for r in recs)))")" "a directory yields its compose files only"

# Formats.
run ps-lint-compose -f sarif "$EX/compose/docker-compose.yml"
expect_eq "2.1.0 11" "$(python3 -c "import json,sys; d=json.load(open('$out')); print(d['version'], len(d['runs'][0]['results']))")" "SARIF output carries every finding"
run ps-lint-compose --list-rules
expect_out_has "PSC001" "--list-rules lists the rules"

# Speed and robustness on the real-world corpus, when it is beside the project.
if [ -d "$SHARED/corpus/compose" ]; then
	run ps-lint-compose -f json --fail-on never "$SHARED"/corpus/compose/*.y*ml
	expect_status 0 "every corpus compose file lints without a crash or a parse error"
	expect_json_lines "corpus findings are JSON records"
	# Agreement with dclint's own test cases, on the rules both implement.
	python3 - "$SHARED/corpus/compose/expected/zavoloklom__docker-compose-linter__rule-cases.jsonl" "$BIN/ps-lint-compose" "$TMP" >"$TMP/agree" <<'PY'
import json, subprocess, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
ok = 0
for c in cases:
    path = f"{sys.argv[3]}/case.yml"
    open(path, "w").write(c["compose"])
    p = subprocess.run([sys.argv[2], "-f", "json", "--fail-on", "never", "--enable", "all", path],
                       capture_output=True, text=True)
    recs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    good = True
    for rule, n in c["expect_count"].items():
        got = sum(("dclint:" + rule) in (r.get("refs") or []) for r in recs)
        good &= got == n
    ok += good
    if not good:
        print("# mismatch", c["id"], c["expect_count"], file=sys.stderr)
print(f"{ok} {len(cases)}")
PY
	read -r ok total <"$TMP/agree"
	echo "# dclint agreement: $ok of $total cases ($((100 * ok / total))%)"
	[ $((100 * ok)) -ge $((90 * total)) ] && pass "agreement with dclint's cases >= 90% ($ok/$total)" ||
		fail "agreement with dclint's cases >= 90% ($ok/$total)"
else
	skip "corpus and dclint agreement" "../shared is not beside the project"
fi

finish
