/*
 * html: small readers of HTML pages that a check gets from a web
 * application (login forms, the error a refused login shows, a table
 * list): a start tag, its attributes, an element's text. Not a parser of
 * the whole language: enough for pages whose shape is known, bounded by
 * the caller's [p, end), never reading past end, whatever the bytes.
 */
#ifndef FTBOOT_HTML_H
#define FTBOOT_HTML_H

#include <stddef.h>

/*
 * s[0..len) with the character references &amp; &lt; &gt; &quot; &apos;
 * and the numeric ones of ASCII (&#39; &#x27;) decoded; others are kept
 * as they are. Caller frees.
 */
char *html_decode(const char *s, size_t len);

/*
 * The next start tag <name ...> in [p, end) (name case-insensitive), or
 * NULL; its end (just past its '>', quotes respected; end if it has
 * none) in *tag_end.
 */
const char *html_tag(const char *p, const char *end, const char *name, const char **tag_end);

/*
 * The value of the attribute attr (case-insensitive) of the tag [tag,
 * tag_end), decoded; "" for one without a value; NULL when the tag has
 * none. Caller frees.
 */
char *html_attr(const char *tag, const char *tag_end, const char *attr);

/*
 * The first <elem> of [p, end) whose attribute attr is value
 * (case-sensitive): its start tag in [*tag, *tag_end). 0 if found, -1
 * if not.
 */
int html_find(const char *p, const char *end, const char *elem, const char *attr, const char *value,
              const char **tag, const char **tag_end);

/*
 * The text from p to the first "</elem" (or end): tags dropped, what a
 * <style> or <script> holds dropped, references decoded, blanks
 * collapsed and trimmed, cut to at most max bytes (max >= 4) on a
 * character boundary, ending in "..." when cut. Caller frees.
 */
char *html_text(const char *p, const char *end, const char *elem, size_t max);

#endif
