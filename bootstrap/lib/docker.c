/*
 * docker: the Docker Engine API client (docker.h) over http.c: the host
 * forms it accepts (unix socket, or TCP with mutual TLS only), version
 * negotiation, the classic builder's JSON-lines stream, images, exec and
 * its multiplexed stream. Every failed answer becomes "HTTP NNN: <the
 * engine's own message>" under what was asked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc.h"
#include "docker.h"
#include "mono.h"
#include "text.h"
#include "xmem.h"

#define DOCKER_PING_MS      10000UL
#define DOCKER_CALL_MS      60000UL /* an API call that is not a build or exec */
#define DOCKER_BUILD_IDLE   (10UL * 60 * 1000)
#define DOCKER_BUILD_TOTAL  (2UL * 60 * 60 * 1000)
#define DOCKER_EXEC_MS      60000UL
#define DOCKER_LINE_MAX     (1024 * 1024) /* one line of the build stream */
#define DOCKER_ANSWER_MAX   (16 * 1024 * 1024)
#define DOCKER_ERRBODY_MAX  (64 * 1024)
#define DOCKER_ENGINE_MSG   1024 /* the engine's message, in our messages */
#define DOCKER_EXEC_POLL_MS 20

struct docker {
	struct http *http;
	char *host; /* as given, for messages */
	char *base; /* "http://localhost" (unix socket) or "https://HOST:PORT" */
	char *sock;
	char *ca, *cert, *key;
	char api[32];
	char *version;
};

/* ---- helpers ------------------------------------------------------------- */

static long long docker_now_ms(void)
{
	return (long long)(mono_now() * 1000);
}

/* The engine's words, safe in a message: control bytes as spaces, at most DOCKER_ENGINE_MSG. */
static void docker_clean(const char *s, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[n++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The kind an HTTP status of the engine means. */
static enum err_kind docker_status_kind(long status)
{
	switch (status) {
	case 400:
		return ERRK_INVALID;
	case 401:
	case 403:
		return ERRK_DENIED;
	case 404:
		return ERRK_NOTFOUND;
	case 409:
		return ERRK_EXISTS;
	case 501:
		return ERRK_UNSUPPORTED;
	case 503:
		return ERRK_TRANSIENT;
	default:
		return ERRK_OTHER;
	}
}

/* "HTTP NNN: <the engine's message>" from a failed answer ({"message": ...}). */
static int docker_status_fail(const struct http_resp *r, struct err *err)
{
	char msg[DOCKER_ENGINE_MSG];
	struct doc_node *root = NULL, *m;
	struct err ignore;

	if (doc_parse_json("answer", buf_cstr(&r->body), r->body.len, &root, &ignore) == 0 &&
	    (m = doc_map_get(root, "message")) != NULL && m->type == DOC_STR)
		docker_clean(m->text, m->len, msg, sizeof(msg));
	else
		docker_clean(buf_cstr(&r->body), r->body.len, msg, sizeof(msg));
	doc_free(root);
	if (msg[0] == '\0')
		return err_setk(err, docker_status_kind(r->status), "HTTP %ld (no message)",
		                r->status);
	return err_setk(err, docker_status_kind(r->status), "HTTP %ld: %s", r->status, msg);
}

static void docker_req_init(const struct docker *d, struct http_req *req, const char *url)
{
	memset(req, 0, sizeof(*req));
	req->url = url;
	req->unix_socket = d->sock;
	req->ca.file = d->ca;
	req->cert.file = d->cert;
	req->key.file = d->key;
}

/*
 * method url, or path under /vAPI (docker_call), with an optional JSON body; a 2xx answer's
 * JSON into *out when out is not NULL. -1 with err "HTTP NNN: message"
 * (its kind from the status) or the transport's error; the caller wraps
 * it with what it asked.
 */
static int docker_call_url(struct docker *d, const char *method, const char *url,
                           const struct doc_node *body, unsigned long total_ms,
                           struct doc_node **out, struct err *err)
{
	static const char *const json_headers[] = {"Content-Type: application/json", NULL};
	struct http_resp resp = HTTP_RESP_INIT(DOCKER_ANSWER_MAX);
	struct buf payload = BUF_INIT(DOCKER_ANSWER_MAX);
	struct http_req req;
	int rc = -1;

	docker_req_init(d, &req, url);
	req.method = method;
	req.total_ms = total_ms ? total_ms : DOCKER_CALL_MS;
	if (body) {
		if (doc_emit_json(body, &payload, err) < 0)
			goto out;
		req.headers = json_headers;
		req.body = buf_cstr(&payload);
		req.body_len = payload.len;
	}
	if (http_request(d->http, &req, &resp, err) < 0)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		docker_status_fail(&resp, err);
		goto out;
	}
	if (out && doc_parse_json("the engine's answer", buf_cstr(&resp.body), resp.body.len, out,
	                          err) < 0)
		goto out;
	rc = 0;
out:
	http_resp_release(&resp);
	buf_release(&payload);
	return rc;
}

static int docker_call(struct docker *d, const char *method, const char *path,
                       const struct doc_node *body, unsigned long total_ms, struct doc_node **out,
                       struct err *err)
{
	char *url = xasprintf("%s/v%s%s", d->base, d->api, path);
	int rc = docker_call_url(d, method, url, body, total_ms, out, err);

	free(url);
	return rc;
}

static const char *docker_str(const struct doc_node *map, const char *key)
{
	const struct doc_node *v = doc_map_get(map, key);

	return v && v->type == DOC_STR ? v->text : NULL;
}

/* A map of "key", "value", ..., NULL as JSON, or -1 for a key without a value. */
static int docker_pairs_json(const char *const *kv, const char *what, struct buf *out,
                             struct err *err)
{
	struct doc_node *map = doc_new(DOC_MAP);
	char q[80];
	int rc = -1;
	size_t i;

	for (i = 0; kv[i]; i += 2) {
		if (!kv[i + 1]) {
			text_quote(kv[i], strlen(kv[i]), q, sizeof(q));
			err_setk(err, ERRK_INVALID, "%s '%s' has no value", what, q);
			goto out;
		}
		doc_map_set(map, kv[i], doc_new_str(kv[i + 1]));
	}
	rc = doc_emit_json(map, out, err);
out:
	doc_free(map);
	return rc;
}

/* ---- connecting -------------------------------------------------------- */

/* "1.41" as 1041; -1 if it is not MAJOR.MINOR. */
static long docker_api_num(const char *s)
{
	char *end;
	long major, minor;

	errno = 0;
	major = strtol(s, &end, 10);
	if (end == s || *end != '.' || errno || major < 0 || major > 99)
		return -1;
	s = end + 1;
	minor = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno || minor < 0 || minor > 999)
		return -1;
	return major * 1000 + minor;
}

