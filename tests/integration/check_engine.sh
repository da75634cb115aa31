#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check`'s engine kinds against a real dockerd
# (tests/servers/dockerd.sh, on its unix socket): images (E2.images),
# restart (E12) and persistence (E11), each seen to pass and to fail.
#
# The stack copy names the engine (engine: {host: unix://...}); `ftboot
# build` builds its images there: base (FROM scratch, Debian's
# busybox-static, /fix/NAME symlinks to busybox, so that a process run as
# /fix/nginx has "nginx" in /proc/PID/comm) and one image per service FROM
# it. Fixture containers run from ftboot/base with the labels the
# kubelet's docker runtime puts (io.kubernetes.container.name,
# io.kubernetes.pod.namespace), on the host's network, restart policy
# "always" (the engine restarts the same container, RestartCount + 1);
# their PID 1 is a busybox sh that exits when any of its children dies
# (R14). Broken variants: an image missing, one not built by ftboot, a
# container whose policy never restarts it, a process name that no
# process has, a "database" whose data lives in the container's tmpfs
# (lost on restart) beside one whose data is on a volume.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/dockerd.sh
. "$FTBOOT_TOP/tests/servers/dockerd.sh"
scratch
DOCKER=$(dockerd_cli)
BOUND=240 # seconds any one ftboot run may take here
NS=ftcheck
dockerd_sock=
dk() { "$DOCKER" -H "unix://$dockerd_sock" "$@"; }
# rm_containers: remove every container of the test's engine (if it runs).
rm_containers() {
	local ids
	[ -n "$dockerd_sock" ] || return 0
	mapfile -t ids < <(dk ps -aq 2>/dev/null)
	[ "${#ids[@]}" -eq 0 ] || dk rm -f "${ids[@]}" >/dev/null 2>&1
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local exec_root
	[ -z "${kpid:-}" ] || kill "$kpid" 2>/dev/null
	# The fixtures first; a host-network container leaves dockerd's
	# netns/default mounted under its exec root, unmounted here.
	rm_containers
	exec_root=$(readlink "$tmp/d/exec" 2>/dev/null) || exec_root=
	case $exec_root in
	/run/ftbd.*) umount "$exec_root/netns/default" 2>/dev/null ;;
	esac
	dockerd_stop "$tmp/d"
	rm -rf "$tmp"
}
trap cleanup EXIT

dockerd_start "$tmp/d" 2>"$tmp/d.err" || skip_all "dockerd cannot start: $(tr '\n' ' ' <"$tmp/d.err")"

# ---- the stack copy and its images ------------------------------------------------
proj=$tmp/proj
services=(web worker stuck db dblost pod)
mkdir -p "$proj/srcs/base"
cd "$proj" || exit 1
cp /bin/busybox srcs/base/busybox
cat >srcs/base/Dockerfile <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /fix /tmp && for n in nginx sshd telegraf vsftpd mariadbd; do ln -s /bin/busybox /fix/$n; done
COPY super.sh /fix/super.sh
EOF
# super.sh "NAME APPLET ARG..." ...: each child runs as /fix/NAME (its
# comm) doing busybox's APPLET; PID 1 exits 1 as soon as any child ends.
cat >srcs/base/super.sh <<'EOF'
#!/bin/sh
trap 'exit 1' USR1
for spec in "$@"; do
	(
		set -- $spec
		name=$1 applet=$2
		shift 2
		sh -c 'exec -a "$0" "$@"' "$applet" "/fix/$name" "$@" &
		wait $!
		kill -USR1 $$
	) &
done
wait
exit 1
EOF
{
	echo "name: ce"
	echo "engine: {host: 'unix://$dockerd_sock'}"
	echo "services:"
	echo "  base: {type: None}"
	for s in "${services[@]}"; do
		mkdir -p "srcs/$s"
		printf 'FROM ftboot/base\nRUN echo %s >/service\n' "$s" >"srcs/$s/Dockerfile"
		echo "  $s: {type: None}"
	done
} >srcs/stack.yaml
cp "$FTBOOT_TOP/setup.sh" . 2>/dev/null || :

