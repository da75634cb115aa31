#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: a stack file, template or build context file that is not a
# regular file (a
# FIFO, a directory, /dev/zero through a symlink) is refused at once with
# the file's name; nothing waits on it. timeout(1) turns a hang into exit
# 124, which fails the test.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
basic="$FTBOOT_TOP/tests/fixtures/render/basic"

# render in project dir $1 with ftboot's arguments after it; sets rc and err.
render_in() {
	local dir=$1
	shift
	err=$(cd "$dir" && timeout 20 "$FTBOOT" "$@" render 2>&1 >/dev/null)
	rc=$?
}

mkdir -p "$tmp/p"
cp -R "$basic/srcs" "$basic/templates" "$tmp/p/"

mkfifo "$tmp/p/fifo"
render_in "$tmp/p" -f fifo
is "$rc" 1 "-f FIFO: exit 1, not a hang (124)"
is "$err" "ftboot: cannot read 'fifo': it is a FIFO, not a regular file; name a file" \
	"-f FIFO: names the file"

ln -s /dev/zero "$tmp/p/zero.yaml"
render_in "$tmp/p" -f zero.yaml
is "$rc" 1 "-f symlink to /dev/zero: exit 1"
is "$err" "ftboot: cannot read 'zero.yaml': it is a character device, not a regular file; name a file" \
	"-f symlink to /dev/zero: names the file"

mkfifo "$tmp/p/templates/30-x.yaml"
render_in "$tmp/p"
is "$rc" 1 "a FIFO template: exit 1, not a hang (124)"
is "$err" "ftboot: cannot read 'templates/30-x.yaml': it is a FIFO, not a regular file; name a file" \
	"a FIFO template: names the template"
rm "$tmp/p/templates/30-x.yaml"
mkdir "$tmp/p/templates/30-x.yaml"
render_in "$tmp/p"
is "$rc" 1 "a directory named like a template: exit 1"
is "$err" "ftboot: cannot read 'templates/30-x.yaml': it is a directory, not a regular file; name a file" \
	"a directory named like a template: names it"

rmdir "$tmp/p/templates/30-x.yaml"

# Build contexts: a Dockerfile or .dockerignore that is a FIFO or a
# directory, a context that is a FIFO.
rm "$tmp/p/srcs/db/Dockerfile"
mkfifo "$tmp/p/srcs/db/Dockerfile"
render_in "$tmp/p"
is "$rc" 1 "a FIFO Dockerfile: exit 1, not a hang (124)"
is "$err" "ftboot: service 'db': cannot read 'srcs/db/Dockerfile': it is a FIFO, not a regular file; name a file" \
	"a FIFO Dockerfile: names the service and the file"
rm "$tmp/p/srcs/db/Dockerfile"
mkdir "$tmp/p/srcs/db/Dockerfile"
render_in "$tmp/p"
is "$err" "ftboot: service 'db': cannot read 'srcs/db/Dockerfile': it is a directory, not a regular file; name a file" \
	"a directory Dockerfile: names it"
rmdir "$tmp/p/srcs/db/Dockerfile"
printf 'FROM scratch\n' >"$tmp/p/srcs/db/Dockerfile"
mkfifo "$tmp/p/srcs/db/.dockerignore"
render_in "$tmp/p"
is "$rc" 1 "a FIFO .dockerignore: exit 1, not a hang (124)"
is "$err" "ftboot: service 'db': cannot read 'srcs/db/.dockerignore': it is a FIFO, not a regular file; name a file" \
	"a FIFO .dockerignore: names it"
rm -r "$tmp/p/srcs/db"
mkfifo "$tmp/p/srcs/db"
render_in "$tmp/p"
is "$rc" 1 "a FIFO build context: exit 1, not a hang (124)"
is "$err" "ftboot: service 'db': build context 'srcs/db' is a FIFO, not a directory; make it the directory that holds the service's Dockerfile" \
	"a FIFO build context: names it"

mkdir -p "$tmp/d/srcs/stack.yaml"
render_in "$tmp/d"
is "$rc" 1 "a directory srcs/stack.yaml: exit 1"
is "$err" "ftboot: cannot read 'srcs/stack.yaml': it is a directory, not a regular file; name a file" \
	"a directory srcs/stack.yaml: names it"
[ ! -e "$FTBOOT_STATE_DIR" ]; ok $? "no state left behind"
done_testing
