#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2034 # its variables are for the caller
# tests/servers/loopstack.sh: one set of loopback servers for the whole
# non-destructive checklist of srcs/checks.yaml, each started by the piece
# its own check test uses (no second copy of any), all configured from one
# stack copy and one FTBOOT_STATE_DIR:
#
#   E5 E6   srcs/nginx/entrypoint.sh under Debian's nginx and sshd
#           (tests/stack/_nginx.sh, as check_http.sh runs it) serving the
#           state's certificate and host key, sending /wordpress to the
#           WordPress below and proxying /phpmyadmin/ to the phpMyAdmin
#           below
#   E7      srcs/ftps/entrypoint.sh with Debian's vsftpd, the state's
#           certificate (tests/stack/_sshftps.sh: ftps_up)
#   E10     the Grafana test double started by srcs/grafana/entrypoint.sh
#           (tests/servers/grafana.sh), the state's admin password
#   E3 E4   the Kubernetes API test double (tests/servers/kube.sh,
#           --auto-ready --lb-ip $loopstack_lb) as the stack's cluster,
#           the stack copy applied to it with `ftboot apply` (less the
#           dashboard's remote manifest: no internet)
#   E13     the dashboard's namespace, Service and account in the double,
#           and its LoadBalancer stand-in (tests/stack/_dashboard.sh)
#   E8 E9   MariaDB, srcs/wordpress/entrypoint.sh and srcs/phpmyadmin/
#           entrypoint.sh under Debian's nginx, php-fpm, WordPress and
#           phpMyAdmin (tests/stack/_mariadb.sh, _wordpress.sh,
#           _phpmyadmin.sh, as check_web.sh runs them), the state's secrets
#   E1 E2   the stack copy itself
# No engine: E2.images wants the stack's own images, built from
# Dockerfiles FROM alpine, which no registry here can give (no internet);
# with a test dockerd it would fail instead of skipping, proving nothing
# more. The destructive E11 and E12 are not served.
# The stack copy ($loopstack_stack: srcs/, templates/, setup.sh) has free
# ports and the test's users; FTBOOT_STATE_DIR=$tmp/state holds the secrets
# (`ftboot render --show-secrets`) and the service keys (render's once the
# svckeys branch is merged, else _sshftps.sh's svckeys_standin).
#
# Sourced (after tests/lib.sh, with $tmp a scratch directory):
#   loopstack_require   status 1 with the reason in $loopstack_why unless
#                       the daemons and tools are here (call it before any
#                       assertion: the caller skips)
#   loopstack_up        start everything; status 1 with $loopstack_why
#   loopstack_down      stop everything (bounded waits)
#   loopstack_stop_ftps stop vsftpd only (a failing run of E7)
#   loopstack_env FILE  its variables, sourceable (tests/bench/check-baseline.sh)
# and it sets loopstack_stack, loopstack_lb, loopstack_ids (the checks it
# serves, comma-separated), http_port, https_port, ssh_port, ssh_user,
# ftp_port, ftp_user, pmin, pmax, wp_port, pma_port, db_port, grafana_port,
# grafana_user, lb_port, kube_dir, st (the state's
# stack directory), svc (its service keys).
# Run: tests/servers/loopstack.sh up DIR (prints DIR/env, sourceable; the
# daemons stay) and tests/servers/loopstack.sh down DIR.
loopstack_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${FTBOOT_TOP:=$(cd "$loopstack_here/../.." && pwd)}"
: "${FTBOOT:=$FTBOOT_TOP/ftboot}"
# shellcheck source=../stack/_lib.sh
. "$FTBOOT_TOP/tests/stack/_lib.sh"
# shellcheck source=../stack/_sshftps.sh
. "$FTBOOT_TOP/tests/stack/_sshftps.sh"
# shellcheck source=kube.sh
. "$loopstack_here/kube.sh"
# shellcheck source=httpd.sh
. "$loopstack_here/httpd.sh"
# shellcheck source=grafana.sh
. "$loopstack_here/grafana.sh"
# shellcheck source=../stack/_dashboard.sh
. "$FTBOOT_TOP/tests/stack/_dashboard.sh"
# shellcheck source=../stack/_mariadb.sh
. "$FTBOOT_TOP/tests/stack/_mariadb.sh"
# shellcheck source=../stack/_entry.sh
. "$FTBOOT_TOP/tests/stack/_entry.sh"
# shellcheck source=../stack/_nginx.sh
. "$FTBOOT_TOP/tests/stack/_nginx.sh"
# shellcheck source=../stack/_wordpress.sh
. "$FTBOOT_TOP/tests/stack/_wordpress.sh"
# shellcheck source=../stack/_phpmyadmin.sh
. "$FTBOOT_TOP/tests/stack/_phpmyadmin.sh"
loopstack_py=/usr/bin/python3
# The address the double gives every LoadBalancer Service (E4 notes that
# it is not the address checked; it refuses 127.0.0.1 there).
loopstack_lb=192.168.61.10
loopstack_ids=E1,E3,E4,E5,E6,E7,E8,E9,E10,E13
groups=()

