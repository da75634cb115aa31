/*
 * doc: the document tree (building, copying, comparing, freeing) and its
 * YAML side. This is the only file that includes <yaml.h>.
 *
 * Reading uses libyaml's event API and builds the tree here, so that each
 * node keeps its start mark and style, scalars are typed by the YAML 1.2
 * core schema (plain scalars only), and the limits (nesting, node count
 * with aliases expanded) hold before any memory is spent on a bomb.
 *
 * Writing feeds libyaml's emitter with events, choosing each string's
 * style so that YAML 1.1 and 1.2 readers both read the same string back.
 *
 * Marks: libyaml counts lines, columns and its index in characters, and
 * skips a byte-order mark; a node's line and column are libyaml's (1-based),
 * its offset is turned into a byte offset into the text (doc_byte_offset).
 *
 * Numbers are read and written with strtod/snprintf and so assume
 * LC_NUMERIC is "C" (ftboot never changes it).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "doc.h"
#include "text.h"
#include "xmem.h"

#define DOC_TAG_PREFIX "tag:yaml.org,2002:"

/* ---- the tree ------------------------------------------------------------ */

struct doc_node *doc_new(enum doc_type type)
{
	struct doc_node *node = xcalloc(1, sizeof(*node));

	node->type = type;
	node->style = DOC_STYLE_NONE;
	switch (type) {
	case DOC_NULL:
		node->text = xstrdup("null");
		break;
	case DOC_BOOL:
		node->text = xstrdup("false");
		break;
	case DOC_INT:
		node->text = xstrdup("0");
		break;
	case DOC_FLOAT:
		node->text = xstrdup("0.0");
		break;
	case DOC_STR:
		node->text = xstrdup("");
		break;
	case DOC_SEQ:
	case DOC_MAP:
		break;
	}
	if (node->text)
		node->len = strlen(node->text);
	return node;
}

/* A copy of s[0..len) with a NUL after it; s may hold NUL bytes. */
static char *doc_memdup(const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		abort();
	p = xmalloc(len + 1);
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct doc_node *doc_new_strn(const char *s, size_t len)
{
	struct doc_node *node = xcalloc(1, sizeof(*node));

	node->type = DOC_STR;
	node->style = DOC_STYLE_NONE;
	node->text = doc_memdup(s, len);
	node->len = len;
	return node;
}

struct doc_node *doc_new_str(const char *s)
{
	return doc_new_strn(s, strlen(s));
}

struct doc_node *doc_new_int(long long i)
{
	struct doc_node *node = doc_new(DOC_INT);

	free(node->text);
	node->text = xasprintf("%lld", i);
	node->len = strlen(node->text);
	node->i = i;
	return node;
}

struct doc_node *doc_new_bool(int b)
{
	struct doc_node *node = doc_new(DOC_BOOL);

	free(node->text);
	node->b = b ? 1 : 0;
	node->text = xstrdup(node->b ? "true" : "false");
	node->len = strlen(node->text);
	return node;
}

char *doc_float_text(double f, char out[DOC_FLOAT_TEXT_MAX])
{
	int prec;

	if (isnan(f)) {
		snprintf(out, DOC_FLOAT_TEXT_MAX, ".nan");
		return out;
	}
	if (isinf(f)) {
		snprintf(out, DOC_FLOAT_TEXT_MAX, "%s", f < 0 ? "-.inf" : ".inf");
		return out;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, DOC_FLOAT_TEXT_MAX, "%.*g", prec, f);
		if (strtod(out, NULL) == f)
			break;
	}
	if (strchr(out, '.') == NULL) {
		/* "1e+20" is a string to a YAML 1.1 reader: "1.0e+20" is not. */
		char *e = strchr(out, 'e');
		size_t n = e ? (size_t)(e - out) : strlen(out), tail = strlen(out + n);

		if (n + 2 + tail < DOC_FLOAT_TEXT_MAX) {
			memmove(out + n + 2, out + n, tail + 1);
			memcpy(out + n, ".0", 2);
		}
	}
	return out;
}

/* Make room for one more item or pair. */
static void doc_grow(struct doc_node *node)
{
	if (node->n < node->cap)
		return;
	node->cap = node->cap ? node->cap * 2 : 4;
	if (node->type == DOC_SEQ)
		node->items = xreallocarray(node->items, node->cap, sizeof(*node->items));
	else
		node->pairs = xreallocarray(node->pairs, node->cap, sizeof(*node->pairs));
}

void doc_seq_push(struct doc_node *seq, struct doc_node *item)
{
	if (seq->type != DOC_SEQ)
		abort(); /* a caller's bug: the contract says a sequence */
	doc_grow(seq);
	seq->items[seq->n++] = item;
}

void doc_map_add(struct doc_node *map, struct doc_node *key, struct doc_node *value)
{
	if (map->type != DOC_MAP)
		abort(); /* a caller's bug: the contract says a mapping */
	doc_grow(map);
	map->pairs[map->n].key = key;
	map->pairs[map->n].value = value;
	map->n++;
}

struct doc_pair *doc_map_pair(const struct doc_node *map, const char *key)
{
	size_t i, len;

	if (map == NULL || map->type != DOC_MAP)
		return NULL;
	len = strlen(key);
	for (i = 0; i < map->n; i++) {
		const struct doc_node *k = map->pairs[i].key;

		if (k->type == DOC_STR && k->len == len && memcmp(k->text, key, len) == 0)
			return &map->pairs[i];
	}
	return NULL;
}

struct doc_node *doc_map_get(const struct doc_node *map, const char *key)
{
	struct doc_pair *pair = doc_map_pair(map, key);

	return pair ? pair->value : NULL;
}

void doc_map_set(struct doc_node *map, const char *key, struct doc_node *value)
{
	struct doc_pair *pair;

	if (map->type != DOC_MAP)
		abort(); /* a caller's bug: the contract says a mapping */
	pair = doc_map_pair(map, key);
	if (pair) {
		doc_free(pair->value);
		pair->value = value;
		return;
	}
	doc_map_add(map, doc_new_str(key), value);
}

struct doc_node *doc_clone(const struct doc_node *node)
{
	struct doc_node *copy;
	size_t i;

