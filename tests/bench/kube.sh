#!/usr/bin/env bash
# make bench: applying the stack to a Kubernetes API, side by side against
# the same kind of server (tests/servers/kube-apiserver.py, the test
# double; two instances, one per client, so neither sees the other's
# objects), in one run:
#
# 1. the first apply of the full rendered stack (the repository's own
#    srcs/stack.yaml and templates/, each service given a one-line
#    Dockerfile so its image tag can be computed, and its pinned remote
#    manifest, the dashboard's): `ftboot apply` (the manifest's download,
#    discovery, server-side apply in dependency order, prune, wait for
#    every rollout: the double rolls out at once) vs `kubectl apply
#    --server-side -f` of the same objects (`ftboot render --show-secrets`
#    and the manifest, labelled as ftboot labels it), which neither
#    prunes nor waits; both servers then hold the same objects, or the
#    bench fails;
# 2. a no-op re-apply, median of BENCH_KUBE_RUNS runs each, alternated.
#
# For each: wall time in ms and the HTTP requests the server logged.
# Substituted: the dashboard's manifest (kubernetes/dashboard v2.7.0's
# recommended.yaml: no internet here, and nothing third-party is
# committed) by tests/servers/dashboard-manifest.sh's stand-in of the same
# kinds, names and count, served by tests/servers/httpd.sh (nginx) and
# pinned in the stack copy's manifests: by its sha256.
# kubectl: the machine's, else Debian's kubernetes-client (tests/deps.sh);
# without one the kubectl column is skipped, with the reason. Exit 77 when
# the test server or nginx cannot start. Figures only: nothing here fails on time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
# shellcheck source-path=SCRIPTDIR source=../servers/kube.sh
. "$top/tests/servers/kube.sh"
# shellcheck source-path=SCRIPTDIR source=../servers/httpd.sh
. "$top/tests/servers/httpd.sh"
# shellcheck source-path=SCRIPTDIR source=../servers/dashboard-manifest.sh
. "$top/tests/servers/dashboard-manifest.sh"
py=/usr/bin/python3 # Debian's, with python3-yaml (tests/deps.sh), as the double needs
runs=${BENCH_KUBE_RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-bench-kube.XXXXXX")
trap 'kube_stop "$tmp/k1" 2>/dev/null || true; kube_stop "$tmp/k2" 2>/dev/null || true
httpd_stop "$tmp/httpd" 2>/dev/null || true; rm -rf "$tmp"' EXIT
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
mkdir -p "$tmp/www"
dashboard_manifest "$tmp/www/recommended.yaml"
if ! httpd_start "$tmp/www" "$tmp/httpd" 2>"$tmp/httpd.err"; then
	echo "bench kube: skipped, nginx cannot serve the dashboard's manifest: $(tr '\n' ' ' <"$tmp/httpd.err")" >&2
	exit 77
fi

# The repository's stack, on the first server, each service with a Dockerfile.
p=$tmp/p
mkdir -p "$p"
cp -r "$top/srcs" "$top/templates" "$p/"
services=$(sed -n '/^services:/,$p' "$p/srcs/stack.yaml" | sed -n 's/^  \([a-z0-9-]*\):.*/\1/p')
for s in $services; do
	mkdir -p "$p/srcs/$s"
	[ -e "$p/srcs/$s/Dockerfile" ] || printf 'FROM alpine:3.20\n' >"$p/srcs/$s/Dockerfile"
done
# Its remote manifest, the dashboard's, from the local stand-in instead of
# GitHub: the stack copy's manifests: is that one entry.
sha=$(sha256sum "$tmp/www/recommended.yaml" | cut -d' ' -f1)
sed -i '/^manifests:/,/^[a-z]/{/^manifests:/d;/^  /d}' "$p/srcs/stack.yaml"
printf '\nmanifests: [{url: "http://127.0.0.1:%s/recommended.yaml", sha256: %s}]\n' \
	"$httpd_port" "$sha" >>"$p/srcs/stack.yaml"
printf '\ncluster: {kubeconfig: "%s", timeout: 60}\n' "$tmp/k1/kubeconfig" >>"$p/srcs/stack.yaml"
stack=$p/srcs/stack.yaml
# kubectl's file: the manifest first (its Namespace before the objects the
# templates put in it), labelled as ftboot labels every object it applies
# (render.h's RENDER_LABEL_MANAGED and RENDER_LABEL_STACK), then the
# rendered templates.
"$FTBOOT" -f "$stack" render --show-secrets >"$tmp/rendered.yaml"
$py - "$tmp/www/recommended.yaml" "$tmp/rendered.yaml" >"$tmp/all.yaml" <<'EOF'
import sys, yaml
stack = next(d for d in yaml.safe_load_all(open(sys.argv[2])) if d)["metadata"]["labels"]["ftboot/stack"]
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    d["metadata"].setdefault("labels", {}).update(
        {"app.kubernetes.io/managed-by": "ftboot", "ftboot/stack": stack})
sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False) + "---\n" + open(sys.argv[2]).read())
EOF
rendered=$(grep -c '^kind:' "$tmp/rendered.yaml")
objects=$((rendered + dashboard_manifest_objects))

