/*
 * Unit tests: the parts of the VM orchestrator that need no libvirt:
 * where the cache goes, the names and paths a stack gets, the console
 * tail in errors, down/status with nothing recorded, and the seed ISO
 * (read back by isoinfo). The VM tier
 * (tests/vm/) drives the rest against a real libvirtd.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fs.h"
#include "run.h"
#include "teardown.h"
#include "tap.h"
#include "vm.h"
#include "xmem.h"

#define SHA                                                                                        \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"                         \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *dir;

/* A run of stack st in its open state, with the state's journal opened into j. */
static int open_run(struct run *run, struct journal *j, const struct stack *st, struct state *state,
                    struct err *err)
{
	char *path = path_join(state->dir, "journal");
	int rc = journal_open(j, path, err);

	free(path);
	*run = (struct run){.stack = st, .state = state, .journal = j};
	return rc;
}

static void test_cache_dir(void)
{
	struct err err;
	char *d = NULL;

	setenv("FTBOOT_CACHE_DIR", "/x/cache", 1);
	ok(vm_cache_dir(&d, &err) == 0 && strcmp(d, "/x/cache") == 0, "FTBOOT_CACHE_DIR wins");
	free(d);
	unsetenv("FTBOOT_CACHE_DIR");
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	ok(vm_cache_dir(&d, &err) == 0 && strcmp(d, "/xdg/ftboot") == 0, "then XDG_CACHE_HOME");
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	ok(vm_cache_dir(&d, &err) == 0 && strcmp(d, "/home/u/.cache/ftboot") == 0,
	   "a relative XDG_CACHE_HOME is ignored (XDG spec): ~/.cache/ftboot");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	ok(vm_cache_dir(&d, &err) < 0 && strstr(err.msg, "set FTBOOT_CACHE_DIR"),
	   "no HOME: says what to set");
	setenv("FTBOOT_CACHE_DIR", dir, 1);
}

static void test_names_and_tail(void)
{
	static const char stack_yaml[] =
	    "name: a-rather-long-stack-name\nvm: {uri: 'qemu:///system'}\nservices: {a: {}}\n";
	static const char console[] =
	    "line 1\nline 2\n\x1b[0;32m  OK  \x1b[0m] Started x\r\nlast\n";
	struct stack *st = NULL;
	struct state state = {0};
	struct vm vm;
	struct run run;
	struct journal j = {0};
	struct vm_status s;
	struct err err;
	char *log;

	ok(stack_parse("srcs/stack.yaml", stack_yaml, sizeof(stack_yaml) - 1, &st, &err) == 0,
	   "stack parses");
	ok(state_open(&state, st->name, 1, &err) == 0, "state opens");
	ok(open_run(&run, &j, st, &state, &err) == 0, "journal opens: %s", err.msg);
	ok(vm_open(&vm, &run, &err) == 0, "vm_open: %s", err.msg);
	is_str(vm.dom, "ftboot-a-rather-long-stack-name", "domain named after the stack");
	is_str(vm.net, "ftboot-a-rather-long-stack-name", "network: the stack's vm.network");
	ok(strlen(vm.bridge) <= 15 && strncmp(vm.bridge, "ftbr-a-rath", 11) == 0,
	   "bridge fits IFNAMSIZ and stays readable: %s", vm.bridge);
	is_str(vm.pool_dir, "/var/lib/libvirt/images/ftboot-a-rather-long-stack-name",
	       "system URI: the pool lives where qemu can read it");
	ok(strncmp(vm.mac, "52:54:00:", 9) == 0, "a locally administered MAC: %s", vm.mac);
	is_str(vm.ip, "192.168.61.2", "the VM address as text");
	ok(vm_status(&vm, &s, &err) == 0 && s.state == VIRT_DOM_ABSENT && s.resources == 0,
	   "status with nothing recorded: absent, without asking libvirt");
	ok(vm_kinds(&err) == 0, "vm registers its kinds");
	ok(teardown_run(&run, &err) == 0, "down with nothing recorded: nothing to do");

	err_clear(&err);
	err_set(&err, ERR_FAIL, "boot failed");
	vm_console_tail(&vm, 2, &err);
	ok(strstr(err.msg, "(the serial console '") && strstr(err.msg, "is empty)"),
	   "an empty console says so");
	log = path_join(state.dir, "console.log");
	fs_write_atomic(log, console, sizeof(console) - 1, 0600, 0, &err);
	err_set(&err, ERR_FAIL, "boot failed");
	vm_console_tail(&vm, 2, &err);
	ok(strstr(err.msg, "last lines of the serial console") != NULL, "the tail is appended");
	ok(strstr(err.msg, "  OK  ] Started x\nlast\n") != NULL &&
	       strstr(err.msg, "line 2") == NULL,
	   "the last 2 lines, without escapes or carriage returns");
	ok(strchr(err.msg, '\x1b') == NULL && strchr(err.msg, '\r') == NULL,
	   "no control characters left");
	free(log);
	vm_close(&vm);
	journal_close(&j);
	state_close(&state);
	stack_free(st);
}

