#!/usr/bin/env bash
# End-to-end tests of ps-envcheck: the standards' three .env files, every
# per-file rule, the environment rules, control comments, schemas (template
# and typed YAML, --live), --fix (diff checked with patch(1)), --diff,
# formats and baseline, and the real-world corpus.
. "$(dirname "$0")/lib.sh"

F="$FIX/ps-envcheck"
EX="$ROOT/examples/env"

# rules of stdout's JSON findings as "file-basename:line:RULE", sorted
rules_of() {
	json_eval "' '.join('%s:%s:%s' % k for k in sorted((r['file'].rsplit('/',1)[-1], r['line'], r['rule']) for r in recs if r['type']=='finding'))"
}

# ---- the conventions ----
run ps-envcheck --help
expect_status 0 "--help exits 0"
expect_out_has "Usage: ps-envcheck" "--help prints the usage"
run ps-envcheck --version
expect_status 0 "--version exits 0"
run ps-envcheck --no-such-option
expect_status 2 "an unknown option exits 2"
run ps-envcheck --only NoSuchRule "$EX"
expect_status 2 "an unknown rule exits 2"
expect_err_has "unknown rule 'NoSuchRule'" "and names the rule"
run ps-envcheck --dry-run "$EX"
expect_status 2 "--dry-run without --fix is a usage error"
run ps-envcheck --live
expect_status 2 "--live without --schema is a usage error"
run ps-envcheck "$TMP/does-not-exist.env"
expect_status 2 "a missing file exits 2"
expect_err_has "does-not-exist.env" "and names it"
run ps-envcheck --list-rules
expect_status 0 "--list-rules exits 0"
expect_eq 23 "$(wc -l <"$out")" "--list-rules lists 23 rules"
expect_out_has "PSE012  unordered-key" "unordered-key is listed"

# ---- the standards' example: exactly these findings ----
run ps-envcheck -f json "$EX"
expect_status 0 "the standards' env files pass at the default --fail-on error"
expect_json_lines "json output is JSON lines"
expect_eq ".env.staging:2:PSE027 .env.staging:4:PSE022" "$(rules_of)" \
	"the standards' files get exactly: NODE_ENV=staging (info), literal API_KEY in staging (warning)"
expect_eq "warning" "$(json_eval "[r['severity'] for r in recs if r['rule']=='PSE022'][0]")" \
	"a literal secret in staging is a warning"
expect_out_lacks "staging_api_key" "the secret's value is never printed"
run ps-envcheck -f json --fail-on warning "$EX"
expect_status 1 "--fail-on warning fails on the staging secret"
run ps-envcheck -f json --schema "$EX/env.schema.yml" "$EX"
expect_status 0 "the standards' files fit env.schema.yml"
expect_eq ".env.staging:2:PSE027 .env.staging:4:PSE022" "$(rules_of)" "the schema adds nothing"
run ps-envcheck -f json --schema "$EX/.env.example" "$EX"
expect_status 0 "the standards' files have every key of .env.example"
expect_eq ".env.staging:2:PSE027 .env.staging:4:PSE022" "$(rules_of)" "the template adds nothing"
run ps-envcheck -f text "$EX"
expect_out_has ".env.staging:4:9: warning: API_KEY is a literal value in staging" "text output is compiler style"

# ---- every per-file rule ----
run ps-envcheck -f json "$F/lint/lint.env"
expect_status 1 "a syntax error fails"
expect_eq "lint.env:3:PSE001 lint.env:4:PSE004 lint.env:5:PSE005 lint.env:6:PSE006 lint.env:7:PSE007 lint.env:8:PSE008 lint.env:9:PSE009 lint.env:10:PSE010 lint.env:11:PSE011 lint.env:12:PSE013 lint.env:14:PSE003 lint.env:15:PSE015 lint.env:18:PSE002 lint.env:18:PSE013" \
	"$(rules_of)" "every per-file rule fires on its line"
expect_eq "DuplicatedKey" "$(json_eval "[r['refs'][0] for r in recs if r['rule']=='PSE001'][0]")" \
	"findings carry dotenv-linter's name in refs"
