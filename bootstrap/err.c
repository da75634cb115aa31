/*
 * err: setting and wrapping the single error value that library code
 * returns to the command layer.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

void err_clear(struct err *err)
{
	err->code = ERR_OK;
	err->msg[0] = '\0';
}

__attribute__((format(printf, 3, 0))) static void err_vset(struct err *err, int code,
                                                           const char *fmt, va_list ap)
{
	err->code = code;
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
}

/* Append s to the message, cut at the end of the buffer. */
static void err_append(struct err *err, const char *s)
{
	size_t len = strnlen(err->msg, sizeof(err->msg) - 1);
	size_t n = strnlen(s, sizeof(err->msg) - 1 - len);

	memcpy(err->msg + len, s, n);
	err->msg[len + n] = '\0';
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(struct err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, ERR_FAIL, fmt, ap);
	va_end(ap);
	err_append(err, ": ");
	err_append(err, strerror(errnum));
	return -1;
}

int err_wrap(struct err *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;

	/* Format first: an argument may point into err->msg. */
	va_start(ap, fmt);
	if (vsnprintf(prefix, sizeof(prefix), fmt, ap) < 0)
		prefix[0] = '\0';
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	err->msg[0] = '\0';
	err_append(err, prefix);
	err_append(err, ": ");
	err_append(err, old);
	if (err->code == ERR_OK)
		err->code = ERR_FAIL;
	return -1;
}

int err_suffix(struct err *err, const char *fmt, ...)
{
	char tail[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(tail, sizeof(tail), fmt, ap) < 0)
		tail[0] = '\0';
	va_end(ap);
	err_append(err, tail);
	if (err->code == ERR_OK)
		err->code = ERR_FAIL;
	return -1;
}
