/*
 * Unit tests: the Kubernetes API client (kube.c). The pure parts first:
 * Status objects into messages, object paths, the watch stream's parser
 * split at every byte, how objects are named. Then the client against
 * the protocol-faithful test double, tests/servers/kube-apiserver.py
 * (started by tests/servers/kube.sh), when it and /usr/bin/python3 are
 * there: discovery, apply, get, paged lists, delete, watch resumed and
 * expired, 429 and 503, authentication, TokenRequest.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "doc.h"
#include "fs.h"
#include "kube.h"
#include "mono.h"
#include "xmem.h"
#include "scratch.h"
#include "tap.h"

#define KUBE_WHAT_MAX_TEST 256

static const char *top;
static char *tmp;

/* ---- Status objects ------------------------------------------------------ */

static void status_is(long code, const char *body, const char *what, const char *want,
                      enum err_kind kind, const char *name)
{
	struct err err;
	int rc;

	err_clear(&err);
	rc = kube_status_error(&err, code, body, strlen(body), what);
	ok(rc == -1 && strcmp(err.msg, want) == 0 && err.kind == kind, "%s", name);
	if (strcmp(err.msg, want) != 0)
		diag("got  '%s'\n# want '%s'", err.msg, want);
	if (err.kind != kind)
		diag("kind %s, want %s", err_kind_name(err.kind), err_kind_name(kind));
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return 1;
	return 0;
}

static void test_status(void)
{
	struct buf big = BUF_INIT(8u << 20);
	struct err err;
	size_t i;

	status_is(
	    404,
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":\"NotFound\","
	    "\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\"},"
	    "\"code\":404}",
	    "Deployment/web", "Deployment/web: deployments.apps \"web\" not found", ERRK_NOTFOUND,
	    "404: the API's message, naming the object, not found");
	status_is(
	    409,
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"Apply failed with 1 conflict: conflict with \\\"kubectl\\\": "
	    ".spec.replicas\",\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":"
	    "\"FieldManagerConflict\",\"message\":\"conflict with \\\"kubectl\\\"\",\"field\":"
	    "\".spec.replicas\"}]},\"code\":409}",
	    "Deployment/web",
	    "Deployment/web: Apply failed with 1 conflict: conflict with \"kubectl\": "
	    ".spec.replicas",
	    ERRK_EXISTS, "409 conflict: its cause already in the message is not repeated");
	status_is(
	    409,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"Apply failed with 2 "
	    "conflicts\",\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":"
	    "\"FieldManagerConflict\",\"message\":\"conflict with \\\"helm\\\"\",\"field\":"
	    "\".spec.replicas\"},{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict "
	    "with \\\"helm\\\"\",\"field\":\".spec.template.spec.containers[name=\\\"web\\\"]."
	    "image\"}]},\"code\":409}",
	    "Deployment/web",
	    "Deployment/web: Apply failed with 2 conflicts; .spec.replicas: conflict with "
	    "\"helm\"; .spec.template.spec.containers[name=\"web\"].image: conflict with "
	    "\"helm\"",
	    ERRK_EXISTS, "409 conflict with causes: each listed");
	status_is(
	    422,
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"Deployment.apps \\\"wordpress\\\" is invalid: spec.replicas: "
	    "Invalid value: -1: must be greater than or equal to 0\",\"reason\":\"Invalid\","
	    "\"details\":{\"name\":\"wordpress\",\"group\":\"apps\",\"kind\":\"Deployment\","
	    "\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: -1: "
	    "must be greater than or equal to 0\",\"field\":\"spec.replicas\"}]},\"code\":422}",
	    "Deployment/wordpress",
	    "Deployment/wordpress: Deployment.apps \"wordpress\" is invalid: spec.replicas: "
	    "Invalid value: -1: must be greater than or equal to 0",
	    ERRK_INVALID, "422: the header's example, word for word");
	status_is(
	    422,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"Service \\\"db\\\" is "
	    "invalid\",\"reason\":\"Invalid\",\"details\":{\"causes\":[{\"reason\":"
	    "\"FieldValueRequired\",\"message\":\"Required value\",\"field\":"
	    "\"spec.ports\"},{\"reason\":\"FieldValueNotSupported\",\"message\":\"Unsupported "
	    "value: \\\"Big\\\"\",\"field\":\"spec.type\"},{\"message\":\"no field\"}]},"
	    "\"code\":422}",
	    "Service/db in namespace shop",
	    "Service/db in namespace shop: Service \"db\" is invalid; spec.ports: Required "
	    "value; spec.type: Unsupported value: \"Big\"; no field",
	    ERRK_INVALID, "422 with causes the message leaves out: each as FIELD: MESSAGE");
	status_is(403,
	          "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"deployments.apps is "
	          "forbidden: User \\\"viewer\\\" cannot create resource \\\"deployments\\\"\","
	          "\"reason\":\"Forbidden\",\"code\":403}",
	          NULL,
	          "deployments.apps is forbidden: User \"viewer\" cannot create resource "
	          "\"deployments\"",
	          ERRK_DENIED, "403 without what: the message alone, denied");
	status_is(
	    401,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Unauthorized\",\"code\":401}",
	    "GET /api", "GET /api: HTTP 401: Unauthorized", ERRK_DENIED,
	    "401 without a message: the reason");
	status_is(400, "{\"kind\":\"Status\",\"code\":400}", "x", "x: HTTP 400 (no message)",
	          ERRK_INVALID, "400 Status with nothing: the status");
	status_is(
	    503,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"the server is currently "
	    "unable to handle the request\",\"reason\":\"ServiceUnavailable\",\"code\":503}",
	    "ConfigMap/c",
	    "ConfigMap/c: the server is currently unable to handle the request (HTTP 503)",
	    ERRK_TRANSIENT, "503: transient, and the status said");
	status_is(500, "<html>\r\n<body>upstream broke</body>", "Pod/p",
	          "Pod/p: HTTP 500: '<html>'", ERRK_TRANSIENT,
	          "a body that is not a Status: its first line, quoted");
	status_is(502, "", NULL, "HTTP 502 (no message)", ERRK_TRANSIENT, "an empty body");
	status_is(404, "{\"kind\":\"NotStatus\",\"message\":\"m\"}", NULL,
	          "HTTP 404: '{\"kind\":\"NotStatus\",\"message\":\"m\"}'", ERRK_NOTFOUND,
	          "JSON that is not a Status is quoted as a body");
	status_is(409, "[1,2]", NULL, "HTTP 409: '[1,2]'", ERRK_EXISTS, "a JSON array");

	/* Control characters, NUL and bad UTF-8 in the message and in what. */
	status_is(
	    422,
	    "{\"kind\":\"Status\",\"message\":\"bad \\u001b[31mred\\u0000\\nnext caf\\u00e9\","
	    "\"code\":422}",
	    "Pod/a\nb", "Pod/a?b: bad ?[31mred??next caf\xc3\xa9", ERRK_INVALID,
	    "control characters and NUL in the message and in what become '?'");
	err_clear(&err);
	kube_status_error(&err, 500, "\xff\xfe\x01 broken\n", 11, NULL);
	ok(strcmp(err.msg, "HTTP 500: '??? broken'") == 0,
	   "bad bytes in a raw body become '?' (%s)", err.msg);

	/* Huge: a 4 MiB body that is not JSON, and a Status with a 1 MiB message. */
	for (i = 0; i < (4u << 20); i++)
		buf_addch(&big, (char)('a' + i % 26));
	err_clear(&err);
	kube_status_error(&err, 500, buf_cstr(&big), big.len, "Secret/s");
	ok(strlen(err.msg) < 200 && strncmp(err.msg, "Secret/s: HTTP 500: 'abc", 24) == 0 &&
	       strstr(err.msg, "...'"),
	   "a huge raw body is cut (%zu bytes of message)", strlen(err.msg));
	buf_reset(&big);
	buf_addstr(&big, "{\"kind\":\"Status\",\"code\":422,\"message\":\"");
	for (i = 0; i < (1u << 20); i++)
		buf_addstr(&big, i % 7 ? "x" : "\\t");
	buf_addstr(&big, "\"}");
	err_clear(&err);
	kube_status_error(&err, 422, buf_cstr(&big), big.len, "Secret/s");
	ok(strlen(err.msg) < ERR_MSG_MAX && strlen(err.msg) > 1000 && !has_control(err.msg) &&
	       strcmp(err.msg + strlen(err.msg) - 3, "...") == 0,
	   "a huge Status message is cut, without control characters (%zu bytes)", strlen(err.msg));
	/* Multi-byte text is cut at a character boundary. */
	buf_reset(&big);
	buf_addstr(&big, "{\"kind\":\"Status\",\"code\":422,\"message\":\"");
	for (i = 0; i < 3000; i++)
		buf_addstr(&big, "\xe6\x97\xa5");
	buf_addstr(&big, "\"}");
	err_clear(&err);
	kube_status_error(&err, 422, buf_cstr(&big), big.len, NULL);
	ok(strlen(err.msg) > 1000 && (strlen(err.msg) - 3) % 3 == 0 && !strchr(err.msg, '?'),
	   "a long multi-byte message keeps whole characters (%zu bytes)", strlen(err.msg));
	buf_release(&big);
}

