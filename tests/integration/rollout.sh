#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the rollout wait of `ftboot apply`, `ftboot status` and
# `ftboot dashboard` through the real binary, against the Kubernetes API
# server test double (tests/servers/kube.sh) as the stack's own cluster
# (cluster: {kubeconfig: ...}). The double's control API sets each
# workload's state, so nothing here waits on a clock:
#   - stuck rollouts (ErrImagePull, CrashLoopBackOff, Pending) fail within
#     the stack's cluster.timeout naming the Deployment, the pod's reason
#     and its events; ProgressDeadlineExceeded fails at once;
#   - a slow rollout that becomes ready while apply waits succeeds, also
#     across a watch the server closes (resumed from its resourceVersion);
#   - a DaemonSet not ready (kubectl's rule: updated and available pods of
#     desiredNumberScheduled) times out naming it, and passes once ready;
#   - status (text and JSON) lists the stack's pods, services and URLs;
#   - dashboard prints the URL of the dashboard Service's LB address and,
#     with --token, a token the server accepts, written nowhere.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
scratch
py=/usr/bin/python3 # Debian's, with python3-yaml (tests/deps.sh)
[ -x $py ] || skip_all "needs /usr/bin/python3 (tests/deps.sh test)"
kdir=$tmp/kube
LB=10.77.0.6
kube_start "$kdir" --lb-ip "$LB" || skip_all "the Kubernetes API test double does not start"
trap 'kube_stop "$kdir" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
ctl() { kube_ctl "$kdir" "$@" >/dev/null; }
# says VAR -F|-E PATTERN NAME: ok if $VAR has a line matching PATTERN.
says() {
	local v=$1 how=$2 pat=$3
	shift 3
	printf '%s\n' "${!v}" | grep -q "$how" -- "$pat"
	ok $? "$@"
}

mkdir -p "$tmp/proj/srcs/web" "$tmp/proj/templates"
cd "$tmp/proj" || exit 1
echo 'FROM scratch' >srcs/web/Dockerfile
# stackfile TIMEOUT [DASHBOARD-YAML]
stackfile() {
	{
		echo "name: ro"
		echo "cluster: {kubeconfig: '$kdir/kubeconfig', context: test, timeout: $1}"
		[ -z "${2:-}" ] || echo "dashboard: $2"
		echo "services: {web: {ports: {http: 80, https: 443}}}"
	} >srcs/stack.yaml
}
cat >templates/10-web.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "${image.web}"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80}, {name: https, port: 443}]
EOF
cat >templates/20-dashboard.yaml <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: kubernetes-dashboard}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ftboot-admin, namespace: kubernetes-dashboard}
---
apiVersion: v1
kind: Service
metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
spec:
  type: LoadBalancer
  selector: {app: dashboard}
  ports: [{port: 443, targetPort: 8443}]
EOF

# The request log's watches: "PLURAL RESOURCEVERSION" a line.
watches() {
	kube_ctl "$kdir" GET /log | $py -c '
import json, sys, urllib.parse
for r in json.load(sys.stdin):
    q = urllib.parse.parse_qs(r["query"])
    if q.get("watch") in (["1"], ["true"]):
        print(r["path"].rsplit("/", 1)[1], q.get("resourceVersion", ["-"])[0])'
}
deploy_watches() { watches | awk '$1 == "deployments" { print $2 }'; }
# Wait (bounded: 30 s) until apply watches PLURAL (deployments) N times or more.
await_watches() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(watches | awk -v p="${2:-deployments}" '$1 == p' | grep -c .)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- dashboard before anything is applied ------------------------------------
stackfile 60
run_ftboot dashboard
is "$rc" 1 "dashboard with no dashboard Service: exit 1"
says errout -F "the dashboard's Service 'kubernetes-dashboard' in namespace 'kubernetes-dashboard' does not exist" "and says the Service does not exist"
says errout -F "ftboot up" "and what to do"
is "$out" "" "and prints nothing on stdout"

