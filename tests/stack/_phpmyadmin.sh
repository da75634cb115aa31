# shellcheck shell=bash disable=SC2154,SC2034 # tmp, db_port, lb, blowfish: the caller's; pma_url: for it
# tests/stack/_phpmyadmin.sh: the phpmyadmin service as its container
# runs it, under Debian's daemons on loopback, for the stack tier's test
# (phpmyadmin.sh) and the check's (tests/integration/check_web.sh).
# Sourced after tests/lib.sh, _lib.sh, _mariadb.sh and _entry.sh, once
# ep_setup made $tmp. See phpmyadmin.sh for what is substituted and why.
#
#   pma_prepare            $tmp/phpmyadmin: a copy of Debian's phpMyAdmin
#                          (links followed) with the repository's
#                          config.inc.php, read from the code's directory as
#                          Alpine's package does (status 1 if the copy does
#                          not say so); sets pma_port, pma_fpm_port (free
#                          ports) and pma_url (http://127.0.0.1:pma_port)
#   pma_start LOG [VAR=VALUE...]
#                          srcs/phpmyadmin/entrypoint.sh with LB_IP=$lb,
#                          PMA_BLOWFISH_SECRET=$blowfish, DB_PORT=$db_port
#                          and VAR=VALUE... (ep_start)
pma_prepare() {
	local vc=$tmp/phpmyadmin/libraries/vendor_config.php
	cp -rL /usr/share/phpmyadmin "$tmp/phpmyadmin" || return 1 # Debian links its JavaScript libraries in
	sed -i "s|'configFile' => .*|'configFile' => ROOT_PATH . 'config.inc.php',|" "$vc"
	cp "$FTBOOT_TOP/srcs/phpmyadmin/config.inc.php" "$tmp/phpmyadmin/config.inc.php" || return 1
	pma_port=$(free_port)
	pma_fpm_port=$(free_port)
	pma_url=http://127.0.0.1:$pma_port
	grep -q "'configFile' => ROOT_PATH . 'config.inc.php'," "$vc"
}

pma_start() {
	local log=$1
	shift
	ep_start "$log" "$FTBOOT_TOP/srcs/phpmyadmin/entrypoint.sh" NGINX=/usr/sbin/nginx NGINX_USER=www-data \
		PHP_FPM=/usr/sbin/php-fpm8.2 PHP_FPM_USER=www-data "PHP_FPM_LISTEN=127.0.0.1:$pma_fpm_port" \
		"PHPMYADMIN_DIR=$tmp/phpmyadmin" "TEMPLATE_DIR=$FTBOOT_TOP/srcs/phpmyadmin" \
		"RUN_DIR=$tmp/pma-run" "LB_IP=$lb" "PHPMYADMIN_PORT=$pma_port" DB_HOST=127.0.0.1 \
		"DB_PORT=${db_port:-1}" "PMA_BLOWFISH_SECRET=$blowfish" "$@"
}