/* ---- the wait before a retry --------------------------------------------- */

static void test_retry_wait(void)
{
	static const long backoff[] = {500, 1000, 2000, 4000, 4000, 4000};
	const char *date = "Tue, 01 Dec 2026 19:00:00 GMT";
	size_t i;
	int same = 1;

	is_int(kube_retry_wait_ms("1", NULL, 0), 1000, "Retry-After: 1 is 1 s");
	is_int(kube_retry_wait_ms("0", NULL, 3), 0,
	       "Retry-After: 0 is no wait, whatever the attempt");
	is_int(kube_retry_wait_ms("30", NULL, 0), 30000, "Retry-After: 30 is 30 s");
	is_int(kube_retry_wait_ms("120", NULL, 0), 30000, "Retry-After: 120 is capped at 30 s");
	is_int(kube_retry_wait_ms("99999999999999999999999", NULL, 0), 30000,
	       "a Retry-After past long long is capped too");
	is_int(kube_retry_wait_ms("Tue, 01 Dec 2026 19:00:07 GMT", date, 0), 7000,
	       "an HTTP date 7 s after the answer's Date is 7 s");
	is_int(kube_retry_wait_ms("Tue, 01 Dec 2026 18:59:00 GMT", date, 0), 0,
	       "an HTTP date before the answer's Date is no wait");
	is_int(kube_retry_wait_ms("Wed, 02 Dec 2026 19:00:00 GMT", date, 0), 30000,
	       "an HTTP date a day away is capped at 30 s");
	is_int(kube_retry_wait_ms("Sun, 06 Nov 1994 08:49:37 GMT", NULL, 0), 0,
	       "an HTTP date in the past, without Date: no wait");
	for (i = 0; i < sizeof(backoff) / sizeof(backoff[0]); i++)
		same &= kube_retry_wait_ms(NULL, date, (int)i) == backoff[i];
	ok(same, "without Retry-After: 0.5, 1, 2, 4, 4, 4 s");
	is_int(kube_retry_wait_ms("-1", NULL, 1), 1000, "Retry-After: -1 is not one: the backoff");
	is_int(kube_retry_wait_ms("2s", NULL, 0), 500, "Retry-After: 2s is not one: the backoff");
	is_int(kube_retry_wait_ms("", NULL, 2), 2000, "an empty Retry-After: the backoff");
	is_int(kube_retry_wait_ms("Tue, 01 Dec 2026 19:00:07", date, 0), 500,
	       "a date without GMT is not one: the backoff");
}

/* ---- paths --------------------------------------------------------------- */

static void path_is(const char *group, const char *version, const char *plural, int namespaced,
                    const char *ns, const char *name, const char *want)
{
	struct kube_resource r = {(char *)group,  (char *)version, (char *)"Kind",
	                          (char *)plural, namespaced,      1};
	char *got = kube_path(&r, ns, name);

	is_str(got, want, "path of %s %s/%s in %s", plural, group, version, ns ? ns : "(none)");
	free(got);
}

static void test_paths(void)
{
	path_is("apps", "v1", "deployments", 1, "shop", "web",
	        "/apis/apps/v1/namespaces/shop/deployments/web");
	path_is("apps", "v1", "deployments", 1, "shop", NULL,
	        "/apis/apps/v1/namespaces/shop/deployments");
	path_is("apps", "v1", "deployments", 1, NULL, NULL, "/apis/apps/v1/deployments");
	path_is("", "v1", "configmaps", 1, "default", "c",
	        "/api/v1/namespaces/default/configmaps/c");
	path_is("", "v1", "namespaces", 0, "ignored", "shop", "/api/v1/namespaces/shop");
	path_is("rbac.authorization.k8s.io", "v1", "clusterroles", 0, "x", "view",
	        "/apis/rbac.authorization.k8s.io/v1/clusterroles/view");
	path_is("", "v1", "pods", 1, "a b", "x/../y?z",
	        "/api/v1/namespaces/a%20b/pods/x%2F..%2Fy%3Fz");
}

/* ---- the watch stream ---------------------------------------------------- */

struct evlog {
	struct buf b;
	int stop_at; /* return 1 at this event (1-based), 0: never */
	int fail_at; /* return -1 at this event */
	int n;
};

static int log_event(void *ctx, const char *type, const struct doc_node *object, struct err *err)
{
	struct evlog *l = ctx;
	const char *name = kube_meta(object, "name"), *rv = kube_meta(object, "resourceVersion");
	const struct doc_node *msg = doc_map_get(object, "message");

	l->n++;
	buf_addf(&l->b, "%s:%s:%s%s%s|", type, name ? name : "", rv ? rv : "",
	         msg && msg->type == DOC_STR ? ":" : "",
	         msg && msg->type == DOC_STR ? msg->text : "");
	if (l->n == l->fail_at)
		return err_setk(err, ERRK_OTHER, "stopped by the test at event %d", l->n);
	return l->n == l->stop_at;
}

static const char watch_stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
    "\"resourceVersion\":\"10\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"caf\\u00e9\","
    "\"resourceVersion\":\"11\"}}}\r\n"
    "\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":"
    "\"15\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\",\"message\":\"too old resource version: 1 (15)\",\"reason\":\"Expired\","
    "\"code\":410}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
    "\"resourceVersion\":\"16\"}}}\n"
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"partial\","
    "\"resourceVersion\":\"17\"}}}";

static const char watch_log[] = "ADDED:a:10|MODIFIED:caf\xc3\xa9:11|BOOKMARK::15|"
                                "ERROR:::too old resource version: 1 (15)|DELETED:a:16|";

/* Feed text cut at cut (-1: byte by byte). */
static int feed_cut(const char *text, size_t len, long cut, struct evlog *l, char **rv,
                    struct err *err)
{
	struct kube_watch_parser p;
	size_t i;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.fn = log_event;
	p.ctx = l;
	if (cut < 0) {
		for (i = 0; i < len && rc == 0; i++)
			rc = kube_watch_feed(&p, text + i, 1, err);
	} else {
		rc = kube_watch_feed(&p, text, (size_t)cut, err);
		if (rc == 0)
			rc = kube_watch_feed(&p, text + cut, len - (size_t)cut, err);
	}
	*rv = p.rv ? xstrdup(p.rv) : NULL;
	kube_watch_parser_release(&p);
	return rc;
}

static void bad_linen(const char *text, size_t len, const char *want, const char *name)
{
	struct evlog l = {BUF_INIT(1 << 20), 0, 0, 0};
	struct err err;
	char *rv;
	int rc = feed_cut(text, len, -1, &l, &rv, &err);

	ok(rc == -1 && strstr(err.msg, want) && err.kind == ERRK_INVALID, "%s", name);
	if (rc != -1 || !strstr(err.msg, want))
		diag("rc %d, message '%s', want '%s'", rc, rc ? err.msg : "", want);
	free(rv);
	buf_release(&l.b);
}

