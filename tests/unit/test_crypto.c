/*
 * test_crypto: SHA-256/SHA-512 against the FIPS 180 example vectors
 * (one call, streamed, from a file), and ed25519 keys checked by the real
 * reader of them, OpenSSH's ssh-keygen: it must read the private key file
 * as written, derive the same public key and print the same fingerprint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "run.h"
#include "tap.h"
#include "xmem.h"

static char *tmp;

static const char sha256_empty[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char sha256_abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char sha256_million[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
static const char sha512_empty[] =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
static const char sha512_abc[] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                                 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
static const char sha512_million[] =
    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";

static int have_ssh_keygen(void)
{
	static const char *const argv[] = {"sh", "-c", "command -v ssh-keygen", NULL};
	struct buf out = BUF_INIT(4096);
	int rc = run_capture(argv, &out, 1);

	buf_release(&out);
	return rc == 0;
}

static void test_hash_vectors(void)
{
	char hex[CRYPTO_HEX_MAX], chunk[1000];
	struct crypto_hash *h;
	int i;

	crypto_hash_buf(CRYPTO_SHA256, "", 0, hex);
	is_str(hex, sha256_empty, "sha256 of the empty string");
	crypto_hash_buf(CRYPTO_SHA256, "abc", 3, hex);
	is_str(hex, sha256_abc, "sha256 of 'abc'");
	crypto_hash_buf(CRYPTO_SHA512, "", 0, hex);
	is_str(hex, sha512_empty, "sha512 of the empty string");
	crypto_hash_buf(CRYPTO_SHA512, "abc", 3, hex);
	is_str(hex, sha512_abc, "sha512 of 'abc'");

	/* Streamed: a million 'a' in uneven chunks. */
	memset(chunk, 'a', sizeof(chunk));
	h = crypto_hash_new(CRYPTO_SHA256);
	for (i = 0; i < 1000; i++) {
		crypto_hash_update(h, chunk, 1);
		crypto_hash_update(h, chunk, 0);
		crypto_hash_update(h, chunk, sizeof(chunk) - 1);
	}
	crypto_hash_final(h, hex);
	is_str(hex, sha256_million, "sha256 of a million 'a', streamed");
	h = crypto_hash_new(CRYPTO_SHA512);
	for (i = 0; i < 1000; i++)
		crypto_hash_update(h, chunk, sizeof(chunk));
	crypto_hash_final(h, hex);
	is_str(hex, sha512_million, "sha512 of a million 'a', streamed");

	h = crypto_hash_new(CRYPTO_SHA256);
	crypto_hash_update(h, "a", 1);
	crypto_hash_update(h, "bc", 2);
	crypto_hash_final(h, hex);
	is_str(hex, sha256_abc, "sha256 of 'abc' in two updates");
}

