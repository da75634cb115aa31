/*
 * pki: the certificates of the stack's container engine, the scheme of
 * docker-machine and minikube: ftboot is a small CA; it issues the
 * engine a server certificate for the addresses it listens on, and
 * itself (and the user's docker CLI, `ftboot docker-env`) a client
 * certificate. The engine runs with --tlsverify, so only holders of a
 * certificate from this CA get in, and ftboot trusts only this CA.
 *
 * In the state directory (0700 directories, 0600 files):
 *
 *	engine/ca-key.pem             the CA's key (never leaves the state)
 *	engine/client/ca.pem          the CA certificate   } DOCKER_CERT_PATH:
 *	engine/client/cert.pem        the client's          } what the docker
 *	engine/client/key.pem         its key               } CLI expects there
 *	engine/server/ca.pem          the CA certificate   } what the engine
 *	engine/server/cert.pem        the server's          } is started with
 *	engine/server/key.pem         its key               }
 *
 * Keys are ECDSA P-256. The CA is valid for 10 years, the leaves for 3
 * (minikube's lifetimes). Everything is made once and reused; a leaf is
 * renewed when it ends within 30 days, is not signed by the CA, does not
 * match its key, or (the server's) does not name exactly the hosts asked
 * for; the CA and both leaves are remade when the CA ends within 30 days
 * or any of its files is unreadable. libcrypto is reached through
 * crypto.h only.
 *
 * Details: notBefore is a day back (the VM's clock may lag); a leaf never
 * outlives the CA; a renewed leaf gets a new key; server/ca.pem is a copy
 * of client/ca.pem, rewritten when it differs. A regular file that does
 * not read or parse is remade; anything else where a file or directory
 * goes (a directory, FIFO, symbolic link) is an error naming it.
 */
#ifndef FTBOOT_PKI_H
#define FTBOOT_PKI_H

#include "err.h"
#include "state.h"

struct pki {
	char *dir;         /* <state>/engine */
	char *ca_key;      /* <dir>/ca-key.pem */
	char *client_dir;  /* <dir>/client: DOCKER_CERT_PATH */
	char *ca;          /* <client_dir>/ca.pem */
	char *cert;        /* <client_dir>/cert.pem */
	char *key;         /* <client_dir>/key.pem */
	char *server_dir;  /* <dir>/server */
	char *server_ca;   /* <server_dir>/ca.pem */
	char *server_cert; /* <server_dir>/cert.pem */
	char *server_key;  /* <server_dir>/key.pem */
	int changed;       /* pki_ensure made or renewed a file this time */
};

/*
 * The paths of st's PKI, without touching the disk (for `docker-env`
 * and `down`, which must not create it). Release with pki_release.
 */
void pki_paths(struct pki *p, const struct state *st);

/* 1 if every file of the PKI exists. */
int pki_exists(const struct pki *p);

/*
 * Make or renew what is needed (above) so that the CA, the client
 * certificate and a server certificate for hosts (NULL-terminated: IPv4
 * addresses or DNS names, as IP or DNS subjectAltNames) are valid at
 * now (a Unix time; 0: the clock) for 30 days at least. Fills p (as
 * pki_paths) and sets p->changed. Each file is written atomically.
 */
int pki_ensure(struct pki *p, const struct state *st, const char *const *hosts, long long now,
               struct err *err);

void pki_release(struct pki *p);

#endif
