#!/usr/bin/env bash
# bench/backup.sh: ps-backup and ps-restore --verify against their peers on
# a ~1 GB mixed tree (a copy of /usr/share and /usr/lib/gcc), in one run:
#
#   backup   ps-backup to local:// (tar + zstd at its default level 2 +
#            AES-256-GCM + SHA-256 of every file and of the object, fsync)
#            vs tar -cf - | zstd -3 -T2 > file
#   size     stored object vs the peer's .tar.zst (target: within 2%)
#   level 3  ps-backup with compression.level 3, for reference: its time and
#            size beside the default's, and its verify against the peer's
#            file, which is at level 3 too
#   memory   ps-backup's peak RSS (target: under 100 MB)
#   verify   ps-restore --verify (decrypt, decompress, every digest) vs
#            zstd -d | tar -t of the peer's file
#
# Each side runs REPS times (default 3), alternating, after a warm-up read
# of the tree; the best wall time of each counts. The ratio of each round's
# back-to-back pair is printed too, with its median: the machine's speed
# drifts between rounds more than between the two runs of a pair. Not run
# by CI.
# BENCH_DIR (default /tmp/ps-bench-backup) holds the tree and the outputs.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN="$BUILD/bin" ;; *) BIN="$ROOT/$BUILD/bin" ;; esac
D=${BENCH_DIR:-/tmp/ps-bench-backup}
REPS=${REPS:-3}
for t in tar zstd /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench/backup.sh: needs $t" >&2; exit 3; }
done
mkdir -p "$D"
if [ ! -d "$D/tree" ]; then
	echo "# copying /usr/share and /usr/lib/gcc to $D/tree (once)"
	mkdir -p "$D/tree.part"
	cp -a /usr/share "$D/tree.part/share"
	cp -a /usr/lib/gcc "$D/tree.part/gcc" 2>/dev/null || true
	mv "$D/tree.part" "$D/tree"
