/*
 * libFuzzer target: the stack loader. Any input must load or fail with a
 * message that names the file and holds no control character (user bytes
 * reach messages only through text_quote); never crash, leak or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack *st = NULL;
	struct err err;
	size_t i;

	err_clear(&err);
	if (stack_parse("fuzz.yaml", (const char *)data, size, &st, &err) == 0)
		stack_free(st);
	else if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
		abort(); /* every error must say where */
	else
		for (i = 0; err.msg[i]; i++)
			if ((unsigned char)err.msg[i] < 0x20 || err.msg[i] == 0x7f)
				abort(); /* a user's control byte reached the terminal */
	return 0;
}
