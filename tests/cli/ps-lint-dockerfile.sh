#!/usr/bin/env bash
# ps-lint-dockerfile end to end: the standards' template gets exactly its
# findings, the corrected example none; formats, stdin, directories,
# pragmas, configuration, exit statuses; the corpus without crashes.
. "$(dirname "$0")/lib.sh"
F="$FIX/ps-lint-dockerfile"
EX="$ROOT/examples"

run ps-lint-dockerfile --help
expect_status 0 "--help exits 0"
expect_out_has "Usage:" "--help prints the usage"
run ps-lint-dockerfile --version
expect_status 0 "--version exits 0"
run ps-lint-dockerfile --no-such-option
expect_status 2 "an unknown option exits 2"
run ps-lint-dockerfile /no/such/Dockerfile
expect_status 2 "a missing file exits 2"
expect_err_has "/no/such/Dockerfile" "the missing file is named"

# The standards' template: exactly the findings it deserves.
run ps-lint-dockerfile -f json --shellcheck never "$EX/dockerfile/Dockerfile"
expect_status 1 "the template fails (an error finding)"
expect_json_lines "the template's findings are JSON lines"
got=$(json_eval "' '.join(sorted('%s@%d' % (r['rule'], r['line']) for r in recs))")
expect_eq "PSD008@8 PSD015@8 PSD025@42 PSD066@33 PSD309@42 PSD310@32 PSD311@29 PSD315@2" \
	"$got" "the template gets exactly its findings"
expect_out_has '"refs":["DL3008"]' "apt-get unpinned carries hadolint's DL3008"
expect_out_has 'runs curl, which python:3.11-slim does not ship' \
	"the HEALTHCHECK's curl is not in python:3.11-slim"
expect_out_has 'COPY --chown' "RUN chown -R over copied files suggests COPY --chown"
expect_out_has 'no .dockerignore' "COPY . . without a .dockerignore"

run ps-lint-dockerfile -f json "$EX/dockerfile-fixed/Dockerfile"
expect_status 0 "the corrected example passes"
expect_out_empty "the corrected example has no findings"

# Formats through the shared renderers.
for fmt in text sarif junit github checkstyle codeclimate gnu markdown; do
	run ps-lint-dockerfile -f "$fmt" --shellcheck never "$EX/dockerfile/Dockerfile"
	expect_status 1 "format $fmt renders and fails on the error"
done
run ps-lint-dockerfile -f sarif --shellcheck never "$EX/dockerfile/Dockerfile"
expect_out_has '"PSD309"' "sarif names the rules"
run ps-lint-dockerfile -f text --fail-on never --shellcheck never "$EX/dockerfile/Dockerfile"
expect_status 0 "--fail-on never exits 0"
expect_out_has 'Dockerfile:42:1: error:' "text findings are file:line:col: severity"
run ps-lint-dockerfile -f json --fail-on style --shellcheck never "$F/heredoc.Dockerfile"
expect_status 1 "--fail-on style fails on a warning"

# stdin
run_in "$EX/dockerfile/Dockerfile" ps-lint-dockerfile -f json --shellcheck never -
expect_status 1 "- reads stdin"
expect_out_has '"file":"-"' "stdin findings are named -"
expect_out_lacks 'PSD311' "no .dockerignore check for stdin"

# heredocs, escape directive, pragmas
run ps-lint-dockerfile -f json --shellcheck never "$F/heredoc.Dockerfile"
expect_out_lacks 'PSD100' "heredocs parse"
expect_out_has '"rule":"PSD018"' "the RUN heredoc's apk add is seen"
run ps-lint-dockerfile -f json --shellcheck never "$F/escape.Dockerfile"
expect_out_lacks 'PSD100' "the escape directive is honoured"
expect_out_lacks 'PSD045' "C:\\app is an absolute destination"
run ps-lint-dockerfile -f json --shellcheck never "$F/pragmas.Dockerfile"
got=$(json_eval "' '.join('%s@%d' % (r['rule'], r['line']) for r in recs)")
expect_eq "PSD008@7" "$got" "ps-lint and hadolint pragmas (line, global) hide their rules"