# ---- slow, then ready; the watch closed by the server is resumed -------------
# The LB addresses are set first: only the Deployment is waited for, on one watch.
ctl POST /lb '{"namespace": "default", "name": "web", "ip": "'$LB'"}'
ctl POST /lb '{"namespace": "kubernetes-dashboard", "name": "kubernetes-dashboard", "ip": "'$LB'"}'
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "progressing"}'
"$FTBOOT" apply >"$tmp/apply.out" 2>"$tmp/apply.err" &
apid=$!
await_watches 1; ok $? "apply watches the Deployment while it is not ready"
kill -0 $apid 2>/dev/null; ok $? "and is still waiting"
is "$(kube_ctl "$kdir" POST /watches/close | $py -c 'import json,sys; print(json.load(sys.stdin)["closed"] >= 1)')" True \
	"the server closes the open watch"
await_watches 2; ok $? "apply watches again after the stream ended"
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "ready"}'
wait $apid
arc=$?
is "$arc" 0 "apply succeeds once the Deployment is ready"
[ "$arc" -eq 0 ] || sed 's/^/#   /' "$tmp/apply.err"
mapfile -t rvs < <(deploy_watches)
[ "${#rvs[@]}" -ge 2 ] && [ -n "${rvs[0]}" ] && [ -n "${rvs[1]}" ] && [ "${rvs[1]}" -ge "${rvs[0]}" ]
ok $? "the second watch starts from a resourceVersion, not before the first's (${rvs[*]})"
grep -qE "rollout +2/3 ready; waiting for Deployment/web: 0 of 1" "$tmp/apply.err"
ok $? "apply says what it waits for"
grep -qE "rollout +3/3 ready" "$tmp/apply.err"; ok $? "and then that all 3 are ready"

# ---- a watch too old to resume (410 Gone): the kind is listed again ------------
ctl POST /log/reset
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "progressing"}'
"$FTBOOT" apply >"$tmp/apply.out" 2>"$tmp/apply.err" &
apid=$!
await_watches 1; ok $? "apply watches the Deployment"
ctl POST /fail '{"method": "GET", "path_prefix": "/apis/apps/v1/namespaces/default/deployments", "status": 410, "count": 1}'
ctl POST /watches/close
await_watches 3; ok $? "after a 410 for its watch, apply watches again"
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "ready"}'
wait $apid
arc=$?
is "$arc" 0 "and succeeds once the Deployment is ready"
[ "$arc" -eq 0 ] || sed 's/^/#   /' "$tmp/apply.err"
is "$(kube_ctl "$kdir" GET /log | $py -c '
import json, sys, urllib.parse
seq = []
for r in json.load(sys.stdin):
    q = urllib.parse.parse_qs(r["query"])
    if r["method"] == "GET" and r["path"].endswith("/deployments"):
        seq.append(("watch" if "watch" in q else "list") + " " + str(r["status"]))
w = seq.index("watch 200")
print(", ".join(seq[w - 1:]))')" "list 200, watch 200, watch 410, list 200, watch 200" \
	"the request log: list, watch, the 410, listed again, watched from the new list"

# ---- stuck rollouts fail within cluster.timeout, saying why ------------------
stackfile 3
stuck() { # stuck STATE NAME: apply with web in STATE
	ctl POST /state '{"kind": "Deployment", "name": "web", "state": "'"$1"'"}'
	run_ftboot apply
	is "$rc" 1 "$2: apply fails"
}
stuck image-pull "ErrImagePull"
says errout -F "timed out after 3 s" "after the stack's cluster.timeout, saying so"
says errout -F "Deployment/web: 0 of 1 updated replicas available" "naming the Deployment and what it lacks"
says errout -E "pod web-[0-9a-z]+-[0-9a-z]{5}: Pending; container web waiting: ErrImagePull: failed to pull and unpack image \"ftboot/web:[0-9a-f]{12}\"" "the pod's waiting reason ErrImagePull with its message"
says errout -E "Warning Failed: Failed to pull image \"ftboot/web:[0-9a-f]{12}\"" "and the pod's event"
[ "$(printf '%s\n' "$errout" | grep -cE '^      [0-9T:-]+Z? (Normal|Warning) ')" -le 5 ]
ok $? "at most 5 events"
[ "$(printf '%s\n' "$errout" | grep -cE '^      [0-9T:-]+Z? (Normal|Warning) ')" -ge 2 ]
ok $? "and at least the pulling and failing ones"

