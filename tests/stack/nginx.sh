#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The nginx container (R6, R7, R8; E5, E6): the repository's
# srcs/nginx/entrypoint.sh, nginx.conf.in, sshd_config and www/ run under
# `setsid busybox sh` with Debian's nginx (nginx-light) and sshd on
# loopback. Substituted, and only these: the listen ports 80, 443 and 22
# by free ports; the run, TLS and host-key directories by scratch ones;
# the nginx workers' user nginx by Debian's www-data; the programs and
# files by the Debian and repository ones (openssl, ssh-keygen, useradd
# and chpasswd are Debian's under the same names; NGINX_CONF_DIR, for
# mime.types, is Debian's /etc/nginx, only read). phpMyAdmin is a
# stand-in: a python http.server answering a page that loads themes/x.css
# and js/y.js relatively, a 1 MiB script, its request headers and a
# redirect to its own address.
#
# Each start of the entry point runs in a private mount namespace whose
# /etc, /var, /run and /home are overlays on scratch directories (kept
# across the starts, as one container's file system): the entry point's
# useradd and chpasswd, the test's root password and sshd's login records
# land there, so the system's users and files are never touched, even if
# the test is killed. "Nothing left" is checked by that namespace: no
# process of it remains.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
. "$(dirname "$0")/_nginx.sh"
nginx_require
nginx_scratch
lb=192.0.2.10
wp_port=5050
user=ftbnginx$$
# Quotes, a dollar, a backslash, spaces (also at the ends) and é.
password=" a'b\"c\$d\\e é "
state=$tmp/state

ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

status_of() { curl -s -o /dev/null --max-time 10 -w '%{http_code} %{redirect_url}' "$@"; }

# ssh_as USER PASSWORD CMD: a password login to the test's sshd.
# shellcheck disable=SC2016 # the askpass script expands it
printf '#!/bin/sh\ncat "$ASKPASS_FILE"\n' >"$tmp/askpass"
chmod 755 "$tmp/askpass"
ssh_as() {
	printf '%s' "$2" >"$tmp/pw"
	ASKPASS_FILE=$tmp/pw SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		timeout 30 ssh -F /dev/null -p "$ssh_port" -o UserKnownHostsFile="$tmp/known_hosts" \
		-o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 \
		-o PreferredAuthentications=password -o PubkeyAuthentication=no \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 -o LogLevel=ERROR \
		"$1@127.0.0.1" "$3" </dev/null 2>"$tmp/ssh.err"
}

# The stand-in phpMyAdmin.
nginx_standin "$pma_port" "$tmp/pma.log" || {
	echo "Bail out! the stand-in phpMyAdmin did not start"
	exit 1
}

# --- The template gives the entry point what it checks.
mkdir -p "$tmp/render"
stack_render "$tmp/render"
ok $? "ftboot render --show-secrets renders the stack"
svc_dir=$(stack_service "$tmp/render")
ok $? "the render made the stack's service keys in its state (${svc_dir:-none})"
"$py" - "$tmp/render/manifests.yaml" "$svc_dir" <<'EOF' >"$tmp/tpl.out" 2>&1
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def state(name):
    return open(os.path.join(sys.argv[2], name)).read()
svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "nginx")
dep = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "nginx")
c = dep["spec"]["template"]["spec"]["containers"][0]
env = {e["name"]: e for e in c["env"]}
want = {"LB_IP", "WORDPRESS_PORT", "PHPMYADMIN_HOST", "PHPMYADMIN_PORT", "SSH_USER", "SSH_PASSWORD",
        "TLS_CERT_FILE", "TLS_KEY_FILE", "SSH_HOST_KEY_FILE"}