/* HOST:PORT of a tcp:// host into "https://HOST:PORT"; -1 if it is not that. */
static int docker_tcp_base(const char *hp, char **base)
{
	const char *colon, *p;
	char *end;
	long port;

	if (hp[0] == '[') {
		colon = strchr(hp, ']');
		if (!colon || colon == hp + 1 || colon[1] != ':')
			return -1;
		for (p = hp + 1; p < colon; p++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				return -1;
		colon++;
	} else {
		colon = strrchr(hp, ':');
		if (!colon || colon == hp)
			return -1;
		for (p = hp; p < colon; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				return -1;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno || port < 1 || port > 65535)
		return -1;
	*base = xasprintf("https://%.*s:%ld", (int)(colon - hp), hp, port);
	return 0;
}

/* Where the engine is: d->base and d->sock from e->host. */
static int docker_parse_host(struct docker *d, const struct docker_engine *e, struct err *err)
{
	const char *h = e->host;
	char q[80];

	if (!h || !*h)
		return err_setk(err, ERRK_INVALID,
		                "no engine host given (unix:///PATH or tcp://HOST:PORT)");
	text_quote(h, strlen(h), q, sizeof(q));
	if (strncmp(h, "unix://", 7) == 0) {
		if (h[7] != '/')
			return err_setk(err, ERRK_INVALID,
			                "engine host '%s': the socket path must be absolute "
			                "(unix:///run/docker.sock)",
			                q);
		d->sock = xstrdup(h + 7);
		d->base = xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(h, "tcp://", 6) == 0) {
		if (!e->ca || !*e->ca || !e->cert || !*e->cert || !e->key || !*e->key)
			return err_setk(
			    err, ERRK_INVALID,
			    "engine host '%s': tcp:// needs TLS: give the CA, the client "
			    "certificate and its key (ftboot never talks to an engine "
			    "over plain TCP)",
			    q);
		if (docker_tcp_base(h + 6, &d->base) < 0)
			return err_setk(err, ERRK_INVALID,
			                "engine host '%s' is not tcp://HOST:PORT (a name or an "
			                "address, and a port from 1 to 65535)",
			                q);
		d->ca = xstrdup(e->ca);
		d->cert = xstrdup(e->cert);
		d->key = xstrdup(e->key);
		return 0;
	}
	return err_setk(err, ERRK_INVALID,
	                "engine host '%s': only unix:///PATH and tcp://HOST:PORT (with mutual "
	                "TLS) are accepted; plain http:// and unverified TLS are refused",
	                q);
}

/* Say what to do about an engine that cannot be reached. */
static int docker_reach_fail(const struct docker *d, struct err *err)
{
	char q[80];

	text_quote(d->host, strlen(d->host), q, sizeof(q));
	err_wrap(err, "cannot reach the engine at '%s'", q);
	switch (err->kind) {
	case ERRK_TRANSIENT:
		return err_suffix(err, "; is the engine running at '%s'?", q);
	case ERRK_TIMEOUT:
		return err_suffix(err, "; is the engine at '%s' stuck, or its port filtered?", q);
	case ERRK_DENIED:
		return err_suffix(err,
		                  "; the engine's certificate must come from the CA '%s', and the "
		                  "engine must trust that CA for ftboot's client certificate",
		                  d->ca ? d->ca : "?");
	default:
		return -1;
	}
}

/* GET /_ping (unversioned): the engine's Api-Version, the lower of it and ours into d->api. */
static int docker_ping(struct docker *d, unsigned long ping_ms, struct err *err)
{
	struct http_resp resp = HTTP_RESP_INIT(DOCKER_ERRBODY_MAX);
	char *url = xasprintf("%s/_ping", d->base), *v = NULL, q[80], vq[40];
	struct http_req req;
	long have, max = docker_api_num(DOCKER_API_MAX), min = docker_api_num(DOCKER_API_MIN);
	int rc = -1;

	text_quote(d->host, strlen(d->host), q, sizeof(q));
	docker_req_init(d, &req, url);
	req.total_ms = ping_ms ? ping_ms : DOCKER_PING_MS;
	if (http_request(d->http, &req, &resp, err) < 0) {
		docker_reach_fail(d, err);
		goto out;
	}
	if (resp.status != 200) {
		docker_status_fail(&resp, err);
		err_wrap(err, "ping the engine at '%s'", q);
		goto out;
	}
	v = http_resp_header(&resp, "Api-Version");
	if (!v) {
		err_setk(err, ERRK_INVALID,
		         "the engine at '%s' answered /_ping without an Api-Version header; is it "
		         "a Docker engine?",
		         q);
		goto out;
	}
	text_quote(v, strlen(v), vq, sizeof(vq));
	have = docker_api_num(v);
	if (have < 0) {
		err_setk(err, ERRK_INVALID, "the engine at '%s' gave API version '%s', not N.N", q,
		         vq);
		goto out;
	}
	if (have < min) {
		err_setk(
		    err, ERRK_UNSUPPORTED,
		    "the engine at '%s' speaks Docker API %s, older than %s, the oldest ftboot "
		    "speaks; upgrade the engine",
		    q, vq, DOCKER_API_MIN);
		goto out;
	}
	if (have > max)
		have = max;
	snprintf(d->api, sizeof(d->api), "%d.%d", (int)(have / 1000), (int)(have % 1000));
	rc = 0;
out:
	free(v);
	free(url);
	http_resp_release(&resp);
	return rc;
}

int docker_open(const struct docker_engine *e, unsigned long ping_ms, struct docker **out,
                struct err *err)
{
	struct docker *d = xcalloc(1, sizeof(*d));
	struct doc_node *ver = NULL;
	const char *v;
	char q[80], *url;
	int rc;

	*out = NULL;
	d->host = xstrdup(e->host ? e->host : "");
	if (docker_parse_host(d, e, err) < 0)
		goto fail;
	d->http = http_new();
	if (docker_ping(d, ping_ms, err) < 0)
		goto fail;
	text_quote(d->host, strlen(d->host), q, sizeof(q));
	/* Unversioned: an engine answers it whatever API versions it takes. */
	url = xasprintf("%s/version", d->base);
	rc = docker_call_url(d, "GET", url, NULL, ping_ms ? ping_ms : DOCKER_PING_MS, &ver, err);
	free(url);
	if (rc < 0) {
		err_wrap(err, "ask the engine at '%s' its version", q);
		goto fail;
	}
	v = docker_str(ver, "Version");
	d->version = xstrdup(v ? v : "unknown");
	v = docker_str(ver, "MinAPIVersion");
	if (v && docker_api_num(v) > docker_api_num(d->api)) {
		char vq[40];

		text_quote(v, strlen(v), vq, sizeof(vq));
		err_setk(err, ERRK_UNSUPPORTED,
		         "the engine at '%s' (Docker %s) takes Docker API %s or later only, and "
		         "ftboot speaks %s to %s",
		         q, d->version, vq, DOCKER_API_MIN, DOCKER_API_MAX);
		goto fail;
	}
	doc_free(ver);
	*out = d;
	return 0;
fail:
	doc_free(ver);
	docker_close(d);
	return -1;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	http_free(d->http);
	free(d->host);
	free(d->base);
	free(d->sock);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d->version);
	free(d);
}

const char *docker_api_version(const struct docker *d)
{
	return d->api;
}

const char *docker_server_version(const struct docker *d)
{
	return d->version;
}

int docker_ncpu(struct docker *d, int *ncpu, struct err *err)
{
	struct doc_node *info = NULL, *n;
	int rc = -1;

	if (docker_call(d, "GET", "/info", NULL, 0, &info, err) < 0) {
		err_wrap(err, "ask the engine its CPU count");
		goto out;
	}
	n = doc_map_get(info, "NCPU");
	if (!n || n->type != DOC_INT || n->i < 1 || n->i > 1 << 20) {
		err_setk(err, ERRK_INVALID, "ask the engine its CPU count: no NCPU in /info");
		goto out;
	}
	*ncpu = (int)n->i;
	rc = 0;
out:
	doc_free(info);
	return rc;
}

/* ---- the build stream ---------------------------------------------------- */

struct docker_stream {
	docker_build_fn event;
	void *ctx;
	struct buf line; /* the JSON line being read */
	struct buf out;  /* "stream" text not yet ended by a newline */
	unsigned long lineno;
	char *step; /* the last "Step N/M : ..." line */
	char *id;
	int done; /* 1 cancelled, -1 failed: later feeds say the same */
	struct err done_err;
};

struct docker_stream *docker_stream_new(docker_build_fn event, void *ctx)
{
	struct docker_stream *s = xcalloc(1, sizeof(*s));

	s->event = event;
	s->ctx = ctx;
	buf_init(&s->line, DOCKER_LINE_MAX);
	buf_init(&s->out, DOCKER_LINE_MAX);
	return s;
}

void docker_stream_free(struct docker_stream *s)
{
	if (!s)
		return;
	buf_release(&s->line);
	buf_release(&s->out);
	free(s->step);
	free(s->id);
	free(s);
}

const char *docker_stream_id(const struct docker_stream *s)
{
	return s->id;
}

static int docker_emit(struct docker_stream *s, enum docker_build_ev ev, const char *text)
{
	return s->event && s->event(s->ctx, ev, text) ? 1 : 0;
}

/* 1 if line is "Step N/M : ...". */
static int docker_is_step(const char *line)
{
	const char *p = line + 5;

	if (strncmp(line, "Step ", 5) != 0 || *p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '/' || *p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strncmp(p, " : ", 3) == 0;
}

/* 1 if an image id the engine gave is one printable word ("sha256:..."). */
static int docker_is_id(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F)
			return 0;
	return len > 0;
}

/* One output line (NUL-terminated at len): a step, output, maybe the id. */
static int docker_out_line(struct docker_stream *s, char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (docker_is_step(line)) {
		free(s->step);
		s->step = xstrdup(line);
		return docker_emit(s, DOCKER_EV_STEP, line);
	}
	if (!s->id && strncmp(line, "Successfully built ", 19) == 0 &&
	    docker_is_id(line + 19, len - 19))
		s->id = xstrdup(line + 19);
	return docker_emit(s, DOCKER_EV_OUTPUT, line);
}

/* The lines ended in s->out, reported; the rest kept. With flush, the rest too. */
static int docker_out_lines(struct docker_stream *s, int flush)
{
	size_t start = 0, i;
	int rc = 0;

	for (i = 0; i < s->out.len && rc == 0; i++) {
		if (s->out.data[i] != '\n')
			continue;
		s->out.data[i] = '\0';
		rc = docker_out_line(s, s->out.data + start, i - start);
		start = i + 1;
	}
	if (rc == 0 && flush && start < s->out.len) {
		rc = docker_out_line(s, s->out.data + start, s->out.len - start);
		start = s->out.len;
	}
	if (start > 0) {
		memmove(s->out.data, s->out.data + start, s->out.len - start);
		s->out.len -= start;
		s->out.data[s->out.len] = '\0';
	}
	return rc;
}

/* "stream" text: appended, its ended lines reported (a too long one is cut into pieces). */
static int docker_stream_text(struct docker_stream *s, const char *t, size_t len)
{
	size_t room, n;
	int rc = 0;

	while (len > 0 && rc == 0) {
		room = s->out.limit - s->out.len;
		n = len < room ? len : room;
		buf_add(&s->out, t, n);
		t += n;
		len -= n;
		rc = docker_out_lines(s, s->out.len == s->out.limit);
	}
	return rc;
}

/* The last step's line, safe in a message, into out; NULL when no step came. */
static const char *docker_step_shown(const struct docker_stream *s, char *out, size_t size)
{
	if (!s->step)
		return NULL;
	docker_clean(s->step, strlen(s->step), out, size);
	return out;
}

/* The error a line reported, with the step it happened in. */
static int docker_stream_error(struct docker_stream *s, const struct doc_node *root,
                               struct err *err)
{
	const struct doc_node *detail = doc_map_get(root, "errorDetail");
	const struct doc_node *m = doc_map_get(detail, "message");
	char msg[DOCKER_ENGINE_MSG], step[DOCKER_ENGINE_MSG];

	if (!m || m->type != DOC_STR || m->len == 0)
		m = doc_map_get(root, "error");
	if (m && m->type == DOC_STR && m->len > 0)
		docker_clean(m->text, m->len, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "the engine reported an error without a message");
	docker_out_lines(s, 1);
	if (docker_step_shown(s, step, sizeof(step)))
		return err_setk(err, ERRK_OTHER, "%s: %s", step, msg);
	return err_setk(err, ERRK_OTHER, "%s", msg);
}

/* One complete line of the stream: 0, 1 (cancelled) or -1. */
static int docker_stream_line(struct docker_stream *s, const char *text, size_t len,
                              struct err *err)
{
	struct doc_node *root = NULL, *v, *id;
	char name[64];
	size_t i;
	int rc = 0;

	s->lineno++;
	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
			break;
	if (i == len)
		return 0;
	snprintf(name, sizeof(name), "build stream line %lu", s->lineno);
	if (doc_parse_json(name, text, len, &root, err) < 0)
		return -1;
	if (root->type != DOC_MAP) {
		rc = err_setk(err, ERRK_INVALID, "%s: %s, not an object", name,
		              doc_type_name(root->type));
		goto out;
	}
	if (doc_map_get(root, "error") || doc_map_get(root, "errorDetail")) {
		rc = docker_stream_error(s, root, err);
		goto out;
	}
	v = doc_map_get(root, "stream");
	if (v && v->type == DOC_STR && (rc = docker_stream_text(s, v->text, v->len)) != 0)
		goto out;
	v = doc_map_get(root, "status");
	if (v && v->type == DOC_STR) {
		for (i = 0; i < v->len; i++) /* one line, as output lines are */
			if (v->text[i] == '\n' || v->text[i] == '\r')
				v->text[i] = ' ';
		if ((rc = docker_emit(s, DOCKER_EV_STATUS, v->text)) != 0)
			goto out;
	}
	v = doc_map_get(root, "aux");
	id = doc_map_get(v, "ID");
	if (id && id->type == DOC_STR && docker_is_id(id->text, id->len)) {
		free(s->id);
		s->id = xstrdup(id->text);
		rc = docker_emit(s, DOCKER_EV_ID, id->text);
	}
out:
	doc_free(root);
	return rc;
}

/* Remember how the stream ended, so later calls say the same. */
static int docker_stream_done(struct docker_stream *s, int rc, struct err *err)
{
	if (rc == 0)
		return 0;
	s->done = rc;
	if (rc < 0)
		s->done_err = *err;
	return rc;
}

static int docker_stream_again(const struct docker_stream *s, struct err *err)
{
	if (s->done < 0)
		*err = s->done_err;
	return s->done;
}

int docker_stream_feed(struct docker_stream *s, const char *data, size_t len, struct err *err)
{
	const char *nl;
	size_t n;
	int rc;

	if (s->done)
		return docker_stream_again(s, err);
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) : len;
		if (buf_add(&s->line, data, n) < 0) {
			err_setk(err, ERRK_INVALID,
			         "build stream line %lu is longer than %d bytes; is it a Docker "
			         "engine's build output?",
			         s->lineno + 1, DOCKER_LINE_MAX);
			return docker_stream_done(s, -1, err);
		}
		if (!nl)
			break;
		data += n + 1;
		len -= n + 1;
		rc = docker_stream_line(s, buf_cstr(&s->line), s->line.len, err);
		buf_reset(&s->line);
		if (rc)
			return docker_stream_done(s, rc, err);
	}
	return 0;
}

