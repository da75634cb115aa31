/*
 * Unit tests: reading kubeconfigs (kubectl's rules, every refusal and its
 * message, hostile input), writing the state's own, and merging into and
 * out of the user's (lock, layout, byte-for-byte with kubectl's files).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "doc.h"
#include "fs.h"
#include "kube.h"
#include "kubeconfig.h"
#include "run.h"
#include "scratch.h"
#include "tap.h"
#include "text.h"
#include "xmem.h"

#define CA_PEM   "-----BEGIN CERTIFICATE-----\nMIIBcaCA\n-----END CERTIFICATE-----\n"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n"
#define KEY_PEM  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIkey\n-----END EC PRIVATE KEY-----\n"
#define KUBECTL  "/usr/bin/kubectl"

static char *b64(const char *s)
{
	return text_base64(s, strlen(s), 0);
}

/* A kubeconfig with one cluster c, user u, context x (current), from parts. */
static char *config(const char *cluster, const char *user, const char *context)
{
	return xasprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n%s"
	                 "users:\n- name: u\n  user:\n%s"
	                 "contexts:\n- name: x\n  context:\n%s"
	                 "current-context: x\n",
	                 cluster, user, context);
}

/* The error parsing text gives, or "" when it parses. */
static const char *parse_err(const char *text, const char *context)
{
	static struct err err;
	struct kube_target t = {0};
	int rc;

	err_clear(&err);
	rc = kubeconfig_parse("/k/config", text, strlen(text), context, &t, &err);
	kube_target_release(&t);
	return rc == 0 ? "" : err.msg;
}

/* The error of a config with this cluster and user and the usual context. */
static const char *cu_err(const char *cluster, const char *user)
{
	static char msg[ERR_MSG_MAX];
	char *text = config(cluster, user, "    cluster: c\n    user: u\n");

	snprintf(msg, sizeof(msg), "%s", parse_err(text, NULL));
	free(text);
	return msg;
}

/* The same with the usual parts and one cluster/user field added. */
static const char *err_of(const char *cluster_extra, const char *user_extra)
{
	static char msg[ERR_MSG_MAX];
	char *cl = xasprintf("    server: https://h:6443\n%s", cluster_extra);
	char *us = xasprintf("    token: t0k\n%s", user_extra);
	char *text = config(cl, us, "    cluster: c\n    user: u\n");

	snprintf(msg, sizeof(msg), "%s", parse_err(text, NULL));
	free(text);
	free(us);
	free(cl);
	return msg;
}

/* A token YAML reads as a number: the error names its type, never its digits. */
static void test_secret_not_echoed(void)
{
	char *text = config("    server: https://h:6443\n", "    token: 73125590214\n",
	                    "    cluster: c\n    user: u\n");
	const char *msg = parse_err(text, NULL);

	ok(strstr(msg, "token") && strstr(msg, "expected a string, got an integer") &&
	       !strstr(msg, "73125590214"),
	   "a numeric token: its type named, its value not shown: %s", msg);
	free(text);
}

static void test_base64(void)
{
	char *out;
	size_t len;

	ok(kubeconfig_base64_decode("aGVsbG8=", 8, &out, &len) == 0 && len == 5 &&
	       strcmp(out, "hello") == 0,
	   "base64 with padding");
	free(out);
	ok(kubeconfig_base64_decode("aGVsbG8", 7, &out, &len) == 0 && strcmp(out, "hello") == 0,
	   "base64 without padding");
	free(out);
	ok(kubeconfig_base64_decode(" aGVs\r\n bG8=\n", 13, &out, &len) == 0 &&
	       strcmp(out, "hello") == 0,
	   "base64: whitespace and newlines skipped");
	free(out);
	ok(kubeconfig_base64_decode("AAE=", 4, &out, &len) == 0 && len == 2 && out[0] == 0 &&
	       out[1] == 1 && out[2] == 0,
	   "base64: NUL bytes kept, length given, NUL-terminated");
	free(out);
	ok(kubeconfig_base64_decode("", 0, &out, &len) == 0 && len == 0 && *out == '\0',
	   "base64: empty");
	free(out);
	ok(kubeconfig_base64_decode("aGVsbG8=x", 9, &out, &len) < 0 && out == NULL,
	   "base64: data after padding refused");
	ok(kubeconfig_base64_decode("a", 1, &out, &len) < 0, "base64: one char is not base64");
	ok(kubeconfig_base64_decode("a===", 4, &out, &len) < 0, "base64: too much padding");
	ok(kubeconfig_base64_decode("aGV=", 4, &out, &len) == 0 && len == 2, "base64: 3+1 padding");
	free(out);
	ok(kubeconfig_base64_decode("aG!s", 4, &out, &len) < 0, "base64: '!' refused");
	ok(kubeconfig_base64_decode("aGVs\0bG8=", 9, &out, &len) < 0, "base64: NUL refused");
	ok(kubeconfig_base64_decode("aGV-bG8_", 8, &out, &len) < 0,
	   "base64: the URL alphabet is not RFC 4648 base64");
}

static void test_parse_data(void)
{
	char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
	char *cl = xasprintf("    server: HTTPS://api.example:6443//\n"
	                     "    certificate-authority-data: %s\n"
	                     "    tls-server-name: kubernetes\n"
	                     "    insecure-skip-tls-verify: false\n"
	                     "    extensions: [{name: x, extension: {a: 1}}]\n",
	                     ca);
	char *us =
	    xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n", cert, key);
	char *text = config(cl, us, "    cluster: c\n    user: u\n    namespace: web\n");
	struct kube_target t = {0};
	struct err err = {0};

	ok(kubeconfig_parse("/k/config", text, strlen(text), NULL, &t, &err) == 0,
	   "data fields parse: %s", t.server ? "" : err.msg);
	is_str(t.source, "/k/config", "source");
	is_str(t.context, "x", "current-context used");
	is_str(t.server, "https://api.example:6443", "scheme lowercased, trailing '/' dropped");
	is_str(t.tls_server_name, "kubernetes", "tls-server-name");
	is_str(t.ca_pem, CA_PEM, "CA decoded");
	is_str(t.cert_pem, CERT_PEM, "client certificate decoded");
	is_str(t.key_pem, KEY_PEM, "client key decoded");
	ok(t.token == NULL, "no token");
	is_str(t.namespace, "web", "namespace");
	kube_target_release(&t);
	ok(t.key_pem == NULL && t.server == NULL, "release clears the target");
	kube_target_release(&t);
	free(text);
	free(us);
	free(cl);
	free(key);
	free(cert);
	free(ca);
}

static void test_parse_token_and_contexts(void)
{
	const char *text =
	    "clusters:\n"
	    "- {name: a, cluster: {server: 'https://10.0.0.1:6443'}}\n"
	    "- {name: b, cluster: {server: 'https://[fd00::1]'}}\n"
	    "users:\n"
	    "- {name: ua, user: {token: abc.DEF-123_~+/=, tokenFile: /nonexistent}}\n"
	    "- {name: anon}\n"
	    "contexts:\n"
	    "- {name: one, context: {cluster: a, user: ua}}\n"
	    "- {name: two, context: {cluster: b}}\n"
	    "current-context: one\n";
	struct kube_target t = {0};
	struct err err = {0};

	ok(kubeconfig_parse("/k/config", text, strlen(text), NULL, &t, &err) == 0,
	   "token config parses: %s", t.context ? "" : err.msg);
	is_str(t.token, "abc.DEF-123_~+/=", "token (wins over tokenFile, as in client-go)");
	is_str(t.namespace, "default", "namespace defaults to default");
	ok(t.ca_pem == NULL && t.cert_pem == NULL, "no CA: the system's trust store");
	kube_target_release(&t);
	ok(kubeconfig_parse("/k/config", text, strlen(text), "two", &t, &err) == 0,
	   "a named context: %s", t.context ? "" : err.msg);
	is_str(t.context, "two", "context two");
	is_str(t.server, "https://[fd00::1]", "IPv6 server");
	ok(t.token == NULL && t.key_pem == NULL, "a context without user: no credentials");
	kube_target_release(&t);
}

