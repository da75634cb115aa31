/*
 * cluster: which Kubernetes cluster the stack goes to (the VM's k3s, or
 * the stack's cluster.kubeconfig), the client for it, and the provision
 * step's cluster part: the VM cluster's kubeconfig fetched over the
 * pinned SSH, pointed at the VM's address, kept in the state, waited for
 * over verified TLS, and merged into the user's kubeconfig (journaled as
 * "kubecontext", removed by `down`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "engine.h"
#include "fs.h"
#include "mono.h"
#include "profile.h"
#include "ssh.h"
#include "teardown.h"
#include "vm.h"
#include "xmem.h"

#define KIND_CONTEXT "kubecontext"
#define SSH_MS       30000 /* connecting to the VM, and each command */
#define TRY_MS       5000  /* one /readyz while waiting */
#define STATUS_MS    2000  /* the /readyz of `status` */
#define ERR_OUT_MAX  (64u << 10)

int cluster_external(const struct stack *stack)
{
	return stack->cluster.kubeconfig != NULL;
}

char *cluster_context_name(const struct stack *stack)
{
	return xasprintf("ftboot-%s", stack->name);
}

char *cluster_state_kubeconfig(const struct state *state)
{
	return path_join(state->dir, "kubeconfig");
}

int cluster_resolve(const struct run *run, struct cluster *c, struct err *err)
{
	const struct stack *st = run->stack;

	memset(c, 0, sizeof(*c));
	if (cluster_external(st)) {
		c->kubeconfig = xstrdup(st->cluster.kubeconfig);
		if (kubeconfig_load(c->kubeconfig, st->cluster.context, &c->target, err) < 0)
			return err_wrap(err, "the cluster of stack '%s' (cluster.kubeconfig in %s)",
			                st->name, st->path);
		c->context = xstrdup(c->target.context);
		return 0;
	}
	c->in_vm = 1;
	c->kubeconfig = cluster_state_kubeconfig(run->state);
	c->context = cluster_context_name(st);
	if (!fs_exists(c->kubeconfig))
		return err_setk(err, ERRK_NOTFOUND,
		                "the cluster of stack '%s' is not set up yet (ftboot up --until "
		                "provision)",
		                st->name);
	return kubeconfig_load(c->kubeconfig, c->context, &c->target, err);
}

void cluster_release(struct cluster *c)
{
	kube_target_release(&c->target);
	free(c->kubeconfig);
	free(c->context);
	memset(c, 0, sizeof(*c));
}

int cluster_connect(const struct run *run, struct cluster *c, struct kube **k, struct err *err)
{
	*k = NULL;
	if (cluster_resolve(run, c, err) < 0)
		return -1;
	return kube_open(&c->target, k, err);
}

/* ---- provision: the VM's cluster ---------------------------------------- */

/* What the VM says of its cluster (the profile's cluster.status, as root), appended to err. */
static void vm_says(struct ssh *s, const struct vm *vm, struct err *err)
{
	const struct profile *p = vm->profile;
	struct buf out = BUF_INIT(256u << 10);
	struct err e2;
	char intro[512];
	int status = 0;

	if (p->cluster_status == NULL) {
		err_suffix(err,
		           "\n(%s names no cluster.status command that would show what vm '%s' "
		           "reports)",
		           p->path, vm->dom);
		return;
	}
	{
		const char *argv[] = {"sh", "-c", p->cluster_status};

		snprintf(intro, sizeof(intro), "what vm '%s' reports (%s):\n", vm->dom,
		         p->cluster_status);
		if (vm_exec_root(s, argv, 3, &out, &out, &status, &e2) < 0)
			err_suffix(err, "\n%s(could not ask: %s)", intro, e2.msg);
		else
			vm_output_tail(err, intro, &out);
	}
	buf_release(&out);
}

/* Wipe and release a buffer that held a kubeconfig (a client key). */
static void wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_release(b);
}

