#!/usr/bin/env bash
# make bench: the non-destructive checklist against one set of loopback
# servers (tests/servers/loopstack.sh; the selection tests/integration/
# check_all.sh runs in one invocation), side by side in one run,
# BENCH_CHECK_RUNS (default 5) runs each, alternated:
#
#   (a) ftboot check --address 127.0.0.1 --only IDS (the checks side by
#       side, each with its own clients in the process)
#   (b) tests/bench/check-baseline.sh: the same checks the way public
#       ft_services test scripts do them, sequentially, with curl, lftp,
#       ssh, kubectl, the mysql client and grep
#
# Prints the median wall time of each and the ratio baseline / ftboot.
# Either failing ends the bench with its output (they check the same
# things: a failure is a broken server or check, not a figure). Exit 77
# when a server cannot start. Figures only: nothing here fails on time.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
export FTBOOT_TOP=$top FTBOOT
runs=${BENCH_CHECK_RUNS:-5}
# loopstack's pieces skip a test with skip_all: here, the bench's 77.
skip_all() {
	echo "bench check: skipped: $*" >&2
	exit 77
}
# shellcheck source-path=SCRIPTDIR source=../servers/loopstack.sh
. "$top/tests/servers/loopstack.sh"
loopstack_require || skip_all "$loopstack_why"
for p in /usr/bin/lftp /usr/bin/ssh /usr/bin/mysql /usr/bin/kubectl; do
	[ -x "$p" ] || skip_all "the baseline needs $p (tests/deps.sh test; kubectl: the machine's)"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench-check.XXXXXX")
trap 'loopstack_down; rm -rf "$tmp"' EXIT
loopstack_up || skip_all "a server of the loopback stack does not start: $loopstack_why"
loopstack_env "$tmp/env"
ids=$loopstack_ids

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ms CMD...: the wall time of CMD in milliseconds; a failure ends the bench.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$tmp/last" 2>&1 || { echo "bench check: '$*' failed:" >&2; tail -20 "$tmp/last" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
: >"$tmp/a" && : >"$tmp/b"
for ((i = 0; i < runs; i++)); do
	ms "$FTBOOT" -f "$loopstack_stack" check --address 127.0.0.1 --only "$ids" >>"$tmp/a"
	ms "$top/tests/bench/check-baseline.sh" "$tmp/env" "$ids" >>"$tmp/b"
done
a=$(median <"$tmp/a")
b=$(median <"$tmp/b")
echo "check: the non-destructive checklist ($ids) against loopback servers, median of $runs runs each"
printf '  %-56s %7d ms\n' "ftboot check" "$a" "baseline (curl, lftp, ssh, mysql, kubectl; sequential)" "$b"
awk -v a="$a" -v b="$b" 'BEGIN { printf "  ratio baseline / ftboot: %.1fx\n", (a > 0 ? b / a : 0) }'