/* The error of loading dir/name, a kubeconfig whose CA is the file ca. */
static const char *ca_file_err(const char *dir, const char *name, const char *ca, struct err *err)
{
	char *text =
	    xasprintf("clusters:\n- name: c\n  cluster:\n    server: https://h\n"
	              "    certificate-authority: %s\n"
	              "contexts:\n- {name: x, context: {cluster: c}}\ncurrent-context: x\n",
	              ca);
	char *path = path_join(dir, name);
	struct kube_target t = {0};

	scratch_put(dir, name, text);
	err_clear(err);
	if (kubeconfig_load(path, NULL, &t, err) == 0)
		snprintf(err->msg, sizeof(err->msg), "(loaded)");
	kube_target_release(&t);
	free(path);
	free(text);
	return err->msg;
}

static void test_parse_files(void)
{
	char *dir = scratch_open("kubeconfig"), *path, *text;
	struct kube_target t = {0};
	struct err err = {0};

	scratch_put(dir, "pki/ca.pem", CA_PEM);
	scratch_put(dir, "pki/client.pem", CERT_PEM);
	scratch_put(dir, "pki/client-key.pem", KEY_PEM);
	scratch_put(dir, "token", "\n  s3cr3t-token \n");
	text = xasprintf("clusters:\n- name: c\n  cluster:\n    server: https://h\n"
	                 "    certificate-authority: ../pki/ca.pem\n"
	                 "users:\n- name: u\n  user:\n    client-certificate: ../pki/client.pem\n"
	                 "    client-key: %s/pki/client-key.pem\n    tokenFile: ../token\n"
	                 "contexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	                 "current-context: x\n",
	                 dir);
	scratch_put(dir, "kube/config", text);
	path = path_join(dir, "kube/config");
	ok(kubeconfig_load(path, NULL, &t, &err) == 0, "files relative to the kubeconfig: %s",
	   t.server ? "" : err.msg);
	is_str(t.ca_pem, CA_PEM, "certificate-authority read (relative)");
	is_str(t.cert_pem, CERT_PEM, "client-certificate read (relative)");
	is_str(t.key_pem, KEY_PEM, "client-key read (absolute)");
	is_str(t.token, "s3cr3t-token", "tokenFile read and trimmed");
	kube_target_release(&t);
	free(path);
	free(text);

	/* A missing file names the field and where relative paths are. */
	path = path_join(dir, "kube/missing");
	{
		char *want = xasprintf("%s:5:28: clusters[0].cluster.certificate-authority: cannot "
		                       "read 'nope.pem' (relative to '%s/kube'): No such file or "
		                       "directory",
		                       path, dir);

		is_str(ca_file_err(dir, "kube/missing", "nope.pem", &err), want,
		       "missing file: field, path and reason");
		is_int(err.kind, ERRK_NOTFOUND, "missing file: not found");
		free(want);
	}
	free(path);

	/* A directory or a FIFO where a certificate goes. */
	ok(strstr(ca_file_err(dir, "dirca", "pki", &err),
	          "certificate-authority: cannot read 'pki' (relative to") &&
	       strstr(err.msg, "it is a directory, not a regular file"),
	   "a directory as CA file: %s", err.msg);
	path = path_join(dir, "fifo.pem");
	ok(mkfifo(path, 0600) == 0, "mkfifo");
	ok(strstr(ca_file_err(dir, "fifoca", "fifo.pem", &err), "it is a FIFO") != NULL,
	   "a FIFO as CA file is refused without blocking: %s", err.msg);
	free(path);

	/* The kubeconfig itself: a directory, a FIFO, a huge file, missing. */
	ok(kubeconfig_load(dir, NULL, &t, &err) < 0, "a directory as kubeconfig fails");
	{
		char *want =
		    xasprintf("cannot load kubeconfig: cannot read '%s': it is a directory, "
		              "not a regular file; name a file",
		              dir);

		is_str(err.msg, want, "directory: named");
		free(want);
	}
	path = path_join(dir, "fifo-config");
	ok(mkfifo(path, 0600) == 0 && kubeconfig_load(path, NULL, &t, &err) < 0 &&
	       strstr(err.msg, "it is a FIFO, not a regular file"),
	   "a FIFO as kubeconfig: refused, does not block: %s", err.msg);
	free(path);
	path = path_join(dir, "huge");
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		ok(fd >= 0 && ftruncate(fd, KUBECONFIG_MAX_BYTES + 1) == 0, "a huge sparse file");
		if (fd >= 0)
			close(fd);
	}
	ok(kubeconfig_load(path, NULL, &t, &err) < 0 &&
	       strstr(err.msg, "larger than 4194304 bytes"),
	   "a huge kubeconfig: refused: %s", err.msg);
	free(path);
	path = path_join(dir, "absent");
	ok(kubeconfig_load(path, NULL, &t, &err) < 0 && err.kind == ERRK_NOTFOUND &&
	       strstr(err.msg, "No such file or directory"),
	   "a missing kubeconfig: not found: %s", err.msg);
	free(path);
	{
		static char big[KUBECONFIG_MAX_BYTES + 2];

		memset(big, '#', sizeof(big) - 1);
		ok(kubeconfig_parse("/k/big", big, sizeof(big) - 1, NULL, &t, &err) < 0 &&
		       strcmp(err.msg, "/k/big: larger than 4194304 bytes; not a kubeconfig") == 0,
		   "kubeconfig_parse refuses huge text: %s", err.msg);
		kube_target_release(&t);
	}
	scratch_close(dir);
}

