#!/usr/bin/env bash
# tests/servers/grafana.sh: the Grafana TEST DOUBLE (tests/servers/grafana.py,
# Debian's /usr/bin/python3, standard library only) started the way the
# stack starts Grafana: by srcs/grafana/entrypoint.sh itself (its checks of
# the environment, its dashboards step: dashboards.sh writes one dashboard
# per service from dashboard.json), with the double as its GRAFANA and the
# stack's grafana.ini and provisioning files, on a free loopback port.
#
#   tests/servers/grafana.sh start DIR [SRCS_GRAFANA]   prints the port
#   tests/servers/grafana.sh stop DIR
#   tests/servers/grafana.sh ctl DIR METHOD PATH [JSON]
#
# Or source it: grafana_start DIR [SRCS_GRAFANA] (sets $grafana_port),
# grafana_stop DIR, grafana_ctl DIR METHOD PATH [JSON] (the double's control
# API: POST /control {"healthy","points","drop"}, GET /log).
# SRCS_GRAFANA: the srcs/grafana to use (default: the repository's). The
# caller exports GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD (as the
# stack's Deployment sets them); GRAFANA_SERVICES (the dashboards' services)
# and the INFLUXDB_* values default to the entry point's and placeholders.
# DIR holds data/ (Grafana's paths.data: port, control.sock), dashboards/,
# entrypoint.log, pid. Exit status 1 with a reason on stderr if it cannot
# start.

# shellcheck source=tests/servers/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

grafana_here() {
	cd "$(dirname "${BASH_SOURCE[0]}")" && pwd
}

# grafana_start DIR [SRCS_GRAFANA]: start the entry point with the double, set grafana_port.
grafana_start() {
	local dir=$1 src=${2:-} here pid port try i

	here=$(grafana_here) || return 1
	[ -n "$src" ] || src=$here/../../srcs/grafana
	if [ ! -x /usr/bin/python3 ]; then
		echo "grafana.sh: needs /usr/bin/python3" >&2
		return 1
	fi
	if ! command -v setsid >/dev/null 2>&1; then
		echo "grafana.sh: needs setsid (util-linux)" >&2
		return 1
	fi
	if [ -z "${GRAFANA_ADMIN_USER:-}" ] || [ -z "${GRAFANA_ADMIN_PASSWORD:-}" ]; then
		echo "grafana.sh: export GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD first" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) && src=$(cd "$src" && pwd) || return 1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		rm -f "$dir/data/port"
		# setsid: the entry point's stop() signals its whole process group.
		GRAFANA=$here/grafana.py GRAFANA_HOME=$dir GRAFANA_INI=$src/grafana.ini \
			GRAFANA_PROVISIONING=$src/provisioning GRAFANA_DATA=$dir/data \
			GRAFANA_DASHBOARDS_DIR=$dir/dashboards \
			GRAFANA_DASHBOARD_TEMPLATE=$src/dashboard.json \
			GRAFANA_DASHBOARDS_SH=$src/dashboards.sh GRAFANA_PORT=$port \
			LB_IP=${LB_IP:-127.0.0.1} \
			INFLUXDB_URL=${INFLUXDB_URL:-http://influxdb:8086} \
			INFLUXDB_DATABASE=${INFLUXDB_DATABASE:-telegraf} \
			INFLUXDB_USER=${INFLUXDB_USER:-telegraf} \
			INFLUXDB_PASSWORD=${INFLUXDB_PASSWORD:-not-a-secret} \
			setsid /bin/sh "$src/entrypoint.sh" </dev/null >>"$dir/entrypoint.log" 2>&1 &
		pid=$!
		# Bounded: 10 s for the dashboards step and the listening socket.
		for ((i = 0; i < 100; i++)); do
			[ -s "$dir/data/port" ] && [ -S "$dir/data/control.sock" ] && break
			proc_alive "$pid" || break
			sleep 0.1
		done
		if [ -s "$dir/data/port" ] && proc_alive "$pid"; then
			echo "$pid" >"$dir/pid"
			grafana_port=$port
			export grafana_port
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		grep -q 'Address already in use' "$dir/entrypoint.log" || break
		: "$try"
	done
	echo "grafana.sh: the entry point with the Grafana double did not start:" >&2
	tail -n 5 "$dir/entrypoint.log" >&2
	return 1
}

# grafana_stop DIR: TERM the entry point (it stops the double), wait (bounded: 10 s).
grafana_stop() {
	local dir=$1 pid i

	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		proc_alive "$pid" || break
		sleep 0.1
	done
	if proc_alive "$pid"; then
		echo "grafana.sh: entry point ($pid) still running after 10 s: SIGKILL its group" >&2
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	rm -f "$dir/pid"
}

# grafana_ctl DIR METHOD PATH [JSON]: a control request; prints the answer.
grafana_ctl() {
	local dir=$1 method=$2 path=$3 data=${4:-}
	local args=(-sS --max-time 10 --fail-with-body --unix-socket "$dir/data/control.sock" -X "$method")

	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	/usr/bin/curl "${args[@]}" "http://localhost$path"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start)
		[ $# -ge 2 ] || { echo "usage: grafana.sh start DIR [SRCS_GRAFANA]" >&2; exit 2; }
		shift
		grafana_start "$@" || exit 1
		echo "$grafana_port"
		;;
	stop) [ $# -eq 2 ] || { echo "usage: grafana.sh stop DIR" >&2; exit 2; }; grafana_stop "$2" ;;
	ctl)
		[ $# -ge 4 ] || { echo "usage: grafana.sh ctl DIR METHOD PATH [JSON]" >&2; exit 2; }
		shift
		grafana_ctl "$@"
		;;
	*) echo "usage: grafana.sh start|stop|ctl DIR ..." >&2; exit 2 ;;
	esac
fi
