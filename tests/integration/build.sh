#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot build` against a real dockerd (tests/servers/
# dockerd.sh, with -D so its log shows each API call) on 127.0.0.1 with
# mutual TLS, using the server certificate `ftboot docker-env` made (the
# stack names an external engine). Fixtures: `base` FROM scratch with
# Debian's busybox-static, `app` FROM ftboot/base with a RUN, a COPY and a
# .dockerignore. Checked: bases first, tags and labels, a second build
# sends no context (no new POST /build in the engine's log), only what
# changed is rebuilt, a broken Dockerfile names the service, step and
# message and shows the last log lines, Ctrl-C at an exact point (a
# failpoint raising SIGINT) exits 130, a failure cancels a parallel
# build, no build container is ever left, certificates of another CA are
# refused both ways, and `down` removes the stack's images and nothing
# else.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/dockerd.sh
. "$FTBOOT_TOP/tests/servers/dockerd.sh"
scratch
DOCKER=$(dockerd_cli)
BOUND=180 # seconds any one ftboot run may take here
dirs=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local d
	for d in "${dirs[@]}"; do dockerd_stop "$d"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

proj=$tmp/proj
mkdir -p "$proj/srcs/base" "$proj/srcs/app"
cd "$proj" || exit 1
stackfile() { # stackfile PORT [CERT_PATH]
	{
		echo "name: bt"
		if [ -n "${2:-}" ]; then
			echo "engine: {host: 'tcp://127.0.0.1:$1', cert_path: '$2'}"
		else
			echo "engine: {host: 'tcp://127.0.0.1:$1'}"
		fi
		echo "services: {base: {}, app: {}}"
	} >srcs/stack.yaml
}
cp /bin/busybox srcs/base/busybox
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' \
	>srcs/base/Dockerfile
app_dockerfile() { # app_dockerfile [EXTRA-LINE]
	{
		printf 'FROM ftboot/base\nRUN echo built >/built\nCOPY . /ctx/\n'
		[ -z "${1:-}" ] || printf '%s\n' "$1"
	} >srcs/app/Dockerfile
}
app_dockerfile
echo v1 >srcs/app/app.txt
printf '# scratch files\n*.tmp\n' >srcs/app/.dockerignore

# The last line of $errout, for a test's name.
last() { printf '%s\n' "$errout" | tail -1; }

# Bounded runs: a build that never ends must fail the test, not hang it.
run_bounded() {
	local o e
	o=$(mktemp) e=$(mktemp)
	timeout "$BOUND" "$FTBOOT" "$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o")
	errout=$(cat "$e")
	rm -f "$o" "$e"
}

# ---- the engine ------------------------------------------------------------
port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
stackfile "$port"
run_ftboot docker-env
[ "$rc" -eq 0 ] || skip_all "ftboot docker-env cannot make the engine's certificates: $(last)"
eng=$FTBOOT_STATE_DIR/bt/engine
dirs+=("$tmp/d")
DOCKERD_DEBUG=1 dockerd_start "$tmp/d" "$eng/server/ca.pem" "$eng/server/cert.pem" \
	"$eng/server/key.pem" 2>"$tmp/d.err" || skip_all "dockerd cannot start: $(tr '\n' ' ' <"$tmp/d.err")"
stackfile "$dockerd_port"
dk() { "$DOCKER" -H "unix://$dockerd_sock" "$@"; }
builds() { grep -c 'Calling POST /v1\.[0-9]*/build' "$tmp/d/dockerd.log"; }
containers() { dk ps -aq | wc -l; }
# containers_gone: 0 once the engine holds no container (bounded: 10 s).
containers_gone() {
	local i
	for i in $(seq 1 100); do
		[ "$(containers)" -eq 0 ] && return 0
		sleep 0.1
		: "$i"
	done
	return 1
}
label() { dk image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>&1; }

# ---- options -----------------------------------------------------------------
for j in 0 65 x 2x -1; do
	run_ftboot build --jobs "$j"
	is "$rc" 2 "--jobs $j is a usage error"
	printf '%s\n' "$errout" | grep -qF "is not a number from 1 to 64"
	ok $? "--jobs $j: the error says the range"
done
run_ftboot up --jobs 65
is "$rc" 2 "up --jobs 65 is a usage error too"
is "$errout" "ftboot up: --jobs '65' is not a number from 1 to 64; usage: ftboot up [--until STEP] [--jobs N]" \
	"with up's synopsis"
run_ftboot build ap
is "$rc" 2 "an unknown service is a usage error"
is "$errout" "ftboot build: no service 'ap' in stack 'bt' (did you mean 'app'?)" "naming the nearest one"
is "$(builds)" 0 "nothing was sent for a bad command line"

