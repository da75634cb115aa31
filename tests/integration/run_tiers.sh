#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: tests/run-tiers counts each way a test program can end
# honestly. Fake tier programs in a scratch directory run as the unit
# tier (TEST_PROGS): a skip is a skip only before the first assertion,
# and parallel programs still print whole, in order.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch

# fake NAME BODY: a tier program that runs BODY in bash.
fake() {
	printf '#!/usr/bin/env bash\n%s\n' "$2" >"$tmp/$1"
	chmod +x "$tmp/$1"
}

# tiers NAME...: run-tiers unit on those fakes; sets $out and $rc.
tiers() {
	local p progs=()
	for p; do progs+=("$tmp/$p"); done
	out=$(TEST_PROGS="${progs[*]}" "$FTBOOT_TOP/tests/run-tiers" unit 2>&1)
	rc=$?
}

# has LINE "name": run-tiers printed exactly LINE.
has() {
	grep -qxF -- "$1" <<<"$out"
	ok $? "$2"
}

# counts RC "P passed, F failed, S skipped" "name": run-tiers' exit
# status and closing line.
counts() {
	is "$rc" "$1" "$3: exit $1"
	is "$(tail -n 1 <<<"$out")" "unit: $2" "$3: $2"
}

fake late_fail 'echo "ok 1 - a"; echo "not ok 2 - b"; echo "1..0 # SKIP no peer"; exit 77'
tiers late_fail
counts 1 "1 passed, 1 failed, 0 skipped" "not ok, then exit 77"
has "not ok $tmp/late_fail skipped after asserting (exit 77 after 2 tests)" "... says it skipped after asserting"

fake clean_skip 'echo "1..0 # SKIP no widget here"; exit 77'
tiers clean_skip
counts 0 "0 passed, 0 failed, 1 skipped" "a skip plan and exit 77, nothing asserted"
has "skip $tmp/clean_skip: no widget here" "... is a skip with its reason"

fake late_skip 'echo "ok 1 - a"; echo "1..0 # SKIP too late"; exit 77'
tiers late_skip
counts 1 "1 passed, 1 failed, 0 skipped" "ok, then exit 77"
has "not ok $tmp/late_skip skipped after asserting (exit 77 after 1 tests)" "... is a failure"

fake bare_77 'exit 77'
tiers bare_77
counts 1 "0 passed, 1 failed, 0 skipped" "exit 77 without a skip plan"

fake crash 'echo "ok 1 - a"; kill -SEGV $$'
tiers crash
counts 1 "1 passed, 1 failed, 0 skipped" "a crash before the plan"
has "not ok $tmp/crash printed no plan (crashed or stopped early?)" "... printed no plan"

fake bad_exit 'echo "ok 1 - a"; echo "1..1"; exit 3'
tiers bad_exit
counts 1 "1 passed, 1 failed, 0 skipped" "all ok, but exit 3"
has "not ok $tmp/bad_exit exited with status 3" "... names the status"

# Two at once: the first finishes only once the second has run, yet its
# output comes first and whole.
# shellcheck disable=SC2016 # the fake expands it
fake first 'for i in $(seq 100); do [ -e "$0.ran" ] && break; sleep 0.1; done
[ -e "$0.ran" ]; echo "ok 1 - ran beside the other"; echo "# after waiting"; echo "1..1"'
fake second "touch '$tmp/first.ran'; echo 'ok 1 - second'; echo '1..1'"
TEST_JOBS=2 tiers first second
counts 0 "2 passed, 0 failed, 0 skipped" "two programs at once"
is "$(grep -v '^# .*: [0-9]*\.[0-9] s' <<<"$out" | sed -n '2,8p')" "# $tmp/first
    ok 1 - ran beside the other
    # after waiting
    1..1
# $tmp/second
    ok 1 - second
    1..1" "each output whole, in the order given"
grep -qx "# $tmp/first: [0-9]*\.[0-9] s (1 ok, 0 failed, 0 skipped)" <<<"$out"
ok $? "each program's time and counts"
tail -n 2 <<<"$out" | head -n 1 | grep -qx '# unit tier: [0-9]*\.[0-9] s'
ok $? "the tier's wall time, just before its closing line"

TEST_JOBS=none tiers second
is "$rc" 2 "TEST_JOBS must be a number"
done_testing
