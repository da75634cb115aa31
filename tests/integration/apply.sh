#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot apply` through the real binary against the
# Kubernetes API test double (tests/servers/kube.sh), as the stack's
# external cluster (`cluster: {kubeconfig: ...}`), in auto-ready mode so
# the rollout wait passes. Checked: the first apply creates every object
# in dependency order (the request log's PATCH order), labelled, a
# Secret carrying the state's secret; a no-op re-apply changes nothing
# (same resourceVersions, "unchanged"); a changed template bumps exactly
# one Deployment's generation; a removed template's object is pruned and
# an object without the stack's label is left alone; one apply's PATCHes
# come over one connection (the request log's client port); 422, 409
# Conflict and 403 (a view-only token) show the API's message naming the
# template and the object; a kind the cluster does not serve fails naming
# it, what was applied before it journaled (and pruned next time); 429 is
# retried; 503 exhausted fails naming the object; a kubeconfig with another
# CA is refused; a remote manifest
# pinned by sha256 (tests/servers/httpd.sh) is applied, labelled, pruned
# when removed, and a wrong sha256 applies nothing; an object that exists
# without the stack's label is refused before anything is applied; `down`
# refuses entries of another server behind the same context name, and
# deletes exactly the journaled objects.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
# shellcheck source=../servers/httpd.sh
. "$FTBOOT_TOP/tests/servers/httpd.sh"
scratch
py=/usr/bin/python3 # Debian's (the pyenv shim in PATH is not)
[ -x $py ] || skip_all "no /usr/bin/python3 for the API test double"
kd=$tmp/kube
kd2=$tmp/kube2
hd=$tmp/httpd
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	kube_stop "$kd" >/dev/null 2>&1
	kube_stop "$kd2" >/dev/null 2>&1
	httpd_stop "$hd/run" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$kd" "$kd2" "$hd/www"
kube_start "$kd" --auto-ready || skip_all "the API test double does not start"
kube_ctl "$kd" POST /auto '{"ready": true}' >/dev/null
export FTBOOT_CACHE_DIR=$tmp/cache

# GET an API path with the admin's client certificate: the JSON, or the
# Status; kstatus: the HTTP status of that GET (kube.sh).
kget() { kube_get "$kd" "$1"; }
kstatus() { kube_code "$kd" "$1"; }
# Create an object as another client would (not ftboot's field manager): kput PATH JSON
kput() {
	curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$kd/ca.pem" \
		--cert "$kd/client.pem" --key "$kd/client-key.pem" -X PATCH \
		-H 'Content-Type: application/apply-patch+yaml' \
		"$kube_url$1?fieldManager=someone-else" --data-binary "$2"
}
# A kubeconfig IN changed by a Python STATEMENT on it (k, and a = ARG), as OUT:
# kc_edit IN OUT STATEMENT ARG
kc_edit() {
	$py - "$@" <<'EOF'
import base64, sys, yaml
k, a = yaml.safe_load(open(sys.argv[1])), sys.argv[4]
exec(sys.argv[3])
open(sys.argv[2], "w").write(yaml.safe_dump(k))
EOF
}
# The request log since line N: "METHOD PATH STATUS" lines; its length.
log_since() { kube_log "$kd" "$1"; }
log_lines() { kube_log_lines "$kd"; }
ports_since() { kube_ports "$kd" "$1" "$2"; } # ports_since N METHOD

proj=$tmp/proj
mkdir -p "$proj/srcs/web" "$proj/templates"
echo 'FROM scratch' >"$proj/srcs/web/Dockerfile"
stackfile() { # stackfile [KUBECONFIG] [MANIFESTS] [TIMEOUT]
	{
		echo "name: at"
		echo "cluster: {kubeconfig: '${1:-$kd/kubeconfig}', timeout: ${3:-60}}"
		echo "templates: ../templates"
		echo "secrets: [token]"
		echo "services: {web: {type: ClusterIP, ports: {http: 80}}}"
		[ -z "${2:-}" ] || echo "manifests: [$2]"
	} >"$proj/srcs/stack.yaml"
}
stackfile
# Files named so that their name order is not the apply order.
cat >"$proj/templates/a-widget.yaml" <<'EOF'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: at}
spec: {size: 3}
EOF
cat >"$proj/templates/config.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: at}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: at}
stringData: {token: "${secret.token}"}
EOF
# crd_template FILE KIND VERSION [SERVED]: a CRD of group example.com for
# KIND (plural KINDs, lower case), serving VERSION (SERVED: true or false).
crd_template() {
	local k=${2,,}
	cat >"$1" <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${k}s.example.com}