static void test_refusals(void)
{
	char *bad, *s;

	is_str(err_of("", ""), "", "the base config parses");
	is_str(cu_err("    server: http://h:8080\n", "    token: t\n"),
	       "/k/config:6:13: clusters[0].cluster.server: 'http://h:8080' is plain HTTP; "
	       "TLS is required: give the cluster's https:// address",
	       "http:// refused");
	is_str(cu_err("    server: ftp://h\n", "    token: t\n"),
	       "/k/config:6:13: clusters[0].cluster.server: expected an https:// URL "
	       "(https://HOST:PORT), got 'ftp://h'",
	       "another scheme refused");
	is_str(cu_err("    server: https://\n", "    token: t\n"),
	       "/k/config:6:13: clusters[0].cluster.server: 'https://' has no host",
	       "no host refused");
	ok(strstr(cu_err("    server: https://u@h/?x#y\n", "    token: t\n"),
	          "may not hold a query, a fragment or user info") != NULL,
	   "query/userinfo refused");
	is_str(cu_err("    server: \"https://h\\tx\"\n", "    token: t\n"),
	       "/k/config:6:13: clusters[0].cluster.server: 'https://h?x' is not a URL: it "
	       "holds a space or control character",
	       "control character in server: refused, shown as '?'");
	is_str(cu_err("    certificate-authority-data: eA==\n", "    token: t\n"),
	       "/k/config:6:5: clusters[0].cluster: cluster 'c' has no server; give its "
	       "https:// address",
	       "no server");
	is_str(cu_err("    server: 6443\n", "    token: t\n"),
	       "/k/config:6:13: clusters[0].cluster.server: expected a string, got 6443",
	       "server of the wrong type");
	is_str(err_of("    insecure-skip-tls-verify: true\n", ""),
	       "/k/config:7:31: clusters[0].cluster.insecure-skip-tls-verify: cluster 'c' turns "
	       "TLS verification off; ftboot always verifies the server: remove this line and set "
	       "certificate-authority (a file) or certificate-authority-data to the cluster's CA",
	       "insecure-skip-tls-verify refused, saying what to do");
	is_int(
	    kubeconfig_parse("/k/config", "", 0, NULL, &(struct kube_target){0}, &(struct err){0}),
	    -1, "empty text fails");
	is_str(err_of("    insecure-skip-tls-verify: 'yes'\n", ""),
	       "/k/config:7:31: clusters[0].cluster.insecure-skip-tls-verify: expected true or "
	       "false",
	       "insecure-skip-tls-verify not a boolean");
	is_str(err_of("    proxy-url: http://proxy:3128\n", ""),
	       "/k/config:7:16: clusters[0].cluster.proxy-url: cluster 'c' is reached through a "
	       "proxy; ftboot does not support proxy-url: remove it to connect directly",
	       "proxy-url refused");
	is_str(err_of("", "    exec:\n      command: aws\n"),
	       "/k/config:12:7: users[0].user.exec: user 'u' authenticates with a credential "
	       "plugin (exec), which ftboot does not support; give it a client certificate and "
	       "key, or a token (kubectl create token ...)",
	       "exec refused naming the user");
	is_str(err_of("", "    auth-provider: {name: oidc}\n"),
	       "/k/config:11:20: users[0].user.auth-provider: user 'u' authenticates with an auth "
	       "provider, which ftboot does not support; give it a client certificate and key, or "
	       "a token (kubectl create token ...)",
	       "auth-provider refused");
	is_str(err_of("", "    username: admin\n    password: hunter2\n"),
	       "/k/config:11:15: users[0].user.username: user 'u' authenticates with a username "
	       "and password, which ftboot does not support; give it a client certificate and key, "
	       "or a token (kubectl create token ...)",
	       "username/password refused");
	ok(strstr(err_of("", "    password: hunter2\n"), "hunter2") == NULL,
	   "the password is not shown");
	is_str(err_of("", "    as: root\n"),
	       "/k/config:11:9: users[0].user.as: user 'u' authenticates with impersonation (as), "
	       "which ftboot does not support; give it a client certificate and key, or a token "
	       "(kubectl create token ...)",
	       "impersonation refused");
	is_str(
	    err_of("    certificate-authority: ca.pem\n    certificate-authority-data: eA==\n", ""),
	    "/k/config:7:28: clusters[0].cluster.certificate-authority: both "
	    "certificate-authority and certificate-authority-data are given; keep one",
	    "both CA forms refused");
	is_str(err_of("    certificate-authority-data: 'not base64!'\n", ""),
	       "/k/config:7:33: clusters[0].cluster.certificate-authority-data: not base64",
	       "CA data not base64");
	s = b64("hello, not a certificate");
	bad = xasprintf("    certificate-authority-data: %s\n", s);
	is_str(err_of(bad, ""),
	       "/k/config:7:33: clusters[0].cluster.certificate-authority-data: not PEM: the "
	       "decoded data does not start with -----BEGIN",
	       "CA data that is not PEM");
	free(bad);
	free(s);
	bad = xasprintf("    certificate-authority-data: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n");
	is_str(
	    err_of(bad, ""),
	    "/k/config:7:33: clusters[0].cluster.certificate-authority-data: the data decodes to "
	    "binary bytes, not PEM text (a DER file? convert it: openssl x509 -inform der)",
	    "CA data that is DER");
	free(bad);
	s = b64("-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n");
	bad = xasprintf("    certificate-authority-data: %s\n", s);
	is_str(err_of(bad, ""),
	       "/k/config:7:33: clusters[0].cluster.certificate-authority-data: no certificate in "
	       "it (no -----BEGIN CERTIFICATE----- line)",
	       "CA data that is PEM but no certificate");
	free(bad);
	free(s);
	{
		char *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
		char *enc = b64("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA\n-----END ENCRYPTED "
		                "PRIVATE KEY-----\n");

		bad = xasprintf("    client-certificate-data: %s\n", cert);
		is_str(err_of("", bad),
		       "/k/config:11:30: users[0].user.client-certificate: user 'u' has a client "
		       "certificate but no client-key or client-key-data; give both",
		       "a certificate without key");
		free(bad);
		bad = xasprintf("    client-key-data: %s\n", key);
		is_str(
		    err_of("", bad),
		    "/k/config:11:22: users[0].user.client-key: user 'u' has a client key but no "
		    "client-certificate or client-certificate-data; give both",
		    "a key without certificate");
		free(bad);
		bad = xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n", cert,
		                enc);
		is_str(
		    err_of("", bad),
		    "/k/config:12:22: users[0].user.client-key-data: the private key is encrypted; "
		    "give it unencrypted, as kubectl needs it",
		    "an encrypted key");
		free(bad);
		bad = xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n", cert,
		                cert);
		is_str(err_of("", bad),
		       "/k/config:12:22: users[0].user.client-key-data: no private key in it (no "
		       "-----BEGIN ... PRIVATE KEY----- line)",
		       "a certificate as key");
		free(bad);
		free(enc);
		free(key);
		free(cert);
	}
	is_str(cu_err("    server: https://h\n", "    token: \"a b\"\n"),
	       "/k/config:10:12: users[0].user.token: the token holds a space, a control "
	       "character or a non-ASCII byte (at byte 2); a bearer token is one word",
	       "a token with a space refused, not shown");
	ok(strstr(cu_err("    server: https://h\n", "    token: \"tok\\r\\nX-Evil: 1\"\n"),
	          "(at byte 4); a bearer token is one word") != NULL,
	   "a token with CR LF (header injection) refused");
}

