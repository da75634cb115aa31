/*
 * kube: the Kubernetes API client (kube.h) over http.c. Owns the one
 * connection a client reuses, authentication (client certificate or
 * bearer token, the token only ever in a request header), the bounds and
 * the 429/503 retries of every request, the translation of the API's
 * Status objects into messages that name the object, discovery
 * (aggregated, else legacy) and its cache, server-side apply, paged
 * lists, watches that resume where their stream ended, and TokenRequest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "doc.h"
#include "http.h"
#include "kube.h"
#include "mono.h"
#include "text.h"
#include "xmem.h"

#define KUBE_TOTAL_MS        60000UL
#define KUBE_IDLE_MS         30000UL
#define KUBE_RETRY_AFTER_MAX 30   /* s: the longest Retry-After honoured */
#define KUBE_BACKOFF_MS      500  /* the first wait without a Retry-After, doubled each time */
#define KUBE_BACKOFF_MAX_MS  4000 /* ... up to this */
#define KUBE_MSG_MAX         1536 /* the API's message, in our messages */
#define KUBE_LINE_MAX        (16u << 20) /* one watch event */
#define KUBE_WATCH_MAX_S     1800        /* the longest timeoutSeconds asked of a watch */
#define KUBE_WATCH_IDLE_MS   150000UL    /* a watch quiet this long is started again */
#define KUBE_WATCH_GRACE_MS  10000UL     /* past timeoutSeconds before the client gives up */
#define KUBE_WATCH_LOST      3           /* failed connections in a row that end a watch */
#define KUBE_TOKEN_MIN_S     600
#define KUBE_WHAT_MAX        256

#define KUBE_ACCEPT_JSON "Accept: application/json"
#define KUBE_ACCEPT_AGGREGATED                                                                     \
	"Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"            \
	"application/json"

struct kube {
	struct http *http;
	char *server;
	char *ca, *cert, *key;
	char *auth; /* "Authorization: Bearer TOKEN", wiped on close; or NULL */
	char *namespace;
	unsigned long total_ms, idle_ms;
	unsigned long requests;
	unsigned long page;
	int legacy_only; /* kube_set_aggregated(k, 0) */

	/* The last kube_send's 429/503 retries, for the message that gives up. */
	int attempts;           /* requests it sent */
	int out_of_time;        /* it stopped because the next wait would pass its bound */
	unsigned long bound_ms; /* that bound */

	/*
	 * Discovery: res[0..npref) the preferred version of each group, then
	 * the other versions; extra: group versions fetched later (legacy
	 * discovery lists only the preferred), each allocated alone so that
	 * no pointer handed out moves before the next refresh.
	 */
	int discovered;
	int aggregated; /* it came from aggregated discovery: every version is known */
	struct kube_resource *res;
	size_t nres, npref, cap;
	struct kube_resource **extra;
	size_t nextra;
};

/* One request, as kube_send sends it. */
struct kube_req {
	const char *method;
	const char *path; /* with its query */
	const char *accept;
	const char *content_type;
	const char *body;
	size_t body_len;
	http_write_fn write_fn;
	void *write_ctx;
	unsigned long total_ms, idle_ms; /* 0: the client's */
};

/* ---- helpers ------------------------------------------------------------- */

static void kube_wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * Wipe all of b's memory, then release it: request and answer bodies
 * carry secrets (a Secret's data, a TokenRequest's token).
 */
static void kube_buf_wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_release(b);
}

/* http_resp_release after wiping the answer's body. */
static void kube_resp_wipe(struct http_resp *resp)
{
	kube_buf_wipe(&resp->body);
	http_resp_release(resp);
}

static char *kube_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static const char *kube_str(const struct doc_node *map, const char *key)
{
	const struct doc_node *v = doc_map_get(map, key);

	return v && v->type == DOC_STR ? v->text : NULL;
}

/*
 * The API's words (or a body's), safe in a message: text_quote's rules
 * (control characters, NUL and bad UTF-8 as '?') without its 60-byte cut,
 * at most KUBE_MSG_MAX bytes, then "...".
 */
static char *kube_clean(const char *s, size_t len, char *out, size_t size)
{
	size_t i = 0, o = 0, n, c;

	out[0] = '\0';
	while (i < len && o + 64 < size) {
		/* A run of whole characters short enough for text_quote to keep whole. */
		for (n = 0; i + n < len && n < 56; n += c) {
			c = text_utf8_len(s + i + n, len - i - n);
			if (c == 0)
				c = 1;
			if (n + c > 56)
				break;
		}
		text_quote(s + i, n, out + o, size - o);
		o += strlen(out + o);
		i += n;
	}
	if (i < len && o + 4 <= size) {
		memcpy(out + o, "...", 4);
		o += 3;
	}
	return out;
}

/* "?" or "&" then name=value (value percent-encoded) onto q. */
static void kube_query(struct buf *q, const char *name, const char *value)
{
	char *v = text_url_encode(value, NULL);

	buf_addf(q, "%c%s=%s", strchr(buf_cstr(q), '?') ? '&' : '?', name, v);
	free(v);
}

/* ---- errors -------------------------------------------------------------- */

static enum err_kind kube_status_kind(long status)
{
	if (status == 404 || status == 410)
		return ERRK_NOTFOUND;
	if (status == 409)
		return ERRK_EXISTS;
	if (status == 401 || status == 403)
		return ERRK_DENIED;
	if (status == 400 || status == 422)
		return ERRK_INVALID;
	if (status == 429 || status >= 500)
		return ERRK_TRANSIENT;
	return ERRK_OTHER;
}

/* The causes of a Status that its message does not already say, as "; FIELD: MESSAGE". */
static void kube_causes(const struct doc_node *status, const char *message, struct buf *out)
{
	const struct doc_node *causes = doc_map_get(doc_map_get(status, "details"), "causes");
	char field[KUBE_WHAT_MAX], msg[KUBE_MSG_MAX], *one;
	size_t i;

	if (!causes || causes->type != DOC_SEQ)
		return;
	for (i = 0; i < causes->n; i++) {
		const char *f = kube_str(causes->items[i], "field");
		const char *m = kube_str(causes->items[i], "message");

		if (!m && !f)
			continue;
		kube_clean(f ? f : "", f ? strlen(f) : 0, field, sizeof(field));
		kube_clean(m ? m : "", m ? strlen(m) : 0, msg, sizeof(msg));
		/* A cause the message already says (the API's 422 messages list them) is not repeated. */
		if ((!f || strstr(message, field)) && (!m || strstr(message, msg)))
			continue;
		one = f && m ? xasprintf("%s: %s", field, msg) : xstrdup(f ? field : msg);
		buf_addf(out, "; %s", one);
		free(one);
	}
}