spec:
  group: example.com
  names: {kind: $2, plural: ${k}s, singular: $k, listKind: $2List}
  scope: Namespaced
  versions:
  - name: $3
    served: ${4:-true}
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
}
crd_template "$proj/templates/crd.yaml" Widget v1
deployment() { # deployment REPLICAS
	cat >"$proj/templates/deploy.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: at}
spec:
  replicas: $1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "\${image.web}"
        ports: \${container_ports.web}
EOF
}
deployment 1
cat >"$proj/templates/ns.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: at}
EOF
cat >"$proj/templates/svc.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: at}
spec:
  type: "${type.web}"
  selector: {app: web}
  ports: ${ports.web}
EOF
cd "$proj" || exit 1

paths=(/api/v1/namespaces/at
	/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com
	/api/v1/namespaces/at/configmaps/cfg
	/api/v1/namespaces/at/secrets/creds
	/api/v1/namespaces/at/services/web
	/apis/apps/v1/namespaces/at/deployments/web
	/apis/example.com/v1/namespaces/at/widgets/w1)
rvs() { # the resourceVersion of each object of paths, one line
	local p
	for p in "${paths[@]}"; do kget "$p" | jf 'd["metadata"].get("resourceVersion")'; done | tr '\n' ' '
}

# ---- first apply -----------------------------------------------------
n0=$(log_lines)
run_ftboot apply
is "$rc" 0 "first apply succeeds: $(tail -n 1 <<<"$errout" | tail -c 300)"
printf '%s\n' "$errout" | grep -qF "apply 7 objects to test ($kube_url)"; ok $? "says what it applies where"
printf '%s\n' "$errout" | grep -qF "7 created, 0 changed, 0 unchanged"; ok $? "every object created"
is "$(log_since "$n0" | awk '$1 == "PATCH" { print $2 }' | tr '\n' ' ')" "${paths[*]} " \
	"applied in dependency order: namespace, CRD, config map and secret, service, deployment, custom resource"
is "$(log_since "$n0" | awk '$1 == "PATCH" && $3 >= 300' | wc -l)" 0 "every apply answered 2xx"
is "$(kget /apis/apps/v1/namespaces/at/deployments/web | jf 'd["metadata"]["labels"]["ftboot/stack"]')" at \
	"objects carry the stack's label"
is "$(kget /apis/example.com/v1/namespaces/at/widgets/w1 | jf 'd["metadata"]["labels"]["app.kubernetes.io/managed-by"]')" ftboot \
	"and managed-by ftboot, custom resources too"
secret=$(kget /api/v1/namespaces/at/secrets/creds | jf '__import__("base64").b64decode(d["data"]["token"]).decode()')
shown=$("$FTBOOT" render --show-secrets 2>/dev/null | sed -n 's/^ *token: //p' | tr -d "'\"")
[ -n "$secret" ] && [ "$secret" = "$shown" ] && [ "$secret" != "<secret:token>" ]
ok $? "the Secret holds the state's secret, not its placeholder"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
is "$($py -c 'import json,sys; print(sorted(r["name"] for r in json.load(open(sys.argv[1]))["resources"] if r["kind"] == "kube"))' "$tmp/status.json")" \
	"['test//v1/ConfigMap/at/cfg', 'test//v1/Namespace//at', 'test//v1/Secret/at/creds', 'test//v1/Service/at/web', 'test/apiextensions.k8s.io/v1/CustomResourceDefinition//widgets.example.com', 'test/apps/v1/Deployment/at/web', 'test/example.com/v1/Widget/at/w1']" \
	"each object is journaled as CONTEXT/GROUP/VERSION/KIND/NAMESPACE/NAME"