/*
 * Read the profile's kubeconfig in the VM as root into out (emptied
 * first): 0 with *absent 1 while it does not exist yet.
 */
static int fetch(struct ssh *s, const struct vm *vm, struct buf *out, int *absent, struct err *err)
{
	const char *argv[] = {"sh", "-c", "test -f \"$1\" || exit 3; exec cat -- \"$1\"", "sh",
	                      vm->profile->cluster_kubeconfig};
	struct buf errout = BUF_INIT(ERR_OUT_MAX);
	int status = 0, rc = -1;

	*absent = 0;
	buf_reset(out);
	if (vm_exec_root(s, argv, 5, out, &errout, &status, err) < 0) {
		err_wrap(err, "read %s in vm '%s'", vm->profile->cluster_kubeconfig, vm->dom);
		goto out;
	}
	if (status == 3) {
		*absent = 1;
	} else if (status != 0) {
		err_set(err, ERR_FAIL,
		        "cannot read %s as root in vm '%s' (sudo -n, or doas -n): exit %d",
		        vm->profile->cluster_kubeconfig, vm->dom, status);
		vm_output_tail(err, "", &errout);
		goto out;
	}
	rc = 0;
out:
	buf_release(&errout);
	return rc;
}

/*
 * Wait until deadline for the kubeconfig the VM's cluster writes, and
 * parse it into *t. A file that does not parse is read again a second
 * later (it may have been caught mid-write); the same error twice is the
 * file's. On the deadline the error says what was last wrong.
 */
static int wait_kubeconfig(const struct run *run, const struct vm *vm, struct ssh *s,
                           double deadline, struct kube_target *t, struct err *err)
{
	const struct profile *p = vm->profile;
	struct buf text = BUF_INIT(KUBECONFIG_MAX_BYTES);
	char *label = xasprintf("%s in vm '%s'", p->cluster_kubeconfig, vm->dom);
	char last[ERR_MSG_MAX] = "";
	int absent, rc = -1;

	report_step(run->report, "kubeconfig %s in vm '%s' (up to %d s)", p->cluster_kubeconfig,
	            vm->dom, p->cluster_timeout);
	for (;;) {
		if (fetch(s, vm, &text, &absent, err) < 0)
			goto out;
		if (absent) {
			snprintf(last, sizeof(last), "no file %s yet", p->cluster_kubeconfig);
		} else {
			if (kubeconfig_parse(label, buf_cstr(&text), text.len, NULL, t, err) == 0)
				break;
			kube_target_release(t);
			memset(t, 0, sizeof(*t));
			/* The same fault twice: not a file caught mid-write. */
			if (strcmp(last, err->msg) == 0)
				goto out;
			snprintf(last, sizeof(last), "%s", err->msg);
		}
		if (mono_now() >= deadline) {
			err_setk(
			    err, ERRK_TIMEOUT,
			    "the cluster of vm '%s' wrote no usable kubeconfig at %s within %d s "
			    "(cluster.timeout in %s); last: %s",
			    vm->dom, p->cluster_kubeconfig, p->cluster_timeout, p->path, last);
			vm_says(s, vm, err);
			goto out;
		}
		mono_nap(1000);
	}
	report_done(run->report, "fetched");
	rc = 0;
out:
	wipe(&text);
	free(label);
	return rc;
}

/*
 * 1 if err is the cluster refusing ftboot (its certificate not signed by
 * the CA, credentials refused, a bad CA or key): waiting changes nothing.
 */
static int refused(const struct err *err)
{
	return err->kind == ERRK_DENIED || err->kind == ERRK_INVALID ||
	       err->kind == ERRK_UNSUPPORTED;
}

/* End the step's line: "ready, Kubernetes VERSION" (the version if /version says it). */
static void ready_done(const struct run *run, struct kube *k)
{
	struct err ignored;
	char *version = NULL, how[256];

	if (kube_version(k, &version, &ignored) < 0)
		version = NULL;
	snprintf(how, sizeof(how), "ready%s%s", version ? ", Kubernetes " : "",
	         version ? version : "");
	report_done(run->report, how);
	free(version);
}

