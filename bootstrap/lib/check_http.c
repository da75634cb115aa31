/*
 * check_http: the http check kind (check.h; E5). A check is a list of
 * requests, each sent once, redirects never followed (the check reads
 * the 301 or 307 itself), and what its answer must be:
 *
 *   requests:
 *     - method: GET                       # default GET
 *       url: https://${lb_ip}:${port.nginx.https}/phpmyadmin/
 *       headers: ["Accept: text/html"]    # optional
 *       body: "..."                       # optional, sent as is
 *       tls: stack                        # https only: stack | verify (default) | unverified
 *       hint: what to fix                 # optional: when the answer is not the
 *                                         # one expected, after the kind's words
 *       expect:
 *         status: 200                     # or [301, 308], or "2xx", or a list of both
 *         location: https://IP/           # exact; or {prefix: ...} or {regex: ERE}
 *         body: [ERE, ...]                # each must match (POSIX extended)
 *         body_not: [ERE, ...]            # none may match
 *         headers: {Content-Type: ^text/html}  # each header present, its value matching
 *         assets: true                    # the CSS and JS the page links answer 200
 *
 * tls: stack trusts exactly the stack's own certificate (check_env's
 * tls_cert, the one ftboot made and nginx serves) and its key, and no
 * other, whatever name it bears. verify trusts the system's CAs.
 * unverified checks nothing and is refused for a request that sends a
 * body, an Authorization or a Cookie header, or credentials in its URL:
 * no secret goes over a channel that is not authenticated.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "check_http.h"
#include "http.h"
#include "mono.h"
#include "text.h"
#include "xmem.h"

#define HTTP_CHECK_REQUESTS 32         /* requests in one check */
#define HTTP_CHECK_BODY     (8u << 20) /* an answer's body, assets included */
#define HTTP_CHECK_ASSETS   64         /* assets fetched for one page */
#define HTTP_CHECK_TIMEOUT  10000UL    /* ms: one request, unless --timeout */

enum tls_mode { TLS_VERIFY, TLS_STACK, TLS_UNVERIFIED };

static const char *const http_keys[] = {"requests", NULL};
static const char *const req_keys[] = {"method", "url",  "headers", "body",
                                       "tls",    "hint", "expect",  NULL};
static const char *const expect_keys[] = {"status",  "location", "body", "body_not",
                                          "headers", "assets",   NULL};

/* ---- validation ------------------------------------------------------------ */

/* A status (100-599) or a class ("2xx"): 1 if n is one. */
static int status_ok(const struct doc_node *n)
{
	if (n->type == DOC_INT)
		return n->i >= 100 && n->i <= 599;
	return n->type == DOC_STR && n->len == 3 && n->text[0] >= '1' && n->text[0] <= '5' &&
	       n->text[1] == 'x' && n->text[2] == 'x';
}

static int v_status(struct schema *sc, const struct doc_node *n, const char *what)
{
	size_t i;

	if (n->type == DOC_SEQ && n->n > 0) {
		for (i = 0; i < n->n; i++)
			if (!status_ok(n->items[i]))
				return schema_fail(
				    sc, n->items[i], what,
				    "a status is 100 to 599 or a class like \"2xx\"");
		return 0;
	}
	if (!status_ok(n))
		return schema_fail(sc, n, what,
		                   "expected a status (301), a class (\"2xx\") or a list of them");
	return 0;
}

