/*
 * fuzz_state: libFuzzer target for the lock record reader
 * (state_lock_field), which reads what another ftboot wrote into a
 * stack's lock file while it may still be writing it. Properties:
 *
 *  - on any record it agrees with a reference reader written here from
 *    state.h's promise (the first finished "key=" line; its value 1 to
 *    max printable ASCII bytes, else nothing);
 *  - a record written as state_lock writes one, from a command word taken
 *    from the input, reads back field for field; cut anywhere before its
 *    end, the cut line is never read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *reference(const char *rec, const char *key, size_t max)
{
	size_t klen = strlen(key), n, i;
	const char *p = rec, *eol;

	for (; (eol = strchr(p, '\n')) != NULL; p = eol + 1) {
		if ((size_t)(eol - p) <= klen || memcmp(p, key, klen) != 0 || p[klen] != '=')
			continue;
		p += klen + 1;
		n = (size_t)(eol - p);
		if (n == 0 || n > max)
			return NULL;
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7E)
				return NULL;
		return xstrndup(p, n);
	}
	return NULL;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void check(const char *rec, const char *key, size_t max)
{
	char *got = state_lock_field(rec, key, max), *want = reference(rec, key, max);

	if (!same(got, want))
		abort();
	free(got);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"pid", "command", "since", "p"};
	char *rec = xstrndup((const char *)data, size), *cmd, *got;
	char built[512];
	size_t i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		check(rec, keys[i], 10);
		check(rec, keys[i], 64);
	}

	/* The writer's form, with the input's printable bytes as the command. */
	cmd = xmalloc(size + 1);
	for (i = n = 0; i < size && n < 64; i++)
		if (data[i] >= 0x20 && data[i] <= 0x7E)
			cmd[n++] = (char)data[i];
	cmd[n] = '\0';
	if (n > 0) {
		snprintf(built, sizeof(built), "pid=%ld\ncommand=%s\nsince=%s\n", 4242L, cmd,
		         "2026-12-01T13:00:00Z");
		got = state_lock_field(built, "command", 64);
		if (!same(got, cmd))
			abort();
		free(got);
		got = state_lock_field(built, "pid", 10);
		if (!same(got, "4242"))
			abort();
		free(got);
		/* Cut inside the command line: that line is unfinished. */
		built[strlen("pid=4242\ncommand=") + n / 2] = '\0';
		got = state_lock_field(built, "command", 64);
		if (got != NULL)
			abort();
	}
	free(cmd);
	free(rec);
	return 0;
}
