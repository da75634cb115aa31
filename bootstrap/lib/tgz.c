/*
 * tgz: the zlib module: deterministic tar archives of build contexts,
 * gzip-compressed as they are read.
 *
 * tgz_open walks the context (iteratively: a list of directories still
 * to read, no recursion), applies .dockerignore with moby's walk rule (an
 * excluded directory is skipped unless an exception may re-include
 * something below it), refuses what a context cannot hold and sorts the
 * entries bytewise. tgz_read then makes the tar stream one piece at a
 * time (a header, a file's next 64 KiB, padding) into a small buffer,
 * hashes it, and deflates it when asked; a file is opened only when its
 * turn comes and is refused if its size is not the one the walk saw.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fs.h"
#include "text.h"
#include "tgz.h"
#include "xmem.h"

const char *tgz_version(void)
{
	return zlibVersion();
}

#define TGZ_CHUNK      65536
#define USTAR_NAME     100
#define USTAR_SIZE_MAX 077777777777ULL

enum ent_type { ENT_DIR, ENT_FILE, ENT_LINK };

struct entry {
	char *path; /* relative to the context */
	enum ent_type type;
	unsigned mode;
	unsigned long long size;
	char *target; /* ENT_LINK */
};

enum phase { PH_HEADER, PH_DATA, PH_PAD, PH_TRAILER, PH_END };

struct tgz {
	char *dir;
	struct entry *ents;
	size_t n, cap;

	/* the tar stream */
	size_t next; /* the entry whose header comes next */
	enum phase phase;
	char *out; /* pending bytes: a header or padding */
	size_t out_len, out_off, out_cap;
	int fd;                  /* the file being copied */
	unsigned long long left; /* its bytes still to copy */
	struct crypto_hash *hash;
	char hex[CRYPTO_HEX_MAX];
	unsigned long long tar_bytes;
	int failed;

	/* gzip */
	int level;
	int zinit;
	z_stream strm;
	gz_header gzh;
	char *in;
	int tar_done, z_done;
};

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* path matches a keep entry, or lies under one. */
static int kept(const char *const *keep, const char *path)
{
	size_t k, l;

	for (k = 0; keep && keep[k]; k++) {
		l = strlen(keep[k]);
		if (strncmp(path, keep[k], l) == 0 && (path[l] == '\0' || path[l] == '/'))
			return 1;
	}
	return 0;
}

/* A keep entry lies under dir: the walk must descend into it. */
static int keep_below(const char *const *keep, const char *dir)
{
	size_t k, l = strlen(dir);

	for (k = 0; keep && keep[k]; k++)
		if (strncmp(keep[k], dir, l) == 0 && keep[k][l] == '/')
			return 1;
	return 0;
}

/* 1 if p (absolute, clean) is root or below it. */
static int within(const char *root, const char *p)
{
	size_t l = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(p, root, l) == 0 && (p[l] == '\0' || p[l] == '/');
}

static void add(struct tgz *t, const char *path, enum ent_type type, unsigned mode,
                unsigned long long size, char *target)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ents = xreallocarray(t->ents, t->cap, sizeof(*t->ents));
	}
	t->ents[t->n].path = xstrdup(path);
	t->ents[t->n].type = type;
	t->ents[t->n].mode = mode;
	t->ents[t->n].size = size;
	t->ents[t->n].target = target;
	t->n++;
}

/* One directory entry: check it, add it, queue it if it is a directory. */
static int visit(struct tgz *t, const char *rel, const char *abs_ctx, const char *confine,
                 const struct tgz_opts *opts, char ***queue, size_t *nq, size_t *qcap,
                 struct err *err)
{
	char *full = path_join(t->dir, rel), *target = NULL, q[128];
	struct stat st;
	int excluded, rc = -1;

