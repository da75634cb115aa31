/*
 * test_ui: the task lines of the report (report.h) as ui.c prints them
 * on stderr: plain timestamped lines when stderr is not a terminal, one
 * line per task redrawn in place on one, control characters in a task's
 * text made harmless, -q printing nothing, ids that are not open ignored.
 * stderr goes to a file for each case.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "scratch.h"
#include "tap.h"
#include "ui.h"

static char *tmp;

/* Run body with stderr into a file; what it printed. */
static char *capture(void (*body)(struct ui *u, const struct report *r), int tty, int quiet)
{
	char *path = path_join(tmp, "stderr");
	struct ui u = {0};
	struct report r;
	int fd, saved;
	char *text;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	ui_report(&u, &r);
	u.tty = tty;
	u.quiet = quiet;
	body(&u, &r);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	text = scratch_slurp(path);
	unlink(path);
	free(path);
	return text;
}

static void two_tasks(struct ui *u, const struct report *r)
{
	(void)u;
	report_task_begin(r, 0, "base");
	report_task_begin(r, 1, "application");
	report_task_update(r, 0, "Step 1/2 : FROM scratch");
	report_task_update(r, 7, "no such task");
	report_task_end(r, 0, 1, "built ftboot/base:0123456789ab");
	report_task_update(r, 1, "Step 2/2 : RUN echo \x1b[2Jboom");
	report_task_end(r, 1, 0, "failed at Step 2/2");
	report_task_end(r, 1, 1, "a second end is ignored");
}

static int matches(const char *text, const char *re)
{
	regex_t rx;
	int rc;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE) != 0)
		return 0;
	rc = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return rc;
}

static void test_plain(void)
{
	char *t = capture(two_tasks, 0, 0);
	size_t lines = 0;
	const char *p;

	for (p = t; p && *p; p++)
		lines += *p == '\n';
	is_int(lines, 6, "plain: one line per begin, update and end of an open task");
	ok(matches(t, "^[0-9]{2}:[0-9]{2}:[0-9]{2} base  starting$"),
	   "plain: 'HH:MM:SS NAME  starting', names padded to the widest so far");
	ok(matches(t, "^[0-9:]{8} base         Step 1/2 : FROM scratch$"), "plain: an update");
	ok(matches(
	       t, "^[0-9:]{8} base         built ftboot/base:0123456789ab \\([0-9]+\\.[0-9] s\\)$"),
	   "plain: the end with its time");
	ok(matches(t, "^[0-9:]{8} application  failed at Step 2/2 \\([0-9.]+ s\\)$"),
	   "plain: a failed end");
	ok(strchr(t, '\x1b') == NULL, "plain: the escape in the step's text is not printed");
	ok(matches(t, "Step 2/2 : RUN echo \\?\\[2Jboom$"), "plain: it is a '?'");
	ok(strstr(t, "no such task") == NULL && strstr(t, "second end") == NULL,
	   "plain: an unknown id and a second end print nothing");
	free(t);
}

static void test_tty(void)
{
	char *t = capture(two_tasks, 1, 0);
	const char *last;
	size_t ups = 0;
	const char *p;

	for (p = t; (p = strstr(p, "\x1b[")) != NULL; p += 2)
		ups += matches(p, "^\x1b\\[[0-9]+A");
	ok(ups >= 3, "tty: the lines are redrawn in place (cursor up, %zu times)", ups);
	last = strrchr(t, '\r');
	ok(last && strstr(t, "\x1b[2J") == NULL, "tty: the step's own escape is not passed on");
	ok(matches(t, "ok base +built ftboot/base:0123456789ab +[0-9.]+s$"),
	   "tty: a line a task: mark, name, what it does, time at the right");
	ok(matches(last, "!! application +failed at Step 2/2 +[0-9.]+s\n$"),
	   "tty: the last drawing ends with the failed task's line");
	free(t);
}

static void test_quiet(void)
{
	char *t = capture(two_tasks, 0, 1), *t2 = capture(two_tasks, 1, 1);

	is_str(t, "", "-q: nothing (plain)");
	is_str(t2, "", "-q: nothing (tty)");
	free(t);
	free(t2);
}

static void reuse(struct ui *u, const struct report *r)
{
	(void)u;
	report_task_begin(r, 0, "a");
	report_task_end(r, 0, 1, "up to date");
	report_task_begin(r, 0, "b");
	report_task_end(r, 0, 1, "built");
}

static void test_reuse(void)
{
	char *t = capture(reuse, 0, 0);

	ok(matches(t, "^[0-9:]{8} b  built \\("), "an id can be used again once its task ended");
	free(t);
}

int main(void)
{
	tmp = scratch_open("ui");
	test_plain();
	test_tty();
	test_quiet();
	test_reuse();
	scratch_close(tmp);
	return tap_done();
}
