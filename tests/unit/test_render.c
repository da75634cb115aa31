/* Unit tests: rendering a stack's templates into labelled manifests. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "image.h"
#include "render.h"
#include "tap.h"
#include "xmem.h"

static char *dir;

static void put(const char *name, const char *text)
{
	char *path = path_join(dir, name), *parent = path_dir(path);
	struct err err;

	fs_mkdirs(parent, 0700, &err);
	fs_write_atomic(path, text, strlen(text), 0644, 0, &err);
	free(parent);
	free(path);
}

/* Render the stack in dir; the error message, or "" and *out filled. */
static const char *render_dir(struct render_out *out, struct state *state)
{
	static struct err err;
	struct stack *st = NULL;
	char *path = path_join(dir, "srcs/stack.yaml");
	int rc;

	err_clear(&err);
	rc = stack_load(path, &st, &err);
	if (rc == 0)
		rc = render_stack(st, state, out, &err);
	stack_free(st);
	free(path);
	return rc == 0 ? "" : err.msg;
}

static void test_labels_and_order(void)
{
	struct render_out out = {0};
	const struct doc_node *labels;

	put("srcs/stack.yaml", "name: s1\nsecrets: [pw]\nservices: {a: {ports: {h: 80}}}\n");
	put("srcs/a/Dockerfile", "FROM scratch\n");
	put("templates/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
	                        "data: {pw: \"${secret.pw}\"}\n");
	put("templates/a.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
	                       "  labels: {keep: me, app.kubernetes.io/managed-by: other}\n");
	put("templates/notes.txt", "not a template\n");
	is_str(render_dir(&out, NULL), "", "renders");
	if (out.n != 2)
		return;
	ok(strstr(out.v[0].source, "a.yml") && strstr(out.v[1].source, "b.yaml"),
	   "templates in name order, .yml too, other files ignored");
	labels = doc_map_get(doc_map_get(out.v[0].doc, "metadata"), "labels");
	ok(labels && strcmp(doc_map_get(labels, "keep")->text, "me") == 0, "own labels kept");
	ok(labels && strcmp(doc_map_get(labels, RENDER_LABEL_MANAGED)->text, "ftboot") == 0,
	   "managed-by set to ftboot");
	ok(labels && strcmp(doc_map_get(labels, RENDER_LABEL_STACK)->text, "s1") == 0,
	   "stack label");
	ok(strcmp(doc_map_get(doc_map_get(out.v[1].doc, "data"), "pw")->text, "<secret:pw>") == 0,
	   "without state a secret shows as <secret:NAME>");
	render_out_release(&out);
}

static void test_secrets_from_state(void)
{
	struct render_out out = {0};
	struct state state = {0};
	struct err err;
	char *statedir = path_join(dir, "state");
	const char *v;

	setenv("FTBOOT_STATE_DIR", statedir, 1);
	ok(state_open(&state, "s1", 1, &err) == 0, "state opens");
	is_str(render_dir(&out, &state), "", "renders with state");
	if (out.n == 2) {
		v = doc_map_get(doc_map_get(out.v[1].doc, "data"), "pw")->text;
		ok(strlen(v) == 24 &&
		       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                 "0123456789") == 24,
		   "the real secret is substituted");
	}
	render_out_release(&out);
	state_close(&state);
	free(statedir);
}

