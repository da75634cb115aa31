/*
 * Unit tests: the virt module (libvirt).
 *
 * Most run against libvirt's built-in test driver (test:///default): no
 * daemon, all state in this process, one running domain "test" on one
 * network "default" (192.168.122.0/24). The test driver takes most XML
 * without checking it against real hardware, creates no files for
 * volumes, has no DHCP server (virNetworkGetDHCPLeases is not supported)
 * and no volume upload; what only a real libvirtd shows (leases, qcow2
 * files made by qemu-img, uploads, the bridge) is checked in the last part
 * against a private libvirtd in a network namespace of its own, started by
 * tests/servers/libvirtd.sh (skipped with the reason where it cannot run,
 * a failure where it should and does not). That part boots no guest, and
 * its bridges and firewall rules never reach the host's namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "ipv4.h"
#include "tap.h"
#include "virt.h"
#include "virt_xml.h"
#include "xmem.h"

#define NET1  "ftu-net1"
#define NET2  "ftu-net2"
#define POOL  "ftu-pool"
#define DOM   "ftu-dom1"
#define UUID1 "4a1c0a4e-7d2b-4f4e-8d6f-2b0a5c3e9d71"
#define UUID2 "0b9f3c1d-5e6a-4b7c-9d8e-1f2a3b4c5d6e"
#define NASTY "a&b<c>\"d'e"
#define IP(a, b, c, d)                                                                             \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static char tmp[256];

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* The five XML entities undone (enough to compare what libvirt returns). */
static char *unescape(const char *s, size_t n)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	static const char chars[] = "&<>\"'";
	char *out = xmalloc(n + 1), *o = out;
	const char *e = s + n;
	size_t i;

	while (s < e) {
		for (i = 0; i < 5; i++)
			if ((size_t)(e - s) >= strlen(ents[i]) &&
			    strncmp(s, ents[i], strlen(ents[i])) == 0)
				break;
		if (i < 5) {
			*o++ = chars[i];
			s += strlen(ents[i]);
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* The unescaped text of the first <tag>…</tag> in xml, or NULL. */
static char *elem_text(const char *xml, const char *tag)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = xml ? strstr(xml, open) : NULL;
	if (!a)
		return NULL;
	a += strlen(open);
	b = strstr(a, close);
	return b ? unescape(a, (size_t)(b - a)) : NULL;
}

/* Output of a shell command (at most 64 KiB). */
static char *run(const char *cmd, int *status)
{
	struct buf b = BUF_INIT(64 * 1024);
	char chunk[4096];
	size_t n;
	FILE *f = popen(cmd, "r");
	int st;

	if (!f) {
		*status = -1;
		return xstrdup("");
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n) < 0)
			break;
	st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf_detach(&b, NULL);
}

/* The text of the file at path (at most 64 KiB), or why it cannot be read. */
static char *read_text(const char *path)
{
	struct buf b = BUF_INIT(64 * 1024);
	struct err err;

	if (fs_read(path, 64 * 1024, &b, &err) < 0)
		buf_addf(&b, "%s", err.msg);
	return buf_detach(&b, NULL);
}

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* What ftboot says about a libvirt it can tell how to fix. */
static void test_advice(void)
{
	const char *a;

	a = virt_advice("start network 'n': Unable to find 'dnsmasq' binary in $PATH: No such "
	                "file or directory");
	ok(a && has(a, "apt-get install dnsmasq-base"),
	   "no dnsmasq: says which package to install");
	ok(virt_advice("start network 'n': internal error: Network is already in use by "
	               "interface virbr0") == NULL,
	   "other libvirt errors get no made-up advice");
	ok(virt_advice(NULL) == NULL, "no message, no advice");
}

static void test_pure(void)
{
	char mac[VIRT_MAC_STRLEN], mac2[VIRT_MAC_STRLEN];

	ok(virt_name_ok("ftboot-ft_services.1"), "name with - _ . is fine");
	ok(!virt_name_ok(NASTY), "name with & < > \" ' is refused");
	ok(!virt_name_ok("") && !virt_name_ok("-x") && !virt_name_ok("a b") && !virt_name_ok("a/b"),
	   "empty, leading '-', space and '/' are refused");
	ok(virt_name_ok("a234567890123456789012345678901234567890123456789012345678901234") &&
	       !virt_name_ok("a2345678901234567890123456789012345678901234567890123456789012345"),
	   "names are at most %d characters", VIRT_NAME_MAX);

	virt_mac_for("ft", mac);
	virt_mac_for("ft", mac2);
	is_str(mac, mac2, "MAC for a name is stable: %s", mac);
	ok(strncmp(mac, "52:54:00:", 9) == 0 && strlen(mac) == 17, "MAC has QEMU's prefix");
	virt_mac_for("ft2", mac2);
	ok(strcmp(mac, mac2) != 0, "another name, another MAC (%s)", mac2);
}

static void net_spec(struct virt_net_spec *s, const char *name, const char *bridge, unsigned third,
                     const char *mac)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->bridge = bridge;
	s->net = IP(10, 213, third, 0);
	s->prefix = 24;
	s->host_ip = IP(10, 213, third, 1);
	s->dhcp_start = IP(10, 213, third, 100);
	s->dhcp_end = IP(10, 213, third, 200);
	s->host_mac = mac;
	s->host_addr = IP(10, 213, third, 10);
	s->host_name = "ftvm";
}

static void test_render(void)
{
	struct virt_net_spec s;
	struct err err;
	char mac[VIRT_MAC_STRLEN];
	char *xml = NULL;

	virt_mac_for("u1", mac);
	net_spec(&s, NET1, "ftbr-u1", 7, mac);
	ok(virt_net_render(&s, &xml, &err) == 0, "network XML renders");
	ok(has(xml, "<name>ftu-net1</name>") && has(xml, "<forward mode='nat'/>") &&
	       has(xml, "<bridge name='ftbr-u1'") &&
	       has(xml, "<ip address='10.213.7.1' netmask='255.255.255.0'>") &&
	       has(xml, "<range start='10.213.7.100' end='10.213.7.200'/>") &&
	       has(xml, "name='ftvm' ip='10.213.7.10'/>"),
	   "network XML has name, NAT, bridge, ip, range and host");
	free(xml);

	s.name = NASTY;
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "invalid network name") && !xml,
	   "network name with XML specials refused: %s", err.msg);
	s.name = NET1;
	s.bridge = "ftbr-0123456789ab";
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "bridge"),
	   "bridge over 15 characters refused: %s", err.msg);
	s.bridge = "ftbr-u1";
	s.net = IP(10, 213, 7, 5);
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "use 10.213.7.0/24"),
	   "host bits in the network refused: %s", err.msg);
	s.net = IP(10, 213, 7, 0);
	s.host_ip = IP(10, 213, 8, 1);
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "host address"),
	   "host address outside the network refused: %s", err.msg);
	s.host_ip = IP(10, 213, 7, 150);
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "DHCP range"),
	   "DHCP range over the host address refused: %s", err.msg);
	s.host_ip = IP(10, 213, 7, 1);
	s.host_mac = "01:00:5e:00:00:01";
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "MAC"), "multicast MAC refused: %s",
	   err.msg);
	s.host_mac = mac;
	s.host_name = "bad_name";
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "host name"),
	   "bad DHCP host name refused: %s", err.msg);
}

