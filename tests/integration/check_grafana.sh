#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: `ftboot check --only E10` (the grafana kind) through the real
# binary against a copy of the repository's stack with the repository's
# srcs/checks.yaml, and the Grafana test double (tests/servers/grafana.sh:
# started by the copy's srcs/grafana/entrypoint.sh, reading its grafana.ini,
# its provisioning files and the dashboards its dashboards.sh writes) with
# the state's generated admin password, on a free loopback port
# (port.grafana.http of the copy).
# Passes; fails with a wrong password (Grafana kept an earlier one), the
# data source unhealthy, a service's dashboard missing, a query without
# points. Checked beside: basic auth as the stack's admin, the password in
# no output.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../servers/grafana.sh
. "$FTBOOT_TOP/tests/servers/grafana.sh"
scratch
py=/usr/bin/python3
[ -x $py ] || skip_all "needs /usr/bin/python3"
command -v setsid >/dev/null || skip_all "needs setsid (util-linux)"
gd=$tmp/grafana
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	grafana_stop "$gd" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/proj"
cp -r "$FTBOOT_TOP/srcs" "$FTBOOT_TOP/templates" "$FTBOOT_TOP/setup.sh" "$tmp/proj/"
stack=$tmp/proj/srcs/stack.yaml
run_ftboot -f "$stack" render --show-secrets
[ "$rc" -eq 0 ] || skip_all "ftboot render does not make the state's secrets: $errout"
pw=$(cat "$FTBOOT_STATE_DIR/ft/secrets/grafana_admin_password") || skip_all "no grafana_admin_password in the state"
user=$($py -c 'import re,sys; print(re.search(r"(?m)^  grafana_admin_user: (\S+)", open(sys.argv[1]).read()).group(1))' "$stack")

start() { # start PASSWORD: the double, and the copy's grafana port set to its
	GRAFANA_ADMIN_USER=$user GRAFANA_ADMIN_PASSWORD=$1 grafana_start "$gd" "$tmp/proj/srcs/grafana" || return 1
	$py - "$stack" "$grafana_port" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
s, n = re.subn(r"(?m)^(  grafana:\n    ports: \{http: )\d+\}", r"\g<1>%s}" % sys.argv[2], s)
assert n == 1, "no grafana port in the stack"
open(sys.argv[1], "w").write(s)
EOF
}
start "$pw" || skip_all "the Grafana double does not start (tests/servers/grafana.sh)"
ok 0 "the double started by the copy's srcs/grafana/entrypoint.sh on port $grafana_port"
is "$(find "$gd/dashboards" -name '*.json' | wc -l)" 8 "  the entry point wrote one dashboard per service (8)"

check() { # check [FLAGS]: E10 against the copy
	run_ftboot -f "$stack" check --address 127.0.0.1 --only E10 "$@"
}
like_out() { grep -qF -- "$1" <<<"$out"; }
no_secret() { # no_secret NAME: the password in none of out/errout
	! grep -qF -- "$pw" <<<"$out$errout"
	ok $? "  $1: the admin password in no output"
}