static void test_names(void)
{
	const char *base = "clusters:\n- {name: c1, cluster: {server: 'https://h'}}\n"
	                   "- {name: c2, cluster: {server: 'https://h'}}\n"
	                   "users:\n- {name: u1, user: {token: t}}\n"
	                   "contexts:\n- {name: a, context: {cluster: c1, user: u1}}\n"
	                   "- {name: b, context: {cluster: c3, user: u1}}\n"
	                   "- {name: c, context: {cluster: c2, user: u9}}\n"
	                   "- {name: d, context: {user: u1}}\n";
	char *text;

	is_str(parse_err(base, "x"), "no context 'x' in /k/config; its contexts are a, b, c, d",
	       "a missing context names the ones there are");
	is_str(parse_err(base, NULL),
	       "/k/config has no current-context; name the context to use (its contexts are a, b, "
	       "c, d)",
	       "no current-context");
	is_str(parse_err(base, "b"),
	       "/k/config:8:32: contexts[1].context.cluster: no cluster 'c3' in /k/config; its "
	       "clusters are c1, c2",
	       "a missing cluster names the ones there are");
	is_str(parse_err(base, "c"),
	       "/k/config:9:42: contexts[2].context.user: no user 'u9' in /k/config; its users are "
	       "u1",
	       "a missing user names the ones there are");
	is_str(parse_err(base, "d"),
	       "/k/config:10:22: contexts[3].context: context 'd' names no cluster",
	       "a context without cluster");
	text = xasprintf("%scurrent-context: zz\n", base);
	is_str(parse_err(text, NULL),
	       "/k/config:11:18: current-context: no context 'zz' in /k/config; its contexts are "
	       "a, b, c, d",
	       "a current-context that does not exist: positioned");
	free(text);
	is_str(parse_err("contexts: []\n", "x"), "no context 'x' in /k/config; it has no contexts",
	       "no contexts at all");
	is_str(parse_err("contexts:\n- {name: a}\n- {name: a}\n", "a"),
	       "/k/config:3:10: contexts[1]: a second context named 'a' (the first is at line 2); "
	       "names must be unique",
	       "duplicate names refused");
	is_str(parse_err("contexts:\n- {context: {}}\n", "a"),
	       "/k/config:2:3: contexts[0]: the context has no name", "an entry without a name");
	is_str(parse_err("contexts: {a: 1}\n", "a"),
	       "/k/config:1:11: contexts: expected a list of contexts, got a mapping",
	       "contexts not a list");
	is_str(parse_err("clusters:\n- just a string\n", "a"),
	       "/k/config:2:3: clusters[0]: expected a mapping with name and cluster, got 'just a "
	       "string'",
	       "a list item that is not a mapping");
	is_str(parse_err("", NULL),
	       "/k/config:1:1: the kubeconfig is empty; it needs clusters, users and contexts",
	       "empty file");
	is_str(parse_err("# only a comment\n", NULL),
	       "/k/config:1:1: the kubeconfig is empty; it needs clusters, users and contexts",
	       "only a comment");
	is_str(
	    parse_err("- a\n- b\n", NULL),
	    "/k/config:1:1: expected a kubeconfig (a mapping with clusters, users and contexts), "
	    "got a sequence",
	    "a list as kubeconfig");
	is_str(parse_err("a: 1\n---\nb: 2\n", NULL),
	       "/k/config:3:1: a second YAML document; a kubeconfig is one document",
	       "two documents");
}

/* Control characters and multi-byte text in names and positions. */
static void test_hostile(void)
{
	const char *good = "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	                   "contexts:\n- {name: x, context: {cluster: c}}\n"
	                   "current-context: x\n";
	struct kube_target t = {0};
	struct err err = {0};
	char *text;

	/* A byte-order mark and CR LF line ends are YAML, and kubectl reads them. */
	text = xasprintf("\xef\xbb\xbf%s", good);
	ok(kubeconfig_parse("/k/config", text, strlen(text), NULL, &t, &err) == 0,
	   "a byte-order mark is read past: %s", t.server ? "" : err.msg);
	kube_target_release(&t);
	free(text);
	is_str(parse_err("\xef\xbb\xbf"
	                 "clusters:\n- {name: c, cluster: {server: 'http://h'}}\n",
	                 "x"),
	       "no context 'x' in /k/config; it has no contexts",
	       "BOM: the error is the content's");
	is_str(parse_err("\xef\xbb\xbf"
	                 "clusters:\n- {name: c, cluster: {server: 'http://h'}}\n"
	                 "contexts:\n- {name: x, context: {cluster: c}}\n",
	                 "x"),
	       "/k/config:2:31: clusters[0].cluster.server: 'http://h' is plain HTTP; TLS is "
	       "required: give the cluster's https:// address",
	       "BOM: columns are not shifted by it");
	is_str(parse_err("clusters:\r\n- {name: c, cluster: {server: 'http://h'}}\r\n"
	                 "contexts:\r\n- {name: x, context: {cluster: c}}\r\n",
	                 "x"),
	       "/k/config:2:31: clusters[0].cluster.server: 'http://h' is plain HTTP; TLS is "
	       "required: give the cluster's https:// address",
	       "CR LF: lines counted right");
	{
		static const char nul[] = "clusters: []\ncontexts:\n- {name: x\0y}\n";

		ok(kubeconfig_parse("/k/config", nul, sizeof(nul) - 1, "x", &t, &err) < 0 &&
		       strcmp(err.msg,
		              "/k/config:3:11: control characters are not allowed (#x0)") == 0,
		   "a NUL byte: positioned error: %s", err.msg);
		is_int(err.kind, ERRK_INVALID, "a NUL byte: invalid");
		kube_target_release(&t);
	}
	/* Multi-byte names: columns count characters, names shown as written. */
	is_str(parse_err("contexts:\n- {name: ünïcödé, context: {cluster: çlüster}}\n", "ünïcödé"),
	       "/k/config:2:38: contexts[0].context.cluster: no cluster 'çlüster' in /k/config; it "
	       "has no clusters",
	       "multi-byte names: column in characters");
	is_str(parse_err("contexts:\n- {name: \"a\\eb\\u0085c\"}\n", "a\x1b"
	                                                             "b"),
	       "no context 'a?b' in /k/config; its contexts are a?b?c",
	       "control characters in names are shown as '?'");
	is_str(
	    parse_err("contexts:\n- {name: x, context: {cluster: c}}\n", "x"),
	    "/k/config:2:32: contexts[0].context.cluster: no cluster 'c' in /k/config; it has no "
	    "clusters",
	    "ASCII column, for comparison");
	{
		char *longname = xmalloc(301);

		memset(longname, 'n', 300);
		longname[300] = '\0';
		text = xasprintf("contexts:\n- {name: %s}\n", longname);
		ok(strlen(parse_err(text, longname)) < 400 &&
		       strstr(parse_err(text, longname), "...") != NULL,
		   "a huge name is cut in messages");
		free(text);
		free(longname);
	}
	is_str(parse_err("clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	                 "contexts:\n- {name: x, context: {cluster: c, namespace: 5}}\n",
	                 "x"),
	       "/k/config:4:46: contexts[0].context.namespace: expected a string, got 5",
	       "namespace of the wrong type");
	is_str(parse_err("contexts:\n- {name: \"a\\0b\"}\n", "a"),
	       "/k/config:2:10: contexts[0].name: the string holds a NUL byte", "a NUL in a name");
}

/* ---- writing and merging ------------------------------------------------- */

static struct kube_target target(const char *server)
{
	struct kube_target t = {0};

	memset(&t, 0, sizeof(t));
	t.server = xstrdup(server);
	t.ca_pem = xstrdup(CA_PEM);
	t.cert_pem = xstrdup(CERT_PEM);
	t.key_pem = xstrdup(KEY_PEM);
	t.namespace = xstrdup("default");
	return t;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_mode & 07777 : (mode_t)-1;
}

/* What merging target(server) as NAME writes for its three entries. */
static char *entries(void)
{
	char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
	char *s = xasprintf("CLUSTER- cluster:\n    certificate-authority-data: %s\n"
	                    "    server: https://10.9.8.7:6443\n  name: ftboot-ft\n"
	                    "USER- name: ftboot-ft\n  user:\n    client-certificate-data: %s\n"
	                    "    client-key-data: %s\n",
	                    ca, cert, key);

	free(key);
	free(cert);
	free(ca);
	return s;
}

