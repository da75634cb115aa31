# shellcheck shell=bash
# tests/stack/_entry.sh: run a service's entry point as its container
# does, under busybox sh (Alpine's /bin/sh), in a session of its own
# (sourced after _lib.sh).
#
#   entry_start LOG SCRIPT  start it, output to LOG; $entry is its pid,
#                           which is also its process group's and session's
#   entry_ends SECONDS      until it exits: its status in $rc (or fail, 1)
#   entry_kill              SIGKILL its whole group (for the EXIT trap)
entry=

entry_start() {
	setsid busybox sh "$2" >"$1" 2>&1 &
	entry=$!
}

# shellcheck disable=SC2034 # rc is for the caller
entry_ends() {
	local i=0
	while kill -0 "$entry" 2>/dev/null && [ "$i" -lt $(($1 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$entry" 2>/dev/null; then
		echo "# the entry point did not exit within $1 s"
		rc=none
		return 1
	fi
	wait "$entry"
	rc=$?
	entry=
}

entry_kill() {
	[ -z "$entry" ] || kill -KILL -- "-$entry" 2>/dev/null || :
}
