/*
 * fuzz_doc_yaml: libFuzzer target for the YAML reader and writer. Any
 * input either fails to parse cleanly, or each of its documents is
 * written out, read back, and must be the same tree, written the same
 * way, with no string in single quotes (the writer only uses plain,
 * literal and double-quoted strings). The JSON writer runs too.
 *
 * Marks: each node's byte offset, counted on with text_advance from the
 * start, gives the line and column libyaml gave (characters, a BOM not one,
 * CR LF, CR, LF, NEL, LS and PS ending lines), but at the very end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if a string anywhere in the tree came back single-quoted or folded. */
static int bad_style(const struct doc_node *n)
{
	size_t i;

	if (n->type == DOC_STR)
		return n->style == DOC_STYLE_SINGLE || n->style == DOC_STYLE_FOLDED;
	for (i = 0; i < n->n; i++) {
		if (n->type == DOC_SEQ && bad_style(n->items[i]))
			return 1;
		if (n->type == DOC_MAP &&
		    (bad_style(n->pairs[i].key) || bad_style(n->pairs[i].value)))
			return 1;
	}
	return 0;
}

/* 1 if a node's mark (of the first *budget ones) disagrees with its offset. */
static int bad_mark(const struct doc_node *n, const char *text, size_t len, unsigned *budget)
{
	unsigned line = 1, col = 1;
	size_t i;

	if (*budget == 0)
		return 0;
	(*budget)--;
	/* At the end of the text libyaml's mark starts a line of its own. */
	if (n->mark.line && n->mark.offset != len) {
		if (n->mark.offset > len)
			return 1;
		text_advance(text, 0, n->mark.offset, &line, &col);
		if (line != n->mark.line || col != n->mark.col)
			return 1;
	}
	for (i = 0; i < n->n; i++) {
		if (n->type == DOC_SEQ && bad_mark(n->items[i], text, len, budget))
			return 1;
		if (n->type == DOC_MAP && (bad_mark(n->pairs[i].key, text, len, budget) ||
		                           bad_mark(n->pairs[i].value, text, len, budget)))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libyaml reads UTF-16 when the text starts with its BOM: no byte marks. */
	int utf16 = size >= 2 &&
	            ((data[0] == 0xFE && data[1] == 0xFF) || (data[0] == 0xFF && data[1] == 0xFE));
	unsigned budget = 64;
	struct doc_list list = {NULL, 0}, back = {NULL, 0};
	struct buf out = BUF_INIT(1 << 26), again = BUF_INIT(1 << 26);
	struct err err;
	size_t i;

	if (doc_parse_yaml("fuzz", (const char *)data, size, &list, &err) < 0) {
		if (list.n != 0 || list.docs != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < list.n; i++) {
		if (!utf16 && bad_mark(list.docs[i], (const char *)data, size, &budget))
			abort();
		buf_reset(&out);
		if (doc_emit_yaml(list.docs[i], &out, &err) < 0) {
			/* Only a huge tree (aliases) may not fit. */
			if (strstr(err.msg, "larger than") == NULL)
				abort();
			continue;
		}
		if (doc_parse_yaml("again", out.data, out.len, &back, &err) < 0)
			abort();
		if (back.n != 1 || !doc_equal(list.docs[i], back.docs[0]))
			abort();
		if (bad_style(back.docs[0]))
			abort();
		buf_reset(&again);
		if (doc_emit_yaml(back.docs[0], &again, &err) < 0)
			abort();
		if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
		doc_list_release(&back);
		buf_reset(&again);
		(void)doc_emit_json(list.docs[i], &again, &err);
	}
	doc_list_release(&list);
	buf_release(&out);
	buf_release(&again);
	return 0;
}
