#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the Kubernetes API server test double
# (tests/servers/kube-apiserver.py, started by tests/servers/kube.sh) is
# faithful to the real API server where ftboot's tests rely on it: each
# behaviour below is driven with Debian's curl and its answer compared with
# what kube-apiserver answers (Status objects to the byte where it matters).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/bin/curl ] || skip_all "curl is missing (tests/deps.sh test)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is missing (tests/deps.sh test)"
command -v openssl >/dev/null || skip_all "openssl is missing (tests/deps.sh test)"
scratch
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
d=$tmp/k
trap 'kube_stop "$d"; [ -n "${d2:-}" ] && kube_stop "$d2"; rm -rf "$tmp"' EXIT
kube_start "$d" --lb-ip 10.0.0.77
ok $? "kube_start: listening at ${kube_url:-nothing}"
[ -n "${kube_url:-}" ] || done_testing
U=$kube_url

# api METHOD PATH [CONTENT-TYPE BODY]: as the admin (client certificate);
# sets $code, the answer in $tmp/body, its headers in $tmp/headers.
# AUTH=(...) overrides the credentials.
api() {
	local method=$1 path=$2 ctype=${3:-} body=${4:-} auth=("${AUTH[@]}")
	[ ${#AUTH[@]} -eq 0 ] && auth=(--cert "$d/client.pem" --key "$d/client-key.pem")
	local args=(-sS --max-time 20 --cacert "$d/ca.pem" "${auth[@]}" -X "$method" -o "$tmp/body"
		-D "$tmp/headers" -w '%{http_code}')
	[ -n "$ctype" ] && args+=(-H "Content-Type: $ctype" --data-binary "$body")
	code=$(/usr/bin/curl "${args[@]}" "$U$path") || code="curl-failed"
}
AUTH=()
# j EXPR [ARG]: a Python expression on the last answer (j) printed; ARG is
# sys.argv[3].
j() {
	/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$tmp/body" "$@" 2>&1
}
apply() { # apply PATH MANAGER BODY [extra query]
	api PATCH "$1?fieldManager=$2${4:-}" application/apply-patch+yaml "$3"
}
ctl() { kube_ctl "$d" "$@" >"$tmp/ctl" 2>&1; }

# -- files, PKI
for f in ca.pem server.pem client.pem token view-token kubeconfig kubeconfig-token; do
	[ -s "$d/$f" ]
	ok $? "DIR has $f"
done
is "$(stat -c %a "$d/ca-key.pem" "$d/server-key.pem" "$d/client-key.pem" "$d/token" "$d/view-token" | sort -u)" 600 \
	"private keys and tokens are mode 0600"
openssl x509 -in "$d/server.pem" -noout -ext subjectAltName >"$tmp/san"
grep -q "IP Address:127.0.0.1" "$tmp/san" && grep -q "DNS:localhost" "$tmp/san"
ok $? "server certificate: SANs 127.0.0.1 and localhost"
is "$(openssl x509 -in "$d/client.pem" -noout -subject -nameopt compat)" "subject=/O=system:masters/CN=ftboot-test-admin" \
	"client certificate: CN=ftboot-test-admin, O=system:masters"
is "$(openssl x509 -in "$d/ca.pem" -noout -text | grep -o 'NIST CURVE: P-256' | head -1)" "NIST CURVE: P-256" "the CA is P-256"
grep -q "current-context: test" "$d/kubeconfig" && grep -q "client-certificate-data:" "$d/kubeconfig" &&
	grep -q "server: $U" "$d/kubeconfig"
ok $? "kubeconfig: context test, client certificate data, server $U"
grep -q "token: $(cat "$d/token")" "$d/kubeconfig-token"
ok $? "kubeconfig-token: the bearer token"

# -- authentication and authorization
AUTH=(-H "X-None: 1")
api GET /api/v1/namespaces
is "$code $(cat "$tmp/body")" '401 {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401}' \
	"no credentials: 401 Unauthorized Status"
AUTH=(-H "Authorization: Bearer not-a-token")
api GET /readyz
is "$code" 401 "an unknown bearer token: 401"
AUTH=(-H "Authorization: Bearer $(cat "$d/token")")
api GET /api/v1/namespaces/default
is "$code $(j 'j["metadata"]["name"]')" "200 default" "the admin token authenticates"
AUTH=()
/usr/bin/curl -sS --max-time 10 --tlsv1.2 --tls-max 1.2 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" "$U/version" -o "$tmp/body"
ok $? "TLS 1.2 is accepted"
is "$(j 'j["gitVersion"]')" "v1.31.4+ftboot-test" "/version: gitVersion"
mkdir "$tmp/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/other/k.pem" \
	-out "$tmp/other/c.pem" -days 1 -subj /CN=intruder 2>/dev/null
/usr/bin/curl -sS --max-time 10 --cacert "$d/ca.pem" --cert "$tmp/other/c.pem" --key "$tmp/other/k.pem" "$U/version" >/dev/null 2>&1
isnt=$?
[ "$isnt" -ne 0 ]
ok $? "a client certificate of another CA is refused (curl exit $isnt)"

dep='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web","tier":"front"}},
"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
"spec":{"containers":[{"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}}}'
AUTH=(-H "Authorization: Bearer $(cat "$d/view-token")")
apply /apis/apps/v1/namespaces/default/deployments/web ftboot "$dep"
is "$code $(j 'j["message"]') $(j 'j["reason"]') $(j 'j["details"]')" \
	'403 deployments.apps "web" is forbidden: User "view" cannot patch resource "deployments" in API group "apps" in the namespace "default" Forbidden {"group": "apps", "kind": "deployments", "name": "web"}' \
	"view token: a write is 403 Forbidden, worded as RBAC words it"
api GET /apis/apps/v1/namespaces/default/deployments
is "$code" 200 "view token: list is allowed"
AUTH=()

# -- health
api GET /readyz
is "$code $(cat "$tmp/body")" "200 ok" "/readyz: ok"
ctl POST /readyz '{"ok": false}'
api GET /readyz
is "$code" 500 "/readyz after POST /readyz {ok: false}: 500"
grep -qz $'\[-\]etcd failed: reason withheld\nreadyz check failed' "$tmp/body"
ok $? "with the failed check named"
api GET /livez
is "$code" 200 "/livez stays ok"
ctl POST /readyz '{"ok": true}'

# -- discovery
api GET /api
is "$(j 'j["kind"], j["versions"]')" '["APIVersions", ["v1"]]' "/api: APIVersions v1"
api GET /api/v1
is "$(j '[(r["name"], r["namespaced"], r["kind"], r.get("singularName")) for r in j["resources"] if r["name"] in ("configmaps", "namespaces", "serviceaccounts/token")]')" \
	'[["configmaps", true, "ConfigMap", "configmap"], ["namespaces", false, "Namespace", "namespace"], ["serviceaccounts/token", true, "TokenRequest", ""]]' \
	"/api/v1: configmaps, namespaces, serviceaccounts/token"
api GET /apis/apps/v1
is "$(j '[(r["name"], r["verbs"]) for r in j["resources"] if r["name"] == "deployments"]')" \
	'[["deployments", ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]]]' \
	"/apis/apps/v1: deployments with their verbs"
api GET /apis
is "$(j 'sorted(g["name"] for g in j["groups"])')" \
	'["apiextensions.k8s.io", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io"]' \
	"/apis: the built-in groups"
/usr/bin/curl -sS --max-time 10 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" \
	-H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' \
	-D "$tmp/headers" -o "$tmp/body" "$U/apis"
grep -qi '^content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' "$tmp/headers"
ok $? "aggregated discovery: the content type says APIGroupDiscoveryList v2"
is "$(j '[j["kind"], j["apiVersion"]] + [(r["resource"], r["scope"], r["responseKind"]) for g in j["items"] if g["metadata"].get("name") == "apps" for v in g["versions"] for r in v["resources"] if r["resource"] == "deployments"]')" \
	'["APIGroupDiscoveryList", "apidiscovery.k8s.io/v2", ["deployments", "Namespaced", {"group": "apps", "kind": "Deployment", "version": "v1"}]]' \
	"aggregated discovery of /apis: apps/v1 deployments"
api GET /apis/nope.example.com/v1
is "$code $(j 'j["message"]')" "404 the server could not find the requested resource" "an unknown group: 404 NotFound"

# -- server-side apply
P=/apis/apps/v1/namespaces/default/deployments/web
api PATCH "$P" application/apply-patch+yaml "$dep"
is "$code $(j 'j["message"]')" '422 PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' \
	"apply without fieldManager: 422 (as kube-apiserver's ValidatePatchOptions)"
apply "$P" ftboot "$dep"
is "$code" 201 "apply creates: 201"
is "$(j '[j["metadata"]["generation"], bool(j["metadata"]["uid"]), bool(j["metadata"]["creationTimestamp"])]')" '[1, true, true]' \
	"uid, creationTimestamp, generation 1"
rv1=$(j 'j["metadata"]["resourceVersion"]')
is "$(j '[(m["manager"], m["operation"], sorted(m["fieldsV1"]["f:spec"])) for m in j["metadata"]["managedFields"]]')" \
	'[["ftboot", "Apply", ["f:replicas", "f:selector", "f:template"]]]' "managedFields: ftboot, Apply, the fields it set"
api GET "$P"
rv1=$(j 'j["metadata"]["resourceVersion"]')
apply "$P" ftboot "$dep"
is "$code $(j 'j["metadata"]["resourceVersion"]')" "200 $rv1" "the same apply again: 200, resourceVersion unchanged (a no-op)"
apply "$P" ftboot "$(printf '%s' "$dep" | sed 's/"tier":"front"/"tier":"back"/')"
is "$(j '[j["metadata"]["generation"], j["metadata"]["labels"]["tier"], int(j["metadata"]["resourceVersion"]) > int(sys.argv[3])]' "$rv1")" \
	'[1, "back", true]' "a label change: resourceVersion bumped, generation not"
apply "$P" ftboot "$(printf '%s' "$dep" | sed 's/"replicas":2/"replicas":3/')"
is "$(j 'j["metadata"]["generation"]')" 2 "a spec change: generation 2"
apply "$P" other '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}'
is "$code $(j 'j["message"]') $(j 'j["details"]')" \
	'409 Apply failed with 1 conflict: conflict with "ftboot" using apps/v1: .spec.replicas {"causes": [{"field": ".spec.replicas", "message": "conflict with \"ftboot\" using apps/v1", "reason": "FieldManagerConflict"}]}' \
	"another manager changing an owned field: 409 with a FieldManagerConflict cause"
apply "$P" other '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}' "&force=true"
is "$code $(j 'j["spec"]["replicas"]') $(j '[m["manager"] for m in j["metadata"]["managedFields"] if "f:replicas" in m["fieldsV1"].get("f:spec", {})]')" \
	'200 5 ["other"]' "with force=true: applied, .spec.replicas now owned by other"
dep2='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}}}'
apply "$P" ftboot "$dep2"
is "$(j '[sorted(j["metadata"]["labels"]), j["spec"]["replicas"]]')" '[["app"], 5]' \
	"a field the manager stops applying goes (label tier); one another manager owns stays (replicas)"
apply "$P" ftboot '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[{"manager":"x"}]}}'
is "$code $(j 'j["message"]')" "400 metadata.managedFields must be nil" "managedFields in an apply: 400"
apply /apis/apps/v1/namespaces/nope/deployments/web ftboot "$dep"
is "$code $(j 'j["message"]') $(j 'j["details"]')" '404 namespaces "nope" not found {"kind": "namespaces", "name": "nope"}' \
	"a namespace that does not exist: 404"
apply /apis/apps/v1/namespaces/default/deployments/bad ftboot "$(printf '%s' "$dep" | sed 's/"name":"web"/"name":"bad"/; s/"replicas":2/"replicas":-1/')"
is "$code $(j 'j["message"]')" '422 Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' \
	"replicas -1: 422 Invalid"
is "$(j 'j["reason"], j["details"]')" \
	'["Invalid", {"causes": [{"field": "spec.replicas", "message": "Invalid value: -1: must be greater than or equal to 0", "reason": "FieldValueInvalid"}], "group": "apps", "kind": "Deployment", "name": "bad"}]' \
	"with details name, group, kind and the cause"
apply /apis/apps/v1/namespaces/default/deployments/bad ftboot "$(printf '%s' "$dep" | sed 's/"name":"web"/"name":"bad"/; s/"labels":{"app":"web"}}/"labels":{"app":"other"}}/')"
is "$code $(j 'j["details"]["causes"][0]["field"]')" "422 spec.template.metadata.labels" "a selector that does not match the template: 422"
apply /api/v1/namespaces/default/services/s ftboot '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"selector":{"app":"web"}}}'
is "$code $(j 'j["message"]')" '422 Service "s" is invalid: spec.ports: Required value' "a Service without ports: 422"
apply /api/v1/namespaces/default/services/s ftboot '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":70000}]}}'
is "$code $(j 'j["message"]')" '422 Service "s" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive' \
	"a port out of range: 422"
apply /api/v1/namespaces/default/configmaps/Bad_Name ftboot '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}'
is "$code $(j 'j["details"]["causes"][0]["field"]')" "422 metadata.name" "a name that is not DNS-1123: 422"
apply /api/v1/namespaces/default/configmaps/c ftboot $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {app: web}\ndata:\n  greeting: "h\xc3\xa9llo \xe2\x9c\x93"\n'
is "$code $(j 'j["data"]["greeting"]')" "201 héllo ✓" "a YAML apply body, multi-byte text kept"
apply /api/v1/namespaces/default/configmaps/c ftboot $'apiVersion: v1\nkind: ConfigMap\n  bad: [indent\n'
is "$code $(j 'j["reason"]')" "400 BadRequest" "a YAML body that does not parse: 400"

# -- get, list
api GET /apis/apps/v1/namespaces/default/deployments/nope
is "$code $(cat "$tmp/body")" '404 {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "deployments.apps \"nope\" not found", "reason": "NotFound", "details": {"name": "nope", "group": "apps", "kind": "deployments"}, "code": 404}' \
	"GET of a missing object: 404 NotFound Status"
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"
is "$(j 'len(j["items"]), j["kind"], all(i["metadata"]["name"].startswith("web-") for i in j["items"])')" '[5, "PodList", true]' \
	"the Deployment's pods (5 replicas), by labelSelector app=web"
is "$(j '[sorted(i["metadata"]["labels"]) for i in j["items"]][0], "kind" in j["items"][0]')" '[["app", "pod-template-hash"], false]' \
	"pods carry the template labels and pod-template-hash; list items carry no kind"
is "$(j 'bool(__import__("re").fullmatch(r"web-[a-z0-9]{6,10}-[a-z0-9]{5}", j["items"][0]["metadata"]["name"]))')" "true" \
	"pod names: NAME-HASH-XXXXX"
for sel in "app%3D%3Dweb 5" "app%21%3Dweb 0" "app+in+%28web%2Cx%29 5" "app+notin+%28web%29 0" "app 5" "%21app 0" "nope 0"; do
	api GET "/api/v1/namespaces/default/pods?labelSelector=${sel% *}"
	is "$(j 'len(j["items"])')" "${sel#* }" "labelSelector $(printf '%b' "${sel% *}" | sed 's/%3D/=/g; s/%21/!/g; s/%28/(/; s/%29/)/; s/%2C/,/; s/+/ /g'): ${sel#* } pods"
done
api GET "/api/v1/namespaces/default/pods?labelSelector=a+b+c"
is "$code" 400 "a labelSelector that does not parse: 400"
api GET "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc"
is "$(j '[i["metadata"]["name"] for i in j["items"]]')" '["c"]' "fieldSelector metadata.name=c"
api GET "/api/v1/namespaces/default/configmaps?fieldSelector=spec.nope%3Dc"
is "$code $(j 'j["message"]')" "400 field label not supported: spec.nope" "an unsupported field label: 400"
api GET "/api/v1/namespaces/default/pods?limit=2"
is "$(j '[len(j["items"]), j["metadata"]["remainingItemCount"], bool(j["metadata"].get("continue"))]')" '[2, 3, true]' \
	"limit=2: 2 items, a continue token, remainingItemCount 3"
seen=$(j '[i["metadata"]["name"] for i in j["items"]]')
cont=$(j 'j["metadata"]["continue"]')
api GET "/api/v1/namespaces/default/pods?limit=2&continue=$cont"
is "$(j '[len(j["items"]), any(i["metadata"]["name"] in json.loads(sys.argv[3]) for i in j["items"])]' "$seen")" '[2, false]' \
	"continue: the next 2, none seen before"
api GET "/api/v1/namespaces/default/pods?continue=garbage"
is "$code" 400 "a continue token that is not one: 400"
apply /apis/apps/v1/namespaces/kube-system/deployments/sys ftboot "$(printf '%s' "$dep" | sed 's/"name":"web"/"name":"sys"/; s/"replicas":2/"replicas":1/')"
api GET /apis/apps/v1/deployments
is "$(j '[(i["metadata"]["namespace"], i["metadata"]["name"]) for i in j["items"]]')" '[["default", "web"], ["kube-system", "sys"]]' \
	"all-namespaces list /apis/apps/v1/deployments"
lrv=$(j 'j["metadata"]["resourceVersion"]')
[ "$lrv" -gt 0 ] 2>/dev/null
ok $? "a list carries a resourceVersion ($lrv)"

# -- watch
wurl() { /usr/bin/curl -sS -N --max-time "${2:-20}" --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" "$U$1"; }
wurl "/apis/apps/v1/namespaces/default/deployments?watch=1&timeoutSeconds=1" >"$tmp/w0"
is "$(/usr/bin/python3 -c 'import json,sys; print([(e["type"], e["object"]["kind"], e["object"]["metadata"]["name"]) for e in map(json.loads, open(sys.argv[1]))])' "$tmp/w0")" \
	"[('ADDED', 'Deployment', 'web')]" "watch without resourceVersion: ADDED for what exists; timeoutSeconds ends it"
wurl "/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion=$lrv&timeoutSeconds=3&allowWatchBookmarks=true" >"$tmp/w1" &
wpid=$!
# The watch is open once the server logged it (bounded wait).
for ((i = 0; i < 100; i++)); do grep -q "resourceVersion=$lrv&timeoutSeconds=3" "$d/requests.log" && break; sleep 0.1; done
apply "$P" ftboot "$(printf '%s' "$dep2" | sed 's/nginx:1.25/nginx:1.26/')"
is "$code" 200 "an apply while a watch is open is answered"
wait "$wpid"
/usr/bin/python3 -c 'import json,sys
for e in map(json.loads, open(sys.argv[1])):
    print(e["type"], e["object"]["metadata"].get("name", "-"), e["object"]["metadata"].get("annotations"))' "$tmp/w1" >"$tmp/w1.txt"
grep -q "^MODIFIED web None" "$tmp/w1.txt"
ok $? "watch from the list's resourceVersion: MODIFIED web$(sed 's/^/; /' "$tmp/w1.txt" | tr -d '\n')"
grep -q "^BOOKMARK - None" "$tmp/w1.txt"
ok $? "allowWatchBookmarks: BOOKMARK events, no initial-events-end annotation"
wurl "/apis/apps/v1/namespaces/default/deployments?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb&timeoutSeconds=1" >"$tmp/w4"
is "$(/usr/bin/python3 -c 'import json,sys; print([(e["type"], e["object"]["metadata"].get("name"), e["object"]["metadata"].get("annotations")) for e in map(json.loads, open(sys.argv[1]))][:2])' "$tmp/w4")" \
	"[('ADDED', 'web', None), ('BOOKMARK', None, {'k8s.io/initial-events-end': 'true'})]" \
	"sendInitialEvents with fieldSelector metadata.name=web: ADDED web, then the initial-events-end BOOKMARK"
ctl POST /compact
wurl "/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion=$rv1" 10 >"$tmp/w2"
is "$(/usr/bin/python3 -c 'import json,sys; e = json.loads(open(sys.argv[1]).readline()); print(e["type"], e["object"]["code"], e["object"]["reason"])' "$tmp/w2")" \
	"ERROR 410 Expired" "after /compact, a watch from an older resourceVersion: ERROR 410 Expired"
wurl "/api/v1/namespaces/default/configmaps?watch=1" 30 >"$tmp/w3" &
wpid=$!
for ((i = 0; i < 100; i++)); do grep -q '"path": "/api/v1/namespaces/default/configmaps", "query": "watch=1"' "$d/requests.log" && break; sleep 0.1; done
ctl POST /watches/close
is "$(cat "$tmp/ctl")" '{"closed": 1}' "/watches/close: 1 watch closed"
wait "$wpid"
ok $? "and the watch stream ended cleanly"

# -- simulated workloads, events
api GET "$P"
is "$(j '[j["status"]["observedGeneration"] == j["metadata"]["generation"], j["status"].get("availableReplicas", 0), [c["reason"] for c in j["status"]["conditions"]]]')" \
	'[true, 0, ["MinimumReplicasUnavailable", "ReplicaSetUpdated"]]' "not auto-ready: observed, 0 available"
ctl POST /state '{"kind":"Deployment","namespace":"default","name":"web","state":"ready"}'
api GET "$P"
is "$(j '[j["status"]["availableReplicas"], j["status"]["updatedReplicas"], [c["reason"] for c in j["status"]["conditions"]]]')" \
	'[5, 5, ["MinimumReplicasAvailable", "NewReplicaSetAvailable"]]' "/state ready: rolled out"
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"
is "$(j 'sorted({(i["status"]["phase"], i["status"]["containerStatuses"][0]["ready"]) for i in j["items"]})')" '[["Running", true]]' \
	"its pods Running and ready"
ctl POST /state '{"kind":"Deployment","namespace":"default","name":"web","state":"image-pull"}'
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"
is "$(j 'sorted({i["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] for i in j["items"]})')" '["ErrImagePull"]' \
	"/state image-pull: containers waiting ErrImagePull"
pod=$(j 'j["items"][0]["metadata"]["name"]')
api GET "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D$pod"
is "$(j '[(e["type"], e["reason"], e["message"], e["count"], e["involvedObject"]["kind"]) for e in j["items"] if e["message"].startswith("Failed to pull")]')" \
	'[["Warning", "Failed", "Failed to pull image \"nginx:1.26\": failed to pull and unpack image \"nginx:1.26\": failed to resolve reference \"nginx:1.26\": nginx:1.26: not found", 1, "Pod"]]' \
	"with a Warning event 'Failed to pull image' on the pod"
ctl POST /state '{"kind":"Deployment","namespace":"default","name":"web","state":"crash"}'
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"
is "$(j 'sorted({i["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] for i in j["items"]})')" '["CrashLoopBackOff"]' \
	"/state crash: CrashLoopBackOff"
