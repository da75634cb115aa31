/*
 * build: the build step of `up` and `ftboot build`: every service's
 * image (image.h) built in the stack's engine (engine.h), in parallel,
 * bases first, only when the engine has no image with that hash.
 *
 * Failpoints (failpoint.h), for tests that cancel at an exact place:
 * "build:step:SERVICE:N" when step N of the service's build starts,
 * "build:output:SERVICE:N" at each line step N prints (NAME#K: its K-th).
 */
#ifndef FTBOOT_BUILD_H
#define FTBOOT_BUILD_H

#include <signal.h>

#include "err.h"
#include "step.h"

struct build_opts {
	const char *const *services; /* NULL-terminated names, or NULL: all */
	int jobs;                    /* 0: the engine's CPU count */
};

/*
 * Build what o says (their local bases too): each image whose tag the
 * engine does not hold with its hash label (and :latest on the same
 * image) is built, with at most jobs builds at once, a base before the
 * images FROM it. Each build's log goes to builds/<service>.log in the
 * state directory (0600, replaced by the next build). The first failure
 * cancels the other builds; the error names its service, step and the
 * engine's message, and its last log lines are reported (run->report).
 * An unknown service is an ERR_USAGE error naming the nearest one.
 * Images in an engine outside the VM are journaled ("image", the tag,
 * fields engine, stack, id) before they are built.
 */
int build_images(struct run *run, const struct build_opts *o, struct err *err);

/*
 * A SIGINT/SIGTERM handler for the command layer to install (sigaction)
 * around builds: while build_images runs it only sets build_signal, which
 * the builds read at each event and context read, cancelling them (the
 * engine stops each and leaves no container); build_images then fails
 * "interrupted" and the command exits 128 + build_signal. Outside
 * build_images it puts the default action back and raises the signal
 * again, so Ctrl-C stops the other steps as it always did.
 */
extern volatile sig_atomic_t build_signal;
void build_on_signal(int sig);

/* The step: build_images of every service. */
int build_step(struct run *run, struct err *err);

/* The step's status: each service's image, built or not. */
int build_step_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/* The "image" kind (images in an engine outside the VM). */
int build_kinds(struct err *err);

#endif
