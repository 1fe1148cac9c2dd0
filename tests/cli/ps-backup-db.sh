#!/usr/bin/env bash
# tests/cli/ps-backup-db.sh: the database set of ps-backup and ps-restore
# against a real PostgreSQL server (a throwaway cluster on 127.0.0.1 and a
# private socket, started and stopped here). For each test database -- the
# project's own schema with every object kind, pgbench's, pagila and
# chinook from ../shared/testdata/pg -- back up, restore into a new
# database with --check, and compare pg_dump --schema-only of both (the
# oracle). Then: a consistent dump under concurrent transfers, a server
# restart mid-backup, corrupted and wrong-key backups refused before any
# SQL runs, non-empty targets, --clean, --dry-run, --verify, passwords kept
# out of records, messages and manifests.
. "$(dirname "$0")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
command -v pg_config >/dev/null 2>&1 && PGBIN=$(pg_config --bindir)
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_dump" ]; then
	skip "database set end-to-end" "PostgreSQL server binaries are not installed"
	finish
fi
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
value() { "$PGBIN/psql" -X -A -t -v ON_ERROR_STOP=1 "$base/$1" -c "$2"; }
# databases the restores create: dropped at the end of each case
export TMPDIR="$TMP/unpack"
mkdir -p "$TMPDIR"

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
# scale 4: pgbench_accounts has 39 MB of COPY text, enough for a restore to
# load it in parts on both connections
load pgbench "$PGBIN/pgbench" -i -q -s 4 "$base/pgbench"
if [ -d "$SHARED/testdata/pg/pagila" ]; then
	load pagila sh -c "'$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 '$base/pagila' -f '$SHARED/testdata/pg/pagila/pagila-schema.sql' && '$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 '$base/pagila' -f '$SHARED/testdata/pg/pagila/pagila-data.sql'"
else
	skip "pagila" "../shared/testdata/pg is absent"
fi
if [ -f "$SHARED/testdata/pg/chinook/Chinook_PostgreSql_AutoIncrementPKs.sql" ]; then
	if psql_db postgres -f "$SHARED/testdata/pg/chinook/Chinook_PostgreSql_AutoIncrementPKs.sql" >"$TMP/load.log" 2>&1; then
		dbs="$dbs chinook_auto_increment"
		pass "load chinook"
	else
		fail "load chinook" "$(tail -5 "$TMP/load.log")"
	fi
fi

cd "$TMP" || exit 1
run ps-backup --new-key "$TMP/key"
expect_status 0 "a new backup key"

# config NAME DB: a backup.yml with one database set for DB
config() {
	cat >"$TMP/$1.yml" <<EOF
backup:
  $1:
    retention: 30
    locations:
      - local://store/
    encryption:
      key_file: key
    database:
      url: $base/$2
      jobs: 2
EOF
}

# The oracle: pg_dump --schema-only, sorted, without comments.
schema() {
	"$PGBIN/pg_dump" --schema-only "$base/$1" |
		grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' -e '^$' | LC_ALL=C sort
}

