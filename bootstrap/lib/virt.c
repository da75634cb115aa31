/*
 * virt: the libvirt module. It owns the connection, and builds the XML
 * of networks, pools, volumes and domains. This is the only file that
 * includes libvirt: its errors are turned into struct err here
 * (virGetLastErrorMessage after ftboot's context, the kind from its
 * code), and its default handler, which prints every error to stderr, is
 * silenced.
 *
 * XML going to libvirt is built in a capped buffer; every string in it is
 * escaped, and names are validated before that. XML coming back from
 * libvirt is read by virt_xml.c (libxml2); host routes by route.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "buf.h"
#include "fs.h"
#include "route.h"
#include "text.h"
#include "virt.h"
#include "virt_xml.h"
#include "xmem.h"

#define VIRT_XML_MAX      (256 * 1024) /* any XML ftboot writes */
#define VIRT_PATH_MAX     4096
#define VIRT_CMDLINE_MAX  4096
#define VIRT_UPLOAD_CHUNK (256 * 1024)
#define VIRT_POLL_NS      (250 * 1000 * 1000L)
#define VIRT_MEM_MIN      (64ULL << 20)
#define VIRT_VCPUS_MAX    256
/*
 * Keepalive (as virsh sets it): a ping after 5 s without traffic, the
 * connection given up after 6 unanswered ones, so a daemon that stops
 * answering fails the call in progress within about 35 s instead of
 * holding it forever. A slow call (a define while libvirtd probes QEMU)
 * is no silence: the daemon's event loop answers pings meanwhile.
 */
#define VIRT_KEEPALIVE_INTERVAL 5
#define VIRT_KEEPALIVE_COUNT    6

struct virt {
	virConnectPtr conn;
	int keepalive; /* 1: on; 0: the driver or daemon has none (test:///) */
	char *uri;
	char *route_file; /* NULL: /proc/net/route */
};

/* ---- errors ------------------------------------------------------------ */

/* libvirt prints every error to stderr unless a handler is installed. */
static void virt_quiet(void *opaque, virErrorPtr error)
{
	(void)opaque;
	(void)error;
}

/*
 * libvirt's last error message on one line (schema errors span several:
 * they are joined with "; "), then reset.
 */
static void virt_last_msg(char *out, size_t size)
{
	const char *m = virGetLastErrorMessage();
	size_t j = 0;
	int nl = 0, sp = 0;

	for (; *m && j + 3 < size; m++) {
		unsigned char c = (unsigned char)*m;

		if (c == '\n' || c == '\r') {
			nl = 1;
			continue;
		}
		if (c == ' ' || c == '\t') {
			sp = 1;
			continue;
		}
		if (j > 0 && nl) {
			out[j++] = ';';
			out[j++] = ' ';
		} else if (j > 0 && sp) {
			out[j++] = ' ';
		}
		nl = sp = 0;
		out[j++] = c < 0x20 ? '?' : (char)c;
	}
	out[j] = '\0';
	virResetLastError();
}

/*
 * The kind of libvirt's error code (from domain), so callers decide on
 * the kind and never on libvirt's codes or words.
 */
static enum err_kind virt_kind(int code, int domain)
{
	switch (code) {
	case VIR_ERR_NO_DOMAIN:
	case VIR_ERR_NO_NETWORK:
	case VIR_ERR_NO_STORAGE_POOL:
	case VIR_ERR_NO_STORAGE_VOL:
	case VIR_ERR_NO_DOMAIN_METADATA:
		return ERRK_NOTFOUND;
	case VIR_ERR_DOM_EXIST:
	case VIR_ERR_NETWORK_EXIST:
	case VIR_ERR_STORAGE_VOL_EXIST:
		return ERRK_EXISTS;
	case VIR_ERR_RPC:
	case VIR_ERR_NO_CONNECT:
		return domain == VIR_FROM_RPC || code == VIR_ERR_RPC ? ERRK_TRANSIENT : ERRK_OTHER;
	case VIR_ERR_SYSTEM_ERROR:
	case VIR_ERR_INTERNAL_ERROR:
		/* the connection to the daemon broke, or could not be made */
		return domain == VIR_FROM_RPC ? ERRK_TRANSIENT : ERRK_OTHER;
	case VIR_ERR_OPERATION_TIMEOUT:
	case VIR_ERR_AGENT_UNRESPONSIVE:
		return ERRK_TIMEOUT;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_AUTH_UNAVAILABLE:
	case VIR_ERR_OPERATION_DENIED:
	case VIR_ERR_ACCESS_DENIED:
		return ERRK_DENIED;
	case VIR_ERR_XML_ERROR:
	case VIR_ERR_XML_DETAIL:
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		return ERRK_INVALID;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_OPERATION_UNSUPPORTED:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
		return ERRK_UNSUPPORTED;
	default:
		return ERRK_OTHER;
	}
}

/*
 * err = "<context>: <libvirt's message>", its kind from libvirt's code
 * (virt_kind). Returns -1.
 */
__attribute__((format(printf, 2, 3))) static int virt_fail(struct err *err, const char *fmt, ...)
{
	char ctx[ERR_MSG_MAX / 2], msg[ERR_MSG_MAX / 2];
	enum err_kind kind = virt_kind(virGetLastErrorCode(), virGetLastErrorDomain());
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(ctx, sizeof(ctx), fmt, ap) < 0)
		ctx[0] = '\0';
	va_end(ap);
	virt_last_msg(msg, sizeof(msg));
	return err_setk(err, kind, "%s: %s", ctx, msg);
}

/* Forget a libvirt error that is being handled (or is beside the point). */
static void virt_forget(void)
{
	virResetLastError();
}

/*
 * 1 (and the error forgotten) if the last error is code: an object listed
 * a moment ago and removed since by someone else, for instance.
 */
static int virt_last_is(int code)
{
	if (virGetLastErrorCode() != code)
		return 0;
	virResetLastError();
	return 1;
}

/* s if it can be quoted in a message as it is, else a stand-in. */
static const char *virt_show(const char *s)
{
	size_t i, n;

	if (!s)
		return "(none)";
	n = strnlen(s, 201);
	if (n > 200)
		return "(too long to show)";
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "(unprintable)";
	return s;
}

/* ---- validation -------------------------------------------------------- */

static int virt_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int virt_name_ok(const char *name)
{
	size_t i;

	if (!name || !virt_is_alnum(name[0]))
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= VIRT_NAME_MAX)
			return 0;
		if (!virt_is_alnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

static int virt_bridge_ok(const char *s)
{
	size_t i;

	if (!s || !virt_is_alnum(s[0]))
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= VIRT_BRIDGE_MAX)
			return 0;
		if (!virt_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

static int virt_hostname_ok(const char *s)
{
	size_t i;

	if (!s || !virt_is_alnum(s[0]))
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= 63 || (!virt_is_alnum(s[i]) && s[i] != '-'))
			return 0;
	}
	return s[i - 1] != '-';
}

/* "xx:xx:xx:xx:xx:xx", unicast (libvirt rejects multicast MACs). */
static int virt_mac_ok(const char *s)
{
	size_t i;

	if (!s || strlen(s) != VIRT_MAC_STRLEN - 1)
		return 0;
	for (i = 0; i < VIRT_MAC_STRLEN - 1; i++) {
		if (i % 3 == 2 ? s[i] != ':' : text_hex_digit(s[i]) < 0)
			return 0;
	}
	return (text_hex_digit(s[1]) & 1) == 0;
}

/* 1 if s is a UUID in libvirt's string form (8-4-4-4-12 hex digits). */
static int virt_uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != VIR_UUID_STRING_BUFLEN - 1)
		return 0;
	for (i = 0; s[i]; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-'
		                                            : text_hex_digit(s[i]) < 0)
			return 0;
	return 1;
}

/*
 * 1 if s is at most max bytes of valid UTF-8 without control characters:
 * it can go into XML (escaped) and libvirt's parser will take it.
 */
static int virt_text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		unsigned char c = *p;
		int more, k;
		uint32_t cp;

		if (n >= max)
			return 0;
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			p++, n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3, cp = c & 0x07;
		else
			return 0;
		for (k = 1; k <= more; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		p += more + 1;
		n += (size_t)more + 1;
	}
	return 1;
}

static int virt_path_ok(const char *s)
{
	return s && s[0] == '/' && virt_text_ok(s, VIRT_PATH_MAX);
}

static int virt_check_name(const char *what, const char *name, struct err *err)
{
	if (virt_name_ok(name))
		return 0;
	return err_set(err, ERR_FAIL,
	               "invalid %s name '%s': use 1..%d letters, digits, '.', '_' or '-', "
	               "starting with a letter or digit",
	               what, virt_show(name), VIRT_NAME_MAX);
}

static int virt_check_path(const char *what, const char *path, struct err *err)
{
	if (virt_path_ok(path))
		return 0;
	return err_set(err, ERR_FAIL,
	               "invalid %s path '%s': it must be absolute, valid UTF-8 without control "
	               "characters, under %d bytes",
	               what, virt_show(path), VIRT_PATH_MAX);
}

