/*
 * Unit tests: the apply step's order (apply_rank, apply_sort) and its
 * remote manifests (apply_remote: downloaded from tests/servers/httpd.sh,
 * pinned by sha256, checked, labelled, Lists expanded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "crypto.h"
#include "fs.h"
#include "net.h"
#include "scratch.h"
#include "tap.h"
#include "teardown.h"
#include "xmem.h"

static const char *top;
static char *dir;  /* scratch */
static char *base; /* http://127.0.0.1:PORT */

static void test_rank(void)
{
	static const struct {
		const char *kind;
		int rank;
	} cases[] = {
	    {"Namespace", 0},
	    {"CustomResourceDefinition", 1},
	    {"ServiceAccount", 2},
	    {"ClusterRoleBinding", 2},
	    {"Role", 2},
	    {"ConfigMap", 3},
	    {"Secret", 3},
	    {"PersistentVolumeClaim", 4},
	    {"StorageClass", 4},
	    {"Service", 5},
	    {"Deployment", 6},
	    {"StatefulSet", 6},
	    {"DaemonSet", 6},
	    {"Ingress", 7},
	    {"Widget", 7},
	    {"namespace", 7}, /* kinds are case-sensitive */
	    {"", 7},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(apply_rank(cases[i].kind), cases[i].rank, "rank of '%s'", cases[i].kind);
	is_int(apply_rank(NULL), 7, "no kind ranks last");
}

static void test_kinds(void)
{
	const struct teardown_kind *k;
	struct err err;

	teardown_reset();
	ok(apply_kinds(&err) == 0 && apply_kinds(&err) == 0, "the kube kind registers, twice too");
	k = teardown_find("kube");
	ok(k && k->backend && strcmp(k->backend->name, "kube") == 0 && k->remove,
	   "  with the kube backend (the stack's cluster) and a remover");
	teardown_reset();
}

static struct doc_node *manifest(const char *kind, const char *name)
{
	struct doc_node *d = doc_new(DOC_MAP), *m = doc_new(DOC_MAP);

	doc_map_set(d, "apiVersion", doc_new_str("v1"));
	if (kind)
		doc_map_set(d, "kind", doc_new_str(kind));
	doc_map_set(m, "name", doc_new_str(name));
	doc_map_set(d, "metadata", m);
	return d;
}

static void test_sort(void)
{
	static const char *const in[][2] = {
	    {"Widget", "w1"},   {"Deployment", "d1"},
	    {"Service", "s1"},  {"ConfigMap", "c1"},
	    {"Namespace", "n"}, {"Deployment", "d2"},
	    {"Secret", "x1"},   {"CustomResourceDefinition", "crd"},
	    {NULL, "nokind"},   {"ConfigMap", "c2"},
	    {"Widget", "w2"},   {"ServiceAccount", "sa"},
	};
	static const char *const want[] = {"n",  "crd", "sa", "c1", "x1",     "c2",
	                                   "s1", "d1",  "d2", "w1", "nokind", "w2"};
	struct render_out out = {0};
	size_t i;
	int same = 1;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		out.v = xreallocarray(out.v, out.n + 1, sizeof(*out.v));
		out.v[out.n].source = xasprintf("t%zu.yaml", i);
		out.v[out.n].name = xasprintf("templates/t%zu.yaml", i);
		out.v[out.n].doc = manifest(in[i][0], in[i][1]);
		out.n++;
	}
	apply_sort(&out);
	is_int((int)out.n, 12, "sorting keeps every document");
	for (i = 0; i < out.n && i < 12; i++) {
		const char *name = doc_map_get(doc_map_get(out.v[i].doc, "metadata"), "name")->text;

		if (strcmp(name, want[i]) != 0) {
			diag("position %zu: %s, want %s", i, name, want[i]);
			same = 0;
		}
	}
	ok(same, "sorted by rank, the rendered order kept within a rank");
	ok(strcmp(out.v[0].source, "t4.yaml") == 0 && strcmp(out.v[11].source, "t10.yaml") == 0,
	   "each document keeps its source");
	render_out_release(&out);

	apply_sort(&out);
	is_int((int)out.n, 0, "an empty set sorts");
}

static int httpd_start(void)
{
	char *root = xasprintf("%s/www", dir), *run = xasprintf("%s/run", dir);
	int port;

	scratch_put(dir, "www/index.html", "");
	port = net_httpd_start(top, root, run);
	free(root);
	free(run);
	if (port == 0)
		return -1;
	base = xasprintf("http://127.0.0.1:%d", port);
	return 0;
}

/* At any exit, an early one (a failed fixture) too: nginx stopped, the scratch removed. */
static void cleanup(void)
{
	char *run = xasprintf("%s/run", dir);

	if (base)
		net_httpd_stop(top, run);
	free(run);
	free(base);
	scratch_close(dir);
}

