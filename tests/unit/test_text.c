/* Unit tests: edit distance, suggestions, line/column counting. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "text.h"

int main(void)
{
	static const char *const words[] = {"profile", "cpus", "memory", "disk", "network"};
	unsigned line = 1, col = 1;
	const char *t = "ab\ncd\xc3\xa9x";

	is_int(text_hex_digit('0'), 0, "hex digit 0");
	is_int(text_hex_digit('9'), 9, "hex digit 9");
	is_int(text_hex_digit('a'), 10, "hex digit a");
	is_int(text_hex_digit('F'), 15, "hex digit F, either case");
	is_int(text_hex_digit('g'), -1, "g is no hex digit");
	is_int(text_hex_digit('/'), -1, "'/' (before '0') is no hex digit");
	is_int(text_hex_digit('\0'), -1, "NUL is no hex digit");
	is_int(text_hex_digit((char)0xc3), -1, "a UTF-8 lead byte is no hex digit");
	{
		char *u = text_url_encode("a-Z.0_9~ &=?/:@%+\"{}\xc3\xa9\x01", NULL);

		is_str(u, "a-Z.0_9~%20%26%3D%3F%2F%3A%40%25%2B%22%7B%7D%C3%A9%01",
		       "url encoding: unreserved bytes kept, every other byte %%XX (upper case)");
		free(u);
		u = text_url_encode("ftboot/web:1@sha256 x", "/:@");
		is_str(u, "ftboot/web:1@sha256%20x", "url encoding: the bytes asked for kept");
		free(u);
	}
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
		char q[64], small[12];
		static const char nul[] = "ng\0nx";

		is_str(text_quote("a\x1b[2J\nb\r\x7f", 9, q, sizeof(q)), "a?[2J?b??",
		       "quote: ESC, newline, CR and DEL become '?'");
		is_str(text_quote(nul, sizeof(nul) - 1, q, sizeof(q)), "ng?nx",
		       "quote: a NUL byte inside becomes '?'");
		is_str(text_quote("\xc2\x9b"
		                  "1m\xc3\xa9",
		                  6, q, sizeof(q)),
		       "?1m\xc3\xa9", "quote: the C1 control CSI becomes '?', other UTF-8 stays");
		is_str(text_quote("\xff\xc3(\xe2\x82", 5, q, sizeof(q)),
		       "?"
		       "?(?"
		       "?",
		       "quote: bytes that are not UTF-8 become '?'");
		is_str(text_quote("\xed\xa0\x80\xc0\xaf", 5, q, sizeof(q)), "?????",
		       "quote: a surrogate and an overlong form are not UTF-8");
		is_str(text_quote("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, small,
		                  sizeof(small)),
		       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...",
		       "quote: a cut keeps whole characters (8 of 8 bytes)");
		is_str(text_quote("a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 11, small,
		                  sizeof(small)),
		       "a\xc3\xa9\xc3\xa9\xc3\xa9...",
		       "quote: never half a character (7 of 8 bytes)");
		{
			char longv[200];
			size_t i;

			for (i = 0; i + 3 <= sizeof(longv); i += 3)
				memcpy(longv + i, "\xe2\x82\xac", 3); /* the euro sign */
			text_quote(longv, i, q, sizeof(q));
			is_int((int)strlen(q), 60 + 3, "quote: at most 60 bytes, then '...'");
			ok(strcmp(q + 60, "...") == 0 && memcmp(q, longv, 60) == 0,
			   "quote: 20 whole euro signs, then '...'");
		}
	}
	{
		char h[TEXT_URL_HOST_MAX];
		const char *elb =
		    "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6-1234567890.us-east-1.elb.amazonaws.com";

		is_str(text_url_host(elb, h), elb, "url host: a 72-character DNS name, not cut");
		is_str(text_url_host("192.168.61.10", h), "192.168.61.10", "url host: IPv4");
		is_str(text_url_host("fd00::10", h), "[fd00::10]", "url host: IPv6 in brackets");
		is_str(text_url_host("a\x1b[2Jb", h), "a?[2Jb", "url host: control bytes quoted");
		is_str(text_url_host("a b/c", h), "a b/c", "url host: no host: shown quoted");
	}
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
