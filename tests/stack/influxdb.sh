#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The influxdb service (R12, R13, R14, E11 in small):
# srcs/influxdb/entrypoint.sh under `setsid busybox sh`, with
# srcs/influxdb/influxdb.conf as it is, runs Debian's InfluxDB 1.6
# (/usr/bin/influxd; /usr/bin/influx of influxdb-client for the
# initialisation). Substituted: the programs' paths, the data and run
# directories (scratch), INFLUXDB_PORT and INFLUXDB_RPC_ADDRESS (free
# ports; the HTTP address stays ":PORT", every address of this machine,
# for the test's length). The image has 1.8; influxdb.conf keeps to keys
# that 1.6 reads too.
#
# First start: the admin, the database and the Telegraf user exist;
# without a user every query is refused while /ping answers; the Telegraf
# user writes and reads its database and nothing else; passwords with
# '"$\, spaces and multi-byte characters, never on a command line, in
# influxd's environment or in the log. Second start: nothing created,
# users, grants and retention the same, the marker point there. kill -9
# of influxd: the entry point exits non-zero, a new start finds the
# point. TERM: exit 0 after a clean shutdown. A missing variable: a clear
# error, nothing started.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
for p in /usr/bin/influxd /usr/bin/influx busybox setsid curl pgrep /usr/bin/python3; do
	command -v "$p" >/dev/null || skip_all "$p is missing (tests/deps.sh test installs influxdb, influxdb-client, busybox-static, curl)"
done

ep_scratch
ep_script=$FTBOOT_TOP/srcs/influxdb/entrypoint.sh
ep_port=$(free_port)
port=$ep_port
rpc=$(free_port)
admin_pw="adm'\"\$\\ pass ß"
tg_pw="tg'\"\$\\ pass 日本"
export INFLUXD=/usr/bin/influxd INFLUX=/usr/bin/influx INFLUXDB_CONF=$FTBOOT_TOP/srcs/influxdb/influxdb.conf \
	INFLUXDB_DIR=$tmp/data INFLUXDB_RUN_DIR=$tmp/run INFLUXDB_PORT=$port INFLUXDB_RPC_ADDRESS=127.0.0.1:$rpc \
	INFLUXDB_ADMIN_USER=admin INFLUXDB_ADMIN_PASSWORD=$admin_pw INFLUXDB_DATABASE=telegraf \
	TELEGRAF_USER=telegraf TELEGRAF_PASSWORD=$tg_pw
ep_log=$tmp/entrypoint.log
url=http://127.0.0.1:$port

