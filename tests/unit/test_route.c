/* Unit tests: the route module (/proc/net/route read by hand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "route.h"
#include "tap.h"

#define HDR "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
#define IP(a, b, c, d)                                                                             \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static size_t parse(const char *text, struct route **r)
{
	size_t n;

	route_parse(text, strlen(text), r, &n);
	return n;
}

int main(void)
{
	struct route *r = NULL;
	struct err err;
	char path[256];
	size_t n;
	FILE *f;

	n = parse(HDR "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	              "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	              "virbr0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	              "down0\t0000000A\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0\n",
	          &r);
	ok(n == 2, "default and down routes are left out (%zu kept)", n);
	ok(n >= 1 && strcmp(r[0].iface, "eth0") == 0 && r[0].dest == IP(192, 168, 2, 0) &&
	       r[0].prefix == 24,
	   "a route: interface, network-order hex destination, mask as a prefix");
	ok(n >= 2 && strcmp(r[1].iface, "virbr0") == 0 && r[1].dest == IP(192, 168, 122, 0),
	   "the next line too");
	free(r);

	n = parse(HDR "eth0\t0002A8C0\t0\t1\t0\t0\t0\t00FF00FF\n", &r);
	ok(n == 0, "a mask with a hole is not a route the kernel writes: left out");
	free(r);
	n = parse(HDR "eth0\t0002A8CG\t0\t1\t0\t0\t0\t00FFFFFF\n"
	              "eth0\t0002A8C0\t0\t1\t0\t0\t0\t00FFFFFF00\n"
	              "eth0\t0002A8C0\t0\t1\t0\t0\t0\n"
	              "eth0\t\t0\t1\t0\t0\t0\t00FFFFFF\n",
	          &r);
	ok(n == 0, "bad hex, a field over 32 bits, too few fields: lines left out");
	free(r);
	n = parse(HDR "a234567890123456\t0002A8C0\t0\t1\t0\t0\t0\t00FFFFFF\n"
	              "a23456789012345\t0002A8C0\t0\t1\t0\t0\t0\t00FFFFFF\n",
	          &r);
	ok(n == 1 && strlen(r[0].iface) == 15, "an interface name over 15 characters is left out");
	free(r);
	n = parse(HDR "e\033[2Jx\t0002A8C0\t0\t1\t0\t0\t0\t00FFFFFF\r\n", &r);
	ok(n == 1 && strcmp(r[0].iface, "e?[2Jx") == 0 && r[0].prefix == 24,
	   "control bytes in a name are shown as '?', a CR ends a field: '%s'",
	   n ? r[0].iface : "");
	free(r);
	n = parse(HDR "lo\t0000007F\t0\t1\t0\t0\t0\tFFFFFFFF", &r);
	ok(n == 1 && r[0].prefix == 32 && r[0].dest == IP(127, 0, 0, 0),
	   "a host route, no newline at the end");
	free(r);
	n = parse("", &r);
	ok(n == 0 && r != NULL, "empty text: no routes, and an array all the same");
	free(r);
	n = parse("eth0\t0002A8C0\t0\t1\t0\t0\t0\t00FFFFFF\n", &r);
	ok(n == 0, "the first line is the header, whatever it says");
	free(r);
	{
		static const char nul[] = "x\n\0eth0 0002A8C0 0 1 0 0 0 00FFFFFF\n";

		route_parse(nul, sizeof(nul) - 1, &r, &n);
		ok(n == 1 && strcmp(r[0].iface, "?eth0") == 0,
		   "a NUL byte is part of its field and shown as '?'");
		free(r);
	}

	ok(route_read("/nonexistent/route", &r, &n, &err) == 0 && n == 0 && r,
	   "no such file (no procfs): no routes, no error");
	free(r);
	snprintf(path, sizeof(path), "%s/ftboot-route.%ld",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	f = fopen(path, "w");
	if (f) {
		fputs(HDR "br0\t0000000A\t0\t1\t0\t0\t0\t000000FF\n", f);
		fclose(f);
	}
	ok(route_read(path, &r, &n, &err) == 0 && n == 1 && r[0].dest == IP(10, 0, 0, 0) &&
	       r[0].prefix == 8,
	   "a file is read and parsed");
	free(r);
	unlink(path);
	ok(route_read("/tmp", &r, &n, &err) < 0 && strstr(err.msg, "read host routes"),
	   "a directory is an error: %s", err.msg);

	ok(route_overlap(IP(10, 0, 0, 0), 8, IP(10, 213, 7, 0), 24), "/8 holds the /24");
	ok(route_overlap(IP(10, 213, 7, 0), 24, IP(10, 0, 0, 0), 8), "and the other way round");
	ok(!route_overlap(IP(10, 213, 7, 0), 24, IP(10, 213, 8, 0), 24), "neighbours do not");
	ok(route_overlap(IP(10, 213, 7, 0), 24, IP(10, 213, 7, 128), 25), "a half overlaps");
	return tap_done();
}
