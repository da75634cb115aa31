#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: ftboot render through the real binary: golden output,
# determinism, --out, secrets and their permissions, stack discovery.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
fix="$FTBOOT_TOP/tests/fixtures/render"

# Golden: the fixture's output, byte for byte, but for the image's content
# hash (tested below on its own: format, stability, what changes it).
unhash() { sed -E 's|(ftboot/[a-z0-9-]+):[0-9a-f]{12}$|\1:<hash12>|'; }
cd "$fix/basic" || exit 1
run_ftboot render
is "$rc" 0 "golden fixture renders"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then printf '%s\n' "$out" | unhash >"$fix/basic/expected.yaml"; fi
diff <(printf '%s\n' "$out" | unhash) "$fix/basic/expected.yaml" >"$tmp/diff"; st=$?
ok $st "output matches tests/fixtures/render/basic/expected.yaml"
[ $st -eq 0 ] || sed 's/^/#   /' "$tmp/diff" | head -30

# ${image.web}: ftboot/web:<12 hex digits of the context's hash>, stable,
# changed by a context file or the base's, not by an ignored file or mtimes.
mkdir -p "$tmp/img"
cp -R "$fix/basic/srcs" "$fix/basic/templates" "$tmp/img/"
tag_of() { (cd "$tmp/img" && "$FTBOOT" render 2>&1) | sed -n 's/^ *image: //p'; }
tag0=$(tag_of)
[[ "$tag0" =~ ^ftboot/web:[0-9a-f]{12}$ ]]; ok $? "image tag format: $tag0"
is "$(tag_of)" "$tag0" "the same tag on a second run"
is "$(printf '%s\n' "$out" | sed -n 's/^ *image: //p')" "$tag0" "the same tag for a copy of the context"
echo changed >"$tmp/img/srcs/web/notes.txt"
is "$(tag_of)" "$tag0" "an ignored file (.dockerignore) does not change the tag"
touch -d '2001-01-01 00:00' "$tmp/img/srcs/web/index.html" "$tmp/img/srcs/web" "$tmp/img/srcs/agent/agent.conf"
is "$(tag_of)" "$tag0" "mtimes do not change the tag"
echo '<h1>changed</h1>' >"$tmp/img/srcs/web/index.html"
tag1=$(tag_of)
[ "$tag1" != "$tag0" ] && [[ "$tag1" =~ ^ftboot/web:[0-9a-f]{12}$ ]]; ok $? "a changed context file changes the tag ($tag1)"
cp "$fix/basic/srcs/web/index.html" "$tmp/img/srcs/web/"
is "$(tag_of)" "$tag0" "and putting it back gives the first tag"
echo 'interval = 20s' >"$tmp/img/srcs/agent/agent.conf"
[ "$(tag_of)" != "$tag0" ]; ok $? "a change in the base (ftboot/agent) changes the tag of the image on it"
cp "$fix/basic/srcs/agent/agent.conf" "$tmp/img/srcs/agent/"
rm -r "$tmp/img/srcs/db"
(cd "$tmp/img" && "$FTBOOT" render >/dev/null 2>"$tmp/e"); is $? 1 "a missing build context: exit 1"
is "$(cat "$tmp/e")" "ftboot: service 'db': no Dockerfile in 'srcs/db' (each service is built from srcs/<service>/Dockerfile)" \
	"and the message names the service and the directory"

# The rendered stream parses as YAML in another reader too.
py=/usr/bin/python3  # Debian's, with python3-yaml (tests/deps.sh)
if [ -x $py ] && $py -c 'import yaml' 2>/dev/null; then
	printf '%s\n' "$out" | $py -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
assert all("apiVersion" in d and "kind" in d and d["metadata"]["name"] for d in docs)
env = {e["name"]: e["value"] for e in docs[1]["spec"]["template"]["spec"]["containers"][0]["env"]}
assert env["MOTD"] == "key: value # not a comment\n- not a list\n'"'"'quoted'"'"' \"double\"", env["MOTD"]
assert env["YES"] == "yes" and env["MODE"] == "0755" and env["COUNT"] == "3"
print(len(docs))' >"$tmp/py" 2>&1
	is "$(cat "$tmp/py")" 4 "PyYAML (YAML 1.1) reads the same 4 manifests and values"
else
	skip "PyYAML is not installed (python3-yaml): no second reader"
fi

# Secrets are not printed unless asked, and not created either.
printf '%s\n' "$out" | grep -q 'value: <secret:db_password>'; ok $? "secret shown as <secret:db_password>"
[ ! -e "$FTBOOT_STATE_DIR" ]; ok $? "render without --show-secrets creates no state"

