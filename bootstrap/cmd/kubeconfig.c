/*
 * kubeconfig: `ftboot kubeconfig`: the path of the stack's own
 * kubeconfig on stdout, for KUBECONFIG=$(ftboot kubeconfig) kubectl ...:
 * the state's for the VM's cluster (written by the provision step), the
 * stack's cluster.kubeconfig for a cluster of its own. Takes no lock and
 * creates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cluster.h"
#include "cmd.h"
#include "fs.h"
#include "xmem.h"

int cmd_kubeconfig(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct state st = {.lock_fd = -1};
	struct journal j = {0};
	struct run run = {0};
	char *path = NULL, *abs = NULL, cwd[4096];
	int rc = -1;

	(void)args;
	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (cluster_external(ctx->stack)) {
		path = xstrdup(ctx->stack->cluster.kubeconfig);
		if (!fs_exists(path)) {
			err_setk(
			    err, ERRK_NOTFOUND,
			    "the kubeconfig '%s' of stack '%s' does not exist (cluster.kubeconfig "
			    "in %s)",
			    path, ctx->stack->name, ctx->stack->path);
			goto out;
		}
	} else {
		if (cmd_peek_state(ctx, 0, &st, &j, &run, err) < 0)
			goto out;
		path = cluster_state_kubeconfig(&st);
		if (!fs_exists(path)) {
			err_setk(err, ERRK_NOTFOUND,
			         "the cluster of stack '%s' is not set up yet (ftboot up --until "
			         "provision)",
			         ctx->stack->name);
			goto out;
		}
	}
	/* Absolute, so that it serves from any directory. */
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			err_sys(err, errno, "cannot name the current directory");
			goto out;
		}
		abs = path_join(cwd, path);
	}
	printf("%s\n", abs ? abs : path);
	rc = 0;
out:
	free(path);
	free(abs);
	journal_close(&j);
	state_close(&st);
	return rc;
}
