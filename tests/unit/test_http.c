/*
 * Unit tests: the http module (libcurl) and the progress renderer.
 * Downloads run against Debian's nginx on a loopback port, started by
 * tests/servers/httpd.sh: a real peer with real Range/206/416 handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "http.h"
#include "net.h"
#include "progress.h"
#include "xmem.h"
#include "tap.h"

#define MIB        (1024ULL * 1024)
#define IMAGE_SIZE (3 * MIB)

static const char *top;
static char *tmp;   /* private scratch directory */
static char *run;   /* nginx's run directory (access.log) */
static char *base;  /* http://127.0.0.1:PORT */
static char *image; /* the served file's bytes */
static char sha[CRYPTO_HEX_MAX];

struct rec {
	int calls;
	int backwards; /* done went down */
	unsigned long long first_done, done, total;
};

static void rec_progress(void *ctx, unsigned long long done, unsigned long long total)
{
	struct rec *r = ctx;

	if (r->calls == 0)
		r->first_done = done;
	else if (done < r->done)
		r->backwards = 1;
	r->calls++;
	r->done = done;
	r->total = total;
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

static char *url(const char *path)
{
	return xasprintf("%s/%s", base, path);
}

static void write_file(const char *path, const void *data, size_t len)
{
	struct err err;

	if (fs_write_atomic(path, data, len, 0644, 0, &err) < 0) {
		diag("%s", err.msg);
		exit(1);
	}
}

/* 1 if path holds exactly the image. */
static int is_image(const char *path)
{
	struct buf b = BUF_INIT(16 * MIB);
	struct err err;
	int same;

	same = fs_read(path, 16 * MIB, &b, &err) == 0 && b.len == IMAGE_SIZE &&
	       memcmp(b.data, image, IMAGE_SIZE) == 0;
	buf_release(&b);
	return same;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/*
 * Did nginx log a request containing needle after offset bytes of its
 * access log? It logs as the response ends: allow it a moment.
 */
static int logged_in(const char *dir, long offset, const char *needle)
{
	char *log = xasprintf("%s/access.log", dir);
	int i, found = 0;

	for (i = 0; i < 40 && !found; i++) {
		struct buf b = BUF_INIT(16 * MIB);
		struct err err;

		if (fs_read(log, 16 * MIB, &b, &err) == 0 && (long)b.len >= offset)
			found = strstr(buf_cstr(&b) + offset, needle) != NULL;
		buf_release(&b);
		if (!found)
			usleep(50 * 1000);
	}
	free(log);
	return found;
}

static int logged_since(long offset, const char *needle)
{
	return logged_in(run, offset, needle);
}

static long log_size(void)
{
	char *log = xasprintf("%s/access.log", run);
	long n = file_size(log);

	free(log);
	return n < 0 ? 0 : n;
}

static int httpd_start(void)
{
	char *root = xasprintf("%s/www", tmp);
	int port = net_httpd_start(top, root, run);

	free(root);
	if (port == 0)
		return -1;
	base = xasprintf("http://127.0.0.1:%d", port);
	return 0;
}

static void httpd_stop(void)
{
	net_httpd_stop(top, run);
}

static void test_version(void)
{
	const char *v;
	int major = 0, minor = 0;

	v = http_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "libcurl version parses: %s", v);
	ok(major > 7 || (major == 7 && minor >= 88), "libcurl is at least 7.88");
}

static void test_progress_render(void)
{
	struct progress p;
	char size[32], *out = NULL;
	size_t len = 0;
	FILE *fp;

	progress_size(512, size, sizeof(size));
	is_str(size, "512 B", "progress_size: bytes");
	progress_size(1536, size, sizeof(size));
	is_str(size, "1.5 KiB", "progress_size: KiB");
	progress_size(3 * MIB, size, sizeof(size));
	is_str(size, "3.0 MiB", "progress_size: MiB");
	progress_size(5ULL << 30, size, sizeof(size));
	is_str(size, "5.0 GiB", "progress_size: GiB");

	fp = open_memstream(&out, &len);
	progress_init(&p, "downloading x", fp);
	progress_end(&p, 1);
	fflush(fp);
	is_int(len, 0, "progress: nothing printed without an update (cached file)");
	progress_init(&p, "downloading x", fp);
	progress_update(&p, 0, 1000);
	progress_update(&p, 50, 1000);
	progress_update(&p, 150, 1000);
	progress_update(&p, 160, 1000);
	progress_update(&p, 990, 1000);
	progress_update(&p, 1000, 1000);
	progress_end(&p, 1);
	fclose(fp);
	ok(!p.tty, "progress: a memory stream is not a terminal");
	ok(strncmp(out, "downloading x (1000 B)\n", 23) == 0, "progress: plain start line");
	ok(strstr(out, "downloading x:  15%") && strstr(out, "downloading x:  99%") &&
	       !strstr(out, "downloading x:  16%"),
	   "progress: plain lines at the 10%% steps reached");
	ok(strstr(out, "downloading x: done, 1000 B in ") != NULL, "progress: plain end line");
	ok(strstr(out, "\r") == NULL, "progress: no carriage returns when not a terminal");
	if (!strstr(out, "done"))
		diag("%s", out);
	free(out);

	out = NULL;
	fp = open_memstream(&out, &len);
	progress_init(&p, "downloading x", fp);
	progress_update(&p, 500, 2000);
	progress_update(&p, 2000, 2000);
	progress_end(&p, 0);
	fclose(fp);
	ok(strcmp(out, "downloading x (2.0 KiB, resuming at 500 B)\n") == 0,
	   "progress: plain start line of a resumed download; nothing more on failure");
	free(out);
}

/* What the progress line looks like on a terminal (a pseudo-terminal here). */
static void test_progress_tty(void)
{
	char got[1024];
	struct progress p;
	int master, slave = -1;
	ssize_t n;
	size_t len = 0;
	FILE *fp = NULL;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) < 0 || !(fp = fdopen(slave, "w"))) {
		skip("no pseudo-terminal here");
		if (slave >= 0)
			close(slave);
		if (master >= 0)
			close(master);
		return;
	}
	progress_init(&p, "downloading x", fp);
	progress_update(&p, 0, 1000);
	progress_update(&p, 500, 1000);
	progress_update(&p, 1000, 1000);
	progress_end(&p, 1);
	fclose(fp);
	while (len < sizeof(got) - 1 && (n = read(master, got + len, sizeof(got) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(got, '\n', len))
			break;
	}
	got[len] = '\0';
	close(master);
	ok(p.tty, "progress: a pseudo-terminal is a terminal");
	ok(strncmp(got, "\rdownloading x   0%  0 B/1000 B\r", 32) == 0 &&
	       strstr(got, "\rdownloading x 100%  1000 B/1000 B") &&
	       strstr(got, "\rdownloading x: done, 1000 B in ") && strstr(got, "\r\n"),
	   "progress: one line redrawn in place, then the result");
	if (!strstr(got, "done"))
		diag("%s", got);
}

