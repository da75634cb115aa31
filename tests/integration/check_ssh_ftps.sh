#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check` E6 (kind ssh) and E7 (kind ftps) through the
# real binary against real daemons on loopback, with the stack's own
# configuration:
#
# - E6: Debian's sshd with srcs/nginx/sshd_config (as the nginx container
#   runs it: only -p, -h and ListenAddress added), the state's service
#   host key (state/service/ssh_host_ed25519_key), the stack's SSH user
#   with the state's ssh_password (useradd and chpasswd, as the entry
#   point does). Fails: a wrong password in the state, a server with
#   another host key (the pin), a state without service keys. Passes
#   too against a copy that offers only keyboard-interactive (PAM).
# - E7: the REAL srcs/ftps/entrypoint.sh and srcs/ftps/vsftpd.conf with
#   Debian's vsftpd (the machinery of tests/stack/ftps.sh), serving the
#   state's service certificate (tls-cert.pem). Fails: a copy of the
#   configuration with force_local_logins_ssl=NO (plain FTP allowed), a
#   server with another certificate, a wrong password in the state,
#   passive mode announced on another address.
#
# Each daemon runs in a private mount namespace whose /etc, /var, /run
# and /home are overlays on scratch directories (as tests/stack/nginx.sh
# does): the users, their passwords and sshd's login records land there,
# so the system's users are never touched, even if the test is killed.
# The check runs on a copy of the repository's srcs/ whose ports are free
# ones and whose users are the test's.
. "$(dirname "$0")/../lib.sh"
. "$FTBOOT_TOP/tests/stack/_lib.sh"
. "$FTBOOT_TOP/tests/stack/_sshftps.sh"
sshd=/usr/sbin/sshd
for p in "$sshd" /usr/sbin/vsftpd /usr/bin/ssh-keygen /usr/bin/openssl /usr/bin/busybox \
	/usr/bin/unshare /usr/bin/setsid /usr/sbin/useradd /usr/sbin/chpasswd /usr/bin/python3; do
	[ -x "$p" ] || skip_all "$p is missing (tests/deps.sh test installs the stack tier's packages)"
done
[ "$(id -u)" = 0 ] || skip_all "needs root: sshd, vsftpd's chroot and the mount namespace"
[ -x "$FTBOOT" ] || skip_all "no ftboot binary at $FTBOOT (make first)"

scratch
chmod 711 "$tmp" # vsftpd's user crosses it into its home
ns_overlay "$tmp"

groups=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local g
	for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
	for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ssh_port=$(free_port)
ftp_port=$(free_port)
read -r pmin pmax < <(pasv_range)
ssh_user=ftbs$$
ftp_user=ftbf$$

# --- The stack copy: free ports, the test's users.
mkdir -p "$tmp/proj"
cp -r "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$tmp/proj/"
stack=$tmp/proj/srcs/stack.yaml
sed -i -e "s/ports: {http: 80, https: 443, ssh: 22}/ports: {http: 80, https: 443, ssh: $ssh_port}/" \
	-e "s/ports: {ftp: 21, pasv: 30020-30024}/ports: {ftp: $ftp_port, pasv: $pmin-$pmax}/" \
	-e "s/^  ftp_user: .*/  ftp_user: $ftp_user/" -e "s/^  ssh_user: .*/  ssh_user: $ssh_user/" "$stack"
grep -q "ssh: $ssh_port}" "$stack" && grep -q "ftp: $ftp_port, pasv: $pmin-$pmax}" "$stack" &&
	grep -q "ssh_user: $ssh_user" "$stack" && grep -q "ftp_user: $ftp_user" "$stack"
ok $? "the stack copy has the free ports ($ssh_port, $ftp_port, $pmin-$pmax) and the test's users"

