#!/bin/sh
# The nginx container (R6, R7, R8): nginx on HTTP_PORT and HTTPS_PORT, sshd
# on SSH_PORT. At start it checks its environment, renders nginx.conf from
# the template and makes what belongs to this installation, once: the
# self-signed certificate, the SSH host keys, the user SSH_USER with the
# password SSH_PASSWORD (a second start changes nothing). Then it runs both
# daemons in the foreground and exits non-zero when either ends, so that
# the kubelet restarts the container (R14).
#
# Environment (templates/nginx.yaml): LB_IP, WORDPRESS_PORT,
# PHPMYADMIN_HOST (default phpmyadmin), PHPMYADMIN_PORT, SSH_USER,
# SSH_PASSWORD; TLS_CERT_FILE, TLS_KEY_FILE and SSH_HOST_KEY_FILE, the
# stack's own certificate, its key and sshd's host key (ftboot's, mounted
# from the Secrets ${stack}-tls and ${stack}-ssh-host-key, which `ftboot
# check` pins): when they are set, those are served, copied in at every
# start; only when they are not (a standalone run) are the certificate and
# host keys made here, once. Programs and paths below default to Alpine's (NGINX_BIN,
# not NGINX: nginx takes an exported NGINX for inherited sockets).
set -eu

: "${NGINX_BIN:=nginx}" "${SSHD:=/usr/sbin/sshd}" "${OPENSSL:=openssl}"
: "${SSH_KEYGEN:=ssh-keygen}" "${USERADD:=useradd}" "${CHPASSWD:=chpasswd}"
: "${NGINX_TEMPLATE:=/etc/nginx/nginx.conf.in}" "${NGINX_CONF_DIR:=/etc/nginx}"
: "${NGINX_RUN_DIR:=/run/nginx}" "${NGINX_HTML_DIR:=/var/www/html}"
: "${NGINX_USER:=nginx}" "${SSHD_CONFIG:=/etc/ssh/sshd_config}"
: "${SHADOW:=/etc/shadow}"
# Per pod (an emptyDir in templates/nginx.yaml): a restarted container
# keeps its certificate and host keys.
: "${TLS_DIR:=/var/lib/ftboot/tls}" "${SSH_KEY_PREFIX:=/var/lib/ftboot/ssh}"
: "${HTTP_PORT:=80}" "${HTTPS_PORT:=443}" "${SSH_PORT:=22}"
: "${PHPMYADMIN_HOST:=phpmyadmin}"

die() {
	echo "entrypoint: $*" >&2
	exit 1
}

# check NAME ERE WHAT: $NAME is set, one line, and all of it matches ERE.
check() {
	eval "v=\${$1-}"
	[ -n "$v" ] || die "$1 is not set: templates/nginx.yaml gives it"
	case $v in *'
'*) die "$1 holds a newline" ;; esac
	printf '%s\n' "$v" | grep -Eqx -- "$2" || die "$1 '$v' is not $3"
}

name='[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?'
path='/[A-Za-z0-9._/-]*'
check LB_IP "$name" "an IPv4 address or a DNS name"
check PHPMYADMIN_HOST "$name" "a host name or an IPv4 address"
for p in WORDPRESS_PORT PHPMYADMIN_PORT HTTP_PORT HTTPS_PORT SSH_PORT; do
	check "$p" '[1-9][0-9]{0,4}' "a port"
	[ "$v" -le 65535 ] || die "$p '$v' is not a port"
done
check SSH_USER '[a-z_][a-z0-9_-]{0,31}' "a user name (lowercase, at most 32)"
[ "$SSH_USER" != root ] || die "SSH_USER may not be root: root cannot log in (PermitRootLogin no)"
check NGINX_USER '[a-z_][a-z0-9_-]*' "a user name"
for p in NGINX_RUN_DIR NGINX_CONF_DIR NGINX_HTML_DIR TLS_DIR; do
	check "$p" "$path" "an absolute path"
done
[ -n "${SSH_PASSWORD-}" ] || die "SSH_PASSWORD is not set: templates/nginx.yaml takes it from the secret ssh-password"
case $SSH_PASSWORD in *'
'*) die "SSH_PASSWORD holds a newline" ;; esac

# mounted VAR: the file $VAR names is there and not empty, or die.
mounted() {
	eval "v=\${$1-}"
	[ -n "$v" ] || die "$1 is not set but its pair is: templates/nginx.yaml sets both"
	{ [ -f "$v" ] && [ -s "$v" ]; } || die "$1 '$v' is missing or empty: templates/nginx.yaml mounts it from the stack's Secret (ftboot apply makes it)"
}
# private SRC DST: DST becomes a 0600 copy of SRC (the mounted Secret is
# read-only and sshd wants its key private).
private() {
	(
		umask 077
		mkdir -p "${2%/*}"
		cp "$1" "$2.new"
		chmod 600 "$2.new"
	)
	mv "$2.new" "$2"
}

# The stack's keys, when given, are checked before anything is made.
if [ -n "${TLS_CERT_FILE-}${TLS_KEY_FILE-}" ]; then
	mounted TLS_CERT_FILE
	mounted TLS_KEY_FILE
