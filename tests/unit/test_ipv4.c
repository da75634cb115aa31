/* Unit tests: ipv4 parsing and formatting. */
#include "ipv4.h"
#include "tap.h"

int main(void)
{
	static const char *const bad[] = {"",         "1.2.3",    "1.2.3.4.5", "256.1.1.1",
	                                  "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",  "1..3.4",
	                                  "a.b.c.d",  "1.2.3.-4", "1234.1.1.1"};
	char out[IPV4_STRLEN];
	uint32_t a;
	unsigned p;
	size_t i;

	ok(ipv4_parse("192.168.61.10", &a) == 0 && a == 0xc0a83d0a, "parse dotted quad");
	ok(ipv4_parse("0.0.0.0", &a) == 0 && a == 0, "parse 0.0.0.0");
	ok(ipv4_parse("255.255.255.255", &a) == 0 && a == 0xffffffff, "parse broadcast");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(ipv4_parse(bad[i], &a) < 0, "reject '%s'", bad[i]);
	ok(ipv4_parse_cidr("10.0.0.0/8", &a, &p) == 0 && a == 0x0a000000 && p == 8, "cidr /8");
	ok(ipv4_parse_cidr("10.0.0.0/33", &a, &p) < 0, "reject /33");
	ok(ipv4_parse_cidr("10.0.0.0/", &a, &p) < 0, "reject empty prefix");
	ok(ipv4_parse_cidr("10.0.0.0/08", &a, &p) < 0, "reject leading zero prefix");
	ok(ipv4_parse_cidr("10.0.0.0", &a, &p) < 0, "reject no prefix");
	is_str(ipv4_format(0xc0a83d0a, out), "192.168.61.10", "format");
	is_str(ipv4_format(0xffffffff, out), "255.255.255.255", "format longest");
	is_int(ipv4_mask(24), 0xffffff00u, "mask /24");
	is_int(ipv4_mask(0), 0, "mask /0");
	is_int(ipv4_mask(32), 0xffffffffu, "mask /32");
	return tap_done();
}
