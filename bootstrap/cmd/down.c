/*
 * down: `ftboot down [--purge]`: remove everything the stack's journal
 * records, newest first, each resource through its kind's remover
 * (teardown.h), then the state; --purge also empties the download cache.
 * Idempotent; works after a half-finished `up`. Reaches libvirt only if
 * the journal holds libvirt resources.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "fs.h"
#include "step.h"
#include "teardown.h"
#include "ui.h"
#include "vm.h"

int cmd_down(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct report report;
	struct run run;
	char *cache = NULL;
	size_t n;
	int purge = cmd_args_has(args, "purge"), rc = -1;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (step_register_kinds(err) < 0 || (purge && vm_cache_dir(&cache, err) < 0))
		return -1;
	u.quiet = ctx->quiet;
	ui_report(&u, &report);
	run = cmd_run_of(ctx, &report);
	n = ctx->journal.n;
	if (teardown_stack(&run, err) < 0) {
		ui_abort(&u);
		goto out;
	}
	if (purge && fs_remove_tree(cache, err) < 0)
		goto out;
	if (!ctx->quiet)
		fprintf(stderr, "%s stack '%s'%s\n", n ? "removed" : "nothing was left of",
		        ctx->stack->name, purge ? "; download cache emptied" : "");
	rc = 0;
out:
	free(cache);
	return rc;
}