static void bad_line(const char *text, const char *want, const char *name)
{
	bad_linen(text, strlen(text), want, name);
}

static void test_watch_feed(void)
{
	size_t n = strlen(watch_stream), big_len;
	struct evlog l;
	struct err err;
	int same = 1, rc;
	char *rv, *big;
	long cut;

	for (cut = -1; cut <= (long)n; cut++) {
		memset(&l, 0, sizeof(l));
		buf_init(&l.b, 1 << 20);
		rc = feed_cut(watch_stream, n, cut, &l, &rv, &err);
		if (rc != 0 || strcmp(buf_cstr(&l.b), watch_log) != 0 || !rv ||
		    strcmp(rv, "16") != 0) {
			if (same)
				diag("cut %ld: rc %d, log '%s', rv %s", cut, rc, buf_cstr(&l.b),
				     rv ? rv : "(none)");
			same = 0;
		}
		free(rv);
		buf_release(&l.b);
	}
	ok(same,
	   "events, bookmarks and an ERROR split at every byte (%zu) and byte by byte: the same; "
	   "the last resourceVersion 16, ERROR and the partial line none of it",
	   n);

	/* fn stops at the 2nd event: 1, and the rv is that event's. */
	memset(&l, 0, sizeof(l));
	buf_init(&l.b, 1 << 20);
	l.stop_at = 2;
	rc = feed_cut(watch_stream, n, (long)n, &l, &rv, &err);
	ok(rc == 1 && l.n == 2 && rv && strcmp(rv, "11") == 0,
	   "fn's stop ends the feed with 1 at that event (rv %s)", rv ? rv : "(none)");
	free(rv);
	buf_release(&l.b);
	memset(&l, 0, sizeof(l));
	buf_init(&l.b, 1 << 20);
	l.fail_at = 3;
	rc = feed_cut(watch_stream, n, (long)n, &l, &rv, &err);
	ok(rc == -1 && l.n == 3 && strcmp(err.msg, "stopped by the test at event 3") == 0 && rv &&
	       strcmp(rv, "11") == 0,
	   "fn's error fails the feed with its message; the failed event's rv is not taken");
	free(rv);
	buf_release(&l.b);

	bad_line("{\"type\":\"ADDED\",\"object\":{}}\nnot json\n", "watch stream line 2",
	         "a line that is not JSON: an error naming its number");
	bad_line("\n\n{\"type\":\"ADDED\"}\n", "watch stream line 3: not a watch event",
	         "an event without an object");
	bad_line("{\"type\":\"ADDED\",\"object\":[1]}\n", "line 1: not a watch event",
	         "an object that is not a map");
	bad_line("[]\n", "line 1: not a watch event", "a line that is not a map");
	bad_line("{\"type\":\"EXPLODED\\u0007\",\"object\":{}}\n",
	         "line 1: unknown event type 'EXPLODED?'", "an unknown type, quoted");
	bad_linen("{\"type\":\"ADDED\",\"object\":{}}\0\n", 30, "line 1", "a NUL byte in a line");

	/* A line of 16 MiB and one byte more, without its end: refused as it comes. */
	big_len = (16u << 20) + 1;
	big = xmalloc(big_len);
	memset(big, ' ', big_len);
	memset(&l, 0, sizeof(l));
	buf_init(&l.b, 1 << 20);
	rc = feed_cut(big, big_len, 1000, &l, &rv, &err);
	ok(rc == -1 && strstr(err.msg, "line 1: longer than 16 MiB"),
	   "a 16 MiB line is refused (%s)", rc ? err.msg : "accepted");
	free(rv);
	/* Just under it, a real event with a big field: accepted. */
	{
		static const char head[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":"
		                           "\"big\",\"resourceVersion\":\"9\"},\"data\":\"";

		memcpy(big, head, sizeof(head) - 1);
	}
	big[big_len - 4] = '"';
	big[big_len - 3] = '}';
	big[big_len - 2] = '}';
	big[big_len - 1] = '\n';
	rc = feed_cut(big, big_len, 4096, &l, &rv, &err);
	ok(rc == 0 && strcmp(buf_cstr(&l.b), "ADDED:big:9|") == 0,
	   "an event of 16 MiB is accepted (%s)", rc ? err.msg : buf_cstr(&l.b));
	free(rv);
	free(big);
	buf_release(&l.b);
}

/* ---- naming -------------------------------------------------------------- */

static struct doc_node *json(const char *text)
{
	struct doc_node *n = NULL;
	struct err err;

	if (doc_parse_json("test", text, strlen(text), &n, &err) < 0) {
		diag("bad test JSON: %s", err.msg);
		abort();
	}
	return n;
}

static void what_is(const char *obj, const char *want)
{
	struct doc_node *n = json(obj);
	char out[KUBE_WHAT_MAX_TEST];

	is_str(kube_what(n, out, sizeof(out)), want, "kube_what %s", want);
	doc_free(n);
}

/* Field of obj's condition type, or "(none)". */
static const char *cond_field(const struct doc_node *obj, const char *type, const char *field)
{
	const struct doc_node *v = doc_map_get(kube_condition(obj, type), field);

	return v && v->type == DOC_STR ? v->text : "(none)";
}

static void test_what(void)
{
	struct doc_node *n;
	char small[12];

	what_is("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"wordpress\"}}",
	        "Deployment/wordpress");
	what_is("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"w\",\"namespace\":\"default\"}}",
	        "Deployment/w");
	what_is("{\"kind\":\"Service\",\"metadata\":{\"name\":\"db\",\"namespace\":\"shop\"}}",
	        "Service/db in namespace shop");
	what_is("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\\u001bb\\nc\"}}", "Pod/a?b?c");
	what_is("{\"metadata\":{}}", "(no kind)/(no name)");
	what_is("[1]", "(no kind)/(no name)");
	n = json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a-long-name\"}}");
	ok(strlen(kube_what(n, small, sizeof(small))) == sizeof(small) - 1,
	   "kube_what stays within its buffer");
	doc_free(n);

	n = json("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"5\",\"generation\":3},"
	         "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"10.0.0.9\"}]},\"phase\":"
	         "\"Bound\"}}");
	is_str(kube_meta(n, "name"), "x", "kube_meta name");
	is_str(kube_meta(n, "resourceVersion"), "5", "kube_meta resourceVersion");
	ok(kube_meta(n, "generation") == NULL, "kube_meta of a number is NULL");
	ok(kube_meta(n, "uid") == NULL, "kube_meta of a missing field is NULL");
	is_str(kube_at(n, "status.phase")->text, "Bound", "kube_at status.phase");
	ok(kube_at(n, "status.loadBalancer.ingress")->type == DOC_SEQ, "kube_at a sequence");
	ok(kube_at(n, "status.nothing.here") == NULL && kube_at(n, "metadata.name.x") == NULL,
	   "kube_at a missing path is NULL");
	ok(kube_condition(n, "Ready") == NULL, "kube_condition without status.conditions is NULL");
	doc_free(n);

	n = json("{\"status\":{\"conditions\":[7,{\"type\":\"NamesAccepted\",\"status\":"
	         "\"False\",\"reason\":\"KindConflict\"},{\"type\":\"Established\",\"status\":"
	         "\"False\"}]}}");
	is_str(cond_field(n, "NamesAccepted", "reason"), "KindConflict",
	       "kube_condition finds a condition by its type (past an item that is no map)");
	is_str(cond_field(n, "Established", "status"), "False", "  the last one too");
	ok(kube_condition(n, "Ready") == NULL && kube_condition(n, "namesaccepted") == NULL,
	   "  a type it does not hold is NULL (types are case-sensitive)");
	doc_free(n);
	n = json("{\"status\":{\"conditions\":{\"type\":\"Ready\"}}}");
	ok(kube_condition(n, "Ready") == NULL,
	   "kube_condition of conditions that are no list is NULL");
	doc_free(n);
}

