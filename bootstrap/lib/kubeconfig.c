/*
 * kubeconfig: reading kubectl's file into the one cluster ftboot talks to
 * (kube_target), writing the state's own kubeconfig, and merging the
 * stack's context into the user's kubeconfig and out again.
 *
 * The reader follows kubectl's rules (clientcmd) for the fields ftboot
 * uses and refuses, naming the entry, what it cannot do safely:
 * insecure-skip-tls-verify, plain http, credential plugins, passwords.
 * Errors point at the text: "FILE:LINE:COL: users[0].user.token: ...".
 *
 * Files are written in kubectl's own layout (keys sorted, sequences not
 * indented under their key, go-yaml's choice of plain, single or double
 * quotes and its folding of long plain lines at 80 columns), so a file
 * kubectl wrote comes out of merge + unmerge byte for byte as it went
 * in. That writer (kc_emit) is checked on every use: its output is read
 * back and must hold the same data, else doc_emit_yaml's layout is
 * written instead (same data, other bytes). Comments in the user's file
 * are lost, as with kubectl.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doc.h"
#include "fs.h"
#include "kubeconfig.h"
#include "mono.h"
#include "schema.h"
#include "text.h"
#include "xmem.h"

#define KC_FILE_MAX     (1u << 20) /* a certificate, key or token file */
#define KC_LOCK_STALE_S 60         /* a lock file older than this is stale */
#define KC_LOCK_NAP_MS  50
#define KC_NAMES_SHOWN  10 /* names listed in "its contexts are ..." */
#define KC_WIDTH        80 /* go-yaml's best_width: where kubectl folds */
#define KC_SIMPLE_KEY   128
#define KC_MODE         0600
#define KC_DIR_MODE     0700

static int kc_lock_wait_ms = 10000;

void kubeconfig_set_lock_wait(int ms)
{
	kc_lock_wait_ms = ms < 0 ? 0 : ms;
}

/* ---- base64 ------------------------------------------------------------ */

/* The value of a base64 digit (RFC 4648's alphabet), or -1. */
static int kc_b64_value(unsigned char c)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = c ? strchr(digits, c) : NULL;

	return at ? (int)(at - digits) : -1;
}

int kubeconfig_base64_decode(const char *text, size_t n, char **out, size_t *len)
{
	char *buf = xmalloc(n / 4 * 3 + 4);
	unsigned long acc = 0;
	size_t i, w = 0, quad = 0, pad = 0;

	*out = NULL;
	*len = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = kc_b64_value(c);
		if (v < 0 || pad > 0)
			goto bad; /* not base64, or data after the padding */
		acc = (acc << 6) | (unsigned long)v;
		if (++quad == 4) {
			buf[w++] = (char)(acc >> 16);
			buf[w++] = (char)(acc >> 8);
			buf[w++] = (char)acc;
			quad = 0;
			acc = 0;
		}
	}
	/* Leftover characters: 2 give one byte, 3 give two; 1 is not base64. */
	if (quad == 1 || (pad > 0 && (quad == 0 || quad + pad != 4)))
		goto bad;
	if (quad == 2) {
		buf[w++] = (char)(acc >> 4);
	} else if (quad == 3) {
		buf[w++] = (char)(acc >> 10);
		buf[w++] = (char)(acc >> 2);
	}
	buf[w] = '\0';
	*out = buf;
	*len = w;
	return 0;
bad:
	explicit_bzero(buf, n / 4 * 3 + 4);
	free(buf);
	return -1;
}

/* ---- reading ----------------------------------------------------------- */

struct kc {
	struct schema ld; /* the file as named, and the error */
	char *dir;        /* where relative files are */
};

/* One entry of clusters, users or contexts. */
struct kc_entry {
	const char *name;
	const struct doc_node *item; /* the list item (name and body) */
	const struct doc_node *body; /* its cluster/user/context map, or NULL */
	size_t index;
};

struct kc_list {
	const char *key;   /* "clusters" */
	const char *inner; /* "cluster" */
	const char *what;  /* "cluster" in messages */
	struct kc_entry *e;
	size_t n;
};

__attribute__((format(printf, 5, 6))) static int kc_fail(struct kc *kc, const struct doc_node *n,
                                                         enum err_kind kind, const char *what,
                                                         const char *fmt, ...)
{
	char msg[ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	schema_fail(&kc->ld, n, what, "%s", msg);
	kc->ld.err->kind = kind;
	return -1;
}

/* s as it may be shown in a message (see text_quote). */
static const char *kc_q(const char *s, char *buf, size_t size)
{
	return text_quote(s, strlen(s), buf, size);
}

/* A string of the map, or NULL when absent or null; error if not a string. */
static int kc_str(struct kc *kc, const struct doc_node *map, const char *key, const char *at,
                  const char **out)
{
	const struct doc_node *v = map ? doc_map_get(map, key) : NULL;
	char what[256], got[64];

	*out = NULL;
	if (v == NULL || v->type == DOC_NULL)
		return 0;
	snprintf(what, sizeof(what), "%s%s%s", at, *at ? "." : "", key);
	if (v->type != DOC_STR) {
		/* A secret's value is not echoed, even when YAML read it as a number. */
		if (strcmp(key, "token") == 0 || strcmp(key, "client-key-data") == 0 ||
		    strcmp(key, "password") == 0)
			snprintf(got, sizeof(got), "%s", doc_type_name(v->type));
		else
			schema_describe(v, got, sizeof(got));
		return kc_fail(kc, v, ERRK_INVALID, what, "expected a string, got %s", got);
	}
	if (strlen(v->text) != v->len)
		return kc_fail(kc, v, ERRK_INVALID, what, "the string holds a NUL byte");
	*out = v->text;
	return 0;
}

static void kc_list_release(struct kc_list *l)
{
	free(l->e);
	l->e = NULL;
	l->n = 0;
}

/* Read root's list l->key into l->e, refusing bad shapes and duplicate names. */
static int kc_list_read(struct kc *kc, const struct doc_node *root, struct kc_list *l)
{
	const struct doc_node *seq = doc_map_get(root, l->key);
	char what[128], got[64], q[128];
	size_t i, j;

	l->e = NULL;
	l->n = 0;
	if (seq == NULL || seq->type == DOC_NULL)
		return 0;
	if (seq->type != DOC_SEQ) {
		schema_describe(seq, got, sizeof(got));
		return kc_fail(kc, seq, ERRK_INVALID, l->key, "expected a list of %ss, got %s",
		               l->what, got);
	}
	l->e = xcalloc(seq->n ? seq->n : 1, sizeof(*l->e));
	for (i = 0; i < seq->n; i++) {
		const struct doc_node *it = seq->items[i], *body;
		struct kc_entry *e = &l->e[l->n];
		const char *name;

		snprintf(what, sizeof(what), "%s[%zu]", l->key, i);
		if (it->type != DOC_MAP) {
			schema_describe(it, got, sizeof(got));
			return kc_fail(kc, it, ERRK_INVALID, what,
			               "expected a mapping with name and %s, got %s", l->inner,
			               got);
		}
		if (kc_str(kc, it, "name", what, &name) < 0)
			return -1;
		if (name == NULL || *name == '\0')
			return kc_fail(kc, it, ERRK_INVALID, what, "the %s has no name", l->what);
		body = doc_map_get(it, l->inner);
		if (body && body->type == DOC_NULL)
			body = NULL;
		if (body && body->type != DOC_MAP) {
			schema_describe(body, got, sizeof(got));
			snprintf(what + strlen(what), sizeof(what) - strlen(what), ".%s", l->inner);
			return kc_fail(kc, body, ERRK_INVALID, what, "expected a mapping, got %s",
			               got);
		}
		for (j = 0; j < l->n; j++)
			if (strcmp(l->e[j].name, name) == 0)
				return kc_fail(kc, doc_map_get(it, "name"), ERRK_INVALID, what,
				               "a second %s named '%s' (the first is at line %u); "
				               "names must be unique",
				               l->what, kc_q(name, q, sizeof(q)),
				               l->e[j].item->mark.line);
		e->name = name;
		e->item = it;
		e->body = body;
		e->index = i;
		l->n++;
	}
	return 0;
}

static const struct kc_entry *kc_find(const struct kc_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->e[i].name, name) == 0)
			return &l->e[i];
	return NULL;
}

