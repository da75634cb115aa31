/*
 * apply_status: the apply step's part of `ftboot status`: the stack's
 * pods (found through its workloads' selectors, and by the stack's label),
 * its Services, and the URL of each port of its LoadBalancer Services,
 * as text lines and JSON. A cluster that is not set up or does not answer
 * is said, not an error: status must work before and after everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cluster.h"
#include "kube.h"
#include "render.h"
#include "rollout.h"
#include "text.h"
#include "xmem.h"

/* Bounds of each status request (ms): status must not hang on a dead cluster. */
#define STATUS_TOTAL_MS 5000
#define STATUS_IDLE_MS  2000
/* Most objects of one list shown. */
#define STATUS_MAX 2000

static const struct doc_node *node_at(const struct doc_node *obj, const char *path,
                                      enum doc_type type)
{
	const struct doc_node *n = kube_at(obj, path);

	return n && n->type == type ? n : NULL;
}

static const char *text_at(const struct doc_node *obj, const char *path)
{
	const struct doc_node *n = node_at(obj, path, DOC_STR);

	return n ? n->text : NULL;
}

static int same_object(const struct doc_node *a, const struct doc_node *b)
{
	const char *na = kube_meta(a, "namespace"), *nb = kube_meta(b, "namespace");

	return strcmp(kube_meta(a, "name"), kube_meta(b, "name")) == 0 &&
	       strcmp(na ? na : "", nb ? nb : "") == 0;
}

/* Keep item (named, not kept already: a pod is found by its workload and its label). */
static int gather(void *ctx, const struct doc_node *item, struct err *err)
{
	struct rollout_items *o = ctx;
	size_t i;

	if (kube_meta(item, "name") == NULL)
		return 0;
	for (i = 0; i < o->n; i++)
		if (same_object(o->v[i], item))
			return 0;
	return rollout_collect(ctx, item, err);
}

/* List apiVersion/kind with o into out. */
static int list_into(struct kube *k, const char *av, const char *kind,
                     const struct kube_list_opts *o, struct rollout_items *out, struct err *err)
{
	const struct kube_resource *r;

	if (kube_resource(k, av, kind, &r, err) < 0 ||
	    kube_list(k, r, o, gather, out, NULL, err) < 0)
		return err_wrap(err, "list %ss", kind);
	return 0;
}

