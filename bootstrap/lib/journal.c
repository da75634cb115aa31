/*
 * journal: the append-only record of the resources ftboot creates, and
 * its replay into the live set.
 *
 * Format, one record a line:
 *
 *	+<TAB>kind<TAB>name<TAB>detail<LF>	kind/name exists (or is about to)
 *	-<TAB>kind<TAB>name<LF>			kind/name is gone
 *
 * kind is 1 to 32 characters of a-z, 0-9 and '-'. name is 1 to 255 bytes
 * and detail 0 to 4096 bytes; neither holds a control character (bytes
 * 0x00-0x1f and 0x7f, so no tab and no newline); other bytes, UTF-8
 * included, are kept as they are.
 *
 * Each record is one write(2) of the whole line to a file opened with
 * O_APPEND, then fsync (and, when the write created the file, fsync of
 * its directory). A crash can leave only the last line unfinished: the
 * loader ignores it, and the next write cuts it off first so that it
 * never ends up in the middle. Every other malformed line is an error.
 * Writers are expected to hold the stack's lock (state_lock).
 *
 * detail is fields, "key=value" apart by one space, each value with ' '
 * and '%' written %20 and %25 (journal_record, journal_get). A detail
 * that is not fields is a bare value from before fields existed, read by
 * journal_get as its kind's field of that time.
 *
 * Each record written passes the test point "journal:add:KIND:NAME" or
 * "journal:remove:KIND:NAME" (failpoint.h) once it is durable, where NAME
 * is the last '/' component of the resource's name: a file is journaled
 * by its path, whose directory may be a scratch one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "failpoint.h"
#include "fs.h"
#include "journal.h"
#include "text.h"
#include "xmem.h"

#define JOURNAL_KIND_MAX   32
#define JOURNAL_NAME_MAX   255
#define JOURNAL_DETAIL_MAX 4096
#define JOURNAL_FILE_MAX   (16u * 1024 * 1024)

/*
 * Validators: 0 if s[0..len) is a good kind/name/detail, else -1 with the
 * reason in why. They never quote an invalid value.
 */
static int journal_check_kind(const char *s, size_t len, char *why, size_t whylen)
{
	static const char rule[] = "kinds are 1 to 32 characters of a-z, 0-9 and '-'";
	size_t i;

	if (len == 0) {
		snprintf(why, whylen, "kind is empty; %s", rule);
		return -1;
	}
	if (len > JOURNAL_KIND_MAX) {
		snprintf(why, whylen, "kind is %zu bytes long; %s", len, rule);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
			snprintf(why, whylen, "kind has byte 0x%02x at position %zu; %s", c, i + 1,
			         rule);
			return -1;
		}
	}
	return 0;
}

static int journal_check_text(const char *what, const char *s, size_t len, size_t min, size_t max,
                              char *why, size_t whylen)
{
	size_t i;

	if (len == 0 && min > 0) {
		snprintf(why, whylen, "%s is empty", what);
		return -1;
	}
	if (len > max) {
		snprintf(why, whylen, "%s is %zu bytes long, more than %zu", what, len, max);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(why, whylen,
			         "%s has control character 0x%02x at byte %zu; tabs, newlines and "
			         "other control characters are not allowed",
			         what, c, i + 1);
			return -1;
		}
	}
	return 0;
}

static int journal_check_name(const char *s, size_t len, char *why, size_t whylen)
{
	return journal_check_text("name", s, len, 1, JOURNAL_NAME_MAX, why, whylen);
}

static int journal_check_detail(const char *s, size_t len, char *why, size_t whylen)
{
	return journal_check_text("detail", s, len, 0, JOURNAL_DETAIL_MAX, why, whylen);
}

