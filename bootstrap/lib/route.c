/*
 * route: /proc/net/route, read by hand: whitespace-separated fields, the
 * addresses as the kernel's hex of a network-order word. Nothing in it is
 * trusted (tests and fuzzing feed it any bytes): every field is checked
 * and a line that does not read is left out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "ipv4.h"
#include "route.h"
#include "text.h"
#include "xmem.h"

#define ROUTE_FIELDS 8   /* Iface Destination Gateway Flags RefCnt Use Metric Mask */
#define ROUTE_UP     0x1 /* RTF_UP */

/* A 32-bit hex field [s, s + len), 1..8 digits and nothing else. */
static int route_hex(const char *s, size_t len, uint32_t *out)
{
	uint32_t x = 0;
	size_t i;

	if (len == 0 || len > 8)
		return -1;
	for (i = 0; i < len; i++) {
		int d = text_hex_digit(s[i]);

		if (d < 0)
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*out = x;
	return 0;
}

static int route_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One line [p, end) into r: 0, or -1 if it is not an up, non-default route. */
static int route_line(const char *p, const char *end, struct route *r)
{
	const char *f[ROUTE_FIELDS];
	size_t fl[ROUTE_FIELDS], nf = 0, i;
	uint32_t dest, flags, mask;
	unsigned pre;

	while (nf < ROUTE_FIELDS) {
		while (p < end && route_space(*p))
			p++;
		if (p >= end)
			break;
		f[nf] = p;
		while (p < end && !route_space(*p))
			p++;
		fl[nf] = (size_t)(p - f[nf]);
		nf++;
	}
	if (nf < ROUTE_FIELDS || fl[0] >= ROUTE_IFACE_MAX || route_hex(f[1], fl[1], &dest) < 0 ||
	    route_hex(f[3], fl[3], &flags) < 0 || route_hex(f[7], fl[7], &mask) < 0)
		return -1;
	dest = ntohl(dest);
	mask = ntohl(mask);
	if (!(flags & ROUTE_UP) || mask == 0) /* down; a default route */
		return -1;
	for (pre = 0; pre < 32 && (mask & (1U << (31 - pre))); pre++)
		;
	if (ipv4_mask(pre) != mask)
		return -1; /* a mask with a hole: not one the kernel writes */
	for (i = 0; i < fl[0]; i++) {
		unsigned char c = (unsigned char)f[0][i];

		r->iface[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->iface[fl[0]] = '\0';
	r->dest = dest & mask;
	r->prefix = pre;
	return 0;
}

void route_parse(const char *text, size_t len, struct route **routes, size_t *n)
{
	const char *p = text, *end = text + len, *nl;
	size_t lines = 1, i;

	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	*routes = xcalloc(lines, sizeof(**routes));
	*n = 0;
	/* the first line is the header */
	nl = memchr(p, '\n', len);
	p = nl ? nl + 1 : end;
	for (; p < end; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (route_line(p, nl ? nl : end, &(*routes)[*n]) == 0)
			(*n)++;
	}
}

int route_read(const char *path, struct route **routes, size_t *n, struct err *err)
{
	struct buf b = BUF_INIT(ROUTE_FILE_MAX);

	*routes = NULL;
	*n = 0;
	if (!fs_exists(path)) {
		*routes = xcalloc(1, sizeof(**routes));
		return 0;
	}
	if (fs_read(path, ROUTE_FILE_MAX, &b, err) < 0) {
		buf_release(&b);
		return err_wrap(err, "read host routes");
	}
	route_parse(b.data ? b.data : "", b.len, routes, n);
	buf_release(&b);
	return 0;
}

int route_overlap(uint32_t a, unsigned pa, uint32_t b, unsigned pb)
{
	uint32_t m = ipv4_mask(pa < pb ? pa : pb);

	return (a & m) == (b & m);
}