/*
 * Wait until deadline for GET /readyz to answer "ok" over TLS verified
 * against the cluster's CA. A refused certificate or credentials end the
 * wait at once: waiting would not change them.
 */
static int wait_ready(const struct run *run, const struct vm *vm, struct ssh *s, struct kube *k,
                      double deadline, struct err *err)
{
	const struct profile *p = vm->profile;

	report_step(run->report, "Kubernetes API at %s (/readyz over verified TLS)",
	            kube_server(k));
	kube_set_timeout(k, TRY_MS, TRY_MS);
	for (;;) {
		if (kube_readyz(k, err) == 0)
			break;
		if (refused(err))
			return err_wrap(err, "the cluster of vm '%s' at %s", vm->dom,
			                kube_server(k));
		if (mono_now() >= deadline) {
			char last[ERR_MSG_MAX];

			snprintf(last, sizeof(last), "%s", err->msg);
			err_setk(
			    err, ERRK_TIMEOUT,
			    "the cluster of vm '%s' was not ready at %s (GET /readyz over "
			    "verified TLS) within %d s (cluster.timeout in %s); last answer: %s",
			    vm->dom, kube_server(k), p->cluster_timeout, p->path, last);
			vm_says(s, vm, err);
			return -1;
		}
		mono_nap(1000);
	}
	ready_done(run, k);
	return 0;
}

/*
 * Merge the context name (from the state's kubeconfig at src) into the
 * user's kubeconfig, journaled first: the entry's path is the file, its
 * previous the current-context before ftboot's (kept across re-runs,
 * which find their own context current). Where a stack says merge:
 * false, a context merged before is taken out again.
 */
static int merge_context(const struct run *run, const char *src, const char *name, struct err *err)
{
	const struct journal_entry *e = journal_find(run->journal, KIND_CONTEXT, name);
	char *user = NULL, *prev = NULL, *old_prev = NULL, *old_path = NULL;
	const char *keep;
	int rc = -1;

	if (e) {
		old_prev = journal_get(e, "previous");
		old_path = journal_get(e, "path");
	}
	if (!run->stack->cluster.merge) {
		if (e && old_path) {
			report_step(run->report, "context '%s' in %s (cluster.merge: false)", name,
			            old_path);
			if (kubeconfig_unmerge(old_path, name, old_prev, err) < 0 ||
			    journal_remove(run->journal, KIND_CONTEXT, name, err) < 0)
				goto out;
			report_done(run->report, "removed");
		}
		rc = 0;
		goto out;
	}
	if (kubeconfig_user_path(&user, err) < 0)
		goto out;
	if (old_path && strcmp(old_path, user) != 0) {
		/* KUBECONFIG or HOME changed since the last up: the context moves. */
		report_step(run->report, "context '%s' in %s (now merged into %s)", name, old_path,
		            user);
		if (kubeconfig_unmerge(old_path, name, old_prev, err) < 0)
			goto out;
		report_done(run->report, "removed");
		free(old_prev);
		old_prev = NULL;
	}
	{
		const char *kv[] = {"path", user, old_prev ? "previous" : NULL, old_prev, NULL};

		if (journal_record(run->journal, KIND_CONTEXT, name, kv, err) < 0)
			goto out;
	}
	report_step(run->report, "context '%s' in %s", name, user);
	if (kubeconfig_merge(user, src, name, &prev, err) < 0)
		goto out;
	keep = prev && strcmp(prev, name) != 0 ? prev : old_prev;
	if (keep && (old_prev == NULL || strcmp(keep, old_prev) != 0)) {
		const char *kv[] = {"path", user, "previous", keep, NULL};

		if (journal_record(run->journal, KIND_CONTEXT, name, kv, err) < 0)
			goto out;
	}
	report_done(run->report, "merged, the current context");
	rc = 0;
out:
	free(user);
	free(prev);
	free(old_prev);
	free(old_path);
	return rc;
}

