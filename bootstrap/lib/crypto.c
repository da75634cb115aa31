/*
 * crypto: the OpenSSL module. SHA-256/SHA-512 through EVP digests, and
 * ed25519 keys written in OpenSSH's own formats: the private key file
 * ("openssh-key-v1", unencrypted), the public key line and its SHA256
 * fingerprint. The file format is PROTOCOL.key in OpenSSH's sources;
 * the wire encodings (uint32, string) are RFC 4251 section 5.
 * Private key material is wiped (OPENSSL_cleanse) before memory is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "text.h"
#include "xmem.h"

#define CRYPTO_ED25519_LEN 32 /* raw public key and private seed */
#define CRYPTO_PEM_BEGIN   "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define CRYPTO_PEM_END     "-----END OPENSSH PRIVATE KEY-----\n"
#define CRYPTO_PEM_COLS    70 /* as ssh-keygen wraps */
#define CRYPTO_LINE_MAX    16384

struct crypto_hash {
	EVP_MD_CTX *ctx;
};

/* libcrypto failing to set up a digest is as fatal as running out of memory. */
static void crypto_die(const char *what)
{
	fprintf(stderr, "ftboot: libcrypto: %s failed\n", what);
	abort();
}

struct crypto_hash *crypto_hash_new(enum crypto_alg alg)
{
	struct crypto_hash *h = xmalloc(sizeof(*h));
	const EVP_MD *md = alg == CRYPTO_SHA512 ? EVP_sha512() : EVP_sha256();

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || md == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		crypto_die("digest init");
	return h;
}

void crypto_hash_update(struct crypto_hash *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		crypto_die("digest update");
}

static void crypto_hex(const unsigned char *md, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
}

void crypto_hash_final(struct crypto_hash *h, char hex[CRYPTO_HEX_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len * 2 + 1 > CRYPTO_HEX_MAX)
		crypto_die("digest final");
	crypto_hex(md, len, hex);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int crypto_hash_file(const char *path, enum crypto_alg alg, char hex[CRYPTO_HEX_MAX],
                     struct err *err)
{
	struct crypto_hash *h = NULL;
	char chunk[65536];
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errno, "cannot hash '%s'", path);
	h = crypto_hash_new(alg);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, errno, "cannot hash '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		crypto_hash_update(h, chunk, (size_t)n);
	}
	crypto_hash_final(h, hex);
	h = NULL;
	rc = 0;
out:
	if (h) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
	}
	close(fd);
	return rc;
}

void crypto_hash_buf(enum crypto_alg alg, const void *data, size_t len, char hex[CRYPTO_HEX_MAX])
{
	struct crypto_hash *h = crypto_hash_new(alg);

	crypto_hash_update(h, data, len);
	crypto_hash_final(h, hex);
}

/*
 * SSH wire encoding into a buffer sized in advance (so that private
 * material is never left behind in memory a realloc let go of).
 */
struct crypto_wire {
	unsigned char *p;
	size_t len, cap;
};

static void crypto_put_u32(struct crypto_wire *w, uint32_t v)
{
	if (w->cap - w->len < 4)
		abort();
	w->p[w->len++] = (unsigned char)(v >> 24);
	w->p[w->len++] = (unsigned char)(v >> 16);
	w->p[w->len++] = (unsigned char)(v >> 8);
	w->p[w->len++] = (unsigned char)v;
}

static void crypto_put_raw(struct crypto_wire *w, const void *data, size_t len)
{
	if (w->cap - w->len < len)
		abort();
	if (len > 0)
		memcpy(w->p + w->len, data, len);
	w->len += len;
}

static void crypto_put_string(struct crypto_wire *w, const void *data, size_t len)
{
	crypto_put_u32(w, (uint32_t)len);
	crypto_put_raw(w, data, len);
}

static void crypto_put_cstr(struct crypto_wire *w, const char *s)
{
	crypto_put_string(w, s, strlen(s));
}

/* The ed25519 public key blob: string "ssh-ed25519", string pub. */
#define CRYPTO_ED25519_BLOB_LEN (4 + 11 + 4 + CRYPTO_ED25519_LEN)

static void crypto_ed25519_blob(const unsigned char *pub, unsigned char *blob)
{
	struct crypto_wire w = {blob, 0, CRYPTO_ED25519_BLOB_LEN};

	crypto_put_cstr(&w, "ssh-ed25519");
	crypto_put_string(&w, pub, CRYPTO_ED25519_LEN);
}

