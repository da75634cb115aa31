/* Unit tests: the tgz module (zlib). */
#include <stdio.h>

#include "tgz.h"
#include "tap.h"

int main(void)
{
	char buf[32];
	const char *v;
	int major = 0, minor = 0;

	(void)buf;
	v = tgz_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "zlib version parses: %s", v);
	ok(major > 1 || (major == 1 && minor >= 2), "zlib is at least 1.2");
	return tap_done();
}
