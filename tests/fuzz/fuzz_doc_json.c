/*
 * fuzz_doc_json: libFuzzer target for the JSON reader (json-c plus the
 * checking pass in doc_json.c) and the JSON writer. Properties:
 *
 *  - an input fails with "fuzz:LINE:COL: ..." (line and column inside
 *    the text, no control byte in the message) and no tree, or
 *  - it holds no NUL byte, no map of its tree holds a key twice, and it
 *    is written as JSON, read back and gives the same tree; the same tree
 *    goes through YAML (JSON bodies end up in YAML output) unchanged;
 *  - a byte-order mark in front changes nothing: the same tree, or the
 *    same error message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "text.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if some map in the tree holds the same key twice. */
static int has_duplicate(const struct doc_node *n)
{
	size_t i, j;

	if (n->type == DOC_SEQ) {
		for (i = 0; i < n->n; i++)
			if (has_duplicate(n->items[i]))
				return 1;
	} else if (n->type == DOC_MAP) {
		for (i = 0; i < n->n; i++) {
			const struct doc_node *k = n->pairs[i].key;

			/* Pairwise is enough for what fits in a fuzz input's keys. */
			for (j = i + 1; j < n->n && j < i + 4096; j++)
				if (doc_equal(k, n->pairs[j].key))
					return 1;
			if (has_duplicate(n->pairs[i].value))
				return 1;
		}
	}
	return 0;
}

/* Abort unless msg is "fuzz:LINE:COL: text" at a position of the input. */
static void check_error(const char *text, size_t len, const char *msg)
{
	unsigned line, col, end_line = 1, end_col = 1;
	const char *p;
	int at = 0;

	if (sscanf(msg, "fuzz:%u:%u: %n", &line, &col, &at) != 2 || at == 0 || line == 0 ||
	    col == 0 || msg[at] == '\0')
		abort();
	text_advance(text, 0, len, &end_line, &end_col);
	if (line > end_line || (line == end_line && col > end_col))
		abort();
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct doc_node *node = NULL, *back = NULL;
	struct doc_list list = {NULL, 0};
	struct buf out = BUF_INIT(1 << 26);
	struct err err, err2;
	char *bom;
	int rc, rc2;

	rc = doc_parse_json("fuzz", text, size, &node, &err);

	/* The same text after a byte-order mark reads the same. */
	if (size < 3 || memcmp(text, "\xEF\xBB\xBF", 3) != 0) {
		bom = xmalloc(size + 3);
		memcpy(bom, "\xEF\xBB\xBF", 3);
		memcpy(bom + 3, text, size);
		rc2 = doc_parse_json("fuzz", bom, size + 3, &back, &err2);
		if (rc2 != rc || (rc < 0 && strcmp(err.msg, err2.msg) != 0) ||
		    (rc == 0 && !doc_equal(node, back)))
			abort();
		doc_free(back);
		back = NULL;
		free(bom);
	}

	if (rc < 0) {
		if (node != NULL)
			abort();
		check_error(text, size, err.msg);
		return 0;
	}
	if (memchr(text, '\0', size) != NULL || has_duplicate(node))
		abort();
	if (doc_emit_json(node, &out, &err) < 0)
		abort();
	if (doc_parse_json("again", out.data, out.len, &back, &err) < 0)
		abort();
	if (!doc_equal(node, back))
		abort();
	doc_free(back);

	buf_reset(&out);
	if (doc_emit_yaml(node, &out, &err) < 0)
		abort();
	if (doc_parse_yaml("yaml", out.data, out.len, &list, &err) < 0)
		abort();
	if (list.n != 1 || !doc_equal(node, list.docs[0]))
		abort();
	doc_list_release(&list);
	doc_free(node);
	buf_release(&out);
	return 0;
}
