#!/usr/bin/env bash
# tests/fresh/build-base.sh: debootstrap the base of the fresh-root check
# (make test-fresh), a minimal Debian bookworm root, and print the
# directory that holds it.
#
#   tests/fresh/build-base.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${FTBOOT_TEST_CACHE:-/var/cache/ftboot-test}. The
# result is CACHE_DIR/fresh-base-KEY/:
#
#   root/   debootstrap --variant=minbase bookworm, nothing added: the
#           check copies it and tests/deps.sh must bring everything else
#   DONE    stamp written last: the build is complete
#
# The root keeps the apt source debootstrap wrote (this machine's mirror,
# from tests/apt-mirror.sh) and no package lists or downloaded packages.
#
# KEY is the sha256 of this script and of tests/debroot.sh, so editing
# either rebuilds; a complete build is reused at once. A build runs in
# CACHE_DIR/.fresh-build-KEY.* and is renamed into place only when
# complete; leftovers of a killed build and older fresh-base-* builds are
# removed by the next build. Progress goes to stderr.
#
# Exit status: 0 built or reused; 77 cannot build here (not root, missing
# debootstrap, Debian's repository unreachable); 1 failure.
set -eu

prog=fresh-base
what="build the fresh-root base"
self=${BASH_SOURCE[0]}
# shellcheck source=tests/debroot.sh
. "$(dirname "$self")/../debroot.sh"
t0=$(date +%s)

suite=bookworm
mirror=$(apt_mirror "$suite")

need_root debootstrap flock realpath sha256sum

# Its own lock: a VM guest build (cache/.lock) takes minutes longer.
cache_start "$self" "${1:-}" fresh-base .lock-fresh .fresh-build
cleanup() {
	umount_under "$work"
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "debootstrap --variant=minbase $suite ($mirror) in $work ..."
mkdir "$work/out"
debootstrap_root "$work/out/root" "$suite" "$mirror" "$work/debootstrap.log"
root=$work/out/root
[ -s "$root/etc/apt/sources.list" ] || die "debootstrap wrote no apt source"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb \
	"$root"/var/cache/apt/*.bin "$root/etc/resolv.conf"
{
	echo "key $key"
	echo "suite $suite"
	echo "mirror $mirror"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(elapsed "$t0")"
} >"$work/out/DONE"
say "debootstrap ... done ($(elapsed "$t0")): $(du -sm --one-file-system "$root" | cut -f1) MB"

cache_commit "$work/out" "$final" "$cache"/fresh-base-*
echo "$final"
