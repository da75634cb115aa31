/*
 * Unit tests: the Docker Engine API client (docker.c). The build-stream
 * parser and the exec demultiplexer are fed canned streams split at every
 * byte offset; everything else runs against a real engine, Debian's
 * dockerd, started by tests/servers/dockerd.sh on a private socket and
 * with mutual TLS on 127.0.0.1 (certificates made here with openssl).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "docker.h"
#include "fs.h"
#include "xmem.h"
#include "run.h"
#include "scratch.h"
#include "tap.h"

static const char *top;
static char *tmp;

/* ---- the build stream, canned ------------------------------------------ */

/* Events as one string: "S:text|O:text|T:text|I:text|". */
struct log {
	struct buf b;
	const char *stop_on; /* cancel at the first event whose text holds this */
	int events;
};

static int log_event(void *ctx, enum docker_build_ev ev, const char *text)
{
	struct log *l = ctx;
	static const char tag[] = {'S', 'O', 'T', 'I'};

	l->events++;
	buf_addf(&l->b, "%c:%s|", tag[ev], text);
	return l->stop_on && strstr(text, l->stop_on) ? 1 : 0;
}

/* Feed text in two parts split at cut (or byte by byte when cut is -1), then end. */
static int feed_split(const char *text, size_t len, long cut, struct log *l, char **id,
                      struct err *err)
{
	struct docker_stream *s = docker_stream_new(log_event, l);
	size_t i;
	int rc = 0;

	if (cut < 0) {
		for (i = 0; i < len && rc == 0; i++)
			rc = docker_stream_feed(s, text + i, 1, err);
	} else {
		rc = docker_stream_feed(s, text, (size_t)cut, err);
		if (rc == 0)
			rc = docker_stream_feed(s, text + cut, len - (size_t)cut, err);
	}
	if (rc == 0)
		rc = docker_stream_end(s, err);
	*id = docker_stream_id(s) ? xstrdup(docker_stream_id(s)) : NULL;
	docker_stream_free(s);
	return rc;
}

static const char good_stream[] = "{\"stream\":\"Step 1/3 : FROM scratch\"}\n"
                                  "{\"stream\":\"\\n\"}\n"
                                  "{\"stream\":\" ---\\u003e \\n\"}\n"
                                  "\n"
                                  "{\"stream\":\"Step 2/3 : COPY busybox /bin/busybox\"}\r\n"
                                  "{\"stream\":\"\\n\"}\n"
                                  "{\"status\":\"Pulling fs layer\",\"id\":\"x\"}\n"
                                  "{\"stream\":\" ---\\u003e 4c2047169fec\\nline two\\npart\"}\n"
                                  "{\"stream\":\"ial line, caf\\u00e9 \\u65e5\\n\"}\n"
                                  "{\"aux\":{\"ID\":\"sha256:4c2047169fec0000\"}}\n"
                                  "{\"stream\":\"Successfully built 4c2047169fec\\n\"}\n"
                                  "{\"stream\":\"Successfully tagged t:1\\n\"}\n"
                                  "{\"stream\":\"no newline at the end\"}";

static const char good_log[] = "S:Step 1/3 : FROM scratch|O: ---> |"
                               "S:Step 2/3 : COPY busybox /bin/busybox|T:Pulling fs layer|"
                               "O: ---> 4c2047169fec|O:line two|"
                               "O:partial line, caf\xc3\xa9 \xe6\x97\xa5|"
                               "I:sha256:4c2047169fec0000|O:Successfully built 4c2047169fec|"
                               "O:Successfully tagged t:1|O:no newline at the end|";

static const char bad_stream[] =
    "{\"stream\":\"Step 1/3 : FROM scratch\\n\"}\n"
    "{\"stream\":\"Step 3/3 : RUN [\\\"/bin/busybox\\\",\\\"false\\\"]\"}\n"
    "{\"stream\":\"\\n\"}\n"
    "{\"stream\":\" ---\\u003e Running in 55efda8f9135\\n\"}\n"
    "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/busybox false' returned a "
    "non-zero code: 1\"},\"error\":\"The command '/bin/busybox false' returned a non-zero "
    "code: 1\"}\n"
    "{\"stream\":\"never seen\\n\"}\n";

static const char bad_msg[] = "Step 3/3 : RUN [\"/bin/busybox\",\"false\"]: The command "
                              "'/bin/busybox false' returned a non-zero code: 1";

