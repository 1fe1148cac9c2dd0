#!/usr/bin/env bash
# tests/cli/s3.sh: the S3 client and s3:// store end to end, against a real
# s3rver on 127.0.0.1 behind the SigV4-verifying, fault-injecting proxy
# (scripts/s3-server.sh, scripts/s3proxy/). The proxy is checked first: it
# must accept a correct independent client (@aws-sdk/client-s3 and curl
# --aws-sigv4) and refuse a wrong secret. Then the Check suite
# test_s3_live runs through it, reading back with the second client.
. "$(dirname "$0")/lib.sh"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	skip "s3 end-to-end" "node/npm are not installed (scripts/deps.sh)"
	finish
fi
case "$BUILD" in /*) TBIN="$BUILD/tests" ;; *) TBIN="$ROOT/$BUILD/tests" ;; esac
NODE_DIR=${NODE_DIR:-$ROOT/build/node}
export NODE_DIR
S3DIR="$TMP/s3"
BUCKET=ps-test

if ! endpoint=$("$ROOT/scripts/s3-server.sh" start "$S3DIR" "$BUCKET" 2>"$TMP/start.err"); then
	fail "start s3rver and the verifying proxy" "$(cat "$TMP/start.err")"
	finish
fi
on_exit "'$ROOT/scripts/s3-server.sh' stop '$S3DIR'"
pass "s3rver and the verifying proxy started on 127.0.0.1"
case "$endpoint" in http://127.0.0.1:*) pass "proxy listens on loopback" ;;
*) fail "proxy listens on loopback" "endpoint: $endpoint" ;; esac

export NODE_PATH="$NODE_DIR/node_modules"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
readback=(node "$ROOT/scripts/s3proxy/readback.js" "$endpoint")

# The second client writes through the proxy (its signatures verify) and
# reads back byte-identical data.
head -c 1500000 /dev/urandom >"$TMP/obj.bin"
want=$(sha256sum "$TMP/obj.bin" | cut -d' ' -f1)
run "${readback[@]}" put "$BUCKET" "rig/obj one.bin" "$TMP/obj.bin"
expect_status 0 "aws-sdk PutObject through the proxy is accepted"
run "${readback[@]}" sha256 "$BUCKET" "rig/obj one.bin"
expect_out_has "$want 1500000" "aws-sdk reads back the same bytes"

# curl's SigV4 as a third signer: the right secret passes, a wrong one
# is refused with S3's answer.
sig=(--aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
run curl -s -o /dev/null -w '%{http_code}' "${sig[@]}" --user "S3RVER:S3RVER" \
	"$endpoint/$BUCKET/rig/obj%20one.bin"
expect_out_has 200 "curl --aws-sigv4 GET with the right secret: 200"
run curl -s "${sig[@]}" --user "S3RVER:wrong-secret" -w '\n%{http_code}' \
	"$endpoint/$BUCKET/rig/obj%20one.bin"
expect_out_has "SignatureDoesNotMatch" "a wrong secret is refused: SignatureDoesNotMatch"
expect_out_has 403 "a wrong secret is refused: 403"
run curl -s -w '\n%{http_code}' "$endpoint/$BUCKET/rig/obj%20one.bin"
expect_out_has "AccessDenied" "anonymous requests are refused"
run curl -s -w '\n%{http_code}' -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	--aws-sigv4 "aws:amz:us-east-1:s3" --user "NOSUCHKEY:S3RVER" \
	"$endpoint/$BUCKET/rig/obj%20one.bin"
expect_out_has "InvalidAccessKeyId" "unknown access keys are refused"

# A second s3rver over HTTPS with a self-signed certificate, for the TLS
# verification test (direct: the proxy speaks plain HTTP).
tls_env=()
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/tls.key" \
		-out "$TMP/tls.crt" >/dev/null 2>&1; then
	NODE_PATH="$NODE_DIR/node_modules" setsid node --openssl-legacy-provider \
		"$ROOT/scripts/s3proxy/s3rver.js" --dir "$TMP/tls-data" \
		--bucket "$BUCKET" --tls-key "$TMP/tls.key" --tls-cert "$TMP/tls.crt" \
		--url-file "$TMP/tls.url" </dev/null >"$TMP/tls.log" 2>&1 &
	tls_pid=$!
	on_exit "kill $tls_pid"
	for _ in $(seq 1 100); do [ -s "$TMP/tls.url" ] && break; sleep 0.1; done
	if [ -s "$TMP/tls.url" ]; then
		tls_env=(S3_TEST_TLS_ENDPOINT="$(cat "$TMP/tls.url")" S3_TEST_TLS_CA="$TMP/tls.crt")
		pass "s3rver over HTTPS started on 127.0.0.1"
	else
		fail "s3rver over HTTPS started" "$(cat "$TMP/tls.log")"
	fi
else
	skip "TLS verification" "openssl cannot make a test certificate"
fi

# The client under test, through the proxy, with faults.
if [ ! -x "$TBIN/test_s3_live" ]; then
	fail "test_s3_live is built" "missing $TBIN/test_s3_live (make unit)"
else
	env "${tls_env[@]+"${tls_env[@]}"}" \
		S3_TEST_ENDPOINT="$endpoint" S3_TEST_BUCKET="$BUCKET" \
		S3_TEST_READBACK="node $ROOT/scripts/s3proxy/readback.js" \
		CK_VERBOSITY=verbose timeout 900 "$TBIN/test_s3_live" \
		>"$TMP/live.log" 2>&1
	rc=$?
	# one result per Check test: FILE:LINE:P|F|E:CASE:TEST:...
	while IFS=: read -r _ _ res tcase tname _ msg; do
		case "$res" in
		P) pass "live $tcase/$tname" ;;
		F | E) fail "live $tcase/$tname" "$msg" ;;
		esac
	done < <(grep -E '^[^:]+:[0-9]+:[PFE]:' "$TMP/live.log")
	line=$(grep -E 'Checks: [0-9]+' "$TMP/live.log" | tail -1)
	if [ "$rc" -eq 0 ] && echo "$line" | grep -q '100%'; then
		pass "test_s3_live through the verifying proxy: $line"
	else
		fail "test_s3_live through the verifying proxy (status $rc)" "$line"
		grep -vE '^[^:]+:[0-9]+:P:' "$TMP/live.log" | head -40 | sed 's/^/#   /'
	fi
fi

# The proxy really checked what the client sent.
stats=$(curl -s "$endpoint/__ps/stats")
verified=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["verified"])' "$stats")
if [ "${verified:-0}" -gt 50 ]; then pass "the proxy verified $verified signed requests"
else fail "the proxy verified signed requests" "stats: $stats"; fi

finish
