/*
 * apply: `ftboot apply`: the apply step alone (apply.h), as `ftboot
 * build` is the build step: render, apply in dependency order, prune,
 * wait. No other step runs, so the stack's cluster must be up (the error
 * says so when it is not). Ctrl-C stops it as it stops `up`: every
 * object is journaled before it is applied.
 */
#include "apply.h"
#include "cmd.h"
#include "ui.h"

int cmd_apply(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct report report;
	struct run run;
	int rc;

	(void)args;
	if (cmd_ready(ctx, err) < 0)
		return -1;
	u.quiet = ctx->quiet;
	ui_report(&u, &report);
	run = cmd_run_of(ctx, &report);
	cmd_catch_interrupts();
	rc = apply_step(&run, err);
	ui_abort(&u);
	if (rc < 0)
		cmd_interrupted(ctx);
	return rc;
}
