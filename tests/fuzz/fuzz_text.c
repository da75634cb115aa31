/*
 * fuzz_text: libFuzzer target for text.c's readers of user bytes: the
 * UTF-8 decoder, line:column counting and the message sanitiser.
 *
 *  - text_quote's output, for any bytes and any buffer size, is valid
 *    UTF-8 with no control character (C0, DEL, C1), fits the buffer, and
 *    is the input's printable prefix with '?' for what it hides, plus
 *    "..." when cut;
 *  - text_advance counted in two pieces, split at an ASCII byte that
 *    does not follow a CR, gives the same line and column as in one go;
 *    columns never pass the character count;
 *  - text_utf8_len agrees with a decoder written from RFC 3629's table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 3629, section 4: the well-formed byte sequences, as a table. */
static size_t utf8_ref(const uint8_t *s, size_t len)
{
	static const struct {
		uint8_t lo0, hi0, lo1, hi1;
		size_t n;
	} rows[] = {
	    {0x00, 0x7F, 0, 0, 1},       {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3},
	    {0xE1, 0xEC, 0x80, 0xBF, 3}, {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3},
	    {0xF0, 0xF0, 0x90, 0xBF, 4}, {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
	};
	size_t r, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		if (rows[r].n == 1)
			return 1;
		if (len < rows[r].n || s[1] < rows[r].lo1 || s[1] > rows[r].hi1)
			return 0;
		for (i = 2; i < rows[r].n; i++)
			if ((s[i] & 0xC0) != 0x80)
				return 0;
		return rows[r].n;
	}
	return 0;
}

/* Abort unless q (from text_quote of s[0..len)) keeps its promises. */
static void check_quote(const uint8_t *s, size_t len, const char *q, size_t size)
{
	size_t qlen = strlen(q), i = 0, j = 0, n;
	int cut = qlen >= 3 && memcmp(q + qlen - 3, "...", 3) == 0;

	if (qlen >= size)
		abort();
	if (cut)
		qlen -= 3;
	/* Walk the input and the output together. */
	while (j < qlen) {
		if (i >= len)
			abort();
		n = utf8_ref(s + i, len - i);
		if (q[j] == '?' && s[i] != '?') {
			i += n ? n : 1; /* a hidden character (or byte) */
			j++;
			continue;
		}
		if (n == 0 || memcmp(q + j, s + i, n) != 0)
			abort();
		if (s[i] < 0x20 || s[i] == 0x7F || (s[i] == 0xC2 && s[i + 1] < 0xA0))
			abort(); /* a control character came through */
		i += n;
		j += n;
	}
	if (!cut && i != len && size > 63)
		abort(); /* dropped input without saying so */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {1, 4, 5, 16, 80, 200};
	const char *text = (const char *)data;
	unsigned l1 = 1, c1 = 1, l2 = 1, c2 = 1;
	size_t i, k;
	char q[200];

	for (i = 0; i < size; i += k) {
		k = text_utf8_len(text + i, size - i);
		if (k != utf8_ref(data + i, size - i))
			abort();
		if (k == 0)
			k = 1;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		text_quote(text, size, q, sizes[i]);
		check_quote(data, size, q, sizes[i]);
	}

	text_advance(text, 0, size, &l1, &c1);
	if (c1 > size + 1 || l1 > size + 1)
		abort();
	for (k = size / 2; k < size && k > 3; k++) {
		if (data[k] < 0x80 && data[k - 1] != '\r') {
			text_advance(text, 0, k, &l2, &c2);
			text_advance(text, k, size, &l2, &c2);
			if (l1 != l2 || c1 != c2)
				abort();
			break;
		}
	}
	return 0;
}
