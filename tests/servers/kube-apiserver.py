#!/usr/bin/python3
# kube-apiserver.py: a TEST DOUBLE of the Kubernetes API server, for tests
# only (never a cluster to run anything on). Python 3.11 standard library +
# PyYAML; the PKI is made with the openssl CLI.
#
# What it implements, as the real kube-apiserver (v1.31) does per the
# Kubernetes API docs (API concepts, server-side apply, Status objects):
#   - HTTPS (TLS 1.2+); authentication by a client certificate of DIR/ca.pem
#     (user = CN, groups = O) or a bearer token (DIR/token: "admin",
#     DIR/view-token: "view", TokenRequest tokens: the service account);
#     no credentials: 401 Unauthorized. "view" may only get/list/watch (403
#     Forbidden, worded as the RBAC authorizer words it); everyone else may do
#     everything (no RBAC evaluation).
#   - /readyz /livez /healthz /version; legacy discovery (/api, /api/v1,
#     /apis, /apis/G, /apis/G/V) and aggregated discovery
#     (APIGroupDiscoveryList, apidiscovery.k8s.io/v2) of the built-in
#     resources below and of every CustomResourceDefinition applied.
#   - server-side apply (PATCH application/apply-patch+yaml): fieldManager,
#     force, managedFields (fieldsV1) per manager, 409 FieldManagerConflict,
#     removal of fields a manager stops applying, a no-op apply changes
#     nothing; metadata.generation bumped only by changes outside metadata
#     and status; one global resourceVersion counter. Also POST (create),
#     PUT (update), merge patch (application/merge-patch+json) and the
#     status subresource. Minimal validation (names, Deployment replicas and
#     selector, Service ports, TokenRequest expiration) with 422 Invalid.
#   - GET, LIST (labelSelector, fieldSelector, limit/continue), WATCH
#     (resourceVersion, allowWatchBookmarks, sendInitialEvents,
#     timeoutSeconds, 410 Expired after compaction), DELETE
#     (propagationPolicy Foreground/Background/Orphan; namespaces delete
#     their contents).
#   - simulated controllers: a Deployment gets a ReplicaSet NAME-HASH and pods
#     NAME-HASH-XXXXX, a StatefulSet pods NAME-0.. (and the claims of its
#     volumeClaimTemplates), a DaemonSet one pod NAME-XXXXX (one node), a Job
#     one pod; their status and events (core/v1 Event) follow the state the
#     test sets (control API, below) or auto mode, as do bare pods; PVCs get
#     Bound, LoadBalancer Services an ingress IP; a CRD is Established at
#     once (or held, or its names refused: below); each namespace gets its
#     "default" ServiceAccount. Controllers act at once, within the request that
#     changed their object (the create/apply answer itself is what was
#     stored, before them, as in the real server); pods are deleted at
#     once (no graceful termination).
#   - TokenRequest (serviceaccounts/NAME/token).
# Simplified (say so in a test that relies on it): no admission, no RBAC
# evaluation, no real scheduler or kubelet, no OpenAPI (/openapi/* is 404),
# no schema (unknown fields kept, every list of a custom resource atomic,
# built-in lists keyed only where listed in LIST_KEYS), no strategic merge
# patch or JSON patch (415), a continued LIST reads the current state (not
# the first page's snapshot), defaults only for the fields named in
# defaults(), one node, at most MAX_PODS pods per workload. A client
# certificate that is not of DIR/ca.pem fails the TLS handshake (Python's ssl
# verifies at the handshake) where the real server answers 401. kubectl
# works with --validate=false (it wants OpenAPI to validate).
# fieldManager missing on an apply is 422 PatchOptions Invalid, as
# ValidatePatchOptions in the real server makes it.
#
# Control API: plain HTTP on DIR/control.sock, see Control.route() and
# tests/servers/kube.sh. Every API request is appended to DIR/requests.log as
# one JSON object {"method","path","query","status","user","content_type","port"}
# (port: the client's source port, one per connection).
# DIR/server.log is the server's log; it never holds a token or a key.
#
# CRDs held: POST /crds/hold {"hold": true} holds every CRD written from
# then on where the real naming controller leaves it before the
# establishing controller runs: NamesAccepted True, Established False
# (reason Installing); its custom resources are served (the real
# crdHandler serves a CRD whose names are accepted) but absent from
# discovery (the DiscoveryController lists only Established CRDs), so
# /apis/G/V is 404 until one is. POST /crds/establish {"name"} (name
# optional: every held CRD) is the establishing controller: Established
# True, its resources in discovery; it answers {"established": [NAMES],
# "log_lines": N}, N the requests.log lines written before it.
# {"hold": false} establishes at once again (a CRD already Established
# stays so either way).
#
# CRD names: the real naming controller's (naming_controller.go). A CRD
# asking for a plural, singular, short name, kind or listKind that another
# CRD of its group has accepted gets NamesAccepted False with that
# controller's reason (PluralConflict, SingularConflict,
# ShortNamesConflict, KindConflict, ListKindConflict: the last check
# failed) and message ('"Widget" is already in use'), Established False
# (NotAccepted, "not all names are accepted"; POST /crds/establish does not
# establish it), and its other names accepted; it is neither served nor in
# discovery (the crdHandler serves a CRD only while its names are accepted
# or it is Established). A CRD of the group written or deleted names the
# refused ones again, as the controller's requeue does. The singular and
# listKind are defaulted (the kind in lower case, KIND + "List") for it.
#
#   kube-apiserver.py --dir DIR [--host 127.0.0.1] [--port 0] [--address IP]...
#                     [--lb-ip IP] [--auto-ready]
#                     [--write-kubeconfig PATH [--kubeconfig-server URL]]
import argparse
import base64
import copy
import datetime
import hashlib
import http.server
import json
import os
import random
import re
import secrets
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import yaml

GIT_VERSION = "v1.31.4+ftboot-test"
ADMIN_CN = "ftboot-test-admin"
NODE = "ftboot-test-node"
ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery rand's alphabet
MAX_PODS = 50  # pods simulated per workload (its status still counts spec.replicas)

# ---------------------------------------------------------------- PKI


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], r.stderr.strip()))


def write_private(path, data):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)
    os.chmod(path + ".tmp", 0o600)
    os.rename(path + ".tmp", path)


def make_pki(d, addresses):
    """CA, server and admin client certificates, tokens: what is missing."""
    p = lambda n: os.path.join(d, n)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    if not os.path.exists(p("ca.pem")):
        old = os.umask(0o077)
        try:
            openssl("req", "-x509", *ec, "-keyout", p("ca-key.pem"), "-out", p("ca.pem"),
                    "-days", "3650", "-subj", "/CN=ftboot-test-ca",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        finally:
            os.umask(old)
        for n in ("server.pem", "client.pem"):
            if os.path.exists(p(n)):
                os.unlink(p(n))
    if os.path.exists(p("server.pem")) and addresses:
        # A server certificate kept from an earlier start must name every
        # address asked for now (a guest may have a new IP): else made anew.
        r = subprocess.run(["openssl", "x509", "-in", p("server.pem"), "-noout", "-ext",
                            "subjectAltName"], capture_output=True, text=True)
        have = set(re.findall(r"(?:IP Address|DNS):([^\s,]+)", r.stdout))
        if r.returncode != 0 or not set(addresses) <= have:
            os.unlink(p("server.pem"))
    if not os.path.exists(p("server.pem")):
        sans = ["DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc", "IP:127.0.0.1"]
        for a in addresses:
            sans.append(("IP:" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", a) else "DNS:") + a)
        ext = p("server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n"
                    % ",".join(dict.fromkeys(sans)))
        sign(d, "server", "/CN=kube-apiserver", ext)
    if not os.path.exists(p("client.pem")):
        ext = p("client.ext")
        with open(ext, "w") as f:
            f.write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n"
                    "basicConstraints=CA:FALSE\n")
        sign(d, "client", "/O=system:masters/CN=" + ADMIN_CN, ext)
    for n in ("token", "view-token"):
        if not os.path.exists(p(n)):
            write_private(p(n), secrets.token_hex(24) + "\n")


def sign(d, name, subj, ext):
    p = lambda n: os.path.join(d, n)
    old = os.umask(0o077)
    try:
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", p(name + "-key.pem"), "-out", p(name + ".csr"),
                "-subj", subj)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"), "-CAkey",
                p("ca-key.pem"), "-set_serial", "0x" + secrets.token_hex(16), "-days", "825",
                "-sha256", "-extfile", ext, "-out", p(name + ".pem"))
    finally:
        os.umask(old)
    os.unlink(p(name + ".csr"))
    os.unlink(ext)
    os.chmod(p(name + ".pem"), 0o644)


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def kubeconfig(d, server, name, token=None):
    user = {"token": token} if token else {
        "client-certificate-data": b64file(os.path.join(d, "client.pem")),
        "client-key-data": b64file(os.path.join(d, "client-key.pem"))}
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": name, "cluster": {
            "server": server, "certificate-authority-data": b64file(os.path.join(d, "ca.pem"))}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name}, default_flow_style=False, sort_keys=False)


# ---------------------------------------------------------------- resources


