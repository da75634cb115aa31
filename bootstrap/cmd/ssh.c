/*
 * ssh: `ftboot ssh [-- COMMAND [ARG...]]`: an interactive shell in the
 * VM, or one command, over SSH with the host key pinned when the VM was
 * made. As with ssh(1), the exit status is the remote command's, and
 * ftboot's own failures exit 255 (SSH_OWN_FAILURE), so that a remote
 * `exit 2` or `exit 4` is not read as a usage error or a busy stack.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vm.h"

#define SSH_OWN_FAILURE 255

int cmd_ssh(struct ctx *ctx, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	struct vm vm;
	struct ssh *s = NULL;
	char *command = NULL;
	const char *sig;
	int c, status = 0, rc = -1;

	ctx->fail_status = SSH_OWN_FAILURE;
	c = getopt_long(argc, argv, "+:", opts, NULL);
	if (c != -1)
		return cmd_bad_option(ctx, c, argv, err);
	/* [SERVICE] [-- COMMAND [ARG...]]; getopt has skipped a leading "--". */
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		if (optind + 1 < argc && strcmp(argv[optind + 1], "--") != 0)
			return cmd_usage(ctx, err, "unexpected argument '%s'", argv[optind + 1]);
		return err_set(err, ERR_NOTIMPL,
		               "a shell in a service's container ('%s') comes with the cluster "
		               "steps, which are not implemented yet; 'ftboot ssh' opens one in "
		               "the VM",
		               argv[optind]);
	}
	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (vm_open(&vm, ctx->stack, &ctx->state, NULL, err) < 0)
		goto out;
	if (vm.journal.n == 0) {
		err_set(err, ERR_FAIL, "stack '%s' has no VM yet; run 'ftboot up --until vm'",
		        ctx->stack->name);
		goto out;
	}
	if (optind < argc)
		command = ssh_command_of_argv(argv + optind, argc - optind);
	if (vm_ssh(&vm, 10000, &s, err) < 0 || ssh_shell(s, command, &status, err) < 0)
		goto out;
	sig = ssh_exit_signal(s);
	if (sig && !ctx->quiet)
		fprintf(stderr, "ftboot ssh: the remote %s was killed by signal %s\n",
		        command ? "command" : "shell", sig);
	ctx->status = status;
	rc = 0;
out:
	ssh_close(s);
	vm_close(&vm);
	free(command);
	return rc;
}
