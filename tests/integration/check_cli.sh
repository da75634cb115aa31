#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check` through the real binary, on a copy of the
# repository's stack (srcs/, templates/, setup.sh) with checklists written
# here: its usage errors (exit 2, before the stack is read), a broken or
# unreadable checks.yaml (a positioned error, exit 1, no hang on a FIFO),
# the outputs (plain lines when stdout is no terminal, --json, --junit and
# --report parsed by Python's json and xml.etree, the report opened in
# headless Chromium), --fail-fast, and no generated secret in any output:
# table (through a pty), plain, JSON, JUnit, HTML and stderr.
#
# The checks here need no server: a check whose service is not in the
# stack is a skip, one whose secret the state lacks a failure; the
# checklist's titles carry every ${secret.NAME}. The last part puts the
# secrets into an http check's URLs and headers against a closed port
# (the error names the URL): it needs the http kind (branch check-http)
# and fails until that kind is merged.
# shellcheck disable=SC2016 # ${...} in single quotes: the checklist's placeholders, for ftboot
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
py=/usr/bin/python3
[ -x "$py" ] || skip_all "needs /usr/bin/python3 (json, xml.etree)"
proj=$tmp/proj
mkdir -p "$proj"
cp -R "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$proj/" || exit 1
stack=$proj/srcs/stack.yaml
cl=$proj/srcs/checks.yaml
# Bounded: a check that hangs is a failure, not a stuck test.
check() { run_ftboot_t -f "$stack" check --address 127.0.0.1 "$@"; }
# shellcheck disable=SC2034 # rc, out and errout are for the caller
run_ftboot_t() {
	local o e
	o=$(mktemp) e=$(mktemp)
	timeout 60 "$FTBOOT" "$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o")
	errout=$(cat "$e")
	rm -f "$o" "$e"
}

# ---- help and usage errors ---------------------------------------------------
run_ftboot -f "$stack" check -h
is "$rc" 0 "check -h exits 0"
printf '%s\n' "$out" | head -1 | grep -qF 'usage: ftboot check [--json] [--junit FILE] [--report FILE] [--only IDS]'
ok $? "check -h starts with its usage line"
printf '%s\n' "$out" | grep -q 'Exit status: 0 when every selected check passed'
ok $? "check -h says what the exit status is"

while IFS='|' read -r args want; do
	# shellcheck disable=SC2086 # the arguments
	check $args
	is "$rc" 2 "'check $args' is a usage error"
	printf '%s\n' "$errout" | grep -qF -- "$want"; ok $? "'check $args' says: $want"
done <<EOS
--only E5 --all|--only and --all do not go together
--jobs 0|--jobs '0' is not a number from 1 to 64
--jobs 65|--jobs '65' is not a number from 1 to 64
--jobs x|--jobs 'x' is not a number from 1 to 64
--address 300.1.2.3|--address '300.1.2.3' is not an IPv4 address
--address nginx|--address 'nginx' is not an IPv4 address
--junit $tmp/no/such/dir/j.xml|--junit '$tmp/no/such/dir/j.xml': its directory does not exist
--report $tmp|is a directory; name a file
extra|unexpected argument 'extra'
--bogus|unknown option '--bogus'
EOS
run_ftboot -f "$stack" check --address "$(printf '1.2.3.4\033[2J')"
is "$rc" 2 "an escape in --address: a usage error"
printf '%s\n' "$errout" | grep -qF "'1.2.3.4?[2J'"; ok $? "and it is quoted, not sent raw"
# Usage errors come before the stack is read.
printf 'name: [broken\n' >"$tmp/broken.yaml"
run_ftboot -f "$tmp/broken.yaml" check --jobs 0
is "$rc" 2 "a usage error before a broken stack file is read"
[ ! -e "$FTBOOT_STATE_DIR" ]; ok $? "usage errors create no state"

# ---- the checklist ---------------------------------------------------------------
# needs: [nosuch]: a skip whatever the kind, on any branch.
cat >"$cl" <<'EOF'
checks:
  - {id: E1, title: the first, kind: layout, files: [setup.sh], needs: [nosuch]}
  - {id: E2, title: the second, kind: dockerfiles, needs: [nosuch]}
  - {id: E2.images, title: the images, kind: images, needs: [nginx, nosuch]}
