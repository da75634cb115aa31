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

/*
 * What kind of failure it was, for the code that decides what to do next
 * (try again, adopt, skip, report). The message is for the user; the kind
 * is for the program: no caller parses a message.
 */
enum err_kind {
	ERRK_OTHER = 0,  /* nothing more specific is known */
	ERRK_NOTFOUND,   /* the object or file does not exist */
	ERRK_EXISTS,     /* it exists already */
	ERRK_TRANSIENT,  /* trying again later may help: refused, reset, not up yet */
	ERRK_TIMEOUT,    /* a bound ran out while waiting */
	ERRK_DENIED,     /* permission, authentication or host key refused */
	ERRK_INVALID,    /* bad input: a file, a value, an answer that makes no sense */
	ERRK_UNSUPPORTED /* the peer or this machine cannot do it */
};

#define ERR_MSG_MAX 4096

struct err {
	int code;           /* the exit status (enum err_code) */
	enum err_kind kind; /* what kind of failure */
	int errnum;         /* the errno behind it, 0 when none */
	char msg[ERR_MSG_MAX];
};

/* Reset err to "no error". */
void err_clear(struct err *err);

/* Set err to code and a formatted message; always returns -1. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Like err_set with ERR_FAIL, kind set: for a failure whose kind the caller
 * knows. Returns -1.
 */
int err_setk(struct err *err, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Like err_set with ERR_FAIL, with ": strerror(errnum)" appended; keeps
 * errnum and derives the kind from it (ENOENT not found, EEXIST exists,
 * EACCES/EPERM denied, ETIMEDOUT timeout, ECONNREFUSED/ECONNRESET/EAGAIN/
 * EINTR/EHOSTUNREACH/ENETUNREACH transient). Returns -1.
 */
int err_sys(struct err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The kind of errnum, as err_sys derives it. */
enum err_kind err_kind_of_errno(int errnum);

/* The kind's name for messages and tests: "not found", "transient", ... */
const char *err_kind_name(enum err_kind kind);

/*
 * Prefix the message already in err with context: "context: message".
 * Keeps the code, kind and errnum. Returns -1 so callers can `return err_wrap(...)`.
 */
int err_wrap(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Append text to the message already in err, e.g. a hint on what to do.
 * Keeps the code, kind and errnum. Returns -1.
 */
int err_suffix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
