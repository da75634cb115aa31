#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make bench, VM part: `ftboot up --until vm` from start to SSH ready and
# `ftboot down`, on the TCG Debian test guest (image already cached),
# beside the baseline virt-install --import --cloud-init booting the same
# image on the same kind of network until SSH answers. One run each,
# in one go, so both see the same machine load.
#
# Skips (exit 0, with the reason) where a VM cannot run: not root, no
# libvirtd, no guest.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
export FTBOOT FTBOOT_TOP=$top
bench_skip() {
	if [ "${FTBOOT_TEST_REQUIRE_VM:-}" = 1 ]; then
		echo "bench vm: failed: $* (FTBOOT_TEST_REQUIRE_VM=1: it must run here)" >&2
		exit 1
	fi
	echo "bench vm: skipped: $*"
	exit 0
}
[ "$(id -u)" -eq 0 ] || bench_skip "needs root (libvirtd)"
command -v virt-install >/dev/null || bench_skip "no virt-install (apt-get install virtinst)"

# Reuse the VM tier's setup: a private libvirtd in a network namespace
# (sourcing lib-vm.sh re-runs this script there), guest, HTTP server, a
# project.
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
# shellcheck disable=SC2317 # called by lib-vm.sh
skip_all() { bench_skip "$*"; }
# shellcheck source=../vm/lib-vm.sh
. "$top/tests/vm/lib-vm.sh"
scratch
# The baseline's objects live in the run's private libvirtd, which goes
# with the run (pools virt-install makes on its own too); its files here:
vi_pool=/var/lib/libvirt/images/vi-bench-$(vm_run_id)
trap 'rm -rf "$vi_pool"; vm_cleanup' EXIT
vm_setup ftbench 3 tcg
cd "$proj" || exit 1
"$FTBOOT" -q render >/dev/null 2>&1 # warm the page cache for the binary
secs() { date +%s.%N; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

# Both sides start from local files: put the guest where ftboot's cache
# keeps downloads (ftboot still checks each file's sha512).
mkdir -p "$FTBOOT_CACHE_DIR/images"
for f in rootfs.qcow2 vmlinuz initrd.img; do
	h=$(sha512sum "$guest/$f" | cut -c1-16)
	ln -f "$guest/$f" "$FTBOOT_CACHE_DIR/images/$h-$f" 2>/dev/null ||
		cp "$guest/$f" "$FTBOOT_CACHE_DIR/images/$h-$f"
done

# Both tools boot the same files: read them once so neither pays for a cold page cache.
cat "$guest/rootfs.qcow2" "$guest/vmlinuz" "$guest/initrd.img" >/dev/null

t0=$(secs)
"$FTBOOT" up --until vm 2>"$tmp/up.log" || {
	cat "$tmp/up.log" >&2
	echo "bench vm: ftboot up failed (see above)" >&2
	exit 1
}
t1=$(secs)
"$FTBOOT" -q down || { echo "bench vm: ftboot down failed" >&2; exit 1; }
t2=$(secs)

# Baseline: the same image, kernel and network shape through virt-install.
V="virsh -c $uri"
vnet=$(vm_subnet 4)
cat >"$tmp/net.xml" <<EOS
<network><name>vi-bench-net</name><forward mode='nat'/><bridge name='vibench0'/>
<ip address='$vnet.1' netmask='255.255.255.0'><dhcp>
<host mac='52:54:00:be:0c:01' ip='$vnet.10'/></dhcp></ip></network>
EOS
$V net-define "$tmp/net.xml" >/dev/null && $V net-start vi-bench-net >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
{
	echo "#cloud-config"
	echo "locale: false"
	echo "users: [{name: bench, ssh_authorized_keys: ['$(cat "$tmp/key.pub")']}]"
	echo "ssh_deletekeys: true"
	echo "ssh_genkeytypes: []"
	echo "ssh_keys:"
	echo "  ed25519_private: |"
	sed 's/^/    /' "$tmp/hostkey"
	echo "  ed25519_public: $(cat "$tmp/hostkey.pub")"
} >"$tmp/user-data"
printf 'instance-id: vi-bench\nlocal-hostname: vi-bench\n' >"$tmp/meta-data"
echo "$vnet.10 $(cut -d' ' -f1-2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"
pool=$vi_pool
mkdir -p "$pool"
cp "$guest/vmlinuz" "$guest/initrd.img" "$pool/"
qemu-img create -q -f qcow2 -b "$guest/rootfs.qcow2" -F qcow2 "$pool/disk.qcow2" 4G
chmod 0755 "$guest" "$pool"
t3=$(secs)
virt-install --connect "$uri" --import --name vi-bench --memory 1024 --vcpus 2 \
	--virt-type qemu --osinfo detect=on,require=off --graphics none --noautoconsole \
	--disk "path=$pool/disk.qcow2,format=qcow2,bus=virtio" \
	--network network=vi-bench-net,mac=52:54:00:be:0c:01,model=virtio \
	--boot "kernel=$pool/vmlinuz,initrd=$pool/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0" \
	--cloud-init "user-data=$tmp/user-data,meta-data=$tmp/meta-data" >/dev/null 2>&1 ||
	bench_skip "virt-install failed"
until ssh -q -i "$tmp/key" -o UserKnownHostsFile="$tmp/known_hosts" -o StrictHostKeyChecking=yes \
	-o ConnectTimeout=3 -o BatchMode=yes bench@"$vnet.10" true 2>/dev/null; do
	sleep 1
	[ "$(diff_s "$t3" "$(secs)" | cut -d. -f1)" -lt 400 ] || bench_skip "virt-install's guest never answered SSH"
done
t4=$(secs)
$V destroy vi-bench >/dev/null 2>&1
$V undefine vi-bench --remove-all-storage >/dev/null 2>&1
$V net-destroy vi-bench-net >/dev/null
$V net-undefine vi-bench-net >/dev/null
rm -rf "$pool"
t5=$(secs)

up=$(diff_s "$t0" "$t1") down=$(diff_s "$t1" "$t2")
vup=$(diff_s "$t3" "$t4") vdown=$(diff_s "$t4" "$t5")
echo "bench vm: TCG Debian test guest, image cached, 2 vCPU, 1 GiB"
printf '%-34s %8s %8s\n' "" "up→SSH" "down"
printf '%-34s %7ss %7ss\n' "ftboot up --until vm / down" "$up" "$down"
printf '%-34s %7ss %7ss\n' "virt-install --import --cloud-init" "$vup" "$vdown"
awk -v a="$up" -v b="$vup" 'BEGIN {printf "ratio ftboot/virt-install (up to SSH): %.2f\n", a / b}'
echo "ftboot's steps (where its time went):"
grep -E '\([0-9.]+ s\)$' "$tmp/up.log" | sed 's/^/  /'
