# shellcheck shell=bash disable=SC2154 # tmp: tests/lib.sh's scratch
# tests/stack/_entry.sh: run a service's REAL entry point the way its
# container does, under `setsid busybox sh` (Alpine's /bin/sh), its
# process group and session its own, for the stack tier's tests (sourced
# after tests/lib.sh and _lib.sh; _mariadb.sh, if sourced, before
# ep_setup). Daemons such as php-fpm and sshd call setsid themselves, so
# "nothing left" means nothing in any process group of the entry point's
# process tree (ep_snap), not only in its own group.
#
# Setting up
#   ep_require PROGRAM...    skip the test (before any assertion) unless
#                            PROGRAM... and busybox, setsid, pgrep are here
#   ep_setup FILE PROGRAM... ep_require PROGRAM... curl, skip unless FILE,
#                            MariaDB (if _mariadb.sh is sourced) and the
#                            user www-data are here; then ep_scratch
#   ep_scratch               a scratch directory $tmp, 0755 (the daemons'
#                            users read it), cleaned at exit by ep_cleanup
#   ep_cleanup               ep_kill_all, mariadb_stop (if sourced), rm $tmp
#   ep_kill_all              TERM then KILL every process group noted
# Starting
#   ep_start LOG SCRIPT [VAR=VALUE...]
#                            start SCRIPT with VAR=VALUE... in its
#                            environment, output appended to LOG; sets
#                            $ep_pid (its pid, group and session) and
#                            $ep_log (LOG)
#   ep_up LABEL [VAR=VALUE...]
#                            ep_start "$ep_log" "$ep_script" VAR=VALUE...
#                            until 127.0.0.1:$ep_port accepts (60 s), a
#                            diag with its time; status 1 (and the log's
#                            tail) if it does not
#   ep_ready URL SECONDS     until URL answers 200; status 1 if the entry
#                            point ended or SECONDS passed, saying which
#   ep_standin PATH DIR      write PATH, a stand-in for a daemon that is
#                            not in Debian (clearly one: for the entry
#                            point's supervision checks): it writes its
#                            arguments to DIR/args and its environment
#                            (NUL-separated) to DIR/env, then sleeps
#   ep_standin_ready DIR SECONDS
#                            until the stand-in has written DIR/args
# Watching
#   ep_running [PID]         status 0 if PID ($ep_pid) runs (not a zombie)
#   ep_exit SECONDS          until the entry point ends; its status in
#                            $ep_rc (status 1 and ep_rc=running if it
#                            still runs after SECONDS)
#   ep_mark; ep_logged TEXT  TEXT is in $ep_log after what ep_mark saw
#   ep_snap                  note the process groups of the entry point and
#                            of every process under it in $ep_snapped
#                            (comma-separated) and for ep_kill_all
#   ep_gone SECONDS          until no process of the groups ep_snap noted
#                            is left; status 1, naming what is left
#   ep_daemon PGREP_ARGS...  the pid of the first process of the tree's
#                            groups that `pgrep PGREP_ARGS` matches
#   ep_secret_visible S...   status 0 if a process of the tree's groups
#                            shows one of the strings in its command line,
#                            or in its environment (busybox, the entry
#                            point itself, excepted: it is given them)
# Asserting
#   ep_term SECONDS          ep_snap, TERM the entry point, ep_exit SECONDS
#   ep_stop WHAT [SECONDS]   ep_term (10 s); two assertions: it exits 0,
#                            and nothing of the tree is left (ep_gone 10)
#   ep_kill9 WHAT EXITED CLEAN PGREP_ARGS...
#                            the daemon ep_daemon PGREP_ARGS finds runs;
#                            kill -9 it: the entry point exits 1 within
#                            10 s, its log says "entrypoint: EXITED
#                            exited" (and not CLEAN, the daemon's words
#                            for a clean shutdown, unless CLEAN is ""),
#                            nothing of the tree is left; four assertions
#   ep_env_checks SVC DIRVAR WANT
#                            the rendered stack gives SVC's container the
#                            env WANT (template_env's lines, sorted, joined
#                            by spaces); without any one of those variables
#                            the entry point ($ep_script) fails naming it
#                            and creates nothing at $DIRVAR
#   ep_bad_env START VAR=VALUE...
#                            for each: START LOG VAR=VALUE (a function that
#                            calls ep_start) fails at once, naming VAR
#   ep_supervision START URL PROGRAM...
#                            R14's checks with START LOG (a function that
#                            calls ep_start): for each PROGRAM (a path: its
#                            name without its version, "php-fpm" for
#                            php-fpm8.2, is its master's title), URL
#                            answers, then ep_kill9 of its master; then
#                            URL answers and ep_stop
# Reading
#   template_env FILE SVC    the env of SVC's container in the rendered
#                            manifests FILE, a line each: NAME=VALUE or
#                            NAME<secret KEY (a secretKeyRef)
#   listening ADDR PORT      status 0 if ADDR:PORT (0.0.0.0 or 127.0.0.1)
#                            is a listening TCP socket (/proc/net/tcp)
#   ep_since T0              seconds since T0 (an $EPOCHREALTIME), "2.4"
ep_pid=
ep_log=
ep_rc=
ep_mark=0
ep_snapped=
ep_groups=()

