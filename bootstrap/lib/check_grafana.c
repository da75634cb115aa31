/*
 * check_grafana: the Grafana check (E10) and the Kubernetes dashboard
 * check (E13), check kinds of check.h.
 *
 * grafana: Grafana's HTTP API (Grafana 10/11) with basic auth: the
 * admin's login, the InfluxDB data source (GET /api/datasources) and its
 * health (GET /api/datasources/uid/UID/health), one dashboard per service
 * (GET /api/search?type=dash-db: a title or a tag naming the service, as
 * srcs/grafana/dashboards.sh makes them), and for each every panel's
 * queries (from GET /api/dashboards/uid/UID, a row's panels included) run
 * over the last hour (POST /api/ds/query, one per panel): at least one
 * point per panel.
 *
 * dashboard: the dashboard's LoadBalancer answers over HTTPS (its
 * certificate is the one it generates in memory at its start, which
 * nothing can know in advance: that request alone is unverified, and
 * carries no credential), and a login token made like `ftboot dashboard
 * --token` makes is accepted by its login API, reached through the API
 * server's service proxy (verified TLS, ftboot's credentials). The token
 * is wiped after use and never in any text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "cluster.h"
#include "http.h"
#include "kube.h"
#include "mono.h"
#include "text.h"
#include "xmem.h"

/* Largest Grafana answer read (a dashboard's JSON, a query's frames). */
#define GF_BODY_MAX (8u << 20)
/* Most panels of one dashboard queried (the rest are not). */
#define GF_PANELS_MAX 64

/* A URL key: a string starting http:// or https://. */
static int url_key(struct schema *sc, const struct doc_node *check, const char *where,
                   const char *key, int required)
{
	const struct doc_node *n = doc_map_get(check, key);
	char what[64];

	snprintf(what, sizeof(what), "%s.%s", where, key);
	if (n == NULL)
		return required ? schema_fail(sc, check, where, "the check needs %s (a URL)", key)
		                : 0;
	if (schema_str(sc, n, what) < 0)
		return -1;
	if (strncmp(n->text, "http://", 7) != 0 && strncmp(n->text, "https://", 8) != 0)
		return schema_fail(sc, n, what, "expected an http:// or https:// URL");
	return 0;
}

/* Optional string keys (NULL-terminated list). */
static int str_keys(struct schema *sc, const struct doc_node *check, const char *where,
                    const char *const *keys)
{
	const struct doc_node *n;
	char what[64];
	size_t i;

	for (i = 0; keys[i]; i++) {
		if ((n = doc_map_get(check, keys[i])) == NULL)
			continue;
		snprintf(what, sizeof(what), "%s.%s", where, keys[i]);
		if (schema_str(sc, n, what) < 0)
			return -1;
		if (n->text[0] == '\0')
			return schema_fail(sc, n, what, "expected a non-empty string");
	}
	return 0;
}

/* The URL without its trailing slashes, a new string. */
static char *url_base(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return xstrndup(url, n);
}

/* http_req.cancel_fn: the run is being stopped (--fail-fast). */
static int run_cancelled(void *ctx)
{
	return check_cancelled(ctx);
}

/* ---- grafana -------------------------------------------------------------------- */

static const char *const grafana_keys[] = {"url",        "user",     "password",
                                           "datasource", "services", NULL};

static int grafana_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const strs[] = {"user", "password", "datasource", NULL};
	const struct doc_node *n;
	char what[64];
	size_t i;

	if (url_key(sc, check, where, "url", 1) < 0 || str_keys(sc, check, where, strs) < 0)
		return -1;
	if (doc_map_get(check, "user") == NULL || doc_map_get(check, "password") == NULL)
		return schema_fail(sc, check, where,
		                   "the check needs user and password (Grafana's admin)");
	if ((n = doc_map_get(check, "services")) == NULL)
		return 0;
	snprintf(what, sizeof(what), "%s.services", where);
	if (n->type != DOC_SEQ)
		return schema_fail(sc, n, what, "expected a list of service names");
	for (i = 0; i < n->n; i++) {
		snprintf(what, sizeof(what), "%s.services[%zu]", where, i);
		if (schema_label(sc, n->items[i], what, 63) < 0)
			return -1;
	}
	return 0;
}

