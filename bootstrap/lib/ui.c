/*
 * ui: step lines, warnings and download progress on stderr for commands.
 */
#include <stdio.h>
#include <string.h>

#include "ui.h"

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void ui_step(void *ctx, const char *what)
{
	struct ui *u = ctx;

	ui_abort(u);
	clock_gettime(CLOCK_MONOTONIC, &u->t0);
	snprintf(u->what, sizeof(u->what), "%s", what);
	if (u->quiet)
		return;
	fprintf(stderr, "%s ... ", what);
	fflush(stderr);
	u->in_step = 1;
}

static void ui_done(void *ctx, const char *how)
{
	struct ui *u = ctx;

	if (u->in_step && !u->quiet)
		fprintf(stderr, "%s (%.1f s)\n", how, since(&u->t0));
	u->in_step = 0;
}

static void ui_warn(void *ctx, const char *msg)
{
	struct ui *u = ctx;
	int in_step = u->in_step;

	ui_abort(u);
	fprintf(stderr, "ftboot: warning: %s\n", msg);
	if (in_step && !u->quiet) {
		/* The step goes on: show its line again for its result. */
		fprintf(stderr, "%s ... ", u->what);
		u->in_step = 1;
	}
}

static void ui_info(void *ctx, const char *msg)
{
	struct ui *u = ctx;

	ui_abort(u);
	if (!u->quiet)
		fprintf(stderr, "%s\n", msg);
}

static void ui_download_begin(void *ctx, const char *label)
{
	struct ui *u = ctx;

	ui_abort(u);
	if (!u->quiet)
		progress_init(&u->progress, label, stderr);
}

static void ui_download_progress(void *ctx, unsigned long long done, unsigned long long total)
{
	struct ui *u = ctx;

	if (!u->quiet)
		progress_update(&u->progress, done, total);
}

static void ui_download_end(void *ctx, int ok)
{
	struct ui *u = ctx;

	if (!u->quiet)
		progress_end(&u->progress, ok);
}

void ui_report(struct ui *u, struct report *r)
{
	r->ctx = u;
	r->step = ui_step;
	r->done = ui_done;
	r->warn = ui_warn;
	r->info = ui_info;
	r->download_begin = ui_download_begin;
	r->download_progress = ui_download_progress;
	r->download_end = ui_download_end;
}

void ui_abort(struct ui *u)
{
	if (u->in_step && !u->quiet)
		fputc('\n', stderr);
	u->in_step = 0;
}