/* "its contexts are a, b" or "it has no contexts", into out. */
static void kc_names(const struct kc_list *l, char *out, size_t size)
{
	char q[128];
	size_t i, at;

	if (l->n == 0) {
		snprintf(out, size, "it has no %ss", l->what);
		return;
	}
	snprintf(out, size, "its %ss are ", l->what);
	for (i = 0; i < l->n && i < KC_NAMES_SHOWN; i++) {
		at = strlen(out);
		snprintf(out + at, size - at, "%s%s", i ? ", " : "",
		         kc_q(l->e[i].name, q, sizeof(q)));
	}
	if (l->n > KC_NAMES_SHOWN) {
		at = strlen(out);
		snprintf(out + at, size - at, " and %zu more", l->n - KC_NAMES_SHOWN);
	}
}

/*
 * Read a file the kubeconfig names (relative to its directory) into out,
 * as NUL-terminated text of *len bytes. Errors point at the field.
 */
static int kc_read_file(struct kc *kc, const struct doc_node *at, const char *what,
                        const char *file, char **out, size_t *len)
{
	struct buf b = BUF_INIT(KC_FILE_MAX);
	struct err inner;
	char *path = path_join(kc->dir, file), q[128], *prefix;
	const char *why;
	int rc = -1;

	*out = NULL;
	err_clear(&inner);
	if (fs_read(path, KC_FILE_MAX, &b, &inner) == 0) {
		*len = b.len;
		*out = buf_detach(&b, NULL);
		free(path);
		return 0;
	}
	/* fs_read says "cannot read 'PATH': WHY"; say WHY with the path quoted. */
	prefix = xasprintf("cannot read '%s': ", path);
	why = strncmp(inner.msg, prefix, strlen(prefix)) == 0 ? inner.msg + strlen(prefix)
	                                                      : inner.msg;
	if (file[0] == '/')
		kc_fail(kc, at, inner.kind ? inner.kind : ERRK_INVALID, what,
		        "cannot read '%s': %s", kc_q(file, q, sizeof(q)), why);
	else
		kc_fail(kc, at, inner.kind ? inner.kind : ERRK_INVALID, what,
		        "cannot read '%s' (relative to '%s'): %s", kc_q(file, q, sizeof(q)),
		        kc->dir, why);
	kc->ld.err->errnum = inner.errnum;
	free(prefix);
	buf_release(&b);
	free(path);
	return rc;
}

enum kc_pem { KC_CERT, KC_KEY };

/*
 * Check that text[0..len) is PEM of that sort. The message never shows
 * the bytes (a key is secret).
 */
static int kc_pem_check(struct kc *kc, const struct doc_node *at, const char *what,
                        const char *text, size_t len, enum kc_pem sort, int from_data)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return kc_fail(kc, at, ERRK_INVALID, what,
			               "%s binary bytes, not PEM text (a DER file? convert it: "
			               "openssl %s -inform der)",
			               from_data ? "the data decodes to" : "the file holds",
			               sort == KC_KEY ? "pkey" : "x509");
	}
	i = strspn(text, " \t\r\n");
	if (strncmp(text + i, "-----BEGIN", 10) != 0 && (from_data || !strstr(text, "-----BEGIN")))
		return kc_fail(kc, at, ERRK_INVALID, what,
		               "not PEM: %s does not start with -----BEGIN",
		               from_data ? "the decoded data" : "the file");
	if (sort == KC_CERT && !strstr(text, "-----BEGIN CERTIFICATE-----"))
		return kc_fail(kc, at, ERRK_INVALID, what,
		               "no certificate in it (no -----BEGIN CERTIFICATE----- line)");
	if (sort == KC_KEY && strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
		return kc_fail(kc, at, ERRK_UNSUPPORTED, what,
		               "the private key is encrypted; give it unencrypted, as kubectl "
		               "needs it");
	if (sort == KC_KEY && !strstr(text, "PRIVATE KEY-----"))
		return kc_fail(kc, at, ERRK_INVALID, what,
		               "no private key in it (no -----BEGIN ... PRIVATE KEY----- line)");
	return 0;
}

static void kc_wipe_free(char *s, size_t len)
{
	if (s) {
		explicit_bzero(s, len);
		free(s);
	}
}

/*
 * One PEM item given as FILE (a path) or FILE-data (base64): both is an
 * error, as for kubectl's validation. *out NULL when neither is given.
 */
static int kc_pem_field(struct kc *kc, const struct doc_node *body, const char *at,
                        const char *file_key, enum kc_pem sort, char **out)
{
	char data_key[64], what[256];
	const char *file, *data;
	const struct doc_node *node;
	char *text = NULL;
	size_t len = 0;

	*out = NULL;
	snprintf(data_key, sizeof(data_key), "%s-data", file_key);
	if (kc_str(kc, body, file_key, at, &file) < 0 || kc_str(kc, body, data_key, at, &data) < 0)
		return -1;
	if (file && !*file)
		file = NULL;
	if (data && !*data)
		data = NULL;
	if (file && data) {
		snprintf(what, sizeof(what), "%s.%s", at, file_key);
		return kc_fail(kc, doc_map_get(body, file_key), ERRK_INVALID, what,
		               "both %s and %s are given; keep one", file_key, data_key);
	}
	if (data) {
		node = doc_map_get(body, data_key);
		snprintf(what, sizeof(what), "%s.%s", at, data_key);
		if (kubeconfig_base64_decode(data, strlen(data), &text, &len) < 0)
			return kc_fail(kc, node, ERRK_INVALID, what, "not base64");
	} else if (file) {
		node = doc_map_get(body, file_key);
		snprintf(what, sizeof(what), "%s.%s", at, file_key);
		if (kc_read_file(kc, node, what, file, &text, &len) < 0)
			return -1;
	} else {
		return 0;
	}
	if (kc_pem_check(kc, node, what, text, len, sort, data != NULL) < 0) {
		kc_wipe_free(text, len);
		return -1;
	}
	*out = text;
	return 0;
}

/* A server URL: https:// only, with a host; stored without a trailing '/'. */
static int kc_server(struct kc *kc, const struct doc_node *body, const char *at,
                     const char *cluster, struct kube_target *t)
{
	const struct doc_node *node = doc_map_get(body, "server");
	char what[256], q[128], qc[128];
	const char *s, *host;
	size_t i, n;

	snprintf(what, sizeof(what), "%s.server", at);
	if (kc_str(kc, body, "server", at, &s) < 0)
		return -1;
	if (s == NULL || *s == '\0')
		return kc_fail(kc, node ? node : body, ERRK_INVALID, at,
		               "cluster '%s' has no server; give its https:// address",
		               kc_q(cluster, qc, sizeof(qc)));
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return kc_fail(kc, node, ERRK_INVALID, what,
			               "'%s' is not a URL: it holds a space or control character",
			               kc_q(s, q, sizeof(q)));
	if (strncasecmp(s, "http://", 7) == 0)
		return kc_fail(kc, node, ERRK_INVALID, what,
		               "'%s' is plain HTTP; TLS is required: give the cluster's https:// "
		               "address",
		               kc_q(s, q, sizeof(q)));
	if (strncasecmp(s, "https://", 8) != 0)
		return kc_fail(kc, node, ERRK_INVALID, what,
		               "expected an https:// URL (https://HOST:PORT), got '%s'",
		               kc_q(s, q, sizeof(q)));
	host = s + 8;
	if (*host == '\0' || *host == '/' || *host == ':')
		return kc_fail(kc, node, ERRK_INVALID, what, "'%s' has no host",
		               kc_q(s, q, sizeof(q)));
	if (strpbrk(host, "?#@"))
		return kc_fail(kc, node, ERRK_INVALID, what,
		               "'%s' may not hold a query, a fragment or user info; give "
		               "https://HOST:PORT[/PATH]",
		               kc_q(s, q, sizeof(q)));
	n = strlen(host);
	while (n > 0 && host[n - 1] == '/')
		n--;
	t->server = xasprintf("https://%.*s", (int)n, host);
	return 0;
}