static void test_bad_args(void)
{
	char *dest = tpath("bad/image");
	char *part = tpath("bad/image.part");
	struct err err;
	int rc;

	err_clear(&err);
	rc = http_download("http://127.0.0.1:1/x", dest, "abc", NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "cannot download 'http://127.0.0.1:1/x'") &&
	       strstr(err.msg, "not 128 hex digits"),
	   "a malformed pin is refused: %s", err.msg);

	err_clear(&err);
	rc = http_download("ftp://127.0.0.1/x", dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "unsupported protocol"), "ftp:// is refused: %s", err.msg);
	ok(!fs_exists(dest) && !fs_exists(part), "  and leaves no files");
	free(part);
	free(dest);
}

static void test_unreachable(void)
{
	char *dest = tpath("net/image");
	char *part = tpath("net/image.part");
	char *u = NULL;
	struct timespec t0, t1;
	struct err err;
	int rc, port = net_free_port();

	u = xasprintf("http://127.0.0.1:%d/image", port);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "cannot connect to 127.0.0.1 port") &&
	       strstr(err.msg, "Connection refused"),
	   "connection refused: %s", err.msg);
	ok(!fs_exists(dest) && !fs_exists(part), "  and leaves no files");
	free(u);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err_clear(&err);
	rc = http_download("http://nonexistent.invalid/x", dest, sha, NULL, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(rc == -1 && strstr(err.msg, "cannot download 'http://nonexistent.invalid/x'") &&
	       strstr(err.msg, "cannot resolve host 'nonexistent.invalid'"),
	   "unresolvable host: %s", err.msg);
	ok(t1.tv_sec - t0.tv_sec < 20, "  and fails fast (%ld s)", (long)(t1.tv_sec - t0.tv_sec));
	free(part);
	free(dest);
}

static void test_download(void)
{
	char *dest = tpath("cache/alpine/image.qcow2");
	char *part = tpath("cache/alpine/image.qcow2.part");
	char *stamp = tpath("cache/alpine/image.qcow2.sha512");
	char *u = url("image");
	struct buf b = BUF_INIT(4096);
	struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	struct rec r = {0};
	struct stat st;
	struct err err;
	long before;
	int rc;

	err_clear(&err);
	rc = http_download(u, dest, sha, rec_progress, &r, &err);
	ok(rc == 0, "download: %s", rc ? err.msg : "ok");
	ok(is_image(dest), "  the bytes are the server's");
	ok(stat(dest, &st) == 0 && (st.st_mode & 0777) == 0644, "  dest is mode 0644");
	ok(!fs_exists(part), "  no .part left");
	ok(fs_read(stamp, 4096, &b, &err) == 0 && strncmp(buf_cstr(&b), sha, 128) == 0,
	   "  the .sha512 stamp holds the digest");
	ok(r.calls >= 1 && r.done == IMAGE_SIZE && r.total == IMAGE_SIZE && !r.backwards,
	   "  progress ends with done == total (%d calls, %llu/%llu)", r.calls, r.done, r.total);
	ok(logged_since(0, "\"GET /image HTTP/1.1\" 200 range=- sent=3145728"),
	   "  nginx saw one whole GET");

	before = log_size();
	memset(&r, 0, sizeof(r));
	err_clear(&err);
	rc = http_download(u, dest, sha, rec_progress, &r, &err);
	ok(rc == 0 && is_image(dest), "second download is served from the cache");
	ok(log_size() == before, "  without a request to the server");
	is_int(r.calls, 0, "  and without progress calls");

	/* A touched file: the stamp no longer matches, the file is rehashed. */
	buf_reset(&b);
	utimensat(AT_FDCWD, dest, times, 0);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && log_size() == before, "a touched cached file is rehashed, not fetched");
	{
		struct buf b2 = BUF_INIT(4096);

		ok(fs_read(stamp, 4096, &b2, &err) == 0 && strncmp(buf_cstr(&b2), sha, 128) == 0,
		   "  and its stamp rewritten");
		buf_release(&b2);
	}

	/* Other content under dest (an older pin): downloaded again, replaced. */
	write_file(dest, "old image", 9);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest) && logged_since(before, "\"GET /image HTTP/1.1\" 200"),
	   "a dest with other content is downloaded again and replaced");

	buf_release(&b);
	free(u);
	free(stamp);
	free(part);
	free(dest);
}

static void test_mismatch(void)
{
	char wrong[CRYPTO_HEX_MAX];
	char *dest = tpath("mismatch/image");
	char *part = tpath("mismatch/image.part");
	char *u = url("image");
	struct err err;
	int rc;

	memset(wrong, 'a', 128);
	wrong[128] = '\0';
	err_clear(&err);
	rc = http_download(u, dest, wrong, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "sha512 mismatch") &&
	       strstr(err.msg, wrong) && strstr(err.msg, sha) &&
	       strstr(err.msg, "the download was deleted") &&
	       strstr(err.msg, "is the pinned sha512 right?"),
	   "wrong pin: mismatch error names the URL, both digests, what to check");
	if (rc == 0 || !strstr(err.msg, "mismatch"))
		diag("%s", err.msg);
	ok(!fs_exists(dest) && !fs_exists(part), "  no dest and no .part left");

	/* Uppercase pins are the same pin. */
	{
		char upper[CRYPTO_HEX_MAX];
		size_t i;

		for (i = 0; i <= 128; i++)
			upper[i] =
			    (char)(sha[i] >= 'a' && sha[i] <= 'f' ? sha[i] - 'a' + 'A' : sha[i]);
		err_clear(&err);
		rc = http_download(u, dest, upper, NULL, NULL, &err);
		ok(rc == 0 && is_image(dest), "an uppercase pin matches: %s", rc ? err.msg : "ok");
	}
	free(u);
	free(part);
	free(dest);
}