class Res:
    def __init__(self, group, version, plural, kind, namespaced, short=(), status=False,
                 verbs=None, categories=(), crd=None, generation=False):
        self.group, self.version, self.plural, self.kind = group, version, plural, kind
        self.singular = kind.lower()
        self.namespaced, self.short, self.status = namespaced, list(short), status
        self.verbs = verbs or ["create", "delete", "deletecollection", "get", "list",
                               "patch", "update", "watch"]
        self.categories, self.crd = list(categories), crd
        self.generation = generation or crd is not None
        # A custom resource whose CRD is not Established yet is served (its
        # names are accepted) but not in discovery, as the real server's
        # crdHandler and DiscoveryController do.
        self.established = True

    @property
    def gv(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def gr(self):  # "deployments.apps", "configmaps"
        return self.plural + "." + self.group if self.group else self.plural

    @property
    def gk(self):  # "Deployment.apps", "Service"
        return self.kind + "." + self.group if self.group else self.kind


BUILTIN = [
    Res("", "v1", "namespaces", "Namespace", False, ["ns"], status=True),
    Res("", "v1", "nodes", "Node", False, ["no"], status=True),
    Res("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    Res("", "v1", "secrets", "Secret", True),
    Res("", "v1", "services", "Service", True, ["svc"], status=True, categories=["all"]),
    Res("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    Res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"], status=True),
    Res("", "v1", "persistentvolumes", "PersistentVolume", False, ["pv"], status=True),
    Res("", "v1", "pods", "Pod", True, ["po"], status=True, categories=["all"]),
    Res("", "v1", "events", "Event", True, ["ev"]),
    Res("", "v1", "endpoints", "Endpoints", True, ["ep"]),
    Res("apps", "v1", "deployments", "Deployment", True, ["deploy"], status=True,
        categories=["all"], generation=True),
    Res("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"], status=True,
        categories=["all"], generation=True),
    Res("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], status=True,
        categories=["all"], generation=True),
    Res("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], status=True,
        categories=["all"], generation=True),
    Res("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    Res("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    Res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    Res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    Res("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
        False, ["crd", "crds"], status=True, generation=True),
    Res("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ["sc"]),
    Res("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], status=True,
        generation=True),
    Res("batch", "v1", "jobs", "Job", True, status=True, categories=["all"], generation=True),
]
GROUP_ORDER = ["", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io",
               "storage.k8s.io", "apiextensions.k8s.io"]

# Lists merged by key in server-side apply (the +listMapKey of the built-in
# types), by the name of the field that holds them; every other list is
# atomic.
LIST_KEYS = {
    "containers": ["name"], "initContainers": ["name"], "ephemeralContainers": ["name"],
    "env": ["name"], "volumes": ["name"], "volumeMounts": ["mountPath"],
    "imagePullSecrets": ["name"], "conditions": ["type"], "hostAliases": ["ip"],
}
# "ports": a container's by containerPort+protocol, a Service's by
# port+protocol (list_keys).

# ---------------------------------------------------------------- helpers


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        s["details"] = details
    s["code"] = code
    return s


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
           415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class ApiError(Exception):
    def __init__(self, body, headers=None):
        super().__init__(body["message"])
        self.body, self.headers = body, headers or {}


def not_found(res, name):
    return ApiError(status(404, "NotFound", '%s "%s" not found' % (res.gr, name),
                           {"name": name, "group": res.group, "kind": res.plural}
                           if res.group else {"name": name, "kind": res.plural}))


def conflict(res, name):
    """A resourceVersion precondition that failed, as apierrors.NewConflict words it."""
    return ApiError(status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": '
                           "the object has been modified; please apply your changes to the "
                           "latest version and try again" % (res.gr, name),
                           {"name": name, "group": res.group, "kind": res.plural}
                           if res.group else {"name": name, "kind": res.plural}))


def bad_request(msg):
    return ApiError(status(400, "BadRequest", msg))


def no_such_path():
    return ApiError(status(404, "NotFound", "the server could not find the requested resource",
                           {}))


def invalid(res, name, errs):
    """errs: [(reason, field, message)] as apimachinery's field.ErrorList."""
    msgs = ["%s: %s" % (f, m) for _, f, m in errs]
    text = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    details = {"name": name}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.kind
    details["causes"] = [{"reason": r, "message": m, "field": f} for r, f, m in errs]
    return ApiError(status(422, "Invalid", '%s "%s" is invalid: %s' % (res.gk, name, text),
                           details))


def go_value(v):
    """A value as Go's %#v / %v prints it in field errors."""
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "map[string]string{%s}" % ", ".join(
            "%s:%s" % (json.dumps(k), json.dumps(str(x))) for k, x in sorted(v.items()))
    if v is None:
        return "null"
    return str(v)


DNS1123_SUB = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
SUB_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character (e.g. "
           "'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
             "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


# The types of the built-in fields the double reads, for the check the real
# server makes when it converts an apply (or any body) to its typed object.
TYPED = [("metadata", dict), ("metadata.labels", "strmap"), ("metadata.annotations", "strmap"),
         ("metadata.ownerReferences", "dictlist"), ("metadata.finalizers", "strlist"),
         ("spec", dict), ("status", dict), ("spec.replicas", int), ("spec.selector", dict),
         ("spec.selector.matchLabels", "strmap"), ("spec.template", dict),
         ("spec.template.metadata", dict), ("spec.template.metadata.labels", "strmap"),
         ("spec.template.spec", dict), ("spec.template.spec.containers", "dictlist"),
         ("spec.template.spec.initContainers", "dictlist"), ("spec.containers", "dictlist"),
         ("spec.template.spec.volumes", "dictlist"), ("spec.volumeClaimTemplates", "dictlist"),
         ("spec.ports", "dictlist"), ("spec.type", str), ("spec.names", dict),
         ("spec.versions", "dictlist"), ("spec.group", str), ("spec.expirationSeconds", int),
         ("spec.names.plural", str), ("spec.names.kind", str), ("spec.names.singular", str),
         ("spec.names.listKind", str), ("spec.names.shortNames", "strlist"),
         ("spec.names.categories", "strlist"), ("spec.scope", str)]
TYPED_DATA = [("data", "strmap"), ("stringData", "strmap")]
TYPE_WORDS = {dict: "map", "strmap": "map", "dictlist": "list", "strlist": "list", int:
              "numeric (int or float)", str: "string"}


def go_type(v):
    return ("map" if isinstance(v, dict) else "list" if isinstance(v, list) else "string"
            if isinstance(v, str) else "bool" if isinstance(v, bool) else "null" if v is None
            else "numeric")


def type_error(res, body):
    """The first field of body whose type is wrong, as "PATH: expected X, got Y"."""
    checks = TYPED + (TYPED_DATA if res.plural in ("configmaps", "secrets") else [])
    if res.crd:
        checks = checks[:5]
    for path, want in checks:
        v = get_path(body, *path.split("."))
        if v is None:
            continue
        ok = {dict: isinstance(v, dict), int: isinstance(v, int) and not isinstance(v, bool),
              str: isinstance(v, str), "strmap": isinstance(v, dict),
              "dictlist": isinstance(v, list), "strlist": isinstance(v, list)}[want]
        if not ok:
            return ".%s: expected %s, got %s" % (path, TYPE_WORDS[want], go_type(v))
        items = v.items() if want == "strmap" else enumerate(v) if want in (
            "dictlist", "strlist") else ()
        for k, x in items:
            need = dict if want == "dictlist" else str
            if not isinstance(x, need):
                where = ".%s.%s" % (path, k) if want == "strmap" else ".%s[%d]" % (path, k)
                return "%s: expected %s, got %s" % (where, TYPE_WORDS[need], go_type(x))
    for c in (get_path(body, "spec", "template", "spec", "containers") or
              get_path(body, "spec", "containers") or []):
        for f in ("ports", "env", "volumeMounts"):
            if c.get(f) is not None and not (isinstance(c[f], list) and all(
                    isinstance(x, dict) for x in c[f])):
                return ".spec.containers[].%s: expected list of maps, got %s" % (f, go_type(c[f]))
        for f in ("name", "image"):
            if c.get(f) is not None and not isinstance(c[f], str):
                return ".spec.containers[].%s: expected string, got %s" % (f, go_type(c[f]))
    if res.plural == "customresourcedefinitions":
        for v in get_path(body, "spec", "versions") or []:
            if not isinstance(v.get("name", ""), str):
                return ".spec.versions[].name: expected string, got %s" % go_type(v["name"])
            if not isinstance(v.get("subresources") or {}, dict):
                return ".spec.versions[].subresources: expected map"
    for v in get_path(body, "spec", "volumeClaimTemplates") or []:
        for f in ("metadata", "spec"):
            if not isinstance(v.get(f) or {}, dict):
                return ".spec.volumeClaimTemplates[].%s: expected map, got %s" % (f, go_type(v[f]))
    for p in get_path(body, "spec", "ports") or []:
        if "port" in p and (not isinstance(p["port"], int) or isinstance(p["port"], bool)):
            return ".spec.ports[].port: expected numeric (int or float), got %s" % go_type(
                p["port"])
    return None


def name_errors(res, name):
    label = res.plural in ("namespaces", "services")
    rx, msg, cap = (DNS1123_LABEL, LABEL_MSG, 63) if label else (DNS1123_SUB, SUB_MSG, 253)
    if not name:
        return [("FieldValueRequired", "metadata.name",
                 "Required value: name or generateName is required")]
    errs = []
    if len(name) > cap:
        errs.append(("FieldValueInvalid", "metadata.name", "Invalid value: %s: must be no more "
                     "than %d characters" % (go_value(name), cap)))
    if not rx.fullmatch(name):
        errs.append(("FieldValueInvalid", "metadata.name",
                     "Invalid value: %s: %s" % (go_value(name), msg)))
    return errs


def rand5(n=5):
    return "".join(random.choice(ALNUM) for _ in range(n))


def template_hash(tmpl):
    h = hashlib.sha256(json.dumps(tmpl, sort_keys=True).encode()).digest()
    return "".join(ALNUM[b % len(ALNUM)] for b in h[:10])


def get_path(obj, *keys):
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


# ---------------------------------------------------------------- server-side apply
# A field set is a set of paths; a path is a tuple of fieldsV1 elements:
# "f:NAME" (a map's field), 'k:{"name":"app"}' (an item of a keyed list) and
# "." (the item itself). Only leaves (and "." of list items) are in the set.

STRIPPED = ("apiVersion", "kind")
META_STRIPPED = ("name", "namespace", "uid", "resourceVersion", "generation",
                 "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
                 "deletionGracePeriodSeconds")


def list_keys(field, items, custom):
    if custom or not items or not all(isinstance(i, dict) for i in items):
        return None
    if field == "ports":
        return ["containerPort", "protocol"] if "containerPort" in items[0] else ["port", "protocol"]
    return LIST_KEYS.get(field)


def item_key(item, keys):
    return "k:" + json.dumps({k: item[k] for k in sorted(keys) if k in item},
                             separators=(",", ":"), sort_keys=True)


def strip_for_fields(obj, res):
    o = {k: v for k, v in obj.items() if k not in STRIPPED}
    if isinstance(o.get("metadata"), dict):
        o["metadata"] = {k: v for k, v in o["metadata"].items() if k not in META_STRIPPED}
        if not o["metadata"]:
            del o["metadata"]
    return o


def fieldset(obj, custom, prefix=()):
    out = set()
    for k, v in obj.items():
        p = prefix + ("f:" + k,)
        if isinstance(v, dict) and v:
            out |= fieldset(v, custom, p)
        elif isinstance(v, list) and list_keys(k, v, custom):
            keys = list_keys(k, v, custom)
            for item in v:
                ip = p + (item_key(item, keys),)
                out.add(ip + (".",))
                out |= fieldset(item, custom, ip)
        else:
            out.add(p)
    return out


def set_to_v1(fs):
    root = {}
    for path in sorted(fs):
        d = root
        for e in path:
            d = d.setdefault(e, {})
    return root


def v1_to_set(v1, prefix=()):
    out = set()
    for k, v in v1.items():
        p = prefix + (k,)
        if k == "." or not v:
            out.add(p)
        else:
            out |= v1_to_set(v, p)
    return out


def path_str(path):
    s = ""
    for e in path:
        if e.startswith("f:"):
            s += "." + e[2:]
        elif e.startswith("k:"):
            s += "[" + ",".join("%s=%s" % (k, json.dumps(v))
                                for k, v in json.loads(e[2:]).items()) + "]"
    return s


def lookup(obj, path):
    """(found, value) at path in obj."""
    cur = obj
    for e in path:
        if e == ".":
            return True, None
        if e.startswith("f:"):
            if not isinstance(cur, dict) or e[2:] not in cur:
                return False, None
            cur = cur[e[2:]]
        else:
            want = json.loads(e[2:])
            if not isinstance(cur, list):
                return False, None
            for item in cur:
                if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                    cur = item
                    break
            else:
                return False, None
    return True, cur


def remove_path(obj, path):
    cur, parent, last = obj, None, None
    for i, e in enumerate(path):
        if e == ".":
            if isinstance(parent, list):
                parent.remove(cur)
            return
        if e.startswith("f:"):
            if not isinstance(cur, dict) or e[2:] not in cur:
                return
            if i == len(path) - 1:
                del cur[e[2:]]
                return
            parent, cur = cur, cur[e[2:]]
        else:
            want = json.loads(e[2:])
            if not isinstance(cur, list):
                return
            for item in cur:
                if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                    parent, cur = cur, item
                    break
            else:
                return


def merge(live, cfg, custom, field=None):
    """cfg applied over live: maps merged, keyed lists merged by key, the rest replaced."""
    if isinstance(live, dict) and isinstance(cfg, dict):
        out = copy.deepcopy(live)
        for k, v in cfg.items():
            out[k] = merge(live.get(k), v, custom, k) if k in live else copy.deepcopy(v)
        return out
    if isinstance(live, list) and isinstance(cfg, list):
        keys = list_keys(field, cfg, custom)
        if keys and all(isinstance(i, dict) for i in live):
            out, used = [], set()
            for item in cfg:
                kk = item_key(item, keys)
                match = next((j for j, li in enumerate(live)
                              if j not in used and item_key(li, keys) == kk), None)
                if match is None:
                    out.append(copy.deepcopy(item))
                else:
                    used.add(match)
                    out.append(merge(live[match], item, custom))
            out += [copy.deepcopy(li) for j, li in enumerate(live) if j not in used]
            return out
    return copy.deepcopy(cfg)


def default_ports(cfg):
    """protocol is a key of the ports lists: it defaults to TCP before the merge."""
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            if k == "ports" and isinstance(v, list):
                for p in v:
                    if isinstance(p, dict) and "protocol" not in p:
                        p["protocol"] = "TCP"
            default_ports(v)
    elif isinstance(cfg, list):
        for v in cfg:
            default_ports(v)


def managers(obj):
    return get_path(obj, "metadata", "managedFields") or []


def manager_label(m):
    s = json.dumps(m["manager"])
    if m.get("subresource"):
        s += " with subresource %s" % json.dumps(m["subresource"])
    s += " using " + m.get("apiVersion", "")
    if m.get("operation") == "Update" and m.get("time"):
        s += " at " + m["time"]
    return s


def manager_entry(me, fs, res, op):
    e = {"manager": me[0], "operation": op, "apiVersion": res.gv, "time": now(),
         "fieldsType": "FieldsV1", "fieldsV1": set_to_v1(fs)}
    if me[2]:
        e["subresource"] = me[2]
    return e


def set_manager(obj, me, fs, res, op, subresource):
    mf = [m for m in managers(obj)
          if (m["manager"], m["operation"], m.get("subresource", "")) != me]
    if fs:
        mf.append(manager_entry(me, fs, res, op))
    obj["metadata"]["managedFields"] = mf


def strip_times(obj):
    o = copy.deepcopy(obj)
    o["metadata"].pop("resourceVersion", None)
    for m in o["metadata"].get("managedFields", []):
        m.pop("time", None)
    return o


def spec_of(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


# ---------------------------------------------------------------- selectors

TERM_RX = [
    (re.compile(r"!\s*([A-Za-z0-9_./-]+)"), lambda m: (m[1], "!", None)),
    (re.compile(r"([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^()]*)\)"),
     lambda m: (m[1], m[2], [v.strip() for v in m[3].split(",") if v.strip()])),
    (re.compile(r"([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)"),
     lambda m: (m[1], "=" if m[2] == "==" else m[2], [m[3]])),
    (re.compile(r"([A-Za-z0-9_./-]+)"), lambda m: (m[1], "exists", None)),
]


def split_terms(s):
    terms, depth, cur = [], 0, ""
    for c in s:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += c
    terms.append(cur)
    return [t.strip() for t in terms if t.strip()]


def parse_labels(s):
    reqs = []
    for t in split_terms(s or ""):
        for rx, mk in TERM_RX:
            m = rx.fullmatch(t)
            if m:
                reqs.append(mk(m))
                break
        else:
            raise bad_request("unable to parse requirement: found '%s', expected: "
                              "'in', 'notin', '=', '==', '!=', 'gt', 'lt', ')' or identifier"
                              % t)
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        have = key in labels
        v = labels.get(key)
        if op == "exists" and not have or op == "!" and have:
            return False
        if op == "=" and v != vals[0] or op == "!=" and have and v == vals[0]:
            return False
        if op == "in" and v not in vals or op == "notin" and have and v in vals:
            return False
    return True


FIELDS = {
    "events": ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
               "involvedObject.uid", "involvedObject.apiVersion",
               "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
               "reportingComponent", "source", "type"],
    "pods": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
             "spec.serviceAccountName", "status.phase", "status.podIP",
             "status.nominatedNodeName"],
    "secrets": ["type"], "namespaces": ["status.phase"], "nodes": ["spec.unschedulable"],
}


def parse_fields(s, res):
    reqs = []
    for t in split_terms(s or ""):
        m = re.fullmatch(r"([A-Za-z.]+)\s*(==|=|!=)\s*(.*)", t)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (s, t))
        f = m[1]
        if f not in ("metadata.name", "metadata.namespace") + tuple(FIELDS.get(res.plural, [])):
            if res.crd:
                raise bad_request('"%s" is not a known field selector: only "metadata.name", '
                                  '"metadata.namespace"' % f)
            raise bad_request("field label not supported: " + f)
        reqs.append((f, m[2] == "!=", m[3]))
    return reqs


def fields_match(reqs, obj):
    for f, neg, v in reqs:
        have = get_path(obj, *f.split("."))
        have = "" if have is None else str(have).lower() if isinstance(have, bool) else str(have)
        if (have == v) == neg:
            return False
    return True


# ---------------------------------------------------------------- the store


def key_of(res, ns, name):
    return (res.group, res.plural, ns or "", name)