int docker_stream_end(struct docker_stream *s, struct err *err)
{
	int rc;

	if (s->done)
		return docker_stream_again(s, err);
	rc = docker_stream_line(s, buf_cstr(&s->line), s->line.len, err);
	buf_reset(&s->line);
	if (rc == 0)
		rc = docker_out_lines(s, 1);
	return docker_stream_done(s, rc, err);
}

/* ---- build --------------------------------------------------------------- */

struct docker_build_x {
	struct docker_stream *s;
	struct err serr; /* the stream's error */
	int failed, cancelled;
};

static int docker_build_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct docker_build_x *x = ctx;
	int rc = docker_stream_feed(x->s, data, len, &x->serr);

	(void)err;
	if (rc < 0)
		x->failed = 1;
	else if (rc > 0)
		x->cancelled = 1;
	return rc ? 1 : 0; /* stop: the connection closes, the engine ends the build */
}

/* "&name=value" with value URL-encoded; -1 past q's limit. */
static int docker_query_add(struct buf *q, const char *name, const char *value)
{
	char *enc = text_url_encode(value, NULL);
	int rc = buf_addf(q, "&%s=%s", name, enc);

	free(enc);
	return rc;
}

/* "&name=<the pairs kv as a JSON object, URL-encoded>". */
static int docker_query_pairs(struct buf *q, const char *name, const char *const *kv,
                              const char *what, struct err *err)
{
	struct buf json = BUF_INIT(DOCKER_LINE_MAX);
	int rc = docker_pairs_json(kv, what, &json, err);

	if (rc == 0 && docker_query_add(q, name, buf_cstr(&json)) < 0)
		rc = err_setk(err, ERRK_INVALID, "the %ss pass %zu bytes", what, q->limit);
	buf_release(&json);
	return rc;
}