/* The stack's pods: those its workloads select, and those with its label. */
static int stack_pods(struct kube *k, const char *label, struct rollout_items *pods,
                      struct err *err)
{
	static const char *const kinds[] = {"Deployment", "StatefulSet", "DaemonSet"};
	struct kube_list_opts o = {.label_selector = label};
	struct rollout_items w = {.max = STATUS_MAX};
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (list_into(k, "apps/v1", kinds[i], &o, &w, err) < 0)
			goto out;
	for (i = 0; i < w.n; i++) {
		struct kube_list_opts po = {0};
		char *sel = rollout_selector(w.v[i]);

		if (sel == NULL)
			continue;
		po.ns = kube_meta(w.v[i], "namespace");
		po.label_selector = sel;
		rc = list_into(k, "v1", "Pod", &po, pods, err);
		free(sel);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (list_into(k, "v1", "Pod", &o, pods, err) < 0)
		goto out;
	rc = 0;
out:
	rollout_items_release(&w);
	return rc;
}

/* "NAME", or "NS/NAME" outside the default namespace. */
static char *shown_name(const struct doc_node *obj, char *out, size_t size)
{
	const char *name = kube_meta(obj, "name"), *ns = kube_meta(obj, "namespace");
	char qn[80], qs[80];

	text_quote(name, strlen(name), qn, sizeof(qn));
	if (ns && strcmp(ns, "default") != 0)
		snprintf(out, size, "%s/%s", text_quote(ns, strlen(ns), qs, sizeof(qs)), qn);
	else
		snprintf(out, size, "%s", qn);
	return out;
}

/*
 * What a pod is doing, as kubectl's STATUS column says it in short: a
 * container's waiting or terminated reason over the phase, Terminating
 * once deleted.
 */
static const char *pod_status(const struct doc_node *pod)
{
	const struct doc_node *cs = node_at(pod, "status.containerStatuses", DOC_SEQ);
	const struct doc_node *ics = node_at(pod, "status.initContainerStatuses", DOC_SEQ);
	const char *phase = text_at(pod, "status.phase"), *r;
	size_t i;

	if (kube_meta(pod, "deletionTimestamp"))
		return "Terminating";
	for (i = 0; ics && i < ics->n; i++)
		if ((r = text_at(ics->items[i], "state.waiting.reason")) != NULL ||
		    ((r = text_at(ics->items[i], "state.terminated.reason")) != NULL &&
		     strcmp(r, "Completed") != 0))
			return r;
	for (i = 0; cs && i < cs->n; i++)
		if ((r = text_at(cs->items[i], "state.waiting.reason")) != NULL ||
		    (r = text_at(cs->items[i], "state.terminated.reason")) != NULL)
			return r;
	if (text_at(pod, "status.reason"))
		return text_at(pod, "status.reason");
	return phase ? phase : "Unknown";
}

static void pod_line(const struct doc_node *pod, int width, struct buf *text, struct doc_node *seq)
{
	const struct doc_node *cs = node_at(pod, "status.containerStatuses", DOC_SEQ);
	const struct doc_node *spec = node_at(pod, "spec.containers", DOC_SEQ), *n;
	const char *status = pod_status(pod), *ns = kube_meta(pod, "namespace");
	long long ready = 0, total = spec ? (long long)spec->n : 0, restarts = 0;
	char name[200], q[80];
	struct doc_node *j = doc_new(DOC_MAP);
	size_t i;

	for (i = 0; cs && i < cs->n; i++) {
		n = node_at(cs->items[i], "ready", DOC_BOOL);
		ready += n && n->b;
		n = node_at(cs->items[i], "restartCount", DOC_INT);
		restarts += n ? n->i : 0;
	}
	if (cs && (long long)cs->n > total)
		total = (long long)cs->n;
	text_quote(status, strlen(status), q, sizeof(q));
	buf_addf(text, "pod        %-*s  %lld/%lld ready  %lld restart%s  %s\n", width,
	         shown_name(pod, name, sizeof(name)), ready, total, restarts,
	         restarts == 1 ? "" : "s", q);
	doc_map_set(j, "name", doc_new_str(kube_meta(pod, "name")));
	doc_map_set(j, "namespace", doc_new_str(ns ? ns : "default"));
	doc_map_set(j, "ready", doc_new_int(ready));
	doc_map_set(j, "containers", doc_new_int(total));
	doc_map_set(j, "restarts", doc_new_int(restarts));
	doc_map_set(j, "phase",
	            text_at(pod, "status.phase") ? doc_new_str(text_at(pod, "status.phase"))
	                                         : doc_new(DOC_NULL));
	doc_map_set(j, "status", doc_new_str(status));
	doc_seq_push(seq, j);
}

/*
 * The URL scheme of a port: by its name (http, https, ssh, ftp; ftps is
 * ftp with TLS; "http-admin" counts as http), else by its appProtocol,
 * else, for a port without a name, by its well-known number; else tcp.
 */
static const char *scheme_of(const struct doc_node *port)
{
	static const char *const by_name[][2] = {
	    {"https", "https"}, {"http", "http"}, {"ssh", "ssh"}, {"ftps", "ftp"}, {"ftp", "ftp"}};
	static const struct {
		long long port;
		const char *scheme;
	} by_port[] = {{80, "http"}, {443, "https"}, {22, "ssh"}, {21, "ftp"}};
	const char *name = text_at(port, "name"), *app = text_at(port, "appProtocol");
	const struct doc_node *num = node_at(port, "port", DOC_INT);
	size_t i, n;

	for (i = 0; name && i < sizeof(by_name) / sizeof(by_name[0]); i++) {
		n = strlen(by_name[i][0]);
		if (strncmp(name, by_name[i][0], n) == 0 && (name[n] == '\0' || name[n] == '-'))
			return by_name[i][1];
	}
	if (app && (strcmp(app, "http") == 0 || strcmp(app, "https") == 0))
		return strcmp(app, "http") == 0 ? "http" : "https";
	for (i = 0; name == NULL && num && i < sizeof(by_port) / sizeof(by_port[0]); i++)
		if (num->i == by_port[i].port)
			return by_port[i].scheme;
	return "tcp";
}

/* The Service's external address: its LB ingress (IP, else hostname), else externalIPs[0]. */
static const char *external_of(const struct doc_node *svc)
{
	const struct doc_node *in = node_at(svc, "status.loadBalancer.ingress", DOC_SEQ);
	const struct doc_node *ext = node_at(svc, "spec.externalIPs", DOC_SEQ);
	const char *s;
	size_t i;

	for (i = 0; in && i < in->n; i++)
		if (((s = text_at(in->items[i], "ip")) != NULL && *s) ||
		    ((s = text_at(in->items[i], "hostname")) != NULL && *s))
			return s;
	if (ext && ext->n && ext->items[0]->type == DOC_STR)
		return ext->items[0]->text;
	return NULL;
}

static void service_line(const struct doc_node *svc, int width, struct buf *text, struct buf *urls,
                         struct doc_node *seq, struct doc_node *url_seq)
{
	const struct doc_node *ports = node_at(svc, "spec.ports", DOC_SEQ), *p, *np;
	const char *type = text_at(svc, "spec.type"), *ip = text_at(svc, "spec.clusterIP");
	const char *ext = external_of(svc), *ns = kube_meta(svc, "namespace"), *pname, *proto;
	struct doc_node *j = doc_new(DOC_MAP), *jp = doc_new(DOC_SEQ), *ju = doc_new(DOC_SEQ);
	struct buf list = BUF_INIT(1u << 16);
	char name[200], qt[80], qi[80], qe[80], qp[80];
	long long port;
	size_t i;
	int lb;

