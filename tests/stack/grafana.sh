#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# grafana (R12, E10, R14): Grafana is not in Debian, so its files are
# checked, not run. The REAL srcs/grafana/entrypoint.sh runs under
# `setsid busybox sh` and writes the dashboards (dashboards.sh) as in the
# container; substituted: GRAFANA_DATA (scratch, so the dashboards land
# in it), the image's paths of grafana.ini, the provisioning directory,
# the template and dashboards.sh (the repository's files), and GRAFANA,
# a stand-in (clearly one: tests/stack/_entry.sh's ep_standin) that records the
# arguments and environment Grafana would get and sleeps like a daemon,
# for the supervision checks. The test then reads the files as Grafana
# does: grafana.ini's $__env{VAR}, the provisioning YAML's $VAR expanded
# per value after parsing, with the stand-in's environment. It checks the
# data source (InfluxDB, InfluxQL, the URL, database and user, the
# password whole and in secureJsonData), exactly one dashboard per
# service of srcs/stack.yaml (title, tag, unique uid), and that every
# query names its service's container and a measurement and tags that
# srcs/telegraf/telegraf.conf produces.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
ep_require sha256sum /usr/bin/python3
/usr/bin/python3 -c 'import tomllib, yaml' 2>/dev/null || skip_all "/usr/bin/python3 lacks tomllib or yaml"
ep_scratch
src=$FTBOOT_TOP/srcs/grafana
ep=$src/entrypoint.sh

ep_standin "$tmp/grafana" "$tmp/standin"
pass=$'g \'"$\\ü€ $INFLUXDB_URL x'
export GRAFANA=$tmp/grafana GRAFANA_DATA=$tmp/data GRAFANA_INI=$src/grafana.ini
export GRAFANA_PROVISIONING=$src/provisioning GRAFANA_DASHBOARD_TEMPLATE=$src/dashboard.json
export GRAFANA_DASHBOARDS_SH=$src/dashboards.sh
export GRAFANA_PORT=3000 GRAFANA_ADMIN_USER=admin GRAFANA_ADMIN_PASSWORD=$pass LB_IP=192.0.2.10
export INFLUXDB_URL=http://influxdb:8086 INFLUXDB_DATABASE=telegraf INFLUXDB_USER=telegraf INFLUXDB_PASSWORD=$pass

ep_start "$tmp/entry1.log" "$ep"
ep_standin_ready "$tmp/standin" 10
ok $? "the entry point starts grafana"
is "$(tr '\n' ' ' <"$tmp/standin/args")" "server --homepath /usr/share/grafana --config $src/grafana.ini cfg:paths.data=$tmp/data cfg:paths.logs=$tmp/data/log cfg:paths.plugins=$tmp/data/plugins cfg:paths.provisioning=$src/provisioning " \
	"grafana server gets its home, the stack's grafana.ini and the paths"
[ "$(grep -c '^COPY .* /etc/grafana' "$src/Dockerfile")" -eq 3 ] &&
	grep -qx 'COPY grafana.ini /etc/grafana/ft_services.ini' "$src/Dockerfile" &&
	grep -qx 'COPY provisioning /etc/grafana/provisioning' "$src/Dockerfile" &&
	grep -qx 'COPY dashboard.json dashboards.sh /etc/grafana/' "$src/Dockerfile"
ok $? "the image holds those files where the entry point's defaults look"

cat >"$tmp/check.py" <<'EOF'
import configparser, glob, json, os, re, sys, tomllib, yaml
top, src, envfile, dashdir = sys.argv[1:5]
env = dict(kv.split("=", 1) for kv in open(envfile, "rb").read().decode().split("\0") if "=" in kv)
def expand(v):  # provisioning: $VAR and ${VAR} in a value, after parsing
    if isinstance(v, dict):
        return {k: expand(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expand(x) for x in v]
    if isinstance(v, str):
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), v)
    return v
def fail(msg):
    print(msg)
    sys.exit(1)
what = sys.argv[5]