/* ---- opening ------------------------------------------------------------- */

/* kube_list's paging: the next continue token, a repeated one and the page cap refused. */
static void test_list_continue(void)
{
	struct doc_node *mid =
	    json("{\"metadata\":{\"continue\":\"tok2\",\"resourceVersion\":\"9\"}}");
	struct doc_node *last = json("{\"metadata\":{\"continue\":\"\"},\"items\":[]}");
	struct doc_node *bare = json("{\"items\":[]}");
	struct err err;
	char *next = (char *)"unset";
	int rc;

	rc = kube_list_continue(mid, "tok1", 2, "list secrets", &next, &err);
	ok(rc == 0 && next && strcmp(next, "tok2") == 0, "a new continue token is followed (%s)",
	   rc     ? err.msg
	   : next ? next
	          : "none");
	free(next);
	rc = kube_list_continue(mid, NULL, 1, "list secrets", &next, &err);
	ok(rc == 0 && next && strcmp(next, "tok2") == 0, "the first page's token is followed");
	free(next);
	rc = kube_list_continue(last, "tok2", 3, "list secrets", &next, &err);
	ok(rc == 0 && next == NULL, "an empty continue token ends the list");
	rc = kube_list_continue(bare, "tok2", 3, "list secrets", &next, &err);
	ok(rc == 0 && next == NULL, "no metadata.continue ends the list");

	rc = kube_list_continue(mid, "tok2", 7, "list configmaps in namespace shop", &next, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && next == NULL &&
	       strcmp(err.msg, "list configmaps in namespace shop: the API server answered page 7 "
	                       "with the continue token it was asked for: it would list the same "
	                       "page forever") == 0,
	   "the continue token asked with, answered again: an error naming the list (%s)",
	   rc ? err.msg : "no error");

	rc = kube_list_continue(mid, "tok1", KUBE_LIST_PAGES_MAX - 1, "list pods", &next, &err);
	ok(rc == 0 && next, "page %d of %d may still continue", KUBE_LIST_PAGES_MAX - 1,
	   KUBE_LIST_PAGES_MAX);
	free(next);
	rc = kube_list_continue(mid, "tok1", KUBE_LIST_PAGES_MAX, "list pods", &next, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && next == NULL &&
	       strncmp(err.msg, "list pods: still more after 10000 pages", 39) == 0,
	   "a token still there after KUBE_LIST_PAGES_MAX pages: an error naming the list (%s)",
	   rc ? err.msg : "no error");
	rc = kube_list_continue(last, "tok1", KUBE_LIST_PAGES_MAX, "list pods", &next, &err);
	ok(rc == 0 && next == NULL, "the last page may be the KUBE_LIST_PAGES_MAX'th");
	doc_free(mid);
	doc_free(last);
	doc_free(bare);
}

static void test_open(void)
{
	struct kube_target t = {0};
	struct kube *k = NULL;
	struct err err;

	t.server = (char *)"http://127.0.0.1:6443";
	ok(kube_open(&t, &k, &err) == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "https://"),
	   "an http:// server is refused: %s", err.msg);
	t.server = (char *)"https://10.0.0.1:6443/";
	t.context = (char *)"test";
	t.tls_server_name = (char *)"kubernetes.default";
	ok(kube_open(&t, &k, &err) == -1 && err.kind == ERRK_UNSUPPORTED &&
	       strstr(err.msg, "tls-server-name 'kubernetes.default' is not supported"),
	   "a tls-server-name other than the URL's host is refused, unsupported: %s", err.msg);
	t.tls_server_name = (char *)"10.0.0.1";
	ok(kube_open(&t, &k, &err) == 0, "a tls-server-name equal to the URL's host is fine");
	is_str(kube_server(k), "https://10.0.0.1:6443", "kube_server drops the trailing '/'");
	ok(kube_requests(k) == 0, "opening sends nothing");
	kube_close(k);
	t.tls_server_name = NULL;
	t.key_pem = (char *)"-----BEGIN PRIVATE KEY-----";
	ok(kube_open(&t, &k, &err) == -1 && err.kind == ERRK_INVALID,
	   "a key without its certificate is refused");
}

/* ---- against the test server --------------------------------------------- */

static char *srv_dir;

/* bash running "SCRIPT" with kube.sh sourced; stdout into out (may be NULL). */
static int srv_sh(const char *script, struct buf *out)
{
	char *cmd =
	    xasprintf("bash -c '. \"%s/tests/servers/kube.sh\" && %s' </dev/null 2>>'%s/test.err'",
	              top, script, srv_dir);
	char chunk[4096];
	size_t n;
	FILE *fp = popen(cmd, "r");
	int rc;

	free(cmd);
	if (!fp)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (out)
			buf_add(out, chunk, n);
	rc = pclose(fp);
	return rc == 0 ? 0 : -1;
}

/* The control API: METHOD PATH [JSON]; its answer into out (may be NULL). */
static int ctl(const char *method, const char *path, const char *body, struct buf *out)
{
	char *file = xasprintf("%s/ctl.json", srv_dir), *script;
	struct err err;
	int rc;

	if (fs_write_atomic(file, body ? body : "", body ? strlen(body) : 0, 0600, 0, &err) < 0) {
		diag("%s", err.msg);
		free(file);
		return -1;
	}
	if (body)
		script = xasprintf("kube_ctl \"%s\" %s %s \"$(cat \"%s\")\"", srv_dir, method, path,
		                   file);
	else
		script = xasprintf("kube_ctl \"%s\" %s %s", srv_dir, method, path);
	rc = srv_sh(script, out);
	free(script);
	free(file);
	return rc;
}

static int srv_running;

/* Stop the server (once; also from atexit, so a test that exits early leaves none behind). */
static void srv_stop(void)
{
	char *script;

	if (!srv_running)
		return;
	srv_running = 0;
	script = xasprintf("kube_stop \"%s\"", srv_dir);
	if (srv_sh(script, NULL) < 0)
		diag("kube_stop failed");
	free(script);
}

static int srv_start(void)
{
	struct err err;
	char *script;
	int rc;

	if (fs_mkdirs(srv_dir, 0700, &err) < 0) {
		diag("%s", err.msg);
		return -1;
	}
	script = xasprintf("kube_start \"%s\" >\"%s/start.log\"", srv_dir, srv_dir);
	rc = srv_sh(script, NULL);
	free(script);
	srv_running = 1; /* even when it failed: kube_stop kills what it may have left */
	atexit(srv_stop);
	return rc;
}

static char *srv_file(const char *name)
{
	char *path = xasprintf("%s/%s", srv_dir, name), *s = scratch_slurp(path);

	free(path);
	return s;
}

static char *srv_url(void)
{
	char *log = srv_file("port"), *url;

	if (log) {
		log[strcspn(log, "\n")] = '\0';
		url = xasprintf("https://127.0.0.1:%s", log);
		free(log);
		return url;
	}
	return NULL;
}