static void dom_spec(struct virt_dom_spec *d, const char *disk, const char *log, const char *mac)
{
	memset(d, 0, sizeof(*d));
	d->name = DOM;
	d->memory_bytes = 512ULL << 20;
	d->vcpus = 2;
	d->accel = VIRT_ACCEL_TCG;
	d->disk_path = disk;
	d->seed_path = "/var/lib/ftboot/seed.iso";
	d->network = NET1;
	d->mac = mac;
	d->console_log = log;
	d->kernel = "/boot/vmlinuz";
	d->initrd = "/boot/initrd.img";
	d->cmdline = "root=/dev/vda rw console=ttyS0 x=" NASTY;
}

static void test_dom_render(void)
{
	struct virt_dom_spec d;
	struct err err;
	char mac[VIRT_MAC_STRLEN];
	char *xml = NULL, *t;

	virt_mac_for("dom", mac);
	dom_spec(&d, "/d/" NASTY ".qcow2", "/log/console.log", mac);
	ok(virt_dom_render(&d, &xml, &err) == 0, "domain XML renders");
	ok(has(xml, "<domain type='qemu'>") && has(xml, "<memory unit='bytes'>536870912<") &&
	       has(xml, "<vcpu>2</vcpu>") && has(xml, "<target dev='vda' bus='virtio'/>") &&
	       has(xml, "<target dev='hdc' bus='ide'/>") &&
	       has(xml, "<source network='ftu-net1'/>") &&
	       has(xml, "<log file='/log/console.log' append='on'/>") &&
	       has(xml, "<rng model='virtio'>") && !has(xml, "<graphics"),
	   "TCG domain: qemu type, virtio disk, IDE seed, NIC, serial log, rng, no graphics");
	ok(has(xml, "file='/d/a&amp;b&lt;c&gt;&quot;d&apos;e.qcow2'"),
	   "a path with & < > \" ' is escaped in an attribute");
	t = elem_text(xml, "cmdline");
	is_str(t, d.cmdline, "the command line survives escaping");
	free(t);
	ok(!has(xml, NASTY), "no raw special characters in the XML");
	free(xml);

	d.accel = VIRT_ACCEL_KVM;
	d.kernel = d.initrd = d.cmdline = NULL;
	d.seed_path = d.console_log = NULL;
	ok(virt_dom_render(&d, &xml, &err) == 0 && has(xml, "<domain type='kvm'>") &&
	       has(xml, "host-passthrough") && has(xml, "<boot dev='hd'/>") && !has(xml, "cdrom") &&
	       !has(xml, "<log"),
	   "KVM domain booting from disk, no seed, no log");
	free(xml);

	dom_spec(&d, "/d.qcow2", NULL, mac);
	d.name = NASTY;
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "invalid domain name"),
	   "domain name with XML specials refused: %s", err.msg);
	dom_spec(&d, "relative.qcow2", NULL, mac);
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "disk path"),
	   "relative disk path refused: %s", err.msg);
	dom_spec(&d, "/d.qcow2", NULL, mac);
	d.kernel = NULL;
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "needs a kernel"),
	   "initrd without kernel refused: %s", err.msg);
	dom_spec(&d, "/d.qcow2", NULL, mac);
	d.cmdline = "console=ttyS0\nx";
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "command line"),
	   "control character in the command line refused");
	dom_spec(&d, "/d.qcow2", NULL, mac);
	d.memory_bytes = 1 << 20;
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "memory"),
	   "1 MiB of memory refused: %s", err.msg);
	dom_spec(&d, "/d.qcow2", "/bad\xff.log", mac);
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "console log"),
	   "invalid UTF-8 in a path refused");
	dom_spec(&d, "/d.qcow2", NULL, mac);
	d.uuid = UUID1;
	ok(virt_dom_render(&d, &xml, &err) == 0 && has(xml, "  <uuid>" UUID1 "</uuid>\n"),
	   "the spec's UUID is in the XML");
	free(xml);
	xml = NULL;
	d.uuid = "4a1c0a4e-'/>-4f4e-8d6f-2b0a5c3e9d71";
	ok(virt_dom_render(&d, &xml, &err) < 0 && has(err.msg, "invalid UUID"),
	   "a UUID that is not one is refused: %s", err.msg);
}

static void test_open(void)
{
	struct virt *v = NULL;
	struct err err;
	int r, nodaemon;

	/*
	 * libvirt hands a URI it does not know to the daemon, so the answer
	 * depends on whether one listens: "no connection driver" (check the
	 * URI) from a running libvirtd, "Connection refused" or "No such
	 * file" from a stale or absent socket (start libvirtd). Both are
	 * right; each must come with its own advice.
	 */
	r = virt_open("bogus:///nothing", &v, &err);
	nodaemon = has(err.msg, "Connection refused") || has(err.msg, "No such file");
	ok(r < 0 && !v && has(err.msg, "cannot connect to libvirt at 'bogus:///nothing': ") &&
	       (nodaemon ? has(err.msg, "is libvirtd running?") && !has(err.msg, "check the URI")
	                 : has(err.msg, "check the URI") && !has(err.msg, "libvirtd")),
	   "unknown URI (%s): %s", nodaemon ? "no daemon" : "daemon up", err.msg);
	ok(virt_open("qemu:///system?socket=/nonexistent/ftboot-sock", &v, &err) < 0 &&
	       has(err.msg, "cannot connect to libvirt at 'qemu:///system?socket=") &&
	       has(err.msg, "is libvirtd running? (start it: libvirtd -d, or systemctl start "
	                    "libvirtd)"),
	   "no daemon: says so and how to start it: %s", err.msg);
	ok(virt_open("test:///default", &v, &err) == 0 && v, "test:///default opens");
	if (v) {
		is_str(virt_uri(v), "test:///default", "virt_uri");
		/* The test driver has no keepalive: open says so, without failing. */
		is_int(virt_keepalive(v), 0, "test:///default: no keepalive, and no error");
	}
	virt_close(v);
	virt_close(NULL);
}

