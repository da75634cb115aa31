/* Unit tests: VM profiles (images/NAME/image.yaml). */
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "tap.h"
#include "xmem.h"

#define SHA                                                                                        \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"                         \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *error_of(const char *text)
{
	static struct err err;
	struct profile *p = NULL;

	err_clear(&err);
	if (profile_parse("t", "images/t", "images/t/image.yaml", text, strlen(text), &p, &err) ==
	    0) {
		profile_free(p);
		return "";
	}
	return err.msg;
}

#define PROFILE_BASE "image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\n"

static void test_cluster(void)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
	    {"cluster: /etc/k.yaml",
	     "images/t/image.yaml:3:10: cluster: expected a mapping (key: value lines), got "
	     "'/etc/k.yaml'"},
	    {"cluster: {port: 6443}",
	     "images/t/image.yaml:3:10: cluster: 'kubeconfig' is missing: where the VM's cluster "
	     "writes its kubeconfig, e.g. /etc/rancher/k3s/k3s.yaml for k3s"},
	    {"cluster: {kubeconfig: k3s.yaml}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got 'k3s.yaml'"},
	    {"cluster: {kubeconfig: '/etc/a b'}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got '/etc/a b'"},
	    {"cluster: {kubeconfig: '/etc/$(reboot)'}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got '/etc/$(reboot)'"},
	    {"cluster: {kubeconfig: /etc/../shadow}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got '/etc/../shadow'"},
	    {"cluster: {kubeconfig: /etc/k3s/}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got '/etc/k3s/'"},
	    {"cluster: {kubeconfig: \"/etc/\xc3\xa9\\e\"}",
	     "images/t/image.yaml:3:23: cluster.kubeconfig: expected an absolute file path in "
	     "the VM ([A-Za-z0-9._/+-], no '.' or '..' components), got '/etc/\xc3\xa9?'"},
	    {"cluster: {kubeconfig: /k, port: 0}",
	     "images/t/image.yaml:3:33: cluster.port: expected an integer from 1 to 65535, got 0"},
	    {"cluster: {kubeconfig: /k, port: '6443'}",
	     "images/t/image.yaml:3:33: cluster.port: expected an integer from 1 to 65535, got "
	     "the string '6443' (remove the quotes)"},
	    {"cluster: {kubeconfig: /k, timeout: 5}",
	     "images/t/image.yaml:3:36: cluster.timeout: expected an integer from 10 to 3600, got "
	     "5"},
	    {"cluster: {kubeconfig: /k, status: ''}",
	     "images/t/image.yaml:3:35: cluster.status: expected a non-empty string, got ''"},
	    {"cluster: {kubeconfig: /k, stats: x}",
	     "images/t/image.yaml:3:27: unknown key 'stats' in cluster; did you mean 'status'?"},
	};
	const char *text = PROFILE_BASE "cluster: {kubeconfig: /var/lib/k/k.yaml, port: 16443, "
	                                "timeout: 10, status: 'systemctl status k3s'}\n";
	struct profile *p = NULL;
	struct err err;
	size_t i;

	ok(profile_parse("t", "images/t", "images/t/image.yaml", text, strlen(text), &p, &err) == 0,
	   "a cluster section: %s", p ? "" : err.msg);
	if (p) {
		is_str(p->cluster_kubeconfig, "/var/lib/k/k.yaml", "its kubeconfig");
		is_int(p->cluster_port, 16443, "its port");
		is_int(p->cluster_timeout, 10, "its timeout");
		is_str(p->cluster_status, "systemctl status k3s", "its status command");
	}
	profile_free(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = xasprintf(PROFILE_BASE "%s\n", bad[i].yaml);

		is_str(error_of(t), bad[i].want, "refused: %s", bad[i].yaml);
		free(t);
	}
}

static void test_ssh_port(void)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
	    {"ssh_port: 0", "images/t/image.yaml:3:11: ssh_port: expected an integer from 1 to "
	                    "65535, got 0"},
	    {"ssh_port: 65536", "images/t/image.yaml:3:11: ssh_port: expected an integer from 1 "
	                        "to 65535, got 65536"},
	    {"ssh_port: '2222'", "images/t/image.yaml:3:11: ssh_port: expected an integer from 1 "
	                         "to 65535, got the string '2222' (remove the quotes)"},
	    {"ssh_port: [22]", "images/t/image.yaml:3:11: ssh_port: expected an integer from 1 to "
	                       "65535, got a sequence"},
	    {"ssh_prot: 2222", "images/t/image.yaml:3:1: unknown key 'ssh_prot' in the profile; "
	                       "did you mean 'ssh_port'?"},
	};
	const char *text = PROFILE_BASE "ssh_port: 65535\n";
	struct profile *p = NULL;
	struct err err;
	size_t i;

	ok(profile_parse("t", "images/t", "images/t/image.yaml", text, strlen(text), &p, &err) == 0,
	   "an ssh_port: %s", p ? "" : err.msg);
	if (p)
		is_int(p->ssh_port, 65535, "its value");
	profile_free(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = xasprintf(PROFILE_BASE "%s\n", bad[i].yaml);

		is_str(error_of(t), bad[i].want, "refused: %s", bad[i].yaml);
		free(t);
	}
}

