/*
 * virt: the libvirt module (networks, volumes, domains come with the VM
 * layer). For now: the library's version.
 */
#include <stdio.h>

#include <libvirt/libvirt.h>

#include "virt.h"

const char *virt_version(char *out, size_t size)
{
	unsigned long v = 0;

	if (virGetVersion(&v, NULL, NULL) < 0)
		snprintf(out, size, "unknown");
	else
		snprintf(out, size, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
	return out;
}