# secrets, TLS, port 22, healthcheck port
run ps-lint-dockerfile -f json --shellcheck never "$F/secrets.Dockerfile"
for r in PSD312 PSD203 PSD202 PSD201 PSD314 PSD406 PSD064; do
	expect_out_has "\"rule\":\"$r\"" "secrets.Dockerfile: $r"
done
expect_out_lacks 'hunter2' "secret values never reach the output"
# TLS checks and package signatures switched off, command by command
# (PSD202, PSD204), and the same words where they change nothing
cat >"$TMP/insecure.Dockerfile" <<'EOF'
FROM debian:12-slim
RUN curl --insecure -fsSLo /tmp/a https://example.com/a
RUN wget --no-check-certificate https://example.com/b
RUN pip install --trusted-host pypi.example.com flask
RUN python3 -m pip install --trusted-host=pypi.example.com flask
RUN npm config set strict-ssl false
RUN yarn config set strict-ssl false
RUN git config --global http.sslVerify false
RUN apt-get install -y --allow-unauthenticated curl
RUN apt --force-yes install curl
RUN apt-get -o APT::Get::AllowUnauthenticated=true install -y curl
RUN yum install -y --nogpgcheck curl
RUN dnf --nogpgcheck install -y curl
RUN microdnf install --nogpgcheck curl
RUN tdnf install --nogpgcheck curl
RUN rpm -i --nosignature /tmp/x.rpm
RUN apk add --allow-untrusted /tmp/x.apk
RUN echo --insecure --no-check-certificate --trusted-host --nogpgcheck --allow-untrusted
RUN printf '%s' --nosignature --force-yes http.sslVerify false
RUN curl -K /etc/curlrc https://example.com/c
EOF
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/insecure.Dockerfile"
expect_eq "202@2 202@3 202@4 202@5 202@6 202@7 202@8 204@9 204@10 204@11 204@12 204@13 204@14 204@15 204@16 204@17" \
	"$(json_eval "' '.join('%s@%d' % (r['rule'][3:], r['line']) for r in recs if r['rule'] in ('PSD202', 'PSD204'))")" \
	"each way of switching checks off is told, and none of the words elsewhere"

# a package index update alone in a RUN (PSD205), for each manager, and
# updates followed by an install or anything else
cat >"$TMP/update.Dockerfile" <<'EOF'
FROM debian:12-slim
RUN apt-get update
RUN apt update && apt-get -q update
RUN apk update
RUN zypper refresh
RUN zypper ref
RUN yum makecache
RUN dnf makecache --refresh
RUN apt-get update && apt-get install -y --no-install-recommends curl
RUN apk update; echo done
RUN echo update refresh ref makecache
RUN apt-get install -y --no-install-recommends update-notifier
EOF
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/update.Dockerfile"
expect_eq "2 3 4 5 6 7 8" \
	"$(json_eval "' '.join(str(r['line']) for r in recs if r['rule'] == 'PSD205')")" \
	"PSD205 for RUNs that only update a package index"

# the build toolchain in a single-stage image (PSD301), by package name
mkdir -p "$TMP/tc"
tc_yes="build-essential build-base gcc g++ clang make cmake musl-dev libc-dev libc6-dev gcc-c++ autoconf automake golang rustc cargo gcc-12 clang=1:14 zlib-dev openssl-devel"
tc_no="gcc-doc makedepend cmake-data cargo-vendor golang-doc rustc-doc libc-bin clangd autoconf-archive buildah"
for p in $tc_yes $tc_no; do
	printf 'FROM debian:12-slim\nRUN apt-get install -y --no-install-recommends %s\n' "$p" >"$TMP/tc/$(printf %s "$p" | tr '=:+' '___').Dockerfile"
done
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/tc"
expect_eq "$(printf '%s\n' $tc_yes | LC_ALL=C sort | tr '\n' ' ')" \
	"$(json_eval "' '.join(sorted(r['message'].split()[0] for r in recs if r['rule'] == 'PSD301'))") " \
	"PSD301 names each toolchain package and none of the others"

