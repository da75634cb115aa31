#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The mysql service (R13, R14, E11 in small): srcs/mysql/entrypoint.sh
# under `setsid busybox sh`, with srcs/mysql/my.cnf as it is, runs
# Debian's MariaDB (/usr/sbin/mariadbd, mariadb-install-db, mariadb,
# mariadb-admin) as the mysql user. Substituted: the programs' paths,
# the data directory and the run directory (scratch), MYSQL_PORT (a free
# port; my.cnf's bind-address 0.0.0.0 is kept, so the server listens on
# every address of this machine for the test's length).
#
# First start: installs, root logs in with its password only from this
# host, DB_USER works in DB_NAME and nowhere else, passwords with '"$\,
# spaces and multi-byte characters, never on a command line, in a
# daemon's environment or in the log. Second start: the users and grants
# are the same, the marker row is there. kill -9 of mariadbd: the entry
# point exits non-zero, a new start finds the marker. TERM: exit 0 after
# a clean shutdown. A missing variable: a clear error, nothing started.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
for p in /usr/sbin/mariadbd /usr/bin/mariadb-install-db /usr/bin/mariadb /usr/bin/mariadb-admin \
	busybox setsid runuser pgrep; do
	command -v "$p" >/dev/null || skip_all "$p is missing (tests/deps.sh test installs mariadb-server, mariadb-client, busybox-static)"
done
[ "$(id -u)" = 0 ] || skip_all "mariadbd runs as the mysql user: the test must run as root"
id mysql >/dev/null 2>&1 || skip_all "no mysql user (Debian's mariadb-server creates it)"

ep_scratch # 0755: the mysql user reaches its data directory
ep_script=$FTBOOT_TOP/srcs/mysql/entrypoint.sh
ep_port=$(free_port)
port=$ep_port
root_pw="r00t'\"\$\\ pass é"
db_pw="wp'\"\$\\ pass ü€"
export MARIADBD=/usr/sbin/mariadbd MARIADB_INSTALL_DB=/usr/bin/mariadb-install-db \
	MARIADB=/usr/bin/mariadb MARIADB_ADMIN=/usr/bin/mariadb-admin \
	MYSQL_CONF=$FTBOOT_TOP/srcs/mysql/my.cnf MYSQL_DATADIR=$tmp/data MYSQL_RUN_DIR=$tmp/run \
	MYSQL_PORT=$port MYSQL_ROOT_PASSWORD=$root_pw DB_NAME=wordpress DB_USER=wordpress DB_PASSWORD=$db_pw
ep_log=$tmp/entrypoint.log
sock=$tmp/run/mysqld.sock

# As the OS root through the socket (unix_socket: no password).
as_root() { mariadb --no-defaults --socket="$sock" -uroot -N -B -e "$1"; }
# As DB_USER over TCP, the password from the environment.
as_user() { MYSQL_PWD=$db_pw mariadb --no-defaults -h127.0.0.1 -P"$port" -uwordpress -N -B -e "$1"; }
accounts() {
	as_root "SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host;
		SELECT Host, User FROM mysql.proxies_priv ORDER BY Host, User;
		SHOW GRANTS FOR 'wordpress'@'%'; SHOW GRANTS FOR 'root'@'localhost'"
}

# logged TEXT: TEXT is in the log after its first $mark lines.

# The template gives the entry point what it needs, passwords from the
# Secret; without any one of them, a clear error and nothing created.
ep_env_checks mysql MYSQL_DATADIR \
	"DB_NAME=wordpress DB_PASSWORD<secret wp-db-password DB_USER=wordpress MYSQL_PORT=3306 MYSQL_ROOT_PASSWORD<secret mysql-root-password"