	if (lstat(full, &st) < 0) {
		err_sys(err, errno, "cannot read '%s' in the build context", rel);
		goto out;
	}
	excluded = ignore_match(opts->ignore, rel) && !kept(opts->keep, rel);
	if (excluded) {
		/* moby's walk: look below only if an exception may bring something back. */
		if (S_ISDIR(st.st_mode) &&
		    (ignore_may_include_below(opts->ignore, rel) || keep_below(opts->keep, rel)))
			goto queue;
		rc = 0;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		add(t, rel, ENT_DIR, 0755, 0, NULL);
		goto queue;
	}
	if (S_ISREG(st.st_mode)) {
		add(t, rel, ENT_FILE, st.st_mode & 0111 ? 0755 : 0644,
		    (unsigned long long)st.st_size, NULL);
		rc = 0;
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		char buf[PATH_MAX + 1], *from, *dst;
		ssize_t l = readlink(full, buf, sizeof(buf));

		if (l < 0) {
			err_sys(err, errno, "cannot read the symbolic link '%s'", rel);
			goto out;
		}
		if ((size_t)l >= sizeof(buf)) {
			err_setk(err, ERRK_INVALID, "symbolic link '%s': its target is too long",
			         rel);
			goto out;
		}
		buf[l] = '\0';
		target = xstrdup(buf);
		/* Resolved lexically from the link's own directory. */
		from = path_join(abs_ctx, rel);
		{
			char *d = path_dir(from);

			dst = path_join(d, target);
			free(d);
		}
		free(from);
		if (!within(confine, dst)) {
			text_quote(target, strlen(target), q, sizeof(q));
			err_setk(
			    err, ERRK_INVALID,
			    "symbolic link '%s' points to '%s', outside '%s': a build context "
			    "cannot hold it; copy the file in or add the link to .dockerignore",
			    rel, q, confine);
			free(dst);
			goto out;
		}
		free(dst);
		add(t, rel, ENT_LINK, 0777, 0, target);
		target = NULL;
		rc = 0;
		goto out;
	}
	err_setk(err, ERRK_INVALID,
	         "'%s' in the build context is %s: a context holds only files, directories and "
	         "symbolic links; remove it or add it to .dockerignore",
	         rel, fs_kind(st.st_mode));
	goto out;
queue:
	if (*nq == *qcap) {
		*qcap = *qcap ? *qcap * 2 : 16;
		*queue = xreallocarray(*queue, *qcap, sizeof(**queue));
	}
	(*queue)[(*nq)++] = xstrdup(rel);
	rc = 0;
out:
	free(target);
	free(full);
	return rc;
}

static char *absolute(const char *p, struct err *err)
{
	char *r = realpath(p, NULL), *c;

	if (r == NULL) {
		err_sys(err, errno, "cannot resolve '%s'", p);
		return NULL;
	}
	c = path_clean(r);
	free(r);
	return c;
}