/* The query of POST /build. */
static int docker_build_query(const struct docker_build_opts *o, struct buf *q, struct err *err)
{
	/* version=1: the classic builder (JSON lines), not BuildKit (a session). */
	int rc = buf_addstr(q, "/build?version=1&rm=1&forcerm=1");
	size_t i;

	if (o->nocache)
		rc |= buf_addstr(q, "&nocache=1");
	for (i = 0; o->tags && o->tags[i]; i++)
		rc |= docker_query_add(q, "t", o->tags[i]);
	if (o->dockerfile)
		rc |= docker_query_add(q, "dockerfile", o->dockerfile);
	if (rc < 0)
		return err_setk(err, ERRK_INVALID, "the tags and Dockerfile name pass %zu bytes",
		                q->limit);
	if (o->labels && docker_query_pairs(q, "labels", o->labels, "label", err) < 0)
		return -1;
	if (o->buildargs &&
	    docker_query_pairs(q, "buildargs", o->buildargs, "build argument", err) < 0)
		return -1;
	return 0;
}

int docker_build(struct docker *d, const struct docker_build_opts *o, char **id, struct err *err)
{
	static const char *const headers[] = {"Content-Type: application/x-tar", NULL};
	struct http_resp resp = HTTP_RESP_INIT(DOCKER_ERRBODY_MAX);
	struct docker_build_x x = {0};
	struct buf query = BUF_INIT(256 * 1024);
	struct http_req req;
	char what[96], step[DOCKER_ENGINE_MSG], *url = NULL;
	int rc = -1;

	*id = NULL;
	if (o->tags && o->tags[0]) {
		char q[80];

		text_quote(o->tags[0], strlen(o->tags[0]), q, sizeof(q));
		snprintf(what, sizeof(what), "build '%s'", q);
	} else {
		snprintf(what, sizeof(what), "build");
	}
	if (!o->read) {
		err_setk(err, ERRK_INVALID, "%s: no build context", what);
		goto out;
	}
	if (docker_build_query(o, &query, err) < 0) {
		err_wrap(err, "%s", what);
		goto out;
	}
	url = xasprintf("%s/v%s%s", d->base, d->api, buf_cstr(&query));
	x.s = docker_stream_new(o->event, o->event_ctx);
	docker_req_init(d, &req, url);
	req.method = "POST";
	req.headers = headers;
	req.read_fn = o->read;
	req.read_ctx = o->read_ctx;
	req.read_len = -1;
	req.write_fn = docker_build_write;
	req.write_ctx = &x;
	req.cancel_fn = o->cancel;
	req.cancel_ctx = o->event_ctx;
	req.idle_ms = o->idle_ms ? o->idle_ms : DOCKER_BUILD_IDLE;
	req.total_ms = o->total_ms ? o->total_ms : DOCKER_BUILD_TOTAL;
	if (http_request(d->http, &req, &resp, err) < 0) {
		err_wrap(err, "%s", what);
		if (docker_step_shown(x.s, step, sizeof(step)))
			err_suffix(err, " (during %s)", step);
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		docker_status_fail(&resp, err);
		err_wrap(err, "%s", what);
		goto out;
	}
	if (x.failed) {
		*err = x.serr;
		err_wrap(err, "%s", what);
		goto out;
	}
	if (x.cancelled) {
		err_setk(err, ERRK_OTHER, "%s: cancelled", what);
		goto out;
	}
	if (docker_stream_end(x.s, err) != 0) {
		if (x.s->done > 0)
			err_setk(err, ERRK_OTHER, "%s: cancelled", what);
		else
			err_wrap(err, "%s", what);
		goto out;
	}
	if (!docker_stream_id(x.s)) {
		err_setk(err, ERRK_INVALID, "%s: the engine's answer ended without an image id%s%s",
		         what, x.s->step ? " after " : "",
		         docker_step_shown(x.s, step, sizeof(step)) ? step : "");
		goto out;
	}
	*id = xstrdup(docker_stream_id(x.s));
	rc = 0;
out:
	docker_stream_free(x.s);
	http_resp_release(&resp);
	buf_release(&query);
	free(url);
	return rc;
}