port1=$(ports_since "$n0" PATCH)
is "$(printf '%s\n' "$port1" | grep -c .)" 1 "its 7 PATCHes came over one connection (one client port)"

# ---- no-op re-apply ----------------------------------------------------
rv0=$(rvs)
gen0=$(kget /apis/apps/v1/namespaces/at/deployments/web | jf 'd["metadata"]["generation"]')
n0=$(log_lines)
run_ftboot apply
is "$rc" 0 "re-apply succeeds"
printf '%s\n' "$errout" | grep -qF "0 created, 0 changed, 7 unchanged"; ok $? "says every object is unchanged"
is "$(rvs)" "$rv0" "no resourceVersion changed"
port2=$(ports_since "$n0" PATCH)
is "$(printf '%s\n' "$port2" | grep -c .)" 1 "  one connection for its PATCHes again"
# The log tells connections apart: two runs, and two curls, are two ports.
[ -n "$port1" ] && [ -n "$port2" ] && [ "$port1" != "$port2" ]
ok $? "  (another run's connection: client ports $port1 and $port2)"
n0=$(log_lines)
kstatus /api/v1/namespaces/at/configmaps/cfg >/dev/null
kstatus /api/v1/namespaces/at/configmaps/cfg >/dev/null
is "$(ports_since "$n0" GET | grep -c .)" 2 "  (two separate curls: two client ports)"

# ---- a changed template: one rollout ---------------------------------
deployment 2
run_ftboot apply
is "$rc" 0 "apply of a changed Deployment"
printf '%s\n' "$errout" | grep -qF "0 created, 1 changed, 6 unchanged"; ok $? "says one object changed"
is "$(kget /apis/apps/v1/namespaces/at/deployments/web | jf 'd["metadata"]["generation"]')" "$((gen0 + 1))" \
	"the Deployment's generation is bumped once"
read -ra before <<<"$rv0"
read -ra after <<<"$(rvs)"
same=0
for i in 0 1 2 3 4 6; do [ "${before[$i]}" = "${after[$i]}" ] && same=$((same + 1)); done
is "$same" 6 "every other object is as it was"

# ---- prune --------------------------------------------------------------
is "$(kput /api/v1/namespaces/other '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}')" 201 \
	"another client makes a namespace"
is "$(kput /api/v1/namespaces/other/configmaps/foreign '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"foreign","namespace":"other"},"data":{"a":"b"}}')" 201 \
	"and an unlabelled config map in it"
is "$(kput /api/v1/namespaces/other/configmaps/neighbour '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"neighbour","namespace":"other","labels":{"ftboot/stack":"another"}}}')" 201 \
	"and one of another stack"
mv "$proj/templates/svc.yaml" "$tmp/svc.yaml"
run_ftboot apply
is "$rc" 0 "apply without the Service's template"
printf '%s\n' "$errout" | grep -qF "prune 1 object stack 'at' no longer declares"; ok $? "says it prunes one object"
is "$(kstatus /api/v1/namespaces/at/services/web)" 404 "the Service is deleted"
is "$(kstatus /api/v1/namespaces/other/configmaps/foreign)" 200 "an object without the stack's label is left alone"
is "$(kstatus /api/v1/namespaces/other/configmaps/neighbour)" 200 "so is another stack's"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
grep -qF 'test//v1/Service/at/web' "$tmp/status.json"; is $? 1 "the pruned object is dropped from the journal"
mv "$tmp/svc.yaml" "$proj/templates/svc.yaml"
run_ftboot apply
is "$rc" 0 "the Service's template back: applied again"
printf '%s\n' "$errout" | grep -qF "1 created, 0 changed, 6 unchanged"; ok $? "  and said to be created"

