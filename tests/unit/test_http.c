/* Unit tests: the http module (libcurl). */
#include <stdio.h>

#include "http.h"
#include "tap.h"

int main(void)
{
	char buf[32];
	const char *v;
	int major = 0, minor = 0;

	(void)buf;
	v = http_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "libcurl version parses: %s", v);
	ok(major > 7 || (major == 7 && minor >= 88), "libcurl is at least 7.88");
	return tap_done();
}
