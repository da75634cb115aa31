#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make bench, VM part, on the TCG Debian test guest (image already in
# ftboot's cache), all in one run so every figure sees the same machine
# load and the same guest:
#
#   cold   `ftboot up --until vm` with nothing defined: key pairs, the
#          cached image checked against its sha512, network, pool, disk,
#          seed, domain, boot until SSH answers
#   no-op  `up --until vm` again on the running VM (BENCH_VM_RUNS runs,
#          median and spread), beside its limit: OpenSSH's
#          `ssh -i KEY user@VM true` with the host key pinned from the
#          stack's state, the same number of runs, interleaved with them
#   warm   `up --until vm` after the VM was powered off (`virsh destroy`):
#          everything defined, the domain shut off; up starts it and waits
#          for SSH
#   down   `ftboot down` (state removed, cache kept)
#
# and the baseline: virt-install --import --cloud-init booting the same
# image on the same kind of network until SSH answers, then removed with
# every pool virt-install made on its own (checked: nothing of it is left).
#
# It prints figures; it fails on errors only, never on timing. Skips
# (exit 0, with the reason) where a VM cannot run: not root, no libvirtd,
# no guest.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FTBOOT:=$top/ftboot}"
: "${BENCH_VM_RUNS:=5}"
export FTBOOT FTBOOT_TOP=$top BENCH_VM_RUNS
bench_skip() {
	if [ "${FTBOOT_TEST_REQUIRE_VM:-}" = 1 ]; then
		echo "bench vm: failed: $* (FTBOOT_TEST_REQUIRE_VM=1: it must run here)" >&2
		exit 1
	fi
	echo "bench vm: skipped: $*"
	exit 0
}
bench_fail() {
	echo "bench vm: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || bench_skip "needs root (libvirtd)"
command -v virt-install >/dev/null || bench_skip "no virt-install (apt-get install virtinst)"
command -v ssh >/dev/null || bench_skip "no ssh (apt-get install openssh-client)"

# Reuse the VM tier's setup: a private libvirtd in a network namespace
# (sourcing lib-vm.sh re-runs this script there, so ssh from here reaches
# the guest), guest, HTTP server, a project.
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
# shellcheck disable=SC2317 # called by lib-vm.sh
skip_all() { bench_skip "$*"; }
# shellcheck source=../vm/lib-vm.sh
. "$top/tests/vm/lib-vm.sh"
scratch
# The baseline's objects live in the run's private libvirtd, which goes
# with the run, but the benchmark removes them itself and checks it did
# (baseline_cleanup); its files here:
vi_pool=/var/lib/libvirt/images/vi-bench-$(vm_run_id)
trap 'rm -rf "$vi_pool"; vm_cleanup' EXIT
vm_setup ftbench 3 tcg
cd "$proj" || exit 1
"$FTBOOT" --version >/dev/null 2>&1 # warm the page cache for the binary
secs() { date +%s.%N; }
ms() { echo $(($(date +%s%N) / 1000000)); }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
# Median, lowest and highest of numbers, one a line: "MED MIN MAX".
stats() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[1], a[NR]}'; }

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

up() { # log: ftboot up --until vm, its stderr into log; an error ends the bench
	"$FTBOOT" up --until vm 2>"$1" || {
		cat "$1" >&2
		bench_fail "ftboot up failed (see above)"
	}
}

t0=$(secs)
up "$tmp/cold.log"
t1=$(secs)

# The limit of a no-op up: one SSH login running `true`, by OpenSSH, with
# the key and the pinned host key of the stack's state (no config file,
# agent, multiplexing or trust on first use).
sshdir=$FTBOOT_STATE_DIR/$stack/ssh
user=$(sed -n 's/^user: *//p' "$proj/images/debian-test/image.yaml")
if [ ! -s "$sshdir/id_ed25519" ] || [ ! -s "$sshdir/host_ed25519.pub" ]; then
	bench_fail "no key pair in $sshdir after up"
fi
echo "[$net.10]:$vm_ssh_port $(cut -d' ' -f1-2 "$sshdir/host_ed25519.pub")" >"$tmp/pinned_hosts"
fp=$(ssh-keygen -lf "$sshdir/host_ed25519.pub" | cut -d' ' -f2)
grep -qF "(host key $fp)" "$tmp/cold.log" ||
	bench_fail "ftboot's ssh step did not pin $fp, the host key in $sshdir"
