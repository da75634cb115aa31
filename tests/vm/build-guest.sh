#!/usr/bin/env bash
# tests/vm/build-guest.sh: build the VM tier's test guest, a Debian bookworm
# image (systemd, openssh-server, cloud-init, docker.io, apparmor) booted by
# direct kernel boot, and print the directory that holds it. In place of
# k3s it runs the Kubernetes API test double (tests/servers/kube-apiserver.py)
# as k3s.service, which writes its kubeconfig where k3s does.
#
#   tests/vm/build-guest.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${FTBOOT_TEST_CACHE:-/var/cache/ftboot-test} and
# must not be inside the repository. The result is CACHE_DIR/guest-KEY/:
#
#   rootfs.img   raw ext4 (label rootfs, sparse, 3 GiB), root of /dev/vda
#   vmlinuz      the guest's own kernel (linux-image-cloud-amd64)
#   initrd.img   its initramfs (virtio_blk/virtio_pci are modules)
#   SHA512SUMS   sha512 of the three (`sha512sum -c` format)
#   DONE         stamp written last: the build is complete
#
# KEY is the sha256 of this script, of tests/debroot.sh (its sourced
# helpers) and of tests/servers/kube-apiserver.py (copied in), so editing
# any of them rebuilds; a complete build is reused at
# once. A build runs in CACHE_DIR/.build-KEY.* and is renamed into place
# only when complete, so a killed build leaves no half cache (its
# leftovers are removed by the next run). Older guest-* builds
# are pruned after a new one lands. Progress goes to stderr.
#
# The guest has no SSH host keys and no root password: cloud-init installs
# the host key and the authorized keys from the test's NoCloud seed.
#
# Exit status: 0 built or reused; 77 cannot build here (not root, missing
# debootstrap or mkfs.ext4, Debian's repository unreachable); 1 failure.
# Needs root (debootstrap, chroot).
set -eu

prog=build-guest
what="build the test guest"
self=${BASH_SOURCE[0]}
# shellcheck source=tests/debroot.sh
. "$(dirname "$self")/../debroot.sh"
t0=$(date +%s)

suite=bookworm
# The machine's own mirror, from its apt sources (FTBOOT_TEST_MIRROR wins).
mirror=$(apt_mirror "$suite")
# What debootstrap installs; its postinst scripts start no service.
base_pkgs=systemd-sysv,udev,openssh-server,iproute2,linux-image-cloud-amd64,initramfs-tools,ca-certificates,dbus
# Installed in a chroot afterwards, with a policy-rc.d that forbids starting
# services: docker.io's and cloud-init's maintainer scripts try to.
# python3, python3-yaml and openssl: the Kubernetes API test double's.
extra_pkgs=(cloud-init docker.io apparmor sudo python3 python3-yaml openssl)
img_size=3G

need_root debootstrap mkfs.ext4 chroot flock realpath sha256sum sha512sum

