#!/usr/bin/python3
"""The stack's manifest lint (tests/stack/manifests.sh): checks the rendered
stack (`ftboot render --show-secrets`) against EVAL.md's requirements.

    manifests.py STACK_YAML RENDERED SRCS_DIR   the checks, on the real render
    manifests.py --self-test STACK_YAML         a model render that passes every
                                                check, then broken copies of it,
                                                each of which must fail its check

Output: one line per assertion, "0<TAB>name" (passed) or "1<TAB>name", and
"# ..." lines saying which object lacks what; manifests.sh makes TAP of them.
"""
import base64
import copy
import os
import re
import sys
import tempfile

import yaml

# R15, as EVAL.md words it (not as the stack file says: the lint checks that too).
R15 = {"nginx": "LoadBalancer", "wordpress": "LoadBalancer", "phpmyadmin": "LoadBalancer",
       "ftps": "LoadBalancer", "grafana": "LoadBalancer", "mysql": "ClusterIP",
       "influxdb": "ClusterIP"}
DATABASES = ("mysql", "influxdb")  # R13: a PVC, and Recreate
# The budget of the stack's requests: a 2-CPU, 3 GiB VM (srcs/stack.yaml vm:)
# of which k3s (server, kubelet, containerd or dockerd) and kube-system's pods
# (coredns, metrics-server, local-path-provisioner, svclb) take about 0.5 CPU
# and 1 GiB, and the dashboard's two pods (no requests of their own) ~200 MiB.
BUDGET_CPU_M = 1500
BUDGET_MEM_MI = 1536
LIMIT_MEM_MI = 512  # per container (the stack's convention)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def cpu_m(q):
    s = str(q)
    return float(s[:-1]) if s.endswith("m") else float(s) * 1000


def mem_mi(q):
    s = str(q)
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1 << 20,
             "k": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for u in sorted(units, key=len, reverse=True):
        if s.endswith(u):
            return float(s[:-len(u)]) * units[u]
    return float(s) / 2**20


def what(o):
    m = o.get("metadata") or {}
    ns = m.get("namespace")
    return "%s/%s%s" % (o.get("kind"), m.get("name"), " in " + ns if ns else "")


