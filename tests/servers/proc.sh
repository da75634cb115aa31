#!/usr/bin/env bash
# tests/servers/proc.sh: what the server scripts share, sourced by them.

# proc_alive PID: 0 if pid is a live (not zombie) process. Its state is
# read from /proc/PID/stat once: a zombie reaped between a `kill -0` and
# that read would leave no state, and count as alive (seen in CI: a
# stopped server reported alive). The state follows the command name's
# closing parenthesis (the name may hold spaces).
proc_alive() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ -n "$stat" ] && [ "${stat%% *}" != Z ]
}
