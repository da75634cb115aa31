/*
 * report: the one interface through which every step of the pipeline
 * (step.h) and `down` (teardown.h) tell the user what is happening. The
 * library prints nothing; the command layer fills a struct report (ui.c
 * prints it on stderr) or leaves it NULL (silence, as in unit tests).
 */
#ifndef FTBOOT_REPORT_H
#define FTBOOT_REPORT_H

struct report {
	void *ctx;
	/* A step starts ("network 'ftboot-ft'") ... */
	void (*step)(void *ctx, const char *what);
	/* ... and ends well, with a word on how ("done", "exists", "cached"). */
	void (*done)(void *ctx, const char *how);
	/* Something the user should know that is not an error. */
	void (*warn)(void *ctx, const char *msg);
	/* A result worth a line of its own ("vm 'ftboot-ft' is up at ..."). */
	void (*info)(void *ctx, const char *msg);
	/* A download starts, goes on, ends. */
	void (*download_begin)(void *ctx, const char *label);
	void (*download_progress)(void *ctx, unsigned long long done, unsigned long long total);
	void (*download_end)(void *ctx, int ok);
	/*
	 * Tasks that run side by side (one image build each): a task starts
	 * with its name, goes on (text: what it does now, "Step 2/3 : COPY
	 * ..."), ends well or not with a word on how ("built", "up to date",
	 * "failed", "cancelled"). id is the caller's, unique among the
	 * tasks open. The caller serialises the calls (one at a time, from
	 * any thread); nothing else is reported while tasks are open.
	 */
	void (*task_begin)(void *ctx, unsigned id, const char *name);
	void (*task_update)(void *ctx, unsigned id, const char *text);
	void (*task_end)(void *ctx, unsigned id, int ok, const char *how);
};

/*
 * Call r's hook if r and the hook are set; the formatted ones cut their
 * text at 1 KiB. Each is safe with r NULL.
 */
void report_step(const struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_done(const struct report *r, const char *how);
void report_warn(const struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_info(const struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_task_begin(const struct report *r, unsigned id, const char *name);
void report_task_update(const struct report *r, unsigned id, const char *text);
void report_task_end(const struct report *r, unsigned id, int ok, const char *how);

#endif
