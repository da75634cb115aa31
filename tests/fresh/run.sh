#!/usr/bin/env bash
# tests/fresh/run.sh: the fresh-root check (make test-fresh). On a minimal
# Debian bookworm root, do what a new user does after cloning: install the
# test dependencies with tests/deps.sh alone, then build and run the unit
# and integration tiers. A package or a directory the tests need but
# deps.sh does not bring fails here, even when the host happens to have it.
#
#   tests/fresh/run.sh              (as root)
#
# 1. base   tests/fresh/build-base.sh: debootstrap --variant=minbase,
#           cached by that script's hash; nothing of the project's in it
# 2. copy   the cached base into a new work root, a tmpfs (cp -a: every
#           run starts from the same pristine base), and the project's
#           tracked and untracked-but-not-ignored files (git ls-files):
#           no build outputs, and uncommitted edits are what is checked
# 3. deps   in the root: tests/deps.sh test (apt-get update + install,
#           from the root's own apt source: this machine's mirror)
# 4. tests  make -j2 ftboot unit-bins, then make -k test-unit test-integration test-stack
#
# The root is entered as a machine's own root, not by chroot: each
# command runs in a mount namespace of its own whose root mount the work
# root is (pivot_root), with the host's mounts detached. In a chroot, the
# mount namespace's root stays the host's /, and whatever enters a mount
# namespace by setns(2) lands there: runc's exec did, so docker exec ran
# its command in the host's root instead of the container's.
#
# The root has /proc, /sys, /dev and /dev/pts of the host, its own /run
# (an empty tmpfs: nothing an init script would have made, /run/sshd
# included), /dev/shm, /dev/kvm (root-only, as with no udev) and /tmp, and
# a clean environment. The VM tier does not run here (no nested libvirt
# guest).
#
# Progress and timings go to stderr; the tiers' TAP and closing lines to
# stdout. Whatever happens (failure, Ctrl-C), every process whose root is
# in the work root is killed, the libvirt networks its libvirtd started
# are destroyed, everything mounted under it (network namespaces
# included) is unmounted and the work root is removed. Work roots are
# CACHE/.fresh-run.*; one left by a killed run is cleaned by the next.
#
# Downloaded packages are kept in CACHE/fresh-apt-archives (bound on the
# root's /var/cache/apt/archives while deps.sh runs): they are installed
# anew every run, only the download is saved.
#
# A test that skips fails the check, unless the skip is about the host
# (see allowed_skips): in the fresh root a skip is a missing package.
#
# Exit status: that of the tests (0 every tier passed); 77 cannot run
# here (not root, no debootstrap, the mirror unreachable before any test
# ran); 1 the check itself failed (deps.sh included).
set -u

prog=test-fresh
what="run the fresh-root check"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
# shellcheck source=tests/debroot.sh
. "$top/tests/debroot.sh"
t0=$(date +%s)

need_root debootstrap unshare pivot_root mountpoint mount umount mknod flock git tar readlink stat
cache=$(cache_dir "" "$top") || exit 1
src=/root/ftboot # where the project is in the root

# The root's environment: a login's, nothing of the caller's but CI and
# a proxy (apt in the root needs it where the host's does).
root_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HOME=/root LANG=C.UTF-8 TERM=dumb)
for v in CI http_proxy https_proxy no_proxy; do
	[ -n "${!v:-}" ] && root_env+=("$v=${!v}")
done
# in_root ROOT COMMAND...: COMMAND with ROOT as the root of its own mount
# namespace (private: what it mounts stays in it and goes when its last
# process ends). umount after the pivot is the root's own (util-linux's,
# in minbase).
in_root() {
	local r=$1
	shift
	# not the locks: they say this script runs, not what it started
	# shellcheck disable=SC2016 # the inner sh expands them
	unshare --mount --propagation private -- /bin/sh -c \
		'cd "$1" && pivot_root . . && PATH=/usr/bin:/bin umount -l . && cd / && shift &&
		exec /usr/bin/env -i "$@"' in_root "$r" "${root_env[@]}" "$@" 6>&- 7>&- 8>&- 9>&-
}

