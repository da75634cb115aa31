/*
 * http: the libcurl module, the transport the API modules send through.
 * Owns curl's global state, the client (one easy handle, so its
 * connection cache serves the many small requests an API module sends),
 * requests of any method with bodies and answers in memory or streamed,
 * unix sockets, mutual TLS, the total and idle bounds, and the
 * translation of curl's error codes into ftboot messages and kinds.
 * Downloads of pinned files are built on it: verified by SHA-512 while
 * they are written, resumable, cached with a stamp (see http.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "http.h"
#include "xmem.h"

#define HTTP_MAX_REDIRS       10
#define HTTP_CONNECT_TIMEOUT  30L      /* seconds */
#define HTTP_LOW_SPEED        1024L    /* bytes/s, below which a download stalls */
#define HTTP_TOTAL_DEFAULT    300000UL /* ms: a request's default total bound */
#define HTTP_IDLE_DEFAULT     60000UL  /* ms: its default idle bound */
#define HTTP_PROGRESS_EVERY   100      /* ms between progress reports */
#define HTTP_STAMP_MAX        512
#define HTTP_ERROR_BODY_MAX   (64 * 1024) /* what a download keeps of an error page */
#define HTTP_RECV_BUFFER_SIZE (256L * 1024)

static unsigned http_stall_seconds = 30;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_init_rc;

struct http {
	CURL *curl; /* kept between requests: its connections are reused */
	char errbuf[CURL_ERROR_SIZE];
	int cookies; /* http_cookies: curl's in-memory cookie engine is on */
};

/* The bounds of one transfer: 0 is "none". */
struct http_bounds {
	unsigned long total_ms;
	unsigned long idle_ms;
	unsigned stall_s; /* under HTTP_LOW_SPEED for this long (downloads) */
};

/* One request in flight, shared by curl's callbacks. */
struct http_xfer {
	CURL *curl;
	const struct http_req *req;
	struct http_resp *resp;
	struct err *err;       /* a callback's own error lands here */
	unsigned long idle_ms; /* 0: no idle bound */
	struct timespec last;  /* when a byte last moved */
	curl_off_t last_dl, last_ul;
	int to_fn;       /* this answer's body goes to write_fn */
	int status_seen; /* resp->status is this answer's */
	int cb_failed;   /* read_fn or write_fn failed: err holds why */
	int over_cap;    /* a 2xx body passed resp->body's limit */
	int idle_fired;
	int cancel_fired; /* req->cancel_fn said stop */
	int got_bytes;    /* any byte of an answer came */
};

const char *http_version(void)
{
	static char text[128];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	snprintf(text, sizeof(text), "%s (%s)", v->version,
	         v->ssl_version ? v->ssl_version : "no TLS");
	return text;
}

void http_set_stall_timeout(unsigned seconds)
{
	http_stall_seconds = seconds ? seconds : 1;
}

static void http_global_init(void)
{
	http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* curl_global_init, once per process (it is not to be called per transfer). */
static int http_init(struct err *err)
{
	pthread_once(&http_once, http_global_init);
	if (http_init_rc != CURLE_OK)
		return err_set(err, ERR_FAIL, "cannot initialise libcurl: %s",
		               curl_easy_strerror(http_init_rc));
	return 0;
}

struct http *http_new(void)
{
	struct http *h = xmalloc(sizeof(*h));

	pthread_once(&http_once, http_global_init);
	h->curl = http_init_rc == CURLE_OK ? curl_easy_init() : NULL;
	if (!h->curl) {
		fprintf(stderr, "ftboot: cannot create a libcurl handle\n");
		abort();
	}
	h->errbuf[0] = '\0';
	h->cookies = 0;
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void http_resp_release(struct http_resp *resp)
{
	buf_release(&resp->body);
	buf_release(&resp->head);
}

char *http_resp_header(const struct http_resp *resp, const char *name)
{
	const char *line = buf_cstr(&resp->head);
	size_t nlen = strlen(name);

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *v, *e;

		if (!end)
			end = line + strlen(line);
		if ((size_t)(end - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			v = line + nlen + 1;
			e = end;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			return xstrndup(v, (size_t)(e - v));
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static long long http_ms_since(const struct timespec *then, const struct timespec *now)
{
	return (long long)(now->tv_sec - then->tv_sec) * 1000 +
	       (now->tv_nsec - then->tv_nsec) / 1000000;
}

/* "2 s" or "1.5 s": a bound in milliseconds, for messages. */
static void http_secs(unsigned long ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%lu s", ms / 1000);
	else
		snprintf(out, size, "%.1f s", (double)ms / 1000.0);
}

/* ---- curl's callbacks ---------------------------------------------------- */

static void http_touch(struct http_xfer *x)
{
	clock_gettime(CLOCK_MONOTONIC, &x->last);
}

/* A header line; a status line starts a new answer (a redirect, a 100). */
static size_t http_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	size_t len = size * nmemb;

	http_touch(x);
	x->got_bytes = 1;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		buf_reset(&x->resp->head);
		x->status_seen = 0;
	}
	/* Past the limit, further header lines are dropped, not fatal. */
	buf_add(&x->resp->head, data, len);
	return len;
}

/* The status, once per answer, before its first body byte. */
static void http_see_status(struct http_xfer *x)
{
	long code = 0;

	if (x->status_seen)
		return;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
	x->resp->status = code;
	x->status_seen = 1;
	x->to_fn = x->req->write_fn && code >= 200 && code < 300;
}

static size_t http_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	struct http_resp *resp = x->resp;
	size_t len = size * nmemb, room;
	int rc;

	http_touch(x);
	x->got_bytes = 1;
	http_see_status(x);
	if (x->to_fn) {
		rc = x->req->write_fn(x->req->write_ctx, data, len, x->err);
		if (rc < 0)
			x->cb_failed = 1;
		else if (rc > 0)
			resp->stopped = 1;
		return rc == 0 ? len : 0;
	}
	if (resp->status >= 200 && resp->status < 300) {
		if (buf_add(&resp->body, data, len) < 0) {
			x->over_cap = 1;
			return 0;
		}
		return len;
	}
	/* An error status's body: keep what fits, for the caller's message. */
	room = resp->body.limit > resp->body.len ? resp->body.limit - resp->body.len : 0;
	if (len > room)
		resp->truncated = 1;
	buf_add(&resp->body, data, len < room ? len : room);
	return len;
}

static size_t http_on_read(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	long n = x->req->read_fn(x->req->read_ctx, data, size * nmemb, x->err);

	if (n < 0 || (size_t)n > size * nmemb) {
		if (n >= 0)
			err_setk(x->err, ERRK_INVALID,
			         "the body callback returned %ld bytes for %zu", n, size * nmemb);
		x->cb_failed = 1;
		return CURL_READFUNC_ABORT;
	}
	http_touch(x);
	return (size_t)n;
}

/* Called about once a second even when nothing moves: the idle bound. */
static int http_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                            curl_off_t ulnow)
{
	struct http_xfer *x = userp;
	struct timespec now;

	(void)dltotal;
	(void)ultotal;
	if (x->req->cancel_fn && x->req->cancel_fn(x->req->cancel_ctx)) {
		x->cancel_fired = 1;
		return 1;
	}
	if (dlnow != x->last_dl || ulnow != x->last_ul) {
		x->last_dl = dlnow;
		x->last_ul = ulnow;
		http_touch(x);
		return 0;
	}
	if (!x->idle_ms)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (http_ms_since(&x->last, &now) >= (long long)x->idle_ms) {
		x->idle_fired = 1;
		return 1;
	}
	return 0;
}

/* ---- errors -------------------------------------------------------------- */

/* Host and port of the URL curl was last at (after redirects). Caller frees host. */
static void http_where(CURL *curl, char **host, long *port)
{
	char *eff = NULL, *h = NULL, *p = NULL;
	CURLU *u = curl_url();

	*host = NULL;
	*port = 0;
	if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff || !u)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, eff, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
		*host = xstrdup(h);
	if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
		*port = strtol(p, NULL, 10);
out:
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	if (!*host)
		*host = xstrdup("?");
}

