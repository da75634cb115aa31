#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# VM tier: kill -9 `ftboot up --until vm` at each named point it passes,
# and once by the clock during the download. Each time a new `up` must
# converge and `down` must leave nothing in libvirt or the state dir.
#
# The points come from the test hook in bootstrap/lib/failpoint.h: one run
# with FTBOOT_TEST_POINTS lists them; then each is killed at with
# FTBOOT_TEST_KILL_AT (NAME#N for the N-th pass of a name listed more
# than once). A killed run must die by SIGKILL (exit 137): a point it
# does not reach is a failure. The journal's points ("journal:add:...")
# fall after a record is on disk and before its resource exists.
#
# Each kill costs a guest boot (30-40 s on TCG), so a point that is
# provably the same state as the point before it is merged into that
# one and not killed at (each merge is shown as a "# merged" line):
#  - step:X:start right after step:W:end: nothing runs between the end
#    of one step and the start of the next but the progress line;
#  - step:X:end right after step:X:start: the step wrote no journal
#    record, so it created nothing (every resource is journaled before
#    it is made), e.g. waiting for the lease and for SSH.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib-vm.sh
. "$(dirname "$0")/lib-vm.sh"
scratch
trap vm_cleanup EXIT
vm_setup ftvm3 3 tcg
cd "$proj" || exit 1

# checks NAME: after a kill at NAME, `up` again converges, then `down`
# leaves nothing.
converges() {
	run_ftboot up --until vm
	is "$rc" 0 "killed at $1: up again converges ($(tail -n 1 <<<"$errout"))"
	run_ftboot down
	is "$rc" 0 "killed at $1: down"
	is "$(vm_leftovers)" "" "killed at $1: nothing left in libvirt"
	[ ! -e "$FTBOOT_STATE_DIR/$stack" ]
	ok $? "killed at $1: no state left"
}

FTBOOT_TEST_POINTS=$tmp/points run_ftboot up --until vm
is "$rc" 0 "up listing its points ($(tail -n 1 <<<"$errout"))"
run_ftboot down
is "$rc" 0 "down after the listing run"
# NAME#N for the N-th pass of NAME, then the merges.
mapfile -t listed < <(awk '{ n[$0]++; print (n[$0] > 1 ? $0 "#" n[$0] : $0) }' "$tmp/points" 2>/dev/null)
points=() prev='' keep=''
for p in "${listed[@]}"; do
	if [[ ($p == step:*:start && $prev == step:*:end) ||
		($p == step:*:end && $prev == "${p%:end}:start") ]]; then
		echo "# merged $p into $keep (same state)"
	else
		points+=("$p") keep=$p
	fi
	prev=$p
done
[ ${#points[@]} -gt 0 ]
ok $? "${#listed[@]} points listed, ${#points[@]} to kill at"

for p in "${points[@]}"; do
	FTBOOT_TEST_KILL_AT=$p run_ftboot up --until vm 2>/dev/null # no "Killed" from bash
	is "$rc" 137 "killed at $p: died by SIGKILL there $(tail -n 1 <<<"$errout")"
	converges "$p"
done

# One kill by the clock, in the download: it passes no point.
rm -rf "$FTBOOT_CACHE_DIR" "$tmp/points"
FTBOOT_TEST_POINTS=$tmp/points "$FTBOOT" up --until vm >"$tmp/killed.out" 2>&1 &
bg_pid=$!
sleep 0.3
kill -9 "$bg_pid" 2>/dev/null
wait "$bg_pid" 2>/dev/null
bg_pid=
last=$(tail -n 1 "$tmp/killed.out" | tr -cd '[:print:]')
is "$(cat "$tmp/points" 2>/dev/null)" "" "killed after 0.3 s (in: ${last:-start}): before the first point"
converges "0.3 s"

# A kill with nothing after it: down alone must clean up what up left.
FTBOOT_TEST_KILL_AT=step:vm:end run_ftboot up --until vm 2>/dev/null
is "$rc" 137 "killed at step:vm:end, then nothing"
run_ftboot down
is "$rc" 0 "down right after a killed up"
is "$(vm_leftovers)" "" "and nothing is left"
[ ! -e "$FTBOOT_STATE_DIR/$stack" ]
ok $? "and no state either"
echo "# ${#points[@]} of ${#listed[@]} points killed at, in ${SECONDS} s"
vm_host_unchanged
done_testing