o=$(timeout "$BOUND" "$FTBOOT" build 2>&1)
rc=$?
is "$rc" 0 "ftboot build builds the fixtures' images: $(printf '%s\n' "$o" | tail -1)"
[ "$rc" -eq 0 ] || done_testing
tag_of() { dk images --format '{{.Repository}}:{{.Tag}}' "ftboot/$1" | grep -v ':latest$' | head -1; }

# ---- the fixture containers ---------------------------------------------------
free_port() { /usr/bin/python3 "$FTBOOT_TOP/tests/freeport.py"; }
web_http=$(free_port)
web_ssh=$(free_port)
# run NAME SERVICE RESTART [docker run options] -- SPEC...
run_fixture() {
	local name=$1 svc=$2 restart=$3
	shift 3
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	dk run -d --name "$name" --network host --restart "$restart" \
		--label "io.kubernetes.container.name=$svc" --label "io.kubernetes.pod.namespace=$NS" \
		--label "io.kubernetes.pod.name=$svc-0" "${opts[@]}" ftboot/base:latest \
		/bin/sh /fix/super.sh "$@" >/dev/null
}
run_fixture web web always -- "nginx httpd -f -p 127.0.0.1:$web_http -h /tmp" \
	"sshd httpd -f -p 127.0.0.1:$web_ssh -h /tmp"
run_fixture worker worker always -- "telegraf sleep 1000000"
run_fixture stuck stuck no -- "vsftpd sleep 1000000"
# A stand-in for the kubelet (the test's own loop, no server): when the
# container of service pod ends, it starts a NEW one with the same labels
# (the kubelet's attempt + 1) where the engine would restart the same one;
# at most 3 times.
pod_port=$(free_port)
run_fixture pod-0 pod no -- "vsftpd httpd -f -p 127.0.0.1:$pod_port -h /tmp"
kubelet_like() {
	local n=0
	while [ "$n" -lt 3 ]; do
		dk wait "pod-$n" >/dev/null 2>&1 || return
		n=$((n + 1))
		run_fixture "pod-$n" pod no -- "vsftpd httpd -f -p 127.0.0.1:$pod_port -h /tmp" || return
	done
}
kubelet_like &
kpid=$!
mkdir -p "$tmp/dbdata"
run_fixture db db always -v "$tmp/dbdata:/data" -- "mariadbd sleep 1000000"
run_fixture dblost dblost always --tmpfs /data -- "mariadbd sleep 1000000"
# wait_port PORT: 0 once 127.0.0.1:PORT takes a connection (bounded: 10 s).
wait_port() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
		: "$i"
	done
	return 1
}
if ! wait_port "$web_http" || ! wait_port "$web_ssh" || ! wait_port "$pod_port"; then
	skip_all "the fixture web does not listen: $(dk logs web 2>&1 | tail -2 | tr '\n' ' ')"
fi

