/*
 * ssh: the libssh2 module. For now: the library's version.
 */
#include <libssh2.h>

#include "ssh.h"

const char *ssh_version(void)
{
	const char *v = libssh2_version(0);

	return v ? v : "unknown";
}