static char *trimmed(char *s)
{
	if (s)
		s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* A target for the server: what says which credentials ("cert", "token", "view", "none"). */
static void target(struct kube_target *t, const char *what)
{
	memset(t, 0, sizeof(*t));
	t->source = xstrdup("test");
	t->context = xstrdup("test");
	t->server = srv_url();
	t->ca_pem = srv_file("ca.pem");
	t->namespace = xstrdup("default");
	if (strcmp(what, "cert") == 0) {
		t->cert_pem = srv_file("client.pem");
		t->key_pem = srv_file("client-key.pem");
	} else if (strcmp(what, "token") == 0) {
		t->token = trimmed(srv_file("token"));
	} else if (strcmp(what, "view") == 0) {
		t->token = trimmed(srv_file("view-token"));
	}
}

static void target_free(struct kube_target *t)
{
	free(t->source);
	free(t->context);
	free(t->server);
	free(t->ca_pem);
	free(t->cert_pem);
	free(t->key_pem);
	free(t->token);
	free(t->namespace);
	free(t->tls_server_name);
}

static struct kube *client(const char *what)
{
	struct kube_target t;
	struct kube *k = NULL;
	struct err err;

	target(&t, what);
	if (kube_open(&t, &k, &err) < 0) {
		diag("kube_open: %s", err.msg);
		exit(1); /* atexit stops the server */
	}
	target_free(&t);
	kube_set_timeout(k, 20000, 10000);
	return k;
}

/*
 * Requests of the log since the last reset matching method, path (a
 * prefix; exactly with a trailing '$'), a part of the query (NULL: any)
 * and status (0: any).
 */
static int logged(const char *method, const char *path, const char *query, long status)
{
	char *log = srv_file("requests.log"), *line, *save = NULL;
	int n = 0;

	if (!log)
		return -1;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct doc_node *r = NULL;
		struct err err;
		const struct doc_node *m, *p, *q, *s;

		if (doc_parse_json("requests.log", line, strlen(line), &r, &err) < 0)
			continue;
		m = doc_map_get(r, "method");
		p = doc_map_get(r, "path");
		q = doc_map_get(r, "query");
		s = doc_map_get(r, "status");
		if (m && m->type == DOC_STR && strcmp(m->text, method) == 0 && p &&
		    p->type == DOC_STR &&
		    (path[strlen(path) - 1] == '$'
		         ? strlen(p->text) == strlen(path) - 1 &&
		               strncmp(p->text, path, strlen(path) - 1) == 0
		         : strncmp(p->text, path, strlen(path)) == 0) &&
		    (!query || (q && q->type == DOC_STR && strstr(q->text, query))) &&
		    (!status || (s && s->type == DOC_INT && s->i == status)))
			n++;
		doc_free(r);
	}
	free(log);
	return n;
}

/*
 * The double logs a request after its answer: one more request on the
 * same connection (served by the same thread, in order) makes sure the
 * line of the one before is written before the test reads the log.
 */
static void log_sync(struct kube *k)
{
	struct err err;

	if (kube_call(k, "GET", "/version", NULL, NULL, NULL, NULL, &err) < 0)
		diag("log_sync: %s", err.msg);
}

static void log_reset(void)
{
	ctl("POST", "/log/reset", NULL, NULL);
}

static struct doc_node *configmap(const char *name, const char *label, const char *data)
{
	char *text =
	    xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
	              "\"%s\",\"labels\":{\"test\":\"%s\"}},\"data\":{\"k\":\"%s\"}}",
	              name, label, data);
	struct doc_node *n = json(text);

	free(text);
	return n;
}

static int apply_cm(struct kube *k, const char *name, const char *label, const char *data,
                    struct err *err)
{
	struct doc_node *cm = configmap(name, label, data);
	int rc = kube_apply(k, cm, NULL, NULL, err);

	doc_free(cm);
	return rc;
}

static void test_discovery(struct kube *k)
{
	const struct kube_resource *r = NULL, *all;
	struct err err;
	int rc;
	size_t n, i;
	int core = 0;

	log_reset();
	ok(kube_resource(k, "apps/v1", "Deployment", &r, &err) == 0 && r &&
	       strcmp(r->plural, "deployments") == 0 && r->namespaced && r->listable &&
	       strcmp(r->group, "apps") == 0,
	   "discovery: apps/v1 Deployment is deployments, namespaced, listable");
	ok(kube_resource(k, "v1", "Namespace", &r, &err) == 0 && r && !r->namespaced &&
	       strcmp(r->plural, "namespaces") == 0 && r->group[0] == '\0',
	   "discovery: v1 Namespace is cluster-scoped, core group");
	log_sync(k);
	is_int(logged("GET", "/api$", NULL, 200) + logged("GET", "/apis$", NULL, 200), 2,
	       "aggregated discovery: GET /api and /apis");
	is_int(logged("GET", "/apis/", NULL, 0) + logged("GET", "/api/", NULL, 0), 0,
	       "aggregated discovery: no group version fetched");
	n = 0;
	rc = kube_resources(k, &all, &n, &err);
	ok(rc == 0 && n > 5, "kube_resources: %zu", n);
	for (i = 0; i < n; i++)
		core |= strcmp(all[i].kind, "ConfigMap") == 0 && all[i].group[0] == '\0';
	ok(core, "kube_resources has ConfigMap in the core group");

	log_reset();
	ok(kube_resource(k, "example.com/v1", "Widget", &r, &err) == -1 &&
	       err.kind == ERRK_NOTFOUND &&
	       strcmp(err.msg, "no kind 'Widget' in 'example.com/v1' on the cluster (is its CRD "
	                       "applied and established?)") == 0,
	   "an unknown kind: not found, with what to check: %s", err.msg);
	log_sync(k);
	ok(logged("GET", "/api$", NULL, 0) == 1 && logged("GET", "/apis$", NULL, 0) == 1 &&
	       logged("GET", "/apis/", NULL, 0) == 0,
	   "an unknown kind refreshes discovery once, and only that");
	ok(kube_resource(k, "apps", "Deployment", &r, &err) == -1 && err.kind == ERRK_NOTFOUND,
	   "apiVersion 'apps' is a version of the core group, without Deployment: %s", err.msg);
	ok(kube_resource(k, "apps/v1/x", "Deployment", &r, &err) == -1 &&
	       err.kind == ERRK_INVALID && kube_resource(k, "/v1", "Deployment", &r, &err) == -1 &&
	       err.kind == ERRK_INVALID,
	   "an apiVersion that is not GROUP/VERSION is invalid: %s", err.msg);
}

static void test_legacy(struct kube *k)
{
	const struct kube_resource *r = NULL, *all;
	struct err err;
	int rc;
	size_t n;

	kube_set_aggregated(k, 0);
	log_reset();
	ok(kube_resource(k, "apps/v1", "Deployment", &r, &err) == 0 && r &&
	       strcmp(r->plural, "deployments") == 0 && r->namespaced && r->listable,
	   "legacy discovery: apps/v1 Deployment is deployments, namespaced, listable");
	ok(kube_resource(k, "v1", "Namespace", &r, &err) == 0 && r && !r->namespaced,
	   "legacy discovery: v1 Namespace is cluster-scoped");
	ok(kube_resource(k, "rbac.authorization.k8s.io/v1", "ClusterRole", &r, &err) == 0 && r &&
	       !r->namespaced && strcmp(r->plural, "clusterroles") == 0,
	   "legacy discovery: ClusterRole");
	log_sync(k);
	ok(logged("GET", "/api$", NULL, 200) == 1 && logged("GET", "/apis$", NULL, 200) == 1 &&
	       logged("GET", "/api/v1$", NULL, 200) == 1 &&
	       logged("GET", "/apis/apps/v1$", NULL, 200) == 1,
	   "legacy discovery: /api, /apis, /api/v1 and each group's preferred version, once");
	ok(logged("GET", "/apis/apps/v1/", NULL, 0) == 0,
	   "legacy discovery: no subresource fetched");
	n = 0;
	rc = kube_resources(k, &all, &n, &err);
	ok(rc == 0 && n > 5, "legacy kube_resources: %zu", n);
	kube_set_aggregated(k, 1);
}