stuck crash "CrashLoopBackOff"
says errout -F "container web waiting: CrashLoopBackOff: back-off 40s restarting failed container=web" "the pod's waiting reason CrashLoopBackOff"
says errout -F "(last termination: Error, exit code 1)" "with its last termination"
says errout -F "Warning BackOff: Back-off restarting failed container web" "and the BackOff event"

stuck pending "Pending"
says errout -F "not scheduled: 0/1 nodes are available: 1 Insufficient memory." "the scheduler's message"
says errout -F "Warning FailedScheduling: 0/1 nodes are available" "and its event"

# The deadline: a failure at once, well before a long timeout.
stackfile 600
t0=$(date +%s)
stuck deadline "ProgressDeadlineExceeded"
t1=$(date +%s)
says errout -F "Deployment/web: failed: progress deadline exceeded (ProgressDeadlineExceeded): ReplicaSet \"web-" "names the Deployment, the deadline and its reason"
printf '%s\n' "$errout" | grep -qF "timed out after"; ok $((!$?)) "and does not wait for the timeout"
[ $((t1 - t0)) -lt 300 ]; ok $? "it fails at once ($((t1 - t0)) s; the timeout is 600 s)"

ctl POST /state '{"kind": "Deployment", "name": "web", "state": "ready"}'
stackfile 3
run_ftboot apply
is "$rc" 0 "ready again: apply succeeds"

# ---- status ------------------------------------------------------------------
run_ftboot status
is "$rc" 0 "status exits 0"
says out -E "^pod +web-[0-9a-z]+-[0-9a-z]{5} +1/1 ready +0 restarts +Running$" "status lists the pod, ready, with its restarts"
says out -E "^service +web +LoadBalancer +10\.43\.[0-9.]+ +$LB +80:[0-9]+/TCP,443:[0-9]+/TCP$" "the Service with type, cluster IP, LB address and ports"
says out -E "^service +kubernetes-dashboard/kubernetes-dashboard +LoadBalancer " "the Service in another namespace"
says out -E "^url +web +http://$LB:80$" "the http URL"
says out -E "^url +web +https://$LB:443$" "the https URL"
printf '%s\n' "$out" | grep -q '^pod ' || printf '%s\n' "$out" | sed 's/^/#   /'

run_ftboot status --json
is "$rc" 0 "status --json exits 0"
printf '%s\n' "$out" | $py -m json.tool >/dev/null; ok $? "its output parses as JSON"
got=$(printf '%s\n' "$out" | $py -c '
import json, sys
a = json.load(sys.stdin)["apply"]
p = [x for x in a["pods"] if x["name"].startswith("web-")][0]
s = [x for x in a["services"] if x["name"] == "web"][0]
print(p["ready"], p["containers"], p["restarts"], p["status"], s["type"], s["external"],
      ",".join(str(x["port"]) for x in s["ports"]), " ".join(sorted(a["urls"])))')
is "$got" "1 1 0 Running LoadBalancer $LB 80,443 http://$LB:80 https://$LB:443 https://$LB:443" \
	"and holds the same pods, services and URLs"

# A pod in trouble shows its reason and restarts.
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "crash"}'
run_ftboot status
says out -E "^pod +web-[0-9a-z]+-[0-9a-z]{5} +0/1 ready +3 restarts +CrashLoopBackOff$" "status shows a crashing pod's reason and restarts"
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "ready"}'