# curl's credentials in a config file (never on the command line):
# a quoted value, backslash and double quote escaped.
curlrc() {
	local v=$2
	v=${v//\\/\\\\}
	v=${v//\"/\\\"}
	printf 'user = "%s:%s"\n' "$1" "$v" >"$tmp/$1.curlrc"
}
curlrc admin "$admin_pw"
curlrc telegraf "$tg_pw"
curlrc telegraf-wrong "${tg_pw}x"
# q AS QUERY [DB]: the /query answer's JSON ("none": no user).
q() {
	local auth=(-K "$tmp/$1.curlrc")
	[ "$1" = none ] && auth=()
	curl -sS "${auth[@]}" "$url/query" --data-urlencode "q=$2" ${3:+--data-urlencode "db=$3"}
}
# json EXPR < ANSWER: a Python expression on the answer `a`.
json() { /usr/bin/python3 -c "import json, sys; a = json.load(sys.stdin); print($1)"; }
err() { json 'a.get("error") or [r.get("error") for r in a.get("results", [])]'; }
rows() { json '[v for r in a["results"] for s in r.get("series", []) for v in s["values"]]'; }
state() {
	q admin "SHOW USERS" | rows
	q admin "SHOW GRANTS FOR telegraf" | rows
	q admin "SHOW RETENTION POLICIES ON telegraf" | rows
	q admin "SHOW DATABASES" | rows
}

# The template gives the entry point what it needs, passwords from the
# Secret; without any one of them, a clear error and nothing created.
ep_env_checks influxdb INFLUXDB_DIR \
	"INFLUXDB_ADMIN_PASSWORD<secret influxdb-admin-password INFLUXDB_ADMIN_USER=admin INFLUXDB_DATABASE=telegraf INFLUXDB_PORT=8086 TELEGRAF_PASSWORD<secret telegraf-password TELEGRAF_USER=telegraf"
ep_up "first start"
ok $? "first start: influxd listens on $port"
ep_logged "no data in $tmp/data: creating the admin" &&
	[[ $(grep -m1 'Listening on HTTP' "$ep_log") == *"addr=127.0.0.1:"* ]] && ep_logged "Listening on unix socket"
ok $? "first start: the log says it creates the admin, the database and the user on a private influxd (loopback, a socket)"
is "$(curl -s -o /dev/null -w '%{http_code}' "$url/ping")" 204 "/ping answers 204 without a user (the probes)"
got=$(q none "SHOW DATABASES" | err)
[[ $got == *"unable to parse authentication credentials"* ]]
ok $? "a query without a user is refused: $got"
got=$(q telegraf-wrong "SHOW DATABASES" | err)
[[ $got == *"authorization failed"* ]]
ok $? "a wrong password is refused: $got"
is "$(q admin "SHOW USERS" | rows)" "[['admin', True], ['telegraf', False]]" "the admin and the Telegraf user (not admin) exist"
is "$(q admin "SHOW GRANTS FOR telegraf" | rows)" "[['telegraf', 'ALL PRIVILEGES']]" "the Telegraf user has ALL on its database"
is "$(q admin "SHOW RETENTION POLICIES ON telegraf" | json 'a["results"][0]["series"][0]["values"][0][:2]')" \
	"['autogen', '168h0m0s']" "the database keeps 7 days (the 1Gi volume)"
is "$(curl -sS -K "$tmp/telegraf.curlrc" -o /dev/null -w '%{http_code}' "$url/write?db=telegraf" \
	--data-binary 'marker,test=r13 value=13')" 204 "the Telegraf user writes a marker point in its database"
is "$(q telegraf "SELECT value FROM marker WHERE test = 'r13'" telegraf | json 'a["results"][0]["series"][0]["values"][0][1]')" \
	13 "the Telegraf user reads it back"
got=$(q telegraf "CREATE DATABASE other" | err)
[[ $got == *"requires admin privilege"* ]]
ok $? "the Telegraf user cannot create a database: $got"
q admin "CREATE DATABASE other" >/dev/null
got=$(q telegraf "SELECT * FROM m" other | err)
[[ $got == *"not authorized"* ]]
ok $? "the Telegraf user cannot read another database: $got"
q admin "DROP DATABASE other" >/dev/null
! ep_secret_visible "$admin_pw" "$tg_pw"
ok $? "no password in a command line of the entry point's processes or in influxd's environment"
! grep -qF -e "$admin_pw" -e "$tg_pw" -e "pass ß" -e "pass 日本" "$ep_log"
ok $? "no password in the log"
state >"$tmp/state.1"
ok $? "users, grants, retention and databases after the first start"

ep_mark
ep_term 30
is "$ep_rc" 0 "TERM: the entry point exits 0"
ep_logged "Server shutdown completed"
ok $? "TERM: influxd's log says 'Server shutdown completed'"
ep_gone 10
ok $? "TERM: nothing of the entry point is left"

ep_mark
ep_up "second start"
ok $? "second start: influxd listens again"
ep_logged "found existing data in $tmp/data (initialised): creating nothing" && ! ep_logged "CREATE"
ok $? "second start: the log says it found the existing data"
state >"$tmp/state.2"
diff "$tmp/state.1" "$tmp/state.2" >"$tmp/state.diff"
ok $? "second start: users, grants, retention and databases are the same"
[ -s "$tmp/state.diff" ] && sed 's/^/#   /' "$tmp/state.diff"
is "$(q telegraf "SELECT value FROM marker" telegraf | json 'a["results"][0]["series"][0]["values"][0][1]')" \
	13 "second start: the marker point is there"

ep_kill9 influxd /usr/bin/influxd "Server shutdown completed" -x influxd
ep_up "start after kill -9"
ok $? "after kill -9: influxd listens again"
is "$(q telegraf "SELECT value FROM marker" telegraf | json 'a["results"][0]["series"][0]["values"][0][1]')" \
	13 "after kill -9 and a new start: the marker point is there (R13)"
ep_term 30
is "$ep_rc" 0 "TERM again: exit 0"
ep_gone 10
ok $? "TERM again: nothing of the entry point is left"

# An initialisation cut short (the data there, no marker): finished, the
# admin's password used, nothing else changed.
rm "$tmp/data/.ftboot-initialised"
ep_mark
ep_up "start without the marker"
ok $? "without the marker: influxd listens"
ep_logged "finishing an interrupted initialisation" && ep_logged "the admin exists already"
ok $? "without the marker: the log says it finishes an interrupted initialisation"
state >"$tmp/state.3"
diff "$tmp/state.1" "$tmp/state.3" >"$tmp/state.diff"
ok $? "without the marker: users, grants, retention and databases are the same"
[ -f "$tmp/data/.ftboot-initialised" ]
ok $? "without the marker: the marker is written again"
ep_term 30
is "$ep_rc" 0 "TERM: exit 0"
ep_gone 10
ok $? "TERM: nothing of the entry point is left (the last start)"

# The same with an admin password that is not the admin's: nothing can
# be done without it; a clear error, the private influxd stopped.
rm "$tmp/data/.ftboot-initialised"
ep_mark
ep_start "$ep_log" "$ep_script" INFLUXDB_ADMIN_PASSWORD=other
ep_exit 30
[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] && ep_logged "cannot create the database and the user as 'admin'" &&
	ep_logged "Server shutdown completed" && [ ! -f "$tmp/data/.ftboot-initialised" ]
ok $? "another admin password on unfinished data: exit $ep_rc, a clear error, the private influxd stopped, no marker"
done_testing
