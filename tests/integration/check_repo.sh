#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check` E1 (the layout kind) and E2 (the
# dockerfiles kind) through the real binary on a copy of the repository
# (srcs/, templates/, setup.sh) with the repository's own E1 and E2
# entries as its checklist. They read files only: no peer. Checked: the
# copy passes; setup.sh missing, not executable or a FIFO fails E1 naming
# it; a port-forward in srcs/x/entrypoint.sh fails E1 with its file, line
# and column (in characters); a symbolic link out of srcs/ and a FIFO in
# it are not followed or waited on; a Dockerfile FROM debian, FROM
# nginx:alpine (a ready-made service image), FROM an ARG naming debian or
# an unpinned alpine fails E2 naming the file, line and base; a
# multi-stage Dockerfile on a local stage and on another service's image,
# with a BOM, CRLF line ends, a parser directive and an ARG, passes; a
# FIFO named Dockerfile under srcs/ fails E2 at once, and as a service's
# Dockerfile stops the command at once naming it; bad keys of the layout,
# dockerfiles and kube kinds are refused where they are written.
# timeout(1) turns a hang into exit 124, which fails the test.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
proj=$tmp/proj

# A fresh copy, its checklist the repository's E1 and E2 entries as written.
copy() {
	rm -rf "$proj"
	mkdir -p "$proj"
	cp -R "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$proj/"
	{
		echo 'checks:'
		awk '/^  - id: E1$/ { p = 1 } /^  - id: / && !/^  - id: E[12]$/ { p = 0 } p' \
			"$FTBOOT_TOP/srcs/checks.yaml"
	} >"$proj/srcs/checks.yaml"
}
# chk: ftboot check in the copy, bounded; sets out, errout, rc.
chk() {
	local here=$PWD
	cd "$proj" || exit 1
	timeout 20 "$FTBOOT" check >"$tmp/o" 2>"$tmp/e"
	rc=$?
	out=$(cat "$tmp/o") errout=$(cat "$tmp/e")
	cd "$here" || exit 1
}
# The lines of check's plain output for id: its status line, expected, seen, hint.
result() { awk -v id="$1" '$1 == id { p = 1; print; next } /^[A-Z0-9.]+ (pass|fail|skip) / { p = 0 } p' <<<"$out"; }
like() { grep -q -- "$2" <<<"$1"; ok $? "$3"; }
seen() { grep '^  seen: ' <<<"$1"; }

copy
grep -q '^  - id: E2$' "$proj/srcs/checks.yaml" && ! grep -q 'port-forward' "$proj/srcs/checks.yaml"
ok $? "the copy's checklist holds E1 and E2, and not the text E1 forbids"
chk
is "$rc" 0 "the repository's copy passes E1 and E2: $(tail -c 400 <<<"$out$errout")"
like "$(result E1)" '^E1 pass' "E1 passes"
like "$(result E2)" '^E2 pass' "E2 passes"

rm "$proj/setup.sh"
chk
r=$(result E1)
is "$rc" 1 "setup.sh missing: check fails"
like "$r" '^E1 fail' "setup.sh missing: E1 fails"
like "$r" '^  seen: setup.sh: missing$' "... naming it: $(seen "$r")"

copy
chmod -x "$proj/setup.sh"
chk
like "$(result E1)" '^  seen: setup.sh: mode 644, not executable$' "setup.sh not executable: E1 fails: $(seen "$(result E1)")"

rm "$proj/setup.sh"
mkfifo "$proj/setup.sh"
chk
r=$(result E1)
is "$rc" 1 "setup.sh a FIFO: exit 1, not a hang (124)"
like "$r" '^  seen: setup.sh: a FIFO$' "... naming it: $(seen "$r")"

copy
mkdir -p "$proj/srcs/x"
printf '#!/bin/sh\n# the entry point\n\té kubectl port-forward svc/nginx 8443:443\n' >"$proj/srcs/x/entrypoint.sh"
chk
r=$(result E1)
like "$r" '^E1 fail' "port-forward in srcs/x/entrypoint.sh: E1 fails"
like "$r" "^  seen: srcs/x/entrypoint.sh:3:12: ?é kubectl port-forward\$" \
	"... naming file, line and column in characters: $(seen "$r")"
like "$r" "^  expected: no 'port-forward' in setup.sh, srcs\$" "... saying what it looked for"
printf '%s kubectl port-forward x\n' "$(printf 'x%.0s' {1..100})" >"$proj/srcs/x/entrypoint.sh"
chk
like "$(result E1)" "^  seen: srcs/x/entrypoint.sh:1:110: \.\.\.x* kubectl port-forward\$" \
	"a hit after 100 characters: its column, and the line's end shown: $(seen "$(result E1)")"
# Read 64 KiB at a time: a hit across two reads is still one.
{
	printf 'one\n'
	head -c 65526 /dev/zero | tr '\0' y
	printf ' port-forward\n'
} >"$proj/srcs/x/entrypoint.sh"
chk
like "$(result E1)" "^  seen: srcs/x/entrypoint.sh:2:65528: \.\.\.y* port-forward\$" \
	"a hit across the 64 KiB reads: found, line 2, column 65528: $(seen "$(result E1)")"
echo 'kubectl port-forward svc/grafana 3000' >>"$proj/setup.sh"
chk
r=$(result E1)
like "$r" "^  seen: setup.sh:[0-9]*:9: kubectl port-forward (and more: see the evidence)\$" "... in setup.sh too: setup.sh first, the rest in the evidence: $(seen "$r")"