class Store:
    def __init__(self, args, log):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.log = log
        self.res = {}  # (group, version, plural) -> Res
        for r in BUILTIN:
            self.res[(r.group, r.version, r.plural)] = r
        self.objects = {}
        self.rv = 1000
        self.history, self.history_rv = [], []
        self.compacted = 0
        self.close_epoch = 0
        self.watchers = 0
        self.sim = {}  # (plural, ns, name) -> state set by POST /state
        self.lbs = {}  # (ns, name) -> ip set by POST /lb
        self.auto_ready, self.lb_ip = args.auto_ready, args.lb_ip
        self.event_seen = {}  # pod uid -> state its events were made for
        self.tokens = {}  # token -> (user, groups, expiry)
        self.ready = True
        self.fail = []  # injected failures
        self.crd_hold = False  # POST /crds/hold: CRDs wait for POST /crds/establish
        self.cluster_ip = 10
        self.node_port = 30000
        with self.lock:
            for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
                self.create_builtin("namespaces", {"metadata": {"name": ns}})
            self.create_builtin("nodes", node_object())
            self.create_builtin("services", {"metadata": {
                "name": "kubernetes", "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"type": "ClusterIP", "clusterIP": "10.43.0.1",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                    "targetPort": 6443}]}})
            self.create_builtin("storageclasses", {
                "metadata": {"name": "local-path", "annotations": {
                    "storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer"})

    # -- resources

    def find(self, group, version, plural):
        r = self.res.get((group, version, plural))
        if r is None:
            raise no_such_path()
        return r

    def object_of(self, path):
        """(resource, name) of an object's path, or None (a list, no such resource)."""
        parts = path.strip("/").split("/")
        gv = parts[1:2] if parts[0] == "api" else parts[1:3] if parts[0] == "apis" else []
        rest = parts[1 + len(gv):]
        if len(gv) not in (1, 2) or len(rest) < 2:
            return None
        if len(rest) >= 4 and rest[0] == "namespaces":
            rest = rest[2:]
        res = self.res.get(("" if len(gv) == 1 else gv[0], gv[-1], rest[0]))
        return (res, rest[1]) if res is not None and len(rest) == 2 else None

    def by_plural(self, plural):
        return next(r for r in self.res.values() if r.plural == plural and not r.crd)

    def by_kind(self, api_version, kind):
        g, _, v = api_version.rpartition("/")
        for r in self.res.values():
            if r.group == g and r.version == v and r.kind == kind:
                return r
        return None

    # -- writes: every change goes through put/drop, which bump the one
    # resourceVersion counter and record the watch event.

    def record(self, typ, res, obj, prev):
        self.history.append((self.rv, typ, res.group, res.plural, copy.deepcopy(obj),
                             copy.deepcopy(prev) if prev else None))
        self.history_rv.append(self.rv)
        if len(self.history) > 20000:
            del self.history[:5000], self.history_rv[:5000]
            self.compacted = self.history_rv[0] - 1
        self.cond.notify_all()

    def put(self, res, obj, created=False):
        m = obj["metadata"]
        k = key_of(res, m.get("namespace"), m["name"])
        prev = self.objects.get(k)
        self.rv += 1
        m["resourceVersion"] = str(self.rv)
        self.objects[k] = obj
        self.record("ADDED" if prev is None else "MODIFIED", res, obj, prev)
        return obj

    def put_if_changed(self, res, obj):
        m = obj["metadata"]
        prev = self.objects.get(key_of(res, m.get("namespace"), m["name"]))
        if prev is not None and prev == obj:
            return prev
        return self.put(res, obj)

    def drop(self, res, obj):
        m = obj["metadata"]
        k = key_of(res, m.get("namespace"), m["name"])
        if k not in self.objects:
            return
        del self.objects[k]
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.record("DELETED", res, obj, None)

    def get(self, res, ns, name):
        return self.objects.get(key_of(res, ns, name))

    def items(self, res, ns=None):
        out = []
        for k in sorted(self.objects):
            if k[0] == res.group and k[1] == res.plural and (ns is None or k[2] == ns):
                out.append(self.objects[k])
        return out

    def new_meta(self, res, obj, ns):
        m = obj.setdefault("metadata", {})
        if res.namespaced:
            m["namespace"] = ns
        m["uid"] = str(uuid.uuid4())
        m["creationTimestamp"] = now()
        if res.generation:
            m["generation"] = 1
        m.setdefault("managedFields", [])
        return m

    def create_builtin(self, plural, obj, ns=None, owner=None):
        """An object a controller (or the server itself) makes."""
        res = self.by_plural(plural)
        obj = {"kind": res.kind, "apiVersion": res.gv, **copy.deepcopy(obj)}
        ns = ns or obj["metadata"].get("namespace")
        self.new_meta(res, obj, ns)
        if not obj["metadata"]["managedFields"]:
            del obj["metadata"]["managedFields"]
        if owner is not None:
            obj["metadata"]["ownerReferences"] = [owner_ref(owner)]
        defaults(self, res, obj, None)
        self.put(res, obj, created=True)
        self.after_write(res, obj, None)
        return obj

    # -- server-side apply, create, update

    def check_namespace(self, res, ns):
        if res.namespaced and self.get(self.by_plural("namespaces"), None, ns) is None:
            raise ApiError(status(404, "NotFound", 'namespaces "%s" not found' % ns,
                                  {"name": ns, "kind": "namespaces"}))

    def check_body(self, res, ns, name, body, subresource):
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format - accepted "
                              "media types include: application/json, application/yaml")
        if body.get("apiVersion") != res.gv and not subresource == "status":
            raise bad_request("the API version in the data (%s) does not match the expected "
                              "API version (%s)" % (body.get("apiVersion", ""), res.gv))
        if body.get("kind") != res.kind and not subresource == "status":
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)"
                              % (body.get("kind", ""), res.kind))
        for k in [k for k, v in body.items() if v is None]:
            del body[k]  # null is unset
        m = body.setdefault("metadata", {})
        if isinstance(m, dict):
            for k in [k for k, v in m.items() if v is None]:
                del m[k]
        err = type_error(res, body)
        if err:
            raise bad_request("failed to create typed patch object (%s/%s, Kind=%s): %s"
                              % (res.group, res.version, res.kind, err))
        if not isinstance(m.get("name", ""), str) or not isinstance(m.get("namespace", ""), str):
            raise bad_request("failed to create typed patch object (%s/%s, Kind=%s): "
                              ".metadata.name: expected string" % (res.group, res.version,
                                                                   res.kind))
        if name is not None and m.setdefault("name", name) != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL "
                              "(%s)" % (m["name"], name))
        if res.namespaced and m.setdefault("namespace", ns) != ns:
            raise bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request")

    def apply(self, res, ns, name, body, manager, force, subresource=None):
        self.check_body(res, ns, name, body, subresource)
        if "managedFields" in body["metadata"]:
            raise bad_request("metadata.managedFields must be nil")
        live = self.get(res, ns, name)
        if live is None and subresource:
            raise not_found(res, name)
        self.check_namespace(res, ns)
        cfg = copy.deepcopy(body)
        if subresource == "status":
            cfg = {"status": cfg.get("status", {})}
        elif res.status:
            cfg.pop("status", None)
        custom = res.crd is not None
        default_ports(cfg)
        fs_new = fieldset(strip_for_fields(cfg, res), custom)
        me = (manager, "Apply", subresource or "")
        base = live if live is not None else {}
        fs_old = set()
        others = []
        for m in managers(base):
            s = v1_to_set(m.get("fieldsV1", {}))
            if (m["manager"], m["operation"], m.get("subresource", "")) == me:
                fs_old = s
            else:
                others.append([m, s])
        conflicts = []
        for m, s in others:
            for p in sorted(s & fs_new):
                if p[-1] == ".":
                    continue
                if lookup(base, p) != lookup(cfg, p):
                    conflicts.append((m, p))
        if conflicts and not force:
            causes = [{"reason": "FieldManagerConflict",
                       "message": "conflict with " + manager_label(m), "field": path_str(p)}
                      for m, p in conflicts]
            if len(conflicts) == 1:
                msg = "Apply failed with 1 conflict: conflict with %s: %s" % (
                    manager_label(conflicts[0][0]), path_str(conflicts[0][1]))
            else:
                parts = []
                for lab in sorted({manager_label(m) for m, _ in conflicts}):
                    parts.append("conflicts with %s:" % lab)
                    parts += ["- " + path_str(p) for m, p in conflicts if manager_label(m) == lab]
                msg = "Apply failed with %d conflicts: %s" % (len(conflicts), "\n".join(parts))
            raise ApiError(status(409, "Conflict", msg, {"causes": causes}))
        for m, s in others:  # forced: the conflicting fields move to this manager
            s -= {p for mm, p in conflicts if mm is m}
        new = merge(base, cfg, custom)
        owned_elsewhere = set().union(*[s for _, s in others]) if others else set()
        for p in sorted(fs_old - fs_new - owned_elsewhere, key=len, reverse=True):
            remove_path(new, p)
        new.setdefault("metadata", {})
        mf, placed = [], False
        for m in managers(base):
            if (m["manager"], m["operation"], m.get("subresource", "")) == me:
                placed = True
                if fs_new:
                    mf.append(manager_entry(me, fs_new, res, "Apply"))
                continue
            s = next(s for mm, s in others if mm is m)
            if s:
                mf.append(dict(m, fieldsV1=set_to_v1(s)))
        if not placed and fs_new:
            mf.append(manager_entry(me, fs_new, res, "Apply"))
        new["metadata"]["managedFields"] = mf
        return self.commit(res, ns, name, live, new)

    def commit(self, res, ns, name, live, new):
        """Defaults, validation, then the write (none when nothing changed)."""
        defaults(self, res, new, live)
        errs = validate(res, new, live)
        if errs:
            raise invalid(res, name, errs)
        if live is None:
            for k in ("uid", "resourceVersion", "generation", "creationTimestamp"):
                new["metadata"].pop(k, None)
            self.new_meta(res, new, ns)
            new["kind"], new["apiVersion"] = res.kind, res.gv
            self.put(res, new, created=True)
            self.after_write(res, new, None)
            return 201, new
        for k in ("uid", "creationTimestamp", "generation", "resourceVersion"):
            if k in live["metadata"]:
                new["metadata"][k] = live["metadata"][k]
        new["kind"], new["apiVersion"] = res.kind, res.gv
        if strip_times(new) == strip_times(live):
            return 200, live
        if res.generation and spec_of(new) != spec_of(live):
            new["metadata"]["generation"] = live["metadata"].get("generation", 0) + 1
        self.put(res, new)
        self.after_write(res, new, live)
        return 200, new

    def create(self, res, ns, body, manager):
        self.check_body(res, ns, None, body, None)
        m = body["metadata"]
        if not m.get("name") and m.get("generateName"):
            m["name"] = m["generateName"] + rand5()
        name = m.get("name", "")
        if res.namespaced:
            self.check_namespace(res, ns)
        if self.get(res, ns, name) is not None:
            raise ApiError(status(409, "AlreadyExists", '%s "%s" already exists' % (res.gr, name),
                                  {"name": name, "group": res.group, "kind": res.plural}
                                  if res.group else {"name": name, "kind": res.plural}))
        new = copy.deepcopy(body)
        if res.status:
            new.pop("status", None)
        new["metadata"].pop("managedFields", None)
        self.own_changes(res, new, {}, manager, None)
        return self.commit(res, ns, name, None, new)

    def update(self, res, ns, name, body, manager, subresource=None, patch=None):
        live = self.get(res, ns, name)
        if live is None:
            if patch is not None or subresource:
                raise not_found(res, name)
            code, obj = self.create(res, ns, body, manager)
            return code, obj
        if patch is not None:
            if not isinstance(patch, dict):
                raise bad_request("json: cannot unmarshal %s into Go value of type map[string]"
                                  "interface {}" % go_type(patch))
            body = merge_patch(copy.deepcopy(live), patch)
        self.check_body(res, ns, name, body, subresource)
        rv = body["metadata"].get("resourceVersion")
        if rv and rv != live["metadata"]["resourceVersion"]:
            raise conflict(res, name)
        new = copy.deepcopy(body)
        if subresource == "status":
            new = dict(copy.deepcopy(live), status=new.get("status", {}))
        elif res.status:
            new["status"] = copy.deepcopy(live.get("status", {}))
            if not new["status"]:
                del new["status"]
        new["metadata"]["managedFields"] = copy.deepcopy(managers(live))
        self.own_changes(res, new, live, manager, subresource)
        return self.commit(res, ns, name, live, new)

    def own_changes(self, res, new, live, manager, subresource):
        """An Update manager owns the fields it changed (and takes them from others)."""
        custom = res.crd is not None
        changed = {p for p in fieldset(strip_for_fields(new, res), custom)
                   if lookup(live, p) != lookup(new, p)}
        if not changed:
            return
        me = (manager, "Update", subresource or "")
        mine = set()
        kept = []
        for m in managers(new):
            s = v1_to_set(m.get("fieldsV1", {}))
            if (m["manager"], m["operation"], m.get("subresource", "")) == me:
                mine = s
                continue
            s -= changed
            if s:
                kept.append(dict(m, fieldsV1=set_to_v1(s)))
        new["metadata"]["managedFields"] = kept
        set_manager(new, me, mine | changed, res, "Update", subresource)

    # -- delete

    def dependents(self, uid):
        return [(self.res_of(o), o) for o in list(self.objects.values())
                if any(r.get("uid") == uid for r in get_path(o, "metadata", "ownerReferences")
                       or [])]

    def res_of(self, obj):
        return self.by_kind(obj["apiVersion"], obj["kind"])

    def delete(self, res, ns, name, policy):
        obj = self.get(res, ns, name)
        if obj is None:
            raise not_found(res, name)
        if policy not in (None, "Foreground", "Background", "Orphan"):
            raise ApiError(status(422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: '
                                  'propagationPolicy: Unsupported value: "%s": supported values: '
                                  '"Foreground", "Background", "Orphan"' % policy,
                                  {"group": "meta.k8s.io", "kind": "DeleteOptions", "causes": [
                                      {"reason": "FieldValueNotSupported", "message":
                                       'Unsupported value: "%s": supported values: "Foreground", '
                                       '"Background", "Orphan"' % policy,
                                       "field": "propagationPolicy"}]}))
        uid = obj["metadata"]["uid"]
        if res.plural == "namespaces":
            # The namespace goes Terminating, its contents are deleted, then it.
            t = copy.deepcopy(obj)
            t["metadata"]["deletionTimestamp"] = now()
            t["status"] = {"phase": "Terminating"}
            shown = self.put(res, t)
            shown = copy.deepcopy(shown)
            for k in sorted(self.objects):
                o = self.objects.get(k)
                if o is not None and k[2] == name and self.res_of(o).namespaced:
                    self.drop(self.res_of(o), o)
            self.drop(res, self.get(res, None, name))
            return 200, shown
        if policy in ("Foreground", "Orphan"):
            t = copy.deepcopy(obj)
            t["metadata"]["deletionTimestamp"] = now()
            t["metadata"]["deletionGracePeriodSeconds"] = 0
            fin = t["metadata"].setdefault("finalizers", [])
            fin.append("foregroundDeletion" if policy == "Foreground" else "orphan")
            shown = copy.deepcopy(self.put(res, t))
            self.gc(uid, orphan=policy == "Orphan")
            self.drop(res, self.get(res, ns, name))
            self.after_delete(res, obj)
            return 200, shown
        self.drop(res, obj)
        self.gc(uid, orphan=False)
        self.after_delete(res, obj)
        details = {"name": name}
        if res.group:
            details["group"] = res.group
        details["kind"] = res.plural
        details["uid"] = uid
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": details}

    def gc(self, uid, orphan):
        """The garbage collector: dependents deleted (or orphaned)."""
        for r, o in self.dependents(uid):
            if orphan:
                o = copy.deepcopy(o)
                o["metadata"]["ownerReferences"] = [
                    x for x in o["metadata"]["ownerReferences"] if x.get("uid") != uid]
                if not o["metadata"]["ownerReferences"]:
                    del o["metadata"]["ownerReferences"]
                self.put(r, o)
            else:
                self.drop(r, o)
                self.gc(o["metadata"]["uid"], False)

    def after_delete(self, res, obj):
        m = obj["metadata"]
        self.sim.pop((res.plural, m.get("namespace", ""), m["name"]), None)
        if res.plural == "customresourcedefinitions":
            for k, r in list(self.res.items()):
                if r.crd == m["name"]:
                    for o in self.items(r):
                        self.drop(r, o)
                    del self.res[k]
            self.rename_group(get_path(obj, "spec", "group"), m["name"])
        if res.plural == "pods":
            # A ReplicaSet's (StatefulSet's, DaemonSet's) pod comes back.
            for ref in m.get("ownerReferences", []):
                owner = self.by_uid(ref.get("uid"))
                if owner is not None:
                    top = self.by_uid(next((r["uid"] for r in owner["metadata"].get(
                        "ownerReferences", [])), None)) or owner
                    self.reconcile(self.res_of(top), top)

    def by_uid(self, uid):
        if uid is None:
            return None
        return next((o for o in self.objects.values() if o["metadata"]["uid"] == uid), None)

    # -- list and watch

    def list(self, res, ns, q):
        lsel = parse_labels(q.get("labelSelector"))
        fsel = parse_fields(q.get("fieldSelector"), res)
        limit = q.get("limit")
        try:
            limit = int(limit) if limit else 0
        except ValueError:
            raise bad_request("limit: Invalid value: %s" % go_value(limit))
        start = ""
        cont = q.get("continue")
        list_rv = self.rv
        if cont:
            try:
                tok = json.loads(base64.urlsafe_b64decode(cont + "=" * (-len(cont) % 4)))
                start, list_rv = tok["start"], int(tok["rv"])
            except (ValueError, KeyError, TypeError):
                raise bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            if list_rv < self.compacted:
                raise ApiError(status(410, "Expired", "The provided continue parameter is too "
                                      "old to display a consistent list result. You can start a "
                                      "new list without the continue parameter."))
        out = []
        for o in self.items(res, ns):
            m = o["metadata"]
            k = "%s/%s" % (m.get("namespace", ""), m["name"])
            if start and k <= start:
                continue
            if labels_match(lsel, m.get("labels")) and fields_match(fsel, o):
                out.append(o)
        meta = {"resourceVersion": str(list_rv)}
        if limit and len(out) > limit:
            last = out[limit - 1]["metadata"]
            tok = {"v": "meta.k8s.io/v1", "rv": list_rv,
                   "start": "%s/%s" % (last.get("namespace", ""), last["name"])}
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps(tok, separators=(",", ":")).encode()).decode().rstrip("=")
            meta["remainingItemCount"] = len(out) - limit
            out = out[:limit]
        items = []
        for o in out:
            o = copy.deepcopy(o)
            if not res.crd:  # built-in lists carry no kind/apiVersion per item
                o.pop("kind", None)
                o.pop("apiVersion", None)
            items.append(o)
        return {"kind": res.kind + "List", "apiVersion": res.gv, "metadata": meta,
                "items": items}

    def matches(self, res, ns, lsel, fsel, obj):
        if obj is None:
            return False
        m = obj["metadata"]
        return ((ns is None or m.get("namespace", "") == ns)
                and labels_match(lsel, m.get("labels")) and fields_match(fsel, obj))

    def watch_events(self, res, ns, lsel, fsel, after):
        """Events after rv `after` for this watch (caller holds the lock)."""
        import bisect
        i = bisect.bisect_right(self.history_rv, after)
        out = []
        for rv, typ, g, plural, obj, prev in self.history[i:]:
            if g != res.group or plural != res.plural:
                continue
            now_in = self.matches(res, ns, lsel, fsel, obj)
            was_in = self.matches(res, ns, lsel, fsel, prev)
            if typ == "MODIFIED" and now_in and not was_in:
                typ = "ADDED"
            elif typ == "MODIFIED" and was_in and not now_in:
                typ, now_in = "DELETED", True
            if now_in:
                out.append({"type": typ, "object": obj})
        return out

    # -- simulated controllers (run under the lock, right after each write)

    def after_write(self, res, obj, old):
        p = res.plural
        m = obj["metadata"]
        if p == "namespaces" and old is None:
            sa = self.by_plural("serviceaccounts")
            if self.get(sa, m["name"], "default") is None:
                self.create_builtin("serviceaccounts", {"metadata": {"name": "default"}},
                                    ns=m["name"])
        elif p == "customresourcedefinitions":
            self.establish(obj)
            self.rename_group(get_path(obj, "spec", "group"), m["name"])
        elif p in ("deployments", "statefulsets", "daemonsets"):
            if old is not None and spec_of(old) != spec_of(obj):
                self.sim.pop((p, m["namespace"], m["name"]), None)  # a new rollout
            self.reconcile(res, obj)
        elif p in ("persistentvolumeclaims", "services", "jobs"):
            self.reconcile(res, obj)
        elif p == "pods" and not m.get("ownerReferences"):
            self.pod_state(obj, self.state_of(res, obj))  # a bare pod: the kubelet runs it

    def state_of(self, res, obj):
        m = obj["metadata"]
        st = self.sim.get((res.plural, m.get("namespace", ""), m["name"]))
        return st or ("ready" if self.auto_ready else "progressing")

    def reconcile_all(self):
        for plural in ("deployments", "statefulsets", "daemonsets", "persistentvolumeclaims",
                       "services", "jobs", "pods"):
            r = self.by_plural(plural)
            for o in self.items(r):
                if plural != "pods":
                    self.reconcile(r, o)
                elif not o["metadata"].get("ownerReferences"):
                    self.pod_state(o, self.state_of(r, o))

    def reconcile(self, res, obj):
        obj = copy.deepcopy(obj)
        st = self.state_of(res, obj)
        if res.plural == "persistentvolumeclaims":
            if st == "ready":
                obj["status"] = {"phase": "Bound", "accessModes": get_path(
                    obj, "spec", "accessModes") or ["ReadWriteOnce"], "capacity": {
                    "storage": get_path(obj, "spec", "resources", "requests", "storage")
                    or "1Gi"}}
                obj["spec"]["volumeName"] = "pvc-" + obj["metadata"]["uid"]
            else:
                obj["status"] = {"phase": "Pending"}
            self.put_if_changed(res, obj)
        elif res.plural == "services":
            m = obj["metadata"]
            ip = self.lbs.get((m["namespace"], m["name"]))
            if ip is None and self.auto_ready and self.lb_ip:
                ip = self.lb_ip
            if get_path(obj, "spec", "type") == "LoadBalancer" and ip:
                obj["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
            else:
                obj["status"] = {"loadBalancer": {}}
            self.put_if_changed(res, obj)
        elif res.plural in ("deployments", "statefulsets", "daemonsets"):
            self.roll(res, obj, st)
        elif res.plural == "jobs":
            self.job(res, obj, st)
        elif res.plural == "pods":
            self.pod_state(obj, st)

    def job(self, res, obj, st):
        """A Job's one pod; "ready" is the job Complete (its pod Succeeded)."""
        m = obj["metadata"]
        pods_res = self.by_plural("pods")
        pods = [p for p in self.items(pods_res, m["namespace"]) if owned_by(p, obj)]
        tmpl = get_path(obj, "spec", "template") or {}
        if not pods:
            labels = dict(get_path(tmpl, "metadata", "labels") or {}, **{
                "batch.kubernetes.io/job-name": m["name"], "job-name": m["name"],
                "batch.kubernetes.io/controller-uid": m["uid"],
                "controller-uid": m["uid"]})
            pods = [self.create_builtin("pods", {
                "metadata": {"name": "%s-%s" % (m["name"], rand5()), "labels": labels},
                "spec": copy.deepcopy(tmpl.get("spec", {}))}, ns=m["namespace"], owner=obj)]
        self.pod_state(pods[0], st, job=True)
        obj = copy.deepcopy(obj)
        t = m["creationTimestamp"]
        s = {"startTime": t, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
        if st == "ready":
            s.update(succeeded=1, completionTime=t, conditions=[
                {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": t,
                 "lastTransitionTime": t, "reason": "CompletionsReached",
                 "message": "Reached expected number of succeeded pods"},
                {"type": "Complete", "status": "True", "lastProbeTime": t,
                 "lastTransitionTime": t, "reason": "CompletionsReached",
                 "message": "Reached expected number of succeeded pods"}])
        else:
            s["active"] = 1
        obj["status"] = s
        self.put_if_changed(res, obj)

    def roll(self, res, obj, st):
        m, spec = obj["metadata"], obj.get("spec", {})
        ns, name = m["namespace"], m["name"]
        tmpl = spec.get("template", {})
        h = template_hash(tmpl)
        want = 1 if res.plural == "daemonsets" else spec.get("replicas", 1)
        pods_want = min(want, MAX_PODS)
        owner = obj
        pods_res = self.by_plural("pods")
        if res.plural == "deployments":
            rs_res = self.by_plural("replicasets")
            rs_name = "%s-%s" % (name, h)
            for rs in self.items(rs_res, ns):
                if (owned_by(rs, obj) and rs["metadata"]["name"] != rs_name
                        and rs.get("spec", {}).get("replicas") != 0):
                    rs = copy.deepcopy(rs)
                    rs["spec"]["replicas"] = 0
                    rs["status"] = {"replicas": 0, "observedGeneration":
                                    rs["metadata"].get("generation", 1)}
                    self.put(rs_res, rs)
                    for pod in self.items(pods_res, ns):
                        if owned_by(pod, rs):
                            self.drop(pods_res, pod)
            rs = self.get(rs_res, ns, rs_name)
            labels = dict(get_path(tmpl, "metadata", "labels") or {}, **{"pod-template-hash": h})
            if rs is None:
                sel = copy.deepcopy(spec.get("selector", {}))
                sel.setdefault("matchLabels", {})["pod-template-hash"] = h
                t = copy.deepcopy(tmpl)
                t.setdefault("metadata", {})["labels"] = labels
                rs = self.create_builtin("replicasets", {"metadata": {
                    "name": rs_name, "namespace": ns, "labels": labels, "annotations": {
                        "deployment.kubernetes.io/revision": str(1 + sum(
                            1 for x in self.items(rs_res, ns) if owned_by(x, obj)))}},
                    "spec": {"replicas": want, "selector": sel, "template": t}}, owner=obj)
                self.event(obj, "ScalingReplicaSet", "Normal", "Scaled up replica set %s from 0 "
                           "to %d" % (rs_name, want), "deployment-controller")
            if rs["spec"].get("replicas") != want:
                self.event(obj, "ScalingReplicaSet", "Normal", "Scaled %s replica set %s from %d "
                           "to %d" % ("up" if want > rs["spec"].get("replicas", 0) else "down",
                                      rs_name, rs["spec"].get("replicas", 0), want),
                           "deployment-controller")
                rs = copy.deepcopy(rs)
                rs["spec"]["replicas"] = want
                rs["metadata"]["generation"] += 1
                rs = self.put(rs_res, rs)
            owner = rs
            pod_name = lambda i: "%s-%s" % (rs_name, rand5())
        elif res.plural == "statefulsets":
            labels = dict(get_path(tmpl, "metadata", "labels") or {},
                          **{"controller-revision-hash": "%s-%s" % (name, h)})
            pod_name = lambda i: "%s-%d" % (name, i)
        else:
            labels = dict(get_path(tmpl, "metadata", "labels") or {},
                          **{"controller-revision-hash": h, "pod-template-generation":
                             str(m.get("generation", 1))})
            pod_name = lambda i: "%s-%s" % (name, rand5())
        pods = [p for p in self.items(pods_res, ns) if owned_by(p, owner)]
        for p in pods:  # a StatefulSet's or DaemonSet's pods of an old template go
            pl = {k: v for k, v in p["metadata"].get("labels", {}).items()
                  if k != "statefulset.kubernetes.io/pod-name"}
            if pl != labels or res.plural == "statefulsets" and int(
                    p["metadata"]["name"].rsplit("-", 1)[1]) >= want:
                self.drop(pods_res, p)
        pods = [p for p in self.items(pods_res, ns) if owned_by(p, owner)]
        for p in pods[pods_want:]:
            self.drop(pods_res, p)
        pods = pods[:pods_want]
        have = {p["metadata"]["name"] for p in pods}
        i = 0
        while len(pods) < pods_want:
            n = pod_name(i)
            i += 1
            if n in have:
                continue
            pod = {"metadata": {"name": n, "namespace": ns, "labels": labels,
                                "annotations": get_path(tmpl, "metadata", "annotations") or {}},
                   "spec": copy.deepcopy(tmpl.get("spec", {}))}
            if not pod["metadata"]["annotations"]:
                del pod["metadata"]["annotations"]
            if res.plural == "statefulsets":
                pod["metadata"]["labels"] = dict(labels, **{
                    "statefulset.kubernetes.io/pod-name": n})
                for vct in spec.get("volumeClaimTemplates") or []:
                    self.claim(vct, ns, "%s-%s" % (get_path(vct, "metadata", "name"), n), obj)
            pods.append(self.create_builtin("pods", pod, ns=ns, owner=owner))
            have.add(n)
        for p in pods:
            self.pod_state(p, st)
        self.workload_status(res, obj, st, want, owner)

    def claim(self, vct, ns, name, owner):
        pvc = self.by_plural("persistentvolumeclaims")
        if self.get(pvc, ns, name) is None:
            c = {"metadata": {"name": name, "namespace": ns,
                              "labels": get_path(owner, "spec", "selector", "matchLabels") or {}},
                 "spec": copy.deepcopy(vct.get("spec", {}))}
            self.create_builtin("persistentvolumeclaims", c, ns=ns)

    def pod_state(self, pod, st, job=False):
        pods_res = self.by_plural("pods")
        pod = copy.deepcopy(pod)
        m = pod["metadata"]
        cs = get_path(pod, "spec", "containers") or []
        t = m["creationTimestamp"]
        cond = lambda typ, ok, **kw: dict({"type": typ, "status": "True" if ok else "False",
                                           "lastProbeTime": None, "lastTransitionTime": t}, **kw)
        pod["spec"]["nodeName"] = NODE
        s = {"phase": "Pending", "hostIP": "10.0.2.15", "hostIPs": [{"ip": "10.0.2.15"}],
             "podIP": "10.42.0.%d" % (10 + int(m["uid"][:2], 16) % 200), "startTime": t,
             "qosClass": "BestEffort"}
        s["podIPs"] = [{"ip": s["podIP"]}]
        running = {"running": {"startedAt": t}}
        statuses = []
        for c in cs:
            cst = {"name": c.get("name"), "image": c.get("image"), "imageID": "",
                   "ready": False, "started": False, "restartCount": 0,
                   "state": {"waiting": {"reason": "ContainerCreating"}}}
            if st == "ready":
                cst.update(ready=True, started=True, state=running,
                           containerID="containerd://" + hashlib.sha256(
                               (m["uid"] + str(c.get("name"))).encode()).hexdigest(),
                           imageID=c.get("image", "") + "@sha256:" + hashlib.sha256(
                               str(c.get("image")).encode()).hexdigest())
            elif st == "image-pull":
                cst["state"] = {"waiting": {"reason": "ErrImagePull", "message": pull_error(c)}}
            elif st == "crash":
                cst.update(restartCount=3, started=False, state={"waiting": {
                    "reason": "CrashLoopBackOff", "message":
                    "back-off 40s restarting failed container=%s pod=%s_%s(%s)"
                    % (c.get("name"), m["name"], m["namespace"], m["uid"])}},
                    lastState={"terminated": {"exitCode": 1, "reason": "Error",
                                              "startedAt": t, "finishedAt": t}})
            statuses.append(cst)
        ready = st == "ready"
        if st == "pending":
            del pod["spec"]["nodeName"]
            for k in ("hostIP", "hostIPs", "podIP", "podIPs", "startTime"):
                del s[k]
            s["conditions"] = [cond("PodScheduled", False, reason="Unschedulable",
                                    message="0/1 nodes are available: 1 Insufficient memory.")]
        else:
            s["phase"] = "Running" if st in ("ready", "crash") else "Pending"
            nr = {} if ready else {"reason": "ContainersNotReady", "message":
                                   "containers with unready status: [%s]" % " ".join(
                                       str(c.get("name")) for c in cs)}
            s["conditions"] = [cond("PodReadyToStartContainers", st != "progressing"),
                               cond("Initialized", True), cond("Ready", ready, **nr),
                               cond("ContainersReady", ready, **nr), cond("PodScheduled", True)]
            s["containerStatuses"] = statuses
        if job and ready:
            s["phase"] = "Succeeded"
            for c in s["containerStatuses"]:
                c.update(ready=False, started=False, state={"terminated": {
                    "exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}})
            for c in s["conditions"]:
                if c["type"] in ("Ready", "ContainersReady"):
                    c.update(status="False", reason="PodCompleted")
        pod["status"] = s
        self.put_if_changed(pods_res, pod)
        if self.event_seen.get(m["uid"]) != st:
            self.event_seen[m["uid"]] = st
            for reason, typ, msg, comp, path in pod_events(pod, st):
                self.event(pod, reason, typ, msg, comp, path)

    def event(self, obj, reason, typ, msg, component, field_path=None):
        ev_res = self.by_plural("events")
        m = obj["metadata"]
        ref = {"kind": obj["kind"], "namespace": m["namespace"], "name": m["name"],
               "uid": m["uid"], "apiVersion": obj["apiVersion"],
               "resourceVersion": m["resourceVersion"]}
        if field_path:
            ref["fieldPath"] = field_path
        for e in self.items(ev_res, m["namespace"]):
            if (e["involvedObject"]["uid"] == m["uid"] and e["reason"] == reason
                    and e["message"] == msg):
                e = copy.deepcopy(e)
                e["count"] += 1
                e["lastTimestamp"] = now()
                self.put(ev_res, e)
                return
        t = now()
        self.create_builtin("events", {
            "metadata": {"name": "%s.%016x" % (m["name"], random.getrandbits(64)),
                         "namespace": m["namespace"]},
            "involvedObject": ref, "reason": reason, "message": msg,
            "source": {"component": component, **({"host": NODE} if component == "kubelet"
                                                   else {})},
            "firstTimestamp": t, "lastTimestamp": t, "count": 1, "type": typ,
            "eventTime": None, "reportingComponent": component,
            "reportingInstance": NODE if component == "kubelet" else ""}, ns=m["namespace"])

    def workload_status(self, res, obj, st, want, owner):
        m = obj["metadata"]
        ready = want if st == "ready" else 0
        gen = m.get("generation", 1)
        t = m["creationTimestamp"]
        obj = copy.deepcopy(obj)
        cond = lambda typ, ok, reason, msg: {
            "type": typ, "status": "True" if ok else "False", "lastUpdateTime": t,
            "lastTransitionTime": t, "reason": reason, "message": msg}
        if res.plural == "deployments":
            rs = owner["metadata"]["name"]
            s = {"observedGeneration": gen, "replicas": want, "updatedReplicas": want}
            if ready:
                s.update(readyReplicas=ready, availableReplicas=ready)
            if want - ready:
                s["unavailableReplicas"] = want - ready
            avail = cond("Available", ready >= want, "MinimumReplicasAvailable",
                         "Deployment has minimum availability.") if ready >= want else cond(
                "Available", False, "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.")
            if st == "ready":
                prog = cond("Progressing", True, "NewReplicaSetAvailable",
                            'ReplicaSet "%s" has successfully progressed.' % rs)
            elif st == "deadline":
                prog = cond("Progressing", False, "ProgressDeadlineExceeded",
                            'ReplicaSet "%s" has timed out progressing.' % rs)
            else:
                prog = cond("Progressing", True, "ReplicaSetUpdated",
                            'ReplicaSet "%s" is progressing.' % rs)
            s["conditions"] = [avail, prog]
            rs_obj = copy.deepcopy(owner)
            rs_obj["status"] = {"replicas": want, "fullyLabeledReplicas": want,
                                "observedGeneration": rs_obj["metadata"].get("generation", 1)}
            if ready:
                rs_obj["status"].update(readyReplicas=ready, availableReplicas=ready)
            self.put_if_changed(self.by_plural("replicasets"), rs_obj)
        elif res.plural == "statefulsets":
            rev = "%s-%s" % (m["name"], template_hash(obj.get("spec", {}).get("template", {})))
            s = {"observedGeneration": gen, "replicas": want, "currentReplicas": want,
                 "updatedReplicas": want, "currentRevision": rev, "updateRevision": rev,
                 "collisionCount": 0, "availableReplicas": ready}
            if ready:
                s["readyReplicas"] = ready
        else:
            s = {"currentNumberScheduled": want, "numberMisscheduled": 0,
                 "desiredNumberScheduled": want, "numberReady": ready, "observedGeneration": gen,
                 "updatedNumberScheduled": want, "numberAvailable": ready}
            if want - ready:
                s["numberUnavailable"] = want - ready
            if not ready:
                del s["numberAvailable"]
        obj["status"] = s
        self.put_if_changed(res, obj)

    def names_in_use(self, group):
        """The real naming controller's getAcceptedNamesForGroup: the resource
        names (plural, singular, short names) and the kinds (kind, listKind)
        the CRDs of group have accepted (status.acceptedNames), a CRD's own
        among them."""
        resources, kinds = set(), set()
        for o in self.items(self.by_plural("customresourcedefinitions")):
            if get_path(o, "spec", "group") != group:
                continue
            a = get_path(o, "status", "acceptedNames") or {}
            resources.update([a.get("plural", ""), a.get("singular", "")] + list(
                a.get("shortNames") or []))
            kinds.update([a.get("kind", ""), a.get("listKind", "")])
        return resources, kinds

    def accept_names(self, crd):
        """The real naming controller's calculateNamesAndConditions: the names
        accepted (each asked-for name that is its already or that no CRD of
        the group has accepted; the others stay as they were) and the
        NamesAccepted condition (status, reason, message), of the last check
        failed (plural, singular, short names, kind, listKind, in its order)
        or NoConflicts. Skipped, as its sync skips it, when the CRD has its
        names already."""
        want, had = crd_names(crd), get_path(crd, "status", "acceptedNames") or {}
        old = next((c for c in get_path(crd, "status", "conditions") or []
                    if c.get("type") == "NamesAccepted"), None)
        if want == had and old is not None:
            return had, (old.get("status"), old.get("reason"), old.get("message"))
        resources, kinds = self.names_in_use(get_path(crd, "spec", "group"))
        new, cond = dict(had), None
        for key, used, reason in (("plural", resources, "PluralConflict"),
                                  ("singular", resources, "SingularConflict"),
                                  ("shortNames", resources, "ShortNamesConflict"),
                                  ("kind", kinds, "KindConflict"),
                                  ("listKind", kinds, "ListKindConflict")):
            if key == "shortNames":
                if want.get(key, []) == had.get(key, []):
                    continue
                # Its own short names and accepted plural or singular are
                # not conflicts; the errors are aggregated (utilerrors).
                errs = []
                for s in want.get(key, []):
                    m = '"%s" is already in use' % s
                    if (s not in had.get(key, []) and s not in (had.get("plural"), had.get(
                            "singular")) and s in used and m not in errs):
                        errs.append(m)
                if errs:
                    cond = ("False", reason, errs[0] if len(errs) == 1 else
                            "[" + ", ".join(errs) + "]")
                else:
                    new[key] = want[key]
            elif want.get(key, "") == had.get(key, "") or want.get(key, "") not in used:
                new[key] = want.get(key, "")  # equalToAcceptedOrFresh
            else:
                cond = ("False", reason, '"%s" is already in use' % want.get(key, ""))
        if want.get("categories"):
            new["categories"] = want["categories"]
        else:
            new.pop("categories", None)
        new = {"plural": "", "kind": "", **new}  # not omitempty in the Go struct
        return ({k: v for k, v in new.items() if v or k in ("plural", "kind")},
                cond or ("True", "NoConflicts", "no conflicts found"))

    def establish(self, crd, now_established=False):
        """The naming and establishing controllers of apiextensions-apiserver:
        the names accepted (accept_names), then Established at once, or while
        POST /crds/hold holds it, only when POST /crds/establish
        (now_established) says so; a CRD whose names are not accepted is
        never Established (Established False, NotAccepted). Once Established,
        a CRD stays so. Its resources are served while its names are
        accepted or it is Established (the crdHandler's test), under its
        accepted names, and in discovery once it is Established."""
        spec = crd.get("spec", {})
        g, plural = spec.get("group") or "", get_path(spec, "names", "plural") or ""
        old = {c.get("type"): c for c in get_path(crd, "status", "conditions") or []}
        accepted, names_cond = self.accept_names(crd)
        was = old.get("Established", {})
        if was.get("status") == "True":
            est = (was.get("status"), was.get("reason"), was.get("message"))
        elif names_cond[0] != "True":
            est = ((was.get("status"), was.get("reason"), was.get("message")) if was else
                   ("False", "NotAccepted", "not all names are accepted"))
        elif now_established or not self.crd_hold:
            est = ("True", "InitialNamesAccepted", "the initial names have been accepted")
        else:
            est = ("False", "Installing", "the initial names have been accepted")
        established = est[0] == "True"
        for k, r in list(self.res.items()):
            if r.crd == crd["metadata"]["name"]:
                del self.res[k]
        for v in spec.get("versions") or []:
            if v.get("served", True) and (names_cond[0] == "True" or established):
                r = Res(g, v.get("name", "v1"), plural, accepted.get("kind", ""),
                        spec.get("scope") == "Namespaced", accepted.get("shortNames") or [],
                        status="status" in (v.get("subresources") or {}),
                        categories=accepted.get("categories") or [],
                        crd=crd["metadata"]["name"])
                r.singular = accepted.get("singular", "")
                r.established = established
                self.res[(g, r.version, plural)] = r
        crd = copy.deepcopy(crd)
        t = now()
        # A condition keeps its lastTransitionTime while its status stays
        # (SetCRDCondition).
        conds = []
        for typ, (st, reason, msg) in (("NamesAccepted", names_cond), ("Established", est)):
            o = old.get(typ, {})
            conds.append({"type": typ, "status": st, "lastTransitionTime": o.get(
                "lastTransitionTime", t) if o.get("status") == st else t,
                "reason": reason, "message": msg})
        crd["status"] = {"conditions": conds, "acceptedNames": accepted,
                         "storedVersions": [v["name"] for v in spec.get("versions") or []
                                            if v.get("storage")]}
        self.put_if_changed(self.by_plural("customresourcedefinitions"), crd)
        return established

    def rename_group(self, group, name):
        """The naming controller's requeueAllOtherGroupCRDs, after CRD name
        of group was written or deleted (a name it held may be free now):
        each other CRD of the group is named again."""
        res = self.by_plural("customresourcedefinitions")
        for o in self.items(res):
            # Its sync skips a CRD that has the names it asks for.
            if (get_path(o, "spec", "group") == group and o["metadata"]["name"] != name
                    and crd_names(o) != get_path(o, "status", "acceptedNames")):
                self.establish(o)


def crd_names(crd):
    """A CRD's spec.names as the real server defaults them (singular: the
    kind in lower case, listKind: KIND + "List") and writes them (plural
    and kind always, the others when not empty)."""
    n = get_path(crd, "spec", "names") or {}
    kind = n.get("kind") or ""
    out = {"plural": n.get("plural") or "", "singular": n.get("singular") or kind.lower(),
           "shortNames": list(n.get("shortNames") or []), "kind": kind,
           "listKind": n.get("listKind") or (kind + "List" if kind else ""),
           "categories": list(n.get("categories") or [])}
    return {k: v for k, v in out.items() if v or k in ("plural", "kind")}


def owned_by(obj, owner):
    return any(r.get("uid") == owner["metadata"]["uid"]
               for r in get_path(obj, "metadata", "ownerReferences") or [])


def owner_ref(owner):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def pull_error(c):
    img = str(c.get("image"))
    return ('failed to pull and unpack image "%s": failed to resolve reference "%s": %s: not found'
            % (img, img, img))


def pod_events(pod, st):
    m = pod["metadata"]
    out = []
    if st != "pending":
        out.append(("Scheduled", "Normal", "Successfully assigned %s/%s to %s"
                    % (m["namespace"], m["name"], NODE), "default-scheduler", None))
    for c in get_path(pod, "spec", "containers") or []:
        path = "spec.containers{%s}" % c.get("name")
        img = c.get("image")
        if st == "image-pull":
            out += [("Pulling", "Normal", 'Pulling image "%s"' % img, "kubelet", path),
                    ("Failed", "Warning", 'Failed to pull image "%s": %s' % (img, pull_error(c)),
                     "kubelet", path),
                    ("Failed", "Warning", "Error: ErrImagePull", "kubelet", path)]
        elif st == "crash":
            out += [("Started", "Normal", "Started container %s" % c.get("name"), "kubelet", path),
                    ("BackOff", "Warning", "Back-off restarting failed container %s in pod %s_%s(%s)"
                     % (c.get("name"), m["name"], m["namespace"], m["uid"]), "kubelet", path)]
        elif st == "ready":
            out += [("Pulled", "Normal", 'Container image "%s" already present on machine' % img,
                     "kubelet", path),
                    ("Created", "Normal", "Created container %s" % c.get("name"), "kubelet", path),
                    ("Started", "Normal", "Started container %s" % c.get("name"), "kubelet", path)]
    if st == "pending":
        out.append(("FailedScheduling", "Warning",
                    "0/1 nodes are available: 1 Insufficient memory.", "default-scheduler", None))
    return out


def node_object():
    t = now()
    return {"metadata": {"name": NODE, "labels": {
        "kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/control-plane": "true"}},
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"]},
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": t,
                                   "lastTransitionTime": t, "reason": "KubeletReady",
                                   "message": "kubelet is posting ready status"}],
                   "addresses": [{"type": "InternalIP", "address": "10.0.2.15"},
                                 {"type": "Hostname", "address": NODE}],
                   "nodeInfo": {"kubeletVersion": GIT_VERSION, "osImage": "Debian GNU/Linux 12",
                                "containerRuntimeVersion": "containerd://1.7.23",
                                "architecture": "amd64", "operatingSystem": "linux"}}}


# ---------------------------------------------------------------- defaults and validation


def defaults(store, res, obj, live):
    """The defaults the real API server fills in (a few: the ones clients read)."""
    spec = obj.setdefault("spec", {}) if res.plural in (
        "deployments", "statefulsets", "daemonsets", "services", "persistentvolumeclaims",
        "namespaces", "pods", "replicasets", "jobs") else None
    m = obj["metadata"]
    if res.plural in ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs"):
        pod_defaults(get_path(spec, "template", "spec"), res.plural != "jobs")
    if res.plural == "jobs":
        for k, v in (("parallelism", 1), ("completions", 1), ("backoffLimit", 6),
                     ("completionMode", "NonIndexed"), ("suspend", False),
                     ("podReplacementPolicy", "TerminatingOrFailed")):
            spec.setdefault(k, v)
    if res.plural == "pods":
        pod_defaults(spec)
    if res.plural == "deployments":
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        st = spec.setdefault("strategy", {})
        st.setdefault("type", "RollingUpdate")
        if st["type"] == "RollingUpdate":
            ru = st.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
    elif res.plural == "statefulsets":
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                           "rollingUpdate": {"partition": 0}})
    elif res.plural == "daemonsets":
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": 1, "maxSurge": 0}})
    elif res.plural == "services":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        old = get_path(live, "spec") or {}
        if spec["type"] != "ExternalName":
            if "clusterIP" not in spec:
                if old.get("clusterIP"):
                    spec["clusterIP"] = old["clusterIP"]
                else:
                    store.cluster_ip += 1
                    spec["clusterIP"] = "10.43.%d.%d" % (store.cluster_ip // 250,
                                                         store.cluster_ip % 250 + 2)
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        old_ports = {(p.get("port"), p.get("protocol")): p for p in old.get("ports") or []}
        for p in spec.get("ports") or []:
            if not isinstance(p, dict):
                continue
            p.setdefault("protocol", "TCP")
            if "port" in p:
                p.setdefault("targetPort", p["port"])
            if spec["type"] in ("NodePort", "LoadBalancer") and "nodePort" not in p:
                was = old_ports.get((p.get("port"), p["protocol"]), {}).get("nodePort")
                if was is None:
                    store.node_port += 1
                    was = store.node_port
                p["nodePort"] = was
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        if live is not None and "status" in live and "status" not in obj:
            obj["status"] = copy.deepcopy(live["status"])
    elif res.plural == "persistentvolumeclaims":
        spec.setdefault("volumeMode", "Filesystem")
        spec.setdefault("storageClassName", "local-path")
        if live is not None and "status" in live:
            obj.setdefault("status", copy.deepcopy(live["status"]))
            if get_path(live, "spec", "volumeName"):
                spec.setdefault("volumeName", live["spec"]["volumeName"])
        obj.setdefault("status", {"phase": "Pending"})
    elif res.plural == "namespaces":
        spec.setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        m.setdefault("labels", {})["kubernetes.io/metadata.name"] = m["name"]
    elif res.plural == "secrets":
        obj.setdefault("type", "Opaque")
        sd = obj.pop("stringData", None)
        if isinstance(sd, dict):
            d = obj.setdefault("data", {})
            for k, v in sd.items():
                d[k] = base64.b64encode(str(v).encode()).decode()
    elif res.plural == "serviceaccounts":
        pass
    if spec == {} and res.plural not in ("namespaces",):
        obj.pop("spec", None)
    # Status of resources with a status subresource survives main-resource
    # writes (the strategy resets it to the stored one).
    if res.status and live is not None and "status" in live and "status" not in obj:
        obj["status"] = copy.deepcopy(live["status"])


