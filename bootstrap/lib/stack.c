/*
 * stack: reading srcs/stack.yaml into struct stack. The document module
 * gives a tree with marks; this file checks it key by key, fills in the
 * defaults, and cross-checks (addresses inside the CIDR, ports unique on
 * the LoadBalancer address).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "ipv4.h"
#include "schema.h"
#include "stack.h"
#include "text.h"
#include "xmem.h"

#define NAME_MAX_LEN 40 /* stack names become parts of libvirt and k8s names */
#define RANGE_MAX    64 /* ports in one range: each is listed in the Service */

/* [a-z][a-z0-9_]*: names of secrets and values, used as ${secret.NAME}. */
static int is_ident(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z' || strlen(s) > 64)
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Kubernetes IANA_SVC_NAME: [a-z0-9-], a letter, no "--", no edge '-'. */
static int is_port_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;
	int letter = 0;

	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = 1;
		else if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return letter;
}

int stack_parse_size(const char *s, unsigned long long *bytes)
{
	unsigned long long v = 0;
	const char *p = s;
	int shift, huge = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > (1ULL << 40))
			huge = 1; /* read on: the rest must still be a size */
		else
			v = v * 10 + (unsigned long long)(*p - '0');
		p++;
	}
	switch (*p) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	p++;
	if (strcmp(p, "") != 0 && strcmp(p, "i") != 0 && strcmp(p, "iB") != 0)
		return -1;
	*bytes = huge || v > (~0ULL >> shift) ? ~0ULL : v << shift;
	return 0;
}

static int want_size(struct schema *ld, const struct doc_node *n, const char *what,
                     unsigned long long min, const char *min_text, unsigned long long max,
                     const char *max_text, unsigned long long *out)
{
	char got[64];

	schema_describe(n, got, sizeof(got));
	if ((n->type != DOC_STR && n->type != DOC_INT) || stack_parse_size(n->text, out) < 0)
		return schema_fail(ld, n, what,
		                   "expected a size like 20G or 512M (units K, M, G, T), got %s",
		                   got);
	if (*out < min || *out > max)
		return schema_fail(ld, n, what, "size %s is out of range (%s to %s)", got, min_text,
		                   max_text);
	return 0;
}

const char *stack_svc_type_name(enum stack_svc_type type)
{
	switch (type) {
	case STACK_SVC_LOADBALANCER:
		return "LoadBalancer";
	case STACK_SVC_CLUSTERIP:
		return "ClusterIP";
	case STACK_SVC_NONE:
		break;
	}
	return "None";
}

const char *stack_accel_name(enum stack_accel accel)
{
	switch (accel) {
	case STACK_ACCEL_KVM:
		return "kvm";
	case STACK_ACCEL_TCG:
		return "tcg";
	case STACK_ACCEL_AUTO:
		break;
	}
	return "auto";
}

/* An address of the VM network: inside it, not its network, broadcast or gateway. */
static int want_host_addr(struct schema *ld, const struct doc_node *n, const char *what,
                          const struct stack_vm *vm, const char *cidr_text, uint32_t *out)
{
	uint32_t mask = ipv4_mask(vm->prefix), a;

	if (n->type != DOC_STR || ipv4_parse(n->text, &a) < 0) {
		char got[64];

		schema_describe(n, got, sizeof(got));
		return schema_fail(ld, n, what,
		                   "expected an IPv4 address like 192.168.61.2, got %s", got);
	}
	if ((a & mask) != vm->net)
		return schema_fail(ld, n, what,
		                   "%s is outside vm.cidr %s; pick an address inside it", n->text,
		                   cidr_text);
	if (a == vm->net || a == (vm->net | ~mask) || (a & 255) == 0 || (a & 255) == 255)
		return schema_fail(
		    ld, n, what,
		    "%s is a network or broadcast address (ends in .0 or .255); pick "
		    "another",
		    n->text);
	if (a == vm->net + 1)
		return schema_fail(ld, n, what,
		                   "%s is the network's gateway, which libvirt gives to the host; "
		                   "pick another",
		                   n->text);
	*out = a;
	return 0;
}

