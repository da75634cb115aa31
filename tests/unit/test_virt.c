/* Unit tests: the virt module (libvirt). */
#include <stdio.h>

#include "virt.h"
#include "tap.h"

int main(void)
{
	char buf[32];
	const char *v;
	int major = 0, minor = 0;

	(void)buf;
	v = virt_version(buf, sizeof(buf));
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "libvirt version parses: %s", v);
	ok(major > 9 || (major == 9 && minor >= 0), "libvirt is at least 9.0");
	return tap_done();
}