def pod_defaults(ps, restart=True):
    if not isinstance(ps, dict):
        return
    if restart:
        ps.setdefault("restartPolicy", "Always")
    ps.setdefault("dnsPolicy", "ClusterFirst")
    ps.setdefault("schedulerName", "default-scheduler")
    ps.setdefault("terminationGracePeriodSeconds", 30)
    ps.setdefault("securityContext", {})
    for c in ps.get("containers") or []:
        if isinstance(c, dict):
            img = str(c.get("image", ""))
            tag = img.rsplit("/", 1)[-1]
            latest = ":" not in tag or tag.endswith(":latest")
            c.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag
                         else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("resources", {})


def validate(res, obj, live):
    errs = name_errors(res, obj["metadata"].get("name", ""))
    if res.plural == "customresourcedefinitions":
        spec = obj.get("spec") or {}
        want = "%s.%s" % (get_path(spec, "names", "plural"), spec.get("group"))
        if obj["metadata"].get("name") != want:
            errs.append(("FieldValueInvalid", "metadata.name", 'Invalid value: %s: must be '
                         'spec.names.plural+"."+spec.group' % go_value(obj["metadata"].get(
                             "name", ""))))
        if not spec.get("versions"):
            errs.append(("FieldValueRequired", "spec.versions", "Required value: must have "
                         "exactly one version marked as storage version"))
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if res.plural in ("deployments", "statefulsets", "replicasets"):
        r = spec.get("replicas")
        if not isinstance(r, int) or isinstance(r, bool):
            errs.append(("FieldValueInvalid", "spec.replicas",
                         "Invalid value: %s: must be an integer" % go_value(r)))
        elif r < 0:
            errs.append(("FieldValueInvalid", "spec.replicas",
                         "Invalid value: %d: must be greater than or equal to 0" % r))
        elif r > 2147483647:
            errs.append(("FieldValueInvalid", "spec.replicas",
                         "Invalid value: %d: must be less than or equal to 2147483647" % r))
    if res.plural in ("deployments", "statefulsets", "daemonsets", "replicasets"):
        sel = spec.get("selector")
        tl = get_path(spec, "template", "metadata", "labels") or {}
        if not isinstance(sel, dict) or not (sel.get("matchLabels") or sel.get(
                "matchExpressions")):
            errs.append(("FieldValueRequired", "spec.selector", "Required value"))
            if isinstance(sel, dict):
                errs.append(("FieldValueInvalid", "spec.selector",
                             "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                             "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty "
                             "selector is invalid for deployment"))
        elif not selector_matches(sel, tl):
            errs.append(("FieldValueInvalid", "spec.template.metadata.labels",
                         "Invalid value: %s: `selector` does not match template `labels`"
                         % go_value(tl)))
        if live is not None and get_path(live, "spec", "selector") != sel:
            errs.append(("FieldValueInvalid", "spec.selector", "Invalid value: %s: field is "
                         "immutable" % go_value(get_path(sel, "matchLabels") or {})))
        cs = get_path(spec, "template", "spec", "containers")
        if not cs:
            errs.append(("FieldValueRequired", "spec.template.spec.containers", "Required value"))
        for i, c in enumerate(cs or []):
            if not isinstance(c, dict) or not c.get("image"):
                errs.append(("FieldValueRequired", "spec.template.spec.containers[%d].image" % i,
                             "Required value"))
    if res.plural == "jobs":
        rp = get_path(spec, "template", "spec", "restartPolicy")
        if rp not in ("OnFailure", "Never"):
            errs.append(("FieldValueRequired" if rp is None else "FieldValueNotSupported",
                         "spec.template.spec.restartPolicy",
                         'Required value: valid values: "OnFailure", "Never"' if rp is None else
                         'Unsupported value: %s: supported values: "OnFailure", "Never"'
                         % go_value(rp)))
    if res.plural == "services":
        typ = spec.get("type")
        if typ not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            errs.append(("FieldValueNotSupported", "spec.type", 'Unsupported value: %s: '
                         'supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
                         '"NodePort"' % go_value(typ)))
        ports = spec.get("ports")
        if not ports and typ != "ExternalName" and spec.get("clusterIP") != "None":
            errs.append(("FieldValueRequired", "spec.ports", "Required value"))
        for i, p in enumerate(ports or []):
            port = p.get("port") if isinstance(p, dict) else None
            if port is None:
                errs.append(("FieldValueRequired", "spec.ports[%d].port" % i, "Required value"))
            elif not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                errs.append(("FieldValueInvalid", "spec.ports[%d].port" % i,
                             "Invalid value: %s: must be between 1 and 65535, inclusive"
                             % go_value(port)))
            if len(ports) > 1 and isinstance(p, dict) and not p.get("name"):
                errs.append(("FieldValueRequired", "spec.ports[%d].name" % i, "Required value"))
    if res.plural in ("configmaps", "secrets"):
        for k in (obj.get("data") or {}):
            if not re.fullmatch(r"[-._a-zA-Z0-9]+", k) or len(k) > 253:
                errs.append(("FieldValueInvalid", "data[%s]" % k, "Invalid value: %s: a valid "
                             "config key must consist of alphanumeric characters, '-', '_' or '.' "
                             "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                             "validation is '[-._a-zA-Z0-9]+')" % go_value(k)))
    return errs


def selector_matches(sel, labels):
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if (op == "In" and labels.get(k) not in vals or op == "NotIn" and labels.get(k) in vals
                or op == "Exists" and k not in labels or op == "DoesNotExist" and k in labels):
            return False
    return True


# ---------------------------------------------------------------- discovery

READ_VERBS = ("get", "list", "watch")


def group_versions(store):
    gv = {}
    for r in store.res.values():
        if not r.established:
            continue
        gv.setdefault(r.group, {}).setdefault(r.version, []).append(r)
    order = lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g)
    return [(g, gv[g]) for g in sorted(gv, key=order)]


