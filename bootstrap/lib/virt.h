/*
 * virt: everything ftboot asks of libvirt: a connection, a private NAT
 * network with a DHCP reservation, a directory storage pool, volumes (a
 * qcow2 overlay on a base image, an uploaded seed ISO) and a domain. The
 * only file that includes libvirt's headers is virt.c; no libvirt type
 * crosses this header: callers hold an opaque struct virt and pass plain
 * C specs.
 *
 * Names of networks, pools, volumes and domains must pass virt_name_ok();
 * every string that goes into XML is also escaped. Errors carry libvirt's
 * own words after ftboot's context ("define network 'x': <libvirt>").
 * Functions that remove things treat "already absent" as success.
 */
#ifndef FTBOOT_VIRT_H
#define FTBOOT_VIRT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ipv4.h"

#define VIRT_NAME_MAX    64 /* longest object name virt_name_ok accepts */
#define VIRT_BRIDGE_MAX  15 /* IFNAMSIZ - 1 */
#define VIRT_MAC_STRLEN  18 /* "52:54:00:xx:xx:xx" and its NUL */
#define VIRT_UUID_STRLEN 37 /* libvirt's UUID string form and its NUL */

/*
 * Who a network or domain belongs to, written into its own definition
 * (an element of ftboot's namespace in libvirt's <metadata>), so that
 * ownership is proven by the object and not only by the journal. Not a
 * secret: anyone who can read the object's XML reads it. Storage pools
 * and volumes have no <metadata> in libvirt: their name and the journal
 * say whose they are.
 */
struct virt_owner {
	const char *stack; /* the stack's name; NULL: write no metadata */
	const char *state; /* its state directory, absolute: the stack on this machine */
};

/* What an object's metadata says, compared with an expected owner. */
enum virt_own {
	VIRT_OWN_ABSENT, /* no such object */
	VIRT_OWN_NONE,   /* it exists and names no owner of ftboot's */
	VIRT_OWN_OTHER,  /* it names another stack (or the same name elsewhere) */
	VIRT_OWN_SELF,   /* it names the expected owner */
};

struct virt;

/* The libvirt library's version ("9.0.0") into out; returns out. */
const char *virt_version(char *out, size_t size);

/*
 * Connect to uri ("qemu:///system", "test:///default"). Installs an error
 * handler that keeps libvirt from printing to stderr (errors come back in
 * err instead). When the daemon cannot be reached, the message says so and
 * how to start it (or, for "permission denied", how to get access). The
 * connection belongs to the caller: virt_close it.
 *
 * Keepalive is on where the daemon has it: a daemon that stops answering
 * fails the call in progress within about 35 s (pings every 5 s, 6
 * unanswered ones end the connection). The first call starts one thread
 * for the process that runs libvirt's event loop, which keepalive needs.
 */
int virt_open(const char *uri, struct virt **out, struct err *err);

/* 1 when keepalive is on for v; 0 when its driver has none (test:///default). */
int virt_keepalive(const struct virt *v);

/* Close the connection and free v. NULL is fine. */
void virt_close(struct virt *v);

/* The URI v is connected to (as given to virt_open). Borrowed. */
const char *virt_uri(const struct virt *v);

/*
 * 1 if name is usable as a libvirt object name here: 1..VIRT_NAME_MAX
 * characters from [A-Za-z0-9._-], starting with a letter or digit.
 */
int virt_name_ok(const char *name);

/*
 * A MAC address for name, the same every time: 52:54:00 (QEMU's prefix,
 * locally administered, unicast) and three bytes of a hash of name.
 */
void virt_mac_for(const char *name, char out[VIRT_MAC_STRLEN]);

/*
 * What to do about a libvirt failure whose message is msg, for the ones
 * the user can fix on the host (dnsmasq missing, ...); NULL if none is
 * known. The string is static.
 */
const char *virt_advice(const char *msg);

/* ---- networks ---------------------------------------------------------- */

/* A private NAT network with one reserved address. */
struct virt_net_spec {
	const char *name;   /* libvirt network name */
	const char *bridge; /* bridge device, 1..VIRT_BRIDGE_MAX chars ("ftbr-<stack>") */
	uint32_t net;       /* network address, host order, host bits zero */
	unsigned prefix;    /* 8..30 */
	uint32_t host_ip;   /* the host's (gateway's) address in it, usually .1 */
	uint32_t dhcp_start, dhcp_end; /* dynamic range; both 0 for none */
	const char *host_mac;          /* static DHCP host; NULL for none */
	uint32_t host_addr;            /* its reserved address */
	const char *host_name;         /* its hostname; NULL for none */
	struct virt_owner owner;       /* written into <metadata> when .stack is set */
};