assert want <= set(env), "env lacks %s" % (want - set(env))
assert "value" not in env["SSH_PASSWORD"], "SSH_PASSWORD must come from the secret"
assert env["SSH_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "ssh-password"
assert svc["spec"]["type"] == "LoadBalancer"
assert sorted(p["port"] for p in svc["spec"]["ports"]) == [22, 80, 443]
assert c["name"] == "nginx" and c["imagePullPolicy"] == "Never"
assert c["livenessProbe"] and c["readinessProbe"]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
assert set(mounts) == {"/var/lib/ftboot", "/run/secrets/ftboot/tls", "/run/secrets/ftboot/ssh"}, mounts
vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
# Each key file the entry point reads is in a read-only mount of a Secret
# volume that holds exactly the state's file.
for var, state_file in (("TLS_CERT_FILE", "tls-cert.pem"), ("TLS_KEY_FILE", "tls-key.pem"),
                        ("SSH_HOST_KEY_FILE", "ssh_host_ed25519_key")):
    path = env[var]["value"]
    m = mounts[os.path.dirname(path)]
    assert m.get("readOnly") is True, m
    sec = secrets[vols[m["name"]]["secret"]["secretName"]]
    items = {i["path"]: i["key"] for i in vols[m["name"]]["secret"].get("items") or []}
    key = items.get(os.path.basename(path), os.path.basename(path))
    assert sec["stringData"][key] == state(state_file), "%s: %s key %s is not the state's %s" % (
        var, sec["metadata"]["name"], key, state_file)
assert secrets["ft-tls"]["type"] == "kubernetes.io/tls"
print("ok")
EOF
is "$(tail -1 "$tmp/tpl.out")" ok "templates/nginx.yaml: Service ports 22/80/443, env from the stack and the secret, probes, the per-pod state volume, the state's certificate, key and host key from Secrets mounted read-only where TLS_CERT_FILE, TLS_KEY_FILE and SSH_HOST_KEY_FILE point"
sed 's/^/#   /' "$tmp/tpl.out" | grep -v '^#   ok$' | tail -3

# The Secrets' files as the kubelet mounts them (read-only, root's).
stack_secret_files "$tmp/render/manifests.yaml" ft-tls "$tmp/mnt/tls" &&
	stack_secret_files "$tmp/render/manifests.yaml" ft-ssh-host-key "$tmp/mnt/ssh"
ok $? "the rendered Secrets ft-tls and ft-ssh-host-key, as mounted files"
mounted=("TLS_CERT_FILE=$tmp/mnt/tls/tls.crt" "TLS_KEY_FILE=$tmp/mnt/tls/tls.key"
	"SSH_HOST_KEY_FILE=$tmp/mnt/ssh/ssh_host_ed25519_key")
echo "not a key" >"$tmp/garbage"

# --- Bad environments: a clear error, non-zero, nothing started or made.
bad() {
	local name=$1 want=$2
	shift 2
	start "$name" "$@"
	ep_exit 20
	[ "$ep_rc" != 0 ] && [ "$ep_rc" != running ] && grep -qF -- "$want" "$tmp/$name.log"
	ok $? "$name: exits non-zero ($ep_rc) saying '$want'"
	! grep -qE 'exited|generated|\[notice\]|Server listening' "$tmp/$name.log" && gone 5 &&
		[ ! -e "$state/tls" ] && [ ! -e "$state/ssh" ] && ! grep -q "^$user:" "$tmp/ns/etc/up/passwd" 2>/dev/null
	ok $? "$name: no daemon started, no certificate, host key or user made"
}
bad no-lb-ip "LB_IP is not set" LB_IP=
bad bad-lb-ip "LB_IP '192.0.2.10;' is not" "LB_IP=192.0.2.10;"
bad bad-port "WORDPRESS_PORT '65536' is not a port" WORDPRESS_PORT=65536
bad root-user "SSH_USER may not be root" SSH_USER=root
bad no-password "SSH_PASSWORD is not set" SSH_PASSWORD=
bad newline-password "SSH_PASSWORD holds a newline" "SSH_PASSWORD=a
b"
bad half-tls "TLS_KEY_FILE is not set but its pair is" "${mounted[0]}"
bad no-mounted-cert "TLS_CERT_FILE '$tmp/mnt/none' is missing or empty" \
	"TLS_CERT_FILE=$tmp/mnt/none" "${mounted[1]}"
bad no-mounted-host-key "SSH_HOST_KEY_FILE '$tmp/mnt/none' is missing or empty" \
	"${mounted[0]}" "${mounted[1]}" "SSH_HOST_KEY_FILE=$tmp/mnt/none"
bad bad-host-key "SSH_HOST_KEY_FILE '$tmp/garbage' is not an SSH private key" "SSH_HOST_KEY_FILE=$tmp/garbage"

# --- First start.
t0=$(ms)
start first
wait_ports 60
ok $? "first start: nginx listens on http and https, sshd on ssh"
t1=$(ms)
echo "# first start (certificate, host keys, user) to listening: $(secs "$t0" "$t1") s"
conf=$tmp/run/nginx.conf
# In the namespace: its /etc/hosts names phpmyadmin.
nsenter -t "$ep" -m "$nginx" -t -q -c "$conf" -e stderr 2>"$tmp/nginx-t.err"
ok $? "nginx -t accepts the rendered configuration $(head -c 300 "$tmp/nginx-t.err")"
! grep -v '^[[:space:]]*#' "$conf" | grep -q '@[A-Z_]*@'
ok $? "every @NAME@ of nginx.conf.in is replaced"
keys=()
for t in rsa ecdsa ed25519; do keys+=(-h "$state/ssh/etc/ssh/ssh_host_${t}_key"); done
"$sshd" -t -f "$src/sshd_config" "${keys[@]}" 2>"$tmp/sshd-t.err"
ok $? "sshd -t accepts srcs/nginx/sshd_config with the generated host keys $(head -c 300 "$tmp/sshd-t.err")"
[ "$(stat -c %a "$state/tls/key.pem")" = 600 ] &&
	openssl x509 -in "$state/tls/cert.pem" -noout -ext subjectAltName | grep -q "IP Address:$lb"
ok $? "the certificate names IP:$lb; its key is 0600"
grep -q "entrypoint: no TLS_CERT_FILE: generated a TLS certificate for $lb" "$tmp/first.log" &&
	grep -q "entrypoint: no SSH_HOST_KEY_FILE: generated the SSH host keys" "$tmp/first.log"
ok $? "without the stack's keys (a standalone run) the log says the certificate and host keys were generated"

is "$(status_of "http://127.0.0.1:$http_port/some/path?q=1")" "301 https://$lb/some/path?q=1" \
	"http: 301 to https://LB_IP with the path and query"
is "$(status_of -H 'Host: elsewhere.example' "http://127.0.0.1:$http_port/")" "301 https://$lb/" \
	"http: the redirect names LB_IP whatever Host the client sent"
body=$(curl -sk --max-time 10 -w '\n%{http_code}' "https://127.0.0.1:$https_port/")
[ "${body##*$'\n'}" = 200 ] && grep -q '<h1>ft_services</h1>' <<<"$body"
ok $? "https /: 200 with the stack's index page"
curl -sk -o /dev/null --max-time 10 -A kube-probe/1.31 "https://127.0.0.1:$https_port/probed"
curl -sk -o /dev/null --max-time 10 "https://127.0.0.1:$https_port/visited"
# One worker logs in order: once /visited is there, /probed would be too.
for ((i = 0; i < 100; i++)); do
	grep -q '"GET /visited HTTP' "$tmp/first.log" && break
	sleep 0.05
done
grep -q '"GET /visited HTTP' "$tmp/first.log" && ! grep -q '/probed' "$tmp/first.log"
ok $? "the access log has a client's request, not the kubelet's probe"
fp() { openssl x509 -noout -fingerprint -sha256 "$@" | cut -d= -f2; }
served() { openssl s_client -connect "127.0.0.1:$https_port" </dev/null 2>/dev/null | fp; }
fp0=$(fp -in "$state/tls/cert.pem")
is "$(served)" "$fp0" "https serves the certificate generated at first start"
is "$(status_of -k "https://127.0.0.1:$https_port/wordpress")" "307 http://$lb:$wp_port/" \
	"/wordpress: 307 to http://LB_IP:WORDPRESS_PORT/"
is "$(status_of -k "https://127.0.0.1:$https_port/wordpress/wp-admin/?a=1&b=%20")" \
	"307 http://$lb:$wp_port/wp-admin/?a=1&b=%20" "/wordpress/PATH?QUERY: 307 to the same path and query on WordPress's port"
is "$(status_of -k "https://127.0.0.1:$https_port/wordpress/%0d%0aSet-Cookie:x")" \
	"307 http://$lb:$wp_port/%0d%0aSet-Cookie:x" "/wordpress: an encoded CR LF stays encoded in Location"
is "$(status_of -k "https://127.0.0.1:$https_port/wordpressx")" "404 " "/wordpressx is not WordPress"
is "$(status_of -k "https://127.0.0.1:$https_port/phpmyadmin")" "301 https://$lb/phpmyadmin/" \
	"/phpmyadmin: 301 to /phpmyadmin/"

: >"$tmp/pma.log"
page=$(curl -sk --max-time 10 -w '\n%{http_code}' "https://127.0.0.1:$https_port/phpmyadmin/")
[ "${page##*$'\n'}" = 200 ] && grep -q 'stand-in phpMyAdmin login' <<<"$page"
ok $? "/phpmyadmin/: the upstream's page through the proxy (PHPMYADMIN_HOST's default, phpmyadmin)"
mapfile -t assets < <(grep -oE '(href|src)="[^"]*"' <<<"$page" | sed -E 's/^[a-z]+="(.*)"$/\1/')
is "${assets[*]}" "themes/x.css js/y.js" "the page loads its CSS and JS relatively"
for a in "${assets[@]}"; do
	got=$(curl -sk --max-time 10 -w '\n%{http_code} %{content_type}' "https://127.0.0.1:$https_port/phpmyadmin/$a")
	case $a in *.css) want="text/css" mark="#123456" ;; *) want="application/javascript" mark="standIn" ;; esac
	[ "${got##*$'\n'}" = "200 $want" ] && grep -q "$mark" <<<"$got"
	ok $? "/phpmyadmin/$a: 200 $want through the proxy"