	type = type ? type : "ClusterIP";
	lb = strcmp(type, "LoadBalancer") == 0;
	shown_name(svc, name, sizeof(name));
	for (i = 0; ports && i < ports->n; i++) {
		struct doc_node *e = doc_new(DOC_MAP);

		p = ports->items[i];
		port = node_at(p, "port", DOC_INT) ? node_at(p, "port", DOC_INT)->i : 0;
		np = node_at(p, "nodePort", DOC_INT);
		pname = text_at(p, "name");
		proto = text_at(p, "protocol") ? text_at(p, "protocol") : "TCP";
		buf_addf(&list, "%s%lld", list.len ? "," : "", port);
		if (np)
			buf_addf(&list, ":%lld", np->i);
		buf_addf(&list, "/%s", text_quote(proto, strlen(proto), qp, sizeof(qp)));
		doc_map_set(e, "name", pname ? doc_new_str(pname) : doc_new(DOC_NULL));
		doc_map_set(e, "port", doc_new_int(port));
		doc_map_set(e, "protocol", doc_new_str(proto));
		if (np)
			doc_map_set(e, "node_port", doc_new_int(np->i));
		doc_seq_push(jp, e);
		if (lb && ext && port > 0 && strcmp(proto, "TCP") == 0) {
			char host[TEXT_URL_HOST_MAX];
			char *url =
			    xasprintf("%s://%s:%lld", scheme_of(p), text_url_host(ext, host), port);

			buf_addf(urls, "url        %-*s  %s\n", width, name, url);
			doc_seq_push(ju, doc_new_str(url));
			doc_seq_push(url_seq, doc_new_str(url));
			free(url);
		}
	}
	text_quote(type, strlen(type), qt, sizeof(qt));
	text_quote(ip ? ip : "-", ip ? strlen(ip) : 1, qi, sizeof(qi));
	if (ext)
		text_quote(ext, strlen(ext), qe, sizeof(qe));
	buf_addf(text, "service    %-*s  %s  %s  %s  %s\n", width, name, qt, qi,
	         ext  ? qe
	         : lb ? "<pending>"
	              : "-",
	         list.len ? buf_cstr(&list) : "no ports");
	doc_map_set(j, "name", doc_new_str(kube_meta(svc, "name")));
	doc_map_set(j, "namespace", doc_new_str(ns ? ns : "default"));
	doc_map_set(j, "type", doc_new_str(type));
	doc_map_set(j, "cluster_ip", ip ? doc_new_str(ip) : doc_new(DOC_NULL));
	doc_map_set(j, "external", ext ? doc_new_str(ext) : doc_new(DOC_NULL));
	doc_map_set(j, "ports", jp);
	doc_map_set(j, "urls", ju);
	doc_seq_push(seq, j);
	buf_release(&list);
}

static int name_width(const struct rollout_items *o)
{
	char name[200];
	size_t i, w = 0;

	for (i = 0; i < o->n; i++)
		if (strlen(shown_name(o->v[i], name, sizeof(name))) > w)
			w = strlen(name);
	return w > 48 ? 48 : (int)w;
}

static int name_cmp(const void *a, const void *b)
{
	const struct doc_node *x = *(const struct doc_node *const *)a;
	const struct doc_node *y = *(const struct doc_node *const *)b;
	const char *nx = kube_meta(x, "namespace"), *ny = kube_meta(y, "namespace");
	int c = strcmp(nx ? nx : "", ny ? ny : "");

	return c ? c : strcmp(kube_meta(x, "name"), kube_meta(y, "name"));
}

int apply_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct cluster c = {0};
	struct kube *k = NULL;
	struct rollout_items pods = {.max = STATUS_MAX}, svcs = {.max = STATUS_MAX};
	struct buf urls = BUF_INIT(1u << 20);
	struct doc_node *jp = doc_new(DOC_SEQ), *js = doc_new(DOC_SEQ), *ju = doc_new(DOC_SEQ);
	struct kube_list_opts o = {0};
	struct err why = {0};
	char *label = xasprintf("%s=%s", RENDER_LABEL_STACK, run->stack->name);
	size_t i;
	int w;