/* Where the CA came from, for "not signed by the CA in 'ca.pem'". */
static const char *http_ca_name(const struct http_req *req)
{
	if (req && req->ca.file)
		return req->ca.file;
	if (req && req->ca.pem)
		return "the CA given";
	return NULL;
}

/* The server's certificate failed verification: say why in words. */
static int http_tls_untrusted(CURL *curl, const struct http_req *req, const char *host,
                              const char *detail, struct err *err)
{
	const char *ca = http_ca_name(req);
	long verify = 0;

	curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &verify);
	if (req && req->pinned_cert)
		return err_setk(err, ERRK_DENIED,
		                "the TLS certificate of %s is not the one pinned ('%s'): %s", host,
		                req->pinned_cert, detail);
	/* X509_V_ERR_*: 2, 18, 19, 20, 21 are "no path to a trusted CA". */
	if (verify == 2 || (verify >= 18 && verify <= 21)) {
		if (ca && req->ca.file)
			return err_setk(err, ERRK_DENIED,
			                "the TLS certificate of %s is not signed by the CA in '%s' "
			                "(%s); is it the right server, or the right CA file?",
			                host, ca, detail);
		if (ca)
			return err_setk(err, ERRK_DENIED,
			                "the TLS certificate of %s is not signed by the given CA "
			                "(%s); is it the right server, or the right CA?",
			                host, detail);
		return err_setk(err, ERRK_DENIED,
		                "the TLS certificate of %s is not signed by a CA this system "
		                "trusts (%s)",
		                host, detail);
	}
	if (verify == 10)
		return err_setk(err, ERRK_DENIED, "the TLS certificate of %s has expired (%s)",
		                host, detail);
	return err_setk(err, ERRK_DENIED, "the TLS certificate of %s is not trusted: %s", host,
	                detail);
}

/* Did the server end the handshake over our client certificate (or its absence)? */
static int http_tls_refused(const char *detail)
{
	return strstr(detail, "alert certificate required") ||
	       strstr(detail, "alert bad certificate") || strstr(detail, "alert unknown ca") ||
	       strstr(detail, "alert certificate unknown");
}

static int http_tls_refused_fail(const char *host, const char *detail, struct err *err)
{
	return err_setk(err, ERRK_DENIED,
	                "%s refused our TLS client certificate (or its absence): it wants one "
	                "signed by a CA it trusts (%s)",
	                host, detail);
}

/*
 * Translate a failed curl_easy_perform into err: what happened, in words
 * a user can act on, with curl's own detail where it adds something, and
 * the kind. The caller wraps it with what it was doing.
 */