/* Write text to top/rel, making its directory. */
static void put_in(const char *top, const char *rel, const char *text)
{
	struct err err;
	char *p = path_join(top, rel), *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	fs_mkdirs(d, 0700, &err);
	fs_write_atomic(p, text, strlen(text), 0600, 0, &err);
	free(d);
	free(p);
}

/* A project in dir/seed: srcs/stack.yaml and images/t/. */
static char *seed_project(const char *network_config)
{
	static const char stack_yaml[] =
	    "name: seedy\nvm: {profile: t, cidr: 10.77.3.0/24, address: 10.77.3.9, lb_address: "
	    "10.77.3.10}\nservices: {a: {}}\n";
	static const char image_yaml[] =
	    "image: {url: 'http://127.0.0.1:1/i.raw', sha512: " SHA "}\nuser: deb\n";
	static const char user_data[] = "hostname: ${hostname}\nusers:\n  - name: ${user}\n"
	                                "    ssh_authorized_keys:\n      - ${ssh_authorized_key}\n"
	                                "ssh_keys:\n  ed25519_private: ${host_key_private}\n"
	                                "sshd_port: ${ssh_port}\n";
	char *top = path_join(dir, "seed");
	struct err err;

	fs_remove_tree(top, &err);
	put_in(top, "srcs/stack.yaml", stack_yaml);
	put_in(top, "images/t/image.yaml", image_yaml);
	put_in(top, "images/t/user-data", user_data);
	if (network_config)
		put_in(top, "images/t/network-config", network_config);
	return top;
}

static const struct vm_seed_keys good_keys = {"ssh-ed25519 AAAAuser ftboot",
                                              "ssh-ed25519 AAAAhost ftboot",
                                              "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n"
                                              "-----END OPENSSH PRIVATE KEY-----\n"};

/* Build the seed of the project made by seed_project with keys; NULL on failure (err set). */
static char *seed_with(const char *top, const struct vm_seed_keys *keys, struct err *err)
{
	struct stack *st = NULL;
	struct state state = {0};
	struct vm vm;
	struct run run;
	struct journal j = {0};
	struct buf iso = BUF_INIT(1 << 24);
	char *path = path_join(top, "srcs/stack.yaml"), *img = NULL;
	int opened = 0;

	if (stack_load(path, &st, err) < 0 || state_open(&state, st->name, 1, err) < 0)
		goto out;
	if (open_run(&run, &j, st, &state, err) < 0 || vm_open(&vm, &run, err) < 0)
		goto out;
	opened = 1;
	if (profile_load(st, &vm.profile, err) < 0 || vm_seed(&vm, keys, &iso, err) < 0)
		goto out;
	img = path_join(top, "seed.iso");
	if (fs_write_atomic(img, iso.data, iso.len, 0600, 0, err) < 0) {
		free(img);
		img = NULL;
	}
out:
	if (opened)
		vm_close(&vm);
	journal_close(&j);
	state_close(&state);
	stack_free(st);
	buf_release(&iso);
	free(path);
	return img;
}

static char *seed_of(const char *top, struct err *err)
{
	return seed_with(top, &good_keys, err);
}

