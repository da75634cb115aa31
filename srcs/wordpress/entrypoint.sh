#!/bin/sh
# wordpress: the container's PID 1 (R9, R14). It checks its environment
# (templates/wordpress.yaml), renders nginx.conf and php-fpm.conf into
# RUN_DIR, installs WordPress at first start (wp-install.php: waits for
# MySQL, then changes nothing on later starts but what the environment
# changed), then runs nginx and php-fpm in the foreground and exits
# non-zero as soon as either ends, so that the kubelet restarts the
# container. TERM or INT stops both and exits 0.
#
# Every path and program comes from a variable with the image's default,
# so the stack tier runs this very file with Debian's daemons
# (tests/stack/wordpress.sh).
set -eu
: "${NGINX:=nginx}" "${NGINX_CONF_DIR:=/etc/nginx}" "${NGINX_USER:=nginx}"
: "${PHP:=php84}" "${PHP_FPM:=php-fpm84}" "${PHP_FPM_USER:=nobody}"
: "${PHP_FPM_LISTEN:=127.0.0.1:9000}"
: "${WORDPRESS_DIR:=/usr/share/webapps/wordpress}"
: "${TEMPLATE_DIR:=/usr/local/share/ftboot}" "${RUN_DIR:=/run/wordpress}"
: "${DB_WAIT:=120}"

die() {
	echo "entrypoint: $*" >&2
	exit 1
}

for v in LB_IP WORDPRESS_PORT DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD \
	WP_ADMIN_USER WP_ADMIN_PASSWORD WP_ADMIN_EMAIL WP_USER_COUNT WP_USER_PASSWORD; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || die "$v is not set or empty (templates/wordpress.yaml sets it)"
done
number() { # number NAME VALUE MIN MAX
	case $2 in
	*[!0-9]* | '') die "$1 must be a number from $3 to $4, not '$2'" ;;
	esac
	if [ "${#2}" -gt 5 ] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		die "$1 must be a number from $3 to $4, not '$2'"
	fi
}
number WORDPRESS_PORT "$WORDPRESS_PORT" 1 65535
number DB_PORT "$DB_PORT" 1 65535
number WP_USER_COUNT "$WP_USER_COUNT" 0 100
number DB_WAIT "$DB_WAIT" 1 3600
case $LB_IP in
*[!0-9A-Za-z.:-]*) die "LB_IP must be an address or a host name, not '$LB_IP'" ;;
esac
export WORDPRESS_DIR DB_WAIT

# render TEMPLATE OUT: the template with its @NAME@ placeholders replaced.
sed_quote() { printf '%s\n' "$1" | sed -e 's/[\\|&]/\\&/g'; }
render() {
	sed -e "s|@PORT@|$(sed_quote "$WORDPRESS_PORT")|g" \
		-e "s|@ROOT@|$(sed_quote "$WORDPRESS_DIR")|g" \
		-e "s|@RUN_DIR@|$(sed_quote "$RUN_DIR")|g" \
		-e "s|@NGINX_CONF_DIR@|$(sed_quote "$NGINX_CONF_DIR")|g" \
		-e "s|@NGINX_USER@|$(sed_quote "$NGINX_USER")|g" \
		-e "s|@PHP_FPM_USER@|$(sed_quote "$PHP_FPM_USER")|g" \
		-e "s|@PHP_FPM_LISTEN@|$(sed_quote "$PHP_FPM_LISTEN")|g" \
		"$TEMPLATE_DIR/$1" >"$RUN_DIR/$1"
}
mkdir -p "$RUN_DIR/nginx"
render nginx.conf
render php-fpm.conf

# nginx reads NGINX from its environment (sockets inherited on upgrade).
nginx=$NGINX
unset NGINX
# Each daemon runs in a child of its own subshell, which waits for it, then
# tells PID 1 (USR1). stop()'s group kill reaches the daemon itself; a
# daemon the subshell starts just after that kill did not get it, so the
# subshell, which did (its trap notes it), passes it on: stop()'s wait
# cannot outlive a daemon that never heard it.
run() {
	(
		stopping=''
		trap 'stopping=1' TERM INT
		"$@" &
		pid=$!
		[ -z "$stopping" ] || kill -TERM "$pid" 2>/dev/null || :
		while kill -0 "$pid" 2>/dev/null; do wait "$pid" || :; done
		echo "entrypoint: $1 exited" >&2
		kill -USR1 $$
	) &
}
stop() { trap '' TERM INT USR1; kill -TERM 0 2>/dev/null || :; stop_fpm; wait; exit "$1"; }
# php-fpm makes itself a session of its own (setsid() in fpm_unix.c, even
# with -F), out of reach of kill 0: stop its group (master and pool, also
# when the master is gone), and give it 10 s to end.
fpm_pid=$RUN_DIR/php-fpm.pid
rm -f "$fpm_pid"
stop_fpm() {
	g=$(cat "$fpm_pid" 2>/dev/null) || return 0
	kill -TERM "-$g" 2>/dev/null || return 0
	i=0
	while kill -0 "-$g" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
trap 'stop 0' TERM INT # asked to stop

# In the background, so that TERM stops a wait for MySQL at once.
"$PHP" "$TEMPLATE_DIR/wp-install.php" &
wait $! || die "WordPress is not installed (see above)"

trap 'stop 1' USR1 # a daemon died: exit, the kubelet restarts us
run "$nginx" -e stderr -c "$RUN_DIR/nginx.conf" -g 'daemon off;'
run "$PHP_FPM" -F -y "$RUN_DIR/php-fpm.conf"
wait
stop 1
