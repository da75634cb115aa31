#!/usr/bin/env bash
# tests/servers/proc.sh: what the server scripts share, sourced by them.

# proc_alive PID: 0 if pid is a live (not zombie) process.
proc_alive() {
	local state

	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ "$state" != Z ]
}
