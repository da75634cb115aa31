/*
 * kube: the Kubernetes API client, on the HTTP transport (http.h). It
 * speaks JSON (doc.h trees), verifies the server against the cluster's
 * CA, authenticates with a client certificate or a bearer token
 * (kubeconfig.h), and translates the API's own errors.
 *
 * One client holds one connection, reused by every request (one request
 * at a time; a thread of its own needs a client of its own). Every
 * request:
 *   - is bounded (total and idle, see kube_set_timeout);
 *   - on 429 or 503 is retried, at most KUBE_RETRIES times, after the
 *     answer's Retry-After (seconds, capped at 30) or else a backoff of
 *     0.5, 1, 2, 4 s, all within the request's total bound: no retry
 *     whose wait would pass it; then the last answer is the error, saying
 *     after how many attempts and whether the bound ended them;
 *   - wipes its request and answer bodies before freeing them (a
 *     Secret's data, a token);
 *   - on another 4xx/5xx fails with the API's Status message, naming the
 *     object: "Deployment/wordpress: Deployment.apps \"wordpress\" is
 *     invalid: spec.replicas: Invalid value: -1: must be greater than or
 *     equal to 0" (422 lists each of details.causes: "FIELD: MESSAGE");
 *     the kind of the error: 404 ERRK_NOTFOUND, 409 ERRK_EXISTS, 401/403
 *     ERRK_DENIED, 422/400 ERRK_INVALID, 429/5xx ERRK_TRANSIENT. A body
 *     that is not a Status gives "HTTP 500: FIRST LINE OF BODY" (quoted).
 */
#ifndef FTBOOT_KUBE_H
#define FTBOOT_KUBE_H

#include <stddef.h>

#include "doc.h"
#include "err.h"
#include "kubeconfig.h"

#define KUBE_RETRIES       5
#define KUBE_FIELD_MANAGER "ftboot"
/* Largest answer read into memory (a list page, a discovery document). */
#define KUBE_BODY_MAX (64u << 20)
/* Items asked for per list page. */
#define KUBE_PAGE 500
/* Most pages one kube_list reads (5 million items at KUBE_PAGE): a server looping is an error. */
#define KUBE_LIST_PAGES_MAX 10000

struct kube;

/*
 * A client for t (copied: t may be released after). Sends nothing:
 * errors of the target (a bad CA or key) come with the first request.
 * A tls_server_name other than the server URL's host is refused,
 * ERRK_UNSUPPORTED (the transport verifies the URL's host only).
 */
int kube_open(const struct kube_target *t, struct kube **out, struct err *err);
void kube_close(struct kube *k);

/* The target's server URL ("https://192.168.61.10:6443"). Borrowed. */
const char *kube_server(const struct kube *k);

/*
 * Bounds of each request from now on, in ms (defaults: total 60000, idle
 * 30000); the total covers the 429/503 retries and their waits.
 */
void kube_set_timeout(struct kube *k, unsigned long total_ms, unsigned long idle_ms);

/* Items asked for per list page from now on (0: KUBE_PAGE); for tests of paging. */
void kube_set_page(struct kube *k, unsigned long n);

/*
 * The wait before retry attempt (0-based) of a 429 or 503 answer, in ms,
 * from its Retry-After and Date headers (NULL: absent): Retry-After in
 * seconds, or an HTTP date less the answer's Date (else the clock), at
 * most 30 s; without a valid one, the backoff 0.5, 1, 2, 4, 4 ... s.
 * Exposed for its tests (no test sleeps to see it).
 */
long kube_retry_wait_ms(const char *retry_after, const char *date, int attempt);

/* HTTP requests sent so far, retries included (the bench counts them). */
unsigned long kube_requests(const struct kube *k);

/*
 * A request to path ("/api/v1/namespaces"; a query is part of it) with a
 * JSON body (NULL: none) of content_type (NULL: application/json).
 * *out (may be NULL) gets the answer's JSON on 2xx. Errors as above;
 * what names the object in them ("Deployment/wordpress"), or NULL for
 * "METHOD PATH".
 */
int kube_call(struct kube *k, const char *method, const char *path, const struct doc_node *body,
              const char *content_type, const char *what, struct doc_node **out, struct err *err);

/*
 * GET /readyz (plain text "ok"). 0 when ready; -1 with the server's
 * answer (its failing checks) or the transport's error otherwise.
 */
