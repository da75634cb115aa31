/*
 * Unit tests: cluster.c's names and paths, resolving a cluster that is
 * not set up yet or whose kubeconfig is missing, and the "kubecontext"
 * teardown: a context merged into a user's kubeconfig (kubeconfig_merge)
 * and journaled as provision journals it is taken out again by `down`'s
 * walk of the journal, the user's current-context given back.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster.h"
#include "fs.h"
#include "journal.h"
#include "pki.h"
#include "scratch.h"
#include "state.h"
#include "tap.h"
#include "teardown.h"
#include "xmem.h"

static struct stack *parse(const char *text)
{
	struct stack *st = NULL;
	struct err err;

	if (stack_parse("srcs/stack.yaml", text, strlen(text), &st, &err) < 0)
		diag("stack: %s", err.msg);
	return st;
}

/* PEM of path, or "" (the caller frees it). */
static char *pem(const char *path)
{
	char *s = scratch_slurp(path);

	return s ? s : xstrdup("");
}

static void test_names(const char *dir)
{
	struct stack *vm = parse("name: ft\nservices: {a: {}}\n");
	char *kc = xasprintf("%s/kc", dir);
	char *text = xasprintf("name: ext\ncluster: {kubeconfig: '%s', context: c}\n"
	                       "services: {a: {}}\n",
	                       kc);
	struct stack *ext = parse(text);
	struct state st = {.dir = xasprintf("%s/state/ft", dir), .lock_fd = -1};
	struct journal j = {0};
	struct run run = {.stack = vm, .state = &st, .journal = &j};
	struct cluster c;
	struct err err;
	char *s;

	if (vm == NULL || ext == NULL)
		goto out;
	ok(!cluster_external(vm), "a stack without cluster.kubeconfig is on the VM's cluster");
	ok(cluster_external(ext), "one with it is on a cluster of its own");
	is_str(s = cluster_context_name(vm), "ftboot-ft", "the VM cluster's context name");
	free(s);
	s = cluster_state_kubeconfig(&st);
	ok(strcmp(s, st.dir) > 0 && strcmp(s + strlen(st.dir), "/kubeconfig") == 0,
	   "the state's kubeconfig: %s", s);
	free(s);

	ok(cluster_resolve(&run, &c, &err) < 0, "the VM's cluster before provision: not resolved");
	is_int(err.kind, ERRK_NOTFOUND, "ERRK_NOTFOUND");
	is_str(err.msg, "the cluster of stack 'ft' is not set up yet (ftboot up --until provision)",
	       "and says what to run");
	ok(c.in_vm && strcmp(c.context, "ftboot-ft") == 0, "the cluster is the VM's, named");
	cluster_release(&c);

	run.stack = ext;
	ok(cluster_resolve(&run, &c, &err) < 0, "a stack's missing kubeconfig: not resolved");
#define EXT_PREFIX "the cluster of stack 'ext' (cluster.kubeconfig in srcs/stack.yaml): "
	ok(strncmp(err.msg, EXT_PREFIX, strlen(EXT_PREFIX)) == 0 && strstr(err.msg, kc) != NULL,
	   "the error names the stack, the setting and the file: %s", err.msg);
	ok(!c.in_vm, "that cluster is not the VM's");
	cluster_release(&c);
out:
	free(st.dir);
	stack_free(vm);
	stack_free(ext);
	free(text);
	free(kc);
}

#define USER_KUBECONFIG                                                                            \
	"apiVersion: v1\n"                                                                         \
	"kind: Config\n"                                                                           \
	"clusters:\n"                                                                              \
	"- cluster:\n"                                                                             \
	"    server: https://other.example:6443\n"                                                 \
	"  name: other\n"                                                                          \
	"contexts:\n"                                                                              \
	"- context:\n"                                                                             \
	"    cluster: other\n"                                                                     \
	"    user: other\n"                                                                        \
	"  name: other\n"                                                                          \
	"current-context: other\n"                                                                 \
	"users:\n"                                                                                 \
	"- name: other\n"                                                                          \
	"  user:\n"                                                                                \
	"    token: not-a-real-token\n"