/*
 * Through isoinfo -J: the file name of the seed img ("" when absent or
 * unreadable), or with name NULL its file list, one path a line.
 */
static char *iso_file(const char *img, const char *name)
{
	const char *argv[] = {"isoinfo", "-J", "-i", img, name ? "-x" : "-f", name, NULL};
	struct buf out = BUF_INIT(1 << 20);
	char *s;

	run_capture(argv, &out, 0);
	s = xstrdup(buf_cstr(&out));
	buf_release(&out);
	return s;
}

/* A seed whose network-config template is nc must fail with want in its message. */
static void seed_refused(const char *nc, const char *want, const char *what)
{
	struct err err;
	char *top = seed_project(nc);
	char *img = seed_of(top, &err);

	ok(img == NULL && strstr(err.msg, want), "%s: %s", what, img ? "built" : err.msg);
	free(img);
	free(top);
}

static void test_seed(void)
{
	static const char nc[] = "version: 2\nethernets:\n  id0:\n    match:\n"
	                         "      macaddress: ${mac}\n    addresses:\n"
	                         "      - ${vm_ip}/${prefix}\n    routes:\n      - to: default\n"
	                         "        via: ${gateway}\n    nameservers:\n      addresses:\n"
	                         "        - ${dns}\n";
	const char *argv[] = {"isoinfo", "-d", "-i", "/dev/null", NULL};
	struct buf out = BUF_INIT(1 << 16);
	struct vm_seed_keys keys;
	struct err err;
	char *top, *img, *ud, *md = NULL, *md2, *got;

	if (run_capture(argv, &out, 1) == 127) {
		skip("isoinfo is not installed (Debian: genisoimage)");
		buf_release(&out);
		return;
	}
	buf_release(&out);

	top = seed_project(NULL);
	img = seed_of(top, &err);
	ok(img != NULL, "a seed without network-config: %s", img ? "built" : err.msg);
	if (img) {
		ud = iso_file(img, "/user-data");
		md = iso_file(img, "/meta-data");
		got = iso_file(img, NULL);
		ok(strncmp(ud, "#cloud-config\nhostname: seedy\n", 30) == 0 &&
		       strstr(ud, "name: deb") && strstr(ud, "ssh-ed25519 AAAAuser ftboot") &&
		       strstr(ud, "BEGIN OPENSSH PRIVATE KEY"),
		   "user-data: #cloud-config, hostname, user, keys");
		ok(strstr(ud, "\nsshd_port: 22\n") != NULL,
		   "a profile without ssh_port: ${ssh_port} is 22, an integer");
		ok(strncmp(md, "instance-id: ftboot-seedy-", 26) == 0 &&
		       strstr(md, "\nlocal-hostname: seedy\n"),
		   "meta-data: instance-id and hostname");
		is_str(got, "/meta-data\n/user-data\n",
		       "no network-config template: user-data and meta-data only");
		free(ud);
		free(got);
		free(img);
	}
	free(top);

	top = seed_project(nc);
	img = seed_of(top, &err);
	ok(img != NULL, "a seed with network-config: %s", img ? "built" : err.msg);
	if (img) {
		got = iso_file(img, "/network-config");
		ok(strstr(got, "version: 2\n") && strstr(got, "macaddress: 52:54:00:") &&
		       strstr(got, "- 10.77.3.9/24\n") && strstr(got, "via: \"10.77.3.1\"\n") &&
		       strstr(got, "- \"10.77.3.1\"\n"),
		   "network-config: the MAC, address/prefix, gateway and DNS filled in");
		if (!strstr(got, "via: \"10.77.3.1\""))
			diag("network-config:\n%s", got);
		free(got);
		md2 = iso_file(img, "/meta-data");
		ok(md && strncmp(md2, "instance-id: ftboot-seedy-", 26) == 0 &&
		       strcmp(md, md2) != 0,
		   "the same user-data with a network-config: another instance-id");
		free(md2);
		free(img);
	}
	free(top);
	free(md);

	/* An emission error is shown in its own words, not as a size. */
	keys = good_keys;
	keys.host_priv = "not UTF-8: \xff\xfe";
	top = seed_project(NULL);
	img = seed_with(top, &keys, &err);
	ok(img == NULL && strstr(err.msg, "images/t/user-data: ") &&
	       strstr(err.msg, "a string is not valid UTF-8") && !strstr(err.msg, "larger than"),
	   "a value YAML cannot write fails with the emitter's words: %s", img ? "built" : err.msg);
	free(img);
	free(top);

	seed_refused("- version: 2\n",
	             "images/t/network-config: a cloud-init network-config template must be one "
	             "YAML mapping",
	             "a network-config that is a list is refused");
	seed_refused("ethernets: {}\n",
	             "images/t/network-config:1:1: network-config has no 'version'",
	             "a network-config without version is refused at its place");
	seed_refused("version: ${nope}\n",
	             "images/t/network-config:1:10: unknown variable 'nope' (write $${ for a "
	             "literal '${'; known: cidr, dns, ",
	             "an unknown variable in network-config is named at its place, with the "
	             "known ones");
}

