/*
 * down: `ftboot down [--purge]`: remove everything the stack's
 * journal records, then its state; --purge also empties the download
 * cache. Idempotent; works after a half-finished `up`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "fs.h"
#include "ui.h"
#include "vm.h"

int cmd_down(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct vm_hooks hooks;
	struct vm vm;
	size_t n;
	int purge = cmd_args_has(args, "purge"), rc = -1;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	u.quiet = ctx->quiet;
	ui_hooks(&u, &hooks);
	if (vm_open(&vm, ctx->stack, &ctx->state, &hooks, err) < 0)
		goto out;
	n = vm.journal.n;
	if (vm_down(&vm, err) < 0) {
		/* Keep the state: its journal is the record of what is left. */
		ui_abort(&u);
		goto out;
	}
	if (state_destroy(&ctx->state, err) < 0)
		goto out;
	if (purge && fs_remove_tree(vm.cache_dir, err) < 0)
		goto out;
	if (!ctx->quiet)
		fprintf(stderr, "%s stack '%s'%s\n", n ? "removed" : "nothing was left of",
		        ctx->stack->name, purge ? "; download cache emptied" : "");
	rc = 0;
out:
	vm_close(&vm);
	return rc;
}
