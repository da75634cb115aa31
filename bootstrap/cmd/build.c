/*
 * build: `ftboot build [--jobs N] [SERVICE...]`: the build step alone
 * (build.h), for every service or the ones named and their local bases;
 * no other step runs, so the VM must be up (the error says so when its
 * engine does not answer). Also the helpers `up` shares with it: --jobs
 * and the Ctrl-C handler that cancels the builds (exit 128 + signal).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cmd.h"
#include "text.h"
#include "ui.h"

#define JOBS_MAX 64

int cmd_jobs(const struct ctx *ctx, const struct cmd_args *args, int *jobs, struct err *err)
{
	const char *v = cmd_args_get(args, "jobs");
	char *end, q[80];
	long n;

	*jobs = 0;
	if (v == NULL)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > JOBS_MAX)
		return cmd_usage(ctx, err, "--jobs '%s' is not a number from 1 to %d",
		                 text_quote(v, strlen(v), q, sizeof(q)), JOBS_MAX);
	*jobs = (int)n;
	return 0;
}

void cmd_catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = build_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cmd_interrupted(struct ctx *ctx)
{
	if (build_signal)
		ctx->fail_status = 128 + build_signal;
}

int cmd_build(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct report report;
	struct build_opts o = {0};
	struct run run;
	int rc;

	if (cmd_jobs(ctx, args, &o.jobs, err) < 0 || cmd_ready(ctx, err) < 0)
		return -1;
	o.services = args->argc ? (const char *const *)args->argv : NULL;
	u.quiet = ctx->quiet;
	ui_report(&u, &report);
	run = cmd_run_of(ctx, &report);
	run.jobs = o.jobs;
	cmd_catch_interrupts();
	rc = build_images(&run, &o, err);
	ui_abort(&u);
	if (rc < 0)
		cmd_interrupted(ctx);
	return rc;
}