/* ---- writing XML ------------------------------------------------------- */

/* A capped XML writer: the first failure sticks and is reported once. */
struct xw {
	struct buf b;
	int bad;
};

static void xw_init(struct xw *w)
{
	buf_init(&w->b, VIRT_XML_MAX);
	w->bad = 0;
}

static void xw_raw(struct xw *w, const char *s)
{
	if (buf_addstr(&w->b, s) < 0)
		w->bad = 1;
}

/* Formatted, for numbers and constants only: strings go through xw_esc. */
__attribute__((format(printf, 2, 3))) static void xw_rawf(struct xw *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	xw_raw(w, s);
	free(s);
}

/* s with the five XML specials as entities (fine in text and in '…' or "…"). */
static void xw_esc(struct xw *w, const char *s)
{
	for (; *s && !w->bad; s++) {
		switch (*s) {
		case '&':
			xw_raw(w, "&amp;");
			break;
		case '<':
			xw_raw(w, "&lt;");
			break;
		case '>':
			xw_raw(w, "&gt;");
			break;
		case '"':
			xw_raw(w, "&quot;");
			break;
		case '\'':
			xw_raw(w, "&apos;");
			break;
		default:
			if (buf_addch(&w->b, *s) < 0)
				w->bad = 1;
		}
	}
}

/* ` name='value'` */
static void xw_attr(struct xw *w, const char *name, const char *value)
{
	xw_raw(w, " ");
	xw_raw(w, name);
	xw_raw(w, "='");
	xw_esc(w, value);
	xw_raw(w, "'");
}

/* `indent<tag>text</tag>` and a newline. */
static void xw_elem(struct xw *w, const char *indent, const char *tag, const char *text)
{
	xw_rawf(w, "%s<%s>", indent, tag);
	xw_esc(w, text);
	xw_rawf(w, "</%s>\n", tag);
}

static void xw_ip(struct xw *w, const char *name, uint32_t addr)
{
	char s[IPV4_STRLEN];

	xw_attr(w, name, ipv4_format(addr, s));
}

/* Hand the XML to *out, or fail if it outgrew the cap. */
static int xw_finish(struct xw *w, const char *what, char **out, struct err *err)
{
	if (w->bad) {
		buf_release(&w->b);
		return err_set(err, ERR_FAIL, "%s XML would exceed %d bytes", what, VIRT_XML_MAX);
	}
	*out = buf_detach(&w->b, NULL);
	return 0;
}

/* ---- owners ------------------------------------------------------------ */

static int virt_owner_check(const char *what, const char *name, const struct virt_owner *o,
                            struct err *err)
{
	if (!o->stack)
		return 0;
	if (!o->stack[0] || !virt_text_ok(o->stack, VIRT_NAME_MAX) || !virt_path_ok(o->state))
		return err_setk(err, ERRK_INVALID,
		                "%s '%s': owner stack '%s' at '%s' cannot be written into its "
		                "metadata (want a name and an absolute path, valid UTF-8 without "
		                "control characters)",
		                what, name, virt_show(o->stack), virt_show(o->state));
	return 0;
}

/* `indent<metadata>` with ftboot's owner element, when o names one. */
static void xw_owner(struct xw *w, const char *indent, const struct virt_owner *o)
{
	if (!o->stack)
		return;
	xw_rawf(w, "%s<metadata>\n%s  <%s:owner xmlns:%s='%s'", indent, indent,
	        VIRT_XML_OWNER_PREFIX, VIRT_XML_OWNER_PREFIX, VIRT_XML_OWNER_NS);
	xw_attr(w, "stack", o->stack);
	xw_attr(w, "state", o->state);
	xw_rawf(w, "/>\n%s</metadata>\n", indent);
}

/* *own for the object whose XML is xml, compared with me; *other as in virt.h. */
static int virt_owner_of(const char *xml, const struct virt_owner *me, enum virt_own *own,
                         char **other, struct err *err)
{
	char *stack = NULL, *state = NULL;

	if (virt_xml_owner(xml, &stack, &state, err) < 0)
		return -1;
	if (!stack)
		*own = VIRT_OWN_NONE;
	else if (me->stack && strcmp(stack, me->stack) == 0 && me->state &&
	         strcmp(state, me->state) == 0)
		*own = VIRT_OWN_SELF;
	else
		*own = VIRT_OWN_OTHER;
	if (*own == VIRT_OWN_OTHER && other)
		*other = xasprintf("stack '%s' with state directory '%s'", virt_show(stack),
		                   virt_show(state));
	free(stack);
	free(state);
	return 0;
}

/* ---- connection -------------------------------------------------------- */

const char *virt_version(char *out, size_t size)
{
	unsigned long v = 0;

	if (virGetVersion(&v, NULL, NULL) < 0)
		snprintf(out, size, "unknown");
	else
		snprintf(out, size, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
	return out;
}

static void *virt_event_loop(void *arg)
{
	const struct timespec pause = {0, VIRT_POLL_NS};

	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			nanosleep(&pause, NULL);
	return NULL;
}

/*
 * Keepalive needs an event loop, registered before the first connection
 * and running: the daemon pings an idle client too, and drops one that
 * does not answer (ftboot may sit in an SSH wait for minutes between two
 * libvirt calls). One thread for the process runs libvirt's default loop;
 * it touches nothing of ftboot's.
 */
static int virt_events_start(struct err *err)
{
	static int started;
	pthread_t t;
	pthread_attr_t attr;
	int rc;

	if (started)
		return 0;
	if (virEventRegisterDefaultImpl() < 0)
		return virt_fail(err, "cannot set up libvirt's event loop");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, virt_event_loop, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return err_sys(err, rc, "cannot start the thread of libvirt's event loop");
	started = 1;
	return 0;
}

/*
 * Turn keepalive on. libvirt answers 1 when the daemon has none, and
 * VIR_ERR_NO_SUPPORT from a driver without a daemon (test:///): both
 * leave it off, which is no error.
 */
static int virt_keepalive_start(struct virt *v, struct err *err)
{
	int rc = virConnectSetKeepAlive(v->conn, VIRT_KEEPALIVE_INTERVAL, VIRT_KEEPALIVE_COUNT);

	if (rc == 0) {
		v->keepalive = 1;
		return 0;
	}
	if (rc == 1 || virGetLastErrorCode() == VIR_ERR_NO_SUPPORT) {
		virt_forget();
		return 0;
	}
	return virt_fail(err, "cannot turn on keepalive with libvirt at '%s'", virt_show(v->uri));
}

int virt_keepalive(const struct virt *v)
{
	return v->keepalive;
}

int virt_open(const char *uri, struct virt **out, struct err *err)
{
	struct virt *v;
	virConnectPtr conn;
	int code, domain;

	*out = NULL;
	virSetErrorFunc(NULL, virt_quiet);
	if (!uri || !*uri)
		return err_set(err, ERR_FAIL, "no libvirt URI given (e.g. 'qemu:///system')");
	if (virt_events_start(err) < 0)
		return -1;
	conn = virConnectOpen(uri);
	if (!conn) {
		code = virGetLastErrorCode();
		domain = virGetLastErrorDomain();
		virt_fail(err, "cannot connect to libvirt at '%s'", virt_show(uri));
		if (strstr(err->msg, "Permission denied") || strstr(err->msg, "authentication"))
			return err_suffix(err, "; is your user allowed to manage libvirt? (add it "
			                       "to the 'libvirt' group: sudo usermod -aG libvirt "
			                       "$USER, then log in again)");
		if (code == VIR_ERR_NO_CONNECT)
			return err_suffix(err, "; check the URI (e.g. qemu:///system)");
		if (domain == VIR_FROM_RPC || code == VIR_ERR_SYSTEM_ERROR)
			return err_suffix(err, "; is libvirtd running? (start it: libvirtd -d, or "
			                       "systemctl start libvirtd)");
		return -1;
	}
	v = xcalloc(1, sizeof(*v));
	v->conn = conn;
	v->uri = xstrdup(uri);
	if (virt_keepalive_start(v, err) < 0) {
		virt_close(v);
		return -1;
	}
	*out = v;
	return 0;
}

void virt_close(struct virt *v)
{
	if (!v)
		return;
	if (v->conn)
		virConnectClose(v->conn);
	free(v->uri);
	free(v->route_file);
	free(v);
}

const char *virt_uri(const struct virt *v)
{
	return v->uri;
}

void virt_set_route_file(struct virt *v, const char *path)
{
	free(v->route_file);
	v->route_file = path ? xstrdup(path) : NULL;
}

void virt_mac_for(const char *name, char out[VIRT_MAC_STRLEN])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 32; /* fold the high bits in: FNV's low bits mix least */
	snprintf(out, VIRT_MAC_STRLEN, "52:54:00:%02x:%02x:%02x", (unsigned)(h >> 16) & 0xff,
	         (unsigned)(h >> 8) & 0xff, (unsigned)h & 0xff);
}