/* ---- images ------------------------------------------------------------ */

/* "2026-12-01T15:51:56.123456789Z" as Unix time; 0 if it is not that. */
static long long docker_time(const char *s)
{
	struct tm tm = {0};
	int y, mo, da, h, mi, se, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &da, &h, &mi, &se, &n) != 6 ||
	    n == 0)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (long long)timegm(&tm);
}

/* A list of strings (NULL-terminated) from a sequence's strings; labels from a map. */
static char **docker_strv(const struct doc_node *n)
{
	char **v;
	size_t i, k = 0;

	if (!n || (n->type != DOC_SEQ && n->type != DOC_MAP))
		return xcalloc(1, sizeof(char *));
	v = xcalloc(n->n * 2 + 1, sizeof(char *));
	for (i = 0; i < n->n; i++) {
		if (n->type == DOC_SEQ) {
			if (n->items[i]->type == DOC_STR)
				v[k++] = xstrdup(n->items[i]->text);
		} else if (n->pairs[i].value->type == DOC_STR) {
			v[k++] = xstrdup(n->pairs[i].key->text);
			v[k++] = xstrdup(n->pairs[i].value->text);
		}
	}
	return v;
}

/* An image from inspect's or list's object. */
static int docker_image_of(const struct doc_node *n, struct docker_image *img, struct err *err)
{
	const struct doc_node *labels, *size, *created;
	const char *id = docker_str(n, "Id");

	memset(img, 0, sizeof(*img));
	if (!id)
		return err_setk(err, ERRK_INVALID, "an image without an Id in the engine's answer");
	img->id = xstrdup(id);
	img->tags = docker_strv(doc_map_get(n, "RepoTags"));
	labels = doc_map_get(n, "Labels");
	if (!labels)
		labels = doc_map_get(doc_map_get(n, "Config"), "Labels");
	img->labels = docker_strv(labels);
	size = doc_map_get(n, "Size");
	img->size = size && size->type == DOC_INT ? size->i : 0;
	created = doc_map_get(n, "Created");
	if (created && created->type == DOC_INT)
		img->created = created->i;
	else if (created && created->type == DOC_STR)
		img->created = docker_time(created->text);
	return 0;
}

