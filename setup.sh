#!/usr/bin/env bash
# setup.sh: build ftboot if needed, then bring the stack up.
#
#   ./setup.sh            same as: ftboot up
#   ./setup.sh ARGS...    same as: ftboot ARGS...   (./setup.sh down, ./setup.sh check)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

need() { # command package
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "setup.sh: '$1' is missing; install it with: sudo apt-get install $2" >&2
		exit 1
	fi
}
need make make
need cc gcc
need pkg-config pkg-config

# Name each missing library with the package that brings it.
missing=()
for pair in libvirt:libvirt-dev yaml-0.1:libyaml-dev libcurl:libcurl4-openssl-dev \
	libssh2:libssh2-1-dev zlib:zlib1g-dev json-c:libjson-c-dev libcrypto:libssl-dev; do
	pkg-config --exists "${pair%%:*}" || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup.sh: missing libraries; install them with:" >&2
	echo "  sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

# make knows whether anything changed; a quiet no-op when nothing did.
# Always the plain build, whatever make variables we were started with.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s SANITIZE= ftboot >&2; then
	echo "setup.sh: the build failed (see above)" >&2
	exit 1
fi

if [ $# -eq 0 ]; then
	set -- up
fi
exec ./ftboot "$@"
