/*
 * Unit tests: virt_xml, the readers of libvirt's XML (libxml2), on XML as
 * libvirt writes it and on hostile XML (entities, external entities,
 * malformed text, wrong roots, very deep nesting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "virt_xml.h"
#include "xmem.h"

#define IP(a, b, c, d)                                                                             \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static void test_net(void)
{
	struct virt_xml_net n;
	struct err err;

	ok(virt_xml_net_read(
	       "<network>\n  <name>ft</name>\n  <forward mode='nat'><nat/></forward>\n"
	       "  <bridge name='ftbr-ft' stp='on' delay='0'/>\n"
	       "  <ip family='ipv6' address='fd00::1' prefix='64'>\n"
	       "    <dhcp><host id='0:1' ip='fd00::5'/></dhcp></ip>\n"
	       "  <ip address='10.213.7.1' netmask='255.255.255.0'>\n"
	       "    <dhcp>\n      <range start='10.213.7.100' end='10.213.7.200'/>\n"
	       "      <host mac='52:54:00:aa:bb:cc' name='ft' ip='10.213.7.10'/>\n"
	       "      <host mac='52:54:00:aa:bb:dd' ip='10.213.7.11'/>\n    </dhcp>\n  </ip>\n"
	       "  <ip address='172.20.0.1' prefix='16'/>\n  <ip address='10.1.1.1'/>\n"
	       "  <ip address='10.2.2.1' netmask='255.0.255.0'/>\n</network>\n",
	       &n, &err) == 0,
	   "a network reads");
	is_str(n.bridge, "ftbr-ft", "bridge");
	is_str(n.forward, "nat", "forward mode");
	ok(n.nips == 3 && n.ips[0].addr == IP(10, 213, 7, 1) && n.ips[0].prefix == 24 &&
	       n.ips[1].addr == IP(172, 20, 0, 1) && n.ips[1].prefix == 16 && n.ips[2].prefix == 8,
	   "IPv4 <ip>s: netmask, prefix, the class when neither; IPv6 and a holey mask left out "
	   "(%zu)",
	   n.nips);
	ok(n.nhosts == 2 && strcmp(n.hosts[0].mac, "52:54:00:aa:bb:cc") == 0 &&
	       strcmp(n.hosts[0].name, "ft") == 0 && strcmp(n.hosts[1].ip, "10.213.7.11") == 0 &&
	       n.hosts[1].name == NULL,
	   "the DHCP hosts of the first IPv4 <ip>, not the IPv6 one's; absent name is NULL");
	virt_xml_net_release(&n);

	ok(virt_xml_net_read("<network><name>i</name></network>", &n, &err) == 0 &&
	       strcmp(n.forward, "none") == 0 && n.bridge == NULL && n.nips == 0,
	   "isolated, no bridge, no address");
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<network><forward/><bridge name='a&amp;b&#x3c;'/></network>", &n,
	                     &err) == 0 &&
	       strcmp(n.forward, "nat") == 0 && strcmp(n.bridge, "a&b<") == 0,
	   "forward without mode is nat; entities and character references undone");
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<network><ip address='10.0.0.1' prefix='33'/><ip address='10.0.0.1' "
	                     "prefix=' 8'/><ip address='10.0.0.01' prefix='8'/></network>",
	                     &n, &err) == 0 &&
	       n.nips == 0,
	   "out of range, spaced prefix, leading-zero address: left out");
	virt_xml_net_release(&n);
	/* nested <network>/<ip> deeper down is not the network's */
	ok(virt_xml_net_read("<network><dns><ip address='10.0.0.1' prefix='8'/></dns></network>",
	                     &n, &err) == 0 &&
	       n.nips == 0,
	   "an <ip> that is not a child of <network> does not count");
	virt_xml_net_release(&n);
}

