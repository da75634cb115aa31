/*
 * journal: the record, in the state directory, of every resource ftboot
 * creates, written and fsynced before the resource is created, so that
 * `down` and a re-run after a crash know what may exist.
 *
 * The file is append-only lines; a torn last line (a crash mid-write) is
 * ignored. Replaying it gives the live set: added and not yet removed, in
 * the order first added.
 */
#ifndef FTBOOT_JOURNAL_H
#define FTBOOT_JOURNAL_H

#include <stddef.h>

#include "err.h"

struct journal_entry {
	char *kind;   /* "network", "volume", "domain" ... [a-z0-9-]+ */
	char *name;   /* the resource's name: printable, no tab or newline */
	char *detail; /* free text for the resource (may be ""), no newline */
};

struct journal {
	char *path;
	struct journal_entry *v; /* live set */
	size_t n;
};

/* Load (or start empty) the journal at path. */
int journal_open(struct journal *j, const char *path, struct err *err);

/*
 * Record that kind/name is about to be created (or is). A second add of
 * the same kind/name updates its detail. Durable when it returns.
 */
int journal_add(struct journal *j, const char *kind, const char *name, const char *detail,
                struct err *err);

/* Record that kind/name is gone. Removing an absent entry is fine. */
int journal_remove(struct journal *j, const char *kind, const char *name, struct err *err);

/* The live entry kind/name or NULL. Borrowed. */
const struct journal_entry *journal_find(const struct journal *j, const char *kind,
                                         const char *name);

void journal_close(struct journal *j);

#endif
