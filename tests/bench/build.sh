#!/usr/bin/env bash
# make bench: image builds against one private dockerd (tests/servers/
# dockerd.sh) on 127.0.0.1 with mutual TLS, in one run, side by side:
#
# 1. a no-op `ftboot build` of the fixture services (base FROM scratch
#    with busybox-static, app FROM it), everything up to date, vs `docker
#    build` of the same contexts by Debian's CLI (classic builder,
#    DOCKER_BUILDKIT=0), fully cached, over the same TLS: median of runs;
# 2. N services (default 4) FROM base, each with a RUN that hashes 256 MB
#    of zeros (CPU work, not sleep), built with --jobs 1 vs --jobs N; a
#    changed file in each context before every run, so nothing is cached.
#
# Exit 77 with the reason if dockerd cannot start here.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
# shellcheck source-path=SCRIPTDIR source=../servers/dockerd.sh
. "$top/tests/servers/dockerd.sh"
runs=${BENCH_RUNS:-7}
n=${BENCH_BUILD_SERVICES:-4}
jruns=${BENCH_BUILD_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench.XXXXXX")
trap 'dockerd_stop "$tmp/d"; rm -rf "$tmp"' EXIT
export FTBOOT_STATE_DIR=$tmp/state
DOCKER=$(dockerd_cli)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ms CMD...: the wall time of CMD in milliseconds; its output to $tmp/last.
# A failure of CMD ends the bench (ms runs in this shell, never a subshell).
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$tmp/last" 2>&1 || { echo "bench: '$*' failed:" >&2; tail -20 "$tmp/last" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# The fixtures: base and app as in tests/integration/build.sh, and cpu1..N.
mk_base() { # dir
	mkdir -p "$1"
	cp /bin/busybox "$1/busybox"
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$1/Dockerfile"
}
p1=$tmp/p1 p2=$tmp/p2
mk_base "$p1/srcs/base"
mkdir -p "$p1/srcs/app"
printf 'FROM ftboot/base\nRUN echo built >/built\nCOPY . /ctx/\n' >"$p1/srcs/app/Dockerfile"
echo v1 >"$p1/srcs/app/app.txt"
mk_base "$p2/srcs/base"
cpus=""
for i in $(seq 1 "$n"); do
	mkdir -p "$p2/srcs/cpu$i"
	printf 'FROM ftboot/base\nCOPY stamp /stamp\nRUN dd if=/dev/zero bs=1M count=256 2>/dev/null | sha256sum >/sum\n' \
		>"$p2/srcs/cpu$i/Dockerfile"
	echo 0 >"$p2/srcs/cpu$i/stamp"
	cpus="$cpus cpu$i: {},"
done

port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
printf 'name: bn\nengine: {host: "tcp://127.0.0.1:%s"}\nservices: {base: {}, app: {}}\n' "$port" >"$p1/srcs/stack.yaml"
(cd "$p1" && "$FTBOOT" docker-env >/dev/null) || { echo "bench: ftboot docker-env failed" >&2; exit 1; }
eng=$FTBOOT_STATE_DIR/bn/engine
if ! dockerd_start "$tmp/d" "$eng/server/ca.pem" "$eng/server/cert.pem" "$eng/server/key.pem" 2>"$tmp/d.err"; then
	echo "bench: build: skipped, dockerd cannot start: $(tr '\n' ' ' <"$tmp/d.err")" >&2
	exit 77
fi
port=$dockerd_port # dockerd_start's pick
printf 'name: bn\nengine: {host: "tcp://127.0.0.1:%s"}\nservices: {base: {}, app: {}}\n' "$port" >"$p1/srcs/stack.yaml"
printf 'name: bj\nengine: {host: "tcp://127.0.0.1:%s", cert_path: "%s"}\nservices: {base: {},%s}\n' \
	"$port" "$eng/client" "${cpus%,}" >"$p2/srcs/stack.yaml"
tls=(--tlsverify "--tlscacert=$eng/client/ca.pem" "--tlscert=$eng/client/cert.pem"
	"--tlskey=$eng/client/key.pem" -H "tcp://127.0.0.1:$port")
cli_build() { # the CLI's build of base and app, tagged apart from ftboot's
	DOCKER_BUILDKIT=0 "$DOCKER" "${tls[@]}" build -q -t bench/base "$p1/srcs/base" &&
		DOCKER_BUILDKIT=0 "$DOCKER" "${tls[@]}" build -q -t bench/app "$p1/srcs/app"
}

# ---- 1. no-op --------------------------------------------------------------
# Every loop runs in this shell (no pipeline): a failure stops the bench.
"$FTBOOT" -q -f "$p1/srcs/stack.yaml" build >/dev/null 2>&1 || { echo "bench: the first ftboot build failed" >&2; exit 1; }
cli_build >/dev/null
: >"$tmp/f.all"
: >"$tmp/c.all"
for i in $(seq "$runs"); do ms "$FTBOOT" -f "$p1/srcs/stack.yaml" build >>"$tmp/f.all"; done
if [ "$(grep -cE ' (base|app) +up to date' "$tmp/last")" -ne 2 ]; then
	echo "bench: the no-op ftboot build built something:" >&2
	cat "$tmp/last" >&2
	exit 1
fi
for i in $(seq "$runs"); do ms cli_build >>"$tmp/c.all"; done
f=$(median <"$tmp/f.all") c=$(median <"$tmp/c.all")
printf 'bench: no-op build of 2 fixture services (base, app FROM base), up to date, median of %d runs\n' "$runs"
printf '%-44s %8s\n' "" "ms"
printf '%-44s %8d\n' "ftboot build (inspects, no context sent)" "$f"
printf '%-44s %8d\n' "docker build x2 (classic builder, cached)" "$c"
awk -v f="$f" -v c="$c" 'BEGIN {printf "%-44s %7.1fx\n", "docker/ftboot (above 1: ftboot faster)", (f > 0 ? c / f : 0)}'

# ---- 2. --jobs 1 vs --jobs N ---------------------------------------------------
jobs_run() { # jobs out: change every stamp, then build; appends the ms to out
	local i stamp
	stamp=$(date +%s%N)
	for i in $(seq 1 "$n"); do echo "$stamp-$i" >"$p2/srcs/cpu$i/stamp"; done
	ms "$FTBOOT" -f "$p2/srcs/stack.yaml" build --jobs "$1" >>"$2"
	if [ "$(grep -cE ' cpu[0-9]+ +built ' "$tmp/last")" -ne "$n" ]; then
		echo "bench: not every cpu service was built:" >&2
		cat "$tmp/last" >&2
		exit 1
	fi
}
"$FTBOOT" -q -f "$p2/srcs/stack.yaml" build base >/dev/null 2>&1 || { echo "bench: base failed" >&2; exit 1; }
: >"$tmp/j1.all"
: >"$tmp/jn.all"
for i in $(seq "$jruns"); do
	jobs_run 1 "$tmp/j1.all"
	jobs_run "$n" "$tmp/jn.all"
done
j1=$(median <"$tmp/j1.all") jn=$(median <"$tmp/jn.all")
printf 'bench: %d services, each a RUN hashing 256 MB (CPU), nothing cached, median of %d runs each, alternated; %s CPUs here\n' \
	"$n" "$jruns" "$(nproc)"
printf '%-44s %8d\n' "ftboot build --jobs 1 (ms)" "$j1"
printf '%-44s %8d\n' "ftboot build --jobs $n (ms)" "$jn"
awk -v a="$j1" -v b="$jn" -v n="$n" 'BEGIN {printf "%-44s %7.2fx (at most min(%d, CPUs))\n", "speed-up --jobs " n " over --jobs 1", (b > 0 ? a / b : 0), n}'