run_ftboot render --show-secrets
is "$rc" 0 "render --show-secrets"
pw=$(printf '%s\n' "$out" | sed -n '/name: DB_PASSWORD/{n;s/ *value: //p}')
[[ "$pw" =~ ^[A-Za-z0-9]{24}$ ]]; ok $? "a generated 24-character secret is substituted"
is "$(stat -c %a "$FTBOOT_STATE_DIR/golden")" 700 "state directory is 0700"
is "$(stat -c %a "$FTBOOT_STATE_DIR/golden/secrets/db_password")" 600 "secret file is 0600"
is "$(cat "$FTBOOT_STATE_DIR/golden/secrets/db_password")" "$pw" "the file holds the value used"
run_ftboot render --show-secrets
pw2=$(printf '%s\n' "$out" | sed -n '/name: DB_PASSWORD/{n;s/ *value: //p}')
is "$pw2" "$pw" "the secret is kept across runs"

# A template that cannot render: --show-secrets fails before any secret is made.
mkdir -p "$tmp/broken"
cp -R "$fix/basic/srcs" "$fix/basic/templates" "$tmp/broken/"
# shellcheck disable=SC2016 # a literal ${nope} placeholder
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "${nope}"}\n' \
	>"$tmp/broken/templates/30-bad.yaml"
(cd "$tmp/broken" && FTBOOT_STATE_DIR="$tmp/state-broken" "$FTBOOT" render --show-secrets \
	>/dev/null 2>"$tmp/e"); is $? 1 "render --show-secrets with a broken template: exit 1"
grep -q "30-bad.yaml:4:.*nope" "$tmp/e"; ok $? "the broken template is named: $(cat "$tmp/e")"
is "$(find "$tmp/state-broken" -path '*/secrets/*' 2>/dev/null | wc -l)" 0 \
	"no secret was generated for a render that failed"
is "$(find "$tmp/state-broken" -path '*/service*' 2>/dev/null | wc -l)" 0 \
	"nor a service key (certificate, host key)"