# ARG and ENV names that hold sensitive data (hadolint's DL3064 words, in
# any case and place), and names that only come near them
{
	echo 'FROM alpine:3.20'
	for n in MY_API_KEY client_key_file DB_PASSWORD PrivateDir app_secret \
		GH_TOKEN USERNAME API_KEY GITHUB_TOKEN \
		APIKEY API_KE CLIENTKEY PASSWD PRIVAT SECRE TOKN USER_NAME APP_ID; do
		echo "ARG $n"
	done
} >"$TMP/sensitive.Dockerfile"
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/sensitive.Dockerfile"
expect_eq "MY_API_KEY client_key_file DB_PASSWORD PrivateDir app_secret GH_TOKEN USERNAME API_KEY GITHUB_TOKEN" \
	"$(json_eval "' '.join(r['message'].split()[1] for r in recs if r['rule'] == 'PSD064')")" \
	"PSD064 for the names with a sensitive part, none for the near misses"

# configuration: --config with a .hadolint.yaml, --ignore, --enable
run ps-lint-dockerfile -f json -c "$F/hadolint.yaml" --shellcheck never "$F/tree/sub/api.Dockerfile"
expect_out_has '"rule":"PSD026"' "trustedRegistries flags docker.io"
expect_out_lacks '"rule":"PSD007"' "ignored: DL3007 is honoured"
run ps-lint-dockerfile -f json --ignore DL3007 "$F/tree/sub/api.Dockerfile"
expect_out_lacks 'PSD007' "--ignore takes DL codes"
run ps-lint-dockerfile -f json --require-digest "$F/tree/Dockerfile"
expect_out_has '"rule":"PSD304"' "--require-digest asks for digests"
run ps-lint-dockerfile -f json --enable no-such-rule "$F/tree/Dockerfile"
expect_status 2 "--enable of an unknown rule exits 2"
# Messages with numbers and a bounded string in them.
printf 'FROM python:3.12-slim\nUSER dev\nEXPOSE 8080\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\\"http://localhost:9090/health\\")"]\nCMD ["python", "app.py"]\n' >"$TMP/ports.Dockerfile"
run ps-lint-dockerfile -f gnu --fail-on never --shellcheck never "$TMP/ports.Dockerfile"
expect_out_has "4:1: warning: the HEALTHCHECK probes port 9090, not the EXPOSEd port 8080 [PSD314]" \
	"the probed and the EXPOSEd port are named"
expect_out_has "2:1: info: USER dev: a name may not resolve on the host; use a numeric UID [PSD066]" \
	"a USER name is quoted in its finding"

# ADD of a local file: archives (by their last suffix) and URLs only.
{
	echo 'FROM alpine:3.20'
	for f in a.tar b.tar.gz c.tgz d.tar.zst e.Z f.tbz2 g.lzma h.xz \
		notes.txt tar x.tar.gzip y. z.gz.txt .Z.old; do
		echo "ADD $f /opt/"
	done
	echo 'ADD https://example.com/tool /usr/local/bin/'
	echo 'USER 1000'
} >"$TMP/add.Dockerfile"
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/add.Dockerfile"
got=$(json_eval "' '.join('%d' % r['line'] for r in recs if r['rule'] == 'PSD020')")
expect_eq "10 11 12 13 14 15" "$got" "ADD of anything but an archive or a URL asks for COPY"

# Commands told by name, with or without a path, not by a prefix.
{
	echo 'FROM alpine:3.20'
	for c in free kill mount ps service shutdown ssh top vim /usr/bin/vim \
		sshd topx ps2 mountx "echo ssh" /bin/cd sudo; do
		echo "RUN $c"
	done
	echo 'USER 1000'
} >"$TMP/cmds.Dockerfile"
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/cmds.Dockerfile"
got=$(json_eval "' '.join('%s@%d' % (r['rule'], r['line']) for r in recs if r['rule'] in ('PSD001', 'PSD003', 'PSD004'))")
expect_eq "PSD001@2 PSD001@3 PSD001@4 PSD001@5 PSD001@6 PSD001@7 PSD001@8 PSD001@9 PSD001@10 PSD001@11 PSD003@17 PSD004@18" \
	"$got" "the commands that make no sense in a build, cd and sudo, by name"