fi
if [ -n "${SSH_HOST_KEY_FILE-}" ]; then
	mounted SSH_HOST_KEY_FILE
	fp=$("$SSH_KEYGEN" -l -f "$SSH_HOST_KEY_FILE" 2>&1) ||
		die "SSH_HOST_KEY_FILE '$SSH_HOST_KEY_FILE' is not an SSH private key ssh-keygen reads: $fp"
	fp=${fp#* }
	fp=${fp%% *}
fi

mkdir -p "$NGINX_RUN_DIR"
# shellcheck disable=SC2153 # PHPMYADMIN_PORT is from the environment, checked above
sed -e "s|@LB_IP@|$LB_IP|g" -e "s|@WORDPRESS_PORT@|$WORDPRESS_PORT|g" \
	-e "s|@PHPMYADMIN_HOST@|$PHPMYADMIN_HOST|g" -e "s|@PHPMYADMIN_PORT@|$PHPMYADMIN_PORT|g" \
	-e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
	-e "s|@NGINX_USER@|$NGINX_USER|g" -e "s|@NGINX_RUN_DIR@|$NGINX_RUN_DIR|g" \
	-e "s|@NGINX_CONF_DIR@|$NGINX_CONF_DIR|g" -e "s|@NGINX_HTML_DIR@|$NGINX_HTML_DIR|g" \
	-e "s|@TLS_DIR@|$TLS_DIR|g" "$NGINX_TEMPLATE" >"$NGINX_RUN_DIR/nginx.conf.new"
mv "$NGINX_RUN_DIR/nginx.conf.new" "$NGINX_RUN_DIR/nginx.conf"

# The certificate names the LoadBalancer address (R6: self-signed): the
# stack's when mounted, else one made here at first start.
if [ -n "${TLS_CERT_FILE-}" ]; then
	private "$TLS_CERT_FILE" "$TLS_DIR/cert.pem"
	private "$TLS_KEY_FILE" "$TLS_DIR/key.pem"
	echo "entrypoint: serving the stack's TLS certificate from $TLS_CERT_FILE" >&2
elif [ -s "$TLS_DIR/cert.pem" ] && [ -s "$TLS_DIR/key.pem" ]; then
	echo "entrypoint: no TLS_CERT_FILE: serving the certificate kept in $TLS_DIR" >&2
else
	case $LB_IP in *[!0-9.]*) san=DNS:$LB_IP ;; *) san=IP:$LB_IP ;; esac
	(
		umask 077
		mkdir -p "$TLS_DIR"
		"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-days 3650 -subj "/CN=$LB_IP" -addext "subjectAltName=$san" \
			-keyout "$TLS_DIR/key.pem.new" -out "$TLS_DIR/cert.pem.new"
	)
	mv "$TLS_DIR/key.pem.new" "$TLS_DIR/key.pem"
	mv "$TLS_DIR/cert.pem.new" "$TLS_DIR/cert.pem"
	echo "entrypoint: no TLS_CERT_FILE: generated a TLS certificate for $LB_IP" >&2
fi

# The host key: the stack's when mounted, and then only it (a client
# offered another type would see a key nobody pinned); else ssh-keygen -A,
# which makes only the missing keys, under PREFIX/etc/ssh.
set --
if [ -n "${SSH_HOST_KEY_FILE-}" ]; then
	key=$SSH_KEY_PREFIX/etc/ssh/ssh_host_ed25519_key
	private "$SSH_HOST_KEY_FILE" "$key"
	rm -f "$key.pub" # a standalone start's, of another key
	set -- -h "$key"
	echo "entrypoint: offering the stack's SSH host key from $SSH_HOST_KEY_FILE ($fp)" >&2
else
	mkdir -p "$SSH_KEY_PREFIX/etc/ssh"
	made=generated
	[ ! -s "$SSH_KEY_PREFIX/etc/ssh/ssh_host_ed25519_key" ] || made=kept
	"$SSH_KEYGEN" -A -f "$SSH_KEY_PREFIX"
	for t in rsa ecdsa ed25519; do
		set -- "$@" -h "$SSH_KEY_PREFIX/etc/ssh/ssh_host_${t}_key"
	done
	if [ "$made" = generated ]; then
		echo "entrypoint: no SSH_HOST_KEY_FILE: generated the SSH host keys" >&2
	else
		echo "entrypoint: no SSH_HOST_KEY_FILE: offering the SSH host keys kept in $SSH_KEY_PREFIX" >&2
	fi
fi
# k3s's ServiceLB masquerades every connection to IP:22, so all clients
# share one source address: OpenSSH 9.8's per-source penalties would lock
# every user out after a few failed logins. Off where sshd knows them
# (older sshds refuse the keyword, hence the test and no sshd_config line).
if "$SSHD" -t -f "$SSHD_CONFIG" -o PerSourcePenalties=no "$@" 2>/dev/null; then
	set -- "$@" -o PerSourcePenalties=no
fi

# The SSH user; its password is set only when the stored hash does not
# already match it (the password never appears in a command line).
id -u "$SSH_USER" >/dev/null 2>&1 || "$USERADD" -m -l -s /bin/sh "$SSH_USER"
pw() { printf '%s\n' "$SSH_PASSWORD" | "$OPENSSL" passwd -6 "$@" -stdin; }
hash=$(awk -F: -v u="$SSH_USER" '$1 == u { print $2 }' "$SHADOW")
case $hash in
\$6\$*)
	salt=${hash#???}
	salt=${salt%%\$*}
	;;
*) salt= ;;
esac
if [ -z "$salt" ] || [ "$(pw -salt "$salt")" != "$hash" ]; then
	printf '%s:%s\n' "$SSH_USER" "$(pw)" | "$CHPASSWD" -e
	echo "entrypoint: set the password of $SSH_USER" >&2
fi

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
trap 'stop 1' USR1     # a daemon died: exit, the kubelet restarts us
trap 'stop 0' TERM INT # asked to stop
run "$NGINX_BIN" -c "$NGINX_RUN_DIR/nginx.conf" -e stderr
run "$SSHD" -D -e -f "$SSHD_CONFIG" -p "$SSH_PORT" "$@"
wait
stop 1
