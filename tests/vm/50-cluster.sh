#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier: the provision step's cluster part for real. The Debian test
# guest runs the Kubernetes API test double as k3s.service
# (tests/vm/build-guest.sh: not k3s, which cannot run here), listening on
# VM_IP:6443 and writing its kubeconfig, root's 0600, at k3s's path. `up
# --until provision` fetches it over the pinned SSH (as root), points its
# server at the VM's address, keeps it 0600 in the state, waits for
# /readyz over TLS verified against the cluster's CA, and merges the
# context ftboot-<stack> into the user's ~/.kube/config (HOME a scratch
# directory holding another cluster first), which kubectl then uses. A
# cluster that does not come up fails within the profile's bound with what
# the VM reports. `up --until apply` applies a small stack (a ConfigMap, a
# LoadBalancer Service, a Deployment) there; `down` gives the user's
# kubeconfig back byte for byte. cluster: {merge: false} takes the context
# out again (and then leaves the file alone); with KUBECONFIG=A:B it is
# merged into A only. One guest boot for the whole test.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"
scratch
trap vm_cleanup EXIT
vm_setup ftvm6 5 tcg
# A loaded machine boots a TCG guest slowly: a wider bound than the tier's 300 s.
sed -i "s/^boot_timeout: .*/boot_timeout: 600/" "$proj/images/debian-test/image.yaml"
cd "$proj" || exit 1
ip=$net.10
dom=ftboot-$stack
ctx=ftboot-$stack
kc=$FTBOOT_STATE_DIR/$stack/kubeconfig
img=images/debian-test/image.yaml
have_apply=0
"$FTBOOT" help up | grep -qE '^  apply .*\(not built yet\)$' || have_apply=1

# A service built in the guest (FROM scratch with Debian's busybox) and the
# templates of the test stack.
sed -i '/^services:/,$d' srcs/stack.yaml
cat >>srcs/stack.yaml <<'EOS'
services:
  web: {build: web, ports: {http: 80}}
EOS
mkdir -p srcs/web
cp /bin/busybox srcs/web/busybox
cat >srcs/web/Dockerfile <<'EOS'
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "httpd", "-f", "-p", "80"]
EOS
cat >templates/web.yaml <<'EOS'
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello from ${stack}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ${type.web}
  selector: {app: web}
  ports: ${ports.web}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image.web}
          ports: ${container_ports.web}
EOS

# The user's kubeconfig: ~/.kube/config of a scratch HOME, with a cluster,
# user and context of its own (kubectl's layout), current.
export HOME=$tmp/home
unset KUBECONFIG
mkdir -p "$HOME/.kube"
cat >"$HOME/.kube/config" <<'EOS'
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: bm90IGEgcmVhbCBDQQo=
    server: https://prod.example:6443
  name: prod
contexts:
- context:
    cluster: prod
    namespace: shop
    user: alice
  name: prod
current-context: prod
kind: Config
preferences: {}
users:
- name: alice
  user:
    token: not-a-real-token
EOS
chmod 600 "$HOME/.kube/config"
cp "$HOME/.kube/config" "$tmp/user.before"

