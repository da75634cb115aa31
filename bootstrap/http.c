/*
 * http: the libcurl module. For now: the library's version.
 */
#include <stdio.h>

#include <curl/curl.h>

#include "http.h"

const char *http_version(void)
{
	static char text[128];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	snprintf(text, sizeof(text), "%s (%s)", v->version,
	         v->ssl_version ? v->ssl_version : "no TLS");
	return text;
}