struct gf {
	struct check_run *cr;
	struct http *h;
	char *base;       /* "http://IP:3000" */
	char *auth;       /* "Authorization: Basic ..." (holds the password: wiped) */
	unsigned long ms; /* each request's bound */
};

/* The message of a Grafana error answer ({"message": ...}), or "". */
static const char *gf_message(const struct doc_node *j)
{
	const struct doc_node *m = j && j->type == DOC_MAP ? doc_map_get(j, "message") : NULL;

	return m && m->type == DOC_STR ? m->text : "";
}

/* What a failing answer showed: "404 Dashboard not found". Returns out. */
static const char *gf_seen(long status, const struct doc_node *j, char *out, size_t size)
{
	const char *m = gf_message(j);

	snprintf(out, size, "%ld%s%s", status, *m ? " " : "", m);
	return out;
}

/*
 * METHOD base+path with the credentials and body (JSON, or NULL). 0 when
 * Grafana answered: *status, and *out its JSON (NULL when the body is
 * not JSON). -1 with err when nothing came.
 */
static int gf_call(struct gf *g, const char *method, const char *path, const struct doc_node *body,
                   long *status, struct doc_node **out, double *secs, struct err *err)
{
	const char *hdr[4] = {g->auth, "Accept: application/json", NULL, NULL};
	struct http_req req = {0};
	struct http_resp resp = HTTP_RESP_INIT(GF_BODY_MAX);
	struct buf b = BUF_INIT(1u << 20);
	struct err jerr = {0}; /* a body that is not JSON: *out stays NULL */
	char *url = xasprintf("%s%s", g->base, path);
	double t0 = mono_now();
	int rc = -1;

	*out = NULL;
	if (body) {
		hdr[2] = "Content-Type: application/json";
		if (doc_emit_json(body, &b, err) < 0)
			goto out;
		req.body = buf_cstr(&b);
		req.body_len = b.len;
	}
	req.method = method;
	req.url = url;
	req.headers = hdr;
	req.total_ms = g->ms;
	req.idle_ms = g->ms;
	req.cancel_fn = run_cancelled;
	req.cancel_ctx = g->cr;
	if (http_request(g->h, &req, &resp, err) < 0)
		goto out;
	*status = resp.status;
	if (resp.body.len)
		(void)doc_parse_json(url, buf_cstr(&resp.body), resp.body.len, out, &jerr);
	rc = 0;
out:
	*secs = mono_now() - t0;
	buf_release(&b);
	http_resp_release(&resp);
	free(url);
	return rc;
}

/* The first item of the sequence seq whose key is the string val, or NULL. */
static const struct doc_node *seq_find(const struct doc_node *seq, const char *key, const char *val)
{
	const struct doc_node *v;
	size_t i;

	for (i = 0; seq && seq->type == DOC_SEQ && i < seq->n; i++)
		if ((v = doc_map_get(seq->items[i], key)) && v->type == DOC_STR &&
		    strcmp(v->text, val) == 0)
			return seq->items[i];
	return NULL;
}

/* The string at key of map, or "". */
static const char *map_str(const struct doc_node *map, const char *key)
{
	const struct doc_node *v = map && map->type == DOC_MAP ? doc_map_get(map, key) : NULL;

	return v && v->type == DOC_STR ? v->text : "";
}

