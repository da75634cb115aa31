/*
 * check_repo: the check kinds that read the repository (check.h), E1
 * and E2. They talk to nothing: they read files under env->top (the
 * parent of the stack file's directory) without following symbolic
 * links in a walk and without waiting on a FIFO.
 *
 *   kind: layout
 *   files: [setup.sh]              # regular files (a FIFO, directory ... fails)
 *   executable: [setup.sh]         # ... that are also executable
 *   dirs: [srcs]                   # directories
 *   forbid:                        # text that must appear nowhere in these
 *     {text: port-forward, in: [setup.sh, srcs]}   # (or a list of such)
 *
 *   kind: dockerfiles
 *   allow: [alpine]                # repositories a FROM may name (default [alpine])
 *   pinned: true                   # ... with a tag other than latest, or a digest
 *   under: srcs                    # also every file named Dockerfile below it
 *
 * Every service of the stack is built from its Dockerfile (image.h); each
 * of its FROMs names an allowed repository (docker.io/library/ spelled
 * or not), one of the stack's own images (ftboot/<service>, untagged or
 * :latest), an earlier stage or scratch. The Dockerfile is read by
 * image.h's parser, the one the build uses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "image.h"
#include "text.h"
#include "xmem.h"

/* Bounds of a walk: directory depth, entries seen, bytes read. */
#define WALK_DEPTH    32
#define WALK_ENTRIES  20000
#define WALK_BYTES    (256ull << 20)
#define FORBID_MAX    256 /* bytes of a forbidden text */
#define HITS_SHOWN    20  /* hits listed in the evidence */
#define EXCERPT_MAX   160 /* bytes of a hit's line kept */
#define EXCERPT_SHOWN 56  /* ... and shown (text_quote cuts at 60) */
#define REL_PATH_MAX  4096

/* ---- keys ------------------------------------------------------------------ */