static int http_curl_fail(struct http_xfer *x, CURLcode res, const char *errbuf,
                          const struct http_bounds *lim, struct err *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);
	const char *sock = x->req ? x->req->unix_socket : NULL;
	curl_off_t connect_us = 0;
	long os_errno = 0;
	char *host, *peer, secs[32];
	long port;

	http_where(x->curl, &host, &port);
	peer = sock ? xasprintf("'%s'", sock) : xasprintf("%s port %ld", host, port);
	switch (res) {
	case CURLE_UNSUPPORTED_PROTOCOL:
		err_setk(err, ERRK_INVALID,
		         "unsupported protocol (only http:// and https:// URLs): %s", detail);
		break;
	case CURLE_URL_MALFORMAT:
		err_setk(err, ERRK_INVALID, "malformed URL: %s", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		err_setk(err, ERRK_TRANSIENT,
		         "cannot resolve host '%s'; check the URL and the network (DNS)", host);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		err_setk(err, ERRK_TRANSIENT,
		         "cannot resolve the proxy: %s; check the *_proxy variables", detail);
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(x->curl, CURLINFO_OS_ERRNO, &os_errno);
		err_setk(err, ERRK_TRANSIENT, "cannot connect to %s: %s; is the server up?", peer,
		         os_errno ? strerror((int)os_errno) : detail);
		if (os_errno)
			err->errnum = (int)os_errno;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(x->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (connect_us == 0 && !x->got_bytes) {
			long limit = HTTP_CONNECT_TIMEOUT * 1000;

			if (lim->total_ms && lim->total_ms < (unsigned long)limit)
				limit = (long)lim->total_ms;
			http_secs((unsigned long)limit, secs, sizeof(secs));
			err_setk(err, ERRK_TIMEOUT, "cannot connect to %s: timed out after %s",
			         peer, secs);
		} else if (lim->stall_s) {
			err_setk(err, ERRK_TIMEOUT,
			         "transfer from %s stalled (under %ld bytes/s for %u s)", host,
			         HTTP_LOW_SPEED, lim->stall_s);
		} else {
			http_secs(lim->total_ms, secs, sizeof(secs));
			err_setk(err, ERRK_TIMEOUT,
			         "no complete answer from %s within %s (the request's total "
			         "timeout)%s",
			         peer, secs, x->got_bytes ? "; the answer was still arriving" : "");
		}
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		http_tls_untrusted(x->curl, x->req, host, detail, err);
		break;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		err_setk(err, ERRK_DENIED, "the TLS key of %s is not the pinned one%s%s%s", host,
		         x->req && x->req->pinned_cert ? " ('" : "",
		         x->req && x->req->pinned_cert ? x->req->pinned_cert : "",
		         x->req && x->req->pinned_cert ? "')" : "");
		break;
	case CURLE_SSL_CACERT_BADFILE:
		if (x->req && x->req->ca.file)
			err_setk(err, ERRK_INVALID, "cannot use the CA certificate '%s': %s",
			         x->req->ca.file, detail);
		else
			err_setk(err, ERRK_INVALID, "cannot use the CA certificate given: %s",
			         detail);
		break;
	case CURLE_SSL_CERTPROBLEM:
		err_setk(err, ERRK_INVALID, "cannot use the client certificate or key: %s", detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		if (http_tls_refused(detail))
			http_tls_refused_fail(host, detail, err);
		else
			err_setk(err, ERRK_OTHER, "TLS handshake with %s failed: %s", host, detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		err_setk(err, ERRK_INVALID, "more than %d redirects (a redirect loop?)",
		         HTTP_MAX_REDIRS);
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		/* TLS 1.3: the server's refusal comes after the client's handshake ended. */
		if (http_tls_refused(detail))
			http_tls_refused_fail(host, detail, err);
		else
			err_setk(err, ERRK_TRANSIENT, "connection to %s lost: %s",
			         sock ? peer : host, detail);
		break;
	default:
		err_setk(err, ERRK_OTHER, "%s", detail);
		break;
	}
	free(peer);
	free(host);
	return -1;
}

/* ---- one transfer -------------------------------------------------------- */

static void http_set_pem(CURL *curl, CURLoption file_opt, CURLoption blob_opt,
                         const struct http_pem *pem)
{
	struct curl_blob blob;

	if (pem->pem) {
		blob.data = (void *)pem->pem;
		blob.len = strlen(pem->pem);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(curl, blob_opt, &blob);
	} else if (pem->file) {
		curl_easy_setopt(curl, file_opt, pem->file);
	}
}

static int http_has_header(const struct http_req *req, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; req->headers && req->headers[i]; i++)
		if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
			return 1;
	return 0;
}

/* The method and body options; the header list gets what curl would add wrongly. */
static struct curl_slist *http_set_method(CURL *curl, const struct http_req *req,
                                          struct curl_slist *hl)
{
	const char *m = req->method;
	int body = req->body || req->read_fn;

	if (!m)
		m = body ? "POST" : "GET";
	if (!body && (!strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH"))) {
		/* No body: say so (Content-Length: 0) rather than leave it open. */
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
		body = 1;
	} else if (req->read_fn) {
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->read_len);
		/* An unknown length (-1): curl sends it chunked over HTTP/1.1. */
	} else if (req->body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
	}
	if (body && !http_has_header(req, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type:"); /* not form-urlencoded */
	if (!strcmp(m, "HEAD"))
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0 || body)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m);
	/* No "Expect: 100-continue" wait before a body. */
	return curl_slist_append(hl, "Expect:");
}

/*
 * Trust exactly the certificate in the PEM file path: the only trust
 * anchor, its public key pinned, its name not checked (see http.h).
 */
static int http_set_pinned(CURL *curl, const char *path, struct err *err)
{
	struct buf b = BUF_INIT(64 * 1024);
	char *pin = NULL;
	int rc = -1;

	if (fs_read(path, b.limit, &b, err) < 0 ||
	    crypto_cert_pubkey_pin(buf_cstr(&b), &pin, err) < 0) {
		err_wrap(err, "cannot use the pinned certificate '%s'", path);
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_CAINFO, path);
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, pin);
	rc = 0;
out:
	free(pin);
	buf_release(&b);
	return rc;
}

/*
 * Run one transfer of req through h with the bounds lim, the answer into
 * resp. 0 when an answer came (any status) or write_fn stopped it; -1
 * with err set (not wrapped) otherwise.
 */
static int http_perform(struct http *h, const struct http_req *req, struct http_resp *resp,
                        const struct http_bounds *lim, struct err *err)
{
	struct http_xfer x = {.curl = h->curl, .req = req, .resp = resp, .err = err};
	struct curl_slist *hl = NULL;
	CURL *curl = h->curl;
	long connect_ms = HTTP_CONNECT_TIMEOUT * 1000, code = 0;
	char secs[32];
	CURLcode res;
	size_t i;
	int rc = -1;

	if (http_init(err) < 0)
		return -1;
	resp->status = 0;
	resp->truncated = 0;
	resp->stopped = 0;
	buf_reset(&resp->body);
	buf_reset(&resp->head);
	curl_easy_reset(curl);
	h->errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ftboot/" FTBOOT_VERSION);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	if (req->follow_redirects) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	}
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca.file || req->ca.pem) {
		http_set_pem(curl, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB, &req->ca);
		curl_easy_setopt(curl, CURLOPT_CAPATH, NULL); /* this CA only */
	}
	http_set_pem(curl, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB, &req->cert);
	/*
	 * Mutual TLS: 1.2 at most. In 1.3 the server checks our certificate
	 * after the client's handshake has ended, and a refusal (dockerd's Go
	 * TLS closes at once) races curl's next step: "connection lost" as
	 * often as "bad certificate". In 1.2 it is part of the handshake.
	 */
	if (req->cert.file || req->cert.pem)
		curl_easy_setopt(curl, CURLOPT_SSLVERSION,
		                 (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	http_set_pem(curl, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB, &req->key);
	if (req->pinned_cert && http_set_pinned(curl, req->pinned_cert, err) < 0)
		return -1;
	if (req->tls_unverified) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (req->unix_socket)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);

	if (lim->total_ms) {
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)lim->total_ms);
		if (lim->total_ms < (unsigned long)connect_ms)
			connect_ms = (long)lim->total_ms;
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	if (lim->stall_s) {
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, HTTP_LOW_SPEED);
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)lim->stall_s);
	}
	x.idle_ms = lim->idle_ms;
	http_touch(&x);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, HTTP_RECV_BUFFER_SIZE);
	if (req->read_fn) {
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, http_on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, &x);
	}
	for (i = 0; req->headers && req->headers[i]; i++)
		hl = curl_slist_append(hl, req->headers[i]);
	hl = http_set_method(curl, req, hl);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);

	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code)
		resp->status = code;
	if (x.cb_failed) {
		/* err holds the callback's own words */
	} else if (x.over_cap) {
		err_setk(err, ERRK_INVALID, "the answer is larger than %zu bytes",
		         resp->body.limit);
	} else if (resp->stopped) {
		rc = 0;
	} else if (res == CURLE_ABORTED_BY_CALLBACK && x.cancel_fired) {
		err_setk(err, ERRK_OTHER, "cancelled");
	} else if (res == CURLE_ABORTED_BY_CALLBACK && x.idle_fired) {
		char *host, *peer;
		long port;

		http_where(curl, &host, &port);
		peer = req->unix_socket ? xasprintf("'%s'", req->unix_socket)
		                        : xasprintf("%s port %ld", host, port);
		http_secs(lim->idle_ms, secs, sizeof(secs));
		if (x.got_bytes)
			err_setk(err, ERRK_TIMEOUT,
			         "the answer from %s went quiet: no byte for %s (the request's "
			         "idle timeout)",
			         peer, secs);
		else
			err_setk(err, ERRK_TIMEOUT,
			         "no answer from %s for %s (the request's idle timeout); is the "
			         "server stuck?",
			         peer, secs);
		free(peer);
		free(host);
	} else if (res != CURLE_OK) {
		http_curl_fail(&x, res, h->errbuf, lim, err);
	} else {
		rc = 0;
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	return rc;
}