/* "/images/REF" + tail: the ref's / : @ kept (the engine's router takes them), the rest encoded. */
static char *docker_ref_path(const char *ref, const char *tail)
{
	char *enc = text_url_encode(ref, "/:@"), *path = xasprintf("/images/%s%s", enc, tail);

	free(enc);
	return path;
}

int docker_image_inspect(struct docker *d, const char *ref, struct docker_image *out,
                         struct err *err)
{
	struct doc_node *root = NULL;
	char *path = docker_ref_path(ref, "/json"), q[80];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	text_quote(ref, strlen(ref), q, sizeof(q));
	if (!*ref) {
		err_setk(err, ERRK_INVALID, "inspect image '': an empty reference");
		goto out;
	}
	if (docker_call(d, "GET", path, NULL, 0, &root, err) < 0 ||
	    docker_image_of(root, out, err) < 0) {
		err_wrap(err, "inspect image '%s'", q);
		goto out;
	}
	rc = 0;
out:
	doc_free(root);
	free(path);
	return rc;
}

const char *docker_image_label(const struct docker_image *img, const char *key)
{
	size_t i;

	for (i = 0; img->labels && img->labels[i] && img->labels[i + 1]; i += 2)
		if (strcmp(img->labels[i], key) == 0)
			return img->labels[i + 1];
	return NULL;
}

/* GET path: the engine's answer, a list, into *root (caller frees). */
static int docker_get_list(struct docker *d, const char *path, struct doc_node **root,
                           struct err *err)
{
	if (docker_call(d, "GET", path, NULL, 0, root, err) < 0)
		return -1;
	if ((*root)->type != DOC_SEQ)
		return err_setk(err, ERRK_INVALID, "the engine's answer is %s, not a list",
		                doc_type_name((*root)->type));
	return 0;
}

int docker_image_list(struct docker *d, const char *label, struct docker_image **out, size_t *n,
                      struct err *err)
{
	struct doc_node *root = NULL, *filters = NULL, *seq;
	struct buf json = BUF_INIT(DOCKER_LINE_MAX);
	struct docker_image *v = NULL;
	char *path = NULL, *enc;
	size_t i, k = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (label) {
		filters = doc_new(DOC_MAP);
		seq = doc_new(DOC_SEQ);
		doc_seq_push(seq, doc_new_str(label));
		doc_map_set(filters, "label", seq);
		if (doc_emit_json(filters, &json, err) < 0)
			goto fail;
		enc = text_url_encode(buf_cstr(&json), NULL);
		path = xasprintf("/images/json?filters=%s", enc);
		free(enc);
	} else {
		path = xstrdup("/images/json");
	}
	if (docker_get_list(d, path, &root, err) < 0)
		goto fail;
	v = xcalloc(root->n + 1, sizeof(*v));
	for (i = 0; i < root->n; i++, k++)
		if (docker_image_of(root->items[i], &v[k], err) < 0)
			goto fail;
	*out = v;
	*n = k;
	v = NULL;
	rc = 0;
	goto out;
fail:
	if (label) {
		char q[80];

		text_quote(label, strlen(label), q, sizeof(q));
		err_wrap(err, "list images labelled '%s'", q);
	} else {
		err_wrap(err, "list images");
	}
out:
	docker_images_free(v, k);
	doc_free(root);
	doc_free(filters);
	buf_release(&json);
	free(path);
	return rc;
}

int docker_image_remove(struct docker *d, const char *ref, int force, struct err *err)
{
	char *path = docker_ref_path(ref, force ? "?force=1" : ""), q[80];
	int rc = 0;

	if (docker_call(d, "DELETE", path, NULL, 0, NULL, err) < 0) {
		if (err->kind == ERRK_NOTFOUND) {
			err_clear(err);
		} else {
			text_quote(ref, strlen(ref), q, sizeof(q));
			rc = err_wrap(err, "remove image '%s'", q);
		}
	}
	free(path);
	return rc;
}

void docker_image_release(struct docker_image *img)
{
	size_t i;

	if (!img)
		return;
	free(img->id);
	for (i = 0; img->tags && img->tags[i]; i++)
		free(img->tags[i]);
	free(img->tags);
	for (i = 0; img->labels && img->labels[i]; i++)
		free(img->labels[i]);
	free(img->labels);
	memset(img, 0, sizeof(*img));
}

void docker_images_free(struct docker_image *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		docker_image_release(&v[i]);
	free(v);
}

/* ---- exec -------------------------------------------------------------- */

void docker_demux_init(struct docker_demux *m, struct buf *out, struct buf *errout)
{
	memset(m, 0, sizeof(*m));
	m->out = out;
	m->err = errout;
}

