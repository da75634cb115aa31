/*
 * test_pki: the engine's CA (pki.c over crypto.c's X.509), checked by
 * OpenSSL's own command line: `openssl verify` must accept the leaves,
 * `openssl x509 -text` must show the extensions, and a real mutual-TLS
 * handshake between `openssl s_server -Verify` and `openssl s_client`
 * must pass with the certificates made here and fail with a client
 * certificate of another CA. Renewal is driven by the injected clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "net.h"
#include "pki.h"
#include "run.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

#define DAY    86400LL
#define NFILES 7

static char *tmp;
static char stack_name[] = "t";
static struct state st = {.stack = stack_name, .lock_fd = -1};
static struct buf messages = BUF_INIT(1 << 20); /* every error message seen */
static struct buf keys = BUF_INIT(1 << 22);     /* every private key file seen */

static const char *const hosts[] = {"127.0.0.1", "Engine.Example", "10.0.0.5", "127.0.0.1", NULL};

/* The seven files' contents, in pki.h's order. */
struct snap {
	char *f[NFILES];
};

static const char *file_of(const struct pki *p, int i)
{
	const char *v[NFILES] = {p->ca_key,    p->ca,          p->cert,      p->key,
	                         p->server_ca, p->server_cert, p->server_key};
	return v[i];
}

static void snap_take(struct snap *s, const struct pki *p)
{
	int i;

	for (i = 0; i < NFILES; i++) {
		s->f[i] = scratch_slurp(file_of(p, i));
		if (s->f[i] && (i == 0 || i == 3 || i == 6))
			buf_addstr(&keys, s->f[i]);
	}
}

static void snap_release(struct snap *s)
{
	int i;

	for (i = 0; i < NFILES; i++)
		free(s->f[i]);
}

/* A bit per file that differs between a and b (or is missing in either). */
static int snap_diff(const struct snap *a, const struct snap *b)
{
	int i, mask = 0;

	for (i = 0; i < NFILES; i++)
		if (!a->f[i] || !b->f[i] || strcmp(a->f[i], b->f[i]) != 0)
			mask |= 1 << i;
	return mask;
}

enum { F_CA_KEY = 1, F_CA = 2, F_CERT = 4, F_KEY = 8, F_SCA = 16, F_SCERT = 32, F_SKEY = 64 };
#define F_CAS    (F_CA_KEY | F_CA | F_SCA)
#define F_CLIENT (F_CERT | F_KEY)
#define F_SERVER (F_SCERT | F_SKEY)

static int ensure(struct pki *p, const char *const *h, long long now, struct err *err)
{
	int rc;

	pki_release(p);
	rc = pki_ensure(p, &st, h, now, err);
	if (rc < 0) {
		buf_addstr(&messages, err->msg);
		buf_addch(&messages, '\n');
	}
	return rc;
}

/* A state directory of its own for one scenario, with a PKI made at the clock. */
static void fresh(struct pki *p)
{
	struct err err;

	free(st.dir);
	st.dir = xasprintf("%s/state", tmp);
	if (fs_remove_tree(st.dir, &err) < 0 || mkdir(st.dir, 0700) < 0) {
		diag("cannot reset %s", st.dir);
		exit(1);
	}
	if (ensure(p, hosts, 0, &err) < 0) {
		diag("first ensure: %s", err.msg);
		exit(1);
	}
}

/* openssl with args; its output (stdout and stderr) in out; the exit status. */
static int openssl(struct buf *out, const char *const *args)
{
	const char *argv[32] = {"openssl"};
	int i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	buf_reset(out);
	return run_capture(argv, out, 1);
}

/* `openssl verify -x509_strict` of cert against ca at time at (0: now). */
static int verify(const char *ca, const char *cert, long long at, struct buf *out)
{
	char at_s[32];

	snprintf(at_s, sizeof(at_s), "%lld", at ? at : (long long)time(NULL));
	return openssl(out, (const char *const[]){"verify", "-x509_strict", "-attime", at_s,
	                                          "-CAfile", ca, cert, NULL});
}

