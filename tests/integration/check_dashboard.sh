#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check --only E13` (the dashboard kind) through the real
# binary against a copy of the repository's stack with the repository's
# srcs/checks.yaml: the Kubernetes API test double (tests/servers/kube.sh) as
# the stack's external cluster, holding the dashboard's namespace, the
# manifest's Service kubernetes-dashboard (the double answers its service
# proxy as the dashboard's login API) and the stack's account; Debian's
# nginx with a self-signed certificate on a free loopback port standing for
# the dashboard's LoadBalancer (values.dashboard_port).
# Passes; fails with the LB endpoint down and with the token refused (the
# account missing). Checked beside: the LB request carries no credential,
# the login goes through the proxy with ftboot's own credentials, no token
# reaches any output.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/kube.sh
. "$FTBOOT_TOP/tests/servers/kube.sh"
# shellcheck source=../servers/httpd.sh
. "$FTBOOT_TOP/tests/servers/httpd.sh"
# shellcheck source=../stack/_dashboard.sh
. "$FTBOOT_TOP/tests/stack/_dashboard.sh"
scratch
py=/usr/bin/python3
$py -c 'import yaml' 2>/dev/null || skip_all "needs /usr/bin/python3 with python3-yaml (tests/deps.sh test)"
command -v nginx >/dev/null || skip_all "needs nginx for the dashboard's LB stand-in (tests/deps.sh test)"
command -v openssl >/dev/null || skip_all "needs openssl (tests/deps.sh test)"
kd=$tmp/kube hd=$tmp/lb
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	kube_stop "$kd" >/dev/null 2>&1
	httpd_stop "$hd/run" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/proj"
kube_start "$kd" --auto-ready || skip_all "the API test double does not start"

# The LB stand-in (_dashboard.sh): TLS with a certificate nobody pinned,
# a log of each request's Authorization and Cookie headers.
dashlb_start "$hd" || skip_all "the dashboard's LB stand-in does not start"

# The stack: the repository's, its cluster the double, its dashboard port the stand-in's.
cp -r "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$tmp/proj/"
read -r ns account < <($py -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1])).get("dashboard") or {}
print(d.get("namespace", "kubernetes-dashboard"), d.get("account", "ftboot-admin"))' "$tmp/proj/srcs/stack.yaml")
$py - "$tmp/proj/srcs/stack.yaml" "$kd/kubeconfig" "$lb_port" <<'EOF'
import re, sys
p, kc, port = sys.argv[1:]
s = open(p).read()
s = re.sub(r"(?m)^  dashboard_port: \d+", "  dashboard_port: " + port, s)
s += "\ncluster: {kubeconfig: '%s'}\n" % kc
open(p, "w").write(s)
EOF
ok $? "the stack copy: cluster the API double, dashboard_port $lb_port"
stack=$tmp/proj/srcs/stack.yaml

# The cluster's objects: the namespace, the manifest's Service, the account.
is "$(kapi POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}")" 201 \
	"namespace $ns"
is "$(kapi POST "/api/v1/namespaces/$ns/services" '{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes-dashboard"},"spec":{"ports":[{"port":443,"targetPort":8443}],"selector":{"k8s-app":"kubernetes-dashboard"}}}')" 201 \
	"the manifest's Service kubernetes-dashboard"
is "$(kapi POST "/api/v1/namespaces/$ns/serviceaccounts" "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"$account\"}}")" 201 \
	"the stack's account $account"
# The double refuses, as the dashboard does, a token it did not issue.
is "$(kapi POST "/api/v1/namespaces/$ns/services/https:kubernetes-dashboard:443/proxy/api/v1/login" '{"token":"eyJub3QiOiJpc3N1ZWQifQ.e30.c2ln"}')" 401 \
	"the double's login API refuses a token it did not issue"

check() { # check [FLAGS]: E13 against the copy
	run_ftboot -f "$stack" check --address 127.0.0.1 --only E13 "$@"
}

check
is "$rc" 0 "E13 passes: $(head -c 600 <<<"$out$errout")"
like_out() { grep -qF -- "$1" <<<"$out"; }
like_out "E13 pass"
ok $? "  reported as a pass"
check --json
is "$rc" 0 "  --json too"
ev=$($py -c 'import json,sys; d=json.load(sys.stdin)
r=[c for c in d["checks"] if c["id"]=="E13"][0]
print("\n".join(r.get("evidence") or []) if isinstance(r.get("evidence"), list) else r.get("evidence", ""))' <<<"$out" 2>&1)
grep -q "GET https://127.0.0.1:$lb_port/ -> 200 .*TLS NOT verified.*no credential sent" <<<"$ev"
ok $? "  its evidence says the LB request was unverified and sent no credential: $(head -c 300 <<<"$ev")"
grep -qF "proxy/api/v1/login (through the API server's service proxy) -> jweToken present, no errors" <<<"$ev"
ok $? "  and that the login API gave a jweToken and no errors"
# No token (a JWT or the dashboard's JWE starts with base64 of '{"': eyJ) in any output.
is "$(grep -c 'eyJ' <<<"$out$errout")" 0 "  no token in the JSON output"
check
is "$(grep -c 'eyJ' <<<"$out$errout")" 0 "  nor in the plain output"
n=$(grep -c . "$hd/run/auth.log")
[ "$n" -gt 0 ] && [ "$(grep -c 'auth=\[-\] cookie=\[-\]' "$hd/run/auth.log")" -eq "$n" ]
ok $? "the LB requests ($n) carried no Authorization and no cookie"
login=$($py - "$kd/requests.log" "$ns" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"].endswith("/proxy/api/v1/login") and r["user"] != "" and "kubernetes-dashboard:443" in r["path"]:
        last = "%s %s %d %s" % (r["method"], r["path"], r["status"], r["user"])
print(last)
EOF
)
is "$login" "POST /api/v1/namespaces/$ns/services/https:kubernetes-dashboard:443/proxy/api/v1/login 200 ftboot-test-admin" \
	"the login went through the API server's service proxy with ftboot's own credential"

# Fail: the LB endpoint down.
httpd_stop "$hd/run"
check
is "$rc" 1 "the LB endpoint down: E13 fails"
like_out "E13 fail" && like_out "expected: the dashboard answering over HTTPS" &&
	like_out "127.0.0.1 port $lb_port: Connection refused"
ok $? "  saying what it expected and what it saw: $(head -c 400 <<<"$out")"
httpd_start "$hd/www" "$hd/run" >/dev/null || { ok 1 "nginx restarts"; done_testing; }
$py - "$stack" "$httpd_port" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
open(sys.argv[1], "w").write(re.sub(r"(?m)^  dashboard_port: \d+", "  dashboard_port: " + sys.argv[2], s))
EOF
check
is "$rc" 0 "the LB back (port $httpd_port): E13 passes again"

# Fail: the token refused (the account missing).
is "$(kapi DELETE "/api/v1/namespaces/$ns/serviceaccounts/$account")" 200 "the account deleted"
check
is "$rc" 1 "the account missing: E13 fails"
like_out "E13 fail" && like_out "expected: a login token for the dashboard's account" &&
	like_out "ServiceAccount"
ok $? "  the token refused, naming the account: $(head -c 500 <<<"$out")"
is "$(grep -c 'eyJ' <<<"$out$errout")" 0 "  no token in its output"
done_testing
