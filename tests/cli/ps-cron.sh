#!/usr/bin/env bash
# ps-cron end to end: expressions on the command line and schedules in the
# standards' configuration files, text and JSON output, error positions and
# exit statuses, time zones, the example script, and a cross-check of next
# fire times against an independent brute-force oracle (Python).
. "$(dirname "$0")/lib.sh"
FX="$FIX/ps-cron"
EX="$ROOT/examples"
A="--after 2026-11-26T14:00:00Z"

# ---- expressions ----
run ps-cron -f text -n 2 $A '0 1 * * *'
expect_status 0 "a valid cron exits 0"
expect_out_has "'0 1 * * *': at 01:00 every day (cron)" "explains 0 1 * * *"
expect_out_has "  2026-11-27T01:00:00Z" "first fire time"
expect_out_has "  2026-11-28T01:00:00Z" "second fire time"
expect_eq 3 "$(wc -l <"$out")" "-n 2 prints two times"

run ps-cron -f text -n 1 $A '*/15 * * * *' 'cron(0 12 * * ? *)' quarterly 'rate(5 minutes)' @weekly
expect_status 0 "several forms at once"
expect_out_has "every 15 minutes (cron)" "step"
expect_out_has "at 12:00 UTC every day (aws-cron)" "AWS cron"
expect_out_has "at 00:00 on day 1 of January, April, July and October (word)" "quarterly"
expect_out_has "every 5 minutes (rate)" "rate"
expect_out_has "  2026-11-26T14:05:00Z" "rate counts from --after"
expect_out_has "at 00:00 every Sunday" "@weekly"

run ps-cron -f json -n 3 $A 'cron(0 10 ? * 3#2 *)'
expect_status 0 "JSON output"
expect_json_lines "JSON lines with type and tool"
expect_eq "True" "$(json_eval "recs == [{'type':'schedule','tool':'ps-cron','expr':'cron(0 10 ? * 3#2 *)','kind':'aws-cron','valid':True,'explain':'at 10:00 UTC on the second Tuesday of every month','next':['2026-12-08T10:00:00Z','2027-01-12T10:00:00Z','2027-02-09T10:00:00Z']}]")" \
	"the JSON record, field by field"

run ps-cron '0 25 * * *'
expect_status 2 "an invalid cron exits 2"
expect_err_has "ps-cron: error: '0 25 * * *': column 3: hour 25 out of range 0-23" "the error names the column"
run ps-cron -f json 'cron(0 12 * * * *)'
expect_status 2 "AWS cron without ? exits 2"
expect_err_has "column 15: day-of-week and day-of-month cannot both be specified in AWS cron; use ? in one of them" "AWS ? rule"
expect_eq "False 15" "$(json_eval "'%s %s' % (recs[0]['valid'], recs[0]['error_column'])")" "the JSON record says invalid, with the column"
run ps-cron 'rate(1 minutes)'
expect_status 2 "rate(1 minutes) is rejected as AWS does"
expect_err_has "column 8: rate: use 'minute' with a value of 1" "singular with 1"
run ps-cron 'rate(5 minute)'
expect_status 2 "rate(5 minute) is rejected"
run ps-cron -f text $A '0 1 * * *' 'dialy'
expect_status 2 "one bad expression among good ones exits 2"
expect_out_has "at 01:00 every day" "the good one is still printed"
expect_err_has "did you mean 'daily'" "did-you-mean for words"

run ps-cron -f text $A '0 0 30 2 *'
expect_status 1 "a schedule that never fires exits 1"
expect_err_has "does not fire within 5 years" "says it never fires"

run ps-cron -f text -n 0 $A 'cron(0 0 L * ? *)'
expect_status 0 "-n 0 only checks"
expect_eq 1 "$(wc -l <"$out")" "-n 0 prints no times"

# ---- time zones ----
run ps-cron -f text -n 2 --tz Europe/Berlin --after 2026-03-28T12:00:00Z '30 2 * * *'
expect_status 0 "--tz"
expect_out_has "  2026-03-29T03:00:00+02:00" "02:30 in the spring-forward gap fires when the clock jumps"
expect_out_has "  2026-03-30T02:30:00+02:00" "then at 02:30 again"
run ps-cron -f json -n 1 --tz America/New_York $A '0 9 * * *'
expect_eq "['2026-11-27T14:00:00Z'] America/New_York" "$(json_eval "'%s %s' % (recs[0]['next'], recs[0]['tz'])")" "JSON times stay UTC"
run ps-cron --tz Mars/Olympus_Mons '0 1 * * *'
expect_status 2 "an unknown zone is a usage error"
expect_err_has "unknown time zone 'Mars/Olympus_Mons'" "names the zone"

