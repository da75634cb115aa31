#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier smoke test: the Debian test guest (build-guest.sh) boots under a
# real libvirtd with TCG, reads a NoCloud seed, and answers SSH with the
# host key pinned in that seed. It uses libvirt, qemu-img and genisoimage
# directly, not ftboot's C code, so it checks the environment the VM layer
# is tested in: if this fails, VM tests of ftboot cannot pass.
#
# Steps: libvirtd (tests/servers/libvirtd.sh); the guest image; a qcow2
# overlay; a seed ISO (Joliet + Rock Ridge, label cidata) with a test user,
# its authorized key and a pre-generated ed25519 host key; a private NAT
# network with a DHCP reservation; a TCG domain with direct kernel boot;
# lease, then SSH with StrictHostKeyChecking=yes against the pinned key;
# docker and cloud-init in the guest; teardown, and nothing left behind.
#
# Skips (77) when not root, without qemu-system-x86_64, when libvirtd
# cannot start, or when the guest cannot be built (no network to Debian).
# FTBOOT_TEST_CACHE: where build-guest.sh keeps the image.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# Re-runs this script in a network namespace with a private libvirtd.
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"

uri=$FTBOOT_TEST_LIBVIRT_URI
name=ftboot-smoke-$(vm_run_id)
bridge=ftbsmk$(vm_run_id)
lease_wait=${FTBOOT_SMOKE_LEASE_WAIT:-240}
ssh_wait=${FTBOOT_SMOKE_SSH_WAIT:-300}

note() { printf '# %s\n' "$*"; }
bail() {
	echo "Bail out! $*"
	exit 1
}
virsh_() { virsh -q -c "$uri" "$@"; }

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	vm_cannot "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
for tool in virsh qemu-img genisoimage ssh ssh-keygen ip; do
	command -v "$tool" >/dev/null 2>&1 || vm_cannot "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-smoke.XXXXXX") || bail "mktemp failed"
# qemu runs as libvirt-qemu: it must reach the overlay, seed and serial log.
chmod 0755 "$tmp"
defined_dom=0 defined_net=0

teardown() {
	if [ "$defined_dom" -eq 1 ]; then
		virsh_ destroy "$name" >/dev/null 2>&1 || true
		virsh_ undefine "$name" >/dev/null 2>&1 || true
		defined_dom=0
	fi
	if [ "$defined_net" -eq 1 ]; then
		virsh_ net-destroy "$name" >/dev/null 2>&1 || true
		virsh_ net-undefine "$name" >/dev/null 2>&1 || true
		defined_net=0
	fi
}
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	teardown
	rm -rf "$tmp"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The guest image (built once, cached by the content of build-guest.sh),
# by lib-vm.sh's outer run.
vm_guest
# The run's own subnet: its namespace has no other network.
net=$(vm_subnet 5)

# The first assertions: nothing skips from here on.
[ -s "$guest/rootfs.img" ] && [ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.img" ]
ok $? "guest image at $guest"
(cd "$guest" && sha512sum --quiet -c SHA512SUMS)
ok $? "guest artifacts match their SHA512SUMS"

gw=$net.1 addr=$net.10
mac=$(printf '52:54:00:fb:%02x:%02x' $((($$ >> 8) & 255)) $(($$ & 255)))
note "network $name: $net.0/24 on $bridge, guest $mac -> $addr"

# Keys: the host key the guest must present, the client key to log in.
if ! ssh-keygen -q -t ed25519 -N '' -C "$name-host" -f "$tmp/hostkey" ||
	! ssh-keygen -q -t ed25519 -N '' -C "$name-client" -f "$tmp/id"; then
	bail "ssh-keygen failed"
fi
echo "$name $(cut -d' ' -f1-2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"

# The NoCloud seed. locale: false (minbase has no locales package);
# ssh_deletekeys + no generated types: the only host key is the seed's.
mkdir "$tmp/seed" || bail "mkdir failed"
cat >"$tmp/seed/meta-data" <<EOF
instance-id: $name
local-hostname: ftboot-smoke
EOF
{
	cat <<EOF
#cloud-config
locale: false
ssh_pwauth: false
disable_root: true
ssh_deletekeys: true
ssh_genkeytypes: []
ssh_keys:
  ed25519_private: |
EOF
	sed 's/^/    /' "$tmp/hostkey"
	cat <<EOF
  ed25519_public: $(cat "$tmp/hostkey.pub")
users:
  - name: ftboot
    groups: [docker]
    shell: /bin/bash
    lock_passwd: true
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - $(cat "$tmp/id.pub")
EOF
} >"$tmp/seed/user-data"
genisoimage -quiet -output "$tmp/seed.iso" -volid cidata -joliet -rock \
	"$tmp/seed/user-data" "$tmp/seed/meta-data"
ok $? "seed ISO written (cidata, Joliet + Rock Ridge)"

qemu-img create -q -f qcow2 -b "$guest/rootfs.img" -F raw "$tmp/overlay.qcow2" 4G
ok $? "qcow2 overlay on the cached image"

cat >"$tmp/net.xml" <<EOF
<network>
  <name>$name</name>
  <forward mode='nat'/>
  <bridge name='$bridge' stp='off' delay='0'/>
  <ip address='$gw' netmask='255.255.255.0'>
    <dhcp>
      <range start='$net.100' end='$net.200'/>
      <host mac='$mac' name='ftboot-smoke' ip='$addr'/>
    </dhcp>
  </ip>
</network>
EOF
cat >"$tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>1536</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>root=/dev/vda rw console=ttyS0 net.ifnames=0</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$tmp/overlay.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$tmp/seed.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='$name'/>
      <mac address='$mac'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='$tmp/serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
EOF

defined_net=1
virsh_ net-define "$tmp/net.xml" >/dev/null && virsh_ net-start "$name" >/dev/null
st=$?
ok "$st" "network $name defined and started"
[ "$st" -eq 0 ] || done_testing
defined_dom=1
virsh_ define "$tmp/dom.xml" >/dev/null
st=$?
ok "$st" "domain $name defined (TCG, direct kernel boot)"
[ "$st" -eq 0 ] || done_testing

serial_tail() {
	note "last lines of the serial console:"
	tail -n "${1:-30}" "$tmp/serial.log" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
}

t_start=$(date +%s)
if ! virsh_ start "$name" >"$tmp/start.log" 2>&1; then
	ok 1 "domain started"
	sed 's/^/# /' "$tmp/start.log"
	done_testing
fi
ok 0 "domain started"

# The lease (dnsmasq's view), then SSH.
lease=""
while [ $(($(date +%s) - t_start)) -lt "$lease_wait" ]; do
	lease=$(virsh_ net-dhcp-leases "$name" --mac "$mac" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "ipv4") { sub("/.*", "", $(i + 1)); print $(i + 1) } }' |
		head -1)
	[ -n "$lease" ] && break
	sleep 2
