#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot docker-env`. Each shell's output is eval'd by that
# shell (bash, sh = dash, and zsh and fish where installed) and the
# docker CLI (Debian's /usr/bin/docker) then reaches a real dockerd
# (tests/servers/dockerd.sh) started with the server certificates that
# docker-env made (an external engine on ftboot's PKI), from a state
# directory whose path holds a space, ', ", $ and a newline. Also: --unset,
# the VM's engine when the VM is not up (plainly said, nothing created),
# cert_path (each file checked), a unix:// engine (no TLS variables), a
# bad --shell, and `down` removing the certificates with the state.
# shellcheck disable=SC2016 # the shells under test expand what is quoted here
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/dockerd.sh
. "$FTBOOT_TOP/tests/servers/dockerd.sh"
scratch
DOCKER=$(dockerd_cli)
shells=(bash sh)
for s in zsh fish; do command -v "$s" >/dev/null && shells+=("$s"); done

mkdir -p "$tmp/proj/srcs"
cd "$tmp/proj" || exit 1
stackfile() { # stackfile [ENGINE-YAML]
	{
		echo "name: de"
		[ -z "${1:-}" ] || echo "engine: $1"
		echo "services: {a: {}}"
	} >srcs/stack.yaml
}

# ---- the VM's engine, not up ------------------------------------------------
stackfile
run_ftboot docker-env
is "$rc" 1 "docker-env with no VM exits 1"
is "$errout" "ftboot: the VM of stack 'de' is not up; run 'ftboot up' first" "and says so plainly"
is "$out" "" "and prints nothing on stdout"
[ ! -e "$FTBOOT_STATE_DIR/de" ]; ok $? "and creates no state"
mkdir -p "$FTBOOT_STATE_DIR/de" && chmod 700 "$FTBOOT_STATE_DIR" "$FTBOOT_STATE_DIR/de"
printf '+\tdomain\tftboot-de\t\n' >"$FTBOOT_STATE_DIR/de/journal"
run_ftboot docker-env
is "$rc" 1 "a domain recorded but no certificates: exits 1"
is "$errout" "ftboot: the VM of stack 'de' is not up (its engine's certificates are not made yet); run 'ftboot up' first" \
	"and says the VM is not up"
[ ! -e "$FTBOOT_STATE_DIR/de/engine" ]; ok $? "and makes no certificates"
rm -rf "$FTBOOT_STATE_DIR/de"

# ---- --unset and --shell ---------------------------------------------------
run_ftboot docker-env --shell csh
is "$rc" 2 "an unknown --shell is a usage error"
printf '%s\n' "$errout" | grep -qF "unknown shell 'csh'; expected bash, zsh, fish or sh"; ok $? "naming it and the choices"
for s in "${shells[@]}"; do
	run_ftboot docker-env --unset --shell "$s"
	is "$rc" 0 "--unset --shell $s exits 0"
	case $s in
	fish) got=$(printf '%s\n' "$out" | fish -c 'set -gx DOCKER_HOST x; set -gx DOCKER_TLS_VERIFY 1; set -gx DOCKER_CERT_PATH y; set -gx FTBOOT_ACTIVE_DOCKERD de; source; set -q DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH FTBOOT_ACTIVE_DOCKERD; echo $status' 2>&1) ;;
	*) got=$(DOCKER_HOST=x DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=y FTBOOT_ACTIVE_DOCKERD=de \
		"$s" -c 'eval "$1"; echo "${DOCKER_HOST-u}${DOCKER_TLS_VERIFY-u}${DOCKER_CERT_PATH-u}${FTBOOT_ACTIVE_DOCKERD-u}"' x "$out" 2>&1) ;;
	esac
	want=uuuu
	[ "$s" = fish ] && want=4 # set -q: how many were not set
	is "$got" "$want" "$s: --unset's lines unset all four variables"