/* A CRD applied after discovery: its kind is found by the one refresh a miss makes. */
static void test_crd(struct kube *k)
{
	const struct kube_resource *r = NULL;
	struct doc_node *crd, *w;
	struct err err;
	int rc;

	ok(kube_resource(k, "v1", "ConfigMap", &r, &err) == 0, "discovery cached");
	crd = json(
	    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	    "\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":"
	    "\"example.com\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"widgets\","
	    "\"singular\":\"widget\",\"kind\":\"Widget\"},\"versions\":[{\"name\":\"v1\","
	    "\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":"
	    "\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}]}}");
	rc = kube_apply(k, crd, NULL, NULL, &err);
	ok(rc == 0, "a CRD applied (%s)", rc ? err.msg : "ok");
	log_reset();
	ok(kube_resource(k, "example.com/v1", "Widget", &r, &err) == 0 && r &&
	       strcmp(r->plural, "widgets") == 0 && r->namespaced,
	   "its kind is found after the CRD: discovery refreshed (%s)", r ? "found" : err.msg);
	log_sync(k);
	ok(logged("GET", "/api$", NULL, 0) == 1 && logged("GET", "/apis$", NULL, 0) == 1,
	   "by one refresh");
	w = json("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":"
	         "\"w\",\"namespace\":\"shop\"},\"spec\":{\"size\":3}}");
	ok(kube_apply(k, w, "default", NULL, &err) == -1 && err.kind == ERRK_NOTFOUND &&
	       strncmp(err.msg, "Widget/w in namespace shop: ", 28) == 0,
	   "a Widget in a namespace that does not exist: %s", err.msg);
	doc_free(w);
	w = json("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":"
	         "\"w\"},\"spec\":{\"size\":3}}");
	rc = kube_apply(k, w, "default", NULL, &err);
	ok(rc == 0, "a Widget applied in the namespace given (%s)", rc ? err.msg : "ok");
	doc_free(w);
	doc_free(crd);
	/* A second CRD of the group with the kind: the naming controller refuses it. */
	crd = json(
	    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	    "\"metadata\":{\"name\":\"gizmos.example.com\"},\"spec\":{\"group\":"
	    "\"example.com\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"gizmos\","
	    "\"singular\":\"gizmo\",\"kind\":\"Widget\",\"listKind\":\"GizmoList\"},"
	    "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{"
	    "\"openAPIV3Schema\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":"
	    "true}}}]}}");
	w = NULL;
	rc = kube_apply(k, crd, NULL, NULL, &err);
	if (rc == 0)
		rc = kube_resource(k, "apiextensions.k8s.io/v1", "CustomResourceDefinition", &r,
		                   &err);
	if (rc == 0)
		rc = kube_get(k, r, NULL, "gizmos.example.com", &w, &err);
	ok(rc == 0, "a CRD claiming the kind applied and read back (%s)", rc ? err.msg : "ok");
	if (rc == 0) {
		is_str(cond_field(w, "NamesAccepted", "status"), "False",
		       "  its NamesAccepted is False");
		is_str(cond_field(w, "NamesAccepted", "reason"), "KindConflict", "  KindConflict");
		is_str(cond_field(w, "NamesAccepted", "message"), "\"Widget\" is already in use",
		       "  \"Widget\" is already in use");
		is_str(cond_field(w, "Established", "status"), "False", "  Established False");
		is_str(cond_field(w, "Established", "reason"), "NotAccepted", "  NotAccepted");
	}
	doc_free(w);
	doc_free(crd);
}

static void test_apply(struct kube *k)
{
	struct doc_node *obj, *out = NULL, *out2 = NULL, *got = NULL;
	const struct kube_resource *r;
	unsigned long before;
	struct err err;
	int rc;
	char *rv1 = NULL;

	log_reset();
	obj = json(
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
	    "\"web\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":1,\"selector\":{"
	    "\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":"
	    "\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1\"}]}}}}");
	rc = kube_apply(k, obj, NULL, &out, &err);
	ok(rc == 0 && kube_meta(out, "resourceVersion") && kube_meta(out, "uid"),
	   "apply creates a Deployment (%s)", rc ? err.msg : kube_meta(out, "resourceVersion"));
	/* Its controller has updated its status since: the no-op is measured from a GET. */
	ok(kube_resource(k, "apps/v1", "Deployment", &r, &err) == 0 &&
	       kube_get(k, r, "default", "web", &got, &err) == 0 &&
	       strcmp(kube_meta(got, "name"), "web") == 0,
	   "get the Deployment back");
	rv1 = xstrdup(kube_meta(got, "resourceVersion") ? kube_meta(got, "resourceVersion") : "");
	ok(kube_apply(k, obj, NULL, &out2, &err) == 0 &&
	       strcmp(kube_meta(out2, "resourceVersion"), rv1) == 0,
	   "a no-op apply changes nothing: resourceVersion %s stays", rv1);
	log_sync(k);
	is_int(logged("PATCH", "/apis/apps/v1/namespaces/default/deployments/web$",
	              "fieldManager=ftboot&force=true", 0),
	       2, "two SSA PATCHes with fieldManager=ftboot&force=true");
	{
		char *log = srv_file("requests.log");

		ok(log && strstr(log, "application/apply-patch+yaml"),
		   "sent as application/apply-patch+yaml");
		free(log);
	}
	doc_free(got);
	got = NULL;
	ok(kube_get(k, r, NULL, "nope", &got, &err) == -1 && err.kind == ERRK_NOTFOUND &&
	       strncmp(err.msg, "Deployment/nope: ", 17) == 0 && strstr(err.msg, "not found"),
	   "get a missing object: not found, named: %s", err.msg);
	doc_free(out);
	doc_free(out2);
	doc_free(obj);
	free(rv1);

	before = kube_requests(k);
	obj = json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	           "\"resourceVersion\":\"3\"}}");
	ok(kube_apply(k, obj, NULL, NULL, &err) == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "ConfigMap/c: metadata.resourceVersion") &&
	       kube_requests(k) == before,
	   "an object with resourceVersion is refused before any request: %s", err.msg);
	doc_free(obj);
	obj = json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}");
	ok(kube_apply(k, obj, NULL, NULL, &err) == -1 && err.kind == ERRK_INVALID,
	   "an object without a name is refused: %s", err.msg);
	doc_free(obj);
	obj = json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
	           "\"bad\"},\"spec\":{\"replicas\":-1}}");
	ok(kube_apply(k, obj, NULL, NULL, &err) == -1 && err.kind == ERRK_INVALID &&
	       strncmp(err.msg, "Deployment/bad: ", 16) == 0,
	   "a 422 names the object: %s", err.msg);
	doc_free(obj);
}

struct count {
	int n, typed;
};

static int count_item(void *ctx, const struct doc_node *item, struct err *err)
{
	struct count *c = ctx;
	const struct doc_node *k = doc_map_get(item, "kind"), *v = doc_map_get(item, "apiVersion");

	(void)err;
	c->n++;
	c->typed += k && v && strcmp(k->text, "ConfigMap") == 0 && strcmp(v->text, "v1") == 0;
	return 0;
}

/* Counts items; at the first, makes the next page's request answer 410 (an expired continue). */
static int expire_next(void *ctx, const struct doc_node *item, struct err *err)
{
	struct count *c = ctx;

	if (c->n == 0)
		ctl("POST", "/fail",
		    "{\"method\":\"GET\",\"path_prefix\":\"/api/v1/namespaces/default/configmaps\","
		    "\"status\":410,\"count\":1}",
		    NULL);
	return count_item(ctx, item, err);
}

/* List o's ConfigMaps 3 a page through fn, the request log reset first and synced after. */
static int list3(struct kube *k, const struct kube_resource *r, const struct kube_list_opts *o,
                 kube_item_fn fn, struct count *c, char **rv, struct err *err)
{
	int rc;

	log_reset();
	memset(c, 0, sizeof(*c));
	kube_set_page(k, 3);
	rc = kube_list(k, r, o, fn, c, rv, err);
	kube_set_page(k, 0);
	log_sync(k);
	return rc;
}

