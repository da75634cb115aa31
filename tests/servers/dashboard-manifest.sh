#!/usr/bin/env bash
# tests/servers/dashboard-manifest.sh: a TEST DOUBLE of the Kubernetes
# dashboard's upstream manifest (kubernetes/dashboard v2.7.0's
# aio/deploy/recommended.yaml, which srcs/stack.yaml's manifests: pins by
# URL and sha256). The upstream file is never committed and this machine
# cannot fetch it: this writes a stand-in of its 14 objects, the same kinds,
# names and namespace in the same order (Namespace, ServiceAccount, Service,
# 3 Secrets, ConfigMap, Role, ClusterRole, RoleBinding, ClusterRoleBinding,
# Deployment, the metrics scraper's Service and Deployment), each reduced to
# what the API needs (no probes, security contexts or volumes).
#
#   tests/servers/dashboard-manifest.sh FILE    writes the stand-in to FILE
#
# Or source it and call dashboard_manifest FILE. dashboard_manifest_objects
# is the number of objects it writes.

# shellcheck disable=SC2034 # read by the scripts that source this
dashboard_manifest_objects=14

# dashboard_manifest FILE: write the stand-in to FILE.
dashboard_manifest() {
	local o api kind name ns=kubernetes-dashboard

	{
		printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns"
		for o in v1:ServiceAccount:kubernetes-dashboard v1:Service:kubernetes-dashboard:443:8443 \
			v1:Secret:kubernetes-dashboard-certs v1:Secret:kubernetes-dashboard-csrf \
			v1:Secret:kubernetes-dashboard-key-holder v1:ConfigMap:kubernetes-dashboard-settings \
			rbac.authorization.k8s.io/v1:Role:kubernetes-dashboard \
			rbac.authorization.k8s.io/v1:ClusterRole:kubernetes-dashboard \
			rbac.authorization.k8s.io/v1:RoleBinding:kubernetes-dashboard:Role \
			rbac.authorization.k8s.io/v1:ClusterRoleBinding:kubernetes-dashboard:ClusterRole \
			apps/v1:Deployment:kubernetes-dashboard:kubernetesui/dashboard:v2.7.0 \
			v1:Service:dashboard-metrics-scraper:8000:8000 \
			apps/v1:Deployment:dashboard-metrics-scraper:kubernetesui/metrics-scraper:v1.0.8; do
			IFS=: read -r api kind name a b <<<"$o"
			printf -- '---\napiVersion: %s\nkind: %s\n' "$api" "$kind"
			case $kind in
			ClusterRole | ClusterRoleBinding) printf 'metadata: {name: %s}\n' "$name" ;;
			*) printf 'metadata: {name: %s, namespace: %s}\n' "$name" "$ns" ;;
			esac
			case $kind in
			Service)
				printf 'spec:\n  ports: [{port: %s, targetPort: %s}]\n' "$a" "$b"
				printf '  selector: {k8s-app: %s}\n' "$name"
				;;
			Secret) printf 'type: Opaque\n' ;;
			Role | ClusterRole) printf 'rules: []\n' ;;
			RoleBinding | ClusterRoleBinding)
				printf 'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}\n' \
					"$a" "$name"
				printf 'subjects: [{kind: ServiceAccount, name: kubernetes-dashboard, namespace: %s}]\n' \
					"$ns"
				;;
			Deployment)
				printf 'spec:\n  selector: {matchLabels: {k8s-app: %s}}\n' "$name"
				printf '  template:\n    metadata: {labels: {k8s-app: %s}}\n' "$name"
				printf '    spec: {containers: [{name: %s, image: "%s:%s"}]}\n' "$name" "$a" "$b"
				;;
			esac
		done
	} >"$1"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
	dashboard_manifest "$1"
fi
