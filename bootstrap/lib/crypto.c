/*
 * crypto: the OpenSSL module. SHA-256/SHA-512 through EVP digests, and
 * ed25519 keys written in OpenSSH's own formats: the private key file
 * ("openssh-key-v1", unencrypted), the public key line and its SHA256
 * fingerprint. The file format is PROTOCOL.key in OpenSSH's sources;
 * the wire encodings (uint32, string) are RFC 4251 section 5.
 * Private key material is wiped (OPENSSL_cleanse) before memory is freed.
 *
 * X.509 (the engine's CA, pki.c): ECDSA P-256 keys as PKCS#8 PEM and
 * certificates made with X509_* and the X509V3 extension helpers.
 * libcrypto's own errors (its error queue) are translated into err with
 * ERR_error_string_n, after what was being done; no key material is ever
 * put in a message. Keys are read with a passphrase callback that gives
 * none, so that an encrypted key fails instead of prompting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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

/* The SSH string at *p (of *left bytes): its bytes and length; advances. -1 if short. */
static int crypto_get_string(const unsigned char **p, size_t *left, const unsigned char **s,
                             size_t *len)
{
	uint32_t n;

	if (*left < 4)
		return -1;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
	if (*left - 4 < n)
		return -1;
	*s = *p + 4;
	*len = n;
	*p += 4 + n;
	*left -= 4 + n;
	return 0;
}

int crypto_openssh_public(const char *private_pem, char **public_line, struct err *err)
{
	static const char magic[] = "openssh-key-v1"; /* with its NUL */
	const char *b = strstr(private_pem, "-----BEGIN OPENSSH PRIVATE KEY-----");
	const char *e = b ? strstr(b, "-----END OPENSSH PRIVATE KEY-----") : NULL;
	const unsigned char *p, *s, *blob = NULL, *type;
	size_t left, len, blob_len = 0, type_len, n = 0, key_len = 0, i;
	unsigned char *key = NULL;
	char *b64 = NULL, *body;
	int k, rc = -1;

	*public_line = NULL;
	if (b == NULL || e == NULL)
		return err_setk(err, ERRK_INVALID,
		                "not an OpenSSH private key (no BEGIN/END lines)");
	b += strlen("-----BEGIN OPENSSH PRIVATE KEY-----");
	body = xmalloc((size_t)(e - b) + 1);
	for (; b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t')
			body[n++] = *b;
	k = crypto_unbase64(body, n, &key, &key_len);
	OPENSSL_cleanse(body, n);
	free(body);
	if (k < 0)
		return err_setk(err, ERRK_INVALID, "not an OpenSSH private key (bad base64)");
	p = key;
	left = key_len;
	if (left < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		goto bad;
	p += sizeof(magic);
	left -= sizeof(magic);
	for (i = 0; i < 3; i++) /* ciphername, kdfname, kdfoptions */
		if (crypto_get_string(&p, &left, &s, &len) < 0)
			goto bad;
	if (left < 4 || (p[0] | p[1] | p[2] | p[3]) == 0)
		goto bad;
	p += 4; /* the number of keys: the first one's public blob follows */
	left -= 4;
	if (crypto_get_string(&p, &left, &blob, &blob_len) < 0)
		goto bad;
	p = blob;
	left = blob_len;
	if (crypto_get_string(&p, &left, &type, &type_len) < 0 || type_len == 0)
		goto bad;
	for (i = 0; i < type_len; i++)
		if (type[i] <= ' ' || type[i] > '~')
			goto bad;
	b64 = text_base64(blob, blob_len, 0);
	*public_line = xasprintf("%.*s %s", (int)type_len, (const char *)type, b64);
	rc = 0;
	goto out;
bad:
	err_setk(err, ERRK_INVALID, "not an OpenSSH private key (openssh-key-v1) ftboot can read");
out:
	free(b64);
	OPENSSL_cleanse(key, key_len);
	free(key);
	return rc;
}

/* ---- X.509 ------------------------------------------------------------ */

#define CRYPTO_SERIAL_BITS 128

/*
 * Fail with what was being done, then the first error libcrypto queued
 * (the root cause), and empty the queue. Returns -1.
 */
__attribute__((format(printf, 3, 4))) static int crypto_fail(struct err *err, enum err_kind kind,
                                                             const char *fmt, ...)
{
	char what[1024], detail[256];
	unsigned long e = ERR_get_error();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e == 0)
		return err_setk(err, kind, "%s", what);
	ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	return err_setk(err, kind, "%s: %s", what, detail);
}

/* No passphrase: an encrypted key fails to read instead of prompting. */
static int crypto_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* The bytes written to a memory BIO, as a string the caller owns. */
static char *crypto_bio_string(BIO *bio)
{
	char *data = NULL, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len < 0)
		len = 0;
	s = xmalloc((size_t)len + 1);
	if (len > 0)
		memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

static X509 *crypto_x509_of(const char *pem, const char *what, struct err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, crypto_no_pass, NULL) : NULL;

	BIO_free(bio);
	if (x == NULL)
		crypto_fail(err, ERRK_INVALID, "%s does not parse as a PEM certificate", what);
	return x;
}

