#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../stack
# The http check kind (E5): `ftboot check --address 127.0.0.1 --only E5`
# with the repository's srcs/checks.yaml against the stack's real nginx:
# srcs/nginx/entrypoint.sh and nginx.conf.in under Debian's nginx on
# loopback (tests/stack/_nginx.sh: a private mount namespace, free ports,
# a stand-in phpMyAdmin), serving the stack's own certificate (the
# state's service/tls-cert.pem and tls-key.pem, put where the entry point
# reads its certificate). The check is run against a copy of the stack
# whose nginx and WordPress ports are the test's.
#
# It passes on the real configuration and fails, saying what was expected,
# what was seen and what to do, on broken variants: 302 instead of 301, a
# 307 to another place than IP:WORDPRESS_PORT, proxy_pass without its
# trailing slash, a page whose CSS/JS do not load through the proxy, and
# another self-signed certificate than the stack's (tls: stack refuses
# it). Then checklists of its own: tls: verify refuses the self-signed
# certificate, tls: unverified is refused with a secret to send.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../stack/_lib.sh"
. "$(dirname "$0")/../stack/_entry.sh"
. "$(dirname "$0")/../stack/_nginx.sh"
nginx_require
nginx_scratch
wp_port=$(free_port)
# The address checked, and so the one nginx's redirects name (LB_IP).
lb=127.0.0.1
user=ftbcheck$$
password=check-pw-$$
# The entry point's per-pod directories (host keys, its TLS directory).
state=$tmp/pod

# The stack copy: ports the test's, the checklist the repository's.
proj=$tmp/proj
mkdir -p "$proj"
cp -r "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$proj/"
sed -i -e "s/^    ports: {http: 80, https: 443, ssh: 22}$/    ports: {http: $http_port, https: $https_port, ssh: $ssh_port}/" \
	-e "s/^    ports: {http: 5050}$/    ports: {http: $wp_port}/" "$proj/srcs/stack.yaml"
if ! grep -q "https: $https_port," "$proj/srcs/stack.yaml" || ! grep -q "{http: $wp_port}" "$proj/srcs/stack.yaml"; then
	echo "Bail out! cannot set the ports in the stack copy's srcs/stack.yaml"
	exit 1
fi
export FTBOOT_STATE_DIR=$tmp/state
sdir=$FTBOOT_STATE_DIR/ft
(cd "$proj" && "$FTBOOT" -f srcs/stack.yaml render --show-secrets) >/dev/null 2>"$tmp/render.err" || {
	echo "Bail out! ftboot render: $(head -c 300 "$tmp/render.err")"
	exit 1
}
# The stack's certificate: render makes it once svckeys is wired in;
# until then, made here as svckeys_ensure makes it (ECDSA P-256, a server
# certificate naming the stack's LB address, not the address checked).
if [ ! -s "$sdir/service/tls-cert.pem" ]; then
	stack_lb=$(awk '$1 == "lb_address:" { print $2 }' "$proj/srcs/stack.yaml")
	(
		umask 077
		mkdir -p "$sdir/service"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1095 \
			-subj "/CN=$stack_lb" -addext "subjectAltName=IP:$stack_lb" \
			-addext "basicConstraints=critical,CA:FALSE" \
			-addext "keyUsage=critical,digitalSignature,keyEncipherment" \
			-addext "extendedKeyUsage=serverAuth" \
			-keyout "$sdir/service/tls-key.pem" -out "$sdir/service/tls-cert.pem" 2>"$tmp/openssl.err"
	) || {
		echo "Bail out! openssl: $(head -c 300 "$tmp/openssl.err")"
		exit 1
	}
fi
mkdir -p "$tmp/tls-stack" "$tmp/tls-other"
cp "$sdir/service/tls-cert.pem" "$tmp/tls-stack/cert.pem"
cp "$sdir/service/tls-key.pem" "$tmp/tls-stack/key.pem"

