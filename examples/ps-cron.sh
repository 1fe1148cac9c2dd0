#!/usr/bin/env bash
# ps-cron on the standards' configuration files: every schedule they contain,
# explained, with its next three fire times after a fixed moment (so the
# output is the same on every run). Run from anywhere; PS_CRON names the
# binary (default: the build tree's, else ps-cron on PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${PS_CRON:-$here/../build/bin/ps-cron}
[ -x "$bin" ] || bin=ps-cron
after=2026-11-26T12:00:00Z
cd "$here"

# The backup sets' cron schedules, in UTC and in the operator's zone.
"$bin" -f text -n 3 --after "$after" -c backup.yml
"$bin" -f text -n 2 --after "$after" --tz Europe/Berlin -c backup.yml

# The Lambda function's AWS cron(...) event, as JSON records.
"$bin" -f json -n 3 --after "$after" -c serverless/serverless.yml

# The disaster-recovery drill: "quarterly".
"$bin" -f text -n 4 --after "$after" -c disaster-recovery.yml

# The security scans, and expressions given on the command line.
"$bin" -f text -n 1 --after "$after" -c security-scan.yml
"$bin" -f text -n 2 --after "$after" '*/15 9-17 * * MON-FRI' \
	'cron(0 10 ? * 3#2 *)' 'rate(6 hours)' weekly
