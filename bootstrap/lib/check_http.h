/*
 * check_http: the http check kind's reading of a page (check_http.c has
 * the kind itself, in check.h's table): what a page links, for its
 * assets. Apart so that it is tested and fuzzed alone: a page's HTML is
 * whatever the server sent.
 */
#ifndef FTBOOT_CHECK_HTTP_H
#define FTBOOT_CHECK_HTTP_H

#include <stddef.h>

enum check_http_asset { CHECK_HTTP_CSS, CHECK_HTTP_JS };

struct check_http_link {
	char *url; /* absolute */
	enum check_http_asset kind;
	int same_origin; /* the page's scheme, host and port */
};

/*
 * The stylesheets (<link> with rel stylesheet, or an href whose path ends
 * in .css) and scripts (<script src>) that html links, resolved against
 * page_url as a browser does (HTML's &amp; and a few other entities
 * decoded), each once, in order, at most max; comments are skipped and a
 * link that does not resolve to http or https is left out. *out (the
 * caller frees it with check_http_links_free) gets them; returns how many.
 */
size_t check_http_links(const char *html, const char *page_url, size_t max,
                        struct check_http_link **out);
void check_http_links_free(struct check_http_link *v, size_t n);

#endif
