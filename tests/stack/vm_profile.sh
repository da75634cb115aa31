#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The Alpine VM profile (images/alpine/), which cannot boot here: its
# user-data template rendered as ftboot renders a seed (YAML parsed first,
# then each ${name} of a scalar replaced: a whole-scalar placeholder takes
# the variable's type, others are interpolated, $${ is a literal ${, an
# unknown name is an error), with the values ftboot would give it for
# srcs/stack.yaml and images/alpine/image.yaml (the keys are stand-ins);
# then what k3s, OpenRC, apk and sshd will read of it: k3s's config file
# and conf.d, the order of the services, the v3.24 repositories, the
# management sshd on the profile's ssh_port, and every embedded shell
# script under sh -n and busybox sh -n. engine.sh runs under busybox sh
# for its bad-input cases (each stops before it touches anything).
# tests/unit/test_vm.c renders the same template through ftboot's own
# vm_seed.
. "$(dirname "$0")/../lib.sh"
py=/usr/bin/python3
cd "$FTBOOT_TOP" || exit 1
"$py" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is missing (tests/deps.sh test installs it)"
command -v busybox >/dev/null || skip_all "busybox is missing (tests/deps.sh test installs busybox-static)"
scratch

# Render into $tmp/user-data.json, and each shell script it carries into
# $tmp/sh/NAME.
mkdir -p "$tmp/sh"
"$py" - "$tmp" <<'EOF' >"$tmp/render.out" 2>&1
import json, re, sys, yaml
tmp = sys.argv[1]
stack = yaml.safe_load(open("srcs/stack.yaml"))
prof = yaml.safe_load(open("images/alpine/image.yaml"))
vm = stack["vm"]
net, prefix = vm["cidr"].split("/")
gw = net.rsplit(".", 1)[0] + "." + str(int(net.rsplit(".", 1)[1]) + 1)
names = {
    "hostname": stack["name"], "user": prof["user"], "ssh_port": prof.get("ssh_port", 22),
    "ssh_authorized_key": "ssh-ed25519 AAAAuser ftboot",
    "host_key_public": "ssh-ed25519 AAAAhost ftboot",
    "host_key_private": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----\n",
    "stack": stack["name"], "vm_ip": vm["address"], "lb_ip": vm.get("lb_address", vm["address"]),
    "mac": "52:54:00:12:34:56", "cidr": vm["cidr"], "prefix": int(prefix), "gateway": gw, "dns": gw,
}
ph = re.compile(r"\$\$\{|\$\{([^}]*)\}")

def sub(v):
    if isinstance(v, dict):
        return {k: sub(x) for k, x in v.items()}
    if isinstance(v, list):
        return [sub(x) for x in v]
    if not isinstance(v, str):
        return v
    m = re.fullmatch(r"\$\{([^}]*)\}", v)
    if m:
        if m.group(1) not in names:
            sys.exit("unknown variable '%s'" % m.group(1))
        return names[m.group(1)]
    def one(m):
        if m.group(0) == "$${":
            return "${"
        if m.group(1) not in names:
            sys.exit("unknown variable '%s'" % m.group(1))
        return str(names[m.group(1)])
    return ph.sub(one, v)

text = open("images/alpine/user-data").read()
if not text.startswith("#cloud-config\n"):
    sys.exit("images/alpine/user-data does not start with #cloud-config")
ud = sub(yaml.safe_load(text))
if not isinstance(ud, dict):
    sys.exit("the user-data is not one YAML mapping")
json.dump({"ud": ud, "names": names, "profile": prof, "stack": stack}, open(tmp + "/user-data.json", "w"))
for i, body in enumerate(ud.get("runcmd", [])):
    open("%s/sh/runcmd-%d" % (tmp, i), "w").write(body if isinstance(body, str) else " ".join(body))
for f in ud.get("write_files", []):
    if f["path"].startswith("/etc/conf.d/"):
        open("%s/sh/conf.d-%s" % (tmp, f["path"].rsplit("/", 1)[1]), "w").write(f["content"])
EOF
st=$?
ok "$st" "images/alpine/user-data renders with ftboot's seed variables only, into one YAML mapping: $(tail -1 "$tmp/render.out")"
[ "$st" -eq 0 ] || done_testing

# q EXPR: a Python expression over ud (the rendered user-data), names (the
# seed variables), profile (image.yaml), stack (srcs/stack.yaml), files
# (write_files by path), k3s (k3s's config.yaml, parsed) and run (the
# runcmd scripts joined).
q() {
	"$py" - "$tmp/user-data.json" "$1" <<'EOF'
import json, sys, yaml
d = json.load(open(sys.argv[1]))
ud, names, profile, stack = d["ud"], d["names"], d["profile"], d["stack"]
files = {f["path"]: f for f in ud.get("write_files", [])}
k3s = yaml.safe_load(files["/etc/rancher/k3s/config.yaml"]["content"]) if "/etc/rancher/k3s/config.yaml" in files else {}
run = "\n".join(x if isinstance(x, str) else " ".join(x) for x in ud.get("runcmd", []))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else ("yes" if v else "no"))
EOF
}
yes() { # EXPR DESCRIPTION
	is "$(q "$1" 2>&1)" yes "$2"
}

# The repositories and packages (apk, through cloud-init's apk_repos).
yes 'ud["apk_repos"]["alpine_repo"]["version"] == "v3." + str(__import__("yaml").safe_load(open("images/alpine/versions.yaml"))["release"]).split(".")[1]' \
	"apk repositories: the release of images/alpine/versions.yaml (v3.24)"
yes 'ud["apk_repos"]["alpine_repo"]["community_enabled"] is True and ud["apk_repos"]["alpine_repo"]["base_url"].startswith("https://")' \
	"main and community, over https"
