/*
 * err: setting and wrapping the single error value that library code
 * returns to the command layer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void err_clear(struct err *err)
{
	err->code = ERR_OK;
	err->kind = ERRK_OTHER;
	err->errnum = 0;
	err->msg[0] = '\0';
}

__attribute__((format(printf, 3, 0))) static void err_vset(struct err *err, int code,
                                                           const char *fmt, va_list ap)
{
	err->code = code;
	err->kind = ERRK_OTHER;
	err->errnum = 0;
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

int err_setk(struct err *err, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, ERR_FAIL, fmt, ap);
	va_end(ap);
	err->kind = kind;
	return -1;
}

enum err_kind err_kind_of_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
		return ERRK_NOTFOUND;
	case EEXIST:
		return ERRK_EXISTS;
	case EACCES:
	case EPERM:
		return ERRK_DENIED;
	case ETIMEDOUT:
		return ERRK_TIMEOUT;
	case ECONNREFUSED:
	case ECONNRESET:
	case EAGAIN:
	case EINTR:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return ERRK_TRANSIENT;
	case ENOSYS:
	case EOPNOTSUPP:
		return ERRK_UNSUPPORTED;
	default:
		return ERRK_OTHER;
	}
}

const char *err_kind_name(enum err_kind kind)
{
	static const char *const names[] = {
	    [ERRK_OTHER] = "other",     [ERRK_NOTFOUND] = "not found",
	    [ERRK_EXISTS] = "exists",   [ERRK_TRANSIENT] = "transient",
	    [ERRK_TIMEOUT] = "timeout", [ERRK_DENIED] = "denied",
	    [ERRK_INVALID] = "invalid", [ERRK_UNSUPPORTED] = "unsupported",
	};

	if ((unsigned)kind < sizeof(names) / sizeof(names[0]) && names[kind])
		return names[kind];
	return "other";
}

int err_sys(struct err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, ERR_FAIL, fmt, ap);
	va_end(ap);
	err->errnum = errnum;
	err->kind = err_kind_of_errno(errnum);
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
