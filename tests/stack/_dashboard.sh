# shellcheck shell=bash disable=SC2034,SC2154 # lb_port: for the caller; httpd_port, kube_dir, kube_url: httpd.sh and kube.sh set them
# tests/stack/_dashboard.sh: what the dashboard check (E13) needs besides
# the Kubernetes API double, for tests/integration/check_dashboard.sh and
# tests/servers/loopstack.sh (sourced after tests/servers/kube.sh and
# tests/servers/httpd.sh, the double started):
#
#   dashlb_start DIR   the dashboard's LoadBalancer stand-in: httpd.sh's
#                      nginx over TLS with a certificate nobody pinned (as
#                      the dashboard's own, made at its start) serving a
#                      page titled Kubernetes Dashboard, and a second log,
#                      DIR/run/auth.log, of each request's Authorization and
#                      Cookie headers; sets $lb_port. Status 1 with a
#                      reason if openssl or nginx fail.
#   dashlb_stop DIR
#   kapi METHOD PATH [JSON]
#                      a request to the double as its administrator; prints
#                      the HTTP status
#   dash_objects NS ACCOUNT
#                      the namespace, the manifest's Service
#                      kubernetes-dashboard and the stack's account; status
#                      1 unless each is created (201)

dashlb_start() {
	local hd=$1
	mkdir -p "$hd/www" "$hd/run"
	if [ ! -s "$hd/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kubernetes-dashboard \
			-keyout "$hd/key.pem" -out "$hd/cert.pem" >/dev/null 2>&1 ||
			{ echo "dashlb: openssl cannot make a certificate" >&2; return 1; }
	fi
	echo '<!doctype html><title>Kubernetes Dashboard</title>' >"$hd/www/index.html"
	dashlb_dir=$hd
	if ! declare -f httpd_conf_plain >/dev/null; then
		eval "$(declare -f httpd_conf | sed '1s/^httpd_conf/httpd_conf_plain/')"
		# shellcheck disable=SC2317 # called by httpd_start
		httpd_conf() { # httpd_conf ROOT RUN PORT: httpd.sh's, over TLS
			httpd_conf_plain "$@" &&
				sed -i -e "s|listen 127.0.0.1:$3;|listen 127.0.0.1:$3 ssl; ssl_certificate $dashlb_dir/cert.pem; ssl_certificate_key $dashlb_dir/key.pem;|" \
					-e "s|^\(\s*access_log .*\)$|\1\n\tlog_format auth '\"\$request\" auth=[\$http_authorization] cookie=[\$http_cookie]';\n\taccess_log $2/auth.log auth;|" \
					"$2/nginx.conf"
		}
	fi
	httpd_start "$hd/www" "$hd/run" || { echo "dashlb: nginx cannot start with TLS (tests/servers/httpd.sh)" >&2; return 1; }
	lb_port=$httpd_port
}

dashlb_stop() {
	httpd_stop "$1/run"
}

kapi() {
	curl -sS -o /dev/null -w '%{http_code}' --cacert "$kube_dir/ca.pem" --cert "$kube_dir/client.pem" \
		--key "$kube_dir/client-key.pem" -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$kube_url$2"
}

dash_objects() {
	local ns=$1 account=$2
	[ "$(kapi POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}")" = 201 ] &&
		[ "$(kapi POST "/api/v1/namespaces/$ns/services" '{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes-dashboard"},"spec":{"ports":[{"port":443,"targetPort":8443}],"selector":{"k8s-app":"kubernetes-dashboard"}}}')" = 201 ] &&
		[ "$(kapi POST "/api/v1/namespaces/$ns/serviceaccounts" "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"$account\"}}")" = 201 ]
}
