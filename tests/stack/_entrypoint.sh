# shellcheck shell=bash
# tests/stack/_entrypoint.sh: running a service's real entry point the
# way its container does (sourced after tests/lib.sh and _lib.sh).
#
#   ep_start SCRIPT LOG    start `setsid busybox sh SCRIPT` in the
#                          background, its own process group; $ep_pid
#   ep_wait_exit SECS      until the entry point has exited, or fail
#                          (status 1); its exit status in $ep_rc
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
