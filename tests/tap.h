/*
 * tap.h: a small TAP producer for unit tests (header-only).
 *
 *   ok(cond, "name %d", i);  is_int(got, want, "name");  is_str(got, want, "name");
 *   skip_all("reason") exits 77;  return tap_done();
 *
 * The plan is printed at the end ("1..N"); the exit status is 1 if any
 * test failed.
 */
#ifndef FTBOOT_TAP_H
#define FTBOOT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 4, 5))) static int tap_ok(int pass, const char *file, int line,
                                                        const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);                   \
		if (!tap_ok(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__))                    \
			printf("#   got %lld, want %lld\n", tap_g_, tap_w_);                       \
	} while (0)

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *tap_g_ = (got), *tap_w_ = (want);                                      \
		int tap_p_ = tap_g_ && tap_w_ ? strcmp(tap_g_, tap_w_) == 0 : tap_g_ == tap_w_;    \
		if (!tap_ok(tap_p_, __FILE__, __LINE__, __VA_ARGS__))                              \
			printf("#   got  '%s'\n#   want '%s'\n", tap_g_ ? tap_g_ : "(null)",       \
			       tap_w_ ? tap_w_ : "(null)");                                        \
	} while (0)

/* A test that does not apply here: counted as skipped, with its reason. */
#define skip(reason)                                                                               \
	do {                                                                                       \
		tap_count++;                                                                       \
		printf("ok %d # SKIP %s\n", tap_count, reason);                                    \
	} while (0)

/* The whole file cannot run here: say why and exit 77. */
static inline void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	exit(77);
}

__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
