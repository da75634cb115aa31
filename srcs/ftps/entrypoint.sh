#!/bin/sh
# ftps (R11, E7, R14): vsftpd with explicit FTPS on FTP_PORT, one local
# user FTP_USER (password FTP_PASSWORD) chrooted to its home, passive
# ports PASV_MIN..PASV_MAX announced on LB_IP.
# The certificate: the stack's own (ftboot's, the one nginx serves and
# `ftboot check` pins) when TLS_CERT_FILE and TLS_KEY_FILE name it
# (templates/ftps.yaml mounts them from the Secret ${stack}-tls), copied
# in at every start; only without them (a standalone run) a self-signed
# one for LB_IP, made at first start.
# First start (idempotent): that certificate and the user, both kept on
# the FTP_DATA volume / in /etc/passwd; a second start changes neither. Then vsftpd runs in the foreground; when it ends this
# PID 1 exits non-zero and the kubelet restarts the container.
set -eu
: "${VSFTPD:=vsftpd}" "${VSFTPD_CONF:=/etc/vsftpd/vsftpd.conf}"
: "${VSFTPD_EMPTY_DIR:=/usr/share/empty}" "${VSFTPD_LOG:=/dev/stdout}"
: "${VSFTPD_LISTEN_ADDRESS:=}" # empty: every address of the container
: "${FTP_DATA:=/var/lib/ftp}"  # tls/ (root only) and home/USER
: "${ADDUSER:=adduser}" "${CHPASSWD:=chpasswd}" "${OPENSSL:=openssl}"

fail() {
	echo "entrypoint: $*" >&2
	exit 2
}
for v in FTP_PORT FTP_USER FTP_PASSWORD PASV_MIN PASV_MAX LB_IP; do
	eval "[ -n \"\${$v:-}\" ]" || fail "$v is not set"
done
p=
for v in FTP_PORT PASV_MIN PASV_MAX; do
	eval "p=\$$v"
	case $p in *[!0-9]* | 0*) fail "$v='$p' is not a port number" ;; esac
	[ "$p" -le 65535 ] || fail "$v=$p is not a port number"
done
[ "$PASV_MIN" -le "$PASV_MAX" ] || fail "PASV_MIN=$PASV_MIN is above PASV_MAX=$PASV_MAX"
case $LB_IP in *[!0-9.]* | *..* | .* | *.) fail "LB_IP='$LB_IP' is not an IPv4 address" ;; esac
case $FTP_USER in
[a-z_]*[!a-z0-9_-]* | [!a-z_]*) fail "FTP_USER='$FTP_USER': use a-z, 0-9, '_' and '-', starting with a letter or '_'" ;;
esac
case $FTP_PASSWORD in *[[:cntrl:]]*) fail "FTP_PASSWORD holds a control character" ;; esac

# The stack's certificate, when given, is checked before anything is made.
if [ -n "${TLS_CERT_FILE:-}${TLS_KEY_FILE:-}" ]; then
	for v in TLS_CERT_FILE TLS_KEY_FILE; do
		eval "p=\${$v:-}"
		[ -n "$p" ] || fail "$v is not set but its pair is: templates/ftps.yaml sets both"
		{ [ -f "$p" ] && [ -s "$p" ]; } ||
			fail "$v='$p' is missing or empty: templates/ftps.yaml mounts it from the stack's Secret (ftboot apply makes it)"
	done
fi

tls=$FTP_DATA/tls
home=$FTP_DATA/home/$FTP_USER
mkdir -p "$tls" "$FTP_DATA/home"
chmod 700 "$tls"
if [ -n "${TLS_CERT_FILE:-}" ]; then
	# 0600 copies: the mounted Secret is read-only, vsftpd reads them as root.
	(umask 077 && cp "$TLS_CERT_FILE" "$tls/cert.pem.new" && cp "$TLS_KEY_FILE" "$tls/key.pem.new" &&
		chmod 600 "$tls/cert.pem.new" "$tls/key.pem.new") ||
		fail "cannot copy the stack's certificate into $tls"
	mv "$tls/key.pem.new" "$tls/key.pem"
	mv "$tls/cert.pem.new" "$tls/cert.pem"
	echo "entrypoint: serving the stack's TLS certificate from $TLS_CERT_FILE" >&2
elif [ -s "$tls/cert.pem" ] && [ -s "$tls/key.pem" ]; then
	echo "entrypoint: no TLS_CERT_FILE: serving the certificate kept in $tls" >&2
else
	(umask 077 && "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -days 3650 \
		-subj "/CN=$LB_IP" -addext "subjectAltName=IP:$LB_IP" \
		-keyout "$tls/key.pem.new" -out "$tls/cert.pem.new" 2>/dev/null) ||
		fail "cannot generate the TLS certificate in $tls"
	mv "$tls/key.pem.new" "$tls/key.pem"
	mv "$tls/cert.pem.new" "$tls/cert.pem"
	echo "entrypoint: no TLS_CERT_FILE: TLS certificate for $LB_IP generated" >&2
fi
if ! id -u "$FTP_USER" >/dev/null 2>&1; then
	"$ADDUSER" -D -H -h "$home" -s /sbin/nologin "$FTP_USER" ||
		fail "cannot create user '$FTP_USER'"
	printf '%s:%s\n' "$FTP_USER" "$FTP_PASSWORD" | "$CHPASSWD" >/dev/null ||
		fail "cannot set the password of '$FTP_USER'"
	echo "entrypoint: user '$FTP_USER' created" >&2
fi
mkdir -p "$home"
chown "$FTP_USER" "$home"
chmod 755 "$home"

# Each daemon runs in a child of its own subshell, which waits for it, then
# tells PID 1 (USR1). stop()'s group kill reaches the daemon itself; a
# daemon the subshell starts just after that kill did not get it, so the
# subshell, which did (its trap notes it), passes it on: stop()'s wait
# cannot outlive a daemon that never heard it.
run() {
	(
		stopping=''
		trap 'stopping=1' TERM INT
		"$@" &
		pid=$!
		[ -z "$stopping" ] || kill -TERM "$pid" 2>/dev/null || :
		while kill -0 "$pid" 2>/dev/null; do wait "$pid" || :; done
		echo "entrypoint: $1 exited" >&2
		kill -USR1 $$
	) &
}
stop() {
	trap '' TERM INT USR1
	kill -TERM 0 2>/dev/null || :
	wait
	exit "$1"
}
trap 'stop 1' USR1     # vsftpd died: exit, the kubelet restarts us
trap 'stop 0' TERM INT # asked to stop
run "$VSFTPD" "$VSFTPD_CONF" -olisten_port="$FTP_PORT" \
	${VSFTPD_LISTEN_ADDRESS:+"-olisten_address=$VSFTPD_LISTEN_ADDRESS"} \
	-opasv_min_port="$PASV_MIN" -opasv_max_port="$PASV_MAX" -opasv_address="$LB_IP" \
	-orsa_cert_file="$tls/cert.pem" -orsa_private_key_file="$tls/key.pem" \
	-osecure_chroot_dir="$VSFTPD_EMPTY_DIR" -ovsftpd_log_file="$VSFTPD_LOG"
wait
stop 1
