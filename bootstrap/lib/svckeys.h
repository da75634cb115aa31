/*
 * svckeys: the stack's own service keys, made by ftboot so that `ftboot
 * check` can pin them in advance (as vm.c pins the VM's host key): the
 * TLS certificate nginx (443) and vsftpd (21) serve, self-signed for the
 * LB address (R6), and the SSH host key of nginx's sshd (R8). render
 * hands them to the templates (${tls.cert}, ${tls.key},
 * ${ssh_host_key}, in the stack's Secret), the entry points use them
 * when mounted, and check trusts exactly these and nothing else.
 *
 * In the state directory (0700 directory, 0600 files):
 *
 *	service/tls-cert.pem             ECDSA P-256, CN and IP SAN the LB address
 *	service/tls-key.pem              its key
 *	service/ssh_host_ed25519_key     OpenSSH private key
 *	service/ssh_host_ed25519_key.pub its public line
 *
 * Made once and kept; the certificate is remade (with a new key) when it
 * does not name the LB address, ends within 30 days, or does not match
 * its key. The host key is never replaced once made.
 */
#ifndef FTBOOT_SVCKEYS_H
#define FTBOOT_SVCKEYS_H

#include "err.h"
#include "state.h"

struct svckeys {
	char *dir;          /* <state>/service */
	char *tls_cert;     /* <dir>/tls-cert.pem */
	char *tls_key;      /* <dir>/tls-key.pem */
	char *ssh_host_key; /* <dir>/ssh_host_ed25519_key */
	char *ssh_host_pub; /* <dir>/ssh_host_ed25519_key.pub */
};

/* The paths, without touching the disk. Release with svckeys_release. */
void svckeys_paths(struct svckeys *k, const struct state *st);

/*
 * Make what is missing or stale (above) for the LB address lb_ip (dotted
 * quad), at now (Unix time; 0: the clock). Fills k as svckeys_paths.
 */
int svckeys_ensure(struct svckeys *k, const struct state *st, const char *lb_ip, long long now,
                   struct err *err);

void svckeys_release(struct svckeys *k);

/* The files' contents, as render hands them to the templates. */
struct svckeys_text {
	char *tls_cert;     /* PEM certificate, or NULL when missing */
	char *tls_key;      /* PEM private key (secret), or NULL */
	char *ssh_host_key; /* OpenSSH private key (secret), or NULL */
	char *ssh_host_pub; /* "ssh-ed25519 AAAA... COMMENT\n", or NULL */
};

/*
 * Read what k's files hold into t, without making or changing anything
 * (check, render_vars_peek): a missing file is NULL; anything but a
 * regular file where one goes is an error naming it. Release t with
 * svckeys_text_release, which wipes the private keys.
 */
int svckeys_read(const struct svckeys *k, struct svckeys_text *t, struct err *err);

void svckeys_text_release(struct svckeys_text *t);

#endif
