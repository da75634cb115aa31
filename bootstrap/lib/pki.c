/*
 * pki: the container engine's small CA and its two leaves (pki.h), kept
 * in the state directory and made or renewed through crypto.h. Every
 * file is read before anything is written, so that something in the way
 * (a directory, a FIFO, a link where a file goes) is refused before the
 * PKI is touched; a regular file that does not read or parse is ours and
 * is remade. A leaf is remade with a new key, key first, so that a crash
 * between the two writes leaves a pair that does not match, which the
 * next run repairs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto.h"
#include "fs.h"
#include "ipv4.h"
#include "pki.h"
#include "text.h"
#include "xmem.h"

#define PKI_DAY        86400LL
#define PKI_CA_DAYS    3650 /* 10 years */
#define PKI_LEAF_DAYS  1095 /* 3 years */
#define PKI_RENEW_DAYS 30
#define PKI_BACKDATE   PKI_DAY /* notBefore a day back: the VM's clock may lag */
#define PKI_FILE_MAX   (64 * 1024)
#define PKI_DNS_MAX    253
#define PKI_LABEL_MAX  63

void pki_paths(struct pki *p, const struct state *st)
{
	memset(p, 0, sizeof(*p));
	p->dir = path_join(st->dir, "engine");
	p->ca_key = path_join(p->dir, "ca-key.pem");
	p->client_dir = path_join(p->dir, "client");
	p->ca = path_join(p->client_dir, "ca.pem");
	p->cert = path_join(p->client_dir, "cert.pem");
	p->key = path_join(p->client_dir, "key.pem");
	p->server_dir = path_join(p->dir, "server");
	p->server_ca = path_join(p->server_dir, "ca.pem");
	p->server_cert = path_join(p->server_dir, "cert.pem");
	p->server_key = path_join(p->server_dir, "key.pem");
}

int pki_exists(const struct pki *p)
{
	return fs_exists(p->ca_key) && fs_exists(p->ca) && fs_exists(p->cert) &&
	       fs_exists(p->key) && fs_exists(p->server_ca) && fs_exists(p->server_cert) &&
	       fs_exists(p->server_key);
}

void pki_release(struct pki *p)
{
	if (p == NULL)
		return;
	free(p->dir);
	free(p->ca_key);
	free(p->client_dir);
	free(p->ca);
	free(p->cert);
	free(p->key);
	free(p->server_dir);
	free(p->server_ca);
	free(p->server_cert);
	free(p->server_key);
	memset(p, 0, sizeof(*p));
}

/* Make directory path (0700), or make an existing one 0700. */
static int pki_dir(const char *path, struct err *err)
{
	struct stat sb;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return err_sys(err, errno, "cannot create directory '%s'", path);
	if (lstat(path, &sb) < 0)
		return err_sys(err, errno, "cannot use directory '%s'", path);
	if (!S_ISDIR(sb.st_mode))
		return err_setk(err, ERRK_INVALID,
		                "cannot use '%s': it is %s where ftboot keeps the engine's "
		                "certificates; move it away and run again",
		                path, S_ISREG(sb.st_mode) ? "a file" : fs_kind(sb.st_mode));
	if ((sb.st_mode & 07777) != 0700 && chmod(path, 0700) < 0)
		return err_sys(err, errno, "cannot make directory '%s' private (0700)", path);
	return 0;
}

/*
 * The contents of path into *out (caller frees with crypto_key_free),
 * NULL if it is missing or a regular file that cannot be read: ours, to
 * be remade. Anything else where the file goes is an error.
 */
static int pki_load(const char *path, char **out, struct err *err)
{
	return fs_read_private(path, PKI_FILE_MAX, "a certificate or key",
	                       FS_PRIVATE_FIX | FS_PRIVATE_REMAKE, out, err);
}

/* Replace *slot with a copy of data, written to path. */
static int pki_store(const char *path, char **slot, const char *data, int *changed, struct err *err)
{
	if (fs_write_atomic(path, data, strlen(data), 0600, 0, err) < 0)
		return -1;
	crypto_key_free(*slot);
	*slot = xstrdup(data);
	*changed = 1;
	return 0;
}

/* A DNS name as RFC 1123 has it (letters, digits, hyphens; not all-numeric at the top). */
static int pki_dns_ok(const char *s)
{
	size_t len = strlen(s), label = 0, i;
	int digits_only = 1;

	if (len == 0 || len > PKI_DNS_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > PKI_LABEL_MAX || s[i - 1] == '-')
				return 0;
			if (c == '\0')
				break;
			label = 0;
			digits_only = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (c < '0' || c > '9')
			digits_only = 0;
		label++;
	}
	return !digits_only;
}

