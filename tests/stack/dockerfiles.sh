#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The stack's Dockerfiles (R3, E2): every FROM is the one pinned Alpine of
# images/alpine/versions.yaml or an image of the stack (ftboot/SERVICE),
# no ADD fetches a URL, no ARG or ENV carries a secret, and every service
# of srcs/stack.yaml has its build context.
. "$(dirname "$0")/../lib.sh"
py=/usr/bin/python3
cd "$FTBOOT_TOP" || exit 1
"$py" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is missing (tests/deps.sh test installs it)"

pin=$("$py" -c 'import yaml; print(yaml.safe_load(open("images/alpine/versions.yaml"))["container"])')
release=$("$py" -c 'import yaml; print(yaml.safe_load(open("images/alpine/versions.yaml"))["release"])')
ok $? "images/alpine/versions.yaml names the release and the container image"
"$py" - images/alpine/versions.yaml <<'PY'
import sys, yaml
pk = yaml.safe_load(open(sys.argv[1]))["packages"]
bad = [n for n, p in pk.items() if not (isinstance(p, dict) and str(p.get("version") or "").strip() and str(p.get("source") or "").strip())]
sys.exit("no version or source for: " + ", ".join(bad) if bad else 0)
PY
ok $? "every package in versions.yaml has a version (or why it is unknown) and a source"
[[ $pin =~ ^alpine:${release//./\\.}\.[0-9]+@sha256:[0-9a-f]{64}$ ]]
ok $? "the container pin is alpine:$release.N with its digest: $pin"
grep -q "/v$release/" images/alpine/image.yaml
ok $? "the VM's cloud image is of Alpine $release too"

mapfile -t services < <("$py" -c 'import yaml; print("\n".join(yaml.safe_load(open("srcs/stack.yaml"))["services"]))')
[ "${#services[@]}" -ge 8 ]
ok $? "srcs/stack.yaml names the stack's services: ${services[*]}"
for s in "${services[@]}"; do
	df=srcs/$s/Dockerfile
	[ -f "$df" ]
	ok $? "$s: $df exists"
	[ -f "$df" ] || continue
	# Logical lines: continuations joined, comments dropped.
	froms=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$df" | grep -iE '^[[:space:]]*FROM[[:space:]]' |
		awk '{for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; break }}')
	bad=
	for f in $froms; do
		case $f in
		"$pin") ;;
		ftboot/*) [[ " ${services[*]} " == *" ${f#ftboot/} "* ]] || bad+=" $f" ;;
		*) bad+=" $f" ;;
		esac
	done
	[ -n "$froms" ] && [ -z "$bad" ]
	ok $? "$s: every FROM is $pin or an image of the stack${bad:+ (not:$bad)}"
	! grep -qiE '^[[:space:]]*ADD[[:space:]].*(https?|ftp)://' "$df"
	ok $? "$s: no ADD of a URL"
	! grep -qiE '^[[:space:]]*(ARG|ENV)[[:space:]]+[A-Za-z_]*(PASSWORD|PASSWD|SECRET|TOKEN|KEY)' "$df"
	ok $? "$s: no ARG or ENV names a password, secret, token or key"
done
done_testing