class Lint:
    def __init__(self, stack, docs, srcs=None):
        self.stack, self.docs, self.srcs = stack, [d for d in docs if isinstance(d, dict)], srcs
        self.out = []
        self.name = stack["name"]
        self.services = stack["services"]
        self.dash = stack.get("dashboard") or {}

    # -- helpers
    def say(self, bad, name, why=()):
        self.out.append((1 if bad else 0, name, list(why)))

    def find(self, kind, name, ns=None):
        for d in self.docs:
            m = d.get("metadata") or {}
            if d.get("kind") == kind and m.get("name") == name and m.get("namespace") == ns:
                return d
        return None

    def kinds(self, *kinds):
        return [d for d in self.docs if d.get("kind") in kinds]

    def pod(self, w):
        return ((w.get("spec") or {}).get("template") or {}).get("spec") or {}

    def containers(self, w):
        p = self.pod(w)
        return (p.get("containers") or []) + (p.get("initContainers") or [])

    def stack_workloads(self):
        """(service, workload) for each service of the stack that has one."""
        for svc in self.services:
            for kind in WORKLOADS:
                w = self.find(kind, svc)
                if w:
                    yield svc, w
                    break

    def secret_values(self):
        vals = {}
        for s in self.kinds("Secret"):
            for k, v in ((s.get("stringData") or {}).items()):
                vals[str(v)] = "%s key %s" % (what(s), k)
            for k, v in ((s.get("data") or {}).items()):
                try:
                    vals[base64.b64decode(str(v)).decode()] = "%s key %s" % (what(s), k)
                except (ValueError, UnicodeDecodeError):
                    pass
        # Short or placeholder values would match anything: not secrets.
        return {v: w for v, w in vals.items() if len(v) >= 8 and not v.startswith("<secret:")}

    # -- the checks
    def names(self):  # R2
        for svc, conf in self.services.items():
            w = self.find("Deployment", svc)
            names = [c.get("name") for c in self.containers(w)] if w else []
            self.say(w is None or svc not in names,
                     "R2 %s: a Deployment %s with a container %s" % (svc, svc, svc),
                     ["no Deployment named %s" % svc] if w is None else
                     ["Deployment/%s's containers are %s" % (svc, names)])
            if (conf or {}).get("type") == "None":
                continue
            self.say(self.find("Service", svc) is None, "R2 %s: a Service %s" % (svc, svc),
                     ["no Service named %s" % svc])

    def types(self):  # R15
        for svc, want in R15.items():
            s = self.find("Service", svc)
            got = ((s or {}).get("spec") or {}).get("type", "ClusterIP") if s else None
            self.say(got != want, "R15 %s: Service type %s" % (svc, want),
                     ["Service/%s is %s" % (svc, got)])
        bad = [what(d) for d in self.kinds("Ingress")]
        for s in self.kinds("Service"):
            spec = s.get("spec") or {}
            if spec.get("type") == "NodePort":
                bad.append("%s is of type NodePort" % what(s))
            bad += ["%s port %s sets a nodePort" % (what(s), p.get("port"))
                    for p in spec.get("ports") or [] if "nodePort" in p]
        self.say(bad, "R15: no NodePort Service, no nodePort, no Ingress", bad)

    def probes(self):  # R14
        for svc, w in self.stack_workloads():
            bad = ["container %s has no %s" % (c.get("name"), p)
                   for c in self.pod(w).get("containers") or []
                   for p in ("livenessProbe", "readinessProbe") if not c.get(p)]
            self.say(bad, "R14 %s: every container has a livenessProbe and a readinessProbe"
                     % svc, ["%s: %s" % (what(w), b) for b in bad])

    def resources(self):
        cpu = mem = 0.0
        for svc, w in self.stack_workloads():
            bad = []
            for c in self.containers(w):
                r = c.get("resources") or {}
                for part in ("requests", "limits"):
                    for res in ("cpu", "memory"):
                        if (r.get(part) or {}).get(res) is None:
                            bad.append("container %s has no resources.%s.%s"
                                       % (c.get("name"), part, res))
                try:
                    cpu += cpu_m((r.get("requests") or {}).get("cpu", 0))
                    mem += mem_mi((r.get("requests") or {}).get("memory", 0))
                    lim = (r.get("limits") or {}).get("memory")
                    if lim is not None and mem_mi(lim) > LIMIT_MEM_MI:
                        bad.append("container %s's memory limit %s is over %d Mi"
                                   % (c.get("name"), lim, LIMIT_MEM_MI))
                except ValueError as e:
                    bad.append("container %s: a quantity does not parse: %s" % (c.get("name"), e))
            self.say(bad, "%s: resources requests and limits (cpu, memory; limit <= %d Mi)"
                     % (svc, LIMIT_MEM_MI), ["%s: %s" % (what(w), b) for b in bad])
        self.say(cpu > BUDGET_CPU_M or mem > BUDGET_MEM_MI,
                 "the stack's requests fit beside k3s in a 2-CPU 3 GiB VM (<= %dm CPU, <= %d Mi)"
                 % (BUDGET_CPU_M, BUDGET_MEM_MI),
                 ["requested: %dm CPU, %d Mi" % (cpu, mem)])
        self.out.append((0, None, ["requests of the stack: %dm CPU, %d Mi (budget %dm, %d Mi)"
                                   % (cpu, mem, BUDGET_CPU_M, BUDGET_MEM_MI)]))

    def images(self):  # R3, E2
        for svc, w in self.stack_workloads():
            bad = []
            for c in self.containers(w):
                if c.get("imagePullPolicy") != "Never":
                    bad.append("container %s has imagePullPolicy %s"
                               % (c.get("name"), c.get("imagePullPolicy")))
                if not re.fullmatch(r"ftboot/%s:[0-9a-f]{12}" % re.escape(svc),
                                    str(c.get("image"))):
                    bad.append("container %s runs image %s" % (c.get("name"), c.get("image")))
            self.say(bad, "R3 %s: image ftboot/%s:HASH, imagePullPolicy Never" % (svc, svc),
                     ["%s: %s" % (what(w), b) for b in bad])

    def lb_ports(self):  # R5
        seen, bad = {}, []
        for s in self.kinds("Service"):
            spec = s.get("spec") or {}
            if spec.get("type") != "LoadBalancer":
                continue
            for p in spec.get("ports") or []:
                key = (p.get("port"), p.get("protocol", "TCP"))
                if key in seen:
                    bad.append("port %s/%s of %s is also %s's" % (key + (what(s), seen[key])))
                seen[key] = what(s)
        self.say(bad, "R5: every LoadBalancer port is unique on the LB address (%d ports)"
                 % len(seen), bad)

    def ftps(self):  # R11
        pasv = str(((self.services.get("ftps") or {}).get("ports") or {}).get("pasv", ""))
        m = re.fullmatch(r"(\d+)-(\d+)", pasv)
        if not m:
            self.say(1, "R11 ftps: a passive port range in srcs/stack.yaml",
                     ["services.ftps.ports.pasv is %r" % pasv])
            return
        lo, hi = int(m.group(1)), int(m.group(2))
        s, w = self.find("Service", "ftps"), self.find("Deployment", "ftps")
        ports = {p.get("port") for p in ((s or {}).get("spec") or {}).get("ports") or []}
        bad = ["the ftps Service does not expose passive port %d" % p
               for p in range(lo, hi + 1) if p not in ports]
        env = {e.get("name"): e.get("value") for c in (self.containers(w) if w else [])
               for e in c.get("env") or []}
        for k, v in (("PASV_MIN", lo), ("PASV_MAX", hi)):
            if str(env.get(k)) != str(v):
                bad.append("the ftps container's %s is %s, not %d" % (k, env.get(k), v))
        self.say(bad, "R11 ftps: passive ports %d-%d on the Service, PASV_MIN/PASV_MAX the same"
                 % (lo, hi), bad)

    def secret_refs(self):
        bad, n = [], 0
        for w in self.kinds(*WORKLOADS):
            ns = (w.get("metadata") or {}).get("namespace")
            for c in self.containers(w):
                refs = [((e.get("valueFrom") or {}).get("secretKeyRef"), e.get("name"))
                        for e in c.get("env") or []]
                for ref, env in refs:
                    if ref is None:
                        continue
                    n += 1
                    sec = self.find("Secret", ref.get("name"), ns)
                    keys = set((sec or {}).get("stringData") or {}) | set((sec or {}).get("data")
                                                                       or {})
                    if sec is None:
                        bad.append("%s container %s env %s: no Secret %s"
                                   % (what(w), c.get("name"), env, ref.get("name")))
                    elif ref.get("key") not in keys:
                        bad.append("%s container %s env %s: Secret %s has no key %s"
                                   % (what(w), c.get("name"), env, ref.get("name"),
                                      ref.get("key")))
        self.say(bad or n == 0, "every secretKeyRef names an existing Secret and key (%d refs)"
                 % n, bad or (["no secretKeyRef at all"] if n == 0 else []))

    def secrets_complete(self):  # R16
        name = "%s-secrets" % self.name
        sec = self.find("Secret", name)
        data = (sec or {}).get("stringData") or {}
        bad = ["Secret %s has no key %s for the secret %s" % (name, s.replace("_", "-"), s)
               for s in self.stack.get("secrets") or [] if s.replace("_", "-") not in data]
        bad += ["Secret %s key %s is %r, not a generated value" % (name, k, v)
                for k, v in data.items() if str(v).startswith("<secret:")]
        self.say(sec is None or bad, "R16: the Secret %s holds every generated secret, "
                 "kebab-case" % name, ["no Secret %s" % name] if sec is None else bad)

    def secret_leaks(self):  # R16
        vals = self.secret_values()
        bad = []

        def look(where, text):
            for v, src in vals.items():
                if v in str(text):
                    bad.append("%s holds the value of %s" % (where, src))
        for d in self.docs:
            if d.get("kind") == "ConfigMap":
                for k, v in list((d.get("data") or {}).items()) + \
                        list((d.get("binaryData") or {}).items()):
                    look("%s key %s" % (what(d), k), v)
            for meta, where in [(d.get("metadata"), what(d)),
                                (((d.get("spec") or {}).get("template") or {}).get("metadata"),
                                 what(d) + "'s pod template")]:
                for k, v in ((meta or {}).get("annotations") or {}).items():
                    look("%s annotation %s" % (where, k), v)
            if d.get("kind") in WORKLOADS:
                for c in self.containers(d):
                    for e in c.get("env") or []:
                        if "value" in e:
                            look("%s container %s env %s" % (what(d), c.get("name"),
                                                             e.get("name")), e["value"])
        self.say(bad or not vals, "R16: no secret value in a ConfigMap, an env value or an "
                 "annotation (%d values)" % len(vals), bad or
                 (["no secret values to look for"] if not vals else []))
        if self.srcs is None:
            return
        bad = []
        for root, _, files in os.walk(self.srcs):
            for f in files:
                p = os.path.join(root, f)
                try:
                    text = open(p, "rb").read().decode("utf-8", "replace")
                except OSError as e:
                    bad.append("%s: %s" % (p, e))
                    continue
                look(os.path.relpath(p, os.path.dirname(self.srcs)), text)
        self.say(bad or not vals, "R16: no secret value in any file under srcs/ (the images)",
                 bad)

    def service_keys(self):  # R6, R8, R11: the stack's own keys, pinned by `ftboot check`
        tls, host = self.find("Secret", self.name + "-tls"), self.find("Secret",
                                                                       self.name + "-ssh-host-key")
        bad = []
        want = [(tls, "kubernetes.io/tls", "tls.crt", "-----BEGIN CERTIFICATE-----"),
                (tls, "kubernetes.io/tls", "tls.key", "-----BEGIN PRIVATE KEY-----"),
                (host, "Opaque", "ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----")]
        for sec, typ, key, head in want:
            if sec is None:
                bad.append("no Secret for %s" % key)
                continue
            if sec.get("type") != typ:
                bad.append("%s is of type %s, not %s" % (what(sec), sec.get("type"), typ))
            if not str((sec.get("stringData") or {}).get(key, "")).startswith(head):
                bad.append("%s key %s is not a PEM %s" % (what(sec), key, head))
        self.say(bad, "R6 R8: the Secrets %s-tls (kubernetes.io/tls) and %s-ssh-host-key hold "
                 "a certificate, its key and the host key (PEM, not placeholders)" % (self.name, self.name),
                 bad)
        uses = {"nginx": ("TLS_CERT_FILE", "TLS_KEY_FILE", "SSH_HOST_KEY_FILE"),
                "ftps": ("TLS_CERT_FILE", "TLS_KEY_FILE")}
        for svc, vars_ in uses.items():
            w = self.find("Deployment", svc)
            if w is None:
                continue
            bad = []
            vols = {v.get("name"): v for v in self.pod(w).get("volumes") or []}
            c = next((c for c in self.containers(w) if c.get("name") == svc), {})
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            mounts = {m.get("mountPath"): m for m in c.get("volumeMounts") or []}
            for var in vars_:
                path = str(env.get(var) or "")
                m = mounts.get(os.path.dirname(path))
                vol = (vols.get((m or {}).get("name")) or {}).get("secret")
                if not path:
                    bad.append("container %s has no env %s" % (svc, var))
                elif m is None or vol is None:
                    bad.append("%s=%s is in no Secret volume's mount" % (var, path))
                else:
                    items = {i.get("path"): i.get("key") for i in vol.get("items") or []}
                    key = items.get(os.path.basename(path), os.path.basename(path))
                    sec = self.find("Secret", vol.get("secretName"),
                                    (w.get("metadata") or {}).get("namespace"))
                    if not m.get("readOnly"):
                        bad.append("the mount %s of %s is not readOnly" % (m.get("mountPath"), var))
                    if key not in ((sec or {}).get("stringData") or {}):
                        bad.append("%s=%s: Secret %s has no key %s"
                                   % (var, path, vol.get("secretName"), key))
            self.say(bad, "R6 %s: %s read from read-only mounts of those Secrets"
                     % (svc, ", ".join(vars_)), ["%s: %s" % (what(w), b) for b in bad])

    def storage(self):  # R13
        pvcs = {(d.get("metadata") or {}).get("name") for d in self.kinds("PersistentVolumeClaim")}
        for svc, w in self.stack_workloads():
            claims = [(v.get("persistentVolumeClaim") or {}).get("claimName")
                      for v in self.pod(w).get("volumes") or [] if v.get("persistentVolumeClaim")]
            strategy = ((w.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate")
            bad = ["claim %s is not rendered" % c for c in claims if c not in pvcs]
            if svc in DATABASES and not claims:
                bad.append("no volume from a PersistentVolumeClaim")
            if claims and w.get("kind") == "Deployment" and strategy != "Recreate":
                bad.append("strategy %s with a PVC (Recreate: a RWO claim cannot be mounted by "
                           "two pods)" % strategy)
            if svc in DATABASES or claims:
                self.say(bad, "R13 %s: its PVC bound by the Deployment, strategy Recreate" % svc,
                         ["%s: %s" % (what(w), b) for b in bad])

    def selectors(self):
        pods = []  # (namespace, labels, container ports, workload)
        for w in self.kinds(*WORKLOADS):
            spec = w.get("spec") or {}
            want = (spec.get("selector") or {}).get("matchLabels") or {}
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            ports = {p.get(k) for c in self.pod(w).get("containers") or []
                     for p in c.get("ports") or [] for k in ("containerPort", "name")}
            self.say(not want or any(labels.get(k) != v for k, v in want.items()),
                     "%s: its selector matches its pod template's labels" % what(w),
                     ["selector %s, template labels %s" % (want, labels)])
            pods.append(((w.get("metadata") or {}).get("namespace"), labels, ports, what(w)))
        dash_ns = self.dash.get("namespace", "kubernetes-dashboard")
        for s in self.kinds("Service"):
            ns = (s.get("metadata") or {}).get("namespace")
            sel = (s.get("spec") or {}).get("selector") or {}
            if ns == dash_ns:
                continue  # its pods are the dashboard manifest's, applied beside the render
            hit = [p for p in pods if p[0] == ns and sel and
                   all(p[1].get(k) == v for k, v in sel.items())]
            bad = [] if hit else ["selector %s matches no pod template" % sel]
            for p in (s.get("spec") or {}).get("ports") or []:
                t = p.get("targetPort", p.get("port"))
                if hit and all(t not in h[2] for h in hit):
                    bad.append("targetPort %s is no container port of %s"
                               % (t, ", ".join(h[3] for h in hit)))
            self.say(bad, "%s: its selector matches pods, its targetPorts their ports" % what(s),
                     bad)

    def dashboard(self):  # R4, E13
        ns = self.dash.get("namespace", "kubernetes-dashboard")
        acct = self.dash.get("account", "ftboot-admin")
        name = self.dash.get("service", "kubernetes-dashboard")
        svc = self.find("Service", name, ns)
        port = (self.stack.get("values") or {}).get("dashboard_port")
        spec = (svc or {}).get("spec") or {}
        bad = [] if svc else ["no Service %s in %s" % (name, ns)]
        if port is None:
            bad.append("srcs/stack.yaml has no values.dashboard_port")
        if svc and spec.get("type") != "LoadBalancer":
            bad.append("%s is of type %s" % (what(svc), spec.get("type")))
        if svc and not any(p.get("port") == port and p.get("targetPort") == 8443
                           for p in spec.get("ports") or []):
            bad.append("%s has no port %s to the dashboard's 8443" % (what(svc), port))
        if self.find("ServiceAccount", acct, ns) is None:
            bad.append("no ServiceAccount %s in %s" % (acct, ns))
        if not any((b.get("roleRef") or {}).get("name") == "cluster-admin" and
                   {"kind": "ServiceAccount", "name": acct, "namespace": ns} in
                   (b.get("subjects") or []) for b in self.kinds("ClusterRoleBinding")):
            bad.append("no ClusterRoleBinding of cluster-admin to ServiceAccount %s/%s"
                       % (ns, acct))
        pins = [m for m in self.stack.get("manifests") or []
                if "kubernetes/dashboard/" in str(m.get("url")) and
                re.fullmatch(r"[0-9a-f]{64}", str(m.get("sha256")))]
        if not pins:
            bad.append("srcs/stack.yaml pins no kubernetes/dashboard manifest by sha256")
        self.say(bad, "R4: the dashboard's pinned manifest, its LoadBalancer on port %s, its "
                 "cluster-admin account" % port, bad)

    def run(self):
        for check in (self.names, self.types, self.probes, self.resources, self.images,
                      self.lb_ports, self.ftps, self.secret_refs, self.secrets_complete,
                      self.secret_leaks, self.service_keys, self.storage, self.selectors, self.dashboard):
            check()
        return self.out


def model(stack):
    """A render that passes every check: the self-test's starting point."""
    name, docs = stack["name"], []
    data = {s.replace("_", "-"): "%s-Zq7vX2mN8kLp4Rt6" % s for s in stack.get("secrets") or []}
    docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-secrets"},
                 "stringData": data})
    key = next(iter(data))
    docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-tls"},
                 "type": "kubernetes.io/tls",
                 "stringData": {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n",
                                "tls.key": "-----BEGIN PRIVATE KEY-----\nMIGH\n"}})
    docs.append({"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": name + "-ssh-host-key"}, "type": "Opaque",
                 "stringData": {"ssh_host_ed25519_key":
                                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n"}})
    keys = {"nginx": [("TLS_CERT_FILE", "tls", "tls.crt"), ("TLS_KEY_FILE", "tls", "tls.key"),
                      ("SSH_HOST_KEY_FILE", "ssh-host-key", "ssh_host_ed25519_key")],
            "ftps": [("TLS_CERT_FILE", "tls", "tls.crt"), ("TLS_KEY_FILE", "tls", "tls.key")]}
    for svc, conf in stack["services"].items():
        conf = conf or {}
        ports = []
        for pname, p in (conf.get("ports") or {}).items():
            m = re.fullmatch(r"(\d+)-(\d+)", str(p))
            rng = range(int(m.group(1)), int(m.group(2)) + 1) if m else [int(p)]
            ports += [("%s-%d" % (pname, n) if m else pname, n) for n in rng]
        probe = {"tcpSocket": {"port": ports[0][1]}} if ports else {"exec": {"command": ["true"]}}
        c = {"name": svc, "image": "ftboot/%s:0123456789ab" % svc, "imagePullPolicy": "Never",
             "ports": [{"name": n, "containerPort": p} for n, p in ports],
             "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {
                 "name": name + "-secrets", "key": key}}}],
             "livenessProbe": probe, "readinessProbe": probe,
             "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                           "limits": {"cpu": "500m", "memory": "256Mi"}}}
        if svc == "ftps":
            pasv = [p for n, p in ports if n.startswith("pasv-")]
            c["env"] += [{"name": "PASV_MIN", "value": str(pasv[0])},
                         {"name": "PASV_MAX", "value": str(pasv[-1])}]
        spec = {"containers": [c]}
        for var, vol, k in keys.get(svc, []):
            c["env"].append({"name": var, "value": "/run/keys/%s/%s" % (vol, k)})
            if not any(m["name"] == vol for m in c.setdefault("volumeMounts", [])):
                c["volumeMounts"].append({"name": vol, "mountPath": "/run/keys/" + vol,
                                          "readOnly": True})
                spec.setdefault("volumes", []).append(
                    {"name": vol, "secret": {"secretName": "%s-%s" % (name, vol)}})
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": svc},
               "spec": {"selector": {"matchLabels": {"app": svc}},
                        "template": {"metadata": {"labels": {"app": svc}}, "spec": spec}}}
        if svc in DATABASES:
            spec["volumes"] = spec.get("volumes", []) + [{"name": "data", "persistentVolumeClaim": {
                "claimName": svc + "-data"}}]
            dep["spec"]["strategy"] = {"type": "Recreate"}
            docs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                         "metadata": {"name": svc + "-data"}})
        docs.append(dep)
        if conf.get("type") != "None":
            docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc},
                         "spec": {"type": conf.get("type", "LoadBalancer"),
                                  "selector": {"app": svc},
                                  "ports": [{"name": n, "port": p, "targetPort": p}
                                            for n, p in ports]}})
    d = stack.get("dashboard") or {}
    ns, acct = d.get("namespace", "kubernetes-dashboard"), d.get("account", "ftboot-admin")
    docs += [{"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": acct, "namespace": ns}},
             {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
              "metadata": {"name": name + "-dashboard-admin"},
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                          "name": "cluster-admin"},
              "subjects": [{"kind": "ServiceAccount", "name": acct, "namespace": ns}]},
             {"apiVersion": "v1", "kind": "Service",
              "metadata": {"name": d.get("service", "kubernetes-dashboard"), "namespace": ns},
              "spec": {"type": "LoadBalancer", "selector": {"k8s-app": "kubernetes-dashboard"},
                       "ports": [{"name": "https", "targetPort": 8443,
                                  "port": (stack.get("values") or {}).get("dashboard_port")}]}}]
    return docs


