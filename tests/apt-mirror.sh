#!/usr/bin/env bash
# tests/apt-mirror.sh: print the Debian mirror this machine's apt uses, for
# debootstrap (the VM tier's test guest, the fresh-root check), so a machine
# behind a local mirror or proxy builds from the same place as its apt.
#
#   tests/apt-mirror.sh [SUITE]     SUITE defaults to bookworm
#
# FTBOOT_TEST_MIRROR, when set, wins. Otherwise the first source of type
# "deb" that serves SUITE itself (not SUITE-security or SUITE-updates):
# deb822 files (/etc/apt/sources.list.d/*.sources, their URIs: and
# Suites: fields) first, then one-line sources (/etc/apt/sources.list and
# /etc/apt/sources.list.d/*.list). A mirror reached through apt's proxy
# setting (Acquire::http::Proxy) is printed as it is; debootstrap honours
# http_proxy, which the caller sets. Exit status 1, with the files read on
# stderr, when no source serves SUITE.
set -eu
suite=${1:-bookworm}
if [ -n "${FTBOOT_TEST_MIRROR:-}" ]; then
	echo "$FTBOOT_TEST_MIRROR"
	exit 0
fi
etc=${FTBOOT_APT_ETC:-/etc/apt} # tests point this at a fixture

# deb822: paragraphs of "Field: value"; a paragraph may list several URIs
# and suites. "Enabled: no" turns one off.
from_deb822() {
	awk -v want="$suite" '
	function flush() {
		if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
			n = split(suites, s, " ")
			for (i = 1; i <= n; i++)
				if (s[i] == want) { split(uris, u, " "); print u[1]; found = 1; exit }
		}
		types = ""; uris = ""; suites = ""; enabled = ""
	}
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	{
		line = $0
		key = tolower(substr(line, 1, index(line, ":") - 1))
		val = substr(line, index(line, ":") + 1)
		gsub(/^[ \t]+|[ \t]+$/, "", val)
		if (key == "types") types = val
		else if (key == "uris") uris = val
		else if (key == "suites") suites = val
		else if (key == "enabled") enabled = tolower(val)
	}
	END { if (!found) flush() }
	' "$@"
}

# One-line form: deb [options] URI SUITE COMPONENT...
from_list() {
	awk -v want="$suite" '
	/^[ \t]*deb[ \t]/ {
		i = 2
		if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
		if ($(i + 1) == want) { print $i; exit }
	}' "$@"
}

shopt -s nullglob
deb822=("$etc"/sources.list.d/*.sources)
lists=()
[ -f "$etc/sources.list" ] && lists+=("$etc/sources.list")
lists+=("$etc"/sources.list.d/*.list)

m=
[ ${#deb822[@]} -gt 0 ] && m=$(from_deb822 "${deb822[@]}" | head -n 1)
[ -z "$m" ] && [ ${#lists[@]} -gt 0 ] && m=$(from_list "${lists[@]}" | head -n 1)
if [ -z "$m" ]; then
	echo "apt-mirror: no apt source serves '$suite' (read: ${deb822[*]} ${lists[*]}); set FTBOOT_TEST_MIRROR" >&2
	exit 1
fi
echo "${m%/}"
