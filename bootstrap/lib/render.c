/*
 * render: from stack + templates to labelled, checked manifests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "image.h"
#include "ipv4.h"
#include "render.h"
#include "svckeys.h"
#include "text.h"
#include "xmem.h"

#define TEMPLATE_MAX_BYTES (4u << 20)
#define TEMPLATES_MAX      4096

__attribute__((format(printf, 3, 4))) static void
set_var(struct tmpl_vars *vars, struct doc_node *value, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tmpl_vars_set(vars, name, value);
}

/* The Service and container port lists of one service. */
static void port_lists(const struct stack_service *svc, struct doc_node **service,
                       struct doc_node **container)
{
	size_t i;
	int k;

	*service = doc_new(DOC_SEQ);
	*container = doc_new(DOC_SEQ);
	for (i = 0; i < svc->nports; i++) {
		const struct stack_port *p = &svc->ports[i];

		for (k = 0; k < p->count; k++) {
			struct doc_node *sp = doc_new(DOC_MAP), *cp = doc_new(DOC_MAP);
			char *name = p->count > 1 ? xasprintf("%s-%d", p->name, p->port + k)
			                          : xstrdup(p->name);

			doc_map_set(sp, "name", doc_new_str(name));
			doc_map_set(sp, "port", doc_new_int(p->port + k));
			doc_map_set(sp, "targetPort", doc_new_int(p->port + k));
			doc_map_set(sp, "protocol", doc_new_str("TCP"));
			doc_map_set(cp, "name", doc_new_str(name));
			doc_map_set(cp, "containerPort", doc_new_int(p->port + k));
			doc_map_set(cp, "protocol", doc_new_str("TCP"));
			doc_seq_push(*service, sp);
			doc_seq_push(*container, cp);
			free(name);
		}
	}
}

static void service_vars(const struct image_plan *plan, const struct stack_service *svc,
                         struct tmpl_vars *vars)
{
	struct doc_node *sp, *cp;
	size_t i;

	set_var(vars, doc_new_str(stack_svc_type_name(svc->type)), "type.%s", svc->name);
	set_var(vars, doc_new_str(image_find(plan, svc->name)->tag), "image.%s", svc->name);
	if (svc->nports == 0)
		return;
	set_var(vars, doc_new_int(svc->ports[0].port), "port.%s", svc->name);
	for (i = 0; i < svc->nports; i++) {
		const struct stack_port *p = &svc->ports[i];

		set_var(vars, doc_new_int(p->port), "port.%s.%s", svc->name, p->name);
		if (p->count > 1) {
			set_var(vars, doc_new_int(p->port), "port.%s.%s.first", svc->name, p->name);
			set_var(vars, doc_new_int(p->port + p->count - 1), "port.%s.%s.last",
			        svc->name, p->name);
		}
	}
	port_lists(svc, &sp, &cp);
	set_var(vars, sp, "ports.%s", svc->name);
	set_var(vars, cp, "container_ports.%s", svc->name);
}

/* A service key's variable: its text, or the placeholder "<secret:NAME>". */
static void key_var(struct tmpl_vars *vars, const char *name, const char *text)
{
	char *ph = NULL;

	if (text == NULL)
		ph = xasprintf("<secret:%s>", name);
	tmpl_vars_set(vars, name, doc_new_str(text ? text : ph));
	free(ph);
}

/*
 * The service keys (svckeys.h): ${tls.cert}, ${tls.key}, ${ssh_host_key},
 * ${ssh_host_key_pub}. With state they are made (or renewed) for the LB
 * address, unless peek, which only reads what is there; without state,
 * or a key peek does not find, the placeholders.
 */
static int key_vars(const struct stack *stack, struct state *state, int peek,
                    struct tmpl_vars *vars, struct err *err)
{
	struct svckeys_text t = {0};
	struct svckeys k = {0};
	char ip[IPV4_STRLEN];
	int rc = -1;

