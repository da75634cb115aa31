/*
 * engine: which container engine the stack builds in, and how ftboot
 * reaches it. By default the VM's own dockerd, at tcp://<vm.address>:2376
 * with mutual TLS (pki.h); the stack's `engine:` section can name
 * another one (`host: tcp://HOST:PORT` with ftboot's PKI or
 * `cert_path: DIR` holding ca.pem, cert.pem and key.pem, or
 * `host: unix:///path`).
 *
 * For the VM's engine, engine_provision (the provision step) puts the
 * server certificate into the VM over the pinned SSH and runs the
 * profile's engine setup script, which makes dockerd listen on
 * VM_IP:2376 with --tlsverify and on its unix socket; then it waits,
 * with a bound, until the engine answers over verified TLS.
 */
#ifndef FTBOOT_ENGINE_H
#define FTBOOT_ENGINE_H

#include "docker.h"
#include "err.h"
#include "pki.h"
#include "step.h"

struct engine {
	struct docker_engine conn; /* host and TLS files, pointing into the fields below */
	char *host;
	char *ca, *cert, *key; /* NULL for unix:// */
	char *cert_path;       /* the directory of ca/cert/key (DOCKER_CERT_PATH) */
	int in_vm;             /* the VM's own engine: its images go with the VM */
	int own_pki;           /* the certificates are ftboot's (pki.h) */
};

/*
 * Resolve the stack's engine. With ensure, make or renew ftboot's PKI
 * when the engine uses it (pki_ensure for the engine's address); without,
 * only name the paths (docker-env, down). Release with engine_release.
 */
int engine_resolve(const struct run *run, int ensure, struct engine *e, struct err *err);

void engine_release(struct engine *e);

/* Connect (docker_open) to the resolved engine. */
int engine_connect(const struct engine *e, struct docker **out, struct err *err);

/* The provision step's engine part (above). Idempotent. */
int engine_provision(struct run *run, struct err *err);

/*
 * The provision step's status (step.h): the engine's address, whether
 * it answers (a ping bounded to 2 s) with its version, its TLS, and when
 * its certificates end. An engine that does not answer is said, not an
 * error.
 */
int engine_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

#endif
