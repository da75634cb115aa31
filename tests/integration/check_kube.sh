#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check` E3 and E4 (the kube kind: names and
# readiness, Service types and the shared LoadBalancer address) through
# the real binary against the Kubernetes API test double
# (tests/servers/kube.sh) as the stack's external cluster, in auto-ready
# mode with an LB address. The stack is a copy of the repository's
# (srcs/, templates/, setup.sh) applied with `ftboot apply`, less what
# the double cannot hold here: the dashboard's remote manifest (no
# internet) and so templates/dashboard.yaml (its namespace comes with
# that manifest). Checked: the stack as it is passes both; a pod stuck
# pulling its image, crashing, not scheduled or still starting fails E3
# naming the pod and the reason; a Deployment or a container named
# otherwise fails E3 naming what it looked for; a LoadBalancer on another
# address, on 127.0.0.1, .0 or .255 fails E4 naming the Service; a
# NodePort Service in a template fails E4; a cluster that is not set up
# fails with the hint to run ftboot up; the VM's own cluster (a
# kubeconfig in the state, the same double) wants vm.lb_address; the API
# server gone fails both at once, naming what they could not list.
# Relies on the double's simplification that controllers act at once (no
# wait between a change and the check).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
scratch
py=/usr/bin/python3 # Debian's, with python3-yaml (tests/deps.sh)
$py -c 'import yaml' 2>/dev/null || skip_all "needs /usr/bin/python3 with python3-yaml (tests/deps.sh test)"
kd=$tmp/kube LB=192.168.61.10
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	kube_stop "$kd" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
kube_start "$kd" --auto-ready --lb-ip "$LB" || skip_all "the API test double does not start"
export FTBOOT_CACHE_DIR=$tmp/cache

# A copy of the repository's stack on the double: copy DIR.
copy() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -R "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$1/"
	rm -f "$1/templates/dashboard.yaml"
	$py - "$1/srcs/stack.yaml" "$kd/kubeconfig" <<'EOF'
import sys, yaml
p, kc = sys.argv[1], sys.argv[2]
s = yaml.safe_load(open(p))
s.pop("manifests", None)
s["cluster"] = {"kubeconfig": kc, "timeout": 30}
yaml.safe_dump(s, open(p, "w"), sort_keys=False)
EOF
}
# novm DIR: a copy of the stack on the VM's own cluster (no cluster:).
novm() {
	copy "$1"
	$py - "$1/srcs/stack.yaml" <<'EOF'
import sys, yaml
p = sys.argv[1]
s = yaml.safe_load(open(p))
s.pop("cluster")
yaml.safe_dump(s, open(p, "w"), sort_keys=False)
EOF
}
# check [ARGS]: run ftboot check --only E3,E4 in the copy; sets out, errout, rc.
check() { in_proj check --only E3,E4 "$@"; }
# in_proj ARGS: run_ftboot ARGS in $proj.
in_proj() {
	local here=$PWD
	cd "$proj" || exit 1
	run_ftboot "$@"
	cd "$here" || exit 1
}
# The line of check's plain output for id, then its expected/seen/hint lines.
result() { awk -v id="$1" '$1 == id { p = 1; print; next } /^[A-Z0-9.]+ (pass|fail|skip) / { p = 0 } p' <<<"$out"; }

proj=$tmp/proj
copy "$proj"
in_proj apply
is "$rc" 0 "the repository's stack applies to the double: $(tail -n 1 <<<"$errout" | tail -c 300)"

check
is "$rc" 0 "the stack as applied passes E3 and E4: $(tail -c 600 <<<"$out$errout")"
like() { grep -q -- "$2" <<<"$1"; ok $? "$3"; }
check --json
ev=$($py -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(e for c in d["checks"] for e in c["evidence"]))' <<<"$out")
like "$ev" '^Deployment/nginx: 1/1 ready, containers nginx$' "E3's evidence: a line per Deployment"
like "$ev" '^Pod/nginx-[a-z0-9]*-[a-z0-9]*: Ready$' "E3's evidence: a line per pod"
like "$ev" "^Service/nginx LoadBalancer $LB\$" "E4's evidence: the LoadBalancer and its address"
like "$ev" '^Service/mysql ClusterIP [0-9.]*$' "E4's evidence: the ClusterIP Service"