# A message longer than the finding's first buffer is kept whole.
long=$(head -c 700 /dev/zero | tr '\0' a)
printf 'FROM registry.example.com/%s:1.0\nUSER 1000\n' "$long" >"$TMP/long.Dockerfile"
run ps-lint-dockerfile -f json --shellcheck never "$TMP/long.Dockerfile"
expect_json_lines "a long image name's findings are JSON lines"
got=$(json_eval "str(max(len(r['message']) for r in recs if r['rule'] == 'PSD302'))")
expect_eq 787 "$got" "a 787-byte message is written whole"

mkdir -p "$TMP/proj/app"
printf 'FROM python:3.11\nUSER 1000\n' >"$TMP/proj/app/Dockerfile"
printf 'dockerfile:\n  allowed-versions:\n    python: ["3.12*"]\n  severity:\n    PSD303: error\n' >"$TMP/proj/.ps-lint.yml"
run ps-lint-dockerfile -f json "$TMP/proj/app/Dockerfile"
expect_out_has '"rule":"PSD305"' ".ps-lint.yml found upward: the version policy applies"
expect_out_match '"rule":"PSD303","name":"base-image-not-minimal","severity":"error"' \
	"severity overrides apply"

# directories
run ps-lint-dockerfile -f json --fail-on never "$F/tree"
n=$(json_eval "len(set(r['file'] for r in recs))")
expect_out_has 'api.Dockerfile' "*.Dockerfile is found in a directory"
run ps-lint-dockerfile -f json --require-digest --fail-on never "$F/tree"
n=$(json_eval "len(set(r['file'] for r in recs))")
expect_eq 3 "$n" "Dockerfile, *.Dockerfile and Dockerfile.* are found, README is not"

run ps-lint-dockerfile --list-rules
expect_out_has 'PSD309' "--list-rules lists the rules"

# Many operands in one directory (their types come from one listing of
# it): files in the order given, a directory among them walked, a link
# followed, a missing one an error (exit 2) that stops the run.
mkdir -p "$TMP/many/sub"
ops=()
for i in $(seq -w 1 24); do
	printf 'FROM alpine:3.%s\nRUN apk add --no-cache curl\n' "$i" >"$TMP/many/m$i.Dockerfile"
	ops+=("$TMP/many/m$i.Dockerfile")
done
printf 'FROM alpine:latest\n' >"$TMP/many/sub/Dockerfile"
ln -s m01.Dockerfile "$TMP/many/link.Dockerfile"
run ps-lint-dockerfile -f gnu --fail-on never --shellcheck never "${ops[@]:12}" \
	"$TMP/many/sub" "$TMP/many/link.Dockerfile" "${ops[@]:0:12}"
expect_status 0 "24 operands in one directory, a directory and a link among them"
order=$(grep -o 'm[0-9]*\.Dockerfile\|sub/Dockerfile\|link\.Dockerfile' "$out" | uniq | tr '\n' ' ')
expect_eq "$(for i in $(seq -w 13 24); do printf 'm%s.Dockerfile ' "$i"; done)sub/Dockerfile link.Dockerfile $(for i in $(seq -w 1 12); do printf 'm%s.Dockerfile ' "$i"; done)" \
	"$order" "findings in operand order, the directory walked and the link followed"
expect_out_has 'link.Dockerfile:2:1: warning: pin the version of curl' \
	"the link is linted as the file it names"
run ps-lint-dockerfile -f gnu --fail-on never --shellcheck never "${ops[@]:0:20}" \
	"$TMP/many/nothere.Dockerfile" "${ops[@]:20}"
expect_status 2 "a missing operand among many exits 2"
expect_err_has "cannot open '$TMP/many/nothere.Dockerfile'" "the missing operand is named"
expect_out_lacks 'm01.Dockerfile' "nothing is linted when an operand is missing"
# the same operands as bare names in the working directory and through a
# path with .. (each opened from the listed directory's descriptor)
bare=$(cd "$TMP/many" && "$BIN/ps-lint-dockerfile" -f gnu --fail-on never --shellcheck never m*.Dockerfile | sort)
dotdot=$(cd "$TMP/many/sub" && "$BIN/ps-lint-dockerfile" -f gnu --fail-on never --shellcheck never ../m*.Dockerfile | sed 's|^\.\./||' | sort)
expect_eq "24 24" "$(printf '%s\n' "$bare" | grep -c 'pin the version of curl') $(printf '%s\n' "$dotdot" | grep -c 'pin the version of curl')" \
	"bare names and ../ names: every operand linted"