# Objects another client made, declared by the stack too: refused before
# anything is applied, never journaled (down would delete them).
cat >"$proj/templates/shared.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: other}
EOF
foreign='apiVersion: v1
kind: ConfigMap
metadata: {name: foreign, namespace: other}
data: {a: taken}'
printf -- '---\n%s\n' "$foreign" >>"$proj/templates/shared.yaml"
n0=$(log_lines)
run_ftboot apply
is "$rc" 1 "apply of a namespace another client made is refused"
printf '%s\n' "$errout" | grep -qF "templates/shared.yaml: Namespace/other exists in the cluster and is not this stack's (no label ftboot/stack=at): ftboot does not take over objects it did not create; delete it, or remove it from the stack"
ok $? "  naming it and what to do: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(log_since "$n0" | grep -c PATCH)" 0 "  nothing is applied"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
grep -qF '/other/' "$tmp/status.json"; is $? 1 "  nothing of it is journaled"
grep -qF '/Namespace//other' "$tmp/status.json"; is $? 1 "  not the namespace either"
is "$(kget /api/v1/namespaces/other/configmaps/foreign | jf 'd["data"]["a"] + " " + str((d["metadata"].get("labels") or {}).get("ftboot/stack"))')" \
	"b None" "  the other client's config map is as it was"
printf '%s\n' "$foreign" >"$proj/templates/shared.yaml"
run_ftboot apply
is "$rc" 1 "so is a config map alone in it"
printf '%s\n' "$errout" | grep -qF "ConfigMap/foreign in namespace other exists in the cluster and is not this stack's (no label ftboot/stack=at)"
ok $? "  naming it: $(tail -n 1 <<<"$errout" | tail -c 300)"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: neighbour, namespace: other}\n' >"$proj/templates/shared.yaml"
run_ftboot apply
is "$rc" 1 "and another stack's object"
printf '%s\n' "$errout" | grep -qF "ConfigMap/neighbour in namespace other exists in the cluster and is not this stack's (it has the label ftboot/stack=another)"
ok $? "  naming its label: $(tail -n 1 <<<"$errout" | tail -c 300)"
rm "$proj/templates/shared.yaml"

# A name as long as the API allows (253) still fits the journal's names.
long=$(printf 'n%.0s' $(seq 1 253))
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: at}\n' "$long" >"$proj/templates/long.yaml"
run_ftboot apply
is "$rc" 0 "a ConfigMap of a 253-character name is applied: $(tail -n 1 <<<"$errout" | tail -c 300)"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
is "$($py -c 'import json,sys; print([len(r["name"]) for r in json.load(open(sys.argv[1]))["resources"] if r["name"].startswith("test//v1/ConfigMap/at/nnn")])' "$tmp/status.json")" \
	"[255]" "  journaled under a name of 255 bytes (its start and a digest)"
rm "$proj/templates/long.yaml"
run_ftboot apply
is "$rc" 0 "  without its template"
is "$(kstatus "/api/v1/namespaces/at/configmaps/$long")" 404 "  it is pruned"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
grep -qF 'test//v1/ConfigMap/at/nnn' "$tmp/status.json"; is $? 1 "  and its journal entry dropped"

# ---- API errors -------------------------------------------------------------
deployment -1
run_ftboot apply
is "$rc" 1 "a 422 (replicas -1) fails the apply"
printf '%s\n' "$errout" | grep -q "templates/deploy.yaml: .*Deployment/web.*spec.replicas"
ok $? "the API's message names the template, the object and the field: $(tail -n 1 <<<"$errout" | tail -c 300)"
deployment 2

n0=$(log_lines)
kube_ctl "$kd" POST /fail '{"method": "PATCH", "path_prefix": "/api/v1/namespaces/at/configmaps/cfg", "status": 429, "count": 2, "retry_after": 1}' >/dev/null
run_ftboot apply
is "$rc" 0 "two 429s are retried: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(log_since "$n0" | awk '$1 == "PATCH" && $2 == "/api/v1/namespaces/at/configmaps/cfg" { print $3 }' | tr '\n' ' ')" \
	"429 429 200 " "the log shows the retries"

