# shellcheck shell=bash
# tests/stack/_lib.sh: shared by the stack tier's tests (sourced after
# tests/lib.sh). The stack tier runs the repository's own srcs/ and
# templates/ under Debian's daemons, on loopback, each test starting its
# own daemons in a scratch directory.
#
#   stack_render DIR        render the repository's stack (secrets shown)
#                           into DIR/manifests.yaml; state under DIR/state
#   free_port               print a TCP port free on 127.0.0.1
#   wait_port PORT SECONDS  until 127.0.0.1:PORT accepts, or fail (status 1)
stack_top=$FTBOOT_TOP

stack_render() {
	local dir=$1
	mkdir -p "$dir/state"
	(cd "$stack_top" && FTBOOT_STATE_DIR="$dir/state" "$FTBOOT" render --show-secrets) >"$dir/manifests.yaml"
}

free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_port() {
	local port=$1 secs=$2 i=0
	while [ "$i" -lt $((secs * 10)) ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# nothing answered on 127.0.0.1:$port within $secs s" >&2
	return 1
}