expect_eq "duplicated-key" "$(json_eval "[r['name'] for r in recs if r['rule']=='PSE001'][0]")" \
	"findings carry the kebab-case name"
run ps-envcheck -f json --enable unordered-key "$F/lint/lint.env"
expect_out_has '"PSE012"' "--enable unordered-key turns it on"
expect_out_has 'key \"AAA\" should go before \"UNTERMINATED\"' "and says which key goes before which"
run ps-envcheck -f json --ignore PSE001,lowercase-key --ignore SpaceCharacter "$F/lint/lint.env"
expect_out_lacks '"PSE001"' "--ignore takes codes"
expect_out_lacks '"PSE007"' "--ignore takes names"
expect_out_lacks '"PSE009"' "--ignore takes dotenv-linter names and repeats"
run ps-envcheck -f json --only TrailingWhitespace "$F/lint/lint.env"
expect_eq "lint.env:11:PSE011" "$(rules_of)" "--only runs one rule"
run ps-envcheck -f json "$F/lint/pragma.env"
expect_eq "pragma.env:4:PSE007" "$(rules_of)" \
	"# ps-envcheck off/on and # dotenv-linter:off switch rules per line"
run_in "$F/lint/lint.env" ps-envcheck -f json --only DuplicatedKey -
expect_eq "-:3:PSE001" "$(rules_of)" "- reads stdin"

# ---- environment rules across a directory ----
run ps-envcheck -f json "$F/envs"
expect_status 1 "the bad environments fail"
got=$(rules_of)
for want in .env.development:0:PSE020 .env.production:0:PSE020 \
	.env.development:4:PSE023 .env.production:1:PSE025 .env.production:2:PSE021 \
	.env.production:2:PSE022 .env.production:4:PSE024 .env.production:5:PSE022 \
	.env.production:7:PSE026; do
	case " $got " in
	*" $want "*) pass "environment rule $want" ;;
	*) fail "environment rule $want" "got: $got" ;;
	esac
done
expect_eq 0 "$(json_eval "sum(1 for r in recs if r['rule']=='PSE021' and 'redis' in r['message'])")" \
	"different redis databases are not a shared store"
expect_out_lacks "S3cr3tPa55" "a URL's password is never printed"
expect_out_lacks "sk_live_abcdef123456" "a literal secret is never printed"
expect_eq "error" "$(json_eval "[r['severity'] for r in recs if r['rule']=='PSE022'][0]")" \
	"a literal secret in production is an error"
run ps-envcheck -f json --env prod "$EX/.env.development"
expect_status 1 "--env names the environment of a file"
expect_eq ".env.development:2:PSE025 .env.development:4:PSE022 .env.development:5:PSE024" "$(rules_of)" \
	"development settings read as production: NODE_ENV, API_KEY, LOG_LEVEL=debug"
printf 'DATABASE_URL=postgresql://u@h:5432/d?sslmode=bogus&x\nAPI_URL=ftp://[::1\n' >"$TMP/urls.env"
run ps-envcheck -f json --only invalid-url "$TMP/urls.env"
expect_eq "urls.env:1:PSE026 urls.env:2:PSE026" "$(rules_of)" "libpq and curl reject malformed URLs"

mkdir -p "$TMP/iso"
printf 'DATABASE_URL=postgres://localhost:5432/app\nCACHE_URL=redis://${CACHE_HOST}:6379/0\n' >"$TMP/iso/.env.dev"
printf 'DATABASE_URL=postgresql://u:${DB_PASSWORD}@127.0.0.1/app\nCACHE_URL=redis://${CACHE_HOST}:6379/0\n' >"$TMP/iso/.env.prod"
printf 'DATABASE_URL=postgresql://u@127.0.0.1/app_test\nCACHE_URL=redis://${CACHE_HOST}:6379/0\n' >"$TMP/iso/.env.test"
run ps-envcheck -f json "$TMP/iso"
expect_eq ".env.prod:1:PSE021" "$(rules_of)" \
	"localhost and 127.0.0.1 are one host; .env.prod/.env.dev name environments; references are neither secrets nor hosts"
