/*
 * split.h: the property the fuzz targets of stream parsers share
 * (header-only, beside the targets): a stream may be cut anywhere. The
 * first two input bytes choose two cuts in the rest; the parser's run
 * over the whole text, over the three pieces, and byte by byte (up to
 * 4 KiB) must give the same events, the same final id and the same end
 * (its return, and the same message on an error), and an error message
 * holds no control character. Any difference aborts, for libFuzzer.
 */
#ifndef FTBOOT_FUZZ_SPLIT_H
#define FTBOOT_FUZZ_SPLIT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/*
 * One run of the parser over text[0..len), fed in the pieces [0,a),
 * [a,b), [b,len), or byte by byte when bytewise: its events appended to
 * log, its final id (a new string, or NULL) in *id, its return value
 * (err set when -1).
 */
typedef int (*fuzz_split_run)(const char *text, size_t len, size_t a, size_t b, int bytewise,
                              struct buf *log, char **id, struct err *err);

static void fuzz_split_same(int rc1, const struct buf *l1, const char *id1, const struct err *e1,
                            int rc2, const struct buf *l2, const char *id2, const struct err *e2)
{
	if (rc1 != rc2 || l1->len != l2->len || memcmp(buf_cstr(l1), buf_cstr(l2), l1->len) != 0)
		abort();
	if ((id1 == NULL) != (id2 == NULL) || (id1 && strcmp(id1, id2) != 0))
		abort();
	if (rc1 < 0 && strcmp(e1->msg, e2->msg) != 0)
		abort();
}

/* Check the property on data[0..size); the whole run's return value. */
static inline int fuzz_split(const uint8_t *data, size_t size, fuzz_split_run run)
{
	struct buf whole = BUF_INIT(1 << 22), cut = BUF_INIT(1 << 22), bytes = BUF_INIT(1 << 22);
	struct err e1, e2, e3;
	const char *text, *p;
	char *id1, *id2, *id3 = NULL;
	size_t len, a, b;
	int rc1, rc2, rc3;

	if (size < 2)
		return 0;
	text = (const char *)data + 2;
	len = size - 2;
	a = len ? data[0] % (len + 1) : 0;
	b = a + (len - a ? data[1] % (len - a + 1) : 0);

	rc1 = run(text, len, len, len, 0, &whole, &id1, &e1);
	rc2 = run(text, len, a, b, 0, &cut, &id2, &e2);
	fuzz_split_same(rc1, &whole, id1, &e1, rc2, &cut, id2, &e2);
	if (len <= 4096) {
		rc3 = run(text, len, 0, 0, 1, &bytes, &id3, &e3);
		fuzz_split_same(rc1, &whole, id1, &e1, rc3, &bytes, id3, &e3);
	}
	if (rc1 < 0)
		for (p = e1.msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				abort();
	free(id1);
	free(id2);
	free(id3);
	buf_release(&whole);
	buf_release(&cut);
	buf_release(&bytes);
	return rc1;
}

#endif
