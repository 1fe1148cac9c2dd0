#!/usr/bin/env bash
# ps-backup end to end: the standards' backup.yml, config errors naming the
# key to add, a backup of an awkward tree to two local locations at once,
# the layout and manifest, restore byte-identical (diff -r and digests),
# tampering, truncation, a wrong key, retention (days, keep counts, never
# the newest backup), orphans, --dry-run, crafted unsafe archives (Python's
# tarfile), and the same against s3rver behind the verifying proxy with
# injected faults, read back by @aws-sdk/client-s3; and through s3.spool_dir
# (one signed PUT from a spool file; a missing spool directory exits 2).
. "$(dirname "$0")/lib.sh"
FX="$FIX/ps-backup"
W="$TMP/w"
mkdir -p "$W"
cp "$FX/key" "$FX/wrong.key" "$W/"
chmod 600 "$W/key" "$W/wrong.key"
"$FX/make-tree.sh" "$W/src"
KEY=$(cat "$FX/key")

cat >"$W/backup.yml" <<EOF
backup:
  files:
    schedule: "0 2 * * *"
    retention: 30
    locations:
      - local://store-a
      - file://$W/store-b
    paths: [src]
    exclude: ["*.tmp", "data/cache"]
    encryption:
      key_file: key
EOF

# ---- options and the standards' file ----
run ps-backup --help
expect_status 0 "--help exits 0"
expect_out_has "--only" "--help lists --only"
run ps-backup --version
expect_status 0 "--version exits 0"
run ps-backup --no-such-option
expect_status 2 "unknown option exits 2"

run ps-backup -c "$ROOT/examples/backup.yml" --check
expect_status 2 "the standards' backup.yml loads, but its sets lack what a file backup needs"
expect_err_has "backup.application_data: nothing to back up: add 'paths'" "names the key to add: paths"
expect_err_has "add 'encryption' with key_file or key_env" "names the key to add: encryption"
expect_err_lacks "unknown key" "every standards key is known"
expect_err_has "backup.yml:11:3:" "errors carry file:line:column"

