#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `down` reaches libvirt only for the journal's libvirt
# resources. With libvirt unreachable (the stack's URI and
# LIBVIRT_DEFAULT_URI name a socket that does not exist), a journal of
# files alone, in today's and in the older format, is torn down all the
# same; one with a libvirt resource removes the rest, names what is left
# and why, and keeps the state; an unknown kind is reported, not fatal.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
sock=$tmp/no-libvirtd/libvirt-sock
export LIBVIRT_DEFAULT_URI="qemu+unix:///system?socket=$sock"
mkdir -p "$tmp/proj/srcs"
cat >"$tmp/proj/srcs/stack.yaml" <<YAML
name: nolv
vm: {uri: 'qemu+unix:///system?socket=$sock'}
services: {a: {}}
YAML
state=$FTBOOT_STATE_DIR/nolv
cd "$tmp/proj" || exit 1

# journal LINE...: a fresh state dir whose journal holds the lines.
journal() {
	rm -rf "$state"
	mkdir -p "$state" && chmod 700 "$FTBOOT_STATE_DIR" "$state"
	printf '%s\n' "$@" >"$state/journal"
}

tab=$'\t'
echo a >"$tmp/f1" && echo b >"$tmp/f2"
journal "+${tab}file${tab}$tmp/f1${tab}" "+${tab}file${tab}$tmp/f2${tab}" "+${tab}file${tab}$tmp/gone${tab}"
run_ftboot down
is "$rc" 0 "down of a journal of files with libvirt unreachable: $(tail -n 1 <<<"$errout")"
[ ! -e "$tmp/f1" ] && [ ! -e "$tmp/f2" ]; ok $? "the files are removed"
[ ! -e "$state" ]; ok $? "and the state"
printf '%s\n' "$errout" | grep -q "removed stack 'nolv'"; ok $? "and says so"

echo a >"$tmp/f1"
journal "+${tab}network${tab}ftboot-nolv${tab}192.168.61.0" "+${tab}file${tab}$tmp/f1${tab}" \
	"+${tab}from-the-future${tab}thing${tab}x=1"
run_ftboot down
is "$rc" 1 "down with a libvirt resource and libvirt unreachable fails"
[ ! -e "$tmp/f1" ]; ok $? "but removes the file"
printf '%s\n' "$errout" | grep -q "^ftboot: 2 of 3 resources were not removed"; ok $? "counts what is left"
printf '%s\n' "$errout" | grep -q "^  network 'ftboot-nolv': cannot open libvirt: "; ok $? "names the network and why"
printf '%s\n' "$errout" | grep -q "^  from-the-future 'thing': unknown kind of resource"; ok $? "names the unknown kind"
[ -d "$state" ]; ok $? "the state is kept"
n=$(grep -c '^-' "$state/journal")
is "$n" 1 "the journal records the file's removal only"

run_ftboot status
is "$rc" 1 "status with libvirt unreachable fails"
printf '%s\n' "$errout" | grep -q "libvirt"; ok $? "and says it is libvirt: $errout"
done_testing