export FTBOOT_STATE_DIR=$tmp/state
"$FTBOOT" -f "$stack" render --show-secrets >"$tmp/manifests.yaml" 2>"$tmp/render.err"
ok $? "ftboot render --show-secrets makes the state's secrets $(head -c 200 "$tmp/render.err")"
st=
for f in "$tmp"/state/*/secrets/ssh_password; do st=${f%/secrets/ssh_password}; done
[ -s "$st/secrets/ssh_password" ] && [ -s "$st/secrets/ftp_password" ]
ok $? "the state holds ssh_password and ftp_password ($st)"
svc=$st/service
# The service keys: render makes them once svckeys lands there; until
# then, the same files in the layout svckeys.h gives.
svckeys_standin "$svc"
[ -s "$svc/tls-cert.pem" ] && [ -s "$svc/tls-key.pem" ] && [ -s "$svc/ssh_host_ed25519_key.pub" ]
ok $? "the state's service keys: tls-cert.pem, tls-key.pem, ssh_host_ed25519_key"
ssh_pw=$(cat "$st/secrets/ssh_password")
ftp_pw=$(cat "$st/secrets/ftp_password")

# check IDS...: ftboot check --only IDS against 127.0.0.1; $out (plain
# lines), $json, $rc.
check() {
	FTBOOT_STATE_DIR=$tmp/state "$FTBOOT" -f "$stack" check --address 127.0.0.1 --only "$1" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out" "$tmp/err")
	json=$(FTBOOT_STATE_DIR=$tmp/state "$FTBOOT" -f "$stack" check --address 127.0.0.1 \
		--only "$1" --json 2>&1)
	[ -z "${SHOW:-}" ] || comment <<<"$out"$'\n'"$json"
}
# no_secret: neither password in any output of the last check.
no_secret() {
	! grep -qF -- "$ssh_pw" <<<"$out$json" && ! grep -qF -- "$ftp_pw" <<<"$out$json"
}
# comment: stdin as TAP comments. SHOW=1 shows every check's output.
comment() {
	local l
	while IFS= read -r l; do echo "#   $l"; done
}
diag() { head -20 <<<"$out" | comment; }

# --- The kinds' keys are validated, with positions.
cp "$tmp/proj/srcs/checks.yaml" "$tmp/checks.yaml.orig"
sed -i -e 's/^    command: echo ftboot-check$/    command: 42/' "$tmp/proj/srcs/checks.yaml"
check E6
[ "$rc" != 0 ] && grep -qE 'checks\.yaml:[0-9]+:14: checks\[[0-9]+\]\.command: expected a string' <<<"$out"
ok $? "a command that is not a string: a positioned error" || diag
cp "$tmp/checks.yaml.orig" "$tmp/proj/srcs/checks.yaml"
sed -i -e '/^    pasv_max: /d' "$tmp/proj/srcs/checks.yaml"
check E7
[ "$rc" != 0 ] && grep -qE 'checks\.yaml:[0-9]+:[0-9]+: checks\[[0-9]+\]\.pasv_min: pasv_min and pasv_max go together' <<<"$out"
ok $? "pasv_min without pasv_max: a positioned error" || diag
cp "$tmp/checks.yaml.orig" "$tmp/proj/srcs/checks.yaml"

# --- sshd: srcs/nginx/sshd_config, the state's host key, the user.
(umask 077 && cp "$st/secrets/ssh_password" "$tmp/ssh_pw")
sshd_up "$FTBOOT_TOP/srcs/nginx/sshd_config" "$svc/ssh_host_ed25519_key"
ok $? "sshd with srcs/nginx/sshd_config and the state's host key on 127.0.0.1:$ssh_port"

check E6
[ "$rc" = 0 ] && grep -q '^E6 pass' <<<"$out"
ok $? "E6 passes: password login, host key pinned, the command's output" || diag
grep -q '"status": *"pass"' <<<"$json" && grep -q 'password login accepted' <<<"$json" &&
	grep -q "$(ssh-keygen -lf "$svc/ssh_host_ed25519_key.pub" | cut -d' ' -f2)" <<<"$json"
ok $? "E6's evidence names the pinned host key and the login"
grep -q "Accepted password for $ssh_user" "$tmp/sshd.log"
ok $? "sshd logged the password login of $ssh_user"
no_secret
ok $? "no password in E6's outputs"

# A wrong password in the state.
printf 'not-the-%s' "$ssh_pw" >"$st/secrets/ssh_password"
check E6
[ "$rc" = 1 ] && grep -q '^E6 fail' <<<"$out" && grep -q "the login of $ssh_user is refused" <<<"$out"
ok $? "E6 fails with a wrong password: the login of $ssh_user is refused" || diag
! grep -qF -- "not-the-$ssh_pw" <<<"$out$json"
ok $? "... and the wrong password is in no output either"
printf '%s' "$ssh_pw" >"$st/secrets/ssh_password"

# No service keys in the state: no trust on first use.
mv "$svc" "$svc.away"
check E6,E7
[ "$rc" = 1 ] && [ "$(grep -c 'seen: the state has no service keys' <<<"$out")" = 2 ] &&
	grep -q 'hint: run ftboot up' <<<"$out"
ok $? "E6 and E7 fail without service keys, saying so and to run ftboot up" || diag
mv "$svc.away" "$svc"

# Another host key: the pin does not match.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/other_host_key" </dev/null
sshd_up "$FTBOOT_TOP/srcs/nginx/sshd_config" "$tmp/other_host_key"
ok $? "sshd restarted with another host key"
: >"$tmp/sshd.log"
check E6
[ "$rc" = 1 ] && grep -q '^E6 fail' <<<"$out" && grep -q 'host key mismatch' <<<"$out" &&
	grep -q 'not the stack.s nginx' <<<"$out"
ok $? "E6 fails with another host key (pin mismatch)" || diag
! grep -q "password for $ssh_user" "$tmp/sshd.log"
ok $? "... before any password is sent"

# Only keyboard-interactive (sshd's PAM): the password answers its prompt.
sed -e 's/^PasswordAuthentication yes/PasswordAuthentication no/' \
	-e 's/^KbdInteractiveAuthentication no/KbdInteractiveAuthentication yes/' \
	"$FTBOOT_TOP/srcs/nginx/sshd_config" >"$tmp/sshd_config.kbd"
echo "UsePAM yes" >>"$tmp/sshd_config.kbd"
sshd_up "$tmp/sshd_config.kbd" "$svc/ssh_host_ed25519_key"
ok $? "sshd restarted offering only keyboard-interactive"
check E6
[ "$rc" = 0 ] && grep -q '^E6 pass' <<<"$out" && grep -q "Accepted keyboard-interactive/pam for $ssh_user" "$tmp/sshd.log"
ok $? "E6 passes through keyboard-interactive" || diag
stop_group "$sshd_pid" "$ssh_port"

# --- vsftpd: the real entry point and srcs/ftps/vsftpd.conf.
# The state's certificate where the entry point keeps its own.
mkdir -p "$tmp/data/tls" && chmod 700 "$tmp/data/tls"
cp "$svc/tls-cert.pem" "$tmp/data/tls/cert.pem" && cp "$svc/tls-key.pem" "$tmp/data/tls/key.pem"
conf=$FTBOOT_TOP/srcs/ftps/vsftpd.conf
ftps_up "$tmp/data" "$conf"
ok $? "vsftpd (srcs/ftps/entrypoint.sh, vsftpd.conf) with the state's certificate on 127.0.0.1:$ftp_port"
! grep -q 'TLS certificate for .* generated' "$tmp/ftps.out"
ok $? "... the entry point kept the state's certificate"

check E7
[ "$rc" = 0 ] && grep -q '^E7 pass' <<<"$out"
ok $? "E7 passes: AUTH TLS, upload, download, same bytes, plain FTP refused" || diag
grep -q 'passive mode on 127.0.0.1:' <<<"$json" && grep -q 'came back the same' <<<"$json" &&
	grep -q 'plain FTP login refused: 530' <<<"$json" && grep -q 'AUTH TLS: TLSv1' <<<"$json"
ok $? "E7's evidence: TLS, passive address, the same bytes, plain login refused with 530"
grep -q 'OK UPLOAD: .*ftboot-check-[0-9a-f]*\.bin", 65536 bytes' "$tmp/vsftpd.log" &&
	grep -q 'OK DOWNLOAD: .*ftboot-check-[0-9a-f]*\.bin", 65536 bytes' "$tmp/vsftpd.log" &&
	grep -q 'OK DELETE: .*ftboot-check-' "$tmp/vsftpd.log"
ok $? "vsftpd logged the 64 KiB upload, its download and its deletion"
is "$(find "$tmp/data/home" -name 'ftboot-check-*' | wc -l)" 0 "no file of the check is left in the user's home"
no_secret
ok $? "no password in E7's outputs"

# A wrong password in the state.
printf 'not-the-%s' "$ftp_pw" >"$st/secrets/ftp_password"
check E7
[ "$rc" = 1 ] && grep -q '^E7 fail' <<<"$out" && grep -q "the login of $ftp_user is refused" <<<"$out"
ok $? "E7 fails with a wrong password: the login of $ftp_user is refused" || diag
printf '%s' "$ftp_pw" >"$st/secrets/ftp_password"

# Plain FTP allowed: force_local_logins_ssl=NO in a copy.
sed 's/^force_local_logins_ssl=YES/force_local_logins_ssl=NO/' "$conf" >"$tmp/vsftpd-plain.conf"
grep -q '^force_local_logins_ssl=NO' "$tmp/vsftpd-plain.conf"
ok $? "a copy of vsftpd.conf with force_local_logins_ssl=NO"
ftps_up "$tmp/data" "$tmp/vsftpd-plain.conf"
ok $? "vsftpd restarted with it"
check E7
[ "$rc" = 1 ] && grep -q '^E7 fail' <<<"$out" && grep -q '331: the server asked for the password of a plain login' <<<"$out"
ok $? "E7 fails when plain FTP is allowed: the server asked for a password (331), and got a random one, not the real one" || diag

# Passive mode announced on another address (pasv_address not the LB's).
ftps_up "$tmp/data" "$conf" 127.0.0.2
ok $? "vsftpd restarted with LB_IP 127.0.0.2"
check E7
[ "$rc" = 1 ] && grep -q '227 with the address 127.0.0.2' <<<"$out"
ok $? "E7 fails when the passive address is not the checked one" || diag

# Another certificate: the entry point makes its own.
mkdir -p "$tmp/data2"
ftps_up "$tmp/data2" "$conf"
ok $? "vsftpd restarted with a certificate of its own"
check E7
[ "$rc" = 1 ] && grep -q '^E7 fail' <<<"$out" && grep -q 'does not serve the stack.s certificate' <<<"$out"
ok $? "E7 fails when the server's certificate is not the stack's" || diag

done_testing
