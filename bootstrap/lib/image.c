/*
 * image: the plan of a stack's images (image.h). Reads each service's
 * Dockerfile far enough to know what it is built FROM, orders the local
 * bases before the images built on them, and hashes every context with
 * tgz_hash. Talks to no engine.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "fs.h"
#include "ignore.h"
#include "image.h"
#include "text.h"
#include "tgz.h"
#include "xmem.h"

#define NO_BASE    ((size_t)-1)
#define VALUE_MAX  4096 /* bytes of an image name or ARG value, expanded */
#define STAGES_MAX 1000 /* FROMs, and ARGs before the first */

/* The Dockerfile being read: its text, name and escape character. */
struct df {
	const char *name;
	const char *text;
	size_t len;
	size_t start; /* after a BOM */
	char escape;
	struct err *err;
	size_t pos_off, pos_sol; /* df_pos's cursor: an offset, its line's start */
	unsigned pos_line;
};

/* One logical line (continuations joined): its bytes and where each came from. */
struct lline {
	char *s;
	size_t *off;
	size_t n, cap;
};

/* A word of a logical line: [from, to) in the line. */
struct word {
	size_t from, to;
};

/* A meta ARG (before the first FROM). */
struct meta_arg {
	char *name;
	char *value;
};

struct parse {
	struct df *df;
	struct meta_arg *args;
	size_t nargs;
	char **stages; /* names of the stages so far, lowercased */
	size_t nstages;
	int seen_from;
	size_t nfrom_lines; /* FROMs so far */
	struct image_from *froms;
	size_t nfroms;
};

/*
 * Line and column (1-based, UTF-8 characters) of byte off of the
 * Dockerfile. Offsets asked in order cost the text once: the cursor
 * moves on from the last one.
 */
static void df_pos(struct df *df, size_t off, unsigned *line, unsigned *col)
{
	size_t i, sol;

	if (off > df->len)
		off = df->len;
	if (off < df->pos_off || df->pos_line == 0) {
		df->pos_off = df->pos_sol = 0;
		df->pos_line = 1;
	}
	for (i = df->pos_off; i < off; i++)
		if (df->text[i] == '\n') {
			df->pos_line++;
			df->pos_sol = i + 1;
		}
	df->pos_off = off;
	*line = df->pos_line;
	sol = df->pos_sol < df->start ? df->start : df->pos_sol;
	*col = 1;
	for (i = sol; i < off; i++)
		if (((unsigned char)df->text[i] & 0xC0) != 0x80)
			(*col)++;
}

__attribute__((format(printf, 3, 4))) static int df_fail(struct df *df, size_t off, const char *fmt,
                                                         ...)
{
	char msg[ERR_MSG_MAX / 2];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	df_pos(df, off, &line, &col);
	return err_setk(df->err, ERRK_INVALID, "%s:%u:%u: %s", df->name, line, col, msg);
}