EOF
check --only E9
is "$rc" 2 "--only an id the checklist lacks: a usage error"
is "$errout" "ftboot check: --only: no check 'E9' in $cl (ids are comma-separated, like --only E5,E7)" "naming the id and the checklist"
check --only E1,,E2
is "$rc" 2 "--only with an empty id: a usage error"

check
is "$rc" 1 "skips only: exit 1 (a skip is not a pass)"
# The durations are the machine's: each is shown as N.NNs, compared as such.
is "$(printf '%s\n' "$out" | sed -E 's/ [0-9]+\.[0-9]{2}s/ N.NNs/g')" "E1 skip N.NNs the first
  reason: service 'nosuch' is not in the stack
E2 skip N.NNs the second
  reason: service 'nosuch' is not in the stack
E2.images skip N.NNs the images
  reason: service 'nosuch' is not in the stack
0 passed, 0 failed, 3 skipped, 0 not run in N.NNs" "plain lines when stdout is no terminal"
is "$errout" "ftboot: 3 of 3 checks did not pass (0 failed, 3 skipped, 0 not run)" "stderr: one line, no progress when no terminal watches"
check --only E2
printf '%s\n' "$out" | grep -c '^E2' | grep -qx 2; ok $? "--only E2 runs E2 and its part E2.images"
printf '%s\n' "$out" | grep -q '^E1 '; is $? 1 "and not E1"

# A broken checklist: a positioned error, exit 1.
printf 'checks:\n  - id: E1\n    title: x\n    kind: layuot\n' >"$cl"
check
is "$rc" 1 "an invalid checks.yaml: exit 1"
is "$errout" "ftboot: $cl:4:11: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?" "a positioned error naming the key"
printf 'checks:\n  - {id: E1, title: "\\x1b[2J${lb_ipp}", kind: layout, files: [setup.sh]}\n' >"$cl"
check
is "$errout" "ftboot: $cl:2:29: unknown variable 'lb_ipp'; did you mean 'lb_ip'?" "an unknown variable at its position"
printf '\xef\xbb\xbfchecks:\r\n  - {id: E1, title: \xc3\xa9\xc3\xa9, kind: layout, destructive: 2, files: [setup.sh]}\r\n' >"$cl"
check
is "$errout" "ftboot: $cl:2:52: checks[0].destructive: expected true or false, got 2" "BOM, CRLF and multi-byte text: columns in characters"
head -c 2000000 /dev/zero | tr '\0' a >"$cl"
check
is "$rc" 1 "a 2 MB checks.yaml: refused"
printf '%s\n' "$errout" | grep -q "^ftboot: checklist: .*$cl"; ok $? "saying which file: $errout"
rm -f "$cl"
check
is "$rc" 1 "no checks.yaml: exit 1"
printf '%s\n' "$errout" | grep -qF "$cl"; ok $? "naming where it goes: $errout"
mkfifo "$cl"
t0=$SECONDS
check
is "$rc" 1 "a FIFO where checks.yaml goes: exit 1, no wait for a writer"
ok $((SECONDS - t0 > 5)) "quickly ($((SECONDS - t0)) s)"
printf '%s\n' "$errout" | grep -qF "it is a FIFO, not a regular file"; ok $? "saying what it is: $errout"
rm -f "$cl"
mkdir "$cl"
check
is "$rc" 1 "a directory where checks.yaml goes: exit 1"
printf '%s\n' "$errout" | grep -qF "it is a directory, not a regular file"; ok $? "saying what it is"
rmdir "$cl"

