/*
 * build: the build step of `up` and `ftboot build`: every service's
 * image (image.h) built in the stack's engine (engine.h), in parallel,
 * bases first, only when the engine has no image with that hash.
 */
#ifndef FTBOOT_BUILD_H
#define FTBOOT_BUILD_H

#include "err.h"
#include "step.h"

struct build_opts {
	const char *const *services; /* NULL-terminated names, or NULL: all */
	int jobs;                    /* 0: the engine's CPU count */
};

/* Build what o says (their local bases too). */
int build_images(struct run *run, const struct build_opts *o, struct err *err);

/* The step: build_images of every service. */
int build_step(struct run *run, struct err *err);

/* The step's status: each service's image, built or not. */
int build_step_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/* The "image" kind (images in an engine outside the VM). */
int build_kinds(struct err *err);

#endif
