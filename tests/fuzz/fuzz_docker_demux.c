/*
 * fuzz_docker_demux: libFuzzer target for the exec stream's frame
 * demultiplexer (docker_demux_*). The first byte chooses a cut, the
 * second the buffers' limit. Properties:
 *
 *  - one feed, two feeds cut anywhere and byte by byte give the same
 *    stdout, stderr, error and state;
 *  - the result is what a plain reading of the frames gives (types 0 and
 *    1 to stdout, 2 to stderr, anything else or padding an error, a
 *    buffer past its limit an error);
 *  - neither buffer ever holds more than its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct res {
	struct buf out, err;
	int rc;
	size_t have;
	unsigned long long left;
};

static void run(const char *s, size_t len, size_t cut, int bytewise, size_t limit, struct res *r)
{
	struct docker_demux m;
	struct err err;
	size_t i;

	buf_init(&r->out, limit);
	buf_init(&r->err, limit);
	docker_demux_init(&m, &r->out, &r->err);
	r->rc = 0;
	if (bytewise) {
		for (i = 0; i < len && r->rc == 0; i++)
			r->rc = docker_demux_feed(&m, s + i, 1, &err);
	} else {
		r->rc = docker_demux_feed(&m, s, cut, &err);
		if (r->rc == 0)
			r->rc = docker_demux_feed(&m, s + cut, len - cut, &err);
	}
	r->have = m.have;
	r->left = m.left;
	if (r->out.len > limit || r->err.len > limit)
		abort();
}

/* The frames read plainly: 0 or -1, what went where. */
static int plain(const unsigned char *s, size_t len, struct buf *out, struct buf *err)
{
	size_t i = 0, n, take;

	while (i < len) {
		if (len - i < 8)
			return 0;
		if (s[i] > 2 || s[i + 1] || s[i + 2] || s[i + 3])
			return -1;
		n = (size_t)s[i + 4] << 24 | (size_t)s[i + 5] << 16 | (size_t)s[i + 6] << 8 |
		    s[i + 7];
		take = n < len - i - 8 ? n : len - i - 8;
		if (buf_add(s[i] == 2 ? err : out, s + i + 8, take) < 0)
			return -1;
		i += 8 + take;
	}
	return 0;
}

static void same(const struct res *a, const struct res *b)
{
	if (a->rc != b->rc)
		abort();
	if (a->rc == 0 && (a->have != b->have || a->left != b->left))
		abort();
	if (a->rc == 0 && (a->out.len != b->out.len || a->err.len != b->err.len ||
	                   memcmp(buf_cstr(&a->out), buf_cstr(&b->out), a->out.len) != 0 ||
	                   memcmp(buf_cstr(&a->err), buf_cstr(&b->err), a->err.len) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct res whole, cut, bytes;
	struct buf pout, perr;
	const char *s;
	size_t len, at, limit;
	int prc;

	if (size < 2)
		return 0;
	s = (const char *)data + 2;
	len = size - 2;
	at = len ? data[0] % (len + 1) : 0;
	limit = data[1] == 0 ? (size_t)1 << 20 : data[1];

	run(s, len, len, 0, limit, &whole);
	run(s, len, at, 0, limit, &cut);
	run(s, len, 0, 1, limit, &bytes);
	same(&whole, &cut);
	same(&whole, &bytes);

	buf_init(&pout, limit);
	buf_init(&perr, limit);
	prc = plain(data + 2, len, &pout, &perr);
	if (prc != whole.rc)
		abort();
	if (prc == 0 && (pout.len != whole.out.len || perr.len != whole.err.len ||
	                 memcmp(buf_cstr(&pout), buf_cstr(&whole.out), pout.len) != 0 ||
	                 memcmp(buf_cstr(&perr), buf_cstr(&whole.err), perr.len) != 0))
		abort();
	buf_release(&pout);
	buf_release(&perr);
	buf_release(&whole.out);
	buf_release(&whole.err);
	buf_release(&cut.out);
	buf_release(&cut.err);
	buf_release(&bytes.out);
	buf_release(&bytes.err);
	return 0;
}