# ---- dashboard ---------------------------------------------------------------
run_ftboot dashboard
is "$rc" 0 "dashboard exits 0"
is "$out" "https://$LB:443" "and prints the dashboard Service's URL"

stackfile 3 "{token_ttl: 900}"
run_ftboot dashboard --token
is "$rc" 0 "dashboard --token exits 0"
is "$(printf '%s\n' "$out" | sed -n 1p)" "https://$LB:443" "the URL first"
tok=$(printf '%s\n' "$out" | sed -n 2p)
is "$(printf '%s\n' "$out" | wc -l)" 2 "then the token on its own line"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$kdir/ca.pem" \
	-H "Authorization: Bearer $tok" "$kube_url/api/v1/namespaces/kubernetes-dashboard/serviceaccounts")
is "$code" 200 "the API server accepts the token"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$kdir/ca.pem" \
	-H "Authorization: Bearer ${tok}x" "$kube_url/api/v1/namespaces/kubernetes-dashboard/serviceaccounts")
is "$code" 401 "(and refuses another one)"
got=$(printf '%s' "$tok" | cut -d. -f2 | $py -c '
import base64, json, sys
s = sys.stdin.read().strip()
c = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
print(c["exp"] - c["iat"], c["sub"])')
is "$got" "900 system:serviceaccount:kubernetes-dashboard:ftboot-admin" \
	"for the dashboard's account, valid for dashboard.token_ttl"
[ -n "$tok" ] && ! grep -rqF "$tok" "$FTBOOT_STATE_DIR"; ok $? "the token is nowhere in the state directory"
printf '%s\n' "$errout" | grep -qF "$tok"; ok $((!$?)) "nor on stderr"

stackfile 3 "{account: nobody}"
run_ftboot dashboard --token
is "$rc" 1 "--token for a service account that does not exist: exit 1"
says errout -F "login token for service account 'nobody' in namespace 'kubernetes-dashboard': " \
	"naming the account and its namespace"
says errout -F 'serviceaccounts "nobody" not found' "with the API's own message"
is "$out" "" "and no URL printed without its token"

# A Service without an LB address, and one that is not a LoadBalancer.
curl -s -o /dev/null --cacert "$kdir/ca.pem" -H "Authorization: Bearer $(cat "$kdir/token")" \
	-H 'Content-Type: application/json' -X POST "$kube_url/api/v1/namespaces/default/services" \
	-d '{"apiVersion":"v1","kind":"Service","metadata":{"name":"plain"},"spec":{"ports":[{"port":443}]}}'

curl -s -o /dev/null --cacert "$kdir/ca.pem" -H "Authorization: Bearer $(cat "$kdir/token")" \
	-H 'Content-Type: application/json' -X POST "$kube_url/api/v1/namespaces/default/services" \
	-d '{"apiVersion":"v1","kind":"Service","metadata":{"name":"nolb"},"spec":{"type":"LoadBalancer","ports":[{"port":443}]}}'
stackfile 3 "{namespace: default, service: nolb}"
run_ftboot dashboard
is "$rc" 1 "a dashboard Service without an address: exit 1"
says errout -F "the dashboard's Service 'nolb' in namespace 'default' has no LoadBalancer address yet" "saying it has no address yet"
stackfile 3 "{namespace: default, service: plain}"
run_ftboot dashboard
is "$rc" 1 "a dashboard Service of type ClusterIP: exit 1"
says errout -F "is of type ClusterIP" "saying its type and what to do"

# ---- several kinds waited for at once ------------------------------------------
# A StatefulSet, a PVC and a LoadBalancer without its address, beside the
# Deployment: each kind is watched in turn until all are ready.
cat >templates/30-late.yaml <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "${image.web}"}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: late}
spec:
  type: LoadBalancer
  selector: {app: db}
  ports: [{name: sql, port: 3306}]