static int load_vm(struct schema *ld, struct stack *st, const struct doc_node *vmn)
{
	static const char *const keys[] = {"profile",    "cpus",    "memory", "disk",
	                                   "uri",        "network", "cidr",   "address",
	                                   "lb_address", "accel",   NULL};
	struct stack_vm *vm = &st->vm;
	const struct doc_node *n;
	const char *cidr_text = "192.168.61.0/24";
	uint32_t addr;

	vm->profile = xstrdup("alpine");
	vm->cpus = 2;
	vm->memory = 3ULL << 30;
	vm->disk = 20ULL << 30;
	vm->uri = xstrdup("qemu:///system");
	vm->network = xasprintf("ftboot-%s", st->name);
	vm->accel = STACK_ACCEL_AUTO;
	ipv4_parse_cidr(cidr_text, &vm->net, &vm->prefix);
	vm->address = vm->net + 2;
	vm->lb_address = vm->address;
	if (vmn == NULL)
		return 0;
	if (schema_map(ld, vmn, "vm") < 0 || schema_keys(ld, vmn, "vm", keys) < 0)
		return -1;

	if ((n = doc_map_get(vmn, "profile"))) {
		if (schema_label(ld, n, "vm.profile", 63) < 0)
			return -1;
		free(vm->profile);
		vm->profile = xstrdup(n->text);
	}
	if ((n = doc_map_get(vmn, "cpus")) && schema_int(ld, n, "vm.cpus", 1, 64, &vm->cpus) < 0)
		return -1;
	if ((n = doc_map_get(vmn, "memory")) &&
	    want_size(ld, n, "vm.memory", 512ULL << 20, "512M", 1ULL << 40, "1T", &vm->memory) < 0)
		return -1;
	if ((n = doc_map_get(vmn, "disk")) &&
	    want_size(ld, n, "vm.disk", 2ULL << 30, "2G", 64ULL << 40, "64T", &vm->disk) < 0)
		return -1;
	if ((n = doc_map_get(vmn, "uri"))) {
		if (schema_str(ld, n, "vm.uri") < 0)
			return -1;
		if (strstr(n->text, "://") == NULL) {
			char got[64];

			schema_describe(n, got, sizeof(got));
			return schema_fail(ld, n, "vm.uri",
			                   "expected a libvirt URI like qemu:///system, got %s",
			                   got);
		}
		free(vm->uri);
		vm->uri = xstrdup(n->text);
	}
	if ((n = doc_map_get(vmn, "network"))) {
		if (schema_label(ld, n, "vm.network", 63) < 0)
			return -1;
		if (strcmp(n->text, "default") == 0)
			return schema_fail(ld, n, "vm.network",
			                   "'default' is libvirt's own network, which ftboot never "
			                   "touches; pick another name");
		free(vm->network);
		vm->network = xstrdup(n->text);
	}
	if ((n = doc_map_get(vmn, "cidr"))) {
		uint32_t net;
		unsigned prefix;
		char fixed[IPV4_STRLEN];

		if (n->type != DOC_STR || ipv4_parse_cidr(n->text, &net, &prefix) < 0) {
			char got[64];

			schema_describe(n, got, sizeof(got));
			return schema_fail(ld, n, "vm.cidr",
			                   "expected an IPv4 network like 192.168.61.0/24, got %s",
			                   got);
		}
		if (prefix < 8 || prefix > 29)
			return schema_fail(ld, n, "vm.cidr",
			                   "prefix /%u is out of range; use /8 to /29 (e.g. /24)",
			                   prefix);
		if (net & ~ipv4_mask(prefix))
			return schema_fail(ld, n, "vm.cidr",
			                   "%s has host bits set; did you mean %s/%u?", n->text,
			                   ipv4_format(net & ipv4_mask(prefix), fixed), prefix);
		vm->net = net;
		vm->prefix = prefix;
		cidr_text = n->text;
		vm->address = vm->lb_address = net + 2;
	}
	if ((n = doc_map_get(vmn, "address"))) {
		if (want_host_addr(ld, n, "vm.address", vm, cidr_text, &addr) < 0)
			return -1;
		vm->address = vm->lb_address = addr;
	}
	if ((n = doc_map_get(vmn, "lb_address"))) {
		if (want_host_addr(ld, n, "vm.lb_address", vm, cidr_text, &addr) < 0)
			return -1;
		vm->lb_address = addr;
	}
	if ((n = doc_map_get(vmn, "accel"))) {
		const char *a = n->type == DOC_STR ? n->text : "";

		if (strcmp(a, "auto") == 0)
			vm->accel = STACK_ACCEL_AUTO;
		else if (strcmp(a, "kvm") == 0)
			vm->accel = STACK_ACCEL_KVM;
		else if (strcmp(a, "tcg") == 0)
			vm->accel = STACK_ACCEL_TCG;
		else {
			char got[64];

			schema_describe(n, got, sizeof(got));
			return schema_fail(ld, n, "vm.accel", "expected auto, kvm or tcg, got %s",
			                   got);
		}
	}
	return 0;
}

