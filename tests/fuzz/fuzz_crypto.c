/*
 * fuzz_crypto: libFuzzer target for the public key line reader
 * (crypto_fingerprint_line: "TYPE BASE64 [COMMENT]", its base64 decoder
 * and the blob's own type name). Properties:
 *
 *  - any input (as a line) gives "SHA256:" and 43 base64 characters, or
 *    an error whose message holds no control byte (it quotes the line);
 *  - a line built from the input (the type "ssh-ed25519", a wire-format
 *    blob of that type with the input as key data, base64 with and
 *    without padding, a comment) is read, and its fingerprint is the
 *    blob's, as crypto_fingerprint computes it;
 *  - the same line with the type changed is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "text.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, const char *fp, const struct err *err)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	if (rc == 0) {
		if (fp == NULL || strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43 ||
		    strspn(fp + 7, b64) != 43)
			abort();
		return;
	}
	if (fp != NULL || err->msg[0] == '\0')
		abort();
	for (p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char type[] = "ssh-ed25519";
	char *line, *enc, *fp = NULL, *want;
	unsigned char *blob;
	size_t blob_len, tlen = sizeof(type) - 1;
	struct err err;
	int rc, pad;

	line = xstrndup((const char *)data, size);
	rc = crypto_fingerprint_line(line, &fp, &err);
	check_result(rc, fp, &err);
	free(fp);
	free(line);
	if (size > 8000)
		return 0;

	blob_len = 4 + tlen + size;
	blob = xmalloc(blob_len);
	blob[0] = blob[1] = blob[2] = 0;
	blob[3] = (unsigned char)tlen;
	memcpy(blob + 4, type, tlen);
	memcpy(blob + 4 + tlen, data, size);
	want = crypto_fingerprint(blob, blob_len);
	for (pad = 0; pad < 2; pad++) {
		enc = text_base64(blob, blob_len, !pad);
		line = xasprintf(" %s\t%s  comment with spaces\r\n", type, enc);
		fp = NULL;
		if (crypto_fingerprint_line(line, &fp, &err) < 0 || strcmp(fp, want) != 0)
			abort();
		free(fp);
		free(line);
		/* Another type than the blob's own. */
		line = xasprintf("ssh-rsa %s", enc);
		fp = NULL;
		if (crypto_fingerprint_line(line, &fp, &err) == 0 || fp != NULL)
			abort();
		free(line);
		free(enc);
	}
	free(want);
	free(blob);
	return 0;
}