int docker_demux_feed(struct docker_demux *m, const char *data, size_t len, struct err *err)
{
	struct buf *to;
	size_t n;

	while (len > 0) {
		if (m->have < 8) {
			n = 8 - m->have < len ? 8 - m->have : len;
			memcpy(m->head + m->have, data, n);
			m->have += n;
			data += n;
			len -= n;
			if (m->have < 8)
				break;
			if (m->head[0] > 2 || m->head[1] || m->head[2] || m->head[3])
				return err_setk(
				    err, ERRK_INVALID,
				    "the attached stream has a frame of type %u (only 0, 1 "
				    "and 2: stdin, stdout, stderr); is it a multiplexed "
				    "stream?",
				    m->head[0]);
			m->type = m->head[0] == 2 ? 2 : 1;
			m->left = (unsigned long long)m->head[4] << 24 |
			          (unsigned)m->head[5] << 16 | (unsigned)m->head[6] << 8 |
			          m->head[7];
			if (m->left == 0)
				m->have = 0;
			continue;
		}
		n = m->left < len ? (size_t)m->left : len;
		to = m->type == 2 ? m->err : m->out;
		if (to && buf_add(to, data, n) < 0)
			return err_setk(err, ERRK_INVALID, "the command's %s passed %zu bytes",
			                m->type == 2 ? "stderr" : "stdout", to->limit);
		data += n;
		len -= n;
		m->left -= n;
		if (m->left == 0)
			m->have = 0;
	}
	return 0;
}

struct docker_exec_x {
	struct docker_demux m;
	struct err derr;
	int failed;
};

static int docker_exec_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct docker_exec_x *x = ctx;

	(void)err;
	if (docker_demux_feed(&x->m, data, len, &x->derr) < 0) {
		x->failed = 1;
		return 1;
	}
	return 0;
}

/* The ms left before deadline (at least 1), or 0 when it has passed. */
static unsigned long docker_left(long long deadline)
{
	long long left = deadline - docker_now_ms();

	return left > 0 ? (unsigned long)left : 0;
}

/* POST /exec/ID/start: the attached stream into x. */
static int docker_exec_start(struct docker *d, const char *id, struct docker_exec_x *x,
                             unsigned long total_ms, struct err *err)
{
	static const char *const headers[] = {"Content-Type: application/json", NULL};
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	struct http_resp resp = HTTP_RESP_INIT(DOCKER_ERRBODY_MAX);
	char *url = xasprintf("%s/v%s/exec/%s/start", d->base, d->api, id);
	struct http_req req;
	int rc = -1;

	docker_req_init(d, &req, url);
	req.method = "POST";
	req.headers = headers;
	req.body = body;
	req.body_len = sizeof(body) - 1;
	req.write_fn = docker_exec_write;
	req.write_ctx = x;
	req.total_ms = total_ms;
	req.idle_ms = total_ms;
	if (http_request(d->http, &req, &resp, err) < 0)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		docker_status_fail(&resp, err);
		goto out;
	}
	if (x->failed) {
		*err = x->derr;
		goto out;
	}
	if (x->m.have != 0) {
		err_setk(err, ERRK_INVALID, "the attached stream ended inside a frame");
		goto out;
	}
	rc = 0;
out:
	http_resp_release(&resp);
	free(url);
	return rc;
}

int docker_exec(struct docker *d, const char *container, const char *const *argv, struct buf *out,
                struct buf *errout, int *exit_code, unsigned long timeout_ms, struct err *err)
{
	long long deadline =
	    docker_now_ms() + (long long)(timeout_ms ? timeout_ms : DOCKER_EXEC_MS);
	struct doc_node *body = doc_new(DOC_MAP), *cmd = doc_new(DOC_SEQ), *root = NULL, *v;
	struct docker_exec_x *x = xcalloc(1, sizeof(*x));
	char *enc = text_url_encode(container, NULL), *path = NULL, *id = NULL, q[80], cq[80];
	const char *s;
	size_t i;
	int rc = -1;

	text_quote(container, strlen(container), q, sizeof(q));
	for (i = 0; argv && argv[i]; i++)
		doc_seq_push(cmd, doc_new_str(argv[i]));
	doc_map_set(body, "AttachStdin", doc_new_bool(0));
	doc_map_set(body, "AttachStdout", doc_new_bool(1));
	doc_map_set(body, "AttachStderr", doc_new_bool(1));
	doc_map_set(body, "Tty", doc_new_bool(0));
	doc_map_set(body, "Cmd", cmd);
	if (i == 0) {
		err_setk(err, ERRK_INVALID, "no command to run");
		goto out;
	}
	if (!*container) {
		err_setk(err, ERRK_INVALID, "no container named");
		goto out;
	}
	path = xasprintf("/containers/%s/exec", enc);
	if (docker_call(d, "POST", path, body, docker_left(deadline), &root, err) < 0) {
		if (err->kind == ERRK_EXISTS) /* 409: not running, or paused */
			err->kind = ERRK_INVALID;
		goto out;
	}
	s = docker_str(root, "Id");
	if (!s || strspn(s, "0123456789abcdef") != strlen(s) || !*s) {
		err_setk(err, ERRK_INVALID, "the engine's answer to exec create has no Id");
		goto out;
	}
	id = xstrdup(s);
	doc_free(root);
	root = NULL;
	docker_demux_init(&x->m, out, errout);
	if (docker_exec_start(d, id, x, docker_left(deadline), err) < 0)
		goto out;
	free(path);
	path = xasprintf("/exec/%s/json", id);
	for (;;) {
		if (docker_left(deadline) == 0) {
			err_setk(
			    err, ERRK_TIMEOUT,
			    "the command's exit code did not come within %lu ms (it still runs)",
			    timeout_ms ? timeout_ms : DOCKER_EXEC_MS);
			goto out;
		}
		if (docker_call(d, "GET", path, NULL, docker_left(deadline), &root, err) < 0)
			goto out;
		v = doc_map_get(root, "Running");
		if (v && v->type == DOC_BOOL && !v->b)
			break;
		doc_free(root);
		root = NULL;
		mono_nap(DOCKER_EXEC_POLL_MS);
	}
	v = doc_map_get(root, "ExitCode");
	if (!v || v->type != DOC_INT) {
		err_setk(err, ERRK_INVALID, "the engine's answer has no ExitCode");
		goto out;
	}
	*exit_code = (int)v->i;
	rc = 0;
out:
	if (rc < 0) {
		s = argv && argv[0] ? argv[0] : "";
		text_quote(s, strlen(s), cq, sizeof(cq));
		err_wrap(err, "exec '%s' in container '%s'", cq, q);
	}
	doc_free(body);
	doc_free(root);
	free(x);
	free(enc);
	free(path);
	free(id);
	return rc;
}