/* A DOCKER_HOST-style address: tcp://HOST:PORT or unix:///PATH. */
static int want_engine_host(struct schema *ld, const struct doc_node *n)
{
	const char *s = n->text, *host, *colon;
	char got[64];
	size_t i, hlen;
	long port;
	char *end;

	schema_describe(n, got, sizeof(got));
	if (strncmp(s, "unix://", 7) == 0) {
		if (s[7] != '/' || s[8] == '\0')
			return schema_fail(ld, n, "engine.host",
			                   "expected unix:///PATH (an absolute socket path, e.g. "
			                   "unix:///var/run/docker.sock), got %s",
			                   got);
		return 0;
	}
	if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)
		return schema_fail(
		    ld, n, "engine.host",
		    "ftboot reaches an engine only by tcp://HOST:PORT (always "
		    "mutual TLS) or unix:///PATH, as DOCKER_HOST spells them; got %s",
		    got);
	if (strncmp(s, "tcp://", 6) != 0)
		return schema_fail(ld, n, "engine.host",
		                   "expected tcp://HOST:PORT (mutual TLS) or unix:///PATH, got %s",
		                   got);
	host = s + 6;
	if (host[0] == '[') { /* an IPv6 address */
		const char *close = strchr(host, ']');

		colon = close && close[1] == ':' ? close + 1 : NULL;
		hlen = close ? (size_t)(close - host) - 1 : 0;
		for (i = 1; i <= hlen; i++)
			if (text_hex_digit(host[i]) < 0 && host[i] != ':' && host[i] != '.')
				hlen = 0;
	} else {
		colon = strchr(host, ':');
		hlen = colon ? (size_t)(colon - host) : strlen(host);
		for (i = 0; i < hlen; i++)
			if (!((host[i] >= 'a' && host[i] <= 'z') ||
			      (host[i] >= 'A' && host[i] <= 'Z') ||
			      (host[i] >= '0' && host[i] <= '9') || host[i] == '.' ||
			      host[i] == '-'))
				hlen = 0;
	}
	if (hlen == 0 || colon == NULL)
		return schema_fail(ld, n, "engine.host",
		                   "expected tcp://HOST:PORT, a host name or address and a port "
		                   "(e.g. tcp://192.168.61.10:2376), got %s",
		                   got);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno == ERANGE || port < 1 ||
	    port > 65535)
		return schema_fail(ld, n, "engine.host",
		                   "the port must be a number from 1 to 65535 (e.g. "
		                   "tcp://192.168.61.10:2376), got %s",
		                   got);
	return 0;
}

static int load_engine(struct schema *ld, struct stack *st, const struct doc_node *en)
{
	static const char *const keys[] = {"host", "cert_path", NULL};
	const struct doc_node *host, *certs;

	st->engine.mark = en->mark;
	if (en->type == DOC_NULL)
		return 0;
	if (schema_map(ld, en, "engine") < 0 || schema_keys(ld, en, "engine", keys) < 0)
		return -1;
	if ((host = doc_map_get(en, "host"))) {
		if (schema_str(ld, host, "engine.host") < 0 || want_engine_host(ld, host) < 0)
			return -1;
		st->engine.host = xstrdup(host->text);
	}
	if ((certs = doc_map_get(en, "cert_path"))) {
		if (schema_str(ld, certs, "engine.cert_path") < 0)
			return -1;
		if (host && strncmp(host->text, "unix://", 7) == 0)
			return schema_fail(ld, certs, "engine.cert_path",
			                   "certificates are for a tcp:// host (mutual TLS); a "
			                   "unix:// socket takes none, remove cert_path");
		st->engine.cert_path = path_join(st->dir, certs->text);
	}
	return 0;
}

/* A YAML boolean (true/false, yes/no, on/off as the reader resolves them). */
static int want_bool(struct schema *ld, const struct doc_node *n, const char *what, int *out)
{
	char got[64];

	if (n->type == DOC_BOOL) {
		*out = n->b;
		return 0;
	}
	schema_describe(n, got, sizeof(got));
	return schema_fail(ld, n, what, "expected true or false, got %s%s", got,
	                   n->type == DOC_STR &&
	                           (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0)
	                       ? " (remove the quotes)"
	                       : "");
}

/*
 * A path of the user's: "~" and "~/..." are $HOME's, a relative one is
 * the stack file's directory's. "~user" is not expanded (refused).
 */
static int want_user_path(struct schema *ld, const struct stack *st, const struct doc_node *n,
                          const char *what, char **out)
{
	const char *home;

	if (schema_str(ld, n, what) < 0)
		return -1;
	if (n->text[0] != '~') {
		*out = path_join(st->dir, n->text);
		return 0;
	}
	if (n->text[1] != '\0' && n->text[1] != '/')
		return schema_fail(ld, n, what,
		                   "'~USER' is not expanded, only '~/' (your home); write the "
		                   "path out in full");
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return schema_fail(ld, n, what,
		                   "'~/' is $HOME, which is %s; set HOME or write the path out in "
		                   "full",
		                   home == NULL ? "not set" : "not an absolute path");
	*out = path_join(home, n->text[1] ? n->text + 2 : ".");
	return 0;
}