ctl POST /state '{"kind":"Deployment","namespace":"default","name":"web","state":"pending"}'
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"
is "$(j 'sorted({(c["status"], c["reason"], c["message"]) for i in j["items"] for c in i["status"]["conditions"]})')" \
	'[["False", "Unschedulable", "0/1 nodes are available: 1 Insufficient memory."]]' "/state pending: PodScheduled False, Insufficient memory"
ctl POST /state '{"kind":"Deployment","namespace":"default","name":"web","state":"deadline"}'
api GET "$P"
is "$(j '[(c["status"], c["reason"]) for c in j["status"]["conditions"] if c["type"] == "Progressing"]')" '[["False", "ProgressDeadlineExceeded"]]' \
	"/state deadline: Progressing False ProgressDeadlineExceeded"
! ctl POST /state '{"kind":"Deployment","name":"nope","state":"sideways"}' && grep -q "state must be one of" "$tmp/ctl"
ok $? "/state with an unknown state: refused ($(grep -o '"error".*' "$tmp/ctl"))"
sts='{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"replicas":2,"serviceName":"db",
"selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"mysql:8"}]}},
"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}'
ctl POST /auto '{"ready": true}'
apply /apis/apps/v1/namespaces/default/statefulsets/db ftboot "$sts"
api GET "/api/v1/namespaces/default/pods?labelSelector=app%3Ddb"
is "$(j '[(i["metadata"]["name"], i["status"]["phase"]) for i in j["items"]]')" '[["db-0", "Running"], ["db-1", "Running"]]' \
	"auto ready: a StatefulSet's pods db-0, db-1 Running"
