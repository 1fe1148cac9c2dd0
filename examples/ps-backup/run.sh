#!/bin/sh
# Back up the sample sets of examples/backup-local.yml, list them, verify
# one, restore it into a fresh directory and compare with the source.
# PS_BIN: where the tools are (default: the build); the backups go to a
# temporary PS_BACKUP_DIR that is removed at the end.
set -eu
cd "$(dirname "$0")/.."
BIN=${PS_BIN:-$(pwd)/../build/bin}
PS_BACKUP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ps-backup-example.XXXXXX")
export PS_BACKUP_DIR
trap 'rm -rf "$PS_BACKUP_DIR"' EXIT
chmod 600 ps-backup/demo.key 2>/dev/null || true

"$BIN/ps-backup" -c backup-local.yml -f text
"$BIN/ps-restore" -c backup-local.yml --list -f text
"$BIN/ps-restore" -c backup-local.yml --verify latest --set application_data -f text
"$BIN/ps-restore" -c backup-local.yml latest --set application_data \
	--to "$PS_BACKUP_DIR/restored" -f text
diff -r -x cache ps-backup/sample/app "$PS_BACKUP_DIR/restored$(pwd)/ps-backup/sample/app"
echo "restored tree matches the source"
