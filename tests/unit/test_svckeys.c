/*
 * test_svckeys: the stack's service keys (svckeys.c). Made once and
 * kept; the certificate remade (with a new key) when the LB address
 * changes, when it nears its end, when it does not match its key or does
 * not parse; the host key never replaced (its public line written again
 * from it); 0600 files in a 0700 directory; a directory or FIFO where a
 * file goes is an error naming it; svckeys_read never makes anything.
 * OpenSSL's and OpenSSH's own tools read what is made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "fs.h"
#include "run.h"
#include "scratch.h"
#include "stack.h"
#include "step.h"
#include "svckeys.h"
#include "tap.h"
#include "xmem.h"

#define DAY (86400LL)
#define LB  "192.0.2.10"

static char *tmp;
static char stack_name[] = "t";
static struct state st = {.stack = stack_name, .lock_fd = -1};

/* The four files' contents. */
struct snap {
	char *cert, *key, *host, *pub;
};

static void snap_take(struct snap *s, const struct svckeys *k)
{
	s->cert = scratch_slurp(k->tls_cert);
	s->key = scratch_slurp(k->tls_key);
	s->host = scratch_slurp(k->ssh_host_key);
	s->pub = scratch_slurp(k->ssh_host_pub);
}

static void snap_release(struct snap *s)
{
	free(s->cert);
	free(s->key);
	free(s->host);
	free(s->pub);
	memset(s, 0, sizeof(*s));
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int ensure(struct svckeys *k, const char *ip, long long now, struct err *err)
{
	svckeys_release(k);
	return svckeys_ensure(k, &st, ip, now, err);
}

/* A state directory of its own for one scenario. */
static void fresh(void)
{
	struct err err;

	free(st.dir);
	st.dir = xasprintf("%s/state", tmp);
	if (fs_remove_tree(st.dir, &err) < 0 || mkdir(st.dir, 0700) < 0) {
		diag("cannot reset %s", st.dir);
		exit(1);
	}
}

static int mode_of(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

/* The certificate's SANs joined by ",", its not_after in *end; "" if it does not parse. */
static char *sans_of(const char *pem, long long *end)
{
	struct crypto_cert_info info = {0};
	struct buf b = BUF_INIT(4096);
	struct err err;
	size_t i;

	if (pem == NULL || crypto_cert_read(pem, &info, &err) < 0)
		return xstrdup("");
	for (i = 0; info.sans && info.sans[i]; i++)
		buf_addf(&b, "%s%s", i ? "," : "", info.sans[i]);
	if (end)
		*end = info.not_after;
	crypto_cert_info_release(&info);
	return buf_detach(&b, NULL);
}

static void test_first_and_kept(void)
{
	struct buf out = BUF_INIT(1 << 16);
	struct svckeys k = {0};
	struct snap a = {0}, b = {0};
	struct err err;
	long long now = (long long)time(NULL), end = 0;
	char *sans;
	int rc;

	fresh();
	rc = ensure(&k, LB, 0, &err);
	ok(rc == 0, "first ensure makes the keys: %s", rc ? err.msg : "ok");
	ok(mode_of(k.dir) == 0700, "  %s is 0700", k.dir);
	ok(mode_of(k.tls_cert) == 0600 && mode_of(k.tls_key) == 0600 &&
	       mode_of(k.ssh_host_key) == 0600 && mode_of(k.ssh_host_pub) == 0600,
	   "  the four files are 0600");
	snap_take(&a, &k);
	sans = sans_of(a.cert, &end);
	is_str(sans, "IP:" LB, "  the certificate parses and names exactly IP:" LB);
	free(sans);
	ok(end > now + 3 * 364 * DAY && end < now + 3 * 366 * DAY, "  it lasts three years");
	ok(a.key && crypto_cert_matches_key(a.cert, a.key, &err) == 0, "  it is its key's");
	if (run_capture((const char *const[]){"openssl", "x509", "-in", k.tls_cert, "-noout",
	                                      "-subject", "-ext", "subjectAltName", NULL},
	                &out, 1) == 0)
		ok(strstr(buf_cstr(&out), "CN = " LB) && strstr(buf_cstr(&out), "IP Address:" LB),
		   "  openssl x509 reads CN and the IP SAN: %s", buf_cstr(&out));
	else
		skip("no openssl command");
	buf_reset(&out);
	if (run_capture((const char *const[]){"ssh-keygen", "-y", "-f", k.ssh_host_key, NULL}, &out,
	                0) == 0)
		ok(a.pub && strncmp(a.pub, buf_cstr(&out), strcspn(buf_cstr(&out), "\n")) == 0 &&
		       strncmp(a.pub, "ssh-ed25519 ", 12) == 0,
		   "  ssh-keygen -y reads the host key; its public line is the .pub's");
	else
		skip("no ssh-keygen command");

	rc = ensure(&k, LB, 0, &err);
	snap_take(&b, &k);
	ok(rc == 0 && same(a.cert, b.cert) && same(a.key, b.key) && same(a.host, b.host) &&
	       same(a.pub, b.pub),
	   "a second ensure keeps all four: %s", rc ? err.msg : "ok");
	snap_release(&b);

	/* A month before the end: kept; within 30 days of it: remade. */
	rc = ensure(&k, LB, end - 31 * DAY, &err);
	snap_take(&b, &k);
	ok(rc == 0 && same(a.cert, b.cert) && same(a.key, b.key),
	   "31 days before its end the certificate is kept");
	snap_release(&b);
	rc = ensure(&k, LB, end - 29 * DAY, &err);
	snap_take(&b, &k);
	ok(rc == 0 && !same(a.cert, b.cert) && !same(a.key, b.key) &&
	       crypto_cert_matches_key(b.cert, b.key, &err) == 0,
	   "29 days before its end it is remade, with a new key");
	ok(same(a.host, b.host) && same(a.pub, b.pub), "  the host key is not touched");
	snap_release(&b);
	snap_release(&a);
	buf_release(&out);
	svckeys_release(&k);
}

static void test_lb_change(void)
{
	struct svckeys k = {0};
	struct snap a = {0}, b = {0};
	struct err err;
	char *sans;
	int rc;

	fresh();
	ensure(&k, LB, 0, &err);
	snap_take(&a, &k);
	rc = ensure(&k, "198.51.100.7", 0, &err);
	snap_take(&b, &k);
	sans = sans_of(b.cert, NULL);
	ok(rc == 0 && !same(a.cert, b.cert) && !same(a.key, b.key),
	   "a new LB address: a new certificate and key");
	is_str(sans, "IP:198.51.100.7", "  naming the new address");
	ok(same(a.host, b.host) && same(a.pub, b.pub), "  the same host key");
	free(sans);
	snap_release(&a);
	snap_release(&b);
	svckeys_release(&k);
}

static void test_repairs(void)
{
	struct svckeys k = {0};
	struct snap a = {0}, b = {0};
	struct err err;
	char *other = NULL, *sans;
	int rc;

	fresh();
	ensure(&k, LB, 0, &err);
	snap_take(&a, &k);

	/* The key is not the certificate's: both remade. */
	crypto_ec_key(&other, &err);
	fs_write_atomic(k.tls_key, other, strlen(other), 0600, 0, &err);
	rc = ensure(&k, LB, 0, &err);
	snap_take(&b, &k);
	ok(rc == 0 && !same(a.cert, b.cert) && !same(b.key, other) &&
	       crypto_cert_matches_key(b.cert, b.key, &err) == 0,
	   "a key that is not the certificate's: a new pair that matches");
	crypto_key_free(other);
	snap_release(&b);

	/* A certificate that does not parse: remade. */
	fs_write_atomic(k.tls_cert, "garbage\n", 8, 0600, 0, &err);
	rc = ensure(&k, LB, 0, &err);
	snap_take(&b, &k);
	sans = sans_of(b.cert, NULL);
	is_str(sans, "IP:" LB, "a certificate that does not parse is remade");
	free(sans);
	snap_release(&b);

	/* The public line gone, or another key's: written again from the private key. */
	unlink(k.ssh_host_pub);
	rc = ensure(&k, LB, 0, &err);
	snap_take(&b, &k);
	ok(rc == 0 && same(a.host, b.host) && same(a.pub, b.pub),
	   "the .pub removed: the same host key, its .pub written again, the same: %s",
	   rc ? err.msg : "ok");
	snap_release(&b);
	{
		struct crypto_keypair kp = {0};
		char *line;

		crypto_ed25519_generate("other", &kp, &err);
		line = xasprintf("%s\n", kp.public_line);
		fs_write_atomic(k.ssh_host_pub, line, strlen(line), 0600, 0, &err);
		rc = ensure(&k, LB, 0, &err);
		snap_take(&b, &k);
		ok(rc == 0 && same(a.host, b.host) && same(a.pub, b.pub),
		   "a .pub of another key: rewritten from the host key, which stays");
		snap_release(&b);
		free(line);
		crypto_keypair_release(&kp);
	}

	/* Modes put back. */
	chmod(k.tls_key, 0644);
	chmod(k.ssh_host_key, 0640);
	chmod(k.dir, 0755);
	rc = ensure(&k, LB, 0, &err);
	ok(rc == 0 && mode_of(k.tls_key) == 0600 && mode_of(k.ssh_host_key) == 0600 &&
	       mode_of(k.dir) == 0700,
	   "0644 and 0640 files and a 0755 directory are made 0600 and 0700 again");
	snap_take(&b, &k);
	ok(same(a.host, b.host), "  without a new host key");
	snap_release(&b);

	/* A host key that cannot be read: an error naming it, the file kept. */
	fs_write_atomic(k.ssh_host_key, "not a key\n", 10, 0600, 0, &err);
	rc = ensure(&k, LB, 0, &err);
	ok(rc < 0 && strstr(err.msg, k.ssh_host_key) && strstr(err.msg, "remove it"),
	   "an unreadable host key is an error naming it, not replaced: %s",
	   rc < 0 ? err.msg : "(it passed)");
	snap_take(&b, &k);
	ok(same(b.host, "not a key\n"), "  the file is left as it was");
	snap_release(&b);
	snap_release(&a);
	svckeys_release(&k);
}

static void test_in_the_way(void)
{
	static const char *const what[] = {"tls-cert.pem", "tls-key.pem", "ssh_host_ed25519_key",
	                                   "ssh_host_ed25519_key.pub"};
	struct svckeys k = {0};
	struct err err;
	size_t i;
	int rc;

	for (i = 0; i < 4; i++) {
		char *path;
		int fifo = i % 2;

		fresh();
		svckeys_release(&k); /* the last round's failed ensure filled it */
		svckeys_paths(&k, &st);
		mkdir(k.dir, 0700);
		path = path_join(k.dir, what[i]);
		if (fifo ? mkfifo(path, 0600) : mkdir(path, 0700))
			diag("cannot make %s: %s", path, strerror(errno));
		svckeys_release(&k);
		rc = ensure(&k, LB, 0, &err);
		ok(rc < 0 && strstr(err.msg, path) && strstr(err.msg, fifo ? "FIFO" : "directory"),
		   "a %s at %s: an error naming it: %s", fifo ? "FIFO" : "directory", what[i],
		   rc < 0 ? err.msg : "(it passed)");
		free(path);
	}
	svckeys_release(&k);
}

static void test_read(void)
{
	struct svckeys_text t = {0};
	struct svckeys k = {0};
	struct snap a = {0};
	struct err err;
	int rc;

	fresh();
	svckeys_paths(&k, &st);
	rc = svckeys_read(&k, &t, &err);
	ok(rc == 0 && !t.tls_cert && !t.tls_key && !t.ssh_host_key && !t.ssh_host_pub,
	   "svckeys_read with nothing made: all NULL");
	ok(!fs_exists(k.dir), "  and it makes nothing (no %s)", k.dir);
	svckeys_text_release(&t);
	ensure(&k, LB, 0, &err);
	snap_take(&a, &k);
	chmod(k.tls_key, 0644);
	rc = svckeys_read(&k, &t, &err);
	ok(rc == 0 && same(t.tls_cert, a.cert) && same(t.tls_key, a.key) &&
	       same(t.ssh_host_key, a.host) && same(t.ssh_host_pub, a.pub),
	   "svckeys_read after ensure: the four files' texts");
	ok(mode_of(k.tls_key) == 0644, "  it changes no mode either");
	svckeys_text_release(&t);
	unlink(k.tls_cert);
	mkfifo(k.tls_cert, 0600);
	rc = svckeys_read(&k, &t, &err);
	ok(rc < 0 && strstr(err.msg, k.tls_cert), "svckeys_read: a FIFO is an error naming it: %s",
	   rc < 0 ? err.msg : "(it passed)");
	snap_release(&a);
	svckeys_release(&k);
}

/* crypto_openssh_public against what crypto_ed25519_generate wrote and garbage. */
static void test_public_of(void)
{
	struct crypto_keypair kp = {0};
	struct err err;
	char *line = NULL;
	int rc;

	crypto_ed25519_generate("c", &kp, &err);
	rc = crypto_openssh_public(kp.private_pem, &line, &err);
	ok(rc == 0 && line && strncmp(kp.public_line, line, strlen(line)) == 0 &&
	       strcmp(kp.public_line + strlen(line), " c") == 0,
	   "crypto_openssh_public: the key's own public line, no comment");
	free(line);
	line = NULL;
	ok(crypto_openssh_public("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
	                         "-----END OPENSSH PRIVATE KEY-----\n",
	                         &line, &err) < 0 &&
	       line == NULL,
	   "crypto_openssh_public refuses a body that is not openssh-key-v1: %s", err.msg);
	ok(crypto_openssh_public("hello", &line, &err) < 0, "  and text without the armour");
	crypto_keypair_release(&kp);
}

/* check_env_open: the pins from the state, and the private keys scrubbed like secrets. */
static void test_check_env(void)
{
	struct check_env env = {0};
	struct svckeys k = {0};
	struct snap a = {0};
	struct stack *stack = NULL;
	struct run run = {0};
	struct err err;
	char *path, *text, *scrubbed, *fp = NULL, *pubkey = NULL;
	int rc;

	fresh();
	scratch_put(tmp, "proj/srcs/stack.yaml",
	            "name: t\nsecrets: [pw]\n"
	            "services: {a: {ports: {h: 80}}}\n");
	path = path_join(tmp, "proj/srcs/stack.yaml");
	if (stack_load(path, &stack, &err) < 0) {
		diag("stack_load: %s", err.msg);
		ok(0, "a stack to open the check's environment with");
		free(path);
		return;
	}
	ensure(&k, LB, 0, &err);
	snap_take(&a, &k);
	run.stack = stack;
	run.state = &st;
	rc = check_env_open(&env, &run, NULL, &err);
	ok(rc == 0 && env.tls_cert && strcmp(env.tls_cert, k.tls_cert) == 0,
	   "check_env_open pins the state's certificate: %s", rc ? err.msg : "ok");
	pubkey = a.pub ? xstrdup(a.pub) : xstrdup("");
	pubkey[strcspn(pubkey, "\n")] = '\0';
	ok(crypto_fingerprint_line(pubkey, &fp, &err) == 0 && env.ssh_host_fp &&
	       strcmp(env.ssh_host_fp, fp) == 0,
	   "  and the host key's fingerprint %s", env.ssh_host_fp ? env.ssh_host_fp : "(none)");
	text = xasprintf("seen: %s and %s and %s", a.key ? a.key : "", a.host ? a.host : "",
	                 a.cert ? a.cert : "");
	scrubbed = check_scrub(&env, text);
	ok(scrubbed && !strstr(scrubbed, "PRIVATE KEY") && strstr(scrubbed, "<secret:tls.key>") &&
	       strstr(scrubbed, "<secret:ssh_host_key>") && strstr(scrubbed, "BEGIN CERTIFICATE"),
	   "check_scrub hides the TLS key and the host key, not the (public) certificate");
	free(scrubbed);
	free(text);
	free(fp);
	free(pubkey);
	check_env_release(&env);
	snap_release(&a);
	svckeys_release(&k);
	stack_free(stack);
	free(path);
}

int main(void)
{
	tmp = scratch_open("svckeys");
	test_first_and_kept();
	test_lb_change();
	test_repairs();
	test_in_the_way();
	test_read();
	test_public_of();
	test_check_env();
	free(st.dir);
	scratch_close(tmp);
	return tap_done();
}
