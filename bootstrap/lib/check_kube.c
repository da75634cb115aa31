/*
 * check_kube: the check kind that reads the stack's cluster (check.h),
 * E3 and E4, through its own Kubernetes client (cluster_connect). It
 * lists the objects with the stack's label (RENDER_LABEL_STACK) in
 * every namespace and changes nothing.
 *
 *   kind: kube
 *   expect: names      # E3: for each service of the stack a Deployment
 *                      # named after it with a container named after it;
 *                      # every pod of the stack Ready (else its reason)
 *   expect: services   # E4: each service's Service of the type the stack
 *                      # says (R15; type None: no Service), no NodePort
 *                      # Service, every LoadBalancer one with an ingress
 *                      # IP, all the same, not 127.0.0.1, not ending in
 *                      # .0 or .255; the VM's cluster: the stack's
 *                      # vm.lb_address
 *
 * Evidence: one line per object seen ("Deployment/nginx: 1/1 ready",
 * "Service/nginx LoadBalancer 192.168.61.10").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cluster.h"
#include "ipv4.h"
#include "kube.h"
#include "render.h"
#include "rollout.h"
#include "text.h"
#include "xmem.h"

/* Bound of each request (ms), unless --timeout says otherwise. */
#define KUBE_CHECK_MS 10000
/* Most objects of one list read. */
#define KUBE_CHECK_MAX 5000

static int kube_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	const struct doc_node *n = doc_map_get(check, "expect");
	char what[64];

	snprintf(what, sizeof(what), "%s.expect", where);
	if (n == NULL)
		return schema_fail(
		    sc, check, where,
		    "a kube check needs expect: names (E3) or expect: services (E4)");
	if (schema_str(sc, n, what) < 0)
		return -1;
	if (strcmp(n->text, "names") != 0 && strcmp(n->text, "services") != 0) {
		char q[80];

		return schema_fail(sc, n, what, "expected names or services, got '%s'",
		                   text_quote(n->text, n->len, q, sizeof(q)));
	}
	return 0;
}

static const char *str_of(const struct doc_node *obj, const char *dotted)
{
	const struct doc_node *n = kube_at(obj, dotted);

	return n && n->type == DOC_STR ? n->text : NULL;
}

static long long int_of(const struct doc_node *obj, const char *dotted, long long dflt)
{
	const struct doc_node *n = kube_at(obj, dotted);

	return n && n->type == DOC_INT ? n->i : dflt;
}

/* List apiVersion/kind (label selector sel, namespace ns or every one) into out. */
static int list_kind(struct kube *k, const char *av, const char *kind, const char *ns,
                     const char *sel, struct rollout_items *out, struct err *err)
{
	const struct kube_resource *r;
	struct kube_list_opts o = {ns, sel, NULL};

	if (kube_resource(k, av, kind, &r, err) < 0 ||
	    kube_list(k, r, &o, rollout_collect, out, NULL, err) < 0)
		return err_wrap(err, "list %ss", kind);
	return 0;
}

/* The object of items named name (any namespace), or NULL. */
static const struct doc_node *named(const struct rollout_items *it, const char *name)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		if (kube_meta(it->v[i], "name") && strcmp(kube_meta(it->v[i], "name"), name) == 0)
			return it->v[i];
	return NULL;
}

/* The names of items, comma-separated, quoted, into b ("none" for none). */
static void names_of(const struct rollout_items *it, struct buf *b)
{
	char q[80];
	size_t i;

	for (i = 0; i < it->n && i < 20; i++) {
		const char *n = kube_meta(it->v[i], "name");

		buf_addf(b, "%s%s", i ? ", " : "",
		         n ? text_quote(n, strlen(n), q, sizeof(q)) : "?");
	}
	if (it->n > 20)
		buf_addf(b, ", ... (%zu)", it->n);
	if (it->n == 0)
		buf_addstr(b, "none");
}

/* ---- expect: names (E3) ---------------------------------------------------------- */