const char *virt_advice(const char *msg)
{
	/* libvirt's words (src/util/virdnsmasq.c, src/network/bridge_driver.c) */
	if (msg && strstr(msg, "'dnsmasq'") && strstr(msg, "Unable to find"))
		return "libvirt runs dnsmasq for the network's DHCP and DNS, and the host has "
		       "none: install it (Debian, Ubuntu: apt-get install dnsmasq-base; Fedora: "
		       "dnf install dnsmasq), then run the command again";
	return NULL;
}

static void virt_advise(struct err *err)
{
	const char *a = virt_advice(err->msg);

	if (a)
		err_suffix(err, "; %s", a);
}

void virt_strv_free(char **strv)
{
	size_t i;

	if (!strv)
		return;
	for (i = 0; strv[i]; i++)
		free(strv[i]);
	free(strv);
}

/* ---- lookups: 1 found (*out set), 0 absent, -1 error --------------------- */

static int virt_find_net(struct virt *v, const char *name, virNetworkPtr *out, struct err *err)
{
	*out = virNetworkLookupByName(v->conn, name);
	if (*out)
		return 1;
	if (virt_last_is(VIR_ERR_NO_NETWORK))
		return 0;
	return virt_fail(err, "look up network '%s'", name);
}

static int virt_find_pool(struct virt *v, const char *name, virStoragePoolPtr *out, struct err *err)
{
	*out = virStoragePoolLookupByName(v->conn, name);
	if (*out)
		return 1;
	if (virt_last_is(VIR_ERR_NO_STORAGE_POOL))
		return 0;
	return virt_fail(err, "look up storage pool '%s'", name);
}

static int virt_find_vol(virStoragePoolPtr pool, const char *pname, const char *name,
                         virStorageVolPtr *out, struct err *err)
{
	*out = virStorageVolLookupByName(pool, name);
	if (*out)
		return 1;
	if (virt_last_is(VIR_ERR_NO_STORAGE_VOL))
		return 0;
	return virt_fail(err, "look up volume '%s' in pool '%s'", name, pname);
}

static int virt_find_dom(struct virt *v, const char *name, virDomainPtr *out, struct err *err)
{
	*out = virDomainLookupByName(v->conn, name);
	if (*out)
		return 1;
	if (virt_last_is(VIR_ERR_NO_DOMAIN))
		return 0;
	return virt_fail(err, "look up domain '%s'", name);
}

/* ---- networks ---------------------------------------------------------- */

static int virt_net_check(const struct virt_net_spec *s, struct err *err)
{
	char a[IPV4_STRLEN], b[IPV4_STRLEN];
	uint32_t mask, bcast;

	if (virt_check_name("network", s->name, err) < 0)
		return -1;
	if (!virt_bridge_ok(s->bridge))
		return err_set(err, ERR_FAIL,
		               "invalid bridge name '%s' for network '%s': use 1..%d letters, "
		               "digits, '.', '_' or '-'",
		               virt_show(s->bridge), s->name, VIRT_BRIDGE_MAX);
	if (s->prefix < 8 || s->prefix > 30)
		return err_set(err, ERR_FAIL, "network '%s': prefix /%u is out of range (8..30)",
		               s->name, s->prefix);
	mask = ipv4_mask(s->prefix);
	bcast = s->net | ~mask;
	if (s->net & ~mask)
		return err_set(err, ERR_FAIL, "network '%s': %s/%u has host bits set (use %s/%u)",
		               s->name, ipv4_format(s->net, a), s->prefix,
		               ipv4_format(s->net & mask, b), s->prefix);
#define VIRT_IN(x) ((x) > s->net && (x) < bcast)
	if (!VIRT_IN(s->host_ip))
		return err_set(err, ERR_FAIL,
		               "network '%s': host address %s is not usable in %s/%u", s->name,
		               ipv4_format(s->host_ip, a), ipv4_format(s->net, b), s->prefix);
	if (s->dhcp_start || s->dhcp_end) {
		if (!VIRT_IN(s->dhcp_start) || !VIRT_IN(s->dhcp_end) ||
		    s->dhcp_start > s->dhcp_end ||
		    (s->host_ip >= s->dhcp_start && s->host_ip <= s->dhcp_end))
			return err_set(err, ERR_FAIL,
			               "network '%s': DHCP range %s-%s must lie in %s/%u and leave "
			               "out the host address",
			               s->name, ipv4_format(s->dhcp_start, a),
			               ipv4_format(s->dhcp_end, b), ipv4_format(s->net, b),
			               s->prefix);
	}
	if (s->host_mac) {
		if (!virt_mac_ok(s->host_mac))
			return err_set(err, ERR_FAIL,
			               "network '%s': invalid MAC address '%s' (want "
			               "xx:xx:xx:xx:xx:xx, unicast)",
			               s->name, virt_show(s->host_mac));
		if (!VIRT_IN(s->host_addr) || s->host_addr == s->host_ip)
			return err_set(err, ERR_FAIL,
			               "network '%s': reserved address %s is not usable in %s/%u",
			               s->name, ipv4_format(s->host_addr, a),
			               ipv4_format(s->net, b), s->prefix);
		if (s->host_name && !virt_hostname_ok(s->host_name))
			return err_set(err, ERR_FAIL,
			               "network '%s': invalid host name '%s' (1..63 letters, "
			               "digits or '-')",
			               s->name, virt_show(s->host_name));
	} else if (s->host_name) {
		return err_set(err, ERR_FAIL, "network '%s': a DHCP host name needs a MAC address",
		               s->name);
	}
#undef VIRT_IN
	return virt_owner_check("network", s->name, &s->owner, err);
}

/* <host mac= name= ip=/> of spec, for the network XML and virNetworkUpdate. */
static void virt_net_host_xml(struct xw *w, const char *indent, const struct virt_net_spec *s)
{
	xw_rawf(w, "%s<host", indent);
	xw_attr(w, "mac", s->host_mac);
	if (s->host_name)
		xw_attr(w, "name", s->host_name);
	xw_ip(w, "ip", s->host_addr);
	xw_raw(w, "/>");
}

int virt_net_render(const struct virt_net_spec *spec, char **xml, struct err *err)
{
	struct xw w;

	*xml = NULL;
	if (virt_net_check(spec, err) < 0)
		return -1;
	xw_init(&w);
	xw_raw(&w, "<network>\n");
	xw_elem(&w, "  ", "name", spec->name);
	xw_owner(&w, "  ", &spec->owner);
	xw_raw(&w, "  <forward mode='nat'/>\n  <bridge");
	xw_attr(&w, "name", spec->bridge);
	xw_raw(&w, " stp='on' delay='0'/>\n  <ip");
	xw_ip(&w, "address", spec->host_ip);
	xw_ip(&w, "netmask", ipv4_mask(spec->prefix));
	xw_raw(&w, ">\n");
	if (spec->dhcp_start || spec->host_mac) {
		xw_raw(&w, "    <dhcp>\n");
		if (spec->dhcp_start) {
			xw_raw(&w, "      <range");
			xw_ip(&w, "start", spec->dhcp_start);
			xw_ip(&w, "end", spec->dhcp_end);
			xw_raw(&w, "/>\n");
		}
		if (spec->host_mac) {
			virt_net_host_xml(&w, "      ", spec);
			xw_raw(&w, "\n");
		}
		xw_raw(&w, "    </dhcp>\n");
	}
	xw_raw(&w, "  </ip>\n</network>\n");
	return xw_finish(&w, "network", xml, err);
}

static char *virt_net_describe(const char *bridge, const char *forward, int has_ip, uint32_t ip,
                               unsigned prefix)
{
	char a[IPV4_STRLEN];

	if (!has_ip)
		return xasprintf("bridge '%s', no IPv4 address, forward %s", virt_show(bridge),
		                 virt_show(forward));
	return xasprintf("bridge '%s', %s/%u, forward %s", virt_show(bridge), ipv4_format(ip, a),
	                 prefix, virt_show(forward));
}

/* 1 if the DHCP host h is spec's reservation exactly. */
static int virt_host_is(const struct virt_xml_host *h, const struct virt_net_spec *spec,
                        const char *want_ip)
{
	return h->mac && strcasecmp(h->mac, spec->host_mac) == 0 && h->ip &&
	       strcmp(h->ip, want_ip) == 0 &&
	       (spec->host_name ? h->name && strcmp(h->name, spec->host_name) == 0 : !h->name);
}

/* 1 if the DHCP host h clashes with spec's reservation (same MAC, address or name). */
static int virt_host_clashes(const struct virt_xml_host *h, const struct virt_net_spec *spec,
                             const char *want_ip)
{
	return (h->mac && strcasecmp(h->mac, spec->host_mac) == 0) ||
	       (h->ip && strcmp(h->ip, want_ip) == 0) ||
	       (spec->host_name && h->name && strcmp(h->name, spec->host_name) == 0);
}

/* <host .../> with the attributes of h that are set (libvirt deletes the entry matching them). */
static int virt_host_xml(const struct virt_xml_host *h, char **out, struct err *err)
{
	struct xw w;

	xw_init(&w);
	xw_raw(&w, "<host");
	if (h->mac)
		xw_attr(&w, "mac", h->mac);
	if (h->name)
		xw_attr(&w, "name", h->name);
	if (h->ip)
		xw_attr(&w, "ip", h->ip);
	xw_raw(&w, "/>");
	return xw_finish(&w, "DHCP host", out, err);
}

