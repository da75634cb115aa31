#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# ftps (R11, E7, R14): the REAL srcs/ftps/entrypoint.sh and vsftpd.conf
# under `setsid busybox sh`, with Debian's /usr/sbin/vsftpd, on loopback.
# Substituted: FTP_PORT and PASV_MIN..PASV_MAX (free ports instead of 21
# and 30020-30024), LB_IP=127.0.0.1, VSFTPD_LISTEN_ADDRESS=127.0.0.1,
# FTP_DATA and VSFTPD_EMPTY_DIR (scratch), VSFTPD_LOG (the test's log),
# and two programs Debian's busybox lacks: CHPASSWD is Debian's chpasswd
# (same stdin format), ADDUSER a stand-in that turns busybox's
# `adduser -D -H -h HOME -s SHELL USER` into useradd. vsftpd authenticates
# through PAM (/etc/passwd and /etc/shadow), so the user is a real one:
# uniquely named, created by the entry point and removed at exit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
ep_require /usr/sbin/vsftpd curl openssl useradd userdel chpasswd /usr/bin/python3
[ "$(id -u)" -eq 0 ] || skip_all "vsftpd authenticates real users and chroots: needs root"
scratch
chmod 711 "$tmp" # the user's chdir into its home crosses it
user=ftbt$$r$RANDOM
pass=$'p \'"$\\ü€ x'
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	ep_kill_all
	getent passwd "$user" >/dev/null && userdel "$user"
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/bin" "$tmp/empty" "$tmp/data"
adduser_standin "$tmp/bin/adduser"

ftp=$(free_port)
read -r pmin pmax < <(pasv_range)
export FTP_PORT=$ftp PASV_MIN=$pmin PASV_MAX=$pmax LB_IP=127.0.0.1 FTP_USER=$user FTP_PASSWORD=$pass
export VSFTPD=/usr/sbin/vsftpd VSFTPD_CONF=$FTBOOT_TOP/srcs/ftps/vsftpd.conf VSFTPD_LISTEN_ADDRESS=127.0.0.1
export VSFTPD_EMPTY_DIR=$tmp/empty VSFTPD_LOG=$tmp/vsftpd.log FTP_DATA=$tmp/data
CHPASSWD=$(command -v chpasswd)
export ADDUSER=$tmp/bin/adduser CHPASSWD

cert=$tmp/data/tls/cert.pem
ftps() { curl -sS --ssl-reqd --cacert "$cert" -u "$user:$pass" "$@"; }

# The template gives the entry point what it reads, and the Service
# every passive port vsftpd may announce.
stack_render "$tmp/render" && svc_dir=$(stack_service "$tmp/render") &&
	/usr/bin/python3 - "$tmp/render/manifests.yaml" "$svc_dir" <<'EOF'
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "ftps")
dep = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "ftps")
c = dep["spec"]["template"]["spec"]["containers"][0]
env = {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}
assert set(env) == {"LB_IP", "FTP_PORT", "FTP_USER", "FTP_PASSWORD", "PASV_MIN", "PASV_MAX",
                    "TLS_CERT_FILE", "TLS_KEY_FILE"}, env
# The certificate and key: files of a read-only mount of the Secret that
# holds exactly the state's (the one nginx serves too).
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
for var, state_file in (("TLS_CERT_FILE", "tls-cert.pem"), ("TLS_KEY_FILE", "tls-key.pem")):
    m = mounts[os.path.dirname(env[var])]
    assert m.get("readOnly") is True, m
    sec = secrets[vols[m["name"]]["secret"]["secretName"]]
    assert sec["type"] == "kubernetes.io/tls", sec["type"]
    assert sec["stringData"][os.path.basename(env[var])] == \
        open(os.path.join(sys.argv[2], state_file)).read(), var
assert env["FTP_PASSWORD"]["secretKeyRef"]["key"] == "ftp-password", env
ports = {p["port"] for p in svc["spec"]["ports"]}
pasv = set(range(int(env["PASV_MIN"]), int(env["PASV_MAX"]) + 1))
assert int(env["FTP_PORT"]) in ports and pasv <= ports, (ports, pasv)
assert c["livenessProbe"] and c["readinessProbe"] and c["resources"]["limits"], c
EOF
ok $? "templates/ftps.yaml: the entry point's variables, the password from the secret, every passive port in the Service, probes, the state's certificate and key from the Secret ft-tls mounted read-only where TLS_CERT_FILE and TLS_KEY_FILE point"