cat >"$W/bad.yml" <<EOF
backup:
  files:
    schedule: "61 * * * *"
    retention: thirty
    locations: [ftp://x]
    paths: [src]
    encryption: {key_file: key, key_env: K}
    retension: 3
EOF
run ps-backup -c "$W/bad.yml" --check
expect_status 2 "a bad config exits 2"
expect_err_has "bad.yml:3:" "bad schedule is placed"
expect_err_has "retention" "bad retention named"
expect_err_has "'ftp://x' is not a local://, file:// or s3:// location" "bad location named"
expect_err_has "give only one of key_file" "two keys refused"
expect_err_has 'did you mean "retention"' "unknown key with a suggestion"

run ps-backup -c "$W/backup.yml" --only nope
expect_status 2 "--only with an unknown set exits 2"

run ps-backup -c "$W/backup.yml" --check -f text
expect_status 0 "--check of a good config"
expect_out_has "files: enabled, 1 path, 2 locations, retention 30 days, key " "--check shows the key id"
expect_out_lacks "$KEY" "--check never shows the key"

# ---- dry run writes nothing ----
(cd "$W" && run ps-backup --dry-run -f text && echo "$rc" >"$TMP/rc")
rc=$(cat "$TMP/rc")
expect_status 0 "--dry-run exits 0"
[ ! -e "$W/store-a" ] && [ ! -e "$W/store-b" ] && pass "--dry-run creates no location" ||
	fail "--dry-run wrote something"

# ---- a backup to two locations at once ----
run ps-backup -c "$W/backup.yml"
expect_status 0 "backup exits 0"
expect_json_lines "backup writes JSON lines"
expect_eq ok "$(json_eval 'recs[0]["status"]')" "backup record status ok"
expect_eq "ok ok" "$(json_eval '" ".join(l["status"] for l in recs[0]["locations"])')" "both locations ok"
expect_eq True "$(json_eval 'recs[0]["encrypted"]')" "encrypted"
expect_eq 11 "$(json_eval 'recs[0]["contents"]["files"]')" "11 files (scratch.tmp and data/cache excluded)"
expect_eq 2 "$(json_eval 'recs[0]["contents"]["hardlinks"]')" "two hard links"
expect_eq 4 "$(json_eval 'recs[0]["contents"]["symlinks"]')" "four symlinks"
ID=$(json_eval 'recs[0]["id"]')
SHA=$(json_eval 'recs[0]["sha256"]')
[[ "$ID" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$ ]] && pass "id is UTC time + suffix ($ID)" || fail "id $ID"
expect_out_lacks "$KEY" "the key is not in the record"
expect_err_lacks "$KEY" "the key is not on stderr"

for s in store-a store-b; do
	obj="$W/$s/files/$ID.tar.zst.enc"
	man="$W/$s/files/$ID.manifest.json"
	[ -f "$obj" ] && [ -f "$man" ] && pass "$s: <set>/<id>.tar.zst.enc and .manifest.json" ||
		fail "$s layout" "$(find "$W/$s")"
	expect_eq "$SHA" "$(sha256sum "$obj" | cut -d' ' -f1)" "$s: object SHA-256 = record"
done
MAN="$W/store-a/files/$ID.manifest.json"
python3 - "$MAN" "$ID" "$SHA" "$KEY" <<'PY' && pass "manifest fields" || fail "manifest fields"
import json, os, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == 1 and m["id"] == sys.argv[2] and m["set"] == "files"
assert m["digests"]["object_sha256"] == sys.argv[3]
assert m["sizes"]["stored_bytes"] == os.path.getsize(os.path.join(os.path.dirname(sys.argv[1]), sys.argv[2] + ".tar.zst.enc"))
assert m["counts"]["files"] == 11 and m["tool"] == "ps-backup" and m["tool_version"]
e = m["encryption"]
assert e["cipher"] == "AES-256-GCM" and e["chunk_size"] == 1048576 and len(e["key_id"]) == 16
assert len(e["nonce_prefix"]) == 16 and e["kdf"] == "none"
from datetime import datetime
assert datetime.fromisoformat(m["created_at"]) <= datetime.fromisoformat(m["finished_at"])
assert m["source"]["paths"][0]["path"].endswith("/src")
assert sys.argv[4] not in open(sys.argv[1]).read()
PY
head -c 8 "$W/store-a/files/$ID.tar.zst.enc" | grep -q PSCRYPT1 && pass "object starts with the crypt header" ||
	fail "crypt magic"
if grep -qa "hello" "$W/store-a/files/$ID.tar.zst.enc"; then fail "plaintext visible"; else pass "no plaintext in the object"; fi

# ---- list, verify, restore byte-identical ----
run ps-restore -c "$W/backup.yml" --list
expect_status 0 "list exits 0"
expect_eq 2 "$(json_eval 'sum(1 for r in recs if r["id"] == "'"$ID"'")')" "listed in both locations"
run ps-restore -c "$W/backup.yml" --verify latest
expect_status 0 "verify latest exits 0"
expect_eq 11 "$(json_eval 'recs[0]["hashed"]')" "every file digest checked"

"$FX/treesum.py" "$W/src" '*.tmp' 'data/cache' >"$TMP/src.sum"
for from in "local://store-a" "file://$W/store-b"; do
	rm -rf "$W/out"
	run ps-restore -c "$W/backup.yml" "$ID" --to "$W/out" --from "$from"
	expect_status 0 "restore from $from"
	"$FX/treesum.py" "$W/out$W/src" >"$TMP/out.sum"
	if cmp -s "$TMP/src.sum" "$TMP/out.sum"; then pass "restored tree identical from $from (digests, modes, times, links, xattrs)"; else
		fail "restored tree differs from $from"; diff "$TMP/src.sum" "$TMP/out.sum" | head -10 | sed 's/^/#   /'; fi
	if diff -r --no-dereference -x '*.tmp' -x cache "$W/src" "$W/out$W/src" >/dev/null; then pass "diff -r agrees ($from)"; else fail "diff -r ($from)"; fi
done
[ "$(stat -c %i "$W/out$W/src/data/numbers.txt")" = "$(stat -c %i "$W/out$W/src/docs/hard-2")" ] &&
	pass "hard links restored as hard links" || fail "hard links"

# ---- tampering and truncation: exit 1, nothing written ----
tamper() {	# tamper NAME PYTHON-EXPR-ON-BYTES
	rm -rf "$W/t" "$W/tout" && mkdir -p "$W/t" && cp -a "$W/store-a/files" "$W/t/"
	python3 - "$W/t/files/$ID.tar.zst.enc" "$2" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b = eval(sys.argv[2])
open(p, "wb").write(bytes(b))
PY
	run ps-restore -c "$W/backup.yml" --from "file://$W/t" --verify "$ID"
	expect_status 1 "$1: verify exits 1"
	run ps-restore -c "$W/backup.yml" --from "file://$W/t" "$ID" --to "$W/tout"
	expect_status 1 "$1: restore exits 1"
	if [ ! -e "$W/tout" ] && [ -z "$(ls -A "$W" | grep '^\.ps-restore')" ]; then
		pass "$1: nothing written"; else fail "$1: something was written" "$(ls -A "$W")"; fi
}
tamper "flipped byte in the middle" 'b.__setitem__(len(b)//2, b[len(b)//2] ^ 1) or b'
tamper "flipped byte in the header" 'b.__setitem__(30, b[30] ^ 0x80) or b'
tamper "flipped last byte" 'b.__setitem__(len(b)-1, b[len(b)-1] ^ 1) or b'
tamper "truncated object" 'b[:len(b) - 1000]'
tamper "truncated at a chunk boundary" 'b[:52 + 1048576 + 16]'
tamper "appended bytes" 'b + b[52:52+1048592]'
expect_err_has "altered" "the message says the object was altered"

# ---- wrong key ----
sed 's/key_file: key/key_file: wrong.key/' "$W/backup.yml" >"$W/wrong.yml"
run ps-restore -c "$W/wrong.yml" --verify "$ID"
expect_status 2 "a wrong key exits 2"
expect_err_has "wrong key for backup $ID: it was encrypted with key id" "a wrong key is a clear error"
rm -rf "$W/wout"
run ps-restore -c "$W/wrong.yml" "$ID" --to "$W/wout"
[ ! -e "$W/wout" ] && pass "wrong key: nothing restored" || fail "wrong key restored something"
sed 's/key_file: key/key_env: PS_TEST_BACKUP_KEY/' "$W/backup.yml" >"$W/env.yml"
PS_TEST_BACKUP_KEY="$KEY" run ps-restore -c "$W/env.yml" --verify "$ID"
expect_status 0 "the key from an environment variable works"
run ps-restore -c "$W/env.yml" --verify "$ID"
expect_status 2 "an unset key variable exits 2"
expect_err_has "PS_TEST_BACKUP_KEY" "and names the variable"

# ---- retention ----
# Fake older backups: copies of the real one under older ids.
fake() {	# fake STORE DAYS-AGO -> prints the new id
	python3 - "$1" "$ID" "$2" <<'PY'
import json, os, shutil, sys, time, random
store, id_, days = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.time() - days * 86400
new = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t)) + "-%04x" % random.randrange(65536)
d = os.path.join(store, "files")
shutil.copy(os.path.join(d, id_ + ".tar.zst.enc"), os.path.join(d, new + ".tar.zst.enc"))
m = json.load(open(os.path.join(d, id_ + ".manifest.json")))
m["id"] = new
m["object"] = "files/" + new + ".tar.zst.enc"
m["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
json.dump(m, open(os.path.join(d, new + ".manifest.json"), "w"))
print(new)
PY
}
OLD1=$(fake "$W/store-a" 40)
OLD2=$(fake "$W/store-a" 35)
KEEP=$(fake "$W/store-a" 10)
# an orphan: data of an interrupted run, older than the newest backup
cp "$W/store-a/files/$ID.tar.zst.enc" "$W/store-a/files/20200101T000000Z-dead.tar.zst.enc"
run ps-backup -c "$W/backup.yml" --prune-only --dry-run
expect_status 0 "prune dry run"
expect_eq "$OLD1 $OLD2" "$(json_eval '" ".join(sorted(r["id"] for r in recs if r["type"] == "prune" and r["status"] == "would-delete" and r["id"] != "20200101T000000Z-dead"))')" "dry run names the two old ones"
[ -f "$W/store-a/files/$OLD1.manifest.json" ] && pass "dry run deletes nothing" || fail "dry run deleted"
run ps-backup -c "$W/backup.yml"
expect_status 0 "backup + prune"
expect_eq "$OLD1 $OLD2" "$(json_eval '" ".join(sorted(r["id"] for r in recs if r["type"] == "prune" and r["status"] == "deleted" and "orphan" not in r["reason"]))')" "backups older than 30 days pruned"
expect_eq "20200101T000000Z-dead" "$(json_eval '" ".join(r["id"] for r in recs if r["type"] == "prune" and "orphan" in r["reason"])')" "the orphan is reported"
[ ! -e "$W/store-a/files/$OLD1.manifest.json" ] && [ ! -e "$W/store-a/files/$OLD1.tar.zst.enc" ] &&
	pass "manifest and data deleted" || fail "old backup still there"