nginx_standin "$pma_port" "$tmp/pma.log" "$tmp/pma-page.html" || {
	echo "Bail out! the stand-in phpMyAdmin did not start"
	exit 1
}

# serve NAME TEMPLATE TLS_DIR: (re)start the entry point with that
# nginx.conf.in and certificate directory, until its ports accept.
serve() {
	if [ -n "${ep:-}" ] && ep_running "$ep"; then
		kill -TERM "$ep"
		ep_exit 15 >/dev/null
		gone 10 || return 1
	fi
	start "$1" "NGINX_TEMPLATE=$2" "TLS_DIR=$3"
	wait_ports 60 || {
		echo "# $(tail -5 "$tmp/$1.log")"
		return 1
	}
}

# variant NAME SED: nginx.conf.in with SED applied; bail out if it changed nothing.
variant() {
	sed -e "$2" "$src/nginx.conf.in" >"$tmp/$1.conf.in"
	if cmp -s "$src/nginx.conf.in" "$tmp/$1.conf.in"; then
		echo "Bail out! the variant $1 changes nothing in nginx.conf.in"
		exit 1
	fi
}

# e5: ftboot check --only E5 on the stack copy, JSON in $tmp/e5.json;
# $rc its status, $took its wall time (ms).
e5() {
	local t0=${EPOCHREALTIME/./}
	(cd "$proj" && "$FTBOOT" -f srcs/stack.yaml check --address 127.0.0.1 --only E5 --json) \
		>"$tmp/e5.json" 2>"$tmp/e5.err"
	rc=$?
	took=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

# field NAME: the E5 result's field (evidence: its lines).
field() {
	"$py" -c 'import json, sys
r = json.load(open(sys.argv[1]))["checks"][0]
v = r.get(sys.argv[2], "")
print("\n".join(v) if isinstance(v, list) else v)' "$tmp/e5.json" "$1" 2>/dev/null
}

# failed LABEL WANT_EXPECTED WANT_SEEN WANT_HINT: E5 failed (exit 1) and
# its expected, seen and hint hold these (fixed strings; an empty
# WANT_HINT: no hint).
failed() {
	local label=$1
	[ "$rc" = 1 ] && [ "$(field status)" = fail ]
	ok $? "$label: E5 fails, ftboot check exits 1 ($rc, $took ms) $(head -c 200 "$tmp/e5.err")"
	grep -qF -- "$2" <<<"$(field expected)"
	ok $? "$label: expected says '$2' ($(field expected))"
	grep -qF -- "$3" <<<"$(field seen)"
	ok $? "$label: seen says '$3' ($(field seen))"
	if [ -n "$4" ]; then
		grep -qF -- "$4" <<<"$(field hint)"
		ok $? "$label: the hint says '$4' ($(field hint))"
	else
		is "$(field hint)" "" "$label: no hint (the kind has none for it, the request neither)"
	fi
}

h=https://127.0.0.1:$https_port

# --- The real configuration, the stack's certificate: E5 passes.
serve real "$src/nginx.conf.in" "$tmp/tls-stack"
ok $? "the entry point serves the real nginx.conf.in with the stack's certificate"
e5
[ "$rc" = 0 ] && [ "$(field status)" = pass ]
ok $? "real configuration: E5 passes ($rc, $took ms) $(field seen) $(head -c 300 "$tmp/e5.err")"
ev=$(field evidence)
while IFS= read -r l; do echo "#   $l"; done <<<"$ev"
grep -qE "^GET http://127.0.0.1:$http_port/ -> 301 Moved Permanently, Location: https://127.0.0.1/ \([0-9]+ ms\)$" <<<"$ev"
ok $? "evidence: GET http://IP:PORT/ -> 301 Moved Permanently, Location: https://IP/ (N ms)"
grep -qiE "^  < Server: nginx" <<<"$ev" && grep -qiE "^  < Location: https://127.0.0.1/$" <<<"$ev"
ok $? "evidence: the answers' header lines (Server, Location)"
grep -qE "^GET $h/ -> 200 OK \([0-9]+ ms\)$" <<<"$ev"
ok $? "evidence: GET https://IP:PORT/ -> 200 OK, over the pinned certificate"
grep -qE "^GET $h/wordpress -> 307 Temporary Redirect, Location: http://127.0.0.1:$wp_port/ \([0-9]+ ms\)$" <<<"$ev"
ok $? "evidence: /wordpress -> 307 to http://IP:WORDPRESS_PORT/"
grep -qE "^  GET $h/phpmyadmin/themes/x.css -> 200 OK, text/css, 24 bytes" <<<"$ev" &&
	grep -qE "^  GET $h/phpmyadmin/js/y.js -> 200 OK, application/javascript, 16 bytes" <<<"$ev"
ok $? "evidence: the page's CSS and JS fetched through /phpmyadmin/, each 200 with its type"
is "$(tr '\n' ' ' <"$tmp/pma.log")" "/ /themes/x.css /js/y.js " \
	"the stand-in saw the page and its two assets, once each"
[ "$took" -lt 3000 ]
ok $? "E5 on loopback within 3 s ($took ms)"

# --- A page whose assets are absolute: they miss the /phpmyadmin/ prefix.
printf '%s' '<html><head><title>phpMyAdmin</title><link rel="stylesheet" href="/themes/x.css">' \
	'<script src="./js/y.js?v=1&amp;l=en"></script></head><body>phpMyAdmin <form id="login_form"><input name="pma_username"></form></body></html>' >"$tmp/pma-page.html"
e5
failed "absolute asset links" "$h/themes/x.css -> 200 (text/css)" "404 Not Found" "proxy_pass with its trailing slash"
grep -qF "  GET $h/phpmyadmin/js/y.js?v=1&l=en -> 200 OK" <<<"$(field evidence)"
ok $? "absolute asset links: the relative one (&amp; decoded) still loads through the proxy"
rm -f "$tmp/pma-page.html"

# --- 302 instead of 301.
# shellcheck disable=SC2016 # nginx's $request_uri, for sed
variant 302 's|return 301 https://@LB_IP@\$request_uri;|return 302 https://@LB_IP@$request_uri;|'
serve 302 "$tmp/302.conf.in" "$tmp/tls-stack"
e5
failed "302 instead of 301" "http://127.0.0.1:$http_port/ -> 301" "302 Moved Temporarily" "return 301"
grep -qF 'srcs/nginx/nginx.conf.in' <<<"$(field hint)"
ok $? "302 instead of 301: the hint names srcs/nginx/nginx.conf.in"

# --- /wordpress sent elsewhere than IP:WORDPRESS_PORT.
variant wp307 's|return 307 http://@LB_IP@:@WORDPRESS_PORT@/|return 307 http://localhost:@WORDPRESS_PORT@/|'
serve wp307 "$tmp/wp307.conf.in" "$tmp/tls-stack"
e5
failed "a wrong 307 target" "Location: starting http://127.0.0.1:$wp_port/" \
	"Location: http://localhost:$wp_port/" "return 307 http://@LB_IP@:@WORDPRESS_PORT@/"

# --- proxy_pass without its trailing slash: /phpmyadmin/ reaches the upstream as is.
variant noslash 's|proxy_pass http://@PHPMYADMIN_HOST@:@PHPMYADMIN_PORT@/;|proxy_pass http://@PHPMYADMIN_HOST@:@PHPMYADMIN_PORT@;|'
serve noslash "$tmp/noslash.conf.in" "$tmp/tls-stack"
: >"$tmp/pma.log"
e5
failed "proxy_pass without its trailing slash" "$h/phpmyadmin/ -> 200" "404 Not Found" "with its trailing slash"
is "$(tr '\n' ' ' <"$tmp/pma.log")" "/phpmyadmin/ " "without the slash the upstream is asked /phpmyadmin/, not /"

# --- Another self-signed certificate (the entry point makes its own).
serve other "$src/nginx.conf.in" "$tmp/tls-other"
[ -s "$tmp/tls-other/cert.pem" ] && ! cmp -s "$tmp/tls-other/cert.pem" "$tmp/tls-stack/cert.pem"
ok $? "the entry point made and serves a certificate of its own"
e5
failed "another certificate" "an answer from $h/" "is not the one pinned" "the stack's own certificate"
[ "$(grep -c ' -> 200 OK' <<<"$(field evidence)")" = 0 ]
ok $? "another certificate: no https answer was accepted"

# --- Checklists of the test's own, against the real configuration.
serve real2 "$src/nginx.conf.in" "$tmp/tls-stack"
cp "$proj/srcs/checks.yaml" "$tmp/checks.yaml.repo"
checks() {
	printf 'checks:\n  - id: E5\n    title: t\n    kind: http\n    requests:\n' >"$proj/srcs/checks.yaml"
	cat >>"$proj/srcs/checks.yaml"
}
checks <<EOF
      - url: $h/
        tls: verify
        expect: {status: 200}
EOF
e5
failed "tls: verify" "an answer from $h/" "not signed by a CA this system trusts" "tls: stack"
checks <<EOF
      - url: $h/
        tls: unverified
        expect: {status: 200, body: "<h1>ft_services</h1>", body_not: "nginx/[0-9]", headers: {Content-Type: "^text/html"}}
EOF
e5
[ "$rc" = 0 ] && grep -qF "TLS not verified (tls: unverified)" <<<"$(field evidence)"
ok $? "tls: unverified with nothing secret to send: passes, the evidence says it was not verified ($rc)"
checks <<EOF
      - url: $h/
        tls: stack
        expect: {status: 200, body: "^nothing like this", headers: {X-Absent: "."}}
EOF
e5
failed "body and header patterns" "a body matching /^nothing like this/" "bytes without it" ""
grep -qF "also: expected X-Absent: matching /./, saw no X-Absent header" <<<"$(field evidence)"
ok $? "body and header patterns: the second failure is in the evidence"
for bad in 'headers: ["Authorization: Bearer x"]' 'headers: ["cookie: a=b"]' 'body: "x=1"'; do
	checks <<EOF
      - url: $h/
        $bad
        tls: unverified
        expect: {status: 200}
EOF
	e5
	[ "$rc" != 0 ] && grep -qF "srcs/checks.yaml:8:14: checks[0].requests[0].tls: a request with" "$tmp/e5.err" &&
		grep -qF "may not go over an unverified channel" "$tmp/e5.err"
	ok $? "tls: unverified with $bad: refused at line 8, column 14 ($(head -c 200 "$tmp/e5.err"))"
done
checks <<EOF
      - url: $h/
        expect: {status: 301, location: {regex: "(unclosed"}}
EOF
e5
[ "$rc" != 0 ] && grep -qF "checks[0].requests[0].expect.location.regex: not a POSIX extended regular expression" "$tmp/e5.err"
ok $? "a location regex that does not compile is refused ($(head -c 200 "$tmp/e5.err"))"
checks <<EOF
      - url: http://127.0.0.1:$http_port/
        tls: stack
        expect: {status: 301}
EOF
e5
[ "$rc" != 0 ] && grep -qF "tls is for https:// URLs" "$tmp/e5.err"
ok $? "tls on an http:// URL is refused"
cp "$tmp/checks.yaml.repo" "$proj/srcs/checks.yaml"

# --- No certificate in the state: tls: stack fails, saying so.
mv "$sdir/service" "$sdir/service.away"
e5
failed "no stack certificate" "the stack's own TLS certificate" "no service/tls-cert.pem in the state" "ftboot up"
mv "$sdir/service.away" "$sdir/service"

done_testing
