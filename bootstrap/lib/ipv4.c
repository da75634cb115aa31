/*
 * ipv4: dotted-quad and CIDR parsing, strict enough that what a user
 * wrote is what libvirt and Kubernetes will read.
 */
#include <stdio.h>
#include <string.h>

#include "ipv4.h"

static const char *ipv4_octet(const char *s, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL; /* leading zero: octal to some readers */
	while (*s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || digits > 3 || v > 255)
		return NULL;
	*out = v;
	return s;
}

static const char *ipv4_scan(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	unsigned v;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (*s != '.')
				return NULL;
			s++;
		}
		s = ipv4_octet(s, &v);
		if (s == NULL)
			return NULL;
		a = a << 8 | v;
	}
	*addr = a;
	return s;
}

int ipv4_parse(const char *s, uint32_t *addr)
{
	const char *end = ipv4_scan(s, addr);

	return end && *end == '\0' ? 0 : -1;
}

int ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix)
{
	const char *end = ipv4_scan(s, addr);
	unsigned p;

	if (end == NULL || *end != '/')
		return -1;
	end = ipv4_octet(end + 1, &p);
	if (end == NULL || *end != '\0' || p > 32)
		return -1;
	*prefix = p;
	return 0;
}

char *ipv4_format(uint32_t addr, char out[IPV4_STRLEN])
{
	snprintf(out, IPV4_STRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
	         addr & 255);
	return out;
}

uint32_t ipv4_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}
