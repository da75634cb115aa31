#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make e2e-laptop: the whole real thing, on a laptop with KVM, libvirt and
# internet. A copy of the repository's srcs/, templates/ and images/ runs as
# the stack "fte2e" on its own network (192.168.62.0/24, not ft's .61), so a
# stack "ft" of yours is left alone; its state is private and removed at the
# end. ./setup.sh brings it up, every check the project has runs against it
# (ftboot status; ftboot check --all, its JUnit and HTML report kept in
# $FTBOOT_E2E_OUT (default ./e2e-out); then, as a second opinion, EVAL.md's
# E1, E3-E8 and E13 here with curl, kubectl and ssh), each printed as TAP, and
# `ftboot down` takes it away, also when a check fails or you press Ctrl-C.
# Exit 77 (skip) with the reason when a precondition is missing.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
top=$FTBOOT_TOP
for t in curl kubectl ssh setsid /usr/bin/python3; do
	command -v "$t" >/dev/null || skip_all "$t is missing (needed by the checks)"
done
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip_all "/dev/kvm is missing or not usable by $(id -un) (group kvm?)"
fi
if command -v virsh >/dev/null; then
	virsh -c qemu:///system version >/dev/null 2>&1 || skip_all "libvirtd does not answer on qemu:///system (is it running? group libvirt?)"
else
	[ -S /var/run/libvirt/libvirt-sock ] || skip_all "libvirtd's socket /var/run/libvirt/libvirt-sock is missing"
fi
url=$(sed -n 's/^ *url: *//p' "$top/images/alpine/image.yaml" | head -n 1)
curl -fsI --max-time 20 -o /dev/null "$url" 2>/dev/null || skip_all "no internet: the Alpine image $url does not answer"

scratch
work=$tmp/stack
mkdir -p "$work" && cp -r "$top/srcs" "$top/templates" "$top/images" "$work/"
sed -i -e 's/^name: ft$/name: fte2e/' -e 's/ftboot-ft\b/ftboot-fte2e/' -e 's/192\.168\.61\./192.168.62./g' \
	"$work/srcs/stack.yaml"
stack=$work/srcs/stack.yaml name=fte2e
# Never the user's stack: the copy must have its own name, network and addresses.
if ! grep -qx "name: $name" "$stack" || grep -q 'ftboot-ft\b\|192\.168\.61\.' "$stack"; then
	echo "laptop.sh: could not make the e2e copy of srcs/stack.yaml a stack of its own" >&2
	exit 1
