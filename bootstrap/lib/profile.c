/*
 * profile: reading images/<name>/image.yaml into struct profile, with
 * positioned errors (schema.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "profile.h"
#include "schema.h"
#include "xmem.h"

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[len] == '\0';
}

/* An http(s) URL of printable bytes: no space or control character. */
static int want_url(struct schema *sc, const struct doc_node *n, const char *what)
{
	char got[64];
	size_t i;

	if (schema_str(sc, n, what) < 0)
		return -1;
	for (i = 0; i < n->len && (unsigned char)n->text[i] > 0x20 && n->text[i] != 0x7F; i++)
		;
	if (i < n->len ||
	    (strncmp(n->text, "https://", 8) != 0 && strncmp(n->text, "http://", 7) != 0)) {
		schema_describe(n, got, sizeof(got));
		return schema_fail(sc, n, what,
		                   "expected an http:// or https:// URL (no spaces or control "
		                   "characters), got %s",
		                   got);
	}
	return 0;
}

static int load_artifact(struct schema *sc, const struct doc_node *n, const char *what,
                         int is_image, struct profile_artifact *a)
{
	static const char *const image_keys[] = {"url", "sha512", "sha512_url", "format", NULL};
	static const char *const file_keys[] = {"url", "sha512", "sha512_url", NULL};
	const struct doc_node *v;
	char key[64];

	if (schema_map(sc, n, what) < 0 ||
	    schema_keys(sc, n, what, is_image ? image_keys : file_keys) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s.url", what);
	v = doc_map_get(n, "url");
	if (v == NULL)
		return schema_fail(sc, n, what, "'url' is missing: where to download it from");
	if (want_url(sc, v, key) < 0)
		return -1;
	a->url = xstrdup(v->text);
	snprintf(key, sizeof(key), "%s.sha512", what);
	if ((v = doc_map_get(n, "sha512"))) {
		if (v->type != DOC_STR || !is_hex(v->text, 128))
			return schema_fail(
			    sc, v, key,
			    "expected 128 lowercase hex digits (sha512sum prints them)");
		a->sha512 = xstrdup(v->text);
	}
	snprintf(key, sizeof(key), "%s.sha512_url", what);
	if ((v = doc_map_get(n, "sha512_url"))) {
		if (want_url(sc, v, key) < 0)
			return -1;
		if (strncmp(v->text, "http://", 7) == 0)
			return schema_fail(sc, v, key,
			                   "a digest fetched over plain http:// pins nothing; use "
			                   "https://, or a literal sha512");
		a->sha512_url = xstrdup(v->text);
	}
	if (!a->sha512 == !a->sha512_url)
		return schema_fail(sc, n, what,
		                   "give exactly one of sha512 (preferred) or sha512_url, so the "
		                   "download is verified");
	a->format = xstrdup("raw");
	if ((v = doc_map_get(n, "format"))) {
		snprintf(key, sizeof(key), "%s.format", what);
		if (v->type != DOC_STR || (strcmp(v->text, "qcow2") && strcmp(v->text, "raw")))
			return schema_fail(sc, v, key, "expected qcow2 or raw");
		free(a->format);
		a->format = xstrdup(v->text);
	}
	return 0;
}

/*
 * Open the section n (a mapping of keys only) and its required string
 * key: *v gets it, or the error says it is missing and what it is for.
 */
static int section_with(struct schema *sc, const struct doc_node *n, const char *section,
                        const char *const *keys, const char *key, const char *missing,
                        const struct doc_node **v)
{
	char what[64];

	if (schema_map(sc, n, section) < 0 || schema_keys(sc, n, section, keys) < 0)
		return -1;
	*v = doc_map_get(n, key);
	if (*v == NULL)
		return schema_fail(sc, n, section, "'%s' is missing: %s", key, missing);
	snprintf(what, sizeof(what), "%s.%s", section, key);
	return schema_str(sc, *v, what);
}

/*
 * engine: {setup: FILE, timeout: SECONDS}. FILE is a plain file name in
 * the profile's directory (no '/', not hidden), so that a profile names
 * only its own script.
 */
static int load_engine(struct schema *sc, struct profile *p, const struct doc_node *n)
{
	static const char *const keys[] = {"setup", "timeout", NULL};
	const struct doc_node *v;
	char got[64];

	if (section_with(sc, n, "engine", keys, "setup",
	                 "the script in the profile's directory that sets up the VM's engine, "
	                 "e.g. engine.sh",
	                 &v) < 0)
		return -1;
	if (strspn(v->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	        v->len ||
	    v->text[0] == '.' || v->text[0] == '-') {
		schema_describe(v, got, sizeof(got));
		return schema_fail(
		    sc, v, "engine.setup",
		    "expected a file name in the profile's directory ([A-Za-z0-9._-], "
		    "not starting with '.' or '-'), got %s",
		    got);
	}
	p->engine_setup = path_join(p->dir, v->text);
	if ((v = doc_map_get(n, "timeout")) &&
	    schema_int(sc, v, "engine.timeout", 5, 3600, &p->engine_timeout) < 0)
		return -1;
	return 0;
}

/*
 * cluster: {kubeconfig: PATH, port: PORT, timeout: SECONDS, status: CMD}.
 * PATH is absolute in the VM and plain ([A-Za-z0-9._/+-], no "..") since
 * it goes into a command run over SSH.
 */
static int load_cluster(struct schema *sc, struct profile *p, const struct doc_node *n)
{
	static const char *const keys[] = {"kubeconfig", "port", "timeout", "status", NULL};
	const struct doc_node *v;
	char got[64];

	if (section_with(sc, n, "cluster", keys, "kubeconfig",
	                 "where the VM's cluster writes its kubeconfig, e.g. "
	                 "/etc/rancher/k3s/k3s.yaml for k3s",
	                 &v) < 0)
		return -1;
	if (v->text[0] != '/' ||
	    strspn(v->text,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-") !=
	        v->len ||
	    strstr(v->text, "/../") || strstr(v->text, "/./") || v->text[v->len - 1] == '/') {
		schema_describe(v, got, sizeof(got));
		return schema_fail(sc, v, "cluster.kubeconfig",
		                   "expected an absolute file path in the VM ([A-Za-z0-9._/+-], "
		                   "no '.' or '..' components), got %s",
		                   got);
	}
	p->cluster_kubeconfig = xstrdup(v->text);
	if ((v = doc_map_get(n, "port")) &&
	    schema_int(sc, v, "cluster.port", 1, 65535, &p->cluster_port) < 0)
		return -1;
	if ((v = doc_map_get(n, "timeout")) &&
	    schema_int(sc, v, "cluster.timeout", 10, 3600, &p->cluster_timeout) < 0)
		return -1;
	if ((v = doc_map_get(n, "status"))) {
		if (schema_str(sc, v, "cluster.status") < 0)
			return -1;
		p->cluster_status = xstrdup(v->text);
	}
	return 0;
}

static int load_root(struct schema *sc, struct profile *p, const struct doc_node *root)
{
	static const char *const keys[] = {"description", "image",   "kernel",   "initrd",
	                                   "cmdline",     "user",    "ssh_port", "boot_timeout",
	                                   "engine",      "cluster", NULL};
	const struct doc_node *n;
	char got[64];

	if (root->type != DOC_MAP)
		return schema_map(sc, root, "the profile");
	if (schema_keys(sc, root, "the profile", keys) < 0)
		return -1;
	if ((n = doc_map_get(root, "description"))) {
		if (schema_str(sc, n, "description") < 0)
			return -1;
		p->description = xstrdup(n->text);
	}
	n = doc_map_get(root, "image");
	if (n == NULL)
		return schema_fail(
		    sc, root, NULL,
		    "'image' is missing: the base image to boot, {url, sha512, format}");
	if (load_artifact(sc, n, "image", 1, &p->image) < 0)
		return -1;
	if ((n = doc_map_get(root, "kernel")) && load_artifact(sc, n, "kernel", 0, &p->kernel) < 0)
		return -1;
	if ((n = doc_map_get(root, "initrd")) && load_artifact(sc, n, "initrd", 0, &p->initrd) < 0)
		return -1;
	if (p->initrd.url && !p->kernel.url)
		return schema_fail(sc, doc_map_get(root, "initrd"), "initrd",
		                   "an initrd needs a kernel (direct kernel boot)");
	if ((n = doc_map_get(root, "cmdline"))) {
		if (!p->kernel.url)
			return schema_fail(
			    sc, n, "cmdline",
			    "a kernel command line needs a kernel (direct kernel boot)");
		if (schema_str(sc, n, "cmdline") < 0)
			return -1;
		p->cmdline = xstrdup(n->text);
	} else if (p->kernel.url) {
		return schema_fail(sc, doc_map_get(root, "kernel"), "kernel",
		                   "direct kernel boot needs 'cmdline', e.g. root=/dev/vda rw "
		                   "console=ttyS0");
	}
	n = doc_map_get(root, "user");
	if (n == NULL)
		return schema_fail(sc, root, NULL,
		                   "'user' is missing: the user cloud-init gives ftboot's SSH key");
	if (schema_str(sc, n, "user") < 0)
		return -1;
	if (strspn(n->text, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n->len ||
	    n->text[0] == '-') {
		schema_describe(n, got, sizeof(got));
		return schema_fail(sc, n, "user", "expected a user name ([a-z0-9_-]), got %s", got);
	}
	p->user = xstrdup(n->text);
	p->ssh_port = 22;
	if ((n = doc_map_get(root, "ssh_port")) &&
	    schema_int(sc, n, "ssh_port", 1, 65535, &p->ssh_port) < 0)
		return -1;
	p->boot_timeout = 300;
	if ((n = doc_map_get(root, "boot_timeout")) &&
	    schema_int(sc, n, "boot_timeout", 10, 3600, &p->boot_timeout) < 0)
		return -1;
	p->engine_timeout = 120;
	if ((n = doc_map_get(root, "engine")) && load_engine(sc, p, n) < 0)
		return -1;
	p->cluster_port = 6443;
	p->cluster_timeout = 300;
	if ((n = doc_map_get(root, "cluster")) && load_cluster(sc, p, n) < 0)
		return -1;
	return 0;
}

int profile_parse(const char *name, const char *dir, const char *path, const char *text, size_t len,
                  struct profile **out, struct err *err)
{
	struct schema sc = {path, err};
	struct doc_list docs = {0};
	struct profile *p = xcalloc(1, sizeof(*p));
	int rc = -1;

	p->name = xstrdup(name);
	p->dir = xstrdup(dir);
	p->path = xstrdup(path);
	p->user_data = path_join(dir, "user-data");
	if (doc_parse_yaml(path, text, len, &docs, err) < 0)
		goto out;
	if (docs.n != 1) {
		schema_fail(&sc, docs.n ? docs.docs[1] : NULL, NULL,
		            "a profile is one YAML document");
		goto out;
	}
	if (load_root(&sc, p, docs.docs[0]) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	doc_list_release(&docs);
	profile_free(p);
	return rc;
}

int profile_load(const struct stack *stack, struct profile **out, struct err *err)
{
	struct buf text = BUF_INIT(PROFILE_MAX_BYTES);
	char *rel = xasprintf("../images/%s", stack->vm.profile);
	char *dir = path_join(stack->dir, rel);
	char *path = path_join(dir, "image.yaml");
	int rc = -1;

	if (!fs_exists(path)) {
		err_set(err, ERR_FAIL,
		        "VM profile '%s' not found: no '%s' (vm.profile in %s names a directory "
		        "under images/)",
		        stack->vm.profile, path, stack->path);
		goto out;
	}
	if (fs_read(path, PROFILE_MAX_BYTES, &text, err) < 0)
		goto out;
	if (profile_parse(stack->vm.profile, dir, path, buf_cstr(&text), text.len, out, err) < 0)
		goto out;
	if (!fs_exists((*out)->user_data)) {
		err_set(err, ERR_FAIL, "VM profile '%s' has no cloud-init template '%s'",
		        stack->vm.profile, (*out)->user_data);
		profile_free(*out);
		*out = NULL;
		goto out;
	}
	if ((*out)->engine_setup && !fs_exists((*out)->engine_setup)) {
		err_set(err, ERR_FAIL,
		        "VM profile '%s' has no engine setup script '%s' (engine.setup in %s)",
		        stack->vm.profile, (*out)->engine_setup, path);
		profile_free(*out);
		*out = NULL;
		goto out;
	}
	(*out)->network_config = path_join(dir, "network-config");
	if (!fs_exists((*out)->network_config)) {
		free((*out)->network_config);
		(*out)->network_config = NULL;
	}
	rc = 0;
out:
	buf_release(&text);
	free(rel);
	free(dir);
	free(path);
	return rc;
}

void profile_free(struct profile *p)
{
	struct profile_artifact *a[3];
	size_t i;

	if (p == NULL)
		return;
	a[0] = &p->image;
	a[1] = &p->kernel;
	a[2] = &p->initrd;
	for (i = 0; i < 3; i++) {
		free(a[i]->url);
		free(a[i]->sha512);
		free(a[i]->sha512_url);
		free(a[i]->format);
	}
	free(p->name);
	free(p->dir);
	free(p->path);
	free(p->description);
	free(p->cmdline);
	free(p->user);
	free(p->user_data);
	free(p->network_config);
	free(p->engine_setup);
	free(p->cluster_kubeconfig);
	free(p->cluster_status);
	free(p);
}