# The VM's engine (no engine: section) without a VM: said plainly, nothing made.
mkdir -p "$tmp/novm/srcs/a"
cp srcs/base/Dockerfile srcs/base/busybox "$tmp/novm/srcs/a/"
printf 'name: bnv\nservices: {a: {}}\n' >"$tmp/novm/srcs/stack.yaml"
(cd "$tmp/novm" && run_ftboot build && printf '%s\n%s\n' "$rc" "$errout" >"$tmp/novm.out")
is "$(head -1 "$tmp/novm.out")" 1 "build without the VM up fails"
is "$(tail -n +2 "$tmp/novm.out")" "ftboot: the VM of stack 'bnv' is not up; run 'ftboot up' first" \
	"and says to run ftboot up first"
[ ! -e "$FTBOOT_STATE_DIR/bnv/engine" ] && [ ! -e "$FTBOOT_STATE_DIR/bnv/builds" ]
ok $? "and makes no certificates and no logs"

# ---- the first build: both, base first -----------------------------------------
points=$tmp/points
FTBOOT_TEST_POINTS=$points run_bounded build
is "$rc" 0 "ftboot build builds both: $(last)"
steps=$(grep '^build:step:' "$points" | cut -d: -f3 | uniq | paste -sd' ')
is "$steps" "base app" "base's steps all come before app's"
is "$(builds)" 2 "the engine saw two POST /build"
printf '%s\n' "$errout" | grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2} base +Step 1/6 : FROM scratch$"
ok $? "plain timestamped progress lines: HH:MM:SS base  Step 1/6 : FROM scratch (3 of them the labels)"
printf '%s\n' "$errout" | grep -qE '^[0-9:]{8} app +built ftboot/app:[0-9a-f]{12} \([0-9.]+ s\)$'
ok $? "each build's end, with its tag and time"
for s in base app; do
	hash=$(label "ftboot/$s:latest" org.ftboot.hash)
	printf '%s\n' "$hash" | grep -qE '^[0-9a-f]{64}$'
	ok $? "$s: the hash label is 64 hex digits ($hash)"
	tags=$(dk images --format '{{.Tag}}' "ftboot/$s" | sort | paste -sd' ')
	is "$tags" "$(printf '%s\n' "${hash:0:12}" latest | sort | paste -sd' ')" "$s: tagged :<hash12> and :latest"
	is "$(label "ftboot/$s:${hash:0:12}" org.ftboot.stack)" bt "$s: the stack label"
	is "$(label "ftboot/$s:${hash:0:12}" org.ftboot.service)" "$s" "$s: the service label"
	log=$FTBOOT_STATE_DIR/bt/builds/$s.log
	is "$(stat -c %a "$log" 2>&1)" 600 "$s: its log is kept, 0600"
	grep -qE "^Step 1/[0-9]+ : FROM " "$log"
	ok $? "$s: the log holds the build's lines"
done
is "$(dk run --rm --network none ftboot/app cat /built /ctx/app.txt 2>&1 | paste -sd' ')" "built v1" \
	"the image runs: its RUN and COPY took effect"
is "$(containers)" 0 "no container is left"
app1=$(label ftboot/app:latest org.ftboot.hash)
base1=$(label ftboot/base:latest org.ftboot.hash)

# ---- nothing changed: nothing sent ---------------------------------------------
run_bounded build
is "$rc" 0 "a second build: $(last)"
is "$(printf '%s\n' "$errout" | grep -cE '^[0-9:]{8} (base|app) +up to date \(')" 2 "says both are up to date"
is "$(builds)" 2 "and the engine saw no new POST /build: no context was sent"
run_ftboot status
printf '%s\n' "$out" | grep -qxF "image      app ftboot/app:${app1:0:12}, built"
ok $? "status shows app's image as built: $(printf '%s\n' "$out" | grep '^image' | paste -sd'|')"
is "$(builds)" 2 "status builds nothing"
touch srcs/app/junk.tmp
echo x >srcs/app/scratch.tmp
run_bounded build app
is "$rc" 0 "files .dockerignore excludes change nothing: $(last)"
is "$(builds)" 2 "no build for them"

# ---- a change rebuilds what it reaches -------------------------------------------
echo v2 >srcs/app/app.txt
run_bounded build
is "$rc" 0 "app changed: $(last)"
is "$(builds)" 3 "one new build"
printf '%s\n' "$errout" | grep -qE '^[0-9:]{8} base +up to date'
ok $? "base is up to date"
app2=$(label ftboot/app:latest org.ftboot.hash)
[ "$app2" != "$app1" ]
ok $? "app has a new hash"
is "$(dk run --rm --network none ftboot/app ls /ctx 2>&1 | paste -sd' ')" "Dockerfile app.txt" \
	"the context sent kept the Dockerfile and left out the .dockerignore'd files"