kube_ctl "$kd" POST /fail '{"method": "PATCH", "path_prefix": "/api/v1/namespaces/at/secrets/creds", "status": 503, "count": 6, "retry_after": 1}' >/dev/null
run_ftboot apply
is "$rc" 1 "503 until the retries run out fails"
printf '%s\n' "$errout" | grep -qF "Secret/creds"; ok $? "naming the object: $(tail -n 1 <<<"$errout" | tail -c 300)"

# 409 Conflict, as the API server shapes it (apierrors.NewConflict): not retried.
kube_ctl "$kd" POST /fail '{"method": "PATCH", "path_prefix": "/api/v1/namespaces/at/configmaps/cfg", "status": 409, "count": 1}' >/dev/null
run_ftboot apply
is "$rc" 1 "a 409 Conflict fails the apply"
printf '%s\n' "$errout" | grep -qF "templates/config.yaml: ConfigMap/cfg in namespace at: Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified"
ok $? "  naming the template and the object, with the API's message: $(tail -n 1 <<<"$errout" | tail -c 300)"

# 403: a bearer token that may only read.
kc_edit "$kd/kubeconfig-token" "$tmp/view.kubeconfig" 'k["users"][0]["user"]["token"] = open(a).read().strip()' "$kd/view-token"
stackfile "$tmp/view.kubeconfig"
n0=$(log_lines)
run_ftboot apply
is "$rc" 1 "a view-only token fails the apply"
printf '%s\n' "$errout" | grep -qF 'templates/ns.yaml: Namespace/at: namespaces "at" is forbidden: User "view" cannot patch resource "namespaces"'
ok $? "  naming the object, with the API's message: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(log_since "$n0" | awk '$1 == "PATCH" { print $3 }' | tr '\n' ' ')" "403 " "  at its first PATCH, nothing after"
printf '%s\n' "$errout" | grep -qF "$(cat "$kd/view-token")"; is $? 1 "  the token is not printed"
stackfile

# A kind the cluster does not serve, and no CRD of the stack defines:
# refused before anything is applied (the ConfigMap ranked before it too).
cat >"$proj/templates/gadget.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: early, namespace: at}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1, namespace: at}
EOF
gadget_refused() { # gadget_refused WHAT WHY: the apply fails up front saying WHY, nothing sent
	local n0
	n0=$(log_lines)
	run_ftboot apply
	is "$rc" 1 "$1: the apply fails"
	printf '%s\n' "$errout" | grep -qF "Gadget/g1 in namespace at (templates/gadget.yaml): $2"
	ok $? "  naming it, its template, and why: $(tail -n 1 <<<"$errout" | tail -c 300)"
	is "$(log_since "$n0" | grep -c '^PATCH')" 0 "  no PATCH at all"
	is "$(kstatus /api/v1/namespaces/at/configmaps/early)" 404 "  the ConfigMap ranked before it is not applied"
}
gadget_refused "an unknown kind" "no kind 'Gadget' in 'example.com/v1' on the cluster (is its CRD applied and established?); no CustomResourceDefinition of the stack defines it either, so nothing was applied"
# A CRD of the stack for the same kind, but another version: still refused.
crd_template "$proj/templates/gadget-crd.yaml" Gadget v2
gadget_refused "an unknown kind whose CRD in the stack serves only v2" \
	"CustomResourceDefinition/gadgets.example.com of the stack does not serve 'example.com/v1' (it serves v2), so nothing was applied"
# ... or has v1, not served.
crd_template "$proj/templates/gadget-crd.yaml" Gadget v1 false
gadget_refused "an unknown kind whose CRD in the stack has v1 but does not serve it" \
	"CustomResourceDefinition/gadgets.example.com of the stack does not serve 'example.com/v1' (it serves none)"
