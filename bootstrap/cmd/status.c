/*
 * status: `ftboot status [--json]`: what exists of the stack. Takes
 * no lock and creates nothing, so it can run beside `up`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "doc.h"
#include "ipv4.h"
#include "vm.h"

/* The status as JSON; vm NULL when the stack has no state at all. */
static int print_json(const struct ctx *ctx, const struct vm *vm, const struct vm_status *s,
                      struct err *err)
{
	struct doc_node *root = doc_new(DOC_MAP), *res = doc_new(DOC_SEQ);
	struct buf b = BUF_INIT(1u << 20);
	size_t i;
	int rc;

	doc_map_set(root, "stack", doc_new_str(ctx->stack->name));
	if (vm) {
		struct doc_node *v = doc_new(DOC_MAP);

		doc_map_set(v, "name", doc_new_str(vm->dom));
		doc_map_set(v, "state", doc_new_str(virt_dom_state_name(s->state)));
		doc_map_set(v, "address", s->ip[0] ? doc_new_str(s->ip) : doc_new(DOC_NULL));
		doc_map_set(root, "vm", v);
	} else {
		doc_map_set(root, "vm", doc_new(DOC_NULL));
	}
	for (i = 0; vm && i < vm->journal.n; i++) {
		struct doc_node *e = doc_new(DOC_MAP);

		doc_map_set(e, "kind", doc_new_str(vm->journal.v[i].kind));
		doc_map_set(e, "name", doc_new_str(vm->journal.v[i].name));
		doc_seq_push(res, e);
	}
	doc_map_set(root, "resources", res);
	rc = doc_emit_json(root, &b, err);
	if (rc == 0)
		printf("%s\n", buf_cstr(&b));
	buf_release(&b);
	doc_free(root);
	return rc;
}

int cmd_status(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct vm_status s;
	struct vm vm = {0};
	struct state st = {0};
	char cidr[IPV4_STRLEN];
	size_t i;
	int json = cmd_args_has(args, "json"), rc = -1, opened = 0;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (state_open(&st, ctx->stack->name, 0, err) < 0)
		return -1;
	if (state_exists(&st)) {
		if (vm_open(&vm, ctx->stack, &st, NULL, err) < 0 || vm_status(&vm, &s, err) < 0)
			goto out;
		opened = 1;
	} else {
		s = (struct vm_status){.state = VIRT_DOM_ABSENT};
	}
	if (json) {
		rc = print_json(ctx, opened ? &vm : NULL, &s, err);
		goto out;
	}
	printf("stack      %s\n", ctx->stack->name);
	if (!opened || s.resources == 0) {
		printf("vm         not created (ftboot up creates it)\n");
		rc = 0;
		goto out;
	}
	printf("vm         %s, %s\n", vm.dom, virt_dom_state_name(s.state));
	printf("address    %s\n", s.ip[0] ? s.ip : "-");
	printf("network    %s, %s/%u\n", vm.net, ipv4_format(ctx->stack->vm.net, cidr),
	       ctx->stack->vm.prefix);
	printf("resources  %zu:", s.resources);
	for (i = 0; i < vm.journal.n; i++)
		printf(" %s %s%s", vm.journal.v[i].kind, vm.journal.v[i].name,
		       i + 1 < vm.journal.n ? "," : "");
	printf("\n");
	rc = 0;
out:
	vm_close(&vm); /* safe on the zeroed vm too */
	state_close(&st);
	return rc;
}
