/*
 * libFuzzer target: the stack loader. Any input must load or fail with a
 * message that names the file; never crash, leak or hang.
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

	err_clear(&err);
	if (stack_parse("fuzz.yaml", (const char *)data, size, &st, &err) == 0)
		stack_free(st);
	else if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
		abort(); /* every error must say where */
	return 0;
}