EOF
stackfile 60
ctl POST /log/reset
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "progressing"}'
"$FTBOOT" apply >"$tmp/apply.out" 2>"$tmp/apply.err" &
apid=$!
await_watches 1; ok $? "apply waits, watching"
ctl POST /state '{"kind": "StatefulSet", "name": "db", "state": "ready"}'
ctl POST /state '{"kind": "PersistentVolumeClaim", "name": "data", "state": "ready"}'
ctl POST /lb '{"namespace": "default", "name": "late", "ip": "'$LB'"}'
ctl POST /state '{"kind": "Deployment", "name": "web", "state": "ready"}'
wait $apid
arc=$?
is "$arc" 0 "apply succeeds once the Deployment, StatefulSet, PVC and Service are ready"
[ "$arc" -eq 0 ] || sed 's/^/#   /' "$tmp/apply.err"
grep -qE "rollout +6/6 ready" "$tmp/apply.err"; ok $? "saying all 6 are ready"
is "$(watches | awk '{ print $1 }' | sort -u | grep -xE 'deployments|persistentvolumeclaims|services|statefulsets' | paste -sd' ')" \
	"deployments persistentvolumeclaims services statefulsets" "each kind was watched"
rm templates/30-late.yaml

# ---- a DaemonSet ---------------------------------------------------------------
# kubectl's DaemonSetStatusViewer: observedGeneration, then updatedNumberScheduled
# and numberAvailable each equal to desiredNumberScheduled.
cat >templates/40-agent.yaml <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "${image.web}"}]
EOF
ctl POST /state '{"kind": "DaemonSet", "name": "agent", "state": "progressing"}'
stackfile 3
run_ftboot apply
is "$rc" 1 "a DaemonSet whose pod is not ready: apply fails"
says errout -F "timed out after 3 s" "  after the stack's cluster.timeout"
says errout -F "DaemonSet/agent: 0 of 1 pods available" "  naming the DaemonSet and what it lacks"
is "$(kube_ctl "$kdir" GET /objects | $py -c '
import json, sys
d = [o for o in json.load(sys.stdin)["items"] if o["kind"] == "DaemonSet"][0]["status"]
print(d["desiredNumberScheduled"], d["updatedNumberScheduled"], d["numberReady"], d.get("numberAvailable", 0))')" \
	"1 1 0 0" "  (the double's status: 1 desired, 1 updated, 0 ready, 0 available)"
stackfile 60
ctl POST /log/reset
"$FTBOOT" apply >"$tmp/apply.out" 2>"$tmp/apply.err" &
apid=$!
await_watches 1 daemonsets; ok $? "apply watches the DaemonSet while it is not ready"
ctl POST /state '{"kind": "DaemonSet", "name": "agent", "state": "ready"}'
wait $apid
arc=$?
is "$arc" 0 "and succeeds once the DaemonSet is ready"
[ "$arc" -eq 0 ] || sed 's/^/#   /' "$tmp/apply.err"
grep -qE "rollout +3/4 ready; waiting for DaemonSet/agent: 0 of 1 pods" "$tmp/apply.err"
ok $? "  having said what it waits for (the live line, cut to its width)"
rm templates/40-agent.yaml

# ---- a cluster that does not answer: status says so --------------------------
kube_stop "$kdir" >/dev/null 2>&1
run_ftboot status
is "$rc" 0 "status with the cluster down still exits 0"
says out -E "^apply +the cluster at https://127\.0\.0\.1:[0-9]+ does not answer" "and says the cluster does not answer"
run_ftboot status --json
printf '%s\n' "$out" | $py -c 'import json,sys; a=json.load(sys.stdin)["apply"]; sys.exit(a["answers"] is not False or a["pods"] != [])'
ok $? "in JSON too"

done_testing
