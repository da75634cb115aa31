#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# telegraf (R12, R14): Telegraf is not in Debian, so its files are
# checked, not run. The REAL srcs/telegraf/entrypoint.sh runs under
# `setsid busybox sh` with TELEGRAF= a stand-in (clearly one): a script
# that records the arguments and environment the daemon would get, then
# sleeps like a daemon; it serves the supervision checks only. The test
# then substitutes that environment into srcs/telegraf/telegraf.conf the
# way Telegraf 1.27+ does (${VAR} and $VAR of a set variable replaced by
# its value as text, others kept, $$ for $) and parses the result with
# Python's tomllib: the outputs, inputs and interval, a password with
# '"$\, spaces and multi-byte characters read back whole, and the
# template's probes, service account and socket cross-checked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_entry.sh"
ep_require /usr/bin/python3
/usr/bin/python3 -c 'import tomllib, yaml' 2>/dev/null || skip_all "/usr/bin/python3 lacks tomllib or yaml"
ep_scratch
ep=$FTBOOT_TOP/srcs/telegraf/entrypoint.sh
conf=$FTBOOT_TOP/srcs/telegraf/telegraf.conf

ep_standin "$tmp/telegraf" "$tmp/standin"
pass=$'t \'"$\\ü€ ${INFLUXDB_URL} x'
export INFLUXDB_URL=http://influxdb:8086 INFLUXDB_DATABASE=telegraf TELEGRAF_USER=telegraf
export TELEGRAF_PASSWORD=$pass POD_NAMESPACE=ft-ns TELEGRAF=$tmp/telegraf

ep_start "$tmp/entry1.log" "$ep"
ep_standin_ready "$tmp/standin" 10
ok $? "the entry point starts telegraf"
is "$(tr '\n' ' ' <"$tmp/standin/args")" "--config /etc/telegraf/telegraf.conf " "telegraf gets the configuration's path in the image"
grep -qx 'COPY telegraf.conf /etc/telegraf/telegraf.conf' "$FTBOOT_TOP/srcs/telegraf/Dockerfile"
ok $? "the image holds srcs/telegraf/telegraf.conf there"

# The configuration as Telegraf reads it, with the environment the
# entry point gave it (and, to show the escaping matters, the raw one).
cat >"$tmp/conf.py" <<'EOF'
import os, re, sys, tomllib
conf, envfile, mode = sys.argv[1:4]
env = dict(kv.split("=", 1) for kv in open(envfile, "rb").read().decode().split("\0") if "=" in kv)
if mode == "raw":
    env.update({k: os.environ[k] for k in ("INFLUXDB_URL", "INFLUXDB_DATABASE", "TELEGRAF_USER", "TELEGRAF_PASSWORD")})
def sub(m):
    if m.group(0) == "$$":
        return "$"
    name = m.group(1) or m.group(2)
    return env[name] if name in env else m.group(0)
text = re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", sub, open(conf).read())
c = tomllib.loads(text)
out = c["outputs"]["influxdb"][0]
assert out["urls"] == [os.environ["INFLUXDB_URL"]], out["urls"]
assert out["database"] == os.environ["INFLUXDB_DATABASE"], out["database"]
assert out["username"] == os.environ["TELEGRAF_USER"], out["username"]
assert out["password"] == os.environ["TELEGRAF_PASSWORD"], out["password"]
assert out.get("skip_database_creation") is True, out
d = c["inputs"]["docker"][0]
assert d["endpoint"] == "unix:///var/run/docker.sock", d
for tag in ("io.kubernetes.container.name", "io.kubernetes.pod.name"):
    assert tag in d["docker_label_include"], d
assert {"cpu", "network"} <= set(d["total_include"]), d
k = c["inputs"]["kube_inventory"][0]
assert k["namespace"] == os.environ["POD_NAMESPACE"], k
assert "pods" in k["resource_include"], k
assert k["bearer_token"] == "/var/run/secrets/kubernetes.io/serviceaccount/token", k
assert k["url"].startswith("https://"), k
assert c["agent"]["interval"] == "10s", c["agent"]
assert "internal" not in c["inputs"], c["inputs"].keys()
print(re.fullmatch(r"http://:(\d+)", c["outputs"]["health"][0]["service_address"]).group(1))
EOF
health=$(/usr/bin/python3 "$tmp/conf.py" "$conf" "$tmp/standin/env" escaped 2>"$tmp/conf.err")
st=$?
[ "$st" -eq 0 ] || sed 's/^/#   /' "$tmp/conf.err"
ok "$st" "telegraf.conf: InfluxDB output from the environment (the password whole), docker input on the socket, kube_inventory on pods, 10 s"
! /usr/bin/python3 "$tmp/conf.py" "$conf" "$tmp/standin/env" raw >/dev/null 2>&1
ok $? "(the same password unescaped would not survive Telegraf's substitution)"

stack_render "$tmp/render" &&
	/usr/bin/python3 - "$tmp/render/manifests.yaml" "$health" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def get(kind, name):
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)
dep = get("Deployment", "telegraf")
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}
assert set(env) == {"INFLUXDB_URL", "INFLUXDB_DATABASE", "TELEGRAF_USER", "TELEGRAF_PASSWORD", "POD_NAMESPACE"}, env
assert env["TELEGRAF_PASSWORD"]["secretKeyRef"]["key"] == "telegraf-password", env
assert env["POD_NAMESPACE"]["fieldRef"]["fieldPath"] == "metadata.namespace", env
for p in ("livenessProbe", "readinessProbe"):
    assert c[p]["httpGet"]["port"] == int(sys.argv[2]), c[p]
assert c["resources"]["limits"], c
mount = next(m for m in c["volumeMounts"] if m["mountPath"] == "/var/run/docker.sock")
vol = next(v for v in pod["volumes"] if v["name"] == mount["name"])
assert vol["hostPath"] == {"path": "/var/run/docker.sock", "type": "Socket"}, vol
sa = pod["serviceAccountName"]
get("ServiceAccount", sa)
rb = next(d for d in docs if d["kind"] == "RoleBinding" and any(s["name"] == sa for s in d["subjects"]))
role = get(rb["roleRef"]["kind"], rb["roleRef"]["name"])
assert any("pods" in r["resources"] and "list" in r["verbs"] for r in role["rules"]), role
assert not any(d["kind"] == "Service" and d["metadata"]["name"] == "telegraf" for d in docs)
EOF
ok $? "templates/telegraf.yaml: the entry point's variables, probes on the health output's port $health, the docker socket, a service account that may list pods, no Service"

ep_kill9 telegraf "$tmp/telegraf" "" -o -x sleep
rm -f "$tmp/standin/args"
ep_start "$tmp/entry2.log" "$ep"
ep_standin_ready "$tmp/standin" 10
ep_stop telegraf

out=$(env -u TELEGRAF_PASSWORD busybox sh "$ep" 2>&1)
is "$?:$out" "2:entrypoint: TELEGRAF_PASSWORD is not set" "a missing TELEGRAF_PASSWORD is named"
out=$(TELEGRAF_PASSWORD=$'two\nlines' busybox sh "$ep" 2>&1)
is "$?:$out" "2:entrypoint: TELEGRAF_PASSWORD holds a control character" "a password with a newline is refused"
done_testing