static void test_hostile(void)
{
	struct virt_xml_net n;
	struct err err;
	struct buf b = BUF_INIT(1 << 20);
	char *type = NULL, *path = NULL;
	int i;

	ok(virt_xml_net_read("<network><bridge name='x'></network>", &n, &err) < 0 &&
	       has(err.msg, "malformed XML: line 1, column") && err.kind == ERRK_INVALID,
	   "mismatched tags: line and column: %s", err.msg);
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<network>\n<bridge name='x\001'/></network>", &n, &err) < 0 &&
	       has(err.msg, "line 2"),
	   "a control character is not XML: %s", err.msg);
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("", &n, &err) < 0 && has(err.msg, "malformed"), "empty: %s", err.msg);
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<domain/>", &n, &err) < 0 && has(err.msg, "root element is <domain>"),
	   "the wrong root: %s", err.msg);
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<n:network xmlns:n='urn:x'/>", &n, &err) < 0,
	   "the right name in a namespace is not libvirt's <network>");
	virt_xml_net_release(&n);
	ok(virt_xml_net_read("<?xml version='1.0'?>\n<!DOCTYPE network [\n"
	                     " <!ENTITY a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>\n"
	                     " <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
	                     " <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n"
	                     "]>\n<network><bridge name='&c;'/></network>",
	                     &n, &err) < 0 &&
	       (has(err.msg, "document type declaration") || has(err.msg, "entity")),
	   "entity expansion (billion laughs) refused: %s", err.msg);
	virt_xml_net_release(&n);
	ok(virt_xml_pool_read("<!DOCTYPE pool [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	                      "<pool type='dir'><target><path>&x;</path></target></pool>",
	                      &type, &path, &err) < 0 &&
	       !type && !path && has(err.msg, "document type declaration"),
	   "an external entity is never read: %s", err.msg);
	ok(virt_xml_pool_read("<pool type='dir'><target><path>&x;</path></target></pool>", &type,
	                      &path, &err) < 0 &&
	       has(err.msg, "not defined"),
	   "an undeclared entity is an error: %s", err.msg);
	for (i = 0; i < 5000; i++)
		buf_addstr(&b, "<a>");
	ok(virt_xml_owner(buf_cstr(&b), &type, &path, &err) < 0 && has(err.msg, "malformed"),
	   "5000 nested elements: refused by libxml2's depth limit, not a stack overflow: %.80s",
	   err.msg);
	buf_release(&b);
}

static void test_others(void)
{
	struct err err;
	char *type = NULL, *path = NULL;
	int uses = -1;

	ok(virt_xml_dom_uses_net("<domain type='kvm'><devices>"
	                         "<interface type='bridge'><source bridge='ftboot'/></interface>"
	                         "<interface type='network'><source network='other'/></interface>"
	                         "<interface type='network'><mac address='x'/>"
	                         "<source network='ftboot' portid='1'/></interface>"
	                         "</devices></domain>",
	                         "ftboot", &uses, &err) == 0 &&
	       uses == 1,
	   "a domain on the network, found past a bridge interface and another network");
	ok(virt_xml_dom_uses_net("<domain><devices><interface type='bridge'><source "
	                         "network='ftboot'/></interface></devices></domain>",
	                         "ftboot", &uses, &err) == 0 &&
	       uses == 0,
	   "a source network attribute on a bridge interface does not count");
	ok(virt_xml_dom_uses_net("<network/>", "x", &uses, &err) < 0, "not a domain: an error");

	ok(virt_xml_pool_read("<pool type='dir'><name>p</name><target><path>/var/lib/p</path>"
	                      "</target></pool>",
	                      &type, &path, &err) == 0 &&
	       strcmp(type, "dir") == 0 && strcmp(path, "/var/lib/p") == 0,
	   "pool type and target path");
	free(type);
	free(path);
	ok(virt_xml_pool_read("<pool><source><path>/x</path></source></pool>", &type, &path,
	                      &err) == 0 &&
	       !type && !path,
	   "a pool without type or target: both NULL");

	ok(virt_xml_vol_backing(
	       "<volume><target><path>/a</path></target><backingStore><path>/b&amp;"
	       "c</path></backingStore></volume>",
	       &path, &err) == 0 &&
	       strcmp(path, "/b&c") == 0,
	   "a volume's backing file, not its own path");
	free(path);
	ok(virt_xml_vol_backing("<volume><target><path>/a</path></target></volume>", &path, &err) ==
	           0 &&
	       !path,
	   "no backing store: NULL");

	ok(virt_xml_owner("<domain><metadata><x:owner xmlns:x='" VIRT_XML_OWNER_NS
	                  "' stack='ft' state='/s/ft'/></metadata></domain>",
	                  &type, &path, &err) == 0 &&
	       strcmp(type, "ft") == 0 && strcmp(path, "/s/ft") == 0,
	   "the owner element is found by its namespace, whatever its prefix");
	free(type);
	free(path);
	ok(virt_xml_owner("<domain><metadata><ftboot:owner xmlns:ftboot='urn:other' stack='ft'/>"
	                  "</metadata></domain>",
	                  &type, &path, &err) == 0 &&
	       !type && !path,
	   "the prefix in another namespace is not ftboot's");
	ok(virt_xml_owner("<network><metadata><ftboot:owner xmlns:ftboot='" VIRT_XML_OWNER_NS
	                  "'/></metadata></network>",
	                  &type, &path, &err) == 0 &&
	       type && !type[0] && path && !path[0],
	   "an owner element without attributes: empty strings, not NULL");
	free(type);
	free(path);
	ok(virt_xml_owner("<network><name>n</name></network>", &type, &path, &err) == 0 && !type &&
	       !path,
	   "no metadata: no owner");
}

int main(void)
{
	test_net();
	test_hostile();
	test_others();
	return tap_done();
}
