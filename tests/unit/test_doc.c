/*
 * test_doc: the document tree, its YAML reader and writer (libyaml) and
 * its JSON reader and writer (json-c): scalar typing, marks, styles,
 * every error message, the limits, and round trips.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc.h"
#include "tap.h"
#include "xmem.h"

/* Parse text as YAML expecting one document; NULL (and a diag) if not. */
static struct doc_node *yaml1(const char *text)
{
	struct doc_list list = {NULL, 0};
	struct doc_node *root;
	struct err err;

	if (doc_parse_yaml("t.yaml", text, strlen(text), &list, &err) < 0) {
		diag("unexpected error: %s", err.msg);
		return NULL;
	}
	if (list.n != 1) {
		diag("%zu documents, want 1", list.n);
		doc_list_release(&list);
		return NULL;
	}
	root = list.docs[0];
	free(list.docs);
	return root;
}

/* Parse text as YAML expecting an error; check its message exactly. */
static void yaml_fails(const char *name, const char *text, size_t len, const char *want)
{
	struct doc_list list = {NULL, 0};
	struct err err;
	int rc;

	err.msg[0] = '\0';
	rc = doc_parse_yaml(name, text, len, &list, &err);
	is_int(rc, -1, "yaml error (%s)", name);
	is_str(err.msg, want, "yaml error message (%s)", name);
	ok(list.n == 0 && list.docs == NULL, "yaml error leaves the list empty");
	doc_list_release(&list);
}

static void json_fails(const char *text, size_t len, const char *want)
{
	struct doc_node *node = (struct doc_node *)1;
	struct err err;
	int rc;

	err.msg[0] = '\0';
	rc = doc_parse_json("t.json", text, len, &node, &err);
	is_int(rc, -1, "json error");
	is_str(err.msg, want, "json error message");
	ok(node == NULL, "json error leaves *out NULL");
}

static struct doc_node *json1(const char *text, size_t len)
{
	struct doc_node *node = NULL;
	struct err err;

	if (doc_parse_json("t.json", text, len, &node, &err) < 0) {
		diag("unexpected error: %s", err.msg);
		return NULL;
	}
	return node;
}