	if (node == NULL)
		return NULL;
	copy = xmalloc(sizeof(*copy));
	*copy = *node;
	copy->items = NULL;
	copy->pairs = NULL;
	copy->cap = node->n;
	if (node->text)
		copy->text = doc_memdup(node->text, node->len);
	if (node->type == DOC_SEQ && node->n) {
		copy->items = xreallocarray(NULL, node->n, sizeof(*copy->items));
		for (i = 0; i < node->n; i++)
			copy->items[i] = doc_clone(node->items[i]);
	} else if (node->type == DOC_MAP && node->n) {
		copy->pairs = xreallocarray(NULL, node->n, sizeof(*copy->pairs));
		for (i = 0; i < node->n; i++) {
			copy->pairs[i].key = doc_clone(node->pairs[i].key);
			copy->pairs[i].value = doc_clone(node->pairs[i].value);
		}
	}
	return copy;
}

/* Floats are equal when both are NaN or when == says so (0.0 == -0.0). */
static int doc_float_equal(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return a == b;
}

int doc_equal(const struct doc_node *a, const struct doc_node *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case DOC_NULL:
		return 1;
	case DOC_BOOL:
		return !a->b == !b->b;
	case DOC_INT:
		return a->i == b->i;
	case DOC_FLOAT:
		return doc_float_equal(a->f, b->f);
	case DOC_STR:
		return a->len == b->len && (a->len == 0 || memcmp(a->text, b->text, a->len) == 0);
	case DOC_SEQ:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!doc_equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	case DOC_MAP:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!doc_equal(a->pairs[i].key, b->pairs[i].key) ||
			    !doc_equal(a->pairs[i].value, b->pairs[i].value))
				return 0;
		return 1;
	}
	return 0;
}

const char *doc_type_name(enum doc_type type)
{
	switch (type) {
	case DOC_NULL:
		return "null";
	case DOC_BOOL:
		return "a boolean";
	case DOC_INT:
		return "an integer";
	case DOC_FLOAT:
		return "a number";
	case DOC_STR:
		return "a string";
	case DOC_SEQ:
		return "a sequence";
	case DOC_MAP:
		return "a mapping";
	}
	return "an unknown node";
}

void doc_free(struct doc_node *node)
{
	size_t i;

	if (node == NULL)
		return;
	if (node->type == DOC_SEQ) {
		for (i = 0; i < node->n; i++)
			doc_free(node->items[i]);
	} else if (node->type == DOC_MAP) {
		for (i = 0; i < node->n; i++) {
			doc_free(node->pairs[i].key);
			doc_free(node->pairs[i].value);
		}
	}
	free(node->items);
	free(node->pairs);
	free(node->text);
	free(node);
}

void doc_list_release(struct doc_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		doc_free(list->docs[i]);
	free(list->docs);
	list->docs = NULL;
	list->n = 0;
}

const char *doc_yaml_version(void)
{
	return yaml_get_version_string();
}

/* ---- scalar resolution (YAML 1.2 core schema) ----------------------------- */

static int doc_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int doc_is_xdigit(char c)
{
	return doc_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 if s[0..len) is one of the n words. */
static int doc_is_word(const char *s, size_t len, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return 1;
	return 0;
}

static int doc_is_null_text(const char *s, size_t len)
{
	static const char *const words[] = {"~", "null", "Null", "NULL"};

	return len == 0 || doc_is_word(s, len, words, 4);
}

/* 1 true, 0 false, -1 not a boolean. */
static int doc_bool_text(const char *s, size_t len)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (doc_is_word(s, len, yes, 3))
		return 1;
	if (doc_is_word(s, len, no, 3))
		return 0;
	return -1;
}

/* The base of an integer text ([-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+), or 0. */
static int doc_int_base(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 2 && s[0] == '0' && s[1] == 'o') {
		for (i = 2; i < len; i++)
			if (s[i] < '0' || s[i] > '7')
				return 0;
		return 8;
	}
	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		for (i = 2; i < len; i++)
			if (!doc_is_xdigit(s[i]))
				return 0;
		return 16;
	}
	if (len && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!doc_is_digit(s[i]))
			return 0;
	return 10;
}

/* 1 if s[0..len) is [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int doc_is_decimal_float(const char *s, size_t len)
{
	size_t i = 0, digits = 0, start;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i < len && s[i] == '.') {
		for (i++; i < len && doc_is_digit(s[i]); i++)
			digits++;
		if (!digits)
			return 0;
	} else {
		for (; i < len && doc_is_digit(s[i]); i++)
			digits++;
		if (!digits)
			return 0;
		if (i < len && s[i] == '.')
			for (i++; i < len && doc_is_digit(s[i]); i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		start = i;
		while (i < len && doc_is_digit(s[i]))
			i++;
		if (i == start)
			return 0;
	}
	return i == len;
}

/* 1 and *f set if s[0..len) is a float of the core schema. */
static int doc_float_value(const char *s, size_t len, double *f)
{
	static const char *const inf[] = {".inf", ".Inf", ".INF"};
	static const char *const nan[] = {".nan", ".NaN", ".NAN"};
	char tmp[64];
	char *copy;

	if (doc_is_word(s, len, nan, 3)) {
		*f = NAN;
		return 1;
	}
	if (len && (s[0] == '-' || s[0] == '+') && doc_is_word(s + 1, len - 1, inf, 3)) {
		*f = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
		return 1;
	}
	if (doc_is_word(s, len, inf, 3)) {
		*f = HUGE_VAL;
		return 1;
	}
	if (!doc_is_decimal_float(s, len))
		return 0;
	/* Overflow gives an infinity and underflow a zero: both are fine. */
	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		*f = strtod(tmp, NULL);
		return 1;
	}
	copy = doc_memdup(s, len);
	*f = strtod(copy, NULL);
	free(copy);
	return 1;
}

/*
 * The value of an integer text of the given base: 0, or -1 when it does
 * not fit a long long.
 */