	if (state && peek) {
		svckeys_paths(&k, state);
		if (svckeys_read(&k, &t, err) < 0)
			goto out;
	} else if (state) {
		if (svckeys_ensure(&k, state, ipv4_format(stack->vm.lb_address, ip), 0, err) < 0 ||
		    svckeys_read(&k, &t, err) < 0)
			goto out;
	}
	key_var(vars, "tls.cert", t.tls_cert);
	key_var(vars, "tls.key", t.tls_key);
	key_var(vars, "ssh_host_key", t.ssh_host_key);
	key_var(vars, "ssh_host_key_pub", t.ssh_host_pub);
	rc = 0;
out:
	svckeys_text_release(&t);
	svckeys_release(&k);
	return rc;
}

/* render_vars with the stack's images already planned. */
static int vars_of(const struct stack *stack, const struct image_plan *plan, struct state *state,
                   int peek, struct tmpl_vars *vars, struct err *err)
{
	char ip[IPV4_STRLEN];
	size_t i;

	vars->help = "'ftboot help render' lists the variables";
	tmpl_vars_set(vars, "stack", doc_new_str(stack->name));
	tmpl_vars_set(vars, "vm_ip", doc_new_str(ipv4_format(stack->vm.address, ip)));
	tmpl_vars_set(vars, "lb_ip", doc_new_str(ipv4_format(stack->vm.lb_address, ip)));
	/* The dashboard: section (its defaults filled in by stack_load). */
	tmpl_vars_set(vars, "dashboard.namespace", doc_new_str(stack->dashboard.namespace));
	tmpl_vars_set(vars, "dashboard.service", doc_new_str(stack->dashboard.service));
	tmpl_vars_set(vars, "dashboard.account", doc_new_str(stack->dashboard.account));
	for (i = 0; i < stack->nservices; i++)
		service_vars(plan, &stack->services[i], vars);
	for (i = 0; i < stack->nvalues; i++)
		set_var(vars, doc_clone(stack->values[i].value), "values.%s",
		        stack->values[i].name);
	for (i = 0; i < stack->nsecrets; i++) {
		const char *name = stack->secrets[i];
		char *value = NULL;

		if (peek && state && state_secret_peek(state, name, &value, err) < 0)
			return err_wrap(err, "secret '%s'", name);
		if (state == NULL || (peek && value == NULL)) {
			value = xasprintf("<secret:%s>", name);
		} else if (!peek && state_secret(state, name, &value, err) < 0) {
			return err_wrap(err, "secret '%s'", name);
		}
		set_var(vars, doc_new_str(value), "secret.%s", name);
		free(value);
	}
	return key_vars(stack, state, peek, vars, err);
}

int render_vars(const struct stack *stack, struct state *state, struct tmpl_vars *vars,
                struct err *err)
{
	struct image_plan plan = {0};
	int rc;

	if (image_plan(stack, &plan, err) < 0)
		return -1;
	rc = vars_of(stack, &plan, state, 0, vars, err);
	image_plan_release(&plan);
	return rc;
}

int render_vars_peek(const struct stack *stack, const struct state *state, struct tmpl_vars *vars,
                     struct err *err)
{
	struct image_plan plan = {0};
	int rc;

	if (image_plan(stack, &plan, err) < 0)
		return -1;
	rc = vars_of(stack, &plan, (struct state *)state, 1, vars, err);
	image_plan_release(&plan);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The template files of dir (*.yaml, *.yml), sorted by name. */
static int list_templates(const char *dir, char ***out, size_t *n, struct err *err)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t count = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return err_set(err, ERR_FAIL,
			               "templates directory '%s' does not exist; create it or set "
			               "'templates:' in the stack file",
			               dir);
		return err_sys(err, errno, "cannot read templates directory '%s'", dir);
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (!(len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0) &&
		    !(len > 4 && strcmp(de->d_name + len - 4, ".yml") == 0))
			continue;
		if (count == TEMPLATES_MAX) {
			closedir(d);
			while (count)
				free(v[--count]);
			free(v);
			return err_set(err, ERR_FAIL, "more than %d templates in '%s'",
			               TEMPLATES_MAX, dir);
		}
		v = xreallocarray(v, count + 1, sizeof(*v));
		v[count++] = path_join(dir, de->d_name);
	}
	closedir(d);
	if (count == 0) {
		free(v);
		return err_set(err, ERR_FAIL,
		               "no templates in '%s' (files ending in .yaml or .yml)", dir);
	}
	qsort(v, count, sizeof(*v), cmp_str);
	*out = v;
	*n = count;
	return 0;
}