# ---- usage ----
run ps-cron
expect_status 2 "no schedule and no -c"
run ps-cron --after yesterday '0 1 * * *'
expect_status 2 "a bad --after"
expect_err_has "--after 'yesterday': column 1" "--after error has a column"
run ps-cron -n many '0 1 * * *'
expect_status 2 "a bad --count"
run ps-cron -f sarif '0 1 * * *'
expect_status 2 "only text and json formats"

# ---- the standards' configuration files ----
run ps-cron -f json -n 2 $A -c "$EX/backup.yml"
expect_status 0 "backup.yml"
expect_eq "3" "$(json_eval "len(recs)")" "three schedules in backup.yml"
expect_eq "0 1 * * *|5|15|backup.database.schedule|at 01:00 every day|2026-11-27T01:00:00Z" \
	"$(json_eval "'|'.join(str(recs[0][k]) for k in ('expr','line','column','path','explain')) + '|' + recs[0]['next'][0]")" \
	"backup.yml's database schedule with its position"

run ps-cron -f json -n 1 $A -c "$EX/serverless/serverless.yml"
expect_status 0 "serverless.yml"
expect_eq "cron(0 12 * * ? *)|aws-cron|at 12:00 UTC every day|2026-11-27T12:00:00Z|functions.dailySummary.events.0.schedule" \
	"$(json_eval "'|'.join([recs[0]['expr'], recs[0]['kind'], recs[0]['explain'], recs[0]['next'][0], recs[0]['path']])")" \
	"serverless.yml's cron(...) event"

run ps-cron -f json -n 2 $A -c "$EX/disaster-recovery.yml"
expect_status 0 "disaster-recovery.yml"
expect_eq "quarterly|word|['2027-01-01T00:00:00Z', '2027-04-01T00:00:00Z']" \
	"$(json_eval "'|'.join([recs[0]['expr'], recs[0]['kind'], str(recs[0]['next'])])")" \
	"disaster-recovery.yml's quarterly drill"

(cd "$EX" && "$BIN/ps-cron" -f text -n 3 --after 2026-11-26T12:00:00Z -c backup.yml >"$out" 2>"$err")
rc=$?
expect_status 0 "backup.yml as text"
expect_out_file "$FX/backup.text" "backup.yml text output matches the golden file"

# ---- other files ----
run ps-cron -f text $A -c "$FX/bad.yml"
expect_status 2 "bad.yml exits 2"
expect_err_has "bad.yml:4:18: error: jobs.nightly.schedule: '0 25 * * *': hour 25 out of range 0-23" "column inside a quoted scalar"
expect_err_has "bad.yml:6:15: error: jobs.reports.schedule: '61 * * * *': minute 61 out of range 0-59" "column of a plain scalar"
expect_err_has "bad.yml:8:29: error: jobs.lambda.schedule: 'cron(0 12 * * * *)': day-of-week and day-of-month cannot both be specified" "column inside cron(...)"
expect_out_has "jobs.ok.schedule: 'daily': at 00:00 every day" "the valid schedule of the file is still shown"

run ps-cron -f json -n 1 $A -c "$FX/serverless.yml"
expect_status 0 "serverless events: strings, rate: mappings and lists"
expect_eq "['rate(5 minutes)', 'cron(0 8 ? * MON-FRI *)', 'rate(1 hour)', 'cron(15 10 ? * 6L *)']" \
	"$(json_eval "[r['expr'] for r in recs]")" "every schedule form of serverless.yml"
expect_err_has "1 schedule with \${...} references or placeholders not checked" "references are skipped and counted"

run ps-cron -f text $A -c "$FX/serverless-bad.yml"
expect_status 2 "bad serverless rates"
expect_err_has "serverless-bad.yml:5:26: error: functions.poll.events.0.schedule: 'rate(1 minutes)'" "rate(1 minutes) in a file"
expect_err_has "serverless-bad.yml:8:22: error: functions.poll.events.1.schedule.rate.0: 'rate(5 minute)'" "in a rate: list"
expect_err_has "serverless-bad.yml:9:29:" "cron with two ? in a rate: list"

run ps-cron -f json -n 1 $A -c "$FX/workflow/nightly.yml"
expect_status 0 "GitHub workflow schedules"
expect_eq "['30 5 * * 1-5', '0 0 1 * *']" "$(json_eval "[r['expr'] for r in recs]")" "on.schedule[].cron"