/* Whether pod is Ready; else why (a container's waiting reason, else the phase). */
static int pod_ready(const struct doc_node *pod, char *why, size_t size)
{
	const struct doc_node *conds = kube_at(pod, "status.conditions");
	const struct doc_node *cs = kube_at(pod, "status.containerStatuses");
	const char *phase = str_of(pod, "status.phase");
	char qr[80], qm[80], qp[80];
	size_t i;

	for (i = 0; conds && conds->type == DOC_SEQ && i < conds->n; i++) {
		const char *t = str_of(conds->items[i], "type"),
		           *s = str_of(conds->items[i], "status");

		if (t && strcmp(t, "Ready") == 0 && s && strcmp(s, "True") == 0)
			return 1;
	}
	for (i = 0; cs && cs->type == DOC_SEQ && i < cs->n; i++) {
		const char *r = str_of(cs->items[i], "state.waiting.reason");
		const char *m = str_of(cs->items[i], "state.waiting.message");

		if (r == NULL) {
			r = str_of(cs->items[i], "state.terminated.reason");
			m = str_of(cs->items[i], "state.terminated.message");
		}
		if (r == NULL)
			continue;
		text_quote(r, strlen(r), qr, sizeof(qr));
		if (m)
			snprintf(why, size, "%s (%s)", qr,
			         text_quote(m, strlen(m), qm, sizeof(qm)));
		else
			snprintf(why, size, "%s", qr);
		return 0;
	}
	if (str_of(pod, "status.reason"))
		phase = str_of(pod, "status.reason");
	text_quote(phase ? phase : "no status yet", strlen(phase ? phase : "no status yet"), qp,
	           sizeof(qp));
	/* Not scheduled, or running but not ready (a readiness probe): the condition says. */
	for (i = 0; conds && conds->type == DOC_SEQ && i < conds->n; i++) {
		const char *t = str_of(conds->items[i], "type"),
		           *s = str_of(conds->items[i], "status");
		const char *r = str_of(conds->items[i], "reason");
		const char *m = str_of(conds->items[i], "message");

		if (t == NULL || s == NULL || strcmp(s, "False") != 0 || r == NULL ||
		    (strcmp(t, "PodScheduled") != 0 && strcmp(t, "Ready") != 0))
			continue;
		snprintf(why, size, "%s, not Ready: %s%s%s%s", qp,
		         text_quote(r, strlen(r), qr, sizeof(qr)), m ? " (" : "",
		         m ? text_quote(m, strlen(m), qm, sizeof(qm)) : "", m ? ")" : "");
		return 0;
	}
	snprintf(why, size, "%s, not Ready", qp);
	return 0;
}

/* Keep item unless a pod of that namespace and name is kept already. */
static int collect_new(void *ctx, const struct doc_node *item, struct err *err)
{
	struct rollout_items *it = ctx;
	const char *ns = kube_meta(item, "namespace"), *name = kube_meta(item, "name");
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < it->n; i++) {
		const char *ns2 = kube_meta(it->v[i], "namespace");

		if (strcmp(kube_meta(it->v[i], "name"), name) == 0 &&
		    strcmp(ns ? ns : "", ns2 ? ns2 : "") == 0)
			return 0;
	}
	return rollout_collect(ctx, item, err);
}

