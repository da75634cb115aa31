#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# phpMyAdmin (R10, E9, E5's /phpmyadmin/, R14): srcs/phpmyadmin/entrypoint.sh
# run as it is under busybox sh, with the repository's nginx.conf,
# php-fpm.conf and config.inc.php, against a MariaDB the test starts (the
# WordPress database and user created with plain SQL, as the mysql service
# does, and two WordPress tables in it).
#
# Substituted (paths and ports only):
#   NGINX=/usr/sbin/nginx (Debian's nginx-light), NGINX_USER=www-data,
#   PHP_FPM=php-fpm8.2, PHP_FPM_USER=www-data (Alpine: php-fpm83, nginx,
#   nobody), PHP_FPM_LISTEN=127.0.0.1:<free port>,
#   TEMPLATE_DIR=srcs/phpmyadmin, RUN_DIR=<scratch>/pma-run,
#   PHPMYADMIN_DIR=<scratch>/phpmyadmin: a copy of Debian's /usr/share/phpmyadmin
#     (5.2.1, its links to /usr/share/javascript followed) laid out as
#     Alpine's package is: config.inc.php in the code's
#     directory (Alpine links it to /etc/phpmyadmin/config.inc.php), read
#     from there as upstream's libraries/vendor_config.php says (Debian's
#     names /etc/phpmyadmin/config.inc.php; the copy's is set back),
#   LB_IP=192.0.2.10 (only phpMyAdmin's URLs name it), PHPMYADMIN_PORT and
#   DB_PORT: free ports, DB_HOST=127.0.0.1.
# The nginx front is simulated by its headers (X-Forwarded-Proto https,
# X-Forwarded-Host, X-Forwarded-Prefix /phpmyadmin) and by mapping the
# page's https://LB_IP/phpmyadmin/X URLs to /X here.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_mariadb.sh"
. "$(dirname "$0")/_entry.sh"
. "$(dirname "$0")/_phpmyadmin.sh"
ep_setup /usr/share/phpmyadmin/index.php /usr/sbin/nginx /usr/sbin/php-fpm8.2

db_password=$'d\'b "pa$s\\ wörd €'
blowfish=$'b\'f "s$e\\ crét'
lb=192.0.2.10

pma_prepare
ok $? "the copy of Debian's phpMyAdmin reads config.inc.php from its directory, as Alpine's does"
url=$pma_url

# Bad environment: each fails at once, naming what is wrong.
ep_bad_env pma_start "PMA_BLOWFISH_SECRET=" "DB_HOST=" "PHPMYADMIN_PORT=0" "DB_PORT=x" "LB_IP=a/b"

mariadb_start "$tmp/db" || { ok 1 "MariaDB starts"; done_testing; }
mariadb_wordpress wordpress "$db_password" wordpress &&
	mariadb_sql wordpress -e 'CREATE TABLE wp_users (ID INT PRIMARY KEY); CREATE TABLE wp_options (option_id INT PRIMARY KEY)'
ok $? "the wordpress database, its user and two WordPress tables are created"

t0=$EPOCHREALTIME
pma_start "$tmp/pma.log"
ep_ready "$url/fpm-ping" 30
ok $? "phpMyAdmin is served ($(ep_since "$t0") s)"
is "$(curl -s "$url/fpm-ping")" pong "GET /fpm-ping answers php-fpm's pong (the liveness probe, no database)"

# front_headers: what the nginx front adds (srcs/nginx's /phpmyadmin/).
front=(-H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: $lb" -H "X-Forwarded-Prefix: /phpmyadmin"
	-H "X-Forwarded-For: 192.0.2.99")

# form NAME [CURL ARGS]: the login page into $tmp/NAME.html, its headers
# into $tmp/NAME.hdr, its cookies into $tmp/NAME.cookies ("a=b; c=d") and
# its token into $token, its HTTP status into $form_code.
form() {
	local name=$1
	shift
	form_code=$(curl -s -o "$tmp/$name.html" -D "$tmp/$name.hdr" -w '%{http_code}' "$@" "$url/")
	grep -i '^set-cookie:' "$tmp/$name.hdr" | sed -E 's/^[Ss]et-[Cc]ookie: *([^;]*).*/\1/' |
		paste -sd';' | sed 's/;/; /g' >"$tmp/$name.cookies"
	token=$(grep -oE 'name="token" value="[^"]*"' "$tmp/$name.html" | head -1 | sed -E 's/.*value="([^"]*)"/\1/')
}

