/*
 * Unit tests: the tgz module (zlib): deterministic context archives.
 * Round trips through GNU tar and bsdtar, refusals, changes that must and
 * must not change the hash.
 *
 *   test_tgz --list DIR   prints the paths ftboot packs for DIR (its
 *                         .dockerignore applied, Dockerfile and
 *                         .dockerignore kept), one a line: the list that
 *                         tests/integration/dockerignore.sh compares with
 *                         what docker's own CLI sends
 *   test_tgz --pack DIR LEVEL
 *                         writes DIR's archive (gzip LEVEL, 0: plain tar)
 *                         to stdout and its tar's SHA-256 to stderr, for
 *                         tests/bench/pack.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "tap.h"
#include "tgz.h"

static const char *const keep[] = {"Dockerfile", ".dockerignore", NULL};

static int list(const char *dir)
{
	char *p = xasprintf("%s/.dockerignore", dir);
	struct buf b = BUF_INIT(1 << 20);
	struct ignore *ig = NULL;
	struct tgz_opts o = {0};
	struct tgz *t = NULL;
	struct err err;
	size_t i;

	if (fs_exists(p)) {
		if (fs_read(p, 1 << 20, &b, &err) < 0 ||
		    ignore_parse(".dockerignore", b.data, b.len, &ig, &err) < 0) {
			fprintf(stderr, "test_tgz: %s\n", err.msg);
			return 1;
		}
	}
	o.ignore = ig;
	o.keep = keep;
	if (tgz_open(dir, &o, &t, &err) < 0) {
		fprintf(stderr, "test_tgz: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < tgz_count(t); i++)
		printf("%s\n", tgz_path(t, i));
	tgz_free(t);
	ignore_free(ig);
	buf_release(&b);
	free(p);
	return 0;
}

static int pack_out(const char *dir, const char *level)
{
	struct tgz_opts o = {0};
	struct tgz *t = NULL;
	char buf[65536], hex[CRYPTO_HEX_MAX];
	struct err err;
	long n;

	o.gzip_level = (int)strtol(level, NULL, 10);
	if (tgz_open(dir, &o, &t, &err) < 0) {
		fprintf(stderr, "test_tgz: %s\n", err.msg);
		return 1;
	}
	while ((n = tgz_read(t, buf, sizeof(buf), &err)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	if (n != 0) {
		fprintf(stderr, "test_tgz: %s\n", n < 0 ? err.msg : "cannot write stdout");
		tgz_free(t);
		return 1;
	}
	tgz_digest(t, hex, NULL);
	fprintf(stderr, "%s\n", hex);
	tgz_free(t);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel), *d = path_dir(p);
	struct err err;
	FILE *f;

	if (fs_mkdirs(d, 0755, &err) < 0)
		diag("mkdirs: %s", err.msg);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(p, mode);
	free(d);
	free(p);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Pack dir to file out (gzip level, or plain tar); the digest into hex. */
static int pack(const char *dir, const struct tgz_opts *opts, const char *out, char *hex,
                struct err *err)
{
	struct tgz *t = NULL;
	char buf[777]; /* odd on purpose: reads that straddle headers and blocks */
	FILE *f = out ? fopen(out, "wb") : NULL;
	long n;

