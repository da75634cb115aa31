/*
 * ui: how commands tell the user what is happening, on stderr: one line
 * per step ("network 'ftboot-ft' … created (0.4 s)"), warnings, and
 * download progress (progress.h), tasks side by side (image builds): on a
 * terminal one line per task redrawn in place, as `docker compose build`
 * does ("web   Step 2/3 : COPY . /app   4.1 s"), elsewhere plain
 * timestamped lines ("15:04:05 web      Step 2/3 : COPY . /app"). -q
 * keeps only errors. Implements struct report (report.h), the interface
 * every step reports through.
 */
#ifndef FTBOOT_UI_H
#define FTBOOT_UI_H

#include <time.h>

#include "progress.h"
#include "report.h"

struct ui_task; /* ui.c */

struct ui {
	int quiet;
	int tty;               /* stderr is a terminal (set by ui_report) */
	struct ui_task *tasks; /* the tasks shown, in the order they began */
	size_t ntasks, atasks, open;
	int drawn; /* task lines on screen below the cursor's line (tty) */
	int namew; /* the widest task name */
	struct timespec redrawn;
	int in_step;    /* a step line is open */
	char what[512]; /* the open step's label, shown again after a warning */
	struct timespec t0;
	struct progress progress;
};

/* A report that prints through u. */
void ui_report(struct ui *u, struct report *r);

/* End an open step line before an error is printed. */
void ui_abort(struct ui *u);

#endif