fi
ft() { "$FTBOOT" -f "$stack" "$@"; }
up=0
# shellcheck disable=SC2317 # the trap calls it
finish() {
	[ "$up" = 0 ] || { echo "# ftboot down"; ft down >&2 || echo "# ftboot down failed: see above"; }
	rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
up=1
"$top/setup.sh" -f "$stack" up >&2
ok $? "./setup.sh -f (the e2e copy of srcs/stack.yaml) up"
echo "# up took $(($(date +%s) - t0)) s"
ft status >/dev/null
ok $? "ftboot status"
out=${FTBOOT_E2E_OUT:-$PWD/e2e-out}
mkdir -p "$out"
ft check --all --junit "$out/check.xml" --report "$out/check.html" >&2
ok $? "ftboot check --all (report: $out/check.html)"

kc=$(ft kubeconfig)
k() { kubectl --kubeconfig "$kc" "$@"; }
secret() { cat "$FTBOOT_STATE_DIR/$name/secrets/$1"; }
value() { /usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["values"][sys.argv[2]])' "$stack" "$1"; }

# E1: layout.
[ -x "$top/setup.sh" ] && [ -d "$top/srcs" ] && ! grep -rq port-forward "$top/setup.sh" "$top/srcs"
ok $? "E1 setup.sh at the root, srcs/, no port-forward"
# E3: names, all pods Ready.
svcs=(nginx wordpress phpmyadmin mysql ftps grafana influxdb telegraf)
for s in "${svcs[@]}"; do
	is "$(k get deployment "$s" -o 'jsonpath={.spec.template.spec.containers[*].name}' 2>&1)" "$s" \
		"E3 Deployment $s, its container $s"
done
k wait --for=condition=Ready pod --all --timeout=300s >/dev/null
ok $? "E3 every pod Ready"
# E4: types, one LB address.
types=$(k get svc -o 'jsonpath={range .items[*]}{.metadata.name}={.spec.type} {end}')
for s in nginx wordpress phpmyadmin ftps grafana; do
	[[ " $types" == *" $s=LoadBalancer "* ]]
	ok $? "E4 $s is a LoadBalancer"
done
for s in mysql influxdb; do
	[[ " $types" == *" $s=ClusterIP "* ]]
	ok $? "E4 $s is ClusterIP"
done
[[ $types != *NodePort* ]]
ok $? "E4 no NodePort"
ips=$(k get svc -A -o 'jsonpath={range .items[?(@.spec.type=="LoadBalancer")]}{.status.loadBalancer.ingress[0].ip}{"\n"}{end}' | sort -u)
ip=$(head -n 1 <<<"$ips")
[ "$(wc -l <<<"$ips")" = 1 ] && [ -n "$ip" ] && [ "$ip" != 127.0.0.1 ] && [[ $ip != *.0 && $ip != *.255 ]]
ok $? "E4 every LoadBalancer on one address: $(tr '\n' ' ' <<<"$ips")"

# E5: nginx.
c() { curl -ks --max-time 20 "$@"; }
[[ $(c -o /dev/null -w '%{http_code} %{redirect_url}' "http://$ip/e2e") == "301 https://$ip/"* ]]
ok $? "E5 http://$ip/ answers 301 to https://$ip/..."
[[ $(c -o /dev/null -w '%{http_code}' "https://$ip/") == [23]?? ]]
ok $? "E5 https://$ip/ is not an error"
[[ $(c -o /dev/null -w '%{http_code} %{redirect_url}' "https://$ip/wordpress") == "307 http"*"$ip:5050"* ]]
ok $? "E5 /wordpress answers 307 to $ip:5050"
page=$(c "https://$ip/phpmyadmin/")
grep -q pma_username <<<"$page"
ok $? "E5 /phpmyadmin/ is phpMyAdmin's login page"
asset=$(grep -oE '(href|src)="[^"]+\.(css|js)[^"]*"' <<<"$page" | head -n 1 | sed -E 's/^[a-z]+="//; s/"$//; s/&amp;/\&/g')
asset=${asset:-no-asset-found-on-the-page}
case $asset in
http*) ;; /*) asset=https://$ip$asset ;; *) asset=https://$ip/phpmyadmin/${asset#./} ;;
esac
is "$(c -o /dev/null -w '%{http_code}' "$asset")" 200 "E5 and its asset $asset loads through the proxy"

# E6: SSH with the generated password (SSH_ASKPASS: no sshpass needed).
printf '#!/bin/sh\ncat "%s"\n' "$FTBOOT_STATE_DIR/$name/secrets/ssh_password" >"$tmp/askpass" && chmod 700 "$tmp/askpass"
got=$(DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh -p 22 -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o ConnectTimeout=20 \
	"$(value ssh_user)@$ip" echo e6 </dev/null 2>/dev/null)
is "$got" e6 "E6 ssh $(value ssh_user)@$ip runs a command"

# E7: FTPS, explicit TLS; plain login refused.
head -c 65536 /dev/urandom >"$tmp/up.bin"
fu=(--user "$(value ftp_user):$(secret ftp_password)")
c --ssl-reqd "${fu[@]}" -T "$tmp/up.bin" "ftp://$ip:21/e2e.bin" &&
	c --ssl-reqd "${fu[@]}" -o "$tmp/down.bin" "ftp://$ip:21/e2e.bin" && cmp -s "$tmp/up.bin" "$tmp/down.bin"
ok $? "E7 AUTH TLS login, upload, download: the same bytes"
curl -s --max-time 20 "${fu[@]}" "ftp://$ip:21/" >/dev/null
is $? 67 "E7 a plain FTP login is refused (curl: login denied)"

# E8: WordPress installed, the administrator logs in, N further users.
wp=http://$ip:5050
grep -q user_login <<<"$(c "$wp/wp-login.php")"
ok $? "E8 WordPress's login page on $ip:5050"
loc=$(c -c "$tmp/jar" -b wordpress_test_cookie=WP%20Cookie%20check -o /dev/null -w '%{redirect_url}' \
	--data-urlencode "log=$(value wp_admin_user)" --data-urlencode "pwd=$(secret wp_admin_password)" \
	-d testcookie=1 "$wp/wp-login.php")
[[ $loc == *wp-admin* ]]
ok $? "E8 the administrator logs in (to $loc)"
users=$(c -b "$tmp/jar" "$wp/wp-admin/users.php" | grep -cE "<tr id=[\"']user-")
[ "$users" -ge $(($(value wp_user_count) + 1)) ]
ok $? "E8 $users users: the administrator and at least $(value wp_user_count) more"

# E13: the dashboard over HTTPS, its token accepted.
mapfile -t dash < <(ft dashboard --token)
[[ $(c -o /dev/null -w '%{http_code}' "${dash[0]:-none}/") == 200 ]]
ok $? "E13 the dashboard answers at ${dash[0]:-(no URL)}"
grep -q namespaces <<<"$(c -H "Authorization: Bearer ${dash[1]:-}" "${dash[0]:-none}/api/v1/namespace")"
ok $? "E13 ftboot dashboard's token is accepted"
done_testing
