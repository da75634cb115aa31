/*
 * Unit tests: the parts of the VM orchestrator that need no libvirt:
 * where the cache goes, the names and paths a stack gets, the console
 * tail in errors, and down/status with nothing recorded. The VM tier
 * (tests/vm/) drives the rest against a real libvirtd.
 */
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "tap.h"
#include "vm.h"
#include "xmem.h"

static char *dir;

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
	struct vm_status s;
	struct err err;
	char *log;

	ok(stack_parse("srcs/stack.yaml", stack_yaml, sizeof(stack_yaml) - 1, &st, &err) == 0,
	   "stack parses");
	ok(state_open(&state, st->name, 1, &err) == 0, "state opens");
	ok(vm_open(&vm, st, &state, NULL, &err) == 0, "vm_open: %s", err.msg);
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
	ok(vm_down(&vm, &err) == 0, "down with nothing recorded: nothing to do");

	err_clear(&err);
	err_set(&err, ERR_FAIL, "boot failed");
	vm_console_tail(&vm, 2, &err);
	ok(strstr(err.msg, "(the serial console '") && strstr(err.msg, "is empty)"),
	   "an empty console says so");
	log = path_join(state.dir, "console.log");
	fs_write_atomic(log, console, sizeof(console) - 1, 0600, 0, NULL, &err);
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
	state_close(&state);
	stack_free(st);
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
	fs_remove_tree(dir, &err);
	return tap_done();
}
