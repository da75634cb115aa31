/*
 * test_fs: lexical paths (path_clean against Go's filepath.Clean, join,
 * dir, base) and the file helpers in a private temporary directory:
 * bounded reads, atomic writes (mode, replace, excl), mkdir -p, rm -rf
 * that does not follow symlinks out of the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "tap.h"
#include "xmem.h"

static char *tmp;

static char *tpath(const char *rel)
{
	return path_join(tmp, rel);
}

static void put(const char *rel, const char *data)
{
	char *p = tpath(rel);
	FILE *f = fopen(p, "w");

	if (f == NULL || fputs(data, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", p);
		exit(1);
	}
	free(p);
}

static mode_t mode_of(const char *rel)
{
	char *p = tpath(rel);
	struct stat st;
	mode_t m = (mode_t)-1;

	if (lstat(p, &st) == 0)
		m = st.st_mode & 07777;
	free(p);
	return m;
}

static int exists(const char *rel)
{
	char *p = tpath(rel);
	int e = fs_exists(p);

	free(p);
	return e;
}

static void test_clean(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"", "."},
	    {".", "."},
	    {"/", "/"},
	    {"//", "/"},
	    {"a/../..", ".."},
	    {"../a/../..", "../.."},
	    {"/../x", "/x"},
	    {"/..", "/"},
	    {"a//b/./c/", "a/b/c"},
	    {"srcs/../templates/x.yaml", "templates/x.yaml"},
	    {"a/..", "."},
	    {"./a", "a"},
	    {"a/./", "a"},
	    {"../../x", "../../x"},
	    {"..//..", "../.."},
	    {"abc/def/../../../x", "../x"},
	    {"x/../../y/./z/..", "../y"},
	    {"/a/b/../../..", "/"},
	    {"a/b/c/../../d", "a/d"},
	    {"..a/b", "..a/b"},
	    {".a/..b/...", ".a/..b/..."},
	    {"/abc/./../def", "/def"},
	    {"abc/", "abc"},
	    {"/a/b/c", "/a/b/c"},
	    {"../../..", "../../.."},
	    {"a/../../b/../c", "../c"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = path_clean(t[i].in);

		is_str(got, t[i].want, "path_clean(\"%s\")", t[i].in);
		free(got);
	}
}

static void test_join_dir_base(void)
{
	static const struct {
		const char *a, *b, *want;
	} j[] = {
	    {"a", "b", "a/b"},
	    {"a", "/b", "/b"},
	    {"", "b", "b"},
	    {"a/", "../b", "b"},
	    {"/x", "..", "/"},
	    {"a", "", "a"},
	    {"", "", "."},
	    {"/state", "ft", "/state/ft"},
	    {"a", "../../b", "../b"},
	    {"/srv//x/", "./y/", "/srv/x/y"},
	};
	static const struct {
		const char *in, *want;
	} d[] = {
	    {"a/b", "a"},     {"a", "."}, {"/a", "/"},  {"/", "/"},    {"a/b/", "a/b"},
	    {"/a/./b", "/a"}, {"", "."},  {"//a", "/"}, {"a//b", "a"}, {"../x", ".."},
	};
	static const struct {
		const char *in, *want;
	} b[] = {
	    {"a/b", "b"},        {"b", "b"}, {"/b", "b"}, {"templates/x.yaml", "x.yaml"},
	    {"/a/b/c.d", "c.d"},
	};
	const char *p = "dir/file";
	size_t i;

	for (i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
		char *got = path_join(j[i].a, j[i].b);

		is_str(got, j[i].want, "path_join(\"%s\", \"%s\")", j[i].a, j[i].b);
		free(got);
	}
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		char *got = path_dir(d[i].in);

		is_str(got, d[i].want, "path_dir(\"%s\")", d[i].in);
		free(got);
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		is_str(path_base(b[i].in), b[i].want, "path_base(\"%s\")", b[i].in);
	ok(path_base(p) == p + 4, "path_base points into its argument");
}

static void test_read(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct err err;
	char *p = tpath("r.txt"), *missing = tpath("missing"), *empty = tpath("empty");
	char want[512];

	put("r.txt", "0123456789");
	put("empty", "");

	is_int(fs_read(p, 10, &b, &err), 0, "fs_read with limit == size");
	is_str(buf_cstr(&b), "0123456789", "fs_read contents");
	is_int(fs_read(p, 100, &b, &err), 0, "fs_read appends");
	is_str(buf_cstr(&b), "01234567890123456789", "fs_read appended to what was there");

	buf_reset(&b);
	is_int(fs_read(p, 9, &b, &err), -1, "fs_read with limit size - 1 fails");
	snprintf(want, sizeof(want), "cannot read '%s': larger than 9 bytes", p);
	is_str(err.msg, want, "fs_read limit message");
	is_int(err.code, ERR_FAIL, "fs_read limit code");

	buf_reset(&b);
	is_int(fs_read(empty, 0, &b, &err), 0, "fs_read of an empty file with limit 0");
	is_int(b.len, 0, "empty file reads as nothing");

	is_int(fs_read(missing, 10, &b, &err), -1, "fs_read of a missing file fails");
	snprintf(want, sizeof(want), "cannot read '%s': %s", missing, strerror(ENOENT));
	is_str(err.msg, want, "fs_read names the path and the reason");

	{
		struct buf small = BUF_INIT(4);

		is_int(fs_read(p, 100, &small, &err), -1,
		       "fs_read stops at the buffer's own limit");
		buf_release(&small);
	}

	if (geteuid() == 0) {
		skip("running as root: a mode 000 file is readable anyway (no EACCES)");
	} else {
		chmod(p, 0);
		is_int(fs_read(p, 100, &b, &err), -1, "fs_read of an unreadable file fails");
		chmod(p, 0600);
	}

	free(p);
	free(missing);
	free(empty);
	buf_release(&b);
}

/* A FIFO, a directory or a device is refused at once (alarm: a hang fails). */
static void test_read_special(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct err err;
	char *fifo = tpath("fifo"), *dir = tpath("dir"), *zero = tpath("zero");
	char want[512];

	alarm(20);
	if (mkfifo(fifo, 0600) < 0 || mkdir(dir, 0700) < 0 || symlink("/dev/zero", zero) < 0) {
		skip("cannot make a FIFO, a directory and a symlink here");
	} else {
		is_int(fs_read(fifo, 100, &b, &err), -1,
		       "fs_read of a FIFO fails, without a writer");
		snprintf(want, sizeof(want),
		         "cannot read '%s': it is a FIFO, not a regular file; name a file", fifo);
		is_str(err.msg, want, "fs_read names the FIFO");
		is_int(fs_read(dir, 100, &b, &err), -1, "fs_read of a directory fails");
		snprintf(want, sizeof(want),
		         "cannot read '%s': it is a directory, not a regular file; name a file",
		         dir);
		is_str(err.msg, want, "fs_read names the directory");
		is_int(fs_read(zero, 1 << 20, &b, &err), -1,
		       "fs_read of a symlink to /dev/zero fails at once");
		snprintf(want, sizeof(want),
		         "cannot read '%s': it is a character device, not a regular file; name a "
		         "file",
		         zero);
		is_str(err.msg, want, "fs_read names the device by the path it was given");
		is_int(b.len, 0, "nothing was read");
	}
	alarm(0);
	free(fifo);
	free(dir);
	free(zero);
	buf_release(&b);
}

