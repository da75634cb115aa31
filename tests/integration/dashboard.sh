#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the stack's Kubernetes dashboard (R4, E13) through the real
# binary, against the Kubernetes API test double (tests/servers/kube.sh) as
# an external cluster: the repository's templates/dashboard.yaml applied
# together with a remote manifest served by tests/servers/httpd.sh and
# pinned by its sha256, in ONE apply.
#
# Substituted: the upstream manifest (kubernetes/dashboard v2.7.0's
# recommended.yaml is never committed, and this machine cannot fetch it)
# by tests/servers/dashboard-manifest.sh's stand-in (the same kinds,
# names and namespace);
# the stack file by a small one that keeps the repository's dashboard:
# section and values.dashboard_port and adds cluster: and manifests:.
# What apply.sh and rollout.sh already cover (pin mismatch, prune, the
# token's lifetime and subject) is not repeated here. Checked: the
# manifest's Namespace goes first and every object after it is accepted
# (the double refuses an object whose namespace does not exist), in rank
# order; the ClusterRoleBinding gives the stack's account cluster-admin;
# `ftboot dashboard` prints https://LB:dashboard_port of the LoadBalancer
# Service of the template; --token is accepted by the API for that
# account; a dashboard.service that names the manifest's own Service is
# refused before anything is applied.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
# shellcheck source=../servers/httpd.sh
. "$FTBOOT_TOP/tests/servers/httpd.sh"
# shellcheck source=../servers/dashboard-manifest.sh
. "$FTBOOT_TOP/tests/servers/dashboard-manifest.sh"
scratch
py=/usr/bin/python3 # Debian's, with python3-yaml (tests/deps.sh)
$py -c 'import yaml' 2>/dev/null || skip_all "needs /usr/bin/python3 with python3-yaml (tests/deps.sh test)"
command -v nginx >/dev/null || skip_all "needs nginx for the manifest's server (tests/deps.sh test)"
kd=$tmp/kube hd=$tmp/httpd LB=10.77.0.9
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	kube_stop "$kd" >/dev/null 2>&1
	httpd_stop "$hd/run" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$hd/www" "$tmp/proj/srcs/web" "$tmp/proj/templates"
kube_start "$kd" --auto-ready --lb-ip "$LB" || skip_all "the API test double does not start"
httpd_start "$hd/www" "$hd/run" >/dev/null || skip_all "nginx cannot start (tests/servers/httpd.sh)"
export FTBOOT_CACHE_DIR=$tmp/cache

# The stand-in: v2.7.0's objects, by kind and name, in its namespace.
dashboard_manifest "$hd/www/recommended.yaml"
sha=$(sha256sum "$hd/www/recommended.yaml" | cut -d' ' -f1)

# The repository's dashboard: section and port, around a one-service stack.
cp "$FTBOOT_TOP/templates/dashboard.yaml" "$tmp/proj/templates/"
echo 'FROM scratch' >"$tmp/proj/srcs/web/Dockerfile"
read -r ns svc account port < <($py -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))
d = s.get("dashboard") or {}
print(d.get("namespace", "kubernetes-dashboard"), d.get("service", "kubernetes-dashboard"),
      d.get("account", "ftboot-admin"), s["values"]["dashboard_port"])' "$FTBOOT_TOP/srcs/stack.yaml")
ok $? "srcs/stack.yaml names the dashboard's namespace, Service, account and port: $ns $svc $account $port"
stackfile() { # stackfile SERVICE
	cat >"$tmp/proj/srcs/stack.yaml" <<EOF
name: da
cluster: {kubeconfig: '$kd/kubeconfig', timeout: 30}
templates: ../templates
values: {dashboard_port: $port}
services: {web: {type: None}}
manifests: [{url: 'http://127.0.0.1:$httpd_port/recommended.yaml', sha256: $sha}]
dashboard: {namespace: $ns, service: $1, account: $account}
EOF
}
cd "$tmp/proj" || exit 1

stackfile "$svc"
run_ftboot apply
is "$rc" 0 "one apply of the template and the remote manifest: $(tail -n 1 <<<"$errout" | tail -c 300)"
order=$($py - "$kd/requests.log" "$ns" <<'EOF'
import json, sys
rank = {"namespaces": 0, "serviceaccounts": 2, "roles": 2, "clusterroles": 2, "rolebindings": 2,
        "clusterrolebindings": 2, "configmaps": 3, "secrets": 3, "services": 5, "deployments": 6}
seen, bad = [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["method"] != "PATCH":
        continue
    plural = r["path"].split("/")[-2]
    seen.append(rank.get(plural, 9))
    if r["status"] >= 300:
        bad.append("%s %d" % (r["path"], r["status"]))
first = next((l for l in open(sys.argv[1]) if json.loads(l)["method"] == "PATCH"), "{}")
print(json.loads(first).get("path"), "sorted" if seen == sorted(seen) else "unsorted",
      len(seen), "refused:", bad)
EOF
)
all=$((dashboard_manifest_objects + 3)) # and the template's 3
is "$order" "/api/v1/namespaces/$ns sorted $all refused: []" \
	"the manifest's Namespace first, then all $all objects in rank order, each accepted"
crb=$(curl -sS --cacert "$kd/ca.pem" --cert "$kd/client.pem" --key "$kd/client-key.pem" \
	"$kube_url/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/da-dashboard-admin" |
	$py -c 'import json,sys; d=json.load(sys.stdin); s=d["subjects"][0]
print(d["roleRef"]["name"], s["kind"], s["namespace"], s["name"])')
is "$crb" "cluster-admin ServiceAccount $ns $account" "the stack's account is bound to cluster-admin"

run_ftboot dashboard --token
is "$rc" 0 "dashboard --token: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(sed -n 1p <<<"$out")" "https://$LB:$port" "the URL is the template's LoadBalancer at values.dashboard_port"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$kd/ca.pem" \
	-H "Authorization: Bearer $(sed -n 2p <<<"$out")" "$kube_url/api/v1/namespaces/$ns/pods")
is "$code" 200 "the API accepts the token of $account"

n0=$(wc -l <"$kd/requests.log")
stackfile kubernetes-dashboard
run_ftboot apply
is "$rc" 1 "dashboard.service naming the manifest's own Service is refused"
grep -qF "is defined twice" <<<"$errout"
ok $? "  as the same object twice: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(tail -n +"$((n0 + 1))" "$kd/requests.log" | grep -c '"PATCH"')" 0 "  before anything is applied"
done_testing