# Processes running in root $1: those whose root directory is on its file
# system (the mount on $1; a path under $1 when $1 is not a mount point),
# and their descendants (a container's processes have a root of their own,
# their shim is in the root).
procs_in() {
	local p r dev pid line more
	local -A in=() parent=()
	if mountpoint -q "$1"; then
		dev=$(stat -c %d "$1/") || return 0
		while read -r r p; do
			[ "$r" = "$dev" ] || continue
			pid=${p#/proc/}
			in[${pid%%/*}]=1
		done < <(stat -L -c '%d %n' /proc/[0-9]*/root/ 2>/dev/null)
	else
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			case $r/ in "$1"/*) in[${p#/proc/}]=1 ;; esac
		done
	fi
	for p in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$p" || continue
		# pid (comm) state ppid ...: comm may hold spaces and parentheses
		line=${line##*) }
		line=${line#* }
		pid=${p#/proc/}
		parent[${pid%/stat}]=${line%% *}
	done
	more=1
	while [ "$more" = 1 ]; do
		more=0
		for pid in "${!parent[@]}"; do
			if [ -z "${in[$pid]:-}" ] && [ -n "${in[${parent[$pid]}]:-}" ]; then
				in[$pid]=1
				more=1
			fi
		done
	done
	for pid in "${!in[@]}"; do
		echo "$pid"
	done
}

stop_procs_in() {
	local sig i pids
	for sig in TERM KILL; do
		mapfile -t pids < <(procs_in "$1")
		[ ${#pids[@]} -eq 0 ] && return 0
		say "cleanup: SIG$sig to what runs in the root: $(ps -o comm= -p "${pids[*]}" | sort -u | tr '\n' ' ')"
		kill -s "$sig" "${pids[@]}" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			[ -z "$(procs_in "$1")" ] && return 0
			sleep 0.1
		done
	done
	say "cleanup: still running in the root: $(procs_in "$1" | tr '\n' ' ')"
	return 1
}

# Clean work directory $1 (its root is $1/root): nothing running, nothing
# mounted, nothing left.
clean_work() {
	local w=$1 r=$1/root n t1
	# The root's libvirtd starts its networks (bridge, dnsmasq, firewall
	# rules) outside the root: destroy them while it still answers.
	t1=$(date +%s)
	if [ -S "$r/run/libvirt/libvirt-sock" ]; then
		for n in $(in_root "$r" timeout 20 virsh -q -c qemu:///system net-list --name 2>/dev/null); do
			say "cleanup: destroying libvirt network $n"
			in_root "$r" timeout 20 virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1
		done
		say "cleanup: no libvirt network left running ($(elapsed "$t1"))"
	fi
	t1=$(date +%s)
	stop_procs_in "$r" && say "cleanup: nothing runs in the root ($(elapsed "$t1"))"
	# Network namespaces (ip netns add) are nsfs mounts on the root's
	# /run/netns: unmounting them, with the rest, frees them.
	for n in "$r"/run/netns/*; do
		[ -e "$n" ] && say "cleanup: network namespace ${n##*/}"
	done
	umount_under "$w"
	if awk -v d="$w/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
		say "cleanup: still mounted under $w, not removing it:"
		awk -v d="$w/" 'index($2 "/", d) == 1 { print "  " $2 }' /proc/mounts >&2
		return 1
	fi
	t1=$(date +%s)
	rm -rf --one-file-system "$w"
	say "cleanup: $w removed ($(elapsed "$t1"))"
}

# Work roots of runs that were killed: a live run holds the lock on its own.
exec 7>"$cache/.lock-fresh-runs"
flock 7
for old in "$cache"/.fresh-run.*; do
	[ -d "$old" ] || continue
	flock -n "$old/lock" true 2>/dev/null || continue
	say "cleaning the work root of an interrupted run: $old"
	clean_work "$old" || die "cannot clean $old"
done
work=$(mktemp -d "$cache/.fresh-run.XXXXXX")
exec 8>"$work/lock"
flock 8
exec 7>&-
root=$work/root

# shellcheck disable=SC2317 # the EXIT trap
finish() {
	local rc=$?
	trap - EXIT INT TERM
	t=$(date +%s)
	clean_work "$work" || rc=1
	say "cleanup ... done ($(elapsed "$t"))"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The base.
t=$(date +%s)
say "base ..."
base=$("$here/build-base.sh" "$cache")
case $? in
0) ;;
77) exit 77 ;; # the reason is on stderr
*) die "building the base failed" ;;
esac
say "base ... $base ($(elapsed "$t"))"

# 2. A fresh root and a clean copy of the project.
t=$(date +%s)
say "copy ..."
# On a tmpfs (about 1.3 GB once deps.sh has run): dpkg unpacks faster,
# and removing the root is an unmount, not half a minute of rm on disk.
if ! { mkdir "$root" && mount -t tmpfs -o mode=0755,size=8g fresh-root "$root"; }; then
	die "cannot mount a tmpfs on $root"
