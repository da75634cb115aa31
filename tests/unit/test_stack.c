/* Unit tests: loading and validating the stack definition. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "stack.h"
#include "tap.h"
#include "xmem.h"

static struct stack *parse(const char *text, struct err *err)
{
	struct stack *st = NULL;

	err_clear(err);
	if (stack_parse("srcs/stack.yaml", text, strlen(text), &st, err) < 0)
		return NULL;
	return st;
}

/* The error a stack text gives, or "" when it loads. */
static const char *error_of(const char *text)
{
	static struct err err;
	struct stack *st = parse(text, &err);

	stack_free(st);
	return st ? "" : err.msg;
}

#define BASE_NAME     "name: ft\nservices:\n"
#define BASE_SERVICES "services:\n  nginx:\n    ports: {http: 80}\n"
#define BASE          "name: ft\nservices:\n  nginx:\n    ports: {http: 80}\n"

struct refusal {
	const char *yaml, *want;
};

/* Each of bad, appended to BASE, is refused with its message. */
static void refuse_each(const struct refusal *bad, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *text = xasprintf("%s%s\n", BASE, bad[i].yaml);

		is_str(error_of(text), bad[i].want, "refused: %s", bad[i].yaml);
		free(text);
	}
}

static void test_defaults(void)
{
	struct err err;
	struct stack *st = parse(BASE, &err);

	ok(st != NULL, "minimal stack loads: %s", st ? "" : err.msg);
	if (st == NULL)
		return;
	is_str(st->name, "ft", "name");
	is_str(st->vm.profile, "alpine", "default profile");
	is_int(st->vm.cpus, 2, "default cpus");
	ok(st->vm.memory == 3ULL << 30, "default memory 3G");
	ok(st->vm.disk == 20ULL << 30, "default disk 20G");
	is_str(st->vm.uri, "qemu:///system", "default uri");
	is_str(st->vm.network, "ftboot-ft", "default network is named after the stack");
	ok(st->vm.address == 0xc0a83d02 && st->vm.lb_address == st->vm.address,
	   "default address .2 of 192.168.61.0/24, LB on it");
	is_str(st->templates, "templates", "default templates dir, cleaned");
	is_int(st->nservices, 1, "one service");
	is_str(st->services[0].build, "srcs/nginx", "default build context");
	is_int(st->services[0].type, STACK_SVC_LOADBALANCER, "a service with ports is a LB");
	is_str(st->services[0].ports[0].name, "http", "port name");
	is_int(st->services[0].ports[0].port, 80, "port number");
	stack_free(st);
}

static void test_full(void)
{
	struct err err;
	struct stack *st =
	    parse("name: ft2\n"
	          "vm:\n  cpus: 4\n  memory: 2Gi\n  disk: 1TiB\n"
	          "  cidr: 10.20.0.0/16\n  address: 10.20.3.4\n"
	          "  lb_address: 10.20.3.5\n  accel: tcg\n  network: n1\n"
	          "templates: ../t\n"
	          "secrets: [a_pass, b]\n"
	          "values: {count: 3, user: bob, on: yes}\n"
	          "services:\n"
	          "  ftps: {build: ../ctx/ftps, ports: {ftp: 21, pasv: 30020-30024}}\n"
	          "  mysql: {type: ClusterIP, ports: {mysql: 3306}}\n"
	          "  other: {type: ClusterIP, ports: {mysql: 3306}}\n"
	          "  telegraf: {}\n",
	          &err);

	ok(st != NULL, "full stack loads: %s", st ? "" : err.msg);
	if (st == NULL)
		return;
	is_int(st->vm.cpus, 4, "cpus");
	ok(st->vm.memory == 2ULL << 30, "memory 2Gi");
	ok(st->vm.disk == 1ULL << 40, "disk 1TiB");
	ok(st->vm.address == 0x0a140304 && st->vm.lb_address == 0x0a140305, "addresses");
	is_int(st->vm.accel, STACK_ACCEL_TCG, "accel");
	is_str(st->templates, "t", "templates joined and cleaned");
	is_int(st->nsecrets, 2, "secrets");
	is_int(st->nvalues, 3, "values");
	is_str(st->services[0].build, "ctx/ftps", "explicit build context");
	is_int(st->services[0].ports[1].count, 5, "range count");
	is_int(st->services[0].ports[1].port, 30020, "range start");
	is_int(st->services[1].type, STACK_SVC_CLUSTERIP, "ClusterIP");
	is_int(st->services[3].type, STACK_SVC_NONE, "no ports: no Service");
	ok(stack_service(st, "mysql") == &st->services[1], "stack_service finds by name");
	ok(stack_service(st, "nope") == NULL, "stack_service: absent");
	stack_free(st);
}

