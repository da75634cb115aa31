#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The stack's manifest lint: the repository's templates rendered with
# srcs/stack.yaml (`ftboot render --show-secrets`, secrets generated in a
# scratch state) checked against EVAL.md by manifests.py beside this file:
# names (R2), Service types, no NodePort or Ingress (R15), probes on every
# container (R14), requests and limits within a 2-CPU 3 GiB VM next to k3s,
# local images never pulled (R3), unique LoadBalancer ports (R5), the FTPS
# passive range (R11), every secretKeyRef resolving, every generated secret
# in ${stack}-secrets, no secret value in a ConfigMap, env value,
# annotation or any file under srcs/ (R16), PVCs with Recreate (R13),
# selectors that match, the dashboard's objects (R4), the stack's own
# certificate and host key (the state's) in the Secrets ${stack}-tls and
# ${stack}-ssh-host-key, read by nginx and ftps from read-only mounts of
# them. Substituted: nothing
# but the state directory. Then the lint's self-test: a model render that
# passes every check, and broken copies of it that must each fail theirs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
py=/usr/bin/python3
"$py" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is missing (tests/deps.sh test installs it)"
scratch
lint=$FTBOOT_TOP/tests/stack/manifests.py

# tap COMMAND...: one ok per "STATUS<TAB>NAME" line it prints; "#" lines as they are.
tap() {
	local line st
	while IFS= read -r line; do
		case $line in
		'#'*) echo "$line" ;;
		*) st=${line%%$'\t'*} && ok "$st" "${line#*$'\t'}" ;;
		esac
	done < <("$@")
}

stack_render "$tmp"
ok $? "ftboot render --show-secrets renders the repository's stack"
[ -s "$tmp/manifests.yaml" ] && tap "$py" "$lint" "$FTBOOT_TOP/srcs/stack.yaml" "$tmp/manifests.yaml" "$FTBOOT_TOP/srcs"
tap "$py" "$lint" --self-test "$FTBOOT_TOP/srcs/stack.yaml"
done_testing