static void test_write(void)
{
	char *dir = scratch_open("kubeconfig"), *path = path_join(dir, "kubeconfig"), *got, *ca, *c,
	     *k, *want;
	struct kube_target t = target("https://10.9.8.7:6443"), back = {0};
	struct err err = {0};

	free(t.namespace);
	t.namespace = xstrdup("web");
	t.tls_server_name = xstrdup("kubernetes");
	ok(kubeconfig_write(path, "ftboot-ft", &t, &err) == 0, "kubeconfig_write: %s",
	   fs_exists(path) ? "" : err.msg);
	is_int(mode_of(path), 0600, "written 0600");
	ca = b64(CA_PEM);
	c = b64(CERT_PEM);
	k = b64(KEY_PEM);
	want =
	    xasprintf("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n"
	              "    server: https://10.9.8.7:6443\n    tls-server-name: kubernetes\n"
	              "  name: ftboot-ft\ncontexts:\n- context:\n    cluster: ftboot-ft\n"
	              "    namespace: web\n    user: ftboot-ft\n  name: ftboot-ft\n"
	              "current-context: ftboot-ft\nkind: Config\npreferences: {}\nusers:\n"
	              "- name: ftboot-ft\n  user:\n    client-certificate-data: %s\n"
	              "    client-key-data: %s\n",
	              ca, c, k);
	got = scratch_slurp(path);
	is_str(got, want, "kubectl's layout: keys sorted, lists unindented, -data fields");
	free(got);
	ok(kubeconfig_load(path, NULL, &back, &err) == 0, "read back: %s",
	   back.server ? "" : err.msg);
	is_str(back.server, t.server, "server back");
	is_str(back.ca_pem, CA_PEM, "CA back");
	is_str(back.key_pem, KEY_PEM, "key back");
	is_str(back.tls_server_name, "kubernetes", "tls-server-name back");
	is_str(back.namespace, "web", "namespace back");
	is_str(back.context, "ftboot-ft", "context back");
	kube_target_release(&back);
	kube_target_release(&t);

	/* A token and no CA. */
	memset(&t, 0, sizeof(t));
	t.server = xstrdup("https://h");
	t.token = xstrdup("abc");
	t.namespace = xstrdup("default");
	ok(kubeconfig_write(path, "n", &t, &err) == 0, "token kubeconfig written");
	got = scratch_slurp(path);
	is_str(got,
	       "apiVersion: v1\nclusters:\n- cluster:\n    server: https://h\n  name: \"n\"\n"
	       "contexts:\n- context:\n    cluster: \"n\"\n    user: \"n\"\n  name: \"n\"\n"
	       "current-context: \"n\"\nkind: Config\npreferences: {}\nusers:\n- name: \"n\"\n"
	       "  user:\n    token: abc\n",
	       "a token config, default namespace not written, \"n\" quoted as kubectl does (a "
	       "YAML 1.1 boolean)");
	free(got);
	kube_target_release(&t);
	free(want);
	free(k);
	free(c);
	free(ca);
	free(path);
	scratch_close(dir);
}

static void test_user_path(void)
{
	char *old_kc = getenv("KUBECONFIG") ? xstrdup(getenv("KUBECONFIG")) : NULL;
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct err err = {0};
	char *p;

	setenv("KUBECONFIG", "::/a/b:/c", 1);
	ok(kubeconfig_user_path(&p, &err) == 0, "user path from KUBECONFIG");
	is_str(p, "/a/b", "the first non-empty entry of KUBECONFIG");
	free(p);
	setenv("KUBECONFIG", "", 1);
	setenv("HOME", "/home/me/", 1);
	ok(kubeconfig_user_path(&p, &err) == 0, "user path from HOME");
	is_str(p, "/home/me/.kube/config", "empty KUBECONFIG: ~/.kube/config");
	free(p);
	unsetenv("KUBECONFIG");
	unsetenv("HOME");
	ok(kubeconfig_user_path(&p, &err) < 0 && p == NULL && err.kind == ERRK_NOTFOUND &&
	       strstr(err.msg, "neither KUBECONFIG nor HOME is set"),
	   "no KUBECONFIG, no HOME: an error saying so");
	if (old_kc)
		setenv("KUBECONFIG", old_kc, 1);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_kc);
	free(old_home);
}

/* A state kubeconfig at dir/src for the merge tests. */
static char *make_src(const char *dir, const char *server)
{
	char *src = path_join(dir, "state/kubeconfig");
	struct kube_target t = target(server);
	struct err err = {0};

	scratch_put(dir, "state/.keep", "");
	if (kubeconfig_write(src, "ftboot-state", &t, &err) < 0)
		diag("cannot write the source: %s", err.msg);
	kube_target_release(&t);
	return src;
}

/* The expected file with CLUSTER/USER/CONTEXT markers filled in. */
static char *expand(const char *tmpl)
{
	char *e = entries(), *user = strstr(e, "USER"), *cl, *us, *out;
	struct buf b = BUF_INIT(1 << 20);
	const char *p;

	cl = xstrndup(e + 7, (size_t)(user - e - 7));
	us = xstrdup(user + 4);
	for (p = tmpl; *p;) {
		if (strncmp(p, "CLUSTER\n", 8) == 0) {
			buf_addstr(&b, cl);
			p += 8;
		} else if (strncmp(p, "USER\n", 5) == 0) {
			buf_addstr(&b, us);
			p += 5;
		} else {
			buf_addch(&b, *p++);
		}
	}
	out = buf_detach(&b, NULL);
	free(us);
	free(cl);
	free(e);
	return out;
}

#define CONTEXT "- context:\n    cluster: ftboot-ft\n    user: ftboot-ft\n  name: ftboot-ft\n"