/* Serve text as www/NAME; its sha256 into hex, its URL returned. */
static char *serve(const char *name, const char *text, char hex[CRYPTO_HEX_MAX])
{
	char *path = xasprintf("www/%s", name);

	scratch_put(dir, path, text);
	crypto_hash_buf(CRYPTO_SHA256, text, strlen(text), hex);
	free(path);
	return xasprintf("%s/%s", base, name);
}

struct fixture {
	struct stack *st;
	struct stack_manifest m[2];
	struct run run;
};

/* A stack "s1" whose manifests are the urls given (sha256 pins), at line 7 and 8. */
static void fixture(struct fixture *f, const char *url0, const char *sha0, const char *url1,
                    const char *sha1)
{
	static const char text[] = "name: s1\nservices: {a: {ports: {h: 80}}}\n";
	struct err err;

	memset(f, 0, sizeof(*f));
	if (stack_parse("srcs/stack.yaml", text, strlen(text), &f->st, &err) < 0) {
		diag("stack: %s", err.msg);
		abort();
	}
	f->m[0] = (struct stack_manifest){
	    .url = xstrdup(url0), .sha256 = xstrdup(sha0), .mark = {.line = 7, .col = 5}};
	if (url1)
		f->m[1] = (struct stack_manifest){
		    .url = xstrdup(url1), .sha256 = xstrdup(sha1), .mark = {.line = 8, .col = 5}};
	f->st->manifests = f->m;
	f->st->nmanifests = url1 ? 2 : 1;
	f->run.stack = f->st;
}

static void fixture_release(struct fixture *f)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		free(f->m[i].url);
		free(f->m[i].sha256);
	}
	f->st->manifests = NULL;
	f->st->nmanifests = 0;
	stack_free(f->st);
}

static const char *label(const struct doc_node *doc, const char *key)
{
	const struct doc_node *l =
	    doc_map_get(doc_map_get(doc_map_get(doc, "metadata"), "labels"), key);

	return l && l->type == DOC_STR ? l->text : "";
}

static void test_remote(void)
{
	char sha_a[CRYPTO_HEX_MAX], sha_b[CRYPTO_HEX_MAX], bad[CRYPTO_HEX_MAX];
	char *ua = serve("dash.yaml",
	                 "# a third-party manifest\n"
	                 "---\n"
	                 "apiVersion: v1\nkind: Namespace\nmetadata: {name: dash}\n"
	                 "---\n"
	                 "---\n"
	                 "apiVersion: v1\nkind: List\nitems:\n"
	                 "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: admin, "
	                 "namespace: dash, labels: {keep: me}}}\n"
	                 "- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: "
	                 "dash}}\n",
	                 sha_a);
	char *ub = serve("crd.yml",
	                 "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
	                 "metadata: {name: widgets.example.com}\n",
	                 sha_b);
	char *cached = xasprintf("%s/cache/manifests/%s.yaml", dir, sha_a);
	char *cache = xasprintf("%s/cache", dir);
	struct render_out out = {0};
	struct fixture f;
	struct err err;
	int rc;

	setenv("FTBOOT_CACHE_DIR", cache, 1);
	fixture(&f, ua, sha_a, ub, sha_b);
	out.v = xreallocarray(NULL, 1, sizeof(*out.v));
	out.v[0] = (struct render_doc){xstrdup("templates/cm.yaml"), xstrdup("templates/cm.yaml"),
	                               manifest("ConfigMap", "cm")};
	out.n = 1;
	err_clear(&err);
	rc = apply_remote(&f.run, &out, &err);
	ok(rc == 0, "remote manifests are added: %s", rc ? err.msg : "ok");
	is_int((int)out.n, 5, "  1 rendered + 3 (a null document skipped, a List expanded) + 1");
	if (out.n == 5) {
		ok(strcmp(doc_map_get(out.v[1].doc, "kind")->text, "Namespace") == 0 &&
		       strcmp(doc_map_get(out.v[2].doc, "kind")->text, "ServiceAccount") == 0 &&
		       strcmp(doc_map_get(out.v[3].doc, "kind")->text, "Service") == 0 &&
		       strcmp(doc_map_get(out.v[4].doc, "kind")->text,
		              "CustomResourceDefinition") == 0,
		   "  in the stack's order, the List's items in theirs");
		ok(strcmp(out.v[2].source, ua) == 0 && strcmp(out.v[4].source, ub) == 0,
		   "  their source is the URL");
		ok(strcmp(label(out.v[2].doc, RENDER_LABEL_STACK), "s1") == 0 &&
		       strcmp(label(out.v[2].doc, RENDER_LABEL_MANAGED), "ftboot") == 0 &&
		       strcmp(label(out.v[4].doc, RENDER_LABEL_STACK), "s1") == 0,
		   "  labelled as the stack's");
		is_str(label(out.v[2].doc, "keep"), "me", "  their own labels kept");
	}
	ok(fs_exists(cached), "  cached as <cache>/manifests/SHA256.yaml");
	render_out_release(&out);

	/* From the cache: the server's copy is gone, the cached one serves. */
	{
		char *www = xasprintf("%s/www/dash.yaml", dir);

		unlink(www);
		free(www);
	}
	f.st->nmanifests = 1;
	err_clear(&err);
	rc = apply_remote(&f.run, &out, &err);
	ok(rc == 0 && out.n == 3, "a cached manifest needs no server: %s", rc ? err.msg : "ok");
	render_out_release(&out);
	fixture_release(&f);

	/* A wrong pin: refused, nothing added, nothing kept. */
	memset(bad, 'c', 64);
	bad[64] = '\0';
	fixture(&f, ub, bad, NULL, NULL);
	err_clear(&err);
	rc = apply_remote(&f.run, &out, &err);
	ok(rc == -1 && strstr(err.msg, "srcs/stack.yaml:7:5: manifest") && strstr(err.msg, ub) &&
	       strstr(err.msg, "sha256 mismatch") && strstr(err.msg, sha_b),
	   "a wrong sha256 is refused, naming the stack's line, the URL and both digests: %s",
	   err.msg);
	is_int((int)out.n, 0, "  nothing added");
	{
		char *p = xasprintf("%s/cache/manifests/%s.yaml", dir, bad);

		ok(!fs_exists(p), "  and the download is deleted");
		free(p);
	}
	render_out_release(&out);
	fixture_release(&f);
	free(cache);
	free(cached);
	free(ua);
	free(ub);
}