static int kc_cluster(struct kc *kc, const struct kc_entry *e, struct kube_target *t)
{
	const struct doc_node *body = e->body, *v;
	char at[64], what[128], q[128];
	const char *s;

	snprintf(at, sizeof(at), "clusters[%zu].cluster", e->index);
	if (body == NULL)
		return kc_fail(kc, e->item, ERRK_INVALID, at,
		               "cluster '%s' has no cluster mapping (server, "
		               "certificate-authority-data)",
		               kc_q(e->name, q, sizeof(q)));
	v = doc_map_get(body, "insecure-skip-tls-verify");
	if (v && v->type != DOC_NULL) {
		snprintf(what, sizeof(what), "%s.insecure-skip-tls-verify", at);
		if (v->type != DOC_BOOL)
			return kc_fail(kc, v, ERRK_INVALID, what, "expected true or false");
		if (v->b)
			return kc_fail(
			    kc, v, ERRK_UNSUPPORTED, what,
			    "cluster '%s' turns TLS verification off; ftboot always "
			    "verifies the server: remove this line and set "
			    "certificate-authority (a file) or certificate-authority-data "
			    "to the cluster's CA",
			    kc_q(e->name, q, sizeof(q)));
	}
	v = doc_map_get(body, "proxy-url");
	if (v && v->type != DOC_NULL && !(v->type == DOC_STR && v->len == 0)) {
		snprintf(what, sizeof(what), "%s.proxy-url", at);
		return kc_fail(kc, v, ERRK_UNSUPPORTED, what,
		               "cluster '%s' is reached through a proxy; ftboot does not support "
		               "proxy-url: remove it to connect directly",
		               kc_q(e->name, q, sizeof(q)));
	}
	if (kc_server(kc, body, at, e->name, t) < 0)
		return -1;
	if (kc_str(kc, body, "tls-server-name", at, &s) < 0)
		return -1;
	if (s && *s)
		t->tls_server_name = xstrdup(s);
	return kc_pem_field(kc, body, at, "certificate-authority", KC_CERT, &t->ca_pem);
}

/* A bearer token: one word of visible ASCII (it goes into an HTTP header). */
static int kc_token_check(struct kc *kc, const struct doc_node *at, const char *what,
                          const char *tok, size_t len)
{
	size_t i;

	if (len == 0)
		return kc_fail(kc, at, ERRK_INVALID, what, "the token is empty");
	for (i = 0; i < len; i++)
		if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f)
			return kc_fail(kc, at, ERRK_INVALID, what,
			               "the token holds a space, a control character or a "
			               "non-ASCII byte (at byte %zu); a bearer token is one word",
			               i + 1);
	return 0;
}

static int kc_user(struct kc *kc, const struct kc_entry *e, struct kube_target *t)
{
	static const char *const refused[][2] = {
	    {"exec", "a credential plugin (exec)"},
	    {"auth-provider", "an auth provider"},
	    {"username", "a username and password"},
	    {"password", "a username and password"},
	    {"as", "impersonation (as)"},
	    {"as-groups", "impersonation (as-groups)"},
	    {"as-uid", "impersonation (as-uid)"},
	    {"as-user-extra", "impersonation (as-user-extra)"},
	};
	const struct doc_node *body = e->body, *v;
	char at[64], what[128], q[128];
	const char *tok, *file;
	size_t i, len;

	snprintf(at, sizeof(at), "users[%zu].user", e->index);
	if (body == NULL)
		return 0; /* no credentials: anonymous, as kubectl */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		v = doc_map_get(body, refused[i][0]);
		if (v == NULL || v->type == DOC_NULL ||
		    ((v->type == DOC_STR || v->type == DOC_SEQ || v->type == DOC_MAP) &&
		     v->n == 0 && v->len == 0))
			continue;
		snprintf(what, sizeof(what), "%s.%s", at, refused[i][0]);
		return kc_fail(kc, v, ERRK_UNSUPPORTED, what,
		               "user '%s' authenticates with %s, which ftboot does not support; "
		               "give it a client certificate and key, or a token (kubectl create "
		               "token ...)",
		               kc_q(e->name, q, sizeof(q)), refused[i][1]);
	}
	if (kc_pem_field(kc, body, at, "client-certificate", KC_CERT, &t->cert_pem) < 0 ||
	    kc_pem_field(kc, body, at, "client-key", KC_KEY, &t->key_pem) < 0)
		return -1;
	if (!t->cert_pem != !t->key_pem) {
		snprintf(what, sizeof(what), "%s.%s", at,
		         t->cert_pem ? "client-certificate" : "client-key");
		v = doc_map_get(body, t->cert_pem ? "client-certificate-data" : "client-key-data");
		if (v == NULL)
			v = doc_map_get(body, t->cert_pem ? "client-certificate" : "client-key");
		return kc_fail(kc, v, ERRK_INVALID, what,
		               "user '%s' has a client %s but no %s; give both",
		               kc_q(e->name, q, sizeof(q)), t->cert_pem ? "certificate" : "key",
		               t->cert_pem ? "client-key or client-key-data"
		                           : "client-certificate or client-certificate-data");
	}
	/* token wins over tokenFile, as in client-go. */
	if (kc_str(kc, body, "token", at, &tok) < 0 || kc_str(kc, body, "tokenFile", at, &file) < 0)
		return -1;
	if (tok && *tok) {
		snprintf(what, sizeof(what), "%s.token", at);
		if (kc_token_check(kc, doc_map_get(body, "token"), what, tok, strlen(tok)) < 0)
			return -1;
		t->token = xstrdup(tok);
	} else if (file && *file) {
		char *text = NULL, *s;

		v = doc_map_get(body, "tokenFile");
		snprintf(what, sizeof(what), "%s.tokenFile", at);
		if (kc_read_file(kc, v, what, file, &text, &len) < 0)
			return -1;
		/* client-go trims the file's white space. */
		s = text + strspn(text, " \t\r\n");
		len -= (size_t)(s - text);
		while (len > 0 && strchr(" \t\r\n", s[len - 1]))
			len--;
		if (kc_token_check(kc, v, what, s, len) < 0) {
			kc_wipe_free(text, strlen(text));
			return -1;
		}
		t->token = xstrndup(s, len);
		kc_wipe_free(text, strlen(text) + 1);
	}
	return 0;
}

/* The entry of l that a context's key names, or an error naming the ones there are. */
static int kc_named(struct kc *kc, const struct kc_list *l, const struct doc_node *ctx,
                    const char *key, const char *at, const char *name, const struct kc_entry **out)
{
	char names[1024], q[128], what[128];

	*out = kc_find(l, name);
	if (*out)
		return 0;
	kc_names(l, names, sizeof(names));
	snprintf(what, sizeof(what), "%s.%s", at, key);
	return kc_fail(kc, doc_map_get(ctx, key), ERRK_NOTFOUND, what, "no %s '%s' in %s; %s",
	               l->what, kc_q(name, q, sizeof(q)), kc->ld.path, names);
}

static int kc_resolve(struct kc *kc, const struct doc_node *root, const char *context,
                      struct kube_target *t)
{
	struct kc_list clusters = {"clusters", "cluster", "cluster", NULL, 0};
	struct kc_list users = {"users", "user", "user", NULL, 0};
	struct kc_list contexts = {"contexts", "context", "context", NULL, 0};
	const struct doc_node *cur_node = NULL;
	const struct kc_entry *ctx, *cl = NULL, *us = NULL;
	const char *cur = NULL, *cname, *uname, *ns;
	char names[1024], q[128], at[64];
	int rc = -1;