api GET /api/v1/namespaces/default/persistentvolumeclaims/data-db-0
is "$(j 'j["status"]["phase"]')" Bound "and its claim data-db-0 Bound"
apply /api/v1/namespaces/default/services/lb ftboot '{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","selector":{"app":"web"},"ports":[{"port":80}]}}'
api GET /api/v1/namespaces/default/services/lb
is "$(j '[j["status"]["loadBalancer"]["ingress"][0]["ip"], bool(j["spec"]["clusterIP"]), j["spec"]["ports"][0]["targetPort"], j["spec"]["ports"][0]["nodePort"] >= 30000]')" \
	'["10.0.0.77", true, 80, true]' "auto with --lb-ip: a LoadBalancer Service gets that IP (and a clusterIP, targetPort, nodePort)"
ctl POST /lb '{"namespace":"default","name":"lb","ip":"10.0.0.88"}'
api GET /api/v1/namespaces/default/services/lb
is "$(j 'j["status"]["loadBalancer"]["ingress"][0]["ip"]')" "10.0.0.88" "/lb sets it"
ctl POST /auto '{"ready": false}'

# -- TokenRequest
apply /api/v1/namespaces/default/serviceaccounts/admin-user ftboot '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"admin-user"}}'
api POST /api/v1/namespaces/default/serviceaccounts/admin-user/token application/json '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}'
is "$code $(j '[j["kind"], j["spec"]["expirationSeconds"], bool(j["status"]["expirationTimestamp"]), j["status"]["token"].count(".")]')" \
	'201 ["TokenRequest", 3600, true, 2]' "TokenRequest: 201, a token (JWT-shaped) and its expiry"
