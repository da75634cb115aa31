/*
 * engine: which container engine the stack builds in and how ftboot
 * reaches it (engine_resolve, engine_connect), and the provision step's
 * engine part, which sets up the VM's own dockerd for mutual TLS
 * (engine_provision).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "fs.h"
#include "ipv4.h"
#include "xmem.h"

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

/* dir/name, which must be a regular file (DOCKER_CERT_PATH's rule). */
static int cert_file(const char *dir, const char *name, char **out, struct err *err)
{
	char *path = path_join(dir, name);
	struct stat sb;
	const char *what = NULL;
	int e = 0;

	if (stat(path, &sb) < 0)
		what = (e = errno) == ENOENT ? "is missing" : strerror(e);
	else if (!S_ISREG(sb.st_mode))
		what = S_ISDIR(sb.st_mode) ? "is a directory, not a file" : "is not a regular file";
	if (what) {
		err_setk(err, e == EACCES ? ERRK_DENIED : ERRK_INVALID,
		         "engine cert_path '%s': '%s' %s; the directory must hold ca.pem, cert.pem "
		         "and key.pem (the engine's CA, the client certificate and its key), as "
		         "DOCKER_CERT_PATH does",
		         dir, path, what);
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

int engine_connect(const struct engine *e, struct docker **out, struct err *err)
{
	if (docker_open(&e->conn, 0, out, err) < 0)
		return err_wrap(err, "engine at %s", e->host);
	return 0;
}