# A pod stuck pulling its image.
kube_ctl "$kd" POST /state '{"kind": "Deployment", "name": "wordpress", "state": "image-pull"}' >/dev/null
check
is "$rc" 1 "a pod stuck pulling: check fails"
r=$(result E3)
like "$r" '^E3 fail' "a pod stuck pulling: E3 fails"
like "$r" 'seen: Pod/wordpress-[a-z0-9-]*: \(ErrImagePull\|ImagePullBackOff\)' "... naming the pod and its waiting reason: $(grep seen: <<<"$r")"
like "$(result E4)" '^E4 pass' "... E4 still passes"
kube_ctl "$kd" POST /state '{"kind": "Deployment", "name": "wordpress", "state": "crash"}' >/dev/null
check
like "$(result E3)" 'seen: Pod/wordpress-[a-z0-9-]*: CrashLoopBackOff' "a pod crashing: E3 fails naming the reason: $(grep seen: <<<"$(result E3)")"
kube_ctl "$kd" POST /state '{"kind": "Deployment", "name": "wordpress", "state": "pending"}' >/dev/null
check
like "$(result E3)" 'seen: Pod/wordpress-[a-z0-9-]*: Pending, not Ready: Unschedulable (0/1 nodes' "a pod not scheduled: E3 fails saying why: $(grep seen: <<<"$(result E3)")"
kube_ctl "$kd" POST /state '{"kind": "Deployment", "name": "wordpress", "state": "progressing"}' >/dev/null
check
like "$(result E3)" 'seen: Pod/wordpress-[a-z0-9-]*: ' "a pod still starting: E3 fails naming it: $(grep seen: <<<"$(result E3)")"
kube_ctl "$kd" POST /state '{"kind": "Deployment", "name": "wordpress", "state": "ready"}' >/dev/null
check
is "$rc" 0 "the pod ready again: pass"

# A LoadBalancer on another address, then on 127.0.0.1.
kube_ctl "$kd" POST /lb '{"name": "grafana", "ip": "192.168.61.11"}' >/dev/null
check
r=$(result E4)
like "$r" '^E4 fail' "grafana's LB on another address: E4 fails"
like "$r" 'seen: Service/grafana: 192.168.61.11' "... naming the Service and its address: $(grep seen: <<<"$r")"
like "$r" "expected: one LB address shared .*$LB" "... and the address the others share"
kube_ctl "$kd" POST /lb '{"name": "grafana", "ip": "127.0.0.1"}' >/dev/null
check
r=$(result E4)
like "$r" 'seen: Service/grafana: 127.0.0.1' "grafana's LB on 127.0.0.1: E4 fails naming it: $(grep seen: <<<"$r")"
for ip in 192.168.61.0 192.168.61.255; do
	kube_ctl "$kd" POST /lb "{\"name\": \"grafana\", \"ip\": \"$ip\"}" >/dev/null
	check
	like "$(result E4)" "seen: Service/grafana: $ip" "grafana's LB on $ip: E4 fails naming it"
done
kube_ctl "$kd" POST /lb "{\"name\": \"grafana\", \"ip\": \"$LB\"}" >/dev/null
check
is "$rc" 0 "grafana back on the shared address: pass"

# The VM's own cluster (its kubeconfig in the state, context ftboot-ft),
# played by the same double: its LB address must be the stack's
# vm.lb_address.
mkdir -p "$tmp/vmstate/ft" # FTBOOT_STATE_DIR/<stack>
$py - "$kd/kubeconfig" "$tmp/vmstate/ft/kubeconfig" <<'EOF'
import sys, yaml
k = yaml.safe_load(open(sys.argv[1]))
for c in k["contexts"]:
    c["name"] = "ftboot-ft"
k["current-context"] = "ftboot-ft"
yaml.safe_dump(k, open(sys.argv[2], "w"))
EOF
chmod 700 "$tmp/vmstate" "$tmp/vmstate/ft"
chmod 600 "$tmp/vmstate/ft/kubeconfig"
novm "$tmp/vm"
proj=$tmp/vm FTBOOT_STATE_DIR=$tmp/vmstate check
is "$rc" 0 "the VM's cluster, its LoadBalancers on vm.lb_address $LB: pass: $(tail -c 300 <<<"$out$errout")"
for s in nginx wordpress phpmyadmin ftps grafana; do
	kube_ctl "$kd" POST /lb "{\"name\": \"$s\", \"ip\": \"192.168.61.20\"}" >/dev/null
