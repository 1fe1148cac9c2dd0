#!/usr/bin/env bash
# ps-lint-serverless end to end: the standards' serverless.yml gets the
# findings it deserves (dataSync's 600 s timeout behind API Gateway, logs on
# Resource "*"), the corrected one none; every rule on a crafted file;
# package sizes read from real zips; the corpus without a crash.
. "$(dirname "$0")/lib.sh"
EX="$ROOT/examples"
F="$FIX/ps-lint-serverless"
rules() { json_eval "' '.join(sorted('%s:%d' % (r['rule'], r['line']) for r in recs))"; }

run ps-lint-serverless -f json "$EX/serverless/serverless.yml"
expect_status 1 "the standards' serverless.yml has an error"
expect_eq "PSS005:33 PSS007:19" "$(rules)" "standards: dataSync's timeout exceeds API Gateway's 29 s; logs allowed on every resource"
expect_out_has 'function \"dataSync\"' "the finding names the function"

run ps-lint-serverless -f text --fail-on style "$EX/serverless-fixed"
expect_status 0 "the corrected serverless.yml passes"
expect_out_has "no findings" "the corrected serverless.yml has no findings"

run ps-lint-serverless -f json --today 2026-11-26 "$F/serverless.yml"
expect_eq "PSS001:22 PSS002:4 PSS004:19 PSS005:23 PSS006:5 PSS008:12 PSS009:7 PSS010:29 PSS010:32 PSS012:8 PSS013:43 PSS014:10 PSS015:40 PSS016:37" \
	"$(rules)" "every rule fires once where it should, provider values once"
expect_out_lacks "sk_live_123456789" "a literal secret's value is never printed"
run ps-lint-serverless -f json --today 2019-01-01 "$F/serverless.yml"
expect_eq 0 "$(json_eval "sum(r['rule']=='PSS002' for r in recs)")" "deprecation is judged as of --today"
run ps-lint-serverless --today 2026-13 "$F/serverless.yml"
expect_status 2 "a malformed --today is a usage error"

# Package sizes from real zips: a small one passes, one over 250 MB
# unzipped (zeros compress well) and one over 50 MB zipped are reported.
mkdir -p "$TMP/pkg/.serverless"
python3 - "$TMP/pkg/.serverless" <<'PY'
import os, sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(f"{d}/small.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("handler.py", "def h(e, c):\n    return 1\n")
with zipfile.ZipFile(f"{d}/wide.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("zeros.bin", "w", force_zip64=True) as f:
        block = bytes(1 << 20)
        for _ in range(260):
            f.write(block)
with zipfile.ZipFile(f"{d}/heavy.zip", "w", zipfile.ZIP_STORED) as z:
    z.writestr("random.bin", os.urandom(51 * 1024 * 1024))
PY
cat >"$TMP/pkg/serverless.yml" <<'YML'
service: sized
provider:
  name: aws
  runtime: python3.12
functions:
  small:
    handler: h.h
  wide:
    handler: h.h
  heavy:
    handler: h.h
YML
run ps-lint-serverless -f json --package "$TMP/pkg/.serverless" "$TMP/pkg"
expect_eq "PSS011:10 PSS011:8" "$(rules)" "packages over 250 MB unzipped and 50 MB zipped are reported, the small one is not"
expect_out_has "unzipped" "the unzipped size is named"
printf 'not a zip' >"$TMP/pkg/broken.zip"
run ps-lint-serverless -f json --package "$TMP/pkg/broken.zip" "$TMP/pkg"
expect_out_has "cannot read the package" "a package that is not a zip is reported"

# Other providers get only the generic rules.
printf 'service: az\nprovider:\n  name: azure\n  runtime: nodejs12\nfunctions:\n  f:\n    handler: x\n' >"$TMP/az.yml"
run ps-lint-serverless -f json "$TMP/az.yml"
expect_out_empty "Lambda rules are not applied to other providers"

run ps-lint-serverless -f text "$FIX/ps-lint-compose/bad-yaml.yml"
expect_status 2 "a YAML syntax error exits 2"

if [ -d "$SHARED/corpus/serverless" ]; then
	run ps-lint-serverless -f json --fail-on never "$SHARED"/corpus/serverless/*.yml
	expect_status 0 "every corpus serverless.yml lints without a crash or a parse error"
	expect_json_lines "corpus findings are JSON records"
else
	skip "corpus" "../shared is not beside the project"
fi
finish