static void lline_add(struct lline *l, const char *s, size_t n, size_t off)
{
	size_t i;

	if (l->n + n + 1 > l->cap) {
		l->cap = (l->n + n + 1) * 2;
		l->s = xreallocarray(l->s, l->cap, 1);
		l->off = xreallocarray(l->off, l->cap, sizeof(*l->off));
	}
	for (i = 0; i < n; i++) {
		l->s[l->n + i] = s[i];
		l->off[l->n + i] = off + i;
	}
	l->n += n;
	l->s[l->n] = '\0';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The byte offset in the Dockerfile of position i of line l (its end: after the last byte). */
static size_t at(const struct lline *l, size_t i)
{
	if (i < l->n)
		return l->off[i];
	return l->n ? l->off[l->n - 1] + 1 : 0;
}

static const char *meta_value(const struct parse *p, const char *name, size_t n)
{
	size_t i;

	for (i = p->nargs; i-- > 0;)
		if (strlen(p->args[i].name) == n && memcmp(p->args[i].name, name, n) == 0)
			return p->args[i].value;
	return NULL;
}

/*
 * A variable at l->s[*i] (a '$'), appended to out: $NAME or ${NAME}, as
 * the meta ARGs give it ("" when not declared, as the engine does).
 */
static int expand_var(struct parse *p, const struct lline *l, size_t *i, size_t end,
                      struct buf *out)
{
	size_t j = *i + 1, from, dollar = *i;
	const char *v;
	char shown[64];

	if (j < end && l->s[j] == '{') {
		from = ++j;
		while (j < end && is_name_char(l->s[j]))
			j++;
		if (j >= end)
			return df_fail(p->df, at(l, *i),
			               "'${' is not closed; write ${NAME} or $NAME");
		if (l->s[j] != '}' || j == from) {
			size_t stop = j;

			while (stop < end && l->s[stop] != '}')
				stop++;
			return df_fail(
			    p->df, at(l, *i),
			    "'%s' is not supported here; ftboot reads $NAME and ${NAME} in FROM "
			    "(give the ARG its default instead: ARG NAME=VALUE)",
			    text_quote(l->s + *i, (stop < end ? stop + 1 : stop) - *i, shown,
			               sizeof(shown)));
		}
		v = meta_value(p, l->s + from, j - from);
		*i = j + 1;
	} else {
		from = j;
		while (j < end && is_name_char(l->s[j]))
			j++;
		if (j == from) { /* a lone '$' is itself */
			buf_addch(out, '$');
			*i = j;
			return 0;
		}
		v = meta_value(p, l->s + from, j - from);
		*i = j;
	}
	if (v && buf_addstr(out, v) < 0)
		return df_fail(p->df, at(l, dollar), "the value is longer than %d bytes expanded",
		               VALUE_MAX);
	return 0;
}

/*
 * Word l->s[from, to) as the engine's shell lexer reads it: quotes
 * removed, the escape character taken, variables expanded. Into out.
 */
static int process_word(struct parse *p, const struct lline *l, size_t from, size_t to,
                        struct buf *out)
{
	char esc = p->df->escape;
	size_t i = from;

	while (i < to) {
		char c = l->s[i];

		if (c == esc) {
			if (i + 1 < to)
				i++;
			buf_addch(out, l->s[i++]);
		} else if (c == '\'') {
			size_t q = i++;

			while (i < to && l->s[i] != '\'')
				buf_addch(out, l->s[i++]);
			if (i >= to)
				return df_fail(p->df, at(l, q), "a single quote is not closed");
			i++;
		} else if (c == '"') {
			size_t q = i++;

			while (i < to && l->s[i] != '"') {
				if (l->s[i] == esc && i + 1 < to &&
				    (l->s[i + 1] == '"' || l->s[i + 1] == '$' ||
				     l->s[i + 1] == esc)) {
					buf_addch(out, l->s[i + 1]);
					i += 2;
				} else if (l->s[i] == '$') {
					if (expand_var(p, l, &i, to, out) < 0)
						return -1;
				} else {
					buf_addch(out, l->s[i++]);
				}
			}
			if (i >= to)
				return df_fail(p->df, at(l, q), "a double quote is not closed");
			i++;
		} else if (c == '$') {
			if (expand_var(p, l, &i, to, out) < 0)
				return -1;
		} else {
			buf_addch(out, l->s[i++]);
		}
	}
	if (out->len > VALUE_MAX)
		return df_fail(p->df, at(l, from), "the value is longer than %d bytes expanded",
		               VALUE_MAX);
	return 0;
}

/* Split l->s[i..] into words at blanks; with quotes, a quoted blank does not split. */
static size_t split_words(const struct lline *l, size_t i, int quotes, char esc, struct word **out)
{
	struct word *v = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		char q = 0;
		size_t from;

		while (i < l->n && is_blank(l->s[i]))
			i++;
		if (i >= l->n)
			break;
		from = i;
		while (i < l->n && (q || !is_blank(l->s[i]))) {
			char c = l->s[i];

			if (quotes && c == esc && q != '\'' && i + 1 < l->n)
				i++;
			else if (quotes && q == 0 && (c == '"' || c == '\''))
				q = c;
			else if (quotes && c == q)
				q = 0;
			i++;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].from = from;
		v[n].to = i;
		n++;
	}
	*out = v;
	return n;
}

