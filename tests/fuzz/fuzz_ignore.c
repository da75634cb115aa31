/*
 * fuzz_ignore: libFuzzer target for the .dockerignore reader and matcher.
 * The input is the file; each of its lines (and a few fixed paths) is
 * also matched as a path. Checks: a refusal names the file, line and
 * column; a match is 0 or 1 and the same twice; with no '!' in the file
 * (no exceptions) whatever excludes a directory excludes what is below
 * it, as moby's parent matching has it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignore.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ignore *ig, const char *path, int no_exceptions)
{
	int m = ignore_match(ig, path), d;
	char *below;

	if ((m != 0 && m != 1) || ignore_match(ig, path) != m)
		abort();
	d = ignore_may_include_below(ig, path);
	if (d != 0 && d != 1)
		abort();
	if (no_exceptions && d)
		abort();
	below = xasprintf("%s/x/y", path);
	if (no_exceptions && m && !ignore_match(ig, below))
		abort();
	free(below);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {"a",    "a/b",  "a/b/c",
	                                    ".git", "x.md", "\xc3\xa9/\xe2\x98\xba"};
	const char *text = (const char *)data;
	struct ignore *ig = NULL;
	struct err err;
	size_t i, b;
	int no_exc = memchr(data, '!', size) == NULL;

	if (ignore_parse(".dockerignore", text, size, &ig, &err) < 0) {
		if (strncmp(err.msg, ".dockerignore:", 14) != 0 || err.kind != ERRK_INVALID)
			abort();
		return 0;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check(ig, fixed[i], no_exc);
	for (b = 0, i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			char *p = xstrndup(text + b, i - b);

			if (*p && strlen(p) == i - b)
				check(ig, p, no_exc);
			free(p);
			b = i + 1;
		}
	}
	ignore_free(ig);
	return 0;
}
