# shellcheck shell=bash
# tests/vm/lib-vm.sh: what the VM tier's tests share (sourced after
# tests/lib.sh): a private libvirtd in a network namespace of the test's
# own, the Debian test guest served over loopback HTTP as a qcow2, and a
# throwaway project whose VM profile points at it (with ssh_port: 2222,
# as the Alpine profile's: the guest's seed moves its sshd there).
#
# Sourcing it re-runs the calling script inside that namespace: the outer
# run (in the host's namespace) makes the namespace and starts the daemon
# (tests/servers/libvirtd.sh), notes the host's routes, firewall and links,
# runs the script again under `ip netns exec`, and removes it all when the
# inner run ends. So the script's libvirtd, bridges, dnsmasq, iptables
# rules, HTTP server and ftboot all live in the namespace, and the tests
# reach no address but loopback and their own namespace's.
#
#   vm_setup NAME SLOT ACCEL   sets $stack (NAME plus this run's id), $net
#                              (the first three octets of its /24, SLOT 0-5
#                              picks one of the run's six), $uri, $proj (cd
#                              into it to run ftboot); exports
#                              FTBOOT_STATE_DIR/FTBOOT_CACHE_DIR, and
#                              KUBECONFIG (a scratch file: provision merges
#                              its context there)
#   vm_leftovers [NAME]        prints libvirt objects of the stack, if any
#   vm_host_unchanged          asserts the host's routes, iptables rules and
#                              links are as they were before the namespace
#   vm_cleanup                 at exit: down, leftovers, HTTP server, scratch
VM_TOP=$FTBOOT_TOP

# This machine cannot run the VM tier: a skip with the reason, unless
# FTBOOT_TEST_REQUIRE_VM=1 (CI sets it: its machine can), where it fails.
vm_cannot() {
	if [ "${FTBOOT_TEST_REQUIRE_VM:-}" = 1 ]; then
		echo "not ok 1 - the VM tier must run here (FTBOOT_TEST_REQUIRE_VM=1) but cannot: $*"
		echo "1..1"
		exit 1
	fi
	skip_all "$*"
}

# A peer that should have worked and did not: a failure, not a skip.
vm_broken() {
	echo "not ok 1 - $*"
	echo "1..1"
	exit 1
}

vm_outer() {
	local env_dir rc=0 st=0
	vm_need_root
	# The guest is built here, in the host's namespace: the test's own has
	# no way out to Debian's mirror.
	vm_guest
	export FTBOOT_TEST_GUEST=$guest
	env_dir=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-vmenv.XXXXXX") || vm_broken "mktemp failed"
	"$VM_TOP/tests/servers/libvirtd.sh" start "$env_dir" >"$env_dir/start.out" 2>&1 || st=$?
	if [ "$st" -ne 0 ]; then
		sed 's/^/# /' "$env_dir/start.out"
		rm -rf "$env_dir"
		[ "$st" -eq 77 ] && vm_cannot "no private libvirtd here (tests/servers/libvirtd.sh: exit 77)"
		vm_broken "a private libvirtd in its own namespace (tests/servers/libvirtd.sh: exit $st)"
	fi
	vm_host_snapshot >"$env_dir/host.before"
	set -a
	# shellcheck disable=SC1091
	. "$env_dir/env"
	set +a
	export FTBOOT_TEST_HOST_PID=$$
	# A TERM (run-tiers' timeout) reaches the inner run too.
	trap 'kill -TERM "$inner" 2>/dev/null' TERM INT
	ip netns exec "$FTBOOT_TEST_NETNS" "$0" "$@" &
	inner=$!
	wait "$inner" || rc=$?
	wait "$inner" 2>/dev/null # again, if a signal interrupted the first wait
	"$VM_TOP/tests/servers/libvirtd.sh" stop "$env_dir" >/dev/null 2>&1
	rm -rf "$env_dir"
	exit "$rc"
}

# The host's network as the tests could change it: routes, firewall rules
# (without counters or the dump's date), link names. Run in the host's
# namespace, or pass a command prefix that enters it.
vm_host_snapshot() {
	"$@" ip route show table all
	"$@" iptables-save 2>/dev/null | grep -v '^[#:]'
	"$@" ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort
}