def get(docs, kind, name):
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def breakages(stack):
    """(what is broken, the check's name that must fail, how to break a model)."""
    def nodeport(docs):
        get(docs, "Service", "grafana")["spec"]["type"] = "NodePort"

    def no_probe(docs):
        del get(docs, "Deployment", "nginx")["spec"]["template"]["spec"]["containers"][0][
            "readinessProbe"]

    def cm_secret(docs):
        secret = next(iter(get(docs, "Secret", stack["name"] + "-secrets")["stringData"]
                           .values()))
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"},
                     "data": {"app.conf": "password = %s\n" % secret}})

    def no_pasv(docs):
        ports = get(docs, "Service", "ftps")["spec"]["ports"]
        ports[:] = [p for p in ports if p["port"] != ports[-1]["port"]]

    def pull(docs):
        get(docs, "Deployment", "mysql")["spec"]["template"]["spec"]["containers"][0][
            "image"] = "mysql:8"

    def lb_clash(docs):
        get(docs, "Service", "grafana")["spec"]["ports"][0]["port"] = 443

    def bad_ref(docs):
        c = get(docs, "Deployment", "wordpress")["spec"]["template"]["spec"]["containers"][0]
        c["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "no-such-key"

    def rolling(docs):
        del get(docs, "Deployment", "influxdb")["spec"]["strategy"]

    def env_secret(docs):
        secret = next(iter(get(docs, "Secret", stack["name"] + "-secrets")["stringData"]
                           .values()))
        c = get(docs, "Deployment", "grafana")["spec"]["template"]["spec"]["containers"][0]
        c["env"].append({"name": "GF_PASSWORD", "value": secret})

    def no_limits(docs):
        del get(docs, "Deployment", "phpmyadmin")["spec"]["template"]["spec"]["containers"][0][
            "resources"]["limits"]

    def selector(docs):
        get(docs, "Service", "wordpress")["spec"]["selector"] = {"app": "wordpres"}

    def name(docs):
        get(docs, "Deployment", "telegraf")["spec"]["template"]["spec"]["containers"][0][
            "name"] = "agent"

    def no_host_key_mount(docs):
        c = get(docs, "Deployment", "nginx")["spec"]["template"]["spec"]["containers"][0]
        c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "ssh-host-key"]

    def writable_tls(docs):
        c = get(docs, "Deployment", "ftps")["spec"]["template"]["spec"]["containers"][0]
        next(m for m in c["volumeMounts"] if m["name"] == "tls")["readOnly"] = False

    def opaque_tls(docs):
        get(docs, "Secret", stack["name"] + "-tls")["type"] = "Opaque"

    def placeholder_key(docs):
        get(docs, "Secret", stack["name"] + "-tls")["stringData"]["tls.key"] = "<secret:tls.key>"

    return [("nginx's host key not mounted", "R6 nginx:", no_host_key_mount),
            ("ftps's certificate mount writable", "R6 ftps:", writable_tls),
            ("the TLS Secret not of type kubernetes.io/tls", "R6 R8:", opaque_tls),
            ("a placeholder for the TLS key", "R6 R8:", placeholder_key),
            ("a NodePort Service", "R15: no NodePort", nodeport),
            ("a container without a readinessProbe", "R14 nginx:", no_probe),
            ("a secret in a ConfigMap", "R16: no secret value in a ConfigMap", cm_secret),
            ("a passive port missing from the ftps Service", "R11 ftps:", no_pasv),
            ("an image pulled from a registry", "R3 mysql:", pull),
            ("two LoadBalancers on one port", "R5:", lb_clash),
            ("a secretKeyRef to a missing key", "every secretKeyRef", bad_ref),
            ("a database Deployment without Recreate", "R13 influxdb:", rolling),
            ("a password as a literal env value", "R16: no secret value in a ConfigMap",
             env_secret),
            ("a container without limits", "phpmyadmin: resources", no_limits),
            ("a Service selecting no pod", "Service/wordpress: its selector", selector),
            ("a container not named after its service", "R2 telegraf:", name)]