loopstack_require() {
	local p
	loopstack_why=
	for p in /usr/sbin/sshd /usr/sbin/vsftpd /usr/sbin/nginx /usr/bin/ssh-keygen /usr/bin/openssl \
		/usr/bin/busybox /usr/bin/unshare /usr/bin/setsid /usr/sbin/useradd /usr/sbin/chpasswd \
		/usr/bin/curl /usr/bin/pgrep /usr/sbin/php-fpm8.2 /usr/share/wordpress/wp-load.php \
		/usr/share/phpmyadmin/index.php "$loopstack_py"; do
		[ -e "$p" ] || { loopstack_why="$p is missing (tests/deps.sh test installs the stack tier's packages)"; return 1; }
	done
	[ "$(id -u)" = 0 ] || { loopstack_why="needs root: sshd, vsftpd's chroot and the mount namespaces"; return 1; }
	$loopstack_py -c 'import yaml' 2>/dev/null || { loopstack_why="needs python3-yaml (tests/deps.sh test)"; return 1; }
	p=$(mariadb_missing) && { loopstack_why="$p is missing (tests/deps.sh test installs mariadb-server)"; return 1; }
	id www-data >/dev/null 2>&1 || { loopstack_why="no user www-data (Debian's nginx adds it)"; return 1; }
	[ -x "$FTBOOT" ] || { loopstack_why="no ftboot binary at $FTBOOT (make first)"; return 1; }
}

# loopstack_fail WHY: record why, status 1.
loopstack_fail() {
	loopstack_why=$1
	return 1
}