static void test_errors(void)
{
	struct render_out out = {0};

	put("templates/b.yaml", "apiVersion: v1\nmetadata:\n  name: b\n");
	ok(strstr(render_dir(&out, NULL),
	          "/templates/b.yaml:1:1: manifest has no 'kind'; every manifest needs apiVersion, "
	          "kind and metadata.name") != NULL,
	   "missing kind, at the document");
	put("templates/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
	ok(strstr(render_dir(&out, NULL), "ConfigMap 'a' is defined twice: also at") != NULL,
	   "the same object twice");
	put("templates/b.yaml", "- a\n- b\n");
	ok(strstr(render_dir(&out, NULL), "a manifest must be a mapping") != NULL, "a list");
	put("templates/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ''\n");
	ok(strstr(render_dir(&out, NULL), "needs metadata.name, a non-empty string") != NULL,
	   "empty name");
	put("templates/b.yaml", "apiVersion: v1\nkind: 3\nmetadata:\n  name: x\n");
	ok(strstr(render_dir(&out, NULL), "'kind' must be a non-empty string") != NULL,
	   "kind not a string");
	ok(out.n == 0, "nothing left in out after a failure");
}

/* ${image.SVC} is the plan's tag; a service without a context cannot render. */
static void test_images(void)
{
	struct render_out out = {0};
	struct image_plan plan = {0};
	struct stack *st = NULL;
	struct err err;
	char *path = path_join(dir, "srcs/stack.yaml"), *a = path_join(dir, "srcs/a/Dockerfile");

	put("templates/b.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n"
	                        "spec:\n  containers:\n  - name: a\n    image: ${image.a}\n");
	is_str(render_dir(&out, NULL), "", "renders ${image.a}");
	if (stack_load(path, &st, &err) == 0 && image_plan(st, &plan, &err) == 0 && out.n == 2) {
		const struct doc_node *c =
		    doc_map_get(doc_map_get(out.v[1].doc, "spec"), "containers")->items[0];

		is_str(doc_map_get(c, "image")->text, image_find(&plan, "a")->tag,
		       "${image.a} is the tag of a's image in the plan");
		ok(strncmp(image_find(&plan, "a")->tag, "ftboot/a:", 9) == 0, "ftboot/a:HASH12");
	} else {
		ok(0, "plan: %s", err.msg);
	}
	image_plan_release(&plan);
	stack_free(st);
	render_out_release(&out);
	unlink(a);
	ok(strstr(render_dir(&out, NULL), "service 'a': no Dockerfile in '") != NULL,
	   "a missing Dockerfile stops the render");
	ok(out.n == 0, "and renders nothing");
	put("srcs/a/Dockerfile", "FROM scratch\n");
	free(a);
	free(path);
}

/* ${dashboard.*}: the stack's dashboard: section, or its defaults. */
static void test_dashboard_vars(void)
{
	static const char tmpl[] = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n"
	                           "  name: ${dashboard.account}\n"
	                           "  namespace: ${dashboard.namespace}\n"
	                           "  annotations: {svc: \"${dashboard.service}\"}\n";
	struct render_out out = {0};
	const struct doc_node *meta;

	put("srcs/stack.yaml", "name: s1\nservices: {a: {ports: {h: 80}}}\n");
	put("templates/b.yaml", tmpl);
	is_str(render_dir(&out, NULL), "", "renders ${dashboard.*} without a dashboard: section");
	meta = out.n == 2 ? doc_map_get(out.v[1].doc, "metadata") : NULL;
	ok(meta && strcmp(doc_map_get(meta, "name")->text, "ftboot-admin") == 0 &&
	       strcmp(doc_map_get(meta, "namespace")->text, "kubernetes-dashboard") == 0 &&
	       strcmp(doc_map_get(doc_map_get(meta, "annotations"), "svc")->text,
	              "kubernetes-dashboard") == 0,
	   "the defaults: ftboot-admin, kubernetes-dashboard, kubernetes-dashboard");
	render_out_release(&out);
	put("srcs/stack.yaml", "name: s1\nservices: {a: {ports: {h: 80}}}\n"
	                       "dashboard: {namespace: dash, service: lb, account: me}\n");
	is_str(render_dir(&out, NULL), "", "renders with a dashboard: section");
	meta = out.n == 2 ? doc_map_get(out.v[1].doc, "metadata") : NULL;
	ok(meta && strcmp(doc_map_get(meta, "name")->text, "me") == 0 &&
	       strcmp(doc_map_get(meta, "namespace")->text, "dash") == 0 &&
	       strcmp(doc_map_get(doc_map_get(meta, "annotations"), "svc")->text, "lb") == 0,
	   "the section's namespace, service and account");
	render_out_release(&out);
}

int main(void)
{
	char tmpl[] = "/tmp/ftboot-render.XXXXXX";
	struct err err;

	dir = mkdtemp(tmpl);
	if (dir == NULL)
		skip_all("cannot make a temporary directory");
	test_labels_and_order();
	test_secrets_from_state();
	test_errors();
	test_images();
	test_dashboard_vars();
	fs_remove_tree(dir, &err);
	return tap_done();
}
