/*
 * html: the small HTML readers of html.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "html.h"
#include "text.h"
#include "xmem.h"

char *html_decode(const char *s, size_t len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	char *out = xmalloc(len + 1), *w = out;
	size_t i = 0, k;

	while (i < len) {
		if (s[i] != '&') {
			*w++ = s[i++];
			continue;
		}
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
			size_t l = strlen(named[k].name);

			if (len - i - 1 >= l && strncmp(s + i + 1, named[k].name, l) == 0)
				break;
		}
		if (k < sizeof(named) / sizeof(named[0])) {
			*w++ = named[k].c;
			i += 1 + strlen(named[k].name);
			continue;
		}
		if (i + 2 < len && s[i + 1] == '#') {
			int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t j = i + 2 + (size_t)hex;
			long v = 0;

			while (j < len && j - i < 10 &&
			       (hex ? text_hex_digit(s[j]) >= 0 : (s[j] >= '0' && s[j] <= '9'))) {
				v = v * (hex ? 16 : 10) + (hex ? text_hex_digit(s[j]) : s[j] - '0');
				j++;
			}
			if (j < len && s[j] == ';' && j > i + 2 + (size_t)hex && v > 0 &&
			    v < 0x80) {
				*w++ = (char)v;
				i = j + 1;
				continue;
			}
		}
		*w++ = s[i++];
	}
	*w = '\0';
	return out;
}

static int html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The end of the tag that starts at p ('<'): just past its '>', quotes respected. */
static const char *html_tag_end(const char *p, const char *end)
{
	char q = 0;

	for (p++; p < end; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p + 1;
		}
	}
	return end;
}

const char *html_tag(const char *p, const char *end, const char *name, const char **tag_end)
{
	size_t n = strlen(name);

	for (; p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL; p++) {
		if ((size_t)(end - p) > n + 1 && strncasecmp(p + 1, name, n) == 0 &&
		    (html_space(p[n + 1]) || p[n + 1] == '>' || p[n + 1] == '/')) {
			*tag_end = html_tag_end(p, end);
			return p;
		}
	}
	return NULL;
}

char *html_attr(const char *tag, const char *tag_end, const char *attr)
{
	const char *p = tag + 1;
	size_t n = strlen(attr);

	while (p < tag_end && !html_space(*p) && *p != '>' && *p != '/')
		p++; /* the tag's name */
	while (p < tag_end) {
		const char *name, *v = NULL;
		size_t nlen, vlen = 0;

		while (p < tag_end && (html_space(*p) || *p == '/'))
			p++;
		if (p >= tag_end || *p == '>')
			break;
		name = p;
		while (p < tag_end && !html_space(*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		nlen = (size_t)(p - name);
		while (p < tag_end && html_space(*p))
			p++;
		if (p < tag_end && *p == '=') {
			p++;
			while (p < tag_end && html_space(*p))
				p++;
			if (p < tag_end && (*p == '"' || *p == '\'')) {
				const char *close = memchr(p + 1, *p, (size_t)(tag_end - p - 1));

				v = p + 1;
				vlen = close ? (size_t)(close - v) : (size_t)(tag_end - v);
				p = close ? close + 1 : tag_end;
			} else {
				v = p;
				while (p < tag_end && !html_space(*p) && *p != '>')
					p++;
				vlen = (size_t)(p - v);
			}
		}
		if (nlen == n && strncasecmp(name, attr, n) == 0)
			return v ? html_decode(v, vlen) : xstrdup("");
		if (nlen == 0)
			p++;
	}
	return NULL;
}

/* 1 if the tag's attribute attr is value (case-sensitive). */
static int html_attr_is(const char *tag, const char *tag_end, const char *attr, const char *value)
{
	char *v = html_attr(tag, tag_end, attr);
	int is = v && strcmp(v, value) == 0;

	free(v);
	return is;
}

int html_find(const char *p, const char *end, const char *elem, const char *attr, const char *value,
              const char **tag, const char **tag_end)
{
	const char *t, *te;

	for (; (t = html_tag(p, end, elem, &te)) != NULL; p = te)
		if (html_attr_is(t, te, attr, value)) {
			*tag = t;
			*tag_end = te;
			return 0;
		}
	return -1;
}

/*
 * The text from p to the first "</elem" (or end): tags dropped, entities
 * decoded, blanks collapsed, cut at max bytes on a character.
 */
/* The first s (case-insensitive) in [p, end), or NULL. */
static const char *html_search(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (; (size_t)(end - p) >= n; p++)
		if (strncasecmp(p, s, n) == 0)
			return p;
	return NULL;
}

char *html_text(const char *p, const char *end, const char *elem, size_t max)
{
	struct buf b = BUF_INIT(max * 2 + 16);
	char *close = xasprintf("</%s", elem), *raw, *text, *r, *w;
	const char *stop = html_search(p, end, close);

	free(close);
	if (stop == NULL)
		stop = end;
	while (p < stop && b.len < max * 2) {
		if (*p == '<') {
			const char *skip = NULL;

			/* What a style or a script holds is no text. */
			if (html_search(p, p + 6 <= stop ? p + 6 : p, "<style"))
				skip = html_search(p, stop, "</style");
			else if (html_search(p, p + 7 <= stop ? p + 7 : p, "<script"))
				skip = html_search(p, stop, "</script");
			p = html_tag_end(skip ? skip : p, stop);
			buf_addch(&b, ' ');
			continue;
		}
		buf_addch(&b, *p++);
	}
	raw = buf_detach(&b, NULL);
	text = html_decode(raw, strlen(raw));
	free(raw);
	for (r = w = text; *r; r++) {
		if (html_space(*r)) {
			if (w > text && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	while (w > text && w[-1] == ' ')
		w--;
	*w = '\0';
	if ((size_t)(w - text) > max) {
		size_t cut = max - 3;

		while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(text + cut, "...", 4);
	}
	return text;
}
