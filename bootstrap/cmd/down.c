/*
 * down: `ftboot down [--purge]`: remove everything the stack's journal
 * records, newest first, each resource through its kind's remover
 * (teardown.h), then the state; --purge also empties the download cache.
 * Idempotent; works after a half-finished `up`. Reaches libvirt only if
 * the journal holds libvirt resources.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "fs.h"
#include "step.h"
#include "teardown.h"
#include "ui.h"
#include "vm.h"

int cmd_down(struct ctx *ctx, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = {
	    {"purge", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	struct ui u = {0};
	struct report report;
	struct run run = {0};
	char *cache = NULL;
	size_t n;
	int c, purge = 0, rc = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c != 'p')
			return cmd_bad_option(ctx, c, argv, err);
		purge = 1;
	}
	if (optind < argc)
		return cmd_usage(ctx, err, "unexpected argument '%s'", argv[optind]);
	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (step_register_kinds(err) < 0 || (purge && vm_cache_dir(&cache, err) < 0))
		return -1;
	u.quiet = ctx->quiet;
	ui_report(&u, &report);
	run.stack = ctx->stack;
	run.state = &ctx->state;
	run.journal = &ctx->journal;
	run.report = &report;
	run.verbose = ctx->verbose;
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
