/*
 * journal: the record, in the state directory, of every resource ftboot
 * creates, written and fsynced before the resource is created, so that
 * `down` and a re-run after a crash know what may exist.
 *
 * The file is append-only lines; a torn last line (a crash mid-write) is
 * ignored. Replaying it gives the live set: added and not yet removed, in
 * the order first added.
 *
 * An entry names any kind of resource: kind says which module removes it
 * (teardown.h), name is unique within the kind, and detail holds what the
 * remover needs as fields "key=value key=value" (journal_record builds
 * it, journal_get reads one field). The kinds so far and their fields:
 *
 *	network  NAME              cidr        (a libvirt network)
 *	pool     NAME              dir         (a libvirt storage pool)
 *	volume   NAME              pool        (a volume in that pool)
 *	domain   NAME              accel       (a libvirt domain)
 *	file     PATH              -           (a file ftboot wrote)
 *
 * and the shape the next modules follow: an image in an engine ("image",
 * name REPO:TAG, fields engine and id), a Kubernetes object ("kube",
 * name CLUSTER/GROUP/VERSION/KIND/NAMESPACE/NAME, fields cluster, group,
 * version, kind, namespace, name; group "" for the core group).
 *
 * A journal written before fields existed holds one bare value as the
 * detail ("10.11.12.0/24"); it loads as it is, and journal_get reads it
 * as the field its kind had then (the table above).
 */
#ifndef FTBOOT_JOURNAL_H
#define FTBOOT_JOURNAL_H

#include <stddef.h>

#include "err.h"

struct journal_entry {
	char *kind;   /* "network", "volume", "domain" ... [a-z0-9-]+ */
	char *name;   /* the resource's name: printable, no tab or newline */
	char *detail; /* fields "key=value ..." (journal_get), may be "", no newline */
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

/*
 * journal_add with the detail made of fields: kv is NULL or
 * {"key", "value", ..., NULL}; keys are 1 to 32 characters of a-z, 0-9
 * and '-', values any text without control characters (a space or '%'
 * is kept as %20, %25).
 */
int journal_record(struct journal *j, const char *kind, const char *name, const char *const *kv,
                   struct err *err);

/*
 * The value of field key of e, as a new string the caller frees; NULL
 * when e has no such field (or its detail is not fields and not the
 * bare value of an older journal).
 */
char *journal_get(const struct journal_entry *e, const char *key);

/* Record that kind/name is gone. Removing an absent entry is fine. */
int journal_remove(struct journal *j, const char *kind, const char *name, struct err *err);

/* The live entry kind/name or NULL. Borrowed. */
const struct journal_entry *journal_find(const struct journal *j, const char *kind,
                                         const char *name);

void journal_close(struct journal *j);

#endif
