/*
 * vm: bring the stack's VM up through libvirt and reach it over SSH (the
 * pipeline's step "vm"), and the removers of the kinds it creates, which
 * `down` calls through the teardown registry.
 *
 * Order of `up`: keys, base image (and kernel/initrd), network, pool,
 * disk, seed, domain, DHCP lease, SSH. Each step looks at what exists
 * first, so running `up` again, or after a crash, converges. Each
 * resource is journaled before it is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "failpoint.h"
#include "fs.h"
#include "http.h"
#include "iso.h"
#include "kvm.h"
#include "mono.h"
#include "render.h"
#include "teardown.h"
#include "tmpl.h"
#include "vm.h"
#include "xmem.h"

/* A KVM guest silent on its console this long is taken as hung. */
#define KVM_PROBE_SECONDS 20
/* A define slower than this is named, with what to do (a healthy one: 0.03 s). */
#define DEFINE_SLOW_SECONDS 5.0
#define SSH_TRY_MS          5000 /* one SSH attempt while the VM boots */
#define SSH_SETTLE_SECONDS  30   /* a wrong host key or login, while booting */
#define CONSOLE_TAIL        20   /* lines of console shown with a boot failure */
#define SEED_MAX            (4u << 20)
#define DIGEST_MAX          4096

/*
 * A step starts: report it, then pass the test point "step:WORD:start"
 * (failpoint.h). WORD is the format's leading words up to its first
 * argument or quote, joined by '-' ("storage pool '%s'" gives
 * "storage-pool"): a point name without the run's values (a host key).
 */
