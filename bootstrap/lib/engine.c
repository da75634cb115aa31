/*
 * engine: which container engine the stack builds in and how ftboot
 * reaches it (engine_resolve, engine_connect), and the provision step's
 * engine part, which sets up the VM's own dockerd for mutual TLS
 * (engine_provision).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto.h"
#include "engine.h"
#include "fs.h"
#include "ipv4.h"
#include "mono.h"
#include "profile.h"
#include "ssh.h"
#include "text.h"
#include "vm.h"
#include "xmem.h"

/* Bytes refused in an engine's host: C0 controls and DEL. */
#define CONTROL_BYTES                                                                              \
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16" \
	"\x17\x18"                                                                                 \
	"\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"

/* The port of the VM's engine: the docker CLI's for TLS. */
#define ENGINE_VM_PORT 2376

/*
 * The HOST of "tcp://HOST:PORT" into a new string, the port checked:
 * 1-65535, digits only. An IPv6 literal is refused (the PKI names IPv4
 * addresses and DNS names).
 */
static int tcp_host(const char *host, char **out, struct err *err)
{
	const char *h = host + strlen("tcp://"), *colon = strrchr(h, ':');
	const char *p;
	long port = 0;

	if (h[0] == '[')
		return err_setk(err, ERRK_INVALID,
		                "engine host '%s': an IPv6 address is not supported; use an IPv4 "
		                "address or a DNS name",
		                host);
	if (colon == NULL || colon == h || colon[1] == '\0')
		return err_setk(
		    err, ERRK_INVALID,
		    "engine host '%s': expected tcp://HOST:PORT (as tcp://192.0.2.7:2376)", host);
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			break;
		port = port * 10 + (*p - '0');
	}
	if (*p || port < 1 || port > 65535)
		return err_setk(err, ERRK_INVALID,
		                "engine host '%s': the port must be a number from 1 to 65535",
		                host);
	for (p = h; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return err_setk(
			    err, ERRK_INVALID,
			    "engine host '%s': the host must be an IPv4 address or a DNS "
			    "name (letters, digits, '.' and '-')",
			    host);
	*out = xstrndup(h, (size_t)(colon - h));
	return 0;
}

/*
 * s for a message: as it is when it holds no control character (a path
 * is not cut short), else through the sanitiser (text_quote).
 */
static const char *shown(const char *s, char *q, size_t size)
{
	if (strcspn(s, CONTROL_BYTES) == strlen(s))
		return s;
	return text_quote(s, strlen(s), q, size);
}