static void test_stream_splits(void)
{
	size_t n = strlen(good_stream), bn = strlen(bad_stream);
	int same = 1, bad_same = 1;
	struct err err;
	char *id;
	long cut;

	for (cut = -1; cut <= (long)n; cut++) {
		struct log l = {BUF_INIT(1 << 20), NULL, 0};
		int rc = feed_split(good_stream, n, cut, &l, &id, &err);

		if (rc != 0 || strcmp(buf_cstr(&l.b), good_log) != 0 || !id ||
		    strcmp(id, "sha256:4c2047169fec0000") != 0) {
			if (same)
				diag("cut %ld: rc %d, log '%s', id %s", cut, rc, buf_cstr(&l.b),
				     id ? id : "(none)");
			same = 0;
		}
		free(id);
		buf_release(&l.b);
	}
	ok(same, "a good stream gives the same events and id split at every offset (%zu)", n);

	for (cut = -1; cut <= (long)bn; cut++) {
		struct log l = {BUF_INIT(1 << 20), NULL, 0};
		int rc = feed_split(bad_stream, bn, cut, &l, &id, &err);

		if (rc != -1 || strcmp(err.msg, bad_msg) != 0 || strstr(buf_cstr(&l.b), "never")) {
			if (bad_same)
				diag("cut %ld: rc %d, message '%s'", cut, rc,
				     rc ? err.msg : "(none)");
			bad_same = 0;
		}
		free(id);
		buf_release(&l.b);
	}
	ok(bad_same, "an error line gives the failing step and the engine's message at every "
	             "offset, and nothing after it");
}

static void test_stream_cases(void)
{
	struct log l = {BUF_INIT(4 << 20), NULL, 0};
	struct docker_stream *s;
	struct err err;
	const char *t;
	char *id, *big;
	size_t i;
	int rc;

	rc = feed_split("{\"stream\":\"a\\n\"}\n{\"stream\":\"b\"\n", 30, -1, &l, &id, &err);
	ok(rc == -1 && strstr(err.msg, "build stream line 2") != NULL,
	   "bad JSON fails naming its line: %s", err.msg);
	free(id);

	rc = feed_split("[1,2]\n", 6, 3, &l, &id, &err);
	ok(rc == -1 && strstr(err.msg, "line 1: a sequence, not an object") != NULL,
	   "a line that is not an object fails: %s", err.msg);
	free(id);

	rc = feed_split("{\"error\":\"no such file\"}\n", 26, 5, &l, &id, &err);
	is_str(rc == -1 ? err.msg : "", "no such file", "an error before any step: its message");
	free(id);

	rc = feed_split("{\"errorDetail\":{}}\n", 19, 0, &l, &id, &err);
	ok(rc == -1 && strstr(err.msg, "without a message"), "an error without a message says so");
	free(id);

	/* Control characters from the engine do not reach the message. */
	t = "{\"error\":\"a\\nb\\u001b[31mc\"}";
	rc = feed_split(t, strlen(t), 2, &l, &id, &err);
	is_str(rc == -1 ? err.msg : "", "a b [31mc", "control characters in the error are spaces");
	free(id);

	/* A line over 1 MiB is refused, fed in pieces, even without a newline. */
	big = xmalloc(1100000);
	memset(big, ' ', 1100000);
	s = docker_stream_new(log_event, &l);
	rc = 0;
	for (i = 0; i < 1100000 && rc == 0; i += 65536)
		rc = docker_stream_feed(s, big, 1100000 - i < 65536 ? 1100000 - i : 65536, &err);
	ok(rc == -1 && strstr(err.msg, "line 1 is longer than 1048576 bytes"),
	   "a line over 1 MiB fails: %s", err.msg);
	rc = docker_stream_feed(s, "{}\n", 3, &err);
	ok(rc == -1 && strstr(err.msg, "longer than"), "and the stream stays failed");
	docker_stream_free(s);

	/* A line of 900 KB is fine: its output arrives whole. */
	memcpy(big, "{\"stream\":\"", 11);
	memset(big + 11, 'x', 900000);
	memcpy(big + 900011, "\\n\"}\n", 5);
	buf_reset(&l.b);
	l.events = 0;
	rc = feed_split(big, 900016, 450000, &l, &id, &err);
	ok(rc == 0 && l.events == 1 && l.b.len == 900000 + 3, "a 900 KB line is one output event");
	free(id);
	free(big);

	/* Output without newlines, longer than 1 MiB over many lines, is cut, not refused. */
	s = docker_stream_new(log_event, &l);
	buf_reset(&l.b);
	l.events = 0;
	big = xasprintf("{\"stream\":\"%0*d\"}\n", 100000, 7);
	for (i = 0, rc = 0; i < 12 && rc == 0; i++)
		rc = docker_stream_feed(s, big, strlen(big), &err);
	ok(rc == 0 && l.events == 1,
	   "1.2 MB of output without a newline: one piece of 1 MiB so far");
	ok(docker_stream_end(s, &err) == 0 && l.events == 2 && l.b.len == 1200000 + 6,
	   "and the rest at the end");
	docker_stream_free(s);
	free(big);

	/* Cancel: the callback's 1 stops the stream for good. */
	buf_reset(&l.b);
	l.stop_on = "Step 2/3";
	rc = feed_split(good_stream, strlen(good_stream), 100, &l, &id, &err);
	is_int(rc, 1, "the callback's 1 cancels");
	ok(strstr(buf_cstr(&l.b), "Pulling") == NULL, "no event after the cancel");
	free(id);
	s = docker_stream_new(log_event, &l);
	docker_stream_feed(s, good_stream, strlen(good_stream), &err);
	is_int(docker_stream_feed(s, "{}\n", 3, &err), 1, "a feed after a cancel says cancelled");
	is_int(docker_stream_end(s, &err), 1, "and so does the end");
	docker_stream_free(s);
	l.stop_on = NULL;

	/* "Successfully built" gives the id when no aux came; NULL events are fine. */
	s = docker_stream_new(NULL, NULL);
	rc = docker_stream_feed(s, "{\"stream\":\"Successfully built 0123abcd\\n\"}\n", 43, &err);
	ok(rc == 0 && docker_stream_id(s) && !strcmp(docker_stream_id(s), "0123abcd"),
	   "\"Successfully built X\" sets the id");
	docker_stream_free(s);
	s = docker_stream_new(NULL, NULL);
	ok(docker_stream_end(s, &err) == 0 && docker_stream_id(s) == NULL,
	   "an empty stream: no id, no error");
	docker_stream_free(s);

	/* "Step" lookalikes are output. */
	buf_reset(&l.b);
	t = "{\"stream\":\"Step 1/x : no\\nStep 1/2: no\\nStep /2 : no\\nStep 10/12 : RUN x\\n\"}";
	rc = feed_split(t, strlen(t), 7, &l, &id, &err);
	is_str(buf_cstr(&l.b),
	       "O:Step 1/x : no|O:Step 1/2: no|O:Step /2 : no|S:Step 10/12 : RUN x|",
	       "only \"Step N/M : \" is a step");
	free(id);
	buf_release(&l.b);
}