[ -e "$W/store-a/files/$KEEP.manifest.json" ] && pass "a 10-day-old backup is kept" || fail "kept one deleted"
[ ! -e "$W/store-a/files/20200101T000000Z-dead.tar.zst.enc" ] && pass "orphan older than the newest backup pruned" ||
	fail "orphan left"

# never the newest verified backup, even with retention 0
sed 's/retention: 30/retention: 0/' "$W/backup.yml" >"$W/zero.yml"
cp -a "$W/store-a" "$W/store-z"
sed -i "s#local://store-a#local://store-z#; /store-b/d" "$W/zero.yml"
run ps-backup -c "$W/zero.yml" --prune-only
expect_status 0 "retention 0 prune"
expect_eq 1 "$(ls "$W/store-z/files/" | grep -c manifest)" "retention 0 keeps exactly the newest backup"
NEWEST=$(ls "$W/store-z/files/" | grep manifest | cut -c1-21)
expect_eq "$(ls "$W/store-a/files/" | grep manifest | sort | tail -1 | cut -c1-21)" "$NEWEST" "... and it is the newest"

# keep counts (restic style): daily 2 keeps the newest of the two newest days
cat >"$W/keep.yml" <<EOF
backup:
  files:
    locations: [local://store-k]
    paths: [src]
    keep: {last: 1, daily: 2}
    encryption: {key_file: key}
EOF
mkdir -p "$W/store-k" && cp -a "$W/store-a/files" "$W/store-k/"
D3=$(fake "$W/store-k" 3); D2=$(fake "$W/store-k" 2); D5=$(fake "$W/store-k" 5)
run ps-backup -c "$W/keep.yml" --prune-only
expect_status 0 "keep policy prune"
left=$(ls "$W/store-k/files/" | grep manifest | cut -c1-21 | sort | tr '\n' ' ')
[[ "$left" == *"$D2"* ]] && pass "keep daily 2: the backup of two days ago is kept" || fail "keep daily" "$left"
[[ "$left" != *"$D3"* && "$left" != *"$D5"* ]] && pass "keep: older days pruned" || fail "keep policy" "$left"
expect_eq 2 "$(echo $left | wc -w)" "keep last 1 + daily 2 leaves two backups"

# ---- crafted unsafe archives are refused ----
cat >"$W/crafted.yml" <<EOF
backup:
  evil:
    locations: [local://store-e]
    paths: [src]
    encryption: none
EOF
craft() {	# craft NAME PYTHON-ADDING-MEMBERS
	local id="20260101T000000Z-$(printf '%04x' $((RANDOM)))"
	mkdir -p "$W/store-e/evil"
	python3 - "$W/evil.tar" "$2" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def f(name, data=b"x"):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
def l(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
exec(sys.argv[2])
t.close()
PY
	zstd -q -f "$W/evil.tar" -o "$W/store-e/evil/$id.tar.zst"
	python3 - "$W/store-e/evil" "$id" <<'PY'
import hashlib, json, os, sys
d, id_ = sys.argv[1], sys.argv[2]
p = os.path.join(d, id_ + ".tar.zst"); b = open(p, "rb").read()
json.dump({"format": 1, "id": id_, "set": "evil", "object": "evil/" + id_ + ".tar.zst",
           "created_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
           "sizes": {"stored_bytes": len(b)}, "digests": {"object_sha256": hashlib.sha256(b).hexdigest()},
           "encryption": None}, open(os.path.join(d, id_ + ".manifest.json"), "w"))
PY
	rm -rf "$W/eout" "$TMP/escape"
	run ps-restore -c "$W/crafted.yml" "$id" --to "$W/eout"
	expect_status 1 "crafted archive with $1 refused"
	[ ! -e "$W/eout" ] && [ ! -e "$TMP/escape" ] && [ ! -e "$W/escape" ] && pass "$1: nothing written" ||
		fail "$1: something was written"
}
craft "../ in a name" 'f("ok"); f("../escape")'
craft "an absolute path" "f('$TMP/escape')"
craft "symlink then file" "l('sneaky', '$TMP'); f('sneaky/escape')"
craft "nested symlink then file" "l('a', '..'); f('a/escape')"
craft "a device file" 'i = tarfile.TarInfo("null"); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)'
expect_err_has "unsafe entry" "the message says why"

# ---- S3: s3rver behind the verifying proxy ----
if ! command -v node >/dev/null 2>&1 || ! "$ROOT/scripts/s3-server.sh" install >"$TMP/npm.log" 2>&1; then
	skip "S3 end-to-end" "node or the S3 test rig is not installed"
	finish
fi
S3DIR="$TMP/s3"
on_exit "'$ROOT/scripts/s3-server.sh' stop '$S3DIR'"
EP=$("$ROOT/scripts/s3-server.sh" start "$S3DIR" ps-backups 2>"$TMP/s3start.log")
if [ -z "$EP" ]; then
	fail "s3rver started" "$(cat "$TMP/s3start.log")"
	finish
fi
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
cat >"$W/s3.yml" <<EOF
s3:
  endpoint: $EP
  region: us-east-1
  path_style: true
  part_size: 5MiB
backup:
  files:
    retention: 30
    locations:
      - s3://ps-backups/app/
      - local://store-s
    paths: [src]
    exclude: ["*.tmp", "data/cache"]
    encryption:
      key_file: key
EOF
# faults: the data upload first answers 503 SlowDown, the manifest's first
# PUT loses its connection, a listing is slow
curl -s -X POST "$EP/__ps/faults" -d '[{"method":"PUT","path":"tar\\.zst\\.enc","action":"503","times":1},{"method":"PUT","path":"manifest","action":"drop","times":1},{"method":"GET","action":"delay","ms":300,"times":1}]' >/dev/null
run ps-backup -c "$W/s3.yml"
expect_status 0 "backup to S3 and local at once (with a 503 and a dropped connection)"
SID=$(json_eval 'recs[0]["id"]')
SSHA=$(json_eval 'recs[0]["sha256"]')
expect_eq "ok ok" "$(json_eval '" ".join(l["status"] for l in recs[0]["locations"])')" "both locations ok"
stats=$(curl -s "$EP/__ps/stats")
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if not s["rejected"] and s["verified"] > 0 else 1)' "$stats" &&
	pass "the proxy rejected no signature" || fail "signatures rejected" "$stats"
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if sum(s["faults"].values()) >= 2 else 1)' "$stats" &&
	pass "the faults were injected (and retried)" || fail "faults not injected" "$stats"
rb=$(NODE_PATH="$ROOT/build/node/node_modules" node --no-warnings "$ROOT/scripts/s3proxy/readback.js" "$EP" sha256 ps-backups "app/files/$SID.tar.zst.enc")
expect_eq "$SSHA" "${rb%% *}" "a second client (aws-sdk) reads back the same object"
NODE_PATH="$ROOT/build/node/node_modules" node --no-warnings "$ROOT/scripts/s3proxy/readback.js" "$EP" get ps-backups "app/files/$SID.manifest.json" "$TMP/s3man.json"
expect_eq "$SSHA" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digests"]["object_sha256"])' "$TMP/s3man.json")" "the S3 manifest has the object digest"
run ps-restore -c "$W/s3.yml" --list --from s3://ps-backups/app/
expect_status 0 "list from S3"
expect_out_has "$SID" "the S3 backup is listed"
run ps-restore -c "$W/s3.yml" --verify "$SID" --from s3://ps-backups/app/
expect_status 0 "verify from S3"
rm -rf "$W/s3out"
run ps-restore -c "$W/s3.yml" "$SID" --to "$W/s3out" --from s3://ps-backups/app/
expect_status 0 "restore from S3"
"$FX/treesum.py" "$W/s3out$W/src" >"$TMP/s3.sum"
cmp -s "$TMP/src.sum" "$TMP/s3.sum" && pass "restored from S3: identical tree" || fail "S3 restore differs"
# an object altered in the bucket by another client: verify fails
NODE_PATH="$ROOT/build/node/node_modules" node --no-warnings "$ROOT/scripts/s3proxy/readback.js" "$EP" get ps-backups "app/files/$SID.tar.zst.enc" "$TMP/obj"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[1000]^=1; open(p,"wb").write(bytes(b))' "$TMP/obj"
NODE_PATH="$ROOT/build/node/node_modules" node --no-warnings "$ROOT/scripts/s3proxy/readback.js" "$EP" put ps-backups "app/files/$SID.tar.zst.enc" "$TMP/obj"
run ps-restore -c "$W/s3.yml" --verify "$SID" --from s3://ps-backups/app/
expect_status 1 "an altered S3 object fails verification"
# a location that cannot be written fails the backup, the other still gets it
sed 's#s3://ps-backups/app/#s3://no-such-bucket/app/#' "$W/s3.yml" >"$W/s3bad.yml"
run ps-backup -c "$W/s3bad.yml" --no-prune
expect_status 3 "one failed location fails the backup (exit 3)"
expect_eq "failed ok" "$(json_eval '" ".join(l["status"] for l in recs[0]["locations"])')" "the record reports each location"
# ---- S3 with s3.spool_dir: the object spooled to an unnamed file there,
# sent as one signed PUT (no multipart) and retried from the file ----
mkdir -p "$W/spool" "$W/big"
head -c 7340032 /dev/urandom >"$W/big/random-7MiB.bin"	# above one 5 MiB part
cat >"$W/s3spool.yml" <<EOF
backup:
  files:
    locations: [s3://ps-backups/spool/]
    paths: [src, big]
    exclude: ["*.tmp", "data/cache"]
    encryption: {key_file: key}
    s3:
      endpoint: $EP
      path_style: true
      part_size: 5MiB
      spool_dir: spool
EOF
curl -s -X DELETE "$EP/__ps/faults" >/dev/null
curl -s -X DELETE "$EP/__ps/stats" >/dev/null
# the data PUT first gets a 503, then loses its connection: sent again from the file
curl -s -X POST "$EP/__ps/faults" -d '[{"method":"PUT","path":"spool/files/.*tar\\.zst\\.enc","action":"503","times":1},{"method":"PUT","path":"spool/files/.*tar\\.zst\\.enc","action":"drop","times":1}]' >/dev/null
run ps-backup -c "$W/s3spool.yml" --no-prune
expect_status 0 "backup through s3.spool_dir (with a 503 and a dropped connection)"
SPID=$(json_eval 'recs[0]["id"]')
SPSHA=$(json_eval 'recs[0]["sha256"]')
expect_eq True "$(json_eval 'recs[0]["stored_bytes"] > 5 * 1024 * 1024')" "the spooled object is larger than one part"
stats=$(curl -s "$EP/__ps/stats")
python3 -c '
import json, sys
s = json.loads(sys.argv[1])
ok = (not s["rejected"] and s["verified"] > 0 and s["methods"].get("POST", 0) == 0
      and s["faults"].get("503", 0) == 1 and s["faults"].get("drop", 0) == 1)
sys.exit(0 if ok else 1)' "$stats" &&
	pass "spooled: signed PUTs only, no multipart, the faults retried" || fail "spooled upload" "$stats"
[ -z "$(ls -A "$W/spool")" ] && pass "nothing left in the spool directory" || fail "spool files left" "$(ls -A "$W/spool")"
rb=$(NODE_PATH="$ROOT/build/node/node_modules" node --no-warnings "$ROOT/scripts/s3proxy/readback.js" "$EP" sha256 ps-backups "spool/files/$SPID.tar.zst.enc")
expect_eq "$SPSHA" "${rb%% *}" "aws-sdk reads back the spooled object"
run ps-restore -c "$W/s3spool.yml" --list --from s3://ps-backups/spool/
expect_status 0 "list the spooled backup"
expect_out_has "$SPID" "the spooled backup is listed"
run ps-restore -c "$W/s3spool.yml" --verify "$SPID" --from s3://ps-backups/spool/
expect_status 0 "verify the spooled backup"
rm -rf "$W/spoolout"
run ps-restore -c "$W/s3spool.yml" "$SPID" --to "$W/spoolout" --from s3://ps-backups/spool/
expect_status 0 "restore the spooled backup"
"$FX/treesum.py" "$W/spoolout$W/src" >"$TMP/spool.sum"
cmp -s "$TMP/src.sum" "$TMP/spool.sum" && diff -r "$W/spoolout$W/big" "$W/big" >/dev/null &&
	pass "restored from the spooled object: identical trees" || fail "spooled restore differs"
# a spool directory that does not exist: exit 2 naming the key, nothing sent
sed 's#spool_dir: spool#spool_dir: no-such-spool#' "$W/s3spool.yml" >"$W/s3nospool.yml"
curl -s -X DELETE "$EP/__ps/stats" >/dev/null
run ps-backup -c "$W/s3nospool.yml"
expect_status 2 "a missing spool directory exits 2"
expect_err_has "s3nospool.yml:11:18: error: backup.files: s3.spool_dir: '$W/no-such-spool' is not an existing directory" \
	"the message names the key at file:line:column"
expect_eq 0 "$(curl -s "$EP/__ps/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')" \
	"nothing was sent"
: >"$W/not-a-dir"
sed 's#spool_dir: spool#spool_dir: not-a-dir#' "$W/s3spool.yml" >"$W/s3filespool.yml"
run ps-backup -c "$W/s3filespool.yml" --check
expect_status 2 "a spool_dir that is a file exits 2"
expect_err_has "s3.spool_dir: '$W/not-a-dir' is not an existing directory (not a directory)" "says it is not a directory"
finish