	(void)err;
	*json = doc_new(DOC_MAP);
	if (cluster_connect(run, &c, &k, &why) < 0) {
		buf_addf(text, "apply      %s: %s\n",
		         why.kind == ERRK_NOTFOUND ? "not applied"
		                                   : "the cluster cannot be reached",
		         why.msg);
		doc_map_set(*json, "answers", doc_new_bool(0));
		doc_map_set(*json, "error", doc_new_str(why.msg));
		goto out;
	}
	kube_set_timeout(k, STATUS_TOTAL_MS, STATUS_IDLE_MS);
	o.label_selector = label;
	if (stack_pods(k, label, &pods, &why) < 0 ||
	    list_into(k, "v1", "Service", &o, &svcs, &why) < 0) {
		buf_addf(text, "apply      the cluster at %s does not answer: %s\n", kube_server(k),
		         why.msg);
		doc_map_set(*json, "answers", doc_new_bool(0));
		doc_map_set(*json, "error", doc_new_str(why.msg));
		goto out;
	}
	doc_map_set(*json, "answers", doc_new_bool(1));
	/* qsort's base may not be NULL, even for no items. */
	if (pods.n > 1)
		qsort(pods.v, pods.n, sizeof(*pods.v), name_cmp);
	if (svcs.n > 1)
		qsort(svcs.v, svcs.n, sizeof(*svcs.v), name_cmp);
	if (pods.n == 0)
		buf_addf(text, "pods       none with the stack's label %s (ftboot apply)\n", label);
	w = name_width(&pods);
	for (i = 0; i < pods.n; i++)
		pod_line(pods.v[i], w, text, jp);
	if (pods.total > pods.n)
		buf_addf(text, "pods       and %zu more\n", pods.total - pods.n);
	if (svcs.n == 0)
		buf_addf(text, "services   none with the stack's label %s\n", label);
	w = name_width(&svcs);
	for (i = 0; i < svcs.n; i++)
		service_line(svcs.v[i], w, text, &urls, js, ju);
	if (svcs.total > svcs.n)
		buf_addf(text, "services   and %zu more\n", svcs.total - svcs.n);
	buf_addstr(text, buf_cstr(&urls));
out:
	doc_map_set(*json, "pods", jp);
	doc_map_set(*json, "services", js);
	doc_map_set(*json, "urls", ju);
	rollout_items_release(&pods);
	rollout_items_release(&svcs);
	buf_release(&urls);
	kube_close(k);
	cluster_release(&c);
	free(label);
	return 0;
}
