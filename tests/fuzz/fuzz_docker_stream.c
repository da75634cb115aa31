/*
 * fuzz_docker_stream: libFuzzer target for the build stream's parser
 * (docker_stream_*). The first two bytes choose where the rest is cut.
 * Properties:
 *
 *  - cutting the stream into three feeds, or feeding it byte by byte,
 *    gives the same events, the same id and the same end (0, cancelled,
 *    or the same error message) as one feed: lines may be split anywhere;
 *  - no event text holds a newline, and an error message holds no
 *    control character;
 *  - a callback's cancel (an event starting "STOP") ends it: no event after.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct buf log;
	int stopped, after_stop;
};

static int on_event(void *ctx, enum docker_build_ev ev, const char *text)
{
	struct run *r = ctx;

	if (r->stopped)
		r->after_stop = 1;
	if (strchr(text, '\n'))
		abort();
	buf_addf(&r->log, "%d:%s|", (int)ev, text);
	if (strncmp(text, "STOP", 4) == 0)
		r->stopped = 1;
	return r->stopped;
}

/* Feed text in pieces cut at a and b (a <= b <= len; step 1: byte by byte). */
static int feed(const char *text, size_t len, size_t a, size_t b, int bytewise, struct run *r,
                char **id, struct err *err)
{
	struct docker_stream *s = docker_stream_new(on_event, r);
	size_t i;
	int rc = 0;

	if (bytewise) {
		for (i = 0; i < len && rc == 0; i++)
			rc = docker_stream_feed(s, text + i, 1, err);
	} else {
		rc = docker_stream_feed(s, text, a, err);
		if (rc == 0)
			rc = docker_stream_feed(s, text + a, b - a, err);
		if (rc == 0)
			rc = docker_stream_feed(s, text + b, len - b, err);
	}
	if (rc == 0)
		rc = docker_stream_end(s, err);
	*id = docker_stream_id(s) ? strdup(docker_stream_id(s)) : NULL;
	docker_stream_free(s);
	if (r->after_stop)
		abort();
	return rc;
}

static void same(int rc1, const struct run *r1, const char *id1, const struct err *e1, int rc2,
                 const struct run *r2, const char *id2, const struct err *e2)
{
	if (rc1 != rc2 || r1->log.len != r2->log.len ||
	    memcmp(buf_cstr(&r1->log), buf_cstr(&r2->log), r1->log.len) != 0)
		abort();
	if ((id1 == NULL) != (id2 == NULL) || (id1 && strcmp(id1, id2) != 0))
		abort();
	if (rc1 < 0 && strcmp(e1->msg, e2->msg) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = {BUF_INIT(1 << 22), 0, 0}, cut = {BUF_INIT(1 << 22), 0, 0};
	struct run bytes = {BUF_INIT(1 << 22), 0, 0};
	struct err e1, e2, e3;
	const char *text, *p;
	char *id1, *id2, *id3 = NULL;
	size_t len, a, b;
	int rc1, rc2, rc3;

	if (size < 2)
		return 0;
	text = (const char *)data + 2;
	len = size - 2;
	a = len ? data[0] % (len + 1) : 0;
	b = a + (len - a ? data[1] % (len - a + 1) : 0);

	rc1 = feed(text, len, len, len, 0, &whole, &id1, &e1);
	rc2 = feed(text, len, a, b, 0, &cut, &id2, &e2);
	same(rc1, &whole, id1, &e1, rc2, &cut, id2, &e2);
	if (len <= 4096) {
		rc3 = feed(text, len, 0, 0, 1, &bytes, &id3, &e3);
		same(rc1, &whole, id1, &e1, rc3, &bytes, id3, &e3);
	}
	if (rc1 < 0)
		for (p = e1.msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				abort();
	if (rc1 == 1 && !whole.stopped)
		abort();
	free(id1);
	free(id2);
	free(id3);
	buf_release(&whole.log);
	buf_release(&cut.log);
	buf_release(&bytes.log);
	return 0;
}