def self_test(stack):
    good = model(stack)
    with tempfile.TemporaryDirectory() as tmp:
        srcs = os.path.join(tmp, "srcs")
        os.makedirs(os.path.join(srcs, "nginx"))
        conf = os.path.join(srcs, "nginx", "nginx.conf")
        with open(conf, "w") as f:
            f.write("server { listen 443 ssl; }\n")
        res = Lint(stack, copy.deepcopy(good), srcs).run()
        bad = [n for s, n, _ in res if s]
        yield (1 if bad else 0, "self-test: the model render passes every check (%d)"
               % len(res), ["the model fails: %s" % n for n in bad])
        with open(conf, "a") as f:
            f.write("# auth_basic_user_file: %s\n"
                    % next(iter(good[0]["stringData"].values())))
        res = Lint(stack, copy.deepcopy(good), srcs).run()
        hit = [why for s, n, why in res if s and n.startswith("R16: no secret value in any file")]
        yield (0 if hit else 1, "self-test: a secret in a file under srcs/ fails 'R16: no "
               "secret value in any file under srcs/'", ["it says: " + w for w in sum(hit, [])])
    for desc, check, breakit in breakages(stack):
        docs = copy.deepcopy(good)
        breakit(docs)
        res = Lint(stack, docs).run()
        failed = [(n, why) for s, n, why in res if s]
        hit = [f for f in failed if f[0].startswith(check)]
        yield (0 if hit else 1, "self-test: %s fails '%s...'" % (desc, check),
               ["it says: " + w for f in hit for w in f[1]] or
               ["what failed instead: %s" % [f[0] for f in failed]])


def load_rendered(path):
    return [d for d in yaml.safe_load_all(open(path)) if d is not None]


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        results = self_test(yaml.safe_load(open(argv[2])))
    elif len(argv) == 4:
        results = Lint(yaml.safe_load(open(argv[1])), load_rendered(argv[2]), argv[3]).run()
    else:
        sys.stderr.write(__doc__)
        return 2
    for status, name, why in results:
        if name is not None:
            print("%d\t%s" % (status, name))
        for w in why if status or name is None else []:
            print("# " + w.replace("\n", " "))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
