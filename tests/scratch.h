/*
 * scratch.h: a unit test's private temporary directory, and a file read
 * back whole (header-only, beside tap.h).
 *
 *   char *dir = scratch_open("journal");  a new directory under $TMPDIR
 *                                         (or /tmp), or skip_all
 *   char *s = scratch_slurp(path);        the file's bytes as a string, NULL
 *                                         if unreadable; the caller frees it
 *   scratch_put(dir, "a/b", text);        write dir/a/b (0644), making a/
 *   scratch_close(dir);                   remove the directory and free dir
 */
#ifndef FTBOOT_TEST_SCRATCH_H
#define FTBOOT_TEST_SCRATCH_H

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "tap.h"
#include "xmem.h"

#define SCRATCH_SLURP_MAX (1 << 20)

static inline char *scratch_open(const char *what)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/ftboot-test-%s.XXXXXX", t && *t ? t : "/tmp", what);

	if (mkdtemp(dir) == NULL)
		skip_all("cannot create a temporary directory");
	return dir;
}

static inline void scratch_close(char *dir)
{
	struct err err;

	if (fs_remove_tree(dir, &err) < 0)
		diag("cleanup: %s", err.msg);
	free(dir);
}

static inline void scratch_put(const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name), *parent = path_dir(path);
	struct err err;

	if (fs_mkdirs(parent, 0700, &err) < 0 ||
	    fs_write_atomic(path, text, strlen(text), 0644, 0, &err) < 0)
		diag("cannot write %s: %s", path, err.msg);
	free(parent);
	free(path);
}

static inline char *scratch_slurp(const char *path)
{
	struct buf b = BUF_INIT(SCRATCH_SLURP_MAX);
	struct err err;

	if (fs_read(path, SCRATCH_SLURP_MAX, &b, &err) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

#endif
