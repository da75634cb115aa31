/*
 * Unit tests: vm's adopt-or-refuse decision for a libvirt network it
 * finds but has not journaled, on libvirt's test driver (test:///default;
 * one connection is held open so the objects outlive vm_up's own). The
 * test driver cannot upload a seed, so vm_up stops at the seed, after the
 * network step under test. The same decision for domains is driven
 * against a real libvirtd by tests/vm/15-adopt.sh.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fs.h"
#include "journal.h"
#include "step.h"
#include "tap.h"
#include "teardown.h"
#include "virt.h"
#include "vm.h"
#include "xmem.h"

#define NET "ftu-adopt"

static char *dir;

static void put(const char *rel, const char *text)
{
	struct err err;
	char *p = path_join(dir, rel), *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	if (fs_mkdirs(d, 0700, &err) < 0 ||
	    fs_write_atomic(p, text, strlen(text), 0600, 0, &err) < 0)
		diag("%s", err.msg);
	free(d);
	free(p);
}

/* The stack "adopt" in dir: its image pinned and already in the cache. */
static void project(void)
{
	static const char content[] = "image\n";
	char hex[CRYPTO_HEX_MAX], *s;

	crypto_hash_buf(CRYPTO_SHA512, content, strlen(content), hex);
	put("srcs/stack.yaml", "name: adopt\nvm: {profile: t, uri: 'test:///default', network: " NET
	                       ", cidr: 10.77.9.0/24, address: 10.77.9.9, lb_address: 10.77.9.10}\n"
	                       "services: {a: {}}\n");
	put("images/t/user-data", "hostname: ${hostname}\n");
	s = xasprintf("image: {url: 'http://127.0.0.1:1/i.raw', sha512: %s, format: raw}\n"
	              "user: deb\n",
	              hex);
	put("images/t/image.yaml", s);
	free(s);
	s = xasprintf("cache/images/%.16s-i.raw", hex);
	put(s, content);
	free(s);
}

/* vm_up (or down's teardown) of the project; *journaled: the network is in the journal after. */
static int run(int down, int *journaled, struct err *err)
{
	struct stack *st = NULL;
	struct state state = {0};
	struct journal j = {0};
	struct run r;
	struct vm vm;
	char *path = path_join(dir, "srcs/stack.yaml"), *jpath = NULL;
	int opened = 0, rc = -1;

	*journaled = 0;
	if (stack_load(path, &st, err) < 0 || state_open(&state, st->name, 1, err) < 0)
		goto out;
	jpath = path_join(state.dir, "journal");
	if (journal_open(&j, jpath, err) < 0)
		goto out;
	r = (struct run){.stack = st, .state = &state, .journal = &j};
	if (down) {
		rc = step_register_kinds(err) < 0 ? -1 : teardown_run(&r, err);
	} else {
		if (vm_open(&vm, &r, err) < 0)
			goto out;
		opened = 1;
		rc = vm_up(&vm, err);
	}
	*journaled = journal_find(&j, "network", NET) != NULL;
out:
	if (opened)
		vm_close(&vm);
	journal_close(&j);
	state_close(&state);
	stack_free(st);
	free(jpath);
	free(path);
	return rc;
}

/* Define NET as someone else would: with owner (stack NULL: no metadata). */
static void define(struct virt *v, const char *stack, const char *state)
{
	struct virt_net_spec s = {0};
	struct err err;

	s.name = NET;
	s.bridge = "ftbr-adopt";
	s.net = 0x0a4d0900;
	s.prefix = 24;
	s.host_ip = 0x0a4d0901;
	s.owner.stack = stack;
	s.owner.state = state;
	if (virt_net_ensure(v, &s, NULL, &err) < 0)
		diag("define: %s", err.msg);
}

int main(void)
{
	char tmpl[] = "/tmp/ftboot-adopt.XXXXXX", state_dir[PATH_MAX];
	struct virt *v = NULL;
	struct err err;
	int exists = 0, journaled = 0;
	char *p;

	dir = mkdtemp(tmpl);
	if (dir == NULL)
		skip_all("cannot make a temporary directory");
	setenv("FTBOOT_STATE_DIR", dir, 1);
	p = path_join(dir, "cache");
	setenv("FTBOOT_CACHE_DIR", p, 1);
	free(p);
	p = path_join(dir, "pool");
	setenv("FTBOOT_POOL_DIR", p, 1);
	free(p);
	p = path_join(dir, "adopt");
	fs_mkdirs(p, 0700, &err);
	if (!realpath(p, state_dir))
		snprintf(state_dir, sizeof(state_dir), "%s", p);
	free(p);
	project();
	if (virt_open("test:///default", &v, &err) < 0) {
		ok(0, "libvirt's built-in test driver opens: %s", err.msg);
		return tap_done();
	}

	define(v, NULL, NULL);
	ok(run(0, &journaled, &err) < 0 &&
	       strstr(err.msg, "exists that this stack did not create") &&
	       !strstr(err.msg, "metadata"),
	   "a network without ftboot's metadata is refused: %s", err.msg);
	ok(!journaled, "... and not journaled");
	ok(virt_net_remove(v, NET, &err) == 0, "(removed)");

	define(v, "adopt", "/elsewhere/adopt");
	ok(run(0, &journaled, &err) < 0 &&
	       strstr(err.msg, "exists that this stack did not create") &&
	       strstr(err.msg,
	              "; its metadata names stack 'adopt' with state directory '/elsewhere/adopt'"),
	   "the same stack name from another state directory is refused, naming it: %s", err.msg);
	ok(!journaled, "... and not journaled");
	ok(virt_net_remove(v, NET, &err) == 0, "(removed)");

	/* left by an `up` killed after a `down`: ours, not in the journal */
	define(v, "adopt", state_dir);
	(void)run(0, &journaled, &err); /* stops at the seed: no uploads in test:/// */
	ok(journaled, "a network whose metadata names this stack is adopted into the journal");
	ok(!strstr(err.msg, "did not create"), "... not refused (up stopped later: %s)", err.msg);
	ok(run(1, &journaled, &err) == 0, "down: %s", err.msg);
	ok(virt_net_exists(v, NET, &exists, &err) == 0 && !exists, "and down removes it");

	(void)run(0, &journaled, &err);
	{
		enum virt_own own = VIRT_OWN_ABSENT;
		struct virt_owner me = {"adopt", state_dir};

		ok(journaled && virt_net_owner(v, NET, &me, &own, NULL, &err) == 0 &&
		       own == VIRT_OWN_SELF,
		   "a network up defines itself carries the stack's name and state directory");
	}
	ok(run(1, &journaled, &err) == 0, "down again: %s", err.msg);
	virt_close(v);
	fs_remove_tree(dir, &err);
	return tap_done();
}