static int load_cluster(struct schema *ld, struct stack *st, const struct doc_node *cn)
{
	static const char *const keys[] = {"kubeconfig", "context", "merge", "timeout", NULL};
	struct stack_cluster *c = &st->cluster;
	const struct doc_node *n, *ctx;

	c->mark = cn->mark;
	if (cn->type == DOC_NULL)
		return 0;
	if (schema_map(ld, cn, "cluster") < 0 || schema_keys(ld, cn, "cluster", keys) < 0)
		return -1;
	if ((n = doc_map_get(cn, "kubeconfig")) &&
	    want_user_path(ld, st, n, "cluster.kubeconfig", &c->kubeconfig) < 0)
		return -1;
	if ((ctx = doc_map_get(cn, "context"))) {
		if (schema_str(ld, ctx, "cluster.context") < 0)
			return -1;
		if (c->kubeconfig == NULL)
			return schema_fail(ld, ctx, "cluster.context",
			                   "a context is one of cluster.kubeconfig's; name that "
			                   "kubeconfig too, or remove context to use the VM's "
			                   "cluster");
		c->context = xstrdup(ctx->text);
	}
	if ((n = doc_map_get(cn, "merge"))) {
		if (want_bool(ld, n, "cluster.merge", &c->merge) < 0)
			return -1;
		if (c->kubeconfig)
			return schema_fail(ld, n, "cluster.merge",
			                   "only the VM's cluster is merged into your kubeconfig; "
			                   "with cluster.kubeconfig there is nothing to merge, "
			                   "remove merge");
	}
	if ((n = doc_map_get(cn, "timeout")) &&
	    schema_int(ld, n, "cluster.timeout", 1, 86400, &c->timeout) < 0)
		return -1;
	return 0;
}

/* An http(s) URL with a host, and nothing a shell or a log line would trip on. */
static int want_url(struct schema *ld, const struct doc_node *n, const char *what)
{
	const char *s = n->text, *host;
	char got[64];
	size_t i;

	schema_describe(n, got, sizeof(got));
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return schema_fail(ld, n, what,
		                   "expected an http:// or https:// URL (e.g. "
		                   "https://example.org/deploy.yaml), got %s",
		                   got);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return schema_fail(ld, n, what,
			                   "a URL holds no spaces or control characters "
			                   "(percent-encode them), got %s",
			                   got);
	if (host[0] == '\0' || host[0] == '/' || host[0] == ':' || host[0] == '?' || host[0] == '#')
		return schema_fail(ld, n, what, "the URL names no host, got %s", got);
	return 0;
}

static int load_manifests(struct schema *ld, struct stack *st, const struct doc_node *n)
{
	static const char *const keys[] = {"url", "sha256", NULL};
	size_t i, j;

	if (n->type == DOC_NULL)
		return 0;
	if (n->type != DOC_SEQ) {
		char got[64];

		schema_describe(n, got, sizeof(got));
		return schema_fail(ld, n, "manifests",
		                   "expected a list of {url: URL, sha256: HEX}, got %s", got);
	}
	st->manifests = xcalloc(n->n ? n->n : 1, sizeof(*st->manifests));
	for (i = 0; i < n->n; i++) {
		const struct doc_node *m = n->items[i], *url, *sum;
		struct stack_manifest *sm;
		char what[64], wurl[80], wsum[80];
		char *hex;

		snprintf(what, sizeof(what), "manifests[%zu]", i);
		snprintf(wurl, sizeof(wurl), "manifests[%zu].url", i);
		snprintf(wsum, sizeof(wsum), "manifests[%zu].sha256", i);
		if (schema_map(ld, m, what) < 0 || schema_keys(ld, m, what, keys) < 0)
			return -1;
		if ((url = doc_map_get(m, "url")) == NULL)
			return schema_fail(ld, m, what,
			                   "'url' is missing; give the manifest's URL and its "
			                   "sha256");
		if (schema_str(ld, url, wurl) < 0 || want_url(ld, url, wurl) < 0)
			return -1;
		if ((sum = doc_map_get(m, "sha256")) == NULL)
			return schema_fail(
			    ld, m, what,
			    "'sha256' is missing; pin the manifest by the SHA-256 of "
			    "its bytes (sha256sum FILE)");
		if (sum->type != DOC_STR || sum->len != 64 ||
		    strspn(sum->text, "0123456789abcdefABCDEF") != 64) {
			char got[64];

			schema_describe(sum, got, sizeof(got));
			return schema_fail(ld, sum, wsum,
			                   "expected 64 hex digits (sha256sum FILE), got %s", got);
		}
		for (j = 0; j < i; j++)
			if (strcmp(st->manifests[j].url, url->text) == 0)
				return schema_fail(ld, url, wurl, "'%s' is listed twice (line %u)",
				                   url->text, st->manifests[j].mark.line);
		sm = &st->manifests[st->nmanifests++];
		sm->url = xstrdup(url->text);
		sm->sha256 = hex = xstrdup(sum->text);
		for (; *hex; hex++)
			if (*hex >= 'A' && *hex <= 'F')
				*hex = (char)(*hex - 'A' + 'a');
		sm->mark = m->mark;
	}
	return 0;
}

