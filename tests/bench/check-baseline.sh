#!/usr/bin/env bash
# shellcheck disable=SC2154,SC2015 # the variables come from ENV (loopstack_env); A && B || fail: fail ends the script
# tests/bench/check-baseline.sh ENV IDS: the checks of `ftboot check --only
# IDS` done the way public ft_services test scripts do them: one after the
# other, with curl, lftp, ssh, the mysql client, kubectl and docker, and
# grep (and the mysql client and openssl). The baseline of tests/bench/check.sh, run against the same servers
# (tests/servers/loopstack.sh: ENV is the file `loopstack.sh up` writes).
# It checks the same things as the checks (see each section) and exits 1
# at the first that fails, saying which: it is not a stand-in that always
# passes.
set -u
[ $# -eq 2 ] || { echo "usage: check-baseline.sh ENV IDS" >&2; exit 2; }
# shellcheck disable=SC1090 # loopstack's variables
. "$1"
ids=,$2,
addr=127.0.0.1
py=/usr/bin/python3
proj=$(dirname "$(dirname "$loopstack_stack")")
export KUBECONFIG=$kube_dir/kubeconfig
work=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-baseline.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
	echo "baseline: $*" >&2
	exit 1
}
sel() { [[ $ids == *",$1,"* ]]; }
# An id without a section here would pass unchecked: refused.
for id in ${2//,/ }; do
	case $id in
	E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9 | E10 | E13) ;;
	*) echo "baseline: no section for $id" >&2 && exit 2 ;;
	esac
