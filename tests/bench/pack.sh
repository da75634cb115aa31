#!/usr/bin/env bash
# make bench: ftboot's build-context packer (tgz.c: walk, sort, tar,
# deflate, SHA-256, streaming) against `tar -czf` of the same tree, side
# by side in one run: a generated context of 2000 files, about 50 MB,
# half text (compressible), half random bytes. Median of BENCH_RUNS runs
# (default 5) each; MB/s is input MB per second of wall time; ratio is
# the compressed size over the input; peak RSS shows the packer streams.
# Both compress at gzip level 6 (tar's gzip default).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
packer=${FTBOOT_TEST_BINS:-$top/build/default/tests}/test_tgz
runs=${BENCH_RUNS:-5}
[ -x "$packer" ] || { echo "bench: $packer is not built (make unit-bins)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench-pack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The context: 1600 text files (~16 KB), 400 binary ones (~64 KB), in 40 dirs.
ctx=$tmp/ctx
mkdir -p "$ctx" "$tmp/parts"
seq -f 'line %g: the quick brown fox jumps over the lazy dog' 1 490000 >"$tmp/text"
head -c 25600000 /dev/urandom >"$tmp/bin"
(cd "$tmp/parts" && split -n l/1600 -a 4 "$tmp/text" t && split -n 400 -a 4 "$tmp/bin" b)
i=0
for f in "$tmp/parts"/*; do
	d=$ctx/d$((i % 40))/sub$((i % 7))
	mkdir -p "$d"
	mv "$f" "$d/$(basename "$f").dat"
	i=$((i + 1))
done
files=$(find "$ctx" -type f | wc -l)
bytes=$(du -sb "$ctx" | cut -f1)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure NAME OUT CMD...: prints "ms rss_kib out_bytes" (medians).
measure() {
	local out=$1 i t0 t1
	shift
	: >"$tmp/ms"
	: >"$tmp/rss"
	for i in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$tmp/t" "$@" >"$out" 2>"$tmp/err" || {
			echo "bench: '$*' failed:" >&2
			cat "$tmp/err" >&2
			exit 1
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$tmp/ms"
		tail -n 1 "$tmp/t" >>"$tmp/rss"
		: "$i"
	done
	echo "$(median <"$tmp/ms") $(median <"$tmp/rss") $(stat -c %s "$out")"
}

read -r fm frss fout < <(measure "$tmp/ftboot.tgz" "$packer" --pack "$ctx" 6)
read -r tm trss tout < <(measure "$tmp/tar.tgz" tar -czf - -C "$ctx" .)
gzip -t "$tmp/ftboot.tgz" || { echo "bench: ftboot's archive is not valid gzip" >&2; exit 1; }

printf 'bench: pack a build context of %d files, %.1f MB (half text, half random), gzip -6, median of %d runs\n' \
	"$files" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" "$runs"
printf '%-22s %9s %9s %9s %13s\n' packer "wall ms" "MB/s" ratio "peak RSS KiB"
row() { # label ms rss out
	printf '%-22s %9d %9.1f %9.3f %13d\n' "$1" "$2" \
		"$(awk -v b="$bytes" -v ms="$2" 'BEGIN {print (ms > 0 ? b / 1e6 / (ms / 1000) : 0)}')" \
		"$(awk -v b="$bytes" -v o="$4" 'BEGIN {print o / b}')" "$3"
}
row "ftboot (tgz.c)" "$fm" "$frss" "$fout"
row "tar -czf (GNU tar)" "$tm" "$trss" "$tout"
awk -v f="$fm" -v t="$tm" 'BEGIN {printf "tar/ftboot wall time: %.2fx (above 1: ftboot is faster)\n", (f > 0 ? t / f : 0)}'
printf 'peak RSS of ftboot includes the libraries its test binary loads (libvirt, libcurl, ...); it does not grow with the context\n'