static int load_dashboard(struct schema *ld, struct stack *st, const struct doc_node *dn)
{
	static const char *const keys[] = {"namespace", "service", "account", "token_ttl", NULL};
	static const char *const names[] = {"namespace", "service", "account"};
	struct stack_dashboard *d = &st->dashboard;
	char **fields[] = {&d->namespace, &d->service, &d->account};
	const struct doc_node *n;
	size_t i;

	if (dn->type == DOC_NULL)
		return 0;
	if (schema_map(ld, dn, "dashboard") < 0 || schema_keys(ld, dn, "dashboard", keys) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		char what[64];

		if ((n = doc_map_get(dn, names[i])) == NULL)
			continue;
		snprintf(what, sizeof(what), "dashboard.%s", names[i]);
		if (schema_label(ld, n, what, 63) < 0)
			return -1;
		free(*fields[i]);
		*fields[i] = xstrdup(n->text);
	}
	if ((n = doc_map_get(dn, "token_ttl")) &&
	    schema_int(ld, n, "dashboard.token_ttl", 600, 86400, &d->token_ttl) < 0)
		return -1;
	return 0;
}

static int load_port(struct schema *ld, struct stack_service *svc, const struct doc_pair *p)
{
	struct stack_port *port;
	char what[160], key[64], got[64];
	const struct doc_node *v = p->value;
	long first, last;
	int is_range = v->type == DOC_STR && strchr(v->text, '-') != NULL;

	snprintf(what, sizeof(what), "services.%s.ports.%s", svc->name,
	         text_quote(p->key->text, p->key->len, key, sizeof(key)));
	schema_describe(v, got, sizeof(got));
	if (!is_port_name(p->key->text, is_range ? 9 : 15))
		return schema_fail(
		    ld, p->key, what,
		    "port names are lowercase letters, digits and '-', with at least one "
		    "letter, at most %d characters%s",
		    is_range ? 9 : 15,
		    is_range ? " for a range (each port is named NAME-PORT)" : "");
	if (v->type == DOC_INT) {
		first = last = (long)v->i;
		if (v->i < 1 || v->i > 65535)
			return schema_fail(ld, v, what, "port %lld is out of range (1 to 65535)",
			                   v->i);
	} else if (is_range) {
		char *end;

		errno = 0;
		first = strtol(v->text, &end, 10);
		if (end == v->text || *end != '-' || end[1] < '0' || end[1] > '9')
			goto bad;
		last = strtol(end + 1, &end, 10);
		if (*end != '\0')
			goto bad;
		if (errno == ERANGE || first < 1 || last > 65535)
			return schema_fail(ld, v, what, "range %s is out of range (1 to 65535)",
			                   got);
		if (first >= last)
			return schema_fail(
			    ld, v, what,
			    "range %ld-%ld must go up, within 1 to 65535 (e.g. 30020-30024)", first,
			    last);
		if (last - first + 1 > RANGE_MAX)
			return schema_fail(
			    ld, v, what,
			    "range %ld-%ld has %ld ports; at most %d (each is listed in the "
			    "Service)",
			    first, last, last - first + 1, RANGE_MAX);
	} else {
		goto bad;
	}
	svc->ports = xreallocarray(svc->ports, svc->nports + 1, sizeof(*svc->ports));
	port = &svc->ports[svc->nports++];
	port->name = xstrdup(p->key->text);
	port->port = (int)first;
	port->count = (int)(last - first + 1);
	port->mark = v->mark;
	return 0;
bad:
	return schema_fail(ld, v, what,
	                   "expected a port (1 to 65535) or a range like 30020-30024, got %s", got);
}

