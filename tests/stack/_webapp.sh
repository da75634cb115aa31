# shellcheck shell=bash disable=SC2154 # tmp: tests/lib.sh's scratch
# tests/stack/_webapp.sh: run a service's real entry point under
# busybox sh, in its own session (its process group is its pid), for the
# stack tier's tests (sourced after tests/lib.sh).
#
#   ep_setup FILE PROGRAM...   skip the test unless FILE, PROGRAM..., busybox,
#                              setsid, pgrep, curl, MariaDB (_mariadb.sh, if
#                              sourced) and the user www-data are here; then
#                              a scratch directory (0755: the daemons' users
#                              read it) cleaned at exit with what runs
#   ep_start LOG ENTRYPOINT [VAR=VALUE...]   start it; sets ep_pid
#   ep_ready URL SECONDS       until URL answers 200 (status 1 if the entry
#                              point ended or SECONDS passed, saying which)
#   ep_exit SECONDS            until it ends; sets ep_rc (status 1, ep_rc
#                              'running', if it still runs after SECONDS)
#   ep_snap                    note the process groups of the entry point and
#                              of everything it started (php-fpm makes its own)
#   ep_gone SECONDS            until nothing is left of the groups ep_snap noted
#   ep_stop WHAT               TERM: asserts exit 0 within 10 s, nothing left
#   ep_kill_all                kill what is left of every group noted
#   ep_bad_env START VAR=VALUE...   for each: START LOG VAR=VALUE (a function
#                              that calls ep_start) fails at once, naming VAR
#   ep_supervision START URL   R14's checks: with START LOG (a function
#                              that calls ep_start), for nginx and php-fpm:
#                              kill its master, the entry point exits non-zero
#                              and leaves nothing; then TERM: exit 0, nothing left
ep_pid=
ep_groups=()

ep_setup() {
	local file=$1 p missing
	shift
	for p in busybox setsid pgrep curl "$@"; do
		command -v "$p" >/dev/null || skip_all "$p is missing (tests/deps.sh test installs it)"
	done
	if declare -F mariadb_missing >/dev/null && missing=$(mariadb_missing); then
		skip_all "$missing is missing (tests/deps.sh test installs mariadb-server)"
	fi
	[ -e "$file" ] || skip_all "$file is missing (tests/deps.sh test installs its package)"
	id www-data >/dev/null 2>&1 || skip_all "no user www-data"
	scratch
	chmod 755 "$tmp"
	trap ep_cleanup EXIT
}

# shellcheck disable=SC2317 # called by the trap
ep_cleanup() {
	ep_kill_all
	! declare -F mariadb_stop >/dev/null || mariadb_stop
	rm -rf "$tmp"
}

ep_start() {
	local log=$1 entrypoint=$2
	shift 2
	env "$@" setsid busybox sh "$entrypoint" >"$log" 2>&1 &
	ep_pid=$!
	ep_groups+=("$ep_pid")
}

# The entry point (or PID) runs, and is not a zombie waiting for us.
ep_running() {
	local stat
	stat=$(cat "/proc/${1:-$ep_pid}/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

ep_ready() {
	local url=$1 secs=$2 i=0
	while [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" != 200 ]; do
		if ! ep_running; then
			echo "# the entry point ended before $url answered"
			return 1
		fi
		if [ "$i" -ge $((secs * 10)) ]; then
			echo "# $url did not answer 200 within $secs s"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

ep_exit() {
	local secs=$1 i=0
	while ep_running; do
		if [ "$i" -ge $((secs * 10)) ]; then
			ep_rc=running
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$ep_pid"
	ep_rc=$?
}

ep_snap() {
	local g
	ep_snapped=$(ps -e -o pid=,ppid=,pgid= | awk -v root="$ep_pid" '
		{ parent[$1] = $2; group[$1] = $3 }
		END {
			for (p in parent) {
				for (q = p; q in parent && q != root && q > 1; q = parent[q]);
				if (q == root) print group[p]
			}
		}' | sort -u | paste -sd,)
	ep_snapped=${ep_snapped:-$ep_pid}
	for g in ${ep_snapped//,/ }; do
		ep_groups+=("$g")
	done
}

ep_gone() {
	local secs=$1 i=0
	while pgrep -g "$ep_snapped" >/dev/null; do
		if [ "$i" -ge $((secs * 10)) ]; then
			echo "# left in the groups $ep_snapped after $secs s: $(pgrep -a -g "$ep_snapped" | tr '\n' ';')"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

ep_stop() {
	local t0=$EPOCHREALTIME
	ep_snap
	kill -TERM "$ep_pid"
	ep_exit 10
	[ "$ep_rc" = 0 ] && ep_gone 10
	ok $? "$1: TERM stops it with status 0 ($ep_rc, $(ep_since "$t0") s), leaving nothing"
}

ep_kill_all() {
	local g i=0
	[ "${#ep_groups[@]}" -gt 0 ] || return 0
	# TERM first: an entry point stops php-fpm's own group too.
	for g in "${ep_groups[@]}"; do
		kill -TERM "$g" 2>/dev/null
	done
	while [ "$i" -lt 50 ] && for g in "${ep_groups[@]}"; do ep_running "$g" && break; done; do
		sleep 0.1
		i=$((i + 1))
	done
	for g in "${ep_groups[@]}"; do
		kill -KILL -- "-$g" 2>/dev/null
	done
}

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
ep_since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

ep_bad_env() {
	local start=$1 bad name
	shift
	for bad in "$@"; do
		"$start" "$tmp/bad.log" "$bad"
		ep_exit 10
		name=${bad%%=*}
		[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] && grep -q "entrypoint: $name" "$tmp/bad.log"
		ok $? "$bad: the entry point fails naming $name (exit $ep_rc: $(head -1 "$tmp/bad.log"))"
	done
}

ep_supervision() {
	local start=$1 url=$2 what pattern pid t0 log
	for what in nginx php-fpm; do
		pattern="$what: master"
		log=$tmp/kill-$what.log
		"$start" "$log"
		ep_ready "$url" 30
		ok $? "$what: the service answers before the kill"
		ep_snap
		pid=$(pgrep -g "$ep_snapped" -f "^$pattern" | head -1)
		[ -n "$pid" ]
		ok $? "$what: its master process runs under the entry point ($pid)"
		t0=$EPOCHREALTIME
		kill -KILL "$pid" 2>/dev/null
		ep_exit 10
		echo "# $what killed: the entry point exited $ep_rc after $(ep_since "$t0") s"
		[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ]
		ok $? "$what killed: the entry point exits non-zero within 10 s (got $ep_rc)"
		grep -q "entrypoint: .*$what.* exited" "$log"
		ok $? "$what killed: the entry point says which daemon ended"
		ep_gone 10
		ok $? "$what killed: nothing of the container's processes is left"
	done
	"$start" "$tmp/term.log"
	ep_ready "$url" 30
	ok $? "TERM: the service answers before"
	ep_snap
	t0=$EPOCHREALTIME
	kill -TERM "$ep_pid"
	ep_exit 10
	echo "# TERM: the entry point exited $ep_rc after $(ep_since "$t0") s"
	is "$ep_rc" 0 "TERM: the entry point exits 0 within 10 s"
	ep_gone 10
	ok $? "TERM: nothing of the container's processes is left"
}
