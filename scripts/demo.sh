#!/usr/bin/env bash
# demo.sh: a newcomer's first look. Runs each tool on the bundled examples
# and prints what it says; `make demo` calls it after building.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
export NO_COLOR=${NO_COLOR:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/ps-demo.XXXXXX")
cleanup() {
	[ -n "${pg_dir:-}" ] && scripts/pg-server.sh stop "$pg_dir" >/dev/null 2>&1
	[ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
have() { command -v "$1" >/dev/null 2>&1; }
# show CMD: run it through bash, print its output, never stop the demo.
show() { bash -c "$1" 2>&1 | sed 's/^/  /'; echo "  (exit status ${PIPESTATUS[0]})"; }

if have ps-cron; then
	step "Schedules of the standards' config files" "ps-cron -c examples/backup.yml -n 2"
	show "ps-cron -f text -n 2 -c examples/backup.yml"
	step "An AWS schedule from serverless.yml, explained" "ps-cron 'cron(0 12 * * ? *)'"
	show "ps-cron -f text -n 3 'cron(0 12 * * ? *)'"
	step "A typo in a schedule" "ps-cron '0 25 * * *'"
	show "ps-cron -f text '0 25 * * *'"
fi

if have ps-envcheck; then
	step "The standards' .env files, checked together" "ps-envcheck examples/env"
	show "ps-envcheck -f text examples/env"
fi

if have ps-lint-dockerfile; then
	step "The standards' Dockerfile template" "ps-lint-dockerfile examples/dockerfile/Dockerfile"
	show "ps-lint-dockerfile -f text examples/dockerfile/Dockerfile"
fi

for t in compose workflow serverless; do
	if have "ps-lint-$t"; then
		step "The standards' $t file" "ps-lint-$t examples/$t"
		show "ps-lint-$t -f text examples/$t"
	fi
done

if have ps-report && have ps-envcheck; then
	step "Any linter's findings as a Markdown table for a pull request" \
		"ps-envcheck examples/env | ps-report -f markdown"
	show "ps-envcheck -f json examples/env | ps-report -f markdown --fail-on never"
fi

if have ps-health && [ -x scripts/http-test-server.py ]; then
	port=18${RANDOM:0:3}
	python3 scripts/http-test-server.py --port "$port" >/dev/null 2>&1 &
	http_pid=$!
	sleep 0.5
	step "Health checks of monitoring.yml against a local service" \
		"ps-health -c examples/monitoring.yml --base-url http://127.0.0.1:$port"
	show "ps-health -f text -c examples/monitoring.yml --base-url http://127.0.0.1:$port"
fi

if have ps-backup && have ps-restore && [ -f examples/backup-local.yml ]; then
	step "Back up, verify and restore the example data" \
		"ps-backup -c examples/backup-local.yml; ps-restore --verify latest; ps-restore latest --to DIR"
	( cd examples && show "ps-backup -f text -c backup-local.yml" &&
	  show "ps-restore -f text -c backup-local.yml --list" &&
	  show "ps-restore -f text -c backup-local.yml --verify latest --set application_data" &&
	  show "ps-restore -f text -c backup-local.yml latest --set application_data --to $work/restored" )
fi

printf '\nEach tool: --help, and a man page (man -l man/man1/ps-cron.1).\n'