/* The search hit that is svc's dashboard: its title, or one of its tags, is the name. */
static const struct doc_node *gf_dashboard_of(const struct doc_node *hits, const char *svc)
{
	const struct doc_node *tags;
	size_t i, t;

	for (i = 0; hits && hits->type == DOC_SEQ && i < hits->n; i++)
		if (strcasecmp(map_str(hits->items[i], "title"), svc) == 0)
			return hits->items[i];
	for (i = 0; hits && hits->type == DOC_SEQ && i < hits->n; i++) {
		tags = doc_map_get(hits->items[i], "tags");
		for (t = 0; tags && tags->type == DOC_SEQ && t < tags->n; t++)
			if (tags->items[t]->type == DOC_STR &&
			    strcmp(tags->items[t]->text, svc) == 0)
				return hits->items[i];
	}
	return NULL;
}

/*
 * The points of a /api/ds/query answer: the non-null values of its
 * frames' number fields. *qerr gets the first error a query reported.
 */
static long gf_points(const struct doc_node *ans, const char **qerr)
{
	const struct doc_node *results = doc_map_get(ans, "results"), *frames, *fields, *values;
	long pts = 0;
	size_t r, f, i, k;

	*qerr = NULL;
	for (r = 0; results && results->type == DOC_MAP && r < results->n; r++) {
		const struct doc_node *res = results->pairs[r].value;

		if (*qerr == NULL && map_str(res, "error")[0])
			*qerr = map_str(res, "error");
		frames = doc_map_get(res, "frames");
		for (f = 0; frames && frames->type == DOC_SEQ && f < frames->n; f++) {
			fields = kube_at(frames->items[f], "schema.fields");
			values = kube_at(frames->items[f], "data.values");
			for (i = 0; fields && fields->type == DOC_SEQ && i < fields->n; i++) {
				const struct doc_node *col;

				if (strcmp(map_str(fields->items[i], "type"), "number") != 0 ||
				    values == NULL || values->type != DOC_SEQ || i >= values->n)
					continue;
				col = values->items[i];
				for (k = 0; col->type == DOC_SEQ && k < col->n; k++)
					pts += col->items[k]->type == DOC_INT ||
					       col->items[k]->type == DOC_FLOAT;
			}
		}
	}
	return pts;
}

/*
 * The query of one panel: each of its targets as the panel sends it (its
 * datasource, else the panel's, else ds_uid), over the last hour. NULL
 * when the panel has no target (a text panel, a row). A hidden target
 * (hide: true) is left out, as Grafana's InfluxDB data source leaves it
 * out of the panel's request (its filterQuery).
 */
static struct doc_node *gf_panel_query(const struct doc_node *panel, const char *ds_uid)
{
	const struct doc_node *targets = doc_map_get(panel, "targets"), *pds;
	struct doc_node *q, *qs, *t, *ds;

	if (targets == NULL || targets->type != DOC_SEQ || targets->n == 0)
		return NULL;
	pds = doc_map_get(panel, "datasource");
	qs = doc_new(DOC_SEQ);
	for (size_t j = 0; j < targets->n; j++) {
		const struct doc_node *hide;

		if (targets->items[j]->type != DOC_MAP)
			continue;
		hide = doc_map_get(targets->items[j], "hide");
		if (hide && hide->type == DOC_BOOL && hide->b)
			continue;
		t = doc_clone(targets->items[j]);
		if (doc_map_get(t, "datasource") == NULL) {
			if (pds && pds->type == DOC_MAP) {
				doc_map_set(t, "datasource", doc_clone(pds));
			} else {
				ds = doc_new(DOC_MAP);
				doc_map_set(ds, "type", doc_new_str("influxdb"));
				doc_map_set(ds, "uid", doc_new_str(ds_uid));
				doc_map_set(t, "datasource", ds);
			}
		}
		/* What the panel's request carries beside the target (a 1 h range at 100 points). */
		doc_map_set(t, "intervalMs", doc_new_int(60000));
		doc_map_set(t, "maxDataPoints", doc_new_int(100));
		doc_seq_push(qs, t);
	}
	if (qs->n == 0) {
		doc_free(qs);
		return NULL;
	}
	q = doc_new(DOC_MAP);
	doc_map_set(q, "queries", qs);
	doc_map_set(q, "from", doc_new_str("now-1h"));
	doc_map_set(q, "to", doc_new_str("now"));
	return q;
}

