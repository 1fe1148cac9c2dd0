#!/usr/bin/env bash
# scripts/pg-server.sh: a throwaway PostgreSQL cluster for tests, demos and
# benchmarks, on 127.0.0.1 and a private socket directory.
#
#   scripts/pg-server.sh start DIR   initdb (first time) + start; prints the URL
#                                    postgresql://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-server.sh stop DIR    stop it (fast shutdown) and keep DIR
#   scripts/pg-server.sh url DIR     print the URL of a running cluster
#   scripts/pg-server.sh status DIR  exit 0 when it runs
#
# PORT: $PG_PORT, or a free loopback port other than 5432. The cluster runs
# as the postgres user when started by root (runuser), with -A trust,
# --no-sync and fsync=off, so a start/stop takes about a second.
# The binaries: $(pg_config --bindir), else /usr/lib/postgresql/15/bin.
set -eu

die() { echo "pg-server.sh: $*" >&2; exit 3; }

bindir() {
	local d
	for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin \
		/usr/lib/postgresql/*/bin; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	die "initdb and pg_ctl not found (install the postgresql package)"
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# as_pg CMD...: run as the cluster's owner.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

[ $# -eq 2 ] || { echo "usage: pg-server.sh start|stop|url|status DIR" >&2; exit 2; }
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
DATA="$DIR/data"
SOCK="$DIR/sock"
BIN=$(bindir)

url() { echo "postgresql://postgres@127.0.0.1:$(cat "$DIR/port")/postgres"; }

case "$cmd" in
start)
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "no postgres user to run the cluster as"
		chown postgres "$DIR"
		# the postgres user must be able to reach DIR (mktemp -d makes 0700 dirs)
		p=$DIR
		while [ "$p" != / ]; do
			p=$(dirname "$p")
			runuser -u postgres -- test -x "$p" || chmod o+x "$p"
		done
	fi
	if [ ! -f "$DATA/PG_VERSION" ]; then
		as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync \
			-E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 ||
			{ cat "$DIR/initdb.log" >&2; die "initdb failed"; }
	fi
	as_pg mkdir -p "$SOCK"
	port=${PG_PORT:-}
	for _ in 1 2 3 4 5; do
		[ -n "$port" ] || port=$(free_port)
		[ "$port" != 5432 ] || { port=; continue; }
		if as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$SOCK -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
			start >/dev/null 2>&1; then
			echo "$port" >"$DIR/port"
			url
			exit 0
		fi
		[ -n "${PG_PORT:-}" ] && break
		port=
	done
	tail -20 "$DIR/server.log" >&2 2>/dev/null || true
	die "cannot start PostgreSQL in $DIR"
	;;
stop)
	if [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			die "cannot stop PostgreSQL in $DIR"
	fi
	;;
url)
	[ -f "$DIR/port" ] || die "no cluster started in $DIR"
	url
	;;
status)
	as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
	;;
*)
	echo "usage: pg-server.sh start|stop|url|status DIR" >&2
	exit 2
	;;
esac
