# shellcheck shell=bash
# tests/stack/_entry.sh: run a service's entry point as its container
# does, under busybox sh (Alpine's /bin/sh), in a session of its own
# (sourced after _lib.sh).
#
#   entry_start LOG SCRIPT  start it, output to LOG; $entry is its pid,
#                           which is also its process group's and session's
#   entry_ends SECONDS      until it exits: its status in $rc (or fail, 1)
#   entry_kill              SIGKILL its whole group (for the EXIT trap)
#   session_gone SID SECS   until no process of session SID is left (its
#                           grandchildren die a moment after it), or fail
#   entry_stopped WHAT      TERM it: it exits 0 and leaves nothing (WHAT
#                           names what must be gone); two assertions
#   entry_died PID LOG PROG SIGKILL its daemon PID: it exits 1 and LOG names
#                           PROG; two assertions
#   standin PATH DIR        write PATH, a stand-in for a daemon that is not
#                           in Debian (clearly one: for the entry point's
#                           supervision checks): it writes its arguments
#                           to DIR/args and its environment (NUL-separated)
#                           to DIR/env, then sleeps like a daemon
#   standin_ready DIR SECS  until the stand-in has written DIR/args, or fail
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

session_gone() {
	local i=0
	while pgrep -s "$1" >/dev/null && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! pgrep -a -s "$1" | sed 's/^/# left: /' | grep .
}

entry_stopped() {
	local sid=$entry
	kill -TERM "$entry"
	entry_ends 20
	is "$rc" 0 "TERM stops the entry point with status 0"
	session_gone "$sid" 5
	ok $? "$1 is left after TERM"
}

entry_died() {
	kill -KILL "$1"
	entry_ends 20
	is "$rc" 1 "$3 killed: the entry point exits 1 (the kubelet restarts the container)"
	grep -q "entrypoint: $3 exited" "$2"
	ok $? "the entry point says which daemon ended"
}

standin() {
	mkdir -p "$2"
	cat >"$1" <<EOF
#!/bin/sh
# Stand-in for a daemon (tests/stack/_entry.sh): records what it was
# given, then runs like a daemon until killed.
env -0 >"$2/env"
printf '%s\\n' "\$@" >"$2/args.new" && mv "$2/args.new" "$2/args"
exec sleep 600
EOF
	chmod 755 "$1"
}

standin_ready() {
	local i=0
	while [ ! -s "$1/args" ] && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1/args" ] || {
		echo "# the stand-in did not start within $2 s"
		return 1
	}
}
