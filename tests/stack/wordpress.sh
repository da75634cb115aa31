#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# WordPress (R9, E8, R14): srcs/wordpress/entrypoint.sh run as it is under
# busybox sh, with the repository's nginx.conf, php-fpm.conf, wp-config.php
# and wp-install.php, against a MariaDB the test starts (the database and
# user created with plain SQL, as the mysql service does).
#
# Substituted (paths and ports only):
#   NGINX=/usr/sbin/nginx (Debian's nginx-light), NGINX_USER=www-data,
#   PHP=php8.2, PHP_FPM=php-fpm8.2, PHP_FPM_USER=www-data (Alpine: php84,
#   php-fpm84, nginx, nobody), PHP_FPM_LISTEN=127.0.0.1:<free port>,
#   TEMPLATE_DIR=srcs/wordpress, RUN_DIR=<scratch>/run,
#   WORDPRESS_DIR=<scratch>/wordpress: a copy of Debian's /usr/share/wordpress
#     (6.1) whose wp-config.php is srcs/wordpress/wp-config.php, as the
#     Dockerfile puts it into the release tarball's tree (Debian's own reads
#     /etc/wordpress; PHP resolves links, so a copy, not links),
#   LB_IP=127.0.0.1 (127.0.0.2 for the moved address), WORDPRESS_PORT and
#   DB_PORT: free ports, DB_HOST=127.0.0.1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_mariadb.sh"
. "$(dirname "$0")/_entry.sh"
. "$(dirname "$0")/_wordpress.sh"
ep_setup /usr/share/wordpress/wp-load.php /usr/sbin/nginx php8.2 /usr/sbin/php-fpm8.2

# Passwords with quotes, a dollar, a backslash, spaces and multi-byte characters.
db_password=$'d\'b "pa$s\\ wörd €'
admin_password=$'a\'dm "i$n\\ pässwörd'
user_password=$'u\'se "r$s\\ ñ pass'

wp_prepare
url=$wp_url

# Users, their metadata and the address: what a second start must not change.
wp_state() {
	wp_sql "SELECT ID, user_login, user_pass, user_email FROM wp_users ORDER BY ID;
		SELECT user_id, meta_key, meta_value FROM wp_usermeta ORDER BY umeta_id;
		SELECT option_name, option_value FROM wp_options
		 WHERE option_name IN ('siteurl', 'home') OR option_name LIKE '%\\_key' OR option_name LIKE '%\\_salt'
		 ORDER BY option_name"
}

# Bad environment: each fails at once, naming what is wrong.
ep_bad_env wp_start "DB_PASSWORD=" "WP_USER_COUNT=two" "WORDPRESS_PORT=99999" "LB_IP=a b"
wp_start "$tmp/bad-admin.log" "WP_ADMIN_EMAIL=" "WP_ADMIN_PASSWORD="
ep_exit 10
[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] && grep -q "WP_ADMIN_PASSWORD is not set" "$tmp/bad-admin.log"
ok $? "an empty WP_ADMIN_PASSWORD fails too (exit $ep_rc)"

# No MySQL yet: the bounded wait says what it waits for, then fails.
t0=$EPOCHREALTIME
wp_start "$tmp/nodb.log" DB_WAIT=2 "DB_PORT=$(free_port)"
ep_exit 20
[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] &&
	grep -q "gave up waiting 2 s for MySQL at 127.0.0.1:[0-9]* to let 'wordpress' use 'wordpress'" "$tmp/nodb.log"
ok $? "no MySQL: gives up after DB_WAIT=2 s saying what it waited for ($(ep_since "$t0") s, exit $ep_rc)"
sed 's/^/#   /' "$tmp/nodb.log" | tail -2

# TERM while it waits for MySQL: stops at once.
wp_start "$tmp/nodb-term.log" DB_WAIT=60 "DB_PORT=$(free_port)"
for _ in $(seq 100); do
	pgrep -g "$ep_pid" -f wp-install.php >/dev/null && break
	sleep 0.1
done
ep_stop "waiting for MySQL"

mariadb_start "$tmp/db" || { ok 1 "MariaDB starts"; done_testing; }
mariadb_wordpress wordpress "$db_password" wordpress
ok $? "the wordpress database and user are created (as the mysql service does)"

wp_start "$tmp/badpw.log" DB_WAIT=1 "DB_PASSWORD=wrong"
ep_exit 20
[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] && grep -q "Access denied" "$tmp/badpw.log"
ok $? "a wrong DB_PASSWORD: fails with MySQL's reason (exit $ep_rc)"

