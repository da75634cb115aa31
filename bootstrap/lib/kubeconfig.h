/*
 * kubeconfig: reading a kubeconfig (kubectl's file) into the one cluster
 * ftboot talks to, and merging the stack's context into the user's
 * kubeconfig the way minikube and kind do.
 *
 * Reading follows kubectl's rules for the parts ftboot uses:
 *   clusters[].cluster: server (https:// only), certificate-authority
 *     (a file, relative to the kubeconfig's directory) or
 *     certificate-authority-data (base64 PEM), tls-server-name;
 *     insecure-skip-tls-verify: true is refused, with a message that says
 *     to give the cluster's CA instead.
 *   users[].user: client-certificate / client-key (files, relative as
 *     above) or client-certificate-data / client-key-data (base64 PEM);
 *     token, or tokenFile; exec, auth-provider, username/password are
 *     refused as not supported, naming the user.
 *   contexts[].context: cluster, user, namespace.
 * Every error names the file, line and column ("~/.kube/config:12:7:
 * users[0].user.client-key-data: not base64"), or the context and what
 * is missing. Without a CA, the system's trust store verifies the server
 * (still verified, as kubectl does).
 *
 * Notes (added with the implementation): a byte-order mark and CR LF
 * line ends are read as kubectl reads them (positions stay right); a NUL
 * byte or a second YAML document is an error at its place. Both a file
 * and a -data form of the same item is an error ("keep one"); token wins
 * over tokenFile (client-go); proxy-url and impersonation (as, as-groups
 * ...) are refused as not supported; unknown keys are ignored, as
 * kubectl does. A token must be one word of visible ASCII (it becomes an
 * HTTP header). Messages never show a key, a token or a password.
 */
#ifndef FTBOOT_KUBECONFIG_H
#define FTBOOT_KUBECONFIG_H

#include <stddef.h>

#include "err.h"

/* Largest kubeconfig read. */
#define KUBECONFIG_MAX_BYTES (4u << 20)

/* The one cluster and credentials a context names: what kube_open needs. */
struct kube_target {
	char *source;          /* the kubeconfig it came from, as shown in messages */
	char *context;         /* the context's name */
	char *server;          /* "https://HOST:PORT[/PATH]", no trailing '/' */
	char *tls_server_name; /* NULL: the server's host */
	char *ca_pem;          /* the cluster's CA, PEM; NULL: the system's trust store */
	char *cert_pem;        /* client certificate, PEM, or NULL */
	char *key_pem;         /* its key, PEM (wiped on release), or NULL */
	char *token;           /* bearer token (wiped on release), or NULL */
	char *namespace;       /* the context's namespace, or "default" */
};

/*
 * Read the kubeconfig at path and resolve context (NULL: its
 * current-context) into *t. A FIFO, a directory or a file over
 * KUBECONFIG_MAX_BYTES is refused naming it. Release with
 * kube_target_release, also on failure.
 */
int kubeconfig_load(const char *path, const char *context, struct kube_target *t, struct err *err);

/* The same from text (path names it in messages and anchors relative files). */
int kubeconfig_parse(const char *path, const char *text, size_t len, const char *context,
                     struct kube_target *t, struct err *err);

void kube_target_release(struct kube_target *t);

/*
 * Write a kubeconfig for one cluster to path (0600, atomically): cluster,
 * user and context all called name, current-context name, CA and client
 * certificate as -data fields (so the file stands alone). For the state's
 * own kubeconfig.
 */
int kubeconfig_write(const char *path, const char *name, const struct kube_target *t,
                     struct err *err);

/*
 * The user's kubeconfig, as kubectl picks the file it writes: the first
 * entry of $KUBECONFIG (':'-separated, empty entries skipped), else
 * $HOME/.kube/config. Caller owns *out.
 */
int kubeconfig_user_path(char **out, struct err *err);

/*
 * Merge name (a cluster, a user and a context all called name, copied
 * from the kubeconfig at src: its current-context's cluster, user and
 * namespace, as -data fields) into the kubeconfig at dest, and make it
 * dest's current-context. dest and its directory are created (0600, 0700)
 * when missing. Every other cluster, user, context, preference and
 * extension of dest is kept as it was (same data, same order); entries
 * called name are replaced. Under dest's lock file (kubectl's:
 * "DEST.lock", created O_EXCL; a lock older than 60 s is stale) and
 * written atomically (a temporary file beside it, renamed), so a
 * concurrent kubectl never sees half a file. *previous (may be NULL) gets
 * dest's current-context before the merge, for kubeconfig_unmerge to
 * restore: NULL when dest had none or it was name already (a second
 * merge: keep what the first gave), "" when it was "" (kubectl writes
 * `current-context: ""`; pass "" back to get that line back). The lock
 * is waited for at most kubeconfig_set_lock_wait's bound, then the
 * error names the lock file and says a stale one may be removed.
 * dest's mode is kept when stricter than 0600, else made 0600, and its
 * owner is kept when root writes it; a symbolic link is followed (the
 * file it names is replaced).
 */
int kubeconfig_merge(const char *dest, const char *src, const char *name, char **previous,
                     struct err *err);

/*
 * Remove the cluster, user and context called name from dest, under the
 * same lock, atomically. If dest's current-context is name it becomes
 * previous when that context still exists, else it is removed. A missing
 * dest or missing entries are fine (0); nothing else is touched. previous
 * "" sets current-context to "" (see kubeconfig_merge). A list this
 * empties becomes null, as kubectl writes an empty list. With entries
 * and current-context as a kubectl-written file had them, merge and
 * unmerge give back its bytes (see kubeconfig.c on the layout).
 */

/*
 * How long kubeconfig_merge and kubeconfig_unmerge wait for a held lock,
 * in ms (default 10000; 0: fail at once). A lock file older than 60 s is
 * stale and removed without waiting. For tests, which must not wait 10 s.
 */
void kubeconfig_set_lock_wait(int ms);
int kubeconfig_unmerge(const char *dest, const char *name, const char *previous, struct err *err);

/*
 * Decode base64 (RFC 4648, padding optional, whitespace and newlines
 * skipped) into a new buffer (NUL-terminated, *len without it). -1 if
 * text is not base64.
 */
int kubeconfig_base64_decode(const char *text, size_t n, char **out, size_t *len);

#endif
