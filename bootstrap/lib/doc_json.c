/*
 * doc_json: the JSON side of the document tree. Reading goes through
 * json-c (this is the only file that includes it); writing is our own
 * compact RFC 8259 writer.
 *
 * json-c does the parsing proper (structure, escapes, surrogate pairs,
 * the nesting limit), with JSON_TOKENER_STRICT (no comments, no trailing
 * commas, no single-quoted values, no "01", no "True") and
 * JSON_TOKENER_VALIDATE_UTF8. It is lenient or lossy in a few places
 * that no option of json-c 0.16 (Debian 12) closes, measured against
 * that library and read in its json_tokener.c:
 *
 *  - Duplicate keys: the tokener stores each member with
 *    json_object_object_add(), which replaces an existing key's value in
 *    place; no tokener flag, callback or count reports it.
 *    JSON_C_OBJECT_ADD_KEY_IS_NEW is the opposite: a caller's promise
 *    that lets json_object_object_add_ex() skip the lookup, not a check.
 *  - Integers out of range: json_parse_int64/uint64 clamp with strtoll
 *    and strtoull and the 0.16 tokener ignores ERANGE (a later json-c
 *    refuses it under STRICT). -9223372036854775809 becomes
 *    INT64_MIN, indistinguishable from the real one in the tree;
 *    99999999999999999999 becomes a uint64 18446744073709551615, which
 *    json_object_get_int64() returns as INT64_MAX without setting errno.
 *  - Numbers: STRICT still takes "1.", "1.e5", "-01", "00", NaN,
 *    Infinity and -Infinity, and "1e999" becomes an infinite double.
 *  - Strings: raw control characters pass; a key in single quotes
 *    passes ({'a': 1}); a key holding \u0000 is cut there (the tokener
 *    strdup()s key names); VALIDATE_UTF8 only checks the byte pattern,
 *    so overlong forms, surrogates and code points past U+10FFFF pass.
 *  - A NUL byte ends json-c's input wherever it is, reported as an
 *    "unexpected end of data"; a byte-order mark is "invalid utf-8".
 *
 * So after json-c succeeds, one linear pass over the same text
 * (doc_json_check_text) rejects exactly those, and counts nodes against
 * DOC_MAX_NODES; it knows every position, so its errors carry a line
 * and column too. It only ever sees text json-c accepted: outside
 * strings that is structure, whitespace, numbers and the five words.
 * A NUL byte is named as such; a byte-order mark at the start is
 * skipped (RFC 8259, section 8.1, lets a parser ignore it), and
 * positions count it as no character, as text_advance does for YAML.
 * A lone surrogate escape becomes U+FFFD (json-c's choice, kept).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <errno.h>

#include <json-c/json.h>

#include "doc.h"
#include "text.h"
#include "xmem.h"

/* The 1-based line and column (in characters) of text[offset]. */
static struct doc_mark doc_json_mark(const char *text, size_t len, size_t offset)
{
	struct doc_mark mark = {1, 1, offset};

	text_advance(text, 0, offset < len ? offset : len, &mark.line, &mark.col);
	return mark;
}

/* ---- the checking pass ------------------------------------------------- */

struct doc_json_key {
	const char *raw; /* the key's text between the quotes */
	size_t rawlen;
	char *dec; /* decoded bytes when raw holds escapes, else NULL */
	size_t len;
	size_t offset; /* of the opening quote */
};

struct doc_json_check {
	const char *text;
	size_t len;
	size_t nodes;
	struct doc_json_key *keys; /* keys of the open objects, outermost first */
	size_t nkeys, keys_cap;
	size_t *objects; /* for each open object, where its keys start in keys */
	size_t nobjects, objects_cap;
	int bad;           /* a problem was found... */
	size_t bad_offset; /* ...the earliest at this offset */
	char bad_msg[512];
};