# login_page NAME BASE PREFIX [CURL ARGS]: form, checked: phpMyAdmin's
# login form with a token, and each CSS and JS it links answering 200 with
# its type (URLs relative to BASE: PREFIX/X is fetched as /X here).
login_page() {
	local name=$1 base=$2 prefix=$3 page=$tmp/$1.html assets a path code bad=
	shift 3
	form "$name" "$@"
	is "$form_code" 200 "$name: the login page answers 200"
	grep -q 'name="pma_username"' "$page" && grep -q 'name="pma_password"' "$page" && [ -n "$token" ]
	ok $? "$name: it is phpMyAdmin's login form, with its token"
	mapfile -t assets < <(grep -oE '<(link|script)[^>]*(href|src)="[^"]*\.(css|js)[^"]*"' "$page" |
		grep -oE '(href|src)="[^"]*"' | sed -E 's/^(href|src)="//; s/"$//; s/&amp;/\&/g')
	[ "${#assets[@]}" -ge 5 ]
	ok $? "$name: the page links ${#assets[@]} stylesheets and scripts"
	for a in "${assets[@]}"; do
		case $a in
		https://*) path=/${a#https://*/} ;;
		/*) path=$a ;;
		*) path=$prefix/${a#./} ;;
		esac
		case $path in
		"$prefix"/*) path=${path#"$prefix"} ;;
		*) bad+=" $a(outside $prefix/)" && continue ;;
		esac
		code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$@" "$url$path")
		[[ $code == "200 text/css"* || $code == "200 application/javascript"* || $code == "200 text/javascript"* ]] ||
			bad+=" $a($code)"
	done
	[ -z "$bad" ]
	ok $? "$name: each one answers 200 with its type, under $base${bad:+ (not:$bad)}"
}

# login NAME USER PASSWORD [CURL ARGS]: posts the login form; sets $location
# and adds the answer's cookies to $tmp/NAME.cookies.
login() {
	local name=$1 user=$2 password=$3 hdr=$tmp/$1.login.hdr
	shift 3
	curl -s -o /dev/null -D "$hdr" "$@" -b "$(cat "$tmp/$name.cookies")" \
		--data-urlencode "pma_username=$user" --data-urlencode "pma_password=$password" \
		-d server=1 -d route=/ --data-urlencode "token=$token" "$url/index.php?route=/"
	location=$(grep -i '^location:' "$hdr" | tr -d '\r' | sed -E 's/^[Ll]ocation: *//')
	{
		cat "$tmp/$name.cookies"
		grep -i '^set-cookie:' "$hdr" | sed -E 's/^[Ss]et-[Cc]ookie: *([^;]*).*/\1/' | grep -v '=deleted$'
	} | tr ';' '\n' | sed 's/^ *//' | grep . | awk -F= '{ v[$1] = $0 } END { for (k in v) print v[k] }' |
		paste -sd';' | sed 's/;/; /g' >"$tmp/$name.cookies.new"
	mv "$tmp/$name.cookies.new" "$tmp/$name.cookies"
}

# Directly on IP:PHPMYADMIN_PORT (E9).
login_page direct "$url/" ""
grep -i '^set-cookie: phpMyAdmin=' "$tmp/direct.hdr" | grep -qi 'path=/;' &&
	! grep -i '^set-cookie: phpMyAdmin=' "$tmp/direct.hdr" | grep -qi secure
ok $? "direct: the session cookie is for path / and not secure-only (plain http)"
structure_page() { # structure_page NAME [CURL ARGS]: database wordpress's tables, as NAME
	local name=$1
	shift
	curl -s "$@" -b "$(cat "$tmp/$name.cookies")" "$url/index.php?route=/database/structure&db=wordpress&server=1"
}
login direct wordpress "not the password"
structure=$(structure_page direct)
! grep -q 'wp_users' <<<"$structure" && grep -q 'name="pma_username"' <<<"$structure"
ok $? "direct: a wrong password does not get in (the tables ask for a login)"
form direct
login direct wordpress "$db_password"
[[ $location == /index.php* || $location == "$url/index.php"* ]]
ok $? "direct: the login redirects into phpMyAdmin ($location)"
structure=$(structure_page direct)
grep -q 'wp_users' <<<"$structure" && grep -q 'wp_options' <<<"$structure"
ok $? "direct: logged in as wordpress, the database's structure lists the WordPress tables"

# Through the nginx front: https://LB_IP/phpmyadmin/ (E5).
login_page front "https://$lb/phpmyadmin/" /phpmyadmin "${front[@]}"
grep -i '^set-cookie: phpMyAdmin_https=' "$tmp/front.hdr" | grep -qi 'path=/phpmyadmin/; secure'
ok $? "front: the session cookie is for /phpmyadmin/ and secure (https)"
login front wordpress "$db_password" "${front[@]}"
[[ $location == /phpmyadmin/index.php* || $location == "https://$lb/phpmyadmin/index.php"* ]]
ok $? "front: the login redirects under https://LB_IP/phpmyadmin/ ($location)"
structure=$(structure_page front "${front[@]}")
grep -q 'wp_users' <<<"$structure"
ok $? "front: logged in, the WordPress tables are listed"

ep_stop phpmyadmin

ep_supervision pma_start "$url/fpm-ping" /usr/sbin/nginx /usr/sbin/php-fpm8.2
done_testing
