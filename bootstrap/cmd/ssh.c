/*
 * ssh: `ftboot ssh [SERVICE] [-- COMMAND [ARG...]]`: an interactive shell
 * in the VM, or one command, over SSH with the host key pinned when the
 * VM was made. As with ssh(1), the exit status is the remote command's,
 * and ftboot's own failures exit 255 (the entry's fail_status), so that a
 * remote `exit 2` or `exit 4` is not read as a usage error or a busy stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "text.h"
#include "vm.h"

int cmd_ssh(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct run run = {0};
	struct vm vm;
	struct ssh *s = NULL;
	char *command = NULL;
	const char *sig;
	char q[80];
	int status = 0, rc = -1;

	if (args->before_dashdash > 1) {
		const char *extra = args->argv[1];

		return cmd_usage(ctx, err, "unexpected argument '%s'",
		                 text_quote(extra, strlen(extra), q, sizeof(q)));
	}
	if (args->before_dashdash == 1)
		return err_set(err, ERR_NOTIMPL,
		               "a shell in a service's container ('%s') comes with the cluster "
		               "steps, which are not implemented yet; 'ftboot ssh' opens one in "
		               "the VM",
		               text_quote(args->argv[0], strlen(args->argv[0]), q, sizeof(q)));
	if (cmd_ready(ctx, err) < 0)
		return -1;
	run = cmd_run_of(ctx, NULL);
	if (vm_open(&vm, &run, err) < 0)
		goto out;
	if (vm.journal->n == 0) {
		err_set(err, ERR_FAIL, "stack '%s' has no VM yet; run 'ftboot up --until vm'",
		        ctx->stack->name);
		goto out;
	}
	if (args->argc > 0)
		command = ssh_command_of_argv(args->argv, args->argc);
	if (vm_ssh(&vm, 10000, &s, err) < 0 || ssh_shell(s, command, &status, err) < 0)
		goto out;
	sig = ssh_exit_signal(s);
	if (sig && !ctx->quiet)
		fprintf(stderr, "ftboot ssh: the remote %s was killed by signal %s\n",
		        command ? "command" : "shell", text_quote(sig, strlen(sig), q, sizeof(q)));
	ctx->status = status;
	rc = 0;
out:
	ssh_close(s);
	vm_close(&vm);
	free(command);
	return rc;
}
