/*
 * fuzz_rollout: libFuzzer target for rollout_check (rollout.h) over any
 * object the API could send (the input after its first byte, as JSON).
 * Properties:
 *
 *  - every object gets a state, and a why that is NUL-terminated within
 *    the buffer, of valid UTF-8 with no control character (the API's
 *    words are cleaned), whatever the buffer's size (the first byte);
 *  - the state does not depend on the buffer's size;
 *  - a kind rollout_waits_for does not know is ready once applied.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rollout.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if s is valid UTF-8 without a control character (C0, DEL, C1). */
static int clean(const char *s)
{
	size_t len = strlen(s), i = 0, n;

	while (i < len) {
		n = text_utf8_len(s + i, len - i);
		if (n == 0 || (n == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)) ||
		    (n == 2 && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] < 0xA0))
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_node *obj = NULL, *kind;
	struct err err = {0};
	char small[300], big[1024];
	size_t cap;
	enum rollout_state a, b, c;

	if (size < 1)
		return 0;
	cap = data[0] % sizeof(small);
	if (doc_parse_json("fuzz", (const char *)data + 1, size - 1, &obj, &err) < 0)
		return 0;
	memset(small, 'x', sizeof(small));
	a = rollout_check(obj, NULL, small, cap);
	b = rollout_check(obj, NULL, big, sizeof(big));
	c = rollout_check(obj, "192.168.61.10", big, sizeof(big));
	if (a != b)
		abort();
	if (cap && (memchr(small, '\0', cap) == NULL || !clean(small)))
		abort();
	if (cap == 0 && small[0] != 'x')
		abort();
	if (!clean(big))
		abort();
	kind = doc_map_get(obj, "kind");
	if ((kind == NULL || kind->type != DOC_STR || !rollout_waits_for(kind->text)) &&
	    (b != ROLLOUT_READY || c != ROLLOUT_READY))
		abort();
	doc_free(obj);
	return 0;
}
