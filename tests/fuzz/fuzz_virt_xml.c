/*
 * fuzz_virt_xml: libFuzzer target for the readers of libvirt's XML
 * (virt_xml.c, over libxml2). The input is offered to every reader as
 * network, domain, pool, volume and owner XML: each either fails with a
 * message or returns values that hold together (IPv4 prefixes 0..32, no
 * NULL where the header promises a string). The input also names an
 * owner (stack, a newline, state directory): whatever virt.c agrees to
 * write into a network's <metadata> must read back exactly, escaping and
 * all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt.h"
#include "virt_xml.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render a network owned by the input's stack and state; read the owner back. */
static void owner_round_trip(const char *in)
{
	struct virt_net_spec s = {0};
	struct err err;
	const char *nl = strchr(in, '\n');
	char *stack = nl ? xstrndup(in, (size_t)(nl - in)) : xstrdup(in);
	char *state = xasprintf("/%s", nl ? nl + 1 : "");
	char *xml = NULL, *a = NULL, *b = NULL;

	s.name = "n";
	s.bridge = "br";
	s.net = 0x0a000000;
	s.prefix = 24;
	s.host_ip = 0x0a000001;
	s.owner.stack = stack;
	s.owner.state = state;
	if (virt_net_render(&s, &xml, &err) == 0) {
		if (virt_xml_owner(xml, &a, &b, &err) < 0 || !a || !b || strcmp(a, stack) != 0 ||
		    strcmp(b, state) != 0)
			abort();
	}
	free(xml);
	free(a);
	free(b);
	free(stack);
	free(state);
}

static void check_err(const struct err *err)
{
	if (err->msg[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virt_xml_net net;
	struct err err;
	char *xml = xstrndup((const char *)data, size), *a = NULL, *b = NULL;
	size_t i;
	int uses = -1;

	if (virt_xml_net_read(xml, &net, &err) < 0) {
		check_err(&err);
	} else {
		if (!net.forward || (net.nhosts && !net.nips))
			abort();
		for (i = 0; i < net.nips; i++)
			if (net.ips[i].prefix > 32)
				abort();
	}
	virt_xml_net_release(&net);

	if (virt_xml_dom_uses_net(xml, "ftboot", &uses, &err) < 0)
		check_err(&err);
	else if (uses != 0 && uses != 1)
		abort();

	if (virt_xml_pool_read(xml, &a, &b, &err) < 0) {
		check_err(&err);
		if (a || b)
			abort();
	}
	free(a);
	free(b);
	if (virt_xml_vol_backing(xml, &a, &err) < 0)
		check_err(&err);
	free(a);
	if (virt_xml_owner(xml, &a, &b, &err) < 0) {
		check_err(&err);
	} else if ((a == NULL) != (b == NULL)) {
		abort();
	}
	free(a);
	free(b);
	owner_round_trip(xml);
	free(xml);
	return 0;
}