/* A 64-hex pin is a SHA-256: verified as such, its stamp and messages say sha256. */
static void test_sha256(void)
{
	char want[CRYPTO_HEX_MAX], wrong[CRYPTO_HEX_MAX];
	char *dest = tpath("sha256/image");
	char *stamp = tpath("sha256/image.sha256");
	char *u = url("image");
	struct buf b = BUF_INIT(4096);
	struct err err;
	int rc;

	crypto_hash_buf(CRYPTO_SHA256, image, IMAGE_SIZE, want);
	memset(wrong, 'b', 64);
	wrong[64] = '\0';
	err_clear(&err);
	rc = http_download(u, dest, wrong, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "sha256 mismatch") && strstr(err.msg, want) &&
	       strstr(err.msg, "is the pinned sha256 right?") && !fs_exists(dest),
	   "a wrong sha256 pin is refused, naming the digest: %s", err.msg);
	err_clear(&err);
	rc = http_download(u, dest, want, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "a right sha256 pin downloads: %s", rc ? err.msg : "ok");
	ok(fs_read(stamp, 4096, &b, &err) == 0 && strncmp(buf_cstr(&b), want, 64) == 0,
	   "  the .sha256 stamp holds the digest");
	wrong[63] = '\0';
	err_clear(&err);
	rc = http_download(u, dest, wrong, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "not 128 hex digits (or 64 for a sha256)"),
	   "63 hex digits are no pin: %s", err.msg);
	buf_release(&b);
	free(u);
	free(stamp);
	free(dest);
}

static void test_resume(void)
{
	char *dest = tpath("resume/image");
	char *part = tpath("resume/image.part");
	char *u = url("image");
	struct rec r = {0};
	struct err err;
	char *junk;
	long before;
	int rc;

	/* An interrupted download: the first MiB is there. */
	junk = tpath("resume");
	fs_mkdirs(junk, 0755, &err);
	free(junk);
	write_file(part, image, MIB);
	before = log_size();
	err_clear(&err);
	rc = http_download(u, dest, sha, rec_progress, &r, &err);
	ok(rc == 0 && is_image(dest), "resume from a 1 MiB .part: %s", rc ? err.msg : "ok");
	ok(logged_since(before, "\"GET /image HTTP/1.1\" 206 range=bytes=1048576- sent=2097152"),
	   "  nginx answered the Range with 206 and sent only the rest");
	ok(r.calls >= 1 && r.first_done >= MIB && r.done == IMAGE_SIZE && r.total == IMAGE_SIZE,
	   "  progress counts the resumed bytes (first %llu, last %llu/%llu)", r.first_done, r.done,
	   r.total);
	ok(!fs_exists(part), "  no .part left");

	/* A .part that is already whole: 416, verified as it is. */
	unlink(dest);
	write_file(part, image, IMAGE_SIZE);
	before = log_size();
	memset(&r, 0, sizeof(r));
	err_clear(&err);
	rc = http_download(u, dest, sha, rec_progress, &r, &err);
	ok(rc == 0 && is_image(dest), "a complete .part (416) is verified and kept: %s",
	   rc ? err.msg : "ok");
	ok(logged_since(before, "\" 416 range=bytes=3145728-"), "  nginx answered 416");
	ok(r.done == IMAGE_SIZE && r.total == IMAGE_SIZE, "  progress ends with done == total");

	/* A .part with other first bytes: the digest cannot match. */
	unlink(dest);
	junk = xmalloc(MIB);
	memset(junk, 'j', MIB);
	write_file(part, junk, MIB);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "sha512 mismatch") && strstr(err.msg, "deleted") &&
	       strstr(err.msg, "run again"),
	   "a .part with wrong first bytes: mismatch, says run again");
	if (rc == 0 || !strstr(err.msg, "run again"))
		diag("%s", err.msg);
	ok(!fs_exists(part) && !fs_exists(dest), "  the .part is deleted, no dest");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "  and running again fetches it whole");

	/* A .part longer than the file: 416, and the digest cannot match. */
	unlink(dest);
	{
		char *longer = xmalloc(IMAGE_SIZE + 10);

		memcpy(longer, image, IMAGE_SIZE);
		memset(longer + IMAGE_SIZE, 'x', 10);
		write_file(part, longer, IMAGE_SIZE + 10);
		free(longer);
	}
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "sha512 mismatch") && !fs_exists(part),
	   "a .part longer than the file: mismatch, deleted");

	free(junk);
	free(u);
	free(part);
	free(dest);
}

static void test_http_errors(void)
{
	char *dest = tpath("errors/image");
	char *part = tpath("errors/image.part");
	char *u = url("no/such/file");
	struct err err;
	long before;
	int rc;

	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "HTTP 404 Not Found") &&
	       strstr(err.msg, "is the URL right?"),
	   "404: %s", err.msg);
	ok(!fs_exists(dest) && !fs_exists(part), "  no dest and no .part left");
	free(u);

	/* 404 while resuming: curl sees no Content-Range; still a 404. */
	write_file(part, image, 1000);
	u = url("no/such/file");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "HTTP 404 Not Found"), "404 while resuming: %s", err.msg);
	is_int(file_size(part), 1000, "  the .part is kept for later");
	unlink(part);
	free(u);

	/* A server that ignores Range: the 200 restarts the download from zero. */
	write_file(part, image, MIB);
	u = url("norange/image");
	before = log_size();
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "Range ignored (200): restarted from zero: %s",
	   rc ? err.msg : "ok");
	ok(logged_since(before, "\"GET /norange/image HTTP/1.1\" 200 range=bytes=1048576-"),
	   "  nginx answered the Range with the whole file");
	unlink(dest);
	free(u);

	/* TLS spoken to a plain HTTP port: a handshake error, not a hang. */
	u = xasprintf("https://%s/image", base + strlen("http://"));
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "TLS handshake with 127.0.0.1 failed"),
	   "https to a plain HTTP server: %s", err.msg);
	free(u);

	u = url("redirect/image");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "a redirect is followed: %s", rc ? err.msg : "ok");
	unlink(dest);
	free(u);

	u = url("loop/");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "more than 10 redirects"),
	   "a redirect loop ends: %s", err.msg);
	free(u);

	free(part);
	free(dest);
}

