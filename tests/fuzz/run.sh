#!/usr/bin/env bash
# Build and run every libFuzzer target tests/fuzz/fuzz_*.c for SECONDS each
# (`make fuzz`), under ASan and UBSan. Prints TAP: one line per target.
#
#   tests/fuzz/run.sh SECONDS
#
# The library sources (bootstrap/lib/*.c) are compiled once, two at a time,
# into build/fuzz/lib/ (-fsanitize=fuzzer-no-link, as libFuzzer wants for
# code that is not the target), and each target is linked with them into
# build/fuzz/<name>. Its corpus lives in
# build/fuzz/corpus-<name>, seeded from tests/fuzz/seeds/<name without
# fuzz_>/ when that exists. A crash, leak, timeout or out-of-memory is a
# failure; the input that caused it is kept in build/fuzz/crash-<name>/.
# Exit status: 0 all clean, 1 a target failed, 77 no fuzzing toolchain.
set -u

secs=${1:-30}
case $secs in
'' | *[!0-9]*)
	echo "usage: tests/fuzz/run.sh SECONDS" >&2
	exit 2
	;;
esac
if [ "$secs" -lt 1 ]; then
	echo "usage: tests/fuzz/run.sh SECONDS (at least 1)" >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$top" || exit 1
out=build/fuzz
mkdir -p "$out" || exit 1

cc=${FUZZ_CC:-clang}
cflags=(-g -O1 '-fsanitize=fuzzer,address,undefined' -fno-sanitize-recover=all
	-D_GNU_SOURCE -std=c11 -Ibootstrap/lib "-DFTBOOT_VERSION=\"${FTBOOT_VERSION:-fuzz}\"")

# A toolchain that can build a fuzzer at all, or a clear skip.
probe=$out/probe.c
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$probe"
if ! "$cc" "${cflags[@]}" -o "$out/probe" "$probe" >/dev/null 2>&1; then
	echo "1..0 # SKIP $cc cannot build libFuzzer targets (install: sudo tests/deps.sh test)"
	exit 77
fi

if ! pkgflags=$(pkg-config --cflags --libs libvirt libxml-2.0 yaml-0.1 libcurl libssh2 zlib json-c libcrypto); then
	echo "Bail out! pkg-config cannot find the libraries (sudo tests/deps.sh build)"
	exit 1
fi
read -r -a pkg <<<"$pkgflags"
read -r -a pkgc <<<"$(pkg-config --cflags libvirt libxml-2.0 yaml-0.1 libcurl libssh2 zlib json-c libcrypto)"

# The library, once: an object is rebuilt when its source or any header is
# newer (a header change rebuilds all: cheap next to one build per target).
libcflags=("${cflags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}")
mkdir -p "$out/lib" || exit 1
: >"$out/lib.build.log"
newest_h=$(find bootstrap/lib -name '*.h' -newer "$out/lib/.stamp" 2>/dev/null | head -n 1)
[ -e "$out/lib/.stamp" ] || newest_h=all
stale=()
for c in bootstrap/lib/*.c; do
	o=$out/lib/$(basename "$c" .c).o
	if [ -n "$newest_h" ] || [ ! -e "$o" ] || [ "$c" -nt "$o" ]; then
		stale+=("$c")
	fi
done
# Two compilers at a time (FUZZ_JOBS); any failure stops the run.
jobs_max=${FUZZ_JOBS:-2} running=0 lib_failed=0
for c in "${stale[@]}"; do
	"$cc" "${libcflags[@]}" "${pkgc[@]}" -c -o "$out/lib/$(basename "$c" .c).o" "$c" >>"$out/lib.build.log" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n || lib_failed=1
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || lib_failed=1
	running=$((running - 1))
done
if [ "$lib_failed" -ne 0 ]; then
	echo "Bail out! the library does not build for fuzzing (see $out/lib.build.log)"
	exit 1
fi
touch "$out/lib/.stamp"
libs=("$out"/lib/*.o)

n=0
failed=0
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	n=$((n + 1))
	bin=$out/$name
	log=$out/$name.log
	if ! "$cc" "${cflags[@]}" -o "$bin" "$src" "${libs[@]}" "${pkg[@]}" >"$out/$name.build.log" 2>&1; then
		echo "not ok $n - $name: does not build (see $out/$name.build.log)"
		failed=1
		continue
	fi

	corpus=$out/corpus-$name
	crashes=$out/crash-$name
	mkdir -p "$corpus" "$crashes"
	if [ -d "tests/fuzz/seeds/$short" ]; then
		cp -pR "tests/fuzz/seeds/$short"/. "$corpus"/
	fi

	"$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=60 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $name: ${execs:-?} runs in ${secs} s, corpus $(find "$corpus" -type f | wc -l) inputs"
	else
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "not ok $n - $name: exit $rc, input ${crash:-unknown} (log $log)"
		grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/# /'
		failed=1
	fi
done

if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets in tests/fuzz"
	exit 0
fi
echo "1..$n"
exit "$failed"