crd_template "$proj/templates/gadget-crd.yaml" Gadget v1
# The CRD serving v1: applied, established, then the Gadget.
run_ftboot apply
is "$rc" 0 "  with the CRD serving v1, the apply passes: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(kstatus /apis/example.com/v1/namespaces/at/gadgets/g1)" 200 "  the Gadget is there"
rm "$proj/templates/gadget.yaml" "$proj/templates/gadget-crd.yaml"
run_ftboot apply
is "$rc" 0 "  without its templates: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(kstatus /api/v1/namespaces/at/configmaps/early)" 404 "  the ConfigMap is pruned"
is "$(kstatus /apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com)" 404 "  and the CRD"

# A kubeconfig with another CA: refused before any object is sent.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$tmp/other-ca.key" -out "$tmp/other-ca.pem" 2>/dev/null
kc_edit "$kd/kubeconfig" "$tmp/wrong-ca.kubeconfig" \
	'k["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(open(a, "rb").read()).decode()' "$tmp/other-ca.pem"
stackfile "$tmp/wrong-ca.kubeconfig"
n0=$(log_lines)
run_ftboot apply
is "$rc" 1 "a cluster whose certificate another CA signed is refused"
printf '%s\n' "$errout" | grep -qi "certificate"; ok $? "saying it is the certificate: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(log_since "$n0" | grep -c PATCH)" 0 "and nothing is applied"
stackfile

# ---- a remote manifest pinned by sha256 ---------------------------------------
cat >"$hd/www/remote.yaml" <<'EOF'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: remote-cm, namespace: at}
  data: {from: remote}
EOF
httpd_start "$hd/www" "$hd/run" >/dev/null || skip_all "nginx cannot start (tests/servers/httpd.sh)"
sha=$(sha256sum "$hd/www/remote.yaml" | cut -d' ' -f1)
url="http://127.0.0.1:$httpd_port/remote.yaml"
bad=$(printf '%064d' 0)
stackfile "" "{url: '$url', sha256: '$bad'}"
n0=$(log_lines)
run_ftboot apply
is "$rc" 1 "a remote manifest with a wrong sha256 is refused"
printf '%s\n' "$errout" | grep -qF "sha256 mismatch: expected $bad, got $sha"; ok $? "naming both digests: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(log_since "$n0" | grep -c PATCH)" 0 "and nothing is applied"
[ ! -e "$FTBOOT_CACHE_DIR/manifests/$bad.yaml" ]; ok $? "the download is not kept"
stackfile "" "{url: '$url', sha256: $sha}"
run_ftboot apply
is "$rc" 0 "a remote manifest with its sha256 is applied: $(tail -n 1 <<<"$errout" | tail -c 300)"
is "$(kget /api/v1/namespaces/at/configmaps/remote-cm | jf 'd["metadata"]["labels"]["ftboot/stack"] + " " + d["data"]["from"]')" "at remote" \
	"labelled as the stack's"
[ -f "$FTBOOT_CACHE_DIR/manifests/$sha.yaml" ]; ok $? "cached as manifests/SHA256.yaml"
stackfile
run_ftboot apply
is "$rc" 0 "apply without the remote manifest"
is "$(kstatus /api/v1/namespaces/at/configmaps/remote-cm)" 404 "its object is pruned"

# -v names each object applied that is new or changed.
deployment 3
run_ftboot -v apply
is "$rc" 0 "apply -v"
printf '%s\n' "$errout" | grep -qx "  changed Deployment/web in namespace at"; ok $? "-v names the changed object"
is "$(printf '%s\n' "$errout" | grep -c '^  changed ')" 1 "and only it"

# A rollout that cannot finish: the wait is bounded and says why.
kube_ctl "$kd" POST /auto '{"ready": false}' >/dev/null
stackfile "" "" 3
deployment 4
run_ftboot apply
is "$rc" 1 "a Deployment whose image cannot be pulled fails the wait"
kube_ctl "$kd" POST /state '{"kind": "Deployment", "namespace": "at", "name": "web", "state": "image-pull"}' >/dev/null
run_ftboot apply
is "$rc" 1 "  again, once its pods say why"
printf '%s\n' "$errout" | grep -q "Deployment/web" && printf '%s\n' "$errout" | grep -q "ErrImagePull"
ok $? "  naming the Deployment and its pods' reason: $(printf '%s\n' "$errout" | grep -m1 ErrImagePull | tail -c 200)"
kube_ctl "$kd" POST /auto '{"ready": true}' >/dev/null
stackfile
deployment 3
run_ftboot apply
is "$rc" 0 "ready again once the cluster rolls it out"

