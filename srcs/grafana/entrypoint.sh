#!/bin/sh
# grafana (R12, E10, R14): Grafana on GRAFANA_PORT with the admin
# GRAFANA_ADMIN_USER / GRAFANA_ADMIN_PASSWORD, the InfluxDB data source
# (INFLUXDB_URL, INFLUXDB_DATABASE, INFLUXDB_USER, INFLUXDB_PASSWORD)
# and one dashboard per service, all provisioned from files. Each start
# writes the dashboards from the template (dashboards.sh: the same files
# every time). Then Grafana runs in the foreground; when it ends this
# PID 1 exits non-zero and the kubelet restarts the container.
set -eu
: "${GRAFANA:=grafana}" "${GRAFANA_HOME:=/usr/share/grafana}"
: "${GRAFANA_INI:=/etc/grafana/ft_services.ini}" "${GRAFANA_PROVISIONING:=/etc/grafana/provisioning}"
: "${GRAFANA_DATA:=/var/lib/grafana}" "${GRAFANA_DASHBOARDS_DIR:=$GRAFANA_DATA/dashboards}"
: "${GRAFANA_DASHBOARD_TEMPLATE:=/etc/grafana/dashboard.json}"
: "${GRAFANA_DASHBOARDS_SH:=/etc/grafana/dashboards.sh}"
: "${GRAFANA_SERVICES:=nginx wordpress phpmyadmin mysql ftps grafana influxdb telegraf}"

fail() {
	echo "entrypoint: $*" >&2
	exit 2
}
for v in GRAFANA_PORT GRAFANA_ADMIN_USER GRAFANA_ADMIN_PASSWORD LB_IP \
	INFLUXDB_URL INFLUXDB_DATABASE INFLUXDB_USER INFLUXDB_PASSWORD; do
	eval "[ -n \"\${$v:-}\" ]" || fail "$v is not set"
done
case $GRAFANA_PORT in *[!0-9]* | 0*) fail "GRAFANA_PORT='$GRAFANA_PORT' is not a port number" ;; esac
# grafana.ini and the provisioning files read these ($__env{...}, $VAR).
export GRAFANA_PORT GRAFANA_ADMIN_USER GRAFANA_ADMIN_PASSWORD LB_IP GRAFANA_DASHBOARDS_DIR \
	INFLUXDB_URL INFLUXDB_DATABASE INFLUXDB_USER INFLUXDB_PASSWORD
mkdir -p "$GRAFANA_DATA"
# dashboards.sh in a subshell of this shell (its arguments, its exit).
# shellcheck disable=SC2086 # one word per service
(
	set -- "$GRAFANA_DASHBOARD_TEMPLATE" "$GRAFANA_DASHBOARDS_DIR" $GRAFANA_SERVICES
	# shellcheck source=srcs/grafana/dashboards.sh
	. "$GRAFANA_DASHBOARDS_SH"
) || fail "cannot write the dashboards into $GRAFANA_DASHBOARDS_DIR"

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
trap 'stop 1' USR1     # grafana died: exit, the kubelet restarts us
trap 'stop 0' TERM INT # asked to stop
run "$GRAFANA" server --homepath "$GRAFANA_HOME" --config "$GRAFANA_INI" \
	"cfg:paths.data=$GRAFANA_DATA" "cfg:paths.logs=$GRAFANA_DATA/log" \
	"cfg:paths.plugins=$GRAFANA_DATA/plugins" "cfg:paths.provisioning=$GRAFANA_PROVISIONING"
wait
stop 1
