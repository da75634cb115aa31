/*
 * ssh: `ftboot ssh`: an interactive shell in the VM, over SSH with
 * the host key pinned when the VM was made.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "text.h"
#include "vm.h"

int cmd_ssh(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct vm vm;
	struct ssh *s = NULL;
	char q[80];
	int status = 0, rc = -1;

	if (args->argc > 0)
		return err_set(err, ERR_NOTIMPL,
		               "a shell in a service's container ('%s') comes with the cluster "
		               "steps, which are not implemented yet; 'ftboot ssh' opens one in "
		               "the VM",
		               text_quote(args->argv[0], strlen(args->argv[0]), q, sizeof(q)));
	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (vm_open(&vm, ctx->stack, &ctx->state, NULL, err) < 0)
		goto out;
	if (vm.journal.n == 0) {
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