yes '{"docker", "k3s"} <= set(ud["packages"])' "docker and k3s are installed from Alpine's packages"

# k3s's own config file.
yes 'files["/etc/rancher/k3s/config.yaml"]["permissions"] == "0600"' "k3s's config.yaml is 0600"
yes 'k3s.get("docker") is True' "k3s runs its pods in the VM's dockerd (docker: true), where ftboot builds the images"
yes 'k3s.get("tls-san") == [names["vm_ip"]] and k3s.get("node-ip") == names["vm_ip"]' \
	"tls-san and node-ip are the VM's address ($(q 'names["vm_ip"]'))"
yes '"traefik" in k3s.get("disable", []) and "servicelb" not in k3s.get("disable", [])' \
	"Traefik disabled, ServiceLB kept (the LoadBalancer)"
yes 'k3s.get("write-kubeconfig-mode") == "0600"' "the kubeconfig is written 0600 (a string: YAML would read 0600 as an integer)"
yes '"write-kubeconfig" not in k3s and profile["cluster"]["kubeconfig"] == "/etc/rancher/k3s/k3s.yaml"' \
	"the kubeconfig stays where k3s writes it, cluster.kubeconfig of image.yaml"
yes 'set(k3s) <= {"docker", "node-ip", "tls-san", "disable", "write-kubeconfig-mode"}' \
	"and nothing else in k3s's config: $(q 'sorted(k3s)')"

# Alpine's OpenRC service of k3s (k3s-openrc: /etc/init.d/k3s runs
# /usr/bin/k3s $K3S_EXEC $K3S_OPTS and needs net, cgroups and dbus).
yes '"rc_need=\"docker\"" in files["/etc/conf.d/k3s"]["content"] and "K3S_EXEC=\"server\"" in files["/etc/conf.d/k3s"]["content"]' \
	"/etc/conf.d/k3s: k3s server, docker first (rc_need)"
yes 'files["/etc/conf.d/k3s"].get("defer") is True' "written after the packages (defer), so apk's own copy cannot shadow it"
yes 'run.index("rc-update add docker") < run.index("rc-update add k3s") < run.index("rc-service k3s start")' \
	"docker and k3s enabled at boot, docker first, then k3s started"
yes '"rc_cgroup_mode=\"unified\"" in run and "rc-update add cgroups boot" in run and run.index("rc_cgroup_mode") < run.index("rc-service k3s start")' \
	"cgroup v2 (rc_cgroup_mode unified, the cgroups service at boot) before k3s starts"

# The management sshd, off port 22 (ServiceLB publishes the stack's SSH
# there, R8).
yes 'profile["ssh_port"] != 22 and names["ssh_port"] == profile["ssh_port"]' \
	"image.yaml moves ftboot's SSH off 22: ssh_port $(q 'profile.get("ssh_port")')"
yes 'any(p.startswith("/etc/ssh/sshd_config.d/") and p.endswith(".conf") and ("Port %d\n" % profile["ssh_port"]) in f["content"] for p, f in files.items())' \
	"an sshd_config.d drop-in says Port $(q 'profile["ssh_port"]')"
yes 'run.index("rc-service k3s start") < run.index("sshd -t") < run.index("rc-service sshd restart") and run.rstrip().endswith("rc-service sshd restart")' \
	"sshd is checked and restarted there last: SSH answering means cloud-init is done"
# With ServiceLB every LoadBalancer port is a host port of the VM's
# address: none may be one the VM itself serves there.
yes '(lambda used: not used & {profile["ssh_port"], 2376, profile["cluster"]["port"], 10250})({int(p) for s in stack["services"].values() if s.get("type", "LoadBalancer") == "LoadBalancer" for v in s.get("ports", {}).values() for p in range(int(str(v).split("-")[0]), int(str(v).split("-")[-1]) + 1)})' \
	"no LoadBalancer port of the stack is the VM's own (ssh_port, 2376, the API's, 10250)"
yes 'stack["vm"].get("lb_address", stack["vm"]["address"]) == stack["vm"]["address"]' \
	"vm.lb_address is vm.address: ServiceLB gives every LoadBalancer the node's address (E4)"

# Every shell script of the profile parses, under sh and busybox ash.
scripts=(images/alpine/engine.sh "$tmp"/sh/*)
[ "${#scripts[@]}" -ge 3 ]
ok $? "the scripts: engine.sh, the runcmd bodies and conf.d files (${#scripts[@]})"
for f in "${scripts[@]}"; do
	n=${f#"$tmp/sh/"}
	sh -n "$f" 2>"$tmp/err"
	ok $? "sh -n $n $(head -c 200 "$tmp/err")"
	busybox sh -n "$f" 2>"$tmp/err"
	ok $? "busybox sh -n $n $(head -c 200 "$tmp/err")"
done

# engine.sh's bad input: refused before anything is written.
out=$(busybox sh images/alpine/engine.sh 2>&1)
st=$?
[ "$st" -eq 1 ] && [[ $out == *"usage: engine.sh install ADDRESS DIR | status"* ]]
ok $? "engine.sh without arguments: its usage, status 1 ($st: $out)"
out=$(busybox sh images/alpine/engine.sh install "10.0.0.1; reboot" "$tmp" 2>&1)
st=$?
[ "$st" -eq 1 ] && [[ $out == *"'10.0.0.1; reboot' is not an IPv4 address"* ]]
ok $? "engine.sh install with an address that is not one: refused ($st: $out)"
out=$(busybox sh images/alpine/engine.sh install 10.0.0.1 2>&1)
st=$?
[ "$st" -eq 1 ] && [[ $out == *"usage: engine.sh install ADDRESS DIR"* ]]
ok $? "engine.sh install without its directory: refused ($st: $out)"
done_testing