loopstack_up() {
	local stack ns account
	nginx_prepare # 0755 (the daemons' users read it), the namespaces' overlays
	http_port=$(free_port)
	https_port=$(free_port)
	ssh_port=$(free_port)
	ftp_port=$(free_port)
	read -r pmin pmax < <(pasv_range)
	ssh_user=ftbs$$
	ftp_user=ftbf$$
	export FTBOOT_STATE_DIR=$tmp/state FTBOOT_CACHE_DIR=$tmp/cache
	wp_prepare || loopstack_fail "cannot copy Debian's WordPress" || return 1
	pma_prepare || loopstack_fail "cannot copy Debian's phpMyAdmin as Alpine lays it out" || return 1

	kube_start "$tmp/kube" --auto-ready --lb-ip "$loopstack_lb" 2>"$tmp/kube.err" ||
		loopstack_fail "the Kubernetes API double does not start: $(head -c 200 "$tmp/kube.err")" || return 1
	dashlb_start "$tmp/lb" 2>"$tmp/lb.err" || loopstack_fail "$(head -c 200 "$tmp/lb.err")" || return 1

	# The stack copy: free ports, the test's users, the double as cluster,
	# no remote manifest (no internet) and so no templates/dashboard.yaml
	# (its namespace comes with that manifest: dash_objects makes it).
	mkdir -p "$tmp/proj"
	cp -r "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$tmp/proj/"
	rm -f "$tmp/proj/templates/dashboard.yaml"
	stack=$tmp/proj/srcs/stack.yaml
	loopstack_stack=$stack
	$loopstack_py - "$stack" "$tmp/kube/kubeconfig" "$ssh_port" "$ftp_port" "$pmin" "$pmax" \
		"$ssh_user" "$ftp_user" "$lb_port" "$wp_port" "$pma_port" "$http_port" "$https_port" <<'EOP' || loopstack_fail "cannot edit the stack copy" || return 1
import re, sys
p, kc, ssh, ftp, pmin, pmax, su, fu, lb, wp, pma, http, https = sys.argv[1:]
s = open(p).read()
subs = [(r"ports: \{http: 80, https: 443, ssh: 22\}", "ports: {http: %s, https: %s, ssh: %s}" % (http, https, ssh)),
        (r"ports: \{ftp: 21, pasv: 30020-30024\}", "ports: {ftp: %s, pasv: %s-%s}" % (ftp, pmin, pmax)),
        (r"(?m)^  ftp_user: .*", "  ftp_user: " + fu), (r"(?m)^  ssh_user: .*", "  ssh_user: " + su),
        (r"(?m)^  dashboard_port: \d+", "  dashboard_port: " + lb),
        (r"(?m)^(  wordpress:\n    ports: \{http: )5050\}", r"\g<1>%s}" % wp),
        (r"(?m)^(  phpmyadmin:\n    ports: \{http: )5000\}", r"\g<1>%s}" % pma),
        (r"(?ms)^manifests:\n(?:  .*?\n|    .*?\n)*", "")]
for a, b in subs:
    s, n = re.subn(a, b, s, count=1)
    assert n == 1, a
s += "\ncluster: {kubeconfig: '%s', timeout: 30}\n" % kc
open(p, "w").write(s)
EOP
	"$FTBOOT" -f "$stack" render --show-secrets >"$tmp/manifests.yaml" 2>"$tmp/render.err" ||
		loopstack_fail "ftboot render: $(head -c 200 "$tmp/render.err")" || return 1
	st=
	for st in "$tmp"/state/*/secrets; do st=${st%/secrets}; done
	[ -s "$st/secrets/ssh_password" ] || loopstack_fail "the state has no secrets ($tmp/state)" || return 1
	svc=$st/service
	svckeys_standin "$svc" || loopstack_fail "cannot make the service keys" || return 1
	(umask 077 && cp "$st/secrets/ssh_password" "$tmp/ssh_pw")
	ftp_pw=$(cat "$st/secrets/ftp_password")

	# Grafana: its port is known once it listens.
	grafana_user=$($loopstack_py -c 'import re,sys; print(re.search(r"(?m)^  grafana_admin_user: (\S+)", open(sys.argv[1]).read()).group(1))' "$stack")
	GRAFANA_ADMIN_USER=$grafana_user GRAFANA_ADMIN_PASSWORD=$(cat "$st/secrets/grafana_admin_password") \
		grafana_start "$tmp/grafana" "$tmp/proj/srcs/grafana" 2>"$tmp/grafana.err" ||
		loopstack_fail "the Grafana double does not start: $(head -c 200 "$tmp/grafana.err")" || return 1
	sed -i -e "s/^    ports: {http: 3000}$/    ports: {http: $grafana_port}/" "$stack"
	grep -q "{http: $grafana_port}" "$stack" || loopstack_fail "cannot set Grafana's port in the stack copy" || return 1

	# The cluster: the stack applied, then the dashboard's objects.
	(cd "$tmp/proj" && "$FTBOOT" apply) >"$tmp/apply.out" 2>&1 ||
		loopstack_fail "ftboot apply to the double: $(tail -c 300 "$tmp/apply.out")" || return 1
	read -r ns account < <($loopstack_py -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1])).get("dashboard") or {}
print(d.get("namespace", "kubernetes-dashboard"), d.get("account", "ftboot-admin"))' "$stack")
	dash_objects "$ns" "$account" || loopstack_fail "the dashboard's objects in the double" || return 1

	# WordPress and phpMyAdmin on their MariaDB, with the state's secrets.
	db_password=$(cat "$st/secrets/wp_db_password")
	admin_password=$(cat "$st/secrets/wp_admin_password")
	user_password=$(cat "$st/secrets/wp_user_password")
	blowfish=$(cat "$st/secrets/pma_blowfish_secret")
	lb=127.0.0.1
	mariadb_start "$tmp/db" >"$tmp/db.out" || loopstack_fail "MariaDB: $(tail -c 300 "$tmp/db.out")" || return 1
	mariadb_wordpress wordpress "$db_password" wordpress ||
		loopstack_fail "MariaDB: cannot make the wordpress database" || return 1
	wp_start "$tmp/wp.log"
	ep_ready "$wp_url/fpm-ping" 60 >"$tmp/wp.out" ||
		loopstack_fail "WordPress: $(tail -c 300 "$tmp/wp.out"; tail -3 "$tmp/wp.log")" || return 1
	pma_start "$tmp/pma.log"
	ep_ready "$pma_url/fpm-ping" 30 >"$tmp/pma.out" ||
		loopstack_fail "phpMyAdmin: $(tail -c 300 "$tmp/pma.out"; tail -3 "$tmp/pma.log")" || return 1

	# nginx and its sshd: the state's certificate and host key where the
	# entry point keeps the pod's (it makes only what is missing).
	state=$tmp/pod lb=127.0.0.1 user=$ssh_user password=$(cat "$tmp/ssh_pw")
	mkdir -p "$state/tls" "$state/ssh/etc/ssh" && chmod 700 "$state/tls"
	cp "$svc/tls-cert.pem" "$state/tls/cert.pem" && cp "$svc/tls-key.pem" "$state/tls/key.pem"
	cp "$svc/ssh_host_ed25519_key" "$svc/ssh_host_ed25519_key.pub" "$state/ssh/etc/ssh/"
	start nginx
	wait_ports 60 >"$tmp/nginx.err" 2>&1 ||
		loopstack_fail "nginx does not listen: $(tail -c 300 "$tmp/nginx.err"; tail -3 "$tmp/nginx.log")" || return 1
	mkdir -p "$tmp/ftpdata/tls" && chmod 700 "$tmp/ftpdata/tls"
	cp "$svc/tls-cert.pem" "$tmp/ftpdata/tls/cert.pem" && cp "$svc/tls-key.pem" "$tmp/ftpdata/tls/key.pem"
	ftps_up "$tmp/ftpdata" "$FTBOOT_TOP/srcs/ftps/vsftpd.conf" >"$tmp/ftps.err" ||
		loopstack_fail "vsftpd does not listen: $(head -c 200 "$tmp/ftps.err")" || return 1
}

# loopstack_env FILE: its variables as a sourceable file (check-baseline.sh's ENV).
loopstack_env() {
	local v
	for v in FTBOOT_STATE_DIR loopstack_stack loopstack_lb loopstack_ids ssh_port ssh_user ftp_port \
		ftp_user pmin pmax http_port https_port grafana_port grafana_user lb_port kube_dir wp_port pma_port db_port db_sock st svc; do
		printf '%s=%q\n' "$v" "${!v}"
	done >"$1"
}

loopstack_stop_ftps() {
	stop_group "$ftps_pid" "$ftp_port"
}

loopstack_down() {
	local g
	for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
	ep_kill_all
	mariadb_stop
	grafana_stop "$tmp/grafana" >/dev/null 2>&1
	dashlb_stop "$tmp/lb" >/dev/null 2>&1
	kube_stop "$tmp/kube" >/dev/null 2>&1
	for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	groups=()
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-}:${2:-} in
	up:?*)
		tmp=$(mkdir -p "$2" && cd "$2" && pwd) || exit 1
		skip_all() { echo "loopstack: $*" >&2; exit 77; }
		loopstack_require || { echo "loopstack: $loopstack_why" >&2; exit 77; }
		loopstack_up || { echo "loopstack: $loopstack_why" >&2; loopstack_down; exit 1; }
		printf '%s\n' "${groups[@]}" >"$tmp/groups"
		printf '%s\n' "${ep_groups[@]}" >"$tmp/ep_groups"
		echo "$db_pid" >"$tmp/db_pid"
		loopstack_env "$tmp/env"
		cat "$tmp/env"
		;;
	down:?*)
		tmp=$2
		mapfile -t groups <"$tmp/groups" 2>/dev/null
		mapfile -t ep_groups <"$tmp/ep_groups" 2>/dev/null
		db_pid=$(cat "$tmp/db_pid" 2>/dev/null)
		loopstack_down
		;;
	*) echo "usage: loopstack.sh up|down DIR" >&2; exit 2 ;;
	esac
fi
