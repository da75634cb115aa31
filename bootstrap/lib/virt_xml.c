/*
 * virt_xml: libvirt's XML read with libxml2 (which libvirt links anyway),
 * the only file that includes it. A document is parsed once, then asked
 * with XPath: the expressions are constants of this file, so no input
 * ever becomes part of a query.
 *
 * libxml2 is told to print nothing (XML_PARSE_NOERROR, a silent XPath
 * error callback) and no global handler is installed: libvirt's own
 * in-process drivers (test:///) use libxml2 too and keep their handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ipv4.h"
#include "virt_xml.h"
#include "xmem.h"

/* One parsed document and its XPath context. */
struct vx {
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
};

static void vx_quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void vx_close(struct vx *x)
{
	if (x->xp)
		xmlXPathFreeContext(x->xp);
	if (x->doc)
		xmlFreeDoc(x->doc);
	x->xp = NULL;
	x->doc = NULL;
}

/* libxml2's message on one line, without its trailing newline. */
static void vx_msg(const char *m, char *out, size_t size)
{
	size_t j = 0;

	for (; m && *m && j + 1 < size; m++)
		out[j++] = *m == '\n' || *m == '\r' || (unsigned char)*m < 0x20 ? ' ' : *m;
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

/*
 * Parse xml, whose root element must be root (NULL: any). Malformed XML
 * is an error with line and column; so is a document type declaration.
 */
static int vx_open(const char *xml, const char *root, struct vx *x, struct err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlNodePtr top;
	const xmlError *e;
	char msg[512];
	size_t len;
	int rc = -1;

	x->doc = NULL;
	x->xp = NULL;
	if (xml == NULL)
		return err_setk(err, ERRK_INVALID, "no XML to read");
	len = strnlen(xml, (size_t)VIRT_XML_READ_MAX + 1);
	if (len > VIRT_XML_READ_MAX)
		return err_setk(err, ERRK_INVALID, "XML larger than %d bytes", VIRT_XML_READ_MAX);
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return err_setk(err, ERRK_OTHER, "cannot set up the XML parser (out of memory)");
	x->doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
	                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (x->doc == NULL) {
		e = xmlCtxtGetLastError(ctxt);
		vx_msg(e ? e->message : "unknown error", msg, sizeof(msg));
		err_setk(err, ERRK_INVALID, "malformed XML: line %d, column %d: %s",
		         e ? e->line : 0, e ? e->int2 : 0, msg);
		goto out;
	}
	if (x->doc->intSubset || x->doc->extSubset) {
		err_setk(err, ERRK_INVALID,
		         "XML with a document type declaration (libvirt writes none): not read");
		goto out;
	}
	top = xmlDocGetRootElement(x->doc);
	if (top == NULL || (root && (top->ns || strcmp((const char *)top->name, root) != 0))) {
		err_setk(err, ERRK_INVALID, "XML whose root element is <%.64s>, not <%s>",
		         top ? (const char *)top->name : "", root ? root : "?");
		goto out;
	}
	x->xp = xmlXPathNewContext(x->doc);
	if (x->xp == NULL) {
		err_setk(err, ERRK_OTHER, "cannot set up XPath (out of memory)");
		goto out;
	}
	x->xp->error = vx_quiet;
	if (xmlXPathRegisterNs(x->xp, BAD_CAST VIRT_XML_OWNER_PREFIX, BAD_CAST VIRT_XML_OWNER_NS) <
	    0) {
		err_setk(err, ERRK_OTHER, "cannot set up XPath (out of memory)");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		vx_close(x);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/*
 * The nodes path selects from node (NULL: the document), NULL if none;
 * *n (may be NULL) their number. Free it with xmlXPathFreeObject.
 */
static xmlXPathObjectPtr vx_nodes(struct vx *x, xmlNodePtr node, const char *path, size_t *n)
{
	xmlXPathObjectPtr o;

	o = node ? xmlXPathNodeEval(node, BAD_CAST path, x->xp)
	         : xmlXPathEval(BAD_CAST path, x->xp);
	if (o && (o->type != XPATH_NODESET || xmlXPathNodeSetIsEmpty(o->nodesetval))) {
		xmlXPathFreeObject(o);
		o = NULL;
	}
	if (n)
		*n = o ? (size_t)xmlXPathNodeSetGetLength(o->nodesetval) : 0;
	return o;
}

/* The i-th node of the set o (0-based). */
static xmlNodePtr vx_item(xmlXPathObjectPtr o, size_t i)
{
	return xmlXPathNodeSetItem(o->nodesetval, (int)i);
}

/*
 * The text (an attribute's value, an element's text) of the first node
 * path selects from node (NULL: the document), as a new string; NULL when
 * it selects nothing.
 */
static char *vx_get(struct vx *x, xmlNodePtr node, const char *path)
{
	xmlXPathObjectPtr o = vx_nodes(x, node, path, NULL);
	xmlChar *c;
	char *s;

	if (o == NULL)
		return NULL;
	c = xmlNodeGetContent(vx_item(o, 0));
	s = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	xmlXPathFreeObject(o);
	return s;
}

/* 1 if path selects anything. */
static int vx_has(struct vx *x, const char *path)
{
	xmlXPathObjectPtr o = vx_nodes(x, NULL, path, NULL);

	xmlXPathFreeObject(o);
	return o != NULL;
}

/* ---- networks ---------------------------------------------------------- */

/* A prefix length from a dotted netmask: -1 unless its ones are contiguous. */
static int vx_mask_prefix(const char *mask)
{
	uint32_t m;
	unsigned p;

	if (ipv4_parse(mask, &m) < 0)
		return -1;
	for (p = 0; p < 32 && (m & (1U << (31 - p))); p++)
		;
	return ipv4_mask(p) == m ? (int)p : -1;
}

/* The <ip> element node as IPv4: 1, or 0 if IPv6 or unreadable. */
static int vx_net_ip(struct vx *x, xmlNodePtr node, struct virt_xml_ip *ip)
{
	char *fam = vx_get(x, node, "@family"), *a = vx_get(x, node, "@address");
	char *mask = vx_get(x, node, "@netmask"), *pre = vx_get(x, node, "@prefix");
	int r = 0, p;

	if ((fam && strcmp(fam, "ipv4") != 0) || !a || ipv4_parse(a, &ip->addr) < 0)
		goto out;
	if (mask) {
		if ((p = vx_mask_prefix(mask)) < 0)
			goto out;
		ip->prefix = (unsigned)p;
	} else if (pre) {
		char *ep;
		unsigned long v;

		errno = 0;
		v = strtoul(pre, &ep, 10);
		if (errno || ep == pre || *ep || pre[0] < '0' || pre[0] > '9' || v > 32)
			goto out;
		ip->prefix = (unsigned)v;
	} else {
		/* libvirt's default: the address's class */
		ip->prefix = ip->addr < 0x80000000U ? 8 : ip->addr < 0xc0000000U ? 16 : 24;
	}
	r = 1;
out:
	free(fam);
	free(a);
	free(mask);
	free(pre);
	return r;
}

int virt_xml_net_read(const char *xml, struct virt_xml_net *net, struct err *err)
{
	xmlXPathObjectPtr ips = NULL, hosts = NULL;
	xmlNodePtr first = NULL;
	struct vx x;
	size_t i, n;

	memset(net, 0, sizeof(*net));
	if (vx_open(xml, "network", &x, err) < 0)
		return -1;
	net->bridge = vx_get(&x, NULL, "/network/bridge/@name");
	if (!vx_has(&x, "/network/forward"))
		net->forward = xstrdup("none");
	else if ((net->forward = vx_get(&x, NULL, "/network/forward/@mode")) == NULL)
		net->forward = xstrdup("nat"); /* libvirt's default mode */
	ips = vx_nodes(&x, NULL, "/network/ip", &n);
	net->ips = xcalloc(n ? n : 1, sizeof(*net->ips));
	for (i = 0; i < n; i++) {
		if (!vx_net_ip(&x, vx_item(ips, i), &net->ips[net->nips]))
			continue;
		if (net->nips++ == 0)
			first = vx_item(ips, i);
	}
	hosts = first ? vx_nodes(&x, first, "dhcp/host", &n) : NULL;
	if (!hosts)
		n = 0;
	net->hosts = xcalloc(n ? n : 1, sizeof(*net->hosts));
	for (i = 0; i < n; i++) {
		struct virt_xml_host *h = &net->hosts[net->nhosts++];
		xmlNodePtr node = vx_item(hosts, i);

		h->mac = vx_get(&x, node, "@mac");
		h->ip = vx_get(&x, node, "@ip");
		h->name = vx_get(&x, node, "@name");
	}
	xmlXPathFreeObject(hosts);
	xmlXPathFreeObject(ips);
	vx_close(&x);
	return 0;
}

void virt_xml_net_release(struct virt_xml_net *net)
{
	size_t i;

	for (i = 0; i < net->nhosts; i++) {
		free(net->hosts[i].mac);
		free(net->hosts[i].ip);
		free(net->hosts[i].name);
	}
	free(net->hosts);
	free(net->ips);
	free(net->bridge);
	free(net->forward);
	memset(net, 0, sizeof(*net));
}

/* ---- domains, pools, volumes, owners ----------------------------------- */

int virt_xml_dom_uses_net(const char *xml, const char *netname, int *uses, struct err *err)
{
	xmlXPathObjectPtr ifs;
	struct vx x;
	size_t i, n;
	char *s;

	*uses = 0;
	if (vx_open(xml, "domain", &x, err) < 0)
		return -1;
	ifs = vx_nodes(&x, NULL, "/domain/devices/interface[@type='network']/source", &n);
	for (i = 0; i < n && !*uses; i++) {
		s = vx_get(&x, vx_item(ifs, i), "@network");
		*uses = s && strcmp(s, netname) == 0;
		free(s);
	}
	xmlXPathFreeObject(ifs);
	vx_close(&x);
	return 0;
}

int virt_xml_pool_read(const char *xml, char **type, char **path, struct err *err)
{
	struct vx x;

	*type = *path = NULL;
	if (vx_open(xml, "pool", &x, err) < 0)
		return -1;
	*type = vx_get(&x, NULL, "/pool/@type");
	*path = vx_get(&x, NULL, "/pool/target/path");
	vx_close(&x);
	return 0;
}

int virt_xml_vol_backing(const char *xml, char **path, struct err *err)
{
	struct vx x;

	*path = NULL;
	if (vx_open(xml, "volume", &x, err) < 0)
		return -1;
	*path = vx_get(&x, NULL, "/volume/backingStore/path");
	vx_close(&x);
	return 0;
}

int virt_xml_owner(const char *xml, char **stack, char **state, struct err *err)
{
	xmlXPathObjectPtr o;
	struct vx x;

	*stack = *state = NULL;
	if (vx_open(xml, NULL, &x, err) < 0)
		return -1;
	o = vx_nodes(&x, NULL, "/*/metadata/" VIRT_XML_OWNER_PREFIX ":owner", NULL);
	if (o) {
		*stack = vx_get(&x, vx_item(o, 0), "@stack");
		*state = vx_get(&x, vx_item(o, 0), "@state");
		if (*stack == NULL)
			*stack = xstrdup("");
		if (*state == NULL)
			*state = xstrdup("");
		xmlXPathFreeObject(o);
	}
	vx_close(&x);
	return 0;
}