/* apply_remote's error for one manifest (with a rendered ConfigMap "cm" if cm), or "". */
static const char *remote_error(const char *url, const char *sha, int cm)
{
	static struct err err;
	struct render_out out = {0};
	struct fixture f;
	int rc;

	fixture(&f, url, sha, NULL, NULL);
	if (cm) {
		out.v = xreallocarray(NULL, 1, sizeof(*out.v));
		out.v[0] =
		    (struct render_doc){xstrdup("templates/cm.yaml"), xstrdup("templates/cm.yaml"),
		                        manifest("ConfigMap", "cm")};
		out.n = 1;
	}
	err_clear(&err);
	rc = apply_remote(&f.run, &out, &err);
	render_out_release(&out);
	fixture_release(&f);
	return rc == 0 ? "" : err.msg;
}

static void test_remote_bad(void)
{
	char sha[CRYPTO_HEX_MAX], sha2[CRYPTO_HEX_MAX], sha3[CRYPTO_HEX_MAX];
	char *u1 = serve("nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n", sha);
	char *u2 =
	    serve("dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n", sha2);
	char *u3 = serve("broken.yaml", "a: [1, 2\n", sha3);
	const char *msg;

	msg = remote_error(u1, sha, 0);
	ok(strstr(msg, u1) && strstr(msg, ":1:1: manifest has no 'kind'"),
	   "a document that is no manifest names the URL, line and column: %s", msg);
	msg = remote_error(u3, sha3, 0);
	ok(strstr(msg, u3) && strstr(msg, ":2:"),
	   "YAML that does not parse names the URL and where: %s", msg);
	msg = remote_error(u2, sha2, 1);
	ok(strstr(msg, "'cm' is defined twice") && strstr(msg, "templates/cm.yaml"),
	   "a remote object that a template also defines is refused: %s", msg);
	msg = remote_error(u2, sha2, 0);
	is_str(msg, "", "  alone it is fine");
	free(u1);
	u1 = serve("list.yaml",
	           "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, metadata: "
	           "{name: a}}\n- h\xc3\xa9llo\n",
	           sha);
	msg = remote_error(u1, sha, 0);
	ok(strstr(msg, u1) && strstr(msg, ":5:3: a manifest must be a mapping"),
	   "a List item that is no mapping names the URL, line and column: %s", msg);
	free(u1);
	free(u2);
	free(u3);
}

int main(void)
{
	top = getenv("FTBOOT_TOP");
	if (top == NULL)
		top = ".";
	dir = scratch_open("apply");
	atexit(cleanup);
	test_rank();
	test_sort();
	test_kinds();
	if (httpd_start() < 0) {
		skip("nginx cannot start here (tests/servers/httpd.sh): no remote manifest tests");
	} else {
		test_remote();
		test_remote_bad();
	}
	return tap_done();
}