# First start: the install.
t0=$EPOCHREALTIME
wp_start "$tmp/first.log"
ep_ready "$url/fpm-ping" 60
ok $? "first start: WordPress is installed and served ($(ep_since "$t0") s)"
grep -q "installed WordPress at $url, administrator 'admin'" "$tmp/first.log"
ok $? "first start: the install says so"
sed 's/^/#   /' "$tmp/first.log" | grep wp-install
is "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" 200 "GET / answers 200"
is "$(curl -s "$url/fpm-ping")" pong "GET /fpm-ping answers php-fpm's pong (the liveness probe, no database)"
is "$(wp_sql "SELECT option_value FROM wp_options WHERE option_name IN ('siteurl', 'home') ORDER BY option_name" | tr '\n' ' ')" \
	"$url $url " "siteurl and home are http://LB_IP:WORDPRESS_PORT"
is "$(wp_sql "SELECT user_login FROM wp_users ORDER BY ID" | tr '\n' ' ')" "admin user1 user2 " \
	"the administrator and WP_USER_COUNT=2 users exist"
wp_sql "SELECT meta_value FROM wp_usermeta m JOIN wp_users u ON u.ID = m.user_id
	WHERE u.user_login = 'admin' AND meta_key = 'wp_capabilities'" | grep -q '"administrator"'
ok $? "admin is an administrator"
is "$(wp_sql "SELECT u.user_login, m.meta_value FROM wp_usermeta m JOIN wp_users u ON u.ID = m.user_id
	WHERE meta_key = 'wp_capabilities' AND u.user_login LIKE 'user%' ORDER BY u.ID" | tr '\t\n' '  ')" \
	'user1 a:1:{s:6:"author";b:1;} user2 a:1:{s:10:"subscriber";b:1;} ' "user1 is an author, user2 a subscriber"
is "$(wp_sql "SELECT COUNT(*) FROM wp_options WHERE option_name IN
	('auth_key', 'auth_salt', 'secure_auth_key', 'secure_auth_salt', 'logged_in_key',
	 'logged_in_salt', 'nonce_key', 'nonce_salt', 'secret_key') AND LENGTH(option_value) = 64")" 9 \
	"the keys and salts are generated into the database, 64 characters each"
wp_login 127.0.0.1 admin "$admin_password"
ok $? "admin logs in through wp-login.php with WP_ADMIN_PASSWORD"
curl -s -b "$tmp/jar-admin" "$url/wp-admin/profile.php" | grep -q 'id="user_login" value="admin"'
ok $? "admin's cookie opens wp-admin/profile.php"
wp_login 127.0.0.1 user2 "$user_password"
ok $? "user2 logs in with WP_USER_PASSWORD"
! wp_login 127.0.0.1 admin "${admin_password% *}"
ok $? "a wrong password is refused"
ep_stop "first start"

# Second start, same environment: nothing changes.
before=$(wp_state)
wp_start "$tmp/second.log"
ep_ready "$url/fpm-ping" 60
ok $? "second start: served again"
grep -q "installed already" "$tmp/second.log" && ! grep -qE "created|set the|set (siteurl|home)" "$tmp/second.log"
ok $? "second start: says it is installed and changes nothing"
ep_stop "second start"
is "$(wp_state)" "$before" "second start: the users, their metadata, the address and the keys are the same"

# A moved LoadBalancer address and a new admin secret follow; a database
# older than the code is updated.
new_password=$'n€w "adm\'in$ \\'
db_version=$(wp_sql "SELECT option_value FROM wp_options WHERE option_name = 'db_version'")
wp_sql "UPDATE wp_options SET option_value = '$((db_version - 1))' WHERE option_name = 'db_version'"
t0=$EPOCHREALTIME
wp_start "$tmp/third.log" LB_IP=127.0.0.2 "WP_ADMIN_PASSWORD=$new_password"
ep_ready "http://127.0.0.2:$wp_port/fpm-ping" 60
ok $? "a new LB_IP and admin password: served ($(ep_since "$t0") s)"
is "$(wp_sql "SELECT option_value FROM wp_options WHERE option_name IN ('siteurl', 'home')" | sort -u)" \
	"http://127.0.0.2:$wp_port" "siteurl and home follow the new LB_IP"
wp_login 127.0.0.2 admin "$new_password"
ok $? "admin logs in with the new secret"
! wp_login 127.0.0.2 admin "$admin_password"
ok $? "and no longer with the old one"
is "$(wp_sql "SELECT COUNT(*) FROM wp_users")" 3 "still three users"
grep -q "updated the database to WordPress" "$tmp/third.log" &&
	[ "$(wp_sql "SELECT option_value FROM wp_options WHERE option_name = 'db_version'")" = "$db_version" ]
ok $? "an older db_version is updated ($((db_version - 1)) to $db_version)"
ep_stop "third start"

# shellcheck disable=SC2317 # called by ep_supervision
wp_start_again() { wp_start "$1" "WP_ADMIN_PASSWORD=$new_password"; }
ep_supervision wp_start_again "$url/fpm-ping" /usr/sbin/nginx /usr/sbin/php-fpm8.2
done_testing