	if (tgz_open(dir, opts, &t, err) < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	while ((n = tgz_read(t, buf, sizeof(buf), err)) > 0)
		if (f)
			fwrite(buf, 1, (size_t)n, f);
	if (f)
		fclose(f);
	if (n == 0 && hex)
		tgz_digest(t, hex, NULL);
	tgz_free(t);
	return n < 0 ? -1 : 0;
}

static char *hash_of(const char *dir)
{
	char hex[CRYPTO_HEX_MAX];
	struct err err;

	if (tgz_hash(dir, NULL, hex, NULL, &err) < 0) {
		diag("tgz_hash: %s", err.msg);
		return xstrdup("error");
	}
	return xstrdup(hex);
}

/* Run cmd in dir and check the hash stays (same) or changes from h1. */
static void rehash(const char *dir, const char *cmd, const char *h1, int same, const char *name)
{
	char *h;

	sh("cd '%s' && %s", dir, cmd);
	h = hash_of(dir);
	ok((strcmp(h, h1) == 0) == same, "%s", name);
	free(h);
}

static void fill(const char *d)
{
	struct buf longp = BUF_INIT(1024), longt = BUF_INIT(1024);

	put(d, "Dockerfile", "FROM scratch\n", 0644);
	put(d, "run.sh", "#!/bin/sh\necho hi\n", 0750);
	put(d, "a/b/c.txt", "c\n", 0640);
	put(d, "caf\xc3\xa9/\xe2\x98\xba.txt", "utf8\n", 0644);
	put(d, "latin1-\xe9t\xe9", "not UTF-8\n", 0644);
	put(d, "big.bin", "", 0644);
	sh("head -c 200000 /dev/urandom > '%s/big.bin'", d);
	sh("mkdir -p '%s/empty'", d);
	/* a 300-character path */
	buf_addstr(&longp, "deep");
	while (longp.len < 290)
		buf_addstr(&longp, "/dir45678901234567890");
	put(d, longp.data, "deep\n", 0644);
	/* a 120-character symlink target (inside the context) */
	buf_addstr(&longt, "a/b");
	while (longt.len < 114)
		buf_addstr(&longt, "/../b");
	buf_addstr(&longt, "/c.txt");
	sh("ln -s '%s' '%s/longlink'", longt.data, d);
	buf_release(&longp);
	buf_release(&longt);
	sh("ln -s a/b/c.txt '%s/link'", d);
	sh("ln '%s/a/b/c.txt' '%s/hard'", d, d);
}

static void test_determinism(const char *top)
{
	char *d = xasprintf("%s/det", top), *h1, *h2;
	char hex1[CRYPTO_HEX_MAX], hex2[CRYPTO_HEX_MAX];
	char *g1 = xasprintf("%s/1.tgz", top), *g2 = xasprintf("%s/2.tgz", top);
	struct tgz_opts o = {0};
	struct err err;

	fill(d);
	o.gzip_level = 6;
	ok(pack(d, &o, g1, hex1, &err) == 0, "pack once");
	ok(pack(d, &o, g2, hex2, &err) == 0, "pack twice");
	ok(sh("cmp -s '%s' '%s'", g1, g2) == 0, "two packs give the same gzip bytes");
	is_str(hex1, hex2, "and the same hash");
	h1 = hash_of(d);
	is_str(h1, hex1, "tgz_hash is the gzip pack's tar hash");
	o.gzip_level = 1;
	pack(d, &o, NULL, hex2, &err);
	is_str(hex2, hex1, "the hash does not depend on the gzip level");
	ok(sh("gzip -t '%s'", g1) == 0, "gzip -t accepts the stream");
	{
		struct tgz *t = NULL;
		FILE *f = fopen(g2, "wb");
		char one;
		long n = -1;

		o.gzip_level = 6;
		if (f && tgz_open(d, &o, &t, &err) == 0) {
			while ((n = tgz_read(t, &one, 1, &err)) == 1)
				fputc(one, f);
			tgz_free(t);
		}
		if (f)
			fclose(f);
		ok(n == 0 && sh("cmp -s '%s' '%s'", g1, g2) == 0,
		   "read one byte at a time, the same gzip bytes");
	}
	ok(sh("[ \"$(od -An -tx1 -j4 -N4 '%s' | tr -d ' ')\" = 00000000 ]", g1) == 0,
	   "gzip mtime is 0");
	ok(sh("[ \"$(od -An -tx1 -j9 -N1 '%s' | tr -d ' ')\" = ff ]", g1) == 0,
	   "gzip OS byte is fixed (255)");

	sh("touch -d '2001-02-03 04:05:06' '%s/a/b/c.txt' '%s/a' '%s'", d, d, d);
	sh("touch -h -d '2001-02-03' '%s/link'", d);
	sh("chmod g+w '%s/a/b/c.txt' '%s/run.sh' '%s/a'", d, d, d);
	sh("chown -h 12345:54321 '%s/a/b/c.txt' '%s/link' '%s/a'", d, d, d);
	h2 = hash_of(d);
	is_str(h2, h1, "mtimes, g+w and owners do not change the hash");

	rehash(d, "printf 'C\\n' > a/b/c.txt", h1, 0, "changing one byte changes the hash");
	rehash(d, "printf 'c\\n' > a/b/c.txt", h1, 1, "and back");
	rehash(d, "chmod u+x a/b/c.txt", h1, 0, "an exec bit changes the hash");
	rehash(d, "chmod a-x a/b/c.txt", h1, 1, "and back");
	rehash(d, "ln -sfn a/b link", h1, 0, "a symlink target changes the hash");
	rehash(d, "ln -sfn a/b/c.txt link", h1, 1, "and back");
	free(h1);
	free(h2);
	free(g1);
	free(g2);
	free(d);
}

static void test_roundtrip(const char *top)
{
	char *d = xasprintf("%s/rt", top), *g = xasprintf("%s/rt.tgz", top);
	char *x1 = xasprintf("%s/x-gnu", top), *x2 = xasprintf("%s/x-bsd", top);
	char *lst = xasprintf("%s/list", top), *s;
	struct tgz_opts o = {0};
	struct err err;

	fill(d);
	o.gzip_level = 9;
	ok(pack(d, &o, g, NULL, &err) == 0, "pack the round-trip tree");
	ok(sh("tar -tzvf '%s' > '%s'", g, lst) == 0, "GNU tar lists it");
	s = scratch_slurp(lst);
	ok(s && strstr(s, "drwxr-xr-x 0/0") != NULL, "dirs 0755, uid/gid 0");
	ok(s && strstr(s, "-rwxr-xr-x 0/0") && strstr(s, "run.sh"), "executables 0755");
	if (!ok(s && strstr(s, "-rw-r--r-- 0/0               2 1970-01-01 00:00 a/b/c.txt\n"),
	        "files 0644, mtime 0, no owner names"))
		diag("listing:\n%s", s ? s : "(none)");
	ok(s && strstr(s, "link -> a/b/c.txt"), "symlinks are links");
	ok(s && strstr(s, "hard\n") && !strstr(s, "hard link to"), "hard links are files");
	ok(s && strstr(s, "empty/\n"), "empty dirs are entries");
	free(s);
	sh("mkdir -p '%s' '%s'", x1, x2);
	ok(sh("tar -xzf '%s' -C '%s'", g, x1) == 0, "GNU tar extracts it");
	ok(sh("bsdtar -xzf '%s' -C '%s'", g, x2) == 0, "bsdtar extracts it");
	ok(sh("diff -r --no-dereference '%s' '%s'", d, x1) == 0, "GNU tar's copy is the source");
	ok(sh("diff -r --no-dereference '%s' '%s'", d, x2) == 0, "bsdtar's copy is the source");
	ok(sh("[ \"$(find '%s' -printf '%%y %%P %%l\\n' | sort | md5sum)\" = "
	      "\"$(find '%s' -printf '%%y %%P %%l\\n' | sort | md5sum)\" ]",
	      d, x1) == 0,
	   "same entries, types and link targets (empty dir, 300-char path, 120-char link)");
	ok(sh("[ -x '%s/run.sh' ] && [ ! -x '%s/a/b/c.txt' ]", x2, x2) == 0, "exec bits survive");
	ok(sh("bsdtar -tvzf '%s' | grep -q 'longlink -> a/b/../b'", g) == 0,
	   "bsdtar reads the PAX linkpath");
	ok(sh("[ -f \"$(printf '%s/latin1-\\351t\\351')\" ]", x1) == 0,
	   "a name that is not UTF-8 comes back byte for byte (raw in ustar)");
	free(d);
	free(g);
	free(x1);
	free(x2);
	free(lst);
}

static void expect_refusal(const char *dir, const char *what, const char *want)
{
	struct err err;
	char hex[CRYPTO_HEX_MAX];
	int rc;

	err_clear(&err);
	rc = tgz_hash(dir, NULL, hex, NULL, &err);
	ok(rc < 0 && strstr(err.msg, want) != NULL, "%s is refused: %s", what, err.msg);
}

static void test_refusals(const char *top)
{
	char *d = xasprintf("%s/ref", top), *sock, *dev;
	struct tgz *t = NULL;
	struct sockaddr_un sa;
	struct tgz_opts o = {0};
	struct ignore *ig = NULL;
	struct err err;
	char hex[CRYPTO_HEX_MAX];
	int fd;

	put(d, "sub/f", "x\n", 0644);
	sh("ln -s ../../etc/passwd '%s/sub/up'", d);
	expect_refusal(d, "a symlink to ../../etc/passwd", "symbolic link 'sub/up' points to");
	sh("rm '%s/sub/up'; ln -s /etc/passwd '%s/abs'", d, d);
	expect_refusal(d, "an absolute symlink outside",
	               "symbolic link 'abs' points to '/etc/passwd'");
	o.confine = "/etc";
	ok(tgz_hash(d, &o, hex, NULL, &err) == 0, "it is fine when confine is /etc");
	o.confine = NULL;
	sh("rm '%s/abs'; ln -s sub/../sub/f '%s/in'", d, d);
	ok(tgz_hash(d, NULL, hex, NULL, &err) == 0, "a link resolving inside is kept");
	sh("mkfifo '%s/sub/fifo'", d);
	expect_refusal(d, "a FIFO", "'sub/fifo' in the build context is a FIFO");
	ok(ignore_parse("t", "sub/fifo\n", 9, &ig, &err) == 0, "parse");
	o.ignore = ig;
	ok(tgz_hash(d, &o, hex, NULL, &err) == 0, "an ignored FIFO is skipped");
	o.ignore = NULL;
	ignore_free(ig);
	sh("rm '%s/sub/fifo'", d);
	sock = xasprintf("%s/sock", d);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, sock, strlen(sock));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			expect_refusal(d, "a socket", "'sock' in the build context is a socket");
		else
			skip("cannot bind a unix socket here");
	} else {
		skip("socket path too long");
	}
	close(fd);
	unlink(sock);
	free(sock);
	dev = xasprintf("%s/null", d);
	sh("mknod '%s' c 1 3 2>/dev/null", dev);
	if (fs_exists(dev))
		expect_refusal(d, "a device", "'null' in the build context is a character device");
	else
		skip("cannot mknod here");
	unlink(dev);
	free(dev);
	put(d, "x", "", 0644);
	expect_refusal("/nonexistent-ftboot", "a missing context", "cannot read the build context");
	{
		char *f = xasprintf("%s/x", d);

		expect_refusal(f, "a file as the context", "is not a directory");
		free(f);
	}
	o.gzip_level = 12;
	ok(tgz_open(d, &o, &t, &err) < 0 && strstr(err.msg, "gzip level 12"),
	   "gzip level 12 is refused: %s", err.msg);
	free(d);
}