run ps-cron -f text -n 2 --after 2026-03-28T12:00:00Z -c "$FX/workflow/zones.yml"
expect_status 2 "workflow schedules with time zones"
expect_out_has "  2026-03-29T03:00:00+02:00" "a timezone: beside the cron is used"
expect_err_has "zones.yml:7:17: error: on.schedule.1.cron: '0 9 * * 1-5': unknown time zone 'Mars/Olympus_Mons'" "an unknown timezone: is an error at its position"
expect_err_has "1 schedule with \${...} references or placeholders not checked" "\$cron-weekly placeholders are skipped"

run ps-cron -f json -n 1 $A -c "$FX/openwhisk.yml"
expect_status 2 "a non-AWS serverless provider"
expect_eq "cron(*/10 * * * *)|cron|every 10 minutes" "$(json_eval "'|'.join([recs[0]['expr'], recs[0]['kind'], recs[0]['explain']])")" \
	"OpenWhisk's cron(...) holds 5 fields"
expect_err_has "openwhisk.yml:12:35: error: functions.bad.events.0.schedule: 'cron(0 12 * * ? *)': expected 5 fields (minute hour day-of-month month day-of-week), got 6 [PSC001]" \
	"an AWS cron under OpenWhisk is an error at the sixth field"

run ps-cron -f text $A -c "$FX/never.yml"
expect_status 1 "a file schedule that never fires exits 1"
run ps-cron -f text $A -c "$FX/none.yml"
expect_status 0 "a file without schedules"
expect_err_has "no schedule found" "says so"
run ps-cron -c "$TMP/missing.yml"
expect_status 2 "a missing file"
expect_err_has "cannot open" "says it cannot open it"
printf 'x: [\n' >"$TMP/broken.yml"
run ps-cron -c "$TMP/broken.yml"
expect_status 2 "a YAML syntax error"
expect_err_has "broken.yml:2:1: error:" "with its position"

# ---- the example ----
export PS_CRON="$BIN/ps-cron"
run "$EX/ps-cron.sh"
expect_status 0 "examples/ps-cron.sh runs"
expect_out_has "backup.yml:5:15: backup.database.schedule: '0 1 * * *': at 01:00 every day (cron)" "the example explains backup.yml"
expect_out_has "  2026-11-27T01:00:00+01:00" "the example shows Berlin time"
expect_out_has '"expr":"cron(0 12 * * ? *)"' "the example's serverless record"
expect_out_has "disaster_recovery.testing.schedule: 'quarterly'" "the example's drill schedule"

# ---- cross-check against an independent oracle ----
python3 "$FX/oracle.py" gen 20261126 250 >"$TMP/exprs"
mapfile -t exprs <"$TMP/exprs"
"$BIN/ps-cron" -f json -n 5 $A "${exprs[@]}" >"$out" 2>"$err"
python3 "$FX/oracle.py" 2026-11-26T14:00:00Z <"$out" >"$TMP/oracle" 2>&1
oracle_rc=$?
if [ "$oracle_rc" -eq 0 ]; then
	pass "250 random schedules agree with the brute-force oracle ($(tail -1 "$TMP/oracle"))"
else
	fail "250 random schedules agree with the brute-force oracle" "$(head -12 "$TMP/oracle")"
fi

# ---- the corpus: real serverless.yml files and GitHub workflows (those
# that mention a schedule; the others were run once by hand: none fails) ----
needs_shared "corpus tests"
crashed=0 invalid=
while IFS= read -r f; do
	"$BIN/ps-cron" -f json -n 2 $A -c "$f" >>"$TMP/corpus.json" 2>"$TMP/corpus.err"
	st=$?
	[ "$st" -gt 2 ] && crashed=$((crashed + 1))
	grep -q PSC001 "$TMP/corpus.err" && invalid="$invalid $(basename "$f")"
done < <(find "$SHARED/corpus/serverless" "$SHARED/corpus/workflow" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 |
	xargs -0 grep -l 'schedule' | sort)
expect_eq 0 "$crashed" "no corpus file makes ps-cron fail with status 3 or crash"
out="$TMP/corpus.json"
expect_eq "True" "$(json_eval "len(recs) >= 60 and all(r['valid'] for r in recs if r['expr'] not in ('', '0 */3 * *', '*/5 * * * *'))")" \
	"every real schedule of the corpus is valid ($(wc -l <"$out") found)"
expect_eq " rhysd__actionlint__testdata__err__schedule_invalid_timezone.yaml rhysd__actionlint__testdata__examples__cron_schedule_check.yaml" \
	"$invalid" "the invalid schedules are exactly actionlint's cron and timezone error cases"

finish
