/*
 * crypto: hashes and keys, through OpenSSL's libcrypto (the only file
 * that includes OpenSSL headers is crypto.c).
 *
 * - SHA-256 and SHA-512, streaming, as lowercase hex: download checks,
 *   content hashes.
 * - ed25519 key pairs in OpenSSH's own formats, so that ftboot can make
 *   the VM's host key and its user key itself and pin the host key
 *   before first contact (no trust on first use).
 */
#ifndef FTBOOT_CRYPTO_H
#define FTBOOT_CRYPTO_H

#include <stddef.h>

#include "err.h"

enum crypto_alg { CRYPTO_SHA256, CRYPTO_SHA512 };

/* Hex digest sizes, with the NUL. */
#define CRYPTO_HEX_MAX 129

struct crypto_hash; /* opaque */

/* Start a hash. Never NULL (aborts if libcrypto cannot). */
struct crypto_hash *crypto_hash_new(enum crypto_alg alg);

void crypto_hash_update(struct crypto_hash *h, const void *data, size_t len);

/* Finish: lowercase hex digest into hex; frees h. */
void crypto_hash_final(struct crypto_hash *h, char hex[CRYPTO_HEX_MAX]);

/* Hash a whole file. */
int crypto_hash_file(const char *path, enum crypto_alg alg, char hex[CRYPTO_HEX_MAX],
                     struct err *err);

/* Hash a buffer (one call). */
void crypto_hash_buf(enum crypto_alg alg, const void *data, size_t len, char hex[CRYPTO_HEX_MAX]);

struct crypto_keypair {
	char *private_pem; /* "-----BEGIN OPENSSH PRIVATE KEY-----\n..." unencrypted */
	char *public_line; /* "ssh-ed25519 AAAA... COMMENT" (no newline) */
	char *fingerprint; /* "SHA256:..." as ssh-keygen -l prints it */
};

/*
 * A new ed25519 key pair in OpenSSH formats, with comment (may be "").
 * ssh-keygen, sshd and libssh2 read the private key as written.
 */
int crypto_ed25519_generate(const char *comment, struct crypto_keypair *out, struct err *err);

/* Free the three strings (wiping the private key first); NULL-safe. */
void crypto_keypair_release(struct crypto_keypair *kp);

/*
 * The OpenSSH fingerprint ("SHA256:" + unpadded base64 of SHA-256) of a
 * public key blob in SSH wire format (what libssh2_session_hostkey gives).
 * Caller owns the result.
 */
char *crypto_fingerprint(const void *blob, size_t len);

/*
 * The fingerprint of a public key line "TYPE BASE64 [COMMENT]". Error if
 * the line is not of that form.
 */
int crypto_fingerprint_line(const char *line, char **out, struct err *err);

/* libcrypto's version ("OpenSSL 3.0.x ..."). Static. */
const char *crypto_version(void);

#endif
