/*
 * virt_xml: reading the XML libvirt hands back (networks, domains, pools,
 * volumes), with libxml2. The only file that includes libxml2 is
 * virt_xml.c; callers pass the text and get plain C values. Writing XML
 * stays in virt.c (a capped writer that escapes every string).
 *
 * The reader trusts nothing in the text: it takes at most VIRT_XML_READ_MAX
 * bytes, refuses a document type declaration (libvirt never writes one, and
 * it is how entity expansion and external entities get in), never touches
 * the network, and reports malformed XML with line and column.
 */
#ifndef FTBOOT_VIRT_XML_H
#define FTBOOT_VIRT_XML_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define VIRT_XML_READ_MAX (16 * 1024 * 1024) /* the largest XML read */

/*
 * The namespace of ftboot's element in an object's <metadata>:
 * <ftboot:owner xmlns:ftboot='VIRT_XML_OWNER_NS' stack='…' state='…'/>.
 */
#define VIRT_XML_OWNER_NS     "urn:ftboot:owner:1" /* a URN: no web address to claim */
#define VIRT_XML_OWNER_PREFIX "ftboot"

/* An IPv4 <ip> of a network: address and prefix length. */
struct virt_xml_ip {
	uint32_t addr; /* host order */
	unsigned prefix;
};

/* A <host> of a network's DHCP: each NULL when the attribute is absent. */
struct virt_xml_host {
	char *mac, *ip, *name;
};

/* What ftboot reads of a network's XML. */
struct virt_xml_net {
	char *bridge;            /* <bridge name>; NULL if none */
	char *forward;           /* <forward mode>: "nat" if no mode, "none" if no <forward> */
	struct virt_xml_ip *ips; /* every readable IPv4 <ip>, in order */
	size_t nips;
	struct virt_xml_host *hosts; /* the DHCP hosts of ips[0] */
	size_t nhosts;
};

/*
 * Read the network XML xml (NUL-terminated). IPv6 and unreadable <ip>
 * elements are left out (an <ip> without netmask or prefix has its
 * address's class, as libvirt does). Release *net with
 * virt_xml_net_release, also after a failure.
 */
int virt_xml_net_read(const char *xml, struct virt_xml_net *net, struct err *err);
void virt_xml_net_release(struct virt_xml_net *net);

/*
 * *uses = 1 if the domain XML xml has an <interface type='network'> whose
 * <source network> is netname, else 0.
 */
int virt_xml_dom_uses_net(const char *xml, const char *netname, int *uses, struct err *err);

/*
 * The pool XML's <pool type> and <target><path> into *type and *path
 * (caller owns them; NULL when absent).
 */
int virt_xml_pool_read(const char *xml, char **type, char **path, struct err *err);

/* The volume XML's <backingStore><path> into *path (caller owns it; NULL if none). */
int virt_xml_vol_backing(const char *xml, char **path, struct err *err);

/*
 * The stack and state attributes of ftboot's owner element in the
 * object's <metadata> (see VIRT_XML_OWNER_NS) into *stack and *state
 * (caller owns them); both NULL when there is no such element.
 */
int virt_xml_owner(const char *xml, char **stack, char **state, struct err *err);

#endif