	if (kc_list_read(kc, root, &clusters) < 0 || kc_list_read(kc, root, &users) < 0 ||
	    kc_list_read(kc, root, &contexts) < 0)
		goto out;
	if (context == NULL) {
		if (kc_str(kc, root, "current-context", "", &cur) < 0)
			goto out;
		cur_node = doc_map_get(root, "current-context");
		if (cur == NULL || *cur == '\0') {
			kc_names(&contexts, names, sizeof(names));
			err_setk(kc->ld.err, ERRK_NOTFOUND,
			         "%s has no current-context; name the context to use (%s)",
			         kc->ld.path, names);
			goto out;
		}
		context = cur;
	}
	ctx = kc_find(&contexts, context);
	if (ctx == NULL) {
		kc_names(&contexts, names, sizeof(names));
		if (cur_node)
			kc_fail(kc, cur_node, ERRK_NOTFOUND, "current-context",
			        "no context '%s' in %s; %s", kc_q(context, q, sizeof(q)),
			        kc->ld.path, names);
		else
			err_setk(kc->ld.err, ERRK_NOTFOUND, "no context '%s' in %s; %s",
			         kc_q(context, q, sizeof(q)), kc->ld.path, names);
		goto out;
	}
	t->context = xstrdup(ctx->name);
	snprintf(at, sizeof(at), "contexts[%zu].context", ctx->index);
	if (ctx->body == NULL) {
		kc_fail(kc, ctx->item, ERRK_INVALID, at, "context '%s' names no cluster",
		        kc_q(ctx->name, q, sizeof(q)));
		goto out;
	}
	if (kc_str(kc, ctx->body, "cluster", at, &cname) < 0 ||
	    kc_str(kc, ctx->body, "user", at, &uname) < 0 ||
	    kc_str(kc, ctx->body, "namespace", at, &ns) < 0)
		goto out;
	if (cname == NULL || *cname == '\0') {
		kc_fail(kc, ctx->body, ERRK_INVALID, at, "context '%s' names no cluster",
		        kc_q(ctx->name, q, sizeof(q)));
		goto out;
	}
	if (kc_named(kc, &clusters, ctx->body, "cluster", at, cname, &cl) < 0 ||
	    (uname && *uname && kc_named(kc, &users, ctx->body, "user", at, uname, &us) < 0))
		goto out;
	t->namespace = xstrdup(ns && *ns ? ns : "default");
	if (kc_cluster(kc, cl, t) < 0 || (us && kc_user(kc, us, t) < 0))
		goto out;
	rc = 0;
out:
	kc_list_release(&clusters);
	kc_list_release(&users);
	kc_list_release(&contexts);
	return rc;
}

/* Wipe every scalar of a tree (a kubeconfig holds keys and tokens), then free it. */
static void kc_doc_wipe(struct doc_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	if (n->text)
		explicit_bzero(n->text, n->len);
	for (i = 0; n->type == DOC_SEQ && i < n->n; i++)
		kc_doc_wipe(n->items[i]);
	for (i = 0; n->type == DOC_MAP && i < n->n; i++) {
		kc_doc_wipe(n->pairs[i].key);
		kc_doc_wipe(n->pairs[i].value);
	}
}

static void kc_docs_release(struct doc_list *docs)
{
	size_t i;

	for (i = 0; i < docs->n; i++)
		kc_doc_wipe(docs->docs[i]);
	doc_list_release(docs);
}

/*
 * Parse text as a kubeconfig document: *root is its mapping, or NULL
 * for an empty file. Errors name the file, line and column.
 */
static int kc_parse_doc(struct kc *kc, const char *text, size_t len, struct doc_list *docs,
                        struct doc_node **root)
{
	char got[64];

	*root = NULL;
	if (len > KUBECONFIG_MAX_BYTES)
		return err_setk(kc->ld.err, ERRK_INVALID,
		                "%s: larger than %u bytes; not a kubeconfig", kc->ld.path,
		                KUBECONFIG_MAX_BYTES);
	if (doc_parse_yaml(kc->ld.path, text, len, docs, kc->ld.err) < 0) {
		kc->ld.err->kind = ERRK_INVALID;
		return -1;
	}
	if (docs->n > 1)
		return kc_fail(kc, docs->docs[1], ERRK_INVALID, NULL,
		               "a second YAML document; a kubeconfig is one document");
	if (docs->n == 0 || docs->docs[0]->type == DOC_NULL)
		return 0;
	if (docs->docs[0]->type != DOC_MAP) {
		schema_describe(docs->docs[0], got, sizeof(got));
		return kc_fail(kc, docs->docs[0], ERRK_INVALID, NULL,
		               "expected a kubeconfig (a mapping with clusters, users and "
		               "contexts), got %s",
		               got);
	}
	*root = docs->docs[0];
	return 0;
}

int kubeconfig_parse(const char *path, const char *text, size_t len, const char *context,
                     struct kube_target *t, struct err *err)
{
	struct doc_list docs = {NULL, 0};
	struct doc_node *root;
	struct kc kc;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	kc.ld.path = path;
	kc.ld.err = err;
	kc.dir = path_dir(path);
	if (kc_parse_doc(&kc, text, len, &docs, &root) < 0)
		goto out;
	if (root == NULL) {
		err_setk(err, ERRK_INVALID,
		         "%s:1:1: the kubeconfig is empty; it needs clusters, users and contexts",
		         path);
		goto out;
	}
	if (kc_resolve(&kc, root, context, t) < 0)
		goto out;
	t->source = xstrdup(path);
	rc = 0;
out:
	kc_docs_release(&docs);
	free(kc.dir);
	return rc;
}

int kubeconfig_load(const char *path, const char *context, struct kube_target *t, struct err *err)
{
	struct buf b = BUF_INIT(KUBECONFIG_MAX_BYTES);
	int rc;

	memset(t, 0, sizeof(*t));
	if (fs_read(path, KUBECONFIG_MAX_BYTES, &b, err) < 0) {
		buf_release(&b);
		if (err->kind == ERRK_OTHER)
			err->kind = ERRK_INVALID; /* not a regular file, or too large */
		return err_wrap(err, "cannot load kubeconfig");
	}
	rc = kubeconfig_parse(path, buf_cstr(&b), b.len, context, t, err);
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

static void kc_free_secret(char **s)
{
	if (*s)
		kc_wipe_free(*s, strlen(*s));
	*s = NULL;
}

void kube_target_release(struct kube_target *t)
{
	if (t == NULL)
		return;
	free(t->source);
	free(t->context);
	free(t->server);
	free(t->tls_server_name);
	free(t->ca_pem);
	free(t->cert_pem);
	kc_free_secret(&t->key_pem);
	kc_free_secret(&t->token);
	free(t->namespace);
	memset(t, 0, sizeof(*t));
}

/* ---- kubectl's layout -------------------------------------------------- */

/*
 * A writer of document trees as kubectl writes them (go-yaml v2, which is
 * libyaml's emitter ported to Go, with a width of 80 and its own choice
 * of styles). Only what a kubeconfig holds: block mappings and sequences,
 * scalars; -1 for what it does not do (the caller falls back).
 */
struct kc_out {
	struct buf *b;
	size_t col; /* characters since the last line break */
	int bad;    /* buffer full or something not written */
};

static void kc_put(struct kc_out *o, const char *s, size_t n)
{
	size_t i;

	if (buf_add(o->b, s, n) < 0)
		o->bad = 1;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			o->col = 0;
		else if (((unsigned char)s[i] & 0xC0) != 0x80)
			o->col++;
	}
}

static void kc_puts(struct kc_out *o, const char *s)
{
	kc_put(o, s, strlen(s));
}

/* A new line at indent (none after a block scalar's last break: go-yaml's write_indent). */
static void kc_line(struct kc_out *o, size_t indent)
{
	if (o->col > 0)
		kc_put(o, "\n", 1);
	while (o->col < indent)
		kc_put(o, " ", 1);
}

/* go-yaml's character classes, on UTF-8 at s[i..len). */
static size_t kc_width(const unsigned char *s, size_t i, size_t len)
{
	size_t n = text_utf8_len((const char *)s + i, len - i);

	return n ? n : 1;
}

static int kc_is_break(const unsigned char *s, size_t i, size_t len)
{
	return s[i] == '\r' || s[i] == '\n' || (s[i] == 0xC2 && i + 1 < len && s[i + 1] == 0x85) ||
	       (s[i] == 0xE2 && i + 2 < len && s[i + 1] == 0x80 &&
	        (s[i + 2] == 0xA8 || s[i + 2] == 0xA9));
}

