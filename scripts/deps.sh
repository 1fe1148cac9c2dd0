#!/bin/sh
# deps.sh: install the Debian packages that ps-toolkit's build, tests and demo
# need, from scripts/packages.txt, when they are missing.
#
#   scripts/deps.sh            install build + runtime + test packages
#   scripts/deps.sh --bench    also the benchmark tools
#   scripts/deps.sh --check    install nothing; exit 1 when something is missing
#   scripts/deps.sh --list ROLE   print the packages of one role
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/packages.txt"

roles="build runtime test"
mode=install
case "${1:-}" in
--bench) roles="$roles bench" ;;
--check) mode=check ;;
--list) awk -v r="${2:?role}" '$1 == r { print $2 }' "$list"; exit 0 ;;
"") ;;
*) echo "usage: deps.sh [--bench | --check | --list ROLE]" >&2; exit 2 ;;
esac

wanted=$(for r in $roles; do awk -v r="$r" '$1 == r { print $2 }' "$list"; done)

installed() {
	case "$1" in
	# A Node.js from elsewhere (nodesource, nvm) conflicts with Debian's
	# npm: any working node and npm will do.
	nodejs) command -v node >/dev/null 2>&1 ;;
	npm) command -v npm >/dev/null 2>&1 ;;
	*) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' ;;
	esac
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: this is not a Debian system; install the equivalents of:" >&2
	echo "$wanted" | tr '\n' ' ' >&2
	echo >&2
	exit 2
fi

missing=
for p in $wanted; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$mode" = check ] && { echo "missing:$missing"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root (or: sudo apt-get install$missing)" >&2
	exit 2
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
