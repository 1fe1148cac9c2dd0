#!/usr/bin/env bash
# bench/pgdump.sh: the database set of ps-backup and ps-restore against
# pg_dump -Fc, pg_dump -Fd -j2, pg_restore -j2 and the \copy floor, in one
# run, on two databases in a throwaway cluster:
#   realistic  ROWS rows (default 1.5 million) of md5 text, jsonb and
#              timestamps in `events`, plus `items` (ROWS/3 rows) so that
#              two jobs have work to share
#   pgbench    pgbench -i -s SCALE (default 20): mostly padding
# Ours: `ps-backup` of a database set to local:// (zstd at the database
# default, level 1; AES-256-GCM,
# every digest) with 2 jobs, then `ps-restore latest --create NAME --jobs 2`.
# Goals (issue 6): backup within 1.3x of the \copy floor, >= 3x faster
# than pg_dump -Fc with an output no larger, faster than pg_dump -Fd -j2;
# restore at least as fast as pg_restore -j2 (timed with the CREATE
# DATABASE before it, as --create does it); peak RSS under 100 MB.
#
# Each is timed ROUNDS times (default 3), after a CHECKPOINT; the best counts.
#
#   bench/pgdump.sh            Environment: BUILD, ROWS, SCALE, ROUNDS
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
ROWS=${ROWS:-1500000}
SCALE=${SCALE:-20}
ROUNDS=${ROUNDS:-3}
for t in ps-backup ps-restore; do
	[ -x "$BUILD/bin/$t" ] || { echo "pgdump bench: build $BUILD/bin/$t first (make)" >&2; exit 2; }
