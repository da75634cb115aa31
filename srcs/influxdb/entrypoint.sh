#!/bin/sh
# influxdb: the container's PID 1 (R13, R14). At the first start on an
# empty volume a private influxd (HTTP on an unused loopback port and a
# unix socket in a root-only directory, so that nobody else can create
# the first admin) creates the admin user, the database and the Telegraf
# user, then stops; a marker in the data directory records that it is
# done. Later starts find the marker and create nothing: the users exist
# and, with authentication on, only the admin's password could change
# them. Then the real influxd runs in the foreground; when it ends, this
# script ends too, non-zero, and the kubelet restarts the container.
#
# Environment (templates/influxdb.yaml): INFLUXDB_PORT,
# INFLUXDB_ADMIN_USER, INFLUXDB_ADMIN_PASSWORD, INFLUXDB_DATABASE,
# TELEGRAF_USER, TELEGRAF_PASSWORD. Passwords reach the influx client on
# standard input and in its environment, never on a command line, never
# in the log, and are not passed on to the server. Programs and paths
# below default to Alpine's; tests/stack/influxdb.sh substitutes
# Debian's, scratch paths and ports.
set -eu
: "${INFLUXD:=influxd}" "${INFLUX:=influx}" "${INFLUXDB_CONF:=/etc/influxdb.conf}"
: "${INFLUXDB_DIR:=/var/lib/influxdb}" "${INFLUXDB_RUN_DIR:=/run/influxdb}"
: "${INFLUXDB_RPC_ADDRESS:=127.0.0.1:8088}" "${INFLUXDB_RETENTION:=7d}"

log() { echo "entrypoint: $*" >&2; }
die() {
	log "$*"
	exit 1
}
for v in INFLUXDB_PORT INFLUXDB_ADMIN_USER INFLUXDB_ADMIN_PASSWORD INFLUXDB_DATABASE \
	TELEGRAF_USER TELEGRAF_PASSWORD; do
	eval "[ -n \"\${$v:-}\" ]" || die "$v is not set (templates/influxdb.yaml sets it)"
done
case $INFLUXDB_PORT in '' | *[!0-9]*) die "INFLUXDB_PORT must be a port number, not '$INFLUXDB_PORT'" ;; esac
[ "$TELEGRAF_USER" != "$INFLUXDB_ADMIN_USER" ] || die "TELEGRAF_USER must differ from INFLUXDB_ADMIN_USER"

# InfluxQL literals: a string in single quotes, a name in double quotes
# (backslash and the quote escaped; a newline cannot be written).
iql_str() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
iql_name() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

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
		log "$1 exited"
		kill -USR1 $$
	) &
}
stop() {
	trap '' TERM INT USR1
	kill -TERM 0 2>/dev/null || :
	wait
	exit "$1"
}
trap 'stop 1' USR1     # a daemon died: exit, the kubelet restarts us
trap 'stop 0' TERM INT # asked to stop

export INFLUXDB_META_DIR="$INFLUXDB_DIR/meta" INFLUXDB_DATA_DIR="$INFLUXDB_DIR/data" \
	INFLUXDB_DATA_WAL_DIR="$INFLUXDB_DIR/wal" INFLUXDB_BIND_ADDRESS="$INFLUXDB_RPC_ADDRESS"
marker=$INFLUXDB_DIR/.ftboot-initialised
mkdir -p "$INFLUXDB_DIR"
mkdir -p "$INFLUXDB_RUN_DIR"
chmod 700 "$INFLUXDB_RUN_DIR"
sock=$INFLUXDB_RUN_DIR/init.sock

# query [USER PASSWORD]: run standard input's InfluxQL on the private
# influxd, as USER if given.
query() {
	if [ $# -eq 2 ]; then
		INFLUX_USERNAME=$1 INFLUX_PASSWORD=$2 "$INFLUX" -socket "$sock" >/dev/null
	else
		"$INFLUX" -socket "$sock" >/dev/null
	fi
}

if [ -f "$marker" ]; then
	log "found existing data in $INFLUXDB_DIR (initialised): creating nothing"
else
	if [ -e "$INFLUXDB_DIR/meta/meta.db" ]; then
		log "data in $INFLUXDB_DIR but no $marker: finishing an interrupted initialisation"
	else
		log "no data in $INFLUXDB_DIR: creating the admin, the database '$INFLUXDB_DATABASE' and the user '$TELEGRAF_USER'"
	fi
	rm -f "$sock"
	INFLUXDB_HTTP_BIND_ADDRESS=127.0.0.1:0 INFLUXDB_HTTP_UNIX_SOCKET_ENABLED=true \
		INFLUXDB_HTTP_BIND_SOCKET="$sock" "$INFLUXD" -config "$INFLUXDB_CONF" &
	init_pid=$!
	init_fail() {
		kill -TERM "$init_pid" 2>/dev/null || :
		wait "$init_pid" || :
		die "$@"
	}
	i=0
	until [ -S "$sock" ]; do
		kill -0 "$init_pid" 2>/dev/null || init_fail "the private influxd exited before it listened"
		[ "$i" -lt 600 ] || init_fail "the private influxd did not listen on $sock within 60 s"
		sleep 0.1
		i=$((i + 1))
	done
	admin=$(iql_name "$INFLUXDB_ADMIN_USER")
	user=$(iql_name "$TELEGRAF_USER")
	db=$(iql_name "$INFLUXDB_DATABASE")
	# Allowed without a user only while there is none.
	echo "CREATE USER $admin WITH PASSWORD $(iql_str "$INFLUXDB_ADMIN_PASSWORD") WITH ALL PRIVILEGES" |
		query 2>/dev/null || log "the admin exists already (an earlier start created it)"
	echo "CREATE DATABASE $db WITH DURATION $INFLUXDB_RETENTION;" \
		"CREATE USER $user WITH PASSWORD $(iql_str "$TELEGRAF_PASSWORD");" \
		"GRANT ALL ON $db TO $user" | query "$INFLUXDB_ADMIN_USER" "$INFLUXDB_ADMIN_PASSWORD" ||
		init_fail "cannot create the database and the user as '$INFLUXDB_ADMIN_USER' on the private influxd"
	: >"$marker"
	kill -TERM "$init_pid"
	wait "$init_pid" || die "the private influxd did not stop cleanly"
fi

unset INFLUXDB_ADMIN_PASSWORD TELEGRAF_PASSWORD
log "starting influxd on port $INFLUXDB_PORT"
export INFLUXDB_HTTP_BIND_ADDRESS=":$INFLUXDB_PORT"
run "$INFLUXD" -config "$INFLUXDB_CONF"
wait
stop 1