done
is "$(tr '\n' ' ' <"$tmp/pma.log")" "/ /themes/x.css /js/y.js " \
	"the upstream saw /, /themes/x.css, /js/y.js: /phpmyadmin/ maps to its root"
sum=$(curl -sk --max-time 20 "https://127.0.0.1:$https_port/phpmyadmin/js/big.js" | sha256sum)
want=$("$py" -c 'import hashlib; print(hashlib.sha256(b"/*" + b"x" * (1 << 20) + b"*/").hexdigest())')
[ "${sum%% *}" = "$want" ]
ok $? "a 1 MiB asset arrives whole through the proxy"
hdrs=$(curl -sk --max-time 10 -H 'Host: lb.example' "https://127.0.0.1:$https_port/phpmyadmin/headers")
"$py" -c 'import json, sys
h = json.loads(sys.argv[1])
want = {"host": "lb.example", "x-forwarded-host": "lb.example", "x-forwarded-proto": "https",
        "x-forwarded-prefix": "/phpmyadmin", "x-forwarded-port": sys.argv[2], "x-real-ip": "127.0.0.1"}
bad = {k: h.get(k) for k in want if h.get(k) != want[k]}
assert not bad and "127.0.0.1" in h.get("x-forwarded-for", ""), bad or h
' "$hdrs" "$https_port" 2>"$tmp/hdrs.err"
ok $? "the upstream gets Host, X-Forwarded-Host/-Proto https/-Port/-Prefix /phpmyadmin/-For, X-Real-IP $(tail -1 "$tmp/hdrs.err")"
loc=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code} %header{location}' "https://127.0.0.1:$https_port/phpmyadmin/redir")
is "$loc" "302 https://$lb/phpmyadmin/target" "a redirect to the upstream's own address stays under /phpmyadmin/"