fi
cp -a "$base/root/." "$root/" || die "cannot copy the base"
mkdir -p "$root$src"
(
	cd "$top" || exit 1
	# Listed but deleted in the working tree: not part of it.
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -
) | tar -C "$root$src" -xf - || die "cannot copy the project"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The apt source debootstrap wrote is this machine's mirror already.
mirror=$(apt_mirror bookworm)
grep -qF "deb $mirror bookworm" "$root/etc/apt/sources.list" ||
	die "the root's apt source is not this machine's mirror: $(cat "$root/etc/apt/sources.list")"
# Package scripts do not start services (invoke-rc.d asks policy-rc.d,
# 101: forbidden), as on a fresh machine with no init system running:
# the tests start the daemons they need themselves.
no_services "$root"
say "copy ... done ($(elapsed "$t")): $(git -C "$top" ls-files --cached --others --exclude-standard | wc -l) files"

# Slaves: nothing unmounted below the root's /sys or /dev reaches the host's.
if ! { mount -t proc proc "$root/proc" &&
	mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" &&
	mount --bind /dev "$root/dev" && mount --make-rslave "$root/dev" &&
	mount --bind /dev/pts "$root/dev/pts" &&
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm" &&
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"; }; then
	die "cannot mount the root's file systems"
fi
# /dev/kvm of its own, root-only as on a fresh machine without udev: the
# test servers chgrp it to the root's kvm group, whose gid is not the
# host's. The host's node is left as it is.
if [ -c /dev/kvm ] && ! { mknod -m 0600 "$work/kvm" c \
	"$((0x$(stat -c %t /dev/kvm)))" "$((0x$(stat -c %T /dev/kvm)))" &&
	mount --bind "$work/kvm" "$root/dev/kvm"; }; then
	die "cannot make the root's /dev/kvm"
fi

# 3. The dependencies, by tests/deps.sh alone.
t=$(date +%s)
say "deps: tests/deps.sh test ..."
archives=$cache/fresh-apt-archives
mkdir -p "$archives"
exec 6>"$cache/.lock-fresh-apt"
flock 6
mount --bind "$archives" "$root/var/cache/apt/archives" || die "cannot mount $archives"
n0=$(in_root "$root" dpkg-query -W | wc -l)
# In the background: a signal's trap runs at once, not when it ends.
in_root "$root" bash -c "cd $src && tests/deps.sh test" >"$work/deps.log" 2>&1 &
wait $!
rc=$?
in_root "$root" apt-get autoclean -qq >/dev/null 2>&1
umount "$root/var/cache/apt/archives"
exec 6>&-
if [ "$rc" -ne 0 ]; then
	tail -25 "$work/deps.log" >&2
	network_failure "$work/deps.log" && cannot "apt-get in the root could not download (network?)"
	die "tests/deps.sh test failed in the fresh root (status $rc, log above)"
fi
say "deps ... done ($(elapsed "$t")): $(($(in_root "$root" dpkg-query -W | wc -l) - n0)) packages installed"

# 4. Build, then the tiers (one after the other: their output is TAP).
t=$(date +%s)
say "build+tests: make -j2 ftboot unit-bins; make -k test-unit test-integration test-stack ..."
(
	exec 8>&- # the run's lock is this script's: not a tee left by a kill -9
	in_root "$root" bash -c "cd $src && make -s -j2 ftboot unit-bins >&2 && make -k test-unit test-integration test-stack" |
		tee "$work/tap.out"
	exit "${PIPESTATUS[0]}"
) &
wait $!
rc=$?
# Here a skip is a failure: it is how a test says that a program it needs
# is missing (test_http skips its downloads without nginx, test_ssh all
# of itself without sshd). Allowed are only the skips no package changes:
# running as root (this check does), the host kernel's (no loop mount or
# isofs module in the root), and Debian 12's kubernetes-client, which is
# installed but crashes on `kubectl config set-credentials` (a Go 1.19
# build of kubectl 1.20: no package fixes it).
allowed_skips='running as root|loop mount not possible here|kubectl crashes on config set-credentials'
skips=$(awk -v allowed="$allowed_skips" '
	/^# / { prog = $2 } # run-tiers names each program so
	/^ *ok [0-9]+.*# SKIP/ && $0 !~ allowed { sub(/^ */, ""); print prog ": " $0 }
	/^skip / && $0 !~ allowed' "$work/tap.out")
if [ -n "$skips" ]; then
	echo "not ok test-fresh: skipped in the fresh root (does deps.sh lack a package?):"
	printf '%s\n' "$skips" | sed 's/^/#   /'
	[ "$rc" -eq 0 ] && rc=1
fi
say "build+tests ... done ($(elapsed "$t")): status $rc; $(grep -E '^(unit|integration): ' "$work/tap.out" | tr '\n' ' ')"
say "the root holds $(df -m --output=used "$root" | tail -1 | tr -d ' ') MB"
say "total $(elapsed "$t0")"
exit "$rc"