# One build at a time per cache; a second caller waits, then reuses.
kube_double=$(dirname "$self")/../servers/kube-apiserver.py
[ -f "$kube_double" ] || die "no $kube_double (the Kubernetes API test double)"
cache_start "$self" "${1:-}" guest .lock .build "$kube_double"
root=$work/root
cleanup() {
	umount_under "$work"
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
say "building the $suite test guest in $work (key $key)"

# 1. debootstrap the base system.
t=$(date +%s)
say "debootstrap $suite ($mirror) ..."
debootstrap_root "$root" "$suite" "$mirror" "$work/debootstrap.log" --include="$base_pkgs"
say "debootstrap ... done ($(elapsed "$t"))"

# 2. The extra packages, in a chroot where no service may start.
t=$(date +%s)
say "installing ${extra_pkgs[*]} ..."
no_services "$root"
mount -t proc proc "$root/proc"
in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
if ! { in_root apt-get update -q &&
	in_root apt-get install -y -q --no-install-recommends "${extra_pkgs[@]}"; } \
	>"$work/apt.log" 2>&1; then
	tail -20 "$work/apt.log" >&2
	if network_failure "$work/apt.log"; then
		cannot "apt-get in the guest could not download from $mirror (network?)"
	fi
	die "installing ${extra_pkgs[*]} failed (log above)"
fi
say "installing ... done ($(elapsed "$t"))"

# 3. Configure.
t=$(date +%s)
say "configuring ..."
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/20-dhcp.network" <<'EOF'
# ftboot test guest: DHCP on the first virtio NIC (eth0 with net.ifnames=0).
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
cat >"$root/etc/cloud/cloud.cfg.d/90-ftboot-test.cfg" <<'EOF'
# ftboot test guest: the seed ISO (label cidata) or nothing; the network is
# systemd-networkd's (20-dhcp.network), not cloud-init's.
datasource_list: [ NoCloud, None ]
network: {config: disabled}
EOF
cat >"$root/etc/fstab" <<'EOF'
# ftboot test guest: the whole disk is the root file system (ext4, label rootfs)
/dev/vda	/	ext4	rw,errors=remount-ro	0	1
EOF
echo ftboot-guest >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	ftboot-guest
::1	localhost ip6-localhost ip6-loopback
EOF
# k3s's stand-in: the Kubernetes API test double on VM_IP:6443, writing
# its kubeconfig (0600 root) at k3s's path; VM_IP and LB_IP come from the
# profile's user-data (/etc/ftboot-test/k3s.env, written by cloud-init).
mkdir -p "$root/opt/ftboot-test"
install -m 0644 "$kube_double" "$root/opt/ftboot-test/kube-apiserver.py"
cat >"$root/etc/systemd/system/k3s.service" <<'EOF'
# ftboot test guest: the Kubernetes API test double where k3s would run
# (tests/servers/kube-apiserver.py; not k3s).
[Unit]
Description=Kubernetes API test double in place of k3s (ftboot test guest)
After=cloud-init.service network.target
Wants=cloud-init.service
# Restart until cloud-init has written k3s.env: never give up starting.
StartLimitIntervalSec=0

[Service]
EnvironmentFile=/etc/ftboot-test/k3s.env
ExecStart=/usr/bin/python3 /opt/ftboot-test/kube-apiserver.py --dir /var/lib/ftboot-kube --host 0.0.0.0 --port 6443 --address ${VM_IP} --auto-ready --lb-ip ${LB_IP} --write-kubeconfig /etc/rancher/k3s/k3s.yaml
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
EOF
# No root password (locked), no host keys (cloud-init writes the pinned
# one), no machine id (each boot of a copy makes its own), no host files.
{
	in_root systemctl enable systemd-networkd.service ssh.service docker.service \
		serial-getty@ttyS0.service k3s.service
	in_root systemctl mask systemd-networkd-wait-online.service
	in_root passwd -l root
} >>"$work/apt.log" 2>&1
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -f "$root/etc/resolv.conf"
in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
rm -f "$root/usr/sbin/policy-rc.d"
umount_under "$root"
say "configuring ... done ($(elapsed "$t"))"

# 4. Kernel, initrd, root image.
t=$(date +%s)
kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then
	die "no kernel or initrd in $root/boot"
fi
out=$work/out
mkdir "$out"
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"
say "rootfs $(du -sm --one-file-system "$root" | cut -f1) MB; making the $img_size image ..."
truncate -s "$img_size" "$out/rootfs.img"
mkfs.ext4 -q -L rootfs -d "$root" "$out/rootfs.img"
(cd "$out" && sha512sum rootfs.img vmlinuz initrd.img >SHA512SUMS)
chmod 0644 "$out"/*
chmod 0755 "$out"
{
	echo "key $key"
	echo "suite $suite"
	echo "kernel $(basename "$kernel")"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(elapsed "$t0")"
} >"$out/DONE"
say "image ... done ($(elapsed "$t")): $(du -m "$out/rootfs.img" | cut -f1) MB used of $img_size"

cache_commit "$out" "$final" "$cache"/guest-*
say "built $final in $(elapsed "$t0")"
echo "$final"