static void test_merge(void)
{
	char *dir = scratch_open("kubeconfig"), *src = make_src(dir, "https://10.9.8.7:6443");
	char *dest = path_join(dir, "home/.kube/config"), *got, *want, *prev = NULL, *kdir;
	const char *other =
	    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://a.example\n  name: a\n"
	    "- cluster:\n    server: https://z.example\n  name: z\n"
	    "contexts:\n- context:\n    cluster: a\n    user: a\n  name: a\n"
	    "current-context: a\nkind: Config\npreferences: {}\nusers:\n- name: a\n  user:\n"
	    "    token: t\n";
	struct err err = {0};

	/* Into a missing file and directory. */
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0,
	   "merge into a missing file: %s", fs_exists(dest) ? "" : err.msg);
	ok(prev == NULL, "no previous context (no file)");
	kdir = path_dir(dest);
	is_int(mode_of(kdir), 0700, "the directory is created 0700");
	is_int(mode_of(dest), 0600, "the file is created 0600");
	got = scratch_slurp(dest);
	want = expand("apiVersion: v1\nclusters:\nCLUSTER\ncontexts:\n" CONTEXT
	              "current-context: ftboot-ft\nkind: Config\npreferences: {}\nusers:\nUSER\n");
	is_str(got, want, "a new kubeconfig in kubectl's layout");
	free(got);
	free(want);
	{
		char *lock = xasprintf("%s.lock", dest);

		ok(!fs_exists(lock), "the lock is gone after the merge");
		free(lock);
	}
	/* Merge again with another server: replaced, not added. */
	free(src);
	src = make_src(dir, "https://10.9.8.7:7443");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0, "merge again: %s", err.msg);
	ok(prev == NULL, "merging again: previous is NULL (keep the first one's)");
	got = scratch_slurp(dest);
	ok(got && strstr(got, "https://10.9.8.7:7443") && !strstr(got, "https://10.9.8.7:6443"),
	   "the entry is replaced");
	ok(got && strstr(strstr(got, "- cluster:") + 1, "- cluster:") == NULL,
	   "one cluster entry only");
	free(got);
	ok(kubeconfig_unmerge(dest, "ftboot-ft", NULL, &err) == 0, "unmerge: %s", err.msg);
	got = scratch_slurp(dest);
	is_str(
	    got,
	    "apiVersion: v1\nclusters: null\ncontexts: null\nkind: Config\npreferences: {}\n"
	    "users: null\n",
	    "unmerge of the only entries: null lists (kubectl's empty), current-context removed");
	free(got);

	/* Into an empty file. */
	scratch_put(dir, "home/.kube/config", "");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0,
	   "merge into an empty file: %s", err.msg);
	got = scratch_slurp(dest);
	ok(got && strncmp(got, "apiVersion: v1\nclusters:\n- cluster:\n", 35) == 0 &&
	       strstr(got, "current-context: ftboot-ft\n"),
	   "an empty file becomes a kubeconfig");
	is_int(mode_of(dest), 0600, "an 0644 file becomes 0600 (it holds a key)");
	free(got);

	/* Into an existing file: sorted in, others kept, previous restored. */
	scratch_put(dir, "home/.kube/config", other);
	chmod(dest, 0400);
	free(src);
	src = make_src(dir, "https://10.9.8.7:6443");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0,
	   "merge into a kubeconfig: %s", err.msg);
	is_str(prev, "a", "previous current-context");
	is_int(mode_of(dest), 0400, "a stricter mode is kept");
	got = scratch_slurp(dest);
	want = expand("apiVersion: v1\nclusters:\n- cluster:\n    server: https://a.example\n"
	              "  name: a\nCLUSTER\n- cluster:\n    server: https://z.example\n  name: z\n"
	              "contexts:\n- context:\n    cluster: a\n    user: a\n  name: a\n" CONTEXT
	              "current-context: ftboot-ft\nkind: Config\npreferences: {}\nusers:\n"
	              "- name: a\n  user:\n    token: t\nUSER\n");
	is_str(got, want, "entries sorted in by name, the others as they were");
	free(got);
	free(want);
	ok(kubeconfig_unmerge(dest, "ftboot-ft", prev, &err) == 0, "unmerge: %s", err.msg);
	got = scratch_slurp(dest);
	is_str(got, other, "unmerge gives the file back byte for byte");
	free(got);
	is_int(mode_of(dest), 0400, "the mode is still kept");
	ok(kubeconfig_unmerge(dest, "ftboot-ft", prev, &err) == 0, "unmerge again: nothing to do");
	free(prev);
	prev = NULL;

	/* A previous context that is gone by unmerge: current-context removed. */
	chmod(dest, 0600);
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0, "merge");
	ok(kubeconfig_unmerge(dest, "ftboot-ft", "gone", &err) == 0, "unmerge, previous gone");
	got = scratch_slurp(dest);
	ok(got && !strstr(got, "current-context") && strstr(got, "name: z\n"),
	   "current-context removed when the previous context is gone");
	free(got);
	free(prev);
	prev = NULL;

	/* current-context: "" (kubectl's none) comes back as "". */
	scratch_put(dir, "home/.kube/config",
	            "apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: \"\"\n"
	            "kind: Config\npreferences: {}\nusers: null\n");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0,
	   "merge into kubectl's empty");
	is_str(prev, "", "previous is \"\"");
	ok(kubeconfig_unmerge(dest, "ftboot-ft", prev, &err) == 0, "unmerge");
	got = scratch_slurp(dest);
	is_str(got,
	       "apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: \"\"\n"
	       "kind: Config\npreferences: {}\nusers: null\n",
	       "kubectl's empty file back byte for byte");
	free(got);
	free(prev);
	prev = NULL;

	/* Root rewriting a user's file gives it back to the user. */
	if (geteuid() != 0) {
		skip("not root: cannot give a file to another owner");
	} else {
		struct stat sb;

		scratch_put(dir, "home/.kube/config", other);
		ok(chown(dest, 4321, 4322) == 0, "the file given to uid 4321");
		ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0, "merge as root");
		ok(stat(dest, &sb) == 0 && sb.st_uid == 4321 && sb.st_gid == 4322,
		   "merge keeps the owner");
		ok(kubeconfig_unmerge(dest, "ftboot-ft", prev, &err) == 0 && stat(dest, &sb) == 0 &&
		       sb.st_uid == 4321 && sb.st_gid == 4322,
		   "unmerge keeps the owner");
		free(prev);
		prev = NULL;
	}

	/* A symbolic link is followed: the file it names is replaced. */
	{
		char *real = path_join(dir, "dotfiles/kubeconfig"), *link = path_join(dir, "link");

		scratch_put(dir, "dotfiles/kubeconfig", other);
		ok(symlink(real, link) == 0, "symlink");
		ok(kubeconfig_merge(link, src, "ftboot-ft", &prev, &err) == 0,
		   "merge via a link: %s", err.msg);
		{
			struct stat sb;

			ok(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode), "the link stays a link");
		}
		got = scratch_slurp(real);
		ok(got && strstr(got, "name: ftboot-ft"), "the linked file got the context");
		free(got);
		free(prev);
		prev = NULL;
		free(link);
		free(real);
	}

	/* Bad destinations: named, untouched. */
	scratch_put(dir, "home/.kube/config", "clusters: {a: 1}\n");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) < 0, "a broken file is refused");
	{
		char *want2 =
		    xasprintf("%s:1:11: clusters: expected a list, got a mapping; fix the "
		              "file before ftboot changes it",
		              dest);

		is_str(err.msg, want2, "the broken file's error is positioned");
		free(want2);
	}
	got = scratch_slurp(dest);
	is_str(got, "clusters: {a: 1}\n", "a broken file is left as it was");
	free(got);
	scratch_put(dir, "home/.kube/config", "a: [\n");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) < 0 &&
	       strncmp(err.msg, dest, strlen(dest)) == 0,
	   "a file that is not YAML is refused, naming it: %s", err.msg);
	{
		char *d2 = path_join(dir, "adir");

		fs_mkdirs(d2, 0700, &err);
		ok(kubeconfig_merge(d2, src, "ftboot-ft", &prev, &err) < 0 &&
		       strstr(err.msg, "it is a directory"),
		   "a directory as destination: %s", err.msg);
		free(d2);
	}
	{
		char *bad_src = path_join(dir, "nosrc");

		ok(kubeconfig_merge(dest, bad_src, "ftboot-ft", &prev, &err) < 0 &&
		       strstr(err.msg, "nosrc"),
		   "a missing source is named: %s", err.msg);
		free(bad_src);
	}
	{
		char *absent = path_join(dir, "absent/config");

		ok(kubeconfig_unmerge(absent, "ftboot-ft", NULL, &err) == 0 && !fs_exists(absent),
		   "unmerge of a missing file: nothing to do, nothing created");
		free(absent);
	}
	free(kdir);
	free(dest);
	free(src);
	scratch_close(dir);
}