static void test_networks(struct virt *v)
{
	struct virt_net_spec s, s2;
	struct err err;
	char mac[VIRT_MAC_STRLEN];
	char *xml = NULL, *desc = NULL, *routes;
	int created = -1, exists = -1;
	uint32_t addr = 0;

	virt_mac_for("u1", mac);
	net_spec(&s, NET1, "ftbr-u1", 7, mac);
	ok(virt_net_exists(v, NET1, &exists, &err) == 0 && exists == 0, "absent before");
	ok(virt_net_ensure(v, &s, &created, &err) == 0 && created == 1,
	   "network defined and started");
	ok(virt_net_exists(v, NET1, &exists, &err) == 0 && exists == 1, "exists after");
	ok(virt_net_exists(v, "bad name!", &exists, &err) < 0, "a bad name is an error");
	ok(virt_net_xml(v, NET1, &xml, &err) == 0 && has(xml, "<bridge name='ftbr-u1'") &&
	       has(xml, "ip='10.213.7.10'"),
	   "libvirt has it with its reservation");
	free(xml);
	xml = NULL;
	ok(virt_net_ensure(v, &s, &created, &err) == 0 && created == 0,
	   "second ensure leaves it as it is");

	net_spec(&s2, NET1, "ftbr-u1", 8, mac);
	ok(virt_net_ensure(v, &s2, &created, &err) < 0 &&
	       has(err.msg,
	           "libvirt network 'ftu-net1' already exists with another configuration") &&
	       has(err.msg, "10.213.7.1/24") && has(err.msg, "10.213.8.1/24"),
	   "same name, other subnet: %s", err.msg);
	net_spec(&s2, NET1, "ftbr-other", 7, mac);
	ok(virt_net_ensure(v, &s2, &created, &err) < 0 && has(err.msg, "bridge 'ftbr-u1'"),
	   "same name, other bridge refused");

	s.host_addr = IP(10, 213, 7, 11);
	ok(virt_net_ensure(v, &s, &created, &err) == 0 && created == 0, "new reservation applied");
	ok(virt_net_xml(v, NET1, &xml, &err) == 0 && has(xml, "ip='10.213.7.11'") &&
	       !has(xml, "ip='10.213.7.10'"),
	   "the old reservation is replaced, not added to");
	free(xml);

	s.name = NASTY;
	ok(virt_net_ensure(v, &s, &created, &err) < 0 && has(err.msg, "invalid network name"),
	   "ensure refuses a name with XML specials");
	s.name = NET1;

	net_spec(&s2, NET2, "ftbr-u2", 9, NULL);
	s2.host_name = NULL;
	ok(virt_net_ensure(v, &s2, &created, &err) == 0 && created == 1,
	   "a second network, no reservation");

	/* host routes from a file of our own: the machine's vary */
	routes = tmp_path("route");
	write_file(
	    routes,
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	    "eth0\t00000A0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
	    "ftbr-u1\t0007D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	    "down0\t00002CAC\t00000000\t0000\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
	virt_set_route_file(v, routes);
	ok(virt_net_find_overlap(v, IP(10, 213, 7, 0), 24, NET1, &desc, &err) == 0 && !desc,
	   "own network and the route on its bridge do not count");
	ok(virt_net_find_overlap(v, IP(10, 213, 7, 128), 25, NULL, &desc, &err) == 0,
	   "overlap lookup runs");
	is_str(desc, "libvirt network 'ftu-net1' (10.213.7.0/24)", "a /25 inside a network");
	free(desc);
	ok(virt_net_find_overlap(v, IP(10, 213, 0, 0), 16, NET1, &desc, &err) == 0, "runs");
	is_str(desc, "libvirt network 'ftu-net2' (10.213.9.0/24)", "a /16 around another network");
	free(desc);
	ok(virt_net_find_overlap(v, IP(192, 168, 0, 0), 16, NET1, &desc, &err) == 0, "runs");
	is_str(desc, "libvirt network 'default' (192.168.122.0/24)",
	       "the test driver's own default network");
	free(desc);
	ok(virt_net_find_overlap(v, IP(10, 10, 5, 0), 24, NET1, &desc, &err) == 0, "runs");
	is_str(desc, "host route 10.10.0.0/16 on eth0", "a host route");
	free(desc);
	ok(virt_net_find_overlap(v, IP(172, 44, 0, 0), 24, NET1, &desc, &err) == 0 && !desc,
	   "routes that are down and default routes do not count");
	ok(virt_net_find_overlap(v, IP(10, 214, 0, 0), 24, NET1, &desc, &err) == 0 && !desc,
	   "a free subnet is free");
	free(routes);

	/* the machine's own routing table: whatever is in it must be found */
	virt_set_route_file(v, NULL);
	{
		int st;
		char *line = run("awk 'NR > 1 && $8 != \"00000000\" && $4 != \"0000\" "
		                 "{ print $1, $2, $8; exit }' /proc/net/route 2>/dev/null",
		                 &st);
		char ifname[64];
		unsigned dest, mask;

		if (sscanf(line, "%63s %x %x", ifname, &dest, &mask) == 3) {
			uint32_t d = ntohl(dest), m = ntohl(mask);
			unsigned pre = 0;
			char want[128], a[IPV4_STRLEN];

			while (pre < 32 && (m & (1U << (31 - pre))))
				pre++;
			snprintf(want, sizeof(want), "on %s", ifname);
			ipv4_format(d & m, a);
			int r = virt_net_find_overlap(v, d & m, pre, NULL, &desc, &err);

			ok(r == 0 && desc && (has(desc, want) || has(desc, "libvirt network")),
			   "/proc/net/route: %s/%u found: %s", a, pre, desc ? desc : "(none)");
			free(desc);
		} else {
			skip("no non-default route in /proc/net/route");
		}
		free(line);
	}

	/* leases need dnsmasq: only a real libvirtd has them (see the end) */
	ok(virt_net_lease(v, NET1, mac, &addr, &err) < 0 && has(err.msg, "read DHCP leases"),
	   "test driver: no DHCP leases, said as an error: %s", err.msg);
	ok(virt_net_lease(v, "ftu-none", mac, &addr, &err) < 0 && has(err.msg, "does not exist"),
	   "leases of a missing network");
	ok(virt_net_lease(v, NET1, "nope", &addr, &err) < 0 && has(err.msg, "invalid MAC"),
	   "leases for an invalid MAC");
}

static void test_storage(struct virt *v, char **disk_path)
{
	struct err err;
	struct stat st;
	char *pooldir = tmp_path("pool"), *nasty = tmp_path("p" NASTY),
	     *base = tmp_path("base.raw");
	char *path = NULL, *path2 = NULL;
	int r;
	static const char seed[] = "not an ISO, but bytes";

	ok(virt_pool_ensure(v, POOL, pooldir, &err) == 0, "pool defined and started");
	memset(&st, 0, sizeof(st));
	r = stat(pooldir, &st);
	ok(r == 0 && (st.st_mode & 07777) == 0711, "pool directory created 0711 (%o)",
	   (unsigned)st.st_mode & 07777);
	ok(virt_pool_ensure(v, POOL, pooldir, &err) == 0, "second ensure: nothing to do");
	ok(virt_pool_ensure(v, POOL, nasty, &err) < 0 &&
	       has(err.msg, "storage pool 'ftu-pool' already exists"),
	   "same pool name, other directory: %s", err.msg);
	ok(virt_pool_ensure(v, "ftu-pool2", nasty, &err) == 0,
	   "a pool at a path with & < > \" ' (escaped)");
	ok(virt_pool_remove(v, "ftu-pool2", &err) == 0, "and removed");
	ok(virt_pool_ensure(v, NASTY, pooldir, &err) < 0 && has(err.msg, "invalid storage pool"),
	   "pool name with XML specials refused");

	/* the test driver makes no file: the qcow2 itself is checked at the end */
	ok(virt_vol_create_overlay(v, POOL, "disk.qcow2", base, "raw", 1 << 30, &path, &err) == 0,
	   "overlay volume created");
	ok(has(path, "/pool/disk.qcow2"), "its path is in the pool: %s", path ? path : "(null)");
	ok(virt_vol_create_overlay(v, POOL, "disk.qcow2", base, "raw", 1 << 30, &path2, &err) == 0,
	   "same overlay again: kept");
	is_str(path2, path, "same path");
	free(path2);
	path2 = NULL;
	ok(virt_vol_create_overlay(v, POOL, "disk.qcow2", "/other/base.qcow2", "qcow2", 1 << 30,
	                           &path2, &err) < 0 &&
	       has(err.msg, "already exists on '") && has(err.msg, "not on '/other/base.qcow2'"),
	   "same volume on another base refused: %s", err.msg);
	ok(virt_vol_create_overlay(v, POOL, "x.qcow2", base, "vmdk", 1 << 30, NULL, &err) < 0 &&
	       has(err.msg, "not qcow2 or raw"),
	   "unknown backing format refused");
	ok(virt_vol_create_overlay(v, "ftu-nopool", "x.qcow2", base, "raw", 1 << 30, NULL, &err) <
	           0 &&
	       has(err.msg, "storage pool 'ftu-nopool' does not exist"),
	   "volume in a missing pool: %s", err.msg);
	ok(virt_vol_path(v, POOL, "disk.qcow2", &path2, &err) == 0 && path2 &&
	       strcmp(path2, path) == 0,
	   "virt_vol_path finds it");
	free(path2);
	path2 = NULL;
	ok(virt_vol_path(v, POOL, "nothing", &path2, &err) == 0 && !path2,
	   "virt_vol_path of a missing volume is NULL");

	/* the test driver cannot upload: the error is libvirt's, nothing stays */
	ok(virt_vol_upload(v, POOL, "seed.iso", seed, sizeof(seed), &path2, &err) < 0 &&
	       has(err.msg, "upload volume 'seed.iso' in pool 'ftu-pool': ") && !path2,
	   "test driver: upload unsupported: %s", err.msg);
	ok(virt_vol_path(v, POOL, "seed.iso", &path2, &err) == 0 && !path2,
	   "a failed upload leaves no volume");
	ok(virt_vol_upload(v, POOL, "seed.iso", seed, 0, &path2, &err) < 0, "empty upload refused");

	*disk_path = path;
	free(pooldir);
	free(nasty);
	free(base);
}

static void test_domains(struct virt *v, const char *disk)
{
	struct virt_dom_spec d;
	struct err err;
	enum virt_dom_state state;
	char mac[VIRT_MAC_STRLEN];
	char **users = NULL;
	char *xml = NULL, *log = tmp_path("log&<>\"'/console.log"), *t, *uuid;
	size_t n = 99;
	int forced = -1, r;

	virt_mac_for(DOM, mac);
	dom_spec(&d, disk, log, mac);
	r = virt_dom_state(v, DOM, &state, &err);
	ok(r == 0 && state == VIRT_DOM_ABSENT, "no domain yet: %s", virt_dom_state_name(state));
	ok(virt_dom_define(v, &d, &err) == 0, "domain defined");
	ok(virt_dom_xml(v, DOM, &xml, &err) == 0, "its XML read back");
	t = elem_text(xml, "cmdline");
	is_str(t, d.cmdline, "libvirt parsed the escaped command line to the same text");
	free(t);
	ok(has(xml, "append='on'") && has(xml, "<domain type='qemu'") && !has(xml, "<graphics"),
	   "serial log kept, TCG, no graphics");
	uuid = elem_text(xml, "uuid");
	free(xml);
	xml = NULL;
	/* the orchestrator's fallback: the same domain, redefined for TCG */
	d.accel = VIRT_ACCEL_KVM;
	ok(virt_dom_define(v, &d, &err) == 0 && virt_dom_xml(v, DOM, &xml, &err) == 0 &&
	       has(xml, "<domain type='kvm'") && uuid && has(xml, uuid),
	   "redefined for KVM, same UUID");
	free(xml);
	xml = NULL;
	d.accel = VIRT_ACCEL_TCG;
	ok(virt_dom_define(v, &d, &err) == 0 && virt_dom_xml(v, DOM, &xml, &err) == 0 &&
	       has(xml, "<domain type='qemu'") && uuid && has(xml, uuid),
	   "and back to TCG, same UUID");
	free(xml);
	free(uuid);
	r = virt_dom_state(v, DOM, &state, &err);
	ok(r == 0 && state == VIRT_DOM_SHUTOFF, "defined, shut off: %s",
	   virt_dom_state_name(state));

	ok(virt_dom_uses_network(v, NET1, &users, &n, &err) == 0 && n == 1 && users &&
	       strcmp(users[0], DOM) == 0 && !users[1],
	   "the domain uses network " NET1);
	virt_strv_free(users);
	ok(virt_dom_uses_network(v, "default", &users, &n, &err) == 0 && n == 1 &&
	       strcmp(users[0], "test") == 0,
	   "the test driver's domain 'test' uses 'default'");
	virt_strv_free(users);
	ok(virt_net_remove(v, NET1, &err) < 0 &&
	       has(err.msg, "network 'ftu-net1' is still used by domain 'ftu-dom1'"),
	   "network removal refused while a domain uses it: %s", err.msg);
	ok(virt_net_remove(v, "default", &err) < 0 && has(err.msg, "belongs to the host"),
	   "the default network is never removed");

	ok(virt_dom_start(v, DOM, &err) == 0, "started");
	ok(virt_dom_state(v, DOM, &state, &err) == 0 && state == VIRT_DOM_RUNNING, "running");
	ok(virt_dom_start(v, DOM, &err) == 0, "start again: already running is fine");
	d.memory_bytes = 1ULL << 30;
	ok(virt_dom_define(v, &d, &err) == 0, "redefined while running (same UUID)");
	ok(virt_dom_stop(v, DOM, 5, &forced, &err) == 0 && forced == 0,
	   "ACPI shutdown (the test driver powers off at once)");
	ok(virt_dom_state(v, DOM, &state, &err) == 0 && state == VIRT_DOM_SHUTOFF, "shut off");
	ok(virt_dom_xml(v, DOM, &xml, &err) == 0 && has(xml, "1048576</memory>"),
	   "the new definition took effect");
	free(xml);
	ok(virt_dom_stop(v, DOM, 5, &forced, &err) == 0 && forced == 0, "stopping a stopped one");
	ok(virt_dom_start(v, DOM, &err) == 0 && virt_dom_stop(v, DOM, 0, &forced, &err) == 0 &&
	       forced == 1,
	   "no grace: destroyed");
	ok(virt_dom_start(v, DOM, &err) == 0 && virt_dom_remove(v, DOM, &err) == 0,
	   "a running domain removed");
	ok(virt_dom_state(v, DOM, &state, &err) == 0 && state == VIRT_DOM_ABSENT, "gone");
	ok(virt_dom_remove(v, DOM, &err) == 0, "removing it again is fine");
	ok(virt_dom_stop(v, DOM, 1, &forced, &err) == 0, "stopping a missing one is fine");
	ok(virt_dom_start(v, DOM, &err) < 0 && has(err.msg, "domain 'ftu-dom1' does not exist"),
	   "starting a missing one: %s", err.msg);

	/* The stack's UUID: a define again (after a kill mid-define) is the same domain. */
	d.uuid = UUID1;
	ok(virt_dom_define(v, &d, &err) == 0, "defined with the stack's UUID");
	r = virt_dom_define(v, &d, &err);
	ok(r == 0, "defined again with it: no error: %s", r == 0 ? "fine" : err.msg);
	ok(virt_dom_xml(v, DOM, &xml, &err) == 0 && has(xml, "<uuid>" UUID1 "</uuid>"),
	   "libvirt's XML has that UUID");
	free(xml);
	xml = NULL;
	d.uuid = UUID2;
	ok(virt_dom_define(v, &d, &err) < 0 &&
	       has(err.msg,
	           "domain 'ftu-dom1' exists with UUID " UUID1 ", not the expected " UUID2),
	   "a domain of that name with another UUID is refused, naming both: %s", err.msg);
	ok(virt_dom_xml(v, DOM, &xml, &err) == 0 && has(xml, "<uuid>" UUID1 "</uuid>"),
	   "... and left as it was");
	free(xml);
	ok(virt_dom_remove(v, DOM, &err) == 0, "removed again");
	free(log);
}

/*
 * Ownership in <metadata>: rendered escaped, kept by libvirt and read back
 * through libxml2; a network or domain says whether it is this stack's,
 * another's or nobody's.
 */
static void test_owners(struct virt *v)
{
	static const struct virt_owner me = {"ft", "/var/lib/ftboot state/ft"};
	static const struct virt_owner twin = {"ft", "/home/other/.local/state/ftboot/ft"};
	static const struct virt_owner nasty = {NASTY, "/s/" NASTY};
	struct virt_net_spec s;
	struct virt_dom_spec d;
	enum virt_own own;
	struct err err;
	char mac[VIRT_MAC_STRLEN], uuid[VIRT_UUID_STRLEN];
	char *xml = NULL, *other = NULL;
	int created;

	virt_mac_for("own", mac);
	net_spec(&s, "ftu-own", "ftbr-own", 31, mac);
	s.owner = nasty;
	ok(virt_net_render(&s, &xml, &err) == 0 &&
	       has(xml, "<metadata>\n    <ftboot:owner xmlns:ftboot='" VIRT_XML_OWNER_NS
	                "' stack='a&amp;b&lt;c&gt;&quot;d&apos;e' state='/s/a&amp;b") &&
	       has(xml, "</metadata>"),
	   "the owner goes into <metadata>, escaped");
	free(xml);
	xml = NULL;
	s.owner.stack = "ft\001";
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "owner stack") &&
	       err.kind == ERRK_INVALID,
	   "a control character in the owner is refused: %s", err.msg);
	s.owner.stack = "ft";
	s.owner.state = "relative/dir";
	ok(virt_net_render(&s, &xml, &err) < 0 && has(err.msg, "absolute path"),
	   "a relative state directory is refused");

	ok(virt_net_owner(v, "ftu-own", &me, &own, &other, &err) == 0 && own == VIRT_OWN_ABSENT,
	   "no network: absent");
	s.owner = me;
	ok(virt_net_ensure(v, &s, &created, &err) == 0 && created == 1, "network with an owner: %s",
	   created ? "defined" : err.msg);
	ok(virt_net_owner(v, "ftu-own", &me, &own, &other, &err) == 0 && own == VIRT_OWN_SELF &&
	       other == NULL,
	   "libvirt keeps the network's metadata: this stack's");
	ok(virt_net_owner(v, "ftu-own", &twin, &own, &other, &err) == 0 && own == VIRT_OWN_OTHER &&
	       has(other, "stack 'ft' with state directory '/var/lib/ftboot state/ft'"),
	   "the same stack name from another state directory is another's: %s", other);
	free(other);
	other = NULL;
	ok(virt_net_owner(v, "default", &me, &own, &other, &err) == 0 && own == VIRT_OWN_NONE,
	   "the host's network names no owner");
	ok(virt_net_remove(v, "ftu-own", &err) == 0, "removed");

	dom_spec(&d, "/d/own.qcow2", "/log/own.log", mac);
	d.name = "ftu-own";
	d.network = "default";
	d.uuid = UUID2;
	d.owner = nasty;
	ok(virt_dom_define(v, &d, &err) == 0, "domain with an owner defined: %s", err.msg);
	ok(virt_dom_owner(v, "ftu-own", &nasty, &own, &other, uuid, &err) == 0 &&
	       own == VIRT_OWN_SELF && strcmp(uuid, UUID2) == 0,
	   "libvirt keeps the domain's metadata, every special character back as it was; UUID %s",
	   uuid);
	ok(virt_dom_owner(v, "ftu-own", &me, &own, &other, NULL, &err) == 0 &&
	       own == VIRT_OWN_OTHER && has(other, "stack 'a&b<c>\"d'e'"),
	   "another stack's domain: %s", other);
	free(other);
	other = NULL;
	d.owner.stack = NULL;
	ok(virt_dom_define(v, &d, &err) == 0 &&
	       virt_dom_owner(v, "ftu-own", &nasty, &own, NULL, uuid, &err) == 0 &&
	       own == VIRT_OWN_NONE,
	   "redefined without an owner: names none");
	ok(virt_dom_owner(v, "test", &me, &own, NULL, uuid, &err) == 0 && own == VIRT_OWN_NONE &&
	       uuid[0],
	   "the test driver's own domain names no owner");
	ok(virt_dom_remove(v, "ftu-own", &err) == 0 &&
	       virt_dom_owner(v, "ftu-own", &me, &own, NULL, uuid, &err) == 0 &&
	       own == VIRT_OWN_ABSENT && uuid[0] == '\0',
	   "removed: absent");
	ok(virt_dom_owner(v, "bad name", &me, &own, NULL, uuid, &err) < 0, "a bad name: an error");
}