check
is "$rc" 0 "E10 passes: $(head -c 600 <<<"$out$errout")"
like_out "E10 pass"
ok $? "  reported as a pass"
no_secret plain
check --json
is "$rc" 0 "  --json too"
no_secret json
ev=$($py -c 'import json,sys; d=json.load(sys.stdin)
r=[c for c in d["checks"] if c["id"]=="E10"][0]
e=r.get("evidence") or ""
print("\n".join(e) if isinstance(e, list) else e)' <<<"$out" 2>&1)
grep -qF "data source 'InfluxDB': type influxdb, uid influxdb" <<<"$ev"
ok $? "  the evidence names the provisioned data source: $(head -c 400 <<<"$ev")"
# Every panel of every dashboard: the panels with a query in the template.
npanels=$($py -c 'import json,sys; print(sum(1 for p in json.load(open(sys.argv[1]))["panels"] if p.get("targets")))' \
	"$FTBOOT_TOP/srcs/grafana/dashboard.json")
is "$(grep -c '/api/ds/query (dashboard ft-.*[1-9][0-9]* points' <<<"$ev")" $((8 * npanels)) \
	"  one query with points per panel ($npanels) of each of the 8 dashboards"
for p in CPU Memory Restarts; do
	grep -q "/api/ds/query (dashboard ft-ftps, panel '$p'" <<<"$ev"
	ok $? "  ftps's panel '$p' queried"
done
calls=$(grafana_ctl "$gd" GET /log | $py -c 'import json,sys
log = json.load(sys.stdin)
print(len(log), sorted({(r["user"], r["status"]) for r in log}))')
per_run=$((3 + 8 + 8 * npanels)) # data sources, health, search; 8 dashboards; their panels
is "$calls" "$((2 * per_run)) [('$user', 200)]" \
	"  $((2 * per_run)) API calls (two runs of $per_run), each with basic auth as '$user', each 200"

variant() { # variant CONTROL NAME EXPECTED SEEN: the double set so, E10 fails saying so
	grafana_ctl "$gd" POST /control "$1" >/dev/null
	check
	is "$rc" 1 "$2: E10 fails"
	like_out "expected: $3" && like_out "seen: $4"
	ok $? "  saying so: $(head -c 500 <<<"$out")"
}
variant '{"healthy": false}' "the data source unhealthy" "data source health OK" \
	"400 ERROR: error performing influxQL query"
variant '{"healthy": true, "drop": ["ft-ftps"]}' "the ftps dashboard missing" \
	"one dashboard per service" "ftps"
variant '{"drop": [], "points": false}' "no points" "at least one point over the last hour" \
	"no point"
# One panel without data, not the first: restarts never written (Telegraf's
# kube_inventory input not running), the other panels' series there.
variant '{"points": true, "unwritten": ["kubernetes_pod_container"]}' "no restart counts" \
	"at least one point over the last hour" "no point"
like_out "panel 'Restarts' of dashboard 'ft-"
ok $? "  naming the panel: $(grep -m1 -o "panel 'Restarts'[^:]*" <<<"$out")"
grafana_ctl "$gd" POST /control '{"unwritten": []}' >/dev/null
check
is "$rc" 0 "the controls back: E10 passes again"

# Panels beyond the template's: a collapsed row's own panel (queried), and
# a panel whose only target is hidden (not queried: Grafana's InfluxDB data
# source leaves hidden targets out of a panel's request).
extra_panels() { # extra_panels HIDE(true|false): the copy's template with both
	grafana_stop "$gd"
	cp "$tmp/dashboard.json.orig" "$tmp/proj/srcs/grafana/dashboard.json"
	$py - "$tmp/proj/srcs/grafana/dashboard.json" "$1" <<'EOF'
import json, sys
p, hide = sys.argv[1], sys.argv[2] == "true"
d = json.load(open(p))
ds = {"type": "influxdb", "uid": "influxdb"}
def target(m, **kw):
    return dict(refId="A", datasource=ds, rawQuery=True, resultFormat="time_series",
                query='SELECT count("v") FROM "%s" WHERE $timeFilter GROUP BY time($__interval)' % m, **kw)
d["panels"].append({"id": 90, "type": "timeseries", "title": "Hidden", "datasource": ds,
                    "targets": [target("never_written", hide=hide)]})
d["panels"].append({"id": 91, "type": "row", "title": "More", "collapsed": True, "panels": [
    {"id": 92, "type": "timeseries", "title": "Nested", "datasource": ds,
     "targets": [target("nested_series")]}]})
json.dump(d, open(p, "w"), indent=2)
EOF
	start "$pw"
}
cp "$tmp/proj/srcs/grafana/dashboard.json" "$tmp/dashboard.json.orig"
if extra_panels true; then
	grafana_ctl "$gd" POST /control '{"unwritten": ["never_written"]}' >/dev/null
	check --json
	is "$rc" 0 "a hidden target without data and a row's panel with: E10 passes"
	grep -q "panel 'Hidden'" <<<"$out"
	is "$?" 1 "  the hidden target is not queried"
	grep -q "dashboard ft-nginx, panel 'Nested'" <<<"$out"
	ok $? "  the collapsed row's panel is"
	grafana_ctl "$gd" POST /control '{"unwritten": ["never_written", "nested_series"]}' >/dev/null
	check
	is "$rc" 1 "the row's panel without data: E10 fails"
	like_out "panel 'Nested' of dashboard 'ft-"
	ok $? "  naming it"
else
	ok 1 "the double restarts with the extra panels"
fi
if extra_panels false; then
	grafana_ctl "$gd" POST /control '{"unwritten": ["never_written"]}' >/dev/null
	check
	is "$rc" 1 "the same target shown: E10 fails"
	like_out "panel 'Hidden' of dashboard 'ft-"
	ok $? "  naming its panel"
else
	ok 1 "the double restarts with the target shown"
fi
cp "$tmp/dashboard.json.orig" "$tmp/proj/srcs/grafana/dashboard.json"

# Fail: Grafana kept another password (its database from an earlier install).
grafana_stop "$gd"
start "not-the-state-password" || { ok 1 "the double restarts"; done_testing; }
check
is "$rc" 1 "a wrong password: E10 fails"
like_out "expected: login accepted" && like_out "seen: Invalid username or password"
ok $? "  with Grafana's 401 message: $(head -c 500 <<<"$out")"
no_secret "the refused login"
is "$(grafana_ctl "$gd" GET /log | $py -c 'import json,sys; print([(r["path"], r["status"]) for r in json.load(sys.stdin)])')" \
	"[('/api/datasources', 401)]" "  and it stopped at the login"
done_testing