out=$(MYSQL_PORT=33o6 MYSQL_DATADIR="$tmp/none" timeout 10 busybox sh "$ep_script" 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [[ $out == *"MYSQL_PORT must be a port number"* ]] && [ ! -e "$tmp/none" ]
ok $? "a bad MYSQL_PORT: exit $rc, '$out'"

# First start.
ep_up "first start"
ok $? "first start: mariadbd listens on $port"
ep_logged "no data in $tmp/data: installing the system tables" && ep_logged "socket: '$tmp/run/init.sock'  port: 0"
ok $? "first start: the log says it installs the system tables, then runs a private server (its socket, no port)"
listening 0.0.0.0 "$port"
ok $? "mariadbd listens on 0.0.0.0:$port (bind-address of my.cnf: the Service reaches it)"
got=$(MYSQL_PWD=$root_pw runuser -u nobody -- mariadb --no-defaults --socket="$sock" -uroot -N -B -e 'SELECT CURRENT_USER()' 2>&1)
is "$got" "root@localhost" "root logs in with its password through the socket (as another OS user: no unix_socket)"
got=$(MYSQL_PWD="${root_pw}x" runuser -u nobody -- mariadb --no-defaults --socket="$sock" -uroot -N -B -e 'SELECT 1' 2>&1)
[[ $got == *"Access denied"* ]]
ok $? "root with a wrong password is refused: $got"
got=$(MYSQL_PWD=$root_pw mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -N -B -e 'SELECT 1' 2>&1)
[[ $got == *"Access denied"* ]]
ok $? "root over TCP is refused (root only from localhost): $got"
as_root "CREATE DATABASE other"
ok $? "root (socket) creates a database 'other'"
got=$(as_user "CREATE TABLE wordpress.marker (v VARCHAR(16)); INSERT INTO wordpress.marker VALUES ('r13'); SELECT v FROM wordpress.marker" 2>&1)
is "$got" "r13" "DB_USER over TCP with its password creates a table in DB_NAME and writes a marker row"
got=$(as_user "CREATE TABLE other.t (i INT)" 2>&1 | tail -1)
[[ $got == *"denied"* ]]
ok $? "DB_USER cannot create a table in another database: $got"
got=$(as_user "CREATE DATABASE third" 2>&1 | tail -1)
[[ $got == *"denied"* ]]
ok $? "DB_USER cannot create a database: $got"
got=$(as_root "SELECT COUNT(*) FROM mysql.global_priv WHERE User = ''")
is "$got" 0 "no anonymous account"
! ep_secret_visible "$root_pw" "$db_pw"
ok $? "no password in a command line of the entry point's processes or in mariadbd's environment"
! grep -qF -e "$root_pw" -e "$db_pw" -e "pass é" -e "pass ü" "$ep_log"
ok $? "no password in the log"
accounts >"$tmp/accounts.1"
ok $? "the accounts and grants after the first start"

ep_mark
ep_term 30
is "$ep_rc" 0 "TERM: the entry point exits 0"
ep_logged "mariadbd: Shutdown complete"
ok $? "TERM: mariadbd's log says 'Shutdown complete'"
ep_gone 10
ok $? "TERM: nothing of the entry point is left"

# Second start: the data is found, nothing changes.
ep_mark
ep_up "second start"
ok $? "second start: mariadbd listens again"
ep_logged "found existing data in $tmp/data: keeping it"
ok $? "second start: the log says it found the existing data"
accounts >"$tmp/accounts.2"
diff "$tmp/accounts.1" "$tmp/accounts.2" >"$tmp/accounts.diff"
ok $? "second start: the accounts and grants are the same ($(wc -l <"$tmp/accounts.2") lines)"
[ -s "$tmp/accounts.diff" ] && sed 's/^/#   /' "$tmp/accounts.diff"
is "$(as_user 'SELECT v FROM wordpress.marker' 2>&1)" "r13" "second start: the marker row is there"

# kill -9 of the daemon: the entry point exits non-zero; the data survives.
ep_kill9 mariadbd /usr/sbin/mariadbd "Shutdown complete" -x mariadbd
ep_up "start after kill -9"
ok $? "after kill -9: mariadbd listens again"
is "$(as_user 'SELECT v FROM wordpress.marker' 2>&1)" "r13" "after kill -9 and a new start: the marker row is there (R13)"
ep_term 30
is "$ep_rc" 0 "TERM again: exit 0"
ep_gone 10
ok $? "TERM again: nothing of the entry point is left"

# A new Secret with the data kept: the start follows it (root needs no
# old password: it logs in through its socket).
new_pw="new ' pw"
DB_PASSWORD=$new_pw ep_up "start with a new DB_PASSWORD"
ok $? "a new DB_PASSWORD: mariadbd listens"
is "$(MYSQL_PWD=$new_pw mariadb --no-defaults -h127.0.0.1 -P"$port" -uwordpress -N -B -e 'SELECT v FROM wordpress.marker' 2>&1)" \
	"r13" "a new DB_PASSWORD: DB_USER logs in with it and reads the marker"
got=$(as_user 'SELECT 1' 2>&1)
[[ $got == *"Access denied"* ]]
ok $? "a new DB_PASSWORD: the old one is refused"
ep_term 30
is "$ep_rc" 0 "TERM: exit 0"
ep_gone 10
ok $? "TERM: nothing of the entry point is left (the last start)"
done_testing