/* ---- the demultiplexer, canned ----------------------------------------- */

static size_t frame(char *at, int type, const char *payload, size_t n)
{
	at[0] = (char)type;
	at[1] = at[2] = at[3] = 0;
	at[4] = (char)(n >> 24);
	at[5] = (char)(n >> 16);
	at[6] = (char)(n >> 8);
	at[7] = (char)n;
	memcpy(at + 8, payload, n);
	return 8 + n;
}

static void test_demux(void)
{
	char s[256];
	size_t n = 0, cut, i;
	int same = 1, rc;
	struct docker_demux m;
	struct buf out = BUF_INIT(1024), errout = BUF_INIT(1024), small = BUF_INIT(4);
	struct err err;

	n += frame(s + n, 1, "hello ", 6);
	n += frame(s + n, 2, "oops\n", 5);
	n += frame(s + n, 1, "", 0);
	n += frame(s + n, 0, "w\0rld", 5);
	n += frame(s + n, 2, "again", 5);
	for (cut = 0; cut <= n + 1; cut++) {
		buf_reset(&out);
		buf_reset(&errout);
		docker_demux_init(&m, &out, &errout);
		if (cut == n + 1) {
			for (i = 0, rc = 0; i < n && rc == 0; i++)
				rc = docker_demux_feed(&m, s + i, 1, &err);
		} else {
			rc = docker_demux_feed(&m, s, cut, &err);
			if (rc == 0)
				rc = docker_demux_feed(&m, s + cut, n - cut, &err);
		}
		if (rc != 0 || out.len != 11 || memcmp(out.data, "hello w\0rld", 11) != 0 ||
		    strcmp(buf_cstr(&errout), "oops\nagain") != 0 || m.have != 0)
			same = 0;
	}
	ok(same, "frames split at every offset give the same stdout and stderr");

	docker_demux_init(&m, NULL, &errout);
	buf_reset(&errout);
	ok(docker_demux_feed(&m, s, n, &err) == 0 && !strcmp(buf_cstr(&errout), "oops\nagain"),
	   "a NULL stdout buffer discards stdout");

	n = frame(s, 3, "x", 1);
	docker_demux_init(&m, &out, &errout);
	ok(docker_demux_feed(&m, s, n, &err) == -1 && strstr(err.msg, "frame of type 3"),
	   "an unknown frame type fails: %s", err.msg);
	n = frame(s, 1, "x", 1);
	s[2] = 1;
	docker_demux_init(&m, &out, &errout);
	ok(docker_demux_feed(&m, s, n, &err) == -1, "a frame header with padding set fails");

	n = frame(s, 1, "12345", 5);
	docker_demux_init(&m, &small, NULL);
	ok(docker_demux_feed(&m, s, n, &err) == -1 && strstr(err.msg, "stdout passed 4 bytes"),
	   "stdout past its buffer's limit fails: %s", err.msg);

	/* A frame announcing 4 GiB - 1 takes what comes, without allocating for it. */
	n = frame(s, 1, "abc", 3);
	s[4] = s[5] = s[6] = s[7] = (char)0xFF;
	docker_demux_init(&m, &out, NULL);
	buf_reset(&out);
	ok(docker_demux_feed(&m, s, n, &err) == 0 && m.left == 0xFFFFFFFFULL - 3 && out.len == 3,
	   "a huge announced frame is read as it comes");
	buf_release(&out);
	buf_release(&errout);
	buf_release(&small);
}

