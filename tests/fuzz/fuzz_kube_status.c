/*
 * fuzz_kube_status: libFuzzer target for the translation of the API's
 * error answers (kube_status_error). The first two bytes choose the
 * HTTP status (400..911) and whether the object is named. Properties:
 *
 *  - it always fails (-1) with a message, which holds no control
 *    character and no byte that is not UTF-8, and fits in err;
 *  - the message starts with the object's name when one is given;
 *  - a body that is not a Status gives the kind its HTTP status gives
 *    with no body at all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err, bare;
	const char *body;
	size_t len, n, i;
	long status;
	int named;

	if (size < 2)
		return 0;
	status = 400 + (long)(((unsigned)data[0] << 8 | data[1]) % 512);
	named = data[0] & 0x80;
	body = (const char *)data + 2;
	len = size - 2;
	err_clear(&err);
	if (kube_status_error(&err, status, body, len, named ? "Deployment/web" : NULL) != -1)
		abort();
	n = strlen(err.msg);
	if (n == 0 || n >= sizeof(err.msg))
		abort();
	for (i = 0; i < n; i += text_utf8_len(err.msg + i, n - i)) {
		if ((unsigned char)err.msg[i] < 0x20 || err.msg[i] == 0x7F)
			abort();
		if (text_utf8_len(err.msg + i, n - i) == 0)
			abort();
	}
	if (named && strncmp(err.msg, "Deployment/web: ", 16) != 0)
		abort();
	kube_status_error(&bare, status, "", 0, NULL);
	if (!memchr(body, '{', len) && err.kind != bare.kind)
		abort();
	return 0;
}
