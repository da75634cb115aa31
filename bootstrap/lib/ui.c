/*
 * ui: step lines, warnings, download progress and task lines on stderr
 * for commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "text.h"
#include "ui.h"
#include "xmem.h"

struct ui_task {
	unsigned id;
	char name[64];
	char text[96]; /* what it does now, sanitised */
	int state;     /* 0 running, 1 ended well, 2 ended badly */
	struct timespec t0;
	double secs; /* once ended */
};

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
	int in_step = u->in_step;

	ui_abort(u);
	if (u->quiet)
		return;
	fprintf(stderr, "%s\n", msg);
	if (in_step) {
		/* Said while a step runs (what it waits for): its line again, for its result. */
		fprintf(stderr, "%s ... ", u->what);
		u->in_step = 1;
	}
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

static struct ui_task *task_of(struct ui *u, unsigned id)
{
	size_t i;

	for (i = 0; i < u->ntasks; i++)
		if (u->tasks[i].id == id)
			return &u->tasks[i];
	return NULL;
}

static int term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* One task's line, cut to width columns (UTF-8 characters counted as one each). */
static void task_line(struct ui *u, const struct ui_task *t, int width)
{
	static const char *const marks[] = {"=>", "ok", "!!"};
	char line[256], secs[32];
	size_t len, i, n;
	int cols = 0;

	snprintf(secs, sizeof(secs), "%.1fs", t->state ? t->secs : since(&t->t0));
	snprintf(line, sizeof(line), "%s %-*s  %s", marks[t->state], u->namew, t->name, t->text);
	len = strlen(line);
	/* The time stays at the right end; the text gives way (it is UTF-8: text_quote). */
	for (i = 0; i < len; i += n) {
		if (cols + 2 + (int)strlen(secs) > width)
			break;
		n = text_utf8_len(line + i, len - i);
		n = n ? n : 1;
		cols++;
	}
	len = i;
	fprintf(stderr, "\r\033[K%.*s%*s%s\n", (int)len, line, width - cols - 1 - (int)strlen(secs),
	        "", secs);
}

/* Redraw every task line in place (tty): up over the lines drawn, then each. */
static void tasks_redraw(struct ui *u, int force)
{
	struct timespec now;
	int width = term_columns();
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && u->drawn == (int)u->ntasks && since(&u->redrawn) < 0.1)
		return;
	u->redrawn = now;
	if (u->drawn)
		fprintf(stderr, "\033[%dA", u->drawn);
	for (i = 0; i < u->ntasks; i++)
		task_line(u, &u->tasks[i], width);
	u->drawn = (int)u->ntasks;
	fflush(stderr);
}

/* A plain line for t: "15:04:05 web      TEXT". */
static void task_plain(struct ui *u, const struct ui_task *t, const char *text)
{
	char stamp[16];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s %-*s  %s\n", stamp, u->namew, t->name, text);
}

static void ui_task_begin(void *ctx, unsigned id, const char *name)
{
	struct ui *u = ctx;
	struct ui_task *t;

	ui_abort(u);
	if (u->ntasks == u->atasks) {
		u->atasks = u->atasks ? 2 * u->atasks : 8;
		u->tasks = xreallocarray(u->tasks, u->atasks, sizeof(*u->tasks));
	}
	t = &u->tasks[u->ntasks++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	text_quote(name, strlen(name), t->name, sizeof(t->name));
	snprintf(t->text, sizeof(t->text), "starting");
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	u->open++;
	if ((int)strlen(t->name) > u->namew)
		u->namew = (int)strlen(t->name);
	if (u->quiet)
		return;
	if (u->tty)
		tasks_redraw(u, 1);
	else
		task_plain(u, t, t->text);
}

static void ui_task_update(void *ctx, unsigned id, const char *text)
{
	struct ui *u = ctx;
	struct ui_task *t = task_of(u, id);

	if (t == NULL)
		return;
	text_quote(text, strlen(text), t->text, sizeof(t->text));
	if (u->quiet)
		return;
	if (u->tty)
		tasks_redraw(u, 0);
	else
		task_plain(u, t, t->text);
}

static void ui_task_end(void *ctx, unsigned id, int ok, const char *how)
{
	struct ui *u = ctx;
	struct ui_task *t = task_of(u, id);
	char line[160];

	if (t == NULL || t->state)
		return;
	t->state = ok ? 1 : 2;
	t->secs = since(&t->t0);
	snprintf(t->text, sizeof(t->text), "%s", how);
	u->open--;
	if (!u->quiet) {
		if (u->tty) {
			tasks_redraw(u, 1);
		} else {
			snprintf(line, sizeof(line), "%s (%.1f s)", how, t->secs);
			task_plain(u, t, line);
		}
	}
	if (u->open == 0) { /* the last one: the lines stay as they are */
		free(u->tasks);
		u->tasks = NULL;
		u->ntasks = u->atasks = 0;
		u->drawn = 0;
		u->namew = 0;
	}
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
	r->task_begin = ui_task_begin;
	r->task_update = ui_task_update;
	r->task_end = ui_task_end;
	u->tty = isatty(STDERR_FILENO);
}

void ui_abort(struct ui *u)
{
	if (u->in_step && !u->quiet)
		fputc('\n', stderr);
	u->in_step = 0;
}
