/*
 * check_ftps: the `ftps` check kind (E7, R11): explicit TLS (AUTH TLS) on
 * the checked address, the server's certificate trusted only if it is
 * the stack's own (svckeys.h), the generated user's login, passive mode
 * announced on the same address, a random file uploaded under a unique
 * name, downloaded and compared byte for byte, then deleted; and a plain
 * FTP login with the same credentials must be refused.
 *
 *   - id: E7
 *     kind: ftps
 *     port: ${port.ftps.ftp}
 *     user: ${values.ftp_user}
 *     password: ${secret.ftp_password}
 *     size: 65536                       # bytes of the file (optional)
 *     pasv_min: ${port.ftps.pasv.first} # the passive ports the Service
 *     pasv_max: ${port.ftps.pasv.last}  # exposes (optional)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "check.h"
#include "text.h"
#include "http.h"
#include "mono.h"
#include "xmem.h"

#define FTPS_CHECK_MS   10000   /* each FTP operation */
#define FTPS_CHECK_SIZE 65536   /* the file's default size */
#define FTPS_CHECK_MAX  8388608 /* its largest */

static const char *const ftps_keys[] = {"port",     "user",     "password", "size",
                                        "pasv_min", "pasv_max", NULL};

static int ftps_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const ports[] = {"port", "pasv_min", "pasv_max"};
	static const char *const strs[] = {"user", "password"};
	const struct doc_node *n, *lo, *hi;
	char what[64];
	int v;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "%s.%s", where, ports[i]);
		if ((n = doc_map_get(check, ports[i])) == NULL) {
			if (i == 0)
				return schema_fail(sc, check, where,
				                   "an ftps check needs port: (${port.ftps.ftp})");
			continue;
		}
		if (schema_int(sc, n, what, 1, 65535, &v) < 0)
			return -1;
	}
	lo = doc_map_get(check, "pasv_min");
	hi = doc_map_get(check, "pasv_max");
	if (!lo != !hi) {
		snprintf(what, sizeof(what), "%s.%s", where, lo ? "pasv_min" : "pasv_max");
		return schema_fail(sc, lo ? lo : hi, what,
		                   "pasv_min and pasv_max go together (the passive port range)");
	}
	if (lo && lo->i > hi->i) {
		snprintf(what, sizeof(what), "%s.pasv_max", where);
		return schema_fail(sc, hi, what, "%lld is below pasv_min %lld", hi->i, lo->i);
	}
	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s.%s", where, strs[i]);
		if ((n = doc_map_get(check, strs[i])) == NULL)
			return schema_fail(sc, check, where, "an ftps check needs %s:", strs[i]);
		if (schema_str(sc, n, what) < 0)
			return -1;
	}
	if ((n = doc_map_get(check, "size"))) {
		snprintf(what, sizeof(what), "%s.size", where);
		if (schema_int(sc, n, what, 1, FTPS_CHECK_MAX, &v) < 0)
			return -1;
	}
	return 0;
}

static int ftps_cancel(void *ctx)
{
	return check_cancelled(ctx);
}

/* n random bytes into out; -1 if the kernel gives none. */
static int ftps_random(unsigned char *out, size_t n)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = getrandom(out + have, n - have, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	return 0;
}

/* The first offset where a and b differ (their lengths may differ too). */
static size_t ftps_first_diff(const unsigned char *a, size_t alen, const unsigned char *b,
                              size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return n;
}

/*
 * The passive answer of the last operation: on the checked address, and
 * in the exposed range when the check gives one. 0, or -1 (failed).
 */