static int vm_cluster(struct run *run, struct err *err)
{
	struct kube_target t = {0};
	struct vm vm;
	struct ssh *s = NULL;
	struct kube *k = NULL;
	char *path = NULL, *name = NULL;
	double deadline;
	int rc = -1;

	if (vm_open(&vm, run, err) < 0)
		goto out;
	if (vm.profile == NULL && profile_load(run->stack, &vm.profile, err) < 0)
		goto out;
	if (vm.profile->cluster_kubeconfig == NULL) {
		err_set(err, ERR_FAIL,
		        "VM profile '%s' has no cluster: add cluster: {kubeconfig: "
		        "/etc/rancher/k3s/k3s.yaml, port: 6443} to %s (where its Kubernetes writes "
		        "its kubeconfig; see images/alpine/image.yaml)",
		        vm.profile->name, vm.profile->path);
		goto out;
	}
	deadline = mono_now() + vm.profile->cluster_timeout;
	if (vm_ssh(&vm, SSH_MS, &s, err) < 0) {
		err_wrap(err,
		         "reach vm '%s' to fetch its cluster's kubeconfig (is it up? ftboot up "
		         "--until vm)",
		         vm.dom);
		goto out;
	}
	if (wait_kubeconfig(run, &vm, s, deadline, &t, err) < 0)
		goto out;
	/* The server as the host reaches it; the CA and the credentials stay. */
	free(t.server);
	t.server = xasprintf("https://%s:%d", vm.ip, vm.profile->cluster_port);
	path = cluster_state_kubeconfig(run->state);
	name = cluster_context_name(run->stack);
	if (kubeconfig_write(path, name, &t, err) < 0)
		goto out;
	if (kube_open(&t, &k, err) < 0 || wait_ready(run, &vm, s, k, deadline, err) < 0)
		goto out;
	if (merge_context(run, path, name, err) < 0)
		goto out;
	report_info(run->report, "the cluster of vm '%s' is ready at %s (ftboot kubeconfig: %s)",
	            vm.dom, t.server, path);
	rc = 0;
out:
	kube_close(k);
	kube_target_release(&t);
	ssh_close(s);
	vm_close(&vm);
	free(path);
	free(name);
	return rc;
}

/* A cluster of the stack's own: only checked. */
static int external_cluster(struct run *run, struct err *err)
{
	struct cluster c;
	struct kube *k = NULL;
	int rc = -1;

	if (cluster_connect(run, &c, &k, err) < 0)
		goto out;
	report_step(run->report, "cluster at %s (context '%s' of %s): external, not provisioned",
	            kube_server(k), c.context, c.kubeconfig);
	kube_set_timeout(k, 10000, 10000);
	if (kube_readyz(k, err) < 0) {
		err_wrap(err, "the cluster at %s (context '%s' of %s)%s", kube_server(k), c.context,
		         c.kubeconfig, refused(err) ? "" : " is not ready");
		goto out;
	}
	ready_done(run, k);
	rc = 0;
out:
	kube_close(k);
	cluster_release(&c);
	return rc;
}

/* The VM's engine is set up unless the stack names a cluster and no engine of its own. */
static int uses_engine(const struct stack *st)
{
	return !cluster_external(st) || st->engine.host != NULL;
}

int provision_step(struct run *run, struct err *err)
{
	if (uses_engine(run->stack) && engine_provision(run, err) < 0)
		return -1;
	if (cluster_external(run->stack))
		return external_cluster(run, err);
	return vm_cluster(run, err);
}

/* ---- status ------------------------------------------------------------ */

