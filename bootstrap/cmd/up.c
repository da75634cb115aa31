/*
 * up: `ftboot up [--until STEP] [--jobs N]`: converge the stack, step by
 * step, through the pipeline's table (step.h); with -v each step starts
 * with its line from the table; --jobs bounds the parallel builds. A step
 * with nothing to do for this stack (step.skip) says why and is passed;
 * a step not built yet stops the run with "not implemented yet" (exit 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "step.h"
#include "text.h"
#include "ui.h"

void cmd_up_help(void)
{
	const struct step *s;

	printf("\nSteps, in order:\n");
	for (s = step_table; s->name; s++)
		printf("  %-10s %s%s\n", s->name, s->summary, s->run ? "" : " (not built yet)");
}

int cmd_up(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct ui u = {0};
	struct report report;
	struct run run;
	const struct step *s, *last = NULL;
	const char *until = cmd_args_get(args, "until"), *why;
	char *names, q[80];
	int rc = 0, jobs;

	if (until && (last = step_find(until)) == NULL) {
		names = step_names(NULL, 0);
		err_set(err, ERR_USAGE, "no step '%s'; the steps are %s",
		        text_quote(until, strlen(until), q, sizeof(q)), names);
		free(names);
		return -1;
	}
	if (cmd_jobs(ctx, args, &jobs, err) < 0 || cmd_ready(ctx, err) < 0)
		return -1;
	u.quiet = ctx->quiet;
	ui_report(&u, &report);
	run = cmd_run_of(ctx, &report);
	run.until = until;
	run.jobs = jobs;
	/* Ctrl-C cancels running builds; in any other step it stops ftboot as before. */
	cmd_catch_interrupts();
	for (s = step_table; s->name && rc == 0; s++) {
		if (s->run == NULL) {
			names = step_names(s, 0);
			if (s == step_table)
				rc = err_set(err, ERR_NOTIMPL,
				             "the steps (%s) are not implemented yet", names);
			else
				rc = err_set(
				    err, ERR_NOTIMPL,
				    "step '%s' is done; the next steps (%s) are not implemented "
				    "yet (stop after it with: ftboot up --until %s)",
				    s[-1].name, names, s[-1].name);
			free(names);
			break;
		}
		if (s->skip && s->skip(&run, &why)) {
			report_info(&report, "step %s: skipped: %s", s->name, why);
			if (s == last)
				break;
			continue;
		}
		if (ctx->verbose)
			report_info(&report, "step %s: %s", s->name, s->summary);
		rc = s->run(&run, err);
		ui_abort(&u);
		if (s == last)
			break;
	}
	if (rc < 0)
		cmd_interrupted(ctx);
	return rc;
}
