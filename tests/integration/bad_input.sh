#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the bad-input corpus. Each directory under
# tests/fixtures/bad-stacks/ is a project (srcs/stack.yaml, maybe
# templates/) whose `ftboot render` must fail with exit 1 and exactly the
# error in its `expected` file.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
corpus="$FTBOOT_TOP/tests/fixtures/bad-stacks"
count=0
for case in "$corpus"/*/; do
	name=$(basename "$case")
	want=$(cat "$case/expected")
	got=$(cd "$case" && "$FTBOOT" render 2>&1 >/dev/null)
	st=$?
	if [ "$st" -ne 1 ] || [ "$got" != "$want" ]; then
		ok 1 "$name"
		printf '#   exit %s\n#   got:  %s\n#   want: %s\n' "$st" "$got" "$want"
	else
		ok 0 "$name"
	fi
	count=$((count + 1))
done
[ "$count" -ge 25 ]; ok $? "the corpus has at least 25 cases ($count)"
[ ! -e "$FTBOOT_STATE_DIR" ]; ok $? "no failing render left state behind"
done_testing