kubectl=$(command -v kubectl || true)
kc() { "$kubectl" --kubeconfig "$tmp/k2/kubeconfig" --cache-dir "$tmp/kcache" "$@"; }
kc_apply() { kc apply --server-side --field-manager=bench --validate=false -f "$tmp/all.yaml"; }
# patches DIR: how many objects the server of DIR was sent (PATCH) since its
# last reset.
patches() { grep -c '"method": "PATCH"' "$1/requests.log"; }
# same_objects: the objects both servers hold that carry the stack's label
# (what each client applied, not the pods and ReplicaSets the double's
# controllers made), without what the server fills in (uid,
# resourceVersion, timestamps, managedFields: the field managers differ;
# a Service's cluster IPs and a claim's volume, allocated in apply order)
# and status; prints the ones that differ (by name: Secrets are compared,
# never shown).
same_objects() {
	kube_ctl "$tmp/k1" GET /objects >"$tmp/o1.json"
	kube_ctl "$tmp/k2" GET /objects >"$tmp/o2.json"
	$py - "$tmp/o1.json" "$tmp/o2.json" <<'EOF'
import json, sys
def applied(path):
    out = {}
    for o in json.load(open(path))["items"]:
        m = dict(o.get("metadata", {}))
        if "ftboot/stack" not in (m.get("labels") or {}):
            continue
        for k in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
            m.pop(k, None)
        spec = dict(o.get("spec") or {})
        for k in ("clusterIP", "clusterIPs", "volumeName"):
            spec.pop(k, None)
        key = "%s/%s %s/%s" % (o["apiVersion"], o["kind"], m.get("namespace", ""), m["name"])
        out[key] = dict(o, metadata=m, spec=spec, status=None)
    return out
a, b = applied(sys.argv[1]), applied(sys.argv[2])
print(len(a), "objects each" if a == b else "differ: " + " ".join(
    sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))))
EOF
}

# ---- 1. first apply -----------------------------------------------------------
reset_log "$tmp/k1"
ms "$FTBOOT" -f "$stack" apply >"$tmp/f1"
f1=$(cat "$tmp/f1") f1r=$(requests "$tmp/k1")
if [ "$(patches "$tmp/k1")" -ne "$objects" ]; then
	echo "bench: ftboot applied $(patches "$tmp/k1") objects, not $objects ($rendered rendered, $dashboard_manifest_objects of the manifest)" >&2
	exit 1
fi
c1="" c1r="" kskip="no kubectl here (tests/deps.sh test installs kubernetes-client)"
if [ -n "$kubectl" ]; then
	reset_log "$tmp/k2"
	t0=$(date +%s%N)
	# A kubectl that cannot apply (Debian 12's 1.20 crashes in places) is
	# no baseline: its column is skipped with the reason, ftboot's stays.
	if kc_apply >"$tmp/last" 2>&1; then
		t1=$(date +%s%N)
		c1=$(((t1 - t0) / 1000000)) c1r=$(requests "$tmp/k2")
		same=$(same_objects)
		if [ "$same" != "$objects objects each" ]; then
			echo "bench: the two servers do not hold the same $objects objects: $same" >&2
			exit 1
		fi
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

printf 'bench: apply of the rendered stack (%d objects: %d rendered, %d of the dashboard'"'"'s manifest) to the Kubernetes API test double, one server per client\n' \
	"$objects" "$rendered" "$dashboard_manifest_objects"
echo "  (the dashboard's manifest is a local stand-in, tests/servers/dashboard-manifest.sh: v2.7.0's recommended.yaml's kinds and count, $dashboard_manifest_objects objects)"
printf '%-56s %8s %9s\n' "" "ms" "requests"
printf '%-56s %8d %9d\n' "ftboot apply, first (download, apply, prune, wait)" "$f1" "$f1r"
printf '%-56s %8d %9d\n' "ftboot apply, no-op (median of $runs)" "$f2" "$f2r"
echo "  (requests: to the API server; the manifest's HTTP server saw $(wc -l <"$tmp/httpd/access.log" | tr -d ' ') in all runs, the download of ftboot's first apply)"
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