static void test_stall_and_write_errors(void)
{
	char *dest = tpath("stall/image");
	char *part = tpath("stall/image.part");
	char *u = url("slow/image");
	struct rlimit old, small;
	struct timespec t0, t1;
	struct err err;
	long before;
	int rc, fd;

	/* nginx sends 512 bytes/s; the floor is 1 KiB/s for 2 s. */
	http_set_stall_timeout(2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	http_set_stall_timeout(30);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "stalled") &&
	       strstr(err.msg, "run again to resume"),
	   "a stalled transfer fails: %s", err.msg);
	ok(t1.tv_sec - t0.tv_sec < 15, "  in about the stall timeout (%ld s)",
	   (long)(t1.tv_sec - t0.tv_sec));
	ok(file_size(part) > 0, "  keeping the %ld bytes it got", file_size(part));
	free(u);

	/* The same file from a fast URL resumes that .part. */
	u = url("image");
	before = log_size();
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest) && logged_since(before, "\" 206 range=bytes="),
	   "  running again resumes it: %s", rc ? err.msg : "ok");
	unlink(dest);

	/* Writes that fail (file size limit, as a full disk would). */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = MIB;
	setrlimit(RLIMIT_FSIZE, &small);
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	ok(rc == -1 && strstr(err.msg, u) && strstr(err.msg, "cannot write '") &&
	       strstr(err.msg, "image.part': File too large"),
	   "a failed write: %s", err.msg);
	is_int(file_size(part), MIB, "  the .part keeps what was written");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "  and the next run completes it");
	unlink(dest);

	/* Another process downloading the same file holds the .part's lock. */
	fd = open(part, O_RDWR | O_CREAT, 0644);
	ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "lock the .part as another ftboot would");
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == -1 && err.code == ERR_BUSY && strstr(err.msg, "another ftboot"),
	   "a locked .part is refused: %s", err.msg);
	ok(fs_exists(part), "  and left alone");
	if (fd >= 0)
		close(fd);
	unlink(part);

	free(u);
	free(part);
	free(dest);
}

static void test_progress_download(void)
{
	char *dest = tpath("progress/image");
	char *u = url("image");
	struct progress p;
	struct err err;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	int rc;

	progress_init(&p, "downloading image", fp);
	err_clear(&err);
	rc = http_download(u, dest, sha, progress_update, &p, &err);
	progress_end(&p, rc == 0);
	fclose(fp);
	ok(rc == 0 && strstr(out, "downloading image (3.0 MiB)\n") &&
	       strstr(out, "downloading image: done, 3.0 MiB in "),
	   "progress renders a real download");
	if (rc != 0 || !strstr(out, "done"))
		diag("%s / %s", err.msg, out);
	free(out);
	free(u);
	free(dest);
}

static void test_get(void)
{
	struct buf small = BUF_INIT(1024), big = BUF_INIT(8 * MIB);
	char *u = url("image"), *missing = url("no-such-file");
	struct err err;

	err_clear(&err);
	ok(http_get(u, &big, &err) == 0, "get: %s", err.msg);
	ok(big.len == IMAGE_SIZE && memcmp(big.data, image, IMAGE_SIZE) == 0,
	   "  the body, byte for byte");
	ok(http_get(u, &small, &err) < 0 && small.len == 0, "get: larger than the buffer fails");
	ok(strstr(err.msg, "cannot fetch '") && strstr(err.msg, "larger than 1024 bytes"),
	   "  and says so: %s", err.msg);
	ok(http_get(missing, &small, &err) < 0 && strstr(err.msg, "HTTP 404"),
	   "get: 404 names the status: %s", err.msg);
	buf_release(&small);
	buf_release(&big);
	free(u);
	free(missing);
}

static void test_offline(void)
{
	char *dest = tpath("cache/alpine/image.qcow2");
	char *other = tpath("offline/image");
	char *u = url("image");
	struct err err;
	int rc;

	httpd_stop();
	err_clear(&err);
	rc = http_download(u, dest, sha, NULL, NULL, &err);
	ok(rc == 0 && is_image(dest), "server stopped: the cached file is still served: %s",
	   rc ? err.msg : "ok");
	err_clear(&err);
	rc = http_download(u, other, sha, NULL, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "cannot connect"), "  while a new download cannot connect");
	free(u);
	free(other);
	free(dest);
}

/* ---- the transport: requests against a second nginx (nginx-api.sh) -------- */

static char *api_run; /* its run directory: pki/, nginx.sock, access.log */
static long api_port; /* plain; +1 TLS, +2 mutual TLS */
static struct http *client;

static int api_start(void)
{
	char *cmd =
	    xasprintf("'%s/tests/servers/nginx-api.sh' start '%s/www' '%s'", top, tmp, api_run);
	char line[64] = "";
	FILE *fp = popen(cmd, "r");

	free(cmd);
	if (!fp)
		return -1;
	if (fgets(line, sizeof(line), fp))
		api_port = strtol(line, NULL, 10);
	if (pclose(fp) != 0 || api_port <= 0 || api_port > 65533)
		return -1;
	return 0;
}

static void api_stop(void)
{
	char *cmd = xasprintf("'%s/tests/servers/nginx-api.sh' stop '%s'", top, api_run);

	if (system(cmd) != 0)
		diag("nginx-api.sh stop failed");
	free(cmd);
}

static char *api_url(int tls, const char *path)
{
	return xasprintf("%s://127.0.0.1:%ld/%s", tls ? "https" : "http", api_port + tls, path);
}

static char *pki(const char *name)
{
	return xasprintf("%s/pki/%s", api_run, name);
}