/*
 * The map items of the sequence panels into out from n, each of the top
 * level (rows: top) followed by its own "panels"; the new count.
 */
static size_t gf_panels_of(const struct doc_node *panels, const struct doc_node **out, size_t max,
                           size_t n, int top)
{
	size_t i;

	for (i = 0; panels && panels->type == DOC_SEQ && i < panels->n; i++) {
		if (panels->items[i]->type != DOC_MAP)
			continue;
		if (n < max)
			out[n] = panels->items[i];
		n++;
		if (top)
			n = gf_panels_of(doc_map_get(panels->items[i], "panels"), out, max, n, 0);
	}
	return n;
}

/*
 * The dashboard's panels in order, a row's own panels (a collapsed row
 * keeps them) after the row: the first max of them into out. Returns how
 * many there are, which may be more than max.
 */
static size_t gf_panels(const struct doc_node *dash, const struct doc_node **out, size_t max)
{
	return gf_panels_of(kube_at(dash, "dashboard.panels"), out, max, 0, 1);
}

/* The services whose dashboards are looked for: the check's list, else the stack's. */
static size_t gf_services(const struct check_run *cr, const char ***out)
{
	const struct doc_node *n = check_key(cr, "services");
	const struct stack *st = cr->env->stack;
	size_t i, c = 0;

	if (n && n->type == DOC_SEQ) {
		*out = xcalloc(n->n + 1, sizeof(**out));
		for (i = 0; i < n->n; i++)
			(*out)[c++] = n->items[i]->text;
		return c;
	}
	*out = xcalloc(st->nservices + 1, sizeof(**out));
	for (i = 0; i < st->nservices; i++)
		(*out)[c++] = st->services[i].name;
	return c;
}

/* One panel's query: 0 when it answers with points (any of its targets'). */
static int gf_panel_data(struct gf *g, const char *svc, const char *uid,
                         const struct doc_node *panel, struct doc_node *q)
{
	struct check_run *cr = g->cr;
	const char *ptitle = map_str(panel, "title"), *qerr;
	struct doc_node *ans = NULL;
	struct err err = {0};
	long st = 0, pts;
	double s;
	int rc = -1;

	if (gf_call(g, "POST", "/api/ds/query", q, &st, &ans, &s, &err) < 0) {
		check_fail_err(cr, "an answer to the panel's query", &err, NULL);
		goto out;
	}
	pts = gf_points(ans, &qerr);
	check_evidence(cr,
	               "POST %s/api/ds/query (dashboard %s, panel '%s', last hour) -> %ld, %ld "
	               "point%s (%.0f ms)",
	               g->base, uid, ptitle, st, pts, pts == 1 ? "" : "s", s * 1000);
	if (st != 200 || qerr) {
		char seen[600];

		if (qerr)
			snprintf(seen, sizeof(seen), "%ld %s", st, qerr);
		else
			gf_seen(st, ans, seen, sizeof(seen));
		check_fail(cr, "the panel's query answered (200)", seen,
		           "panel '%s' of dashboard '%s': is the data source's InfluxDB reachable "
		           "from Grafana?",
		           ptitle, uid);
		goto out;
	}
	if (pts < 1) {
		check_fail(cr, "at least one point over the last hour", "no point",
		           "panel '%s' of dashboard '%s' (service %s) has no data: is Telegraf "
		           "writing what it queries into InfluxDB (its pod's logs)?",
		           ptitle, uid, svc);
		goto out;
	}
	rc = 0;
out:
	doc_free(ans);
	return rc;
}