t0=$SECONDS
ep_start "$tmp/entry1.log" "$FTBOOT_TOP/srcs/ftps/entrypoint.sh"
wait_port "$ftp" 30
ok $? "vsftpd answers on 127.0.0.1:$ftp"
echo "# first start (certificate, user, vsftpd): $((SECONDS - t0)) s"
grep -q "no TLS_CERT_FILE: TLS certificate for 127.0.0.1 generated" "$tmp/entry1.log" && grep -q "user '$user' created" "$tmp/entry1.log"
ok $? "first start without TLS_CERT_FILE (standalone) generates the certificate, says so, and creates the user"
is "$(getent passwd "$user" | cut -d: -f6)" "$tmp/data/home/$user" "the user's home is on FTP_DATA"
openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null | grep -q 'IP Address:127.0.0.1'
ok $? "the certificate names LB_IP"
is "$(stat -c %a "$tmp/data/tls/key.pem")" 600 "the private key is 0600"

head -c 300000 /dev/urandom >"$tmp/up.bin"
# Uploads at TLS 1.2: curl before 8.9 may cut a TLS 1.3 upload short
# (its data connection ends before the last records are read: curl
# issue 13556, pull 13904), which vsftpd rightly answers with 426.
ftps --tls-max 1.2 -T "$tmp/up.bin" "ftp://127.0.0.1:$ftp/up.bin" 2>"$tmp/curl.err"
st=$?
[ "$st" -eq 0 ] || sed 's/^/#   /' "$tmp/curl.err"
ok "$st" "AUTH TLS login (certificate verified) and upload"
ftps -o "$tmp/down.bin" "ftp://127.0.0.1:$ftp/up.bin" 2>>"$tmp/curl.err"
cmp -s "$tmp/up.bin" "$tmp/down.bin"
ok $? "download returns the same bytes"
is "$(stat -c %U "$tmp/data/home/$user/up.bin" 2>&1)" "$user" "the file lands in the user's home, owned by the user"
is "$(ftps --list-only "ftp://127.0.0.1:$ftp/" 2>&1)" "up.bin" "the user is chrooted to its home"

