/*
 * teardown: the registry of how to remove each kind of resource the
 * journal can name, and `down`'s walk of the journal through it.
 *
 * Each module that creates a kind registers it (vm.c: network, pool,
 * volume, domain, file). A kind may need a backend, a connection shared
 * by several kinds (libvirt for the four libvirt kinds): it is opened on
 * the first entry that needs it, so a journal without such entries is
 * torn down without ever reaching the backend's daemon.
 */
#ifndef FTBOOT_TEARDOWN_H
#define FTBOOT_TEARDOWN_H

#include "err.h"
#include "journal.h"
#include "step.h"

struct teardown_backend {
	const char *name; /* "libvirt": named in errors */
	/* Connect; *handle goes to each remover and then to close. */
	int (*open)(struct run *run, void **handle, struct err *err);
	void (*close)(void *handle);
};

struct teardown_kind {
	const char *kind;                       /* the journal's kind */
	const struct teardown_backend *backend; /* NULL: needs none */
	/*
	 * Remove e's resource; one already gone is fine (0). handle is the
	 * backend's (NULL without one). May warn through run->report.
	 */
	int (*remove)(struct run *run, void *handle, const struct journal_entry *e,
	              struct err *err);
};

/* The file kind ("file", name a path): unlinked, absent is fine. */
extern const struct teardown_kind teardown_file;

/*
 * Register k (borrowed, static). Registering the same k again is
 * nothing; another kind of the same name is an error.
 */
int teardown_register(const struct teardown_kind *k, struct err *err);

/* The registered kind called kind, or NULL. */
const struct teardown_kind *teardown_find(const char *kind);

/* Forget every registration (unit tests). */
void teardown_reset(void);

/*
 * Remove every resource run->journal records, newest first, each through
 * its kind, each entry dropped from the journal once its resource is
 * gone. Goes on past a failure (and past an unknown kind); -1 at the end
 * with one error listing every resource left and why. The state is the
 * caller's: keep it while the journal holds anything.
 */
int teardown_run(struct run *run, struct err *err);

/*
 * `down`: teardown_run, then, only when nothing is left, the state
 * (state_destroy). On a failure the state stays, its journal the record
 * of what is left, and err lists it.
 */
int teardown_stack(struct run *run, struct err *err);

#endif
