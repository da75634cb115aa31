#!/usr/bin/env bash
# tests/servers/httpd.sh: Debian's nginx on a free loopback port, serving a
# directory. A real HTTP/1.1 peer (Range requests, 206/416, redirects) for
# the download tests.
#
#   tests/servers/httpd.sh start ROOT RUNDIR   prints the port; nginx runs
#                                              in the background
#   tests/servers/httpd.sh stop RUNDIR         stops it, waits for it to exit
#
# Or source it and call httpd_start / httpd_stop (they set $httpd_port).
#
# RUNDIR (created if missing) holds nginx.conf, nginx.pid, error.log,
# temp paths and access.log, one line per request:
#   "GET /path HTTP/1.1" STATUS range=BYTES-RANGE sent=BYTES
# Locations besides / (ROOT):
#   /slow/FILE           FILE at 512 bytes/s (stalled-transfer tests)
#   /norange/FILE        FILE, ignoring Range requests (200, never 206)
#   /redirect/FILE       302 to /FILE
#   /loop/               a redirect to itself (too many redirects)
# Exit status 1 with a reason on stderr if nginx cannot start.

httpd_conf() {
	local root=$1 run=$2 port=$3 user=""

	# As root, nginx's workers would drop to "nobody", who cannot read a
	# private test directory: keep the caller's user.
	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$run/nginx.conf" <<EOF
$user
daemon off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log notice;
events { worker_connections 64; }
http {
	default_type application/octet-stream;
	log_format ftboot '"\$request" \$status range=\$http_range sent=\$body_bytes_sent';
	access_log $run/access.log ftboot;
	client_body_temp_path $run/tmp/body;
	proxy_temp_path $run/tmp/proxy;
	fastcgi_temp_path $run/tmp/fastcgi;
	uwsgi_temp_path $run/tmp/uwsgi;
	scgi_temp_path $run/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $root;
		location / { }
		location /slow/ { alias $root/; limit_rate 512; }
		location /norange/ { alias $root/; max_ranges 0; }
		location /redirect/ { rewrite ^/redirect/(.*)\$ /\$1 redirect; }
		location /loop/ { return 302 /loop/; }
	}
}
EOF
}

# httpd_start ROOT RUNDIR: start nginx, set httpd_port. 0 on success.
httpd_start() {
	local root=$1 run=$2 port pid try i

	if ! command -v nginx >/dev/null 2>&1; then
		echo "httpd.sh: nginx not installed (apt-get install nginx-light)" >&2
		return 1
	fi
	mkdir -p "$run/tmp" || return 1
	root=$(cd "$root" && pwd) || return 1
	run=$(cd "$run" && pwd) || return 1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		httpd_conf "$root" "$run" "$port"
		rm -f "$run/nginx.pid"
		nginx -p "$run" -e "$run/error.log" -c "$run/nginx.conf" </dev/null \
			>>"$run/nginx.out" 2>&1 &
		pid=$!
		# nginx writes its pid file once its sockets are bound.
		for i in $(seq 1 100); do
			[ -s "$run/nginx.pid" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if [ -s "$run/nginx.pid" ] && kill -0 "$pid" 2>/dev/null; then
			echo "$pid" >"$run/httpd.pid"
			httpd_port=$port
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		# A port taken by someone else: try another; anything else: give up.
		grep -q 'Address already in use' "$run/error.log" "$run/nginx.out" 2>/dev/null \
			|| break
		: "$try"
	done
	echo "httpd.sh: nginx did not start:" >&2
	tail -n 5 "$run/error.log" "$run/nginx.out" >&2 2>/dev/null
	return 1
}

# httpd_stop RUNDIR: stop the nginx started there (quietly if none).
httpd_stop() {
	local run=$1 pid i

	[ -s "$run/httpd.pid" ] || return 0
	pid=$(cat "$run/httpd.pid")
	# QUIT: graceful; the master waits for its worker, removes its pid
	# file and exits. (Started by a script that has exited, the master may
	# linger as a zombie nobody reaps: the pid file is what tells.)
	kill -QUIT "$pid" 2>/dev/null || { rm -f "$run/httpd.pid"; return 0; }
	for i in $(seq 1 100); do
		[ -e "$run/nginx.pid" ] || break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -e "$run/nginx.pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -f "$run/httpd.pid"
	: "$i"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	start)
		[ $# -eq 3 ] || { echo "usage: $0 start ROOT RUNDIR" >&2; exit 2; }
		httpd_start "$2" "$3" || exit 1
		echo "$httpd_port"
		;;
	stop)
		[ $# -eq 2 ] || { echo "usage: $0 stop RUNDIR" >&2; exit 2; }
		httpd_stop "$2"
		;;
	*)
		echo "usage: $0 start ROOT RUNDIR | stop RUNDIR" >&2
		exit 2
		;;
	esac
fi