/* A file's text (the test's PKI), or exits. */
static char *slurp(const char *path)
{
	struct buf b = BUF_INIT(1024 * 1024);
	struct err err;

	if (fs_read(path, 1024 * 1024, &b, &err) < 0) {
		diag("%s", err.msg);
		exit(1);
	}
	return buf_detach(&b, NULL);
}

/* nginx's connection number in an /echo answer, or -1. */
static long echo_conn(const struct http_resp *resp)
{
	const char *c = strstr(buf_cstr(&resp->body), "conn=");

	return c ? strtol(c + 5, NULL, 10) : -1;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Send req through the shared client into resp, emptied first. */
static int send_req(const struct http_req *req, struct http_resp *resp, struct err *err)
{
	http_resp_release(resp);
	err_clear(err);
	return http_request(client, req, resp, err);
}

static void test_req_methods(void)
{
	const char *hdrs[] = {"X-Ftboot: hello there", "Content-Type: application/json", NULL};
	struct http_resp resp = HTTP_RESP_INIT(4096);
	struct http_req req = {0};
	struct http *other = http_new();
	char *u = api_url(0, "echo?a=1"), *v;
	struct err err;
	long conn;
	int rc;

	req.url = u;
	req.headers = hdrs;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200, "request: GET answered 200: %s", rc ? err.msg : "ok");
	ok(strstr(buf_cstr(&resp.body), "method=GET uri=/echo?a=1 x-ftboot=hello there "),
	   "  nginx saw the method, the URI and our header: %s", buf_cstr(&resp.body));
	v = http_resp_header(&resp, "content-type");
	is_str(v ? v : "(none)", "text/plain", "  the answer's Content-Type, by any case");
	free(v);
	v = http_resp_header(&resp, "X-Echo");
	is_str(v ? v : "(none)", "yes", "  and another header of the answer");
	free(v);
	ok(http_resp_header(&resp, "X-Not-There") == NULL, "  an absent header is NULL");
	conn = echo_conn(&resp);

	req.method = "PATCH";
	req.body = "{\"a\":1}";
	req.body_len = 7;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && strstr(buf_cstr(&resp.body), "method=PATCH ") &&
	       strstr(buf_cstr(&resp.body), "ct=application/json len=7 "),
	   "PATCH with a body from memory: %s", rc ? err.msg : buf_cstr(&resp.body));
	ok(conn > 0 && echo_conn(&resp) == conn,
	   "  sent on the same connection as the GET (nginx connection %ld, then %ld)", conn,
	   echo_conn(&resp));

	http_resp_release(&resp);
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	req.headers = NULL;
	err_clear(&err);
	rc = http_request(other, &req, &resp, &err);
	ok(rc == 0 && strstr(buf_cstr(&resp.body), "method=DELETE ") &&
	       strstr(buf_cstr(&resp.body), "x-ftboot= "),
	   "DELETE, no headers: %s", rc ? err.msg : buf_cstr(&resp.body));
	ok(echo_conn(&resp) != conn, "  another client has its own connection");

	req.method = "POST";
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && strstr(buf_cstr(&resp.body), "method=POST ") &&
	       strstr(buf_cstr(&resp.body), "ct= len=0 "),
	   "POST without a body sends Content-Length: 0, no Content-Type: %s",
	   rc ? err.msg : buf_cstr(&resp.body));

	req.method = "HEAD";
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && resp.body.len == 0, "HEAD: a status, no body: %s",
	   rc ? err.msg : "ok");

	http_resp_release(&resp);
	http_free(other);
	free(u);
}

struct gen {
	size_t len, sent, step;
	int fail_at_end;
};

static char gen_byte(size_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

static long gen_read(void *ctx, char *data, size_t size, struct err *err)
{
	struct gen *g = ctx;
	size_t n = g->len - g->sent, i;

	if (n == 0 && g->fail_at_end)
		return err_setk(err, ERRK_INVALID, "the generator ran dry on purpose");
	if (n > size)
		n = size;
	if (n > g->step)
		n = g->step;
	for (i = 0; i < n; i++)
		data[i] = gen_byte(g->sent + i);
	g->sent += n;
	return (long)n;
}

/* 1 if path holds len generated bytes. */
static int is_gen(const char *path, size_t len)
{
	struct buf b = BUF_INIT(16 * MIB);
	struct err err;
	size_t i;
	int same;

	same = fs_read(path, 16 * MIB, &b, &err) == 0 && b.len == len;
	for (i = 0; same && i < len; i++)
		same = b.data[i] == gen_byte(i);
	buf_release(&b);
	return same;
}

static void test_req_upload(void)
{
	struct http_resp resp = HTTP_RESP_INIT(4096);
	struct gen g = {.len = MIB + 7, .step = 10007};
	struct http_req req = {
	    .method = "PUT", .read_fn = gen_read, .read_ctx = &g, .read_len = -1};
	char *u = api_url(0, "put/chunked"), *path = tpath("www/put/chunked");
	struct err err;
	int rc;

	req.url = u;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 201, "PUT a body streamed from a callback, chunked: %s (%ld)",
	   rc ? err.msg : "ok", resp.status);
	ok(is_gen(path, MIB + 7), "  nginx stored every byte, in order");
	free(u);
	free(path);

	u = api_url(0, "put/sized");
	path = tpath("www/put/sized");
	memset(&g, 0, sizeof(g));
	g.len = 300000;
	g.step = 4096;
	req.url = u;
	req.read_len = 300000;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 201 && is_gen(path, 300000),
	   "PUT from a callback with its length: %s", rc ? err.msg : "ok");
	ok(logged_in(api_run, 0, "\"PUT /put/sized HTTP/1.1\" 201 len=300000 te=- "),
	   "  sent with Content-Length: 300000");
	ok(logged_in(api_run, 0, "\"PUT /put/chunked HTTP/1.1\" 201 len=1048583 te=chunked "),
	   "  the first PUT went chunked (nginx counts its 1048583 bytes)");
	free(u);
	free(path);

	u = api_url(0, "put/failing");
	memset(&g, 0, sizeof(g));
	g.len = 5000;
	g.step = 1000;
	g.fail_at_end = 1;
	req.url = u;
	req.read_len = -1;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "PUT http://127.0.0.1:") &&
	       strstr(err.msg, "the generator ran dry on purpose"),
	   "a body callback's error fails the request with its words: %s", err.msg);

	/* POST with a streamed body, as a Docker build sends its context. */
	free(u);
	u = api_url(0, "echo/build");
	memset(&g, 0, sizeof(g));
	g.len = 70000;
	g.step = 8192;
	req.url = u;
	req.method = "POST";
	req.read_len = -1;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && strstr(buf_cstr(&resp.body), "method=POST ") &&
	       strstr(buf_cstr(&resp.body), " te=chunked ") && g.sent == 70000,
	   "POST a streamed body, chunked: %s", rc ? err.msg : buf_cstr(&resp.body));

	http_resp_release(&resp);
	free(u);
}