static void test_teardown(struct virt *v)
{
	struct err err;
	struct stat st;
	char *xml = NULL, *pooldir = tmp_path("pool");

	ok(virt_vol_delete(v, POOL, "disk.qcow2", &err) == 0, "volume deleted");
	ok(virt_vol_delete(v, POOL, "disk.qcow2", &err) == 0, "deleting it again is fine");
	ok(virt_vol_delete(v, "ftu-nopool", "x", &err) == 0, "a volume of a missing pool too");
	ok(virt_pool_remove(v, POOL, &err) == 0, "pool removed");
	ok(virt_pool_remove(v, POOL, &err) == 0, "removing it again is fine");
	ok(stat(pooldir, &st) == 0, "the pool's directory stays");
	ok(virt_net_remove(v, NET1, &err) == 0 && virt_net_remove(v, NET2, &err) == 0,
	   "networks removed once unused");
	ok(virt_net_xml(v, NET1, &xml, &err) < 0 && has(err.msg, "does not exist"), "gone");
	ok(virt_net_remove(v, NET1, &err) == 0, "removing it again is fine");
	free(pooldir);
}

/* ---- a real libvirtd --------------------------------------------------- */

/*
 * The run's private libvirtd, in a network namespace of its own
 * (tests/servers/libvirtd.sh): the one the environment names (the VM
 * tier's), else one started here and stopped by real_close. This process
 * enters the namespace, so routes, bridges and commands are the
 * namespace's; real_close leaves it again.
 */
