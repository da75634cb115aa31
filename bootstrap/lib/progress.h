/*
 * progress: how the command layer shows a transfer's progress on stderr.
 * Not library code: it prints (and only it and the commands do). On a
 * terminal, one line redrawn in place (curl's tool_cb_prg.c, git's
 * progress.c):
 *
 *   downloading alpine  42%  120.3 MiB/280.0 MiB  12.1 MiB/s
 *
 * Elsewhere (logs, CI) plain lines: one when bytes start to arrive, one
 * at each further 10%, one at the end.
 */
#ifndef FTBOOT_PROGRESS_H
#define FTBOOT_PROGRESS_H

#include <stdio.h>
#include <time.h>

struct progress {
	FILE *fp;
	const char *label; /* borrowed: "downloading alpine" */
	int tty;           /* redraw one line in place */
	int started;       /* something was printed */
	int width;         /* columns of the line on screen (tty) */
	unsigned step;     /* last 10% step printed (plain) */
	unsigned long long first, done, total;
	struct timespec t0, drawn;
};

/*
 * Start showing progress of label on fp (usually stderr); a terminal
 * gets the redrawn line. Prints nothing until the first update.
 */
void progress_init(struct progress *p, const char *label, FILE *fp);

/*
 * An http_progress_fn: ctx is a struct progress. done of total bytes,
 * total 0 when unknown. Redraws at most 10 times a second.
 */
void progress_update(void *ctx, unsigned long long done, unsigned long long total);

/*
 * Finish: with ok, "LABEL: done, SIZE in T s (RATE)"; without, only end
 * the terminal line so that the error printed next starts on its own.
 * Prints nothing if there was never an update (say, a cached file).
 */
void progress_end(struct progress *p, int ok);

/* "12.3 MiB" (binary units, "512 B" below 1 KiB) into out. */
void progress_size(unsigned long long bytes, char *out, size_t len);

#endif