static int load_service(struct schema *ld, struct stack *st, const struct doc_pair *p)
{
	static const char *const keys[] = {"type", "build", "ports", NULL};
	struct stack_service *svc;
	const struct doc_node *n, *map = p->value;
	char what[128];
	size_t i;

	if (schema_label(ld, p->key, "services", 63) < 0)
		return -1;
	snprintf(what, sizeof(what), "services.%s", p->key->text);
	if (map->type == DOC_NULL)
		return schema_fail(
		    ld, map, what,
		    "is empty; give it its ports, e.g. ports: {http: 80}, or type: None");
	if (schema_map(ld, map, what) < 0 || schema_keys(ld, map, what, keys) < 0)
		return -1;

	st->services = xreallocarray(st->services, st->nservices + 1, sizeof(*st->services));
	svc = &st->services[st->nservices++];
	memset(svc, 0, sizeof(*svc));
	svc->name = xstrdup(p->key->text);
	svc->mark = p->key->mark;

	snprintf(what, sizeof(what), "services.%s.build", svc->name);
	if ((n = doc_map_get(map, "build"))) {
		if (schema_str(ld, n, what) < 0)
			return -1;
		svc->build = path_join(st->dir, n->text);
	} else {
		svc->build = path_join(st->dir, svc->name);
	}

	snprintf(what, sizeof(what), "services.%s.ports", svc->name);
	if ((n = doc_map_get(map, "ports")) && n->type != DOC_NULL) {
		if (schema_map(ld, n, what) < 0)
			return -1;
		for (i = 0; i < n->n; i++)
			if (load_port(ld, svc, &n->pairs[i]) < 0)
				return -1;
	}

	svc->type = svc->nports ? STACK_SVC_LOADBALANCER : STACK_SVC_NONE;
	snprintf(what, sizeof(what), "services.%s.type", svc->name);
	if ((n = doc_map_get(map, "type"))) {
		const char *t = n->type == DOC_STR ? n->text : "";

		if (strcmp(t, "LoadBalancer") == 0)
			svc->type = STACK_SVC_LOADBALANCER;
		else if (strcmp(t, "ClusterIP") == 0)
			svc->type = STACK_SVC_CLUSTERIP;
		else if (strcmp(t, "None") == 0)
			svc->type = STACK_SVC_NONE;
		else if (strcmp(t, "NodePort") == 0)
			return schema_fail(
			    ld, n, what,
			    "NodePort is not allowed (R15: the LoadBalancer is the only "
			    "entry point); use LoadBalancer or ClusterIP");
		else {
			char got[64];

			schema_describe(n, got, sizeof(got));
			return schema_fail(ld, n, what,
			                   "expected LoadBalancer, ClusterIP or None, got %s", got);
		}
		if (svc->type != STACK_SVC_NONE && svc->nports == 0)
			return schema_fail(ld, n, what,
			                   "a %s service needs ports, e.g. ports: {http: 80}", t);
	}
	return 0;
}

/* Ports must be unique in a service, and on the LB address across services. */
static int check_ports(struct schema *ld, const struct stack *st)
{
	size_t a, b, i, j;

	for (a = 0; a < st->nservices; a++) {
		const struct stack_service *sa = &st->services[a];

		for (i = 0; i < sa->nports; i++) {
			const struct stack_port *pa = &sa->ports[i];

			for (b = 0; b <= a; b++) {
				const struct stack_service *sb = &st->services[b];

				if (b != a && (sa->type != STACK_SVC_LOADBALANCER ||
				               sb->type != STACK_SVC_LOADBALANCER))
					continue;
				for (j = 0; j < (b == a ? i : sb->nports); j++) {
					const struct stack_port *pb = &sb->ports[j];
					char what[160];
					struct doc_node at = {.mark = pa->mark};

					if (pa->port + pa->count <= pb->port ||
					    pb->port + pb->count <= pa->port)
						continue;
					snprintf(what, sizeof(what), "services.%s.ports.%s",
					         sa->name, pa->name);
					if (b == a)
						return schema_fail(
						    ld, &at, what,
						    "overlaps port '%s' of the same service "
						    "(line %u)",
						    pb->name, pb->mark.line);
					return schema_fail(
					    ld, &at, what,
					    "port %d is already taken on the LoadBalancer "
					    "address by services.%s.ports.%s (line %u); "
					    "each service needs its own port",
					    pb->port > pa->port ? pb->port : pa->port, sb->name,
					    pb->name, pb->mark.line);
				}
			}
		}
	}
	return 0;
}

static int load_secrets(struct schema *ld, struct stack *st, const struct doc_node *n)
{
	size_t i, j;

	if (n->type != DOC_SEQ) {
		char got[64];

		schema_describe(n, got, sizeof(got));
		return schema_fail(ld, n, "secrets",
		                   "expected a list of names, e.g. [mysql_root_password], got %s",
		                   got);
	}
	st->secrets = xcalloc(n->n ? n->n : 1, sizeof(*st->secrets));
	for (i = 0; i < n->n; i++) {
		const struct doc_node *s = n->items[i];
		char got[64];

		schema_describe(s, got, sizeof(got));
		if (s->type != DOC_STR || !is_ident(s->text))
			return schema_fail(
			    ld, s, "secrets",
			    "secret names are lowercase letters, digits and '_', starting "
			    "with a letter (used as ${secret.NAME}), got %s",
			    got);
		for (j = 0; j < i; j++)
			if (strcmp(st->secrets[j], s->text) == 0)
				return schema_fail(ld, s, "secrets", "'%s' is listed twice",
				                   s->text);
		st->secrets[st->nsecrets++] = xstrdup(s->text);
	}
	return 0;
}