/* ---- hosts refused before any connection -------------------------------- */

static void test_hosts(void)
{
	static const char *const bad[] = {
	    "http://127.0.0.1:2375",
	    "https://127.0.0.1:2376",
	    "tcp://127.0.0.1",
	    "tcp://:2376",
	    "tcp://h:0",
	    "tcp://h:99999",
	    "tcp://h:2376/x",
	    "tcp://h:2376?insecure=1",
	    "unix://relative.sock",
	    "ssh://user@host",
	    "",
	    "tcp://[::1:2376",
	    "tcp://h o:1",
	};
	struct docker_engine e = {NULL, "/nonexistent/ca.pem", "/nonexistent/c.pem",
	                          "/nonexistent/k.pem"};
	struct docker *d = NULL;
	struct err err;
	char *h;
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.host = bad[i];
		if (docker_open(&e, 0, &d, &err) != -1 || err.kind != ERRK_INVALID || d) {
			diag("host '%s' was not refused as invalid: %s", bad[i], err.msg);
			all = 0;
		}
	}
	ok(all, "bad host forms are refused as invalid (%zu)", i);

	e.host = "tcp://127.0.0.1:2376";
	e.key = NULL;
	ok(docker_open(&e, 0, &d, &err) == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "tcp:// needs TLS"),
	   "tcp:// without TLS files is refused: %s", err.msg);

	h = xasprintf("unix://%s/none.sock", tmp);
	e.host = h;
	ok(docker_open(&e, 2000, &d, &err) == -1 && err.kind == ERRK_TRANSIENT &&
	       strstr(err.msg, "is the engine running at"),
	   "a socket nobody listens on: transient, with what to do: %s", err.msg);
	free(h);
}

/* ---- against a real engine --------------------------------------------- */

static char *sock_host, *tls_host, *run_dir;
static char *pki; /* CA, server, client, other CA and its client */

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

static char *pki_file(const char *name)
{
	return xasprintf("%s/%s", pki, name);
}