/* n is a string holding a POSIX extended regular expression. */
static int v_regex(struct schema *sc, const struct doc_node *n, const char *what)
{
	regex_t re;
	char msg[160];
	int rc;

	if (schema_str(sc, n, what) < 0)
		return -1;
	if ((rc = regcomp(&re, n->text, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		return schema_fail(sc, n, what, "not a POSIX extended regular expression: %s", msg);
	}
	regfree(&re);
	return 0;
}

/* A regex or a non-empty list of them. */
static int v_regexes(struct schema *sc, const struct doc_node *n, const char *what)
{
	char w[160];
	size_t i;

	if (n->type != DOC_SEQ)
		return v_regex(sc, n, what);
	if (n->n == 0)
		return schema_fail(sc, n, what, "expected a regular expression or a list of them");
	for (i = 0; i < n->n; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (v_regex(sc, n->items[i], w) < 0)
			return -1;
	}
	return 0;
}

static int v_location(struct schema *sc, const struct doc_node *n, const char *what)
{
	char w[160];

	if (n->type == DOC_STR)
		return schema_str(sc, n, what);
	if (n->type != DOC_MAP || n->n != 1)
		return schema_fail(sc, n, what,
		                   "expected the exact Location, or {prefix: ...} or {regex: ...}");
	if (schema_keys(sc, n, what, (const char *const[]){"prefix", "regex", NULL}) < 0)
		return -1;
	snprintf(w, sizeof(w), "%.140s.%.8s", what, n->pairs[0].key->text);
	if (strcmp(n->pairs[0].key->text, "regex") == 0)
		return v_regex(sc, n->pairs[0].value, w);
	return schema_str(sc, n->pairs[0].value, w);
}

/* An HTTP token (a method, a header's name). */
static int token_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!(s[i] > 32 && s[i] < 127 && !strchr("()<>@,;:\\\"/[]?={}", s[i])))
			return 0;
	return len > 0;
}