/* 1 if both leaves verify against client/ca.pem at time at. */
static int leaves_verify(const struct pki *p, long long at, struct buf *out)
{
	return verify(p->ca, p->server_cert, at, out) == 0 && verify(p->ca, p->cert, at, out) == 0;
}

static long long not_after_of(const char *path)
{
	char *pem = scratch_slurp(path);
	struct crypto_cert_info info;
	struct err err;
	long long t = 0;

	if (pem && crypto_cert_read(pem, &info, &err) == 0) {
		t = info.not_after;
		crypto_cert_info_release(&info);
	}
	free(pem);
	return t;
}

static int mode_of(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

static void test_first(void)
{
	struct buf out = BUF_INIT(1 << 20);
	struct crypto_cert_info info;
	struct pki p = {0};
	struct snap a, b;
	struct err err;
	int i, rc, modes_ok = 1;
	char *pem;

	free(st.dir);
	st.dir = xasprintf("%s/state", tmp);
	mkdir(st.dir, 0700);
	pki_paths(&p, &st);
	ok(!pki_exists(&p), "no PKI before the first ensure");
	rc = ensure(&p, hosts, 0, &err);
	ok(rc == 0 && p.changed == 1, "first ensure makes the PKI: %s", rc ? err.msg : "ok");
	ok(pki_exists(&p), "  and pki_exists says so");
	for (i = 0; i < NFILES; i++)
		if (mode_of(file_of(&p, i)) != 0600) {
			modes_ok = 0;
			diag("%s is %o", file_of(&p, i), mode_of(file_of(&p, i)));
		}
	ok(modes_ok, "  all seven files are 0600");
	ok(mode_of(p.dir) == 0700 && mode_of(p.client_dir) == 0700 && mode_of(p.server_dir) == 0700,
	   "  the three directories are 0700");
	snap_take(&a, &p);
	ok(a.f[1] && a.f[4] && strcmp(a.f[1], a.f[4]) == 0, "  server/ca.pem is client/ca.pem");
	ok(a.f[0] && a.f[3] && a.f[6] &&
	       strncmp(a.f[0], "-----BEGIN PRIVATE KEY-----\n", 28) == 0 &&
	       strncmp(a.f[3], "-----BEGIN PRIVATE KEY-----\n", 28) == 0 &&
	       strncmp(a.f[6], "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
	   "  the keys are PKCS#8 PEM");

	rc = openssl(&out, (const char *const[]){"pkey", "-noout", "-text", "-in", p.key, NULL});
	ok(rc == 0 && strstr(buf_cstr(&out), "NIST CURVE: P-256"), "openssl pkey: an EC P-256 key");
	rc = verify(p.ca, p.cert, 0, &out);
	ok(rc == 0 && strstr(buf_cstr(&out), ": OK"),
	   "openssl verify -x509_strict: client cert: %s", buf_cstr(&out));
	rc = verify(p.server_ca, p.server_cert, 0, &out);
	ok(rc == 0 && strstr(buf_cstr(&out), ": OK"),
	   "openssl verify -x509_strict: server cert: %s", buf_cstr(&out));
	rc = verify(p.ca, p.ca, 0, &out);
	ok(rc == 0, "openssl verify: the CA is self-signed: %s", buf_cstr(&out));

	rc = openssl(&out, (const char *const[]){"x509", "-noout", "-text", "-in", p.ca, NULL});
	ok(rc == 0 && strstr(buf_cstr(&out), "X509v3 Basic Constraints: critical\n") &&
	       strstr(buf_cstr(&out), "CA:TRUE") &&
	       strstr(buf_cstr(&out), "Certificate Sign, CRL Sign") &&
	       strstr(buf_cstr(&out), "X509v3 Subject Key Identifier") &&
	       strstr(buf_cstr(&out), "X509v3 Authority Key Identifier") &&
	       strstr(buf_cstr(&out), "ecdsa-with-SHA256") &&
	       strstr(buf_cstr(&out), "Subject: CN = ftboot engine CA (t)"),
	   "openssl x509 -text: the CA: CA:TRUE critical, keyCertSign, cRLSign, key ids");
	rc = openssl(&out,
	             (const char *const[]){"x509", "-noout", "-text", "-in", p.server_cert, NULL});
	ok(rc == 0 && strstr(buf_cstr(&out), "CA:FALSE") &&
	       strstr(buf_cstr(&out), "Digital Signature, Key Encipherment") &&
	       strstr(buf_cstr(&out), "TLS Web Server Authentication") &&
	       !strstr(buf_cstr(&out), "TLS Web Client Authentication") &&
	       strstr(buf_cstr(&out), "DNS:engine.example, IP Address:10.0.0.5, IP "
	                              "Address:127.0.0.1\n"),
	   "openssl x509 -text: the server: CA:FALSE, serverAuth, the SANs (sorted, once, "
	   "lowercase)");
	if (!strstr(buf_cstr(&out), "TLS Web Server"))
		diag("%s", buf_cstr(&out));
	rc = openssl(&out, (const char *const[]){"x509", "-noout", "-text", "-in", p.cert, NULL});
	ok(rc == 0 && strstr(buf_cstr(&out), "CA:FALSE") &&
	       strstr(buf_cstr(&out), "TLS Web Client Authentication") &&
	       !strstr(buf_cstr(&out), "Subject Alternative Name"),
	   "openssl x509 -text: the client: CA:FALSE, clientAuth, no SAN");

	pem = scratch_slurp(p.server_cert);
	rc = pem ? crypto_cert_read(pem, &info, &err) : -1;
	ok(rc == 0 && !info.is_ca && info.sans[0] && info.sans[1] && info.sans[2] &&
	       !info.sans[3] && strcmp(info.sans[0], "DNS:engine.example") == 0 &&
	       strcmp(info.sans[1], "IP:10.0.0.5") == 0 &&
	       strcmp(info.sans[2], "IP:127.0.0.1") == 0,
	   "crypto_cert_read: the server's SANs");
	ok(rc == 0 && info.not_after - info.not_before == (1095 + 1) * DAY,
	   "  3 years (and a day back) for a leaf");
	if (rc == 0) {
		char md[CRYPTO_HEX_MAX];

		rc = openssl(&out, (const char *const[]){"x509", "-noout", "-fingerprint",
		                                         "-sha256", "-in", p.server_cert, NULL});
		/* "sha256 Fingerprint=AB:CD:..." */
		{
			const char *f = strchr(buf_cstr(&out), '=');
			size_t n = 0;

			for (f = f ? f + 1 : ""; *f && *f != '\n' && n + 1 < sizeof(md); f++)
				if (*f != ':')
					md[n++] =
					    (char)(*f >= 'A' && *f <= 'F' ? *f - 'A' + 'a' : *f);
			md[n] = '\0';
		}
		is_str(info.fingerprint, md, "  the fingerprint is openssl's");
		crypto_cert_info_release(&info);
	}
	free(pem);
	ok(not_after_of(p.ca) - time(NULL) > 3649 * DAY, "  10 years for the CA");

	rc = ensure(&p, (const char *const[]){"10.0.0.5", "engine.example", "127.0.0.1", NULL}, 0,
	            &err);
	snap_take(&b, &p);
	ok(rc == 0 && p.changed == 0 && snap_diff(&a, &b) == 0,
	   "second ensure (hosts in another order and case): nothing changes (%d, %#x)", p.changed,
	   snap_diff(&a, &b));
	snap_release(&b);

	/* A file kept as it is, but readable by others: made private again. */
	chmod(p.cert, 0644);
	chmod(p.server_dir, 0755);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	ok(rc == 0 && p.changed == 0 && snap_diff(&a, &b) == 0 && mode_of(p.cert) == 0600 &&
	       mode_of(p.server_dir) == 0700,
	   "a kept file 0644 and a directory 0755: 0600 and 0700 again, nothing remade");
	snap_release(&a);
	snap_release(&b);
	pki_release(&p);
	buf_release(&out);
}

static void test_renewal(void)
{
	struct buf out = BUF_INIT(1 << 20);
	struct pki p = {0};
	struct snap a, b;
	struct err err;
	long long leaf_end, ca_end, now;
	int rc;

	fresh(&p);
	snap_take(&a, &p);
	leaf_end = not_after_of(p.server_cert);
	ca_end = not_after_of(p.ca);

	now = leaf_end - 31 * DAY;
	rc = ensure(&p, hosts, now, &err);
	snap_take(&b, &p);
	ok(rc == 0 && p.changed == 0 && snap_diff(&a, &b) == 0,
	   "at expiry-31 days: nothing renewed (%#x)", snap_diff(&a, &b));
	snap_release(&b);

	now = leaf_end - 29 * DAY;
	rc = ensure(&p, hosts, now, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CLIENT | F_SERVER,
	       "at expiry-29 days: both leaves renewed, the CA kept: %s", rc ? err.msg : "ok");
	ok(p.changed == 1, "  changed is set");
	ok(leaves_verify(&p, now, &out), "  the new leaves verify (at that time): %s",
	   buf_cstr(&out));
	ok(not_after_of(p.server_cert) == now + 1095 * DAY, "  for 3 years from then");
	snap_release(&a);
	snap_release(&b);

	snap_take(&a, &p);
	now = ca_end - 29 * DAY;
	rc = ensure(&p, hosts, now, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CAS | F_CLIENT | F_SERVER,
	       "CA at expiry-29 days: everything remade: %s", rc ? err.msg : "ok");
	ok(leaves_verify(&p, now, &out), "  both leaves verify with the new CA: %s",
	   buf_cstr(&out));
	ok(not_after_of(p.ca) == now + 3650 * DAY, "  the new CA lasts 10 years from then");
	snap_release(&a);
	snap_release(&b);

	/* A clock that went back before the CA's start: remade, valid again at that time. */
	rc = ensure(&p, hosts, 0, &err);
	ok(rc == 0 && p.changed == 1, "a CA not yet valid at the clock is remade");
	rc = verify(p.ca, p.server_cert, 0, &out);
	ok(rc == 0, "  and verifies now: %s", buf_cstr(&out));
	pki_release(&p);
	buf_release(&out);
}

static void test_hosts(void)
{
	static const char *const bad[] = {
	    "bad host",   "1.2.3.256", "",  "h\xc3\xa9llo.example", "a\nb", "-x.example",
	    "x..example", "x.",        NULL};
	struct pki p = {0};
	struct snap a, b;
	struct err err;
	int rc, i, all = 1;

	fresh(&p);
	snap_take(&a, &p);
	rc = ensure(&p, (const char *const[]){"127.0.0.1", NULL}, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_SERVER, "other hosts: the server cert (and key) only: %s",
	       rc ? err.msg : "ok");
	snap_release(&a);
	snap_release(&b);

	snap_take(&a, &p);
	for (i = 0; bad[i]; i++) {
		rc = ensure(&p, (const char *const[]){"127.0.0.1", bad[i], NULL}, 0, &err);
		if (rc != -1 || err.kind != ERRK_INVALID ||
		    !strstr(err.msg, "invalid engine host") ||
		    !strstr(err.msg, "neither an IPv4 address nor a DNS name") ||
		    strchr(err.msg, '\n')) {
			all = 0;
			diag("host %d: %s", i, err.msg);
		}
	}
	ok(all, "bad hosts (space, 1.2.3.256, empty, multi-byte, newline, ...) refused: %s",
	   err.msg);
	rc = ensure(&p, (const char *const[]){NULL}, 0, &err);
	ok(rc == -1 && strstr(err.msg, "no host"), "no host at all: %s", err.msg);
	snap_take(&b, &p);
	ok(snap_diff(&a, &b) == 0, "  and nothing was written");
	snap_release(&a);
	snap_release(&b);
	pki_release(&p);
}

/* A CA (with the same name as ours) and a client leaf of it, made by openssl. */
static void other_ca(char **cert, char **key)
{
	struct buf out = BUF_INIT(1 << 16);
	char *ca = xasprintf("%s/other-ca.pem", tmp), *ca_key = xasprintf("%s/other-ca.key", tmp);
	char *csr = xasprintf("%s/other.csr", tmp), *ext = xasprintf("%s/other.ext", tmp);
	struct err err;
	int rc;

	*cert = xasprintf("%s/other.pem", tmp);
	*key = xasprintf("%s/other.key", tmp);
	fs_write_atomic(ext, "extendedKeyUsage=clientAuth\n", 28, 0600, 0, &err);
	rc = openssl(&out, (const char *const[]){"req", "-x509", "-newkey", "ec", "-pkeyopt",
	                                         "ec_paramgen_curve:P-256", "-nodes", "-keyout",
	                                         ca_key, "-out", ca, "-days", "365", "-subj",
	                                         "/CN=ftboot engine CA (t)", NULL});
	if (rc == 0)
		rc = openssl(&out, (const char *const[]){"req", "-newkey", "ec", "-pkeyopt",
		                                         "ec_paramgen_curve:P-256", "-nodes",
		                                         "-keyout", *key, "-out", csr, "-subj",
		                                         "/CN=ftboot client", NULL});
	if (rc == 0)
		rc = openssl(&out,
		             (const char *const[]){"x509", "-req", "-in", csr, "-CA", ca, "-CAkey",
		                                   ca_key, "-CAcreateserial", "-out", *cert,
		                                   "-days", "365", "-extfile", ext, NULL});
	if (rc != 0) {
		diag("openssl cannot make another CA: %s", buf_cstr(&out));
		exit(1);
	}
	{
		char *k1 = scratch_slurp(ca_key), *k2 = scratch_slurp(*key);

		buf_addstr(&keys, k1 ? k1 : "");
		buf_addstr(&keys, k2 ? k2 : "");
		free(k1);
		free(k2);
	}
	free(ca);
	free(ca_key);
	free(csr);
	free(ext);
	buf_release(&out);
}

static void copy_file(const char *from, const char *to)
{
	char *s = scratch_slurp(from);
	struct err err;

	if (s == NULL || fs_write_atomic(to, s, strlen(s), 0600, 0, &err) < 0) {
		diag("cannot copy %s to %s", from, to);
		exit(1);
	}
	free(s);
}

static void put(const char *path, const void *data, size_t len)
{
	struct err err;

	if (fs_write_atomic(path, data, len, 0600, 0, &err) < 0) {
		diag("%s", err.msg);
		exit(1);
	}
}

static void test_repairs(void)
{
	struct buf out = BUF_INIT(1 << 20);
	char *ocert, *okey, *s, *pem;
	struct pki p = {0};
	struct snap a, b;
	struct err err;
	int rc;

	other_ca(&ocert, &okey);
	fresh(&p);

	copy_file(ocert, p.cert);
	copy_file(okey, p.key);
	snap_take(&a, &p);
	rc = verify(p.ca, p.cert, 0, &out);
	ok(rc != 0, "setup: a client cert of another CA of the same name fails openssl verify");
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CLIENT, "a leaf of another CA is replaced: %s",
	       rc ? err.msg : "ok");
	s = scratch_slurp(ocert);
	ok(b.f[2] && s && strcmp(b.f[2], s) != 0, "  the other CA's cert is gone");
	rc = verify(p.ca, p.cert, 0, &out);
	ok(rc == 0, "  the new one verifies: %s", buf_cstr(&out));
	pem = scratch_slurp(p.ca);
	rc = crypto_cert_signed_by(s, pem, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "signature does not verify"),
	   "crypto_cert_signed_by: same issuer name, another key: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	rc = crypto_cert_signed_by(pem, b.f[5], &err);
	ok(rc == -1 && strstr(err.msg, "issuer is not the CA"),
	   "crypto_cert_signed_by: another issuer name: %s", err.msg);
	free(pem);
	free(s);
	snap_release(&a);
	snap_release(&b);

	/* Corrupt files: garbage with a NUL byte, a truncated PEM, an empty file. */
	snap_take(&a, &p);
	put(p.server_cert, "garbage\0\x01\xff", 11);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_SERVER, "a corrupt server cert is replaced: %s",
	       rc ? err.msg : "ok");
	rc = verify(p.server_ca, p.server_cert, 0, &out);
	ok(rc == 0, "  and the new one verifies: %s", buf_cstr(&out));
	snap_release(&a);
	snap_release(&b);

	snap_take(&a, &p);
	put(p.ca, a.f[1], strlen(a.f[1]) / 2);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CAS | F_CLIENT | F_SERVER,
	       "a truncated CA cert: all remade: %s", rc ? err.msg : "ok");
	rc = verify(p.server_ca, p.server_cert, 0, &out);
	ok(rc == 0, "  and the server cert verifies with the new CA: %s", buf_cstr(&out));
	snap_release(&a);
	snap_release(&b);

	snap_take(&a, &p);
	put(p.ca_key, "", 0);
	chmod(p.ca_key, 0644);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CAS | F_CLIENT | F_SERVER, "an empty CA key: all remade: %s",
	       rc ? err.msg : "ok");
	is_int(mode_of(p.ca_key), 0600, "  and it is 0600 again");
	snap_release(&a);
	snap_release(&b);

	snap_take(&a, &p);
	unlink(p.server_ca);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), 0,
	       "server/ca.pem missing: copied again, nothing else changes: %s",
	       rc ? err.msg : "ok");
	ok(p.changed == 1, "  changed is set");
	snap_release(&b);

	/* Key/cert mismatch: the server's key in the client's place. */
	copy_file(p.server_key, p.key);
	rc = ensure(&p, hosts, 0, &err);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CLIENT, "client key of another pair: the client is remade: %s",
	       rc ? err.msg : "ok");
	s = scratch_slurp(p.cert);
	pem = scratch_slurp(p.key);
	ok(s && pem && crypto_cert_matches_key(s, pem, &err) == 0, "  cert and key match again");
	free(pem);
	pem = scratch_slurp(p.server_key);
	rc = crypto_cert_matches_key(s, pem, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "not for the key"),
	   "crypto_cert_matches_key: another key: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	/* The key where a certificate goes, and the other way round. */
	rc = crypto_cert_matches_key(pem, s, &err);
	ok(rc == -1 && strstr(err.msg, "does not parse as a PEM certificate"),
	   "  a key as the cert: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	rc = crypto_cert_matches_key(s, s, &err);
	ok(rc == -1 && strstr(err.msg, "does not parse as an unencrypted PEM private key"),
	   "  a cert as the key: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	free(pem);
	free(s);
	snap_release(&a);
	snap_release(&b);

	/* openssl's own view of the repaired pair: the same public key. */
	{
		struct buf k = BUF_INIT(1 << 16);

		openssl(&out,
		        (const char *const[]){"x509", "-noout", "-pubkey", "-in", p.cert, NULL});
		openssl(&k, (const char *const[]){"pkey", "-pubout", "-in", p.key, NULL});
		ok(buf_cstr(&out)[0] && strcmp(buf_cstr(&out), buf_cstr(&k)) == 0,
		   "  openssl: the cert's public key is the key's");
		buf_release(&k);
	}

	free(ocert);
	free(okey);
	pki_release(&p);
	buf_release(&out);
}

static void test_in_the_way(void)
{
	struct pki p = {0};
	struct snap a, b;
	struct err err;
	int rc;

	fresh(&p);
	snap_take(&a, &p);
	unlink(p.cert);
	mkdir(p.cert, 0700);
	rc = ensure(&p, hosts, 0, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, p.cert) &&
	       strstr(err.msg, "it is a directory") && strstr(err.msg, "remove it"),
	   "a directory where cert.pem goes: %s", err.msg);
	rmdir(p.cert);
	snap_take(&b, &p);
	is_int(snap_diff(&a, &b), F_CERT, "  nothing else was touched");
	snap_release(&b);

	unlink(p.server_key);
	rc = mkfifo(p.server_key, 0600);
	rc = rc == 0 ? ensure(&p, hosts, 0, &err) : 0;
	ok(rc == -1 && strstr(err.msg, p.server_key) && strstr(err.msg, "it is a FIFO"),
	   "a FIFO where server/key.pem goes (not opened, so no hang): %s", err.msg);
	unlink(p.server_key);

	unlink(p.ca_key);
	if (symlink(p.server_cert, p.ca_key) == 0) {
		rc = ensure(&p, hosts, 0, &err);
		ok(rc == -1 && strstr(err.msg, "it is a symbolic link"),
		   "a symbolic link where ca-key.pem goes: %s", err.msg);
		unlink(p.ca_key);
	}

	fs_remove_tree(p.server_dir, &err);
	put(p.server_dir, "x", 1);
	rc = ensure(&p, hosts, 0, &err);
	ok(rc == -1 && strstr(err.msg, p.server_dir) && strstr(err.msg, "it is a file"),
	   "a file where the server directory goes: %s", err.msg);
	unlink(p.server_dir);

	chmod(p.client_dir, 0755);
	rc = ensure(&p, hosts, 0, &err);
	ok(rc == 0 && p.changed == 1, "once cleared, ensure makes what is missing: %s",
	   rc ? err.msg : "ok");
	ok(mode_of(p.client_dir) == 0700 && mode_of(p.server_dir) == 0700,
	   "  and the directories are 0700 again");
	snap_release(&a);
	pki_release(&p);
}