/* Files that change between the listing and the copy, and a file turned directory. */
static void test_changes(const char *top)
{
	char *d = xasprintf("%s/chg", top), *f = xasprintf("%s/chg/f", top);
	struct tgz *t = NULL;
	struct err err;
	char buf[4096];
	long n;
	pid_t pid;
	int st;

	put(d, "f", "0123456789\n", 0644);
	ok(tgz_open(d, NULL, &t, &err) == 0, "open");
	sh("printf more >> '%s'", f);
	while ((n = tgz_read(t, buf, sizeof(buf), &err)) > 0)
		;
	ok(n < 0 && strstr(err.msg, "'f' in the build context grew while it was packed"),
	   "a file that grows is refused: %s", err.msg);
	tgz_free(t);
	ok(tgz_open(d, NULL, &t, &err) == 0, "open");
	sh("printf ab > '%s'", f);
	while ((n = tgz_read(t, buf, sizeof(buf), &err)) > 0)
		;
	ok(n < 0 && strstr(err.msg, "shrank"), "a file that shrinks is refused: %s", err.msg);
	ok(tgz_read(t, buf, sizeof(buf), &err) < 0, "and the packer stays failed");
	tgz_free(t);
	ok(tgz_open(d, NULL, &t, &err) == 0, "open");
	sh("rm '%s' && mkdir '%s'", f, f);
	while ((n = tgz_read(t, buf, sizeof(buf), &err)) > 0)
		;
	ok(n < 0 && strstr(err.msg, "was a file and is now a directory"),
	   "a directory where a file is expected is refused: %s", err.msg);
	tgz_free(t);
	sh("rmdir '%s'", f);

	/* Unreadable: root reads everything, so a child that is nobody tries. */
	put(d, "secret", "s\n", 0000);
	sh("chmod 0755 '%s' '%s'", top, d);
	pid = fork();
	if (pid == 0) {
		char hex[CRYPTO_HEX_MAX];

		if (getuid() == 0 && setgid(65534) == 0 && setuid(65534) == 0 &&
		    tgz_hash(d, NULL, hex, NULL, &err) < 0 &&
		    strstr(err.msg, "cannot read 'secret' in the build context: Permission denied"))
			_exit(0);
		_exit(getuid() == 0 ? 2 : 1);
	}
	waitpid(pid, &st, 0);
	if (getuid() != 0 && access(f, R_OK) != 0)
		skip("not root: cannot switch to nobody");
	else
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "an unreadable file is refused (as nobody)");
	free(d);
	free(f);
}

