/*
 * fuzz_docker_stream: libFuzzer target for the build stream's parser
 * (docker_stream_*). The first two bytes choose where the rest is cut.
 * Properties:
 *
 *  - split.h's: cutting the stream into three feeds, or feeding it byte
 *    by byte, gives the same events, the same id and the same end (0,
 *    cancelled, or the same error message) as one feed, and an error
 *    message holds no control character;
 *  - no event text holds a newline;
 *  - a callback's cancel (an event starting "STOP") ends it: no event after.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct buf *log;
	int stopped, after_stop;
};

static int on_event(void *ctx, enum docker_build_ev ev, const char *text)
{
	struct run *r = ctx;

	if (r->stopped)
		r->after_stop = 1;
	if (strchr(text, '\n'))
		abort();
	buf_addf(r->log, "%d:%s|", (int)ev, text);
	if (strncmp(text, "STOP", 4) == 0)
		r->stopped = 1;
	return r->stopped;
}

/* Feed text in pieces cut at a and b (a <= b <= len), or byte by byte. */
static int feed(const char *text, size_t len, size_t a, size_t b, int bytewise, struct buf *log,
                char **id, struct err *err)
{
	struct run r = {log, 0, 0};
	struct docker_stream *s = docker_stream_new(on_event, &r);
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
	if (r.after_stop || (rc == 1 && !r.stopped))
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_split(data, size, feed);
	return 0;
}
