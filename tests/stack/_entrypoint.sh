# shellcheck shell=bash
# shellcheck disable=SC2154 # ep_script, ep_log, ep_port and tmp are the test's
# tests/stack/_entrypoint.sh: running a service's real entry point the
# way its container does (sourced after tests/lib.sh and _lib.sh).
#
#   ep_start SCRIPT LOG    start `setsid busybox sh SCRIPT` in the
#                          background, its own process group; $ep_pid
#   ep_up LABEL            ep_start $ep_script $ep_log, until 127.0.0.1:
#                          $ep_port listens (60 s), its time as a diag
#   ep_mark; ep_logged T   T is in $ep_log after what ep_mark saw
#   ep_env_checks SVC DIRVAR WANT
#                          the rendered stack gives SVC's container the
#                          env WANT (template_env's lines, sorted, joined
#                          by spaces); without any one of those variables
#                          the entry point fails naming it and creates
#                          nothing at $DIRVAR
#   ep_wait_exit SECS      until the entry point has exited, or fail
#                          (status 1); its exit status in $ep_rc
#   ep_kill9 NAME PATH CLEAN
#                          kill -9 the daemon NAME (PATH in the log): the
#                          entry point exits non-zero within 10 s, its log
#                          says PATH exited and not CLEAN (the daemon's
#                          words for a clean shutdown)
#   ep_daemon NAME         print the pid of NAME in the entry point's group
#   ep_secret_visible S..  status 0 if a process of the group shows one of
#                          the strings in its command line or the
#                          daemon's environment
#   ep_cleanup             kill every group started (for the EXIT trap)
#   template_env FILE SVC  the env of SVC's container in the rendered
#                          manifests FILE, a line each: NAME=VALUE or
#                          NAME<secret KEY (a secretKeyRef)
#   listening ADDR PORT    status 0 if ADDR:PORT (0.0.0.0 or 127.0.0.1)
#                          is a listening TCP socket (/proc/net/tcp)
#   now_us                 microseconds since the epoch
#   since_s T0             seconds since now_us's T0, one decimal: "2.4"
ep_groups=()

ep_start() {
	setsid busybox sh "$1" >>"$2" 2>&1 </dev/null &
	ep_pid=$!
	ep_groups+=("$ep_pid")
}

ep_up() {
	local t0
	t0=$(now_us)
	echo "=== start: $1" >>"$ep_log"
	ep_start "$ep_script" "$ep_log"
	if wait_port "$ep_port" 60; then
		echo "# $1: listening on $ep_port after $(since_s "$t0") s"
		return 0
	fi
	tail -20 "$ep_log" | sed 's/^/#   /'
	return 1
}

ep_mark=0
ep_mark() { ep_mark=$(wc -l <"$ep_log"); }
ep_logged() { tail -n +$((ep_mark + 1)) "$ep_log" | grep -qF -- "$1"; }

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

# shellcheck disable=SC2034 # ep_rc is for the caller
ep_wait_exit() {
	local secs=$1 i=0
	while kill -0 "$ep_pid" 2>/dev/null; do
		if [ "$i" -ge $((secs * 10)) ]; then
			echo "# the entry point $ep_pid did not exit within $secs s" >&2
			ep_rc=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$ep_pid"
	ep_rc=$?
}

ep_kill9() {
	local d t0
	ep_mark
	d=$(ep_daemon "$1")
	[ -n "$d" ] && kill -KILL "$d"
	ok $? "kill -9 $1 ($d)"
	t0=$(now_us)
	ep_wait_exit 10
	[ -n "$ep_rc" ] && [ "$ep_rc" -ne 0 ]
	ok $? "after kill -9 of $1 the entry point exits non-zero (status $ep_rc) within $(since_s "$t0") s"
	ep_logged "entrypoint: $2 exited" && ! ep_logged "$3"
	ok $? "the log says $2 exited, and not '$3'"
}

ep_daemon() {
	pgrep -g "$ep_pid" -x "$1" | head -1
}

ep_secret_visible() {
	local p s
	for p in $(pgrep -g "$ep_pid"); do
		for s in "$@"; do
			tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$s" && return 0
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = busybox ] && continue
			tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qF -- "$s" && return 0
		done
	done
	return 1
}

ep_cleanup() {
	local g
	for g in "${ep_groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
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

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

since_s() {
	local d=$(($(now_us) - $1))
	echo "$((d / 1000000)).$((d % 1000000 / 100000))"
}