done
PGBIN=/usr/lib/postgresql/15/bin
command -v pg_config >/dev/null 2>&1 && PGBIN=$(pg_config --bindir)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ps-bench-pg.XXXXXX")
chmod 755 "$tmp"
cleanup() { "$root/scripts/pg-server.sh" stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT
url=$("$root/scripts/pg-server.sh" start "$tmp/pg")
base=${url%/*}
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# timed COMMAND...: run it, wall seconds in $secs, peak RSS (MB) in $rss
timed() {
	local t0
	t0=$(now)
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >"$tmp/cmd.out" 2>"$tmp/cmd.err" ||
		{ cat "$tmp/cmd.err" >&2; exit 3; }
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$tmp/rss")
}
"$BUILD/bin/ps-backup" --new-key "$tmp/key" 2>/dev/null
export TMPDIR="$tmp"

echo "# loading (ROWS=$ROWS, SCALE=$SCALE)"
psql "$base/postgres" -c "CREATE DATABASE realistic" -c "CREATE DATABASE pgbench"
psql "$base/realistic" <<SQL
CREATE TABLE events (id bigint PRIMARY KEY, h text, payload jsonb, at timestamptz);
INSERT INTO events SELECT g, md5(g::text) || md5((g + 1)::text),
  jsonb_build_object('user', g % 1000, 'tag', md5((g * 7)::text), 'n', g, 'ok', g % 3 = 0),
  timestamptz '2025-01-01' + g * interval '1 second' FROM generate_series(1, $ROWS) g;
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), created timestamptz);
INSERT INTO items SELECT g, 'item ' || md5(g::text), (g % 10000) / 100.0,
  timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, $ROWS / 3) g;
VACUUM ANALYZE;
SQL
"$PGBIN/pgbench" -i -q -s "$SCALE" "$base/pgbench" >/dev/null 2>&1

# min A B: the smaller of two times (A may be empty)
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
# clock COMMAND...: run it after a checkpoint, so that no run pays for the
# writes of the one before; wall seconds in $secs
clock() {
	local t0
	psql "$base/postgres" -c CHECKPOINT
	t0=$(now)
	"$@"
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
}
copyall() { local t; for t in $tables; do psql "$base/$db" -c "\\copy $t TO /dev/null"; done; }
# pg_restore into a database created first, as ps-restore --create does
pgrestore() {
	psql "$base/postgres" -c "CREATE DATABASE ${db}_pgr"
	"$PGBIN/pg_restore" -j2 -d "$base/${db}_pgr" "$tmp/$db.dir"
}

for db in realistic pgbench; do
	heap=$(psql -At "$base/$db" -c "SELECT sum(pg_relation_size(oid)) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
	tables=$(psql -At "$base/$db" -c "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
	echo "## $db: heap $(mib "$heap"), best of $ROUNDS rounds"
	cat >"$tmp/$db.yml" <<EOF
backup:
  db:
    locations: [local://$tmp/store-$db/]
    encryption:
      key_file: $tmp/key
    database:
      url: $base/$db
      jobs: 2
EOF
	copyall	# warm-up: every timed run reads from the same cache
	floor='' fc='' fd='' pgr='' ours='' ours_rss=0 ours_restore='' restore_rss=0
	for round in $(seq "$ROUNDS"); do
		# the floor: \copy of every table to /dev/null
		clock copyall
		floor=$(min "$floor" "$secs")
		rm -rf "$tmp/$db.dump" "$tmp/$db.dir" "$tmp/store-$db"
		clock "$PGBIN/pg_dump" -Fc -f "$tmp/$db.dump" "$base/$db"
		fc=$(min "$fc" "$secs")
		fc_size=$(stat -c %s "$tmp/$db.dump")
		clock "$PGBIN/pg_dump" -Fd -j2 -f "$tmp/$db.dir" "$base/$db"
		fd=$(min "$fd" "$secs")
		psql "$base/postgres" -c "DROP DATABASE IF EXISTS ${db}_pgr"
		clock pgrestore
		pgr=$(min "$pgr" "$secs")
		# a restored database goes at once: autovacuum of its fresh
		# tables would otherwise run under the next timed command
		psql "$base/postgres" -c "DROP DATABASE ${db}_pgr" -c CHECKPOINT
		timed "$BUILD/bin/ps-backup" -c "$tmp/$db.yml" --no-progress --no-prune -f json
		ours=$(min "$ours" "$secs")
		[ "$rss" -gt "$ours_rss" ] && ours_rss=$rss
		ours_size=$(du -sb "$tmp/store-$db" | cut -f1)
		psql "$base/postgres" -c "DROP DATABASE IF EXISTS ${db}_ours" -c CHECKPOINT
		timed "$BUILD/bin/ps-restore" -c "$tmp/$db.yml" latest --to-url "$base/postgres" \
			--create "${db}_ours" --jobs 2 -f json
		ours_restore=$(min "$ours_restore" "$secs")
		[ "$rss" -gt "$restore_rss" ] && restore_rss=$rss
		psql "$base/postgres" -c "DROP DATABASE ${db}_ours"
	done
	rm -rf "$tmp/store-$db" "$tmp/$db.dir" "$tmp/$db.dump"
	printf '%-28s %8.2f s\n' '\copy floor' "$floor"
	printf '%-28s %8.2f s  %s\n' 'pg_dump -Fc' "$fc" "$(mib "$fc_size")"
	printf '%-28s %8.2f s\n' 'pg_dump -Fd -j2' "$fd"
	printf '%-28s %8.2f s  %s  peak RSS %s MB\n' 'ps-backup (-j2, zstd, AES)' "$ours" "$(mib "$ours_size")" "$ours_rss"
	printf '%-28s %8.2f s\n' 'createdb + pg_restore -j2' "$pgr"
	printf '%-28s %8.2f s  peak RSS %s MB\n' 'ps-restore --create -j2' "$ours_restore" "$restore_rss"
	echo "ratios: ours/floor $(ratio "$ours" "$floor") (goal <= 1.3)," \
		"pg_dump -Fc/ours $(ratio "$fc" "$ours") (goal >= 3)," \
		"size ours/-Fc $(ratio "$ours_size" "$fc_size") (goal <= 1)," \
		"pg_dump -Fd -j2/ours $(ratio "$fd" "$ours") (goal > 1)," \
		"pg_restore -j2/ours restore $(ratio "$pgr" "$ours_restore") (goal >= 1)"
done
