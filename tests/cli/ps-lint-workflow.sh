#!/usr/bin/env bash
# ps-lint-workflow end to end: the standards' pipeline gets the findings it
# deserves and the corrected one none; every rule on a crafted workflow;
# discovery of .github/workflows; the corpus; agreement with actionlint's
# expected outputs and zizmor's snapshots on the checks both implement.
. "$(dirname "$0")/lib.sh"
EX="$ROOT/examples"
F="$FIX/ps-lint-workflow"
rules() { json_eval "' '.join(sorted('%s:%d' % (r['rule'], r['line']) for r in recs))"; }

run ps-lint-workflow -f json "$EX/workflow/.github/workflows/ci-cd.yml"
expect_status 0 "the standards' workflow has warnings, no errors"
expect_eq "PSW007:36 PSW007:49 PSW007:57 PSW007:78 PSW008:21 PSW008:36 PSW009:52 PSW009:81 PSW010:1 PSW012:14 PSW012:40 PSW012:69 PSW013:69 PSW022:18 PSW022:21 PSW022:46 PSW022:75" \
	"$(rules)" "standards: unpinned and outdated actions, long-lived AWS keys, no permissions, no timeouts, deploy without concurrency"
run ps-lint-workflow -f text --fail-on style "$EX/workflow-fixed"
expect_status 0 "the corrected workflow passes"
expect_out_has "no findings" "the corrected workflow has no findings"

run ps-lint-workflow -f json "$F"
expect_status 1 "the crafted workflow has errors"
expect_eq "PSW001:47 PSW002:11 PSW003:11 PSW004:31 PSW005:32 PSW006:28 PSW011:23 PSW014:5 PSW014:6 PSW015:29 PSW016:9 PSW017:40 PSW019:30 PSW020:19 PSW021:43 PSW022:23 PSW023:46" \
	"$(rules)" "every rule fires where it should"
expect_out_lacks "hunter2" "a container password is never printed"
expect_out_has 'bad.yml' "a directory yields the workflows under .github/workflows"

# The deploy chain: a deploy that needs the tests through another job passes.
cat >"$TMP/chain.yml" <<'YML'
on: push
permissions: {contents: read}
jobs:
  unit-tests: {runs-on: ubuntu-latest, timeout-minutes: 5, steps: [{run: make test}]}
  package: {needs: unit-tests, runs-on: ubuntu-latest, timeout-minutes: 5, steps: [{run: make}]}
  release: {needs: package, runs-on: ubuntu-latest, timeout-minutes: 5, concurrency: prod, steps: [{run: kubectl apply -f k8s/}]}
YML
run ps-lint-workflow -f json "$TMP/chain.yml"
expect_out_empty "a deploy that needs the tests through another job passes"
sed -i 's/needs: package, //' "$TMP/chain.yml"
run ps-lint-workflow -f json "$TMP/chain.yml"
expect_eq "PSW003:6" "$(rules)" "a deploy that does not need the tests is an error"

if [ -d "$SHARED/corpus/workflow" ]; then
	run ps-lint-workflow -f json --fail-on never "$SHARED"/corpus/workflow/*.y*ml
	expect_status 2 "the corpus has YAML errors on purpose (exit 2), and no crash"
	expect_json_lines "corpus findings are JSON records"
	read -r ok total < <(python3 "$ROOT/tests/agreement/actionlint.py" "$SHARED/corpus/workflow" "$BIN/ps-lint-workflow")
	echo "# actionlint agreement: $ok of $total cases"
	[ $((100 * ok)) -ge $((90 * total)) ] && pass "agreement with actionlint >= 90% ($ok/$total)" ||
		fail "agreement with actionlint >= 90% ($ok/$total)"
	read -r ok total < <(python3 "$ROOT/tests/agreement/zizmor.py" "$SHARED/corpus/workflow" "$BIN/ps-lint-workflow")
	echo "# zizmor agreement: $ok of $total snapshots"
	[ $((100 * ok)) -ge $((90 * total)) ] && pass "agreement with zizmor >= 90% ($ok/$total)" ||
		fail "agreement with zizmor >= 90% ($ok/$total)"
else
	skip "corpus and agreement" "../shared is not beside the project"
fi
finish
