/*
 * http: everything ftboot sends over HTTP (downloads, the Docker Engine
 * and Kubernetes APIs). The only file that includes curl's headers is
 * http.c; curl's error codes are translated there into messages that name
 * the URL and say what happened.
 */
#ifndef FTBOOT_HTTP_H
#define FTBOOT_HTTP_H

#include "buf.h"
#include "err.h"

/* libcurl's version and its TLS library ("7.88.1 (OpenSSL/3.0.15)"). Static. */
const char *http_version(void);

/* ---- requests -------------------------------------------------------------
 *
 * The transport the API modules (Docker Engine, Kubernetes) send through:
 * any method, headers, a body from memory or from a callback, the answer
 * into a capped buffer or to a callback, unix sockets, a private CA and a
 * client certificate, a total and an idle timeout. A status of 400 or more
 * is not a transport error: the caller gets the status and the body and
 * translates the API's own message.
 */

/*
 * A client: one connection cache, reused by the requests sent through it
 * (a connection is reused only for the same host or socket and the same
 * TLS settings). One request at a time: a thread of its own needs a
 * client of its own.
 */
struct http;

/* A new client (never NULL; aborts if libcurl cannot make a handle). */
struct http *http_new(void);

/* Close the client's connections and free it. NULL is fine. */
void http_free(struct http *h);

/*
 * The request body from a callback: copy at most size bytes into data and
 * return how many; 0 at the end of the body; -1 with err set to fail the
 * request with that error.
 */
typedef long (*http_read_fn)(void *ctx, char *data, size_t size, struct err *err);

/*
 * The response body to a callback, as it arrives (only a 2xx answer's
 * body: another status's body goes to the response's body buffer). Return
 * 0 to go on, 1 to stop the transfer (http_request then returns 0 with
 * resp->stopped set), -1 with err set to fail the request with that error.
 * The response's status and headers are set before the first call.
 */
typedef int (*http_write_fn)(void *ctx, const char *data, size_t len, struct err *err);

/* Certificates and keys: a file path or PEM text in memory, not both. */
struct http_pem {
	const char *file;
	const char *pem;
};

struct http_req {
	const char *method;         /* NULL: GET, or POST when there is a body */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* "Name: value" lines, NULL-terminated; or NULL */

	/* The body: from memory (body, body_len), or from read_fn. */
	const void *body;
	size_t body_len;
	http_read_fn read_fn;
	void *read_ctx;
	long long read_len; /* read_fn's body length; -1: unknown, sent chunked */

	/* The answer: 2xx bodies to write_fn if set, else into the response's body. */
	http_write_fn write_fn;
	void *write_ctx;

	const char *unix_socket; /* connect to this socket instead of the URL's host */
	struct http_pem ca;      /* trust only this CA (default: the system's) */
	struct http_pem cert;    /* client certificate (mutual TLS) */
	struct http_pem key;     /* its private key */
	int follow_redirects;    /* follow up to 10 redirects */

	/*
	 * Bounds, in milliseconds. total_ms: the whole request, answer
	 * included (0: 300 s). idle_ms: the longest time with no byte sent
	 * or received (0: 60 s); a watch that may be quiet for minutes sets
	 * it high and keeps a total. Connecting gives up after 30 s at most.
	 */
	unsigned long total_ms;
	unsigned long idle_ms;

	/*
	 * Polled about once a second while the request runs, also when no
	 * byte moves (a build whose RUN prints nothing): 1 stops it, and
	 * http_request fails "cancelled" (ERRK_OTHER). NULL: never.
	 */
	int (*cancel_fn)(void *ctx);
	void *cancel_ctx;

	/*
	 * TLS for a server whose certificate is known in advance: trust
	 * exactly the certificate in this PEM file (self-signed; ca is not
	 * used) and its public key (pinned), and not its name, which need
	 * not be the URL's host (the stack's certificate names the LB
	 * address, a test reaches it at 127.0.0.1).
	 */
	const char *pinned_cert;
	/*
	 * 1: no verification of the server's certificate at all (the
	 * channel is encrypted, not authenticated). For the callers that
	 * were told so explicitly, never with a secret to send.
	 */
	int tls_unverified;
};

struct http_resp {
	long status;     /* the final answer's status; 0 if none came */
	struct buf body; /* the body (see http_write_fn), within its limit */
	int truncated;   /* an error status's body passed the limit: cut */
	int stopped;     /* write_fn asked to stop */
	struct buf head; /* the final answer's header lines, for http_resp_header */
};

