/*
 * http: the libcurl module. Owns curl's global state, the options every
 * transfer shares (user agent, redirects, TLS verification, timeouts) and
 * the translation of curl's error codes and HTTP statuses into ftboot
 * messages. Downloads of pinned files: verified by SHA-512 while they are
 * written, resumable, cached with a stamp (see http.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define HTTP_CONNECT_TIMEOUT  30L   /* seconds */
#define HTTP_LOW_SPEED        1024L /* bytes/s, below which a transfer stalls */
#define HTTP_PROGRESS_EVERY   100   /* ms between progress reports */
#define HTTP_STAMP_MAX        512
#define HTTP_RECV_BUFFER_SIZE (256L * 1024)

static unsigned http_stall_seconds = 30;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_init_rc;

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

/*
 * A handle with the options every ftboot transfer shares. errbuf (at
 * least CURL_ERROR_SIZE) receives curl's own words on failure.
 */
static CURL *http_handle_new(char *errbuf, struct err *err)
{
	CURL *curl = curl_easy_init();

	if (!curl) {
		err_set(err, ERR_FAIL, "cannot create a libcurl handle");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ftboot/" FTBOOT_VERSION);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, HTTP_LOW_SPEED);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)http_stall_seconds);
	return curl;
}

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

/*
 * Translate a failed curl_easy_perform into err: what happened, in words
 * a user can act on, with curl's own detail where it adds something. The
 * caller wraps it with what it was doing ("cannot download 'URL'").
 */
static int http_curl_fail(CURL *curl, CURLcode res, const char *errbuf, struct err *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);
	curl_off_t connect_us = 0;
	long os_errno = 0;
	char *host;
	long port;

	http_where(curl, &host, &port);
	switch (res) {
	case CURLE_UNSUPPORTED_PROTOCOL:
		err_set(err, ERR_FAIL, "unsupported protocol (only http:// and https:// URLs): %s",
		        detail);
		break;
	case CURLE_URL_MALFORMAT:
		err_set(err, ERR_FAIL, "malformed URL: %s", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		err_set(err, ERR_FAIL,
		        "cannot resolve host '%s'; check the URL and the network (DNS)", host);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		err_set(err, ERR_FAIL, "cannot resolve the proxy: %s; check the *_proxy variables",
		        detail);
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		err_set(err, ERR_FAIL, "cannot connect to %s port %ld: %s; is the server up?", host,
		        port, os_errno ? strerror((int)os_errno) : detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (connect_us == 0)
			err_set(err, ERR_FAIL,
			        "cannot connect to %s port %ld: timed out after %ld s", host, port,
			        HTTP_CONNECT_TIMEOUT);
		else
			err_set(err, ERR_FAIL,
			        "transfer from %s stalled (under %ld bytes/s for %u s)", host,
			        HTTP_LOW_SPEED, http_stall_seconds);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		err_set(err, ERR_FAIL, "TLS certificate of %s is not trusted: %s", host, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		err_set(err, ERR_FAIL, "TLS handshake with %s failed: %s", host, detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		err_set(err, ERR_FAIL, "more than %d redirects (a redirect loop?)",
		        HTTP_MAX_REDIRS);
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		err_set(err, ERR_FAIL, "connection to %s lost: %s", host, detail);
		break;
	default:
		err_set(err, ERR_FAIL, "%s", detail);
		break;
	}
	free(host);
	return -1;
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

/* "HTTP 404 Not Found", with a hint for the common cases. */
static int http_status_fail(CURL *curl, const char *url, long code, struct err *err)
{
	const char *reason = http_reason(code);
	const char *hint = "";
	char *eff = NULL;

	if (code == 404 || code == 410)
		hint = "; is the URL right?";
	else if (code == 401 || code == 403)
		hint = "; the server refuses access";
	else if (code == 429 || code >= 500)
		hint = "; the server has a problem, try again later";
	curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &eff);
	if (eff && strcmp(eff, url) != 0)
		return err_set(err, ERR_FAIL, "HTTP %ld%s%s from '%s' (redirected)%s", code,
		               *reason ? " " : "", reason, eff, hint);
	return err_set(err, ERR_FAIL, "HTTP %ld%s%s%s", code, *reason ? " " : "", reason, hint);
}

/* ---- small documents ----------------------------------------------------- */

static size_t http_get_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct buf *b = userp;

	/* Past the buffer's limit: a short count makes curl stop with an error. */
	return buf_add(b, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

int http_get(const char *url, struct buf *out, struct err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	CURL *curl;
	CURLcode res;
	long code = 0;
	size_t before = out->len;
	int rc = -1;

	if (http_init(err) < 0)
		return -1;
	curl = http_handle_new(errbuf, err);
	if (curl == NULL)
		return -1;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_get_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_WRITE_ERROR && out->len + CURL_MAX_WRITE_SIZE > out->limit)
		err_set(err, ERR_FAIL, "the answer is larger than %zu bytes", out->limit);
	else if (res != CURLE_OK)
		http_curl_fail(curl, res, errbuf, err);
	else if (code >= 300)
		http_status_fail(curl, url, code, err);
	else
		rc = 0;
	if (rc < 0) {
		out->len = before;
		if (out->data)
			out->data[before] = '\0';
		err_wrap(err, "cannot fetch '%s'", url);
	}
	curl_easy_cleanup(curl);
	return rc;
}

/* ---- downloads --------------------------------------------------------- */

struct http_dl {
	CURL *curl;
	int fd;                     /* the .part, open for writing */
	struct crypto_hash *hash;   /* of every byte in the .part */
	unsigned long long offset;  /* bytes in the .part before this request */
	unsigned long long written; /* bytes this request added */
	int accepting;              /* the response is the body we asked for */
	int bad_status;             /* the response is not: stopped reading */
	int write_errno;            /* write(2) failed with this */
	http_progress_fn progress;
	void *ctx;
	struct timespec last_report;
	int reported;
	char errbuf[CURL_ERROR_SIZE];
};

/* The file's bytes start to arrive: first report, done = what was there before. */
static void http_dl_started(struct http_dl *dl)
{
	curl_off_t len = -1;

	if (!dl->progress)
		return;
	curl_easy_getinfo(dl->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	clock_gettime(CLOCK_MONOTONIC, &dl->last_report);
	dl->reported = 1;
	dl->progress(dl->ctx, dl->offset, len > 0 ? dl->offset + (unsigned long long)len : 0);
}

static size_t http_dl_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_dl *dl = userp;
	size_t len = size * nmemb, done = 0;
	long code = 0;

	if (!dl->accepting) {
		/* First bytes of a response: is it the file, or an error page? */
		curl_easy_getinfo(dl->curl, CURLINFO_RESPONSE_CODE, &code);
		if (!(code == 200 && dl->offset == 0) && !(code == 206 && dl->offset > 0)) {
			dl->bad_status = 1;
			return 0; /* stop: the status tells the caller what happened */
		}
		dl->accepting = 1;
		http_dl_started(dl);
	}
	while (done < len) {
		ssize_t n = write(dl->fd, data + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			dl->write_errno = errno;
			return 0;
		}
		done += (size_t)n;
	}
	crypto_hash_update(dl->hash, data, len);
	dl->written += len;
	return len;
}

static long long http_ms_since(const struct timespec *then, const struct timespec *now)
{
	return (long long)(now->tv_sec - then->tv_sec) * 1000 +
	       (now->tv_nsec - then->tv_nsec) / 1000000;
}

/* curl's progress meter, throttled and counted in bytes of the file. */
static int http_dl_xferinfo(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                            curl_off_t ulnow)
{
	struct http_dl *dl = userp;
	struct timespec now;

	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (!dl->progress || !dl->accepting)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (dl->reported && http_ms_since(&dl->last_report, &now) < HTTP_PROGRESS_EVERY)
		return 0;
	dl->last_report = now;
	dl->reported = 1;
	dl->progress(dl->ctx, dl->offset + dl->written,
	             dltotal > 0 ? dl->offset + (unsigned long long)dltotal : 0);
	return 0;
}

/* Validate a pinned digest and lowercase it into out. */
static int http_hex_pin(const char *hex, char out[CRYPTO_HEX_MAX])
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
	return i == 128 ? 0 : -1;
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
static int http_cached(const char *dest, const char *stamp, const char *want, struct err *err)
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
	if (crypto_hash_file(dest, CRYPTO_SHA512, got, err) < 0) {
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

/* Empty the .part and start over (the server did not honour the Range). */
static int http_restart(struct http_dl *dl, const char *part, struct err *err)
{
	char discard[CRYPTO_HEX_MAX];

	if (ftruncate(dl->fd, 0) < 0 || lseek(dl->fd, 0, SEEK_SET) < 0)
		return err_sys(err, errno, "cannot truncate '%s'", part);
	crypto_hash_final(dl->hash, discard);
	dl->hash = crypto_hash_new(CRYPTO_SHA512);
	dl->offset = 0;
	dl->written = 0;
	dl->accepting = 0;
	dl->bad_status = 0;
	dl->errbuf[0] = '\0';
	return 0;
}

/*
 * One transfer into the .part, resuming from dl->offset, restarting once
 * from zero when the server ignores the Range. 0 when the .part should
 * now hold the whole file.
 */
static int http_fetch(struct http_dl *dl, const char *url, const char *part, struct err *err)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		long code = 0;
		CURLcode res;

		curl_easy_setopt(dl->curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)dl->offset);
		res = curl_easy_perform(dl->curl);
		curl_easy_getinfo(dl->curl, CURLINFO_RESPONSE_CODE, &code);
		if (dl->write_errno) {
			err_sys(err, dl->write_errno, "cannot write '%s'", part);
			if (dl->write_errno == ENOSPC || dl->write_errno == EDQUOT)
				err_suffix(err, " (disk full: free some space and run again; the "
				                "download resumes)");
			return -1;
		}
		/* Range past the end: the .part already holds every byte. */
		if (dl->offset > 0 && code == 416)
			return 0;
		/* Range ignored (200) or answered with other bytes: start over. */
		if (res == CURLE_RANGE_ERROR && dl->offset > 0 && (code == 200 || code == 206) &&
		    attempt == 0) {
			if (http_restart(dl, part, err) < 0)
				return -1;
			continue;
		}
		/* 200 with no body: "the entire document is already downloaded". */
		if (res == CURLE_OK && (code == 200 || code == 206))
			return 0;
		if (code >= 300 && (res == CURLE_OK || res == CURLE_RANGE_ERROR || dl->bad_status))
			return http_status_fail(dl->curl, url, code, err);
		if (res == CURLE_OK || dl->bad_status)
			return err_set(err, ERR_FAIL, "HTTP %ld: the server sent no file", code);
		http_curl_fail(dl->curl, res, dl->errbuf, err);
		if (dl->offset + dl->written > 0)
			err_suffix(err, " (run again to resume)");
		return -1;
	}
}

int http_download(const char *url, const char *dest, const char *sha512_hex,
                  http_progress_fn progress, void *ctx, struct err *err)
{
	struct http_dl dl = {.fd = -1, .progress = progress, .ctx = ctx};
	char want[CRYPTO_HEX_MAX], got[CRYPTO_HEX_MAX];
	char *part = xasprintf("%s.part", dest);
	char *stamp = xasprintf("%s.sha512", dest);
	char *dir = path_dir(dest);
	unsigned long long resumed_from;
	int rc = -1, cached;

	if (http_hex_pin(sha512_hex, want) < 0) {
		err_set(err, ERR_FAIL, "the pinned sha512 '%s' is not 128 hex digits", sha512_hex);
		goto out;
	}
	cached = http_cached(dest, stamp, want, err);
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
	dl.hash = crypto_hash_new(CRYPTO_SHA512);
	if (http_hash_part(&dl, part, err) < 0)
		goto out;
	resumed_from = dl.offset;

	dl.curl = http_handle_new(dl.errbuf, err);
	if (!dl.curl)
		goto out;
	curl_easy_setopt(dl.curl, CURLOPT_URL, url);
	curl_easy_setopt(dl.curl, CURLOPT_BUFFERSIZE, HTTP_RECV_BUFFER_SIZE);
	curl_easy_setopt(dl.curl, CURLOPT_WRITEFUNCTION, http_dl_write);
	curl_easy_setopt(dl.curl, CURLOPT_WRITEDATA, &dl);
	curl_easy_setopt(dl.curl, CURLOPT_XFERINFOFUNCTION, http_dl_xferinfo);
	curl_easy_setopt(dl.curl, CURLOPT_XFERINFODATA, &dl);
	curl_easy_setopt(dl.curl, CURLOPT_NOPROGRESS, 0L);
	if (http_fetch(&dl, url, part, err) < 0)
		goto out;

	crypto_hash_final(dl.hash, got);
	dl.hash = NULL;
	if (strcmp(got, want) != 0) {
		unlink(part);
		err_set(err, ERR_FAIL,
		        "sha512 mismatch: expected %s, got %s; the download was deleted", want,
		        got);
		if (resumed_from > 0)
			err_suffix(err,
			           " (it continued an earlier partial download of %llu "
			           "bytes: run again to fetch it whole; if that fails too, is "
			           "the pinned sha512 right?)",
			           resumed_from);
		else
			err_suffix(err, " (is the pinned sha512 right?)");
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
	if (dl.curl)
		curl_easy_cleanup(dl.curl);
	if (dl.fd >= 0)
		close(dl.fd);
	free(dir);
	free(stamp);
	free(part);
	return rc;
}