int http_request(struct http *h, const struct http_req *req, struct http_resp *resp,
                 struct err *err)
{
	struct http_bounds lim = {
	    .total_ms = req->total_ms ? req->total_ms : HTTP_TOTAL_DEFAULT,
	    .idle_ms = req->idle_ms ? req->idle_ms : HTTP_IDLE_DEFAULT,
	};
	const char *m = req->method ? req->method : req->body || req->read_fn ? "POST" : "GET";

	if (http_perform(h, req, resp, &lim, err) == 0)
		return 0;
	if (req->unix_socket)
		return err_wrap(err, "%s %s via '%s'", m, req->url, req->unix_socket);
	return err_wrap(err, "%s %s", m, req->url);
}

/* The standard reason phrase (HTTP/2 sends none), or "". */
static const char *http_reason(long code)
{
	static const struct {
		long code;
		const char *text;
	} reasons[] = {
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {407, "Proxy Authentication Required"},
	    {408, "Request Timeout"},
	    {410, "Gone"},
	    {416, "Range Not Satisfiable"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].text;
	return "";
}

/* "HTTP 404 Not Found", with a hint for the common cases (downloads, documents). */
static int http_status_fail(struct http *h, const char *url, long code, struct err *err)
{
	const char *reason = http_reason(code);
	const char *hint = "";
	enum err_kind kind = ERRK_OTHER;
	char *eff = NULL;

	if (code == 404 || code == 410) {
		hint = "; is the URL right?";
		kind = ERRK_NOTFOUND;
	} else if (code == 401 || code == 403) {
		hint = "; the server refuses access";
		kind = ERRK_DENIED;
	} else if (code == 429 || code >= 500) {
		hint = "; the server has a problem, try again later";
		kind = ERRK_TRANSIENT;
	}
	curl_easy_getinfo(h->curl, CURLINFO_EFFECTIVE_URL, &eff);
	if (eff && strcmp(eff, url) != 0)
		return err_setk(err, kind, "HTTP %ld%s%s from '%s' (redirected)%s", code,
		                *reason ? " " : "", reason, eff, hint);
	return err_setk(err, kind, "HTTP %ld%s%s%s", code, *reason ? " " : "", reason, hint);
}

/* ---- small documents ----------------------------------------------------- */

static int http_get_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct buf *b = ctx;

	if (buf_add(b, data, len) < 0)
		return err_setk(err, ERRK_INVALID, "the answer is larger than %zu bytes", b->limit);
	return 0;
}