static int ieq(const struct lline *l, const struct word *w, const char *s)
{
	size_t n = strlen(s), i;

	if (w->to - w->from != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = l->s[w->from + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != s[i])
			return 0;
	}
	return 1;
}

/* ARG NAME[=VALUE] ... before the first FROM. */
static int parse_arg(struct parse *p, const struct lline *l, struct word *w, size_t n)
{
	struct buf value = BUF_INIT(VALUE_MAX + 1);
	size_t i;
	int rc = -1;

	if (n == 0) {
		df_fail(p->df, at(l, l->n), "ARG needs a name, e.g. ARG VERSION=1.0");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *eq = memchr(l->s + w[i].from, '=', w[i].to - w[i].from);
		size_t name_end = eq ? (size_t)(eq - l->s) : w[i].to;
		struct meta_arg *a;

		if (name_end == w[i].from) {
			df_fail(p->df, at(l, w[i].from), "ARG needs a name before '='");
			goto out;
		}
		if (p->nargs == STAGES_MAX) {
			df_fail(p->df, at(l, w[i].from), "more than %d ARGs before the first FROM",
			        STAGES_MAX);
			goto out;
		}
		buf_reset(&value);
		if (eq && process_word(p, l, name_end + 1, w[i].to, &value) < 0)
			goto out;
		p->args = xreallocarray(p->args, p->nargs + 1, sizeof(*p->args));
		a = &p->args[p->nargs++];
		a->name = xstrndup(l->s + w[i].from, name_end - w[i].from);
		a->value = eq ? xstrdup(buf_cstr(&value)) : NULL;
	}
	rc = 0;
out:
	buf_release(&value);
	return rc;
}

/* FROM [--platform=P] IMAGE [AS NAME] */
static int parse_from(struct parse *p, const struct lline *l, struct word *w, size_t n, size_t kw)
{
	struct buf image = BUF_INIT(VALUE_MAX + 1);
	char shown[64];
	size_t i = 0, j;
	int rc = -1, stage = 0;

	while (i < n && l->s[w[i].from] == '-' && w[i].to - w[i].from > 1 &&
	       l->s[w[i].from + 1] == '-') {
		if (w[i].to - w[i].from < 11 || strncmp(l->s + w[i].from, "--platform=", 11) != 0) {
			df_fail(p->df, at(l, w[i].from),
			        "FROM: unknown flag '%s'; FROM takes only --platform=PLATFORM",
			        text_quote(l->s + w[i].from, w[i].to - w[i].from, shown,
			                   sizeof(shown)));
			goto out;
		}
		i++;
	}
	if (p->nfrom_lines++ == STAGES_MAX) {
		df_fail(p->df, at(l, kw), "more than %d FROMs (build stages)", STAGES_MAX);
		goto out;
	}
	if (i >= n) {
		df_fail(p->df, at(l, kw), "FROM needs an image, e.g. FROM scratch");
		goto out;
	}
	if (!(n - i == 1 || (n - i == 3 && ieq(l, &w[i + 1], "as")))) {
		size_t bad = n - i == 3 ? i + 1 : i + (n - i > 3 ? 3 : 1);

		df_fail(p->df, at(l, w[bad].from),
		        "FROM takes an image and optionally AS NAME: FROM [--platform=P] IMAGE "
		        "[AS NAME]");
		goto out;
	}
	if (process_word(p, l, w[i].from, w[i].to, &image) < 0)
		goto out;
	if (image.len == 0) {
		df_fail(p->df, at(l, w[i].from),
		        "FROM names no image ('%s' is empty); give the ARG a default",
		        text_quote(l->s + w[i].from, w[i].to - w[i].from, shown, sizeof(shown)));
		goto out;
	}
	if (memchr(image.data, '\0', image.len)) {
		df_fail(p->df, at(l, w[i].from), "FROM names an image with a NUL byte");
		goto out;
	}
	for (j = 0; j < p->nstages; j++)
		if (strcasecmp(p->stages[j], buf_cstr(&image)) == 0)
			stage = 1;
	if (!stage && strcmp(buf_cstr(&image), "scratch") != 0) {
		struct image_from *f;

		p->froms = xreallocarray(p->froms, p->nfroms + 1, sizeof(*p->froms));
		f = &p->froms[p->nfroms++];
		df_pos(p->df, at(l, w[i].from), &f->line, &f->col);
		f->image = buf_detach(&image, NULL);
	}
	if (n - i == 3) {
		char *name = xstrndup(l->s + w[i + 2].from, w[i + 2].to - w[i + 2].from);

		for (j = 0; name[j]; j++)
			if (name[j] >= 'A' && name[j] <= 'Z')
				name[j] = (char)(name[j] - 'A' + 'a');
		p->stages = xreallocarray(p->stages, p->nstages + 1, sizeof(*p->stages));
		p->stages[p->nstages++] = name;
	}
	p->seen_from = 1;
	rc = 0;
out:
	buf_release(&image);
	return rc;
}