vm_host_unchanged() {
	local before=$FTBOOT_TEST_LIBVIRT_DIR/host.before d
	d=$(vm_host_snapshot nsenter --net="/proc/$FTBOOT_TEST_HOST_PID/ns/net" | diff "$before" -)
	[ -z "$d" ]
	ok $? "the host's routes, iptables rules and links are as they were before the test"
	[ -z "$d" ] || printf '%s\n' "$d" | head -20 | sed 's/^/#   /'
}


vm_need_root() {
	[ "$(id -u)" -eq 0 ] || vm_cannot "the VM tier needs root (libvirtd, debootstrap, network namespaces)"
	command -v qemu-system-x86_64 >/dev/null || vm_cannot "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	command -v virsh >/dev/null || vm_cannot "no virsh (apt-get install libvirt-clients)"
}

# The guest, converted once to qcow2 next to the raw build (cached too):
# the outer run's, or built now.
vm_guest() {
	local dir rc=0
	if [ -n "${FTBOOT_TEST_GUEST:-}" ] && [ -s "$FTBOOT_TEST_GUEST/rootfs.qcow2" ]; then
		guest=$FTBOOT_TEST_GUEST
		return 0
	fi
	dir=$("$VM_TOP/tests/vm/build-guest.sh") || rc=$?
	[ $rc -eq 77 ] && vm_cannot "the Debian test guest cannot be built here (build-guest.sh said why above)"
	[ $rc -eq 0 ] || vm_broken "tests/vm/build-guest.sh failed (exit $rc; its log is above)"
	# One converter at a time: parallel runs share the cache.
	if ! (
		flock 9
		[ -e "$dir/rootfs.qcow2" ] ||
			{ qemu-img convert -O qcow2 "$dir/rootfs.img" "$dir/rootfs.qcow2.tmp" &&
				mv "$dir/rootfs.qcow2.tmp" "$dir/rootfs.qcow2"; }
	) 9>"$dir/rootfs.qcow2.lock"; then
		vm_broken "qemu-img convert of the test guest failed"
	fi
	guest=$dir
}

