# shellcheck shell=bash
# tests/debroot.sh: helpers for the scripts that debootstrap a Debian root
# into the test cache (sourced by tests/vm/build-guest.sh,
# tests/fresh/build-base.sh and tests/fresh/run.sh).
#
# The caller sets prog (its name in messages) and what (what "cannot ..."
# means for it) before sourcing it.
#
#   cache_start SELF ARG NAME LOCK TMP [FILE...]
#                            the start of a cached build: sets cache (from
#                            ARG, see cache_dir), key (sha256 of SELF, of
#                            this file and of each FILE the build copies in:
#                            editing any rebuilds) and final
#                            (cache/NAME-key); reuses a complete final
#                            (exit 0); else waits for cache/LOCK, removes
#                            leftovers cache/TMP-*, sets work to a new
#                            cache/TMP-key.* directory
#   apt_mirror SUITE         this machine's mirror (tests/apt-mirror.sh), or
#                            exit 77
#   say / die / cannot MSG   progress on stderr; exit 1; exit 77 (cannot run here)
#   elapsed T0               "N s" since T0 (date +%s)
#   need_root TOOL...        cannot unless root and every TOOL is there
#   network_failure LOG      LOG shows that Debian's repository is unreachable
#   umount_under DIR         unmount everything below DIR, deepest first
#   cache_dir ARG TOP        the cache directory (ARG, else FTBOOT_TEST_CACHE,
#                            else /var/cache/ftboot-test), made, not inside TOP
#   cache_reuse FINAL        FINAL is complete: print it and exit 0
#   cache_lock LOCK FINAL    one build at a time: wait for LOCK, then reuse
#                            FINAL if another build made it meanwhile
#   cache_prune GLOB...      remove leftovers (under the lock): unmount, rm
#   cache_commit OUT FINAL GLOB   rename OUT to FINAL, prune the others of GLOB
#   debootstrap_root ROOT SUITE MIRROR LOG [OPTION...]
#                            debootstrap --variant=minbase, "cannot" on a
#                            network failure, die with the log otherwise
#   no_services ROOT         a policy-rc.d that forbids starting services

: "${prog:?set before sourcing tests/debroot.sh}" "${what:?set before sourcing tests/debroot.sh}"

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit 1; }
cannot() { say "cannot $what: $*"; exit 77; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }

need_root() {
	local tool
	[ "$(id -u)" -eq 0 ] || cannot "must run as root (debootstrap, chroot, mount); try: sudo $0"
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			cannot "'$tool' not found (apt-get install debootstrap e2fsprogs coreutils util-linux)"
	done
}

# A failed download or name lookup (debootstrap's or apt's words): the
# repository is unreachable, which is "cannot run here", not a bug.
network_failure() {
	grep -qiE "Failed getting release file|Couldn't download|Could not resolve|Temporary failure resolving|Failed to fetch|Connection (refused|timed out)|Network is unreachable|Unable to connect" "$1"
}

umount_under() {
	local m
	awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

cache_dir() {
	local c
	c=$(realpath -m "${1:-${FTBOOT_TEST_CACHE:-/var/cache/ftboot-test}}")
	case $c/ in
	"$2"/*) die "cache directory '$c' is inside the repository: choose one outside it (FTBOOT_TEST_CACHE)" ;;
	esac
	mkdir -p "$c"
	echo "$c"
}

cache_reuse() {
	[ -e "$1/DONE" ] || return 0
	say "reusing $1${2:+ ($2)}"
	echo "$1"
	exit 0
}

# fd 9 stays open (locked) until the caller exits.
cache_lock() {
	exec 9>"$1"
	flock 9
	cache_reuse "$2" "built meanwhile"
}

# A directory without DONE under the final name cannot come from a
# complete build (the rename is last), but it is removed rather than trusted.
cache_prune() {
	local old
	for old in "$@"; do
		[ -e "$old" ] || continue
		say "removing the leftovers of an interrupted build: $old"
		umount_under "$old"
		rm -rf --one-file-system "$old"
	done
}

cache_commit() {
	local out=$1 final=$2 old
	shift 2
	mv -T "$out" "$final"
	for old in "$@"; do
		[ "$old" = "$final" ] && continue
		[ -e "$old" ] || continue
		say "pruning an older build: $old"
		rm -rf --one-file-system "$old"
	done
}

debootstrap_root() {
	local root=$1 suite=$2 mirror=$3 log=$4
	shift 4
	if ! debootstrap --variant=minbase "$@" "$suite" "$root" "$mirror" >"$log" 2>&1; then
		if network_failure "$log" || network_failure "$root/debootstrap/debootstrap.log" 2>/dev/null; then
			tail -5 "$log" >&2
			cannot "debootstrap could not download from $mirror (network?)"
		fi
		tail -20 "$log" >&2
		if [ -f "$root/debootstrap/debootstrap.log" ]; then
			tail -20 "$root/debootstrap/debootstrap.log" >&2
		fi
		die "debootstrap failed (log above)"
	fi
}

cache_start() {
	local self=$1 arg=$2 name=$3 lock=$4 tmp=$5
	shift 5
	cache=$(cache_dir "$arg" "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)") || exit 1
	key=$(cat "$self" "${BASH_SOURCE[0]}" "$@" | sha256sum | cut -c1-16)
	final=$cache/$name-$key
	cache_reuse "$final"
	cache_lock "$cache/$lock" "$final"
	# Leftovers of builds that were killed (we hold the lock: none runs).
	cache_prune "$cache/$tmp"-* "$final"
	# shellcheck disable=SC2034 # the caller's
	work=$(mktemp -d "$cache/$tmp-$key.XXXXXX")
}

apt_mirror() {
	"$(dirname "${BASH_SOURCE[0]}")/apt-mirror.sh" "$1" || exit 77
}

no_services() {
	printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
	chmod 0755 "$1/usr/sbin/policy-rc.d"
}