/* dir/name, which must be a regular file (DOCKER_CERT_PATH's rule). */
static int cert_file(const char *dir, const char *name, char **out, struct err *err)
{
	char *path = path_join(dir, name);
	char what[256], qd[80], qp[80];
	struct stat sb;
	int e = 0;

	what[0] = '\0';
	if (stat(path, &sb) < 0) {
		e = errno;
		snprintf(what, sizeof(what), e == ENOENT ? "is missing" : "cannot be read (%s)",
		         strerror(e));
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(what, sizeof(what), "%s",
		         S_ISDIR(sb.st_mode) ? "is a directory, not a file"
		                             : "is not a regular file");
	}
	if (what[0]) {
		err_setk(err, e == EACCES ? ERRK_DENIED : ERRK_INVALID,
		         "engine cert_path '%s': '%s' %s; the directory must hold ca.pem, cert.pem "
		         "and key.pem (the engine's CA, the client certificate and its key), as "
		         "DOCKER_CERT_PATH does",
		         shown(dir, qd, sizeof(qd)), shown(path, qp, sizeof(qp)), what);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

/* e's TLS files from ftboot's PKI for host (made or renewed with ensure). */
static int own_pki(const struct run *run, int ensure, const char *host, struct engine *e,
                   struct err *err)
{
	const char *hosts[] = {host, NULL};
	struct pki p = {0};

	if (ensure) {
		if (pki_ensure(&p, run->state, hosts, 0, err) < 0) {
			pki_release(&p);
			return err_wrap(err, "engine certificates for %s", host);
		}
	} else {
		pki_paths(&p, run->state);
	}
	e->own_pki = 1;
	e->ca = xstrdup(p.ca);
	e->cert = xstrdup(p.cert);
	e->key = xstrdup(p.key);
	e->cert_path = xstrdup(p.client_dir);
	pki_release(&p);
	return 0;
}

int engine_resolve(const struct run *run, int ensure, struct engine *e, struct err *err)
{
	const struct stack_engine *se = &run->stack->engine;
	char ip[IPV4_STRLEN], *h = NULL;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (se->host && strcspn(se->host, CONTROL_BYTES) != strlen(se->host)) {
		char q[80];

		return err_setk(err, ERRK_INVALID,
		                "engine host '%s': control characters are not allowed",
		                text_quote(se->host, strlen(se->host), q, sizeof(q)));
	}
	if (se->host == NULL) {
		ipv4_format(run->stack->vm.address, ip);
		e->host = xasprintf("tcp://%s:%d", ip, ENGINE_VM_PORT);
		e->in_vm = 1;
		if (own_pki(run, ensure, ip, e, err) < 0)
			goto out;
	} else if (strncmp(se->host, "unix://", 7) == 0) {
		if (se->host[7] != '/') {
			err_setk(err, ERRK_INVALID,
			         "engine host '%s': expected unix:///PATH (an absolute path)",
			         se->host);
			goto out;
		}
		e->host = xstrdup(se->host);
	} else if (strncmp(se->host, "tcp://", 6) == 0) {
		if (tcp_host(se->host, &h, err) < 0)
			goto out;
		e->host = xstrdup(se->host);
		if (se->cert_path == NULL) {
			if (own_pki(run, ensure, h, e, err) < 0)
				goto out;
		} else {
			e->cert_path = xstrdup(se->cert_path);
			if (cert_file(se->cert_path, "ca.pem", &e->ca, err) < 0 ||
			    cert_file(se->cert_path, "cert.pem", &e->cert, err) < 0 ||
			    cert_file(se->cert_path, "key.pem", &e->key, err) < 0)
				goto out;
		}
	} else {
		err_setk(err, ERRK_INVALID,
		         "engine host '%s': expected tcp://HOST:PORT (mutual TLS) or unix:///PATH",
		         se->host);
		goto out;
	}
	e->conn.host = e->host;
	e->conn.ca = e->ca;
	e->conn.cert = e->cert;
	e->conn.key = e->key;
	rc = 0;
out:
	free(h);
	if (rc < 0)
		engine_release(e);
	return rc;
}

void engine_release(struct engine *e)
{
	free(e->host);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e->cert_path);
	memset(e, 0, sizeof(*e));
}

/* docker_open's errors name the engine already ("cannot reach the engine at ..."). */
int engine_connect(const struct engine *e, struct docker **out, struct err *err)
{
	return docker_open(&e->conn, 0, out, err);
}

/* ---- provision: the VM's engine --------------------------------------- */

/* Where the profile's script installs the engine's files in the VM. */
#define ENGINE_CONF     "/etc/ftboot/engine"
#define ENGINE_FILE_MAX (64u << 10) /* a certificate, key or script */
#define ENGINE_TRY_MS   5000        /* one attempt to reach the engine */
#define ENGINE_SSH_MS   30000       /* connecting, and each short command */
#define ENGINE_OUT_MAX  (256u << 10)

/* What provision puts into the VM, and the SHA-256 of all of it. */
struct payload {
	struct buf ca, cert, key, script;
	char digest[CRYPTO_HEX_MAX];
};

static void payload_release(struct payload *pl)
{
	/* The server's private key: wiped before the memory goes back. */
	if (pl->key.data)
		explicit_bzero(pl->key.data, pl->key.len);
	buf_release(&pl->ca);
	buf_release(&pl->cert);
	buf_release(&pl->key);
	buf_release(&pl->script);
}

/*
 * Read the server's files and the setup script; the digest is of them
 * in the order the VM's check reads them back (ca, cert, key, script).
 */
static int payload_read(struct payload *pl, const struct pki *p, const char *script,
                        struct err *err)
{
	struct crypto_hash *h;

	buf_init(&pl->ca, ENGINE_FILE_MAX);
	buf_init(&pl->cert, ENGINE_FILE_MAX);
	buf_init(&pl->key, ENGINE_FILE_MAX);
	buf_init(&pl->script, ENGINE_FILE_MAX);
	if (fs_read(p->server_ca, ENGINE_FILE_MAX, &pl->ca, err) < 0 ||
	    fs_read(p->server_cert, ENGINE_FILE_MAX, &pl->cert, err) < 0 ||
	    fs_read(p->server_key, ENGINE_FILE_MAX, &pl->key, err) < 0 ||
	    fs_read(script, ENGINE_FILE_MAX, &pl->script, err) < 0)
		return -1;
	h = crypto_hash_new(CRYPTO_SHA256);
	crypto_hash_update(h, pl->ca.data, pl->ca.len);
	crypto_hash_update(h, pl->cert.data, pl->cert.len);
	crypto_hash_update(h, pl->key.data, pl->key.len);
	crypto_hash_update(h, pl->script.data, pl->script.len);
	crypto_hash_final(h, pl->digest);
	return 0;
}

/*
 * 1 if what is installed in the VM is what pl holds, 0 if not. Only the
 * digest's line of stdout counts: sudo may warn on stderr first ("unable
 * to resolve host").
 */
static int installed_matches(struct ssh *s, const struct vm *vm, const struct payload *pl,
                             struct err *err)
{
	const char *argv[] = {"sh", "-c",
	                      "cat " ENGINE_CONF "/ca.pem " ENGINE_CONF "/cert.pem " ENGINE_CONF
	                      "/key.pem " ENGINE_CONF "/setup.sh 2>/dev/null | sha256sum"};
	struct buf out = BUF_INIT(4096), errout = BUF_INIT(4096);
	int status = 0, rc = -1;

	if (vm_exec_root(s, argv, 3, &out, &errout, &status, err) < 0)
		goto out;
	if (status != 0) {
		err_setk(err, ERRK_DENIED,
		         "cannot run a command as root in vm '%s' (sudo -n, or doas -n): exit %d",
		         vm->dom, status);
		vm_output_tail(err, "", &errout);
		goto out;
	}
	rc = out.len > 64 && memcmp(out.data, pl->digest, 64) == 0 && out.data[64] == ' ';
out:
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

/*
 * Upload pl into a private temporary directory of the VM (the key over
 * SFTP or the shell's stdin, never on a command line) and run the
 * profile's script there as root: `sh DIR/setup.sh install ADDRESS DIR`.
 * The directory is removed whatever happens.
 */
static int install(struct ssh *s, const struct vm *vm, const struct payload *pl, int timeout_s,
                   struct err *err)
{
	static const struct {
		const char *name;
		int mode;
	} files[] = {{"ca.pem", 0600}, {"cert.pem", 0600}, {"key.pem", 0600}, {"setup.sh", 0700}};
	const struct buf *data[] = {&pl->ca, &pl->cert, &pl->key, &pl->script};
	struct buf out = BUF_INIT(ENGINE_OUT_MAX);
	char *dir = NULL, *path = NULL, *script = NULL, *rm = NULL;
	struct err ignored;
	size_t i;
	int status = 0, rc = -1;

	if (ssh_exec(s, "umask 077 && mktemp -d /tmp/ftboot-engine.XXXXXX", &out, NULL, &status,
	             err) < 0)
		goto out;
	while (out.len > 0 && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
	if (status != 0 || strncmp(buf_cstr(&out), "/tmp/ftboot-engine.", 19) != 0 ||
	    strcspn(buf_cstr(&out), "'\"\\$`\n ") != out.len) {
		err_set(err, ERR_FAIL,
		        "cannot make a private temporary directory in vm '%s' (mktemp -d)",
		        vm->dom);
		goto out;
	}
	dir = xstrdup(buf_cstr(&out));
	rm = xasprintf("rm -rf '%s'", dir);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		free(path);
		path = xasprintf("%s/%s", dir, files[i].name);
		if (ssh_upload(s, data[i]->data, data[i]->len, path, files[i].mode, err) < 0) {
			err_wrap(err, "upload the engine's %s to vm '%s'", files[i].name, vm->dom);
			goto out;
		}
	}
	script = xasprintf("%s/setup.sh", dir);
	{
		const char *argv[] = {"sh", script, "install", vm->ip, dir};

		ssh_set_timeout(s, (timeout_s > 60 ? timeout_s : 60) * 1000 * 2);
		buf_reset(&out);
		if (vm_exec_root(s, argv, 5, &out, &out, &status, err) < 0)
			goto out;
	}
	if (status != 0) {
		err_set(err, ERR_FAIL, "the engine setup script '%s' failed in vm '%s' (exit %d)",
		        vm->profile->engine_setup, vm->dom, status);
		vm_output_tail(err, "its output:\n", &out);
		goto out;
	}
	rc = 0;
out:
	ssh_set_timeout(s, ENGINE_SSH_MS);
	if (rm)
		ssh_exec(s, rm, NULL, NULL, NULL, &ignored);
	buf_release(&out);
	free(rm);
	free(script);
	free(path);
	free(dir);
	return rc;
}

/* What the VM says of its engine (`setup.sh status`), appended to err. */
static void vm_says(struct ssh *s, const struct vm *vm, struct err *err)
{
	const char *argv[] = {"sh", ENGINE_CONF "/setup.sh", "status"};
	struct buf out = BUF_INIT(ENGINE_OUT_MAX);
	struct err e2;
	char intro[512];
	int status = 0;

	snprintf(intro, sizeof(intro), "what vm '%s' reports (%s status):\n", vm->dom,
	         vm->profile->engine_setup);
	if (vm_exec_root(s, argv, 3, &out, &out, &status, &e2) < 0)
		err_suffix(err, "\n%s(could not ask: %s)", intro, e2.msg);
	else
		vm_output_tail(err, intro, &out);
	buf_release(&out);
}

/*
 * Wait, until timeout_s have passed, for the engine to answer over
 * verified mutual TLS. On the deadline: what it waited for, the last
 * answer, and what the VM reports.
 */
static int wait_engine(struct vm *vm, struct ssh *s, const struct engine *e, int timeout_s,
                       struct docker **d, struct err *err)
{
	double deadline = mono_now() + timeout_s;

	report_step(vm->report, "engine at %s (mutual TLS, up to %d s)", e->host, timeout_s);
	for (;;) {
		if (docker_open(&e->conn, ENGINE_TRY_MS, d, err) == 0)
			break;
		if (err->kind == ERRK_INVALID || err->kind == ERRK_UNSUPPORTED)
			return -1;
		if (mono_now() >= deadline) {
			char last[ERR_MSG_MAX];

			snprintf(last, sizeof(last), "%s", err->msg);
			err_setk(
			    err, ERRK_TIMEOUT,
			    "the engine of vm '%s' did not answer at %s over mutual TLS within %d "
			    "s (engine.timeout in %s); last attempt: %s",
			    vm->dom, e->host, timeout_s, vm->profile->path, last);
			vm_says(s, vm, err);
			return -1;
		}
		mono_nap(1000);
	}
	{
		char how[256];

		snprintf(how, sizeof(how), "answers: Docker %s, API %s", docker_server_version(*d),
		         docker_api_version(*d));
		report_done(vm->report, how);
	}
	return 0;
}

/* An engine that is not the VM's: checked, not set up. */
static int external(struct run *run, const struct engine *e, struct err *err)
{
	struct docker *d = NULL;
	char how[256];

	report_step(run->report, "engine at %s: external, not provisioned", e->host);
	if (engine_connect(e, &d, err) < 0)
		return -1;
	snprintf(how, sizeof(how), "answers: Docker %s, API %s", docker_server_version(d),
	         docker_api_version(d));
	docker_close(d);
	report_done(run->report, how);
	return 0;
}

int engine_provision(struct run *run, struct err *err)
{
	struct engine e = {0};
	struct pki p = {0};
	struct payload pl = {0};
	struct vm vm;
	struct ssh *s = NULL;
	struct docker *d = NULL;
	const char *hosts[2];
	struct err quick;
	int match, rc = -1;

	if (vm_open(&vm, run, err) < 0)
		goto out;
	/*
	 * The VM's PKI is ensured below, once, so that p.changed says whether
	 * this run made or renewed anything; an external engine's here.
	 */
	if (engine_resolve(run, 0, &e, err) < 0)
		goto out;
	if (!e.in_vm) {
		engine_release(&e);
		if (engine_resolve(run, 1, &e, err) == 0)
			rc = external(run, &e, err);
		goto out;
	}
	if (vm.profile == NULL && profile_load(run->stack, &vm.profile, err) < 0)
		goto out;
	if (vm.profile->engine_setup == NULL) {
		err_set(err, ERR_FAIL,
		        "VM profile '%s' names no engine setup script; add engine: {setup: "
		        "engine.sh} to %s (see images/alpine/engine.sh)",
		        vm.profile->name, vm.profile->path);
		goto out;
	}
	hosts[0] = vm.ip;
	hosts[1] = NULL;
	if (pki_ensure(&p, run->state, hosts, 0, err) < 0 ||
	    payload_read(&pl, &p, vm.profile->engine_setup, err) < 0)
		goto out;
	if (vm_ssh(&vm, ENGINE_SSH_MS, &s, err) < 0) {
		err_wrap(err, "reach vm '%s' to set up its engine (is it up? ftboot up --until vm)",
		         vm.dom);
		goto out;
	}
	report_step(run->report, "engine certificates and setup in vm '%s'", vm.dom);
	match = installed_matches(s, &vm, &pl, err);
	if (match < 0)
		goto out;
	/*
	 * Up to date, and the engine answers: nothing to do. Refused (not
	 * running) or refusing ftboot's certificate: set up again, which
	 * restarts it. Not answering at all (a network that drops packets, a
	 * hung dockerd): a restart would not help; the wait below says so.
	 */
	if (match && docker_open(&e.conn, ENGINE_TRY_MS, &d, &quick) < 0 &&
	    quick.kind != ERRK_TIMEOUT) {
		report_done(run->report, "up to date, but the engine does not answer");
		report_warn(run->report, "engine at %s: %s; setting it up again", e.host,
		            quick.msg);
		report_step(run->report, "engine certificates and setup in vm '%s'", vm.dom);
		match = 0;
	}
	docker_close(d);
	d = NULL;
	if (match) {
		report_done(run->report, "up to date");
	} else {
		if (install(s, &vm, &pl, vm.profile->engine_timeout, err) < 0)
			goto out;
		report_done(run->report, p.changed
		                             ? "installed (new certificates), dockerd restarted"
		                             : "installed, dockerd restarted");
	}
	if (wait_engine(&vm, s, &e, vm.profile->engine_timeout, &d, err) < 0)
		goto out;
	rc = 0;
out:
	docker_close(d);
	ssh_close(s);
	payload_release(&pl);
	pki_release(&p);
	engine_release(&e);
	vm_close(&vm);
	return rc;
}

/* ---- status ------------------------------------------------------------ */

/* "2029-12-01" (UTC) of the certificate at path into out, or "unreadable". */
static void cert_end(const char *path, char *out, size_t size, long long *when)
{
	struct buf pem = BUF_INIT(ENGINE_FILE_MAX);
	struct crypto_cert_info info = {0};
	struct err ignored;
	struct tm tm;
	time_t t;

	*when = 0;
	snprintf(out, size, "unreadable");
	if (fs_read(path, ENGINE_FILE_MAX, &pem, &ignored) == 0 &&
	    crypto_cert_read(buf_cstr(&pem), &info, &ignored) == 0) {
		t = (time_t)info.not_after;
		*when = info.not_after;
		if (gmtime_r(&t, &tm))
			strftime(out, size, "%Y-%m-%d", &tm);
		crypto_cert_info_release(&info);
	}
	buf_release(&pem);
}

/* Add "certs" to text and json: when each certificate ftboot uses ends. */
static void status_certs(const struct run *run, const struct engine *e, struct buf *text,
                         struct doc_node *json)
{
	struct pki p = {0};
	char client[32], server[32];
	long long cw, sw;

	if (!e->own_pki) {
		cert_end(e->cert, client, sizeof(client), &cw);
		buf_addf(text, "certs      client until %s (%s)\n", client, e->cert);
		doc_map_set(json, "client_cert_until", doc_new_str(client));
		return;
	}
	pki_paths(&p, run->state);
	cert_end(p.cert, client, sizeof(client), &cw);
	cert_end(p.server_cert, server, sizeof(server), &sw);
	buf_addf(text, "certs      client until %s, server until %s (renewed by ftboot up)\n",
	         client, server);
	doc_map_set(json, "client_cert_until", doc_new_str(client));
	doc_map_set(json, "server_cert_until", doc_new_str(server));
	pki_release(&p);
}

int engine_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct engine e = {0};
	struct pki p = {0};
	struct docker *d = NULL;
	struct doc_node *j;
	struct err why;
	const char *whose;
	int set_up = 1;

	*json = NULL;
	if (engine_resolve(run, 0, &e, err) < 0)
		return -1;
	whose = e.in_vm ? "the VM's" : "external";
	j = doc_new(DOC_MAP);
	doc_map_set(j, "host", doc_new_str(e.host));
	doc_map_set(j, "in_vm", doc_new_bool(e.in_vm));
	doc_map_set(j, "tls", doc_new_bool(e.ca != NULL));
	if (e.own_pki) {
		pki_paths(&p, run->state);
		set_up = pki_exists(&p);
		pki_release(&p);
	}
	doc_map_set(j, "set_up", doc_new_bool(set_up));
	if (!set_up) {
		buf_addf(text, "engine     %s (%s), not set up (ftboot up --until provision)\n",
		         e.host, whose);
		goto done;
	}
	if (docker_open(&e.conn, 2000, &d, &why) == 0) {
		buf_addf(text, "engine     %s (%s), Docker %s, API %s\n", e.host, whose,
		         docker_server_version(d), docker_api_version(d));
		doc_map_set(j, "answers", doc_new_bool(1));
		doc_map_set(j, "version", doc_new_str(docker_server_version(d)));
		doc_map_set(j, "api", doc_new_str(docker_api_version(d)));
		docker_close(d);
	} else {
		buf_addf(text, "engine     %s (%s), not answering: %s\n", e.host, whose, why.msg);
		doc_map_set(j, "answers", doc_new_bool(0));
		doc_map_set(j, "error", doc_new_str(why.msg));
	}
	if (e.ca) {
		buf_addf(text, "tls        mutual, %s; DOCKER_CERT_PATH %s\n",
		         e.own_pki ? "ftboot's CA" : "the stack's cert_path", e.cert_path);
		doc_map_set(j, "cert_path", doc_new_str(e.cert_path));
		status_certs(run, &e, text, j);
	} else {
		buf_addstr(text, "tls        none (a unix socket)\n");
	}
done:
	*json = doc_new(DOC_MAP);
	doc_map_set(*json, "engine", j);
	engine_release(&e);
	return 0;
}