bare_ssh() {
	ssh -F /dev/null -i "$sshdir/id_ed25519" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o UserKnownHostsFile="$tmp/pinned_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 \
		-o ControlMaster=no -o ControlPath=none -p "$vm_ssh_port" "$@" "$user@$net.10" true </dev/null
}
# One untimed round of each first (page cache, the guest's user session).
bare_ssh -v 2>"$tmp/ssh-v.log" || {
	cat "$tmp/ssh-v.log" >&2
	bench_fail "ssh -i KEY $user@$net.10 true (host key pinned) failed (see above)"
}
up "$tmp/noop-0.log"
for i in $(seq "$BENCH_VM_RUNS"); do
	a=$(ms)
	up "$tmp/noop-$i.log"
	b=$(ms)
	bare_ssh 2>"$tmp/ssh.err" || {
		cat "$tmp/ssh.err" >&2
		bench_fail "ssh -i KEY $user@$net.10 true failed (see above)"
	}
	c=$(ms)
	echo "$((b - a))" >>"$tmp/noop.ms"
	echo "$((c - b))" >>"$tmp/ssh.ms"
done

# Warm: all defined, the domain powered off.
vm_virsh destroy "ftboot-$stack" >/dev/null || bench_fail "virsh destroy ftboot-$stack failed"
[ "$(vm_virsh domstate "ftboot-$stack")" = "shut off" ] ||
	bench_fail "ftboot-$stack is not shut off after virsh destroy"
t2=$(secs)
up "$tmp/warm.log"
t3=$(secs)
"$FTBOOT" -q down || bench_fail "ftboot down failed"
t4=$(secs)
[ -z "$(vm_leftovers)" ] || bench_fail "ftboot down left: $(vm_leftovers | tr '\n' ' ')"

# Baseline: the same image, kernel and network shape through virt-install.
V="virsh -q -c $uri"
vnet=$(vm_subnet 4)
pools() { $V pool-list --all --name | awk 'NF {print $1}' | sort; }
pools >"$tmp/pools.before"
find /var/lib/libvirt/boot -mindepth 1 2>/dev/null | sort >"$tmp/boot.before"
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

# Everything of the baseline, whatever got made: the domain with its
# storage, the network, and the pools virt-install defined on its own for
# the directories it used (the disk's, /var/lib/libvirt/boot for the
# cloud-init ISO). Then check nothing is left, in libvirt or on disk.
baseline_cleanup() {
	local p left
	$V destroy vi-bench >/dev/null 2>&1
	$V undefine vi-bench --remove-all-storage >/dev/null 2>&1
	$V net-destroy vi-bench-net >/dev/null 2>&1
	$V net-undefine vi-bench-net >/dev/null 2>&1
	pools | comm -13 "$tmp/pools.before" - >"$tmp/pools.made"
	while read -r p; do
		$V pool-destroy "$p" >/dev/null 2>&1
		$V pool-undefine "$p" >/dev/null 2>&1
	done <"$tmp/pools.made"
	rm -rf "$pool"
	left=$(
		$V list --all --name | grep -x vi-bench
		$V net-list --all --name | grep -x vi-bench-net
		pools | comm -13 "$tmp/pools.before" - | sed 's/^/pool /'
		find /var/lib/libvirt/boot -mindepth 1 2>/dev/null | sort | comm -13 "$tmp/boot.before" -
		[ -e "$pool" ] && echo "$pool"
	)
	[ -z "$left" ] || bench_fail "the virt-install baseline left: $(echo "$left" | tr '\n' ' ')"
	made=$(paste -sd' ' "$tmp/pools.made")
}

t5=$(secs)
virt-install --connect "$uri" --import --name vi-bench --memory 1024 --vcpus 2 \
	--virt-type qemu --osinfo detect=on,require=off --graphics none --noautoconsole \
	--disk "path=$pool/disk.qcow2,format=qcow2,bus=virtio" \
	--network network=vi-bench-net,mac=52:54:00:be:0c:01,model=virtio \
	--boot "kernel=$pool/vmlinuz,initrd=$pool/initrd.img,kernel_args=root=/dev/vda rw console=ttyS0 net.ifnames=0" \
	--cloud-init "user-data=$tmp/user-data,meta-data=$tmp/meta-data" >/dev/null 2>&1 || {
	baseline_cleanup
	bench_skip "virt-install failed"
}
until ssh -q -i "$tmp/key" -o UserKnownHostsFile="$tmp/known_hosts" -o StrictHostKeyChecking=yes \
	-o ConnectTimeout=3 -o BatchMode=yes bench@"$vnet.10" true 2>/dev/null; do
	sleep 1
	[ "$(diff_s "$t5" "$(secs)" | cut -d. -f1)" -lt 400 ] || {
		baseline_cleanup
		bench_skip "virt-install's guest never answered SSH"
	}
