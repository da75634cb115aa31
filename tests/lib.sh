# shellcheck shell=bash
# tests/lib.sh: TAP helpers for shell tests (sourced).
#
#   ok COND_STATUS "name"    is "got" "want" "name"    skip "reason"
#   skip_all "reason" (exit 77)    done_testing (plan, exit status)
#   run_ftboot ARGS...   sets $out, $errout, $rc
#   jf EXPR              a Python expression of d, the JSON document on
#                        stdin: jf 'd["metadata"]["name"]'
set -u
tap_n=0
tap_fail=0
: "${FTBOOT_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${FTBOOT:=$FTBOOT_TOP/ftboot}"
export FTBOOT FTBOOT_TOP

ok() {
	local st=$1
	shift
	tap_n=$((tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $*"
		tap_fail=$((tap_fail + 1))
	fi
}

is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		printf '#   got:  %s\n#   want: %s\n' "$got" "$want" | head -40
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $*"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 77
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
	exit $?
}

# A private scratch directory, removed at exit.
scratch() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftboot-test.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	export FTBOOT_STATE_DIR="$tmp/state"
}

# shellcheck disable=SC2034 # rc, out and errout are for the caller
run_ftboot() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$FTBOOT" "$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o")
	errout=$(cat "$e")
	rm -f "$o" "$e"
}

jf() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print('"$1"')'; }