expect_out_has "DATABASE_URL in $TMP/iso/.env.dev" "the finding names the other environment's file"
(cd "$EX" && "$BIN/ps-envcheck" -f json >"$out" 2>"$err")
expect_eq ".env.staging:2:PSE027 .env.staging:4:PSE022" "$(rules_of)" "without operands the current directory is checked"

# ---- schemas ----
run ps-envcheck -f json --schema "$F/schema/schema.yml" "$F/schema/values.env"
expect_status 1 "schema violations fail"
expect_eq 10 "$(json_eval "sum(1 for r in recs if r['rule']=='PSE014')")" "ten schema violations"
for k in PORT WORKERS DEBUG HOME_URL ADMIN_EMAIL TIMEOUT MODE API_TOKEN MISSING_ONE EXTRA; do
	expect_out_has "$k" "schema violation for $k"
done
expect_out_lacks "RATIO" "a valid float passes"
expect_out_lacks "REGION" "a value matching the regex passes"
expect_out_lacks "HAS_DEFAULT" "a required key with a default may be missing"
expect_out_lacks "hunter2secret" "a secret's value is hidden in schema messages"
run ps-envcheck -f json --schema "$F/schema/bad-schema.yml" "$EX"
expect_status 2 "a bad schema exits 2"
expect_err_has "bad-schema.yml:2:32:" "with file:line:column"
expect_err_has 'got "colour"' "an unknown type is reported"
expect_err_has "bad regex" "a bad regex is reported"
expect_err_has "default does not fit" "a default of the wrong type is reported"
printf 'NODE_ENV=production\nEXTRA=1\n' >"$TMP/partial.env"
run ps-envcheck -f json --schema "$EX/.env.example" "$TMP/partial.env"
expect_eq 3 "$(json_eval "sum(1 for r in recs if r['rule']=='PSE014')")" "a template's three missing keys"

# --live: the process environment
run env -i NODE_ENV=production DATABASE_URL=postgresql://db:5432/app API_KEY=live-secret-value \
	"$BIN/ps-envcheck" --live --schema "$EX/env.schema.yml" -f json
expect_status 0 "--live passes a complete environment"
run env -i NODE_ENV=prod API_KEY=live-secret-value PORT=99999 \
	"$BIN/ps-envcheck" --live --schema "$EX/env.schema.yml" -f text
expect_status 1 "--live fails an incomplete environment"
expect_out_has 'required key "DATABASE_URL" is missing' "--live names the missing key"
expect_out_has 'PORT: expected a port number' "--live checks types"
expect_out_lacks "live-secret-value" "--live never prints values of secrets"
if env -i API_KEY=x "$BIN/ps-envcheck" --live --schema "$EX/env.schema.yml" -q -f text >/dev/null 2>&1 && echo started >/dev/null; then
	fail "--live && exec app must not start the app"
else
	pass "--live && exec app does not start the app on a bad environment"
fi

# ---- --fix ----
cp "$F/fix/messy.env" "$TMP/messy.env"
cp "$F/fix/messy.env" "$TMP/orig.env"
run ps-envcheck --fix --dry-run "$TMP/messy.env"
expect_status 1 "--fix --dry-run exits 1 when it would change something"
expect_out_has "@@ -1,15 +1,12 @@" "--fix --dry-run prints a unified diff"
cmp -s "$TMP/messy.env" "$TMP/orig.env" && pass "--dry-run writes nothing" || fail "--dry-run writes nothing"
[ ! -e "$TMP/messy.env.bak" ] && pass "--dry-run keeps no backup" || fail "--dry-run keeps no backup"
cp "$out" "$TMP/fix.diff"
cp "$TMP/orig.env" "$TMP/patched.env"
(cd "$TMP" && sed 's#^\(---\|+++\) .*#\1 patched.env#' fix.diff | patch -s patched.env) &&
	pass "patch(1) applies the diff" || fail "patch(1) applies the diff"
run ps-envcheck --fix -f json "$TMP/messy.env"
expect_status 0 "--fix exits by what remains"
cmp -s "$TMP/messy.env" "$TMP/patched.env" && pass "--fix writes what the diff showed" ||
	fail "--fix writes what the diff showed"