static void test_list_delete(struct kube *k)
{
	const struct kube_resource *r;
	struct kube_list_opts o = {"default", "test=paged", NULL};
	struct count c = {0, 0};
	char name[32], *rv = NULL;
	struct err err;
	int i, made = 0, gone = -1, rc;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "paged-%d", i);
		made += apply_cm(k, name, "paged", "x", &err) == 0;
	}
	apply_cm(k, "other", "other", "x", &err);
	is_int(made, 7, "7 ConfigMaps applied");
	rc = kube_resource(k, "v1", "ConfigMap", &r, &err);
	if (rc == 0)
		rc = list3(k, r, &o, count_item, &c, &rv, &err);
	ok(rc == 0, "list ConfigMaps by label, 3 a page (%s)", rc ? err.msg : "ok");
	is_int(c.n, 7, "every item of the label, and only those");
	is_int(c.typed, 7, "each item has apiVersion v1 and kind ConfigMap");
	ok(rv && *rv, "the list's resourceVersion (%s)", rv ? rv : "none");
	is_int(logged("GET", "/api/v1/namespaces/default/configmaps", "limit=3", 200), 3,
	       "three pages asked");
	is_int(logged("GET", "/api/v1/namespaces/default/configmaps", "continue=", 200), 2,
	       "two of them with continue");
	free(rv);
	rv = NULL;

	/* The continue token expires after the first page: the list starts again, once. */
	rc = list3(k, r, &o, expire_next, &c, &rv, &err);
	ok(rc == 0 && c.n == 10, "a 410 on page 2 restarts the list: 3 + 7 items (%d; %s)", c.n,
	   rc ? err.msg : "ok");
	is_int(logged("GET", "/api/v1/namespaces/default/configmaps", "continue=", 410), 1,
	       "the continued request was 410");
	is_int(logged("GET", "/api/v1/namespaces/default/configmaps", "limit=3", 200), 4,
	       "then 3 pages from the start");
	free(rv);

	log_reset();
	ok(kube_delete(k, r, "default", "paged-0", "Foreground", &gone, &err) == 0 && gone == 0,
	   "delete with propagation Foreground");
	log_sync(k);
	is_int(logged("DELETE", "/api/v1/namespaces/default/configmaps/paged-0",
	              "propagationPolicy=Foreground", 0),
	       1, "the DELETE carries propagationPolicy=Foreground");
	ok(kube_delete(k, r, "default", "paged-0", NULL, &gone, &err) == 0 && gone == 1,
	   "delete of an object already gone: 0, gone");
}

/* The watch test: events as names; on w-1 it makes w-2, closes every stream and makes w-3. */
struct wx {
	struct kube *other;
	struct buf names;
	int closed;
};

static int watch_event(void *ctx, const char *type, const struct doc_node *obj, struct err *err)
{
	struct wx *x = ctx;
	const char *name = kube_meta(obj, "name");

	if (strcmp(type, "BOOKMARK") == 0)
		return 0;
	buf_addf(&x->names, "%s:%s|", type, name ? name : "?");
	if (name && strcmp(name, "w-1") == 0 && !x->closed) {
		x->closed = 1;
		if (apply_cm(x->other, "w-2", "watch", "x", err) < 0)
			return -1;
		ctl("POST", "/watches/close", NULL, NULL);
		if (apply_cm(x->other, "w-3", "watch", "x", err) < 0)
			return -1;
	}
	return name && strcmp(name, "w-3") == 0;
}

static void test_watch(struct kube *k, struct kube *k2)
{
	const struct kube_resource *r;
	struct kube_list_opts o = {"default", "test=watch", NULL};
	struct wx x = {k2, BUF_INIT(1 << 16), 0};
	struct count c = {0, 0};
	char *rv = NULL, *old = NULL;
	struct err err;
	int timed_out = -1, rc;

	if (kube_resource(k, "v1", "ConfigMap", &r, &err) < 0 ||
	    kube_list(k, r, &o, count_item, &c, &rv, &err) < 0) {
		ok(0, "list before the watch: %s", err.msg);
		return;
	}
	old = xstrdup(rv);
	apply_cm(k2, "w-1", "watch", "x", &err);
	log_reset();
	rc = kube_watch(k, r, &o, &rv, mono_now() + 30, watch_event, &x, &timed_out, &err);
	ok(rc == 0 && timed_out == 0, "the watch ends when fn says so (%s)", rc ? err.msg : "ok");
	is_str(buf_cstr(&x.names), "ADDED:w-1|ADDED:w-2|ADDED:w-3|",
	       "resumed after /watches/close: nothing missed, nothing twice");
	ok(logged("GET", "/api/v1/namespaces/default/configmaps", "watch=", 0) >= 2,
	   "the watch was started again (%d watch requests)",
	   logged("GET", "/api/v1/namespaces/default/configmaps", "watch=", 0));
	ok(logged("GET", "/api/v1/namespaces/default/configmaps", "timeoutSeconds=", 0) >= 2,
	   "each watch request carries timeoutSeconds");
	buf_release(&x.names);

	/* From now, nothing comes: the deadline ends it. */
	rc = kube_watch(k, r, &o, &rv, mono_now() + 2, watch_event, &x, &timed_out, &err);
	ok(rc == 0 && timed_out == 1, "a quiet watch ends at its deadline, timed out");

	/* After /compact, the old resourceVersion is gone: 410, not found. */
	ctl("POST", "/compact", NULL, NULL);
	rc = kube_watch(k, r, &o, &old, mono_now() + 10, watch_event, &x, &timed_out, &err);
	ok(rc == -1 && err.kind == ERRK_NOTFOUND,
	   "a watch from a compacted resourceVersion: not "
	   "found (%s)",
	   rc ? err.msg : "no error");
	/* A 410 answer to the watch request itself (not an ERROR event): not found as well. */
	ctl("POST", "/fail",
	    "{\"method\":\"GET\",\"path_prefix\":\"/api/v1/namespaces/default/configmaps\","
	    "\"status\":410,\"count\":1}",
	    NULL);
	rc = kube_watch(k, r, &o, &rv, mono_now() + 10, watch_event, &x, &timed_out, &err);
	ok(rc == -1 && err.kind == ERRK_NOTFOUND &&
	       strncmp(err.msg, "watch configmaps in namespace default: ", 39) == 0,
	   "a watch answered 410 Gone: not found (%s)", rc ? err.msg : "no error");
	free(rv);
	free(old);
}

static void test_bounded_retries(struct kube *k)
{
	unsigned long before;
	char want[96];
	struct err err;
	int rc, n;

	log_reset();
	ctl("POST", "/fail",
	    "{\"method\":\"PATCH\",\"path_prefix\":\"/api/v1/namespaces/default/configmaps/"
	    "bound\",\"status\":503,\"count\":6,\"retry_after\":1}",
	    NULL);
	kube_set_timeout(k, 1500, 0);
	before = kube_requests(k);
	rc = apply_cm(k, "bound", "bound", "x", &err);
	n = (int)(kube_requests(k) - before);
	kube_set_timeout(k, 0, 0);
	snprintf(want, sizeof(want),
	         "gave up after %d attempt%s within the request's bound of 1.500 s", n,
	         n == 1 ? "" : "s");
	ok(rc == -1 && err.kind == ERRK_TRANSIENT &&
	       strncmp(err.msg, "ConfigMap/bound: ", 17) == 0 && strstr(err.msg, want),
	   "503 with Retry-After: 1 under a 1.5 s bound: gives up within it, saying so (%s)",
	   rc ? err.msg : "no error");
	ok(n >= 1 && n <= 2, "at most 2 attempts within 1.5 s (%d)", n);
	log_sync(k);
	is_int(logged("PATCH", "/api/v1/namespaces/default/configmaps/bound", NULL, 503), n,
	       "the request log shows those attempts, all 503");
	/* The injected failures left over match only ConfigMap/bound, which no other test uses. */
}