static int doc_int_value(const char *s, size_t len, int base, long long *out)
{
	char tmp[80];
	const char *digits = s;
	size_t n = len, at = 0;
	char *end;
	long long v;

	if (base != 10) {
		digits += 2;
		n -= 2;
	} else if (n && (digits[0] == '-' || digits[0] == '+')) {
		if (digits[0] == '-')
			tmp[at++] = '-';
		digits++;
		n--;
	}
	/* Leading zeros do not change the value; the copy stays small. */
	while (n > 1 && digits[0] == '0') {
		digits++;
		n--;
	}
	if (n + at >= sizeof(tmp))
		return -1;
	memcpy(tmp + at, digits, n);
	tmp[at + n] = '\0';
	errno = 0;
	v = strtoll(tmp, &end, base);
	if (errno == ERANGE || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* What a plain scalar's text resolves to. */
struct doc_value {
	enum doc_type type;
	long long i;
	double f;
	int b;
	int range; /* DOC_INT: 1 when the text is an integer too big for long long */
};

/* Resolve s[0..len) by the core schema; strings that fit nothing are DOC_STR. */
static void doc_resolve(const char *s, size_t len, struct doc_value *v)
{
	int base;

	memset(v, 0, sizeof(*v));
	if (doc_is_null_text(s, len)) {
		v->type = DOC_NULL;
		return;
	}
	v->b = doc_bool_text(s, len);
	if (v->b >= 0) {
		v->type = DOC_BOOL;
		return;
	}
	v->b = 0;
	base = doc_int_base(s, len);
	if (base) {
		v->type = DOC_INT;
		v->range = doc_int_value(s, len, base, &v->i) < 0;
		return;
	}
	if (doc_float_value(s, len, &v->f)) {
		v->type = DOC_FLOAT;
		return;
	}
	v->type = DOC_STR;
}

/* ---- small hash index (duplicate keys, anchors) ---------------------------- */

/*
 * Open addressing over indices into the caller's array; slot value 0 is
 * empty, i+1 is index i. The caller hashes and compares.
 */
struct doc_index {
	size_t *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

static uint64_t doc_hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void doc_index_release(struct doc_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}

/* ---- the YAML reader --------------------------------------------------- */

struct doc_anchor {
	char *name;
	struct doc_node *node; /* borrowed from the tree; NULL until complete */
	size_t count;          /* nodes in the anchored tree */
	unsigned height;       /* collections nested in it (a scalar: 0) */
};

struct doc_frame {
	struct doc_node *node; /* the sequence or mapping being filled */
	struct doc_node *key;  /* mapping: the key waiting for its value */
	size_t anchor;         /* index + 1 into anchors, or 0 */
	size_t count0;         /* node count when it started */
	unsigned height;       /* highest child so far */
	struct doc_index keys; /* mapping: index of pairs by key */
};

struct doc_reader {
	const char *name;
	const char *text;
	size_t len;
	yaml_parser_t yp;
	struct doc_frame *frames;
	size_t depth, frames_cap;
	struct doc_anchor *anchors;
	size_t nanchors, anchors_cap;
	struct doc_index anchor_index;
	size_t count;
	struct doc_node *root; /* the current document's root, once complete */
	struct doc_node **docs;
	size_t ndocs, docs_cap;
	size_t at_index, at_byte; /* doc_byte_offset's place: a character, its byte */
};

static int doc_error_at(struct doc_reader *r, const struct doc_mark *mark, struct err *err,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int doc_error_at(struct doc_reader *r, const struct doc_mark *mark, struct err *err,
                        const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, ERR_FAIL, "%s:%u:%u: %s", r->name, mark->line, mark->col, msg);
}

/*
 * The byte offset in r->text of libyaml's character index, which counts
 * characters and not the byte-order mark. A UTF-16 text gives r->len (no
 * byte offset). Marks come mostly in text order, so the walk goes on from
 * the last one and starts again only for an earlier one.
 */
static size_t doc_byte_offset(struct doc_reader *r, size_t index)
{
	const unsigned char *p = (const unsigned char *)r->text;

	if (r->yp.encoding != YAML_UTF8_ENCODING)
		return r->len;
	if (index < r->at_index) {
		r->at_index = 0;
		r->at_byte = 0;
	}
	if (r->at_byte == 0 && r->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		r->at_byte = 3;
	while (r->at_index < index && r->at_byte < r->len) {
		r->at_byte++;
		while (r->at_byte < r->len && (p[r->at_byte] & 0xC0) == 0x80)
			r->at_byte++;
		r->at_index++;
	}
	return r->at_byte;
}

static struct doc_mark doc_mark_of(struct doc_reader *r, const yaml_mark_t *m)
{
	struct doc_mark mark;

	mark.line = m->line >= UINT_MAX ? UINT_MAX : (unsigned)m->line + 1;
	mark.col = m->column >= UINT_MAX ? UINT_MAX : (unsigned)m->column + 1;
	mark.offset = doc_byte_offset(r, m->index);
	return mark;
}

/* Translate libyaml's parser error into err. */
static int doc_yaml_error(struct doc_reader *r, struct err *err)
{
	const yaml_parser_t *yp = &r->yp;
	struct doc_mark mark, cmark;
	size_t end;

	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		return err_set(err, ERR_FAIL, "%s: out of memory in libyaml", r->name);
	case YAML_READER_ERROR:
		/* A byte offset into the input: count lines and characters. */
		mark.line = 1;
		mark.col = 1;
		end = yp->problem_offset < r->len ? yp->problem_offset : r->len;
		text_advance(r->text, 0, end, &mark.line, &mark.col);
		if (yp->problem_value != -1)
			return doc_error_at(r, &mark, err, "%s (#x%X)", yp->problem,
			                    (unsigned)yp->problem_value);
		return doc_error_at(r, &mark, err, "%s", yp->problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		mark = doc_mark_of(r, &yp->problem_mark);
		if (mark.offset < r->len && r->text[mark.offset] == '\t')
			return doc_error_at(r, &mark, err,
			                    "%s: a tab; YAML indents with spaces, not tabs",
			                    yp->problem);
		if (yp->context) {
			cmark = doc_mark_of(r, &yp->context_mark);
			return doc_error_at(r, &mark, err, "%s (%s at line %u, column %u)",
			                    yp->problem, yp->context, cmark.line, cmark.col);
		}
		return doc_error_at(r, &mark, err, "%s", yp->problem);
	default:
		break;
	}
	return err_set(err, ERR_FAIL, "%s: %s", r->name,
	               yp->problem ? yp->problem : "cannot parse YAML");
}

/* "!!str" for the core tags, the tag itself for others. */
static const char *doc_tag_short(const char *tag, char *buf, size_t size)
{
	size_t n = strlen(DOC_TAG_PREFIX);

	if (strncmp(tag, DOC_TAG_PREFIX, n) == 0) {
		snprintf(buf, size, "!!%s", tag + n);
		return buf;
	}
	return tag;
}

/* What doc_tag_type says besides a doc_type. */
enum {
	DOC_TAG_UNKNOWN = -1, /* a tag ftboot does not support */
	DOC_TAG_ANY = -2,     /* "!": non-specific (a scalar is a string) */
	DOC_TAG_RESOLVE = -3, /* no tag on a plain scalar: the schema decides */
};

/*
 * Which type an explicit tag asks for: DOC_NULL ... DOC_MAP, or
 * DOC_TAG_UNKNOWN, or DOC_TAG_ANY.
 */
static int doc_tag_type(const char *tag)
{
	static const struct {
		const char *name;
		enum doc_type type;
	} tags[] = {
	    {"str", DOC_STR},   {"int", DOC_INT}, {"float", DOC_FLOAT}, {"bool", DOC_BOOL},
	    {"null", DOC_NULL}, {"map", DOC_MAP}, {"seq", DOC_SEQ},
	};
	size_t i, n = strlen(DOC_TAG_PREFIX);

	if (strcmp(tag, "!") == 0)
		return DOC_TAG_ANY;
	if (strncmp(tag, DOC_TAG_PREFIX, n) != 0)
		return DOC_TAG_UNKNOWN;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(tag + n, tags[i].name) == 0)
			return (int)tags[i].type;
	return DOC_TAG_UNKNOWN;
}

/* Check a tag on a collection of the given type. */
static int doc_check_collection_tag(struct doc_reader *r, const yaml_char_t *tag,
                                    enum doc_type type, const struct doc_mark *mark,
                                    struct err *err)
{
	char buf[256];
	const char *name;
	int want;

	if (tag == NULL)
		return 0;
	name = doc_tag_short((const char *)tag, buf, sizeof(buf));
	want = doc_tag_type((const char *)tag);
	if (want == DOC_TAG_UNKNOWN)
		return doc_error_at(r, mark, err, "unsupported tag '%s'", name);
	if (want != DOC_TAG_ANY && want != (int)type)
		return doc_error_at(r, mark, err, "tag '%s' cannot apply to %s", name,
		                    doc_type_name(type));
	return 0;
}

static int doc_count(struct doc_reader *r, size_t more, const struct doc_mark *mark,
                     struct err *err)
{
	if (more > DOC_MAX_NODES || r->count > DOC_MAX_NODES - more)
		return doc_error_at(r, mark, err,
		                    "document too large (more than %d nodes, aliases included)",
		                    DOC_MAX_NODES);
	r->count += more;
	return 0;
}

/* Build a scalar node from a scalar event. */
static int doc_make_scalar(struct doc_reader *r, const yaml_event_t *ev, struct doc_node **out,
                           struct err *err)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct doc_mark mark = doc_mark_of(r, &ev->start_mark);
	struct doc_node *node = NULL;
	struct doc_value v;
	char buf[256], quoted[80];
	int want;

	/* Quoted and block scalars are strings unless a tag says otherwise. */
	want = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? DOC_TAG_RESOLVE : DOC_STR;
	if (tag) {
		want = doc_tag_type(tag);
		if (want == DOC_TAG_UNKNOWN)
			return doc_error_at(r, &mark, err, "unsupported tag '%s'",
			                    doc_tag_short(tag, buf, sizeof(buf)));
		if (want == DOC_TAG_ANY)
			want = DOC_STR;
		if (want == DOC_SEQ || want == DOC_MAP)
			return doc_error_at(r, &mark, err, "tag '%s' cannot apply to a scalar",
			                    doc_tag_short(tag, buf, sizeof(buf)));
	}
	memset(&v, 0, sizeof(v));
	if (want == DOC_STR) {
		v.type = DOC_STR;
	} else {
		doc_resolve(text, len, &v);
		if (want == DOC_FLOAT && v.type == DOC_INT) {
			/* !!float 1 is 1.0: read the integer's digits as a float. */
			if (!doc_float_value(text, len, &v.f))
				v.f =
				    v.range ? (text[0] == '-' ? -HUGE_VAL : HUGE_VAL) : (double)v.i;
			v.type = DOC_FLOAT;
			v.range = 0;
			v.i = 0;
		}
		if (want != DOC_TAG_RESOLVE && v.type != (enum doc_type)want) {
			text_quote(text, len, quoted, sizeof(quoted));
			return doc_error_at(r, &mark, err, "'%s' is not %s (tag '%s')", quoted,
			                    doc_type_name((enum doc_type)want),
			                    doc_tag_short(tag, buf, sizeof(buf)));
		}
		if (v.type == DOC_INT && v.range) {
			text_quote(text, len, quoted, sizeof(quoted));
			return doc_error_at(r, &mark, err,
			                    "integer %s is out of range (%lld to %lld)", quoted,
			                    LLONG_MIN, LLONG_MAX);
		}
	}
	node = doc_new_strn(text, len);
	node->type = v.type;
	node->i = v.i;
	node->f = v.f;
	node->b = v.b;
	node->mark = mark;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		node->style = DOC_STYLE_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		node->style = DOC_STYLE_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		node->style = DOC_STYLE_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		node->style = DOC_STYLE_FOLDED;
		break;
	default:
		node->style = DOC_STYLE_PLAIN;
		break;
	}
	*out = node;
	return 0;
}

static uint64_t doc_key_hash(const struct doc_node *key)
{
	uint64_t h = 14695981039346656037ULL;
	unsigned char t = (unsigned char)key->type;
	double f;

	h = doc_hash_bytes(h, &t, 1);
	switch (key->type) {
	case DOC_BOOL:
		t = key->b ? 1 : 0;
		return doc_hash_bytes(h, &t, 1);
	case DOC_INT:
		return doc_hash_bytes(h, &key->i, sizeof(key->i));
	case DOC_FLOAT:
		f = key->f;
		if (isnan(f))
			return h;
		if (f == 0)
			f = 0; /* -0.0 equals 0.0 */
		return doc_hash_bytes(h, &f, sizeof(f));
	case DOC_STR:
		return doc_hash_bytes(h, key->text, key->len);
	default:
		return h;
	}
}

/* The index of the pair in map whose key equals key, or -1. */
static long doc_find_key(struct doc_frame *f, const struct doc_node *key)
{
	const struct doc_node *map = f->node;
	size_t i, mask;

	if (f->keys.cap == 0) {
		for (i = 0; i < map->n; i++)
			if (doc_equal(map->pairs[i].key, key))
				return (long)i;
		return -1;
	}
	mask = f->keys.cap - 1;
	for (i = doc_key_hash(key) & mask; f->keys.slots[i]; i = (i + 1) & mask) {
		size_t at = f->keys.slots[i] - 1;

		if (doc_equal(map->pairs[at].key, key))
			return (long)at;
	}
	return -1;
}

/* Index pair number at of the frame's map (once the map is large). */
static void doc_index_key(struct doc_frame *f, size_t at)
{
	struct doc_node *map = f->node;
	size_t i, j, mask;

	if (f->keys.cap == 0 && map->n < 16)
		return;
	if (f->keys.cap == 0 || (f->keys.n + 1) * 2 > f->keys.cap) {
		doc_index_release(&f->keys);
		f->keys.cap = 64;
		while (f->keys.cap < map->n * 4)
			f->keys.cap *= 2;
		f->keys.slots = xcalloc(f->keys.cap, sizeof(*f->keys.slots));
		mask = f->keys.cap - 1;
		for (j = 0; j < map->n; j++) {
			for (i = doc_key_hash(map->pairs[j].key) & mask; f->keys.slots[i];
			     i = (i + 1) & mask)
				;
			f->keys.slots[i] = j + 1;
			f->keys.n++;
		}
		return;
	}
	mask = f->keys.cap - 1;
	for (i = doc_key_hash(map->pairs[at].key) & mask; f->keys.slots[i]; i = (i + 1) & mask)
		;
	f->keys.slots[i] = at + 1;
	f->keys.n++;
}

static uint64_t doc_name_hash(const char *name)
{
	return doc_hash_bytes(14695981039346656037ULL, name, strlen(name));
}

/* The latest anchor named name (index + 1), or 0. */
static size_t doc_find_anchor(struct doc_reader *r, const char *name)
{
	struct doc_index *ix = &r->anchor_index;
	size_t i, mask;

	if (ix->cap == 0)
		return 0;
	mask = ix->cap - 1;
	for (i = doc_name_hash(name) & mask; ix->slots[i]; i = (i + 1) & mask)
		if (strcmp(r->anchors[ix->slots[i] - 1].name, name) == 0)
			return ix->slots[i];
	return 0;
}

/* Point the index entry for anchor number at's name to it (the latest wins). */
static void doc_anchor_slot(struct doc_reader *r, size_t at)
{
	struct doc_index *ix = &r->anchor_index;
	size_t i, mask = ix->cap - 1;

	for (i = doc_name_hash(r->anchors[at].name) & mask; ix->slots[i]; i = (i + 1) & mask) {
		if (strcmp(r->anchors[ix->slots[i] - 1].name, r->anchors[at].name) == 0) {
			ix->slots[i] = at + 1;
			return;
		}
	}
	ix->slots[i] = at + 1;
	ix->n++;
}

/* Index anchor number at, growing the index first when it is half full. */
static void doc_index_anchor(struct doc_reader *r, size_t at)
{
	struct doc_index *ix = &r->anchor_index;
	size_t j, cap;

	if ((ix->n + 1) * 2 > ix->cap) {
		cap = ix->cap ? ix->cap * 2 : 16;
		doc_index_release(ix);
		ix->cap = cap;
		ix->slots = xcalloc(cap, sizeof(*ix->slots));
		for (j = 0; j < at; j++)
			doc_anchor_slot(r, j);
	}
	doc_anchor_slot(r, at);
}

/* Register an anchor (node NULL until it completes); returns index + 1. */
static size_t doc_add_anchor(struct doc_reader *r, const yaml_char_t *name)
{
	struct doc_anchor *a;

	if (r->nanchors == r->anchors_cap) {
		r->anchors_cap = r->anchors_cap ? r->anchors_cap * 2 : 8;
		r->anchors = xreallocarray(r->anchors, r->anchors_cap, sizeof(*r->anchors));
	}
	a = &r->anchors[r->nanchors++];
	a->name = xstrdup((const char *)name);
	a->node = NULL;
	a->count = 0;
	a->height = 0;
	doc_index_anchor(r, r->nanchors - 1);
	return r->nanchors;
}

static void doc_reset_anchors(struct doc_reader *r)
{
	size_t i;

	for (i = 0; i < r->nanchors; i++)
		free(r->anchors[i].name);
	r->nanchors = 0;
	doc_index_release(&r->anchor_index);
}

/*
 * Attach a complete node of the given height to the open collection, or
 * make it the document's root. Takes node, also on failure.
 */
static int doc_attach(struct doc_reader *r, struct doc_node *node, unsigned height, struct err *err)
{
	struct doc_frame *f;
	char buf[80];
	long first;

	if (r->depth == 0) {
		r->root = node;
		return 0;
	}
	f = &r->frames[r->depth - 1];
	if (height + 1 > f->height)
		f->height = height + 1;
	if (f->node->type == DOC_SEQ) {
		doc_seq_push(f->node, node);
		return 0;
	}
	if (f->key) {
		doc_map_add(f->node, f->key, node);
		f->key = NULL;
		doc_index_key(f, f->node->n - 1);
		return 0;
	}
	if (node->type == DOC_SEQ || node->type == DOC_MAP) {
		/* An alias of a collection used as a key. */
		doc_error_at(r, &node->mark, err, "only scalar keys are supported");
		doc_free(node);
		return -1;
	}
	first = doc_find_key(f, node);
	if (first >= 0) {
		const struct doc_mark *m = &f->node->pairs[first].key->mark;

		text_quote(node->text, node->len, buf, sizeof(buf));
		doc_error_at(r, &node->mark, err,
		             "duplicate key '%s' (first at line %u, column %u)", buf, m->line,
		             m->col);
		doc_free(node);
		return -1;
	}
	f->key = node;
	return 0;
}

static int doc_on_scalar(struct doc_reader *r, const yaml_event_t *ev, struct err *err)
{
	struct doc_mark mark = doc_mark_of(r, &ev->start_mark);
	struct doc_node *node = NULL;
	size_t a = 0;

	if (doc_count(r, 1, &mark, err) < 0)
		return -1;
	if (doc_make_scalar(r, ev, &node, err) < 0)
		return -1;
	if (ev->data.scalar.anchor) {
		a = doc_add_anchor(r, ev->data.scalar.anchor);
		r->anchors[a - 1].node = node;
		r->anchors[a - 1].count = 1;
		r->anchors[a - 1].height = 0;
	}
	return doc_attach(r, node, 0, err);
}

static int doc_on_alias(struct doc_reader *r, const yaml_event_t *ev, struct err *err)
{
	struct doc_mark mark = doc_mark_of(r, &ev->start_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	struct doc_anchor *a;
	struct doc_node *copy;
	size_t at;

	at = doc_find_anchor(r, name);
	if (at == 0)
		return doc_error_at(r, &mark, err, "found undefined alias '%s'", name);
	a = &r->anchors[at - 1];
	if (a->node == NULL)
		return doc_error_at(r, &mark, err,
		                    "alias '%s' refers to a node that contains it (recursive "
		                    "structures are not supported)",
		                    name);
	if (r->depth + a->height > DOC_MAX_DEPTH)
		return doc_error_at(r, &mark, err, "nesting deeper than %d levels", DOC_MAX_DEPTH);
	if (doc_count(r, a->count, &mark, err) < 0)
		return -1;
	copy = doc_clone(a->node);
	/* The copy starts where the alias is written; its insides where they are. */
	copy->mark = mark;
	return doc_attach(r, copy, a->height, err);
}

static int doc_on_start(struct doc_reader *r, const yaml_event_t *ev, enum doc_type type,
                        struct err *err)
{
	struct doc_mark mark = doc_mark_of(r, &ev->start_mark);
	const yaml_char_t *tag, *anchor;
	struct doc_frame *f;
	struct doc_node *node;
	int flow;

	if (type == DOC_SEQ) {
		tag = ev->data.sequence_start.tag;
		anchor = ev->data.sequence_start.anchor;
		flow = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	} else {
		tag = ev->data.mapping_start.tag;
		anchor = ev->data.mapping_start.anchor;
		flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	}
	if (r->depth > 0) {
		f = &r->frames[r->depth - 1];
		if (f->node->type == DOC_MAP && f->key == NULL)
			return doc_error_at(r, &mark, err, "only scalar keys are supported");
	}
	if (r->depth >= DOC_MAX_DEPTH)
		return doc_error_at(r, &mark, err, "nesting deeper than %d levels", DOC_MAX_DEPTH);
	if (doc_check_collection_tag(r, tag, type, &mark, err) < 0)
		return -1;
	if (doc_count(r, 1, &mark, err) < 0)
		return -1;
	node = doc_new(type);
	node->mark = mark;
	node->style = flow ? DOC_STYLE_FLOW : DOC_STYLE_BLOCK;
	if (r->depth == r->frames_cap) {
		r->frames_cap = r->frames_cap ? r->frames_cap * 2 : 16;
		r->frames = xreallocarray(r->frames, r->frames_cap, sizeof(*r->frames));
	}
	f = &r->frames[r->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->count0 = r->count - 1;
	if (anchor)
		f->anchor = doc_add_anchor(r, anchor);
	return 0;
}

static int doc_on_end(struct doc_reader *r, struct err *err)
{
	struct doc_frame *f = &r->frames[r->depth - 1];
	struct doc_node *node = f->node;
	unsigned height = f->height ? f->height : 1;

	if (f->anchor) {
		struct doc_anchor *a = &r->anchors[f->anchor - 1];

		a->node = node;
		a->count = r->count - f->count0;
		a->height = height;
	}
	doc_free(f->key); /* never set here: libyaml pairs every key */
	doc_index_release(&f->keys);
	r->depth--;
	return doc_attach(r, node, height, err);
}

static int doc_on_document_end(struct doc_reader *r)
{
	struct doc_node *root = r->root ? r->root : doc_new(DOC_NULL);

	r->root = NULL;
	if (r->ndocs == r->docs_cap) {
		r->docs_cap = r->docs_cap ? r->docs_cap * 2 : 4;
		r->docs = xreallocarray(r->docs, r->docs_cap, sizeof(*r->docs));
	}
	r->docs[r->ndocs++] = root;
	doc_reset_anchors(r);
	return 0;
}

static void doc_reader_release(struct doc_reader *r)
{
	size_t i;

	for (i = 0; i < r->depth; i++) {
		doc_free(r->frames[i].node);
		doc_free(r->frames[i].key);
		doc_index_release(&r->frames[i].keys);
	}
	free(r->frames);
	doc_reset_anchors(r);
	free(r->anchors);
	doc_free(r->root);
	for (i = 0; i < r->ndocs; i++)
		doc_free(r->docs[i]);
	free(r->docs);
	yaml_parser_delete(&r->yp);
}

int doc_parse_yaml(const char *name, const char *text, size_t len, struct doc_list *out,
                   struct err *err)
{
	struct doc_reader r;
	yaml_event_t ev;
	int rc = -1, done = 0, have_event = 0;

	memset(&r, 0, sizeof(r));
	r.name = name ? name : "-";
	r.text = text;
	r.len = len;
	if (!yaml_parser_initialize(&r.yp)) {
		err_set(err, ERR_FAIL, "%s: out of memory in libyaml", r.name);
		return -1;
	}
	yaml_parser_set_input_string(&r.yp, (const unsigned char *)(text ? text : ""), len);
	while (!done) {
		if (!yaml_parser_parse(&r.yp, &ev)) {
			doc_yaml_error(&r, err);
			goto out;
		}
		have_event = 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_reset_anchors(&r);
			break;
		case YAML_DOCUMENT_END_EVENT:
			doc_on_document_end(&r);
			break;
		case YAML_SCALAR_EVENT:
			if (doc_on_scalar(&r, &ev, err) < 0)
				goto out;
			break;
		case YAML_ALIAS_EVENT:
			if (doc_on_alias(&r, &ev, err) < 0)
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (doc_on_start(&r, &ev, DOC_SEQ, err) < 0)
				goto out;
			break;
		case YAML_MAPPING_START_EVENT:
			if (doc_on_start(&r, &ev, DOC_MAP, err) < 0)
				goto out;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (doc_on_end(&r, err) < 0)
				goto out;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_event = 0;
	}
	out->docs = r.docs;
	out->n = r.ndocs;
	r.docs = NULL;
	r.ndocs = 0;
	rc = 0;
out:
	if (have_event)
		yaml_event_delete(&ev);
	doc_reader_release(&r);
	return rc;
}

/* ---- the YAML writer --------------------------------------------------- */

struct doc_writer {
	yaml_emitter_t em;
	struct buf *out;
	int full; /* the buffer's limit was reached */
};

static int doc_write_handler(void *data, unsigned char *bytes, size_t size)
{
	struct doc_writer *w = data;

	if (buf_add(w->out, bytes, size) < 0) {
		w->full = 1;
		return 0;
	}
	return 1;
}

/* The length of the valid UTF-8 character at s[0..len), or 0. */
static size_t doc_utf8_char(const unsigned char *s, size_t len, unsigned long *cp)
{
	size_t n, i;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* What libyaml's emitter calls printable (with unicode on), minus the breaks. */
static int doc_printable(unsigned long c)
{
	return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF);
}

/*
 * 1 if s (no line breaks) may be a plain scalar in block context: a
 * stricter rule than libyaml's, so that libyaml never quotes what we ask
 * to be plain.
 */
static int doc_plain_shape(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	size_t i, n;

	if (len == 0 || p[0] == ' ' || p[len - 1] == ' ')
		return 0;
	if (p[0] == '\0' || strchr("#,[]{}&*!|>'\"%@`?:", p[0]))
		return 0;
	if (p[0] == '-' && (len == 1 || p[1] == ' '))
		return 0;
	if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		return 0;
	for (i = 0; i < len; i += n) {
		n = doc_utf8_char(p + i, len - i, &c);
		if (n == 0 || !doc_printable(c))
			return 0;
		if (c == ':' && (i + 1 == len || p[i + 1] == ' '))
			return 0;
		if (c == '#' && i > 0 && p[i - 1] == ' ')
			return 0;
	}
	return 1;
}

/* 1 if s looks like a number to a YAML 1.1 reader (conservatively). */
static int doc_yaml11_number(const char *s, size_t len)
{
	size_t i = 0, j, digits = 0, dots = 0;

	if (len && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (len - i > 2 && s[i] == '0' && s[i + 1] != '\0' && strchr("bBxXoO", s[i + 1])) {
		for (j = i + 2; j < len; j++)
			if (!doc_is_xdigit(s[j]) && s[j] != '_')
				return 0;
		return 1;
	}
	/* Mantissa: [0-9_:.]+ holding a digit or a dot; then an exponent. */
	for (j = i; j < len && (doc_is_digit(s[j]) || (s[j] && strchr("_:.", s[j]))); j++) {
		digits += doc_is_digit(s[j]);
		dots += s[j] == '.';
	}
	if (j == i || (!digits && !dots))
		return 0;
	if (j < len && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < len && (s[j] == '-' || s[j] == '+'))
			j++;
		if (j == len)
			return 0;
		for (; j < len; j++)
			if (!doc_is_digit(s[j]))
				return 0;
	}
	return j == len;
}

/* 1 if a YAML 1.1 reader would not read s plain as a string. */
static int doc_yaml11_special(const char *s, size_t len)
{
	static const char *const words[] = {"y",    "n",     "yes",  "no", "on", "off",
	                                    "true", "false", "null", "~",  "=",  "<<"};
	size_t i, w;

	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		if (strlen(words[w]) != len)
			continue;
		for (i = 0; i < len; i++) {
			char c = s[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != words[w][i])
				break;
		}
		if (i == len)
			return 1;
	}
	if (doc_yaml11_number(s, len))
		return 1;
	/* Timestamps (2001-12-14...) */
	if (len >= 6 && doc_is_digit(s[0]) && doc_is_digit(s[1]) && doc_is_digit(s[2]) &&
	    doc_is_digit(s[3]) && s[4] == '-' && doc_is_digit(s[5]))
		return 1;
	return 0;
}

/* 1 if s may be written plain and read back as this string everywhere. */
static int doc_plain_ok(const char *s, size_t len)
{
	struct doc_value v;

	if (!doc_plain_shape(s, len))
		return 0;
	doc_resolve(s, len, &v);
	if (v.type != DOC_STR)
		return 0;
	return !doc_yaml11_special(s, len);
}

/*
 * How to write a string: plain, literal (several lines), or double
 * quoted. Literal only for '\n' breaks: libyaml reads '\r' and NEL in a
 * block scalar back as '\n'.
 */
static yaml_scalar_style_t doc_str_style(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int lf = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			lf = 1;
		else if (p[i] == '\r' || (p[i] == 0xC2 && i + 1 < len && p[i + 1] == 0x85))
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else if (p[i] == 0xE2 && i + 2 < len && p[i + 1] == 0x80 &&
		         (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	}
	if (lf)
		return YAML_LITERAL_SCALAR_STYLE;
	return doc_plain_ok(s, len) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/*
 * The text to write for a non-string scalar. A null or a boolean keeps
 * its own text when it reads back as the same value: every 1.2 core
 * spelling ("~", "Null", "TRUE" ...) means the same to a YAML 1.1 reader.
 * A number is written in its canonical form, because its spelling may not:
 * "010" is 8 to a 1.1 reader (kubectl, PyYAML), "0o17" and "1e3" are
 * strings to it. An integer is plain decimal and a float has a '.' and a
 * signed exponent (doc_float_text), which both read alike.
 */
static const char *doc_scalar_text(const struct doc_node *node, char *buf, size_t size)
{
	struct doc_value v;

	if ((node->type == DOC_NULL || node->type == DOC_BOOL) && node->text && node->len > 0 &&
	    strlen(node->text) == node->len) {
		doc_resolve(node->text, node->len, &v);
		if (v.type == node->type && doc_plain_shape(node->text, node->len) &&
		    (v.type == DOC_NULL || !v.b == !node->b))
			return node->text;
	}
	switch (node->type) {
	case DOC_BOOL:
		return node->b ? "true" : "false";
	case DOC_INT:
		snprintf(buf, size, "%lld", node->i);
		return buf;
	case DOC_FLOAT:
		return doc_float_text(node->f, buf);
	default:
		return "null";
	}
}

static int doc_emit_event(struct doc_writer *w, yaml_event_t *ev, struct err *err)
{
	if (yaml_emitter_emit(&w->em, ev))
		return 0;
	if (w->full)
		return err_set(err, ERR_FAIL, "YAML output is larger than %zu bytes",
		               w->out->limit);
	return err_set(err, ERR_FAIL, "cannot write YAML: %s",
	               w->em.problem ? w->em.problem : "libyaml failed");
}

static int doc_emit_scalar(struct doc_writer *w, const struct doc_node *node, struct err *err)
{
	char buf[DOC_FLOAT_TEXT_MAX + 32];
	yaml_event_t ev;
	const char *text;
	size_t len;
	yaml_scalar_style_t style;
	int plain_implicit = 1, quoted_implicit = 0;

	if (node->type == DOC_STR) {
		text = node->text ? node->text : "";
		len = node->text ? node->len : 0;
		style = doc_str_style(text, len);
		if (style != YAML_PLAIN_SCALAR_STYLE) {
			plain_implicit = 0;
			quoted_implicit = 1;
		}
	} else {
		text = doc_scalar_text(node, buf, sizeof(buf));
		len = strlen(text);
		style = YAML_PLAIN_SCALAR_STYLE;
	}
	if (len > INT_MAX)
		return err_set(err, ERR_FAIL, "cannot write YAML: string of %zu bytes is too long",
		               len);
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
	                                  plain_implicit, quoted_implicit, style))
		return err_set(err, ERR_FAIL, "cannot write YAML: %s",
		               node->type == DOC_STR ? "a string is not valid UTF-8"
		                                     : "out of memory");
	return doc_emit_event(w, &ev, err);
}

static int doc_emit_node(struct doc_writer *w, const struct doc_node *node, struct err *err)
{
	yaml_event_t ev;
	size_t i;
	int ok;

	if (node->type != DOC_SEQ && node->type != DOC_MAP)
		return doc_emit_scalar(w, node, err);
	if (node->type == DOC_SEQ)
		ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                          node->n ? YAML_BLOCK_SEQUENCE_STYLE
		                                                  : YAML_FLOW_SEQUENCE_STYLE);
	else
		ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                         node->n ? YAML_BLOCK_MAPPING_STYLE
		                                                 : YAML_FLOW_MAPPING_STYLE);
	if (!ok)
		return err_set(err, ERR_FAIL, "cannot write YAML: out of memory");
	if (doc_emit_event(w, &ev, err) < 0)
		return -1;
	for (i = 0; i < node->n; i++) {
		if (node->type == DOC_SEQ) {
			if (doc_emit_node(w, node->items[i], err) < 0)
				return -1;
			continue;
		}
		if (node->pairs[i].key->type == DOC_SEQ || node->pairs[i].key->type == DOC_MAP)
			return err_set(err, ERR_FAIL,
			               "cannot write YAML: a mapping key is %s, not a scalar",
			               doc_type_name(node->pairs[i].key->type));
		if (doc_emit_scalar(w, node->pairs[i].key, err) < 0 ||
		    doc_emit_node(w, node->pairs[i].value, err) < 0)
			return -1;
	}
	if (node->type == DOC_SEQ)
		yaml_sequence_end_event_initialize(&ev);
	else
		yaml_mapping_end_event_initialize(&ev);
	return doc_emit_event(w, &ev, err);
}