static void test_errors(void)
{
	is_str(error_of(""),
	       "srcs/stack.yaml:1:1: the stack file is empty; it needs at least a "
	       "name and services",
	       "empty file");
	is_str(error_of("name: ft\nvm:\n  cpu: 2\n"
	                "services: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:3:3: unknown key 'cpu' in vm; did you mean 'cpus'?",
	       "unknown key with suggestion");
	is_str(error_of("name: ft\nvm:\n  cpus: \"2\"\nservices: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:3:9: vm.cpus: expected an integer from 1 to 64, got the string "
	       "'2' (remove the quotes)",
	       "quoted integer");
	is_str(error_of("name: ft\nvm: {cidr: 10.0.0.5/24}\nservices: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:2:12: vm.cidr: 10.0.0.5/24 has host bits set; did you mean "
	       "10.0.0.0/24?",
	       "cidr host bits");
	is_str(error_of("name: ft\nvm: {address: 192.168.62.2}\nservices: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:2:15: vm.address: 192.168.62.2 is outside vm.cidr "
	       "192.168.61.0/24; pick an address inside it",
	       "address outside default cidr");
	is_str(error_of("name: ft\nservices:\n  a: {ports: {h: 80}}\n  b: {ports: {w: 80}}\n"),
	       "srcs/stack.yaml:4:18: services.b.ports.w: port 80 is already taken on the "
	       "LoadBalancer address by services.a.ports.h (line 3); each service needs its own "
	       "port",
	       "LB port clash");
	is_str(error_of("name: ft\nservices:\n  a: {type: NodePort, ports: {h: 80}}\n"),
	       "srcs/stack.yaml:3:13: services.a.type: NodePort is not allowed (R15: the "
	       "LoadBalancer is the only entry point); use LoadBalancer or ClusterIP",
	       "NodePort refused");
	is_str(error_of("name: Ft\nservices: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:1:7: name: expected a DNS-1123 label (lowercase letters, digits "
	       "and '-', starting with a letter, at most 40 characters), got 'Ft'",
	       "bad name");
	is_str(error_of("name: ft\nvm: {memory: 3}\nservices: {a: {ports: {h: 1}}}\n"),
	       "srcs/stack.yaml:2:14: vm.memory: expected a size like 20G or 512M (units K, M, "
	       "G, T), got 3",
	       "size without unit");
	is_str(error_of("name: ft\n"),
	       "srcs/stack.yaml:1:1: 'services' is missing or empty; list the stack's services, "
	       "e.g. services: {nginx: {ports: {http: 80}}}",
	       "no services");
	is_str(error_of("name: ft\nservices: {a: {ports: {h: 1}}}\n---\nx: 1\n"),
	       "srcs/stack.yaml:4:1: a second document ('---'); the stack file holds one document",
	       "two documents");
	ok(strstr(error_of("name: ft\nservices: {a: {ports: {h: 1}}\n"), "srcs/stack.yaml:") ==
	       error_of("name: ft\nservices: {a: {ports: {h: 1}}\n"),
	   "a YAML syntax error names the file");
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		unsigned long long v;
	} good[] = {{"20G", 20ULL << 30},
	            {"512M", 512ULL << 20},
	            {"2Gi", 2ULL << 30},
	            {"1TiB", 1ULL << 40},
	            {"64K", 64ULL << 10}};
	static const char *const bad[] = {
	    "", "G", "20", "20g", "20GB", "-1G", "1.5G", "20 G", "99999999999999999999GB"};
	unsigned long long v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(stack_parse_size(good[i].s, &v) == 0 && v == good[i].v, "size %s", good[i].s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(stack_parse_size(bad[i], &v) < 0, "size '%s' refused", bad[i]);
	ok(stack_parse_size("99999999999999999999G", &v) == 0 && v == ~0ULL,
	   "a size too large for 64 bits is a size, out of any range");
	ok(stack_parse_size("17179869184G", &v) == 0 && v == ~0ULL, "2^64 bytes: out of any range");
	is_str(error_of("name: ft\nvm: {memory: 99999999999999999999G}\n" BASE_SERVICES),
	       "srcs/stack.yaml:2:14: vm.memory: size '99999999999999999999G' is out of range "
	       "(512M to 1T)",
	       "a huge memory size is out of range, not a syntax error");
	is_str(error_of("name: ft\nvm: {disk: 17179869184G}\n" BASE_SERVICES),
	       "srcs/stack.yaml:2:12: vm.disk: size '17179869184G' is out of range (2G to 64T)",
	       "a disk of 2^64 bytes is out of range");
	is_str(error_of("name: ft\nvm: {cpus: 99999999999999999999}\n" BASE_SERVICES),
	       "srcs/stack.yaml:2:12: integer 99999999999999999999 is out of range "
	       "(-9223372036854775808 to 9223372036854775807)",
	       "cpus beyond 64 bits: out of range (of the document's integers)");
	is_str(error_of(BASE_NAME "  nginx: {ports: {http: 1-99999999999999999999}}\n"),
	       "srcs/stack.yaml:3:25: services.nginx.ports.http: range '1-99999999999999999999' is "
	       "out of range (1 to 65535)",
	       "a port range beyond long: out of range, not a syntax error");
	is_str(error_of(BASE_NAME "  nginx: {ports: {http: 30000-99999}}\n"),
	       "srcs/stack.yaml:3:25: services.nginx.ports.http: range '30000-99999' is out of "
	       "range (1 to 65535)",
	       "a port range past 65535: out of range");
}

/* No byte of the user's reaches a message raw (see text_quote). */
static void test_user_bytes(void)
{
	char euro[200] = "name: ft\nservices:\n  ", want[200] = "got '";
	const char *msg;
	size_t i, n;

	msg = error_of("name: ft\nvm: {\"cpus\\e[2J\\nx\": 1}\n" BASE_SERVICES);
	ok(strstr(msg, "unknown key 'cpus?[2J?x' in vm") != NULL && strpbrk(msg, "\x1b\n") == NULL,
	   "an unknown key's ESC and newline are shown as '?': %s", msg);
	msg = error_of("name: ft\nvm: {uri: \"\\e]0;pwned\\a\"}\n" BASE_SERVICES);
	is_str(msg,
	       "srcs/stack.yaml:2:11: vm.uri: expected a libvirt URI like qemu:///system, got "
	       "'?]0;pwned?'",
	       "a bad URI is quoted");
	msg = error_of("name: ft\nsecrets: [\"a\\nb\"]\n" BASE_SERVICES);
	ok(strstr(msg, "got 'a?b'") != NULL, "a bad secret name is quoted: %s", msg);
	msg = error_of("name: ft\nvalues: {\"a\\e\": 1}\n" BASE_SERVICES);
	ok(strstr(msg, "got 'a?'") != NULL, "a bad value name is quoted: %s", msg);
	msg = error_of(BASE_NAME "  nginx:\n    ports: {\"h\\ettp\": 80}\n");
	ok(strstr(msg, "services.nginx.ports.h?ttp: port names") != NULL,
	   "a bad port name is quoted: %s", msg);
	n = strlen(euro);
	for (i = 0; i < 40; i++, n += 3)
		memcpy(euro + n, "\xe2\x82\xac", 3); /* the euro sign */
	snprintf(euro + n, sizeof(euro) - n, ": {type: None}\n");
	for (i = 0, n = strlen(want); i < 19; i++, n += 3)
		memcpy(want + n, "\xe2\x82\xac", 3);
	snprintf(want + n, sizeof(want) - n, "...'");
	msg = error_of(euro);
	ok(strstr(msg, want) != NULL, "a long bad service name is cut at a whole character: %s",
	   msg);
}

/* The error of text[0..len), which may hold NUL bytes, or "". */
static const char *error_of_n(const char *text, size_t len)
{
	static struct err err;
	struct stack *st = NULL;

	err_clear(&err);
	if (stack_parse("srcs/stack.yaml", text, len, &st, &err) < 0)
		return err.msg;
	stack_free(st);
	return "";
}

static void test_nul(void)
{
	static const char dup[] = "name: ft\nservices:\n  nginx: {ports: {http: 80}}\n"
	                          "  \"nginx\\0\": {ports: {http: 81}}\n";
	static const char quoted[] = "name: ft\nservices:\n  nginx: {ports: {http: 80}}\n"
	                             "  \"ngin\\x78\": {ports: {http: 81}}\n";
	static const char port[] = "name: ft\nservices:\n  nginx: {ports: {http: 80, "
	                           "\"http\\0\": 81}}\n";
	static const char addr[] = "name: ft\nvm: {address: \"192.168.61.5\\0x\"}\n" BASE_SERVICES;

	is_str(error_of_n(dup, sizeof(dup) - 1),
	       "srcs/stack.yaml:4:3: 'nginx?' holds a NUL byte (shown as '?'); remove it, no key "
	       "or value of the stack file may hold one",
	       "a service name with a NUL is not a second nginx");
	is_str(error_of_n(quoted, sizeof(quoted) - 1),
	       "srcs/stack.yaml:4:3: duplicate key 'nginx' (first at line 3, column 3)",
	       "another spelling of the same service name is a duplicate key");
	is_str(error_of_n(port, sizeof(port) - 1),
	       "srcs/stack.yaml:3:29: 'http?' holds a NUL byte (shown as '?'); remove it, no key "
	       "or value of the stack file may hold one",
	       "a port name with a NUL is not a second http");
	is_str(error_of_n(addr, sizeof(addr) - 1),
	       "srcs/stack.yaml:2:15: '192.168.61.5?x' holds a NUL byte (shown as '?'); remove "
	       "it, no key or value of the stack file may hold one",
	       "an address with a NUL is not cut at the NUL");
}

static void test_find(void)
{
	char tmpl[] = "/tmp/ftboot-stack.XXXXXX";
	char *dir = mkdtemp(tmpl), *deep, *file, *found = NULL;
	struct err err;

	if (dir == NULL) {
		skip("cannot make a temporary directory");
		return;
	}
	deep = xasprintf("%s/a/b", dir);
	file = xasprintf("%s/srcs/stack.yaml", dir);
	fs_mkdirs(deep, 0700, &err);
	fs_mkdirs(file, 0700, &err); /* a directory is enough to be found */
	ok(stack_find(deep, &found, &err) == 0, "found from two levels down");
	is_str(found, "../../srcs/stack.yaml", "relative to the start");
	free(found);
	found = NULL;
	ok(stack_find(dir, &found, &err) == 0, "found at the top");
	is_str(found, "srcs/stack.yaml", "plain relative path");
	free(found);
	fs_remove_tree(dir, &err);
	ok(stack_find("/proc/self", &found, &err) < 0 &&
	       strstr(err.msg, "no stack found: looked for srcs/stack.yaml in") != NULL,
	   "not found: says where it looked");
	free(deep);
	free(file);
}

static void test_project_stack(void)
{
	struct stack *st = NULL;
	struct err err;
	const char *top = getenv("FTBOOT_TOP");
	char *path = xasprintf("%s/srcs/stack.yaml", top ? top : ".");

	ok(stack_load(path, &st, &err) == 0, "the project's srcs/stack.yaml loads: %s",
	   st ? "" : err.msg);
	if (st) {
		static const char *const names[] = {"nginx", "wordpress", "mysql",    "phpmyadmin",
		                                    "ftps",  "grafana",   "influxdb", "telegraf"};
		size_t i;

		for (i = 0; i < 8; i++)
			ok(stack_service(st, names[i]) != NULL, "R2: service %s declared",
			   names[i]);
		is_int(stack_service(st, "mysql")->type, STACK_SVC_CLUSTERIP,
		       "R15: mysql ClusterIP");
		is_int(stack_service(st, "influxdb")->type, STACK_SVC_CLUSTERIP,
		       "R15: influxdb ClusterIP");
		is_int(stack_service(st, "grafana")->ports[0].port, 3000, "R5: grafana on 3000");
	}
	stack_free(st);
	free(path);
}

static void test_engine(void)
{
	static const struct {
		const char *yaml, *host, *certs;
	} good[] = {
	    {"", NULL, NULL},
	    {"engine:", NULL, NULL},
	    {"engine: {}", NULL, NULL},
	    {"engine: {host: tcp://192.168.61.10:2376}", "tcp://192.168.61.10:2376", NULL},
	    {"engine: {host: 'tcp://[::1]:1', cert_path: ../certs/}", "tcp://[::1]:1", "certs"},
	    {"engine: {host: tcp://docker-host.example:65535, cert_path: /etc/d}",
	     "tcp://docker-host.example:65535", "/etc/d"},
	    {"engine: {host: unix:///run/docker.sock}", "unix:///run/docker.sock", NULL},
	    {"engine: {cert_path: pki}", NULL, "srcs/pki"},
	};
	static const struct refusal bad[] = {
	    {"engine: tcp://a:1",
	     "srcs/stack.yaml:5:9: engine: expected a mapping (key: value lines), got 'tcp://a:1'"},
	    {"engine: {hots: tcp://a:1}",
	     "srcs/stack.yaml:5:10: unknown key 'hots' in engine; did you mean 'host'?"},
	    {"engine: {host: http://a:2375}",
	     "srcs/stack.yaml:5:16: engine.host: ftboot reaches an engine only by "
	     "tcp://HOST:PORT (always mutual TLS) or unix:///PATH, as DOCKER_HOST spells them; "
	     "got 'http://a:2375'"},
	    {"engine: {host: https://a:2376}",
	     "srcs/stack.yaml:5:16: engine.host: ftboot reaches an engine only by "
	     "tcp://HOST:PORT (always mutual TLS) or unix:///PATH, as DOCKER_HOST spells them; "
	     "got 'https://a:2376'"},
	    {"engine: {host: ssh://u@a}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT (mutual TLS) or "
	     "unix:///PATH, got 'ssh://u@a'"},
	    {"engine: {host: 192.168.61.10:2376}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT (mutual TLS) or "
	     "unix:///PATH, got '192.168.61.10:2376'"},
	    {"engine: {host: tcp://a}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT, a host name or "
	     "address and a port (e.g. tcp://192.168.61.10:2376), got 'tcp://a'"},
	    {"engine: {host: 'tcp://:2376'}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT, a host name or "
	     "address and a port (e.g. tcp://192.168.61.10:2376), got 'tcp://:2376'"},
	    {"engine: {host: 'tcp://a b:1'}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT, a host name or "
	     "address and a port (e.g. tcp://192.168.61.10:2376), got 'tcp://a b:1'"},
	    {"engine: {host: 'tcp://[::1:1'}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT, a host name or "
	     "address and a port (e.g. tcp://192.168.61.10:2376), got 'tcp://[::1:1'"},
	    {"engine: {host: 'tcp://a:0'}",
	     "srcs/stack.yaml:5:16: engine.host: the port must be a number from 1 to 65535 "
	     "(e.g. tcp://192.168.61.10:2376), got 'tcp://a:0'"},
	    {"engine: {host: 'tcp://a:65536'}",
	     "srcs/stack.yaml:5:16: engine.host: the port must be a number from 1 to 65535 "
	     "(e.g. tcp://192.168.61.10:2376), got 'tcp://a:65536'"},
	    {"engine: {host: 'tcp://a:99999999999999999999'}",
	     "srcs/stack.yaml:5:16: engine.host: the port must be a number from 1 to 65535 "
	     "(e.g. tcp://192.168.61.10:2376), got 'tcp://a:99999999999999999999'"},
	    {"engine: {host: 'tcp://a:2376/'}",
	     "srcs/stack.yaml:5:16: engine.host: the port must be a number from 1 to 65535 "
	     "(e.g. tcp://192.168.61.10:2376), got 'tcp://a:2376/'"},
	    {"engine: {host: 'tcp://a:'}",
	     "srcs/stack.yaml:5:16: engine.host: the port must be a number from 1 to 65535 "
	     "(e.g. tcp://192.168.61.10:2376), got 'tcp://a:'"},
	    {"engine: {host: unix://run/docker.sock}",
	     "srcs/stack.yaml:5:16: engine.host: expected unix:///PATH (an absolute socket "
	     "path, e.g. unix:///var/run/docker.sock), got 'unix://run/docker.sock'"},
	    {"engine: {host: 'unix:///'}",
	     "srcs/stack.yaml:5:16: engine.host: expected unix:///PATH (an absolute socket "
	     "path, e.g. unix:///var/run/docker.sock), got 'unix:///'"},
	    {"engine: {host: 2376}",
	     "srcs/stack.yaml:5:16: engine.host: expected a string, got 2376 "
	     "(quote it to make it a string)"},
	    {"engine: {host: unix:///s, cert_path: certs}",
	     "srcs/stack.yaml:5:38: engine.cert_path: certificates are for a tcp:// host "
	     "(mutual TLS); a unix:// socket takes none, remove cert_path"},
	    {"engine: {cert_path: [a]}",
	     "srcs/stack.yaml:5:21: engine.cert_path: expected a string, got a sequence"},
	    {"engine: {host: \"tcp://\\u00e9:1\"}",
	     "srcs/stack.yaml:5:16: engine.host: expected tcp://HOST:PORT, a host name or "
	     "address and a port (e.g. tcp://192.168.61.10:2376), got 'tcp://\xC3\xA9:1'"},
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err err;
		char *text = xasprintf("%s%s\n", BASE, good[i].yaml);
		struct stack *st = parse(text, &err);

		ok(st != NULL, "engine loads: %s%s", good[i].yaml, st ? "" : err.msg);
		if (st) {
			ok(good[i].host
			       ? st->engine.host && strcmp(st->engine.host, good[i].host) == 0
			       : st->engine.host == NULL,
			   "engine.host of %s", good[i].yaml);
			ok(good[i].certs ? st->engine.cert_path &&
			                       strcmp(st->engine.cert_path, good[i].certs) == 0
			                 : st->engine.cert_path == NULL,
			   "engine.cert_path of %s (%s)", good[i].yaml,
			   st->engine.cert_path ? st->engine.cert_path : "NULL");
			ok(good[i].yaml[0] ? st->engine.mark.line == 5 : st->engine.mark.line == 0,
			   "engine's mark");
		}
		stack_free(st);
		free(text);
	}
	refuse_each(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_cluster(void)
{
	static const struct {
		const char *yaml, *kubeconfig, *context;
		int merge, timeout;
	} good[] = {
	    {"", NULL, NULL, 1, 600},
	    {"cluster:", NULL, NULL, 1, 600},
	    {"cluster: {}", NULL, NULL, 1, 600},
	    {"cluster: {merge: false, timeout: 30}", NULL, NULL, 0, 30},
	    {"cluster: {merge: true, timeout: 86400}", NULL, NULL, 1, 86400},
	    {"cluster: {kubeconfig: ../kube/config}", "kube/config", NULL, 1, 600},
	    {"cluster: {kubeconfig: /etc/k.yaml, context: 'prod \xC3\xA9'}", "/etc/k.yaml",
	     "prod \xC3\xA9", 1, 600},
	    {"cluster: {kubeconfig: ~/.kube/config}", "/home/u/.kube/config", NULL, 1, 600},
	    {"cluster: {kubeconfig: '~'}", "/home/u", NULL, 1, 600},
	    {"cluster: {kubeconfig: ~/../x//y/, timeout: 1}", "/home/x/y", NULL, 1, 1},
	};
	static const struct refusal bad[] = {
	    {"cluster: /etc/k.yaml",
	     "srcs/stack.yaml:5:10: cluster: expected a mapping (key: value lines), got "
	     "'/etc/k.yaml'"},
	    {"cluster: {kubeconf: a}",
	     "srcs/stack.yaml:5:11: unknown key 'kubeconf' in cluster; did you mean "
	     "'kubeconfig'?"},
	    {"cluster: {kubeconfig: ''}",
	     "srcs/stack.yaml:5:23: cluster.kubeconfig: expected a non-empty string, got ''"},
	    {"cluster: {kubeconfig: 42}",
	     "srcs/stack.yaml:5:23: cluster.kubeconfig: expected a string, got 42 (quote it "
	     "to make it a string)"},
	    {"cluster: {kubeconfig: ~bob/k}",
	     "srcs/stack.yaml:5:23: cluster.kubeconfig: '~USER' is not expanded, only '~/' "
	     "(your home); write the path out in full"},
	    {"cluster: {context: prod}",
	     "srcs/stack.yaml:5:20: cluster.context: a context is one of cluster.kubeconfig's; "
	     "name that kubeconfig too, or remove context to use the VM's cluster"},
	    {"cluster: {kubeconfig: k, context: [a]}",
	     "srcs/stack.yaml:5:35: cluster.context: expected a string, got a sequence"},
	    {"cluster: {merge: 'false'}",
	     "srcs/stack.yaml:5:18: cluster.merge: expected true or false, got 'false' (remove "
	     "the quotes)"},
	    {"cluster: {merge: yes}",
	     "srcs/stack.yaml:5:18: cluster.merge: expected true or false, got 'yes'"},
	    {"cluster: {merge: 0}",
	     "srcs/stack.yaml:5:18: cluster.merge: expected true or false, got 0"},
	    {"cluster: {kubeconfig: k, merge: false}",
	     "srcs/stack.yaml:5:33: cluster.merge: only the VM's cluster is merged into your "
	     "kubeconfig; with cluster.kubeconfig there is nothing to merge, remove merge"},
	    {"cluster: {timeout: 0}",
	     "srcs/stack.yaml:5:20: cluster.timeout: expected an integer from 1 to 86400, got 0"},
	    {"cluster: {timeout: 86401}",
	     "srcs/stack.yaml:5:20: cluster.timeout: expected an integer from 1 to 86400, got "
	     "86401"},
	    {"cluster: {timeout: 99999999999999999999}",
	     "srcs/stack.yaml:5:20: integer 99999999999999999999 is out of range "
	     "(-9223372036854775808 to 9223372036854775807)"},
	    {"cluster: {timeout: '60'}",
	     "srcs/stack.yaml:5:20: cluster.timeout: expected an integer from 1 to 86400, got "
	     "the string '60' (remove the quotes)"},
	};
	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	size_t i;

	setenv("HOME", "/home/u", 1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err err;
		char *text = xasprintf("%s%s\n", BASE, good[i].yaml);
		struct stack *st = parse(text, &err);

		ok(st != NULL, "cluster loads: %s%s", good[i].yaml, st ? "" : err.msg);
		if (st) {
			is_str(st->cluster.kubeconfig, good[i].kubeconfig,
			       "cluster.kubeconfig of %s", good[i].yaml);
			is_str(st->cluster.context, good[i].context, "cluster.context of %s",
			       good[i].yaml);
			is_int(st->cluster.merge, good[i].merge, "cluster.merge of %s",
			       good[i].yaml);
			is_int(st->cluster.timeout, good[i].timeout, "cluster.timeout of %s",
			       good[i].yaml);
		}
		stack_free(st);
		free(text);
	}
	refuse_each(bad, sizeof(bad) / sizeof(bad[0]));
	setenv("HOME", "home/u", 1);
	is_str(error_of(BASE "cluster: {kubeconfig: ~/k}\n"),
	       "srcs/stack.yaml:5:23: cluster.kubeconfig: '~/' is $HOME, which is not an "
	       "absolute path; set HOME or write the path out in full",
	       "~/ with a relative HOME");
	unsetenv("HOME");
	is_str(error_of(BASE "cluster: {kubeconfig: ~/k}\n"),
	       "srcs/stack.yaml:5:23: cluster.kubeconfig: '~/' is $HOME, which is not set; set "
	       "HOME or write the path out in full",
	       "~/ without HOME");
	if (home) {
		setenv("HOME", home, 1);
		free(home);
	}
}

#define SUM  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define USUM "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_manifests(void)
{
	static const struct refusal bad[] = {
	    {"manifests: https://a/b.yaml",
	     "srcs/stack.yaml:5:12: manifests: expected a list of {url: URL, sha256: HEX}, got "
	     "'https://a/b.yaml'"},
	    {"manifests: [https://a/b.yaml]",
	     "srcs/stack.yaml:5:13: manifests[0]: expected a mapping (key: value lines), got "
	     "'https://a/b.yaml'"},
	    {"manifests: [{url: https://a/b, sha: " SUM "}]",
	     "srcs/stack.yaml:5:32: unknown key 'sha' in manifests[0] (expected one of: url, "
	     "sha256)"},
	    {"manifests: [{sha256: " SUM "}]",
	     "srcs/stack.yaml:5:13: manifests[0]: 'url' is missing; give the manifest's URL and "
	     "its sha256"},
	    {"manifests: [{url: https://a/b}]",
	     "srcs/stack.yaml:5:13: manifests[0]: 'sha256' is missing; pin the manifest by the "
	     "SHA-256 of its bytes (sha256sum FILE)"},
	    {"manifests: [{url: ftp://a/b, sha256: " SUM "}]",
	     "srcs/stack.yaml:5:19: manifests[0].url: expected an http:// or https:// URL (e.g. "
	     "https://example.org/deploy.yaml), got 'ftp://a/b'"},
	    {"manifests: [{url: 'https:///b', sha256: " SUM "}]",
	     "srcs/stack.yaml:5:19: manifests[0].url: the URL names no host, got 'https:///b'"},
	    {"manifests: [{url: 'https://a/b c', sha256: " SUM "}]",
	     "srcs/stack.yaml:5:19: manifests[0].url: a URL holds no spaces or control "
	     "characters (percent-encode them), got 'https://a/b c'"},
	    {"manifests: [{url: \"https://a/\\tb\", sha256: " SUM "}]",
	     "srcs/stack.yaml:5:19: manifests[0].url: a URL holds no spaces or control "
	     "characters (percent-encode them), got 'https://a/?b'"},
	    {"manifests: [{url: https://a/b, sha256: abc}]",
	     "srcs/stack.yaml:5:40: manifests[0].sha256: expected 64 hex digits (sha256sum "
	     "FILE), got 'abc'"},
	    {"manifests: [{url: https://a/b, sha256: " SUM "0}]",
	     "srcs/stack.yaml:5:40: manifests[0].sha256: expected 64 hex digits (sha256sum "
	     "FILE), got "
	     "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789...'"},
	    {"manifests: [{url: https://a/b, sha256: " SUM "}, {url: https://a/b, sha256: " SUM
	     "}]",
	     "srcs/stack.yaml:5:113: manifests[1].url: 'https://a/b' is listed twice (line 5)"},
	};
	struct err err;
	struct stack *st = parse(BASE "manifests:\n"
	                              "  - {url: https://a.example/x.yaml, sha256: " USUM "}\n"
	                              "  - url: http://b.example:8080/y.yaml?v=1\n"
	                              "    sha256: " SUM "\n",
	                         &err);

	ok(st != NULL, "manifests load: %s", st ? "" : err.msg);
	if (st) {
		is_int(st->nmanifests, 2, "two manifests");
		is_str(st->manifests[0].url, "https://a.example/x.yaml", "first url");
		is_str(st->manifests[0].sha256, SUM, "its sha256, lowercased");
		is_str(st->manifests[1].url, "http://b.example:8080/y.yaml?v=1", "second url");
		is_int(st->manifests[1].mark.line, 7, "its mark");
	}
	stack_free(st);
	st = parse(BASE "manifests: []\n", &err);
	ok(st && st->nmanifests == 0, "an empty list");
	stack_free(st);
	refuse_each(bad, sizeof(bad) / sizeof(bad[0]));
}

/* The stack BASE + yaml loads with these dashboard fields. */
static void check_dashboard(const char *yaml, const char *ns, const char *svc, const char *account,
                            int ttl)
{
	struct err err;
	char *text = xasprintf("%s%s", BASE, yaml);
	struct stack *st = parse(text, &err);

	ok(st != NULL, "loads: %s%s", yaml, st ? "" : err.msg);
	if (st) {
		is_str(st->dashboard.namespace, ns, "dashboard.namespace of '%s'", yaml);
		is_str(st->dashboard.service, svc, "dashboard.service of '%s'", yaml);
		is_str(st->dashboard.account, account, "dashboard.account of '%s'", yaml);
		is_int(st->dashboard.token_ttl, ttl, "dashboard.token_ttl of '%s'", yaml);
	}
	stack_free(st);
	free(text);
}

static void test_dashboard(void)
{
	check_dashboard("", "kubernetes-dashboard", "kubernetes-dashboard", "ftboot-admin", 3600);
	check_dashboard("dashboard:\n", "kubernetes-dashboard", "kubernetes-dashboard",
	                "ftboot-admin", 3600);
	check_dashboard("dashboard: {service: web}\n", "kubernetes-dashboard", "web",
	                "ftboot-admin", 3600);
	check_dashboard("dashboard: {namespace: dash, service: web, account: admin, token_ttl: "
	                "600}\n",
	                "dash", "web", "admin", 600);
	is_str(error_of(BASE "dashboard: {token_ttl: 599}\n"),
	       "srcs/stack.yaml:5:24: dashboard.token_ttl: expected an integer from 600 to 86400, "
	       "got 599",
	       "a token_ttl under 10 minutes");
	is_str(error_of(BASE "dashboard: {namespace: Kube_Dash}\n"),
	       "srcs/stack.yaml:5:24: dashboard.namespace: expected a DNS-1123 label (lowercase "
	       "letters, digits and '-', starting with a letter, at most 63 characters), got "
	       "'Kube_Dash'",
	       "a namespace that is not a label");
	is_str(error_of(BASE "dashboard: {acount: a}\n"),
	       "srcs/stack.yaml:5:13: unknown key 'acount' in dashboard; did you mean 'account'?",
	       "a misspelt key");
	is_str(error_of(BASE "dashboard: [a]\n"),
	       "srcs/stack.yaml:5:12: dashboard: expected a mapping (key: value lines), got a "
	       "sequence",
	       "not a mapping");
}

int main(void)
{
	test_defaults();
	test_full();
	test_errors();
	test_sizes();
	test_user_bytes();
	test_nul();
	test_find();
	test_project_stack();
	test_engine();
	test_cluster();
	test_manifests();
	test_dashboard();
	return tap_done();
}
