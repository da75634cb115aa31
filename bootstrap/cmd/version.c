/*
 * cmd_version: `ftboot version` / `--version`: ftboot's version, then the
 * libraries it is linked with (as curl -V does), each asked by the one
 * module that owns it.
 */
#include <stdio.h>

#include "cmd.h"
#include "doc.h"
#include "http.h"
#include "ssh.h"
#include "tgz.h"
#include "virt.h"

int cmd_version(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	char virt[32];

	(void)ctx, (void)args, (void)err;
	printf("ftboot %s\n", FTBOOT_VERSION);
	printf("libvirt %s\n", virt_version(virt, sizeof(virt)));
	printf("libcurl %s\n", http_version());
	printf("libssh2 %s\n", ssh_version());
	printf("libyaml %s\n", doc_yaml_version());
	printf("json-c %s\n", doc_json_version());
	printf("zlib %s\n", tgz_version());
	return 0;
}
