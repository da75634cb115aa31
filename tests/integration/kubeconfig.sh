#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: a stack on a cluster of its own (`cluster: {kubeconfig:
# PATH}`), against the Kubernetes API test double (tests/servers/kube.sh;
# no real API server runs here). `up --until provision` skips the vm step
# and the VM's engine and checks the cluster's /readyz over verified TLS;
# `up --until build` skips the build (no engine named); `ftboot kubeconfig`
# prints the stack's kubeconfig (relative and ~/ paths made absolute);
# status shows the cluster; a bearer token works; insecure-skip-tls-verify
# and a CA that did not sign the server are refused with what to do; the
# user's kubeconfig is not touched (only the VM's cluster is merged).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
scratch
trap 'kube_stop "$tmp/kube" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
kube_start "$tmp/kube" || { echo "not ok 1 - the Kubernetes API test double starts"; echo "1..1"; exit 1; }
kc=$tmp/kube/kubeconfig
export HOME=$tmp/home KUBECONFIG=$tmp/home/user-kubeconfig
mkdir -p "$HOME" "$tmp/proj/srcs"
cd "$tmp/proj" || exit 1

stackfile() { # stackfile CLUSTER-YAML
	printf 'name: ext\ncluster: %s\nservices:\n  web: {ports: {http: 80}}\n' "$1" >srcs/stack.yaml
}
# readyz_users: the users of the double's GET /readyz requests so far.
readyz_users() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["method"] == "GET" and r["path"] == "/readyz":
        print(r["user"])' "$tmp/kube/requests.log"
}

# ---- the cluster's kubeconfig, client certificate ----------------------------
stackfile "{kubeconfig: '$kc'}"
run_ftboot up --until provision
is "$rc" 0 "up --until provision on an external cluster: $errout"
printf '%s\n' "$errout" | grep -qxF "step vm: skipped: the stack names a cluster of its own (cluster.kubeconfig)"
ok $? "the vm step is skipped, saying why"
printf '%s\n' "$errout" | grep -qE "^cluster at $kube_url \(context 'test' of $kc\): external, not provisioned \.\.\. ready, Kubernetes v[0-9]"
ok $? "provision checks the cluster's readiness and names it"
! printf '%s\n' "$errout" | grep -q "^engine"; ok $? "and sets up no engine (the stack names none)"
is "$(readyz_users)" "ftboot-test-admin" "one GET /readyz, with the client certificate"
[ ! -e "$KUBECONFIG" ]; ok $? "the user's kubeconfig is not touched"
! grep -q kubecontext "$FTBOOT_STATE_DIR/ext/journal" 2>/dev/null; ok $? "nothing merged is journaled"

run_ftboot up --until build
is "$rc" 0 "up --until build: $errout"
printf '%s\n' "$errout" | grep -qxF "step build: skipped: images are not built: the stack names a cluster but no engine; see README"
ok $? "the build step is skipped, saying why"

run_ftboot kubeconfig
is "$rc" 0 "ftboot kubeconfig"
is "$out" "$kc" "prints the stack's cluster.kubeconfig"
run_ftboot status
is "$rc" 0 "status"
printf '%s\n' "$out" | grep -qE "^cluster +$kube_url \(external\), ready, Kubernetes v[0-9]"
ok $? "status: the cluster, ready, with its version"
printf '%s\n' "$out" | grep -qxF "kubeconfig $kc (context 'test'; ftboot kubeconfig prints it)"
ok $? "status: its kubeconfig and context"
run_ftboot status --json
printf '%s\n' "$out" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["provision"]["cluster"]
assert c["in_vm"] is False and c["ready"] is True and c["context"] == "test", c
assert c["kubeconfig"] == sys.argv[1] and c["server"].startswith("https://127.0.0.1:"), c
assert "engine" not in json.dumps(c)' "$kc"
ok $? "status --json: provision.cluster"

