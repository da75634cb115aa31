/*
 * text: edit distance, nearest-word suggestions, line/column counting,
 * quoting user bytes for messages, base64.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "xmem.h"

size_t text_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (lb >= 64 || la >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *text_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i;

	for (i = 0; i < n; i++) {
		size_t d = text_distance(word, cands[i]);

		if (d < best_d)
			best_d = d, best = cands[i];
	}
	return best && best_d <= 2 && best_d < strlen(word) ? best : NULL;
}

/*
 * Bytes of the line break at p[i..to), or 0: CR LF, CR, LF, NEL, LS and
 * PS, the breaks libyaml counts as new lines in its marks.
 */
static size_t text_break(const unsigned char *p, size_t i, size_t to)
{
	if (p[i] == '\r')
		return i + 1 < to && p[i + 1] == '\n' ? 2 : 1;
	if (p[i] == '\n')
		return 1;
	if (p[i] == 0xC2 && i + 1 < to && p[i + 1] == 0x85)
		return 2;
	if (p[i] == 0xE2 && i + 2 < to && p[i + 1] == 0x80 &&
	    (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
		return 3;
	return 0;
}

void text_advance(const char *text, size_t from, size_t to, unsigned *line, unsigned *col)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = from, n;

	if (from == 0 && to >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3; /* a byte-order mark is not a character */
	while (i < to) {
		n = text_break(p, i, to);
		if (n > 0) {
			(*line)++;
			*col = 1;
			i += n;
			continue;
		}
		if ((p[i] & 0xC0) != 0x80)
			(*col)++;
		i++;
	}
}

/*
 * Length of the UTF-8 character at s[0..len), 0 if it is not UTF-8 (one
 * byte is then skipped); *shown is 0 for a control character.
 */
static size_t text_char_len(const unsigned char *s, size_t len, int *shown)
{
	size_t n, i;
	unsigned cp;

	*shown = 0;
	if (s[0] < 0x80) {
		*shown = s[0] >= 0x20 && s[0] < 0x7F;
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0; /* a continuation byte, or never UTF-8 */
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;   /* overlong, out of range, or a surrogate */
	*shown = cp > 0x9F; /* not a C1 control (CSI is U+009B) */
	return n;
}

int text_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t text_utf8_len(const char *s, size_t len)
{
	int shown;

	return text_char_len((const unsigned char *)s, len, &shown);
}

char *text_quote(const char *s, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t max = 60, i = 0, o = 0, n;
	int shown;

	if (size < max + 4)
		max = size > 4 ? size - 4 : 0;
	while (i < len) {
		n = text_char_len(p + i, len - i, &shown);
		if (o + (shown ? n : 1) > max)
			break;
		if (shown)
			memcpy(out + o, p + i, n);
		else
			out[o] = '?';
		o += shown ? n : 1;
		i += n ? n : 1;
	}
	if (i < len && size >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	if (size > 0)
		out[o < size ? o : size - 1] = '\0';
	return out;
}

char *text_base64(const void *data, size_t len, int nopad)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = xmalloc(len / 3 * 4 + 5), *w = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*w++ = alphabet[p[i] >> 2];
		*w++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*w++ = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*w++ = alphabet[p[i + 2] & 63];
	}
	if (i < len) {
		*w++ = alphabet[p[i] >> 2];
		if (i + 1 < len) {
			*w++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*w++ = alphabet[(p[i + 1] & 15) << 2];
		} else {
			*w++ = alphabet[(p[i] & 3) << 4];
			if (!nopad)
				*w++ = '=';
		}
		if (!nopad)
			*w++ = '=';
	}
	*w = '\0';
	return out;
}

char *text_url_encode(const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *w = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (keep && strchr(keep, c))) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = '\0';
	return out;
}

char *text_url_host(const char *addr, char out[TEXT_URL_HOST_MAX])
{
	size_t n = strlen(addr);

	if (n > 0 && n <= 253 &&
	    strspn(addr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n) {
		memcpy(out, addr, n + 1);
		return out;
	}
	if (n > 1 && n <= 45 && strchr(addr, ':') &&
	    strspn(addr, "0123456789abcdefABCDEF:.") == n) {
		snprintf(out, TEXT_URL_HOST_MAX, "[%s]", addr);
		return out;
	}
	return text_quote(addr, n, out, TEXT_URL_HOST_MAX);
}