struct sink {
	struct crypto_hash *hash;
	size_t got;
	size_t stop_after; /* 0: never */
	int fail;
	int calls;
};

static int sink_write(void *ctx, const char *data, size_t len, struct err *err)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail)
		return err_setk(err, ERRK_INVALID, "the sink cannot parse line 1");
	if (s->hash)
		crypto_hash_update(s->hash, data, len);
	s->got += len;
	return s->stop_after && s->got >= s->stop_after ? 1 : 0;
}

static void test_req_stream(void)
{
	struct http_resp resp = HTTP_RESP_INIT(1024);
	struct sink s = {0};
	struct http_req req = {.write_fn = sink_write, .write_ctx = &s};
	char *u = api_url(0, "image"), *missing = api_url(0, "status/404");
	char got[CRYPTO_HEX_MAX];
	struct err err;
	int rc;

	req.url = u;
	s.hash = crypto_hash_new(CRYPTO_SHA512);
	rc = send_req(&req, &resp, &err);
	crypto_hash_final(s.hash, got);
	ok(rc == 0 && resp.status == 200 && s.got == IMAGE_SIZE && strcmp(got, sha) == 0 &&
	       resp.body.len == 0,
	   "a 3 MiB answer streamed to a callback, past the 1 KiB body limit: %s",
	   rc ? err.msg : "ok");

	memset(&s, 0, sizeof(s));
	s.stop_after = 100000;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.stopped && s.got >= 100000 && s.got < IMAGE_SIZE,
	   "the callback stops the transfer: not an error, stopped at %zu bytes: %s", s.got,
	   rc ? err.msg : "ok");

	memset(&s, 0, sizeof(s));
	s.fail = 1;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, "GET http://127.0.0.1:") &&
	       strstr(err.msg, ": the sink cannot parse line 1") && resp.status == 200,
	   "the callback's error fails the request with its words: %s", err.msg);

	memset(&s, 0, sizeof(s));
	req.url = missing;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 404 && s.calls == 0 &&
	       strcmp(buf_cstr(&resp.body), "{\"message\":\"no such thing: x\"}") == 0,
	   "a 404 is an answer: its body is kept for the caller, not streamed: %s",
	   rc ? err.msg : buf_cstr(&resp.body));

	/* Into the capped buffer: the same error bodies, an over-cap 2xx body fails. */
	req.write_fn = NULL;
	rc = send_req(&req, &resp, &err);
	{
		char *ct = http_resp_header(&resp, "Content-Type");

		ok(rc == 0 && resp.status == 404 && ct && strcmp(ct, "application/json") == 0 &&
		       strstr(buf_cstr(&resp.body), "no such thing: x"),
		   "  and in the body buffer, with its Content-Type: %s", ct ? ct : "(none)");
		free(ct);
	}
	free(missing);
	missing = api_url(0, "status/500");
	req.url = missing;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 500 && strstr(buf_cstr(&resp.body), "the daemon broke"),
	   "a 500 and its message");

	req.url = u;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID && strstr(err.msg, u) &&
	       strstr(err.msg, "the answer is larger than 1024 bytes") && resp.status == 200,
	   "a 2xx body over the buffer's limit: %s (%s)", err.msg, err_kind_name(err.kind));

	http_resp_release(&resp);
	free(missing);
	free(u);
}

static void test_req_unix(void)
{
	struct http_resp resp = HTTP_RESP_INIT(4096);
	char *sock = xasprintf("%s/nginx.sock", api_run), *nosock = tpath("no.sock");
	struct http_req req = {.url = "http://localhost/echo", .unix_socket = sock};
	struct err err;
	int rc;

	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && strstr(buf_cstr(&resp.body), "method=GET uri=/echo "),
	   "a request over a unix socket: %s", rc ? err.msg : buf_cstr(&resp.body));

	req.unix_socket = nosock;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_TRANSIENT &&
	       strstr(err.msg, "GET http://localhost/echo via '") &&
	       strstr(err.msg, "cannot connect to '") && strstr(err.msg, "no.sock'") &&
	       strstr(err.msg, "No such file or directory"),
	   "no socket: %s (%s)", err.msg, err_kind_name(err.kind));
	http_resp_release(&resp);
	free(nosock);
	free(sock);
}

/* A loopback socket that listens: the kernel accepts, nobody ever answers. */
static int listen_only(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/*
 * A peer that answers the headers and one chunk, then says nothing: a
 * watch gone quiet (nginx cannot be made to do that). Child's pid.
 */
static pid_t quiet_peer(int lfd)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n";
	pid_t pid = fork();
	char req[4096];
	int fd;

	if (pid != 0)
		return pid;
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0 && read(fd, req, sizeof(req)) > 0 &&
	    write(fd, head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1))
		sleep(30);
	_exit(0);
}

/* A cancel hook: 1 once the sink has the stream's first bytes (it went quiet after). */
static int cancel_streamed(void *ctx)
{
	const struct sink *s = ctx;

	return s->got > 0;
}