/* Query every panel of one dashboard (svc's, found in the search as hit): 0 when each has points. */
static int gf_dashboard_data(struct gf *g, const char *svc, const struct doc_node *hit,
                             const char *ds_uid)
{
	struct check_run *cr = g->cr;
	const char *uid = map_str(hit, "uid");
	const struct doc_node *panels[GF_PANELS_MAX];
	struct doc_node *dash = NULL, *q;
	struct err err = {0};
	char *path = NULL, *enc = text_url_encode(uid, NULL);
	size_t np, i, queried = 0;
	long st = 0;
	double s;
	int rc = -1;

	path = xasprintf("/api/dashboards/uid/%s", enc);
	if (gf_call(g, "GET", path, NULL, &st, &dash, &s, &err) < 0) {
		check_fail_err(cr, "the dashboard's JSON", &err, NULL);
		goto out;
	}
	check_evidence(cr, "GET %s%s -> %ld (%.0f ms)", g->base, path, st, s * 1000);
	if (st != 200) {
		char seen[600];

		check_fail(cr, "the dashboard's JSON (200)", gf_seen(st, dash, seen, sizeof(seen)),
		           "GET %s%s (service %s's dashboard)", g->base, path, svc);
		goto out;
	}
	np = gf_panels(dash, panels, GF_PANELS_MAX);
	if (np > GF_PANELS_MAX) {
		check_evidence(cr, "dashboard %s: only the first %d of its %zu panels are queried",
		               uid, GF_PANELS_MAX, np);
		np = GF_PANELS_MAX;
	}
	for (i = 0; i < np && !check_cancelled(cr); i++) {
		if ((q = gf_panel_query(panels[i], ds_uid)) == NULL)
			continue;
		queried++;
		if (gf_panel_data(g, svc, uid, panels[i], q) < 0) {
			doc_free(q);
			goto out;
		}
		doc_free(q);
	}
	if (queried == 0) {
		check_fail(cr, "a panel with a query", "the dashboard has no panel with a query",
		           "dashboard '%s' (%s) of service %s", map_str(hit, "title"), uid, svc);
		goto out;
	}
	rc = 0;
out:
	doc_free(dash);
	free(path);
	free(enc);
	return rc;
}

