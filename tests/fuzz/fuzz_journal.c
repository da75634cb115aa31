/*
 * libFuzzer target: the journal's replay. Any bytes as a journal file must
 * load or fail with a message that names the journal and holds no control
 * character; what loads holds only valid kinds and names, and every
 * field read (journal_get) of every entry returns; never crash, leak or
 * hang. Each input is written to one scratch file, which journal_open
 * reads as `down` does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "journal.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *path;

static void check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"cidr", "dir", "pool", "accel", "cluster", "kind", "x"};
	struct journal j;
	struct err err;
	size_t i, k;
	FILE *f;

	if (path == NULL) {
		char dir[] = "/tmp/fuzz-journal.XXXXXX";

		if (mkdtemp(dir) == NULL)
			abort();
		path = path_join(dir, "journal");
	}
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	err_clear(&err);
	if (journal_open(&j, path, &err) < 0) {
		if (strncmp(err.msg, "journal '", 9) != 0)
			abort(); /* every error names the journal */
		/* The message holds the path and the reason, never the file's bytes raw. */
		for (i = 0; err.msg[i]; i++)
			if ((unsigned char)err.msg[i] < 0x20 || err.msg[i] == 0x7f)
				abort();
		return 0;
	}
	for (i = 0; i < j.n; i++) {
		check_text(j.v[i].kind);
		check_text(j.v[i].name);
		check_text(j.v[i].detail);
		if (!*j.v[i].kind || !*j.v[i].name ||
		    journal_find(&j, j.v[i].kind, j.v[i].name) != &j.v[i])
			abort(); /* one live entry per kind/name */
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			free(journal_get(&j.v[i], keys[k]));
	}
	journal_close(&j);
	return 0;
}
