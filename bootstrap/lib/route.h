/*
 * route: the host's IPv4 routes, read from /proc/net/route (the kernel's
 * table; there is no library for it). ftboot asks one question of them:
 * does a subnet it is about to use already lead somewhere on this host.
 */
#ifndef FTBOOT_ROUTE_H
#define FTBOOT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ROUTE_FILE      "/proc/net/route"
#define ROUTE_FILE_MAX  (4 * 1024 * 1024) /* the most of it read */
#define ROUTE_IFACE_MAX 16                /* IFNAMSIZ: 15 characters and a NUL */

struct route {
	char iface[ROUTE_IFACE_MAX]; /* bytes outside printable ASCII shown as '?' */
	uint32_t dest;               /* host order, host bits zero */
	unsigned prefix;             /* 1..32 */
};

/*
 * The routes in text (len bytes, the format of /proc/net/route: a header
 * line, then "Iface Destination Gateway Flags RefCnt Use Metric Mask ..."
 * with 32-bit fields in hex as the kernel prints them). Only routes that
 * are up and not default routes are kept; a line that does not read
 * (too few fields, a bad number, a mask with a hole) is skipped. *routes
 * (caller frees it; never NULL) has *n entries.
 */
void route_parse(const char *text, size_t len, struct route **routes, size_t *n);

/*
 * route_parse of the file at path (ROUTE_FILE on Linux). A missing file
 * is no routes (no procfs: nothing to compare with), not an error.
 */
int route_read(const char *path, struct route **routes, size_t *n, struct err *err);

/* 1 if the blocks a/pa and b/pb (prefixes 0..32) share an address. */
int route_overlap(uint32_t a, unsigned pa, uint32_t b, unsigned pb);

#endif