done
# value NAME: values.NAME of the stack.
value() { $py -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["values"][sys.argv[2]])' "$loopstack_stack" "$1"; }
secret() { cat "$st/secrets/$1"; }
# The stack's services and their types, from srcs/stack.yaml.
services() { $py -c 'import sys, yaml
for n, s in yaml.safe_load(open(sys.argv[1]))["services"].items():
    print(n, (s or {}).get("type", "LoadBalancer"))' "$loopstack_stack"; }

if sel E1; then # setup.sh executable at the root, srcs/ a directory, no port-forward
	[ -f "$proj/setup.sh" ] && [ -x "$proj/setup.sh" ] || fail "E1: no executable setup.sh"
	[ -d "$proj/srcs" ] || fail "E1: no srcs/"
	! grep -rqF "port-forward" "$proj/setup.sh" "$proj/srcs" || fail "E1: port-forward in the sources"
fi
if sel E2; then # every FROM: alpine pinned (a tag but latest, or a digest), or ftboot/SERVICE of the stack
	for f in "$proj"/srcs/*/Dockerfile; do
		while read -r _ img _; do
			img=${img#docker.io/}
			img=${img#library/}
			case $img in
			alpine@* | alpine:*@*) ;;
			alpine | alpine:latest) fail "E2: $f: $img is not pinned" ;;
			alpine:*) ;;
			ftboot/*:* | ftboot/*@*) [[ $img == *:latest ]] || fail "E2: $f: $img (the stack's images are untagged)" ;;&
			ftboot/*)
				x=${img#ftboot/}
				services | grep -q "^${x%:latest} " || fail "E2: $f: $img is not a service of the stack"
				;;
			*) fail "E2: $f: FROM $img, not alpine or a local image" ;;
			esac
		done < <(grep -i '^FROM ' "$f")
	done
fi
if sel E3; then # a Deployment per service, its containers named so, ready; every pod Ready
	while read -r s type; do
		[ "$type" = None ] && [ ! -d "$proj/srcs/$s" ] && continue
		r=$(kubectl get deployment "$s" -o jsonpath='{.spec.template.spec.containers[*].name} {.status.readyReplicas}/{.spec.replicas}') ||
			fail "E3: no Deployment $s"
		[[ " $r " == *" $s "* ]] || fail "E3: Deployment $s has no container $s: $r"
		[[ ${r##* } =~ ^([0-9]+)/([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
			fail "E3: Deployment $s not ready: ${r##* }"
	done < <(services)
	kubectl get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' >"$work/pods" ||
		fail "E3: kubectl get pods"
	[ -s "$work/pods" ] || fail "E3: no pod"
	! grep -qv ' True$' "$work/pods" || fail "E3: pods not Ready: $(grep -v ' True$' "$work/pods")"
fi
if sel E4; then # Service types as the stack says; the LoadBalancers share one address, not 127.0.0.1
	shared=
	while read -r s type; do
		[ "$type" = None ] && continue
		t=$(kubectl get service "$s" -o jsonpath='{.spec.type} {.status.loadBalancer.ingress[0].ip}') ||
			fail "E4: no Service $s"
		[ "${t%% *}" = "$type" ] || fail "E4: Service $s is ${t%% *}, not $type"
		[ "$type" = LoadBalancer ] || continue
		ip=${t#* }
		[[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] && [ "$ip" != 127.0.0.1 ] &&
			[[ $ip != *.0 ]] && [[ $ip != *.255 ]] || fail "E4: Service $s LB address '$ip'"
		[ -z "$shared" ] || [ "$ip" = "$shared" ] || fail "E4: Service $s on $ip, not $shared"
		shared=$ip
	done < <(services)
	! kubectl get services -A -o jsonpath='{.items[*].spec.type}' | grep -qw NodePort || fail "E4: a NodePort Service"
fi
if sel E5; then # nginx: 301 to https, https with the stack's certificate pinned, 307 to WordPress, /phpmyadmin/ and its CSS/JS
	pin=sha256//$(openssl x509 -in "$svc/tls-cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	# -k: the certificate names the stack's LB address; the pin is checked all the same.
	c=(curl -sS -k --pinnedpubkey "$pin" --max-time 10)
	hs=https://$addr:$https_port
	r=$("${c[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://$addr:$http_port/")
	[[ $r == "301 https://$addr/"* ]] || fail "E5: http://$addr:$http_port/ answered $r"
	r=$("${c[@]}" -o /dev/null -w '%{http_code}' "$hs/") || fail "E5: $hs/ (the pinned certificate)"
	[[ $r == [23]?? ]] || fail "E5: $hs/ answered $r"
	r=$("${c[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$hs/wordpress")
	[[ $r == "307 http://$addr:$wp_port/"* ]] || fail "E5: $hs/wordpress answered $r"
	"${c[@]}" --fail -o "$work/pma-proxy.html" "$hs/phpmyadmin/" || fail "E5: $hs/phpmyadmin/"
	grep -q phpMyAdmin "$work/pma-proxy.html" || fail "E5: $hs/phpmyadmin/ is not phpMyAdmin's page"
	# Its stylesheets and scripts, relative to /phpmyadmin/, each through the proxy.
	{
		tr '\n' ' ' <"$work/pma-proxy.html" | grep -oE '<link [^>]*>' | grep 'rel="stylesheet"' | grep -oE 'href="[^"]*"'
		tr '\n' ' ' <"$work/pma-proxy.html" | grep -oE '<script [^>]*src="[^"]*"' | grep -oE 'src="[^"]*"'
	} | sed -E 's/^(href|src)="//; s/"$//; s/&amp;/\&/g' >"$work/assets"
	[ -s "$work/assets" ] || fail "E5: no CSS or JS in $hs/phpmyadmin/"
	while read -r a; do
		case $a in
		http*://*) u=$a ;;
		/*) u=$hs$a ;;
		*) u=$hs/phpmyadmin/$a ;;
		esac
		r=$("${c[@]}" -o /dev/null -w '%{http_code}' "$u")
		[ "$r" = 200 ] || fail "E5: $u answered $r"
	done <"$work/assets"
fi
if sel E6; then # password login to nginx's sshd, its host key pinned, a command's output
	echo "[$addr]:$ssh_port $(cut -d' ' -f1,2 "$svc/ssh_host_ed25519_key.pub")" >"$work/known_hosts"
	printf '#!/bin/sh\ncat %q\n' "$st/secrets/ssh_password" >"$work/askpass" && chmod 700 "$work/askpass"
	o=$(SSH_ASKPASS=$work/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none setsid -w ssh -p "$ssh_port" \
		-o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=no \
		-o PreferredAuthentications=password,keyboard-interactive -o PubkeyAuthentication=no \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 "$ssh_user@$addr" echo ftboot-check </dev/null 2>"$work/ssh.err") ||
		fail "E6: ssh: $(tail -1 "$work/ssh.err")"
	[ "$o" = ftboot-check ] || fail "E6: the command said '$o'"
fi
if sel E7; then # FTPS (AUTH TLS, the stack's certificate): upload, download, same bytes, delete; plain refused
	head -c 65536 /dev/urandom >"$work/up.bin"
	# lftp reads its commands from a file (-f): the password is in no
	# command line.
	lftp_run() { # lftp_run SETTINGS COMMANDS: one session, its output in $work/lftp.out
		printf 'set ssl:ca-file "%s"; set ssl:check-hostname no; set net:max-retries 1; set net:timeout 10; %s\nopen -u "%s","%s" -p %s %s\n%s\n' \
			"$svc/tls-cert.pem" "$1" "$ftp_user" "$(secret ftp_password)" "$ftp_port" "$addr" "$2" >"$work/lftp.cmds"
		lftp -f "$work/lftp.cmds" >"$work/lftp.out" 2>&1
	}
	lftp_run "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:passive-mode true" \
		"put $work/up.bin -o ftboot-baseline.bin; get ftboot-baseline.bin -o $work/down.bin; rm ftboot-baseline.bin" ||
		fail "E7: lftp over TLS: $(tail -1 "$work/lftp.out")"
	cmp -s "$work/up.bin" "$work/down.bin" || fail "E7: the downloaded bytes differ"
	if lftp_run "set ftp:ssl-allow false" "ls"; then
		fail "E7: a plain FTP login was accepted"
	fi
	mv "$work/lftp.out" "$work/plain.out"
	grep -q '530' "$work/plain.out" || fail "E7: plain FTP not refused with 530: $(tail -1 "$work/plain.out")"
fi
if sel E8; then # WordPress: the administrator's login (302 to wp-admin), then its users through the REST API
	wp=http://$addr:$wp_port
	admin=$(value wp_admin_user)
	min=$(value wp_user_count)
	jar=$work/wp.jar
	curl -sS --fail --max-time 10 -o /dev/null -c "$jar" "$wp/wp-login.php" || fail "E8: GET $wp/wp-login.php"
	loc=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" \
		--data-urlencode "log=$admin" --data-urlencode "pwd=$(secret wp_admin_password)" \
		-d wp-submit=Log+In -d testcookie=1 "$wp/wp-login.php")
	[ "$loc" = "302 $wp/wp-admin/" ] && grep -q wordpress_logged_in "$jar" || fail "E8: the login of $admin: $loc"
	nonce=$(curl -sS --fail --max-time 10 -b "$jar" "$wp/wp-admin/admin-ajax.php?action=rest-nonce") ||
		fail "E8: no REST nonce"
	total=$(curl -sS --fail --max-time 10 -o /dev/null -D - -b "$jar" -H "X-WP-Nonce: $nonce" \
		"$wp/?rest_route=/wp/v2/users&context=edit&per_page=1" | tr -d '\r' | awk 'tolower($1) == "x-wp-total:" { print $2 }')
	[ -n "$total" ] && [ "$total" -ge $((min + 1)) ] || fail "E8: $total users, want the administrator and $min more"
fi
if sel E9; then # phpMyAdmin's cookie login as the database user, the WordPress tables listed; and by the mysql client
	pma=http://$addr:$pma_port
	jar=$work/pma.jar
	want=(wp_users wp_usermeta wp_posts wp_postmeta wp_options wp_comments)
	curl -sS --fail --max-time 10 -c "$jar" "$pma/" >"$work/pma.html" || fail "E9: GET $pma/"
	token=$(grep -o 'name="token" value="[^"]*"' "$work/pma.html" | head -1 | sed 's/.*value="//; s/"$//')
	session=$(grep -o 'name="set_session" value="[^"]*"' "$work/pma.html" | head -1 | sed 's/.*value="//; s/"$//')
	[ -n "$token" ] || fail "E9: no login form with a token"
	code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" --data-urlencode pma_username=wordpress \
		--data-urlencode "pma_password=$(secret wp_db_password)" -d server=1 -d "token=$token" \
		-d "set_session=$session" -d route=/ "$pma/index.php?route=/")
	[ "$code" = 302 ] || fail "E9: the login answered $code"
	curl -sS --fail --max-time 10 -b "$jar" "$pma/index.php?route=/database/structure&db=wordpress&server=1" |
		tr '\n' ' ' | grep -o 'name="selected_tbl\[\]" *class="checkall" *value="[^"]*"' | sed 's/.*value="//; s/"$//' >"$work/tables"
	for t in "${want[@]}"; do
		grep -qx "$t" "$work/tables" || fail "E9: phpMyAdmin does not list $t ($(wc -l <"$work/tables") tables)"
	done
	MYSQL_PWD=$(secret wp_db_password) mysql --no-defaults -h "$addr" -P "$db_port" -u wordpress -N -B wordpress \
		-e 'SHOW TABLES' >"$work/mtables" 2>"$work/mysql.err" || fail "E9: mysql: $(cat "$work/mysql.err")"
	for t in "${want[@]}"; do
		grep -qx "$t" "$work/mtables" || fail "E9: no table $t in wordpress (mysql)"
	done
fi
if sel E10; then # Grafana: basic auth, the InfluxDB data source healthy, a dashboard per service with points
	g=(curl -sS --fail --max-time 10 -u "$grafana_user:$(secret grafana_admin_password)")
	gu=http://$addr:$grafana_port
	"${g[@]}" "$gu/api/datasources" >"$work/ds.json" || fail "E10: login refused"
	uid=$($py -c 'import json,sys; print([d["uid"] for d in json.load(sys.stdin) if d["name"] == "InfluxDB"][0])' <"$work/ds.json") ||
		fail "E10: no data source InfluxDB"
	"${g[@]}" "$gu/api/datasources/uid/$uid/health" | grep -q '"status": *"OK"' || fail "E10: the data source is not healthy"
	"${g[@]}" "$gu/api/search?type=dash-db" >"$work/search.json" || fail "E10: search"
	while read -r s _; do
		[ -d "$proj/srcs/$s" ] || continue
		duid=$($py -c 'import json,sys; print([d["uid"] for d in json.load(sys.stdin) if sys.argv[1] in d.get("tags", []) or d["title"] == sys.argv[1]][0])' \
			"$s" <"$work/search.json") || fail "E10: no dashboard for $s"
		"${g[@]}" "$gu/api/dashboards/uid/$duid" | $py -c 'import json,sys
for p in json.load(sys.stdin)["dashboard"]["panels"]:
    if p.get("targets"):
        print(json.dumps({"queries": [dict(t, intervalMs=60000, maxDataPoints=100) for t in p["targets"]],
                          "from": "now-1h", "to": "now"}))' >"$work/q.jsonl" ||
			fail "E10: dashboard $duid"
		[ -s "$work/q.jsonl" ] || fail "E10: dashboard $duid: no panel with a query"
		while IFS= read -r q; do # each panel's query
			"${g[@]}" -H 'Content-Type: application/json' --data-binary "$q" "$gu/api/ds/query" |
				$py -c 'import json,sys
r = json.load(sys.stdin)["results"]
sys.exit(0 if any(f["data"]["values"] and f["data"]["values"][0] for v in r.values() for f in v.get("frames", [])) else 1)' ||
				fail "E10: dashboard $duid: a panel has no point over the last hour"
		done <"$work/q.jsonl"
	done < <(services)
fi
if sel E13; then # the dashboard over HTTPS (unverified, no credential); a token of the account accepted by its login API
	read -r ns account < <($py -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1])).get("dashboard") or {}
print(d.get("namespace", "kubernetes-dashboard"), d.get("account", "ftboot-admin"))' "$loopstack_stack")
	[ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "https://$addr:$lb_port/")" = 200 ] ||
		fail "E13: the dashboard does not answer on https://$addr:$lb_port/"
	server=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
	kubectl config view --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d >"$work/c.pem"
	kubectl config view --raw -o jsonpath='{.users[0].user.client-key-data}' | base64 -d >"$work/k.pem"
	kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.pem"
	# The TokenRequest API with curl, as `kubectl create token` does (which
	# Debian's kubernetes-client 1.20 does not have).
	curl -sS --fail --max-time 10 --cacert "$work/ca.pem" --cert "$work/c.pem" --key "$work/k.pem" \
		-H 'Content-Type: application/json' \
		--data-binary '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}}' \
		"$server/api/v1/namespaces/$ns/serviceaccounts/$account/token" >"$work/token.json" 2>"$work/token.err" ||
		fail "E13: no token: $(cat "$work/token.err")"
	token=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"]["token"])' "$work/token.json") ||
		fail "E13: no token in the TokenRequest's answer"
	printf '{"token":"%s"}' "$token" >"$work/login.json"
	curl -sS --fail --max-time 10 --cacert "$work/ca.pem" --cert "$work/c.pem" --key "$work/k.pem" \
		-H 'Content-Type: application/json' --data-binary @"$work/login.json" \
		"$server/api/v1/namespaces/$ns/services/https:kubernetes-dashboard:443/proxy/api/v1/login" >"$work/login.out" ||
		fail "E13: the login API refused the token"
	grep -q '"jweToken": *"[^"]' "$work/login.out" || fail "E13: no jweToken"
fi