/*
 * Make the DHCP reservation of the existing network net (whose XML seen
 * describes) that of spec: delete every host entry that clashes with it
 * (same MAC, address or name), then add it. Changes the configuration,
 * and the running network when active.
 */
static int virt_net_fix_host(virNetworkPtr net, const struct virt_net_spec *spec,
                             const struct virt_xml_net *seen, int active, struct err *err)
{
	char want[IPV4_STRLEN];
	char *hxml = NULL;
	unsigned flags = 0;
	int persistent, rc = -1;
	size_t i;
	struct xw w;

	if (!spec->host_mac)
		return 0;
	ipv4_format(spec->host_addr, want);
	for (i = 0; i < seen->nhosts; i++)
		if (virt_host_is(&seen->hosts[i], spec, want))
			return 0;

	persistent = virNetworkIsPersistent(net);
	if (persistent < 0)
		return virt_fail(err, "network '%s'", spec->name);
	flags = (active ? VIR_NETWORK_UPDATE_AFFECT_LIVE : 0) |
	        (persistent ? VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0);
	for (i = 0; i < seen->nhosts; i++) {
		if (!virt_host_clashes(&seen->hosts[i], spec, want))
			continue;
		if (virt_host_xml(&seen->hosts[i], &hxml, err) < 0)
			goto out;
		if (virNetworkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_DELETE,
		                     VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, hxml, flags) < 0) {
			virt_fail(err, "network '%s': remove DHCP host entry %s", spec->name, hxml);
			goto out;
		}
		free(hxml);
		hxml = NULL;
	}
	xw_init(&w);
	virt_net_host_xml(&w, "", spec);
	if (xw_finish(&w, "DHCP host", &hxml, err) < 0)
		goto out;
	if (virNetworkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
	                     VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, hxml, flags) < 0) {
		virt_fail(err, "network '%s': add DHCP host entry %s", spec->name, hxml);
		goto out;
	}
	rc = 0;
out:
	free(hxml);
	return rc;
}

/* Check that the existing network net is spec's, and fix its reservation. */
static int virt_net_match(virNetworkPtr net, const struct virt_net_spec *spec, int active,
                          struct err *err)
{
	struct virt_xml_net seen = {0};
	char *xml = NULL, *have = NULL, *want = NULL;
	int rc = -1;

	xml = virNetworkGetXMLDesc(net, 0);
	if (!xml)
		return virt_fail(err, "read network '%s'", spec->name);
	if (virt_xml_net_read(xml, &seen, err) < 0) {
		err_wrap(err, "read network '%s'", spec->name);
		goto out;
	}
	if (!seen.bridge || strcmp(seen.bridge, spec->bridge) != 0 ||
	    strcmp(seen.forward, "nat") != 0 || seen.nips == 0 ||
	    seen.ips[0].addr != spec->host_ip || seen.ips[0].prefix != spec->prefix) {
		have = virt_net_describe(seen.bridge, seen.forward, seen.nips > 0,
		                         seen.nips ? seen.ips[0].addr : 0,
		                         seen.nips ? seen.ips[0].prefix : 0);
		want = virt_net_describe(spec->bridge, "nat", 1, spec->host_ip, spec->prefix);
		err_setk(err, ERRK_EXISTS,
		         "libvirt network '%s' already exists with another configuration (%s; "
		         "ftboot wants %s): if ftboot left it behind, remove it (virsh net-destroy "
		         "%s; virsh net-undefine %s), else change the stack's subnet or name",
		         spec->name, have, want, spec->name, spec->name);
		goto out;
	}
	if (virt_net_fix_host(net, spec, &seen, active, err) < 0)
		goto out;
	rc = 0;
out:
	virt_xml_net_release(&seen);
	free(have);
	free(want);
	free(xml);
	return rc;
}

int virt_net_ensure(struct virt *v, const struct virt_net_spec *spec, int *created, struct err *err)
{
	virNetworkPtr net = NULL;
	char *xml = NULL;
	int found, defined = 0, active, rc = -1;

	if (created)
		*created = 0;
	if (virt_net_render(spec, &xml, err) < 0)
		return -1;
	found = virt_find_net(v, spec->name, &net, err);
	if (found < 0)
		goto out;
	if (!found) {
		net = virNetworkDefineXMLFlags(v->conn, xml, VIR_NETWORK_DEFINE_VALIDATE);
		if (!net) {
			virt_fail(err, "define network '%s'", spec->name);
			goto out;
		}
		defined = 1;
		active = 0;
	} else {
		active = virNetworkIsActive(net);
		if (active < 0) {
			virt_fail(err, "network '%s'", spec->name);
			goto out;
		}
		if (virt_net_match(net, spec, active, err) < 0)
			goto out;
	}
	if (!active && virNetworkCreate(net) < 0) {
		virt_fail(err, "start network '%s'", spec->name);
		virt_advise(err);
		/* leave nothing behind from a failed first start */
		if (defined && virNetworkUndefine(net) < 0)
			virt_forget();
		goto out;
	}
	if (created)
		*created = defined;
	rc = 0;
out:
	if (net)
		virNetworkFree(net);
	free(xml);
	return rc;
}

int virt_net_owner(struct virt *v, const char *name, const struct virt_owner *me,
                   enum virt_own *own, char **other, struct err *err)
{
	virNetworkPtr net = NULL;
	char *xml;
	int found, rc;

	*own = VIRT_OWN_ABSENT;
	if (other)
		*other = NULL;
	if (virt_check_name("network", name, err) < 0)
		return -1;
	found = virt_find_net(v, name, &net, err);
	if (found <= 0)
		return found;
	/* live or not, a network keeps its metadata (test:/// has no INACTIVE flag) */
	xml = virNetworkGetXMLDesc(net, 0);
	virNetworkFree(net);
	if (!xml)
		return virt_fail(err, "read network '%s'", name);
	rc = virt_owner_of(xml, me, own, other, err);
	free(xml);
	return rc < 0 ? err_wrap(err, "read network '%s'", name) : 0;
}

int virt_net_exists(struct virt *v, const char *name, int *exists, struct err *err)
{
	virNetworkPtr net = NULL;
	int found;

	*exists = 0;
	if (virt_check_name("network", name, err) < 0)
		return -1;
	found = virt_find_net(v, name, &net, err);
	if (found < 0)
		return -1;
	if (net)
		virNetworkFree(net);
	*exists = found > 0;
	return 0;
}

int virt_net_xml(struct virt *v, const char *name, char **xml, struct err *err)
{
	virNetworkPtr net = NULL;
	int found;

	*xml = NULL;
	if (virt_check_name("network", name, err) < 0)
		return -1;
	found = virt_find_net(v, name, &net, err);
	if (found <= 0)
		return found < 0
		           ? -1
		           : err_setk(err, ERRK_NOTFOUND, "network '%s' does not exist", name);
	*xml = virNetworkGetXMLDesc(net, 0);
	virNetworkFree(net);
	if (!*xml)
		return virt_fail(err, "read network '%s'", name);
	return 0;
}

/* "'a', 'b'" from a NULL-terminated list. Caller owns it. */
static char *virt_join_quoted(char **names)
{
	struct buf b = BUF_INIT(64 * 1024);
	size_t i;

	for (i = 0; names[i]; i++)
		if (buf_addf(&b, "%s'%s'", i ? ", " : "", names[i]) < 0)
			break;
	return buf_detach(&b, NULL);
}

int virt_net_remove(struct virt *v, const char *name, struct err *err)
{
	virNetworkPtr net = NULL;
	char **users = NULL, *list = NULL;
	size_t n = 0;
	int found, active, persistent, rc = -1;

	if (virt_check_name("network", name, err) < 0)
		return -1;
	if (strcmp(name, "default") == 0)
		return err_set(err, ERR_FAIL,
		               "refusing to remove libvirt network 'default': it belongs to the "
		               "host, not to ftboot");
	found = virt_find_net(v, name, &net, err);
	if (found <= 0)
		return found;
	if (virt_dom_uses_network(v, name, &users, &n, err) < 0)
		goto out;
	if (n) {
		list = virt_join_quoted(users);
		err_set(err, ERR_FAIL,
		        "network '%s' is still used by domain%s %s: remove %s first (or leave the "
		        "network)",
		        name, n > 1 ? "s" : "", list, n > 1 ? "them" : "it");
		goto out;
	}
	active = virNetworkIsActive(net);
	persistent = virNetworkIsPersistent(net);
	if (active < 0 || persistent < 0) {
		virt_fail(err, "network '%s'", name);
		goto out;
	}
	if (active && virNetworkDestroy(net) < 0) {
		virt_fail(err, "stop network '%s'", name);
		goto out;
	}
	if (persistent && virNetworkUndefine(net) < 0) {
		virt_fail(err, "undefine network '%s'", name);
		goto out;
	}
	rc = 0;
out:
	virt_strv_free(users);
	free(list);
	virNetworkFree(net);
	return rc;
}

