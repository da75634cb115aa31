#!/usr/bin/env bash
# make bench: applying the stack to a Kubernetes API, side by side against
# the same kind of server (tests/servers/kube-apiserver.py, the test
# double; two instances, one per client, so neither sees the other's
# objects), in one run:
#
# 1. the first apply of the full rendered stack (the repository's own
#    srcs/stack.yaml and templates/, each service given a one-line
#    Dockerfile so its image tag can be computed): `ftboot apply`
#    (discovery, server-side apply in dependency order, prune, wait for
#    every rollout: the double rolls out at once) vs `kubectl apply
#    --server-side -f` of the same manifests (`ftboot render
#    --show-secrets`), which neither prunes nor waits;
# 2. a no-op re-apply, median of BENCH_KUBE_RUNS runs each, alternated.
#
# For each: wall time in ms and the HTTP requests the server logged.
# kubectl: the machine's, else Debian's kubernetes-client (tests/deps.sh);
# without one the kubectl column is skipped, with the reason. Exit 77 when
# the test server cannot start. Figures only: nothing here fails on time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
# shellcheck source-path=SCRIPTDIR source=../servers/kube.sh
. "$top/tests/servers/kube.sh"
runs=${BENCH_KUBE_RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench-kube.XXXXXX")
trap 'kube_stop "$tmp/k1" 2>/dev/null || true; kube_stop "$tmp/k2" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export FTBOOT_STATE_DIR=$tmp/state FTBOOT_CACHE_DIR=$tmp/cache HOME=$tmp/home
mkdir -p "$HOME"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ms CMD...: the wall time of CMD in milliseconds; its output to $tmp/last.
# A failure of CMD ends the bench: call it in this shell (ms ... >>FILE),
# never in a $(...) subshell.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$tmp/last" 2>&1 || { echo "bench: '$*' failed:" >&2; tail -20 "$tmp/last" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
# requests DIR: how many requests the server of DIR logged since its last reset.
requests() { wc -l <"$1/requests.log" | tr -d ' '; }
reset_log() { kube_ctl "$1" POST /log/reset >/dev/null; }

for k in k1 k2; do
	if ! kube_start "$tmp/$k" 2>"$tmp/$k.err"; then
		echo "bench kube: skipped, the test server cannot start: $(tr '\n' ' ' <"$tmp/$k.err")" >&2
		exit 77
	fi
	kube_ctl "$tmp/$k" POST /auto '{"ready": true, "lb_ip": "192.168.61.10"}' >/dev/null
done

# The repository's stack, on the first server, each service with a Dockerfile.
p=$tmp/p
mkdir -p "$p"
cp -r "$top/srcs" "$top/templates" "$p/"
services=$(sed -n '/^services:/,$p' "$p/srcs/stack.yaml" | sed -n 's/^  \([a-z0-9-]*\):.*/\1/p')
for s in $services; do
	mkdir -p "$p/srcs/$s"
	[ -e "$p/srcs/$s/Dockerfile" ] || printf 'FROM alpine:3.20\n' >"$p/srcs/$s/Dockerfile"
done
# Without the remote manifests (no internet here: the dashboard's is
# fetched from GitHub), and so without the stack's objects that live in
# the dashboard's namespace.
sed -i '/^manifests:/,/^[a-z]/{/^manifests:/d;/^  /d}' "$p/srcs/stack.yaml"
rm -f "$p/templates/dashboard.yaml"
printf '\ncluster: {kubeconfig: "%s", timeout: 60}\n' "$tmp/k1/kubeconfig" >>"$p/srcs/stack.yaml"
stack=$p/srcs/stack.yaml
"$FTBOOT" -f "$stack" render --show-secrets >"$tmp/all.yaml"
objects=$(grep -c '^kind:' "$tmp/all.yaml")

kubectl=$(command -v kubectl || true)
kc() { "$kubectl" --kubeconfig "$tmp/k2/kubeconfig" --cache-dir "$tmp/kcache" "$@"; }
kc_apply() { kc apply --server-side --field-manager=bench --validate=false -f "$tmp/all.yaml"; }
# kubectl needs the namespaces the manifests name; the server has default.

# ---- 1. first apply -----------------------------------------------------------
reset_log "$tmp/k1"
ms "$FTBOOT" -f "$stack" apply >"$tmp/f1"
f1=$(cat "$tmp/f1") f1r=$(requests "$tmp/k1")
c1="" c1r="" kskip="no kubectl here (tests/deps.sh test installs kubernetes-client)"
if [ -n "$kubectl" ]; then
	reset_log "$tmp/k2"
	t0=$(date +%s%N)
	# A kubectl that cannot apply (Debian 12's 1.20 crashes in places) is
	# no baseline: its column is skipped with the reason, ftboot's stays.
	if kc_apply >"$tmp/last" 2>&1; then
		t1=$(date +%s%N)
		c1=$(((t1 - t0) / 1000000)) c1r=$(requests "$tmp/k2")
	else
		kskip="$kubectl failed: $(grep -m1 -E 'panic|error' "$tmp/last" || tail -1 "$tmp/last")"
		kubectl=""
	fi
fi

# ---- 2. no-op re-apply --------------------------------------------------------
: >"$tmp/f.all"
: >"$tmp/c.all"
for _ in $(seq "$runs"); do
	reset_log "$tmp/k1"
	ms "$FTBOOT" -f "$stack" apply >>"$tmp/f.all"
	f2r=$(requests "$tmp/k1")
	if [ -n "$kubectl" ]; then
		reset_log "$tmp/k2"
		ms kc_apply >>"$tmp/c.all"
		c2r=$(requests "$tmp/k2")
	fi
done
f2=$(median <"$tmp/f.all")

printf 'bench: apply of the rendered stack (%d objects) to the Kubernetes API test double, one server per client\n' "$objects"
printf '%-56s %8s %9s\n' "" "ms" "requests"
printf '%-56s %8d %9d\n' "ftboot apply, first (apply, prune, wait)" "$f1" "$f1r"
printf '%-56s %8d %9d\n' "ftboot apply, no-op (median of $runs)" "$f2" "$f2r"
if [ -z "$kubectl" ]; then
	echo "bench kube: kubectl: skipped, $kskip"
	exit 0
fi
c2=$(median <"$tmp/c.all")
printf '%-56s %8d %9d\n' "kubectl apply --server-side, first (no prune, no wait)" "$c1" "$c1r"
printf '%-56s %8d %9d\n' "kubectl apply --server-side, no-op (median of $runs)" "$c2" "$c2r"
awk -v f="$f1" -v c="$c1" 'BEGIN {printf "%-56s %7.2fx\n", "first: kubectl/ftboot time (above 1: ftboot faster)", (f > 0 ? c / f : 0)}'
awk -v f="$f2" -v c="$c2" 'BEGIN {printf "%-56s %7.2fx\n", "no-op: kubectl/ftboot time (above 1: ftboot faster)", (f > 0 ? c / f : 0)}'
echo "kubectl: $("$kubectl" version --client 2>/dev/null | head -1)"