static void test_req_timeouts(void)
{
	struct http_resp resp = HTTP_RESP_INIT(4096);
	struct sink s = {0};
	struct http_req req = {0};
	struct timespec t0;
	struct err err;
	char *u = NULL;
	double took;
	int port = 0, lfd, rc, status;
	pid_t pid;

	/* Accepted (by the kernel) and never answered. */
	lfd = listen_only(&port);
	if (lfd < 0) {
		skip("cannot listen on a loopback port: no idle timeout tests");
		return;
	}
	u = xasprintf("http://127.0.0.1:%d/watch", port);
	req.url = u;
	req.idle_ms = 1000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_req(&req, &resp, &err);
	took = since(&t0);
	ok(rc == -1 && err.kind == ERRK_TIMEOUT && strstr(err.msg, u) &&
	       strstr(err.msg, "no answer from 127.0.0.1 port") &&
	       strstr(err.msg, "for 1 s (the request's idle timeout)"),
	   "a server that accepts and stays quiet: %s (%s)", err.msg, err_kind_name(err.kind));
	ok(took >= 0.9 && took < 8,
	   "  after the idle bound, not before (%.1f s; curl checks about once a second)", took);

	/* Headers and a first event, then silence (a fresh socket: no stale backlog). */
	close(lfd);
	free(u);
	lfd = listen_only(&port);
	if (lfd < 0) {
		skip("cannot listen on a loopback port: no quiet stream test");
		return;
	}
	u = xasprintf("http://127.0.0.1:%d/watch", port);
	req.url = u;
	pid = quiet_peer(lfd);
	req.write_fn = sink_write;
	req.write_ctx = &s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_req(&req, &resp, &err);
	took = since(&t0);
	ok(rc == -1 && err.kind == ERRK_TIMEOUT &&
	       strstr(err.msg, "the answer from 127.0.0.1 port") &&
	       strstr(err.msg, "went quiet: no byte for 1 s (the request's idle timeout)"),
	   "a stream that goes quiet: %s", err.msg);
	ok(s.got == 6 && resp.status == 200 && took >= 0.9 && took < 8,
	   "  after its first %zu bytes were streamed, in %.1f s", s.got, took);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(lfd);
	free(u);

	/* The same quiet stream, with a cancel hook that says stop once it has begun. */
	lfd = listen_only(&port);
	if (lfd < 0) {
		skip("cannot listen on a loopback port: no cancel test");
		return;
	}
	u = xasprintf("http://127.0.0.1:%d/watch", port);
	req.url = u;
	req.idle_ms = 60000;
	req.cancel_fn = cancel_streamed;
	req.cancel_ctx = &s;
	s.got = 0;
	pid = quiet_peer(lfd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_req(&req, &resp, &err);
	took = since(&t0);
	ok(rc == -1 && err.kind == ERRK_OTHER && strstr(err.msg, u) &&
	       strstr(err.msg, ": cancelled"),
	   "a cancel hook stops a quiet stream: %s", err.msg);
	ok(s.got == 6 && took < 8,
	   "  after its first %zu bytes, %.1f s in, long before the idle bound", s.got, took);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(lfd);
	free(u);

	/* A server that keeps sending, slowly: the total bound ends it. */
	u = api_url(0, "slow/image");
	memset(&req, 0, sizeof(req));
	req.url = u;
	req.total_ms = 1500;
	req.idle_ms = 10000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_req(&req, &resp, &err);
	took = since(&t0);
	ok(rc == -1 && err.kind == ERRK_TIMEOUT &&
	       strstr(err.msg, "no complete answer from 127.0.0.1 port") &&
	       strstr(err.msg, "within 1.5 s (the request's total timeout)") &&
	       strstr(err.msg, "still arriving"),
	   "a slow sender hits the total timeout: %s", err.msg);
	ok(took >= 1.4 && took < 8, "  after %.1f s", took);
	free(u);

	u = xasprintf("http://127.0.0.1:%d/x", net_free_port());
	memset(&req, 0, sizeof(req));
	req.url = u;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_TRANSIENT && err.errnum == ECONNREFUSED &&
	       strstr(err.msg, "Connection refused"),
	   "refused: transient, with its errno: %s", err.msg);
	http_resp_release(&resp);
	free(u);
}

static void test_req_tls(void)
{
	struct http_resp resp = HTTP_RESP_INIT(4096);
	char *ca = pki("ca.pem"), *other_ca = pki("other-ca.pem");
	char *cert = pki("client.pem"), *key = pki("client.key");
	char *other_cert = pki("other-client.pem"), *other_key = pki("other-client.key");
	char *ca_text = slurp(ca), *cert_text = slurp(cert), *key_text = slurp(key);
	char *u = api_url(1, "echo"), *mu = xasprintf("https://127.0.0.1:%ld/echo", api_port + 2);
	struct http_req req = {0};
	struct err err;
	int rc;

	req.url = u;
	req.ca.file = ca;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && strstr(buf_cstr(&resp.body), "method=GET"),
	   "https with the private CA from a file: %s", rc ? err.msg : "ok");

	req.ca.file = NULL;
	req.ca.pem = ca_text;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200, "  and from PEM in memory: %s", rc ? err.msg : "ok");

	req.ca.pem = NULL;
	req.ca.file = other_ca;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_DENIED &&
	       strstr(err.msg, "the TLS certificate of 127.0.0.1 is not signed by the CA in '") &&
	       strstr(err.msg, "other-ca.pem'"),
	   "another CA: refused, saying so: %s (%s)", err.msg, err_kind_name(err.kind));

	req.ca.file = NULL;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_DENIED &&
	       strstr(err.msg, "not signed by a CA this system trusts"),
	   "the system's CAs: refused: %s", err.msg);

	/* Mutual TLS: nginx answers 400 to a missing or untrusted client certificate. */
	req.url = mu;
	req.ca.file = ca;
	req.cert.file = cert;
	req.key.file = key;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200 && strstr(buf_cstr(&resp.body), "method=GET"),
	   "mutual TLS with the right client certificate (files): %s (%ld)", rc ? err.msg : "ok",
	   resp.status);

	req.cert.file = NULL;
	req.key.file = NULL;
	req.cert.pem = cert_text;
	req.key.pem = key_text;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 200, "  and from PEM in memory: %s (%ld)", rc ? err.msg : "ok",
	   resp.status);

	req.cert.pem = NULL;
	req.key.pem = NULL;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 400 &&
	       strstr(buf_cstr(&resp.body), "No required SSL certificate was sent"),
	   "no client certificate: refused by the server, its body kept (%ld): %s", resp.status,
	   rc ? err.msg : "ok");

	req.cert.file = other_cert;
	req.key.file = other_key;
	rc = send_req(&req, &resp, &err);
	ok(rc == 0 && resp.status == 400 &&
	       strstr(buf_cstr(&resp.body), "The SSL certificate error"),
	   "a client certificate of another CA: refused (%ld): %s", resp.status,
	   rc ? err.msg : "ok");

	req.key.file = key;
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "cannot use the client certificate or key"),
	   "a certificate with the wrong key: %s (%s)", err.msg, err_kind_name(err.kind));
	http_resp_release(&resp);

	free(mu);
	free(u);
	free(key_text);
	free(cert_text);
	free(ca_text);
	free(other_key);
	free(other_cert);
	free(key);
	free(cert);
	free(other_ca);
	free(ca);
}