static int grafana_run(struct check_run *cr)
{
	struct gf g = {cr, NULL, NULL, NULL, check_timeout(cr, 10000)};
	const char *user = check_str(cr, "user", ""), *pass = check_str(cr, "password", "");
	const char *dsname = check_str(cr, "datasource", "InfluxDB"), *ds_uid;
	const char **svcs = NULL;
	struct doc_node *dss = NULL, *health = NULL, *hits = NULL;
	const struct doc_node *ds, *hit;
	struct err err = {0};
	struct buf missing = BUF_INIT(4096);
	char *up, *b64, *path = NULL, *enc = NULL;
	long st = 0;
	size_t nsvc, i;
	double s;
	int rc = -1;

	g.base = url_base(check_str(cr, "url", ""));
	g.h = http_new();
	up = xasprintf("%s:%s", user, pass);
	b64 = text_base64(up, strlen(up), 0);
	g.auth = xasprintf("Authorization: Basic %s", b64);
	explicit_bzero(up, strlen(up));
	explicit_bzero(b64, strlen(b64));
	free(up);
	free(b64);

	/* The login: basic auth on the API, as the data sources are read. */
	if (gf_call(&g, "GET", "/api/datasources", NULL, &st, &dss, &s, &err) < 0) {
		check_fail_err(cr, "Grafana answering", &err,
		               "is the grafana pod running and its Service's port the stack's?");
		goto out;
	}
	check_evidence(cr, "GET %s/api/datasources as '%s' (basic auth) -> %ld (%.0f ms)", g.base,
	               user, st, s * 1000);
	if (st == 401) {
		check_fail(
		    cr, "login accepted", gf_message(dss),
		    "Grafana refused the admin '%s' with the stack's generated password: the "
		    "password is set when Grafana creates its database; was its volume kept "
		    "from an earlier install?",
		    user);
		goto out;
	}
	if (st != 200 || dss == NULL || dss->type != DOC_SEQ) {
		char seen[600];

		check_fail(cr, "the data sources (200, a list)",
		           gf_seen(st, dss, seen, sizeof(seen)),
		           "GET %s/api/datasources: is it Grafana on that port?", g.base);
		goto out;
	}
	check_evidence(cr, "login as '%s': accepted", user);

	/* The InfluxDB data source, as srcs/grafana/provisioning names it. */
	ds = seq_find(dss, "name", dsname);
	if (ds == NULL || strcmp(map_str(ds, "type"), "influxdb") != 0) {
		struct buf names = BUF_INIT(4096);

		for (i = 0; i < dss->n; i++)
			buf_addf(&names, "%s%s (%s)", i ? ", " : "", map_str(dss->items[i], "name"),
			         map_str(dss->items[i], "type"));
		check_fail(cr, "an InfluxDB data source", names.len ? buf_cstr(&names) : "none",
		           "no data source '%s' of type influxdb: is srcs/grafana/provisioning/"
		           "datasources in the image?",
		           dsname);
		buf_release(&names);
		goto out;
	}
	ds_uid = map_str(ds, "uid");
	check_evidence(cr, "data source '%s': type influxdb, uid %s, url %s", dsname, ds_uid,
	               map_str(ds, "url"));
	enc = text_url_encode(ds_uid, NULL);
	path = xasprintf("/api/datasources/uid/%s/health", enc);
	if (gf_call(&g, "GET", path, NULL, &st, &health, &s, &err) < 0) {
		check_fail_err(cr, "the data source's health", &err, NULL);
		goto out;
	}
	check_evidence(cr, "GET %s%s -> %ld %s: %s (%.0f ms)", g.base, path, st,
	               map_str(health, "status"), gf_message(health), s * 1000);
	if (st != 200 || strcmp(map_str(health, "status"), "OK") != 0) {
		char seen[600];

		snprintf(seen, sizeof(seen), "%ld %s: %s", st, map_str(health, "status"),
		         gf_message(health));
		check_fail(cr, "data source health OK", seen,
		           "Grafana cannot query InfluxDB at %s: is the influxdb pod ready, and "
		           "the telegraf password the same in both?",
		           map_str(ds, "url"));
		goto out;
	}

	/* One dashboard per service. */
	if (gf_call(&g, "GET", "/api/search?type=dash-db", NULL, &st, &hits, &s, &err) < 0) {
		check_fail_err(cr, "the dashboards", &err, NULL);
		goto out;
	}
	check_evidence(cr, "GET %s/api/search?type=dash-db -> %ld, %zu dashboard%s (%.0f ms)",
	               g.base, st, hits && hits->type == DOC_SEQ ? hits->n : 0,
	               hits && hits->type == DOC_SEQ && hits->n == 1 ? "" : "s", s * 1000);
	if (st != 200 || hits == NULL || hits->type != DOC_SEQ) {
		char seen[600];

		check_fail(cr, "the dashboards (200, a list)",
		           gf_seen(st, hits, seen, sizeof(seen)), "GET %s/api/search?type=dash-db",
		           g.base);
		goto out;
	}
	nsvc = gf_services(cr, &svcs);
	for (i = 0; i < nsvc; i++)
		if (gf_dashboard_of(hits, svcs[i]) == NULL)
			buf_addf(&missing, "%s%s", missing.len ? ", " : "", svcs[i]);
	if (missing.len) {
		check_fail(cr, "one dashboard per service", buf_cstr(&missing),
		           "no dashboard titled or tagged after these services: are they in the "
		           "grafana image's GRAFANA_SERVICES (srcs/grafana/entrypoint.sh)?");
		goto out;
	}
	for (i = 0; i < nsvc; i++) {
		hit = gf_dashboard_of(hits, svcs[i]);
		check_evidence(cr, "service %s: dashboard '%s' (uid %s)", svcs[i],
		               map_str(hit, "title"), map_str(hit, "uid"));
	}

	/* Each panel of each dashboard returns points over the last hour. */
	for (i = 0; i < nsvc && !check_cancelled(cr); i++)
		if (gf_dashboard_data(&g, svcs[i], gf_dashboard_of(hits, svcs[i]), ds_uid) < 0)
			goto out;
	rc = 0;
out:
	explicit_bzero(g.auth, strlen(g.auth));
	free(g.auth);
	free(g.base);
	free(path);
	free(enc);
	free(svcs);
	buf_release(&missing);
	doc_free(dss);
	doc_free(health);
	doc_free(hits);
	http_free(g.h);
	return rc;
}

