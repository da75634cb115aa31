#!/usr/bin/env bash
# tests/servers/libvirtd.sh: a real, private libvirtd for one test run, in a
# network namespace of its own, so the tests' bridges, dnsmasq and iptables
# rules never touch the host's network (this machine has no systemd: the
# daemons are started by hand).
#
#   tests/servers/libvirtd.sh start DIR   make the namespace, start virtlogd
#                                         and libvirtd in it, write DIR/env
#   tests/servers/libvirtd.sh stop DIR    stop them, remove the namespace
#   tests/servers/libvirtd.sh status DIR  exit 0 if the daemon answers
#
# DIR (created if missing, must be new or stopped) holds everything of the
# run: run/ (the daemons' /run/libvirt: sockets, pid files, network and
# domain status), etc/ (their /etc/libvirt: a copy of the host's
# configuration without its networks, domains and pools), the logs, and
# env, for the tests to source:
#
#   FTBOOT_TEST_NETNS=ftbt-XXXXXX          the network namespace (ip netns)
#   FTBOOT_TEST_LIBVIRT_URI=qemu:///system?socket=DIR/run/libvirt-sock
#
# The daemons run in a mount namespace where DIR/run is /run/libvirt and
# DIR/etc is /etc/libvirt, so two runs (or the host's own libvirtd) never
# share a socket, a pid file or a definition. /var/lib/libvirt (disk
# images, dnsmasq leases, QEMU's runtime files) and the capability cache
# are the host's: the tests give their stacks names unique per run.
#
# LIBVIRTD_HIDE="prog ..." starts the daemons with a PATH of links to every
# program but those: a host that lacks them, for the tests of ftboot's
# advice (dnsmasq missing).
#
# Exit status: 0 done, 77 cannot run here (not root, libvirt, iproute2 or
# unshare missing, no network namespaces; the reason is on stderr), 1
# failed (libvirtd's log is shown).
set -u

wait_s=${LIBVIRTD_WAIT:-30}

say() { echo "libvirtd.sh: $*" >&2; }

prereqs() {
	local p
	if [ "$(id -u)" -ne 0 ]; then
		say "needs root to run a system libvirtd (qemu:///system) and a network namespace"
		exit 77
	fi
	for p in libvirtd virtlogd virsh; do
		command -v "$p" >/dev/null 2>&1 ||
			{ say "$p not found; install it with: apt-get install libvirt-daemon-system libvirt-clients"; exit 77; }
	done
	for p in ip unshare; do
		command -v "$p" >/dev/null 2>&1 ||
			{ say "$p not found; install it with: apt-get install iproute2 util-linux"; exit 77; }
	done
	command -v dnsmasq >/dev/null 2>&1 ||
		{ say "dnsmasq not found: libvirt's NAT networks need it; apt-get install dnsmasq-base"; exit 77; }
}

# What udev's rule does on a laptop: /dev/kvm group kvm, mode 0660. With no
# udev it stays root-only; libvirtd then finds KVM as root but not as the
# QEMU user, calls its capability cache stale and probes QEMU again on every
# lookup (a domain define took 30-130 s instead of 0.03 s).
kvm_perms() {
	[ -c /dev/kvm ] || return 0
	getent group kvm >/dev/null || return 0
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
}

# The pid in a pid file, if that process is alive and is the named program.
live_pid() {
	local file=$1 prog=$2 pid
	[ -r "$file" ] || return 1
	read -r pid <"$file" || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ -r "/proc/$pid/comm" ] || return 1
	[ "$(cat "/proc/$pid/comm")" = "$prog" ] || return 1
	echo "$pid"
}