static int v_expect(struct schema *sc, const struct doc_node *e, const char *where)
{
	const struct doc_node *n;
	char w[160];
	size_t i;

	if (schema_map(sc, e, where) < 0 || schema_keys(sc, e, where, expect_keys) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.status", where);
	if ((n = doc_map_get(e, "status")) == NULL)
		return schema_fail(sc, e, where,
		                   "expect needs a status (301, \"2xx\", [200, 302])");
	if (v_status(sc, n, w) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.location", where);
	if ((n = doc_map_get(e, "location")) && v_location(sc, n, w) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.body", where);
	if ((n = doc_map_get(e, "body")) && v_regexes(sc, n, w) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.body_not", where);
	if ((n = doc_map_get(e, "body_not")) && v_regexes(sc, n, w) < 0)
		return -1;
	if ((n = doc_map_get(e, "headers"))) {
		snprintf(w, sizeof(w), "%s.headers", where);
		if (n->type != DOC_MAP || n->n == 0)
			return schema_fail(sc, n, w,
			                   "expected a mapping of header names to regular "
			                   "expressions, like {Content-Type: ^text/html}");
		for (i = 0; i < n->n; i++) {
			const struct doc_node *k = n->pairs[i].key;

			snprintf(w, sizeof(w), "%s.headers.%s", where, k->text);
			if (!token_ok(k->text, k->len))
				return schema_fail(sc, k, w, "not a header name");
			if (v_regex(sc, n->pairs[i].value, w) < 0)
				return -1;
		}
	}
	if ((n = doc_map_get(e, "assets")) && n->type != DOC_BOOL) {
		snprintf(w, sizeof(w), "%s.assets", where);
		return schema_fail(sc, n, w, "expected true or false");
	}
	return 0;
}

/* The header line s is "Name: value" and names one of the secret-bearing headers. */
static int secret_header(const char *s)
{
	static const char *const names[] = {"Authorization", "Proxy-Authorization", "Cookie"};
	size_t i, l;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		l = strlen(names[i]);
		if (strncasecmp(s, names[i], l) == 0 && (s[l] == ':' || s[l] == ' '))
			return 1;
	}
	return 0;
}

/* "http://user:pw@host/": credentials in the URL's authority. */
static int url_has_userinfo(const char *url)
{
	const char *a = strstr(url, "://");
	size_t end;

	if (a == NULL)
		return 0;
	a += 3;
	end = strcspn(a, "/?#");
	return memchr(a, '@', end) != NULL;
}

static enum tls_mode tls_of(const struct doc_node *rq)
{
	const struct doc_node *n = doc_map_get(rq, "tls");

	if (n == NULL || strcmp(n->text, "verify") == 0)
		return TLS_VERIFY;
	return strcmp(n->text, "stack") == 0 ? TLS_STACK : TLS_UNVERIFIED;
}

static int v_request(struct schema *sc, const struct doc_node *rq, const char *where)
{
	const struct doc_node *n, *url, *tls;
	const char *secret = NULL;
	char w[128];
	size_t i;
	int https;

	if (schema_map(sc, rq, where) < 0 || schema_keys(sc, rq, where, req_keys) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.url", where);
	if ((url = doc_map_get(rq, "url")) == NULL)
		return schema_fail(sc, rq, where, "a request needs a url");
	if (schema_str(sc, url, w) < 0)
		return -1;
	https = strncmp(url->text, "https://", 8) == 0;
	if (!https && strncmp(url->text, "http://", 7) != 0)
		return schema_fail(sc, url, w, "expected an http:// or https:// URL");
	if ((n = doc_map_get(rq, "method"))) {
		snprintf(w, sizeof(w), "%s.method", where);
		if (schema_str(sc, n, w) < 0)
			return -1;
		if (!token_ok(n->text, n->len) || n->len > 16)
			return schema_fail(sc, n, w, "not an HTTP method (GET, HEAD, POST, ...)");
	}
	if ((n = doc_map_get(rq, "headers"))) {
		snprintf(w, sizeof(w), "%s.headers", where);
		if (n->type != DOC_SEQ)
			return schema_fail(sc, n, w,
			                   "expected a list of \"Name: value\" lines, like "
			                   "[\"Accept: text/html\"]");
		for (i = 0; i < n->n; i++) {
			const struct doc_node *h = n->items[i];
			const char *colon;

			snprintf(w, sizeof(w), "%s.headers[%zu]", where, i);
			if (schema_str(sc, h, w) < 0)
				return -1;
			colon = memchr(h->text, ':', h->len);
			if (colon == NULL || !token_ok(h->text, (size_t)(colon - h->text)) ||
			    strlen(h->text) != h->len || strpbrk(h->text, "\r\n"))
				return schema_fail(sc, h, w, "expected one \"Name: value\" line");
			if (secret_header(h->text))
				secret = "an Authorization or Cookie header";
		}
	}
	if ((n = doc_map_get(rq, "body"))) {
		snprintf(w, sizeof(w), "%s.body", where);
		if (n->type != DOC_STR)
			return schema_fail(sc, n, w, "expected the body as a string");
		secret = "a body";
	}
	if (url_has_userinfo(url->text))
		secret = "credentials in its URL";
	if ((n = doc_map_get(rq, "hint"))) {
		snprintf(w, sizeof(w), "%s.hint", where);
		if (schema_str(sc, n, w) < 0)
			return -1;
	}
	if ((tls = doc_map_get(rq, "tls"))) {
		snprintf(w, sizeof(w), "%s.tls", where);
		if (schema_str(sc, tls, w) < 0)
			return -1;
		if (strcmp(tls->text, "stack") && strcmp(tls->text, "verify") &&
		    strcmp(tls->text, "unverified"))
			return schema_fail(
			    sc, tls, w,
			    "expected stack (the stack's own certificate), verify (the system's "
			    "CAs) or unverified");
		if (!https)
			return schema_fail(sc, tls, w, "tls is for https:// URLs");
		if (tls_of(rq) == TLS_UNVERIFIED && secret)
			return schema_fail(sc, tls, w,
			                   "a request with %s may not go over an unverified "
			                   "channel: use tls: stack or tls: verify",
			                   secret);
	}
	snprintf(w, sizeof(w), "%s.expect", where);
	if ((n = doc_map_get(rq, "expect")) == NULL)
		return schema_fail(sc, rq, where, "a request needs expect: (at least a status)");
	return v_expect(sc, n, w);
}

static int http_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	const struct doc_node *list = doc_map_get(check, "requests");
	char w[64];
	size_t i;

	snprintf(w, sizeof(w), "%s.requests", where);
	if (list == NULL)
		return schema_fail(sc, check, where, "an http check needs requests: (a list)");
	if (list->type != DOC_SEQ || list->n == 0)
		return schema_fail(sc, list, w, "expected a list of requests");
	if (list->n > HTTP_CHECK_REQUESTS)
		return schema_fail(sc, list, w, "%zu requests: at most %d", list->n,
		                   HTTP_CHECK_REQUESTS);
	for (i = 0; i < list->n; i++) {
		snprintf(w, sizeof(w), "%s.requests[%zu]", where, i);
		if (v_request(sc, list->items[i], w) < 0)
			return -1;
	}
	return 0;
}

/* ---- the run ---------------------------------------------------------------- */

struct hc {
	struct check_run *cr;
	struct http *h;
	const char *hint; /* the request's hint: may be NULL */
	enum tls_mode tls;
};

static int hc_cancelled(void *ctx)
{
	return check_cancelled(ctx);
}

/* The status line's reason ("Moved Permanently"), or "" (HTTP/2 sends none). */
static void reason_of(const struct http_resp *resp, char *out, size_t size)
{
	const char *l = buf_cstr(&resp->head), *p = strchr(l, ' ');
	size_t n;

	out[0] = '\0';
	if (p == NULL || strncmp(l, "HTTP/", 5) != 0)
		return;
	p = strchr(p + 1, ' ');
	if (p == NULL)
		return;
	n = strcspn(p + 1, "\r\n");
	snprintf(out, size, "%.*s", (int)(n < 60 ? n : 60), p + 1);
}

/* "301 Moved Permanently" */
static char *status_text(const struct http_resp *resp)
{
	char reason[64];

	reason_of(resp, reason, sizeof(reason));
	return xasprintf("%ld%s%s", resp->status, *reason ? " " : "", reason);
}

/* Record a failure, the request's own hint after the kind's words. */
static int hc_fail(struct hc *c, const char *expected, const char *seen, const char *hint)
{
	if (hint && c->hint)
		return check_fail(c->cr, expected, seen, "%s; %s", hint, c->hint);
	if (hint || c->hint)
		return check_fail(c->cr, expected, seen, "%s", hint ? hint : c->hint);
	return check_fail(c->cr, expected, seen, NULL);
}

/* Send one request (no redirect followed); evidence is the caller's. */
static int hc_send(struct hc *c, const char *method, const char *url, const char *const *headers,
                   const char *body, struct http_resp *resp, double *ms, struct err *err)
{
	struct http_req rq = {0};
	double t0 = mono_now();
	int rc;

	rq.method = method;
	rq.url = url;
	rq.headers = headers;
	if (body) {
		rq.body = body;
		rq.body_len = strlen(body);
	}
	rq.total_ms = check_timeout(c->cr, HTTP_CHECK_TIMEOUT);
	rq.cancel_fn = hc_cancelled;
	rq.cancel_ctx = c->cr;
	if (c->tls == TLS_STACK)
		rq.pinned_cert = c->cr->env->tls_cert;
	rq.tls_unverified = c->tls == TLS_UNVERIFIED;
	rc = http_request(c->h, &rq, resp, err);
	*ms = (mono_now() - t0) * 1000.0;
	return rc;
}

/*
 * A transport failure (no answer, a certificate refused), with what to
 * do about it: the request's hint is about its answer, not said here.
 */
static int hc_transport_fail(struct hc *c, const char *url, const struct err *err)
{
	char *expected = xasprintf("an answer from %s", url);
	const char *hint = NULL;
	int rc;

	if (err->kind == ERRK_DENIED && c->tls == TLS_STACK)
		hint =
		    "the server does not serve the stack's own certificate (service/tls-cert.pem "
		    "in the state): is the stack deployed with its certificate (ftboot up), "
		    "and is it this stack at this address?";
	else if (err->kind == ERRK_DENIED)
		hint = "its certificate is not signed by a CA this system trusts: a self-signed "
		       "stack certificate wants tls: stack";
	else if (err->kind == ERRK_TRANSIENT || err->kind == ERRK_TIMEOUT)
		hint = "is the service up, and its port open on the address checked (--address)?";
	rc = check_fail(c->cr, expected, err->msg, hint ? "%s" : NULL, hint);
	free(expected);
	return rc;
}

/* 1 if status is one of what's statuses. */
static int status_in(const struct doc_node *want, long status)
{
	size_t i;

	if (want->type == DOC_SEQ) {
		for (i = 0; i < want->n; i++)
			if (status_in(want->items[i], status))
				return 1;
		return 0;
	}
	if (want->type == DOC_INT)
		return want->i == status;
	return status / 100 == want->text[0] - '0';
}

/* "301", "2xx", "200, 204 or 3xx" */
static void status_list(const struct doc_node *want, struct buf *b)
{
	size_t i;

	if (want->type != DOC_SEQ) {
		buf_addstr(b, want->text);
		return;
	}
	for (i = 0; i < want->n; i++) {
		if (i)
			buf_addstr(b, i + 1 == want->n ? " or " : ", ");
		buf_addstr(b, want->items[i]->text);
	}
}

/* The one wanted status, if there is one (3xx hints). */
static long status_single(const struct doc_node *want)
{
	if (want->type == DOC_SEQ && want->n == 1)
		want = want->items[0];
	return want->type == DOC_INT ? want->i : 0;
}

static int matches(const char *re, const char *s)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static int e_status(struct hc *c, const struct doc_node *want, const struct http_resp *resp,
                    const char *url)
{
	struct buf exp = BUF_INIT(1024);
	char *seen, *hint = NULL;
	long one = status_single(want);
	int rc;

	if (status_in(want, resp->status))
		return 0;
	buf_addf(&exp, "%s -> ", url);
	status_list(want, &exp);
	seen = status_text(resp);
	if (one >= 300 && one < 400 && resp->status >= 300 && resp->status < 400)
		hint = xasprintf("the server answers %ld where %ld is wanted (nginx: `return "
		                 "%ld URL;`)",
		                 resp->status, one, one);
	else if (resp->status == 404)
		hint = xstrdup("nothing is served at this path");
	else if (resp->status == 502 || resp->status == 504)
		hint = xstrdup("the proxy cannot reach its upstream: is the service behind it up?");
	rc = hc_fail(c, buf_cstr(&exp), seen, hint);
	free(hint);
	free(seen);
	buf_release(&exp);
	return rc;
}

static int e_location(struct hc *c, const struct doc_node *want, const struct http_resp *resp)
{
	char *loc = http_resp_header(resp, "Location"), *exp, *seen;
	const char *how = "", *pat = want->text;
	int ok, rc = 0;

	if (want->type == DOC_MAP) {
		how = strcmp(want->pairs[0].key->text, "regex") == 0 ? "matching " : "starting ";
		pat = want->pairs[0].value->text;
	}
	if (loc == NULL)
		ok = 0;
	else if (want->type == DOC_STR)
		ok = strcmp(loc, pat) == 0;
	else if (*how == 'm')
		ok = matches(pat, loc);
	else
		ok = strncmp(loc, pat, strlen(pat)) == 0;
	if (!ok) {
		exp = xasprintf("Location: %s%s", how, pat);
		seen = loc ? xasprintf("Location: %s", loc) : xstrdup("no Location header");
		rc = hc_fail(c, exp, seen, "the redirect must name the address checked (LB_IP)");
		free(exp);
		free(seen);
	}
	free(loc);
	return rc;
}

/* The <title> of an HTML body, for messages: "" if none. */
static void title_of(const char *body, char *out, size_t size)
{
	const char *t = strcasestr(body, "<title>"), *e;

	out[0] = '\0';
	if (t == NULL)
		return;
	t += 7;
	if ((e = strcasestr(t, "</title>")) == NULL)
		return;
	snprintf(out, size, "%.*s", (int)((size_t)(e - t) < 80 ? (e - t) : 80), t);
}

static int e_body(struct hc *c, const struct doc_node *want, int must, const struct http_resp *resp)
{
	const char *body = buf_cstr(&resp->body);
	char title[96];
	size_t i, n = want->type == DOC_SEQ ? want->n : 1;
	int rc = 0;

	title_of(body, title, sizeof(title));
	for (i = 0; i < n; i++) {
		const char *re = want->type == DOC_SEQ ? want->items[i]->text : want->text;
		char *exp, *seen;

		if (matches(re, body) == must)
			continue;
		exp = xasprintf("a body %s /%s/", must ? "matching" : "not matching", re);
		seen = xasprintf("%zu bytes%s%s%s%s", resp->body.len,
		                 must ? " without it" : " with it", *title ? " (title '" : "",
		                 title, *title ? "')" : "");
		rc = hc_fail(c, exp, seen, NULL);
		free(exp);
		free(seen);
	}
	return rc;
}

static int e_headers(struct hc *c, const struct doc_node *want, const struct http_resp *resp)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < want->n; i++) {
		const char *name = want->pairs[i].key->text, *re = want->pairs[i].value->text;
		char *v = http_resp_header(resp, name), *exp, *seen;

		if (v && matches(re, v)) {
			free(v);
			continue;
		}
		exp = xasprintf("%s: matching /%s/", name, re);
		seen = v ? xasprintf("%s: %s", name, v) : xasprintf("no %s header", name);
		rc = hc_fail(c, exp, seen, NULL);
		free(exp);
		free(seen);
		free(v);
	}
	return rc;
}

/* ---- assets ---------------------------------------------------------------- */

/* HTML's few entities a URL holds (&amp; above all); others kept as written. */
static char *unescape(const char *s, size_t len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''},
	            {"&lt;", '<'},  {"&gt;", '>'},   {"&#38;", '&'}};
	char *out = xmalloc(len + 1);
	size_t i = 0, o = 0, k;

	while (i < len) {
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t l = strlen(ents[k].ent);

			if (len - i >= l && strncasecmp(s + i, ents[k].ent, l) == 0) {
				out[o++] = ents[k].c;
				i += l;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			out[o++] = s[i++];
	}
	out[o] = '\0';
	return out;
}

