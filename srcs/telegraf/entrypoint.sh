#!/bin/sh
# telegraf (R12, R14): the agent that feeds InfluxDB with every
# container's metrics (srcs/telegraf/telegraf.conf). It runs in the
# foreground; when it ends this PID 1 exits non-zero and the kubelet
# restarts the container. Nothing is generated: no state of its own.
set -eu
: "${TELEGRAF:=telegraf}" "${TELEGRAF_CONF:=/etc/telegraf/telegraf.conf}"
: "${POD_NAMESPACE:=default}" # kube_inventory's namespace (the downward API sets it)

fail() {
	echo "entrypoint: $*" >&2
	exit 2
}
# Telegraf substitutes ${VAR} into the configuration's text before it
# parses the TOML: each value goes out escaped for a basic string
# ('\' and '"'), and control characters, which no basic string may hold
# raw, are refused.
toml_export() {
	for v; do
		eval "val=\${$v:-}"
		[ -n "$val" ] || fail "$v is not set"
		case $val in *[[:cntrl:]]*) fail "$v holds a control character" ;; esac
		val=$(printf '%s\n' "$val" | sed 's/[\\"]/\\&/g')
		eval "$v=\$val"
		export "${v?}"
	done
}
val=
toml_export INFLUXDB_URL INFLUXDB_DATABASE TELEGRAF_USER TELEGRAF_PASSWORD POD_NAMESPACE

# Each daemon runs in a child of its own subshell, which waits for it, then
# tells PID 1 (USR1). stop()'s group kill reaches the daemon itself; a
# daemon the subshell starts just after that kill did not get it, so the
# subshell, which did (its trap notes it), passes it on: stop()'s wait
# cannot outlive a daemon that never heard it.
run() {
	(
		stopping=''
		trap 'stopping=1' TERM INT
		"$@" &
		pid=$!
		[ -z "$stopping" ] || kill -TERM "$pid" 2>/dev/null || :
		while kill -0 "$pid" 2>/dev/null; do wait "$pid" || :; done
		echo "entrypoint: $1 exited" >&2
		kill -USR1 $$
	) &
}
stop() {
	trap '' TERM INT USR1
	kill -TERM 0 2>/dev/null || :
	wait
	exit "$1"
}
trap 'stop 1' USR1     # telegraf died: exit, the kubelet restarts us
trap 'stop 0' TERM INT # asked to stop
run "$TELEGRAF" --config "$TELEGRAF_CONF"
wait
stop 1
