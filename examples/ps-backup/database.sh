#!/bin/sh
# Back up the database set of examples/backup-local.yml from $DATABASE_URL,
# verify it, restore it into a new database and check every table's row
# count and checksum against the backup -- a restore drill. Without
# DATABASE_URL a throwaway cluster is started on 127.0.0.1 with pgbench's
# tables (needs the PostgreSQL server package) and stopped at the end.
# PS_BIN: where the tools are (default: the build).
set -eu
cd "$(dirname "$0")/.."
BIN=${PS_BIN:-$(pwd)/../build/bin}
PS_BACKUP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ps-backup-db-example.XXXXXX")
export PS_BACKUP_DIR
drill=ps_drill_$$
cleanup() {
	if [ -n "${PGDIR:-}" ]; then
		../scripts/pg-server.sh stop "$PGDIR" >/dev/null 2>&1 || true
	elif command -v psql >/dev/null 2>&1; then
		psql -X -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $drill" || true
	fi
	rm -rf "$PS_BACKUP_DIR"
}
trap cleanup EXIT
chmod 600 ps-backup/demo.key 2>/dev/null || true
if [ -z "${DATABASE_URL:-}" ]; then
	PGDIR="$PS_BACKUP_DIR/pg"
	url=$(../scripts/pg-server.sh start "$PGDIR")
	DATABASE_URL="${url%/*}/shop"
	pgbin=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
	"$pgbin/psql" -X -q "$url" -c "CREATE DATABASE shop"
	"$pgbin/pgbench" -i -q -s 1 "$DATABASE_URL" >/dev/null 2>&1
fi
export DATABASE_URL

"$BIN/ps-backup" -c backup-local.yml --only database --no-progress -f text
"$BIN/ps-restore" -c backup-local.yml --verify latest --set database -f text
# --create makes the database on $DATABASE_URL's server, after every digest
# of the backup was checked; --check recounts every table afterwards
"$BIN/ps-restore" -c backup-local.yml latest --set database --create "$drill" --check -f text