static int pki_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort a NULL-terminated list of n strings and drop repeats; returns the new count. */
static size_t pki_sort_unique(char **v, size_t n)
{
	size_t i, w = 0;

	qsort(v, n, sizeof(*v), pki_cmp);
	for (i = 0; i < n; i++) {
		if (w > 0 && strcmp(v[w - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[w++] = v[i];
	}
	v[w] = NULL;
	return w;
}

static void pki_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* The subjectAltNames for hosts: sorted, unique, "IP:a.b.c.d" or "DNS:name" (lowercase). */
static int pki_sans(const char *const *hosts, char ***out, struct err *err)
{
	char shown[128], addr_s[IPV4_STRLEN];
	size_t n = 0, i, j;
	uint32_t addr;
	char **v;

	*out = NULL;
	while (hosts != NULL && hosts[n] != NULL)
		n++;
	if (n == 0)
		return err_setk(err, ERRK_INVALID,
		                "no host to name in the engine's server certificate: give the "
		                "address the engine listens on");
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		if (ipv4_parse(hosts[i], &addr) == 0) {
			v[i] = xasprintf("IP:%s", ipv4_format(addr, addr_s));
			continue;
		}
		if (!pki_dns_ok(hosts[i])) {
			text_quote(hosts[i], strlen(hosts[i]), shown, sizeof(shown));
			pki_strv_free(v);
			return err_setk(err, ERRK_INVALID,
			                "invalid engine host '%s': it is neither an IPv4 address "
			                "nor a DNS name; give an address such as 192.168.122.10 "
			                "or a name such as engine.example.org",
			                shown);
		}
		v[i] = xasprintf("DNS:%s", hosts[i]);
		for (j = 4; v[i][j]; j++)
			if (v[i][j] >= 'A' && v[i][j] <= 'Z')
				v[i][j] = (char)(v[i][j] - 'A' + 'a');
	}
	pki_sort_unique(v, n);
	*out = v;
	return 0;
}

/* 1 if the two NULL-terminated sorted unique lists are equal. */
static int pki_same_sans(char **have, char **want)
{
	size_t n = 0, i;
	char **sorted;
	int same;

	while (have[n])
		n++;
	sorted = xcalloc(n + 1, sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = xstrdup(have[i]);
	n = pki_sort_unique(sorted, n);
	for (i = 0; i < n && want[i] && strcmp(sorted[i], want[i]) == 0; i++)
		;
	same = i == n && want[i] == NULL;
	pki_strv_free(sorted);
	return same;
}

/* 1 if info is valid at now and for PKI_RENEW_DAYS more. */
static int pki_fresh(const struct crypto_cert_info *info, long long now)
{
	return info->not_before <= now && info->not_after - now >= PKI_RENEW_DAYS * PKI_DAY;
}

/* 1 if the CA (certificate and key as loaded) can be kept. */
static int pki_ca_ok(const char *ca, const char *ca_key, long long now, long long *not_after)
{
	struct crypto_cert_info info;
	struct err e;
	int ok;

	if (ca == NULL || ca_key == NULL || crypto_cert_read(ca, &info, &e) < 0)
		return 0;
	ok = info.is_ca && pki_fresh(&info, now) && crypto_cert_matches_key(ca, ca_key, &e) == 0 &&
	     crypto_cert_signed_by(ca, ca, &e) == 0;
	*not_after = info.not_after;
	crypto_cert_info_release(&info);
	return ok;
}

/* 1 if a leaf (as loaded) can be kept: see pki.h. */
static int pki_leaf_ok(const char *cert, const char *key, const char *ca, char **sans,
                       long long now)
{
	struct crypto_cert_info info;
	struct err e;
	int ok;

	if (cert == NULL || key == NULL || crypto_cert_read(cert, &info, &e) < 0)
		return 0;
	ok = !info.is_ca && pki_fresh(&info, now) && pki_same_sans(info.sans, sans) &&
	     crypto_cert_signed_by(cert, ca, &e) == 0 &&
	     crypto_cert_matches_key(cert, key, &e) == 0;
	crypto_cert_info_release(&info);
	return ok;
}

/* What pki_ensure holds while it works: the seven files as loaded. */
struct pki_work {
	const struct pki *p;
	char *ca_key, *ca, *server_ca;
	char *cert, *key, *server_cert, *server_key;
	long long now, ca_not_after;
	int changed;
};

static int pki_make_ca(struct pki_work *w, const char *stack, struct err *err)
{
	struct crypto_cert_req req = {.kind = CRYPTO_CERT_CA};
	char *key = NULL, *cert = NULL, *cn = xasprintf("ftboot engine CA (%.40s)", stack);
	int rc = -1;

	req.cn = cn;
	req.not_before = w->now - PKI_BACKDATE;
	req.not_after = w->now + PKI_CA_DAYS * PKI_DAY;
	if (crypto_ec_key(&key, err) < 0 || crypto_cert_make(&req, key, &cert, err) < 0) {
		err_wrap(err, "cannot make the engine's CA");
		goto out;
	}
	/* The key first: a crash before the certificate leaves a mismatch, remade next time. */
	if (pki_store(w->p->ca_key, &w->ca_key, key, &w->changed, err) < 0 ||
	    pki_store(w->p->ca, &w->ca, cert, &w->changed, err) < 0)
		goto out;
	w->ca_not_after = req.not_after;
	rc = 0;
out:
	crypto_key_free(key);
	free(cert);
	free(cn);
	return rc;
}

static int pki_make_leaf(struct pki_work *w, enum crypto_cert_kind kind, const char *cert_path,
                         const char *key_path, char **cert_slot, char **key_slot, char **sans,
                         struct err *err)
{
	struct crypto_cert_req req = {.kind = kind};
	const char *what = kind == CRYPTO_CERT_SERVER ? "server" : "client";
	char *key = NULL, *cert = NULL;
	int rc = -1;

	req.cn = kind == CRYPTO_CERT_SERVER ? "ftboot engine" : "ftboot client";
	req.sans = (const char *const *)sans;
	req.not_before = w->now - PKI_BACKDATE;
	req.not_after = w->now + PKI_LEAF_DAYS * PKI_DAY;
	if (req.not_after > w->ca_not_after)
		req.not_after = w->ca_not_after;
	req.issuer_cert = w->ca;
	req.issuer_key = w->ca_key;
	if (crypto_ec_key(&key, err) < 0 || crypto_cert_make(&req, key, &cert, err) < 0) {
		err_wrap(err, "cannot make the engine's %s certificate", what);
		goto out;
	}
	if (pki_store(key_path, key_slot, key, &w->changed, err) < 0 ||
	    pki_store(cert_path, cert_slot, cert, &w->changed, err) < 0)
		goto out;
	rc = 0;
out:
	crypto_key_free(key);
	free(cert);
	return rc;
}

int pki_ensure(struct pki *p, const struct state *st, const char *const *hosts, long long now,
               struct err *err)
{
	struct pki_work w = {.p = p};
	char *none[] = {NULL};
	char **sans = NULL;
	int rc = -1, renew;

	pki_paths(p, st);
	w.now = now != 0 ? now : (long long)time(NULL);
	if (pki_sans(hosts, &sans, err) < 0)
		goto out;
	if (pki_dir(p->dir, err) < 0 || pki_dir(p->client_dir, err) < 0 ||
	    pki_dir(p->server_dir, err) < 0)
		goto out;
	/* Everything read (and anything in the way refused) before anything is written. */
	if (pki_load(p->ca_key, &w.ca_key, err) < 0 || pki_load(p->ca, &w.ca, err) < 0 ||
	    pki_load(p->server_ca, &w.server_ca, err) < 0 || pki_load(p->cert, &w.cert, err) < 0 ||
	    pki_load(p->key, &w.key, err) < 0 ||
	    pki_load(p->server_cert, &w.server_cert, err) < 0 ||
	    pki_load(p->server_key, &w.server_key, err) < 0)
		goto out;

	renew = !pki_ca_ok(w.ca, w.ca_key, w.now, &w.ca_not_after);
	if (renew && pki_make_ca(&w, st->stack, err) < 0)
		goto out;
	if ((w.server_ca == NULL || strcmp(w.server_ca, w.ca) != 0) &&
	    pki_store(p->server_ca, &w.server_ca, w.ca, &w.changed, err) < 0)
		goto out;
	if ((renew || !pki_leaf_ok(w.cert, w.key, w.ca, none, w.now)) &&
	    pki_make_leaf(&w, CRYPTO_CERT_CLIENT, p->cert, p->key, &w.cert, &w.key, none, err) < 0)
		goto out;
	if ((renew || !pki_leaf_ok(w.server_cert, w.server_key, w.ca, sans, w.now)) &&
	    pki_make_leaf(&w, CRYPTO_CERT_SERVER, p->server_cert, p->server_key, &w.server_cert,
	                  &w.server_key, sans, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_wrap(err, "engine certificates in '%s'", p->dir);
	p->changed = w.changed;
	pki_strv_free(sans);
	crypto_key_free(w.ca_key);
	crypto_key_free(w.ca);
	crypto_key_free(w.server_ca);
	crypto_key_free(w.cert);
	crypto_key_free(w.key);
	crypto_key_free(w.server_cert);
	crypto_key_free(w.server_key);
	return rc;
}