ini = configparser.ConfigParser(interpolation=None)
ini.read(os.path.join(src, "grafana.ini"))
def ini_value(sec, key):
    return re.sub(r"\$__env\{(\w+)\}", lambda m: env[m.group(1)], ini[sec][key])
if what == "ini":
    assert ini_value("server", "http_port") == os.environ["GRAFANA_PORT"]
    assert ini_value("security", "admin_user") == os.environ["GRAFANA_ADMIN_USER"]
    assert ini_value("security", "admin_password") == os.environ["GRAFANA_ADMIN_PASSWORD"]
    assert ini_value("server", "root_url") == "http://%s:%s/" % (os.environ["LB_IP"], os.environ["GRAFANA_PORT"])
    assert ini["users"]["allow_sign_up"] == "false" and ini["auth.anonymous"]["enabled"] == "false"
    sys.exit(0)

dsf = glob.glob(os.path.join(src, "provisioning/datasources/*.yaml"))
dss = [expand(d) for f in dsf for d in yaml.safe_load(open(f))["datasources"]]
if what == "datasource":
    assert len(dss) == 1, dss
    ds = dss[0]
    assert ds["type"] == "influxdb" and ds["access"] == "proxy", ds
    assert ds["url"] == os.environ["INFLUXDB_URL"], ds["url"]
    assert ds["user"] == os.environ["INFLUXDB_USER"], ds["user"]
    assert ds["jsonData"]["dbName"] == os.environ["INFLUXDB_DATABASE"], ds["jsonData"]
    assert ds["jsonData"].get("version", "InfluxQL") == "InfluxQL", ds["jsonData"]
    assert ds["secureJsonData"]["password"] == os.environ["INFLUXDB_PASSWORD"], ds["secureJsonData"]
    assert "password" not in ds, "a plain-text password"
    sys.exit(0)

provs = [expand(p) for f in glob.glob(os.path.join(src, "provisioning/dashboards/*.yaml"))
         for p in yaml.safe_load(open(f))["providers"]]
if what == "provider":
    assert len(provs) == 1 and provs[0]["type"] == "file", provs
    assert os.path.realpath(provs[0]["options"]["path"]) == os.path.realpath(dashdir), provs
    sys.exit(0)

# what == "dashboards"
services = list(yaml.safe_load(open(os.path.join(top, "srcs/stack.yaml")))["services"])
files = sorted(glob.glob(os.path.join(dashdir, "*")))
names = [os.path.basename(f) for f in files]
if names != sorted(s + ".json" for s in services):
    fail("dashboards %s, services %s" % (names, services))
tel = tomllib.loads(open(os.path.join(top, "srcs/telegraf/telegraf.conf")).read())
docker = tel["inputs"]["docker"][0]
produced = {"docker_container_cpu": "docker", "docker_container_mem": "docker",
            "docker_container_net": "docker", "docker_container_status": "docker",
            "kubernetes_pod_container": "kube_inventory"}
tags = {"docker": set(docker["docker_label_include"]) | {"container_name", "cpu", "network"},
        "kube_inventory": {"container_name", "pod_name", "namespace"}}
uids = set()
for s in services:
    d = json.load(open(os.path.join(dashdir, s + ".json")))
    if d["title"] != s or s not in d["tags"]:
        fail("%s: title %r, tags %r" % (s, d["title"], d["tags"]))
    if d["uid"] in uids:
        fail("%s: uid %s twice" % (s, d["uid"]))
    uids.add(d["uid"])
    if not d["panels"]:
        fail(s + ": no panel")
    for p in d["panels"]:
        if p["datasource"]["uid"] != dss[0]["uid"] or not p["targets"]:
            fail("%s: panel %r: data source %r, %d targets" % (s, p["title"], p["datasource"], len(p["targets"])))
        for t in p["targets"]:
            q = t["query"]
            m = re.match(r'SELECT .* FROM "(\w+)" WHERE ', q)
            if not m or m.group(1) not in produced or produced[m.group(1)] not in tel["inputs"]:
                fail("%s: %r reads no measurement Telegraf writes" % (s, q))
            if "'%s'" % s not in q and "/^%s-/" % s not in q:
                fail("%s: %r does not name its container" % (s, q))
            used = set(re.findall(r'"([\w.]+)" (?:=|=~) ', q))
            if not used <= tags[produced[m.group(1)]]:
                fail("%s: %r filters on tags %s that Telegraf does not write" % (s, q, used - tags[produced[m.group(1)]]))
            if "'cpu-total'" in q and "cpu" not in docker["total_include"] or \
               "'total'" in q and "network" not in docker["total_include"]:
                fail("%s: %r wants totals Telegraf does not write" % (s, q))
