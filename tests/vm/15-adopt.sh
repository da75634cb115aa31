#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier: ownership proven by the object. A domain of the stack's name
# without ftboot's metadata is refused; the stack's own domain left
# behind after a `down` (what a killed `up` whose define finished late
# leaves) carries the stack's identity in its <metadata>, so the next
# `up` adopts it (journal, UUID into the state) and the next `down`
# removes it.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"
scratch
trap vm_cleanup EXIT
vm_setup ftvm4 1 tcg
cd "$proj" || exit 1
dom=ftboot-$stack

# Someone else's domain of that name: no metadata of ftboot's.
cat >"$tmp/foreign.xml" <<EOS
<domain type='qemu'><name>$dom</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os></domain>
EOS
vm_virsh define "$tmp/foreign.xml" >/dev/null
ok $? "a foreign domain '$dom' defined behind ftboot's back"
run_ftboot up --until vm
is "$rc" 1 "up refuses it"
printf '%s\n' "$errout" | grep -q "a libvirt domain '$dom' exists that this stack did not create"
ok $? "with the message that says so: $(tail -n 1 <<<"$errout" | cut -c1-200)"
vm_virsh undefine "$dom" >/dev/null
ok $? "(the foreign domain removed)"

run_ftboot up --until vm
is "$rc" 0 "up: $(tail -n 3 <<<"$errout")"
xml=$(vm_virsh dumpxml --inactive "$dom")
grep -q "<ftboot:owner xmlns:ftboot=\"urn:ftboot:owner:1\" stack=\"$stack\" state=\"$(realpath "$FTBOOT_STATE_DIR/$stack")\"/>" <<<"$xml"
ok $? "the domain carries the stack's name and state directory in its metadata"
vm_virsh net-dumpxml "$stack-net" | grep -q "<ftboot:owner .*stack=\"$stack\""
ok $? "and so does the network"
uuid=$(vm_virsh domuuid "$dom")
printf '%s\n' "$xml" >"$tmp/leaked.xml"

run_ftboot down
is "$rc" 0 "down"
is "$(vm_leftovers)" "" "nothing left"
# The leak of issue 7: a killed up's define that lands after down.
vm_virsh define "$tmp/leaked.xml" >/dev/null
ok $? "the stack's domain defined again behind ftboot's back, state and journal gone"

run_ftboot up --until vm
is "$rc" 0 "up adopts it: $(tail -n 3 <<<"$errout")"
printf '%s\n' "$errout" | grep -q "adopted libvirt domain '$dom' (UUID $uuid)"
ok $? "and says so"
is "$(cat "$FTBOOT_STATE_DIR/$stack/vm-uuid" 2>/dev/null)" "$uuid" "its UUID is now the stack's"
is "$(vm_virsh domstate "$dom")" running "it runs"
run_ftboot down
is "$rc" 0 "down"
is "$(vm_leftovers)" "" "removes the adopted domain with the rest"
vm_host_unchanged
done_testing