static void doc_json_problem(struct doc_json_check *c, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Note a problem at offset; the earliest in the text is the one reported. */
static void doc_json_problem(struct doc_json_check *c, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (c->bad && c->bad_offset <= offset)
		return;
	c->bad = 1;
	c->bad_offset = offset;
	va_start(ap, fmt);
	vsnprintf(c->bad_msg, sizeof(c->bad_msg), fmt, ap);
	va_end(ap);
}

static const char *doc_json_key_bytes(const struct doc_json_key *k)
{
	return k->dec ? k->dec : k->raw;
}

static int doc_json_key_cmp(const void *pa, const void *pb)
{
	const struct doc_json_key *a = *(const struct doc_json_key *const *)pa;
	const struct doc_json_key *b = *(const struct doc_json_key *const *)pb;
	int rc;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	rc = memcmp(doc_json_key_bytes(a), doc_json_key_bytes(b), a->len);
	if (rc)
		return rc;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* 1 if two keys hold the same bytes. */
static int doc_json_key_same(const struct doc_json_key *a, const struct doc_json_key *b)
{
	return a->len == b->len &&
	       memcmp(doc_json_key_bytes(a), doc_json_key_bytes(b), a->len) == 0;
}

/*
 * An object closes: look for a key given twice among its keys (sorted,
 * so a big object costs n log n) and note the earliest second one.
 */
static void doc_json_close_object(struct doc_json_check *c)
{
	size_t start = c->objects[--c->nobjects], n = c->nkeys - start, i;
	const struct doc_json_key *dup = NULL, *first = NULL;
	struct doc_json_key **v;
	struct doc_mark mark;
	char show[80];

	if (n >= 2) {
		v = xreallocarray(NULL, n, sizeof(*v));
		for (i = 0; i < n; i++)
			v[i] = &c->keys[start + i];
		qsort(v, n, sizeof(*v), doc_json_key_cmp);
		/* Equal keys sort by offset: v[i - 1] came first. */
		for (i = 1; i < n; i++) {
			if (!doc_json_key_same(v[i], v[i - 1]))
				continue;
			if (i >= 2 && doc_json_key_same(v[i], v[i - 2]))
				continue; /* a third of the same: the second counts */
			if (dup == NULL || v[i]->offset < dup->offset) {
				dup = v[i];
				first = v[i - 1];
			}
		}
		if (dup && (!c->bad || dup->offset < c->bad_offset)) {
			mark = doc_json_mark(c->text, c->len, first->offset);
			text_quote(doc_json_key_bytes(dup), dup->len, show, sizeof(show));
			doc_json_problem(c, dup->offset,
			                 "duplicate key '%s' (first at line %u, column %u)", show,
			                 mark.line, mark.col);
		}
		free(v);
	}
	for (i = start; i < c->nkeys; i++)
		free(c->keys[i].dec);
	c->nkeys = start;
}

/* Decode a key that holds escapes, with json-c itself; NULL if it cannot. */
static char *doc_json_decode(const char *quoted, size_t len, size_t *outlen)
{
	struct json_tokener *tok;
	struct json_object *obj;
	char *s = NULL;

	if (len > INT_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, quoted, (int)len);
	if (obj && json_object_is_type(obj, json_type_string)) {
		*outlen = (size_t)json_object_get_string_len(obj);
		s = xmalloc(*outlen + 1);
		memcpy(s, json_object_get_string(obj), *outlen);
		s[*outlen] = '\0';
	}
	json_object_put(obj);
	json_tokener_free(tok);
	return s;
}

static void doc_json_count(struct doc_json_check *c, size_t offset)
{
	if (++c->nodes == (size_t)DOC_MAX_NODES + 1)
		doc_json_problem(c, offset, "document too large (more than %d nodes)",
		                 DOC_MAX_NODES);
}

/* A string at text[i] (the quote); returns the offset after it. */
static size_t doc_json_string(struct doc_json_check *c, size_t i)
{
	const char *t = c->text;
	size_t start = i, j, escapes = 0;
	struct doc_json_key *k;

	for (j = i + 1; j < c->len && t[j] != '"'; j++) {
		size_t n;

		if ((unsigned char)t[j] < 0x20)
			doc_json_problem(c, j, "unescaped control character in a string");
		if (t[j] == '\\') {
			escapes = 1;
			j++;
		} else if ((unsigned char)t[j] >= 0x80) {
			n = text_utf8_len(t + j, c->len - j);
			if (n == 0) {
				doc_json_problem(c, j, "invalid UTF-8 in a string");
				continue;
			}
			j += n - 1;
		}
	}
	i = j < c->len ? j + 1 : c->len;
	doc_json_count(c, start);
	/* A key is a string followed by ':'. */
	for (j = i; j < c->len && strchr(" \t\r\n", t[j]) && t[j]; j++)
		;
	if (j >= c->len || t[j] != ':' || c->nobjects == 0)
		return i;
	if (c->nkeys == c->keys_cap) {
		c->keys_cap = c->keys_cap ? c->keys_cap * 2 : 16;
		c->keys = xreallocarray(c->keys, c->keys_cap, sizeof(*c->keys));
	}
	k = &c->keys[c->nkeys++];
	k->raw = t + start + 1;
	k->rawlen = i - start >= 2 ? i - start - 2 : 0;
	k->dec = NULL;
	k->len = k->rawlen;
	k->offset = start;
	if (escapes) {
		k->dec = doc_json_decode(t + start, i - start, &k->len);
		if (k->dec == NULL) {
			k->len = k->rawlen;
		} else if (memchr(k->dec, '\0', k->len)) {
			doc_json_problem(c, start, "a key holding \\u0000 is not supported");
		}
	}
	return i;
}

/*
 * 1 if t[i..end) is an RFC 8259 number,
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, with *is_int set
 * when it has no fraction and no exponent.
 */
static int doc_json_number_ok(const char *t, size_t i, size_t end, int *is_int)
{
	*is_int = 1;
	if (i < end && t[i] == '-')
		i++;
	if (i < end && t[i] == '0') {
		i++;
	} else if (i < end && t[i] >= '1' && t[i] <= '9') {
		while (i < end && t[i] >= '0' && t[i] <= '9')
			i++;
	} else {
		return 0;
	}
	if (i < end && t[i] == '.') {
		*is_int = 0;
		if (++i >= end || t[i] < '0' || t[i] > '9')
			return 0;
		while (i < end && t[i] >= '0' && t[i] <= '9')
			i++;
	}
	if (i < end && (t[i] == 'e' || t[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < end && (t[i] == '-' || t[i] == '+'))
			i++;
		if (i >= end || t[i] < '0' || t[i] > '9')
			return 0;
		while (i < end && t[i] >= '0' && t[i] <= '9')
			i++;
	}
	return i == end;
}

/* A number (or a word json-c took for one) at text[i]; returns its end. */
static size_t doc_json_number(struct doc_json_check *c, size_t i)
{
	const char *t = c->text;
	size_t end, n;
	char show[40];
	char *tok;
	int is_int;

	for (end = i; end < c->len && t[end] &&
	              (strchr("+-.", t[end]) || (t[end] >= '0' && t[end] <= '9') ||
	               (t[end] >= 'a' && t[end] <= 'z') || (t[end] >= 'A' && t[end] <= 'Z'));
	     end++)
		; /* t[i] is '-' or a digit, so end > i */
	doc_json_count(c, i);
	if (!doc_json_number_ok(t, i, end, &is_int)) {
		n = end - i < 32 ? end - i : 32;
		memcpy(show, t + i, n);
		show[n] = '\0';
		doc_json_problem(c, i, "'%s%s' is not a valid JSON number", show,
		                 n < end - i ? "..." : "");
		return end;
	}
	/* json-c clamps integers out of range and makes huge numbers infinite. */
	tok = xstrndup(t + i, end - i);
	errno = 0;
	if (is_int) {
		(void)strtoll(tok, NULL, 10);
		if (errno == ERANGE)
			doc_json_problem(c, i, "integer out of range");
	} else if (isinf(strtod(tok, NULL))) {
		doc_json_problem(c, i, "number out of range");
	}
	free(tok);
	return end;
}

/*
 * Check text[start..len), which json-c accepted; 0, or -1 with err set.
 * Outside strings json-c left only structure, whitespace, numbers and
 * words, so only those are looked at.
 */
static int doc_json_check_text(const char *name, const char *text, size_t start, size_t len,
                               struct err *err)
{
	struct doc_json_check c;
	size_t i = start, j;
	struct doc_mark mark;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.text = text;
	c.len = len;
	while (i < len) {
		char ch = text[i];

		if (ch == '"') {
			i = doc_json_string(&c, i);
		} else if (ch == '{') {
			doc_json_count(&c, i);
			if (c.nobjects == c.objects_cap) {
				c.objects_cap = c.objects_cap ? c.objects_cap * 2 : 16;
				c.objects =
				    xreallocarray(c.objects, c.objects_cap, sizeof(*c.objects));
			}
			c.objects[c.nobjects++] = c.nkeys;
			i++;
		} else if (ch == '}') {
			if (c.nobjects)
				doc_json_close_object(&c);
			i++;
		} else if (ch == '[') {
			doc_json_count(&c, i);
			i++;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			i = doc_json_number(&c, i);
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
			for (j = i; j < len && ((text[j] >= 'a' && text[j] <= 'z') ||
			                        (text[j] >= 'A' && text[j] <= 'Z'));
			     j++)
				;
			if (!((j - i == 4 && memcmp(text + i, "true", 4) == 0) ||
			      (j - i == 5 && memcmp(text + i, "false", 5) == 0) ||
			      (j - i == 4 && memcmp(text + i, "null", 4) == 0))) {
				doc_json_problem(&c, i, "'%.*s' is not valid JSON",
				                 (int)(j - i > 32 ? 32 : j - i), text + i);
				i = j;
				continue;
			}
			doc_json_count(&c, i);
			i = j;
		} else if (ch == '\'') {
			doc_json_problem(&c, i, "single quotes are not JSON");
			i++;
		} else {
			i++; /* whitespace, ',', ':' or ']' */
		}
	}
	while (c.nobjects)
		doc_json_close_object(&c);
	if (c.bad) {
		mark = doc_json_mark(text, len, c.bad_offset);
		rc = err_set(err, ERR_FAIL, "%s:%u:%u: %s", name, mark.line, mark.col, c.bad_msg);
	}
	free(c.keys);
	free(c.objects);
	return rc;
}

/* ---- json-c objects to doc nodes ----------------------------------------- */

static struct doc_node *doc_from_json(struct json_object *obj)
{
	struct doc_node *node;
	const char *s;
	size_t i, n;

	switch (json_object_get_type(obj)) {
	case json_type_boolean:
		return doc_new_bool(json_object_get_boolean(obj));
	case json_type_int:
		return doc_new_int((long long)json_object_get_int64(obj));
	case json_type_double:
		node = doc_new(DOC_FLOAT);
		node->f = json_object_get_double(obj);
		free(node->text);
		/* json-c keeps the number as written ("1E5", "-0.0"). */
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		node->text = xstrdup(s ? s : "0.0");
		node->len = strlen(node->text);
		return node;
	case json_type_string:
		node = doc_new_strn(json_object_get_string(obj),
		                    (size_t)json_object_get_string_len(obj));
		node->style = DOC_STYLE_DOUBLE;
		return node;
	case json_type_array:
		node = doc_new(DOC_SEQ);
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			doc_seq_push(node, doc_from_json(json_object_array_get_idx(obj, i)));
		return node;
	case json_type_object:
		node = doc_new(DOC_MAP);
		{
			struct json_object_iterator it = json_object_iter_begin(obj);
			struct json_object_iterator end = json_object_iter_end(obj);

			/* Keys are unique here: doc_json_check_text saw to it. */
			while (!json_object_iter_equal(&it, &end)) {
				struct doc_node *key = doc_new_str(json_object_iter_peek_name(&it));

				key->style = DOC_STYLE_DOUBLE;
				doc_map_add(node, key,
				            doc_from_json(json_object_iter_peek_value(&it)));
				json_object_iter_next(&it);
			}
		}
		return node;
	case json_type_null:
	default:
		return doc_new(DOC_NULL);
	}
}

int doc_parse_json(const char *name, const char *text, size_t len, struct doc_node **out,
                   struct err *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	struct doc_mark mark;
	size_t end, start = 0;
	const char *nul;
	int rc = -1;

	*out = NULL;
	if (name == NULL)
		name = "-";
	if (text == NULL)
		text = "";
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		start = 3; /* a byte-order mark, which RFC 8259 lets a reader ignore */
	if (len >= INT_MAX)
		return err_set(err, ERR_FAIL, "%s: JSON text of %zu bytes is too large", name, len);
	tok = json_tokener_new_ex(DOC_MAX_DEPTH);
	if (tok == NULL)
		return err_set(err, ERR_FAIL, "%s: out of memory in json-c", name);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text + start, (int)(len - start));
	jerr = json_tokener_get_error(tok);
	end = start + json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* The end of the input: a NUL tells json-c (a number may end here). */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success) {
		/* json-c stops at a NUL byte and calls it the end of the data. */
		nul = memchr(text, '\0', len);
		if (nul && (size_t)(nul - text) <= end) {
			mark = doc_json_mark(text, len, (size_t)(nul - text));
			err_set(err, ERR_FAIL,
			        "%s:%u:%u: a NUL byte is not allowed in JSON text (write \\u0000 "
			        "inside a string)",
			        name, mark.line, mark.col);
		} else {
			mark = doc_json_mark(text, len, end);
			err_set(err, ERR_FAIL, "%s:%u:%u: %s", name, mark.line, mark.col,
			        json_tokener_error_desc(jerr));
		}
		goto out;
	}
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", text[end]) || text[end] == '\0') {
			mark = doc_json_mark(text, len, end);
			err_set(err, ERR_FAIL, "%s:%u:%u: unexpected data after the JSON value",
			        name, mark.line, mark.col);
			goto out;
		}
	}
	if (doc_json_check_text(name, text, start, len, err) < 0)
		goto out;
	*out = doc_from_json(obj);
	rc = 0;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}