static void test_retries(struct kube *k)
{
	struct err err;
	double t0;
	int rc;

	log_reset();
	ctl("POST", "/fail",
	    "{\"method\":\"PATCH\",\"path_prefix\":\"/api/v1/namespaces/default/configmaps/retry\","
	    "\"status\":429,\"count\":2,\"retry_after\":1}",
	    NULL);
	t0 = mono_now();
	rc = apply_cm(k, "retry", "retry", "x", &err);
	ok(rc == 0, "a 429 twice, then the apply goes through (%s)", rc ? err.msg : "ok");
	ok(mono_now() - t0 >= 1.9, "Retry-After: 1 was honoured, twice (%.1f s)", mono_now() - t0);
	log_sync(k);
	is_int(logged("PATCH", "/api/v1/namespaces/default/configmaps/retry", NULL, 0), 3,
	       "the request log shows 3 PATCHes");
	is_int(logged("PATCH", "/api/v1/namespaces/default/configmaps/retry", NULL, 429), 2,
	       "two of them 429");

	log_reset();
	ctl("POST", "/fail",
	    "{\"method\":\"PATCH\",\"path_prefix\":\"/api/v1/namespaces/default/configmaps/busy\","
	    "\"status\":503,\"count\":6,\"retry_after\":0}",
	    NULL);
	rc = apply_cm(k, "busy", "busy", "x", &err);
	ok(rc == -1 && err.kind == ERRK_TRANSIENT &&
	       strncmp(err.msg, "ConfigMap/busy: ", 16) == 0 && strstr(err.msg, "after 5 retries"),
	   "503 six times: the retries run out, the error names the object: %s", err.msg);
	log_sync(k);
	is_int(logged("PATCH", "/api/v1/namespaces/default/configmaps/busy", NULL, 503), 6,
	       "1 + 5 PATCHes, all 503");

	/*
	 * The retries stay within the request's total bound: 1.5 s, and a
	 * Retry-After of 1 s, leave room for one retry at most (a second
	 * wait would end past it), where KUBE_RETRIES would allow 5.
	 */
	test_bounded_retries(k);
}

static void test_auth(void)
{
	struct kube_target t;
	struct kube *k = NULL;
	struct err err;
	char *v = NULL, *tok = NULL, *dir;
	int rc;

	k = client("none");
	rc = kube_call(k, "GET", "/api/v1/namespaces", NULL, NULL, NULL, NULL, &err);
	ok(rc == -1 && err.kind == ERRK_DENIED &&
	       strncmp(err.msg, "GET /api/v1/namespaces: ", 24) == 0,
	   "no credentials: 401, denied: %s", err.msg);
	kube_close(k);

	k = client("token");
	{
		const struct kube_resource *r;
		char *secret = trimmed(srv_file("token"));

		rc = kube_resource(k, "v1", "Secret", &r, &err);
		if (rc == 0)
			rc = kube_get(k, r, "default", "missing", NULL, &err);
		ok(rc == -1 && err.kind == ERRK_NOTFOUND && secret && !strstr(err.msg, secret),
		   "a failed request with a token: the token is not in the message (%s)", err.msg);
		free(secret);
	}
	rc = apply_cm(k, "by-token", "auth", "x", &err);
	ok(rc == 0, "a bearer token is accepted (%s)", rc ? err.msg : "ok");
	rc = kube_version(k, &v, &err);
	ok(rc == 0 && v && v[0] == 'v', "version %s", rc ? err.msg : v);
	free(v);
	{
		struct doc_node *sa =
		    json("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
		         "\"metadata\":{\"name\":\"dash\",\"namespace\":\"kube-system\"}}");

		rc = kube_apply(k, sa, NULL, NULL, &err);
		ok(rc == 0, "a ServiceAccount (%s)", rc ? err.msg : "ok");
		doc_free(sa);
	}
	log_reset();
	rc = kube_token(k, "kube-system", "dash", 600, &tok, &err);
	ok(rc == 0 && tok && strlen(tok) > 10, "TokenRequest gives a token");
	log_sync(k);
	is_int(
	    logged("POST", "/api/v1/namespaces/kube-system/serviceaccounts/dash/token", NULL, 201) +
	        logged("POST", "/api/v1/namespaces/kube-system/serviceaccounts/dash/token", NULL,
	               200),
	    1, "one POST .../serviceaccounts/dash/token");
	free(tok);
	tok = NULL;
	ok(kube_token(k, "kube-system", "dash", 599, &tok, &err) == -1 && err.kind == ERRK_INVALID,
	   "a lifetime under 600 s is refused: %s", err.msg);
	ok(kube_token(k, "kube-system", "nobody", 600, &tok, &err) == -1 &&
	       err.kind == ERRK_NOTFOUND && strstr(err.msg, "nobody"),
	   "a token of a missing service account: %s", err.msg);
	kube_close(k);

	k = client("view");
	rc = apply_cm(k, "by-viewer", "auth", "x", &err);
	ok(rc == -1 && err.kind == ERRK_DENIED &&
	       strncmp(err.msg, "ConfigMap/by-viewer: ", 21) == 0 && strstr(err.msg, "forbidden"),
	   "the view token may not write: 403 with the API's message: %s", err.msg);
	kube_close(k);

	/* Another CA: the server's certificate is not trusted. */
	dir = xasprintf("%s/other-ca", tmp);
	{
		char *cmd =
		    xasprintf("mkdir -p '%s' && openssl req -x509 -newkey ec -pkeyopt "
		              "ec_paramgen_curve:P-256 -nodes -keyout '%s/ca.key' -out '%s/ca.pem' "
		              "-days 2 -subj '/CN=other ca' 2>/dev/null",
		              dir, dir, dir);

		rc = system(cmd);
		free(cmd);
	}
	target(&t, "cert");
	free(t.ca_pem);
	{
		char *p = xasprintf("%s/ca.pem", dir);

		t.ca_pem = scratch_slurp(p);
		free(p);
	}
	if (rc == 0 && t.ca_pem && kube_open(&t, &k, &err) == 0) {
		rc = kube_version(k, &v, &err);
		ok(rc == -1 && err.kind == ERRK_DENIED,
		   "a server not signed by the given CA is refused: %s", err.msg);
		kube_close(k);
	} else {
		skip("openssl cannot make another CA");
	}
	target_free(&t);
	free(dir);
}

static void test_readyz(struct kube *k)
{
	struct err err;
	int rc;

	ok(kube_readyz(k, &err) == 0, "readyz: ready");
	ctl("POST", "/readyz", "{\"ok\":false}", NULL);
	rc = kube_readyz(k, &err);
	ok(rc == -1 && err.kind == ERRK_TRANSIENT && strstr(err.msg, "not ready"),
	   "readyz: not ready, with the server's answer: %s", err.msg);
	ctl("POST", "/readyz", "{\"ok\":true}", NULL);
	ok(kube_readyz(k, &err) == 0, "readyz: ready again");
}

static void test_server(void)
{
	struct kube *k, *k2;

	k = client("cert");
	k2 = client("cert");
	test_discovery(k);
	test_legacy(k);
	test_crd(k);
	test_apply(k);
	test_list_delete(k);
	test_watch(k, k2);
	test_retries(k);
	test_readyz(k);
	diag("%lu requests sent by the main client", kube_requests(k));
	kube_close(k);
	kube_close(k2);
	test_auth();
}

int main(void)
{
	const char *why = NULL;
	char *script;

	signal(SIGPIPE, SIG_IGN);
	top = getenv("FTBOOT_TOP");
	if (!top)
		top = ".";
	tmp = scratch_open("kube");
	srv_dir = xasprintf("%s/server", tmp);

	test_status();
	test_retry_wait();
	test_paths();
	test_watch_feed();
	test_what();
	test_list_continue();
	test_open();

	script = xasprintf("%s/tests/servers/kube.sh", top);
	if (access(script, R_OK) != 0)
		why = "tests/servers/kube.sh is not there yet: no client tests against the server";
	else if (access("/usr/bin/python3", X_OK) != 0)
		why = "/usr/bin/python3 is missing (tests/deps.sh test): no client tests";
	else if (srv_start() < 0)
		why = "the test server did not start (tests/servers/kube.sh): no client tests";
	free(script);
	if (why) {
		skip(why);
	} else {
		test_server();
		srv_stop();
	}
	free(srv_dir);
	scratch_close(tmp);
	return tap_done();
}
