# shellcheck shell=bash disable=SC2154 # tmp: tests/lib.sh's scratch; the caller's settings
# tests/stack/_nginx.sh: the nginx container's entry point
# (srcs/nginx/entrypoint.sh) under Debian's nginx and sshd on loopback, for
# tests/stack/nginx.sh and tests/integration/check_http.sh (sourced after
# tests/lib.sh and _lib.sh).
#
# Each start of the entry point runs in a private mount namespace whose
# /etc, /var, /run and /home are overlays on scratch directories (kept
# across the starts, as one container's file system): the entry point's
# useradd and chpasswd, a test's root password and sshd's login records
# land there, so the system's users and files are never touched, even if
# the test is killed. phpMyAdmin is a stand-in (nginx_standin).
#
#   nginx_require           skip the test (before any assertion) unless
#                           nginx, sshd, the tools, root and www-data are here
#   nginx_scratch           the scratch directory $tmp (0755, www/ copied,
#                           the namespace's overlays; its /etc/hosts names
#                           phpmyadmin 127.0.0.1), cleaned at exit; free
#                           ports in $http_port, $https_port, $ssh_port and
#                           $pma_port
#   nginx_prepare           in $tmp (made): 0755, www/ copied, the
#                           namespace's overlays and its /etc/hosts: what
#                           nginx_scratch does but scratch, trap and ports
#                           (for tests/servers/loopstack.sh)
#   start NAME [VAR=VALUE...]
#                           the entry point with the stack's environment,
#                           from the caller's lb, wp_port, pma_port, user,
#                           password, state, http_port, https_port and
#                           ssh_port (VAR= unsets, VAR=VALUE overrides);
#                           $ep (and _entry.sh's $ep_pid) its pid and group,
#                           $ns its mount namespace, log in $tmp/NAME.log
#   ns_procs                the processes still in the namespace $ns
#   gone SECS               no process of the namespace within SECS
#   wait_ports SECS         http, https and ssh ports accept within SECS
#   nginx_standin PORT LOG [PAGE]
#                           the stand-in phpMyAdmin on 127.0.0.1:PORT: it
#                           answers a page that loads themes/x.css and
#                           js/y.js relatively (or, if the file PAGE exists,
#                           PAGE's content, read at each request), a 1 MiB
#                           script, its request headers and a redirect to
#                           its own address; each path asked is appended to
#                           LOG. $stand_in its pid.
py=/usr/bin/python3
nginx=/usr/sbin/nginx
sshd=/usr/sbin/sshd
src=$FTBOOT_TOP/srcs/nginx
# Started processes: entry points (their process groups) and the stand-in.
groups=()
stand_in=

nginx_require() {
	local p
	for p in "$nginx" "$sshd" /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/openssl /usr/bin/curl \
		/usr/bin/busybox /usr/bin/unshare /usr/sbin/useradd /usr/sbin/chpasswd "$py"; do
		[ -x "$p" ] || skip_all "$p is missing (tests/deps.sh test installs the stack tier's packages)"
	done
	[ "$(id -u)" = 0 ] || skip_all "needs root: sshd, useradd and the mount namespace"
	id www-data >/dev/null 2>&1 || skip_all "no www-data user (Debian's nginx-light adds it)"
	[ -x "$FTBOOT" ] || skip_all "no ftboot binary at $FTBOOT (make first)"
}

nginx_scratch() {
	scratch
	nginx_prepare
	trap cleanup EXIT
	http_port=$(free_port)
	https_port=$(free_port)
	ssh_port=$(free_port)
	pma_port=$(free_port)
}

nginx_prepare() {
	chmod 755 "$tmp" # nginx's workers (www-data) read and write under it
	# The page, where www-data can read it (the checkout may sit under a
	# directory it cannot enter, as /root in the fresh-root check).
	cp -r "$src/www" "$tmp/www" && chmod -R a+rX "$tmp/www"
	ns_overlay "$tmp"
	# The namespace's /etc/hosts names the stand-in as the cluster would
	# (PHPMYADMIN_HOST keeps its default, phpmyadmin); no DNS server answers.
	{
		cat /etc/hosts
		echo "127.0.0.1 phpmyadmin"
	} >"$tmp/ns/etc/up/hosts"
	echo "nameserver 127.0.0.1" >"$tmp/ns/etc/up/resolv.conf"
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local g
	for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	[ -n "$stand_in" ] && kill "$stand_in" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}

