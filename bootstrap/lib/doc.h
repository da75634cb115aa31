/*
 * doc: the document tree every structured input becomes (stack file,
 * templates, Kubernetes and Docker API bodies), and the YAML and JSON
 * readers and writers for it.
 *
 * YAML goes through libyaml (doc.c, the only yaml.h user); JSON through
 * json-c (doc_json.c, the only json-c user), because libyaml rejects
 * surrogate-pair escapes and keys over 1024 characters, which valid JSON
 * may carry. Both produce the same tree.
 *
 * Scalars are typed by the YAML 1.2 core schema, and only plain scalars
 * are resolved: `5050` is DOC_INT, `"5050"` is DOC_STR. Every node keeps
 * where it starts (line and column, 1-based) and its style, so errors can
 * point at the text and so a quoted string stays a string.
 */
#ifndef FTBOOT_DOC_H
#define FTBOOT_DOC_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum doc_type { DOC_NULL, DOC_BOOL, DOC_INT, DOC_FLOAT, DOC_STR, DOC_SEQ, DOC_MAP };

enum doc_style {
	DOC_STYLE_NONE,    /* built in code or read from JSON */
	DOC_STYLE_PLAIN,   /* scalar: plain */
	DOC_STYLE_SINGLE,  /* scalar: 'single quoted' */
	DOC_STYLE_DOUBLE,  /* scalar: "double quoted" (and every JSON string) */
	DOC_STYLE_LITERAL, /* scalar: | block */
	DOC_STYLE_FOLDED,  /* scalar: > block */
	DOC_STYLE_BLOCK,   /* collection in block style */
	DOC_STYLE_FLOW,    /* collection in flow style: [a, b] {a: b} */
};

/*
 * A place in the source text: 1-based line and column in characters (a
 * byte-order mark is none; CR LF, CR, LF, NEL, LS and PS end a line), and
 * the 0-based byte offset into the text (the text's length when unknown:
 * a UTF-16 text).
 */
struct doc_mark {
	unsigned line; /* 0: unknown (built in code, or JSON) */
	unsigned col;
	size_t offset;
};

struct doc_pair {
	struct doc_node *key; /* a scalar */
	struct doc_node *value;
};

struct doc_node {
	enum doc_type type;
	enum doc_style style;
	struct doc_mark mark;
	/*
	 * Scalars: text is the value as characters, NUL-terminated, len bytes
	 * (a string may hold NUL bytes from JSON "\u0000"). For DOC_STR it is
	 * the decoded string; for the others the text as written ("0x1F",
	 * "true", "~"), or a canonical form when built in code.
	 */
	char *text;
	size_t len;
	long long i; /* DOC_INT */
	double f;    /* DOC_FLOAT */
	int b;       /* DOC_BOOL */
	/* DOC_SEQ: items[0..n); DOC_MAP: pairs[0..n), in source order. */
	size_t n, cap;
	struct doc_node **items;
	struct doc_pair *pairs;
};

/* A stream of documents (YAML "---"). */
struct doc_list {
	struct doc_node **docs;
	size_t n;
};

/* Limits every parse enforces: nesting and nodes (aliases included). */
#define DOC_MAX_DEPTH 200
#define DOC_MAX_NODES 2000000

/*
 * Parse every YAML document in text[0..len). name is used in errors:
 * "NAME:LINE:COL: what is wrong". An empty document gives a DOC_NULL
 * root. Duplicate keys, non-scalar keys, unknown tags, integers out of
 * range, too deep nesting or too many nodes are errors. Aliases are
 * expanded (counted against DOC_MAX_NODES). out must be empty; on
 * failure it stays empty.
 */
int doc_parse_yaml(const char *name, const char *text, size_t len, struct doc_list *out,
                   struct err *err);

/*
 * Parse one JSON value (RFC 8259) from text[0..len); trailing
 * non-whitespace is an error. Errors are "NAME:LINE:COL: what". Nodes
 * carry no marks. *out belongs to the caller.
 */
int doc_parse_json(const char *name, const char *text, size_t len, struct doc_node **out,
                   struct err *err);