done
printf '%s\n' "$out" | grep -qx "# To stop pointing your shell to ftboot's docker engine, run:"; ok $? "--unset prints its hint"
SHELL=/usr/bin/fish run_ftboot docker-env --unset
printf '%s\n' "$out" | head -1 | grep -qx 'set -e DOCKER_TLS_VERIFY;'; ok $? "SHELL=.../fish picks fish"
SHELL=/bin/dash run_ftboot docker-env --unset
printf '%s\n' "$out" | head -1 | grep -qx 'unset DOCKER_TLS_VERIFY'; ok $? "SHELL=/bin/dash picks sh"
SHELL='' run_ftboot docker-env --unset
printf '%s\n' "$out" | head -1 | grep -qx 'unset DOCKER_TLS_VERIFY'; ok $? "no SHELL: bash"

# ---- an external engine on ftboot's PKI -----------------------------------
# A state directory whose path needs quoting in every shell.
weird="$tmp/st a'b\"c\$d
e"
export FTBOOT_STATE_DIR="$weird"
mkdir -p "$weird" && chmod 700 "$weird"
port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
stackfile "{host: 'tcp://127.0.0.1:$port'}"
# The PKI is made under the stack's lock: with another holder, docker-env waits for nobody.
mkdir -p "$weird/de" && chmod 700 "$weird/de" && : >"$weird/de/lock" && chmod 600 "$weird/de/lock"
flock -n "$weird/de/lock" "$FTBOOT" docker-env >/dev/null 2>"$tmp/busy.err"
is "$?" 4 "with the lock held and no PKI yet, docker-env is refused as busy"
[ ! -e "$weird/de/engine" ]; ok $? "and makes nothing: $(head -c 200 "$tmp/busy.err")"
run_ftboot docker-env --shell bash
is "$rc" 0 "docker-env for an external engine on ftboot's PKI: $errout"
eng=$weird/de/engine
for f in client/ca.pem client/cert.pem client/key.pem server/ca.pem server/cert.pem server/key.pem; do
	[ -f "$eng/$f" ]; ok $? "it made engine/$f"
done
is "$(stat -c %a "$eng/client/key.pem")" 600 "the client key is 0600"
printf '%s\n' "$out" | grep -qx 'export DOCKER_TLS_VERIFY="1"'; ok $? "DOCKER_TLS_VERIFY=\"1\" as minikube prints it"
printf '%s\n' "$out" | grep -qx "export DOCKER_HOST=\"tcp://127.0.0.1:$port\""; ok $? "DOCKER_HOST is the stack's"
printf '%s\n' "$out" | grep -qx 'export FTBOOT_ACTIVE_DOCKERD="de"'; ok $? "FTBOOT_ACTIVE_DOCKERD names the stack"
printf '%s\n' "$out" | grep -qx "# To point your shell to ftboot's docker engine, run:"; ok $? "the hint's first line"
printf '%s\n' "$out" | grep -qxF '# eval "$(ftboot docker-env)"'; ok $? "the hint's eval line"

# A dockerd started with the server certificate docker-env made; it
# picks its own port: point the stack at it.
have_dockerd=0
if dockerd_start "$tmp/d" "$eng/server/ca.pem" "$eng/server/cert.pem" "$eng/server/key.pem" 2>"$tmp/d.err"; then
	have_dockerd=1
	port=$dockerd_port
	stackfile "{host: 'tcp://127.0.0.1:$port'}"
else
	sed 's/^/# /' "$tmp/d.err"