static void test_hash_file(void)
{
	char *path = path_join(tmp, "million"), *missing = path_join(tmp, "no-such-file");
	char *data = xmalloc(1000000), hex[CRYPTO_HEX_MAX];
	struct err err;

	memset(data, 'a', 1000000);
	if (fs_write_atomic(path, data, 1000000, 0600, 0, &err) < 0)
		diag("write: %s", err.msg);
	is_int(crypto_hash_file(path, CRYPTO_SHA512, hex, &err), 0, "hash a file");
	is_str(hex, sha512_million, "sha512 of a file of a million 'a'");
	is_int(crypto_hash_file(path, CRYPTO_SHA256, hex, &err), 0, "hash a file again");
	is_str(hex, sha256_million, "sha256 of a file of a million 'a'");

	err_clear(&err);
	is_int(crypto_hash_file(missing, CRYPTO_SHA256, hex, &err), -1, "missing file fails");
	ok(strstr(err.msg, missing) != NULL, "the error names the path: %s", err.msg);
	ok(strstr(err.msg, "No such file") != NULL, "and says why");
	is_int(err.code, ERR_FAIL, "with ERR_FAIL");

	is_int(crypto_hash_file(tmp, CRYPTO_SHA256, hex, &err), -1, "a directory fails");
	ok(strstr(err.msg, tmp) != NULL, "naming it: %s", err.msg);
	free(data);
	free(path);
	free(missing);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decode the armoured key with base64 -d and check its structure by hand. */
static void check_private_layout(const struct crypto_keypair *kp, const char *comment)
{
	const char *pem = kp->private_pem, *p;
	char *keyfile = path_join(tmp, "layout.b64");
	const char *argv[] = {"base64", "-d", keyfile, NULL};
	struct buf body = BUF_INIT(1 << 16), raw = BUF_INIT(1 << 16);
	const unsigned char *k;
	size_t off, plen, clen = strlen(comment), i;
	int lines_ok = 1;
	struct err err;

	ok(strncmp(pem, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) == 0, "armour begins");
	plen = strlen(pem);
	ok(plen > 34 && strcmp(pem + plen - 34, "-----END OPENSSH PRIVATE KEY-----\n") == 0,
	   "armour ends with a newline");
	for (p = pem + 36; *p && strncmp(p, "-----END", 8) != 0;) {
		size_t n = strcspn(p, "\n");
		const char *next = p + n + (p[n] ? 1 : 0);

		if (n == 0 || n > 70 || (n < 70 && strncmp(next, "-----END", 8) != 0))
			lines_ok = 0;
		buf_add(&body, p, n);
		buf_addch(&body, '\n');
		p = next;
	}
	ok(lines_ok, "base64 lines are 70 columns, the last one shorter or equal");
	if (fs_write_atomic(keyfile, body.data, body.len, 0600, 0, &err) < 0)
		diag("write: %s", err.msg);
	if (run_capture(argv, &raw, 1) != 0) {
		skip("base64 -d cannot decode the key (coreutils missing?)");
		goto out;
	}
	k = (const unsigned char *)raw.data;
	ok(raw.len > 15 && memcmp(k, "openssh-key-v1", 15) == 0, "magic with its NUL");
	off = 15;
	ok(get_u32(k + off) == 4 && memcmp(k + off + 4, "none", 4) == 0, "cipher none");
	off += 8;
	ok(get_u32(k + off) == 4 && memcmp(k + off + 4, "none", 4) == 0, "kdf none");
	off += 8;
	is_int(get_u32(k + off), 0, "empty kdf options");
	off += 4;
	is_int(get_u32(k + off), 1, "one key");
	off += 4;
	is_int(get_u32(k + off), 51, "public blob of 51 bytes");
	off += 4 + 51;
	plen = get_u32(k + off);
	off += 4;
	is_int(off + plen, raw.len, "private section ends the file");
	is_int(plen % 8, 0, "private section padded to 8");
	ok(memcmp(k + off, k + off + 4, 4) == 0, "check ints equal");
	/* checkints, type, pub, seed||pub, comment, then padding */
	i = off + 8 + 4 + 11 + 4 + 32;
	is_int(get_u32(k + i), 64, "private key of 64 bytes");
	ok(memcmp(k + i + 4 + 32, k + off + 8 + 4 + 11 + 4, 32) == 0,
	   "second half of the private key is the public key");
	i += 4 + 64;
	is_int(get_u32(k + i), clen, "comment length");
	ok(memcmp(k + i + 4, comment, clen) == 0, "comment");
	i += 4 + clen;
	for (lines_ok = 1; i < raw.len; i++)
		if (k[i] !=
		    (unsigned char)(i - (off + 8 + 4 + 11 + 4 + 32 + 4 + 64 + 4 + clen) + 1))
			lines_ok = 0;
	ok(lines_ok, "padding 1, 2, 3, ...");
out:
	if (raw.data)
		memset(raw.data, 0, raw.len);
	unlink(keyfile);
	free(keyfile);
	buf_release(&body);
	buf_release(&raw);
}

/* The "TYPE BASE64" part of a public key line. Caller frees. */
static char *type_and_key(const char *line)
{
	size_t n = strcspn(line, " ");

	n += 1 + strcspn(line + n + 1, " \n");
	return xstrndup(line, n);
}

static void check_with_ssh_keygen(const struct crypto_keypair *kp, const char *name)
{
	char *key = path_join(tmp, name), *pub = xasprintf("%s.pub", key);
	const char *argv_y[] = {"ssh-keygen", "-y", "-f", key, NULL};
	const char *argv_l[] = {"ssh-keygen", "-l", "-E", "sha256", "-f", pub, NULL};
	const char *argv_lp[] = {"ssh-keygen", "-l", "-E", "sha256", "-f", key, NULL};
	struct buf out = BUF_INIT(1 << 16);
	char *want = type_and_key(kp->public_line), *got,
	     *line = xasprintf("%s\n", kp->public_line);
	struct err err;
	int rc;

	if (fs_write_atomic(key, kp->private_pem, strlen(kp->private_pem), 0600, 0, &err) < 0 ||
	    fs_write_atomic(pub, line, strlen(line), 0644, 0, &err) < 0)
		diag("write: %s", err.msg);

	rc = run_capture(argv_y, &out, 1);
	is_int(rc, 0, "%s: ssh-keygen -y reads the private key", name);
	if (rc != 0)
		diag("ssh-keygen: %s", buf_cstr(&out));
	got = type_and_key(buf_cstr(&out));
	is_str(got, want, "%s: ssh-keygen -y derives the same public key", name);
	free(got);

	buf_reset(&out);
	rc = run_capture(argv_l, &out, 1);
	is_int(rc, 0, "%s: ssh-keygen -l reads the public key", name);
	ok(strstr(buf_cstr(&out), kp->fingerprint) != NULL &&
	       strstr(buf_cstr(&out), "(ED25519)") != NULL,
	   "%s: ssh-keygen -l prints the same fingerprint: %.*s", name,
	   (int)strcspn(buf_cstr(&out), "\n"), buf_cstr(&out));

	buf_reset(&out);
	rc = run_capture(argv_lp, &out, 1);
	ok(rc == 0 && strstr(buf_cstr(&out), kp->fingerprint) != NULL,
	   "%s: and the same from the private key file", name);

	/* sshd -t loads every host key: the VM's sshd will read ours. */
	if (access("/usr/sbin/sshd", X_OK) == 0) {
		const char *argv_t[] = {"/usr/sbin/sshd", "-t", "-f", "/dev/null", "-h", key, NULL};

		/* as root, sshd (even -t) wants its privilege separation
		 * directory, which only the package's init script makes */
		if (geteuid() == 0 && mkdir("/run/sshd", 0755) < 0 && errno != EEXIST)
			diag("mkdir /run/sshd: %s", strerror(errno));
		buf_reset(&out);
		rc = run_capture(argv_t, &out, 1);
		ok(rc == 0, "%s: sshd -t loads it as a host key", name);
		if (rc != 0)
			diag("sshd: %s", buf_cstr(&out));
	} else {
		skip("sshd is not installed (apt-get install openssh-server)");
	}

	unlink(key);
	unlink(pub);
	buf_release(&out);
	free(want);
	free(line);
	free(key);
	free(pub);
}

static void test_generate(void)
{
	struct crypto_keypair a, b, c;
	struct err err;
	char *fp = NULL, *p;
	int have = have_ssh_keygen();

	is_int(crypto_ed25519_generate("ftboot@test", &a, &err), 0, "generate a key");
	ok(strncmp(a.public_line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0,
	   "public line starts with the ed25519 blob header: %s", a.public_line);
	p = strrchr(a.public_line, ' ');
	is_str(p, " ftboot@test", "public line ends with the comment");
	is_int(strlen(a.public_line), strlen("ssh-ed25519 ") + 68 + strlen(" ftboot@test"),
	       "public line length");
	ok(strncmp(a.fingerprint, "SHA256:", 7) == 0 && strlen(a.fingerprint) == 7 + 43 &&
	       strchr(a.fingerprint, '=') == NULL,
	   "fingerprint is SHA256: and 43 unpadded base64 chars: %s", a.fingerprint);
	is_int(crypto_fingerprint_line(a.public_line, &fp, &err), 0, "fingerprint of its line");
	is_str(fp, a.fingerprint, "matches the key's fingerprint");
	free(fp);
	check_private_layout(&a, "ftboot@test");

	is_int(crypto_ed25519_generate("", &b, &err), 0, "generate a key without comment");
	is_int(strlen(b.public_line), strlen("ssh-ed25519 ") + 68, "no trailing space");
	ok(strcmp(a.public_line, b.public_line) != 0, "two keys differ (public)");
	ok(strcmp(a.private_pem, b.private_pem) != 0, "two keys differ (private)");
	ok(strcmp(a.fingerprint, b.fingerprint) != 0, "two keys differ (fingerprint)");
	check_private_layout(&b, "");

	is_int(crypto_ed25519_generate("a comment with spaces, and an odd length", &c, &err), 0,
	       "generate a key with a long comment");
	check_private_layout(&c, "a comment with spaces, and an odd length");

	if (have) {
		check_with_ssh_keygen(&a, "key-a");
		check_with_ssh_keygen(&b, "key-b");
		check_with_ssh_keygen(&c, "key-c");
	} else {
		skip("ssh-keygen is not installed (apt-get install openssh-client)");
	}

	crypto_keypair_release(&a);
	crypto_keypair_release(&b);
	crypto_keypair_release(&c);
	ok(a.private_pem == NULL && a.public_line == NULL && a.fingerprint == NULL,
	   "release clears the pointers");
	crypto_keypair_release(&a);
	crypto_keypair_release(NULL);

	err_clear(&err);
	is_int(crypto_ed25519_generate("two\nlines", &a, &err), -1, "a comment with a newline");
	ok(strstr(err.msg, "comment") != NULL, "is refused: %s", err.msg);
	ok(a.private_pem == NULL && a.public_line == NULL, "and nothing is returned");
}

static void test_fingerprint_line(void)
{
#define ED "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII51wxu5vjQD79cGxZxDaaO8Q2LaA1EoVkpjxtUxeiSj"
#define EC                                                                                         \
	"ecdsa-sha2-nistp256 "                                                                     \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDjf8eIv/"                            \
	"kwU9GRnHMGNBN22FFLtJWkacDj6Py10WgzPZbqLpHM7RitnGglEda9ZzYZQN3fCZ20icTuvBeZjz+Q="
	static const char ed_fp[] = "SHA256:tqFHzD3A3chlxosSoUo4RponlnfiYBpxTgvHBS06VVM";
	static const char ec_fp[] = "SHA256:Gz45teIB5wvTJxnbqm7hEXhg7O8YyKxKdtwe6bL5QeE";
	static const struct {
		const char *line, *want;
	} good[] = {
	    {ED, ed_fp},
	    {ED " fixed@test", ed_fp},
	    {ED " fixed@test\n", ed_fp},
	    {ED "\r\n", ed_fp},
	    {"  " ED "\tcomment with  spaces", ed_fp},
	    {EC, ec_fp},
	    {EC " ", ec_fp},
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"", "TYPE BASE64"},
	    {"   ", "TYPE BASE64"},
	    {"ssh-ed25519", "TYPE BASE64"},
	    {"ssh-ed25519 ", "TYPE BASE64"},
	    {"ssh-ed25519 AAAA!C3Nz", "bad base64"},
	    {"ssh-ed25519 A", "bad base64"},
	    {"ssh-ed25519 AAB=", "bad base64"},
	    {"ssh-ed25519 AAA=", "not of that type"},
	    {"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAII51wxu5vjQD79cGxZxDaaO8Q2LaA1EoVkpjxtUxeiSj",
	     "not of that type"},
	    {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII51wxu5vjQD79cGxZxDaaO8Q2LaA1EoVkpjxtUxeiSj "
	     "x\nssh-ed25519 AAAA",
	     "more than one line"},
	    /* Found by fuzz_crypto: the type was copied into the message raw. */
	    {"\x1b[31mssh-ed25519 !!!!", "invalid public key '?[31mssh-ed25519': bad base64"},
	    {"\x1b]0;x\x07 AAAAC3NzaC1lZDI1NTE5AAAAII51wxu5vjQD79cGxZxDaaO8Q2LaA1EoVkpjxtUxeiSj",
	     "invalid public key '?]0;x?': the key data is not of that type"},
	};
	struct err err;
	char *fp, *blob_fp;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		fp = NULL;
		is_int(crypto_fingerprint_line(good[i].line, &fp, &err), 0, "good line %zu", i);
		is_str(fp, good[i].want, "fingerprint of good line %zu as ssh-keygen prints it", i);
		free(fp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp = (char *)"untouched";
		err_clear(&err);
		is_int(crypto_fingerprint_line(bad[i].line, &fp, &err), -1, "bad line %zu fails",
		       i);
		ok(fp == NULL, "bad line %zu: no result", i);
		ok(strstr(err.msg, bad[i].why) != NULL, "bad line %zu: %s", i, err.msg);
	}

	/* The blob form: the ed25519 key above, decoded by hand. */
	{
		static const unsigned char pub[32] = {
		    0x8e, 0x75, 0xc3, 0x1b, 0xb9, 0xbe, 0x34, 0x03, 0xef, 0xd7, 0x06,
		    0xc5, 0x9c, 0x43, 0x69, 0xa3, 0xbc, 0x43, 0x62, 0xda, 0x03, 0x51,
		    0x28, 0x56, 0x4a, 0x63, 0xc6, 0xd5, 0x31, 0x7a, 0x24, 0xa3};
		unsigned char blob[51] = {0,   0,   0,   11,  's', 's', 'h', '-', 'e', 'd',
		                          '2', '5', '5', '1', '9', 0,   0,   0,   32};

		memcpy(blob + 19, pub, 32);
		blob_fp = crypto_fingerprint(blob, sizeof(blob));
		is_str(blob_fp, ed_fp, "crypto_fingerprint of a wire blob");
		free(blob_fp);
	}
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ftboot-test-crypto.XXXXXX", t && *t ? t : "/tmp");
	const char *v = crypto_version();
	struct err err;

	tmp = mkdtemp(tmpl);
	if (tmp == NULL)
		skip_all("cannot create a temporary directory");

	ok(strncmp(v, "OpenSSL 3", 9) == 0, "libcrypto version: %s", v);
	test_hash_vectors();
	test_hash_file();
	test_generate();
	test_fingerprint_line();

	if (fs_remove_tree(tmp, &err) < 0)
		diag("cleanup: %s", err.msg);
	free(tmpl);
	return tap_done();
}