static void test_lock(void)
{
	char *dir = scratch_open("kubeconfig"), *src = make_src(dir, "https://10.9.8.7:6443");
	char *dest = path_join(dir, "config"), *lock = xasprintf("%s.lock", dest), *got, *want;
	struct timespec old[2];
	struct err err = {0};
	char *prev = NULL;

	scratch_put(dir, "config", "kind: Config\n");
	scratch_put(dir, "config.lock", "");
	kubeconfig_set_lock_wait(100);
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) < 0, "a held lock: merge fails");
	want = xasprintf("cannot lock '%s': '%s' is held (kubectl or another ftboot is writing the "
	                 "file); waited 0.1 s; if none is running, the lock is stale: remove '%s'",
	                 dest, lock, lock);
	is_str(err.msg, want, "the error names the lock and what to do");
	is_int(err.kind, ERRK_TIMEOUT, "a held lock: timeout");
	free(want);
	got = scratch_slurp(dest);
	is_str(got, "kind: Config\n", "the file is untouched");
	free(got);
	ok(fs_exists(lock), "another's lock is not removed");
	ok(kubeconfig_unmerge(dest, "ftboot-ft", NULL, &err) < 0 && err.kind == ERRK_TIMEOUT,
	   "a held lock: unmerge fails too");
	kubeconfig_set_lock_wait(0);
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) < 0 &&
	       strstr(err.msg, "waited 0.0 s"),
	   "wait 0: fails at once");

	/* A lock older than 60 s is stale: removed, and the merge goes on. */
	clock_gettime(CLOCK_REALTIME, &old[0]);
	old[0].tv_sec -= 120;
	old[1] = old[0];
	ok(utimensat(AT_FDCWD, lock, old, 0) == 0, "the lock made 2 minutes old");
	ok(kubeconfig_merge(dest, src, "ftboot-ft", &prev, &err) == 0,
	   "a stale lock is removed: %s", err.msg);
	ok(!fs_exists(lock), "no lock left behind");
	got = scratch_slurp(dest);
	ok(got && strstr(got, "current-context: ftboot-ft"), "merged past the stale lock");
	free(got);
	free(prev);

	/* A lock that cannot be made (no such directory for it) is an error, not a wait. */
	{
		char *ro = path_join(dir, "ro");

		fs_mkdirs(ro, 0500, &err);
		chmod(ro, 0500);
		if (geteuid() == 0) {
			skip("running as root: root may write a 0500 directory");
		} else {
			char *d = path_join(ro, "config");

			ok(kubeconfig_merge(d, src, "x", NULL, &err) < 0 &&
			       strstr(err.msg, "cannot create"),
			   "an unwritable directory: %s", err.msg);
			free(d);
		}
		chmod(ro, 0700);
		free(ro);
	}
	kubeconfig_set_lock_wait(10000);
	free(lock);
	free(dest);
	free(src);
	scratch_close(dir);
}

/* Strings that need go-yaml's quoting, escaping and folding rules. */
static const char *const awkward[] = {
    "yes",
    "No",
    "on",
    "~",
    "null",
    "",
    " lead",
    "trail ",
    "a: b",
    "a #b",
    "#c",
    "- x",
    "-x",
    "0x1F",
    "0o17",
    "017",
    "1e3",
    ".5",
    "1_000",
    "1:30",
    "2001-12-14",
    "'q'",
    "\"d\"",
    "tab\there",
    "new\nline",
    "two\n\nlines\n",
    "\nlead break",
    "trailing\n\n",
    "ünï",
    "\xf0\x9f\x98\x80",
    "back\\slash",
    "x\x7fy",
    "-",
    "?",
    ":",
    "---",
    "...",
    "a\xc2\x85z",
    "long long long long long long long long long long long long long long long long long "
    "long long long",
    "'quoted: and long' long long long long long long long long long long long long long "
    "long long  double  spaces",
    "\"dq\" \t long long long long long long long long long long long long long long long "
    "long long  spaces  x"};

/* kubectl's own files through merge and unmerge, byte for byte. */
/*
 * Set when a kubectl run crashed (a Go panic): Debian 12's
 * kubernetes-client (1.20 built with Go 1.19) panics in `config
 * set-credentials` (modern-go/reflect2 reads map internals of older Go
 * releases). Such a kubectl cannot write the reference files.
 */
static int kubectl_crashed;

static int kubectl(const char *kc, const char *a1, const char *a2, const char *a3, const char *a4,
                   const char *a5)
{
	const char *argv[] = {KUBECTL, "--kubeconfig", kc, "config", a1, a2, a3, a4, a5, NULL};
	struct buf out = BUF_INIT(1 << 20);
	int rc = run_capture(argv, &out, 1);

	if (rc != 0 && strstr(buf_cstr(&out), "panic: "))
		kubectl_crashed = 1;
	if (rc != 0)
		diag("kubectl %s %s: exit %d: %s", a1, a2 ? a2 : "", rc, buf_cstr(&out));
	buf_release(&out);
	return rc;
}

static void test_kubectl(void)
{
	char *dir, *src, *kc, *copy, *orig, *got, *prev = NULL, *ca;
	struct err err = {0};
	int rc = 0;

	if (access(KUBECTL, X_OK) != 0) {
		skip("no " KUBECTL ": the byte-for-byte test with kubectl's files cannot run");
		return;
	}
	dir = scratch_open("kubeconfig");
	src = make_src(dir, "https://10.9.8.7:6443");
	kc = path_join(dir, "kube/config");
	scratch_put(dir, "kube/ca.pem", CA_PEM);
	ca = path_join(dir, "kube/ca.pem");
	{
		char *caf = xasprintf("--certificate-authority=%s", ca);

		rc |= kubectl(kc, "set-cluster", "prod", "--server=https://10.0.0.1:6443", caf,
		              "--embed-certs=true");
		rc |= kubectl(kc, "set-cluster", "dev", "--server=https://dev.example:443", caf,
		              "--tls-server-name=api.dev");
		free(caf);
	}
	rc |= kubectl(kc, "set-cluster", "zzz", "--server=https://[::1]:6443",
	              "--insecure-skip-tls-verify=true", NULL);
	rc |= kubectl(kc, "set-credentials", "alice", "--token=s3cr3t", NULL, NULL);
	rc |= kubectl(kc, "set-credentials", "pw", "--username=u", "--password=p: #x y", NULL);
	rc |= kubectl(kc, "set-credentials", "ex", "--exec-command=aws", "--exec-arg=eks",
	              "--exec-arg=get token");
	rc |= kubectl(
	    kc, "set-credentials", "long",
	    "--token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c",
	    NULL, NULL);
	rc |=
	    kubectl(kc, "set-context", "prod", "--cluster=prod", "--user=alice", "--namespace=web");
	rc |= kubectl(kc, "set-context", "yes", "--cluster=dev", "--user=pw", NULL);
	rc |= kubectl(kc, "set-context", "ünï cöde", "--cluster=dev", "--user=ex", NULL);
	rc |= kubectl(kc, "set-context", "0x1F", "--cluster=zzz", "--user=long", NULL);
	rc |= kubectl(kc, "set", "preferences.colors", "true", NULL, NULL);
	{
		/* As context names and namespaces: all kubectl takes (not "", DEL). */
		size_t i;

		for (i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
			char *ns;

			if (awkward[i][0] == '\0' || strchr(awkward[i], 0x7f))
				continue;
			ns = xasprintf("--namespace=%s", awkward[i]);
			const char *argv[] = {KUBECTL,  "--kubeconfig", kc,
			                      "config", "set-context",  "--cluster=prod",
			                      ns,       "--",           awkward[i],
			                      NULL};
			struct buf out = BUF_INIT(1 << 16);
			char q[128];

			if (run_capture(argv, &out, 1) != 0) {
				diag("kubectl refused the context name '%s': %s",
				     text_quote(awkward[i], strlen(awkward[i]), q, sizeof(q)),
				     buf_cstr(&out));
				rc = 1;
			}
			buf_release(&out);
			free(ns);
		}
	}
	rc |= kubectl(kc, "use-context", "prod", NULL, NULL, NULL);
	if (kubectl_crashed) {
		skip("kubectl crashes on config set-credentials (a Go panic; Debian 12's "
		     "kubernetes-client does): the byte-for-byte test with kubectl's files "
		     "cannot run");
		free(ca);
		free(kc);
		free(src);
		scratch_close(dir);
		return;
	}
	ok(rc == 0, "kubectl wrote a kubeconfig");
	orig = scratch_slurp(kc);
	ok(kubeconfig_merge(kc, src, "ftboot-ft", &prev, &err) == 0,
	   "merge into kubectl's file: %s", err.msg);
	is_str(prev, "prod", "previous is kubectl's current context");
	got = scratch_slurp(kc);
	ok(got && strstr(got, "current-context: ftboot-ft\n"), "merged");
	free(got);

	/* kubectl rewrites the merged file in its own layout: the same bytes. */
	copy = path_join(dir, "kube/copy");
	got = scratch_slurp(kc);
	scratch_put(dir, "kube/copy", got ? got : "");
	rc = kubectl(copy, "use-context", "prod", NULL, NULL, NULL);
	rc |= kubectl(copy, "use-context", "ftboot-ft", NULL, NULL, NULL);
	{
		char *again = scratch_slurp(copy);

		ok(rc == 0 && again && got && strcmp(again, got) == 0,
		   "kubectl writes the merged file byte for byte as ftboot did");
		if (again && got && strcmp(again, got) != 0)
			diag("ftboot:\n%s\nkubectl:\n%s", got, again);
		free(again);
	}
	free(got);
	{
		const char *argv[] = {
		    KUBECTL, "--kubeconfig",
		    kc,      "config",
		    "view",  "--raw",
		    "-o",    "jsonpath={.users[?(@.name==\"ftboot-ft\")].user.client-key-data}",
		    NULL};
		struct buf out = BUF_INIT(1 << 20);
		char *key = b64(KEY_PEM);

		ok(run_capture(argv, &out, 0) == 0 && strcmp(buf_cstr(&out), key) == 0,
		   "kubectl reads the merged key");
		free(key);
		buf_release(&out);
	}
	ok(kubeconfig_unmerge(kc, "ftboot-ft", prev, &err) == 0, "unmerge: %s", err.msg);
	got = scratch_slurp(kc);
	ok(orig && got && strcmp(orig, got) == 0, "kubectl's file restored byte for byte");
	if (orig && got && strcmp(orig, got) != 0)
		diag("before:\n%s\nafter:\n%s", orig, got);
	free(got);
	free(orig);
	free(prev);
	free(copy);
	free(ca);
	free(kc);
	free(src);
	scratch_close(dir);
}