int tgz_open(const char *dir, const struct tgz_opts *opts, struct tgz **out, struct err *err)
{
	static const struct tgz_opts none;
	struct tgz *t = xcalloc(1, sizeof(*t));
	char **queue = NULL, *abs_ctx = NULL, *confine = NULL;
	size_t nq = 0, qcap = 0, qi = 0;
	struct stat st;
	int rc = -1;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	t->fd = -1;
	t->dir = xstrdup(dir);
	t->level = opts->gzip_level;
	if (t->level < 0 || t->level > 9) {
		err_setk(err, ERRK_INVALID, "gzip level %d: use 0 (none) to 9", t->level);
		goto out;
	}
	if (stat(dir, &st) < 0) {
		err_sys(err, errno, "cannot read the build context '%s'", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_setk(err, ERRK_INVALID, "build context '%s' is not a directory", dir);
		goto out;
	}
	if ((abs_ctx = absolute(dir, err)) == NULL)
		goto out;
	if (opts->confine) {
		if ((confine = absolute(opts->confine, err)) == NULL)
			goto out;
	} else {
		confine = xstrdup(abs_ctx);
	}
	queue = xmalloc(sizeof(*queue));
	queue[nq++] = xstrdup("");
	qcap = 1;
	for (qi = 0; qi < nq; qi++) {
		char *d = *queue[qi] ? path_join(dir, queue[qi]) : xstrdup(dir);
		DIR *dh = opendir(d);
		struct dirent *de;

		if (dh == NULL) {
			err_sys(err, errno, "cannot list '%s' in the build context",
			        *queue[qi] ? queue[qi] : ".");
			free(d);
			goto out;
		}
		errno = 0;
		while ((de = readdir(dh)) != NULL) {
			char *rel;
			int r;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			rel = *queue[qi] ? xasprintf("%s/%s", queue[qi], de->d_name)
			                 : xstrdup(de->d_name);
			r = visit(t, rel, abs_ctx, confine, opts, &queue, &nq, &qcap, err);
			free(rel);
			if (r < 0) {
				closedir(dh);
				free(d);
				goto out;
			}
			errno = 0;
		}
		if (errno != 0) {
			err_sys(err, errno, "cannot list '%s' in the build context",
			        *queue[qi] ? queue[qi] : ".");
			closedir(dh);
			free(d);
			goto out;
		}
		closedir(dh);
		free(d);
	}
	qsort(t->ents, t->n, sizeof(*t->ents), cmp_ent);
	t->hash = crypto_hash_new(CRYPTO_SHA256);
	t->phase = t->n ? PH_HEADER : PH_TRAILER;
	if (t->level > 0) {
		int zr;

		t->in = xmalloc(TGZ_CHUNK);
		/* 15 + 16: a gzip wrapper; its header fixed by hand below. */
		zr = deflateInit2(&t->strm, t->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		if (zr != Z_OK) {
			err_setk(err, ERRK_OTHER, "cannot start gzip: %s",
			         t->strm.msg ? t->strm.msg : zError(zr));
			goto out;
		}
		t->zinit = 1;
		t->gzh.time = 0;
		t->gzh.os = 255; /* "unknown", as Go's gzip writes it */
		zr = deflateSetHeader(&t->strm, &t->gzh);
		if (zr != Z_OK) {
			err_setk(err, ERRK_OTHER, "cannot start gzip: %s",
			         t->strm.msg ? t->strm.msg : zError(zr));
			goto out;
		}
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	for (qi = 0; qi < nq; qi++)
		free(queue[qi]);
	free(queue);
	free(abs_ctx);
	free(confine);
	tgz_free(t);
	return rc;
}

size_t tgz_count(const struct tgz *t)
{
	return t->n;
}

const char *tgz_path(const struct tgz *t, size_t i)
{
	return i < t->n ? t->ents[i].path : NULL;
}

static void out_reserve(struct tgz *t, size_t n)
{
	if (t->out_cap < n) {
		t->out_cap = n;
		t->out = realloc(t->out, n);
		if (t->out == NULL)
			abort();
	}
}

static void octal(char *field, size_t width, unsigned long long v)
{
	/* width-1 digits and a NUL, zero-padded, as Go's archive/tar writes them */
	size_t i = width - 1;

	field[i] = '\0';
	while (i > 0) {
		field[--i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* A PAX record "LEN key=value\n"; LEN counts the whole record. */
struct pax {
	char *p;
	size_t len, cap;
};

static void pax_record(struct pax *b, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, n = body + 1, d;
	char num[24];

	for (;;) {
		d = (size_t)snprintf(num, sizeof(num), "%zu", n);
		if (body + d == n)
			break;
		n = body + d;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	snprintf(b->p + b->len, n + 1, "%s %s=%s\n", num, key, val);
	b->len += n;
}

static int utf8_valid(const char *s)
{
	size_t i = 0, n = strlen(s), l;

	while (i < n) {
		if ((l = text_utf8_len(s + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/*
 * A name needs a PAX record when ustar's field is too short, or when it
 * holds UTF-8 beyond ASCII (PAX says what the bytes mean, as Go's
 * archive/tar does). A short name that is not UTF-8 stays raw bytes in
 * the ustar field: a PAX path would need "hdrcharset=BINARY", which GNU
 * tar warns about.
 */
static int needs_pax(const char *s, size_t max)
{
	size_t i, l = strlen(s);

	if (l > max)
		return 1;
	for (i = 0; i < l; i++)
		if ((unsigned char)s[i] >= 0x80)
			return utf8_valid(s);
	return 0;
}

/* One 512-byte ustar header at h. */
static void ustar(char *h, const char *name, unsigned mode, unsigned long long size, char type,
                  const char *link)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, USTAR_NAME));
	octal(h + 100, 8, mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size > USTAR_SIZE_MAX ? 0 : size);
	octal(h + 136, 12, 0);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strnlen(link, USTAR_NAME));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	octal(h + 329, 8, 0);
	octal(h + 337, 8, 0);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
}

/* The headers of entry e into t->out: a PAX header if needed, then ustar. */
static void headers(struct tgz *t, const struct entry *e)
{
	struct pax pax = {NULL, 0, 0};
	char *name = e->type == ENT_DIR ? xasprintf("%s/", e->path) : xstrdup(e->path);
	char type = e->type == ENT_DIR ? '5' : e->type == ENT_LINK ? '2' : '0';
	size_t off = 0, blocks;

	if (needs_pax(name, USTAR_NAME)) {
		if (utf8_valid(name))
			pax_record(&pax, "path", name);
		else {
			pax_record(&pax, "hdrcharset", "BINARY");
			pax_record(&pax, "path", name);
		}
	}
	if (e->target && needs_pax(e->target, USTAR_NAME))
		pax_record(&pax, "linkpath", e->target);
	if (e->size > USTAR_SIZE_MAX) {
		char num[24];

		snprintf(num, sizeof(num), "%llu", e->size);
		pax_record(&pax, "size", num);
	}
	blocks = pax.len ? 1 + (pax.len + 511) / 512 : 0;
	out_reserve(t, (blocks + 1) * 512);
	memset(t->out, 0, (blocks + 1) * 512);
	if (pax.len) {
		char *pn = xasprintf("PaxHeaders.0/%s", path_base(e->path));

		ustar(t->out, pn, 0644, pax.len, 'x', NULL);
		memcpy(t->out + 512, pax.p, pax.len);
		off = blocks * 512;
		free(pn);
	}
	ustar(t->out + off, name, e->mode, e->type == ENT_FILE ? e->size : 0, type, e->target);
	t->out_len = off + 512;
	t->out_off = 0;
	free(pax.p);
	free(name);
}

/* Open entry e's file and check it is still the file the walk saw. */
static int open_file(struct tgz *t, const struct entry *e, struct err *err)
{
	char *full = path_join(t->dir, e->path);
	struct stat st;

	t->fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(full);
	if (t->fd < 0)
		return err_sys(err, errno, "cannot read '%s' in the build context", e->path);
	if (fstat(t->fd, &st) < 0)
		return err_sys(err, errno, "cannot read '%s' in the build context", e->path);
	if (!S_ISREG(st.st_mode))
		return err_setk(err, ERRK_INVALID,
		                "'%s' in the build context was a file and is now %s: do not change "
		                "the context while it is packed",
		                e->path, fs_kind(st.st_mode));
	t->left = e->size;
	return 0;
}

static int changed(const struct entry *e, const char *how, struct err *err)
{
	return err_setk(err, ERRK_INVALID,
	                "'%s' in the build context %s while it was packed (%llu bytes when the "
	                "context was listed): do not change the context during a build",
	                e->path, how, e->size);
}

/* Up to size bytes of the plain tar stream; 0 at its end. */
static long tar_read(struct tgz *t, char *data, size_t size, struct err *err)
{
	for (;;) {
		if (t->out_off < t->out_len) {
			size_t n = t->out_len - t->out_off;

			if (n > size)
				n = size;
			memcpy(data, t->out + t->out_off, n);
			t->out_off += n;
			return (long)n;
		}
		switch (t->phase) {
		case PH_HEADER: {
			const struct entry *e = &t->ents[t->next];

			headers(t, e);
			if (e->type == ENT_FILE) {
				if (open_file(t, e, err) < 0)
					return -1;
				t->phase = PH_DATA;
			} else {
				t->next++;
				t->phase = t->next < t->n ? PH_HEADER : PH_TRAILER;
			}
			break;
		}
		case PH_DATA: {
			const struct entry *e = &t->ents[t->next];
			ssize_t r;
			char one;

			if (t->left == 0) {
				r = read(t->fd, &one, 1);
				if (r < 0)
					return err_sys(err, errno,
					               "cannot read '%s' in the build context",
					               e->path);
				if (r > 0)
					return changed(e, "grew", err);
				close(t->fd);
				t->fd = -1;
				t->phase = PH_PAD;
				break;
			}
			if (size > t->left)
				size = (size_t)t->left;
			r = read(t->fd, data, size);
			if (r < 0)
				return err_sys(err, errno, "cannot read '%s' in the build context",
				               e->path);
			if (r == 0)
				return changed(e, "shrank", err);
			t->left -= (unsigned long long)r;
			return (long)r;
		}
		case PH_PAD: {
			size_t pad = (size_t)((512 - t->ents[t->next].size % 512) % 512);

			out_reserve(t, 512);
			memset(t->out, 0, 512);
			t->out_len = pad;
			t->out_off = 0;
			t->next++;
			t->phase = t->next < t->n ? PH_HEADER : PH_TRAILER;
			break;
		}
		case PH_TRAILER:
			out_reserve(t, 1024);
			memset(t->out, 0, 1024);
			t->out_len = 1024;
			t->out_off = 0;
			t->phase = PH_END;
			break;
		case PH_END:
			return 0;
		}
	}
}

/* The tar stream's next bytes, hashed and counted. */
static long tar_next(struct tgz *t, char *data, size_t size, struct err *err)
{
	long n = tar_read(t, data, size, err);

	if (n < 0) {
		t->failed = 1;
		return -1;
	}
	if (n > 0) {
		crypto_hash_update(t->hash, data, (size_t)n);
		t->tar_bytes += (unsigned long long)n;
	} else if (t->hash) {
		crypto_hash_final(t->hash, t->hex);
		t->hash = NULL;
	}
	return n;
}

long tgz_read(void *ctx, char *data, size_t size, struct err *err)
{
	struct tgz *t = ctx;

	if (t->failed)
		return err_setk(err, ERRK_OTHER, "the build context's archive failed already");
	if (size == 0)
		return 0;
	if (t->level == 0)
		return tar_next(t, data, size, err);
	if (t->z_done)
		return 0;
	if (size > UINT_MAX)
		size = UINT_MAX;
	t->strm.next_out = (unsigned char *)data;
	t->strm.avail_out = (unsigned)size;
	/* Until deflate has given something: a read of 0 means the end. */
	while (t->strm.avail_out == (unsigned)size) {
		int zr;

		if (t->strm.avail_in == 0 && !t->tar_done) {
			long n = tar_next(t, t->in, TGZ_CHUNK, err);

			if (n < 0)
				return -1;
			if (n == 0)
				t->tar_done = 1;
			t->strm.next_in = (unsigned char *)t->in;
			t->strm.avail_in = (unsigned)n;
		}
		zr = deflate(&t->strm, t->tar_done ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			t->z_done = 1;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			t->failed = 1;
			return err_setk(err, ERRK_OTHER, "cannot compress the build context: %s",
			                t->strm.msg ? t->strm.msg : zError(zr));
		}
	}
	return (long)(size - t->strm.avail_out);
}

void tgz_digest(const struct tgz *t, char hex[CRYPTO_HEX_MAX], unsigned long long *tar_bytes)
{
	memcpy(hex, t->hex, CRYPTO_HEX_MAX);
	if (tar_bytes)
		*tar_bytes = t->tar_bytes;
}

void tgz_free(struct tgz *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->ents[i].path);
		free(t->ents[i].target);
	}
	free(t->ents);
	if (t->fd >= 0)
		close(t->fd);
	if (t->hash) {
		char hex[CRYPTO_HEX_MAX];

		crypto_hash_final(t->hash, hex);
	}
	if (t->zinit)
		deflateEnd(&t->strm);
	free(t->in);
	free(t->out);
	free(t->dir);
	free(t);
}

int tgz_hash(const char *dir, const struct tgz_opts *opts, char hex[CRYPTO_HEX_MAX],
             unsigned long long *tar_bytes, struct err *err)
{
	struct tgz_opts o = {0};
	struct tgz *t = NULL;
	char *buf;
	long n;

	if (opts)
		o = *opts;
	o.gzip_level = 0;
	if (tgz_open(dir, &o, &t, err) < 0)
		return -1;
	buf = xmalloc(TGZ_CHUNK);
	while ((n = tgz_read(t, buf, TGZ_CHUNK, err)) > 0)
		;
	free(buf);
	if (n < 0) {
		tgz_free(t);
		return -1;
	}
	tgz_digest(t, hex, tar_bytes);
	tgz_free(t);
	return 0;
}