/*
 * The attributes of the tag whose name ends at p (up to its '>'): the
 * values of a and b (NULL if absent; new strings). Returns the tag's end.
 */
static const char *tag_attrs(const char *p, const char *a, char **va, const char *b, char **vb)
{
	*va = *vb = NULL;
	for (;;) {
		const char *name, *v;
		size_t nl, vl;

		while (*p && strchr(" \t\r\n/", *p))
			p++;
		if (*p == '\0' || *p == '>')
			return p;
		name = p;
		while (*p && !strchr(" \t\r\n/=>", *p))
			p++;
		nl = (size_t)(p - name);
		while (*p && strchr(" \t\r\n", *p))
			p++;
		v = NULL;
		vl = 0;
		if (*p == '=') {
			p++;
			while (*p && strchr(" \t\r\n", *p))
				p++;
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				v = p;
				while (*p && *p != q)
					p++;
				vl = (size_t)(p - v);
				if (*p)
					p++;
			} else {
				v = p;
				while (*p && !strchr(" \t\r\n>", *p))
					p++;
				vl = (size_t)(p - v);
			}
		}
		if (v && nl == strlen(a) && strncasecmp(name, a, nl) == 0 && *va == NULL)
			*va = unescape(v, vl);
		else if (v && nl == strlen(b) && strncasecmp(name, b, nl) == 0 && *vb == NULL)
			*vb = unescape(v, vl);
	}
}