/* A path relative to the repository: not empty, not absolute, no "..". */
static int rel_path_ok(const char *s)
{
	const char *p = s;

	if (*s == '\0' || *s == '/' || strlen(s) > REL_PATH_MAX)
		return 0;
	while (*p) {
		size_t l = strcspn(p, "/");

		if (l == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += l;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* n (at what) is a list of relative paths. */
static int paths_key(struct schema *sc, const struct doc_node *n, const char *what)
{
	char w[200];
	size_t i;

	if (n->type != DOC_SEQ || n->n == 0)
		return schema_fail(sc, n, what,
		                   "expected a list of paths in the repository, like [setup.sh]");
	for (i = 0; i < n->n; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (schema_str(sc, n->items[i], w) < 0)
			return -1;
		if (!rel_path_ok(n->items[i]->text))
			return schema_fail(sc, n->items[i], w,
			                   "a path relative to the repository (the parent of "
			                   "srcs/), without '..', like srcs/nginx");
	}
	return 0;
}

/* One forbid rule: {text: T, in: [paths]}. */
static int forbid_rule(struct schema *sc, const struct doc_node *r, const char *what)
{
	const struct doc_node *t, *in;
	char w[200];

	if (schema_map(sc, r, what) < 0 ||
	    schema_keys(sc, r, what, (const char *const[]){"text", "in", NULL}) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.text", what);
	if ((t = doc_map_get(r, "text")) == NULL)
		return schema_fail(sc, r, what, "a forbid rule needs text: (what must not appear)");
	if (schema_str(sc, t, w) < 0)
		return -1;
	if (t->len > FORBID_MAX || memchr(t->text, '\n', t->len) || memchr(t->text, '\0', t->len))
		return schema_fail(sc, t, w, "one line of at most %d bytes", FORBID_MAX);
	snprintf(w, sizeof(w), "%s.in", what);
	if ((in = doc_map_get(r, "in")) == NULL)
		return schema_fail(sc, r, what, "a forbid rule needs in: (files and directories)");
	return paths_key(sc, in, w);
}

static int layout_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const lists[] = {"files", "executable", "dirs"};
	const struct doc_node *n;
	char what[96];
	size_t i;
	int any = 0;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if ((n = doc_map_get(check, lists[i])) == NULL)
			continue;
		any = 1;
		snprintf(what, sizeof(what), "%s.%s", where, lists[i]);
		if (paths_key(sc, n, what) < 0)
			return -1;
	}
	if ((n = doc_map_get(check, "forbid"))) {
		any = 1;
		snprintf(what, sizeof(what), "%s.forbid", where);
		if (n->type == DOC_SEQ) {
			for (i = 0; i < n->n; i++) {
				char w[160];

				snprintf(w, sizeof(w), "%s[%zu]", what, i);
				if (forbid_rule(sc, n->items[i], w) < 0)
					return -1;
			}
		} else if (forbid_rule(sc, n, what) < 0) {
			return -1;
		}
	}
	if (!any)
		return schema_fail(sc, check, where,
		                   "a layout check needs files:, executable:, dirs: or forbid:");
	return 0;
}

/* ---- files -------------------------------------------------------------------- */

/*
 * Open top/rel for reading without waiting on a FIFO; *sb its fstat.
 * -1 with errno set when it cannot be opened.
 */
static int open_at_top(const char *top, const char *rel, int flags, struct stat *sb)
{
	char *path = path_join(top, rel);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags);
	int saved;

	free(path);
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* rel is what want says (a regular file, an executable one, a directory), else fail saying what it is. */
static void layout_entry(struct check_run *cr, const char *rel, const char *want)
{
	struct stat sb;
	char q[80], expected[160], seen[200];
	int fd = open_at_top(cr->env->top, rel, 0, &sb);
	int dir = strcmp(want, "a directory") == 0, exe = strcmp(want, "an executable file") == 0;

	text_quote(rel, strlen(rel), q, sizeof(q));
	snprintf(expected, sizeof(expected), "%s: %s", q, want);
	if (fd < 0) {
		snprintf(seen, sizeof(seen), "%s: %s", q,
		         errno == ENOENT || errno == ENOTDIR ? "missing" : strerror(errno));
		check_fail(cr, expected, seen, "%s",
		           dir ? "create the directory" : "create the file");
		return;
	}
	close(fd);
	if (dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode)) {
		snprintf(seen, sizeof(seen), "%s: %s", q,
		         S_ISREG(sb.st_mode) ? "a regular file" : fs_kind(sb.st_mode));
		check_fail(cr, expected, seen, "make %s %s", q, want);
		return;
	}
	if (exe && (sb.st_mode & 0111) == 0) {
		snprintf(seen, sizeof(seen), "%s: mode %03o, not executable", q,
		         (unsigned)(sb.st_mode & 0777));
		check_fail(cr, expected, seen, "chmod +x %s", q);
		return;
	}
	check_evidence(cr, "%s: %s", q, want);
}

/* ---- the walk ------------------------------------------------------------------- */

struct walk;
/* A regular file found (fd open for reading, rel its path): 0 to go on, -1 to stop. */
typedef int (*walk_fn)(struct walk *w, int fd, const char *rel);
/* Something else found where a file was looked for (FIFO, device, symlink). */
typedef void (*walk_other_fn)(struct walk *w, const char *rel, mode_t mode);

struct walk {
	struct check_run *cr;
	walk_fn fn;
	walk_other_fn other;
	void *ctx;
	size_t entries;
	unsigned long long bytes;
	int stopped; /* a bound passed or fn said stop: the check has failed */
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_bound(struct walk *w, const char *what, const char *rel)
{
	char q[80], seen[200];

	snprintf(seen, sizeof(seen), "%s below %s", what,
	         text_quote(rel, strlen(rel), q, sizeof(q)));
	check_fail(w->cr, "a tree the check reads whole", seen,
	           "the check reads at most %d levels, %d entries and %llu MiB", WALK_DEPTH,
	           WALK_ENTRIES, WALK_BYTES >> 20);
	w->stopped = 1;
}

/* An open file found at rel: a regular one goes to fn (within the bound), others to other. */
static void walk_found(struct walk *w, int fd, const struct stat *sb, const char *rel)
{
	if (!S_ISREG(sb->st_mode)) {
		if (w->other)
			w->other(w, rel, sb->st_mode);
		return;
	}
	w->bytes += (unsigned long long)sb->st_size;
	if (w->bytes > WALK_BYTES)
		walk_bound(w, "more bytes than the check reads", rel);
	else if (w->fn(w, fd, rel) < 0)
		w->stopped = 1;
}

/* Walk the directory dfd (owned: closed here) at rel, in name order. */
static void walk_dir(struct walk *w, int dfd, const char *rel, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++w->entries > WALK_ENTRIES) {
			walk_bound(w, "more entries than the check reads", rel);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !w->stopped; i++) {
		char *sub = path_join(rel, names[i]);
		struct stat sb;
		int fd;

		if (fstatat(dirfd(d), names[i], &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			free(sub);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (depth + 1 > WALK_DEPTH)
				walk_bound(w, "directories deeper than the check reads", rel);
			else if ((fd = openat(dirfd(d), names[i],
			                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >=
			         0)
				walk_dir(w, fd, sub, depth + 1);
		} else if (S_ISREG(sb.st_mode)) {
			fd = openat(dirfd(d), names[i],
			            O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
			/* Looked at again once open: it may have been replaced. */
			if (fd >= 0 && fstat(fd, &sb) == 0)
				walk_found(w, fd, &sb, sub);
			if (fd >= 0)
				close(fd);
		} else if (w->other) {
			w->other(w, sub, sb.st_mode);
		}
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

/* Walk top/rel: a directory's files, or rel itself when it is a file (absent: said). */
static void walk_path(struct walk *w, const char *rel)
{
	struct stat sb;
	int fd = open_at_top(w->cr->env->top, rel, 0, &sb);

	if (fd < 0) {
		char q[80];

		check_evidence(w->cr, "%s: %s, not searched",
		               text_quote(rel, strlen(rel), q, sizeof(q)),
		               errno == ENOENT ? "missing" : strerror(errno));
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		walk_dir(w, fd, rel, 0);
		return;
	}
	walk_found(w, fd, &sb, rel);
	close(fd);
}

/* ---- forbidden text ---------------------------------------------------------------- */

struct hit {
	char *path;
	unsigned line, col;
	char excerpt[EXCERPT_SHOWN * 2 + 8];
};

struct forbid {
	const char *text;
	size_t len, chars;       /* bytes, UTF-8 characters */
	size_t fail[FORBID_MAX]; /* KMP's failure function */
	struct hit *hits;
	size_t nhits, total, files;
};

static void forbid_init(struct forbid *f, const char *text)
{
	size_t i, k = 0;

	memset(f, 0, sizeof(*f));
	f->text = text;
	f->len = strlen(text);
	for (i = 0; i < f->len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			f->chars++;
	for (i = 1; i < f->len; i++) {
		while (k > 0 && text[i] != text[k])
			k = f->fail[k - 1];
		if (text[i] == text[k])
			k++;
		f->fail[i] = k;
	}
}

/*
 * The end of a line (line[0..len), ending with a hit) as shown: its last
 * EXCERPT_SHOWN bytes from a character's start, "..." before when cut,
 * so that the hit is never what text_quote cuts off.
 */
static void excerpt(const char *line, size_t len, char *out, size_t size)
{
	size_t from = len > EXCERPT_SHOWN ? len - EXCERPT_SHOWN : 0;
	char q[EXCERPT_SHOWN * 2];

	while (from < len && ((unsigned char)line[from] & 0xC0) == 0x80)
		from++;
	text_quote(line + from, len - from, q, sizeof(q));
	snprintf(out, size, "%s%s", from ? "..." : "", q);
}

/*
 * Search the open file for f->text, streaming (any size): each hit's
 * line and column (characters) and its line up to the hit's end.
 */
static int forbid_file(struct walk *w, int fd, const char *rel)
{
	struct forbid *f = w->ctx;
	char chunk[65536], line[EXCERPT_MAX];
	unsigned lineno = 1, col = 0;
	size_t k = 0, ll = 0;
	ssize_t n;

	f->files++;
	for (;;) {
		ssize_t i;

		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			char c = chunk[i];

			if (c == '\n') {
				lineno++;
				col = 0;
				ll = 0;
				k = 0;
				continue;
			}
			if (((unsigned char)c & 0xC0) != 0x80)
				col++;
			if (ll == sizeof(line)) { /* keep the line's last half */
				memmove(line, line + sizeof(line) / 2, sizeof(line) / 2);
				ll = sizeof(line) / 2;
			}
			line[ll++] = c;
			while (k > 0 && c != f->text[k])
				k = f->fail[k - 1];
			if (c == f->text[k])
				k++;
			if (k < f->len)
				continue;
			k = f->fail[k - 1];
			f->total++;
			if (f->nhits < HITS_SHOWN) {
				struct hit *h;

				f->hits = xreallocarray(f->hits, f->nhits + 1, sizeof(*f->hits));
				h = &f->hits[f->nhits++];
				h->path = xstrdup(rel);
				h->line = lineno;
				h->col = col - (unsigned)f->chars + 1;
				excerpt(line, ll, h->excerpt, sizeof(h->excerpt));
			}
		}
	}
	return 0;
}

static void forbid_release(struct forbid *f)
{
	size_t i;

	for (i = 0; i < f->nhits; i++)
		free(f->hits[i].path);
	free(f->hits);
}

/* The rule r: its text nowhere in its paths. */
static void forbid_run(struct check_run *cr, const struct doc_node *r)
{
	const struct doc_node *in = doc_map_get(r, "in");
	struct forbid *f = xmalloc(sizeof(*f));
	struct walk w = {cr, forbid_file, NULL, f, 0, 0, 0};
	struct buf where = BUF_INIT(1u << 16);
	char qt[80], qp[80];
	size_t i;

	forbid_init(f, doc_map_get(r, "text")->text);
	text_quote(f->text, f->len, qt, sizeof(qt));
	for (i = 0; i < in->n; i++)
		buf_addf(&where, "%s%s", i ? ", " : "",
		         text_quote(in->items[i]->text, in->items[i]->len, qp, sizeof(qp)));
	for (i = 0; i < in->n && !w.stopped; i++)
		walk_path(&w, in->items[i]->text);
	for (i = 0; i < f->nhits; i++)
		check_evidence(cr, "%s:%u:%u: '%s' in: %s",
		               text_quote(f->hits[i].path, strlen(f->hits[i].path), qp, sizeof(qp)),
		               f->hits[i].line, f->hits[i].col, qt, f->hits[i].excerpt);
	if (f->total > f->nhits)
		check_evidence(cr, "... and %zu more", f->total - f->nhits);
	if (f->total) {
		char *expected = xasprintf("no '%s' in %s", qt, buf_cstr(&where));
		char *seen =
		    xasprintf("%s:%u:%u: %s%s",
		              text_quote(f->hits[0].path, strlen(f->hits[0].path), qp, sizeof(qp)),
		              f->hits[0].line, f->hits[0].col, f->hits[0].excerpt,
		              f->total > 1 ? " (and more: see the evidence)" : "");

		check_fail(cr, expected, seen, "remove '%s' from these files (R15)", qt);
		free(expected);
		free(seen);
	} else if (!w.stopped) {
		check_evidence(cr, "no '%s' in %s (%zu files read)", qt, buf_cstr(&where),
		               f->files);
	}
	buf_release(&where);
	forbid_release(f);
	free(f);
}

static int layout_run(struct check_run *cr)
{
	static const struct {
		const char *key, *want;
	} lists[] = {{"files", "a regular file"},
	             {"executable", "an executable file"},
	             {"dirs", "a directory"}};
	const struct doc_node *n;
	size_t i, j;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if ((n = check_key(cr, lists[i].key)))
			for (j = 0; j < n->n; j++)
				layout_entry(cr, n->items[j]->text, lists[i].want);
	if ((n = check_key(cr, "forbid"))) {
		if (n->type == DOC_SEQ)
			for (i = 0; i < n->n; i++)
				forbid_run(cr, n->items[i]);
		else
			forbid_run(cr, n);
	}
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

const struct check_kind check_kind_layout = {
    "layout", (const char *const[]){"files", "executable", "dirs", "forbid", NULL}, layout_validate,
    layout_run};

/* ---- Dockerfiles ------------------------------------------------------------------------ */

static int dockerfiles_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	const struct doc_node *n;
	char what[96], w[160];
	size_t i;

	if ((n = doc_map_get(check, "allow"))) {
		snprintf(what, sizeof(what), "%s.allow", where);
		if (n->type != DOC_SEQ)
			return schema_fail(sc, n, what,
			                   "expected a list of repositories, like [alpine]");
		for (i = 0; i < n->n; i++) {
			snprintf(w, sizeof(w), "%s[%zu]", what, i);
			if (schema_str(sc, n->items[i], w) < 0)
				return -1;
			if (strcspn(n->items[i]->text, ":@") != n->items[i]->len)
				return schema_fail(
				    sc, n->items[i], w,
				    "a repository without a tag or digest, like alpine");
		}
	}
	if ((n = doc_map_get(check, "pinned")) && n->type != DOC_BOOL) {
		snprintf(what, sizeof(what), "%s.pinned", where);
		return schema_fail(sc, n, what, "expected true or false");
	}
	if ((n = doc_map_get(check, "under"))) {
		snprintf(what, sizeof(what), "%s.under", where);
		if (schema_str(sc, n, what) < 0)
			return -1;
		if (!rel_path_ok(n->text))
			return schema_fail(sc, n, what,
			                   "a directory relative to the repository, like srcs");
	}
	return 0;
}

/* path as shown: relative to the repository when below it. Borrowed from path. */
static const char *shown_path(const struct check_run *cr, const char *path)
{
	size_t l = strlen(cr->env->top);

	if (strcmp(cr->env->top, ".") != 0 && strncmp(path, cr->env->top, l) == 0 && path[l] == '/')
		return path + l + 1;
	return path;
}

/*
 * Whether the FROM image is allowed: a repository of allow (with or
 * without docker.io/ and library/), pinned if asked, or ftboot/<service>
 * of the stack (untagged or :latest). why says what is wrong otherwise.
 */
static int base_allowed(const struct check_run *cr, const char *image, char *why, size_t size)
{
	const struct doc_node *allow = check_key(cr, "allow"), *pn = check_key(cr, "pinned");
	const size_t local = strlen(IMAGE_REPO "/");
	size_t nlen = strcspn(image, "@"), start = 0, rlen, i;
	const char *name = image, *colon;
	int digest = image[nlen] == '@', latest;

	/* NAME[:TAG][@DIGEST]: the tag's colon is after the last slash (a registry's port is not). */
	for (i = 0; i < nlen; i++)
		if (image[i] == '/')
			start = i + 1;
	colon = memchr(image + start, ':', nlen - start);
	rlen = colon ? (size_t)(colon - image) : nlen;
	latest = colon && nlen - rlen == 7 && memcmp(colon, ":latest", 7) == 0;
	if (rlen > local && strncmp(image, IMAGE_REPO "/", local) == 0 &&
	    memchr(image + local, '/', rlen - local) == NULL) {
		char *svc = xstrndup(image + local, rlen - local);
		int ok = 1;

		if (stack_service(cr->env->stack, svc) == NULL)
			ok = 0, snprintf(why, size, "'%s' is not a service of the stack", svc);
		else if (digest || (colon && !latest))
			ok = 0,
			snprintf(why, size,
			         "the stack's image of %s is " IMAGE_REPO "/%s (or :latest)", svc,
			         svc);
		free(svc);
		return ok;
	}
	if (rlen > 10 && strncmp(name, "docker.io/", 10) == 0)
		name += 10, rlen -= 10;
	if (rlen > 8 && strncmp(name, "library/", 8) == 0)
		name += 8, rlen -= 8;
	for (i = 0; allow ? i < allow->n : i < 1; i++) {
		const char *a = allow ? allow->items[i]->text : "alpine";

		if (strlen(a) != rlen || strncmp(a, name, rlen) != 0)
			continue;
		if (pn && pn->b && !digest && (!colon || latest)) {
			snprintf(why, size, "not pinned: name a version tag or a digest");
			return 0;
		}
		return 1;
	}
	snprintf(why, size, "not %s or a local image (R3: no ready-made image is pulled)",
	         allow && allow->n ? allow->items[0]->text : "alpine");
	return 0;
}

/* The Dockerfile at path (shown as shown): every FROM allowed. */
static void dockerfile_check(struct check_run *cr, const char *path, const char *shown,
                             const char *svc)
{
	struct buf text = BUF_INIT(IMAGE_FILE_MAX);
	struct image_from *froms = NULL;
	struct err err = {0};
	size_t n = 0, i;
	char q[80], qi[80], why[160], seen[400], expected[200];

	text_quote(shown, strlen(shown), q, sizeof(q));
	snprintf(expected, sizeof(expected), "%s: FROM %s or a local image", q,
	         check_key(cr, "allow") && check_key(cr, "allow")->n
	             ? check_key(cr, "allow")->items[0]->text
	             : "alpine");
	if (fs_read(path, IMAGE_FILE_MAX, &text, &err) < 0) {
		if (svc)
			check_fail(cr, expected, err.msg,
			           "service %s is built from it: make it a regular file, FROM "
			           "alpine:VERSION",
			           svc);
		else
			check_fail(cr, expected, err.msg, "make it a regular file");
		goto out;
	}
	if (image_dockerfile_bases(shown, text.data ? text.data : "", text.len, &froms, &n, &err) <
	    0) {
		check_fail_err(cr, expected, &err,
		               "fix the Dockerfile (docker build reads it so too)");
		goto out;
	}
	if (n == 0)
		check_evidence(cr, "%s: FROM scratch or earlier stages only", q);
	for (i = 0; i < n; i++) {
		why[0] = '\0';
		text_quote(froms[i].image, strlen(froms[i].image), qi, sizeof(qi));
		if (base_allowed(cr, froms[i].image, why, sizeof(why))) {
			check_evidence(cr, "%s:%u:%u: FROM %s", q, froms[i].line, froms[i].col, qi);
			continue;
		}
		snprintf(seen, sizeof(seen), "%s:%u:%u: FROM %s: %s", q, froms[i].line,
		         froms[i].col, qi, why);
		check_fail(cr, expected, seen,
		           "build %s FROM alpine:VERSION (or another service's "
		           "image, " IMAGE_REPO "/<service>), not a pulled image",
		           svc ? svc : q);
	}
out:
	image_froms_free(froms, n);
	buf_release(&text);
}

/* A file named Dockerfile below under that no service builds from. */
static int under_file(struct walk *w, int fd, const char *rel)
{
	const struct check_run *cr = w->cr;
	char *path;
	size_t i;

	(void)fd;
	if (strcmp(path_base(rel), "Dockerfile") != 0)
		return 0;
	path = path_join(cr->env->top, rel);
	for (i = 0; i < cr->env->stack->nservices; i++) {
		char *df = cr->env->stack->services[i].build
		               ? path_join(cr->env->stack->services[i].build, "Dockerfile")
		               : NULL;
		int same = df && strcmp(df, path) == 0;

		free(df);
		if (same) {
			free(path);
			return 0;
		}
	}
	dockerfile_check(w->cr, path, rel, NULL);
	free(path);
	return 0;
}

/* A Dockerfile that is not a regular file (a FIFO ...): refused, never read. */
static void under_other(struct walk *w, const char *rel, mode_t mode)
{
	char q[80], seen[200];

	if (strcmp(path_base(rel), "Dockerfile") != 0)
		return;
	text_quote(rel, strlen(rel), q, sizeof(q));
	snprintf(seen, sizeof(seen), "%s: %s, not a regular file", q, fs_kind(mode));
	check_fail(w->cr, "every Dockerfile a regular file", seen, "make %s a regular file", q);
}

static int dockerfiles_run(struct check_run *cr)
{
	const struct stack *st = cr->env->stack;
	const char *under = check_str(cr, "under", NULL);
	size_t i, built = 0;

	for (i = 0; i < st->nservices; i++) {
		char *path;

		if (st->services[i].build == NULL)
			continue;
		path = path_join(st->services[i].build, "Dockerfile");
		dockerfile_check(cr, path, shown_path(cr, path), st->services[i].name);
		free(path);
		built++;
	}
	if (under) {
		struct walk w = {cr, under_file, under_other, NULL, 0, 0, 0};

		walk_path(&w, under);
	}
	if (built == 0 && cr->res->status != CHECK_FAIL)
		return check_skip(cr, "no service of the stack is built from a Dockerfile");
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

const struct check_kind check_kind_dockerfiles = {
    "dockerfiles", (const char *const[]){"allow", "pinned", "under", NULL}, dockerfiles_validate,
    dockerfiles_run};
