# shellcheck shell=bash disable=SC2154,SC2034 # tmp, db_port, the passwords: the caller's; wp_url: for it
# tests/stack/_wordpress.sh: the wordpress service as its container runs
# it, under Debian's daemons on loopback, for the stack tier's test
# (wordpress.sh) and the check's (tests/integration/check_web.sh). Sourced
# after tests/lib.sh, _lib.sh, _mariadb.sh and _entry.sh, once ep_setup
# made $tmp. See wordpress.sh for what is substituted and why.
#
#   wp_prepare             $tmp/wordpress: a copy of Debian's WordPress whose
#                          wp-config.php is the repository's; sets wp_port,
#                          wp_fpm_port (free ports) and wp_url
#                          (http://127.0.0.1:wp_port)
#   wp_env                 the entry point's environment but the passwords
#                          (LB_IP=127.0.0.1, WP_USER_COUNT=2, DB_PORT=$db_port)
#   wp_start LOG [VAR=VALUE...]
#                          srcs/wordpress/entrypoint.sh with wp_env, the
#                          passwords $db_password, $admin_password and
#                          $user_password, and VAR=VALUE... (ep_start)
#   wp_sql SQL             SQL on the database wordpress, tab-separated
#   wp_login HOST USER PASSWORD
#                          wp-login.php as a browser posts it; 0 if WordPress
#                          lets USER in (302 to wp-admin with its cookie)
wp_prepare() {
	cp -a /usr/share/wordpress "$tmp/wordpress" &&
		rm -f "$tmp/wordpress/wp-config.php" &&
		cp "$FTBOOT_TOP/srcs/wordpress/wp-config.php" "$tmp/wordpress/wp-config.php" || return 1
	wp_port=$(free_port)
	wp_fpm_port=$(free_port)
	wp_url=http://127.0.0.1:$wp_port
}

wp_env() {
	echo NGINX=/usr/sbin/nginx NGINX_USER=www-data PHP=php8.2 PHP_FPM=/usr/sbin/php-fpm8.2 \
		PHP_FPM_USER=www-data "PHP_FPM_LISTEN=127.0.0.1:$wp_fpm_port" \
		"WORDPRESS_DIR=$tmp/wordpress" "TEMPLATE_DIR=$FTBOOT_TOP/srcs/wordpress" \
		"RUN_DIR=$tmp/wp-run" LB_IP=127.0.0.1 "WORDPRESS_PORT=$wp_port" DB_HOST=127.0.0.1 \
		"DB_PORT=${db_port:-1}" DB_NAME=wordpress DB_USER=wordpress WP_ADMIN_USER=admin \
		WP_ADMIN_EMAIL=admin@ft.local WP_USER_COUNT=2 DB_WAIT=20
}

wp_start() {
	local log=$1
	shift
	# shellcheck disable=SC2046 # wp_env's words hold no spaces
	ep_start "$log" "$FTBOOT_TOP/srcs/wordpress/entrypoint.sh" $(wp_env) \
		"DB_PASSWORD=$db_password" "WP_ADMIN_PASSWORD=$admin_password" \
		"WP_USER_PASSWORD=$user_password" "$@"
}

wp_sql() {
	mariadb_sql -N -B wordpress -e "$1"
}

wp_login() {
	local base=http://$1:$wp_port jar=$tmp/jar-$2 hdr
	rm -f "$jar"
	curl -s -o /dev/null -c "$jar" "$base/wp-login.php" || return 1
	hdr=$(curl -s -o /dev/null -D - -b "$jar" -c "$jar" --data-urlencode "log=$2" \
		--data-urlencode "pwd=$3" -d wp-submit=Log+In -d testcookie=1 \
		--data-urlencode "redirect_to=$base/wp-admin/profile.php" "$base/wp-login.php")
	grep -qiE "^location: $base/wp-admin/profile.php" <<<"$hdr" && grep -q wordpress_logged_in "$jar"
}
