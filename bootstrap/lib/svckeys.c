/*
 * svckeys: the stack's service certificate and SSH host key (svckeys.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto.h"
#include "fs.h"
#include "svckeys.h"
#include "xmem.h"

#define SVCKEYS_FILE_MAX (64u << 10)
#define SVCKEYS_DAYS     (3 * 365)
#define SVCKEYS_RENEW    (30 * 86400LL)
#define SVCKEYS_COMMENT  "ftboot-service"

void svckeys_paths(struct svckeys *k, const struct state *st)
{
	k->dir = path_join(st->dir, "service");
	k->tls_cert = path_join(k->dir, "tls-cert.pem");
	k->tls_key = path_join(k->dir, "tls-key.pem");
	k->ssh_host_key = path_join(k->dir, "ssh_host_ed25519_key");
	k->ssh_host_pub = path_join(k->dir, "ssh_host_ed25519_key.pub");
}

void svckeys_release(struct svckeys *k)
{
	free(k->dir);
	free(k->tls_cert);
	free(k->tls_key);
	free(k->ssh_host_key);
	free(k->ssh_host_pub);
	memset(k, 0, sizeof(*k));
}

/*
 * path's contents into *out (NULL when missing); anything but a regular
 * file where it goes is an error naming it. With fix, a file that is not
 * 0600 is made so.
 */
static int load(const char *path, char **out, int fix, struct err *err)
{
	return fs_read_private(path, SVCKEYS_FILE_MAX, "a service key", fix ? FS_PRIVATE_FIX : 0,
	                       out, err);
}

/* 1 if cert (with key) is valid at now for 30 days and names exactly "IP:lb_ip". */
static int cert_ok(const char *cert, const char *key, const char *lb_ip, long long now)
{
	struct crypto_cert_info info = {0};
	struct err ignored;
	char want[64];
	int ok;

	if (cert == NULL || key == NULL || crypto_cert_read(cert, &info, &ignored) < 0)
		return 0;
	snprintf(want, sizeof(want), "IP:%s", lb_ip);
	ok = info.not_before <= now && info.not_after > now + SVCKEYS_RENEW && info.sans &&
	     info.sans[0] && strcmp(info.sans[0], want) == 0 && info.sans[1] == NULL &&
	     crypto_cert_matches_key(cert, key, &ignored) == 0;
	crypto_cert_info_release(&info);
	return ok;
}

static int make_tls(const struct svckeys *k, const char *lb_ip, long long now, struct err *err)
{
	char san[64], *key = NULL, *cert = NULL;
	const char *sans[] = {san, NULL};
	struct crypto_cert_req req = {0};
	int rc = -1;

	snprintf(san, sizeof(san), "IP:%s", lb_ip);
	req.kind = CRYPTO_CERT_SERVER;
	req.cn = lb_ip;
	req.sans = sans;
	req.not_before = now - 86400;
	req.not_after = now + SVCKEYS_DAYS * 86400LL;
	if (crypto_ec_key(&key, err) < 0 || crypto_cert_make(&req, key, &cert, err) < 0)
		goto out;
	if (fs_write_atomic(k->tls_key, key, strlen(key), 0600, 0, err) < 0 ||
	    fs_write_atomic(k->tls_cert, cert, strlen(cert), 0600, 0, err) < 0)
		goto out;
	rc = 0;
out:
	crypto_key_free(key);
	free(cert);
	return rc;
}

static int make_host_key(const struct svckeys *k, struct err *err)
{
	struct crypto_keypair kp = {0};
	char *line = NULL;
	int rc = -1;

	if (crypto_ed25519_generate(SVCKEYS_COMMENT, &kp, err) < 0)
		goto out;
	line = xasprintf("%s\n", kp.public_line);
	if (fs_write_atomic(k->ssh_host_key, kp.private_pem, strlen(kp.private_pem), 0600, 0, err) <
	        0 ||
	    fs_write_atomic(k->ssh_host_pub, line, strlen(line), 0600, 0, err) < 0)
		goto out;
	rc = 0;
out:
	free(line);
	crypto_keypair_release(&kp);
	return rc;
}

/*
 * The host key is kept: its public line, if missing or not its own, is
 * written again from the private key (which holds it), never a new key.
 */
static int host_pub(const struct svckeys *k, const char *host, const char *pub, struct err *err)
{
	char *line = NULL, *text = NULL;
	size_t n;
	int rc = -1;

	if (crypto_openssh_public(host, &line, err) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%.200s", err->msg);
		err_setk(err, ERRK_INVALID,
		         "cannot use '%s': %s; remove it and run again (ftboot makes a new host "
		         "key, which clients must then learn again)",
		         k->ssh_host_key, why);
		goto out;
	}
	n = strlen(line);
	if (pub && strncmp(pub, line, n) == 0 && (pub[n] == ' ' || pub[n] == '\n'))
		rc = 0;
	else {
		text = xasprintf("%s %s\n", line, SVCKEYS_COMMENT);
		rc = fs_write_atomic(k->ssh_host_pub, text, strlen(text), 0600, 0, err);
	}
out:
	free(line);
	free(text);
	return rc;
}

int svckeys_ensure(struct svckeys *k, const struct state *st, const char *lb_ip, long long now,
                   struct err *err)
{
	char *cert = NULL, *key = NULL, *host = NULL, *pub = NULL;
	int rc = -1;

	svckeys_paths(k, st);
	if (now == 0)
		now = (long long)time(NULL);
	if (fs_mkdirs(k->dir, 0700, err) < 0)
		goto out;
	if (chmod(k->dir, 0700) < 0) {
		err_sys(err, errno, "cannot make directory '%s' private (0700)", k->dir);
		goto out;
	}
	if (load(k->tls_cert, &cert, 1, err) < 0 || load(k->tls_key, &key, 1, err) < 0 ||
	    load(k->ssh_host_key, &host, 1, err) < 0 || load(k->ssh_host_pub, &pub, 1, err) < 0)
		goto out;
	if (!cert_ok(cert, key, lb_ip, now) && make_tls(k, lb_ip, now, err) < 0)
		goto out;
	if (host == NULL ? make_host_key(k, err) < 0 : host_pub(k, host, pub, err) < 0)
		goto out;
	rc = 0;
out:
	free(cert);
	crypto_key_free(key);
	crypto_key_free(host);
	free(pub);
	if (rc < 0)
		err_wrap(err, "the stack's service keys in '%s'", k->dir);
	return rc;
}

int svckeys_read(const struct svckeys *k, struct svckeys_text *t, struct err *err)
{
	memset(t, 0, sizeof(*t));
	if (load(k->tls_cert, &t->tls_cert, 0, err) < 0 ||
	    load(k->tls_key, &t->tls_key, 0, err) < 0 ||
	    load(k->ssh_host_key, &t->ssh_host_key, 0, err) < 0 ||
	    load(k->ssh_host_pub, &t->ssh_host_pub, 0, err) < 0) {
		svckeys_text_release(t);
		return err_wrap(err, "the stack's service keys in '%s'", k->dir);
	}
	return 0;
}

void svckeys_text_release(struct svckeys_text *t)
{
	free(t->tls_cert);
	crypto_key_free(t->tls_key);
	crypto_key_free(t->ssh_host_key);
	free(t->ssh_host_pub);
	memset(t, 0, sizeof(*t));
}