satok=$(j 'j["status"]["token"]')
AUTH=(-H "Authorization: Bearer $satok")
api POST /api/v1/namespaces/default/configmaps application/json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"by-sa"}}'
AUTH=()
is "$code" 201 "the token authenticates (and may write)"
grep -q '"path": "/api/v1/namespaces/default/configmaps", "query": "", "status": 201, "user": "system:serviceaccount:default:admin-user"' "$d/requests.log"
ok $? "requests.log: as system:serviceaccount:default:admin-user"
api POST /api/v1/namespaces/default/serviceaccounts/admin-user/token application/json '{"spec":{"expirationSeconds":599}}'
is "$code $(j 'j["message"]')" '422 TokenRequest.authentication.k8s.io "admin-user" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes' \
	"expirationSeconds 599: 422"
api POST /api/v1/namespaces/default/serviceaccounts/ghost/token application/json '{}'
is "$code $(j 'j["message"]')" '404 serviceaccounts "ghost" not found' "a missing ServiceAccount: 404"
api DELETE /api/v1/namespaces/default/serviceaccounts/admin-user
AUTH=(-H "Authorization: Bearer $satok")
api GET /api/v1/namespaces
AUTH=()
is "$code" 401 "the token of a deleted ServiceAccount no longer authenticates"
grep -qF -e "$satok" -e "$(cat "$d/token")" -e "$(cat "$d/view-token")" "$d/requests.log" "$d/server.log"
is "$?" 1 "no token in requests.log or server.log"

