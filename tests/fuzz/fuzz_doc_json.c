/*
 * fuzz_doc_json: libFuzzer target for the JSON reader and writer. Any
 * input either fails to parse cleanly, or is written as JSON, read back
 * and must be the same tree. The same tree also goes through YAML (JSON
 * bodies end up in YAML output) and must come back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_node *node = NULL, *back = NULL;
	struct doc_list list = {NULL, 0};
	struct buf out = BUF_INIT(1 << 26);
	struct err err;

	if (doc_parse_json("fuzz", (const char *)data, size, &node, &err) < 0) {
		if (node != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
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
