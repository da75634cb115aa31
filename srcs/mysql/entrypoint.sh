#!/bin/sh
# mysql: the container's PID 1 (R13, R14). At each start it makes the
# data directory hold the stack's database: the system tables are
# installed only when the directory has none (first start on an empty
# PVC); then a private mariadbd (no network, its own socket) applies the
# stack's database, users and passwords, idempotently, and stops. Then
# the real mariadbd runs in the foreground; when it ends, this script
# ends too, non-zero, and the kubelet restarts the container.
#
# The passwords are applied at every start, not only the first: root
# logs in through its unix socket (unix_socket authentication), so this
# needs no old password, and a data directory kept across a new Secret
# (the state lost, the PVC kept) follows the Secret instead of locking
# WordPress out. With an unchanged Secret the second start changes
# nothing (mysql_native_password hashes are unsalted).
#
# Environment (templates/mysql.yaml): MYSQL_PORT, MYSQL_ROOT_PASSWORD,
# DB_NAME, DB_USER, DB_PASSWORD. Passwords go to the client on standard
# input, quoted for SQL, never on a command line, never to the log, and
# are not passed on to the server. Programs and paths below default to
# Alpine's; tests/stack/mysql.sh substitutes Debian's and scratch paths.
set -eu
: "${MARIADBD:=mariadbd}" "${MARIADB:=mariadb}" "${MARIADB_ADMIN:=mariadb-admin}"
: "${MARIADB_INSTALL_DB:=mariadb-install-db}" "${MYSQL_CONF:=/etc/my.cnf}"
: "${MYSQL_DATADIR:=/var/lib/mysql}" "${MYSQL_RUN_DIR:=/run/mysqld}" "${MYSQLD_USER:=mysql}"

log() { echo "entrypoint: $*" >&2; }
die() {
	log "$*"
	exit 1
}
for v in MYSQL_PORT MYSQL_ROOT_PASSWORD DB_NAME DB_USER DB_PASSWORD; do
	eval "[ -n \"\${$v:-}\" ]" || die "$v is not set (templates/mysql.yaml sets it)"
done
case $MYSQL_PORT in '' | *[!0-9]*) die "MYSQL_PORT must be a port number, not '$MYSQL_PORT'" ;; esac
[ "$DB_USER" != root ] || die "DB_USER must not be root"

# SQL literals: a string in quotes (backslash and quote escaped; the
# session's sql_mode is emptied so that backslash escapes), a name in
# backquotes, a database name in a GRANT (where _ and % are wildcards).
sql_str() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
# shellcheck disable=SC2016 # backquotes are SQL's, not the shell's
sql_name() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }
# shellcheck disable=SC2016
sql_grant_db() { printf '`%s`' "$(printf '%s' "$1" | sed -e 's/`/``/g' -e 's/\\/\\\\/g' -e 's/[_%]/\\&/g')"; }

# The stack's accounts: root from this host only (its socket, or its
# password), DB_USER from anywhere with every privilege on DB_NAME and
# nothing else; no anonymous account (it would shadow DB_USER on
# localhost), no grant by host name (skip-name-resolve). A password is
# set only when its hash differs from the stored one, so that a start
# with unchanged Secrets writes nothing.
stack_sql() {
	user=$(sql_str "$DB_USER")
	cat <<-SQL
		SET SESSION sql_mode = '';
		DELETE FROM mysql.global_priv WHERE User = '';
		DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
		FLUSH PRIVILEGES;
		CREATE DATABASE IF NOT EXISTS $(sql_name "$DB_NAME") CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		SET @root_hash = PASSWORD($(sql_str "$MYSQL_ROOT_PASSWORD"));
		SET @user_hash = PASSWORD($(sql_str "$DB_PASSWORD"));
		CREATE USER IF NOT EXISTS $user@'%';
	SQL
	set_password "'root'" localhost @root_hash "unix_socket OR mysql_native_password"
	set_password "$user" % @user_hash mysql_native_password
	cat <<-SQL
		GRANT ALL PRIVILEGES ON $(sql_grant_db "$DB_NAME").* TO $user@'%';
	SQL
}