fi
flock -n "$weird/de/lock" "$FTBOOT" docker-env >/dev/null 2>&1
is "$?" 0 "once the PKI exists, docker-env runs beside a holder of the lock (up)"
for s in "${shells[@]}"; do
	run_ftboot docker-env --shell "$s"
	is "$rc" 0 "docker-env --shell $s exits 0"
	case $s in
	fish)
		got=$(printf '%s\n' "$out" | fish -c "source; printf '%s|%s|%s|%s' \$DOCKER_TLS_VERIFY \$DOCKER_HOST \$DOCKER_CERT_PATH \$FTBOOT_ACTIVE_DOCKERD" 2>&1)
		ver=$(printf '%s\n' "$out" | fish -c "source; $DOCKER version --format '{{.Server.Version}}'" 2>&1)
		;;
	*)
		got=$("$s" -c 'eval "$1"; printf "%s|%s|%s|%s" "$DOCKER_TLS_VERIFY" "$DOCKER_HOST" "$DOCKER_CERT_PATH" "$FTBOOT_ACTIVE_DOCKERD"' x "$out" 2>&1)
		ver=$("$s" -c 'eval "$1"; "$2" version --format "{{.Server.Version}}"' x "$out" "$DOCKER" 2>&1)
		;;
	esac
	is "$got" "1|tcp://127.0.0.1:$port|$eng/client|de" "$s: eval'd, the values come through byte for byte"
	if [ "$have_dockerd" = 1 ]; then
		printf '%s\n' "$ver" | grep -qE '^[0-9]+\.[0-9]+'; ok $? "$s: the docker CLI reaches the engine over TLS: $ver"
	else
		skip "no dockerd here"
	fi
done
if [ "$have_dockerd" = 1 ]; then
	! "$DOCKER" -H "tcp://127.0.0.1:$port" version >/dev/null 2>&1
	ok $? "and without the client certificate it does not"
	dockerd_stop "$tmp/d"
fi

# ---- cert_path: the user's own certificates -------------------------------
mkdir -p "$tmp/certs"
stackfile "{host: 'tcp://127.0.0.1:$port', cert_path: '$tmp/certs'}"
run_ftboot docker-env
is "$rc" 1 "cert_path without its files exits 1"
printf '%s\n' "$errout" | grep -qF "engine cert_path '$tmp/certs': '$tmp/certs/ca.pem' is missing; the directory must hold ca.pem, cert.pem and key.pem"
ok $? "naming the file and what the directory must hold: $errout"
cp "$eng/client/ca.pem" "$eng/client/cert.pem" "$tmp/certs/" && mkdir "$tmp/certs/key.pem"
run_ftboot docker-env
printf '%s\n' "$errout" | grep -qF "'$tmp/certs/key.pem' is a directory, not a file"; ok $? "a directory for key.pem is named: $errout"
rmdir "$tmp/certs/key.pem" && mkfifo "$tmp/certs/key.pem"
run_ftboot docker-env
printf '%s\n' "$errout" | grep -qF "'$tmp/certs/key.pem' is not a regular file"; ok $? "so is a FIFO"
rm "$tmp/certs/key.pem" && cp "$eng/client/key.pem" "$tmp/certs/"
run_ftboot docker-env --shell sh
is "$rc" 0 "cert_path with its three files: $errout"
printf '%s\n' "$out" | grep -qxF "export DOCKER_CERT_PATH=\"$tmp/certs\""; ok $? "DOCKER_CERT_PATH is that directory"

# ---- a unix:// engine: no TLS -----------------------------------------------
stackfile "{host: 'unix:///run/some docker.sock'}"
run_ftboot docker-env --shell sh
is "$rc" 0 "docker-env for a unix:// engine"
! printf '%s\n' "$out" | grep -q 'DOCKER_TLS_VERIFY\|DOCKER_CERT_PATH'; ok $? "prints no TLS variables"
got=$(sh -c 'eval "$1"; printf %s "$DOCKER_HOST"' x "$out")
is "$got" "unix:///run/some docker.sock" "and DOCKER_HOST comes through quoted"
stackfile "{host: 'ssh://127.0.0.1:22'}"
run_ftboot docker-env
is "$rc" 1 "a host that is neither tcp:// nor unix://"
printf '%s\n' "$errout" | grep -qF "expected tcp://HOST:PORT (mutual TLS) or unix:///PATH"; ok $? "says what it takes: $errout"

# ---- down: the certificates go with the state -------------------------------
stackfile "{host: 'tcp://127.0.0.1:$port'}"
[ -d "$eng" ]; ok $? "the PKI is there before down"
run_ftboot down
is "$rc" 0 "down: $errout"
[ ! -e "$eng" ] && [ ! -e "$weird/de" ]; ok $? "down removed engine/ with the state"
done_testing
