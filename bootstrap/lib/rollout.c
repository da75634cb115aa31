/*
 * rollout: whether applied objects are up by kubectl's rules (rollout
 * status's status viewers, plus PVCs and LoadBalancer Services), the
 * wait for them on watches, and what their pods say when they are not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mono.h"
#include "rollout.h"
#include "text.h"
#include "xmem.h"

/* A watch's share of the time while several kinds are waited for (s). */
#define ROLLOUT_SLICE 2.0
/* Pods whose state rollout_diagnose tells, and events per pod. */
#define DIAG_PODS   3
#define DIAG_EVENTS 5
/* Longest message of the API's (an event's, a container's) in ours. */
#define API_MSG_MAX 320

/* ---- reading objects --------------------------------------------------- */

static long long num_at(const struct doc_node *obj, const char *path, long long dflt)
{
	const struct doc_node *n = kube_at(obj, path);

	return n && n->type == DOC_INT ? n->i : dflt;
}

static const char *str_at(const struct doc_node *obj, const char *path)
{
	const struct doc_node *n = kube_at(obj, path);

	return n && n->type == DOC_STR ? n->text : NULL;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/*
 * The API's words (a condition's, an event's or a container's message)
 * safe in a message: C0 controls and DEL as spaces, C1 controls and bytes
 * that are not UTF-8 as '?', cut at API_MSG_MAX at a character boundary.
 */
static char *api_text(const char *s, char *out, size_t size)
{
	size_t len = s ? strlen(s) : 0, i = 0, o = 0, n;

	if (size > API_MSG_MAX)
		size = API_MSG_MAX;
	while (i < len && o + 4 < size) {
		n = text_utf8_len(s + i, len - i);
		if (n == 0 || (n == 2 && (unsigned char)s[i] == 0xC2 &&
		               (unsigned char)s[i + 1] < 0xA0)) { /* not UTF-8, or a C1 control */
			out[o++] = '?';
			i += n ? n : 1;
		} else if (n == 1) {
			unsigned char c = (unsigned char)s[i++];

			out[o++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	if (i < len && o + 3 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/* ---- rollout_check ----------------------------------------------------- */

/* Cut text (in a buffer of size bytes, full) at a character boundary, ending in "...". */
static void cut_utf8(char *text, size_t size)
{
	size_t n = size - 4;

	/* Back over continuation bytes (10xxxxxx) to where a character starts. */
	while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	memcpy(text + n, "...", 4);
}

__attribute__((format(printf, 4, 5))) static enum rollout_state
say(enum rollout_state st, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return st;
	va_start(ap, fmt);
	n = vsnprintf(why, size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= size && size >= 8)
		cut_utf8(why, size);
	return st;
}

/* metadata.generation not yet seen by the controller (status.observedGeneration). */
static int spec_unobserved(const struct doc_node *obj)
{
	return num_at(obj, "metadata.generation", 0) > num_at(obj, "status.observedGeneration", 0);
}

/* kubectl's DeploymentStatusViewer. */
static enum rollout_state deployment(const struct doc_node *obj, char *why, size_t size)
{
	long long want = num_at(obj, "spec.replicas", 1), updated, replicas, available;
	const struct doc_node *c;
	char m[API_MSG_MAX];

	if (spec_unobserved(obj))
		return say(ROLLOUT_WAITING, why, size, "spec update not observed yet");
	c = kube_condition(obj, "Progressing");
	if (c && streq(str_at(c, "reason"), "ProgressDeadlineExceeded"))
		return say(ROLLOUT_FAILED, why, size,
		           "progress deadline exceeded (ProgressDeadlineExceeded)%s%s",
		           str_at(c, "message") ? ": " : "",
		           api_text(str_at(c, "message"), m, sizeof(m)));
	updated = num_at(obj, "status.updatedReplicas", 0);
	replicas = num_at(obj, "status.replicas", 0);
	available = num_at(obj, "status.availableReplicas", 0);
	if (updated < want)
		return say(ROLLOUT_WAITING, why, size, "%lld of %lld replicas updated", updated,
		           want);
	if (replicas > updated)
		return say(ROLLOUT_WAITING, why, size, "%lld old replicas pending termination",
		           replicas - updated);
	if (available < updated)
		return say(ROLLOUT_WAITING, why, size, "%lld of %lld updated replicas available",
		           available, updated);
	return say(ROLLOUT_READY, why, size, "rolled out, %lld of %lld replicas available",
	           available, want);
}

/*
 * kubectl's StatefulSetStatusViewer. With the OnDelete strategy kubectl
 * cannot tell (pods change only when deleted): ready pods are enough.
 */
static enum rollout_state statefulset(const struct doc_node *obj, char *why, size_t size)
{
	long long want = num_at(obj, "spec.replicas", 1), ready, updated, partition;
	const char *type = str_at(obj, "spec.updateStrategy.type");
	const char *cur = str_at(obj, "status.currentRevision");
	const char *upd = str_at(obj, "status.updateRevision");
	char q[80];

	if (num_at(obj, "status.observedGeneration", 0) == 0 || spec_unobserved(obj))
		return say(ROLLOUT_WAITING, why, size, "spec update not observed yet");
	ready = num_at(obj, "status.readyReplicas", 0);
	updated = num_at(obj, "status.updatedReplicas", 0);
	if (ready < want)
		return say(ROLLOUT_WAITING, why, size, "%lld of %lld pods ready", ready, want);
	if (type && strcmp(type, "RollingUpdate") != 0)
		return say(ROLLOUT_READY, why, size,
		           "%lld pods ready (%s: pods update when deleted)", ready,
		           text_quote(type, strlen(type), q, sizeof(q)));
	if (kube_at(obj, "spec.updateStrategy.rollingUpdate")) {
		partition = num_at(obj, "spec.updateStrategy.rollingUpdate.partition", 0);
		if (updated < want - partition)
			return say(ROLLOUT_WAITING, why, size, "%lld of %lld pods updated", updated,
			           want - partition);
		return say(ROLLOUT_READY, why, size, "rolled out, %lld pods updated", updated);
	}
	if ((cur || upd) && !streq(cur, upd))
		return say(ROLLOUT_WAITING, why, size, "rolling update: %lld pods at revision %s",
		           updated,
		           text_quote(upd ? upd : "", upd ? strlen(upd) : 0, q, sizeof(q)));
	return say(ROLLOUT_READY, why, size, "rolled out, %lld pods ready", ready);
}

/* kubectl's DaemonSetStatusViewer; OnDelete as for StatefulSets. */
static enum rollout_state daemonset(const struct doc_node *obj, char *why, size_t size)
{
	long long want = num_at(obj, "status.desiredNumberScheduled", 0);
	long long updated = num_at(obj, "status.updatedNumberScheduled", 0);
	long long available = num_at(obj, "status.numberAvailable", 0);
	const char *type = str_at(obj, "spec.updateStrategy.type");

	if (spec_unobserved(obj))
		return say(ROLLOUT_WAITING, why, size, "spec update not observed yet");
	if (type == NULL || strcmp(type, "RollingUpdate") == 0) {
		if (updated < want)
			return say(ROLLOUT_WAITING, why, size, "%lld of %lld pods updated", updated,
			           want);
	}
	if (available < want)
		return say(ROLLOUT_WAITING, why, size, "%lld of %lld pods available", available,
		           want);
	return say(ROLLOUT_READY, why, size, "rolled out, %lld of %lld pods available", available,
	           want);
}

static enum rollout_state claim(const struct doc_node *obj, char *why, size_t size)
{
	const char *phase = str_at(obj, "status.phase");
	char q[80];

	if (streq(phase, "Bound"))
		return say(ROLLOUT_READY, why, size, "bound");
	if (streq(phase, "Lost"))
		return say(ROLLOUT_FAILED, why, size, "its volume is lost (phase Lost)");
	return say(ROLLOUT_WAITING, why, size, "not bound yet (phase %s)",
	           phase ? text_quote(phase, strlen(phase), q, sizeof(q)) : "unknown");
}

/*
 * A LoadBalancer's ingress: an IP equal to lb (any, lb NULL). A
 * hostname-only ingress (a cloud's LB) is an address when lb is NULL.
 */
static enum rollout_state service(const struct doc_node *obj, const char *lb, char *why,
                                  size_t size)
{
	const char *type = str_at(obj, "spec.type");
	const struct doc_node *in = kube_at(obj, "status.loadBalancer.ingress");
	const char *ip = NULL, *host = NULL, *s;
	char q[80], h[80];
	size_t i;

	if (!streq(type, "LoadBalancer"))
		return say(ROLLOUT_READY, why, size, "type %s: no address to wait for",
		           type ? text_quote(type, strlen(type), q, sizeof(q)) : "ClusterIP");
	for (i = 0; in && in->type == DOC_SEQ && i < in->n; i++) {
		s = str_at(in->items[i], "ip");
		if (s && *s && (lb == NULL || strcmp(s, lb) == 0))
			return say(ROLLOUT_READY, why, size, "ingress IP %s",
			           text_quote(s, strlen(s), q, sizeof(q)));
		if (s && *s && ip == NULL)
			ip = s;
		s = str_at(in->items[i], "hostname");
		if (s && *s && host == NULL)
			host = s;
	}
	if (ip)
		return say(
		    ROLLOUT_FAILED, why, size,
		    "ingress IP %s is not the stack's LB address %s (is another LB controller "
		    "or pool handing out addresses?)",
		    text_quote(ip, strlen(ip), q, sizeof(q)),
		    text_quote(lb, strlen(lb), h, sizeof(h)));
	if (host && lb == NULL)
		return say(ROLLOUT_READY, why, size, "ingress hostname %s",
		           text_quote(host, strlen(host), q, sizeof(q)));
	if (host)
		return say(ROLLOUT_FAILED, why, size,
		           "ingress hostname %s, not the stack's LB address %s",
		           text_quote(host, strlen(host), q, sizeof(q)),
		           text_quote(lb, strlen(lb), h, sizeof(h)));
	return say(ROLLOUT_WAITING, why, size, "no ingress IP yet");
}

enum rollout_state rollout_check(const struct doc_node *obj, const char *lb_address, char *why,
                                 size_t size)
{
	const char *kind = str_at(obj, "kind");

	if (size)
		why[0] = '\0';
	if (streq(kind, "Deployment"))
		return deployment(obj, why, size);
	if (streq(kind, "StatefulSet"))
		return statefulset(obj, why, size);
	if (streq(kind, "DaemonSet"))
		return daemonset(obj, why, size);
	if (streq(kind, "PersistentVolumeClaim"))
		return claim(obj, why, size);
	if (streq(kind, "Service"))
		return service(obj, lb_address, why, size);
	return say(ROLLOUT_READY, why, size, "applied");
}

int rollout_waits_for(const char *kind)
{
	static const char *const kinds[] = {"Deployment", "StatefulSet", "DaemonSet",
	                                    "PersistentVolumeClaim", "Service"};
	size_t i;

	for (i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

static int is_workload(const char *kind)
{
	return streq(kind, "Deployment") || streq(kind, "StatefulSet") || streq(kind, "DaemonSet");
}

/* ---- rollout_diagnose -------------------------------------------------- */

/*
 * A copy of r (its strings too): a lookup may refresh discovery, which
 * frees what an earlier one returned.
 */
static void res_copy(struct kube_resource *dst, const struct kube_resource *r)
{
	*dst = *r;
	dst->group = xstrdup(r->group ? r->group : "");
	dst->version = xstrdup(r->version);
	dst->kind = xstrdup(r->kind);
	dst->plural = xstrdup(r->plural);
}

static void res_release(struct kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->plural);
	memset(r, 0, sizeof(*r));
}

/* The resource of apiVersion/kind, copied into *dst. */
static int res_find(struct kube *k, const char *av, const char *kind, struct kube_resource *dst,
                    struct err *err)
{
	const struct kube_resource *r;

	if (kube_resource(k, av, kind, &r, err) < 0)
		return -1;
	res_copy(dst, r);
	return 0;
}

char *rollout_selector(const struct doc_node *obj)
{
	const struct doc_node *m = kube_at(obj, "spec.selector.matchLabels");
	struct buf b = BUF_INIT(1u << 16);
	size_t i;

	for (i = 0; m && m->type == DOC_MAP && i < m->n; i++)
		if (m->pairs[i].value->type == DOC_STR &&
		    buf_addf(&b, "%s%s=%s", b.len ? "," : "", m->pairs[i].key->text,
		             m->pairs[i].value->text) < 0) {
			buf_release(&b);
			return NULL;
		}
	if (b.len == 0)
		return NULL;
	return buf_detach(&b, NULL);
}

int rollout_collect(void *ctx, const struct doc_node *item, struct err *err)
{
	struct rollout_items *it = ctx;

	(void)err;
	it->total++;
	if (it->n == it->max)
		return 0;
	if (it->n == it->cap) {
		it->cap = it->cap ? 2 * it->cap : 8;
		it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
	}
	it->v[it->n++] = doc_clone(item);
	return 0;
}

void rollout_items_release(struct rollout_items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		doc_free(it->v[i]);
	free(it->v);
	memset(it, 0, sizeof(*it));
}

/* When an event last happened, as RFC 3339 text ("" when it says nothing). */
static const char *event_time(const struct doc_node *ev)
{
	static const char *const fields[] = {"lastTimestamp", "eventTime", "firstTimestamp",
	                                     "metadata.creationTimestamp"};
	const char *t;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((t = str_at(ev, fields[i])) != NULL && *t)
			return t;
	return "";
}

/* resourceVersion as a number, to order events of the same second (0: none). */
static unsigned long long event_rv(const struct doc_node *ev)
{
	const char *rv = kube_meta(ev, "resourceVersion");

	return rv ? strtoull(rv, NULL, 10) : 0;
}

/* By when they last happened; within one second, by resourceVersion (etcd's order). */
static int event_cmp(const void *a, const void *b)
{
	const struct doc_node *x = *(const struct doc_node *const *)a;
	const struct doc_node *y = *(const struct doc_node *const *)b;
	int c = strcmp(event_time(x), event_time(y));
	unsigned long long rx, ry;

	if (c)
		return c;
	rx = event_rv(x);
	ry = event_rv(y);
	return rx < ry ? -1 : rx > ry;
}

/* Append a pod's last DIAG_EVENTS events, oldest first. */
static void pod_events(struct kube *k, const struct kube_resource *events, const char *ns,
                       const char *pod, struct err *err)
{
	struct kube_list_opts o = {0};
	struct rollout_items it = {0};
	struct err e = {0};
	char *sel = xasprintf("involvedObject.name=%s", pod);
	char m[API_MSG_MAX], r[80], t[80], ty[80];
	size_t i;

	o.ns = ns;
	o.field_selector = sel;
	it.max = 10000;
	if (kube_list(k, events, &o, rollout_collect, &it, NULL, &e) < 0) {
		err_suffix(err, "\n      (its events could not be listed: %s)", e.msg);
		goto out;
	}
	if (it.n == 0) {
		err_suffix(err, "\n      no events");
		goto out;
	}
	qsort(it.v, it.n, sizeof(*it.v), event_cmp);
	for (i = it.n > DIAG_EVENTS ? it.n - DIAG_EVENTS : 0; i < it.n; i++) {
		const struct doc_node *ev = it.v[i];
		const char *when = event_time(ev), *type = str_at(ev, "type");
		const char *reason = str_at(ev, "reason");
		long long count = num_at(ev, "count", 1);

		err_suffix(err, "\n      %s %s %s: %s",
		           *when ? text_quote(when, strlen(when), t, sizeof(t)) : "-",
		           type ? text_quote(type, strlen(type), ty, sizeof(ty)) : "Normal",
		           reason ? text_quote(reason, strlen(reason), r, sizeof(r))
		                  : "(no reason)",
		           api_text(str_at(ev, "message"), m, sizeof(m)));
		if (count > 1)
			err_suffix(err, " (x%lld)", count);
	}
out:
	rollout_items_release(&it);
	free(sel);
}

/* Append what one container's status says, if anything is wrong. */
static void container_state(const struct doc_node *cs, int init, struct err *err)
{
	const char *name = str_at(cs, "name"), *reason, *msg;
	const struct doc_node *w = kube_at(cs, "state.waiting");
	const struct doc_node *t = kube_at(cs, "state.terminated");
	const struct doc_node *last = kube_at(cs, "lastState.terminated");
	char q[80], m[API_MSG_MAX], r[80];

	if (name)
		text_quote(name, strlen(name), q, sizeof(q));
	else
		snprintf(q, sizeof(q), "?");
	if (w) {
		reason = str_at(w, "reason");
		msg = str_at(w, "message");
		err_suffix(err, "; %scontainer %s waiting: %s%s%s", init ? "init " : "", q,
		           reason ? text_quote(reason, strlen(reason), r, sizeof(r))
		                  : "(no reason)",
		           msg ? ": " : "", msg ? api_text(msg, m, sizeof(m)) : "");
	} else if (t && !(init && num_at(t, "exitCode", 0) == 0)) {
		reason = str_at(t, "reason");
		msg = str_at(t, "message");
		err_suffix(
		    err, "; %scontainer %s terminated: %s, exit code %lld%s%s", init ? "init " : "",
		    q, reason ? text_quote(reason, strlen(reason), r, sizeof(r)) : "(no reason)",
		    num_at(t, "exitCode", 0), msg ? ": " : "",
		    msg ? api_text(msg, m, sizeof(m)) : "");
	} else if (kube_at(cs, "ready") && kube_at(cs, "ready")->type == DOC_BOOL &&
	           !kube_at(cs, "ready")->b && !init) {
		err_suffix(err, "; container %s not ready", q);
	}
	if (w && last) {
		reason = str_at(last, "reason");
		err_suffix(err, " (last termination: %s, exit code %lld)",
		           reason ? text_quote(reason, strlen(reason), r, sizeof(r))
		                  : "(no reason)",
		           num_at(last, "exitCode", 0));
	}
}

/* 1 if every container of pod is ready and it runs. */
static int pod_ready(const struct doc_node *pod)
{
	const struct doc_node *c = kube_condition(pod, "Ready");

	return streq(str_at(pod, "status.phase"), "Running") && c &&
	       streq(str_at(c, "status"), "True");
}

/* Append one pod's state. */
static void pod_state(const struct doc_node *pod, struct err *err)
{
	static const char *const lists[] = {"status.initContainerStatuses",
	                                    "status.containerStatuses"};
	const char *name = kube_meta(pod, "name"), *phase = str_at(pod, "status.phase");
	const struct doc_node *sched = kube_condition(pod, "PodScheduled"), *cs;
	char q[80], p[80], m[API_MSG_MAX];
	size_t i, j;

	err_suffix(err, "\n    pod %s: %s",
	           name ? text_quote(name, strlen(name), q, sizeof(q)) : "?",
	           phase ? text_quote(phase, strlen(phase), p, sizeof(p)) : "no phase yet");
	if (sched && streq(str_at(sched, "status"), "False"))
		err_suffix(err, "; not scheduled: %s",
		           api_text(str_at(sched, "message") ? str_at(sched, "message")
		                                             : str_at(sched, "reason"),
		                    m, sizeof(m)));
	for (j = 0; j < sizeof(lists) / sizeof(lists[0]); j++) {
		cs = kube_at(pod, lists[j]);
		for (i = 0; cs && cs->type == DOC_SEQ && i < cs->n; i++)
			container_state(cs->items[i], j == 0, err);
	}
}

void rollout_diagnose(struct kube *k, const struct doc_node *obj, const char *ns, struct err *err)
{
	struct kube_resource pods = {0}, events = {0};
	struct kube_list_opts o = {0};
	struct rollout_items it = {0};
	struct err e = {0}, ee = {0};
	char *sel = rollout_selector(obj);
	const char *name;
	size_t i, shown = 0, ready = 0;
	int have_events;

	if (kube_meta(obj, "namespace"))
		ns = kube_meta(obj, "namespace");
	if (sel == NULL) {
		err_suffix(err, "\n    (no spec.selector.matchLabels: its pods cannot be found)");
		goto out;
	}
	if (res_find(k, "v1", "Pod", &pods, &e) < 0) {
		err_suffix(err, "\n    (its pods could not be listed: %s)", e.msg);
		goto out;
	}
	have_events = res_find(k, "v1", "Event", &events, &ee) == 0;
	o.ns = ns;
	o.label_selector = sel;
	it.max = 1000;
	if (kube_list(k, &pods, &o, rollout_collect, &it, NULL, &e) < 0) {
		err_suffix(err, "\n    (its pods could not be listed: %s)", e.msg);
		goto out;
	}
	if (it.total == 0) {
		err_suffix(err, "\n    no pods match %s (yet)", sel);
		goto out;
	}
	for (i = 0; i < it.n; i++) {
		if (pod_ready(it.v[i])) {
			ready++;
			continue;
		}
		if (shown++ == DIAG_PODS)
			continue;
		pod_state(it.v[i], err);
		name = kube_meta(it.v[i], "name");
		if (have_events && name)
			pod_events(k, &events, ns, name, err);
		else if (name)
			err_suffix(err, "\n      (its events could not be listed: %s)", ee.msg);
	}
	if (shown > DIAG_PODS)
		err_suffix(err, "\n    and %zu more pods not ready", shown - DIAG_PODS);
	if (ready)
		err_suffix(err, "\n    %zu of %zu pods ready", ready, it.total);
out:
	rollout_items_release(&it);
	res_release(&pods);
	res_release(&events);
	free(sel);
}

/* ---- rollout_wait ------------------------------------------------------ */

/* One object waited for. */
struct item {
	const struct doc_node *manifest;
	const char *name, *ns; /* borrowed from manifest or the caller */
	size_t group;
	enum rollout_state st;
	int seen;              /* found in the cluster */
	struct doc_node *live; /* the object as last seen */
	char what[160];        /* "Deployment/web" */
	char why[256];
};

/* One kind waited for: listed once, then watched. */
struct group {
	char *api_version;        /* as the manifests write it: "apps/v1" */
	struct kube_resource res; /* copied (res_copy) */
	const char *ns;           /* the namespace of all its objects, or NULL: every one */
	char *rv;
	size_t pending;
	int gone_in_a_row; /* 410s without an event in between */
};

struct wait {
	struct kube *k;
	struct item *items;
	size_t n, ready, failed;
	struct group *groups;
	size_t ngroups;
	const char *lb;
	const struct report *r;
	size_t cur;     /* the group being listed or watched */
	char last[512]; /* the summary last reported */
};

static void summary(struct wait *w)
{
	char line[512];
	size_t i;

	for (i = 0; i < w->n && w->items[i].st == ROLLOUT_READY; i++)
		;
	if (i == w->n)
		snprintf(line, sizeof(line), "%zu/%zu ready", w->ready, w->n);
	else
		snprintf(line, sizeof(line), "%zu/%zu ready; waiting for %s: %s", w->ready, w->n,
		         w->items[i].what, w->items[i].why);
	if (strcmp(line, w->last) == 0)
		return;
	snprintf(w->last, sizeof(w->last), "%s", line);
	report_task_update(w->r, 0, line);
}

/* The item of group g that obj is, or NULL. */
static struct item *item_of(struct wait *w, size_t g, const struct doc_node *obj)
{
	const char *name = kube_meta(obj, "name"), *ns = kube_meta(obj, "namespace");
	size_t i;

	for (i = 0; name && i < w->n; i++) {
		struct item *it = &w->items[i];

		/* An object without a namespace anywhere: the client's default, any here. */
		if (it->group == g && strcmp(it->name, name) == 0 &&
		    (!w->groups[g].res.namespaced || it->ns == NULL || streq(it->ns, ns)))
			return it;
	}
	return NULL;
}

/* Set it's state (from obj, or gone when obj is NULL); keeps the counts. */
static void update(struct wait *w, struct item *it, const struct doc_node *obj)
{
	enum rollout_state st;
	struct group *g = &w->groups[it->group];

	if (obj) {
		st = rollout_check(obj, w->lb, it->why, sizeof(it->why));
		doc_free(it->live);
		it->live = doc_clone(obj);
		it->seen = 1;
	} else {
		st = ROLLOUT_FAILED;
		snprintf(it->why, sizeof(it->why), "deleted while it was waited for");
		doc_free(it->live);
		it->live = NULL;
	}
	if (it->st == ROLLOUT_READY) {
		w->ready--;
		g->pending++;
	} else if (it->st == ROLLOUT_FAILED) {
		w->failed--;
		g->pending++;
	}
	it->st = st;
	if (st == ROLLOUT_READY) {
		w->ready++;
		g->pending--;
	} else if (st == ROLLOUT_FAILED) {
		w->failed++;
		g->pending--;
	}
}

static int on_item(void *ctx, const struct doc_node *obj, struct err *err)
{
	struct wait *w = ctx;
	struct item *it = item_of(w, w->cur, obj);

	(void)err;
	if (it)
		update(w, it, obj);
	return 0;
}

static int on_event(void *ctx, const char *type, const struct doc_node *obj, struct err *err)
{
	struct wait *w = ctx;
	struct group *g = &w->groups[w->cur];
	struct item *it;
	char m[API_MSG_MAX];

	if (strcmp(type, "BOOKMARK") == 0)
		return 0;
	if (strcmp(type, "ERROR") == 0) {
		if (num_at(obj, "code", 0) == 410)
			return err_setk(err, ERRK_NOTFOUND, "watch: %s",
			                api_text(str_at(obj, "message"), m, sizeof(m)));
		return err_setk(err, ERRK_OTHER, "watch: the API server said: %s",
		                api_text(str_at(obj, "message"), m, sizeof(m)));
	}
	g->gone_in_a_row = 0;
	it = item_of(w, w->cur, obj);
	if (it == NULL)
		return 0;
	update(w, it, strcmp(type, "DELETED") == 0 ? NULL : obj);
	summary(w);
	if (w->failed || g->pending == 0)
		return 1;
	return 0;
}

/* List group g again (first, or after 410 Gone), its rv from the list. */
static int list_group(struct wait *w, size_t g, struct err *err)
{
	struct group *gr = &w->groups[g];
	struct kube_list_opts o = {0};
	char *rv = NULL;

	o.ns = gr->ns;
	w->cur = g;
	if (kube_list(w->k, &gr->res, &o, on_item, w, &rv, err) < 0) {
		free(rv);
		return -1;
	}
	free(gr->rv);
	gr->rv = rv;
	return 0;
}

/* Resolve each waited-for object's kind into a group. */
static int make_groups(struct wait *w, const struct doc_node *const *objs, size_t n, const char *ns,
                       struct err *err)
{
	const char *av, *kind, *name;
	size_t i, g;

	for (i = 0; i < n; i++) {
		struct item *it;

		kind = str_at(objs[i], "kind");
		av = str_at(objs[i], "apiVersion");
		name = kube_meta(objs[i], "name");
		if (!rollout_waits_for(kind) || av == NULL || name == NULL)
			continue;
		for (g = 0; g < w->ngroups; g++)
			if (strcmp(w->groups[g].res.kind, kind) == 0 &&
			    strcmp(w->groups[g].api_version, av) == 0)
				break;
		if (g == w->ngroups) {
			w->groups = xreallocarray(w->groups, w->ngroups + 1, sizeof(*w->groups));
			memset(&w->groups[g], 0, sizeof(w->groups[g]));
			if (res_find(w->k, av, kind, &w->groups[g].res, err) < 0)
				return -1;
			w->groups[g].api_version = xstrdup(av);
			w->ngroups++;
		}
		w->items = xreallocarray(w->items, w->n + 1, sizeof(*w->items));
		it = &w->items[w->n++];
		memset(it, 0, sizeof(*it));
		it->manifest = objs[i];
		it->name = name;
		it->ns = kube_meta(objs[i], "namespace") ? kube_meta(objs[i], "namespace") : ns;
		it->group = g;
		it->st = ROLLOUT_WAITING;
		snprintf(it->why, sizeof(it->why), "not found in the cluster");
		kube_what(objs[i], it->what, sizeof(it->what));
		w->groups[g].pending++;
	}
	/* A group's list namespace: its objects' one, or every namespace. */
	for (g = 0; g < w->ngroups; g++) {
		struct group *gr = &w->groups[g];
		int first = 1;

		for (i = 0; i < w->n; i++) {
			if (w->items[i].group != g || !gr->res.namespaced)
				continue;
			if (first)
				gr->ns = w->items[i].ns;
			else if (gr->ns && !streq(gr->ns, w->items[i].ns))
				gr->ns = NULL;
			first = 0;
		}
	}
	return 0;
}

/* The error of a failed or timed-out wait: every object not ready, workloads diagnosed. */
static int wait_error(struct wait *w, int timeout_s, const char *ns, struct err *err)
{
	size_t i, not_ready = w->n - w->ready;

	if (w->failed)
		err_setk(err, ERRK_OTHER, "%zu of %zu objects failed to roll out:", w->failed,
		         w->n);
	else
		err_setk(err, ERRK_TIMEOUT,
		         "timed out after %d s waiting for %zu of %zu objects to be ready "
		         "(the stack's cluster.timeout):",
		         timeout_s, not_ready, w->n);
	for (i = 0; i < w->n; i++) {
		struct item *it = &w->items[i];

		if (it->st == ROLLOUT_READY)
			continue;
		err_suffix(err, "\n  %s: %s%s", it->what,
		           it->st == ROLLOUT_FAILED ? "failed: " : "", it->why);
		if (is_workload(str_at(it->manifest, "kind")) && it->seen)
			rollout_diagnose(w->k, it->live ? it->live : it->manifest, ns, err);
	}
	return -1;
}

int rollout_wait(struct kube *k, const struct doc_node *const *objs, size_t n, const char *ns,
                 const char *lb_address, int timeout_s, const struct report *r, struct err *err)
{
	struct wait w;
	double deadline = mono_now() + timeout_s, until;
	size_t g, i, busy;
	int rc = -1, timed_out, opened = 0;
	struct err e;

	memset(&w, 0, sizeof(w));
	w.k = k;
	w.lb = lb_address;
	w.r = r;
	if (make_groups(&w, objs, n, ns, err) < 0)
		goto out;
	if (w.n == 0) {
		rc = 0;
		goto out;
	}
	report_task_begin(r, 0, "rollout");
	opened = 1;
	for (g = 0; g < w.ngroups; g++)
		if (list_group(&w, g, err) < 0) {
			err_wrap(err, "list %s", w.groups[g].res.plural);
			goto out;
		}
	if (w.ready < w.n)
		summary(&w);
	g = 0;
	while (w.ready < w.n && w.failed == 0) {
		double now = mono_now();

		if (now >= deadline)
			break;
		for (busy = 0, i = 0; i < w.ngroups; i++)
			busy += w.groups[i].pending > 0;
		while (w.groups[g].pending == 0)
			g = (g + 1) % w.ngroups;
		/* Several kinds: each watched in turn, so that none is forgotten. */
		until = busy > 1 && now + ROLLOUT_SLICE < deadline ? now + ROLLOUT_SLICE : deadline;
		w.cur = g;
		timed_out = 0;
		err_clear(&e);
		if (kube_watch(k, &w.groups[g].res, &(struct kube_list_opts){.ns = w.groups[g].ns},
		               &w.groups[g].rv, until, on_event, &w, &timed_out, &e) < 0) {
			if (e.kind != ERRK_NOTFOUND) {
				*err = e;
				err_wrap(err, "watch %s", w.groups[g].res.plural);
				goto out;
			}
			/* 410 Gone: too old to resume; list again (not in a tight loop). */
			if (w.groups[g].gone_in_a_row++)
				mono_nap(200);
			if (list_group(&w, g, err) < 0) {
				err_wrap(err, "list %s", w.groups[g].res.plural);
				goto out;
			}
			summary(&w);
			continue;
		}
		g = (g + 1) % w.ngroups;
	}
	if (w.ready == w.n) {
		char how[64];

		snprintf(how, sizeof(how), "%zu/%zu ready", w.ready, w.n);
		report_task_end(r, 0, 1, how);
		opened = 0;
		rc = 0;
		goto out;
	}
	report_task_end(r, 0, 0, w.failed ? "failed" : "timed out");
	opened = 0;
	wait_error(&w, timeout_s, ns, err);
out:
	if (opened)
		report_task_end(r, 0, 0, "failed");
	for (i = 0; i < w.n; i++)
		doc_free(w.items[i].live);
	free(w.items);
	for (g = 0; g < w.ngroups; g++) {
		res_release(&w.groups[g].res);
		free(w.groups[g].api_version);
		free(w.groups[g].rv);
	}
	free(w.groups);
	return rc;
}
