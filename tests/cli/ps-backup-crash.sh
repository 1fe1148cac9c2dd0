#!/usr/bin/env bash
# ps-backup under kill -9 at random moments (TRIALS, default 24): a killed
# run never leaves a listed backup that is incomplete, and never harms the
# backups made before it (same bytes, still verify and restore).
. "$(dirname "$0")/lib.sh"
FX="$FIX/ps-backup"
W="$TMP/w"
TRIALS=${TRIALS:-24}
mkdir -p "$W/src/bulk"
cp "$FX/key" "$W/"
chmod 600 "$W/key"
"$FX/make-tree.sh" "$W/src/tree"
for i in $(seq 1 40); do head -c 1000000 /dev/urandom >"$W/src/bulk/r$i"; done
seq 1 3000000 >"$W/src/bulk/numbers"
cat >"$W/backup.yml" <<EOF
backup:
  files:
    locations: [local://store-a, local://store-b]
    paths: [src]
    encryption: {key_file: key}
EOF

run ps-backup -c "$W/backup.yml" --no-prune
expect_status 0 "a first, complete backup"
B0=$(json_eval 'recs[0]["id"]')
SUM0=$(sha256sum "$W/store-a/files/$B0.tar.zst.enc" "$W/store-a/files/$B0.manifest.json" | cut -d' ' -f1)
start=$(date +%s%N)
run ps-backup -c "$W/backup.yml" --no-prune
expect_status 0 "a second backup (timing)"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 200 ] && ms=200
echo "# a backup takes about $ms ms; killing within 0..$((ms * 6 / 5)) ms"

bad=0
for t in $(seq 1 "$TRIALS"); do
	delay=$((RANDOM * ms * 6 / 5 / 32768))
	"$BIN/ps-backup" -c "$W/backup.yml" --no-prune >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# every listed backup must have its complete data object
	"$BIN/ps-restore" -c "$W/backup.yml" --list >"$TMP/list" 2>"$TMP/list.err"
	if grep -q '"data-missing"' "$TMP/list"; then
		bad=1
		fail "trial $t (kill after $delay ms): a listed backup lacks its data"
	fi
	now=$(sha256sum "$W/store-a/files/$B0.tar.zst.enc" "$W/store-a/files/$B0.manifest.json" | cut -d' ' -f1)
	if [ "$now" != "$SUM0" ]; then
		bad=1
		fail "trial $t: the first backup changed"
	fi
done
[ "$bad" = 0 ] && pass "$TRIALS kill -9 trials: no incomplete backup listed, the first one untouched"

# every backup that is listed verifies (the interrupted ones are not listed)
run ps-restore -c "$W/backup.yml" --list
n=$(grep -c '"type":"backup"' "$out")
echo "# $n listed backups after $TRIALS killed runs"
ids=$(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["id"] for l in open(sys.argv[1])})))' "$out")
allok=1
for id in $ids; do
	for loc in local://store-a local://store-b; do
		if ! "$BIN/ps-restore" -c "$W/backup.yml" --verify "$id" --from "$loc" >/dev/null 2>"$TMP/v.err"; then
			grep -q "no backup $id" "$TMP/v.err" && continue	# listed in the other location only
			allok=0
			fail "listed backup $id in $loc does not verify" "$(cat "$TMP/v.err")"
		fi
	done
done
[ "$allok" = 1 ] && pass "every listed backup verifies"
rm -rf "$W/out"
run ps-restore -c "$W/backup.yml" "$B0" --to "$W/out"
expect_status 0 "the first backup still restores"
diff -r --no-dereference "$W/src" "$W/out$W/src" >/dev/null && pass "... byte-identical" || fail "first backup differs"
# leftovers of killed runs are hidden temporary files or reported orphans
visible=$(find "$W/store-a" "$W/store-b" -type f ! -name '.*.ps-tmp' | grep -vc -E '/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}\.(tar\.zst\.enc|manifest\.json)$')
expect_eq 0 "$visible" "nothing but backups, orphans and hidden temp files in the locations"

# A run killed while it writes its data object leaves a hidden temp file
# named after its pid (caught here deterministically: kill as soon as the
# temp file shows).
caught=0
for attempt in 1 2 3 4 5 6 7 8 9 10; do
	"$BIN/ps-backup" -c "$W/backup.yml" --no-prune >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 400); do
		if compgen -G "$W/store-a/files/.*.$pid-*.ps-tmp" >/dev/null; then
			kill -9 "$pid" 2>/dev/null && caught=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	wait "$pid" 2>/dev/null
	[ "$caught" = 1 ] && break
done
left=$(find "$W/store-a" "$W/store-b" -name '.*.ps-tmp' | wc -l)
echo "# $left hidden temp files left by the killed runs"
if [ "$caught" = 1 ] && [ "$left" -gt 0 ]; then
	pass "a run killed mid-write leaves its hidden temp file (pid $pid)"
else
	fail "a run killed mid-write leaves its hidden temp file" "caught=$caught left=$left"
fi
# Files the sweep must not touch: another host's fresh temp file, names
# that only look alike, a symlink; an old temp file of the earlier, pid-less
# naming (2 days old) goes.
F="$W/store-a/files"
touch "$F/.x.tar.zst.enc.4242-000000000000.Ab12Cd.ps-tmp" "$F/.notes.ps-tmp.keep" \
	"$F/.short.ps-tmp" "$W/outside"
ln -s "$W/outside" "$F/.y.tar.zst.enc.$pid-000000000000.Ab12Cd.ps-tmp"
touch -d '2 days ago' "$F/.z.tar.zst.enc.Q1w2E3.ps-tmp"
run ps-backup -c "$W/backup.yml"
expect_status 0 "a later complete run (with pruning of orphans) succeeds"
left=$(find "$W/store-a" "$W/store-b" -name '.*.ps-tmp' ! -name '*-000000000000.Ab12Cd.ps-tmp' ! -name '.short.ps-tmp' | wc -l)
expect_eq 0 "$left" "the later run removed the temp files of the killed runs"
kept=0
for f in ".x.tar.zst.enc.4242-000000000000.Ab12Cd.ps-tmp" .notes.ps-tmp.keep .short.ps-tmp \
	".y.tar.zst.enc.$pid-000000000000.Ab12Cd.ps-tmp"; do
	[ -e "$F/$f" ] || [ -L "$F/$f" ] && kept=$((kept + 1))
done
expect_eq 4 "$kept" "another host's fresh temp file, look-alike names and a symlink are kept"
[ -e "$W/outside" ] && pass "the symlink's target is untouched" || fail "the symlink's target is untouched"
[ ! -e "$F/.z.tar.zst.enc.Q1w2E3.ps-tmp" ] && pass "a 2-day-old temp file of the pid-less naming is removed" ||
	fail "a 2-day-old temp file of the pid-less naming is removed"
finish
