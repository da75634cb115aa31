/*
 * ignore: .dockerignore files, read as buildkit's dockerignore.ReadAll
 * reads them and matched as moby's patternmatcher matches.
 *
 * patternmatcher turns each pattern into a Go regular expression ("*" is
 * "[^/]" then a star, "?" is "[^/]", a double star (and the slash after it)
 * is "(.*" "/)?", a double star at the end is ".*"),
 * with three shortcuts that are not the same as the expression and that
 * decide some paths differently: a pattern with no wildcard is compared
 * as a string (exact), a double star at the end with no other wildcard
 * is a string prefix, and one at the start with no other wildcard a
 * string suffix. This file keeps the
 * same four kinds and runs the expression as a small NFA over the path's
 * characters (a character is a UTF-8 rune; a byte that is not UTF-8 is
 * one character of its own).
 *
 * Where moby's translation hands Go's regexp syntax that filepath.Match
 * would read otherwise ("\d" is a digit class, "[*]" breaks the class,
 * "[[:alpha:]]" is a POSIX class, a bare '^' in a wildcard pattern is an
 * anchor), the pattern is refused as bad instead of matched differently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "ignore.h"
#include "text.h"
#include "xmem.h"

/* bufio.Scanner's default limit: a longer line stops docker's reader. */
#define IGNORE_LINE_MAX 65535

enum pat_kind { PAT_EXACT, PAT_PREFIX, PAT_SUFFIX, PAT_REGEXP };

enum st_kind {
	ST_LIT,        /* one character */
	ST_NOSLASH,    /* [^/] */
	ST_NOSLASH_LP, /* [^/]* */
	ST_CLASS,      /* [...] */
	ST_DOT_LP,     /* .* (no newline) */
	ST_SPLIT       /* epsilon to the next state and to alt */
};

struct range {
	uint32_t lo, hi;
};

struct state {
	enum st_kind kind;
	uint32_t ch;      /* ST_LIT */
	int negated;      /* ST_CLASS */
	size_t first, nr; /* ST_CLASS: ranges[first .. first+nr) */
	size_t alt;       /* ST_SPLIT */
};

struct pattern {
	char *text; /* cleaned, without '!' */
	int exclusion;
	enum pat_kind kind;
	struct state *st;
	size_t nst;
	struct range *ranges;
	size_t nranges;
};

struct ignore {
	struct pattern *pats;
	size_t n;
};

/* One character of s[i..n): its value and length (a stray byte is 0x80000000|byte). */
static uint32_t next_char(const char *s, size_t n, size_t i, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t l = text_utf8_len(s + i, n - i);

	if (l == 0) {
		*len = 1;
		return 0x80000000u | u[0];
	}
	*len = l;
	if (l == 1)
		return u[0];
	if (l == 2)
		return ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
	if (l == 3)
		return ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) |
		       (u[2] & 0x3f);
	return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
	       ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
}

/* Go's unicode.IsSpace, for strings.TrimSpace. */
static int is_space(uint32_t c)
{
	switch (c) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
		return 1;
	default:
		return c >= 0x2000 && c <= 0x200a;
	}
}

/* strings.TrimSpace of s[*b .. *e). */
static void trim_space(const char *s, size_t *b, size_t *e)
{
	size_t l;

	while (*b < *e && is_space(next_char(s, *e, *b, &l)))
		*b += l;
	while (*e > *b) {
		size_t k = *e - 1, m;

		while (k > *b && ((unsigned char)s[k] & 0xc0) == 0x80 && *e - k < 4)
			k--;
		if (!is_space(next_char(s, *e, k, &m)) || k + m != *e)
			break;
		*e = k;
	}
}

/* Characters (not bytes) in s[0..n). */
static unsigned count_chars(const char *s, size_t n)
{
	size_t i = 0, l;
	unsigned c = 0;

	while (i < n) {
		next_char(s, n, i, &l);
		i += l;
		c++;
	}
	return c;
}