for db in $dbs; do
	config "$db" "$db"
	run ps-backup -c "$TMP/$db.yml" -f json --no-progress
	expect_status 0 "$db: ps-backup of the database set"
	expect_json_lines "$db: backup records are JSON lines"
	tables=$(json_eval "[r['contents']['tables'] for r in recs if r['type'] == 'backup'][0]")
	want=$(value "$db" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'")
	expect_eq "$want" "$tables" "$db: the backup holds every ordinary table and partition"
	man=$(ls "$TMP"/store/"$db"/*.manifest.json 2>/dev/null | tail -1)
	if [ -n "$man" ] && python3 - "$man" "$db" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["kind"] == "database", m["kind"]
assert m["source"]["database"] == sys.argv[2]
assert m["source"]["server_version"] >= 150000
assert m["counts"]["tables"] == len(m["tables"]) > 0
for t in m["tables"]:
    assert t["rows"] >= 0 and len(t["checksum"]) == 16 and t["file"].startswith("data/"), t
PY
	then pass "$db: the manifest has kind, source and every table's figures"
	else fail "$db: the manifest has kind, source and every table's figures" "$man"; fi
	# An independent oracle for the per-table figures: every table copied
	# out by psql under the dump's settings, rows hashed by python3-xxhash.
	if ! /usr/bin/python3 -c 'import xxhash' 2>/dev/null; then
		fail "$db: every table's rows and checksum agree with psql and python3-xxhash" \
			"python3-xxhash is missing (scripts/deps.sh installs it)"
	elif out=$(/usr/bin/python3 - "$man" "$PGBIN/psql" "$base/$db" 2>&1 <<'PY'
import json, os, subprocess, sys, xxhash
m = json.load(open(sys.argv[1]))
psql, url = sys.argv[2], sys.argv[3]
assert m["source"]["row_hash"] == "xxh3-64", m["source"]
env = dict(os.environ, PGCLIENTENCODING=m["source"]["encoding"],
           PGOPTIONS="-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 -c TimeZone=UTC")
def q(sql):
    return subprocess.run([psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          env=env, check=True, capture_output=True).stdout
for t in m["tables"]:
    cols = q("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
             " WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped"
             " AND attgenerated = ''" % t["table"].replace("'", "''")).decode().strip()
    data = q("COPY %s (%s) TO STDOUT" % (t["table"], cols) if cols else "COPY %s TO STDOUT" % t["table"])
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    s = sum(xxhash.xxh3_64_intdigest(l) for l in lines) % (1 << 64)
    assert (len(lines), "%016x" % s) == (t["rows"], t["checksum"]), (t, len(lines), "%016x" % s)
print(len(m["tables"]))
PY
	); then
		pass "$db: every table's rows and checksum agree with psql and python3-xxhash ($out tables)"
	else
		fail "$db: every table's rows and checksum agree with psql and python3-xxhash" "$out"
	fi
	run ps-restore -c "$TMP/$db.yml" --verify latest -f json
	expect_status 0 "$db: --verify checks every digest of the database backup"
	run ps-restore -c "$TMP/$db.yml" latest --to-url "$base/postgres" --create "${db}_r" --check -f json
	expect_status 0 "$db: restore into a new database with --check"
	expect_eq "True" "$(json_eval "recs[-1]['checked'] and recs[-1]['status'] == 'ok'")" \
		"$db: every table's row count and checksum match after the restore"
	if [ "$db" = pgbench ]; then
		# each part loads in a transaction of its own
		n=$(value pgbench_r "SELECT count(DISTINCT xmin::text) FROM pgbench_accounts")
		if [ "${n:-0}" -ge 2 ]; then
			pass "pgbench: pgbench_accounts loaded in parts ($n transactions)"
		else
			fail "pgbench: pgbench_accounts loaded in parts" "$n transactions"
		fi
	fi
	schema "$db" >"$TMP/a.sql" 2>"$TMP/a.err"
	schema "${db}_r" >"$TMP/b.sql" 2>"$TMP/b.err"
	n=$(wc -l <"$TMP/a.sql")
	if [ "$n" -gt 10 ] && cmp -s "$TMP/a.sql" "$TMP/b.sql"; then
		pass "$db: pg_dump --schema-only of the restored database is identical ($n lines)"
	else
		fail "$db: pg_dump --schema-only of the restored database is identical" \
			"$(diff "$TMP/a.sql" "$TMP/b.sql" | head -20)" "$(cat "$TMP/b.err")"
	fi
done
if [ -z "$(ls -A "$TMPDIR")" ]; then
	pass "nothing is left in the unpacking directory"
else
	fail "nothing is left in the unpacking directory" "$(ls -A "$TMPDIR")"
fi

# ---- over the cluster's Unix socket: the same tables, rows and checksums
# (a Unix socket's COPY data is waited for differently from TCP's)
if [[ " $dbs " == *" pgbench "* ]]; then
	cat >"$TMP/ux.yml" <<EOF
backup:
  ux:
    locations:
      - local://ux/
    encryption:
      key_file: key
    database:
      url: postgresql:///pgbench?host=$PGDIR/sock&port=$port&user=postgres
      jobs: 2
EOF
	run ps-backup -c "$TMP/ux.yml" -f json --no-progress
	expect_status 0 "pgbench over the Unix socket: ps-backup"
	tcp=$(ls "$TMP"/store/pgbench/*.manifest.json | tail -1)
	ux=$(ls "$TMP"/ux/ux/*.manifest.json 2>/dev/null | tail -1)
	if [ -n "$ux" ] && python3 - "$tcp" "$ux" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
key = lambda m: sorted((t["table"], t["rows"], t["bytes"], t["checksum"]) for t in m["tables"])
assert key(a) == key(b), (key(a), key(b))
assert sum(t["rows"] for t in a["tables"]) > 100000
PY
	then
		pass "pgbench over the Unix socket: the same tables, rows, bytes and checksums as over TCP"
	else
		fail "pgbench over the Unix socket: the same tables, rows, bytes and checksums as over TCP" "$ux"
	fi
fi

# ---- the standards' example: a set named database, url from $DATABASE_URL
cat >"$TMP/std.yml" <<EOF
backup:
  database:
    enabled: true
    schedule: "0 1 * * *"
    retention: 30
    locations:
      - local://std/
    encryption:
      key_file: key
EOF
DATABASE_URL="$base/fixture" run ps-backup -c "$TMP/std.yml" --check
expect_status 0 "the standards' set named database needs no paths"
expect_out_has "from \$DATABASE_URL" "--check names where the database comes from"
DATABASE_URL="$base/fixture" run ps-backup -c "$TMP/std.yml" -f text --no-progress
expect_status 0 "the standards' database set backs up \$DATABASE_URL"
expect_out_match "^database [0-9T]+Z-[0-9a-f]+: ok, [0-9]+ tables" "text output counts tables"

# ---- the example restore drill, from the test's cluster
if DATABASE_URL="$base/pgbench" PS_BIN="$BIN" PATH="$PGBIN:$PATH" \
	sh "$ROOT/examples/ps-backup/database.sh" >"$TMP/ex.out" 2>&1 &&
	grep -q "every table's row count and checksum match the backup" "$TMP/ex.out"; then
	pass "examples/ps-backup/database.sh backs up, verifies, restores and checks"
else
	fail "examples/ps-backup/database.sh" "$(tail -5 "$TMP/ex.out")"
fi
expect_eq "0" "$(value postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'ps_drill_%'")" \
	"the example drops its drill database"

# ---- a target that is not empty; --clean; --dry-run
run ps-restore -c "$TMP/fixture.yml" latest --to-url "$base/fixture_r"
expect_status 2 "a target that is not empty is refused"
expect_err_has "not empty" "the message says the target is not empty"
run ps-restore -c "$TMP/fixture.yml" latest --to-url "$base/fixture_r" --dry-run -f text
expect_status 3 "--dry-run reports the problem of a non-empty target"
run ps-restore -c "$TMP/fixture.yml" latest --to-url "$base/fixture_r" --clean --dry-run -f text
expect_status 0 "--dry-run with --clean: nothing in the way"
expect_out_match "would restore [0-9]+ tables" "--dry-run says what would be restored"
run ps-restore -c "$TMP/fixture.yml" latest --to-url "$base/fixture_r" --clean --check -f json
expect_status 0 "--clean drops the target's objects and restores"
expect_eq "True" "$(json_eval "recs[-1]['checked']")" "--clean restore passes --check"
run ps-restore -c "$TMP/fixture.yml" latest --create fixture_r --to-url "$base/postgres"
expect_status 2 "--create of a database that exists is refused"
run ps-restore -c "$TMP/fixture.yml" latest --to "$TMP/dir"
expect_status 2 "--to on a database set is refused"
run ps-restore -c "$TMP/fixture.yml" --diff latest
expect_status 2 "--diff of a database backup is refused"
run ps-restore -c "$TMP/fixture.yml" latest --to-url "postgresql://postgres:hunter2@127.0.0.1:$port/fixture_r"
expect_status 2 "a password in --to-url is refused"
expect_err_lacks "hunter2" "the refused password is not echoed"

# ---- without --check the record says so
run ps-restore -c "$TMP/fixture.yml" latest --create fixture_r2 --to-url "$base/postgres" -f json
expect_status 0 "a second restore without --check"
expect_eq "False" "$(json_eval "recs[-1]['checked']")" "without --check the record says unchecked"

# ---- corrupted and wrong-key backups: refused before any SQL
cp -r "$TMP/store" "$TMP/store.good"
obj=$(ls "$TMP"/store/fixture/*.tar.zst.enc | tail -1)
python3 - "$obj" <<'PY'
import os, sys
p = sys.argv[1]
with open(p, "r+b") as f:
    f.seek(os.path.getsize(p) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x40]))
PY
run ps-restore -c "$TMP/fixture.yml" latest --create fixture_bad --to-url "$base/postgres"
expect_status 1 "a flipped byte: the restore is refused"
expect_err_has "nothing was restored" "the message says nothing was restored"
expect_eq "0" "$(value postgres "SELECT count(*) FROM pg_database WHERE datname = 'fixture_bad'")" \
	"the corrupted backup created no database"
rm -rf "$TMP/store"
cp -r "$TMP/store.good" "$TMP/store"
# a backup whose manifest and object agree but whose archive lost a table:
# re-encrypting needs the key, so the truncated object is refused by
# authentication first
head -c -70000 "$obj" >"$obj.t" && mv "$obj.t" "$obj"
run ps-restore -c "$TMP/fixture.yml" latest --create fixture_bad --to-url "$base/postgres"
expect_status 1 "a truncated object: the restore is refused"
expect_eq "0" "$(value postgres "SELECT count(*) FROM pg_database WHERE datname = 'fixture_bad'")" \
	"the truncated backup created no database"
rm -rf "$TMP/store"
cp -r "$TMP/store.good" "$TMP/store"
run ps-backup --new-key "$TMP/key2"
sed "s#key_file: key#key_file: key2#" "$TMP/fixture.yml" >"$TMP/wrongkey.yml"
run ps-restore -c "$TMP/wrongkey.yml" latest --create fixture_bad --to-url "$base/postgres"
expect_status 2 "a wrong key is a clear error"
expect_err_has "wrong key" "the message says the key is wrong"

# ---- a password in the url never reaches output, messages or manifests
config pw fixture
sed -i "s#url: postgresql://postgres@#url: postgresql://postgres:s3cr3t-pw@#" "$TMP/pw.yml"
run ps-backup -c "$TMP/pw.yml" -f json --no-progress -v
expect_status 0 "a backup with a password in the url (trust auth ignores it)"
if grep -rq "s3cr3t-pw" "$out" "$err" "$TMP/store/pw"; then
	fail "the password is in no record, message or manifest" "$(grep -rl s3cr3t-pw "$out" "$err" "$TMP/store/pw")"
else
	pass "the password is in no record, message or manifest"
fi

# ---- unsupported objects are named, not skipped
psql_db postgres -c "CREATE DATABASE odd" >/dev/null
psql_db odd -c "CREATE TABLE t (a int); CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING" >/dev/null
config odd odd
run ps-backup -c "$TMP/odd.yml" --no-progress
expect_status 2 "a database with an unsupported object fails the backup"
expect_err_has "rule r on table public.t" "the unsupported object is named"
run ps-restore -c "$TMP/odd.yml" --list -f json
expect_out_empty "the failed backup is not listed"

# ---- consistency: transfers committed during the dump; totals balance
psql_db postgres -c "CREATE DATABASE bank" >/dev/null
psql_db bank -c "CREATE TABLE bank_a (id int PRIMARY KEY, bal bigint NOT NULL, pad text);
	CREATE TABLE bank_b (id int PRIMARY KEY, bal bigint NOT NULL, pad text);
	INSERT INTO bank_a SELECT g, 1000, repeat(md5(g::text), 8) FROM generate_series(1, 200000) g;
	INSERT INTO bank_b SELECT g, 1000, repeat(md5(g::text), 8) FROM generate_series(1, 200000) g" >/dev/null
cat >"$TMP/transfer.sql" <<'EOF'
\set id random(1, 200000)
\set amt random(1, 100)
BEGIN;
UPDATE bank_a SET bal = bal - :amt WHERE id = :id;
UPDATE bank_b SET bal = bal + :amt WHERE id = :id;
END;
EOF
"$PGBIN/pgbench" -n -c 2 -T 30 -f "$TMP/transfer.sql" "$base/bank" >"$TMP/pgbench.log" 2>&1 &
writer=$!
on_exit "kill $writer 2>/dev/null"
sleep 1
config bank bank
sed -i 's/jobs: 2/jobs: 1/' "$TMP/bank.yml"
before=$(value bank "SELECT sum(bal) FROM bank_a")
run ps-backup -c "$TMP/bank.yml" -f json --no-progress
expect_status 0 "a backup while transfers commit"
after=$(value bank "SELECT sum(bal) FROM bank_a")
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
if [ "$before" != "$after" ]; then
	pass "transfers committed during the backup ($before -> $after in bank_a)"
else
	fail "transfers committed during the backup" "bank_a total stayed $before" "$(tail -3 "$TMP/pgbench.log")"
fi
run ps-restore -c "$TMP/bank.yml" latest --create bank_r --to-url "$base/postgres" --check
expect_status 0 "the backup taken under writes restores and checks"
expect_eq "400000000" "$(value bank_r "SELECT (SELECT sum(bal) FROM bank_a) + (SELECT sum(bal) FROM bank_b)")" \
	"the restored totals balance: both tables were read at the same instant"

# ---- the server restarted mid-backup: exit 3, nothing listed
psql_db postgres -c "CREATE DATABASE big" >/dev/null
psql_db big -c "CREATE TABLE big (id int, pad text);
	INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 1000000) g" >/dev/null
config big big
"$BIN/ps-backup" -c "$TMP/big.yml" -f json --no-progress >"$TMP/big.out" 2>"$TMP/big.err" &
bk=$!
seen=0
for _ in $(seq 1 600); do
	if [ "$(value postgres "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %big%'" 2>/dev/null)" != "0" ]; then
		seen=1
		break
	fi
	kill -0 "$bk" 2>/dev/null || break
	sleep 0.05
done
if [ "$seen" = 1 ]; then
	PG_PORT=$port "$ROOT/scripts/pg-server.sh" stop "$PGDIR" >/dev/null &&
		PG_PORT=$port "$ROOT/scripts/pg-server.sh" start "$PGDIR" >/dev/null
	wait "$bk"
	rc=$?
	expect_eq 3 "$rc" "a server restart mid-dump fails the backup with exit 3"
	run ps-restore -c "$TMP/big.yml" --list -f json
	expect_out_empty "the failed backup is not listed"
	if ls "$TMP"/store/big/*.tar.zst.enc >/dev/null 2>&1; then
		fail "no data object is left behind" "$(ls "$TMP"/store/big)"
	else
		pass "no data object is left behind"
	fi
	run ps-backup -c "$TMP/big.yml" -f json --no-progress
	expect_status 0 "with the server back the same backup succeeds"
else
	wait "$bk"
	fail "the dump's COPY was seen in pg_stat_activity" "$(cat "$TMP/big.err")"
fi

finish