const struct check_kind check_kind_grafana = {"grafana", grafana_keys, grafana_validate,
                                              grafana_run};

/* ---- dashboard ------------------------------------------------------------------ */

/* The manifest's own Service, the one the login API is reached through. */
#define DASH_PROXY_SERVICE "https:kubernetes-dashboard:443"

static const char *const dashboard_keys[] = {"url",           "namespace", "account",
                                             "proxy_service", "ttl",       NULL};

static int dashboard_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const strs[] = {"namespace", "account", "proxy_service", NULL};
	const struct doc_node *n;
	char what[64];
	int ttl;

	if (url_key(sc, check, where, "url", 1) < 0 || str_keys(sc, check, where, strs) < 0)
		return -1;
	snprintf(what, sizeof(what), "%s.url", where);
	if (strncmp(doc_map_get(check, "url")->text, "https://", 8) != 0)
		return schema_fail(sc, doc_map_get(check, "url"), what,
		                   "the dashboard answers over HTTPS: expected an https:// URL");
	if (doc_map_get(check, "namespace") == NULL || doc_map_get(check, "account") == NULL)
		return schema_fail(
		    sc, check, where,
		    "the check needs namespace and account (the stack's dashboard:)");
	snprintf(what, sizeof(what), "%s.ttl", where);
	if ((n = doc_map_get(check, "ttl")) && schema_int(sc, n, what, 600, 86400, &ttl) < 0)
		return -1;
	return 0;
}

/* (1) The LB address answers over HTTPS, unverified and without a credential. */
static int dashboard_lb(struct check_run *cr, const char *url)
{
	struct http *h = http_new();
	struct http_req req = {0};
	struct http_resp resp = HTTP_RESP_INIT(1u << 20);
	struct err err = {0};
	double t0 = mono_now();
	int rc = -1;

	req.method = "GET";
	req.url = url;
	req.total_ms = check_timeout(cr, 10000);
	req.idle_ms = req.total_ms;
	req.tls_unverified = 1; /* the dashboard's own certificate, made at its start */
	req.cancel_fn = run_cancelled;
	req.cancel_ctx = cr;
	if (http_request(h, &req, &resp, &err) < 0) {
		check_fail_err(cr, "the dashboard answering over HTTPS", &err,
		               "is the dashboard's LoadBalancer Service (templates/dashboard.yaml) "
		               "given the LB address, and its pod ready?");
		goto out;
	}
	check_evidence(cr,
	               "GET %s -> %ld (%.0f ms; TLS NOT verified: the dashboard's certificate is "
	               "its own, generated at its start; no credential sent)",
	               url, resp.status, (mono_now() - t0) * 1000);
	if (resp.status != 200) {
		char seen[32];

		snprintf(seen, sizeof(seen), "%ld", resp.status);
		check_fail(cr, "200", seen, "GET %s: is it the dashboard behind that port?", url);
		goto out;
	}
	rc = 0;
out:
	http_resp_release(&resp);
	http_free(h);
	return rc;
}