static ssize_t journal_index(const struct journal *j, const char *kind, size_t klen,
                             const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		const struct journal_entry *e = &j->v[i];

		if (strlen(e->kind) == klen && memcmp(e->kind, kind, klen) == 0 &&
		    strlen(e->name) == nlen && memcmp(e->name, name, nlen) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Apply a record to the live set (nothing written). */
static void journal_apply_add(struct journal *j, const char *kind, size_t klen, const char *name,
                              size_t nlen, const char *detail, size_t dlen)
{
	ssize_t i = journal_index(j, kind, klen, name, nlen);
	struct journal_entry *e;

	if (i >= 0) {
		e = &j->v[i];
		free(e->detail);
		e->detail = xstrndup(detail, dlen);
		return;
	}
	j->v = xreallocarray(j->v, j->n + 1, sizeof(*j->v));
	e = &j->v[j->n++];
	e->kind = xstrndup(kind, klen);
	e->name = xstrndup(name, nlen);
	e->detail = xstrndup(detail, dlen);
}

static void journal_apply_remove(struct journal *j, const char *kind, size_t klen, const char *name,
                                 size_t nlen)
{
	ssize_t i = journal_index(j, kind, klen, name, nlen);
	struct journal_entry *e;

	if (i < 0)
		return;
	e = &j->v[i];
	free(e->kind);
	free(e->name);
	free(e->detail);
	memmove(e, e + 1, (j->n - (size_t)i - 1) * sizeof(*e));
	j->n--;
}

/* Replay one complete line (without its '\n'); -1 with why on error. */
static int journal_replay_line(struct journal *j, const char *line, size_t len, char *why,
                               size_t whylen)
{
	const char *f[4];
	size_t fl[4], nf = 0, i, start;

	if (len == 0) {
		snprintf(why, whylen, "empty line");
		return -1;
	}
	if (memchr(line, '\0', len)) {
		snprintf(why, whylen, "holds a NUL byte");
		return -1;
	}
	if (len < 2 || (line[0] != '+' && line[0] != '-') || line[1] != '\t') {
		snprintf(why, whylen, "does not start with '+<TAB>' or '-<TAB>'");
		return -1;
	}
	for (i = start = 2;; i++) {
		if (i == len || line[i] == '\t') {
			if (nf == 3) {
				nf++; /* too many: counted, not kept */
				break;
			}
			f[nf] = line + start;
			fl[nf++] = i - start;
			start = i + 1;
			if (i == len)
				break;
		}
	}
	if (line[0] == '+' && nf != 3) {
		snprintf(why, whylen,
		         "an add record has %s fields after '+' (want kind, name, detail)",
		         nf < 3 ? "too few" : "too many");
		return -1;
	}
	if (line[0] == '-' && nf != 2) {
		snprintf(why, whylen, "a remove record has %s fields after '-' (want kind, name)",
		         nf < 2 ? "too few" : "too many");
		return -1;
	}
	if (journal_check_kind(f[0], fl[0], why, whylen) < 0 ||
	    journal_check_name(f[1], fl[1], why, whylen) < 0)
		return -1;
	if (line[0] == '-') {
		journal_apply_remove(j, f[0], fl[0], f[1], fl[1]);
		return 0;
	}
	if (journal_check_detail(f[2], fl[2], why, whylen) < 0)
		return -1;
	journal_apply_add(j, f[0], fl[0], f[1], fl[1], f[2], fl[2]);
	return 0;
}

int journal_open(struct journal *j, const char *path, struct err *err)
{
	struct buf b = BUF_INIT(JOURNAL_FILE_MAX);
	struct stat sb;
	char why[512];
	size_t pos = 0, lineno = 0;
	int rc = -1;

	j->path = xstrdup(path);
	j->v = NULL;
	j->n = 0;
	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		err_sys(err, errno, "cannot read journal '%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(err, ERR_FAIL, "journal '%s' is not a regular file; move it away", path);
		goto out;
	}
	if ((unsigned long long)sb.st_size > JOURNAL_FILE_MAX) {
		err_set(err, ERR_FAIL,
		        "journal '%s' is larger than %u MiB, more than ftboot ever writes; "
		        "move it away (ftboot will then not know what it created)",
		        path, JOURNAL_FILE_MAX >> 20);
		goto out;
	}
	if (fs_read(path, JOURNAL_FILE_MAX, &b, err) < 0)
		goto out;
	while (pos < b.len) {
		const char *line = b.data + pos;
		const char *nl = memchr(line, '\n', b.len - pos);
		size_t len;

		if (nl == NULL)
			break; /* torn last line: that write never completed */
		len = (size_t)(nl - line);
		lineno++;
		if (journal_replay_line(j, line, len, why, sizeof(why)) < 0) {
			err_set(err, ERR_FAIL,
			        "journal '%s': line %zu: %s; the journal is written only by "
			        "ftboot: fix or delete the line",
			        path, lineno, why);
			goto out;
		}
		pos += len + 1;
	}
	rc = 0;
out:
	buf_release(&b);
	if (rc < 0)
		journal_close(j);
	return rc;
}

/*
 * If the file does not end in '\n', cut off the unfinished last line (a
 * write that never completed), so that the next record starts a line.
 */
static int journal_cut_torn(int fd, const char *path, struct err *err)
{
	char chunk[4096];
	struct stat sb;
	off_t pos, end = 0;

	if (fstat(fd, &sb) < 0)
		return err_sys(err, errno, "cannot read journal '%s'", path);
	pos = sb.st_size;
	while (pos > 0) {
		size_t n = pos < (off_t)sizeof(chunk) ? (size_t)pos : sizeof(chunk);
		ssize_t r = pread(fd, chunk, n, pos - (off_t)n);
		size_t i;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, errno, "cannot read journal '%s'", path);
		if ((size_t)r != n)
			return err_set(err, ERR_FAIL, "cannot read journal '%s': it shrank", path);
		for (i = n; i > 0 && chunk[i - 1] != '\n'; i--)
			;
		if (i > 0) {
			end = pos - (off_t)n + (off_t)i;
			break;
		}
		pos -= (off_t)n;
	}
	if (end == sb.st_size)
		return 0;
	if (ftruncate(fd, end) < 0)
		return err_sys(err, errno, "cannot cut the unfinished last line of journal '%s'",
		               path);
	return 0;
}

/* Append line (len bytes, ending in '\n') durably. */
static int journal_append(const struct journal *j, const char *line, size_t len, struct err *err)
{
	struct stat sb;
	int fd = -1, created = 0, rc = -1;

	for (;;) {
		fd = open(j->path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		          0600);
		if (fd >= 0) {
			created = 1;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err_sys(err, errno, "cannot write journal '%s'", j->path);
		goto out;
	}
	if (fstat(fd, &sb) < 0) {
		err_sys(err, errno, "cannot write journal '%s'", j->path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(err, ERR_FAIL, "journal '%s' is not a regular file; move it away", j->path);
		goto out;
	}
	if (created && fchmod(fd, 0600) < 0) {
		err_sys(err, errno, "cannot set the mode of journal '%s'", j->path);
		goto out;
	}
	if (!created && journal_cut_torn(fd, j->path, err) < 0)
		goto out;
	/* One write(2) of the whole line; a short one (disk full) goes on. */
	while (len > 0) {
		ssize_t n = write(fd, line, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, errno, "cannot write journal '%s'", j->path);
			goto out;
		}
		line += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		err_sys(err, errno, "cannot write journal '%s': fsync", j->path);
		goto out;
	}
	if (created && fs_fsync_dir(j->path) < 0 &&
	    err_sys(err, errno, "cannot sync the directory of '%s'", j->path) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Validate kind and name for a record; err names the journal and what is wrong. */
static int journal_check_key(const struct journal *j, const char *kind, const char *name,
                             struct err *err)
{
	char why[512];

	if (journal_check_kind(kind, strlen(kind), why, sizeof(why)) < 0 ||
	    journal_check_name(name, strlen(name), why, sizeof(why)) < 0)
		return err_set(err, ERR_FAIL, "journal '%s': cannot record a resource: %s", j->path,
		               why);
	return 0;
}

int journal_add(struct journal *j, const char *kind, const char *name, const char *detail,
                struct err *err)
{
	struct buf line = BUF_INIT(JOURNAL_KIND_MAX + JOURNAL_NAME_MAX + JOURNAL_DETAIL_MAX + 8);
	const struct journal_entry *e;
	char why[512];
	int rc = -1;

	if (journal_check_key(j, kind, name, err) < 0)
		return -1;
	if (journal_check_detail(detail, strlen(detail), why, sizeof(why)) < 0)
		return err_set(err, ERR_FAIL, "journal '%s': cannot record %s '%s': %s", j->path,
		               kind, name, why);
	e = journal_find(j, kind, name);
	if (e && strcmp(e->detail, detail) == 0)
		return 0; /* recorded already, and durable */
	if (buf_addf(&line, "+\t%s\t%s\t%s\n", kind, name, detail) < 0) {
		err_set(err, ERR_FAIL, "journal '%s': record too long", j->path);
		goto out;
	}
	if (journal_append(j, line.data, line.len, err) < 0)
		goto out;
	journal_apply_add(j, kind, strlen(kind), name, strlen(name), detail, strlen(detail));
	failpoint("journal:add:%s:%s", kind, path_base(name));
	rc = 0;
out:
	buf_release(&line);
	return rc;
}

int journal_remove(struct journal *j, const char *kind, const char *name, struct err *err)
{
	struct buf line = BUF_INIT(JOURNAL_KIND_MAX + JOURNAL_NAME_MAX + 8);
	int rc = -1;

	if (journal_check_key(j, kind, name, err) < 0)
		return -1;
	if (journal_find(j, kind, name) == NULL)
		return 0;
	if (buf_addf(&line, "-\t%s\t%s\n", kind, name) < 0) {
		err_set(err, ERR_FAIL, "journal '%s': record too long", j->path);
		goto out;
	}
	if (journal_append(j, line.data, line.len, err) < 0)
		goto out;
	journal_apply_remove(j, kind, strlen(kind), name, strlen(name));
	failpoint("journal:remove:%s:%s", kind, path_base(name));
	rc = 0;
out:
	buf_release(&line);
	return rc;
}

int journal_record(struct journal *j, const char *kind, const char *name, const char *const *kv,
                   struct err *err)
{
	struct buf d = BUF_INIT(JOURNAL_DETAIL_MAX + 1);
	char why[512];
	size_t i;
	int rc = -1;

	for (i = 0; kv && kv[i]; i += 2) {
		const char *v = kv[i + 1];

		if (journal_check_kind(kv[i], strlen(kv[i]), why, sizeof(why)) < 0) {
			err_set(err, ERR_FAIL, "journal '%s': cannot record %s '%s': field key: %s",
			        j->path, kind, name, why);
			goto out;
		}
		if (v == NULL) {
			err_set(err, ERR_FAIL,
			        "journal '%s': cannot record %s '%s': field '%s' has no value",
			        j->path, kind, name, kv[i]);
			goto out;
		}
		buf_addf(&d, "%s%s=", i ? " " : "", kv[i]);
		for (; *v; v++) {
			if (*v == ' ' || *v == '%')
				buf_addf(&d, "%%%02X", (unsigned char)*v);
			else
				buf_addch(&d, *v);
		}
	}
	if (d.len > JOURNAL_DETAIL_MAX) {
		err_set(err, ERR_FAIL,
		        "journal '%s': cannot record %s '%s': its fields are more than %u bytes",
		        j->path, kind, name, JOURNAL_DETAIL_MAX);
		goto out;
	}
	rc = journal_add(j, kind, name, buf_cstr(&d), err);
out:
	buf_release(&d);
	return rc;
}

/* The field a bare detail of an older journal meant, by kind. */
static const char *journal_legacy_key(const char *kind)
{
	static const char *const map[][2] = {
	    {"network", "cidr"}, {"pool", "dir"}, {"volume", "pool"}, {"domain", "accel"}};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], kind) == 0)
			return map[i][1];
	return NULL;
}

/* 1 if detail is fields: "key=value" words apart by one space. */
static int journal_is_fields(const char *d)
{
	char why[8];

	while (*d) {
		size_t w = strcspn(d, " "), k = strcspn(d, "= ");

		if (k >= w || journal_check_kind(d, k, why, sizeof(why)) < 0)
			return 0;
		d += w;
		if (*d == ' ' && *++d == '\0')
			return 0;
	}
	return 1;
}

char *journal_get(const struct journal_entry *e, const char *key)
{
	const char *d = e->detail, *legacy;
	size_t klen = strlen(key);

	if (!journal_is_fields(d)) {
		legacy = journal_legacy_key(e->kind);
		return legacy && strcmp(legacy, key) == 0 ? xstrdup(d) : NULL;
	}
	while (*d) {
		size_t w = strcspn(d, " ");

		if (w > klen && memcmp(d, key, klen) == 0 && d[klen] == '=') {
			struct buf v = BUF_INIT(JOURNAL_DETAIL_MAX + 1);
			const char *p;

			for (p = d + klen + 1; p < d + w; p++) {
				if (*p == '%' && p + 2 < d + w && text_hex_digit(p[1]) >= 0 &&
				    text_hex_digit(p[2]) >= 0) {
					buf_addch(&v, (char)(text_hex_digit(p[1]) * 16 +
					                     text_hex_digit(p[2])));
					p += 2;
				} else {
					buf_addch(&v, *p);
				}
			}
			return buf_detach(&v, NULL);
		}
		d += w;
		if (*d == ' ')
			d++;
	}
	return NULL;
}

const struct journal_entry *journal_find(const struct journal *j, const char *kind,
                                         const char *name)
{
	ssize_t i = journal_index(j, kind, strlen(kind), name, strlen(name));

	return i < 0 ? NULL : &j->v[i];
}

void journal_close(struct journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		free(j->v[i].kind);
		free(j->v[i].name);
		free(j->v[i].detail);
	}
	free(j->v);
	free(j->path);
	j->v = NULL;
	j->n = 0;
	j->path = NULL;
}