/* The layout writer on awkward strings: what it writes reads back the same. */
static void test_layout_strings(void)
{

	char *dir = scratch_open("kubeconfig"), *dest = path_join(dir, "config");
	char *src = make_src(dir, "https://h");
	struct doc_list docs = {NULL, 0};
	struct buf b = BUF_INIT(1 << 20);
	struct err err = {0};
	size_t i;

	for (i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
		struct doc_node *root = doc_new(DOC_MAP), *prefs = doc_new(DOC_MAP);
		struct doc_node *seq = doc_new(DOC_SEQ);
		char *text = NULL, *q;
		int same = 0;

		doc_map_set(prefs, awkward[i], doc_new_str(awkward[i]));
		doc_seq_push(seq, doc_new_str(awkward[i]));
		doc_map_set(prefs, "list", seq);
		doc_map_set(root, "kind", doc_new_str("Config"));
		doc_map_set(root, "preferences", prefs);
		buf_reset(&b);
		if (doc_emit_yaml(root, &b, &err) == 0) {
			text = buf_detach(&b, NULL);
			scratch_put(dir, "config", text);
		}
		q = xmalloc(128);
		text_quote(awkward[i], strlen(awkward[i]), q, 128);
		if (kubeconfig_merge(dest, src, "n", NULL, &err) == 0 &&
		    kubeconfig_unmerge(dest, "n", NULL, &err) == 0) {
			char *got = scratch_slurp(dest), *again;

			doc_list_release(&docs);
			same = got && doc_parse_yaml("back", got, strlen(got), &docs, &err) == 0 &&
			       docs.n == 1 &&
			       doc_equal(doc_map_get(docs.docs[0], "preferences"), prefs);
			/* A second round gives the same bytes: the layout is stable. */
			if (kubeconfig_merge(dest, src, "n", NULL, &err) < 0 ||
			    kubeconfig_unmerge(dest, "n", NULL, &err) < 0)
				same = 0;
			again = scratch_slurp(dest);
			if (!again || !got || strcmp(again, got) != 0)
				same = 0;
			free(again);
			free(got);
		}
		ok(same, "'%s' survives merge and unmerge as key and value", q);
		if (!same)
			diag("%s", err.msg);
		free(q);
		free(text);
		doc_free(root);
	}
	doc_list_release(&docs);
	buf_release(&b);
	free(src);
	free(dest);
	scratch_close(dir);
}

static char *srv_sh, *srv_dir;

static void srv_stop(void)
{
	const char *argv[] = {"bash", srv_sh, "stop", srv_dir, NULL};
	struct buf out = BUF_INIT(1 << 16);

	if (srv_dir && run_capture(argv, &out, 1) != 0)
		diag("kube.sh stop: %s", buf_cstr(&out));
	buf_release(&out);
	free(srv_dir);
	srv_dir = NULL;
}

/*
 * The test double's own kubeconfigs (as kubectl's format, written by
 * another program) read, and a client of them asking for /version; the
 * merged context used by kubectl against it.
 */
static void test_double(void)
{
	static const char *const files[] = {"kubeconfig", "kubeconfig-token"};
	const char *top = getenv("FTBOOT_TOP") ? getenv("FTBOOT_TOP") : ".";
	char *dir, *user, *got;
	struct buf out = BUF_INIT(1 << 16);
	struct err err = {0};
	size_t i;

	srv_sh = xasprintf("%s/tests/servers/kube.sh", top);
	if (access("/usr/bin/python3", X_OK) != 0 || access(srv_sh, R_OK) != 0) {
		skip(
		    "no /usr/bin/python3 or tests/servers/kube.sh: no test against the API double");
		free(srv_sh);
		return;
	}
	dir = scratch_open("kubeconfig");
	srv_dir = path_join(dir, "server");
	atexit(srv_stop);
	{
		const char *argv[] = {"bash", srv_sh, "start", srv_dir, NULL};

		if (run_capture(argv, &out, 1) != 0) {
			ok(0, "the API test double starts: %s", buf_cstr(&out));
			goto out;
		}
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = path_join(srv_dir, files[i]), *version = NULL;
		struct kube_target t = {0};
		struct kube *k = NULL;

		ok(kubeconfig_load(path, NULL, &t, &err) == 0, "the double's %s reads: %s",
		   files[i], err.msg);
		ok(kube_open(&t, &k, &err) == 0 && kube_version(k, &version, &err) == 0,
		   "a client of the double's %s gets /version: %s", files[i],
		   version ? version : err.msg);
		kube_close(k);
		free(version);
		kube_target_release(&t);
		free(path);
	}
	if (access(KUBECTL, X_OK) != 0) {
		skip("no " KUBECTL ": the merged context is not tried with kubectl");
		goto out;
	}
	user = path_join(dir, "home/config");
	got = path_join(srv_dir, "kubeconfig");
	ok(kubeconfig_merge(user, got, "ftboot-test", NULL, &err) == 0, "merge the double's: %s",
	   err.msg);
	{
		const char *argv[] = {KUBECTL, "--kubeconfig", user, "get",
		                      "--raw", "/version",     NULL};

		int rc;

		buf_reset(&out);
		rc = run_capture(argv, &out, 1);
		ok(rc == 0 && strstr(buf_cstr(&out), "gitVersion"),
		   "kubectl talks to the double with the merged context");
		if (rc != 0)
			diag("kubectl: %s", buf_cstr(&out));
	}
	free(got);
	free(user);
out:
	srv_stop();
	buf_release(&out);
	scratch_close(dir);
	free(srv_sh);
}

int main(void)
{
	test_base64();
	test_secret_not_echoed();
	test_parse_data();
	test_parse_token_and_contexts();
	test_parse_files();
	test_refusals();
	test_names();
	test_hostile();
	test_write();
	test_user_path();
	test_merge();
	test_lock();
	test_kubectl();
	test_layout_strings();
	test_double();
	return tap_done();
}