/* A response whose body may hold up to limit bytes. */
#define HTTP_RESP_INIT(limit)                                                                      \
	{                                                                                          \
		0, BUF_INIT(limit), 0, 0, BUF_INIT(64 * 1024)                                      \
	}

/* Free the response's buffers. */
void http_resp_release(struct http_resp *resp);

/*
 * The value of the response header name (case-insensitive, the first
 * one), leading and trailing blanks removed, or NULL. The caller frees it.
 */
char *http_resp_header(const struct http_resp *resp, const char *name);

/*
 * Send req through h and read the answer into resp (its buffers are
 * emptied first, their limits kept). 0 when an answer came, whatever its status: resp->status and
 * resp->body tell what the server said. -1 with err set when none did,
 * the message starting "METHOD URL: " (with "via SOCKET" for a unix
 * socket), of kind:
 *   ERRK_TIMEOUT    the total or idle bound ran out (the message says
 *                   which, and how long it waited)
 *   ERRK_TRANSIENT  connection refused or lost, host not resolved
 *   ERRK_DENIED     the server's certificate is not trusted (not signed
 *                   by the given CA) or the server refused ours
 *   ERRK_INVALID    a 2xx body larger than resp->body's limit, a bad
 *                   certificate or key, a bad URL
 *   or the kind err was given by read_fn or write_fn.
 * resp->status is set whenever a status line came, even on failure.
 */
int http_request(struct http *h, const struct http_req *req, struct http_resp *resp,
                 struct err *err);

/*
 * Download progress: done bytes of total (0 when the server did not say).
 * Counts include what an earlier, interrupted attempt already fetched.
 * Called once when the file's bytes start to arrive (done = what the
 * .part already held), at most every 100 ms while they arrive, and once
 * at the end of a successful download with done == total. Never called
 * when the file was already in the cache.
 */
typedef void (*http_progress_fn)(void *ctx, unsigned long long done, unsigned long long total);

/*
 * Make dest hold the file at url whose SHA-512 is sha512_hex (128 hex
 * digits, either case; 64 hex digits are a SHA-256 instead, and the
 * stamp and messages below then say sha256), downloading it only if
 * needed:
 *
 * - If dest exists and matches, return 0 without touching the network (so
 *   a cached image works offline). Hashing gigabytes on every run is slow:
 *   after a verification, "DEST.sha512" records the digest with dest's
 *   size, modification time (ns) and inode, and while those still match
 *   dest is trusted without rehashing. The stamp is a cache, never the
 *   proof: any change to them (touch, replacement) makes it rehash.
 * - Otherwise fetch into "DEST.part" (mode 0644, parent directories
 *   created). An existing .part (an interrupted run) is resumed with a
 *   Range request; if the server answers 200 instead of 206 the download
 *   restarts from zero; a 416 (nothing left to send) means the .part is
 *   complete and is verified as it is.
 * - The bytes are hashed as they are written (a resumed .part is hashed
 *   first). A digest other than the pin deletes the .part and fails: a
 *   corrupt or substituted file is never kept. On success the .part is
 *   fsynced and renamed to dest atomically, and the stamp written.
 *
 * Redirects are followed (at most 10), https certificates are verified
 * against the system CAs, only http and https URLs are accepted. A
 * transfer that stalls (see http_set_stall_timeout) or cannot connect
 * fails rather than hangs; an interrupted or failed transfer keeps its
 * .part, so running again resumes it.
 *
 * progress may be NULL. A second process downloading the same dest at the
 * same time is refused with ERR_BUSY (the .part is locked).
 * Every error starts "cannot download 'URL': " and says what happened:
 * "HTTP 404 Not Found; is the URL right?", "cannot resolve host 'x'; ...",
 * "cannot connect to HOST port N: Connection refused; ...", "transfer
 * from HOST stalled ...", "cannot write 'DEST.part': No space left on
 * device (disk full: ...)", "sha512 mismatch: expected X, got Y; the
 * download was deleted (is the pinned sha512 right?)". The caller wraps
 * it with where the pin comes from (images/PROFILE/image.yaml).
 */
int http_download(const char *url, const char *dest, const char *sha512_hex,
                  http_progress_fn progress, void *ctx, struct err *err);

/*
 * A transfer slower than 1 KiB/s for this many seconds is abandoned as
 * stalled (default 30; connecting also gives up after 30 s). For tests
 * and a future command-line option. Process-wide; set it before starting
 * transfers.
 */