# -- CRDs
crd='{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}'
apply /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com ftboot "$crd"
is "$code $(j '[c["status"] for c in j.get("status", {}).get("conditions", []) if c["type"] == "Established"]')" '201 []' \
	"a CRD applied: 201 (the create answer, before the controller)"
api GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com
is "$(j '[c["status"] for c in j["status"]["conditions"] if c["type"] == "Established"]')" '["True"]' "and Established at once"
api GET /apis/example.com/v1
is "$(j '[(r["name"], r["kind"], r["namespaced"]) for r in j["resources"]]')" '[["widgets", "Widget", true]]' "its group/version in discovery"
apply /apis/example.com/v1/namespaces/default/widgets/w1 ftboot '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}'
is "$code $(j 'j["metadata"]["generation"]')" "201 1" "a custom resource applied"
api DELETE /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com
api GET /apis/example.com/v1/namespaces/default/widgets/w1
is "$code" 404 "deleting the CRD removes its resources"

# -- CRD names: the naming controller refuses names another CRD of the group has
crdj() { # crdj NAME PLURAL KIND [NAMES-JSON-EXTRA]: a CRD of group example.org
	echo '{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"'"$1"'"},
"spec":{"group":"example.org","scope":"Namespaced","names":{"plural":"'"$2"'","kind":"'"$3"'"'"${4:-}"'},
"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}'
}
crds=/apis/apiextensions.k8s.io/v1/customresourcedefinitions
conds='[(c["type"], c["status"], c["reason"], c["message"]) for c in j["status"]["conditions"]]'
apply $crds/widgets.example.org ftboot "$(crdj widgets.example.org widgets Widget ',"shortNames":["wd"]')"
apply $crds/gizmos.example.org ftboot "$(crdj gizmos.example.org gizmos Widget ',"listKind":"GizmoList"')"
api GET $crds/gizmos.example.org
is "$(j "$conds")" '[["NamesAccepted", "False", "KindConflict", "\"Widget\" is already in use"], ["Established", "False", "NotAccepted", "not all names are accepted"]]' \
	"a CRD asking for a kind another CRD of its group has: NamesAccepted False (KindConflict), Established False (NotAccepted)"
is "$(j 'j["status"]["acceptedNames"]')" '{"kind": "", "listKind": "GizmoList", "plural": "gizmos"}' \
	"  its other names are accepted, its kind and its singular (defaulted: widget) are not"
api GET /apis/example.org/v1
is "$(j '[r["name"] for r in j["resources"]]')" '["widgets"]' "  it is not in discovery"
api GET /apis/example.org/v1/namespaces/default/gizmos
is "$code" 404 "  nor are its custom resources served"
apply $crds/things.example.org ftboot "$(crdj things.example.org things Widget)"
api GET $crds/things.example.org
is "$(j "${conds}[0]")" '["NamesAccepted", "False", "ListKindConflict", "\"WidgetList\" is already in use"]' \
	"kind and listKind taken: the last check failed says (ListKindConflict)"
apply $crds/dials.example.org ftboot "$(crdj dials.example.org dials Dial ',"shortNames":["widget","wd","dl"]')"
api GET $crds/dials.example.org
is "$(j "${conds}[0]")" '["NamesAccepted", "False", "ShortNamesConflict", "[\"widget\" is already in use, \"wd\" is already in use]"]' \
	"short names taken: ShortNamesConflict, the errors aggregated"
apply $crds/wids.example.org ftboot "$(crdj wids.example.org wids Wid ',"singular":"widgets"')"
api GET $crds/wids.example.org
is "$(j "${conds}[0]")" '["NamesAccepted", "False", "SingularConflict", "\"widgets\" is already in use"]' \
	"a singular another CRD has as its plural: SingularConflict"
for c in things dials wids widgets; do api DELETE $crds/$c.example.org; done
api GET $crds/gizmos.example.org
is "$(j "$conds")" '[["NamesAccepted", "True", "NoConflicts", "no conflicts found"], ["Established", "True", "InitialNamesAccepted", "the initial names have been accepted"]]' \
	"the CRD holding the kind deleted: the refused one's names are accepted, and it is Established"
api GET /apis/example.org/v1/namespaces/default/gizmos
is "$code $(j 'j["kind"]')" "200 WidgetList" "  and its custom resources served (as its listKind says)"
api DELETE $crds/gizmos.example.org

# -- delete
api GET "/api/v1/namespaces/kube-system/pods?labelSelector=app%3Dweb"
is "$(j 'len(j["items"])')" 1 "kube-system/sys has its pod"
api DELETE "/apis/apps/v1/namespaces/kube-system/deployments/sys?propagationPolicy=Background"
is "$code $(j '[j["kind"], j["status"], j["details"]["name"], j["details"]["kind"]]')" '200 ["Status", "Success", "sys", "deployments"]' \
	"DELETE (Background): 200 Status Success"
api GET "/api/v1/namespaces/kube-system/pods?labelSelector=app%3Dweb"
is "$(j 'len(j["items"])')" 0 "and the Deployment's pods are gone"
api DELETE "$P" application/json '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"}'
is "$code $(j '[j["kind"], j["metadata"]["finalizers"], bool(j["metadata"]["deletionTimestamp"])]')" '200 ["Deployment", ["foregroundDeletion"], true]' \
	"DELETE (Foreground): 200 with the object, deletionTimestamp and the foregroundDeletion finalizer"
api GET "$P"
is "$code" 404 "then it is gone"
apply /apis/apps/v1/namespaces/default/deployments/orph ftboot "$(printf '%s' "$dep2" | sed 's/"name":"web"/"name":"orph"/; s/"app":"web"/"app":"orph"/g')"
api DELETE "/apis/apps/v1/namespaces/default/deployments/orph?propagationPolicy=Orphan"
is "$code $(j 'j["metadata"]["finalizers"]')" '200 ["orphan"]' "DELETE (Orphan): 200 with the object and the orphan finalizer"
api GET "/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dorph"
is "$(j '[(bool(i["metadata"]["name"]), i["metadata"].get("ownerReferences")) for i in j["items"]]')" '[[true, null]]' \
	"its ReplicaSet stays, without the ownerReference"
api DELETE "/api/v1/namespaces/default/configmaps/c?propagationPolicy=Sideways"
is "$code" 422 "an unknown propagationPolicy: 422"
apply /api/v1/namespaces/scratch ftboot '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"scratch"}}'
is "$code" 201 "a namespace applied"
apply /api/v1/namespaces/scratch/configmaps/x ftboot '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'
api DELETE /api/v1/namespaces/scratch
is "$code $(j 'j["status"]["phase"]')" "200 Terminating" "DELETE of a namespace: 200, Terminating"
api GET /api/v1/namespaces/scratch/configmaps/x
is "$code" 404 "and its objects are deleted"

# -- more workloads: a Job, a bare pod, the Deployment's events
apply /apis/batch/v1/namespaces/default/jobs/once ftboot '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}'
is "$code $(j 'j["details"]["causes"][0]["field"]')" "422 spec.template.spec.restartPolicy" "a Job without restartPolicy Never/OnFailure: 422"
apply /apis/batch/v1/namespaces/default/jobs/once ftboot '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}'
api GET /apis/batch/v1/namespaces/default/jobs/once
is "$(j '[j["status"].get("active"), j["status"].get("succeeded")]')" '[1, null]' "a Job, not auto-ready: active 1"
ctl POST /state '{"kind":"Job","namespace":"default","name":"once","state":"ready"}'
api GET /apis/batch/v1/namespaces/default/jobs/once
is "$(j '[j["status"].get("succeeded"), [c["type"] for c in j["status"]["conditions"] if c["status"] == "True"]]')" '[1, ["SuccessCriteriaMet", "Complete"]]' 	"/state ready: the Job Complete"
api GET "/api/v1/namespaces/default/pods?labelSelector=job-name%3Donce"
is "$(j '[i["status"]["phase"] for i in j["items"]]')" '["Succeeded"]' "its pod Succeeded"
apply /api/v1/namespaces/default/pods/solo ftboot '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
ctl POST /state '{"kind":"Pod","namespace":"default","name":"solo","state":"crash"}'
api GET /api/v1/namespaces/default/pods/solo
is "$(j 'j["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]')" CrashLoopBackOff "a bare pod follows /state too"
apply /apis/apps/v1/namespaces/default/deployments/ev ftboot "$(printf '%s' "$dep2" | sed 's/"name":"web"/"name":"ev"/')"
api GET "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dev"
is "$(j '[(e["reason"], e["source"]["component"]) for e in j["items"]]')" '[["ScalingReplicaSet", "deployment-controller"]]' 	"a Deployment's ScalingReplicaSet event"

