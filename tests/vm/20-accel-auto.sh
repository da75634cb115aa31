#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier: accel: auto. Where /dev/kvm opens but a KVM guest cannot run
# (nested virtualisation, as on this project's machines: qemu aborts at
# start, or the guest hangs with a silent console), ftboot must see it,
# say so, and restart the VM on TCG.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"
scratch
trap vm_cleanup EXIT
vm_setup ftvm2 2 auto
cd "$proj" || exit 1

run_ftboot up --until vm
printf "%s\n" "$errout" | grep -A2 "warning" | sed "s/^/#   /" | cut -c1-150
is "$rc" 0 "up --until vm with accel: auto: $(tail -n 3 <<<"$errout")"
xml=$(vm_virsh dumpxml "ftboot-$stack" 2>/dev/null)
if grep -q "warning: KVM failed (.*; restarting the VM on TCG" <<<"$errout"; then
	ok 0 "KVM failed: the fallback warning was printed: $(grep -o 'KVM failed ([^;]*' <<<"$errout" | cut -c1-160)"
	grep -q "<domain type='qemu'" <<<"$xml"; ok $? "the VM now runs on TCG"
	grep -q "started (tcg)" <<<"$errout"; ok $? "and the step says tcg"
elif grep -q "warning: KVM is not usable" <<<"$errout"; then
	ok 0 "no usable /dev/kvm: TCG from the start, with a warning"
	grep -q "<domain type='qemu'" <<<"$xml"; ok $? "the VM runs on TCG"
	skip "no KVM here, so no hang to fall back from"
else
	[ "$rc" -eq 0 ] && grep -q "<domain type='kvm'" <<<"$xml"
	ok $? "no fallback: then KVM must work and the VM run on it"
	skip "KVM works on this machine: there is no fallback to show"
	skip "KVM works on this machine: there is no fallback to show"
fi
run_ftboot down
is "$rc" 0 "down"
is "$(vm_leftovers)" "" "nothing left"
vm_host_unchanged
done_testing