static void test_teardown(const char *dir)
{
	struct stack *stack = parse("name: ft\nservices: {a: {}}\n");
	struct state st = {.dir = xasprintf("%s/state/ft", dir), .lock_fd = -1};
	struct journal j = {0};
	struct run run = {.stack = stack, .state = &st, .journal = &j};
	const char *hosts[] = {"192.168.61.10", NULL};
	struct kube_target t = {0};
	struct pki p = {0};
	struct err err;
	char *user = xasprintf("%s/home/.kube/config", dir), *src = xasprintf("%s/src", dir);
	char *jpath = xasprintf("%s/journal", dir), *prev = NULL, *before = NULL, *after = NULL;

	err_clear(&err);
	if (stack == NULL)
		goto out;
	scratch_put(dir, "home/.kube/config", USER_KUBECONFIG);
	before = scratch_slurp(user);
	if (fs_mkdirs(st.dir, 0700, &err) < 0 || pki_ensure(&p, &st, hosts, 0, &err) < 0) {
		ok(0, "a CA and a client certificate for the test: %s", err.msg);
		goto out;
	}
	t.server = xstrdup("https://192.168.61.10:6443");
	t.ca_pem = pem(p.ca);
	t.cert_pem = pem(p.cert);
	t.key_pem = pem(p.key);
	t.namespace = xstrdup("default");
	ok(kubeconfig_write(src, "ftboot-ft", &t, &err) == 0, "the state's kubeconfig: %s",
	   err.msg);
	ok(kubeconfig_merge(user, src, "ftboot-ft", &prev, &err) == 0,
	   "merged into the user's kubeconfig: %s", err.msg);
	is_str(prev, "other", "the user's current-context before");
	{
		const char *kv[] = {"path", user, "previous", prev ? prev : "", NULL};

		ok(journal_open(&j, jpath, &err) == 0 &&
		       journal_record(&j, "kubecontext", "ftboot-ft", kv, &err) == 0,
		   "journaled as provision journals it: %s", err.msg);
	}
	teardown_reset();
	ok(cluster_kinds(&err) == 0, "the kubecontext kind registers: %s", err.msg);
	ok(cluster_kinds(&err) == 0, "twice is nothing");
	ok(teardown_run(&run, &err) == 0, "down's walk of the journal: %s", err.msg);
	is_int(j.n, 0, "the entry is gone from the journal");
	after = scratch_slurp(user);
	ok(after && strstr(after, "ftboot-ft") == NULL, "the context, cluster and user are gone");
	ok(after && strstr(after, "current-context: other") != NULL,
	   "the current-context is the user's again");
	ok(after && strstr(after, "token: not-a-real-token") != NULL,
	   "the user's own entries stay");
	ok(before && after && strcmp(before, after) == 0,
	   "the user's kubeconfig is as it was, byte for byte");

	/* An entry without its path names what is wrong and stays. */
	{
		const char *kv[] = {"previous", "other", NULL};

		journal_record(&j, "kubecontext", "ftboot-ft", kv, &err);
	}
	ok(teardown_run(&run, &err) < 0, "an entry that names no kubeconfig fails");
	ok(strstr(err.msg, "the journal's entry for context 'ftboot-ft' names no kubeconfig "
	                   "(path=)") != NULL,
	   "saying so: %s", err.msg);
	is_int(j.n, 1, "and stays in the journal");
out:
	journal_close(&j);
	kube_target_release(&t);
	pki_release(&p);
	stack_free(stack);
	free(st.dir);
	free(user);
	free(src);
	free(jpath);
	free(prev);
	free(before);
	free(after);
}

int main(void)
{
	char *dir = scratch_open("cluster");

	test_names(dir);
	test_teardown(dir);
	scratch_close(dir);
	return tap_done();
}
