/*
 * state: the private directory of one stack. It holds the generated
 * secrets, the lock that keeps two ftboot processes off one stack, and
 * (journal.h) the record of what ftboot created.
 *
 * Where: $FTBOOT_STATE_DIR/<stack>, else $XDG_STATE_HOME/ftboot/<stack>,
 * else $HOME/.local/state/ftboot/<stack>. The directory is 0700 and every
 * file in it 0600.
 */
#ifndef FTBOOT_STATE_H
#define FTBOOT_STATE_H

#include "err.h"

struct state {
	char *stack; /* stack name */
	char *dir;   /* the stack's state directory */
	int lock_fd; /* -1 when this process does not hold the lock */
};

/* The state directory of stack (not created). Caller owns *out. */
int state_dir_for(const char *stack, char **out, struct err *err);

/*
 * Open the state of stack. With create, make the directory (0700, and
 * its parents) if it is missing; without, a missing directory is not an
 * error and st->dir is set all the same (state_exists tells). A directory
 * that others can read or write is refused with what to run to fix it.
 */
int state_open(struct state *st, const char *stack, int create, struct err *err);

/* 1 if the state directory exists. */
int state_exists(const struct state *st);

/*
 * Take the stack's lock without waiting; what ("up", "down" ...) is
 * recorded beside it. If another process holds it: ERR_BUSY, naming its
 * pid, command and since when. Released by state_close or at exit.
 */
int state_lock(struct state *st, const char *what, struct err *err);

/* Release the lock and free st. */
void state_close(struct state *st);

/*
 * The value of secret name: read from secrets/<name>, or generated the
 * first time (24 characters of [A-Za-z0-9] from getrandom, written 0600,
 * never replaced). Names are [a-z0-9_]+. Caller owns *value.
 */
int state_secret(struct state *st, const char *name, char **value, struct err *err);

/*
 * The value of secret name if the state holds it (1, *value set; caller
 * owns it), 0 (*value NULL) when it is not generated yet. Never creates
 * anything: for `check`, which reads a stack without changing it.
 */
int state_secret_peek(const struct state *st, const char *name, char **value, struct err *err);

#define STATE_UUID_LEN 36 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */

/*
 * The stack's VM UUID (RFC 4122 version 4, lowercase, libvirt's string
 * form) into out: read from vm-uuid, or generated the first time and
 * written 0600 once (link(2): a racing process reads the winner's). The
 * domain is always defined with it, so a define again (after a kill in
 * the middle of one) names the same domain.
 */
int state_vm_uuid(struct state *st, char out[STATE_UUID_LEN + 1], struct err *err);

/*
 * Keep uuid (lowercase, libvirt's string form) as the stack's VM UUID,
 * replacing vm-uuid atomically: for a domain of this stack that exists
 * with another UUID (defined by an `up` whose state was removed since).
 */
int state_set_vm_uuid(struct state *st, const char *uuid, struct err *err);

/*
 * Remove the whole state directory. It is removed while the lock is
 * still held (so no other ftboot can lock a directory about to vanish),
 * then the lock is released.
 */
int state_destroy(struct state *st, struct err *err);

/*
 * The value of "key=" in a lock record (the "pid=...", "command=...",
 * "since=..." lines its holder writes): the first finished line for key,
 * if its value is 1 to max printable ASCII bytes; else NULL. Caller owns
 * it. What state_lock reads to name the holder (exposed for its fuzz
 * target).
 */
char *state_lock_field(const char *record, const char *key, size_t max);

#endif