# set_password USER HOST HASH PLUGINS: an ALTER USER prepared only if
# the account's stored hash is not HASH (USER a literal, HASH a variable).
set_password() {
	cat <<-SQL
		SELECT IF(IFNULL(JSON_VALUE(Priv, '\$.authentication_string'), '') = $3, 'DO 0',
		    CONCAT('ALTER USER ', QUOTE($1), '@', QUOTE('$2'), ' IDENTIFIED VIA $4 USING ', QUOTE($3)))
		    INTO @q FROM mysql.global_priv WHERE User = $1 AND Host = '$2';
		PREPARE q FROM @q;
		EXECUTE q;
		DEALLOCATE PREPARE q;
	SQL
}

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

mkdir -p "$MYSQL_DATADIR" "$MYSQL_RUN_DIR"
# The PVC keeps the files across images: Alpine's mariadb package creates
# the mysql user with a system uid picked at install time, so a rebuilt
# image may have another one. Whatever MYSQLD_USER does not own is given
# to it (nothing on an unchanged image: a second start changes nothing).
if [ "$(id -u)" = 0 ]; then
	chown "$MYSQLD_USER" "$MYSQL_RUN_DIR"
	find "$MYSQL_DATADIR" ! -user "$MYSQLD_USER" -exec chown "$MYSQLD_USER" {} + ||
		die "cannot give $MYSQL_DATADIR to $MYSQLD_USER"
fi
server() { "$MARIADBD" --defaults-file="$MYSQL_CONF" --datadir="$MYSQL_DATADIR" --user="$MYSQLD_USER" "$@"; }
client() {
	prog=$1
	shift
	"$prog" --defaults-file="$MYSQL_CONF" --socket="$MYSQL_RUN_DIR/init.sock" --user=root "$@"
}

if [ -d "$MYSQL_DATADIR/mysql" ]; then
	log "found existing data in $MYSQL_DATADIR: keeping it"
else
	log "no data in $MYSQL_DATADIR: installing the system tables"
	"$MARIADB_INSTALL_DB" --defaults-file="$MYSQL_CONF" --datadir="$MYSQL_DATADIR" \
		--user="$MYSQLD_USER" --skip-test-db --auth-root-authentication-method=socket >/dev/null ||
		die "$MARIADB_INSTALL_DB failed"
fi

log "applying the database '$DB_NAME' and the users (private server, no network)"
server --skip-networking --socket="$MYSQL_RUN_DIR/init.sock" --pid-file="$MYSQL_RUN_DIR/init.pid" &
init_pid=$!
init_fail() {
	kill -TERM "$init_pid" 2>/dev/null || :
	wait "$init_pid" || :
	die "$@"
}
i=0
until client "$MARIADB_ADMIN" --silent ping >/dev/null 2>&1; do
	kill -0 "$init_pid" 2>/dev/null || init_fail "the private mariadbd exited before it answered"
	[ "$i" -lt 600 ] || init_fail "the private mariadbd did not answer on its socket within 60 s"
	sleep 0.1
	i=$((i + 1))
done
stack_sql | client "$MARIADB" --batch || init_fail "the stack's SQL failed on the private mariadbd"
client "$MARIADB_ADMIN" shutdown || init_fail "cannot stop the private mariadbd"
wait "$init_pid" || die "the private mariadbd did not stop cleanly"

unset MYSQL_ROOT_PASSWORD DB_PASSWORD
log "starting mariadbd on port $MYSQL_PORT"
run "$MARIADBD" --defaults-file="$MYSQL_CONF" --datadir="$MYSQL_DATADIR" --user="$MYSQLD_USER" \
	--port="$MYSQL_PORT" --socket="$MYSQL_RUN_DIR/mysqld.sock" --pid-file="$MYSQL_RUN_DIR/mysqld.pid"
wait
stop 1
