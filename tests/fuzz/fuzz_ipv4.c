/*
 * fuzz_ipv4: libFuzzer target for the dotted-quad and CIDR parsers. The
 * syntax is strict (four decimal octets, no leading zero, nothing else),
 * so what parses is already canonical: formatting the address gives the
 * input back byte for byte, and a CIDR's prefix is 0..32. Each input is
 * tried as an address and as a CIDR block.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size), *slash;
	char text[IPV4_STRLEN], cidr[IPV4_STRLEN + 4];
	uint32_t addr, addr2;
	unsigned prefix, i;

	if (ipv4_parse(s, &addr) == 0) {
		if (strcmp(ipv4_format(addr, text), s) != 0)
			abort();
		if (ipv4_parse_cidr(s, &addr2, &prefix) == 0)
			abort(); /* no '/', so no CIDR */
	}
	if (ipv4_parse_cidr(s, &addr, &prefix) == 0) {
		snprintf(cidr, sizeof(cidr), "%s/%u", ipv4_format(addr, text), prefix);
		if (prefix > 32 || strcmp(cidr, s) != 0)
			abort();
		slash = strchr(s, '/');
		*slash = '\0';
		if (ipv4_parse(s, &addr2) != 0 || addr2 != addr)
			abort();
		/* The mask has exactly prefix leading ones. */
		for (i = 0; i < 32; i++)
			if (((ipv4_mask(prefix) >> (31 - i)) & 1) != (i < prefix))
				abort();
	}
	free(s);
	return 0;
}
