# shellcheck shell=bash
# tests/stack/_mariadb.sh: a private MariaDB for the stack tier's tests
# (sourced after tests/lib.sh and _lib.sh), as the mysql service would
# serve it: its own data directory and socket under DIR, TCP on a free
# port of 127.0.0.1, no option file read (--no-defaults).
#
#   mariadb_missing        print the first MariaDB program missing (status 1 if none)
#   mariadb_start DIR      install and start it; sets db_port, db_sock, db_pid
#                          (status 1, with its log, if it does not answer in 60 s)
#   mariadb_sql ARGS...    the mariadb client as root on the socket
#   mariadb_wordpress USER PASSWORD DB   the WordPress database and its user
#   mariadb_stop           stop it (and wait)
db_pid=
db_args=(--no-defaults --skip-name-resolve --innodb-buffer-pool-size=16M
	--innodb-log-file-size=8M --key-buffer-size=1M --performance-schema=OFF
	--max-connections=20 --table-open-cache=64)

mariadb_missing() {
	local p
	for p in mariadb-install-db mariadbd mariadb; do
		command -v "$p" >/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

mariadb_start() {
	local dir=$1 t0=$EPOCHREALTIME i=0
	mkdir -p "$dir/data"
	db_sock=$dir/mysqld.sock
	if ! mariadb-install-db "${db_args[@]}" --datadir="$dir/data" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
		sed 's/^/# /' "$dir/install.log" | tail -20
		return 1
	fi
	db_port=$(free_port)
	setsid mariadbd "${db_args[@]}" --datadir="$dir/data" --socket="$db_sock" \
		--port="$db_port" --bind-address=127.0.0.1 --skip-networking=0 \
		--user="$(id -un)" --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.log" \
		2>>"$dir/mysqld.log" &
	db_pid=$!
	while ! mariadb_sql -e 'SELECT 1' >/dev/null 2>&1; do
		if [ "$i" -ge 600 ] || ! kill -0 "$db_pid" 2>/dev/null; then
			echo "# MariaDB did not answer on $db_sock within 60 s:"
			sed 's/^/# /' "$dir/mysqld.log" | tail -20
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# MariaDB installed and started in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

mariadb_sql() {
	mariadb --no-defaults --default-character-set=utf8mb4 -S "$db_sock" -uroot "$@"
}

# SQL's quoting of a string: ' and \ escaped.
sql_quote() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\\\'}"
}

# As the mysql service creates them: the database, its user from anywhere.
mariadb_wordpress() {
	mariadb_sql <<EOF
CREATE DATABASE \`$3\` CHARACTER SET utf8mb4;
CREATE USER $(sql_quote "$1")@'%' IDENTIFIED BY $(sql_quote "$2");
GRANT ALL PRIVILEGES ON \`$3\`.* TO $(sql_quote "$1")@'%';
EOF
}

mariadb_stop() {
	[ -n "$db_pid" ] || return 0
	kill -TERM "$db_pid" 2>/dev/null
	wait "$db_pid" 2>/dev/null
	db_pid=
}
