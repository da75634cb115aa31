/* Unit tests: the ssh module (libssh2). */
#include <stdio.h>

#include "ssh.h"
#include "tap.h"

int main(void)
{
	char buf[32];
	const char *v;
	int major = 0, minor = 0;

	(void)buf;
	v = ssh_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "libssh2 version parses: %s", v);
	ok(major > 1 || (major == 1 && minor >= 10), "libssh2 is at least 1.10");
	return tap_done();
}
