#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: the command table, help, version, exit statuses, and
# setup.sh's dependency messages, through the real binary.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
cd "$FTBOOT_TOP" || exit 1

run_ftboot --help
is "$rc" 0 "--help exits 0"
for c in up status check down reset render apply build ssh dashboard docker-env kubeconfig doctor help version; do
	printf '%s\n' "$out" | grep -qE "^  $c " ; ok $? "--help lists '$c'"
done

run_ftboot --version
is "$rc" 0 "--version exits 0"
printf '%s\n' "$out" | head -1 | grep -qE '^ftboot [0-9]+\.[0-9]+\.[0-9]+$'; ok $? "first line is ftboot's version"
for lib in libvirt libcurl libssh2 libyaml json-c zlib; do
	printf '%s\n' "$out" | grep -qE "^$lib [0-9]"; ok $? "--version names $lib"
done
run_ftboot version extra
is "$rc" 2 "version with an argument is a usage error"

run_ftboot help render
is "$rc" 0 "help render exits 0"
printf '%s\n' "$out" | head -1 | grep -qxF 'usage: ftboot render [--out DIR] [--show-secrets]'
ok $? "help render starts with its usage line"
run_ftboot help nosuch
is "$rc" 2 "help for an unknown command is a usage error"

# help CMD lists each option the command declares, with its help line.
while IFS='|' read -r c want; do
	run_ftboot help "$c"
	printf '%s\n' "$out" | grep -qxF -- "$want"; ok $? "help $c lists: $want"