def legacy_resources(store, group, version):
    out = []
    for r in sorted((r for r in store.res.values() if r.group == group and r.version == version
                     and r.established), key=lambda r: r.plural):
        e = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": r.verbs}
        if r.short:
            e["shortNames"] = r.short
        if r.categories:
            e["categories"] = r.categories
        e["storageVersionHash"] = base64.b64encode(hashlib.sha256(
            (r.gv + r.kind).encode()).digest()[:8]).decode()
        out.append(e)
        if r.status:
            out.append({"name": r.plural + "/status", "singularName": "",
                        "namespaced": r.namespaced, "kind": r.kind,
                        "verbs": ["get", "patch", "update"]})
        if r.plural == "serviceaccounts":
            out.append({"name": "serviceaccounts/token", "singularName": "", "namespaced": True,
                        "group": "authentication.k8s.io", "version": "v1",
                        "kind": "TokenRequest", "verbs": ["create"]})
    return out


def aggregated(store, legacy, api_version):
    items = []
    for g, versions in group_versions(store):
        if (g == "") != legacy:
            continue
        vs = []
        for v in sorted(versions, reverse=True):
            rs = []
            for r in sorted(versions[v], key=lambda r: r.plural):
                e = {"resource": r.plural, "responseKind": {"group": g, "version": v,
                                                            "kind": r.kind},
                     "scope": "Namespaced" if r.namespaced else "Cluster",
                     "singularResource": r.singular, "verbs": r.verbs}
                if r.short:
                    e["shortNames"] = r.short
                if r.categories:
                    e["categories"] = r.categories
                subs = []
                if r.status:
                    subs.append({"subresource": "status", "responseKind": {
                        "group": g, "version": v, "kind": r.kind},
                        "verbs": ["get", "patch", "update"]})
                if r.plural == "serviceaccounts":
                    subs.append({"subresource": "token", "responseKind": {
                        "group": "authentication.k8s.io", "version": "v1",
                        "kind": "TokenRequest"}, "verbs": ["create"]})
                if subs:
                    e["subresources"] = subs
                rs.append(e)
            vs.append({"version": v, "resources": rs, "freshness": "Current"})
        items.append({"metadata": {"name": g, "creationTimestamp": None} if g else
                      {"creationTimestamp": None}, "versions": vs})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {},
            "items": items}