int kube_status_error(struct err *err, long status, const char *body, size_t len, const char *what)
{
	struct doc_node *root = NULL;
	struct buf text = BUF_INIT(ERR_MSG_MAX);
	char msg[KUBE_MSG_MAX] = "", w[KUBE_WHAT_MAX];
	const char *m, *nl;
	struct err ignore;
	enum err_kind kind = kube_status_kind(status);
	size_t first;

	if (what)
		buf_addf(&text, "%s: ", kube_clean(what, strlen(what), w, sizeof(w)));
	if (len > 0 && len < KUBE_BODY_MAX &&
	    doc_parse_json("answer", body, len, &root, &ignore) == 0 && root->type == DOC_MAP &&
	    kube_str(root, "kind") && strcmp(kube_str(root, "kind"), "Status") == 0) {
		const struct doc_node *code = doc_map_get(root, "code");
		const char *reason = kube_str(root, "reason");

		if (code && code->type == DOC_INT && code->i != status && code->i >= 400)
			kind = kube_status_kind((long)code->i);
		m = kube_str(root, "message");
		if (m && *m) {
			kube_clean(m, doc_map_get(root, "message")->len, msg, sizeof(msg));
			buf_addstr(&text, msg);
		} else if (reason && *reason) {
			buf_addf(&text, "HTTP %ld: %s", status,
			         kube_clean(reason, strlen(reason), msg, sizeof(msg)));
		} else {
			buf_addf(&text, "HTTP %ld (no message)", status);
		}
		if (status == 422 || status == 409 || status == 400)
			kube_causes(root, msg, &text);
		if (status == 429 || status == 503)
			buf_addf(&text, " (HTTP %ld)", status);
	} else if (len == 0) {
		buf_addf(&text, "HTTP %ld (no message)", status);
	} else {
		nl = memchr(body, '\n', len);
		first = nl ? (size_t)(nl - body) : len;
		if (first > 0 && body[first - 1] == '\r')
			first--;
		buf_addf(&text, "HTTP %ld: '%s'", status,
		         text_quote(body, first, msg, sizeof(msg)));
	}
	doc_free(root);
	err_setk(err, kind, "%s", buf_cstr(&text));
	buf_release(&text);
	return -1;
}

/* ---- the client ---------------------------------------------------------- */

/* "HOST" of "https://HOST:PORT/PATH" (brackets of an IPv6 address kept), into out. */
static void kube_host(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://"), *e;

	h = h ? h + 3 : url;
	if (*h == '[') {
		e = strchr(h, ']');
		e = e ? e + 1 : h + strlen(h);
	} else {
		e = h + strcspn(h, ":/");
	}
	snprintf(out, size, "%.*s", (int)(e - h), h);
}

int kube_open(const struct kube_target *t, struct kube **out, struct err *err)
{
	struct kube *k;
	char host[512], q[80], q2[80];

	*out = NULL;
	if (!t->server || strncmp(t->server, "https://", 8) != 0)
		return err_setk(err, ERRK_INVALID, "cluster server '%s' is not an https:// URL",
		                text_quote(t->server ? t->server : "",
		                           t->server ? strlen(t->server) : 0, q, sizeof(q)));
	if ((t->cert_pem != NULL) != (t->key_pem != NULL))
		return err_setk(err, ERRK_INVALID,
		                "context '%s': a client certificate needs its key and a key its "
		                "certificate",
		                text_quote(t->context ? t->context : "",
		                           t->context ? strlen(t->context) : 0, q, sizeof(q)));
	kube_host(t->server, host, sizeof(host));
	if (t->tls_server_name && *t->tls_server_name && strcmp(t->tls_server_name, host) != 0)
		/* http.c verifies the certificate against the URL's host only. */
		return err_setk(
		    err, ERRK_UNSUPPORTED,
		    "context '%s': tls-server-name '%s' is not supported: ftboot checks "
		    "the server's certificate against the host of its URL ('%s'); use a "
		    "server URL whose host is in the certificate instead",
		    text_quote(t->context ? t->context : "", t->context ? strlen(t->context) : 0, q,
		               sizeof(q)),
		    text_quote(t->tls_server_name, strlen(t->tls_server_name), q2, sizeof(q2)),
		    host);
	k = xcalloc(1, sizeof(*k));
	k->http = http_new();
	k->server = xstrdup(t->server);
	while (strlen(k->server) > 8 && k->server[strlen(k->server) - 1] == '/')
		k->server[strlen(k->server) - 1] = '\0';
	k->ca = kube_dup(t->ca_pem);
	k->cert = kube_dup(t->cert_pem);
	k->key = kube_dup(t->key_pem);
	if (t->token && *t->token)
		k->auth = xasprintf("Authorization: Bearer %s", t->token);
	k->namespace = xstrdup(t->namespace && *t->namespace ? t->namespace : "default");
	k->total_ms = KUBE_TOTAL_MS;
	k->idle_ms = KUBE_IDLE_MS;
	k->page = KUBE_PAGE;
	*out = k;
	return 0;
}

static void kube_res_release(struct kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->plural);
}

static void kube_res_free(struct kube *k)
{
	size_t i;

	for (i = 0; i < k->nres; i++)
		kube_res_release(&k->res[i]);
	for (i = 0; i < k->nextra; i++) {
		kube_res_release(k->extra[i]);
		free(k->extra[i]);
	}
	free(k->res);
	free(k->extra);
	k->res = NULL;
	k->extra = NULL;
	k->nres = k->npref = k->cap = k->nextra = 0;
	k->discovered = k->aggregated = 0;
}

void kube_close(struct kube *k)
{
	if (!k)
		return;
	http_free(k->http);
	kube_res_free(k);
	free(k->server);
	free(k->ca);
	free(k->cert);
	kube_wipe_free(k->key);
	kube_wipe_free(k->auth);
	free(k->namespace);
	free(k);
}

const char *kube_server(const struct kube *k)
{
	return k->server;
}

void kube_set_timeout(struct kube *k, unsigned long total_ms, unsigned long idle_ms)
{
	k->total_ms = total_ms ? total_ms : KUBE_TOTAL_MS;
	k->idle_ms = idle_ms ? idle_ms : KUBE_IDLE_MS;
}

void kube_set_page(struct kube *k, unsigned long n)
{
	k->page = n ? n : KUBE_PAGE;
}

unsigned long kube_requests(const struct kube *k)
{
	return k->requests;
}

/* ---- requests ------------------------------------------------------------ */

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110) as Unix time; -1 if not one. */
static long long kube_http_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
	return end && !*end ? (long long)timegm(&tm) : -1;
}