static int kc_is_blankz(const unsigned char *s, size_t i, size_t len)
{
	return i >= len || s[i] == ' ' || s[i] == '\t' || s[i] == '\0' || kc_is_break(s, i, len);
}

static int kc_is_printable(const unsigned char *s, size_t i, size_t len)
{
	unsigned char b1 = i + 1 < len ? s[i + 1] : 0, b2 = i + 2 < len ? s[i + 2] : 0;

	return s[i] == 0x0A || (s[i] >= 0x20 && s[i] <= 0x7E) || (s[i] == 0xC2 && b1 >= 0xA0) ||
	       (s[i] > 0xC2 && s[i] < 0xED) || (s[i] == 0xED && b1 < 0xA0) || s[i] == 0xEE ||
	       (s[i] == 0xEF && !(b1 == 0xBB && b2 == 0xBF) &&
	        !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

struct kc_scan {
	int multiline, block_plain, single, block;
};

/* yaml_emitter_analyze_scalar, for block context. */
static void kc_analyze(const unsigned char *s, size_t len, struct kc_scan *a)
{
	int block_ind = 0, line_breaks = 0, special = 0;
	int leading_space = 0, leading_break = 0, trailing_space = 0, trailing_break = 0;
	int break_space = 0, space_break = 0, prev_space = 0, prev_break = 0;
	int preceded = 1, followed;
	size_t i, w;

	memset(a, 0, sizeof(*a));
	if (len == 0) {
		a->block_plain = a->single = 1;
		return;
	}
	if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		block_ind = 1;
	followed = kc_is_blankz(s, kc_width(s, 0, len), len);
	for (i = 0; i < len; i += w) {
		w = kc_width(s, i, len);
		if (i == 0) {
			if (strchr("#,[]{}&*!|>'\"%@`", s[i]) && s[i])
				block_ind = 1;
			if ((s[i] == '?' || s[i] == ':' || s[i] == '-') && followed)
				block_ind = 1;
		} else {
			if (s[i] == ':' && followed)
				block_ind = 1;
			if (s[i] == '#' && preceded)
				block_ind = 1;
		}
		if (!kc_is_printable(s, i, len))
			special = 1;
		if (kc_is_break(s, i, len))
			line_breaks = 1;
		if (s[i] == ' ') {
			leading_space |= i == 0;
			trailing_space |= i + w == len;
			break_space |= prev_break;
			prev_space = 1;
			prev_break = 0;
		} else if (kc_is_break(s, i, len)) {
			leading_break |= i == 0;
			trailing_break |= i + w == len;
			space_break |= prev_space;
			prev_break = 1;
			prev_space = 0;
		} else {
			prev_space = prev_break = 0;
		}
		preceded = kc_is_blankz(s, i, len);
		if (i + w < len)
			followed = kc_is_blankz(s, i + w + kc_width(s, i + w, len), len);
	}
	a->multiline = line_breaks;
	a->block_plain = a->single = a->block = 1;
	if (leading_space || leading_break || trailing_space || trailing_break)
		a->block_plain = 0;
	if (trailing_space)
		a->block = 0;
	if (break_space)
		a->block_plain = a->single = 0;
	if (space_break || special)
		a->block_plain = a->single = a->block = 0;
	if (line_breaks)
		a->block_plain = 0;
	if (block_ind)
		a->block_plain = 0;
}

/* [+-]? DIGITS (with the prefixes 0x, 0o, 0b) as Go's ParseInt base 0 reads. */
static int kc_go_int(const char *s)
{
	const char *digits = "0123456789";

	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		digits = "0123456789abcdefABCDEF";
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		s += 2;
		digits = "01234567";
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		s += 2;
		digits = "01";
	}
	return *s && strspn(s, digits) == strlen(s);
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's float). */
static int kc_go_float(const char *s)
{
	size_t n;

	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		n = strspn(s + 1, "0123456789");
		if (n == 0)
			return 0;
		s += 1 + n;
	} else {
		n = strspn(s, "0123456789");
		if (n == 0)
			return 0;
		s += n;
		if (*s == '.')
			s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		n = strspn(s, "0123456789");
		if (n == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static int kc_go_base60(const char *s)
{
	int parts = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	s += strspn(s, "0123456789_");
	while (*s == ':') {
		size_t n = strspn(s + 1, "0123456789");

		if (n == 0 || n > 2 || (n == 2 && s[1] > '5'))
			return 0;
		s += 1 + n;
		parts++;
	}
	if (parts == 0)
		return 0;
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789_");
	return *s == '\0';
}

/*
 * 1 if go-yaml v2 would read s, written plain, as something else than a
 * string (so it writes it double-quoted). Errs on the side of quoting.
 */
static int kc_go_nonstring(const char *s, size_t len)
{
	static const char *const words[] = {
	    "~",     "null",  "Null",  "NULL",  "y",     "Y",    "yes",  "Yes",   "YES",   "n",
	    "N",     "no",    "No",    "NO",    "true",  "True", "TRUE", "false", "False", "FALSE",
	    "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",  "+.inf",
	    "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",  "<<"};
	char *plain;
	size_t i, j;
	int r;

	if (len == 0)
		return 1;
	if (strlen(s) != len)
		return 0; /* a NUL: double-quoted anyway, as it is not printable */
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	if (!strchr("+-.0123456789", s[0]))
		return 0;
	/* A timestamp (2001-12-14...): quoted whenever it starts like one. */
	if (len >= 5 && strspn(s, "0123456789") == 4 && s[4] == '-')
		return 1;
	plain = xmalloc(len + 1);
	for (i = j = 0; i < len; i++)
		if (s[i] != '_')
			plain[j++] = s[i];
	plain[j] = '\0';
	r = kc_go_int(plain) || kc_go_float(plain) || kc_go_base60(s);
	free(plain);
	return r;
}

enum kc_style { KC_PLAIN, KC_SINGLE, KC_DOUBLE, KC_LITERAL };

static enum kc_style kc_style_of(const char *str, size_t len, int key)
{
	const unsigned char *s = (const unsigned char *)str;
	enum kc_style style;
	struct kc_scan a;
	size_t i;

	if (memchr(str, '\n', len))
		style = KC_LITERAL;
	else if (kc_go_nonstring(str, len))
		style = KC_DOUBLE;
	else
		style = KC_PLAIN;
	kc_analyze(s, len, &a);
	if (style == KC_PLAIN && (!a.block_plain || (len == 0 && key)))
		style = KC_SINGLE;
	if (style == KC_SINGLE && !a.single)
		style = KC_DOUBLE;
	/* Breaks other than '\n' in single quotes: written double-quoted here. */
	for (i = 0; style == KC_SINGLE && i < len; i++)
		if (kc_is_break(s, i, len))
			style = KC_DOUBLE;
	if (style == KC_LITERAL && (!a.block || key))
		style = KC_DOUBLE;
	return style;
}

/*
 * A plain or single-quoted scalar, folded at a space past column 80 as
 * go-yaml does (a quoted one never at its first or last character).
 */
static void kc_write_folded(struct kc_out *o, const unsigned char *s, size_t len, size_t indent,
                            int breaks, int quoted)
{
	int spaces = 0;
	size_t i, w;

	if (quoted)
		kc_put(o, "'", 1);
	for (i = 0; i < len; i += w) {
		w = kc_width(s, i, len);
		if (s[i] == ' ') {
			if (breaks && !spaces && o->col > KC_WIDTH &&
			    (!quoted || (i != 0 && i != len - 1)) &&
			    !(i + 1 < len && s[i + 1] == ' '))
				kc_line(o, indent);
			else
				kc_put(o, " ", 1);
			spaces = 1;
		} else {
			if (quoted && s[i] == '\'')
				kc_put(o, "'", 1);
			kc_put(o, (const char *)s + i, w);
			spaces = 0;
		}
	}
	if (quoted)
		kc_put(o, "'", 1);
}

static void kc_write_double(struct kc_out *o, const unsigned char *s, size_t len, size_t indent,
                            int breaks)
{
	static const char esc_from[] = {0x00, 0x07, 0x08, 0x09, 0x0A, 0x0B,
	                                0x0C, 0x0D, 0x1B, '"',  '\\'};
	static const char esc_to[] = "0abtnvfre\"\\";
	int spaces = 0;
	size_t i, w, k;
	char hex[16];

	kc_put(o, "\"", 1);
	for (i = 0; i < len; i += w) {
		w = kc_width(s, i, len);
		if (!kc_is_printable(s, i, len) || kc_is_break(s, i, len) || s[i] == '"' ||
		    s[i] == '\\' ||
		    (w == 3 && s[i] == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF)) {
			unsigned long cp = s[i];

			for (k = 0; k < sizeof(esc_from) && w == 1; k++)
				if (s[i] == (unsigned char)esc_from[k])
					break;
			if (w == 1 && k < sizeof(esc_from)) {
				hex[0] = '\\';
				hex[1] = esc_to[k];
				kc_put(o, hex, 2);
			} else {
				if (w == 2)
					cp = ((s[i] & 0x1FUL) << 6) | (s[i + 1] & 0x3F);
				else if (w == 3)
					cp = ((s[i] & 0x0FUL) << 12) | ((s[i + 1] & 0x3FUL) << 6) |
					     (s[i + 2] & 0x3F);
				else if (w == 4)
					cp = ((s[i] & 0x07UL) << 18) | ((s[i + 1] & 0x3FUL) << 12) |
					     ((s[i + 2] & 0x3FUL) << 6) | (s[i + 3] & 0x3F);
				if (cp == 0x85)
					snprintf(hex, sizeof(hex), "\\N");
				else if (cp == 0xA0)
					snprintf(hex, sizeof(hex), "\\_");
				else if (cp == 0x2028)
					snprintf(hex, sizeof(hex), "\\L");
				else if (cp == 0x2029)
					snprintf(hex, sizeof(hex), "\\P");
				else if (cp <= 0xFF)
					snprintf(hex, sizeof(hex), "\\x%02lX", cp);
				else if (cp <= 0xFFFF)
					snprintf(hex, sizeof(hex), "\\u%04lX", cp);
				else
					snprintf(hex, sizeof(hex), "\\U%08lX", cp);
				kc_puts(o, hex);
			}
			spaces = 0;
		} else if (s[i] == ' ') {
			if (breaks && !spaces && o->col > KC_WIDTH && i > 0 && i < len - 1) {
				kc_line(o, indent);
				if (i + 1 < len && s[i + 1] == ' ')
					kc_put(o, "\\", 1);
			} else {
				kc_put(o, " ", 1);
			}
			spaces = 1;
		} else {
			kc_put(o, (const char *)s + i, w);
			spaces = 0;
		}
	}
	kc_put(o, "\"", 1);
}

static void kc_write_literal(struct kc_out *o, const unsigned char *s, size_t len, size_t indent)
{
	int breaks = 1;
	size_t i, w, last;

	kc_put(o, "|", 1);
	if (s[0] == ' ' || kc_is_break(s, 0, len))
		kc_put(o, "2", 1);
	last = len - 1;
	while (last > 0 && (s[last] & 0xC0) == 0x80)
		last--;
	if (!kc_is_break(s, last, len)) {
		kc_put(o, "-", 1);
	} else if (last == 0) {
		kc_put(o, "+", 1);
	} else {
		i = last - 1;
		while (i > 0 && (s[i] & 0xC0) == 0x80)
			i--;
		if (kc_is_break(s, i, len))
			kc_put(o, "+", 1);
	}
	kc_put(o, "\n", 1);
	for (i = 0; i < len; i += w) {
		w = kc_width(s, i, len);
		if (kc_is_break(s, i, len)) {
			kc_put(o, "\n", 1);
			breaks = 1;
		} else {
			if (breaks)
				while (o->col < indent)
					kc_put(o, " ", 1);
			kc_put(o, (const char *)s + i, w);
			breaks = 0;
		}
	}
}

/* A scalar; indent is where a folded line goes on. key: a mapping key. */
static void kc_write_scalar(struct kc_out *o, const struct doc_node *n, size_t indent, int key)
{
	char num[DOC_FLOAT_TEXT_MAX + 32];
	const unsigned char *s = (const unsigned char *)n->text;
	size_t i;

	switch (n->type) {
	case DOC_NULL:
		kc_puts(o, "null");
		return;
	case DOC_BOOL:
		kc_puts(o, n->b ? "true" : "false");
		return;
	case DOC_INT:
		snprintf(num, sizeof(num), "%lld", n->i);
		kc_puts(o, num);
		return;
	case DOC_FLOAT:
		kc_puts(o, doc_float_text(n->f, num));
		return;
	case DOC_STR:
		break;
	default:
		o->bad = 1;
		return;
	}
	if (s == NULL)
		s = (const unsigned char *)"";
	for (i = 0; i < n->len; i += text_utf8_len((const char *)s + i, n->len - i))
		if (text_utf8_len((const char *)s + i, n->len - i) == 0) {
			o->bad = 1; /* not UTF-8: go-yaml writes !!binary; not done here */
			return;
		}
	if (key && (n->len > KC_SIMPLE_KEY || kc_style_of(n->text, n->len, 1) == KC_LITERAL)) {
		o->bad = 1; /* go-yaml writes "? KEY": not done here */
		return;
	}
	switch (kc_style_of(n->text ? n->text : "", n->len, key)) {
	case KC_PLAIN:
		kc_write_folded(o, s, n->len, indent, !key, 0);
		break;
	case KC_SINGLE:
		kc_write_folded(o, s, n->len, indent, !key, 1);
		break;
	case KC_DOUBLE:
		kc_write_double(o, s, n->len, indent, !key);
		break;
	case KC_LITERAL:
		kc_write_literal(o, s, n->len, indent);
		break;
	}
}

static void kc_emit_map(struct kc_out *o, const struct doc_node *m, size_t indent,
                        int inline_first);
static void kc_emit_seq(struct kc_out *o, const struct doc_node *m, size_t indent,
                        int inline_first);

/* What follows "key:" or "-": indent is the key's (or the dash's) column. */
static void kc_emit_value(struct kc_out *o, const struct doc_node *v, size_t indent, int in_seq)
{
	if (v->type == DOC_MAP && v->n == 0) {
		kc_puts(o, " {}");
	} else if (v->type == DOC_SEQ && v->n == 0) {
		kc_puts(o, " []");
	} else if (v->type == DOC_MAP) {
		if (in_seq) {
			kc_put(o, " ", 1);
			kc_emit_map(o, v, indent + 2, 1);
		} else {
			kc_emit_map(o, v, indent + 2, 0);
		}
	} else if (v->type == DOC_SEQ) {
		if (in_seq) {
			kc_put(o, " ", 1);
			kc_emit_seq(o, v, indent + 2, 1);
		} else {
			kc_emit_seq(o, v, indent, 0); /* not indented under its key */
		}
	} else {
		kc_put(o, " ", 1);
		kc_write_scalar(o, v, indent + 2, 0);
	}
}

static void kc_emit_map(struct kc_out *o, const struct doc_node *m, size_t indent, int inline_first)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct doc_node *k = m->pairs[i].key;

		if (i > 0 || !inline_first)
			kc_line(o, indent);
		if (k->type == DOC_SEQ || k->type == DOC_MAP) {
			o->bad = 1;
			return;
		}
		kc_write_scalar(o, k, indent, 1);
		kc_put(o, ":", 1);
		kc_emit_value(o, m->pairs[i].value, indent, 0);
	}
}

static void kc_emit_seq(struct kc_out *o, const struct doc_node *s, size_t indent, int inline_first)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (i > 0 || !inline_first)
			kc_line(o, indent);
		kc_put(o, "-", 1);
		kc_emit_value(o, s->items[i], indent, 1);
	}
}

