# shellcheck shell=bash
# tests/vm/lib-vm.sh: what the VM tier's tests share (sourced after
# tests/lib.sh): a running libvirtd, the Debian test guest served over
# loopback HTTP as a qcow2, and a throwaway project whose VM profile
# points at it.
#
#   vm_setup NAME CIDR ACCEL   sets $proj (cd into it to run ftboot),
#                              exports FTBOOT_STATE_DIR/FTBOOT_CACHE_DIR
#   vm_leftovers NAME          prints libvirt objects of the stack, if any
#   vm_teardown                stops the HTTP server
VM_TOP=$FTBOOT_TOP

vm_need_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "the VM tier needs root (libvirtd, debootstrap)"
	command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	command -v virsh >/dev/null || skip_all "no virsh (apt-get install libvirt-clients)"
}

# The guest, converted once to qcow2 next to the raw build (cached too).
vm_guest() {
	local dir rc
	dir=$("$VM_TOP/tests/vm/build-guest.sh")
	rc=$?
	[ $rc -eq 0 ] || skip_all "the Debian test guest could not be built (build-guest.sh exit $rc)"
	# One converter at a time: parallel runs share the cache.
	if ! (
		flock 9
		[ -e "$dir/rootfs.qcow2" ] ||
			{ qemu-img convert -O qcow2 "$dir/rootfs.img" "$dir/rootfs.qcow2.tmp" &&
				mv "$dir/rootfs.qcow2.tmp" "$dir/rootfs.qcow2"; }
	) 9>"$dir/rootfs.qcow2.lock"; then
		skip_all "qemu-img convert failed"
	fi
	guest=$dir
}

vm_setup() { # name cidr accel
	local name=$1 cidr=$2 accel=$3 net=${2%.0/24}
	: "${tmp:?call scratch (tests/lib.sh) first}"
	vm_need_root
	"$VM_TOP/tests/servers/libvirtd.sh" start >/dev/null 2>&1 || skip_all "libvirtd could not be started"
	[ -n "${guest:-}" ] || vm_guest
	if [ -z "${http_port:-}" ]; then
		mkdir -p "$tmp/http"
		http_port=$("$VM_TOP/tests/servers/httpd.sh" start "$guest" "$tmp/http") ||
			skip_all "nginx could not serve the guest image"
	fi
	proj=$tmp/$name
	mkdir -p "$proj/srcs" "$proj/templates" "$proj/images/debian-test"
	cat >"$proj/srcs/stack.yaml" <<EOS
name: $name
vm:
  profile: debian-test
  cpus: 2
  memory: 1G
  disk: 4G
  uri: qemu:///system
  network: $name-net
  cidr: $cidr
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
boot_timeout: 300
EOS
	cp "$VM_TOP/tests/fixtures/vm-guest/user-data" "$VM_TOP/tests/fixtures/vm-guest/network-config" \
		"$proj/images/debian-test/"
	export FTBOOT_STATE_DIR="$tmp/state" FTBOOT_CACHE_DIR="$tmp/cache"
}

vm_leftovers() { # name: what libvirt still has of the stack
	{
		virsh -c qemu:///system list --all --name | grep -x "ftboot-$1"
		virsh -c qemu:///system net-list --all --name | grep -x "$1-net"
		virsh -c qemu:///system pool-list --all --name | grep -x "ftboot-$1"
		ls "/var/lib/libvirt/images/ftboot-$1" 2>/dev/null
	} 2>/dev/null
}

vm_teardown() {
	[ -n "${http_port:-}" ] && "$VM_TOP/tests/servers/httpd.sh" stop "$tmp/http" >/dev/null 2>&1
	return 0
}

# At exit: stop a background ftboot (bg_pid), `down` the stack, and if
# that could not remove everything, remove the leftovers with virsh so
# one failed test cannot leave a VM for the next. Then the scratch dir.
vm_cleanup() { # name
	local name=$1 V="virsh -c qemu:///system"
	if [ -n "${bg_pid:-}" ]; then
		kill -9 "$bg_pid" 2>/dev/null
		wait "$bg_pid" 2>/dev/null
	fi
	(cd "$proj" 2>/dev/null && "$FTBOOT" -q down >/dev/null 2>&1)
	if [ -n "$(vm_leftovers "$name")" ]; then
		echo "# cleanup: ftboot down left $(vm_leftovers "$name" | tr '\n' ' '); removing with virsh"
		$V destroy "ftboot-$name" >/dev/null 2>&1
		$V undefine "ftboot-$name" >/dev/null 2>&1
		$V net-destroy "$name-net" >/dev/null 2>&1
		$V net-undefine "$name-net" >/dev/null 2>&1
		$V pool-destroy "ftboot-$name" >/dev/null 2>&1
		$V pool-undefine "ftboot-$name" >/dev/null 2>&1
		rm -rf "/var/lib/libvirt/images/ftboot-$name"
	fi
	vm_teardown
	rm -rf "$tmp"
}