start() {
	local name=$1 i
	shift
	local -a env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin
		"LB_IP=$lb" "WORDPRESS_PORT=$wp_port" "PHPMYADMIN_PORT=$pma_port"
		"SSH_USER=$user" "SSH_PASSWORD=$password"
		"NGINX_BIN=$nginx" "SSHD=$sshd" NGINX_USER=www-data
		"NGINX_TEMPLATE=$src/nginx.conf.in" "NGINX_HTML_DIR=$tmp/www" "SSHD_CONFIG=$src/sshd_config"
		"NGINX_RUN_DIR=$tmp/run" "TLS_DIR=$state/tls" "SSH_KEY_PREFIX=$state/ssh"
		"HTTP_PORT=$http_port" "HTTPS_PORT=$https_port" "SSH_PORT=$ssh_port")
	local -a unset=()
	for i in "$@"; do
		if [ "${i#*=}" = "" ]; then unset+=(-u "${i%=}"); else env+=("$i"); fi
	done
	env -i "${env[@]}" env "${unset[@]}" setsid unshare -m --propagation private \
		"$tmp/ns.sh" "$tmp" busybox sh "$src/entrypoint.sh" >"$tmp/$name.log" 2>&1 &
	ep=$!
	# shellcheck disable=SC2034 # _entry.sh's ep_exit reads it
	ep_pid=$ep
	groups+=("$ep")
	local self
	self=$(readlink /proc/self/ns/mnt)
	for ((i = 0; i < 100; i++)); do
		ns=$(readlink "/proc/$ep/ns/mnt" 2>/dev/null) || ns=
		[ -n "$ns" ] && [ "$ns" != "$self" ] && return 0
		ep_running "$ep" || return 0
		sleep 0.05
	done
}

ns_procs() {
	local p
	[ -n "$ns" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
	done
}

gone() {
	local i left
	for ((i = 0; i < $1 * 20; i++)); do
		left=$(ns_procs)
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "# still running in the namespace: $(echo "$left" | tr '\n' ' ')" >&2
	return 1
}

wait_ports() {
	wait_port "$http_port" "$1" && wait_port "$https_port" "$1" && wait_port "$ssh_port" "$1"
}

nginx_standin() {
	cat >"$tmp/pma.py" <<'EOF'
import http.server, json, os, sys
port, log = int(sys.argv[1]), sys.argv[2]
page = sys.argv[3] if len(sys.argv) > 3 else None
big = b"/*" + b"x" * (1 << 20) + b"*/"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write(self.path + "\n")
        code, ctype, extra = 200, "text/html", {}
        path = self.path.split("?")[0]
        if path == "/" and page and os.path.exists(page):
            with open(page, "rb") as f:
                body = f.read()
        elif path == "/":
            body = (b'<html><head><link rel="stylesheet" href="themes/x.css">'
                    b'<script src="js/y.js"></script></head>'
                    b'<body>stand-in phpMyAdmin login <form id="login_form">'
                    b'<input name="pma_username"></form></body></html>')
        elif path == "/themes/x.css":
            body, ctype = b"body { color: #123456; }", "text/css"
        elif path == "/js/y.js":
            body, ctype = b"var standIn = 1;", "application/javascript"
        elif path == "/js/big.js":
            body, ctype = big, "application/javascript"
        elif path == "/headers":
            body, ctype = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode(), "application/json"
        elif path == "/redir":
            code, body = 302, b""
            extra["Location"] = "http://%s:%d/target" % (self.headers["Host"], port)
        else:
            code, body = 404, b"not here"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
	"$py" "$tmp/pma.py" "$@" &
	stand_in=$!
	wait_port "$1" 10
}