/*
 * root (a mapping) as YAML into out: kubectl's layout when it reads back
 * as the same data, else doc_emit_yaml's.
 */
static int kc_emit(const struct doc_node *root, struct buf *out, struct err *err)
{
	struct kc_out o = {out, 0, 0};
	struct doc_list back = {NULL, 0};
	struct err perr;
	int same = 0;

	if (root->type == DOC_MAP && root->n > 0) {
		kc_emit_map(&o, root, 0, 1);
		kc_put(&o, "\n", 1);
		if (!o.bad &&
		    doc_parse_yaml("kubeconfig", buf_cstr(out), out->len, &back, &perr) == 0 &&
		    back.n == 1 && doc_equal(root, back.docs[0]))
			same = 1;
		kc_docs_release(&back);
	}
	if (same)
		return 0;
	if (out->data)
		explicit_bzero(out->data, out->len);
	buf_reset(out);
	return doc_emit_yaml(root, out, err);
}

/* ---- building and editing kubeconfig trees ------------------------------ */

static void kc_set_str(struct doc_node *map, const char *key, const char *value)
{
	doc_map_add(map, doc_new_str(key), doc_new_str(value));
}

static void kc_set_b64(struct doc_node *map, const char *key, const char *pem)
{
	char *b64 = text_base64(pem, strlen(pem), 0);

	kc_set_str(map, key, b64);
	kc_wipe_free(b64, strlen(b64));
}