/*
 * The project's own Alpine profile (images/alpine of FTBOOT_TOP, copied
 * into a project of its own) renders into a seed: the template's
 * variables are all ftboot's, and ssh_port and the VM's address reach
 * the k3s and sshd settings. tests/stack/vm_profile.sh checks the rest.
 */
static void test_alpine_seed(void)
{
	static const char stack_yaml[] =
	    "name: alp\nvm: {profile: alpine, cidr: 10.77.5.0/24, address: 10.77.5.9, "
	    "lb_address: 10.77.5.9}\nservices: {a: {}}\n";
	static const char *const files[] = {"image.yaml", "user-data", "engine.sh"};
	const char *argv[] = {"isoinfo", "-d", "-i", "/dev/null", NULL};
	const char *ftop = getenv("FTBOOT_TOP");
	char *top, *img, *ud;
	struct buf text = BUF_INIT(1 << 20);
	struct err err;
	size_t i;

	if (run_capture(argv, &text, 1) == 127) {
		skip("isoinfo is not installed (Debian: genisoimage)");
		buf_release(&text);
		return;
	}
	top = path_join(dir, "alpine");
	fs_remove_tree(top, &err);
	put_in(top, "srcs/stack.yaml", stack_yaml);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *from = xasprintf("%s/images/alpine/%s", ftop ? ftop : ".", files[i]);
		char *to = xasprintf("images/alpine/%s", files[i]);

		buf_reset(&text);
		if (fs_read(from, text.limit, &text, &err) == 0)
			put_in(top, to, buf_cstr(&text));
		free(from);
		free(to);
	}
	buf_release(&text);
	img = seed_of(top, &err);
	ok(img != NULL, "the project's Alpine profile renders into a seed: %s",
	   img ? "built" : err.msg);
	if (img) {
		ud = iso_file(img, "/user-data");
		ok(strncmp(ud, "#cloud-config\n", 14) == 0 && strstr(ud, "Port 2222\n") &&
		       strstr(ud, "node-ip: 10.77.5.9\n") && strstr(ud, "- 10.77.5.9\n"),
		   "its user-data: sshd on the profile's ssh_port, k3s on the VM's address");
		free(ud);
		free(img);
	}
	free(top);
}

/*
 * The image project in dir/pin, on test:///default: image.yaml pins
 * content (put in the cache under its digest, so nothing is downloaded).
 */
static void pin_project(const char *top, const char *content, char hex[CRYPTO_HEX_MAX])
{
	static const char stack_yaml[] =
	    "name: pinned\nvm: {profile: t, uri: 'test:///default', cidr: 10.77.4.0/24, address: "
	    "10.77.4.9, lb_address: 10.77.4.10}\nservices: {a: {}}\n";
	static const char user_data[] = "hostname: ${hostname}\n";
	char *p, *yaml;

	crypto_hash_buf(CRYPTO_SHA512, content, strlen(content), hex);
	put_in(top, "srcs/stack.yaml", stack_yaml);
	put_in(top, "images/t/user-data", user_data);
	yaml = xasprintf("image: {url: 'http://127.0.0.1:1/i.raw', sha512: %s, format: raw}\n"
	                 "user: deb\n",
	                 hex);
	put_in(top, "images/t/image.yaml", yaml);
	free(yaml);
	p = xasprintf("images/%.16s-i.raw", hex);
	put_in(dir, p, content);
	free(p);
}