# -- hostile input
api PATCH "/api/v1/namespaces/default/configmaps/nul?fieldManager=ftboot" application/apply-patch+yaml "$(printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nul\ndata:\n  a: "\001"\n')"
is "$code $(j 'j["message"].split(":")[0]')" "400 error converting YAML to JSON" "a raw control character in YAML: 400 (go-yaml refuses them too)"
api PATCH "/api/v1/namespaces/default/configmaps/nul?fieldManager=ftboot" application/apply-patch+yaml 'apiVersion: v1
kind: ConfigMap
metadata:
  name: nul
data:
  a: "\x01\0"'
is "$code $(j 'repr(j["data"]["a"])')" "201 '\\x01\\x00'" "escaped control characters and NUL in a YAML string: kept"
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"z"},"data":{"a":"\xff\xfe"}}' >"$tmp/bad-utf8"
/usr/bin/curl -sS --max-time 10 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" -X PATCH \
	-H 'Content-Type: application/apply-patch+yaml' --data-binary @"$tmp/bad-utf8" -o "$tmp/body" -w '%{http_code}' \
	"$U/api/v1/namespaces/default/configmaps/z?fieldManager=ftboot" >"$tmp/code"
is "$(cat "$tmp/code") $(j 'j["reason"]')" "400 BadRequest" "a body that is not UTF-8: 400"
head -c 3200000 /dev/zero | tr '\0' a >"$tmp/huge"
/usr/bin/curl -sS --max-time 20 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" -X PATCH \
	-H 'Content-Type: application/apply-patch+yaml' --data-binary @"$tmp/huge" -o "$tmp/body" -w '%{http_code}' \
	"$U/api/v1/namespaces/default/configmaps/z?fieldManager=ftboot" >"$tmp/code" 2>/dev/null
