#!/usr/bin/env bash
# tests/servers/nginx-api.sh: Debian's nginx as a real peer for the http
# transport tests: methods and headers echoed, PUT bodies stored (WebDAV),
# error statuses with a JSON body, a slow sender, on a loopback port, on a
# unix socket, over TLS with a private CA, and over mutual TLS.
#
#   tests/servers/nginx-api.sh start ROOT RUNDIR   prints the plain port P;
#                                                  nginx runs in the background
#   tests/servers/nginx-api.sh stop RUNDIR         stops it
#
# Listens on 127.0.0.1:P (plain), 127.0.0.1:P+1 (TLS), 127.0.0.1:P+2 (TLS,
# client certificate required: ssl_verify_client on) and RUNDIR/nginx.sock.
# RUNDIR/pki holds what openssl generated for it: ca.pem (the private CA),
# server.pem/server.key (127.0.0.1, signed by ca), client.pem/client.key
# (signed by ca), other-ca.pem and other-client.pem/.key (another CA).
# Locations (ROOT is served at /):
#   /echo...          200 text/plain "method=M uri=U x-ftboot=H ct=CT
#                     len=CL te=TE conn=N" (N: nginx's connection number)
#   /put/NAME         PUT stores the body as ROOT/put/NAME (201)
#   /status/404       404 application/json {"message":"no such thing: x"}
#   /status/500       500 application/json {"message":"the daemon broke"}
#   /slow/FILE        FILE at 512 bytes/s
# Exit status 1 with a reason on stderr if nginx cannot start.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/servers/httpd.sh
. "$here/httpd.sh"

# api_pki DIR: a private CA, a server and a client certificate, and another CA.
api_pki() {
	local d=$1 ca

	[ -s "$d/other-client.pem" ] && return 0
	if ! command -v openssl >/dev/null 2>&1; then
		echo "nginx-api.sh: openssl not installed" >&2
		return 1
	fi
	mkdir -p "$d" || return 1
	for ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$ca.key" -out "$d/$ca.pem" -days 2 \
			-subj "/CN=ftboot test $ca" 2>>"$d/openssl.log" || return 1
	done
	api_leaf "$d" server ca "subjectAltName=IP:127.0.0.1,DNS:localhost" || return 1
	api_leaf "$d" client ca "extendedKeyUsage=clientAuth" || return 1
	api_leaf "$d" other-client other-ca "extendedKeyUsage=clientAuth" || return 1
}

# api_leaf DIR NAME CA EXT: NAME.key and NAME.pem signed by CA.
api_leaf() {
	local d=$1 name=$2 ca=$3 ext=$4

	printf '%s\n' "$ext" >"$d/$name.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=ftboot test $name" \
		2>>"$d/openssl.log" || return 1
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
		-CAcreateserial -days 2 -extfile "$d/$name.ext" -out "$d/$name.pem" \
		2>>"$d/openssl.log" || return 1
}

# Replaces httpd.sh's configuration; httpd_start calls it for each port it tries.
httpd_conf() {
	local root=$1 run=$2 port=$3 user="" loc

	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	mkdir -p "$root/put"
	loc="$run/api-locations.conf"
	cat >"$loc" <<EOF
root $root;
location / { }
location /echo {
	default_type text/plain;
	add_header X-Echo "yes" always;
	return 200 "method=\$request_method uri=\$request_uri x-ftboot=\$http_x_ftboot ct=\$content_type len=\$content_length te=\$http_transfer_encoding conn=\$connection";
}
location /put/ {
	dav_methods PUT;
	create_full_put_path on;
	client_max_body_size 64m;
}
location = /status/404 {
	default_type application/json;
	return 404 '{"message":"no such thing: x"}';
}
location = /status/500 {
	default_type application/json;
	return 500 '{"message":"the daemon broke"}';
}
location /slow/ { alias $root/; limit_rate 512; }
EOF
	cat >"$run/nginx.conf" <<EOF
$user
daemon off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log notice;
events { worker_connections 64; }
http {
	log_format ftboot '"\$request" \$status len=\$content_length te=\$http_transfer_encoding conn=\$connection sent=\$body_bytes_sent';
	access_log $run/access.log ftboot;
	client_body_temp_path $run/tmp/body;
	proxy_temp_path $run/tmp/proxy;
	fastcgi_temp_path $run/tmp/fastcgi;
	uwsgi_temp_path $run/tmp/uwsgi;
	scgi_temp_path $run/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		listen unix:$run/nginx.sock;
		include $loc;
	}
	server {
		listen 127.0.0.1:$((port + 1)) ssl;
		ssl_certificate $run/pki/server.pem;
		ssl_certificate_key $run/pki/server.key;
		include $loc;
	}
	server {
		listen 127.0.0.1:$((port + 2)) ssl;
		ssl_certificate $run/pki/server.pem;
		ssl_certificate_key $run/pki/server.key;
		ssl_client_certificate $run/pki/ca.pem;
		ssl_verify_client on;
		include $loc;
	}
}
EOF
	rm -f "$run/nginx.sock"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	if [ "${1:-}" = start ] && [ $# -eq 3 ]; then
		if ! mkdir -p "$3" || ! api_pki "$3/pki"; then
			echo "nginx-api.sh: cannot make the test PKI ($3/pki/openssl.log)" >&2
			exit 1
		fi
		httpd_start "$2" "$3" || exit 1
		echo "$httpd_port"
	elif [ "${1:-}" = stop ] && [ $# -eq 2 ]; then
		httpd_stop "$2"
	else
		echo "usage: $0 start ROOT RUNDIR | stop RUNDIR" >&2
		exit 2
	fi
fi