static const char *str_at(const struct doc_node *map, const char *key)
{
	const struct doc_node *n = doc_map_get(map, key);

	return n && n->type == DOC_STR && n->len > 0 ? n->text : NULL;
}

/* map's key as shown in a message (see text_quote). */
static const char *shown_at(const struct doc_node *map, const char *key, char out[64])
{
	const struct doc_node *n = doc_map_get(map, key);

	return n ? text_quote(n->text, n->len, out, 64) : "";
}

__attribute__((format(printf, 4, 5))) static int
fail_doc(struct err *err, const char *source, const struct doc_node *node, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, ERR_FAIL, "%s:%u:%u: %s", source, node->mark.line ? node->mark.line : 1,
	               node->mark.line ? node->mark.col : 1, msg);
}

int render_check_manifest(const struct stack *stack, const char *source, struct doc_node *doc,
                          struct err *err)
{
	static const char *const need[] = {"apiVersion", "kind"};
	struct doc_node *meta, *labels;
	char kind[64];
	size_t i;

	if (doc->type != DOC_MAP)
		return fail_doc(err, source, doc,
		                "a manifest must be a mapping with apiVersion, kind and "
		                "metadata.name, not %s",
		                doc_type_name(doc->type));
	for (i = 0; i < 2; i++) {
		const struct doc_node *n = doc_map_get(doc, need[i]);

		if (n == NULL)
			return fail_doc(err, source, doc,
			                "manifest has no '%s'; every manifest needs apiVersion, "
			                "kind and metadata.name",
			                need[i]);
		if (str_at(doc, need[i]) == NULL)
			return fail_doc(err, source, n, "'%s' must be a non-empty string, not %s",
			                need[i], doc_type_name(n->type));
	}
	meta = doc_map_get(doc, "metadata");
	if (meta == NULL || meta->type != DOC_MAP)
		return fail_doc(err, source, meta ? meta : doc,
		                "%s manifest has no metadata mapping; give it metadata.name",
		                shown_at(doc, "kind", kind));
	if (str_at(meta, "name") == NULL)
		return fail_doc(err, source,
		                doc_map_get(meta, "name") ? doc_map_get(meta, "name") : meta,
		                "%s manifest needs metadata.name, a non-empty string",
		                shown_at(doc, "kind", kind));
	labels = doc_map_get(meta, "labels");
	if (labels == NULL || labels->type == DOC_NULL) {
		doc_map_set(meta, "labels", doc_new(DOC_MAP));
		labels = doc_map_get(meta, "labels");
	} else if (labels->type != DOC_MAP) {
		return fail_doc(err, source, labels, "metadata.labels must be a mapping, not %s",
		                doc_type_name(labels->type));
	}
	doc_map_set(labels, RENDER_LABEL_MANAGED, doc_new_str("ftboot"));
	doc_map_set(labels, RENDER_LABEL_STACK, doc_new_str(stack->name));
	return 0;
}