/* fs_read_private: the loader of the keys and certificates ftboot keeps. */
static void test_read_private(void)
{
	char *missing = tpath("priv-missing"), *key = tpath("priv-key"), *big = tpath("priv-big");
	char *fifo = tpath("priv-fifo"), *out = (char *)"unset", want[512];
	struct stat sb;
	struct err err;
	int fd;

	is_int(fs_read_private(missing, 64, "a key", FS_PRIVATE_FIX, &out, &err), 0,
	       "private: a missing file is no error");
	ok(out == NULL, "private: and nothing is read (the caller makes it)");

	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && write(fd, "KEY\n", 4) == 4, "private: a 0644 key written");
	if (fd >= 0)
		close(fd);
	chmod(key, 0644);
	is_int(fs_read_private(key, 64, "a key", 0, &out, &err), 0, "private: read without fix");
	is_str(out, "KEY\n", "private: its bytes");
	free(out);
	ok(stat(key, &sb) == 0 && (sb.st_mode & 07777) == 0644, "private: without fix, 0644 stays");
	is_int(fs_read_private(key, 64, "a key", FS_PRIVATE_FIX, &out, &err), 0,
	       "private: read with fix");
	free(out);
	ok(stat(key, &sb) == 0 && (sb.st_mode & 07777) == 0600, "private: with fix, it is 0600");

	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "0123456789", 10) == 10, "private: a file over the limit");
	if (fd >= 0)
		close(fd);
	out = (char *)"unset";
	is_int(fs_read_private(big, 4, "a key", FS_PRIVATE_REMAKE, &out, &err), 0,
	       "private: with remake, an unreadable file is no error");
	ok(out == NULL, "private: with remake, it is to be made again (NULL)");
	out = (char *)"unset";
	is_int(fs_read_private(big, 4, "a key", 0, &out, &err), -1,
	       "private: without remake, an unreadable file is an error (never replaced)");
	ok(out == NULL && strstr(err.msg, "larger than 4 bytes") != NULL,
	   "private: the error says why: %s", err.msg);

	if (mkfifo(fifo, 0600) < 0) {
		skip("cannot make a FIFO here");
	} else {
		is_int(fs_read_private(fifo, 64, "a service key", FS_PRIVATE_REMAKE, &out, &err),
		       -1, "private: a FIFO is an error, even with remake (it is not ours)");
		snprintf(
		    want, sizeof(want),
		    "cannot use '%s': it is a FIFO where ftboot keeps a service key; remove it "
		    "and run again (ftboot makes the file)",
		    fifo);
		is_str(err.msg, want, "private: the error names the FIFO and what goes there");
	}
	free(missing);
	free(key);
	free(big);
	free(fifo);
}