# hide_programs DIR "prog ...": DIR holds a link to every program on PATH
# but those (the first of each name, as PATH would find it: ln keeps the
# link it made first and refuses the later ones).
hide_programs() {
	local bin=$1 d p dirs
	mkdir -p "$bin"
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		[ -d "$d" ] && ln -s "$d"/* "$bin"/ 2>/dev/null
	done
	for p in $2; do
		rm -f "${bin:?}/$p"
	done
}

answers() { # dir
	# shellcheck disable=SC1091
	(. "$1/env" && timeout 10 virsh -q -c "$FTBOOT_TEST_LIBVIRT_URI" version >/dev/null 2>&1)
}

start() {
	local dir=$1 ns i uri
	prereqs
	kvm_perms
	mkdir -p "$dir" || exit 1
	dir=$(cd "$dir" && pwd -P)
	if [ -e "$dir/env" ]; then
		say "$dir already holds a run (stop it first)"
		exit 1
	fi
	# 10 characters a name keeps "ftbt-" + a run id short and unique
	ns=ftbt-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	uri="qemu:///system?socket=$dir/run/libvirt-sock"
	if [ ${#dir} -gt 80 ]; then
		say "'$dir' is too long for a unix socket path under it"
		exit 1
	fi
	mkdir -p "$dir/run" "$dir/etc" /run/libvirt /etc/libvirt
	# The host's configuration (qemu.conf, libvirtd.conf, nwfilters) but
	# none of its networks, domains, pools or secrets.
	cp -a /etc/libvirt/. "$dir/etc/"
	rm -rf "$dir/etc/qemu" "$dir/etc/storage" "$dir/etc/secrets" "$dir/etc/nodedev"
	mkdir -p "$dir/etc/qemu/networks/autostart" "$dir/etc/storage/autostart"
	printf 'FTBOOT_TEST_NETNS=%s\nFTBOOT_TEST_LIBVIRT_URI=%s\nFTBOOT_TEST_LIBVIRT_DIR=%s\n' \
		"$ns" "'$uri'" "$dir" >"$dir/env"
	if ! ip netns add "$ns" 2>"$dir/netns.err"; then
		say "cannot make a network namespace: $(cat "$dir/netns.err")"
		rm -f "$dir/env"
		exit 77
	fi
	ip -n "$ns" link set lo up
	daemon_path=$PATH
	if [ -n "${LIBVIRTD_HIDE:-}" ]; then
		hide_programs "$dir/bin" "$LIBVIRTD_HIDE"
		daemon_path=$dir/bin
	fi
	# libvirt's network driver routes and masquerades: forwarding on, in
	# the namespace only.
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 >/dev/null 2>&1 || true
	# shellcheck disable=SC2016 # expanded by the inner sh
	if ! PATH=$daemon_path ip netns exec "$ns" unshare --mount --propagation private sh -c '
		d=$1
		mount --bind "$d/run" /run/libvirt && mount --bind "$d/etc" /etc/libvirt || exit 1
		virtlogd -d -p "$d/virtlogd.pid" || exit 1
		LIBVIRT_LOG_OUTPUTS="3:file:$d/libvirtd.log" libvirtd -d -p "$d/libvirtd.pid"
	' sh "$dir" >>"$dir/start.log" 2>&1; then
		say "cannot start the daemons: $(tail -n 5 "$dir/start.log")"
		stop "$dir"
		exit 1
	fi
	for ((i = 0; i < wait_s * 5; i++)); do
		if [ -S "$dir/run/libvirt-sock" ] && answers "$dir"; then
			return 0
		fi
		sleep 0.2
	done
	say "libvirtd did not answer on $uri within ${wait_s}s; its log follows"
	tail -n 20 "$dir/libvirtd.log" "$dir/start.log" >&2 2>/dev/null
	stop "$dir"
	exit 1
}

stop_pid() { # pid: TERM, then KILL after 5 s
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

stop() {
	local dir=$1 ns="" pid p
	[ -r "$dir/env" ] || return 0
	ns=$(sed -n 's/^FTBOOT_TEST_NETNS=//p' "$dir/env")
	pid=$(live_pid "$dir/libvirtd.pid" libvirtd) && stop_pid "$pid"
	pid=$(live_pid "$dir/virtlogd.pid" virtlogd) && stop_pid "$pid"
	if [ -n "$ns" ] && [ -e "/run/netns/$ns" ]; then
		# what the daemon left running: dnsmasq, QEMU
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			stop_pid "$p"
		done
		ip netns del "$ns" 2>/dev/null || say "cannot remove network namespace $ns"
	fi
	rm -f "$dir/env"
	return 0
}

case ${1:-} in
start | stop | status)
	[ $# -eq 2 ] || { say "usage: $0 start|stop|status DIR"; exit 2; }
	;;
*)
	say "usage: $0 start|stop|status DIR"
	exit 2
	;;
esac
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
status) [ -r "$2/env" ] && answers "$2" ;;
esac