/* One instruction (a logical line). */
static int parse_instruction(struct parse *p, const struct lline *l)
{
	struct word *w = NULL, kw;
	size_t i = 0, n;
	int rc = -1;
	char shown[64];

	while (i < l->n && is_blank(l->s[i]))
		i++;
	kw.from = i;
	while (i < l->n && !is_blank(l->s[i]))
		i++;
	kw.to = i;
	if (ieq(l, &kw, "from")) {
		n = split_words(l, i, 0, p->df->escape, &w);
		rc = parse_from(p, l, w, n, kw.from);
	} else if (ieq(l, &kw, "arg")) {
		n = split_words(l, i, 1, p->df->escape, &w);
		rc = p->seen_from ? 0 : parse_arg(p, l, w, n);
	} else if (!p->seen_from) {
		rc = df_fail(p->df, at(l, kw.from),
		             "'%s' before the first FROM; a Dockerfile starts with FROM (only ARG "
		             "may come before it)",
		             text_quote(l->s + kw.from, kw.to - kw.from, shown, sizeof(shown)));
	} else {
		rc = 0;
	}
	free(w);
	return rc;
}

/* A parser directive line "# NAME=VALUE": 1 and the escape set, 0 if not one. */
static int directive(struct df *df, size_t from, size_t to, int *seen_escape)
{
	size_t i = from, name, name_end, val, val_end;

	while (i < to && is_blank(df->text[i]))
		i++;
	if (i >= to || df->text[i] != '#')
		return 0;
	i++;
	while (i < to && is_blank(df->text[i]))
		i++;
	name = i;
	while (i < to && is_name_char(df->text[i]))
		i++;
	name_end = i;
	while (i < to && is_blank(df->text[i]))
		i++;
	if (name == name_end || i >= to || df->text[i] != '=')
		return 0;
	i++;
	while (i < to && is_blank(df->text[i]))
		i++;
	val = i;
	val_end = to;
	while (val_end > val && is_blank(df->text[val_end - 1]))
		val_end--;
	if (name_end - name == 6 && strncasecmp(df->text + name, "escape", 6) == 0) {
		char shown[64];

		if (*seen_escape)
			return df_fail(df, name, "only one escape parser directive may be used");
		*seen_escape = 1;
		if (val_end - val != 1 || (df->text[val] != '\\' && df->text[val] != '`'))
			return df_fail(
			    df, val, "escape must be '\\' or '`', not '%s'",
			    text_quote(df->text + val, val_end - val, shown, sizeof(shown)));
		df->escape = df->text[val];
		return 1;
	}
	/* The other directives buildkit knows; an unknown one is a comment and ends them. */
	return (name_end - name == 6 && strncasecmp(df->text + name, "syntax", 6) == 0) ||
	       (name_end - name == 5 && strncasecmp(df->text + name, "check", 5) == 0);
}

