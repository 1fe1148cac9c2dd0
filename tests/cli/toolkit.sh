#!/usr/bin/env bash
# The toolkit as a whole: `make install` puts binaries, man pages and
# completions under PREFIX in DESTDIR; `make demo` runs from start to end;
# the deps installer says what it would install; the toolkit's own
# Dockerfile is clean under its own linter.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

run make -s install BUILD="$BUILD" PREFIX=/usr DESTDIR="$TMP/root"
expect_status 0 "make install succeeds"
missing=
for d in "$ROOT"/cmd/ps-*/; do
	t=$(basename "$d")
	for f in "usr/bin/$t" "usr/share/man/man1/$t.1" \
		"usr/share/bash-completion/completions/$t" \
		"usr/share/zsh/site-functions/_$t" \
		"usr/share/fish/vendor_completions.d/$t.fish"; do
		[ -e "$TMP/root/$f" ] || missing="$missing $f"
	done
done
expect_eq "" "$missing" "install puts every binary, man page and completion in place"
[ -e "$TMP/root/usr/share/man/man7/ps-toolkit.7" ] && pass "install puts ps-toolkit(7) in place" ||
	fail "install puts ps-toolkit(7) in place"

run scripts/deps.sh --check
expect_status 0 "every dependency of the build and tests is installed"
run scripts/deps.sh --list build
expect_out_has "libyaml-dev" "the package list names the build libraries"
run scripts/deps.sh --bogus
expect_status 2 "deps.sh rejects an unknown option"

run env BUILD="$BUILD" scripts/demo.sh
expect_status 0 "make demo's script runs from start to end"
expect_out_has "== " "the demo shows its steps"

if [ -x "$BIN/ps-lint-dockerfile" ]; then
	run ps-lint-dockerfile -f text --fail-on warning Dockerfile
	expect_status 0 "the toolkit's own Dockerfile is clean under its own linter"
else
	skip "the toolkit's Dockerfile under its own linter" "ps-lint-dockerfile is not built"
fi
finish