int main(void)
{
	static const char *const bad_url[][2] = {
	    {"httpsB//x\\e[31m/", "httpsB//x?[31m/"},
	    {"https://x/\\e[31m", "https://x/?[31m"},
	    {"https://x/a b", "https://x/a b"},
	};
	size_t i;
	struct profile *p = NULL;
	struct stack *st = NULL;
	struct err err;
	const char *top = getenv("FTBOOT_TOP");
	char *path = xasprintf("%s/srcs/stack.yaml", top ? top : ".");
	const char *kernel = "image: {url: 'http://127.0.0.1:1/i.raw', sha512: " SHA "}\n"
	                     "kernel: {url: 'http://127.0.0.1:1/k', sha512: " SHA "}\n"
	                     "initrd: {url: 'http://127.0.0.1:1/i', sha512: " SHA "}\n"
	                     "cmdline: root=/dev/vda rw\nuser: debian\nboot_timeout: 60\n";

	ok(stack_load(path, &st, &err) == 0 && profile_load(st, &p, &err) == 0,
	   "the project's alpine profile loads: %s", p ? "" : err.msg);
	if (p) {
		is_str(p->image.format, "qcow2", "qcow2 image");
		ok(p->image.sha512_url && !p->image.sha512, "pinned by the published digest");
		is_str(p->user, "alpine", "user");
		is_int(p->ssh_port, 2222, "its sshd off port 22, which ServiceLB takes");
		ok(p->kernel.url == NULL && p->cmdline == NULL, "boots from its disk");
		ok(strstr(p->user_data, "images/alpine/user-data") != NULL,
		   "user-data template path");
		ok(p->network_config == NULL, "no network-config template: the image's DHCP");
		ok(p->engine_setup && strstr(p->engine_setup, "images/alpine/engine.sh") != NULL,
		   "the engine setup script: %s", p->engine_setup ? p->engine_setup : "(none)");
		is_int(p->engine_timeout, 120, "the engine's timeout");
		is_str(p->cluster_kubeconfig, "/etc/rancher/k3s/k3s.yaml", "k3s's kubeconfig");
		is_int(p->cluster_port, 6443, "k3s's port");
		is_int(p->cluster_timeout, 300, "the cluster's timeout");
		is_str(p->cluster_status, "rc-service k3s status; tail -n 30 /var/log/k3s.log",
		       "what the VM says of k3s on a timeout");
	}
	profile_free(p);
	p = NULL;
	ok(profile_parse("t", "images/t", "images/t/image.yaml", kernel, strlen(kernel), &p,
	                 &err) == 0,
	   "direct kernel boot profile: %s", p ? "" : err.msg);
	if (p) {
		is_str(p->cmdline, "root=/dev/vda rw", "cmdline");
		is_str(p->image.format, "raw", "format defaults to raw");
		is_int(p->boot_timeout, 60, "boot timeout");
		is_int(p->ssh_port, 22, "ssh_port defaults to 22");
		ok(p->engine_setup == NULL, "no engine section: no setup script");
		is_int(p->engine_timeout, 120, "the engine's timeout defaults to 120 s");
		ok(p->cluster_kubeconfig == NULL && p->cluster_status == NULL,
		   "no cluster section: the profile has no cluster");
		is_int(p->cluster_port, 6443, "the cluster's port defaults to 6443");
		is_int(p->cluster_timeout, 300, "the cluster's timeout defaults to 300 s");
	}
	test_cluster();
	test_ssh_port();
	profile_free(p);
	p = NULL;
	{
		const char *text = "image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\n"
		                   "engine: {setup: engine.sh, timeout: 30}\n";

		ok(profile_parse("t", "images/t", "images/t/image.yaml", text, strlen(text), &p,
		                 &err) == 0,
		   "an engine section: %s", p ? "" : err.msg);
		if (p) {
			is_str(p->engine_setup, "images/t/engine.sh",
			       "setup joined to the profile's dir");
			is_int(p->engine_timeout, 30, "its timeout");
		}
		profile_free(p);
	}
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA
	                "}\nuser: a\nengine: {timeout: 9}\n"),
	       "images/t/image.yaml:3:9: engine: 'setup' is missing: the script in the profile's "
	       "directory that sets up the VM's engine, e.g. engine.sh",
	       "engine without setup");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: {setup: "
	                "../../x.sh}\n"),
	       "images/t/image.yaml:3:17: engine.setup: expected a file name in the profile's "
	       "directory ([A-Za-z0-9._-], not starting with '.' or '-'), got '../../x.sh'",
	       "a setup path out of the profile's directory");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: {setup: "
	                "\"e\\u00e9\\n.sh\"}\n"),
	       "images/t/image.yaml:3:17: engine.setup: expected a file name in the profile's "
	       "directory ([A-Za-z0-9._-], not starting with '.' or '-'), got 'e\xc3\xa9?.sh'",
	       "multi-byte and control characters in setup, quoted");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: {setup: "
	                "e.sh, timeout: 99999999999999999999}\n"),
	       "images/t/image.yaml:3:32: integer 99999999999999999999 is out of range "
	       "(-9223372036854775808 to 9223372036854775807)",
	       "a huge timeout");
	is_str(
	    error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: {setup: "
	             "e.sh, timeout: 2}\n"),
	    "images/t/image.yaml:3:32: engine.timeout: expected an integer from 5 to 3600, got 2",
	    "a timeout below 5 s");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: {setup: "
	                "e.sh, tmeout: 3}\n"),
	       "images/t/image.yaml:3:23: unknown key 'tmeout' in engine; did you mean 'timeout'?",
	       "an unknown key in engine");
	is_str(
	    error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nengine: engine.sh\n"),
	    "images/t/image.yaml:3:9: engine: expected a mapping (key: value lines), got "
	    "'engine.sh'",
	    "engine as a string");
	is_str(
	    error_of("image: {url: 'https://x/i', sha512: abc}\nuser: a\n"),
	    "images/t/image.yaml:1:37: image.sha512: expected 128 lowercase hex digits (sha512sum "
	    "prints them)",
	    "short sha512");
	is_str(error_of("image: {url: 'https://x/i'}\nuser: a\n"),
	       "images/t/image.yaml:1:8: image: give exactly one of sha512 (preferred) or "
	       "sha512_url, so the download is verified",
	       "no pin at all");
	is_str(
	    error_of("image: {url: 'https://x/i', sha512_url: 'http://x/i.sha512'}\nuser: a\n"),
	    "images/t/image.yaml:1:41: image.sha512_url: a digest fetched over plain http:// pins "
	    "nothing; use https://, or a literal sha512",
	    "a digest over plain http is refused");
	is_str(error_of("image: {url: 'ftp://x/i', sha512: " SHA "}\nuser: a\n"),
	       "images/t/image.yaml:1:14: image.url: expected an http:// or https:// URL (no "
	       "spaces or control characters), got 'ftp://x/i'",
	       "url scheme");
	/* Found by fuzz_profile: user strings reached the message raw. */
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		char *text =
		    xasprintf("image: {url: \"%s\", sha512: " SHA "}\nuser: a\n", bad_url[i][0]);
		char *want =
		    xasprintf("images/t/image.yaml:1:14: image.url: expected an http:// or "
		              "https:// URL (no spaces or control characters), got '%s'",
		              bad_url[i][1]);

		is_str(error_of(text), want, "bad URL %zu refused and quoted", i);
		free(text);
		free(want);
	}
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: \"r\\e]0;x\\a\"\n"),
	       "images/t/image.yaml:2:7: user: expected a user name ([a-z0-9_-]), got 'r?]0;x?'",
	       "a bad user name is quoted");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\n"),
	       "images/t/image.yaml:1:1: 'user' is missing: the user cloud-init gives ftboot's SSH "
	       "key",
	       "no user");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA "}\nuser: a\nkernel: {url: "
	                "'https://x/k', sha512: " SHA "}\n"),
	       "images/t/image.yaml:3:9: kernel: direct kernel boot needs 'cmdline', e.g. "
	       "root=/dev/vda rw console=ttyS0",
	       "kernel without cmdline");
	is_str(error_of("image: {url: 'https://x/i', sha512: " SHA ", format: vmdk}\nuser: a\n"),
	       "images/t/image.yaml:1:175: image.format: expected qcow2 or raw", "format");
	is_str(error_of("imag: {}\n"),
	       "images/t/image.yaml:1:1: unknown key 'imag' in the profile; "
	       "did you mean 'image'?",
	       "unknown key");
	stack_free(st);
	free(path);
	return tap_done();
}
