#!/usr/bin/env bash
# tests/cli/pgdump.sh: lib/pgdump against a real PostgreSQL server. Starts a
# throwaway cluster (scripts/pg-server.sh), loads the test databases -- the
# project's own schema (tests/fixtures/pgdump/schema.sql), pagila and chinook
# from ../shared/testdata/pg (when present), pgbench -i data -- and runs the
# Check suite test_pgdump_live, which dumps each one, restores it into
# DB_copy and compares every table's row count and checksum. Then
# pg_dump --schema-only (the oracle) of source and copy must be identical
# after sorting and dropping comment and \restrict lines.
. "$(dirname "$0")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
command -v pg_config >/dev/null 2>&1 && PGBIN=$(pg_config --bindir)
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_dump" ]; then
	skip "pgdump end-to-end" "PostgreSQL server binaries are not installed"
	finish
fi
case "$BUILD" in /*) TBIN="$BUILD/tests" ;; *) TBIN="$ROOT/$BUILD/tests" ;; esac
PGDIR="$TMP/pg"
if ! url=$("$ROOT/scripts/pg-server.sh" start "$PGDIR" 2>"$TMP/start.err"); then
	fail "start a throwaway PostgreSQL cluster" "$(cat "$TMP/start.err")"
	finish
fi
on_exit "'$ROOT/scripts/pg-server.sh' stop '$PGDIR'"
port=$(cat "$PGDIR/port")
pass "throwaway cluster on 127.0.0.1:$port"
base=${url%/*}
psql_db() { local db=$1; shift; "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$base/$db" "$@"; }

dbs=""
load() { # load NAME COMMAND...: create database NAME and run COMMAND
	local name=$1
	shift
	if psql_db postgres -c "CREATE DATABASE $name" >"$TMP/load.log" 2>&1 && "$@" >>"$TMP/load.log" 2>&1; then
		dbs="$dbs $name"
		pass "load $name"
	else
		fail "load $name" "$(tail -5 "$TMP/load.log")"
	fi
}
load fixture psql_db fixture -f "$FIX/pgdump/schema.sql"
load pgbench "$PGBIN/pgbench" -i -q -s 1 "$base/pgbench"
if [ -d "$SHARED/testdata/pg" ]; then
	if [ -d "$SHARED/testdata/pg/pagila" ]; then
		load pagila sh -c "'$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 '$base/pagila' -f '$SHARED/testdata/pg/pagila/pagila-schema.sql' && '$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 '$base/pagila' -f '$SHARED/testdata/pg/pagila/pagila-data.sql'"
	fi
	if [ -f "$SHARED/testdata/pg/chinook/Chinook_PostgreSql_AutoIncrementPKs.sql" ]; then
		if psql_db postgres -f "$SHARED/testdata/pg/chinook/Chinook_PostgreSql_AutoIncrementPKs.sql" >"$TMP/load.log" 2>&1; then
			dbs="$dbs chinook_auto_increment"
			pass "load chinook"
		else
			fail "load chinook" "$(tail -5 "$TMP/load.log")"
		fi
	fi
else
	skip "pagila and chinook" "../shared/testdata/pg is absent"
fi

restart="PG_PORT=$port '$ROOT/scripts/pg-server.sh' stop '$PGDIR' >/dev/null && PG_PORT=$port '$ROOT/scripts/pg-server.sh' start '$PGDIR' >/dev/null"
if [ ! -x "$TBIN/test_pgdump_live" ]; then
	fail "test_pgdump_live is built" "missing $TBIN/test_pgdump_live (make unit)"
else
	PS_TEST_PG_URL="$url" PS_TEST_PG_DBS="$dbs" PS_TEST_PG_RESTART="$restart" \
		TMPDIR="$TMP" CK_VERBOSITY=verbose timeout 900 "$TBIN/test_pgdump_live" \
		>"$TMP/live.log" 2>&1
	rc=$?
	while IFS=: read -r _ _ res tcase tname iter msg; do
		case "$res" in
		P) pass "live $tcase/$tname/$iter" ;;
		F | E) fail "live $tcase/$tname/$iter" "$msg" ;;
		esac
	done < <(grep -E '^[^:]+:[0-9]+:[PFE]:' "$TMP/live.log")
	line=$(grep -E 'Checks: [0-9]+' "$TMP/live.log" | tail -1)
	if [ "$rc" -eq 0 ] && echo "$line" | grep -q '100%'; then
		pass "test_pgdump_live against the cluster: $line"
	else
		fail "test_pgdump_live against the cluster (status $rc)" "$line"
		grep -vE '^[^:]+:[0-9]+:P:' "$TMP/live.log" | head -40 | sed 's/^/#   /'
	fi
fi

# The oracle: pg_dump --schema-only of each source and its restored copy.
schema() {
	"$PGBIN/pg_dump" --schema-only "$base/$1" |
		grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' -e '^$' | LC_ALL=C sort
}
for db in $dbs; do
	schema "$db" >"$TMP/a.sql" 2>"$TMP/a.err"
	schema "${db}_copy" >"$TMP/b.sql" 2>"$TMP/b.err"
	n=$(wc -l <"$TMP/a.sql")
	if [ "$n" -gt 10 ] && cmp -s "$TMP/a.sql" "$TMP/b.sql"; then
		pass "$db: pg_dump --schema-only of the restored copy is identical ($n lines)"
	else
		fail "$db: pg_dump --schema-only of the restored copy is identical" \
			"$(diff "$TMP/a.sql" "$TMP/b.sql" | head -20)" "$(cat "$TMP/b.err")"
	fi
done

finish