static EVP_PKEY *crypto_key_of(const char *pem, const char *what, struct err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, crypto_no_pass, NULL) : NULL;

	BIO_free(bio);
	if (k == NULL)
		crypto_fail(err, ERRK_INVALID,
		            "%s does not parse as an unencrypted PEM private key", what);
	return k;
}

int crypto_ec_key(char **key_pem, struct err *err)
{
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	int rc = -1;

	*key_pem = NULL;
	ERR_clear_error();
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (k == NULL) {
		crypto_fail(err, ERRK_OTHER, "cannot generate an ECDSA P-256 key");
		goto out;
	}
	/* Secure memory: the BIO's buffer is wiped when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1) {
		crypto_fail(err, ERRK_OTHER, "cannot write the new ECDSA key as PEM");
		goto out;
	}
	*key_pem = crypto_bio_string(bio);
	rc = 0;
out:
	BIO_free(bio);
	EVP_PKEY_free(k);
	return rc;
}

void crypto_key_free(char *key_pem)
{
	if (key_pem == NULL)
		return;
	OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
}

/* Add the extension nid with value in openssl.cnf's syntax. */
static int crypto_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct err *err)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	if (!ok)
		return crypto_fail(err, ERRK_OTHER, "cannot add the extension %s = %s",
		                   OBJ_nid2sn(nid), value);
	return 0;
}

static int crypto_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The subjectAltName of "IP:..." and "DNS:..." strings, built as
 * GENERAL_NAMEs (not through the config syntax, where a comma in a name
 * would start another entry).
 */
static int crypto_add_sans(X509 *x, const char *const *sans, struct err *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char shown[128];
	int rc = -1;
	size_t i;

	if (gens == NULL)
		crypto_die("sk_GENERAL_NAME_new_null");
	for (i = 0; sans[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		const char *s = sans[i], *p;

		if (g == NULL)
			crypto_die("GENERAL_NAME_new");
		if (strncmp(s, "IP:", 3) == 0) {
			ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s + 3);

			if (ip != NULL)
				GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
			p = ip != NULL ? NULL : s;
		} else if (strncmp(s, "DNS:", 4) == 0 && s[4] != '\0') {
			ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

			/* LDH, '.', and '*' or '_' as some names have them; no ',' or space. */
			for (p = s + 4;
			     *p != '\0' && (crypto_alnum(*p) || strchr("-.*_", *p) != NULL); p++)
				;
			if (*p == '\0') {
				if (dns == NULL || ASN1_STRING_set(dns, s + 4, -1) != 1)
					crypto_die("ASN1_STRING_set");
				GENERAL_NAME_set0_value(g, GEN_DNS, dns);
				p = NULL;
			} else {
				ASN1_IA5STRING_free(dns);
				p = s;
			}
		} else {
			p = s;
		}
		if (p != NULL) {
			GENERAL_NAME_free(g);
			text_quote(s, strlen(s), shown, sizeof(shown));
			err_setk(err, ERRK_INVALID,
			         "invalid subjectAltName '%s': expected IP:<address> or DNS:<name>",
			         shown);
			goto out;
		}
		if (sk_GENERAL_NAME_push(gens, g) <= 0)
			crypto_die("sk_GENERAL_NAME_push");
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1) {
		crypto_fail(err, ERRK_OTHER, "cannot add the subjectAltName");
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

static int crypto_add_exts(X509 *x, X509 *issuer, const struct crypto_cert_req *req,
                           struct err *err)
{
	X509V3_CTX ctx;
	int ca = req->kind == CRYPTO_CERT_CA;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (crypto_add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE",
	                   err) < 0 ||
	    crypto_add_ext(x, &ctx, NID_key_usage,
	                   ca ? "critical,keyCertSign,cRLSign"
	                      : "critical,digitalSignature,keyEncipherment",
	                   err) < 0)
		return -1;
	if (!ca &&
	    crypto_add_ext(x, &ctx, NID_ext_key_usage,
	                   req->kind == CRYPTO_CERT_SERVER ? "serverAuth" : "clientAuth", err) < 0)
		return -1;
	/* The subject's identifier first: a self-signed AKI is taken from it. */
	if (crypto_add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) < 0 ||
	    crypto_add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err) < 0)
		return -1;
	if (req->sans != NULL && req->sans[0] != NULL && crypto_add_sans(x, req->sans, err) < 0)
		return -1;
	return 0;
}