int cluster_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct cluster c;
	struct kube *k = NULL;
	struct doc_node *j = doc_new(DOC_MAP);
	const struct journal_entry *e;
	char *version = NULL, *name = cluster_context_name(run->stack);
	const char *whose = cluster_external(run->stack) ? "external" : "the VM's";
	struct err why;

	(void)err;
	*json = NULL;
	doc_map_set(j, "in_vm", doc_new_bool(!cluster_external(run->stack)));
	if (cluster_resolve(run, &c, &why) < 0) {
		cluster_release(&c);
		if (why.kind == ERRK_NOTFOUND && !cluster_external(run->stack)) {
			buf_addf(text, "cluster    %s, not set up (ftboot up --until provision)\n",
			         whose);
			doc_map_set(j, "set_up", doc_new_bool(0));
		} else {
			buf_addf(text, "cluster    %s, unusable: %s\n", whose, why.msg);
			doc_map_set(j, "error", doc_new_str(why.msg));
		}
		goto done;
	}
	doc_map_set(j, "set_up", doc_new_bool(1));
	doc_map_set(j, "server", doc_new_str(c.target.server));
	doc_map_set(j, "kubeconfig", doc_new_str(c.kubeconfig));
	doc_map_set(j, "context", doc_new_str(c.context));
	if (kube_open(&c.target, &k, &why) == 0) {
		kube_set_timeout(k, STATUS_MS, STATUS_MS);
		if (kube_readyz(k, &why) == 0 && kube_version(k, &version, &why) == 0)
			why.msg[0] = '\0';
	}
	if (version) {
		buf_addf(text, "cluster    %s (%s), ready, Kubernetes %s\n", c.target.server, whose,
		         version);
		doc_map_set(j, "ready", doc_new_bool(1));
		doc_map_set(j, "version", doc_new_str(version));
	} else {
		buf_addf(text, "cluster    %s (%s), not ready: %s\n", c.target.server, whose,
		         why.msg);
		doc_map_set(j, "ready", doc_new_bool(0));
		doc_map_set(j, "error", doc_new_str(why.msg));
	}
	buf_addf(text, "kubeconfig %s (context '%s'; ftboot kubeconfig prints it)\n", c.kubeconfig,
	         c.context);
	cluster_release(&c);
done:
	if ((e = journal_find(run->journal, KIND_CONTEXT, name))) {
		char *path = journal_get(e, "path");

		buf_addf(text, "context    '%s' merged into %s\n", name, path ? path : "?");
		doc_map_set(j, "merged_into", doc_new_str(path ? path : ""));
		free(path);
	}
	*json = doc_new(DOC_MAP);
	doc_map_set(*json, "cluster", j);
	kube_close(k);
	free(version);
	free(name);
	return 0;
}

int provision_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct doc_node *cj = NULL;
	size_t i;

	*json = NULL;
	if (uses_engine(run->stack) && engine_status(run, text, json, err) < 0)
		return -1;
	if (cluster_status(run, text, &cj, err) < 0) {
		doc_free(*json);
		*json = NULL;
		return -1;
	}
	if (*json == NULL) {
		*json = cj;
		return 0;
	}
	for (i = 0; i < cj->n; i++) {
		doc_map_set(*json, cj->pairs[i].key->text, cj->pairs[i].value);
		cj->pairs[i].value = NULL;
	}
	doc_free(cj);
	return 0;
}

/* ---- teardown: the merged context --------------------------------------- */

static int rm_kubecontext(struct run *run, void *handle, const struct journal_entry *e,
                          struct err *err)
{
	char *path = journal_get(e, "path"), *prev = journal_get(e, "previous");
	int rc;

	(void)run;
	(void)handle;
	if (path == NULL)
		rc = err_setk(err, ERRK_INVALID,
		              "the journal's entry for context '%s' names no kubeconfig (path=)",
		              e->name);
	else if ((rc = kubeconfig_unmerge(path, e->name, prev, err)) < 0)
		err_wrap(err, "remove context '%s' from %s", e->name, path);
	free(path);
	free(prev);
	return rc;
}

static const struct teardown_kind kubecontext_kind = {KIND_CONTEXT, NULL, rm_kubecontext};

int cluster_kinds(struct err *err)
{
	return teardown_register(&kubecontext_kind, err);
}