# SSH (R8, E6): the host key is the generated one (pinned), the password works.
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$state/ssh/etc/ssh/ssh_host_ed25519_key.pub")" >"$tmp/known_hosts"
# shellcheck disable=SC2016 # the remote shell expands it
out=$(ssh_as "$user" "$password" 'id -un; echo "$HOME"; echo ran')
is "$out" "$user"$'\n'"/home/$user"$'\n'"ran" "ssh: $user logs in with SSH_PASSWORD (quotes, \$, \\, spaces, é) and runs a command $(head -c 200 "$tmp/ssh.err")"
! ssh_as "$user" "${password}x" true >/dev/null && grep -q 'Permission denied' "$tmp/ssh.err"
ok $? "ssh: a wrong password is refused"
# root gets a password (in the namespace's /etc only): PermitRootLogin no refuses it.
root_pw=Root-pw-$$
# shellcheck disable=SC2016 # the inner shell expands it
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin nsenter -t "$ep" -m \
	sh -c 'echo "root:$(openssl passwd -6 "$1")" | chpasswd -e' sh "$root_pw"
ok $? "root has a password in the namespace's /etc/shadow"
! ssh_as root "$root_pw" true >/dev/null && grep -q 'Permission denied' "$tmp/ssh.err"
ok $? "ssh: root with its right password is refused"
grep -q "^$user:x:[0-9]*:[0-9]*::/home/$user:/bin/sh$" "$tmp/ns/etc/up/passwd" &&
	grep -q "^$user:\\\$6\\\$" "$tmp/ns/etc/up/shadow" && ! grep -q "^$user:" /etc/passwd
