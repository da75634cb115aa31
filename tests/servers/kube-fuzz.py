#!/usr/bin/python3
# kube-fuzz.py: hostile bodies for the Kubernetes API server test double
# (kube-apiserver.py): valid objects of several kinds with up to three
# fields replaced by values of the wrong type, null, NUL bytes, huge
# numbers or long strings, sent as apply, merge patch, update, create or
# delete. Prints the count of answers per HTTP status as JSON; the double
# must answer every one (never hang) and never with 500.
#
#   kube-fuzz.py DIR PORT SEED COUNT
import copy
import http.client
import json
import random
import ssl
import sys
import urllib.parse

BASES = [
    ("/apis/apps/v1/namespaces/default/deployments/", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                "name": "app", "image": "nginx", "ports": [{"containerPort": 80}],
                "env": [{"name": "A", "value": "b"}]}]}}}}),
    ("/apis/apps/v1/namespaces/default/statefulsets/", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                     "containers": [{"name": "db", "image": "mysql"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "resources": {"requests": {"storage": "1Gi"}}}}]}}),
    ("/api/v1/namespaces/default/services/", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "name": "a"},
                                                   {"port": 443, "name": "b"}]}}),
    ("/api/v1/namespaces/default/configmaps/", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/", {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "ws.x.io"},
        "spec": {"group": "x.io", "scope": "Namespaced", "names": {"plural": "ws", "kind": "W"},
                 "versions": [{"name": "v1", "served": True, "storage": True}]}}),
    ("/api/v1/namespaces/default/persistentvolumeclaims/", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {
            "storage": "1Gi"}}}}),
    ("/apis/batch/v1/namespaces/default/jobs/", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "c", "image": "x"}]}}}}),
]
VALUES = [None, 0, -1, 1.5, True, "", "x", "\u00e9\u0000", [], [1], [{}], {}, {"a": 1},
          10 ** 30, "a" * 300]


def paths(o, pre=()):
    yield pre
    if isinstance(o, dict):
        for k, v in o.items():
            yield from paths(v, pre + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from paths(v, pre + (i,))


def main():
    d, port, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    ctx = ssl.create_default_context(cafile=d + "/ca.pem")
    ctx.load_cert_chain(d + "/client.pem", d + "/client-key.pem")
    rnd = random.Random(seed)
    codes = {}
    for _ in range(count):
        url, body = rnd.choice(BASES)
        body = copy.deepcopy(body)
        for _ in range(rnd.randint(0, 3)):
            p = rnd.choice([p for p in paths(body) if p])
            o = body
            try:
                for k in p[:-1]:
                    o = o[k]
                o[p[-1]] = copy.deepcopy(rnd.choice(VALUES))
            except (KeyError, IndexError, TypeError):
                pass
        name = body.get("metadata", {}).get("name") if isinstance(body.get("metadata"),
                                                                  dict) else None
        if not isinstance(name, str) or not name or "\0" in name or "/" in name:
            name = "z"
        method = rnd.choice(["PATCH", "PATCH", "PATCH", "PUT", "POST", "DELETE"])
        ctype = "application/json"
        if method == "PATCH":
            ctype = rnd.choice(["application/apply-patch+yaml", "application/merge-patch+json"])
        q = "?fieldManager=f%d" % rnd.randint(0, 2) + rnd.choice(["", "&force=true",
                                                                  "&dryRun=All"])
        path = urllib.parse.quote(url if method == "POST" else url + name) + q
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
        c.request(method, path, body=json.dumps(body), headers={"Content-Type": ctype})
        r = c.getresponse()
        r.read()
        c.close()
        codes[r.status] = codes.get(r.status, 0) + 1
    print(json.dumps(dict(sorted(codes.items()))))


if __name__ == "__main__":
    main()