# ---- the secrets ---------------------------------------------------------------------
run_ftboot -f "$stack" render --show-secrets
is "$rc" 0 "render --show-secrets generates the state's secrets"
secdir=$FTBOOT_STATE_DIR/ft/secrets
mapfile -t names < <(sed -n '/^secrets:/,/^[a-z]/s/^  - \([a-z_0-9]*\).*/\1/p' "$stack")
ok $((${#names[@]} < 5)) "the stack declares its secrets (${#names[@]})"
for s in "${names[@]}"; do
	[ -s "$secdir/$s" ] || {
		ok 1 "secret $s generated"
		continue
	}
done
# Every secret in a title (every output shows it) and once more in a
# check the state cannot run, whose hint names secrets.
{
	echo 'checks:'
	i=0
	for s in "${names[@]}"; do
		i=$((i + 1))
		printf '  - {id: S%d, title: "uses ${secret.%s} here", kind: layout, files: [setup.sh], needs: [nosuch]}\n' "$i" "$s"
	done
	printf '  - {id: T1, title: "all: %s", kind: layout, files: [setup.sh], needs: [nosuch]}\n' \
		"$(for s in "${names[@]}"; do printf '${secret.%s} ' "$s"; done)"
} >"$cl"
ids=$(sed -n 's/^  - {id: \([A-Z0-9.]*\),.*/\1/p' "$cl")
check --json >"$tmp/out.json"
check
printf '%s\n' "$out" >"$tmp/out.plain"
printf '%s\n' "$errout" >"$tmp/err.plain"
run_ftboot_t -f "$stack" check --address 127.0.0.1 --json --junit "$tmp/out.xml" --report "$tmp/out.html"
printf '%s\n' "$out" >"$tmp/out.json"
printf '%s\n' "$errout" >"$tmp/err.json"
is "$rc" 1 "--json --junit --report: exit 1 (skips)"
if command -v script >/dev/null; then
	# A pty: the table and the live lines on stderr, both to the terminal.
	TERM=xterm timeout 60 script -qec "$FTBOOT -f $stack check --address 127.0.0.1" /dev/null >"$tmp/out.table" 2>&1
	grep -q 'STATUS' "$tmp/out.table"; ok $? "on a terminal: the table, with its header"
	grep -q $'\033\\[33mskip' "$tmp/out.table"; ok $? "on a terminal: a skip in yellow"
	grep -q '^  S1 *skip ' "$tmp/out.table"; ok $? "on a terminal: a live line per check on stderr"
	NO_COLOR=1 TERM=xterm timeout 60 script -qec "$FTBOOT -f $stack check --address 127.0.0.1" /dev/null >"$tmp/out.nocolor" 2>&1
	! grep -q $'\033' "$tmp/out.nocolor"; ok $? "NO_COLOR: no escape in the table"
else
	skip "no script(1) for a pty: the table is not seen"
	: >"$tmp/out.table"
fi
outs=("$tmp/out.plain" "$tmp/err.plain" "$tmp/out.json" "$tmp/err.json" "$tmp/out.xml" "$tmp/out.html" "$tmp/out.table")
for f in "${outs[@]}"; do
	[ -e "$f" ] || ok 1 "$(basename "$f") written"
done
leaks=0
for s in "${names[@]}"; do
	v=$(cat "$secdir/$s" 2>/dev/null)
	[ -n "$v" ] || {
		echo "# secret $s: no value in the state"
		leaks=$((leaks + 1))
		continue
	}
	for f in "${outs[@]}"; do
		if grep -qF -- "$v" "$f"; then
			echo "# secret $s is in $(basename "$f")"
			leaks=$((leaks + 1))
		fi
	done
	# The secret was there to leak: its placeholder shows where it was.
	grep -qF "uses <secret:$s> here" "$tmp/out.plain" || {
		echo "# <secret:$s> not in the plain output"
		leaks=$((leaks + 1))
	}
done
is "$leaks" 0 "no secret of ${#names[@]} in ${#outs[@]} outputs (table, plain, JSON, JUnit, HTML, stderr), each shown as <secret:NAME>"

# ---- the outputs, parsed ------------------------------------------------------------
# shellcheck disable=SC2086 # the ids, one argument each
$py - "$tmp/out.json" $ids <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
got = [c["id"] for c in d["checks"]]
assert got == sys.argv[2:], (got, sys.argv[2:])
assert all(c["status"] == "skip" and c["reason"] for c in d["checks"])
assert d["summary"]["skipped"] == len(got) and d["summary"]["passed"] == 0
assert d["address"] == "127.0.0.1"
EOF
ok $? "--json parses: every id, in order, each a skip with its reason"
# shellcheck disable=SC2086 # the ids, one argument each
$py - "$tmp/out.xml" $ids <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuite" and root.get("name") == "ftboot check", root.tag
cases = root.findall("testcase")
assert [c.get("name").split(" ")[0] for c in cases] == sys.argv[2:]
assert int(root.get("tests")) == len(cases) and int(root.get("skipped")) == len(cases)
for c in cases:
    assert c.get("classname") == "layout" and float(c.get("time")) >= 0
    assert c.find("skipped").get("message") == "service 'nosuch' is not in the stack"
EOF
ok $? "--junit parses (xml.etree): one testsuite, a testcase per id, each skipped with its reason"
is "$(stat -c %a "$tmp/out.xml")" 644 "--junit FILE is 0644 (it holds no secret)"
grep -q 'id="check-S1"' "$tmp/out.html"; ok $? "--report: an element per check"
! grep -qiE '<script|<link|src=|url\(' "$tmp/out.html"; ok $? "--report: no script and no external asset"

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	skip "no chromium: the report is not rendered (tests/deps.sh test installs it)"
else
	HOME=$tmp timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/chromium" --dump-dom "file://$tmp/out.html" >"$tmp/dom.html" 2>"$tmp/chromium.log"
	crc=$?
	is "$crc" 0 "headless Chromium renders the report"
	missing=0
	for id in $ids; do
		grep -q "id=\"check-$id\"" "$tmp/dom.html" || missing=$((missing + 1))
	done
	ok $((missing != 0 || $(wc -c <"$tmp/dom.html") < 1000)) "every check id is in its DOM ($missing missing)"
	grep -q '<svg' "$tmp/dom.html"; is $? 1 "no metric: no chart"
fi

# ---- --fail-fast ---------------------------------------------------------------------------
# A state without secrets: a check using one fails (run ftboot up first).
cat >"$cl" <<'EOF'
checks:
  - {id: F1, title: "needs ${secret.ssh_password}", kind: layout, files: [setup.sh]}
  - {id: F2, title: the second, kind: layout, files: [setup.sh], needs: [nosuch]}
  - {id: F3, title: the third, kind: layout, files: [setup.sh], needs: [nosuch]}
EOF
FTBOOT_STATE_DIR=$tmp/empty run_ftboot_t -f "$stack" check --address 127.0.0.1 --fail-fast --jobs 1
is "$rc" 1 "--fail-fast: exit 1"
printf '%s\n' "$out" | grep -qF "  hint: secret 'ssh_password' is not generated yet: run ftboot up first"
ok $? "a secret the state lacks: a failure saying what to run"
printf '%s\n' "$out" | grep -A1 '^F3 skip' | grep -qF "reason: not run: --fail-fast stopped at F1"
ok $? "--fail-fast: the later checks are not run, saying why"
printf '%s\n' "$out" | grep -q '^0 passed, 1 failed, 0 skipped, 2 not run in '; ok $? "and the summary counts them"
[ ! -e "$tmp/empty" ]; ok $? "check creates no state"

# ---- the secrets in an http check's URLs and headers (the http kind) ---------------------
port=$($py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') # closed once printed: nothing listens there
{
	echo 'checks:'
	echo '  - id: H1'
	echo '    title: the secrets in URLs and headers'
	echo '    kind: http'
	echo '    requests:'
	for s in "${names[@]}"; do
		printf '      - url: "http://${lb_ip}:%s/%s/${secret.%s}?k=${secret.%s}"\n' "$port" "$s" "$s" "$s"
		printf '        headers: ["X-Token: ${secret.%s}"]\n' "$s"
		printf '        expect: {status: 200}\n'
	done
} >"$cl"
check --junit "$tmp/h.xml" --report "$tmp/h.html"
printf '%s\n%s\n' "$out" "$errout" >"$tmp/h.plain"
check --json
printf '%s\n' "$out" >"$tmp/h.json"
if printf '%s\n' "$errout" | grep -q "unknown key 'requests'"; then
	ok 1 "the http kind takes requests: (not on this branch: passes once check-http is merged)"
else
	is "$rc" 1 "an http check against a closed port: exit 1"
	grep -qF "127.0.0.1:$port" "$tmp/h.plain"; ok $? "its failure names the URL"
	grep -qF "127.0.0.1:$port/${names[0]}/<secret:${names[0]}>" "$tmp/h.plain"
	ok $? "with the secret that was in it shown as <secret:NAME>"
	leaks=0
	for s in "${names[@]}"; do
		v=$(cat "$secdir/$s" 2>/dev/null)
		[ -n "$v" ] || continue # counted above
		for f in "$tmp/h.plain" "$tmp/h.json" "$tmp/h.xml" "$tmp/h.html"; do
			[ -e "$f" ] && grep -qF -- "$v" "$f" && {
				echo "# secret $s is in $(basename "$f")"
				leaks=$((leaks + 1))
			}
		done
	done
	is "$leaks" 0 "no secret from a URL or header in any output"
fi

done_testing
