/*
 * Unit tests: the image plan. The Dockerfile FROM parser (directives,
 * comments, continuations, stages, ARGs, CRLF, BOM, every error with its
 * position), and image_plan over real context directories: the order of
 * local bases, every planning error, and the hash: stable, changed by a
 * context file or a base, not by an ignored file or an mtime.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fs.h"
#include "image.h"
#include "scratch.h"
#include "tap.h"
#include "tgz.h"
#include "xmem.h"

static char *dir;

/* The bases of a Dockerfile as "IMAGE@LINE:COL ...", or "error: MESSAGE". */
static const char *bases_n(const char *text, size_t len)
{
	static char out[ERR_MSG_MAX + 16];
	struct image_from *v = NULL;
	struct err err;
	size_t n = 0, i, at = 0;

	err_clear(&err);
	if (image_dockerfile_bases("Dockerfile", text, len, &v, &n, &err) < 0) {
		snprintf(out, sizeof(out), "error: %s", err.msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s@%u:%u", i ? " " : "",
		                       v[i].image, v[i].line, v[i].col);
	image_froms_free(v, n);
	return out;
}

static const char *bases(const char *text)
{
	return bases_n(text, strlen(text));
}

static void test_parser(void)
{
	is_str(bases("FROM alpine:3.19\nRUN true\n"), "alpine:3.19@1:6", "one FROM");
	is_str(bases("from alpine\n"), "alpine@1:6", "instructions are case-insensitive");
	is_str(bases("FROM scratch\n"), "", "scratch is no base");
	is_str(bases("FROM   --platform=linux/amd64   debian AS Build\nRUN x\n"
	             "FROM build\nFROM BUILD AS two\nfrom two\nFROM ftboot/web\n"),
	       "debian@1:33 ftboot/web@6:6", "stages: a FROM naming an earlier stage is no base");
	is_str(bases("# syntax=docker/dockerfile:1\n# escape=`\n\nFROM a `\n  AS b\nRUN x \\\n"),
	       "a@4:6", "escape directive: ` continues lines, \\ does not");
	is_str(bases("# unknown=1\n# escape=`\nFROM a `\n  AS b\n"),
	       "error: Dockerfile:3:8: FROM takes an image and optionally AS NAME: FROM "
	       "[--platform=P] IMAGE [AS NAME]",
	       "an unknown directive is a comment and ends the directives");
	is_str(bases("# check=skip=all\n# escape=`\nFROM a `\n  AS b\n"), "a@3:6",
	       "check and syntax are directives");
	is_str(bases("# Escape = `\nFROM c:\\x\n"), "c:\\x@2:6",
	       "directive names are case-insensitive, blanks allowed");
	is_str(bases("# comment\n# escape=`\nFROM a `\n  AS b\n"),
	       "error: Dockerfile:3:8: FROM takes an image and optionally AS NAME: FROM "
	       "[--platform=P] IMAGE [AS NAME]",
	       "a directive after a comment is a comment: ` does not continue");
	is_str(bases("FROM \\\n# a comment inside\n\n   alp\\\nine \\\n AS x\n"), "alpine@4:4",
	       "continuations skip comment and blank lines; the image's column is where it is");
	is_str(bases("FROM a \\  \t\nAS b\n"), "a@1:6", "blanks after the escape still continue");
	is_str(bases("FROM a\r\nFROM b\r\n"), "a@1:6 b@2:6", "CRLF line ends");
	is_str(bases("FROM a \\\r\n AS b\r\nFROM c\r\n"), "a@1:6 c@3:6", "a CRLF continuation");
	is_str(bases("\xEF\xBB\xBF"
	             "FROM a\n"),
	       "a@1:6", "a UTF-8 BOM is stripped and not counted");
	is_str(bases("\xEF\xBB\xBF# escape=`\nFROM a `\n AS b\n"), "a@2:6",
	       "a directive right after the BOM");
	is_str(bases("FROM a\n\xEF\xBB\xBF"
	             "FROM b\n"),
	       "a@1:6", "a BOM later is part of a word");
	is_str(bases("FROM a\nRUN x\nARG V=1\nFROM b$V\n"), "a@1:6 b@4:6",
	       "an ARG after FROM is a stage's, not substituted in FROM");
	is_str(bases("ARG V=3.19\nARG BASE=alpine:$V X\nFROM ${BASE}\nFROM $X-y\nFROM \"q$V\"\n"
	             "FROM 'q$V'\nFROM a\\$V\n"),
	       "alpine:3.19@3:6 -y@4:6 q3.19@5:6 q$V@6:6 a$V@7:6",
	       "meta ARGs: ${V}, $V, an ARG without default is empty, quotes, the escape");
	is_str(bases("ARG A=\"x y\" B=ftboot/$A\nFROM $B\n"), "ftboot/x y@2:6",
	       "a quoted ARG value keeps its blank");
	is_str(bases("ARG R=ftboot\nFROM $R/web:latest\n"), "ftboot/web:latest@2:6",
	       "a local base through an ARG");
	is_str(bases("FROM a$\n"), "a$@1:6", "a lone $ is itself");
	is_str(bases("FROM é\nFROM \xC3\xA9 \\\n  AS x\nFROM ñb\n"), "é@1:6 é@2:6 ñb@4:6",
	       "multi-byte text");
	is_str(bases("FROM a \\"), "a@1:6", "a continuation at the end of the file");
	is_str(bases("FROM a"), "a@1:6", "no final newline");

	/* Errors, each with its position. */
	is_str(bases(""),
	       "error: Dockerfile:1:1: no FROM instruction; a Dockerfile needs one, e.g. FROM "
	       "scratch",
	       "empty");
	is_str(bases("# only a comment\n\n"),
	       "error: Dockerfile:1:1: no FROM instruction; a Dockerfile needs one, e.g. FROM "
	       "scratch",
	       "only comments");
	is_str(bases("ARG x\nRUN echo\nFROM a\n"),
	       "error: Dockerfile:2:1: 'RUN' before the first FROM; a Dockerfile starts with FROM "
	       "(only ARG may come before it)",
	       "an instruction before FROM");
	is_str(bases("  FROM\n"), "error: Dockerfile:1:3: FROM needs an image, e.g. FROM scratch",
	       "FROM without image");
	is_str(bases("FROM a b\n"),
	       "error: Dockerfile:1:8: FROM takes an image and optionally AS NAME: FROM "
	       "[--platform=P] IMAGE [AS NAME]",
	       "FROM with two words");
	is_str(bases("FROM a IS b\n"),
	       "error: Dockerfile:1:8: FROM takes an image and optionally AS NAME: FROM "
	       "[--platform=P] IMAGE [AS NAME]",
	       "FROM a IS b");
	is_str(bases("FROM a AS b c\n"),
	       "error: Dockerfile:1:13: FROM takes an image and optionally AS NAME: FROM "
	       "[--platform=P] IMAGE [AS NAME]",
	       "FROM with a word after the name");
	is_str(bases("FROM --pull=always a\n"),
	       "error: Dockerfile:1:6: FROM: unknown flag '--pull=always'; FROM takes only "
	       "--platform=PLATFORM",
	       "an unknown flag");
	is_str(bases("ARG X\nFROM $X\n"),
	       "error: Dockerfile:2:6: FROM names no image ('$X' is empty); give the ARG a "
	       "default",
	       "an empty image");
	is_str(bases("ARG X=a\nFROM é${X:-b}\n"),
	       "error: Dockerfile:2:7: '${X:-b}' is not supported here; ftboot reads $NAME and "
	       "${NAME} in FROM (give the ARG its default instead: ARG NAME=VALUE)",
	       "${X:-b} is refused, columns in characters");
	is_str(bases("FROM ${X\n"),
	       "error: Dockerfile:1:6: '${' is not closed; write ${NAME} or $NAME", "${ unclosed");
	is_str(bases("FROM ${}\n"),
	       "error: Dockerfile:1:6: '${}' is not supported here; ftboot reads $NAME and "
	       "${NAME} in FROM (give the ARG its default instead: ARG NAME=VALUE)",
	       "${} refused");
	is_str(bases("FROM 'a\n"), "error: Dockerfile:1:6: a single quote is not closed",
	       "unclosed quote");
	is_str(bases("ARG =x\nFROM a\n"), "error: Dockerfile:1:5: ARG needs a name before '='",
	       "ARG =x");
	is_str(bases("ARG\nFROM a\n"),
	       "error: Dockerfile:1:4: ARG needs a name, e.g. ARG VERSION=1.0", "ARG alone");
	is_str(bases("# escape=x\nFROM a\n"),
	       "error: Dockerfile:1:10: escape must be '\\' or '`', not 'x'", "a bad escape");
	is_str(bases("# escape=\\\n# escape=`\nFROM a\n"),
	       "error: Dockerfile:2:3: only one escape parser directive may be used",
	       "two escape directives");
	is_str(bases_n("FROM a\nRUN \0x\n", 14),
	       "error: Dockerfile:2:5: a NUL byte; a Dockerfile is text (is this the right "
	       "file?)",
	       "a NUL byte");
	is_str(bases("FROM a\rRUN b\n"),
	       "error: Dockerfile:1:7: a carriage return that does not end a line (CR LF); save "
	       "the file with LF or CR LF line ends",
	       "a lone CR");
	{
		struct buf b = BUF_INIT(IMAGE_FILE_MAX);
		int i;

		buf_addstr(&b, "FROM ");
		for (i = 0; i < 4097; i++)
			buf_addch(&b, 'a');
		is_str(bases(buf_cstr(&b)),
		       "error: Dockerfile:1:6: the value is longer than 4096 bytes expanded",
		       "an image name over 4096 bytes");
		buf_reset(&b);
		buf_addstr(&b, "ARG A=aaaaaaaaaaaaaaaa\n");
		for (i = 0; i < 9; i++)
			buf_addstr(&b, "ARG A=$A$A\n");
		buf_addstr(&b, "FROM $A\n");
		is_str(bases(buf_cstr(&b)),
		       "error: Dockerfile:10:9: the value is longer than 4096 bytes expanded",
		       "ARGs that double their value are bounded");
		buf_reset(&b);
		for (i = 0; i < 1001; i++)
			buf_addstr(&b, "FROM a\n");
		is_str(bases(buf_cstr(&b)),
		       "error: Dockerfile:1001:1: more than 1000 FROMs (build stages)",
		       "at most 1000 FROMs");
		buf_reset(&b);
		buf_addstr(&b, "ARG");
		for (i = 0; i < 1001; i++)
			buf_addstr(&b, " a=1");
		buf_addstr(&b, "\nFROM a\n");
		is_str(bases(buf_cstr(&b)),
		       "error: Dockerfile:1:4005: more than 1000 ARGs before the first FROM",
		       "at most 1000 meta ARGs");
		buf_reset(&b);
		for (i = 0; i < 1000; i++)
			buf_addstr(&b, "FROM ftboot/web AS s\nRUN x\n");
		while (b.len + 40 < IMAGE_FILE_MAX)
			buf_addstr(&b, "# a comment line to fill the file\n");
		buf_addstr(&b, "FROM s\n");
		ok(strncmp(bases(buf_cstr(&b)), "error: Dockerfile:", 18) == 0 ||
		       strncmp(bases(buf_cstr(&b)), "ftboot/web@1:6 ", 15) == 0,
		   "a 1 MiB Dockerfile parses in one pass");
		buf_release(&b);
	}
	is_str(bases("\x1b[2J\nFROM a\n"),
	       "error: Dockerfile:1:1: '?[2J' before the first FROM; a Dockerfile starts with "
	       "FROM (only ARG may come before it)",
	       "control bytes are quoted");
}

static void put(const char *name, const char *text)
{
	scratch_put(dir, name, text);
}

/*
 * Plan the stack in dir/srcs; "" and *p filled, or the error. The stack
 * (which the plan borrows from) lives until the next call.
 */
static struct stack *planned;

static const char *plan(const char *stack_text, struct image_plan *p)
{
	static struct err err;
	char *path = path_join(dir, "srcs/stack.yaml");
	int rc;

	stack_free(planned);
	planned = NULL;
	put("srcs/stack.yaml", stack_text);
	err_clear(&err);
	memset(p, 0, sizeof(*p));
	rc = stack_load(path, &planned, &err);
	if (rc == 0)
		rc = image_plan(planned, p, &err);
	free(path);
	return rc == 0 ? "" : err.msg;
}

/* The tag of svc in the stack "a, b, c" planned now, or the error. */
static char *tag_of(const char *stack_text, const char *svc)
{
	struct image_plan p;
	const char *e = plan(stack_text, &p);
	const struct image *im;
	char *t;

	if (*e)
		return xasprintf("error: %s", e);
	im = image_find(&p, svc);
	t = xstrdup(im ? im->tag : "none");
	image_plan_release(&p);
	return t;
}

static const char *const three = "name: s\nservices:\n  app: {ports: {h: 80}}\n"
                                 "  base: {type: None}\n  lib: {type: None, build: libdir}\n";

static void test_plan_order(void)
{
	struct image_plan p;
	regex_t re;

	put("srcs/app/Dockerfile", "FROM ftboot/lib\nCOPY . /\n");
	put("srcs/base/Dockerfile", "FROM scratch\n");
	put("srcs/libdir/Dockerfile", "ARG B=base\nFROM ftboot/$B:latest AS x\nFROM x\n");
	is_str(plan(three, &p), "", "plans three services");
	if (p.n == 3) {
		is_str(p.v[0].svc->name, "base", "the base of a base first");
		is_str(p.v[1].svc->name, "lib", "then its image");
		is_str(p.v[2].svc->name, "app", "then the image on that");
		ok(p.v[1].base == 0 && p.v[2].base == 1 && p.v[0].base == (size_t)-1,
		   "base indexes are plan indexes");
		ok(strstr(p.v[1].context, "srcs/libdir") != NULL, "build: names the context");
		is_str(p.v[0].dockerfile, "Dockerfile", "the Dockerfile's path in the context");
		is_str(p.v[0].latest, "ftboot/base:latest", "the latest tag");
		ok(p.v[0].ignore_path == NULL, "no .dockerignore");
		regcomp(&re, "^ftboot/app:[0-9a-f]{12}$", REG_EXTENDED | REG_NOSUB);
		ok(regexec(&re, p.v[2].tag, 0, NULL, 0) == 0, "tag format: %s", p.v[2].tag);
		regfree(&re);
		ok(strlen(p.v[2].hash) == 64 && strncmp(p.v[2].tag + 11, p.v[2].hash, 12) == 0,
		   "the tag is the hash's first 12 digits");
		ok(image_find(&p, "lib") == &p.v[1] && image_find(&p, "nope") == NULL,
		   "image_find");
	}
	image_plan_release(&p);

	/* Without bases: stack order. */
	put("srcs/app/Dockerfile", "FROM scratch\n");
	put("srcs/libdir/Dockerfile", "FROM debian\n");
	is_str(plan(three, &p), "", "plans without local bases");
	if (p.n == 3)
		ok(strcmp(p.v[0].svc->name, "app") == 0 && strcmp(p.v[1].svc->name, "base") == 0 &&
		       strcmp(p.v[2].svc->name, "lib") == 0,
		   "stack order when nothing builds on anything");
	image_plan_release(&p);
}

static void test_plan_errors(void)
{
	struct image_plan p;
	char *path;

	put("srcs/base/Dockerfile", "FROM scratch\n");
	put("srcs/libdir/Dockerfile", "FROM scratch\n");
	put("srcs/app/Dockerfile", "FROM ftboot/bsae\n");
	ok(strstr(plan(three, &p), "/srcs/app/Dockerfile:1:6: FROM ftboot/bsae: 'bsae' is not a "
	                           "service of the stack; did you mean 'base'? (ftboot/<service> "
	                           "is the image of one of its services)") != NULL,
	   "ftboot/<not a service>, with the nearest name");
	put("srcs/app/Dockerfile", "FROM ftboot/zzzzzzzz\n");
	ok(strstr(plan(three, &p), "FROM ftboot/zzzzzzzz: 'zzzzzzzz' is not a service of the "
	                           "stack (ftboot/<service>") != NULL,
	   "and without one when none is near");
	put("srcs/app/Dockerfile", "\n  FROM ftboot/base:v1\n");
	ok(strstr(plan(three, &p), "/srcs/app/Dockerfile:2:8: FROM ftboot/base:v1: name the local "
	                           "base ftboot/base (or ftboot/base:latest); ftboot tags each "
	                           "image by its content hash") != NULL,
	   "a local base with another tag: %s", plan(three, &p));
	put("srcs/app/Dockerfile", "FROM ftboot/base@sha256:00\n");
	ok(strstr(plan(three, &p), "FROM ftboot/base@sha256:00: name the local base ftboot/base") !=
	       NULL,
	   "a local base by digest");
	put("srcs/app/Dockerfile", "FROM ftboot/base\nFROM ftboot/lib\n");
	ok(strstr(plan(three, &p), "/srcs/app/Dockerfile:2:6: a second local base (ftboot/lib "
	                           "after ftboot/base on line 1)") != NULL,
	   "two local bases");
	put("srcs/app/Dockerfile", "FROM ftboot/base\nFROM ftboot/base\n");
	is_str(plan(three, &p), "", "the same local base twice is one");
	image_plan_release(&p);

	put("srcs/app/Dockerfile", "FROM ftboot/lib\n");
	put("srcs/libdir/Dockerfile", "FROM ftboot/base\n");
	put("srcs/base/Dockerfile", "FROM ftboot/app\n");
	ok(strstr(plan(three, &p), "/srcs/app/Dockerfile:1:6: a cycle of local bases: app -> lib "
	                           "-> base -> app; an image cannot be built on itself") != NULL,
	   "a cycle, listed: %s", plan(three, &p));
	put("srcs/base/Dockerfile", "FROM ftboot/base\n");
	ok(strstr(plan(three, &p), "/srcs/base/Dockerfile:1:6: a cycle of local bases: base -> "
	                           "base") != NULL,
	   "an image on itself");
	put("srcs/base/Dockerfile", "FROM scratch\n");

	path = path_join(dir, "srcs/app/Dockerfile");
	unlink(path);
	ok(strstr(plan(three, &p), "service 'app': no Dockerfile in '") != NULL &&
	       strstr(plan(three, &p), "/srcs/app' (each service is built from "
	                               "srcs/<service>/Dockerfile)") != NULL,
	   "no Dockerfile: %s", plan(three, &p));
	mkdir(path, 0700);
	ok(strstr(plan(three, &p), "service 'app': cannot read '") &&
	       strstr(plan(three, &p), "/srcs/app/Dockerfile': it is a directory"),
	   "a Dockerfile that is a directory: %s", plan(three, &p));
	rmdir(path);
	mkfifo(path, 0600);
	ok(strstr(plan(three, &p), "/srcs/app/Dockerfile': it is a FIFO") != NULL,
	   "a Dockerfile that is a FIFO, without blocking: %s", plan(three, &p));
	unlink(path);
	{
		char *big = xmalloc(IMAGE_FILE_MAX + 2);

		memset(big, '#', IMAGE_FILE_MAX + 1);
		big[IMAGE_FILE_MAX + 1] = '\0';
		put("srcs/app/Dockerfile", big);
		free(big);
	}
	ok(strstr(plan(three, &p), "Dockerfile': larger than 1048576 bytes") != NULL,
	   "a huge Dockerfile");
	put("srcs/app/Dockerfile", "FROM scratch\nRUN \"\xC3\n");
	is_str(plan(three, &p), "",
	       "bytes that are not UTF-8 after FROM are the engine's business");
	image_plan_release(&p);
	free(path);

	path = path_join(dir, "srcs/app");
	fs_remove_tree(path, &(struct err){0});
	ok(strstr(plan(three, &p), "service 'app': no Dockerfile in '") != NULL,
	   "no context directory");
	mkfifo(path, 0600);
	ok(strstr(plan(three, &p),
	          "/srcs/app' is a FIFO, not a directory; make it the directory") != NULL,
	   "a context that is a FIFO: %s", plan(three, &p));
	unlink(path);
	put("srcs/app", "FROM scratch\n");
	ok(strstr(plan(three, &p), "/srcs/app' is a file, not a directory") != NULL,
	   "a context that is a file");
	unlink(path);
	put("srcs/app/Dockerfile", "FROM scratch\n");
	free(path);

	path = path_join(dir, "srcs/app/.dockerignore");
	mkfifo(path, 0600);
	ok(strstr(plan(three, &p), "service 'app': cannot read '") &&
	       strstr(plan(three, &p), "/srcs/app/.dockerignore': it is a FIFO"),
	   "a .dockerignore that is a FIFO: %s", plan(three, &p));
	unlink(path);
	free(path);
}

/* Set every mtime under the context to a fixed past time. */
static void touch_old(const char *name)
{
	char *path = path_join(dir, name);
	struct timeval tv[2] = {{1000000, 0}, {1000000, 0}};

	utimes(path, tv);
	free(path);
}

static void test_hash(void)
{
	char *t0, *t1, *b0, *b1;
	char *link;

	put("srcs/app/Dockerfile", "FROM ftboot/lib\nCOPY . /\n");
	put("srcs/app/index.html", "hello\n");
	put("srcs/app/.dockerignore", "notes.txt\n");
	put("srcs/app/notes.txt", "one\n");
	put("srcs/libdir/Dockerfile", "FROM ftboot/base\n");
	put("srcs/base/Dockerfile", "FROM scratch\n");
	put("srcs/base/busybox", "binary\n");

	/* The hash is SHA-256 of what image.h says, the tar's digest from tgz_hash. */
	{
		struct image_plan p;
		static const char *const keep[] = {"Dockerfile", ".dockerignore", NULL};
		struct tgz_opts opts = {NULL, keep, NULL, 0};
		char tar[CRYPTO_HEX_MAX], want[CRYPTO_HEX_MAX];
		unsigned long long bytes = 0;
		struct err err;
		char *text = NULL, *root = path_join(dir, "srcs");

		opts.confine = root;
		err_clear(&err);
		if (*plan(three, &p) == '\0' && p.n == 3 &&
		    tgz_hash(p.v[0].context, &opts, tar, &bytes, &err) == 0) {
			text = xasprintf("ftboot-image-1\nDockerfile\n\n%s", tar);
			crypto_hash_buf(CRYPTO_SHA256, text, strlen(text), want);
			is_str(p.v[0].hash, want,
			       "base: SHA-256 of the prefix, no base hash, the tar digest");
			ok(p.v[0].tar_bytes == bytes && bytes > 0, "the tar's size is kept");
			free(text);
			ok(tgz_hash(p.v[1].context, &opts, tar, &bytes, &err) == 0, "lib's tar");
			text = xasprintf("ftboot-image-1\nDockerfile\n%s\n%s", p.v[0].hash, tar);
			crypto_hash_buf(CRYPTO_SHA256, text, strlen(text), want);
			is_str(p.v[1].hash, want, "lib: its base's hash is in its own");
			free(text);
		} else {
			ok(0, "plan and hash: %s", err.msg);
		}
		image_plan_release(&p);
		free(root);
	}

	t0 = tag_of(three, "app");
	b0 = tag_of(three, "base");
	t1 = tag_of(three, "app");
	is_str(t1, t0, "the same files give the same tag");
	free(t1);

	put("srcs/app/notes.txt", "two\n");
	t1 = tag_of(three, "app");
	is_str(t1, t0, "an ignored file does not change the tag");
	free(t1);

	touch_old("srcs/app/index.html");
	touch_old("srcs/app");
	t1 = tag_of(three, "app");
	is_str(t1, t0, "mtimes do not change the tag");
	free(t1);

	put("srcs/app/index.html", "hello!\n");
	t1 = tag_of(three, "app");
	ok(strcmp(t1, t0) != 0 && strncmp(t1, "ftboot/app:", 11) == 0,
	   "a changed context file changes the tag (%s, %s)", t0, t1);
	free(t1);
	put("srcs/app/index.html", "hello\n");
	t1 = tag_of(three, "app");
	is_str(t1, t0, "and changing it back gives the first tag again");
	free(t1);

	put("srcs/base/busybox", "binary 2\n");
	b1 = tag_of(three, "base");
	t1 = tag_of(three, "app");
	ok(strcmp(b1, b0) != 0, "a base's file changes the base's tag");
	ok(strcmp(t1, t0) != 0, "and the tag of the image two levels above it");
	free(t1);
	free(b1);
	put("srcs/base/busybox", "binary\n");

	put("srcs/app/Dockerfile", "FROM ftboot/lib\nCOPY . /srv\n");
	t1 = tag_of(three, "app");
	ok(strcmp(t1, t0) != 0, "a changed Dockerfile changes the tag");
	free(t1);
	put("srcs/app/Dockerfile", "FROM ftboot/lib\nCOPY . /\n");

	/* A symbolic link out of srcs/ is refused (by tgz, which image asks). */
	link = path_join(dir, "srcs/app/escape");
	if (symlink("../../../etc", link) == 0) {
		t1 = tag_of(three, "app");
		ok(strncmp(t1, "error: service 'app': ", 22) == 0,
		   "a context with a link out of srcs/ is refused: %s", t1);
		free(t1);
		unlink(link);
	}
	free(link);
	free(t0);
	free(b0);
}

int main(void)
{
	dir = scratch_open("image");
	test_parser();
	test_plan_order();
	test_plan_errors();
	test_hash();
	stack_free(planned);
	scratch_close(dir);
	return tap_done();
}