/* The first error of a login answer's errors, or NULL. */
static const char *login_error(const struct doc_node *ans)
{
	const struct doc_node *e = doc_map_get(ans, "errors");
	const char *m;

	if (e == NULL || e->type != DOC_SEQ || e->n == 0)
		return NULL;
	m = map_str(kube_at(e->items[0], "ErrStatus"), "message");
	if (!m[0])
		m = map_str(e->items[0], "message");
	return m[0] ? m : "an error";
}

/* (2) The login token is accepted by the login API, through the API server's proxy. */
static int dashboard_login(struct check_run *cr)
{
	const char *ns = check_str(cr, "namespace", ""), *acct = check_str(cr, "account", "");
	const char *psvc = check_str(cr, "proxy_service", DASH_PROXY_SERVICE), *le;
	struct cluster c = {0};
	struct kube *k = NULL;
	struct doc_node *body = NULL, *ans = NULL, *tn;
	struct err err = {0};
	char *token = NULL, *path = NULL;
	double t0;
	int rc = -1;

	if (cluster_connect(cr->env->run, &c, &k, &err) < 0) {
		check_fail_err(cr, "a client for the stack's cluster", &err, NULL);
		goto out;
	}
	kube_set_timeout(k, check_timeout(cr, 10000), check_timeout(cr, 10000));
	if (kube_token(k, ns, acct, check_int(cr, "ttl", 600), &token, &err) < 0) {
		check_fail_err(
		    cr, "a login token for the dashboard's account", &err,
		    "the account comes from templates/dashboard.yaml: was the stack applied "
		    "(ftboot up)?");
		goto out;
	}
	check_secret(cr, token); /* never in what this run records, whatever echoes it */
	check_evidence(cr, "TokenRequest for service account %s/%s (%s): a token (not shown)", ns,
	               acct, kube_server(k));
	body = doc_new(DOC_MAP);
	doc_map_set(body, "token", tn = doc_new_str(token));
	path = xasprintf("/api/v1/namespaces/%s/services/%s/proxy/api/v1/login", ns, psvc);
	t0 = mono_now();
	if (kube_call(k, "POST", path, body, NULL, "the dashboard's login API", &ans, &err) < 0) {
		check_evidence(cr, "POST %s%s -> refused (%.0f ms)", kube_server(k), path,
		               (mono_now() - t0) * 1000);
		check_fail_err(
		    cr, "the token accepted by the dashboard", &err,
		    "the dashboard refused the token of its account: is the account bound "
		    "(templates/dashboard.yaml), and the dashboard's pod ready?");
		goto out;
	}
	check_secret(cr, map_str(ans, "jweToken"));
	le = login_error(ans);
	check_evidence(cr,
	               "POST %s%s (through the API server's service proxy) -> jweToken %s, %s "
	               "(%.0f ms)",
	               kube_server(k), path, map_str(ans, "jweToken")[0] ? "present" : "absent",
	               le ? le : "no errors", (mono_now() - t0) * 1000);
	if (le || !map_str(ans, "jweToken")[0]) {
		check_fail(cr, "a jweToken and no errors", le ? le : "no jweToken",
		           "the dashboard did not log the token of %s/%s in", ns, acct);
		goto out;
	}
	rc = 0;
out:
	if (body)
		explicit_bzero(tn->text, tn->len);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	doc_free(body);
	doc_free(ans);
	free(path);
	kube_close(k);
	cluster_release(&c);
	return rc;
}

static int dashboard_run(struct check_run *cr)
{
	char *url = xstrdup(check_str(cr, "url", ""));
	int rc = dashboard_lb(cr, url);

	free(url);
	if (rc < 0)
		return -1;
	return dashboard_login(cr);
}

const struct check_kind check_kind_dashboard = {"dashboard", dashboard_keys, dashboard_validate,
                                                dashboard_run};