def wants_aggregated(accept):
    """The apidiscovery version the Accept header asks for first, or None."""
    for part in (accept or "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in part.split(";")[1:])
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") in ("v2", "v2beta1"):
                return params["v"]
        elif part.split(";")[0].strip() in ("application/json", "*/*"):
            return None
    return None


def group_entry(g, versions):
    vs = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in sorted(versions, reverse=True)]
    return {"name": g, "versions": vs, "preferredVersion": vs[0]}


# ---------------------------------------------------------------- HTTP

MAX_BODY = 3 * 1024 * 1024


class Request:
    pass


class Api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The status line, the headers and the body go out in separate writes:
    # with Nagle's algorithm each answer would wait for the client's
    # delayed ACK (about 40 ms), which the real server (Go sets
    # TCP_NODELAY) never does.
    disable_nagle_algorithm = True
    server_version = "ftboot-test-kube-apiserver"
    store = None  # set by main
    cfg = None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.api("GET")

    def do_POST(self):
        self.api("POST")

    def do_PUT(self):
        self.api("PUT")

    def do_PATCH(self):
        self.api("PATCH")

    def do_DELETE(self):
        self.api("DELETE")

    # -- plumbing

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > MAX_BODY:
                    raise OverflowError
            return data
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            # Read what the client sends (up to a bound) before the 413: a
            # socket closed with unread bytes is reset, and the client
            # would see the reset instead of the answer.
            left = min(n, 16 * MAX_BODY)
            while left > 0:
                got = self.rfile.read(min(left, 1 << 16))
                if not got:
                    break
                left -= len(got)
            raise OverflowError
        return self.rfile.read(n) if n > 0 else b""

    def handle_expect_100(self):
        # Go's net/http sends "100 Continue" only when the handler reads the
        # body: a body over the limit gets the final 413 at once, and the
        # client never sends it.
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        if n <= MAX_BODY:
            return super().handle_expect_100()
        r = self.req = Request()
        u = urllib.parse.urlsplit(self.path)
        r.method, r.path, r.query = self.command, urllib.parse.unquote(u.path), u.query
        r.ctype, r.user = self.headers.get("Content-Type", ""), ""
        self.close_connection = True
        self.reply(413, status(413, "RequestEntityTooLarge",
                               "Request entity too large: limit is %d" % MAX_BODY))
        return False

    def reply(self, code, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        # Logged before the answer goes out: a client that has its answer
        # finds the request in the log (no race with a test reading it).
        self.logged(code)
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        if ctype.startswith("text/plain"):
            self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def logged(self, code):
        r = self.req
        if getattr(r, "logged", False):
            return
        r.logged = True
        line = json.dumps({"method": r.method, "path": r.path, "query": r.query, "status": code,
                           "user": r.user, "content_type": r.ctype,
                           "port": self.client_address[1]})
        with self.cfg.log_lock:
            with open(self.cfg.requests_log, "a") as f:
                f.write(line + "\n")

    def authenticate(self):
        try:
            cert = self.connection.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            subj = dict(x[0] for x in cert.get("subject", ()))
            groups = [v for rdn in cert.get("subject", ()) for k, v in rdn
                      if k == "organizationName"]
            return subj.get("commonName", ""), groups
        auth = self.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            tok = auth[7:].strip()
            if tok and secrets.compare_digest(tok, self.cfg.admin_token):
                return "admin", ["system:masters"]
            if tok and secrets.compare_digest(tok, self.cfg.view_token):
                return "view", []
            with self.store.lock:
                t = self.store.tokens.get(tok)
                if t is not None and t[2] > time.time():
                    _, ns, name = t[0].rsplit(":", 2)
                    sa = self.store.get(self.store.by_plural("serviceaccounts"), ns, name)
                    if sa is not None and sa["metadata"]["uid"] == t[3]:
                        return t[0], t[1]
        return None, None

    def api(self, method):
        r = self.req = Request()
        u = urllib.parse.urlsplit(self.path)
        r.method, r.path, r.query = method, urllib.parse.unquote(u.path), u.query
        r.q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        r.ctype = self.headers.get("Content-Type", "")
        r.user = ""
        try:
            try:
                r.body = self.read_body()
            except OverflowError:
                self.close_connection = True
                raise ApiError(status(413, "RequestEntityTooLarge",
                                      "Request entity too large: limit is %d" % MAX_BODY))
            except ValueError:
                self.close_connection = True
                raise bad_request("invalid chunked request body")
            user, groups = self.authenticate()
            if user is None:
                raise ApiError(status(401, "Unauthorized", "Unauthorized"))
            r.user, r.groups = user, groups
            self.injected()
            self.route()
        except ApiError as e:
            self.reply(e.body["code"], e.body, headers=e.headers)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug of the double: say so, as a 500 Status
            self.cfg.log("internal error on %s %s: %r" % (method, r.path, e))
            import traceback
            self.cfg.log(traceback.format_exc())
            self.reply(500, status(500, "InternalError",
                                   "Internal error occurred: %s" % type(e).__name__))

    def injected(self):
        st = self.store
        with st.lock:
            for f in st.fail:
                if f["count"] > 0 and f.get("method", "") in ("", self.req.method) and \
                        self.req.path.startswith(f.get("path_prefix", "")):
                    f["count"] -= 1
                    code = int(f.get("status", 500))
                    msgs = {429: "Too many requests, please try again later.",
                            500: "Internal error occurred: injected failure",
                            503: "the server is currently unable to handle the request",
                            504: "the server was unable to return a response in the time "
                                 "allotted, but may still be processing the request",
                            409: "Operation cannot be fulfilled: the object has been modified; "
                                 "please apply your changes to the latest version and try again"}
                    body = status(code, REASONS.get(code, "Unknown"), msgs.get(
                        code, "injected failure (%d)" % code))
                    obj = st.object_of(self.req.path) if code == 409 else None
                    if obj is not None:  # as the real one: on the object the path names
                        body = conflict(*obj).body
                    hdr = {}
                    if f.get("retry_after") is not None:
                        hdr["Retry-After"] = str(f["retry_after"])
                        body["details"] = {"retryAfterSeconds": int(f["retry_after"])}
                        body["code"] = body.pop("code")
                    raise ApiError(body, hdr)

    def forbid(self, verb, res, ns, name, sub=None):
        r = self.req
        if r.user != "view" or verb in READ_VERBS:
            return
        what = res.gr + (' "%s"' % name if name else "")
        resource = res.plural + ("/" + sub if sub else "")
        where = ' in the namespace "%s"' % ns if ns else " at the cluster scope"
        msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s' % (
            what, r.user, verb, resource, res.group, where)
        details = {"name": name} if name else {}
        if res.group:
            details["group"] = res.group
        details["kind"] = res.plural
        raise ApiError(status(403, "Forbidden", msg, details))

    # -- routes

    def route(self):
        r, st = self.req, self.store
        p = r.path.rstrip("/") or "/"
        if p in ("/readyz", "/livez", "/healthz"):
            return self.health(p[1:])
        if p == "/version":
            return self.reply(200, {"major": "1", "minor": "31", "gitVersion": GIT_VERSION,
                                    "gitCommit": "0000000000000000000000000000000000000000",
                                    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                                    "goVersion": "go1.22.10", "compiler": "gc",
                                    "platform": "linux/amd64"})
        parts = p.strip("/").split("/")
        if parts[0] == "api":
            group, rest = "", parts[1:]
        elif parts[0] == "apis":
            group, rest = (parts[1] if len(parts) > 1 else None), parts[2:]
        else:
            raise no_such_path()
        with st.lock:
            if r.method == "GET" and (not rest or group is None):
                return self.discovery(group)
            version, rest = rest[0], rest[1:]
            if not any(x.group == group and x.version == version for x in st.res.values()):
                raise no_such_path()
            if not rest:
                # Only established resources make a group version discovered
                # (the real versionDiscoveryHandler: 404 without one).
                if not any(x.group == group and x.version == version and x.established
                           for x in st.res.values()):
                    raise no_such_path()
                if r.method != "GET":
                    raise ApiError(status(405, "MethodNotAllowed", "the server does not allow "
                                          "this method on the requested resource"))
                body = {"kind": "APIResourceList", "groupVersion": group + "/" + version
                        if group else version, "resources": legacy_resources(st, group, version)}
                if group:
                    body = {"kind": "APIResourceList", "apiVersion": "v1", **body}
                return self.reply(200, body)
            ns = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                res = st.res.get((group, version, rest[2]))
                if res is not None and res.namespaced:
                    ns, rest = rest[1], rest[2:]
            res = st.find(group, version, rest[0])
            if res.namespaced and ns is None and len(rest) > 1:
                raise no_such_path()
            name = rest[1] if len(rest) > 1 else None
            sub = rest[2] if len(rest) > 2 else None
            if len(rest) > 3 or sub is not None and not (
                    sub == "status" and res.status or sub == "token" and
                    res.plural == "serviceaccounts"):
                raise no_such_path()
            if name is not None and not name:
                raise no_such_path()
        return self.resource(res, ns, name, sub)

    def health(self, which):
        ok = self.store.ready or which == "livez"
        if ok:
            return self.reply(200, "ok", "text/plain; charset=utf-8")
        body = ("[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n%s check failed\n"
                % which)
        return self.reply(500, body, "text/plain; charset=utf-8")

    def discovery(self, group):
        st, r = self.store, self.req
        agg = wants_aggregated(self.headers.get("Accept"))
        if group is None or group == "" and r.path.rstrip("/") in ("/api", "/apis"):
            legacy = r.path.rstrip("/") == "/api"
            if agg:
                return self.reply(200, aggregated(st, legacy, "apidiscovery.k8s.io/" + agg),
                                  "application/json;g=apidiscovery.k8s.io;v=%s;"
                                  "as=APIGroupDiscoveryList" % agg, {"Vary": "Accept"})
            if legacy:
                return self.reply(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{
                                            "clientCIDR": "0.0.0.0/0",
                                            "serverAddress": self.cfg.address}]},
                                  headers={"Vary": "Accept"})
            return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                group_entry(g, vs) for g, vs in group_versions(st) if g]},
                headers={"Vary": "Accept"})
        for g, vs in group_versions(st):
            if g == group and g:
                return self.reply(200, {"kind": "APIGroup", "apiVersion": "v1",
                                        **group_entry(g, vs)})
        raise no_such_path()

    def decode(self, apply=False):
        raw = self.req.body
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the body of the request was in an unknown format: not UTF-8")
        if apply:
            try:
                return json.loads(text)
            except ValueError:
                pass
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError as e:
                raise bad_request("error converting YAML to JSON: yaml: %s" % str(e).replace(
                    "\n", " "))
            if len(docs) != 1:
                raise bad_request("error converting YAML to JSON: expected exactly one "
                                  "document, found %d" % len(docs))
            return json.loads(json.dumps(docs[0], default=str))
        try:
            return json.loads(text)
        except ValueError as e:
            raise bad_request("couldn't get version/kind; json parse error: %s" % e)

    def resource(self, res, ns, name, sub):
        r, st = self.req, self.store
        m, q = r.method, r.q
        manager = q.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split(
            "/")[0]
        if len(q.get("fieldManager", "")) > 128:
            raise ApiError(status(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: '
                                  "fieldManager: Too long: may not be more than 128 bytes"))
        if name is None:
            if m == "GET":
                verb = "watch" if q.get("watch") in ("1", "true", "True") else "list"
                self.forbid(verb, res, ns, None)
                if verb == "watch":
                    return self.watch(res, ns)
                with st.lock:
                    return self.reply(200, st.list(res, ns, q))
            if m == "POST":
                self.forbid("create", res, ns, None)
                body = self.decode()
                with st.lock:
                    code, obj = self.dry(lambda: st.create(res, ns, body, manager))
                return self.reply(code, obj)
            if m == "DELETE":
                self.forbid("deletecollection", res, ns, None)
                with st.lock:
                    lst = st.list(res, ns, q)
                    out = []
                    for o in st.list(res, ns, {k: v for k, v in q.items()
                                               if k in ("labelSelector", "fieldSelector")})["items"]:
                        live = st.get(res, o["metadata"].get("namespace"), o["metadata"]["name"])
                        st.delete(res, o["metadata"].get("namespace"), o["metadata"]["name"],
                                  q.get("propagationPolicy"))
                        out.append(live)
                    lst["items"] = out
                    lst["metadata"]["resourceVersion"] = str(st.rv)
                return self.reply(200, lst)
            raise ApiError(status(405, "MethodNotAllowed",
                                  "the server does not allow this method on the requested "
                                  "resource"))
        if sub == "token":
            if m != "POST":
                raise ApiError(status(405, "MethodNotAllowed", "the server does not allow this "
                                      "method on the requested resource"))
            self.forbid("create", res, ns, name, "token")
            return self.token(ns, name)
        if m == "GET":
            self.forbid("get", res, ns, name, sub)
            with st.lock:
                obj = st.get(res, ns, name)
                if obj is None:
                    raise not_found(res, name)
                return self.reply(200, obj)
        if m == "PATCH":
            self.forbid("patch", res, ns, name, sub)
            ctype = r.ctype.split(";")[0].strip().lower()
            force = q.get("force") in ("true", "1", "True")
            if ctype == "application/apply-patch+yaml":
                if not q.get("fieldManager"):
                    raise ApiError(status(422, "Invalid", 'PatchOptions.meta.k8s.io "" is '
                                          "invalid: fieldManager: Required value: is required "
                                          "for apply patch", {"group": "meta.k8s.io", "kind":
                                                              "PatchOptions", "causes": [{
                                                                  "reason": "FieldValueRequired",
                                                                  "message": "Required value: is "
                                                                  "required for apply patch",
                                                                  "field": "fieldManager"}]}))
                body = self.decode(apply=True)
                with st.lock:
                    code, obj = self.dry(lambda: st.apply(res, ns, name, body, q["fieldManager"],
                                                          force, sub))
                return self.reply(code, obj)
            if "force" in q:
                raise ApiError(status(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: '
                                      "force: Forbidden: may not be specified for non-apply "
                                      "patch"))
            if ctype == "application/merge-patch+json":
                patch = self.decode()
                with st.lock:
                    code, obj = self.dry(lambda: st.update(res, ns, name, None, manager, sub,
                                                           patch=patch))
                return self.reply(code, obj)
            raise ApiError(status(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted "
                                  "media types include: application/merge-patch+json, "
                                  "application/apply-patch+yaml (this test double implements "
                                  "no strategic merge patch or JSON patch)"))
        if m == "PUT":
            self.forbid("update", res, ns, name, sub)
            body = self.decode()
            with st.lock:
                code, obj = self.dry(lambda: st.update(res, ns, name, body, manager, sub))
            return self.reply(code, obj)
        if m == "DELETE":
            self.forbid("delete", res, ns, name, sub)
            policy = q.get("propagationPolicy")
            if r.body.strip():
                opts = self.decode()
                if isinstance(opts, dict) and opts.get("propagationPolicy"):
                    policy = opts["propagationPolicy"]
                if isinstance(opts, dict) and opts.get("orphanDependents") is True:
                    policy = policy or "Orphan"
            with st.lock:
                code, obj = self.dry(lambda: st.delete(res, ns, name, policy))
            return self.reply(code, obj)
        raise ApiError(status(405, "MethodNotAllowed", "the server does not allow this method on "
                              "the requested resource"))

    def dry(self, op):
        """op(), or with ?dryRun=All op() on the store, then everything undone."""
        st = self.store
        dr = self.req.q.get("dryRun")
        if dr is None:
            return op()
        if dr != "All":
            raise ApiError(status(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: '
                                  'dryRun: Unsupported value: %s: supported values: "All"'
                                  % go_value(dr)))
        saved = (dict(st.objects), st.rv, len(st.history), dict(st.sim), dict(st.res),
                 dict(st.event_seen), st.cluster_ip, st.node_port)
        try:
            return copy.deepcopy(op())
        finally:
            (st.objects, st.rv, n, st.sim, st.res, st.event_seen, st.cluster_ip,
             st.node_port) = saved
            del st.history[n:], st.history_rv[n:]

    def token(self, ns, name):
        st = self.store
        body = self.decode() if self.req.body.strip() else {}
        exp = get_path(body, "spec", "expirationSeconds")
        exp = 3600 if exp is None else exp
        with st.lock:
            sa = st.get(st.by_plural("serviceaccounts"), ns, name)
            if sa is None:
                raise not_found(st.by_plural("serviceaccounts"), name)
            tr = Res("authentication.k8s.io", "v1", "tokenrequests", "TokenRequest", True)
            if not isinstance(exp, int) or isinstance(exp, bool) or exp < 600:
                raise invalid(tr, name, [("FieldValueInvalid", "spec.expirationSeconds",
                                          "Invalid value: %s: may not specify a duration less "
                                          "than 10 minutes" % go_value(exp))])
            if exp > 1 << 32:
                raise invalid(tr, name, [("FieldValueInvalid", "spec.expirationSeconds",
                                          "Invalid value: %d: may not specify a duration larger "
                                          "than 2^32 seconds" % exp)])
            iat = int(time.time())
            user = "system:serviceaccount:%s:%s" % (ns, name)
            aud = get_path(body, "spec", "audiences") or [
                "https://kubernetes.default.svc.cluster.local", "k3s"]
            b64 = lambda d: base64.urlsafe_b64encode(d).decode().rstrip("=")
            claims = {"aud": aud, "exp": iat + exp, "iat": iat,
                      "iss": "https://kubernetes.default.svc.cluster.local", "jti": str(
                          uuid.uuid4()), "kubernetes.io": {"namespace": ns, "serviceaccount": {
                              "name": name, "uid": sa["metadata"]["uid"]}},
                      "nbf": iat, "sub": user}
            tok = ".".join([b64(json.dumps({"alg": "ES256", "kid": "ftboot-test"}).encode()),
                            b64(json.dumps(claims, separators=(",", ":")).encode()),
                            b64(secrets.token_bytes(64))])
            st.tokens[tok] = (user, ["system:serviceaccounts",
                                     "system:serviceaccounts:" + ns, "system:authenticated"],
                              iat + exp, sa["metadata"]["uid"])
        expires = datetime.datetime.fromtimestamp(iat + exp, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        return self.reply(201, {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                                "metadata": {"name": name, "namespace": ns,
                                             "creationTimestamp": None},
                                "spec": {"audiences": aud, "expirationSeconds": exp,
                                         "boundObjectRef": None},
                                "status": {"token": tok, "expirationTimestamp": expires}})

    # -- watch

    def chunk(self, obj):
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, res, ns):
        st, q = self.store, self.req.q
        lsel = parse_labels(q.get("labelSelector"))
        fsel = parse_fields(q.get("fieldSelector"), res)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1", "True")
        initial = q.get("sendInitialEvents") in ("true", "1", "True")
        rv_arg = q.get("resourceVersion", "")
        try:
            timeout = int(q["timeoutSeconds"]) if q.get("timeoutSeconds") else None
        except ValueError:
            raise bad_request("timeoutSeconds: Invalid value: %s" % go_value(q["timeoutSeconds"]))
        if initial and not (bookmarks and q.get("resourceVersionMatch") == "NotOlderThan"):
            raise ApiError(status(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: '
                                  "sendInitialEvents: Forbidden: sendInitialEvents is forbidden "
                                  "for watch unless the WatchList feature gate is enabled"))
        try:
            start = int(rv_arg) if rv_arg not in ("", "0") else None
        except ValueError:
            raise bad_request('resourceVersion: Invalid value: %s: must be a valid integer'
                              % go_value(rv_arg))
        deadline = time.monotonic() + timeout if timeout is not None else None
        first = []
        with st.lock:
            epoch = st.close_epoch
            if start is not None and start < st.compacted and not initial:
                first = [{"type": "ERROR", "object": status(
                    410, "Expired", "too old resource version: %d (%d)" % (start, st.compacted + 1))}]
                last = None
            elif start is None or initial:
                first = [{"type": "ADDED", "object": o} for o in st.items(res, ns)
                         if st.matches(res, ns, lsel, fsel, o)]
                last = st.rv
                first = copy.deepcopy(first)
            else:
                last = start
            st.watchers += 1
        try:
            self.logged(200)
            self.send_response(200)
            self.send_header("Audit-Id", str(uuid.uuid4()))
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for e in first:
                self.chunk(e)
            if initial:
                self.chunk(self.bookmark(res, last, True))
            next_bm = time.monotonic() + 1.0
            while last is not None:
                with st.lock:
                    evs = st.watch_events(res, ns, lsel, fsel, last)
                    if not evs:
                        wait = next_bm - time.monotonic() if bookmarks else 1.0
                        if deadline is not None:
                            wait = min(wait, deadline - time.monotonic())
                        if wait > 0 and st.close_epoch == epoch:
                            st.cond.wait(min(wait, 1.0))
                        evs = st.watch_events(res, ns, lsel, fsel, last)
                    cur = st.rv
                    closed = st.close_epoch != epoch
                for e in evs:
                    self.chunk(e)
                last = cur
                t = time.monotonic()
                if closed or deadline is not None and t >= deadline:
                    break
                if bookmarks and t >= next_bm:
                    self.chunk(self.bookmark(res, cur, False))
                    next_bm = t + 1.0
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            with st.lock:
                st.watchers -= 1

    def bookmark(self, res, rv, initial_end):
        meta = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"type": "BOOKMARK", "object": {"kind": res.kind, "apiVersion": res.gv,
                                                "metadata": meta}}


