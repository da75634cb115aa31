#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier: kill -9 `ftboot up --until vm` at five moments (during the
# download, and at later steps as the boot goes on). Each time a new `up`
# must converge and `down` must leave nothing in libvirt.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"
scratch
trap 'vm_cleanup ftvm3' EXIT
vm_setup ftvm3 192.168.234.0/24 tcg
cd "$proj" || exit 1

for at in 0.3 2 5 15 40; do
	if [ "$at" = 0.3 ]; then
		rm -rf "$FTBOOT_CACHE_DIR" # the first kill lands in the download
	fi
	"$FTBOOT" up --until vm >"$tmp/killed.out" 2>&1 &
	bg_pid=$!
	sleep "$at"
	kill -9 "$bg_pid" 2>/dev/null
	wait "$bg_pid" 2>/dev/null
	bg_pid=
	last=$(grep -o '[a-z][^.]* \.\.\. ' "$tmp/killed.out" | tail -n 1)
	run_ftboot up --until vm
	is "$rc" 0 "killed after ${at}s (in: ${last:-start}): up again converges $(tail -n 2 <<<"$errout")"
	run_ftboot down
	is "$rc" 0 "killed after ${at}s: down"
	is "$(vm_leftovers ftvm3)" "" "killed after ${at}s: nothing left in libvirt"
	[ ! -e "$FTBOOT_STATE_DIR/ftvm3" ]; ok $? "killed after ${at}s: no state left"
done
# A kill with nothing after it: down alone must clean up what up left.
"$FTBOOT" up --until vm >/dev/null 2>&1 &
bg_pid=$!
sleep 8
kill -9 "$bg_pid" 2>/dev/null
wait "$bg_pid" 2>/dev/null
bg_pid=
run_ftboot down
is "$rc" 0 "down right after a killed up"
is "$(vm_leftovers ftvm3)" "" "and nothing is left"
done_testing
