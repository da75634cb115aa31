/*
 * up: `ftboot up [--until STEP]`: converge the stack, step by step.
 * Built so far: the VM (keys, image, network, pool, disk, seed, domain,
 * lease, SSH). The steps after it answer "not implemented yet".
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "ui.h"
#include "vm.h"

static const char *const steps[] = {"vm", "provision", "build", "apply", NULL};

int cmd_up(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct vm_hooks hooks;
	struct vm vm;
	const char *until = cmd_args_get(args, "until");
	int i, rc = -1;

	if (until) {
		for (i = 0; steps[i] && strcmp(steps[i], until) != 0; i++)
			;
		if (steps[i] == NULL)
			return err_set(err, ERR_USAGE,
			               "no step '%s'; the steps are vm, provision, build, apply",
			               until);
	}
	if (cmd_ready(ctx, err) < 0)
		return -1;
	u.quiet = ctx->quiet;
	ui_hooks(&u, &hooks);
	if (vm_open(&vm, ctx->stack, &ctx->state, &hooks, err) < 0)
		goto out;
	rc = vm_up(&vm, err);
	ui_abort(&u);
	if (rc < 0)
		goto out;
	if (!ctx->quiet)
		fprintf(stderr, "vm '%s' is up at %s (ftboot ssh opens a shell)\n", vm.dom, vm.ip);
	if (until == NULL || strcmp(until, "vm") != 0) {
		rc = err_set(err, ERR_NOTIMPL,
		             "the VM is up; the next steps (provision, build, apply) are not "
		             "implemented yet (stop after the VM with: ftboot up --until vm)");
		goto out;
	}
	rc = 0;
out:
	vm_close(&vm);
	return rc;
}