# This run's id (from its namespace's name): names and subnets of two runs
# on one machine never meet, even in the host's /var/lib/libvirt.
vm_run_id() {
	local id=${FTBOOT_TEST_NETNS#ftbt-}
	echo "${id:0:4}"
}

# The port of the test guest's sshd (the profile's ssh_port; its seed
# moves sshd there), for a test that reaches it without ftboot.
vm_ssh_port=2222

# The first three octets of the run's /24 number SLOT (0-5).
vm_subnet() {
	echo "192.168.$((100 + (16#$(vm_run_id) % 25) * 6 + $1))"
}

vm_setup() { # name slot accel
	local name=$1 slot=$2 accel=$3
	: "${tmp:?call scratch (tests/lib.sh) first}"
	vm_need_root
	stack=$name-$(vm_run_id)
	net=$(vm_subnet "$slot")
	uri=$FTBOOT_TEST_LIBVIRT_URI
	[ -n "${guest:-}" ] || vm_guest
	if [ -z "${http_port:-}" ]; then
		mkdir -p "$tmp/http"
		http_port=$("$VM_TOP/tests/servers/httpd.sh" start "$guest" "$tmp/http") ||
			skip_all "nginx could not serve the guest image"
	fi
	proj=$tmp/$name
	mkdir -p "$proj/srcs" "$proj/templates" "$proj/images/debian-test"
	cat >"$proj/srcs/stack.yaml" <<EOS
name: $stack
vm:
  profile: debian-test
  cpus: 2
  memory: 1G
  disk: 4G
  uri: '$uri'
  network: $stack-net
  cidr: $net.0/24
  address: $net.10
  accel: $accel
services:
  nginx:
    ports: {http: 80}
EOS
	sum() { sha512sum "$guest/$1" | cut -d' ' -f1; }
	cat >"$proj/images/debian-test/image.yaml" <<EOS
description: Debian bookworm test guest (tests/vm/build-guest.sh)
image: {url: 'http://127.0.0.1:$http_port/rootfs.qcow2', sha512: $(sum rootfs.qcow2), format: qcow2}
kernel: {url: 'http://127.0.0.1:$http_port/vmlinuz', sha512: $(sum vmlinuz)}
initrd: {url: 'http://127.0.0.1:$http_port/initrd.img', sha512: $(sum initrd.img)}
cmdline: root=/dev/vda rw console=ttyS0 net.ifnames=0
user: ftboot
ssh_port: $vm_ssh_port
boot_timeout: 300
engine: {setup: engine.sh, timeout: 120}
cluster: {kubeconfig: /etc/rancher/k3s/k3s.yaml, port: 6443, timeout: 300, status: "systemctl status k3s --no-pager; journalctl -u k3s -n 30 --no-pager"}
EOS
	cp "$VM_TOP/tests/fixtures/vm-guest/user-data" "$VM_TOP/tests/fixtures/vm-guest/network-config" \
		"$VM_TOP/tests/fixtures/vm-guest/engine.sh" "$proj/images/debian-test/"
	export FTBOOT_STATE_DIR="$tmp/state" FTBOOT_CACHE_DIR="$tmp/cache"
	# provision merges the cluster's context into the user's kubeconfig:
	# the test's own, never this machine's ~/.kube/config.
	export KUBECONFIG="$tmp/user-kubeconfig"
}

# virsh on the run's own libvirtd.
vm_virsh() {
	virsh -q -c "$FTBOOT_TEST_LIBVIRT_URI" "$@"
}

vm_leftovers() { # [name]: what libvirt still has of the stack
	local name=${1:-$stack}
	{
		vm_virsh list --all --name | grep -x "ftboot-$name"
		vm_virsh net-list --all --name | grep -x "$name-net"
		vm_virsh pool-list --all --name | grep -x "ftboot-$name"
		ls "/var/lib/libvirt/images/ftboot-$name" 2>/dev/null
	} 2>/dev/null
}

vm_teardown() {
	[ -n "${http_port:-}" ] && "$VM_TOP/tests/servers/httpd.sh" stop "$tmp/http" >/dev/null 2>&1
	return 0
}

# At exit: stop a background ftboot (bg_pid), `down` the stack, and if
# that could not remove everything, remove the leftovers with virsh so
# one failed test cannot leave a VM for the next. Then the scratch dir.
vm_cleanup() {
	local name=${stack:-}
	if [ -n "${bg_pid:-}" ]; then
		kill -9 "$bg_pid" 2>/dev/null
		wait "$bg_pid" 2>/dev/null
	fi
	if [ -n "$name" ]; then
		(cd "$proj" 2>/dev/null && "$FTBOOT" -q down >/dev/null 2>&1)
		if [ -n "$(vm_leftovers "$name")" ]; then
			echo "# cleanup: ftboot down left $(vm_leftovers "$name" | tr '\n' ' '); removing with virsh"
			vm_virsh destroy "ftboot-$name" >/dev/null 2>&1
			vm_virsh undefine "ftboot-$name" >/dev/null 2>&1
			vm_virsh net-destroy "$name-net" >/dev/null 2>&1
			vm_virsh net-undefine "$name-net" >/dev/null 2>&1
			vm_virsh pool-destroy "ftboot-$name" >/dev/null 2>&1
			vm_virsh pool-undefine "ftboot-$name" >/dev/null 2>&1
		fi
		# the pool's directory is the host's, whatever libvirt still knows
		rm -rf "/var/lib/libvirt/images/ftboot-$name"
	fi
	vm_teardown
	rm -rf "$tmp"
}

# Last, once every function above is defined: re-run inside the
# namespace unless this is the inner run already.
if [ -z "${FTBOOT_TEST_NETNS:-}" ] || [ "$(ip netns identify $$ 2>/dev/null)" != "$FTBOOT_TEST_NETNS" ]; then
	if [ -n "${FTBOOT_TEST_NETNS:-}" ]; then
		unset FTBOOT_TEST_NETNS FTBOOT_TEST_LIBVIRT_URI FTBOOT_TEST_LIBVIRT_DIR
	fi
	vm_outer "$@"
fi
ip link set lo up 2>/dev/null
