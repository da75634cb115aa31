#!/usr/bin/env bash
# make bench: time and peak memory of `ftboot render` (load the stack,
# render every template, write the stream), median of repeated runs, for
# the project's stack (1x) and a synthetic one 100 times larger (100x).
#
# Baseline: what a hand-written setup.sh does instead, `sed` replacing
# every placeholder over the same template files (no parsing, no checks).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
runs1=${BENCH_RUNS:-21}
runs100=${BENCH_RUNS_100:-7}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

# The 100x stack: every service 100 times (own name, own LB ports), every
# template copied for each copy of its service.
make_big() {
	local dir=$1 i s port=10000
	mkdir -p "$dir/srcs" "$dir/templates"
	{
		echo "name: big"
		sed -n '/^secrets:/,/^services:/p' "$top/srcs/stack.yaml" | sed '$d'
		echo "services:"
		for i in $(seq -w 1 100); do
			for s in nginx wordpress phpmyadmin grafana; do
				echo "  $s-$i: {ports: {http: $port, alt: $((port + 1))}}"
				port=$((port + 2))
			done
			# ftps as the stack has it: a control port and a passive range.
			echo "  ftps-$i: {ports: {ftp: $port, pasv: $((port + 1))-$((port + 5))}}"
			port=$((port + 6))
			echo "  mysql-$i: {type: ClusterIP, ports: {mysql: 3306}}"
			echo "  influxdb-$i: {type: ClusterIP, ports: {http: 8086}}"
			echo "  telegraf-$i: {type: None}"
		done
	} >"$dir/srcs/stack.yaml"
	cp "$top/templates/00-secrets.yaml" "$dir/templates/"
	contexts "$dir"
	for i in $(seq -w 1 100); do
		for s in nginx wordpress phpmyadmin ftps grafana mysql influxdb telegraf; do
			sed -e "s/\b\(nginx\|wordpress\|phpmyadmin\|ftps\|grafana\|mysql\|influxdb\|telegraf\)\b/\1-$i/g" \
				"$top/templates/$s.yaml" >"$dir/templates/$s-$i.yaml"
		done
	done
}

# A minimal build context (a one-line Dockerfile) for every service of the
# stack in $1 that has none: render plans each service's image.
contexts() { # dir
	local s
	sed -n '/^services:/,$s/^  \([a-z0-9-]*\):.*/\1/p' "$1/srcs/stack.yaml" | while read -r s; do
		[ -e "$1/srcs/$s/Dockerfile" ] && continue
		mkdir -p "$1/srcs/$s" && printf 'FROM scratch\n' >"$1/srcs/$s/Dockerfile"
	done
}

# The 1x stack: the project's, in a copy with build contexts where it has none yet.
make_one() {
	mkdir -p "$1"
	cp -R "$top/srcs" "$top/templates" "$1/"
	contexts "$1"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One measurement: prints "ms kib" of the median run.
measure() { # runs cmd...
	local runs=$1 i
	shift
	for i in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
			echo "bench: '$*' failed:" >&2
			cat "$tmp/err" >&2
			exit 1
		}
		awk '{printf "%d %d\n", $1 * 1000, $2}' "$tmp/t"
	done >"$tmp/samples"
	# /usr/bin/time reports 10 ms steps; use our own clock for the time.
	local t0 t1 ms=()
	for i in $(seq "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		ms+=("$(((t1 - t0) / 1000))")
	done
	printf '%s\n' "${ms[@]}" | median | awk '{printf "%.2f ", $1 / 1000}'
	cut -d' ' -f2 "$tmp/samples" | median
}

sed_baseline() { # dir
	# shellcheck disable=SC2016 # a literal ${ is the pattern
	grep -oh '\${[A-Za-z0-9_.-]*}' "$1"/templates/*.yaml | sort -u |
		sed 's/[$.]/\\&/g; s/.*/s|&|X|g/' >"$tmp/sed-$2"
	measure "$3" sed -f "$tmp/sed-$2" "$1"/templates/*.yaml
}

make_one "$tmp/one"
make_big "$tmp/big"
(cd "$tmp/big" && "$FTBOOT" render >/dev/null) || { echo "bench: the 100x stack does not render" >&2; exit 1; }

printf 'bench: ftboot render, median of %d runs (1x) and %d runs (100x)\n' "$runs1" "$runs100"
printf 'baseline: sed replacing every placeholder over the same templates (a setup.sh);\n'
printf '          sed/render above 1 means ftboot is faster by that factor\n'
printf '%-6s %9s %9s %11s %13s %10s %14s\n' stack templates manifests "render ms" "peak RSS KiB" "sed ms" "sed/render"
row() { # label dir runs sed-runs
	local n m r s
	n=$(find "$2/templates" -name '*.yaml' | wc -l)
	m=$( (cd "$2" && "$FTBOOT" render) | grep -c '^kind: ')
	read -r r rss < <(cd "$2" && measure "$3" "$FTBOOT" render)
	read -r s _ < <(sed_baseline "$2" "$1" "$4")
	printf '%-6s %9d %9d %11.2f %13d %10.2f %13.2fx\n' "$1" "$n" "$m" "$r" "$rss" "$s" \
		"$(awk -v a="$r" -v b="$s" 'BEGIN {print (a > 0 ? b / a : 0)}')"
	echo "$r $rss" >"$tmp/row-$1"
}
row 1x "$tmp/one" "$runs1" "$runs1"
row 100x "$tmp/big" "$runs100" 3
read -r h _ < <(measure "$runs1" "$FTBOOT" help)
printf 'startup floor: %.2f ms (ftboot help: loading libvirt, libcurl, libssh2 ...)\n' "$h"
read -r r1 m1 <"$tmp/row-1x"
read -r r2 m2 <"$tmp/row-100x"
awk -v r1="$r1" -v r2="$r2" -v m1="$m1" -v m2="$m2" \
	'BEGIN {printf "growth 100x/1x: time %.1fx, peak memory %.1fx (linear would be 100x)\n", r2 / r1, m2 / m1}'