static void test_write(void)
{
	struct buf b = BUF_INIT(1024);
	struct err err;
	char *p = tpath("w.conf"), *nodir = tpath("no/such/dir/f");
	mode_t old = umask(077);

	err_clear(&err);
	is_int(fs_write_atomic(p, "one\n", 4, 0644, 0, &err), 0, "fs_write_atomic creates");
	ok(err.code == ERR_OK && err.kind == ERRK_OTHER && err.errnum == 0,
	   "err untouched on success");
	is_int(mode_of("w.conf"), 0644, "mode is the one asked for, whatever the umask");
	fs_read(p, 100, &b, &err);
	is_str(buf_cstr(&b), "one\n", "contents written");

	is_int(fs_write_atomic(p, "two", 3, 0600, 0, &err), 0, "fs_write_atomic replaces");
	is_int(mode_of("w.conf"), 0600, "replaced file has the new mode");
	buf_reset(&b);
	fs_read(p, 100, &b, &err);
	is_str(buf_cstr(&b), "two", "contents replaced");

	is_int(fs_write_atomic(p, "three", 5, 0600, 1, &err), -1, "excl on an existing file fails");
	is_str(err_kind_name(err.kind), err_kind_name(ERRK_EXISTS), "excl failure: kind exists");
	is_int(err.errnum, EEXIST, "excl failure keeps errno EEXIST");
	is_int(err.code, ERR_FAIL, "excl failure code");
	ok(strstr(err.msg, p) != NULL, "excl failure names the path");
	buf_reset(&b);
	fs_read(p, 100, &b, &err);
	is_str(buf_cstr(&b), "two", "excl failure leaves the old contents");

	{
		char *s = tpath("s");

		is_int(fs_write_atomic(s, "x", 1, 0600, 1, &err), 0, "excl on a new file");
		is_int(mode_of("s"), 0600, "excl file mode");
		free(s);
	}
	is_int(fs_write_atomic(p, "", 0, 0600, 0, &err), 0, "empty write");
	buf_reset(&b);
	fs_read(p, 100, &b, &err);
	is_int(b.len, 0, "empty contents");

	is_int(fs_write_atomic(nodir, "x", 1, 0600, 0, &err), -1,
	       "write into a missing directory fails");
	ok(strstr(err.msg, nodir) != NULL, "and names the path");
	is_str(err_kind_name(err.kind), err_kind_name(ERRK_NOTFOUND), "... kind not found");
	is_int(err.errnum, ENOENT, "... errno ENOENT");

	{
		/* No temporary files left behind by any of the above. */
		int found = 0;
		char *d = tpath(".");
		char *cmd = xasprintf("ls -a '%s' | grep -q '\\.tmp\\.'", d);

		found = system(cmd) == 0;
		ok(!found, "no temporary files left behind");
		free(cmd);
		free(d);
	}
	umask(old);
	free(p);
	free(nodir);
	buf_release(&b);
}

static void test_mkdirs(void)
{
	struct err err;
	char *p = tpath("m/a/b/c"), *trail = tpath("m/t/u/"), *file = tpath("m/file");
	char *under = tpath("m/file/sub");
	mode_t old = umask(022);

	is_int(fs_mkdirs(p, 0700, &err), 0, "fs_mkdirs creates a nested path");
	is_int(mode_of("m/a/b/c"), 0700, "deepest directory mode");
	is_int(mode_of("m/a"), 0700, "parent directory mode");
	is_int(fs_mkdirs(p, 0700, &err), 0, "fs_mkdirs of an existing path succeeds");
	is_int(fs_mkdirs(trail, 0755, &err), 0, "fs_mkdirs with a trailing slash");
	is_int(mode_of("m/t/u"), 0755, "mode 0755 with umask 022");

	put("m/file", "x");
	is_int(fs_mkdirs(file, 0700, &err), -1, "fs_mkdirs over an existing file fails");
	ok(strstr(err.msg, file) != NULL, "and names it: %s", err.msg);
	is_int(fs_mkdirs(under, 0700, &err), -1, "fs_mkdirs below an existing file fails");
	ok(strstr(err.msg, "m/file") != NULL, "and names it: %s", err.msg);

	umask(old);
	free(p);
	free(trail);
	free(file);
	free(under);
}