void http_set_stall_timeout(unsigned seconds);

/*
 * GET url and append the body to out (bounded by out's limit: a larger
 * answer fails). For small documents such as a published digest. Same
 * rules as http_download: http and https only, TLS verified, redirects
 * followed; a status of 300 or more is an error; and the whole request
 * must end within 300 s. On failure out is as it
 * was and err names the URL.
 */
int http_get(const char *url, struct buf *out, struct err *err);

/* ---- FTP and FTPS (E7) ----------------------------------------------------
 *
 * One operation per call through a client's handle (its control
 * connection is reused by the next call with the same login and TLS
 * settings). Passive mode only, PASV rather than EPSV so that the
 * address the server announces is seen (it must be the one the client
 * reached); the data connection goes to the control connection's
 * address whatever is announced.
 */
enum http_ftp_op {
	HTTP_FTP_LOGIN,    /* log in, nothing else */
	HTTP_FTP_UPLOAD,   /* STOR data[0..len) as path */
	HTTP_FTP_DOWNLOAD, /* RETR path into resp->body */
	HTTP_FTP_DELETE,   /* DELE path */
};

struct http_ftp_req {
	enum http_ftp_op op;
	const char *host; /* IPv4 address or name */
	int port;
	const char *user;
	const char *password; /* never in a message */
	/*
	 * 1: explicit TLS (AUTH TLS) required for the login and the data
	 * (PROT P); 0: plain FTP, no TLS at all.
	 */
	int tls;
	/*
	 * With tls: trust only this certificate (PEM file; required), its
	 * public key pinned, its names not checked (the address reached may
	 * be another name for it).
	 */
	const char *ca_file;
	const char *path; /* a name in the login directory: [A-Za-z0-9._-]+ */
	const void *data; /* HTTP_FTP_UPLOAD's bytes */
	size_t len;
	unsigned long total_ms; /* the whole operation (0: 30 s) */
	int (*cancel_fn)(void *ctx);
	void *cancel_ctx;
};

struct http_ftp_resp {
	long code;          /* the server's last reply code (226, 530, ...); 0 if none */
	char last[256];     /* that reply's line, control characters as '?' */
	struct buf body;    /* HTTP_FTP_DOWNLOAD's bytes, within the limit */
	struct buf replies; /* every reply line of the server, within its limit */
	char tls[64];       /* "TLSv1.2 / ECDHE-..." once TLS is up on the control connection */
	char pasv_host[48]; /* the last 227 answer's address, "" if none */
	int pasv_port;      /* ... and port */
};

#define HTTP_FTP_RESP_INIT(limit)                                                                  \
	{                                                                                          \
		0, "", BUF_INIT(limit), BUF_INIT(64 * 1024), "", "", 0                             \
	}

void http_ftp_resp_release(struct http_ftp_resp *resp);

/*
 * Run req through h. 0 when it was done; -1 with err set, the message
 * starting "FTP(S) LOGIN|UPLOAD|DOWNLOAD|DELETE ftp://HOST:PORT/PATH: ",
 * of kind:
 *   ERRK_DENIED      the login was refused (resp->code, resp->last say
 *                    how: 530 ...), or the certificate is not ca_file
 *   ERRK_UNSUPPORTED the server refused AUTH TLS
 *   ERRK_TRANSIENT   refused or lost connections
 *   ERRK_TIMEOUT     total_ms ran out
 *   ERRK_INVALID     a download larger than resp->body's limit, a bad path
 *   ERRK_OTHER       the server refused the command (resp->last says why)
 */
int http_ftp(struct http *h, const struct http_ftp_req *req, struct http_ftp_resp *resp,
             struct err *err);

/*
 * Cookies (on: 1), kept in memory by the client h as a browser keeps
 * them: every Set-Cookie of an answer is stored (domain, path, expiry),
 * and sent again with the later requests through h that match it, until
 * http_free. Off (0): every cookie is forgotten (the client's
 * connections too) and none is kept or sent any more. Off by default.
 */
void http_cookies(struct http *h, int on);

/*
 * The absolute URL of ref (as an HTML page's href or src holds it: an
 * absolute URL, //host/path, /path, or relative) against base, as a
 * browser resolves it ("../x" and "./" removed). A new string, or NULL
 * when either does not parse or the result is not http or https.
 */
char *http_url_resolve(const char *base, const char *ref);

#endif