# ---- the checklist ------------------------------------------------------------------
cat >srcs/checks.yaml <<EOF
checks:
  - id: E2.images
    title: images built by ftboot
    kind: images
    services: [base, web, worker]
  - id: E2.gone
    title: an image removed from the engine
    kind: images
    services: [stuck]
  - id: E2.foreign
    title: an image not built by ftboot under the tag
    kind: images
    services: [db]
  - id: E12
    title: processes killed come back
    kind: restart
    destructive: true
    namespace: $NS
    timeout: 30
    processes:
      - {service: web, process: nginx, tcp: "127.0.0.1:$web_http"}
      - {service: web, process: sshd, tcp: "127.0.0.1:$web_ssh"}
      - {service: worker, process: telegraf, exec: [pidof, telegraf]}
  - id: K12
    title: a container the kubelet replaces
    kind: restart
    destructive: true
    namespace: $NS
    timeout: 30
    processes:
      - {service: pod, process: vsftpd, tcp: "127.0.0.1:$pod_port"}
  - id: F12.never
    title: a container that is never restarted
    kind: restart
    destructive: true
    namespace: $NS
    timeout: 4
    processes:
      - {service: stuck, process: vsftpd, exec: [pidof, vsftpd]}
  - id: F12.name
    title: a process name no process has
    kind: restart
    destructive: true
    namespace: $NS
    timeout: 4
    processes:
      - {service: worker, process: grafana, exec: [pidof, grafana]}
  - id: E11
    title: the data on a volume survives
    kind: persistence
    destructive: true
    namespace: $NS
    timeout: 30
    databases:
      - service: db
        process: mariadbd
        data: /data
        write: [sh, -c, 'echo "@MARKER@" >>/data/marker']
        ready: [pidof, mariadbd]
        read: [cat, /data/marker]
  - id: F11.lost
    title: the data in the container's tmpfs is lost
    kind: persistence
    destructive: true
    namespace: $NS
    timeout: 30
    databases:
      - service: dblost
        process: mariadbd
        data: /data
        write: [sh, -c, 'echo "@MARKER@" >>/data/marker']
        ready: [pidof, mariadbd]
        read: [cat, /data/marker]
EOF

# check IDS: ftboot check --json --only IDS --destructive, its JSON in $json.
check() {
	local o
	o=$(mktemp)
	timeout "$BOUND" "$FTBOOT" check --json --only "$1" --destructive >"$o" 2>"$tmp/check.err"
	rc=$?
	json=$(cat "$o")
	rm -f "$o"
	# A run that gave no JSON: say why, for the failures that follow.
	[ -n "$json" ] || sed 's/^/# /' "$tmp/check.err"
}
# of ID CODE: run the Python CODE with c the check ID of $json (nothing without it).
of() {
	printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for c in d["checks"]:
    if c["id"] == sys.argv[1]:
        exec(sys.argv[2])' "$1" "$2"
}
# field ID KEY: a field of check ID (a list: one item a line; "" when absent).
field() { of "$1" "v = c.get('$2', ''); print(chr(10).join(v) if isinstance(v, list) else v)"; }
# metrics ID: "LABEL SECONDS" lines of check ID.
metrics() { of "$1" 'for m in c["metrics"]: print("%s %g" % (m["label"], m["seconds"]))'; }
restarts() { dk inspect --format '{{.RestartCount}}' "$1"; }

# ---- E2.images ------------------------------------------------------------------------
check E2.images
is "$rc" 0 "E2.images passes with every image built by ftboot build: $(field E2.images seen)"
is "$(field E2.images status)" pass "its status is pass"
printf '%s\n' "$(field E2.images evidence)" | grep -q "^$(tag_of web): sha256:.*built by ftboot build for stack ce$"
ok $? "its evidence names web's image and its id"

stuck_tag=$(tag_of stuck)
dk rmi "$stuck_tag" >/dev/null
check E2.gone
is "$(field E2.gone status)" fail "an image missing from the engine fails"
is "$(field E2.gone hint)" "image $stuck_tag is not in the engine: run ftboot build" \
	"and says to run ftboot build"

db_tag=$(tag_of db)
dk rmi "$db_tag" >/dev/null
mkdir -p "$tmp/root/bin"
cp /bin/busybox "$tmp/root/bin/"
tar -C "$tmp/root" -c . | dk import - "$db_tag" >/dev/null
check E2.foreign
is "$(field E2.foreign status)" fail "an image under the tag that ftboot did not build fails"
like_hint=$(field E2.foreign hint)
case $like_hint in
"image $db_tag is in the engine but was not built by ftboot build for stack ce"*) ok 0 "the hint says it was not built by ftboot build" ;;
*) ok 1 "the hint says it was not built by ftboot build (got: $like_hint)" ;;
esac
is "$rc" 1 "ftboot check exits 1 when a check fails"