static char real_dir[512], real_uri[512], real_ns[64];
static int real_started, real_home = -1;

/* A value from libvirtd.sh's env file (KEY=VALUE or KEY='VALUE'). */
static int env_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = text, *v;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || p[klen] != '=')
			continue;
		v = p + klen + 1;
		n = strcspn(v, "\n");
		if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
			v++;
			n -= 2;
		}
		if (n == 0 || n >= size)
			return -1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/*
 * NULL with why when no daemon can run here (skip); *broken when one
 * should have. hide: programs the daemon must not find (its own daemon,
 * never the environment's).
 */
static struct virt *real_open(char *why, size_t size, int *broken, const char *hide)
{
	struct virt *v = NULL;
	struct err err;
	const char *top = getenv("FTBOOT_TOP");
	char *cmd, *out, path[PATH_MAX];
	int st, fd;

	*broken = 0;
	if (getenv("FTBOOT_NO_LIBVIRTD")) {
		snprintf(why, size, "FTBOOT_NO_LIBVIRTD is set");
		return NULL;
	}
	if (!hide && getenv("FTBOOT_TEST_LIBVIRT_URI") && getenv("FTBOOT_TEST_NETNS")) {
		snprintf(real_uri, sizeof(real_uri), "%s", getenv("FTBOOT_TEST_LIBVIRT_URI"));
		snprintf(real_ns, sizeof(real_ns), "%s", getenv("FTBOOT_TEST_NETNS"));
	} else {
		snprintf(real_dir, sizeof(real_dir), "%s/libvirt%s", tmp, hide ? "-hide" : "");
		cmd = xasprintf("LIBVIRTD_HIDE='%s' '%s/tests/servers/libvirtd.sh' start '%s' 2>&1",
		                hide ? hide : "", top ? top : ".", real_dir);
		out = run(cmd, &st);
		free(cmd);
		if (st != 0) {
			snprintf(why, size,
			         "a private libvirtd %s (tests/servers/libvirtd.sh: %d): %.300s",
			         st == 77 ? "cannot run here" : "did not start", st, out);
			*broken = st != 77;
			free(out);
			return NULL;
		}
		free(out);
		real_started = 1;
		snprintf(path, sizeof(path), "%s/env", real_dir);
		out = read_text(path);
		if (env_value(out, "FTBOOT_TEST_LIBVIRT_URI", real_uri, sizeof(real_uri)) < 0 ||
		    env_value(out, "FTBOOT_TEST_NETNS", real_ns, sizeof(real_ns)) < 0) {
			snprintf(why, size, "libvirtd.sh wrote no usable %.100s: %.300s", path,
			         out);
			*broken = 1;
			free(out);
			return NULL;
		}
		free(out);
	}
	snprintf(path, sizeof(path), "/run/netns/%s", real_ns);
	real_home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(why, size, "cannot enter network namespace %s: %s", real_ns,
		         strerror(errno));
		*broken = 1;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	if (virt_open(real_uri, &v, &err) == 0)
		return v;
	snprintf(why, size, "%.400s", err.msg);
	*broken = 1;
	return NULL;
}

