# shellcheck shell=bash
# tests/stack/_lib.sh: shared by the stack tier's tests (sourced after
# tests/lib.sh). The stack tier runs the repository's own srcs/ and
# templates/ under Debian's daemons, on loopback, each test starting its
# own daemons in a scratch directory.
#
#   stack_render DIR        render the repository's stack (secrets shown)
#                           into DIR/manifests.yaml; state under DIR/state
#   stack_secret_files FILE SECRET DIR
#                           write each stringData key of the Secret SECRET
#                           of the rendered manifests FILE as DIR/KEY
#                           (0400, DIR 0500), as the kubelet mounts it
#   stack_service DIR       print the state's service-key directory of a
#                           stack_render DIR (svckeys.h: tls-cert.pem ...)
#   free_port               print a TCP port free on 127.0.0.1
#   wait_port PORT SECONDS  until 127.0.0.1:PORT accepts, or fail (status 1)
stack_top=$FTBOOT_TOP

stack_render() {
	local dir=$1
	mkdir -p "$dir/state"
	(cd "$stack_top" && FTBOOT_STATE_DIR="$dir/state" "$FTBOOT" render --show-secrets) >"$dir/manifests.yaml"
}

stack_secret_files() {
	mkdir -p "$3" &&
		/usr/bin/python3 - "$1" "$2" "$3" <<'EOF' &&
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
sec = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == sys.argv[2])
for k, v in sec["stringData"].items():
    path = os.path.join(sys.argv[3], k)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400), "w") as f:
        f.write(v)
EOF
		chmod 500 "$3"
}

stack_service() {
	local d
	for d in "$1"/state/*/service; do
		[ -d "$d" ] && echo "$d" && return 0
	done
	return 1
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
