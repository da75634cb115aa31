/*
 * err: the one error type of ftboot. Library code fills a struct err and
 * returns -1; only main.c prints it, once.
 */
#ifndef FTBOOT_ERR_H
#define FTBOOT_ERR_H

#include <stdarg.h>

/* Error codes double as the process exit status. */
enum err_code {
	ERR_OK = 0,
	ERR_FAIL = 1,    /* anything that went wrong */
	ERR_USAGE = 2,   /* bad command line */
	ERR_NOTIMPL = 3, /* the command is not built yet */
	ERR_BUSY = 4,    /* another ftboot holds the stack's lock */
};

#define ERR_MSG_MAX 4096

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Reset err to "no error". */
void err_clear(struct err *err);

/* Set err to code and a formatted message; always returns -1. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like err_set, with ": strerror(errnum)" appended. Returns -1. */
int err_sys(struct err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with context: "context: message".
 * Keeps the code. Returns -1 so callers can `return err_wrap(...)`.
 */
int err_wrap(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Append text to the message already in err, e.g. a hint on what to do.
 * Keeps the code. Returns -1.
 */
int err_suffix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