done
t_lease=$(date +%s)
is "$lease" "$addr" "the guest leased its reserved address"
if [ -z "$lease" ]; then
	serial_tail 40
	done_testing
fi
note "lease after $((t_lease - t_start)) s"

ssh_opts=(-F /dev/null -i "$tmp/id" -o IdentitiesOnly=yes -o BatchMode=yes
	-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$tmp/known_hosts"
	-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="$name"
	-o ConnectTimeout=5 -o LogLevel=ERROR)
# shellcheck disable=SC2029 # the command is meant to run in the guest
gssh() { ssh "${ssh_opts[@]}" "ftboot@$addr" "$@"; }

up=1
while [ $(($(date +%s) - t_start)) -lt "$ssh_wait" ]; do
	if gssh true 2>"$tmp/ssh.err"; then
		up=0
		break
	fi
	sleep 2
done
t_ssh=$(date +%s)
ok "$up" "SSH with the pinned host key from the seed (StrictHostKeyChecking=yes)"
if [ "$up" -ne 0 ]; then
	note "last ssh error: $(tr '\n' ' ' <"$tmp/ssh.err")"
	serial_tail 40
	done_testing
fi
note "boot to SSH: $((t_ssh - t_start)) s"

keys=$(gssh 'ls /etc/ssh/ | grep "^ssh_host_.*_key$"' 2>&1 || true)
is "$keys" "ssh_host_ed25519_key" "the guest's only host key is the seed's"

# cloud-init restarts sshd when it applies ssh_pwauth: SSH may answer before
# that, and the wait's connection end with the restart (ssh's own status
# 255, or a refused connection). Asked again until cloud-init answers,
# within the same bound as the boot's.
t=$(date +%s)
ci=
while [ $(($(date +%s) - t_start)) -lt "$ssh_wait" ]; do
	ci=$(gssh 'cloud-init status --wait' 2>&1)
	[ $? -ne 255 ] && break
	note "cloud-init's wait: ssh ended ($(printf '%s' "$ci" | tr '\n' ' ' | head -c 200)); asked again"
	ci=
	sleep 2
done
ci=$(printf '%s\n' "$ci" | grep '^status:' | tail -1)
is "$ci" "status: done" "cloud-init finished without error"
note "cloud-init done $(($(date +%s) - t_start)) s after start (waited $(($(date +%s) - t)) s)"
is "$(gssh 'cloud-init query v1.platform' 2>&1 || true)" "nocloud" "cloud-init read the NoCloud seed"
is "$(gssh hostname 2>&1 || true)" "ftboot-smoke" "hostname from the seed's meta-data"

# dockerd may still be starting when sshd answers.
dv=""
for _ in $(seq 30); do
	dv=$(gssh "docker version --format '{{.Server.Version}}'" 2>"$tmp/docker.err") && break
	dv=""
	sleep 2
done
[ -n "$dv" ] && printf '%s\n' "$dv" | grep -qE '^[0-9]+\.[0-9]+'
ok $? "docker engine answers in the guest (server ${dv:-none})"
[ -n "$dv" ] || note "docker: $(tr '\n' ' ' <"$tmp/docker.err")"

# Teardown, then nothing of the test may remain.
teardown
doms=$(virsh_ list --all --name | grep -cFx "$name" || true)
is "$doms" 0 "domain $name gone from virsh list --all"
nets=$(virsh_ net-list --all --name | grep -cFx "$name" || true)
is "$nets" 0 "network $name gone from virsh net-list --all"
! ip link show "$bridge" >/dev/null 2>&1
ok $? "bridge $bridge removed"
note "timings: lease $((t_lease - t_start)) s, boot to SSH $((t_ssh - t_start)) s"
vm_host_unchanged
done_testing
