/*
 * ui: how commands tell the user what is happening, on stderr: one line
 * per step ("network 'ftboot-ft' … created (0.4 s)"), warnings, and
 * download progress (progress.h). -q keeps only errors. Implements
 * struct vm_hooks.
 */
#ifndef FTBOOT_UI_H
#define FTBOOT_UI_H

#include <time.h>

#include "progress.h"
#include "vm.h"

struct ui {
	int quiet;
	int in_step;    /* a step line is open */
	char what[512]; /* the open step's label, shown again after a warning */
	struct timespec t0;
	struct progress progress;
};

/* Hooks that print through u. */
void ui_hooks(struct ui *u, struct vm_hooks *hooks);

/* End an open step line before an error is printed. */
void ui_abort(struct ui *u);

#endif