static void crypto_set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();

	/* Odd: never zero. BN is unsigned, so the INTEGER is positive. */
	if (bn == NULL ||
	    BN_rand(bn, CRYPTO_SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ODD) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		crypto_die("serial number");
	BN_free(bn);
}

int crypto_cert_make(const struct crypto_cert_req *req, const char *key_pem, char **cert_pem,
                     struct err *err)
{
	EVP_PKEY *key = NULL, *issuer_key = NULL;
	X509 *x = NULL, *issuer = NULL;
	X509_NAME *name;
	BIO *bio = NULL;
	int rc = -1;

	*cert_pem = NULL;
	ERR_clear_error();
	if ((req->issuer_cert == NULL) != (req->issuer_key == NULL))
		return err_setk(err, ERRK_INVALID,
		                "cannot make a certificate: an issuer needs both its certificate "
		                "and its key");
	key = crypto_key_of(key_pem, "the certificate's key", err);
	if (key == NULL)
		goto out;
	if (req->issuer_cert != NULL) {
		issuer = crypto_x509_of(req->issuer_cert, "the issuer's certificate", err);
		if (issuer == NULL)
			goto out;
		issuer_key = crypto_key_of(req->issuer_key, "the issuer's key", err);
		if (issuer_key == NULL)
			goto out;
		if (X509_check_private_key(issuer, issuer_key) != 1) {
			crypto_fail(err, ERRK_INVALID,
			            "cannot make a certificate: the issuer's key is not its "
			            "certificate's");
			goto out;
		}
	}
	x = X509_new();
	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1)
		crypto_die("X509_new");
	crypto_set_serial(x);
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)req->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)req->not_after) == NULL) {
		crypto_fail(err, ERRK_INVALID, "cannot make certificate '%s': bad validity times",
		            req->cn);
		goto out;
	}
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)req->cn,
	                               -1, -1, 0) != 1) {
		crypto_fail(err, ERRK_INVALID, "cannot make a certificate: bad common name");
		goto out;
	}
	if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
	    X509_set_pubkey(x, key) != 1) {
		crypto_fail(err, ERRK_OTHER, "cannot make certificate '%s'", req->cn);
		goto out;
	}
	if (crypto_add_exts(x, issuer ? issuer : x, req, err) < 0) {
		err_wrap(err, "cannot make certificate '%s'", req->cn);
		goto out;
	}
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
		crypto_fail(err, ERRK_OTHER, "cannot sign certificate '%s'", req->cn);
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
		crypto_fail(err, ERRK_OTHER, "cannot write certificate '%s' as PEM", req->cn);
		goto out;
	}
	*cert_pem = crypto_bio_string(bio);
	rc = 0;
out:
	BIO_free(bio);
	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(issuer_key);
	EVP_PKEY_free(key);
	return rc;
}

static int crypto_time_of(const ASN1_TIME *t, long long *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

/* One subjectAltName as "TYPE:value"; bytes outside printable ASCII as \xHH. */
static char *crypto_san_string(const GENERAL_NAME *g)
{
	char addr[INET6_ADDRSTRLEN], *s, *w;
	const unsigned char *d;
	const char *prefix;
	int type, len, i;
	const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);

	switch (type) {
	case GEN_IPADD:
		d = ASN1_STRING_get0_data(v);
		len = ASN1_STRING_length(v);
		if ((len == 4 && inet_ntop(AF_INET, d, addr, sizeof(addr)) != NULL) ||
		    (len == 16 && inet_ntop(AF_INET6, d, addr, sizeof(addr)) != NULL))
			return xasprintf("IP:%s", addr);
		return xasprintf("IP:(%d bytes)", len);
	case GEN_DNS:
		prefix = "DNS:";
		break;
	case GEN_EMAIL:
		prefix = "email:";
		break;
	case GEN_URI:
		prefix = "URI:";
		break;
	default:
		return xasprintf("other:%d", type);
	}
	d = ASN1_STRING_get0_data(v);
	len = ASN1_STRING_length(v);
	s = xmalloc(strlen(prefix) + 4 * (size_t)len + 1);
	w = s + strlen(prefix);
	memcpy(s, prefix, strlen(prefix));
	for (i = 0; i < len; i++) {
		if (d[i] > ' ' && d[i] < 0x7f) {
			*w++ = (char)d[i];
		} else {
			snprintf(w, 5, "\\x%02x", d[i]);
			w += 4;
		}
	}
	*w = '\0';
	return s;
}

