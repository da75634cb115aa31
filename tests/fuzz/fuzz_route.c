/*
 * fuzz_route: libFuzzer target for the /proc/net/route reader. Any bytes
 * give a list of routes (maybe empty) whose every entry is well-formed: a
 * printable interface name of at most 15 characters, a prefix 1..32 and a
 * destination without host bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route *r = NULL;
	size_t n = 0, i, j, len;

	route_parse((const char *)data, size, &r, &n);
	if (r == NULL)
		abort();
	for (i = 0; i < n; i++) {
		len = strnlen(r[i].iface, ROUTE_IFACE_MAX);
		if (len == 0 || len >= ROUTE_IFACE_MAX || r[i].prefix < 1 || r[i].prefix > 32 ||
		    (r[i].dest & ~ipv4_mask(r[i].prefix)) != 0)
			abort();
		for (j = 0; j < len; j++)
			if ((unsigned char)r[i].iface[j] <= 0x20 ||
			    (unsigned char)r[i].iface[j] >= 0x7f)
				abort();
		if (!route_overlap(r[i].dest, r[i].prefix, r[i].dest, 32))
			abort();
	}
	free(r);
	return 0;
}