fi
cd "$D"
rm -f key
"$BIN/ps-backup" --new-key key 2>/dev/null
cat >bench.yml <<EOF
backup:
  bench:
    locations: [local://store]
    paths: [tree]
    encryption: {key_file: key}
EOF
sed -e 's#store\]#store3]#' -e '$a\    compression: {level: 3}' bench.yml >bench3.yml
echo "# tree: $(du -sh tree | cut -f1), $(find tree -type f | wc -l) files, $(find tree -type l | wc -l) symlinks; $(nproc) CPUs"
tar -cf - tree >/dev/null	# warm the page cache

# timed NAME CMD...: wall and CPU seconds (user + sys, children included)
# of one run into $wall and $cpu.
timed() {
	/usr/bin/time -f '%e %U %S %M' -o time.txt "$@"
	read -r wall u s mem <time.txt
	cpu=$(echo "$u + $s" | bc)
}
min() { echo "if ($1 < $2) $1 else $2" | bc; }
best_peer=999999 best_ps=999999 best_pv=999999 best_v=999999 best_l3=999999 best_v3=999999
rss=0 cpu_peer=0 cpu_ps=0 cpu_pv=0 cpu_v=0 cpu_v3=0 pairs_b="" pairs_v="" pairs_v3=""
for r in $(seq 1 "$REPS"); do
	rm -f peer.tar.zst
	timed sh -c 'tar -cf - tree | zstd -q -3 -T2 >peer.tar.zst'
	best_peer=$(min "$wall" "$best_peer"); cpu_peer=$cpu; w_peer=$wall

	rm -rf store
	timed sh -c "'$BIN/ps-backup' -c bench.yml --no-prune -f json >rec.json"
	best_ps=$(min "$wall" "$best_ps"); cpu_ps=$cpu
	pairs_b="$pairs_b $(echo "scale=3; $wall / $w_peer" | bc)"
	[ "$mem" -gt "$rss" ] && rss=$mem

	rm -rf store3
	timed sh -c "'$BIN/ps-backup' -c bench3.yml --no-prune -f json >rec3.json"
	best_l3=$(min "$wall" "$best_l3")

	timed sh -c 'zstd -q -d -c peer.tar.zst | tar -tf - >/dev/null'
	best_pv=$(min "$wall" "$best_pv"); cpu_pv=$cpu; w_pv=$wall

	id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' rec.json)
	timed sh -c "'$BIN/ps-restore' -c bench.yml --verify '$id' -f json >verify.json"
	best_v=$(min "$wall" "$best_v"); cpu_v=$cpu
	pairs_v="$pairs_v $(echo "scale=3; $wall / $w_pv" | bc)"

	id3=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' rec3.json)
	timed sh -c "'$BIN/ps-restore' -c bench3.yml --verify '$id3' -f json >verify3.json"
	best_v3=$(min "$wall" "$best_v3"); cpu_v3=$cpu
	pairs_v3="$pairs_v3 $(echo "scale=3; $wall / $w_pv" | bc)"
	echo "# run $r: tar|zstd $best_peer s, ps-backup $best_ps s (level 3: $best_l3 s), zstd -d|tar -t $best_pv s, ps-restore --verify $best_v s (level 3: $best_v3 s) (best so far)"
done
grep -q '"status":"ok"' verify.json || { echo "verify failed" >&2; exit 1; }
grep -q '"status":"ok"' verify3.json || { echo "verify of the level 3 backup failed" >&2; exit 1; }
peer_size=$(stat -c %s peer.tar.zst)
ps_size=$(stat -c %s store/bench/*.tar.zst.enc)
l3_size=$(stat -c %s store3/bench/*.tar.zst.enc)
ratio() { echo "scale=3; $1 / $2" | bc; }
verdict() { if [ "$(echo "$1" | bc)" = 1 ]; then echo ok; else echo MISSED; fi; }
echo
printf 'backup wall   ps-backup %6.2f s   tar|zstd -3 -T2 %6.2f s   ratio %s (target <= 1.0: %s)\n' \
	"$best_ps" "$best_peer" "$(ratio "$best_ps" "$best_peer")" "$(verdict "$best_ps <= $best_peer")"
printf 'size          ps-backup %6d MB  tar|zstd         %6d MB  ratio %s (target within 2%%: %s)\n' \
	$((ps_size / 1000000)) $((peer_size / 1000000)) "$(ratio "$ps_size" "$peer_size")" \
	"$(verdict "$ps_size <= $peer_size * 1.02")"
printf 'level 3       ps-backup %6.2f s %6d MB  ratios %s (time) %s (size), for reference\n' \
	"$best_l3" $((l3_size / 1000000)) "$(ratio "$best_l3" "$best_peer")" "$(ratio "$l3_size" "$peer_size")"
printf 'peak RSS      ps-backup %6d MB  (target < 100 MB: %s)\n' $((rss / 1024)) "$(verdict "$rss < 102400")"
printf 'CPU (last run) ps-backup %5.2f s, tar|zstd %5.2f s; ps-restore --verify %5.2f s (level 3: %5.2f s), zstd -d|tar -t %5.2f s\n' \
	"$cpu_ps" "$cpu_peer" "$cpu_v" "$cpu_v3" "$cpu_pv"
printf 'verify wall   ps-restore %5.2f s   zstd -d | tar -t %6.2f s   ratio %s (target <= 1.0: %s)\n' \
	"$best_v" "$best_pv" "$(ratio "$best_v" "$best_pv")" "$(verdict "$best_v <= $best_pv")"
printf 'verify wall   level 3    %5.2f s   (the peer'"'"'s level)       ratio %s (target <= 1.0: %s)\n' \
	"$best_v3" "$(ratio "$best_v3" "$best_pv")" "$(verdict "$best_v3 <= $best_pv")"
# each round runs the peer and then ps-toolkit back to back: the ratios of
# those pairs show how much of the spread is the machine's
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "paired rounds: backup${pairs_b} (median $(echo "$pairs_b" | median)), verify${pairs_v} (median $(echo "$pairs_v" | median)), verify at level 3${pairs_v3} (median $(echo "$pairs_v3" | median))"
echo "# load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
