#!/usr/bin/env bash
# tests/servers/libvirtd.sh: a real libvirtd for the tests, started by hand
# (this machine has no systemd): virtlogd for serial logs, then libvirtd,
# both daemonised, no TCP listener (-l needs a CA).
#
#   tests/servers/libvirtd.sh [start]  make qemu:///system answer: start what
#                                      is missing, wait for the socket
#   tests/servers/libvirtd.sh status   exit 0 if qemu:///system answers
#   tests/servers/libvirtd.sh stop     stop the daemons (by their pid files)
#
# Exit status: 0 done, 77 cannot run here (not root, libvirt not
# installed; the reason is on stderr), 1 failed (libvirtd's log is shown).
# A daemon that is already running is left as it is, and start does not
# stop it afterwards: later test tiers use the same daemon.
set -u

uri=qemu:///system
rundir=/var/run/libvirt
wait_s=${LIBVIRTD_WAIT:-30}
log=${TMPDIR:-/tmp}/ftboot-libvirtd.log

say() { echo "libvirtd.sh: $*" >&2; }

answers() {
	timeout 10 virsh -q -c "$uri" version >/dev/null 2>&1
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

pidfile() {
	local name=$1
	for f in "/var/run/$name.pid" "/run/$name.pid"; do
		if [ -e "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	echo "/var/run/$name.pid"
}

prereqs() {
	local p
	if [ "$(id -u)" -ne 0 ]; then
		say "needs root to run the system libvirtd (qemu:///system)"
		exit 77
	fi
	for p in libvirtd virtlogd virsh; do
		if ! command -v "$p" >/dev/null 2>&1; then
			say "$p not found; install it with: apt-get install libvirt-daemon-system"
			exit 77
		fi
	done
}

start_virtlogd() {
	if live_pid "$(pidfile virtlogd)" virtlogd >/dev/null; then
		return 0
	fi
	if ! virtlogd -d; then
		# one running without the pid file we know is fine too
		[ -S "$rundir/virtlogd-sock" ] && return 0
		say "virtlogd -d failed"
		return 1
	fi
}

# One attempt at libvirtd: 0 once qemu:///system answers.
start_libvirtd() {
	local i
	if ! live_pid "$(pidfile libvirtd)" libvirtd >/dev/null; then
		# A failed start leaves dead sockets behind; with no daemon
		# alive they are stale by definition.
		rm -f "$rundir"/libvirt-sock*
		if ! libvirtd -d >>"$log" 2>&1; then
			say "libvirtd -d failed"
			return 1
		fi
	fi
	for ((i = 0; i < wait_s * 5; i++)); do
		if [ -S "$rundir/libvirt-sock" ] && answers; then
			return 0
		fi
		sleep 0.2
	done
	say "libvirtd did not answer on $uri within ${wait_s}s"
	return 1
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

start() {
	prereqs
	kvm_perms
	if answers; then
		return 0
	fi
	mkdir -p "$rundir"
	start_virtlogd || exit 1
	if start_libvirtd; then
		return 0
	fi
	# A second try after clearing whatever the first left behind.
	stop_one libvirtd
	if start_libvirtd; then
		return 0
	fi
	say "cannot start libvirtd; its output follows"
	tail -n 20 "$log" >&2 2>/dev/null
	exit 1
}

stop_one() {
	local name=$1 pid i
	pid=$(live_pid "$(pidfile "$name")" "$name") || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.1
	done
	say "$name (pid $pid) did not stop"
	return 1
}

case ${1:-start} in
start) start ;;
status)
	command -v virsh >/dev/null 2>&1 || exit 1
	answers
	;;
stop)
	prereqs
	stop_one libvirtd && stop_one virtlogd
	;;
*)
	say "usage: $0 [start|status|stop]"
	exit 2
	;;
esac
