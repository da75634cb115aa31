#!/usr/bin/python3
# tests/servers/grafana.py: a TEST DOUBLE of Grafana (10/11), not Grafana.
# Grafana cannot run on this machine; this answers exactly the HTTP API
# calls `ftboot check`'s grafana kind (E10) sends, the way Grafana's HTTP
# API documents them, from the files the stack gives the real one:
#
#   grafana.py server --homepath H --config INI cfg:paths.data=D
#       cfg:paths.provisioning=P [cfg:...]
#
# the command line srcs/grafana/entrypoint.sh runs Grafana with (so the
# entry point itself starts it: its checks and its dashboards step run for
# real). Read: INI's [server] http_port and [security] admin_user /
# admin_password ($__env{NAME} expanded, as Grafana does);
# P/datasources/*.yaml (the data sources, $NAME and ${NAME} expanded in
# values); P/dashboards/*.yaml (file providers: options.path, folder) and
# the dashboards' JSON files there. Debian's /usr/bin/python3, standard
# library only (a small reader for the block YAML those files use).
#
# API (every path under /api needs HTTP basic auth as the admin, else 401
# {"message":"Invalid username or password"}, or {"message":"Unauthorized"}
# when no credential came):
#   GET  /api/datasources                      the provisioned data sources
#   GET  /api/datasources/uid/UID/health       200 {"status":"OK",...} or
#                                              400 {"status":"ERROR",...}
#   GET  /api/search[?type=dash-db|dash-folder] folders and dashboards
#   GET  /api/dashboards/uid/UID               {"dashboard":..., "meta":...}
#   POST /api/ds/query                         InfluxQL queries: data frames
#
# Simplified: one organisation, the admin only, no sessions; a query is not
# run against InfluxDB: a rawQuery InfluxQL query (of a provisioned influxdb
# data source, with $timeFilter / $__interval expanded as Grafana does) gets
# one time series frame with a point per interval of the range, or, with
# "points" off, no series (what InfluxDB answers when nothing was written),
# as for a query FROM a measurement listed in "unwritten".
#
# Control, over D/control.sock (HTTP, JSON): POST /control with any of
# {"healthy": bool (the data source's health and its queries),
#  "points": bool (queries return points), "drop": ["SERVICE-uid", ...]
#  (dashboards by uid that are gone from search and GET), "unwritten":
#  ["MEASUREMENT", ...] (no series for a query FROM one of them)}; GET /log (the
# API requests: method, path, status, user; never a password). D/port holds
# the port once listening.
import base64
import configparser
import glob
import hashlib
import http.server
import json
import os
import re
import secrets
import signal
import socketserver
import sys
import threading
import time
import urllib.parse


