/*
 * fuzz_check_http: libFuzzer target for what the http check kind reads
 * of a page (check_http_links): the HTML is whatever the server sent.
 * Every link found is an absolute http(s) URL, found once, at most the
 * maximum asked, marked same-origin only when it is on the page's origin.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_http.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char page[] = "https://10.0.0.1:8443/phpmyadmin/index.php";
	char *html = xstrndup((const char *)data, size);
	struct check_http_link *v = NULL;
	size_t n = check_http_links(html, page, 8, &v), i, j;

	if (n > 8)
		abort();
	for (i = 0; i < n; i++) {
		if (strncmp(v[i].url, "http://", 7) != 0 && strncmp(v[i].url, "https://", 8) != 0)
			abort();
		if (v[i].same_origin && strncmp(v[i].url, "https://10.0.0.1:8443/", 22) != 0)
			abort();
		if (v[i].kind != CHECK_HTTP_CSS && v[i].kind != CHECK_HTTP_JS)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(v[i].url, v[j].url) == 0)
				abort();
	}
	check_http_links_free(v, n);
	free(html);
	return 0;
}
