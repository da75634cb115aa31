/*
 * report: NULL-safe calls into a struct report.
 */
#include <stdarg.h>
#include <stdio.h>

#include "report.h"

#define REPORT_MSG_MAX 1024

/* Format fmt/ap and hand it to fn with r's ctx, if r and fn are set. */
static void report_v(const struct report *r, void (*fn)(void *, const char *), const char *fmt,
                     va_list ap)
{
	char msg[REPORT_MSG_MAX];

	if (fn == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fn(r->ctx, msg);
}

void report_step(const struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(r, r ? r->step : NULL, fmt, ap);
	va_end(ap);
}

void report_done(const struct report *r, const char *how)
{
	if (r && r->done)
		r->done(r->ctx, how);
}

void report_warn(const struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(r, r ? r->warn : NULL, fmt, ap);
	va_end(ap);
}

void report_info(const struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(r, r ? r->info : NULL, fmt, ap);
	va_end(ap);
}

void report_task_begin(const struct report *r, unsigned id, const char *name)
{
	if (r && r->task_begin)
		r->task_begin(r->ctx, id, name);
}

void report_task_update(const struct report *r, unsigned id, const char *text)
{
	if (r && r->task_update)
		r->task_update(r->ctx, id, text);
}

void report_task_end(const struct report *r, unsigned id, int ok, const char *how)
{
	if (r && r->task_end)
		r->task_end(r->ctx, id, ok, how);
}
