#!/usr/bin/env bash
# tests/servers/sshd.sh: Debian's OpenSSH sshd on a free loopback port, with
# its own host key, config, pid file, log and authorized_keys. A real SSH
# peer for the ssh module's tests (not a double).
#
#   tests/servers/sshd.sh start DIR [PID]   prints the port; sshd runs in
#                                           the background (until process
#                                           PID is gone, when given: a
#                                           crashed test leaves no daemon)
#   tests/servers/sshd.sh stop DIR          stops it, waits for it to exit
#
# Or source it and call sshd_start / sshd_stop (they set $sshd_port).
#
# DIR (created if missing) ends up holding:
#   host_ed25519, host_ed25519.pub   the server's host key (made if missing)
#   host_fingerprint                 its "SHA256:..." fingerprint
#   host_ecdsa, host_ecdsa.pub       a second host key (listed first)
#   id_ed25519, id_ed25519.pub       a client key (made if missing)
#   authorized_keys                  id_ed25519.pub (made if missing)
#   sshd_config, sshd.log (LogLevel DEBUG1), sshd.out (its stdout and
#   stderr), sshd.pid, server.pid, port
# Any user who has id_ed25519 may log in as the user running this script
# (sshd needs root to do that for other users, and for privilege
# separation). SFTP is sshd's internal-sftp, or what SSHD_SFTP says: a
# program's path (a missing one is Alpine's image without
# openssh-sftp-server), or "none" for no SFTP subsystem at all.
# Exit status 1 with a reason on stderr if sshd cannot start.

sshd_conf() {
	local dir=$1 port=$2

	cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ecdsa
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowStreamLocalForwarding yes
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel DEBUG1
EOF
	if [ "${SSHD_SFTP:-internal-sftp}" != none ]; then
		echo "Subsystem sftp ${SSHD_SFTP:-internal-sftp}" >>"$dir/sshd_config"
	fi
}

# sshd_keys DIR: host key, client key and authorized_keys, unless present.
sshd_keys() {
	local dir=$1

	if [ ! -s "$dir/host_ed25519" ]; then
		ssh-keygen -q -t ed25519 -N '' -C ftboot-test-host -f "$dir/host_ed25519" \
			</dev/null >/dev/null || return 1
	fi
	# A second host key, as cloud images have: clients must pick the pinned one.
	if [ ! -s "$dir/host_ecdsa" ]; then
		ssh-keygen -q -t ecdsa -N '' -C ftboot-test-host -f "$dir/host_ecdsa" \
			</dev/null >/dev/null || return 1
	fi
	if [ ! -s "$dir/id_ed25519" ]; then
		ssh-keygen -q -t ed25519 -N '' -C ftboot-test-client -f "$dir/id_ed25519" \
			</dev/null >/dev/null || return 1
	fi
	[ -s "$dir/authorized_keys" ] || cp "$dir/id_ed25519.pub" "$dir/authorized_keys" || return 1
	ssh-keygen -l -E sha256 -f "$dir/host_ed25519.pub" | awk '{ print $2 }' \
		>"$dir/host_fingerprint" || return 1
	grep -q '^SHA256:' "$dir/host_fingerprint"
}

# shellcheck source=tests/servers/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

# sshd_start DIR: start sshd, set sshd_port. 0 on success.
sshd_start() {
	local dir=$1 sshd port pid try i

	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	if [ ! -x "$sshd" ]; then
		echo "sshd.sh: sshd not installed (apt-get install openssh-server)" >&2
		return 1
	fi
	if ! command -v ssh-keygen >/dev/null 2>&1; then
		echo "sshd.sh: ssh-keygen not installed (apt-get install openssh-client)" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "sshd.sh: sshd needs root here (privilege separation)" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	# sshd's privilege-separation directory (a tmpfs that may be empty).
	mkdir -p /run/sshd || return 1
	sshd_keys "$dir" || { echo "sshd.sh: cannot make keys in $dir" >&2; return 1; }
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		sshd_conf "$dir" "$port"
		rm -f "$dir/sshd.pid"
		: >"$dir/sshd.log"
		: >"$dir/sshd.out"
		# sshd re-executes itself: it needs its absolute path. -E, not -e:
		# with -e, session processes log into the client's stderr.
		"$sshd" -D -E "$dir/sshd.log" -f "$dir/sshd_config" </dev/null \
			>"$dir/sshd.out" 2>&1 &
		pid=$!
		# "Server listening" is logged once the socket is bound.
		for i in $(seq 1 100); do
			grep -q 'Server listening on' "$dir/sshd.log" && break
			proc_alive "$pid" || break
			sleep 0.05
		done
		if grep -q 'Server listening on' "$dir/sshd.log" && proc_alive "$pid"; then
			echo "$pid" >"$dir/server.pid"
			echo "$port" >"$dir/port"
			sshd_port=$port
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		# A port taken by someone else: try another; anything else: give up.
		grep -q 'Address already in use' "$dir/sshd.log" "$dir/sshd.out" || break
		: "$try"
	done
	echo "sshd.sh: sshd did not start:" >&2
	tail -n 5 "$dir/sshd.log" "$dir/sshd.out" >&2
	return 1
}

# sshd_stop DIR: stop the sshd started there (quietly if none).
sshd_stop() {
	local dir=$1 pid i

	[ -s "$dir/server.pid" ] || return 0
	pid=$(cat "$dir/server.pid")
	# TERM: the listener exits; sessions still open end with their clients.
	kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/server.pid"; return 0; }
	for i in $(seq 1 100); do
		proc_alive "$pid" || break
		sleep 0.05
	done
	proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	rm -f "$dir/server.pid"
	: "$i"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	start)
		[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 start DIR [PID]" >&2; exit 2; }
		sshd_start "$2" || exit 1
		if [ $# -eq 3 ]; then
			dir=$(cd "$2" && pwd)
			owner=$3
			(
				while kill -0 "$owner" 2>/dev/null; do sleep 1; done
				sshd_stop "$dir"
			) </dev/null >/dev/null 2>&1 &
		fi
		echo "$sshd_port"
		;;
	stop)
		[ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
		sshd_stop "$2"
		;;
	*)
		echo "usage: $0 start DIR [PID] | stop DIR" >&2
		exit 2
		;;
	esac
fi