/* A bad-pattern message; the pattern's text and where the fault is. */
struct where {
	const char *name;
	unsigned line;
	const char *raw; /* the pattern as written (trimmed), for the message */
	size_t rawlen;
	unsigned col0; /* column of the cleaned pattern's first character */
	const char *p; /* the cleaned pattern */
	int cleaned_same;
};

static int bad(const struct where *w, size_t off, const char *why, struct err *err)
{
	char q[128];
	unsigned col = w->col0 + (w->cleaned_same ? count_chars(w->p, off) : 0);

	text_quote(w->raw, w->rawlen, q, sizeof(q));
	return err_setk(err, ERRK_INVALID, "%s:%u:%u: bad pattern '%s': %s", w->name, w->line, col,
	                q, why);
}

static int is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One state appended; returns its index. */
static size_t push(struct pattern *pt, size_t *cap, enum st_kind kind, uint32_t ch)
{
	if (pt->nst == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		pt->st = xreallocarray(pt->st, *cap, sizeof(*pt->st));
	}
	memset(&pt->st[pt->nst], 0, sizeof(pt->st[0]));
	pt->st[pt->nst].kind = kind;
	pt->st[pt->nst].ch = ch;
	return pt->nst++;
}

/*
 * A class member as filepath.Match's getEsc reads it: a character or a
 * '\' escape, never '-' or ']' unescaped, never at the end.
 */
static int class_char(const struct where *w, const char *p, size_t n, size_t *i, uint32_t *out,
                      struct err *err)
{
	size_t l;
	uint32_t c;

	if (*i >= n)
		return bad(w, *i, "'[' is never closed with ']'", err);
	if (p[*i] == '-' || p[*i] == ']')
		return bad(w, *i,
		           "a class needs a character here: escape '-' and ']' as '\\-' and '\\]'",
		           err);
	if (p[*i] == '\\') {
		(*i)++;
		if (*i >= n)
			return bad(w, *i - 1, "'\\' at the end escapes nothing", err);
		c = next_char(p, n, *i, &l);
		if (c >= 0x80 || is_alnum(c))
			return bad(
			    w, *i - 1,
			    "docker's matcher reads '\\' before a letter, digit or non-ASCII "
			    "character as a regular-expression escape: write the character itself",
			    err);
	} else {
		c = next_char(p, n, *i, &l);
		if (c & 0x80000000u)
			return bad(w, *i, "a class holds a byte that is not UTF-8", err);
		if (c == '*' || c == '?')
			return bad(
			    w, *i,
			    "docker's matcher breaks a class holding '*' or '?': escape it as "
			    "'\\*' or '\\?'",
			    err);
		if (c == '[' && *i + 1 < n && p[*i + 1] == ':')
			return bad(w, *i, "docker's matcher reads '[:' in a class as a POSIX class",
			           err);
	}
	*i += l;
	if (*i >= n)
		return bad(w, *i, "'[' is never closed with ']'", err);
	*out = c;
	return 0;
}

static int compile_class(struct pattern *pt, size_t *cap, size_t *rcap, const struct where *w,
                         const char *p, size_t n, size_t *i, struct err *err)
{
	size_t start = *i, s;
	int negated = 0;

	(*i)++; /* '[' */
	if (*i < n && p[*i] == '^') {
		negated = 1;
		(*i)++;
	}
	s = push(pt, cap, ST_CLASS, 0);
	pt->st[s].negated = negated;
	pt->st[s].first = pt->nranges;
	for (;;) {
		uint32_t lo, hi;

		if (*i < n && p[*i] == ']' && pt->st[s].nr > 0) {
			(*i)++;
			break;
		}
		if (class_char(w, p, n, i, &lo, err) < 0)
			return -1;
		hi = lo;
		if (p[*i] == '-') {
			size_t at = *i;

			(*i)++;
			if (class_char(w, p, n, i, &hi, err) < 0)
				return -1;
			if (hi < lo)
				return bad(w, at, "a range's end comes before its start", err);
		}
		if (pt->nranges == *rcap) {
			*rcap = *rcap ? *rcap * 2 : 8;
			pt->ranges = xreallocarray(pt->ranges, *rcap, sizeof(*pt->ranges));
		}
		pt->ranges[pt->nranges].lo = lo;
		pt->ranges[pt->nranges].hi = hi;
		pt->nranges++;
		pt->st[s].nr++;
	}
	(void)start;
	return 0;
}