/* 1 if the URL's path (before ? or #) ends in ext. */
static int path_ends(const char *url, const char *ext)
{
	size_t n = strcspn(url, "?#"), l = strlen(ext);

	return n >= l && strncasecmp(url + n - l, ext, l) == 0;
}

/* "scheme://authority/" of an absolute URL: its length (0 if none). */
static size_t origin_len(const char *url)
{
	const char *a = strstr(url, "://");

	if (a == NULL)
		return 0;
	a += 3;
	return (size_t)(a - url) + strcspn(a, "/?#");
}

static int same_origin(const char *a, const char *b)
{
	size_t l = origin_len(a);

	return l > 0 && l == origin_len(b) && strncasecmp(a, b, l) == 0;
}

/* Add the link ref of page to v (n of at most max), resolved, once. */
static void link_add(struct check_http_link *v, size_t *n, size_t max, const char *page,
                     const char *ref, enum check_http_asset kind)
{
	char *url = http_url_resolve(page, ref);
	size_t i;

	if (url == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(v[i].url, url) == 0) {
			free(url);
			return;
		}
	if (*n >= max) {
		free(url);
		return;
	}
	v[*n].url = url;
	v[*n].kind = kind;
	v[*n].same_origin = same_origin(url, page);
	(*n)++;
}