ep_require() {
	local p
	for p in busybox setsid pgrep "$@"; do
		command -v "$p" >/dev/null || skip_all "$p is missing (tests/deps.sh test installs the stack's packages)"
	done
}

ep_setup() {
	local file=$1 missing
	shift
	ep_require curl "$@"
	if declare -F mariadb_missing >/dev/null && missing=$(mariadb_missing); then
		skip_all "$missing is missing (tests/deps.sh test installs mariadb-server)"
	fi
	[ -e "$file" ] || skip_all "$file is missing (tests/deps.sh test installs its package)"
	id www-data >/dev/null 2>&1 || skip_all "no user www-data"
	ep_scratch
}

ep_scratch() {
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

ep_start() {
	local log=$1 script=$2
	shift 2
	ep_log=$log
	env "$@" setsid busybox sh "$script" >>"$log" 2>&1 </dev/null &
	ep_pid=$!
	ep_groups+=("$ep_pid")
}

ep_up() {
	local label=$1 t0=$EPOCHREALTIME
	shift
	echo "=== start: $label" >>"$ep_log"
	ep_start "$ep_log" "$ep_script" "$@"
	if wait_port "$ep_port" 60; then
		echo "# $label: listening on $ep_port after $(ep_since "$t0") s"
		return 0
	fi
	tail -20 "$ep_log" | sed 's/^/#   /'
	return 1
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

ep_standin() {
	mkdir -p "$2"
	cat >"$1" <<EOF
#!/bin/sh
# Stand-in for a daemon (tests/stack/_entry.sh): records what it was
# given, then runs like a daemon until killed.
env -0 >"$2/env"
printf '%s\\n' "\$@" >"$2/args.new" && mv "$2/args.new" "$2/args"
exec sleep 600
EOF
	chmod 755 "$1"
}

ep_standin_ready() {
	local i=0
	while [ ! -s "$1/args" ] && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1/args" ] || {
		echo "# the stand-in did not start within $2 s"
		return 1
	}
}

# The entry point (or PID) runs, and is not a zombie waiting for us.
ep_running() {
	local stat
	stat=$(cat "/proc/${1:-$ep_pid}/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

ep_exit() {
	local secs=$1 i=0
	while ep_running; do
		if [ "$i" -ge $((secs * 10)) ]; then
			echo "# the entry point $ep_pid did not exit within $secs s"
			ep_rc=running
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$ep_pid"
	ep_rc=$?
}

ep_mark() { ep_mark=$(wc -l <"$ep_log"); }
ep_logged() { tail -n +$((ep_mark + 1)) "$ep_log" | grep -qF -- "$1"; }

# The process groups of every process whose ancestors include $ep_pid.
ep_tree_groups() {
	ps -e -o pid=,ppid=,pgid= | awk -v root="$ep_pid" '
		{ parent[$1] = $2; group[$1] = $3 }
		END {
			for (p in parent) {
				for (q = p; q in parent && q != root && q > 1; q = parent[q]);
				if (q == root) print group[p]
			}
		}' | sort -u | paste -sd,
}

ep_snap() {
	local g
	ep_snapped=$(ep_tree_groups)
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

ep_daemon() {
	local groups
	groups=$(ep_tree_groups)
	pgrep -g "${groups:-$ep_pid}" "$@" | head -1
}

ep_secret_visible() {
	local p s groups
	groups=$(ep_tree_groups)
	for p in $(pgrep -g "${groups:-$ep_pid}"); do
		for s in "$@"; do
			tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$s" && return 0
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = busybox ] && continue
			tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qF -- "$s" && return 0
		done
	done
	return 1
}

ep_term() {
	ep_snap
	kill -TERM "$ep_pid"
	ep_exit "$1"
}

ep_stop() {
	local t0=$EPOCHREALTIME secs=${2:-10}
	ep_term "$secs"
	is "$ep_rc" 0 "$1: TERM stops it with status 0 within $secs s (took $(ep_since "$t0") s)"
	ep_gone 10
	ok $? "$1: nothing of the entry point's process groups is left after TERM"
}

ep_kill9() {
	local what=$1 exited=$2 clean=$3 pid t0 not=
	shift 3
	[ -z "$clean" ] || not=", and not '$clean'"
	ep_mark
	ep_snap
	pid=$(ep_daemon "$@")
	[ -n "$pid" ] && kill -KILL "$pid"
	ok $? "$what: it runs under the entry point ($pid), kill -9"
	t0=$EPOCHREALTIME
	ep_exit 10
	echo "# $what killed: the entry point exited $ep_rc after $(ep_since "$t0") s"
	is "$ep_rc" 1 "$what killed: the entry point exits 1 within 10 s (the kubelet restarts the container)"
	ep_logged "entrypoint: $exited exited" && { [ -z "$clean" ] || ! ep_logged "$clean"; }
	ok $? "$what killed: the log says $exited exited$not"
	ep_gone 10
	ok $? "$what killed: nothing of the entry point's process groups is left"
}

ep_env_checks() {
	local svc=$1 dirvar=$2 want=$3 v vars out rc
	stack_render "$tmp/render"
	ok $? "ftboot render --show-secrets renders the stack"
	is "$(template_env "$tmp/render/manifests.yaml" "$svc" | sort | tr '\n' ' ')" "$want " \
		"templates/$svc.yaml: the entry point's variables, passwords from the Secret"
	mapfile -t vars < <(template_env "$tmp/render/manifests.yaml" "$svc" | sed 's/[=<].*//')
	for v in "${vars[@]}"; do
		out=$(env -u "$v" "$dirvar=$tmp/none" timeout 10 busybox sh "$ep_script" 2>&1)
		rc=$?
		[ "$rc" -ne 0 ] && [[ $out == *"$v is not set"* ]] && [ ! -e "$tmp/none" ]
		ok $? "no $v: exit $rc, '$out', nothing created"
	done
}

ep_bad_env() {
	local start=$1 bad name log=$tmp/bad.log
	shift
	for bad in "$@"; do
		: >"$log"
		"$start" "$log" "$bad"
		ep_exit 10
		name=${bad%%=*}
		[ "$ep_rc" != running ] && [ "$ep_rc" -ne 0 ] && grep -q "entrypoint: $name" "$log"
		ok $? "$bad: the entry point fails naming $name (exit $ep_rc: $(head -1 "$log"))"
	done
}

ep_supervision() {
	local start=$1 url=$2 prog what
	shift 2
	for prog in "$@"; do
		what=${prog##*/}
		what=${what%%[0-9]*}
		"$start" "$tmp/kill-$what.log"
		ep_ready "$url" 30
		ok $? "$what: the service answers before the kill"
		ep_kill9 "$what" "$prog" "" -f "^$what: master"
	done
	"$start" "$tmp/term.log"
	ep_ready "$url" 30
	ok $? "TERM: the service answers before"
	ep_stop "the last start"
}

listening() {
	local hex
	case $1 in
	0.0.0.0) hex=00000000 ;;
	127.0.0.1) hex=0100007F ;;
	*) return 2 ;;
	esac
	grep -qiE "^ *[0-9]+: $hex:$(printf '%04X' "$2") [0-9A-F:]+ 0A " /proc/net/tcp
}

template_env() {
	/usr/bin/python3 - "$1" "$2" <<-'PY'
		import sys, yaml
		for d in yaml.safe_load_all(open(sys.argv[1])):
		    if d and d["kind"] == "Deployment" and d["metadata"]["name"] == sys.argv[2]:
		        for e in d["spec"]["template"]["spec"]["containers"][0].get("env", []):
		            ref = e.get("valueFrom", {}).get("secretKeyRef")
		            print(e["name"] + ("<secret " + ref["key"] if ref else "=" + str(e.get("value"))))
	PY
}

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
ep_since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}