echo more >srcs/base/extra.txt
run_bounded build
is "$rc" 0 "base changed: $(last)"
is "$(builds)" 5 "both rebuilt"
[ "$(label ftboot/base:latest org.ftboot.hash)" != "$base1" ] && [ "$(label ftboot/app:latest org.ftboot.hash)" != "$app2" ]
ok $? "and both have new hashes (app's covers its base's)"

# ---- a broken Dockerfile ---------------------------------------------------------
# shellcheck disable=SC2016 # $i is the RUN's
app_dockerfile 'RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo line$i; done; echo "bad <thing>" >&2; false'
run_bounded build
is "$rc" 1 "a failing RUN exits 1"
printf '%s\n' "$errout" | grep -qF "ftboot: service 'app': "
ok $? "the error names the service"
printf '%s\n' "$errout" | grep -F "ftboot: service 'app': " | grep -qF 'Step 4/7 : RUN for i in'
ok $? "and the step"
printf '%s\n' "$errout" | grep -F "ftboot: service 'app': " | grep -qF "returned a non-zero code: 1"
ok $? "and the engine's message"
is "$(printf '%s\n' "$errout" | grep -c '^  | ')" 10 "the last 10 log lines are shown"
printf '%s\n' "$errout" | grep -qxF '  | line15'
ok $? "ending with the RUN's last output"
grep -qxF line1 "$FTBOOT_STATE_DIR/bt/builds/app.log"
ok $? "the whole log is in builds/app.log"
grep -qxF 'bad <thing>' "$FTBOOT_STATE_DIR/bt/builds/app.log"
ok $? "the RUN's stderr too, '>' as written, without the engine's colour codes"
printf '%s\n' "$errout" | grep -qE '^[0-9:]{8} app +failed at Step 4/7'
ok $? "the progress line says where it failed"
containers_gone
ok $? "no container is left (forcerm)"

# ---- Ctrl-C at an exact point ----------------------------------------------------
# A RUN that says it started, and says it again each second: only a
# cancel ends it. The signal comes at step 4's third output line, which is
# its own whatever the engine says first: " ---> Running in ...", and with
# the host's IPv4 forwarding off (a fresh machine) a warning before it.
app_dockerfile 'RUN while :; do echo started; sleep 1; done'
FTBOOT_TEST_SIGNAL_AT='build:output:app:4#3:INT' run_bounded build
is "$rc" 130 "SIGINT while app's RUN runs: exit 130"
printf '%s\n' "$errout" | grep -qF 'interrupted by signal 2'
ok $? "it says it was interrupted: $(printf '%s\n' "$errout" | tail -1)"
grep -qx started "$FTBOOT_STATE_DIR/bt/builds/app.log"
ok $? "the RUN had started when the signal came"
containers_gone
ok $? "the engine stopped the build and left no container"
FTBOOT_TEST_SIGNAL_AT='build:step:app:2:TERM' run_bounded build
is "$rc" 143 "SIGTERM as a step starts: exit 143"
containers_gone
ok $? "no container left"

# ---- a failure cancels the other build -------------------------------------------
# A second stack on the same engine: `slow` works forever, `bad` fails.
mkdir -p "$tmp/p2/srcs/slow" "$tmp/p2/srcs/bad"
cp srcs/base/busybox "$tmp/p2/srcs/slow/"
cp srcs/base/busybox "$tmp/p2/srcs/bad/"
printf 'FROM scratch\nCOPY busybox /bin/sh\nRUN echo started; while :; do :; done\n' >"$tmp/p2/srcs/slow/Dockerfile"
printf 'FROM scratch\nCOPY busybox /bin/sh\nRUN echo failing; exit 3\n' >"$tmp/p2/srcs/bad/Dockerfile"
printf 'name: bt2\nengine: {host: "tcp://127.0.0.1:%s", cert_path: "%s"}\nservices: {slow: {}, bad: {}}\n' \
	"$dockerd_port" "$eng/client" >"$tmp/p2/srcs/stack.yaml"
(cd "$tmp/p2" && run_bounded build --jobs 2 && printf '%s\n%s\n' "$rc" "$errout" >"$tmp/p2.out")
rc=$(head -1 "$tmp/p2.out")
errout=$(tail -n +2 "$tmp/p2.out")
is "$rc" 1 "one of two parallel builds fails: exit 1 (not the bound: 124)"
printf '%s\n' "$errout" | grep -F "ftboot: service 'bad': " | grep -qF "returned a non-zero code: 3"
ok $? "the error is bad's"
printf '%s\n' "$errout" | grep -qE '^[0-9:]{8} slow +cancelled'
ok $? "slow is reported cancelled"
printf '%s\n' "$errout" | grep -qF '(cancelled: slow)'
ok $? "and the error lists it"
containers_gone
ok $? "no container is left"