/* Emit node as YAML into a fresh string (caller frees), NULL on error. */
static char *emit_yaml(const struct doc_node *node)
{
	struct buf b = BUF_INIT(1 << 26);
	struct err err;

	if (doc_emit_yaml(node, &b, &err) < 0) {
		diag("emit error: %s", err.msg);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static char *emit_json(const struct doc_node *node)
{
	struct buf b = BUF_INIT(1 << 26);
	struct err err;

	if (doc_emit_json(node, &b, &err) < 0) {
		diag("emit error: %s", err.msg);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Emit as YAML, parse back, compare; returns the text (caller frees). */
static char *yaml_round_trip(const struct doc_node *node, const char *what)
{
	char *text = emit_yaml(node);
	char *again;
	struct doc_node *back;

	if (text == NULL) {
		ok(0, "round trip (emit): %s", what);
		return NULL;
	}
	back = yaml1(text);
	if (!ok(back && doc_equal(node, back), "yaml round trip: %s", what))
		diag("emitted:\n%s", text);
	again = back ? emit_yaml(back) : NULL;
	ok(again && strcmp(again, text) == 0, "yaml emit is stable: %s", what);
	free(again);
	doc_free(back);
	return text;
}

static void json_round_trip(const struct doc_node *node, const char *what)
{
	char *text = emit_json(node);
	struct doc_node *back = text ? json1(text, strlen(text)) : NULL;

	if (!ok(back && doc_equal(node, back), "json round trip: %s", what))
		diag("emitted: %s", text ? text : "(null)");
	doc_free(back);
	free(text);
}

/* ---- scalars ----------------------------------------------------------- */

static void test_scalar_types(void)
{
	static const struct {
		const char *text;
		enum doc_type type;
		long long i;
		double f;
		int b;
	} cases[] = {
	    {"5050", DOC_INT, 5050, 0, 0},
	    {"\"5050\"", DOC_STR, 0, 0, 0},
	    {"'5050'", DOC_STR, 0, 0, 0},
	    {"-12", DOC_INT, -12, 0, 0},
	    {"+12", DOC_INT, 12, 0, 0},
	    {"0777", DOC_INT, 777, 0, 0},
	    {"0o17", DOC_INT, 15, 0, 0},
	    {"0x1F", DOC_INT, 31, 0, 0},
	    {"0x1f", DOC_INT, 31, 0, 0},
	    {"9223372036854775807", DOC_INT, 9223372036854775807LL, 0, 0},
	    {"-9223372036854775808", DOC_INT, -9223372036854775807LL - 1, 0, 0},
	    {"000000000000000000000000000000000000000000000000000000000000000000000000000000000004"
	     "2",
	     DOC_INT, 42, 0, 0},
	    {"1e3", DOC_FLOAT, 0, 1000, 0},
	    {"1.5", DOC_FLOAT, 0, 1.5, 0},
	    {"-.5", DOC_FLOAT, 0, -0.5, 0},
	    {"5.", DOC_FLOAT, 0, 5, 0},
	    {"2.5E-2", DOC_FLOAT, 0, 0.025, 0},
	    {".inf", DOC_FLOAT, 0, HUGE_VAL, 0},
	    {"-.Inf", DOC_FLOAT, 0, -HUGE_VAL, 0},
	    {"+.INF", DOC_FLOAT, 0, HUGE_VAL, 0},
	    {"1e999", DOC_FLOAT, 0, HUGE_VAL, 0},
	    {"true", DOC_BOOL, 0, 0, 1},
	    {"True", DOC_BOOL, 0, 0, 1},
	    {"FALSE", DOC_BOOL, 0, 0, 0},
	    {"~", DOC_NULL, 0, 0, 0},
	    {"null", DOC_NULL, 0, 0, 0},
	    {"Null", DOC_NULL, 0, 0, 0},
	    {"NULL", DOC_NULL, 0, 0, 0},
	    {"yes", DOC_STR, 0, 0, 0},
	    {"no", DOC_STR, 0, 0, 0},
	    {"on", DOC_STR, 0, 0, 0},
	    {"'yes'", DOC_STR, 0, 0, 0},
	    {"tRUE", DOC_STR, 0, 0, 0},
	    {"nULL", DOC_STR, 0, 0, 0},
	    {"1_000", DOC_STR, 0, 0, 0},
	    {"0b101", DOC_STR, 0, 0, 0},
	    {"1:30", DOC_STR, 0, 0, 0},
	    {"0x", DOC_STR, 0, 0, 0},
	    {"0o8", DOC_STR, 0, 0, 0},
	    {"-0x10", DOC_STR, 0, 0, 0},
	    {"1.2.3", DOC_STR, 0, 0, 0},
	    {".", DOC_STR, 0, 0, 0},
	    {"e3", DOC_STR, 0, 0, 0},
	    {"1e", DOC_STR, 0, 0, 0},
	    {"inf", DOC_STR, 0, 0, 0},
	    {"nan", DOC_STR, 0, 0, 0},
	    {"-.nan", DOC_STR, 0, 0, 0},
	    {"|\n  5050\n", DOC_STR, 0, 0, 0},
	    {"!!str 5050", DOC_STR, 0, 0, 0},
	    {"! 5050", DOC_STR, 0, 0, 0},
	    {"!!int \"12\"", DOC_INT, 12, 0, 0},
	    {"!!int '0x10'", DOC_INT, 16, 0, 0},
	    {"!!float 1", DOC_FLOAT, 0, 1, 0},
	    {"!!float '2.5'", DOC_FLOAT, 0, 2.5, 0},
	    {"!!bool 'false'", DOC_BOOL, 0, 0, 0},
	    {"!!null ''", DOC_NULL, 0, 0, 0},
	    {"!<tag:yaml.org,2002:int> 7", DOC_INT, 7, 0, 0},
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct doc_node *n = yaml1(cases[k].text);

		if (!ok(n != NULL, "parses: %s", cases[k].text))
			continue;
		if (!ok(n->type == cases[k].type, "%s is %s", cases[k].text,
		        doc_type_name(cases[k].type)))
			diag("got %s", doc_type_name(n->type));
		else if (n->type == DOC_INT)
			ok(n->i == cases[k].i, "%s has value %lld", cases[k].text, cases[k].i);
		else if (n->type == DOC_FLOAT)
			ok(n->f == cases[k].f, "%s has value %g", cases[k].text, cases[k].f);
		else if (n->type == DOC_BOOL)
			ok(n->b == cases[k].b, "%s has value %d", cases[k].text, cases[k].b);
		doc_free(n);
	}

	/* Texts are kept as written. */
	{
		struct doc_node *n = yaml1("[0x1F, \"5050\", ~, .NaN, 'it''s', \"a\\tb\"]");

		ok(n && n->n == 6, "sequence of six");
		if (n && n->n == 6) {
			is_str(n->items[0]->text, "0x1F", "int text as written");
			is_str(n->items[1]->text, "5050", "quoted text decoded");
			is_str(n->items[2]->text, "~", "null text as written");
			ok(n->items[3]->type == DOC_FLOAT && isnan(n->items[3]->f), ".NaN is NaN");
			is_str(n->items[4]->text, "it's", "single quotes decoded");
			is_str(n->items[5]->text, "a\tb", "escapes decoded");
		}
		doc_free(n);
	}
	/* "\0" in double quotes is a NUL byte inside the string. */
	{
		struct doc_node *n = yaml1("\"a\\0b\"");

		ok(n && n->len == 3 && memcmp(n->text, "a\0b", 4) == 0, "NUL inside a YAML string");
		doc_free(n);
	}
	/* Empty value and empty plain are null. */
	{
		struct doc_node *n = yaml1("a:\nb: ''\n");

		ok(n && n->n == 2 && n->pairs[0].value->type == DOC_NULL, "empty value is null");
		ok(n && n->n == 2 && n->pairs[1].value->type == DOC_STR, "'' is a string");
		doc_free(n);
	}
}

static void test_marks_styles(void)
{
	const char *text = "top:\n"
	                   "  list:\n"
	                   "    - one\n"
	                   "    - {k: 'v', n: 2}\n"
	                   "  lit: |\n"
	                   "    x\n"
	                   "  fold: >\n"
	                   "    y\n"
	                   "  dq: \"z\"\n"
	                   "  flow: [a]\n";
	struct doc_node *root = yaml1(text);
	struct doc_node *top, *list, *m;

	if (!ok(root != NULL, "nested document parses"))
		return;
	is_int(root->mark.line, 1, "root line");
	is_int(root->mark.col, 1, "root col");
	ok(root->style == DOC_STYLE_BLOCK, "root is block");
	top = doc_map_get(root, "top");
	ok(top && top->type == DOC_MAP, "top is a mapping");
	list = doc_map_get(top, "list");
	ok(list && list->type == DOC_SEQ && list->n == 2, "list has two items");
	if (list && list->n == 2) {
		is_int(list->mark.line, 3, "list starts line 3");
		is_int(list->mark.col, 5, "list starts col 5");
		is_int(list->items[0]->mark.line, 3, "item one line");
		is_int(list->items[0]->mark.col, 7, "item one col");
		ok(list->items[0]->style == DOC_STYLE_PLAIN, "item one plain");
		m = list->items[1];
		is_int(m->mark.line, 4, "flow map line");
		is_int(m->mark.col, 7, "flow map col");
		ok(m->style == DOC_STYLE_FLOW, "flow map style");
		ok(m->n == 2, "flow map pairs");
		if (m->n == 2) {
			is_int(m->pairs[0].key->mark.col, 8, "key k col");
			is_int(m->pairs[0].value->mark.col, 11, "value 'v' col");
			ok(m->pairs[0].value->style == DOC_STYLE_SINGLE, "'v' single");
			is_int(m->pairs[1].value->mark.col, 19, "value 2 col");
			ok(m->pairs[1].value->type == DOC_INT, "value 2 int");
		}
		is_int(list->items[0]->mark.offset, 19, "offset of item one");
	}
	m = doc_map_get(top, "lit");
	ok(m && m->style == DOC_STYLE_LITERAL && strcmp(m->text, "x\n") == 0, "literal");
	m = doc_map_get(top, "fold");
	ok(m && m->style == DOC_STYLE_FOLDED && strcmp(m->text, "y\n") == 0, "folded");
	m = doc_map_get(top, "dq");
	ok(m && m->style == DOC_STYLE_DOUBLE, "double quoted");
	is_int(m ? m->mark.line : 0, 9, "dq line");
	m = doc_map_get(top, "flow");
	ok(m && m->style == DOC_STYLE_FLOW, "flow sequence");
	doc_free(root);
}

/* Marks count characters (not bytes, not the byte-order mark); offsets are bytes. */
static void test_marks_text(void)
{
	struct doc_node *root, *m;

	root = yaml1("\xef\xbb\xbf\xc3\xa9: \xe2\x82\xac\r\nb: x\rc: y\n");
	ok(root && root->type == DOC_MAP && root->n == 3, "BOM, UTF-8, CR LF and CR parse");
	m = doc_map_get(root, "\xc3\xa9");
	is_int(m ? m->mark.col : 0, 4, "a two-byte key is one column");
	is_int(m ? m->mark.offset : 0, 7, "offset in bytes, the byte-order mark included");
	m = doc_map_get(root, "b");
	is_int(m ? m->mark.line : 0, 2, "after CR LF, line 2");
	is_int(m ? m->mark.offset : 0, 15, "offset in bytes after a three-byte character");
	m = doc_map_get(root, "c");
	is_int(m ? m->mark.line : 0, 3, "after a lone CR, line 3");
	is_int(m ? m->mark.col : 0, 4, "column 4");
	is_int(m ? m->mark.offset : 0, 20, "offset 20");
	doc_free(root);
	yaml_fails("tab.yaml", "a: \xc3\xa9\xc3\xa9\n\tb: c\n", 14,
	           "tab.yaml:2:1: found a tab character that violates indentation: a tab; "
	           "YAML indents with spaces, not tabs");
	yaml_fails("tab.yaml",
	           "\xef\xbb\xbf"
	           "a: b\n\tb: c\n",
	           14,
	           "tab.yaml:2:1: found a tab character that violates indentation: a tab; "
	           "YAML indents with spaces, not tabs");
	yaml_fails("cr.yaml",
	           "\xef\xbb\xbf"
	           "a: b\r\xc3\xa9\xff\n",
	           12, "cr.yaml:2:2: invalid leading UTF-8 octet (#xFF)");
}

static void test_documents(void)
{
	struct doc_list list = {NULL, 0};
	struct err err;
	const char *text = "a: 1\n---\n- x\n---\n--- |\n  lit\n...\n";

	is_int(doc_parse_yaml("m.yaml", text, strlen(text), &list, &err), 0, "multi-doc parses");
	is_int(list.n, 4, "four documents");
	if (list.n == 4) {
		ok(list.docs[0]->type == DOC_MAP, "doc 1 is a mapping");
		ok(list.docs[1]->type == DOC_SEQ, "doc 2 is a sequence");
		ok(list.docs[2]->type == DOC_NULL, "doc 3 (empty) is null");
		ok(list.docs[3]->type == DOC_STR && strcmp(list.docs[3]->text, "lit\n") == 0,
		   "doc 4 is a literal");
	}
	doc_list_release(&list);
	ok(list.n == 0 && list.docs == NULL, "released list is empty");

	is_int(doc_parse_yaml("e.yaml", "", 0, &list, &err), 0, "empty text parses");
	is_int(list.n, 0, "empty text has no documents");
	doc_list_release(&list);
	is_int(doc_parse_yaml("e.yaml", "# only a comment\n", 17, &list, &err), 0,
	       "comment-only text parses");
	is_int(list.n, 0, "comment-only text has no documents");
	doc_list_release(&list);
	is_int(doc_parse_yaml("e.yaml", "---\n", 4, &list, &err), 0, "lone --- parses");
	ok(list.n == 1 && list.docs[0]->type == DOC_NULL, "lone --- is one null document");
	doc_list_release(&list);

	/* Anchors do not cross documents. */
	text = "a: &x 1\n---\nb: *x\n";
	yaml_fails("m.yaml", text, strlen(text), "m.yaml:3:4: found undefined alias 'x'");
	/* The length is honoured: the text need not end in a NUL. */
	is_int(doc_parse_yaml("n.yaml", "a: 1garbage", 4, &list, &err), 0, "length honoured");
	ok(list.n == 1 && doc_map_get(list.docs[0], "a") && doc_map_get(list.docs[0], "a")->i == 1,
	   "only len bytes read");
	doc_list_release(&list);
}

/* ---- errors ------------------------------------------------------------ */

static void test_yaml_errors(void)
{
	char *big;
	size_t i;

	yaml_fails("stack.yaml", "name: x\nvms:\n  a: b: c\n", 22,
	           "stack.yaml:3:7: mapping values are not allowed in this context");
	yaml_fails(
	    "s.yaml", "key: value\nfoo\nbar: baz\n", 23,
	    "s.yaml:3:1: could not find expected ':' (while scanning a simple key at line 2, "
	    "column 1)");
	yaml_fails("s.yaml", "a:\n  - b\n  c: d\n", 15,
	           "s.yaml:3:3: did not find expected '-' indicator (while parsing a block "
	           "collection at line 2, column 3)");
	yaml_fails("s.yaml", "\"open", 5,
	           "s.yaml:1:6: found unexpected end of stream (while scanning a quoted scalar at "
	           "line 1, column 1)");
	yaml_fails("s.yaml", "a: 1\nb: 2\na: 3\n", 15,
	           "s.yaml:3:1: duplicate key 'a' (first at line 1, column 1)");
	yaml_fails("s.yaml", "x:\n  - {p: 1, q: 2, p: 3}\n", 26,
	           "s.yaml:2:18: duplicate key 'p' (first at line 2, column 6)");
	/* Keys are compared by value: 0x10 and 16 are the same integer. */
	yaml_fails("s.yaml", "16: a\n0x10: b\n", 14,
	           "s.yaml:2:1: duplicate key '0x10' (first at line 1, column 1)");
	yaml_fails("s.yaml", "&k a: 1\n*k : 2\n", 15,
	           "s.yaml:2:1: duplicate key 'a' (first at line 1, column 1)");
	yaml_fails("s.yaml", "[a, b]: 1\n", 10, "s.yaml:1:1: only scalar keys are supported");
	yaml_fails("s.yaml", "? {a: 1}\n: 2\n", 13, "s.yaml:1:3: only scalar keys are supported");
	yaml_fails("s.yaml", "a: &m [1]\n*m : 2\n", 16,
	           "s.yaml:2:1: only scalar keys are supported");
	yaml_fails("s.yaml", "a: !foo x\n", 10, "s.yaml:1:4: unsupported tag '!foo'");
	yaml_fails("s.yaml", "a: !!set {x}\n", 13, "s.yaml:1:4: unsupported tag '!!set'");
	yaml_fails("s.yaml", "a: !!binary aGk=\n", 17, "s.yaml:1:4: unsupported tag '!!binary'");
	yaml_fails("s.yaml", "a: !!int \"12a\"\n", 15,
	           "s.yaml:1:4: '12a' is not an integer (tag '!!int')");
	yaml_fails("s.yaml", "a: !!bool yes\n", 14,
	           "s.yaml:1:4: 'yes' is not a boolean (tag '!!bool')");
	yaml_fails("s.yaml", "a: !!float x\n", 13,
	           "s.yaml:1:4: 'x' is not a number (tag '!!float')");
	yaml_fails("s.yaml", "a: !!null x\n", 12, "s.yaml:1:4: 'x' is not null (tag '!!null')");
	yaml_fails("s.yaml", "a: !!map [1]\n", 13,
	           "s.yaml:1:4: tag '!!map' cannot apply to a sequence");
	yaml_fails("s.yaml", "a: !!seq x\n", 11,
	           "s.yaml:1:4: tag '!!seq' cannot apply to a scalar");
	{
		/* Integers past 64 bits, as written, and the range they left. */
		static const char *const huge[] = {"9223372036854775808", "-9223372036854775809",
		                                   "0x10000000000000000",
		                                   "!!int '0o2000000000000000000000'"};
		size_t k;

		for (k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
			char *text = xasprintf("a: %s\n", huge[k]);
			const char *digits =
			    strrchr(huge[k], '\'') ? strchr(huge[k], '\'') + 1 : huge[k];
			char *want = xasprintf("s.yaml:1:4: integer %.*s is out of range "
			                       "(-9223372036854775808 to 9223372036854775807)",
			                       (int)strcspn(digits, "'"), digits);

			yaml_fails("s.yaml", text, strlen(text), want);
			free(text);
			free(want);
		}
	}
	yaml_fails("s.yaml", "a: *nope\n", 9, "s.yaml:1:4: found undefined alias 'nope'");
	yaml_fails("s.yaml", "a: &r [1, *r]\n", 14,
	           "s.yaml:1:11: alias 'r' refers to a node that contains it (recursive structures "
	           "are not supported)");
	yaml_fails("s.yaml", "a: \xff\n", 5, "s.yaml:1:4: invalid leading UTF-8 octet (#xFF)");
	yaml_fails("s.yaml", "a:\n  b: x\x01\n", 11,
	           "s.yaml:2:7: control characters are not allowed (#x1)");
	yaml_fails("s.yaml", "a: 1\0b: 2", 9,
	           "s.yaml:1:5: control characters are not allowed (#x0)");

	/* Long keys in messages are cut. */
	big = xmalloc(500);
	memset(big, 'k', 200);
	memcpy(big + 200, ": 1\n", 4);
	memcpy(big + 204, big, 204);
	yaml_fails("s.yaml", big, 408,
	           "s.yaml:2:1: duplicate key "
	           "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' (first at "
	           "line 1, column 1)");
	free(big);

	/* Depth: 200 levels are fine, 201 are not. */
	big = xmalloc(20001);
	memset(big, '[', 200);
	memset(big + 200, ']', 200);
	{
		struct doc_list list = {NULL, 0};
		struct err err;

		is_int(doc_parse_yaml("d.yaml", big, 400, &list, &err), 0, "200 levels parse");
		doc_list_release(&list);
	}
	memset(big, '[', 201);
	memset(big + 201, ']', 201);
	yaml_fails("d.yaml", big, 402, "d.yaml:1:201: nesting deeper than 200 levels");
	memset(big, '[', 10000);
	memset(big + 10000, ']', 10000);
	yaml_fails("d.yaml", big, 20000, "d.yaml:1:201: nesting deeper than 200 levels");
	/* Block style counts the same. */
	{
		struct buf b = BUF_INIT(1 << 20);

		for (i = 0; i < 201; i++)
			buf_addf(&b, "%*s- \n", (int)i * 2, "");
		yaml_fails("d.yaml", b.data, b.len,
		           "d.yaml:201:401: nesting deeper than 200 levels");
		buf_release(&b);
	}
	/* An alias of a deep node is as deep as what it copies. */
	memset(big, 0, 20001);
	{
		struct buf b = BUF_INIT(1 << 20);

		buf_addstr(&b, "a: &d ");
		for (i = 0; i < 150; i++)
			buf_addch(&b, '[');
		for (i = 0; i < 150; i++)
			buf_addch(&b, ']');
		/* 1 (the root) + 50 + 150 levels */
		buf_addstr(&b, "\nb: ");
		for (i = 0; i < 50; i++)
			buf_addch(&b, '[');
		buf_addstr(&b, "*d");
		for (i = 0; i < 50; i++)
			buf_addch(&b, ']');
		buf_addch(&b, '\n');
		yaml_fails("d.yaml", b.data, b.len, "d.yaml:2:54: nesting deeper than 200 levels");
		buf_release(&b);
	}
	free(big);
}

static void test_aliases(void)
{
	const char *text = "base: &b {image: x, ports: [1, 2]}\n"
	                   "one: *b\n"
	                   "two: *b\n"
	                   "s: &s str\n"
	                   "t: *s\n"
	                   "re: &s other\n"
	                   "u: *s\n"
	                   "<<: *b\n";
	struct doc_node *root = yaml1(text), *b, *one;
	struct doc_list list = {NULL, 0};
	struct buf bomb = BUF_INIT(1 << 24);
	struct err err;
	clock_t t0;
	double secs;
	int rc, lvl, k;

	if (!ok(root != NULL, "aliases parse"))
		return;
	b = doc_map_get(root, "base");
	one = doc_map_get(root, "one");
	ok(b && one && doc_equal(b, one), "alias copies the anchored mapping");
	ok(one != b && one->pairs != b->pairs, "alias is a deep copy");
	ok(doc_equal(doc_map_get(root, "two"), b), "second alias too");
	is_int(one ? one->mark.line : 0, 2, "the copy carries the alias's line");
	is_int(one ? one->mark.col : 0, 6, "the copy carries the alias's column");
	is_int(one && one->n ? one->pairs[0].key->mark.line : 0, 1,
	       "the copy's insides keep their marks");
	is_str(doc_map_get(root, "t") ? doc_map_get(root, "t")->text : NULL, "str", "scalar alias");
	is_str(doc_map_get(root, "u") ? doc_map_get(root, "u")->text : NULL, "other",
	       "redefined anchor: the latest wins");
	ok(doc_map_get(root, "<<") && doc_map_get(root, "<<")->type == DOC_MAP,
	   "merge key is just a key");
	doc_free(root);

	/* Billion laughs: nine levels of nine aliases. */
	buf_addstr(&bomb, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (lvl = 1; lvl <= 9; lvl++) {
		buf_addf(&bomb, "a%d: &a%d [", lvl, lvl);
		for (k = 0; k < 9; k++)
			buf_addf(&bomb, "%s*a%d", k ? ", " : "", lvl - 1);
		buf_addstr(&bomb, "]\n");
	}
	t0 = clock();
	rc = doc_parse_yaml("lol.yaml", bomb.data, bomb.len, &list, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, -1, "billion laughs rejected");
	is_str(err.msg,
	       "lol.yaml:7:20: document too large (more than 2000000 nodes, aliases included)",
	       "billion laughs message");
	/* Natively well under a second; unbounded it would take minutes and gigabytes. */
	ok(secs < 30.0, "billion laughs rejected quickly (%.2f s)", secs);
	ok(list.n == 0, "nothing returned");
	buf_release(&bomb);

	/*
	 * Many distinct anchors and aliases, and a big map, stay fast: both
	 * are hashed (a linear search would be minutes here).
	 */
	for (k = 0; k < 100000; k++)
		buf_addf(&bomb, "k%d: &a%d v%d\n", k, k, k);
	for (k = 0; k < 100000; k++)
		buf_addf(&bomb, "r%d: *a%d\n", k, 99999 - k);
	t0 = clock();
	rc = doc_parse_yaml("many.yaml", bomb.data, bomb.len, &list, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, 0, "100000 anchors and aliases parse");
	ok(list.n == 1 && list.docs[0]->n == 200000, "all 200000 keys");
	ok(list.n == 1 && strcmp(doc_map_get(list.docs[0], "r0")->text, "v99999") == 0,
	   "alias resolved by name");
	ok(secs < 30.0, "many anchors parse quickly (%.2f s)", secs);
	doc_list_release(&list);
	buf_release(&bomb);

	/* A big map's duplicate check is hashed: 100000 keys, dup at the end. */
	for (k = 0; k < 100000; k++)
		buf_addf(&bomb, "key%d: %d\n", k, k);
	buf_addstr(&bomb, "key77777: again\n");
	t0 = clock();
	rc = doc_parse_yaml("big.yaml", bomb.data, bomb.len, &list, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, -1, "duplicate in a big map found");
	is_str(err.msg,
	       "big.yaml:100001:1: duplicate key 'key77777' (first at line 77778, column 1)",
	       "duplicate in a big map message");
	ok(secs < 30.0, "big map checked quickly (%.2f s)", secs);
	buf_release(&bomb);
}

static void test_node_limit(void)
{
	struct doc_list list = {NULL, 0};
	struct buf b = BUF_INIT(1 << 24);
	struct err err;
	size_t k;
	int rc;

	/* A flat sequence of 2000000 items plus the sequence itself: one too many. */
	buf_addch(&b, '[');
	for (k = 0; k < DOC_MAX_NODES; k++)
		buf_add(&b, k ? ",0" : "0", k ? 2 : 1);
	buf_addch(&b, ']');
	rc = doc_parse_yaml("n.yaml", b.data, b.len, &list, &err);
	is_int(rc, -1, "2000001 nodes rejected");
	is_str(err.msg,
	       "n.yaml:1:4000000: document too large (more than 2000000 nodes, aliases included)",
	       "node limit message");
	/* One fewer item fits. */
	b.len -= 3;
	buf_addch(&b, ']');
	rc = doc_parse_yaml("n.yaml", b.data, b.len, &list, &err);
	is_int(rc, 0, "2000000 nodes accepted");
	ok(list.n == 1 && list.docs[0]->n == DOC_MAX_NODES - 1, "all items there");
	doc_list_release(&list);
	buf_release(&b);
}

/* ---- the tree API -------------------------------------------------------- */

static void test_tree(void)
{
	struct doc_node *m = doc_new(DOC_MAP), *s = doc_new(DOC_SEQ), *c, *f;
	struct doc_node *n;

	doc_map_set(m, "name", doc_new_str("ft"));
	doc_map_set(m, "count", doc_new_int(3));
	doc_map_set(m, "on", doc_new_bool(1));
	doc_seq_push(s, doc_new_str("a"));
	doc_seq_push(s, doc_new(DOC_NULL));
	doc_map_set(m, "list", s);
	doc_map_set(m, "name", doc_new_str("ft2"));
	is_int(m->n, 4, "set replaces in place");
	is_str(doc_map_get(m, "name")->text, "ft2", "replaced value");
	is_str(m->pairs[0].key->text, "name", "replaced key keeps its place");
	ok(doc_map_get(m, "nope") == NULL, "missing key");
	ok(doc_map_get(s, "a") == NULL, "get on a sequence is NULL");
	ok(doc_map_get(NULL, "a") == NULL, "get on NULL is NULL");
	ok(doc_map_pair(m, "count") == &m->pairs[1], "pair");
	is_str(doc_map_get(m, "count")->text, "3", "int text");
	is_str(doc_map_get(m, "on")->text, "true", "bool text");
	n = doc_new(DOC_NULL);
	is_str(n->text, "null", "null text");
	doc_free(n);
	n = doc_new_strn("a\0b", 3);
	ok(n->len == 3 && memcmp(n->text, "a\0b", 4) == 0, "strn keeps NUL bytes");
	doc_free(n);

	c = doc_clone(m);
	ok(doc_equal(m, c), "clone is equal");
	ok(c != m && c->pairs[0].key != m->pairs[0].key, "clone is deep");
	doc_map_set(c, "count", doc_new_int(4));
	ok(!doc_equal(m, c), "changed clone differs");
	doc_free(c);
	c = doc_clone(m);
	c->pairs[0].value->style = DOC_STYLE_SINGLE;
	c->pairs[0].value->mark.line = 9;
	ok(doc_equal(m, c), "style and mark do not matter");
	{
		struct doc_pair tmp = c->pairs[0];

		c->pairs[0] = c->pairs[1];
		c->pairs[1] = tmp;
	}
	ok(!doc_equal(m, c), "key order matters");
	doc_free(c);

	f = doc_new(DOC_FLOAT);
	c = doc_new(DOC_FLOAT);
	f->f = NAN;
	c->f = NAN;
	ok(doc_equal(f, c), "NaN equals NaN");
	c->f = 0;
	f->f = -0.0;
	ok(doc_equal(f, c), "-0.0 equals 0.0");
	doc_free(f);
	doc_free(c);
	f = doc_new_int(1);
	c = doc_new_str("1");
	ok(!doc_equal(f, c), "1 is not \"1\"");
	doc_free(c);
	c = doc_new(DOC_FLOAT);
	c->f = 1;
	ok(!doc_equal(f, c), "1 is not 1.0");
	doc_free(c);
	doc_free(f);
	ok(doc_equal(NULL, NULL) && !doc_equal(m, NULL), "NULL compares");

	is_str(doc_type_name(DOC_STR), "a string", "type name str");
	is_str(doc_type_name(DOC_MAP), "a mapping", "type name map");
	is_str(doc_type_name(DOC_SEQ), "a sequence", "type name seq");
	is_str(doc_type_name(DOC_INT), "an integer", "type name int");
	is_str(doc_type_name(DOC_NULL), "null", "type name null");
	doc_free(m);
	doc_free(NULL);

	{
		char t[DOC_FLOAT_TEXT_MAX];

		is_str(doc_float_text(3, t), "3.0", "float text 3");
		is_str(doc_float_text(0.1, t), "0.1", "float text 0.1");
		is_str(doc_float_text(1e20, t), "1.0e+20", "float text 1e20: a '.' for YAML 1.1");
		is_str(doc_float_text(1.5e-7, t), "1.5e-07", "float text 1.5e-7");
		is_str(doc_float_text(-0.0, t), "-0.0", "float text -0");
		is_str(doc_float_text(HUGE_VAL, t), ".inf", "float text inf");
		is_str(doc_float_text(-HUGE_VAL, t), "-.inf", "float text -inf");
		is_str(doc_float_text(NAN, t), ".nan", "float text nan");
		is_str(doc_float_text(1.0 / 3, t), "0.3333333333333333", "float text 1/3");
		is_str(doc_float_text(0.1 + 0.2, t), "0.30000000000000004", "float text 0.1+0.2");
	}
	ok(strlen(doc_yaml_version()) > 0, "yaml version %s", doc_yaml_version());
	ok(strlen(doc_json_version()) > 0, "json-c version %s", doc_json_version());
}

/* ---- the YAML writer --------------------------------------------------- */

static void test_emit_yaml(void)
{
	struct doc_node *m = doc_new(DOC_MAP), *s = doc_new(DOC_SEQ), *f;
	struct buf b = BUF_INIT(16);
	struct err err;
	char *text;

	doc_map_set(m, "name", doc_new_str("ft"));
	doc_map_set(m, "count", doc_new_int(3));
	doc_map_set(m, "on", doc_new_bool(1));
	doc_map_set(m, "none", doc_new(DOC_NULL));
	f = doc_new(DOC_FLOAT);
	f->f = 2.5;
	doc_map_set(m, "ratio", f);
	f = doc_new(DOC_FLOAT);
	f->f = 2;
	doc_map_set(m, "two", f);
	doc_seq_push(s, doc_new_str("yes"));
	doc_seq_push(s, doc_new_str("multi\nline\n"));
	doc_seq_push(s, doc_new(DOC_SEQ));
	doc_seq_push(s, doc_new(DOC_MAP));
	doc_map_set(m, "list", s);
	doc_map_set(m, "0x10", doc_new_str(""));
	text = yaml_round_trip(m, "built document");
	is_str(text,
	       "name: ft\n"
	       "count: 3\n"
	       "\"on\": true\n"
	       "none: null\n"
	       "ratio: 2.5\n"
	       "two: 2.0\n"
	       "list:\n"
	       "- \"yes\"\n"
	       "- |\n"
	       "  multi\n"
	       "  line\n"
	       "- []\n"
	       "- {}\n"
	       "\"0x10\": \"\"\n",
	       "emitted text");
	free(text);

	/* A stale text does not lie: the value wins. */
	f = doc_map_get(m, "count");
	f->i = 42;
	text = emit_yaml(f);
	is_str(text, "42\n", "int written from its value when the text is stale");
	free(text);

	is_int(doc_emit_yaml(m, &b, &err), -1, "small buffer overflows");
	is_str(err.msg, "YAML output is larger than 16 bytes", "overflow message");
	is_int(b.len, 0, "buffer unchanged on error");
	buf_release(&b);
	doc_free(m);

	/* Texts as written survive; root scalars have no markers. */
	{
		static const char *const roots[][2] = {
		    {"0x1F", "31\n"},    {"~", "~\n"},         {"-.INF", "-.inf\n"},
		    {"1e3", "1000.0\n"}, {"plain", "plain\n"}, {"!!float 1", "1.0\n"},
		    {"'x'", "x\n"},      {"\"\"", "\"\"\n"},   {"|+\n  a\n\n", "|+\n  a\n\n"},
		    {"|-\n  a", "a\n"},
		};
		size_t k;

		for (k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
			struct doc_node *n = yaml1(roots[k][0]);

			text = n ? yaml_round_trip(n, roots[k][0]) : NULL;
			is_str(text, roots[k][1], "root %s emits as expected", roots[k][0]);
			free(text);
			doc_free(n);
		}
	}

	/* Invalid UTF-8 cannot be YAML. */
	{
		struct doc_node *n = doc_new_str("a\xff");
		struct buf o = BUF_INIT(1024);

		is_int(doc_emit_yaml(n, &o, &err), -1, "invalid UTF-8 refused");
		is_str(err.msg, "cannot write YAML: a string is not valid UTF-8",
		       "invalid UTF-8 message");
		buf_release(&o);
		doc_free(n);
	}
}

/* Every string: its YAML form, or NULL to only check the round trip. */
/*
 * Numbers are written so that YAML 1.1 readers (kubectl, PyYAML) and 1.2
 * readers read the same value: "010" is 8 to the first and 10 to the
 * second, "0o17" and "1e3" are strings to the first.
 */
static void test_emit_numbers(void)
{
	static const char *const cases[][2] = {
	    {"010", "10"},         {"0o17", "15"},
	    {"0x1F", "31"},        {"+5", "5"},
	    {"-0", "0"},           {"007", "7"},
	    {"1e3", "1000.0"},     {"1E3", "1000.0"},
	    {"+1e+3", "1000.0"},   {"6.02e23", "6.02e+23"},
	    {"1.5e-7", "1.5e-07"}, {"1e20", "1.0e+20"},
	    {".5", "0.5"},         {"5.", "5.0"},
	    {"2.50", "2.5"},       {"-.5E-2", "-0.005"},
	    {".NaN", ".nan"},      {"+.Inf", ".inf"},
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char *in = xasprintf("v: %s\n", cases[k][0]),
		     *want = xasprintf("v: %s\n", cases[k][1]);
		struct doc_node *n = yaml1(in), *back;
		char *text = n ? emit_yaml(n) : NULL;

		is_str(text, want, "%s is written %s", cases[k][0], cases[k][1]);
		back = text ? yaml1(text) : NULL;
		ok(back && doc_equal(n, back), "%s reads back as the same value", cases[k][0]);
		doc_free(back);
		doc_free(n);
		free(text);
		free(in);
		free(want);
	}
}

static void test_emit_strings(void)
{
	static const struct {
		const char *s;
		size_t len;
		const char *want;
	} cases[] = {
#define S(x) x, sizeof(x) - 1
	    {S("plain"), "plain\n"},
	    {S("two words"), "two words\n"},
	    {S(""), "\"\"\n"},
	    {S("yes"), "\"yes\"\n"},
	    {S("No"), "\"No\"\n"},
	    {S("ON"), "\"ON\"\n"},
	    {S("y"), "\"y\"\n"},
	    {S("n"), "\"n\"\n"},
	    {S("true"), "\"true\"\n"},
	    {S("null"), "\"null\"\n"},
	    {S("~"), "\"~\"\n"},
	    {S("0x10"), "\"0x10\"\n"},
	    {S("0o17"), "\"0o17\"\n"},
	    {S("0777"), "\"0777\"\n"},
	    {S("0b101"), "\"0b101\"\n"},
	    {S("1_000"), "\"1_000\"\n"},
	    {S("1:30"), "\"1:30\"\n"},
	    {S("-1:30:00"), "\"-1:30:00\"\n"},
	    {S("12"), "\"12\"\n"},
	    {S("1e3"), "\"1e3\"\n"},
	    {S(".5"), "\".5\"\n"},
	    {S("1.2.3"), "\"1.2.3\"\n"},
	    {S(".inf"), "\".inf\"\n"},
	    {S(".NaN"), "\".NaN\"\n"},
	    {S("="), "\"=\"\n"},
	    {S("<<"), "\"<<\"\n"},
	    {S("2001-12-14"), "\"2001-12-14\"\n"},
	    {S("99999999999999999999999"), "\"99999999999999999999999\"\n"},
	    {S(": #\"'\n"), "|\n  : #\"'\n"},
	    {S(": #\"'"), "\": #\\\"'\"\n"},
	    {S("a: b"), "\"a: b\"\n"},
	    {S("a:"), "\"a:\"\n"},
	    {S("a:b"), "a:b\n"},
	    {S("a #b"), "\"a #b\"\n"},
	    {S("a#b"), "a#b\n"},
	    {S("- a"), "\"- a\"\n"},
	    {S("-"), "\"-\"\n"},
	    {S("-a"), "-a\n"},
	    {S("--force"), "--force\n"},
	    {S("---"), "\"---\"\n"},
	    {S("..."), "\"...\"\n"},
	    {S("@x"), "\"@x\"\n"},
	    {S("%x"), "\"%x\"\n"},
	    {S("`x"), "\"`x\"\n"},
	    {S("!x"), "\"!x\"\n"},
	    {S("&x"), "\"&x\"\n"},
	    {S("*x"), "\"*x\"\n"},
	    {S("|x"), "\"|x\"\n"},
	    {S(">x"), "\">x\"\n"},
	    {S("?x"), "\"?x\"\n"},
	    {S("'x"), "\"'x\"\n"},
	    {S("\"x"), "\"\\\"x\"\n"},
	    {S("[x"), "\"[x\"\n"},
	    {S("{x"), "\"{x\"\n"},
	    {S("#x"), "\"#x\"\n"},
	    {S(",x"), "\",x\"\n"},
	    {S("x]"), "x]\n"},
	    {S("  leading"), "\"  leading\"\n"},
	    {S("trailing "), "\"trailing \"\n"},
	    {S("tab\there"), "\"tab\\there\"\n"},
	    {S("h\xc3\xa9llo"), "h\xc3\xa9llo\n"},
	    {S("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac\n"},
	    {S("\xf0\x9f\x98\x80"), NULL},
	    {S("\xef\xbb\xbf"
	       "bom"),
	     NULL},
	    {S("nul\0byte"), "\"nul\\0byte\"\n"},
	    {S("bell\x07"), "\"bell\\a\"\n"},
	    {S("cr\r\nlf"), "\"cr\\r\\nlf\"\n"},
	    {S("nel\xc2\x85x"), NULL},
	    {S("ls\xe2\x80\xa8x"), NULL},
	    {S("a\nb"), "|-\n  a\n  b\n"},
	    {S("a\nb\n"), "|\n  a\n  b\n"},
	    {S("a\nb\n\n"), "|+\n  a\n  b\n\n"},
	    {S("\n"), NULL},
	    {S("\n\n"), NULL},
	    {S("a\n"), NULL},
	    {S("  lead\nx"), "|2-\n    lead\n  x\n"},
	    {S("\nlead break"), NULL},
	    {S("trail \nx"), NULL},
	    {S("x\ntrail "), NULL},
	    {S("x\n  indented\n\tt\n"), NULL},
	    {S("tab\tin\nblock"), NULL},
	    {S("# not a comment\n- not a list\nkey: not a map\n"), NULL},
	    {S("...\n---\n"), NULL},
	    {S("emoji \xf0\x9f\x98\x80\nline"), NULL},
#undef S
	};
	size_t k;
	char what[128];

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct doc_node *n = doc_new_strn(cases[k].s, cases[k].len);
		struct doc_node *m = doc_new(DOC_MAP), *seq = doc_new(DOC_SEQ), *key, *inner;
		char *text;

		snprintf(what, sizeof(what), "string #%zu", k);
		text = yaml_round_trip(n, what);
		if (cases[k].want)
			is_str(text, cases[k].want, "%s is written as expected", what);
		free(text);
		/* The same string as a key, a value, and inside a sequence. */
		key = doc_new_strn(cases[k].s, cases[k].len);
		inner = doc_new(DOC_MAP);
		doc_map_set(inner, "k", doc_clone(n));
		doc_map_add(m, key, doc_clone(n));
		doc_map_set(m, "nested", inner);
		doc_seq_push(seq, doc_clone(n));
		doc_seq_push(seq, doc_new_str("after"));
		doc_map_set(m, "seq", seq);
		snprintf(what, sizeof(what), "string #%zu as key and value", k);
		text = yaml_round_trip(m, what);
		free(text);
		/* JSON keys cannot hold NUL (json-c cuts them there). */
		if (memchr(cases[k].s, '\0', cases[k].len) == NULL)
			json_round_trip(m, what);
		doc_free(m);
		doc_free(n);
	}
	/* A key longer than libyaml's simple keys (? form). */
	{
		struct doc_node *m = doc_new(DOC_MAP);
		char *key = xmalloc(2001), *text;

		memset(key, 'k', 2000);
		key[2000] = '\0';
		doc_map_set(m, key, doc_new_str("v"));
		text = yaml_round_trip(m, "2000-char key");
		free(text);
		free(key);
		doc_free(m);
	}
}

/*
 * Random strings from the characters that matter to YAML, as values and
 * as keys: each must come back the same (a fixed seed: reproducible).
 */
static void test_random_strings(void)
{
	static const char *const alphabet[] = {
	    " ",
	    "\n",
	    "\t",
	    ":",
	    "#",
	    "-",
	    "?",
	    "'",
	    "\"",
	    "\\",
	    "a",
	    "0",
	    "1",
	    ".",
	    "e",
	    "x",
	    "~",
	    "!",
	    "&",
	    "*",
	    "|",
	    ">",
	    "%",
	    "@",
	    "`",
	    ",",
	    "[",
	    "]",
	    "{",
	    "}",
	    "\r",
	    "y",
	    "n",
	    "_",
	    "+",
	    "=",
	    "<",
	    "\x7f",
	    "\xc3\xa9",
	    "\xf0\x9f\x98\x80",
	    "\xc2\x85",
	    "\xe2\x80\xa8",
	    "\xef\xbb\xbf",
	    "\xc2\xa0",
	    "---",
	    "...",
	    "0x",
	};
	size_t na = sizeof(alphabet) / sizeof(alphabet[0]);
	unsigned long long seed = 42;
	struct doc_node *seq = doc_new(DOC_SEQ), *map = doc_new(DOC_MAP), *back;
	char *text;
	int k, t, len, bad = 0;

	for (k = 0; k < 3000; k++) {
		struct buf s = BUF_INIT(1024);
		struct doc_node *one;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		len = (int)((seed >> 33) % 9);
		for (t = 0; t < len; t++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			buf_addstr(&s, alphabet[(seed >> 33) % na]);
		}
		one = doc_new_strn(buf_cstr(&s), s.len);
		text = emit_yaml(one);
		back = text ? yaml1(text) : NULL;
		if (!back || !doc_equal(one, back)) {
			if (bad++ < 5)
				diag("string %d does not come back: emitted '%s'", k,
				     text ? text : "");
		}
		doc_free(back);
		free(text);
		doc_seq_push(seq, one);
		if (doc_map_get(map, buf_cstr(&s)) == NULL && strlen(buf_cstr(&s)) == s.len)
			doc_map_set(map, buf_cstr(&s), doc_new_int(k));
		buf_release(&s);
	}
	is_int(bad, 0, "3000 random strings come back the same");
	text = yaml_round_trip(seq, "3000 random strings in a sequence");
	free(text);
	text = yaml_round_trip(map, "random strings as keys");
	free(text);
	json_round_trip(seq, "3000 random strings as JSON");
	doc_free(seq);
	doc_free(map);
}

/* A parsed document with every kind of node comes back the same. */
static void test_yaml_round_trip(void)
{
	const char *text = "str: plain\n"
	                   "quoted: \"5050\"\n"
	                   "int: 5050\n"
	                   "hex: 0x1F\n"
	                   "oct: 0o17\n"
	                   "neg: -3\n"
	                   "float: 1.5e3\n"
	                   "inf: -.inf\n"
	                   "nan: .nan\n"
	                   "t: true\n"
	                   "n: ~\n"
	                   "empty:\n"
	                   "yes: no\n"
	                   "1: int key\n"
	                   "1.5: float key\n"
	                   "true: bool key\n"
	                   "null: null key\n"
	                   "\"2\": str key\n"
	                   "lit: |\n  a\n   b\n"
	                   "fold: >\n  folded\n  text\n"
	                   "flow: {a: [1, 2, {b: c}], d: []}\n"
	                   "deep: [[[[[[[[x]]]]]]]]\n"
	                   "uni: \"\\u00e9\\U0001F600\\t\"\n";
	struct doc_node *root = yaml1(text);
	char *out;

	if (!ok(root != NULL, "rich document parses"))
		return;
	out = yaml_round_trip(root, "rich document");
	free(out);
	doc_free(root);
}

/* ---- JSON -------------------------------------------------------------- */

static void test_json(void)
{
	struct doc_node *n;
	const char *src;
	char *text, *big;

	n = json1("\"\\ud83d\\ude00\"", 14);
	ok(n && n->type == DOC_STR && n->len == 4 && memcmp(n->text, "\xf0\x9f\x98\x80", 4) == 0,
	   "surrogate pair decodes to F0 9F 98 80");
	ok(n && n->style == DOC_STYLE_DOUBLE && n->mark.line == 0, "JSON string style, no mark");
	doc_free(n);

	n = json1("\"a\\u0000b\"", 10);
	ok(n && n->len == 3 && memcmp(n->text, "a\0b", 4) == 0, "\\u0000 kept, length 3");
	text = n ? emit_json(n) : NULL;
	is_str(text, "\"a\\u0000b\"", "\\u0000 written back");
	free(text);
	text = n ? yaml_round_trip(n, "NUL from JSON through YAML") : NULL;
	free(text);
	doc_free(n);

	n = json1("\"\\ud800x\"", 9);
	ok(n && n->len == 4 && memcmp(n->text, "\xef\xbf\xbdx", 4) == 0,
	   "lone surrogate becomes U+FFFD");
	doc_free(n);

	/* A 5000-character key. */
	big = xmalloc(6000);
	big[0] = '{';
	big[1] = '"';
	memset(big + 2, 'k', 5000);
	memcpy(big + 5002, "\": [1, {\"x\": null}]}", 20);
	n = json1(big, 5022);
	ok(n && n->type == DOC_MAP && n->n == 1 && n->pairs[0].key->len == 5000,
	   "5000-character key");
	ok(n && n->n == 1 && n->pairs[0].key->style == DOC_STYLE_DOUBLE, "JSON key style");
	json_round_trip(n, "5000-char key");
	text = n ? yaml_round_trip(n, "5000-char key through YAML") : NULL;
	free(text);
	doc_free(n);
	free(big);

	/* Types, order, nesting. */
	src = "{\"z\": 1, \"a\": [true, false, null, -0, 1.5, -2.5e-3, 1E5, \"s\"],"
	      " \"m\": {\"n\": [[[], {}]]}, \"big\": 9223372036854775807,"
	      " \"small\": -9223372036854775808}";
	n = json1(src, strlen(src));
	ok(n && n->n == 5, "object with five keys");
	if (n && n->n == 5) {
		struct doc_node *a = doc_map_get(n, "a");

		is_str(n->pairs[0].key->text, "z", "key order kept (z first)");
		is_str(n->pairs[1].key->text, "a", "key order kept (a second)");
		ok(a && a->n == 8, "array of eight");
		if (a && a->n == 8) {
			ok(a->items[0]->type == DOC_BOOL && a->items[0]->b == 1, "true");
			ok(a->items[1]->type == DOC_BOOL && a->items[1]->b == 0, "false");
			ok(a->items[2]->type == DOC_NULL, "null");
			ok(a->items[3]->type == DOC_INT && a->items[3]->i == 0, "-0 is int 0");
			ok(a->items[4]->type == DOC_FLOAT && a->items[4]->f == 1.5, "1.5");
			ok(a->items[5]->type == DOC_FLOAT && a->items[5]->f == -2.5e-3, "-2.5e-3");
			is_str(a->items[6]->text, "1E5", "float text as written");
			ok(a->items[7]->type == DOC_STR, "string");
		}
		ok(doc_map_get(n, "big")->i == 9223372036854775807LL, "int64 max");
		ok(doc_map_get(n, "small")->i == -9223372036854775807LL - 1, "int64 min");
		text = emit_json(n);
		is_str(text,
		       "{\"z\":1,\"a\":[true,false,null,0,1.5,-0.0025,100000.0,\"s\"],"
		       "\"m\":{\"n\":[[[],{}]]},\"big\":9223372036854775807,"
		       "\"small\":-9223372036854775808}",
		       "compact JSON");
		free(text);
		json_round_trip(n, "typed object");
		text = yaml_round_trip(n, "typed object through YAML");
		free(text);
	}
	doc_free(n);

	/* Top-level scalars and whitespace. */
	n = json1(" 42 \n", 5);
	ok(n && n->type == DOC_INT && n->i == 42, "top-level number");
	doc_free(n);
	n = json1("null", 4);
	ok(n && n->type == DOC_NULL, "top-level null");
	doc_free(n);
	n = json1("1.5garbage", 3);
	ok(n && n->type == DOC_FLOAT && n->f == 1.5, "length honoured");
	doc_free(n);

	/* Depth: 200 nested arrays fine, 201 not. */
	big = xmalloc(1000);
	memset(big, '[', 200);
	memset(big + 200, ']', 200);
	n = json1(big, 400);
	ok(n != NULL, "200 nested arrays");
	json_round_trip(n, "200 nested arrays");
	doc_free(n);
	memset(big, '[', 201);
	memset(big + 201, ']', 201);
	json_fails(big, 402, "t.json:1:201: nesting too deep");
	free(big);

	/* Errors. */
	json_fails("[1, 2] x", 8, "t.json:1:8: unexpected character");
	json_fails("{\"a\": 1}\n\n  }", 13, "t.json:3:3: unexpected character");
	json_fails("{\"a\": 1} {}", 11, "t.json:1:10: unexpected character");
	json_fails("[1, 2]\0", 7, "t.json:1:7: unexpected data after the JSON value");
	json_fails("", 0, "t.json:1:1: unexpected end of data");
	json_fails("  ", 2, "t.json:1:3: unexpected end of data");
	json_fails("{\"a\":\n  [1,", 11, "t.json:2:6: unexpected end of data");
	json_fails("[1,]", 4, "t.json:1:4: unexpected character");
	json_fails("{'a': 1}", 8, "t.json:1:2: single quotes are not JSON");
	json_fails("'a'", 3, "t.json:1:1: unexpected character");
	json_fails("[\"\xff\"]", 4, "t.json:1:3: invalid utf-8 string");
	/* What json-c's UTF-8 check lets through. */
	json_fails("\"+pi\xc1\x93\"", 7, "t.json:1:5: invalid UTF-8 in a string");
	json_fails("[\"\xed\xa0\x80\"]", 7, "t.json:1:3: invalid UTF-8 in a string");
	json_fails("[\"\xf4\x90\x80\x80\"]", 8, "t.json:1:3: invalid UTF-8 in a string");
	json_fails("[\"\xe0\x80\xaf\"]", 7, "t.json:1:3: invalid UTF-8 in a string");
	json_fails("[true false]", 12, "t.json:1:7: array value separator ',' expected");
	json_fails("{\"a\": 1, \"b\": 2, \"a\": 3}", 24,
	           "t.json:1:18: duplicate key 'a' (first at line 1, column 2)");
	json_fails("{\"x\": {\"a\\u0062\": 1, \"ab\": 2}}", 30,
	           "t.json:1:22: duplicate key 'ab' (first at line 1, column 8)");
	json_fails("{\"b\": {\"x\": 1, \"x\": 2}, \"b\": 0}", 31,
	           "t.json:1:16: duplicate key 'x' (first at line 1, column 8)");
	json_fails("{\"a\\u0000b\": 1}", 15, "t.json:1:2: a key holding \\u0000 is not supported");
	json_fails("[9223372036854775808]", 21, "t.json:1:2: integer out of range");
	json_fails("[-9223372036854775809]", 22, "t.json:1:2: integer out of range");
	src = "{\"n\":\n 18446744073709551615}";
	json_fails(src, strlen(src), "t.json:2:2: integer out of range");
	json_fails("[1e400]", 7, "t.json:1:2: number out of range");
	json_fails("[NaN]", 5, "t.json:1:2: 'NaN' is not valid JSON");
	json_fails("[1, -Infinity]", 14, "t.json:1:5: '-Infinity' is not a valid JSON number");
	json_fails("[1.]", 4, "t.json:1:2: '1.' is not a valid JSON number");
	json_fails("[\"a\tb\"]", 7, "t.json:1:4: unescaped control character in a string");
}

/* JSON: what json-c 0.16 lets through, and the classes of bad input. */
#define JSON_FAILS(lit, want) json_fails(lit, sizeof(lit) - 1, want)
static void test_json_edges(void)
{
	struct doc_node *n;

	/* A byte-order mark is skipped (RFC 8259, 8.1) and is no character. */
	n = json1("\xEF\xBB\xBF[1]", strlen("\xEF\xBB\xBF[1]"));
	ok(n && n->type == DOC_SEQ && n->n == 1 && n->items[0]->i == 1, "BOM skipped");
	doc_free(n);
	JSON_FAILS("\xEF\xBB\xBF[1,]", "t.json:1:4: unexpected character");
	JSON_FAILS("\xEF\xBB\xBF{\"a\": 1, \"a\": 2}",
	           "t.json:1:10: duplicate key 'a' (first at line 1, column 2)");
	JSON_FAILS("\xEF\xBB\xBF", "t.json:1:1: unexpected end of data");
	JSON_FAILS("[1, \xEF\xBB\xBF 2]", "t.json:1:5: invalid utf-8 string");

	/* CR, CR LF and LF each end a line; columns count characters. */
	JSON_FAILS("{\"a\": 1,\r\"a\": 2}",
	           "t.json:2:1: duplicate key 'a' (first at line 1, column 2)");
	JSON_FAILS("{\"a\": 1,\r\n \"a\": 2}",
	           "t.json:2:2: duplicate key 'a' (first at line 1, column 2)");
	JSON_FAILS("[1,\r\r 2,]", "t.json:3:4: unexpected character");
	JSON_FAILS("{\"\xc3\xa9\": 1, \"\xc3\xa9\": 2}",
	           "t.json:1:10: duplicate key '\xc3\xa9' (first at line 1, column 2)");
	JSON_FAILS("[\"\xe2\x82\xac\xe2\x82\xac\", 1.]",
	           "t.json:1:8: '1.' is not a valid JSON number");

	/* A NUL byte, wherever it is, is named. */
	JSON_FAILS("[\"a\0b\"]",
	           "t.json:1:4: a NUL byte is not allowed in JSON text (write \\u0000 inside a "
	           "string)");
	JSON_FAILS("{\"a\0b\": 1}",
	           "t.json:1:4: a NUL byte is not allowed in JSON text (write \\u0000 inside a "
	           "string)");
	JSON_FAILS("[1,\0 2]",
	           "t.json:1:4: a NUL byte is not allowed in JSON text (write \\u0000 inside a "
	           "string)");
	JSON_FAILS("\0",
	           "t.json:1:1: a NUL byte is not allowed in JSON text (write \\u0000 inside a "
	           "string)");

	/* Integers json-c clamps, both ways. */
	JSON_FAILS("[99999999999999999999]", "t.json:1:2: integer out of range");
	JSON_FAILS("[-99999999999999999999]", "t.json:1:2: integer out of range");
	JSON_FAILS("-9223372036854775809", "t.json:1:1: integer out of range");
	n = json1("[-9223372036854775808, 9223372036854775807, -0]",
	          strlen("[-9223372036854775808, 9223372036854775807, -0]"));
	ok(n && n->n == 3 && n->items[0]->i == -9223372036854775807LL - 1 &&
	       n->items[1]->i == 9223372036854775807LL && n->items[2]->i == 0,
	   "the int64 limits are in range");
	doc_free(n);
	JSON_FAILS("[-1e400]", "t.json:1:2: number out of range");

	/* Number spellings json-c's STRICT still takes. */
	JSON_FAILS("[-01]", "t.json:1:2: '-01' is not a valid JSON number");
	JSON_FAILS("[00]", "t.json:1:2: '00' is not a valid JSON number");
	JSON_FAILS("[1.e5]", "t.json:1:2: '1.e5' is not a valid JSON number");
	JSON_FAILS("[Infinity]", "t.json:1:2: 'Infinity' is not valid JSON");
	JSON_FAILS("{\"a\": NaN}", "t.json:1:7: 'NaN' is not valid JSON");

	/* Escapes: keys compare decoded; surrogate pairs decode. */
	JSON_FAILS("{\"a\\/b\": 1, \"a/b\": 2}",
	           "t.json:1:13: duplicate key 'a/b' (first at line 1, column 2)");
	JSON_FAILS("{\"\\ud83d\\ude00\": 1, \"\xf0\x9f\x98\x80\": 2}",
	           "t.json:1:21: duplicate key '\xf0\x9f\x98\x80' (first at line 1, column 2)");
	JSON_FAILS("{\"\\u001b[31m\": 1, \"\\u001b[31m\": 2}",
	           "t.json:1:19: duplicate key '?[31m' (first at line 1, column 2)");
	n = json1("{\"\\ud83d\\ude00\": \"\\udc00\", \"\\u00e9\": \"\\t\\\"\\\\\"}",
	          strlen("{\"\\ud83d\\ude00\": \"\\udc00\", \"\\u00e9\": \"\\t\\\"\\\\\"}"));
	ok(n && n->n == 2 && n->pairs[0].key->len == 4 &&
	       memcmp(n->pairs[0].key->text, "\xf0\x9f\x98\x80", 4) == 0,
	   "surrogate pair in a key");
	ok(n && n->n == 2 && n->pairs[0].value->len == 3 &&
	       memcmp(n->pairs[0].value->text, "\xef\xbf\xbd", 3) == 0,
	   "lone low surrogate becomes U+FFFD");
	ok(n && n->n == 2 && strcmp(n->pairs[1].key->text, "\xc3\xa9") == 0 &&
	       strcmp(n->pairs[1].value->text, "\t\"\\") == 0,
	   "escapes decode");
	doc_free(n);

	/* Control characters and single quotes json-c lets through. */
	JSON_FAILS("{\"a\x1b\": 1}", "t.json:1:4: unescaped control character in a string");
	JSON_FAILS("[\"line\nbreak\"]", "t.json:1:7: unescaped control character in a string");
	JSON_FAILS("{\"a\": 1, 'b\"c': 2}", "t.json:1:10: single quotes are not JSON");
	/* The earliest problem wins, whatever kind it is. */
	JSON_FAILS("{\"k\": [1., \"\x01\"], \"k\": 0}",
	           "t.json:1:8: '1.' is not a valid JSON number");
	JSON_FAILS("{\"k\": 1, \"k\": [1.]}",
	           "t.json:1:10: duplicate key 'k' (first at line 1, column 2)");
}

/* Big JSON: limits and costs. */
static void test_json_big(void)
{
	struct buf b = BUF_INIT(1 << 24);
	struct doc_node *n = NULL;
	struct err err;
	clock_t t0;
	double secs;
	size_t k;
	int rc;

	/* 200000 distinct keys, then the same keys each given twice. */
	buf_addch(&b, '{');
	for (k = 0; k < 200000; k++)
		buf_addf(&b, "%s\"k%zu\": %zu", k ? ", " : "", k, k);
	buf_addch(&b, '}');
	t0 = clock();
	rc = doc_parse_json("big.json", b.data, b.len, &n, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, 0, "object with 200000 keys");
	ok(n && n->n == 200000 && doc_map_get(n, "k199999")->i == 199999, "all keys there");
	ok(secs < 30.0, "big object parses quickly (%.2f s)", secs);
	doc_free(n);
	buf_reset(&b);
	buf_addch(&b, '{');
	for (k = 0; k < 100000; k++)
		buf_addf(&b, "%s\"k%06zu\": 1, \"k%06zu\": 2", k ? ", " : "", k, k);
	buf_addch(&b, '}');
	t0 = clock();
	rc = doc_parse_json("dup.json", b.data, b.len, &n, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, -1, "100000 duplicates");
	is_str(err.msg, "dup.json:1:16: duplicate key 'k000000' (first at line 1, column 2)",
	       "the first duplicate is reported");
	ok(secs < 30.0, "many duplicates checked quickly (%.2f s)", secs);

	/* The node limit: the array and 2000000 items are one too many. */
	buf_reset(&b);
	buf_addch(&b, '[');
	for (k = 0; k < DOC_MAX_NODES; k++)
		buf_add(&b, k ? ",0" : "0", k ? 2 : 1);
	buf_addch(&b, ']');
	rc = doc_parse_json("n.json", b.data, b.len, &n, &err);
	is_int(rc, -1, "2000001 JSON nodes rejected");
	is_str(err.msg, "n.json:1:4000000: document too large (more than 2000000 nodes)",
	       "JSON node limit message");
	b.len -= 3;
	buf_addch(&b, ']');
	rc = doc_parse_json("n.json", b.data, b.len, &n, &err);
	is_int(rc, 0, "2000000 JSON nodes accepted");
	doc_free(n);
	buf_release(&b);
}

static void test_emit_json(void)
{
	struct doc_node *m = doc_new(DOC_MAP), *s = doc_new(DOC_SEQ), *f, *k;
	struct buf b = BUF_INIT(8);
	struct err err;
	char *text;

	doc_seq_push(s, doc_new(DOC_NULL));
	doc_seq_push(s, doc_new_bool(0));
	doc_seq_push(s, doc_new_int(-7));
	f = doc_new(DOC_FLOAT);
	f->f = 0.1;
	doc_seq_push(s, f);
	f = doc_new(DOC_FLOAT);
	f->f = 3;
	doc_seq_push(s, f);
	f = doc_new(DOC_FLOAT);
	f->f = 1e300;
	doc_seq_push(s, f);
	doc_seq_push(s, doc_new_strn("q\"b\\s/\n\t\r\b\f\x01\x1f\x7f\xc3\xa9\0", 17));
	doc_map_set(m, "all", s);
	k = doc_new_int(5);
	doc_map_add(m, k, doc_new_str("int key"));
	k = yaml1("0x10");
	doc_map_add(m, k, doc_new(DOC_MAP));
	text = emit_json(m);
	is_str(text,
	       "{\"all\":[null,false,-7,0.1,3.0,1.0e+300,"
	       "\"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\xc3\xa9\\u0000\"],"
	       "\"5\":\"int key\",\"0x10\":{}}",
	       "JSON of every type");
	free(text);

	is_int(doc_emit_json(m, &b, &err), -1, "JSON overflow");
	is_str(err.msg, "JSON output is larger than 8 bytes", "JSON overflow message");
	is_int(b.len, 0, "buffer unchanged");
	buf_release(&b);
	doc_free(m);

	f = doc_new(DOC_FLOAT);
	f->f = NAN;
	b = (struct buf)BUF_INIT(1024);
	buf_addstr(&b, "keep");
	is_int(doc_emit_json(f, &b, &err), -1, "NaN refused");
	is_str(err.msg, "cannot write JSON: .nan is not a finite number", "NaN message");
	is_str(buf_cstr(&b), "keep", "buffer kept on error");
	f->f = -HUGE_VAL;
	is_int(doc_emit_json(f, &b, &err), -1, "-inf refused");
	buf_release(&b);
	doc_free(f);
}

/* Why JSON does not go through libyaml. */
static void test_yaml_is_not_json(void)
{
	struct doc_list list = {NULL, 0};
	struct doc_node *n;
	struct err err;
	char *big;
	int rc;

	rc = doc_parse_yaml("j.yaml", "\"\\ud83d\\ude00\"", 14, &list, &err);
	is_int(rc, -1, "libyaml rejects a surrogate pair JSON accepts");
	is_str(err.msg,
	       "j.yaml:1:4: found invalid Unicode character escape code (while parsing a quoted "
	       "scalar at line 1, column 1)",
	       "libyaml's words");
	big = xmalloc(1200);
	big[0] = '{';
	big[1] = '"';
	memset(big + 2, 'k', 1100);
	memcpy(big + 1102, "\": 1}", 5);
	rc = doc_parse_yaml("j.yaml", big, 1107, &list, &err);
	is_int(rc, -1, "libyaml rejects a 1100-character key JSON accepts");
	n = json1(big, 1107);
	ok(n && n->n == 1 && n->pairs[0].key->len == 1100, "json-c reads it");
	doc_free(n);
	free(big);
	doc_list_release(&list);
}

int main(void)
{
	test_scalar_types();
	test_marks_styles();
	test_marks_text();
	test_documents();
	test_yaml_errors();
	test_aliases();
	test_node_limit();
	test_tree();
	test_emit_yaml();
	test_emit_numbers();
	test_emit_strings();
	test_random_strings();
	test_yaml_round_trip();
	test_json();
	test_json_edges();
	test_json_big();
	test_emit_json();
	test_yaml_is_not_json();
	return tap_done();
}
