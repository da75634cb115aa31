/*
 * buf: the one growable byte buffer, always NUL-terminated, with a hard
 * limit (git strbuf, curl dynbuf). Every HTTP body, SSH output and rendered
 * template lives in one, so no peer can make ftboot grow without bound.
 */
#ifndef FTBOOT_BUF_H
#define FTBOOT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NULL until the first byte; see buf_cstr */
	size_t len;   /* bytes used, not counting the NUL */
	size_t cap;   /* bytes allocated */
	size_t limit; /* most bytes the buffer may hold */
};

#define BUF_INIT(lim)                                                                              \
	{                                                                                          \
		NULL, 0, 0, (lim)                                                                  \
	}

void buf_init(struct buf *b, size_t limit);

/* Append; -1 (and nothing appended) when the limit would be passed. */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a C string; "" for an empty buffer. Borrowed. */
const char *buf_cstr(const struct buf *b);

/* Hand the contents to the caller (never NULL) and empty the buffer. */
char *buf_detach(struct buf *b, size_t *len);

/* Forget the contents but keep the memory and limit. */
void buf_reset(struct buf *b);

/* Free the memory; the buffer can be used again. */
void buf_release(struct buf *b);

#endif