# ---- certificates of another CA ----------------------------------------------------
other=$tmp/other
mkdir -p "$other/client"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$other/ca-key.pem" -out "$other/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder \
	-keyout "$other/client/key.pem" -out "$other/client.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$other/client.ext"
openssl x509 -req -in "$other/client.csr" -CA "$other/ca.pem" -CAkey "$other/ca-key.pem" \
	-CAcreateserial -days 2 -extfile "$other/client.ext" -out "$other/client/cert.pem" 2>/dev/null
cp "$eng/client/ca.pem" "$other/client/ca.pem"
stackfile "$dockerd_port" "$other/client"
n=$(builds)
run_bounded build
is "$rc" 1 "a client certificate from another CA: refused"
printf '%s\n' "$errout" | grep -qiE 'certificate|refused'
ok $? "saying why: $(last)"
is "$(builds)" "$n" "nothing reached the engine's API"

# A server whose certificate is from another CA (it trusts ours).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$other/srv-key.pem" -out "$other/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$other/srv.ext"
openssl x509 -req -in "$other/srv.csr" -CA "$other/ca.pem" -CAkey "$other/ca-key.pem" \
	-CAcreateserial -days 2 -extfile "$other/srv.ext" -out "$other/srv.pem" 2>/dev/null
dirs+=("$tmp/d2")
if dockerd_start "$tmp/d2" "$eng/server/ca.pem" "$other/srv.pem" "$other/srv-key.pem" 2>"$tmp/d2.err"; then
	stackfile "$dockerd_port"
	run_bounded build
	is "$rc" 1 "a server certificate from another CA: refused"
	printf '%s\n' "$errout" | grep -qiE 'certificate'
	ok $? "with a message on its certificate: $(last)"
	dockerd_stop "$tmp/d2"
else
	skip "a second dockerd does not start: $(tr '\n' ' ' <"$tmp/d2.err")"
	skip "(same)"
fi
dockerd_port=$(cat "$tmp/d/port")
dockerd_sock=$tmp/d/docker.sock

# status with the engine unreachable says so and still exits 0.
stackfile "$((dockerd_port == 65535 ? 65534 : dockerd_port + 1))"
run_bounded status
is "$rc" 0 "status with an engine that does not answer exits 0"
printf '%s\n' "$out" | grep -qE '^build +engine tcp://127\.0\.0\.1:[0-9]+ not reached: '
ok $? "and says the engine is not reached: $(printf '%s\n' "$out" | grep '^build')"
printf '%s\n' "$out" | grep -qE '^image +app ftboot/app:[0-9a-f]{12}, unknown$'
ok $? "each image's state unknown"

# ---- what sits where a log goes ------------------------------------------------------
stackfile "$dockerd_port"
app_dockerfile
log=$FTBOOT_STATE_DIR/bt/builds/app.log
rm -f "$log" && mkfifo "$log"
echo v3 >srcs/app/app.txt
run_bounded build app
is "$rc" 0 "a FIFO where app's log goes: the build goes on: $(last)"
[ -f "$log" ] && [ ! -p "$log" ] && grep -q '^Step 1/' "$log"
ok $? "the FIFO is replaced by the log, never opened"
rm -f "$log" && mkdir "$log"
echo v4 >srcs/app/app.txt
run_bounded build app
is "$rc" 1 "a directory where app's log goes: the build fails"
printf '%s\n' "$errout" | grep -qF "cannot replace the build log '$log'"
ok $? "naming the log: $(last)"
rmdir "$log"

# ---- down: the stack's images, only them ---------------------------------------------
mkdir -p "$tmp/unrelated"
printf 'FROM scratch\nCOPY f /f\n' >"$tmp/unrelated/Dockerfile"
echo f >"$tmp/unrelated/f"
DOCKER_BUILDKIT=0 dk build -q -t unrelated/thing:1 "$tmp/unrelated" >/dev/null 2>&1
dk tag ftboot/base:latest mine/base:kept
run_bounded down
is "$rc" 0 "down: $(last)"
is "$(dk images --format '{{.Repository}}' | grep -c '^ftboot/')" 0 "no ftboot/ image of the stack is left"
dk image inspect unrelated/thing:1 >/dev/null 2>&1
ok $? "an unrelated image is still there"
dk image inspect mine/base:kept >/dev/null 2>&1
ok $? "a tag the user gave one of its images keeps that image"
[ ! -e "$FTBOOT_STATE_DIR/bt" ]
ok $? "the state is gone"
done_testing