expect_eq "$bare" "$dotdot" "bare names and ../ names give the same findings"

# COPY . . beside a .dockerignore, or one of the file's own, and without:
# the answer is the directory's for each file, whatever came before.
mkdir -p "$TMP/ign/with" "$TMP/ign/without"
: >"$TMP/ign/with/.dockerignore"
ops=()
for i in $(seq -w 1 12); do
	for d in with without; do
		printf 'FROM alpine:3.20\nCOPY . .\n' >"$TMP/ign/$d/$i.Dockerfile"
		ops+=("$TMP/ign/$d/$i.Dockerfile")
	done
done
: >"$TMP/ign/without/05.Dockerfile.dockerignore"
for j in 1 2; do
	run ps-lint-dockerfile -j "$j" -f gnu --fail-on never --shellcheck never "${ops[@]}"
	expect_eq "$(for i in $(seq -w 1 12); do [ "$i" = 05 ] || printf 'without/%s.Dockerfile ' "$i"; done)" \
		"$(grep 'no .dockerignore' "$out" | grep -o '[a-z]*/[0-9]*\.Dockerfile' | tr '\n' ' ')" \
		"PSD311 for the files without a .dockerignore only (-j $j)"
done

# Linked statically (no dynamic loader at each start) wherever every library
# it links has a static archive; tool.mk falls back to a dynamic link
# otherwise, so a library another tool adds must not take this away.
if [ "${SANITIZE:-}" != 1 ]; then
	missing=""
	for a in libc.a libyaml.a libjansson.a libxxhash.a libm.a; do
		case "$(${CC:-cc} -print-file-name=$a)" in /*) ;; *) missing="$missing $a" ;; esac
	done
	if [ -n "$missing" ]; then
		skip "linked statically" "no static archive:$missing"
	elif readelf -l "$BIN/ps-lint-dockerfile" | grep -q INTERP; then
		fail "linked statically" "it has a program interpreter (dynamic link)"
	else
		pass "linked statically (no program interpreter)"
	fi
fi

# The real-world corpus: no crash, no syntax error.
needs_shared "the Dockerfile corpus"
# ${X:} (a colon and nothing after it) in FROM and RUN: the expansion
# took a word of length -1 there and the linter aborted
printf 'ARG X\nFROM alpine:3.19${X:}\nRUN echo ${X:} ${X:-} ${X:+y}\n' >"$TMP/colon.Dockerfile"
run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$TMP/colon.Dockerfile"
expect_status 0 "\${X:} with nothing after the colon lints"
expect_out_has '"snippet":"FROM alpine:3.19${X:}"' "its FROM is reported as written"

run ps-lint-dockerfile -f json --fail-on never --shellcheck never "$SHARED/corpus/dockerfile"
expect_status 0 "the corpus lints in one run"
n=$(ls "$SHARED/corpus/dockerfile" | grep -vc '^expected$')
crashed=0
for f in "$SHARED"/corpus/dockerfile/*; do
	[ -f "$f" ] || continue
	"$BIN/ps-lint-dockerfile" -f json --fail-on never --shellcheck never "$f" >"$TMP/one" 2>&1
	rc=$?
	# docker/compose's wrong-composefile fixture is invalid on purpose
	case "$f" in *wrong-composefile*)
		grep -q '"rule":"PSD100"' "$TMP/one" || crashed=$((crashed + 1))
		continue ;;
	esac
	if [ $rc -ne 0 ] || grep -q '"rule":"PSD100"' "$TMP/one"; then
		crashed=$((crashed + 1))
		echo "# $f: status $rc"
	fi
done
expect_eq 0 "$crashed" "all $n corpus files lint without a crash; only the invalid fixture has a syntax error"
finish
