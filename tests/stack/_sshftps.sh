# shellcheck shell=bash disable=SC2154 # tmp: tests/lib.sh's scratch; the caller's settings
# tests/stack/_sshftps.sh: sshd with srcs/nginx/sshd_config and the ftps
# container's entry point (srcs/ftps/entrypoint.sh, vsftpd.conf) under
# Debian's sshd and vsftpd on loopback, each in a private mount namespace
# (_lib.sh's ns_overlay on $tmp, made first), for
# tests/integration/check_ssh_ftps.sh and tests/servers/loopstack.sh
# (sourced after tests/lib.sh and _lib.sh).
#
#   svckeys_standin SVC    the state's service keys in SVC (tls-cert.pem,
#                          tls-key.pem for 127.0.0.1, ssh_host_ed25519_key)
#                          unless render made them (the svckeys branch)
#   stop_group PID PORT    TERM the process group PID until PORT is free
#                          (10 s), then KILL
#   sshd_up CONFIG KEY     (re)start sshd -D with CONFIG and host key KEY
#                          on 127.0.0.1:$ssh_port, $ssh_user with the
#                          password in $tmp/ssh_pw (useradd, chpasswd as
#                          the entry point does); log $tmp/sshd.log;
#                          status 1 if it does not listen (20 s)
#   ftps_up DATA CONF [LB_IP]
#                          (re)start the ftps entry point with FTP_DATA
#                          DATA and vsftpd.conf CONF, from the caller's
#                          $ftp_port, $pmin, $pmax, $ftp_user, $ftp_pw;
#                          log $tmp/vsftpd.log; status 1 if it does not
#                          listen (30 s)
# Each started group's pid is appended to the caller's array groups;
# $sshd_pid and $ftps_pid are the current ones.
sshd_pid=
ftps_pid=

svckeys_standin() {
	local svc=$1
	[ -s "$svc/tls-cert.pem" ] && [ -s "$svc/ssh_host_ed25519_key" ] && return 0
	mkdir -p "$svc" && chmod 700 "$svc"
	(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 30 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$svc/tls-key.pem" -out "$svc/tls-cert.pem" 2>/dev/null &&
		ssh-keygen -q -t ed25519 -N '' -C ftboot-service -f "$svc/ssh_host_ed25519_key" </dev/null)
}

stop_group() {
	local i
	kill -TERM -- "-$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null
}

sshd_up() {
	if [ ! -x "$tmp/sshd-run.sh" ]; then
		cat >"$tmp/sshd-run.sh" <<'EOS'
#!/bin/sh
# sshd-run.sh USER PWFILE CONFIG KEY PORT LOG: in the namespace, the user
# (once) with the password in PWFILE, then sshd in the foreground.
set -e
id -u "$1" >/dev/null 2>&1 || useradd -m -s /bin/sh "$1"
printf '%s:%s\n' "$1" "$(cat "$2")" | chpasswd
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -E "$6" -f "$3" -h "$4" -p "$5" -o ListenAddress=127.0.0.1
EOS
		chmod 755 "$tmp/sshd-run.sh"
	fi
	[ -z "$sshd_pid" ] || stop_group "$sshd_pid" "$ssh_port"
	: >"$tmp/sshd.log"
	setsid unshare -m --propagation private "$tmp/ns.sh" "$tmp" \
		"$tmp/sshd-run.sh" "$ssh_user" "$tmp/ssh_pw" "$1" "$2" "$ssh_port" "$tmp/sshd.log" \
		</dev/null >"$tmp/sshd.out" 2>&1 &
	sshd_pid=$!
	groups+=("$sshd_pid")
	wait_port "$ssh_port" 20 || { tail -5 "$tmp/sshd.log" "$tmp/sshd.out" | sed 's/^/#   /'; return 1; }
}

ftps_up() {
	[ -z "$ftps_pid" ] || stop_group "$ftps_pid" "$ftp_port"
	mkdir -p "$tmp/bin" "$tmp/empty"
	[ -x "$tmp/bin/adduser" ] || adduser_standin "$tmp/bin/adduser"
	: >"$tmp/vsftpd.log"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin FTP_PORT="$ftp_port" PASV_MIN="$pmin" PASV_MAX="$pmax" \
		LB_IP="${3:-127.0.0.1}" FTP_USER="$ftp_user" FTP_PASSWORD="$ftp_pw" VSFTPD=/usr/sbin/vsftpd \
		VSFTPD_CONF="$2" VSFTPD_LISTEN_ADDRESS=127.0.0.1 VSFTPD_EMPTY_DIR="$tmp/empty" \
		VSFTPD_LOG="$tmp/vsftpd.log" FTP_DATA="$1" ADDUSER="$tmp/bin/adduser" \
		CHPASSWD=/usr/sbin/chpasswd \
		setsid unshare -m --propagation private "$tmp/ns.sh" "$tmp" \
		busybox sh "$FTBOOT_TOP/srcs/ftps/entrypoint.sh" </dev/null >>"$tmp/ftps.out" 2>&1 &
	ftps_pid=$!
	groups+=("$ftps_pid")
	wait_port "$ftp_port" 30 || { tail -5 "$tmp/ftps.out" | sed 's/^/#   /'; return 1; }
}