/* Back to the namespace this process came from; stop a daemon real_open started. */
static void real_close(void)
{
	char *cmd, *out;
	const char *top = getenv("FTBOOT_TOP");
	int st;

	if (real_home >= 0) {
		if (setns(real_home, CLONE_NEWNET) < 0)
			diag("cannot go back to the host's network namespace: %s", strerror(errno));
		close(real_home);
		real_home = -1;
	}
	if (!real_started)
		return;
	cmd = xasprintf("'%s/tests/servers/libvirtd.sh' stop '%s' 2>&1", top ? top : ".", real_dir);
	out = run(cmd, &st);
	if (st != 0)
		diag("libvirtd.sh stop: %s", out);
	free(cmd);
	free(out);
	real_started = 0;
}

/*
 * real_open gave no daemon: a failure where one should run here (broken),
 * else a skip with the reason. Leaves the namespace either way.
 */
static void real_missing(const char *what, const char *why, int broken)
{
	if (broken)
		ok(0, "%s: %s", what, why);
	else
		skip(why);
	real_close();
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int listed(const char *cmd, const char *name)
{
	int st;
	char *out = run(cmd, &st);
	int r = st == 0 && has(out, name);

	free(out);
	return r;
}

/*
 * A daemon that stops answering (SIGSTOP: alive, silent) fails the call
 * in progress through keepalive, within its 5 s x 6 pings, instead of
 * holding it forever. Only with a daemon this test started: the VM
 * tier's is not ours to stop. v is unusable afterwards.
 */
static void real_stalled(struct virt *v, const char *dom)
{
	enum virt_dom_state state;
	struct err err;
	char path[600], line[32];
	double t0, took;
	FILE *f;
	long pid = 0;
	int r;

	snprintf(path, sizeof(path), "%s/libvirtd.pid", real_dir);
	f = real_started ? fopen(path, "r") : NULL;
	if (f && fgets(line, sizeof(line), f))
		pid = strtol(line, NULL, 10);
	if (f)
		fclose(f);
	if (pid <= 1) {
		skip("real: keepalive against a stopped daemon needs a daemon started here");
		return;
	}
	kill((pid_t)pid, SIGSTOP);
	t0 = mono();
	r = virt_dom_state(v, dom, &state, &err);
	took = mono() - t0;
	kill((pid_t)pid, SIGCONT);
	ok(r < 0 && took < 50, "real: a stopped libvirtd fails the call in %.0f s: %s", took,
	   r < 0 ? err.msg : "it answered");
}

static void test_real(void)
{
	char why[512], mac[VIRT_MAC_STRLEN], net[VIRT_NAME_MAX], bridge[16], pool[VIRT_NAME_MAX];
	char dom[VIRT_NAME_MAX], a[IPV4_STRLEN], cmd[1024];
	int broken;
	struct virt *v = real_open(why, sizeof(why), &broken, NULL);
	struct virt_net_spec s;
	struct virt_dom_spec d;
	enum virt_own own = VIRT_OWN_ABSENT;
	struct err err;
	char *desc = NULL, *xml = NULL, *out = NULL, *pooldir = NULL, *base = NULL;
	char *disk = NULL, *disk2 = NULL, *seedp = NULL, *data = NULL;
	size_t len = 300000, i;
	unsigned third;
	double t0, took;
	int st, created = -1, r;
	uint32_t addr = 0;
	FILE *f;

	if (!v) {
		real_missing("real: a private libvirtd in its own namespace", why, broken);
		return;
	}
	diag("real libvirtd at %s, network namespace %s", real_uri, real_ns);
	is_int(virt_keepalive(v), 1,
	       "real: keepalive is on, so a daemon that stops answering is noticed");
	snprintf(net, sizeof(net), "ftu-real-%ld", (long)getpid());
	snprintf(pool, sizeof(pool), "ftu-real-%ld", (long)getpid());
	snprintf(dom, sizeof(dom), "ftu-real-%ld", (long)getpid());
	snprintf(bridge, sizeof(bridge), "ftbr-t%ld", (long)getpid() % 10000000);
	virt_mac_for(net, mac);

	/* a /24 nothing on this machine uses */
	for (third = 100; third < 250; third++) {
		if (virt_net_find_overlap(v, IP(10, 213, third, 0), 24, NULL, &desc, &err) < 0)
			break;
		if (!desc)
			break;
		free(desc);
		desc = NULL;
	}
	ok(third < 250 && !desc, "a free subnet: 10.213.%u.0/24", third);
	net_spec(&s, net, bridge, third, mac);
	s.owner.stack = "ft";
	s.owner.state = tmp;
	s.host_name = NULL;
	r = virt_net_ensure(v, &s, &created, &err);
	ok(r == 0 && created == 1, "real: NAT network with a DHCP host defined and started%s%s",
	   r ? ": " : "", r ? err.msg : "");
	snprintf(cmd, sizeof(cmd), "ip -o -4 addr show dev %s 2>/dev/null", bridge);
	ok(listed(cmd, ipv4_format(s.host_ip, a)), "real: bridge %s has %s", bridge, a);
	ok(virt_net_ensure(v, &s, &created, &err) == 0 && created == 0, "real: ensure again");
	ok(virt_net_owner(v, net, &s.owner, &own, NULL, &err) == 0 && own == VIRT_OWN_SELF,
	   "real: libvirtd validates and keeps the network's owner metadata");
	s.host_addr = IP(10, 213, third, 11);
	ok(virt_net_ensure(v, &s, &created, &err) == 0, "real: reservation changed live");
	ok(virt_net_xml(v, net, &xml, &err) == 0 && has(xml, ipv4_format(s.host_addr, a)) &&
	       has(xml, mac),
	   "real: the running network has the new reservation");
	free(xml);
	xml = NULL;
	r = virt_net_lease(v, net, mac, &addr, &err);
	ok(r == 0, "real: no guest, no lease yet (0, not an error)%s%s", r < 0 ? ": " : "",
	   r < 0 ? err.msg : "");
	r = virt_net_find_overlap(v, IP(10, 213, third, 0), 24, net, &desc, &err);
	ok(r == 0 && !desc, "real: own network and its bridge route do not count%s%s",
	   desc ? ": " : "", desc ? desc : "");
	free(desc);
	desc = NULL;
	r = virt_net_find_overlap(v, IP(10, 213, third, 0), 24, NULL, &desc, &err);
	ok(r == 0 && desc && has(desc, net), "real: seen by others: %s", desc ? desc : "(none)");
	free(desc);
	desc = NULL;

	pooldir = tmp_path("real-pool");
	ok(virt_pool_ensure(v, pool, pooldir, &err) == 0, "real: pool in a temp directory");
	base = tmp_path("real-base.raw");
	f = fopen(base, "w");
	if (f)
		fclose(f);
	ok(truncate(base, 64 << 20) == 0, "real: 64 MiB raw base made with truncate");
	r = virt_vol_create_overlay(v, pool, "disk.qcow2", base, "raw", 128 << 20, &disk, &err);
	ok(r == 0, "real: qcow2 overlay created%s%s", r ? ": " : "", r ? err.msg : "");
	if (disk) {
		snprintf(cmd, sizeof(cmd), "qemu-img info -U --output=json '%s' 2>&1", disk);
		out = run(cmd, &st);
		ok(st == 0 && has(out, "\"format\": \"qcow2\"") && has(out, base) &&
		       has(out, "\"backing-filename-format\": \"raw\"") &&
		       has(out, "\"virtual-size\": 134217728"),
		   "real: qemu-img info shows qcow2, 128 MiB, on the raw base");
		if (st != 0)
			diag("%s", out);
		free(out);
		out = NULL;
	} else {
		skip("no overlay");
	}
	ok(virt_vol_create_overlay(v, pool, "disk.qcow2", base, "raw", 128 << 20, &disk2, &err) ==
	           0 &&
	       disk && disk2 && strcmp(disk, disk2) == 0,
	   "real: overlay kept on a second run");

	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);
	r = virt_vol_upload(v, pool, "seed.iso", data, len, &seedp, &err);
	ok(r == 0, "real: seed uploaded through a stream (%zu bytes)%s%s", len, r ? ": " : "",
	   r ? err.msg : "");
	if (seedp) {
		struct buf b = BUF_INIT(1 << 20);

		ok(fs_read(seedp, 1 << 20, &b, &err) == 0 && b.len == len &&
		       memcmp(b.data, data, len) == 0,
		   "real: the volume holds exactly the bytes sent");
		buf_release(&b);
		data[0] ^= 0x55;
		free(seedp);
		seedp = NULL;
		ok(virt_vol_upload(v, pool, "seed.iso", data, 4096, &seedp, &err) == 0 &&
		       fs_read(seedp, 1 << 20, &b, &err) == 0 && b.len == 4096 &&
		       memcmp(b.data, data, 4096) == 0,
		   "real: upload again replaces it");
		buf_release(&b);
	} else {
		skip("no seed volume");
		skip("no seed volume");
	}

	/* the real qemu driver checks the domain XML; it is defined, never started */
	if (disk && seedp) {
		dom_spec(&d, disk, NULL, mac);
		d.owner.stack = "ft";
		d.owner.state = tmp;
		d.name = dom;
		d.network = net;
		d.seed_path = seedp;
		d.kernel = base; /* any file: nothing boots */
		d.initrd = NULL;
		d.accel = VIRT_ACCEL_KVM;
		r = virt_dom_define(v, &d, &err);
		ok(r == 0 && virt_dom_owner(v, dom, &d.owner, &own, NULL, NULL, &err) == 0 &&
		       own == VIRT_OWN_SELF,
		   "real: the qemu driver validates and keeps the domain's owner metadata");
		ok(r == 0, "real: KVM domain XML accepted by the qemu driver%s%s", r ? ": " : "",
		   r ? err.msg : "");
		d.accel = VIRT_ACCEL_TCG;
		t0 = mono();
		r = virt_dom_define(v, &d, &err);
		took = mono() - t0;
		ok(r == 0, "real: redefined for TCG%s%s", r ? ": " : "", r ? err.msg : "");
		/* 0.03 s when libvirtd's QEMU capability cache holds; 30-130 s
		 * when it re-probes QEMU on every call (/dev/kvm root-only) */
		ok(r == 0 && took < 2.0, "real: a second define takes well under a second: %.3f s",
		   took);
		ok(virt_dom_xml(v, dom, &xml, &err) == 0 && has(xml, "<domain type='qemu'") &&
		       has(xml, "machine='pc-i440fx") && has(xml, "bus='ide'") &&
		       has(xml, "<model type='virtio'/>") && !has(xml, "host-passthrough"),
		   "real: TCG, i440fx, IDE seed, virtio NIC");
		free(xml);
		xml = NULL;
		ok(virt_net_remove(v, net, &err) < 0 && has(err.msg, dom),
		   "real: network removal refused while the domain is defined");
	} else {
		skip("no volumes for a domain");
		skip("no volumes for a domain");
		skip("no volumes for a domain");
		skip("no volumes for a domain");
	}

	/* tear down everything, whatever failed above */
	ok(virt_dom_remove(v, dom, &err) == 0, "real: domain removed");
	ok(virt_vol_delete(v, pool, "disk.qcow2", &err) == 0 &&
	       virt_vol_delete(v, pool, "seed.iso", &err) == 0,
	   "real: volumes deleted");
	ok(virt_pool_remove(v, pool, &err) == 0, "real: pool removed");
	ok(virt_net_remove(v, net, &err) == 0, "real: network removed");
	snprintf(cmd, sizeof(cmd), "virsh -q -c '%s' net-list --all --name", real_uri);
	ok(!listed(cmd, net), "real: virsh net-list --all does not list %s", net);
	snprintf(cmd, sizeof(cmd), "virsh -q -c '%s' pool-list --all --name", real_uri);
	ok(!listed(cmd, pool), "real: virsh pool-list --all does not list %s", pool);
	snprintf(cmd, sizeof(cmd), "virsh -q -c '%s' list --all --name", real_uri);
	ok(!listed(cmd, dom), "real: virsh list --all does not list %s", dom);
	snprintf(cmd, sizeof(cmd), "ip link show dev %s 2>&1", bridge);
	ok(!listed(cmd, "mtu"), "real: bridge %s is gone", bridge);

	free(pooldir);
	free(base);
	free(disk);
	free(disk2);
	free(seedp);
	free(data);
	real_stalled(v, dom);
	virt_close(v);
	real_close();
}

