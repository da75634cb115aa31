#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: a CustomResourceDefinition the stack applies is usable once
# it is Established. The Kubernetes API test double (tests/servers/kube.sh)
# holds CRDs where the real naming controller leaves them (NamesAccepted
# True, Established False "Installing", the custom kind absent from
# discovery) until the test establishes them (POST /crds/establish), so
# `ftboot apply` really waits. Checked: the held CRD is polled, ftboot
# keeps waiting, and once established the custom resource is applied after
# the establishment and after a fresh discovery request; a CRD never
# established fails after the stack's cluster.timeout, naming the CRD and
# the setting, and its custom resource is not applied; a CRD whose names
# the double's naming controller refuses (another CRD of the group has its
# kind) fails at once, with the condition's reason and message, on a
# first run and on an unchanged one, and applies once renamed.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
scratch
py=/usr/bin/python3 # Debian's (the pyenv shim in PATH is not)
[ -x $py ] || skip_all "no /usr/bin/python3 for the API test double"
kd=$tmp/kube
apid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -z "$apid" ] || kill "$apid" 2>/dev/null
	kube_stop "$kd" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$kd"
kube_start "$kd" --auto-ready || skip_all "the API test double does not start"
kube_ctl "$kd" POST /auto '{"ready": true}' >/dev/null ||
	skip_all "the API test double's control API does not answer"
export FTBOOT_CACHE_DIR=$tmp/cache

kget() { kube_get "$kd" "$@"; }
kstatus() { kube_code "$kd" "$1"; }
log_since() { kube_log "$kd" "$1"; }
log_lines() { kube_log_lines "$kd"; }

# project DIR STACK TIMEOUT GROUP KIND PLURAL: a stack with a namespace, a
# CRD (PLURAL.GROUP) and one custom resource of its kind (c1).
project() {
	local dir=$1 name=$2 timeout=$3 group=$4 kind=$5 plural=$6
	mkdir -p "$dir/srcs/web" "$dir/templates"
	echo 'FROM scratch' >"$dir/srcs/web/Dockerfile"
	cat >"$dir/srcs/stack.yaml" <<EOF
name: $name
cluster: {kubeconfig: '$kd/kubeconfig', timeout: $timeout}
templates: ../templates
services: {web: {type: None}}
EOF
	cat >"$dir/templates/ns.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $name}
EOF
	cat >"$dir/templates/crd.yaml" <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $plural.$group}
spec:
  group: $group
  names: {kind: $kind, plural: $plural, singular: ${plural%s}, listKind: ${kind}List}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema:
    {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
EOF
	cat >"$dir/templates/a-custom.yaml" <<EOF
apiVersion: $group/v1
kind: $kind
metadata: {name: c1, namespace: $name}
spec: {size: 3}
EOF
}

# ---- held, then established: apply waits, then applies the custom resource
crd=/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com
cr=/apis/example.com/v1/namespaces/ca/widgets/c1
project "$tmp/a" ca 60 example.com Widget widgets
cd "$tmp/a" || exit 1
kube_ctl "$kd" POST /crds/hold '{"hold": true}' >/dev/null
n0=$(log_lines)
"$FTBOOT" apply >"$tmp/a.out" 2>"$tmp/a.err" &
apid=$!
# Bounded (20 s): ftboot has GET the held CRD twice (it polls it).
polls=0
for ((i = 0; i < 400; i++)); do
	polls=$(log_since "$n0" | grep -c "^GET $crd ")
	[ "$polls" -ge 2 ] && break
	proc_alive "$apid" || break
	sleep 0.05
done
[ "$polls" -ge 2 ]
ok $? "ftboot polls the held CRD (GET $polls times)"
proc_alive "$apid"
ok $? "and keeps waiting while it is not Established"
is "$(kget "$crd" | jf '[(c["type"], c["status"], c.get("reason")) for c in d["status"]["conditions"]]')" \
	"[('NamesAccepted', 'True', 'NoConflicts'), ('Established', 'False', 'Installing')]" \
	"the held CRD's conditions are the naming controller's: names accepted, Established False (Installing)"
is "$(kstatus /apis/example.com/v1)" 404 "its group version is not in discovery yet"
is "$(kget /apis | jf '"example.com" in [g["name"] for g in d["groups"]]')" False "nor is its group"
is "$(kget /apis -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' |
	jf '"example.com" in [g["metadata"].get("name") for g in d["items"]]')" False \
	"nor is it in aggregated discovery"
is "$(log_since "$n0" | grep -c "^PATCH $cr ")" 0 "the custom resource is not applied before the CRD is Established"
est=$(kube_ctl "$kd" POST /crds/establish '{"name": "widgets.example.com"}')
is "$(jf 'd["established"]' <<<"$est")" "['widgets.example.com']" "the test establishes the CRD"
mark=$(jf 'd["log_lines"]' <<<"$est")
# Bounded (30 s): ftboot's own waits are bounded (cluster.timeout 60 s is
# not reached: the CRD is Established now and the rollout is immediate).
for ((i = 0; i < 600; i++)); do
	proc_alive "$apid" || break
	sleep 0.05
done
if proc_alive "$apid"; then
	ok 1 "apply ends within 30 s of the CRD being Established"
	kill "$apid" 2>/dev/null
