/*
 * tgz: image build contexts as deterministic tar archives, gzip-
 * compressed (the only file that includes zlib's header is tgz.c).
 *
 * The same files always give the same bytes: entries sorted by path
 * (bytewise), mtime 0, uid and gid 0, no user or group names, modes
 * normalised (directories and files with any execute bit 0755, other
 * files 0644), symbolic links kept as links, names too long for the
 * ustar header in a PAX extended header ("path", "linkpath"). Hard
 * links are stored as regular files. The archive is read as it is made
 * (tgz_read), so a context is never whole in memory.
 *
 * Refused, naming the path: a symbolic link whose target (resolved
 * lexically from where the link is) reaches outside opts->confine, a
 * FIFO, socket or device, a file that changes size while it is packed,
 * an unreadable file.
 */
#ifndef FTBOOT_TGZ_H
#define FTBOOT_TGZ_H

#include <stddef.h>

#include "crypto.h"
#include "err.h"
#include "ignore.h"

/* zlib's version ("1.2.13"). Static. */
const char *tgz_version(void);

struct tgz_opts {
	/* .dockerignore patterns, or NULL: everything is packed. */
	const struct ignore *ignore;
	/*
	 * Paths packed even when ignore excludes them (NULL-terminated, or
	 * NULL): the docker CLI always sends the Dockerfile and .dockerignore.
	 */
	const char *const *keep;
	/* Symbolic links may not reach outside this directory (NULL: the context). */
	const char *confine;
	/* 0: plain tar bytes (for hashing); else gzip at this level (1-9). */
	int gzip_level;
};

struct tgz; /* a packer */

/*
 * Walk dir (the context) and list what will be packed, sorted; no byte
 * is produced yet. Caller owns *out (tgz_free).
 */
int tgz_open(const char *dir, const struct tgz_opts *opts, struct tgz **out, struct err *err);

/*
 * The next bytes of the archive (gzip, or plain tar with gzip_level 0):
 * at most size into data; the count; 0 at the end; -1 with err set. An
 * http_read_fn (http.h) with the packer as ctx.
 */
long tgz_read(void *tgz, char *data, size_t size, struct err *err);

/* The entries, in archive order: paths relative to dir ("a", "a/b"). */
size_t tgz_count(const struct tgz *t);
const char *tgz_path(const struct tgz *t, size_t i);

/*
 * After tgz_read returned 0: the SHA-256 (hex) of the uncompressed tar
 * stream, and its length in bytes; the same for any gzip level.
 */
void tgz_digest(const struct tgz *t, char hex[CRYPTO_HEX_MAX], unsigned long long *tar_bytes);

void tgz_free(struct tgz *t);

/*
 * Pack dir with gzip_level 0 into nothing but the digest (tgz_open,
 * tgz_read to the end, tgz_digest): the context's content hash.
 */
int tgz_hash(const char *dir, const struct tgz_opts *opts, char hex[CRYPTO_HEX_MAX],
             unsigned long long *tar_bytes, struct err *err);

#endif
