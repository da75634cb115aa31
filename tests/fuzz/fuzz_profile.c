/*
 * fuzz_profile: libFuzzer target for the VM profile reader
 * (profile_parse: images/<name>/image.yaml through the YAML reader and
 * schema.c). An input fails with "PATH:LINE:COL: ..." and no control
 * byte in the message (user strings are quoted), or gives a profile that
 * keeps every promise of profile.h: http(s) URLs of printable bytes,
 * exactly one of sha512 (128 lowercase hex digits) and sha512_url
 * (https), format qcow2 or raw, a cmdline exactly with a kernel, an
 * initrd only with a kernel, a user name of [a-z0-9_-] not starting with
 * '-', a boot timeout of 10 to 3600 seconds, and an engine setup script
 * (if any) named by a plain file name in the profile's directory with a
 * timeout of 5 to 3600 seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "images/x/image.yaml"

static int url_ok(const char *u)
{
	const char *p;

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	for (p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7F)
			return 0;
	return 1;
}

static void check_artifact(const struct profile_artifact *a, int present)
{
	if (!present) {
		if (a->url || a->sha512 || a->sha512_url)
			abort();
		return;
	}
	if (a->url == NULL || !url_ok(a->url) || !a->sha512 == !a->sha512_url)
		abort();
	if (a->sha512 && (strlen(a->sha512) != 128 || strspn(a->sha512, "0123456789abcdef") != 128))
		abort();
	if (a->sha512_url && (!url_ok(a->sha512_url) || strncmp(a->sha512_url, "https://", 8)))
		abort();
	if (a->format && strcmp(a->format, "qcow2") != 0 && strcmp(a->format, "raw") != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	struct err err;
	unsigned line, col;
	const char *m;
	int at = 0;

	if (profile_parse("x", "images/x", PATH, (const char *)data, size, &p, &err) < 0) {
		if (p != NULL || sscanf(err.msg, PATH ":%u:%u: %n", &line, &col, &at) != 2 ||
		    at == 0 || line == 0 || col == 0)
			abort();
		for (m = err.msg; *m; m++)
			if ((unsigned char)*m < 0x20 || *m == 0x7F)
				abort();
		return 0;
	}
	check_artifact(&p->image, 1);
	if (p->image.format == NULL)
		abort();
	check_artifact(&p->kernel, p->kernel.url != NULL);
	check_artifact(&p->initrd, p->initrd.url != NULL);
	if ((p->cmdline != NULL) != (p->kernel.url != NULL) || (p->initrd.url && !p->kernel.url))
		abort();
	if (p->user == NULL || p->user[0] == '\0' || p->user[0] == '-' ||
	    strspn(p->user, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(p->user))
		abort();
	if (p->boot_timeout < 10 || p->boot_timeout > 3600)
		abort();
	if (strcmp(p->user_data, "images/x/user-data") != 0 || strcmp(p->name, "x") != 0)
		abort();
	if (p->engine_timeout < 5 || p->engine_timeout > 3600)
		abort();
	if (p->engine_setup) {
		const char *f = p->engine_setup + strlen("images/x/");

		if (strncmp(p->engine_setup, "images/x/", 9) != 0 || *f == '\0' || *f == '.' ||
		    *f == '-' || strchr(f, '/'))
			abort();
	}
	profile_free(p);
	return 0;
}