static int load_values(struct schema *ld, struct stack *st, const struct doc_node *n)
{
	size_t i;

	if (schema_map(ld, n, "values") < 0)
		return -1;
	st->values = xcalloc(n->n ? n->n : 1, sizeof(*st->values));
	for (i = 0; i < n->n; i++) {
		const struct doc_pair *p = &n->pairs[i];
		char what[128], key[64];

		text_quote(p->key->text, p->key->len, key, sizeof(key));
		snprintf(what, sizeof(what), "values.%s", key);
		if (!is_ident(p->key->text))
			return schema_fail(
			    ld, p->key, "values",
			    "value names are lowercase letters, digits and '_', starting "
			    "with a letter (used as ${values.NAME}), got '%s'",
			    key);
		if (p->value->type == DOC_MAP || p->value->type == DOC_SEQ ||
		    p->value->type == DOC_NULL)
			return schema_fail(
			    ld, p->value, what, "expected a string, number or boolean, got %s",
			    p->value->type == DOC_NULL ? "nothing" : doc_type_name(p->value->type));
		st->values[st->nvalues].name = xstrdup(p->key->text);
		st->values[st->nvalues].value = doc_clone(p->value);
		st->nvalues++;
	}
	return 0;
}

/*
 * No key or value may hold a NUL byte: the checks and everything after
 * them see C strings, where "nginx\0x" would be a second "nginx" that
 * YAML (and so the duplicate-key check) holds to be another key.
 */
static int check_nul(struct schema *ld, const struct doc_node *n)
{
	size_t i;

	switch (n->type) {
	case DOC_SEQ:
		for (i = 0; i < n->n; i++)
			if (check_nul(ld, n->items[i]) < 0)
				return -1;
		return 0;
	case DOC_MAP:
		for (i = 0; i < n->n; i++)
			if (check_nul(ld, n->pairs[i].key) < 0 ||
			    check_nul(ld, n->pairs[i].value) < 0)
				return -1;
		return 0;
	default:
		break;
	}
	if (n->text && memchr(n->text, '\0', n->len)) {
		char got[64];

		schema_describe(n, got, sizeof(got));
		return schema_fail(ld, n, NULL,
		                   "%s holds a NUL byte (shown as '?'); remove it, no key or "
		                   "value of the stack file may hold one",
		                   got);
	}
	return 0;
}

static int load_root(struct schema *ld, struct stack *st, const struct doc_node *root)
{
	static const char *const keys[] = {"name",      "vm",        "templates", "secrets",
	                                   "values",    "services",  "engine",    "cluster",
	                                   "manifests", "dashboard", NULL};
	const struct doc_node *n;
	size_t i;

	if (root->type == DOC_NULL)
		return schema_fail(
		    ld, root, NULL,
		    "the stack file is empty; it needs at least a name and services");
	if (root->type != DOC_MAP)
		return schema_map(ld, root, "the stack");
	if (check_nul(ld, root) < 0)
		return -1;
	if (schema_keys(ld, root, "the stack", keys) < 0)
		return -1;

	n = doc_map_get(root, "name");
	if (n == NULL)
		return schema_fail(ld, root, NULL,
		                   "'name' is missing; name the stack, e.g. name: ft");
	if (schema_label(ld, n, "name", NAME_MAX_LEN) < 0)
		return -1;
	st->name = xstrdup(n->text);

	if (load_vm(ld, st, doc_map_get(root, "vm")) < 0)
		return -1;

	if ((n = doc_map_get(root, "templates"))) {
		if (schema_str(ld, n, "templates") < 0)
			return -1;
		st->templates = path_join(st->dir, n->text);
	} else {
		st->templates = path_join(st->dir, "../templates");
	}
	if ((n = doc_map_get(root, "secrets")) && load_secrets(ld, st, n) < 0)
		return -1;
	if ((n = doc_map_get(root, "values")) && load_values(ld, st, n) < 0)
		return -1;
	if ((n = doc_map_get(root, "engine")) && load_engine(ld, st, n) < 0)
		return -1;
	st->cluster.merge = 1;
	st->cluster.timeout = 600;
	if ((n = doc_map_get(root, "cluster")) && load_cluster(ld, st, n) < 0)
		return -1;
	if ((n = doc_map_get(root, "manifests")) && load_manifests(ld, st, n) < 0)
		return -1;
	st->dashboard.namespace = xstrdup("kubernetes-dashboard");
	st->dashboard.service = xstrdup("kubernetes-dashboard");
	st->dashboard.account = xstrdup("ftboot-admin");
	st->dashboard.token_ttl = 3600;
	if ((n = doc_map_get(root, "dashboard")) && load_dashboard(ld, st, n) < 0)
		return -1;

	n = doc_map_get(root, "services");
	if (n == NULL || n->type == DOC_NULL || (n->type == DOC_MAP && n->n == 0))
		return schema_fail(
		    ld, n ? n : root, NULL,
		    "'services' is missing or empty; list the stack's services, e.g. "
		    "services: {nginx: {ports: {http: 80}}}");
	if (schema_map(ld, n, "services") < 0)
		return -1;
	for (i = 0; i < n->n; i++)
		if (load_service(ld, st, &n->pairs[i]) < 0)
			return -1;
	return check_ports(ld, st);
}