int kube_readyz(struct kube *k, struct err *err);

/* The server's version ("v1.31.4+k3s1") from /version, into a new string. */
int kube_version(struct kube *k, char **out, struct err *err);

/* ---- discovery ------------------------------------------------------- */

struct kube_resource {
	char *group;   /* "" for the core group */
	char *version; /* "v1" */
	char *kind;    /* "Deployment" */
	char *plural;  /* "deployments": the path's resource */
	int namespaced;
	int listable; /* its verbs have list, watch and delete: prune looks at it */
};

/*
 * The resource of apiVersion ("apps/v1", "v1") and kind, from discovery
 * (aggregated discovery, apidiscovery.k8s.io/v2, when the server has it;
 * else /api and /apis and each group version's list), fetched once per
 * client. A kind not found refreshes discovery once (a CRD applied
 * since); still not found is ERRK_NOTFOUND: "no kind 'Foo' in
 * 'example.com/v1' on the cluster (is its CRD applied and established?)".
 * Borrowed, valid until the next refresh.
 */
int kube_resource(struct kube *k, const char *api_version, const char *kind,
                  const struct kube_resource **out, struct err *err);

/* Every resource of discovery (the preferred version of each group), borrowed. */
int kube_resources(struct kube *k, const struct kube_resource **v, size_t *n, struct err *err);

/* Forget discovery: the next kube_resource fetches it again. */
void kube_discovery_reset(struct kube *k);

/*
 * Whether discovery asks for the aggregated form first (on: the
 * default). Off: legacy discovery only, for the tests of that path and
 * for a server whose aggregated discovery is broken. Resets discovery.
 */
void kube_set_aggregated(struct kube *k, int on);

/*
 * The path of the object, or of the collection with name NULL:
 * "/apis/apps/v1/namespaces/NS/deployments/NAME"; ns is ignored for a
 * cluster-scoped resource. A new string.
 */
char *kube_path(const struct kube_resource *r, const char *ns, const char *name);

/* ---- objects --------------------------------------------------------- */

/*
 * Server-side apply obj (a manifest: apiVersion, kind, metadata.name,
 * metadata.namespace, or ns for a namespaced kind without one):
 * PATCH PATH?fieldManager=ftboot&force=true, application/apply-patch+yaml
 * (the body is JSON, which is YAML). Creates it when absent. *out (may be
 * NULL) gets the object the server returns. The object is sent as it is;
 * one carrying metadata.managedFields, resourceVersion or uid (fields the
 * cluster sets: a copy of `kubectl get -o yaml`) is refused, ERRK_INVALID,
 * naming the field. A namespaced object without metadata.namespace goes
 * to ns, or the target's namespace when ns is NULL.
 */
int kube_apply(struct kube *k, const struct doc_node *obj, const char *ns, struct doc_node **out,
               struct err *err);

/* GET one object (ns NULL: the target's namespace); missing: ERRK_NOTFOUND. */
int kube_get(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
             struct doc_node **out, struct err *err);

/*
 * DELETE one object (ns NULL: the target's namespace) with
 * propagationPolicy (NULL: "Background"), sent as DeleteOptions in the
 * body and as the query parameter.
 * Already gone: 0 with *gone 1 (gone may be NULL).
 */
int kube_delete(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
                const char *propagation, int *gone, struct err *err);

struct kube_list_opts {
	const char *ns;             /* NULL: every namespace (or cluster-scoped) */
	const char *label_selector; /* or NULL */
	const char *field_selector; /* or NULL */
};

/* Called for each item of a list; return 0 to go on, -1 with err set to stop. */
typedef int (*kube_item_fn)(void *ctx, const struct doc_node *item, struct err *err);

/*
 * List r, page by page (limit KUBE_PAGE, following metadata.continue),
 * calling fn for each item (its apiVersion and kind set from r, as the
 * API leaves them out of list items). *rv (may be NULL) gets the
 * list's resourceVersion, to watch from. A 410 Gone (the continue token
 * expired) restarts the list once from the start: fn then sees the items
 * of the pages before again. A continue token equal to the one asked
 * with, or more than KUBE_LIST_PAGES_MAX pages, is an error (ERRK_INVALID)
 * naming the list.
 */
int kube_list(struct kube *k, const struct kube_resource *r, const struct kube_list_opts *o,
              kube_item_fn fn, void *ctx, char **rv, struct err *err);