/* vm_up (and teardown_run with down set) of the project at top; 0 or -1 with err set. */
static int pin_run(const char *top, int down, struct err *err)
{
	struct stack *st = NULL;
	struct state state = {0};
	struct vm vm;
	struct run run;
	struct journal j = {0};
	char *path = path_join(top, "srcs/stack.yaml");
	int opened = 0, rc = -1;

	if (stack_load(path, &st, err) < 0 || state_open(&state, st->name, 1, err) < 0 ||
	    open_run(&run, &j, st, &state, err) < 0 || vm_open(&vm, &run, err) < 0 ||
	    vm_kinds(err) < 0)
		goto out;
	opened = 1;
	rc = down ? teardown_run(&run, err) : vm_up(&vm, err);
out:
	if (opened)
		vm_close(&vm);
	journal_close(&j);
	state_close(&state);
	stack_free(st);
	free(path);
	return rc;
}

/* 1 if the pool directory holds file name. */
static int pooled(const char *name)
{
	char *p = xasprintf("%s/pool/ftboot-pinned/%s", dir, name);
	int r = fs_exists(p);

	free(p);
	return r;
}

/*
 * A changed image pin: the base's name carries the digest, and a VM
 * made from the old one is refused until `down`, which removes it.
 */
static void test_pin_change(void)
{
	char hex_a[CRYPTO_HEX_MAX], hex_b[CRYPTO_HEX_MAX], *top = path_join(dir, "pin");
	char base_a[64], base_b[64], short_a[32], short_b[32];
	struct err err;

	{
		char *pool = path_join(dir, "pool");

		setenv("FTBOOT_POOL_DIR", pool, 1);
		free(pool);
	}
	pin_project(top, "image A\n", hex_a);
	snprintf(base_a, sizeof(base_a), "ftboot-pinned-base-%.12s.raw", hex_a);
	snprintf(short_a, sizeof(short_a), "sha512 %.12s...", hex_a);
	(void)pin_run(top, 0, &err); /* the test driver stops it somewhere after the base */
	ok(pooled(base_a), "the base is named after its digest: %s", base_a);

	pin_project(top, "image B\n", hex_b);
	snprintf(base_b, sizeof(base_b), "ftboot-pinned-base-%.12s.raw", hex_b);
	snprintf(short_b, sizeof(short_b), "now pins %.12s...", hex_b);
	ok(pin_run(top, 0, &err) < 0 &&
	       strstr(err.msg, "vm 'ftboot-pinned' was made from the image") &&
	       strstr(err.msg, short_a) && strstr(err.msg, short_b) &&
	       strstr(err.msg, "ftboot down") && strstr(err.msg, "image.yaml now pins"),
	   "another pin while the vm is made from the old image is refused, naming both digests "
	   "and what to do: %s",
	   err.msg);
	ok(!pooled(base_b), "... and places nothing");
	ok(pin_run(top, 1, &err) == 0, "down: %s", err.msg);
	ok(!pooled(base_a), "down removes the old base");
	(void)pin_run(top, 0, &err);
	ok(pooled(base_b) && !pooled(base_a), "then up places the new image under its own name");
	ok(pin_run(top, 1, &err) == 0 && !pooled(base_b), "down removes the new one as well");
	unsetenv("FTBOOT_POOL_DIR");
	free(top);
}

int main(void)
{
	char tmpl[] = "/tmp/ftboot-vm.XXXXXX";
	struct err err;

	dir = mkdtemp(tmpl);
	if (dir == NULL)
		skip_all("cannot make a temporary directory");
	setenv("FTBOOT_STATE_DIR", dir, 1);
	test_cache_dir();
	test_names_and_tail();
	test_seed();
	test_alpine_seed();
	test_pin_change();
	fs_remove_tree(dir, &err);
	return tap_done();
}