def expand_env(s):
    """$NAME and ${NAME} as Grafana expands them in provisioning values."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))",
                  lambda m: os.environ.get(m.group(1) or m.group(2), ""), s)


def scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    if v in ("true", "false"):
        return v == "true"
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return expand_env(v)


def strip_comment(line):
    q = None
    for i, c in enumerate(line):
        if q:
            q = None if c == q else q
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def read_yaml(path):
    """The block YAML of provisioning files: mappings, lists, scalars."""
    lines = []
    with open(path) as f:
        for raw in f:
            s = strip_comment(raw.rstrip("\n")).rstrip()
            if s.strip():
                lines.append((len(s) - len(s.lstrip(" ")), s.strip()))

    def block(i, ind):
        if i < len(lines) and lines[i][1].startswith("- "):
            out = []
            while i < len(lines) and lines[i][0] == ind and lines[i][1].startswith("- "):
                # The item's first key sits two columns further in.
                lines[i] = (ind + 2, lines[i][1][2:])
                v, i = block(i, ind + 2)
                out.append(v)
            return out, i
        out = {}
        while i < len(lines) and lines[i][0] == ind and not lines[i][1].startswith("- "):
            k, _, v = lines[i][1].partition(":")
            i += 1
            if v.strip():
                out[k.strip()] = scalar(v)
            elif i < len(lines) and lines[i][0] > ind:
                out[k.strip()], i = block(i, lines[i][0])
            elif i < len(lines) and lines[i][0] == ind and lines[i][1].startswith("- "):
                out[k.strip()], i = block(i, ind)
            else:
                out[k.strip()] = None
        return out, i

    return block(0, lines[0][0])[0] if lines else {}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.healthy = True
        self.points = True
        self.drop = set()
        self.unwritten = set()
        self.log = []


def load(ini, prov):
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ini)
    env = lambda s: re.sub(r"\$__env\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), s)
    g = lambda sec, k, d="": env(cp.get(sec, k, fallback=d))
    cfg = {"port": int(g("server", "http_port", "3000") or 3000),
           "user": g("security", "admin_user", "admin") or "admin",
           "password": g("security", "admin_password", "admin") or "admin"}
    dss = []
    for p in sorted(glob.glob(os.path.join(prov, "datasources", "*.yaml"))):
        for d in read_yaml(p).get("datasources") or []:
            dss.append(d)
    out = []
    for n, d in enumerate(dss, 1):
        out.append({"id": n, "uid": d.get("uid") or "ds%d" % n, "orgId": d.get("orgId", 1),
                    "name": d["name"], "type": d["type"], "typeName": {
                        "influxdb": "InfluxDB"}.get(d["type"], d["type"]),
                    "typeLogoUrl": "public/app/plugins/datasource/%s/img/logo.svg" % d["type"],
                    "access": d.get("access", "proxy"), "url": d.get("url", ""),
                    "user": d.get("user", ""), "database": d.get("database", ""),
                    "basicAuth": bool(d.get("basicAuth", False)),
                    "isDefault": bool(d.get("isDefault", False)),
                    "jsonData": d.get("jsonData") or {}, "readOnly": True})
    cfg["datasources"] = out
    folders, dashes = {}, []
    for p in sorted(glob.glob(os.path.join(prov, "dashboards", "*.yaml"))):
        for pr in read_yaml(p).get("providers") or []:
            path = (pr.get("options") or {}).get("path", "")
            fname = pr.get("folder") or ""
            if fname and fname not in folders:
                folders[fname] = {"id": len(folders) + 1, "uid": hashlib.sha1(
                    fname.encode()).hexdigest()[:14], "title": fname}
            for f in sorted(glob.glob(os.path.join(path, "*.json"))):
                with open(f) as fh:
                    d = json.load(fh)
                d["id"] = 100 + len(dashes)
                dashes.append((d, folders.get(fname), os.path.basename(f)))
    cfg["folders"], cfg["dashboards"] = list(folders.values()), dashes
    return cfg


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def series_points(t0, t1, step):
    """A point per interval of [t0, t1] (ms), values that vary."""
    ts = list(range(t0 - t0 % step + step, t1 + 1, step))[-100:]
    return ts, [round(10 + 5 * ((t // step) % 7) / 7.0, 3) for t in ts]


def parse_range(v, now):
    """Grafana's from/to: "now", "now-1h", "now-30m", or epoch ms."""
    v = str(v)
    m = re.fullmatch(r"now(?:-(\d+)([smhd]))?", v)
    if m:
        n = int(m.group(1) or 0) * {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(
            m.group(2) or "s", 1)
        return now - n * 1000
    return int(v)


class Api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "grafana-test-double"
    disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stall

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)
        with self.st.lock:
            self.st.log.append({"method": self.command, "path": self.path, "status": code,
                                "user": getattr(self, "user", "")})

    def auth(self):
        h = self.headers.get("Authorization", "")
        if not h.lower().startswith("basic "):
            return self.reply(401, {"message": "Unauthorized"}) or False
        try:
            u, _, p = base64.b64decode(h[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return self.reply(401, {"message": "Invalid username or password"}) or False
        if not (secrets.compare_digest(u, self.cfg["user"]) and
                secrets.compare_digest(p, self.cfg["password"])):
            return self.reply(401, {"message": "Invalid username or password"}) or False
        self.user = u
        return True

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        p = urllib.parse.unquote(u.path).rstrip("/")
        if p == "/api/health":  # Grafana's own, unauthenticated
            return self.reply(200, {"database": "ok", "version": "11.3.0"})
        if not p.startswith("/api/"):
            return self.reply(404, {"message": "Not found"})
        if not self.auth():
            return
        with self.st.lock:
            healthy, points, drop = self.st.healthy, self.st.points, set(self.st.drop)
            unwritten = set(self.st.unwritten)
        dss = self.cfg["datasources"]
        if method == "GET" and p == "/api/datasources":
            return self.reply(200, dss)
        m = re.fullmatch(r"/api/datasources/uid/([^/]+)/health", p)
        if method == "GET" and m:
            ds = next((d for d in dss if d["uid"] == m.group(1)), None)
            if ds is None:  # Grafana 10/11: any lookup failure but "access denied"
                return self.reply(500, {"message": "Unable to load datasource metadata"})
            if not healthy:
                return self.reply(400, {"status": "ERROR", "message":
                                        "error performing influxQL query: Get \"%s/query\": "
                                        "dial tcp: connect: connection refused" % ds["url"]})
            return self.reply(200, {"status": "OK", "message":
                                    "datasource is working. 12 measurements found"})
        dashes = [d for d in self.cfg["dashboards"] if d[0]["uid"] not in drop]
        if method == "GET" and p == "/api/search":
            return self.reply(200, self.search(q.get("type", [""])[0], dashes))
        m = re.fullmatch(r"/api/dashboards/uid/([^/]+)", p)
        if method == "GET" and m:
            hit = next((d for d in dashes if d[0]["uid"] == m.group(1)), None)
            if hit is None:
                return self.reply(404, {"message": "Dashboard not found"})
            return self.reply(200, self.dashboard(*hit))
        if method == "POST" and p == "/api/ds/query":
            return self.query(body, healthy, points, unwritten)
        return self.reply(404, {"message": "Not found"})

    def search(self, typ, dashes):
        out = []
        if typ in ("", "dash-folder"):
            for f in self.cfg["folders"]:
                out.append({"id": f["id"], "uid": f["uid"], "title": f["title"],
                            "uri": "db/" + slug(f["title"]),
                            "url": "/dashboards/f/%s/%s" % (f["uid"], slug(f["title"])),
                            "slug": "", "type": "dash-folder", "tags": [], "isStarred": False,
                            "sortMeta": 0})
        if typ in ("", "dash-db"):
            for d, f, _ in sorted(dashes, key=lambda x: x[0].get("title", "").lower()):
                h = {"id": d["id"], "uid": d["uid"], "title": d.get("title", ""),
                     "uri": "db/" + slug(d.get("title", "")),
                     "url": "/d/%s/%s" % (d["uid"], slug(d.get("title", ""))), "slug": "",
                     "type": "dash-db", "tags": d.get("tags", []), "isStarred": False,
                     "sortMeta": 0}
                if f:
                    h.update({"folderId": f["id"], "folderUid": f["uid"],
                              "folderTitle": f["title"], "folderUrl": "/dashboards/f/%s/%s" % (
                                  f["uid"], slug(f["title"]))})
                out.append(h)
        return out

    def dashboard(self, d, f, fname):
        meta = {"type": "db", "canSave": False, "canEdit": False, "canAdmin": True,
                "canStar": True, "canDelete": False, "slug": slug(d.get("title", "")),
                "url": "/d/%s/%s" % (d["uid"], slug(d.get("title", ""))),
                "expires": "0001-01-01T00:00:00Z", "created": self.started,
                "updated": self.started, "updatedBy": "Anonymous", "createdBy": "Anonymous",
                "version": d.get("version", 1), "hasAcl": False, "isFolder": False,
                "provisioned": True, "provisionedExternalId": fname}
        if f:
            meta.update({"folderId": f["id"], "folderUid": f["uid"], "folderTitle": f["title"],
                         "folderUrl": "/dashboards/f/%s/%s" % (f["uid"], slug(f["title"]))})
        return {"dashboard": d, "meta": meta}

    def query(self, body, healthy, points, unwritten):
        try:
            req = json.loads(body or b"{}")
            qs = req["queries"]
            assert isinstance(qs, list) and qs
        except (ValueError, KeyError, AssertionError, TypeError):
            return self.reply(400, {"message": "bad request data"})
        now = int(time.time() * 1000)
        try:
            t0, t1 = parse_range(req.get("from", "now-6h"), now), parse_range(
                req.get("to", "now"), now)
        except ValueError:
            return self.reply(400, {"message": "invalid time range"})
        results, code = {}, 200
        for qq in qs:
            ref = qq.get("refId", "A")
            uid = (qq.get("datasource") or {}).get("uid", "")
            ds = next((d for d in self.cfg["datasources"] if d["uid"] == uid), None)
            if ds is None:
                return self.reply(404, {"message": "Data source not found"})
            if not healthy:
                results[ref] = {"error": "error performing influxQL query: connection refused",
                                "errorSource": "downstream", "status": 500, "frames": []}
                code = 400
                continue
            step = max(int(qq.get("intervalMs") or 60000), 1000)
            text = qq.get("query", "")
            exe = text.replace("$timeFilter", "time >= %dms and time <= %dms" % (t0, t1))
            exe = exe.replace("$__interval", "%ds" % (step // 1000))
            meta = {"executedQueryString": exe, "typeVersion": [0, 0]}
            m = re.search(r'\bFROM\s+"?([A-Za-z0-9_.-]+)"?', text)
            if not points or (m and m.group(1) in unwritten):
                results[ref] = {"status": 200, "frames": [
                    {"schema": {"refId": ref, "meta": meta, "fields": []},
                     "data": {"values": []}}]}
                continue
            ts, vals = series_points(t0, t1, step)
            name = qq.get("alias") or "value"
            results[ref] = {"status": 200, "frames": [{"schema": {
                "name": name, "refId": ref, "meta": meta, "fields": [
                    {"name": "Time", "type": "time", "typeInfo": {"frame": "time.Time"}},
                    {"name": "Value", "type": "number", "typeInfo": {
                        "frame": "float64", "nullable": True}, "labels": {},
                     "config": {"displayNameFromDS": name}}]},
                "data": {"values": [ts, vals]}}]}
        return self.reply(code, {"results": results})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Control(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def address_string(self):
        return "control"

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/log":
            with self.st.lock:
                return self.reply(200, list(self.st.log))
        self.reply(404, {"message": "no such control"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            c = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return self.reply(400, {"message": "not JSON"})
        if self.path != "/control" or not isinstance(c, dict):
            return self.reply(404, {"message": "no such control"})
        with self.st.lock:
            if "healthy" in c:
                self.st.healthy = bool(c["healthy"])
            if "points" in c:
                self.st.points = bool(c["points"])
            if "drop" in c:
                self.st.drop = set(c["drop"])
            if "unwritten" in c:
                self.st.unwritten = set(c["unwritten"])
            out = {"healthy": self.st.healthy, "points": self.st.points,
                   "drop": sorted(self.st.drop), "unwritten": sorted(self.st.unwritten)}
        self.reply(200, out)


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main(argv):
    if not argv or argv[0] != "server":
        print("usage: grafana.py server --homepath H --config INI cfg:paths.data=D "
              "cfg:paths.provisioning=P", file=sys.stderr)
        return 2
    opts, cfgs, i = {}, {}, 1
    while i < len(argv):
        a = argv[i]
        if a in ("--homepath", "--config") and i + 1 < len(argv):
            opts[a[2:]] = argv[i + 1]
            i += 2
            continue
        if a.startswith("cfg:") and "=" in a:
            k, _, v = a[4:].partition("=")
            cfgs[k] = v
        i += 1
    data, prov = cfgs.get("paths.data"), cfgs.get("paths.provisioning")
    if not opts.get("config") or not data or not prov:
        print("grafana.py: needs --config, cfg:paths.data and cfg:paths.provisioning",
              file=sys.stderr)
        return 2
    try:
        cfg = load(opts["config"], prov)
    except (OSError, ValueError, KeyError) as e:
        print("grafana.py: cannot read the provisioning: %r" % e, file=sys.stderr)
        return 1
    os.makedirs(data, exist_ok=True)
    st = State()
    Api.cfg, Api.st, Control.st = cfg, st, st
    Api.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    srv = Server(("127.0.0.1", cfg["port"]), Api)
    sock = os.path.join(data, "control.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ctl = UnixServer(sock, Control)
    os.chmod(sock, 0o600)
    threading.Thread(target=ctl.serve_forever, daemon=True).start()

    def stop(signum, frame):
        threading.Thread(target=lambda: (srv.shutdown(), ctl.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(os.path.join(data, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(data, "port.tmp"), os.path.join(data, "port"))
    print("grafana.py (test double): listening on 127.0.0.1:%d, %d data source(s), "
          "%d dashboard(s)" % (srv.server_address[1], len(cfg["datasources"]),
                               len(cfg["dashboards"])), file=sys.stderr)
    srv.serve_forever()
    srv.server_close()
    ctl.server_close()
    for n in ("port", "control.sock"):
        try:
            os.unlink(os.path.join(data, n))
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