/*
 * kube_list's next step, exposed for its tests: the continue token of
 * page (the pages'th read, after one asked with prev, NULL for the first)
 * into *next (a new string; NULL: it was the last page). -1 naming what
 * when the token is prev again or pages reached KUBE_LIST_PAGES_MAX.
 */
int kube_list_continue(const struct doc_node *page, const char *prev, unsigned long pages,
                       const char *what, char **next, struct err *err);

/* ---- watch ----------------------------------------------------------- */

/*
 * One event of a watch: type ADDED, MODIFIED, DELETED, BOOKMARK (object
 * carries only metadata.resourceVersion) or ERROR (object is a Status).
 * Return 0 to go on, 1 to stop the watch (kube_watch returns 0), -1 with
 * err set to fail it.
 */
typedef int (*kube_event_fn)(void *ctx, const char *type, const struct doc_node *object,
                             struct err *err);

/*
 * Watch r from resourceVersion *rv (after a list; NULL or "": the
 * server starts with an ADDED event for each object that exists):
 * GET ...?watch=1&allowWatchBookmarks=true&resourceVersion=RV, the
 * stream's JSON lines passed to fn as they come. When the server ends the
 * stream (its timeout, a restart), the watch is started again from the
 * last resourceVersion seen (bookmarks included), so nothing is missed.
 * 410 Gone or an ERROR event with code 410 (too old): -1 of kind
 * ERRK_NOTFOUND, so the caller lists again; another ERROR event fails it
 * with its Status's message (fn sees ERROR events only from
 * kube_watch_feed used directly). Each request carries timeoutSeconds
 * (the time left, at most 1800), so the server ends it before the
 * deadline; a stream quiet for 150 s is started again too. Ends when fn
 * says so or when deadline (mono_now() seconds) passes: then 0 with
 * *timed_out 1. *rv is updated to the last resourceVersion seen (the
 * caller frees it).
 */
int kube_watch(struct kube *k, const struct kube_resource *r, const struct kube_list_opts *o,
               char **rv, double deadline, kube_event_fn fn, void *ctx, int *timed_out,
               struct err *err);

/*
 * The watch stream's parser, exposed for its fuzz target: feed bytes as
 * they arrive; each complete line is parsed as one event ({"type": ...,
 * "object": {...}}) and passed to fn. A line over 16 MiB or one that is
 * not an event is an error naming its number. Returns 0, or fn's 1 or -1.
 * Zero the struct and set fn and ctx before the first feed.
 */
struct kube_watch_parser {
	kube_event_fn fn;
	void *ctx;
	char *line; /* the partial line */
	size_t len, cap;
	unsigned long lineno;
	char *rv; /* the last resourceVersion seen */
};
int kube_watch_feed(struct kube_watch_parser *p, const char *data, size_t len, struct err *err);
void kube_watch_parser_release(struct kube_watch_parser *p);

/* ---- errors ---------------------------------------------------------- */

/*
 * Set err from an error answer: status and body (a Status object or
 * anything else), what the object ("Deployment/wordpress", or NULL).
 * Exposed for its fuzz target and for callers that read answers raw.
 */
int kube_status_error(struct err *err, long status, const char *body, size_t len, const char *what);

/* ---- tokens ---------------------------------------------------------- */

/*
 * A token for service account ns/name from the TokenRequest API
 * (POST .../serviceaccounts/NAME/token, expirationSeconds seconds,
 * at least 600). A new string; the caller wipes and frees it.
 */
int kube_token(struct kube *k, const char *ns, const char *name, long seconds, char **out,
               struct err *err);

/* ---- small helpers on objects ---------------------------------------- */

/* metadata.FIELD of obj as a string, or NULL ("name", "namespace", "resourceVersion"). */
const char *kube_meta(const struct doc_node *obj, const char *field);

/* The string at a dotted path ("status.loadBalancer"), or NULL. */
const struct doc_node *kube_at(const struct doc_node *obj, const char *dotted);

/* The condition of type in obj's status.conditions ("Ready", "Established"), or NULL. */
const struct doc_node *kube_condition(const struct doc_node *obj, const char *type);

/*
 * How messages name obj: "Deployment/wordpress", with " in namespace NS"
 * when its namespace is set and not "default". Returns out.
 */
char *kube_what(const struct doc_node *obj, char *out, size_t size);

#endif