/* Make path immutable (or not); -1 if this filesystem or process cannot. */
static int set_immutable(const char *path, int on)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags, rc = -1;

	if (fd < 0)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return rc;
}

static void test_remove_tree(void)
{
	struct err err;
	char *root = tpath("tree"), *outside = tpath("outside"), *ofile = tpath("outside/keep");
	char *l1, *l2, *l3;
	char *missing = tpath("nothing/here");

	fs_mkdirs(root, 0700, &err);
	{
		char *deep = tpath("tree/a/b/c");

		fs_mkdirs(deep, 0755, &err);
		free(deep);
	}
	fs_mkdirs(outside, 0700, &err);
	put("outside/keep", "precious");
	put("tree/f", "1");
	put("tree/a/g", "2");
	put("tree/a/b/c/h", "3");
	l1 = tpath("tree/a/to-outside-dir");
	l2 = tpath("tree/a/b/to-outside-file");
	l3 = tpath("tree/dangling");
	ok(symlink(outside, l1) == 0, "symlink to a directory outside the tree");
	ok(symlink(ofile, l2) == 0, "symlink to a file outside the tree");
	ok(symlink("/nonexistent/x", l3) == 0, "dangling symlink");

	is_int(fs_remove_tree(root, &err), 0, "fs_remove_tree of a nested tree");
	ok(!exists("tree"), "the tree is gone");
	ok(exists("outside/keep"), "the symlinked directory outside survives");
	{
		struct buf b = BUF_INIT(100);

		fs_read(ofile, 100, &b, &err);
		is_str(buf_cstr(&b), "precious", "the file outside is intact");
		buf_release(&b);
	}
	is_int(fs_remove_tree(missing, &err), 0, "fs_remove_tree of a missing path succeeds");

	/* The path itself a symlink to a directory: the link goes, not the target. */
	{
		char *link = tpath("link-to-outside");

		symlink(outside, link);
		is_int(fs_remove_tree(link, &err), 0, "fs_remove_tree of a symlink");
		ok(!exists("link-to-outside"), "the symlink is gone");
		ok(exists("outside/keep"), "its target survives");
		free(link);
	}

	/* A single file. */
	put("single", "x");
	{
		char *s = tpath("single");

		is_int(fs_remove_tree(s, &err), 0, "fs_remove_tree of a plain file");
		ok(!exists("single"), "the file is gone");
		free(s);
	}

	/* A file that cannot be removed: the error gives the real reason. */
	{
		char *d = tpath("imm"), *f = tpath("imm/locked");

		fs_mkdirs(d, 0700, &err);
		put("imm/locked", "x");
		if (set_immutable(f, 1) < 0) {
			skip("cannot set the immutable flag here (filesystem or capability)");
			skip("cannot set the immutable flag here (filesystem or capability)");
		} else {
			char want[512];

			is_int(fs_remove_tree(d, &err), -1,
			       "fs_remove_tree of an immutable file fails");
			snprintf(want, sizeof(want), "cannot remove '%s': %s", f, strerror(EPERM));
			is_str(err.msg, want, "the error names the file and EPERM");
			set_immutable(f, 0);
		}
		fs_remove_tree(d, &err);
		free(d);
		free(f);
	}

	free(root);
	free(outside);
	free(ofile);
	free(l1);
	free(l2);
	free(l3);
	free(missing);
}

static void test_exists(void)
{
	char *l = tpath("dl");

	put("e", "");
	ok(exists("e"), "fs_exists of a file");
	ok(!exists("nope"), "fs_exists of nothing");
	symlink("/nonexistent/x", l);
	ok(exists("dl"), "fs_exists of a dangling symlink (lstat)");
	free(l);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ftboot-test-fs.XXXXXX", t && *t ? t : "/tmp");
	struct err err;

	tmp = mkdtemp(tmpl);
	if (tmp == NULL)
		skip_all("cannot create a temporary directory");

	test_clean();
	test_join_dir_base();
	test_read();
	test_read_special();
	test_read_private();
	test_write();
	test_mkdirs();
	test_remove_tree();
	test_exists();

	if (fs_remove_tree(tmp, &err) < 0)
		diag("cleanup: %s", err.msg);
	free(tmpl);
	return tap_done();
}