copy
echo 'kubectl port-forward x' >"$tmp/outside.txt"
mkdir -p "$proj/srcs/x" # no service's build context: the build would refuse the links
ln -s "$tmp/outside.txt" "$proj/srcs/x/link.txt"
ln -s /dev/zero "$proj/srcs/x/zero"
mkfifo "$proj/srcs/x/fifo"
chk
is "$rc" 0 "a symlink out of srcs/ (to a port-forward), one to /dev/zero and a FIFO in srcs/: not followed, not waited on: pass: $(seen "$(result E1)")"

# A Dockerfile's first FROM: LINE, BASE.
dockerfile() { printf '# the image\nFROM %s\nRUN true\n' "$2" >"$proj/srcs/$1/Dockerfile"; }
copy
dockerfile nginx debian:12
chk
r=$(result E2)
is "$rc" 1 "FROM debian: check fails"
like "$r" '^E2 fail' "FROM debian: E2 fails"
like "$r" "^  seen: srcs/nginx/Dockerfile:2:6: FROM debian:12: not alpine or a local image" "... naming file, line and base: $(seen "$r")"
like "$(result E1)" '^E1 pass' "... E1 still passes"

copy
dockerfile wordpress nginx:alpine
chk
like "$(result E2)" "^  seen: srcs/wordpress/Dockerfile:2:6: FROM nginx:alpine: not alpine" "FROM nginx:alpine (a pulled service image): E2 fails: $(seen "$(result E2)")"

copy
dockerfile mysql alpine
chk
like "$(result E2)" "^  seen: srcs/mysql/Dockerfile:2:6: FROM alpine: not pinned" "FROM alpine (unpinned): E2 fails: $(seen "$(result E2)")"

copy
# shellcheck disable=SC2016 # the Dockerfile's own $BASE
printf 'ARG BASE=debian:12\nFROM $BASE AS one\n' >"$proj/srcs/ftps/Dockerfile"
chk
like "$(result E2)" "^  seen: srcs/ftps/Dockerfile:2:6: FROM debian:12: not alpine" "FROM \$BASE, an ARG naming debian: E2 fails naming what it is: $(seen "$(result E2)")"

copy
# shellcheck disable=SC2016 # the Dockerfile's own ${V}
printf '\xef\xbb\xbf# syntax=docker/dockerfile:1\r\n# the image\r\nARG V=3.20\r\nFROM docker.io/library/alpine:${V} AS build\r\nRUN true\r\nfrom build\r\nFROM ftboot/nginx\r\nCOPY --from=build / /\r\n' \
	>"$proj/srcs/telegraf/Dockerfile"
chk
is "$rc" 0 "a BOM, CRLF, a directive, an ARG, docker.io/library/alpine, a local stage and another service's image: pass: $(seen "$(result E2)")"
(cd "$proj" && timeout 20 "$FTBOOT" check --json) >"$tmp/j"
like "$(cat "$tmp/j")" 'srcs/telegraf/Dockerfile:4:6: FROM docker.io/library/alpine:3.20' "... the evidence names the first FROM with the ARG substituted"
like "$(cat "$tmp/j")" 'srcs/telegraf/Dockerfile:7:6: FROM ftboot/nginx' "... and the service image"

copy
mkdir -p "$proj/srcs/extra"
mkfifo "$proj/srcs/extra/Dockerfile"
chk
r=$(result E2)
is "$rc" 1 "a FIFO named Dockerfile under srcs/: exit 1, not a hang (124)"
like "$r" '^  seen: srcs/extra/Dockerfile: a FIFO, not a regular file$' "... E2 names it: $(seen "$r")"
rm "$proj/srcs/extra/Dockerfile"
printf 'FROM centos:7\n' >"$proj/srcs/extra/Dockerfile"
chk
like "$(result E2)" '^  seen: srcs/extra/Dockerfile:1:6: FROM centos:7' "a Dockerfile under srcs/ of no service: read too: $(seen "$(result E2)")"

copy
rm "$proj/srcs/nginx/Dockerfile"
mkfifo "$proj/srcs/nginx/Dockerfile"
chk
is "$rc" 1 "nginx's Dockerfile a FIFO: exit 1, not a hang (124)"
like "$errout" "srcs/nginx/Dockerfile.*a FIFO, not a regular file" "... naming it (the stack's images are planned before the checks run): $errout"

# The kinds' keys, validated with positioned errors before anything runs.
# badlist KEYS...: a checklist of one check with these lines; sets out, errout, rc.
badlist() {
	copy
	{
		echo 'checks:'
		echo '  - id: E1'
		echo '    title: t'
		printf '    %s\n' "$@"
	} >"$proj/srcs/checks.yaml"
	chk
}
badlist 'kind: layout' 'files: [/etc/passwd]'
is "$errout" "ftboot: srcs/checks.yaml:5:13: checks[0].files[0]: a path relative to the repository (the parent of srcs/), without '..', like srcs/nginx" \
	"layout: an absolute path is refused where it is written"
badlist 'kind: layout' 'forbid: {in: [srcs]}'
like "$errout" "^ftboot: srcs/checks.yaml:5:13: checks\[0\].forbid: a forbid rule needs text:" "layout: a forbid rule without text is refused"
badlist 'kind: layout'
like "$errout" "^ftboot: srcs/checks.yaml:2:5: checks\[0\]: a layout check needs files:" "layout: a check with none of its keys is refused"
badlist 'kind: dockerfiles' 'allow: [alpine:3.20]'
like "$errout" "^ftboot: srcs/checks.yaml:5:13: checks\[0\].allow\[0\]: a repository without a tag" "dockerfiles: allow names repositories"
badlist 'kind: kube' 'expect: name'
like "$errout" "^ftboot: srcs/checks.yaml:5:13: checks\[0\].expect: expected names or services, got 'name'" "kube: expect is names or services"
badlist 'kind: kube'
like "$errout" "^ftboot: srcs/checks.yaml:2:5: checks\[0\]: a kube check needs expect:" "kube: expect is needed"

done_testing
