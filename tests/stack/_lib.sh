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
#   free_port               print a TCP port free on 127.0.0.1, below the
#                           kernel's ephemeral range (tests/freeport.py)
#   wait_port PORT SECONDS  until 127.0.0.1:PORT accepts, or fail (status 1)
#   ns_overlay DIR          DIR/ns/{etc,var,run,home}/{up,work} and DIR/ns.sh:
#                           `unshare -m --propagation private DIR/ns.sh DIR
#                           CMD...` overlays /etc, /var, /run and /home on
#                           them, then execs CMD (users and passwords made
#                           there never touch the system's); skip_all unless
#                           that works here
#   pasv_range              print "FIRST LAST": three consecutive ports free
#                           on 127.0.0.1 (vsftpd's passive range)
#   adduser_standin PATH    write PATH, a stand-in for busybox's `adduser -D
#                           -H -h HOME -s SHELL USER` (Debian's busybox has
#                           no adduser applet): the same user through useradd
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
	/usr/bin/python3 "$FTBOOT_TOP/tests/freeport.py"
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

ns_overlay() {
	local dir=$1 d
	for d in etc var run home; do
		mkdir -p "$dir/ns/$d/up" "$dir/ns/$d/work"
	done
	cat >"$dir/ns.sh" <<'EOF'
#!/bin/sh
# ns.sh SCRATCH CMD...: overlay /etc /var /run /home, then exec CMD
set -e
t=$1
shift
for d in etc var run home; do
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$t/ns/$d/up,workdir=$t/ns/$d/work" "/$d"
done
# Debian's sshd wants its privilege separation directory, which its init
# script makes in /run at boot (Alpine's uses /var/empty): made here, in
# the overlay, so no test depends on an earlier one having made it.
mkdir -p /run/sshd
exec "$@"
EOF
	chmod 755 "$dir/ns.sh"
	unshare -m --propagation private "$dir/ns.sh" "$dir" /bin/true 2>"$dir/ns.err" ||
		skip_all "cannot overlay /etc in a private mount namespace: $(head -c 200 "$dir/ns.err")"
}

pasv_range() {
	/usr/bin/python3 "$FTBOOT_TOP/tests/freeport.py" 3
}

adduser_standin() {
	cat >"$1" <<'EOF'
#!/bin/sh
# Stand-in for busybox `adduser -D -H -h HOME -s SHELL USER` (Debian's
# busybox has no adduser applet): the same user through useradd.
home= shell=
while [ $# -gt 1 ]; do
	case $1 in
	-D | -H) shift ;;
	-h) home=$2 && shift 2 ;;
	-s) shell=$2 && shift 2 ;;
	*) echo "adduser stand-in: unexpected '$1'" >&2 && exit 1 ;;
	esac
done
exec useradd -M -U -d "$home" -s "$shell" "$1"
EOF
	chmod 755 "$1"
}
