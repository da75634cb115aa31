#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the pipeline's one table of steps (bootstrap/lib/step.c) as
# the user meets it: `help up` lists each step with what it converges,
# `up --until` knows them, `status` shows each.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
cd "$FTBOOT_TOP" || exit 1

steps=(vm provision build apply)
run_ftboot help up
is "$rc" 0 "help up exits 0"
listed=$(printf '%s\n' "$out" | sed -n '/^Steps, in order:$/,$p' | awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }' | paste -sd' ')
is "$listed" "${steps[*]}" "help up lists the steps in order"
printf '%s\n' "$out" | grep -qE '^  vm +the VM runs, has its address and answers SSH'
ok $? "each with what it converges"
n=$(printf '%s\n' "$out" | grep -c '(not built yet)$')
is "$n" 0 "every step is built"

run_ftboot up --until provisio
is "$rc" 2 "up --until a step that does not exist: usage error"
is "$errout" "ftboot up: no step 'provisio'; the steps are vm, provision, build, apply" "names the steps"

run_ftboot status
is "$rc" 0 "status without a VM"
printf '%s\n' "$out" | grep -qE "^engine +tcp://[0-9.]+:2376 \(the VM's\), not set up \(ftboot up --until provision\)$"
ok $? "status: provision's engine not set up yet"
printf '%s\n' "$out" | grep -qE "^cluster +the VM's, not set up \(ftboot up --until provision\)$"
ok $? "status: provision's cluster not set up yet"
printf '%s\n' "$out" | grep -qE "^apply +not applied: the cluster of stack '[a-z0-9-]+' is not set up yet \(ftboot up --until provision\)$"
ok $? "status: apply says the cluster is not set up yet"
printf '%s\n' "$out" | grep -qE "^vm +not created"
ok $? "status: vm not created"
printf '%s\n' "$out" | grep -qE "^build +"
ok $? "status: the build step says what it knows"
done_testing