/*
 * The whole "openssh-key-v1" structure for one unencrypted ed25519 key.
 * Returns a buffer of *len bytes that the caller wipes and frees.
 */
static unsigned char *crypto_openssh_key(const unsigned char *seed, const unsigned char *pub,
                                         const unsigned char *blob, const char *comment,
                                         size_t *len)
{
	static const char magic[] = "openssh-key-v1"; /* written with its NUL */
	size_t clen = strlen(comment), priv_len, total;
	unsigned char check[4], pad, i;
	struct crypto_wire w;

	if (RAND_bytes(check, sizeof(check)) != 1)
		crypto_die("RAND_bytes");
	/* checkint x2, string type, string pub, string seed||pub, string comment */
	priv_len =
	    8 + (4 + 11) + (4 + CRYPTO_ED25519_LEN) + (4 + 2 * CRYPTO_ED25519_LEN) + (4 + clen);
	pad = (unsigned char)((8 - priv_len % 8) % 8);
	total = sizeof(magic) + (4 + 4) + (4 + 4) + 4 + 4 + (4 + CRYPTO_ED25519_BLOB_LEN) +
	        (4 + priv_len + pad);
	w.p = xmalloc(total);
	w.len = 0;
	w.cap = total;

	crypto_put_raw(&w, magic, sizeof(magic));
	crypto_put_cstr(&w, "none"); /* ciphername */
	crypto_put_cstr(&w, "none"); /* kdfname */
	crypto_put_cstr(&w, "");     /* kdfoptions */
	crypto_put_u32(&w, 1);       /* number of keys */
	crypto_put_string(&w, blob, CRYPTO_ED25519_BLOB_LEN);

	crypto_put_u32(&w, (uint32_t)(priv_len + pad));
	crypto_put_raw(&w, check, sizeof(check));
	crypto_put_raw(&w, check, sizeof(check));
	crypto_put_cstr(&w, "ssh-ed25519");
	crypto_put_string(&w, pub, CRYPTO_ED25519_LEN);
	crypto_put_u32(&w, 2 * CRYPTO_ED25519_LEN); /* OpenSSH's "private": seed || public */
	crypto_put_raw(&w, seed, CRYPTO_ED25519_LEN);
	crypto_put_raw(&w, pub, CRYPTO_ED25519_LEN);
	crypto_put_string(&w, comment, clen);
	for (i = 1; i <= pad; i++)
		crypto_put_raw(&w, &i, 1);
	if (w.len != total)
		abort();
	*len = total;
	return w.p;
}

/* Base64 of data wrapped at 70 columns between the PEM-style armour lines. */
static char *crypto_armour(const unsigned char *data, size_t len)
{
	char *b64 = text_base64(data, len, 0);
	size_t blen = strlen(b64), lines = (blen + CRYPTO_PEM_COLS - 1) / CRYPTO_PEM_COLS;
	size_t total = strlen(CRYPTO_PEM_BEGIN) + blen + lines + strlen(CRYPTO_PEM_END) + 1;
	char *out = xmalloc(total), *w = out;
	size_t i, n;

	memcpy(w, CRYPTO_PEM_BEGIN, strlen(CRYPTO_PEM_BEGIN));
	w += strlen(CRYPTO_PEM_BEGIN);
	for (i = 0; i < blen; i += n) {
		n = blen - i < CRYPTO_PEM_COLS ? blen - i : CRYPTO_PEM_COLS;
		memcpy(w, b64 + i, n);
		w += n;
		*w++ = '\n';
	}
	memcpy(w, CRYPTO_PEM_END, strlen(CRYPTO_PEM_END) + 1);
	OPENSSL_cleanse(b64, blen);
	free(b64);
	return out;
}