static int check_names(struct check_run *cr, struct kube *k, const char *label)
{
	const struct stack *st = cr->env->stack;
	struct rollout_items deps = {.max = KUBE_CHECK_MAX}, pods = {.max = KUBE_CHECK_MAX};
	const struct kube_resource *pr;
	struct buf b = BUF_INIT(1u << 16);
	struct err err = {0};
	char what[200], why[300], seen[600], q[80];
	size_t i, j, notready = 0;

	if (list_kind(k, "apps/v1", "Deployment", NULL, label, &deps, &err) < 0 ||
	    kube_resource(k, "v1", "Pod", &pr, &err) < 0) {
		check_fail_err(cr, "the stack's Deployments listed", &err,
		               "is the cluster up? ftboot status says");
		goto out;
	}
	/* The pods the Deployments select, and those with the stack's label. */
	for (i = 0; i < deps.n; i++) {
		char *sel = rollout_selector(deps.v[i]);
		struct kube_list_opts o = {kube_meta(deps.v[i], "namespace"), sel, NULL};
		int rc = sel ? kube_list(k, pr, &o, collect_new, &pods, NULL, &err) : 0;

		free(sel);
		if (rc < 0) {
			check_fail_err(cr, "the stack's pods listed", &err, NULL);
			goto out;
		}
	}
	{
		struct kube_list_opts o = {NULL, label, NULL};

		if (kube_list(k, pr, &o, collect_new, &pods, NULL, &err) < 0) {
			check_fail_err(cr, "the stack's pods listed", &err, NULL);
			goto out;
		}
	}
	for (i = 0; i < st->nservices; i++) {
		const char *svc = st->services[i].name;
		const struct doc_node *d = named(&deps, svc), *cs;
		int found = 0;

		if (d == NULL) {
			buf_reset(&b);
			names_of(&deps, &b);
			snprintf(what, sizeof(what), "Deployment/%s (R2)", svc);
			snprintf(seen, sizeof(seen),
			         "no Deployment named %s with the label %s (the stack's: %s)", svc,
			         label, buf_cstr(&b));
			check_fail(cr, what, seen,
			           "name the Deployment of templates/%s.yaml %s, then ftboot apply",
			           svc, svc);
			continue;
		}
		cs = kube_at(d, "spec.template.spec.containers");
		buf_reset(&b);
		for (j = 0; cs && cs->type == DOC_SEQ && j < cs->n; j++) {
			const char *cn = str_of(cs->items[j], "name");

			if (cn == NULL)
				continue;
			found |= strcmp(cn, svc) == 0;
			buf_addf(&b, "%s%s", b.len ? ", " : "",
			         text_quote(cn, strlen(cn), q, sizeof(q)));
		}
		kube_what(d, what, sizeof(what));
		if (!found) {
			char expected[300];

			snprintf(expected, sizeof(expected), "%s with a container named %s (R2)",
			         what, svc);
			snprintf(seen, sizeof(seen), "%s: containers %s", what,
			         b.len ? buf_cstr(&b) : "none");
			check_fail(cr, expected, seen,
			           "name the container of templates/%s.yaml %s, then ftboot apply",
			           svc, svc);
		}
		check_evidence(cr, "%s: %lld/%lld ready, containers %s", what,
		               int_of(d, "status.readyReplicas", 0), int_of(d, "spec.replicas", 1),
		               b.len ? buf_cstr(&b) : "none");
	}
	for (i = 0; i < deps.n; i++)
		if (stack_service(st, kube_meta(deps.v[i], "name")) == NULL)
			check_evidence(cr, "%s: not a service of the stack",
			               kube_what(deps.v[i], what, sizeof(what)));
	if (pods.n == 0)
		check_fail(cr, "the stack's pods, Ready",
		           "no pod of the stack's Deployments or label",
		           "ftboot apply (ftboot status shows what the cluster runs)");
	for (i = 0; i < pods.n; i++) {
		const char *phase = str_of(pods.v[i], "status.phase");

		kube_what(pods.v[i], what, sizeof(what));
		/* Going (a rollout's old pod) or done (a Job's): not one that should be Ready. */
		if (kube_meta(pods.v[i], "deletionTimestamp") ||
		    (phase && strcmp(phase, "Succeeded") == 0)) {
			check_evidence(cr, "%s: %s, not counted", what,
			               phase && strcmp(phase, "Succeeded") == 0 ? "Succeeded"
			                                                        : "Terminating");
			continue;
		}
		if (pod_ready(pods.v[i], why, sizeof(why))) {
			check_evidence(cr, "%s: Ready", what);
			continue;
		}
		notready++;
		check_evidence(cr, "%s: %s", what, why);
		snprintf(seen, sizeof(seen), "%s: %s", what, why);
		check_fail(cr, "every pod of the stack Ready", seen,
		           "ftboot status and kubectl describe %s say more", what);
	}
	if (pods.total > pods.n)
		check_fail(cr, "the stack's pods read whole", "more pods than the check reads",
		           "at most %d", KUBE_CHECK_MAX);
	/* A Deployment short of ready replicas, its pods all Ready (or none yet). */
	for (i = 0; notready == 0 && i < deps.n; i++) {
		long long want = int_of(deps.v[i], "spec.replicas", 1);
		long long ready = int_of(deps.v[i], "status.readyReplicas", 0);

		if (ready >= want)
			continue;
		kube_what(deps.v[i], what, sizeof(what));
		snprintf(seen, sizeof(seen), "%s: %lld/%lld ready", what, ready, want);
		check_fail(cr, "every Deployment of the stack ready", seen,
		           "ftboot status says what its pods do");
	}
out:
	buf_release(&b);
	rollout_items_release(&deps);
	rollout_items_release(&pods);
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

/* ---- expect: services (E4) -------------------------------------------------------- */

/* The first ingress IP of a LoadBalancer Service, or NULL. */
static const char *ingress_ip(const struct doc_node *svc)
{
	const struct doc_node *in = kube_at(svc, "status.loadBalancer.ingress");
	size_t i;

	for (i = 0; in && in->type == DOC_SEQ && i < in->n; i++)
		if (str_of(in->items[i], "ip") && *str_of(in->items[i], "ip"))
			return str_of(in->items[i], "ip");
	return NULL;
}

static int check_services(struct check_run *cr, struct kube *k, const char *label, int in_vm)
{
	const struct stack *st = cr->env->stack;
	struct rollout_items svcs = {.max = KUBE_CHECK_MAX};
	struct err err = {0};
	char what[200], seen[600], expected[300], q[80], qs[80], lb[IPV4_STRLEN];
	const char *shared = NULL, *shared_by = NULL;
	size_t i;

	if (list_kind(k, "v1", "Service", NULL, label, &svcs, &err) < 0) {
		check_fail_err(cr, "the stack's Services listed", &err,
		               "is the cluster up? ftboot status says");
		goto out;
	}
	if (svcs.total > svcs.n)
		check_fail(cr, "the stack's Services read whole",
		           "more Services than the check reads", "at most %d", KUBE_CHECK_MAX);
	/* Each service's Service, of the stack's type (R15). */
	for (i = 0; i < st->nservices; i++) {
		const struct stack_service *s = &st->services[i];
		const struct doc_node *o = named(&svcs, s->name);
		const char *want = stack_svc_type_name(s->type), *type;

		if (s->type == STACK_SVC_NONE) {
			if (o) {
				snprintf(seen, sizeof(seen), "%s exists",
				         kube_what(o, what, sizeof(what)));
				check_fail(
				    cr, "no Service for a service of type None (services.*.type)",
				    seen,
				    "the stack gives %s no Service: remove it from "
				    "templates/%s.yaml, or give %s a type in srcs/stack.yaml",
				    s->name, s->name, s->name);
			}
			continue;
		}
		snprintf(expected, sizeof(expected), "Service/%s of type %s (R15)", s->name, want);
		if (o == NULL) {
			snprintf(seen, sizeof(seen), "no Service named %s with the label %s",
			         s->name, label);
			check_fail(cr, expected, seen,
			           "name the Service of templates/%s.yaml %s, then ftboot apply",
			           s->name, s->name);
			continue;
		}
		type = str_of(o, "spec.type") ? str_of(o, "spec.type") : "ClusterIP";
		if (strcmp(type, want) != 0) {
			snprintf(seen, sizeof(seen), "%s of type %s",
			         kube_what(o, what, sizeof(what)),
			         text_quote(type, strlen(type), q, sizeof(q)));
			check_fail(cr, expected, seen,
			           "the stack says %s (services.%s.type in srcs/stack.yaml): its "
			           "template's spec.type is ${type.%s}",
			           want, s->name, s->name);
		}
	}
	/* Every Service of the stack: no NodePort; one shared, valid LB address. */
	for (i = 0; i < svcs.n; i++) {
		const struct doc_node *o = svcs.v[i];
		const char *type = str_of(o, "spec.type") ? str_of(o, "spec.type") : "ClusterIP";
		const char *ip = str_of(o, "spec.clusterIP"), *ext;
		uint32_t a;

		kube_what(o, what, sizeof(what));
		text_quote(type, strlen(type), q, sizeof(q));
		if (strcmp(type, "LoadBalancer") != 0) {
			check_evidence(cr, "%s %s %s", what, q,
			               ip ? text_quote(ip, strlen(ip), qs, sizeof(qs)) : "-");
			if (strcmp(type, "NodePort") == 0) {
				snprintf(seen, sizeof(seen), "%s of type NodePort", what);
				check_fail(cr, "no NodePort Service (R15)", seen,
				           "make it LoadBalancer or ClusterIP in its template");
			}
			continue;
		}
		ext = ingress_ip(o);
		check_evidence(cr, "%s LoadBalancer %s", what,
		               ext ? text_quote(ext, strlen(ext), qs, sizeof(qs)) : "<pending>");
		if (ext == NULL) {
			snprintf(seen, sizeof(seen), "%s: no ingress IP (EXTERNAL-IP <pending>)",
			         what);
			check_fail(cr, "every LoadBalancer Service with an ingress IP (R5)", seen,
			           "the cluster's load balancer gives it one (k3s ServiceLB); "
			           "ftboot status says what it has");
			continue;
		}
		if (ipv4_parse(ext, &a) < 0 || a == 0x7f000001 || (a & 0xff) == 0 ||
		    (a & 0xff) == 0xff) {
			snprintf(seen, sizeof(seen), "%s: %s", what, qs);
			check_fail(
			    cr,
			    "an LB address that is an IPv4 address, not 127.0.0.1, not ending "
			    "in .0 or .255 (E4)",
			    seen, "give the LoadBalancer a pool address (vm.lb_address)");
			continue;
		}
		if (shared == NULL) {
			shared = ext;
			shared_by = kube_meta(o, "name");
		} else if (strcmp(shared, ext) != 0) {
			snprintf(
			    expected, sizeof(expected),
			    "one LB address shared by every LoadBalancer Service (R5): %s's %s",
			    text_quote(shared_by, strlen(shared_by), q, sizeof(q)), shared);
			snprintf(seen, sizeof(seen), "%s: %s", what, qs);
			check_fail(cr, expected, seen,
			           "the Services share the address through the LB controller "
			           "(metallb.universe.tf/allow-shared-ip)");
		}
	}
	if (in_vm && shared && strcmp(shared, ipv4_format(st->vm.lb_address, lb)) != 0) {
		snprintf(expected, sizeof(expected), "the stack's vm.lb_address %s", lb);
		snprintf(seen, sizeof(seen), "the LoadBalancer Services on %s",
		         text_quote(shared, strlen(shared), q, sizeof(q)));
		check_fail(cr, expected, seen,
		           "vm.lb_address in srcs/stack.yaml must be the address the VM's cluster "
		           "gives");
	} else if (shared && strcmp(shared, cr->env->address) != 0) {
		check_evidence(cr, "note: the checks target %s, the LoadBalancer is on %s",
		               cr->env->address, text_quote(shared, strlen(shared), q, sizeof(q)));
	}
out:
	rollout_items_release(&svcs);
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

static int kube_run(struct check_run *cr)
{
	struct cluster c = {0};
	struct kube *k = NULL;
	struct err err = {0};
	char *label = xasprintf("%s=%s", RENDER_LABEL_STACK, cr->env->stack->name);
	unsigned long ms = check_timeout(cr, KUBE_CHECK_MS);
	int rc;

	if (cluster_connect(cr->env->run, &c, &k, &err) < 0) {
		if (err.kind == ERRK_NOTFOUND)
			rc = check_fail_err(cr, "the stack's cluster, set up", &err,
			                    "set it up with ftboot up");
		else
			rc = check_fail_err(cr, "a client of the stack's cluster", &err,
			                    "ftboot status says what the cluster is");
		goto out;
	}
	kube_set_timeout(k, ms, ms);
	if (strcmp(check_str(cr, "expect", "names"), "services") == 0)
		rc = check_services(cr, k, label, c.in_vm);
	else
		rc = check_names(cr, k, label);
out:
	kube_close(k);
	cluster_release(&c);
	free(label);
	return rc;
}

const struct check_kind check_kind_kube = {"kube", (const char *const[]){"expect", NULL},
                                           kube_validate, kube_run};