static int ftps_passive(struct check_run *cr, const struct http_ftp_resp *resp, const char *op)
{
	long long lo = check_int(cr, "pasv_min", 0), hi = check_int(cr, "pasv_max", 0);

	if (!resp->pasv_host[0])
		return check_fail(cr, "a passive answer (227) to PASV", "none",
		                  "vsftpd needs pasv_enable=YES");
	check_evidence(cr, "%s: passive mode on %s:%d", op, resp->pasv_host, resp->pasv_port);
	if (strcmp(resp->pasv_host, cr->env->address) != 0) {
		char *want = xasprintf("passive ports announced on %s", cr->env->address);
		char *seen = xasprintf("227 with the address %s", resp->pasv_host);

		check_fail(cr, want, seen,
		           "vsftpd's pasv_address must be the LoadBalancer address (LB_IP): "
		           "clients cannot reach %s",
		           resp->pasv_host);
		free(want);
		free(seen);
		return -1;
	}
	if (lo && (resp->pasv_port < lo || resp->pasv_port > hi)) {
		char *want = xasprintf("a passive port in %lld-%lld (the Service's)", lo, hi);
		char *seen = xasprintf("port %d", resp->pasv_port);

		check_fail(cr, want, seen,
		           "vsftpd's pasv_min_port/pasv_max_port must be the ports the ftps "
		           "Service lists");
		free(want);
		free(seen);
		return -1;
	}
	return 0;
}

static int ftps_run_check(struct check_run *cr)
{
	const struct check_env *env = cr->env;
	size_t size = (size_t)check_int(cr, "size", FTPS_CHECK_SIZE);
	struct http_ftp_resp resp = HTTP_FTP_RESP_INIT(size);
	struct http_ftp_req req = {0};
	struct http *h = NULL;
	struct err err;
	unsigned char *data = NULL, tag[8];
	char name[64];
	int uploaded = 0, ret = -1;
	double t0;
	size_t i;

	if (env->tls_cert == NULL) {
		check_fail(cr, "the stack's own TLS certificate, to trust",
		           "the state has no service keys",
		           "run ftboot up (it makes the stack's certificate and host key)");
		goto out;
	}
	data = xmalloc(size);
	if (ftps_random(data, size) < 0 || ftps_random(tag, sizeof(tag)) < 0) {
		check_fail(cr, "random bytes", "getrandom failed", NULL);
		goto out;
	}
	snprintf(name, sizeof(name), "ftboot-check-");
	for (i = 0; i < sizeof(tag); i++)
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "%02x", tag[i]);
	snprintf(name + strlen(name), sizeof(name) - strlen(name), ".bin");

	req.host = env->address;
	req.port = (int)check_int(cr, "port", 21);
	req.user = check_str(cr, "user", "");
	req.password = check_str(cr, "password", "");
	req.tls = 1;
	req.ca_file = env->tls_cert;
	req.total_ms = check_timeout(cr, FTPS_CHECK_MS);
	req.cancel_fn = ftps_cancel;
	req.cancel_ctx = cr;
	h = http_new();

	/* Upload: AUTH TLS, login, PASV, STOR. */
	req.op = HTTP_FTP_UPLOAD;
	req.path = name;
	req.data = data;
	req.len = size;
	t0 = mono_now();
	if (http_ftp(h, &req, &resp, &err) < 0) {
		if (err.kind == ERRK_DENIED && resp.code == 530)
			check_fail(cr, "the login of the generated FTP user over TLS", err.msg,
			           "the login of %s is refused: is ftps running with the stack's "
			           "secret (ftp-password)? run ftboot up to apply it",
			           req.user);
		else if (err.kind == ERRK_DENIED)
			check_fail(
			    cr, "the stack's own certificate", err.msg,
			    "the FTPS server on %s:%d does not serve the stack's certificate "
			    "(%s): is ftps deployed with the stack's TLS Secret? run ftboot up",
			    req.host, req.port, env->tls_cert);
		else
			check_fail_err(cr, "an explicit-TLS (AUTH TLS) upload", &err,
			               "is ftps running, its port on the LoadBalancer address and "
			               "every passive port in its Service? kubectl get svc ftps");
		/* Past PASV, STOR was sent: part of the file may be there. */
		uploaded = resp.pasv_host[0] != '\0';
		goto cleanup;
	}
	uploaded = 1;
	check_evidence(cr, "AUTH TLS: %s, certificate %s", resp.tls[0] ? resp.tls : "TLS",
	               env->tls_cert);
	check_evidence(cr, "upload %s (%zu bytes): %s (%.0f ms)", name, size, resp.last,
	               (mono_now() - t0) * 1000);
	if (ftps_passive(cr, &resp, "upload") < 0)
		goto cleanup;

	/* Download and compare. */
	req.op = HTTP_FTP_DOWNLOAD;
	t0 = mono_now();
	if (http_ftp(h, &req, &resp, &err) < 0) {
		check_fail_err(cr, "the uploaded file downloaded back", &err, NULL);
		goto cleanup;
	}
	check_evidence(cr, "download %s (%zu bytes): %s (%.0f ms)", name, resp.body.len, resp.last,
	               (mono_now() - t0) * 1000);
	if (resp.body.len != size || memcmp(resp.body.data, data, size) != 0) {
		char *want = xasprintf("the %zu bytes uploaded", size);
		char *seen =
		    xasprintf("%zu bytes, differing from offset %zu", resp.body.len,
		              ftps_first_diff(data, size, (const unsigned char *)resp.body.data,
		                              resp.body.len));

		check_fail(cr, want, seen,
		           "the file changed on its way: vsftpd's ascii mode, a full disk, or a "
		           "transfer cut short (its log says which)");
		free(want);
		free(seen);
		goto cleanup;
	}
	if (ftps_passive(cr, &resp, "download") < 0)
		goto cleanup;
	check_evidence(cr, "the %zu bytes came back the same", size);

