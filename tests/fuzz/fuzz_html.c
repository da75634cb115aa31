/*
 * fuzz_html: libFuzzer target for the HTML readers (html.h), which read
 * what web applications answer the checks. The input is not
 * NUL-terminated and may hold NUL bytes: no reader may look past its end.
 * Every tag found lies inside the input and ends after it starts; every
 * text is at most the bound asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: ASan sees a read one byte past it. */
	char *s = xmalloc(size ? size : 1);
	const char *end = s + size, *p = s, *t, *te;
	char *v;
	int n = 0;

	memcpy(s, data, size);
	while ((t = html_tag(p, end, "input", &te)) != NULL && n++ < 64) {
		if (t < p || te <= t || te > end)
			abort();
		free(html_attr(t, te, "name"));
		free(html_attr(t, te, "value"));
		p = te;
	}
	if (html_find(s, end, "div", "id", "x", &t, &te) == 0 && (te <= t || te > end))
		abort();
	v = html_text(s, end, "div", 16);
	if (strlen(v) > 16)
		abort();
	free(v);
	free(html_decode(s, size));
	free(s);
	return 0;
}