is "$(cat "$tmp/code")" 413 "a body over 3 MiB: 413 (curl's Expect: 100-continue answered at once)"
/usr/bin/curl -sS --max-time 20 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" -X PATCH \
	-H 'Expect:' -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$tmp/huge" -o "$tmp/body" \
	-w '%{http_code}' "$U/api/v1/namespaces/default/configmaps/z?fieldManager=ftboot" >"$tmp/code" 2>/dev/null
is "$(cat "$tmp/code")" 413 "a body over 3 MiB sent whole: 413 after it is read, not a reset"
api PATCH "/api/v1/namespaces/default/configmaps/z?fieldManager=ftboot" application/apply-patch+yaml '["a list"]'
is "$code" 400 "an apply body that is not an object: 400"
api GET "/api/v1/namespaces/default/configmaps/%C3%A9t%C3%A9"
is "$code $(j 'j["message"]')" '404 configmaps "été" not found' "a multi-byte name in the path: 404 naming it"
/usr/bin/curl -sS --max-time 10 --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" \
	-o /dev/null -o /dev/null -w '%{num_connects} ' "$U/version" "$U/version" >"$tmp/conns"
is "$(cat "$tmp/conns")" "1 0 " "HTTP/1.1 keep-alive: two requests on one connection"

# -- injected failures, requests.log
ctl POST /fail '{"method":"GET","path_prefix":"/api/v1/namespaces/default/configmaps","status":429,"count":1,"retry_after":2}'
api GET /api/v1/namespaces/default/configmaps
is "$code $(j 'j["reason"]')" "429 TooManyRequests" "/fail: the next matching request answered 429"
grep -qi '^retry-after: 2' "$tmp/headers"
ok $? "with Retry-After: 2"
api GET /api/v1/namespaces/default/configmaps
is "$code" 200 "and only that one"
kube_ctl "$d" GET /log >"$tmp/body"
is "$(j 'sorted(j[-1])')" '["content_type", "method", "path", "port", "query", "status", "user"]' "GET /log: the requests.log entries"
is "$(j '[j[-1]["method"], j[-1]["status"], j[-1]["user"]]')" '["GET", 200, "ftboot-test-admin"]' "user: the certificate's CN"
ctl POST /fail '{"method":"PATCH","path_prefix":"/apis/apps/v1/namespaces/default/deployments/web","status":409,"count":1}'
apply /apis/apps/v1/namespaces/default/deployments/web ftboot '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}'
is "$code $(j '[j["reason"], j["message"], j["details"]]')" \
	'409 ["Conflict", "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again", {"group": "apps", "kind": "deployments", "name": "web"}]' \
	"/fail 409 on an object: the Conflict Status naming it, as apierrors.NewConflict"