# ---- E12 ---------------------------------------------------------------------------------
web0=$(restarts web) worker0=$(restarts worker)
t0=$(date +%s)
check E12
t1=$(date +%s)
is "$rc" 0 "E12 passes: web's nginx and sshd and worker's telegraf come back: $(field E12 seen) $(field E12 hint)"
is "$(restarts web)" $((web0 + 2)) "the engine restarted web twice (once per process killed)"
is "$(restarts worker)" $((worker0 + 1)) "and worker once"
m=$(metrics E12)
is "$(printf '%s\n' "$m" | cut -d' ' -f1 | paste -sd' ')" "web/nginx web/sshd worker/telegraf" \
	"a recovery time per process, in the checklist's order"
printf '%s\n' "$m" | awk '$2 < 0 || $2 > 30 { bad = 1 } END { exit bad }'
ok $? "each between 0 and the bound (30 s): $(printf '%s\n' "$m" | paste -sd' ')"
ok "$([ $((t1 - t0)) -lt 60 ] && echo 0 || echo 1)" "E12 took $((t1 - t0)) s (under 60)"
ev=$(field E12 evidence)
# (The exec may end with the container it killed in: then without the count.)
printf '%s\n' "$ev" | grep -Eq "^web/nginx: killed ([0-9]+ process\(es\) named|the processes named) nginx in container [0-9a-f]{12}"
ok $? "the evidence says what was killed: $(printf '%s\n' "$ev" | grep '^web/nginx: killed')"
printf '%s\n' "$ev" | grep -q "^web/sshd: container [0-9a-f]\{12\} restarted (RestartCount [0-9]* -> [0-9]*)$"
ok $? "and that the same container restarted, with its RestartCount"

old=$(dk inspect --format '{{.Id}}' pod-0)
check K12
is "$rc" 0 "K12 passes when a NEW container replaces the killed one: $(field K12 seen) $(field K12 hint)"
new=$(dk inspect --format '{{.Id}} {{.State.Running}}' pod-1 2>&1)
is "${new#* }" true "the stand-in kubelet started pod-1"
printf '%s\n' "$(field K12 evidence)" |
	grep -qx "pod/vsftpd: a new container ${new:0:12} runs (the old one ${old:0:12} was replaced)"
ok $? "the evidence names the new container and the old one"
is "$(metrics K12 | cut -d' ' -f1)" pod/vsftpd "with its recovery time"

check F12.never
is "$(field F12.never status)" fail "a container that is never restarted fails E12"
case $(field F12.never hint) in
"stuck/vsftpd did not recover: "*) ok 0 "naming the process that did not recover" ;;
*) ok 1 "naming the process that did not recover (got: $(field F12.never hint))" ;;
esac
is "$(metrics F12.never)" "stuck/vsftpd -1" "its recovery time is -1 (never)"

check F12.name
is "$(field F12.name status)" fail "a process name that no process has fails"
case $(field F12.name hint) in
"no process 'grafana' in the container of worker "*) ok 0 "saying no process has that name" ;;
*) ok 1 "saying no process has that name (got: $(field F12.name hint))" ;;
esac

# ---- E11 -------------------------------------------------------------------------------
db0=$(restarts db)
check E11
is "$rc" 0 "E11 passes with the data on a volume: $(field E11 seen) $(field E11 hint)"
is "$(restarts db)" $((db0 + 1)) "the engine restarted db once"
ev=$(field E11 evidence)
marker=$(printf '%s\n' "$ev" | sed -n 's/^db: wrote the marker \(ftboot-[0-9a-f]\{16\}\) .*/\1/p')
grep -qx -- "$marker" "$tmp/dbdata/marker" 2>/dev/null
ok $? "the marker ($marker) is in the volume"
printf '%s\n' "$ev" | grep -q "^db: the marker is still there after the restart"
ok $? "the evidence says it survived"

check F11.lost
is "$(field F11.lost status)" fail "E11 fails when the data lives in the container's tmpfs"
is "$(field F11.lost hint)" \
	"the data of dblost did not survive a restart: is /data on the PVC? (a PersistentVolumeClaim mounted there, R13)" \
	"saying the data did not survive and where it should live"