/* ---- containers -------------------------------------------------------- */

/* "?all=1&filters={"label":[...]}" for labels (NULL-terminated, may be NULL). */
static int docker_label_query(const char *const *labels, const char *base, char **path,
                              struct err *err)
{
	struct doc_node *filters = doc_new(DOC_MAP), *seq = doc_new(DOC_SEQ);
	struct buf json = BUF_INIT(DOCKER_LINE_MAX);
	char *enc;
	size_t i;
	int rc = -1;

	for (i = 0; labels && labels[i]; i++)
		doc_seq_push(seq, doc_new_str(labels[i]));
	doc_map_set(filters, "label", seq);
	if (i == 0) {
		*path = xstrdup(base);
		rc = 0;
	} else if (doc_emit_json(filters, &json, err) == 0) {
		enc = text_url_encode(buf_cstr(&json), NULL);
		*path = xasprintf("%s&filters=%s", base, enc);
		free(enc);
		rc = 0;
	}
	doc_free(filters);
	buf_release(&json);
	return rc;
}

/* A container from the list's object. */
static int docker_container_of(const struct doc_node *n, struct docker_container *c,
                               struct err *err)
{
	const struct doc_node *created = doc_map_get(n, "Created");
	const char *id = docker_str(n, "Id"), *state = docker_str(n, "State");
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!id)
		return err_setk(err, ERRK_INVALID,
		                "a container without an Id in the engine's answer");
	c->id = xstrdup(id);
	c->state = xstrdup(state ? state : "");
	c->names = docker_strv(doc_map_get(n, "Names"));
	for (i = 0; c->names[i]; i++)
		if (c->names[i][0] == '/')
			memmove(c->names[i], c->names[i] + 1, strlen(c->names[i]));
	c->labels = docker_strv(doc_map_get(n, "Labels"));
	c->created = created && created->type == DOC_INT ? created->i : 0;
	return 0;
}

int docker_container_list(struct docker *d, const char *const *labels,
                          struct docker_container **out, size_t *n, struct err *err)
{
	struct doc_node *root = NULL;
	struct docker_container *v = NULL;
	char *path = NULL;
	size_t i, k = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (docker_label_query(labels, "/containers/json?all=1", &path, err) < 0 ||
	    docker_get_list(d, path, &root, err) < 0)
		goto fail;
	v = xcalloc(root->n + 1, sizeof(*v));
	for (i = 0; i < root->n; i++, k++)
		if (docker_container_of(root->items[i], &v[k], err) < 0)
			goto fail;
	*out = v;
	*n = k;
	v = NULL;
	rc = 0;
	goto out;
fail:
	if (labels && labels[0]) {
		char q[80];

		text_quote(labels[0], strlen(labels[0]), q, sizeof(q));
		err_wrap(err, "list containers labelled '%s'%s", q, labels[1] ? " ..." : "");
	} else {
		err_wrap(err, "list containers");
	}
out:
	docker_containers_free(v, k);
	doc_free(root);
	free(path);
	return rc;
}

const char *docker_container_label(const struct docker_container *c, const char *key)
{
	size_t i;

	for (i = 0; c->labels && c->labels[i] && c->labels[i + 1]; i += 2)
		if (strcmp(c->labels[i], key) == 0)
			return c->labels[i + 1];
	return NULL;
}

void docker_containers_free(struct docker_container *v, size_t n)
{
	size_t i, j;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].state);
		for (j = 0; v[i].names && v[i].names[j]; j++)
			free(v[i].names[j]);
		free(v[i].names);
		for (j = 0; v[i].labels && v[i].labels[j]; j++)
			free(v[i].labels[j]);
		free(v[i].labels);
	}
	free(v);
}

int docker_container_inspect(struct docker *d, const char *container,
                             struct docker_container_run *out, struct err *err)
{
	struct doc_node *root = NULL;
	const struct doc_node *st, *v;
	char *enc = text_url_encode(container, NULL), *path = NULL, q[80];
	const char *s;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	text_quote(container, strlen(container), q, sizeof(q));
	if (!*container) {
		err_setk(err, ERRK_INVALID, "inspect container '': no container named");
		goto out;
	}
	path = xasprintf("/containers/%s/json", enc);
	if (docker_call(d, "GET", path, NULL, 0, &root, err) < 0) {
		err_wrap(err, "inspect container '%s'", q);
		goto out;
	}
	s = docker_str(root, "Id");
	st = doc_map_get(root, "State");
	if (!s || !st || st->type != DOC_MAP) {
		err_setk(err, ERRK_INVALID,
		         "inspect container '%s': the engine's answer has no Id or State", q);
		goto out;
	}
	out->id = xstrdup(s);
	v = doc_map_get(st, "Running");
	out->running = v && v->type == DOC_BOOL && v->b;
	v = doc_map_get(root, "RestartCount");
	out->restarts = v && v->type == DOC_INT ? v->i : 0;
	s = docker_str(st, "StartedAt");
	out->started_at = xstrdup(s ? s : "");
	v = doc_map_get(st, "Pid");
	out->pid = v && v->type == DOC_INT ? v->i : 0;
	v = doc_map_get(st, "ExitCode");
	out->exit_code = v && v->type == DOC_INT ? v->i : 0;
	rc = 0;
out:
	if (rc < 0)
		docker_container_run_release(out);
	doc_free(root);
	free(enc);
	free(path);
	return rc;
}

void docker_container_run_release(struct docker_container_run *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->started_at);
	memset(r, 0, sizeof(*r));
}