/* The network XML for spec (validated first). Caller owns *xml. */
int virt_net_render(const struct virt_net_spec *spec, char **xml, struct err *err);

/*
 * Make the network of spec exist and run: define and start it when absent
 * (autostart stays off; if the start fails the definition is removed
 * again), start it when defined but inactive, leave it running when active.
 * An existing network of that name with another bridge, subnet or forward
 * mode is an error naming it; a different DHCP reservation is updated in
 * place (config, and the live network when active). *created (may be
 * NULL) is 1 when this call defined the network, else 0.
 */
int virt_net_ensure(struct virt *v, const struct virt_net_spec *spec, int *created,
                    struct err *err);

/*
 * Whose network name is, by its metadata, compared with me: *own. When it
 * is VIRT_OWN_OTHER and other is not NULL, *other (caller frees) says
 * whose: "stack 'x' with state directory '/dir'".
 */
int virt_net_owner(struct virt *v, const char *name, const struct virt_owner *me,
                   enum virt_own *own, char **other, struct err *err);

/* *exists = 1 if a network called name is defined (active or not), else 0. */
int virt_net_exists(struct virt *v, const char *name, int *exists, struct err *err);

/* The XML libvirt holds for network name (live when active). Caller owns it. */
int virt_net_xml(struct virt *v, const char *name, char **xml, struct err *err);

/*
 * Stop and undefine network name; absent is success. Refused while any
 * domain (running or not) has an interface on it (the message names them),
 * and always for "default", which belongs to the host.
 */
int virt_net_remove(struct virt *v, const char *name, struct err *err);

/*
 * Look for anything that already uses addresses of net/prefix: another
 * libvirt network (active or not) with an overlapping <ip>, or a host
 * route (/proc/net/route, default routes aside) that overlaps. The network
 * skip_name (may be NULL), and routes through its bridge, do not count.
 * *desc is NULL when nothing overlaps, else a description the caller owns:
 * "libvirt network 'default' (192.168.122.0/24)" or
 * "host route 10.0.0.0/8 on eth0".
 */
int virt_net_find_overlap(struct virt *v, uint32_t net, unsigned prefix, const char *skip_name,
                          char **desc, struct err *err);

/* Read host routes from path instead of /proc/net/route (tests). Copied. */
void virt_set_route_file(struct virt *v, const char *path);

/*
 * The address network name's DHCP server leased to mac, through
 * virNetworkGetDHCPLeases: returns 1 with *addr set when there is an IPv4
 * lease (the latest, if several), 0 when there is none yet, -1 on error.
 */
int virt_net_lease(struct virt *v, const char *name, const char *mac, uint32_t *addr,
                   struct err *err);

/* ---- storage ----------------------------------------------------------- */

/*
 * Make a started "dir" pool called name at dir exist. dir is created (mode
 * 0711, so qemu can reach the files it is given) if missing, and given
 * o+x if ftboot owns it and it lacks that; its parents must be searchable
 * by the qemu user. A pool of that name at another path is an error.
 */
int virt_pool_ensure(struct virt *v, const char *name, const char *dir, struct err *err);

/*
 * Stop and undefine pool name; absent is success. The directory and any
 * files still in it stay: delete the volumes first.
 */
int virt_pool_remove(struct virt *v, const char *name, struct err *err);

/*
 * Create volume name in pool: qcow2, capacity_bytes, on top of
 * backing_path (of backing_format "qcow2" or "raw"). If the volume already
 * exists on the same backing file it is kept (a VM's disk survives a
 * re-run); on another backing file it is an error. *path (the volume's
 * file, caller owns it) may be NULL to not ask.
 */
int virt_vol_create_overlay(struct virt *v, const char *pool, const char *name,
                            const char *backing_path, const char *backing_format,
                            uint64_t capacity_bytes, char **path, struct err *err);

/*
 * Replace volume name in pool by a raw volume of exactly len bytes holding
 * data (virStorageVolUpload through a stream: works with remote daemons and
 * leaves file ownership to libvirt). On failure no volume is left. *path
 * as above.
 */
int virt_vol_upload(struct virt *v, const char *pool, const char *name, const void *data,
                    size_t len, char **path, struct err *err);

/* Delete volume name from pool; an absent volume or pool is success. */
int virt_vol_delete(struct virt *v, const char *pool, const char *name, struct err *err);

/* The file of volume name in pool (caller owns it), NULL if absent. */
int virt_vol_path(struct virt *v, const char *pool, const char *name, char **path, struct err *err);

/* ---- domains ----------------------------------------------------------- */

