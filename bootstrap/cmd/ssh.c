/*
 * ssh: `ftboot ssh`: an interactive shell in the VM, over SSH with
 * the host key pinned when the VM was made.
 */
#include <stdio.h>

#include "cmd.h"
#include "vm.h"

int cmd_ssh(struct ctx *ctx, int argc, char **argv, struct err *err)
{
	struct run run = {0};
	struct vm vm;
	struct ssh *s = NULL;
	int status = 0, rc = -1;

	if (argc > 1 && argv[1][0] == '-')
		return cmd_usage(ctx, err, "unknown option '%s'", argv[1]);
	if (argc > 2)
		return cmd_usage(ctx, err, "unexpected argument '%s'", argv[2]);
	if (argc > 1)
		return err_set(err, ERR_NOTIMPL,
		               "a shell in a service's container ('%s') comes with the cluster "
		               "steps, which are not implemented yet; 'ftboot ssh' opens one in "
		               "the VM",
		               argv[1]);
	if (cmd_ready(ctx, err) < 0)
		return -1;
	run.stack = ctx->stack;
	run.state = &ctx->state;
	run.journal = &ctx->journal;
	if (vm_open(&vm, &run, err) < 0)
		goto out;
	if (vm.journal->n == 0) {
		err_set(err, ERR_FAIL, "stack '%s' has no VM yet; run 'ftboot up --until vm'",
		        ctx->stack->name);
		goto out;
	}
	if (vm_ssh(&vm, 10000, &s, NULL, err) < 0 || ssh_shell(s, NULL, &status, err) < 0)
		goto out;
	rc = 0;
out:
	ssh_close(s);
	vm_close(&vm);
	if (rc == 0 && status != 0)
		return err_set(err, status > 125 ? 125 : status, "the shell exited with status %d",
		               status);
	return rc;
}
