/*
 * ui: how commands tell the user what is happening, on stderr: one line
 * per step ("network 'ftboot-ft' … created (0.4 s)"), warnings, and
 * download progress (progress.h). -q keeps only errors. Implements
 * struct report (report.h), the interface every step reports through.
 */
#ifndef FTBOOT_UI_H
#define FTBOOT_UI_H

#include <time.h>

#include "progress.h"
#include "report.h"

struct ui {
	int quiet;
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