size_t check_http_links(const char *html, const char *page_url, size_t max,
                        struct check_http_link **out)
{
	struct check_http_link *v = xcalloc(max ? max : 1, sizeof(*v));
	const char *p = html;
	size_t n = 0;

	while ((p = strchr(p, '<'))) {
		const char *e;
		char *x, *y;

		if (strncmp(p, "<!--", 4) == 0) {
			if ((e = strstr(p + 4, "-->")) == NULL)
				break;
			p = e + 3;
			continue;
		}
		if (strncasecmp(p, "<link", 5) == 0 && p[5] && strchr(" \t\r\n", p[5])) {
			p = tag_attrs(p + 5, "href", &x, "rel", &y);
			if (x && *x && ((y && strcasestr(y, "stylesheet")) || path_ends(x, ".css")))
				link_add(v, &n, max, page_url, x, CHECK_HTTP_CSS);
		} else if (strncasecmp(p, "<script", 7) == 0 && p[7] && strchr(" \t\r\n>", p[7])) {
			p = tag_attrs(p + 7, "src", &x, "type", &y);
			if (x && *x)
				link_add(v, &n, max, page_url, x, CHECK_HTTP_JS);
			/*
			 * A script's text is not HTML: "<script src=...>" in a
			 * string is no link. Unclosed, it runs to the end.
			 */
			if (*p && (e = strcasestr(p, "</script")) == NULL)
				p += strlen(p);
			else if (*p)
				p = e;
		} else {
			p++;
			continue;
		}
		free(x);
		free(y);
	}
	*out = v;
	return n;
}