int http_get(const char *url, struct buf *out, struct err *err)
{
	struct http_req req = {
	    .url = url, .write_fn = http_get_write, .write_ctx = out, .follow_redirects = 1};
	struct http_bounds lim = {.total_ms = HTTP_TOTAL_DEFAULT, .stall_s = http_stall_seconds};
	struct http_resp resp = HTTP_RESP_INIT(HTTP_ERROR_BODY_MAX);
	struct http *h = http_new();
	size_t before = out->len;
	int rc = -1;

	if (http_perform(h, &req, &resp, &lim, err) == 0) {
		if (resp.status >= 200 && resp.status < 300)
			rc = 0;
		else
			http_status_fail(h, url, resp.status, err);
	}
	if (rc < 0) {
		out->len = before;
		if (out->data)
			out->data[before] = '\0';
		err_wrap(err, "cannot fetch '%s'", url);
	}
	http_resp_release(&resp);
	http_free(h);
	return rc;
}

/* ---- downloads --------------------------------------------------------- */

struct http_dl {
	struct http_resp *resp;
	int fd; /* the .part, open for writing */
	const char *part;
	enum crypto_alg alg;        /* the pin's: SHA-256 or SHA-512 */
	struct crypto_hash *hash;   /* of every byte in the .part */
	unsigned long long offset;  /* bytes in the .part before this request */
	unsigned long long written; /* bytes this request added */
	unsigned long long total;   /* the file's size, 0 if unknown */
	int accepting;              /* the response is the body we asked for */
	int other_bytes;            /* a 206 that is not what was asked: stopped */
	int no_file;                /* a 2xx that is not the file: stopped */
	int write_failed;           /* writing the .part failed */
	http_progress_fn progress;
	void *ctx;
	struct timespec last_report;
};

/* "Content-Range: bytes START-END/TOTAL": does it start at offset? */
static int http_dl_range_ok(struct http_dl *dl)
{
	char *cr = http_resp_header(dl->resp, "Content-Range");
	unsigned long long start;
	int ok;

	ok = cr && sscanf(cr, "bytes %llu-", &start) == 1 && start == dl->offset;
	free(cr);
	return ok;
}

/* Empty the .part and start over (the server did not honour the Range). */
static int http_restart(struct http_dl *dl, struct err *err)
{
	char discard[CRYPTO_HEX_MAX];

	if (ftruncate(dl->fd, 0) < 0 || lseek(dl->fd, 0, SEEK_SET) < 0)
		return err_sys(err, errno, "cannot truncate '%s'", dl->part);
	crypto_hash_final(dl->hash, discard);
	dl->hash = crypto_hash_new(dl->alg);
	dl->offset = 0;
	dl->written = 0;
	return 0;
}

/* The first bytes of a 2xx answer: is it the file from where we asked? */
static int http_dl_accept(struct http_dl *dl, struct err *err)
{
	long code = dl->resp->status;
	char *cl;

	if (code == 200 && dl->offset > 0 && http_restart(dl, err) < 0)
		return -1; /* Range ignored: the whole file comes */
	if (code == 206 && (dl->offset == 0 || !http_dl_range_ok(dl))) {
		dl->other_bytes = 1;
		return 1;
	}
	if (code != 200 && code != 206) {
		dl->no_file = 1;
		return 1;
	}
	cl = http_resp_header(dl->resp, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > 0)
		dl->total = dl->offset + strtoull(cl, NULL, 10);
	free(cl);
	dl->accepting = 1;
	if (dl->progress) {
		clock_gettime(CLOCK_MONOTONIC, &dl->last_report);
		dl->progress(dl->ctx, dl->offset, dl->total);
	}
	return 0;
}

static int http_dl_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct http_dl *dl = ctx;
	struct timespec now;
	size_t done = 0;
	int rc;

	if (!dl->accepting && (rc = http_dl_accept(dl, err)) != 0)
		return rc;
	while (done < len) {
		ssize_t n = write(dl->fd, data + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			dl->write_failed = 1;
			err_sys(err, e, "cannot write '%s'", dl->part);
			if (e == ENOSPC || e == EDQUOT)
				err_suffix(err, " (disk full: free some space and run again; the "
				                "download resumes)");
			return -1;
		}
		done += (size_t)n;
	}
	crypto_hash_update(dl->hash, data, len);
	dl->written += len;
	if (dl->progress) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (http_ms_since(&dl->last_report, &now) >= HTTP_PROGRESS_EVERY) {
			dl->last_report = now;
			dl->progress(dl->ctx, dl->offset + dl->written, dl->total);
		}
	}
	return 0;
}

/*
 * Validate a pinned digest and lowercase it into out: 64 hex digits are a
 * SHA-256, 128 a SHA-512 (*alg).
 */
static int http_hex_pin(const char *hex, char out[CRYPTO_HEX_MAX], enum crypto_alg *alg)
{
	size_t i;

	for (i = 0; hex[i]; i++) {
		char c = hex[i];

		if (i >= 128)
			return -1;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[i] = '\0';
	*alg = i == 64 ? CRYPTO_SHA256 : CRYPTO_SHA512;
	return i == 64 || i == 128 ? 0 : -1;
}

/* What the stamp of a verified file holds: digest, size, mtime, inode. */
static char *http_stamp_text(const char *hex, const struct stat *st)
{
	return xasprintf("%s %lld %lld.%09ld %llu\n", hex, (long long)st->st_size,
	                 (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
	                 (unsigned long long)st->st_ino);
}

/*
 * Write the stamp for dest. A stamp that cannot be written only costs a
 * rehash next time: not worth failing a verified download for.
 */
static void http_stamp_write(const char *dest, const char *stamp, const char *hex)
{
	struct err ignored;
	struct stat st;
	char *text;

	if (stat(dest, &st) < 0)
		return;
	text = http_stamp_text(hex, &st);
	fs_write_atomic(stamp, text, strlen(text), 0644, 0, &ignored);
	free(text);
}

/*
 * Is dest already the pinned file? 1 yes, 0 no (absent, or other content:
 * to be downloaded again), -1 error (cannot read it).
 */
static int http_cached(const char *dest, const char *stamp, const char *want, enum crypto_alg alg,
                       struct err *err)
{
	struct buf text = BUF_INIT(HTTP_STAMP_MAX);
	char got[CRYPTO_HEX_MAX];
	struct err ignored;
	struct stat st;
	char *expect = NULL;
	int rc = 0;

	if (stat(dest, &st) < 0) {
		if (errno == ENOENT)
			goto out;
		rc = err_sys(err, errno, "cannot read '%s'", dest);
		goto out;
	}
	expect = http_stamp_text(want, &st);
	if (fs_read(stamp, HTTP_STAMP_MAX, &text, &ignored) == 0 &&
	    strcmp(buf_cstr(&text), expect) == 0) {
		rc = 1;
		goto out;
	}
	if (crypto_hash_file(dest, alg, got, err) < 0) {
		rc = -1;
		goto out;
	}
	if (strcmp(got, want) == 0) {
		http_stamp_write(dest, stamp, want);
		rc = 1;
	} else {
		unlink(stamp);
	}
out:
	free(expect);
	buf_release(&text);
	return rc;
}

/* Hash what the .part already holds; leaves fd at its end. */
static int http_hash_part(struct http_dl *dl, const char *part, struct err *err)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(dl->fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, errno, "cannot read '%s'", part);
		}
		if (n == 0)
			return 0;
		crypto_hash_update(dl->hash, chunk, (size_t)n);
		dl->offset += (unsigned long long)n;
	}
}