/*
 * The first host route that overlaps net/prefix, leaving out routes
 * through skip_if (may be NULL). *desc stays NULL if none.
 */
static int virt_route_overlap(struct virt *v, uint32_t net, unsigned prefix, const char *skip_if,
                              char **desc, struct err *err)
{
	struct route *routes = NULL;
	char a[IPV4_STRLEN];
	size_t n = 0, i;

	if (route_read(v->route_file ? v->route_file : ROUTE_FILE, &routes, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (skip_if && strcmp(routes[i].iface, skip_if) == 0)
			continue;
		if (route_overlap(net, prefix, routes[i].dest, routes[i].prefix)) {
			*desc = xasprintf("host route %s/%u on %s", ipv4_format(routes[i].dest, a),
			                  routes[i].prefix, routes[i].iface);
			break;
		}
	}
	free(routes);
	return 0;
}

int virt_net_find_overlap(struct virt *v, uint32_t net, unsigned prefix, const char *skip_name,
                          char **desc, struct err *err)
{
	virNetworkPtr *nets = NULL;
	struct virt_xml_net seen = {0};
	char *xml = NULL, *skip_bridge = NULL;
	char a[IPV4_STRLEN];
	int n, i, rc = -1;
	size_t j;

	*desc = NULL;
	if (prefix > 32)
		return err_setk(err, ERRK_INVALID, "prefix /%u is out of range", prefix);
	n = virConnectListAllNetworks(v->conn, &nets, 0);
	if (n < 0)
		return virt_fail(err, "list libvirt networks");
	for (i = 0; i < n && !*desc; i++) {
		const char *name = virNetworkGetName(nets[i]);

		xml = virNetworkGetXMLDesc(nets[i], 0);
		if (!xml && virt_last_is(VIR_ERR_NO_NETWORK))
			continue; /* removed since the listing */
		if (!xml) {
			virt_fail(err, "read network '%s'", virt_show(name));
			goto out;
		}
		if (virt_xml_net_read(xml, &seen, err) < 0) {
			err_wrap(err, "read network '%s'", virt_show(name));
			goto out;
		}
		if (skip_name && name && strcmp(name, skip_name) == 0) {
			skip_bridge = seen.bridge;
			seen.bridge = NULL;
		} else {
			for (j = 0; j < seen.nips && !*desc; j++) {
				uint32_t base = seen.ips[j].addr & ipv4_mask(seen.ips[j].prefix);

				if (route_overlap(net, prefix, base, seen.ips[j].prefix))
					*desc = xasprintf("libvirt network '%s' (%s/%u)",
					                  virt_show(name), ipv4_format(base, a),
					                  seen.ips[j].prefix);
			}
		}
		virt_xml_net_release(&seen);
		free(xml);
		xml = NULL;
	}
	if (!*desc && virt_route_overlap(v, net, prefix, skip_bridge, desc, err) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		virNetworkFree(nets[i]);
	free(nets);
	free(xml);
	free(skip_bridge);
	virt_xml_net_release(&seen);
	return rc;
}

int virt_net_lease(struct virt *v, const char *name, const char *mac, uint32_t *addr,
                   struct err *err)
{
	virNetworkPtr net = NULL;
	virNetworkDHCPLeasePtr *leases = NULL;
	long long best_exp = -1;
	int found, n = 0, i, rc = -1;

	if (virt_check_name("network", name, err) < 0)
		return -1;
	if (!virt_mac_ok(mac))
		return err_set(err, ERR_FAIL, "invalid MAC address '%s'", virt_show(mac));
	found = virt_find_net(v, name, &net, err);
	if (found <= 0)
		return found < 0
		           ? -1
		           : err_setk(err, ERRK_NOTFOUND, "network '%s' does not exist", name);
	n = virNetworkGetDHCPLeases(net, mac, &leases, 0);
	if (n < 0) {
		n = 0;
		virt_fail(err, "read DHCP leases of network '%s'", name);
		goto out;
	}
	rc = 0;
	for (i = 0; i < n; i++) {
		uint32_t a;

		if (leases[i]->type != VIR_IP_ADDR_TYPE_IPV4 || !leases[i]->ipaddr ||
		    !leases[i]->mac || strcasecmp(leases[i]->mac, mac) != 0 ||
		    ipv4_parse(leases[i]->ipaddr, &a) < 0)
			continue;
		if (leases[i]->expirytime > best_exp) {
			best_exp = leases[i]->expirytime;
			*addr = a;
			rc = 1;
		}
	}
out:
	for (i = 0; i < n; i++)
		virNetworkDHCPLeaseFree(leases[i]);
	free(leases);
	virNetworkFree(net);
	return rc;
}

/* ---- storage ----------------------------------------------------------- */

int virt_pool_ensure(struct virt *v, const char *name, const char *dir, struct err *err)
{
	virStoragePoolPtr pool = NULL;
	char *xml = NULL, *cur = NULL, *type = NULL, *raw = NULL, *have = NULL, *want = NULL;
	struct stat st;
	struct xw w;
	int found, defined = 0, active, rc = -1;

	if (virt_check_name("storage pool", name, err) < 0 ||
	    virt_check_path("storage pool", dir, err) < 0)
		return -1;
	if (fs_mkdirs(dir, 0711, err) < 0)
		return err_wrap(err, "storage pool '%s'", name);
	if (stat(dir, &st) < 0)
		return err_sys(err, errno, "storage pool '%s': cannot stat '%s'", name, dir);
	/* qemu runs as another user: it must be able to reach the volumes */
	if (st.st_uid == geteuid() && (st.st_mode & 0111) != 0111 &&
	    chmod(dir, (st.st_mode & 07777) | 0111) < 0)
		return err_sys(err, errno, "storage pool '%s': cannot chmod '%s'", name, dir);

	found = virt_find_pool(v, name, &pool, err);
	if (found < 0)
		goto out;
	if (found) {
		cur = virStoragePoolGetXMLDesc(pool, 0);
		if (!cur) {
			virt_fail(err, "read storage pool '%s'", name);
			goto out;
		}
		if (virt_xml_pool_read(cur, &type, &raw, err) < 0) {
			err_wrap(err, "read storage pool '%s'", name);
			goto out;
		}
		have = raw ? path_clean(raw) : NULL;
		want = path_clean(dir);
		if (!type || strcmp(type, "dir") != 0 || !have || strcmp(have, want) != 0) {
			err_set(err, ERR_FAIL,
			        "storage pool '%s' already exists as a '%s' pool at '%s', not a "
			        "'dir' pool at '%s': if ftboot left it behind, remove it (virsh "
			        "pool-destroy %s; virsh pool-undefine %s)",
			        name, virt_show(type), virt_show(have), dir, name, name);
			goto out;
		}
	} else {
		xw_init(&w);
		xw_raw(&w, "<pool type='dir'>\n");
		xw_elem(&w, "  ", "name", name);
		xw_raw(&w, "  <target>\n");
		xw_elem(&w, "    ", "path", dir);
		xw_raw(&w, "    <permissions>\n      <mode>0711</mode>\n    </permissions>\n");
		xw_raw(&w, "  </target>\n</pool>\n");
		if (xw_finish(&w, "storage pool", &xml, err) < 0)
			goto out;
		pool = virStoragePoolDefineXML(v->conn, xml, VIR_STORAGE_POOL_DEFINE_VALIDATE);
		if (!pool) {
			virt_fail(err, "define storage pool '%s'", name);
			goto out;
		}
		defined = 1;
	}
	active = virStoragePoolIsActive(pool);
	if (active < 0) {
		virt_fail(err, "storage pool '%s'", name);
		goto out;
	}
	if (!active && virStoragePoolCreate(pool, 0) < 0) {
		virt_fail(err, "start storage pool '%s'", name);
		if (defined && virStoragePoolUndefine(pool) < 0)
			virt_forget();
		goto out;
	}
	/* files may have changed behind libvirt's back (another daemon run) */
	if (active && virStoragePoolRefresh(pool, 0) < 0) {
		virt_fail(err, "refresh storage pool '%s'", name);
		goto out;
	}
	rc = 0;
out:
	if (pool)
		virStoragePoolFree(pool);
	free(xml);
	free(cur);
	free(type);
	free(raw);
	free(have);
	free(want);
	return rc;
}

int virt_pool_remove(struct virt *v, const char *name, struct err *err)
{
	virStoragePoolPtr pool = NULL;
	int found, active, persistent, rc = -1;

	if (virt_check_name("storage pool", name, err) < 0)
		return -1;
	found = virt_find_pool(v, name, &pool, err);
	if (found <= 0)
		return found;
	active = virStoragePoolIsActive(pool);
	persistent = virStoragePoolIsPersistent(pool);
	if (active < 0 || persistent < 0) {
		virt_fail(err, "storage pool '%s'", name);
		goto out;
	}
	if (active && virStoragePoolDestroy(pool) < 0) {
		virt_fail(err, "stop storage pool '%s'", name);
		goto out;
	}
	if (persistent && virStoragePoolUndefine(pool) < 0) {
		virt_fail(err, "undefine storage pool '%s'", name);
		goto out;
	}
	rc = 0;
out:
	virStoragePoolFree(pool);
	return rc;
}

/* The running pool name, or an error saying what to do. */
static int virt_pool_open(struct virt *v, const char *name, virStoragePoolPtr *out, struct err *err)
{
	int found, active;

	found = virt_find_pool(v, name, out, err);
	if (found < 0)
		return -1;
	if (!found)
		return err_setk(err, ERRK_NOTFOUND, "storage pool '%s' does not exist", name);
	active = virStoragePoolIsActive(*out);
	if (active <= 0) {
		if (active < 0)
			virt_fail(err, "storage pool '%s'", name);
		else
			err_set(err, ERR_FAIL,
			        "storage pool '%s' is not running (start it: virsh pool-start %s)",
			        name, name);
		virStoragePoolFree(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* *path = the volume's file, if path is not NULL. */
static int virt_vol_give_path(virStorageVolPtr vol, const char *name, char **path, struct err *err)
{
	char *p;

	if (!path)
		return 0;
	p = virStorageVolGetPath(vol);
	if (!p)
		return virt_fail(err, "path of volume '%s'", name);
	*path = xstrdup(p);
	free(p);
	return 0;
}

int virt_vol_create_overlay(struct virt *v, const char *pool, const char *name,
                            const char *backing_path, const char *backing_format,
                            uint64_t capacity_bytes, char **path, struct err *err)
{
	virStoragePoolPtr p = NULL;
	virStorageVolPtr vol = NULL;
	char *xml = NULL, *cur = NULL, *have = NULL, *hc = NULL, *wc = NULL;
	struct xw w;
	int found, rc = -1;

	if (path)
		*path = NULL;
	if (virt_check_name("storage pool", pool, err) < 0 ||
	    virt_check_name("volume", name, err) < 0 ||
	    virt_check_path("backing file", backing_path, err) < 0)
		return -1;
	if (!backing_format ||
	    (strcmp(backing_format, "qcow2") != 0 && strcmp(backing_format, "raw") != 0))
		return err_set(err, ERR_FAIL,
		               "volume '%s': backing format '%s' is not qcow2 or raw", name,
		               virt_show(backing_format));
	if (capacity_bytes == 0)
		return err_set(err, ERR_FAIL, "volume '%s': capacity must not be 0", name);
	if (virt_pool_open(v, pool, &p, err) < 0)
		return -1;
	found = virt_find_vol(p, pool, name, &vol, err);
	if (found < 0)
		goto out;
	if (found) {
		cur = virStorageVolGetXMLDesc(vol, 0);
		if (!cur) {
			virt_fail(err, "read volume '%s'", name);
			goto out;
		}
		if (virt_xml_vol_backing(cur, &have, err) < 0) {
			err_wrap(err, "read volume '%s' in pool '%s'", name, pool);
			goto out;
		}
		hc = have ? path_clean(have) : NULL; /* compared cleaned */
		wc = path_clean(backing_path);
		if (!hc || strcmp(hc, wc) != 0) {
			err_set(err, ERR_FAIL,
			        "volume '%s' in pool '%s' already exists on %s%s%s, not on '%s': "
			        "delete it (virsh vol-delete %s --pool %s) to start over from the "
			        "new base",
			        name, pool, have ? "'" : "", have ? have : "no backing file",
			        have ? "'" : "", backing_path, name, pool);
			goto out;
		}
	} else {
		xw_init(&w);
		xw_raw(&w, "<volume type='file'>\n");
		xw_elem(&w, "  ", "name", name);
		xw_rawf(&w, "  <capacity unit='bytes'>%llu</capacity>\n",
		        (unsigned long long)capacity_bytes);
		xw_raw(&w, "  <target>\n    <format type='qcow2'/>\n  </target>\n");
		xw_raw(&w, "  <backingStore>\n");
		xw_elem(&w, "    ", "path", backing_path);
		xw_raw(&w, "    <format");
		xw_attr(&w, "type", backing_format);
		xw_raw(&w, "/>\n  </backingStore>\n</volume>\n");
		if (xw_finish(&w, "volume", &xml, err) < 0)
			goto out;
		/* no VIR_STORAGE_VOL_CREATE_VALIDATE: libvirt 9.0's parser rejects it */
		vol = virStorageVolCreateXML(p, xml, 0);
		if (!vol) {
			virt_fail(err, "create volume '%s' in pool '%s' on '%s'", name, pool,
			          backing_path);
			goto out;
		}
	}
	if (virt_vol_give_path(vol, name, path, err) < 0)
		goto out;
	rc = 0;
out:
	if (vol)
		virStorageVolFree(vol);
	virStoragePoolFree(p);
	free(xml);
	free(cur);
	free(have);
	free(hc);
	free(wc);
	return rc;
}

/* Send all of data into the upload stream st. */
static int virt_stream_send(virStreamPtr st, const char *data, size_t len)
{
	while (len > 0) {
		size_t chunk = len < VIRT_UPLOAD_CHUNK ? len : VIRT_UPLOAD_CHUNK;
		int n = virStreamSend(st, data, chunk);

		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int virt_vol_upload(struct virt *v, const char *pool, const char *name, const void *data,
                    size_t len, char **path, struct err *err)
{
	virStoragePoolPtr p = NULL;
	virStorageVolPtr vol = NULL;
	virStreamPtr st = NULL;
	char *xml = NULL;
	struct xw w;
	int found, rc = -1;

	if (path)
		*path = NULL;
	if (virt_check_name("storage pool", pool, err) < 0 ||
	    virt_check_name("volume", name, err) < 0)
		return -1;
	if (len == 0)
		return err_set(err, ERR_FAIL, "volume '%s': nothing to upload", name);
	if (virt_pool_open(v, pool, &p, err) < 0)
		return -1;
	found = virt_find_vol(p, pool, name, &vol, err);
	if (found < 0)
		goto out;
	if (found) {
		if (virStorageVolDelete(vol, 0) < 0) {
			virt_fail(err, "replace volume '%s' in pool '%s'", name, pool);
			goto out;
		}
		virStorageVolFree(vol);
		vol = NULL;
	}
	xw_init(&w);
	xw_raw(&w, "<volume type='file'>\n");
	xw_elem(&w, "  ", "name", name);
	xw_rawf(&w, "  <capacity unit='bytes'>%zu</capacity>\n", len);
	xw_rawf(&w, "  <allocation unit='bytes'>%zu</allocation>\n", len);
	xw_raw(&w, "  <target>\n    <format type='raw'/>\n  </target>\n</volume>\n");
	if (xw_finish(&w, "volume", &xml, err) < 0)
		goto out;
	vol = virStorageVolCreateXML(p, xml, 0);
	if (!vol) {
		virt_fail(err, "create volume '%s' in pool '%s'", name, pool);
		goto out;
	}
	st = virStreamNew(v->conn, 0);
	if (!st) {
		virt_fail(err, "upload volume '%s'", name);
		goto out;
	}
	if (virStorageVolUpload(vol, st, 0, len, 0) < 0 || virt_stream_send(st, data, len) < 0 ||
	    virStreamFinish(st) < 0) {
		virt_fail(err, "upload volume '%s' in pool '%s'", name, pool);
		if (virStreamAbort(st) < 0)
			virt_forget();
		goto out;
	}
	if (virt_vol_give_path(vol, name, path, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && vol && virStorageVolDelete(vol, 0) < 0)
		virt_forget(); /* keep the first error */
	if (st)
		virStreamFree(st);
	if (vol)
		virStorageVolFree(vol);
	virStoragePoolFree(p);
	free(xml);
	return rc;
}

int virt_vol_delete(struct virt *v, const char *pool, const char *name, struct err *err)
{
	virStoragePoolPtr p = NULL;
	virStorageVolPtr vol = NULL;
	int found, rc = -1;

	if (virt_check_name("storage pool", pool, err) < 0 ||
	    virt_check_name("volume", name, err) < 0)
		return -1;
	found = virt_find_pool(v, pool, &p, err);
	if (found <= 0)
		return found;
	found = virt_find_vol(p, pool, name, &vol, err);
	if (found <= 0) {
		rc = found;
		goto out;
	}
	if (virStorageVolDelete(vol, 0) < 0) {
		virt_fail(err, "delete volume '%s' in pool '%s'", name, pool);
		goto out;
	}
	rc = 0;
out:
	if (vol)
		virStorageVolFree(vol);
	virStoragePoolFree(p);
	return rc;
}

int virt_vol_path(struct virt *v, const char *pool, const char *name, char **path, struct err *err)
{
	virStoragePoolPtr p = NULL;
	virStorageVolPtr vol = NULL;
	int found, rc = -1;

	*path = NULL;
	if (virt_check_name("storage pool", pool, err) < 0 ||
	    virt_check_name("volume", name, err) < 0)
		return -1;
	found = virt_find_pool(v, pool, &p, err);
	if (found <= 0)
		return found;
	found = virt_find_vol(p, pool, name, &vol, err);
	if (found <= 0) {
		rc = found;
		goto out;
	}
	rc = virt_vol_give_path(vol, name, path, err);
out:
	if (vol)
		virStorageVolFree(vol);
	virStoragePoolFree(p);
	return rc;
}

/* ---- domains ----------------------------------------------------------- */

static int virt_dom_check(const struct virt_dom_spec *s, struct err *err)
{
	if (virt_check_name("domain", s->name, err) < 0)
		return -1;
	if (s->memory_bytes < VIRT_MEM_MIN)
		return err_set(err, ERR_FAIL, "domain '%s': memory must be at least 64 MiB",
		               s->name);
	if (s->vcpus < 1 || s->vcpus > VIRT_VCPUS_MAX)
		return err_set(err, ERR_FAIL, "domain '%s': %u vCPUs is out of range (1..%d)",
		               s->name, s->vcpus, VIRT_VCPUS_MAX);
	if (s->accel != VIRT_ACCEL_KVM && s->accel != VIRT_ACCEL_TCG)
		return err_set(err, ERR_FAIL, "domain '%s': unknown accelerator %d", s->name,
		               (int)s->accel);
	if (virt_check_path("disk", s->disk_path, err) < 0 ||
	    (s->seed_path && virt_check_path("seed", s->seed_path, err) < 0) ||
	    (s->console_log && virt_check_path("console log", s->console_log, err) < 0) ||
	    (s->kernel && virt_check_path("kernel", s->kernel, err) < 0) ||
	    (s->initrd && virt_check_path("initrd", s->initrd, err) < 0))
		return err_wrap(err, "domain '%s'", s->name);
	if (virt_check_name("network", s->network, err) < 0)
		return err_wrap(err, "domain '%s'", s->name);
	if (!virt_mac_ok(s->mac))
		return err_set(err, ERR_FAIL,
		               "domain '%s': invalid MAC address '%s' (want xx:xx:xx:xx:xx:xx, "
		               "unicast)",
		               s->name, virt_show(s->mac));
	if (s->uuid && !virt_uuid_ok(s->uuid))
		return err_set(err, ERR_FAIL,
		               "domain '%s': invalid UUID '%s' (want "
		               "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)",
		               s->name, virt_show(s->uuid));
	if (!s->kernel && (s->initrd || s->cmdline))
		return err_set(err, ERR_FAIL,
		               "domain '%s': an initrd or command line needs a kernel", s->name);
	if (s->cmdline && !virt_text_ok(s->cmdline, VIRT_CMDLINE_MAX))
		return err_set(err, ERR_FAIL,
		               "domain '%s': the kernel command line must be valid UTF-8 without "
		               "control characters, under %d bytes",
		               s->name, VIRT_CMDLINE_MAX);
	return virt_owner_check("domain", s->name, &s->owner, err);
}

/* The domain XML; with uuid (libvirt's string form) to redefine in place. */
static int virt_dom_render_uuid(const struct virt_dom_spec *s, const char *uuid, char **xml,
                                struct err *err)
{
	struct xw w;

	*xml = NULL;
	if (virt_dom_check(s, err) < 0)
		return -1;
	xw_init(&w);
	xw_rawf(&w, "<domain type='%s'>\n", s->accel == VIRT_ACCEL_KVM ? "kvm" : "qemu");
	xw_elem(&w, "  ", "name", s->name);
	if (uuid)
		xw_elem(&w, "  ", "uuid", uuid);
	xw_owner(&w, "  ", &s->owner);
	xw_rawf(&w, "  <memory unit='bytes'>%llu</memory>\n", (unsigned long long)s->memory_bytes);
	xw_rawf(&w, "  <vcpu>%u</vcpu>\n", s->vcpus);
	/* i440fx ('pc'): it has the IDE controller the seed cdrom sits on */
	xw_raw(&w, "  <os>\n    <type machine='pc'>hvm</type>\n");
	if (s->kernel) {
		xw_elem(&w, "    ", "kernel", s->kernel);
		if (s->initrd)
			xw_elem(&w, "    ", "initrd", s->initrd);
		if (s->cmdline)
			xw_elem(&w, "    ", "cmdline", s->cmdline);
	} else {
		xw_raw(&w, "    <boot dev='hd'/>\n");
	}
	xw_raw(&w, "  </os>\n  <features>\n    <acpi/>\n    <apic/>\n  </features>\n");
	if (s->accel == VIRT_ACCEL_KVM)
		xw_raw(&w, "  <cpu mode='host-passthrough' check='none'/>\n");
	xw_raw(&w, "  <clock offset='utc'/>\n"
	           "  <on_poweroff>destroy</on_poweroff>\n"
	           "  <on_reboot>restart</on_reboot>\n"
	           "  <on_crash>destroy</on_crash>\n"
	           "  <devices>\n");
	xw_raw(&w, "    <disk type='file' device='disk'>\n"
	           "      <driver name='qemu' type='qcow2'/>\n"
	           "      <source");
	xw_attr(&w, "file", s->disk_path);
	xw_raw(&w, "/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
	if (s->seed_path) {
		xw_raw(&w, "    <disk type='file' device='cdrom'>\n"
		           "      <driver name='qemu' type='raw'/>\n"
		           "      <source");
		xw_attr(&w, "file", s->seed_path);
		xw_raw(&w, "/>\n      <target dev='hdc' bus='ide'/>\n"
		           "      <readonly/>\n    </disk>\n");
	}
	xw_raw(&w, "    <interface type='network'>\n      <source");
	xw_attr(&w, "network", s->network);
	xw_raw(&w, "/>\n      <mac");
	xw_attr(&w, "address", s->mac);
	xw_raw(&w, "/>\n      <model type='virtio'/>\n    </interface>\n");
	xw_raw(&w, "    <serial type='pty'>\n");
	if (s->console_log) {
		xw_raw(&w, "      <log");
		xw_attr(&w, "file", s->console_log);
		xw_raw(&w, " append='on'/>\n");
	}
	xw_raw(&w, "      <target port='0'/>\n    </serial>\n");
	xw_raw(&w, "    <console type='pty'>\n      <target type='serial' port='0'/>\n"
	           "    </console>\n");
	xw_raw(&w, "    <rng model='virtio'>\n"
	           "      <backend model='random'>/dev/urandom</backend>\n"
	           "    </rng>\n");
	xw_raw(&w, "  </devices>\n</domain>\n");
	return xw_finish(&w, "domain", xml, err);
}

int virt_dom_render(const struct virt_dom_spec *spec, char **xml, struct err *err)
{
	return virt_dom_render_uuid(spec, spec->uuid, xml, err);
}

int virt_dom_define(struct virt *v, const struct virt_dom_spec *spec, struct err *err)
{
	virDomainPtr dom = NULL;
	char uuid[VIR_UUID_STRING_BUFLEN] = "";
	char *xml = NULL;
	int found, rc = -1;

	if (virt_dom_check(spec, err) < 0)
		return -1;
	found = virt_find_dom(v, spec->name, &dom, err);
	if (found < 0)
		return -1;
	if (found) {
		if (virDomainGetUUIDString(dom, uuid) < 0) {
			virt_fail(err, "domain '%s'", spec->name);
			goto out;
		}
		virDomainFree(dom);
		dom = NULL;
		if (spec->uuid && strcasecmp(uuid, spec->uuid) != 0) {
			err_setk(err, ERRK_EXISTS,
			         "domain '%s' exists with UUID %s, not the expected %s", spec->name,
			         uuid, spec->uuid);
			goto out;
		}
	}
	if (virt_dom_render_uuid(spec,
	                         spec->uuid ? spec->uuid
	                         : found    ? uuid
	                                    : NULL,
	                         &xml, err) < 0)
		goto out;
	dom = virDomainDefineXMLFlags(v->conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
	if (!dom) {
		virt_fail(err, "define domain '%s'", spec->name);
		goto out;
	}
	rc = 0;
out:
	if (dom)
		virDomainFree(dom);
	free(xml);
	return rc;
}

int virt_dom_owner(struct virt *v, const char *name, const struct virt_owner *me,
                   enum virt_own *own, char **other, char uuid[VIRT_UUID_STRLEN], struct err *err)
{
	virDomainPtr dom = NULL;
	char *xml = NULL;
	int found, rc = -1;

	*own = VIRT_OWN_ABSENT;
	if (other)
		*other = NULL;
	if (uuid)
		uuid[0] = '\0';
	if (virt_check_name("domain", name, err) < 0)
		return -1;
	found = virt_find_dom(v, name, &dom, err);
	if (found <= 0)
		return found;
	if (uuid && virDomainGetUUIDString(dom, uuid) < 0) {
		virt_fail(err, "domain '%s'", name);
		goto out;
	}
	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	if (!xml) {
		virt_fail(err, "read domain '%s'", name);
		goto out;
	}
	if (virt_owner_of(xml, me, own, other, err) < 0) {
		err_wrap(err, "read domain '%s'", name);
		goto out;
	}
	rc = 0;
out:
	free(xml);
	virDomainFree(dom);
	return rc;
}

/* The existing domain name, or an error. */
static int virt_dom_open(struct virt *v, const char *name, virDomainPtr *dom, struct err *err)
{
	int found;

	if (virt_check_name("domain", name, err) < 0)
		return -1;
	found = virt_find_dom(v, name, dom, err);
	if (found < 0)
		return -1;
	if (!found)
		return err_setk(err, ERRK_NOTFOUND, "domain '%s' does not exist", name);
	return 0;
}

int virt_dom_start(struct virt *v, const char *name, struct err *err)
{
	virDomainPtr dom = NULL;
	int active, rc = -1;

	if (virt_dom_open(v, name, &dom, err) < 0)
		return -1;
	active = virDomainIsActive(dom);
	if (active < 0) {
		virt_fail(err, "domain '%s'", name);
		goto out;
	}
	if (!active && virDomainCreate(dom) < 0) {
		virt_fail(err, "start domain '%s'", name);
		goto out;
	}
	rc = 0;
out:
	virDomainFree(dom);
	return rc;
}

const char *virt_dom_state_name(enum virt_dom_state state)
{
	switch (state) {
	case VIRT_DOM_ABSENT:
		return "absent";
	case VIRT_DOM_RUNNING:
		return "running";
	case VIRT_DOM_PAUSED:
		return "paused";
	case VIRT_DOM_SHUTDOWN:
		return "shutting down";
	case VIRT_DOM_SHUTOFF:
		return "shut off";
	case VIRT_DOM_CRASHED:
		return "crashed";
	case VIRT_DOM_SUSPENDED:
		return "suspended";
	case VIRT_DOM_OTHER:
		break;
	}
	return "unknown";
}

static enum virt_dom_state virt_dom_map(int st)
{
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return VIRT_DOM_RUNNING;
	case VIR_DOMAIN_PAUSED:
		return VIRT_DOM_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return VIRT_DOM_SHUTDOWN;
	case VIR_DOMAIN_SHUTOFF:
		return VIRT_DOM_SHUTOFF;
	case VIR_DOMAIN_CRASHED:
		return VIRT_DOM_CRASHED;
	case VIR_DOMAIN_PMSUSPENDED:
		return VIRT_DOM_SUSPENDED;
	default:
		return VIRT_DOM_OTHER;
	}
}

static int virt_dom_get_state(virDomainPtr dom, const char *name, enum virt_dom_state *state,
                              struct err *err)
{
	int st = 0, reason = 0;

	if (virDomainGetState(dom, &st, &reason, 0) < 0)
		return virt_fail(err, "state of domain '%s'", name);
	*state = virt_dom_map(st);
	return 0;
}

int virt_dom_state(struct virt *v, const char *name, enum virt_dom_state *state, struct err *err)
{
	virDomainPtr dom = NULL;
	int found, rc;

	*state = VIRT_DOM_ABSENT;
	if (virt_check_name("domain", name, err) < 0)
		return -1;
	found = virt_find_dom(v, name, &dom, err);
	if (found <= 0)
		return found;
	rc = virt_dom_get_state(dom, name, state, err);
	virDomainFree(dom);
	return rc;
}

/* Destroy dom; one that stopped by itself meanwhile is fine too. */
static int virt_dom_kill(virDomainPtr dom, const char *name, struct err *err)
{
	if (virDomainDestroy(dom) == 0)
		return 0;
	if (virDomainIsActive(dom) == 0) {
		virt_forget();
		return 0;
	}
	return virt_fail(err, "destroy domain '%s'", name);
}

static double virt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int virt_dom_stop(struct virt *v, const char *name, unsigned grace_seconds, int *forced,
                  struct err *err)
{
	virDomainPtr dom = NULL;
	enum virt_dom_state state;
	int found, active, rc = -1;
	double deadline;

	if (forced)
		*forced = 0;
	if (virt_check_name("domain", name, err) < 0)
		return -1;
	found = virt_find_dom(v, name, &dom, err);
	if (found <= 0)
		return found;
	active = virDomainIsActive(dom);
	if (active < 0) {
		virt_fail(err, "domain '%s'", name);
		goto out;
	}
	if (!active) {
		rc = 0;
		goto out;
	}
	if (virt_dom_get_state(dom, name, &state, err) < 0)
		goto out;
	/* a paused guest cannot see the ACPI button */
	if (grace_seconds > 0 && state != VIRT_DOM_PAUSED) {
		/* with no guest agent configured, qemu sends the ACPI power button */
		if (virDomainShutdown(dom) < 0) {
			virt_forget(); /* destroy below does the job */
		} else {
			deadline = virt_now() + grace_seconds;
			while ((active = virDomainIsActive(dom)) > 0 && virt_now() < deadline) {
				struct timespec ts = {0, VIRT_POLL_NS};

				nanosleep(&ts, NULL);
			}
			if (active < 0) {
				virt_fail(err, "domain '%s'", name);
				goto out;
			}
			if (!active) {
				rc = 0;
				goto out;
			}
		}
	}
	if (virt_dom_kill(dom, name, err) < 0)
		goto out;
	if (forced)
		*forced = 1;
	rc = 0;
out:
	if (dom)
		virDomainFree(dom);
	return rc;
}

int virt_dom_remove(struct virt *v, const char *name, struct err *err)
{
	/* the fullest clean-up first; drivers that refuse a flag get fewer */
	static const unsigned flag_sets[] = {
	    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
	        VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM,
	    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
	    0,
	};
	virDomainPtr dom = NULL;
	int found, active, persistent, rc = -1, code;
	size_t i;

	if (virt_check_name("domain", name, err) < 0)
		return -1;
	found = virt_find_dom(v, name, &dom, err);
	if (found <= 0)
		return found;
	active = virDomainIsActive(dom);
	persistent = virDomainIsPersistent(dom);
	if (active < 0 || persistent < 0) {
		virt_fail(err, "domain '%s'", name);
		goto out;
	}
	if (active && virt_dom_kill(dom, name, err) < 0)
		goto out;
	if (!persistent) { /* transient: gone with its destroy */
		rc = 0;
		goto out;
	}
	for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		if (virDomainUndefineFlags(dom, flag_sets[i]) == 0) {
			rc = 0;
			goto out;
		}
		code = virGetLastErrorCode();
		if (code != VIR_ERR_INVALID_ARG && code != VIR_ERR_NO_SUPPORT &&
		    code != VIR_ERR_ARGUMENT_UNSUPPORTED)
			break;
		if (i + 1 < sizeof(flag_sets) / sizeof(flag_sets[0]))
			virt_forget();
	}
	virt_fail(err, "undefine domain '%s'", name);
out:
	if (dom)
		virDomainFree(dom);
	return rc;
}

int virt_dom_uses_network(struct virt *v, const char *netname, char ***names, size_t *n,
                          struct err *err)
{
	virDomainPtr *doms = NULL;
	char **out = NULL, *xml = NULL;
	size_t used = 0;
	int nd, i, rc = -1;

	*names = NULL;
	if (n)
		*n = 0;
	nd = virConnectListAllDomains(v->conn, &doms, 0);
	if (nd < 0)
		return virt_fail(err, "list libvirt domains");
	out = xcalloc((size_t)nd + 1, sizeof(*out));
	for (i = 0; i < nd; i++) {
		const char *dname = virDomainGetName(doms[i]);
		int hit, active, persistent;

		active = virDomainIsActive(doms[i]);
		persistent = active < 0 ? -1 : virDomainIsPersistent(doms[i]);
		xml = persistent < 0 ? NULL : virDomainGetXMLDesc(doms[i], 0);
		if (!xml && virt_last_is(VIR_ERR_NO_DOMAIN))
			continue; /* removed since the listing */
		if (!xml) {
			virt_fail(err, "read domain '%s'", virt_show(dname));
			goto out;
		}
		if (virt_xml_dom_uses_net(xml, netname, &hit, err) < 0) {
			err_wrap(err, "read domain '%s'", virt_show(dname));
			goto out;
		}
		free(xml);
		xml = NULL;
		/* a running domain's next-boot configuration counts too */
		if (!hit && active && persistent) {
			xml = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
			if (!xml && virt_last_is(VIR_ERR_NO_DOMAIN))
				continue;
			if (!xml) {
				virt_fail(err, "read domain '%s'", virt_show(dname));
				goto out;
			}
			if (virt_xml_dom_uses_net(xml, netname, &hit, err) < 0) {
				err_wrap(err, "read domain '%s'", virt_show(dname));
				goto out;
			}
			free(xml);
			xml = NULL;
		}
		if (hit)
			out[used++] = xstrdup(dname ? dname : "?");
	}
	*names = out;
	out = NULL;
	if (n)
		*n = used;
	rc = 0;
out:
	virt_strv_free(out);
	free(xml);
	for (i = 0; i < nd; i++)
		virDomainFree(doms[i]);
	free(doms);
	return rc;
}

int virt_dom_xml(struct virt *v, const char *name, char **xml, struct err *err)
{
	virDomainPtr dom = NULL;

	*xml = NULL;
	if (virt_dom_open(v, name, &dom, err) < 0)
		return -1;
	*xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	if (!*xml)
		return virt_fail(err, "read domain '%s'", name);
	return 0;
}