void check_http_links_free(struct check_http_link *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].url);
	free(v);
}

/* The Content-Type an asset of kind may have (none said is fine). */
static int type_ok(enum check_http_asset kind, const char *ctype)
{
	if (ctype == NULL || *ctype == '\0')
		return 1;
	if (kind == CHECK_HTTP_CSS)
		return strncasecmp(ctype, "text/css", 8) == 0;
	return strcasestr(ctype, "javascript") || strcasestr(ctype, "ecmascript");
}

static const char asset_hint[] =
    "the page's CSS and JS resolve against its URL: behind a path prefix the proxy must map "
    "it (proxy_pass with its trailing slash) and the application must build its links under "
    "it (phpMyAdmin's PmaAbsoluteUri)";

static int e_assets(struct hc *c, const char *url, const struct http_resp *page)
{
	struct check_http_link *v = NULL;
	size_t n, i, fetched = 0;
	int rc = 0;

	n = check_http_links(buf_cstr(&page->body), url, HTTP_CHECK_ASSETS, &v);
	for (i = 0; i < n; i++)
		if (v[i].same_origin)
			fetched++;
		else
			check_evidence(c->cr, "  %s: another origin, not fetched", v[i].url);
	if (fetched == 0) {
		char *exp = xasprintf(
		    "%s links its CSS and JS (<link href=...css>, <script src=...>)", url);

		rc = hc_fail(c, exp, "a page that links none of its origin", NULL);
		free(exp);
	}
	for (i = 0; i < n; i++) {
		struct http_resp resp = HTTP_RESP_INIT(HTTP_CHECK_BODY);
		struct err err = {0};
		char *ctype = NULL, *st, *exp;
		double ms;

		if (check_cancelled(c->cr))
			break;
		if (!v[i].same_origin)
			continue;
		if (hc_send(c, NULL, v[i].url, NULL, NULL, &resp, &ms, &err) < 0) {
			check_evidence(c->cr, "  GET %s -> %s", v[i].url, err.msg);
			rc = hc_transport_fail(c, v[i].url, &err);
			http_resp_release(&resp);
			continue;
		}
		st = status_text(&resp);
		ctype = http_resp_header(&resp, "Content-Type");
		check_evidence(c->cr, "  GET %s -> %s, %s, %zu bytes (%.0f ms)", v[i].url, st,
		               ctype ? ctype : "no Content-Type", resp.body.len, ms);
		exp = xasprintf("%s -> 200 (%s)", v[i].url,
		                v[i].kind == CHECK_HTTP_CSS ? "text/css" : "JavaScript");
		if (resp.status != 200) {
			rc = hc_fail(c, exp, st, asset_hint);
		} else if (!type_ok(v[i].kind, ctype)) {
			char *seen = xasprintf("200 with Content-Type %s", ctype);

			rc = hc_fail(c, exp, seen, asset_hint);
			free(seen);
		}
		free(exp);
		free(ctype);
		free(st);
		http_resp_release(&resp);
	}
	check_http_links_free(v, n);
	return rc;
}

/*
 * The answer's header lines as evidence ("  < Name: value"), at most 40
 * of 200 characters each; a cookie's value is not shown (a session is
 * as good as a password while it lasts).
 */