/* Two manifests for one object would overwrite each other when applied. */
int render_check_unique(const struct render_out *out, struct err *err)
{
	size_t i, j;

	for (i = 1; i < out->n; i++) {
		const struct doc_node *a = out->v[i].doc, *ma = doc_map_get(a, "metadata");
		const char *ka = str_at(a, "kind"), *na = str_at(ma, "name");
		const char *nsa = str_at(ma, "namespace");
		char kind[64], name[64];

		for (j = 0; j < i; j++) {
			const struct doc_node *b = out->v[j].doc, *mb = doc_map_get(b, "metadata");
			const char *nsb = str_at(mb, "namespace");

			if (strcmp(ka, str_at(b, "kind")) != 0 ||
			    strcmp(na, str_at(mb, "name")) != 0 ||
			    strcmp(nsa ? nsa : "", nsb ? nsb : "") != 0)
				continue;
			return fail_doc(err, out->v[i].source, a,
			                "%s '%s' is defined twice: also at %s:%u:%u",
			                shown_at(a, "kind", kind), shown_at(ma, "name", name),
			                out->v[j].source, b->mark.line, b->mark.col);
		}
	}
	return 0;
}

/* Render the templates files[0..nfiles) with vars into out (released on failure). */
static int render_files(const struct stack *stack, const struct tmpl_vars *vars, char *const *files,
                        size_t nfiles, struct render_out *out, struct err *err)
{
	struct buf text = BUF_INIT(TEMPLATE_MAX_BYTES);
	size_t i, j;
	int rc = -1;

	for (i = 0; i < nfiles; i++) {
		struct doc_list docs = {0};

		buf_reset(&text);
		if (fs_read(files[i], TEMPLATE_MAX_BYTES, &text, err) < 0 ||
		    tmpl_render(files[i], buf_cstr(&text), text.len, vars, &docs, err) < 0)
			goto out;
		for (j = 0; j < docs.n; j++) {
			if (docs.docs[j]->type == DOC_NULL) {
				doc_free(docs.docs[j]);
				continue;
			}
			out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
			out->v[out->n].source = xstrdup(files[i]);
			out->v[out->n].name =
			    xasprintf("%s/%s", path_base(stack->templates), path_base(files[i]));
			out->v[out->n].doc = docs.docs[j];
			out->n++;
			if (render_check_manifest(stack, files[i], docs.docs[j], err) < 0) {
				for (j++; j < docs.n; j++)
					doc_free(docs.docs[j]);
				free(docs.docs);
				goto out;
			}
		}
		free(docs.docs);
	}
	rc = render_check_unique(out, err);
out:
	if (rc < 0)
		render_out_release(out);
	buf_release(&text);
	return rc;
}

/*
 * With state, the templates are rendered twice: first with the secrets'
 * placeholders, so that a template that cannot render fails before any
 * secret is generated, then with the real values.
 */
int render_stack(const struct stack *stack, struct state *state, struct render_out *out,
                 struct err *err)
{
	struct tmpl_vars vars = {0};
	struct image_plan plan = {0};
	char **files = NULL;
	size_t nfiles = 0, i;
	int rc = -1;

	if (image_plan(stack, &plan, err) < 0 || vars_of(stack, &plan, NULL, 0, &vars, err) < 0 ||
	    list_templates(stack->templates, &files, &nfiles, err) < 0 ||
	    render_files(stack, &vars, files, nfiles, out, err) < 0)
		goto out;
	if (state) {
		render_out_release(out);
		tmpl_vars_release(&vars);
		memset(&vars, 0, sizeof(vars));
		if (vars_of(stack, &plan, state, 0, &vars, err) < 0 ||
		    render_files(stack, &vars, files, nfiles, out, err) < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	tmpl_vars_release(&vars);
	image_plan_release(&plan);
	return rc;
}

int render_write(const struct render_out *out, struct buf *b, struct err *err)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		if (buf_addf(b, "---\n# Source: %s\n", out->v[i].name) < 0)
			return err_set(err, ERR_FAIL, "rendered manifests exceed %zu bytes",
			               b->limit);
		if (doc_emit_yaml(out->v[i].doc, b, err) < 0)
			return err_wrap(err, "%s", out->v[i].source);
	}
	return 0;
}

void render_out_release(struct render_out *out)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		free(out->v[i].source);
		free(out->v[i].name);
		doc_free(out->v[i].doc);
	}
	free(out->v);
	out->v = NULL;
	out->n = 0;
}