/*
 * OpenSSL's own server, requiring a client certificate: unlike nginx
 * (which answers 400), it ends the handshake, as dockerd --tlsverify does.
 */
static pid_t tls_strict_peer(int port)
{
	char *cert = pki("server.pem"), *key = pki("server.key"), *ca = pki("ca.pem");
	char *accept_at = xasprintf("127.0.0.1:%d", port);
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept_at,
		       "-cert", cert, "-key", key, "-CAfile", ca, "-Verify", "1",
		       "-verify_return_error", (char *)NULL);
		_exit(127);
	}
	free(accept_at);
	free(ca);
	free(key);
	free(cert);
	return pid;
}

static void test_req_tls_refused(void)
{
	struct http_resp resp = HTTP_RESP_INIT(MIB);
	char *ca = pki("ca.pem"), *cert = pki("client.pem"), *key = pki("client.key");
	char *other_cert = pki("other-client.pem"), *other_key = pki("other-client.key");
	struct http_req req = {.ca.file = ca};
	int port = net_free_port(), rc, status;
	char *u = xasprintf("https://127.0.0.1:%d/", port), *tls_url = api_url(1, "echo");
	struct err err;
	pid_t pid;

	req.url = tls_url;
	req.ca.file = "/nonexistent/ca.pem";
	rc = send_req(&req, &resp, &err);
	ok(rc == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "cannot use the CA certificate '/nonexistent/ca.pem'"),
	   "a CA file that is not there: %s (%s)", err.msg, err_kind_name(err.kind));
	req.url = u;
	req.ca.file = ca;

	pid = tls_strict_peer(port);
	if (pid < 0 || !net_wait_port(port)) {
		skip("openssl s_server did not start: no handshake refusal tests");
	} else {
		rc = send_req(&req, &resp, &err);
		ok(rc == -1 && err.kind == ERRK_DENIED &&
		       strstr(err.msg, "127.0.0.1 refused our TLS client certificate (or its "
		                       "absence)"),
		   "a server that ends the handshake without a client certificate: %s (%s)",
		   err.msg, err_kind_name(err.kind));
		req.cert.file = other_cert;
		req.key.file = other_key;
		rc = send_req(&req, &resp, &err);
		ok(rc == -1 && err.kind == ERRK_DENIED &&
		       strstr(err.msg, "refused our TLS client certificate"),
		   "  and with one of another CA: %s", err.msg);
		req.cert.file = cert;
		req.key.file = key;
		rc = send_req(&req, &resp, &err);
		ok(rc == 0 && resp.status == 200, "  and accepts the right one: %s (%ld)",
		   rc ? err.msg : "ok", resp.status);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	http_resp_release(&resp);
	free(tls_url);
	free(u);
	free(other_key);
	free(other_cert);
	free(key);
	free(cert);
	free(ca);
}

static void test_requests(void)
{
	api_run = tpath("api-run");
	if (api_start() < 0) {
		skip("nginx cannot start here (tests/servers/nginx-api.sh): no request tests");
		free(api_run);
		return;
	}
	diag("nginx (API peer) at port %ld, %ld (TLS), %ld (mutual TLS), %s/nginx.sock", api_port,
	     api_port + 1, api_port + 2, api_run);
	client = http_new();
	test_req_methods();
	test_req_upload();
	test_req_stream();
	test_req_unix();
	test_req_timeouts();
	test_req_tls();
	test_req_tls_refused();
	http_free(client);
	api_stop();
	free(api_run);
}

int main(void)
{
	char tmpl[] = "/tmp/ftboot-test-http.XXXXXX";
	char *www, *path;
	FILE *rnd;
	struct err err;

	/* What can stop the file runs before its first assertion. */
	top = getenv("FTBOOT_TOP");
	if (!top)
		top = ".";
	tmp = mkdtemp(tmpl);
	if (!tmp)
		skip_all("cannot create a temporary directory");
	run = tpath("run");
	www = tpath("www");
	fs_mkdirs(www, 0755, &err);

	/* A 3 MiB random image. */
	image = xmalloc(IMAGE_SIZE);
	rnd = fopen("/dev/urandom", "rb");
	if (!rnd || fread(image, 1, IMAGE_SIZE, rnd) != IMAGE_SIZE)
		skip_all("cannot read /dev/urandom");
	fclose(rnd);
	path = tpath("www/image");
	write_file(path, image, IMAGE_SIZE);
	free(path);
	crypto_hash_buf(CRYPTO_SHA512, image, IMAGE_SIZE, sha);

	test_version();
	test_progress_render();
	test_progress_tty();
	test_bad_args();
	test_unreachable();
	if (httpd_start() < 0) {
		skip("nginx cannot start here (tests/servers/httpd.sh): no download tests");
	} else {
		diag("nginx at %s", base);
		test_download();
		test_mismatch();
		test_sha256();
		test_resume();
		test_http_errors();
		test_stall_and_write_errors();
		test_progress_download();
		test_get();
		test_requests();
		test_offline();
		httpd_stop();
	}

	if (fs_remove_tree(tmp, &err) < 0)
		diag("%s", err.msg);
	free(www);
	free(run);
	free(base);
	free(image);
	return tap_done();
}
