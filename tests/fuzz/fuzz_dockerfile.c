/*
 * libFuzzer target: the Dockerfile FROM parser (image_dockerfile_bases).
 * Any input must parse or fail with a message that names the file with
 * a line and column and holds no control character (user bytes reach
 * messages only through text_quote); every base found has a position
 * inside the input; never crash, leak or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_from *v = NULL;
	struct err err;
	size_t n = 0, i, lines = 1;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	err_clear(&err);
	if (image_dockerfile_bases("Dockerfile", (const char *)data, size, &v, &n, &err) == 0) {
		for (i = 0; i < n; i++)
			if (v[i].image[0] == '\0' || v[i].line < 1 || v[i].line > lines ||
			    v[i].col < 1)
				abort(); /* a base is never empty and is where the text is */
		image_froms_free(v, n);
		return 0;
	}
	if (strncmp(err.msg, "Dockerfile:", 11) != 0 || err.msg[11] < '1' || err.msg[11] > '9')
		abort(); /* every error must say where */
	for (i = 0; err.msg[i]; i++)
		if ((unsigned char)err.msg[i] < 0x20 || err.msg[i] == 0x7f)
			abort(); /* a user's control byte reached the terminal */
	return 0;
}
