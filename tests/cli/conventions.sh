#!/usr/bin/env bash
# Every tool keeps the toolkit's conventions: --help exits 0 with a usage
# line, --version exits 0, an unknown option exits 2, every long option of
# --help is documented in the tool's man page, the man pages are clean under
# mandoc -Tlint, and the committed completions are what the option tables
# generate today.
. "$(dirname "$0")/lib.sh"

tools=()
for d in "$ROOT"/cmd/ps-*/; do tools+=("$(basename "$d")"); done

for t in "${tools[@]}"; do
	run "$t" --help
	expect_status 0 "$t --help exits 0"
	expect_out_has "Usage: $t" "$t --help prints a usage line"
	cp "$out" "$TMP/help"
	run "$t" --version
	expect_status 0 "$t --version exits 0"
	expect_out_has "(ps-toolkit)" "$t --version names the toolkit"
	run "$t" --no-such-option
	expect_status 2 "$t: an unknown option exits 2"
	expect_err_has "--help" "$t: a usage error points at --help"

	man="$ROOT/man/man1/$t.1"
	if [ ! -f "$man" ]; then
		fail "$t has a man page" "missing $man"
		continue
	fi
	pass "$t has a man page"
	lint=$(mandoc -Tlint -Wwarning "$man" 2>&1)
	expect_eq "" "$lint" "$t.1 is clean under mandoc -Tlint"
	mandoc -Tascii "$man" 2>/dev/null | col -b >"$TMP/man.txt"
	missing=
	for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$TMP/help" | sort -u); do
		grep -qF -- "$o" "$TMP/man.txt" || missing="$missing $o"
	done
	expect_eq "" "$missing" "$t.1 documents every long option"
	for sect in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -q "^$sect" "$TMP/man.txt" || missing="$missing [$sect]"
	done
	expect_eq "" "$missing" "$t.1 has the standard sections"

	for sh in bash zsh fish; do
		case $sh in
		bash) f="$ROOT/completions/bash/$t" ;;
		zsh) f="$ROOT/completions/zsh/_$t" ;;
		fish) f="$ROOT/completions/fish/$t.fish" ;;
		esac
		"$BIN/$t" --completion=$sh >"$TMP/comp" 2>/dev/null
		if cmp -s "$TMP/comp" "$f"; then
			pass "$t: $sh completion is up to date"
		else
			fail "$t: $sh completion is up to date" "run 'make completions'"
		fi
	done
	bash -n "$ROOT/completions/bash/$t" 2>/dev/null &&
		pass "$t: bash completion parses" || fail "$t: bash completion parses"
done

for m in "$ROOT"/man/man7/*.7; do
	[ -f "$m" ] || continue
	lint=$(mandoc -Tlint -Wwarning "$m" 2>&1)
	expect_eq "" "$lint" "$(basename "$m") is clean under mandoc -Tlint"
done

finish
