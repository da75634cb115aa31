/*
 * xmem: allocation that never returns NULL. Out of memory aborts with a
 * message (tmux, crun): there is nothing sensible to recover to.
 */
#ifndef FTBOOT_XMEM_H
#define FTBOOT_XMEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