__attribute__((format(printf, 2, 3))) static void step(struct vm *vm, const char *fmt, ...)
{
	char what[512];
	size_t n = 0;
	va_list ap;

	while (n < sizeof(vm->step) - 1 && fmt[n] && strchr("%'(", fmt[n]) == NULL) {
		vm->step[n] = fmt[n] == ' ' ? '-' : fmt[n];
		n++;
	}
	while (n > 0 && vm->step[n - 1] == '-')
		n--;
	vm->step[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	report_step(vm->report, "%s", what);
	failpoint("step:%s:start", vm->step);
}

/* The step ends well: report it, then pass "step:WORD:end". */
static void done(struct vm *vm, const char *how)
{
	report_done(vm->report, how);
	failpoint("step:%s:end", vm->step);
}

__attribute__((format(printf, 2, 3))) static void warn(struct vm *vm, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_warn(vm->report, "%s", msg);
}

int vm_cache_dir(char **out, struct err *err)
{
	const char *e = getenv("FTBOOT_CACHE_DIR");

	if (e && *e) {
		*out = xstrdup(e);
		return 0;
	}
	e = getenv("XDG_CACHE_HOME");
	if (e && e[0] == '/') {
		*out = path_join(e, "ftboot");
		return 0;
	}
	e = getenv("HOME");
	if (e == NULL || e[0] != '/')
		return err_set(err, ERR_FAIL,
		               "cannot place the download cache: HOME is not set; set "
		               "FTBOOT_CACHE_DIR");
	*out = path_join(e, ".cache/ftboot");
	return 0;
}

/* A bridge name of at most 15 characters, unique per stack. */
static char *bridge_name(const char *stack)
{
	char hex[CRYPTO_HEX_MAX];

	if (strlen(stack) <= VIRT_BRIDGE_MAX - 5)
		return xasprintf("ftbr-%s", stack);
	crypto_hash_buf(CRYPTO_SHA256, stack, strlen(stack), hex);
	return xasprintf("ftbr-%.6s%.4s", stack, hex);
}

int vm_open(struct vm *vm, struct run *run, struct err *err)
{
	const char *pool_env = getenv("FTBOOT_POOL_DIR");
	const struct stack *stack = run->stack;
	struct state *st = run->state;

	memset(vm, 0, sizeof(*vm));
	vm->run = run;
	vm->stack = stack;
	vm->state = st;
	vm->report = run->report;
	vm->journal = run->journal;
	vm->net = xstrdup(stack->vm.network);
	vm->bridge = bridge_name(stack->name);
	vm->pool = xasprintf("ftboot-%s", stack->name);
	vm->dom = xasprintf("ftboot-%s", stack->name);
	if (pool_env && *pool_env)
		vm->pool_dir = path_join(pool_env, vm->pool);
	else if (strstr(stack->vm.uri, "/system"))
		vm->pool_dir = xasprintf("/var/lib/libvirt/images/%s", vm->pool);
	else
		vm->pool_dir = path_join(st->dir, "pool");
	virt_mac_for(stack->name, vm->mac);
	vm->console_log = path_join(st->dir, "console.log");
	vm->key_file = path_join(st->dir, "ssh/id_ed25519");
	ipv4_format(stack->vm.address, vm->ip);
	return vm_cache_dir(&vm->cache_dir, err);
}

static int open_virt(struct vm *vm, struct err *err)
{
	if (vm->virt)
		return 0;
	return virt_open(vm->stack->vm.uri, &vm->virt, err);
}

/* Read a whole small file into a new string. */
static char *slurp(const char *path, size_t limit, struct err *err)
{
	struct buf b = BUF_INIT(limit);

	if (fs_read(path, limit, &b, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* A key pair at base (private, 0600) and base.pub, generated once. */
static int ensure_keypair(const char *base, const char *comment, char **pub, struct err *err)
{
	struct crypto_keypair kp = {0};
	char *pubpath = xasprintf("%s.pub", base);
	int rc = -1;

	if (!fs_exists(base) || !fs_exists(pubpath)) {
		if (crypto_ed25519_generate(comment, &kp, err) < 0)
			goto out;
		/* The public half last: its presence means the pair is whole. */
		if (fs_write_atomic(base, kp.private_pem, strlen(kp.private_pem), 0600, 0, err) < 0)
			goto out;
		{
			char *line = xasprintf("%s\n", kp.public_line);
			int wrc = fs_write_atomic(pubpath, line, strlen(line), 0644, 0, err);

			free(line);
			if (wrc < 0)
				goto out;
		}
	}
	*pub = slurp(pubpath, 4096, err);
	if (*pub == NULL)
		goto out;
	(*pub)[strcspn(*pub, "\n")] = '\0';
	rc = 0;
out:
	crypto_keypair_release(&kp);
	free(pubpath);
	return rc;
}

static int ensure_keys(struct vm *vm, char **user_pub, char **host_pub, char **host_priv,
                       struct err *err)
{
	char *dir = path_join(vm->state->dir, "ssh");
	char *host = path_join(dir, "host_ed25519");
	char *comment = xasprintf("ftboot@%s", vm->stack->name);
	int rc = -1;

	if (fs_mkdirs(dir, 0700, err) < 0 ||
	    ensure_keypair(vm->key_file, comment, user_pub, err) < 0 ||
	    ensure_keypair(host, comment, host_pub, err) < 0)
		goto out;
	*host_priv = slurp(host, 16384, err);
	if (*host_priv == NULL)
		goto out;
	free(vm->host_fp);
	vm->host_fp = NULL;
	if (crypto_fingerprint_line(*host_pub, &vm->host_fp, err) < 0)
		goto out;
	rc = 0;
out:
	free(dir);
	free(host);
	free(comment);
	return rc;
}

/* The pinned digest of a, fetching the published digest file if need be. */
static int artifact_digest(struct vm *vm, const struct profile_artifact *a, char **hex,
                           struct err *err)
{
	struct buf body = BUF_INIT(DIGEST_MAX);
	size_t n;

	if (a->sha512) {
		*hex = xstrdup(a->sha512);
		return 0;
	}
	if (http_get(a->sha512_url, &body, err) < 0) {
		buf_release(&body);
		return err_wrap(err, "cannot fetch the published digest of '%s'", a->url);
	}
	/* "HEX  NAME" or "HEX": the first word. */
	n = strspn(buf_cstr(&body), "0123456789abcdefABCDEF");
	if (n != 128) {
		buf_release(&body);
		return err_set(err, ERR_FAIL,
		               "'%s' does not start with a sha512 digest (128 hex digits)",
		               a->sha512_url);
	}
	*hex = xstrndup(buf_cstr(&body), 128);
	buf_release(&body);
	warn(vm,
	     "%s is pinned by its published digest %s; write it into %s as sha512: "
	     "to pin "
	     "it for good",
	     a->url, *hex, vm->profile->path);
	return 0;
}

/*
 * Download artifact a into the cache; *path is the cached file, named
 * after its digest, and *hex (NULL: not wanted) the pinned sha512.
 */
static int fetch(struct vm *vm, const struct profile_artifact *a, const char *what, char **path,
                 char **hex_out, struct err *err)
{
	char *hex = NULL, *name = NULL, *label = NULL;
	int rc = -1;

	if (artifact_digest(vm, a, &hex, err) < 0)
		return -1;
	name = xasprintf("images/%.16s-%s", hex, path_base(a->url));
	*path = path_join(vm->cache_dir, name);
	label = xasprintf("downloading %s %s", vm->profile->name, what);
	if (vm->report && vm->report->download_begin)
		vm->report->download_begin(vm->report->ctx, label);
	rc = http_download(a->url, *path, hex, vm->report ? vm->report->download_progress : NULL,
	                   vm->report ? vm->report->ctx : NULL, err);
	if (vm->report && vm->report->download_end)
		vm->report->download_end(vm->report->ctx, rc == 0);
	if (rc < 0) {
		free(*path);
		*path = NULL;
	}
	if (rc == 0 && hex_out) {
		*hex_out = hex;
		hex = NULL;
	}
	free(hex);
	free(name);
	free(label);
	return rc;
}

/* Copy src to dst keeping holes (SEEK_DATA/SEEK_HOLE), or hard-link it. */
static int place_copy(const char *src, const char *dst, struct err *err)
{
	char *tmp = xasprintf("%s.tmp", dst);
	char chunk[1 << 16];
	int in = -1, out = -1, rc = -1;
	off_t end, data = 0, hole;

	unlink(tmp);
	if (link(src, tmp) == 0)
		goto rename;
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 || out < 0) {
		err_sys(err, errno, "cannot copy '%s' to '%s'", src, tmp);
		goto out;
	}
	end = lseek(in, 0, SEEK_END);
	while (end > 0 && data < end) {
		data = lseek(in, data, SEEK_DATA);
		if (data < 0)
			break; /* only a hole is left */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || lseek(in, data, SEEK_SET) < 0 || lseek(out, data, SEEK_SET) < 0)
			goto syserr;
		while (data < hole) {
			size_t want = (size_t)(hole - data) < sizeof(chunk) ? (size_t)(hole - data)
			                                                    : sizeof(chunk);
			ssize_t n = read(in, chunk, want);

			if (n <= 0 || write(out, chunk, (size_t)n) != n)
				goto syserr;
			data += n;
		}
	}
	if (ftruncate(out, end) < 0 || fsync(out) < 0)
		goto syserr;
rename:
	if (rename(tmp, dst) < 0)
		goto syserr;
	rc = 0;
	goto out;
syserr:
	err_sys(err, errno, "cannot copy '%s' to '%s'", src, dst);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/*
 * The file of the pool placed from another pin than hex for the same
 * kind (prefix: "POOL_DIR/DOM-KIND"), still there; NULL when none.
 * Borrowed from the journal.
 */
static const char *placed_other(struct vm *vm, const char *prefix, const char *dst)
{
	size_t i, n = strlen(prefix);
	const char *name;

	for (i = 0; i < vm->journal->n; i++) {
		name = vm->journal->v[i].name;
		if (strcmp(vm->journal->v[i].kind, "file") == 0 && strncmp(name, prefix, n) == 0 &&
		    strchr("-.", name[n]) && strcmp(name, dst) != 0 && fs_exists(name))
			return name;
	}
	return NULL;
}

/*
 * Put the cached file src (the profile's what: "image", "kernel",
 * "initrd") pinned at hex into the pool directory as DOM-KIND-DIGEST[.EXT]
 * (12 hex digits of the sha512), journaled as a file: a changed pin is
 * another name, never the old file again. One placed from another pin is
 * still the VM's (its disk sits on the base): refused, naming both
 * digests, until `ftboot down` removes the VM.
 */
static int place(struct vm *vm, const char *src, const char *hex, const char *what,
                 const char *kind, const char *ext, char **dst, struct err *err)
{
	char *name = xasprintf("%s-%s-%.12s%s", vm->dom, kind, hex, ext);
	char *prefix = xasprintf("%s/%s-%s", vm->pool_dir, vm->dom, kind);
	char was[64] = "of unknown sha512 (placed by an older ftboot)";
	const char *old;
	size_t n = strlen(prefix);
	int rc = -1;

	*dst = path_join(vm->pool_dir, name);
	old = placed_other(vm, prefix, *dst);
	if (old) {
		if (old[n] == '-')
			snprintf(was, sizeof(was), "with sha512 %.12s...", old + n + 1);
		err_set(
		    err, ERR_FAIL,
		    "vm '%s' was made from the %s %s, and %s now pins %.12s...; run "
		    "'ftboot down' first, and 'ftboot up' then makes the vm anew from the new %s "
		    "(with a new disk)",
		    vm->dom, what, was, vm->profile->path, hex, what);
		goto out;
	}
	if (fs_exists(*dst) && journal_find(vm->journal, "file", *dst)) {
		rc = 0;
		goto out;
	}
	if (journal_record(vm->journal, "file", *dst, NULL, err) < 0)
		goto out;
	rc = place_copy(src, *dst, err);
out:
	free(name);
	free(prefix);
	return rc;
}

/*
 * This stack's identity in the metadata of what it defines in libvirt:
 * its name and its state directory, made absolute in dir.
 */
static void stack_owner(const struct vm *vm, struct virt_owner *o, char dir[PATH_MAX])
{
	if (!realpath(vm->state->dir, dir))
		snprintf(dir, PATH_MAX, "%s", vm->state->dir);
	o->stack = vm->stack->name;
	o->state = dir;
}

static int ensure_network(struct vm *vm, struct err *err)
{
	const struct stack_vm *s = &vm->stack->vm;
	struct virt_net_spec spec = {0};
	char *overlap = NULL;
	char cidr[IPV4_STRLEN];
	char owner_dir[PATH_MAX], *other = NULL;
	enum virt_own own = VIRT_OWN_ABSENT;
	int created = 0;

	step(vm, "network '%s'", vm->net);
	stack_owner(vm, &spec.owner, owner_dir);
	/* not in the journal: adopted if its metadata says it is ours */
	if (!journal_find(vm->journal, "network", vm->net)) {
		if (virt_net_owner(vm->virt, vm->net, &spec.owner, &own, &other, err) < 0)
			return -1;
		if (own == VIRT_OWN_NONE || own == VIRT_OWN_OTHER) {
			err_set(err, ERR_FAIL,
			        "a libvirt network '%s' exists that this stack did not create, "
			        "and ftboot never touches those; set vm.network in %s to "
			        "another name",
			        vm->net, vm->stack->path);
			if (other)
				err_suffix(err, "; its metadata names %s", other);
			free(other);
			return -1;
		}
	}
	if (virt_net_find_overlap(vm->virt, s->net, s->prefix, vm->net, &overlap, err) < 0)
		return -1;
	if (overlap) {
		err_set(err, ERR_FAIL, "vm.cidr %s/%u overlaps %s; pick another vm.cidr in %s",
		        ipv4_format(s->net, cidr), s->prefix, overlap, vm->stack->path);
		free(overlap);
		return -1;
	}
	spec.name = vm->net;
	spec.bridge = vm->bridge;
	spec.net = s->net;
	spec.prefix = s->prefix;
	spec.host_ip = s->net + 1;
	spec.host_mac = vm->mac;
	spec.host_addr = s->address;
	spec.host_name = vm->stack->name;
	if (journal_record(vm->journal, "network", vm->net,
	                   (const char *[]){"cidr", ipv4_format(s->net, cidr), NULL}, err) < 0 ||
	    virt_net_ensure(vm->virt, &spec, &created, err) < 0)
		return -1;
	done(vm, created ? "created" : own == VIRT_OWN_SELF ? "adopted" : "exists");
	return 0;
}

static int ensure_pool(struct vm *vm, struct err *err)
{
	step(vm, "storage pool '%s'", vm->pool);
	if (journal_record(vm->journal, "pool", vm->pool,
	                   (const char *[]){"dir", vm->pool_dir, NULL}, err) < 0 ||
	    fs_mkdirs(vm->pool_dir, 0711, err) < 0 ||
	    virt_pool_ensure(vm->virt, vm->pool, vm->pool_dir, err) < 0)
		return -1;
	done(vm, "ready");
	return 0;
}

/*
 * The variables of the profile's cloud-init templates: who logs in with
 * which key and on which port of the VM's sshd, the pinned host key, and
 * where the VM sits on its network (libvirt's dnsmasq answers DNS on the
 * gateway).
 */
static void seed_vars(struct vm *vm, const struct vm_seed_keys *k, struct tmpl_vars *vars)
{
	const struct stack_vm *s = &vm->stack->vm;
	char gw[IPV4_STRLEN], net[IPV4_STRLEN], lb[IPV4_STRLEN];
	char *cidr = xasprintf("%s/%u", ipv4_format(s->net, net), s->prefix);

	ipv4_format(s->net + 1, gw);
	tmpl_vars_set(vars, "hostname", doc_new_str(vm->stack->name));
	tmpl_vars_set(vars, "user", doc_new_str(vm->profile->user));
	tmpl_vars_set(vars, "ssh_port", doc_new_int(vm->profile->ssh_port));
	tmpl_vars_set(vars, "ssh_authorized_key", doc_new_str(k->user_pub));
	tmpl_vars_set(vars, "host_key_public", doc_new_str(k->host_pub));
	tmpl_vars_set(vars, "host_key_private", doc_new_str(k->host_priv));
	tmpl_vars_set(vars, "stack", doc_new_str(vm->stack->name));
	tmpl_vars_set(vars, "vm_ip", doc_new_str(vm->ip));
	tmpl_vars_set(vars, "lb_ip", doc_new_str(ipv4_format(s->lb_address, lb)));
	tmpl_vars_set(vars, "mac", doc_new_str(vm->mac));
	tmpl_vars_set(vars, "cidr", doc_new_str(cidr));
	tmpl_vars_set(vars, "prefix", doc_new_int(s->prefix));
	tmpl_vars_set(vars, "gateway", doc_new_str(gw));
	tmpl_vars_set(vars, "dns", doc_new_str(gw));
	free(cidr);
}

/*
 * Render one cloud-init template (path) into out: one YAML mapping. User
 * data gets its "#cloud-config" line; network config (network set) must
 * have a version, at its top or under "network:".
 */
static int seed_file(const char *path, int network, struct tmpl_vars *vars, struct buf *out,
                     struct err *err)
{
	struct doc_list docs = {0};
	struct buf text = BUF_INIT(SEED_MAX);
	int rc = -1;

	if (fs_read(path, SEED_MAX, &text, err) < 0 ||
	    tmpl_render(path, buf_cstr(&text), text.len, vars, &docs, err) < 0)
		goto out;
	if (docs.n != 1 || docs.docs[0]->type != DOC_MAP) {
		err_set(err, ERR_FAIL, "%s: a cloud-init %s template must be one YAML mapping",
		        path, network ? "network-config" : "user-data");
		goto out;
	}
	if (network && !doc_map_get(docs.docs[0], "network") &&
	    !doc_map_get(docs.docs[0], "version")) {
		err_set(err, ERR_FAIL,
		        "%s:%u:%u: network-config has no 'version' (write 'version: 2' and "
		        "'ethernets:', or 'network: {version: 2, ...}')",
		        path, docs.docs[0]->mark.line, docs.docs[0]->mark.col);
		goto out;
	}
	if (!network && buf_addstr(out, "#cloud-config\n") < 0) {
		err_set(err, ERR_FAIL, "%s: larger than %zu bytes once rendered", path, out->limit);
		goto out;
	}
	/* Its own words: too large, or a value YAML cannot hold (not UTF-8). */
	if (doc_emit_yaml(docs.docs[0], out, err) < 0) {
		err_wrap(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	doc_list_release(&docs);
	buf_release(&text);
	return rc;
}

int vm_seed(struct vm *vm, const struct vm_seed_keys *keys, struct buf *iso, struct err *err)
{
	struct tmpl_vars vars = {0};
	struct buf ud = BUF_INIT(SEED_MAX), nc = BUF_INIT(SEED_MAX);
	struct crypto_hash *h;
	char hex[CRYPTO_HEX_MAX];
	char *meta = NULL;
	struct iso_file files[3];
	size_t n = 0;
	int rc = -1;

	seed_vars(vm, keys, &vars);
	if (seed_file(vm->profile->user_data, 0, &vars, &ud, err) < 0)
		goto out;
	if (vm->profile->network_config &&
	    seed_file(vm->profile->network_config, 1, &vars, &nc, err) < 0)
		goto out;
	/*
	 * A new instance-id whenever user-data or network-config changes:
	 * cloud-init applies both once per instance. (A NUL cannot occur in
	 * the YAML, so it keeps the two apart in the hash.)
	 */
	h = crypto_hash_new(CRYPTO_SHA256);
	crypto_hash_update(h, ud.data, ud.len);
	if (vm->profile->network_config) {
		crypto_hash_update(h, "", 1);
		crypto_hash_update(h, nc.data, nc.len);
	}
	crypto_hash_final(h, hex);
	meta =
	    xasprintf("instance-id: %s-%.12s\nlocal-hostname: %s\n", vm->dom, hex, vm->stack->name);
	files[n++] = (struct iso_file){"user-data", ud.data, ud.len};
	files[n++] = (struct iso_file){"meta-data", meta, strlen(meta)};
	if (vm->profile->network_config)
		files[n++] = (struct iso_file){"network-config", nc.data, nc.len};
	rc = iso_build("cidata", files, n, 0, iso, err);
out:
	buf_release(&ud);
	buf_release(&nc);
	free(meta);
	tmpl_vars_release(&vars);
	return rc;
}

static int ensure_seed(struct vm *vm, const struct vm_seed_keys *keys, char **path, struct err *err)
{
	struct buf iso = BUF_INIT(SEED_MAX * 3); /* user-data, network-config and the rest */
	char *name = xasprintf("%s-seed.iso", vm->dom);
	enum virt_dom_state state;
	int rc = -1;

	step(vm, "cloud-init seed");
	if (virt_dom_state(vm->virt, vm->dom, &state, err) < 0)
		goto out;
	if (state == VIRT_DOM_RUNNING) {
		/* cloud-init has read it: rewriting it now would change nothing. */
		if (virt_vol_path(vm->virt, vm->pool, name, path, err) < 0)
			goto out;
		done(vm, "in use by the running vm");
		rc = 0;
		goto out;
	}
	if (vm_seed(vm, keys, &iso, err) < 0)
		goto out;
	if (journal_record(vm->journal, "volume", name, (const char *[]){"pool", vm->pool, NULL},
	                   err) < 0 ||
	    virt_vol_delete(vm->virt, vm->pool, name, err) < 0 ||
	    virt_vol_upload(vm->virt, vm->pool, name, iso.data, iso.len, path, err) < 0)
		goto out;
	done(vm, vm->profile->network_config ? "written, with network-config" : "written");
	rc = 0;
out:
	buf_release(&iso);
	free(name);
	return rc;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* A local libvirt: the host's /dev/kvm is the daemon's. */
static int uri_local(const char *uri)
{
	return strncmp(uri, "qemu:///", 8) == 0 || strncmp(uri, "qemu+unix:///", 13) == 0;
}

static int define_start(struct vm *vm, struct virt_dom_spec *spec, struct err *err)
{
	char why[512] = "";
	double t0, took;

	if (journal_record(
	        vm->journal, "domain", vm->dom,
	        (const char *[]){"accel", spec->accel == VIRT_ACCEL_KVM ? "kvm" : "tcg", NULL},
	        err) < 0)
		return -1;
	/* Said before the define, which is then slow: not a silent minute. */
	if (uri_local(vm->stack->vm.uri) && !kvm_shared(KVM_DEV, why, sizeof(why)))
		warn(vm, "%s", why);
	t0 = mono_now();
	if (virt_dom_define(vm->virt, spec, err) < 0)
		return -1;
	took = mono_now() - t0;
	if (took >= DEFINE_SLOW_SECONDS)
		warn(vm,
		     "libvirtd took %.1f s to define the domain (it takes well under a second when "
		     "its QEMU capability cache holds): %s",
		     took,
		     why[0] ? "see above"
		            : "check that /dev/kvm is open to QEMU's user (group kvm, mode 0660) "
		              "and look for repeated QEMU probes in libvirtd's log");
	return virt_dom_start(vm->virt, vm->dom, err);
}

/*
 * accel auto with a usable /dev/kvm: start on KVM and watch. Nested
 * virtualisation fails in two ways: qemu aborts at start (an MSR it
 * cannot set), or the guest hangs and its console stays silent. Either
 * way the VM is removed and started again on TCG, with a warning.
 */
static int kvm_probe(struct vm *vm, struct virt_dom_spec *spec, long before, struct err *err)
{
	enum virt_dom_state state = VIRT_DOM_RUNNING;
	char why[512];
	double t0;

	if (define_start(vm, spec, err) < 0) {
		snprintf(why, sizeof(why), "it did not start: %.400s", err->msg);
	} else {
		t0 = mono_now();
		while (mono_now() - t0 < KVM_PROBE_SECONDS &&
		       file_size(vm->console_log) <= before && state == VIRT_DOM_RUNNING) {
			mono_nap(250);
			if (virt_dom_state(vm->virt, vm->dom, &state, err) < 0)
				return -1;
		}
		if (state == VIRT_DOM_RUNNING && file_size(vm->console_log) > before)
			return 0; /* KVM works */
		if (state != VIRT_DOM_RUNNING)
			snprintf(why, sizeof(why), "the guest stopped (%s)",
			         virt_dom_state_name(state));
		else
			snprintf(why, sizeof(why), "the guest wrote nothing to its console in %d s",
			         KVM_PROBE_SECONDS);
	}
	warn(vm,
	     "KVM failed (%s): nested virtualisation breaks on some hosts; restarting the VM on "
	     "TCG, which is slower (set vm.accel: tcg to skip this probe)",
	     why);
	err_clear(err);
	if (virt_dom_remove(vm->virt, vm->dom, err) < 0)
		return -1;
	spec->accel = VIRT_ACCEL_TCG;
	return define_start(vm, spec, err);
}

/*
 * The domain exists and the journal does not hold it. Its metadata says
 * whose it is: this stack's (an interrupted `up` defined it, perhaps after
 * a `down`) is adopted: journaled, its UUID kept in the state. Any other
 * is refused.
 */
static int adopt_domain(struct vm *vm, const struct virt_dom_spec *spec, struct err *err)
{
	char uuid[VIRT_UUID_STRLEN], *other = NULL;
	enum virt_own own;

	if (virt_dom_owner(vm->virt, vm->dom, &spec->owner, &own, &other, uuid, err) < 0)
		return -1;
	if (own == VIRT_OWN_ABSENT)
		return 0; /* removed meanwhile: defined afresh below */
	if (own != VIRT_OWN_SELF) {
		err_set(err, ERR_FAIL,
		        "a libvirt domain '%s' exists that this stack did not create; "
		        "remove it or rename the stack",
		        vm->dom);
		if (other)
			err_suffix(err, "; its metadata names %s", other);
		free(other);
		return -1;
	}
	if (journal_record(vm->journal, "domain", vm->dom, (const char *[]){"adopted", "yes", NULL},
	                   err) < 0 ||
	    (spec->uuid && strcmp(uuid, spec->uuid) != 0 &&
	     state_set_vm_uuid(vm->state, uuid, err) < 0))
		return -1;
	warn(vm, "adopted libvirt domain '%s' (UUID %s): its metadata names this stack", vm->dom,
	     uuid);
	return 0;
}

/*
 * Start the domain. With accel auto and a usable /dev/kvm, try KVM; a
 * KVM guest that writes nothing to its console within KVM_PROBE_SECONDS
 * is taken as hung (nested virtualisation) and restarted on TCG.
 */
static int ensure_domain(struct vm *vm, struct virt_dom_spec *spec, struct err *err)
{
	const struct journal_entry *je = journal_find(vm->journal, "domain", vm->dom);
	enum virt_dom_state state;
	char why[256] = "";
	long before;

	step(vm, "vm '%s'", vm->dom);
	if (virt_dom_state(vm->virt, vm->dom, &state, err) < 0)
		return -1;
	if (state != VIRT_DOM_ABSENT && je == NULL && adopt_domain(vm, spec, err) < 0)
		return -1;
	if (state == VIRT_DOM_RUNNING) {
		done(vm, "running");
		return 0;
	}
	if (state != VIRT_DOM_ABSENT) {
		/* Defined but not running (stopped, crashed): start it as it is. */
		if (virt_dom_start(vm->virt, vm->dom, err) < 0)
			return -1;
		done(vm, "started");
		return 0;
	}
	switch (vm->stack->vm.accel) {
	case STACK_ACCEL_KVM:
		spec->accel = VIRT_ACCEL_KVM;
		break;
	case STACK_ACCEL_TCG:
		spec->accel = VIRT_ACCEL_TCG;
		break;
	case STACK_ACCEL_AUTO:
		spec->accel =
		    kvm_usable(KVM_DEV, why, sizeof(why)) ? VIRT_ACCEL_KVM : VIRT_ACCEL_TCG;
		break;
	}
	before = file_size(vm->console_log);
	if (vm->stack->vm.accel == STACK_ACCEL_AUTO && spec->accel == VIRT_ACCEL_KVM) {
		if (kvm_probe(vm, spec, before, err) < 0)
			return -1;
	} else if (define_start(vm, spec, err) < 0) {
		return -1;
	} else if (vm->stack->vm.accel == STACK_ACCEL_AUTO && why[0]) {
		warn(vm, "KVM is not usable (%s); the VM runs on TCG, which is slower", why);
	}
	done(vm, spec->accel == VIRT_ACCEL_KVM ? "started (kvm)" : "started (tcg)");
	return 0;
}

static int wait_lease(struct vm *vm, double deadline, struct err *err)
{
	uint32_t addr = 0;
	char got[IPV4_STRLEN];
	int r;

	step(vm, "address of vm '%s'", vm->dom);
	while ((r = virt_net_lease(vm->virt, vm->net, vm->mac, &addr, err)) == 0 &&
	       mono_now() < deadline)
		mono_nap(500);
	if (r < 0)
		return -1;
	if (r == 0) {
		err_set(err, ERR_FAIL, "vm '%s' got no DHCP lease on network '%s' in time", vm->dom,
		        vm->net);
		vm_console_tail(vm, CONSOLE_TAIL, err);
		return -1;
	}
	if (addr != vm->stack->vm.address)
		warn(vm, "vm '%s' leased %s, not its reserved %s", vm->dom, ipv4_format(addr, got),
		     vm->ip);
	done(vm, vm->ip);
	return 0;
}

/*
 * Wait until SSH answers with the pinned host key. A refused, reset or
 * timed out attempt is tried again until the deadline. While the guest
 * boots, its sshd may briefly run before cloud-init has installed the
 * pinned key or the authorized key: a host key mismatch or a refused
 * login is only final once it has lasted SSH_SETTLE_SECONDS.
 */
static int wait_ssh(struct vm *vm, double deadline, struct err *err)
{
	struct ssh *s = NULL;
	double first_hard = 0;
	int transient;

	step(vm, "ssh %s@%s:%d (host key %s)", vm->profile->user, vm->ip, vm->profile->ssh_port,
	     vm->host_fp);
	for (;;) {
		/*
		 * A command must run too: a loaded TCG guest's first login
		 * (PAM, logind) can outlast one attempt's bound, then try again.
		 */
		if (vm_ssh(vm, SSH_TRY_MS, &s, err) == 0) {
			if (ssh_exec(s, "true", NULL, NULL, NULL, err) == 0)
				break;
			ssh_close(s);
			s = NULL;
		}
		transient = err->kind == ERRK_TRANSIENT || err->kind == ERRK_TIMEOUT;
		if (!transient && first_hard == 0)
			first_hard = mono_now();
		if (transient)
			first_hard = 0;
		if (mono_now() >= deadline ||
		    (first_hard && mono_now() - first_hard >= SSH_SETTLE_SECONDS)) {
			if (transient)
				err_wrap(err, "vm '%s' did not answer SSH in time", vm->dom);
			vm_console_tail(vm, CONSOLE_TAIL, err);
			return -1;
		}
		mono_nap(1000);
	}
	ssh_close(s);
	done(vm, "ready");
	return 0;
}

int vm_up(struct vm *vm, struct err *err)
{
	struct virt_dom_spec spec = {0};
	struct vm_seed_keys keys;
	char *user_pub = NULL, *host_pub = NULL, *host_priv = NULL;
	char *image = NULL, *kernel = NULL, *initrd = NULL;
	char *image_hex = NULL, *kernel_hex = NULL, *initrd_hex = NULL, *ext = NULL;
	char *base = NULL, *disk = NULL, *seed = NULL, *kpath = NULL, *ipath = NULL, *name = NULL;
	char uuid[STATE_UUID_LEN + 1], owner_dir[PATH_MAX];
	double t0;
	int rc = -1;

	if (vm->profile == NULL && profile_load(vm->stack, &vm->profile, err) < 0)
		return -1;
	if (ensure_keys(vm, &user_pub, &host_pub, &host_priv, err) < 0)
		goto out;
	if (fetch(vm, &vm->profile->image, "image", &image, &image_hex, err) < 0 ||
	    (vm->profile->kernel.url &&
	     fetch(vm, &vm->profile->kernel, "kernel", &kernel, &kernel_hex, err) < 0) ||
	    (vm->profile->initrd.url &&
	     fetch(vm, &vm->profile->initrd, "initrd", &initrd, &initrd_hex, err) < 0))
		goto out;
	if (open_virt(vm, err) < 0 || ensure_network(vm, err) < 0 || ensure_pool(vm, err) < 0)
		goto out;

	step(vm, "disk of vm '%s'", vm->dom);
	ext = xasprintf(".%s", vm->profile->image.format);
	if (place(vm, image, image_hex, "image", "base", ext, &base, err) < 0)
		goto out;
	name = xasprintf("%s-disk.qcow2", vm->dom);
	/* Kept as it is when it exists on the same base: the VM's disk survives. */
	if (journal_record(vm->journal, "volume", name, (const char *[]){"pool", vm->pool, NULL},
	                   err) < 0 ||
	    virt_vol_create_overlay(vm->virt, vm->pool, name, base, vm->profile->image.format,
	                            vm->stack->vm.disk, &disk, err) < 0)
		goto out;
	done(vm, "ready");
	if (kernel && place(vm, kernel, kernel_hex, "kernel", "vmlinuz", "", &kpath, err) < 0)
		goto out;
	if (initrd && place(vm, initrd, initrd_hex, "initrd", "initrd", "", &ipath, err) < 0)
		goto out;
	keys.user_pub = user_pub;
	keys.host_pub = host_pub;
	keys.host_priv = host_priv;
	if (ensure_seed(vm, &keys, &seed, err) < 0)
		goto out;

	if (state_vm_uuid(vm->state, uuid, err) < 0)
		goto out;
	spec.name = vm->dom;
	spec.uuid = uuid;
	spec.memory_bytes = vm->stack->vm.memory;
	spec.vcpus = (unsigned)vm->stack->vm.cpus;
	spec.disk_path = disk;
	spec.seed_path = seed;
	spec.network = vm->net;
	spec.mac = vm->mac;
	spec.console_log = vm->console_log;
	spec.kernel = kpath;
	spec.initrd = ipath;
	spec.cmdline = vm->profile->cmdline;
	stack_owner(vm, &spec.owner, owner_dir);
	t0 = mono_now();
	if (ensure_domain(vm, &spec, err) < 0 ||
	    wait_lease(vm, t0 + vm->profile->boot_timeout, err) < 0 ||
	    wait_ssh(vm, t0 + vm->profile->boot_timeout, err) < 0)
		goto out;
	rc = 0;
out:
	free(user_pub);
	free(host_pub);
	if (host_priv)
		memset(host_priv, 0, strlen(host_priv));
	free(host_priv);
	free(image);
	free(kernel);
	free(initrd);
	free(image_hex);
	free(kernel_hex);
	free(initrd_hex);
	free(ext);
	free(base);
	free(disk);
	free(seed);
	free(kpath);
	free(ipath);
	free(name);
	return rc;
}

/*
 * The removers of vm's kinds (teardown.h). A volume names its pool and a
 * pool its directory in their fields (journal.h); an entry without them
 * (a hand-edited journal) is an error that says so.
 */
static int need_field(const struct journal_entry *e, const char *key, char **out, struct err *err)
{
	*out = journal_get(e, key);
	if (*out == NULL)
		return err_set(err, ERR_FAIL,
		               "the journal's record of %s '%s' has no field '%s'; remove the %s "
		               "by hand and then its lines from the journal",
		               e->kind, e->name, key, e->kind);
	return 0;
}

static int rm_domain(struct run *run, void *virt, const struct journal_entry *e, struct err *err)
{
	(void)run;
	return virt_dom_remove(virt, e->name, err);
}

static int rm_volume(struct run *run, void *virt, const struct journal_entry *e, struct err *err)
{
	char *pool;
	int rc;

	(void)run;
	if (need_field(e, "pool", &pool, err) < 0)
		return -1;
	rc = virt_vol_delete(virt, pool, e->name, err);
	free(pool);
	return rc;
}

static int rm_pool(struct run *run, void *virt, const struct journal_entry *e, struct err *err)
{
	char *dir;
	int rc = -1;

	(void)run;
	if (need_field(e, "dir", &dir, err) < 0)
		return -1;
	if (virt_pool_remove(virt, e->name, err) < 0)
		goto out;
	if (rmdir(dir) < 0 && errno != ENOENT) {
		err_sys(err, errno, "cannot remove the pool directory '%s'", dir);
		goto out;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/* The network only once no other domain uses it: kept (and said) otherwise. */
static int rm_network(struct run *run, void *virt, const struct journal_entry *e, struct err *err)
{
	char **users = NULL;
	size_t n = 0;

	if (virt_dom_uses_network(virt, e->name, &users, &n, err) < 0)
		return -1;
	if (n > 0) {
		report_warn(run->report, "network '%s' is kept: domain '%s' still uses it", e->name,
		            users[0]);
		virt_strv_free(users);
		return 0;
	}
	virt_strv_free(users);
	return virt_net_remove(virt, e->name, err);
}

static int libvirt_open(struct run *run, void **handle, struct err *err)
{
	struct virt *v = NULL;

	if (virt_open(run->stack->vm.uri, &v, err) < 0)
		return -1;
	*handle = v;
	return 0;
}

static void libvirt_close(void *handle)
{
	virt_close(handle);
}

static const struct teardown_backend libvirt_backend = {"libvirt", libvirt_open, libvirt_close};
static const struct teardown_kind kinds[] = {
    {"network", &libvirt_backend, rm_network},
    {"pool", &libvirt_backend, rm_pool},
    {"volume", &libvirt_backend, rm_volume},
    {"domain", &libvirt_backend, rm_domain},
};

int vm_kinds(struct err *err)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (teardown_register(&kinds[i], err) < 0)
			return -1;
	return teardown_register(&teardown_file, err);
}

/* The journal's libvirt objects (an external engine's images are not the VM's). */
static size_t vm_resources(const struct vm *vm)
{
	size_t i, k, n = 0;

	for (i = 0; i < vm->journal->n; i++)
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			n += strcmp(vm->journal->v[i].kind, kinds[k].kind) == 0;
	return n;
}

int vm_step(struct run *run, struct err *err)
{
	struct vm vm;
	int rc = -1;

	if (vm_open(&vm, run, err) < 0)
		goto out;
	if (vm_up(&vm, err) < 0)
		goto out;
	report_info(run->report, "vm '%s' is up at %s (ftboot ssh opens a shell)", vm.dom, vm.ip);
	rc = 0;
out:
	vm_close(&vm);
	return rc;
}

int vm_step_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct vm_status s;
	struct vm vm;
	char cidr[IPV4_STRLEN];
	int rc = -1;

	*json = NULL;
	if (vm_open(&vm, run, err) < 0 || vm_status(&vm, &s, err) < 0)
		goto out;
	if (s.resources == 0) {
		buf_addstr(text, "vm         not created (ftboot up creates it)\n");
		*json = doc_new(DOC_NULL);
		rc = 0;
		goto out;
	}
	buf_addf(text, "vm         %s, %s\n", vm.dom, virt_dom_state_name(s.state));
	buf_addf(text, "address    %s\n", s.ip[0] ? s.ip : "-");
	buf_addf(text, "network    %s, %s/%u\n", vm.net, ipv4_format(vm.stack->vm.net, cidr),
	         vm.stack->vm.prefix);
	*json = doc_new(DOC_MAP);
	doc_map_set(*json, "name", doc_new_str(vm.dom));
	doc_map_set(*json, "state", doc_new_str(virt_dom_state_name(s.state)));
	doc_map_set(*json, "address", s.ip[0] ? doc_new_str(s.ip) : doc_new(DOC_NULL));
	rc = 0;
out:
	vm_close(&vm);
	return rc;
}

int vm_status(struct vm *vm, struct vm_status *out, struct err *err)
{
	uint32_t addr;
	int r;

	memset(out, 0, sizeof(*out));
	out->resources = vm_resources(vm);
	out->state = VIRT_DOM_ABSENT;
	if (out->resources == 0)
		return 0;
	if (open_virt(vm, err) < 0 || virt_dom_state(vm->virt, vm->dom, &out->state, err) < 0)
		return -1;
	if (out->state == VIRT_DOM_RUNNING) {
		r = virt_net_lease(vm->virt, vm->net, vm->mac, &addr, err);
		if (r < 0)
			return -1;
		if (r > 0)
			ipv4_format(addr, out->ip);
	}
	return 0;
}

int vm_ssh(struct vm *vm, int timeout_ms, struct ssh **out, struct err *err)
{
	struct ssh_opts o = {0};
	char *host_pub = NULL, *pubpath;

	if (vm->host_fp == NULL) {
		pubpath = path_join(vm->state->dir, "ssh/host_ed25519.pub");
		host_pub = slurp(pubpath, 4096, err);
		free(pubpath);
		if (host_pub == NULL)
			return err_wrap(err, "no pinned host key for vm '%s' (run 'ftboot up')",
			                vm->dom);
		host_pub[strcspn(host_pub, "\n")] = '\0';
		if (crypto_fingerprint_line(host_pub, &vm->host_fp, err) < 0) {
			free(host_pub);
			return -1;
		}
		free(host_pub);
	}
	if (vm->profile == NULL && profile_load(vm->stack, &vm->profile, err) < 0)
		return -1;
	o.host = vm->ip;
	o.port = vm->profile->ssh_port;
	o.user = vm->profile->user;
	o.key_file = vm->key_file;
	o.host_fingerprint = vm->host_fp;
	/* Each command and copy is bounded as well as the connection. */
	o.timeout_ms = timeout_ms;
	o.op_timeout_ms = timeout_ms;
	return ssh_connect(&o, out, err);
}

/*
 * Console text fit for an error message: ANSI escape sequences (colours)
 * and other control characters dropped, carriage returns too.
 */
static void console_clean(const char *in, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;

	while (*p) {
		if (*p == 0x1b) {
			p++;
			if (*p == '[') {
				p++;
				while (*p && !(*p >= 0x40 && *p <= 0x7e))
					p++;
			}
			if (*p)
				p++;
			continue;
		}
		if (*p == '\n' || *p == '\t' || *p >= 0x20)
			buf_addch(out, (char)*p);
		p++;
	}
}

void vm_console_tail(const struct vm *vm, int lines, struct err *err)
{
	struct buf b = BUF_INIT(64u << 20), clean = BUF_INIT(ERR_MSG_MAX);
	struct err ignored;
	const char *start, *p;
	int n = 0;

	if (fs_read(vm->console_log, 64u << 20, &b, &ignored) < 0 || b.len == 0) {
		err_suffix(err, "\n(the serial console '%s' is empty)", vm->console_log);
		buf_release(&b);
		return;
	}
	start = b.data;
	for (p = b.data + b.len; p > b.data; p--)
		if (p[-1] == '\n' && ++n > lines) {
			start = p;
			break;
		}
	console_clean(start, &clean);
	err_suffix(err, "\nlast lines of the serial console (%s):\n%s", vm->console_log,
	           buf_cstr(&clean));
	buf_release(&clean);
	buf_release(&b);
}

/*
 * The prefix that runs the rest of a command line as root without a
 * password prompt: sudo, or doas where there is no sudo (Alpine).
 */
#define AS_ROOT "r=sudo; command -v sudo >/dev/null 2>&1 || r=doas; \"$r\" -n "

/* Lines of a command's output kept in a message. */
#define OUTPUT_TAIL_LINES 30

int vm_exec_root(struct ssh *s, const char *const *argv, int argc, struct buf *out,
                 struct buf *errout, int *status, struct err *err)
{
	char *words = ssh_command_of_argv((char *const *)argv, argc);
	char *cmd = xasprintf(AS_ROOT "%s", words);
	int rc = ssh_exec(s, cmd, out, errout, status, err);

	free(cmd);
	free(words);
	return rc;
}

void vm_output_tail(struct err *err, const char *intro, const struct buf *out)
{
	struct buf b = BUF_INIT(ERR_MSG_MAX);
	const char *start = out->data ? out->data : "", *p;
	size_t len = out->len;
	int n = 0;

	while (len > 0 && start[len - 1] == '\n')
		len--;
	for (p = start + len; p > start; p--)
		if (p[-1] == '\n' && ++n >= OUTPUT_TAIL_LINES)
			break;
	for (; p < start + len; p++)
		buf_addch(&b,
		          (*p == '\n' || *p == '\t' || ((unsigned char)*p >= 0x20 && *p != 0x7f))
		              ? *p
		              : '?');
	err_suffix(err, "\n%s%s", intro, b.len ? buf_cstr(&b) : "(no output)");
	buf_release(&b);
}

void vm_close(struct vm *vm)
{
	virt_close(vm->virt);
	profile_free(vm->profile);
	free(vm->net);
	free(vm->bridge);
	free(vm->pool);
	free(vm->pool_dir);
	free(vm->dom);
	free(vm->cache_dir);
	free(vm->console_log);
	free(vm->key_file);
	free(vm->host_fp);
	memset(vm, 0, sizeof(*vm));
}
