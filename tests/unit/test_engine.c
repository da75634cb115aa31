/* Unit tests: engine_resolve (engine.h): which engine, its host and TLS files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

static struct stack stack;
static struct state state;
static struct journal journal;
static struct run run = {.stack = &stack, .state = &state, .journal = &journal};

/* A report that keeps the last step's text. */
static char last_step[512];
static void on_step(void *ctx, const char *what)
{
	(void)ctx;
	snprintf(last_step, sizeof(last_step), "%s", what);
}

/* Resolve with engine {host, cert_path}; the error's message, or "" on success. */
static const char *resolve(const char *host, const char *cert_path, int ensure, struct engine *e)
{
	static struct err err;

	err_clear(&err);
	stack.engine.host = (char *)host;
	stack.engine.cert_path = (char *)cert_path;
	if (engine_resolve(&run, ensure, e, &err) == 0)
		return "";
	ok(e->host == NULL && e->ca == NULL, "a failed resolve leaves nothing to release");
	return err.msg;
}

int main(void)
{
	static const char *const bad[][2] = {
	    {"tcp://h",
	     "engine host 'tcp://h': expected tcp://HOST:PORT (as tcp://192.0.2.7:2376)"},
	    {"tcp://:2376",
	     "engine host 'tcp://:2376': expected tcp://HOST:PORT (as tcp://192.0.2.7:2376)"},
	    {"tcp://h:0", "engine host 'tcp://h:0': the port must be a number from 1 to 65535"},
	    {"tcp://h:65536",
	     "engine host 'tcp://h:65536': the port must be a number from 1 to 65535"},
	    {"tcp://h:99999999999999999999999",
	     "engine host 'tcp://h:99999999999999999999999': the port must be a number from 1 to "
	     "65535"},
	    {"tcp://h:-1", "engine host 'tcp://h:-1': the port must be a number from 1 to 65535"},
	    {"tcp://h:23x", "engine host 'tcp://h:23x': the port must be a number from 1 to 65535"},
	    {"tcp://[::1]:2376",
	     "engine host 'tcp://[::1]:2376': an IPv6 address is not supported; "
	     "use an IPv4 address or a DNS name"},
	    {"tcp://h\xc3\xa9:1", "engine host 'tcp://h\xc3\xa9:1': the host must be an IPv4 "
	                          "address or a DNS name (letters, digits, '.' and '-')"},
	    {"tcp://h\x1b[31m:1",
	     "engine host 'tcp://h?[31m:1': control characters are not allowed"},
	    {"unix:///run/\n.sock", "engine host 'unix:///run/?.sock': control characters are not "
	                            "allowed"},
	    {"tcp://a b:1", "engine host 'tcp://a b:1': the host must be an IPv4 address or a DNS "
	                    "name (letters, digits, '.' and '-')"},
	    {"http://h:2375",
	     "engine host 'http://h:2375': expected tcp://HOST:PORT (mutual TLS) or unix:///PATH"},
	    {"unix://run/docker.sock",
	     "engine host 'unix://run/docker.sock': expected unix:///PATH (an absolute path)"},
	};
	struct engine e = {0};
	struct err err;
	char *dir = scratch_open("engine"), *certs, *path;
	const char *m;
	size_t i;

	stack.name = xstrdup("t");
	stack.vm.address = 0xc0a83d0a; /* 192.168.61.10 */
	stack.vm.network = xstrdup("ftboot-t");
	stack.vm.uri = xstrdup("qemu:///system");
	state.stack = xstrdup("t");
	state.dir = path_join(dir, "state");
	state.lock_fd = -1;
	ok(mkdir(state.dir, 0700) == 0, "a state directory");

	/* The VM's engine: its address, port 2376, ftboot's PKI, nothing made. */
	is_str(resolve(NULL, NULL, 0, &e), "", "the VM's engine");
	is_str(e.host, "tcp://192.168.61.10:2376", "at the VM's address, port 2376");
	ok(e.in_vm && e.own_pki, "in the VM, on ftboot's PKI");
	path = path_join(state.dir, "engine/client");
	is_str(e.cert_path, path, "DOCKER_CERT_PATH is the PKI's client directory");
	free(path);
	path = path_join(state.dir, "engine/client/key.pem");
	is_str(e.key, path, "the client key");
	ok(e.conn.host == e.host && e.conn.ca == e.ca && e.conn.cert == e.cert &&
	       e.conn.key == e.key,
	   "conn points at the fields");
	ok(!fs_exists(path), "without ensure, nothing is made");
	engine_release(&e);
	is_str(resolve(NULL, NULL, 1, &e), "", "the VM's engine, with ensure");
	ok(fs_exists(path), "with ensure, the PKI is made");
	free(path);
	engine_release(&e);

	/* An external engine on ftboot's PKI: a server certificate for its host. */
	is_str(resolve("tcp://engine.example:12376", NULL, 1, &e), "", "tcp:// on ftboot's PKI");
	is_str(e.host, "tcp://engine.example:12376", "its host as given");
	ok(!e.in_vm && e.own_pki && e.ca, "external, ftboot's PKI");
	engine_release(&e);

	/* cert_path: each file must be there and a regular file. */
	certs = path_join(dir, "certs");
	ok(mkdir(certs, 0700) == 0, "a cert_path directory");
	m = resolve("tcp://h:1", certs, 1, &e);
	ok(strstr(m, "'/ca.pem' is missing") == NULL &&
	       strstr(m, "ca.pem' is missing; the directory "
	                 "must hold ca.pem, cert.pem and "
	                 "key.pem") != NULL,
	   "an empty cert_path names ca.pem and what the directory must hold: %s", m);
	path = path_join(certs, "ca.pem");
	ok(fs_write_atomic(path, "x", 1, 0600, 0, &err) == 0, "ca.pem");
	free(path);
	path = path_join(certs, "cert.pem");
	ok(mkdir(path, 0700) == 0, "cert.pem a directory");
	m = resolve("tcp://h:1", certs, 1, &e);
	ok(strstr(m, "cert.pem' is a directory, not a file") != NULL, "a directory is named: %s",
	   m);
	rmdir(path);
	ok(mkfifo(path, 0600) == 0, "cert.pem a FIFO");
	m = resolve("tcp://h:1", certs, 1, &e);
	ok(strstr(m, "cert.pem' is not a regular file") != NULL, "a FIFO is named: %s", m);
	unlink(path);
	ok(fs_write_atomic(path, "x", 1, 0600, 0, &err) == 0, "cert.pem");
	free(path);
	path = path_join(certs, "key.pem");
	ok(symlink(path, path) == 0, "key.pem a symlink loop");
	m = resolve("tcp://h:1", certs, 1, &e);
	ok(strstr(m, "key.pem' cannot be read (Too many levels of symbolic links)") != NULL,
	   "a loop is named: %s", m);
	unlink(path);
	ok(fs_write_atomic(path, "x", 1, 0600, 0, &err) == 0, "key.pem");
	is_str(resolve("tcp://h:1", certs, 1, &e), "", "cert_path with its three files");
	is_str(e.cert_path, certs, "DOCKER_CERT_PATH is cert_path");
	is_str(e.key, path, "the key is cert_path's");
	ok(!e.own_pki && !e.in_vm, "not ftboot's PKI");
	free(path);
	engine_release(&e);

	/* unix://: no TLS, nothing made. */
	is_str(resolve("unix:///run/x docker.sock", NULL, 1, &e), "", "unix://");
	ok(e.ca == NULL && e.cert == NULL && e.key == NULL && e.cert_path == NULL, "no TLS files");
	engine_release(&e);

	/* provision of an external engine: checked, not set up; nothing of the VM's. */
	{
		struct report rep = {.step = on_step};
		char *sock = path_join(dir, "no.sock"), *host = xasprintf("unix://%s", sock), *want;

		run.report = &rep;
		stack.engine.host = host;
		stack.engine.cert_path = NULL;
		setenv("FTBOOT_CACHE_DIR", dir, 1);
		ok(engine_provision(&run, &err) < 0,
		   "provision of an external engine that is not there fails");
		ok(strstr(err.msg, "the engine at 'unix://") != NULL, "naming the engine: %s",
		   err.msg);
		want = xasprintf("engine at %s: external, not provisioned", host);
		is_str(last_step, want, "the step says it is external and not provisioned");
		free(want);
		run.report = NULL;
		free(host);
		free(sock);
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_str(resolve(bad[i][0], NULL, 0, &e), bad[i][1], "refused: bad host %zu", i);

	free(certs);
	free(state.dir);
	free(state.stack);
	free(stack.name);
	free(stack.vm.network);
	free(stack.vm.uri);
	scratch_close(dir);
	return tap_done();
}