enum virt_accel {
	VIRT_ACCEL_KVM, /* <domain type='kvm'>, host-passthrough CPU */
	VIRT_ACCEL_TCG, /* <domain type='qemu'>: emulation, slow but works anywhere */
};

struct virt_dom_spec {
	const char *name;
	const char *uuid;      /* libvirt's string form, the stack's; NULL: libvirt's choice */
	uint64_t memory_bytes; /* at least 64 MiB */
	unsigned vcpus;        /* 1..256 */
	enum virt_accel accel;
	const char *disk_path;   /* qcow2, attached as virtio vda */
	const char *seed_path;   /* raw ISO as an IDE cdrom (cloud-init finds it
	                            with ata_piix/sr_mod); NULL for none */
	const char *network;     /* libvirt network of the one virtio NIC */
	const char *mac;         /* its MAC address */
	const char *console_log; /* serial console log (virtlogd, appended); NULL for none */
	const char *kernel;      /* direct kernel boot; NULL to boot from disk */
	const char *initrd;      /* with kernel only; NULL for none */
	const char *cmdline;     /* with kernel only; NULL for none */
	struct virt_owner owner; /* written into <metadata> when .stack is set */
};

/* The domain XML for spec (validated first). Caller owns *xml. */
int virt_dom_render(const struct virt_dom_spec *spec, char **xml, struct err *err);

/*
 * Define (persistently) the domain of spec: i440fx machine, ACPI, a virtio
 * disk, the seed cdrom, one virtio NIC, a serial console on a pty with
 * its log, virtio-rng, no graphics. An existing domain of that name is
 * redefined in place; a running one keeps its old configuration until it
 * is restarted. With spec->uuid the domain has that UUID, so defining
 * again is idempotent however the last define ended; a domain of that
 * name with another UUID is refused, naming both.
 */
int virt_dom_define(struct virt *v, const struct virt_dom_spec *spec, struct err *err);

/*
 * Whose domain name is, by its metadata, as virt_net_owner; when it
 * exists, its UUID goes into uuid (may be NULL).
 */
int virt_dom_owner(struct virt *v, const char *name, const struct virt_owner *me,
                   enum virt_own *own, char **other, char uuid[VIRT_UUID_STRLEN], struct err *err);

/* Start domain name; already running is success. */
int virt_dom_start(struct virt *v, const char *name, struct err *err);

enum virt_dom_state {
	VIRT_DOM_ABSENT,    /* no such domain */
	VIRT_DOM_RUNNING,   /* running (or blocked on I/O) */
	VIRT_DOM_PAUSED,    /* paused by the user or by libvirt */
	VIRT_DOM_SHUTDOWN,  /* being shut down */
	VIRT_DOM_SHUTOFF,   /* defined, not running */
	VIRT_DOM_CRASHED,   /* crashed */
	VIRT_DOM_SUSPENDED, /* suspended by guest power management */
	VIRT_DOM_OTHER,     /* a state this libvirt reports that ftboot does not know */
};

/* "absent", "running", "paused", "shutdown", "shutoff", "crashed", ... */
const char *virt_dom_state_name(enum virt_dom_state state);

/* The state of domain name (VIRT_DOM_ABSENT when there is none). */
int virt_dom_state(struct virt *v, const char *name, enum virt_dom_state *state, struct err *err);

/*
 * Stop domain name: ACPI shutdown, wait up to grace_seconds for it to
 * power off, then destroy it. A paused domain, or grace_seconds 0, goes
 * straight to destroy. Absent or already off is success. *forced (may be
 * NULL) is 1 when the domain had to be destroyed.
 */
int virt_dom_stop(struct virt *v, const char *name, unsigned grace_seconds, int *forced,
                  struct err *err);

/*
 * Destroy domain name if it runs and undefine it, with its NVRAM, managed
 * save image and snapshot/checkpoint metadata. Its disks stay (they are
 * volumes: delete them). Absent is success.
 */
int virt_dom_remove(struct virt *v, const char *name, struct err *err);

/*
 * The domains (running or not, current or next-boot configuration) that
 * have an interface on network netname: *names is a NULL-terminated array
 * the caller frees with virt_strv_free, *n (may be NULL) its length.
 */
int virt_dom_uses_network(struct virt *v, const char *netname, char ***names, size_t *n,
                          struct err *err);

/* The XML libvirt holds for domain name (live when running). Caller owns it. */
int virt_dom_xml(struct virt *v, const char *name, char **xml, struct err *err);

/* Free a NULL-terminated string array. NULL is fine. */
void virt_strv_free(char **strv);

#endif