/*
 * Transfers into the .part, resuming from dl->offset, once more from zero
 * when a 206 holds other bytes than were asked for (a 200 to a Range
 * request restarts in place). 0 when the .part should now hold the whole
 * file.
 */
static int http_fetch(struct http *h, struct http_dl *dl, const char *url, struct err *err)
{
	struct http_bounds lim = {.stall_s = http_stall_seconds};
	int attempt;

	for (attempt = 0;; attempt++) {
		const char *headers[2] = {NULL, NULL};
		struct http_req req = {.url = url,
		                       .headers = headers,
		                       .write_fn = http_dl_write,
		                       .write_ctx = dl,
		                       .follow_redirects = 1};
		char range[64];
		long code;

		if (dl->offset > 0) {
			snprintf(range, sizeof(range), "Range: bytes=%llu-", dl->offset);
			headers[0] = range;
		}
		dl->accepting = dl->other_bytes = dl->no_file = 0;
		dl->total = 0;
		if (http_perform(h, &req, dl->resp, &lim, err) < 0) {
			if (!dl->write_failed && dl->offset + dl->written > 0)
				err_suffix(err, " (run again to resume)");
			return -1;
		}
		code = dl->resp->status;
		if (dl->other_bytes && attempt == 0) {
			if (http_restart(dl, err) < 0)
				return -1;
			continue;
		}
		/* Range past the end: the .part already holds every byte. */
		if (dl->offset > 0 && code == 416)
			return 0;
		/* 200 with no body: "the entire document is already downloaded". */
		if ((code == 200 || code == 206) && !dl->other_bytes && !dl->no_file)
			return 0;
		if (code >= 300)
			return http_status_fail(h, url, code, err);
		return err_set(err, ERR_FAIL, "HTTP %ld: the server sent no file", code);
	}
}