/*
 * Remove a "--- " libyaml may put before the root and the "..." line it
 * puts after an open-ended block scalar ("|+").
 */
static void doc_strip_markers(struct buf *out, size_t start)
{
	char *s = out->data + start;
	size_t n = out->len - start;

	if (n >= 4 && memcmp(s + n - 4, "...\n", 4) == 0 && (n == 4 || s[n - 5] == '\n'))
		n -= 4;
	if (n >= 4 && memcmp(s, "---", 3) == 0 && (s[3] == ' ' || s[3] == '\n')) {
		memmove(s, s + 4, n - 4);
		n -= 4;
	}
	out->len = start + n;
	out->data[out->len] = '\0';
}

int doc_emit_yaml(const struct doc_node *root, struct buf *out, struct err *err)
{
	struct doc_writer w;
	yaml_event_t ev;
	size_t start = out->len;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.out = out;
	if (!yaml_emitter_initialize(&w.em))
		return err_set(err, ERR_FAIL, "cannot write YAML: out of memory in libyaml");
	yaml_emitter_set_output(&w.em, doc_write_handler, &w);
	yaml_emitter_set_width(&w.em, -1);
	yaml_emitter_set_indent(&w.em, 2);
	yaml_emitter_set_unicode(&w.em, 1);
	yaml_emitter_set_break(&w.em, YAML_LN_BREAK);

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (doc_emit_event(&w, &ev, err) < 0)
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (doc_emit_event(&w, &ev, err) < 0)
		goto out;
	if (doc_emit_node(&w, root, err) < 0)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (doc_emit_event(&w, &ev, err) < 0)
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (doc_emit_event(&w, &ev, err) < 0)
		goto out;
	if (out->len > start)
		doc_strip_markers(out, start);
	rc = 0;
out:
	yaml_emitter_delete(&w.em);
	if (rc < 0 && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