/* A CA, other-ca, a server certificate for 127.0.0.1 only, clients of each CA. */
static int make_pki(void)
{
	char *cmd;
	int rc;

	pki = tpath("pki");
	cmd = xasprintf(
	    "set -e; d='%s'; mkdir -p \"$d\"; cd \"$d\"; exec 2>openssl.log\n"
	    "for ca in ca other-ca; do openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "
	    "\"/CN=ftboot test $ca\"; done\n"
	    "leaf() { printf '%%s\\n' \"$3\" >$1.ext; openssl req -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj \"/CN=ftboot test "
	    "$1\"; "
	    "openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -days 2 "
	    "-extfile $1.ext -out $1.pem; }\n"
	    "leaf server ca 'subjectAltName=IP:127.0.0.1'\n"
	    "leaf client ca 'extendedKeyUsage=clientAuth'\n"
	    "leaf other-client other-ca 'extendedKeyUsage=clientAuth'\n",
	    pki);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int engine_start(void)
{
	char *ca = pki_file("ca.pem"), *cert = pki_file("server.pem"),
	     *key = pki_file("server.key");
	char *cmd, line[4096] = "", port[32] = "";
	FILE *fp;
	int rc;

	run_dir = tpath("dockerd");
	cmd = xasprintf("'%s/tests/servers/dockerd.sh' start '%s' '%s' '%s' '%s'", top, run_dir, ca,
	                cert, key);
	fp = popen(cmd, "r");
	free(cmd);
	free(ca);
	free(cert);
	free(key);
	if (!fp)
		return -1;
	if (!fgets(line, sizeof(line), fp) || !fgets(port, sizeof(port), fp))
		line[0] = '\0';
	rc = pclose(fp);
	line[strcspn(line, "\n")] = '\0';
	port[strcspn(port, "\n")] = '\0';
	if (rc != 0 || !line[0] || !port[0])
		return -1;
	sock_host = xasprintf("unix://%s", line);
	tls_host = xasprintf("tcp://127.0.0.1:%s", port);
	return 0;
}

static void engine_stop(void)
{
	char *cmd = xasprintf("'%s/tests/servers/dockerd.sh' stop '%s'", top, run_dir);

	if (system(cmd) != 0)
		diag("dockerd.sh stop failed");
	free(cmd);
}

/* The docker CLI (Debian's) against the test engine: args, NULL-terminated; stdout into out. */
static int cli(struct buf *out, const char *const *args)
{
	const char *argv[16] = {"/usr/bin/docker", "-H", sock_host};
	size_t i;

	for (i = 0; args[i] && i < 12; i++)
		argv[3 + i] = args[i];
	argv[3 + i] = NULL;
	buf_reset(out);
	return run_capture(argv, out, 0);
}

/* Containers the engine has, running or not ("" when none). */
static char *containers(void)
{
	struct buf out = BUF_INIT(1 << 16);

	if (cli(&out, (const char *const[]){"ps", "-a", "-q", NULL}) != 0)
		return xstrdup("(docker ps failed)");
	return buf_detach(&out, NULL);
}

/* Wait (bounded: 30 s) until the engine has no container but those in keep. */
static int containers_gone(const char *keep)
{
	char *c = NULL;
	int i;

	for (i = 0; i < 300; i++) {
		free(c);
		c = containers();
		if (strcmp(c, keep) == 0)
			break;
		usleep(100 * 1000);
	}
	if (strcmp(c, keep) != 0)
		diag("containers left: %s", c);
	i = strcmp(c, keep) == 0;
	free(c);
	return i;
}

struct file_reader {
	int fd;
};

static long read_file(void *ctx, char *data, size_t size, struct err *err)
{
	struct file_reader *r = ctx;
	ssize_t n = read(r->fd, data, size);

	if (n < 0)
		return err_sys(err, errno, "cannot read the context");
	return (long)n;
}

/* A context directory holding dockerfile (as name) and, with bb, busybox; packed by tar -czf. */
static char *make_context(const char *dir, const char *name, const char *dockerfile, int bb)
{
	char *d = tpath(dir), *df = xasprintf("%s/%s", d, name), *tgz = xasprintf("%s.tgz", d);
	char *cmd;
	struct err err;

	if (fs_mkdirs(d, 0755, &err) < 0 ||
	    fs_write_atomic(df, dockerfile, strlen(dockerfile), 0644, 0, &err) < 0)
		diag("%s", err.msg);
	if (bb)
		cmd =
		    xasprintf("cp /bin/busybox '%s/busybox' && tar -czf '%s' -C '%s' .", d, tgz, d);
	else
		cmd = xasprintf("tar -czf '%s' -C '%s' .", tgz, d);
	if (system(cmd) != 0)
		diag("cannot pack %s", d);
	free(cmd);
	free(df);
	free(d);
	return tgz;
}

static int build(struct docker *d, const char *tgz, struct docker_build_opts *o, char **id,
                 struct err *err)
{
	struct file_reader r = {open(tgz, O_RDONLY | O_CLOEXEC)};
	int rc;

	o->read = read_file;
	o->read_ctx = &r;
	rc = docker_build(d, o, id, err);
	if (r.fd >= 0)
		close(r.fd);
	return rc;
}

/* Pack dockerfile (as name, with busybox when bb) in the context dir, and build it with o. */
static int build_in(struct docker *d, const char *dir, const char *name, const char *dockerfile,
                    int bb, struct docker_build_opts *o, char **id, struct err *err)
{
	char *tgz = make_context(dir, name, dockerfile, bb);
	int rc = build(d, tgz, o, id, err);

	free(tgz);
	return rc;
}

static int has_tag(const struct docker_image *img, const char *tag)
{
	size_t i;

	for (i = 0; img->tags && img->tags[i]; i++)
		if (strcmp(img->tags[i], tag) == 0)
			return 1;
	return 0;
}

static const char greeting[] = "h\xc3\xa9llo w\xc3\xb6rld &=?+% \"q\"";

static void test_engine(void)
{
	static const char *const base_tags[] = {"ftboot-test/base:1", "ftboot-test/base:latest",
	                                        NULL};
	static const char *const labels[] = {"ftboot.test", "yes", "ftboot.hash", "a b&c=d", NULL};
	static const char *const args[] = {"GREETING", greeting, NULL};
	static const char *const child_tags[] = {"ftboot-test/child:1", NULL};
	static const char *const fail_tags[] = {"ftboot-test/fail:1", NULL};
	static const char *const cancel_tags[] = {"ftboot-test/cancel:1", NULL};
	struct docker_engine e = {sock_host, NULL, NULL, NULL};
	struct docker_build_opts o;
	struct docker_image img, *list = NULL;
	struct docker *d = NULL;
	struct log l = {BUF_INIT(1 << 20), NULL, 0};
	struct buf out = BUF_INIT(1 << 20), errout = BUF_INIT(1 << 20), small = BUF_INIT(100);
	char *id = NULL, *id2 = NULL, *cid = NULL, *c;
	struct err err;
	cpu_set_t cpus;
	size_t n = 0, i;
	int ncpu = 0, code = -1, steps, rc;

	if (docker_open(&e, 0, &d, &err) < 0) {
		ok(0, "open the engine over its socket: %s", err.msg);
		return;
	}
	is_str(docker_api_version(d), "1.41", "negotiated API 1.41 with Debian's 20.10 engine");
	ok(strncmp(docker_server_version(d), "20.10.", 6) == 0, "the engine's version: %s",
	   docker_server_version(d));
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	ok(docker_ncpu(d, &ncpu, &err) == 0 && ncpu == CPU_COUNT(&cpus),
	   "NCPU %d is this machine's %d", ncpu, CPU_COUNT(&cpus));

	/* The base: FROM scratch, busybox, a build argument, labels, two tags. */
	memset(&o, 0, sizeof(o));
	o.tags = base_tags;
	o.labels = labels;
	o.buildargs = args;
	o.dockerfile = "Dockerfile.base";
	o.event = log_event;
	o.event_ctx = &l;
	if (build_in(d, "base", "Dockerfile.base",
	             "FROM scratch\nCOPY busybox /bin/busybox\nARG GREETING\n"
	             "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo \\\"$GREETING\\\" > "
	             "/greeting && echo built with '>' in it\"]\n",
	             1, &o, &id, &err) < 0) {
		ok(0, "build the base: %s", err.msg);
		goto out;
	}
	ok(strncmp(id, "sha256:", 7) == 0, "the base is built: %s", id);
	for (steps = 0, c = l.b.data; (c = strstr(c, "S:Step ")) != NULL; c++)
		steps++;
	is_int(steps, 6, "six step events (the two labels are steps too)");
	if (steps != 6)
		diag("events: %s", buf_cstr(&l.b));
	ok(strstr(buf_cstr(&l.b), "O:built with > in it|") != NULL,
	   "the RUN's output is an output event, \\u003e decoded");
	ok(strstr(buf_cstr(&l.b), "I:sha256:") != NULL, "the id came as an event");

	ok(docker_image_inspect(d, "ftboot-test/base:latest", &img, &err) == 0,
	   "inspect the base by its tag");
	is_str(img.id, id, "the inspected id is the built one");
	ok(has_tag(&img, "ftboot-test/base:1") && has_tag(&img, "ftboot-test/base:latest"),
	   "both tags");
	is_str(docker_image_label(&img, "ftboot.hash"), "a b&c=d",
	       "the label's value came through");
	ok(docker_image_label(&img, "nope") == NULL, "an absent label is NULL");
	ok(img.size > 1000000 && img.created > time(NULL) - 86400 && img.created <= time(NULL) + 60,
	   "size %lld, created %lld", img.size, img.created);
	docker_image_release(&img);

	ok(docker_image_list(d, "ftboot.hash=a b&c=d", &list, &n, &err) == 0 && n == 1 &&
	       !strcmp(list[0].id, id) && has_tag(&list[0], "ftboot-test/base:1") &&
	       docker_image_label(&list[0], "ftboot.test"),
	   "list by label finds the base: %zu", n);
	docker_images_free(list, n);
	ok(docker_image_list(d, "ftboot.test=no", &list, &n, &err) == 0 && n == 0,
	   "list by another value finds none");
	docker_images_free(list, n);
	ok(docker_image_list(d, NULL, &list, &n, &err) == 0 && n >= 1, "list all: %zu", n);
	docker_images_free(list, n);

	ok(docker_image_inspect(d, "ftboot-test/none:1", &img, &err) == -1 &&
	       err.kind == ERRK_NOTFOUND && strstr(err.msg, "inspect image 'ftboot-test/none:1'") &&
	       strstr(err.msg, "HTTP 404: no such image"),
	   "inspect of a missing image: not found, the engine's message: %s", err.msg);
	ok(docker_image_inspect(d, "a b", &img, &err) == -1 && err.kind == ERRK_INVALID &&
	       strstr(err.msg, "HTTP 400: ") && strstr(err.msg, "invalid reference format"),
	   "an invalid reference: the engine's own message: %s", err.msg);

	/* A second image FROM the first's tag. */
	memset(&o, 0, sizeof(o));
	o.tags = child_tags;
	ok(build_in(
	       d, "child", "Dockerfile",
	       "FROM ftboot-test/base:1\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo child > "
	       "/child\"]\n",
	       0, &o, &id2, &err) == 0 &&
	       strcmp(id2, id) != 0,
	   "a second image FROM the first's tag");
	free(id2);
	id2 = NULL;

	/* A failing step: its name and the engine's message, and no container left. */
	memset(&o, 0, sizeof(o));
	o.tags = fail_tags;
	ok(build_in(
	       d, "fail", "Dockerfile",
	       "FROM ftboot-test/base:1\nCOPY Dockerfile /\nRUN [\"/bin/busybox\", \"false\"]\n", 0,
	       &o, &id2, &err) == -1 &&
	       strstr(err.msg, "build 'ftboot-test/fail:1': Step 3/3 : RUN") &&
	       strstr(err.msg, "returned a non-zero code: 1"),
	   "a failing RUN names its step and the engine's message: %s", err.msg);
	free(id2);
	id2 = NULL;
	c = containers();
	is_str(c, "", "no container left after the failed build");
	free(c);

	/* A label without a value is refused before anything is sent. */
	memset(&o, 0, sizeof(o));
	o.labels = (const char *const[]){"ftboot.k\x01", NULL};
	ok(build_in(d, "nolabel", "Dockerfile", "FROM scratch\n", 0, &o, &id2, &err) == -1 &&
	       err.kind == ERRK_INVALID && strstr(err.msg, "build: label 'ftboot.k?' has no value"),
	   "a label without a value: %s", err.msg);

	/* Cancel while the RUN step starts: "cancelled", and the engine removes its container. */
	memset(&o, 0, sizeof(o));
	o.tags = cancel_tags;
	o.nocache = 1;
	o.event = log_event;
	o.event_ctx = &l;
	l.stop_on = "sleep";
	buf_reset(&l.b);
	ok(build_in(d, "cancel", "Dockerfile",
	            "FROM ftboot-test/base:1\nRUN [\"/bin/busybox\", \"sleep\", \"30\"]\n", 0, &o,
	            &id2, &err) == -1 &&
	       strstr(err.msg, "cancelled"),
	   "the event callback cancels the build: %s", err.msg);
	l.stop_on = NULL;
	ok(containers_gone(""), "no container remains after the cancel");
	ok(docker_image_inspect(d, "ftboot-test/cancel:1", &img, &err) == -1 &&
	       err.kind == ERRK_NOTFOUND,
	   "and no image is tagged");

	/* Exec in a running container. */
	if (cli(&out, (const char *const[]){"run", "-d", "--network", "none", "ftboot-test/base:1",
	                                    "/bin/busybox", "sleep", "1000", NULL}) != 0) {
		ok(0, "docker run the base");
		goto out;
	}
	cid = xstrndup(buf_cstr(&out), strcspn(buf_cstr(&out), "\n"));
	{
		const char *argv[] = {"/bin/busybox", "sh", "-c",
		                      "cat /greeting; echo to-stderr >&2; exit 3", NULL};

		buf_reset(&out);
		ok(docker_exec(d, cid, argv, &out, &errout, &code, 0, &err) == 0,
		   "exec in the container: %s", code == -1 ? err.msg : "ok");
		c = xasprintf("%s\n", greeting);
		is_str(buf_cstr(&out), c, "stdout: the build argument, byte for byte");
		free(c);
		is_str(buf_cstr(&errout), "to-stderr\n", "stderr apart");
		is_int(code, 3, "the exit code");
	}
	{
		const char *argv[] = {"/bin/busybox", "seq", "1", "100000", NULL};
		struct buf want = BUF_INIT(1 << 20);

		for (i = 1; i <= 100000; i++)
			buf_addf(&want, "%zu\n", i);
		buf_reset(&out);
		buf_reset(&errout);
		ok(docker_exec(d, cid, argv, &out, &errout, &code, 0, &err) == 0 && code == 0 &&
		       out.len == want.len && memcmp(out.data, want.data, want.len) == 0 &&
		       errout.len == 0,
		   "a 588 KB output over many frames arrives whole (%zu bytes)", out.len);
		ok(docker_exec(d, cid, argv, &small, NULL, &code, 0, &err) == -1 &&
		       strstr(err.msg, "stdout passed 100 bytes"),
		   "an output past its buffer's limit fails: %s", err.msg);
		buf_release(&want);
	}
	{
		const char *argv[] = {"/bin/nothing-here", NULL};

		buf_reset(&out);
		rc = docker_exec(d, cid, argv, &out, &errout, &code, 0, &err);
		ok(rc == 0 && code == 126 && strstr(buf_cstr(&out), "no such file or directory"),
		   "a command that does not exist: exit %d, the runtime's words on stdout",
		   rc ? -1 : code);
		ok(docker_exec(d, cid, (const char *const[]){"/bin/busybox", "sleep", "30", NULL},
		               &out, NULL, &code, 300, &err) == -1 &&
		       err.kind == ERRK_TIMEOUT,
		   "exec past its bound (0.3 s for a 30 s sleep): timed out: %s", err.msg);
		ok(docker_exec(d, "ftboot-test-no-such", argv, &out, NULL, &code, 0, &err) == -1 &&
		       err.kind == ERRK_NOTFOUND && strstr(err.msg, "HTTP 404: "),
		   "exec in a missing container: not found: %s", err.msg);
	}

	/* A container that is not running: invalid; an image in use: the engine's conflict. */
	if (cli(&out, (const char *const[]){"create", "--network", "none", "--name",
	                                    "ftboot-test-stopped", "ftboot-test/child:1",
	                                    "/bin/busybox", "true", NULL}) == 0) {
		const char *argv[] = {"/bin/busybox", "true", NULL};

		ok(docker_exec(d, "ftboot-test-stopped", argv, &out, NULL, &code, 0, &err) == -1 &&
		       err.kind == ERRK_INVALID && strstr(err.msg, "is not running"),
		   "exec in a stopped container: invalid: %s", err.msg);
		ok(docker_image_remove(d, "ftboot-test/child:1", 0, &err) == -1 &&
		       err.kind == ERRK_EXISTS && strstr(err.msg, "HTTP 409: conflict") &&
		       strstr(err.msg, "remove image 'ftboot-test/child:1'"),
		   "removing an image a container uses: the engine's conflict: %s", err.msg);
		cli(&out, (const char *const[]){"rm", "-f", "ftboot-test-stopped", NULL});
	} else {
		ok(0, "docker create a container");
	}
	ok(docker_image_remove(d, "ftboot-test/child:1", 0, &err) == 0 &&
	       docker_image_inspect(d, "ftboot-test/child:1", &img, &err) == -1 &&
	       err.kind == ERRK_NOTFOUND,
	   "remove an image: it is gone");
	ok(docker_image_remove(d, "ftboot-test/child:1", 0, &err) == 0,
	   "removing an absent image is fine");

out:
	if (cid)
		cli(&out, (const char *const[]){"rm", "-f", cid, NULL});
	docker_close(d);
	free(id);
	free(id2);
	free(cid);
	buf_release(&l.b);
	buf_release(&out);
	buf_release(&errout);
	buf_release(&small);
}

static void test_tls(void)
{
	char *ca = pki_file("ca.pem"), *cert = pki_file("client.pem"),
	     *key = pki_file("client.key");
	char *oca = pki_file("other-ca.pem"), *ocert = pki_file("other-client.pem");
	char *okey = pki_file("other-client.key"), *local;
	struct docker_engine e = {tls_host, ca, cert, key};
	struct docker *d = NULL;
	struct err err;
	int ncpu = 0;

	ok(docker_open(&e, 0, &d, &err) == 0, "open the engine over mutual TLS: %s",
	   d ? tls_host : err.msg);
	if (d) {
		is_str(docker_api_version(d), "1.41", "API 1.41 over TLS too");
		ok(docker_ncpu(d, &ncpu, &err) == 0 && ncpu >= 1, "a call over TLS");
		docker_close(d);
		d = NULL;
	}

	e.cert = ocert;
	e.key = okey;
	ok(docker_open(&e, 0, &d, &err) == -1 && err.kind == ERRK_DENIED && !d,
	   "a client certificate from another CA is refused: %s", err.msg);

	e.cert = cert;
	e.key = key;
	e.ca = oca;
	ok(docker_open(&e, 0, &d, &err) == -1 && err.kind == ERRK_DENIED &&
	       strstr(err.msg, "must come from the CA"),
	   "an engine whose certificate is from another CA is refused: %s", err.msg);

	e.ca = ca;
	local = xasprintf("tcp://localhost:%s", strrchr(tls_host, ':') + 1);
	e.host = local;
	ok(docker_open(&e, 0, &d, &err) == -1 && err.kind == ERRK_DENIED,
	   "an engine whose certificate is for another address is refused: %s", err.msg);
	free(local);

	free(ca);
	free(cert);
	free(key);
	free(oca);
	free(ocert);
	free(okey);
}

/* The engine gone: its TCP port refuses, transient, with what to do. */
static void test_stopped(void)
{
	char *ca = pki_file("ca.pem"), *cert = pki_file("client.pem"),
	     *key = pki_file("client.key");
	struct docker_engine e = {tls_host, ca, cert, key};
	struct docker *d = NULL;
	struct err err;

	ok(docker_open(&e, 0, &d, &err) == -1 && err.kind == ERRK_TRANSIENT &&
	       strstr(err.msg, "is the engine running at 'tcp://127.0.0.1:"),
	   "a stopped engine's TCP port: transient: %s", err.msg);
	free(ca);
	free(cert);
	free(key);
}

int main(void)
{
	const char *why = NULL;
	int engine = 0;

	top = getenv("FTBOOT_TOP");
	if (!top)
		top = ".";
	tmp = scratch_open("docker");
	/* The engine first, so a machine without one says why before any test. */
	if (getuid() != 0)
		why = "dockerd needs root: no engine tests";
	else if (access("/usr/sbin/dockerd", X_OK) != 0 || access("/usr/bin/docker", X_OK) != 0)
		why = "docker.io is not installed (tests/deps.sh test): no engine tests";
	else if (make_pki() < 0)
		why = "openssl cannot make the test certificates: no engine tests";
	else if (engine_start() < 0)
		why = "dockerd cannot start here (tests/servers/dockerd.sh): no engine tests";
	else
		engine = 1;
	if (why)
		skip(why);

	test_stream_splits();
	test_stream_cases();
	test_demux();
	test_hosts();
	if (engine) {
		test_engine();
		test_tls();
		engine_stop();
		test_stopped();
	}
	free(sock_host);
	free(tls_host);
	free(run_dir);
	free(pki);
	scratch_close(tmp);
	return tap_done();
}