long kube_retry_wait_ms(const char *retry_after, const char *date, int attempt)
{
	long long s = -1, when, now;
	long ms = KUBE_BACKOFF_MS;
	char *end;
	int i;

	if (retry_after && *retry_after >= '0' && *retry_after <= '9') {
		errno = 0;
		s = strtoll(retry_after, &end, 10);
		if (errno || *end)
			s = errno == ERANGE && !*end ? KUBE_RETRY_AFTER_MAX : -1;
	} else if ((when = kube_http_date(retry_after)) >= 0) {
		/* Measured against the answer's own Date, so clocks that differ do not matter. */
		now = kube_http_date(date);
		s = when - (now >= 0 ? now : (long long)time(NULL));
		if (s < 0)
			s = 0;
	}
	if (s >= 0)
		return (long)(s > KUBE_RETRY_AFTER_MAX ? KUBE_RETRY_AFTER_MAX : s) * 1000;
	for (i = 0; i < attempt && ms < KUBE_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < KUBE_BACKOFF_MAX_MS ? ms : KUBE_BACKOFF_MAX_MS;
}

/* The wait a 429 or 503 answer asks for before the attempt'th retry, in ms. */
static long kube_retry_wait(const struct http_resp *resp, int attempt)
{
	char *ra = http_resp_header(resp, "Retry-After"), *date = http_resp_header(resp, "Date");
	long ms = kube_retry_wait_ms(ra, date, attempt);

	free(ra);
	free(date);
	return ms;
}

/* Sleep ms, all of it (a signal ends mono_nap early). */
static void kube_sleep(long ms)
{
	double until = mono_now() + ms / 1000.0, left;

	while ((left = until - mono_now()) > 0)
		mono_nap(left * 1000 < 1 ? 1 : (int)(left * 1000 + 0.5));
}

/*
 * Send r, retrying 429 and 503 (KUBE_RETRIES times at most), every
 * attempt and wait within the request's total bound from its start: no
 * retry whose wait would pass it, each attempt bounded by what is left.
 * 0 when an answer came (resp holds the last one, any status); -1 with
 * the transport's error otherwise. k->attempts, out_of_time and bound_ms
 * say how it ended, for kube_gave_up.
 */
static int kube_send(struct kube *k, const struct kube_req *r, struct http_resp *resp,
                     struct err *err)
{
	const char *headers[4];
	struct http_req req;
	char *url = xasprintf("%s%s", k->server, r->path), *ct = NULL;
	size_t nh = 0;
	unsigned long bound = r->total_ms ? r->total_ms : k->total_ms;
	double start = mono_now(), left;
	long wait;
	int attempt, rc = -1;

	k->attempts = 0;
	k->out_of_time = 0;
	k->bound_ms = bound;
	headers[nh++] = r->accept ? r->accept : KUBE_ACCEPT_JSON;
	if (r->body) {
		ct = xasprintf("Content-Type: %s",
		               r->content_type ? r->content_type : "application/json");
		headers[nh++] = ct;
	}
	if (k->auth)
		headers[nh++] = k->auth;
	headers[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.url = url;
	req.headers = headers;
	req.body = r->body;
	req.body_len = r->body_len;
	if (r->body && r->body_len == 0)
		req.body = "";
	req.write_fn = r->write_fn;
	req.write_ctx = r->write_ctx;
	req.ca.pem = k->ca;
	req.cert.pem = k->cert;
	req.key.pem = k->key;
	req.total_ms = bound;
	req.idle_ms = r->idle_ms ? r->idle_ms : k->idle_ms;
	for (attempt = 0;; attempt++) {
		k->requests++;
		k->attempts++;
		if (http_request(k->http, &req, resp, err) < 0)
			goto out;
		if ((resp->status != 429 && resp->status != 503) || attempt >= KUBE_RETRIES)
			break;
		wait = kube_retry_wait(resp, attempt);
		left = bound - (mono_now() - start) * 1000 - wait;
		if (left < 1) {
			k->out_of_time = 1;
			break;
		}
		kube_sleep(wait);
		left = bound - (mono_now() - start) * 1000;
		req.total_ms = left < 1 ? 1 : (unsigned long)left;
	}
	rc = 0;
out:
	free(ct);
	free(url);
	return rc;
}

/*
 * After a 429 or 503 answer that kube_send gave up on, say how: the
 * attempts, and whether the request's bound or the retry limit ended them.
 */
static void kube_gave_up(const struct kube *k, long status, struct err *err)
{
	if (status != 429 && status != 503)
		return;
	if (k->out_of_time)
		err_suffix(err,
		           "; gave up after %d attempt%s within the request's bound of %lu.%03lu s",
		           k->attempts, k->attempts == 1 ? "" : "s", k->bound_ms / 1000,
		           k->bound_ms % 1000);
	else
		err_suffix(err, "; still so after %d retries (%d attempts)", k->attempts - 1,
		           k->attempts);
}

/* Parse a 2xx answer's JSON into *out (out may be NULL: not parsed). */
static int kube_answer(const struct http_resp *resp, const char *what, struct doc_node **out,
                       struct err *err)
{
	if (!out)
		return 0;
	if (doc_parse_json("the API server's answer", buf_cstr(&resp->body), resp->body.len, out,
	                   err) < 0)
		return what ? err_wrap(err, "%s", what) : -1;
	return 0;
}

/*
 * method path with an optional JSON body; 2xx JSON into *out. Other
 * statuses: kube_status_error naming what ("METHOD PATH" when NULL). The
 * status in *status when not NULL (0 when no answer came).
 */
static int kube_do(struct kube *k, const char *method, const char *path,
                   const struct doc_node *body, const char *content_type, const char *what,
                   struct doc_node **out, long *status, struct err *err)
{
	struct http_resp resp = HTTP_RESP_INIT(KUBE_BODY_MAX);
	struct buf payload = BUF_INIT(KUBE_BODY_MAX);
	struct kube_req r = {.method = method, .path = path, .content_type = content_type};
	char w[KUBE_WHAT_MAX], *mp = NULL;
	int rc = -1;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	if (body) {
		if (doc_emit_json(body, &payload, err) < 0)
			goto out;
		r.body = buf_cstr(&payload);
		r.body_len = payload.len;
	}
	if (kube_send(k, &r, &resp, err) < 0) {
		if (what)
			err_wrap(err, "%s", kube_clean(what, strlen(what), w, sizeof(w)));
		goto out;
	}
	if (status)
		*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		if (!what)
			what = mp = xasprintf("%s %s", method, path);
		kube_status_error(err, resp.status, buf_cstr(&resp.body), resp.body.len, what);
		kube_gave_up(k, resp.status, err);
		goto out;
	}
	rc = kube_answer(&resp, what, out, err);
out:
	free(mp);
	kube_resp_wipe(&resp);
	kube_buf_wipe(&payload);
	return rc;
}

int kube_call(struct kube *k, const char *method, const char *path, const struct doc_node *body,
              const char *content_type, const char *what, struct doc_node **out, struct err *err)
{
	return kube_do(k, method, path, body, content_type, what, out, NULL, err);
}

int kube_readyz(struct kube *k, struct err *err)
{
	struct http_resp resp = HTTP_RESP_INIT(1 << 20);
	struct kube_req r = {.method = "GET", .path = "/readyz", .accept = "Accept: text/plain"};
	struct buf why = BUF_INIT(ERR_MSG_MAX / 2);
	const char *s, *e;
	char line[KUBE_MSG_MAX];
	int rc = -1;

	if (kube_send(k, &r, &resp, err) < 0)
		goto out;
	if (resp.status == 200) {
		rc = 0;
		goto out;
	}
	if (resp.status == 401 || resp.status == 403 || resp.status == 404) {
		kube_status_error(err, resp.status, buf_cstr(&resp.body), resp.body.len,
		                  "GET /readyz");
		goto out;
	}
	/* The failing checks: "[-]etcd failed: reason withheld". */
	for (s = buf_cstr(&resp.body); *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		if (e - s > 3 && strncmp(s, "[-]", 3) == 0) {
			kube_clean(s + 3, (size_t)(e - s - 3), line, sizeof(line));
			buf_addf(&why, "%s%s", why.len ? "; " : "", line);
		}
	}
	if (why.len)
		err_setk(err, ERRK_TRANSIENT, "the API server at %s is not ready (HTTP %ld): %s",
		         k->server, resp.status, buf_cstr(&why));
	else {
		kube_status_error(err, resp.status, buf_cstr(&resp.body), resp.body.len, NULL);
		err->kind = ERRK_TRANSIENT;
		err_wrap(err, "the API server at %s is not ready", k->server);
	}
out:
	buf_release(&why);
	kube_resp_wipe(&resp);
	return rc;
}

int kube_version(struct kube *k, char **out, struct err *err)
{
	struct doc_node *v = NULL;
	const char *s;

	*out = NULL;
	if (kube_do(k, "GET", "/version", NULL, NULL, NULL, &v, NULL, err) < 0)
		return -1;
	s = kube_str(v, "gitVersion");
	if (!s || !*s) {
		doc_free(v);
		return err_setk(err, ERRK_INVALID, "GET /version: the answer has no gitVersion");
	}
	*out = xstrdup(s);
	doc_free(v);
	return 0;
}

/* ---- discovery ----------------------------------------------------------- */

static const struct kube_resource *kube_find(const struct kube *k, const char *group,
                                             const char *version, const char *kind)
{
	size_t i;

	for (i = 0; i < k->nres; i++)
		if (strcmp(k->res[i].group, group) == 0 &&
		    strcmp(k->res[i].version, version) == 0 && strcmp(k->res[i].kind, kind) == 0)
			return &k->res[i];
	for (i = 0; i < k->nextra; i++)
		if (strcmp(k->extra[i]->group, group) == 0 &&
		    strcmp(k->extra[i]->version, version) == 0 &&
		    strcmp(k->extra[i]->kind, kind) == 0)
			return k->extra[i];
	return NULL;
}

static void kube_res_add(struct kube *k, const char *group, const char *version, const char *kind,
                         const char *plural, int namespaced, const struct doc_node *verbs)
{
	struct kube_resource *r;
	int list = 0, watch = 0, del = 0;
	size_t i;

	if (!kind || !*kind || !plural || !*plural || strchr(plural, '/'))
		return;
	if (kube_find(k, group, version, kind))
		return;
	for (i = 0; verbs && verbs->type == DOC_SEQ && i < verbs->n; i++) {
		const char *v = verbs->items[i]->type == DOC_STR ? verbs->items[i]->text : "";

		list |= strcmp(v, "list") == 0;
		watch |= strcmp(v, "watch") == 0;
		del |= strcmp(v, "delete") == 0;
	}
	if (k->discovered) {
		k->extra = xreallocarray(k->extra, k->nextra + 1, sizeof(*k->extra));
		r = k->extra[k->nextra++] = xcalloc(1, sizeof(*r));
	} else {
		if (k->nres == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 64;
			k->res = xreallocarray(k->res, k->cap, sizeof(*k->res));
		}
		r = &k->res[k->nres++];
	}
	r->group = xstrdup(group);
	r->version = xstrdup(version);
	r->kind = xstrdup(kind);
	r->plural = xstrdup(plural);
	r->namespaced = namespaced;
	r->listable = list && watch && del;
}

/* The resources of a legacy APIResourceList (GET /api/v1, /apis/G/V). */
static void kube_res_legacy(struct kube *k, const char *group, const char *version,
                            const struct doc_node *list)
{
	const struct doc_node *rs = doc_map_get(list, "resources"), *ns;
	size_t i;

	for (i = 0; rs && rs->type == DOC_SEQ && i < rs->n; i++) {
		const struct doc_node *it = rs->items[i];

		ns = doc_map_get(it, "namespaced");
		kube_res_add(k, group, version, kube_str(it, "kind"), kube_str(it, "name"),
		             ns && ns->type == DOC_BOOL && ns->b, doc_map_get(it, "verbs"));
	}
}

/* One group version of the legacy discovery: GET /api/v1 or /apis/G/V. */
static int kube_fetch_gv(struct kube *k, const char *group, const char *version, struct err *err)
{
	char *path =
	    *group ? xasprintf("/apis/%s/%s", group, version) : xasprintf("/api/%s", version);
	struct doc_node *list = NULL;
	int rc = kube_do(k, "GET", path, NULL, NULL, NULL, &list, NULL, err);

	if (rc == 0)
		kube_res_legacy(k, group, version, list);
	doc_free(list);
	free(path);
	return rc;
}

/* An APIGroupDiscoveryList's resources; pass 0 takes each group's first (preferred) version. */
static void kube_res_aggregated(struct kube *k, const struct doc_node *list, int pass)
{
	const struct doc_node *items = doc_map_get(list, "items");
	size_t i, j, l;

	for (i = 0; items && items->type == DOC_SEQ && i < items->n; i++) {
		const char *group = kube_str(doc_map_get(items->items[i], "metadata"), "name");
		const struct doc_node *vs = doc_map_get(items->items[i], "versions");

		size_t first = pass ? 1 : 0, last;

		if (!vs || vs->type != DOC_SEQ)
			continue;
		last = pass ? vs->n : vs->n > 0 ? 1 : 0;
		for (j = first; j < last; j++) {
			const char *version = kube_str(vs->items[j], "version");
			const struct doc_node *rs = doc_map_get(vs->items[j], "resources");

			if (!version)
				continue;
			for (l = 0; rs && rs->type == DOC_SEQ && l < rs->n; l++) {
				const struct doc_node *it = rs->items[l];
				const char *scope = kube_str(it, "scope");

				kube_res_add(k, group ? group : "", version,
				             kube_str(doc_map_get(it, "responseKind"), "kind"),
				             kube_str(it, "resource"),
				             scope && strcmp(scope, "Namespaced") == 0,
				             doc_map_get(it, "verbs"));
			}
		}
	}
}

static int kube_is_kind(const struct doc_node *d, const char *kind)
{
	const char *s = kube_str(d, "kind");

	return s && strcmp(s, kind) == 0;
}

static int kube_discover(struct kube *k, struct err *err)
{
	struct doc_node *core = NULL, *groups = NULL;
	struct http_resp resp = HTTP_RESP_INIT(KUBE_BODY_MAX);
	struct kube_req r = {.method = "GET"};
	static const char *const paths[] = {"/api", "/apis"};
	struct doc_node **docs[] = {&core, &groups};
	const struct doc_node *gs;
	size_t i;
	int rc = -1;

	kube_res_free(k);
	r.accept = k->legacy_only ? KUBE_ACCEPT_JSON : KUBE_ACCEPT_AGGREGATED;
	for (i = 0; i < 2; i++) {
		r.path = paths[i];
		if (kube_send(k, &r, &resp, err) < 0)
			goto out;
		if (resp.status != 200) {
			char *w = xasprintf("discovery: GET %s", paths[i]);

			kube_status_error(err, resp.status, buf_cstr(&resp.body), resp.body.len, w);
			kube_gave_up(k, resp.status, err);
			free(w);
			goto out;
		}
		if (kube_answer(&resp, paths[i], docs[i], err) < 0)
			goto out;
	}
	if (kube_is_kind(core, "APIGroupDiscoveryList") &&
	    kube_is_kind(groups, "APIGroupDiscoveryList")) {
		kube_res_aggregated(k, core, 0);
		kube_res_aggregated(k, groups, 0);
		k->npref = k->nres;
		kube_res_aggregated(k, core, 1);
		kube_res_aggregated(k, groups, 1);
		k->aggregated = 1;
	} else {
		/* Legacy: /api's versions, /apis's groups, each preferred version's list. */
		if (kube_fetch_gv(k, "", "v1", err) < 0)
			goto out;
		gs = doc_map_get(groups, "groups");
		for (i = 0; gs && gs->type == DOC_SEQ && i < gs->n; i++) {
			const char *name = kube_str(gs->items[i], "name");
			const char *pv =
			    kube_str(doc_map_get(gs->items[i], "preferredVersion"), "version");

			if (!name || !pv)
				continue;
			if (kube_fetch_gv(k, name, pv, err) < 0) {
				/* An aggregated API server that is down must not hide the others. */
				if (err->kind == ERRK_TRANSIENT || err->kind == ERRK_NOTFOUND)
					continue;
				goto out;
			}
		}
		k->npref = k->nres;
	}
	k->discovered = 1;
	rc = 0;
out:
	if (rc < 0)
		kube_res_free(k);
	doc_free(core);
	doc_free(groups);
	kube_resp_wipe(&resp);
	return rc;
}

void kube_discovery_reset(struct kube *k)
{
	kube_res_free(k);
}

void kube_set_aggregated(struct kube *k, int on)
{
	k->legacy_only = !on;
	kube_res_free(k);
}

/*
 * Fetch a group version that discovery did not list (legacy discovery
 * lists only the preferred version of each group); one known already, or
 * one the server does not have, adds nothing.
 */
static void kube_fetch_other(struct kube *k, const char *group, const char *version)
{
	struct err ignore;
	size_t i;

	if (k->aggregated)
		return;
	for (i = 0; i < k->nres; i++)
		if (strcmp(k->res[i].group, group) == 0 && strcmp(k->res[i].version, version) == 0)
			return;
	for (i = 0; i < k->nextra; i++)
		if (strcmp(k->extra[i]->group, group) == 0 &&
		    strcmp(k->extra[i]->version, version) == 0)
			return;
	kube_fetch_gv(k, group, version, &ignore);
}

int kube_resource(struct kube *k, const char *api_version, const char *kind,
                  const struct kube_resource **out, struct err *err)
{
	const char *slash = strchr(api_version, '/');
	char *group = slash ? xstrndup(api_version, (size_t)(slash - api_version)) : xstrdup("");
	const char *version = slash ? slash + 1 : api_version;
	char qk[80], qv[80];
	int fresh = 0, rc = -1;

	*out = NULL;
	if (!*version || strchr(version, '/') || (slash && !*group) || !*kind) {
		err_setk(err, ERRK_INVALID,
		         "apiVersion '%s' with kind '%s' is not GROUP/VERSION and a kind",
		         text_quote(api_version, strlen(api_version), qv, sizeof(qv)),
		         text_quote(kind, strlen(kind), qk, sizeof(qk)));
		goto out;
	}
	if (!k->discovered) {
		if (kube_discover(k, err) < 0)
			goto out;
		fresh = 1;
	}
	for (;;) {
		if ((*out = kube_find(k, group, version, kind)) != NULL)
			break;
		kube_fetch_other(k, group, version);
		if ((*out = kube_find(k, group, version, kind)) != NULL || fresh)
			break;
		/* A kind not found in a cache that may be old (a CRD applied since): once more. */
		if (kube_discover(k, err) < 0)
			goto out;
		fresh = 1;
	}
	if (!*out) {
		err_setk(
		    err, ERRK_NOTFOUND,
		    "no kind '%s' in '%s' on the cluster (is its CRD applied and established?)",
		    text_quote(kind, strlen(kind), qk, sizeof(qk)),
		    text_quote(api_version, strlen(api_version), qv, sizeof(qv)));
		goto out;
	}
	rc = 0;
out:
	free(group);
	return rc;
}

int kube_resources(struct kube *k, const struct kube_resource **v, size_t *n, struct err *err)
{
	*v = NULL;
	*n = 0;
	if (!k->discovered && kube_discover(k, err) < 0)
		return -1;
	*v = k->res;
	*n = k->npref;
	return 0;
}

char *kube_path(const struct kube_resource *r, const char *ns, const char *name)
{
	struct buf b = BUF_INIT((size_t)-1);
	char *e;

	if (*r->group)
		buf_addf(&b, "/apis/%s/%s", r->group, r->version);
	else
		buf_addf(&b, "/api/%s", r->version);
	if (r->namespaced && ns && *ns) {
		e = text_url_encode(ns, NULL);
		buf_addf(&b, "/namespaces/%s", e);
		free(e);
	}
	buf_addf(&b, "/%s", r->plural);
	if (name) {
		e = text_url_encode(name, NULL);
		buf_addf(&b, "/%s", e);
		free(e);
	}
	return buf_detach(&b, NULL);
}

/* ---- objects --------------------------------------------------------------- */

int kube_apply(struct kube *k, const struct doc_node *obj, const char *ns, struct doc_node **out,
               struct err *err)
{
	static const char *const server_only[] = {"managedFields", "resourceVersion", "uid"};
	const struct kube_resource *r;
	const struct doc_node *meta = doc_map_get(obj, "metadata");
	const char *av = kube_str(obj, "apiVersion"), *kind = kube_str(obj, "kind");
	const char *name = kube_str(meta, "name"), *ons = kube_str(meta, "namespace");
	char what[KUBE_WHAT_MAX], *path = NULL, *full = NULL;
	size_t i;
	int rc = -1;

	if (out)
		*out = NULL;
	kube_what(obj, what, sizeof(what));
	if (!obj || obj->type != DOC_MAP || !av || !kind || !name || !*name)
		return err_setk(err, ERRK_INVALID,
		                "%s: a manifest needs apiVersion, kind and metadata.name (strings)",
		                what);
	for (i = 0; i < sizeof(server_only) / sizeof(server_only[0]); i++)
		if (doc_map_get(meta, server_only[i]))
			return err_setk(
			    err, ERRK_INVALID,
			    "%s: metadata.%s is set by the cluster and must not be in a manifest "
			    "(remove it: it was probably copied from kubectl get)",
			    what, server_only[i]);
	if (kube_resource(k, av, kind, &r, err) < 0)
		return err_wrap(err, "%s", what);
	if (r->namespaced && !(ons && *ons))
		ons = ns && *ns ? ns : k->namespace;
	path = kube_path(r, ons, name);
	full = xasprintf("%s?fieldManager=%s&force=true", path, KUBE_FIELD_MANAGER);
	rc = kube_do(k, "PATCH", full, obj, "application/apply-patch+yaml", what, out, NULL, err);
	free(full);
	free(path);
	return rc;
}

/* The name of r's object in messages: "Deployment/NAME in namespace NS". */
static char *kube_what_of(const struct kube_resource *r, const char *ns, const char *name,
                          char *out, size_t size)
{
	char qn[80], qs[80];

	text_quote(name, strlen(name), qn, sizeof(qn));
	if (r->namespaced && ns && *ns && strcmp(ns, "default") != 0)
		snprintf(out, size, "%s/%s in namespace %s", r->kind, qn,
		         text_quote(ns, strlen(ns), qs, sizeof(qs)));
	else
		snprintf(out, size, "%s/%s", r->kind, qn);
	return out;
}

int kube_get(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
             struct doc_node **out, struct err *err)
{
	char what[KUBE_WHAT_MAX], *path = kube_path(r, ns && *ns ? ns : k->namespace, name);
	int rc = kube_do(k, "GET", path, NULL, NULL, kube_what_of(r, ns, name, what, sizeof(what)),
	                 out, NULL, err);

	free(path);
	return rc;
}

int kube_delete(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
                const char *propagation, int *gone, struct err *err)
{
	struct doc_node *opts = doc_new(DOC_MAP);
	char what[KUBE_WHAT_MAX], *path = kube_path(r, ns && *ns ? ns : k->namespace, name), *full;
	const char *p = propagation ? propagation : "Background";
	struct buf q = BUF_INIT(4096);
	long status = 0;
	int rc;

	if (gone)
		*gone = 0;
	/* kubectl's body, and the same as a parameter for servers that read only that. */
	doc_map_set(opts, "kind", doc_new_str("DeleteOptions"));
	doc_map_set(opts, "apiVersion", doc_new_str("v1"));
	doc_map_set(opts, "propagationPolicy", doc_new_str(p));
	buf_addstr(&q, path);
	kube_query(&q, "propagationPolicy", p);
	full = buf_detach(&q, NULL);
	rc = kube_do(k, "DELETE", full, opts, NULL, kube_what_of(r, ns, name, what, sizeof(what)),
	             NULL, &status, err);
	if (rc < 0 && status == 404) {
		if (gone)
			*gone = 1;
		rc = 0;
	}
	doc_free(opts);
	free(full);
	free(path);
	return rc;
}

/* A list or watch path: r's collection with the options' selectors. */
static void kube_collection(const struct kube_resource *r, const struct kube_list_opts *o,
                            struct buf *q)
{
	char *path = kube_path(r, o ? o->ns : NULL, NULL);

	buf_addstr(q, path);
	free(path);
	if (o && o->label_selector && *o->label_selector)
		kube_query(q, "labelSelector", o->label_selector);
	if (o && o->field_selector && *o->field_selector)
		kube_query(q, "fieldSelector", o->field_selector);
}

/* How messages name a list or watch: "list deployments in namespace shop". */
static char *kube_coll_what(const char *verb, const struct kube_resource *r,
                            const struct kube_list_opts *o, char *out, size_t size)
{
	char q[80];

	if (r->namespaced && o && o->ns && *o->ns)
		snprintf(out, size, "%s %s in namespace %s", verb, r->plural,
		         text_quote(o->ns, strlen(o->ns), q, sizeof(q)));
	else
		snprintf(out, size, "%s %s", verb, r->plural);
	return out;
}

/* Set apiVersion and kind of a list item from r (the API leaves them out). */
static void kube_item_type(const struct kube_resource *r, struct doc_node *item)
{
	char *av;

	if (item->type != DOC_MAP)
		return;
	av = *r->group ? xasprintf("%s/%s", r->group, r->version) : xstrdup(r->version);
	doc_map_set(item, "apiVersion", doc_new_str(av));
	doc_map_set(item, "kind", doc_new_str(r->kind));
	free(av);
}

int kube_list_continue(const struct doc_node *page, const char *prev, unsigned long pages,
                       const char *what, char **next, struct err *err)
{
	const char *c = kube_str(doc_map_get(page, "metadata"), "continue");

	*next = NULL;
	if (!c || !*c)
		return 0;
	if (prev && strcmp(c, prev) == 0)
		return err_setk(
		    err, ERRK_INVALID,
		    "%s: the API server answered page %lu with the continue token it was "
		    "asked for: it would list the same page forever",
		    what, pages);
	if (pages >= KUBE_LIST_PAGES_MAX)
		return err_setk(err, ERRK_INVALID,
		                "%s: still more after %lu pages (the most ftboot reads): the API "
		                "server keeps answering with a continue token",
		                what, pages);
	*next = xstrdup(c);
	return 0;
}

int kube_list(struct kube *k, const struct kube_resource *r, const struct kube_list_opts *o,
              kube_item_fn fn, void *ctx, char **rv, struct err *err)
{
	struct buf q = BUF_INIT(1 << 20);
	struct doc_node *page = NULL;
	char what[KUBE_WHAT_MAX], *cont = NULL, *next, limit[32];
	const char *prv;
	unsigned long pages = 0;
	struct doc_node *items;
	int restarted = 0, rc = -1;
	long status;
	size_t i;

	if (rv)
		*rv = NULL;
	kube_coll_what("list", r, o, what, sizeof(what));
	snprintf(limit, sizeof(limit), "%lu", k->page);
	for (;;) {
		buf_reset(&q);
		kube_collection(r, o, &q);
		kube_query(&q, "limit", limit);
		if (cont)
			kube_query(&q, "continue", cont);
		doc_free(page);
		page = NULL;
		pages++;
		if (kube_do(k, "GET", buf_cstr(&q), NULL, NULL, what, &page, &status, err) < 0) {
			if (status == 410 && cont && !restarted) {
				/* The continue token expired: once more from the start. */
				restarted = 1;
				free(cont);
				cont = NULL;
				continue;
			}
			goto out;
		}
		items = doc_map_get(page, "items");
		if (items && items->type != DOC_SEQ && items->type != DOC_NULL) {
			err_setk(err, ERRK_INVALID, "%s: the answer's items are %s, not a list",
			         what, doc_type_name(items->type));
			goto out;
		}
		for (i = 0; items && items->type == DOC_SEQ && i < items->n; i++) {
			kube_item_type(r, items->items[i]);
			if (fn(ctx, items->items[i], err) < 0)
				goto out;
		}
		prv = kube_str(doc_map_get(page, "metadata"), "resourceVersion");
		if (rv && prv) {
			free(*rv);
			*rv = xstrdup(prv);
		}
		if (kube_list_continue(page, cont, pages, what, &next, err) < 0)
			goto out;
		free(cont);
		cont = next;
		if (!cont)
			break;
	}
	rc = 0;
out:
	if (rc < 0 && rv) {
		free(*rv);
		*rv = NULL;
	}
	free(cont);
	doc_free(page);
	buf_release(&q);
	return rc;
}

/* ---- watch ------------------------------------------------------------- */

static int kube_watch_line(struct kube_watch_parser *p, const char *line, size_t len,
                           struct err *err)
{
	static const char *const types[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	struct doc_node *ev = NULL;
	const struct doc_node *obj;
	const char *type, *rv;
	char name[64], q[80];
	size_t i;
	int rc = -1;

	snprintf(name, sizeof(name), "watch stream line %lu", p->lineno);
	if (doc_parse_json(name, line, len, &ev, err) < 0) {
		err->kind = ERRK_INVALID;
		return -1;
	}
	type = kube_str(ev, "type");
	obj = doc_map_get(ev, "object");
	if (ev->type != DOC_MAP || !type || !obj || obj->type != DOC_MAP) {
		err_setk(err, ERRK_INVALID, "%s: not a watch event (type and object)", name);
		goto out;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		err_setk(err, ERRK_INVALID, "%s: unknown event type '%s'", name,
		         text_quote(type, doc_map_get(ev, "type")->len, q, sizeof(q)));
		goto out;
	}
	rc = p->fn(p->ctx, type, obj, err);
	if (rc >= 0 && strcmp(type, "ERROR") != 0) {
		rv = kube_meta(obj, "resourceVersion");
		if (rv && *rv) {
			free(p->rv);
			p->rv = xstrdup(rv);
		}
	}
out:
	doc_free(ev);
	return rc;
}

int kube_watch_feed(struct kube_watch_parser *p, const char *data, size_t len, struct err *err)
{
	const char *nl;
	size_t n, end;
	int rc;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) : len;
		if (p->len + n > KUBE_LINE_MAX)
			return err_setk(err, ERRK_INVALID,
			                "watch stream line %lu: longer than %u MiB", p->lineno + 1,
			                KUBE_LINE_MAX >> 20);
		if (p->len + n + 1 > p->cap) {
			p->cap = p->cap ? p->cap : 4096;
			while (p->cap < p->len + n + 1)
				p->cap *= 2;
			p->line = xreallocarray(p->line, p->cap, 1);
		}
		memcpy(p->line + p->len, data, n);
		p->len += n;
		data += n;
		len -= n;
		if (!nl)
			break;
		data++;
		len--;
		p->lineno++;
		end = p->len;
		p->len = 0;
		if (end > 0 && p->line[end - 1] == '\r')
			end--;
		p->line[end] = '\0';
		if (strspn(p->line, " \t") == end)
			continue; /* an empty line */
		rc = kube_watch_line(p, p->line, end, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void kube_watch_parser_release(struct kube_watch_parser *p)
{
	if (p->line)
		explicit_bzero(p->line, p->cap); /* a watched Secret's data */
	free(p->line);
	free(p->rv);
	p->line = NULL;
	p->rv = NULL;
	p->len = p->cap = 0;
}

/* What kube_watch's parser calls: ERROR events end the watch, the rest go to the caller. */
struct kube_watch_x {
	struct kube_watch_parser p;
	kube_event_fn fn;
	void *ctx;
	const char *what;
	int failed; /* why is in failure: the transport wraps err with its URL */
	struct err failure;
};

static int kube_watch_event(void *ctx, const char *type, const struct doc_node *object,
                            struct err *err)
{
	struct kube_watch_x *x = ctx;
	const struct doc_node *code;
	struct buf b = BUF_INIT(KUBE_BODY_MAX);

	if (strcmp(type, "ERROR") == 0) {
		code = doc_map_get(object, "code");
		doc_emit_json(object, &b, err);
		kube_status_error(err, code && code->type == DOC_INT ? (long)code->i : 500,
		                  buf_cstr(&b), b.len, x->what);
		buf_release(&b);
		if (code && code->type == DOC_INT && code->i == 410)
			err->kind = ERRK_NOTFOUND;
		return -1;
	}
	return x->fn(x->ctx, type, object, err);
}

static int kube_watch_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct kube_watch_x *x = ctx;
	int rc = kube_watch_feed(&x->p, data, len, err);

	if (rc < 0) {
		x->failed = 1;
		x->failure = *err;
	}
	return rc;
}

int kube_watch(struct kube *k, const struct kube_resource *r, const struct kube_list_opts *o,
               char **rv, double deadline, kube_event_fn fn, void *ctx, int *timed_out,
               struct err *err)
{
	struct kube_watch_x x;
	struct http_resp resp = HTTP_RESP_INIT(1 << 20);
	struct buf q = BUF_INIT(1 << 20);
	struct kube_req req = {.method = "GET"};
	char what[KUBE_WHAT_MAX], secs[32];
	unsigned long lines;
	double left, t0;
	int rc = -1, got, lost = 0;

	*timed_out = 0;
	memset(&x, 0, sizeof(x));
	x.p.fn = kube_watch_event;
	x.p.ctx = &x;
	x.fn = fn;
	x.ctx = ctx;
	kube_coll_what("watch", r, o, what, sizeof(what));
	x.what = what;
	if (rv && *rv && **rv)
		x.p.rv = xstrdup(*rv);
	for (;;) {
		left = deadline - mono_now();
		if (left < 1) {
			*timed_out = 1;
			break;
		}
		if (left > KUBE_WATCH_MAX_S)
			left = KUBE_WATCH_MAX_S;
		buf_reset(&q);
		kube_collection(r, o, &q);
		kube_query(&q, "watch", "1");
		kube_query(&q, "allowWatchBookmarks", "true");
		if (x.p.rv)
			kube_query(&q, "resourceVersion", x.p.rv);
		snprintf(secs, sizeof(secs), "%ld", (long)left);
		kube_query(&q, "timeoutSeconds", secs);
		req.path = buf_cstr(&q);
		req.write_fn = kube_watch_write;
		req.write_ctx = &x;
		req.total_ms = (unsigned long)(left * 1000) + KUBE_WATCH_GRACE_MS;
		req.idle_ms = KUBE_WATCH_IDLE_MS;
		/* A partial line of the last stream is dropped: its event comes again. */
		x.p.len = 0;
		lines = x.p.lineno;
		t0 = mono_now();
		got = kube_send(k, &req, &resp, err);
		if (got < 0) {
			if (x.failed) {
				/* The stream's own error (an event, fn), without the transport's URL. */
				*err = x.failure;
				goto out;
			}
			if (deadline - mono_now() < 1 && err->kind == ERRK_TIMEOUT) {
				*timed_out = 1;
				break;
			}
			/*
			 * A quiet stream (the idle bound) is started again; so is
			 * one lost after it carried events. A server that cannot
			 * be reached KUBE_WATCH_LOST times in a row is an error.
			 */
			if (err->kind == ERRK_TIMEOUT ||
			    (err->kind == ERRK_TRANSIENT &&
			     (x.p.lineno > lines || ++lost < KUBE_WATCH_LOST))) {
				if (x.p.lineno > lines)
					lost = 0;
				if (err->kind == ERRK_TRANSIENT)
					kube_sleep(KUBE_BACKOFF_MS);
				continue;
			}
			err_wrap(err, "%s", what);
			goto out;
		}
		lost = 0;
		if (resp.stopped)
			break;
		if (resp.status < 200 || resp.status > 299) {
			kube_status_error(err, resp.status, buf_cstr(&resp.body), resp.body.len,
			                  what);
			kube_gave_up(k, resp.status, err);
			if (resp.status == 410)
				err->kind = ERRK_NOTFOUND;
			goto out;
		}
		/*
		 * The server ended the stream (its timeout, a restart): resume
		 * from the last RV; after a pause when it ended at once, empty.
		 */
		if (x.p.lineno == lines && mono_now() - t0 < 1)
			kube_sleep(KUBE_BACKOFF_MS);
	}
	rc = 0;
out:
	if (rv) {
		if (x.p.rv) {
			free(*rv);
			*rv = x.p.rv;
			x.p.rv = NULL;
		}
	}
	kube_watch_parser_release(&x.p);
	kube_resp_wipe(&resp);
	buf_release(&q);
	return rc;
}

/* ---- tokens -------------------------------------------------------------- */

int kube_token(struct kube *k, const char *ns, const char *name, long seconds, char **out,
               struct err *err)
{
	struct doc_node *req = doc_new(DOC_MAP), *spec = doc_new(DOC_MAP), *ans = NULL;
	char *ens = text_url_encode(ns, NULL), *ename = text_url_encode(name, NULL), *path;
	char what[KUBE_WHAT_MAX], qn[80], qs[80];
	const struct doc_node *tok;
	int rc = -1;

	*out = NULL;
	snprintf(what, sizeof(what), "token of ServiceAccount/%s in namespace %s",
	         text_quote(name, strlen(name), qn, sizeof(qn)),
	         text_quote(ns, strlen(ns), qs, sizeof(qs)));
	path = xasprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", ens, ename);
	if (seconds < KUBE_TOKEN_MIN_S) {
		err_setk(err, ERRK_INVALID, "%s: a lifetime of %ld s is too short (at least %d s)",
		         what, seconds, KUBE_TOKEN_MIN_S);
		doc_free(spec);
		goto out;
	}
	doc_map_set(req, "apiVersion", doc_new_str("authentication.k8s.io/v1"));
	doc_map_set(req, "kind", doc_new_str("TokenRequest"));
	doc_map_set(spec, "expirationSeconds", doc_new_int(seconds));
	doc_map_set(req, "spec", spec);
	if (kube_do(k, "POST", path, req, NULL, what, &ans, NULL, err) < 0)
		goto out;
	tok = kube_at(ans, "status.token");
	if (!tok || tok->type != DOC_STR || tok->len == 0 || strlen(tok->text) != tok->len) {
		err_setk(err, ERRK_INVALID, "%s: the answer has no status.token", what);
		goto out;
	}
	*out = xstrdup(tok->text);
	rc = 0;
out:
	if (ans) {
		/* The token is in the tree too: wipe it there before freeing. */
		struct doc_node *t = (struct doc_node *)kube_at(ans, "status.token");

		if (t && t->text)
			explicit_bzero(t->text, t->len);
	}
	doc_free(ans);
	doc_free(req);
	free(path);
	free(ens);
	free(ename);
	return rc;
}

/* ---- small helpers on objects -------------------------------------------- */

const char *kube_meta(const struct doc_node *obj, const char *field)
{
	return kube_str(doc_map_get(obj, "metadata"), field);
}

const struct doc_node *kube_at(const struct doc_node *obj, const char *dotted)
{
	const struct doc_node *n = obj;
	const char *s = dotted, *dot;
	char *key;

	while (n && *s) {
		dot = strchr(s, '.');
		key = dot ? xstrndup(s, (size_t)(dot - s)) : xstrdup(s);
		n = doc_map_get(n, key);
		free(key);
		if (!dot)
			break;
		s = dot + 1;
	}
	return n;
}

const struct doc_node *kube_condition(const struct doc_node *obj, const char *type)
{
	const struct doc_node *c = kube_at(obj, "status.conditions");
	const char *t;
	size_t i;

	if (c == NULL || c->type != DOC_SEQ || type == NULL)
		return NULL;
	for (i = 0; i < c->n; i++) {
		t = kube_str(c->items[i], "type");
		if (t && strcmp(t, type) == 0)
			return c->items[i];
	}
	return NULL;
}

char *kube_what(const struct doc_node *obj, char *out, size_t size)
{
	const struct doc_node *kind = doc_map_get(obj, "kind");
	const struct doc_node *meta = doc_map_get(obj, "metadata");
	const struct doc_node *name = doc_map_get(meta, "name"),
	                      *ns = doc_map_get(meta, "namespace");
	char qk[80], qn[80], qs[80];

	if (kind && kind->type == DOC_STR)
		text_quote(kind->text, kind->len, qk, sizeof(qk));
	else
		snprintf(qk, sizeof(qk), "(no kind)");
	if (name && name->type == DOC_STR)
		text_quote(name->text, name->len, qn, sizeof(qn));
	else
		snprintf(qn, sizeof(qn), "(no name)");
	if (ns && ns->type == DOC_STR && ns->len && strcmp(ns->text, "default") != 0)
		snprintf(out, size, "%s/%s in namespace %s", qk, qn,
		         text_quote(ns->text, ns->len, qs, sizeof(qs)));
	else
		snprintf(out, size, "%s/%s", qk, qn);
	return out;
}
