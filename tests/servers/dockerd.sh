#!/usr/bin/env bash
# tests/servers/dockerd.sh: Debian's docker.io dockerd as a real peer for
# the Docker Engine API tests: a private instance with its own socket, data
# root, exec root and pid file, no bridge and no iptables rules, so it
# touches nothing of the host's own docker (if any) or network.
#
#   tests/servers/dockerd.sh start DIR [CA CERT KEY]
#       prints the unix socket's path, and with CA CERT KEY also the TCP
#       port on a second line; dockerd runs in the background
#   tests/servers/dockerd.sh stop DIR
#       stops it and waits for it to exit (bounded: 30 s, then SIGKILL)
#
# Or source it and call dockerd_start / dockerd_stop (they set
# $dockerd_sock and, with TLS, $dockerd_port).
#
# With CA CERT KEY the engine also listens on 127.0.0.1:PORT with
# --tlsverify: only clients with a certificate from CA get in.
# DIR ends up holding: docker.sock, data/, exec/ (a short path under /run,
# linked as DIR/exec: the exec root's socket paths must be short),
# dockerd.pid, dockerd.log, port.
# Use DOCKER=$(dockerd_cli) for the CLI: Debian's /usr/bin/docker, never
# whatever `docker` PATH finds first.
# DOCKERD_DEBUG=1: dockerd runs with -D, so its log shows each API call
# ("Calling POST /v1.41/build"), for tests that prove what was sent.
# Exit status 1 with a reason on stderr if dockerd cannot start, or if /
# is a chroot (see dockerd_root_check: docker exec would escape it).

dockerd_cli() {
	echo /usr/bin/docker
}

# shellcheck source=tests/servers/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

# 0 if / is the root of this mount namespace. In a chroot it is not, and
# runc's exec enters a container by setns(2) on its mount namespace, which
# puts the process at that namespace's root: the host's /, not the
# container's (runc's pivot_root put the container's root where the
# chroot's is). docker exec would run its commands on the host's files.
# / is compared by device, inode and mount id (a chroot into a bind mount
# of / has the same device and inode).
dockerd_root_check() {
	local here there probe

	# shellcheck disable=SC2016 # expanded by the sh that runs it
	probe='echo "$(stat -c %d:%i /) mount $(awk '\''$5 == "/" { id = $1 } END { print id }'\'' /proc/self/mountinfo)"'
	here=$(sh -c "$probe") || return 1
	if ! there=$(nsenter --mount=/proc/self/ns/mnt sh -c "$probe" 2>&1); then
		echo "dockerd.sh: cannot check that / is the root of its mount namespace: nsenter: $there" >&2
		return 1
	fi
	[ "$here" = "$there" ] && return 0
	echo "dockerd.sh: / is a chroot ($here), not the root of its mount namespace ($there):" \
		"docker exec would run its commands in the namespace's root, not in the container;" \
		"enter this root as its mount namespace's root (unshare --mount, pivot_root), as tests/fresh/run.sh does" >&2
	return 1
}

# dockerd_start DIR [CA CERT KEY]: start dockerd, set dockerd_sock (and dockerd_port).
dockerd_start() {
	local dir=$1 ca=${2:-} cert=${3:-} key=${4:-} pid port i tcp=() exec_root debug=() attempt

	if [ ! -x /usr/sbin/dockerd ] || [ ! -x /usr/bin/docker ]; then
		echo "dockerd.sh: dockerd not installed (apt-get install docker.io)" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "dockerd.sh: dockerd needs root" >&2
		return 1
	fi
	dockerd_root_check || return 1
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	exec_root=$(mktemp -d /run/ftbd.XXXXXX) || return 1
	ln -sfn "$exec_root" "$dir/exec" || return 1
	dockerd_sock=$dir/docker.sock
	# A random TCP port, and another one when it turns out taken (a port
	# free when picked may be bound by anyone before dockerd binds it).
	for attempt in 1 2 3 4 5; do
		if [ -n "$ca" ]; then
			port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
			tcp=(--tlsverify "--tlscacert=$ca" "--tlscert=$cert" "--tlskey=$key"
				-H "tcp://127.0.0.1:$port")
		fi
		[ "${DOCKERD_DEBUG:-0}" = 1 ] && debug=(-D)
		rm -f "$dir/dockerd.pid" "$dockerd_sock"
		# Its own containerd (dockerd starts one under the exec root when not
		# given --containerd).
		/usr/sbin/dockerd --data-root "$dir/data" --exec-root "$exec_root" \
			--pidfile "$dir/dockerd.pid" -H "unix://$dockerd_sock" "${tcp[@]}" \
			--bridge=none --iptables=false --ip-forward=false --ip-masq=false \
			--userland-proxy=false --storage-driver=overlay2 "${debug[@]}" \
			</dev/null >"$dir/dockerd.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/server.pid"
		for i in $(seq 1 300); do
			if /usr/bin/docker -H "unix://$dockerd_sock" version >/dev/null 2>&1; then
				if [ -n "$ca" ]; then
					echo "$port" >"$dir/port"
					dockerd_port=$port
				fi
				return 0
			fi
			proc_alive "$pid" || break
			sleep 0.1
			: "$i"
		done
		if [ -z "$ca" ] || proc_alive "$pid" ||
			! grep -q 'address already in use' "$dir/dockerd.log"; then
			break
		fi
		wait "$pid" 2>/dev/null
		echo "dockerd.sh: port $port was taken; another one (attempt $attempt)" >&2
	done
	echo "dockerd.sh: dockerd did not answer on $dockerd_sock within 30 s:" >&2
	tail -n 8 "$dir/dockerd.log" >&2
	dockerd_stop "$dir"
	return 1
}

# dockerd_stop DIR: stop the dockerd started in DIR, wait for it.
# Safe under set -e (callers' EXIT traps use it): nothing here may fail.
dockerd_stop() {
	local dir=$1 pid i exec_root

	pid=$(cat "$dir/server.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 300); do
		proc_alive "$pid" || break
		sleep 0.1
		: "$i"
	done
	if proc_alive "$pid"; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	exec_root=$(readlink "$dir/exec" 2>/dev/null) || exec_root=
	# A containerd or shim dockerd started outlives it on SIGKILL.
	if [ -n "$exec_root" ]; then
		pkill -9 -f -- "$exec_root" 2>/dev/null || true
		case $exec_root in /run/ftbd.*) rm -rf "$exec_root" ;; esac
	fi
	rm -f "$dir/server.pid" "$dir/exec" || true
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start)
		[ $# -eq 2 ] || [ $# -eq 5 ] || { echo "usage: $0 start DIR [CA CERT KEY]" >&2; exit 2; }
		dockerd_start "$2" "${3:-}" "${4:-}" "${5:-}" || exit 1
		echo "$dockerd_sock"
		[ -z "${dockerd_port:-}" ] || echo "$dockerd_port"
		;;
	stop)
		[ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
		dockerd_stop "$2"
		;;
	*)
		echo "usage: $0 start DIR [CA CERT KEY] | stop DIR" >&2
		exit 2
		;;
	esac
fi