# ---- no engine to reach -----------------------------------------------------------------
mkdir -p "$tmp/ext/srcs"
cp -r srcs/. "$tmp/ext/srcs/"
sed -e '/^engine:/d' srcs/stack.yaml >"$tmp/ext/srcs/stack.yaml"
printf 'cluster: {kubeconfig: %s/kubeconfig}\n' "$tmp" >>"$tmp/ext/srcs/stack.yaml"
(cd "$tmp/ext" && check E12 && printf '%s\n' "$rc" "$(field E12 status)" "$(field E12 reason)" >"$tmp/ext.out")
is "$(sed -n 2p "$tmp/ext.out")" skip "an external cluster without an engine: E12 is a skip"
case $(sed -n 3p "$tmp/ext.out") in
"the stack's cluster is its own (cluster.kubeconfig) and the stack names no engine"*) ok 0 "saying why" ;;
*) ok 1 "saying why (got: $(sed -n 3p "$tmp/ext.out"))" ;;
esac
is "$(sed -n 1p "$tmp/ext.out")" 1 "and ftboot check does not exit 0 on a skip"

# ---- an external cluster whose containers are not in the engine ------------------------------
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
kpid=
rm_containers
mkdir -p "$tmp/ext2"
cp -r "$tmp/ext/srcs" "$tmp/ext2/"
printf "engine: {host: 'unix://%s'}\n" "$dockerd_sock" >>"$tmp/ext2/srcs/stack.yaml"
(cd "$tmp/ext2" && check E12 && printf '%s\n' "$(field E12 status)" "$(field E12 reason)" >"$tmp/ext2.out")
is "$(sed -n 1p "$tmp/ext2.out")" skip "an external cluster whose pods the engine does not hold: a skip"
case $(sed -n 2p "$tmp/ext2.out") in
*"its containers are not in the stack's engine"*) ok 0 "saying so" ;;
*) ok 1 "saying so (got: $(sed -n 2p "$tmp/ext2.out"))" ;;
esac

# ---- the checklist's own errors -----------------------------------------------------------
cp srcs/checks.yaml "$tmp/checks.good"
cat >srcs/checks.yaml <<'EOF'
checks:
  - id: E12
    title: t
    kind: restart
    processes:
      - {service: web, process: nginx}
EOF
run_ftboot check --only E12 --destructive
is "$rc" 1 "a restart entry without a probe is refused"
case $errout in
*"srcs/checks.yaml:6:9: checks[0].processes[0]: an entry says how its service answers again"*) ok 0 "with its position" ;;
*) ok 1 "with its position (got: $errout)" ;;
esac
# refused KIND "ENTRIES-KEY: [ENTRY]" EXTRA WANT: the check is refused, WANT in the error.
refused() {
	printf 'checks:\n  - id: E12\n    title: t\n    kind: %s\n    %s\n%s' "$1" "$2" "$3" >srcs/checks.yaml
	run_ftboot check --only E12 --destructive
	case $rc:$errout in
	1:*"$4"*) ok 0 "refused: $4" ;;
	*) ok 1 "refused: $4 (rc $rc: $errout)" ;;
	esac
}
refused restart 'processes: [{service: web, process: a-name-of-16-chr, exec: [echo]}]' '' \
	"srcs/checks.yaml:5:41: checks[0].processes[0].process: a process name as the kernel keeps it"
refused restart 'processes: [{service: web, process: nginx, tcp: "localhost:80"}]' '' \
	"checks[0].processes[0].tcp: expected IPV4:PORT"
refused restart 'processes: [{service: web, process: nginx, tcp: "127.0.0.1:80"}]' '    timeout: 0
' "checks[0].timeout: "
refused persistence 'databases: [{service: db, process: m, write: [echo], ready: [echo], read: [echo]}]' '' \
	"checks[0].databases[0].write: the write command must hold @MARKER@"
refused persistence 'databases: [{service: db, process: m, write: [x], read: [echo]}]' '' \
	"checks[0].databases[0]: a database needs ready: [command]"
cp "$tmp/checks.good" srcs/checks.yaml

done_testing