/*
 * The physical line at *pos: [from, to) without its line end (LF or CR
 * LF); *pos moves past it. 0 at the end of the text.
 */
static int next_line(const struct df *df, size_t *pos, size_t *from, size_t *to)
{
	const char *nl;

	if (*pos >= df->len)
		return 0;
	*from = *pos;
	nl = memchr(df->text + *pos, '\n', df->len - *pos);
	*to = nl ? (size_t)(nl - df->text) : df->len;
	*pos = nl ? *to + 1 : df->len;
	if (*to > *from && df->text[*to - 1] == '\r')
		(*to)--;
	return 1;
}

/* Bytes the engine would read otherwise than an editor shows them. */
static int check_bytes(struct df *df)
{
	const char *p;
	size_t i;

	if ((p = memchr(df->text, '\0', df->len)))
		return df_fail(df, (size_t)(p - df->text),
		               "a NUL byte; a Dockerfile is text (is this the right file?)");
	for (i = 0; i < df->len; i++)
		if (df->text[i] == '\r' && (i + 1 == df->len || df->text[i + 1] != '\n'))
			return df_fail(df, i,
			               "a carriage return that does not end a line (CR LF); save "
			               "the file with LF or CR LF line ends");
	return 0;
}

static void parse_release(struct parse *p)
{
	size_t i;

	for (i = 0; i < p->nargs; i++) {
		free(p->args[i].name);
		free(p->args[i].value);
	}
	free(p->args);
	for (i = 0; i < p->nstages; i++)
		free(p->stages[i]);
	free(p->stages);
	image_froms_free(p->froms, p->nfroms);
}

int image_dockerfile_bases(const char *name, const char *text, size_t len, struct image_from **out,
                           size_t *n, struct err *err)
{
	struct df df = {name, text, len, 0, '\\', err, 0, 0, 0};
	struct parse p = {&df, NULL, 0, NULL, 0, 0, 0, NULL, 0};
	struct lline l = {0};
	size_t pos, from, to;
	int rc = -1, seen_escape = 0, directives = 1, open = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		df.start = 3;
	pos = df.start;
	if (check_bytes(&df) < 0)
		goto out;
	while (next_line(&df, &pos, &from, &to)) {
		size_t i = from, end = to;

		if (directives) {
			int d = directive(&df, from, to, &seen_escape);

			if (d < 0)
				goto out;
			if (d > 0)
				continue;
			directives = 0;
		}
		while (i < end && is_blank(text[i]))
			i++;
		if (i == end || text[i] == '#') /* blank or comment, also inside a continuation */
			continue;
		/* The escape character, then only blanks, continues the line. */
		while (end > i && is_blank(text[end - 1]))
			end--;
		if (text[end - 1] == df.escape) {
			lline_add(&l, text + from, end - 1 - from, from);
			open = 1;
			continue;
		}
		lline_add(&l, text + from, to - from, from);
		open = 0;
		if (parse_instruction(&p, &l) < 0)
			goto out;
		l.n = 0;
	}
	if (open && parse_instruction(&p, &l) < 0)
		goto out;
	if (!p.seen_from) {
		df_fail(&df, df.start,
		        "no FROM instruction; a Dockerfile needs one, e.g. FROM scratch");
		goto out;
	}
	*out = p.froms;
	*n = p.nfroms;
	p.froms = NULL;
	p.nfroms = 0;
	rc = 0;
out:
	parse_release(&p);
	free(l.s);
	free(l.off);
	return rc;
}

void image_froms_free(struct image_from *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].image);
	free(v);
}

