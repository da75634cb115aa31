/*
 * libFuzzer target: the kubeconfig reader, and the writer of kubectl's
 * layout behind merge and unmerge. Any input must parse or fail with a
 * message that names the file and holds no control character; as the
 * user's kubeconfig, merge and unmerge must succeed or name it, and
 * whatever they write must read back as YAML. Never crash, leak or hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "doc.h"
#include "fs.h"
#include "kubeconfig.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "/nonexistent-fuzz/fuzz.yaml"

static char *dir, *src, *dest;

static void check_msg(const struct err *err, const char *name)
{
	size_t i;

	if (strstr(err->msg, name) == NULL)
		abort(); /* every error must say which file */
	for (i = 0; err->msg[i]; i++)
		if ((unsigned char)err->msg[i] < 0x20 || err->msg[i] == 0x7f)
			abort(); /* a user's control byte reached the terminal */
}

static void cleanup(void)
{
	struct err err;

	fs_remove_tree(dir, &err);
}

static void setup(void)
{
	struct kube_target t;
	struct err err;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	dir = xasprintf("%s/ftboot-fuzz-kubeconfig.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	src = path_join(dir, "src");
	dest = path_join(dir, "config");
	memset(&t, 0, sizeof(t));
	t.server = xstrdup("https://10.0.0.1:6443");
	t.ca_pem = xstrdup("-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n");
	t.token = xstrdup("tok");
	t.namespace = xstrdup("default");
	if (kubeconfig_write(src, "s", &t, &err) < 0)
		abort();
	kube_target_release(&t);
	kubeconfig_set_lock_wait(0);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_target t;
	struct err err;
	struct buf b = BUF_INIT(KUBECONFIG_MAX_BYTES);
	struct doc_list docs = {NULL, 0};
	char *prev = NULL;

	if (dir == NULL)
		setup();
	err_clear(&err);
	if (kubeconfig_parse(NAME, (const char *)data, size, NULL, &t, &err) < 0)
		check_msg(&err, "fuzz.yaml");
	kube_target_release(&t);
	err_clear(&err);
	if (kubeconfig_parse(NAME, (const char *)data, size, "ctx", &t, &err) < 0)
		check_msg(&err, "fuzz.yaml");
	kube_target_release(&t);

	/* As the user's kubeconfig. */
	if (fs_write_atomic(dest, data, size, 0600, 0, &err) < 0)
		abort();
	err_clear(&err);
	if (kubeconfig_merge(dest, src, "ftboot-fuzz", &prev, &err) == 0) {
		if (fs_read(dest, KUBECONFIG_MAX_BYTES, &b, &err) < 0 ||
		    doc_parse_yaml("merged", buf_cstr(&b), b.len, &docs, &err) < 0 || docs.n != 1)
			abort(); /* merge wrote what it cannot read back */
		doc_list_release(&docs);
		buf_release(&b);
		if (kubeconfig_unmerge(dest, "ftboot-fuzz", prev, &err) < 0)
			abort(); /* a file merge accepted, unmerge must too */
		if (fs_read(dest, KUBECONFIG_MAX_BYTES, &b, &err) < 0 ||
		    doc_parse_yaml("unmerged", buf_cstr(&b), b.len, &docs, &err) < 0)
			abort();
		doc_list_release(&docs);
		buf_release(&b);
	} else {
		check_msg(&err, dest);
	}
	free(prev);
	return 0;
}