fi
wait "$apid"
rc=$?
apid=
is "$rc" 0 "apply succeeds once the CRD is Established: $(tail -n 1 "$tmp/a.err" | tail -c 300)"
is "$(kget "$cr" | jf 'd["spec"]["size"]')" 3 "the custom resource exists"
grep -qF "waiting for CustomResourceDefinition/widgets.example.com (templates/crd.yaml) to be Established: at most" "$tmp/a.err"
ok $? "apply said what it waited for: $(grep -m1 -F 'waiting for CustomResourceDefinition' "$tmp/a.err")"
grep -A1 -F "waiting for CustomResourceDefinition/widgets.example.com" "$tmp/a.err" | grep -qE '^[0-9:]* *apply [0-9]+ objects .* \.\.\. [0-9]+ created'
ok $? "  then the step's line again, with its result: $(grep -A1 -F "waiting for CustomResourceDefinition" "$tmp/a.err" | tail -1)"
# After the establishment: a discovery request (/api, /apis, /apis/G, /apis/G/V),
# then the custom resource's PATCH.
after=$(log_since "$mark" | awk -v cr="$cr" '
	$1 == "GET" && $2 ~ /^\/(api|apis|api\/v1|apis\/example\.com|apis\/example\.com\/v1)$/ && !disc { disc = NR }
	$1 == "PATCH" && $2 == cr && !patch { patch = NR }
	END { print (disc ? "discovery" : "no discovery"), (patch ? "patch" : "no patch"), (disc && patch && disc < patch ? "in order" : "out of order") }')
is "$after" "discovery patch in order" \
	"after the establishment ftboot asks discovery afresh, then applies the custom resource"
is "$(log_since "$n0" | awk -v n="$((mark - n0))" 'NR <= n' | grep -c "^PATCH $cr ")" 0 \
	"and never before it"

# ---- held and never established: fails after cluster.timeout -----------
crd=/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.net
cr=/apis/example.net/v1/namespaces/cb/gadgets/c1
project "$tmp/b" cb 2 example.net Gadget gadgets
cd "$tmp/b" || exit 1
n0=$(log_lines)
t0=$SECONDS
run_ftboot apply
[ "$rc" -ne 0 ]
ok $? "apply fails when a CRD is never Established"
printf '%s\n' "$errout" | grep -qF "CustomResourceDefinition/gadgets.example.net is not Established within 2 s (the stack's cluster.timeout, for the CRDs and the rollouts together"
ok $? "the error names the CRD, the bound and the setting to raise: $(tail -n 1 <<<"$errout" | tail -c 300)"
[ $((SECONDS - t0)) -lt 30 ]
ok $? "within the stack's cluster.timeout, not a fixed longer bound ($((SECONDS - t0)) s)"
[ "$(log_since "$n0" | grep -c "^GET $crd ")" -ge 2 ]
ok $? "it polled the CRD meanwhile"
is "$(log_since "$n0" | grep -c "^PATCH $cr ")" 0 "the custom resource is not applied"
is "$(kstatus "$cr")" 404 "and does not exist"

# ---- names refused: a second CRD of the group claims the kind ----------
# cluster.timeout is 600 s: apply must fail at once, not wait it out. Each
# run is bounded (timeout 60) and checked not to have hit that bound.
crd=/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.io
cr=/apis/example.io/v1/namespaces/cc/widgets/c1
project "$tmp/c" cc 600 example.io Widget widgets
other() { # other KIND: templates/other-crd.yaml, gizmos.example.io of kind KIND
	cat >"$tmp/c/templates/other-crd.yaml" <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.example.io}
spec:
  group: example.io
  names: {kind: $1, plural: gizmos, singular: gizmo, listKind: GizmoList}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema:
    {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
EOF
}
other Widget
cd "$tmp/c" || exit 1
kube_ctl "$kd" POST /crds/hold '{"hold": false}' >/dev/null # the other CRD is Established at once
refused="templates/other-crd.yaml: CustomResourceDefinition/gizmos.example.io will never be Established: its names are not accepted (NamesAccepted False, KindConflict: \"Widget\" is already in use)"
for run in first again; do
	n0=$(log_lines)
	timeout 60 "$FTBOOT" apply >"$tmp/c.out" 2>"$tmp/c.err"
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	ok $? "apply ($run run) fails at once when a CRD's names are refused, not after cluster.timeout (exit $rc, bounded by timeout 60)"
	grep -qF "$refused" "$tmp/c.err"
	ok $? "  the error names the template, the CRD, the condition's reason and message: $(tail -n 1 "$tmp/c.err" | tail -c 400)"
	grep -qF "rename the kind, plural, singular, shortNames or listKind in templates/other-crd.yaml, or delete the other CustomResourceDefinition (kubectl get crd lists them)" "$tmp/c.err"
	ok $? "  and what to do"
	is "$(log_since "$n0" | grep -c "^PATCH $cr ")" 0 "  the custom resource is not applied"
done
is "$(kstatus "$cr")" 404 "and does not exist"
is "$(kget "$crd" | jf '[(c["type"], c["status"], c["reason"]) for c in d["status"]["conditions"]]')" \
	"[('NamesAccepted', 'False', 'KindConflict'), ('Established', 'False', 'NotAccepted')]" \
	"the double refused the CRD as the naming controller does"
# Renamed: the apply's answer still carries the refusal (the status of
# the spec before); the naming controller's new word is what counts.
other Gizmo
timeout 60 "$FTBOOT" apply >"$tmp/c.out" 2>"$tmp/c.err"
is "$?" 0 "with the kind renamed in the template, apply succeeds: $(tail -n 1 "$tmp/c.err" | tail -c 300)"
is "$(kget "$cr" | jf 'd["spec"]["size"]')" 3 "and the custom resource exists"

done_testing
