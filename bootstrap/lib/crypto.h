/*
 * crypto: hashes and keys, through OpenSSL's libcrypto (the only file
 * that includes OpenSSL headers is crypto.c).
 *
 * - SHA-256 and SHA-512, streaming, as lowercase hex: download checks,
 *   content hashes.
 * - ed25519 key pairs in OpenSSH's own formats, so that ftboot can make
 *   the VM's host key and its user key itself and pin the host key
 *   before first contact (no trust on first use).
 * - X.509 for the container engine's small CA (pki.h): ECDSA P-256 keys
 *   and certificates, in PEM, made and checked.
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

/*
 * The public line "TYPE BASE64" (no comment) of an unencrypted OpenSSH
 * private key (its public half is stored beside the private one). Caller
 * owns *public_line. ERRK_INVALID if private_pem is not such a key.
 */
int crypto_openssh_public(const char *private_pem, char **public_line, struct err *err);

/*
 * A new ECDSA P-256 private key, PEM (PKCS#8, "-----BEGIN PRIVATE KEY-----",
 * unencrypted). Caller frees it with crypto_key_free.
 */
int crypto_ec_key(char **key_pem, struct err *err);

/* Wipe and free a private key's PEM; NULL-safe. */
void crypto_key_free(char *key_pem);

enum crypto_cert_kind {
	CRYPTO_CERT_CA,     /* CA:TRUE (critical), keyCertSign, cRLSign */
	CRYPTO_CERT_SERVER, /* CA:FALSE, digitalSignature, keyEncipherment, serverAuth */
	CRYPTO_CERT_CLIENT  /* ... clientAuth */
};

struct crypto_cert_req {
	enum crypto_cert_kind kind;
	const char *cn;                  /* the subject's commonName (UTF-8) */
	const char *const *sans;         /* NULL-terminated "IP:a.b.c.d", "DNS:name"; or NULL */
	long long not_before, not_after; /* Unix times */
	const char *issuer_cert, *issuer_key; /* PEM; both NULL: self-signed */
};

/*
 * A certificate (PEM, into *cert_pem, caller frees) for the public half
 * of key_pem, as req says: a random positive 128-bit serial, subject and
 * authority key identifiers, signed with SHA-256 by the issuer's key (or
 * key_pem itself).
 */
int crypto_cert_make(const struct crypto_cert_req *req, const char *key_pem, char **cert_pem,
                     struct err *err);

/* What crypto_cert_read tells of a certificate. */
struct crypto_cert_info {
	long long not_before, not_after;  /* Unix times */
	int is_ca;                        /* basicConstraints CA:TRUE */
	char **sans;                      /* NULL-terminated "IP:..."/"DNS:...", in order */
	char fingerprint[CRYPTO_HEX_MAX]; /* SHA-256 of the DER, lowercase hex */
};

/* Read the first certificate of cert_pem. Error (ERRK_INVALID) if none parses. */
int crypto_cert_read(const char *cert_pem, struct crypto_cert_info *info, struct err *err);

void crypto_cert_info_release(struct crypto_cert_info *info);

/*
 * 0 if cert_pem names ca_pem's subject as its issuer and its signature
 * verifies with ca_pem's public key; else -1, ERRK_INVALID, saying which.
 */
int crypto_cert_signed_by(const char *cert_pem, const char *ca_pem, struct err *err);

/* 0 if cert_pem's public key is key_pem's; else -1, ERRK_INVALID. */
int crypto_cert_matches_key(const char *cert_pem, const char *key_pem, struct err *err);

/*
 * The pin of cert_pem's public key as curl takes it: "sha256//" and the
 * base64 of the SHA-256 of its DER SubjectPublicKeyInfo. Caller frees *out.
 */
int crypto_cert_pubkey_pin(const char *cert_pem, char **out, struct err *err);

/* libcrypto's version ("OpenSSL 3.0.x ..."). Static. */
const char *crypto_version(void);

#endif