done <<'EOS'
up|      --until STEP  stop after STEP
up|  -j, --jobs N      build N images at once (default: the engine's CPUs)
build|  -j, --jobs N  build N images at once, 1 to 64 (default: the engine's CPUs)
status|  --json  print the status as one JSON object
down|  --purge  also empty the download cache
render|  -o, --out DIR       write one file per template into DIR (0700, files 0600)
render|      --show-secrets  the real secrets (made on first use), not <secret:NAME>
check|      --junit FILE   also write the results to FILE as JUnit XML
reset|  --keep-data  keep the services' data
docker-env|  -u, --unset        print the lines that undo them
EOS
run_ftboot help render
[ "$(printf '%s\n' "$out" | grep -c -- '--show-secrets')" = 2 ]
ok $? "help render names --show-secrets in the synopsis and the list only"
run_ftboot help version
! printf '%s\n' "$out" | grep -q '^Options:'; ok $? "help version has no options list"
run_ftboot render --help
is "$rc" 0 "render --help exits 0"
printf '%s\n' "$out" | head -1 | grep -qxF 'usage: ftboot render [--out DIR] [--show-secrets]'
ok $? "render --help prints render's help"
run_ftboot -f "$tmp/nothing.yaml" check -h
is "$rc" 0 "check -h, before any stack is read"
printf '%s\n' "$out" | head -1 | grep -qF 'usage: ftboot check [--json] [--junit FILE] [--report FILE]'
ok $? "check -h starts with its usage line"

run_ftboot rendr
is "$rc" 2 "unknown command exits 2"
is "$errout" "ftboot: unknown command 'rendr'; did you mean 'render'?" "unknown command suggests the nearest"
run_ftboot
is "$rc" 2 "no command exits 2"
printf '%s\n' "$errout" | grep -q '^usage: ftboot'; ok $? "no command prints usage on stderr"
run_ftboot --bogus
is "$rc" 2 "unknown global option exits 2"
run_ftboot render --bogus
is "$rc" 2 "unknown command option exits 2"
is "$errout" "ftboot render: unknown option '--bogus'; usage: ftboot render [--out DIR] [--show-secrets]" "and says which"

# A usage error comes before anything else: no stack is read, nothing is made.
printf 'name: [broken\n' >"$tmp/broken.yaml"
for c in "render --bogus" "render extra" "up --bogus" "up extra" "up --until nothing" \
	"down --bogus" "down extra" "status --bogus" "status extra"; do
	# shellcheck disable=SC2086 # the command and its arguments
	run_ftboot -f "$tmp/broken.yaml" $c
	is "$rc" 2 "'$c' is a usage error before the stack is read"
	printf '%s\n' "$errout" | grep -q "^ftboot ${c%% *}: .*usage: ftboot ${c%% *}\|^ftboot up: no step"
	ok $? "'$c' says what is wrong and how to call it: $errout"
done
# `ssh` passes the remote command's exit status on, as ssh(1) does: its own
# failures, usage errors too, exit 255, never a status a command could return.
for c in "ssh --bogus" "ssh a b" "ssh a b -- true" "ssh --bogus -- true"; do
	# shellcheck disable=SC2086 # the command and its arguments
	run_ftboot -f "$tmp/broken.yaml" $c
	is "$rc" 255 "'$c' is a usage error before the stack is read, exit 255 as ssh(1)"
	printf '%s\n' "$errout" | grep -q "^ftboot ssh: .*usage: ftboot ssh "
	ok $? "'$c' says what is wrong and how to call it: $errout"
done
run_ftboot help ssh
printf '%s\n' "$out" | grep -q "255"; ok $? "help ssh says what its exit status is"
# With the project's valid stack, usage errors still create no state.
for c in "up --bogus" "up extra" "down --bogus" "render --show-secrets extra" "status extra"; do
	# shellcheck disable=SC2086 # the command and its arguments
	run_ftboot $c
	is "$rc" 2 "'$c' with a valid stack: usage error"
	[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "'$c' creates no state"
done
# The option named is the one at fault.
while IFS='|' read -r c want; do
	# shellcheck disable=SC2086 # the command and its arguments
	run_ftboot $c
	is "$errout" "$want" "'$c' names the option at fault"
done <<'EOS'
up -xy|ftboot up: unknown option '-x'; usage: ftboot up [--until STEP] [--jobs N]
up --until|ftboot up: option '--until' needs a value; usage: ftboot up [--until STEP] [--jobs N]
render -o|ftboot render: option '-o' needs a value; usage: ftboot render [--out DIR] [--show-secrets]
down --purge=3|ftboot down: option '--purge' takes no value; usage: ftboot down [--purge]
status --json --bogus=1|ftboot status: unknown option '--bogus'; usage: ftboot status [--json]
help a b|ftboot help: unexpected argument 'b'; usage: ftboot help [COMMAND]
version x|ftboot version: unexpected argument 'x'; usage: ftboot version
down --prge|ftboot down: unknown option '--prge' (did you mean '--purge'?); usage: ftboot down [--purge]
up --until=|ftboot up: option '--until' needs a value, not an empty one; usage: ftboot up [--until STEP] [--jobs N]
render --show-secrets -x|ftboot render: unknown option '-x'; usage: ftboot render [--out DIR] [--show-secrets]
render x --out|ftboot render: option '--out' needs a value; usage: ftboot render [--out DIR] [--show-secrets]
status --json=yes|ftboot status: option '--json' takes no value; usage: ftboot status [--json]
ssh a --bogus|ftboot ssh: unknown option '--bogus'; usage: ftboot ssh [SERVICE] [-- COMMAND [ARG...]]
help render --x|ftboot help: unknown option '--x'; usage: ftboot help [COMMAND]
check --junit|ftboot check: option '--junit' needs a value; usage: ftboot check [--json] [--junit FILE] [--report FILE] [--only IDS] [--destructive] [--all] [--fail-fast] [--address IP] [--jobs N] [--timeout S]
EOS
# A typed option is quoted in the message, never sent to the terminal raw.
run_ftboot render "--$(printf '\033')[2J"
is "$errout" "ftboot render: unknown option '--?[2J'; usage: ftboot render [--out DIR] [--show-secrets]" "an escape in an option is quoted"
# Options may follow the arguments; '--' ends them.
run_ftboot help render --help
is "$rc" 0 "an option after the argument is parsed"
run_ftboot help -- render
is "$rc" 0 "help -- render"
printf '%s\n' "$out" | head -1 | grep -qF 'usage: ftboot render'; ok $? "'--' ends the options"

for c in reset doctor; do
	run_ftboot "$c"
	is "$rc" 3 "'$c' answers not implemented yet (3)"
	is "$errout" "ftboot: '$c' is not implemented yet" "'$c' says so plainly"
done
# build is the build step alone: without a VM it stops before any context is packed.
run_ftboot build
is "$rc" 1 "'build' of this stack without a VM fails"
is "$errout" "ftboot: the VM of stack 'ft' is not up; run 'ftboot up' first" "'build' says what to run"
# apply renders (every build context is hashed), then asks for the cluster
# before it downloads the remote manifests.
run_ftboot apply
is "$rc" 1 "'apply' of this stack without a cluster fails"
is "$errout" "ftboot: the cluster of stack 'ft' is not set up yet (ftboot up --until provision)" "'apply' says what to run, before any download"
rm -rf "${FTBOOT_STATE_DIR:?}/ft"

run_ftboot dashboard --token
is "$rc" 1 "'dashboard' without a cluster fails"
is "$errout" "ftboot: the cluster of stack 'ft' is not set up yet (ftboot up --until provision)" "'dashboard' says what to run"
is "$out" "" "and prints no URL and no token"
[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "dashboard creates no state"

run_ftboot status
is "$rc" 0 "status without a VM"
printf '%s\n' "$out" | grep -q "^vm *not created"; ok $? "says the VM is not created"
printf '%s\n' "$out" | grep -qF "apply      not applied: the cluster of stack 'ft' is not set up yet (ftboot up --until provision)"
ok $? "says nothing is applied, the cluster not being set up"
[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "status creates no state"
run_ftboot status --json
/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
want_images = sys.argv[2].split()
b = d["build"]
assert d["stack"] == "ft" and d["vm"] is None, "stack, vm"
assert d["provision"] == {"engine": {"host": "tcp://192.168.61.10:2376", "in_vm": True, "tls": True, "set_up": False},
                          "cluster": {"in_vm": True, "set_up": False}}, d["provision"]
assert b["reachable"] is False and b["error"] == "there is no VM yet (ftboot up makes it and builds them)", b
assert [i["service"] for i in b["images"]] == want_images, b["images"]
for i in b["images"]:
    assert i["state"] == "unknown" and i["id"] is None, i
    assert i["tag"].startswith("ftboot/" + i["service"] + ":") and len(i["tag"].split(":")[1]) == 12, i
assert d["apply"] == {"answers": False, "error": "the cluster of stack '"'"'ft'"'"' is not set up yet (ftboot up --until provision)",
                      "pods": [], "services": [], "urls": []}, d["apply"]
assert d["resources"] == [], d["resources"]
' "$out" "nginx wordpress phpmyadmin mysql ftps grafana influxdb telegraf" 2>&1
ok $? "status --json without a VM: each step of the table"
run_ftboot kubeconfig
is "$rc" 1 "kubeconfig before provision fails"
is "$errout" "ftboot: the cluster of stack 'ft' is not set up yet (ftboot up --until provision)" "and says what to run"
[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "kubeconfig creates no state"
run_ftboot docker-env
is "$rc" 1 "docker-env without a VM fails"
is "$errout" "ftboot: the VM of stack 'ft' is not up; run 'ftboot up' first" "and says the VM is not up"
[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "docker-env creates no state"
run_ftboot ssh
is "$rc" 255 "ssh without a VM fails with ssh's own 255"
is "$errout" "ftboot: stack 'ft' has no VM yet; run 'ftboot up --until vm'" "and says what to run"
run_ftboot ssh -- sh -c 'exit 3'
is "$rc" 255 "ssh -- COMMAND without a VM: 255, not a status of the command"
run_ftboot ssh web
is "$rc" 255 "ssh SERVICE (not built yet) is a failure of ssh's own: 255"
printf '%s\n' "$errout" | grep -q "not implemented yet"; ok $? "and says it is not built yet"
run_ftboot up --until nothing
is "$rc" 2 "up --until with an unknown step is a usage error"
is "$errout" "ftboot up: no step 'nothing'; the steps are vm, provision, build, apply" "and lists the steps"
run_ftboot down
is "$rc" 0 "down without anything to remove"
[ ! -e "$FTBOOT_STATE_DIR/ft" ]; ok $? "and leaves no state"
mkdir -p "$tmp/cache/images" && echo x >"$tmp/cache/images/img"
FTBOOT_CACHE_DIR=$tmp/cache run_ftboot down
[ -e "$tmp/cache/images/img" ]; ok $? "down keeps the download cache"
FTBOOT_CACHE_DIR=$tmp/cache run_ftboot down --purge
is "$rc" 0 "down --purge"
[ ! -e "$tmp/cache" ]; ok $? "down --purge empties the download cache"
printf '%s\n' "$errout" | grep -q "download cache emptied"; ok $? "and says so"

# setup.sh names what is missing, with the package to install.
mkdir -p "$tmp/bin"
for t in bash dirname cat env; do ln -s "$(command -v "$t")" "$tmp/bin/$t"; done
msg=$(PATH="$tmp/bin" bash setup.sh 2>&1)
st=$?
is "$st" 1 "setup.sh without make fails"
is "$msg" "setup.sh: 'make' is missing; install it with: sudo apt-get install make" "setup.sh names the missing tool and its package"
msg=$(./setup.sh help render 2>&1)
ok $? "setup.sh ARGS runs ftboot ARGS"
printf '%s\n' "$msg" | grep -q 'usage: ftboot render'; ok $? "setup.sh help render prints render's help"

# make install honours PREFIX and DESTDIR.
make -s install PREFIX=/opt/ft DESTDIR="$tmp/root" >/dev/null 2>&1
[ -x "$tmp/root/opt/ft/bin/ftboot" ]; ok $? "make install PREFIX DESTDIR"

done_testing