/*
 * Append root as one YAML document to out, without a "---" line: block
 * style, two-space indent, no line folding. A string is written plain
 * only when every YAML reader (1.1 and 1.2) would read it back as the
 * same string; otherwise it is quoted ("yes", "0x10", "1:30", "" ...).
 * A number is written in a form both read as the same number, not as it
 * was spelled: integers in decimal ("010" -> 10, "0o17" -> 15), floats
 * as doc_float_text writes them ("1e3" -> 1000.0). Returns -1 when out's
 * limit is passed.
 */
int doc_emit_yaml(const struct doc_node *root, struct buf *out, struct err *err);

/*
 * Append root to out as compact JSON (UTF-8 kept, control characters
 * escaped). A float that is not finite is an error.
 */
int doc_emit_json(const struct doc_node *root, struct buf *out, struct err *err);

/* Constructors: style DOC_STYLE_NONE, no mark. Never NULL. */
struct doc_node *doc_new(enum doc_type type);
struct doc_node *doc_new_str(const char *s);
struct doc_node *doc_new_strn(const char *s, size_t len);
struct doc_node *doc_new_int(long long i);
struct doc_node *doc_new_bool(int b);

/* Append item to a sequence; the sequence takes it. */
void doc_seq_push(struct doc_node *seq, struct doc_node *item);

/*
 * Set key to value in a map (replacing and freeing an existing value, in
 * place, or appending a new pair); the map takes value.
 */
void doc_map_set(struct doc_node *map, const char *key, struct doc_node *value);

/*
 * Append the pair key: value to a map without looking for key first (the
 * caller knows it is new, as a reader does after checking duplicates);
 * the map takes key and value. key must be a scalar.
 */
void doc_map_add(struct doc_node *map, struct doc_node *key, struct doc_node *value);

/* The value of key in map, or NULL (also when map is not a map). Borrowed. */
struct doc_node *doc_map_get(const struct doc_node *map, const char *key);

/* The pair of key in map, or NULL. Borrowed. */
struct doc_pair *doc_map_pair(const struct doc_node *map, const char *key);

/* Deep copy (marks and styles kept). */
struct doc_node *doc_clone(const struct doc_node *node);

/* 1 if a and b hold the same data (types, values, key order), else 0. */
int doc_equal(const struct doc_node *a, const struct doc_node *b);

/* "a string", "an integer", "a mapping" ... for messages. */
const char *doc_type_name(enum doc_type type);

/* Free a tree; NULL is fine. */
void doc_free(struct doc_node *node);

/* Free every document of a list and empty it. */
void doc_list_release(struct doc_list *list);

/*
 * Notes on the readers (added with the implementation):
 *
 * doc_parse_yaml: a text with no document at all (empty, or only
 * comments) gives out->n == 0; "---" with nothing after it gives one
 * DOC_NULL root. An anchor may be defined again; an alias refers to the
 * latest definition before it. An alias's copy carries the alias's mark
 * (its insides keep the marks of the anchored text). An alias inside the
 * node it names is an error (no recursive trees).
 *
 * doc_parse_json: strict RFC 8259: NaN, Infinity, "1.", "+1", unescaped
 * control characters in strings and a number too large for a double are
 * errors; so is an integer outside long long (no silent rounding or
 * clamping: json-c clamps such numbers, so they are caught in the text).
 * A duplicate key in an object is an error, like in YAML; so is a key
 * holding "\u0000" (json-c cuts keys at a NUL). A lone surrogate escape
 * becomes U+FFFD (json-c's choice). A NUL byte in the text is an error
 * that says so; a byte-order mark at the start is skipped (RFC 8259).
 *
 * Map lookups (doc_map_get, doc_map_pair, doc_map_set) match string keys
 * only: the key 1 is an integer, "1" a string.
 */

/* Longest text doc_float_text writes, NUL included. */
#define DOC_FLOAT_TEXT_MAX 32

/*
 * Write into out the shortest decimal text that reads back as f, always
 * with a '.', and an exponent with its sign when there is one ("3.0",
 * "0.1", "1.0e+20", "1.5e-07"): the form YAML 1.1 and 1.2 readers and
 * JSON all read as this float. NaN and the infinities as YAML writes them
 * (".nan", ".inf", "-.inf"). Returns out.
 */
char *doc_float_text(double f, char out[DOC_FLOAT_TEXT_MAX]);

/* Library versions, for `ftboot --version`. Static strings. */
const char *doc_yaml_version(void);
const char *doc_json_version(void);

#endif