done
t6=$(secs)
baseline_cleanup
t7=$(secs)

cold=$(diff_s "$t0" "$t1") warm=$(diff_s "$t2" "$t3") down=$(diff_s "$t3" "$t4")
vup=$(diff_s "$t5" "$t6") vdown=$(diff_s "$t6" "$t7")
read -r noop noop_lo noop_hi < <(stats <"$tmp/noop.ms")
read -r bare bare_lo bare_hi < <(stats <"$tmp/ssh.ms")
s2() { awk -v m="$1" 'BEGIN {printf "%.2f", m / 1000}'; }
n=$BENCH_VM_RUNS

echo "bench vm: TCG Debian test guest, image cached, 2 vCPU, 1 GiB"
printf '%-34s %8s %8s\n' "" "up→SSH" "down"
printf '%-34s %7ss %7ss\n' "ftboot up --until vm / down" "$cold" "$down"
printf '%-34s %7ss %7ss\n' "virt-install --import --cloud-init" "$vup" "$vdown"
awk -v a="$cold" -v b="$vup" 'BEGIN {printf "ratio ftboot/virt-install (up to SSH): %.2f\n", a / b}'
echo "virt-install's baseline removed with the pools it made on its own: ${made:-none} (nothing left)"
echo "ftboot up --until vm, by what exists (no-op and ssh: median of $n, interleaved, lowest-highest):"
printf '  %-60s %7ss\n' "cold:  image cached, nothing defined" "$cold"
printf '  %-60s %7ss\n' "warm:  all defined, vm powered off (virsh destroy)" "$warm"
printf '  %-60s %7ss  (%s-%s)\n' "no-op: vm running" "$(s2 "$noop")" "$(s2 "$noop_lo")" "$(s2 "$noop_hi")"
printf '  %-60s %7ss  (%s-%s)\n' "limit: ssh -i KEY $user@VM true (OpenSSH, host key pinned)" \
	"$(s2 "$bare")" "$(s2 "$bare_lo")" "$(s2 "$bare_hi")"
# Each no-op run ran right before its ssh run: the median of their
# ratios is less moved by load that comes and goes than the medians are.
read -r pair pair_lo pair_hi < <(paste "$tmp/noop.ms" "$tmp/ssh.ms" |
	awk '{printf "%.4f\n", $1 / $2}' | stats)
printf 'ratio no-op up/bare ssh: %.2f; run by run %.2f (%.2f-%.2f) (goal <= 1.2)\n' \
	"$(awk -v a="$noop" -v b="$bare" 'BEGIN {print a / b}')" "$pair" "$pair_lo" "$pair_hi"
printf 'OpenSSH negotiated: %s\n' "$(sed -n 's/^debug1: kex: algorithm: //p; s/^debug1: kex: host key algorithm: //p; s/^debug1: kex: server->client cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \2/p' "$tmp/ssh-v.log" | paste -sd' ')"
echo "ftboot's steps, cold up (where its time went):"
grep -E '\([0-9.]+ s\)$' "$tmp/cold.log" | sed 's/^/  /'
echo "ftboot's steps, warm up:"
grep -E '\([0-9.]+ s\)$' "$tmp/warm.log" | sed 's/^/  /'
echo "ftboot's steps, no-op up (median of $n per step):"
# Per run: "RUN<TAB>STEP#<TAB>SECONDS<TAB>LINE", and last what the step
# lines do not cover (start, state, keys, image pins, libvirt connection).
for i in $(seq "$n"); do
	sed -n 's/^\(.*\) \.\.\. \(.*\) (\([0-9.]*\) s)$/\3\t\1 ... \2/p' "$tmp/noop-$i.log" |
		awk -F'\t' -v run="$i" -v total="$(sed -n "${i}p" "$tmp/noop.ms")" '
			{ print run "\t" NR "\t" $1 "\t" $2; sum += $1 }
			END { printf "%s\t%d\t%.2f\t%s\n", run, NR + 1, total / 1000 - sum,
				"outside the step lines: start, state, keys, image pins, libvirt connection" }'
done >"$tmp/noop.steps"
sort -t"$(printf '\t')" -k2,2n -k3,3n "$tmp/noop.steps" |
	awk -F'\t' 'function out() { if (m) printf "  %s (%.1f s)\n", l[int((m + 1) / 2)], t[int((m + 1) / 2)] }
		$2 != k { out(); k = $2; m = 0 }
		{ m++; t[m] = $3; l[m] = $4 }
		END { out() }'