cmp -s "$TMP/messy.env.bak" "$TMP/orig.env" && pass "--fix keeps FILE.bak" || fail "--fix keeps FILE.bak"
expect_eq "messy.env:8:PSE001" "$(rules_of)" "only the different duplicate remains"
expect_eq 1 "$(grep -c '^DUP=same$' "$TMP/messy.env")" "identical duplicates are merged"
expect_eq 2 "$(grep -c '^DIFF=' "$TMP/messy.env")" "different duplicates are kept"
expect_eq "export SPACED='two words'" "$(grep SPACED "$TMP/messy.env")" "a value with blanks gets quoted"
expect_eq "QUOTED=simple" "$(grep ^QUOTED "$TMP/messy.env")" "needless quotes go"
expect_eq 'KEEP="needs space"' "$(grep ^KEEP "$TMP/messy.env")" "needed quotes stay"
ls "$TMP"/messy.env.ps-envcheck.* >/dev/null 2>&1 && fail "no temp file is left" || pass "no temp file is left"
rm -f "$TMP/messy.env.bak"
run ps-envcheck --fix --sort --no-backup -f json "$TMP/messy.env"
[ ! -e "$TMP/messy.env.bak" ] && pass "--no-backup keeps no backup" || fail "--no-backup keeps no backup"
expect_eq "DIFF=a DIFF=b DUP=same KEEP=\"needs space\" KEY=value LEAD=1 QUOTED=simple" \
	"$(head -7 "$TMP/messy.env" | tr '\n' ' ' | sed 's/ $//')" "--sort orders the first group"
expect_eq "ALPHA=2|# trailing comment|ZED=1" "$(tail -3 "$TMP/messy.env" | tr '\n' '|' | sed 's/|$//')" \
	"--sort keeps a comment with the key below it"
run ps-envcheck -f json --enable unordered-key "$TMP/messy.env"
expect_out_lacks '"PSE012"' "the sorted file has no unordered keys"
run_in "$F/fix/messy.env" ps-envcheck --fix -
expect_out_has "KEY=value" "--fix - writes the fixed text to stdout"

# ---- --diff ----
run ps-envcheck --diff -f text "$EX/.env.development" "$F/envs/.env.production"
expect_status 1 "--diff exits 1 when the key sets differ"
expect_out_match "^API_KEY +set +MISSING$" "--diff shows which file lacks a key"
run ps-envcheck --diff -f json "$EX/.env.staging" "$EX/.env.production"
expect_status 0 "--diff exits 0 for the same keys"
expect_json_lines "--diff -f json writes records"
expect_eq 4 "$(json_eval "sum(1 for r in recs if r['type']=='env_keys' and r['same'])")" "four shared keys"

# ---- formats and baseline ----
run ps-envcheck -f sarif "$F/lint/lint.env"
expect_eq "2.1.0" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$out")" "sarif output"
run ps-envcheck -f github "$F/lint/lint.env"
expect_out_has "::error file=" "github annotations"
run ps-envcheck -f json "$F/lint/lint.env"
cp "$out" "$TMP/baseline.json"
run ps-envcheck -f json --baseline "$TMP/baseline.json" "$F/lint/lint.env"
expect_status 0 "--baseline hides known findings"
expect_out_empty "nothing new against the baseline"

# ---- the real-world corpus: no crash on any file ----
needs_shared "env corpus"
crashed=0
n=0
for f in "$SHARED"/corpus/env/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$BIN/ps-envcheck" -f json --enable all "$f" >/dev/null 2>&1
	st=$?
	if [ "$st" -gt 2 ]; then crashed=$((crashed + 1)); echo "# $f: exit $st"; fi
	"$BIN/ps-envcheck" --fix --dry-run "$f" >/dev/null 2>&1
	st=$?
	if [ "$st" -gt 2 ]; then crashed=$((crashed + 1)); echo "# --fix $f: exit $st"; fi
done
expect_eq 0 "$crashed" "all $n corpus files lint and fix-diff without a crash"
run ps-envcheck -f json --fail-on never "$SHARED/corpus/env"
expect_status 0 "the corpus directory lints in one run"
finish