v=$(ftps -v --disable-epsv --list-only "ftp://127.0.0.1:$ftp/" 2>&1)
[[ $v =~ SSL\ connection\ using\ TLSv1\.3 ]]
ok $? "TLS 1.3 is negotiated when the client offers it"
if [[ $v =~ 227\ [^\(]*\(([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+)\) ]]; then
	m=("${BASH_REMATCH[@]}")
	is "${m[1]}.${m[2]}.${m[3]}.${m[4]}" 127.0.0.1 "the passive reply announces LB_IP"
	p=$((m[5] * 256 + m[6]))
	[ "$p" -ge "$pmin" ] && [ "$p" -le "$pmax" ]
	ok $? "the passive port $p is within PASV_MIN..PASV_MAX ($pmin..$pmax)"
else
	ok 1 "curl saw a 227 reply" && ok 1 "(no passive port to check)"
fi
! s=$(openssl s_client -connect "127.0.0.1:$ftp" -starttls ftp -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1) &&
	[[ $s =~ (alert|unsupported|wrong\ version|no\ protocols) ]]
st=$?
[ "$st" -eq 0 ] || echo "$s" | tail -3 | sed 's/^/#   /'
ok "$st" "a TLSv1.1 client is refused"

! v=$(curl -sS -v -u "$user:$pass" "ftp://127.0.0.1:$ftp/" 2>&1) &&
	[[ $v == *"530 Non-anonymous sessions must use encryption"* ]]
ok $? "a plain FTP login is refused with 530 (encryption required)"
! v=$(curl -sS -v --ssl-reqd --cacert "$cert" -u "anonymous:x@example.org" "ftp://127.0.0.1:$ftp/" 2>&1) &&
	[[ $v == *"< 530 "* ]]
ok $? "an anonymous login is refused (530)"
! v=$(curl -sS -v --ssl-reqd --cacert "$cert" -u "$user:wrong" "ftp://127.0.0.1:$ftp/" 2>&1) &&
	[[ $v == *"< 530 "* ]]
ok $? "a wrong password is refused (530)"
grep -q "OK UPLOAD" "$tmp/vsftpd.log"
ok $? "vsftpd logs to VSFTPD_LOG (the container's stdout)"

sum=$(sha256sum "$cert" "$tmp/data/tls/key.pem")
ep_stop vsftpd

ep_start "$tmp/entry2.log" "$FTBOOT_TOP/srcs/ftps/entrypoint.sh"
wait_port "$ftp" 30
ok $? "a second start answers again"
! grep -qE "generated|created" "$tmp/entry2.log"
ok $? "a second start generates nothing and creates no user"
grep -q "no TLS_CERT_FILE: serving the certificate kept in $tmp/data/tls" "$tmp/entry2.log"
ok $? "a second start says it serves the kept certificate"
is "$(sha256sum "$cert" "$tmp/data/tls/key.pem")" "$sum" "the certificate and key are unchanged"
is "$(grep -c "^$user:" /etc/passwd)" 1 "the user exists once"
ftps -o "$tmp/down2.bin" "ftp://127.0.0.1:$ftp/up.bin" 2>>"$tmp/curl.err" && cmp -s "$tmp/up.bin" "$tmp/down2.bin"
ok $? "the same password still logs in and the file is still there"

ep_kill9 vsftpd /usr/sbin/vsftpd "" -o -x vsftpd

# The stack's certificate (ftboot's state, through the Secret's files as
# the kubelet mounts them): served instead of the generated one, exactly it.
fp() { openssl x509 -noout -fingerprint -sha256 "$@" | cut -d= -f2; }
gen_fp=$(fp -in "$cert")
cp "$cert" "$tmp/first-cert.pem"
stack_secret_files "$tmp/render/manifests.yaml" ft-tls "$tmp/mnt"
ok $? "the rendered Secret ft-tls, as mounted files"
ep_start "$tmp/entry3.log" "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" \
	"TLS_CERT_FILE=$tmp/mnt/tls.crt" "TLS_KEY_FILE=$tmp/mnt/tls.key"
wait_port "$ftp" 30
ok $? "with TLS_CERT_FILE and TLS_KEY_FILE: vsftpd answers again"
grep -q "entrypoint: serving the stack's TLS certificate from $tmp/mnt/tls.crt" "$tmp/entry3.log" &&
	! grep -q generated "$tmp/entry3.log"
ok $? "the log says the stack's certificate is served, nothing generated"
served=$(openssl s_client -connect "127.0.0.1:$ftp" -starttls ftp </dev/null 2>/dev/null | fp)
is "$served" "$(fp -in "$svc_dir/tls-cert.pem")" "AUTH TLS serves exactly the state's certificate (SHA-256 fingerprint)"
[ "$served" != "$gen_fp" ] && cmp -s "$svc_dir/tls-key.pem" "$tmp/data/tls/key.pem" &&
	is_600=$(stat -c %a "$tmp/data/tls/cert.pem" "$tmp/data/tls/key.pem" | sort -u) && [ "$is_600" = 600 ]
ok $? "not the generated one any more; the entry point's copies are the state's, 0600"
pin=$(openssl x509 -in "$svc_dir/tls-cert.pem" -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
curl -sS --ssl-reqd -k --pinnedpubkey "sha256//$pin" -u "$user:$pass" -o "$tmp/down3.bin" \
	"ftp://127.0.0.1:$ftp/up.bin" 2>"$tmp/curl3.err" && cmp -s "$tmp/up.bin" "$tmp/down3.bin"
ok $? "login and download over TLS pinned to the state's key (vsftpd with its ECDSA certificate) $(head -c 200 "$tmp/curl3.err")"
wrong=$(openssl x509 -in "$tmp/first-cert.pem" -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
! curl -sS --ssl-reqd -k --pinnedpubkey "sha256//$wrong" -u "$user:$pass" -o /dev/null \
	"ftp://127.0.0.1:$ftp/up.bin" 2>"$tmp/curl4.err" && grep -qi 'pinned' "$tmp/curl4.err"
ok $? "and pinned to the first start's key instead, the same client refuses it: $(head -c 120 "$tmp/curl4.err")"
ep_stop "vsftpd with the stack's certificate"
out=$(TLS_CERT_FILE=$tmp/mnt/tls.crt timeout 10 busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
is "$?:$out" "2:entrypoint: TLS_KEY_FILE is not set but its pair is: templates/ftps.yaml sets both" \
	"TLS_CERT_FILE without TLS_KEY_FILE is refused"
out=$(TLS_CERT_FILE=$tmp/none TLS_KEY_FILE=$tmp/mnt/tls.key FTP_DATA=$tmp/none timeout 10 busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
rc=$?
[ "$rc" = 2 ] && [[ $out == *"TLS_CERT_FILE='$tmp/none' is missing or empty"* ]] && [ ! -e "$tmp/none" ]
ok $? "a missing TLS_CERT_FILE is named and nothing is made: $rc $out"

# Bad input: a missing variable, a malformed one; nothing started.
out=$(env -u FTP_PASSWORD busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
is "$?:$out" "2:entrypoint: FTP_PASSWORD is not set" "a missing FTP_PASSWORD is named"
out=$(PASV_MIN=$pmax PASV_MAX=$pmin busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
is "$?:$out" "2:entrypoint: PASV_MIN=$pmax is above PASV_MAX=$pmin" "an inverted passive range is refused"
out=$(LB_IP='1.2.3.4 -ohide' busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
is "$?" 2 "an LB_IP that is not an address is refused ($out)"
out=$(FTP_USER='Root;x' busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" 2>&1)
is "$?" 2 "a user name outside a-z0-9_- is refused ($out)"
done_testing