# remote CMD...: a command in the guest, its output.
remote() {
	"$FTBOOT" ssh -- "$@" </dev/null 2>/dev/null
}
# kc_field FILE EXPR: a field of a kubeconfig (Python on the parsed YAML, k).
kc_field() {
	/usr/bin/python3 -c 'import sys, yaml; k = yaml.safe_load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# journal_live KIND NAME: the detail of the journal's live entry for it
# (fails if there is none). The journal is append-only: "+" adds or
# updates an entry, "-" removes it.
journal_live() {
	awk -F'\t' -v k="$1" -v n="$2" '$2 == k && $3 == n { live = $1 == "+"; d = $4 }
		END { if (live) print d; exit !live }' "$FTBOOT_STATE_DIR/$stack/journal"
}
# api PATH: GET PATH from the cluster with the state kubeconfig's CA and
# client certificate, by curl (another TLS client than ftboot's).
api() {
	curl -sS --max-time 20 --cacert "$tmp/ca.pem" --cert "$tmp/client.pem" --key "$tmp/client-key.pem" \
		"https://$ip:6443$1"
}

t0=$(date +%s)
run_ftboot up --until provision
is "$rc" 0 "up --until provision: $(tail -n 4 <<<"$errout")"
echo "# up --until provision (TCG, first boot) took $(($(date +%s) - t0)) s"
printf '%s\n' "$errout" | grep -q "^kubeconfig /etc/rancher/k3s/k3s.yaml in vm '$dom' (up to 300 s) \.\.\. fetched"
ok $? "the cluster's kubeconfig is fetched from the VM over SSH"
printf '%s\n' "$errout" | grep -qE "^Kubernetes API at https://$ip:6443 \(/readyz over verified TLS\) \.\.\. ready, Kubernetes v[0-9]"
ok $? "and /readyz answers over TLS verified against the cluster's CA"
printf '%s\n' "$errout" | grep -q "^context '$ctx' in $HOME/.kube/config \.\.\. merged, the current context"
ok $? "the context is merged into the user's kubeconfig"
! printf '%s\n' "$errout" | grep -qiE "PRIVATE KEY|client-key-data"; ok $? "no private key in ftboot's output"

# The state's kubeconfig: 0600, its server the VM's address, the cluster's
# own CA and client certificate (the guest's double made them).
is "$(stat -c %a "$kc")" 600 "the state's kubeconfig is 0600"
run_ftboot kubeconfig
is "$out" "$kc" "ftboot kubeconfig prints it"
is "$(kc_field "$kc" 'k["clusters"][0]["cluster"]["server"]')" "https://$ip:6443" \
	"its server is the VM's address (the guest wrote 127.0.0.1)"
is "$(remote sudo grep -c 'server: https://127.0.0.1:6443' /etc/rancher/k3s/k3s.yaml)" 1 \
	"(the guest's own kubeconfig names 127.0.0.1)"
is "$(kc_field "$kc" 'k["current-context"]')" "$ctx" "its context is $ctx"
kc_field "$kc" 'k["clusters"][0]["cluster"]["certificate-authority-data"]' | base64 -d >"$tmp/ca.pem"
kc_field "$kc" 'k["users"][0]["user"]["client-certificate-data"]' | base64 -d >"$tmp/client.pem"
kc_field "$kc" 'k["users"][0]["user"]["client-key-data"]' | base64 -d >"$tmp/client-key.pem"
is "$(sha256sum <"$tmp/ca.pem")" "$(remote sudo cat /var/lib/ftboot-kube/ca.pem | sha256sum)" \
	"the CA is the guest cluster's"
is "$(api /readyz 2>&1)" ok "curl reaches /readyz with that CA and client certificate"
! curl -s --max-time 20 "https://$ip:6443/readyz" >/dev/null 2>&1
ok $? "and the system's trust store does not trust the cluster (only its CA does)"
if [ -x /usr/bin/kubectl ]; then
	got=$(/usr/bin/kubectl --kubeconfig "$kc" get ns -o name 2>&1)
	printf '%s\n' "$got" | grep -qx namespace/default; ok $? "kubectl --kubeconfig \$(ftboot kubeconfig) get ns: $got"
	got=$(/usr/bin/kubectl get ns -o name 2>&1)
	printf '%s\n' "$got" | grep -qx namespace/default; ok $? "plain kubectl uses the merged context: $got"
else
	skip "no /usr/bin/kubectl: the kubeconfig is not tried with kubectl"
	skip "no /usr/bin/kubectl"
fi

# The user's kubeconfig: ftboot's context current, the user's own entries as they were.
u=$HOME/.kube/config
is "$(kc_field "$u" 'k["current-context"]')" "$ctx" "the user's current-context is $ctx"
is "$(kc_field "$u" 'sorted(c["name"] for c in k["contexts"])')" "['$ctx', 'prod']" "both contexts (kubectl's order: by name)"
is "$(kc_field "$u" '[c for c in k["clusters"] if c["name"] == "prod"] + [u for u in k["users"] if u["name"] == "alice"]')" \
	"$(kc_field "$tmp/user.before" 'k["clusters"] + k["users"]')" "the user's cluster and user as they were"
is "$(kc_field "$u" '[c["cluster"]["server"] for c in k["clusters"] if c["name"] == "'"$ctx"'"]')" \
	"['https://$ip:6443']" "the merged cluster is the VM's"
is "$(stat -c %a "$u")" 600 "the user's kubeconfig stays 0600"
grep -q "kubecontext" "$FTBOOT_STATE_DIR/$stack/journal"; ok $? "the merged context is journaled"

run_ftboot status
printf '%s\n' "$out" | grep -qE "^cluster +https://$ip:6443 \(the VM's\), ready, Kubernetes v[0-9]"
ok $? "status: the cluster: $(grep '^cluster' <<<"$out")"
printf '%s\n' "$out" | grep -qxF "context    '$ctx' merged into $u"
ok $? "status: the merged context"

# Idempotent: a second provision fetches and merges again, changing nothing.
cp "$u" "$tmp/user.merged"
run_ftboot up --until provision
is "$rc" 0 "a second up --until provision: $(tail -n 2 <<<"$errout")"
cmp -s "$u" "$tmp/user.merged"; ok $? "the user's kubeconfig is as after the first"

# cluster: {merge: false} takes the merged context out again (the journal's
# entry says where) and gives the user's kubeconfig back byte for byte.
cp srcs/stack.yaml "$tmp/stack.yaml.merge"
echo 'cluster: {merge: false}' >>srcs/stack.yaml
run_ftboot up --until provision
is "$rc" 0 "up --until provision with cluster.merge false: $(tail -n 2 <<<"$errout")"
printf '%s\n' "$errout" | grep -qF "context '$ctx' in $u (cluster.merge: false) ... removed ("
ok $? "it says the context is removed because of cluster.merge: false"
printf '%s\n' "$errout" | grep -q "^context '$ctx' in .*merged" && echo "# $(grep "^context '$ctx'" <<<"$errout")"
! printf '%s\n' "$errout" | grep -q "^context '$ctx' in .*merged"; ok $? "and merges nothing"
is "$(kc_field "$u" '[c["name"] for c in k["contexts"]]')" "['prod']" "the user's kubeconfig has no context $ctx"
is "$(kc_field "$u" 'k["current-context"]')" prod "its current-context is the user's own again"
cmp -s "$u" "$tmp/user.before"; ok $? "the user's kubeconfig is as before the first up, byte for byte"
cmp "$u" "$tmp/user.before" >/dev/null 2>&1 || diff "$tmp/user.before" "$u" | head -20 | sed 's/^/#   /'
! journal_live kubecontext "$ctx" >/dev/null; ok $? "the journal no longer holds the context"
# Again with merge: false: nothing to take out, the file is not rewritten.
before=$(stat -c '%i %y' "$u")
run_ftboot up --until provision
is "$rc" 0 "up --until provision with cluster.merge false again: $(tail -n 2 <<<"$errout")"
! printf '%s\n' "$errout" | grep -q "^context '$ctx'"; ok $? "it does nothing with the context"
is "$(stat -c '%i %y' "$u")" "$before" "the user's kubeconfig is not rewritten (same inode and mtime)"
cmp -s "$u" "$tmp/user.before"; ok $? "and has the same bytes"
# merge again (the key removed): the context is back, as the first up made it.
cp "$tmp/stack.yaml.merge" srcs/stack.yaml
run_ftboot up --until provision
is "$rc" 0 "up --until provision with the merge back: $(tail -n 2 <<<"$errout")"
printf '%s\n' "$errout" | grep -q "^context '$ctx' in $u \.\.\. merged, the current context"
ok $? "the context is merged again"
cmp -s "$u" "$tmp/user.merged"; ok $? "the user's kubeconfig is as after the first up"
is "$(journal_live kubecontext "$ctx")" "path=$u previous=prod" "journaled again, with the user's context to give back"

# Not up in time: the bound, what was waited for, what the VM reports.
cp "$img" "$tmp/image.yaml.good"
sed -i 's/timeout: 300, status:/timeout: 10, status:/' "$img"
grep -q "timeout: 10, status:" "$img"; ok $? "(cluster.timeout 10 s)"
remote sudo systemctl stop k3s.service
t0=$(date +%s)
timeout 180 "$FTBOOT" up --until provision >/dev/null 2>"$tmp/stall.err"
rc=$?
took=$(($(date +%s) - t0))
is "$rc" 1 "with k3s stopped, up fails (124 would be a hang)"
[ "$took" -le 90 ]; ok $? "within its bound: $took s for a 10 s cluster.timeout"
grep -q "the cluster of vm '$dom' was not ready at https://$ip:6443 (GET /readyz over verified TLS) within 10 s (cluster.timeout in " "$tmp/stall.err"
ok $? "names what it waited for: $(grep -m1 '^ftboot:' "$tmp/stall.err" | cut -c1-240)"
grep -q "what vm '$dom' reports (systemctl status k3s --no-pager; journalctl -u k3s -n 30 --no-pager):" "$tmp/stall.err" &&
	grep -q "inactive (dead)" "$tmp/stall.err"
ok $? "and shows what the VM reports (the service is stopped)"
grep -q "inactive (dead)" "$tmp/stall.err" || sed 's/^/#   /' "$tmp/stall.err" | tail -40
remote sudo mv /etc/rancher/k3s/k3s.yaml /etc/rancher/k3s/k3s.yaml.away
timeout 180 "$FTBOOT" up --until provision >/dev/null 2>"$tmp/nofile.err"
is "$?" 1 "with no kubeconfig in the VM, up fails"
grep -q "the cluster of vm '$dom' wrote no usable kubeconfig at /etc/rancher/k3s/k3s.yaml within 10 s (cluster.timeout in .*); last: no file /etc/rancher/k3s/k3s.yaml yet" "$tmp/nofile.err"
ok $? "naming the file it waited for: $(grep -m1 '^ftboot:' "$tmp/nofile.err" | cut -c1-240)"
remote sudo mv /etc/rancher/k3s/k3s.yaml.away /etc/rancher/k3s/k3s.yaml
remote sudo systemctl start k3s.service
cp "$tmp/image.yaml.good" "$img"

if [ "$have_apply" = 1 ]; then
	t0=$(date +%s)
	run_ftboot up --until apply
	is "$rc" 0 "up --until apply: $(tail -n 4 <<<"$errout")"
	echo "# up --until apply (build, apply, rollout; TCG) took $(($(date +%s) - t0)) s"
	got=$(api /api/v1/namespaces/default/configmaps/web-config | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["greeting"])' 2>&1)
	is "$got" "hello from $stack" "the ConfigMap is in the VM's cluster"
	got=$(api /api/v1/namespaces/default/services/web | /usr/bin/python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["spec"]["type"], s["status"]["loadBalancer"]["ingress"][0]["ip"])' 2>&1)
	is "$got" "LoadBalancer $ip" "the Service has the stack's LoadBalancer address"
	got=$(api /apis/apps/v1/namespaces/default/deployments/web | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["status"].get("availableReplicas"), d["spec"]["template"]["spec"]["containers"][0]["image"])' 2>&1)
	printf '%s\n' "$got" | grep -qE "^1 ftboot/web:[0-9a-f]{12}$"; ok $? "the Deployment rolled out with the image built in the guest: $got"
	# ftboot check against the VM's own engine (mutual TLS) and cluster:
	# the image built there with ftboot's labels (E2.images), the
	# Deployment and container named after the service with its pods Ready
	# (E3), the Service's type and the one LoadBalancer address, which on
	# the VM's cluster must be vm.lb_address (E4).
	cat >srcs/checks.yaml <<'EOC'
checks:
  - {id: E2.images, title: the service image in the VM's engine, kind: images}
  - {id: E3, title: named after the service and Ready, kind: kube, expect: names}
  - {id: E4, title: types and the LoadBalancer address, kind: kube, expect: services}
EOC
	run_ftboot check --json
	is "$rc" 0 "ftboot check E2.images, E3, E4 against the VM: $(tail -n 2 <<<"$errout")"
	got=$(/usr/bin/python3 -c 'import json, sys; print(" ".join(c["id"] + "=" + c["status"] for c in json.loads(sys.argv[1])["checks"]))' "$out" 2>&1)
	is "$got" "E2.images=pass E3=pass E4=pass" "each check passed"
else
	skip "the apply step is not in this tree yet: nothing applied"
fi

# KUBECONFIG=A:B: the context moves out of ~/.kube/config into A, the first
# file, only; B is not touched; down gives A back byte for byte.
ka=$tmp/kube-a kb=$tmp/kube-b
for f in a:staging b:dev; do
	cat >"$tmp/kube-${f%:*}" <<EOS
apiVersion: v1
clusters:
- cluster:
    server: https://${f#*:}.example:6443
  name: ${f#*:}
contexts:
- context:
    cluster: ${f#*:}
    user: bob
  name: ${f#*:}
current-context: ${f#*:}
kind: Config
preferences: {}
users:
- name: bob
  user:
    token: not-a-real-token
EOS
	chmod 600 "$tmp/kube-${f%:*}"
	cp "$tmp/kube-${f%:*}" "$tmp/kube-${f%:*}.before"
done
b_stat=$(stat -c '%i %y' "$kb")
export KUBECONFIG=$ka:$kb
run_ftboot up --until provision
is "$rc" 0 "up --until provision with KUBECONFIG=A:B: $(tail -n 2 <<<"$errout")"
printf '%s\n' "$errout" | grep -qF "context '$ctx' in $u (now merged into $ka) ... removed ("
ok $? "it says the context moves from HOME's kubeconfig to A"
printf '%s\n' "$errout" | grep -q "^context '$ctx' in $ka \.\.\. merged, the current context"
ok $? "and is merged into A"
is "$(kc_field "$ka" 'sorted(c["name"] for c in k["contexts"])') $(kc_field "$ka" 'k["current-context"]')" \
	"['$ctx', 'staging'] $ctx" "A has the context, current, and its own"
cmp -s "$kb" "$tmp/kube-b.before" && [ "$(stat -c '%i %y' "$kb")" = "$b_stat" ]
ok $? "B is not touched (same bytes, inode and mtime)"
cmp -s "$u" "$tmp/user.before"; ok $? "HOME's kubeconfig is back, byte for byte"
is "$(journal_live kubecontext "$ctx")" "path=$ka previous=staging" "the journal names A and its current context"

run_ftboot down
is "$rc" 0 "down: $(tail -n 2 <<<"$errout")"
cmp -s "$u" "$tmp/user.before"; ok $? "the user's kubeconfig is back, byte for byte"
cmp "$u" "$tmp/user.before" >/dev/null 2>&1 || diff "$tmp/user.before" "$u" | head -20 | sed 's/^/#   /'
cmp -s "$ka" "$tmp/kube-a.before"; ok $? "and A, KUBECONFIG's first file, byte for byte"
cmp "$ka" "$tmp/kube-a.before" >/dev/null 2>&1 || diff "$tmp/kube-a.before" "$ka" | head -20 | sed 's/^/#   /'
cmp -s "$kb" "$tmp/kube-b.before" && [ "$(stat -c '%i %y' "$kb")" = "$b_stat" ]
ok $? "B is still not touched"
is "$(vm_leftovers)" "" "libvirt has nothing of the stack"
[ ! -e "$FTBOOT_STATE_DIR/$stack" ]; ok $? "the state (its kubeconfig too) is gone"
vm_host_unchanged
done_testing
