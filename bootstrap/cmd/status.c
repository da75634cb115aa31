/*
 * status: `ftboot status [--json]`: what exists of the stack, step by
 * step from the pipeline's table (step.h), and the resources its journal
 * records. Takes no lock and creates nothing, so it can run beside `up`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "doc.h"
#include "fs.h"
#include "step.h"

int cmd_status(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct state st = {0};
	struct journal j = {0};
	struct run run = {0};
	struct buf text = BUF_INIT(1u << 20), out = BUF_INIT(1u << 20);
	struct doc_node *root = NULL, *res;
	const struct step *s;
	size_t i;
	int json = cmd_args_has(args, "json"), rc = -1;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	/* No state: nothing recorded, and nothing is created to read it. */
	if (cmd_peek_state(ctx, 0, &st, &j, &run, err) < 0)
		goto out;
	root = doc_new(DOC_MAP);
	doc_map_set(root, "stack", doc_new_str(ctx->stack->name));
	buf_addf(&text, "stack      %s\n", ctx->stack->name);
	for (s = step_table; s->name; s++) {
		struct doc_node *v = NULL;

		if (s->status == NULL) {
			buf_addf(&text, "%-10s not built yet\n", s->name);
			v = doc_new(DOC_MAP);
			doc_map_set(v, "built", doc_new_bool(0));
		} else if (s->status(&run, &text, &v, err) < 0) {
			goto out;
		}
		doc_map_set(root, s->name, v);
	}
	res = doc_new(DOC_SEQ);
	if (j.n)
		buf_addf(&text, "resources  %zu:", j.n);
	for (i = 0; i < j.n; i++) {
		struct doc_node *e = doc_new(DOC_MAP);

		doc_map_set(e, "kind", doc_new_str(j.v[i].kind));
		doc_map_set(e, "name", doc_new_str(j.v[i].name));
		doc_seq_push(res, e);
		buf_addf(&text, " %s %s%s", j.v[i].kind, j.v[i].name, i + 1 < j.n ? "," : "\n");
	}
	doc_map_set(root, "resources", res);
	if (json) {
		if (doc_emit_json(root, &out, err) < 0)
			goto out;
		printf("%s\n", buf_cstr(&out));
	} else {
		fputs(buf_cstr(&text), stdout);
	}
	rc = 0;
out:
	doc_free(root);
	buf_release(&text);
	buf_release(&out);
	journal_close(&j);
	state_close(&st);
	return rc;
}