# ---------------------------------------------------------------- control API

STATES = ("ready", "progressing", "image-pull", "crash", "pending", "deadline")
STATE_KINDS = {"deployment": "deployments", "statefulset": "statefulsets",
               "daemonset": "daemonsets", "persistentvolumeclaim": "persistentvolumeclaims",
               "pod": "pods", "job": "jobs"}


class Control(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None
    cfg = None

    def log_message(self, fmt, *args):
        pass

    def address_string(self):
        return "control"

    def do_GET(self):
        self.control("GET")

    def do_POST(self):
        self.control("POST")

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def control(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            return self.answer(400, {"error": "body: %s" % e})
        try:
            code, out = self.route(method, self.path.split("?")[0], body)
        except (KeyError, TypeError, ValueError) as e:
            code, out = 400, {"error": "bad request: %r" % (e,)}
        self.answer(code, out)

    def route(self, method, path, b):
        st, cfg = self.store, self.cfg
        with st.lock:
            if method == "GET" and path == "/objects":
                return 200, {"items": [st.objects[k] for k in sorted(st.objects)],
                             "resourceVersion": str(st.rv)}
            if method == "GET" and path == "/log":
                with cfg.log_lock:
                    with open(cfg.requests_log) as f:
                        return 200, [json.loads(line) for line in f if line.strip()]
            if method != "POST":
                return 404, {"error": "no such control endpoint: %s %s" % (method, path)}
            if path == "/log/reset":
                with cfg.log_lock:
                    open(cfg.requests_log, "w").close()
                return 200, {"ok": True}
            if path == "/auto":
                st.auto_ready = bool(b.get("ready", st.auto_ready))
                if "lb_ip" in b:
                    st.lb_ip = b["lb_ip"]
                st.reconcile_all()
                return 200, {"ready": st.auto_ready, "lb_ip": st.lb_ip}
            if path == "/state":
                if b["state"] not in STATES:
                    return 400, {"error": "state must be one of " + ", ".join(STATES)}
                plural = STATE_KINDS.get(str(b["kind"]).lower(), str(b["kind"]).lower())
                if plural not in STATE_KINDS.values():
                    return 400, {"error": "kind must be Deployment, StatefulSet, DaemonSet or "
                                 "PersistentVolumeClaim"}
                ns = b.get("namespace") or "default"
                st.sim[(plural, ns, b["name"])] = b["state"]
                res = st.by_plural(plural)
                obj = st.get(res, ns, b["name"])
                if obj is not None:
                    st.reconcile(res, obj)
                return 200, {"ok": True, "exists": obj is not None}
            if path == "/lb":
                ns = b.get("namespace") or "default"
                st.lbs[(ns, b["name"])] = b["ip"]
                res = st.by_plural("services")
                obj = st.get(res, ns, b["name"])
                if obj is not None:
                    st.reconcile(res, obj)
                return 200, {"ok": True, "exists": obj is not None}
            if path == "/watches/close":
                st.close_epoch += 1
                st.cond.notify_all()
                return 200, {"closed": st.watchers}
            if path == "/fail":
                f = {"method": str(b.get("method", "")).upper(),
                     "path_prefix": str(b.get("path_prefix", "")),
                     "status": int(b.get("status", 500)), "count": int(b.get("count", 1)),
                     "retry_after": b.get("retry_after")}
                st.fail = [x for x in st.fail if x["count"] > 0] + [f]
                return 200, {"ok": True}
            if path == "/readyz":
                st.ready = bool(b.get("ok", True))
                return 200, {"ok": st.ready}
            if path == "/crds/hold":
                st.crd_hold = bool(b.get("hold", True))
                return 200, {"hold": st.crd_hold}
            if path == "/crds/establish":
                res, done = st.by_plural("customresourcedefinitions"), []
                for o in st.items(res):
                    n = o["metadata"]["name"]
                    if b.get("name") in (None, n) and not any(
                            c.get("type") == "Established" and c.get("status") == "True"
                            for c in get_path(o, "status", "conditions") or []) and st.establish(
                                o, now_established=True):
                        done.append(n)
                with cfg.log_lock:
                    with open(cfg.requests_log) as f:
                        lines = sum(1 for _ in f)
                return 200, {"established": done, "log_lines": lines}
            if path == "/compact":
                st.compacted = st.rv
                st.history.clear()
                st.history_rv.clear()
                return 200, {"compacted": str(st.rv)}
        return 404, {"error": "no such control endpoint: %s %s" % (method, path)}


# ---------------------------------------------------------------- servers


class TlsServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    ctx = None

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            conn = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        conn.settimeout(None)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Cfg:
    pass


def main():
    ap = argparse.ArgumentParser(description="Kubernetes API server test double")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--address", action="append", default=[])
    ap.add_argument("--lb-ip")
    ap.add_argument("--auto-ready", action="store_true")
    ap.add_argument("--write-kubeconfig")
    ap.add_argument("--kubeconfig-server")
    args = ap.parse_args()
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    cfg = Cfg()
    cfg.log_lock = threading.Lock()
    cfg.requests_log = os.path.join(d, "requests.log")
    logf = open(os.path.join(d, "server.log"), "a", buffering=1)

    def log(msg):
        logf.write("%s %s\n" % (now(), msg))

    cfg.log = log
    try:
        make_pki(d, args.address + ([args.host] if args.host not in ("0.0.0.0", "::") else []))
    except (RuntimeError, OSError) as e:
        print("kube-apiserver.py: cannot make the PKI in %s: %s" % (d, e), file=sys.stderr)
        return 1
    with open(os.path.join(d, "token")) as f:
        cfg.admin_token = f.read().strip()
    with open(os.path.join(d, "view-token")) as f:
        cfg.view_token = f.read().strip()
    open(cfg.requests_log, "a").close()
    for n in ("port", "control.sock"):
        try:
            os.unlink(os.path.join(d, n))
        except FileNotFoundError:
            pass

    store = Store(args, log)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server-key.pem"))
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    Api.store, Api.cfg, Control.store, Control.cfg = store, cfg, store, cfg
    TlsServer.ctx = ctx
    if ":" in args.host:
        TlsServer.address_family = socket.AF_INET6
    srv = TlsServer((args.host, args.port), Api)
    port = srv.server_address[1]
    cfg.address = "%s:%d" % (args.address[0] if args.address else
                             "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host, port)
    ctl = UnixServer(os.path.join(d, "control.sock"), Control)
    os.chmod(os.path.join(d, "control.sock"), 0o600)

    url = "https://127.0.0.1:%d" % port
    write_private(os.path.join(d, "kubeconfig"), kubeconfig(d, url, "test"))
    write_private(os.path.join(d, "kubeconfig-token"),
                  kubeconfig(d, url, "test", cfg.admin_token))
    if args.write_kubeconfig:
        kc = args.write_kubeconfig
        os.makedirs(os.path.dirname(os.path.abspath(kc)), exist_ok=True)
        write_private(kc, kubeconfig(d, args.kubeconfig_server or url, "default"))

    def stop(signum, frame):
        log("signal %d: stopping" % signum)
        threading.Thread(target=lambda: (srv.shutdown(), ctl.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    log("listening on %s:%d (auto-ready %s, lb-ip %s)" % (args.host, port, args.auto_ready,
                                                        args.lb_ip))
    srv.serve_forever()
    if store.lock.acquire(timeout=5):  # end the watch streams
        store.close_epoch += 1
        store.cond.notify_all()
        store.lock.release()
    srv.server_close()
    ctl.server_close()
    for n in ("port", "control.sock"):
        try:
            os.unlink(os.path.join(d, n))
        except FileNotFoundError:
            pass
    log("stopped")
    return 0


# ---------------------------------------------------------------- dashboard behind the proxy
# Part of this test double: the API server's service proxy to the
# Kubernetes dashboard, answered as kubernetes/dashboard v2.7.0's login API
# would (there is no dashboard behind it):
#   POST /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/api/v1/login
#        {"token": T}
# for a Service NS/NAME that exists (else the API's 404 Status). A token
# this double issued through TokenRequest, unexpired, whose service account
# still exists (the dashboard checks a token by calling the API server with
# it) gets 200 {"jweToken": "<a JWE as JSON text>", "errors": []}; any
# other token 401 text/plain "MSG_LOGIN_UNAUTHORIZED_ERROR" (the
# dashboard's own refusal, passed through by the proxy). Other proxied
# paths: GET / (200, an HTML page), else 404. Simplified: no endpoints or
# pods are looked at; proxying needs an authenticated user other than
# "view" (the real one: the services/proxy RBAC verb).
_route_api = Api.route


def _route_with_proxy(self):
    r = self.req
    m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)?", r.path)
    if m is None:
        return _route_api(self)
    ns, ref, sub = m.group(1), m.group(2), m.group(3) or "/"
    parts = ref.split(":")
    name = parts[1] if len(parts) >= 2 and parts[0] in ("http", "https") else parts[0]
    st = self.store
    svcs = st.by_plural("services")
    with st.lock:
        svc = st.get(svcs, ns, name)
    if svc is None:
        raise not_found(svcs, name)
    if r.user == "view":
        self.forbid("create", svcs, ns, name, "proxy")
    if sub.rstrip("/") == "/api/v1/login" and r.method == "POST":
        try:
            tok = json.loads(r.body or b"{}").get("token", "")
        except (ValueError, AttributeError):
            return self.reply(400, "invalid character in the login request\n",
                              "text/plain; charset=utf-8")
        ok = False
        with st.lock:
            t = st.tokens.get(tok) if isinstance(tok, str) and tok else None
            if t is not None and t[2] > time.time():
                _, sa_ns, sa_name = t[0].rsplit(":", 2)
                sa = st.get(st.by_plural("serviceaccounts"), sa_ns, sa_name)
                ok = sa is not None and sa["metadata"]["uid"] == t[3]
        if not ok:
            return self.reply(401, "MSG_LOGIN_UNAUTHORIZED_ERROR\n", "text/plain; charset=utf-8")
        b64 = lambda d: base64.urlsafe_b64encode(d).decode().rstrip("=")
        jwe = json.dumps({"protected": b64(b'{"alg":"RSA-OAEP-256","enc":"A256GCM"}'),
                          "aad": b64(secrets.token_bytes(48)),
                          "encrypted_key": b64(secrets.token_bytes(256)),
                          "iv": b64(secrets.token_bytes(12)),
                          "ciphertext": b64(secrets.token_bytes(96)),
                          "tag": b64(secrets.token_bytes(16))}, separators=(",", ":"))
        return self.reply(200, {"jweToken": jwe, "errors": []})
    if sub == "/" and r.method == "GET":
        return self.reply(200, "<!doctype html><title>Kubernetes Dashboard</title>\n",
                          "text/html; charset=utf-8")
    return self.reply(404, "404 page not found\n", "text/plain; charset=utf-8")


Api.route = _route_with_proxy


if __name__ == "__main__":
    sys.exit(main())
