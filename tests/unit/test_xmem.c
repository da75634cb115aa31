/*
 * test_xmem: xasprintf, xstrndup, xreallocarray and friends (the
 * out-of-memory path aborts by design and is not exercised).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xmem.h"

static char *vwrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *vwrap(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

static void test_asprintf(void)
{
	char *s, *big;
	size_t i;
	int same = 1;

	s = xasprintf("%s-%d-%c", "ab", 42, 'z');
	is_str(s, "ab-42-z", "xasprintf formats");
	free(s);

	s = xasprintf("%s", "");
	ok(s != NULL, "xasprintf of \"\" is not NULL");
	is_str(s, "", "xasprintf of \"\"");
	free(s);

	big = xmalloc(100001);
	memset(big, 'q', 100000);
	big[100000] = '\0';
	s = xasprintf("<%s>", big);
	is_int(strlen(s), 100002, "xasprintf of a long string");
	for (i = 1; i <= 100000; i++)
		same &= s[i] == 'q';
	ok(same && s[0] == '<' && s[100001] == '>', "xasprintf long contents");
	free(s);
	free(big);

	s = vwrap("%d+%d", 1, 2);
	is_str(s, "1+2", "xvasprintf through a va_list");
	free(s);
}

static void test_strdup(void)
{
	char *s;

	s = xstrdup("hello");
	is_str(s, "hello", "xstrdup");
	free(s);

	s = xstrndup("hello", 3);
	is_str(s, "hel", "xstrndup cuts at n");
	free(s);

	s = xstrndup("hi", 10);
	is_str(s, "hi", "xstrndup stops at the NUL before n");
	free(s);

	s = xstrndup("hello", 0);
	is_str(s, "", "xstrndup with n 0");
	free(s);

	/* Not NUL-terminated within n: must not read past n. */
	{
		char raw[4] = {'a', 'b', 'c', 'd'};

		s = xstrndup(raw, sizeof(raw));
		is_str(s, "abcd", "xstrndup of an unterminated array");
		free(s);
	}
}

static void test_alloc(void)
{
	int *v = NULL;
	unsigned char *z;
	size_t i;
	int good = 1;

	v = xreallocarray(v, 10, sizeof(*v));
	ok(v != NULL, "xreallocarray from NULL");
	for (i = 0; i < 10; i++)
		v[i] = (int)i;
	v = xreallocarray(v, 1000, sizeof(*v));
	for (i = 0; i < 10; i++)
		good &= v[i] == (int)i;
	ok(good, "xreallocarray keeps contents when growing");
	v[999] = 7;
	v = xreallocarray(v, 5, sizeof(*v));
	good = 1;
	for (i = 0; i < 5; i++)
		good &= v[i] == (int)i;
	ok(good, "xreallocarray keeps contents when shrinking");
	v = xreallocarray(v, 0, sizeof(*v));
	ok(v != NULL, "xreallocarray to zero elements is not NULL");
	free(v);

	v = xreallocarray(NULL, 4, 0);
	ok(v != NULL, "xreallocarray with size 0 is not NULL");
	free(v);

	z = xcalloc(64, 1);
	good = 1;
	for (i = 0; i < 64; i++)
		good &= z[i] == 0;
	ok(good, "xcalloc zeroes");
	free(z);
	z = xcalloc(0, 0);
	ok(z != NULL, "xcalloc(0, 0) is not NULL");
	free(z);
	z = xmalloc(0);
	ok(z != NULL, "xmalloc(0) is not NULL");
	free(z);
}

int main(void)
{
	test_asprintf();
	test_strdup();
	test_alloc();
	return tap_done();
}