/* The three entries called name for t, keys in kubectl's (sorted) order. */
static void kc_entries(const char *name, const struct kube_target *t, struct doc_node **cluster,
                       struct doc_node **user, struct doc_node **context)
{
	struct doc_node *c = doc_new(DOC_MAP), *u = doc_new(DOC_MAP), *x = doc_new(DOC_MAP);

	if (t->ca_pem)
		kc_set_b64(c, "certificate-authority-data", t->ca_pem);
	kc_set_str(c, "server", t->server);
	if (t->tls_server_name)
		kc_set_str(c, "tls-server-name", t->tls_server_name);
	*cluster = doc_new(DOC_MAP);
	doc_map_add(*cluster, doc_new_str("cluster"), c);
	kc_set_str(*cluster, "name", name);

	if (t->cert_pem)
		kc_set_b64(u, "client-certificate-data", t->cert_pem);
	if (t->key_pem)
		kc_set_b64(u, "client-key-data", t->key_pem);
	if (t->token)
		kc_set_str(u, "token", t->token);
	*user = doc_new(DOC_MAP);
	kc_set_str(*user, "name", name);
	doc_map_add(*user, doc_new_str("user"), u);

	kc_set_str(x, "cluster", name);
	if (t->namespace && strcmp(t->namespace, "default") != 0)
		kc_set_str(x, "namespace", t->namespace);
	kc_set_str(x, "user", name);
	*context = doc_new(DOC_MAP);
	doc_map_add(*context, doc_new_str("context"), x);
	kc_set_str(*context, "name", name);
}

/* The name of a list item, or NULL. */
static const char *kc_item_name(const struct doc_node *item)
{
	const struct doc_node *v = doc_map_get(item, "name");

	return v && v->type == DOC_STR ? v->text : NULL;
}

/*
 * Set key in map: the value in place when key is there, else a new pair
 * before the first key that sorts after it (kubectl's order in a file
 * kubectl wrote; at the end otherwise).
 */
static void kc_map_put_sorted(struct doc_node *map, const char *key, struct doc_node *value)
{
	struct doc_pair p;
	size_t i, at;

	if (doc_map_get(map, key)) {
		doc_map_set(map, key, value);
		return;
	}
	for (at = 0; at < map->n; at++)
		if (map->pairs[at].key->type == DOC_STR &&
		    strcmp(map->pairs[at].key->text, key) > 0)
			break;
	doc_map_add(map, doc_new_str(key), value);
	p = map->pairs[map->n - 1];
	for (i = map->n - 1; i > at; i--)
		map->pairs[i] = map->pairs[i - 1];
	map->pairs[at] = p;
}

/*
 * Put entry (named name) into root's list key: in place of the entry of
 * that name, else before the first entry whose name sorts after it.
 */
static void kc_list_put(struct doc_node *root, const char *key, const char *name,
                        struct doc_node *entry)
{
	struct doc_node *seq = doc_map_get(root, key), *last;
	size_t i, at;

	if (seq == NULL || seq->type != DOC_SEQ) {
		seq = doc_new(DOC_SEQ);
		kc_map_put_sorted(root, key, seq);
	}
	for (i = 0; i < seq->n; i++) {
		const char *n = kc_item_name(seq->items[i]);

		if (n && strcmp(n, name) == 0) {
			kc_doc_wipe(seq->items[i]);
			doc_free(seq->items[i]);
			seq->items[i] = entry;
			return;
		}
	}
	for (at = 0; at < seq->n; at++) {
		const char *n = kc_item_name(seq->items[at]);

		if (n && strcmp(n, name) > 0)
			break;
	}
	doc_seq_push(seq, entry);
	last = seq->items[seq->n - 1];
	for (i = seq->n - 1; i > at; i--)
		seq->items[i] = seq->items[i - 1];
	seq->items[at] = last;
}

/* Remove root's list entries called name; 1 if any was. An emptied list is null, as kubectl writes it. */
static int kc_list_remove(struct doc_node *root, const char *key, const char *name)
{
	struct doc_node *seq = doc_map_get(root, key);
	size_t i, w;
	int removed = 0;

	if (seq == NULL || seq->type != DOC_SEQ)
		return 0;
	for (i = w = 0; i < seq->n; i++) {
		const char *n = kc_item_name(seq->items[i]);

		if (n && strcmp(n, name) == 0) {
			kc_doc_wipe(seq->items[i]);
			doc_free(seq->items[i]);
			removed = 1;
		} else {
			seq->items[w++] = seq->items[i];
		}
	}
	seq->n = w;
	if (removed && w == 0)
		doc_map_set(root, key, doc_new(DOC_NULL));
	return removed;
}

/* A fresh kubeconfig as kubectl writes an empty one. */
static struct doc_node *kc_skeleton(void)
{
	struct doc_node *root = doc_new(DOC_MAP);

	kc_set_str(root, "apiVersion", "v1");
	doc_map_add(root, doc_new_str("clusters"), doc_new(DOC_NULL));
	doc_map_add(root, doc_new_str("contexts"), doc_new(DOC_NULL));
	kc_set_str(root, "current-context", "");
	kc_set_str(root, "kind", "Config");
	doc_map_add(root, doc_new_str("preferences"), doc_new(DOC_MAP));
	doc_map_add(root, doc_new_str("users"), doc_new(DOC_NULL));
	return root;
}

static void kc_put_entries(struct doc_node *root, const char *name, const struct kube_target *t)
{
	struct doc_node *cluster, *user, *context;

	kc_entries(name, t, &cluster, &user, &context);
	kc_list_put(root, "clusters", name, cluster);
	kc_list_put(root, "contexts", name, context);
	kc_list_put(root, "users", name, user);
	kc_map_put_sorted(root, "current-context", doc_new_str(name));
}

static int kc_write_tree(const char *path, const struct doc_node *root, mode_t mode,
                         struct err *err)
{
	struct buf out = BUF_INIT(KUBECONFIG_MAX_BYTES);
	int rc = -1;

	if (kc_emit(root, &out, err) < 0) {
		err_wrap(err, "cannot write '%s'", path);
		goto out;
	}
	rc = fs_write_atomic(path, buf_cstr(&out), out.len, mode, 0, err);
out:
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	return rc;
}

int kubeconfig_write(const char *path, const char *name, const struct kube_target *t,
                     struct err *err)
{
	struct doc_node *root = kc_skeleton();
	int rc;

	kc_put_entries(root, name, t);
	rc = kc_write_tree(path, root, KC_MODE, err);
	kc_doc_wipe(root);
	doc_free(root);
	return rc;
}