int stack_parse(const char *path, const char *text, size_t len, struct stack **out, struct err *err)
{
	struct schema ld = {path, err};
	struct doc_list docs = {0};
	struct stack *st = xcalloc(1, sizeof(*st));
	int rc = -1;

	st->path = xstrdup(path);
	st->dir = path_dir(path);
	if (doc_parse_yaml(path, text, len, &docs, err) < 0)
		goto out;
	if (docs.n == 0) {
		schema_fail(&ld, NULL, NULL,
		            "the stack file is empty; it needs at least a name and services");
		goto out;
	}
	if (docs.n > 1) {
		schema_fail(&ld, docs.docs[1], NULL,
		            "a second document ('---'); the stack file holds one document");
		goto out;
	}
	if (load_root(&ld, st, docs.docs[0]) < 0)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
out:
	doc_list_release(&docs);
	stack_free(st);
	return rc;
}

int stack_load(const char *path, struct stack **out, struct err *err)
{
	struct buf text = BUF_INIT(STACK_MAX_BYTES);
	int rc;

	if (fs_read(path, STACK_MAX_BYTES, &text, err) < 0) {
		buf_release(&text);
		return -1;
	}
	rc = stack_parse(path, buf_cstr(&text), text.len, out, err);
	buf_release(&text);
	return rc;
}

int stack_find(const char *start, char **path, struct err *err)
{
	char *dir = path_clean(start);
	char *up = xstrdup(""); /* from start to dir: "", "..", "../.." */
	int rc = -1;

	for (;;) {
		char *cand = path_join(dir, "srcs/stack.yaml");
		char *next;
		int found = fs_exists(cand);

		free(cand);
		if (found) {
			*path = path_join(up, "srcs/stack.yaml");
			rc = 0;
			break;
		}
		if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0) {
			err_set(err, ERR_FAIL,
			        "no stack found: looked for srcs/stack.yaml in '%s' and its "
			        "parents; run ftboot inside a project, or name the file with -f "
			        "FILE",
			        start);
			break;
		}
		next = path_dir(dir);
		free(dir);
		dir = next;
		next = path_join(up, "..");
		free(up);
		up = next;
	}
	free(dir);
	free(up);
	return rc;
}

const struct stack_service *stack_service(const struct stack *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nservices; i++)
		if (strcmp(st->services[i].name, name) == 0)
			return &st->services[i];
	return NULL;
}

void stack_free(struct stack *st)
{
	size_t i, j;

	if (st == NULL)
		return;
	free(st->path);
	free(st->dir);
	free(st->name);
	free(st->vm.profile);
	free(st->vm.uri);
	free(st->vm.network);
	free(st->templates);
	free(st->engine.host);
	free(st->engine.cert_path);
	free(st->cluster.kubeconfig);
	free(st->cluster.context);
	for (i = 0; i < st->nmanifests; i++) {
		free(st->manifests[i].url);
		free(st->manifests[i].sha256);
	}
	free(st->manifests);
	free(st->dashboard.namespace);
	free(st->dashboard.service);
	free(st->dashboard.account);
	for (i = 0; i < st->nsecrets; i++)
		free(st->secrets[i]);
	free(st->secrets);
	for (i = 0; i < st->nvalues; i++) {
		free(st->values[i].name);
		doc_free(st->values[i].value);
	}
	free(st->values);
	for (i = 0; i < st->nservices; i++) {
		for (j = 0; j < st->services[i].nports; j++)
			free(st->services[i].ports[j].name);
		free(st->services[i].ports);
		free(st->services[i].name);
		free(st->services[i].build);
	}
	free(st->services);
	free(st);
}
