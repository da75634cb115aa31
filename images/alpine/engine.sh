#!/bin/sh
# The Alpine profile's engine setup script (engine.setup in image.yaml),
# run as root by ftboot's provision step (engine.h). Alpine's docker
# package (docker-openrc): /etc/init.d/docker runs dockerd with
# command_args="${DOCKER_OPTS}" from /etc/conf.d/docker, and logs to
# /var/log/docker.log. With any -H given dockerd listens on those alone,
# so the unix socket is named too.
#
#   engine.sh install ADDRESS DIR   install DIR/{ca,cert,key}.pem (the
#                                   server's) under /etc/ftboot/engine,
#                                   make dockerd listen on its socket and
#                                   on ADDRESS:2376 with --tlsverify,
#                                   restart it
#   engine.sh status                the service's status and its last log
#                                   lines (what ftboot shows on a timeout)
set -eu
conf=/etc/ftboot/engine

die() {
	echo "engine.sh: $*" >&2
	exit 1
}

install_certs() { # DIR: the three files into $conf, the key 0600
	[ -d "$1" ] || die "no directory '$1'"
	for f in ca.pem cert.pem key.pem; do
		[ -f "$1/$f" ] || die "'$1/$f' is missing"
	done
	umask 077
	mkdir -p "$conf"
	chmod 0700 "$conf"
	for f in ca.pem cert.pem key.pem; do
		cp "$1/$f" "$conf/$f.new"
		chmod 0600 "$conf/$f.new"
		mv -f "$conf/$f.new" "$conf/$f"
	done
	# This script beside them: ftboot's digest of what is installed covers it.
	cp "$0" "$conf/setup.sh.new"
	chmod 0700 "$conf/setup.sh.new"
	mv -f "$conf/setup.sh.new" "$conf/setup.sh"
}

case ${1:-} in
install)
	[ $# -eq 3 ] || die "usage: engine.sh install ADDRESS DIR"
	addr=$2
	case $addr in
	'' | *[!0-9.]*) die "'$addr' is not an IPv4 address" ;;
	esac
	command -v dockerd >/dev/null || die "dockerd is not installed (the profile's user-data installs the docker package)"
	install_certs "$3"
	cat >/etc/conf.d/docker.new <<EOS
# Written by ftboot (engine.sh): dockerd on its unix socket and on
# $addr:2376 with mutual TLS.
DOCKER_OPTS="-H unix:///var/run/docker.sock -H tcp://$addr:2376 --tlsverify --tlscacert=$conf/ca.pem --tlscert=$conf/cert.pem --tlskey=$conf/key.pem"
EOS
	mv -f /etc/conf.d/docker.new /etc/conf.d/docker
	rc-update add docker default >/dev/null
	rc-service docker restart
	;;
status)
	rc-service docker status 2>&1 || true
	tail -n 10 /var/log/docker.log 2>&1 || true
	;;
*)
	die "usage: engine.sh install ADDRESS DIR | status"
	;;
esac
