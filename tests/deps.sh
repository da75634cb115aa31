#!/usr/bin/env bash
# Install what ftboot needs, from Debian's packages (Debian 12).
#
#   tests/deps.sh build   libraries and tools to build ftboot
#   tests/deps.sh test    ... and what the tests, fuzzers and benches use
#
# Installs only what is missing; uses sudo when not root. Prints the
# apt-get command instead when it cannot install (no root, no sudo).
set -eu
profile=${1:-test}

build_pkgs=(gcc make pkg-config libvirt-dev libxml2-dev libyaml-dev libcurl4-openssl-dev libssl-dev
	libssh2-1-dev zlib1g-dev libjson-c-dev)
# Every program a test, a test server or ftboot itself runs comes from one of
# these, named here even when another package pulls it in today: a fresh
# machine (make test-fresh) has nothing else. libvirt only recommends
# dnsmasq-base, yet a NAT network cannot start without it.
test_pkgs=(clang libclang-rt-14-dev clang-format cppcheck shellcheck time git
	python3 python3-yaml genisoimage xorriso openssh-client openssh-server nginx-light
	libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils debootstrap virtinst
	dnsmasq-base iproute2 iptables e2fsprogs util-linux procps
	docker.io busybox-static libarchive-tools tar gzip openssl curl
	mariadb-server mariadb-client php8.2-fpm php8.2-cli php8.2-mysql wordpress phpmyadmin
	influxdb influxdb-client vsftpd lftp chromium)
# The stack tier (tests/stack/) runs the stack's own configuration under
# these daemons; the tests start them themselves, on loopback. Installing
# must not start the system's copies (mariadb on 3306, vsftpd on 21, ...):
# policy-rc.d says no to every start while apt-get runs, as in Debian's
# container images; phpmyadmin is told not to set up a database of its own.
# `ftboot check`'s tests open its HTML report in headless chromium; its
# bench compares with a shell script of curl, lftp, ssh and mysql.

case $profile in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: tests/deps.sh build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# The kube bench compares with kubectl: the machine's if it has one (a
# kubectl package owns /usr/bin/kubectl and would conflict), else Debian's.
if [ "$profile" = test ] && ! command -v kubectl >/dev/null 2>&1 &&
	! dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q 'install ok installed'; then
	missing+=(kubernetes-client)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: as root, run: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tests/deps.sh: no daemon starts while it installs\nexit 101\n' |
		"${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 0755 "$policy"
	trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
printf '%s\n' 'phpmyadmin phpmyadmin/dbconfig-install boolean false' \
	'phpmyadmin phpmyadmin/reconfigure-webserver multiselect' |
	"${sudo[@]}" debconf-set-selections 2>/dev/null || true
# An old or empty package list finds nothing: refresh it once.
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
