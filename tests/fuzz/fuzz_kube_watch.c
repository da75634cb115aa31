/*
 * fuzz_kube_watch: libFuzzer target for the watch stream's parser
 * (kube_watch_feed). Properties:
 *
 *  - split.h's: the stream cut anywhere, or fed byte by byte, gives the
 *    same events, the same last resourceVersion and the same end (0,
 *    stopped, or the same error message) as one feed;
 *  - every event passed has a known type and a map for its object;
 *  - a callback's stop (an object named "STOP...") ends the feed with 1:
 *    no event after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct buf *log;
	int stopped, after_stop;
};

static int on_event(void *ctx, const char *type, const struct doc_node *object, struct err *err)
{
	struct run *r = ctx;
	const char *name = kube_meta(object, "name");

	(void)err;
	if (r->stopped)
		r->after_stop = 1;
	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED") && strcmp(type, "DELETED") &&
	    strcmp(type, "BOOKMARK") && strcmp(type, "ERROR"))
		abort();
	if (!object || object->type != DOC_MAP)
		abort();
	buf_addf(r->log, "%s:%s|", type, name ? name : "");
	if (name && strncmp(name, "STOP", 4) == 0)
		r->stopped = 1;
	return r->stopped;
}

static int feed(const char *text, size_t len, size_t a, size_t b, int bytewise, struct buf *log,
                char **rv, struct err *err)
{
	struct run r = {log, 0, 0};
	struct kube_watch_parser p;
	size_t i;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.fn = on_event;
	p.ctx = &r;
	if (bytewise) {
		for (i = 0; i < len && rc == 0; i++)
			rc = kube_watch_feed(&p, text + i, 1, err);
	} else {
		rc = kube_watch_feed(&p, text, a, err);
		if (rc == 0)
			rc = kube_watch_feed(&p, text + a, b - a, err);
		if (rc == 0)
			rc = kube_watch_feed(&p, text + b, len - b, err);
	}
	*rv = p.rv ? strdup(p.rv) : NULL;
	kube_watch_parser_release(&p);
	if (r.after_stop || (rc == 1) != r.stopped)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_split(data, size, feed);
	return 0;
}
