/*
 * ipv4: strict parsing and formatting of IPv4 addresses and CIDR blocks
 * (dotted quad only: no "1.2.3", no leading zeros, no spaces).
 */
#ifndef FTBOOT_IPV4_H
#define FTBOOT_IPV4_H

#include <stdint.h>

#define IPV4_STRLEN 16 /* "255.255.255.255" and its NUL */

/* Parse "a.b.c.d" into a host-order address. 0 or -1. */
int ipv4_parse(const char *s, uint32_t *addr);

/* Parse "a.b.c.d/p" (p in 0..32). 0 or -1. Host bits are not checked. */
int ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix);

/* Format addr into out (IPV4_STRLEN bytes); returns out. */
char *ipv4_format(uint32_t addr, char out[IPV4_STRLEN]);

/* The netmask of a prefix length (0..32). */
uint32_t ipv4_mask(unsigned prefix);

#endif
