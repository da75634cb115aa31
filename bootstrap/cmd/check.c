/*
 * check: `ftboot check`: run srcs/checks.yaml (check.h) against the
 * running stack and report each check. Takes no lock and creates
 * nothing, like status: the state's secrets and keys are only read.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "fs.h"
#include "ipv4.h"
#include "mono.h"
#include "render.h"
#include "text.h"
#include "xmem.h"

/*
 * Live progress on stderr while a terminal watches: a line per check as
 * it ends (they end out of order: they run side by side), its title
 * cleaned like every text of a result.
 */
struct live {
	const struct check_env *env;
	size_t done;
};

static void live_begin(void *ctx, const struct check_def *def)
{
	(void)ctx;
	(void)def;
}

static void live_end(void *ctx, const struct check_result *res)
{
	struct live *l = ctx;
	char *title = check_clean(l->env, res->def->title);

	l->done++;
	fprintf(stderr, "  %-9s %-4s %6.2fs  %s\n", res->def->id, check_status_name(res->status),
	        res->seconds, title);
	free(title);
}

/* Write b to path (0644: results hold no secret), naming the option and the file on failure. */
static int write_out(const char *opt, const char *path, const struct buf *b, struct err *err)
{
	if (fs_write_atomic(path, b->data ? b->data : "", b->len, 0644, 0, err) < 0) {
		char q[80];

		return err_wrap(err, "%s '%s'", opt, text_quote(path, strlen(path), q, sizeof(q)));
	}
	return 0;
}

/*
 * Before any check runs: the directory an output file goes into exists
 * and may be written, so a mistyped path does not cost a whole run.
 */
static int out_dir_ok(struct ctx *ctx, const char *opt, const char *path, struct err *err)
{
	char *dir = path_dir(path), q[80];
	struct stat sb;
	int rc = 0;

	if (*path == '\0')
		rc = cmd_usage(ctx, err, "%s needs a file name", opt);
	else if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		rc = cmd_usage(ctx, err, "%s '%s': its directory does not exist", opt,
		               text_quote(path, strlen(path), q, sizeof(q)));
	else if (access(dir, W_OK) < 0)
		rc = err_sys(err, errno, "%s '%s': cannot write in its directory", opt,
		             text_quote(path, strlen(path), q, sizeof(q)));
	else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		rc = cmd_usage(ctx, err, "%s '%s' is a directory; name a file", opt,
		               text_quote(path, strlen(path), q, sizeof(q)));
	free(dir);
	return rc;
}

/* The table's colours: a terminal that is not dumb, and no NO_COLOR (no-color.org). */
static int want_color(void)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");

	return !(no && *no) && term && *term && strcmp(term, "dumb") != 0;
}

int cmd_check(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct state st = {0};
	struct journal j = {0};
	struct run run = {0};
	struct tmpl_vars vars = {0};
	struct checklist cl = {0};
	struct check_env env = {0};
	struct check_select sel = {0};
	struct check_result *res = NULL;
	struct check_summary sum;
	struct live lv = {&env, 0};
	struct check_progress live = {&lv, live_begin, live_end};
	struct buf out = BUF_INIT(64u << 20);
	const char *junit = cmd_args_get(args, "junit"), *report = cmd_args_get(args, "report");
	const char *address = cmd_args_get(args, "address"), *v;
	unsigned long timeout_ms = 0;
	char *path = NULL;
	size_t n = 0;
	double t0;
	int rc = -1, jobs = 0, json = cmd_args_has(args, "json");

	if (cmd_jobs(ctx, args, &jobs, err) < 0)
		return -1;
	sel.jobs = jobs;
	if ((v = cmd_args_get(args, "timeout"))) {
		char *end, q[80];
		long t;

		errno = 0;
		t = strtol(v, &end, 10);
		if (errno || end == v || *end || t < 1 || t > 3600)
			return cmd_usage(ctx, err,
			                 "--timeout '%s' is not a number of seconds from 1 to 3600",
			                 text_quote(v, strlen(v), q, sizeof(q)));
		timeout_ms = (unsigned long)t * 1000;
	}
	sel.only = cmd_args_get(args, "only");
	sel.fail_fast = cmd_args_has(args, "fail-fast");
	sel.destructive = cmd_args_has(args, "destructive") || cmd_args_has(args, "all");
	if (sel.only && cmd_args_has(args, "all"))
		return cmd_usage(ctx, err, "--only and --all do not go together");
	if (address) {
		uint32_t a;
		char q[80];

		if (ipv4_parse(address, &a) < 0)
			return cmd_usage(
			    ctx, err, "--address '%s' is not an IPv4 address (like 192.168.61.10)",
			    text_quote(address, strlen(address), q, sizeof(q)));
	}
	if ((junit && out_dir_ok(ctx, "--junit", junit, err) < 0) ||
	    (report && out_dir_ok(ctx, "--report", report, err) < 0))
		return -1;
	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (cmd_peek_state(ctx, 0, &st, &j, &run, err) < 0)
		goto out;
	if (check_env_open(&env, &run, address, err) < 0)
		goto out;
	env.timeout_ms = timeout_ms;
	if (render_vars_peek(ctx->stack, state_exists(&st) ? &st : NULL, &vars, err) < 0)
		goto out;
	/* The checks target the address checked. */
	tmpl_vars_set(&vars, "lb_ip", doc_new_str(env.address));
	{
		/* Beside the stack file, named as it is (relative to here when below). */
		char *dir = path_dir(ctx->stack->path);

		path = path_join(dir, "checks.yaml");
		free(dir);
	}
	if (checklist_load(path, ctx->stack, &vars, &cl, err) < 0)
		goto out;
	t0 = mono_now();
	if (check_run_all(&env, &cl, &sel, !json && !ctx->quiet && isatty(2) ? &live : NULL, &res,
	                  &n, err) < 0)
		goto out;
	check_summarize(res, n, mono_now() - t0, &sum);
	if (json        ? check_out_json(&env, res, n, &sum, &out, err) < 0
	    : isatty(1) ? check_out_table(&env, res, n, &sum, want_color(), &out, err) < 0
	                : check_out_plain(&env, res, n, &sum, &out, err) < 0)
		goto out;
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	fflush(stdout);
	if (junit) {
		buf_reset(&out);
		if (check_out_junit(&env, res, n, &sum, &out, err) < 0 ||
		    write_out("--junit", junit, &out, err) < 0)
			goto out;
	}
	if (report) {
		buf_reset(&out);
		if (check_out_html(&env, res, n, &sum, &out, err) < 0 ||
		    write_out("--report", report, &out, err) < 0)
			goto out;
	}
	if (sum.failed || sum.skipped || sum.notrun) {
		err_set(err, ERR_FAIL,
		        "%zu of %zu checks did not pass (%zu failed, %zu skipped, %zu not run)",
		        sum.failed + sum.skipped + sum.notrun, n, sum.failed, sum.skipped,
		        sum.notrun);
		goto out;
	}
	rc = 0;
out:
	check_results_free(res, n);
	checklist_release(&cl);
	check_env_release(&env);
	tmpl_vars_release(&vars);
	buf_release(&out);
	free(path);
	journal_close(&j);
	state_close(&st);
	return rc;
}