print(len(services))
EOF
check() { /usr/bin/python3 "$tmp/check.py" "$FTBOOT_TOP" "$src" "$tmp/standin/env" "$tmp/data/dashboards" "$@" 2>&1; }
out=$(check ini)
is "$?:$out" "0:" "grafana.ini: port, root URL, admin and password from the environment, no sign-up, no anonymous access"
out=$(check datasource)
is "$?:$out" "0:" "the data source: InfluxDB (InfluxQL), URL, database and user expanded, the password whole, in secureJsonData"
out=$(check provider)
is "$?:$out" "0:" "the dashboard provider reads the directory the entry point writes"
n=$(check dashboards)
st=$?
[ "$st" -eq 0 ] || echo "#   $n"
ok "$st" "one dashboard per service ($n), titled and tagged after it, unique uids, every query on its container and on what Telegraf writes"

sums=$(cd "$tmp/data/dashboards" && sha256sum ./*)
echo '{}' >"$tmp/data/dashboards/gone.json"
ep_kill9 grafana "$tmp/grafana" "" -o -x sleep
rm -f "$tmp/standin/args"
ep_start "$tmp/entry2.log" "$ep"
ep_standin_ready "$tmp/standin" 10
is "$(cd "$tmp/data/dashboards" && sha256sum ./*)" "$sums" "a second start writes the same dashboards (and only those)"
ep_stop grafana

stack_render "$tmp/render" &&
	/usr/bin/python3 - "$tmp/render/manifests.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "grafana")
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}
need = {"GRAFANA_PORT", "GRAFANA_ADMIN_USER", "GRAFANA_ADMIN_PASSWORD", "LB_IP",
        "INFLUXDB_URL", "INFLUXDB_DATABASE", "INFLUXDB_USER", "INFLUXDB_PASSWORD"}
assert set(env) == need, env
assert env["GRAFANA_ADMIN_PASSWORD"]["secretKeyRef"]["key"] == "grafana-admin-password", env
assert env["INFLUXDB_PASSWORD"]["secretKeyRef"]["key"] == "telegraf-password", env
port = int(env["GRAFANA_PORT"])
assert port in [p["containerPort"] for p in c["ports"]], c["ports"]
for p in ("livenessProbe", "readinessProbe", "startupProbe"):
    assert c[p]["httpGet"] == {"path": "/api/health", "port": port}, c[p]
assert any(m["mountPath"] == "/var/lib/grafana" for m in c["volumeMounts"]), c["volumeMounts"]
assert c["resources"]["limits"], c
EOF
ok $? "templates/grafana.yaml: the entry point's variables, passwords from the secret, probes on /api/health, the data directory's volume"

out=$(env -u GRAFANA_ADMIN_PASSWORD busybox sh "$ep" 2>&1)
is "$?:$out" "2:entrypoint: GRAFANA_ADMIN_PASSWORD is not set" "a missing GRAFANA_ADMIN_PASSWORD is named"
out=$(GRAFANA_SERVICES='nginx Bad/x' busybox sh "$ep" 2>&1)
is "$?:$out" "2:dashboards: 'Bad/x' is not a service name (a-z, 0-9 and '-')
entrypoint: cannot write the dashboards into $tmp/data/dashboards" "a service name that would break the dashboards is refused"
done_testing