cleanup:
	if (uploaded) {
		struct err e2;

		req.op = HTTP_FTP_DELETE;
		if (http_ftp(h, &req, &resp, &e2) < 0)
			check_evidence(cr, "delete %s: %s", name, e2.msg);
		else
			check_evidence(cr, "delete %s: %s", name, resp.last);
	}
	if (cr->res->status == CHECK_FAIL)
		goto out;

	/*
	 * Plain FTP, no TLS at all: the login must be refused. Never with
	 * the real password: a server that allows plain logins (the failure
	 * this looks for) would get it in the clear after its 331. A random
	 * one instead, and the verdict from the server's answer to USER:
	 * vsftpd with force_local_logins_ssl refuses USER itself (530); a
	 * 331 ("password required") means a plain login was on offer.
	 */
	http_free(h);
	h = http_new();
	{
		unsigned char rnd[12];
		char *decoy = NULL;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			check_fail(cr, "random bytes for the plain-FTP probe's password",
			           "getrandom failed", NULL);
			goto out;
		}
		decoy = text_base64(rnd, sizeof(rnd), 1);
		req.op = HTTP_FTP_LOGIN;
		req.tls = 0;
		req.ca_file = NULL;
		req.path = NULL;
		req.password = decoy;
		if (http_ftp(h, &req, &resp, &err) == 0) {
			free(decoy);
			check_fail(
			    cr, "a plain (non-TLS) FTP login refused",
			    "the server let a plain login in, with a wrong password",
			    "vsftpd needs ssl_enable=YES and force_local_logins_ssl=YES (and "
			    "force_local_data_ssl=YES)");
			goto out;
		}
		free(decoy);
	}
	if (resp.replies.data && strstr(resp.replies.data, "\n331 ") != NULL) {
		check_fail(cr, "a plain (non-TLS) FTP login refused at USER (530)",
		           "331: the server asked for the password of a plain login",
		           "vsftpd needs ssl_enable=YES and force_local_logins_ssl=YES (and "
		           "force_local_data_ssl=YES)");
		goto out;
	}
	if (err.kind != ERRK_DENIED) {
		check_fail_err(cr, "a plain (non-TLS) FTP login refused with 530", &err, NULL);
		goto out;
	}
	check_evidence(cr, "plain FTP login refused: %s", resp.last);
	ret = 0;
out:
	http_free(h);
	http_ftp_resp_release(&resp);
	free(data);
	return ret;
}

const struct check_kind check_kind_ftps = {"ftps", ftps_keys, ftps_validate, ftps_run_check};