/* The .dockerignore at path, compiled into *out. */
static int read_ignore(const char *path, struct ignore **out, struct err *err)
{
	struct buf text = BUF_INIT(IMAGE_FILE_MAX);
	int rc = -1;

	if (fs_read(path, IMAGE_FILE_MAX, &text, err) == 0 &&
	    ignore_parse(path, text.data ? text.data : "", text.len, out, err) == 0)
		rc = 0;
	buf_release(&text);
	return rc;
}

/* What planning knows of a service before the order is fixed. */
struct pending {
	char *context, *dockerfile_path, *ignore_path;
	struct ignore *ignore;
	size_t base;        /* index in the stack, or NO_BASE */
	unsigned line, col; /* of the FROM that names the base */
	int mark;           /* DFS: 0 new, 1 on the path, 2 done */
};

static int missing(struct err *err, const struct stack_service *svc)
{
	return err_setk(err, ERRK_NOTFOUND,
	                "service '%s': no Dockerfile in '%s' (each service is built from "
	                "srcs/<service>/Dockerfile)",
	                svc->name, svc->build);
}

/* The local base a FROM names, if any: index of the service, or NO_BASE. */
static int local_base(const struct stack *st, const char *file, const struct image_from *f,
                      size_t *base, struct err *err)
{
	const char *rest = f->image + strlen(IMAGE_REPO "/"), *sep;
	const char **names;
	const char *near;
	char shown[64], svc[64];
	size_t i, n;

	*base = NO_BASE;
	if (strncmp(f->image, IMAGE_REPO "/", strlen(IMAGE_REPO "/")) != 0)
		return 0;
	n = strcspn(rest, ":@");
	sep = rest + n;
	text_quote(f->image, strlen(f->image), shown, sizeof(shown));
	text_quote(rest, n, svc, sizeof(svc));
	for (i = 0; i < st->nservices; i++)
		if (strlen(st->services[i].name) == n && memcmp(st->services[i].name, rest, n) == 0)
			break;
	if (i == st->nservices) {
		char *word = xstrndup(rest, n);

		names = xcalloc(st->nservices, sizeof(*names));
		for (i = 0; i < st->nservices; i++)
			names[i] = st->services[i].name;
		near = text_nearest(word, names, st->nservices);
		err_setk(err, ERRK_INVALID,
		         "%s:%u:%u: FROM %s: '%s' is not a service of the stack%s%s%s "
		         "(" IMAGE_REPO "/<service> is the image of one of its services)",
		         file, f->line, f->col, shown, svc, near ? "; did you mean '" : "",
		         near ? near : "", near ? "'?" : "");
		free(names);
		free(word);
		return -1;
	}
	if (*sep != '\0' && strcmp(sep, ":latest") != 0)
		return err_setk(err, ERRK_INVALID,
		                "%s:%u:%u: FROM %s: name the local base " IMAGE_REPO
		                "/%s (or " IMAGE_REPO "/%s:latest); ftboot tags each image by its "
		                "content hash, and :latest is the one other services build on",
		                file, f->line, f->col, shown, svc, svc);
	*base = i;
	return 0;
}