static void head_evidence(struct check_run *cr, const struct http_resp *resp)
{
	const char *p = resp->head.data ? resp->head.data : "";
	int shown = 0;

	while (*p && shown < 40) {
		size_t l = strcspn(p, "\r\n");

		if (l && strncmp(p, "HTTP/", 5) != 0) {
			if (l > 11 && strncasecmp(p, "set-cookie:", 11) == 0) {
				size_t name = strcspn(p + 11, "=;");

				check_evidence(cr, "  < %.*s=(value not shown)",
				               (int)(11 + (name < 64 ? name : 64)), p);
			} else {
				check_evidence(cr, "  < %.*s", (int)(l < 200 ? l : 200), p);
			}
			shown++;
		}
		p += l;
		while (*p == '\r' || *p == '\n')
			p++;
	}
}

/* ---- one request ------------------------------------------------------------ */

static int run_request(struct hc *c, const struct doc_node *rq)
{
	const struct doc_node *e = doc_map_get(rq, "expect"), *n, *hn = doc_map_get(rq, "headers");
	const char *url = doc_map_get(rq, "url")->text;
	const char *method = (n = doc_map_get(rq, "method")) ? n->text : "GET";
	const char *body = (n = doc_map_get(rq, "body")) ? n->text : NULL;
	struct http_resp resp = HTTP_RESP_INIT(HTTP_CHECK_BODY);
	const char **headers = NULL;
	struct err err = {0};
	char *st = NULL, *loc = NULL;
	double ms;
	size_t i;
	int rc = 0;

	c->hint = (n = doc_map_get(rq, "hint")) ? n->text : NULL;
	c->tls = tls_of(rq);
	if (c->tls == TLS_STACK && c->cr->env->tls_cert == NULL) {
		check_evidence(c->cr, "%s %s: not sent (no stack certificate to trust)", method,
		               url);
		return check_fail(c->cr, "the stack's own TLS certificate, to trust it alone",
		                  "no service/tls-cert.pem in the state",
		                  "ftboot up makes the stack's certificate; is the state this "
		                  "stack's?");
	}
	if (hn) {
		headers = xcalloc(hn->n + 1, sizeof(*headers));
		for (i = 0; i < hn->n; i++)
			headers[i] = hn->items[i]->text;
	}
	if (hc_send(c, method, url, headers, body, &resp, &ms, &err) < 0) {
		check_evidence(c->cr, "%s %s -> %s (%.0f ms)", method, url, err.msg, ms);
		rc = hc_transport_fail(c, url, &err);
		goto out;
	}
	st = status_text(&resp);
	loc = http_resp_header(&resp, "Location");
	check_evidence(c->cr, "%s %s -> %s%s%s%s (%.0f ms)", method, url, st,
	               loc ? ", Location: " : "", loc ? loc : "",
	               c->tls == TLS_UNVERIFIED ? ", TLS not verified (tls: unverified)" : "", ms);
	head_evidence(c->cr, &resp);
	if (e_status(c, doc_map_get(e, "status"), &resp, url) < 0)
		rc = -1;
	if ((n = doc_map_get(e, "location")) && e_location(c, n, &resp) < 0)
		rc = -1;
	if ((n = doc_map_get(e, "body")) && e_body(c, n, 1, &resp) < 0)
		rc = -1;
	if ((n = doc_map_get(e, "body_not")) && e_body(c, n, 0, &resp) < 0)
		rc = -1;
	if ((n = doc_map_get(e, "headers")) && e_headers(c, n, &resp) < 0)
		rc = -1;
	if ((n = doc_map_get(e, "assets")) && n->b && resp.status >= 200 && resp.status < 300 &&
	    e_assets(c, url, &resp) < 0)
		rc = -1;
out:
	free(st);
	free(loc);
	free(headers);
	http_resp_release(&resp);
	return rc;
}

static int http_run(struct check_run *cr)
{
	const struct doc_node *list = check_key(cr, "requests");
	struct hc c = {cr, http_new(), NULL, TLS_VERIFY};
	size_t i;
	int rc = 0;

	for (i = 0; i < list->n && !check_cancelled(cr); i++)
		if (run_request(&c, list->items[i]) < 0)
			rc = -1;
	http_free(c.h);
	return rc;
}

const struct check_kind check_kind_http = {"http", http_keys, http_validate, http_run};