# Relative to the stack file's directory, and ~/ as $HOME: printed absolute.
mkdir -p "$tmp/kc2"
cp "$kc" "$tmp/kc2/config"
stackfile "{kubeconfig: ../../kc2/config}"
run_ftboot kubeconfig
is "$out" "$tmp/kc2/config" "a relative cluster.kubeconfig is printed absolute"
cp "$kc" "$HOME/kc"
stackfile "{kubeconfig: ~/kc, context: test}"
run_ftboot kubeconfig
is "$out" "$HOME/kc" "a leading ~/ is \$HOME"
run_ftboot up --until provision
is "$rc" 0 "up with ~/kc and the context named: $errout"
stackfile "{kubeconfig: ~/nothing}"
run_ftboot kubeconfig
is "$rc" 1 "kubeconfig of a missing file fails"
is "$errout" "ftboot: the kubeconfig '$HOME/nothing' of stack 'ext' does not exist (cluster.kubeconfig in srcs/stack.yaml)" \
	"and names it"
stackfile "{kubeconfig: '$kc', context: nosuch}"
run_ftboot up --until provision
is "$rc" 1 "a context the kubeconfig does not have fails"
printf '%s\n' "$errout" | grep -q "nosuch"; ok $? "and names it: $errout"

# ---- a bearer token -----------------------------------------------------------
: >"$tmp/kube/requests.log"
stackfile "{kubeconfig: '$tmp/kube/kubeconfig-token'}"
run_ftboot up --until provision
is "$rc" 0 "up with a token kubeconfig: $errout"
is "$(readyz_users)" "admin" "GET /readyz with the bearer token's user"
! printf '%s\n' "$errout" | grep -qF "$(cat "$tmp/kube/token")"; ok $? "the token is not printed"

# ---- refused: no verification, a CA that did not sign the server --------------
: >"$tmp/kube/requests.log"
sed -e 's/^\( *\)certificate-authority-data:.*/\1insecure-skip-tls-verify: true/' "$kc" >"$tmp/insecure"
grep -q "insecure-skip-tls-verify: true" "$tmp/insecure"; ok $? "(a kubeconfig with insecure-skip-tls-verify)"
stackfile "{kubeconfig: '$tmp/insecure'}"
run_ftboot up --until provision
is "$rc" 1 "insecure-skip-tls-verify is refused"
printf '%s\n' "$errout" | grep -q "insecure-skip-tls-verify"; ok $? "naming the setting: $errout"
printf '%s\n' "$errout" | grep -qi "certificate-authority"; ok $? "and saying to give the cluster's CA"
is "$(readyz_users)" "" "and nothing is sent"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other-ca.key" -out "$tmp/other-ca.pem" \
	-subj /CN=other-ca -days 2 >/dev/null 2>&1
other=$(base64 -w0 <"$tmp/other-ca.pem")
sed -e "s|^\( *\)certificate-authority-data:.*|\1certificate-authority-data: $other|" "$kc" >"$tmp/wrong-ca"
stackfile "{kubeconfig: '$tmp/wrong-ca'}"
run_ftboot up --until provision
is "$rc" 1 "a CA that did not sign the server's certificate is refused"
printf '%s\n' "$errout" | grep -q "^ftboot: the cluster at $kube_url (context 'test' of $tmp/wrong-ca): .*the TLS certificate of 127.0.0.1 is not signed by the given CA"
ok $? "saying the server's certificate is not signed by that CA: $errout"
is "$(readyz_users)" "" "and no request got through"

# ---- not ready -----------------------------------------------------------------
kube_ctl "$tmp/kube" POST /readyz '{"ok": false}' >/dev/null
stackfile "{kubeconfig: '$kc'}"
run_ftboot up --until provision
is "$rc" 1 "a cluster whose /readyz fails"
printf '%s\n' "$errout" | grep -q "^ftboot: the cluster at $kube_url (context 'test' of $kc) is not ready: "
ok $? "is named, with the server's answer: $errout"
kube_ctl "$tmp/kube" POST /readyz '{"ok": true}' >/dev/null

run_ftboot down
is "$rc" 0 "down of the external stack: $errout"
[ ! -e "$FTBOOT_STATE_DIR/ext" ]; ok $? "removes its state"
[ -s "$kc" ]; ok $? "and leaves the cluster's kubeconfig alone"
done_testing