/* Read the service's Dockerfile and .dockerignore; find its local base. */
static int read_service(const struct stack *st, size_t idx, struct pending *pd, struct err *err)
{
	const struct stack_service *svc = &st->services[idx];
	struct buf text = BUF_INIT(IMAGE_FILE_MAX);
	struct image_from *froms = NULL;
	struct stat sb;
	size_t nfroms = 0, i, base;
	int rc = -1;

	pd->base = NO_BASE;
	pd->context = xstrdup(svc->build);
	pd->dockerfile_path = path_join(svc->build, "Dockerfile");
	if (stat(svc->build, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return missing(err, svc);
		return err_sys(err, errno, "service '%s': cannot read build context '%s'",
		               svc->name, svc->build);
	}
	if (!S_ISDIR(sb.st_mode))
		return err_setk(err, ERRK_INVALID,
		                "service '%s': build context '%s' is %s, not a directory; make it "
		                "the directory that holds the service's Dockerfile",
		                svc->name, svc->build,
		                S_ISREG(sb.st_mode) ? "a file" : fs_kind(sb.st_mode));
	if (fs_read(pd->dockerfile_path, IMAGE_FILE_MAX, &text, err) < 0) {
		if (err->kind == ERRK_NOTFOUND)
			missing(err, svc);
		else
			err_wrap(err, "service '%s'", svc->name);
		goto out;
	}
	if (image_dockerfile_bases(pd->dockerfile_path, text.data ? text.data : "", text.len,
	                           &froms, &nfroms, err) < 0)
		goto out;
	for (i = 0; i < nfroms; i++) {
		if (local_base(st, pd->dockerfile_path, &froms[i], &base, err) < 0)
			goto out;
		if (base == NO_BASE || base == pd->base)
			continue;
		if (pd->base != NO_BASE) {
			err_setk(err, ERRK_INVALID,
			         "%s:%u:%u: a second local base (" IMAGE_REPO
			         "/%s after " IMAGE_REPO
			         "/%s on line %u); an image builds on at most one other service's "
			         "image",
			         pd->dockerfile_path, froms[i].line, froms[i].col,
			         st->services[base].name, st->services[pd->base].name, pd->line);
			goto out;
		}
		pd->base = base;
		pd->line = froms[i].line;
		pd->col = froms[i].col;
	}

	pd->ignore_path = path_join(svc->build, ".dockerignore");
	if (lstat(pd->ignore_path, &sb) < 0 && errno == ENOENT) {
		free(pd->ignore_path);
		pd->ignore_path = NULL;
	} else if (read_ignore(pd->ignore_path, &pd->ignore, err) < 0) {
		err_wrap(err, "service '%s'", svc->name);
		goto out;
	}
	rc = 0;
out:
	image_froms_free(froms, nfroms);
	buf_release(&text);
	return rc;
}

/*
 * Depth first from service i, bases first: order[*n] gets each service
 * after its base. path[0..depth) is the chain being followed, for the
 * cycle's message.
 */
static int visit(const struct stack *st, struct pending *pd, size_t i, size_t *order, size_t *n,
                 size_t *path, size_t depth, struct err *err)
{
	if (pd[i].mark == 2)
		return 0;
	if (pd[i].mark == 1) {
		struct buf chain = BUF_INIT(ERR_MSG_MAX / 2);
		size_t k = 0, first;

		while (path[k] != i)
			k++;
		first = path[k];
		for (; k < depth; k++)
			buf_addf(&chain, "%s -> ", st->services[path[k]].name);
		buf_addstr(&chain, st->services[i].name);
		err_setk(err, ERRK_INVALID,
		         "%s:%u:%u: a cycle of local bases: %s; an image cannot be built on "
		         "itself, remove one of these FROMs",
		         pd[first].dockerfile_path, pd[first].line, pd[first].col,
		         buf_cstr(&chain));
		buf_release(&chain);
		return -1;
	}
	pd[i].mark = 1;
	path[depth] = i;
	if (pd[i].base != NO_BASE && visit(st, pd, pd[i].base, order, n, path, depth + 1, err) < 0)
		return -1;
	pd[i].mark = 2;
	order[(*n)++] = i;
	return 0;
}

/* 1 if path is dir or below it, lexically. */
static int is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, ".") == 0)
		return path[0] != '/' && strcmp(path, "..") != 0 && strncmp(path, "../", 3) != 0;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The packer's options for im: the one place the hash's and the build's rules are set. */
static struct tgz_opts pack_opts(const struct stack *st, const struct image *im,
                                 const struct ignore *ig, int gzip_level)
{
	static const char *const keep[] = {"Dockerfile", ".dockerignore", NULL};
	struct tgz_opts opts = {ig, keep, NULL, gzip_level};

	/* A context outside the stack's directory may not reach outside itself. */
	opts.confine = is_below(im->context, st->dir) ? st->dir : im->context;
	return opts;
}