int http_download(const char *url, const char *dest, const char *sha512_hex,
                  http_progress_fn progress, void *ctx, struct err *err)
{
	enum crypto_alg alg = CRYPTO_SHA512;
	struct http_resp resp = HTTP_RESP_INIT(HTTP_ERROR_BODY_MAX);
	struct http_dl dl = {.resp = &resp, .fd = -1, .progress = progress, .ctx = ctx};
	char want[CRYPTO_HEX_MAX], got[CRYPTO_HEX_MAX];
	char *part = xasprintf("%s.part", dest);
	char *stamp = NULL;
	const char *algname;
	char *dir = path_dir(dest);
	struct http *h = NULL;
	unsigned long long resumed_from;
	int rc = -1, cached;

	dl.part = part;
	if (http_hex_pin(sha512_hex, want, &alg) < 0) {
		err_setk(err, ERRK_INVALID,
		         "the pinned sha512 '%s' is not 128 hex digits (or 64 for a sha256)",
		         sha512_hex);
		goto out;
	}
	algname = alg == CRYPTO_SHA256 ? "sha256" : "sha512";
	dl.alg = alg;
	stamp = xasprintf("%s.%s", dest, algname);
	cached = http_cached(dest, stamp, want, alg, err);
	if (cached < 0)
		goto out;
	if (cached) {
		rc = 0;
		goto out;
	}
	if (http_init(err) < 0 || fs_mkdirs(dir, 0755, err) < 0)
		goto out;
	dl.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (dl.fd < 0 || fchmod(dl.fd, 0644) < 0) {
		err_sys(err, errno, "cannot write '%s'", part);
		goto out;
	}
	if (flock(dl.fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			err_set(err, ERR_BUSY, "'%s' is being downloaded by another ftboot (%s)",
			        dest, part);
		else
			err_sys(err, errno, "cannot lock '%s'", part);
		goto out;
	}
	dl.hash = crypto_hash_new(alg);
	if (http_hash_part(&dl, part, err) < 0)
		goto out;
	resumed_from = dl.offset;

	h = http_new();
	if (http_fetch(h, &dl, url, err) < 0)
		goto out;

	crypto_hash_final(dl.hash, got);
	dl.hash = NULL;
	if (strcmp(got, want) != 0) {
		unlink(part);
		err_setk(err, ERRK_INVALID,
		         "%s mismatch: expected %s, got %s; the download was deleted", algname,
		         want, got);
		if (resumed_from > 0 && dl.offset > 0)
			err_suffix(err,
			           " (it continued an earlier partial download of %llu "
			           "bytes: run again to fetch it whole; if that fails too, is "
			           "the pinned %s right?)",
			           resumed_from, algname);
		else
			err_suffix(err, " (is the pinned %s right?)", algname);
		goto out;
	}
	if (fsync(dl.fd) < 0) {
		err_sys(err, errno, "cannot write '%s'", part);
		goto out;
	}
	if (rename(part, dest) < 0) {
		err_sys(err, errno, "cannot rename '%s' to '%s'", part, dest);
		goto out;
	}
	fs_fsync_dir(dest);
	http_stamp_write(dest, stamp, want);
	if (progress)
		progress(ctx, dl.offset + dl.written, dl.offset + dl.written);
	rc = 0;
out:
	if (rc < 0)
		err_wrap(err, "cannot download '%s'", url);
	/* A failed first request leaves no empty .part behind. */
	if (rc < 0 && dl.fd >= 0 && dl.offset + dl.written == 0 && dl.hash)
		unlink(part);
	if (dl.hash)
		crypto_hash_final(dl.hash, got);
	http_free(h);
	http_resp_release(&resp);
	if (dl.fd >= 0)
		close(dl.fd);
	free(dir);
	free(stamp);
	free(part);
	return rc;
}

/* ---- FTP and FTPS ---------------------------------------------------------
 *
 * Kept apart from the HTTP transfers above: its own callbacks and
 * options, curl's error codes translated for FTP (a refused login, a
 * refused AUTH TLS), the general ones through http_curl_fail.
 */

#define HTTP_FTP_TOTAL_DEFAULT 30000UL /* ms */

struct http_ftp_xfer {
	const struct http_ftp_req *req;
	struct http_ftp_resp *resp;
	size_t sent;  /* upload: bytes handed to curl */
	int over_cap; /* a download passed resp->body's limit */
};

void http_ftp_resp_release(struct http_ftp_resp *resp)
{
	buf_release(&resp->body);
	buf_release(&resp->replies);
}

/* The line without its CR LF, control characters as '?', into out. */
static void http_ftp_line(const char *data, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	for (i = 0; i < len && o + 1 < size; i++)
		out[o++] = ((unsigned char)data[i] < 0x20 || data[i] == 0x7f) ? '?' : data[i];
	out[o] = '\0';
}

/*
 * "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": the announced
 * address and port into resp.
 */
static void http_ftp_pasv(const char *line, struct http_ftp_resp *resp)
{
	unsigned v[6];
	const char *p = strchr(line, '(');
	int i;

	if (!p || sscanf(p, "(%u,%u,%u,%u,%u,%u)", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return;
	for (i = 0; i < 6; i++)
		if (v[i] > 255)
			return;
	snprintf(resp->pasv_host, sizeof(resp->pasv_host), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	resp->pasv_port = (int)(v[4] * 256 + v[5]);
}

/* For FTP, curl hands the server's reply lines to the header callback. */
static size_t http_ftp_on_reply(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_ftp_xfer *x = userp;
	size_t len = size * nmemb;
	char line[256];

	http_ftp_line(data, len, line, sizeof(line));
	buf_addf(&x->resp->replies, "%s\n", line);
	if (len >= 4 && data[0] >= '1' && data[0] <= '5' && data[3] == ' ')
		snprintf(x->resp->last, sizeof(x->resp->last), "%s", line);
	if (strncmp(line, "227 ", 4) == 0)
		http_ftp_pasv(line, x->resp);
	return len;
}

/*
 * curl's own remarks (CURLINFO_TEXT only: what the client sends, the
 * password among it, is never looked at): the TLS version once up.
 */
static int http_ftp_on_debug(CURL *curl, curl_infotype type, char *data, size_t len, void *userp)
{
	struct http_ftp_xfer *x = userp;
	static const char tag[] = "SSL connection using ";

	(void)curl;
	if (type == CURLINFO_TEXT && len > sizeof(tag) - 1 && !x->resp->tls[0] &&
	    memcmp(data, tag, sizeof(tag) - 1) == 0)
		http_ftp_line(data + sizeof(tag) - 1, len - (sizeof(tag) - 1), x->resp->tls,
		              sizeof(x->resp->tls));
	return 0;
}

static size_t http_ftp_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_ftp_xfer *x = userp;
	size_t len = size * nmemb;

	if (buf_add(&x->resp->body, data, len) < 0) {
		x->over_cap = 1;
		return 0;
	}
	return len;
}

static size_t http_ftp_on_read(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_ftp_xfer *x = userp;
	size_t n = x->req->len - x->sent;

	if (n > size * nmemb)
		n = size * nmemb;
	memcpy(data, (const char *)x->req->data + x->sent, n);
	x->sent += n;
	return n;
}

static int http_ftp_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
                                curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_ftp_xfer *x = userp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return x->req->cancel_fn && x->req->cancel_fn(x->req->cancel_ctx);
}

/*
 * curl before 8.9 may cut an FTPS upload over TLS 1.3 short: it closes
 * the data connection before reading the server's last TLS records
 * (session tickets), and vsftpd answers the transfer with 426 (curl
 * issue 13556, fixed by pull 13904 in 8.9.0). Such a curl keeps FTPS at
 * TLS 1.2.
 */
static int http_ftp_tls13_ok(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v->version_num >= 0x080900;
}

static const char *http_ftp_opname(enum http_ftp_op op)
{
	static const char *const names[] = {"LOGIN", "UPLOAD", "DOWNLOAD", "DELETE"};

	return (unsigned)op < 4 ? names[op] : "?";
}

int http_ftp(struct http *h, const struct http_ftp_req *req, struct http_ftp_resp *resp,
             struct err *err)
{
	struct http_ftp_xfer x = {.req = req, .resp = resp};
	struct http_xfer hx = {.curl = h->curl};
	struct http_req hreq = {0};
	struct http_bounds lim = {.total_ms =
	                              req->total_ms ? req->total_ms : HTTP_FTP_TOTAL_DEFAULT};
	struct curl_slist *quote = NULL;
	CURL *curl = h->curl;
	const char *scheme = req->tls ? "FTPS" : "FTP";
	const char *path = req->path ? req->path : "";
	char *url = NULL, *dele = NULL;
	CURLcode res;
	int rc = -1;

	resp->code = 0;
	resp->last[0] = resp->tls[0] = resp->pasv_host[0] = '\0';
	resp->pasv_port = 0;
	buf_reset(&resp->body);
	buf_reset(&resp->replies);
	url = xasprintf("ftp://%s:%d/%s", req->host, req->port,
	                req->op == HTTP_FTP_UPLOAD || req->op == HTTP_FTP_DOWNLOAD ? path : "");
	if (http_init(err) < 0)
		goto out;
	if (req->op != HTTP_FTP_LOGIN &&
	    (!*path || strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                            "0123456789._-") != strlen(path))) {
		err_setk(err, ERRK_INVALID, "bad file name '%s': use A-Z, a-z, 0-9, '.', '_', '-'",
		         path);
		goto out;
	}
	curl_easy_reset(curl);
	h->errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "ftp");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_USERNAME, req->user);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, req->password);
	curl_easy_setopt(curl, CURLOPT_FTP_USE_EPSV, 0L);
	curl_easy_setopt(curl, CURLOPT_FTP_SKIP_PASV_IP, 1L);
	curl_easy_setopt(curl, CURLOPT_FTP_FILEMETHOD, (long)CURLFTPMETHOD_NOCWD);
	if (req->tls) {
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		curl_easy_setopt(curl, CURLOPT_FTPSSLAUTH, (long)CURLFTPAUTH_TLS);
		/*
		 * The certificate is pinned as for https (http_set_pinned): the
		 * only trust anchor, its key pinned, its names not checked (they
		 * need not be the address). Without one, nothing is trusted.
		 */
		if (req->ca_file == NULL) {
			err_setk(err, ERRK_INVALID,
			         "%s %s: no certificate to trust (FTPS trusts only the one given)",
			         scheme, url);
			goto out;
		}
		if (http_set_pinned(curl, req->ca_file, err) < 0)
			goto out;
		if (!http_ftp_tls13_ok())
			curl_easy_setopt(
			    curl, CURLOPT_SSLVERSION,
			    (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	} else {
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
	}
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)lim.total_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)lim.total_ms);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_ftp_on_reply);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, http_ftp_on_debug);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &x);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_ftp_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_ftp_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
	switch (req->op) {
	case HTTP_FTP_UPLOAD:
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->len);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, http_ftp_on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, &x);
		break;
	case HTTP_FTP_DOWNLOAD:
		break;
	case HTTP_FTP_DELETE:
		dele = xasprintf("DELE %s", path);
		quote = curl_slist_append(quote, dele);
		curl_easy_setopt(curl, CURLOPT_QUOTE, quote);
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		break;
	case HTTP_FTP_LOGIN:
	default:
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		break;
	}
	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->code);
	if (res == CURLE_OK) {
		rc = 0;
	} else if (x.over_cap) {
		err_setk(err, ERRK_INVALID, "the file is larger than %zu bytes", resp->body.limit);
	} else if (res == CURLE_ABORTED_BY_CALLBACK) {
		err_setk(err, ERRK_OTHER, "cancelled");
	} else if (res == CURLE_LOGIN_DENIED) {
		err_setk(err, ERRK_DENIED, "the server refused the login of '%s': %s", req->user,
		         resp->last[0] ? resp->last : h->errbuf);
	} else if (res == CURLE_USE_SSL_FAILED) {
		err_setk(err, ERRK_UNSUPPORTED, "the server refused AUTH TLS: %s",
		         resp->last[0] ? resp->last : h->errbuf);
	} else if (res == CURLE_QUOTE_ERROR || res == CURLE_UPLOAD_FAILED ||
	           res == CURLE_REMOTE_FILE_NOT_FOUND || res == CURLE_REMOTE_ACCESS_DENIED ||
	           res == CURLE_FTP_COULDNT_RETR_FILE || res == CURLE_PARTIAL_FILE) {
		err_setk(err, ERRK_OTHER, "%s%s%s",
		         h->errbuf[0] ? h->errbuf : curl_easy_strerror(res),
		         resp->last[0] ? "; the server said: " : "", resp->last);
	} else {
		hreq.url = url;
		hreq.ca.file = req->ca_file;
		hx.req = &hreq;
		http_curl_fail(&hx, res, h->errbuf, &lim, err);
	}
	if (rc < 0)
		err_wrap(err, "%s %s %s", scheme, http_ftp_opname(req->op), url);