static void test_crypto_direct(void)
{
	struct crypto_cert_req req = {.kind = CRYPTO_CERT_SERVER, .cn = "x", .not_after = 86400};
	struct crypto_cert_info info;
	char *key = NULL, *cert = NULL;
	struct err err;
	int rc;

	rc = crypto_ec_key(&key, &err);
	ok(rc == 0, "crypto_ec_key");
	req.sans = (const char *const[]){"DNS:a,IP:1.2.3.4", NULL};
	rc = crypto_cert_make(&req, key, &cert, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "invalid subjectAltName"),
	   "a SAN with a comma is refused, not split: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	req.sans = (const char *const[]){"email:a@b", NULL};
	rc = crypto_cert_make(&req, key, &cert, &err);
	ok(rc == -1 && strstr(err.msg, "expected IP:<address> or DNS:<name>"),
	   "an unknown SAN type is refused: %s", err.msg);
	req.sans = (const char *const[]){"IP:::1", "DNS:x.example", NULL};
	req.cn = "a common name longer than the sixty-four characters that X.520 allows it, "
	         "much";
	rc = crypto_cert_make(&req, key, &cert, &err);
	ok(rc == -1 && strstr(err.msg, "bad common name") && strstr(err.msg, "error:"),
	   "a CN too long: libcrypto's reason: %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	req.cn = "x";
	rc = crypto_cert_make(&req, key, &cert, &err);
	ok(rc == 0, "self-signed leaf with an IPv6 SAN: %s", rc ? err.msg : "ok");
	rc = rc == 0 ? crypto_cert_read(cert, &info, &err) : -1;
	ok(rc == 0 && info.sans[0] && strcmp(info.sans[0], "IP:::1") == 0 && info.not_before == 0 &&
	       info.not_after == 86400,
	   "  read back: IP:::1, the times given");
	if (rc == 0)
		crypto_cert_info_release(&info);
	req.issuer_cert = cert;
	rc = crypto_cert_make(&req, key, &cert, &err);
	ok(rc == -1 && strstr(err.msg, "both"), "an issuer cert without its key: %s", err.msg);
	rc = crypto_cert_read("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	                      &info, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "does not parse as a PEM certificate"),
	   "a PEM armour around junk: %s", err.msg);
	rc = crypto_cert_matches_key(req.issuer_cert,
	                             "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
	                             "-----END ENCRYPTED PRIVATE KEY-----\n",
	                             &err);
	ok(rc == -1 && strstr(err.msg, "does not parse as an unencrypted PEM private key"),
	   "an encrypted key fails (no prompt): %s", err.msg);
	buf_addf(&messages, "%s\n", err.msg);
	free((char *)req.issuer_cert);
	crypto_key_free(key);
}

/*
 * s_client (bounded by timeout(1)) sending one HTTP request: the
 * handshake passed both ways only if s_server's -www page comes back
 * (with TLS 1.3 the client's side of a handshake ends before the server
 * has judged the client's certificate).
 */
static int s_client(int port, const char *cert, const char *key, const char *ca, const char *ip,
                    struct buf *out)
{
	char *at = xasprintf("127.0.0.1:%d", port);
	const char *const argv[] = {"sh",
	                            "-c",
	                            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | exec timeout 10 openssl "
	                            "s_client \"$@\"",
	                            "sh",
	                            "-connect",
	                            at,
	                            "-cert",
	                            cert,
	                            "-key",
	                            key,
	                            "-CAfile",
	                            ca,
	                            "-verify_return_error",
	                            "-verify_ip",
	                            ip,
	                            "-ign_eof",
	                            NULL};
	int rc;

	buf_reset(out);
	rc = run_capture(argv, out, 1);
	free(at);
	return rc;
}

static void test_handshake(void)
{
	struct buf out = BUF_INIT(1 << 20);
	struct pki p = {0};
	struct err err;
	char *ocert, *okey, *accept_at;
	int port = net_free_port(), rc, status;
	pid_t pid;

	fresh(&p);
	rc = ensure(&p, (const char *const[]){"127.0.0.1", NULL}, 0, &err);
	ok(rc == 0, "a PKI for 127.0.0.1: %s", rc ? err.msg : "ok");
	other_ca(&ocert, &okey);
	accept_at = xasprintf("127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept_at,
		       "-Verify", "1", "-verify_return_error", "-cert", p.server_cert, "-key",
		       p.server_key, "-CAfile", p.server_ca, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || !net_wait_port(port)) {
		ok(0, "openssl s_server listens on %s (waited 5 s)", accept_at);
	} else {
		rc = s_client(port, p.cert, p.key, p.ca, "127.0.0.1", &out);
		ok(rc == 0 && strstr(buf_cstr(&out), "Verify return code: 0 (ok)") &&
		       strstr(buf_cstr(&out), "HTTP/1.0 200 ok"),
		   "mutual TLS: s_client (our client cert, -verify_ip 127.0.0.1) and s_server "
		   "-Verify (our server cert) agree");
		if (!strstr(buf_cstr(&out), "200 ok"))
			diag("%s", buf_cstr(&out));
		rc = s_client(port, ocert, okey, p.ca, "127.0.0.1", &out);
		ok(rc != 0 && !strstr(buf_cstr(&out), "HTTP/1.0 200 ok") &&
		       strstr(buf_cstr(&out), "alert unknown ca"),
		   "a client cert of another CA (same CA name): the server ends it, unknown ca "
		   "(rc %d)",
		   rc);
		rc = s_client(port, p.cert, p.key, p.ca, "127.0.0.2", &out);
		ok(rc != 0 && !strstr(buf_cstr(&out), "HTTP/1.0 200 ok") &&
		       strstr(buf_cstr(&out), "IP address mismatch"),
		   "an address the server cert does not name: the client refuses (rc %d)", rc);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	free(accept_at);
	free(ocert);
	free(okey);
	pki_release(&p);
	buf_release(&out);
}

/* No error message may hold a line of any private key this test made or saw. */
static void test_no_keys_in_messages(void)
{
	const char *msgs = buf_cstr(&messages), *k = buf_cstr(&keys), *nl;
	size_t lines = 0, leaks = 0;
	char line[128];

	for (; *k; k = *nl ? nl + 1 : nl) {
		nl = strchr(k, '\n');
		if (nl == NULL)
			nl = k + strlen(k);
		if (strncmp(k, "-----", 5) == 0 || (size_t)(nl - k) >= sizeof(line) || nl == k)
			continue;
		memcpy(line, k, (size_t)(nl - k));
		line[nl - k] = '\0';
		lines++;
		if (strstr(msgs, line))
			leaks++;
	}
	ok(lines > 10 && leaks == 0 && !strstr(msgs, "PRIVATE KEY-----") && strlen(msgs) > 500,
	   "no key material in %zu bytes of error messages (%zu key lines looked for, %zu found)",
	   strlen(msgs), lines, leaks);
}

int main(void)
{
	struct buf out = BUF_INIT(4096);

	if (run_capture((const char *const[]){"openssl", "version", NULL}, &out, 1) != 0)
		skip_all("no openssl command (Debian package openssl)");
	buf_release(&out);
	tmp = scratch_open("pki");
	test_first();
	test_renewal();
	test_hosts();
	test_repairs();
	test_in_the_way();
	test_crypto_direct();
	test_handshake();
	test_no_keys_in_messages();
	free(st.dir);
	buf_release(&messages);
	buf_release(&keys);
	scratch_close(tmp);
	return tap_done();
}