/* A host without dnsmasq: libvirt's own words, and ftboot's advice after them. */
static void test_no_dnsmasq(void)
{
	char why[512], mac[VIRT_MAC_STRLEN], net[VIRT_NAME_MAX], bridge[16];
	struct virt_net_spec s;
	struct err err;
	int broken, created = -1, r;
	struct virt *v = real_open(why, sizeof(why), &broken, "dnsmasq");

	if (!v) {
		real_missing("no dnsmasq: a private libvirtd without it", why, broken);
		return;
	}
	snprintf(net, sizeof(net), "ftu-nodns-%ld", (long)getpid());
	snprintf(bridge, sizeof(bridge), "ftbr-d%ld", (long)getpid() % 10000000);
	virt_mac_for(net, mac);
	net_spec(&s, net, bridge, 77, mac);
	s.host_name = NULL;
	r = virt_net_ensure(v, &s, &created, &err);
	ok(r < 0 && has(err.msg, "Unable to find 'dnsmasq'") &&
	       has(err.msg, "apt-get install dnsmasq-base"),
	   "no dnsmasq: the network does not start, and ftboot says what to install: %s",
	   r < 0 ? err.msg : "(it started)");
	ok(virt_net_exists(v, net, &created, &err) == 0 && created == 0,
	   "no dnsmasq: and the network is not left defined");
	virt_close(v);
	real_close();
}

