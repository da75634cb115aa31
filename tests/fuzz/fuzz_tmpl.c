/*
 * libFuzzer target: the template renderer.
 *
 * Input: the first line is a value, the rest a template. Two properties:
 * the template renders or fails with "NAME:LINE:COL: ..."; and, whatever
 * the value holds, "k: ${v}" renders to exactly that one string, which
 * survives emit and parse unchanged (no value can change the structure).
 * A placeholder's error, in a template without a backslash (an escape can
 * spell "${" unseen), is at a "${" of the text: its line and column,
 * counted with text_advance, lead to one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "tmpl.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *value, size_t len)
{
	static const char text[] = "k: ${v}\nq: \"x${v}\"\n";
	struct tmpl_vars vars = {0};
	struct doc_list out = {0}, back = {0};
	struct buf b = BUF_INIT(1 << 22);
	struct err err;
	const struct doc_node *k;

	tmpl_vars_set(&vars, "v", doc_new_strn(value, len));
	if (tmpl_render("t.yaml", text, sizeof(text) - 1, &vars, &out, &err) < 0)
		abort();
	k = doc_map_get(out.docs[0], "k");
	if (k == NULL || k->type != DOC_STR || k->len != len || memcmp(k->text, value, len) != 0)
		abort();
	if (doc_emit_yaml(out.docs[0], &b, &err) == 0) {
		if (doc_parse_yaml("emitted", b.data, b.len, &back, &err) < 0 || back.n != 1 ||
		    !doc_equal(out.docs[0], back.docs[0]))
			abort();
	}
	doc_list_release(&back);
	doc_list_release(&out);
	buf_release(&b);
	tmpl_vars_release(&vars);
}

/* 1 if err names a placeholder at a line:column of text that is not a "${". */
static int bad_position(const char *text, size_t len, const char *msg)
{
	static const char *const kinds[] = {"unknown variable '", "unterminated placeholder",
	                                    "empty placeholder", "bad character '",
	                                    "placeholder name longer"};
	unsigned want_line, want_col, line = 1, col = 1;
	size_t i = 0, next, k;
	int at = 0, placeholder = 0;

	if (memchr(text, '\\', len) != NULL ||
	    sscanf(msg, "t.yaml:%u:%u: %n", &want_line, &want_col, &at) != 2 || at == 0)
		return 0;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strncmp(msg + at, kinds[k], strlen(kinds[k])) == 0)
			placeholder = 1;
	if (msg[at] == '\'' && (strstr(msg, "' is a sequence: it must stand alone") ||
	                        strstr(msg, "' is a mapping: it must stand alone")))
		placeholder = 1;
	if (!placeholder)
		return 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (line < want_line || (line == want_line && col < want_col))) {
		next = i + 1;
		if (text[i] == '\r' && next < len && text[next] == '\n')
			next++;
		while (next < len && ((unsigned char)text[next] & 0xC0) == 0x80)
			next++;
		text_advance(text, i, next, &line, &col);
		i = next;
	}
	return line != want_line || col != want_col || i + 1 >= len || text[i] != '$' ||
	       text[i + 1] != '{';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t vlen = nl ? (size_t)(nl - text) : size;
	struct tmpl_vars vars = {0};
	struct doc_list out = {0};
	struct err err;
	struct doc_node *list = doc_new(DOC_SEQ);

	/* Only valid UTF-8 without NUL can be a YAML string value. */
	if (memchr(text, '\0', vlen) == NULL) {
		struct doc_list probe = {0};
		char *quoted = xasprintf("'%.*s'", (int)vlen, text);

		if (memchr(text, '\'', vlen) == NULL &&
		    doc_parse_yaml("probe", quoted, strlen(quoted), &probe, &err) == 0)
			check_value(text, vlen);
		doc_list_release(&probe);
		free(quoted);
	}
	doc_seq_push(list, doc_new_int(1));
	tmpl_vars_set(&vars, "a", doc_new_str("x"));
	tmpl_vars_set(&vars, "n", doc_new_int(5));
	tmpl_vars_set(&vars, "l", list);
	tmpl_vars_set(&vars, "v", doc_new_strn(text, vlen));
	if (nl) {
		err_clear(&err);
		if (tmpl_render("t.yaml", nl + 1, size - vlen - 1, &vars, &out, &err) == 0)
			doc_list_release(&out);
		else if (strncmp(err.msg, "t.yaml:", 7) != 0 ||
		         bad_position(nl + 1, size - vlen - 1, err.msg))
			abort();
	}
	tmpl_vars_release(&vars);
	return 0;
}
