#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: tests/servers/dockerd.sh refuses to start an engine in a
# chroot. There, runc's exec enters a container by setns(2) on its mount
# namespace, which puts the command at the namespace's root (the host's /)
# instead of the container's: docker exec would run on the host's files.
# The chroot is one into a bind mount of / (same device and inode as /:
# only the mount tells them apart); the remedy, / as the root of its own
# mount namespace (pivot_root), passes the check.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mount, chroot)"
[ -x /usr/sbin/dockerd ] || skip_all "dockerd is missing (tests/deps.sh test)"
scratch
servers=$FTBOOT_TOP/tests/servers/dockerd.sh
mkdir "$tmp/r"

# The root this test runs in is its namespace's root (tests/fresh/run.sh
# enters its root so); otherwise the cases below say nothing.
# shellcheck source=../servers/dockerd.sh
. "$servers"
dockerd_root_check 2>"$tmp/here.err"
ok $? "here / is the root of its mount namespace$(sed 's/^/: /' "$tmp/here.err")"

# A chroot into an rbind of /, in a mount namespace of its own.
# shellcheck disable=SC2016 # the inner shells expand them
unshare --mount --propagation private -- sh -c \
	'mount --rbind / "$1/r" && exec chroot "$1/r" bash -c ". \"\$1\"; dockerd_start \"\$2/d\" && { dockerd_stop \"\$2/d\"; exit 0; }" bash "$2" "$1"' \
	sh "$tmp" "$servers" >"$tmp/chroot.out" 2>"$tmp/chroot.err"
is "$?" 1 "dockerd_start in a chroot fails"
grep -q "^dockerd.sh: / is a chroot (.* mount [0-9]*), not the root of its mount namespace (.* mount [0-9]*): docker exec would run its commands in the namespace's root" "$tmp/chroot.err"
ok $? "with the reason: $(cat "$tmp/chroot.err")"
is "$(cat "$tmp/chroot.out")" "" "and prints no socket"
[ ! -e "$tmp/d" ]
ok $? "and starts nothing (no $tmp/d)"

# The same tree as the root of its own mount namespace: accepted.
# shellcheck disable=SC2016 # the inner shells expand them
unshare --mount --propagation private -- sh -c \
	'mount --rbind / "$1/r" && cd "$1/r" && pivot_root . . && umount -l . && cd / &&
	exec bash -c ". \"\$1\"; dockerd_root_check" bash "$2"' \
	sh "$tmp" "$servers" 2>"$tmp/pivot.err"
ok $? "after pivot_root into it, the check passes$(sed 's/^/: /' "$tmp/pivot.err")"

done_testing