out:
	curl_easy_setopt(curl, CURLOPT_QUOTE, NULL);
	curl_slist_free_all(quote);
	free(dele);
	free(url);
	return rc;
}

void http_cookies(struct http *h, int on)
{
	if (on) {
		/*
		 * Started at once by a cookie line that adds nothing (an empty
		 * one), the engine and its cookies outlive the curl_easy_reset
		 * of each request. Not CURLOPT_COOKIEFILE "": a reset forgets
		 * the file list it keeps without freeing it (libcurl 7.88 leaks
		 * it), and the engine it starts waits for the next transfer,
		 * after the reset.
		 */
		if (!h->cookies)
			curl_easy_setopt(h->curl, CURLOPT_COOKIELIST, "");
		h->cookies = 1;
		return;
	}
	if (!h->cookies)
		return;
	/*
	 * curl_easy_reset keeps the cookies and the engine that records
	 * them: only a new handle forgets both (and the connections).
	 */
	curl_easy_cleanup(h->curl);
	h->curl = curl_easy_init();
	if (!h->curl) {
		fprintf(stderr, "ftboot: cannot create a libcurl handle\n");
		abort();
	}
	h->cookies = 0;
}

char *http_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *out = NULL, *scheme = NULL, *res = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto done;
	res = xstrdup(out);
done:
	curl_free(out);
	curl_free(scheme);
	curl_url_cleanup(u);
	return res;
}