static void test_ignore_walk(const char *top)
{
	char *d = xasprintf("%s/ign", top);
	const char *txt = "*\n!keep/x\n";
	struct ignore *ig = NULL;
	struct tgz_opts o = {0};
	struct tgz *t = NULL;
	struct err err;
	size_t i;
	struct buf got = BUF_INIT(4096);

	put(d, "Dockerfile", "x", 0644);
	put(d, "keep/x", "x", 0644);
	put(d, "keep/y", "x", 0644);
	put(d, "drop/x", "x", 0644);
	put(d, "b-c", "x", 0644);
	ok(ignore_parse("t", txt, strlen(txt), &ig, &err) == 0, "parse");
	o.ignore = ig;
	o.keep = keep;
	ok(tgz_open(d, &o, &t, &err) == 0, "open with ignore");
	for (i = 0; i < tgz_count(t); i++)
		buf_addf(&got, "%s,", tgz_path(t, i));
	is_str(got.data, "Dockerfile,keep/x,", "excluded dir walked for its exception; keep kept");
	tgz_free(t);
	o.ignore = NULL;
	o.keep = NULL;
	buf_reset(&got);
	ok(tgz_open(d, &o, &t, &err) == 0, "open without ignore");
	for (i = 0; i < tgz_count(t); i++)
		buf_addf(&got, "%s,", tgz_path(t, i));
	is_str(got.data, "Dockerfile,b-c,drop,drop/x,keep,keep/x,keep/y,", "bytewise order");
	tgz_free(t);
	ignore_free(ig);
	buf_release(&got);
	free(d);
}

int main(int argc, char **argv)
{
	char buf[32];
	const char *v;
	int major = 0, minor = 0;
	char *top;

	if (argc == 3 && strcmp(argv[1], "--list") == 0)
		return list(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--pack") == 0)
		return pack_out(argv[2], argv[3]);
	(void)buf;
	v = tgz_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "zlib version parses: %s", v);
	ok(major > 1 || (major == 1 && minor >= 2), "zlib is at least 1.2");
	if (sh("command -v bsdtar >/dev/null && command -v tar >/dev/null") != 0)
		skip_all("tar or bsdtar missing (tests/deps.sh test)");
	top = scratch_open("tgz");
	test_determinism(top);
	test_roundtrip(top);
	test_refusals(top);
	test_changes(top);
	test_ignore_walk(top);
	scratch_close(top);
	return tap_done();
}