kube_ctl "$d" GET /log >"$tmp/body"
is "$(j 'len({r["port"] for r in j[-2:]})')" 2 "requests.log: the client port of each request (two curls, two ports)"
kube_ctl "$d" POST /log/reset >/dev/null
is "$(wc -c <"$d/requests.log")" 0 "POST /log/reset empties it"

# Hostile bodies, many: every one answered, none with 500 (bounded: a hang
# is a timeout in kube-fuzz.py, which then fails).
timeout 300 /usr/bin/python3 "$FTBOOT_TOP/tests/servers/kube-fuzz.py" "$d" "$kube_port" 9 300 >"$tmp/fuzz" 2>&1
ok $? "300 hostile bodies answered: $(tail -1 "$tmp/fuzz")"
grep -q '"500"' "$tmp/fuzz"
is "$?" 1 "none answered 500"
grep -q "internal error" "$d/server.log"
is "$?" 1 "server.log: no internal error of the double$(grep -m1 "internal error" "$d/server.log" | sed 's/^/: /')"

# -- a guest-style start: empty DIR, its own PKI, a k3s-style kubeconfig
d2=$tmp/k2
mkdir -p "$d2"
/usr/bin/python3 "$FTBOOT_TOP/tests/servers/kube-apiserver.py" --dir "$d2" --address 192.168.122.10 \
	--write-kubeconfig "$d2/etc/k3s.yaml" --kubeconfig-server https://192.168.122.10:6443 >"$d2/stderr.log" 2>&1 &
echo $! >"$d2/pid"
for ((i = 0; i < 200; i++)); do [ -s "$d2/port" ] && break; sleep 0.1; done
[ -s "$d2/port" ]
ok $? "started on an empty DIR: made its own PKI"
is "$(stat -c %a "$d2/etc/k3s.yaml")" 600 "--write-kubeconfig: mode 0600"
grep -q "server: https://192.168.122.10:6443" "$d2/etc/k3s.yaml" && grep -q "current-context: default" "$d2/etc/k3s.yaml"
ok $? "with --kubeconfig-server and context default"
openssl x509 -in "$d2/server.pem" -noout -ext subjectAltName | grep -q "IP Address:192.168.122.10"
ok $? "--address: in the server certificate's SANs"
pid2=$(cat "$d2/pid")
kube_stop "$d2"
proc_alive "$pid2"
is "$?" 1 "kube_stop: the server is gone"

done_testing