# ---- down on another cluster of the same context name ------------------
# The journal names the server: once the context points at another
# cluster, down refuses there and keeps the entries.
url1=$kube_url
kube_start "$kd2" --auto-ready || skip_all "a second API test double does not start"
url2=$kube_url
kube_url=$url1
cp "$kd/kubeconfig" "$tmp/kc"
stackfile "$tmp/kc"
run_ftboot apply
is "$rc" 0 "apply through a copy of the kubeconfig: $(tail -n 1 <<<"$errout" | tail -c 300)"
cp "$kd2/kubeconfig" "$tmp/kc"
n0=$(log_lines)
run_ftboot down
is "$rc" 1 "down once context 'test' points at another server is refused"
printf '%s\n' "$errout" | grep -qF "was applied to $url1, but context 'test' ($tmp/kc) now points at $url2"
ok $? "  naming both servers: $(printf '%s\n' "$errout" | grep -m1 'now points at' | tail -c 300)"
is "$(grep -c '"DELETE"' "$kd2/requests.log")" 0 "  nothing is deleted on the other server"
left=0
for p in "${paths[@]}"; do [ "$(kstatus "$p")" = 200 ] || left=$((left + 1)); done
is "$left" 0 "  every object on the first stays"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
is "$($py -c 'import json,sys; print(sum(r["kind"] == "kube" for r in json.load(open(sys.argv[1]))["resources"]))' "$tmp/status.json")" \
	"${#paths[@]}" "  and the journal keeps their entries"
stackfile

# ---- down -------------------------------------------------------------
n0=$(log_lines)
run_ftboot down
is "$rc" 0 "down on the external cluster: $(tail -n 1 <<<"$errout" | tail -c 300)"
left=0
for p in "${paths[@]}"; do [ "$(kstatus "$p")" = 404 ] || left=$((left + 1)); done
is "$left" 0 "every journaled object is deleted"
is "$(log_since "$n0" | awk '$1 == "DELETE" { print $2 }' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "${paths[@]}" | sort | tr '\n' ' ')" "down deletes exactly the journaled objects, once each"
is "$(kstatus /api/v1/namespaces/other/configmaps/foreign)" 200 "the unlabelled object is not"
is "$(kstatus /api/v1/namespaces/other)" 200 "nor its namespace"
[ ! -e "$FTBOOT_STATE_DIR/at" ]; ok $? "and the state is gone"

# Journaled before it is applied: killed between the two, down still knows it.
FTBOOT_TEST_KILL_AT=apply:object:Deployment:at:web run_ftboot apply
is "$rc" 137 "apply killed just before the Deployment is sent"
is "$(kstatus /apis/apps/v1/namespaces/at/deployments/web)" 404 "  the Deployment is not applied"
"$FTBOOT" status --json >"$tmp/status.json" 2>/dev/null
grep -qF 'test/apps/v1/Deployment/at/web' "$tmp/status.json"; ok $? "  but journaled"
# Ctrl-C outside the builds stops ftboot at once, as in up.
FTBOOT_TEST_SIGNAL_AT=apply:object:Service:at:web:INT run_ftboot apply
is "$rc" 130 "Ctrl-C during apply stops it (exit 130)"
run_ftboot down
is "$rc" 0 "down after the kill: $(tail -n 1 <<<"$errout" | tail -c 300)"
left=0
for p in "${paths[@]}"; do [ "$(kstatus "$p")" = 404 ] || left=$((left + 1)); done
is "$left" 0 "  every object is gone"
[ ! -e "$FTBOOT_STATE_DIR/at" ]; ok $? "  and the state"

done_testing