done
proj=$tmp/vm FTBOOT_STATE_DIR=$tmp/vmstate check
r=$(result E4)
like "$r" "^  expected: the stack's vm.lb_address $LB\$" "the VM's cluster, every LoadBalancer on 192.168.61.20: E4 fails: $(tr '\n' ' ' <<<"$r")"
like "$r" '^  seen: the LoadBalancer Services on 192.168.61.20$' "... saying the address they share"
check
is "$rc" 0 "... while on the external cluster one shared address is enough"
for s in nginx wordpress phpmyadmin ftps grafana; do
	kube_ctl "$kd" POST /lb "{\"name\": \"$s\", \"ip\": \"$LB\"}" >/dev/null
done

# A NodePort Service in a template.
# shellcheck disable=SC2016 # the template's own ${type.phpmyadmin}
sed -i 's/^  type: \${type.phpmyadmin}$/  type: NodePort/' "$proj/templates/phpmyadmin.yaml"
grep -q '^  type: NodePort$' "$proj/templates/phpmyadmin.yaml"
ok $? "the template copy's phpmyadmin Service is NodePort"
in_proj apply
is "$rc" 0 "the NodePort variant applies"
check
r=$(result E4)
like "$r" '^E4 fail' "a NodePort Service: E4 fails"
like "$r" 'seen: Service/phpmyadmin of type NodePort' "... naming it: $(grep seen: <<<"$r")"
check --json
like "$out" 'also: expected no NodePort Service (R15), saw Service/phpmyadmin of type NodePort' \
	"... and, in the evidence, that no NodePort Service is allowed"

# A Deployment named otherwise (its container too).
copy "$proj"
sed -i 's/^  name: ftps$/  name: ftps-server/' "$proj/templates/ftps.yaml"
in_proj apply
is "$rc" 0 "the renamed variant applies (ftps's Service and Deployment named ftps-server): $(tail -n 1 <<<"$errout" | tail -c 200)"
check
r=$(result E3)
like "$r" '^E3 fail' "a Deployment named otherwise: E3 fails"
like "$r" 'expected: Deployment/ftps (R2)' "... saying what it looked for: $(grep -e expected: -e seen: <<<"$r" | tr '\n' ' ')"
like "$r" 'seen: no Deployment named ftps .*ftps-server' "... and listing the stack's Deployments"
like "$(result E4)" 'seen: no Service named ftps' "... E4 misses the Service named ftps"

# A container named otherwise.
copy "$proj"
$py - "$proj/templates/ftps.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
assert "        - name: ftps\n" in s
open(p, "w").write(s.replace("        - name: ftps\n", "        - name: vsftpd\n", 1))
EOF
in_proj apply
is "$rc" 0 "the container-renamed variant applies"
check
r=$(result E3)
like "$r" 'seen: Deployment/ftps: containers vsftpd' "a container named otherwise: E3 fails naming it: $(grep seen: <<<"$r")"

# A cluster that is not set up: the VM's own, before ftboot up.
novm "$tmp/novm"
proj=$tmp/novm FTBOOT_STATE_DIR=$tmp/novm-state check
r=$(result E3)
like "$r" '^E3 fail' "the VM's cluster not set up: E3 fails"
like "$r" 'hint: set it up with ftboot up' "... with the hint: $(tr '\n' ' ' <<<"$r")"
like "$(result E4)" '^E4 fail' "... and E4 too"

# The cluster gone: each check fails at once naming what it could not list.
kube_stop "$kd"
proj=$tmp/proj
check
r=$(result E3)
like "$r" '^  expected: the stack.s Deployments listed$' "the API server stopped: E3 fails: $(tr '\n' ' ' <<<"$r")"
like "$r" '^  hint: is the cluster up? ftboot status says$' "... with a hint"
like "$(result E4)" '^  expected: the stack.s Services listed$' "... and E4"

done_testing
