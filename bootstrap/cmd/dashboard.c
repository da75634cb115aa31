/*
 * dashboard: `ftboot dashboard [--token]`: the URL of the stack's
 * Kubernetes dashboard (https://IP:PORT of its LoadBalancer Service, the
 * stack's dashboard.namespace/service) and, with --token, a login token
 * for the dashboard's service account from the TokenRequest API, valid
 * for dashboard.token_ttl seconds. The token is printed, never written
 * anywhere else. Takes no lock and creates nothing, like status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "cmd.h"
#include "kube.h"
#include "text.h"
#include "xmem.h"

/* Defaults for a stack without a dashboard: section (stack.h). */
#define DASH_NAMESPACE "kubernetes-dashboard"
#define DASH_SERVICE   "kubernetes-dashboard"
#define DASH_ACCOUNT   "ftboot-admin"
#define DASH_TTL       3600

/* The Service's LoadBalancer address (IP, else hostname), or NULL. */
static const char *lb_address(const struct doc_node *svc)
{
	const struct doc_node *in = kube_at(svc, "status.loadBalancer.ingress"), *v;
	size_t i;

	for (i = 0; in && in->type == DOC_SEQ && i < in->n; i++) {
		v = doc_map_get(in->items[i], "ip");
		if (v && v->type == DOC_STR && *v->text)
			return v->text;
		v = doc_map_get(in->items[i], "hostname");
		if (v && v->type == DOC_STR && *v->text)
			return v->text;
	}
	return NULL;
}

/* "https://ADDRESS:PORT" of the dashboard's Service, or -1 saying what to do. */
static int dashboard_url(struct kube *k, const char *ns, const char *name, char **url,
                         struct err *err)
{
	const struct kube_resource *r;
	const struct doc_node *port;
	struct doc_node *svc = NULL;
	const char *addr, *type;
	char qn[80], qs[80], qa[80];
	int rc = -1;

	text_quote(ns, strlen(ns), qn, sizeof(qn));
	text_quote(name, strlen(name), qs, sizeof(qs));
	if (kube_resource(k, "v1", "Service", &r, err) < 0)
		return -1;
	if (kube_get(k, r, ns, name, &svc, err) < 0) {
		if (err->kind == ERRK_NOTFOUND)
			err_setk(
			    err, ERRK_NOTFOUND,
			    "the dashboard's Service '%s' in namespace '%s' does not exist: list "
			    "the dashboard's manifest in the stack's manifests: (or set "
			    "dashboard.namespace and dashboard.service to where it is), then run "
			    "ftboot up",
			    qs, qn);
		goto out;
	}
	port = kube_at(svc, "spec.ports");
	port =
	    port && port->type == DOC_SEQ && port->n ? doc_map_get(port->items[0], "port") : NULL;
	type = kube_at(svc, "spec.type") && kube_at(svc, "spec.type")->type == DOC_STR
	           ? kube_at(svc, "spec.type")->text
	           : "ClusterIP";
	addr = lb_address(svc);
	if (port == NULL || port->type != DOC_INT) {
		err_setk(err, ERRK_INVALID,
		         "the dashboard's Service '%s' in namespace '%s' has no port", qs, qn);
		goto out;
	}
	if (addr == NULL && strcmp(type, "LoadBalancer") != 0) {
		err_setk(
		    err, ERRK_NOTFOUND,
		    "the dashboard's Service '%s' in namespace '%s' is of type %s, which has no "
		    "address outside the cluster: make it a LoadBalancer in the stack and run "
		    "ftboot apply",
		    qs, qn, text_quote(type, strlen(type), qa, sizeof(qa)));
		goto out;
	}
	if (addr == NULL) {
		err_setk(
		    err, ERRK_NOTFOUND,
		    "the dashboard's Service '%s' in namespace '%s' has no LoadBalancer address "
		    "yet: run ftboot up (or ftboot apply) and wait until it succeeds; if it does, "
		    "check the stack's LB controller (ftboot status)",
		    qs, qn);
		goto out;
	}
	{
		char host[TEXT_URL_HOST_MAX];

		*url = xasprintf("https://%s:%lld", text_url_host(addr, host), port->i);
	}
	rc = 0;
out:
	doc_free(svc);
	return rc;
}

int cmd_dashboard(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	const struct stack_dashboard *d;
	struct state st = {0};
	struct journal j = {0};
	struct run run = {0};
	struct cluster c = {0};
	struct kube *k = NULL;
	const char *ns, *svc, *account;
	char *url = NULL, *token = NULL;
	long ttl;
	int rc = -1;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	d = &ctx->stack->dashboard;
	ns = d->namespace ? d->namespace : DASH_NAMESPACE;
	svc = d->service ? d->service : DASH_SERVICE;
	account = d->account ? d->account : DASH_ACCOUNT;
	ttl = d->token_ttl > 0 ? d->token_ttl : DASH_TTL;
	if (cmd_peek_state(ctx, 0, &st, &j, &run, err) < 0 ||
	    cluster_connect(&run, &c, &k, err) < 0 || dashboard_url(k, ns, svc, &url, err) < 0)
		goto out;
	if (cmd_args_has(args, "token") && kube_token(k, ns, account, ttl, &token, err) < 0) {
		char qa[80], qn[80];

		err_wrap(err, "login token for service account '%s' in namespace '%s'",
		         text_quote(account, strlen(account), qa, sizeof(qa)),
		         text_quote(ns, strlen(ns), qn, sizeof(qn)));
		goto out;
	}
	/* A token is printable ASCII (a JWT); anything else is not sent to a terminal. */
	if (token) {
		const char *t;

		for (t = token; *t; t++)
			if (*t < 0x21 || *t > 0x7e)
				break;
		if (*t || t == token) {
			err_setk(
			    err, ERRK_INVALID,
			    "the cluster answered the TokenRequest for service account '%s' with a "
			    "token that is not printable ASCII; it is not printed (is %s the "
			    "cluster's API server?)",
			    account, kube_server(k));
			goto out;
		}
	}
	printf("%s\n", url);
	if (token)
		printf("%s\n", token);
	fflush(stdout);
	rc = 0;
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(url);
	kube_close(k);
	cluster_release(&c);
	journal_close(&j);
	state_close(&st);
	return rc;
}
