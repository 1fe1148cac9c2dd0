#!/usr/bin/env bash
# ps-restore end to end: usage errors, --list in text, --verify with
# --sample, --diff against the live source, restore refusing a non-empty
# target, --force, --dry-run (writes nothing), passphrase-encrypted sets,
# a set chosen by id, and the example script.
. "$(dirname "$0")/lib.sh"
FX="$FIX/ps-backup"
W="$TMP/w"
mkdir -p "$W"
cp "$FX/key" "$W/"
chmod 600 "$W/key"
"$FX/make-tree.sh" "$W/src"
mkdir -p "$W/etc"
printf 'a=1\n' >"$W/etc/app.conf"
printf 'correct horse battery staple\n' >"$W/pass"
cat >"$W/backup.yml" <<EOF
encryption:
  key_file: key
backup:
  app:
    locations: [local://store]
    paths: [src]
    exclude: ["*.tmp"]
  conf:
    locations: [local://store]
    paths: [etc]
    encryption: {passphrase_file: pass}
EOF

# ---- usage ----
run ps-restore -c "$W/backup.yml"
expect_status 2 "no action exits 2"
run ps-restore -c "$W/backup.yml" --list --verify latest
expect_status 2 "two actions exit 2"
run ps-restore -c "$W/backup.yml" latest
expect_status 2 "a restore without --to exits 2"
run ps-restore -c "$W/backup.yml" --verify latest --sample 0
expect_status 2 "--sample 0 exits 2"
run ps-restore -c "$W/backup.yml" --verify latest
expect_status 2 "latest with two sets needs --set"
expect_err_has "--set" "and says so"
run ps-restore -c "$W/backup.yml" --verify not-an-id --set app
expect_status 2 "a malformed id exits 2"

run ps-backup -c "$W/backup.yml"
expect_status 0 "backup of both sets (one with a key, one with a passphrase)"
AID=$(json_eval '[r["id"] for r in recs if r["type"] == "backup" and r["set"] == "app"][0]')
CID=$(json_eval '[r["id"] for r in recs if r["type"] == "backup" and r["set"] == "conf"][0]')
expect_eq scrypt "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["encryption"]["kdf"])' "$W/store/conf/$CID.manifest.json")" "the passphrase set records its scrypt parameters"

run ps-restore -c "$W/backup.yml" --list -f text
expect_status 0 "--list in text"
expect_out_has "ID" "a header line"
expect_out_has "$AID  app" "the app backup"
expect_out_has "$CID  conf" "the conf backup"

run ps-restore -c "$W/backup.yml" --verify "$CID" -f text
expect_status 0 "verify by id finds the set by itself (passphrase set)"
run ps-restore -c "$W/backup.yml" --verify latest --set app --sample 30
expect_status 0 "--sample 30"
python3 - "$out" <<'PY' && pass "--sample checks a part of the files" || fail "--sample counts" "$(cat "$out")"
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[0])
assert r["sample_pct"] == 30 and r["hashed"] < r["files"], r
PY

# ---- --diff ----
run ps-restore -c "$W/backup.yml" --diff latest --set app -f text
expect_status 0 "diff of an unchanged source"
expect_out_has "0 added, 0 changed, 0 removed" "nothing changed"
printf 'more\n' >>"$W/src/docs/readme.txt"
rm "$W/src/docs/empty.txt"
printf 'new\n' >"$W/src/docs/new file"
printf 'skipped\n' >"$W/src/docs/ignored.tmp"
chmod 700 "$W/src/bin/run.sh"
run ps-restore -c "$W/backup.yml" --diff latest --set app -f text
expect_status 0 "diff exits 0"
expect_out_has "M $W/src/docs/readme.txt (content)" "changed content"
expect_out_has "- $W/src/docs/empty.txt" "removed file"
expect_out_has "+ $W/src/docs/new file" "added file"
expect_out_has "M $W/src/bin/run.sh (mode)" "changed mode"
expect_out_lacks "ignored.tmp" "excluded files are not 'added'"
expect_out_has "1 added, 2 changed, 1 removed" "summary"
run ps-restore -c "$W/backup.yml" --diff latest --set app
expect_json_lines "diff records"

# ---- restore targets ----
mkdir -p "$W/full"
echo keep >"$W/full/precious"
run ps-restore -c "$W/backup.yml" "$AID" --to "$W/full"
expect_status 2 "a non-empty target is refused"
expect_err_has "not empty" "and says why"
[ "$(cat "$W/full/precious")" = keep ] && pass "the target is untouched" || fail "target changed"

run ps-restore -c "$W/backup.yml" "$AID" --to "$W/full" --dry-run -f text
expect_status 3 "--dry-run reports the non-empty target as a problem"
expect_out_has "would restore 12 files" "--dry-run says what would be written"
[ "$(ls "$W/full")" = precious ] && pass "--dry-run writes nothing" || fail "--dry-run wrote"

mkdir -p "$W/empty"
run ps-restore -c "$W/backup.yml" "$AID" --to "$W/empty" --dry-run -f text
expect_status 0 "--dry-run into an empty directory"
expect_out_has "space: about" "space needed and free"
[ -z "$(ls -A "$W/empty")" ] && pass "still empty" || fail "dry run wrote into empty"

run ps-restore -c "$W/backup.yml" "$AID" --to "$W/full" --force
expect_status 0 "--force replaces the target"
[ ! -e "$W/full/precious" ] && [ -f "$W/full$W/src/docs/readme.txt" ] && pass "replaced" ||
	fail "--force result" "$(ls -R "$W/full" | head)"
[ -z "$(ls -A "$W" | grep '^\.ps-restore')" ] && pass "no temporary directories left" || fail "temp left" "$(ls -A "$W")"

run ps-restore -c "$W/backup.yml" "$AID" --to "$W/empty"
expect_status 0 "restore into an empty directory"
"$FX/treesum.py" "$W/empty$W/src" >"$TMP/a.sum"
"$FX/treesum.py" "$W/full$W/src" >"$TMP/b.sum"
cmp -s "$TMP/a.sum" "$TMP/b.sum" && pass "both restores identical" || fail "restores differ"

run ps-restore -c "$W/backup.yml" latest --set conf --to "$W/conf-out"
expect_status 0 "restore of the passphrase set"
expect_eq "a=1" "$(cat "$W/conf-out$W/etc/app.conf")" "content back"
printf 'wrong horse\n' >"$W/pass"
run ps-restore -c "$W/backup.yml" --verify latest --set conf
expect_status 2 "a wrong passphrase exits 2"
expect_err_has "wrong passphrase" "a clear message"

# ---- the example ----
if (cd "$ROOT/examples/ps-backup" && PS_BIN="$BIN" ./run.sh >"$TMP/ex.out" 2>&1); then
	pass "examples/ps-backup/run.sh runs"
else
	fail "examples/ps-backup/run.sh" "$(tail -5 "$TMP/ex.out")"
fi
grep -q "every digest checked" "$TMP/ex.out" && pass "the example restores and checks" || fail "example output"
finish