int image_pack(const struct stack *stack, const struct image *img, int gzip_level,
               struct image_pack *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (img->ignore_path && read_ignore(img->ignore_path, &out->ignore, err) < 0)
		return err_wrap(err, "service '%s'", img->svc->name);
	out->opts = pack_opts(stack, img, out->ignore, gzip_level);
	return 0;
}

void image_pack_release(struct image_pack *p)
{
	ignore_free(p->ignore);
	memset(p, 0, sizeof(*p));
}

static int hash_image(const struct stack *st, struct image *im, const struct image *base,
                      const struct ignore *ig, struct err *err)
{
	struct tgz_opts opts = pack_opts(st, im, ig, 0);
	char digest[CRYPTO_HEX_MAX];
	struct crypto_hash *h;

	if (tgz_hash(im->context, &opts, digest, &im->tar_bytes, err) < 0)
		return err_wrap(err, "service '%s'", im->svc->name);
	h = crypto_hash_new(CRYPTO_SHA256);
	crypto_hash_update(h, "ftboot-image-1\n", 15);
	crypto_hash_update(h, im->dockerfile, strlen(im->dockerfile));
	crypto_hash_update(h, "\n", 1);
	if (base)
		crypto_hash_update(h, base->hash, strlen(base->hash));
	crypto_hash_update(h, "\n", 1);
	crypto_hash_update(h, digest, strlen(digest));
	crypto_hash_final(h, im->hash);
	im->tag = xasprintf(IMAGE_REPO "/%s:%.12s", im->svc->name, im->hash);
	im->latest = xasprintf(IMAGE_REPO "/%s:latest", im->svc->name);
	return 0;
}

int image_plan(const struct stack *stack, struct image_plan *out, struct err *err)
{
	size_t ns = stack->nservices, i, n = 0;
	struct pending *pd = xcalloc(ns ? ns : 1, sizeof(*pd));
	size_t *order = xcalloc(ns ? ns : 1, sizeof(*order));
	size_t *path = xcalloc(ns ? ns : 1, sizeof(*path));
	size_t *where = xcalloc(ns ? ns : 1, sizeof(*where)); /* stack index -> plan index */
	struct image_plan p = {xcalloc(ns ? ns : 1, sizeof(*p.v)), 0};
	int rc = -1;

	for (i = 0; i < ns; i++)
		if (read_service(stack, i, &pd[i], err) < 0)
			goto out;
	for (i = 0; i < ns; i++)
		if (visit(stack, pd, i, order, &n, path, 0, err) < 0)
			goto out;
	for (i = 0; i < ns; i++) {
		struct pending *s = &pd[order[i]];
		struct image *im = &p.v[i];

		where[order[i]] = i;
		im->svc = &stack->services[order[i]];
		im->context = s->context;
		im->dockerfile = xstrdup("Dockerfile");
		im->ignore_path = s->ignore_path;
		s->context = s->ignore_path = NULL;
		im->base = s->base == NO_BASE ? NO_BASE : where[s->base];
		p.n++;
		if (hash_image(stack, im, im->base == NO_BASE ? NULL : &p.v[im->base], s->ignore,
		               err) < 0)
			goto out;
	}
	*out = p;
	p.v = NULL;
	p.n = 0;
	rc = 0;
out:
	image_plan_release(&p);
	for (i = 0; i < ns; i++) {
		free(pd[i].context);
		free(pd[i].dockerfile_path);
		free(pd[i].ignore_path);
		ignore_free(pd[i].ignore);
	}
	free(pd);
	free(order);
	free(path);
	free(where);
	return rc;
}

const struct image *image_find(const struct image_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].svc->name, name) == 0)
			return &p->v[i];
	return NULL;
}

void image_plan_release(struct image_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].context);
		free(p->v[i].dockerfile);
		free(p->v[i].ignore_path);
		free(p->v[i].tag);
		free(p->v[i].latest);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