ok $? "$user exists in the namespace's /etc (sha512 hash), not in the system's"

# --- TERM: exit 0, nothing left; a second start changes nothing.
sums() { sha256sum "$state"/tls/* "$state"/ssh/etc/ssh/* "$tmp/ns/etc/up/passwd" "$tmp/ns/etc/up/shadow"; }
sums >"$tmp/sums.0"
kill -TERM "$ep"
t0=$(ms)
ep_exit 15
is "$ep_rc" 0 "TERM: the entry point exits 0"
gone 10
ok $? "TERM: nothing of it is left (nginx, sshd)"
echo "# TERM to gone: $(secs "$t0" "$(ms)") s"

t0=$(ms)
start second
wait_ports 30
ok $? "second start: listening again"
echo "# second start to listening: $(secs "$t0" "$(ms)") s"
sums >"$tmp/sums.1"
diff "$tmp/sums.0" "$tmp/sums.1" >"$tmp/sums.diff"
ok $? "second start: certificate, host keys, passwd and shadow unchanged $(head -c 300 "$tmp/sums.diff")"
! grep -qE 'generated|set the password' "$tmp/second.log"
ok $? "second start: nothing generated, no password set"
grep -q "entrypoint: no TLS_CERT_FILE: serving the certificate kept in $state/tls" "$tmp/second.log" &&
	grep -q "entrypoint: no SSH_HOST_KEY_FILE: offering the SSH host keys kept in $state/ssh" "$tmp/second.log"
ok $? "second start: the log says the kept certificate and host keys are used"
is "$(served)" "$fp0" "second start: https serves the same certificate"
out=$(ssh_as "$user" "$password" 'echo again')
is "$out" again "second start: ssh login with the same host key and password $(head -c 200 "$tmp/ssh.err")"

# --- A daemon dies: the entry point stops the other and exits non-zero.
# kill_daemon NAME PID: SIGKILL it, then expect exit 1 and nothing left.
kill_daemon() {
	local name=$1 pid=$2 t
	[ -n "$pid" ] && kill -KILL "$pid"
	t=$(ms)
	ep_exit 15
	[ "$ep_rc" = 1 ] && grep -q "entrypoint: .*$name exited" "$tmp/$log.log"
	ok $? "$name killed: the entry point says so and exits 1 ($ep_rc)"
	gone 10
	ok $? "$name killed: the other daemon is gone too, nothing is left"
	echo "# $name killed to the entry point's exit and nothing left: $(secs "$t" "$(ms)") s"
}
log=second
kill_daemon nginx "$(cat "$tmp/run/nginx.pid")"
log=third
start third
wait_ports 30
ok $? "third start: listening again"
sshd_pid=$(ps -e -o pid=,pgid=,comm= | awk -v g="$ep" '$2 == g && $3 == "sshd" { print $1; exit }')
kill_daemon sshd "$sshd_pid"

# --- The stack's keys (ftboot's state, through the Secrets' files): served
# instead of what the first start made, exactly those (what check pins).
log=stack
t0=$(ms)
start stack "${mounted[@]}"
wait_ports 30
ok $? "with TLS_CERT_FILE, TLS_KEY_FILE, SSH_HOST_KEY_FILE: listening again"
echo "# start with the stack's keys to listening: $(secs "$t0" "$(ms)") s"
grep -q "entrypoint: serving the stack's TLS certificate from $tmp/mnt/tls/tls.crt" "$tmp/stack.log" &&
	grep -q "entrypoint: offering the stack's SSH host key from $tmp/mnt/ssh/ssh_host_ed25519_key (SHA256:" "$tmp/stack.log" &&
	! grep -q generated "$tmp/stack.log"
ok $? "the log says the stack's certificate and host key are used, nothing generated"
state_fp=$(fp -in "$svc_dir/tls-cert.pem")
is "$(served)" "$state_fp" "https serves exactly the state's certificate (SHA-256 fingerprint), not the first start's"
stack_lb=$(openssl x509 -in "$svc_dir/tls-cert.pem" -noout -ext subjectAltName | grep -o 'IP Address:[0-9.]*' | cut -d: -f2)
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$svc_dir/tls-cert.pem" \
	--resolve "$stack_lb:$https_port:127.0.0.1" "https://$stack_lb:$https_port/")" 200 \
	"https verifies against the state's certificate alone, for the stack's LB address $stack_lb"
cmp -s "$svc_dir/tls-key.pem" "$state/tls/key.pem" && cmp -s "$svc_dir/ssh_host_ed25519_key" "$state/ssh/etc/ssh/ssh_host_ed25519_key" &&
	[ "$(stat -c %a "$state/tls/key.pem" "$state/ssh/etc/ssh/ssh_host_ed25519_key" | sort -u)" = 600 ]
ok $? "the entry point's copies of the key and host key are the state's, 0600"
scanned=$(ssh-keyscan -p "$ssh_port" -t rsa,ecdsa,ed25519 127.0.0.1 2>/dev/null | ssh-keygen -l -f - | awk '{ print $2 }')
is "$scanned" "$(ssh-keygen -l -f "$svc_dir/ssh_host_ed25519_key.pub" | awk '{ print $2 }')" \
	"sshd offers exactly one host key, of any type asked: the state's (ssh-keyscan fingerprint)"
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$svc_dir/ssh_host_ed25519_key.pub")" >"$tmp/known_hosts"
is "$(ssh_as "$user" "$password" 'echo pinned')" pinned \
	"ssh: a login with only the state's host key known (StrictHostKeyChecking yes) $(head -c 200 "$tmp/ssh.err")"
kill -TERM "$ep"
ep_exit 15
is "$ep_rc" 0 "TERM: the entry point exits 0"
gone 10
ok $? "TERM: nothing of it is left"

# --- phpMyAdmin's name does not resolve: nginx cannot start, exit non-zero.
start no-upstream PHPMYADMIN_HOST=nohost.invalid
ep_exit 20
[ "$ep_rc" = 1 ] && grep -q 'host not found in upstream "nohost.invalid' "$tmp/no-upstream.log"
ok $? "an unresolvable PHPMYADMIN_HOST: nginx says so, the entry point exits 1 ($ep_rc)"
gone 10
ok $? "an unresolvable PHPMYADMIN_HOST: nothing is left"

done_testing