# --out DIR: one file per template, private.
run_ftboot render --out "$tmp/out"
is "$rc" 0 "render --out"
is "$(cd "$tmp/out" && printf '%s ' *)" "10-web.yaml 20-ftp.yaml " "one file per template"
is "$(stat -c %a "$tmp/out/10-web.yaml")" 600 "rendered files are 0600"
cat "$tmp/out"/*.yaml >"$tmp/joined"
diff -q <(unhash <"$tmp/joined") "$fix/basic/expected.yaml" >/dev/null; ok $? "files joined equal the stream"

# The project's own stack: renders, deterministic, from any subdirectory, and
# with -f. In a scratch copy whose services have minimal build contexts where
# the project has none yet.
mkdir -p "$tmp/proj"
cp -R "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$tmp/proj/"
for s in nginx wordpress mysql phpmyadmin ftps grafana influxdb telegraf; do
	[ -e "$tmp/proj/srcs/$s/Dockerfile" ] && continue
	mkdir -p "$tmp/proj/srcs/$s" && printf 'FROM scratch\n' >"$tmp/proj/srcs/$s/Dockerfile"
done
cd "$tmp/proj" || exit 1
run_ftboot render
is "$rc" 0 "the project's stack renders: $errout"
first=$out
run_ftboot render
is "$out" "$first" "two runs print identical bytes"
kinds=$(printf '%s\n' "$first" | sed -n 's/^kind: //p' | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
is "$kinds" "1 ClusterRoleBinding, 8 Deployment, 2 PersistentVolumeClaim, 1 Role, 1 RoleBinding, 3 Secret, 8 Service, 2 ServiceAccount" \
	"the manifests: a Deployment per service, a Service per service but telegraf and the dashboard's, the databases' PVCs, the Secrets (generated secrets, TLS, SSH host key), telegraf's and the dashboard's accounts and bindings"
for s in nginx wordpress mysql phpmyadmin ftps grafana influxdb telegraf; do
	printf '%s\n' "$first" | grep -q "^  name: $s\$"; ok $? "R2: manifests for $s"
done
! printf '%s\n' "$first" | grep -q 'NodePort'; ok $? "R15: no NodePort anywhere"
(cd srcs && "$FTBOOT" render >"$tmp/sub") ; ok $? "render from srcs/ finds the stack upward"
diff -q "$tmp/sub" <(printf '%s\n' "$first") >/dev/null; ok $? "same output from a subdirectory"
(cd "$tmp" && "$FTBOOT" -f "$tmp/proj/srcs/stack.yaml" render >"$tmp/f"); ok $? "-f FILE from elsewhere"
diff -q "$tmp/f" <(printf '%s\n' "$first") >/dev/null; ok $? "same output with -f"
for s in nginx wordpress mysql phpmyadmin ftps grafana influxdb telegraf; do
	printf '%s\n' "$first" | grep -Eq "^ +image: ftboot/$s:[0-9a-f]{12}\$"; ok $? "the $s container runs ftboot/$s:<hash12>"
done
# The service keys (svckeys.h): placeholders without --show-secrets, the
# state's own texts with it, made once for the stack's LB address.
keys_of() { # MANIFESTS STATE_SERVICE_DIR: one line per key, "NAME same|placeholder|other"
	$py - "$1" "$2" <<'EOF'
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
sec = {d["metadata"]["name"]: d.get("stringData") or {} for d in docs if d["kind"] == "Secret"}
for s, k, f in (("ft-tls", "tls.crt", "tls-cert.pem"), ("ft-tls", "tls.key", "tls-key.pem"),
                ("ft-ssh-host-key", "ssh_host_ed25519_key", "ssh_host_ed25519_key"),
                ("ft-ssh-host-key", "ssh_host_ed25519_key.pub", "ssh_host_ed25519_key.pub")):
    v = sec[s][k]
    p = os.path.join(sys.argv[2], f)
    same = os.path.exists(p) and open(p).read() == v
    print(k, "same" if same else "placeholder:" + v if v.startswith("<secret:") else "other")
EOF
}
printf '%s\n' "$first" >"$tmp/plain.yaml"
is "$(keys_of "$tmp/plain.yaml" "$tmp/none" | tr '\n' ' ')" \
	"tls.crt placeholder:<secret:tls.cert> tls.key placeholder:<secret:tls.key> ssh_host_ed25519_key placeholder:<secret:ssh_host_key> ssh_host_ed25519_key.pub placeholder:<secret:ssh_host_key_pub> " \
	"render without --show-secrets: the service keys are placeholders"
! grep -qE 'BEGIN|ssh-ed25519' "$tmp/plain.yaml"; ok $? "  no PEM block nor key line anywhere in its output"
sdir=$tmp/state-proj
(FTBOOT_STATE_DIR=$sdir "$FTBOOT" render --show-secrets >"$tmp/shown.yaml" 2>"$tmp/e"); is $? 0 "render --show-secrets of the project's stack"
svc=$sdir/ft/service
is "$(keys_of "$tmp/shown.yaml" "$svc" | tr '\n' ' ')" \
	"tls.crt same tls.key same ssh_host_ed25519_key same ssh_host_ed25519_key.pub same " \
	"  the Secrets hold the state's certificate, key, host key and its public line"
is "$(stat -c %a "$svc" "$svc"/* | sort -u | tr '\n' ' ')" "600 700 " "  in a 0700 directory, 0600 files"
lb=$(sed -n 's/^ *lb_address: *\([0-9.]*\).*/\1/p' srcs/stack.yaml)
openssl x509 -in "$svc/tls-cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$lb\$"
ok $? "  the certificate names the stack's LB address $lb"
! grep -q 'PRIVATE KEY' "$tmp/e"; ok $? "  nothing of a key on stderr"
(FTBOOT_STATE_DIR=$sdir "$FTBOOT" render --show-secrets >"$tmp/shown2.yaml" 2>/dev/null)
cmp -s "$tmp/shown.yaml" "$tmp/shown2.yaml"; ok $? "a second --show-secrets: the same bytes (the keys are kept)"
(FTBOOT_STATE_DIR=$sdir "$FTBOOT" render >"$tmp/plain2.yaml" 2>/dev/null)
is "$(keys_of "$tmp/plain2.yaml" "$svc" | cut -d: -f1 | tr '\n' ' ')" \
	"tls.crt placeholder tls.key placeholder ssh_host_ed25519_key placeholder ssh_host_ed25519_key.pub placeholder " \
	"render without --show-secrets, the keys made: still placeholders"
! grep -qE 'BEGIN|ssh-ed25519' "$tmp/plain2.yaml"; ok $? "  and still no key in its output"

(cd "$tmp" && "$FTBOOT" render 2>"$tmp/e"); is $? 1 "no stack found: exit 1"
grep -q "no stack found: looked for srcs/stack.yaml in '$tmp' and its parents" "$tmp/e"; ok $? "and says where it looked"

done_testing