/* patternmatcher's compile: the kind, and for PAT_REGEXP the NFA. */
static int compile(struct pattern *pt, const struct where *w, struct err *err)
{
	const char *p = pt->text;
	size_t n = strlen(p), i = 0, cap = 0, rcap = 0, l, caret = (size_t)-1;
	enum pat_kind kind = PAT_EXACT;
	int first = 1;

	while (i < n) {
		uint32_t c = next_char(p, n, i, &l);

		if (c == '*' && i + 1 < n && p[i + 1] == '*') {
			i += 2;
			if (i < n && p[i] == '/')
				i++;
			if (i >= n) {
				if (kind == PAT_EXACT) {
					kind = PAT_PREFIX;
				} else {
					push(pt, &cap, ST_DOT_LP, 0);
					kind = PAT_REGEXP;
				}
			} else {
				size_t sp = push(pt, &cap, ST_SPLIT, 0);

				push(pt, &cap, ST_DOT_LP, 0);
				push(pt, &cap, ST_LIT, '/');
				pt->st[sp].alt = pt->nst;
				kind = PAT_REGEXP;
			}
			if (first)
				kind = PAT_SUFFIX;
		} else if (c == '*') {
			push(pt, &cap, ST_NOSLASH_LP, 0);
			kind = PAT_REGEXP;
			i++;
		} else if (c == '?') {
			push(pt, &cap, ST_NOSLASH, 0);
			kind = PAT_REGEXP;
			i++;
		} else if (c == '\\') {
			if (i + 1 >= n)
				return bad(w, i, "'\\' at the end escapes nothing", err);
			c = next_char(p, n, i + 1, &l);
			if (c >= 0x80 || is_alnum(c))
				return bad(
				    w, i,
				    "docker's matcher reads '\\' before a letter, digit or "
				    "non-ASCII "
				    "character as a regular-expression escape: write the character "
				    "itself",
				    err);
			push(pt, &cap, ST_LIT, c);
			kind = PAT_REGEXP;
			i += 1 + l;
		} else if (c == '[') {
			if (compile_class(pt, &cap, &rcap, w, p, n, &i, err) < 0)
				return -1;
			kind = PAT_REGEXP;
		} else if (c == ']') {
			push(pt, &cap, ST_LIT, c);
			kind = PAT_REGEXP;
			i++;
		} else {
			if (c == '^' && caret == (size_t)-1)
				caret = i;
			push(pt, &cap, ST_LIT, c);
			i += l;
		}
		first = 0;
	}
	if (kind == PAT_REGEXP && caret != (size_t)-1)
		return bad(
		    w, caret,
		    "docker's matcher reads '^' in a wildcard pattern as an anchor that never "
		    "matches: escape it as '\\^'",
		    err);
	pt->kind = kind;
	return 0;
}

/*
 * Add the states reachable from s without reading (epsilon closure), with
 * an explicit stack (stack holds nst + 1 entries): "**" after "**" in a
 * long pattern must not recurse once per pair.
 */
static void closure(const struct pattern *pt, unsigned char *set, size_t *stack, size_t s)
{
	size_t top = 0;

	stack[top++] = s;
	while (top > 0) {
		s = stack[--top];
		while (s <= pt->nst && !set[s]) {
			set[s] = 1;
			if (s == pt->nst)
				break;
			if (pt->st[s].kind == ST_SPLIT) {
				if (!set[pt->st[s].alt])
					stack[top++] = pt->st[s].alt;
				s++;
			} else if (pt->st[s].kind == ST_NOSLASH_LP || pt->st[s].kind == ST_DOT_LP) {
				s++;
			} else {
				break;
			}
		}
	}
}

static int class_has(const struct pattern *pt, const struct state *st, uint32_t c)
{
	size_t k;
	int in = 0;

	/* Go's regexp reads a stray byte as U+FFFD. */
	if (c & 0x80000000u)
		c = 0xfffd;
	for (k = 0; k < st->nr && !in; k++)
		in = pt->ranges[st->first + k].lo <= c && c <= pt->ranges[st->first + k].hi;
	return in != st->negated;
}

