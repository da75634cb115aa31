/* Unit tests: edit distance, suggestions, line/column counting. */
#include <stdlib.h>

#include "tap.h"
#include "text.h"

int main(void)
{
	static const char *const words[] = {"profile", "cpus", "memory", "disk", "network"};
	unsigned line = 1, col = 1;
	const char *t = "ab\ncd\xc3\xa9x";

	is_int(text_distance("", ""), 0, "empty");
	is_int(text_distance("cpus", "cpu"), 1, "deletion");
	is_int(text_distance("kitten", "sitting"), 3, "classic");
	is_int(
	    text_distance("a", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    64, "very long word is far");
	is_str(text_nearest("cpu", words, 5), "cpus", "nearest: cpu -> cpus");
	is_str(text_nearest("memroy", words, 5), "memory", "nearest: transposition");
	ok(text_nearest("zzz", words, 5) == NULL, "nothing near");
	ok(text_nearest("a", words, 5) == NULL, "a one-letter word is never 'near'");
	text_advance(t, 0, 7, &line, &col); /* up to the x */
	is_int(line, 2, "line after newline");
	is_int(col, 4, "column counts UTF-8 characters, not bytes");
	line = 1, col = 1;
	text_advance("a\rb\r\nc\xc2\x85\xe2\x80\xa8"
	             "d",
	             0, 11, &line, &col);
	is_int(line, 5, "CR, CR LF, NEL and LS each end a line, as in libyaml's marks");
	is_int(col, 1, "column 1 after a line break");
	line = 1, col = 1;
	text_advance("\xef\xbb\xbf\xc3\xa9x", 0, 5, &line, &col);
	is_int(col, 2, "a byte-order mark at the start is not a character");
	{
		static const char *const want[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
		                                   "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
		size_t i;

		for (i = 0; i < 7; i++) {
			char *b = text_base64("foobar", i, 0);

			is_str(b, want[i], "base64 RFC 4648 vector %zu", i);
			free(b);
		}
		{
			char *b = text_base64("foobar", 4, 1);

			is_str(b, "Zm9vYg", "base64 without padding");
			free(b);
		}
	}
	return tap_done();
}
