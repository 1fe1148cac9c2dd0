#!/usr/bin/env bash
# s3-server.sh: a throwaway S3 for tests and demos: s3rver on 127.0.0.1
# behind a SigV4-verifying, fault-injecting proxy (scripts/s3proxy/).
#
#   scripts/s3-server.sh install            npm ci into build/node/ (once)
#   scripts/s3-server.sh start DIR [BUCKET...]
#        starts s3rver (data in DIR/data) and the proxy, creates the
#        buckets, prints the proxy's endpoint (what clients should use).
#        DIR/s3rver.url is s3rver itself (no verification: benchmarks);
#        DIR/proxy.url the proxy; logs in DIR/*.log.
#   scripts/s3-server.sh stop DIR           stops both (by their pids)
#
# Credentials: access key S3RVER, secret S3RVER, region us-east-1.
# Environment: NODE_DIR (default build/node), PS_PROXY_FAULTS (see proxy.js).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
NODE_DIR=${NODE_DIR:-$root/build/node}

die() { echo "s3-server.sh: $*" >&2; exit 3; }

install_deps() {
	command -v node >/dev/null 2>&1 || die "node is not installed (scripts/deps.sh)"
	command -v npm >/dev/null 2>&1 || die "npm is not installed (scripts/deps.sh)"
	local want have
	want=$(sha256sum "$here/s3proxy/package-lock.json" | cut -d' ' -f1)
	have=$(cat "$NODE_DIR/.lock-sha256" 2>/dev/null || true)
	if [ "$want" = "$have" ] && [ -d "$NODE_DIR/node_modules/s3rver" ]; then
		return 0
	fi
	mkdir -p "$NODE_DIR"
	# one installer at a time (test runs may start side by side)
	exec 9>"$NODE_DIR/.install-lock"
	flock 9
	have=$(cat "$NODE_DIR/.lock-sha256" 2>/dev/null || true)
	if [ "$want" != "$have" ] || [ ! -d "$NODE_DIR/node_modules/s3rver" ]; then
		cp "$here/s3proxy/package.json" "$here/s3proxy/package-lock.json" "$NODE_DIR/"
		(cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
			die "npm ci failed in $NODE_DIR"
		echo "$want" >"$NODE_DIR/.lock-sha256"
	fi
	exec 9>&-
}

# wait_file FILE PID NAME: until FILE exists (the server is listening).
wait_file() {
	for _ in $(seq 1 200); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || die "$3 exited at start; see ${1%.url}.log"
		sleep 0.1
	done
	die "$3 did not start in 20 s"
}

start() {
	local dir=${1:?usage: s3-server.sh start DIR [BUCKET...]}
	shift
	install_deps
	mkdir -p "$dir/data"
	dir=$(cd "$dir" && pwd)
	rm -f "$dir/s3rver.url" "$dir/proxy.url"
	local b args=()
	for b in "$@"; do args+=(--bucket "$b"); done
	NODE_PATH="$NODE_DIR/node_modules" setsid node --openssl-legacy-provider \
		"$here/s3proxy/s3rver.js" --dir "$dir/data" \
		--url-file "$dir/s3rver.url" "${args[@]+"${args[@]}"}" \
		</dev/null >"$dir/s3rver.log" 2>&1 &
	echo $! >"$dir/s3rver.pid"
	wait_file "$dir/s3rver.url" "$(cat "$dir/s3rver.pid")" s3rver
	NODE_PATH="$NODE_DIR/node_modules" setsid node "$here/s3proxy/proxy.js" \
		--upstream "$(cat "$dir/s3rver.url")" --url-file "$dir/proxy.url" \
		</dev/null >"$dir/proxy.log" 2>&1 &
	echo $! >"$dir/proxy.pid"
	wait_file "$dir/proxy.url" "$(cat "$dir/proxy.pid")" proxy
	cat "$dir/proxy.url"
}

stop() {
	local dir=${1:?usage: s3-server.sh stop DIR}
	local f pid
	for f in "$dir/proxy.pid" "$dir/s3rver.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -f "$f"
	done
}

case "${1:-}" in
install) install_deps ;;
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) echo "usage: s3-server.sh install | start DIR [BUCKET...] | stop DIR" >&2; exit 2 ;;
esac