int crypto_ed25519_generate(const char *comment, struct crypto_keypair *out, struct err *err)
{
	unsigned char seed[CRYPTO_ED25519_LEN], pub[CRYPTO_ED25519_LEN];
	unsigned char blob[CRYPTO_ED25519_BLOB_LEN];
	unsigned char *key = NULL;
	size_t seed_len = sizeof(seed), pub_len = sizeof(pub), key_len = 0;
	EVP_PKEY *pkey = NULL;
	char *b64 = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (comment == NULL)
		comment = "";
	if (strpbrk(comment, "\r\n") != NULL)
		return err_set(err, ERR_FAIL, "invalid key comment: it must be a single line");
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		err_set(err, ERR_FAIL, "cannot generate an ed25519 key: libcrypto refused (%s)",
		        OpenSSL_version(OPENSSL_VERSION));
		goto out;
	}
	if (EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 || seed_len != sizeof(seed) ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1 || pub_len != sizeof(pub)) {
		err_set(err, ERR_FAIL, "cannot read the new ed25519 key from libcrypto");
		goto out;
	}
	crypto_ed25519_blob(pub, blob);
	key = crypto_openssh_key(seed, pub, blob, comment, &key_len);

	out->private_pem = crypto_armour(key, key_len);
	b64 = text_base64(blob, sizeof(blob), 0);
	out->public_line = *comment ? xasprintf("ssh-ed25519 %s %s", b64, comment)
	                            : xasprintf("ssh-ed25519 %s", b64);
	out->fingerprint = crypto_fingerprint(blob, sizeof(blob));
	rc = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	if (key) {
		OPENSSL_cleanse(key, key_len);
		free(key);
	}
	free(b64);
	EVP_PKEY_free(pkey);
	return rc;
}

void crypto_keypair_release(struct crypto_keypair *kp)
{
	if (kp == NULL)
		return;
	if (kp->private_pem) {
		OPENSSL_cleanse(kp->private_pem, strlen(kp->private_pem));
		free(kp->private_pem);
	}
	free(kp->public_line);
	free(kp->fingerprint);
	kp->private_pem = kp->public_line = kp->fingerprint = NULL;
}

char *crypto_fingerprint(const void *blob, size_t len)
{
	unsigned char md[32];
	char *b64, *fp;

	if (EVP_Digest(blob, len, md, NULL, EVP_sha256(), NULL) != 1)
		crypto_die("sha256");
	b64 = text_base64(md, sizeof(md), 1);
	fp = xasprintf("SHA256:%s", b64);
	free(b64);
	return fp;
}

static int crypto_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict standard base64 of s[0..len) into a new buffer (caller frees):
 * padding optional, no whitespace, no bits left over. -1 if malformed.
 */
static int crypto_unbase64(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
	unsigned char *p;
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	p = xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		int v = crypto_b64_value((unsigned char)s[i]);

		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical trailing bits */
		goto bad;
	*out = p;
	*out_len = n;
	return 0;
bad:
	free(p);
	return -1;
}

int crypto_fingerprint_line(const char *line, char **out, struct err *err)
{
	static const char hint[] = "expected 'TYPE BASE64 [COMMENT]' as in a .pub file";
	const char *type, *b64;
	size_t len, type_len, b64_len, blob_len = 0;
	unsigned char *blob = NULL;
	uint32_t name_len;
	char shown[80];
	int rc = -1;

	*out = NULL;
	len = strnlen(line, CRYPTO_LINE_MAX + 1);
	if (len > CRYPTO_LINE_MAX)
		return err_set(err, ERR_FAIL, "invalid public key: longer than %d bytes",
		               CRYPTO_LINE_MAX);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (memchr(line, '\n', len) != NULL || memchr(line, '\r', len) != NULL)
		return err_set(err, ERR_FAIL, "invalid public key: more than one line: %s", hint);
	type = line + strspn(line, " \t");
	type_len = strcspn(type, " \t\r\n");
	b64 = type + type_len;
	b64 += strspn(b64, " \t");
	b64_len = strcspn(b64, " \t\r\n");
	if (type_len == 0 || b64_len == 0)
		return err_set(err, ERR_FAIL, "invalid public key line: %s", hint);
	text_quote(type, type_len, shown, sizeof(shown));
	if (crypto_unbase64(b64, b64_len, &blob, &blob_len) < 0)
		return err_set(err, ERR_FAIL, "invalid public key '%s': bad base64: %s", shown,
		               hint);
	/* The blob starts with its own type name, which must match the line's. */
	if (blob_len < 4)
		goto mismatch;
	name_len =
	    (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (name_len != type_len || blob_len - 4 < name_len ||
	    memcmp(blob + 4, type, type_len) != 0)
		goto mismatch;
	*out = crypto_fingerprint(blob, blob_len);
	rc = 0;
	goto out;
mismatch:
	err_set(err, ERR_FAIL, "invalid public key '%s': the key data is not of that type: %s",
	        shown, hint);
out:
	free(blob);
	return rc;
}

const char *crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