static int regexp_match(const struct pattern *pt, const char *path)
{
	size_t n = strlen(path), i = 0, l, s;
	unsigned char *cur = xcalloc(pt->nst + 1, 1), *nxt = xcalloc(pt->nst + 1, 1), *t;
	size_t *stack = xcalloc(pt->nst + 1, sizeof(*stack));
	int any = 1, ok;

	closure(pt, cur, stack, 0);
	while (i < n && any) {
		uint32_t c = next_char(path, n, i, &l);

		memset(nxt, 0, pt->nst + 1);
		any = 0;
		for (s = 0; s < pt->nst; s++) {
			const struct state *st = &pt->st[s];
			int take = 0;

			if (!cur[s])
				continue;
			switch (st->kind) {
			case ST_LIT:
				take = st->ch == c;
				break;
			case ST_NOSLASH:
				take = c != '/';
				break;
			case ST_CLASS:
				take = class_has(pt, st, c);
				break;
			case ST_NOSLASH_LP:
				if (c != '/') {
					closure(pt, nxt, stack, s);
					any = 1;
				}
				break;
			case ST_DOT_LP:
				if (c != '\n') {
					closure(pt, nxt, stack, s);
					any = 1;
				}
				break;
			case ST_SPLIT:
				break;
			}
			if (take) {
				closure(pt, nxt, stack, s + 1);
				any = 1;
			}
		}
		t = cur, cur = nxt, nxt = t;
		i += l;
	}
	ok = any && i >= n && cur[pt->nst];
	free(cur);
	free(nxt);
	free(stack);
	return ok;
}

/* Pattern.match of patternmatcher.go: 1 if the pattern matches path itself. */
static int pattern_match(const struct pattern *pt, const char *path)
{
	size_t n = strlen(pt->text), pl = strlen(path);

	switch (pt->kind) {
	case PAT_EXACT:
		return strcmp(path, pt->text) == 0;
	case PAT_PREFIX:
		return strncmp(path, pt->text, n - 2) == 0;
	case PAT_SUFFIX: {
		const char *suffix = pt->text + 2;
		size_t sl = n - 2;

		if (pl >= sl && memcmp(path + pl - sl, suffix, sl) == 0)
			return 1;
		return sl > 0 && suffix[0] == '/' && strcmp(path, suffix + 1) == 0;
	}
	case PAT_REGEXP:
		return regexp_match(pt, path);
	}
	return 0;
}

/* The pattern matches path or one of its parent directories. */
static int pattern_match_or_parent(const struct pattern *pt, const char *path)
{
	char *dir;
	size_t i;
	int m;

	if (pattern_match(pt, path))
		return 1;
	if (strchr(path, '/') == NULL)
		return 0;
	dir = xstrdup(path);
	m = 0;
	for (i = 0; dir[i] && !m; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		m = pattern_match(pt, dir);
		dir[i] = '/';
	}
	free(dir);
	return m;
}

int ignore_match(const struct ignore *ig, const char *path)
{
	size_t i;
	int matched = 0;

	if (ig == NULL)
		return 0;
	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->pats[i];

		/* An inclusion cannot change a match, nor an exception a non-match. */
		if (pt->exclusion != matched)
			continue;
		if (pattern_match_or_parent(pt, path))
			matched = !pt->exclusion;
	}
	return matched;
}

int ignore_may_include_below(const struct ignore *ig, const char *dir)
{
	size_t i, dl = strlen(dir);

	if (ig == NULL)
		return 0;
	/* moby's walk: an exception whose text, plus '/', starts with dir + '/'. */
	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->pats[i];
		size_t pl = strlen(pt->text);

		if (!pt->exclusion || pl < dl)
			continue;
		if (memcmp(pt->text, dir, dl) == 0 && (pl == dl || pt->text[dl] == '/'))
			return 1;
	}
	return 0;
}