int kubeconfig_user_path(char **out, struct err *err)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME"), *p;

	*out = NULL;
	for (p = env; p && *p;) {
		size_t n = strcspn(p, ":");

		if (n > 0) {
			*out = xstrndup(p, n);
			return 0;
		}
		p += 1;
	}
	if (home == NULL || *home == '\0')
		return err_setk(err, ERRK_NOTFOUND,
		                "cannot find the user's kubeconfig: neither KUBECONFIG nor HOME is "
		                "set; set KUBECONFIG to the file kubectl uses");
	*out = path_join(home, ".kube/config");
	return 0;
}

/* ---- the user's kubeconfig: lock, read, write --------------------------- */

/* Take dest's lock (kubectl's protocol: DEST.lock created O_EXCL). */
static int kc_lock(const char *dest, char **lock_out, struct err *err)
{
	char *lock = xasprintf("%s.lock", dest);
	double start = mono_now();
	struct stat sb;
	int fd;

	*lock_out = NULL;
	for (;;) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			close(fd);
			*lock_out = lock;
			return 0;
		}
		if (errno != EEXIST) {
			err_sys(err, errno, "cannot lock '%s': cannot create '%s'", dest, lock);
			break;
		}
		if (lstat(lock, &sb) == 0 && time(NULL) - sb.st_mtime > KC_LOCK_STALE_S) {
			/* Left by a kubectl or ftboot that died: remove it, try again. */
			if (unlink(lock) == 0 || errno == ENOENT)
				continue;
			err_sys(err, errno, "cannot lock '%s': cannot remove the stale lock '%s'",
			        dest, lock);
			break;
		}
		if ((mono_now() - start) * 1000 >= kc_lock_wait_ms) {
			err_setk(
			    err, ERRK_TIMEOUT,
			    "cannot lock '%s': '%s' is held (kubectl or another ftboot is "
			    "writing the file); waited %d.%d s; if none is running, the lock is "
			    "stale: remove '%s'",
			    dest, lock, kc_lock_wait_ms / 1000, kc_lock_wait_ms % 1000 / 100, lock);
			break;
		}
		mono_nap(KC_LOCK_NAP_MS);
	}
	free(lock);
	return -1;
}

static void kc_unlock(char *lock)
{
	if (lock)
		unlink(lock);
	free(lock);
}

/* The user's kubeconfig as read: its tree (NULL when missing or empty). */
struct kc_dest {
	char *path; /* where to write: dest, or the file its symbolic link names */
	struct doc_list docs;
	struct doc_node *root;
	int exists;
	mode_t mode;
	uid_t uid; /* its owner, kept when root rewrites another's file */
	gid_t gid;
};

static void kc_dest_release(struct kc_dest *d)
{
	kc_docs_release(&d->docs);
	free(d->path);
	d->path = NULL;
	d->root = NULL;
}

static int kc_dest_read(const char *dest, struct kc_dest *d, struct err *err)
{
	static const char *const lists[] = {"clusters", "contexts", "users"};
	struct buf b = BUF_INIT(KUBECONFIG_MAX_BYTES);
	struct kc kc = {{dest, err}, NULL};
	struct stat sb;
	char got[64];
	size_t i;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->mode = KC_MODE;
	if (stat(dest, &sb) < 0) {
		if (errno != ENOENT)
			return err_sys(err, errno, "cannot read '%s'", dest);
		d->path = xstrdup(dest);
		return 0;
	}
	d->exists = 1;
	d->mode = sb.st_mode & KC_MODE; /* kept when stricter; never looser than 0600 */
	d->uid = sb.st_uid;
	d->gid = sb.st_gid;
	d->path = realpath(dest, NULL);
	if (d->path == NULL)
		return err_sys(err, errno, "cannot resolve '%s'", dest);
	if (fs_read(d->path, KUBECONFIG_MAX_BYTES, &b, err) < 0)
		goto out;
	if (kc_parse_doc(&kc, buf_cstr(&b), b.len, &d->docs, &d->root) < 0)
		goto out;
	for (i = 0; d->root && i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct doc_node *v = doc_map_get(d->root, lists[i]);

		if (v && v->type != DOC_SEQ && v->type != DOC_NULL) {
			schema_describe(v, got, sizeof(got));
			kc_fail(&kc, v, ERRK_INVALID, lists[i],
			        "expected a list, got %s; fix the file before ftboot changes it",
			        got);
			goto out;
		}
	}
	rc = 0;
out:
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

/*
 * Write the tree back to the file read. Root (sudo) rewriting a user's
 * file gives it back to its owner, or the user's kubectl could not read it.
 */
static int kc_dest_write(const struct kc_dest *d, struct err *err)
{
	if (kc_write_tree(d->path, d->root, d->mode, err) < 0)
		return -1;
	if (d->exists && geteuid() == 0 && (d->uid != 0 || d->gid != 0) &&
	    chown(d->path, d->uid, d->gid) < 0)
		return err_sys(err, errno, "cannot give '%s' back to its owner (uid %ld)", d->path,
		               (long)d->uid);
	return 0;
}

static int kc_current_is(const struct doc_node *root, const char *name)
{
	const struct doc_node *v = doc_map_get(root, "current-context");

	return v && v->type == DOC_STR && strcmp(v->text, name) == 0;
}

int kubeconfig_merge(const char *dest, const char *src, const char *name, char **previous,
                     struct err *err)
{
	struct kube_target t;
	struct kc_dest d;
	char *dir = NULL, *lock = NULL;
	const struct doc_node *cur;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	if (previous)
		*previous = NULL;
	if (kubeconfig_load(src, NULL, &t, err) < 0)
		goto out;
	dir = path_dir(dest);
	if (fs_mkdirs(dir, KC_DIR_MODE, err) < 0 || kc_lock(dest, &lock, err) < 0)
		goto out;
	if (kc_dest_read(dest, &d, err) < 0)
		goto out;
	cur = d.root ? doc_map_get(d.root, "current-context") : NULL;
	if (previous && cur && cur->type == DOC_STR && strcmp(cur->text, name) != 0)
		*previous = xstrdup(cur->text);
	if (d.root == NULL) {
		kc_docs_release(&d.docs);
		d.docs.docs = xmalloc(sizeof(*d.docs.docs));
		d.docs.docs[0] = d.root = kc_skeleton();
		d.docs.n = 1;
	}
	kc_put_entries(d.root, name, &t);
	rc = kc_dest_write(&d, err);
	if (rc < 0 && previous) {
		free(*previous);
		*previous = NULL;
	}
out:
	kc_dest_release(&d);
	kc_unlock(lock);
	kube_target_release(&t);
	free(dir);
	return rc;
}

int kubeconfig_unmerge(const char *dest, const char *name, const char *previous, struct err *err)
{
	struct kc_dest d;
	char *lock = NULL;
	int rc = -1, changed = 0;

	memset(&d, 0, sizeof(d));
	if (!fs_exists(dest))
		return 0;
	if (kc_lock(dest, &lock, err) < 0)
		goto out;
	if (kc_dest_read(dest, &d, err) < 0)
		goto out;
	if (!d.exists || d.root == NULL) {
		rc = 0;
		goto out;
	}
	changed |= kc_list_remove(d.root, "clusters", name);
	changed |= kc_list_remove(d.root, "contexts", name);
	changed |= kc_list_remove(d.root, "users", name);
	if (kc_current_is(d.root, name)) {
		struct doc_node *ctxs = doc_map_get(d.root, "contexts");
		size_t i;
		int found = 0;

		for (i = 0; previous && *previous && ctxs && ctxs->type == DOC_SEQ && i < ctxs->n;
		     i++) {
			const char *n = kc_item_name(ctxs->items[i]);

			found |= n && strcmp(n, previous) == 0;
		}
		if (found || (previous && *previous == '\0')) {
			doc_map_set(d.root, "current-context", doc_new_str(previous));
		} else {
			struct doc_pair *p = doc_map_pair(d.root, "current-context");
			size_t at = (size_t)(p - d.root->pairs);

			doc_free(p->key);
			doc_free(p->value);
			memmove(p, p + 1, (d.root->n - at - 1) * sizeof(*p));
			d.root->n--;
		}
		changed = 1;
	}
	rc = changed ? kc_dest_write(&d, err) : 0;
out:
	kc_dest_release(&d);
	kc_unlock(lock);
	return rc;
}
