/*
 * fuzz_path: libFuzzer target for the lexical path cleaner (path_clean,
 * path_join, path_dir, path_base in fs.c), which every file ftboot reads
 * from a stack (srcs/, templates/, images/) goes through. Input: two
 * paths split at the first newline. Properties of c = path_clean(p):
 *
 *  - cleaning twice changes nothing; c is never empty;
 *  - c is absolute exactly when p is; no empty or "." component (but
 *    c == "."), no trailing slash (but c == "/"), and ".." only as a
 *    run of leading components of a relative path;
 *  - path_join(a, b) is path_clean("a/b") for relative b, path_clean(b)
 *    for absolute b; and path_join(path_dir(c), path_base(c)) == c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *p, const char *c)
{
	const char *s = c;
	char *again = path_clean(c);
	size_t n;
	int leading = 1;

	if (strcmp(again, c) != 0 || c[0] == '\0' || (p[0] == '/') != (c[0] == '/'))
		abort();
	free(again);
	if (strcmp(c, ".") == 0 || strcmp(c, "/") == 0)
		return;
	if (*s == '/')
		s++, leading = 0; /* no ".." right under the root */
	for (;;) {
		n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.'))
			abort();
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (!leading)
				abort();
		} else {
			leading = 0;
		}
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = xstrndup((const char *)data, size), *b = strchr(a, '\n');
	char *ca, *cb, *j, *ab, *want, *d;

	if (b != NULL)
		*b++ = '\0';
	else
		b = a + strlen(a);
	ca = path_clean(a);
	cb = path_clean(b);
	check_clean(a, ca);
	check_clean(b, cb);

	j = path_join(a, b);
	if (b[0] == '/' || a[0] == '\0') {
		want = xstrdup(cb);
	} else {
		ab = xasprintf("%s/%s", a, b);
		want = path_clean(ab);
		free(ab);
	}
	if (strcmp(j, want) != 0)
		abort();

	d = path_dir(ca);
	free(j);
	j = path_join(d, path_base(ca));
	if (strcmp(j, ca) != 0)
		abort();

	free(d);
	free(j);
	free(want);
	free(ca);
	free(cb);
	free(a);
	return 0;
}