/*
 * One line as ReadAll and patternmatcher.New take it: comment, trim, '!',
 * filepath.Clean, leading '/' dropped; then New's own trim and Clean.
 * Adds the pattern to ig, or nothing for a comment or blank line.
 */
static int add_line(struct ignore *ig, size_t *cap, const char *name, unsigned line, const char *s,
                    size_t n, struct err *err)
{
	size_t b = 0, e = n, pb, l;
	char *raw = NULL, *clean = NULL, *full = NULL, *clean2 = NULL;
	int invert = 0, rc = -1;
	struct where w;
	struct pattern pt;

	memset(&pt, 0, sizeof(pt));
	if (n > 0 && s[0] == '#')
		return 0;
	trim_space(s, &b, &e);
	if (b == e)
		return 0;
	w.name = name;
	w.line = line;
	w.raw = s + b;
	w.rawlen = e - b;
	if (memchr(s + b, '\0', e - b) != NULL) {
		w.col0 = count_chars(s, b) + 1;
		w.cleaned_same = 0;
		w.p = "";
		return bad(&w, 0, "a pattern cannot hold a NUL byte", err);
	}
	pb = b;
	if (s[pb] == '!') {
		invert = 1;
		pb++;
		trim_space(s, &pb, &e);
	}
	raw = xstrndup(s + pb, e - pb);
	if (*raw != '\0') {
		clean = path_clean(raw);
		if (strlen(clean) > 1 && clean[0] == '/')
			memmove(clean, clean + 1, strlen(clean));
	} else {
		clean = xstrdup("");
	}
	full = xasprintf("%s%s", invert ? "!" : "", clean);
	/* patternmatcher.New: trim again (nothing left to trim), Clean again. */
	clean2 = path_clean(full);
	w.col0 = count_chars(s, pb) + 1;
	if (clean2[0] == '!') {
		if (clean2[1] == '\0') {
			w.p = "";
			w.cleaned_same = 0;
			rc =
			    bad(&w, 0,
			        "'!' alone excludes nothing: write the path to keep after it", err);
			goto out;
		}
		pt.exclusion = 1;
		pt.text = xstrdup(clean2 + 1);
	} else {
		pt.text = xstrdup(clean2);
	}
	w.p = pt.text;
	l = strlen(pt.text);
	w.cleaned_same = strncmp(raw, pt.text, l) == 0;
	if (compile(&pt, &w, err) < 0)
		goto out;
	if (ig->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		ig->pats = xreallocarray(ig->pats, *cap, sizeof(*ig->pats));
	}
	ig->pats[ig->n++] = pt;
	memset(&pt, 0, sizeof(pt));
	rc = 0;
out:
	free(pt.text);
	free(pt.st);
	free(pt.ranges);
	free(raw);
	free(clean);
	free(full);
	free(clean2);
	return rc;
}

int ignore_parse(const char *name, const char *text, size_t len, struct ignore **out,
                 struct err *err)
{
	struct ignore *ig = xcalloc(1, sizeof(*ig));
	size_t i = 0, cap = 0;
	unsigned line = 0;

	*out = NULL;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, b = i, n;

		line++;
		n = e - b;
		if (n > IGNORE_LINE_MAX) {
			ignore_free(ig);
			return err_setk(
			    err, ERRK_INVALID,
			    "%s:%u: line longer than %d bytes: docker cannot read it either; "
			    "split the pattern",
			    name, line, IGNORE_LINE_MAX);
		}
		/* bufio.ScanLines drops one '\r' before the '\n' (or the end). */
		if (n > 0 && text[e - 1] == '\r')
			n--;
		if (line == 1 && n >= 3 && memcmp(text + b, "\xef\xbb\xbf", 3) == 0)
			b += 3, n -= 3;
		if (add_line(ig, &cap, name, line, text + b, n, err) < 0) {
			ignore_free(ig);
			return -1;
		}
		i = e + 1;
	}
	*out = ig;
	return 0;
}

void ignore_free(struct ignore *ig)
{
	size_t i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++) {
		free(ig->pats[i].text);
		free(ig->pats[i].st);
		free(ig->pats[i].ranges);
	}
	free(ig->pats);
	free(ig);
}