int crypto_cert_read(const char *cert_pem, struct crypto_cert_info *info, struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	GENERAL_NAMES *gens = NULL;
	X509 *x;
	int i, n, rc = -1;

	memset(info, 0, sizeof(*info));
	ERR_clear_error();
	x = crypto_x509_of(cert_pem, "the text", err);
	if (x == NULL)
		return -1;
	if (crypto_time_of(X509_get0_notBefore(x), &info->not_before) < 0 ||
	    crypto_time_of(X509_get0_notAfter(x), &info->not_after) < 0) {
		crypto_fail(err, ERRK_INVALID, "the certificate's validity times do not parse");
		goto out;
	}
	info->is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	n = gens ? sk_GENERAL_NAME_num(gens) : 0;
	info->sans = xcalloc((size_t)n + 1, sizeof(*info->sans));
	for (i = 0; i < n; i++)
		info->sans[i] = crypto_san_string(sk_GENERAL_NAME_value(gens, i));
	if (X509_digest(x, EVP_sha256(), md, &md_len) != 1 || md_len * 2 + 1 > CRYPTO_HEX_MAX)
		crypto_die("X509_digest");
	crypto_hex(md, md_len, info->fingerprint);
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	X509_free(x);
	if (rc < 0)
		crypto_cert_info_release(info);
	return rc;
}

void crypto_cert_info_release(struct crypto_cert_info *info)
{
	size_t i;

	if (info == NULL || info->sans == NULL)
		return;
	for (i = 0; info->sans[i]; i++)
		free(info->sans[i]);
	free(info->sans);
	info->sans = NULL;
}

int crypto_cert_signed_by(const char *cert_pem, const char *ca_pem, struct err *err)
{
	X509 *x = NULL, *ca = NULL;
	int rc = -1;

	ERR_clear_error();
	x = crypto_x509_of(cert_pem, "the certificate", err);
	if (x == NULL)
		goto out;
	ca = crypto_x509_of(ca_pem, "the CA certificate", err);
	if (ca == NULL)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) != 0) {
		err_setk(err, ERRK_INVALID, "the certificate's issuer is not the CA");
		goto out;
	}
	if (X509_verify(x, X509_get0_pubkey(ca)) != 1) {
		crypto_fail(err, ERRK_INVALID,
		            "the certificate's signature does not verify with the CA's key");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_free(ca);
	X509_free(x);
	return rc;
}

int crypto_cert_matches_key(const char *cert_pem, const char *key_pem, struct err *err)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc = -1;

	ERR_clear_error();
	x = crypto_x509_of(cert_pem, "the certificate", err);
	if (x == NULL)
		goto out;
	k = crypto_key_of(key_pem, "the key", err);
	if (k == NULL)
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(x), k) != 1) {
		err_setk(err, ERRK_INVALID,
		         "the certificate is not for the key (another key pair)");
		ERR_clear_error();
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

const char *crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

int crypto_cert_pubkey_pin(const char *cert_pem, char **out, struct err *err)
{
	unsigned char *der = NULL, md[32];
	X509 *x;
	char *b64;
	int len;

	*out = NULL;
	ERR_clear_error();
	if ((x = crypto_x509_of(cert_pem, "the certificate", err)) == NULL)
		return -1;
	len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	X509_free(x);
	if (len <= 0)
		return crypto_fail(err, ERRK_INVALID,
		                   "the certificate's public key does not encode");
	if (EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL) != 1)
		crypto_die("sha256");
	OPENSSL_free(der);
	b64 = text_base64(md, sizeof(md), 0);
	*out = xasprintf("sha256//%s", b64);
	free(b64);
	return 0;
}