const char *doc_json_version(void)
{
	return json_c_version();
}

/* ---- the JSON writer --------------------------------------------------- */

static int doc_json_str(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char esc[7];

	if (buf_addch(out, '"') < 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;

		switch (c) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\t':
			e = "\\t";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xF];
				esc[6] = '\0';
				e = esc;
			}
			break;
		}
		if (e == NULL) {
			run++;
			continue;
		}
		if (buf_add(out, s + i - run, run) < 0 || buf_addstr(out, e) < 0)
			return -1;
		run = 0;
	}
	if (buf_add(out, s + len - run, run) < 0)
		return -1;
	return buf_addch(out, '"');
}

/* -1 on a full buffer, -2 (err set) on a node JSON cannot hold. */
static int doc_json_node(const struct doc_node *node, struct buf *out, struct err *err)
{
	char num[DOC_FLOAT_TEXT_MAX + 8];
	const struct doc_node *k;
	size_t i;
	int rc;

	switch (node->type) {
	case DOC_NULL:
		return buf_addstr(out, "null");
	case DOC_BOOL:
		return buf_addstr(out, node->b ? "true" : "false");
	case DOC_INT:
		return buf_addf(out, "%lld", node->i);
	case DOC_FLOAT:
		if (!isfinite(node->f)) {
			err_set(err, ERR_FAIL, "cannot write JSON: %s is not a finite number",
			        doc_float_text(node->f, num));
			return -2;
		}
		return buf_addstr(out, doc_float_text(node->f, num));
	case DOC_STR:
		return doc_json_str(out, node->text ? node->text : "", node->text ? node->len : 0);
	case DOC_SEQ:
		if (buf_addch(out, '[') < 0)
			return -1;
		for (i = 0; i < node->n; i++) {
			if (i && buf_addch(out, ',') < 0)
				return -1;
			rc = doc_json_node(node->items[i], out, err);
			if (rc < 0)
				return rc;
		}
		return buf_addch(out, ']');
	case DOC_MAP:
		if (buf_addch(out, '{') < 0)
			return -1;
		for (i = 0; i < node->n; i++) {
			k = node->pairs[i].key;
			if (i && buf_addch(out, ',') < 0)
				return -1;
			if (k->type == DOC_SEQ || k->type == DOC_MAP) {
				err_set(err, ERR_FAIL,
				        "cannot write JSON: a mapping key is %s, not a scalar",
				        doc_type_name(k->type));
				return -2;
			}
			/* A key that is not a string is written as its text. */
			if (doc_json_str(out, k->text ? k->text : "", k->text ? k->len : 0) < 0 ||
			    buf_addch(out, ':') < 0)
				return -1;
			rc = doc_json_node(node->pairs[i].value, out, err);
			if (rc < 0)
				return rc;
		}
		return buf_addch(out, '}');
	}
	return 0;
}

int doc_emit_json(const struct doc_node *root, struct buf *out, struct err *err)
{
	size_t start = out->len;
	int rc;

	rc = doc_json_node(root, out, err);
	if (rc == 0)
		return 0;
	if (rc == -1)
		err_set(err, ERR_FAIL, "JSON output is larger than %zu bytes", out->limit);
	if (out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return -1;
}
