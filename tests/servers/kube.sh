#!/usr/bin/env bash
# tests/servers/kube.sh: the Kubernetes API server test double
# (tests/servers/kube-apiserver.py, Debian's /usr/bin/python3 + python3-yaml)
# on a free loopback port, with its own PKI, tokens and kubeconfigs.
#
#   tests/servers/kube.sh start DIR [--lb-ip IP] [--auto-ready]
#       prints the URL (https://127.0.0.1:PORT); the server runs in the
#       background
#   tests/servers/kube.sh stop DIR       stops it, waits for it to exit
#   tests/servers/kube.sh ctl DIR METHOD PATH [JSON]
#
# Or source it and call kube_start DIR [--lb-ip IP] [--auto-ready] (sets
# $kube_port, $kube_dir and $kube_url), kube_stop DIR and
# kube_ctl DIR METHOD PATH [JSON] (the control API over DIR/control.sock;
# prints the answer, fails on an HTTP status >= 400). For the tests'
# checks: kube_get DIR PATH [CURL ARGS] (GET with the admin's client
# certificate: the JSON, or the Status), kube_code DIR PATH (a GET's HTTP
# status), kube_log DIR [N] (the request log after its line N, a
# "METHOD PATH STATUS" line a request), kube_ports DIR N METHOD (the
# client ports of its METHOD requests after line N) and kube_log_lines DIR.
#
# DIR ends up holding: ca.pem ca-key.pem server.pem server-key.pem (SANs
# 127.0.0.1, localhost), client.pem client-key.pem (CN=ftboot-test-admin,
# O=system:masters), token (admin bearer token), view-token (get/list/watch
# only), kubeconfig (cluster/user/context "test", the client certificate as
# -data fields), kubeconfig-token (the same with the bearer token),
# requests.log (one JSON object per API request, with the client's source
# port: one per connection), server.log, port, pid,
# control.sock. The PKI is made by the server (openssl CLI) when DIR has none
# and kept across restarts.
#
# Control API (JSON bodies): POST /auto {"ready","lb_ip"}; POST /state
# {"kind","namespace","name","state"} with state ready | progressing |
# image-pull | crash | pending | deadline; POST /lb {"namespace","name","ip"};
# POST /watches/close; POST /fail {"method","path_prefix","status","count",
# "retry_after"} (a 409 on an object's path is the API server's Conflict on
# it); POST /readyz {"ok"}; POST /compact; GET /objects; GET /log;
# POST /log/reset; POST /crds/hold {"hold"} (CRDs written next stay
# NamesAccepted but not Established: served, absent from discovery) and
# POST /crds/establish {"name"} (a held CRD, or every one, Established now;
# answers {"established", "log_lines"}; never one whose names another CRD
# of its group holds: NamesAccepted False, as the naming controller
# says). See the header of
# kube-apiserver.py for what the double implements and what it simplifies.
# Exit status 1 with a reason on stderr if the server cannot start.

# shellcheck source=tests/servers/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

kube_server_py() {
	echo "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kube-apiserver.py"
}

# kube_start DIR [--lb-ip IP] [--auto-ready]: start the double, set kube_port,
# kube_dir and kube_url. 0 on success.
kube_start() {
	local dir=$1 pid i
	shift

	if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
		echo "kube.sh: needs /usr/bin/python3 with python3-yaml (tests/deps.sh test)" >&2
		return 1
	fi
	if ! command -v openssl >/dev/null 2>&1; then
		echo "kube.sh: needs openssl (tests/deps.sh test)" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	rm -f "$dir/port"
	/usr/bin/python3 "$(kube_server_py)" --dir "$dir" "$@" >>"$dir/stderr.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	# Bounded: 20 s for the PKI (openssl) and the listening socket.
	for ((i = 0; i < 200; i++)); do
		if [ -s "$dir/port" ] && [ -S "$dir/control.sock" ]; then
			kube_port=$(cat "$dir/port")
			kube_dir=$dir
			kube_url=https://127.0.0.1:$kube_port
			export kube_port kube_dir kube_url
			return 0
		fi
		if ! proc_alive "$pid"; then
			echo "kube.sh: kube-apiserver.py exited before listening:" >&2
			tail -5 "$dir/stderr.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "kube.sh: kube-apiserver.py did not listen within 20 s (see $dir/stderr.log)" >&2
	kill "$pid" 2>/dev/null
	return 1
}

# kube_stop DIR: stop the double and wait for it to exit (bounded: 10 s, then
# SIGKILL).
kube_stop() {
	local dir=$1 pid i

	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		proc_alive "$pid" || break
		sleep 0.1
	done
	if proc_alive "$pid"; then
		echo "kube.sh: kube-apiserver.py ($pid) still running after 10 s: SIGKILL" >&2
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$dir/pid" "$dir/port"
}

# kube_ctl DIR METHOD PATH [JSON]: a control API request; prints the answer.
kube_ctl() {
	local dir=$1 method=$2 path=$3 data=${4:-}
	local args=(-sS --max-time 10 --fail-with-body --unix-socket "$dir/control.sock" -X "$method")

	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	/usr/bin/curl "${args[@]}" "http://localhost$path"
}

# kube_get DIR PATH [CURL ARGS]: GET an API path as the admin (client
# certificate); prints the body.
kube_get() {
	local dir=$1 path=$2
	shift 2
	/usr/bin/curl -sS --max-time 20 --cacert "$dir/ca.pem" --cert "$dir/client.pem" \
		--key "$dir/client-key.pem" "$@" "https://127.0.0.1:$(cat "$dir/port")$path"
}

# kube_code DIR PATH: the HTTP status of an admin's GET of PATH.
kube_code() {
	kube_get "$1" "$2" -o /dev/null -w '%{http_code}' 2>/dev/null
}

# kube_log DIR [N]: the request log after line N (default 0), one
# "METHOD PATH STATUS" line a request.
kube_log() {
	tail -n +"$((${2:-0} + 1))" "$1/requests.log" |
		/usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print(r["method"], r["path"], r["status"])'
}

# kube_ports DIR N METHOD: the client source ports of the METHOD requests
# after line N of the log, distinct, one a line (one port: one connection).
kube_ports() {
	tail -n +"$(($2 + 1))" "$1/requests.log" |
		/usr/bin/python3 -c 'import json,sys
for p in sorted({r["port"] for r in map(json.loads, sys.stdin) if r["method"] == sys.argv[1]}):
    print(p)' "$3"
}

# kube_log_lines DIR: how many requests the log holds.
kube_log_lines() {
	wc -l <"$1/requests.log"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start)
		[ $# -ge 2 ] || { echo "usage: kube.sh start DIR [--lb-ip IP] [--auto-ready]" >&2; exit 2; }
		shift
		kube_start "$@" || exit 1
		echo "$kube_url"
		;;
	stop) [ $# -eq 2 ] || { echo "usage: kube.sh stop DIR" >&2; exit 2; }; kube_stop "$2" ;;
	ctl)
		[ $# -ge 4 ] || { echo "usage: kube.sh ctl DIR METHOD PATH [JSON]" >&2; exit 2; }
		shift
		kube_ctl "$@"
		;;
	*) echo "usage: kube.sh start|stop|ctl DIR ..." >&2; exit 2 ;;
	esac
fi