int main(void)
{
	char buf[32];
	const char *vers;
	int major = 0, minor = 0;
	struct virt *v = NULL;
	struct err err;
	char *disk = NULL;

	/* before the first assertion: the one place this program may skip */
	snprintf(tmp, sizeof(tmp), "%s/ftboot-virt.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		skip_all("cannot make a temporary directory");
	chmod(tmp, 0755); /* the real daemon's qemu-img reads the base in here */

	vers = virt_version(buf, sizeof(buf));
	ok(sscanf(vers, "%d.%d", &major, &minor) == 2, "libvirt version parses: %s", vers);
	ok(major > 9 || (major == 9 && minor >= 0), "libvirt is at least 9.0");

	test_pure();
	test_advice();
	test_render();
	test_dom_render();
	test_open();
	/* built into libvirt itself: if it does not open, libvirt is broken */
	if (virt_open("test:///default", &v, &err) < 0) {
		ok(0, "libvirt's built-in test driver opens: %s", err.msg);
	} else {
		test_networks(v);
		test_storage(v, &disk);
		test_domains(v, disk ? disk : "/nonexistent/disk.qcow2");
		test_owners(v);
		test_teardown(v);
		free(disk);
		virt_close(v);
	}

	test_real();
	test_no_dnsmasq();

	if (fs_remove_tree(tmp, &err) < 0)
		diag("%s", err.msg);
	return tap_done();
}
